/* gb_melody_answers.c — how the melody GAN answers a call (gb_melody_answers.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_melody_answers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_abc.h"
#include "gb_call_key.h"
#include "gb_melody_ds_build.h"
#include "gb_melgan.h"
#include "gb_melody_answer.h"
#include "gb_melody_key.h"
#include "gb_share.h"

#define S GB_MDS_MAX_STEPS
#define NB 9 /* bars kept per tune: a pickup and the first 8-bar phrase */

/* A held-out tune's first bars in the normalised key. */
typedef struct tune {
    int ok, steps, num, den, mode, pk;
    int ref_tonic, ref_mode; /* the tune's own key, normalised: its ABC key, else the dataset's */
    uint8_t bar[NB][S];
} tune_t;

/* Running sums. */
typedef struct sums {
    long calls, key_ok, answers, notes, in_key, cad, cad_real, empty_n, empty_bad;
    double range_a, range_c;
    int *last_on;  /* per answer: onsets of the call's last bar */
    double *dens;  /* per answer: onsets per answer bar */
} sums_t;

static int is_pitch(int tok)
{
    return tok >= GB_MDS_PITCH_BASE && tok < GB_MDS_VOCAB;
}

static int fold(int p)
{
    while (p < GB_MDS_PITCH_LO)
        p += 12;
    while (p > GB_MDS_PITCH_HI)
        p -= 12;
    return p;
}

/* Bars moved by `by` semitones (each pitch folded into the token range). */
static void move(const uint8_t *in, int nb, int by, uint8_t *out)
{
    for (int i = 0; i < nb * S; i++) {
        const int t = in[i];
        out[i] = is_pitch(t) ? (uint8_t)(GB_MDS_PITCH_BASE +
                                         fold(GB_MDS_PITCH_LO + t - GB_MDS_PITCH_BASE + by) -
                                         GB_MDS_PITCH_LO)
                             : (uint8_t)t;
    }
}

/* Notes of nb consecutive bars (steps each) starting at step `at`. */
static size_t notes_of(const uint8_t *bars, int nb, int steps, int64_t at, gb_melody_note_t *n)
{
    size_t k = 0;
    for (int b = 0; b < nb; b++)
        for (int s = 0; s < steps; s++) {
            const int t = bars[b * S + s];
            const int64_t step = at + (int64_t)b * steps + s;
            if (is_pitch(t))
                n[k++] = (gb_melody_note_t){step, step + 1, GB_MDS_PITCH_LO + t - GB_MDS_PITCH_BASE};
            else if (t == GB_MDS_HOLD && k)
                n[k - 1].off = step + 1;
        }
    return k;
}

/* The key a tune's ABC file states at its call (K: in force at the call's last bar; its
 * modes mapped by gb_abc.h), moved as the dataset moved the tune; the dataset's key when the
 * tune has no ABC (abc NULL or not in it). Counts the tunes into out. */
static void own_key(const gb_abc_corpus_t *abc, const gb_mds_tune_t *m, tune_t *x,
                    gb_melody_answers_t *out)
{
    const gb_abc_tune_t *a = abc ? gb_abc_corpus_find(abc, m->name) : NULL;
    x->ref_tonic = x->mode ? 9 : 0;
    x->ref_mode = x->mode;
    if (!a || a->n_bars < 1) {
        out->key_ref_fallback++;
        return;
    }
    const gb_abc_bar_t *b = &a->bars[x->pk + 5 < a->n_bars ? x->pk + 5 : a->n_bars - 1];
    x->ref_tonic = ((b->tonic + m->shift) % 12 + 12) % 12;
    x->ref_mode = b->mode;
    out->key_ref_abc++;
    out->key_ref_agree += x->ref_tonic == (x->mode ? 9 : 0) && x->ref_mode == x->mode;
}

/* The test tunes' first NB bars (a bar without a record is all rests); ok when the tune has
 * a whole 8-bar phrase after its pickup in a meter the generator takes. */
