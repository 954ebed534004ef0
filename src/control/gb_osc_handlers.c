/* gb_osc_handlers.c — OSC messages to engine events (see gb_osc_handlers.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_osc_handlers.h"

#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_midi.h"

#define PARAM_PREFIX "/gbac/param/"
#define PATH_MAX_LEN 96

typedef struct osc_param {
    char path[PATH_MAX_LEN]; /* "/gbac/param/slot/name" */
    int32_t handle;
    float min, max;
    uint32_t flags;
} osc_param_t;

struct gb_osc_handlers {
    unsigned flags; /* GB_OSC_HF_* */
    int n_params;
    osc_param_t *params; /* sorted by path */
    atomic_uint_fast64_t n_ok, n_err;
};

static int cmp_param(const void *a, const void *b)
{
    return strcmp(((const osc_param_t *)a)->path, ((const osc_param_t *)b)->path);
}

gb_osc_handlers_t *gb_osc_handlers_new(const gb_engine_t *engine, gb_error_t *err)
{
    gb_osc_handlers_t *h = calloc(1, sizeof *h);
    if (!h) {
        gb_error_set(err, GB_ENOMEM, "OSC handlers: out of memory");
        return NULL;
    }
    atomic_init(&h->n_ok, 0);
    atomic_init(&h->n_err, 0);
    int n = engine ? gb_engine_param_count(engine) : 0;
    if (n > 0) {
        h->params = calloc((size_t)n, sizeof *h->params);
        if (!h->params) {
            free(h);
            gb_error_set(err, GB_ENOMEM, "OSC handlers: out of memory");
            return NULL;
        }
    }
    for (int i = 0; i < n; i++) {
        int32_t handle = gb_engine_param_handle(engine, i);
        const char *slot = NULL;
        const gbp_param_info_t *info = NULL;
        if (handle < 0 || gb_engine_param_info(engine, handle, &slot, &info) < 0 || !slot ||
            !info || !info->name)
            continue;
        osc_param_t *p = &h->params[h->n_params];
        int len = snprintf(p->path, sizeof p->path, PARAM_PREFIX "%s/%s", slot, info->name);
        if (len < 0 || (size_t)len >= sizeof p->path)
            continue; /* cannot be addressed; unit names are short in practice */
        p->handle = handle;
        p->min = info->min < info->max ? info->min : info->max;
        p->max = info->min < info->max ? info->max : info->min;
        p->flags = info->flags;
        h->n_params++;
    }
    if (h->n_params > 1)
        qsort(h->params, (size_t)h->n_params, sizeof *h->params, cmp_param);
    return h;
}

void gb_osc_handlers_free(gb_osc_handlers_t *h)
{
    if (!h)
        return;
    free(h->params);
    free(h);
}

void gb_osc_handlers_set_flags(gb_osc_handlers_t *h, unsigned flags)
{
    if (h)
        h->flags = flags;
}

static const osc_param_t *find_param(const gb_osc_handlers_t *h, const char *path)
{
    osc_param_t key;
    size_t len = strlen(path);
    if (!h || h->n_params == 0 || len >= sizeof key.path)
        return NULL;
    memcpy(key.path, path, len + 1);
    return bsearch(&key, h->params, (size_t)h->n_params, sizeof *h->params, cmp_param);
}

int32_t gb_osc_handlers_param_handle(const gb_osc_handlers_t *h, const char *path)
{
    const osc_param_t *p = path ? find_param(h, path) : NULL;
    return p ? p->handle : -1;
}

const char *gb_osc_handlers_handle_path(const gb_osc_handlers_t *h, int32_t handle)
{
    for (int i = 0; h && i < h->n_params; i++)
        if (h->params[i].handle == handle)
            return h->params[i].path;
    return NULL;
}

uint64_t gb_osc_handlers_ok(const gb_osc_handlers_t *h)
{
    return h ? atomic_load_explicit(&h->n_ok, memory_order_relaxed) : 0;
}

uint64_t gb_osc_handlers_errors(const gb_osc_handlers_t *h)
{
    return h ? atomic_load_explicit(&h->n_err, memory_order_relaxed) : 0;
}

int gb_osc_handlers_param_count(const gb_osc_handlers_t *h)
{
    return h ? h->n_params : 0;
}

const char *gb_osc_handlers_param_path(const gb_osc_handlers_t *h, int i)
{
    return h && i >= 0 && i < h->n_params ? h->params[i].path : NULL;
}

