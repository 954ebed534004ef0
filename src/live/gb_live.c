/* gb_live.c — the live host: JACK client, the audio thread's block, the main loop (OSC,
 * status, engine swaps, reconnecting), stats. See gb_live.h for the threads.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_live.h"

#include <errno.h>
#include <jack/jack.h>
#include <jack/midiport.h>
#include <jack/transport.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gb_cost.h"
#include "gb_jack_rt.h"
#include "gb_midi.h"
#include "gb_osc_server.h"
#include "gb_pmidi.h"
#include "gb_ports.h"
#include "gb_preset.h"
#include "gb_recorder.h"
#include "gb_ring.h"
#include "gb_rt_clock.h"
#include "gb_session.h"
#include "gb_live_stats.h"
#include "gb_live_web.h"
#include "gb_status.h"
#include "gb_transport.h"
#include "gb_unit_registry.h"

#define LIVE_MAX_BLOCK 8192u   /* engine block; larger JACK periods are processed in pieces */
#define LIVE_MAX_EVENTS 1024u  /* events per period */
#define LIVE_PENDING 256u      /* commands stamped for a later period */
#define LIVE_CMD_RING 4096u
#define LIVE_FB_RING 4096u
#define LIVE_COST_RING 1024u /* one record a period: ~1.4 s of 64-frame periods */
#define METER_HZ 30.0

struct gb_live {
    gb_live_config_t cfg;
    char name[64];
    gb_unit_registry_t *reg;
    gb_preset_t *preset;          /* main's copy: saved back with learned CC mappings */

    /* JACK */
    jack_client_t *client;
    jack_port_t *out_l, *out_r, *midi_in, *midi_out;
    jack_port_t *audio_in; /* NAME:in, the input an instrument may follow */
    atomic_int lost;              /* set by the shutdown callback */
    atomic_int new_rate;          /* sample rate JACK switched to (0: none) */
    double sample_rate;
    uint32_t period;

    /* engines: the audio thread's, and the hand-over rings */
    gb_engine_t *eng_rt;          /* [audio] */
    uint64_t nonfinite_seen;      /* [audio] eng_rt's gb_engine_nonfinite_blocks, counted */
    gb_engine_t *eng_main;        /* [main] the newest engine handed over */
    gb_ring_t *swap;              /* main → audio: gb_engine_t * */
    gb_ring_t *retire;            /* audio → main: gb_engine_t * to free */

    gb_ring_t *cmd;               /* main → audio */
    gb_ring_t *pm;                /* PortMidi thread → audio */
    gb_ring_t *fb;                /* audio → main */
    gb_ring_t *costq;             /* audio → main: gb_live_cost_t, one per period */
    gb_live_stats_t stats;
    gb_cost_t *cost;              /* [main] the periods' cost so far */

    /* [audio] scratch */
    gb_midi_parser_t parser;
    gbp_event_t *ev;
    gb_live_cmd_t pending[LIVE_PENDING];
    uint32_t n_pending;
    float peak_l, peak_r;
    uint32_t meter_left;
    uint64_t xruns_seen;

    gb_osc_server_t *osc;
    gb_live_web_t *web;           /* the browser surface (--http), or NULL */
    gb_status_t *status;
    gb_link_t *link;              /* --link, else NULL */
    gb_transport_t *tr;           /* who leads the transport (gb_transport.h) */
    gb_ports_t *ports;            /* the server's physical ports, watched (gb_ports.h) */
    gb_pmidi_t *pmidi;
    uint64_t changes;             /* [main] see gb_live_change_count */

    /* recording: main hands the recorder to audio through `rec`; audio raises rec_busy while
     * it may use it, so main knows when it has let go (see record_release) */
    _Atomic(gb_recorder_t *) rec;
    atomic_int rec_busy;
    gb_session_t *session;        /* [main] */
    int rec_fail_reported;        /* [main] */
    double rec_started;           /* [main] monotonic seconds */
};

static atomic_int quit_signal;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&quit_signal, 1);
}

gb_live_config_t gb_live_config_default(void)
{
    gb_live_config_t c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    c.name = "gbac";
    c.osc_port = GB_OSC_DEFAULT_PORT;
    c.http_port = -1;
    c.seed = 1;
    return c;
}

/* ---- the audio thread --------------------------------------------------------------------- */

static void post_fb(gb_live_t *lv, const gb_live_fb_t *fb) GB_RT
{
    if (!gb_ring_push(lv->fb, fb))
        atomic_fetch_add_explicit(&lv->stats.fb_dropped, 1, memory_order_relaxed);
}

/* Insert an event keeping ev[0 .. *n) sorted by time (stable). */
static void add_event(gb_live_t *lv, uint32_t *n, const gbp_event_t *x) GB_RT
{
    if (*n >= LIVE_MAX_EVENTS) {
        atomic_fetch_add_explicit(&lv->stats.midi_dropped, 1, memory_order_relaxed);
        return;
    }
    uint32_t i = *n;
    while (i > 0 && lv->ev[i - 1].time > x->time) {
        lv->ev[i] = lv->ev[i - 1];
        i--;
    }
    lv->ev[i] = *x;
    (*n)++;
}

/* A command for this period (or a later one: kept in pending). */
static void apply_cmd(gb_live_t *lv, gb_engine_t *e, const gb_live_cmd_t *c, uint64_t start,
                      uint32_t frames, uint32_t *n) GB_RT
{
    switch (c->kind) {
    case GB_CMD_EVENT: {
        if (c->frame >= start + frames) {
            if (lv->n_pending < LIVE_PENDING)
                lv->pending[lv->n_pending++] = *c;
            else
                atomic_fetch_add_explicit(&lv->stats.midi_dropped, 1, memory_order_relaxed);
            return;
        }
        gbp_event_t x = c->ev;
        x.time = c->frame > start ? (uint32_t)(c->frame - start) : 0;
        add_event(lv, n, &x);
        break;
    }
    case GB_CMD_TEMPO: gb_engine_set_tempo(e, c->value); break;
    case GB_CMD_LEARN: gb_engine_learn(e, c->handle); break;
    case GB_CMD_MAP_CC: gb_engine_map_cc(e, c->cc, c->channel, c->handle, c->min, c->max); break;
    default: break;
    }
}

static void write_midi_out(gb_live_t *lv, gb_engine_t *e, void *mo, uint32_t offset) GB_RT
{
    uint32_t ng;
    const gbp_event_t *gen = gb_engine_generated(e, &ng);
    for (uint32_t i = 0; i < ng; i++) {
        uint8_t b[3];
        int len = gb_midi_from_event(&gen[i], b);
        if (len > 0)
            jack_midi_event_write(mo, offset + gen[i].time, b, (size_t)len);
        if (gen[i].type == GBP_EV_NOTE_ON || gen[i].type == GBP_EV_NOTE_OFF) {
            gb_live_fb_t fb = {.kind = GB_FB_NOTE, .ev = gen[i]};
            post_fb(lv, &fb);
        }
    }
}

