/* test_osc_server.c — the live OSC server over real UDP: a real engine (a rack built in code),
 * a real gb_ring as the command target, and liblo clients on loopback.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE /* mallinfo2, mkdtemp, symlink */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <lo/lo.h>

#include "gb_engine_util.h"
#include "gb_live_stats.h"
#include "gb_osc_server.h"
#include "gb_ring.h"

#define MAX_REPLIES 256
#define TEXT_MAX 65536

typedef struct reply {
    char path[128];
    char types[16];
    int i[3];
    float f[3];
    char s[2][512];
} reply_t;

typedef struct fx {
    gb_preset_t *preset;
    gb_engine_t *engine;
    gb_ring_t *ring;
    gb_live_stats_t stats;
    gb_osc_server_t *srv;
    lo_server client;
    lo_address to;
    char dir[256], preset_dir[300], session_dir[300];
    int n_loads, n_saves;
    char loaded[4096], saved[4096];
    int n_replies; /* total received */
    reply_t replies[MAX_REPLIES];
    char schema[TEXT_MAX]; /* /gbac/schema reassembled */
    int schema_chunks, schema_count;
    int n_meters;
    double meter_t[2048]; /* arrival times of meters (monotonic s) */
} fx_t;

static double mono_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* ---------------------------------------------------------------- host callbacks */

static int cb_send(void *ctx, const gb_live_cmd_t *cmd)
{
    fx_t *f = ctx;
    return gb_ring_push(f->ring, cmd) ? 0 : GB_ERANGE;
}

static const gb_engine_t *cb_engine(void *ctx)
{
    return ((fx_t *)ctx)->engine;
}

static int cb_load(void *ctx, const char *path, gb_error_t *err)
{
    fx_t *f = ctx;
    (void)err;
    f->n_loads++;
    snprintf(f->loaded, sizeof f->loaded, "%s", path);
    return 0;
}

static int cb_save(void *ctx, const char *path, gb_error_t *err)
{
    fx_t *f = ctx;
    (void)err;
    f->n_saves++;
    snprintf(f->saved, sizeof f->saved, "%s", path);
    return 0;
}

static int cb_status(void *ctx, json_t *obj)
{
    (void)ctx;
    return json_object_set_new(obj, "client", json_string("test-host"));
}

/* ---------------------------------------------------------------- client side */

static int on_reply(const char *path, const char *types, lo_arg **argv, int argc,
                    lo_message msg, void *user)
{
    (void)msg;
    fx_t *f = user;
    if (strcmp(path, "/gbac/meter") == 0 && f->n_meters < 2048)
        f->meter_t[f->n_meters++] = mono_s();
    if (strcmp(path, "/gbac/schema") == 0) {
        if (strcmp(types, "s") == 0) {
            snprintf(f->schema, sizeof f->schema, "%s", (const char *)argv[0]);
            f->schema_chunks = f->schema_count = 1;
        } else if (strcmp(types, "iis") == 0) {
            int32_t index, n;
            memcpy(&index, argv[0], sizeof index);
            memcpy(&n, argv[1], sizeof n);
            if (index == 0)
                f->schema[0] = '\0';
            size_t used = strlen(f->schema);
            snprintf(f->schema + used, sizeof f->schema - used, "%s", (const char *)argv[2]);
            f->schema_chunks++;
            f->schema_count = n;
        }
    }
    reply_t *r = &f->replies[f->n_replies++ % MAX_REPLIES];
    memset(r, 0, sizeof *r);
    snprintf(r->path, sizeof r->path, "%s", path);
    snprintf(r->types, sizeof r->types, "%s", types);
    int ni = 0, nf = 0, ns = 0;
    for (int k = 0; k < argc && k < 8; k++) {
        /* lo_arg is only 4-byte aligned: copy, do not dereference the union */
        if (types[k] == 'i' && ni < 3)
            memcpy(&r->i[ni++], argv[k], sizeof(int32_t));
        else if (types[k] == 'f' && nf < 3)
            memcpy(&r->f[nf++], argv[k], sizeof(float));
        else if (types[k] == 's' && ns < 2)
            snprintf(r->s[ns++], sizeof r->s[0], "%s", (const char *)argv[k]);
    }
    return 0;
}

static const reply_t *last_reply(const fx_t *f)
{
    return f->n_replies ? &f->replies[(f->n_replies - 1) % MAX_REPLIES] : NULL;
}

/* Let the server handle what is waiting, then collect the replies (waiting up to wait_ms for
 * the first). Returns the number of replies received. */
static int pump(fx_t *f, int wait_ms)
{
    gb_osc_server_poll(f->srv, 100, 1000);
    int before = f->n_replies;
    if (lo_server_recv_noblock(f->client, wait_ms) > 0)
        while (lo_server_recv_noblock(f->client, 20) > 0)
            ;
    return f->n_replies - before;
}

