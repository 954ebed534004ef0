/* gb_modelfile.c — gbac model files: architecture and card in the safetensors metadata,
 * parameters as F32 tensors. See gb_modelfile.h and docs/model-format.md.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The loader checks in an order that keeps every allocation bounded: the safetensors layer
 * has checked the header against the file size; the architecture is parsed into a small
 * fixed-size description and its run-time footprint estimated; every tensor is checked
 * against it (so the weights are no larger than the file); only then is the runtime model
 * finalized (allocated) and filled. */
#include "gb_modelfile.h"
#include "gb_bf16.h"
#include "gb_json_util.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_safetensors.h"

/* An auxiliary tensor held in memory (host byte order). */
typedef struct aux_t {
    char *name; /* without the "aux." prefix */
    gb_st_dtype_t dtype;
    int ndim;
    int64_t shape[GB_ST_MAX_DIMS];
    uint64_t count;
    void *data;
} aux_t;

struct gb_model {
    char *name;
    gb_nn_t *nn;
    json_t *arch, *card;
    char *arch_json, *card_json;
    aux_t *aux;
    size_t n_aux;
};

static int is_aux(const char *tensor)
{
    return strncmp(tensor, GB_MODEL_AUX_PREFIX, sizeof GB_MODEL_AUX_PREFIX - 1) == 0;
}

typedef struct layer_spec {
    gb_layer_kind_t kind;
    int units; /* dense/gru units, conv1d channels */
    int kernel, dilation;
    gb_act_t act;
} layer_spec_t;

typedef struct arch_spec {
    int input, max_batch, n;
    layer_spec_t layers[GB_NN_MAX_LAYERS];
} arch_spec_t;

/* ---- messages ------------------------------------------------------------------------- */

/* "NAME: WHERE: message" (WHERE may be NULL). */
static int fail(gb_error_t *err, const char *name, const char *where, int code,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int fail(gb_error_t *err, const char *name, const char *where, int code,
                const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (where)
        return gb_error_set(err, code, "%s: %s: %s", name, where, what);
    return gb_error_set(err, code, "%s: %s", name, what);
}



static void fmt_shape(char *buf, size_t size, int ndim, const long long *shape)
{
    size_t n = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < ndim && n < size; d++)
        n += (size_t)snprintf(buf + n, size - n, d ? ", %lld" : "%lld", shape[d]);
    if (n < size)
        snprintf(buf + n, size - n, "]");
}

/* ---- architecture --------------------------------------------------------------------- */

typedef struct actx {
    const char *name; /* file */
    gb_error_t *err;
    char where[64];   /* "gbac.arch: layers[3]" */
} actx_t;

/* Only the keys in `allowed` (NULL-terminated) may appear in obj. */
static int check_keys(actx_t *c, json_t *obj, const char *const *allowed)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(k, *a) == 0;
        if (!ok) {
            char kb[96], list[160] = "";
            for (const char *const *a = allowed; *a; a++) {
                strncat(list, a == allowed ? "" : ", ", sizeof list - strlen(list) - 1);
                strncat(list, *a, sizeof list - strlen(list) - 1);
            }
            return fail(c->err, c->name, c->where, GB_EFORMAT, "unknown key '%s' (allowed: %s)",
                        gb_shown(k, kb, sizeof kb), list);
        }
    }
    return GB_OK;
}

/* An integer key in lo..hi; absent keys take `def` unless def < lo (then required). */
static int get_int(actx_t *c, json_t *obj, const char *key, int def, int lo, int hi, int *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (def < lo)
            return fail(c->err, c->name, c->where, GB_EFORMAT, "missing key '%s'", key);
        *out = def;
        return GB_OK;
    }
    if (!json_is_integer(v))
        return fail(c->err, c->name, c->where, GB_EFORMAT, "%s: expected an integer, got %s",
                    key, gb_json_kind(v));
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return fail(c->err, c->name, c->where, GB_ERANGE, "%s: %lld is outside %d..%d", key,
                    (long long)x, lo, hi);
    *out = (int)x;
    return GB_OK;
}

/* "activation" (required or default linear) and "alpha" (only for leaky_relu and elu). */
static int get_act(actx_t *c, json_t *obj, int required, gb_act_t *out)
{
    json_t *v = json_object_get(obj, "activation");
    gb_act_kind_t kind = GB_ACT_LINEAR;
    if (!v && required)
        return fail(c->err, c->name, c->where, GB_EFORMAT, "missing key 'activation'");
    if (v) {
        if (!json_is_string(v))
            return fail(c->err, c->name, c->where, GB_EFORMAT,
                        "activation: expected a string, got %s", gb_json_kind(v));
        if (gb_act_parse(json_string_value(v), &kind)) {
            char ab[96], list[160] = "";
            for (int k = 0; k < GB_ACT_COUNT; k++) {
                strncat(list, k ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, gb_act_name((gb_act_kind_t)k), sizeof list - strlen(list) - 1);
            }
            return fail(c->err, c->name, c->where, GB_EFORMAT,
                        "activation: unknown activation '%s' (known: %s)",
                        gb_shown(json_string_value(v), ab, sizeof ab), list);
        }
    }
    *out = gb_act_make(kind);
    json_t *a = json_object_get(obj, "alpha");
    if (a) {
        if (kind != GB_ACT_LEAKY_RELU && kind != GB_ACT_ELU)
            return fail(c->err, c->name, c->where, GB_EFORMAT,
                        "alpha: only leaky_relu and elu take an alpha, not %s",
                        gb_act_name(kind));
        if (!json_is_number(a))
            return fail(c->err, c->name, c->where, GB_EFORMAT, "alpha: expected a number, got %s",
                        gb_json_kind(a));
        double x = json_number_value(a);
        if (!(fabs(x) <= 1e6))
            return fail(c->err, c->name, c->where, GB_ERANGE, "alpha: %g is outside -1e6..1e6",
                        x);
        out->alpha = (float)x;
    }
    return GB_OK;
}