static void post_engine_feedback(gb_live_t *lv, gb_engine_t *e) GB_RT
{
    gb_live_fb_t fb = {0};
    if (gb_engine_learned(e, &fb.cc, &fb.channel, &fb.handle)) {
        fb.kind = GB_FB_LEARNED;
        post_fb(lv, &fb);
    }
    const int32_t *h;
    const float *v;
    const uint32_t *off;
    int nc = gb_engine_param_changes(e, &h, &v);
    for (int i = 0; i < nc; i++) {
        gb_live_fb_t pf = {.kind = GB_FB_PARAM, .handle = h[i], .value = v[i]};
        post_fb(lv, &pf);
    }
    int nr = gb_engine_reports(e, &h, &v, &off);
    for (int i = 0; i < nr; i++) {
        gb_live_fb_t rf = {.kind = GB_FB_REPORT, .handle = h[i], .value = v[i]};
        post_fb(lv, &rf);
    }
}

/* A new engine from main: take it, hand the old one back for freeing. */
static void take_new_engine(gb_live_t *lv) GB_RT
{
    gb_engine_t *neweng;
    while (gb_ring_pop(lv->swap, &neweng)) {
        if (lv->eng_rt && !gb_ring_push(lv->retire, &lv->eng_rt))
            atomic_fetch_add_explicit(&lv->stats.fb_dropped, 1, memory_order_relaxed);
        lv->eng_rt = neweng;
        lv->nonfinite_seen = gb_engine_nonfinite_blocks(neweng);
    }
}

/* Blocks the units muted for NaN/Inf in this period, into the counter (since start, over
 * every engine run). */
static void count_nonfinite(gb_live_t *lv, const gb_engine_t *e) GB_RT
{
    const uint64_t now = gb_engine_nonfinite_blocks(e);
    if (now > lv->nonfinite_seen)
        atomic_fetch_add_explicit(&lv->stats.nonfinite_blocks, now - lv->nonfinite_seen,
                                  memory_order_relaxed);
    lv->nonfinite_seen = now;
}

/* Commands that were waiting for this period, then the new ones (OSC, then PortMidi). */
static void take_commands(gb_live_t *lv, gb_engine_t *e, uint64_t start, uint32_t nframes,
                          uint32_t *n) GB_RT
{
    const uint32_t np = lv->n_pending;
    lv->n_pending = 0;
    gb_live_cmd_t c;
    for (uint32_t i = 0; i < np; i++) {
        c = lv->pending[i];
        apply_cmd(lv, e, &c, start, nframes, n);
    }
    while (gb_ring_pop(lv->cmd, &c))
        apply_cmd(lv, e, &c, start, nframes, n);
    while (gb_ring_pop(lv->pm, &c)) {
        apply_cmd(lv, e, &c, start, nframes, n);
        atomic_fetch_add_explicit(&lv->stats.midi_events, 1, memory_order_relaxed);
    }
}

/* JACK MIDI in: every event on its own frame. */
static void take_jack_midi(gb_live_t *lv, void *mi, uint32_t *n) GB_RT
{
    const uint32_t count = jack_midi_get_event_count(mi);
    for (uint32_t i = 0; i < count; i++) {
        jack_midi_event_t me;
        if (jack_midi_event_get(&me, mi, i) != 0)
            continue;
        gbp_event_t parsed[8];
        uint32_t k = 0;
        uint32_t dropped = gb_midi_parse(&lv->parser, me.buffer, me.size, me.time, parsed, &k, 8);
        for (uint32_t j = 0; j < k; j++)
            add_event(lv, n, &parsed[j]);
        atomic_fetch_add_explicit(&lv->stats.midi_events, k, memory_order_relaxed);
        if (dropped)
            atomic_fetch_add_explicit(&lv->stats.midi_dropped, dropped, memory_order_relaxed);
    }
}

/* The performer's notes of a piece, for the browser surface's piano roll. */
static void post_played(gb_live_t *lv, const gbp_event_t *ev, uint32_t n) GB_RT
{
    for (uint32_t i = 0; i < n; i++) {
        if (ev[i].type != GBP_EV_NOTE_ON && ev[i].type != GBP_EV_NOTE_OFF)
            continue;
        gb_live_fb_t fb = {.kind = GB_FB_PLAYED, .ev = ev[i]};
        post_fb(lv, &fb);
    }
}

/* The engine over the period, in pieces of at most LIVE_MAX_BLOCK frames, with recording,
 * MIDI out and feedback after each piece. */
static void run_engine(gb_live_t *lv, gb_engine_t *e, uint32_t n, const float *in, float *L,
                       float *R, void *mo, gb_recorder_t *rec, uint64_t rec_base,
                       uint32_t nframes) GB_RT
{
    uint32_t done = 0, ei = 0;
    while (done < nframes) {
        uint32_t len = nframes - done < LIVE_MAX_BLOCK ? nframes - done : LIVE_MAX_BLOCK;
        uint32_t first = ei;
        while (ei < n && lv->ev[ei].time < done + len) {
            lv->ev[ei].time -= done;
            ei++;
        }
        if (lv->cfg.http_port >= 0)
            post_played(lv, lv->ev + first, ei - first);
        gb_engine_set_input(e, in ? in + done : NULL);
        gb_engine_process(e, lv->ev + first, ei - first, L + done, R + done, len);
        /* The session's notes and controls are placed where they sound in its audio: later by
         * the rack's latency (a limiter's lookahead, an LV2 plugin's), as the render does. */
        if (rec)
            gb_recorder_capture_block(rec, e, lv->ev + first, ei - first,
                                      rec_base + done + gb_engine_latency(e));
        write_midi_out(lv, e, mo, done);
        post_engine_feedback(lv, e);
        done += len;
    }
}

/* How much of the period had gone when gbac finished (clients before it included): an xrun
 * gbac caused would show here; xruns of a late server wake-up would not. */
static void measure_cycle(gb_live_t *lv, uint32_t nframes) GB_RT
{
    const jack_nframes_t used = jack_frames_since_cycle_start(lv->client);
    const uint64_t pct = (uint64_t)used * 100u / (nframes ? nframes : 1);
    uint64_t seen = atomic_load_explicit(&lv->stats.max_cycle_pct, memory_order_relaxed);
    while (pct > seen && !atomic_compare_exchange_weak_explicit(
                             &lv->stats.max_cycle_pct, &seen, pct, memory_order_relaxed,
                             memory_order_relaxed))
        ;
    if (used > nframes)
        atomic_fetch_add_explicit(&lv->stats.late_periods, 1, memory_order_relaxed);
}

/* Peaks of the period into the meter. */
static void track_peaks(gb_live_t *lv, const float *L, const float *R, uint32_t nframes) GB_RT
{
    for (uint32_t i = 0; i < nframes; i++) {
        float a = fabsf(L[i]), b = fabsf(R[i]);
        lv->peak_l = a > lv->peak_l ? a : lv->peak_l;
        lv->peak_r = b > lv->peak_r ? b : lv->peak_r;
    }
}

