/* cmd_train_melody.c — `gbac train melody --data DS --out FILE [...]`: train the melody GAN
 * (models/gb_melgan.h) on a dataset written by `gbac dataset melody`. One option table drives
 * the parser and the help text.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gb_cli.h"
#include "gb_cli_opts.h"
#include "gb_melgan.h"
#include "gb_melody_ds.h"

typedef enum { OPT_INT, OPT_FLOAT, OPT_SEED } opt_kind_t;

/* A configuration field set by an option. */
typedef struct mopt {
    const char *name, *arg;
    opt_kind_t kind;
    size_t off; /* in gb_melgan_config_t */
    double lo, hi;
    const char *help;
} mopt_t;

#define O(f) offsetof(gb_melgan_config_t, f)
static const mopt_t opts[] = {
    {"--epochs", "N", OPT_INT, O(epochs), 0, 1e6, "likelihood epochs at most"},
    {"--per-epoch", "N", OPT_INT, O(per_epoch), 0, INT_MAX, "training bars drawn per epoch, 0 = all"},
    {"--batch", "N", OPT_INT, O(batch), 2, 128, "bars per likelihood minibatch"},
    {"--lr", "X", OPT_FLOAT, O(lr), 1e-7, 1, "Adam learning rate, likelihood phase"},
    {"--patience", "N", OPT_INT, O(patience), 0, 1e6, "stop after N epochs without validation gain (0 never)"},
    {"--embed", "N", OPT_INT, O(embed), 1, 1024, "units of the generator's input layer"},
    {"--hidden", "N", OPT_INT, O(hidden), 1, 1024, "GRU units of the generator"},
    {"--enc-hidden", "N", OPT_INT, O(enc_hidden), 1, 1024, "units of the latent's posterior encoder"},
    {"--critic-hidden", "N", OPT_INT, O(critic_hidden), 1, 1024, "units of the critic's two hidden layers"},
    {"--kl-z", "X", OPT_FLOAT, O(kl_z), 0, 100, "weight of the latent's KL"},
    {"--free-bits", "X", OPT_FLOAT, O(free_bits), 0, 10, "nats per latent dimension not penalised"},
    {"--chord-p", "X", OPT_FLOAT, O(chord_p), 0, 1, "share of training bars given their triad as the held chord"},
    {"--critic-steps", "N", OPT_INT, O(critic_steps), 0, 1e7, "critic iterations against the likelihood model"},
    {"--critic-lr", "X", OPT_FLOAT, O(critic_lr), 1e-7, 1, "Adam learning rate of the critic"},
    {"--adv-steps", "N", OPT_INT, O(adv_steps), 0, 1e7, "adversarial iterations (0 = likelihood only)"},
    {"--adv-contexts", "N", OPT_INT, O(adv_contexts), 1, 64, "real contexts per adversarial iteration"},
    {"--adv-k", "N", OPT_INT, O(adv_k), 2, 16, "samples per context (leave-one-out baseline)"},
    {"--adv-lr", "X", OPT_FLOAT, O(adv_lr), 1e-7, 1, "Adam learning rate of the fine-tune"},
    {"--adv-kl", "X", OPT_FLOAT, O(adv_kl), 0, 100, "weight of the KL to the likelihood model"},
    {"--adv-mle", "X", OPT_FLOAT, O(adv_mle), 0, 100, "weight of the likelihood of real bars in the fine-tune"},
    {"--threads", "N", OPT_INT, O(threads), 1, 2, "worker threads (results do not depend on it)"},
    {"--seed", "N", OPT_SEED, O(seed), 0, 4294967295.0, "random seed: weights, batches, sampling"},
};
#undef O
#define N_OPTS (sizeof opts / sizeof opts[0])

static void opt_default(const mopt_t *o, const gb_melgan_config_t *d, char *buf, size_t n)
{
    const char *p = (const char *)d + o->off;
    if (o->kind == OPT_FLOAT)
        snprintf(buf, n, "%g", (double)*(const float *)p);
    else if (o->kind == OPT_SEED)
        snprintf(buf, n, "%u", *(const uint32_t *)p);
    else
        snprintf(buf, n, "%d", *(const int *)p);
}

