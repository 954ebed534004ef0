/* gb_melgan_adv.c — the melody GAN's critic phase and adversarial fine-tune (gb_melgan.h):
 * two bars sampled per real context, critic windows real against generated, REINFORCE with a
 * leave-one-out baseline and per-bar rewards, and the KL anchor to the likelihood model.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_melgan_priv.h"

#define CRIT_CONTEXTS 32  /* contexts per critic-phase iteration (one sample each) */
/* critic_rows writes 2·contexts·(samples + 1) rows: 4 · CRIT_CONTEXTS in the critic phases, at
 * most MG_MAX_ROWS + MG_MAX_ROWS / 2 in an adversarial iteration (bad_config: 2 · contexts ·
 * samples <= MG_MAX_ROWS with samples >= 2). */
_Static_assert(4 * CRIT_CONTEXTS <= MG_CRIT_ROWS && MG_MAX_ROWS + MG_MAX_ROWS / 2 <= MG_CRIT_ROWS,
               "a critic batch must hold every row an iteration writes");
#define REWARD_CLIP 10.0f /* critic logits used as rewards are clipped to ±this */
#define CKPT_EVERY 100    /* iterations between checkpoints */

static int triad_or_none(const gb_mds_record_t *r, float p, uint64_t *rng)
{
    return gb_melgen_rng_unit(rng) < p ? gb_melgen_bar_triad(r->target, r->steps_per_bar,
                                                              r->meter_num, r->meter_den)
                                       : 0;
}

/* For contexts ctx[0..nc) (records with a next bar), k samples each (row = c·k + j): bar 1
 * in g->tok under g->conds, bar 2 in g->tok2 under g->conds2, latents g->z1, g->z2. The
 * chords of both bars are drawn once per context into ch1, ch2. */
static void sample_two_bars(gb_melgan_t *g, const mg_index_t *x, const uint32_t *ctx, int nc,
                            int k, uint64_t *rng, int *ch1, int *ch2)
{
    int d1[MG_MAX_ROWS], d2[MG_MAX_ROWS];
    const gb_melody_ds_t *ds = x->ds;
    const int R = nc * k;
    gb_melgen_job_begin(g->job, R, 1.0f, 0);
    for (int c = 0; c < nc; c++) {
        ch1[c] = triad_or_none(&ds->records[ctx[c]], g->cfg.chord_p, rng);
        ch2[c] = triad_or_none(&ds->records[x->next[ctx[c]]], g->cfg.chord_p, rng);
        d1[c] = gb_melgen_rng_unit(rng) < g->cfg.density_p;
        d2[c] = gb_melgen_rng_unit(rng) < g->cfg.density_p;
        for (int j = 0; j < k; j++) {
            const int r = c * k + j;
            mg_record_cond(x, ctx[c], ch1[c], d1[c], &g->conds[r]);
            for (int d = 0; d < GB_MELGEN_Z; d++)
                g->z1[r * GB_MELGEN_Z + d] = gb_melgen_rng_normal(rng);
            gb_melgen_job_row(g->job, r, &g->conds[r], g->z1 + r * GB_MELGEN_Z,
                              gb_melgen_rng_next(rng));
        }
    }
    while (gb_melgen_job_step(g->job, g->gen_nn, 0) > 0) {
    }
    for (int r = 0; r < R; r++)
        memcpy(g->tok + (size_t)r * MG_S, gb_melgen_job_bar(g->job, r), MG_S);
    gb_melgen_job_begin(g->job, R, 1.0f, 0);
    for (int r = 0; r < R; r++) {
        mg_next_cond(x, ctx[r / k], g->tok + (size_t)r * MG_S, ch2[r / k], d2[r / k],
                     &g->conds2[r]);
        for (int d = 0; d < GB_MELGEN_Z; d++)
            g->z2[r * GB_MELGEN_Z + d] = gb_melgen_rng_normal(rng);
        gb_melgen_job_row(g->job, r, &g->conds2[r], g->z2 + r * GB_MELGEN_Z,
                          gb_melgen_rng_next(rng));
    }
    while (gb_melgen_job_step(g->job, g->gen_nn, 0) > 0) {
    }
    for (int r = 0; r < R; r++)
        memcpy(g->tok2 + (size_t)r * MG_S, gb_melgen_job_bar(g->job, r), MG_S);
}