/* The meter, about METER_HZ times a second. */
static void post_meter(gb_live_t *lv, gb_engine_t *e, uint32_t nframes, uint64_t start) GB_RT
{
    if (lv->meter_left > nframes) {
        lv->meter_left -= nframes;
        return;
    }
    gb_live_fb_t fb = {.kind = GB_FB_METER,
                       .peak_l = lv->peak_l,
                       .peak_r = lv->peak_r,
                       .dsp_load = jack_cpu_load(lv->client),
                       .voices = gb_engine_active_voices(e),
                       .tempo_bpm = (float)gb_engine_transport(e)->tempo_bpm,
                       .frame = start};
    post_fb(lv, &fb);
    lv->peak_l = lv->peak_r = 0.0f;
    lv->meter_left = (uint32_t)(lv->sample_rate / METER_HZ);
}

/* What this period cost: the callback's thread CPU time since cpu0 and each unit's time, to
 * main. Two thread-CPU-clock reads a period (system calls): see gb_rt_clock.h. */
static void post_cost(gb_live_t *lv, gb_engine_t *e, uint32_t nframes, uint64_t cpu0) GB_RT
{
    gb_live_cost_t c;
    c.serial = gb_engine_serial(e);
    c.frames = nframes;
    c.n_units = (uint32_t)gb_engine_take_unit_ns(e, c.unit_ns, GB_ENGINE_MAX_UNITS);
    const uint64_t used = gb_rt_thread_cpu_ns() - cpu0;
    c.process_ns = used < UINT32_MAX ? (uint32_t)used : UINT32_MAX;
    if (!gb_ring_push(lv->costq, &c))
        atomic_fetch_add_explicit(&lv->stats.fb_dropped, 1, memory_order_relaxed);
}

static int live_process(jack_nframes_t nframes, void *arg) GB_RT
{
    gb_live_t *lv = arg;
    const uint64_t cpu0 = gb_rt_thread_cpu_ns();
    take_new_engine(lv);
    float *L = jack_port_get_buffer(lv->out_l, nframes);
    float *R = jack_port_get_buffer(lv->out_r, nframes);
    void *mi = jack_port_get_buffer(lv->midi_in, nframes);
    const float *in = lv->audio_in ? jack_port_get_buffer(lv->audio_in, nframes) : NULL;
    void *mo = jack_port_get_buffer(lv->midi_out, nframes);
    jack_midi_clear_buffer(mo);
    gb_engine_t *e = lv->eng_rt;
    if (!e) {
        memset(L, 0, sizeof(float) * nframes);
        memset(R, 0, sizeof(float) * nframes);
        return 0;
    }
    /* Raise busy before looking at the pointer: main clears the pointer, then waits for
     * busy to fall (both seq_cst), so it never frees a recorder still in use here. */
    atomic_store(&lv->rec_busy, 1);
    gb_recorder_t *rec = atomic_load(&lv->rec);
    const uint64_t rec_base = rec ? gb_recorder_frames(rec) : 0;
    const uint64_t start = jack_last_frame_time(lv->client);
    uint32_t n = 0;
    take_commands(lv, e, start, nframes, &n);
    take_jack_midi(lv, mi, &n);
    gb_transport_follow(lv->tr, lv->client, e, start, nframes);
    run_engine(lv, e, n, in, L, R, mo, rec, rec_base, nframes);
    track_peaks(lv, L, R, nframes);
    count_nonfinite(lv, e);
    measure_cycle(lv, nframes);
    post_meter(lv, e, nframes, start);
    if (rec)
        gb_recorder_push_audio(rec, L, R, nframes);
    atomic_store(&lv->rec_busy, 0);
    post_cost(lv, e, nframes, cpu0);
    return 0;
}

/* ---- other JACK callbacks (JACK's non-RT threads) ------------------------------------------ */

static int live_xrun(void *arg)
{
    gb_live_t *lv = arg;
    atomic_fetch_add_explicit(&lv->stats.xruns, 1, memory_order_relaxed);
    return 0;
}

static int live_rate(jack_nframes_t rate, void *arg)
{
    gb_live_t *lv = arg;
    if ((double)rate != lv->sample_rate)
        atomic_store(&lv->new_rate, (int)rate);
    return 0;
}

static int live_bufsize(jack_nframes_t frames, void *arg)
{
    gb_live_t *lv = arg;
    lv->period = frames; /* the engine takes any size: periods above its block are split */
    return 0;
}

static void live_shutdown(jack_status_t code, const char *reason, void *arg)
{
    (void)code;
    (void)reason;
    gb_live_t *lv = arg;
    atomic_store(&lv->lost, 1);
}

/* Our outputs lag our MIDI and audio inputs by the rack's latency (the limiter's lookahead). */
static void live_latency(jack_latency_callback_mode_t mode, void *arg)
{
    gb_live_t *lv = arg;
    const uint32_t own = lv->eng_main ? gb_engine_latency(lv->eng_main) : 0;
    jack_latency_range_t r;
    if (mode == JackCaptureLatency) {
        jack_latency_range_t a;
        jack_port_get_latency_range(lv->midi_in, JackCaptureLatency, &r);
        jack_port_get_latency_range(lv->audio_in, JackCaptureLatency, &a);
        r.min = (r.min > a.min ? r.min : a.min) + own;
        r.max = (r.max > a.max ? r.max : a.max) + own;
        jack_port_set_latency_range(lv->out_l, JackCaptureLatency, &r);
        jack_port_set_latency_range(lv->out_r, JackCaptureLatency, &r);
    } else {
        jack_latency_range_t a, b;
        jack_port_get_latency_range(lv->out_l, JackPlaybackLatency, &a);
        jack_port_get_latency_range(lv->out_r, JackPlaybackLatency, &b);
        gb_transport_set_latency(lv->tr, a.max > b.max ? a.max : b.max);
        r.min = (a.min > b.min ? a.min : b.min) + own;
        r.max = (a.max > b.max ? a.max : b.max) + own;
        jack_port_set_latency_range(lv->midi_in, JackPlaybackLatency, &r);
        jack_port_set_latency_range(lv->audio_in, JackPlaybackLatency, &r);
    }
}

static uint64_t pm_now(void *ctx)
{
    gb_live_t *lv = ctx;
    return lv->client ? jack_frame_time(lv->client) : 0;
}

/* ---- JACK connection ------------------------------------------------------------------------ */