static tune_t *collect(const gb_melody_ds_t *ds, const gb_abc_corpus_t *abc,
                       gb_melody_answers_t *out)
{
    tune_t *tu = calloc((size_t)ds->n_tunes + 1, sizeof *tu);
    if (!tu)
        return NULL;
    for (int t = 0; t < ds->n_tunes; t++) {
        const gb_mds_tune_t *m = &ds->tunes[t];
        tu[t] = (tune_t){.steps = m->steps_per_bar, .num = m->meter_num, .den = m->meter_den,
                         .mode = m->mode};
        memset(tu[t].bar, GB_MDS_REST, sizeof tu[t].bar);
        for (int b = 0; b < NB; b++)
            memset(tu[t].bar[b] + m->steps_per_bar, GB_MDS_PAD,
                   (size_t)(S - (m->steps_per_bar < S ? m->steps_per_bar : S)));
    }
    for (uint32_t r = 0; r < ds->n_records; r++) {
        const gb_mds_record_t *rec = &ds->records[r];
        if (rec->transpose == 0 && rec->split == GB_MDS_TEST && rec->bar < NB)
            memcpy(tu[rec->tune].bar[rec->bar], rec->target, S);
    }
    for (int t = 0; t < ds->n_tunes; t++) {
        const gb_mds_tune_t *m = &ds->tunes[t];
        tune_t *x = &tu[t];
        x->pk = x->bar[0][0] == GB_MDS_REST;
        x->ok = m->split == GB_MDS_TEST && m->meter_den > 0 && m->steps_per_bar <= S &&
                m->meter_num * 16 == m->steps_per_bar * m->meter_den &&
                m->bars >= 8 + x->pk;
        if (x->ok)
            own_key(abc, m, x, out);
    }
    return tu;
}

static int onsets(const uint8_t *bar, int steps)
{
    int n = 0;
    for (int s = 0; s < steps; s++)
        n += is_pitch(bar[s]);
    return n;
}

/* Lowest and highest pitch of bars (tokens) and the last one; -1 without notes. */
static int span(const uint8_t *bars, int nb, int steps, int *last)
{
    int lo = 999, hi = -1;
    *last = -1;
    for (int b = 0; b < nb; b++)
        for (int s = 0; s < steps; s++)
            if (is_pitch(bars[b * S + s])) {
                const int p = GB_MDS_PITCH_LO + bars[b * S + s] - GB_MDS_PITCH_BASE;
                lo = p < lo ? p : lo;
                hi = p > hi ? p : hi;
                *last = p;
            }
    return hi < 0 ? -1 : hi - lo;
}

/* The key's notes: major, or minor with both sixths and sevenths. */
static int key_notes(int tonic, int mode)
{
    return gb_key_scale(tonic, mode, 1) | (mode ? 1 << (tonic + 9) % 12 : 0);
}

/* Detect the key of the tune's call moved up by tr (`moved`: its 6 bars); count it. */
static void detect(const tune_t *x, const uint8_t *moved, int tr, sums_t *sm, int *tonic,
                   int *mode)
{
    static gb_melody_note_t before[4 * S * 2], call[2 * S];
    const size_t nb = notes_of(moved, 4, x->steps, 0, before);
    const size_t nc = notes_of(moved + 4 * S, 2, x->steps, 4 * x->steps, call);
    gb_call_key(call, nc, before, nb, x->num, x->den, tonic, mode);
    sm->calls++;
    sm->key_ok += *tonic == (x->ref_tonic + tr) % 12 && *mode == x->ref_mode;
}

/* Pitch range of nb answer bars (GB_MELODY_OUT_* or pitches) and their last pitch; -1
 * without notes. */
static int span_out(const int16_t *out, int nb, int steps, int *last)
{
    int lo = 999, hi = -1;
    *last = -1;
    for (int b = 0; b < nb; b++)
        for (int s = 0; s < steps; s++)
            if (out[b * S + s] >= 0) {
                const int p = out[b * S + s];
                lo = p < lo ? p : lo;
                hi = p > hi ? p : hi;
                *last = p;
            }
    return hi < 0 ? -1 : hi - lo;
}

static int onsets_out(const int16_t *bar, int steps)
{
    int n = 0;
    for (int s = 0; s < steps; s++)
        n += bar[s] >= 0;
    return n;
}

