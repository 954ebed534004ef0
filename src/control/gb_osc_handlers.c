/* gb_osc_handlers.c — the handlers object and dispatch through the path table (see
 * gb_osc_handlers.h); the helpers the handler files share (gb_osc_impl.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_osc_impl.h"

static int cmp_param(const void *a, const void *b)
{
    return strcmp(((const gb_osc_param_t *)a)->path, ((const gb_osc_param_t *)b)->path);
}

/* The engine's parameters as paths, handles and ranges, sorted by path. */
static int copy_params(gb_osc_handlers_t *h, const gb_engine_t *e)
{
    const int n = e ? gb_engine_param_count(e) : 0;
    if (n > 0 && !(h->params = calloc((size_t)n, sizeof *h->params)))
        return GB_ENOMEM;
    for (int i = 0; i < n; i++) {
        const int32_t handle = gb_engine_param_handle(e, i);
        const char *slot = NULL;
        const gbp_param_info_t *info = NULL;
        if (handle < 0 || gb_engine_param_info(e, handle, &slot, &info) < 0 || !slot ||
            !info || !info->name)
            continue;
        gb_osc_param_t *p = &h->params[h->n_params];
        int len = snprintf(p->path, sizeof p->path, GB_OSC_PARAM_PREFIX "%s/%s", slot,
                           info->name);
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
    return GB_OK;
}

gb_osc_handlers_t *gb_osc_handlers_new(const gb_osc_host_t *host, gb_error_t *err)
{
    gb_osc_handlers_t *h = calloc(1, sizeof *h);
    if (!h) {
        gb_error_set(err, GB_ENOMEM, "OSC handlers: out of memory");
        return NULL;
    }
    if (host)
        h->host = *host;
    atomic_init(&h->n_ok, 0);
    atomic_init(&h->n_err, 0);
    const gb_engine_t *e = gb_osc_engine(h);
    if (copy_params(h, e) != GB_OK || !(h->schema = gb_osc_schema_text(e, JSON_COMPACT))) {
        gb_osc_handlers_free(h);
        gb_error_set(err, GB_ENOMEM, "OSC handlers: out of memory");
        return NULL;
    }
    return h;
}

void gb_osc_handlers_free(gb_osc_handlers_t *h)
{
    if (!h)
        return;
    free(h->params);
    free(h->schema);
    free(h);
}

void gb_osc_handlers_set_flags(gb_osc_handlers_t *h, unsigned flags)
{
    if (h)
        h->flags = flags;
}

/* ---------------------------------------------------------------- dispatch */

static int refused(gb_osc_handlers_t *h, int rc)
{
    atomic_fetch_add_explicit(&h->n_err, 1, memory_order_relaxed);
    return rc;
}

int gb_osc_dispatch(gb_osc_handlers_t *h, const gb_osc_msg_t *msg, const gb_osc_peer_t *peer,
                    gb_error_t *err)
{
    if (!h || !msg)
        return gb_error_set(err, GB_EINVAL, "OSC: no handlers or no message");
    const char *path = msg->path;
    if (!path || path[0] != '/')
        return refused(h, gb_osc_fail(err, GB_EINVAL, "OSC: invalid path '%.100s'",
                                      path ? path : "(null)"));
    const char *types = msg->types ? msg->types : "";
    if (msg->argc < 0 || (msg->argc > 0 && !msg->argv) || (int)strlen(types) != msg->argc)
        return refused(h, gb_osc_fail(err, GB_EINVAL, "%.100s: malformed arguments", path));
    const gb_osc_method_t *m = gb_osc_method_find(path);
    if (!m)
        return refused(h, gb_osc_fail(err, GB_EINVAL, "%.100s: unknown OSC path (send "
                                      "/gbac/schema for the namespace, or see docs/osc.md)",
                                      path));
    if ((h->flags & GB_OSC_HF_SCORE) && !(m->flags & GB_OSC_M_SCORE))
        return refused(h, gb_osc_fail(err, GB_EINVAL, "%.100s: not available in a control "
                                      "score (live only)", path));
    if (!gb_osc_types_accepted(m, types))
        return refused(h, gb_osc_fail(err, GB_EINVAL, "%.100s: type tags '%s' are not "
                                      "accepted; expected %s (types %s)", path, types,
                                      m->args ? m->args : "no arguments",
                                      m->types[0] ? m->types : "none"));
    int rc = m->fn(h, msg, peer, err);
    if (rc != GB_OK)
        return refused(h, rc);
    atomic_fetch_add_explicit(&h->n_ok, 1, memory_order_relaxed);
    return GB_OK;
}

/* ---------------------------------------------------------------- queries */

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

const gb_osc_param_t *gb_osc_param_find(const gb_osc_handlers_t *h, const char *path)
{
    gb_osc_param_t key;
    size_t len = path ? strlen(path) : 0;
    if (!h || h->n_params == 0 || !path || len >= sizeof key.path)
        return NULL;
    memcpy(key.path, path, len + 1);
    return bsearch(&key, h->params, (size_t)h->n_params, sizeof *h->params, cmp_param);
}

int32_t gb_osc_handlers_param_handle(const gb_osc_handlers_t *h, const char *path)
{
    const gb_osc_param_t *p = gb_osc_param_find(h, path);
    return p ? p->handle : -1;
}

const char *gb_osc_handlers_handle_path(const gb_osc_handlers_t *h, int32_t handle)
{
    for (int i = 0; h && i < h->n_params; i++)
        if (h->params[i].handle == handle)
            return h->params[i].path;
    return NULL;
}

const char *gb_osc_handlers_schema(const gb_osc_handlers_t *h)
{
    return h ? h->schema : NULL;
}

/* ---------------------------------------------------------------- helpers for handlers */

int gb_osc_fail(gb_error_t *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int gb_osc_arg_number(const gb_osc_msg_t *m, int i, double *out)
{
    if (i < 0 || i >= m->argc)
        return -1;
    const gb_osc_arg_t *a = &m->argv[i];
    switch (a->type) {
    case 'i': *out = a->v.i; return 0;
    case 'h': *out = (double)a->v.h; return 0;
    case 'f': *out = a->v.f; return 0;
    case 'd': *out = a->v.d; return 0;
    default: return -1;
    }
}

int gb_osc_arg_whole(const gb_osc_msg_t *m, int i, const char *name, long lo, long hi,
                     long *out, gb_error_t *err)
{
    double d;
    if (gb_osc_arg_number(m, i, &d))
        return gb_osc_fail(err, GB_EINVAL, "%.100s: %s must be a number", m->path, name);
    if (!isfinite(d) || d != floor(d))
        return gb_osc_fail(err, GB_EINVAL, "%.100s: %s must be a whole number, got %g",
                           m->path, name, d);
    if (d < (double)lo || d > (double)hi)
        return gb_osc_fail(err, GB_ERANGE, "%.100s: %s %.0f out of range %ld..%ld", m->path,
                           name, d, lo, hi);
    *out = (long)d;
    return GB_OK;
}

const char *gb_osc_arg_string(const gb_osc_msg_t *m, int i)
{
    if (i < 0 || i >= m->argc)
        return NULL;
    const gb_osc_arg_t *a = &m->argv[i];
    return (a->type == 's' || a->type == 'S') && a->v.s ? a->v.s : NULL;
}

const gb_engine_t *gb_osc_engine(const gb_osc_handlers_t *h)
{
    return h->host.engine ? h->host.engine(h->host.ctx) : NULL;
}

int gb_osc_send(gb_osc_handlers_t *h, const char *path, const gb_live_cmd_t *cmd,
                gb_error_t *err)
{
    if (!h->host.send)
        return gb_osc_fail(err, GB_EUNSUPPORTED, "%.100s: no audio engine is running to "
                           "receive it", path);
    if (h->host.send(h->host.ctx, cmd) < 0)
        return gb_osc_fail(err, GB_OSC_DROPPED, "%.100s: the command queue to the audio "
                           "thread is full; message dropped (send less often)", path);
    return GB_OK;
}

int gb_osc_send_params(gb_osc_handlers_t *h, const char *path, const int32_t *handles,
                       const float *values, int n, gb_error_t *err)
{
    const gb_engine_t *e = gb_osc_engine(h);
    for (int i = 0; i < n; i++) {
        const gbp_param_info_t *pi = NULL;
        if (!e || gb_engine_param_info(e, handles[i], NULL, &pi) != GB_OK)
            return gb_osc_fail(err, GB_EINVAL, "%.100s: no engine is running", path);
        if (!isfinite(values[i]) || values[i] < pi->min || values[i] > pi->max)
            return gb_osc_fail(err, GB_ERANGE, "%.100s: %s = %g is outside its range %g..%g",
                               path, pi->name, (double)values[i], (double)pi->min,
                               (double)pi->max);
    }
    for (int i = 0; i < n; i++) {
        gb_live_cmd_t c;
        memset(&c, 0, sizeof c);
        c.kind = GB_CMD_EVENT;
        c.ev.type = GBP_EV_PARAM;
        c.ev.source = GBP_SOURCE_HUMAN;
        c.ev.id = (uint32_t)handles[i];
        c.ev.value = values[i];
        c.handle = handles[i];
        c.value = values[i];
        int rc = gb_osc_send(h, path, &c, err);
        if (rc != GB_OK)
            return rc;
    }
    return GB_OK;
}

/* ---------------------------------------------------------------- replies */

void gb_osc_reply(const gb_osc_peer_t *peer, const char *path, const char *types,
                  const gb_osc_arg_t *argv)
{
    if (peer && peer->reply)
        peer->reply(peer->ctx, path, types, argv);
}

void gb_osc_reply_f(const gb_osc_peer_t *peer, const char *path, float v)
{
    gb_osc_arg_t a = {.type = 'f', .v.f = v};
    gb_osc_reply(peer, path, "f", &a);
}

void gb_osc_reply_i(const gb_osc_peer_t *peer, const char *path, int32_t v)
{
    gb_osc_arg_t a = {.type = 'i', .v.i = v};
    gb_osc_reply(peer, path, "i", &a);
}

void gb_osc_reply_s(const gb_osc_peer_t *peer, const char *path, const char *v)
{
    gb_osc_arg_t a = {.type = 's', .v.s = v};
    gb_osc_reply(peer, path, "s", &a);
}
