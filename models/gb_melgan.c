/* gb_melgan.c — the melody GAN trainer: configuration, the likelihood phase (a conditional VAE
 * with an autoregressive decoder), the critic's training step, the phases in order, and
 * checkpoints. The critic and adversarial phases are in gb_melgan_adv.c.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#include "gb_melgan_priv.h"
#include "gb_safetensors.h"

gb_melgan_config_t gb_melgan_config_default(void)
{
    gb_melgan_config_t c = {
        .version = GB_MELGAN_CONFIG_VERSION, .embed = 128, .hidden = 128, .enc_hidden = 128,
        .critic_hidden = 128, .batch = 64, .epochs = 8, .per_epoch = 60000, .patience = 2,
        .lr = 2e-3f, .kl_z = 1.0f, .free_bits = 0.15f, .chord_p = 0.5f, .density_p = 0.5f, .critic_steps = 1500,
        .critic_lr = 5e-4f, .adv_steps = 600, .adv_contexts = 16, .adv_k = 4, .adv_lr = 1e-4f,
        .adv_kl = 0.05f, .adv_mle = 0.1f, .threads = 1, .seed = 1, .progress = 0,
        .checkpoint = NULL,
    };
    return c;
}

double mg_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bad_config(const gb_melgan_config_t *c)
{
    return c->version != GB_MELGAN_CONFIG_VERSION || c->embed < 1 || c->embed > 1024 ||
           c->hidden < 1 || c->hidden > 1024 || c->enc_hidden < 1 || c->enc_hidden > 1024 ||
           c->critic_hidden < 1 || c->critic_hidden > 1024 || c->batch < 2 ||
           c->batch > MG_MAX_ROWS || c->epochs < 0 || c->per_epoch < 0 || c->patience < 0 ||
           !(c->lr > 0.0f) || !(c->kl_z >= 0.0f) || !(c->free_bits >= 0.0f) ||
           !(c->chord_p >= 0.0f && c->chord_p <= 1.0f) ||
           !(c->density_p >= 0.0f && c->density_p <= 1.0f) || c->critic_steps < 0 ||
           !(c->critic_lr > 0.0f) || c->adv_steps < 0 || c->adv_k < 2 || c->adv_k > 16 ||
           c->adv_contexts < 1 || 2 * c->adv_contexts * c->adv_k > MG_MAX_ROWS ||
           !(c->adv_lr > 0.0f) || !(c->adv_kl >= 0.0f) || !(c->adv_mle >= 0.0f) ||
           c->threads < 1 || c->threads > 2;
}

gb_melgan_t *gb_melgan_new(const gb_melgan_config_t *cfg, gb_error_t *err)
{
    if (!cfg || bad_config(cfg)) {
        gb_error_set(err, GB_EINVAL, "melody GAN: bad configuration (sizes 1..1024, batch "
                     "2..%d, 2..16 samples per context, 2·contexts·samples <= %d, rates > 0, "
                     "1..2 threads)", MG_MAX_ROWS, MG_MAX_ROWS);
        return NULL;
    }
    gb_melgan_t *g = calloc(1, sizeof *g);
    if (!g)
        goto nomem;
    g->cfg = *cfg;
    if (cfg->checkpoint)
        snprintf(g->checkpoint, sizeof g->checkpoint, "%s", cfg->checkpoint);
    g->cfg.checkpoint = g->checkpoint[0] ? g->checkpoint : NULL;
    g->net = gb_mgnet_new(cfg->embed, cfg->hidden, cfg->enc_hidden, MG_MAX_ROWS, MG_S,
                          (uint64_t)cfg->seed * 16 + 1, err);
    g->net2 = g->net ? gb_mgnet_new(cfg->embed, cfg->hidden, cfg->enc_hidden, MG_MAX_ROWS, MG_S,
                                    0, err) : NULL;
    g->ref = g->net2 ? gb_mgnet_new(cfg->embed, cfg->hidden, 0, MG_MAX_ROWS, MG_S, 0, err) : NULL;
    g->ref2 = g->ref ? gb_mgnet_new(cfg->embed, cfg->hidden, 0, MG_MAX_ROWS, MG_S, 0, err) : NULL;
    const int co[3] = {cfg->critic_hidden, cfg->critic_hidden, 1};
    const gb_act_kind_t ca[3] = {GB_ACT_RELU, GB_ACT_RELU, GB_ACT_LINEAR};
    g->crit = g->ref2 ? gb_mlp_new(GB_MELGEN_CRIT_IN, 3, co, ca, MG_CRIT_ROWS, err) : NULL;
    g->job = g->crit ? gb_melgen_job_new(MG_MAX_ROWS, err) : NULL;
    if (!g->job) {
        gb_melgan_free(g);
        return NULL;
    }
    gb_mlp_init(g->crit, (uint64_t)cfg->seed * 16 + 7);
    mg_sync(g);
    for (int b = 0; b < GB_MGNET_BLOCKS; b++) {
        const size_t n = gb_mgnet_block_size(g->net, b);
        g->adam[b] = gb_adam_new(n, 0.9f, 0.999f, 1e-8f);
        g->best[b] = malloc(n * sizeof(float));
        if (!g->adam[b] || !g->best[b])
            goto nomem_free;
    }
    g->adam_c = gb_adam_new(gb_mlp_n_params(g->crit), 0.5f, 0.999f, 1e-8f);
    g->pre_crit = malloc(gb_mlp_n_params(g->crit) * sizeof(float));
    g->gen_nn = gb_mgnet_export(g->net, MG_MAX_ROWS, err);
    g->cond = malloc((size_t)MG_MAX_ROWS * GB_MELGEN_COND * sizeof(float));
    g->critin = malloc((size_t)MG_CRIT_ROWS * GB_MELGEN_CRIT_IN * sizeof(float));
    g->critd = malloc((size_t)MG_CRIT_ROWS * sizeof(float));
    g->wrow = malloc((size_t)MG_MAX_ROWS * sizeof(float));
    g->eps = malloc((size_t)MG_MAX_ROWS * GB_MELGEN_Z * sizeof(float));
    g->tok = malloc((size_t)MG_MAX_ROWS * MG_S);
    g->tok2 = malloc((size_t)MG_MAX_ROWS * MG_S);
    g->refs = malloc((size_t)MG_MAX_ROWS * GB_MELGEN_REFS * MG_S);
    g->first = malloc((size_t)MG_MAX_ROWS * sizeof(int));
    g->steps = malloc((size_t)MG_MAX_ROWS * sizeof(int));
    g->conds = malloc((size_t)MG_MAX_ROWS * sizeof *g->conds);
    g->conds2 = malloc((size_t)MG_MAX_ROWS * sizeof *g->conds2);
    g->z1 = malloc((size_t)MG_MAX_ROWS * GB_MELGEN_Z * sizeof(float));
    g->z2 = malloc((size_t)MG_MAX_ROWS * GB_MELGEN_Z * sizeof(float));
    g->ref_logits = malloc((size_t)MG_MAX_ROWS * MG_S * MG_V * sizeof(float));
    if (!g->conds2 || !g->z1 || !g->z2 || !g->ref_logits || !g->adam_c || !g->pre_crit || !g->gen_nn || !g->cond || !g->critin || !g->critd ||
        !g->wrow || !g->eps || !g->tok || !g->tok2 || !g->refs || !g->first || !g->steps || !g->conds)
        goto nomem_free;
    memcpy(g->pre_crit, gb_mlp_params(g->crit), gb_mlp_n_params(g->crit) * sizeof(float));
    g->phase = MG_PHASE_MLE;
    g->best_val = INFINITY;
    g->reward_sd = 1.0;
    g->rep.val_ce = g->rep.val_acc = g->rep.val_kl_z = g->rep.train_ce = NAN;
    g->rep.critic_acc = g->rep.critic_acc_mle = g->rep.val_ce_adv = NAN;
    g->rep.adv_reward_first = g->rep.adv_reward_last = g->rep.adv_kl_last = NAN;
    return g;
nomem_free:
    gb_melgan_free(g);
nomem:
    gb_error_set(err, GB_ENOMEM, "melody GAN: out of memory");
    return NULL;
}

void gb_melgan_free(gb_melgan_t *g)
{
    if (!g)
        return;
    gb_mgnet_free(g->net);
    gb_mgnet_free(g->net2);
    gb_mgnet_free(g->ref);
    gb_mgnet_free(g->ref2);
    gb_mlp_free(g->crit);
    for (int b = 0; b < GB_MGNET_BLOCKS; b++) {
        gb_adam_free(g->adam[b]);
        free(g->best[b]);
    }
    gb_adam_free(g->adam_c);
    free(g->pre_crit);
    gb_nn_free(g->gen_nn);
    gb_melgen_job_free(g->job);
    free(g->cond);
    free(g->critin);
    free(g->critd);
    free(g->wrow);
    free(g->eps);
    free(g->tok);
    free(g->tok2);
    free(g->refs);
    free(g->first);
    free(g->steps);
    free(g->conds);
    free(g->conds2);
    free(g->z1);
    free(g->z2);
    free(g->ref_logits);
    free(g);
}

void mg_progress(gb_melgan_t *g, const char *phase, double frac, double loss, double val)
{
    if (!g->cfg.progress)
        return;
    /* The share of the whole run done, by the phases' measured relative costs. */
    const gb_melgan_config_t *c = &g->cfg;
    const double w_mle = (double)c->epochs * (c->per_epoch ? c->per_epoch : 60000) / 64.0 * 1.0;
    const double w_crit = (double)c->critic_steps * 0.35, w_adv = (double)c->adv_steps * 3.0;
    const double w_crit2 = c->adv_steps ? w_crit : 0.0;
    const double total = w_mle + w_crit + w_adv + w_crit2;
    double done = g->phase == MG_PHASE_MLE      ? frac * w_mle
                  : g->phase == MG_PHASE_CRITIC ? w_mle + frac * w_crit
                  : g->phase == MG_PHASE_ADV    ? w_mle + w_crit + frac * w_adv
                                                : w_mle + w_crit + w_adv + frac * w_crit2;
    const double el = mg_now() - g->t0;
    const long eta = done > 0.0 ? (long)(el / done * (total - done) + 0.5) : 0;
    char vs[32] = "-";
    if (isfinite(val))
        snprintf(vs, sizeof vs, "%.4f", val);
    fprintf(stderr, "\rtrain melody: %-11s %5.1f%%  loss %.4f  val %s  %lds  ETA %ldm%02lds   ",
            phase, 100.0 * frac, loss, vs, (long)el, eta / 60, eta % 60);
}

