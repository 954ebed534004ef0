/* test_rig_link.c — `gbac live --link` on two "machines": two network namespaces joined by a
 * veth pair, each with its own named jackd (dummy backend, 48 kHz, 64 frames) and its own
 * gbac, A playing presets/melody-answer.json, B the default preset. Measured (and printed):
 *   - discovery: both report link_peers = 1 within 2 s of B answering OSC;
 *   - tempo: /gbac/tempo 133 sent to A reaches B's Link session and B's transport (what its
 *     units see) within 100 ms;
 *   - bars: at one CLOCK_MONOTONIC_RAW reading, the bar phase each reports (its transport's
 *     beat at the time its period's first frame is heard, carried on at the tempo) agrees
 *     within 1 ms, 20 times;
 *     while a JACK transport rolls on A's server at 90 BPM (the test's timebase master):
 *     Link leads, and A says the JACK transport is rolling and ignored;
 *   - the melody: a call sent into A on a bar is answered from the first bar after the call
 *     and a beat of silence, and the answer's first note-on, mapped to the clock through A's
 *     JACK cycle times, falls on a bar boundary of B's timeline within 1 ms;
 *   - no network: gbac --link in a third namespace with no interface up says so, plays on,
 *     says when lo comes up, exits 0 on SIGTERM with link_enabled, link_peers = 0 and
 *     link_tempo = the preset's in its --stats-json;
 *   - /gbac/status and --stats-json carry the facts docs/rigs.md's table explains, all of
 *     them and no others.
 * The test's JACK clients on A's server: "snd" sends the call (tests/gb_jack_io.h), "rec"
 * records A's MIDI out with every cycle's times (jack_get_cycle_times and the offset from
 * JACK's clock to CLOCK_MONOTONIC_RAW), verifying each cycle against snd's tag.
 * Needs root for the namespaces (skips otherwise).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jack/jack.h>
#include <jack/midiport.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gb_jack_io.h"
#include "gb_jack_util.h"
#include "gb_netns.h"
#include "gb_osc_status.h"

#define SR 48000.0
#define OSC_PORT 9110
#define MAX_NOTES 1024
#define CYCLES 65536u /* ~87 s of 64-frame cycles */

static char ns_a[32], ns_b[32], ns_c[32], srv_a[32], srv_b[32], tmpdir[256];
static pid_t jackd_a = -1, jackd_b = -1, gbac_a = -1, gbac_b = -1;
static gbt_osc_t osc_a, osc_b;

typedef struct cycle {
    uint64_t frame;   /* jack_last_frame_time */
    int64_t start_us; /* JACK's filtered time of the cycle's start, on CLOCK_MONOTONIC_RAW */
    double us_per_frame;
    uint32_t n;
    int ok;           /* it followed the cycle before and snd's tag agreed */
} cycle_t;

static struct {
    jack_client_t *snd, *rec;
    jack_port_t *out, *in, *tag_out, *tag_in;
    gbt_sched_t sched;
    cycle_t cyc[CYCLES];
    atomic_uint n_cyc;
    struct {
        uint64_t frame;
        uint8_t b[3];
    } note[MAX_NOTES];
    atomic_int n_note;
    uint64_t next;
} io;

/* ---- the test's JACK clients ---------------------------------------------------------------- */

/* [JACK] A timebase master at 90 BPM, 4/4, BBT from the transport frame: a JACK transport
 * that Link must overrule. */
static void timebase_90(jack_transport_state_t st, jack_nframes_t n, jack_position_t *pos,
                        int np, void *arg)
{
    (void)st, (void)n, (void)np, (void)arg;
    const double b = (double)pos->frame * 90.0 / (60.0 * SR);
    const int32_t bar = (int32_t)floor(b / 4.0);
    pos->valid = JackPositionBBT;
    pos->bar = bar + 1;
    pos->beat = (int32_t)floor(b - 4.0 * bar) + 1;
    pos->tick = (int32_t)floor((b - floor(b)) * 1920.0);
    pos->bar_start_tick = (double)bar * 4.0 * 1920.0;
    pos->beats_per_bar = 4.0f;
    pos->beat_type = 4.0f;
    pos->ticks_per_beat = 1920.0;
    pos->beats_per_minute = 90.0;
}

