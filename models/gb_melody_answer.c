/* gb_melody_answer.c — how an answer to a call is made (gb_melody_answer.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_melody_answer.h"

#include <stdlib.h>
#include <string.h>

#include "gb_melody_ds.h"

#define S GB_MDS_MAX_STEPS

int gb_answer_key_notes(int mode)
{
    /* C major: C D E F G A B; A minor: A B C D E F G and F#, G# */
    return mode ? 0xbf5 : 0xab5;
}

int gb_answer_snap_token(int tok, int mode)
{
    if (tok < GB_MDS_PITCH_BASE || tok >= GB_MDS_VOCAB)
        return tok;
    const int key = gb_answer_key_notes(mode);
    const int p = GB_MDS_PITCH_LO + tok - GB_MDS_PITCH_BASE;
    if ((key >> (p % 12)) & 1)
        return tok;
    int q = (key >> ((p + 11) % 12)) & 1 ? p - 1 : p + 1;
    q = q < GB_MDS_PITCH_LO ? p + 1 : q > GB_MDS_PITCH_HI ? p - 1 : q;
    return GB_MDS_PITCH_BASE + q - GB_MDS_PITCH_LO;
}

int gb_answer_snap(uint8_t *bars, int nb, int steps, int mode)
{
    int moved = 0;
    for (int b = 0; b < nb; b++)
        for (int s = 0; s < steps; s++) {
            uint8_t *t = &bars[b * S + s];
            const int q = gb_answer_snap_token(*t, mode);
            moved += q != *t;
            *t = (uint8_t)q;
        }
    return moved;
}

static int onsets(const uint8_t *bar, int steps)
{
    int n = 0;
    for (int s = 0; s < steps; s++)
        n += bar[s] >= GB_MDS_PITCH_BASE && bar[s] < GB_MDS_VOCAB;
    return n;
}

int gb_answer_bar_shape(const uint8_t *bar, int steps, int mode, int call_on, int last)
{
    if (call_on >= 2 && onsets(bar, steps) < 2)
        return 0;
    if (!last)
        return 2;
    int pc = -1;
    for (int s = 0; s < steps; s++)
        if (bar[s] >= GB_MDS_PITCH_BASE && bar[s] < GB_MDS_VOCAB)
            pc = (GB_MDS_PITCH_LO + bar[s] - GB_MDS_PITCH_BASE) % 12;
    const int tonic = mode ? 9 : 0;
    return pc == tonic || pc == (tonic + 7) % 12 ? 2 : 1;
}

void gb_answer_try(int k, int best, float temperature, int top_k, float *temp, int *top_k_out)
{
    const int hot = k >= GB_ANSWER_TRIES / 2 && best < 1; /* still thin: hotter, all tokens */
    *temp = hot ? temperature * 1.5f : temperature;
    *top_k_out = hot ? 0 : top_k;
}

/* The shape of an answer: the worst of its bars' (the closing rule on the last). */
static int shape(const uint8_t *bars, int nb, int steps, int mode, int call_on)
{
    int sh = 2;
    for (int b = 0; b < nb; b++) {
        const int x = gb_answer_bar_shape(bars + b * S, steps, mode, call_on, b == nb - 1);
        sh = x < sh ? x : sh;
    }
    return sh;
}

int gb_answer_generate(gb_nn_t *gen, gb_nn_t *critic, const gb_melgan_gen_opts_t *o,
                       const uint8_t *history, int n_history, uint8_t *bars, gb_error_t *err)
{
    const int steps = o->den > 0 ? o->num * 16 / o->den : 16;
    const int call_on = n_history > 0 ? onsets(history, steps) : 0;
    const size_t n = (size_t)o->bars * S;
    uint8_t *first = malloc(n), *keep = malloc(n);
    int best = -1, rc = first && keep ? 0 : gb_error_set(err, GB_ENOMEM, "out of memory");
    for (int k = 0; rc == 0 && k < GB_ANSWER_TRIES && best < 2; k++) {
        gb_melgan_gen_opts_t ok = *o;
        ok.seed = o->seed + (uint64_t)k * 0x9e3779b97f4a7c15ull;
        gb_answer_try(k, best, o->temperature, o->top_k, &ok.temperature, &ok.top_k);
        if ((rc = gb_melgan_generate(gen, critic, &ok, history, n_history, bars, NULL, err)))
            break;
        const int sh = shape(bars, o->bars, steps, o->mode, call_on);
        if (k == 0)
            memcpy(first, bars, n);
        if (sh > best) {
            best = sh;
            memcpy(keep, bars, n);
        }
    }
    if (rc == 0) {
        memcpy(bars, best > 0 ? keep : first, n);
        gb_answer_snap(bars, o->bars, steps, o->mode);
    }
    free(first);
    free(keep);
    return rc;
}