/* ---- the likelihood phase ------------------------------------------------------------------ */

/* Rows for records idx[0..n): conditioning, tokens, first tokens, steps, and (chords) the
 * random draws of training: chord and density given or not, the latent's noise. Every draw is
 * made here, in row order, so the shards (below) compute the same whatever the threads. */
static void fill_rows(gb_melgan_t *g, const mg_index_t *x, const uint32_t *idx, int n,
                      uint64_t *rng, int chords)
{
    for (int r = 0; r < n; r++) {
        const gb_mds_record_t *rec = &x->ds->records[idx[r]];
        int chord = 0;
        if (chords && gb_melgen_rng_unit(rng) < g->cfg.chord_p)
            chord = gb_melgen_bar_triad(rec->target, rec->steps_per_bar, rec->meter_num,
                                        rec->meter_den);
        const int dens = chords && gb_melgen_rng_unit(rng) < g->cfg.density_p;
        mg_record_cond(x, idx[r], chord, dens, &g->conds[r]);
        gb_melgen_refs(&g->conds[r], g->refs + (size_t)r * GB_MELGEN_REFS * MG_S);
        memcpy(g->tok + (size_t)r * MG_S, rec->target, MG_S);
        gb_melgen_last_token(rec->context, rec->steps_per_bar, &g->first[r]);
        g->steps[r] = rec->steps_per_bar;
        for (int d = 0; d < GB_MELGEN_Z; d++)
            g->eps[r * GB_MELGEN_Z + d] = chords ? gb_melgen_rng_normal(rng) : 0.0f;
    }
}

