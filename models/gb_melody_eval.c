/* gb_melody_eval.c — the melody GAN against held-out tunes (gb_melody_eval.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_melody_eval.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "gb_melgan.h"
#include "gb_melody_accomp.h"
#include "gb_melody_answers.h"
#include "gb_melody_c2st.h"
#include "gb_melody_ds.h"
#include "gb_melody_gen.h"

#define S GB_MDS_MAX_STEPS
#define C2ST_TRAIN 3000 /* training rows of each class of the two-sample test */

void gb_melody_eval_config_init(gb_melody_eval_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->bars = 8;
    c->seed = 1;
    c->top_k = 6;
    c->candidates = 4;
}

/* One evaluated tune while it is generated. */
typedef struct phrase {
    int tune, bars, steps, num, den, mode;
    int pos0;         /* phrase position of generated bar 0 (after a pickup: 0) */
    uint8_t first[S]; /* the tune's first bar (context of generated bar 0) */
    uint32_t rec0;    /* index into the original-record list of real bar 1 */
    uint8_t *gen, *real;
} phrase_t;

/* Hashes of the training split's bars and 2-bar phrases, exact and transposition-free. */
typedef struct hashes {
    uint64_t *bar_x, *bar_t, *pair_x, *pair_t;
    int n_bar, n_pair;
} hashes_t;

/* Copy counts of 2-bar phrases (pairs of consecutive bars) and of single bars. */
typedef struct copies {
    long pairs, pair_exact, pair_tf, bars, bar_exact, bar_tf;
} copies_t;

/* Everything one evaluation holds. */
typedef struct eval {
    const gb_melody_eval_config_t *cfg;
    gb_melody_models_t m;
    gb_melody_ds_t *ds;
    uint32_t *orig, *first_of, *count_of; /* untransposed records, tune by tune */
    hashes_t h;
    phrase_t *ph;
    int n_ph;
    copies_t cg, cr;                      /* generated, real */
    double crit_g, crit_r;
    long n_crit;
} eval_t;

/* ---------------------------------------------------------------- the dataset */

static void hash_record(hashes_t *h, const gb_mds_record_t *rec)
{
    const int st = rec->steps_per_bar;
    h->bar_x[h->n_bar] = gb_mm_hash(rec->target, st, 0);
    h->bar_t[h->n_bar++] = gb_mm_hash(rec->target, st, 1);
    if (rec->flags & 1)
        return; /* no previous bar */
    uint8_t two[2 * S];
    memcpy(two, rec->context, (size_t)st);
    memcpy(two + st, rec->target, (size_t)st);
    h->pair_x[h->n_pair] = gb_mm_hash(two, 2 * st, 0);
    h->pair_t[h->n_pair++] = gb_mm_hash(two, 2 * st, 1);
}

/* The original (untransposed) records tune by tune, and the training hashes. */
static int index_dataset(eval_t *e, gb_error_t *err)
{
    const gb_melody_ds_t *ds = e->ds;
    const size_t nr = ds->n_records + 1u, nt = (size_t)ds->n_tunes + 1;
    e->orig = malloc(sizeof *e->orig * nr);
    e->first_of = calloc(nt, sizeof *e->first_of);
    e->count_of = calloc(nt, sizeof *e->count_of);
    e->h.bar_x = malloc(sizeof(uint64_t) * nr);
    e->h.bar_t = malloc(sizeof(uint64_t) * nr);
    e->h.pair_x = malloc(sizeof(uint64_t) * nr);
    e->h.pair_t = malloc(sizeof(uint64_t) * nr);
    e->ph = calloc(nt, sizeof *e->ph);
    if (!e->orig || !e->first_of || !e->count_of || !e->h.bar_x || !e->h.bar_t ||
        !e->h.pair_x || !e->h.pair_t || !e->ph)
        return gb_error_set(err, GB_ENOMEM, "out of memory");
    uint32_t n_orig = 0;
    for (uint32_t r = 0; r < ds->n_records; r++) {
        const gb_mds_record_t *rec = &ds->records[r];
        if (rec->transpose != 0)
            continue;
        if (!e->count_of[rec->tune]++)
            e->first_of[rec->tune] = n_orig;
        e->orig[n_orig++] = r;
        if (rec->split == GB_MDS_TRAIN)
            hash_record(&e->h, rec);
    }
    gb_mm_hash_sort(e->h.bar_x, e->h.n_bar);
    gb_mm_hash_sort(e->h.bar_t, e->h.n_bar);
    gb_mm_hash_sort(e->h.pair_x, e->h.n_pair);
    gb_mm_hash_sort(e->h.pair_t, e->h.n_pair);
    return 0;
}

