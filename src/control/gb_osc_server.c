/* gb_osc_server.c — the live OSC control surface (see gb_osc_server.h, docs/osc.md).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One liblo UDP server with a single catch-all method: liblo parses packets, we check the
 * sender first and dispatch the path ourselves, so the namespace lives in one place (here and
 * gb_osc_handlers.c) and an unknown path gets an error reply rather than silence. Everything
 * that can grow is fixed in size: subscriber table, learn client, status buffer; the schema
 * text is rebuilt only when the engine changes. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* realpath */
#endif
#include "gb_osc_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "gb_osc_handlers.h"

#define HOST_MAX 64

typedef struct subscriber {
    int used;
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
    char *schema; /* compact JSON for /gbac/schema */
    size_t schema_len;
    subscriber_t subs[GB_OSC_MAX_SUBSCRIBERS];
    char learn_host[HOST_MAX]; /* who armed MIDI learn last: gets /gbac/learned too */
    int learn_port;
    lo_address learn_addr;
    uint64_t xruns_seen;
    int n_handled; /* messages in the current poll */
    char buf[GB_OSC_REPLY_MAX];
};

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

/* ---------------------------------------------------------------- CIDR */

int gb_cidr_parse(const char *str, gb_cidr_t *out)
{
    if (!str || !out)
        return GB_EINVAL;
    char ip[32];
    const char *slash = strchr(str, '/');
    size_t n = slash ? (size_t)(slash - str) : strlen(str);
    if (n == 0 || n >= sizeof ip)
        return GB_EINVAL;
    memcpy(ip, str, n);
    ip[n] = '\0';
    struct in_addr a;
    if (inet_pton(AF_INET, ip, &a) != 1)
        return GB_EINVAL;
    int prefix = 32;
    if (slash) {
        const char *p = slash + 1;
        if (*p < '0' || *p > '9')
            return GB_EINVAL;
        prefix = 0;
        for (; *p; p++) {
            if (*p < '0' || *p > '9' || prefix > 32)
                return GB_EINVAL;
            prefix = prefix * 10 + (*p - '0');
        }
        if (prefix > 32 || strlen(slash + 1) > 2)
            return GB_EINVAL;
    }
    out->addr = ntohl(a.s_addr);
    out->prefix = prefix;
    return 0;
}

int gb_cidr_match(const gb_cidr_t *net, uint32_t ip)
{
    if (!net || net->prefix < 0 || net->prefix > 32)
        return 0;
    uint32_t mask = net->prefix == 0 ? 0u : 0xFFFFFFFFu << (32 - net->prefix);
    return (ip & mask) == (net->addr & mask);
}

/* The IPv4 address of a sender as liblo names it ("127.0.0.1", or "::ffff:127.0.0.1" from a
 * dual-stack socket; "::1" counts as 127.0.0.1). */
static int sender_ipv4(const char *host, uint32_t *ip)
{
    if (!host)
        return -1;
    if (strncmp(host, "::ffff:", 7) == 0)
        host += 7;
    if (strcmp(host, "::1") == 0)
        host = "127.0.0.1";
    struct in_addr a;
    if (inet_pton(AF_INET, host, &a) != 1)
        return -1;
    *ip = ntohl(a.s_addr);
    return 0;
}

static int allowed(const gb_osc_server_t *s, const char *host)
{
    uint32_t ip;
    if (sender_ipv4(host, &ip))
        return 0;
    if (s->cfg.n_allow == 0) {
        const gb_cidr_t loopback = {0x7F000000u, 8};
        return gb_cidr_match(&loopback, ip);
    }
    for (int i = 0; i < s->cfg.n_allow; i++)
        if (gb_cidr_match(&s->cfg.allow[i], ip))
            return 1;
    return 0;
}

/* ---------------------------------------------------------------- replies */

static void send_msg(gb_osc_server_t *s, lo_address to, const char *path, lo_message m)
{
    if (to && m)
        lo_send_message_from(to, s->srv, path, m);
}

/* An error reply (path, message) and the error counter. Never answers /gbac/error itself, so
 * two servers (or a misrouted reply) cannot ping-pong errors forever. */
static void reply_error(gb_osc_server_t *s, lo_address to, const char *path, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));

