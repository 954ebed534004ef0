/* gb_melgan_ckpt.c — checkpoints of the melody GAN trainer: a safetensors file of every
 * weight and optimizer moment, and the progress (phase, epoch, iteration, report) as JSON in
 * its metadata key "gbac.melgan.checkpoint".
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_melgan_priv.h"
#include "gb_safetensors.h"

#define CK_KEY "gbac.melgan.checkpoint"
#define CK_MAX 40

typedef struct ck_list {
    gb_st_f32_t t[CK_MAX];
    char names[CK_MAX][32];
    float *data[CK_MAX]; /* where loading writes */
    size_t count[CK_MAX];
    int n;
} ck_list_t;

static void add(ck_list_t *l, const char *name, float *data, size_t count)
{
    if (!count || l->n >= CK_MAX)
        return;
    snprintf(l->names[l->n], sizeof l->names[0], "%s", name);
    l->t[l->n] = (gb_st_f32_t){.name = l->names[l->n], .ndim = 1, .shape = {(int64_t)count},
                               .data = data};
    l->data[l->n] = data;
    l->count[l->n] = count;
    l->n++;
}

/* Every tensor of the state, in a fixed order. */
static void state_list(gb_melgan_t *g, ck_list_t *l)
{
    char nm[32];
    memset(l, 0, sizeof *l);
    for (int b = 0; b < GB_MGNET_BLOCKS; b++) {
        const size_t n = gb_mgnet_block_size(g->net, b);
        snprintf(nm, sizeof nm, "net.%d", b);
        add(l, nm, gb_mgnet_block_params(g->net, b), n);
        snprintf(nm, sizeof nm, "best.%d", b);
        add(l, nm, g->best[b], n);
        snprintf(nm, sizeof nm, "adam.%d.m", b);
        add(l, nm, gb_adam_m(g->adam[b]), n);
        snprintf(nm, sizeof nm, "adam.%d.v", b);
        add(l, nm, gb_adam_v(g->adam[b]), n);
        if (b < 3) {
            snprintf(nm, sizeof nm, "ref.%d", b);
            add(l, nm, gb_mgnet_block_params(g->ref, b), n);
        }
    }
    const size_t nc = gb_mlp_n_params(g->crit);
    add(l, "critic", gb_mlp_params(g->crit), nc);
    add(l, "critic.m", gb_adam_m(g->adam_c), nc);
    add(l, "critic.v", gb_adam_v(g->adam_c), nc);
    add(l, "critic.pre", g->pre_crit, nc);
}

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static double num(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

int mg_checkpoint_save(gb_melgan_t *g, gb_error_t *err)
{
    ck_list_t l;
    state_list(g, &l);
    const gb_melgan_report_t *r = &g->rep;
    json_t *steps = json_array();
    for (int b = 0; b < GB_MGNET_BLOCKS; b++)
        json_array_append_new(steps, json_integer(gb_adam_step_count(g->adam[b])));
    json_t *o = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:o, s:o, s:o, s:I}",
                          "version", 1, "embed", g->cfg.embed, "hidden", g->cfg.hidden,
                          "enc_hidden", g->cfg.enc_hidden, "critic_hidden",
                          g->cfg.critic_hidden, "phase", g->phase, "epoch", g->epoch, "iter",
                          g->iter, "bad", g->bad, "best_val", jnum(g->best_val), "reward_sd",
                          jnum(g->reward_sd), "adam_steps", steps, "critic_steps",
                          (json_int_t)gb_adam_step_count(g->adam_c));
    json_t *rp = json_pack("{s:i, s:i, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:o, s:o, s:o, "
                           "s:o, s:o, s:o, s:o, s:o}",
                           "epochs", r->epochs, "best_epoch", r->best_epoch, "early_stopped",
                           r->early_stopped, "train_ce", jnum(r->train_ce), "val_ce",
                           jnum(r->val_ce), "val_acc", jnum(r->val_acc), "val_kl_z",
                           jnum(r->val_kl_z), "critic_acc_mle", jnum(r->critic_acc_mle),
                           "critic_acc", jnum(r->critic_acc), "adv_steps", r->adv_steps,
                           "adv_reward_first", jnum(r->adv_reward_first), "adv_reward_last",
                           jnum(r->adv_reward_last), "adv_kl_last", jnum(r->adv_kl_last),
                           "seconds", jnum(r->seconds), "seconds_mle", jnum(r->seconds_mle),
                           "seconds_critic", jnum(r->seconds_critic), "seconds_adv",
                           jnum(r->seconds_adv), "val_ce_adv", jnum(r->val_ce_adv));
    char *s = NULL;
    if (o && rp && json_object_set_new(o, "report", rp) == 0)
        s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17));
    else
        json_decref(rp);
    json_decref(o);
    if (!s)
        return gb_error_set(err, GB_ENOMEM, "%s: out of memory", g->checkpoint);
    const gb_st_meta_t meta[1] = {{CK_KEY, s}};
    const int rc = gb_st_save_f32(g->checkpoint, l.t, (size_t)l.n, meta, 1, err);
    free(s);
    return rc;
}