/* Critic rows: the 2R generated windows first (bar 1 rows, then bar 2 rows), then the 2·nc
 * real ones (bar 1 real windows, then bar 2). Fills labels and class-balancing weights;
 * returns the row count. */
static int critic_rows(gb_melgan_t *g, const mg_index_t *x, const uint32_t *ctx, int nc, int k,
                       const int *ch1, const int *ch2, float *lab, float *w)
{
    const gb_melody_ds_t *ds = x->ds;
    const int R = nc * k;
    float *in = g->critin;
    int n = 0;
    for (int r = 0; r < R; r++, n++)
        gb_melgen_critic_input(&g->conds[r], g->tok + (size_t)r * MG_S,
                               in + (size_t)n * GB_MELGEN_CRIT_IN);
    for (int r = 0; r < R; r++, n++)
        gb_melgen_critic_input(&g->conds2[r], g->tok2 + (size_t)r * MG_S,
                               in + (size_t)n * GB_MELGEN_CRIT_IN);
    for (int i = 0; i < n; i++)
        lab[i] = 0.0f, w[i] = 1.0f;
    for (int c = 0; c < nc; c++, n++) {
        gb_melgen_cond_t cc;
        const gb_mds_record_t *r = &ds->records[ctx[c]];
        mg_record_cond(x, ctx[c], ch1[c], 0, &cc);
        gb_melgen_critic_input(&cc, r->target, in + (size_t)n * GB_MELGEN_CRIT_IN);
        lab[n] = 1.0f, w[n] = (float)k;
    }
    for (int c = 0; c < nc; c++, n++) {
        gb_melgen_cond_t cc;
        const gb_mds_record_t *r = &ds->records[ctx[c]], *nx = &ds->records[x->next[ctx[c]]];
        mg_next_cond(x, ctx[c], r->target, ch2[c], 0, &cc);
        gb_melgen_critic_input(&cc, nx->target, in + (size_t)n * GB_MELGEN_CRIT_IN);
        lab[n] = 1.0f, w[n] = (float)k;
    }
    return n;
}

static void pick(const mg_index_t *x, uint32_t *ctx, int nc, uint64_t *rng)
{
    for (int c = 0; c < nc; c++)
        ctx[c] = x->adv[gb_melgen_rng_next(rng) % x->n_adv];
}

/* Train the critic against the current generator for critic_steps iterations (phase 2: the
 * likelihood model's critic; after the fine-tune: a fresh critic for the final generator,
 * final != 0, without checkpoints). */
static int train_critic(gb_melgan_t *g, const mg_index_t *x, int phase, gb_error_t *err)
{
    uint32_t ctx[CRIT_CONTEXTS];
    int ch1[CRIT_CONTEXTS], ch2[CRIT_CONTEXTS];
    float lab[MG_CRIT_ROWS], w[MG_CRIT_ROWS];
    double loss = 0.0, last = 0.0;
    const char *name = phase == MG_PHASE_CRITIC ? "critic" : "final critic";
    for (; g->iter < g->cfg.critic_steps; g->iter++) {
        uint64_t rng = mg_stream(g->cfg.seed, phase, (uint64_t)g->iter);
        pick(x, ctx, CRIT_CONTEXTS, &rng);
        sample_two_bars(g, x, ctx, CRIT_CONTEXTS, 1, &rng, ch1, ch2);
        const int n = critic_rows(g, x, ctx, CRIT_CONTEXTS, 1, ch1, ch2, lab, w);
        const double l = mg_critic_step(g, n, lab, w, g->cfg.critic_lr, NULL);
        loss = g->iter ? 0.98 * loss + 0.02 * l : l;
        if (mg_now() - last > 0.5) {
            last = mg_now();
            mg_progress(g, name, (double)(g->iter + 1) / g->cfg.critic_steps, loss, NAN);
        }
        if (phase == MG_PHASE_CRITIC && g->cfg.checkpoint &&
            (g->iter + 1) % (5 * CKPT_EVERY) == 0 && g->iter + 1 < g->cfg.critic_steps) {
            g->iter++;
            const int rc = mg_checkpoint_save(g, err);
            g->iter--;
            if (rc)
                return rc;
        }
    }
    return 0;
}

