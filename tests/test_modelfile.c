/* test_modelfile.c — model files: save/load round trips, the safetensors layout, and one test
 * per kind of bad file, each asserting the error code and what the message names.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `test_modelfile --write-samples DIR` writes a good model file and the bad files of the
 * table below to DIR instead of running the tests: the CLI test uses them, and they are the
 * seed corpus of the fuzzer (tests/fuzz/corpus/model/, regenerate with this command).
 */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "gb_bf16.h"
#include "gb_modelfile.h"
#include "gb_safetensors.h"

/* ---- helpers -------------------------------------------------------------------------- */

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static uint64_t rng_state;

static float rng_float(void) /* uniform in [-0.5, 0.5) */
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(rng_state >> 40) / (double)(1ull << 24)) - 0.5f;
}

static void fill_random(gb_nn_t *nn, uint64_t seed)
{
    rng_state = seed;
    for (int i = 0; i < gb_nn_n_layers(nn); i++) {
        gb_param_info_t pi;
        for (int p = 0; gb_nn_param_info(nn, i, p, &pi) == GB_OK; p++) {
            float *w = malloc(pi.count * sizeof *w);
            assert_non_null(w);
            for (size_t k = 0; k < pi.count; k++)
                w[k] = rng_float();
            assert_int_equal(gb_nn_set_param(nn, i, pi.name, w, pi.count, NULL), 0);
            free(w);
        }
    }
}

static gb_act_t act_alpha(gb_act_kind_t kind, float alpha)
{
    gb_act_t a = gb_act_make(kind);
    a.alpha = alpha;
    return a;
}

static const char CARD[] =
    "{\"kind\":\"test-model\",\"features\":{\"frame\":16,\"names\":[\"pitch\",\"loudness\"]},"
    "\"data\":{\"source\":\"synthetic test data\",\"licence\":\"GPL-3.0-or-later\","
    "\"counts\":{\"tunes\":12,\"bars\":96}},\"seed\":1234,"
    "\"command\":\"test_modelfile\",\"metrics\":{\"loss\":0.25,\"accuracy\":0.5},"
    "\"notes\":\"free-form keys are kept\"}";

/* Every layer kind and every activation; conv with kernel 3, dilation 2 and kernel 1. */
static gb_nn_t *big_model_wt(int max_batch, uint64_t seed, gb_nn_wtype_t wt);

static gb_nn_t *big_model(int max_batch, uint64_t seed)
{
    return big_model_wt(max_batch, seed, GB_NN_WTYPE_F32);
}

/* big_model with its weight matrices stored as wt (bf16: the same random values, rounded). */
static gb_nn_t *big_model_wt(int max_batch, uint64_t seed, gb_nn_wtype_t wt)
{
    gb_nn_t *nn = gb_nn_new(5, max_batch, NULL);
    assert_non_null(nn);
    assert_int_equal(gb_nn_add_dense(nn, 16, gb_act_make(GB_ACT_RELU), NULL), 0);
    assert_int_equal(gb_nn_add_gru(nn, 12, NULL), 0);
    assert_int_equal(gb_nn_add_conv1d(nn, 8, 3, 2, gb_act_make(GB_ACT_TANH), NULL), 0);
    assert_int_equal(gb_nn_add_act(nn, act_alpha(GB_ACT_LEAKY_RELU, 0.2f), NULL), 0);
    assert_int_equal(gb_nn_add_conv1d(nn, 6, 1, 1, act_alpha(GB_ACT_ELU, 0.5f), NULL), 0);
    assert_int_equal(gb_nn_add_dense(nn, 9, gb_act_make(GB_ACT_SIGMOID), NULL), 0);
    assert_int_equal(gb_nn_add_gru(nn, 4, NULL), 0);
    assert_int_equal(gb_nn_add_dense(nn, 7, gb_act_make(GB_ACT_SOFTPLUS), NULL), 0);
    assert_int_equal(gb_nn_add_act(nn, gb_act_make(GB_ACT_SOFTMAX), NULL), 0);
    assert_int_equal(gb_nn_add_dense(nn, 3, gb_act_make(GB_ACT_LINEAR), NULL), 0);
    assert_int_equal(gb_nn_set_wtype(nn, -1, wt, NULL), 0);
    assert_int_equal(gb_nn_finalize(nn, NULL), 0);
    fill_random(nn, seed);
    return nn;
}

/* The small model of the bad-file cases: dense, gru, conv1d, activation. Tensors:
 * layers.0.weight [4,3], layers.0.bias [4], layers.1.weight_ih [6,4], layers.1.weight_hh
 * [6,2], layers.1.bias_ih [6], layers.1.bias_hh [6], layers.2.weight [2,2,2], layers.2.bias [2]. */
static gb_nn_t *small_model(void)
{
    gb_nn_t *nn = gb_nn_new(3, 2, NULL);
    assert_non_null(nn);
    assert_int_equal(gb_nn_add_dense(nn, 4, gb_act_make(GB_ACT_RELU), NULL), 0);
    assert_int_equal(gb_nn_add_gru(nn, 2, NULL), 0);
    assert_int_equal(gb_nn_add_conv1d(nn, 2, 2, 2, gb_act_make(GB_ACT_TANH), NULL), 0);
    assert_int_equal(gb_nn_add_act(nn, act_alpha(GB_ACT_LEAKY_RELU, 0.1f), NULL), 0);
    assert_int_equal(gb_nn_finalize(nn, NULL), 0);
    fill_random(nn, 42);
    return nn;
}

