/* gb_osc_status.h — a test's OSC line to one `gbac live`: /gbac/status as JSON, /gbac/tempo.
 * Given a network namespace (gb_netns.h), it talks to the gbac of that namespace at
 * 127.0.0.1. Every status query has a socket of its own, so a reply that comes after its
 * query gave up can never be taken for the next one's.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_OSC_STATUS_H
#define GB_OSC_STATUS_H

#include <jansson.h>
#include <lo/lo.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gb_netns.h"

typedef struct gbt_osc {
    char ns[32];   /* "" : the test's own namespace */
    int port;
    lo_server srv; /* for /gbac/tempo */
    lo_address to;
    json_t *reply; /* the last /gbac/status reply, owned */
} gbt_osc_t;

static int gbt_osc_on_status(const char *path, const char *types, lo_arg **argv, int argc,
                             lo_message msg, void *user)
{
    (void)path;
    (void)msg;
    gbt_osc_t *o = user;
    if (argc >= 1 && types[0] == 's') {
        json_decref(o->reply);
        o->reply = json_loads(&argv[0]->s, 0, NULL);
    }
    return 0;
}

/* A UDP server on a free port inside the line's namespace. */
static inline lo_server gbt_osc_server(const gbt_osc_t *o)
{
    if (o->ns[0] && gbt_ns_enter(o->ns) != 0)
        return NULL;
    lo_server s = lo_server_new(NULL, NULL);
    if (o->ns[0])
        gbt_ns_leave();
    return s;
}

/** A line to 127.0.0.1:port in namespace ns (NULL: here). 0 or -1. */
static inline int gbt_osc_open(gbt_osc_t *o, const char *ns, int port)
{
    memset(o, 0, sizeof *o);
    snprintf(o->ns, sizeof o->ns, "%s", ns ? ns : "");
    o->port = port;
    o->srv = gbt_osc_server(o);
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    o->to = lo_address_new("127.0.0.1", ps);
    return o->srv && o->to ? 0 : -1;
}

static inline void gbt_osc_close(gbt_osc_t *o)
{
    if (o->srv)
        lo_server_free(o->srv);
    if (o->to)
        lo_address_free(o->to);
    json_decref(o->reply);
    memset(o, 0, sizeof *o);
}

static inline double gbt_mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/** CLOCK_MONOTONIC_RAW in µs: Ableton Link's clock, the one gbac's link_time_us and
 *  transport_time_us are on. */
static inline int64_t gbt_raw_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/** Ask /gbac/status and wait up to ms for the reply. The reply (borrowed: valid until the
 *  next call) or NULL. */
static inline json_t *gbt_osc_status(gbt_osc_t *o, int ms)
{
    json_decref(o->reply);
    o->reply = NULL;
    lo_server s = gbt_osc_server(o);
    if (!s)
        return NULL;
    lo_server_add_method(s, "/gbac/status", "s", gbt_osc_on_status, o);
    const double end = gbt_mono_s() + ms / 1000.0;
    if (lo_send_from(o->to, s, LO_TT_IMMEDIATE, "/gbac/status", "") >= 0)
        while (!o->reply) {
            const double left = end - gbt_mono_s();
            if (left <= 0)
                break;
            lo_server_recv_noblock(s, (int)(left * 1000) + 1);
        }
    lo_server_free(s);
    return o->reply;
}

/** A number field of the last reply (NaN when missing). */
static inline double gbt_osc_num(const gbt_osc_t *o, const char *key)
{
    json_t *v = o->reply ? json_object_get(o->reply, key) : NULL;
    return json_is_number(v) ? json_number_value(v) : json_is_boolean(v) ? json_is_true(v)
                                                                         : (0.0 / 0.0);
}

/** A string field of the last reply ("" when missing). */
static inline const char *gbt_osc_str(const gbt_osc_t *o, const char *key)
{
    json_t *v = o->reply ? json_object_get(o->reply, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : "";
}

/** Send /gbac/tempo f bpm. 0 or -1. */
static inline int gbt_osc_tempo(gbt_osc_t *o, double bpm)
{
    return lo_send_from(o->to, o->srv, LO_TT_IMMEDIATE, "/gbac/tempo", "f", (float)bpm) < 0
               ? -1
               : 0;
}

/** Wait up to ms for gbac to answer /gbac/status at all. 0 or -1. */
static inline int gbt_osc_wait_up(gbt_osc_t *o, int ms)
{
    const double end = gbt_mono_s() + ms / 1000.0;
    while (gbt_mono_s() < end)
        if (gbt_osc_status(o, 100))
            return 0;
    return -1;
}

#endif
