/* gb_melody_accomp.c — accompanying a chord progression (gb_melody_accomp.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_melody_accomp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gb_abc.h"
#include "gb_call_key.h"
#include "gb_melgan.h"
#include "gb_melody_ds_build.h"
#include "gb_melody_key.h"
#include "gb_share.h"

#define S GB_MDS_MAX_STEPS
#define NB 8

static int is_pitch(int t)
{
    return t >= GB_MDS_PITCH_BASE && t < GB_MDS_VOCAB;
}

static int pitch_of(int t)
{
    return GB_MDS_PITCH_LO + t - GB_MDS_PITCH_BASE;
}

static int token_of(int p)
{
    while (p < GB_MDS_PITCH_LO)
        p += 12;
    while (p > GB_MDS_PITCH_HI)
        p -= 12;
    return GB_MDS_PITCH_BASE + p - GB_MDS_PITCH_LO;
}

int gb_accomp_voicing_top(int mask, int root)
{
    int top = 48 + root;
    for (int i = 1; i < 12; i++)
        if ((mask >> ((root + i) % 12)) & 1)
            top = 48 + root + i;
    return top;
}

/* The note of `set` nearest to p (down on a tie); p when set is empty. */
static int nearest(int p, int set)
{
    for (int d = 0; set && d < 12; d++) {
        if ((set >> (((p - d) % 12 + 12) % 12)) & 1)
            return p - d;
        if ((set >> ((p + d) % 12)) & 1)
            return p + d;
    }
    return p;
}

int gb_accomp_note(int p, int s, int steps, int num, int den, int chord, int top, int scale,
                   int prev)
{
    p = nearest(p, scale);
    if (gb_melody_strong_step(s, steps, num, den))
        p = nearest(p, chord);
    while (p - 12 > top) /* the octave above the chord nearest the note before */
        p -= 12;
    while (p <= top)
        p += 12;
    while (prev >= 0 && p + 12 <= GB_MDS_PITCH_HI && abs(p + 12 - prev) < abs(p - prev))
        p += 12;
    return p;
}

void gb_accomp_shape(uint8_t *bar, int steps, int num, int den, int chord, int root,
                     int scale, int *last)
{
    const int top = gb_accomp_voicing_top(chord, root);
    int prev = *last;
    for (int s = 0; s < steps; s++) {
        if (!is_pitch(bar[s]))
            continue;
        const int p = gb_accomp_note(pitch_of(bar[s]), s, steps, num, den, chord, top, scale,
                                     prev);
        bar[s] = (uint8_t)token_of(p);
        prev = p;
    }
    *last = prev;
}

void gb_accomp_key(const int *chords, const int *roots, size_t n, int *off, int *mode,
                   int *scale, int *chord_norm)
{
    int tonic;
    gb_chord_key(chords, roots, n, &tonic, mode, scale);
    *off = gb_melody_key_offset(tonic, *mode);
    *chord_norm = 0;
    for (int pc = 0; n > 0 && pc < 12; pc++)
        if ((chords[n - 1] >> pc) & 1)
            *chord_norm |= 1 << ((pc - *off) % 12 + 12) % 12;
}

/* Sums over onsets. */
typedef struct acc_sums {
    long strong, strong_ct, notes, in_key, above, intervals;
    double interval;
} acc_sums_t;

/* Count bar (GB_MELODY_OUT_* or pitches) over its chord; *prev the last pitch before (−1:
 * none). */
static void measure(const int16_t *bar, const gb_abc_bar_t *x, int *prev, acc_sums_t *a)
{
    const int key = gb_key_scale(x->tonic, x->mode, 1) |
                    (x->mode ? 1 << (x->tonic + 9) % 12 : 0);
    const int top = gb_accomp_voicing_top(x->chord, x->chord_root);
    for (int s = 0; s < x->steps; s++) {
        if (bar[s] < 0)
            continue;
        const int p = bar[s];
        a->notes++;
        a->in_key += (key >> (p % 12)) & 1;
        a->above += p > top;
        if (gb_melody_strong_step(s, x->steps, x->num, x->den)) {
            a->strong++;
            a->strong_ct += (x->chord >> (p % 12)) & 1;
        }
        if (*prev >= 0) {
            a->interval += abs(p - *prev);
            a->intervals++;
        }
        *prev = p;
    }
}

/* Tokens (real pitch) as what is played. */
static void played(const uint8_t *tok, int16_t *out)
{
    for (int s = 0; s < S; s++)
        out[s] = is_pitch(tok[s]) ? (int16_t)pitch_of(tok[s])
                 : tok[s] == GB_MDS_HOLD ? GB_MELODY_OUT_HOLD
                                         : GB_MELODY_OUT_REST;
}

/* One accompaniment bar b of tune t over chords[0..b] (real pitch); gen[] the bars so far. */
static int accomp_bar(gb_nn_t *gen, gb_nn_t *critic, const gb_abc_bar_t *bars, int b,
                      uint8_t (*out)[S], const gb_melgan_gen_opts_t *base, gb_error_t *err)
{
    int chords[NB], roots[NB], off, mode, scale, cn;
    for (int i = 0; i <= b; i++) {
        chords[i] = bars[i].chord;
        roots[i] = bars[i].chord_root;
    }
    gb_accomp_key(chords, roots, (size_t)b + 1, &off, &mode, &scale, &cn);
    uint8_t hist[4 * S];
    for (int h = 0; h < 4; h++)
        for (int s = 0; s < S; s++) {
            const int t = b - 1 - h >= 0 ? out[b - 1 - h][s] : GB_MDS_REST;
            hist[h * S + s] = is_pitch(t) ? (uint8_t)token_of(pitch_of(t) - off) : (uint8_t)t;
        }
    gb_melgan_gen_opts_t o = *base;
    o.mode = mode;
    o.phrase_pos = b;
    o.chords = &cn;
    o.seed = base->seed + (uint64_t)b;
    const int rc = gb_melgan_generate(gen, critic, &o, hist, 4, out[b], NULL, err);
    if (rc < 0)
        return rc;
    for (int s = 0; s < bars[b].steps; s++)
        if (is_pitch(out[b][s]))
            out[b][s] = (uint8_t)token_of(pitch_of(out[b][s]) + off);
    int last = -1;
    for (int i = 0; i < b; i++)
        for (int s = 0; s < bars[i].steps; s++)
            last = is_pitch(out[i][s]) ? pitch_of(out[i][s]) : last;
    gb_accomp_shape(out[b], bars[b].steps, bars[b].num, bars[b].den, bars[b].chord,
                    bars[b].chord_root, scale, &last);
    return 0;
}