/* Every layer kind and activation, as small as possible: a fuzz seed that loads. */
static gb_nn_t *tiny_every_layer_model(void)
{
    gb_nn_t *nn = gb_nn_new(2, 1, NULL);
    assert_non_null(nn);
    assert_int_equal(gb_nn_add_dense(nn, 3, gb_act_make(GB_ACT_RELU), NULL), 0);
    assert_int_equal(gb_nn_add_gru(nn, 2, NULL), 0);
    assert_int_equal(gb_nn_add_conv1d(nn, 2, 3, 2, gb_act_make(GB_ACT_TANH), NULL), 0);
    assert_int_equal(gb_nn_add_act(nn, act_alpha(GB_ACT_LEAKY_RELU, 0.2f), NULL), 0);
    assert_int_equal(gb_nn_add_conv1d(nn, 2, 1, 1, act_alpha(GB_ACT_ELU, 0.5f), NULL), 0);
    assert_int_equal(gb_nn_add_dense(nn, 2, gb_act_make(GB_ACT_SIGMOID), NULL), 0);
    assert_int_equal(gb_nn_add_act(nn, gb_act_make(GB_ACT_SOFTMAX), NULL), 0);
    assert_int_equal(gb_nn_add_dense(nn, 1, gb_act_make(GB_ACT_SOFTPLUS), NULL), 0);
    assert_int_equal(gb_nn_finalize(nn, NULL), 0);
    fill_random(nn, 11);
    return nn;
}

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    unsigned char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void write_all(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Run `steps` forward steps of a random batch through both models; outputs must be bitwise
 * equal. */
static void assert_same_outputs(gb_nn_t *a, gb_nn_t *b, int batch, int steps)
{
    int in = gb_nn_in_dim(a), out = gb_nn_out_dim(a);
    assert_int_equal(gb_nn_in_dim(b), in);
    assert_int_equal(gb_nn_out_dim(b), out);
    float *x = malloc(sizeof(float) * (size_t)(batch * in));
    float *ya = malloc(sizeof(float) * (size_t)(batch * out));
    float *yb = malloc(sizeof(float) * (size_t)(batch * out));
    assert_true(x && ya && yb);
    gb_nn_reset(a);
    gb_nn_reset(b);
    rng_state = 777;
    for (int t = 0; t < steps; t++) {
        for (int k = 0; k < batch * in; k++)
            x[k] = 4.0f * rng_float();
        gb_nn_forward(a, x, ya, batch);
        gb_nn_forward(b, x, yb, batch);
        for (int k = 0; k < batch * out; k++)
            assert_true(isfinite(ya[k]));
        assert_memory_equal(ya, yb, sizeof(float) * (size_t)(batch * out));
    }
    free(x);
    free(ya);
    free(yb);
}

/* The loaded model has the same layers and bitwise the same parameters. */
static void assert_same_params(const gb_nn_t *a, const gb_nn_t *b)
{
    assert_int_equal(gb_nn_n_layers(a), gb_nn_n_layers(b));
    assert_int_equal(gb_nn_n_weights(a), gb_nn_n_weights(b));
    for (int i = 0; i < gb_nn_n_layers(a); i++) {
        gb_layer_info_t la, lb;
        assert_int_equal(gb_nn_layer_info(a, i, &la), 0);
        assert_int_equal(gb_nn_layer_info(b, i, &lb), 0);
        assert_int_equal(la.kind, lb.kind);
        assert_int_equal(la.in, lb.in);
        assert_int_equal(la.out, lb.out);
        assert_int_equal(la.kernel, lb.kernel);
        assert_int_equal(la.dilation, lb.dilation);
        assert_int_equal(la.act.kind, lb.act.kind);
        assert_memory_equal(&la.act.alpha, &lb.act.alpha, sizeof(float));
        gb_param_info_t pi;
        for (int p = 0; gb_nn_param_info(a, i, p, &pi) == GB_OK; p++) {
            float *wa = malloc(pi.count * sizeof(float)), *wb = malloc(pi.count * sizeof(float));
            assert_true(wa && wb);
            assert_int_equal(gb_nn_get_param(a, i, pi.name, wa, pi.count, NULL), 0);
            assert_int_equal(gb_nn_get_param(b, i, pi.name, wb, pi.count, NULL), 0);
            assert_memory_equal(wa, wb, pi.count * sizeof(float));
            free(wa);
            free(wb);
        }
    }
}

/* ---- round trips ---------------------------------------------------------------------- */

static void test_roundtrip_every_layer_kind(void **state)
{
    (void)state;
    const char *path = tmp_path("roundtrip.safetensors");
    gb_nn_t *nn = big_model(4, 99);
    gb_error_t err = {0};
    assert_int_equal(gb_model_save(path, nn, CARD, &err), 0);
    gb_model_t *m = gb_model_load(path, 0, &err);
    if (!m)
        fail_msg("%s", err.msg);
    gb_nn_t *ln = gb_model_nn(m);
    assert_int_equal(gb_nn_max_batch(ln), 4);
    assert_same_params(nn, ln);

    /* Same kernels, same bits: for every family this CPU runs. */
    for (int s = 0; s < GB_SIMD_COUNT; s++) {
        if (!gb_simd_available((gb_simd_t)s))
            continue;
        assert_int_equal(gb_nn_set_simd(nn, (gb_simd_t)s, NULL), 0);
        assert_int_equal(gb_nn_set_simd(ln, (gb_simd_t)s, NULL), 0);
        assert_same_outputs(nn, ln, 4, 9);
        assert_same_outputs(nn, ln, 1, 5);
    }

    /* Card and architecture round trip. */
    assert_string_equal(gb_model_kind(m), "test-model");
    assert_string_equal(gb_model_card_json(m), CARD);
    json_t *card = json_loads(CARD, 0, NULL);
    assert_true(json_equal(card, (json_t *)gb_model_card(m)));
    json_decref(card);
    json_t *arch = gb_model_arch_from_nn(nn);
    assert_true(json_equal(arch, (json_t *)gb_model_arch(m)));
    json_t *again = json_loads(gb_model_arch_json(m), 0, NULL);
    assert_true(json_equal(arch, again));
    json_decref(again);
    json_decref(arch);
    assert_string_equal(gb_model_name(m), path);
    gb_model_free(m);
    gb_nn_free(nn);
}

/* The dtype of each tensor of a file, by name. */
static gb_st_dtype_t file_dtype(const char *path, const char *tensor)
{
    gb_st_t *st = gb_st_open(path, NULL);
    assert_non_null(st);
    long i = gb_st_find(st, tensor);
    assert_true(i >= 0);
    gb_st_info_t ti;
    assert_int_equal(gb_st_info(st, (size_t)i, &ti), 0);
    gb_st_free(st);
    return ti.dtype;
}

/* gb_model_convert to BF16: weight matrices BF16 in the file and bf16 in the loaded layers,
 * holding each weight rounded to the nearest bfloat16, biases F32 and exact; the loaded model
 * computes bit for bit what the same bf16 model built in memory does; the card says so; and
 * converting back to F32 widens exactly. */
static void test_bf16_convert_round_trip(void **state)
{
    (void)state;
    const char *f32 = tmp_path("conv-f32.safetensors"), *b16 = tmp_path("conv-bf16.safetensors");
    const char *back = tmp_path("conv-back.safetensors");
    gb_nn_t *nn = big_model(4, 7), *mem16 = big_model_wt(4, 7, GB_NN_WTYPE_BF16);
    gb_error_t err = {0};
    assert_int_equal(gb_model_save(f32, nn, CARD, &err), 0);
    if (gb_model_convert(f32, b16, GB_NN_WTYPE_BF16, &err))
        fail_msg("%s", err.msg);
    gb_model_t *m = gb_model_load(b16, 0, &err);
    if (!m)
        fail_msg("%s", err.msg);
    gb_nn_t *ln = gb_model_nn(m);
    assert_int_equal(file_dtype(b16, "layers.1.weight_hh"), GB_ST_BF16);
    assert_int_equal(file_dtype(b16, "layers.2.weight"), GB_ST_BF16);
    assert_int_equal(file_dtype(b16, "layers.1.bias_hh"), GB_ST_F32);
    for (int i = 0; i < gb_nn_n_layers(ln); i++) {
        gb_layer_info_t li;
        gb_param_info_t pi;
        gb_nn_layer_info(ln, i, &li);
        assert_int_equal(li.wtype, li.n_params ? GB_NN_WTYPE_BF16 : GB_NN_WTYPE_F32);
        for (int p = 0; gb_nn_param_info(ln, i, p, &pi) == GB_OK; p++) {
            float *a = malloc(pi.count * sizeof *a), *b = malloc(pi.count * sizeof *b);
            gb_nn_get_param(nn, i, pi.name, a, pi.count, NULL);
            gb_nn_get_param(ln, i, pi.name, b, pi.count, NULL);
            for (size_t k = 0; k < pi.count; k++) {
                const float want = pi.ndim > 1 ? gb_bf16_round(a[k]) : a[k];
                assert_memory_equal(&b[k], &want, sizeof(float));
            }
            free(a);
            free(b);
        }
    }
    assert_same_params(mem16, ln);
    for (int s = 0; s < GB_SIMD_COUNT; s++) {
        if (!gb_simd_available((gb_simd_t)s))
            continue;
        assert_int_equal(gb_nn_set_simd(mem16, (gb_simd_t)s, NULL), 0);
        assert_int_equal(gb_nn_set_simd(ln, (gb_simd_t)s, NULL), 0);
        assert_same_outputs(mem16, ln, 4, 6);
        assert_same_outputs(mem16, ln, 1, 4);
    }
    json_t *w = json_object_get(gb_model_card(m), "weights");
    assert_true(json_is_string(w) && strcmp(json_string_value(w), "bf16") == 0);
    if (gb_model_convert(b16, back, GB_NN_WTYPE_F32, &err))
        fail_msg("%s", err.msg);
    gb_model_t *mb = gb_model_load(back, 0, &err);
    assert_non_null(mb);
    assert_int_equal(file_dtype(back, "layers.1.weight_hh"), GB_ST_F32);
    assert_same_params(ln, gb_model_nn(mb));
    gb_model_free(mb);
    gb_model_free(m);
    gb_nn_free(nn);
    gb_nn_free(mem16);
}

static void test_roundtrip_batch_override(void **state)
{
    (void)state;
    const char *path = tmp_path("batch.safetensors");
    gb_nn_t *nn = big_model(3, 5);
    assert_int_equal(gb_model_save(path, nn, CARD, NULL), 0);
    gb_model_t *m = gb_model_load(path, 0, NULL);
    assert_non_null(m);
    assert_int_equal(gb_nn_max_batch(gb_model_nn(m)), 3);
    gb_model_free(m);
    m = gb_model_load(path, 16, NULL);
    assert_non_null(m);
    assert_int_equal(gb_nn_max_batch(gb_model_nn(m)), 16);
    assert_same_outputs(nn, gb_model_nn(m), 3, 4);
    gb_model_free(m);
    gb_error_t err = {0};
    assert_null(gb_model_load(path, GB_NN_MAX_BATCH + 1, &err));
    assert_int_equal(err.code, GB_EINVAL);
    assert_non_null(strstr(err.msg, "max_batch"));
    gb_nn_free(nn);
}

static void test_load_mem_and_take_nn(void **state)
{
    (void)state;
    const char *path = tmp_path("mem.safetensors");
    gb_nn_t *nn = big_model(2, 7);
    assert_int_equal(gb_model_save(path, nn, CARD, NULL), 0);
    size_t len;
    unsigned char *buf = read_all(path, &len);
    gb_error_t err = {0};
    gb_model_t *m = gb_model_load_mem(buf, len, "in-memory", 0, &err);
    free(buf); /* the model must not borrow it */
    if (!m)
        fail_msg("%s", err.msg);
    assert_string_equal(gb_model_name(m), "in-memory");
    gb_nn_t *taken = gb_model_take_nn(m);
    assert_non_null(taken);
    assert_null(gb_model_nn(m));
    assert_string_equal(gb_model_kind(m), "test-model");
    gb_model_free(m);
    assert_same_params(nn, taken);
    assert_same_outputs(nn, taken, 2, 3);
    gb_nn_free(taken);
    gb_nn_free(nn);
}

/* Auxiliary tensors (aux.<name>) of any dtype survive a round trip in host order, from a file
 * and from memory; the runtime model ignores them; names are checked when saving. */
static void test_aux_tensors_any_dtype(void **state)
{
    (void)state;
    const char *path = tmp_path("aux.safetensors");
    gb_nn_t *nn = big_model(2, 9);
    const uint64_t h[5] = {1, 2, 0x8000000000000001ull, 0xfedcba9876543210ull, UINT64_MAX};
    const uint32_t t[5] = {7, 0, 3, 3, 4294967295u};
    const gb_st_tensor_t aux[2] = {
        {.name = "copy.exact", .dtype = GB_ST_U64, .ndim = 1, .shape = {5}, .data = h},
        {.name = "copy.exact_tune", .dtype = GB_ST_U32, .ndim = 1, .shape = {5}, .data = t}};
    gb_error_t err = {0};
    assert_int_equal(gb_model_save_aux_any(path, nn, CARD, aux, 2, &err), 0);
    size_t len;
    unsigned char *buf = read_all(path, &len);
    gb_model_t *files[2] = {gb_model_load(path, 0, &err),
                            gb_model_load_mem(buf, len, "mem", 0, &err)};
    free(buf);
    for (int k = 0; k < 2; k++) {
        gb_model_t *m = files[k];
        assert_non_null(m);
        gb_model_aux_t a;
        assert_int_equal(gb_model_aux_get(m, "copy.exact", &a), 0);
        assert_int_equal(a.dtype, GB_ST_U64);
        assert_int_equal(a.count, 5);
        assert_memory_equal(a.data, h, sizeof h);
        assert_int_equal(gb_model_aux_get(m, "copy.exact_tune", &a), 0);
        assert_int_equal(a.dtype, GB_ST_U32);
        assert_memory_equal(a.data, t, sizeof t);
        assert_int_equal(gb_model_aux_get(m, "copy.nothing", &a), GB_EINVAL);
        assert_null(gb_model_aux(m, "copy.exact", NULL, NULL)); /* not F32: not as floats */
        assert_same_params(nn, gb_model_nn(m));
        gb_model_free(m);
    }
    const gb_st_tensor_t bad = {.name = "", .dtype = GB_ST_U8, .ndim = 1, .shape = {1},
                                .data = h};
    assert_true(gb_model_save_aux_any(path, nn, CARD, &bad, 1, &err) < 0);
    assert_non_null(strstr(err.msg, "auxiliary tensor 0"));
    gb_nn_free(nn);
}

static void test_nn_from_arch(void **state)
{
    (void)state;
    gb_error_t err = {0};
    gb_nn_t *nn = gb_model_nn_from_arch(
        "{\"input\":16,\"max_batch\":8,\"layers\":[{\"type\":\"dense\",\"units\":128,"
        "\"activation\":\"relu\"},{\"type\":\"gru\",\"units\":64},{\"type\":\"conv1d\","
        "\"channels\":16,\"kernel\":3,\"dilation\":1,\"activation\":\"tanh\"},"
        "{\"type\":\"activation\",\"activation\":\"leaky_relu\",\"alpha\":0.01}]}",
        0, "issue-example", &err);
    if (!nn)
        fail_msg("%s", err.msg);
    assert_int_equal(gb_nn_in_dim(nn), 16);
    assert_int_equal(gb_nn_max_batch(nn), 8);
    assert_int_equal(gb_nn_out_dim(nn), 16);
    assert_int_equal(gb_nn_n_layers(nn), 4);
    gb_layer_info_t li;
    assert_int_equal(gb_nn_layer_info(nn, 3, &li), 0);
    assert_int_equal(li.act.kind, GB_ACT_LEAKY_RELU);
    assert_true(li.act.alpha == 0.01f);
    /* Shortest decimals for alpha in the written architecture. */
    json_t *arch = gb_model_arch_from_nn(nn);
    char *s = json_dumps(arch, JSON_COMPACT | JSON_REAL_PRECISION(9));
    assert_non_null(strstr(s, "\"alpha\":0.01}"));
    free(s);
    json_decref(arch);
    gb_nn_free(nn);
}

/* The writer's bytes: 8-aligned data, metadata strings, tensors in order. */
static void test_safetensors_layout(void **state)
{
    (void)state;
    const char *path = tmp_path("layout.safetensors");
    const float a[6] = {1, 2, 3, 4, 5, 6}, s = -2.5f;
    const gb_st_f32_t t[3] = {
        {"a", 2, {2, 3}, a},
        {"scalar", 0, {0}, &s},
        {"empty", 1, {0}, NULL},
    };
    const gb_st_meta_t meta[2] = {{"k", "v"}, {"\xc3\xa9t\xc3\xa9", "\xe2\x99\xaa"}};
    assert_int_equal(gb_st_save_f32(path, t, 3, meta, 2, NULL), 0);
    size_t len;
    unsigned char *buf = read_all(path, &len);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | buf[i];
    assert_int_equal(hlen % 8, 0);
    assert_int_equal(buf[8], '{');
    assert_int_equal(len, 8 + hlen + 7 * 4);
    assert_memory_equal(buf + 8 + hlen, a, sizeof a);
    free(buf);

    gb_error_t err = {0};
    gb_st_t *st = gb_st_open(path, &err);
    if (!st)
        fail_msg("%s", err.msg);
    assert_int_equal(gb_st_count(st), 3);
    assert_int_equal(gb_st_meta_count(st), 2);
    assert_string_equal(gb_st_meta_get(st, "\xc3\xa9t\xc3\xa9"), "\xe2\x99\xaa");
    gb_st_info_t info;
    long i = gb_st_find(st, "a");
    assert_int_equal(i, 0);
    assert_int_equal(gb_st_info(st, (size_t)i, &info), 0);
    assert_int_equal(info.dtype, GB_ST_F32);
    assert_int_equal(info.ndim, 2);
    assert_int_equal(info.shape[1], 3);
    float back[6];
    assert_int_equal(gb_st_read_f32(st, (size_t)i, back, 6, NULL), 0);
    assert_memory_equal(back, a, sizeof a);
    i = gb_st_find(st, "scalar");
    assert_true(i >= 0);
    assert_int_equal(gb_st_info(st, (size_t)i, &info), 0);
    assert_int_equal(info.ndim, 0);
    assert_int_equal(info.count, 1);
    float sb;
    assert_int_equal(gb_st_read_f32(st, (size_t)i, &sb, 1, NULL), 0);
    assert_true(sb == s);
    assert_true(gb_st_find(st, "empty") >= 0);
    assert_int_equal(gb_st_find(st, "nope"), -1);
    gb_st_free(st);
}

static void test_writer_rejects_bad_input(void **state)
{
    (void)state;
    gb_error_t err = {0};
    const float a[2] = {1, 2};
    const gb_st_f32_t dup[2] = {{"x", 1, {2}, a}, {"x", 1, {2}, a}};
    assert_int_equal(gb_st_save_f32(tmp_path("dup.safetensors"), dup, 2, NULL, 0, &err),
                     GB_EINVAL);
    assert_non_null(strstr(err.msg, "'x' is used twice"));
    const gb_st_f32_t reserved[1] = {{"__metadata__", 1, {2}, a}};
    assert_int_equal(gb_st_save_f32(tmp_path("r.safetensors"), reserved, 1, NULL, 0, &err),
                     GB_EINVAL);
    const gb_st_meta_t badutf[1] = {{"k", "\xff"}};
    assert_int_equal(gb_st_save_f32(tmp_path("u.safetensors"), dup, 1, badutf, 1, &err),
                     GB_EINVAL);
    assert_non_null(strstr(err.msg, "UTF-8"));
    assert_int_equal(gb_st_save_f32("/nonexistent-dir/x.safetensors", dup, 1, NULL, 0, &err),
                     GB_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.safetensors"));

    /* A model with a NaN weight is refused, and no file (or temp file) is left behind. */
    gb_nn_t *nn = small_model();
    float w[4] = {0, NAN, 0, 0};
    assert_int_equal(gb_nn_set_param(nn, 0, "bias", w, 4, NULL), 0);
    const char *path = tmp_path("nan-save.safetensors");
    assert_int_equal(gb_model_save(path, nn, CARD, &err), GB_ERANGE);
    assert_non_null(strstr(err.msg, "bias element 1 is NaN"));
    struct stat sb;
    assert_int_not_equal(stat(path, &sb), 0);
    gb_nn_free(nn);

    /* A card without its required keys is refused. */
    nn = small_model();
    assert_int_equal(gb_model_save(path, nn, "{\"kind\":\"x\"}", &err), GB_EFORMAT);
    assert_non_null(strstr(err.msg, "gbac.card"));
    assert_non_null(strstr(err.msg, "'data'"));
    assert_int_equal(gb_model_save(path, nn, "{\"kind\":", &err), GB_EFORMAT);
    assert_non_null(strstr(err.msg, "not valid JSON"));
    gb_nn_free(nn);
}

static void test_save_replaces_atomically(void **state)
{
    (void)state;
    const char *path = tmp_path("atomic.safetensors");
    gb_nn_t *a = small_model();
    gb_nn_t *b = big_model(1, 3);
    assert_int_equal(gb_model_save(path, a, CARD, NULL), 0);
    assert_int_equal(gb_model_save(path, b, CARD, NULL), 0);
    gb_model_t *m = gb_model_load(path, 0, NULL);
    assert_non_null(m);
    assert_same_params(b, gb_model_nn(m));
    gb_model_free(m);
    /* No temporary files are left in the directory. */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q '\\.tmp\\.'", tmpdir);
    assert_int_not_equal(system(cmd), 0);
    gb_nn_free(a);
    gb_nn_free(b);
}

/* F32 auxiliary tensors: written by gb_model_save_aux, handed out by name with their shape;
 * non-finite values and names without "aux." are refused; gb_model_aux() does not hand out
 * another dtype as floats. */
static void test_aux_tensors(void **state)
{
    (void)state;
    const char *path = tmp_path("aux.safetensors");
    gb_nn_t *nn = small_model();
    float mean[3] = {0.5f, -1.0f, 2.0f}, basis[6] = {1, 2, 3, 4, 5, 6};
    gb_st_f32_t aux[2] = {{"aux.latent.mean", 1, {3}, mean},
                          {"aux.latent.basis", 2, {2, 3}, basis}};
    gb_error_t err = {0};
    assert_int_equal(gb_model_save_aux(path, nn, CARD, aux, 2, &err), 0);
    gb_model_t *m = gb_model_load(path, 0, &err);
    if (!m)
        fail_msg("%s", err.msg);
    int nd = 0;
    int64_t sh[8] = {0};
    const float *b = gb_model_aux(m, "latent.basis", &nd, sh);
    assert_non_null(b);
    assert_int_equal(nd, 2);
    assert_int_equal(sh[0], 2);
    assert_int_equal(sh[1], 3);
    assert_memory_equal(b, basis, sizeof basis);
    assert_memory_equal(gb_model_aux(m, "latent.mean", NULL, NULL), mean, sizeof mean);
    assert_null(gb_model_aux(m, "latent.other", NULL, NULL));
    gb_model_free(m);
    /* a non-finite value is refused, naming the tensor */
    mean[1] = NAN;
    assert_int_equal(gb_model_save_aux(path, nn, CARD, aux, 2, &err), 0);
    assert_null(gb_model_load(path, 0, &err));
    assert_int_equal(err.code, GB_ERANGE);
    assert_non_null(strstr(err.msg, "aux.latent.mean"));
    /* names must be aux.<name> */
    gb_st_f32_t bad = {"latent.mean", 1, {3}, basis};
    assert_int_equal(gb_model_save_aux(path, nn, CARD, &bad, 1, &err), GB_EINVAL);
    gb_nn_free(nn);
}

static void test_missing_file(void **state)
{
    (void)state;
    gb_error_t err = {0};
    const char *path = tmp_path("does-not-exist.safetensors");
    assert_null(gb_model_load(path, 0, &err));
    assert_int_equal(err.code, GB_EIO);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "cannot open"));
    assert_null(gb_model_load(tmpdir, 0, &err));
    assert_int_equal(err.code, GB_EIO);
    assert_non_null(strstr(err.msg, "not a regular file"));
}

