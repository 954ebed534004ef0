/* gb_transport.c — the live transport's source, period by period (see gb_transport.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_transport.h"

#include <jack/transport.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gb_jack_rt.h"
#include "gb_ring.h"

#define TR_RING 256u          /* records: ~0.3 s of 64-frame periods; main drains every 5 ms */
#define TR_FRESH_S 0.5        /* a record older than this: the audio thread is not running */
#define TR_NET_CHECK_S 1.0    /* how often main looks at the network interfaces */

struct gb_transport {
    gb_link_t *link;
    atomic_uint latency;      /* playback latency of the outputs, frames */
    gb_ring_t *ring;          /* audio → main: gb_transport_info_t */
    double rt_tempo;          /* [audio] the tempo of the period before */
    int64_t rt_tempo_since;   /* [audio] since when it holds */
    int64_t proposed_us;      /* [main] when gbac last proposed a tempo to Link */
    /* [main] */
    gb_transport_info_t last;
    double last_at;           /* monotonic s when `last` arrived (0: never) */
    double net_checked;
    int n_ifaces;             /* -1: not looked yet */
    char ifaces[256];
    int peers_told;           /* -1: not told yet */
};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Link's clock, read without Link (the same clock_gettime it uses). [any, RT-safe] */
static int64_t raw_us(void) GB_RT
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

gb_transport_t *gb_transport_new(gb_link_t *link)
{
    gb_transport_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ring = gb_ring_new(sizeof(gb_transport_info_t), TR_RING);
    if (!t->ring) {
        free(t);
        return NULL;
    }
    t->link = link;
    t->n_ifaces = -1;
    t->peers_told = -1;
    return t;
}

void gb_transport_free(gb_transport_t *t)
{
    if (!t)
        return;
    gb_ring_free(t->ring);
    free(t);
}

void gb_transport_set_latency(gb_transport_t *t, uint32_t frames)
{
    atomic_store_explicit(&t->latency, frames, memory_order_relaxed);
}

const char *gb_transport_source_name(int source)
{
    return source == GB_TRANSPORT_LINK ? "link" : source == GB_TRANSPORT_JACK ? "jack"
                                                                              : "internal";
}

/* ---- the audio thread --------------------------------------------------------------------- */

/* When the period's first frame is heard, on Link's clock: the cycle's start by JACK's
 * filtered clock, plus the outputs' playback latency. */
static int64_t heard_us(gb_transport_t *t, jack_client_t *c, double rate) GB_RT
{
    jack_nframes_t cf;
    jack_time_t cu, nu;
    float pu;
    const int64_t off = raw_us() - (int64_t)jack_get_time();
    int64_t cycle = jack_get_cycle_times(c, &cf, &cu, &nu, &pu) == 0
                        ? (int64_t)cu
                        : (int64_t)jack_get_time() -
                              (int64_t)(jack_frames_since_cycle_start(c) * 1e6 / rate);
    const uint32_t lat = atomic_load_explicit(&t->latency, memory_order_relaxed);
    return cycle + off + (int64_t)llround(lat * 1e6 / rate);
}

/* JACK transport when it rolls with BBT: tempo, meter, beat. */
static int jack_bbt(jack_client_t *c, gbp_transport_t *tr) GB_RT
{
    jack_position_t pos;
    const jack_transport_state_t st = jack_transport_query(c, &pos);
    if (st != JackTransportRolling || !(pos.valid & JackPositionBBT) || !(pos.beats_per_minute > 0))
        return 0;
    tr->tempo_bpm = pos.beats_per_minute;
    tr->beats_per_bar = pos.beats_per_bar > 0 ? (uint32_t)pos.beats_per_bar : 4;
    tr->beat_unit = pos.beat_type > 0 ? (uint32_t)pos.beat_type : 4;
    tr->beat = (double)(pos.bar - 1) * pos.beats_per_bar + (pos.beat - 1) +
               (pos.ticks_per_beat > 0 ? pos.tick / pos.ticks_per_beat : 0.0);
    tr->playing = 1;
    return 1;
}