static void usage(FILE *f)
{
    const gb_melgan_config_t d = gb_melgan_config_default();
    fprintf(f,
            "Usage: gbac train melody --data DS --out FILE [OPTIONS]\n\n"
            "Train the melody GAN on the CPU (OpenBLAS) on a dataset folder DS written by\n"
            "`gbac dataset melody`: (1) likelihood pre-training of the autoregressive\n"
            "generator with a latent (a conditional VAE), (2) a critic of three-bar windows\n"
            "against its samples, (3) an adversarial fine-tune of the generator by REINFORCE\n"
            "against the critic with a KL anchor to the likelihood model (models/melody-gan.md).\n"
            "Writes:\n"
            "  FILE       the generator (kind melody-gan-generator, with the corpus' 2-bar\n"
            "             phrase hashes for copy checks)\n"
            "  FILE.disc  its critic (kind melody-gan-critic)\n"
            "  and with --likelihood-out FILE2 the likelihood-only model and its critic too.\n\n"
            "Options:\n"
            "  --data DS              dataset folder (manifest.json + bars.bin)\n"
            "  --out FILE             generator model file to write (FILE.disc: the critic)\n"
            "  --likelihood-out FILE2 also write the likelihood-only model (FILE2, FILE2.disc)\n"
            "  --checkpoint CKPT      write the training state to CKPT after every epoch,\n"
            "                         phase and 100 adversarial iterations\n"
            "  --resume CKPT          continue the run saved in CKPT (same layer sizes); the\n"
            "                         result is that of the uninterrupted run\n");
    for (size_t i = 0; i < N_OPTS; i++) {
        char head[40], def[32];
        snprintf(head, sizeof head, "%s %s", opts[i].name, opts[i].arg);
        opt_default(&opts[i], &d, def, sizeof def);
        fprintf(f, "  %-22s %s (%s)\n", head, opts[i].help, def);
    }
    fprintf(f,
            "  --smoke                a quick run for checks: 1 epoch of 2000 bars, sizes 32,\n"
            "                         50 critic and 20 adversarial iterations\n"
            "  -q, --quiet            no progress line\n"
            "  -h, --help             show this help\n\n"
            "The progress line shows the phase, the share done, the loss, the validation\n"
            "cross-entropy (likelihood) or the mean reward (adversarial), and the ETA.\n"
            "The same data, options and seed give bit-identical files (OpenBLAS runs\n"
            "single-threaded while training).\n"
            "Exit status: 0 on success; 1 if the dataset cannot be read or has no training\n"
            "bar, an output cannot be written, or training diverges; 2 on a usage error.\n");
}