static int parse_layer(actx_t *c, json_t *l, layer_spec_t *s)
{
    static const char *const k_dense[] = {"type", "units", "activation", "alpha", NULL};
    static const char *const k_conv[] = {"type",       "channels", "kernel", "dilation",
                                         "activation", "alpha",    NULL};
    static const char *const k_gru[] = {"type", "units", NULL};
    static const char *const k_act[] = {"type", "activation", "alpha", NULL};
    if (!json_is_object(l))
        return fail(c->err, c->name, c->where, GB_EFORMAT, "expected an object, got %s",
                    gb_json_kind(l));
    json_t *t = json_object_get(l, "type");
    if (!t)
        return fail(c->err, c->name, c->where, GB_EFORMAT, "missing key 'type'");
    if (!json_is_string(t))
        return fail(c->err, c->name, c->where, GB_EFORMAT, "type: expected a string, got %s",
                    gb_json_kind(t));
    const char *type = json_string_value(t);
    int rc;
    memset(s, 0, sizeof *s);
    if (strcmp(type, "dense") == 0) {
        s->kind = GB_LAYER_DENSE;
        if ((rc = check_keys(c, l, k_dense)) ||
            (rc = get_int(c, l, "units", 0, 1, GB_NN_MAX_DIM, &s->units)) ||
            (rc = get_act(c, l, 0, &s->act)))
            return rc;
    } else if (strcmp(type, "conv1d") == 0) {
        s->kind = GB_LAYER_CONV1D;
        if ((rc = check_keys(c, l, k_conv)) ||
            (rc = get_int(c, l, "channels", 0, 1, GB_NN_MAX_DIM, &s->units)) ||
            (rc = get_int(c, l, "kernel", 0, 1, GB_NN_MAX_FIELD, &s->kernel)) ||
            (rc = get_int(c, l, "dilation", 1, 1, GB_NN_MAX_FIELD, &s->dilation)) ||
            (rc = get_act(c, l, 0, &s->act)))
            return rc;
        if ((long)(s->kernel - 1) * s->dilation + 1 > GB_NN_MAX_FIELD)
            return fail(c->err, c->name, c->where, GB_ERANGE,
                        "receptive field (kernel-1)*dilation+1 = %ld exceeds %d",
                        (long)(s->kernel - 1) * s->dilation + 1, GB_NN_MAX_FIELD);
    } else if (strcmp(type, "gru") == 0) {
        s->kind = GB_LAYER_GRU;
        s->act = gb_act_make(GB_ACT_LINEAR);
        if ((rc = check_keys(c, l, k_gru)) ||
            (rc = get_int(c, l, "units", 0, 1, GB_NN_MAX_DIM, &s->units)))
            return rc;
    } else if (strcmp(type, "activation") == 0) {
        s->kind = GB_LAYER_ACT;
        if ((rc = check_keys(c, l, k_act)) || (rc = get_act(c, l, 1, &s->act)))
            return rc;
    } else {
        char tb[96];
        return fail(c->err, c->name, c->where, GB_EFORMAT,
                    "type: unknown layer type '%s' (known: dense, conv1d, gru, activation)",
                    gb_shown(type, tb, sizeof tb));
    }
    return GB_OK;
}

/* Parse and check an architecture string into *a; *out receives the JSON (may be NULL). */
static int parse_arch(const char *name, const char *text, arch_spec_t *a, json_t **out,
                      gb_error_t *err)
{
    static const char *const k_root[] = {"input", "max_batch", "layers", NULL};
    actx_t c = {name, err, "gbac.arch"};
    json_error_t je;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    int rc;
    if (!root)
        return fail(err, name, c.where, GB_EFORMAT, "not valid JSON: %s (line %d, column %d)",
                    je.text, je.line, je.column);
    memset(a, 0, sizeof *a);
    if (!json_is_object(root)) {
        rc = fail(err, name, c.where, GB_EFORMAT, "expected a JSON object, got %s",
                  gb_json_kind(root));
        goto done;
    }
    if ((rc = check_keys(&c, root, k_root)) ||
        (rc = get_int(&c, root, "input", 0, 1, GB_NN_MAX_DIM, &a->input)) ||
        (rc = get_int(&c, root, "max_batch", 1, 1, GB_NN_MAX_BATCH, &a->max_batch)))
        goto done;
    json_t *layers = json_object_get(root, "layers");
    if (!layers) {
        rc = fail(err, name, c.where, GB_EFORMAT, "missing key 'layers'");
        goto done;
    }
    if (!json_is_array(layers)) {
        rc = fail(err, name, c.where, GB_EFORMAT, "layers: expected an array, got %s",
                  gb_json_kind(layers));
        goto done;
    }
    size_t n = json_array_size(layers);
    if (n == 0) {
        rc = fail(err, name, c.where, GB_EFORMAT, "layers: empty (a model needs a layer)");
        goto done;
    }
    if (n > GB_NN_MAX_LAYERS) {
        rc = fail(err, name, c.where, GB_ERANGE, "layers: %zu layers (at most %d)", n,
                  GB_NN_MAX_LAYERS);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(c.where, sizeof c.where, "gbac.arch: layers[%zu]", i);
        if ((rc = parse_layer(&c, json_array_get(layers, i), &a->layers[i])))
            goto done;
    }
    a->n = (int)n;
done:
    if (rc || !out)
        json_decref(root);
    else
        *out = root;
    return rc;
}

static uint64_t s16(uint64_t n) { return (n + 15) / 16 * 16; }

/* Bytes the runtime model will allocate (a close upper estimate of gb_nn_finalize()). */
static uint64_t footprint(const arch_spec_t *a, int max_batch)
{
    uint64_t mb = (uint64_t)max_batch, in = (uint64_t)a->input;
    uint64_t floats = mb * s16(in) + 16;
    for (int i = 0; i < a->n; i++) {
        const layer_spec_t *l = &a->layers[i];
        uint64_t out = l->kind == GB_LAYER_ACT ? in : (uint64_t)l->units;
        uint64_t k = (uint64_t)l->kernel, field = (uint64_t)(l->kernel - 1) * (uint64_t)l->dilation;
        switch (l->kind) {
        case GB_LAYER_DENSE: floats += s16(out) * (in + 1); break;
        case GB_LAYER_CONV1D: /* weights, im2col rows, a mirrored ring of field+1 frames */
            floats += s16(out) * (k * in + 1) + mb * s16(k * in) + mb * 2 * (field + 1) * in +
                      mb;
            break;
        case GB_LAYER_GRU: floats += 3 * s16(out) * (in + out + 2) + 6 * mb * s16(out) +
                                     5 * s16(out); break;
        default: break;
        }
        /* outputs, the scratch rows a bf16 layer may round its inputs into, alignment slack */
        floats += mb * s16(out) + mb * (s16(k ? k * in : in) + s16(out) + 32) + 16 * 10;
        in = out;
    }
    return floats * sizeof(float);
}