static void fx_server(fx_t *f, const gb_cidr_t *allow, int n_allow)
{
    gb_osc_server_config_t c = gb_osc_server_config_default();
    c.port = 0;
    c.n_allow = n_allow;
    for (int i = 0; i < n_allow; i++)
        c.allow[i] = allow[i];
    c.host = (gb_osc_host_t){.ctx = f, .send = cb_send, .engine = cb_engine,
                             .load_preset = cb_load, .save_preset = cb_save,
                             .status = cb_status, .preset_dir = f->preset_dir,
                             .session_dir = f->session_dir, .stats = &f->stats};
    gb_error_t err = {0};
    f->srv = gb_osc_server_new(&c, &err);
    if (!f->srv)
        fprintf(stderr, "gb_osc_server_new: %s\n", err.msg);
    assert_non_null(f->srv);
    assert_true(gb_osc_server_port(f->srv) > 0);
    char port[16];
    snprintf(port, sizeof port, "%d", gb_osc_server_port(f->srv));
    f->to = lo_address_new("127.0.0.1", port);
    assert_non_null(f->to);
}

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    const gbp_descriptor_t *fxs[] = {&gb_unit_delay, &gb_unit_reverb, &gb_unit_limiter};
    f->preset = gbt_rack(4, fxs, 3);
    f->engine = gbt_engine(f->preset, 256);
    assert_non_null(f->engine);
    f->ring = gb_ring_new(sizeof(gb_live_cmd_t), 64);
    snprintf(f->dir, sizeof f->dir, "/tmp/gbac-osc-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->preset_dir, sizeof f->preset_dir, "%s/presets", f->dir);
    snprintf(f->session_dir, sizeof f->session_dir, "%s/sessions", f->dir);
    assert_int_equal(mkdir(f->preset_dir, 0700), 0);
    assert_int_equal(mkdir(f->session_dir, 0700), 0);
    char p[600];
    snprintf(p, sizeof p, "%s/mine.json", f->preset_dir);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fputs("{}\n", fp);
    fclose(fp);
    snprintf(p, sizeof p, "%s/evil.json", f->preset_dir);
    assert_int_equal(symlink("/etc/passwd", p), 0);
    f->client = lo_server_new_with_proto(NULL, LO_UDP, NULL);
    assert_non_null(f->client);
    lo_server_add_method(f->client, NULL, NULL, on_reply, f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    gb_osc_server_free(f->srv);
    lo_address_free(f->to);
    lo_server_free(f->client);
    gb_ring_free(f->ring);
    gb_engine_free(f->engine);
    gb_preset_free(f->preset);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

#define SEND(f, ...) assert_true(lo_send_from((f)->to, (f)->client, LO_TT_IMMEDIATE, __VA_ARGS__) >= 0)

static uint64_t ld(atomic_uint_fast64_t *c)
{
    return atomic_load(c);
}

static void expect_error(fx_t *f, const char *path, const char *needle)
{
    uint64_t e0 = ld(&f->stats.osc_errors), m0 = ld(&f->stats.osc_messages);
    assert_true(pump(f, 1000) >= 1);
    const reply_t *r = last_reply(f);
    assert_string_equal(r->path, "/gbac/error");
    assert_string_equal(r->types, "ss");
    assert_string_equal(r->s[0], path);
    if (needle && !strstr(r->s[1], needle)) {
        fprintf(stderr, "error '%s' lacks '%s'\n", r->s[1], needle);
        fail();
    }
    assert_int_equal(ld(&f->stats.osc_errors), e0 + 1);
    assert_int_equal(ld(&f->stats.osc_messages), m0);
}

/* ---------------------------------------------------------------- tests */

static void test_cidr_parse_and_match(void **state)
{
    (void)state;
    gb_cidr_t c;
    assert_int_equal(gb_cidr_parse("127.0.0.0/8", &c), 0);
    assert_int_equal(c.addr, 0x7F000000u);
    assert_int_equal(c.prefix, 8);
    assert_true(gb_cidr_match(&c, 0x7F000002u));
    assert_false(gb_cidr_match(&c, 0xC0A80001u));
    assert_int_equal(gb_cidr_parse("192.168.1.7", &c), 0);
    assert_int_equal(c.prefix, 32);
    assert_true(gb_cidr_match(&c, 0xC0A80107u));
    assert_false(gb_cidr_match(&c, 0xC0A80108u));
    assert_int_equal(gb_cidr_parse("0.0.0.0/0", &c), 0);
    assert_true(gb_cidr_match(&c, 0x01020304u));
    const char *bad[] = {"", "1.2.3", "1.2.3.4/33", "1.2.3.4/", "1.2.3.4/-1", "a.b.c.d/8",
                         "1.2.3.4/8x", "::1", "1.2.3.4/008"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(gb_cidr_parse(bad[i], &c), GB_EINVAL);
}

/* A parameter set arrives on the ring as GB_CMD_EVENT/GBP_EV_PARAM with the engine's handle
 * and the value; notes, CCs and tempo arrive as their commands. */
static void test_param_set_sends_command_with_handle(void **state)
{
    fx_t *f = *state;
    fx_server(f, NULL, 0);
    const int32_t h = gb_engine_param_find(f->engine, "fx0/mix");
    assert_true(h >= 0);
    SEND(f, "/gbac/param/fx0/mix", "f", 0.25f);
    SEND(f, "/gbac/note/on", "iii", 60, 100, 2);
    SEND(f, "/gbac/note/off", "i", 60);
    SEND(f, "/gbac/cc", "ii", 74, 64);
    SEND(f, "/gbac/tempo", "f", 96.0f);
    assert_int_equal(pump(f, 100), 0); /* commands get no reply */
    gb_live_cmd_t c;
    assert_true(gb_ring_pop(f->ring, &c));
    assert_int_equal(c.kind, GB_CMD_EVENT);
    assert_int_equal(c.ev.type, GBP_EV_PARAM);
    assert_int_equal(c.ev.id, (uint32_t)h);
    assert_float_equal(c.ev.value, 0.25f, 1e-6);
    assert_true(gb_ring_pop(f->ring, &c));
    assert_int_equal(c.ev.type, GBP_EV_NOTE_ON);
    assert_int_equal(c.ev.key, 60);
    assert_int_equal(c.ev.channel, 2);
    assert_float_equal(c.ev.value, 100.0f / 127.0f, 1e-4);
    assert_true(gb_ring_pop(f->ring, &c));
    assert_int_equal(c.ev.type, GBP_EV_NOTE_OFF);
    assert_true(gb_ring_pop(f->ring, &c));
    assert_int_equal(c.ev.type, GBP_EV_CC);
    assert_int_equal(c.ev.id, 74);
    assert_true(gb_ring_pop(f->ring, &c));
    assert_int_equal(c.kind, GB_CMD_TEMPO);
    assert_float_equal(c.value, 96.0f, 1e-6);
    assert_false(gb_ring_pop(f->ring, &c));
    assert_int_equal(ld(&f->stats.osc_messages), 5);
    assert_int_equal(ld(&f->stats.osc_errors), 0);
}

/* A path without arguments is a query: the reply carries the engine's current value. */
static void test_queries_reply_to_sender(void **state)
{
    fx_t *f = *state;
    fx_server(f, NULL, 0);
    const int32_t h = gb_engine_param_find(f->engine, "master/gain_db");
    SEND(f, "/gbac/param/master/gain_db", "");
    assert_int_equal(pump(f, 1000), 1);
    const reply_t *r = last_reply(f);
    assert_string_equal(r->path, "/gbac/param/master/gain_db");
    assert_string_equal(r->types, "f");
    assert_float_equal(r->f[0], gb_engine_param_get(f->engine, h), 1e-6);
    SEND(f, "/gbac/tempo", "");
    assert_int_equal(pump(f, 1000), 1);
    assert_string_equal(last_reply(f)->path, "/gbac/tempo");
    assert_float_equal(last_reply(f)->f[0], 120.0f, 1e-4);
    SEND(f, "/gbac/ping", "");
    assert_int_equal(pump(f, 1000), 1);
    assert_string_equal(last_reply(f)->path, "/gbac/pong");
    SEND(f, "/gbac/status", "");
    assert_int_equal(pump(f, 1000), 1);
    r = last_reply(f);
    assert_string_equal(r->path, "/gbac/status");
    json_error_t je;
    json_t *st = json_loads(r->s[0], 0, &je);
    assert_non_null(st);
    /* the counters as they were when the request came: three served before it */
    assert_int_equal(json_integer_value(json_object_get(st, "osc_messages")), 3);
    assert_string_equal(json_string_value(json_object_get(st, "client")), "test-host");
    json_decref(st);
    assert_int_equal(ld(&f->stats.osc_messages), 4);
    assert_int_equal(ld(&f->stats.osc_errors), 0);
}

/* Unknown paths, wrong types and counts, out-of-range values: /gbac/error s s, counted. */
static void test_errors_reply_and_count(void **state)
{
    fx_t *f = *state;
    fx_server(f, NULL, 0);
    SEND(f, "/gbac/nope", "i", 1);
    expect_error(f, "/gbac/nope", "unknown OSC path");
    SEND(f, "/gbac/param/fx0/mixx", "f", 0.5f);
    expect_error(f, "/gbac/param/fx0/mixx", "unknown parameter");
    SEND(f, "/gbac/param/fx0/mix", "s", "loud");
    expect_error(f, "/gbac/param/fx0/mix", "type tags 's' are not accepted");
    SEND(f, "/gbac/param/fx0/mix", "f", 7.0f);
    expect_error(f, "/gbac/param/fx0/mix", "out of range");
    SEND(f, "/gbac/note/on", "ss", "a", "b");
    expect_error(f, "/gbac/note/on", "(types [ihfd]{2,3})");
    SEND(f, "/gbac/note/on", "ff", 60.5f, 100.0f);
    expect_error(f, "/gbac/note/on", "key must be a whole number, got 60.5");
    SEND(f, "/gbac/note/on", "ii", 60, 300);
    expect_error(f, "/gbac/note/on", "out of range 0..127");
    SEND(f, "/gbac/note/on", "i", 60);
    expect_error(f, "/gbac/note/on", "expected");
    SEND(f, "/gbac/tempo", "f", 900.0f);
    expect_error(f, "/gbac/tempo", "out of range");
    SEND(f, "/gbac/status", "i", 3);
    expect_error(f, "/gbac/status", "no arguments");
    SEND(f, "/gbac/learn", "s", "fx0/nothing");
    expect_error(f, "/gbac/learn", "unknown parameter");
    SEND(f, "/gbac/unsubscribe", "");
    expect_error(f, "/gbac/unsubscribe", "not subscribed");
    SEND(f, "/gbac/record/stop", "");
    expect_error(f, "/gbac/record/stop", "not available in this host"); /* no recorder */
    /* An incoming /gbac/error is counted but never answered (no error ping-pong). */
    SEND(f, "/gbac/error", "ss", "/x", "y");
    assert_int_equal(pump(f, 200), 0);
    assert_int_equal(ld(&f->stats.osc_errors), 14);
    gb_live_cmd_t c;
    assert_false(gb_ring_pop(f->ring, &c));
    assert_int_equal(ld(&f->stats.osc_messages), 0);
}

/* /gbac/status carries every counter of the one list (the contract names among them), with
 * the values the server counted, and the host's own facts. */
static void test_status_has_every_counter(void **state)
{
    fx_t *f = *state;
    fx_server(f, NULL, 0);
    SEND(f, "/gbac/subscribe", "");
    SEND(f, "/gbac/nope", "");
    SEND(f, "/gbac/param/fx0/mix", "f", 0.5f);
    pump(f, 500);
    atomic_store(&f->stats.midi_events, 42);
    atomic_store(&f->stats.fb_dropped, 7);
    SEND(f, "/gbac/status", "");
    pump(f, 1000);
    const reply_t *r = last_reply(f);
    assert_string_equal(r->path, "/gbac/status");
    json_t *st = json_loads(r->s[0], 0, NULL);
    assert_non_null(st);
    static const char *const contract[] = {"xruns", "midi_events", "midi_dropped",
                                           "osc_messages", "osc_errors", "osc_refused",
                                           "osc_dropped", "fb_dropped", "subscribers"};
    for (size_t i = 0; i < sizeof contract / sizeof contract[0]; i++)
        assert_true(json_is_integer(json_object_get(st, contract[i])));
    for (int i = 0; i < GB_LIVE_N_COUNTERS; i++) {
        json_t *v = json_object_get(st, gb_live_counter_name(i));
        assert_true(json_is_integer(v));
        assert_int_equal(json_integer_value(v), gb_live_counter_get(&f->stats, i) -
                                                    (i == GB_LC_osc_messages ? 1 : 0));
    }
    assert_int_equal(json_integer_value(json_object_get(st, "subscribers")), 1);
    assert_int_equal(json_integer_value(json_object_get(st, "osc_errors")), 1);
    assert_int_equal(json_integer_value(json_object_get(st, "osc_messages")), 2);
    assert_int_equal(json_integer_value(json_object_get(st, "midi_events")), 42);
    assert_int_equal(json_integer_value(json_object_get(st, "fb_dropped")), 7);
    assert_string_equal(json_string_value(json_object_get(st, "client")), "test-host");
    json_decref(st);
}

/* Error replies go to the sender; a subscriber with "errors" gets a copy of every one, a
 * plain subscriber none; the sender that is itself such a subscriber gets one, not two. */
static void test_errors_reach_error_subscribers(void **state)
{
    fx_t *f = *state;
    fx_server(f, NULL, 0);
    fx_t w = {0}; /* the watcher: another client on this host */
    lo_server watcher = lo_server_new_with_proto(NULL, LO_UDP, NULL);
    assert_non_null(watcher);
    lo_server_add_method(watcher, NULL, NULL, on_reply, &w);
    const int wport = lo_server_get_port(watcher);
    SEND(f, "/gbac/subscribe", "is", wport, "errors");
    assert_int_equal(pump(f, 1000), 1);
    assert_string_equal(last_reply(f)->path, "/gbac/subscribed");
    assert_int_equal(last_reply(f)->i[0], wport);
    SEND(f, "/gbac/note/on", "ii", 60, 300);
    expect_error(f, "/gbac/note/on", "velocity 300 out of range 0..127");
    while (lo_server_recv_noblock(watcher, 500) > 0)
        ;
    assert_int_equal(w.n_replies, 1);
    assert_string_equal(w.replies[0].path, "/gbac/error");
    assert_string_equal(w.replies[0].s[0], "/gbac/note/on");
    assert_string_equal(w.replies[0].s[1], "/gbac/note/on: velocity 300 out of range 0..127");
    /* The same port again without the option: the copies stop. */
    SEND(f, "/gbac/subscribe", "i", wport);
    assert_int_equal(pump(f, 1000), 1);
    SEND(f, "/gbac/nope", "");
    expect_error(f, "/gbac/nope", "unknown OSC path");
    assert_int_equal(lo_server_recv_noblock(watcher, 300), 0);
    assert_int_equal(w.n_replies, 1);
    /* The sender subscribed for errors itself: one error, not two. */
    SEND(f, "/gbac/subscribe", "s", "errors");
    assert_int_equal(pump(f, 1000), 1);
    const int before = f->n_replies;
    SEND(f, "/gbac/nope", "");
    pump(f, 500);
    assert_int_equal(f->n_replies, before + 1);
    SEND(f, "/gbac/subscribe", "s", "everything");
    expect_error(f, "/gbac/subscribe", "unknown option 'everything'");
    lo_server_free(watcher);
}

/* Learn: "slot/name" arms with the handle, "" and /gbac/learn/cancel disarm. */
static void test_learn_sends_handle(void **state)
{
    fx_t *f = *state;
    fx_server(f, NULL, 0);
    SEND(f, "/gbac/learn", "s", "fx0/feedback");
    SEND(f, "/gbac/learn", "s", "/gbac/param/master/gain_db");
    SEND(f, "/gbac/learn", "s", "");
    SEND(f, "/gbac/learn/cancel", "");
    pump(f, 100);
    gb_live_cmd_t c;
    assert_true(gb_ring_pop(f->ring, &c));
    assert_int_equal(c.kind, GB_CMD_LEARN);
    assert_int_equal(c.handle, gb_engine_param_find(f->engine, "fx0/feedback"));
    assert_true(gb_ring_pop(f->ring, &c));
    assert_int_equal(c.handle, gb_engine_param_find(f->engine, "master/gain_db"));
    assert_true(gb_ring_pop(f->ring, &c));
    assert_int_equal(c.handle, -1);
    assert_true(gb_ring_pop(f->ring, &c));
    assert_int_equal(c.handle, -1);
    assert_int_equal(ld(&f->stats.osc_messages), 4);
    /* The arming client hears about the mapping even when not subscribed. */
    gb_live_fb_t fb = {.kind = GB_FB_LEARNED, .cc = 21,
                       .handle = gb_engine_param_find(f->engine, "fx0/feedback")};
    gb_osc_server_feedback(f->srv, &fb);
    assert_int_equal(pump(f, 1000), 1);
    assert_string_equal(last_reply(f)->path, "/gbac/learned");
    assert_string_equal(last_reply(f)->types, "si");
    assert_string_equal(last_reply(f)->s[0], "/gbac/param/fx0/feedback");
    assert_int_equal(last_reply(f)->i[0], 21);
}

/* Raw UDP from a socket bound to another loopback address. */
static int socket_from(const char *ip)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, ip, &a.sin_addr);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void send_raw(int fd, int port, const char *path, lo_message m)
{
    char buf[1024];
    size_t len = sizeof buf;
    assert_non_null(lo_message_serialise(m, path, buf, &len));
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof to), (ssize_t)len);
}

