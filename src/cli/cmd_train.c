/* cmd_train.c — `gbac train timbre|melody --data DS --out FILE [...]`: train the timbre VAE
 * or the melody GAN on the CPU (gb_train_files.h), seeded and reproducible.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stddef.h>
#include <stdio.h>

#include "gb_cli.h"
#include "gb_train_files.h"

/* What both trainers take besides their model's settings. */
typedef struct job_args {
    const char *data, *out;
    int smoke, quiet;
} job_args_t;

#define JOB_OPTS(type, data_help, out_help)                                                  \
    {.name = "data", .arg = "DS", .kind = GB_OPT_STRING, .off = offsetof(type, job.data),     \
     .flags = GB_OPT_REQUIRED | GB_OPT_NONEMPTY, .what = "a dataset folder",                  \
     .help = data_help},                                                                      \
    {.name = "out", .arg = "FILE", .kind = GB_OPT_STRING, .off = offsetof(type, job.out),     \
     .flags = GB_OPT_REQUIRED | GB_OPT_NONEMPTY, .what = "a file name", .help = out_help}
#define QUIET_OPTS(type, smoke_help)                                                         \
    {.name = "smoke", .kind = GB_OPT_FLAG, .off = offsetof(type, job.smoke),                  \
     .help = smoke_help},                                                                     \
    {.name = "quiet", .short_name = 'q', .kind = GB_OPT_FLAG, .off = offsetof(type, job.quiet), \
     .help = "no progress line"}
#define EPOCHS_WHAT "a number of epochs"

static gb_train_job_t job_of(const job_args_t *a, const gb_cli_call_t *call)
{
    return (gb_train_job_t){a->data, a->out, call->command_line, stderr};
}

/* ---------------------------------------------------------------- gbac train timbre */

typedef struct timbre_args {
    job_args_t job;
    gb_vae_config_t cfg;
    const char *resume;
    int no_ablation, static_only;
} timbre_args_t;

static void timbre_init(void *p)
{
    ((timbre_args_t *)p)->cfg = gb_vae_config_default();
}