int mg_phase_critic(gb_melgan_t *g, const mg_index_t *x, gb_error_t *err)
{
    const double t0 = mg_now();
    if (!x->n_adv)
        return gb_error_set(err, GB_EFORMAT, "melody GAN: no training tune has two bars");
    const int rc = train_critic(g, x, MG_PHASE_CRITIC, err);
    if (rc)
        return rc;
    memcpy(g->pre_crit, gb_mlp_params(g->crit), gb_mlp_n_params(g->crit) * sizeof(float));
    g->rep.critic_acc_mle = mg_critic_accuracy(g, x, 1);
    g->rep.critic_acc = g->rep.critic_acc_mle;
    g->rep.seconds_critic += mg_now() - t0;
    if (g->cfg.progress)
        fprintf(stderr, "\n  critic: validation accuracy %.3f (real vs generated windows)\n",
                g->rep.critic_acc_mle);
    return 0;
}

int mg_phase_final_critic(gb_melgan_t *g, const mg_index_t *x, gb_error_t *err)
{
    if (g->cfg.adv_steps == 0) /* the phase-2 critic was trained on this very generator */
        return 0;
    const double t0 = mg_now();
    /* The critic the fine-tune played against has learnt to chase the generator; the one that
     * ranks candidates live must judge the final generator: a fresh one, trained on it. */
    g->phase = MG_PHASE_CRITIC2;
    gb_mlp_init(g->crit, (uint64_t)g->cfg.seed * 16 + 9);
    const size_t n = gb_mlp_n_params(g->crit);
    memset(gb_adam_m(g->adam_c), 0, n * sizeof(float));
    memset(gb_adam_v(g->adam_c), 0, n * sizeof(float));
    gb_adam_set_step_count(g->adam_c, 0);
    g->iter = 0;
    const int rc = train_critic(g, x, MG_PHASE_CRITIC2, err);
    if (rc)
        return rc;
    g->rep.critic_acc = mg_critic_accuracy(g, x, 3);
    g->rep.seconds_critic += mg_now() - t0;
    if (g->cfg.progress)
        fprintf(stderr, "\n  final critic: validation accuracy %.3f (real vs generated)\n",
                g->rep.critic_acc);
    return 0;
}

/* The critic's accuracy on validation contexts (one sample each): windows real vs generated.
 * Uses the train contexts when there is no validation bar with a next bar. */
double mg_critic_accuracy(gb_melgan_t *g, const mg_index_t *x, uint32_t seed_tag)
{
    uint32_t *pool = malloc(((size_t)x->n_val + 1) * sizeof *pool), np = 0;
    if (!pool)
        return NAN;
    for (uint32_t i = 0; i < x->n_val; i++)
        if (x->next[x->val[i]] >= 0)
            pool[np++] = x->val[i];
    const mg_index_t *src = x;
    mg_index_t v = *x;
    if (np) {
        v.adv = pool;
        v.n_adv = np;
        src = &v;
    }
    uint32_t ctx[CRIT_CONTEXTS];
    int ch1[CRIT_CONTEXTS], ch2[CRIT_CONTEXTS];
    float lab[MG_CRIT_ROWS], w[MG_CRIT_ROWS], y[MG_CRIT_ROWS];
    long right = 0, total = 0;
    for (int it = 0; it < 32; it++) {
        uint64_t rng = mg_stream(g->cfg.seed ^ seed_tag, MG_PHASE_DONE + 1, (uint64_t)it);
        pick(src, ctx, CRIT_CONTEXTS, &rng);
        sample_two_bars(g, src, ctx, CRIT_CONTEXTS, 1, &rng, ch1, ch2);
        const int n = critic_rows(g, src, ctx, CRIT_CONTEXTS, 1, ch1, ch2, lab, w);
        mg_critic_step(g, n, lab, w, 0.0f, y);
        for (int i = 0; i < n; i++)
            right += (y[i] > 0.0f) == (lab[i] > 0.5f);
        total += n;
    }
    free(pool);
    return total ? (double)right / (double)total : NAN;
}

