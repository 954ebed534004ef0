/* gb_melgan_priv.h — the melody GAN trainer's state, shared by its files (gb_melgan*.c).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_MELGAN_PRIV_H
#define GB_MELGAN_PRIV_H

#include "gb_melgan.h"
#include "gb_melgan_net.h"
#include "gb_mlp_train.h"

#define MG_S GB_MDS_MAX_STEPS
#define MG_V GB_MDS_VOCAB
#define MG_MAX_ROWS 128      /* rows of a generator batch (likelihood batch, 2 × K × contexts) */
#define MG_CRIT_ROWS 256     /* rows of a critic batch */
#define MG_VAL_CAP 4000      /* validation bars evaluated (strided) */

/* Phases, in order; a checkpoint records the one to run next. */
enum { MG_PHASE_MLE = 0, MG_PHASE_CRITIC, MG_PHASE_ADV, MG_PHASE_CRITIC2, MG_PHASE_DONE };

/* The dataset seen as tunes: neighbours and phrase positions of every record. */
typedef struct mg_index {
    const gb_melody_ds_t *ds;
    int32_t *prev, *next;   /* the record of bar − 1 / bar + 1 (same tune, same transposition) */
    uint8_t *phrase;        /* (bar − pickup) mod 8 */
    uint32_t *train, *val, *adv; /* train records; validation; train records with a next bar */
    uint32_t n_train, n_val, n_adv;
} mg_index_t;

struct gb_melgan {
    gb_melgan_config_t cfg;
    char checkpoint[4096];
    gb_mgnet_t *net;            /* the generator being trained (with its encoder) */
    gb_mgnet_t *net2;           /* its replica for the second shard of a batch */
    gb_mgnet_t *ref, *ref2;     /* the likelihood model, frozen, for the KL (no encoder) */
    gb_mlp_t *crit;             /* the critic */
    gb_adam_t *adam[GB_MGNET_BLOCKS], *adam_c;
    float *best[GB_MGNET_BLOCKS]; /* the best epoch's weights */
    float *pre_crit;            /* the phase-2 critic, saved with the likelihood model */
    gb_nn_t *gen_nn;            /* runtime copy of net for sampling */
    gb_melgen_job_t *job;
    /* progress through the phases (what a checkpoint stores) */
    int phase, epoch, iter, bad;
    double best_val, reward_sd;
    gb_melgan_report_t rep;
    double t0;
    /* scratch */
    float *cond, *critin, *critd, *wrow, *eps;
    uint8_t *tok, *tok2, *refs; /* refs: rows × GB_MELGEN_REFS × MG_S */
    int *first, *steps;
    gb_melgen_cond_t *conds, *conds2;
    float *z1, *z2, *ref_logits;
    float enc_in[GB_MGNET_ENC_IN * MG_MAX_ROWS], enc_d[2 * GB_MELGEN_Z * MG_MAX_ROWS];
    float dcond[MG_MAX_ROWS * GB_MELGEN_COND];
};

/* gb_melgan_data.c */
int mg_index_build(mg_index_t *x, const gb_melody_ds_t *ds, gb_error_t *err);
void mg_index_free(mg_index_t *x);
/* The conditioning of record i (chord: a mask or 0; dens: its onset count is given, else
 * −1); of the bar after it with `bar` in place of the record's own (its generated or real
 * version). */
void mg_record_cond(const mg_index_t *x, uint32_t i, int chord, int dens, gb_melgen_cond_t *c);
void mg_next_cond(const mg_index_t *x, uint32_t i, const uint8_t *bar, int chord, int dens,
                  gb_melgen_cond_t *c);
/* splitmix64 stream for (seed, phase, n). */
uint64_t mg_stream(uint32_t seed, int phase, uint64_t n);

/* One shard of a teacher-forced batch: rows r0 .. r0+n of the trainer's row arrays through
 * `net` (g->net or its replica g->net2), with the likelihood phase's loss (mle: encoder,
 * cross-entropy, latent KL) or the fine-tune's (weights g->wrow, KL to `ref`). */
typedef struct mg_shard {
    gb_melgan_t *g;
    gb_mgnet_t *net, *ref;
    int r0, n, mle;
    float scale, kl_scale, enc_kl_scale;
    double ce, kl, kl_ref;
} mg_shard_t;

/* gb_melgan.c */
double mg_now(void);
/* Split n rows into the two shards (g->net, g->net2); run them (a thread for the second when
 * threads > 1); add the replica's gradients to g->net's; copy g->net's weights to the
 * replica. */
void mg_shards_split(gb_melgan_t *g, int n, mg_shard_t *w);
void mg_shards(gb_melgan_t *g, mg_shard_t *w);
void mg_reduce_grads(gb_melgan_t *g);
void mg_sync(gb_melgan_t *g);
/* Add the likelihood phase's gradient (weight · per-step loss) of records idx[0..n); returns
 * the cross-entropy sum, the steps and the latent KL sum. */
double mg_mle_grad(gb_melgan_t *g, const mg_index_t *x, const uint32_t *idx, int n,
                   uint64_t *rng, float weight, long *n_steps, double *kl);
void mg_adam_all(gb_melgan_t *g, float lr);
void mg_progress(gb_melgan_t *g, const char *phase, double frac, double loss, double val);
int mg_checkpoint_save(gb_melgan_t *g, gb_error_t *err);
/* Critic: forward/backward of n rows of g->critin (labels lab, 1 real / 0 fake, weights w);
 * returns mean BCE; logits out (n). Adam step when lr > 0. */
double mg_critic_step(gb_melgan_t *g, int n, const float *lab, const float *w, float lr,
                      float *logits);

/* gb_melgan_adv.c */
int mg_phase_critic(gb_melgan_t *g, const mg_index_t *x, gb_error_t *err);
int mg_phase_adv(gb_melgan_t *g, const mg_index_t *x, gb_error_t *err);
int mg_phase_final_critic(gb_melgan_t *g, const mg_index_t *x, gb_error_t *err);
double mg_critic_accuracy(gb_melgan_t *g, const mg_index_t *x, uint32_t seed_tag);

#endif
