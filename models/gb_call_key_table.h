/* gb_call_key_table.h — the call-key tables (gb_call_key.h), as counted by gb_call_key_fit
 * on the Nottingham corpus' train split (`gbac dataset melody`, seed 1; regenerate with
 * `build/tests/test_call_key --fit DS`, DS a dataset built with the defaults). Included by
 * gb_call_key.c only.
 * SPDX-License-Identifier: GPL-3.0-or-later */
static const gb_call_key_table_t gb_call_key_fitted = {
    .lp = {
        {
            {-1.5123f, -6.4061f, -2.0324f, -5.7039f, -1.7461f, -2.4719f, -5.1825f, -1.6277f, -6.0600f, -2.2402f, -5.5445f, -2.6586f},
            {-1.4912f, -7.0168f, -2.0790f, -6.1913f, -1.7301f, -2.4637f, -5.6258f, -1.5729f, -6.2775f, -2.2238f, -5.4858f, -2.8263f},
            {-1.4913f, -6.6701f, -1.9735f, -5.2260f, -1.8982f, -2.2410f, -5.1195f, -1.7726f, -6.1037f, -2.2721f, -5.4519f, -2.4346f},
            {-1.5413f, -7.7687f, -2.2053f, -6.5791f, -1.6623f, -2.5105f, -6.1037f, -1.4178f, -6.2181f, -2.2582f, -5.5402f, -3.0363f},
        },
        {
            {-1.4358f, -6.4168f, -2.1031f, -1.9757f, -5.8406f, -2.1685f, -5.3096f, -1.6172f, -3.2836f, -4.0404f, -2.2305f, -4.1052f},
            {-1.4005f, -7.1965f, -2.3461f, -1.8561f, -5.4387f, -2.2506f, -5.3095f, -1.4948f, -3.4353f, -4.5719f, -2.2337f, -4.4115f},
            {-1.3181f, -6.4200f, -1.8732f, -2.5147f, -7.5186f, -1.8384f, -5.5727f, -2.0676f, -3.4411f, -3.5483f, -2.0849f, -3.8550f},
            {-1.4760f, -5.9092f, -2.5698f, -1.7045f, -5.1207f, -2.9035f, -5.1207f, -1.2590f, -3.2281f, -4.5742f, -2.3538f, -4.2228f},
        },
    },
    .prior = {-0.1049f, -2.3063f},
};