/* ---- bad files: a good file described as data, mutated per case ----------------------- */

typedef struct rt {
    char name[64];
    const char *dtype;
    int ndim;
    long long shape[4];
    unsigned char bytes[512];
    size_t nbytes;
    long long shift; /* added to both data_offsets in the header only */
    size_t gap;      /* zero bytes inserted before this tensor's data */
} rt_t;

typedef struct rf {
    rt_t t[80];
    int n;
    json_t *meta;          /* "__metadata__" (NULL: none) */
    const char *raw;       /* if set: the whole header text instead */
    long long hlen;        /* if >= 0: header length field instead of the real one */
    size_t trailing;       /* zero bytes after the data */
    size_t truncate;       /* bytes cut from the end */
    size_t keep;           /* if > 0: keep only this many bytes of the file */
} rf_t;

static void rf_good(rf_t *rf)
{
    memset(rf, 0, sizeof *rf);
    rf->hlen = -1;
    gb_nn_t *nn = small_model();
    for (int i = 0; i < gb_nn_n_layers(nn); i++) {
        gb_param_info_t pi;
        for (int p = 0; gb_nn_param_info(nn, i, p, &pi) == GB_OK; p++) {
            rt_t *t = &rf->t[rf->n++];
            snprintf(t->name, sizeof t->name, "layers.%d.%s", i, pi.name);
            t->dtype = "F32";
            t->ndim = pi.ndim;
            for (int d = 0; d < pi.ndim; d++)
                t->shape[d] = pi.shape[d];
            t->nbytes = pi.count * sizeof(float);
            assert_true(t->nbytes <= sizeof t->bytes);
            assert_int_equal(gb_nn_get_param(nn, i, pi.name, (float *)(void *)t->bytes, pi.count,
                                             NULL), 0);
        }
    }
    json_t *arch = gb_model_arch_from_nn(nn);
    char *as = json_dumps(arch, JSON_COMPACT | JSON_REAL_PRECISION(9));
    rf->meta = json_pack("{s:s, s:s, s:s}", "format", GB_MODEL_FORMAT, "gbac.arch", as,
                         "gbac.card", CARD);
    free(as);
    json_decref(arch);
    gb_nn_free(nn);
}