/* Can `path` be written? Checked before a long run rather than after it. */
static int probe_writable(const char *path)
{
    const int existed = access(path, F_OK) == 0;
    FILE *f = fopen(path, "ab");
    if (!f) {
        fprintf(stderr, "gbac train melody: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    fclose(f);
    if (!existed)
        remove(path);
    return 0;
}

static char *join_command(int argc, char **argv)
{
    size_t n = 6;
    for (int i = 0; i < argc; i++)
        n += strlen(argv[i]) + 1;
    char *s = malloc(n);
    if (!s)
        return NULL;
    strcpy(s, "gbac");
    for (int i = 0; i < argc; i++) {
        strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

/* Set the field of option o from text v; -1 if out of range. */
static int opt_set(const mopt_t *o, const char *v, gb_melgan_config_t *c)
{
    char *p = (char *)c + o->off;
    double d;
    if (gb_parse_double(v, o->lo, o->hi, &d) < 0)
        return -1;
    if (o->kind == OPT_FLOAT)
        *(float *)p = (float)d;
    else if (d != floor(d))
        return -1;
    else if (o->kind == OPT_SEED)
        *(uint32_t *)p = (uint32_t)d;
    else
        *(int *)p = (int)d;
    return 0;
}

typedef struct targs {
    const char *data, *out, *mle_out, *resume;
    int smoke, quiet;
    unsigned char set[N_OPTS];
} targs_t;

static int parse(int argc, char **argv, gb_melgan_config_t *c, targs_t *a)
{
    for (int i = 2; i < argc; i++) {
        const char *s = argv[i], *v;
        int missing = 0;
        if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
            usage(stdout);
            return GB_EXIT_OK;
        } else if (!strcmp(s, "--smoke")) {
            a->smoke = 1;
            continue;
        } else if (!strcmp(s, "--quiet") || !strcmp(s, "-q")) {
            a->quiet = 1;
            continue;
        }
        const char **str = NULL;
        if ((v = gb_opt_value(argc, argv, &i, "--data", &missing)))
            str = &a->data;
        else if ((v = gb_opt_value(argc, argv, &i, "--out", &missing)))
            str = &a->out;
        else if ((v = gb_opt_value(argc, argv, &i, "--likelihood-out", &missing)))
            str = &a->mle_out;
        else if ((v = gb_opt_value(argc, argv, &i, "--checkpoint", &missing)))
            str = &c->checkpoint;
        else if ((v = gb_opt_value(argc, argv, &i, "--resume", &missing)))
            str = &a->resume;
        if (str) {
            if (missing) {
                fprintf(stderr, "gbac train melody: %s needs a file or folder\n", s);
                return GB_EXIT_USAGE;
            }
            *str = v;
            continue;
        }
        size_t k = 0;
        while (k < N_OPTS && !(v = gb_opt_value(argc, argv, &i, opts[k].name, &missing)))
            k++;
        if (k == N_OPTS) {
            fprintf(stderr, "gbac train melody: unknown option '%s' (see `gbac train melody "
                            "--help`)\n", s);
            return GB_EXIT_USAGE;
        }
        if (missing || opt_set(&opts[k], v, c) < 0) {
            fprintf(stderr, "gbac train melody: %s needs %s in %g..%g%s\n", opts[k].name,
                    opts[k].kind == OPT_FLOAT ? "a number" : "a whole number", opts[k].lo,
                    opts[k].hi, missing ? "" : " (got something else)");
            return GB_EXIT_USAGE;
        }
        a->set[k] = 1;
    }
    if (!a->data || !a->out) {
        fprintf(stderr, "gbac train melody: --data DS and --out FILE are required (see `gbac "
                        "train melody --help`)\n");
        return GB_EXIT_USAGE;
    }
    return -1;
}

/* --smoke: small sizes, short phases, unless set explicitly. */
static void smoke(gb_melgan_config_t *c, const targs_t *a)
{
    static const struct { const char *name; double v; } s[] = {
        {"--epochs", 1}, {"--per-epoch", 2000}, {"--embed", 32}, {"--hidden", 32},
        {"--enc-hidden", 32}, {"--critic-hidden", 32}, {"--critic-steps", 50},
        {"--adv-steps", 20}};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        for (size_t k = 0; k < N_OPTS; k++)
            if (!strcmp(opts[k].name, s[i].name) && !a->set[k]) {
                char v[32];
                snprintf(v, sizeof v, "%g", s[i].v);
                opt_set(&opts[k], v, c);
            }
}

static int save_pair(gb_melgan_t *g, const gb_melody_ds_t *ds, const gb_melgan_report_t *r,
                     const char *command, int which, const char *out)
{
    gb_error_t err = {0};
    if (gb_melgan_save(g, ds, r, command, which, out, &err) < 0) {
        fprintf(stderr, "gbac train melody: %s\n", err.msg);
        return -1;
    }
    printf("wrote %s (generator), %s.disc (critic)%s\n", out, out,
           which ? ", likelihood only" : "");
    return 0;
}

int gb_cmd_train_melody(int argc, char **argv)
{
    gb_melgan_config_t cfg = gb_melgan_config_default();
    targs_t a;
    memset(&a, 0, sizeof a);
    int rc = parse(argc, argv, &cfg, &a);
    if (rc >= 0)
        return rc;
    if (a.smoke)
        smoke(&cfg, &a);
    cfg.progress = !a.quiet;
    rc = GB_EXIT_FAIL;
    gb_error_t err = {0};
    gb_melody_ds_t *ds = NULL;
    gb_melgan_t *g = NULL;
    char disc[4200];
    char *command = join_command(argc, argv);
    snprintf(disc, sizeof disc, "%s.disc", a.out);
    if (!command || probe_writable(a.out) < 0 || probe_writable(disc) < 0 ||
        (a.mle_out && probe_writable(a.mle_out) < 0) ||
        (cfg.checkpoint && probe_writable(cfg.checkpoint) < 0))
        goto done;
    if (!(ds = gb_melody_ds_load(a.data, &err)) || !(g = gb_melgan_new(&cfg, &err)) ||
        (a.resume && gb_melgan_checkpoint_load(g, a.resume, &err) < 0)) {
        fprintf(stderr, "gbac train melody: %s\n", err.msg);
        goto done;
    }
    const clock_t c0 = clock();
    gb_melgan_report_t rep;
    if (gb_melgan_train(g, ds, &rep, &err) < 0) {
        fprintf(stderr, "gbac train melody: %s\n", err.msg);
        goto done;
    }
    const double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    printf("trained melody GAN in %.1f s (%.1f s CPU): likelihood %d epochs (best %d%s), "
           "validation cross-entropy %.4f nats/step, accuracy %.3f, latent KL %.2f nats/bar; "
           "critic accuracy %.3f; adversarial %d iterations, reward %.3f -> %.3f, KL to the "
           "likelihood model %.4f nats/step, validation cross-entropy %.4f, critic accuracy "
           "%.3f\n",
           rep.seconds, cpu, rep.epochs, rep.best_epoch, rep.early_stopped ? ", stopped early" : "",
           rep.val_ce, rep.val_acc, rep.val_kl_z, rep.critic_acc_mle, rep.adv_steps,
           rep.adv_reward_first, rep.adv_reward_last, rep.adv_kl_last, rep.val_ce_adv,
           rep.critic_acc);
    if (save_pair(g, ds, &rep, command, 0, a.out) < 0 ||
        (a.mle_out && save_pair(g, ds, &rep, command, 1, a.mle_out) < 0))
        goto done;
    rc = GB_EXIT_OK;
done:
    gb_melgan_free(g);
    gb_melody_ds_free(ds);
    free(command);
    return rc;
}