#define A(f) offsetof(timbre_args_t, f)
static const gb_opt_t timbre_opts[] = {
    JOB_OPTS(timbre_args_t, "dataset folder (manifest.json + frames.f32)",
             "decoder model file to write (FILE.enc: the encoder)"),
    {.name = "epochs", .arg = "N", .kind = GB_OPT_INT, .off = A(cfg.epochs), .lo = 1,
     .hi = 1000000, .what = EPOCHS_WHAT, .help = "epochs ({default})"},
    {.name = "batch", .arg = "N", .kind = GB_OPT_INT, .off = A(cfg.batch), .lo = 1, .hi = 256,
     .what = "a number of notes", .help = "notes per minibatch, {range} ({default})"},
    {.name = "frames", .arg = "N", .kind = GB_OPT_INT, .off = A(cfg.frames_per_note), .lo = 1,
     .hi = 4096, .what = "a number of frames",
     .help = "frames drawn per note and step, {range} ({default}); --batch × --frames is at "
             "most 4096"},
    {.name = "onset-frames", .arg = "N", .kind = GB_OPT_INT, .off = A(cfg.onset_frames),
     .lo = 0, .hi = 4096, .what = "a number of frames",
     .help = "of them, drawn from the note's first 100 ms ({default}; at most --frames)"},
    {.name = "lr", .arg = "X", .kind = GB_OPT_FLOAT, .off = A(cfg.lr), .lo = 1e-7, .hi = 1,
     .what = "a learning rate", .help = "Adam learning rate ({default})"},
    {.name = "beta", .arg = "X", .kind = GB_OPT_FLOAT, .off = A(cfg.beta), .lo = 0, .hi = 1000,
     .what = "a KL weight", .help = "KL weight after the warm-up ({default})"},
    {.name = "warmup", .arg = "N", .kind = GB_OPT_INT, .off = A(cfg.warmup), .lo = 0,
     .hi = 1000000, .what = EPOCHS_WHAT, .help = "epochs of linear KL warm-up ({default})"},
    {.name = "free-bits", .arg = "X", .kind = GB_OPT_FLOAT, .off = A(cfg.free_bits), .lo = 0,
     .hi = 100, .what = "nats per dimension",
     .help = "KL floor per latent dimension in nats ({default} = off)"},
    {.name = "latent", .arg = "N", .kind = GB_OPT_INT, .off = A(cfg.latent), .lo = 1,
     .hi = GB_VAE_MAX_LATENT, .what = "a number of dimensions",
     .help = "latent dimensions, {range} ({default})"},
    {.name = "hidden", .arg = "N", .kind = GB_OPT_INT, .off = A(cfg.hidden), .lo = 1,
     .hi = 4096, .what = "a number of units",
     .help = "units of the hidden layers, {range} ({default})"},
    {.name = "patience", .arg = "N", .kind = GB_OPT_INT, .off = A(cfg.patience), .lo = 0,
     .hi = 1000000, .what = EPOCHS_WHAT,
     .help = "stop after N epochs without validation improvement ({default}; 0 = never)"},
    {.name = "seed", .arg = "N", .kind = GB_OPT_U32, .off = A(cfg.seed), .lo = 0,
     .hi = 2147483647.0, .help = "random seed: weights, shuffling, sampling ({default})"},
    {.name = "checkpoint", .arg = "CKPT", .kind = GB_OPT_STRING, .off = A(cfg.checkpoint),
     .flags = GB_OPT_NONEMPTY, .what = "a file name",
     .help = "checkpoint written after every epoch (default FILE.ckpt)"},
    {.name = "resume", .arg = "CKPT", .kind = GB_OPT_STRING, .off = A(resume),
     .flags = GB_OPT_NONEMPTY, .what = "a checkpoint file",
     .help = "continue the run saved in CKPT (same --latent/--hidden)"},
    {.name = "no-ablation", .kind = GB_OPT_FLAG, .off = A(no_ablation),
     .help = "do not also train the static ablation (FILE.static)"},
    {.name = "static", .kind = GB_OPT_FLAG, .off = A(static_only),
     .help = "train the decoder without time in the note (the ablation) only"},
    QUIET_OPTS(timbre_args_t, "a quick run for checks: 3 epochs, hidden 32"),
};
#undef A

/* Train one timbre VAE and say what was written. */
static int timbre_one(const gb_train_job_t *job, const gb_vae_config_t *cfg, const char *resume,
                      const gb_cli_call_t *call)
{
    gb_vae_report_t rep;
    gb_train_files_t files;
    gb_error_t err = {0};
    if (gb_train_timbre(job, *cfg, resume, &rep, &files, &err) < 0) {
        fprintf(stderr, "%s: %s\n", call->prog, err.msg);
        return GB_EXIT_FAIL;
    }
    printf("trained timbre VAE%s: %d epochs (best %d%s) in %.1f s; train loss %.4f, validation "
           "loss %.4f (reconstruction %.4f, KL %.4f)\nwrote %s (decoder), %s (encoder), %s "
           "(checkpoint)\n",
           cfg->time_in_note ? "" : " (static: no time in the note)", rep.epochs,
           rep.best_epoch, rep.early_stopped ? ", stopped early" : "", rep.seconds,
           rep.train_loss, rep.val_loss, rep.val_recon, rep.val_kl, job->out, files.second,
           files.checkpoint);
    return GB_EXIT_OK;
}

