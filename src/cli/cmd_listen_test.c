/* cmd_listen_test.c — `gbac listen-test --http PORT --pairs N --out FILE`: a blind A/B
 * listening test in a browser (gb_listen_clips.h makes the clips, gb_listen_web.h serves
 * them, gb_listen_results.h keeps the answers). docs/listen-test.md.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE /* nftw's FTW_DEPTH | FTW_PHYS */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gb_cli.h"
#include "gb_listen_clips.h"
#include "gb_listen_web.h"
#include "gb_melody_gen.h"
#include "gb_share.h"

#define MAX_ALLOW 16
#define SAMPLE_RATE 48000

enum { Q_AUTO = -1 };

typedef struct lt_args {
    int port, pairs, bars, seed, question;
    double tempo;
    char out_name[64];
    const char *out, *model, *model_b, *data, *preset, *clips;
    const char *allow[MAX_ALLOW];
    int n_allow;
} lt_args_t;

static void lt_init(void *p)
{
    lt_args_t *a = p;
    a->pairs = 10;
    a->bars = 4;
    a->seed = 1;
    a->tempo = 120.0;
    a->preset = "default";
    a->question = Q_AUTO;
}

static const gb_opt_choice_t questions[] = {
    {"human", GB_LISTEN_HUMAN}, {"prefer", GB_LISTEN_PREFER}, {NULL, 0}};

#define A(f) offsetof(lt_args_t, f)
static const gb_opt_t lt_opts[] = {
    {.name = "http", .arg = "PORT", .kind = GB_OPT_INT, .off = A(port), .lo = 0, .hi = 65535,
     .flags = GB_OPT_REQUIRED, .what = "a TCP port",
     .help = "serve the test on http://127.0.0.1:PORT/ (0: a free port, printed)"},
    {.name = "pairs", .arg = "N", .kind = GB_OPT_INT, .off = A(pairs), .lo = 1,
     .hi = GB_LISTEN_MAX_PAIRS, .flags = GB_OPT_USAGE, .what = "a number of pairs",
     .help = "pairs of clips to judge, {range} ({default}); each from its own held-out tune"},
    {.name = "out", .short_name = 'o', .arg = "FILE", .kind = GB_OPT_STRING, .off = A(out),
     .flags = GB_OPT_USAGE | GB_OPT_NONEMPTY, .what = "a file name",
     .help = "the results (JSON, docs/listen-test.md), rewritten after every choice; it must "
             "not exist yet (results are never overwritten). Default: "
             "listen-test-YYYYMMDD-HHMMSS.json in the current folder (UTC), printed"},
    {.name = "question", .arg = "Q", .kind = GB_OPT_CHOICE, .off = A(question),
     .choices = questions, .flags = GB_OPT_USAGE,
     .help = "human: \"Which is the human's?\" (the default for real against generated); "
             "prefer: \"Which do you prefer?\" (the only one with --model-b)"},
    {.name = "model", .arg = "M", .kind = GB_OPT_STRING, .off = A(model),
     .flags = GB_OPT_NONEMPTY, .what = "a model file",
     .help = "the melody model (default: the shipped " GB_MELODY_MODEL "); its critic "
             "M.disc chooses among candidates when present"},
    {.name = "model-b", .arg = "M2", .kind = GB_OPT_STRING, .off = A(model_b),
     .flags = GB_OPT_USAGE | GB_OPT_NONEMPTY, .what = "a model file",
     .help = "model against model: pairs of M's and M2's continuations of the same bar "
             "instead of real against M's"},
    {.name = "data", .arg = "DS", .kind = GB_OPT_STRING, .off = A(data),
     .flags = GB_OPT_NONEMPTY, .what = "a dataset folder",
     .help = "a dataset made by `gbac dataset melody`, whose test split gives the tunes "
             "(default: the shipped Nottingham corpus split as `gbac dataset melody` splits "
             "it, the tunes the shipped model never trained on)"},
    {.name = "bars", .arg = "N", .kind = GB_OPT_INT, .off = A(bars), .lo = 1,
     .hi = GB_LISTEN_MAX_BARS, .what = "a number of bars",
     .help = "bars per clip, {range} ({default}), after the tune's first bar"},
    {.name = "tempo", .arg = "BPM", .kind = GB_OPT_DOUBLE, .off = A(tempo), .lo = 40,
     .hi = 240, .what = "a tempo in bpm",
     .help = "quarter notes per minute, {range} ({default})"},
    {.name = "preset", .arg = "P", .kind = GB_OPT_STRING, .off = A(preset),
     .flags = GB_OPT_NONEMPTY, .what = "a preset",
     .help = "the sound of every clip: a preset file or a shipped preset's name, without note "
             "sources (default: {default})"},
    {.name = "seed", .arg = "S", .kind = GB_OPT_INT, .off = A(seed), .lo = 0,
     .hi = 2147483647.0,
     .help = "random seed ({default}): the tunes, the order within each pair, the generation"},
    {.name = "clips", .arg = "DIR", .kind = GB_OPT_STRING, .off = A(clips),
     .flags = GB_OPT_NONEMPTY, .what = "a folder name",
     .help = "keep the clips (pNNa.wav, pNNb.wav) and their MIDI files in DIR (created); by "
             "default they go to a temporary folder removed at the end"},
    {.name = "http-allow", .arg = "CIDR", .kind = GB_OPT_APPEND, .off = A(allow),
     .count_off = A(n_allow), .max = MAX_ALLOW,
     .help = "also serve a tablet on this IPv4 network (repeatable, up to {max}), only with "
             "the token printed on stderr (token=...)"},
};
#undef A

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* A temporary work folder (removed at the end), and the clips' folder: --clips (made if
 * missing) or work/clips. */
