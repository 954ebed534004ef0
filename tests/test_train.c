/* test_train.c — the CPU training core: MLP gradients (every activation) and the VAE loss
 * gradient against central finite differences, Adam, export into gb_nn, and a smoke training
 * run of the timbre VAE on a small synthetic dataset built in memory (determinism, resume,
 * model files).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "gb_mlp_train.h"
#include "gb_modelfile.h"
#include "gb_vae.h"
#include "gb_vae_time.h"

static uint64_t rs = 12345;
static float urand(void) /* [-1, 1) */
{
    rs = rs * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(rs >> 11) / 4503599627370496.0 - 1.0);
}

/* Gradient check tolerance, float arithmetic with a central difference of step 1e-2:
 * |analytic - numeric| <= 1e-2 · max(|analytic|, |numeric|) + 2e-4. */
#define FD_STEP 1e-2f
#define FD_REL 1e-2
#define FD_ABS 2e-4

typedef struct fd_stats {
    double max_rel; /* over entries above 1e-3 */
    int bad, n;
} fd_stats_t;

static void fd_check(double a, double num, fd_stats_t *s)
{
    double m = fmax(fabs(a), fabs(num)), e = fabs(a - num);
    if (m > 1e-3 && e / m > s->max_rel)
        s->max_rel = e / m;
    if (e > FD_REL * m + FD_ABS) {
        if (s->bad < 5)
            print_message("  mismatch #%d: analytic %.6g numeric %.6g\n", s->n, a, num);
        s->bad++;
    }
    s->n++;
}

/* ---- MLP ------------------------------------------------------------------------------- */

#define MB 4
static double mlp_loss(gb_mlp_t *m, const float *x, const float *c)
{
    const float *y = gb_mlp_forward(m, x, MB);
    double l = 0.0;
    for (int i = 0; i < MB * gb_mlp_out_dim(m); i++)
        l += c[i] * y[i] + 0.5 * (double)y[i] * y[i];
    return l;
}

static void check_mlp_grad(gb_act_kind_t act)
{
    /* ReLU is piecewise linear: a smaller step makes crossing a kink unlikely. */
    const float h = act == GB_ACT_RELU ? 1e-3f : FD_STEP;
    int outs[3] = {6, 5, 3};
    gb_act_kind_t acts[3] = {act, act, act};
    gb_mlp_t *m = gb_mlp_new(4, 3, outs, acts, MB, NULL);
    assert_non_null(m);
    gb_mlp_init(m, 7);
    float x[MB * 4], c[MB * 3], dout[MB * 3], din[MB * 4];
    for (int i = 0; i < MB * 4; i++)
        x[i] = 1.5f * urand();
    for (int i = 0; i < MB * 3; i++)
        c[i] = urand();
    const float *y = gb_mlp_forward(m, x, MB);
    for (int i = 0; i < MB * 3; i++)
        dout[i] = c[i] + y[i];
    gb_mlp_zero_grad(m);
    gb_mlp_backward(m, dout, din, MB);
    fd_stats_t s = {0};
    float *p = gb_mlp_params(m), *g = gb_mlp_grads(m);
    for (size_t k = 0; k < gb_mlp_n_params(m); k++) {
        float keep = p[k];
        p[k] = keep + h;
        double lp = mlp_loss(m, x, c);
        p[k] = keep - h;
        double lm = mlp_loss(m, x, c);
        p[k] = keep;
        fd_check(g[k], (lp - lm) / (2.0 * h), &s);
    }
    for (int k = 0; k < MB * 4; k++) {
        float keep = x[k];
        x[k] = keep + h;
        double lp = mlp_loss(m, x, c);
        x[k] = keep - h;
        double lm = mlp_loss(m, x, c);
        x[k] = keep;
        fd_check(din[k], (lp - lm) / (2.0 * h), &s);
    }
    print_message("mlp %s: %d entries, max relative error %.2e, outside tolerance %d\n",
                  gb_act_name(act), s.n, s.max_rel, s.bad);
    assert_int_equal(s.bad, 0);
    gb_mlp_free(m);
}

static void test_mlp_grad_linear(void **st) { (void)st; check_mlp_grad(GB_ACT_LINEAR); }
static void test_mlp_grad_relu(void **st) { (void)st; check_mlp_grad(GB_ACT_RELU); }
static void test_mlp_grad_tanh(void **st) { (void)st; check_mlp_grad(GB_ACT_TANH); }
static void test_mlp_grad_sigmoid(void **st) { (void)st; check_mlp_grad(GB_ACT_SIGMOID); }
static void test_mlp_grad_softplus(void **st) { (void)st; check_mlp_grad(GB_ACT_SOFTPLUS); }

