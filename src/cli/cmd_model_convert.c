/* cmd_model_convert.c — `gbac model convert IN -o OUT --weights bf16|f32`: store a model's
 * weight matrices as bfloat16 (half the bytes a frame streams; see docs/model-format.md) or
 * back as float32.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <string.h>

#include "gb_cli.h"
#include "gb_modelfile.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: gbac model convert IN -o OUT --weights bf16|f32\n\n"
               "Write the model file IN as OUT with every layer's weight matrices stored as\n"
               "BF16 (each weight rounded to the nearest bfloat16, relative error at most\n"
               "2^-8; biases stay F32) or as F32 (BF16 widened exactly). OUT may be IN: the\n"
               "file is replaced atomically. The model card is kept, with \"weights\" set.\n\n"
               "  -o, --output OUT    the file to write\n"
               "  --weights TYPE      bf16 or f32\n"
               "  -h, --help          show this help\n\n"
               "Exit status: 0 on success, 1 if IN cannot be read or OUT written (the reason\n"
               "is printed on stderr), 2 on a usage error.\n");
}

int gb_cmd_model_convert(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *wt = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return GB_EXIT_OK;
        }
        const int takes = strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
                          strcmp(a, "--weights") == 0;
        if (takes && i + 1 >= argc) {
            fprintf(stderr, "gbac model convert: %s needs a value (see --help)\n", a);
            return GB_EXIT_USAGE;
        }
        if (takes && a[1] != '-')
            out = argv[++i];
        else if (takes && strcmp(a, "--output") == 0)
            out = argv[++i];
        else if (takes)
            wt = argv[++i];
        else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "gbac model convert: unknown option '%s' (see --help)\n", a);
            return GB_EXIT_USAGE;
        } else if (in) {
            fprintf(stderr, "gbac model convert: one IN only (got '%s' and '%s')\n", in, a);
            return GB_EXIT_USAGE;
        } else {
            in = a;
        }
    }
    gb_nn_wtype_t t;
    if (!in || !out || !wt) {
        fprintf(stderr, "gbac model convert: missing %s (see --help)\n",
                !in ? "IN" : !out ? "-o OUT" : "--weights bf16|f32");
        return GB_EXIT_USAGE;
    }
    if (gb_nn_wtype_parse(wt, &t)) {
        fprintf(stderr, "gbac model convert: --weights %s: expected bf16 or f32\n", wt);
        return GB_EXIT_USAGE;
    }
    gb_error_t err = {0};
    if (gb_model_convert(in, out, t, &err)) {
        fprintf(stderr, "gbac: %s\n", err.msg);
        return GB_EXIT_FAIL;
    }
    return GB_EXIT_OK;
}