static int make_dirs(const lt_args_t *a, char *work, char *clips, size_t cap, gb_error_t *err)
{
    const char *base = getenv("TMPDIR");
    snprintf(work, cap, "%.3000s/gbac-listen-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(work)) {
        const int rc = gb_error_set(err, GB_EIO, "%s: cannot make a temporary folder: %s",
                                    work, strerror(errno));
        work[0] = '\0';
        return rc;
    }
    snprintf(clips, cap, "%.3000s%s", a->clips ? a->clips : work, a->clips ? "" : "/clips");
    if (mkdir(clips, 0777) != 0 && errno != EEXIST)
        return gb_error_set(err, GB_EIO, "%s: cannot make the clips' folder: %s", clips,
                            strerror(errno));
    return 0;
}

/* The shipped preset or the file, and the page's folder. */
static int find_files(const lt_args_t *a, char *preset, char *web, size_t cap, gb_error_t *err)
{
    char tried[8192];
    if (gb_share_preset(a->preset, preset, cap, tried, sizeof tried) < 0)
        return gb_error_set(err, GB_EIO, "cannot find the shipped preset '%s' (looked in: %s); "
                            "give a file with --preset or set GBAC_DATA_DIR", a->preset, tried);
    if (gb_share_dir("web/listen/index.html", web, cap - 16, tried, sizeof tried) < 0)
        return gb_error_set(err, GB_EIO, "cannot find the page web/listen/index.html (looked "
                            "in: %s); set GBAC_DATA_DIR", tried);
    strcat(web, "/web/listen");
    return 0;
}

/* --out must be new: made now (empty), so a taken name or an unwritable folder fails before
 * the clips are made. */
static int claim_out(const char *out, gb_error_t *err)
{
    const int fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0)
        return gb_error_set(err, GB_EIO, "--out %s: %s", out, errno == EEXIST
                            ? "exists already; results are never overwritten, give a new name"
                            : strerror(errno));
    close(fd);
    return 0;
}

static void say_result(const char *prog, const gb_listen_test_t *t, const char *out)
{
    gb_listen_summary_t s;
    gb_listen_summarise(t, &s);
    if (!s.complete) {
        fprintf(stderr, "%s: stopped after %d of %d pairs; the answers so far are in %s\n",
                prog, s.choices, s.pairs, out);
        return;
    }
    fprintf(stderr, "%s: %d pairs answered, results in %s: %s picked %d times (%.2f, 95%% CI "
            "%.2f..%.2f, Clopper-Pearson; p = %.3g against chance)\n", prog, s.pairs, out,
            gb_listen_source_name(t->kind, 0), s.count[0], s.rate, s.ci_low, s.ci_high,
            s.p_value);
}

/* Make the clips, write the design, serve. 0 when every pair was answered, 1 when stopped
 * early, or a negative error. */
static int run_test(lt_args_t *a, gb_listen_web_t *web, const char *preset, const char *work,
                    const char *clips, gb_listen_test_t *t, gb_error_t *err)
{
    gb_listen_config_t c = {.question = a->question, .model = a->model, .model_b = a->model_b,
                            .data = a->data, .preset = preset, .pairs = a->pairs,
                            .bars = a->bars, .seed = a->seed, .tempo = a->tempo,
                            .sample_rate = SAMPLE_RATE, .clip_dir = clips, .work_dir = work,
                            .progress = stderr};
    int rc = gb_listen_make(&c, t, err);
    if (rc == 0) {
        char now[32];
        time_t s = time(NULL);
        struct tm tm;
        gmtime_r(&s, &tm);
        strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
        snprintf(t->started, sizeof t->started, "%s", now);
        rc = gb_listen_write(t, a->out, err);
    }
    if (rc == 0)
        gb_listen_web_run(web, t);
    return rc < 0 ? rc : t->n_choices == t->n_pairs ? 0 : 1;
}