/* Path of a reply received on fd within ms, or "" if none came. */
static void recv_raw(int fd, int ms, char *path, size_t cap)
{
    path[0] = '\0';
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, ms) != 1)
        return;
    char buf[2048];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    assert_true(n > 0);
    const char *pp = lo_get_path(buf, n);
    snprintf(path, cap, "%s", pp ? pp : "?");
}

static void test_sender_outside_allow_list_is_refused_silently(void **state)
{
    fx_t *f = *state;
    fx_server(f, NULL, 0); /* default: 127.0.0.0/8 ... */
    int fd = socket_from("127.0.0.2");
    lo_message m = lo_message_new();
    /* ...is loopback, so 127.0.0.2 is served by default: */
    send_raw(fd, gb_osc_server_port(f->srv), "/gbac/ping", m);
    gb_osc_server_poll(f->srv, 500, 10);
    char path[256];
    recv_raw(fd, 1000, path, sizeof path);
    assert_string_equal(path, "/gbac/pong");
    gb_osc_server_free(f->srv);
    lo_address_free(f->to);
    close(fd);
    memset(&f->stats, 0, sizeof f->stats);

    /* Only 127.0.0.1/32: 127.0.0.2 gets nothing at all, and is counted. */
    gb_cidr_t only;
    assert_int_equal(gb_cidr_parse("127.0.0.1/32", &only), 0);
    fx_server(f, &only, 1);
    fd = socket_from("127.0.0.2");
    send_raw(fd, gb_osc_server_port(f->srv), "/gbac/ping", m);
    lo_message_add_float(m, 0.5f);
    send_raw(fd, gb_osc_server_port(f->srv), "/gbac/param/fx0/mix", m);
    send_raw(fd, gb_osc_server_port(f->srv), "/gbac/nope", m);
    int handled = 0;
    for (int i = 0; i < 20 && handled < 3; i++)
        handled += gb_osc_server_poll(f->srv, 100, 10);
    assert_int_equal(handled, 3);
    recv_raw(fd, 300, path, sizeof path);
    assert_string_equal(path, "");
    assert_int_equal(ld(&f->stats.osc_refused), 3);
    assert_int_equal(ld(&f->stats.osc_messages) + ld(&f->stats.osc_errors), 0);
    gb_live_cmd_t c;
    assert_false(gb_ring_pop(f->ring, &c));
    /* 127.0.0.1 itself is still served. */
    SEND(f, "/gbac/ping", "");
    assert_int_equal(pump(f, 1000), 1);
    gb_osc_server_free(f->srv);
    lo_address_free(f->to);
    memset(&f->stats, 0, sizeof f->stats);

    /* Allow 127.0.0.2/32: served (and 127.0.0.1 is now refused). */
    gb_cidr_t two;
    assert_int_equal(gb_cidr_parse("127.0.0.2/32", &two), 0);
    fx_server(f, &two, 1);
    send_raw(fd, gb_osc_server_port(f->srv), "/gbac/param/fx0/mix", m);
    gb_osc_server_poll(f->srv, 500, 10);
    assert_true(gb_ring_pop(f->ring, &c));
    assert_float_equal(c.ev.value, 0.5f, 1e-6);
    lo_message_free(m);
    m = lo_message_new();
    send_raw(fd, gb_osc_server_port(f->srv), "/gbac/ping", m);
    gb_osc_server_poll(f->srv, 500, 10);
    recv_raw(fd, 1000, path, sizeof path);
    assert_string_equal(path, "/gbac/pong");
    const uint64_t refused = ld(&f->stats.osc_refused);
    SEND(f, "/gbac/ping", "");
    assert_int_equal(pump(f, 300), 0);
    assert_int_equal(ld(&f->stats.osc_refused), refused + 1);
    lo_message_free(m);
    close(fd);
}

