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

int gb_answer_snap(uint8_t *bars, int nb, int steps, int mode)
{
    const int key = gb_answer_key_notes(mode);
    int moved = 0;
    for (int b = 0; b < nb; b++)
        for (int s = 0; s < steps; s++) {
            uint8_t *t = &bars[b * S + s];
            if (*t < GB_MDS_PITCH_BASE || *t >= GB_MDS_VOCAB)
                continue;
            const int p = GB_MDS_PITCH_LO + *t - GB_MDS_PITCH_BASE;
            if ((key >> (p % 12)) & 1)
                continue;
            int q = (key >> ((p + 11) % 12)) & 1 ? p - 1 : p + 1;
            q = q < GB_MDS_PITCH_LO ? p + 1 : q > GB_MDS_PITCH_HI ? p - 1 : q;
            *t = (uint8_t)(GB_MDS_PITCH_BASE + q - GB_MDS_PITCH_LO);
            moved++;
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

/* 2: no thin bar and a closing last note; 1: no thin bar; 0: a thin bar. */
static int shape(const uint8_t *bars, int nb, int steps, int mode, int call_on)
{
    int last = -1;
    for (int b = 0; b < nb; b++) {
        if (call_on >= 2 && onsets(bars + b * S, steps) < 2)
            return 0;
        for (int s = 0; s < steps; s++)
            if (bars[b * S + s] >= GB_MDS_PITCH_BASE && bars[b * S + s] < GB_MDS_VOCAB)
                last = (GB_MDS_PITCH_LO + bars[b * S + s] - GB_MDS_PITCH_BASE) % 12;
    }
    const int tonic = mode ? 9 : 0;
    return last == tonic || last == (tonic + 7) % 12 ? 2 : 1;
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
        if (k >= GB_ANSWER_TRIES / 2 && best < 1) { /* still thin: hotter, all tokens */
            ok.temperature = o->temperature * 1.5f;
            ok.top_k = 0;
        }
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