/* ---------------------------------------------------------------- generation */

static void count_copies(const hashes_t *h, const uint8_t *bars, int nb, int steps,
                         copies_t *c)
{
    uint8_t two[2 * S];
    for (int b = 0; b < nb; b++) {
        const uint8_t *x = bars + (size_t)b * S;
        c->bars++;
        c->bar_exact += gb_mm_hash_find(h->bar_x, h->n_bar, gb_mm_hash(x, steps, 0));
        c->bar_tf += gb_mm_hash_find(h->bar_t, h->n_bar, gb_mm_hash(x, steps, 1));
        if (b == 0)
            continue;
        memcpy(two, x - S, (size_t)steps);
        memcpy(two + steps, x, (size_t)steps);
        c->pairs++;
        c->pair_exact += gb_mm_hash_find(h->pair_x, h->n_pair, gb_mm_hash(two, 2 * steps, 0));
        c->pair_tf += gb_mm_hash_find(h->pair_t, h->n_pair, gb_mm_hash(two, 2 * steps, 1));
    }
}

/* The critic's logit of `bar` after ctx2, ctx (NULL: silence) at phrase position pos. */
static double critic_score(gb_nn_t *critic, const phrase_t *p, const uint8_t *ctx2,
                           const uint8_t *ctx, const uint8_t *bar, int pos)
{
    float in[GB_MELGEN_CRIT_IN], sc = 0.0f;
    gb_melgen_cond_t c;
    memset(&c, 0, sizeof c);
    for (int i = 0; i < S; i++) {
        const uint8_t rest = i < p->steps ? GB_MDS_REST : GB_MDS_PAD;
        c.prev1[i] = ctx ? ctx[i] : rest;
        c.prev2[i] = ctx2 ? ctx2[i] : rest;
        c.prev4[i] = rest;
    }
    c.steps = p->steps;
    c.num = p->num;
    c.den = p->den;
    c.mode = p->mode;
    c.phrase_pos = pos;
    gb_melgen_critic_input(&c, bar, in);
    gb_nn_reset(critic);
    gb_nn_forward(critic, in, &sc, 1);
    return sc;
}

/* The phrase of test tune t, or NULL when the tune is too short or in a meter the
 * generator cannot take. */
static phrase_t *start_phrase(eval_t *e, int t, gb_error_t *err, int *rc)
{
    const gb_mds_tune_t *tu = &e->ds->tunes[t];
    *rc = 0;
    if (tu->split != GB_MDS_TEST || e->count_of[t] < 2)
        return NULL;
    phrase_t *p = &e->ph[e->n_ph];
    *p = (phrase_t){.tune = t, .num = tu->meter_num, .den = tu->meter_den,
                    .steps = tu->steps_per_bar, .mode = tu->mode};
    if (p->den <= 0 || p->num * 16 % p->den || p->num * 16 / p->den != p->steps || p->steps > S)
        return NULL;
    p->bars = (int)e->count_of[t] - 1 < e->cfg->bars ? (int)e->count_of[t] - 1 : e->cfg->bars;
    p->rec0 = e->first_of[t] + 1;
    const gb_mds_record_t *r0 = &e->ds->records[e->orig[e->first_of[t]]];
    memcpy(p->first, r0->target, S);
    /* a first bar starting with a rest is a pickup: the phrase starts with bar 1 */
    p->pos0 = r0->bar > 0 || r0->target[0] == GB_MDS_REST ? 0 : 1;
    p->gen = malloc((size_t)p->bars * S);
    p->real = malloc((size_t)p->bars * S);
    e->n_ph++; /* counted now: freed with the others */
    if (!p->gen || !p->real) {
        *rc = gb_error_set(err, GB_ENOMEM, "out of memory");
        return NULL;
    }
    for (int b = 0; b < p->bars; b++)
        memcpy(p->real + (size_t)b * S, e->ds->records[e->orig[p->rec0 + (uint32_t)b]].target,
               S);
    return p;
}