/* One adversarial iteration; returns the mean reward of the samples and the mean KL per step
 * in *kl. */
static double adv_iteration(gb_melgan_t *g, const mg_index_t *x, uint64_t *rng, double *kl)
{
    const gb_melgan_config_t *c = &g->cfg;
    const int nc = c->adv_contexts, k = c->adv_k, R = nc * k;
    uint32_t ctx[MG_MAX_ROWS];
    int ch1[MG_MAX_ROWS], ch2[MG_MAX_ROWS];
    float lab[MG_CRIT_ROWS], w[MG_CRIT_ROWS], y[MG_CRIT_ROWS];
    pick(x, ctx, nc, rng);
    sample_two_bars(g, x, ctx, nc, k, rng, ch1, ch2);
    const int n = critic_rows(g, x, ctx, nc, k, ch1, ch2, lab, w);
    mg_critic_step(g, n, lab, w, c->critic_lr, y); /* rewards from before the step */
    /* returns: bar 1 gets its own window's logit and bar 2's, bar 2 its own */
    float ret[MG_MAX_ROWS], adv[MG_MAX_ROWS];
    double mean_r = 0.0;
    for (int r = 0; r < R; r++) {
        const float r1 = fminf(fmaxf(y[r], -REWARD_CLIP), REWARD_CLIP);
        const float r2 = fminf(fmaxf(y[R + r], -REWARD_CLIP), REWARD_CLIP);
        ret[r] = r1 + r2;
        ret[R + r] = r2;
        mean_r += (r1 + r2) / (2.0 * R);
    }
    double sq = 0.0;
    for (int bar = 0; bar < 2; bar++)
        for (int cc = 0; cc < nc; cc++) {
            double sum = 0.0;
            for (int j = 0; j < k; j++)
                sum += ret[bar * R + cc * k + j];
            for (int j = 0; j < k; j++) {
                const int i = bar * R + cc * k + j;
                adv[i] = (float)(ret[i] - (sum - ret[i]) / (k - 1)); /* leave-one-out */
                sq += (double)adv[i] * adv[i];
            }
        }
    const double sd = sqrt(sq / (2.0 * R));
    g->reward_sd = g->iter == 0 ? fmax(sd, 1e-3) : 0.95 * g->reward_sd + 0.05 * fmax(sd, 1e-3);
    /* the two bars of every sample in one teacher-forced batch */
    long ns = 0;
    for (int r = 0; r < 2 * R; r++) {
        const gb_melgen_cond_t *cd = r < R ? &g->conds[r] : &g->conds2[r - R];
        const float *z = r < R ? g->z1 + r * GB_MELGEN_Z : g->z2 + (r - R) * GB_MELGEN_Z;
        gb_melgen_cond_vector(cd, z, g->cond + (size_t)r * GB_MELGEN_COND);
        gb_melgen_refs(cd, g->refs + (size_t)r * GB_MELGEN_REFS * MG_S);
        memcpy(g->tok + (size_t)r * MG_S, r < R ? g->tok + (size_t)r * MG_S
                                              : g->tok2 + (size_t)(r - R) * MG_S, MG_S);
        gb_melgen_last_token(cd->prev1, cd->steps, &g->first[r]);
        g->steps[r] = cd->steps;
        ns += cd->steps;
    }
    for (int r = 0; r < 2 * R; r++)
        g->wrow[r] = (float)(adv[r] / g->reward_sd) / (float)ns;
    gb_mgnet_zero_grad(g->net);
    gb_mgnet_zero_grad(g->net2);
    mg_shard_t sh[2];
    mg_shards_split(g, 2 * R, sh); /* bar 1 in one shard, bar 2 in the other */
    sh[0].ref = g->ref;
    sh[1].ref = g->ref2;
    for (int i = 0; i < 2; i++) {
        sh[i].scale = 1.0f;
        sh[i].kl_scale = c->adv_kl / (float)ns;
    }
    mg_shards(g, sh);
    mg_reduce_grads(g);
    *kl = (sh[0].kl_ref + sh[1].kl_ref) / (double)ns;
    if (c->adv_mle > 0.0f) {
        uint32_t real[MG_MAX_ROWS];
        for (int r = 0; r < c->batch; r++)
            real[r] = x->train[gb_melgen_rng_next(rng) % x->n_train];
        long ms;
        double mk;
        mg_mle_grad(g, x, real, c->batch, rng, c->adv_mle, &ms, &mk);
    }
    mg_adam_all(g, c->adv_lr);
    gb_mgnet_update(g->net, g->gen_nn, NULL);
    return mean_r;
}