static int snd_process(jack_nframes_t n, void *arg)
{
    (void)arg;
    gbt_snd_cycle(io.snd, io.out, io.tag_out, &io.sched, n);
    return 0;
}

static int rec_process(jack_nframes_t n, void *arg)
{
    (void)arg;
    const uint64_t f = jack_last_frame_time(io.rec);
    jack_nframes_t cf;
    jack_time_t cu, nu;
    float pu;
    const int64_t off = gbt_raw_us() - (int64_t)jack_get_time();
    const int ok = (!io.next || f == io.next) &&
                   gbt_tag_matches(jack_port_get_buffer(io.tag_in, n), f);
    io.next = f + n;
    if (jack_get_cycle_times(io.rec, &cf, &cu, &nu, &pu) == 0) {
        const unsigned k = atomic_load(&io.n_cyc);
        io.cyc[k % CYCLES] = (cycle_t){f, (int64_t)cu + off, (double)(nu - cu) / n, n, ok};
        atomic_store(&io.n_cyc, k + 1);
    }
    void *buf = jack_port_get_buffer(io.in, n);
    for (uint32_t i = 0; i < jack_midi_get_event_count(buf); i++) {
        jack_midi_event_t me;
        const int k = atomic_load(&io.n_note);
        if (jack_midi_event_get(&me, buf, i) != 0 || me.size != 3 || k >= MAX_NOTES)
            continue;
        io.note[k].frame = f + me.time;
        memcpy(io.note[k].b, me.buffer, 3);
        atomic_store(&io.n_note, k + 1);
    }
    return 0;
}

/* When frame f of server A is heard (plus lat_us), by the cycle that held it; 0 if unknown. */
static int64_t frame_us(uint64_t f, double lat_us)
{
    const unsigned k = atomic_load(&io.n_cyc);
    for (unsigned i = k; i > 0 && k - i < CYCLES; i--) {
        const cycle_t *c = &io.cyc[(i - 1) % CYCLES];
        if (c->frame <= f)
            return c->start_us + (int64_t)llround((double)(f - c->frame) * c->us_per_frame + lat_us);
    }
    return 0;
}

/* Whether rec saw every cycle over frames [a, b], each following the one before and tagged
 * by snd: no MIDI event in that stretch went unseen. */
static int cycles_ok(uint64_t a, uint64_t b)
{
    const unsigned k = atomic_load(&io.n_cyc);
    uint64_t at = a;
    for (unsigned i = k > CYCLES ? k - CYCLES : 0; i < k && at <= b; i++) {
        const cycle_t *c = &io.cyc[i % CYCLES];
        if (c->frame + c->n <= at)
            continue;
        if (c->frame > at || !c->ok)
            return 0;
        at = c->frame + c->n;
    }
    return at > b;
}

/* The frame of A's server heard at time t (by the newest cycle). */
static uint64_t us_frame(int64_t t, double lat_us)
{
    const unsigned k = atomic_load(&io.n_cyc);
    const cycle_t *c = &io.cyc[(k - 1) % CYCLES];
    return c->frame + (uint64_t)llround(((double)(t - c->start_us) - lat_us) / c->us_per_frame);
}

/* ---- set up: namespaces, servers, gbac, clients --------------------------------------------- */

static void cleanup(void)
{
    if (io.snd) {
        jack_transport_stop(io.snd);
        jack_release_timebase(io.snd);
        jack_client_close(io.snd);
    }
    if (io.rec)
        jack_client_close(io.rec);
    io.snd = io.rec = NULL;
    gbt_osc_close(&osc_a);
    gbt_osc_close(&osc_b);
    gbt_stop(&gbac_a, SIGTERM);
    gbt_stop(&gbac_b, SIGTERM);
    gbt_jackd_stop(&jackd_a, srv_a);
    gbt_jackd_stop(&jackd_b, srv_b);
    gbt_ns_cleanup();
}