static int ck_fail(gb_error_t *err, const char *path, const char *what)
{
    return gb_error_set(err, GB_EFORMAT, "%s: not a checkpoint of this melody GAN: %s", path,
                        what);
}

static void load_report(gb_melgan_report_t *r, json_t *o)
{
    r->epochs = (int)num(o, "epochs");
    r->best_epoch = (int)num(o, "best_epoch");
    r->early_stopped = (int)num(o, "early_stopped");
    r->train_ce = num(o, "train_ce");
    r->val_ce = num(o, "val_ce");
    r->val_acc = num(o, "val_acc");
    r->val_kl_z = num(o, "val_kl_z");
    r->critic_acc_mle = num(o, "critic_acc_mle");
    r->critic_acc = num(o, "critic_acc");
    r->adv_steps = (int)num(o, "adv_steps");
    r->adv_reward_first = num(o, "adv_reward_first");
    r->adv_reward_last = num(o, "adv_reward_last");
    r->adv_kl_last = num(o, "adv_kl_last");
    r->seconds = num(o, "seconds");
    r->seconds_mle = num(o, "seconds_mle");
    r->seconds_critic = num(o, "seconds_critic");
    r->seconds_adv = num(o, "seconds_adv");
    r->val_ce_adv = num(o, "val_ce_adv");
}

int gb_melgan_checkpoint_load(gb_melgan_t *g, const char *path, gb_error_t *err)
{
    gb_st_t *st = gb_st_open(path, err);
    if (!st)
        return err ? err->code : GB_EIO;
    int rc = 0;
    json_t *o = NULL;
    const char *meta = gb_st_meta_get(st, CK_KEY);
    if (!meta || !(o = json_loads(meta, 0, NULL))) {
        rc = ck_fail(err, path, "no " CK_KEY " metadata");
        goto done;
    }
    if (num(o, "embed") != g->cfg.embed || num(o, "hidden") != g->cfg.hidden ||
        num(o, "enc_hidden") != g->cfg.enc_hidden ||
        num(o, "critic_hidden") != g->cfg.critic_hidden) {
        rc = ck_fail(err, path, "other layer sizes (embed, hidden, enc_hidden, critic_hidden)");
        goto done;
    }
    ck_list_t l;
    state_list(g, &l);
    for (int i = 0; i < l.n && !rc; i++) {
        const long k = gb_st_find(st, l.names[i]);
        gb_st_info_t ti;
        if (k < 0 || gb_st_info(st, (size_t)k, &ti) || ti.count != l.count[i]) {
            char w[96];
            snprintf(w, sizeof w, "tensor '%s' missing or of another size", l.names[i]);
            rc = ck_fail(err, path, w);
        } else {
            rc = gb_st_read_f32(st, (size_t)k, l.data[i], l.count[i], err);
        }
    }
    if (rc)
        goto done;
    json_t *steps = json_object_get(o, "adam_steps");
    for (int b = 0; b < GB_MGNET_BLOCKS; b++)
        gb_adam_set_step_count(g->adam[b], (int64_t)json_integer_value(json_array_get(steps, (size_t)b)));
    gb_adam_set_step_count(g->adam_c, (int64_t)num(o, "critic_steps"));
    g->phase = (int)num(o, "phase");
    g->epoch = (int)num(o, "epoch");
    g->iter = (int)num(o, "iter");
    g->bad = (int)num(o, "bad");
    g->best_val = isfinite(num(o, "best_val")) ? num(o, "best_val") : INFINITY;
    g->reward_sd = isfinite(num(o, "reward_sd")) ? num(o, "reward_sd") : 1.0;
    load_report(&g->rep, json_object_get(o, "report"));
    if (g->phase < MG_PHASE_MLE || g->phase > MG_PHASE_DONE) {
        rc = ck_fail(err, path, "phase out of range");
    } else {
        mg_sync(g);
        gb_mgnet_copy_gen(g->ref2, g->ref);
        rc = gb_mgnet_update(g->net, g->gen_nn, err);
    }
done:
    json_decref(o);
    gb_st_free(st);
    return rc;
}