void gb_transport_follow(gb_transport_t *t, jack_client_t *c, gb_engine_t *e, uint64_t start,
                         uint32_t nframes) GB_RT
{
    (void)nframes;
    const gbp_transport_t *cur = gb_engine_transport(e);
    gb_transport_info_t info = {0};
    info.heard_us = heard_us(t, c, cur->sample_rate > 0 ? cur->sample_rate : 48000.0);
    info.frame = start;
    gbp_transport_t jt = *cur;
    info.jack_rolling = jack_bbt(c, &jt);
    if (t->link && gb_link_is_enabled(t->link)) {
        gb_link_state_t ls;
        gbp_transport_t tr = *cur;
        gb_link_audio_state(t->link, info.heard_us, (double)cur->beats_per_bar, &ls);
        tr.tempo_bpm = ls.tempo_bpm;
        tr.beat = ls.beat;
        tr.playing = 1;
        gb_engine_follow_transport(e, &tr);
        info.source = GB_TRANSPORT_LINK;
        info.link_phase = ls.phase;
    } else if (info.jack_rolling) {
        gb_engine_follow_transport(e, &jt);
        info.source = GB_TRANSPORT_JACK;
    } else {
        gb_engine_follow_transport(e, NULL);
        info.source = GB_TRANSPORT_INTERNAL;
    }
    info.tempo_bpm = cur->tempo_bpm;
    info.beat = gb_engine_beat(e);
    info.beats_per_bar = cur->beats_per_bar;
    if (info.tempo_bpm != t->rt_tempo) {
        t->rt_tempo = info.tempo_bpm;
        t->rt_tempo_since = info.heard_us;
    }
    info.tempo_since_us = t->rt_tempo_since;
    gb_ring_push(t->ring, &info); /* full: main is late; the next one will do */
}

/* ---- main ------------------------------------------------------------------------------------ */

void gb_transport_poll(gb_transport_t *t)
{
    if (!t)
        return;
    gb_transport_info_t info;
    int got = 0;
    while (gb_ring_pop(t->ring, &info)) {
        t->last = info;
        got = 1;
    }
    if (got)
        t->last_at = mono_s();
}

int gb_transport_latest(const gb_transport_t *t, gb_transport_info_t *out)
{
    *out = t->last;
    return t->last_at > 0.0 && mono_s() - t->last_at < TR_FRESH_S;
}

int gb_transport_propose_tempo(gb_transport_t *t, double bpm)
{
    if (!t || !t->link || !gb_link_is_enabled(t->link))
        return 0;
    t->proposed_us = gb_link_clock_us(t->link);
    gb_link_propose_tempo(t->link, bpm);
    return 1;
}

/* Link's facts: from the audio thread's latest period while it runs (what the units got),
 * else from main's copy of the session now. */
static void link_view(gb_transport_t *t, gb_link_state_t *ls, double *quantum)
{
    gb_transport_info_t in;
    const int fresh = gb_transport_latest(t, &in);
    *quantum = in.beats_per_bar ? (double)in.beats_per_bar : 4.0;
    if (fresh && in.source == GB_TRANSPORT_LINK) {
        *ls = (gb_link_state_t){in.heard_us, in.tempo_bpm, in.beat, in.link_phase};
        return;
    }
    gb_link_app_state(t->link, gb_link_clock_us(t->link), *quantum, ls);
}

static int set(json_t *obj, const char *key, json_t *v)
{
    return v && json_object_set_new(obj, key, v) == 0 ? 0 : -1;
}