/* A runtime model with the layers of *a, not finalized. */
static gb_nn_t *build_nn(const char *name, const arch_spec_t *a, int max_batch, gb_error_t *err)
{
    gb_error_t e = {0};
    gb_nn_t *nn = gb_nn_new(a->input, max_batch, &e);
    if (!nn) {
        fail(err, name, "gbac.arch", e.code, "%s", e.msg);
        return NULL;
    }
    for (int i = 0; i < a->n; i++) {
        const layer_spec_t *l = &a->layers[i];
        int rc;
        switch (l->kind) {
        case GB_LAYER_DENSE: rc = gb_nn_add_dense(nn, l->units, l->act, &e); break;
        case GB_LAYER_CONV1D:
            rc = gb_nn_add_conv1d(nn, l->units, l->kernel, l->dilation, l->act, &e);
            break;
        case GB_LAYER_GRU: rc = gb_nn_add_gru(nn, l->units, &e); break;
        default: rc = gb_nn_add_act(nn, l->act, &e); break;
        }
        if (rc) {
            char where[64];
            snprintf(where, sizeof where, "gbac.arch: layers[%d]", i);
            fail(err, name, where, rc, "%s", e.msg);
            gb_nn_free(nn);
            return NULL;
        }
    }
    return nn;
}

static int resolve_batch(const char *name, const arch_spec_t *a, int max_batch, int *out,
                         gb_error_t *err)
{
    if (max_batch < 0 || max_batch > GB_NN_MAX_BATCH)
        return fail(err, name, NULL, GB_EINVAL, "requested max_batch %d is outside 0..%d",
                    max_batch, GB_NN_MAX_BATCH);
    *out = max_batch ? max_batch : a->max_batch;
    uint64_t bytes = footprint(a, *out);
    if (bytes > GB_MODEL_MAX_BYTES)
        return fail(err, name, "gbac.arch", GB_ERANGE,
                    "the model would need about %llu MB of memory at max_batch %d "
                    "(the limit is %u MB)",
                    (unsigned long long)(bytes >> 20), *out, GB_MODEL_MAX_BYTES >> 20);
    return GB_OK;
}

gb_nn_t *gb_model_nn_from_arch(const char *arch_json, int max_batch, const char *name,
                               gb_error_t *err)
{
    arch_spec_t a;
    int mb;
    name = name ? name : "(arch)";
    if (!arch_json) {
        fail(err, name, "gbac.arch", GB_EINVAL, "no architecture given");
        return NULL;
    }
    if (parse_arch(name, arch_json, &a, NULL, err) || resolve_batch(name, &a, max_batch, &mb, err))
        return NULL;
    gb_nn_t *nn = build_nn(name, &a, mb, err);
    gb_error_t e = {0};
    if (nn && gb_nn_finalize(nn, &e)) {
        fail(err, name, NULL, e.code, "%s", e.msg);
        gb_nn_free(nn);
        return NULL;
    }
    return nn;
}

json_t *gb_model_arch_from_nn(const gb_nn_t *nn)
{
    if (!nn)
        return NULL;
    json_t *root = json_object(), *layers = json_array();
    if (!root || !layers) {
        json_decref(root);
        json_decref(layers);
        return NULL;
    }
    if (json_object_set_new(root, "input", json_integer(gb_nn_in_dim(nn))) ||
        json_object_set_new(root, "max_batch", json_integer(gb_nn_max_batch(nn)))) {
        json_decref(root);
        json_decref(layers);
        return NULL;
    }
    if (json_object_set_new(root, "layers", layers)) { /* consumes layers either way */
        json_decref(root);
        return NULL;
    }
    for (int i = 0; i < gb_nn_n_layers(nn); i++) {
        gb_layer_info_t li;
        json_t *l = json_object();
        if (!l || gb_nn_layer_info(nn, i, &li) || json_array_append_new(layers, l)) {
            json_decref(root);
            return NULL;
        }
        json_object_set_new(l, "type", json_string(gb_layer_kind_name(li.kind)));
        switch (li.kind) {
        case GB_LAYER_DENSE:
        case GB_LAYER_GRU: json_object_set_new(l, "units", json_integer(li.out)); break;
        case GB_LAYER_CONV1D:
            json_object_set_new(l, "channels", json_integer(li.out));
            json_object_set_new(l, "kernel", json_integer(li.kernel));
            json_object_set_new(l, "dilation", json_integer(li.dilation));
            break;
        default: break;
        }
        if (li.kind != GB_LAYER_GRU) {
            json_object_set_new(l, "activation", json_string(gb_act_name(li.act.kind)));
            if (li.act.kind == GB_ACT_LEAKY_RELU || li.act.kind == GB_ACT_ELU) {
                /* The shortest decimal that reads back as the same float, so the file shows
                 * 0.01 rather than 0.009999999776. */
                char buf[32];
                for (int prec = 6; prec <= 9; prec++) {
                    snprintf(buf, sizeof buf, "%.*g", prec, (double)li.act.alpha);
                    if ((float)strtod(buf, NULL) == li.act.alpha)
                        break;
                }
                json_object_set_new(l, "alpha", json_real(strtod(buf, NULL)));
            }
        }
    }
    return root;
}

/* ---- model card ----------------------------------------------------------------------- */

