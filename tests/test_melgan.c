/* test_melgan.c — the melody GAN (models/gb_melgan.c) and `gbac generate melody`
 * (src/cli/cmd_generate.c) on a synthetic dataset built in memory: C-major scales and arpeggios
 * in 8th notes, 4/4 and 6/8.
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
#include <unistd.h>

#include "gb_cli.h"
#include "gb_melgan.h"
#include "gb_midifile.h"
#include "gb_modelfile.h"

#define N_TUNES 40
#define N_BARS 8

static gb_melody_ds_t *g_ds;
static gb_melgan_t *g_gan;
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

static int setup(void **state)
{
    (void)state;
    g_ds = make_ds();
    gb_melgan_config_t c = gb_melgan_config_default();
    c.hidden = 64;
    c.critic_hidden = 32;
    c.epochs = 200;
    c.critic_epochs = 5;
    c.batch = 32;
    c.per_epoch = 0;
    c.patience = 0;
    c.lr = 3e-3f;
    c.seed = 7;
    gb_error_t err = {0};
    g_gan = gb_melgan_new(&c, &err);
    if (!g_gan)
        return -1;
    g_ce_before = gb_melgan_eval(g_gan, g_ds, GB_MDS_VALIDATION, NULL);
    gb_melgan_report_t rep;
    if (gb_melgan_train(g_gan, g_ds, &rep, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    g_ce_after = rep.val_ce;
    g_acc_after = rep.val_acc;
    fprintf(stderr, "synthetic: validation CE %.3f -> %.3f, token accuracy %.3f, critic "
                    "accuracy %.3f, %.1f s\n",
            g_ce_before, g_ce_after, g_acc_after, rep.critic_acc, rep.seconds);
    snprintf(g_dir, sizeof g_dir, "/tmp/gbac-melgan-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(g_model, sizeof g_model, "%s/m.safetensors", g_dir);
    if (gb_melgan_save(g_gan, g_ds, &rep, "test", g_model, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gb_melgan_free(g_gan);
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
    assert_true(g_ce_after < 0.35 * g_ce_before);
    assert_true(g_acc_after > 0.8);
}

/* The per-step softmax cross-entropy's gradient against central finite differences. */
static void test_softmax_ce_gradient(void **state)
{
    (void)state;
    float *y = malloc(GB_MELGAN_GEN_OUT * sizeof(float));
    float *d = malloc(GB_MELGAN_GEN_OUT * sizeof(float));
    uint64_t rng = 3;
    for (int i = 0; i < GB_MELGAN_GEN_OUT; i++)
        y[i] = gb_melgan_rng_normal(&rng);
    uint8_t tgt[GB_MDS_MAX_STEPS];
    for (int i = 0; i < GB_MDS_MAX_STEPS; i++)
        tgt[i] = (uint8_t)(i < 12 ? (i * 7) % GB_MDS_VOCAB : GB_MDS_PAD);
    gb_melgan_bar_ce(y, tgt, 12, 0.5f, d, NULL);
    for (int k = 0; k < 200; k++) {
        int i = (int)(gb_melgan_rng_next(&rng) % GB_MELGAN_GEN_OUT);
        float keep = y[i], h = 1e-3f;
        y[i] = keep + h;
        double lp = gb_melgan_bar_ce(y, tgt, 12, 0.0f, NULL, NULL);
        y[i] = keep - h;
        double lm = gb_melgan_bar_ce(y, tgt, 12, 0.0f, NULL, NULL);
        y[i] = keep;
        double num = 0.5 * (lp - lm) / (2.0 * h);
        assert_true(fabs(num - d[i]) < 2e-3);
        if (i >= 12 * GB_MDS_VOCAB)
            assert_true(d[i] == 0.0f); /* pad steps pass no gradient */
    }
    free(y);
    free(d);
}

