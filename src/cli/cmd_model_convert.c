/* cmd_model_convert.c — `gbac model convert IN -o OUT --weights bf16|f32`: store a model's
 * weight matrices as bfloat16 (half the bytes a frame streams; see docs/model-format.md) or
 * back as float32.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stddef.h>
#include <stdio.h>

#include "gb_cli.h"
#include "gb_modelfile.h"

typedef struct convert_args {
    const char *out;
    int wtype;
} convert_args_t;

static const gb_opt_choice_t wtypes[] = {
    {"bf16", GB_NN_WTYPE_BF16},
    {"f32", GB_NN_WTYPE_F32},
    {NULL, 0},
};

static const gb_opt_t convert_opts[] = {
    {.name = "output", .short_name = 'o', .arg = "OUT", .kind = GB_OPT_STRING,
     .off = offsetof(convert_args_t, out), .flags = GB_OPT_REQUIRED | GB_OPT_NONEMPTY,
     .what = "a file name", .help = "the file to write (may be IN: replaced atomically)"},
    {.name = "weights", .arg = "TYPE", .kind = GB_OPT_CHOICE,
     .off = offsetof(convert_args_t, wtype), .choices = wtypes, .flags = GB_OPT_REQUIRED,
     .help = "bf16 (each weight rounded to the nearest bfloat16, relative error at most "
             "2^-8; biases stay F32) or f32 (BF16 widened exactly)"},
};

static int convert_run(void *p, const gb_cli_call_t *call)
{
    const convert_args_t *a = p;
    gb_error_t err = {0};
    if (gb_model_convert(call->pos[0], a->out, (gb_nn_wtype_t)a->wtype, &err)) {
        fprintf(stderr, "gbac: %s\n", err.msg);
        return GB_EXIT_FAIL;
    }
    return GB_EXIT_OK;
}

const gb_cmd_t gb_cli_model_convert = {
    .name = "convert",
    .summary = "store a model's weight matrices as BF16 or F32",
    .positional = "IN",
    .min_pos = 1,
    .max_pos = 1,
    .description = "Write the model file IN as OUT with every layer's weight matrices stored "
                   "as BF16 (half the bytes each frame streams from memory) or as F32. The "
                   "model card is kept, with \"weights\" set (docs/model-format.md).",
    .epilogue = "Exit status: 0 on success, 1 if IN cannot be read or OUT written (the reason "
                "is printed on stderr), 2 on a usage error.",
    GB_CLI_LEAF(convert_opts, convert_args_t, NULL, convert_run),
};