static void connect_defaults(gb_live_t *lv)
{
    const char **play = jack_get_ports(lv->client, NULL, JACK_DEFAULT_AUDIO_TYPE,
                                       JackPortIsPhysical | JackPortIsInput);
    if (play && play[0]) {
        jack_connect(lv->client, jack_port_name(lv->out_l), play[0]);
        jack_connect(lv->client, jack_port_name(lv->out_r), play[1] ? play[1] : play[0]);
    } else {
        fprintf(stderr, "gbac: --connect: no system playback ports to connect to\n");
    }
    jack_free(play);
    const char **src = jack_get_ports(lv->client, NULL, JACK_DEFAULT_MIDI_TYPE,
                                      JackPortIsPhysical | JackPortIsOutput);
    if (src && src[0])
        jack_connect(lv->client, src[0], jack_port_name(lv->midi_in));
    jack_free(src);
}

static int jack_join(gb_live_t *lv, gb_error_t *err)
{
    jack_status_t st;
    jack_options_t opt = JackNoStartServer | JackUseExactName;
    if (lv->cfg.server)
        opt |= JackServerName;
    lv->client = lv->cfg.server ? jack_client_open(lv->name, opt, &st, lv->cfg.server)
                                : jack_client_open(lv->name, opt, &st);
    if (!lv->client) {
        const char *env = getenv("JACK_DEFAULT_SERVER");
        const char *server = lv->cfg.server ? lv->cfg.server : env && *env ? env : "default";
        if ((st & JackNameNotUnique) || gb_jack_name_taken(lv->cfg.server, lv->name))
            return gb_error_set(err, GB_EIO, "JACK: a client named '%s' already exists on "
                                "the server '%s' (another gbac? give each instance its own "
                                "--name)", lv->name, server);
        return gb_error_set(err, GB_EIO, "JACK: cannot connect to the server%s%s (is jackd "
                            "running? status 0x%x)", lv->cfg.server ? " " : "",
                            lv->cfg.server ? lv->cfg.server : "", (unsigned)st);
    }
    lv->out_l = jack_port_register(lv->client, "out_L", JACK_DEFAULT_AUDIO_TYPE,
                                   JackPortIsOutput | JackPortIsTerminal, 0);
    lv->out_r = jack_port_register(lv->client, "out_R", JACK_DEFAULT_AUDIO_TYPE,
                                   JackPortIsOutput | JackPortIsTerminal, 0);
    lv->midi_in = jack_port_register(lv->client, "midi_in", JACK_DEFAULT_MIDI_TYPE,
                                     JackPortIsInput | JackPortIsTerminal, 0);
    lv->midi_out = jack_port_register(lv->client, "midi_out", JACK_DEFAULT_MIDI_TYPE,
                                      JackPortIsOutput | JackPortIsTerminal, 0);
    lv->audio_in = jack_port_register(lv->client, "in", JACK_DEFAULT_AUDIO_TYPE,
                                      JackPortIsInput, 0);
    if (!lv->out_l || !lv->out_r || !lv->midi_in || !lv->midi_out || !lv->audio_in) {
        jack_client_close(lv->client);
        lv->client = NULL;
        return gb_error_set(err, GB_EIO, "JACK: cannot register ports");
    }
    lv->period = jack_get_buffer_size(lv->client);
    if (lv->sample_rate <= 0.0) /* first join: the rate callback at activation is no change */
        lv->sample_rate = jack_get_sample_rate(lv->client);
    jack_set_process_callback(lv->client, live_process, lv);
    jack_set_xrun_callback(lv->client, live_xrun, lv);
    jack_set_sample_rate_callback(lv->client, live_rate, lv);
    jack_set_buffer_size_callback(lv->client, live_bufsize, lv);
    jack_set_latency_callback(lv->client, live_latency, lv);
    jack_on_info_shutdown(lv->client, live_shutdown, lv);
    gb_ports_attach(lv->ports, lv->client);
    atomic_store(&lv->lost, 0);
    if (jack_activate(lv->client) != 0) {
        jack_client_close(lv->client);
        lv->client = NULL;
        return gb_error_set(err, GB_EIO, "JACK: cannot activate the client");
    }
    if (lv->cfg.connect)
        connect_defaults(lv);
    return GB_OK;
}

/* Build an engine for the current preset at rate and hand it to the audio thread. */
static int engine_swap_in(gb_live_t *lv, double rate, gb_error_t *err)
{
    gb_engine_t *e = gb_engine_build(lv->preset, rate, LIVE_MAX_BLOCK, lv->cfg.seed, err);
    if (!e)
        return err ? err->code : GB_EINVAL;
    if (!gb_ring_push(lv->swap, &e)) {
        gb_engine_free(e);
        return gb_error_set(err, GB_ERANGE, "engine hand-over ring full");
    }
    lv->eng_main = e;
    lv->sample_rate = rate;
    gb_cost_follow(lv->cost, e);
    if (lv->osc)
        gb_osc_server_engine_changed(lv->osc);
    gb_live_web_engine_changed(lv->web);
    if (lv->status)
        gb_status_set_params(lv->status, e);
    return GB_OK;
}

/* ---- callbacks for the OSC server -------------------------------------------------------------- */

static int osc_send(void *ctx, const gb_live_cmd_t *cmd)
{
    gb_live_t *lv = ctx;
    if ((cmd->kind == GB_CMD_EVENT && cmd->ev.type == GBP_EV_PARAM) || cmd->kind == GB_CMD_MAP_CC)
        lv->changes++;
    if (cmd->kind == GB_CMD_TEMPO)
        gb_transport_propose_tempo(lv->tr, cmd->value); /* with Link: to the session */
    if (!gb_ring_push(lv->cmd, cmd))
        return GB_ERANGE;
    gb_live_web_command(lv->web, cmd);
    /* The control log: OSC parameter changes and tempo (notes are recorded by the audio
     * thread as the performer's, CCs as received). */
    if (lv->session) {
        if (cmd->kind == GB_CMD_EVENT && cmd->ev.type == GBP_EV_PARAM) {
            gb_session_log_param(lv->session, cmd->handle, cmd->value);
        } else if (cmd->kind == GB_CMD_TEMPO) {
            char args[48];
            snprintf(args, sizeof args, "[%.6g]", (double)cmd->value);
            gb_session_log_osc(lv->session, "/gbac/tempo", args);
        }
    }
    return GB_OK;
}

static const gb_engine_t *osc_engine(void *ctx)
{
    gb_live_t *lv = ctx;
    return lv->eng_main;
}

static int osc_load_preset(void *ctx, const char *path, gb_error_t *err)
{
    gb_live_t *lv = ctx;
    gb_preset_t *p = gb_preset_load(path, lv->reg, err);
    if (!p)
        return err ? err->code : GB_EINVAL;
    gb_preset_t *old = lv->preset;
    lv->preset = p;
    int rc = engine_swap_in(lv, lv->sample_rate, err);
    if (rc) {
        lv->preset = old;
        gb_preset_free(p);
        return rc;
    }
    gb_preset_free(old);
    lv->changes++;
    if (p->tempo_bpm > 0)
        gb_transport_propose_tempo(lv->tr, p->tempo_bpm);
    if (lv->session) {
        json_t *a = json_pack("[s]", path);
        char *args = a ? json_dumps(a, JSON_COMPACT) : NULL;
        gb_session_log_osc(lv->session, "/gbac/preset/load", args);
        free(args);
        json_decref(a);
        gb_error_t serr = {0};
        if (gb_session_add_engine(lv->session, lv->eng_main, lv->preset,
                                  gb_recorder_frames(gb_session_recorder(lv->session)), &serr))
            fprintf(stderr, "gbac: recording: %s\n", serr.msg);
    }
    return GB_OK;
}

