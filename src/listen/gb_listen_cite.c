/* gb_listen_cite.c — a listening test's summary for other reports (gb_listen_cite.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_listen_cite.h"

json_t *gb_listen_cite_json(const gb_listen_test_t *t, const char *path)
{
    gb_listen_summary_t s;
    gb_listen_summarise(t, &s);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s}", "file", path, "kind",
                          t->kind == GB_LISTEN_MODEL_VS_MODEL ? "model-vs-model"
                                                              : "real-vs-generated",
                          "question", gb_listen_question_key(t->question), "model", t->model,
                          "model_b", t->model_b[0] ? json_string(t->model_b) : json_null(),
                          "started", t->started);
    json_t *sum = gb_listen_summary_json(t, &s);
    if (!o || !sum || json_object_update(o, sum) != 0) {
        json_decref(o);
        o = NULL;
    }
    json_decref(sum);
    return o;
}

void gb_listen_cite_print(FILE *f, const gb_listen_test_t *t, const char *path)
{
    gb_listen_summary_t s;
    gb_listen_summarise(t, &s);
    const char *s0 = gb_listen_source_name(t->kind, 0), *s1 = gb_listen_source_name(t->kind, 1);
    fprintf(f, "  listening test (%s, %s): %s against %s, \"%s\"%s\n", path, t->started, s0, s1,
            gb_listen_question_text(t->question),
            s.complete ? "" : " (stopped before the last pair)");
    if (s.choices == 0) {
        fprintf(f, "    no choices\n");
        return;
    }
    if (t->question == GB_LISTEN_HUMAN)
        fprintf(f, "    %d of %d correct, accuracy %.3f", s.count[0], s.choices, s.rate);
    else
        fprintf(f, "    %s preferred %d of %d times, %.3f", s0, s.count[0], s.choices, s.rate);
    fprintf(f, " (95%% CI %.3f..%.3f, Clopper-Pearson; p = %.3g against chance)\n", s.ci_low,
            s.ci_high, s.p_value);
}