static int check_card(const char *name, json_t *card, gb_error_t *err)
{
    const char *w = "gbac.card";
    if (!json_is_object(card))
        return fail(err, name, w, GB_EFORMAT, "expected a JSON object, got %s", gb_json_kind(card));
    json_t *kind = json_object_get(card, "kind");
    if (!kind)
        return fail(err, name, w, GB_EFORMAT, "missing key 'kind' (what the model is, e.g. "
                                              "\"melody-gan-generator\")");
    if (!json_is_string(kind) || !json_string_value(kind)[0])
        return fail(err, name, w, GB_EFORMAT, "kind: expected a non-empty string, got %s",
                    gb_json_kind(kind));
    json_t *data = json_object_get(card, "data");
    if (!data)
        return fail(err, name, w, GB_EFORMAT,
                    "missing key 'data' (the training data: source, licence, counts)");
    if (!json_is_object(data))
        return fail(err, name, w, GB_EFORMAT, "data: expected an object, got %s",
                    gb_json_kind(data));
    static const char *const strs[] = {"source", "licence"};
    for (int i = 0; i < 2; i++) {
        json_t *s = json_object_get(data, strs[i]);
        if (!s)
            return fail(err, name, w, GB_EFORMAT, "missing key 'data.%s'", strs[i]);
        if (!json_is_string(s))
            return fail(err, name, w, GB_EFORMAT, "data.%s: expected a string, got %s", strs[i],
                        gb_json_kind(s));
    }
    json_t *counts = json_object_get(data, "counts");
    if (counts) {
        if (!json_is_object(counts))
            return fail(err, name, w, GB_EFORMAT, "data.counts: expected an object, got %s",
                        gb_json_kind(counts));
        const char *k;
        json_t *v;
        json_object_foreach(counts, k, v) {
            if (!json_is_integer(v) || json_integer_value(v) < 0) {
                char kb[96];
                return fail(err, name, w, GB_EFORMAT,
                            "data.counts.%s: expected a non-negative integer, got %s",
                            gb_shown(k, kb, sizeof kb), gb_json_kind(v));
            }
        }
    }
    json_t *seed = json_object_get(card, "seed");
    if (!seed)
        return fail(err, name, w, GB_EFORMAT, "missing key 'seed' (the training seed)");
    if (!json_is_integer(seed))
        return fail(err, name, w, GB_EFORMAT, "seed: expected an integer, got %s",
                    gb_json_kind(seed));
    json_t *metrics = json_object_get(card, "metrics");
    if (!metrics)
        return fail(err, name, w, GB_EFORMAT, "missing key 'metrics'");
    if (!json_is_object(metrics))
        return fail(err, name, w, GB_EFORMAT, "metrics: expected an object, got %s",
                    gb_json_kind(metrics));
    json_t *cmd = json_object_get(card, "command");
    if (cmd && !json_is_string(cmd))
        return fail(err, name, w, GB_EFORMAT, "command: expected a string, got %s",
                    gb_json_kind(cmd));
    return GB_OK;
}

static json_t *parse_card(const char *name, const char *text, gb_error_t *err)
{
    json_error_t je;
    json_t *card = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!card) {
        fail(err, name, "gbac.card", GB_EFORMAT, "not valid JSON: %s (line %d, column %d)",
             je.text, je.line, je.column);
        return NULL;
    }
    if (check_card(name, card, err)) {
        json_decref(card);
        return NULL;
    }
    return card;
}

int gb_model_check_card(const char *card_json, const char *name, gb_error_t *err)
{
    name = name ? name : "(card)";
    if (!card_json)
        return fail(err, name, "gbac.card", GB_EINVAL, "no model card given");
    json_t *card = parse_card(name, card_json, err);
    json_decref(card);
    return card ? GB_OK : err ? err->code : GB_EFORMAT;
}

/* ---- loading -------------------------------------------------------------------------- */

void gb_model_free(gb_model_t *m)
{
    if (!m)
        return;
    gb_nn_free(m->nn);
    json_decref(m->arch);
    json_decref(m->card);
    free(m->arch_json);
    free(m->card_json);
    free(m->name);
    for (size_t i = 0; i < m->n_aux; i++) {
        free(m->aux[i].name);
        free(m->aux[i].data);
    }
    free(m->aux);
    free(m);
}

static const char *layer_desc(const gb_layer_info_t *li, int i, char *buf, size_t size)
{
    snprintf(buf, size, "%s layer %d (%d -> %d)", gb_layer_kind_name(li->kind), i, li->in,
             li->out);
    return buf;
}

/* Mark the auxiliary tensors (aux.*, read by gb_model_aux() users) as used; their count. */
static size_t mark_aux(const gb_st_t *st, unsigned char *used)
{
    size_t k = 0;
    gb_st_info_t ai;
    for (size_t t = 0; t < gb_st_count(st); t++)
        if (!used[t] && gb_st_info(st, t, &ai) == GB_OK && is_aux(ai.name)) {
            used[t] = 1;
            k++;
        }
    return k;
}

/* Layer i's parameter pi, found as tensor t: dtype F32 or BF16 (a weight matrix's sets the
 * layer's weight type *wt, one for all its matrices) and the architecture's shape. */
static int check_param(const gb_st_t *st, const gb_nn_t *nn, int i, const gb_param_info_t *pi,
                       long t, int *wt, gb_error_t *err)
{
    const char *name = gb_st_name(st);
    gb_st_info_t ti;
    gb_layer_info_t li;
    char ld[80], want[64], got[64];
    gb_st_info(st, (size_t)t, &ti);
    gb_nn_layer_info(nn, i, &li);
    if (ti.dtype != GB_ST_F32 && ti.dtype != GB_ST_BF16)
        return fail(err, name, NULL, GB_EUNSUPPORTED,
                    "tensor 'layers.%d.%s' has dtype %s; only F32 and BF16 are supported "
                    "(convert with tensor.float() before saving)",
                    i, pi->name, gb_st_dtype_name(ti.dtype));
    if (pi->ndim > 1) { /* a weight matrix: its dtype is the layer's weight type */
        const int w = ti.dtype == GB_ST_BF16 ? GB_NN_WTYPE_BF16 : GB_NN_WTYPE_F32;
        if (*wt >= 0 && *wt != w)
            return fail(err, name, NULL, GB_EFORMAT,
                        "tensor 'layers.%d.%s' is %s but the layer's other weight matrix is "
                        "%s; a layer's weights share one dtype",
                        i, pi->name, gb_st_dtype_name(ti.dtype),
                        w == GB_NN_WTYPE_BF16 ? "F32" : "BF16");
        *wt = w;
    }
    int same = ti.ndim == pi->ndim;
    long long sh[3] = {pi->shape[0], pi->shape[1], pi->shape[2]}, gs[GB_ST_MAX_DIMS];
    for (int d = 0; d < ti.ndim; d++) {
        gs[d] = (long long)ti.shape[d];
        same = same && gs[d] == sh[d];
    }
    if (same)
        return GB_OK;
    fmt_shape(want, sizeof want, pi->ndim, sh);
    fmt_shape(got, sizeof got, ti.ndim, gs);
    return fail(err, name, NULL, GB_EFORMAT, "tensor 'layers.%d.%s' has shape %s, but %s needs %s",
                i, pi->name, got, layer_desc(&li, i, ld, sizeof ld), want);
}