static int timbre_run(void *p, const gb_cli_call_t *call)
{
    timbre_args_t *a = p;
    gb_vae_config_t *cfg = &a->cfg;
    if (cfg->batch * cfg->frames_per_note > 4096)
        return gb_cli_usage_error(call, "--batch × --frames must be at most 4096");
    if (cfg->onset_frames > cfg->frames_per_note)
        return gb_cli_usage_error(call, "--onset-frames must be at most --frames");
    if (a->job.smoke && !gb_cli_given(call, "epochs"))
        cfg->epochs = 3;
    if (a->job.smoke && !gb_cli_given(call, "hidden"))
        cfg->hidden = 32;
    cfg->progress = !a->job.quiet;
    cfg->time_in_note = !a->static_only;
    gb_train_job_t job = job_of(&a->job, call);
    int rc = timbre_one(&job, cfg, a->resume, call);
    if (rc != GB_EXIT_OK || a->static_only || a->no_ablation)
        return rc;
    /* The same architecture and training without time in the note: FILE.static. */
    char out[4096];
    if ((size_t)snprintf(out, sizeof out, "%s.static", a->job.out) >= sizeof out)
        return gb_cli_usage_error(call, "--out: name too long");
    gb_vae_config_t st = *cfg;
    st.time_in_note = 0;
    st.checkpoint = NULL; /* FILE.static.ckpt */
    job.out = out;
    if (!a->job.quiet)
        fprintf(stderr, "%s: the static ablation (no time in the note)\n", call->prog);
    return timbre_one(&job, &st, NULL, call);
}

static const gb_cmd_t train_timbre = {
    .name = "timbre",
    .summary = "train the timbre VAE on the CPU (OpenBLAS), seeded, with checkpoints and "
               "resume",
    .description =
        "Train the timbre VAE on the CPU on a dataset folder DS written by `gbac dataset "
        "timbre`, and write two model files:\n\n"
        "  FILE      the decoder (kind timbre-vae-decoder), which the timbre synth runs\n"
        "  FILE.enc  the encoder (kind timbre-vae-encoder), notes -> latent\n\n"
        "Then the same architecture without the time-in-note inputs, the ablation that "
        "`gbac eval timbre` compares onsets with: FILE.static and FILE.static.enc.\n\n"
        "Their model cards hold the data source, licence and counts, the seed, this command, "
        "the final losses and reference frames for `gbac eval timbre`.",
    .epilogue =
        "The same data, options and seed give bit-identical files (OpenBLAS runs "
        "single-threaded while training).\n\n"
        "Exit status: 0 on success; 1 if the dataset cannot be read or is empty or "
        "inconsistent, an output cannot be written, or training diverges; 2 on a usage error.",
    GB_CLI_LEAF(timbre_opts, timbre_args_t, timbre_init, timbre_run),
};

/* ---------------------------------------------------------------- gbac train melody */

typedef struct melody_args {
    job_args_t job;
    gb_melgan_config_t cfg;
} melody_args_t;

static void melody_init(void *p)
{
    ((melody_args_t *)p)->cfg = gb_melgan_config_default();
}

#define A(f) offsetof(melody_args_t, f)
static const gb_opt_t melody_opts[] = {
    JOB_OPTS(melody_args_t, "dataset folder (manifest.json + bars.bin)",
             "generator model file to write (FILE.disc: the critic)"),
    {.name = "epochs", .arg = "N", .kind = GB_OPT_INT, .off = A(cfg.epochs), .lo = 1,
     .hi = 1000000, .what = EPOCHS_WHAT, .help = "generator epochs ({default})"},
    {.name = "critic-epochs", .arg = "N", .kind = GB_OPT_INT, .off = A(cfg.critic_epochs),
     .lo = 0, .hi = 1000000, .what = EPOCHS_WHAT, .help = "critic epochs ({default})"},
    {.name = "per-epoch", .arg = "N", .kind = GB_OPT_INT, .off = A(cfg.per_epoch), .lo = 0,
     .hi = 2147483647.0, .what = "a number of bars",
     .help = "training bars drawn per epoch, 0 = all ({default})"},
    {.name = "hidden", .arg = "N", .kind = GB_OPT_INT, .off = A(cfg.hidden), .lo = 1,
     .hi = 4096, .what = "a number of units",
     .help = "generator hidden units, {range} ({default})"},
    {.name = "lr", .arg = "X", .kind = GB_OPT_FLOAT, .off = A(cfg.lr), .lo = 1e-7, .hi = 1,
     .what = "a learning rate", .help = "Adam learning rate ({default})"},
    {.name = "patience", .arg = "N", .kind = GB_OPT_INT, .off = A(cfg.patience), .lo = 0,
     .hi = 1000000, .what = EPOCHS_WHAT,
     .help = "early stop after N epochs without validation gain ({default})"},
    {.name = "seed", .arg = "N", .kind = GB_OPT_U32, .off = A(cfg.seed), .lo = 0,
     .hi = 2147483647.0, .help = "random seed ({default})"},
    QUIET_OPTS(melody_args_t, "a quick run for checks: 2 epochs of 2000 bars, hidden 64"),
};
#undef A