/* The latent of rows r0 .. r0+n from the shard's encoder: z = mu + exp(logvar/2)·eps; writes
 * their conditioning vectors, the encoder's outputs in *enc_out and the per-dimension KL
 * summed over the rows in kl_dims; returns the summed KL. */
static double encode_rows(gb_melgan_t *g, gb_mgnet_t *net, int r0, int n,
                          const float **enc_out, float *kl_dims)
{
    float *in = g->enc_in + (size_t)r0 * GB_MGNET_ENC_IN;
    for (int r = 0; r < n; r++) {
        const int k = r0 + r;
        gb_melgen_bar_features(g->tok + (size_t)k * MG_S, g->steps[k], in + r * GB_MGNET_ENC_IN);
        gb_melgen_bar_features(g->conds[k].prev1, g->steps[k],
                               in + r * GB_MGNET_ENC_IN + GB_MELGEN_BAR_FEAT);
    }
    const float *o = gb_mlp_forward(net->enc, in, n);
    double kl = 0.0;
    memset(kl_dims, 0, GB_MELGEN_Z * sizeof(float));
    for (int r = 0; r < n; r++) {
        float z[GB_MELGEN_Z];
        for (int d = 0; d < GB_MELGEN_Z; d++) {
            const float mu = o[r * 2 * GB_MELGEN_Z + d];
            const float lv = fminf(fmaxf(o[r * 2 * GB_MELGEN_Z + GB_MELGEN_Z + d], -8.f), 8.f);
            z[d] = mu + expf(0.5f * lv) * g->eps[(r0 + r) * GB_MELGEN_Z + d];
            const float k = 0.5f * (mu * mu + expf(lv) - 1.0f - lv);
            kl_dims[d] += k;
            kl += k;
        }
        gb_melgen_cond_vector(&g->conds[r0 + r], z, g->cond + (size_t)(r0 + r) * GB_MELGEN_COND);
    }
    *enc_out = o;
    return kl;
}