/* Count what the answer `out` to the tune's call moved up by tr is. */
static void measure(const tune_t *x, int tr, const int16_t *out, sums_t *sm)
{
    const int t0 = ((x->mode ? 9 : 0) + tr) % 12, scale = key_notes(t0, x->mode);
    for (int i = 0; i < 2 * x->steps; i++) {
        const int p = out[(i / x->steps) * S + i % x->steps];
        if (p >= 0) {
            sm->notes++;
            sm->in_key += (scale >> (p % 12)) & 1;
        }
    }
    int last, last_real;
    const int ra = span_out(out, 2, x->steps, &last);
    const int rcall = span(x->bar[x->pk + 4], 2, x->steps, &last_real);
    span(x->bar[x->pk + 6], 2, x->steps, &last_real);
    const int deg = last >= 0 ? ((last - t0) % 12 + 12) % 12 : -1;
    const int deg_r = last_real >= 0 ? ((last_real - (x->mode ? 9 : 0)) % 12 + 12) % 12 : -1;
    sm->cad += deg == 0 || deg == 7;
    sm->cad_real += deg_r == 0 || deg_r == 7;
    sm->range_a += ra > 0 ? ra : 0;
    sm->range_c += rcall > 0 ? rcall : 0;
    const int c4 = onsets(x->bar[x->pk + 4], x->steps), c5 = onsets(x->bar[x->pk + 5], x->steps);
    const int a0 = onsets_out(out, x->steps), a1 = onsets_out(out + S, x->steps);
    if (c4 >= 2 && c5 >= 2) {
        sm->empty_n++;
        sm->empty_bad += a0 < 2 || a1 < 2;
    }
    sm->last_on[sm->answers] = c5;
    sm->dens[sm->answers++] = (a0 + a1) / 2.0;
}

/* A call (moved: its 6 bars at real pitch) and its answer for a picture. */
static void show(gb_melody_answer_shown_t *sh, const char *tune, const tune_t *x,
                 const uint8_t *moved, const int16_t *ans, int tr)
{
    snprintf(sh->tune, sizeof sh->tune, "%s", tune);
    sh->steps = x->steps;
    sh->tonic = ((x->mode ? 9 : 0) + tr) % 12;
    sh->mode = x->mode;
    memcpy(sh->bars, moved + 4 * S, 2 * S);
    for (int i = 0; i < 2 * S; i++)
        sh->bars[2 * S + i] = ans[i] >= 0 ? (uint8_t)(GB_MDS_PITCH_BASE + fold(ans[i]) -
                                                      GB_MDS_PITCH_LO)
                              : ans[i] == GB_MELODY_OUT_HOLD ? GB_MDS_HOLD
                                                             : GB_MDS_REST;
}

/* The generator's answerer (gb_answer_generate, as `gbac generate melody --after`). */
typedef struct gen_answerer {
    gb_nn_t *gen, *critic;
    int candidates, top_k;
} gen_answerer_t;