static int osc_save_preset(void *ctx, const char *path, gb_error_t *err)
{
    return gb_live_save_preset(ctx, path, err);
}

int gb_live_save_preset(gb_live_t *lv, const char *path, gb_error_t *err)
{
    /* Current parameter values of every unit and of the master section into the preset
     * copy, then save. */
    gb_preset_unit_t *units[2 + GB_PRESET_MAX_SOURCES + GB_PRESET_MAX_EFFECTS];
    int nu = 0;
    units[nu++] = &lv->preset->instrument;
    for (int i = 0; i < lv->preset->n_sources; i++)
        units[nu++] = &lv->preset->sources[i];
    for (int i = 0; i < lv->preset->n_effects; i++)
        units[nu++] = &lv->preset->effects[i];
    lv->preset->master.desc = &gb_master_desc;
    snprintf(lv->preset->master.slot, sizeof lv->preset->master.slot, GB_MASTER_SLOT);
    units[nu++] = &lv->preset->master;
    for (int u = 0; u < nu; u++) {
        gb_preset_unit_t *pu = units[u];
        pu->n_params = 0;
        for (uint32_t p = 0; p < pu->desc->n_params && pu->n_params < GB_PRESET_MAX_PARAMS; p++) {
            const gbp_param_info_t *pi = &pu->desc->params[p];
            if (pi->flags & GBP_PARAM_READONLY)
                continue;
            char path_buf[2 * GB_SLOT_NAME_MAX + 8];
            snprintf(path_buf, sizeof path_buf, "%s/%s", pu->slot, pi->name);
            int32_t h = gb_engine_param_find(lv->eng_main, path_buf);
            if (h < 0)
                continue;
            pu->params[pu->n_params].id = pi->id;
            pu->params[pu->n_params++].value = gb_engine_param_get(lv->eng_main, h);
        }
        char *st = gb_engine_unit_state_dup(lv->eng_main, pu->slot);
        if (st) {
            free(pu->state_json);
            pu->state_json = st;
        }
    }
    return gb_preset_save(lv->preset, path, err);
}

static int osc_unit_state(void *ctx, const char *slot, const char *json, gb_error_t *err)
{
    gb_live_t *lv = ctx;
    char msg[512] = "";
    int rc = gb_engine_unit_load_state(lv->eng_main, slot, json, msg, sizeof msg);
    if (rc < 0)
        return gb_error_set(err, rc, "%s", msg);
    lv->changes++;
    if (lv->session) {
        char path[64];
        snprintf(path, sizeof path, "/gbac/unit/%s/state", slot);
        const size_t n = strlen(json) + 3;
        char *args = malloc(n);
        if (args)
            snprintf(args, n, "[%s]", json);
        gb_session_log_osc(lv->session, path, args);
        free(args);
    }
    return GB_OK;
}

/* ---- recording ------------------------------------------------------------------------------ */

static double mono_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

int gb_live_record_start(gb_live_t *lv, const char *dir, gb_error_t *err)
{
    if (lv->session)
        return gb_error_set(err, GB_EINVAL, "already recording into %s",
                            gb_session_dir(lv->session));
    gb_session_config_t sc = gb_session_config_default();
    sc.dir = dir;
    sc.command = "live";
    sc.sample_rate = lv->sample_rate;
    sc.seed = lv->cfg.seed;
    sc.format = lv->cfg.record_format;
    gb_session_t *s = gb_session_start(&sc, err);
    if (!s)
        return err && err->code ? err->code : GB_EIO;
    if (gb_session_add_engine(s, lv->eng_main, lv->preset, 0, err) != GB_OK) {
        gb_session_free(s);
        return err && err->code ? err->code : GB_EIO;
    }
    lv->session = s;
    lv->rec_fail_reported = 0;
    lv->rec_started = mono_now();
    atomic_store(&lv->rec, gb_session_recorder(s));
    fprintf(stderr, "gbac: recording into %s\n", dir);
    if (lv->status)
        gb_status_set_record(lv->status, 1, 0.0);
    return GB_OK;
}

/* Take the recorder back from the audio thread: clear the pointer, then wait until a
 * process callback that may have loaded it has finished (bounded: JACK may be gone). */
static void record_release(gb_live_t *lv)
{
    atomic_store(&lv->rec, NULL);
    for (int i = 0; i < 2000 && atomic_load(&lv->rec_busy); i++) {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
}

int gb_live_record_stop(gb_live_t *lv, char *msg, size_t cap, gb_error_t *err)
{
    if (!lv->session)
        return gb_error_set(err, GB_EINVAL, "not recording");
    record_release(lv);
    gb_session_summary_t sum;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", gb_session_dir(lv->session));
    int rc = gb_session_stop(lv->session, &sum, err);
    gb_session_free(lv->session);
    lv->session = NULL;
    if (lv->status)
        gb_status_set_record(lv->status, 0, 0.0);
    char line[4600];
    snprintf(line, sizeof line, "recorded %s: %.2f s (%llu frames, %llu written, %llu overruns), "
             "%llu performer notes, %llu model notes, %d ratings%s%s", dir,
             (double)sum.frames / lv->sample_rate, (unsigned long long)sum.frames,
             (unsigned long long)sum.frames_written, (unsigned long long)sum.overruns,
             (unsigned long long)sum.performer_notes, (unsigned long long)sum.model_notes,
             sum.n_ratings, sum.stopped[0] ? "; audio stopped early: " : "", sum.stopped);
    fprintf(stderr, "gbac: %s\n", line);
    if (rc)
        fprintf(stderr, "gbac: recording: %s\n", err ? err->msg : "error writing the session");
    if (msg)
        snprintf(msg, cap, "%s", line);
    return rc;
}

const char *gb_live_recording(const gb_live_t *lv)
{
    return lv->session ? gb_session_dir(lv->session) : NULL;
}

static int osc_record_start(void *ctx, const char *dir, gb_error_t *err)
{
    return gb_live_record_start(ctx, dir, err);
}

static int osc_record_stop(void *ctx, char *msg, size_t cap, gb_error_t *err)
{
    return gb_live_record_stop(ctx, msg, cap, err);
}

/* The status view's R key: a take named by the time in --session-dir. */
static void record_toggle(gb_live_t *lv)
{
    gb_error_t err = {0};
    if (lv->session) {
        gb_live_record_stop(lv, NULL, 0, &err);
        return;
    }
    char dir[4200], stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "take-%Y%m%d-%H%M%S", &tm);
    snprintf(dir, sizeof dir, "%s/%s", lv->cfg.session_dir ? lv->cfg.session_dir : ".", stamp);
    if (gb_live_record_start(lv, dir, &err) != GB_OK)
        gb_status_note(lv->status, "cannot record: %s", err.msg);
}