static pid_t start_gbac(const char *ns, const char *server, const char *name, const char *preset)
{
    char log[400], port[16], path[600];
    snprintf(log, sizeof log, "%s/%s.log", tmpdir, name);
    snprintf(port, sizeof port, "%d", OSC_PORT);
    snprintf(path, sizeof path, "%s/presets/%s.json", getenv("GBAC_SOURCE_DIR"), preset);
    char *argv[] = {getenv("GBAC_BIN"), "live", "--link", "--server", (char *)server, "--name",
                    (char *)name, "--preset", path, "--no-ui", "--osc-port", port, NULL};
    return gbt_ns_spawn(ns, argv, log);
}

static int jack_clients(void)
{
    jack_status_t s;
    io.snd = jack_client_open("snd", JackNoStartServer | JackServerName, &s, srv_a);
    io.rec = jack_client_open("rec", JackNoStartServer | JackServerName, &s, srv_a);
    if (!io.snd || !io.rec)
        return -1;
    io.out = jack_port_register(io.snd, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    io.tag_out = jack_port_register(io.snd, "tag", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    io.in = jack_port_register(io.rec, "in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    io.tag_in = jack_port_register(io.rec, "tag", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    jack_set_process_callback(io.snd, snd_process, NULL);
    jack_set_process_callback(io.rec, rec_process, NULL);
    if (jack_activate(io.snd) || jack_activate(io.rec))
        return -1;
    if (jack_connect(io.snd, "snd:out", "ga:midi_in") || jack_connect(io.snd, "snd:tag", "rec:tag") ||
        jack_connect(io.rec, "ga:midi_out", "rec:in"))
        return -1;
    for (int t = 0; t < 5000 && atomic_load(&io.n_cyc) < 2; t += 10)
        gbt_sleep_ms(10);
    return atomic_load(&io.n_cyc) >= 2 ? 0 : -1;
}

static int setup(void **state)
{
    (void)state;
    const int pid = (int)getpid();
    gbt_ns_sweep("gbl");
    atexit(cleanup);
    snprintf(ns_a, sizeof ns_a, "gbl%da", pid);
    snprintf(ns_b, sizeof ns_b, "gbl%db", pid);
    snprintf(ns_c, sizeof ns_c, "gbl%dc", pid);
    snprintf(srv_a, sizeof srv_a, "gbla%d", pid);
    snprintf(srv_b, sizeof srv_b, "gblb%d", pid);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gbac-rig-link-%d", pid);
    mkdir(tmpdir, 0700);
    setenv("JACK_NO_START_SERVER", "1", 1);
    char log[400];
    if (gbt_ns_add(ns_a, 1) || gbt_ns_add(ns_b, 1) || gbt_ns_add(ns_c, 0) ||
        gbt_ns_veth(ns_a, "gbla", "10.77.0.1/24", ns_b, "gblb", "10.77.0.2/24"))
        return -1;
    snprintf(log, sizeof log, "%s/jackd-a.log", tmpdir);
    if (gbt_start_jackd(srv_a, 64, log, &jackd_a) != 0)
        return -1;
    snprintf(log, sizeof log, "%s/jackd-b.log", tmpdir);
    if (gbt_start_jackd(srv_b, 64, log, &jackd_b) != 0)
        return -1;
    gbac_a = start_gbac(ns_a, srv_a, "ga", "melody-answer");
    if (gbt_osc_open(&osc_a, ns_a, OSC_PORT) || gbt_osc_open(&osc_b, ns_b, OSC_PORT) || gbt_osc_wait_up(&osc_a, 15000))
        return -1;
    return gbt_wait_port(srv_a, "ga:midi_out", 5000) == 0 ? jack_clients() : -1;
}

static int teardown(void **state)
{
    (void)state;
    const int st = gbt_stop(&gbac_a, SIGTERM);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        fprintf(stderr, "gbac A did not exit cleanly (status %d, logs in %s)\n", st, tmpdir);
    cleanup();
    if (!getenv("GBAC_KEEP_LOGS"))
        gbt_sh("rm -rf %s", tmpdir);
    return 0;
}

/* Whether gbac `name`'s log holds text. */
static int log_has(const char *name, const char *text)
{
    static char buf[1 << 18];
    char path[400];
    snprintf(path, sizeof path, "%s/%s.log", tmpdir, name);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return strstr(buf, text) != NULL;
}

/* The keys of docs/rigs.md's table of the rig's facts (`/gbac/status` and `--stats-json`
 * carry them): the back-quoted names of each row's first cell. Their number, or -1. */
#define MAX_KEYS 64
static int doc_keys(char keys[MAX_KEYS][40])
{
    char path[600], line[1024];
    snprintf(path, sizeof path, "%s/docs/rigs.md", getenv("GBAC_SOURCE_DIR"));
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = 0, in = 0;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "`/gbac/status` (OSC) and `--stats-json` carry:"))
            in = 1;
        else if (in && strncmp(line, "| `", 3) == 0) {
            char *end = strchr(line + 1, '|');
            for (char *a = line + 1; end && (a = strchr(a, '`')) && a < end && n < MAX_KEYS;) {
                char *b = strchr(a + 1, '`');
                if (!b || b > end || b - a - 1 >= 40)
                    break;
                snprintf(keys[n++], 40, "%.*s", (int)(b - a - 1), a + 1);
                a = b + 1;
            }
        } else if (in && n > 0 && line[0] != '|')
            break;
    }
    fclose(f);
    return n;
}

