/* gb_melgan.c — the melody GAN: features, per-step softmax loss, MLE training of the
 * generator, critic training, sampling, generation and model files.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_melgan.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gb_modelfile.h"

#define S GB_MDS_MAX_STEPS
#define V GB_MDS_VOCAB
#define VAL_CAP 4000 /* validation records evaluated per epoch (strided) */

struct gb_melgan {
    gb_melgan_config_t cfg;
    gb_mlp_t *gen, *crit;
    gb_adam_t *adam_g, *adam_c;
    float *best;
    uint64_t rng;
    float *gin, *dout, *cin, *cdout;
    uint8_t *fake;
};

gb_melgan_config_t gb_melgan_config_default(void)
{
    gb_melgan_config_t c = {
        .version = 1, .hidden = 256, .critic_hidden = 128, .epochs = 12, .critic_epochs = 3,
        .batch = 64, .per_epoch = 60000, .patience = 3, .lr = 1e-3f, .seed = 1, .progress = 0,
    };
    return c;
}

uint64_t gb_melgan_rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s) GB_RT
{
    return ((double)(gb_melgan_rng_next(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

float gb_melgan_rng_normal(uint64_t *s)
{
    double u1 = rng_unit(s), u2 = rng_unit(s);
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * GB_PI * u2));
}

/* ---- features -------------------------------------------------------------------------- */

int gb_melgan_meter_class(int num, int den)
{
    if (num == 4 && den == 4)
        return 0;
    if (num == 3 && den == 4)
        return 1;
    if (num == 6 && den == 8)
        return 2;
    return 3;
}

void gb_melgan_bar_features(const uint8_t *bar, int steps, float *out)
{
    memset(out, 0, GB_MELGAN_BAR_FEAT * sizeof(float));
    int pitch = -1; /* the pitch sounding, for holds */
    for (int i = 0; i < S && i < steps; i++) {
        float *f = out + 4 * i;
        int t = bar[i];
        if (t == GB_MDS_REST || t == GB_MDS_PAD) {
            f[0] = 1.0f;
            pitch = -1;
        } else if (t == GB_MDS_HOLD) {
            f[1] = 1.0f;
            if (pitch >= 0)
                f[3] = (float)(pitch - 72) / 12.0f;
        } else {
            pitch = GB_MDS_PITCH_LO + t - GB_MDS_PITCH_BASE;
            f[2] = 1.0f;
            f[3] = (float)(pitch - 72) / 12.0f;
        }
        if (pitch >= 0)
            out[4 * S + pitch % 12] += 1.0f / (float)steps;
    }
}

static void cond_features(const uint8_t *context, int steps, int num, int den, int mode,
                          int key, float *out) GB_RT
{
    gb_melgan_bar_features(context, steps, out);
    float *m = out + GB_MELGAN_BAR_FEAT;
    for (int k = 0; k < 4; k++)
        m[k] = 0.0f;
    m[gb_melgan_meter_class(num, den)] = 1.0f;
    m[4] = (float)steps / 16.0f;
    m[5] = mode ? 1.0f : 0.0f;
    for (int k = 0; k < 12; k++)
        m[6 + k] = 0.0f;
    m[6 + ((key % 12) + 12) % 12] = 1.0f;
}

void gb_melgan_gen_input(const uint8_t *context, int steps, int num, int den, int mode,
                         int key, int density, const float *z, float *out)
{
    cond_features(context, steps, num, den, mode, key, out);
    out[GB_MELGAN_COND] = (float)density / 16.0f;
    for (int k = 0; k < GB_MELGAN_Z; k++)
        out[GB_MELGAN_COND + 1 + k] = z ? z[k] : 0.0f;
}

void gb_melgan_critic_input(const uint8_t *context, int steps, int num, int den, int mode,
                            int key, const uint8_t *bar, float *out)
{
    cond_features(context, steps, num, den, mode, key, out);
    gb_melgan_bar_features(bar, steps, out + GB_MELGAN_COND);
}

/* ---- loss ------------------------------------------------------------------------------ */

double gb_melgan_bar_ce(const float *logits, const uint8_t *target, int steps, float scale,
                        float *dlogits, int *correct)
{
    double ce = 0.0;
    int hits = 0;
    if (dlogits)
        memset(dlogits, 0, GB_MELGAN_GEN_OUT * sizeof(float));
    for (int i = 0; i < steps && i < S; i++) {
        const float *y = logits + i * V;
        int best = 0;
        double mx = y[0];
        for (int k = 1; k < V; k++)
            if (y[k] > mx) {
                mx = y[k];
                best = k;
            }
        double s = 0.0;
        for (int k = 0; k < V; k++)
            s += exp(y[k] - mx);
        double lse = mx + log(s);
        int t = target[i] < V ? target[i] : GB_MDS_REST;
        ce += lse - y[t];
        hits += best == t;
        if (dlogits) {
            float *d = dlogits + i * V;
            for (int k = 0; k < V; k++)
                d[k] = scale * (float)exp(y[k] - lse);
            d[t] -= scale;
        }
    }
    if (correct)
        *correct = hits;
    return ce;
}

/* ---- sampling -------------------------------------------------------------------------- */

void gb_melgan_sample(const float *logits, int steps, float temperature, int top_k, int prev,
                      uint64_t *rng, uint8_t *bar)
{
    if (!(temperature > 0.0f))
        temperature = 1.0f;
    if (top_k <= 0 || top_k > V)
        top_k = V;
    for (int i = 0; i < S; i++) {
        if (i >= steps) {
            bar[i] = GB_MDS_PAD;
            continue;
        }
        const float *y = logits + i * V;
        double p[V];
        int allowed[V];
        for (int k = 0; k < V; k++)
            allowed[k] = !(k == GB_MDS_HOLD && (prev == GB_MDS_REST || prev == GB_MDS_PAD));
        if (top_k < V) { /* keep the top_k largest allowed logits */
            int keep[V] = {0};
            for (int n = 0; n < top_k; n++) {
                int b = -1;
                for (int k = 0; k < V; k++)
                    if (allowed[k] && !keep[k] && (b < 0 || y[k] > y[b]))
                        b = k;
                if (b < 0)
                    break;
                keep[b] = 1;
            }
            for (int k = 0; k < V; k++)
                allowed[k] = keep[k];
        }
        double mx = -INFINITY, sum = 0.0;
        for (int k = 0; k < V; k++)
            if (allowed[k] && y[k] > mx)
                mx = y[k];
        for (int k = 0; k < V; k++)
            sum += p[k] = allowed[k] ? exp((y[k] - mx) / temperature) : 0.0;
        double u = rng_unit(rng) * sum, c = 0.0;
        int t = GB_MDS_REST;
        for (int k = 0; k < V; k++) {
            if (p[k] <= 0.0)
                continue;
            t = k;
            c += p[k];
            if (u < c)
                break;
        }
        bar[i] = (uint8_t)t;
        prev = t == GB_MDS_HOLD ? prev : t;
    }
}

static int last_token(const uint8_t *bar, int steps) GB_RT
{
    int prev = GB_MDS_REST;
    for (int i = 0; i < steps && i < S; i++)
        if (bar[i] != GB_MDS_HOLD)
            prev = bar[i] == GB_MDS_PAD ? GB_MDS_REST : bar[i];
    return prev;
}

static int onsets(const uint8_t *bar, int steps) GB_RT
{
    int n = 0;
    for (int i = 0; i < steps && i < S; i++)
        n += bar[i] >= GB_MDS_PITCH_BASE && bar[i] != GB_MDS_PAD;
    return n;
}

int gb_melgan_generate(gb_nn_t *gen, gb_nn_t *critic, const gb_melgan_gen_opts_t *o,
                       const uint8_t *first_context, uint8_t *bars, float *scores,
                       gb_error_t *err)
{
    int steps = o && o->den > 0 ? o->num * 16 / o->den : 0;
    if (!gen || !o || !bars || o->bars < 1 || steps < 1 || steps > S ||
        o->num * 16 % o->den != 0 || o->candidates < 1 || o->candidates > 64 ||
        gb_nn_in_dim(gen) != GB_MELGAN_GEN_IN || gb_nn_out_dim(gen) != GB_MELGAN_GEN_OUT ||
        (critic && (gb_nn_in_dim(critic) != GB_MELGAN_CRIT_IN || gb_nn_out_dim(critic) != 1)))
        return gb_error_set(err, GB_EINVAL,
                            "melody generation: bad arguments (model sizes, meter with at most "
                            "%d 16th steps, 1..64 candidates)", S);
    uint64_t rng = o->seed * 0x2545f4914f6cdd1dull + 0x1234567ull;
    uint8_t ctx[S], cand[S];
    float in[GB_MELGAN_GEN_IN], cin[GB_MELGAN_CRIT_IN], z[GB_MELGAN_Z];
    float *lg = malloc(GB_MELGAN_GEN_OUT * sizeof(float));
    if (!lg)
        return gb_error_set(err, GB_ENOMEM, "melody generation: out of memory");
    for (int i = 0; i < S; i++)
        ctx[i] = first_context ? first_context[i] : (i < steps ? GB_MDS_REST : GB_MDS_PAD);
    int default_density = steps / 2;
    for (int b = 0; b < o->bars; b++) {
        int dens = onsets(ctx, steps);
        if (dens == 0)
            dens = default_density;
        float best_score = -INFINITY;
        uint8_t *out = bars + (size_t)b * S;
        for (int k = 0; k < o->candidates; k++) {
            for (int d = 0; d < GB_MELGAN_Z; d++)
                z[d] = gb_melgan_rng_normal(&rng);
            gb_melgan_gen_input(ctx, steps, o->num, o->den, o->mode, 0, dens, z, in);
            gb_nn_reset(gen);
            gb_nn_forward(gen, in, lg, 1);
            gb_melgan_sample(lg, steps, o->temperature, o->top_k, last_token(ctx, steps), &rng,
                             cand);
            float sc = 0.0f;
            if (critic) {
                gb_melgan_critic_input(ctx, steps, o->num, o->den, o->mode, 0, cand, cin);
                gb_nn_reset(critic);
                gb_nn_forward(critic, cin, &sc, 1);
            }
            if (k == 0 || sc > best_score) {
                best_score = sc;
                memcpy(out, cand, S);
            }
        }
        if (scores)
            scores[b] = critic ? best_score : 0.0f;
        memcpy(ctx, out, S);
    }
    free(lg);
    return 0;
}

/* ---- the trainer ----------------------------------------------------------------------- */

gb_melgan_t *gb_melgan_new(const gb_melgan_config_t *cfg, gb_error_t *err)
{
    if (!cfg || cfg->hidden < 1 || cfg->hidden > GB_NN_MAX_DIM || cfg->critic_hidden < 1 ||
        cfg->critic_hidden > GB_NN_MAX_DIM || cfg->batch < 1 || cfg->batch > 128 ||
        cfg->epochs < 0 || cfg->critic_epochs < 0 || cfg->per_epoch < 0 ||
        cfg->patience < 0 || !(cfg->lr > 0.0f)) {
        gb_error_set(err, GB_EINVAL, "melody GAN: bad configuration (hidden 1..%d, batch "
                                     "1..128, lr > 0, epochs >= 0)", GB_NN_MAX_DIM);
        return NULL;
    }
    gb_melgan_t *g = calloc(1, sizeof *g);
    if (!g)
        goto nomem;
    g->cfg = *cfg;
    int go[3] = {cfg->hidden, cfg->hidden, GB_MELGAN_GEN_OUT};
    int co[3] = {cfg->critic_hidden, cfg->critic_hidden, 1};
    gb_act_kind_t acts[3] = {GB_ACT_RELU, GB_ACT_RELU, GB_ACT_LINEAR};
    g->gen = gb_mlp_new(GB_MELGAN_GEN_IN, 3, go, acts, cfg->batch, err);
    g->crit = g->gen ? gb_mlp_new(GB_MELGAN_CRIT_IN, 3, co, acts, 2 * cfg->batch, err) : NULL;
    if (!g->gen || !g->crit) {
        gb_melgan_free(g);
        return NULL;
    }
    gb_mlp_init(g->gen, cfg->seed);
    gb_mlp_init(g->crit, (uint64_t)cfg->seed + 0x51ed27ull);
    g->rng = (uint64_t)cfg->seed ^ 0x6d656c6f647967ull;
    size_t B = (size_t)cfg->batch;
    g->adam_g = gb_adam_new(gb_mlp_n_params(g->gen), 0.9f, 0.999f, 1e-8f);
    g->adam_c = gb_adam_new(gb_mlp_n_params(g->crit), 0.9f, 0.999f, 1e-8f);
    g->best = malloc(gb_mlp_n_params(g->gen) * sizeof(float));
    g->gin = malloc(B * GB_MELGAN_GEN_IN * sizeof(float));
    g->dout = malloc(B * GB_MELGAN_GEN_OUT * sizeof(float));
    g->cin = malloc(2 * B * GB_MELGAN_CRIT_IN * sizeof(float));
    g->cdout = malloc(2 * B * sizeof(float));
    g->fake = malloc(B * S);
    if (!g->adam_g || !g->adam_c || !g->best || !g->gin || !g->dout || !g->cin || !g->cdout ||
        !g->fake) {
        gb_melgan_free(g);
        goto nomem;
    }
    return g;
nomem:
    gb_error_set(err, GB_ENOMEM, "melody GAN: out of memory");
    return NULL;
}

void gb_melgan_free(gb_melgan_t *g)
{
    if (!g)
        return;
    gb_mlp_free(g->gen);
    gb_mlp_free(g->crit);
    gb_adam_free(g->adam_g);
    gb_adam_free(g->adam_c);
    free(g->best);
    free(g->gin);
    free(g->dout);
    free(g->cin);
    free(g->cdout);
    free(g->fake);
    free(g);
}

gb_mlp_t *gb_melgan_generator(gb_melgan_t *g)
{
    return g ? g->gen : NULL;
}

gb_mlp_t *gb_melgan_critic(gb_melgan_t *g)
{
    return g ? g->crit : NULL;
}

static void rec_gen_input(const gb_mds_record_t *r, const float *z, float *out)
{
    gb_melgan_gen_input(r->context, r->steps_per_bar, r->meter_num, r->meter_den, r->mode,
                        r->transpose, r->density, z, out);
}

double gb_melgan_eval(gb_melgan_t *g, const gb_melody_ds_t *ds, gb_mds_split_t split,
                      double *acc)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < ds->n_records; i++)
        n += ds->records[i].split == split;
    if (!n)
        return NAN;
    uint32_t stride = n > VAL_CAP ? (n + VAL_CAP - 1) / VAL_CAP : 1, seen = 0;
    const gb_mds_record_t *rows[128];
    double ce = 0.0;
    long steps = 0, hits = 0;
    int nb = 0, B = g->cfg.batch;
    for (uint32_t i = 0; i <= ds->n_records; i++) {
        int flush = i == ds->n_records;
        if (!flush && ds->records[i].split == split && seen++ % stride == 0)
            rows[nb++] = &ds->records[i];
        if (nb == B || (flush && nb)) {
            for (int b = 0; b < nb; b++)
                rec_gen_input(rows[b], NULL, g->gin + (size_t)b * GB_MELGAN_GEN_IN);
            const float *y = gb_mlp_forward(g->gen, g->gin, nb);
            for (int b = 0; b < nb; b++) {
                int c;
                ce += gb_melgan_bar_ce(y + (size_t)b * GB_MELGAN_GEN_OUT, rows[b]->target,
                                       rows[b]->steps_per_bar, 0.0f, NULL, &c);
                hits += c;
                steps += rows[b]->steps_per_bar;
            }
            nb = 0;
        }
    }
    if (acc)
        *acc = steps ? (double)hits / (double)steps : NAN;
    return steps ? ce / (double)steps : NAN;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void progress(const char *phase, double elapsed, double done, double total, int epoch,
                     int epochs, double loss, double val)
{
    double eta = done > 0.0 ? elapsed / done * (total - done) : 0.0;
    long t = (long)(eta + 0.5);
    char vs[32];
    if (isfinite(val))
        snprintf(vs, sizeof vs, "%.4f", val);
    else
        snprintf(vs, sizeof vs, "-");
    fprintf(stderr, "\rtrain melody: %s epoch %d/%d  loss %.4f  val %s  ETA %ldm%02lds   ", phase,
            epoch + 1, epochs, loss, vs, t / 60, t % 60);
}

/* Bars sampled from the generator for records rows[0..n) into g->fake. */
static void sample_fakes(gb_melgan_t *g, const gb_mds_record_t *const *rows, int n)
{
    float z[GB_MELGAN_Z];
    for (int b = 0; b < n; b++) {
        for (int d = 0; d < GB_MELGAN_Z; d++)
            z[d] = gb_melgan_rng_normal(&g->rng);
        rec_gen_input(rows[b], z, g->gin + (size_t)b * GB_MELGAN_GEN_IN);
    }
    const float *y = gb_mlp_forward(g->gen, g->gin, n);
    for (int b = 0; b < n; b++)
        gb_melgan_sample(y + (size_t)b * GB_MELGAN_GEN_OUT, rows[b]->steps_per_bar, 1.0f, 0,
                         last_token(rows[b]->context, rows[b]->steps_per_bar), &g->rng,
                         g->fake + (size_t)b * S);
}

static void critic_rows(gb_melgan_t *g, const gb_mds_record_t *const *rows, int n)
{
    for (int b = 0; b < n; b++) {
        const gb_mds_record_t *r = rows[b];
        gb_melgan_critic_input(r->context, r->steps_per_bar, r->meter_num, r->meter_den,
                               r->mode, r->transpose, r->target,
                               g->cin + (size_t)b * GB_MELGAN_CRIT_IN);
        gb_melgan_critic_input(r->context, r->steps_per_bar, r->meter_num, r->meter_den,
                               r->mode, r->transpose, g->fake + (size_t)b * S,
                               g->cin + (size_t)(n + b) * GB_MELGAN_CRIT_IN);
    }
}

static double critic_accuracy(gb_melgan_t *g, const gb_melody_ds_t *ds, gb_mds_split_t split)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < ds->n_records; i++)
        n += ds->records[i].split == split;
    if (!n)
        return NAN;
    uint32_t stride = n > VAL_CAP / 2 ? (n + VAL_CAP / 2 - 1) / (VAL_CAP / 2) : 1, seen = 0;
    const gb_mds_record_t *rows[128];
    long right = 0, total = 0;
    int nb = 0, B = g->cfg.batch;
    uint64_t keep = g->rng;
    g->rng = 0xc0ffeeull; /* the same fakes every time */
    for (uint32_t i = 0; i <= ds->n_records; i++) {
        int flush = i == ds->n_records;
        if (!flush && ds->records[i].split == split && seen++ % stride == 0)
            rows[nb++] = &ds->records[i];
        if (nb == B || (flush && nb)) {
            sample_fakes(g, rows, nb);
            critic_rows(g, rows, nb);
            const float *y = gb_mlp_forward(g->crit, g->cin, 2 * nb);
            for (int b = 0; b < nb; b++)
                right += (y[b] > 0.0f) + (y[nb + b] <= 0.0f);
            total += 2 * nb;
            nb = 0;
        }
    }
    g->rng = keep;
    return (double)right / (double)total;
}