static void test_mlp_rejects_softmax(void **st)
{
    (void)st;
    int outs[1] = {3};
    gb_act_kind_t acts[1] = {GB_ACT_SOFTMAX};
    gb_error_t err;
    assert_null(gb_mlp_new(4, 1, outs, acts, 2, &err));
    assert_int_equal(err.code, GB_EINVAL);
}

/* Adam fits y = sin(x0) + x1·x2 with a small tanh MLP. */
static void test_adam_reduces_regression_loss(void **st)
{
    (void)st;
    enum { N = 64 };
    int outs[2] = {16, 1};
    gb_act_kind_t acts[2] = {GB_ACT_TANH, GB_ACT_LINEAR};
    gb_mlp_t *m = gb_mlp_new(3, 2, outs, acts, N, NULL);
    gb_adam_t *a = gb_adam_new(gb_mlp_n_params(m), 0.9f, 0.999f, 1e-8f);
    assert_non_null(m);
    assert_non_null(a);
    gb_mlp_init(m, 3);
    float x[N * 3], t[N], d[N];
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < 3; j++)
            x[i * 3 + j] = urand();
        t[i] = sinf(2.0f * x[i * 3]) + x[i * 3 + 1] * x[i * 3 + 2];
    }
    double first = 0.0, last = 0.0;
    for (int it = 0; it < 600; it++) {
        const float *y = gb_mlp_forward(m, x, N);
        double l = 0.0;
        for (int i = 0; i < N; i++) {
            l += (double)(y[i] - t[i]) * (y[i] - t[i]) / N;
            d[i] = 2.0f * (y[i] - t[i]) / N;
        }
        if (it == 0)
            first = l;
        last = l;
        gb_mlp_zero_grad(m);
        gb_mlp_backward(m, d, NULL, N);
        gb_adam_step(a, gb_mlp_params(m), gb_mlp_grads(m), 1e-2f);
    }
    print_message("adam: MSE %.4f -> %.5f after 600 steps\n", first, last);
    assert_true(last < first / 20.0);
    assert_int_equal(gb_adam_step_count(a), 600);
    gb_adam_free(a);
    gb_mlp_free(m);
}

/* The exported runtime model computes what the training forward computes. */
static void test_export_matches_forward(void **st)
{
    (void)st;
    gb_act_kind_t kinds[5] = {GB_ACT_LINEAR, GB_ACT_RELU, GB_ACT_TANH, GB_ACT_SIGMOID,
                              GB_ACT_SOFTPLUS};
    double worst = 0.0;
    for (int k = 0; k < 5; k++) {
        int outs[3] = {24, 17, 9};
        gb_act_kind_t acts[3] = {kinds[k], kinds[(k + 1) % 5], GB_ACT_LINEAR};
        gb_mlp_t *m = gb_mlp_new(11, 3, outs, acts, 8, NULL);
        assert_non_null(m);
        gb_mlp_init(m, 100 + (uint64_t)k);
        gb_error_t err;
        gb_nn_t *nn = gb_mlp_export(m, 8, &err);
        assert_non_null(nn);
        float x[8 * 11], out[8 * 9];
        for (int i = 0; i < 8 * 11; i++)
            x[i] = 2.0f * urand();
        const float *y = gb_mlp_forward(m, x, 8);
        gb_nn_forward(nn, x, out, 8);
        for (int i = 0; i < 8 * 9; i++) {
            double e = fabs((double)out[i] - y[i]);
            worst = e > worst ? e : worst;
        }
        gb_nn_free(nn);
        gb_mlp_free(m);
    }
    print_message("export: max |gb_nn - training forward| = %.2e\n", worst);
    assert_true(worst < 1e-5);
}

/* ---- synthetic timbre dataset ---------------------------------------------------------- */

enum { N_INST = 3, N_PITCH = 6, N_FR = 20 };

/* 3 instruments with distinct harmonic slopes (and noise colours) × 6 pitches × 20 frames.
 * Pitches 0-3 train, 4 validation, 5 test. */