/* Every key of the docs' table is in obj, and every rig key of obj (link_*, transport*,
 * jack_transport_*, jack_physical_*) is in the table. Returns the number of keys checked. */
static int keys_match_docs(json_t *obj, int all_rig_keys)
{
    char keys[MAX_KEYS][40];
    const int n = doc_keys(keys);
    assert_true(n >= 10);
    for (int i = 0; i < n; i++) {
        if (!json_object_get(obj, keys[i]))
            fprintf(stderr, "docs/rigs.md names '%s', which gbac does not report\n", keys[i]);
        assert_non_null(json_object_get(obj, keys[i]));
    }
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        (void)v;
        if (!all_rig_keys || !(strncmp(k, "link_", 5) == 0 || strncmp(k, "transport", 9) == 0 ||
                               strncmp(k, "jack_transport_", 15) == 0 ||
                               strncmp(k, "jack_physical_", 14) == 0))
            continue;
        int found = 0;
        for (int i = 0; i < n; i++)
            found |= strcmp(k, keys[i]) == 0;
        if (!found)
            fprintf(stderr, "gbac reports '%s', which docs/rigs.md does not explain\n", k);
        assert_true(found);
    }
    return n;
}

/* ---- measurements --------------------------------------------------------------------------- */

/* The beat gbac's transport has at raw time t, from its last status reply. */
static double beat_at(const gbt_osc_t *o, int64_t t)
{
    return gbt_osc_num(o, "transport_beat") +
           (double)(t - (int64_t)gbt_osc_num(o, "transport_time_us")) *
               gbt_osc_num(o, "transport_tempo") / 60e6;
}

/* Distance in ms from beat b to the nearest multiple of step (at bpm). */
static double off_grid_ms(double b, double step, double bpm)
{
    const double r = b - step * floor(b / step + 0.5);
    return r * 60000.0 / bpm;
}

/* Wait (up to ms) until gbac's transport runs at bpm under Link. Seconds waited, or -1. */
static double wait_tempo(gbt_osc_t *o, double bpm, double t0, int ms)
{
    while (gbt_mono_s() - t0 < ms / 1000.0)
        if (gbt_osc_status(o, 100) && fabs(gbt_osc_num(o, "transport_tempo") - bpm) < 0.01 &&
            fabs(gbt_osc_num(o, "link_tempo") - bpm) < 0.01 &&
            !strcmp(gbt_osc_str(o, "transport"), "link"))
            return gbt_mono_s() - t0;
    return -1.0;
}