/* ---------------------------------------------------------------- arguments */

typedef struct args {
    int argc;
    const char *types;
    lo_arg **argv;
} args_t;

/* A number argument of any numeric type. liblo's arguments are packed OSC data, aligned to 4
 * bytes only, so they are read with memcpy rather than through lo_arg's members. */
static int arg_number(const args_t *a, int i, double *out)
{
    if (i >= a->argc || !a->argv || !a->argv[i])
        return -1;
    const void *v = a->argv[i];
    int32_t i32;
    int64_t i64;
    float f;
    double d;
    switch (a->types[i]) {
    case 'i': memcpy(&i32, v, sizeof i32); *out = i32; return 0;
    case 'h': memcpy(&i64, v, sizeof i64); *out = (double)i64; return 0;
    case 'f': memcpy(&f, v, sizeof f); *out = f; return 0;
    case 'd': memcpy(&d, v, sizeof d); *out = d; return 0;
    default: return -1;
    }
}

/* An integer argument: int32/int64, or a float/double holding a whole number. */
static int arg_int(const args_t *a, int i, int *out)
{
    double d;
    if (arg_number(a, i, &d))
        return -1;
    if (!isfinite(d) || d != floor(d) || d < -2147483648.0 || d > 2147483647.0)
        return -1;
    *out = (int)d;
    return 0;
}