static gb_tds_t *make_ds(void)
{
    gb_tds_t *ds = calloc(1, sizeof *ds);
    ds->n_notes = N_INST * N_PITCH;
    ds->n_frames = (uint32_t)(ds->n_notes * N_FR);
    ds->notes = calloc((size_t)ds->n_notes, sizeof *ds->notes);
    ds->frames = calloc(ds->n_frames, sizeof *ds->frames);
    snprintf(ds->source, sizeof ds->source, "synthetic (test_train.c)");
    snprintf(ds->licence, sizeof ds->licence, "GPL-3.0-or-later");
    ds->sample_rate = 48000;
    ds->hop_s = 0.01;
    const float slope[N_INST] = {0.6f, 1.6f, 3.0f};
    const int keys[N_PITCH] = {48, 55, 60, 67, 64, 72};
    for (int i = 0; i < N_INST; i++)
        for (int p = 0; p < N_PITCH; p++) {
            int n = i * N_PITCH + p;
            gb_tds_note_t *nt = &ds->notes[n];
            snprintf(nt->id, sizeof nt->id, "i%d_k%d", i, keys[p]);
            nt->program = i;
            nt->key = keys[p];
            nt->velocity = 100;
            nt->f0_hz = 440.0f * powf(2.0f, (float)(keys[p] - 69) / 12.0f);
            nt->split = p < 4 ? GB_TDS_TRAIN : p == 4 ? GB_TDS_VALIDATION : GB_TDS_TEST;
            nt->first_frame = (uint32_t)(n * N_FR);
            nt->n_frames = N_FR;
            for (int f = 0; f < N_FR; f++) {
                gb_tds_frame_t *fr = &ds->frames[n * N_FR + f];
                float decay = (float)f / N_FR;
                fr->f0_hz = nt->f0_hz * (1.0f + 0.002f * urand());
                fr->loudness_db = -12.0f - 20.0f * decay;
                fr->t.amp = 0.5f * expf(-2.0f * decay);
                double s = 0.0;
                for (int k = 0; k < GB_TIMBRE_HARMONICS; k++) {
                    double h = pow(k + 1.0, -(slope[i] + 0.8 * decay)) *
                               (1.0 + 0.05 * urand());
                    if (i == 1 && k % 2 == 1)
                        h *= 0.1; /* a clarinet-like odd-harmonic instrument */
                    fr->t.harm[k] = (float)h;
                    s += h;
                }
                for (int k = 0; k < GB_TIMBRE_HARMONICS; k++)
                    fr->t.harm[k] = (float)(fr->t.harm[k] / s);
                for (int b = 0; b < GB_TIMBRE_BANDS; b++)
                    fr->t.noise[b] = 1e-3f * (float)(i + 1) * expf(-(float)b / (8.0f * (i + 1)));
            }
        }
    return ds;
}

static void free_ds(gb_tds_t *ds)
{
    free(ds->notes);
    free(ds->frames);
    free(ds);
}

static gb_vae_config_t small_cfg(void)
{
    gb_vae_config_t c = gb_vae_config_default();
    c.latent = 4;
    c.hidden = 32;
    c.batch = 4;
    c.frames_per_note = 8;
    c.lr = 3e-3f;
    c.beta = 0.01f;
    c.warmup = 5;
    c.patience = 0;
    c.seed = 5;
    c.free_bits = 0.0f;
    c.onset_frames = 2;
    return c;
}

/* The gradient of the whole VAE loss (reconstruction + β·KL through the reparameterisation
 * with a fixed epsilon) against central differences over every parameter. */
static void test_vae_loss_gradient(void **st)
{
    (void)st;
    gb_tds_t *ds = make_ds();
    gb_vae_config_t c = small_cfg();
    c.latent = 3;
    c.hidden = 8;
    gb_vae_t *v = gb_vae_new(&c, NULL);
    assert_non_null(v);
    int notes[3] = {0, 7, 14}, nf[3] = {3, 2, 4}, frames[9] = {0, 5, 19, 1, 2, 3, 4, 10, 11};
    float eps[9];
    for (int i = 0; i < 9; i++)
        eps[i] = urand();
    const double beta = 0.7;
    gb_vae_batch_loss(v, ds, notes, 3, nf, frames, eps, beta, 1, NULL, NULL);
    fd_stats_t s = {0};
    gb_mlp_t *nets[2] = {gb_vae_encoder(v), gb_vae_decoder(v)};
    for (int w = 0; w < 2; w++) {
        size_t n = gb_mlp_n_params(nets[w]);
        float *g = malloc(n * sizeof(float)), *p = gb_mlp_params(nets[w]);
        memcpy(g, gb_mlp_grads(nets[w]), n * sizeof(float));
        /* A step of 2e-3: the encoder sees 196 inputs of up to |log 1e-4| = 9.2, so larger
         * steps make ReLUs (of both networks) cross their kinks. */
        for (size_t k = 0; k < n; k++) {
            const float h = 2e-3f;
            float keep = p[k];
            p[k] = keep + h;
            double lp = gb_vae_batch_loss(v, ds, notes, 3, nf, frames, eps, beta, 0, NULL, NULL);
            p[k] = keep - h;
            double lm = gb_vae_batch_loss(v, ds, notes, 3, nf, frames, eps, beta, 0, NULL, NULL);
            p[k] = keep;
            fd_check(g[k], (lp - lm) / (2.0 * h), &s);
        }
        free(g);
    }
    print_message("vae loss: %d parameters, max relative error %.2e (entries > 1e-3), outside "
                  "tolerance %d\n", s.n, s.max_rel, s.bad);
    assert_int_equal(s.bad, 0);
    gb_vae_free(v);
    free_ds(ds);
}