/* /gbac/tempo 133 to A: A proposes it to Link (link_proposed_us); B's Link instance sees the
 * session tempo change (link_tempo_us) and B plays its first period at it
 * (transport_tempo_since_us), all on the same clock. */
static void tempo_reaches_b(void)
{
    const double ts = gbt_mono_s();
    assert_int_equal(gbt_osc_tempo(&osc_a, 133.0), 0);
    const double wb = wait_tempo(&osc_b, 133.0, ts, 5000);
    const double wa = wait_tempo(&osc_a, 133.0, ts, 5000);
    assert_true(wa >= 0 && wb >= 0);
    const double proposed = gbt_osc_num(&osc_a, "link_proposed_us");
    const double link_ms = (gbt_osc_num(&osc_b, "link_tempo_us") - proposed) / 1e3;
    const double play_ms = (gbt_osc_num(&osc_b, "transport_tempo_since_us") - proposed) / 1e3;
    printf("Tempo 133 proposed by A: B's Link session had it %.2f ms later; B's first period "
           "at 133 starts %+.2f ms from the proposal (JACK's cycle time: a period that began "
           "before it was processed after it); the test's OSC polling saw B at 133 after "
           "%.1f ms, A after %.1f ms\n", link_ms, play_ms, wb * 1e3, wa * 1e3);
    assert_true(proposed > 0);
    assert_true(link_ms >= 0 && link_ms < 100.0);
    assert_true(play_ms < 100.0);
}

/* A JACK transport at 90 BPM starts rolling on A's server: A's status says so, and Link
 * still leads (its tempo, not JACK's). */
static void jack_rolls_link_leads(void)
{
    assert_int_equal(jack_set_timebase_callback(io.snd, 0, timebase_90, NULL), 0);
    jack_transport_start(io.snd);
    const double t0 = gbt_mono_s();
    int rolling = 0;
    while (!rolling && gbt_mono_s() - t0 < 5.0)
        rolling = gbt_osc_status(&osc_a, 200) &&
                  gbt_osc_num(&osc_a, "jack_transport_rolling") == 1;
    printf("JACK transport rolling at 90 BPM on A's server: A reports it after %.0f ms; A's "
           "transport: %s at %.2f BPM\n", (gbt_mono_s() - t0) * 1e3,
           gbt_osc_str(&osc_a, "transport"), gbt_osc_num(&osc_a, "transport_tempo"));
    assert_true(rolling);
    assert_string_equal(gbt_osc_str(&osc_a, "transport"), "link");
    assert_float_equal(gbt_osc_num(&osc_a, "transport_tempo"), 133.0, 0.01);
}

static void peers_tempo_and_bars(void **state)
{
    (void)state;
    gbac_b = start_gbac(ns_b, srv_b, "gb", "default");
    assert_int_equal(gbt_osc_wait_up(&osc_b, 15000), 0);
    const double t0 = gbt_mono_s();
    double t1 = 0;
    while (gbt_mono_s() - t0 < 5.0 && !t1)
        if (gbt_osc_status(&osc_a, 200) && gbt_osc_num(&osc_a, "link_peers") == 1 &&
            gbt_osc_status(&osc_b, 200) && gbt_osc_num(&osc_b, "link_peers") == 1)
            t1 = gbt_mono_s();
    /* gbac's own clock readings: Link enabled, its peer count changed */
    const double disc_ms = (gbt_osc_num(&osc_b, "link_peers_us") -
                            gbt_osc_num(&osc_b, "link_enabled_us")) / 1e3;
    printf("Link discovery: B found its peer %.1f ms after it enabled Link; both report "
           "link_peers = 1 %.1f ms after B answered OSC\n", disc_ms,
           t1 ? (t1 - t0) * 1e3 : -1.0);
    assert_true(t1 > 0 && t1 - t0 < 2.0);
    assert_true(disc_ms >= 0 && disc_ms < 2000.0);
    assert_true(gbt_osc_num(&osc_b, "link_enabled") == 1);
    /* the facts /gbac/status reports are the ones docs/rigs.md explains, no more, no less */
    keys_match_docs(osc_b.reply, 1);

    tempo_reaches_b();
    jack_rolls_link_leads();
    double worst = 0;
    for (int i = 0; i < 20; i++) {
        assert_non_null(gbt_osc_status(&osc_a, 500));
        assert_non_null(gbt_osc_status(&osc_b, 500));
        assert_string_equal(gbt_osc_str(&osc_a, "transport"), "link");
        assert_float_equal(gbt_osc_num(&osc_a, "transport_tempo"), 133.0, 0.01);
        assert_float_equal(gbt_osc_num(&osc_b, "transport_tempo"), 133.0, 0.01);

        const int64_t t = gbt_raw_us();
        const double d = off_grid_ms(beat_at(&osc_a, t) - beat_at(&osc_b, t), 4.0, 133.0);
        worst = fabs(d) > worst ? fabs(d) : worst;
        gbt_sleep_ms(20);
    }
    printf("Bars: A's and B's bar phase at the same clock reading differ by at most %.4f ms "
           "(20 readings)\n", worst);
    assert_true(worst < 1.0);
}