/* A failure the disk thread reported: say it once, everywhere. */
static void check_recording(gb_live_t *lv)
{
    if (!lv->session)
        return;
    gb_recorder_t *r = gb_session_recorder(lv->session);
    if (lv->status)
        gb_status_set_record(lv->status, 1, (double)gb_recorder_frames(r) / lv->sample_rate);
    const char *why = gb_recorder_failure(r);
    if (!why || lv->rec_fail_reported)
        return;
    lv->rec_fail_reported = 1;
    fprintf(stderr, "gbac: recording %s: %s; the audio recording stopped (the music goes on; "
                    "the file keeps what was written)\n", gb_session_dir(lv->session), why);
    if (lv->status)
        gb_status_note(lv->status, "recording stopped: %s", why);
    if (lv->osc)
        gb_osc_server_notify(lv->osc, "/gbac/record/stopped", why);
}

/* The rig's facts of /gbac/status and --stats-json (docs/rigs.md): the server's physical
 * ports and the transport's (link_enabled, link_peers, link_tempo, ...). */
static int rig_facts(const gb_live_t *lv, json_t *obj)
{
    if (json_object_set_new(obj, "jack_physical_ports",
                            json_integer(gb_ports_physical(lv->ports))) != 0)
        return GB_ENOMEM;
    return gb_transport_to_json(lv->tr, obj);
}

/* The host's facts for /gbac/status; the counters are in obj already. */
static int osc_status(void *ctx, json_t *obj)
{
    gb_live_t *lv = ctx;
    json_t *o = json_pack("{s:s, s:f, s:i, s:b, s:i, s:i, s:i}", "client", lv->name,
                          "sample_rate", lv->sample_rate, "period", (int)lv->period,
                          "connected", lv->client != NULL, "voices",
                          lv->eng_main ? gb_engine_active_voices(lv->eng_main) : 0,
                          "latency_frames",
                          lv->eng_main ? (int)gb_engine_latency(lv->eng_main) : 0, "port",
                          gb_osc_server_port(lv->osc));
    const int rc = o ? json_object_update(obj, o) : -1;
    json_decref(o);
    if (rc < 0)
        return GB_ENOMEM;
    const int c = gb_cost_to_json(lv->cost, obj);
    return c != GB_OK ? c : rig_facts(lv, obj);
}

static void take_costs(gb_live_t *lv);

/* /gbac/window: the callback time's window starts again. */
static void osc_window(void *ctx)
{
    gb_live_t *lv = ctx;
    take_costs(lv); /* the periods so far belong to the window before */
    gb_cost_window_start(lv->cost);
}

/* ---- life cycle ------------------------------------------------------------------------------- */

/* What the OSC handlers may do here: the same for OSC and the browser surface. */
static gb_osc_host_t live_host(gb_live_t *lv, const gb_live_config_t *cfg)
{
    return (gb_osc_host_t){.ctx = lv, .send = osc_send, .engine = osc_engine,
                           .load_preset = osc_load_preset, .save_preset = osc_save_preset,
                           .unit_state = osc_unit_state, .status = osc_status,
                           .window = osc_window,
                           .record_start = osc_record_start, .record_stop = osc_record_stop,
                           .preset_dir = cfg->preset_dir, .session_dir = cfg->session_dir,
                           .model_dir = cfg->model_dir, .stats = &lv->stats};
}

/* The browser surface (--http), with the same host as OSC. */
static int web_open(gb_live_t *lv, const gb_live_config_t *cfg, gb_error_t *err)
{
    gb_cidr_t allow[GB_LIVE_MAX_ALLOW];
    if (cfg->n_http_allow > GB_LIVE_MAX_ALLOW)
        return gb_error_set(err, GB_EINVAL, "at most %d --http-allow networks",
                            GB_LIVE_MAX_ALLOW);
    for (int i = 0; i < cfg->n_http_allow; i++)
        if (gb_cidr_parse(cfg->http_allow[i], &allow[i]) != GB_OK)
            return gb_error_set(err, GB_EINVAL, "--http-allow %s: expected an IPv4 network "
                                "like 192.168.1.0/24", cfg->http_allow[i]);
    if (!cfg->web_dir)
        return gb_error_set(err, GB_EINVAL, "--http: the page's folder (share/gbac/web) was "
                            "not found; set GBAC_DATA_DIR");
    gb_osc_host_t host = live_host(lv, cfg);
    lv->web = gb_live_web_new(&host, cfg->http_port, allow, cfg->n_http_allow, cfg->web_dir,
                              err);
    return lv->web ? GB_OK : (err && err->code ? err->code : GB_EIO);
}

/* The OSC server, with this host's callbacks. */
static int osc_open(gb_live_t *lv, const gb_live_config_t *cfg, gb_error_t *err)
{
    gb_osc_server_config_t oc = gb_osc_server_config_default();
    oc.port = cfg->osc_port;
    if (cfg->n_allow > GB_OSC_MAX_ALLOW)
        return gb_error_set(err, GB_EINVAL, "at most %d --osc-allow networks",
                            GB_OSC_MAX_ALLOW);
    for (int i = 0; i < cfg->n_allow; i++) {
        if (gb_cidr_parse(cfg->allow[i], &oc.allow[oc.n_allow]) != GB_OK)
            return gb_error_set(err, GB_EINVAL, "--osc-allow %s: expected an IPv4 network "
                                "like 192.168.1.0/24", cfg->allow[i]);
        oc.n_allow++;
    }
    oc.host = live_host(lv, cfg);
    /* without --osc-port, a taken port gives way to the next free one (several instances) */
    for (int i = 0; i < (cfg->osc_port_next_free ? 32 : 1) && !lv->osc; i++) {
        oc.port = cfg->osc_port + i;
        gb_error_clear(err);
        lv->osc = oc.port <= 65535 ? gb_osc_server_new(&oc, err) : NULL;
    }
    if (lv->osc && oc.port != cfg->osc_port)
        fprintf(stderr, "gbac: OSC port %d is taken (another gbac?); using UDP port %d\n",
                cfg->osc_port, oc.port);
    else if (!lv->osc && cfg->osc_port_next_free)
        gb_error_set(err, GB_EIO, "OSC server: UDP ports %d..%d are all taken (choose one with "
                     "--osc-port, or 0 for no OSC)", cfg->osc_port, cfg->osc_port + 31);
    return lv->osc ? GB_OK : (err && err->code ? err->code : GB_EIO);
}

/* The transport's source, with Link joined when asked for, and the watch on the server's
 * physical ports; before JACK: the audio thread follows the transport from its first
 * period. */