static void test_preset_and_record_names_are_confined(void **state)
{
    fx_t *f = *state;
    fx_server(f, NULL, 0);
    const char *bad[] = {"../etc/passwd", "/etc/passwd", "a/../../x", "..", "evil", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        SEND(f, "/gbac/preset/load", "s", bad[i]);
        expect_error(f, "/gbac/preset/load", "refused");
        SEND(f, "/gbac/preset/save", "s", bad[i]);
        expect_error(f, "/gbac/preset/save", "refused");
    }
    assert_int_equal(f->n_loads + f->n_saves, 0);
    SEND(f, "/gbac/preset/load", "s", "missing");
    expect_error(f, "/gbac/preset/load", "not found");
    SEND(f, "/gbac/preset/load", "i", 3);
    expect_error(f, "/gbac/preset/load", "type tags 'i' are not accepted; expected preset name");

    char want[4200], real[4096];
    assert_non_null(realpath(f->preset_dir, real));
    SEND(f, "/gbac/preset/load", "s", "mine");
    assert_int_equal(pump(f, 1000), 1);
    assert_string_equal(last_reply(f)->path, "/gbac/preset/loaded");
    snprintf(want, sizeof want, "%s/mine.json", real);
    assert_int_equal(f->n_loads, 1);
    assert_string_equal(f->loaded, want);
    SEND(f, "/gbac/preset/save", "s", "new-one.json");
    assert_int_equal(pump(f, 1000), 1);
    assert_string_equal(last_reply(f)->path, "/gbac/preset/saved");
    snprintf(want, sizeof want, "%s/new-one.json", real);
    assert_string_equal(f->saved, want);

    /* Recording names are confined (this host has no recorder: an error after the check). */
    SEND(f, "/gbac/record/start", "s", "../../tmp/take");
    expect_error(f, "/gbac/record/start", "refused");
    SEND(f, "/gbac/record/start", "s", "/tmp/take");
    expect_error(f, "/gbac/record/start", "absolute");
    SEND(f, "/gbac/record/start", "s", "take1");
    expect_error(f, "/gbac/record/start", "not available in this host");
}