/* A one-bar call in D major from the bar after next (six eighths, 3 frames after each grid
 * point), as tests/test_live_melody.c sends it; its last note-off is returned (a frame). */
static uint64_t send_call(double lat_us, double *bar_beat, uint64_t *off_index)
{
    static const uint8_t keys[6] = {62, 64, 66, 67, 69, 74};
    assert_non_null(gbt_osc_status(&osc_a, 500));
    const int64_t now = gbt_raw_us();
    const double bpm = gbt_osc_num(&osc_a, "transport_tempo");
    *bar_beat = 4.0 * (floor(beat_at(&osc_a, now) / 4.0) + 2);
    uint64_t last = 0;
    for (int i = 0; i < 6; i++) {
        const double on = *bar_beat + 0.5 * i, off = on + 0.4;
        const int64_t t_on = now + (int64_t)llround((on - beat_at(&osc_a, now)) * 60e6 / bpm);
        const int64_t t_off = now + (int64_t)llround((off - beat_at(&osc_a, now)) * 60e6 / bpm);
        gbt_sched_add(&io.sched, us_frame(t_on, lat_us) + 3, 0x90, keys[i], 100);
        last = us_frame(t_off, lat_us);
        *off_index = gbt_sched_add(&io.sched, last, 0x80, keys[i], 0);
    }
    return last;
}

static void answer_on_the_shared_bar(void **state)
{
    (void)state;
    jack_latency_range_t lr = {0, 0};
    jack_port_get_latency_range(jack_port_by_name(io.rec, "ga:out_L"), JackPlaybackLatency, &lr);
    const double lat_us = lr.max * 1e6 / SR;
    const int n0 = atomic_load(&io.n_note);
    double call_bar;
    uint64_t off_index;
    send_call(lat_us, &call_bar, &off_index);
    assert_int_equal(gbt_sched_flush(&io.sched, 10000), 0);
    /* the frame it went out on: later than asked if snd missed a cycle */
    const uint64_t last_off = gbt_sched_sent(&io.sched, off_index);
    /* the answer: 2 bars from the first bar start a beat after the last note-off (A's bar
     * call_bar + 4); wait until A's transport is past them */
    for (int t = 0; t < 20000; t += 20) {
        if (gbt_osc_status(&osc_a, 200) && beat_at(&osc_a, gbt_raw_us()) > call_bar + 12.5)
            break;
        gbt_sleep_ms(20);
    }
    assert_non_null(gbt_osc_status(&osc_b, 500));
    const double bpm = gbt_osc_num(&osc_b, "transport_tempo");
    const double off_beat = beat_at(&osc_b, frame_us(last_off, lat_us));
    const double expect = 4.0 * ceil((off_beat + 1.0) / 4.0);
    int first = -1, on = 0;
    double worst_grid = 0;
    for (int i = n0; i < atomic_load(&io.n_note); i++) {
        if ((io.note[i].b[0] & 0xf0) != 0x90 || io.note[i].b[2] == 0 ||
            io.note[i].frame <= last_off)
            continue;
        const double b = beat_at(&osc_b, frame_us(io.note[i].frame, lat_us));
        const double g = fabs(off_grid_ms(b, 0.25, bpm));
        worst_grid = g > worst_grid ? g : worst_grid;
        first = first < 0 ? i : first;
        on++;
    }
    assert_true(first >= 0);
    const double b1 = beat_at(&osc_b, frame_us(io.note[first].frame, lat_us));
    const int seen = cycles_ok(last_off, io.note[first].frame);
    printf("Melody: call from beat %.0f of A, last note-off at B's beat %.3f; answer expected "
           "from B's bar at beat %.0f; first answer note-on at B's beat %.4f (%.3f ms from it), "
           "%d note-ons, the worst %.3f ms off B's 16th grid; every cycle from the call's end "
           "to the first answer note seen: %d\n",
           call_bar, off_beat, expect, b1, (b1 - expect) * 60000.0 / bpm, on, worst_grid, seen);
    assert_true(seen); /* no earlier answer note can have gone unseen */
    assert_true(on >= 4);
    assert_true(fabs(b1 - expect) * 60000.0 / bpm < 1.0);
    assert_true(worst_grid < 1.0);
    /* the status line (logged every 2 s with --no-ui) told who leads */
    assert_true(log_has("ga", "transport link, 1 peer, bar "));
    assert_true(log_has("ga", "(JACK transport rolling: ignored)"));
}