static void score_phrase(eval_t *e, const phrase_t *p)
{
    gb_nn_t *critic = gb_model_nn(e->m.critic);
    for (int b = 0; b < p->bars; b++) {
        const uint8_t *gc = b ? p->gen + (size_t)(b - 1) * S : p->first;
        const uint8_t *gc2 = b > 1 ? p->gen + (size_t)(b - 2) * S : b == 1 ? p->first : NULL;
        const gb_mds_record_t *rr = &e->ds->records[e->orig[p->rec0 + (uint32_t)b]];
        const gb_mds_record_t *rp = &e->ds->records[e->orig[p->rec0 + (uint32_t)b - 1]];
        const int pos = (p->pos0 + b) % GB_MELGEN_PHRASE;
        e->crit_g += critic_score(critic, p, gc2, gc, p->gen + (size_t)b * S, pos);
        e->crit_r += critic_score(critic, p, b ? rp->context : NULL, rr->context, rr->target,
                                  pos);
        e->n_crit++;
    }
}

static int generate(eval_t *e, gb_melody_eval_result_t *r, gb_error_t *err)
{
    for (int t = 0; t < e->ds->n_tunes; t++) {
        int rc;
        phrase_t *p = start_phrase(e, t, err, &rc);
        if (rc)
            return rc;
        if (!p)
            continue;
        gb_melgan_gen_opts_t o = {.version = 2, .bars = p->bars, .num = p->num, .den = p->den,
                                  .mode = p->mode, .phrase_pos = p->pos0, .density = -1,
                                  .seed = (uint64_t)e->cfg->seed + (uint64_t)t,
                                  .temperature = 1.0f, .top_k = e->cfg->top_k,
                                  .candidates = e->m.critic ? e->cfg->candidates : 1};
        if (gb_melgan_generate(gb_model_nn(e->m.gen),
                               e->m.critic ? gb_model_nn(e->m.critic) : NULL, &o, p->first, 1,
                               p->gen, NULL, err) < 0) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
            return gb_error_set(err, GB_EINVAL, "%s: %s", e->m.path, msg);
        }
        r->generated_bars += p->bars;
        count_copies(&e->h, p->gen, p->bars, p->steps, &e->cg);
        count_copies(&e->h, p->real, p->bars, p->steps, &e->cr);
        if (e->m.critic)
            score_phrase(e, p);
    }
    if (e->n_ph < 2)
        return gb_error_set(err, GB_EFORMAT,
                            "%s: %d test-split tune(s) with 2+ bars in a meter of at most %d "
                            "steps; at least 2 are needed (make the dataset with a larger test "
                            "share, --split)",
                            e->cfg->data, e->n_ph, S);
    return 0;
}

/* ---------------------------------------------------------------- measures */

/* OA, KL and mean distances of feature k over the phrases' features fg (generated) and fr
 * (real); d_rr, d_gg, d_gr are scratch of n(n-1)/2, n(n-1)/2 and n² entries. */
static void feature_overlap(const gb_mm_features_t *fg, const gb_mm_features_t *fr, int n,
                            int k, double *d_rr, double *d_gg, double *d_gr,
                            gb_melody_eval_result_t *r)
{
    const size_t n_intra = (size_t)n * (size_t)(n - 1) / 2, n_inter = (size_t)n * (size_t)n;
    size_t a = 0, b = 0;
    r->intra_real[k] = r->intra_gen[k] = r->inter[k] = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            d_gr[b] = gb_mm_feature_distance(&fg[i], &fr[j], k);
            r->inter[k] += d_gr[b++] / (double)n_inter;
            if (j <= i)
                continue;
            d_rr[a] = gb_mm_feature_distance(&fr[i], &fr[j], k);
            d_gg[a] = gb_mm_feature_distance(&fg[i], &fg[j], k);
            r->intra_real[k] += d_rr[a] / (double)n_intra;
            r->intra_gen[k] += d_gg[a++] / (double)n_intra;
        }
    r->oa[k] = gb_mm_overlap(d_rr, (int)n_intra, d_gr, (int)n_inter, &r->kl[k]);
}