/* Encoder gradient of rows r0 .. r0+n: the decoder's dz (the latent part of dcond, already per
 * step) and the latent's KL, kl_scale · Σ_d [shard-mean KL_d > free_bits] KL_d (free bits). */
static void encode_backward(gb_melgan_t *g, gb_mgnet_t *net, int r0, int n,
                            const float *enc_out, const float *dcond, const float *kl_dims,
                            float kl_scale)
{
    float *dout = g->enc_d + (size_t)r0 * 2 * GB_MELGEN_Z;
    for (int r = 0; r < n; r++)
        for (int d = 0; d < GB_MELGEN_Z; d++) {
            const float mu = enc_out[r * 2 * GB_MELGEN_Z + d];
            const float raw = enc_out[r * 2 * GB_MELGEN_Z + GB_MELGEN_Z + d];
            const float lv = fminf(fmaxf(raw, -8.f), 8.f), sd = expf(0.5f * lv);
            const float dz = dcond[(size_t)r * GB_MELGEN_COND + GB_MELGEN_C_Z + d];
            const float act = kl_dims[d] / (float)n > g->cfg.free_bits ? kl_scale : 0.0f;
            dout[r * 2 * GB_MELGEN_Z + d] = dz + act * mu;
            dout[r * 2 * GB_MELGEN_Z + GB_MELGEN_Z + d] =
                raw == lv ? dz * g->eps[(r0 + r) * GB_MELGEN_Z + d] * 0.5f * sd +
                                act * 0.5f * (sd * sd - 1.0f)
                          : 0.0f;
        }
    gb_mlp_backward(net->enc, dout, NULL, n);
}

/* ---- shards: a batch in two fixed halves, one per thread (or both on one) ------------------ */