int gb_transport_to_json(gb_transport_t *t, json_t *obj)
{
    gb_transport_info_t in;
    gb_transport_latest(t, &in);
    const int on = t->link && gb_link_is_enabled(t->link);
    int bad = set(obj, "link_enabled", json_boolean(on));
    gb_link_state_t ls = {0};
    double q = in.beats_per_bar ? (double)in.beats_per_bar : 4.0;
    if (on)
        link_view(t, &ls, &q);
    bad |= set(obj, "link_peers", json_integer(on ? (json_int_t)gb_link_peers(t->link) : 0));
    bad |= set(obj, "link_tempo", json_real(on ? ls.tempo_bpm : 0.0));
    bad |= set(obj, "link_phase", json_real(on ? ls.phase : 0.0));
    bad |= set(obj, "link_beat", json_real(on ? ls.beat : 0.0));
    bad |= set(obj, "link_quantum", json_real(q));
    bad |= set(obj, "link_time_us", json_integer(on ? (json_int_t)ls.host_us : 0));
    bad |= set(obj, "link_interfaces", json_integer(on && t->n_ifaces > 0 ? t->n_ifaces : 0));
    gb_link_times_t lt = {0, 0, 0};
    if (on)
        gb_link_get_times(t->link, &lt);
    bad |= set(obj, "link_enabled_us", json_integer((json_int_t)lt.enabled_us));
    bad |= set(obj, "link_peers_us", json_integer((json_int_t)lt.peers_us));
    bad |= set(obj, "link_tempo_us", json_integer((json_int_t)lt.tempo_us));
    bad |= set(obj, "link_proposed_us", json_integer((json_int_t)t->proposed_us));
    bad |= set(obj, "transport", json_string(gb_transport_source_name(in.source)));
    bad |= set(obj, "transport_tempo", json_real(in.tempo_bpm));
    bad |= set(obj, "transport_beat", json_real(in.beat));
    const double bpb = in.beats_per_bar ? (double)in.beats_per_bar : 4.0;
    bad |= set(obj, "transport_phase", json_real(in.beat - bpb * floor(in.beat / bpb)));
    bad |= set(obj, "transport_time_us", json_integer((json_int_t)in.heard_us));
    bad |= set(obj, "transport_tempo_since_us", json_integer((json_int_t)in.tempo_since_us));
    bad |= set(obj, "jack_transport_rolling", json_boolean(in.jack_rolling));
    return bad ? GB_ENOMEM : GB_OK;
}

void gb_transport_describe(gb_transport_t *t, char *buf, size_t cap)
{
    gb_transport_info_t in;
    const int fresh = gb_transport_latest(t, &in);
    if (!(t->link && gb_link_is_enabled(t->link))) {
        snprintf(buf, cap, "%s", gb_transport_source_name(fresh ? in.source : 0));
        return;
    }
    gb_link_state_t ls;
    double q;
    link_view(t, &ls, &q);
    const uint32_t peers = gb_link_peers(t->link);
    snprintf(buf, cap, "link, %u peer%s, bar %.2f/%g%s%s", peers, peers == 1 ? "" : "s",
             ls.phase, q, t->n_ifaces == 0 ? ", no network" : "",
             in.jack_rolling ? " (JACK transport rolling: ignored)" : "");
}

int gb_transport_news(gb_transport_t *t, char *msg, size_t cap)
{
    if (!t->link || !gb_link_is_enabled(t->link))
        return 0;
    const double now = mono_s();
    if (t->n_ifaces < 0 || now - t->net_checked >= TR_NET_CHECK_S) {
        t->net_checked = now;
        char names[256];
        const int n = gb_link_interfaces(names, sizeof names);
        const int was = t->n_ifaces;
        t->n_ifaces = n;
        snprintf(t->ifaces, sizeof t->ifaces, "%s", names);
        if (n == 0 && was != 0) {
            snprintf(msg, cap, "Link: no network interface is up, so no peer can be found; "
                               "gbac plays on Link's own timeline and joins when one comes "
                               "up (bring up lo or a network)");
            return 1;
        }
        if (n > 0 && (was < 0 || was == 0)) {
            snprintf(msg, cap, "Link: %s on %s", was == 0 ? "network back" : "enabled",
                     names);
            return 1;
        }
    }
    const int peers = (int)gb_link_peers(t->link);
    if (peers != t->peers_told) {
        const int first = t->peers_told < 0;
        t->peers_told = peers;
        if (first && peers == 0)
            return 0;
        gb_link_state_t ls;
        gb_link_app_state(t->link, gb_link_clock_us(t->link), 4.0, &ls);
        snprintf(msg, cap, "Link: %d peer%s, tempo %.2f", peers, peers == 1 ? "" : "s",
                 ls.tempo_bpm);
        return 1;
    }
    return 0;
}