static int features(const eval_t *e, gb_melody_eval_result_t *r, gb_error_t *err)
{
    const int n = e->n_ph;
    const size_t n_intra = (size_t)n * (size_t)(n - 1) / 2, n_inter = (size_t)n * (size_t)n;
    gb_mm_features_t *fg = malloc(sizeof *fg * (size_t)n), *fr = malloc(sizeof *fr * (size_t)n);
    double *d_rr = malloc(sizeof *d_rr * n_intra), *d_gg = malloc(sizeof *d_gg * n_intra);
    double *d_gr = malloc(sizeof *d_gr * n_inter);
    int rc = fg && fr && d_rr && d_gg && d_gr ? 0 : gb_error_set(err, GB_ENOMEM, "out of memory");
    for (int i = 0; rc == 0 && i < n; i++) {
        gb_mm_features(e->ph[i].gen, e->ph[i].bars * S, &fg[i]);
        gb_mm_features(e->ph[i].real, e->ph[i].bars * S, &fr[i]);
        r->scale_consistency += gb_mm_scale_consistency(fg[i].pc_hist) / n;
        r->scale_consistency_real += gb_mm_scale_consistency(fr[i].pc_hist) / n;
        r->pitch_class_entropy += gb_mm_pc_entropy(fg[i].pc_hist) / n;
        r->pitch_class_entropy_real += gb_mm_pc_entropy(fr[i].pc_hist) / n;
    }
    for (int k = 0; rc == 0 && k < GB_MM_N_FEATURES; k++)
        feature_overlap(fg, fr, n, k, d_rr, d_gg, d_gr, r);
    free(fg);
    free(fr);
    free(d_rr);
    free(d_gg);
    free(d_gr);
    return rc;
}

static double share(long k, long n)
{
    return n > 0 ? (double)k / (double)n : NAN;
}

/* Phrase form of the generated and real phrases. */
static void phrase_form(const eval_t *e, gb_melody_eval_result_t *r)
{
    gb_mm_form_t g = {0}, h = {0};
    for (int i = 0; i < e->n_ph; i++) {
        const phrase_t *p = &e->ph[i];
        gb_mm_phrase_form(p->gen, p->bars, p->steps, p->pos0, p->mode, &g);
        gb_mm_phrase_form(p->real, p->bars, p->steps, p->pos0, p->mode, &h);
    }
    r->phrase_repeat = share(g.repeats, g.compared);
    r->phrase_repeat_heldout = share(h.repeats, h.compared);
    r->phrase_variation = share(g.variations, g.compared);
    r->phrase_variation_heldout = share(h.variations, h.compared);
    r->phrase_end_tonic_dominant = share(g.ends_td, g.ends);
    r->phrase_end_tonic_dominant_heldout = share(h.ends_td, h.ends);
}

/* The classifier two-sample test: held-out rows are every phrase's bars after the bar
 * before them, real and generated; training rows come from the train split. */
static int two_sample(const eval_t *e, gb_melody_eval_result_t *r, gb_error_t *err)
{
    const long n = r->generated_bars;
    float *rows = malloc(sizeof(float) * 2 * (size_t)(n + 1) * GB_C2ST_IN);
    if (!rows)
        return gb_error_set(err, GB_ENOMEM, "out of memory");
    float *rt = rows, *ft = rows + (size_t)(n + 1) * GB_C2ST_IN;
    long k = 0;
    for (int i = 0; i < e->n_ph; i++) {
        const phrase_t *p = &e->ph[i];
        for (int b = 0; b < p->bars; b++, k++) {
            gb_c2st_features(b ? p->real + (size_t)(b - 1) * S : p->first,
                             p->real + (size_t)b * S, p->steps, p->num, p->den,
                             rt + (size_t)k * GB_C2ST_IN);
            gb_c2st_features(b ? p->gen + (size_t)(b - 1) * S : p->first,
                             p->gen + (size_t)b * S, p->steps, p->num, p->den,
                             ft + (size_t)k * GB_C2ST_IN);
        }
    }
    const gb_melgan_gen_opts_t o = {.version = 2, .temperature = 1.0f, .top_k = e->cfg->top_k,
                                    .density = -1,
                                    .candidates = e->m.critic ? e->cfg->candidates : 1,
                                    .seed = (uint64_t)e->cfg->seed};
    r->c2st_accuracy = gb_c2st_generator(gb_model_nn(e->m.gen),
                                         e->m.critic ? gb_model_nn(e->m.critic) : NULL, e->ds,
                                         C2ST_TRAIN, &o, rt, (int)k, ft, (int)k, err);
    free(rows);
    return isfinite(r->c2st_accuracy) ? 0 : (err && err->code ? err->code : GB_EINVAL);
}