static void *shard_run(void *arg)
{
    mg_shard_t *w = arg;
    gb_melgan_t *g = w->g;
    w->ce = w->kl = w->kl_ref = 0.0;
    if (w->n <= 0)
        return NULL;
    const size_t r0 = (size_t)w->r0;
    float *cond = g->cond + r0 * GB_MELGEN_COND, *dcond = g->dcond + r0 * GB_MELGEN_COND;
    const float *enc_out = NULL;
    float kl_dims[GB_MELGEN_Z];
    if (w->mle)
        w->kl = encode_rows(g, w->net, w->r0, w->n, &enc_out, kl_dims);
    if (w->ref) { /* the likelihood model's logits on the same rows */
        gb_mgnet_forward(w->ref, w->n, cond, g->refs + r0 * GB_MELGEN_REFS * MG_S,
                         g->first + r0, g->tok + r0 * MG_S, g->steps + r0);
    }
    gb_mgnet_forward(w->net, w->n, cond, g->refs + r0 * GB_MELGEN_REFS * MG_S, g->first + r0,
                     g->tok + r0 * MG_S, g->steps + r0);
    w->ce = gb_mgnet_ce(w->net, w->mle ? NULL : g->wrow + r0, w->scale, NULL);
    if (w->ref)
        w->kl_ref = gb_mgnet_kl(w->net, w->ref->logits, w->kl_scale);
    gb_mgnet_backward(w->net, w->mle ? dcond : NULL);
    if (w->mle)
        encode_backward(g, w->net, w->r0, w->n, enc_out, dcond, kl_dims, w->enc_kl_scale);
    return NULL;
}

void mg_shards(gb_melgan_t *g, mg_shard_t *w)
{
    pthread_t th;
    const int par = g->cfg.threads > 1 && w[1].n > 0 &&
                    pthread_create(&th, NULL, shard_run, &w[1]) == 0;
    shard_run(&w[0]);
    if (par)
        pthread_join(th, NULL);
    else
        shard_run(&w[1]);
}

void mg_shards_split(gb_melgan_t *g, int n, mg_shard_t *w)
{
    memset(w, 0, 2 * sizeof *w);
    w[0].g = w[1].g = g;
    w[0].net = g->net;
    w[1].net = g->net2;
    w[0].n = (n + 1) / 2;
    w[1].r0 = w[0].n;
    w[1].n = n - w[0].n;
}

void mg_reduce_grads(gb_melgan_t *g)
{
    for (int b = 0; b < GB_MGNET_BLOCKS; b++) {
        float *a = gb_mgnet_block_grads(g->net, b);
        const float *c = gb_mgnet_block_grads(g->net2, b);
        const size_t n = gb_mgnet_block_size(g->net, b);
        for (size_t i = 0; i < n; i++)
            a[i] += c[i];
    }
}

void mg_sync(gb_melgan_t *g)
{
    for (int b = 0; b < GB_MGNET_BLOCKS; b++)
        memcpy(gb_mgnet_block_params(g->net2, b), gb_mgnet_block_params(g->net, b),
               gb_mgnet_block_size(g->net, b) * sizeof(float));
}

/* One likelihood step on records idx[0..n) with weight `weight` (the adversarial phase adds
 * it to its own gradients); returns the cross-entropy sum, steps in *n_steps and the KL sum
 * in *kl. Gradients are added to g->net (both shards'), not applied. */
double mg_mle_grad(gb_melgan_t *g, const mg_index_t *x, const uint32_t *idx, int n,
                   uint64_t *rng, float weight, long *n_steps, double *kl)
{
    fill_rows(g, x, idx, n, rng, 1);
    long ns = 0;
    for (int r = 0; r < n; r++)
        ns += g->steps[r];
    *n_steps = ns;
    mg_shard_t w[2];
    mg_shards_split(g, n, w);
    gb_mgnet_zero_grad(g->net2);
    for (int k = 0; k < 2; k++) {
        w[k].mle = 1;
        w[k].scale = weight / (float)ns;
        w[k].enc_kl_scale = weight * g->cfg.kl_z / (float)ns;
    }
    mg_shards(g, w);
    mg_reduce_grads(g);
    *kl = w[0].kl + w[1].kl;
    return w[0].ce + w[1].ce;
}