static void test_vae_check_data_errors(void **st)
{
    (void)st;
    gb_error_t err;
    gb_tds_t empty;
    memset(&empty, 0, sizeof empty);
    assert_int_equal(gb_vae_check_data(&empty, &err), GB_EFORMAT);
    assert_non_null(strstr(err.msg, "no notes"));
    gb_tds_t *ds = make_ds();
    ds->notes[3].n_frames = 1000;
    assert_int_equal(gb_vae_check_data(ds, &err), GB_EFORMAT);
    assert_non_null(strstr(err.msg, "i0_k67"));
    ds->notes[3].n_frames = N_FR;
    ds->frames[5].t.harm[3] = NAN;
    assert_int_equal(gb_vae_check_data(ds, &err), GB_EFORMAT);
    ds->frames[5].t.harm[3] = 0.0f;
    assert_int_equal(gb_vae_check_data(ds, &err), 0);
    free_ds(ds);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A short run lowers the validation loss and reconstructs held-out notes' harmonic
 * distributions better than the training set's mean frame. */
static void test_vae_smoke_training(void **st)
{
    (void)st;
    gb_tds_t *ds = make_ds();
    gb_vae_config_t c = small_cfg();
    c.epochs = 400;
    gb_vae_t *v = gb_vae_new(&c, NULL);
    double before = gb_vae_eval(v, ds, GB_TDS_VALIDATION, c.beta, NULL, NULL);
    gb_vae_report_t rep;
    gb_error_t err;
    double t0 = now();
    assert_int_equal(gb_vae_train(v, ds, &rep, &err), 0);
    double secs = now() - t0;
    gb_timbre_frame_t mf;
    gb_vae_mean_frame(ds, &mf);
    double l1 = gb_vae_harm_l1(v, ds, GB_TDS_VALIDATION, NULL);
    double l1_mean = gb_vae_harm_l1(v, ds, GB_TDS_VALIDATION, mf.harm);
    double l1_test = gb_vae_harm_l1(v, ds, GB_TDS_TEST, NULL);
    double l1_test_mean = gb_vae_harm_l1(v, ds, GB_TDS_TEST, mf.harm);
    print_message("smoke: %d epochs in %.2f s; validation loss %.4f -> %.4f (recon %.4f, KL "
                  "%.3f), train %.4f; harmonic L1 validation %.3f vs mean frame %.3f, test "
                  "%.3f vs %.3f\n",
                  rep.epochs, secs, before, rep.val_loss, rep.val_recon, rep.val_kl,
                  rep.train_loss, l1, l1_mean, l1_test, l1_test_mean);
    assert_int_equal(rep.epochs, 400);
    assert_true(rep.val_loss < 0.5 * before);
    assert_true(l1 < 0.5 * l1_mean);
    assert_true(secs < 30.0);
    gb_vae_free(v);
    free_ds(ds);
}

static int same_weights(gb_vae_t *a, gb_vae_t *b)
{
    gb_mlp_t *ma[2] = {gb_vae_encoder(a), gb_vae_decoder(a)};
    gb_mlp_t *mb[2] = {gb_vae_encoder(b), gb_vae_decoder(b)};
    for (int i = 0; i < 2; i++)
        if (memcmp(gb_mlp_params(ma[i]), gb_mlp_params(mb[i]),
                   gb_mlp_n_params(ma[i]) * sizeof(float)) != 0)
            return 0;
    return 1;
}

static void test_vae_same_seed_bit_identical(void **st)
{
    (void)st;
    gb_tds_t *ds = make_ds();
    gb_vae_config_t c = small_cfg();
    c.epochs = 6;
    gb_vae_t *a = gb_vae_new(&c, NULL), *b = gb_vae_new(&c, NULL);
    assert_int_equal(gb_vae_train(a, ds, NULL, NULL), 0);
    assert_int_equal(gb_vae_train(b, ds, NULL, NULL), 0);
    assert_true(same_weights(a, b));
    c.seed = 6;
    gb_vae_t *d = gb_vae_new(&c, NULL);
    assert_int_equal(gb_vae_train(d, ds, NULL, NULL), 0);
    assert_false(same_weights(a, d));
    gb_vae_free(a);
    gb_vae_free(b);
    gb_vae_free(d);
    free_ds(ds);
}

/* Train 3 epochs with a checkpoint, resume to 8: the same weights as 8 epochs at once. */
static void test_vae_resume_matches_uninterrupted(void **st)
{
    (void)st;
    gb_tds_t *ds = make_ds();
    char path[64];
    snprintf(path, sizeof path, "/tmp/gbac_test_train_%d.ckpt", (int)getpid());
    gb_vae_config_t c = small_cfg();
    c.epochs = 8;
    gb_vae_t *full = gb_vae_new(&c, NULL);
    gb_vae_report_t r1, r2;
    assert_int_equal(gb_vae_train(full, ds, &r1, NULL), 0);
    c.epochs = 3;
    c.checkpoint = path;
    gb_vae_t *part = gb_vae_new(&c, NULL);
    assert_int_equal(gb_vae_train(part, ds, NULL, NULL), 0);
    c.epochs = 8;
    c.checkpoint = NULL;
    gb_vae_t *res = gb_vae_new(&c, NULL);
    gb_error_t err;
    assert_int_equal(gb_vae_checkpoint_load(res, path, &err), 0);
    assert_int_equal(gb_vae_train(res, ds, &r2, NULL), 0);
    assert_int_equal(r2.epochs, 8);
    assert_true(same_weights(full, res));
    assert_true(r1.val_loss == r2.val_loss);
    /* a checkpoint of another architecture is refused with the file named */
    c.latent = 5;
    gb_vae_t *other = gb_vae_new(&c, NULL);
    assert_true(gb_vae_checkpoint_load(other, path, &err) < 0);
    assert_non_null(strstr(err.msg, path));
    unlink(path);
    gb_vae_free(other);
    gb_vae_free(full);
    gb_vae_free(part);
    gb_vae_free(res);
    free_ds(ds);
}

/* gb_vae_save writes a decoder and an encoder model file that load, carry their cards, and
 * compute what the training forward computes. */
static void test_vae_save_model_files(void **st)
{
    (void)st;
    gb_tds_t *ds = make_ds();
    gb_vae_config_t c = small_cfg();
    c.epochs = 2;
    gb_vae_t *v = gb_vae_new(&c, NULL);
    gb_vae_report_t rep;
    assert_int_equal(gb_vae_train(v, ds, &rep, NULL), 0);
    char out[64], enc[80];
    snprintf(out, sizeof out, "/tmp/gbac_test_train_%d.safetensors", (int)getpid());
    snprintf(enc, sizeof enc, "%s.enc", out);
    gb_error_t err;
    assert_int_equal(gb_vae_save(v, ds, &rep, "gbac train timbre (test)", out, &err), 0);
    gb_model_t *md = gb_model_load(out, 0, &err), *me = gb_model_load(enc, 0, &err);
    assert_non_null(md);
    assert_non_null(me);
    assert_string_equal(gb_model_kind(md), "timbre-vae-decoder");
    assert_string_equal(gb_model_kind(me), "timbre-vae-encoder");
    size_t card = strlen(gb_model_card_json(md));
    print_message("decoder card: %zu bytes\n", card);
    assert_true(card < 200000);
    const json_t *ref = json_object_get(gb_model_card(md), "reference");
    assert_non_null(json_object_get(json_object_get(ref, "per_key"), "60"));
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(gb_model_card(md), "data"), "counts"),
                         "train")),
                     12);
    /* decoder outputs */
    const int din = gb_mlp_in_dim(gb_vae_decoder(v));
    assert_int_equal(din, c.latent + 2 + GB_VAE_TIME_FEATURES);
    float in[4 * 16], out_nn[4 * GB_VAE_DEC_OUT];
    for (int i = 0; i < 4 * din; i++)
        in[i] = urand();
    const float *y = gb_mlp_forward(gb_vae_decoder(v), in, 4);
    gb_nn_forward(gb_model_nn(md), in, out_nn, 4);
    double worst = 0.0;
    for (int i = 0; i < 4 * GB_VAE_DEC_OUT; i++)
        worst = fmax(worst, fabs((double)out_nn[i] - y[i]));
    print_message("decoder file vs training forward: max error %.2e\n", worst);
    assert_true(worst < 1e-5);
    /* an unwritable output names the file */
    assert_true(gb_vae_save(v, ds, &rep, NULL, "/nonexistent-dir/x.safetensors", &err) < 0);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.safetensors"));
    gb_model_free(md);
    gb_model_free(me);
    unlink(out);
    unlink(enc);
    gb_vae_free(v);
    free_ds(ds);
}