/* Copy rates and critic means, and the phrases handed to the caller. */
static int finish(eval_t *e, gb_melody_eval_result_t *r, gb_error_t *err)
{
    r->copy_rate_generated = share(e->cg.pair_exact, e->cg.pairs);
    r->copy_rate_heldout = share(e->cr.pair_exact, e->cr.pairs);
    r->copy_rate_generated_transposed = share(e->cg.pair_tf, e->cg.pairs);
    r->copy_rate_heldout_transposed = share(e->cr.pair_tf, e->cr.pairs);
    r->bar_copy_rate_generated = share(e->cg.bar_exact, e->cg.bars);
    r->bar_copy_rate_heldout = share(e->cr.bar_exact, e->cr.bars);
    r->bar_copy_rate_generated_transposed = share(e->cg.bar_tf, e->cg.bars);
    r->bar_copy_rate_heldout_transposed = share(e->cr.bar_tf, e->cr.bars);
    r->critic_generated = e->n_crit ? e->crit_g / e->n_crit : NAN;
    r->critic_real = e->n_crit ? e->crit_r / e->n_crit : NAN;
    r->has_critic = e->m.critic != NULL;
    r->phrases = e->n_ph;
    if (!(r->phrase = calloc((size_t)e->n_ph, sizeof *r->phrase)))
        return gb_error_set(err, GB_ENOMEM, "out of memory");
    for (int i = 0; i < e->n_ph; i++) {
        phrase_t *p = &e->ph[i];
        gb_melody_eval_phrase_t *q = &r->phrase[i];
        snprintf(q->name, sizeof q->name, "%s", e->ds->tunes[p->tune].name);
        q->bars = p->bars;
        q->steps = p->steps;
        q->gen = p->gen;
        q->real = p->real;
        p->gen = p->real = NULL; /* the result's now */
    }
    return 0;
}

/* Answers to calls (gb_melody_answers.h). */
static int answers(const eval_t *e, gb_melody_eval_result_t *r, gb_error_t *err)
{
    gb_melody_answers_t a;
    const int rc = gb_melody_answers(gb_model_nn(e->m.gen),
                                     e->m.critic ? gb_model_nn(e->m.critic) : NULL, e->ds,
                                     e->cfg->candidates, e->cfg->top_k, e->cfg->seed, &a, err);
    r->key_from_call = a.key_from_call;
    r->answer_in_key = a.answer_in_key;
    r->answer_cadence = a.answer_cadence;
    r->answer_cadence_heldout = a.answer_cadence_heldout;
    r->answer_range_ratio = a.answer_range_ratio;
    r->answer_empty_bars = a.answer_empty_bars;
    r->answer_density_dense = a.answer_density_dense;
    r->answer_density_sparse = a.answer_density_sparse;
    r->answer_density_ratio = a.answer_density_ratio;
    r->answer_calls = a.calls;
    r->answers = a.answers;
    r->key_ref_abc = a.key_ref_abc;
    r->key_ref_fallback = a.key_ref_fallback;
    r->key_ref_agree = a.key_ref_agree;
    r->n_shown = a.n_shown;
    memcpy(r->shown, a.shown, sizeof r->shown);
    if (rc)
        return rc;
    gb_melody_accomp_t c;
    const int rc2 = gb_melody_accomp(gb_model_nn(e->m.gen),
                                     e->m.critic ? gb_model_nn(e->m.critic) : NULL, e->ds, NULL,
                                     e->cfg->candidates, e->cfg->top_k, e->cfg->seed, &c, err);
    r->acc_strong_chord_tones = c.strong_chord_tones;
    r->acc_strong_chord_tones_heldout = c.strong_chord_tones_heldout;
    r->acc_in_key = c.in_key;
    r->acc_in_key_heldout = c.in_key_heldout;
    r->acc_above_chord = c.above_chord;
    r->acc_above_chord_heldout = c.above_chord_heldout;
    r->acc_mean_interval = c.mean_interval;
    r->acc_mean_interval_heldout = c.mean_interval_heldout;
    r->acc_bars = c.bars;
    return rc2;
}

static void eval_free(eval_t *e)
{
    for (int i = 0; e->ph && i < e->n_ph; i++) {
        free(e->ph[i].gen);
        free(e->ph[i].real);
    }
    free(e->ph);
    free(e->h.bar_x);
    free(e->h.bar_t);
    free(e->h.pair_x);
    free(e->h.pair_t);
    free(e->orig);
    free(e->first_of);
    free(e->count_of);
    gb_melody_ds_free(e->ds);
    gb_melody_models_free(&e->m);
}