static int transport_open(gb_live_t *lv, gb_error_t *err)
{
    if (lv->cfg.link) {
        lv->link = gb_link_new(lv->preset->tempo_bpm, err);
        if (!lv->link)
            return err && err->code ? err->code : GB_EIO;
        gb_link_enable(lv->link, 1);
    }
    lv->tr = gb_transport_new(lv->link);
    lv->ports = gb_ports_new();
    return lv->tr && lv->ports ? GB_OK : gb_error_set(err, GB_ENOMEM, "out of memory");
}

gb_live_t *gb_live_new(const gb_live_config_t *cfg, gb_error_t *err)
{
    /* Our handlers first: the status view's ncurses keeps handlers that are already set. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    gb_live_t *lv = calloc(1, sizeof *lv);
    if (!lv) {
        gb_error_set(err, GB_ENOMEM, "out of memory");
        return NULL;
    }
    lv->cfg = *cfg;
    snprintf(lv->name, sizeof lv->name, "%s", cfg->name && *cfg->name ? cfg->name : "gbac");
    lv->swap = gb_ring_new(sizeof(gb_engine_t *), 16);
    lv->retire = gb_ring_new(sizeof(gb_engine_t *), 16);
    lv->cmd = gb_ring_new(sizeof(gb_live_cmd_t), LIVE_CMD_RING);
    lv->pm = gb_ring_new(sizeof(gb_live_cmd_t), LIVE_CMD_RING);
    lv->fb = gb_ring_new(sizeof(gb_live_fb_t), LIVE_FB_RING);
    lv->costq = gb_ring_new(sizeof(gb_live_cost_t), LIVE_COST_RING);
    lv->cost = gb_cost_new();
    lv->ev = calloc(LIVE_MAX_EVENTS, sizeof *lv->ev);
    if (!lv->swap || !lv->retire || !lv->cmd || !lv->pm || !lv->fb || !lv->costq || !lv->cost ||
        !lv->ev) {
        gb_error_set(err, GB_ENOMEM, "out of memory");
        goto fail;
    }
    gb_midi_parser_init(&lv->parser);
    lv->reg = gb_unit_registry_open(cfg->plugin_dirs, cfg->n_plugin_dirs, err);
    if (!lv->reg)
        goto fail;
    lv->preset = gb_preset_load(cfg->preset, lv->reg, err);
    if (!lv->preset)
        goto fail;
    if (transport_open(lv, err) != GB_OK)
        goto fail;
    if (jack_join(lv, err))
        goto fail;
    if (engine_swap_in(lv, jack_get_sample_rate(lv->client), err))
        goto fail;
    if (cfg->osc_port > 0 && osc_open(lv, cfg, err) != GB_OK)
        goto fail;
    if (cfg->http_port >= 0 && web_open(lv, cfg, err) != GB_OK)
        goto fail;
    if (cfg->midi_device) {
        lv->pmidi = gb_pmidi_open(cfg->midi_device, lv->pm, pm_now, lv, lv->period,
                                  &lv->stats, err);
        if (!lv->pmidi)
            goto fail;
    }
    lv->status = gb_status_new(cfg->ui, stderr, err);
    if (!lv->status)
        goto fail;
    gb_status_set_params(lv->status, lv->eng_main);
    gb_status_set_info(lv->status, lv->name, cfg->preset, lv->sample_rate, lv->period,
                       gb_engine_latency(lv->eng_main));
    jack_recompute_total_latencies(lv->client);
    if (cfg->record_dir && gb_live_record_start(lv, cfg->record_dir, err) != GB_OK)
        goto fail;
    return lv;
fail:
    gb_live_free(lv);
    return NULL;
}

/* The periods' cost records, into the account (the status view's line with them). */
static void take_costs(gb_live_t *lv)
{
    gb_live_cost_t c;
    int n = 0;
    while (n < (int)LIVE_COST_RING && gb_ring_pop(lv->costq, &c)) {
        gb_cost_add(lv->cost, &c, lv->eng_main, lv->sample_rate);
        n++;
    }
    if (n && lv->status) {
        char line[512];
        gb_cost_line(lv->cost, line, sizeof line);
        gb_status_set_cost(lv->status, line);
    }
}

static void drain_retired(gb_live_t *lv)
{
    gb_engine_t *old;
    while (gb_ring_pop(lv->retire, &old))
        gb_engine_free(old);
}

/* What the engine's units reported from the audio thread: their log messages, and a latency
 * change (a limiter's lookahead moved), which JACK then recomputes through the graph. */
static void engine_reports(gb_live_t *lv)
{
    if (!lv->eng_main)
        return;
    gb_engine_log_flush(lv->eng_main);
    if (gb_engine_latency_changed(lv->eng_main) && lv->client) {
        jack_recompute_total_latencies(lv->client);
        gb_status_set_info(lv->status, lv->name, lv->cfg.preset, lv->sample_rate, lv->period,
                           gb_engine_latency(lv->eng_main));
    }
}

/* Main's view of learned mappings: keep them in the preset copy so a save keeps them. */
static void note_learned(gb_live_t *lv, const gb_live_fb_t *fb)
{
    const char *slot;
    const gbp_param_info_t *pi;
    if (gb_engine_param_info(lv->eng_main, fb->handle, &slot, &pi) != GB_OK)
        return;
    gb_preset_t *p = lv->preset;
    int i = 0;
    while (i < p->n_ccmap && !(p->ccmap[i].cc == fb->cc && p->ccmap[i].channel == fb->channel))
        i++;
    if (i >= GB_PRESET_MAX_CCMAP)
        return;
    gb_preset_ccmap_t *m = &p->ccmap[i];
    m->cc = fb->cc;
    m->channel = fb->channel;
    snprintf(m->slot, sizeof m->slot, "%s", slot);
    m->param = pi->id;
    m->min = pi->min;
    m->max = pi->max;
    if (i == p->n_ccmap)
        p->n_ccmap++;
    fprintf(stderr, "gbac: learned: CC %d (channel %d) → %s/%s\n", fb->cc, fb->channel + 1,
            slot, pi->name);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* The transport's records from the audio thread, Link's news and the physical ports' for the
 * performer; --connect connects again when the ports come back (a netjack2 slave). */
static void follow_transport_news(gb_live_t *lv)
{
    gb_transport_poll(lv->tr);
    char msg[512];
    if (gb_transport_news(lv->tr, msg, sizeof msg))
        gb_status_note(lv->status, "%s", msg);
    gb_transport_describe(lv->tr, msg, sizeof msg);
    gb_status_set_transport(lv->status, msg);
    int back = 0;
    if (lv->client && gb_ports_news(lv->ports, lv->client, msg, sizeof msg, &back)) {
        gb_status_note(lv->status, "%s%s", msg, back && lv->cfg.connect ? "; connecting "
                                                                           "again" : "");
        if (back && lv->cfg.connect)
            connect_defaults(lv);
    }
}

static int reconnect(gb_live_t *lv)
{
    if (lv->client) {
        fprintf(stderr, "gbac: the JACK server went away; keeping the session and waiting for "
                        "it to come back%s\n", lv->cfg.exit_on_shutdown ? "" : " (Ctrl-C quits)");
        jack_client_close(lv->client);
        lv->client = NULL;
    }
    if (lv->cfg.exit_on_shutdown)
        return -1;
    gb_error_t err = {0};
    if (jack_join(lv, &err) != GB_OK)
        return 0;
    double rate = jack_get_sample_rate(lv->client);
    if (rate != lv->sample_rate) {
        if (engine_swap_in(lv, rate, &err) != GB_OK)
            fprintf(stderr, "gbac: %s\n", err.msg);
    } else { /* same engine, same state: hand it back to the new process callback */
        gb_engine_t *e = lv->eng_main;
        lv->eng_rt = NULL;
        gb_ring_push(lv->swap, &e);
    }
    fprintf(stderr, "gbac: reconnected to JACK as '%s' (%.0f Hz, %u frames)\n", lv->name,
            lv->sample_rate, lv->period);
    return 1;
}

int gb_live_run(gb_live_t *lv)
{
    fprintf(stderr, "gbac: playing as JACK client '%s' (%.0f Hz, %u frames, latency %u frames)"
                    "%s\n", lv->name, lv->sample_rate, lv->period,
            gb_engine_latency(lv->eng_main), lv->osc ? "" : ", no OSC");
    if (lv->osc)
        fprintf(stderr, "gbac: OSC on UDP port %d\n", gb_osc_server_port(lv->osc));
    int status = 0;
    double last_retry = 0.0;
    while (!atomic_load(&quit_signal)) {
        if (lv->osc)
            gb_osc_server_poll(lv->osc, 5, 256);
        else
            sleep_ms(5);
        gb_live_fb_t fb;
        for (int i = 0; i < 512 && gb_ring_pop(lv->fb, &fb); i++) {
            if (fb.kind == GB_FB_LEARNED)
                note_learned(lv, &fb);
            if (fb.kind == GB_FB_LEARNED || fb.kind == GB_FB_PARAM)
                lv->changes++;
            gb_status_feedback(lv->status, &fb);
            if (lv->osc)
                gb_osc_server_feedback(lv->osc, &fb);
            gb_live_web_feedback(lv->web, &fb);
        }
        if (lv->web) {
            gb_live_web_poll(lv->web, 256);
            gb_live_web_record(lv->web, lv->session ? gb_session_dir(lv->session) : NULL,
                               lv->session ? (double)gb_recorder_frames(gb_session_recorder(
                                                 lv->session)) / lv->sample_rate
                                           : 0.0);
        }
        take_costs(lv);
        drain_retired(lv);
        follow_transport_news(lv);
        engine_reports(lv);
        if (lv->cfg.idle)
            lv->cfg.idle(lv, lv->cfg.idle_ud);
        check_recording(lv);
        int rate = atomic_exchange(&lv->new_rate, 0);
        if (rate > 0 && lv->client) {
            gb_error_t err = {0};
            if (lv->session) {
                fprintf(stderr, "gbac: the sample rate changed: the recording stops\n");
                gb_live_record_stop(lv, NULL, 0, &err);
            }
            if (engine_swap_in(lv, rate, &err) != GB_OK)
                fprintf(stderr, "gbac: sample rate %d Hz: %s\n", rate, err.msg);
            else
                fprintf(stderr, "gbac: JACK now runs at %d Hz; engine rebuilt\n", rate);
        }
        if (atomic_load(&lv->lost) || !lv->client) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            double t = now.tv_sec + now.tv_nsec * 1e-9;
            if (lv->client || t - last_retry >= 1.0) {
                last_retry = t;
                int r = reconnect(lv);
                if (r < 0) {
                    status = 1;
                    break;
                }
            }
        }
        gb_status_set_counters(lv->status, &lv->stats);
        gb_status_action_t act;
        memset(&act, 0, sizeof act);
        if (gb_status_tick(lv->status, &act)) {
            if (act.kind == GB_STATUS_QUIT)
                break;
            if (act.kind == GB_STATUS_LEARN) {
                gb_live_cmd_t c = {.kind = GB_CMD_LEARN, .handle = act.handle};
                gb_ring_push(lv->cmd, &c);
            }
            if (act.kind == GB_STATUS_RECORD_TOGGLE)
                record_toggle(lv);
        }
    }
    return status;
}

uint64_t gb_live_change_count(const gb_live_t *lv)
{
    return lv->changes;
}

void gb_live_request_quit(void)
{
    atomic_store(&quit_signal, 1);
}

/* --stats-json: the counters, the rig's facts (link_enabled, link_peers, link_tempo, ...)
 * and the periods' cost (the same keys as /gbac/status). */
static void write_stats(gb_live_t *lv)
{
    if (!lv->cfg.stats_json)
        return;
    if (lv->costq)
        take_costs(lv);
    gb_error_t err = {0};
    json_t *tr = json_object();
    if (!tr || rig_facts(lv, tr) != GB_OK || gb_cost_to_json(lv->cost, tr) != GB_OK ||
        gb_live_stats_write_with(&lv->stats, tr, lv->cfg.stats_json, &err) != 0)
        fprintf(stderr, "gbac: %s\n", err.msg[0] ? err.msg : "--stats-json: out of memory");
    json_decref(tr);
}

void gb_live_free(gb_live_t *lv)
{
    if (!lv)
        return;
    gb_status_free(lv->status);
    lv->status = NULL;
    gb_pmidi_close(lv->pmidi);
    if (lv->client) {
        jack_deactivate(lv->client);
        jack_client_close(lv->client);
    }
    if (lv->session) {
        gb_error_t err = {0};
        gb_live_record_stop(lv, NULL, 0, &err);
    }
    gb_transport_poll(lv->tr);
    write_stats(lv);
    gb_transport_free(lv->tr);
    gb_link_free(lv->link);
    gb_ports_free(lv->ports);
    gb_live_web_free(lv->web);
    gb_osc_server_free(lv->osc);
    drain_retired(lv);
    /* What the audio thread held and what is still in the hand-over ring. */
    gb_engine_t *e;
    while (lv->swap && gb_ring_pop(lv->swap, &e))
        if (e != lv->eng_main)
            gb_engine_free(e);
    if (lv->eng_rt && lv->eng_rt != lv->eng_main)
        gb_engine_free(lv->eng_rt);
    gb_engine_free(lv->eng_main);
    gb_ring_free(lv->swap);
    gb_ring_free(lv->retire);
    gb_ring_free(lv->cmd);
    gb_ring_free(lv->pm);
    gb_ring_free(lv->fb);
    gb_ring_free(lv->costq);
    gb_cost_free(lv->cost);
    free(lv->ev);
    gb_preset_free(lv->preset);
    gb_unit_registry_free(lv->reg);
    free(lv);
}
