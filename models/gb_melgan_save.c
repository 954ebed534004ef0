/* gb_melgan_save.c — the melody GAN's model files: the generator (with the training corpus'
 * phrase hashes) and its critic, with model cards naming each other.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_melgan_priv.h"
#include "gb_melody_copy.h"
#include "gb_modelfile.h"

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static json_t *card_counts(const gb_melody_ds_t *ds)
{
    long n[3] = {0, 0, 0}, orig = 0, tunes[3] = {0, 0, 0};
    for (uint32_t i = 0; i < ds->n_records; i++) {
        if (ds->records[i].split < 3)
            n[ds->records[i].split]++;
        orig += ds->records[i].transpose == 0;
    }
    for (int i = 0; i < ds->n_tunes; i++)
        if ((int)ds->tunes[i].split < 3)
            tunes[ds->tunes[i].split]++;
    return json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "tunes", ds->n_tunes,
                     "records", (json_int_t)ds->n_records, "bars", (json_int_t)orig,
                     "train_records", (json_int_t)n[0], "validation_records", (json_int_t)n[1],
                     "test_records", (json_int_t)n[2], "train_tunes", (json_int_t)tunes[0],
                     "validation_tunes", (json_int_t)tunes[1], "test_tunes",
                     (json_int_t)tunes[2]);
}

/* version 3 (GB_MELGAN_FEATURES_VERSION): the critic's input as GB_MELGEN_K_* names it
 * (version-2 critics were trained with the phrase block one float late and the last pitch
 * class of bar b cut off). */
static json_t *card_features(void)
{
    return json_pack(
        "{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:s, s:s, s:s, s:s, s:s}", "version",
        GB_MELGAN_FEATURES_VERSION, "vocab",
        GB_MDS_VOCAB, "max_steps", GB_MDS_MAX_STEPS, "z", GB_MELGEN_Z, "step_input",
        GB_MELGEN_STEP_IN, "conditioning", GB_MELGEN_COND, "critic_input", GB_MELGEN_CRIT_IN,
        "tokens", "0 rest, 1 hold, 2 + (pitch - 48) for MIDI 48..96, normalised to C major / A "
        "minor",
        "generator", "autoregressive over the 16th steps of a bar: input [token before the step "
        "one-hot x51, step one-hot x24, bars 1, 2 and 4 back: token at the step one-hot x51 + "
        "'equal so far' flag, conditioning x301] -> Dense relu -> GRU -> 51 logits; one forward "
        "per step (models/gb_melgen.h)",
        "conditioning_layout", "[bar 1 back x84, 2 back x84, 4 back x84, meter one-hot x4, "
        "steps/16, mode, key one-hot x12, phrase position one-hot x8, density/16 + given flag, "
        "chord pitch classes x12 + no chord, z x8]",
        "bar_features", "per step (onset, sounding, (pitch-72)/12) x24, pitch-class histogram x12",
        "critic", "[bars b-4, b-2, b-1, b features x84 each, meter x4, steps/16, mode, key x12, "
        "phrase position x8, chord x13, per reference bar equal + share equal x6, note "
        "statistics of b-1 and b x36 each (onsets, note-length, inter-onset and interval "
        "histograms, last pitch class)] -> relu -> relu -> logit (> 0: real)");
}

static json_t *card_training(const gb_melgan_config_t *c, int which)
{
    json_t *t = json_pack(
        "{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:f, s:f, s:f, s:i, s:f}",
        "objective",
        which ? "likelihood only: cross-entropy of the tokens (teacher forcing) + the latent's KL "
                "with free bits (conditional VAE); the critic trained against its samples"
              : "likelihood pre-training (conditional VAE), critic, then adversarial fine-tune: "
                "REINFORCE with per-bar critic rewards and a leave-one-out baseline, KL to the "
                "likelihood model, likelihood of real bars",
        "embed", c->embed, "hidden", c->hidden, "enc_hidden", c->enc_hidden, "critic_hidden",
        c->critic_hidden, "batch", c->batch, "epochs", c->epochs, "per_epoch", c->per_epoch,
        "patience", c->patience, "lr", (double)c->lr, "kl_z", (double)c->kl_z, "free_bits",
        (double)c->free_bits, "chord_p", (double)c->chord_p, "critic_steps", c->critic_steps,
        "critic_lr", (double)c->critic_lr);
    if (!which) {
        json_object_set_new(t, "adv_steps", json_integer(c->adv_steps));
        json_object_set_new(t, "adv_contexts", json_integer(c->adv_contexts));
        json_object_set_new(t, "adv_k", json_integer(c->adv_k));
        json_object_set_new(t, "adv_lr", json_real(c->adv_lr));
        json_object_set_new(t, "adv_kl", json_real(c->adv_kl));
        json_object_set_new(t, "adv_mle", json_real(c->adv_mle));
    }
    return t;
}