static int melody_run(void *p, const gb_cli_call_t *call)
{
    melody_args_t *a = p;
    gb_melgan_config_t *cfg = &a->cfg;
    if (a->job.smoke) {
        if (!gb_cli_given(call, "epochs"))
            cfg->epochs = 2;
        if (!gb_cli_given(call, "hidden"))
            cfg->hidden = 64;
        if (!gb_cli_given(call, "per-epoch"))
            cfg->per_epoch = 2000;
        cfg->critic_epochs = cfg->critic_epochs > 1 ? 1 : cfg->critic_epochs;
    }
    cfg->progress = !a->job.quiet;
    gb_train_job_t job = job_of(&a->job, call);
    gb_melgan_report_t rep;
    gb_train_files_t files;
    gb_error_t err = {0};
    if (gb_train_melody(&job, cfg, &rep, &files, &err) < 0) {
        fprintf(stderr, "%s: %s\n", call->prog, err.msg);
        return GB_EXIT_FAIL;
    }
    printf("trained melody GAN: %d epochs (best %d%s) in %.1f s; validation cross-entropy "
           "%.4f nats/step, token accuracy %.3f, critic accuracy %.3f\nwrote %s (generator), "
           "%s (critic)\n",
           rep.epochs, rep.best_epoch, rep.early_stopped ? ", stopped early" : "", rep.seconds,
           rep.val_ce, rep.val_acc, rep.critic_acc, a->job.out, files.second);
    return GB_EXIT_OK;
}

static const gb_cmd_t train_melody = {
    .name = "melody",
    .summary = "train the melody generator (likelihood) and its critic on the CPU",
    .description =
        "Train the melody GAN on the CPU on a dataset folder DS written by `gbac dataset "
        "melody`, and write two model files:\n\n"
        "  FILE       the generator (kind melody-gan-generator): previous bar, meter,\n"
        "             mode, density and noise -> one bar of step tokens\n"
        "  FILE.disc  the critic (kind melody-gan-critic): scores (previous bar, bar)\n\n"
        "The generator is trained by maximum likelihood (likelihood pre-training), the critic "
        "on real bars against bars sampled from the generator.",
    .epilogue = "The same data, options and seed give bit-identical files.\n\n"
                "Exit status: 0 on success; 1 if the dataset cannot be read or an output "
                "cannot be written; 2 on a usage error.",
    GB_CLI_LEAF(melody_opts, melody_args_t, melody_init, melody_run),
};

const gb_cmd_t gb_cli_train = {
    .name = "train",
    .summary = "train a model on the CPU: `train timbre|melody --data DS --out FILE`",
    .description = "Train a model on the CPU (OpenBLAS), seeded and reproducible, with a "
                   "progress line.",
    GB_CLI_SUBS(&train_timbre, &train_melody),
};

GB_CLI_ENTRY(gb_cmd_train, gb_cli_train)
