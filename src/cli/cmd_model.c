/* cmd_model.c — `gbac model info [--json] FILE`: the model card and layer table of a model
 * file; `gbac model convert` is in cmd_model_convert.c.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_cli.h"
#include "gb_modelfile.h"

/* Print s with control characters replaced, so a hostile file cannot drive the terminal. */
static void put_clean(const char *s)
{
    for (; *s; s++)
        putchar(((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s);
}

/* A JSON value inline: strings raw, anything else as compact JSON; values longer than a
 * screenful (reference frames for evaluation, say) are cut, with their size (--json has
 * them whole). */
#define VALUE_SHOWN 400
static void put_value(const json_t *v)
{
    if (json_is_string(v)) {
        put_clean(json_string_value(v));
        return;
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
    if (s && strlen(s) > VALUE_SHOWN) {
        size_t len = strlen(s);
        s[VALUE_SHOWN] = '\0';
        put_clean(s);
        printf("... (%zu bytes; see --json)", len);
    } else {
        put_clean(s ? s : "?");
    }
    free(s);
}

/* key=value, ... of an object. */
static void put_pairs(const json_t *obj)
{
    const char *k;
    json_t *v;
    int first = 1;
    json_object_foreach((json_t *)obj, k, v) {
        fputs(first ? "" : ", ", stdout);
        put_clean(k);
        putchar('=');
        put_value(v);
        first = 0;
    }
    if (first)
        fputs("(none)", stdout);
}

static void put_field(const char *label, const json_t *v)
{
    printf("%-10s ", label);
    if (v)
        put_value(v);
    else
        fputs("-", stdout);
    putchar('\n');
}

static void act_text(const gb_layer_info_t *li, char *buf, size_t size)
{
    if (li->kind == GB_LAYER_GRU)
        snprintf(buf, size, "-");
    else if (li->act.kind == GB_ACT_LEAKY_RELU || li->act.kind == GB_ACT_ELU)
        snprintf(buf, size, "%s(%g)", gb_act_name(li->act.kind), (double)li->act.alpha);
    else
        snprintf(buf, size, "%s", gb_act_name(li->act.kind));
}

static int print_text(const char *path, const gb_model_t *m)
{
    const json_t *card = gb_model_card(m);
    const json_t *data = json_object_get(card, "data");
    gb_nn_t *nn = gb_model_nn(m);

    printf("%-10s ", "File:");
    put_clean(path);
    printf("\n%-10s %s\n", "Format:", GB_MODEL_FORMAT);
    put_field("Kind:", json_object_get(card, "kind"));
    put_field("Features:", json_object_get(card, "features"));
    printf("%-10s ", "Data:");
    put_value(json_object_get(data, "source"));
    fputs(" (licence: ", stdout);
    put_value(json_object_get(data, "licence"));
    fputs(")\n", stdout);
    printf("%-10s ", "Counts:");
    const json_t *counts = json_object_get(data, "counts");
    if (counts)
        put_pairs(counts);
    else
        fputs("-", stdout);
    putchar('\n');
    put_field("Seed:", json_object_get(card, "seed"));
    put_field("Command:", json_object_get(card, "command"));
    printf("%-10s ", "Metrics:");
    put_pairs(json_object_get(card, "metrics"));
    putchar('\n');
    /* The free-form rest of the card. */
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)card, k, v) {
        static const char *const known[] = {"kind", "features", "data", "seed", "command",
                                            "metrics"};
        int is_known = 0;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            is_known |= strcmp(k, known[i]) == 0;
        if (is_known)
            continue;
        put_clean(k);
        fputs(": ", stdout);
        put_value(v);
        putchar('\n');
    }
    printf("%-10s %d features per frame, max batch %d\n\n", "Input:", gb_nn_in_dim(nn),
           gb_nn_max_batch(nn));

    printf("%3s  %-10s %5s %5s %6s %8s  %-18s %10s %7s\n", "#", "type", "in", "out", "kernel",
           "dilation", "activation", "params", "weights");
    for (int i = 0; i < gb_nn_n_layers(nn); i++) {
        gb_layer_info_t li;
        char act[48], kern[16] = "-", dil[16] = "-";
        gb_nn_layer_info(nn, i, &li);
        act_text(&li, act, sizeof act);
        if (li.kind == GB_LAYER_CONV1D) {
            snprintf(kern, sizeof kern, "%d", li.kernel);
            snprintf(dil, sizeof dil, "%d", li.dilation);
        }
        printf("%3d  %-10s %5d %5d %6s %8s  %-18s %10zu %7s\n", i, gb_layer_kind_name(li.kind),
               li.in, li.out, kern, dil, act, li.n_weights,
               li.n_params ? gb_nn_wtype_name(li.wtype) : "-");
    }
    printf("Total parameters: %zu\n", gb_nn_n_weights(nn));
    return GB_EXIT_OK;
}

static int print_json(const char *path, const gb_model_t *m)
{
    gb_nn_t *nn = gb_model_nn(m);
    json_t *root = json_object(), *layers = json_array();
    if (!root || !layers)
        goto nomem;
    json_object_set_new(root, "file", json_string(path));
    json_object_set_new(root, "format", json_string(GB_MODEL_FORMAT));
    json_object_set_new(root, "kind", json_string(gb_model_kind(m)));
    json_object_set_new(root, "card", json_deep_copy(gb_model_card(m)));
    json_object_set_new(root, "arch", json_deep_copy(gb_model_arch(m)));
    json_object_set_new(root, "layers", layers);
    for (int i = 0; i < gb_nn_n_layers(nn); i++) {
        gb_layer_info_t li;
        gb_nn_layer_info(nn, i, &li);
        json_t *l = json_object();
        if (!l || json_array_append_new(layers, l))
            goto nomem;
        json_object_set_new(l, "index", json_integer(i));
        json_object_set_new(l, "type", json_string(gb_layer_kind_name(li.kind)));
        json_object_set_new(l, "in", json_integer(li.in));
        json_object_set_new(l, "out", json_integer(li.out));
        if (li.kind == GB_LAYER_CONV1D) {
            json_object_set_new(l, "kernel", json_integer(li.kernel));
            json_object_set_new(l, "dilation", json_integer(li.dilation));
        }
        if (li.kind != GB_LAYER_GRU)
            json_object_set_new(l, "activation", json_string(gb_act_name(li.act.kind)));
        if (li.act.kind == GB_ACT_LEAKY_RELU || li.act.kind == GB_ACT_ELU)
            json_object_set_new(l, "alpha", json_real((double)li.act.alpha));
        json_object_set_new(l, "params", json_integer((json_int_t)li.n_weights));
        if (li.n_params)
            json_object_set_new(l, "weights", json_string(gb_nn_wtype_name(li.wtype)));
    }
    json_object_set_new(root, "total_params", json_integer((json_int_t)gb_nn_n_weights(nn)));
    if (json_dumpf(root, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(9)) != 0)
        goto nomem;
    putchar('\n');
    json_decref(root);
    return GB_EXIT_OK;
nomem:
    json_decref(root);
    fprintf(stderr, "gbac: out of memory\n");
    return GB_EXIT_FAIL;
}

typedef struct info_args {
    int json;
} info_args_t;

static const gb_opt_t info_opts[] = {
    {.name = "json", .kind = GB_OPT_FLAG, .off = offsetof(info_args_t, json),
     .flags = GB_OPT_USAGE, .help = "print the same as one JSON object"},
};

static int info_run(void *p, const gb_cli_call_t *call)
{
    const info_args_t *a = p;
    const char *file = call->pos[0];
    gb_error_t err = {0};
    gb_model_t *m = gb_model_load(file, 0, &err);
    if (!m) {
        fprintf(stderr, "gbac: %s\n", err.msg);
        return GB_EXIT_FAIL;
    }
    int rc = a->json ? print_json(file, m) : print_text(file, m);
    gb_model_free(m);
    if (fflush(stdout) != 0 && rc == GB_EXIT_OK) {
        fprintf(stderr, "gbac: cannot write the output\n");
        rc = GB_EXIT_FAIL;
    }
    return rc;
}

static const gb_cmd_t model_info = {
    .name = "info",
    .summary = "validate FILE and print its model card (kind, features, training data, seed, "
               "command, metrics) and its layer table",
    .positional = "FILE",
    .min_pos = 1,
    .max_pos = 1,
    .description = "Validate a gbac model file (safetensors, format gbac-nn/1) and print its "
                   "model card and its layer table. The format is described in "
                   "docs/model-format.md.",
    .epilogue = "Exit status: 0 on success, 1 if FILE is missing or invalid (the reason is "
                "printed on stderr), 2 on a usage error.",
    GB_CLI_LEAF(info_opts, info_args_t, NULL, info_run),
};

const gb_cmd_t gb_cli_model = {
    .name = "model",
    .summary = "inspect and convert model files: `model info FILE`, `model convert IN`",
    .description = "Inspect or convert a gbac model file (safetensors, format gbac-nn/1; "
                   "docs/model-format.md).",
    GB_CLI_SUBS(&model_info, &gb_cli_model_convert),
};

GB_CLI_ENTRY(gb_cmd_model, gb_cli_model)