/* Write the synthetic dataset as a `gbac dataset timbre` folder DIR/good, plus DIR/empty (no
 * notes) and DIR/short (frames.f32 shorter than the manifest says), for train_cli.sh. */
static int write_ds(const char *dir, const char *name, const gb_tds_t *ds, int n_notes,
                    uint32_t n_frames)
{
    char path[512];
    snprintf(path, sizeof path, "mkdir -p '%s/%s'", dir, name);
    if (system(path) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/%s/manifest.json", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    static const char *splits[3] = {"train", "validation", "test"};
    fprintf(f, "{\"format\": \"gbac-timbre-ds/1\", \"source\": \"%s\", \"licence\": \"%s\", "
               "\"sample_rate\": 48000, \"hop_s\": 0.01, \"seed\": 1, \"counts\": {\"notes\": %d, "
               "\"frames\": %d}, \"notes\": [",
            ds->source, ds->licence, n_notes, n_notes * N_FR);
    for (int i = 0; i < n_notes; i++) {
        const gb_tds_note_t *nt = &ds->notes[i];
        fprintf(f, "%s{\"id\": \"%s\", \"program\": %d, \"name\": \"synth %d\", \"key\": %d, "
                   "\"velocity\": 100, \"f0_hz\": %.3f, \"split\": \"%s\", \"first_frame\": %u, "
                   "\"n_frames\": %u, \"hash\": \"%064d\"}",
                i ? ", " : "", nt->id, nt->program, nt->program, nt->key, (double)nt->f0_hz,
                splits[nt->split], nt->first_frame, nt->n_frames, i);
    }
    fprintf(f, "]}\n");
    fclose(f);
    snprintf(path, sizeof path, "%s/%s/frames.f32", dir, name);
    f = fopen(path, "wb");
    if (!f)
        return -1;
    for (uint32_t k = 0; k < n_frames; k++) {
        const gb_tds_frame_t *fr = &ds->frames[k];
        float rec[GB_TDS_FRAME_FLOATS];
        rec[0] = fr->f0_hz;
        rec[1] = fr->loudness_db;
        rec[2] = fr->t.amp;
        memcpy(rec + 3, fr->t.harm, sizeof fr->t.harm);
        memcpy(rec + 3 + GB_TIMBRE_HARMONICS, fr->t.noise, sizeof fr->t.noise);
        fwrite(rec, sizeof rec, 1, f);
    }
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-datasets") == 0) {
        gb_tds_t *ds = make_ds();
        int rc = write_ds(argv[2], "good", ds, ds->n_notes, ds->n_frames) |
                 write_ds(argv[2], "empty", ds, 0, 0) |
                 write_ds(argv[2], "short", ds, ds->n_notes, ds->n_frames - 7);
        free_ds(ds);
        return rc ? 1 : 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mlp_grad_linear),
        cmocka_unit_test(test_mlp_grad_relu),
        cmocka_unit_test(test_mlp_grad_tanh),
        cmocka_unit_test(test_mlp_grad_sigmoid),
        cmocka_unit_test(test_mlp_grad_softplus),
        cmocka_unit_test(test_mlp_rejects_softmax),
        cmocka_unit_test(test_adam_reduces_regression_loss),
        cmocka_unit_test(test_export_matches_forward),
        cmocka_unit_test(test_vae_loss_gradient),
        cmocka_unit_test(test_vae_check_data_errors),
        cmocka_unit_test(test_vae_smoke_training),
        cmocka_unit_test(test_vae_same_seed_bit_identical),
        cmocka_unit_test(test_vae_resume_matches_uninterrupted),
        cmocka_unit_test(test_vae_save_model_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
