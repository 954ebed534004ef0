/* gb_osc_server.c — the live OSC control surface (see gb_osc_server.h, docs/osc.md).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One liblo UDP server with a single catch-all method: liblo parses packets, we check the
 * sender first and hand the message to the path table (gb_osc_dispatch), so the namespace
 * lives in one place and an unknown path gets an error reply rather than silence. This file
 * is the liblo front end: access control, the peer that carries replies back over UDP,
 * subscriptions and feedback. Everything that can grow is fixed in size: subscriber table,
 * learn client. */
#include "gb_osc_server.h"

#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gb_osc_lo.h"

#define HOST_MAX 64

typedef struct subscriber {
    int used;
    unsigned flags; /* GB_OSC_SUB_* */
    char host[HOST_MAX];
    int port;
    lo_address addr;
    double last_meter;    /* monotonic seconds of the last meter sent, or -1 */
    float hold_l, hold_r; /* peaks since the last meter sent (linear) */
    int budget;           /* feedback messages left until the next poll */
} subscriber_t;

struct gb_osc_server {
    gb_osc_server_config_t cfg;
    char preset_dir[PATH_MAX];
    char session_dir[PATH_MAX];
    char model_dir[PATH_MAX];
    gb_live_stats_t own_stats;
    gb_live_stats_t *stats;
    lo_server srv;
    int port;
    gb_osc_handlers_t *h;
    int stale; /* the engine changed: rebuild h before using it */
    subscriber_t subs[GB_OSC_MAX_SUBSCRIBERS];
    char learn_host[HOST_MAX]; /* who armed MIDI learn last: gets /gbac/learned too */
    int learn_port;
    lo_address learn_addr;
    uint64_t xruns_seen;
    int n_handled; /* messages in the current poll */
};

/* The sender of the message being handled, as the handlers' peer sees it. */
typedef struct sender {
    gb_osc_server_t *s;
    lo_address from;
    const char *host;
    int port;
} sender_t;

/* liblo's error handler has no user pointer: the server being polled on this thread (to
 * count packets liblo could not parse) and the last error text (for gb_osc_server_new). */
static _Thread_local gb_osc_server_t *tl_polling;
static _Thread_local char tl_lo_error[256];