void mg_adam_all(gb_melgan_t *g, float lr)
{
    for (int b = 0; b < GB_MGNET_BLOCKS; b++)
        if (gb_mgnet_block_size(g->net, b))
            gb_adam_step(g->adam[b], gb_mgnet_block_params(g->net, b),
                         gb_mgnet_block_grads(g->net, b), lr);
    mg_sync(g);
}

double gb_melgan_eval(gb_melgan_t *g, const gb_melody_ds_t *ds, gb_mds_split_t split,
                      double *acc)
{
    mg_index_t x;
    if (mg_index_build(&x, ds, NULL) < 0)
        return NAN;
    uint32_t *list = split == GB_MDS_TRAIN ? x.train : x.val, n = 0, m = 0;
    if (split == GB_MDS_TEST) {
        for (uint32_t i = 0; i < ds->n_records; i++)
            if (ds->records[i].split == GB_MDS_TEST)
                x.val[m++] = i;
        n = m;
    } else {
        n = split == GB_MDS_TRAIN ? x.n_train : x.n_val;
    }
    const uint32_t stride = n > MG_VAL_CAP ? (n + MG_VAL_CAP - 1) / MG_VAL_CAP : 1;
    uint32_t rows[MG_MAX_ROWS];
    double ce = 0.0;
    long steps = 0, hits = 0;
    uint64_t rng = 1;
    int nb = 0;
    for (uint32_t k = 0; k <= n; k += (k < n ? stride : 1)) {
        if (k < n)
            rows[nb++] = list[k];
        if (nb == g->cfg.batch || (k >= n && nb)) {
            fill_rows(g, &x, rows, nb, &rng, 0);
            for (int r = 0; r < nb; r++) {
                gb_melgen_cond_vector(&g->conds[r], NULL, g->cond + (size_t)r * GB_MELGEN_COND);
                steps += g->steps[r];
            }
            gb_mgnet_forward(g->net, nb, g->cond, g->refs, g->first, g->tok, g->steps);
            long h;
            ce += gb_mgnet_ce(g->net, NULL, 0.0f, &h);
            hits += h;
            nb = 0;
        }
        if (k >= n)
            break;
    }
    mg_index_free(&x);
    if (acc)
        *acc = steps ? (double)hits / (double)steps : NAN;
    return steps ? ce / (double)steps : NAN;
}

/* Mean latent KL per bar on the validation split (the encoder's posterior). */
static double val_kl(gb_melgan_t *g, const mg_index_t *x)
{
    const uint32_t n = x->n_val, stride = n > MG_VAL_CAP ? (n + MG_VAL_CAP - 1) / MG_VAL_CAP : 1;
    uint32_t rows[MG_MAX_ROWS];
    uint64_t rng = 2;
    double kl = 0.0;
    long bars = 0;
    int nb = 0;
    for (uint32_t k = 0; k < n; k += stride) {
        rows[nb++] = x->val[k];
        if (nb == g->cfg.batch || k + stride >= n) {
            const float *o;
            float d[GB_MELGEN_Z];
            fill_rows(g, x, rows, nb, &rng, 0);
            kl += encode_rows(g, g->net, 0, nb, &o, d);
            bars += nb;
            nb = 0;
        }
    }
    return bars ? kl / (double)bars : NAN;
}