int mg_phase_adv(gb_melgan_t *g, const mg_index_t *x, gb_error_t *err)
{
    const gb_melgan_config_t *c = &g->cfg;
    const double t0 = mg_now();
    if (c->adv_steps == 0)
        return 0;
    if (!x->n_adv)
        return gb_error_set(err, GB_EFORMAT, "melody GAN: no training tune has two bars");
    if (g->iter == 0) /* a new objective: fresh optimizer moments */
        for (int b = 0; b < GB_MGNET_BLOCKS; b++) {
            const size_t n = gb_mgnet_block_size(g->net, b);
            memset(gb_adam_m(g->adam[b]), 0, n * sizeof(float));
            memset(gb_adam_v(g->adam[b]), 0, n * sizeof(float));
            gb_adam_set_step_count(g->adam[b], 0);
        }
    const int tenth = c->adv_steps / 10 > 0 ? c->adv_steps / 10 : 1;
    double r_first = g->rep.adv_reward_first * tenth, r_last = 0.0, kl_last = 0.0, last = 0.0;
    if (!isfinite(r_first))
        r_first = 0.0;
    int n_last = 0;
    for (; g->iter < c->adv_steps; g->iter++) {
        uint64_t rng = mg_stream(c->seed, MG_PHASE_ADV, (uint64_t)g->iter);
        double kl;
        const double r = adv_iteration(g, x, &rng, &kl);
        if (!isfinite(r) || !isfinite(kl))
            return gb_error_set(err, GB_ERANGE, "melody GAN: the fine-tune diverged "
                                                "(iteration %d)", g->iter + 1);
        if (g->iter < tenth)
            r_first += r;
        if (g->iter >= c->adv_steps - tenth) {
            r_last += r;
            kl_last += kl;
            n_last++;
        }
        g->rep.adv_reward_first = r_first / (g->iter < tenth ? g->iter + 1 : tenth);
        if (mg_now() - last > 0.5) {
            last = mg_now();
            mg_progress(g, "adversarial", (double)(g->iter + 1) / c->adv_steps, kl, r);
        }
        if (c->checkpoint && (g->iter + 1) % CKPT_EVERY == 0 && g->iter + 1 < c->adv_steps) {
            g->iter++;
            const int rc = mg_checkpoint_save(g, err);
            g->iter--;
            if (rc)
                return rc;
        }
    }
    g->rep.adv_steps = c->adv_steps;
    if (n_last) {
        g->rep.adv_reward_last = r_last / n_last;
        g->rep.adv_kl_last = kl_last / n_last;
    }
    g->rep.val_ce_adv = gb_melgan_eval(g, x->ds, x->n_val ? GB_MDS_VALIDATION : GB_MDS_TRAIN,
                                       NULL);
    g->rep.seconds_adv += mg_now() - t0;
    if (c->progress)
        fprintf(stderr, "\n  adversarial: reward %.3f → %.3f, KL to the likelihood model "
                        "%.4f nats/step, validation CE %.4f\n",
                g->rep.adv_reward_first, g->rep.adv_reward_last, g->rep.adv_kl_last,
                g->rep.val_ce_adv);
    return 0;
}
