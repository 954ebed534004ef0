/* gb_live_web.c — the live host's browser surface (see gb_live_web.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_live_web.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gb_web_server.h"

struct gb_live_web {
    gb_osc_host_t host;
    gb_web_server_t *srv;
    gb_osc_handlers_t *h;
    int stale;              /* the engine changed: rebuild h before the next message */
    char take[256];         /* the recording posted last ("" none) */
    double take_posted;     /* monotonic seconds of the last record post */
};

/* One page message being served: where its replies go. */
typedef struct web_peer {
    gb_live_web_t *w;
    uint32_t client;
    long long id;
} web_peer_t;

static double mono_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void post(gb_live_web_t *w, const char *key, const char *path, const char *types,
                 const gb_osc_arg_t *argv)
{
    gb_web_server_post(w->srv, key, gb_web_msg_format(-1, path, types, argv));
}

static gb_osc_handlers_t *handlers(gb_live_web_t *w)
{
    if (w->stale || !w->h) {
        gb_error_t err = {0};
        gb_osc_handlers_t *h = gb_osc_handlers_new(&w->host, &err);
        if (!h)
            return w->h; /* keep the old ones; out of memory */
        gb_osc_handlers_set_flags(h, GB_OSC_HF_QUERIES);
        gb_osc_handlers_free(w->h);
        w->h = h;
        w->stale = 0;
    }
    return w->h;
}

/* Every parameter's value now, keyed by its path, then the schema (keyed /gbac/schema, as
 * the reply to /gbac/schema reads): a page builds its controls from it with every value known,
 * without asking (no round trip after a preset load). */
static void post_params(gb_live_web_t *w)
{
    gb_osc_handlers_t *h = handlers(w);
    const gb_engine_t *e = w->host.engine ? w->host.engine(w->host.ctx) : NULL;
    for (int i = 0; e && i < gb_osc_handlers_param_count(h); i++) {
        const char *p = gb_osc_handlers_param_path(h, i);
        gb_osc_arg_t a = {.type = 'f',
                          .v.f = gb_engine_param_get(e, gb_osc_handlers_param_handle(h, p))};
        post(w, p, p, "f", &a);
    }
    gb_osc_arg_t schema = {.type = 's', .v.s = h ? gb_osc_handlers_schema(h) : "{}"};
    post(w, "/gbac/schema", "/gbac/schema", "s", &schema);
}

static void peer_reply(void *ctx, const char *path, const char *types, const gb_osc_arg_t *argv)
{
    web_peer_t *p = ctx;
    gb_web_server_send(p->w->srv, p->client, gb_web_msg_format(p->id, path, types, argv));
}

gb_live_web_t *gb_live_web_new(const gb_osc_host_t *host, int port, const gb_cidr_t *allow,
                               int n_allow, const char *doc_root, gb_error_t *err)
{
    gb_live_web_t *w = calloc(1, sizeof *w);
    if (!w) {
        gb_error_set(err, GB_ENOMEM, "out of memory");
        return NULL;
    }
    w->host = *host;
    gb_web_server_config_t c = gb_web_server_config_default();
    c.port = port;
    c.n_allow = n_allow > GB_WEB_MAX_ALLOW ? GB_WEB_MAX_ALLOW : n_allow;
    for (int i = 0; i < c.n_allow; i++)
        c.allow[i] = allow[i];
    c.doc_root = doc_root;
    c.stats = host->stats;
    c.rated_keys = "/gbac/meter"; /* at most 30 a second; every change goes at once */
    w->srv = gb_web_server_new(&c, err);
    if (!w->srv || !handlers(w)) {
        if (w->srv && err)
            gb_error_set(err, GB_ENOMEM, "web server: out of memory");
        gb_live_web_free(w);
        return NULL;
    }
    post_params(w);
    fprintf(stderr, "gbac: web page at http://127.0.0.1:%d/%s\n", gb_web_server_port(w->srv),
            n_allow ? " (other hosts: add ?token=TOKEN)" : "");
    fprintf(stderr, "token=%s\n", gb_web_server_token(w->srv));
    return w;
}

void gb_live_web_free(gb_live_web_t *w)
{
    if (!w)
        return;
    gb_web_server_free(w->srv);
    gb_osc_handlers_free(w->h);
    free(w);
}

int gb_live_web_port(const gb_live_web_t *w)
{
    return w ? gb_web_server_port(w->srv) : -1;
}

const char *gb_live_web_token(const gb_live_web_t *w)
{
    return w ? gb_web_server_token(w->srv) : NULL;
}

/* One message from a page through the path table; a refused one gets /gbac/error PATH
 * MESSAGE, as an OSC sender does. */
static void serve(gb_live_web_t *w, const gb_web_in_t *in)
{
    gb_osc_arg_t argv[GB_OSC_MAX_ARGS];
    gb_osc_msg_t m;
    gb_web_msg_view(&in->msg, &m, argv);
    web_peer_t p = {w, in->client, in->msg.id};
    gb_osc_peer_t peer = {.ctx = &p, .reply = peer_reply};
    gb_error_t err = {0};
    const int rc = gb_osc_dispatch(handlers(w), &m, &peer, &err);
    gb_live_stats_t *st = w->host.stats;
    if (rc == GB_OK) {
        if (st)
            atomic_fetch_add_explicit(&st->http_messages, 1, memory_order_relaxed);
        return;
    }
    if (st)
        atomic_fetch_add_explicit(&st->http_errors, 1, memory_order_relaxed);
    gb_osc_arg_t e[2] = {{.type = 's', .v.s = m.path}, {.type = 's', .v.s = err.msg}};
    peer_reply(&p, "/gbac/error", "ss", e);
}

