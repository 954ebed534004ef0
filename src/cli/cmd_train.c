/* cmd_train.c — `gbac train timbre|melody --data DS --out FILE [...]`: train the timbre VAE
 * or the melody GAN on the CPU (gb_train_files.h), seeded and reproducible.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stddef.h>
#include <stdio.h>
#include <time.h>

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
    const char *likelihood_out, *resume;
} melody_args_t;

static void melody_init(void *p)
{
    ((melody_args_t *)p)->cfg = gb_melgan_config_default();
}

#define A(f) offsetof(melody_args_t, f)
#define M_INT(name_, field, lo_, hi_, what_, help_)                                          \
    {.name = name_, .arg = "N", .kind = GB_OPT_INT, .off = A(cfg.field), .lo = lo_,           \
     .hi = hi_, .what = what_, .help = help_}
#define M_FLOAT(name_, field, lo_, hi_, help_)                                               \
    {.name = name_, .arg = "X", .kind = GB_OPT_FLOAT, .off = A(cfg.field), .lo = lo_,         \
     .hi = hi_, .what = "a number", .help = help_}
static const gb_opt_t melody_opts[] = {
    JOB_OPTS(melody_args_t, "dataset folder (manifest.json + bars.bin)",
             "generator model file to write (FILE.disc: its critic)"),
    {.name = "likelihood-out", .arg = "FILE2", .kind = GB_OPT_STRING, .off = A(likelihood_out),
     .flags = GB_OPT_NONEMPTY, .what = "a file name",
     .help = "also write the likelihood-only model (FILE2, FILE2.disc), for comparisons"},
    M_INT("epochs", epochs, 0, 1000000, EPOCHS_WHAT, "likelihood epochs at most ({default})"),
    M_INT("per-epoch", per_epoch, 0, 2147483647.0, "a number of bars",
          "training bars drawn per epoch, 0 = all ({default})"),
    M_INT("batch", batch, 2, 128, "a number of bars", "bars per likelihood minibatch, {range} "
          "({default})"),
    M_FLOAT("lr", lr, 1e-7, 1, "Adam learning rate of the likelihood phase ({default})"),
    M_INT("patience", patience, 0, 1000000, EPOCHS_WHAT,
          "stop after N epochs without validation gain ({default}; 0 = never)"),
    M_INT("embed", embed, 1, 1024, "a number of units",
          "units of the generator's input layer, {range} ({default})"),
    M_INT("hidden", hidden, 1, 1024, "a number of units", "GRU units, {range} ({default})"),
    M_INT("enc-hidden", enc_hidden, 1, 1024, "a number of units",
          "units of the latent's posterior encoder, {range} ({default})"),
    M_INT("critic-hidden", critic_hidden, 1, 1024, "a number of units",
          "units of the critic's two hidden layers, {range} ({default})"),
    M_FLOAT("kl-z", kl_z, 0, 100, "weight of the latent's KL ({default})"),
    M_FLOAT("free-bits", free_bits, 0, 10, "nats per latent dimension not penalised "
            "({default})"),
    M_FLOAT("chord-p", chord_p, 0, 1, "share of training bars given their triad as the held "
            "chord ({default})"),
    M_FLOAT("density-p", density_p, 0, 1, "share of training bars given their onset count "
            "({default})"),
    M_INT("critic-steps", critic_steps, 0, 10000000, "a number of iterations",
          "critic iterations, against the likelihood model and against the final one "
          "({default})"),
    M_FLOAT("critic-lr", critic_lr, 1e-7, 1, "Adam learning rate of the critic ({default})"),
    M_INT("adv-steps", adv_steps, 0, 10000000, "a number of iterations",
          "adversarial iterations, 0 = likelihood only ({default})"),
    M_INT("adv-contexts", adv_contexts, 1, 64, "a number of contexts",
          "real contexts per adversarial iteration, {range} ({default})"),
    M_INT("adv-k", adv_k, 2, 16, "a number of samples",
          "samples per context (the leave-one-out baseline), {range} ({default})"),
    M_FLOAT("adv-lr", adv_lr, 1e-7, 1, "Adam learning rate of the fine-tune ({default})"),
    M_FLOAT("adv-kl", adv_kl, 0, 100, "weight of the KL to the likelihood model ({default})"),
    M_FLOAT("adv-mle", adv_mle, 0, 100, "weight of the likelihood of real bars in the "
            "fine-tune ({default})"),
    M_INT("threads", threads, 1, 2, "a number of threads",
          "worker threads, {range} ({default}); the files do not depend on it"),
    {.name = "seed", .arg = "N", .kind = GB_OPT_U32, .off = A(cfg.seed), .lo = 0,
     .hi = 2147483647.0, .help = "random seed: weights, batches, sampling ({default})"},
    {.name = "checkpoint", .arg = "CKPT", .kind = GB_OPT_STRING, .off = A(cfg.checkpoint),
     .flags = GB_OPT_NONEMPTY, .what = "a file name",
     .help = "write the training state to CKPT after every epoch, phase and 100 adversarial "
             "iterations"},
    {.name = "resume", .arg = "CKPT", .kind = GB_OPT_STRING, .off = A(resume),
     .flags = GB_OPT_NONEMPTY, .what = "a checkpoint file",
     .help = "continue the run saved in CKPT (same layer sizes): the result is the "
             "uninterrupted run's"},
    QUIET_OPTS(melody_args_t, "a quick run for checks: 1 epoch of 2000 bars, sizes 32, 50 "
               "critic and 20 adversarial iterations"),
};
#undef M_INT
#undef M_FLOAT
#undef A

/* --smoke: small sizes and short phases, unless given. */
static void melody_smoke(gb_melgan_config_t *c, const gb_cli_call_t *call)
{
    static const struct {
        const char *name;
        size_t off;
        int v;
    } s[] = {{"epochs", offsetof(gb_melgan_config_t, epochs), 1},
             {"per-epoch", offsetof(gb_melgan_config_t, per_epoch), 2000},
             {"embed", offsetof(gb_melgan_config_t, embed), 32},
             {"hidden", offsetof(gb_melgan_config_t, hidden), 32},
             {"enc-hidden", offsetof(gb_melgan_config_t, enc_hidden), 32},
             {"critic-hidden", offsetof(gb_melgan_config_t, critic_hidden), 32},
             {"critic-steps", offsetof(gb_melgan_config_t, critic_steps), 50},
             {"adv-steps", offsetof(gb_melgan_config_t, adv_steps), 20}};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        if (!gb_cli_given(call, s[i].name))
            *(int *)((char *)c + s[i].off) = s[i].v;
}