static void lo_error_handler(int num, const char *msg, const char *where)
{
    snprintf(tl_lo_error, sizeof tl_lo_error, "%s%s%s (liblo error %d)", msg ? msg : "?",
             where ? " at " : "", where ? where : "", num);
    if (tl_polling) {
        atomic_fetch_add_explicit(&tl_polling->stats->osc_errors, 1, memory_order_relaxed);
        tl_polling->n_handled++;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void count(atomic_uint_fast64_t *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* The handlers for the engine running now. */
static gb_osc_handlers_t *handlers(gb_osc_server_t *s)
{
    if (s->stale || !s->h) {
        gb_osc_handlers_t *h = gb_osc_handlers_new(&s->cfg.host, NULL);
        if (h) {
            gb_osc_handlers_set_flags(h, GB_OSC_HF_STRICT | GB_OSC_HF_QUERIES);
            gb_osc_handlers_free(s->h);
            s->h = h;
            s->stale = 0;
        }
    }
    return s->h;
}

/* ---------------------------------------------------------------- subscribers */

static int n_subscribers(const gb_osc_server_t *s)
{
    int n = 0;
    for (int i = 0; i < GB_OSC_MAX_SUBSCRIBERS; i++)
        n += s->subs[i].used;
    return n;
}

static subscriber_t *find_sub(gb_osc_server_t *s, const char *host, int port)
{
    for (int i = 0; i < GB_OSC_MAX_SUBSCRIBERS; i++)
        if (s->subs[i].used && s->subs[i].port == port && strcmp(s->subs[i].host, host) == 0)
            return &s->subs[i];
    return NULL;
}

static void send_msg(gb_osc_server_t *s, lo_address to, const char *path, lo_message m)
{
    if (to && m)
        lo_send_message_from(to, s->srv, path, m);
}

/* Send m to every subscriber with all of `flags` and budget left; the others with the flags
 * count a dropped feedback. `except` (may be NULL) is skipped: it has its copy already. */
static void broadcast(gb_osc_server_t *s, const char *path, lo_message m, unsigned flags,
                      const subscriber_t *except)
{
    for (int i = 0; i < GB_OSC_MAX_SUBSCRIBERS; i++) {
        subscriber_t *sub = &s->subs[i];
        if (!sub->used || (sub->flags & flags) != flags || sub == except)
            continue;
        if (sub->budget <= 0) {
            count(&s->stats->fb_dropped);
            continue;
        }
        sub->budget--;
        send_msg(s, sub->addr, path, m);
    }
}

static void update_subscribers(gb_osc_server_t *s)
{
    atomic_store_explicit(&s->stats->subscribers, (uint_fast64_t)n_subscribers(s),
                          memory_order_relaxed);
}

static int sub_port(const sender_t *who, int port, gb_error_t *err)
{
    port = port ? port : who->port;
    if (!who->host || strlen(who->host) >= HOST_MAX || port <= 0)
        return gb_error_set(err, GB_EINVAL, "the sender's address is unusable");
    return port;
}

static int peer_subscribe(void *ctx, int port, unsigned flags, gb_error_t *err)
{
    sender_t *who = ctx;
    gb_osc_server_t *s = who->s;
    if ((port = sub_port(who, port, err)) < 0)
        return port;
    subscriber_t *sub = find_sub(s, who->host, port);
    for (int i = 0; i < GB_OSC_MAX_SUBSCRIBERS && !sub; i++)
        if (!s->subs[i].used)
            sub = &s->subs[i];
    if (!sub)
        return gb_error_set(err, GB_ERANGE, "/gbac/subscribe: %d subscribers already (the most "
                            "there can be); ask one to send /gbac/unsubscribe",
                            GB_OSC_MAX_SUBSCRIBERS);
    if (!sub->used) {
        char ps[16];
        snprintf(ps, sizeof ps, "%d", port);
        lo_address a = lo_address_new(who->host, ps);
        if (!a)
            return gb_error_set(err, GB_EIO, "/gbac/subscribe: cannot address %s:%d",
                                who->host, port);
        memset(sub, 0, sizeof *sub);
        sub->used = 1;
        snprintf(sub->host, sizeof sub->host, "%s", who->host);
        sub->port = port;
        sub->addr = a;
        sub->last_meter = -1.0;
        sub->budget = GB_OSC_FB_BUDGET;
    }
    sub->flags = flags;
    update_subscribers(s);
    return port;
}

static int peer_unsubscribe(void *ctx, int port, gb_error_t *err)
{
    sender_t *who = ctx;
    if ((port = sub_port(who, port, err)) < 0)
        return port;
    subscriber_t *sub = find_sub(who->s, who->host, port);
    if (!sub)
        return gb_error_set(err, GB_EINVAL, "/gbac/unsubscribe: %s:%d is not subscribed",
                            who->host, port);
    lo_address_free(sub->addr);
    memset(sub, 0, sizeof *sub);
    update_subscribers(who->s);
    return port;
}

/* ---------------------------------------------------------------- the peer */

static void peer_reply(void *ctx, const char *path, const char *types, const gb_osc_arg_t *argv)
{
    sender_t *who = ctx;
    lo_message m = gb_osc_lo_build(types, argv);
    send_msg(who->s, who->from, path, m);
    if (m)
        lo_message_free(m);
}

static void peer_learn_armed(void *ctx)
{
    sender_t *who = ctx;
    gb_osc_server_t *s = who->s;
    const char *ps = lo_address_get_port(who->from);
    if (!who->host || !ps || strlen(who->host) >= HOST_MAX ||
        (s->learn_addr && strcmp(who->host, s->learn_host) == 0 && who->port == s->learn_port))
        return;
    lo_address a = lo_address_new(who->host, ps);
    if (!a)
        return;
    if (s->learn_addr)
        lo_address_free(s->learn_addr);
    s->learn_addr = a;
    snprintf(s->learn_host, sizeof s->learn_host, "%s", who->host);
    s->learn_port = who->port;
}

/* /gbac/error s s PATH MESSAGE to the sender and to the subscribers that asked for errors.
 * An incoming /gbac/error is never answered, so two servers (or a misrouted reply) cannot
 * ping-pong errors forever. */
static void send_error(gb_osc_server_t *s, const sender_t *who, const char *path,
                       const char *text)
{
    if (strcmp(path, "/gbac/error") == 0)
        return;
    char p[201];
    snprintf(p, sizeof p, "%s", path);
    lo_message m = lo_message_new();
    if (!m)
        return;
    lo_message_add_string(m, p);
    lo_message_add_string(m, text);
    send_msg(s, who->from, "/gbac/error", m);
    broadcast(s, "/gbac/error", m, GB_OSC_SUB_ERRORS, find_sub(s, who->host, who->port));
    lo_message_free(m);
}

/* ---------------------------------------------------------------- dispatch */

void gb_osc_server_dispatch(gb_osc_server_t *s, const char *path, lo_message msg,
                            lo_address from)
{
    if (!s)
        return;
    s->n_handled++;
    /* Access control first: a refused sender gets nothing, not even an error. */
    const char *host = from ? lo_address_get_hostname(from) : NULL;
    if (!from || !gb_osc_sender_allowed(s->cfg.allow, s->cfg.n_allow, host)) {
        count(&s->stats->osc_refused);
        return;
    }
    const char *ps = lo_address_get_port(from);
    sender_t who = {s, from, host, ps ? atoi(ps) : 0};
    const gb_osc_peer_t peer = {.ctx = &who, .reply = peer_reply, .subscribe = peer_subscribe,
                                .unsubscribe = peer_unsubscribe,
                                .learn_armed = peer_learn_armed,
                                .max_string = GB_OSC_SCHEMA_CHUNK};
    char types[GB_OSC_MAX_ARGS + 1];
    gb_osc_arg_t argv[GB_OSC_MAX_ARGS];
    gb_osc_msg_t m;
    gb_error_t err = {0};
    gb_osc_handlers_t *h = handlers(s);
    int rc;
    if (!path || path[0] != '/')
        rc = gb_error_set(&err, GB_EINVAL, "OSC: invalid path");
    else if (gb_osc_lo_msg(path, msg, &m, types, argv) != GB_OK)
        rc = gb_error_set(&err, GB_EINVAL, "%.100s: more than %d arguments, or malformed ones",
                          path, GB_OSC_MAX_ARGS);
    else if (!h)
        rc = gb_error_set(&err, GB_ENOMEM, "%.100s: the namespace is not available (out of "
                          "memory)", path);
    else
        rc = gb_osc_dispatch(h, &m, &peer, &err);
    if (rc == GB_OK) {
        count(&s->stats->osc_messages);
        return;
    }
    count(rc == GB_OSC_DROPPED ? &s->stats->osc_dropped : &s->stats->osc_errors);
    send_error(s, &who, path && path[0] == '/' ? path : "/", err.msg);
}

/* ---------------------------------------------------------------- the server */

gb_osc_server_config_t gb_osc_server_config_default(void)
{
    gb_osc_server_config_t c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    c.port = GB_OSC_DEFAULT_PORT;
    return c;
}

static int generic_handler(const char *path, const char *types, lo_arg **argv, int argc,
                           lo_message msg, void *user)
{
    (void)types;
    (void)argv;
    (void)argc;
    gb_osc_server_t *s = user;
    gb_osc_server_dispatch(s, path, msg, lo_message_get_source(msg));
    return 0;
}

static int check_config(const gb_osc_server_config_t *cfg, gb_error_t *err)
{
    if (!cfg || cfg->struct_size != sizeof *cfg)
        return gb_error_set(err, GB_EINVAL, "OSC server: config struct_size mismatch (use "
                            "gb_osc_server_config_default())");
    if (cfg->port < 0 || cfg->port > 65535)
        return gb_error_set(err, GB_EINVAL, "OSC server: port %d out of range 0..65535",
                            cfg->port);
    if (cfg->n_allow < 0 || cfg->n_allow > GB_OSC_MAX_ALLOW)
        return gb_error_set(err, GB_EINVAL, "OSC server: %d allowed networks (at most %d)",
                            cfg->n_allow, GB_OSC_MAX_ALLOW);
    for (int i = 0; i < cfg->n_allow; i++)
        if (cfg->allow[i].prefix < 0 || cfg->allow[i].prefix > 32)
            return gb_error_set(err, GB_EINVAL, "OSC server: allowed network %d has prefix %d "
                                "(0..32)", i, cfg->allow[i].prefix);
    return GB_OK;
}

/* Keep copies of the folder names the handlers confine file names to. */
static void copy_dirs(gb_osc_server_t *s)
{
    gb_osc_host_t *h = &s->cfg.host;
    snprintf(s->preset_dir, sizeof s->preset_dir, "%s", h->preset_dir ? h->preset_dir : "");
    snprintf(s->session_dir, sizeof s->session_dir, "%s", h->session_dir ? h->session_dir : "");
    snprintf(s->model_dir, sizeof s->model_dir, "%s", h->model_dir ? h->model_dir : "");
    h->preset_dir = s->preset_dir;
    h->session_dir = s->session_dir;
    h->model_dir = s->model_dir;
}

gb_osc_server_t *gb_osc_server_new(const gb_osc_server_config_t *cfg, gb_error_t *err)
{
    if (check_config(cfg, err) != GB_OK)
        return NULL;
    gb_osc_server_t *s = calloc(1, sizeof *s);
    if (!s) {
        gb_error_set(err, GB_ENOMEM, "OSC server: out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    copy_dirs(s);
    s->stats = cfg->host.stats ? cfg->host.stats : &s->own_stats;
    s->cfg.host.stats = s->stats;
    s->xruns_seen = atomic_load_explicit(&s->stats->xruns, memory_order_relaxed);
    update_subscribers(s);
    char port[16];
    snprintf(port, sizeof port, "%d", cfg->port);
    tl_lo_error[0] = '\0';
    s->srv = lo_server_new_with_proto(cfg->port ? port : NULL, LO_UDP, lo_error_handler);
    if (!s->srv) {
        gb_error_set(err, GB_EIO, "OSC server: cannot open UDP port %d: %s (another program "
                     "may use it; choose another with --osc-port)", cfg->port,
                     tl_lo_error[0] ? tl_lo_error : "unknown error");
        free(s);
        return NULL;
    }
    /* Bundles with a future time tag are dispatched at once: liblo's queue for them would
     * grow with traffic. */
    lo_server_enable_queue(s->srv, 0, 1);
    s->port = lo_server_get_port(s->srv);
    lo_server_add_method(s->srv, NULL, NULL, generic_handler, s);
    if (!handlers(s)) {
        gb_error_set(err, GB_ENOMEM, "OSC server: out of memory");
        gb_osc_server_free(s);
        return NULL;
    }
    return s;
}

void gb_osc_server_free(gb_osc_server_t *s)
{
    if (!s)
        return;
    for (int i = 0; i < GB_OSC_MAX_SUBSCRIBERS; i++)
        if (s->subs[i].addr)
            lo_address_free(s->subs[i].addr);
    if (s->learn_addr)
        lo_address_free(s->learn_addr);
    if (s->srv)
        lo_server_free(s->srv);
    gb_osc_handlers_free(s->h);
    free(s);
}

int gb_osc_server_port(const gb_osc_server_t *s)
{
    return s ? s->port : -1;
}

void gb_osc_server_engine_changed(gb_osc_server_t *s)
{
    if (s)
        s->stale = 1;
}

/* ---------------------------------------------------------------- poll and feedback */

static void check_xruns(gb_osc_server_t *s)
{
    uint64_t x = atomic_load_explicit(&s->stats->xruns, memory_order_relaxed);
    if (x == s->xruns_seen)
        return;
    s->xruns_seen = x;
    if (!n_subscribers(s))
        return;
    lo_message m = lo_message_new();
    if (!m)
        return;
    lo_message_add_int32(m, x > INT32_MAX ? INT32_MAX : (int32_t)x);
    broadcast(s, "/gbac/xrun", m, 0, NULL);
    lo_message_free(m);
}

int gb_osc_server_poll(gb_osc_server_t *s, int timeout_ms, int max_msgs)
{
    if (!s || max_msgs <= 0)
        return 0;
    for (int i = 0; i < GB_OSC_MAX_SUBSCRIBERS; i++)
        s->subs[i].budget = GB_OSC_FB_BUDGET;
    check_xruns(s);
    s->n_handled = 0;
    tl_polling = s;
    int wait = timeout_ms > 0 ? timeout_ms : 0;
    for (int packets = 0; packets < max_msgs && s->n_handled < max_msgs; packets++) {
        /* 0: nothing came; < 0: a packet liblo could not parse (counted by the error
         * handler): go on with the next one. */
        if (lo_server_recv_noblock(s->srv, wait) == 0)
            break;
        wait = 0;
    }
    tl_polling = NULL;
    return s->n_handled;
}

static float dbfs(float peak)
{
    return peak > 1e-6f ? 20.0f * log10f(peak) : -120.0f;
}

/* Meters: peaks held per subscriber, sent at most every GB_OSC_METER_INTERVAL_MS. */
static void feedback_meter(gb_osc_server_t *s, const gb_live_fb_t *fb)
{
    const double t = now_s();
    const float l = isfinite(fb->peak_l) ? fabsf(fb->peak_l) : 0.0f;
    const float r = isfinite(fb->peak_r) ? fabsf(fb->peak_r) : 0.0f;
    for (int i = 0; i < GB_OSC_MAX_SUBSCRIBERS; i++) {
        subscriber_t *sub = &s->subs[i];
        if (!sub->used)
            continue;
        sub->hold_l = l > sub->hold_l ? l : sub->hold_l;
        sub->hold_r = r > sub->hold_r ? r : sub->hold_r;
        if (sub->last_meter >= 0.0 && t - sub->last_meter < GB_OSC_METER_INTERVAL_MS * 1e-3)
            continue;
        lo_message m = lo_message_new();
        if (!m)
            return;
        lo_message_add_float(m, dbfs(sub->hold_l));
        lo_message_add_float(m, dbfs(sub->hold_r));
        lo_message_add_float(m, isfinite(fb->dsp_load) ? fb->dsp_load : 0.0f);
        send_msg(s, sub->addr, "/gbac/meter", m);
        lo_message_free(m);
        sub->last_meter = t;
        sub->hold_l = sub->hold_r = 0.0f;
    }
}

static void feedback_param(gb_osc_server_t *s, const gb_live_fb_t *fb)
{
    const char *path = gb_osc_handlers_handle_path(handlers(s), fb->handle);
    lo_message m = path ? lo_message_new() : NULL;
    if (!m)
        return;
    lo_message_add_float(m, fb->value);
    broadcast(s, path, m, 0, NULL);
    lo_message_free(m);
}

static void feedback_note(gb_osc_server_t *s, const gb_live_fb_t *fb)
{
    int vel;
    if (fb->ev.type == GBP_EV_NOTE_ON) {
        float v = fb->ev.value * 127.0f;
        vel = !(v >= 1.0f) ? 1 : v >= 127.0f ? 127 : (int)lrintf(v);
    } else if (fb->ev.type == GBP_EV_NOTE_OFF) {
        vel = 0;
    } else {
        return;
    }
    lo_message m = lo_message_new();
    if (!m)
        return;
    lo_message_add_int32(m, fb->ev.key & 127);
    lo_message_add_int32(m, vel);
    lo_message_add_int32(m, fb->ev.channel & 15);
    broadcast(s, "/gbac/note/generated", m, 0, NULL);
    lo_message_free(m);
}

/* MIDI learn mapped a CC: subscribers, and the client that armed learn if not one of them. */
static void feedback_learned(gb_osc_server_t *s, const gb_live_fb_t *fb)
{
    const char *path = gb_osc_handlers_handle_path(handlers(s), fb->handle);
    lo_message m = lo_message_new();
    if (!m)
        return;
    lo_message_add_string(m, path ? path : "");
    lo_message_add_int32(m, fb->cc);
    broadcast(s, "/gbac/learned", m, 0, NULL);
    if (s->learn_addr && !find_sub(s, s->learn_host, s->learn_port))
        send_msg(s, s->learn_addr, "/gbac/learned", m);
    lo_message_free(m);
}

void gb_osc_server_feedback(gb_osc_server_t *s, const gb_live_fb_t *fb)
{
    if (!s || !fb)
        return;
    check_xruns(s);
    if (!n_subscribers(s) && !(fb->kind == GB_FB_LEARNED && s->learn_addr))
        return;
    switch (fb->kind) {
    case GB_FB_METER: feedback_meter(s, fb); return;
    case GB_FB_PARAM:
    case GB_FB_REPORT: feedback_param(s, fb); return;
    case GB_FB_NOTE: feedback_note(s, fb); return;
    case GB_FB_LEARNED: feedback_learned(s, fb); return;
    default: return;
    }
}

void gb_osc_server_notify(gb_osc_server_t *s, const char *path, const char *text)
{
    if (!s || !path || !n_subscribers(s))
        return;
    lo_message m = lo_message_new();
    if (!m)
        return;
    lo_message_add_string(m, text ? text : "");
    broadcast(s, path, m, 0, NULL);
    lo_message_free(m);
}
