/* cmd_train.c — `gbac train timbre --data DS --out FILE [...]`: train the timbre VAE on a
 * dataset written by `gbac dataset timbre` (CPU, OpenBLAS, seeded).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gb_cli.h"
#include "gb_cli_opts.h"
#include "gb_melgan.h"
#include "gb_melody_ds.h"
#include "gb_timbre_ds.h"
#include "gb_vae.h"

static void usage(FILE *f)
{
    gb_vae_config_t d = gb_vae_config_default();
    fprintf(f,
            "Usage: gbac train timbre --data DS --out FILE [OPTIONS]\n"
            "       gbac train melody --data DS --out FILE [OPTIONS]  (see `gbac train melody "
            "--help`)\n"
            "       gbac train --help\n\n"
            "Train the timbre VAE on the CPU on a dataset folder DS written by\n"
            "`gbac dataset timbre`, and write two model files:\n"
            "  FILE      the decoder (kind timbre-vae-decoder), which the timbre synth runs\n"
            "  FILE.enc  the encoder (kind timbre-vae-encoder), notes -> latent\n"
            "Then the same architecture without the time-in-note inputs, the ablation that\n"
            "`gbac eval timbre` compares onsets with: FILE.static and FILE.static.enc.\n"
            "Their model cards hold the data source, licence and counts, the seed, this\n"
            "command, the final losses and reference frames for `gbac eval timbre`.\n\n"
            "Options:\n"
            "  --data DS          dataset folder (manifest.json + frames.f32)\n"
            "  --out FILE         decoder model file to write (FILE.enc: the encoder)\n"
            "  --epochs N         epochs (%d)\n"
            "  --batch N          notes per minibatch (%d)\n"
            "  --frames N         frames drawn per note and step (%d)\n"
            "  --onset-frames N   of them, drawn from the note's first 100 ms (%d)\n"
            "  --lr X             Adam learning rate (%g)\n"
            "  --beta X           KL weight after the warm-up (%g)\n"
            "  --warmup N         epochs of linear KL warm-up (%d)\n"
            "  --free-bits X      KL floor per latent dimension in nats (%g = off)\n"
            "  --latent N         latent dimensions, 1..%d (%d)\n"
            "  --hidden N         units of the hidden layers (%d)\n"
            "  --patience N       stop after N epochs without validation improvement\n"
            "                     (%d; 0 = never)\n"
            "  --seed N           random seed: weights, shuffling, sampling (%u)\n"
            "  --checkpoint CKPT  checkpoint written after every epoch (FILE.ckpt)\n"
            "  --resume CKPT      continue the run saved in CKPT (same --latent/--hidden)\n"
            "  --no-ablation      do not also train the static ablation (FILE.static)\n"
            "  --static           train the decoder without time in the note (the ablation)\n"
            "  --smoke            a quick run for checks: 3 epochs, hidden 32\n"
            "  -q, --quiet        no progress line\n"
            "  -h, --help         show this help\n\n"
            "The same data, options and seed give bit-identical files (OpenBLAS runs\n"
            "single-threaded while training).\n"
            "Exit status: 0 on success; 1 if the dataset cannot be read or is empty or\n"
            "inconsistent, an output cannot be written, or training diverges; 2 on a usage\n"
            "error.\n",
            d.epochs, d.batch, d.frames_per_note, d.onset_frames, (double)d.lr, (double)d.beta, d.warmup,
            (double)d.free_bits, GB_VAE_MAX_LATENT, d.latent, d.hidden, d.patience, d.seed);
}


static int parse_float(const char *s, double lo, double hi, float *out)
{
    double v;
    if (gb_parse_double(s, lo, hi, &v))
        return -1;
    *out = (float)v;
    return 0;
}

/* Can `path` be written? Checked before a long run rather than after it. */
static int probe_writable(const char *path)
{
    int existed = access(path, F_OK) == 0;
    FILE *f = fopen(path, "ab");
    if (!f) {
        fprintf(stderr, "gbac train: cannot write %s: %s\n", path, strerror(errno));
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

#define NEED(what)                                                                           \
    do {                                                                                     \
        fprintf(stderr, "gbac train: %s needs %s\n", a, what);                               \
        return GB_EXIT_USAGE;                                                                \
    } while (0)

static int train_melody(int argc, char **argv);

/* Train one timbre VAE with cfg on ds and write out and out.enc. */
static int train_one(const gb_vae_config_t *cfg, const gb_tds_t *ds, const char *data,
                     const char *resume, const char *command, const char *out)
{
    gb_error_t err = {0};
    gb_vae_t *vae = gb_vae_new(cfg, &err);
    int rc = -1;
    gb_vae_report_t rep;
    if (!vae)
        fprintf(stderr, "gbac train: %s\n", err.msg);
    else if (resume && gb_vae_checkpoint_load(vae, resume, &err) < 0)
        fprintf(stderr, "gbac train: %s\n", err.msg);
    else if (gb_vae_train(vae, ds, &rep, &err) < 0)
        fprintf(stderr, "\ngbac train: %s: %s\n", data, err.msg);
    else if (gb_vae_save(vae, ds, &rep, command, out, &err) < 0)
        fprintf(stderr, "gbac train: %s\n", err.msg);
    else
        rc = 0;
    if (!rc)
        printf("trained timbre VAE%s: %d epochs (best %d%s) in %.1f s; train loss %.4f, "
               "validation loss %.4f (reconstruction %.4f, KL %.4f)\nwrote %s (decoder), "
               "%s.enc (encoder), %s (checkpoint)\n",
               cfg->time_in_note ? "" : " (static: no time in the note)", rep.epochs,
               rep.best_epoch, rep.early_stopped ? ", stopped early" : "", rep.seconds,
               rep.train_loss, rep.val_loss, rep.val_recon, rep.val_kl, out, out,
               cfg->checkpoint ? cfg->checkpoint : "none");
    gb_vae_free(vae);
    return rc;
}

int gb_cmd_train(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "melody") == 0)
        return train_melody(argc, argv);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return GB_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "timbre") != 0) {
        fprintf(stderr, "gbac train: %s%s%s (`gbac train timbre` or `gbac train melody`; see "
                        "`gbac train --help`)\n",
                argc < 2 ? "missing what to train" : "unknown model '",
                argc < 2 ? "" : argv[1], argc < 2 ? "" : "'");
        return GB_EXIT_USAGE;
    }
    gb_vae_config_t cfg = gb_vae_config_default();
    const char *data = NULL, *out = NULL, *resume = NULL, *ckpt = NULL;
    int smoke = 0, quiet = 0, set_epochs = 0, set_hidden = 0, ablation = 1;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return GB_EXIT_OK;
        } else if ((v = gb_opt_value(argc, argv, &i, "--data", &missing))) {
            if (missing)
                NEED("a dataset folder");
            data = v;
        } else if ((v = gb_opt_value(argc, argv, &i, "--out", &missing))) {
            if (missing)
                NEED("a file name");
            out = v;
        } else if ((v = gb_opt_value(argc, argv, &i, "--resume", &missing))) {
            if (missing)
                NEED("a checkpoint file");
            resume = v;
        } else if ((v = gb_opt_value(argc, argv, &i, "--checkpoint", &missing))) {
            if (missing)
                NEED("a file name");
            ckpt = v;
        } else if ((v = gb_opt_value(argc, argv, &i, "--epochs", &missing))) {
            if (missing || gb_parse_int(v, 1, 1000000, &cfg.epochs) < 0)
                NEED("a number of epochs >= 1");
            set_epochs = 1;
        } else if ((v = gb_opt_value(argc, argv, &i, "--batch", &missing))) {
            if (missing || gb_parse_int(v, 1, 256, &cfg.batch) < 0)
                NEED("a number of notes in 1..256");
        } else if ((v = gb_opt_value(argc, argv, &i, "--onset-frames", &missing))) {
            if (missing || gb_parse_int(v, 0, 4096, &cfg.onset_frames) < 0)
                NEED("a number of frames in 0..4096 (at most --frames)");
        } else if ((v = gb_opt_value(argc, argv, &i, "--frames", &missing))) {
            if (missing || gb_parse_int(v, 1, 4096, &cfg.frames_per_note) < 0)
                NEED("a number of frames in 1..4096");
        } else if ((v = gb_opt_value(argc, argv, &i, "--lr", &missing))) {
            if (missing || parse_float(v, 1e-7, 1.0, &cfg.lr) < 0)
                NEED("a learning rate in 1e-7..1");
        } else if ((v = gb_opt_value(argc, argv, &i, "--beta", &missing))) {
            if (missing || parse_float(v, 0.0, 1000.0, &cfg.beta) < 0)
                NEED("a KL weight in 0..1000");
        } else if ((v = gb_opt_value(argc, argv, &i, "--free-bits", &missing))) {
            if (missing || parse_float(v, 0.0, 100.0, &cfg.free_bits) < 0)
                NEED("nats per dimension in 0..100");
        } else if ((v = gb_opt_value(argc, argv, &i, "--warmup", &missing))) {
            if (missing || gb_parse_int(v, 0, 1000000, &cfg.warmup) < 0)
                NEED("a number of epochs >= 0");
        } else if ((v = gb_opt_value(argc, argv, &i, "--latent", &missing))) {
            if (missing || gb_parse_int(v, 1, GB_VAE_MAX_LATENT, &cfg.latent) < 0)
                NEED("a number of dimensions in 1..64");
        } else if ((v = gb_opt_value(argc, argv, &i, "--hidden", &missing))) {
            if (missing || gb_parse_int(v, 1, 4096, &cfg.hidden) < 0)
                NEED("a number of units in 1..4096");
            set_hidden = 1;
        } else if ((v = gb_opt_value(argc, argv, &i, "--patience", &missing))) {
            if (missing || gb_parse_int(v, 0, 1000000, &cfg.patience) < 0)
                NEED("a number of epochs >= 0");
        } else if ((v = gb_opt_value(argc, argv, &i, "--seed", &missing))) {
            int s;
            if (missing || gb_parse_int(v, 0, INT_MAX, &s) < 0)
                NEED("a non-negative integer");
            cfg.seed = (uint32_t)s;
        } else if (strcmp(a, "--smoke") == 0) {
            smoke = 1;
        } else if (strcmp(a, "--no-ablation") == 0) {
            ablation = 0;
        } else if (strcmp(a, "--static") == 0) {
            cfg.time_in_note = 0;
            ablation = 0;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = 1;
        } else {
            fprintf(stderr, "gbac train timbre: unknown option '%s' (see `gbac train --help`)\n",
                    a);
            return GB_EXIT_USAGE;
        }
    }
    if (!data || !out) {
        fprintf(stderr, "gbac train timbre: --data DS and --out FILE are required (see `gbac "
                        "train --help`)\n");
        return GB_EXIT_USAGE;
    }
    if (cfg.batch * cfg.frames_per_note > 4096) {
        fprintf(stderr, "gbac train timbre: --batch × --frames must be at most 4096\n");
        return GB_EXIT_USAGE;
    }
    if (smoke) {
        if (!set_epochs)
            cfg.epochs = 3;
        if (!set_hidden)
            cfg.hidden = 32;
    }
    cfg.progress = !quiet;

    int rc = GB_EXIT_FAIL;
    gb_error_t err = {0};
    gb_tds_t *ds = NULL;
    char *enc = NULL, *ck = NULL, *command = NULL, *st_out = NULL;
    size_t ol = strlen(out);
    enc = malloc(ol + 16);
    ck = malloc(ol + 16);
    st_out = malloc(ol + 16);
    command = join_command(argc, argv);
    if (!enc || !ck || !st_out || !command) {
        fprintf(stderr, "gbac train: out of memory\n");
        goto done;
    }
    snprintf(enc, ol + 16, "%s.enc", out);
    snprintf(ck, ol + 16, "%s.ckpt", out);
    if (!ckpt)
        ckpt = ck;
    snprintf(st_out, ol + 16, "%s.static.enc", out);
    if (ablation && probe_writable(st_out) < 0)
        goto done;
    if (probe_writable(out) < 0 || probe_writable(enc) < 0 || probe_writable(ckpt) < 0)
        goto done;

    ds = gb_tds_load(data, &err);
    if (!ds) {
        fprintf(stderr, "gbac train: %s\n", err.msg);
        goto done;
    }
    int chk = gb_vae_check_data(ds, &err);
    if (chk < 0) {
        fprintf(stderr, "gbac train: %s: %s\n", data, err.msg);
        goto done;
    }
    if (chk == 1)
        fprintf(stderr, "gbac train: warning: %s has no validation notes; validating on the "
                        "training notes\n", data);
    cfg.checkpoint = ckpt;
    if (train_one(&cfg, ds, data, resume, command, out) < 0)
        goto done;
    if (ablation) { /* the same architecture without time in the note */
        snprintf(st_out, ol + 16, "%s.static", out);
        snprintf(ck, ol + 16, "%s.static.ckpt", out);
        cfg.checkpoint = ck;
        cfg.time_in_note = 0;
        if (!quiet)
            fprintf(stderr, "gbac train: the static ablation (no time in the note)\n");
        if (train_one(&cfg, ds, data, NULL, command, st_out) < 0)
            goto done;
    }
    rc = GB_EXIT_OK;