static int melody_run(void *p, const gb_cli_call_t *call)
{
    melody_args_t *a = p;
    gb_melgan_config_t *cfg = &a->cfg;
    if (a->job.smoke)
        melody_smoke(cfg, call);
    cfg->progress = !a->job.quiet;
    gb_train_job_t job = job_of(&a->job, call);
    gb_melgan_report_t rep;
    gb_train_files_t files;
    gb_error_t err = {0};
    const clock_t c0 = clock();
    if (gb_train_melody(&job, cfg, a->likelihood_out, a->resume, &rep, &files, &err) < 0) {
        fprintf(stderr, "%s: %s\n", call->prog, err.msg);
        return GB_EXIT_FAIL;
    }
    printf("trained melody GAN in %.1f s (%.1f s of CPU): likelihood %d epochs (best %d%s), "
           "validation cross-entropy %.4f nats/step, accuracy %.3f, latent KL %.2f nats/bar; "
           "critic accuracy %.3f; adversarial %d iterations, reward %.3f -> %.3f, KL to the "
           "likelihood model %.4f nats/step, validation cross-entropy %.4f; final critic "
           "accuracy %.3f\nwrote %s (generator), %s (critic)%s%s%s\n",
           rep.seconds, (double)(clock() - c0) / CLOCKS_PER_SEC, rep.epochs, rep.best_epoch,
           rep.early_stopped ? ", stopped early" : "", rep.val_ce, rep.val_acc, rep.val_kl_z,
           rep.critic_acc_mle, rep.adv_steps, rep.adv_reward_first, rep.adv_reward_last,
           rep.adv_kl_last, rep.val_ce_adv, rep.critic_acc, a->job.out, files.second,
           a->likelihood_out ? ", " : "", a->likelihood_out ? a->likelihood_out : "",
           a->likelihood_out ? " and .disc (likelihood only)" : "");
    return GB_EXIT_OK;
}

static const gb_cmd_t train_melody = {
    .name = "melody",
    .summary = "train the melody GAN on the CPU: likelihood pre-training, a critic, an "
               "adversarial fine-tune",
    .description =
        "Train the melody GAN on the CPU (OpenBLAS) on a dataset folder DS written by `gbac "
        "dataset melody`: (1) likelihood pre-training of the autoregressive generator with a "
        "latent (a conditional VAE), (2) a critic of 4-bar windows against its samples, (3) "
        "an adversarial fine-tune of the generator by REINFORCE against the critic with a KL "
        "anchor to the likelihood model, (4) a fresh critic for the final generator "
        "(models/melody-gan.md argues the choices). Writes:\n\n"
        "  FILE       the generator (kind melody-gan-generator, with the corpus' 2-bar\n"
        "             phrase hashes for copy checks)\n"
        "  FILE.disc  its critic (kind melody-gan-critic)\n\n"
        "and with --likelihood-out the likelihood-only model and its critic too. The progress "
        "line shows the phase, the share done, the loss, the validation cross-entropy "
        "(likelihood) or the mean reward (adversarial), the seconds so far and the ETA.",
    .epilogue = "The same data, options and seed give bit-identical files, with one thread or "
                "two (OpenBLAS runs single-threaded; a batch is split in the same two halves "
                "either way).\n\n"
                "Exit status: 0 on success; 1 if the dataset cannot be read or has no training "
                "bar, an output or the checkpoint cannot be written, or training diverges; 2 on "
                "a usage error.",
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