/* Every expected tensor present with dtype F32 or BF16 and the right shape, and no other;
 * wt[i] receives the dtype of layer i's weight matrices (-1 if it has none). */
static int check_tensors(const gb_st_t *st, const gb_nn_t *nn, long (*idx)[4], int *wt,
                         gb_error_t *err)
{
    for (int i = 0; i < gb_nn_n_layers(nn); i++)
        wt[i] = -1;
    const char *name = gb_st_name(st);
    size_t n = gb_st_count(st), matched = 0;
    unsigned char *used = calloc(n ? n : 1, 1);
    int rc = GB_OK, miss_l = -1, miss_p = -1;
    if (!used)
        return fail(err, name, NULL, GB_ENOMEM, "out of memory");
    for (int i = 0; i < gb_nn_n_layers(nn); i++) {
        gb_param_info_t pi;
        for (int p = 0; gb_nn_param_info(nn, i, p, &pi) == GB_OK; p++) {
            char tn[64];
            snprintf(tn, sizeof tn, "layers.%d.%s", i, pi.name);
            idx[i][p] = gb_st_find(st, tn);
            if (idx[i][p] < 0) {
                if (miss_l < 0)
                    miss_l = i, miss_p = p;
            } else {
                used[idx[i][p]] = 1;
                matched++;
            }
        }
    }
    matched += mark_aux(st, used);
    long extra = -1;
    for (size_t t = 0; t < n && extra < 0; t++)
        if (!used[t])
            extra = (long)t;
    free(used);
    gb_st_info_t ti;
    gb_layer_info_t li;
    char ld[80], want[64], nb[96];
    if (miss_l >= 0) {
        gb_param_info_t pi;
        gb_nn_param_info(nn, miss_l, miss_p, &pi);
        gb_nn_layer_info(nn, miss_l, &li);
        long long sh[3] = {pi.shape[0], pi.shape[1], pi.shape[2]};
        fmt_shape(want, sizeof want, pi.ndim, sh);
        char hint[256] = "";
        if (extra >= 0 && gb_st_info(st, (size_t)extra, &ti) == GB_OK)
            snprintf(hint, sizeof hint, "; the file has tensors the architecture does not "
                     "know, e.g. '%s' (see docs/model-format.md for the names)",
                     gb_shown(ti.name, nb, sizeof nb));
        return fail(err, name, NULL, GB_EFORMAT, "missing tensor 'layers.%d.%s': %s needs F32 %s%s",
                    miss_l, pi.name, layer_desc(&li, miss_l, ld, sizeof ld), want, hint);
    }
    for (int i = 0; i < gb_nn_n_layers(nn) && !rc; i++) {
        gb_param_info_t pi;
        for (int p = 0; gb_nn_param_info(nn, i, p, &pi) == GB_OK && !rc; p++)
            rc = check_param(st, nn, i, &pi, idx[i][p], &wt[i], err);
    }
    if (!rc && matched != n && extra >= 0 && gb_st_info(st, (size_t)extra, &ti) == GB_OK)
        rc = fail(err, name, NULL, GB_EFORMAT,
                  "unexpected tensor '%s': not a parameter of the architecture (%d layers; "
                  "names are layers.<i>.<param>, or aux.<name> for auxiliary data)",
                  gb_shown(ti.name, nb, sizeof nb), gb_nn_n_layers(nn));
    return rc;
}

/* Read every tensor into the finalized model, checking that each weight is finite. */
static int fill_weights(const gb_st_t *st, gb_nn_t *nn, long (*idx)[4], gb_error_t *err)
{
    const char *name = gb_st_name(st);
    size_t maxc = 1;
    gb_param_info_t pi;
    for (int i = 0; i < gb_nn_n_layers(nn); i++)
        for (int p = 0; gb_nn_param_info(nn, i, p, &pi) == GB_OK; p++)
            maxc = pi.count > maxc ? pi.count : maxc;
    float *buf = malloc(maxc * sizeof *buf);
    if (!buf)
        return fail(err, name, NULL, GB_ENOMEM, "out of memory for a %zu-element tensor", maxc);
    int rc = GB_OK;
    for (int i = 0; i < gb_nn_n_layers(nn) && !rc; i++) {
        for (int p = 0; gb_nn_param_info(nn, i, p, &pi) == GB_OK && !rc; p++) {
            if ((rc = gb_st_read_f32(st, (size_t)idx[i][p], buf, pi.count, err)))
                break;
            for (size_t k = 0; k < pi.count; k++) {
                if (isfinite(buf[k]))
                    continue;
                char at[64] = "";
                if (pi.ndim > 1) {
                    long long ix[3];
                    size_t r = k;
                    for (int d = pi.ndim - 1; d >= 0; d--) {
                        ix[d] = (long long)(r % (size_t)pi.shape[d]);
                        r /= (size_t)pi.shape[d];
                    }
                    char s[48];
                    fmt_shape(s, sizeof s, pi.ndim, ix);
                    snprintf(at, sizeof at, " (index %s)", s);
                }
                rc = fail(err, name, NULL, GB_ERANGE,
                          "tensor 'layers.%d.%s': element %zu%s is %s; weights must be finite",
                          i, pi.name, k, at,
                          isnan(buf[k]) ? "NaN" : buf[k] > 0 ? "+Inf" : "-Inf");
                break;
            }
            gb_error_t e = {0};
            if (!rc && gb_nn_set_param(nn, i, pi.name, buf, pi.count, &e))
                rc = fail(err, name, NULL, e.code, "%s", e.msg);
        }
    }
    free(buf);
    return rc;
}