static void test_schema_lists_every_parameter(void **state)
{
    fx_t *f = *state;
    fx_server(f, NULL, 0);
    SEND(f, "/gbac/schema", "");
    pump(f, 1000);
    assert_true(f->schema_chunks >= 1);
    assert_int_equal(f->schema_chunks, f->schema_count);
    json_error_t je;
    json_t *root = json_loads(f->schema, 0, &je);
    if (!root)
        fprintf(stderr, "schema: %s at %d\n", je.text, je.position);
    assert_non_null(root);
    json_t *params = json_object_get(root, "params");
    const int n = gb_engine_param_count(f->engine);
    assert_true(n > 10);
    assert_int_equal((int)json_array_size(params), n);
    for (int i = 0; i < n; i++) {
        const int32_t h = gb_engine_param_handle(f->engine, i);
        const char *slot;
        const gbp_param_info_t *info;
        assert_int_equal(gb_engine_param_info(f->engine, h, &slot, &info), 0);
        char path[160];
        snprintf(path, sizeof path, "/gbac/param/%s/%s", slot, info->name);
        int found = 0;
        for (size_t k = 0; k < json_array_size(params); k++) {
            json_t *p = json_array_get(params, k);
            if (strcmp(json_string_value(json_object_get(p, "path")), path) != 0)
                continue;
            found = 1;
            assert_float_equal(json_real_value(json_object_get(p, "min")), info->min, 1e-6);
            assert_float_equal(json_real_value(json_object_get(p, "max")), info->max, 1e-6);
            assert_float_equal(json_real_value(json_object_get(p, "default")), info->def, 1e-6);
            assert_string_equal(json_string_value(json_object_get(p, "unit")),
                                info->unit ? info->unit : "");
        }
        assert_true(found);
    }
    assert_true(json_array_size(json_object_get(root, "paths")) >= 15);
    json_decref(root);
    printf("schema: %zu bytes in %d chunk(s)\n", strlen(f->schema), f->schema_chunks);
    /* The same schema from the API, indented. */
    char *text = gb_osc_schema_json(f->engine);
    root = json_loads(text, 0, &je);
    assert_non_null(root);
    assert_int_equal((int)json_array_size(json_object_get(root, "params")), n);
    json_decref(root);
    free(text);
}