static json_t *card_metrics(const gb_melgan_report_t *r, int which)
{
    json_t *m = json_object();
    json_object_set_new(m, "train_cross_entropy", jnum(r->train_ce));
    json_object_set_new(m, "validation_cross_entropy", jnum(which ? r->val_ce :
                                                            isfinite(r->val_ce_adv) ? r->val_ce_adv
                                                                                    : r->val_ce));
    json_object_set_new(m, "validation_cross_entropy_likelihood", jnum(r->val_ce));
    json_object_set_new(m, "validation_token_accuracy", jnum(r->val_acc));
    json_object_set_new(m, "validation_latent_kl_per_bar", jnum(r->val_kl_z));
    json_object_set_new(m, "critic_accuracy_real_vs_generated",
                        jnum(which ? r->critic_acc_mle : r->critic_acc));
    json_object_set_new(m, "epochs", json_integer(r->epochs));
    json_object_set_new(m, "best_epoch", json_integer(r->best_epoch));
    json_object_set_new(m, "early_stopped", json_boolean(r->early_stopped));
    if (!which) {
        json_object_set_new(m, "adversarial_steps", json_integer(r->adv_steps));
        json_object_set_new(m, "reward_first", jnum(r->adv_reward_first));
        json_object_set_new(m, "reward_last", jnum(r->adv_reward_last));
        json_object_set_new(m, "kl_to_likelihood_per_step", jnum(r->adv_kl_last));
    }
    /* no times: the same command must give the same bytes (times are printed and in
     * models/melody-gan.md) */
    return m;
}

static char *make_card(gb_melgan_t *g, const gb_melody_ds_t *ds, const gb_melgan_report_t *rep,
                       const char *command, int which, const char *kind, const char *other)
{
    gb_melgan_report_t none;
    if (!rep) {
        memset(&none, 0, sizeof none);
        rep = &none;
    }
    json_t *card = json_pack(
        "{s:s, s:s, s:o, s:{s:s, s:s, s:o, s:s}, s:I, s:s, s:o, s:o, s:s}", "kind", kind,
        "variant", which ? "likelihood" : "adversarial", "features", card_features(), "data",
        "source", ds->source, "licence", ds->licence, "counts", card_counts(ds), "split",
        "by tune, as in the dataset's manifest (train tunes augmented by transposition)", "seed",
        (json_int_t)g->cfg.seed, "command", command ? command : "", "training",
        card_training(&g->cfg, which), "metrics", card_metrics(rep, which), "pair", other);
    char *s = card ? json_dumps(card, JSON_COMPACT | JSON_REAL_PRECISION(5)) : NULL;
    json_decref(card);
    return s;
}

/* The critic as a runtime model: the current one, or the phase-2 one (which = 1). */
static gb_nn_t *critic_nn(gb_melgan_t *g, int which, gb_error_t *err)
{
    const size_t n = gb_mlp_n_params(g->crit);
    float *keep = which ? malloc(n * sizeof(float)) : NULL;
    if (which && !keep) {
        gb_error_set(err, GB_ENOMEM, "out of memory");
        return NULL;
    }
    if (which) {
        memcpy(keep, gb_mlp_params(g->crit), n * sizeof(float));
        memcpy(gb_mlp_params(g->crit), g->pre_crit, n * sizeof(float));
    }
    gb_nn_t *nn = gb_mlp_export(g->crit, 64, err);
    if (which) {
        memcpy(gb_mlp_params(g->crit), keep, n * sizeof(float));
        free(keep);
    }
    return nn;
}

int gb_melgan_save(gb_melgan_t *g, const gb_melody_ds_t *ds, const gb_melgan_report_t *rep,
                   const char *command, int which, const char *out, gb_error_t *err)
{
    const size_t len = strlen(out);
    char *disc = malloc(len + 6);
    if (!disc)
        return gb_error_set(err, GB_ENOMEM, "%s: out of memory", out);
    memcpy(disc, out, len);
    memcpy(disc + len, ".disc", 6);
    int rc = 0;
    char *gcard = make_card(g, ds, rep, command, which, "melody-gan-generator", base_name(disc));
    char *ccard = make_card(g, ds, rep, command, which, "melody-gan-critic", base_name(out));
    gb_nn_t *gn = gb_mgnet_export(which ? g->ref : g->net, 64, err);
    gb_nn_t *cn = gn ? critic_nn(g, which, err) : NULL;
    gb_melody_copy_t *hashes = cn ? gb_melody_copy_from_ds(ds, err) : NULL;
    if (!gcard || !ccard)
        rc = gb_error_set(err, GB_ENOMEM, "%s: out of memory", out);
    else if (!gn || !cn || !hashes)
        rc = err && err->code ? err->code : GB_EINVAL;
    else if ((rc = gb_melody_copy_save_model(out, gn, gcard, hashes, err)) == 0)
        rc = gb_model_save(disc, cn, ccard, err);
    gb_melody_copy_free(hashes);
    gb_nn_free(gn);
    gb_nn_free(cn);
    free(gcard);
    free(ccard);
    free(disc);
    return rc;
}
