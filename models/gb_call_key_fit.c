/* gb_call_key_fit.c — counting the call-key tables (gb_call_key_fit.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_call_key_fit.h"

#include <math.h>
#include <string.h>

#define MAX_NOTES 256

/* Add the windows of one tune to the counts. */
static long count_tune(const gb_abc_tune_t *tu, double c[2][GB_CALL_KEY_KINDS][12],
                       double modes[2])
{
    long w = 0;
    for (int b = 0; b + 2 <= tu->n_bars; b += 2) {
        gb_melody_note_t notes[MAX_NOTES];
        int n = gb_abc_notes(tu, b, 2, notes, MAX_NOTES);
        n = n > MAX_NOTES ? MAX_NOTES : n;
        if (n == 0)
            continue;
        const gb_abc_bar_t *x = &tu->bars[b + 1];
        gb_key_evidence_t ev;
        memset(&ev, 0, sizeof ev);
        gb_key_evidence_add(&ev, notes, (size_t)n, tu->bars[b].num, tu->bars[b].den, 1.0, 1);
        for (int k = 0; k < GB_CALL_KEY_KINDS; k++)
            for (int pc = 0; pc < 12; pc++)
                c[x->mode][k][(pc - x->tonic + 12) % 12] += ev.f[k][pc];
        modes[x->mode] += 1.0;
        w++;
    }
    return w;
}

int gb_call_key_fit(const gb_abc_corpus_t *abc, const gb_melody_ds_t *ds,
                    gb_call_key_table_t *t, long *windows, gb_error_t *err)
{
    double c[2][GB_CALL_KEY_KINDS][12], modes[2] = {0.0, 0.0};
    long w = 0;
    for (int m = 0; m < 2; m++)
        for (int k = 0; k < GB_CALL_KEY_KINDS; k++)
            for (int d = 0; d < 12; d++)
                c[m][k][d] = 0.5;
    for (int i = 0; i < ds->n_tunes; i++) {
        const gb_abc_tune_t *tu = ds->tunes[i].split == GB_MDS_TRAIN
                                      ? gb_abc_corpus_find(abc, ds->tunes[i].name)
                                      : NULL;
        if (tu)
            w += count_tune(tu, c, modes);
    }
    if (windows)
        *windows = w;
    if (w == 0)
        return gb_error_set(err, GB_ERANGE,
                            "no train-split tune of the dataset is in the ABC corpus");
    for (int m = 0; m < 2; m++) {
        for (int k = 0; k < GB_CALL_KEY_KINDS; k++) {
            double sum = 0.0;
            for (int d = 0; d < 12; d++)
                sum += c[m][k][d];
            for (int d = 0; d < 12; d++)
                t->lp[m][k][d] = (float)log(c[m][k][d] / sum);
        }
        t->prior[m] = (float)log((modes[m] + 0.5) / (modes[0] + modes[1] + 1.0));
    }
    return 0;
}

void gb_call_key_print(FILE *f, const gb_call_key_table_t *t)
{
    fprintf(f, "static const gb_call_key_table_t gb_call_key_fitted = {\n    .lp = {\n");
    for (int m = 0; m < 2; m++) {
        fprintf(f, "        {\n");
        for (int k = 0; k < GB_CALL_KEY_KINDS; k++) {
            fprintf(f, "            {");
            for (int d = 0; d < 12; d++)
                fprintf(f, "%.4ff%s", t->lp[m][k][d], d < 11 ? ", " : "");
            fprintf(f, "},\n");
        }
        fprintf(f, "        },\n");
    }
    fprintf(f, "    },\n    .prior = {%.4ff, %.4ff},\n};\n", t->prior[0], t->prior[1]);
}