/* Swap an auxiliary tensor's elements to host order (files are little-endian). */
static void aux_to_host(aux_t *x)
{
    const size_t es = gb_st_dtype_size(x->dtype);
    const uint16_t probe = 1;
    if (es < 2 || *(const unsigned char *)&probe == 1) /* little-endian host */
        return;
    unsigned char *p = x->data;
    for (uint64_t e = 0; e < x->count; e++, p += es)
        for (size_t b = 0; b < es / 2; b++) {
            const unsigned char c = p[b];
            p[b] = p[es - 1 - b];
            p[es - 1 - b] = c;
        }
}

/* The first element of an F32 or F64 tensor that is not finite; count when all are (or the
 * dtype is an integer one). */
static uint64_t aux_first_nonfinite(const aux_t *x)
{
    for (uint64_t e = 0; x->dtype == GB_ST_F32 && e < x->count; e++)
        if (!isfinite(((const float *)x->data)[e]))
            return e;
    for (uint64_t e = 0; x->dtype == GB_ST_F64 && e < x->count; e++)
        if (!isfinite(((const double *)x->data)[e]))
            return e;
    return x->count;
}

/* Read every aux.* tensor into memory, in host byte order (see gb_modelfile.h for the
 * limits): at most GB_MODEL_MAX_AUX of them, GB_MODEL_AUX_MAX_BYTES in all, names of
 * 1..GB_MODEL_AUX_NAME − 1 bytes after "aux.", F32 and F64 values finite. */
static int load_aux(const gb_st_t *st, gb_model_t *m, gb_error_t *err)
{
    const char *name = gb_st_name(st);
    const size_t n = gb_st_count(st);
    gb_st_info_t ti;
    char nb[96];
    for (size_t t = 0; t < n; t++)
        if (gb_st_info(st, t, &ti) == GB_OK && is_aux(ti.name))
            m->n_aux++;
    if (!m->n_aux)
        return GB_OK;
    if (m->n_aux > GB_MODEL_MAX_AUX)
        return fail(err, name, NULL, GB_EFORMAT, "%zu auxiliary tensors: at most %d", m->n_aux,
                    GB_MODEL_MAX_AUX);
    m->aux = calloc(m->n_aux, sizeof *m->aux);
    if (!m->aux)
        return fail(err, name, NULL, GB_ENOMEM, "out of memory");
    size_t k = 0;
    uint64_t total = 0;
    for (size_t t = 0; t < n; t++) {
        if (gb_st_info(st, t, &ti) != GB_OK || !is_aux(ti.name))
            continue;
        const char *an = ti.name + sizeof GB_MODEL_AUX_PREFIX - 1;
        if (!an[0] || strlen(an) >= GB_MODEL_AUX_NAME)
            return fail(err, name, NULL, GB_EFORMAT,
                        "auxiliary tensor '%s': names of 1..%d bytes after 'aux.'",
                        gb_shown(ti.name, nb, sizeof nb), GB_MODEL_AUX_NAME - 1);
        total += ti.nbytes;
        if (total > GB_MODEL_AUX_MAX_BYTES)
            return fail(err, name, NULL, GB_ERANGE, "auxiliary tensors hold more than %u bytes "
                        "in all", (unsigned)GB_MODEL_AUX_MAX_BYTES);
        aux_t *x = &m->aux[k++];
        x->name = strdup(an);
        x->data = malloc(ti.nbytes ? (size_t)ti.nbytes : 1);
        if (!x->name || !x->data)
            return fail(err, name, NULL, GB_ENOMEM, "out of memory for tensor '%s'", ti.name);
        x->dtype = ti.dtype;
        x->ndim = ti.ndim;
        memcpy(x->shape, ti.shape, sizeof x->shape);
        x->count = ti.count;
        const int rc = gb_st_read(st, t, x->data, (size_t)ti.nbytes, err);
        if (rc)
            return rc;
        aux_to_host(x);
        const uint64_t bad = aux_first_nonfinite(x);
        if (bad < x->count)
            return fail(err, name, NULL, GB_ERANGE,
                        "tensor '%s': element %llu is not finite; values must be finite",
                        gb_shown(ti.name, nb, sizeof nb), (unsigned long long)bad);
    }
    return GB_OK;
}

int gb_model_aux_get(const gb_model_t *m, const char *name, gb_model_aux_t *out)
{
    for (size_t i = 0; m && name && i < m->n_aux; i++)
        if (strcmp(m->aux[i].name, name) == 0) {
            if (out) {
                out->name = m->aux[i].name;
                out->dtype = m->aux[i].dtype;
                out->ndim = m->aux[i].ndim;
                memcpy(out->shape, m->aux[i].shape, sizeof out->shape);
                out->count = m->aux[i].count;
                out->data = m->aux[i].data;
            }
            return GB_OK;
        }
    return GB_EINVAL;
}

static gb_model_t *load_st(gb_st_t *st, int max_batch, gb_error_t *err)
{
    const char *name = gb_st_name(st);
    gb_model_t *m = calloc(1, sizeof *m);
    long(*idx)[4] = calloc(GB_NN_MAX_LAYERS, sizeof *idx);
    arch_spec_t *a = malloc(sizeof *a);
    gb_error_t e = {0};
    int mb;
    if (!m || !idx || !a || !(m->name = strdup(name))) {
        fail(err, name, NULL, GB_ENOMEM, "out of memory");
        goto error;
    }
    const char *format = gb_st_meta_get(st, "format");
    if (!format) {
        fail(err, name, NULL, GB_EFORMAT,
             "not a gbac model file: __metadata__ has no \"format\" (expected \"%s\")",
             GB_MODEL_FORMAT);
        goto error;
    }
    if (strcmp(format, GB_MODEL_FORMAT) != 0) {
        char fb[96];
        fail(err, name, NULL, GB_EUNSUPPORTED,
             "format \"%s\" is not supported (this gbac reads \"%s\")", gb_shown(format, fb, sizeof fb),
             GB_MODEL_FORMAT);
        goto error;
    }
    const char *arch = gb_st_meta_get(st, "gbac.arch");
    const char *card = gb_st_meta_get(st, "gbac.card");
    if (!arch || !card) {
        fail(err, name, NULL, GB_EFORMAT, "__metadata__ has no \"%s\"",
             !arch ? "gbac.arch" : "gbac.card");
        goto error;
    }
    if (parse_arch(name, arch, a, &m->arch, err) || !(m->card = parse_card(name, card, err)) ||
        resolve_batch(name, a, max_batch, &mb, err))
        goto error;
    m->arch_json = strdup(arch);
    m->card_json = strdup(card);
    if (!m->arch_json || !m->card_json) {
        fail(err, name, NULL, GB_ENOMEM, "out of memory");
        goto error;
    }
    int wt[GB_NN_MAX_LAYERS];
    if (!(m->nn = build_nn(name, a, mb, err)) || check_tensors(st, m->nn, idx, wt, err))
        goto error;
    for (int i = 0; i < gb_nn_n_layers(m->nn); i++)
        if (wt[i] == GB_NN_WTYPE_BF16)
            gb_nn_set_wtype(m->nn, i, GB_NN_WTYPE_BF16, NULL);
    if (gb_nn_finalize(m->nn, &e)) {
        fail(err, name, NULL, e.code, "%s", e.msg);
        goto error;
    }
    if (fill_weights(st, m->nn, idx, err) || load_aux(st, m, err))
        goto error;
    free(idx);
    free(a);
    return m;
error:
    free(idx);
    free(a);
    gb_model_free(m);
    return NULL;
}