static int gen_answer(void *ctx, const uint8_t *call, int steps, int num, int den, int tonic,
                      int mode, uint64_t seed, int16_t *out, gb_error_t *err)
{
    const gen_answerer_t *g = ctx;
    const int off = gb_melody_key_offset(tonic, mode);
    uint8_t hist[4 * S], bars[2 * S];
    for (int h = 0; h < 4; h++) /* the bar just before the answer first */
        move(call + (5 - h) * S, 1, -off, hist + h * S);
    const gb_melgan_gen_opts_t o = {.version = 2, .bars = 2, .num = num, .den = den,
                                    .mode = mode, .phrase_pos = 6, .density = 0, .seed = seed,
                                    .temperature = 1.0f, .top_k = g->top_k,
                                    .candidates = g->critic ? g->candidates : 1};
    const int rc = gb_answer_generate(g->gen, g->critic, &o, hist, 4, bars, err);
    if (rc < 0)
        return rc;
    for (int i = 0; i < 2 * S; i++)
        out[i] = (i % S) >= steps || !is_pitch(bars[i])
                     ? (bars[i] == GB_MDS_HOLD ? GB_MELODY_OUT_HOLD : GB_MELODY_OUT_REST)
                     : (int16_t)(GB_MDS_PITCH_LO + bars[i] - GB_MDS_PITCH_BASE + off);
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* Density after the dense and the sparse calls (split at the median of last_on). */
static void density(const sums_t *sm, gb_melody_answers_t *out)
{
    int *sorted = malloc(sizeof(int) * (size_t)(sm->answers + 1));
    double d = 0, s = 0;
    long nd = 0, ns = 0;
    if (sorted && sm->answers) {
        memcpy(sorted, sm->last_on, sizeof(int) * (size_t)sm->answers);
        qsort(sorted, (size_t)sm->answers, sizeof(int), cmp_int);
        const int med = sorted[sm->answers / 2];
        for (long i = 0; i < sm->answers; i++) {
            if (sm->last_on[i] > med) {
                d += sm->dens[i];
                nd++;
            } else if (sm->last_on[i] < med) {
                s += sm->dens[i];
                ns++;
            }
        }
    }
    free(sorted);
    out->answer_density_dense = nd ? d / nd : NAN;
    out->answer_density_sparse = ns ? s / ns : NAN;
    out->answer_density_ratio = out->answer_density_dense / out->answer_density_sparse;
}

static double share(long k, long n)
{
    return n ? (double)k / (double)n : NAN;
}

int gb_melody_answers_by(const gb_melody_ds_t *ds, gb_melody_answerer_fn fn, void *ctx,
                         int seed, gb_melody_answers_t *out, gb_error_t *err)
{
    memset(out, 0, sizeof *out);
    char dir[4200], tried[8192];
    gb_abc_corpus_t abc;
    gb_error_t aerr = {0};
    const int have_abc =
        gb_share_file(GB_MELODY_CORPUS_ABC, dir, sizeof dir, tried, sizeof tried) == 0 &&
        gb_abc_corpus_load(dir, &abc, &aerr) == 0;
    tune_t *tu = collect(ds, have_abc ? &abc : NULL, out);
    if (have_abc)
        gb_abc_corpus_free(&abc);
    sums_t sm = {0};
    sm.last_on = malloc(sizeof(int) * 3 * ((size_t)ds->n_tunes + 1));
    sm.dens = malloc(sizeof(double) * 3 * ((size_t)ds->n_tunes + 1));
    int rc = tu && sm.last_on && sm.dens ? 0 : gb_error_set(err, GB_ENOMEM, "out of memory");
    for (int t = 0; rc == 0 && t < ds->n_tunes; t++) {
        const tune_t *x = &tu[t];
        for (int tr = 0; rc == 0 && x->ok && tr < 12; tr++) {
            int tonic, mode;
            uint8_t moved[6 * S];
            int16_t ans[2 * S];
            move(x->bar[x->pk], 6, tr, moved);
            detect(x, moved, tr, &sm, &tonic, &mode);
            if (tr % 4 != t % 4)
                continue;
            rc = fn(ctx, moved, x->steps, x->num, x->den, tonic, mode,
                    (uint64_t)seed * 7919u + (uint64_t)t * 12u + (uint64_t)tr, ans, err);
            if (rc == 0)
                measure(x, tr, ans, &sm);
            if (rc == 0 && out->n_shown < GB_MELODY_ANSWERS_SHOWN &&
                (out->n_shown == 0 || strcmp(out->shown[out->n_shown - 1].tune,
                                             ds->tunes[t].name) != 0))
                show(&out->shown[out->n_shown++], ds->tunes[t].name, x, moved, ans, tr);
            rc = rc > 0 ? 0 : rc; /* a meter the answerer does not take */
        }
    }
    if (rc == 0) {
        out->calls = sm.calls;
        out->answers = sm.answers;
        out->key_from_call = share(sm.key_ok, sm.calls);
        out->answer_in_key = share(sm.in_key, sm.notes);
        out->answer_cadence = share(sm.cad, sm.answers);
        out->answer_cadence_heldout = share(sm.cad_real, sm.answers);
        out->answer_range_ratio = sm.range_c > 0 ? sm.range_a / sm.range_c : NAN;
        out->answer_empty_bars = share(sm.empty_bad, sm.empty_n);
        density(&sm, out);
    }
    free(tu);
    free(sm.last_on);
    free(sm.dens);
    return rc;
}

int gb_melody_answers(gb_nn_t *gen, gb_nn_t *critic, const gb_melody_ds_t *ds, int candidates,
                      int top_k, int seed, gb_melody_answers_t *out, gb_error_t *err)
{
    gen_answerer_t g = {gen, critic, candidates, top_k};
    return gb_melody_answers_by(ds, gen_answer, &g, seed, out, err);
}