static void test_subscribe_and_feedback(void **state)
{
    fx_t *f = *state;
    fx_server(f, NULL, 0);
    SEND(f, "/gbac/subscribe", "");
    assert_int_equal(pump(f, 1000), 1);
    assert_string_equal(last_reply(f)->path, "/gbac/subscribed");
    assert_int_equal(last_reply(f)->i[0], lo_server_get_port(f->client));
    SEND(f, "/gbac/subscribe", ""); /* idempotent */
    assert_int_equal(pump(f, 1000), 1);
    /* The table is bounded: 7 more ports fill it, the 9th subscriber is refused. */
    for (int p = 1; p <= GB_OSC_MAX_SUBSCRIBERS; p++) {
        SEND(f, "/gbac/subscribe", "i", 40000 + p);
        pump(f, 1000);
        assert_string_equal(last_reply(f)->path,
                            p < GB_OSC_MAX_SUBSCRIBERS ? "/gbac/subscribed" : "/gbac/error");
    }
    for (int p = 1; p < GB_OSC_MAX_SUBSCRIBERS; p++) {
        SEND(f, "/gbac/unsubscribe", "i", 40000 + p);
        pump(f, 1000);
        assert_string_equal(last_reply(f)->path, "/gbac/unsubscribed");
    }

    const int32_t h = gb_engine_param_find(f->engine, "fx0/mix");
    gb_live_fb_t fb = {.kind = GB_FB_PARAM, .handle = h, .value = 0.75f};
    gb_osc_server_feedback(f->srv, &fb);
    assert_int_equal(pump(f, 1000), 1);
    assert_string_equal(last_reply(f)->path, "/gbac/param/fx0/mix");
    assert_float_equal(last_reply(f)->f[0], 0.75f, 1e-6);
    gb_live_fb_t note = {.kind = GB_FB_NOTE};
    note.ev.type = GBP_EV_NOTE_ON;
    note.ev.key = 67;
    note.ev.channel = 1;
    note.ev.value = 0.5f;
    gb_osc_server_feedback(f->srv, &note);
    assert_int_equal(pump(f, 1000), 1);
    assert_string_equal(last_reply(f)->path, "/gbac/note/generated");
    assert_string_equal(last_reply(f)->types, "iii");
    assert_int_equal(last_reply(f)->i[0], 67);
    assert_int_equal(last_reply(f)->i[1], 64);
    assert_int_equal(last_reply(f)->i[2], 1);
    atomic_fetch_add(&f->stats.xruns, 3);
    assert_int_equal(pump(f, 1000), 1);
    assert_string_equal(last_reply(f)->path, "/gbac/xrun");
    assert_int_equal(last_reply(f)->i[0], 3);
    assert_int_equal(pump(f, 100), 0); /* only when it changes */

    /* 1000 meter items over one second: at most 30 reach the subscriber. */
    f->n_meters = 0;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    gb_live_fb_t m = {.kind = GB_FB_METER, .peak_l = 0.5f, .peak_r = 0.25f, .dsp_load = 12.5f};
    for (int i = 0; i < 1000; i++) {
        gb_osc_server_feedback(f->srv, &m);
        gb_osc_server_poll(f->srv, 0, 16);
        while (lo_server_recv_noblock(f->client, 0) > 0)
            ;
        struct timespec d = {0, 1000000};
        nanosleep(&d, NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &t);
    while (lo_server_recv_noblock(f->client, 50) > 0)
        ;
    const double secs = (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) * 1e-9;
    printf("meters: %d received for 1000 fed over %.3f s\n", f->n_meters, secs);
    /* In any window of 1 s (measured at the receiver, which can only bunch them up less
     * than the sender spaced them, give or take scheduling), at most 30. */
    int most = 0;
    for (int i = 0; i < f->n_meters; i++) {
        int k = i;
        while (k < f->n_meters && f->meter_t[k] - f->meter_t[i] < 1.0 - 0.005)
            k++;
        most = k - i > most ? k - i : most;
    }
    printf("meters: at most %d in any 1 s window\n", most);
    assert_true(most <= 30);
    assert_true(f->n_meters >= 20);
    const reply_t *r = last_reply(f);
    assert_string_equal(r->path, "/gbac/meter");
    assert_string_equal(r->types, "fff");
    assert_float_equal(r->f[0], -6.0206f, 1e-3);
    assert_float_equal(r->f[1], -12.0412f, 1e-3);
    assert_float_equal(r->f[2], 12.5f, 1e-6);

    SEND(f, "/gbac/unsubscribe", "");
    assert_int_equal(pump(f, 1000), 1);
    assert_string_equal(last_reply(f)->path, "/gbac/unsubscribed");
    gb_osc_server_feedback(f->srv, &fb);
    assert_int_equal(pump(f, 200), 0);
}

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks;
}