static int fail(gb_osc_handlers_t *h, gb_error_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(gb_osc_handlers_t *h, gb_error_t *err, int code, const char *fmt, ...)
{
    atomic_fetch_add_explicit(&h->n_err, 1, memory_order_relaxed);
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* Read n_req..n_req+n_opt integer arguments with their ranges into out[]. Optional ones
 * missing keep their value. */
static int int_args(gb_osc_handlers_t *h, const char *path, const args_t *a, int n_req,
                    int n_opt, const char *const *names, const int *lo, const int *hi, int *out,
                    const char *usage, gb_error_t *err)
{
    if (a->argc < n_req || a->argc > n_req + n_opt)
        return fail(h, err, GB_EINVAL, "%s: expected %s, got %d argument%s ('%s')", path,
                    usage, a->argc, a->argc == 1 ? "" : "s", a->types);
    for (int i = 0; i < a->argc; i++) {
        if (arg_int(a, i, &out[i]))
            return fail(h, err, GB_EINVAL, "%s: %s must be a whole number (type i, or f "
                        "holding one), got type '%c'; expected %s", path, names[i],
                        a->types[i], usage);
        if (out[i] < lo[i] || out[i] > hi[i])
            return fail(h, err, GB_ERANGE, "%s: %s %d out of range %d..%d", path, names[i],
                        out[i], lo[i], hi[i]);
    }
    return 0;
}

static void ok(gb_osc_handlers_t *h)
{
    atomic_fetch_add_explicit(&h->n_ok, 1, memory_order_relaxed);
}

static void midi_event(const uint8_t st, int d0, int d1, gb_osc_action_t *act)
{
    gb_midi_msg_t m = {.status = st, .len = 2, .data = {(uint8_t)d0, (uint8_t)d1}};
    memset(act, 0, sizeof *act);
    act->kind = GB_OSC_ACT_EVENT;
    gb_midi_to_event(&m, 0, &act->ev);
}

/* ---------------------------------------------------------------- dispatch */

int gb_osc_handle(gb_osc_handlers_t *h, const char *path, lo_message msg, gb_osc_action_t *act,
                  gb_error_t *err)
{
    if (!h || !act)
        return gb_error_set(err, GB_EINVAL, "OSC: no handlers");
    if (!path || path[0] != '/')
        return fail(h, err, GB_EINVAL, "OSC: invalid path '%s'", path ? path : "(null)");
    args_t a = {0, "", NULL};
    if (msg) {
        a.argc = lo_message_get_argc(msg);
        a.types = lo_message_get_types(msg);
        a.argv = lo_message_get_argv(msg);
        if (!a.types || a.argc < 0 || (int)strlen(a.types) < a.argc) {
            a.argc = 0;
            a.types = "";
        }
    }
    int v[3] = {0, 0, 0};

    if (strcmp(path, "/gbac/note/on") == 0) {
        static const char *const names[] = {"key", "velocity", "channel"};
        static const int lo[] = {0, 0, 0}, hi[] = {127, 127, 15};
        int rc = int_args(h, path, &a, 2, 1, names, lo, hi, v,
                          "'ii' or 'iii' (key, velocity[, channel])", err);
        if (rc)
            return rc;
        midi_event((uint8_t)(0x90 | v[2]), v[0], v[1], act);
        ok(h);
        return 0;
    }
    if (strcmp(path, "/gbac/note/off") == 0) {
        static const char *const names[] = {"key", "channel"};
        static const int lo[] = {0, 0}, hi[] = {127, 15};
        int rc = int_args(h, path, &a, 1, 1, names, lo, hi, v, "'i' or 'ii' (key[, channel])",
                          err);
        if (rc)
            return rc;
        midi_event((uint8_t)(0x80 | v[1]), v[0], 64, act);
        ok(h);
        return 0;
    }
    if (strcmp(path, "/gbac/cc") == 0) {
        static const char *const names[] = {"controller", "value", "channel"};
        static const int lo[] = {0, 0, 0}, hi[] = {127, 127, 15};
        int rc = int_args(h, path, &a, 2, 1, names, lo, hi, v,
                          "'ii' or 'iii' (controller, value[, channel])", err);
        if (rc)
            return rc;
        midi_event((uint8_t)(0xB0 | v[2]), v[0], v[1], act);
        ok(h);
        return 0;
    }
    if (strcmp(path, "/gbac/tempo") == 0) {
        double bpm;
        if (a.argc == 0 && (h->flags & GB_OSC_HF_QUERIES)) {
            memset(act, 0, sizeof *act);
            act->kind = GB_OSC_ACT_QUERY_TEMPO;
            ok(h);
            return 0;
        }
        if (a.argc != 1 || arg_number(&a, 0, &bpm))
            return fail(h, err, GB_EINVAL, "%s: expected one number 'f' (bpm), got '%s'", path,
                        a.types);
        if (!(bpm >= 20.0 && bpm <= 300.0))
            return fail(h, err, GB_ERANGE, "%s: tempo %g bpm out of range 20..300", path, bpm);
        memset(act, 0, sizeof *act);
        act->kind = GB_OSC_ACT_TEMPO;
        act->tempo_bpm = bpm;
        ok(h);
        return 0;
    }
    if (strncmp(path, PARAM_PREFIX, sizeof PARAM_PREFIX - 1) == 0) {
        if (strlen(path) >= PATH_MAX_LEN)
            return fail(h, err, GB_EINVAL, "%.100s...: path too long", path);
        const osc_param_t *p = find_param(h, path);
        if (!p)
            return fail(h, err, GB_EINVAL,
                        "%s: unknown parameter '%s' (the path is /gbac/param/SLOT/NAME with a "
                        "slot of the preset's rack)", path, path + sizeof PARAM_PREFIX - 1);
        if (a.argc == 0 && (h->flags & GB_OSC_HF_QUERIES)) {
            memset(act, 0, sizeof *act);
            act->kind = GB_OSC_ACT_QUERY_PARAM;
            act->ev.type = GBP_EV_PARAM;
            act->ev.id = (uint32_t)p->handle;
            ok(h);
            return 0;
        }
        double val;
        if (a.argc != 1 || arg_number(&a, 0, &val))
            return fail(h, err, GB_EINVAL, "%s: expected one number 'f' (%g..%g), got '%s'",
                        path, p->min, p->max, a.types);
        if (!isfinite(val))
            return fail(h, err, GB_ERANGE, "%s: value is not finite", path);
        if (p->flags & GBP_PARAM_READONLY)
            return fail(h, err, GB_EINVAL, "%s: the parameter is read-only", path);
        if ((h->flags & GB_OSC_HF_STRICT) && (val < p->min || val > p->max))
            return fail(h, err, GB_ERANGE, "%s: value %g out of range %g..%g", path, val,
                        p->min, p->max);
        if (val < p->min)
            val = p->min;
        if (val > p->max)
            val = p->max;
        if (p->flags & GBP_PARAM_STEPPED)
            val = floor(val + 0.5);
        memset(act, 0, sizeof *act);
        act->kind = GB_OSC_ACT_EVENT;
        act->ev.type = GBP_EV_PARAM;
        act->ev.source = GBP_SOURCE_HUMAN;
        act->ev.id = (uint32_t)p->handle;
        act->ev.value = (float)val;
        ok(h);
        return 0;
    }
    return fail(h, err, GB_EINVAL,
                "%s: unknown OSC path (known: /gbac/note/on, /gbac/note/off, /gbac/cc, "
                "/gbac/tempo, /gbac/param/SLOT/NAME)", path);
}