done:
    gb_tds_free(ds);
    free(enc);
    free(ck);
    free(st_out);
    free(command);
    return rc;
}

/* ---- gbac train melody ------------------------------------------------------------------ */

static void melody_usage(FILE *f)
{
    gb_melgan_config_t d = gb_melgan_config_default();
    fprintf(f,
            "Usage: gbac train melody --data DS --out FILE [OPTIONS]\n\n"
            "Train the melody GAN on the CPU on a dataset folder DS written by\n"
            "`gbac dataset melody`, and write two model files:\n"
            "  FILE       the generator (kind melody-gan-generator): previous bar, meter,\n"
            "             mode, density and noise -> one bar of step tokens\n"
            "  FILE.disc  the critic (kind melody-gan-critic): scores (previous bar, bar)\n"
            "The generator is trained by maximum likelihood (likelihood pre-training), the\n"
            "critic on real bars against bars sampled from the generator.\n\n"
            "Options:\n"
            "  --data DS          dataset folder (manifest.json + bars.bin)\n"
            "  --out FILE         generator model file to write (FILE.disc: the critic)\n"
            "  --epochs N         generator epochs (%d)\n"
            "  --critic-epochs N  critic epochs (%d)\n"
            "  --per-epoch N      training bars drawn per epoch, 0 = all (%d)\n"
            "  --hidden N         generator hidden units (%d)\n"
            "  --lr X             Adam learning rate (%g)\n"
            "  --patience N       early stop after N epochs without validation gain (%d)\n"
            "  --seed N           random seed (%u)\n"
            "  --smoke            a quick run for checks: 2 epochs of 2000 bars, hidden 64\n"
            "  -q, --quiet        no progress line\n"
            "  -h, --help         show this help\n\n"
            "The same data, options and seed give bit-identical files.\n"
            "Exit status: 0 on success; 1 if the dataset cannot be read or an output cannot\n"
            "be written; 2 on a usage error.\n",
            d.epochs, d.critic_epochs, d.per_epoch, d.hidden, (double)d.lr, d.patience, d.seed);
}