int gb_melody_eval(const gb_melody_eval_config_t *c, gb_melody_eval_result_t *r,
                   gb_error_t *err)
{
    eval_t e = {.cfg = c};
    memset(r, 0, sizeof *r);
    int rc = gb_melody_models_load(c->model, 1, c->candidates, &e.m, err);
    if (rc == 0) {
        snprintf(r->model, sizeof r->model, "%s", e.m.path);
        snprintf(r->critic, sizeof r->critic, "%s", e.m.critic_path);
        if (!(e.ds = gb_melody_ds_load(c->data, err)))
            rc = err && err->code ? err->code : GB_EIO;
    }
    if (rc == 0)
        rc = index_dataset(&e, err);
    if (rc == 0)
        rc = generate(&e, r, err);
    if (rc == 0)
        rc = answers(&e, r, err);
    if (rc == 0)
        rc = features(&e, r, err);
    if (rc == 0) {
        phrase_form(&e, r);
        rc = two_sample(&e, r, err);
    }
    if (rc == 0)
        rc = finish(&e, r, err);
    eval_free(&e);
    if (rc)
        gb_melody_eval_result_free(r);
    return rc;
}

void gb_melody_eval_result_free(gb_melody_eval_result_t *r)
{
    for (int i = 0; r && r->phrase && i < r->phrases; i++) {
        free(r->phrase[i].gen);
        free(r->phrase[i].real);
    }
    if (r) {
        free(r->phrase);
        r->phrase = NULL;
    }
}

/* ---------------------------------------------------------------- JSON */

/* The scalar measures in the JSON, in order; the per-feature ones come first. */
#define F(name) {#name, offsetof(gb_melody_eval_result_t, name)}
static const struct {
    const char *key;
    size_t off;
} json_fields[] = {
    F(copy_rate_generated),
    F(copy_rate_heldout),
    F(copy_rate_generated_transposed),
    F(copy_rate_heldout_transposed),
    F(bar_copy_rate_generated),
    F(bar_copy_rate_heldout),
    F(bar_copy_rate_generated_transposed),
    F(bar_copy_rate_heldout_transposed),
    F(scale_consistency),
    F(scale_consistency_real),
    F(pitch_class_entropy),
    F(pitch_class_entropy_real),
    F(critic_generated),
    F(critic_real),
    F(c2st_accuracy),
    F(phrase_repeat),
    F(phrase_repeat_heldout),
    F(phrase_variation),
    F(phrase_variation_heldout),
    F(phrase_end_tonic_dominant),
    F(phrase_end_tonic_dominant_heldout),
    F(key_from_call),
    F(answer_in_key),
    F(answer_cadence),
    F(answer_cadence_heldout),
    F(answer_range_ratio),
    F(answer_empty_bars),
    F(answer_density_dense),
    F(answer_density_sparse),
    F(answer_density_ratio),
    F(acc_strong_chord_tones),
    F(acc_strong_chord_tones_heldout),
    F(acc_in_key),
    F(acc_in_key_heldout),
    F(acc_above_chord),
    F(acc_above_chord_heldout),
    F(acc_mean_interval),
    F(acc_mean_interval_heldout),
};
#undef F

/* A number, or null when it is not finite (no data for it). */
static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *gb_melody_eval_json(const gb_melody_eval_result_t *r)
{
    json_t *o = json_object();
    char key[64];
    int bad = !o;
    for (int k = 0; !bad && k < GB_MM_N_FEATURES; k++) {
        snprintf(key, sizeof key, "oa_%s", gb_mm_feature_name(k));
        bad |= json_object_set_new(o, key, jnum(r->oa[k]));
        snprintf(key, sizeof key, "kl_%s", gb_mm_feature_name(k));
        bad |= json_object_set_new(o, key, jnum(r->kl[k]));
    }
    for (size_t i = 0; !bad && i < sizeof json_fields / sizeof json_fields[0]; i++)
        bad |= json_object_set_new(o, json_fields[i].key,
                                   jnum(*(const double *)((const char *)r + json_fields[i].off)));
    if (!bad)
        bad |= json_object_set_new(o, "phrases", json_integer(r->phrases));
    if (!bad)
        bad |= json_object_set_new(o, "generated_bars", json_integer(r->generated_bars));
    if (!bad)
        bad |= json_object_set_new(o, "answer_calls", json_integer(r->answer_calls));
    if (!bad)
        bad |= json_object_set_new(o, "answers", json_integer(r->answers));
    if (!bad)
        bad |= json_object_set_new(o, "acc_bars", json_integer(r->acc_bars));
    if (!bad)
        bad |= json_object_set_new(o, "key_ref_abc", json_integer(r->key_ref_abc));
    if (!bad)
        bad |= json_object_set_new(o, "key_ref_fallback", json_integer(r->key_ref_fallback));
    if (!bad)
        bad |= json_object_set_new(o, "key_ref_agree", json_integer(r->key_ref_agree));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}