void gb_live_web_poll(gb_live_web_t *w, int max)
{
    if (!w)
        return;
    for (int i = 0; i < max; i++) {
        gb_web_in_t *in = gb_web_server_recv(w->srv);
        if (!in)
            return;
        if (in->kind == GB_WEB_MSG)
            serve(w, in);
        gb_web_in_free(in);
    }
}

static float dbfs(float peak)
{
    return peak > 1e-6f && isfinite(peak) ? 20.0f * log10f(peak) : -120.0f;
}

static void post_meter(gb_live_web_t *w, const gb_live_fb_t *fb)
{
    uint64_t xr = w->host.stats ? atomic_load(&w->host.stats->xruns) : 0;
    gb_osc_arg_t a[5] = {{.type = 'f', .v.f = dbfs(fb->peak_l)},
                         {.type = 'f', .v.f = dbfs(fb->peak_r)},
                         {.type = 'f', .v.f = isfinite(fb->dsp_load) ? fb->dsp_load : 0.0f},
                         {.type = 'i', .v.i = fb->voices},
                         {.type = 'h', .v.h = (int64_t)xr}};
    post(w, "/gbac/meter", "/gbac/meter", "fffih", a);
}

/* A note: the performer's (source 0) or a note source's, with its slot name. */
static void post_note(gb_live_web_t *w, const gb_live_fb_t *fb, const char *path)
{
    int vel = 0;
    if (fb->ev.type == GBP_EV_NOTE_ON) {
        const float v = fb->ev.value * 127.0f;
        vel = !(v >= 1.0f) ? 1 : v >= 127.0f ? 127 : (int)lrintf(v);
    } else if (fb->ev.type != GBP_EV_NOTE_OFF) {
        return;
    }
    gb_osc_arg_t a[4] = {{.type = 'i', .v.i = fb->ev.key & 127},
                         {.type = 'i', .v.i = vel},
                         {.type = 'i', .v.i = fb->ev.channel & 15},
                         {.type = 'i', .v.i = fb->ev.source}};
    post(w, NULL, path, "iiii", a);
}

void gb_live_web_feedback(gb_live_web_t *w, const gb_live_fb_t *fb)
{
    if (!w || !fb)
        return;
    const char *path = NULL;
    if (fb->kind == GB_FB_PARAM || fb->kind == GB_FB_REPORT || fb->kind == GB_FB_LEARNED)
        path = gb_osc_handlers_handle_path(handlers(w), fb->handle);
    switch (fb->kind) {
    case GB_FB_METER: post_meter(w, fb); return;
    case GB_FB_NOTE: post_note(w, fb, "/gbac/note/generated"); return;
    case GB_FB_PLAYED: post_note(w, fb, "/gbac/note/played"); return;
    case GB_FB_PARAM:
    case GB_FB_REPORT:
        if (path) {
            gb_osc_arg_t a = {.type = 'f', .v.f = fb->value};
            post(w, path, path, "f", &a);
            if (fb->kind == GB_FB_REPORT) { /* each report (a bar's score) is an event */
                gb_osc_arg_t r[2] = {{.type = 's', .v.s = path}, a};
                post(w, NULL, "/gbac/report", "sf", r);
            }
        }
        return;
    case GB_FB_LEARNED: {
        gb_osc_arg_t a[2] = {{.type = 's', .v.s = path ? path : ""},
                             {.type = 'i', .v.i = fb->cc}};
        post(w, NULL, "/gbac/learned", "si", a);
        return;
    }
    default: return;
    }
}

void gb_live_web_command(gb_live_web_t *w, const gb_live_cmd_t *cmd)
{
    if (!w || cmd->kind != GB_CMD_EVENT || cmd->ev.type != GBP_EV_PARAM)
        return;
    const char *path = gb_osc_handlers_handle_path(handlers(w), cmd->handle);
    if (!path)
        return;
    gb_osc_arg_t a = {.type = 'f', .v.f = cmd->value};
    post(w, path, path, "f", &a);
}

void gb_live_web_engine_changed(gb_live_web_t *w)
{
    if (!w)
        return;
    w->stale = 1;
    gb_web_server_forget(w->srv, "/gbac/param/");
    post(w, NULL, "/web/engine", "", NULL);
    post_params(w);
}

void gb_live_web_record(gb_live_web_t *w, const char *take, double seconds)
{
    if (!w)
        return;
    const char *t = take ? take : "";
    const double now = mono_s();
    if (strcmp(t, w->take) == 0 && (!*t || now - w->take_posted < 1.0))
        return;
    snprintf(w->take, sizeof w->take, "%s", t);
    w->take_posted = now;
    gb_osc_arg_t a[2] = {{.type = 's', .v.s = t}, {.type = 'd', .v.d = seconds}};
    post(w, "/gbac/record", "/gbac/record", "sd", a);
}