static unsigned char *rf_bytes(const rf_t *rf, size_t *len)
{
    json_t *hdr = json_object();
    if (rf->meta)
        json_object_set(hdr, "__metadata__", rf->meta);
    size_t pos = 0;
    for (int i = 0; i < rf->n; i++) {
        const rt_t *t = &rf->t[i];
        json_t *shape = json_array();
        for (int d = 0; d < t->ndim; d++)
            json_array_append_new(shape, json_integer(t->shape[d]));
        pos += t->gap;
        json_object_set_new(hdr, t->name,
                            json_pack("{s:s, s:o, s:[I, I]}", "dtype", t->dtype, "shape", shape,
                                      "data_offsets", (json_int_t)pos + t->shift,
                                      (json_int_t)(pos + t->nbytes) + t->shift));
        pos += t->nbytes;
    }
    char *text = rf->raw ? strdup(rf->raw) : json_dumps(hdr, JSON_COMPACT);
    json_decref(hdr);
    size_t hl = strlen(text), padded = rf->raw ? hl : (hl + 7) / 8 * 8;
    size_t total = 8 + padded + pos + rf->trailing;
    unsigned char *buf = calloc(1, total);
    assert_non_null(buf);
    uint64_t field = rf->hlen >= 0 ? (uint64_t)rf->hlen : padded;
    for (int b = 0; b < 8; b++)
        buf[b] = (unsigned char)(field >> (8 * b));
    memcpy(buf + 8, text, hl);
    memset(buf + 8 + hl, ' ', padded - hl);
    free(text);
    size_t at = 8 + padded;
    for (int i = 0; i < rf->n; i++) {
        at += rf->t[i].gap;
        memcpy(buf + at, rf->t[i].bytes, rf->t[i].nbytes);
        at += rf->t[i].nbytes;
    }
    total -= rf->truncate < total ? rf->truncate : total;
    if (rf->keep && rf->keep < total)
        total = rf->keep;
    *len = total;
    return buf;
}