gb_model_t *gb_model_load(const char *path, int max_batch, gb_error_t *err)
{
    gb_st_t *st = gb_st_open(path, err);
    if (!st)
        return NULL;
    gb_model_t *m = load_st(st, max_batch, err);
    gb_st_free(st);
    return m;
}

gb_model_t *gb_model_load_mem(const void *buf, size_t len, const char *name, int max_batch,
                              gb_error_t *err)
{
    gb_st_t *st = gb_st_open_mem(buf, len, name ? name : "(memory)", err);
    if (!st)
        return NULL;
    gb_model_t *m = load_st(st, max_batch, err);
    gb_st_free(st);
    return m;
}

gb_nn_t *gb_model_nn(const gb_model_t *m) { return m ? m->nn : NULL; }

gb_nn_t *gb_model_take_nn(gb_model_t *m)
{
    if (!m)
        return NULL;
    gb_nn_t *nn = m->nn;
    m->nn = NULL;
    return nn;
}

const char *gb_model_name(const gb_model_t *m) { return m ? m->name : ""; }

const float *gb_model_aux(const gb_model_t *m, const char *name, int *ndim, int64_t *shape)
{
    for (size_t i = 0; m && name && i < m->n_aux; i++) {
        const aux_t *a = &m->aux[i];
        if (strcmp(a->name, name) != 0 || a->dtype != GB_ST_F32)
            continue;
        if (ndim)
            *ndim = a->ndim;
        for (int d = 0; shape && d < a->ndim; d++)
            shape[d] = a->shape[d];
        return a->data;
    }
    return NULL;
}

const char *gb_model_kind(const gb_model_t *m)
{
    return m ? json_string_value(json_object_get(m->card, "kind")) : "";
}

const json_t *gb_model_card(const gb_model_t *m) { return m ? m->card : NULL; }
const char *gb_model_card_json(const gb_model_t *m) { return m ? m->card_json : ""; }
const json_t *gb_model_arch(const gb_model_t *m) { return m ? m->arch : NULL; }
const char *gb_model_arch_json(const gb_model_t *m) { return m ? m->arch_json : ""; }

/* ---- converting ----------------------------------------------------------------------- */

/* A copy of m's runtime model whose weight matrices are stored as t (built from the file's
 * own architecture, so its max_batch too). */
static gb_nn_t *nn_as(const gb_model_t *m, gb_nn_wtype_t t, gb_error_t *err)
{
    arch_spec_t a;
    int mb;
    const char *name = gb_model_name(m);
    if (parse_arch(name, gb_model_arch_json(m), &a, NULL, err) ||
        resolve_batch(name, &a, 0, &mb, err))
        return NULL;
    gb_nn_t *nn = build_nn(name, &a, mb, err), *src = gb_model_nn(m);
    gb_error_t e = {0};
    if (!nn || gb_nn_set_wtype(nn, -1, t, &e) || gb_nn_finalize(nn, &e)) {
        if (nn)
            fail(err, name, NULL, e.code, "%s", e.msg);
        gb_nn_free(nn);
        return NULL;
    }
    float *buf = malloc(sizeof(float) * (gb_nn_n_weights(src) + 1));
    int rc = buf ? GB_OK : fail(err, name, NULL, GB_ENOMEM, "out of memory");
    gb_param_info_t pi;
    for (int i = 0; i < gb_nn_n_layers(src) && !rc; i++)
        for (int p = 0; gb_nn_param_info(src, i, p, &pi) == GB_OK && !rc; p++)
            if (gb_nn_get_param(src, i, pi.name, buf, pi.count, &e) ||
                gb_nn_set_param(nn, i, pi.name, buf, pi.count, &e))
                rc = fail(err, name, NULL, e.code, "%s", e.msg);
    free(buf);
    if (rc) {
        gb_nn_free(nn);
        return NULL;
    }
    return nn;
}

int gb_model_convert(const char *in, const char *out, gb_nn_wtype_t t, gb_error_t *err)
{
    if (!in || !out || (unsigned)t >= GB_NN_WTYPE_COUNT)
        return gb_error_set(err, GB_EINVAL, "gb_model_convert: bad arguments");
    gb_model_t *m = gb_model_load(in, 0, err);
    if (!m)
        return err ? err->code : GB_EIO;
    gb_nn_t *nn = nn_as(m, t, err);
    json_t *card = json_deep_copy(gb_model_card(m));
    char *card_s = NULL;
    int rc = nn ? GB_OK : err ? err->code : GB_ENOMEM;
    if (!rc && (!card || json_object_set_new(card, "weights", json_string(gb_nn_wtype_name(t))) ||
                !(card_s = json_dumps(card, JSON_COMPACT | JSON_REAL_PRECISION(9)))))
        rc = fail(err, in, NULL, GB_ENOMEM, "out of memory");
    if (!rc)
        rc = gb_model_save(out, nn, card_s, err);
    free(card_s);
    json_decref(card);
    gb_nn_free(nn);
    gb_model_free(m);
    return rc;
}

