/* test_melgan.c — the melody GAN's trainer (models/gb_melgan*.c), its model files with the
 * corpus' phrase hashes (models/gb_melody_copy.c) and `gbac generate melody`
 * (src/cli/cmd_generate.c) on a synthetic dataset built in memory: C-major scales and arpeggios
 * in 8th notes, 4/4 and 6/8. Bit-reproducibility (same command, same files; 1 or 2 threads)
 * and resuming from a checkpoint are checked on small runs.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gb_cli.h"
#include "gb_melgan.h"
#include "gb_melody_copy.h"
#include "gb_midifile.h"
#include "gb_modelfile.h"

#define N_TUNES 40
#define N_BARS 8

static gb_melody_ds_t *g_ds;
static double g_ce_before, g_ce_after, g_acc_after;
static char g_dir[64], g_model[128];

static const int major[7] = {0, 2, 4, 5, 7, 9, 11};

/* The pitch of scale index i (diatonic steps from C4, folded into C4..C6). */
static int degree_pitch(int i)
{
    i = ((i % 14) + 14) % 14;
    return 60 + 12 * (i / 7) + major[i % 7];
}

static gb_melody_ds_t *make_ds(void)
{
    gb_melody_ds_t *ds = calloc(1, sizeof *ds);
    ds->n_tunes = N_TUNES;
    ds->tunes = calloc(N_TUNES, sizeof *ds->tunes);
    ds->n_records = N_TUNES * N_BARS;
    ds->records = calloc(ds->n_records, sizeof *ds->records);
    snprintf(ds->source, sizeof ds->source, "synthetic scales and arpeggios");
    snprintf(ds->licence, sizeof ds->licence, "GPL-3.0");
    int r = 0;
    for (int t = 0; t < N_TUNES; t++) {
        int six8 = t % 2, steps = six8 ? 12 : 16, pat = (t / 2) % 4, pos = t % 7;
        gb_mds_split_t split = t % 5 == 4 ? GB_MDS_VALIDATION : GB_MDS_TRAIN;
        gb_mds_tune_t *tn = &ds->tunes[t];
        snprintf(tn->name, sizeof tn->name, "tune%d", t);
        tn->split = split;
        tn->meter_num = six8 ? 6 : 4;
        tn->meter_den = six8 ? 8 : 4;
        tn->steps_per_bar = steps;
        tn->bars = N_BARS;
        uint8_t prev[GB_MDS_MAX_STEPS];
        for (int i = 0; i < GB_MDS_MAX_STEPS; i++)
            prev[i] = i < steps ? GB_MDS_REST : GB_MDS_PAD;
        for (int b = 0; b < N_BARS; b++, r++) {
            gb_mds_record_t *rc = &ds->records[r];
            rc->tune = (uint32_t)t;
            rc->bar = (uint16_t)b;
            rc->split = (uint8_t)split;
            rc->steps_per_bar = (uint8_t)steps;
            rc->meter_num = (uint8_t)tn->meter_num;
            rc->meter_den = (uint8_t)tn->meter_den;
            rc->flags = b == 0;
            memcpy(rc->context, prev, GB_MDS_MAX_STEPS);
            for (int i = 0; i < GB_MDS_MAX_STEPS; i++) {
                if (i >= steps) {
                    rc->target[i] = GB_MDS_PAD;
                } else if (i % 2) {
                    rc->target[i] = GB_MDS_HOLD;
                } else {
                    /* scales move by one degree, arpeggios by two (C E G C ...) */
                    int d = pat == 0 ? 1 : pat == 1 ? -1 : pat == 2 ? 2 : -2;
                    pos += d;
                    rc->target[i] = (uint8_t)(GB_MDS_PITCH_BASE + degree_pitch(pos) -
                                              GB_MDS_PITCH_LO);
                    rc->density++;
                }
            }
            memcpy(prev, rc->target, GB_MDS_MAX_STEPS);
        }
    }
    return ds;
}

/* A small configuration: quick, but every phase runs. */
static gb_melgan_config_t small(void)
{
    gb_melgan_config_t c = gb_melgan_config_default();
    c.embed = 32;
    c.hidden = 48;
    c.enc_hidden = 32;
    c.critic_hidden = 32;
    c.epochs = 40;
    c.per_epoch = 0;
    c.batch = 32;
    c.patience = 0;
    c.lr = 3e-3f;
    c.critic_steps = 30;
    c.adv_steps = 20;
    c.adv_contexts = 8;
    c.adv_k = 4;
    c.seed = 7;
    return c;
}