static rt_t *rf_find(rf_t *rf, const char *name)
{
    for (int i = 0; i < rf->n; i++)
        if (strcmp(rf->t[i].name, name) == 0)
            return &rf->t[i];
    fail_msg("no tensor %s", name);
    return NULL;
}

static void rf_remove(rf_t *rf, const char *name)
{
    rt_t *t = rf_find(rf, name);
    int i = (int)(t - rf->t);
    memmove(&rf->t[i], &rf->t[i + 1], sizeof *t * (size_t)(rf->n - i - 1));
    rf->n--;
}

static void rf_meta(rf_t *rf, const char *key, const char *value)
{
    if (value)
        json_object_set_new(rf->meta, key, json_string(value));
    else
        json_object_del(rf->meta, key);
}

static void set_f32(rt_t *t, size_t k, float v) { memcpy(t->bytes + 4 * k, &v, 4); }

/* Turn a tensor into another dtype of the same shape (zero bytes). */
static void retype(rt_t *t, const char *dtype, size_t esize)
{
    t->dtype = dtype;
    t->nbytes = t->nbytes / 4 * esize;
    memset(t->bytes, 0, sizeof t->bytes);
}

#define ARCH_OK_LAYERS                                                                           \
    "{\"type\":\"dense\",\"units\":4,\"activation\":\"relu\"},{\"type\":\"gru\",\"units\":2},"   \
    "{\"type\":\"conv1d\",\"channels\":2,\"kernel\":2,\"dilation\":2,\"activation\":\"tanh\"},"  \
    "{\"type\":\"activation\",\"activation\":\"leaky_relu\",\"alpha\":0.1}"