typedef struct flood {
    int port, n;
    double secs;
} flood_t;

static void *flood_thread(void *arg)
{
    flood_t *fl = arg;
    char port[16];
    snprintf(port, sizeof port, "%d", fl->port);
    lo_address a = lo_address_new("127.0.0.1", port);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < fl->n; i++) {
        if (i % 2)
            lo_send(a, "/gbac/param/fx0/mix", "f", (float)(i % 100) / 100.0f);
        else
            lo_send(a, "/gbac/bogus", "i", i);
    }
    clock_gettime(CLOCK_MONOTONIC, &t);
    fl->secs = (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) * 1e-9;
    lo_address_free(a);
    return NULL;
}

/* 10 000 messages in a burst while the main loop polls at most 32 per call: every poll
 * returns, the counters add up, nothing grows, and a ping afterwards is answered. */
static void test_flood_stays_responsive_and_bounded(void **state)
{
    fx_t *f = *state;
    fx_server(f, NULL, 0);
    /* Warm up liblo's and the allocator's paths once. */
    SEND(f, "/gbac/param/fx0/mix", "f", 0.1f);
    SEND(f, "/gbac/bogus", "");
    pump(f, 200);
    gb_live_cmd_t c;
    while (gb_ring_pop(f->ring, &c))
        ;
    memset(&f->stats, 0, sizeof f->stats);
    const size_t heap0 = heap_in_use();

    flood_t fl = {gb_osc_server_port(f->srv), 10000, 0};
    pthread_t th;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(pthread_create(&th, NULL, flood_thread, &fl), 0);
    long handled = 0;
    int polls = 0, max_per_poll = 0, idle = 0;
    for (;;) {
        int n = gb_osc_server_poll(f->srv, 20, 32);
        assert_true(n <= 32 + 1);
        max_per_poll = n > max_per_poll ? n : max_per_poll;
        handled += n;
        polls++;
        if (n == 0 && ++idle > 5)
            break;
        if (n)
            idle = 0;
        /* the "audio thread" drains the ring only now and then: it fills up */
        if (polls % 8 == 0)
            while (gb_ring_pop(f->ring, &c))
                ;
        while (lo_server_recv_noblock(f->client, 0) > 0)
            ;
    }
    pthread_join(th, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t);
    const double secs = (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) * 1e-9;
    const uint64_t ok = ld(&f->stats.osc_messages), errs = ld(&f->stats.osc_errors),
                   dropped = ld(&f->stats.osc_dropped), refused = ld(&f->stats.osc_refused);
    printf("flood: 10000 sent in %.3f s; handled %ld in %.3f s over %d polls (max %d per "
           "poll): served %llu, errors %llu, ring-full dropped %llu, lost in the kernel %ld\n",
           fl.secs, handled, secs, polls, max_per_poll, (unsigned long long)ok,
           (unsigned long long)errs, (unsigned long long)dropped, 10000 - handled);
    assert_true(handled <= 10000);
    assert_int_equal(ok + errs + dropped + refused, (uint64_t)handled);
    assert_int_equal(refused, 0);
    assert_true(handled > 100);
    assert_true(errs > 0);
    /* Heap use does not grow with traffic (liblo frees each message; tables are fixed). */
    const size_t heap1 = heap_in_use();
    printf("flood: heap in use %zu -> %zu bytes\n", heap0, heap1);
    assert_true(heap1 < heap0 + 16384);

    /* Still responsive. */
    while (gb_ring_pop(f->ring, &c))
        ;
    SEND(f, "/gbac/ping", "");
    assert_int_equal(pump(f, 1000), 1);
    assert_string_equal(last_reply(f)->path, "/gbac/pong");
}