static void test_export_matches_training_forward(void **state)
{
    (void)state;
    gb_error_t err = {0};
    gb_mlp_t *m = gb_melgan_generator(g_gan);
    gb_nn_t *nn = gb_mlp_export(m, 1, &err);
    assert_non_null(nn);
    gb_model_t *file = gb_model_load(g_model, 1, &err);
    assert_non_null(file);
    assert_string_equal(gb_model_kind(file), "melody-gan-generator");
    float in[GB_MELGAN_GEN_IN], z[GB_MELGAN_Z];
    float *a = malloc(GB_MELGAN_GEN_OUT * sizeof(float));
    float *b = malloc(GB_MELGAN_GEN_OUT * sizeof(float));
    uint64_t rng = 11;
    for (int r = 0; r < 5; r++) {
        const gb_mds_record_t *rc = &g_ds->records[r * 37 % g_ds->n_records];
        for (int k = 0; k < GB_MELGAN_Z; k++)
            z[k] = gb_melgan_rng_normal(&rng);
        gb_melgan_gen_input(rc->context, rc->steps_per_bar, rc->meter_num, rc->meter_den, 0, 0,
                            rc->density, z, in);
        const float *y = gb_mlp_forward(m, in, 1);
        gb_nn_reset(nn);
        gb_nn_forward(nn, in, a, 1);
        gb_nn_reset(gb_model_nn(file));
        gb_nn_forward(gb_model_nn(file), in, b, 1);
        for (int i = 0; i < GB_MELGAN_GEN_OUT; i++) {
            assert_true(fabsf(a[i] - y[i]) <= 1e-3f * (1.0f + fabsf(y[i])));
            assert_true(fabsf(b[i] - y[i]) <= 1e-3f * (1.0f + fabsf(y[i])));
        }
    }
    free(a);
    free(b);
    gb_model_free(file);
    gb_nn_free(nn);
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
    assert_int_equal(gb_nn_in_dim(gb_model_nn(c)), GB_MELGAN_CRIT_IN);
    gb_model_free(c);
}

static void generate(uint64_t seed, int num, int den, uint8_t *bars, int n)
{
    gb_error_t err = {0};
    gb_nn_t *gen = gb_mlp_export(gb_melgan_generator(g_gan), 1, &err);
    gb_nn_t *cr = gb_mlp_export(gb_melgan_critic(g_gan), 1, &err);
    gb_melgan_gen_opts_t o = {.version = 1, .bars = n, .num = num, .den = den, .seed = seed,
                              .temperature = 1.0f, .candidates = 4};
    assert_int_equal(gb_melgan_generate(gen, cr, &o, NULL, bars, NULL, &err), 0);
    gb_nn_free(gen);
    gb_nn_free(cr);
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

static int file_equal(const char *a, const char *b)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
    return system(cmd) == 0;
}

static void test_cli_midi_bars_meter_and_key(void **state)
{
    (void)state;
    char out[160], out2[160], out3[160];
    snprintf(out, sizeof out, "%s/a.mid", g_dir);
    snprintf(out2, sizeof out2, "%s/b.mid", g_dir);
    snprintf(out3, sizeof out3, "%s/c.mid", g_dir);
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
    static const int dmaj[12] = {0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1};
    int in = 0, all = 0;
    for (size_t i = 0; i < mf->n_events; i++)
        if (mf->events[i].ev.type == GBP_EV_NOTE_ON) {
            all++;
            in += dmaj[mf->events[i].ev.key % 12];
        }
    fprintf(stderr, "--key D: %d of %d notes in D major\n", in, all);
    assert_true(all >= 16);
    assert_true(in >= 0.9 * all);
    gb_midifile_free(mf);

    /* --after: the first bar is conditioned on the call's last bar */
    assert_int_equal(run(13, "generate", "melody", "--model", g_model, "--bars", "2", "--seed",
                         "9", "--after", out3, "-q", "-o", out2), 0);
    mf = load(out2);
    assert_non_null(mf);
    assert_true(fabs(mf->length_s - 2 * 2.0) < 0.01);
    gb_midifile_free(mf);
}

static void test_cli_errors(void **state)
{
    (void)state;
    char out[160], missing[160];
    snprintf(out, sizeof out, "%s/e.mid", g_dir);
    snprintf(missing, sizeof missing, "%s/nope.safetensors", g_dir);
    assert_int_equal(run(6, "generate", "melody", "--model", missing, "-o", out), 1);
    assert_int_equal(run(8, "generate", "melody", "--model", g_model, "--meter", "5/4", "-o",
                         out), 2);
    assert_int_equal(run(8, "generate", "melody", "--model", g_model, "--key", "H", "-o",
                         out), 2);
    assert_int_equal(run(4, "generate", "melody", "--model", g_model), 2);
    assert_int_equal(run(2, "generate", "drums"), 2);
    assert_int_equal(run(8, "generate", "melody", "--model", g_model, "--after", missing, "-o",
                         out), 1);
    assert_int_equal(access(out, F_OK), -1);
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
        cmocka_unit_test(test_softmax_ce_gradient),
        cmocka_unit_test(test_export_matches_training_forward),
        cmocka_unit_test(test_critic_file_and_pair),
        cmocka_unit_test(test_generation_deterministic_per_seed),
        cmocka_unit_test(test_cli_midi_bars_meter_and_key),
        cmocka_unit_test(test_cli_errors),
        cmocka_unit_test(test_cli_shipped_model),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