/* listen-test-YYYYMMDD-HHMMSS.json (UTC) when --out was not given. */
static void default_out(lt_args_t *a)
{
    if (a->out)
        return;
    const time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(a->out_name, sizeof a->out_name, "listen-test-%Y%m%d-%H%M%S.json", &tm);
    a->out = a->out_name;
    fprintf(stderr, "gbac listen-test: the results go to %s\n", a->out);
}

static int lt_run(void *p, const gb_cli_call_t *call)
{
    lt_args_t *a = p;
    if (a->question == Q_AUTO)
        a->question = a->model_b ? GB_LISTEN_PREFER : GB_LISTEN_HUMAN;
    if (a->question == GB_LISTEN_HUMAN && a->model_b)
        return gb_cli_usage_error(call, "--question human needs a real clip in every pair; "
                                        "with --model-b ask --question prefer");
    gb_cidr_t allow[MAX_ALLOW];
    for (int i = 0; i < a->n_allow; i++)
        if (gb_cidr_parse(a->allow[i], &allow[i]) != GB_OK)
            return gb_cli_usage_error(call, "bad value '%s' for --http-allow: expected an IPv4 "
                                            "network like 192.168.1.0/24", a->allow[i]);
    char preset[4096], web_dir[4096], work[4096] = "", clips[4096] = "";
    gb_error_t err = {0};
    gb_listen_test_t *t = calloc(1, sizeof *t);
    gb_listen_web_t *web = NULL;
    int claimed = 0, rc = t ? find_files(a, preset, web_dir, sizeof preset, &err)
                                     : gb_error_set(&err, GB_ENOMEM, "out of memory");
    default_out(a);
    if (rc == 0 && (rc = claim_out(a->out, &err)) == 0)
        claimed = 1;
    if (rc == 0)
        rc = make_dirs(a, work, clips, sizeof work, &err);
    gb_listen_serve_config_t sc = {.port = a->port, .allow = allow, .n_allow = a->n_allow,
                                   .doc_root = web_dir, .clip_dir = clips, .out = a->out};
    if (rc == 0 && !(web = gb_listen_web_open(&sc, &err)))
        rc = err.code ? err.code : GB_EIO;
    if (rc == 0)
        rc = run_test(a, web, preset, work, clips, t, &err);
    gb_listen_web_free(web);
    if (work[0])
        nftw(work, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", call->prog, err.msg);
        if (claimed && !t->started[0])
            remove(a->out); /* nothing of the test was written */
    } else {
        say_result(call->prog, t, a->out);
    }
    free(t);
    return rc == 0 ? GB_EXIT_OK : GB_EXIT_FAIL;
}

const gb_cmd_t gb_cli_listen_test = {
    .name = "listen-test",
    .summary = "a blind A/B listening test in the browser: held-out real phrases against the "
               "melody model's, or model against model; results as JSON",
    .description =
        "Serve a blind A/B listening test on the same web server as `gbac live --http` "
        "(docs/listen-test.md). Each of N pairs holds two short clips that continue the first "
        "bar of a held-out tune (the test split of the dataset): the tune's own next bars and "
        "the melody model's (or model M's and model M2's with --model-b), rendered through "
        "gbac's offline renderer with one preset, in the tune's key and at one tempo, both of "
        "the same length. Which clip is a (left) is a seeded coin flip per pair, recorded. The "
        "listener plays both and picks one: \"Which is the human's?\" or \"Which do you "
        "prefer?\".\n\n"
        "After every choice the results file is rewritten: the pairs as made, every choice "
        "(pair, which clip was where, what was picked, when, how often each clip was played) "
        "and a summary: the counts, the share that picked the real clip (or model M's) with "
        "its exact Clopper-Pearson 95% interval and the exact two-sided binomial test against "
        "chance. `gbac eval melody --listen-test FILE` cites it.",
    .epilogue =
        "The page, the preset and the shipped model are looked for in " GB_SHARE_WHERE ".\n\n"
        "Runs until every pair is answered (then exits once the page closes, within "
        GB_CLI_STR(GB_LISTEN_DONE_WAIT_S) " s) or SIGINT/SIGTERM. Exit status: 0 when every "
        "pair was answered; 1 when stopped before (the answers so far are saved), when a file "
        "cannot be read or written, --out exists, the port cannot be bound or the dataset has "
        "fewer usable held-out tunes than pairs; 2 on a usage error.",
    GB_CLI_LEAF(lt_opts, lt_args_t, lt_init, lt_run),
};

GB_CLI_ENTRY(gb_cmd_listen_test, gb_cli_listen_test)