/* With the ring full, a command is dropped, counted in osc_dropped and answered. */
static void test_full_ring_counts_dropped(void **state)
{
    fx_t *f = *state;
    fx_server(f, NULL, 0);
    const size_t cap = gb_ring_capacity(f->ring);
    for (size_t i = 0; i < cap + 5; i++)
        SEND(f, "/gbac/note/on", "ii", 60, 100);
    int handled = 0;
    for (int i = 0; i < 50 && handled < (int)cap + 5; i++)
        handled += gb_osc_server_poll(f->srv, 100, 1000);
    assert_int_equal(handled, (int)cap + 5);
    assert_int_equal(ld(&f->stats.osc_messages), cap);
    assert_int_equal(ld(&f->stats.osc_dropped), 5);
    assert_int_equal(ld(&f->stats.osc_errors), 0);
    pump(f, 500);
    assert_string_equal(last_reply(f)->path, "/gbac/error");
    assert_non_null(strstr(last_reply(f)->s[1], "full"));
}

/* Random bytes and truncated packets at the port: no crash, counted, still serving. */
static void test_malformed_packets_do_not_crash(void **state)
{
    fx_t *f = *state;
    fx_server(f, NULL, 0);
    int fd = socket_from("127.0.0.1");
    struct sockaddr_in to = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)gb_osc_server_port(f->srv))};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    srand(7);
    unsigned char buf[512];
    int sent = 0;
    for (int i = 0; i < 2000; i++) {
        size_t len = 1 + (size_t)(rand() % (int)sizeof buf);
        for (size_t k = 0; k < len; k++)
            buf[k] = (unsigned char)rand();
        if (i % 4 == 1) /* an OSC-looking start */
            memcpy(buf, "/gbac/param/fx0/mix\0,f\0\0", len < 24 ? len : 24);
        if (i % 4 == 2 && len > 16) /* a bundle header */
            memcpy(buf, "#bundle\0\0\0\0\0\0\0\0\1", 16);
        sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof to);
        sent++;
        if (i % 50 == 0)
            gb_osc_server_poll(f->srv, 0, 1000);
    }
    for (int i = 0; i < 20; i++)
        gb_osc_server_poll(f->srv, 10, 1000);
    close(fd);
    SEND(f, "/gbac/ping", "");
    assert_true(pump(f, 1000) >= 1);
    assert_string_equal(last_reply(f)->path, "/gbac/pong");
    printf("malformed: %d sent; errors %llu, served %llu\n", sent,
           (unsigned long long)ld(&f->stats.osc_errors),
           (unsigned long long)ld(&f->stats.osc_messages));
}

/* Direct dispatch (the fuzz target's way in) applies the same access control. */
static void test_dispatch_without_sender_is_refused(void **state)
{
    fx_t *f = *state;
    fx_server(f, NULL, 0);
    lo_message m = lo_message_new();
    gb_osc_server_dispatch(f->srv, "/gbac/ping", m, NULL);
    lo_address far = lo_address_new("10.1.2.3", "9");
    gb_osc_server_dispatch(f->srv, "/gbac/ping", m, far);
    assert_int_equal(ld(&f->stats.osc_refused), 2);
    lo_address near = lo_address_new("127.0.0.1", "9");
    gb_osc_server_dispatch(f->srv, "/gbac/ping", m, near);
    assert_int_equal(ld(&f->stats.osc_messages), 1);
    lo_address_free(near);
    lo_address_free(far);
    lo_message_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cidr_parse_and_match),
        cmocka_unit_test_setup_teardown(test_param_set_sends_command_with_handle, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_queries_reply_to_sender, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_reply_and_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_has_every_counter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_reach_error_subscribers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_learn_sends_handle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sender_outside_allow_list_is_refused_silently,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_preset_and_record_names_are_confined, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_schema_lists_every_parameter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subscribe_and_feedback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flood_stays_responsive_and_bounded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_full_ring_counts_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_packets_do_not_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dispatch_without_sender_is_refused, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