static void m_truncated_tiny(rf_t *rf) { rf->keep = 5; }
static void m_truncated_data(rf_t *rf) { rf->truncate = 4; }
static void m_truncated_header(rf_t *rf) { rf->keep = 40; }
static void m_hlen_zero(rf_t *rf) { rf->hlen = 0; }
static void m_hlen_too_big(rf_t *rf) { rf->hlen = 100000; }
static void m_hlen_over_cap(rf_t *rf) { rf->hlen = 200000000; }
static void m_bad_json(rf_t *rf) { rf->raw = "{\"__metadata__\": {\"format\": \"gbac-nn/1\",\n \"x\" 1}}"; }
static void m_duplicate_key(rf_t *rf)
{
    rf->raw = "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
              "\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}";
    rf->n = 0;
}
static void m_not_object(rf_t *rf)
{
    rf->raw = "[1, 2, 3]";
    rf->n = 0;
}
static void m_dtype_f16(rf_t *rf) { retype(rf_find(rf, "layers.1.weight_hh"), "F16", 2); }
/* BF16 is a supported weight type, but a layer's weight matrices must share it. */
static void m_dtype_bf16_mixed(rf_t *rf) { retype(rf_find(rf, "layers.1.weight_ih"), "BF16", 2); }
static void m_dtype_f64(rf_t *rf) { retype(rf_find(rf, "layers.2.weight"), "F64", 8); }
static void m_dtype_unknown(rf_t *rf) { rf_find(rf, "layers.0.bias")->dtype = "Q4_K"; }
static void m_missing_tensor(rf_t *rf) { rf_remove(rf, "layers.1.weight_hh"); }
static void m_extra_tensor(rf_t *rf)
{
    rt_t *t = &rf->t[rf->n++];
    *t = rf->t[0];
    snprintf(t->name, sizeof t->name, "layers.9.weight");
}
static void m_pytorch_names(rf_t *rf)
{
    for (int i = 0; i < rf->n; i++) {
        char n[64];
        snprintf(n, sizeof n, "net.%s", rf->t[i].name + strlen("layers."));
        snprintf(rf->t[i].name, sizeof rf->t[i].name, "%s", n);
    }
}
static void m_wrong_shape(rf_t *rf)
{
    rt_t *t = rf_find(rf, "layers.0.weight");
    t->shape[0] = 3;
    t->shape[1] = 4;
}
static void m_wrong_rank(rf_t *rf)
{
    rt_t *t = rf_find(rf, "layers.2.weight");
    t->ndim = 2;
    t->shape[1] = 4;
}
static void m_offsets_overlap(rf_t *rf) { rf_find(rf, "layers.0.bias")->shift = -8; }
static void m_offsets_gap(rf_t *rf) { rf_find(rf, "layers.1.weight_ih")->gap = 4; }
static void m_offsets_out_of_range(rf_t *rf) { rf_find(rf, "layers.2.bias")->shift = 1000; }
static void m_offsets_size(rf_t *rf) { rf_find(rf, "layers.0.bias")->shape[0] = 5; }
static void m_trailing_bytes(rf_t *rf) { rf->trailing = 12; }
static void m_nan(rf_t *rf) { set_f32(rf_find(rf, "layers.1.bias_hh"), 3, NAN); }
static void m_inf(rf_t *rf) { set_f32(rf_find(rf, "layers.1.weight_ih"), 9, -INFINITY); }
static void m_no_metadata(rf_t *rf)
{
    json_decref(rf->meta);
    rf->meta = NULL;
}
static void m_meta_not_string(rf_t *rf) { json_object_set_new(rf->meta, "format", json_integer(1)); }
static void m_format_other(rf_t *rf) { rf_meta(rf, "format", "gbac-nn/2"); }
static void m_no_arch(rf_t *rf) { rf_meta(rf, "gbac.arch", NULL); }
static void m_no_card(rf_t *rf) { rf_meta(rf, "gbac.card", NULL); }
static void m_arch_bad_json(rf_t *rf) { rf_meta(rf, "gbac.arch", "{\"input\":3,\n\"layers\":[}"); }
static void m_arch_not_object(rf_t *rf) { rf_meta(rf, "gbac.arch", "\"dense\""); }
static void m_arch_no_input(rf_t *rf) { rf_meta(rf, "gbac.arch", "{\"layers\":[" ARCH_OK_LAYERS "]}"); }
static void m_arch_no_layers(rf_t *rf) { rf_meta(rf, "gbac.arch", "{\"input\":3}"); }
static void m_arch_empty_layers(rf_t *rf) { rf_meta(rf, "gbac.arch", "{\"input\":3,\"layers\":[]}"); }
static void m_arch_input_zero(rf_t *rf)
{
    rf_meta(rf, "gbac.arch", "{\"input\":0,\"layers\":[" ARCH_OK_LAYERS "]}");
}
static void m_arch_units_huge(rf_t *rf)
{
    rf_meta(rf, "gbac.arch", "{\"input\":3,\"layers\":[{\"type\":\"dense\",\"units\":5000}]}");
}
static void m_arch_units_negative(rf_t *rf)
{
    rf_meta(rf, "gbac.arch",
            "{\"input\":3,\"layers\":[{\"type\":\"dense\",\"units\":4},{\"type\":\"gru\","
            "\"units\":-2}]}");
}
static void m_arch_units_string(rf_t *rf)
{
    rf_meta(rf, "gbac.arch", "{\"input\":3,\"layers\":[{\"type\":\"dense\",\"units\":\"4\"}]}");
}
static void m_arch_units_real(rf_t *rf)
{
    rf_meta(rf, "gbac.arch", "{\"input\":3,\"layers\":[{\"type\":\"dense\",\"units\":4.0}]}");
}
static void m_arch_too_many_layers(rf_t *rf)
{
    static char buf[8192];
    int n = snprintf(buf, sizeof buf, "{\"input\":3,\"layers\":[");
    for (int i = 0; i < GB_NN_MAX_LAYERS + 1; i++)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "%s{\"type\":\"activation\","
                      "\"activation\":\"relu\"}", i ? "," : "");
    snprintf(buf + n, sizeof buf - (size_t)n, "]}");
    rf_meta(rf, "gbac.arch", buf);
}
static void m_arch_unknown_type(rf_t *rf)
{
    rf_meta(rf, "gbac.arch", "{\"input\":3,\"layers\":[{\"type\":\"lstm\",\"units\":4}]}");
}
static void m_arch_unknown_act(rf_t *rf)
{
    rf_meta(rf, "gbac.arch",
            "{\"input\":3,\"layers\":[{\"type\":\"dense\",\"units\":4,\"activation\":\"swish\"}]}");
}
static void m_arch_alpha_on_relu(rf_t *rf)
{
    rf_meta(rf, "gbac.arch",
            "{\"input\":3,\"layers\":[{\"type\":\"dense\",\"units\":4,\"activation\":\"relu\","
            "\"alpha\":0.1}]}");
}
static void m_arch_unknown_key(rf_t *rf)
{
    rf_meta(rf, "gbac.arch",
            "{\"input\":3,\"layers\":[{\"type\":\"dense\",\"units\":4,\"activaton\":\"relu\"}]}");
}
static void m_arch_no_type(rf_t *rf)
{
    rf_meta(rf, "gbac.arch", "{\"input\":3,\"layers\":[{\"units\":4}]}");
}
static void m_arch_field(rf_t *rf)
{
    rf_meta(rf, "gbac.arch",
            "{\"input\":3,\"layers\":[{\"type\":\"conv1d\",\"channels\":2,\"kernel\":3,"
            "\"dilation\":3000}]}");
}
static void m_arch_memory(rf_t *rf)
{
    /* Tiny weights, enormous streaming state: 256 slots x 4000 frames x 4096 channels. */
    rf_meta(rf, "gbac.arch",
            "{\"input\":4096,\"max_batch\":256,\"layers\":[{\"type\":\"conv1d\",\"channels\":1,"
            "\"kernel\":2,\"dilation\":4000}]}");
}
static void m_arch_batch(rf_t *rf)
{
    rf_meta(rf, "gbac.arch", "{\"input\":3,\"max_batch\":0,\"layers\":[" ARCH_OK_LAYERS "]}");
}
static void m_arch_dup_key(rf_t *rf)
{
    rf_meta(rf, "gbac.arch", "{\"input\":3,\"input\":4,\"layers\":[" ARCH_OK_LAYERS "]}");
}
static void m_arch_mismatch(rf_t *rf)
{
    /* Valid architecture, but not the one of the tensors: the dense layer is wider. */
    rf_meta(rf, "gbac.arch",
            "{\"input\":3,\"layers\":[{\"type\":\"dense\",\"units\":5,\"activation\":\"relu\"},"
            "{\"type\":\"gru\",\"units\":2},{\"type\":\"conv1d\",\"channels\":2,\"kernel\":2,"
            "\"dilation\":2,\"activation\":\"tanh\"}]}");
}
static void m_card_bad_json(rf_t *rf) { rf_meta(rf, "gbac.card", "{\"kind\": \"x\",}"); }
static void m_card_no_kind(rf_t *rf)
{
    rf_meta(rf, "gbac.card",
            "{\"data\":{\"source\":\"s\",\"licence\":\"l\"},\"seed\":1,\"metrics\":{}}");
}
static void m_card_no_licence(rf_t *rf)
{
    rf_meta(rf, "gbac.card",
            "{\"kind\":\"k\",\"data\":{\"source\":\"s\",\"license\":\"l\"},\"seed\":1,"
            "\"metrics\":{}}");
}
static void m_card_seed_string(rf_t *rf)
{
    rf_meta(rf, "gbac.card",
            "{\"kind\":\"k\",\"data\":{\"source\":\"s\",\"licence\":\"l\"},\"seed\":\"1\","
            "\"metrics\":{}}");
}
static void m_entry_unknown_key(rf_t *rf)
{
    rf->raw = "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0],\"x\":1}}";
    rf->n = 0;
}
static void m_entry_negative_dim(rf_t *rf)
{
    rf->raw = "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}";
    rf->n = 0;
}
static void m_entry_huge_shape(rf_t *rf)
{
    rf->raw = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],"
              "\"data_offsets\":[0,0]}}";
    rf->n = 0;
}
static void m_offsets_reversed(rf_t *rf)
{
    rf->raw = "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}";
    rf->n = 0;
}
static void m_header_padding_first(rf_t *rf)
{
    rf->raw = " {}";
    rf->n = 0;
}