/* The progression of a tune: NB bars from b0 (after a pickup) in the tune's meter, each with
 * a chord; NULL when it has none. */
static const gb_abc_bar_t *progression(const gb_abc_tune_t *tu, const gb_mds_tune_t *m)
{
    const int b0 = tu->n_bars > 0 && tu->bars[0].pickup ? 1 : 0;
    if (tu->n_bars < b0 + NB)
        return NULL;
    for (int b = b0; b < b0 + NB; b++)
        if (tu->bars[b].steps != m->steps_per_bar || !tu->bars[b].chord ||
            tu->bars[b].steps > S)
            return NULL;
    return &tu->bars[b0];
}

static double share(long k, long n)
{
    return n ? (double)k / (double)n : NAN;
}

static void finish(const acc_sums_t *g, const acc_sums_t *r, gb_melody_accomp_t *out)
{
    out->strong_chord_tones = share(g->strong_ct, g->strong);
    out->strong_chord_tones_heldout = share(r->strong_ct, r->strong);
    out->in_key = share(g->in_key, g->notes);
    out->in_key_heldout = share(r->in_key, r->notes);
    out->above_chord = share(g->above, g->notes);
    out->above_chord_heldout = share(r->above, r->notes);
    out->mean_interval = g->intervals ? g->interval / (double)g->intervals : NAN;
    out->mean_interval_heldout = r->intervals ? r->interval / (double)r->intervals : NAN;
}

int gb_melody_accomp_by(const gb_melody_ds_t *ds, const char *abc_dir,
                        gb_melody_accompanist_fn fn, void *ctx, int seed,
                        gb_melody_accomp_t *out, gb_error_t *err)
{
    char dir[4200], tried[8192];
    memset(out, 0, sizeof *out);
    if (!abc_dir) {
        if (gb_share_file(GB_MELODY_CORPUS_ABC, dir, sizeof dir, tried, sizeof tried) < 0)
            return gb_error_set(err, GB_EIO, GB_MELODY_CORPUS_ABC " not found in %s", tried);
        abc_dir = dir;
    }
    gb_abc_corpus_t abc;
    int rc = gb_abc_corpus_load(abc_dir, &abc, err);
    if (rc < 0)
        return rc;
    acc_sums_t g = {0}, r = {0};
    for (int t = 0; rc == 0 && t < ds->n_tunes; t++) {
        const gb_mds_tune_t *m = &ds->tunes[t];
        const gb_abc_tune_t *tu = m->split == GB_MDS_TEST ? gb_abc_corpus_find(&abc, m->name)
                                                           : NULL;
        const gb_abc_bar_t *bars = tu ? progression(tu, m) : NULL;
        if (!bars)
            continue;
        int16_t gen[NB * S], real[S];
        rc = fn(ctx, bars, NB, (uint64_t)seed * 7919u + (uint64_t)t * 16u, gen, err);
        if (rc > 0) { /* a meter the accompanist does not take */
            rc = 0;
            continue;
        }
        int pg = -1, pr = -1;
        for (int b = 0; rc == 0 && b < NB; b++) {
            played(bars[b].tokens, real);
            measure(gen + b * S, &bars[b], &pg, &g);
            measure(real, &bars[b], &pr, &r);
            out->bars++;
        }
        out->tunes++;
    }
    if (rc == 0)
        finish(&g, &r, out);
    gb_abc_corpus_free(&abc);
    return rc;
}

/* The generator's accompanist (accomp_bar, bar after bar). */
typedef struct gen_accompanist {
    gb_nn_t *gen, *critic;
    int candidates, top_k;
} gen_accompanist_t;

static int gen_accomp(void *ctx, const gb_abc_bar_t *bars, int nb, uint64_t seed, int16_t *out,
                      gb_error_t *err)
{
    const gen_accompanist_t *a = ctx;
    uint8_t gen_bars[NB][S];
    const gb_melgan_gen_opts_t base = {
        .version = 2, .bars = 1, .num = bars[0].num, .den = bars[0].den, .density = -1,
        .seed = seed, .temperature = 1.0f, .top_k = a->top_k,
        .candidates = a->critic ? a->candidates : 1};
    for (int b = 0; b < nb && b < NB; b++) {
        const int rc = accomp_bar(a->gen, a->critic, bars, b, gen_bars, &base, err);
        if (rc < 0)
            return rc;
        played(gen_bars[b], out + b * S);
    }
    return 0;
}

int gb_melody_accomp(gb_nn_t *gen, gb_nn_t *critic, const gb_melody_ds_t *ds,
                     const char *abc_dir, int candidates, int top_k, int seed,
                     gb_melody_accomp_t *out, gb_error_t *err)
{
    gen_accompanist_t a = {gen, critic, candidates, top_k};
    return gb_melody_accomp_by(ds, abc_dir, gen_accomp, &a, seed, out, err);
}
