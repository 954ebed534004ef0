/* gb_melgan_gen.c — bar-by-bar generation with the melody GAN (gb_melgan_generate) and the
 * checks that a loaded model is this version's generator or critic.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gb_melgan.h"

#define S GB_MDS_MAX_STEPS

int gb_melgan_check_generator(const gb_nn_t *gen, const char *name, gb_error_t *err)
{
    if (!gen || gb_nn_in_dim(gen) != GB_MELGEN_STEP_IN || gb_nn_out_dim(gen) != GB_MDS_VOCAB)
        return gb_error_set(err, GB_EFORMAT,
                            "%s: not a melody GAN generator of this gbac (it takes %d inputs and "
                            "gives %d; expected %d and %d — a model from before the "
                            "autoregressive generator? retrain with `gbac train melody`)",
                            name, gen ? gb_nn_in_dim(gen) : 0, gen ? gb_nn_out_dim(gen) : 0,
                            GB_MELGEN_STEP_IN, GB_MDS_VOCAB);
    return 0;
}

int gb_melgan_check_critic(const gb_nn_t *critic, const char *name, gb_error_t *err)
{
    if (!critic || gb_nn_in_dim(critic) != GB_MELGEN_CRIT_IN || gb_nn_out_dim(critic) != 1)
        return gb_error_set(err, GB_EFORMAT,
                            "%s: not a melody GAN critic of this gbac (it takes %d inputs; "
                            "expected %d)", name, critic ? gb_nn_in_dim(critic) : 0,
                            GB_MELGEN_CRIT_IN);
    return 0;
}

int gb_melgan_check_critic_version(int version, const char *name, gb_error_t *err)
{
    if (version < GB_MELGAN_FEATURES_VERSION)
        return gb_error_set(err, GB_EFORMAT,
                            "%s: a melody GAN critic of features version %d, whose inputs are in "
                            "the order before version %d (models/melody-gan.md, \"Retrained\"); "
                            "retrain it with `gbac train melody`",
                            name, version, GB_MELGAN_FEATURES_VERSION);
    return 0;
}

int gb_melgan_pick(const float *logits, int k, uint64_t *rng)
{
    int best = 0;
    for (int j = 1; j < k; j++)
        if (logits[j] > logits[best])
            best = j;
    if (!rng)
        return best;
    /* candidate j with probability ∝ exp(logit_j): the critic's estimate of p_real/p_model
     * reweights the model's samples towards the corpus */
    double w[GB_MELGEN_MAX_ROWS], sum = 0.0;
    for (int j = 0; j < k; j++)
        sum += w[j] = exp((double)(logits[j] - logits[best]));
    double u = gb_melgen_rng_unit(rng) * sum;
    for (int j = 0; j < k; j++) {
        if (u < w[j])
            return j;
        u -= w[j];
    }
    return best;
}

static void rests(uint8_t *bar, int steps)
{
    for (int s = 0; s < S; s++)
        bar[s] = s < steps ? GB_MDS_REST : GB_MDS_PAD;
}

/* The critic's logits of the job's K bars into sc, and the one it chooses. */
static int choose(const gb_melgen_job_t *job, gb_nn_t *critic, const gb_melgen_cond_t *c, int K,
                  float *cin, float *sc, uint64_t *rng)
{
    for (int k = 0; k < K; k++)
        gb_melgen_critic_input(c, gb_melgen_job_bar(job, k), cin + (size_t)k * GB_MELGEN_CRIT_IN);
    gb_nn_reset(critic);
    gb_nn_forward(critic, cin, sc, K);
    return gb_melgan_pick(sc, K, rng);
}

int gb_melgan_generate(gb_nn_t *gen, gb_nn_t *critic, const gb_melgan_gen_opts_t *o,
                       const uint8_t *history, int n_history, uint8_t *bars, float *scores,
                       gb_error_t *err)
{
    const int steps = o && o->den > 0 ? o->num * 16 / o->den : 0;
    if (!o || !bars || o->bars < 1 || steps < 1 || steps > S || o->num * 16 % o->den != 0 ||
        o->candidates < 1 || o->candidates > GB_MELGEN_MAX_ROWS || o->density < -1 ||
        n_history < 0 || n_history > 4 || (n_history && !history))
        return gb_error_set(err, GB_EINVAL,
                            "melody generation: bad arguments (a meter of at most %d 16th steps, "
                            "1..%d candidates)", S, GB_MELGEN_MAX_ROWS);
    int rc = gb_melgan_check_generator(gen, "generator", err);
    if (!rc && critic)
        rc = gb_melgan_check_critic(critic, "critic", err);
    if (rc)
        return rc;
    const int K = o->candidates;
    if (gb_nn_max_batch(gen) < K || (critic && gb_nn_max_batch(critic) < K))
        return gb_error_set(err, GB_EINVAL, "melody generation: the models take %d rows at "
                            "once, fewer than %d candidates", gb_nn_max_batch(gen), K);
    gb_melgen_job_t *job = gb_melgen_job_new(K, err);
    float *cin = critic ? malloc((size_t)K * GB_MELGEN_CRIT_IN * sizeof(float)) : NULL;
    float *sc = malloc((size_t)K * sizeof(float));
    if (!job || (critic && !cin) || !sc) {
        gb_melgen_job_free(job);
        free(cin);
        free(sc);
        return job ? gb_error_set(err, GB_ENOMEM, "melody generation: out of memory")
                   : (err ? err->code : GB_ENOMEM);
    }
    uint64_t rng = o->seed * 0x2545f4914f6cdd1dull + 0x1234567ull;
    gb_melgen_cond_t c;
    memset(&c, 0, sizeof c);
    c.steps = steps;
    c.num = o->num;
    c.den = o->den;
    c.mode = o->mode;
    uint8_t hist[4][S]; /* the bars before, the latest first */
    for (int h = 0; h < 4; h++) {
        if (h < n_history)
            memcpy(hist[h], history + (size_t)h * S, S);
        else
            rests(hist[h], steps);
    }
    for (int b = 0; b < o->bars; b++) {
        memcpy(c.prev1, hist[0], S);
        memcpy(c.prev2, hist[1], S);
        memcpy(c.prev4, hist[3], S);
        c.phrase_pos = ((o->phrase_pos + b) % GB_MELGEN_PHRASE + GB_MELGEN_PHRASE) %
                       GB_MELGEN_PHRASE;
        const int d = gb_melgen_onsets(c.prev1, steps);
        c.density = b > 0 || o->density < 0 ? -1 : o->density > 0 ? o->density : d ? d : -1;
        c.chord = o->chords ? o->chords[b] & 0xfff : 0;
        gb_melgen_job_begin(job, K, o->temperature, o->top_k);
        for (int k = 0; k < K; k++) {
            float z[GB_MELGEN_Z];
            for (int i = 0; i < GB_MELGEN_Z; i++)
                z[i] = gb_melgen_rng_normal(&rng);
            gb_melgen_job_row(job, k, &c, z, gb_melgen_rng_next(&rng));
        }
        while (gb_melgen_job_step(job, gen, 0) > 0) {
        }
        const int best = critic ? choose(job, critic, &c, K, cin, sc, o->pick_best ? NULL : &rng)
                                : 0;
        uint8_t *out = bars + (size_t)b * S;
        memcpy(out, gb_melgen_job_bar(job, best), S);
        if (scores)
            scores[b] = critic ? sc[best] : 0.0f;
        memmove(hist[1], hist[0], 3 * S);
        memcpy(hist[0], out, S);
    }
    gb_melgen_job_free(job);
    free(cin);
    free(sc);
    return 0;
}