static void shuffle(uint32_t *v, uint32_t n, uint64_t *rng)
{
    for (uint32_t i = n; i > 1; i--) {
        const uint32_t j = (uint32_t)(gb_melgen_rng_next(rng) % i), t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/* After an epoch: validate, keep the best weights, report; 1 when patience ran out. */
static int epoch_end(gb_melgan_t *g, const mg_index_t *x, gb_mds_split_t vs)
{
    const gb_melgan_config_t *c = &g->cfg;
    double acc;
    const double ce = gb_melgan_eval(g, x->ds, vs, &acc), kl = val_kl(g, x);
    g->rep.epochs = g->epoch + 1;
    if (c->progress) {
        mg_progress(g, "likelihood", (g->epoch + 1.0) / (c->epochs ? c->epochs : 1),
                    g->rep.train_ce, ce);
        fprintf(stderr, "\n  epoch %d: train %.4f, validation %.4f nats/step (z = 0), "
                        "accuracy %.3f, latent KL %.2f nats/bar\n",
                g->epoch + 1, g->rep.train_ce, ce, acc, kl);
    }
    if (ce < g->best_val) { /* z = 0: how well it generates from the prior's mean */
        g->best_val = ce;
        g->bad = 0;
        g->rep.best_epoch = g->epoch + 1;
        g->rep.val_ce = ce;
        g->rep.val_acc = acc;
        g->rep.val_kl_z = kl;
        for (int b = 0; b < GB_MGNET_BLOCKS; b++)
            memcpy(g->best[b], gb_mgnet_block_params(g->net, b),
                   gb_mgnet_block_size(g->net, b) * sizeof(float));
        return 0;
    }
    if (c->patience && ++g->bad >= c->patience) {
        g->rep.early_stopped = 1;
        return 1;
    }
    return 0;
}

static int phase_mle(gb_melgan_t *g, const mg_index_t *x, gb_error_t *err)
{
    const gb_melgan_config_t *c = &g->cfg;
    const uint32_t per = c->per_epoch && (uint32_t)c->per_epoch < x->n_train ? (uint32_t)c->per_epoch
                                                                           : x->n_train;
    uint32_t *order = malloc(((size_t)x->n_train + 1) * sizeof *order);
    if (!order)
        return gb_error_set(err, GB_ENOMEM, "melody GAN: out of memory");
    const gb_mds_split_t vs = x->n_val ? GB_MDS_VALIDATION : GB_MDS_TRAIN;
    const double t0 = mg_now();
    int rc = 0;
    for (; g->epoch < c->epochs; g->epoch++) {
        uint64_t rng = mg_stream(c->seed, MG_PHASE_MLE, (uint64_t)g->epoch);
        memcpy(order, x->train, (size_t)x->n_train * sizeof *order);
        shuffle(order, x->n_train, &rng);
        double sum = 0.0, klsum = 0.0;
        long cnt = 0;
        double last = 0.0;
        for (uint32_t b0 = 0; b0 < per; b0 += (uint32_t)c->batch) {
            const int n = per - b0 < (uint32_t)c->batch ? (int)(per - b0) : c->batch;
            long ns;
            double kl;
            gb_mgnet_zero_grad(g->net);
            const double ce = mg_mle_grad(g, x, order + b0, n, &rng, 1.0f, &ns, &kl);
            if (!isfinite(ce) || !isfinite(kl)) {
                rc = gb_error_set(err, GB_ERANGE, "melody GAN: the loss diverged (epoch %d)",
                                  g->epoch + 1);
                goto done;
            }
            mg_adam_all(g, c->lr);
            sum += ce;
            klsum += kl;
            cnt += ns;
            if (mg_now() - last > 0.5) {
                last = mg_now();
                mg_progress(g, "likelihood", (g->epoch + (double)(b0 + (uint32_t)n) / per) /
                                                 (c->epochs ? c->epochs : 1),
                            (sum + c->kl_z * klsum) / (double)cnt, g->rep.val_ce);
            }
        }
        g->rep.train_ce = sum / (double)cnt;
        if (epoch_end(g, x, vs)) {
            g->epoch++;
            break;
        }
        if (g->cfg.checkpoint && g->epoch + 1 < c->epochs) {
            g->epoch++;
            rc = mg_checkpoint_save(g, err);
            g->epoch--;
            if (rc)
                goto done;
        }
    }
    if (g->rep.best_epoch > 0)
        for (int b = 0; b < GB_MGNET_BLOCKS; b++)
            memcpy(gb_mgnet_block_params(g->net, b), g->best[b],
                   gb_mgnet_block_size(g->net, b) * sizeof(float));
    gb_mgnet_copy_gen(g->ref, g->net);
    gb_mgnet_copy_gen(g->ref2, g->net);
    mg_sync(g);
    rc = gb_mgnet_update(g->net, g->gen_nn, err);
    g->rep.seconds_mle += mg_now() - t0;
done:
    free(order);
    return rc;
}

/* ---- the critic's step -------------------------------------------------------------------- */

double mg_critic_step(gb_melgan_t *g, int n, const float *lab, const float *w, float lr,
                      float *logits)
{
    const float *y = gb_mlp_forward(g->crit, g->critin, n);
    double loss = 0.0, wsum = 0.0;
    for (int i = 0; i < n; i++)
        wsum += w[i];
    for (int i = 0; i < n; i++) {
        const double l = y[i];
        if (logits)
            logits[i] = (float)l;
        loss += w[i] * (lab[i] > 0.5f ? log1p(exp(-l)) : log1p(exp(l))) / wsum;
        g->critd[i] = (float)(w[i] * (1.0 / (1.0 + exp(-l)) - lab[i]) / wsum);
    }
    if (lr > 0.0f) {
        gb_mlp_zero_grad(g->crit);
        gb_mlp_backward(g->crit, g->critd, NULL, n);
        gb_adam_step(g->adam_c, gb_mlp_params(g->crit), gb_mlp_grads(g->crit), lr);
    }
    return loss;
}

/* ---- the phases in order ------------------------------------------------------------------- */

int gb_melgan_train(gb_melgan_t *g, const gb_melody_ds_t *ds, gb_melgan_report_t *rep,
                    gb_error_t *err)
{
    if (!g || !ds)
        return gb_error_set(err, GB_EINVAL, "melody GAN: bad arguments");
    for (uint32_t i = 0; i < ds->n_records; i++)
        if (ds->records[i].steps_per_bar < 1 || ds->records[i].steps_per_bar > MG_S)
            return gb_error_set(err, GB_EFORMAT, "melody GAN: record %u: %u steps per bar", i,
                                ds->records[i].steps_per_bar);
    mg_index_t x;
    int rc = mg_index_build(&x, ds, err);
    if (rc)
        return rc;
    if (!x.n_train) {
        mg_index_free(&x);
        return gb_error_set(err, GB_EFORMAT, "melody GAN: the dataset has no training bars");
    }
    const int prev_threads = gb_mlp_blas_single();
    g->t0 = mg_now() - g->rep.seconds;
    g->rep.n_train = (int)x.n_train;
    g->rep.n_val = (int)x.n_val;
    if (g->phase == MG_PHASE_MLE && !(rc = phase_mle(g, &x, err))) {
        g->phase = MG_PHASE_CRITIC;
        g->iter = 0;
        g->rep.seconds = mg_now() - g->t0;
        rc = g->cfg.checkpoint ? mg_checkpoint_save(g, err) : 0;
    }
    if (!rc && g->phase == MG_PHASE_CRITIC && !(rc = mg_phase_critic(g, &x, err))) {
        g->phase = MG_PHASE_ADV;
        g->iter = 0;
        g->rep.seconds = mg_now() - g->t0;
        rc = g->cfg.checkpoint ? mg_checkpoint_save(g, err) : 0;
    }
    if (!rc && g->phase == MG_PHASE_ADV && !(rc = mg_phase_adv(g, &x, err))) {
        /* the checkpoint stays in the adversarial phase: a longer run can resume from it */
        g->rep.seconds = mg_now() - g->t0;
        rc = g->cfg.checkpoint ? mg_checkpoint_save(g, err) : 0;
        if (!rc)
            rc = mg_phase_final_critic(g, &x, err);
    }
    if (g->cfg.progress)
        fprintf(stderr, "\n");
    g->rep.seconds = mg_now() - g->t0;
    if (rep)
        *rep = g->rep;
    gb_mlp_blas_threads(prev_threads);
    mg_index_free(&x);
    return rc;
}

gb_nn_t *gb_melgan_export_generator(gb_melgan_t *g, int max_batch, gb_error_t *err)
{
    return gb_mgnet_export(g->net, max_batch, err);
}

gb_nn_t *gb_melgan_export_critic(gb_melgan_t *g, int max_batch, gb_error_t *err)
{
    return gb_mlp_export(g->crit, max_batch, err);
}