/* gbac --link where no interface is up: it says so, plays, and sees lo come up. */
static void no_network(void **state)
{
    (void)state;
    char stats[400];
    snprintf(stats, sizeof stats, "%s/gc.json", tmpdir);
    char log[400], path[600];
    snprintf(log, sizeof log, "%s/gc.log", tmpdir);
    snprintf(path, sizeof path, "%s/presets/default.json", getenv("GBAC_SOURCE_DIR"));
    char *argv[] = {getenv("GBAC_BIN"), "live", "--link", "--server", srv_a, "--name", "gc",
                    "--preset", path, "--no-ui", "--osc-port", "0", "--stats-json", stats, NULL};
    pid_t pid = gbt_ns_spawn(ns_c, argv, log);
    const double t0 = gbt_mono_s();
    while (gbt_mono_s() - t0 < 15 && !log_has("gc", "Link: no network interface is up"))
        gbt_sleep_ms(20);
    assert_true(log_has("gc", "Link: no network interface is up"));
    assert_int_equal(gbt_wait_port(srv_a, "gc:out_L", 5000), 0); /* it plays on */
    assert_int_equal(gbt_ns_link(ns_c, "lo", 1), 0);
    const double t1 = gbt_mono_s();
    while (gbt_mono_s() - t1 < 5 && !log_has("gc", "Link: network back on lo"))
        gbt_sleep_ms(20);
    printf("No network: gbac said so %.0f ms after it started, and saw lo come up after %.0f ms\n",
           (t1 - t0) * 1e3, (gbt_mono_s() - t1) * 1e3);
    assert_true(log_has("gc", "Link: network back on lo"));
    const int st = gbt_stop(&pid, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    json_t *j = json_load_file(stats, 0, NULL);
    assert_non_null(j);
    assert_true(json_is_true(json_object_get(j, "link_enabled")));
    keys_match_docs(j, 1); /* --stats-json carries the same facts */
    assert_int_equal(json_integer_value(json_object_get(j, "link_peers")), 0);
    /* alone, its own session at the preset's tempo (presets/default.json: 120) */
    assert_float_equal(json_number_value(json_object_get(j, "link_tempo")), 120.0, 1e-9);
    json_decref(j);
}

int main(void)
{
    if (!gbt_ns_available()) {
        printf("skipped: network namespaces need root and iproute2\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(peers_tempo_and_bars),
        cmocka_unit_test(answer_on_the_shared_bar),
        cmocka_unit_test(no_network),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