/* ---- saving --------------------------------------------------------------------------- */

int gb_model_save(const char *path, const gb_nn_t *nn, const char *card_json, gb_error_t *err)
{
    return gb_model_save_aux_any(path, nn, card_json, NULL, 0, err);
}

int gb_model_save_aux(const char *path, const gb_nn_t *nn, const char *card_json,
                      const gb_st_f32_t *aux, size_t n_aux, gb_error_t *err)
{
    if (n_aux > GB_MODEL_MAX_AUX || (n_aux && !aux))
        return gb_error_set(err, GB_EINVAL, "%s: at most %d auxiliary tensors", path ? path : "",
                            GB_MODEL_MAX_AUX);
    gb_st_tensor_t t[GB_MODEL_MAX_AUX];
    for (size_t i = 0; i < n_aux; i++) {
        if (!aux[i].name || strncmp(aux[i].name, GB_MODEL_AUX_PREFIX,
                                    sizeof GB_MODEL_AUX_PREFIX - 1) != 0)
            return gb_error_set(err, GB_EINVAL, "%s: auxiliary tensor names are aux.<name>",
                                path ? path : "");
        t[i] = (gb_st_tensor_t){.name = aux[i].name + sizeof GB_MODEL_AUX_PREFIX - 1,
                                .dtype = GB_ST_F32, .ndim = aux[i].ndim, .data = aux[i].data};
        for (int d = 0; d < aux[i].ndim && d < GB_ST_MAX_DIMS; d++)
            t[i].shape[d] = aux[i].shape[d];
    }
    return gb_model_save_aux_any(path, nn, card_json, t, n_aux, err);
}

/* The auxiliary tensors after the layers' in t (names "aux.<name>" kept in names). */
static int add_aux(const char *path, const gb_st_tensor_t *aux, size_t n_aux, gb_st_tensor_t *t,
                   char (*names)[64], size_t *nt, gb_error_t *err)
{
    for (size_t i = 0; i < n_aux; i++) {
        if (!aux[i].name || !aux[i].name[0] || strlen(aux[i].name) >= GB_MODEL_AUX_NAME)
            return fail(err, path, NULL, GB_EINVAL, "auxiliary tensor %zu: a name of 1..%d "
                        "bytes is needed", i, GB_MODEL_AUX_NAME - 1);
        t[*nt] = aux[i];
        snprintf(names[*nt], sizeof names[*nt], GB_MODEL_AUX_PREFIX "%s", aux[i].name);
        t[*nt].name = names[*nt];
        (*nt)++;
    }
    return GB_OK;
}

int gb_model_save_aux_any(const char *path, const gb_nn_t *nn, const char *card_json,
                          const gb_st_tensor_t *aux, size_t n_aux, gb_error_t *err)
{
    if (!path || !nn || (n_aux && !aux) || n_aux > GB_MODEL_MAX_AUX)
        return gb_error_set(err, GB_EINVAL, "gb_model_save: no %s",
                            !path ? "path" : !nn ? "model" : "valid auxiliary tensors");
    int rc = gb_model_check_card(card_json, path, err);
    if (rc)
        return rc;
    const int nl = gb_nn_n_layers(nn);
    size_t total = gb_nn_n_weights(nn);
    gb_st_tensor_t *t = calloc((size_t)nl * 4 + n_aux + 1, sizeof *t);
    char(*names)[64] = calloc((size_t)nl * 4 + n_aux + 1, sizeof *names);
    uint16_t *h = malloc((total ? total : 1) * sizeof *h); /* BF16 weight matrices */
    float *w = malloc((total ? total : 1) * sizeof *w);
    json_t *arch = gb_model_arch_from_nn(nn);
    char *arch_s = arch ? json_dumps(arch, JSON_COMPACT | JSON_REAL_PRECISION(9)) : NULL;
    size_t nt = 0, pos = 0;
    if (!t || !names || !h || !w || !arch_s) {
        rc = fail(err, path, NULL, GB_ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < nl && !rc; i++) {
        gb_param_info_t pi;
        for (int p = 0; gb_nn_param_info(nn, i, p, &pi) == GB_OK; p++) {
            gb_error_t e = {0};
            if (gb_nn_get_param(nn, i, pi.name, w + pos, pi.count, &e)) {
                rc = fail(err, path, NULL, e.code, "%s", e.msg);
                break;
            }
            for (size_t k = 0; k < pi.count; k++)
                if (!isfinite(w[pos + k])) {
                    rc = fail(err, path, NULL, GB_ERANGE,
                              "layer %d %s element %zu is %s; refusing to save a model that "
                              "could not be loaded",
                              i, pi.name, k, isnan(w[pos + k]) ? "NaN" : "infinite");
                    break;
                }
            if (rc)
                break;
            snprintf(names[nt], sizeof names[nt], "layers.%d.%s", i, pi.name);
            gb_layer_info_t li;
            gb_nn_layer_info(nn, i, &li);
            const int half = pi.ndim > 1 && li.wtype == GB_NN_WTYPE_BF16;
            for (size_t k = 0; half && k < pi.count; k++) /* exact: the layer holds bf16 */
                h[pos + k] = gb_bf16_from_f32(w[pos + k]);
            t[nt].name = names[nt];
            t[nt].dtype = half ? GB_ST_BF16 : GB_ST_F32;
            t[nt].ndim = pi.ndim;
            for (int d = 0; d < pi.ndim; d++)
                t[nt].shape[d] = pi.shape[d];
            t[nt].data = half ? (const void *)(h + pos) : (const void *)(w + pos);
            pos += pi.count;
            nt++;
        }
    }
    if (!rc)
        rc = add_aux(path, aux, n_aux, t, names, &nt, err);
    if (!rc) {
        const gb_st_meta_t meta[3] = {
            {"format", GB_MODEL_FORMAT}, {"gbac.arch", arch_s}, {"gbac.card", card_json}};
        rc = gb_st_save(path, t, nt, meta, 3, err);
    }
done:
    free(t);
    free(names);
    free(h);
    free(w);
    free(arch_s);
    json_decref(arch);
    return rc;
}