/* Train c on the synthetic set and write out (and out.disc); the report in *rep. */
static void train_to(gb_melgan_config_t c, const char *ckpt_in, const char *out,
                     gb_melgan_report_t *rep, double *ce_before)
{
    gb_error_t err = {0};
    gb_melgan_t *g = gb_melgan_new(&c, &err);
    assert_non_null(g);
    if (ce_before)
        *ce_before = gb_melgan_eval(g, g_ds, GB_MDS_VALIDATION, NULL);
    if (ckpt_in)
        assert_int_equal(gb_melgan_checkpoint_load(g, ckpt_in, &err), 0);
    if (gb_melgan_train(g, g_ds, rep, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(gb_melgan_save(g, g_ds, rep, "test", 0, out, &err), 0);
    gb_melgan_free(g);
}

static int setup(void **state)
{
    (void)state;
    g_ds = make_ds();
    snprintf(g_dir, sizeof g_dir, "/tmp/gbac-melgan-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(g_model, sizeof g_model, "%s/m.safetensors", g_dir);
    gb_melgan_config_t c = small();
    c.epochs = 60;
    gb_error_t err = {0};
    gb_melgan_t *g = gb_melgan_new(&c, &err);
    if (!g)
        return -1;
    g_ce_before = gb_melgan_eval(g, g_ds, GB_MDS_VALIDATION, NULL);
    gb_melgan_report_t rep;
    if (gb_melgan_train(g, g_ds, &rep, &err) < 0 ||
        gb_melgan_save(g, g_ds, &rep, "test", 0, g_model, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    g_ce_after = rep.val_ce;
    g_acc_after = rep.val_acc;
    fprintf(stderr, "synthetic: validation CE %.3f -> %.3f, token accuracy %.3f, critic "
                    "accuracy %.3f, adversarial reward %.3f -> %.3f, %.1f s\n",
            g_ce_before, g_ce_after, g_acc_after, rep.critic_acc, rep.adv_reward_first,
            rep.adv_reward_last, rep.seconds);
    gb_melgan_free(g);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gb_melody_ds_free(g_ds);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_training_lowers_validation_ce(void **state)
{
    (void)state;
    assert_true(isfinite(g_ce_before) && isfinite(g_ce_after));
    assert_true(g_ce_before > 3.0); /* about log(51) at random weights */
    assert_true(g_ce_after < 0.3 * g_ce_before);
    assert_true(g_acc_after > 0.75);
}

static int file_equal(const char *a, const char *b)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "cmp -s '%.190s' '%.190s'", a, b);
    return system(cmd) == 0;
}

/* The bytes after the safetensors header: the weights alone. */
static int weights_equal(const char *a, const char *b)
{
    gb_error_t err = {0};
    gb_model_t *ma = gb_model_load(a, 1, &err), *mb = gb_model_load(b, 1, &err);
    assert_non_null(ma);
    assert_non_null(mb);
    int same = 1;
    for (int l = 0; l < gb_nn_n_layers(gb_model_nn(ma)) && same; l++) {
        gb_param_info_t pi;
        for (int p = 0; gb_nn_param_info(gb_model_nn(ma), l, p, &pi) == GB_OK && same; p++) {
            float *x = malloc(pi.count * sizeof *x), *y = malloc(pi.count * sizeof *y);
            gb_nn_get_param(gb_model_nn(ma), l, pi.name, x, pi.count, &err);
            gb_nn_get_param(gb_model_nn(mb), l, pi.name, y, pi.count, &err);
            same = memcmp(x, y, pi.count * sizeof *x) == 0;
            free(x);
            free(y);
        }
    }
    gb_model_free(ma);
    gb_model_free(mb);
    return same;
}

/* The same configuration and seed: the same bytes, with one thread or two (the batch is split
 * in the same two halves either way); another seed: other weights. */
static void test_bit_reproducible_and_thread_independent(void **state)
{
    (void)state;
    char d1[160], d2[160], a[200], b[200], c2[200];
    snprintf(d1, sizeof d1, "%s/r1", g_dir);
    snprintf(d2, sizeof d2, "%s/r2", g_dir);
    assert_int_equal(mkdir(d1, 0777), 0);
    assert_int_equal(mkdir(d2, 0777), 0);
    snprintf(a, sizeof a, "%s/m.safetensors", d1);
    snprintf(b, sizeof b, "%s/m.safetensors", d2);
    gb_melgan_config_t c = small();
    c.epochs = 2;
    c.adv_steps = 10;
    gb_melgan_report_t r;
    train_to(c, NULL, a, &r, NULL);
    c.threads = 2;
    train_to(c, NULL, b, &r, NULL);
    assert_true(file_equal(a, b));
    snprintf(a + strlen(a), 8, ".disc");
    snprintf(b + strlen(b), 8, ".disc");
    assert_true(file_equal(a, b));
    snprintf(c2, sizeof c2, "%s/other.safetensors", d2);
    c.seed = 8;
    train_to(c, NULL, c2, &r, NULL);
    snprintf(a, sizeof a, "%s/m.safetensors", d1);
    assert_false(weights_equal(a, c2));
}

/* A run checkpointed and resumed with more adversarial iterations ends with the weights of
 * the uninterrupted run. */
static void test_resume_matches_uninterrupted(void **state)
{
    (void)state;
    char ck[200], a[200], b[200];
    snprintf(ck, sizeof ck, "%s/run.ckpt", g_dir);
    snprintf(a, sizeof a, "%s/whole.safetensors", g_dir);
    snprintf(b, sizeof b, "%s/resumed.safetensors", g_dir);
    gb_melgan_config_t c = small();
    c.epochs = 2;
    c.critic_steps = 10;
    c.adv_steps = 105; /* checkpoints after 100 iterations and at the end */
    gb_melgan_report_t r;
    train_to(c, NULL, a, &r, NULL);
    c.adv_steps = 100;
    c.checkpoint = ck;
    train_to(c, NULL, b, &r, NULL);
    c.adv_steps = 105;
    c.checkpoint = NULL;
    train_to(c, ck, b, &r, NULL);
    assert_true(weights_equal(a, b));
    /* a checkpoint of other layer sizes is refused with the file named */
    gb_melgan_config_t o = small();
    o.hidden = 40;
    gb_error_t err = {0};
    gb_melgan_t *g = gb_melgan_new(&o, &err);
    assert_non_null(g);
    assert_true(gb_melgan_checkpoint_load(g, ck, &err) < 0);
    assert_non_null(strstr(err.msg, "run.ckpt"));
    gb_melgan_free(g);
}

/* The generator file carries the corpus' 2-bar phrases: a training phrase is found, exact and
 * transposed, naming its tune; a phrase not in the corpus is not. */
static void test_model_file_has_phrase_hashes(void **state)
{
    (void)state;
    gb_error_t err = {0};
    gb_model_t *m = gb_model_load(g_model, 1, &err);
    assert_non_null(m);
    assert_string_equal(gb_model_kind(m), "melody-gan-generator");
    gb_melody_copy_t *cp = gb_melody_copy_from_model(m, &err);
    assert_non_null(cp);
    assert_int_equal(gb_melody_copy_n_tunes(cp), N_TUNES);
    const gb_mds_record_t *r = &g_ds->records[3]; /* tune 0, bar 3 */
    const int st = r->steps_per_bar;
    int16_t code[2 * GB_MDS_MAX_STEPS];
    gb_melody_copy_codes(r->context, st, 0, code);
    gb_melody_copy_codes(r->target, st, 0, code + st);
    int tunes[8];
    assert_true(gb_melody_copy_find(cp, gb_melody_copy_hash(code, 2 * st, st, 0), 0, tunes, 8) >= 1);
    assert_string_equal(gb_melody_copy_tune(cp, tunes[0], NULL), "tune0");
    for (int i = 0; i < 2 * st; i++) /* up a fifth: only the transposed set has it */
        code[i] = code[i] >= 0 ? (int16_t)(code[i] + 7) : code[i];
    assert_int_equal(gb_melody_copy_find(cp, gb_melody_copy_hash(code, 2 * st, st, 0), 0, NULL, 0), 0);
    assert_true(gb_melody_copy_find(cp, gb_melody_copy_hash(code, 2 * st, st, 1), 1, tunes, 8) >= 1);
    for (int i = 0; i < 2 * st; i++) /* a chromatic run is in no tune */
        code[i] = (int16_t)(60 + i);
    assert_int_equal(gb_melody_copy_find(cp, gb_melody_copy_hash(code, 2 * st, st, 1), 1, NULL, 0), 0);
    assert_true(gb_melody_copy_count(cp, 0) > 100);
    gb_melody_copy_free(cp);
    gb_model_free(m);
}

static void test_critic_file_and_pair(void **state)
{
    (void)state;
    char disc[160];
    snprintf(disc, sizeof disc, "%s.disc", g_model);
    gb_error_t err = {0};
    gb_model_t *c = gb_model_load(disc, 1, &err);
    assert_non_null(c);
    assert_string_equal(gb_model_kind(c), "melody-gan-critic");
    assert_string_equal(json_string_value(json_object_get(gb_model_card(c), "pair")),
                        "m.safetensors");
    assert_int_equal(gb_melgan_check_critic(gb_model_nn(c), disc, &err), 0);
    assert_true(gb_melgan_check_generator(gb_model_nn(c), disc, &err) < 0);
    assert_non_null(strstr(err.msg, "not a melody GAN generator"));
    gb_model_free(c);
}

static void generate(uint64_t seed, int num, int den, uint8_t *bars, int n)
{
    gb_error_t err = {0};
    char disc[160];
    snprintf(disc, sizeof disc, "%s.disc", g_model);
    gb_model_t *gm = gb_model_load(g_model, 4, &err), *cm = gb_model_load(disc, 4, &err);
    assert_non_null(gm);
    assert_non_null(cm);
    gb_melgan_gen_opts_t o = {.version = 2, .bars = n, .num = num, .den = den, .seed = seed,
                              .temperature = 1.0f, .top_k = 6, .candidates = 4, .density = -1};
    assert_int_equal(gb_melgan_generate(gb_model_nn(gm), gb_model_nn(cm), &o, NULL, 0, bars,
                                        NULL, &err), 0);
    gb_model_free(gm);
    gb_model_free(cm);
}

static void test_generation_deterministic_per_seed(void **state)
{
    (void)state;
    uint8_t a[8 * GB_MDS_MAX_STEPS], b[8 * GB_MDS_MAX_STEPS], c[8 * GB_MDS_MAX_STEPS];
    generate(5, 4, 4, a, 8);
    generate(5, 4, 4, b, 8);
    generate(6, 4, 4, c, 8);
    assert_memory_equal(a, b, sizeof a);
    assert_memory_not_equal(a, c, sizeof a);
    generate(5, 6, 8, a, 8);
    for (int i = 0; i < 8; i++) /* 6/8: 12 steps, then padding */
        assert_int_equal(a[i * GB_MDS_MAX_STEPS + 12], GB_MDS_PAD);
}

static int run(int n, ...)
{
    char *argv[32];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    argv[n] = NULL;
    return gb_cmd_generate(n, argv);
}

static gb_midifile_t *load(const char *path)
{
    gb_error_t err = {0};
    gb_midifile_t *mf = gb_midifile_load(path, 48000.0, &err);
    if (!mf)
        fprintf(stderr, "%s\n", err.msg);
    return mf;
}

/* Share of note-ons whose pitch class is in the major scale on `tonic`. */
static double in_major(const gb_midifile_t *mf, int tonic, int *notes)
{
    static const int maj[12] = {1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1};
    int in = 0, all = 0;
    for (size_t i = 0; i < mf->n_events; i++)
        if (mf->events[i].ev.type == GBP_EV_NOTE_ON) {
            all++;
            in += maj[(mf->events[i].ev.key - tonic + 12) % 12];
        }
    *notes = all;
    return all ? (double)in / all : 0.0;
}

/* A two-bar D-major scale call in eighths at `bpm`, optionally with drums (channel 10)
 * only. */
static void write_call(const char *path, double bpm, int drums_only)
{
    gb_error_t err = {0};
    gb_midifile_writer_t *w = gb_midifile_writer_new(bpm, 480, &err);
    assert_non_null(w);
    const int tr = gb_midifile_writer_add_track(w, "call", &err);
    static const int keys[16] = {62, 64, 66, 67, 69, 71, 73, 74, 74, 73, 71, 69, 67, 66, 64, 62};
    const double e = 30.0 / bpm; /* an eighth */
    for (int i = 0; i < 16; i++) {
        gbp_event_t on = {.type = GBP_EV_NOTE_ON, .key = (uint8_t)(drums_only ? 42 : keys[i]),
                          .value = 0.8f, .channel = (uint8_t)(drums_only ? 9 : 0)};
        gbp_event_t off = on;
        off.type = GBP_EV_NOTE_OFF;
        assert_int_equal(gb_midifile_writer_add(w, tr, i * e, &on, &err), 0);
        assert_int_equal(gb_midifile_writer_add(w, tr, (i + 0.9) * e, &off, &err), 0);
    }
    assert_int_equal(gb_midifile_writer_save(w, path, &err), 0);
    gb_midifile_writer_free(w);
}

static void test_cli_midi_bars_meter_and_key(void **state)
{
    (void)state;
    char out[160], out2[160], out3[160], call[160];
    snprintf(out, sizeof out, "%s/a.mid", g_dir);
    snprintf(out2, sizeof out2, "%s/b.mid", g_dir);
    snprintf(out3, sizeof out3, "%s/c.mid", g_dir);
    snprintf(call, sizeof call, "%s/call.mid", g_dir);
    assert_int_equal(run(12, "generate", "melody", "--model", g_model, "--bars", "6", "--seed",
                         "3", "--meter", "6/8", "-o", out), 0);
    gb_midifile_t *mf = load(out);
    assert_non_null(mf);
    /* 6 bars of 12 sixteenths at 120 bpm: 0.125 s a step, 9 s */
    assert_true(fabs(mf->length_s - 9.0) < 0.01);
    gb_midifile_free(mf);
    assert_int_equal(run(12, "generate", "melody", "--model", g_model, "--bars", "6", "--seed",
                         "3", "--meter", "6/8", "-o", out2), 0);
    assert_true(file_equal(out, out2));
    assert_int_equal(run(12, "generate", "melody", "--model", g_model, "--bars", "6", "--seed",
                         "4", "--meter", "6/8", "-o", out2), 0);
    assert_false(file_equal(out, out2));

    /* --key D: pitch classes in D major */
    assert_int_equal(run(13, "generate", "melody", "--model", g_model, "--bars", "16", "--seed",
                         "9", "--key", "D", "-q", "-o", out3), 0);
    mf = load(out3);
    assert_non_null(mf);
    assert_true(fabs(mf->length_s - 16 * 2.0) < 0.01);
    int notes;
    const double share = in_major(mf, 2, &notes);
    fprintf(stderr, "--key D: %.3f of %d notes in D major\n", share, notes);
    assert_true(notes >= 16);
    assert_true(share >= 0.9);
    gb_midifile_free(mf);

    /* --after a D-major call at 90 BPM without --key: the answer is in D major, at 90 BPM */
    write_call(call, 90.0, 0);
    assert_int_equal(run(12, "generate", "melody", "--model", g_model, "--bars", "2", "--seed",
                         "9", "--after", call, "-o", out2), 0);
    mf = load(out2);
    assert_non_null(mf);
    assert_true(fabs(mf->length_s - 2 * 4 * 60.0 / 90.0) < 0.01); /* 2 bars of 4/4 at 90 */
    const double dm = in_major(mf, 2, &notes);
    fprintf(stderr, "--after a D-major call: %.3f of %d notes in D major\n", dm, notes);
    assert_true(notes >= 4);
    assert_true(dm >= 0.9);
    gb_midifile_free(mf);
}

static void test_cli_errors(void **state)
{
    (void)state;
    char out[160], missing[160], drums[160], disc[160];
    snprintf(out, sizeof out, "%s/e.mid", g_dir);
    snprintf(missing, sizeof missing, "%s/nope.safetensors", g_dir);
    snprintf(drums, sizeof drums, "%s/drums.mid", g_dir);
    snprintf(disc, sizeof disc, "%s.disc", g_model);
    write_call(drums, 120.0, 1);
    assert_int_equal(run(6, "generate", "melody", "--model", missing, "-o", out), 1);
    assert_int_equal(run(8, "generate", "melody", "--model", g_model, "--meter", "5/4", "-o",
                         out), 2);
    assert_int_equal(run(8, "generate", "melody", "--model", g_model, "--key", "H", "-o",
                         out), 2);
    assert_int_equal(run(4, "generate", "melody", "--model", g_model), 2);
    assert_int_equal(run(2, "generate", "drums"), 2);
    assert_int_equal(run(8, "generate", "melody", "--model", g_model, "--after", missing, "-o",
                         out), 1);
    assert_int_equal(run(8, "generate", "melody", "--model", g_model, "--after", drums, "-o",
                         out), 1); /* percussion only: no melody to answer */
    assert_int_equal(run(6, "generate", "melody", "--model", disc, "-o", out), 1);
    assert_int_equal(access(out, F_OK), -1);
}

/* A raw SMF: 5/4, 100 BPM changing to 140 at beat 5, a C-major triad on every beat of two
 * bars (chords: the top line is answered). */
static void write_odd_call(const char *path)
{
    uint8_t tr[2048];
    size_t n = 0;
#define PUT(...)                                                                             \
    do {                                                                                     \
        const uint8_t b_[] = {__VA_ARGS__};                                                  \
        memcpy(tr + n, b_, sizeof b_);                                                       \
        n += sizeof b_;                                                                      \
    } while (0)
    PUT(0x00, 0xff, 0x58, 0x04, 5, 2, 24, 8);         /* 5/4 */
    PUT(0x00, 0xff, 0x51, 0x03, 0x09, 0x27, 0xc0);    /* 600000 us per beat: 100 BPM */
    for (int beat = 0; beat < 10; beat++) {
        if (beat == 5)
            PUT(0x00, 0xff, 0x51, 0x03, 0x06, 0x8e, 0x77); /* 428663 us: 140 BPM */
        PUT(0x00, 0x90, 60, 90, 0x00, 0x90, 64, 90, 0x00, 0x90, (uint8_t)(67 + beat % 3 * 2), 90);
        PUT(0x83, 0x60, 0x80, 60, 0, 0x00, 0x80, 64, 0, 0x00, 0x80, (uint8_t)(67 + beat % 3 * 2), 0);
    }
    PUT(0x00, 0xff, 0x2f, 0x00);
#undef PUT
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    const uint8_t hd[] = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xe0,
                          'M', 'T', 'r', 'k', 0, 0, (uint8_t)(n >> 8), (uint8_t)n};
    assert_int_equal(fwrite(hd, 1, sizeof hd, f), sizeof hd);
    assert_int_equal(fwrite(tr, 1, n, f), n);
    fclose(f);
}

/* A call in 5/4 with chords and a tempo change is answered in 5/4 (20-step bars), at its first
 * tempo. */
static void test_cli_odd_call(void **state)
{
    (void)state;
    char call[160], out[160];
    snprintf(call, sizeof call, "%s/odd.mid", g_dir);
    snprintf(out, sizeof out, "%s/odd-answer.mid", g_dir);
    write_odd_call(call);
    assert_int_equal(run(12, "generate", "melody", "--model", g_model, "--bars", "2", "--seed",
                         "4", "--after", call, "-o", out), 0);
    gb_midifile_t *mf = load(out);
    assert_non_null(mf);
    assert_true(fabs(mf->length_s - 2 * 5 * 0.6) < 0.01); /* 2 bars of 5 beats at 100 BPM */
    gb_midifile_free(mf);
}

/* The shipped model, when present: 4 bars in G from the default path. */
static void test_cli_shipped_model(void **state)
{
    (void)state;
    const char *src = getenv("GBAC_SOURCE_DIR");
    char path[512], out[160];
    snprintf(path, sizeof path, "%s/models/melody-gan.safetensors", src ? src : ".");
    if (!src || access(path, R_OK) != 0)
        skip();
    snprintf(out, sizeof out, "%s/shipped.mid", g_dir);
    assert_int_equal(run(12, "generate", "melody", "--bars", "4", "--seed", "1", "--key", "G",
                         "--meter", "3/4", "-o", out), 0);
    gb_midifile_t *mf = load(out);
    assert_non_null(mf);
    assert_true(fabs(mf->length_s - 4 * 1.5) < 0.01);
    gb_midifile_free(mf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_training_lowers_validation_ce),
        cmocka_unit_test(test_bit_reproducible_and_thread_independent),
        cmocka_unit_test(test_resume_matches_uninterrupted),
        cmocka_unit_test(test_model_file_has_phrase_hashes),
        cmocka_unit_test(test_critic_file_and_pair),
        cmocka_unit_test(test_generation_deterministic_per_seed),
        cmocka_unit_test(test_cli_midi_bars_meter_and_key),
        cmocka_unit_test(test_cli_errors),
        cmocka_unit_test(test_cli_odd_call),
        cmocka_unit_test(test_cli_shipped_model),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