typedef struct bad_case {
    const char *name; /* test name and sample file name */
    void (*make)(rf_t *rf);
    int code;
    const char *expect[4]; /* substrings of the message after "FILE: " */
    int sample;            /* also a CLI sample and fuzz seed */
} bad_case_t;

static const bad_case_t bad_cases[] = {
    {"truncated_tiny", m_truncated_tiny, GB_EFORMAT, {"truncated", "5 bytes"}, 1},
    {"truncated_data", m_truncated_data, GB_EFORMAT, {"'layers.2.bias'", "out of range", "truncated"}, 1},
    {"truncated_header", m_truncated_header, GB_EFORMAT, {"header length", "larger than the rest of the file"}, 0},
    {"header_len_zero", m_hlen_zero, GB_EFORMAT, {"header length is 0"}, 1},
    {"header_len_too_big", m_hlen_too_big, GB_EFORMAT, {"header length 100000", "larger than the rest"}, 0},
    {"header_len_over_cap", m_hlen_over_cap, GB_ERANGE, {"header length 200000000", "limit"}, 0},
    {"bad_json", m_bad_json, GB_EFORMAT, {"header is not valid JSON", "line 2", "column"}, 1},
    {"duplicate_key", m_duplicate_key, GB_EFORMAT, {"not valid JSON", "duplicate object key"}, 0},
    {"header_not_object", m_not_object, GB_EFORMAT, {"header is an array, not a JSON object"}, 0},
    {"header_leading_space", m_header_padding_first, GB_EFORMAT, {"must start with '{'"}, 0},
    {"dtype_f16", m_dtype_f16, GB_EUNSUPPORTED, {"'layers.1.weight_hh'", "dtype F16", "only F32 and BF16"}, 1},
    {"dtype_bf16_mixed", m_dtype_bf16_mixed, GB_EFORMAT, {"'layers.1.weight_hh' is F32", "other weight matrix is BF16", "share one dtype"}, 0},
    {"dtype_f64", m_dtype_f64, GB_EUNSUPPORTED, {"'layers.2.weight'", "dtype F64", "only F32 and BF16"}, 0},
    {"dtype_unknown", m_dtype_unknown, GB_EFORMAT, {"'layers.0.bias'", "unknown dtype 'Q4_K'"}, 0},
    {"missing_tensor", m_missing_tensor, GB_EFORMAT, {"missing tensor 'layers.1.weight_hh'", "gru layer 1", "[6, 2]"}, 1},
    {"extra_tensor", m_extra_tensor, GB_EFORMAT, {"unexpected tensor 'layers.9.weight'"}, 1},
    {"foreign_names", m_pytorch_names, GB_EFORMAT, {"missing tensor 'layers.0.weight'", "e.g. 'net.0.weight'"}, 0},
    {"wrong_shape", m_wrong_shape, GB_EFORMAT, {"'layers.0.weight'", "shape [3, 4]", "needs [4, 3]"}, 1},
    {"wrong_rank", m_wrong_rank, GB_EFORMAT, {"'layers.2.weight'", "shape [2, 4]", "conv1d layer 2", "needs [2, 2, 2]"}, 0},
    {"offsets_overlap", m_offsets_overlap, GB_EFORMAT, {"'layers.0.weight'", "'layers.0.bias'", "overlap"}, 1},
    {"offsets_gap", m_offsets_gap, GB_EFORMAT, {"not contiguous", "[64, 68)", "'layers.1.weight_ih'"}, 1},
    {"offsets_out_of_range", m_offsets_out_of_range, GB_EFORMAT, {"'layers.2.bias'", "out of range"}, 0},
    {"offsets_size_mismatch", m_offsets_size, GB_EFORMAT, {"'layers.0.bias'", "hold 16 bytes", "5 elements needs 20"}, 0},
    {"offsets_reversed", m_offsets_reversed, GB_EFORMAT, {"'w'", "[4, 0]", "end before they begin"}, 0},
    {"trailing_bytes", m_trailing_bytes, GB_EFORMAT, {"12 trailing bytes"}, 0},
    {"nan_weight", m_nan, GB_ERANGE, {"'layers.1.bias_hh'", "element 3", "NaN"}, 1},
    {"inf_weight", m_inf, GB_ERANGE, {"'layers.1.weight_ih'", "element 9 (index [2, 1])", "-Inf"}, 0},
    {"entry_unknown_key", m_entry_unknown_key, GB_EFORMAT, {"tensor 'w'", "unknown key 'x'"}, 0},
    {"entry_negative_dim", m_entry_negative_dim, GB_EFORMAT, {"tensor 'w'", "shape[0]", "non-negative"}, 0},
    {"entry_huge_shape", m_entry_huge_shape, GB_EFORMAT, {"tensor 'w'", "absurdly large"}, 0},
    {"no_metadata", m_no_metadata, GB_EFORMAT, {"not a gbac model file", "\"format\""}, 0},
    {"metadata_not_string", m_meta_not_string, GB_EFORMAT, {"__metadata__ 'format'", "must be strings"}, 0},
    {"format_unsupported", m_format_other, GB_EUNSUPPORTED, {"\"gbac-nn/2\" is not supported"}, 0},
    {"no_arch", m_no_arch, GB_EFORMAT, {"no \"gbac.arch\""}, 0},
    {"no_card", m_no_card, GB_EFORMAT, {"no \"gbac.card\""}, 0},
    {"arch_bad_json", m_arch_bad_json, GB_EFORMAT, {"gbac.arch: not valid JSON", "line 2", "column"}, 1},
    {"arch_not_object", m_arch_not_object, GB_EFORMAT, {"gbac.arch", "expected a JSON object"}, 0},
    {"arch_no_input", m_arch_no_input, GB_EFORMAT, {"gbac.arch", "missing key 'input'"}, 0},
    {"arch_no_layers", m_arch_no_layers, GB_EFORMAT, {"gbac.arch", "missing key 'layers'"}, 0},
    {"arch_empty_layers", m_arch_empty_layers, GB_EFORMAT, {"gbac.arch", "layers: empty"}, 0},
    {"arch_input_zero", m_arch_input_zero, GB_ERANGE, {"gbac.arch", "input: 0 is outside 1..4096"}, 0},
    {"arch_units_huge", m_arch_units_huge, GB_ERANGE, {"gbac.arch: layers[0]", "units: 5000 is outside 1..4096"}, 1},
    {"arch_units_negative", m_arch_units_negative, GB_ERANGE, {"gbac.arch: layers[1]", "units: -2"}, 0},
    {"arch_units_string", m_arch_units_string, GB_EFORMAT, {"gbac.arch: layers[0]", "units: expected an integer, got a string"}, 0},
    {"arch_units_real", m_arch_units_real, GB_EFORMAT, {"gbac.arch: layers[0]", "units: expected an integer, got a real"}, 0},
    {"arch_too_many_layers", m_arch_too_many_layers, GB_ERANGE, {"gbac.arch", "65 layers (at most 64)"}, 0},
    {"arch_unknown_type", m_arch_unknown_type, GB_EFORMAT, {"gbac.arch: layers[0]", "unknown layer type 'lstm'"}, 1},
    {"arch_unknown_activation", m_arch_unknown_act, GB_EFORMAT, {"gbac.arch: layers[0]", "unknown activation 'swish'"}, 0},
    {"arch_alpha_on_relu", m_arch_alpha_on_relu, GB_EFORMAT, {"gbac.arch: layers[0]", "alpha", "not relu"}, 0},
    {"arch_unknown_key", m_arch_unknown_key, GB_EFORMAT, {"gbac.arch: layers[0]", "unknown key 'activaton'"}, 0},
    {"arch_no_type", m_arch_no_type, GB_EFORMAT, {"gbac.arch: layers[0]", "missing key 'type'"}, 0},
    {"arch_receptive_field", m_arch_field, GB_ERANGE, {"gbac.arch: layers[0]", "receptive field"}, 0},
    {"arch_memory", m_arch_memory, GB_ERANGE, {"gbac.arch", "MB of memory", "max_batch 256"}, 1},
    {"arch_batch_zero", m_arch_batch, GB_ERANGE, {"gbac.arch", "max_batch: 0 is outside 1..256"}, 0},
    {"arch_duplicate_key", m_arch_dup_key, GB_EFORMAT, {"gbac.arch: not valid JSON", "duplicate"}, 0},
    {"arch_mismatch", m_arch_mismatch, GB_EFORMAT, {"'layers.0.weight'", "shape [4, 3]", "needs [5, 3]"}, 0},
    {"card_bad_json", m_card_bad_json, GB_EFORMAT, {"gbac.card: not valid JSON", "line 1"}, 0},
    {"card_no_kind", m_card_no_kind, GB_EFORMAT, {"gbac.card", "missing key 'kind'"}, 0},
    {"card_no_licence", m_card_no_licence, GB_EFORMAT, {"gbac.card", "missing key 'data.licence'"}, 1},
    {"card_seed_string", m_card_seed_string, GB_EFORMAT, {"gbac.card", "seed: expected an integer"}, 0},
};
#define N_BAD (sizeof bad_cases / sizeof bad_cases[0])