static void reply_error(gb_osc_server_t *s, lo_address to, const char *path, const char *fmt,
                        ...)
{
    count(&s->stats->osc_errors);
    if (!to || strcmp(path, "/gbac/error") == 0)
        return;
    char text[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    char p[201];
    snprintf(p, sizeof p, "%s", path);
    lo_message m = lo_message_new();
    if (!m)
        return;
    lo_message_add_string(m, p);
    lo_message_add_string(m, text);
    send_msg(s, to, "/gbac/error", m);
    lo_message_free(m);
}

static void reply_float(gb_osc_server_t *s, lo_address to, const char *path, float v)
{
    lo_message m = lo_message_new();
    if (!m)
        return;
    lo_message_add_float(m, v);
    send_msg(s, to, path, m);
    lo_message_free(m);
}

static void reply_string(gb_osc_server_t *s, lo_address to, const char *path, const char *v)
{
    lo_message m = lo_message_new();
    if (!m)
        return;
    lo_message_add_string(m, v);
    send_msg(s, to, path, m);
    lo_message_free(m);
}

static void served(gb_osc_server_t *s)
{
    count(&s->stats->osc_messages);
}

/* A command towards the audio thread: served, dropped (ring full: counted in osc_dropped
 * only, with an error reply), or an error when there is no audio thread to send to. */
static void send_cmd(gb_osc_server_t *s, lo_address from, const char *path,
                     const gb_live_cmd_t *cmd)
{
    if (!s->cfg.send) {
        reply_error(s, from, path, "%s: no audio engine is running to receive it", path);
        return;
    }
    if (s->cfg.send(s->cfg.ctx, cmd) < 0) {
        count(&s->stats->osc_dropped);
        if (from) {
            lo_message m = lo_message_new();
            if (m) {
                lo_message_add_string(m, path);
                lo_message_add_string(m, "the command queue to the audio thread is full; "
                                         "message dropped (send less often)");
                send_msg(s, from, "/gbac/error", m);
                lo_message_free(m);
            }
        }
        return;
    }
    served(s);
}

/* ---------------------------------------------------------------- arguments */

static int argc_of(lo_message msg)
{
    return msg ? lo_message_get_argc(msg) : 0;
}

/* The i-th argument as a string (types s or S), or NULL. */
static const char *arg_string(lo_message msg, int i)
{
    if (!msg || i >= lo_message_get_argc(msg))
        return NULL;
    const char *types = lo_message_get_types(msg);
    lo_arg **argv = lo_message_get_argv(msg);
    if (!types || (int)strlen(types) <= i || !argv || !argv[i])
        return NULL;
    if (types[i] != 's' && types[i] != 'S')
        return NULL;
    return (const char *)argv[i]; /* not &argv[i]->s: lo_arg may be misaligned */
}

/* The i-th argument as a whole number (i, h, or f/d holding one), or -1 on failure. */
static int arg_whole(lo_message msg, int i, long *out)
{
    if (!msg || i >= lo_message_get_argc(msg))
        return -1;
    const char *types = lo_message_get_types(msg);
    lo_arg **argv = lo_message_get_argv(msg);
    if (!types || (int)strlen(types) <= i || !argv || !argv[i])
        return -1;
    double d;
    int32_t i32;
    int64_t i64;
    float f;
    switch (types[i]) {
    case 'i': memcpy(&i32, argv[i], sizeof i32); d = i32; break;
    case 'h': memcpy(&i64, argv[i], sizeof i64); d = (double)i64; break;
    case 'f': memcpy(&f, argv[i], sizeof f); d = f; break;
    case 'd': memcpy(&d, argv[i], sizeof d); break;
    default: return -1;
    }
    if (!isfinite(d) || d != floor(d) || fabs(d) > 1e9)
        return -1;
    *out = (long)d;
    return 0;
}

/* ---------------------------------------------------------------- confinement */

/* Whether path is dir itself or inside it (both already resolved by realpath). */
static int inside(const char *dir, const char *path)
{
    size_t n = strlen(dir);
    if (strncmp(dir, path, n) != 0)
        return 0;
    return path[n] == '/' || (n == 1 && dir[0] == '/');
}

/* Resolve NAME (relative, no "..") inside dir, adding ext when NAME does not end with it.
 * must_exist: the file must exist (load); else its folder must (save, record), and an
 * existing file must not lead outside (symlink). 0 and out filled, or -1 and why filled. */
static int confine(const char *dir, const char *name, const char *ext, int must_exist,
                   char *out, size_t cap, char *why, size_t wcap)
{
    if (!dir || !dir[0]) {
        snprintf(why, wcap, "no folder is configured for it");
        return -1;
    }
    size_t len = strlen(name);
    if (len == 0 || len > 255) {
        snprintf(why, wcap, "a name of 1..255 characters is expected");
        return -1;
    }
    if (name[0] == '/') {
        snprintf(why, wcap, "'%s' is an absolute path; give a name relative to the folder",
                 name);
        return -1;
    }
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == '\\') {
            snprintf(why, wcap, "the name contains a control character or a backslash");
            return -1;
        }
    for (const char *c = name; *c;) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if (n == 2 && c[0] == '.' && c[1] == '.') {
            snprintf(why, wcap, "'%s' contains '..'; names must stay inside the folder", name);
            return -1;
        }
        if (n == 0 && !e)
            break;
        c += n + (e ? 1 : 0);
    }
    if (name[len - 1] == '/') {
        snprintf(why, wcap, "'%s' names a folder, not a file", name);
        return -1;
    }
    char droot[PATH_MAX];
    if (!realpath(dir, droot)) {
        snprintf(why, wcap, "the folder %s is not usable (%s)", dir, strerror(errno));
        return -1;
    }
    size_t el = ext ? strlen(ext) : 0;
    int add_ext = el && (len < el || strcmp(name + len - el, ext) != 0);
    char cand[PATH_MAX + 300];
    snprintf(cand, sizeof cand, "%s/%s%s", droot, name, add_ext ? ext : "");
    char real[PATH_MAX];
    if (must_exist) {
        if (!realpath(cand, real)) {
            snprintf(why, wcap, "'%s' not found in %s", name, droot);
            return -1;
        }
        if (!inside(droot, real)) {
            snprintf(why, wcap, "'%s' resolves outside %s", name, droot);
            return -1;
        }
        snprintf(out, cap, "%s", real);
        return 0;
    }
    struct stat st;
    if (lstat(cand, &st) == 0) { /* exists (maybe a symlink): where does it really go? */
        if (!realpath(cand, real) || !inside(droot, real)) {
            snprintf(why, wcap, "'%s' resolves outside %s", name, droot);
            return -1;
        }
        snprintf(out, cap, "%s", real);
        return 0;
    }
    char *slash = strrchr(cand, '/');
    *slash = '\0';
    if (!realpath(cand, real)) {
        snprintf(why, wcap, "the folder of '%s' does not exist in %s", name, droot);
        return -1;
    }
    if (strcmp(real, droot) != 0 && !inside(droot, real)) {
        snprintf(why, wcap, "'%s' resolves outside %s", name, droot);
        return -1;
    }
    int n = snprintf(out, cap, "%s/%s", real, slash + 1);
    if (n < 0 || (size_t)n >= cap) {
        snprintf(why, wcap, "the path is too long");
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- schema */

static json_t *path_entry(const char *path, const char *types, const char *args,
                          const char *reply, const char *doc)
{
    json_t *o = json_object();
    json_object_set_new(o, "path", json_string(path));
    json_object_set_new(o, "types", json_string(types));
    if (args)
        json_object_set_new(o, "args", json_string(args));
    if (reply)
        json_object_set_new(o, "reply", json_string(reply));
    json_object_set_new(o, "doc", json_string(doc));
    return o;
}

static const struct fixed_path {
    const char *path, *types, *args, *reply, *doc;
} fixed_paths[] = {
    {"/gbac/note/on", "ii|iii", "key 0..127, velocity 0..127 (0 = off), channel 0..15", NULL,
     "note on from the performer"},
    {"/gbac/note/off", "i|ii", "key 0..127, channel 0..15", NULL, "note off"},
    {"/gbac/cc", "ii|iii", "controller 0..127, value 0..127, channel 0..15", NULL,
     "a MIDI control change (through the preset's CC map; 120/123 release all notes)"},
    {"/gbac/tempo", "f|", "bpm 20..300", "/gbac/tempo f (query, no arguments)",
     "set or query the internal tempo"},
    {"/gbac/preset/load", "s", "preset name inside the preset folder (.json optional)",
     "/gbac/preset/loaded s", "load a preset and swap it in"},
    {"/gbac/preset/save", "s", "preset name inside the preset folder (.json optional)",
     "/gbac/preset/saved s", "save the running state as a preset"},
    {"/gbac/learn", "s", "\"slot/name\" or \"/gbac/param/slot/name\"; \"\" disarms", NULL,
     "arm MIDI learn: the next CC controls that parameter (/gbac/learned si follows)"},
    {"/gbac/learn/cancel", "", NULL, NULL, "disarm MIDI learn"},
    {"/gbac/status", "", NULL, "/gbac/status s (JSON object)", "host status and counters"},
    {"/gbac/schema", "", NULL, "/gbac/schema s, or chunks /gbac/schema iis index count text",
     "this schema"},
    {"/gbac/subscribe", "|i", "port for feedback (default: the sender's port)",
     "/gbac/subscribed i port", "receive feedback (meters, parameter changes, notes)"},
    {"/gbac/unsubscribe", "|i", "port given when subscribing", "/gbac/unsubscribed i port",
     "stop feedback"},
    {"/gbac/ping", "", NULL, "/gbac/pong", "liveness check"},
    {"/gbac/timbre/z", "f...|if", "all latent dimensions z0, z1, ... in order, or one: index, "
     "value (-4..4)", NULL, "steer the timbre VAE's latent (the instrument's z0..z7)"},
    {"/gbac/timbre/model", "s", "model file name inside the models folder (.safetensors "
     "optional)", "/gbac/timbre/model s", "replace the timbre VAE's model while playing"},
    {"/gbac/timbre/morph", "ff|fff", "x 0..1, y 0..1 [, amount 0..1]", NULL,
     "the XY pad between the timbre VAE's stored latents a, b (x) and c, d (y)"},
    {"/gbac/record/start", "s", "session folder name inside the session folder (created)",
     "/gbac/record/started s (the folder)", "start recording a session (docs/session.md)"},
    {"/gbac/record/stop", "", NULL, "/gbac/record/stopped s (a summary)",
     "stop recording and write the session's files"},
    {"/gbac/rate", "ss", "slot, \"like\" or \"dislike\"", NULL,
     "rate what the note source in SLOT just played: one like=1 or dislike=1 event"},
};

static const struct fixed_path feedback_paths[] = {
    {"/gbac/meter", "fff", "peak_l dBFS, peak_r dBFS (floor -120), dsp_load %", NULL,
     "output peaks since the last meter; at most 30 per second"},
    {"/gbac/param/SLOT/NAME", "f", "value", NULL, "a parameter changed by a MIDI CC mapping, "
     "or a value a unit reported (e.g. the melody GAN's score)"},
    {"/gbac/record/stopped", "s", "reason", NULL,
     "a recording stopped early (e.g. disk full); the music goes on"},
    {"/gbac/note/generated", "iii", "key 0..127, velocity 0..127 (0 = off), channel 0..15",
     NULL, "a note the note sources generated"},
    {"/gbac/xrun", "i", "xruns since start", NULL, "sent when the xrun count changes"},
    {"/gbac/learned", "si", "parameter path, cc", NULL, "MIDI learn mapped a CC"},
    {"/gbac/error", "ss", "path, message", NULL, "the reply to a refused message"},
};

static char *schema_text(const gb_engine_t *e, size_t flags)
{
    json_t *root = json_object();
    if (!root)
        return NULL;
    json_object_set_new(root, "gbac_osc_schema", json_integer(1));
    json_object_set_new(root, "default_port", json_integer(GB_OSC_DEFAULT_PORT));
    json_t *paths = json_array();
    for (size_t i = 0; i < sizeof fixed_paths / sizeof fixed_paths[0]; i++) {
        const struct fixed_path *f = &fixed_paths[i];
        json_array_append_new(paths, path_entry(f->path, f->types, f->args, f->reply, f->doc));
    }
    json_t *params = json_array();
    int n = e ? gb_engine_param_count(e) : 0;
    for (int i = 0; i < n; i++) {
        int32_t handle = gb_engine_param_handle(e, i);
        const char *slot = NULL;
        const gbp_param_info_t *info = NULL;
        if (handle < 0 || gb_engine_param_info(e, handle, &slot, &info) < 0 || !slot || !info ||
            !info->name)
            continue;
        char path[160];
        snprintf(path, sizeof path, "/gbac/param/%s/%s", slot, info->name);
        json_t *o = json_object();
        json_object_set_new(o, "path", json_string(path));
        json_object_set_new(o, "slot", json_string(slot));
        json_object_set_new(o, "name", json_string(info->name));
        int ro = (info->flags & GBP_PARAM_READONLY) != 0;
        json_object_set_new(o, "types", json_string(ro ? "" : "f|"));
        json_object_set_new(o, "access", json_string(ro ? "r" : "rw"));
        json_object_set_new(o, "min", json_real(info->min));
        json_object_set_new(o, "max", json_real(info->max));
        json_object_set_new(o, "default", json_real(info->def));
        json_object_set_new(o, "unit", json_string(info->unit ? info->unit : ""));
        json_object_set_new(o, "stepped", json_boolean(info->flags & GBP_PARAM_STEPPED));
        json_object_set_new(o, "doc", json_string(info->doc ? info->doc : ""));
        json_array_append_new(params, o);
    }
    json_object_set_new(root, "paths", paths);
    json_object_set_new(root, "params", params);
    json_t *fb = json_array();
    for (size_t i = 0; i < sizeof feedback_paths / sizeof feedback_paths[0]; i++) {
        const struct fixed_path *f = &feedback_paths[i];
        json_array_append_new(fb, path_entry(f->path, f->types, f->args, NULL, f->doc));
    }
    json_object_set_new(root, "feedback", fb);
    char *text = json_dumps(root, flags | JSON_PRESERVE_ORDER);
    json_decref(root);
    return text;
}

char *gb_osc_schema_json(const gb_engine_t *e)
{
    return schema_text(e, JSON_INDENT(2));
}

/* /gbac/schema: one string, or numbered chunks cut on UTF-8 character boundaries. */
static void reply_schema(gb_osc_server_t *s, lo_address to)
{
    if (!s->schema) {
        reply_error(s, to, "/gbac/schema", "/gbac/schema: the schema could not be built "
                    "(out of memory)");
        return;
    }
    served(s);
    if (s->schema_len <= GB_OSC_SCHEMA_CHUNK) {
        reply_string(s, to, "/gbac/schema", s->schema);
        return;
    }
    size_t starts[1024];
    int n = 0;
    for (size_t pos = 0; pos < s->schema_len && n < 1024;) {
        starts[n++] = pos;
        size_t end = pos + GB_OSC_SCHEMA_CHUNK;
        if (end >= s->schema_len)
            break;
        while (end > pos + 1 && ((unsigned char)s->schema[end] & 0xC0) == 0x80)
            end--;
        pos = end;
    }
    char chunk[GB_OSC_SCHEMA_CHUNK + 1];
    for (int i = 0; i < n; i++) {
        size_t end = i + 1 < n ? starts[i + 1] : s->schema_len;
        memcpy(chunk, s->schema + starts[i], end - starts[i]);
        chunk[end - starts[i]] = '\0';
        lo_message m = lo_message_new();
        if (!m)
            return;
        lo_message_add_int32(m, i);
        lo_message_add_int32(m, n);
        lo_message_add_string(m, chunk);
        send_msg(s, to, "/gbac/schema", m);
        lo_message_free(m);
    }
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

static const gb_engine_t *engine_of(const gb_osc_server_t *s)
{
    return s->cfg.engine ? s->cfg.engine(s->cfg.ctx) : NULL;
}

static void refresh(gb_osc_server_t *s)
{
    const gb_engine_t *e = engine_of(s);
    gb_osc_handlers_free(s->h);
    s->h = gb_osc_handlers_new(e, NULL);
    gb_osc_handlers_set_flags(s->h, GB_OSC_HF_STRICT | GB_OSC_HF_QUERIES);
    free(s->schema);
    s->schema = schema_text(e, JSON_COMPACT);
    s->schema_len = s->schema ? strlen(s->schema) : 0;
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

gb_osc_server_t *gb_osc_server_new(const gb_osc_server_config_t *cfg, gb_error_t *err)
{
    if (!cfg || cfg->struct_size != sizeof *cfg) {
        gb_error_set(err, GB_EINVAL, "OSC server: config struct_size mismatch (use "
                     "gb_osc_server_config_default())");
        return NULL;
    }
    if (cfg->port < 0 || cfg->port > 65535) {
        gb_error_set(err, GB_EINVAL, "OSC server: port %d out of range 0..65535", cfg->port);
        return NULL;
    }
    if (cfg->n_allow < 0 || cfg->n_allow > GB_OSC_MAX_ALLOW) {
        gb_error_set(err, GB_EINVAL, "OSC server: %d allowed networks (at most %d)",
                     cfg->n_allow, GB_OSC_MAX_ALLOW);
        return NULL;
    }
    for (int i = 0; i < cfg->n_allow; i++)
        if (cfg->allow[i].prefix < 0 || cfg->allow[i].prefix > 32) {
            gb_error_set(err, GB_EINVAL, "OSC server: allowed network %d has prefix %d "
                         "(0..32)", i, cfg->allow[i].prefix);
            return NULL;
        }
    gb_osc_server_t *s = calloc(1, sizeof *s);
    if (!s) {
        gb_error_set(err, GB_ENOMEM, "OSC server: out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    snprintf(s->preset_dir, sizeof s->preset_dir, "%s", cfg->preset_dir ? cfg->preset_dir : "");
    snprintf(s->session_dir, sizeof s->session_dir, "%s",
             cfg->session_dir ? cfg->session_dir : "");
    snprintf(s->model_dir, sizeof s->model_dir, "%s", cfg->model_dir ? cfg->model_dir : "");
    s->cfg.model_dir = s->model_dir;
    s->cfg.preset_dir = s->preset_dir;
    s->cfg.session_dir = s->session_dir;
    s->stats = cfg->stats ? cfg->stats : &s->own_stats;
    s->xruns_seen = atomic_load_explicit(&s->stats->xruns, memory_order_relaxed);

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
    refresh(s);
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
    free(s->schema);
    free(s);
}

int gb_osc_server_port(const gb_osc_server_t *s)
{
    return s ? s->port : -1;
}

void gb_osc_server_engine_changed(gb_osc_server_t *s)
{
    if (s)
        refresh(s);
}

/* ---------------------------------------------------------------- subscriptions */

static subscriber_t *find_sub(gb_osc_server_t *s, const char *host, int port)
{
    for (int i = 0; i < GB_OSC_MAX_SUBSCRIBERS; i++)
        if (s->subs[i].used && s->subs[i].port == port && strcmp(s->subs[i].host, host) == 0)
            return &s->subs[i];
    return NULL;
}

static int sub_target(gb_osc_server_t *s, const char *path, lo_message msg, lo_address from,
                      const char **host, int *port)
{
    *host = lo_address_get_hostname(from);
    const char *ps = lo_address_get_port(from);
    *port = ps ? atoi(ps) : 0;
    int argc = argc_of(msg);
    long p;
    if (argc > 1 || (argc == 1 && arg_whole(msg, 0, &p))) {
        reply_error(s, from, path, "%s: expected no argument or one port 'i' (1..65535)", path);
        return -1;
    }
    if (argc == 1) {
        if (p < 1 || p > 65535) {
            reply_error(s, from, path, "%s: port %ld out of range 1..65535", path, p);
            return -1;
        }
        *port = (int)p;
    }
    if (!*host || strlen(*host) >= HOST_MAX || *port <= 0) {
        reply_error(s, from, path, "%s: the sender's address is unusable", path);
        return -1;
    }
    return 0;
}

static void reply_int(gb_osc_server_t *s, lo_address to, const char *path, int v)
{
    lo_message m = lo_message_new();
    if (!m)
        return;
    lo_message_add_int32(m, v);
    send_msg(s, to, path, m);
    lo_message_free(m);
}

static void subscribe(gb_osc_server_t *s, const char *path, lo_message msg, lo_address from)
{
    const char *host;
    int port;
    if (sub_target(s, path, msg, from, &host, &port))
        return;
    if (!find_sub(s, host, port)) {
        subscriber_t *free_slot = NULL;
        for (int i = 0; i < GB_OSC_MAX_SUBSCRIBERS && !free_slot; i++)
            if (!s->subs[i].used)
                free_slot = &s->subs[i];
        if (!free_slot) {
            reply_error(s, from, path, "%s: %d subscribers already (the most there can be); "
                        "ask one to send /gbac/unsubscribe", path, GB_OSC_MAX_SUBSCRIBERS);
            return;
        }
        char ps[16];
        snprintf(ps, sizeof ps, "%d", port);
        lo_address a = lo_address_new(host, ps);
        if (!a) {
            reply_error(s, from, path, "%s: cannot address %s:%d", path, host, port);
            return;
        }
        memset(free_slot, 0, sizeof *free_slot);
        free_slot->used = 1;
        snprintf(free_slot->host, sizeof free_slot->host, "%s", host);
        free_slot->port = port;
        free_slot->addr = a;
        free_slot->last_meter = -1.0;
        free_slot->budget = GB_OSC_FB_BUDGET;
    }
    served(s);
    reply_int(s, from, "/gbac/subscribed", port);
}

static void unsubscribe(gb_osc_server_t *s, const char *path, lo_message msg, lo_address from)
{
    const char *host;
    int port;
    if (sub_target(s, path, msg, from, &host, &port))
        return;
    subscriber_t *sub = find_sub(s, host, port);
    if (!sub) {
        reply_error(s, from, path, "%s: %s:%d is not subscribed", path, host, port);
        return;
    }
    lo_address_free(sub->addr);
    memset(sub, 0, sizeof *sub);
    served(s);
    reply_int(s, from, "/gbac/unsubscribed", port);
}

/* ---------------------------------------------------------------- dispatch */

static int no_args(gb_osc_server_t *s, const char *path, lo_message msg, lo_address from)
{
    int argc = argc_of(msg);
    if (argc == 0)
        return 0;
    reply_error(s, from, path, "%s: expects no arguments, got '%s'", path,
                lo_message_get_types(msg) ? lo_message_get_types(msg) : "?");
    return -1;
}

static const char *one_string(gb_osc_server_t *s, const char *path, lo_message msg,
                              lo_address from, const char *what)
{
    const char *str = argc_of(msg) == 1 ? arg_string(msg, 0) : NULL;
    if (!str)
        reply_error(s, from, path, "%s: expected one string 's' (%s)", path, what);
    return str;
}

static void learn(gb_osc_server_t *s, const char *path, const char *target, lo_address from)
{
    gb_live_cmd_t cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = GB_CMD_LEARN;
    cmd.handle = -1;
    if (target && target[0]) {
        char full[160];
        if (strncmp(target, "/gbac/param/", 12) == 0)
            snprintf(full, sizeof full, "%s", target);
        else
            snprintf(full, sizeof full, "/gbac/param/%s", target);
        cmd.handle = gb_osc_handlers_param_handle(s->h, full);
        if (cmd.handle < 0) {
            reply_error(s, from, path, "%s: unknown parameter '%s' (give \"slot/name\" as "
                        "/gbac/schema lists them)", path, target);
            return;
        }
        const char *host = from ? lo_address_get_hostname(from) : NULL;
        const char *ps = from ? lo_address_get_port(from) : NULL;
        if (host && ps && strlen(host) < HOST_MAX &&
            !(s->learn_addr && strcmp(host, s->learn_host) == 0 && atoi(ps) == s->learn_port)) {
            lo_address a = lo_address_new(host, ps);
            if (a) {
                if (s->learn_addr)
                    lo_address_free(s->learn_addr);
                s->learn_addr = a;
                snprintf(s->learn_host, sizeof s->learn_host, "%s", host);
                s->learn_port = atoi(ps);
            }
        }
    }
    send_cmd(s, from, path, &cmd);
}

static void preset_io(gb_osc_server_t *s, const char *path, lo_message msg, lo_address from,
                      int save)
{
    const char *name = one_string(s, path, msg, from, "a preset name in the preset folder");
    if (!name)
        return;
    char full[PATH_MAX], why[600];
    if (confine(s->preset_dir, name, ".json", !save, full, sizeof full, why, sizeof why)) {
        reply_error(s, from, path, "%s: refused: %s", path, why);
        return;
    }
    int (*fn)(void *, const char *, gb_error_t *) = save ? s->cfg.save_preset
                                                         : s->cfg.load_preset;
    if (!fn) {
        reply_error(s, from, path, "%s: not available in this host", path);
        return;
    }
    gb_error_t err = {0};
    if (fn(s->cfg.ctx, full, &err) < 0) {
        reply_error(s, from, path, "%s: %s", path, err.msg[0] ? err.msg : "failed");
        return;
    }
    if (!save)
        refresh(s);
    served(s);
    reply_string(s, from, save ? "/gbac/preset/saved" : "/gbac/preset/loaded", name);
}

/* /gbac/timbre/model s NAME: another model for the timbre-VAE instrument, handed over to
 * its audio thread without stopping (the unit's RCU swap). */
static void timbre_model(gb_osc_server_t *s, const char *path, lo_message msg, lo_address from)
{
    const char *name = one_string(s, path, msg, from, "a model file in the models folder");
    if (!name)
        return;
    char full[PATH_MAX], why[600];
    if (confine(s->model_dir, name, ".safetensors", 1, full, sizeof full, why, sizeof why)) {
        reply_error(s, from, path, "%s: refused: %s", path, why);
        return;
    }
    gb_engine_timbre_t t;
    const gb_engine_t *e = engine_of(s);
    if (!e || gb_engine_timbre(e, &t) != GB_OK || !s->cfg.unit_state) {
        reply_error(s, from, path, "%s: no timbre-VAE instrument in the running rack", path);
        return;
    }
    json_t *j = json_pack("{s:s}", "model", full);
    char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    gb_error_t err = {0};
    int rc = txt ? s->cfg.unit_state(s->cfg.ctx, t.slot, txt, &err) : GB_ENOMEM;
    free(txt);
    if (rc < 0) {
        reply_error(s, from, path, "%s: %s", path, err.msg[0] ? err.msg : "failed");
        return;
    }
    served(s);
    reply_string(s, from, "/gbac/timbre/model", name);
}

static void status(gb_osc_server_t *s, lo_address from)
{
    const char *path = "/gbac/status";
    if (s->cfg.status) {
        s->buf[0] = '\0';
        if (s->cfg.status(s->cfg.ctx, s->buf, sizeof s->buf) < 0) {
            reply_error(s, from, path, "%s: the host could not report its status", path);
            return;
        }
        s->buf[sizeof s->buf - 1] = '\0';
        served(s);
    } else {
        served(s); /* counted before the counters are read, so the reply includes itself */
        int n_subs = 0;
        for (int i = 0; i < GB_OSC_MAX_SUBSCRIBERS; i++)
            n_subs += s->subs[i].used;
        const gb_live_stats_t *st = s->stats;
#define LD(f) (unsigned long long)atomic_load_explicit(&st->f, memory_order_relaxed)
        snprintf(s->buf, sizeof s->buf,
                 "{\"port\":%d,\"subscribers\":%d,\"xruns\":%llu,\"midi_events\":%llu,"
                 "\"midi_dropped\":%llu,\"osc_messages\":%llu,\"osc_errors\":%llu,"
                 "\"osc_refused\":%llu,\"osc_dropped\":%llu,\"fb_dropped\":%llu}",
                 s->port, n_subs, LD(xruns), LD(midi_events), LD(midi_dropped),
                 LD(osc_messages), LD(osc_errors), LD(osc_refused), LD(osc_dropped),
                 LD(fb_dropped));
#undef LD
    }
    reply_string(s, from, path, s->buf);
}


/* ---------------------------------------------------------------- timbre VAE latent */

/* Handle of latent dimension `dim` (0..) or of morph pad parameter GBP_MORPH_* (dim < 0:
 * -1 - which) of the rack's timbre latent (its gbac.timbre-latent extension), or -1. */
static int32_t latent_handle(const gb_osc_server_t *s, int dim)
{
    gb_engine_timbre_t t;
    const gb_engine_t *e = engine_of(s);
    if (!e || gb_engine_timbre(e, &t) != GB_OK)
        return -1;
    if (dim < 0)
        return -1 - dim < 3 ? t.morph[-1 - dim] : -1;
    return dim < t.n_dims ? t.dim[dim] : -1;
}

/* Several parameter events from one message: all or nothing reaches the audio thread
 * (a full ring drops the rest and is counted once). */
static void send_params(gb_osc_server_t *s, lo_address from, const char *path,
                        const int32_t *h, const float *v, int n)
{
    for (int i = 0; i < n; i++) {
        const gbp_param_info_t *pi = NULL;
        if (gb_engine_param_info(engine_of(s), h[i], NULL, &pi) != GB_OK || !isfinite(v[i]) ||
            v[i] < pi->min || v[i] > pi->max) {
            reply_error(s, from, path, "%s: value %d (%g) is outside %s's range %g..%g", path,
                        i, (double)v[i], pi ? pi->name : "?", pi ? (double)pi->min : 0.0,
                        pi ? (double)pi->max : 0.0);
            return;
        }
    }
    for (int i = 0; i < n; i++) {
        gb_live_cmd_t c;
        memset(&c, 0, sizeof c);
        c.kind = GB_CMD_EVENT;
        c.ev.type = GBP_EV_PARAM;
        c.ev.id = (uint32_t)h[i];
        c.ev.value = v[i];
        if (!s->cfg.send || s->cfg.send(s->cfg.ctx, &c) < 0) {
            count(&s->stats->osc_dropped);
            reply_error(s, from, path, "%s: the command queue to the audio thread is full", path);
            return;
        }
    }
    served(s);
}

/* liblo's argument array is not aligned for its types: read through memcpy. */
static int32_t arg_i32(const lo_arg *a)
{
    int32_t v;
    memcpy(&v, a, sizeof v);
    return v;
}

static float arg_f32(const lo_arg *a)
{
    float v;
    memcpy(&v, a, sizeof v);
    return v;
}

static void timbre_z(gb_osc_server_t *s, const char *path, lo_message msg, lo_address from)
{
    const char *types = lo_message_get_types(msg);
    lo_arg **argv = lo_message_get_argv(msg);
    const int n = argc_of(msg);
    int32_t h[8];
    float v[8];
    if (n == 2 && types[0] == 'i' && types[1] == 'f') {
        const int32_t dim = arg_i32(argv[0]);
        h[0] = dim >= 0 && dim < 8 ? latent_handle(s, (int)dim) : -1;
        v[0] = arg_f32(argv[1]);
        if (h[0] < 0) {
            reply_error(s, from, path, "%s: no latent dimension %d (the instrument needs to be "
                        "gbac.timbre-vae, dimensions 0..7)", path, (int)dim);
            return;
        }
        send_params(s, from, path, h, v, 1);
        return;
    }
    if (n < 1 || n > 8 || strspn(types, "f") != (size_t)n) {
        reply_error(s, from, path, "%s: expected 1 to 8 floats (z0, z1, ...) or int, float "
                    "(dimension, value)", path);
        return;
    }
    for (int i = 0; i < n; i++) {
        h[i] = latent_handle(s, i);
        v[i] = arg_f32(argv[i]);
        if (h[i] < 0) {
            reply_error(s, from, path, "%s: the instrument has no latent dimension %d (it "
                        "needs to be gbac.timbre-vae)", path, i);
            return;
        }
    }
    send_params(s, from, path, h, v, n);
}

static void timbre_morph(gb_osc_server_t *s, const char *path, lo_message msg, lo_address from)
{
    const char *types = lo_message_get_types(msg);
    lo_arg **argv = lo_message_get_argv(msg);
    const int n = argc_of(msg);
    if ((n != 2 && n != 3) || strspn(types, "f") != (size_t)n) {
        reply_error(s, from, path, "%s: expected x, y [, amount] as floats 0..1", path);
        return;
    }
    static const char *const names[3] = {"morph_x", "morph_y", "morph"};
    int32_t h[3];
    float v[3];
    for (int i = 0; i < n; i++) {
        h[i] = latent_handle(s, -1 - i); /* GBP_MORPH_X, _Y, _AMOUNT */
        v[i] = arg_f32(argv[i]);
        if (h[i] < 0) {
            reply_error(s, from, path, "%s: the instrument has no %s (it needs to be "
                        "gbac.timbre-vae)", path, names[i]);
            return;
        }
    }
    send_params(s, from, path, h, v, n);
}

/* /gbac/rate SLOT like|dislike: one trigger event of value 1 to SLOT's like or dislike. */
static void rate(gb_osc_server_t *s, const char *path, lo_message msg, lo_address from)
{
    const char *slot = argc_of(msg) == 2 ? arg_string(msg, 0) : NULL;
    const char *what = argc_of(msg) == 2 ? arg_string(msg, 1) : NULL;
    if (!slot || !what || (strcmp(what, "like") != 0 && strcmp(what, "dislike") != 0)) {
        reply_error(s, from, path, "%s: expected a slot name and \"like\" or \"dislike\" (ss)",
                    path);
        return;
    }
    char p[256];
    snprintf(p, sizeof p, "/gbac/param/%.100s/%s", slot, what);
    const int32_t h = s->h ? gb_osc_handlers_param_handle(s->h, p) : -1;
    if (h < 0) {
        reply_error(s, from, path, "%s: the slot '%s' has no '%s' parameter (only note sources "
                    "that take ratings, such as the melody GAN, do)", path, slot, what);
        return;
    }
    gb_live_cmd_t cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = GB_CMD_EVENT;
    cmd.ev.type = GBP_EV_PARAM;
    cmd.ev.id = (uint32_t)h;
    cmd.ev.value = 1.0f;
    cmd.handle = h;
    cmd.value = 1.0f;
    send_cmd(s, from, path, &cmd);
}

static int is_handler_path(const char *path)
{
    return strcmp(path, "/gbac/note/on") == 0 || strcmp(path, "/gbac/note/off") == 0 ||
           strcmp(path, "/gbac/cc") == 0 || strcmp(path, "/gbac/tempo") == 0 ||
           strncmp(path, "/gbac/param/", 12) == 0;
}

static void handled_path(gb_osc_server_t *s, const char *path, lo_message msg, lo_address from)
{
    gb_osc_action_t act;
    gb_error_t err = {0};
    if (!s->h) {
        reply_error(s, from, path, "%s: the namespace is not available (out of memory)", path);
        return;
    }
    if (gb_osc_handle(s->h, path, msg, &act, &err) < 0) {
        reply_error(s, from, path, "%s", err.msg);
        return;
    }
    gb_live_cmd_t cmd;
    memset(&cmd, 0, sizeof cmd);
    switch (act.kind) {
    case GB_OSC_ACT_EVENT:
        cmd.kind = GB_CMD_EVENT;
        cmd.ev = act.ev;
        cmd.ev.time = 0;
        if (act.ev.type == GBP_EV_PARAM) {
            cmd.handle = (int32_t)act.ev.id;
            cmd.value = act.ev.value;
        }
        send_cmd(s, from, path, &cmd);
        return;
    case GB_OSC_ACT_TEMPO:
        cmd.kind = GB_CMD_TEMPO;
        cmd.value = (float)act.tempo_bpm;
        send_cmd(s, from, path, &cmd);
        return;
    case GB_OSC_ACT_QUERY_PARAM: {
        const gb_engine_t *e = engine_of(s);
        if (!e) {
            reply_error(s, from, path, "%s: no engine is running", path);
            return;
        }
        served(s);
        reply_float(s, from, path, gb_engine_param_get(e, (int32_t)act.ev.id));
        return;
    }
    case GB_OSC_ACT_QUERY_TEMPO: {
        const gb_engine_t *e = engine_of(s);
        const gbp_transport_t *tr = e ? gb_engine_transport(e) : NULL;
        if (!tr) {
            reply_error(s, from, path, "%s: no engine is running", path);
            return;
        }
        served(s);
        reply_float(s, from, path, (float)tr->tempo_bpm);
        return;
    }
    default:
        reply_error(s, from, path, "%s: not handled", path);
    }
}

void gb_osc_server_dispatch(gb_osc_server_t *s, const char *path, lo_message msg,
                            lo_address from)
{
    if (!s)
        return;
    s->n_handled++;
    /* Access control first: a refused sender gets nothing, not even an error. */
    if (!from || !allowed(s, lo_address_get_hostname(from))) {
        count(&s->stats->osc_refused);
        return;
    }
    if (!path || path[0] != '/') {
        reply_error(s, from, "/", "OSC: invalid path");
        return;
    }
    if (strcmp(path, "/gbac/ping") == 0) {
        served(s);
        lo_message m = lo_message_new();
        if (m) {
            send_msg(s, from, "/gbac/pong", m);
            lo_message_free(m);
        }
    } else if (is_handler_path(path)) {
        handled_path(s, path, msg, from);
    } else if (strcmp(path, "/gbac/status") == 0) {
        if (!no_args(s, path, msg, from))
            status(s, from);
    } else if (strcmp(path, "/gbac/schema") == 0) {
        if (!no_args(s, path, msg, from))
            reply_schema(s, from);
    } else if (strcmp(path, "/gbac/subscribe") == 0) {
        subscribe(s, path, msg, from);
    } else if (strcmp(path, "/gbac/unsubscribe") == 0) {
        unsubscribe(s, path, msg, from);
    } else if (strcmp(path, "/gbac/timbre/z") == 0) {
        timbre_z(s, path, msg, from);
    } else if (strcmp(path, "/gbac/timbre/morph") == 0) {
        timbre_morph(s, path, msg, from);
    } else if (strcmp(path, "/gbac/timbre/model") == 0) {
        timbre_model(s, path, msg, from);
    } else if (strcmp(path, "/gbac/learn") == 0) {
        const char *t = one_string(s, path, msg, from, "\"slot/name\", or \"\" to disarm");
        if (t)
            learn(s, path, t, from);
    } else if (strcmp(path, "/gbac/learn/cancel") == 0) {
        if (!no_args(s, path, msg, from))
            learn(s, path, NULL, from);
    } else if (strcmp(path, "/gbac/preset/load") == 0) {
        preset_io(s, path, msg, from, 0);
    } else if (strcmp(path, "/gbac/preset/save") == 0) {
        preset_io(s, path, msg, from, 1);
    } else if (strcmp(path, "/gbac/record/start") == 0) {
        const char *name = one_string(s, path, msg, from, "a take name in the session folder");
        char full[PATH_MAX], why[600];
        if (!name)
            return;
        if (confine(s->session_dir, name, NULL, 0, full, sizeof full, why, sizeof why)) {
            reply_error(s, from, path, "%s: refused: %s", path, why);
        } else if (!s->cfg.record_start) {
            reply_error(s, from, path, "%s: not available in this host", path);
        } else {
            gb_error_t err = {0};
            if (s->cfg.record_start(s->cfg.ctx, full, &err) != 0) {
                reply_error(s, from, path, "%s: %s", path, err.msg);
            } else {
                served(s);
                reply_string(s, from, "/gbac/record/started", full);
            }
        }
    } else if (strcmp(path, "/gbac/record/stop") == 0) {
        if (!no_args(s, path, msg, from)) {
            char sum[1024] = "";
            gb_error_t err = {0};
            if (!s->cfg.record_stop)
                reply_error(s, from, path, "%s: not available in this host", path);
            else if (s->cfg.record_stop(s->cfg.ctx, sum, sizeof sum, &err) != 0)
                reply_error(s, from, path, "%s: %s", path, err.msg);
            else {
                served(s);
                reply_string(s, from, "/gbac/record/stopped", sum);
            }
        }
    } else if (strcmp(path, "/gbac/rate") == 0) {
        rate(s, path, msg, from);
    } else {
        reply_error(s, from, path, "%s: unknown OSC path (send /gbac/schema for the "
                    "namespace, or see docs/osc.md)", path);
    }
}

/* ---------------------------------------------------------------- poll and feedback */

static int n_subscribers(const gb_osc_server_t *s)
{
    int n = 0;
    for (int i = 0; i < GB_OSC_MAX_SUBSCRIBERS; i++)
        n += s->subs[i].used;
    return n;
}

/* Send m to every subscriber with budget left; the others count a dropped feedback. */
static void broadcast(gb_osc_server_t *s, const char *path, lo_message m)
{
    for (int i = 0; i < GB_OSC_MAX_SUBSCRIBERS; i++) {
        subscriber_t *sub = &s->subs[i];
        if (!sub->used)
            continue;
        if (sub->budget <= 0) {
            count(&s->stats->fb_dropped);
            continue;
        }
        sub->budget--;
        send_msg(s, sub->addr, path, m);
    }
}

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
    broadcast(s, "/gbac/xrun", m);
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

void gb_osc_server_feedback(gb_osc_server_t *s, const gb_live_fb_t *fb)
{
    if (!s || !fb)
        return;
    check_xruns(s);
    if (!n_subscribers(s) && !(fb->kind == GB_FB_LEARNED && s->learn_addr))
        return;
    switch (fb->kind) {
    case GB_FB_METER: {
        const double t = now_s();
        for (int i = 0; i < GB_OSC_MAX_SUBSCRIBERS; i++) {
            subscriber_t *sub = &s->subs[i];
            if (!sub->used)
                continue;
            float l = isfinite(fb->peak_l) ? fabsf(fb->peak_l) : 0.0f;
            float r = isfinite(fb->peak_r) ? fabsf(fb->peak_r) : 0.0f;
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
        return;
    }
    case GB_FB_PARAM:
    case GB_FB_REPORT: {
        const char *path = gb_osc_handlers_handle_path(s->h, fb->handle);
        lo_message m = path ? lo_message_new() : NULL;
        if (!m)
            return;
        lo_message_add_float(m, fb->value);
        broadcast(s, path, m);
        lo_message_free(m);
        return;
    }
    case GB_FB_NOTE: {
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
        broadcast(s, "/gbac/note/generated", m);
        lo_message_free(m);
        return;
    }
    case GB_FB_LEARNED: {
        const char *path = gb_osc_handlers_handle_path(s->h, fb->handle);
        lo_message m = lo_message_new();
        if (!m)
            return;
        lo_message_add_string(m, path ? path : "");
        lo_message_add_int32(m, fb->cc);
        broadcast(s, "/gbac/learned", m);
        if (s->learn_addr && !find_sub(s, s->learn_host, s->learn_port))
            send_msg(s, s->learn_addr, "/gbac/learned", m);
        lo_message_free(m);
        return;
    }
    default:
        return;
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
    broadcast(s, path, m);
    lo_message_free(m);
}
