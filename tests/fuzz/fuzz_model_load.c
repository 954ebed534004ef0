/* fuzz_model_load.c — libFuzzer target: any byte string given to the model loader must give a
 * model or a clean error, never a crash, a leak or undefined behaviour.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Built with -fsanitize=fuzzer when GBAC_FUZZ=ON (clang), and in every build linked with
 * replay.c, which runs it over the committed corpus (tests/fuzz/corpus/model/). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gb_modelfile.h"
#include "gb_safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken error contract is a bug too: make it a crash the fuzzer reports. */
static void check_error(const gb_error_t *err, const char *name)
{
    size_t n = strlen(name);
    if (err->code >= 0 || strncmp(err->msg, name, n) != 0 || strncmp(err->msg + n, ": ", 2) != 0)
        abort();
}

/* The generic reader: every tensor it accepts must be readable within the input. */
static void read_tensors(const uint8_t *data, size_t size)
{
    gb_error_t err = {0};
    gb_st_t *st = gb_st_open_mem(data, size, "fuzz-st", &err);
    if (!st) {
        check_error(&err, "fuzz-st");
        return;
    }
    for (size_t i = 0; i < gb_st_count(st); i++) {
        gb_st_info_t info;
        if (gb_st_info(st, i, &info) || info.nbytes > size)
            abort();
        void *buf = malloc(info.nbytes ? (size_t)info.nbytes : 1);
        if (!buf)
            abort();
        if (gb_st_read(st, i, buf, (size_t)info.nbytes, NULL))
            abort();
        if (gb_st_find(st, info.name) != (long)i)
            abort();
        free(buf);
    }
    for (size_t i = 0; i < gb_st_meta_count(st); i++) {
        const char *k, *v;
        if (gb_st_meta_at(st, i, &k, &v) || !k || !v)
            abort();
    }
    gb_st_free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static float in[GB_NN_MAX_DIM], out[GB_NN_MAX_DIM];
    read_tensors(data, size);
    gb_error_t err = {0};
    gb_model_t *m = gb_model_load_mem(data, size, "fuzz", 0, &err);
    if (!m) {
        check_error(&err, "fuzz");
        return 0;
    }
    /* A model that loads must run. */
    gb_nn_t *nn = gb_model_nn(m);
    if (!gb_model_kind(m) || !gb_model_card(m) || !gb_model_arch(m) ||
        gb_nn_in_dim(nn) > GB_NN_MAX_DIM || gb_nn_out_dim(nn) > GB_NN_MAX_DIM)
        abort();
    gb_nn_forward(nn, in, out, 1);
    gb_model_free(m);
    return 0;
}