static void check_error(const bad_case_t *c, const gb_error_t *err, const char *name)
{
    char prefix[600];
    snprintf(prefix, sizeof prefix, "%s: ", name);
    if (err->code != c->code || strncmp(err->msg, prefix, strlen(prefix)) != 0)
        fail_msg("%s: expected code %d and a message starting with '%s', got %d: %s", c->name,
                 c->code, prefix, err->code, err->msg);
    for (int k = 0; k < 4 && c->expect[k]; k++)
        if (!strstr(err->msg, c->expect[k]))
            fail_msg("%s: message lacks '%s': %s", c->name, c->expect[k], err->msg);
}

static void test_bad_file(void **state)
{
    const bad_case_t *c = *state;
    rf_t *rf = malloc(sizeof *rf);
    assert_non_null(rf);
    rf_good(rf);
    c->make(rf);
    size_t len;
    unsigned char *buf = rf_bytes(rf, &len);
    json_decref(rf->meta);
    free(rf);
    char fname[128];
    snprintf(fname, sizeof fname, "%s.safetensors", c->name);
    const char *path = tmp_path(fname);
    write_all(path, buf, len);

    gb_error_t err = {0};
    gb_model_t *m = gb_model_load(path, 0, &err);
    if (m)
        fail_msg("%s: loaded a bad file", c->name);
    check_error(c, &err, path);
    /* Same verdict from memory (what the fuzzer exercises). */
    gb_error_t merr = {0};
    assert_null(gb_model_load_mem(buf, len, "mem-image", 0, &merr));
    check_error(c, &merr, "mem-image");
    free(buf);
    unlink(path);
}

static void test_good_file_loads(void **state)
{
    (void)state;
    rf_t *rf = malloc(sizeof *rf);
    assert_non_null(rf);
    rf_good(rf);
    size_t len;
    unsigned char *buf = rf_bytes(rf, &len);
    json_decref(rf->meta);
    free(rf);
    gb_error_t err = {0};
    gb_model_t *m = gb_model_load_mem(buf, len, "good", 0, &err);
    if (!m)
        fail_msg("%s", err.msg);
    gb_nn_t *ref = small_model();
    assert_same_params(ref, gb_model_nn(m));
    gb_nn_free(ref);
    gb_model_free(m);
    free(buf);
}

/* The committed fuzz corpus still means what its names say: good* files load, bad-* files
 * do not (regenerate it with --write-samples when the format changes). */
static void test_corpus_verdicts(void **state)
{
    (void)state;
    const char *src = getenv("GBAC_SOURCE_DIR");
    if (!src)
        skip();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/model", src);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int good = 0, bad = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *f = e->d_name;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, f);
        gb_error_t err = {0};
        gb_model_t *m = f[0] == '.' ? NULL : gb_model_load(path, 0, &err);
        if (strncmp(f, "good", 4) == 0) {
            if (!m)
                fail_msg("corpus file %s should load: %s", f, err.msg);
            good++;
        } else if (strncmp(f, "bad-", 4) == 0) {
            if (m)
                fail_msg("corpus file %s should not load", f);
            bad++;
        }
        gb_model_free(m);
    }
    closedir(d);
    assert_true(good >= 2);
    assert_true(bad >= 10);
}

/* ---- samples for the CLI test and the fuzz corpus -------------------------------------- */

static int write_samples(const char *dir)
{
    snprintf(tmpdir, sizeof tmpdir, "%s", dir);
    mkdir(dir, 0777);
    gb_error_t err = {0};
    gb_nn_t *nn = small_model();
    if (gb_model_save(tmp_path("good.safetensors"), nn, CARD, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    gb_nn_free(nn);
    if (gb_model_convert(tmp_path("good.safetensors"), tmp_path("good-bf16.safetensors"),
                         GB_NN_WTYPE_BF16, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    nn = tiny_every_layer_model();
    if (gb_model_save(tmp_path("good-every-layer.safetensors"), nn,
                      "{\"kind\":\"k\",\"data\":{\"source\":\"s\",\"licence\":\"l\"},"
                      "\"seed\":0,\"metrics\":{}}",
                      &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    gb_nn_free(nn);
    for (size_t i = 0; i < N_BAD; i++) {
        if (!bad_cases[i].sample)
            continue;
        rf_t *rf = malloc(sizeof *rf);
        rf_good(rf);
        bad_cases[i].make(rf);
        size_t len;
        unsigned char *buf = rf_bytes(rf, &len);
        json_decref(rf->meta);
        free(rf);
        char fname[128];
        snprintf(fname, sizeof fname, "bad-%s.safetensors", bad_cases[i].name);
        for (char *p = fname; *p; p++)
            *p = *p == '_' ? '-' : *p;
        write_all(tmp_path(fname), buf, len);
        free(buf);
    }
    return 0;
}

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gbac-modelfile-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-samples") == 0)
        return write_samples(argv[2]);

    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_roundtrip_every_layer_kind),
        cmocka_unit_test(test_roundtrip_batch_override),
        cmocka_unit_test(test_bf16_convert_round_trip),
        cmocka_unit_test(test_load_mem_and_take_nn),
        cmocka_unit_test(test_aux_tensors_any_dtype),
        cmocka_unit_test(test_nn_from_arch),
        cmocka_unit_test(test_safetensors_layout),
        cmocka_unit_test(test_writer_rejects_bad_input),
        cmocka_unit_test(test_save_replaces_atomically),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_aux_tensors),
        cmocka_unit_test(test_good_file_loads),
        cmocka_unit_test(test_corpus_verdicts),
    };
    const size_t nf = sizeof fixed / sizeof fixed[0];
    struct CMUnitTest *tests = calloc(nf + N_BAD, sizeof *tests);
    static char names[N_BAD][64];
    if (!tests)
        return 1;
    memcpy(tests, fixed, sizeof fixed);
    for (size_t i = 0; i < N_BAD; i++) {
        snprintf(names[i], sizeof names[i], "test_bad_%s", bad_cases[i].name);
        tests[nf + i].name = names[i];
        tests[nf + i].test_func = test_bad_file;
        tests[nf + i].initial_state = (void *)&bad_cases[i];
    }
    int rc = _cmocka_run_group_tests("modelfile", tests, nf + N_BAD, setup_dir, teardown_dir);
    free(tests);
    return rc;
}