int gb_melgan_train(gb_melgan_t *g, const gb_melody_ds_t *ds, gb_melgan_report_t *rep,
                    gb_error_t *err)
{
    if (!g || !ds || !rep)
        return gb_error_set(err, GB_EINVAL, "melody GAN: bad arguments");
    memset(rep, 0, sizeof *rep);
    const gb_melgan_config_t *c = &g->cfg;
    uint32_t n_train = 0, n_val = 0;
    for (uint32_t i = 0; i < ds->n_records; i++) {
        const gb_mds_record_t *r = &ds->records[i];
        if (r->steps_per_bar < 1 || r->steps_per_bar > S)
            return gb_error_set(err, GB_EFORMAT, "melody GAN: record %u: %u steps per bar", i,
                                r->steps_per_bar);
        n_train += r->split == GB_MDS_TRAIN;
        n_val += r->split == GB_MDS_VALIDATION;
    }
    if (!n_train)
        return gb_error_set(err, GB_EFORMAT, "melody GAN: the dataset has no training bars");
    gb_mds_split_t vsplit = n_val ? GB_MDS_VALIDATION : GB_MDS_TRAIN;
    uint32_t *idx = malloc((size_t)n_train * sizeof(uint32_t));
    if (!idx)
        return gb_error_set(err, GB_ENOMEM, "melody GAN: out of memory");
    for (uint32_t i = 0, k = 0; i < ds->n_records; i++)
        if (ds->records[i].split == GB_MDS_TRAIN)
            idx[k++] = i;
    int prev_threads = gb_mlp_blas_single();
    uint32_t per = c->per_epoch && (uint32_t)c->per_epoch < n_train ? (uint32_t)c->per_epoch
                                                                    : n_train;
    int B = c->batch;
    const gb_mds_record_t *rows[128];
    float z[GB_MELGAN_Z];
    double t0 = now_s(), last_print = 0.0, best = INFINITY, val = NAN, total;
    int bad = 0, rc = 0;
    size_t np = gb_mlp_n_params(g->gen);
    memcpy(g->best, gb_mlp_params(g->gen), np * sizeof(float));
    total = (double)c->epochs + 0.3 * c->critic_epochs;
    rep->n_train = (int)n_train;
    rep->n_val = (int)n_val;
    for (int e = 0; e < c->epochs; e++) {
        /* a seeded partial Fisher-Yates shuffle: the first `per` are this epoch's draw */
        for (uint32_t i = 0; i < per; i++) {
            uint32_t j = i + (uint32_t)(gb_melgan_rng_next(&g->rng) % (n_train - i));
            uint32_t t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        double sum = 0.0;
        long cnt = 0;
        for (uint32_t b0 = 0; b0 < per; b0 += (uint32_t)B) {
            int n = per - b0 < (uint32_t)B ? (int)(per - b0) : B, steps = 0;
            for (int b = 0; b < n; b++) {
                rows[b] = &ds->records[idx[b0 + (uint32_t)b]];
                steps += rows[b]->steps_per_bar;
                for (int d = 0; d < GB_MELGAN_Z; d++)
                    z[d] = gb_melgan_rng_normal(&g->rng);
                rec_gen_input(rows[b], z, g->gin + (size_t)b * GB_MELGAN_GEN_IN);
            }
            const float *y = gb_mlp_forward(g->gen, g->gin, n);
            float scale = 1.0f / (float)steps;
            double l = 0.0;
            for (int b = 0; b < n; b++)
                l += gb_melgan_bar_ce(y + (size_t)b * GB_MELGAN_GEN_OUT, rows[b]->target,
                                      rows[b]->steps_per_bar, scale,
                                      g->dout + (size_t)b * GB_MELGAN_GEN_OUT, NULL);
            if (!isfinite(l)) {
                rc = gb_error_set(err, GB_ERANGE, "melody GAN: the loss diverged (epoch %d)",
                                  e + 1);
                goto done;
            }
            sum += l;
            cnt += steps;
            gb_mlp_zero_grad(g->gen);
            gb_mlp_backward(g->gen, g->dout, NULL, n);
            gb_adam_step(g->adam_g, gb_mlp_params(g->gen), gb_mlp_grads(g->gen), c->lr);
            double t = now_s() - t0;
            if (c->progress && t - last_print > 0.25) {
                last_print = t;
                progress("generator", t, e + (double)(b0 + (uint32_t)n) / per, total, e,
                         c->epochs, sum / (double)cnt, val);
            }
        }
        rep->train_ce = sum / (double)cnt;
        val = gb_melgan_eval(g, ds, vsplit, NULL);
        rep->epochs = e + 1;
        if (c->progress) {
            progress("generator", now_s() - t0, e + 1.0, total, e, c->epochs, rep->train_ce, val);
            fprintf(stderr, "\n");
        }
        if (val < best) {
            best = val;
            bad = 0;
            rep->best_epoch = e + 1;
            memcpy(g->best, gb_mlp_params(g->gen), np * sizeof(float));
        } else if (c->patience && ++bad >= c->patience) {
            rep->early_stopped = 1;
            break;
        }
    }
    memcpy(gb_mlp_params(g->gen), g->best, np * sizeof(float));
    rep->val_ce = gb_melgan_eval(g, ds, vsplit, &rep->val_acc);

    /* the critic: real target bars against bars sampled from the (frozen) generator */
    uint32_t cper = per < 20000 ? per : 20000;
    for (int e = 0; e < c->critic_epochs; e++) {
        for (uint32_t i = 0; i < cper; i++) {
            uint32_t j = i + (uint32_t)(gb_melgan_rng_next(&g->rng) % (n_train - i));
            uint32_t t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        double sum = 0.0;
        long cnt = 0;
        for (uint32_t b0 = 0; b0 < cper; b0 += (uint32_t)B) {
            int n = cper - b0 < (uint32_t)B ? (int)(cper - b0) : B;
            for (int b = 0; b < n; b++)
                rows[b] = &ds->records[idx[b0 + (uint32_t)b]];
            sample_fakes(g, rows, n);
            critic_rows(g, rows, n);
            const float *y = gb_mlp_forward(g->crit, g->cin, 2 * n);
            for (int b = 0; b < 2 * n; b++) {
                float lab = b < n ? 1.0f : 0.0f, s = 1.0f / (1.0f + expf(-y[b]));
                sum += lab > 0.5f ? log1p(exp(-(double)y[b])) : log1p(exp((double)y[b]));
                g->cdout[b] = (s - lab) / (float)(2 * n);
            }
            cnt += 2 * n;
            gb_mlp_zero_grad(g->crit);
            gb_mlp_backward(g->crit, g->cdout, NULL, 2 * n);
            gb_adam_step(g->adam_c, gb_mlp_params(g->crit), gb_mlp_grads(g->crit), c->lr);
            double t = now_s() - t0;
            if (c->progress && t - last_print > 0.25) {
                last_print = t;
                progress("critic", t, c->epochs + 0.3 * (e + (double)(b0 + (uint32_t)n) / cper),
                         total, e, c->critic_epochs, sum / (double)cnt, NAN);
            }
        }
    }
    rep->critic_acc = c->critic_epochs ? critic_accuracy(g, ds, vsplit) : NAN;
    if (c->progress && c->critic_epochs)
        fprintf(stderr, "\n");
done:
    rep->seconds = now_s() - t0;
    gb_mlp_blas_threads(prev_threads);
    free(idx);
    return rc;
}

/* ---- model files ----------------------------------------------------------------------- */

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static char *make_card(gb_melgan_t *g, const gb_melody_ds_t *ds, const gb_melgan_report_t *rep,
                       const char *command, const char *kind, const char *other)
{
    const gb_melgan_config_t *c = &g->cfg;
    long n[3] = {0, 0, 0}, orig = 0;
    for (uint32_t i = 0; i < ds->n_records; i++) {
        if (ds->records[i].split < 3)
            n[ds->records[i].split]++;
        orig += ds->records[i].transpose == 0;
    }
    long tunes[3] = {0, 0, 0};
    for (int i = 0; i < ds->n_tunes; i++)
        if ((int)ds->tunes[i].split < 3)
            tunes[ds->tunes[i].split]++;
    json_t *counts = json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "tunes", ds->n_tunes,
                               "records", (json_int_t)ds->n_records, "bars", (json_int_t)orig,
                               "train_records", (json_int_t)n[0], "validation_records",
                               (json_int_t)n[1], "test_records", (json_int_t)n[2],
                               "train_tunes", (json_int_t)tunes[0], "validation_tunes",
                               (json_int_t)tunes[1]);
    json_t *features = json_pack(
        "{s:i, s:i, s:i, s:i, s:i, s:s, s:s, s:s, s:s}", "vocab", V, "max_steps", S, "z",
        GB_MELGAN_Z, "generator_input", GB_MELGAN_GEN_IN, "critic_input", GB_MELGAN_CRIT_IN,
        "tokens", "0 rest, 1 hold, 2 + (pitch - 48) for MIDI 48..96, normalised to C major / "
        "A minor",
        "bar_features", "per step (rest, hold, onset, (pitch-72)/12) x24, then the pitch-class "
        "histogram x12 (share of steps sounding)",
        "generator", "[context bar features x108, meter one-hot (4/4, 3/4, 6/8, other) x4, "
        "steps_per_bar/16, mode, key one-hot x12 (augmentation transposition mod 12; 0 = C major "
        "/ A minor), density/16, z x8] -> 24 x 51 logits (softmax per step)",
        "critic", "[context bar features x108, meter x4, steps/16, mode, key x12, bar features "
        "x108] -> "
        "logit (> 0: real)");
    json_t *metrics = json_object();
    json_object_set_new(metrics, "train_cross_entropy", jnum(rep ? rep->train_ce : NAN));
    json_object_set_new(metrics, "validation_cross_entropy", jnum(rep ? rep->val_ce : NAN));
    json_object_set_new(metrics, "validation_token_accuracy", jnum(rep ? rep->val_acc : NAN));
    json_object_set_new(metrics, "critic_accuracy_real_vs_generated",
                        jnum(rep ? rep->critic_acc : NAN));
    json_object_set_new(metrics, "epochs", json_integer(rep ? rep->epochs : 0));
    json_object_set_new(metrics, "best_epoch", json_integer(rep ? rep->best_epoch : 0));
    json_object_set_new(metrics, "early_stopped", json_boolean(rep && rep->early_stopped));
    json_object_set_new(metrics, "seconds", jnum(rep ? rep->seconds : NAN));
    json_t *training = json_pack(
        "{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:f}", "objective",
        "generator: maximum likelihood (cross-entropy of target tokens, z fed); critic: binary "
        "cross-entropy, real vs sampled (temperature 1); no adversarial fine-tune",
        "hidden", c->hidden, "critic_hidden", c->critic_hidden, "epochs", c->epochs,
        "critic_epochs", c->critic_epochs, "batch", c->batch, "per_epoch", c->per_epoch,
        "patience", c->patience, "lr", (double)c->lr);
    json_t *card = json_pack("{s:s, s:o, s:{s:s, s:s, s:o, s:s}, s:I, s:s, s:o, s:o, s:s}",
                             "kind", kind, "features", features, "data", "source", ds->source,
                             "licence", ds->licence, "counts", counts, "split",
                             "by tune, as in the dataset's manifest (train tunes augmented by "
                             "transposition)",
                             "seed", (json_int_t)c->seed, "command", command ? command : "",
                             "training", training, "metrics", metrics, "pair", other);
    char *s = card ? json_dumps(card, JSON_COMPACT | JSON_REAL_PRECISION(5)) : NULL;
    json_decref(card);
    return s;
}

int gb_melgan_save(gb_melgan_t *g, const gb_melody_ds_t *ds, const gb_melgan_report_t *rep,
                   const char *command, const char *out, gb_error_t *err)
{
    size_t len = strlen(out);
    char *disc = malloc(len + 6);
    if (!disc)
        return gb_error_set(err, GB_ENOMEM, "%s: out of memory", out);
    memcpy(disc, out, len);
    memcpy(disc + len, ".disc", 6);
    int rc = 0;
    char *gcard = make_card(g, ds, rep, command, "melody-gan-generator", base_name(disc));
    char *ccard = make_card(g, ds, rep, command, "melody-gan-critic", base_name(out));
    gb_nn_t *gn = gb_mlp_export(g->gen, 8, err);
    gb_nn_t *cn = gn ? gb_mlp_export(g->crit, 8, err) : NULL;
    if (!gcard || !ccard)
        rc = gb_error_set(err, GB_ENOMEM, "%s: out of memory", out);
    else if (!gn || !cn)
        rc = err ? err->code : GB_EINVAL;
    else if ((rc = gb_model_save(out, gn, gcard, err)) == 0)
        rc = gb_model_save(disc, cn, ccard, err);
    gb_nn_free(gn);
    gb_nn_free(cn);
    free(gcard);
    free(ccard);
    free(disc);
    return rc;
}