static int train_melody(int argc, char **argv)
{
    gb_melgan_config_t cfg = gb_melgan_config_default();
    const char *data = NULL, *out = NULL;
    int smoke = 0, quiet = 0, set_epochs = 0, set_hidden = 0, set_per = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            melody_usage(stdout);
            return GB_EXIT_OK;
        } else if ((v = gb_opt_value(argc, argv, &i, "--data", &missing))) {
            if (missing)
                NEED("a dataset folder");
            data = v;
        } else if ((v = gb_opt_value(argc, argv, &i, "--out", &missing))) {
            if (missing)
                NEED("a file name");
            out = v;
        } else if ((v = gb_opt_value(argc, argv, &i, "--epochs", &missing))) {
            if (missing || gb_parse_int(v, 1, 1000000, &cfg.epochs) < 0)
                NEED("a number of epochs >= 1");
            set_epochs = 1;
        } else if ((v = gb_opt_value(argc, argv, &i, "--critic-epochs", &missing))) {
            if (missing || gb_parse_int(v, 0, 1000000, &cfg.critic_epochs) < 0)
                NEED("a number of epochs >= 0");
        } else if ((v = gb_opt_value(argc, argv, &i, "--per-epoch", &missing))) {
            if (missing || gb_parse_int(v, 0, INT_MAX, &cfg.per_epoch) < 0)
                NEED("a number of bars >= 0");
            set_per = 1;
        } else if ((v = gb_opt_value(argc, argv, &i, "--hidden", &missing))) {
            if (missing || gb_parse_int(v, 1, 4096, &cfg.hidden) < 0)
                NEED("a number of units in 1..4096");
            set_hidden = 1;
        } else if ((v = gb_opt_value(argc, argv, &i, "--lr", &missing))) {
            if (missing || parse_float(v, 1e-7, 1.0, &cfg.lr) < 0)
                NEED("a learning rate in 1e-7..1");
        } else if ((v = gb_opt_value(argc, argv, &i, "--patience", &missing))) {
            if (missing || gb_parse_int(v, 0, 1000000, &cfg.patience) < 0)
                NEED("a number of epochs >= 0");
        } else if ((v = gb_opt_value(argc, argv, &i, "--seed", &missing))) {
            int s;
            if (missing || gb_parse_int(v, 0, INT_MAX, &s) < 0)
                NEED("a non-negative integer");
            cfg.seed = (uint32_t)s;
        } else if (strcmp(a, "--smoke") == 0) {
            smoke = 1;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = 1;
        } else {
            fprintf(stderr, "gbac train melody: unknown option '%s' (see `gbac train melody "
                            "--help`)\n", a);
            return GB_EXIT_USAGE;
        }
    }
    if (!data || !out) {
        fprintf(stderr, "gbac train melody: --data DS and --out FILE are required (see `gbac "
                        "train melody --help`)\n");
        return GB_EXIT_USAGE;
    }
    if (smoke) {
        if (!set_epochs)
            cfg.epochs = 2;
        if (!set_hidden)
            cfg.hidden = 64;
        if (!set_per)
            cfg.per_epoch = 2000;
        cfg.critic_epochs = cfg.critic_epochs > 1 ? 1 : cfg.critic_epochs;
    }
    cfg.progress = !quiet;
    int rc = GB_EXIT_FAIL;
    gb_error_t err = {0};
    gb_melody_ds_t *ds = NULL;
    gb_melgan_t *g = NULL;
    size_t ol = strlen(out);
    char *disc = malloc(ol + 6), *command = join_command(argc, argv);
    if (!disc || !command) {
        fprintf(stderr, "gbac train: out of memory\n");
        goto done;
    }
    snprintf(disc, ol + 6, "%s.disc", out);
    if (probe_writable(out) < 0 || probe_writable(disc) < 0)
        goto done;
    ds = gb_melody_ds_load(data, &err);
    if (!ds) {
        fprintf(stderr, "gbac train: %s\n", err.msg);
        goto done;
    }
    g = gb_melgan_new(&cfg, &err);
    if (!g) {
        fprintf(stderr, "gbac train: %s\n", err.msg);
        goto done;
    }
    gb_melgan_report_t rep;
    if (gb_melgan_train(g, ds, &rep, &err) < 0) {
        fprintf(stderr, "\ngbac train: %s\n", err.msg);
        goto done;
    }
    if (gb_melgan_save(g, ds, &rep, command, out, &err) < 0) {
        fprintf(stderr, "gbac train: %s\n", err.msg);
        goto done;
    }
    printf("trained melody GAN: %d epochs (best %d%s) in %.1f s; validation cross-entropy "
           "%.4f nats/step, token accuracy %.3f, critic accuracy %.3f\nwrote %s (generator), "
           "%s (critic)\n",
           rep.epochs, rep.best_epoch, rep.early_stopped ? ", stopped early" : "", rep.seconds,
           rep.val_ce, rep.val_acc, rep.critic_acc, out, disc);
    rc = GB_EXIT_OK;
done:
    gb_melgan_free(g);
    gb_melody_ds_free(ds);
    free(disc);
    free(command);
    return rc;
}
