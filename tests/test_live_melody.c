/* test_live_melody.c — `gbac live --preset presets/melody-answer.json` against a real, named
 * jackd (dummy backend, 48 kHz, 64 frames): a one-bar call in D major sent by JACK MIDI is
 * answered on gbac's MIDI out, from the first bar boundary after the call and the preset's
 * silence (1 beat), in D major, with a note-off for every note-on; then the tempo changes
 * (100 → 132 BPM) and a second call is answered on a bar boundary of the new tempo.
 *
 * The test's client "snd" is the JACK timebase master: BBT is a pure function of the
 * transport frame (beat = anchor_beat + (frame − anchor_frame) · bpm / (60 · 48000), 4/4,
 * 10^6 ticks per beat so a tick is far below a frame), gbac follows it while the transport
 * rolls. "snd" sends the call at transport frames; "rec" records gbac:midi_out with the
 * transport frame and the absolute frame (jack_last_frame_time + offset) of each event.
 * Expected boundaries are computed from the test's own BBT in transport frames, which the
 * dummy driver's late wake-ups (xruns on this VM) do not shift. Every event of the call goes
 * out, late rather than never if "snd" missed its cycle (tests/gb_jack_io.h), and "rec"
 * verifies each cycle it logs: it follows the one before and "snd" tagged it with the same
 * transport frame, so an answer note cannot go unseen or be filed under another frame.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jack/jack.h>
#include <jack/midiport.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gb_jack_io.h"
#include "gb_jack_util.h"

#define SR 48000.0
#define TPB 1000000.0 /* ticks per beat */
#define SILENCE_BEATS 1.0 /* presets/melody-answer.json: melody/silence_beats */
#define ANSWER_BARS 2
#define MAX_REC 4096

static char server[64], tmpdir[256], preset_path[700];
static pid_t jackd_pid = -1, gbac_pid = -1;

typedef struct rec_ev {
    uint64_t tframe, abs;
    uint8_t bytes[3];
} rec_ev_t;

static struct {
    jack_client_t *snd, *rec;
    jack_port_t *out, *in, *tag_out, *tag_in;
    /* the timebase: written by the callback, published by `version` */
    double bpm, anchor_beat;
    uint64_t anchor_frame;
    atomic_int pending_bpm_milli; /* a tempo change asked for by the test, 0 = none */
    atomic_int version;
    gbt_sched_t sched; /* in transport frames */
    rec_ev_t log[MAX_REC];
    atomic_int n_rec;
    atomic_ullong last_tframe; /* transport frame of the last rolling cycle seen by rec */
    uint64_t rec_next;         /* [rec] transport frame after the last rolling cycle */
    atomic_long unverified;    /* rolling cycles rec could not verify */
    atomic_long xruns;
} io;

static double beat_at(uint64_t tframe)
{
    return io.anchor_beat + ((double)tframe - (double)io.anchor_frame) * io.bpm / (60.0 * SR);
}

/* [JACK] BBT of pos->frame; a pending tempo change is anchored at that frame. */
static void timebase(jack_transport_state_t st, jack_nframes_t n, jack_position_t *pos,
                     int new_pos, void *arg)
{
    (void)st;
    (void)n;
    (void)new_pos;
    (void)arg;
    const int p = atomic_load(&io.pending_bpm_milli);
    if (p > 0) {
        io.anchor_beat = beat_at(pos->frame);
        io.anchor_frame = pos->frame;
        io.bpm = p / 1000.0;
        atomic_store(&io.pending_bpm_milli, 0);
        atomic_fetch_add_explicit(&io.version, 1, memory_order_release);
    }
    const double beat = beat_at(pos->frame);
    const double b = beat < 0.0 ? 0.0 : beat;
    const int32_t bar = (int32_t)floor(b / 4.0);
    const double in_bar = b - 4.0 * bar;
    const int32_t bt = (int32_t)floor(in_bar);
    pos->valid = JackPositionBBT;
    pos->bar = bar + 1;
    pos->beat = bt + 1;
    pos->tick = (int32_t)floor((in_bar - bt) * TPB);
    pos->bar_start_tick = (double)bar * 4.0 * TPB;
    pos->beats_per_bar = 4.0f;
    pos->beat_type = 4.0f;
    pos->ticks_per_beat = TPB;
    pos->beats_per_minute = io.bpm;
}

static int snd_process(jack_nframes_t n, void *arg)
{
    (void)arg;
    void *buf = jack_port_get_buffer(io.out, n), *tag = jack_port_get_buffer(io.tag_out, n);
    jack_midi_clear_buffer(buf);
    jack_midi_clear_buffer(tag);
    jack_position_t pos;
    if (jack_transport_query(io.snd, &pos) != JackTransportRolling)
        return 0;
    gbt_tag_write(tag, pos.frame);
    gbt_sched_process(&io.sched, buf, pos.frame, n);
    return 0;
}

static int rec_process(jack_nframes_t n, void *arg)
{
    (void)arg;
    void *buf = jack_port_get_buffer(io.in, n);
    jack_position_t pos;
    const int rolling = jack_transport_query(io.rec, &pos) == JackTransportRolling;
    if (!rolling)
        return 0;
    atomic_store(&io.last_tframe, (unsigned long long)pos.frame);
    if ((io.rec_next && pos.frame != io.rec_next) ||
        !gbt_tag_matches(jack_port_get_buffer(io.tag_in, n), pos.frame))
        atomic_fetch_add(&io.unverified, 1);
    io.rec_next = (uint64_t)pos.frame + n;
    const uint64_t abs0 = jack_last_frame_time(io.rec);
    const uint32_t count = jack_midi_get_event_count(buf);
    for (uint32_t i = 0; i < count; i++) {
        jack_midi_event_t me;
        if (jack_midi_event_get(&me, buf, i) != 0 || me.size != 3)
            continue;
        const int r = atomic_load(&io.n_rec);
        if (r >= MAX_REC)
            break;
        io.log[r] = (rec_ev_t){pos.frame + me.time, abs0 + me.time,
                               {me.buffer[0], me.buffer[1], me.buffer[2]}};
        atomic_store(&io.n_rec, r + 1);
    }
    return 0;
}

static int on_xrun(void *arg)
{
    (void)arg;
    atomic_fetch_add(&io.xruns, 1);
    return 0;
}

static void schedule(uint64_t tframe, uint8_t a, uint8_t b, uint8_t c)
{
    gbt_sched_add(&io.sched, tframe, a, b, c);
}

/* First transport frame whose beat reaches `beat`. */
static uint64_t frame_of_beat(double beat)
{
    return io.anchor_frame +
           (uint64_t)ceil((beat - io.anchor_beat) * 60.0 * SR / io.bpm - 1e-6);
}

static uint64_t now_tframe(void)
{
    return (uint64_t)atomic_load(&io.last_tframe);
}

static void wait_tframe(uint64_t tf, int max_ms)
{
    for (int t = 0; t < max_ms && now_tframe() < tf; t += 20)
        gbt_sleep_ms(20);
}

/* ---- setup ---------------------------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    snprintf(server, sizeof server, "gbm%d", (int)getpid());
    setenv("JACK_DEFAULT_SERVER", server, 1);
    setenv("JACK_NO_START_SERVER", "1", 1);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gbac-melody-%d", (int)getpid());
    mkdir(tmpdir, 0700);
    snprintf(preset_path, sizeof preset_path, "%s/presets/melody-answer.json",
             getenv("GBAC_SOURCE_DIR"));
    char log[600], port[16];
    snprintf(log, sizeof log, "%s/jackd.log", tmpdir);
    if (gbt_start_jackd(server, 64, log, &jackd_pid) != 0) {
        fprintf(stderr, "jackd did not start (see %s)\n", log);
        return -1;
    }
    snprintf(log, sizeof log, "%s/gbac.log", tmpdir);
    snprintf(port, sizeof port, "%d", 20000 + (int)(getpid() % 20000) + 7);
    char *argv[] = {getenv("GBAC_BIN"), "live", "--preset", preset_path, "--name", "gbm",
                    "--server", server, "--no-ui", "--osc-port", port, NULL};
    gbac_pid = gbt_spawn(argv, log);
    if (gbt_wait_port(server, "gbm:midi_out", 15000) != 0) {
        fprintf(stderr, "gbac live did not create its ports (see %s)\n", log);
        return -1;
    }
    jack_status_t s;
    io.bpm = 100.0;
    io.snd = jack_client_open("snd", JackNoStartServer | JackServerName, &s, server);
    io.rec = jack_client_open("rec", JackNoStartServer | JackServerName, &s, server);
    if (!io.snd || !io.rec)
        return -1;
    io.out = jack_port_register(io.snd, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    io.in = jack_port_register(io.rec, "in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    io.tag_out = jack_port_register(io.snd, "tag", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    io.tag_in = jack_port_register(io.rec, "tag", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    jack_set_process_callback(io.snd, snd_process, NULL);
    jack_set_process_callback(io.rec, rec_process, NULL);
    jack_set_xrun_callback(io.rec, on_xrun, NULL);
    if (jack_activate(io.snd) || jack_activate(io.rec))
        return -1;
    if (jack_set_timebase_callback(io.snd, 0, timebase, NULL) != 0)
        return -1;
    if (jack_connect(io.snd, "snd:out", "gbm:midi_in") ||
        jack_connect(io.snd, "snd:tag", "rec:tag") || jack_connect(io.rec, "gbm:midi_out", "rec:in"))
        return -1;
    jack_transport_locate(io.snd, 0);
    jack_transport_start(io.snd);
    for (int t = 0; t < 5000 && now_tframe() == 0; t += 20)
        gbt_sleep_ms(20);
    return now_tframe() > 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    if (io.snd) {
        jack_transport_stop(io.snd);
        jack_release_timebase(io.snd);
        jack_client_close(io.snd);
    }
    if (io.rec)
        jack_client_close(io.rec);
    int st = gbt_stop(&gbac_pid, SIGTERM);
    gbt_stop(&jackd_pid, SIGTERM);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        fprintf(stderr, "gbac live did not exit cleanly (status %d, log in %s)\n", st, tmpdir);
    if (!getenv("GBAC_KEEP_LOGS")) {
        const char *files[] = {"jackd.log", "gbac.log"};
        for (size_t i = 0; i < 2; i++) {
            char p[600];
            snprintf(p, sizeof p, "%s/%s", tmpdir, files[i]);
            unlink(p);
        }
        rmdir(tmpdir);
    }
    return 0;
}

/* ---- one call and its answer ---------------------------------------------------------------- */

/* A one-bar call in D major, 2 bars ahead of now: six eighths D E F# G A D' from beat 0 (each
 * 0.4 beat long; the last note-off at beat 2.9 of the bar). Then wait for the answer and check
 * it. */
static void call_and_answer(double bpm)
{
    static const uint8_t keys[6] = {62, 64, 66, 67, 69, 74};
    const int bar = (int)floor(beat_at(now_tframe()) / 4.0) + 2;
    const double b0 = 4.0 * bar;
    const int r0 = atomic_load(&io.n_rec);
    const long u0 = atomic_load(&io.unverified);
    double last_off = 0.0;
    for (int i = 0; i < 6; i++) {
        const double on = b0 + 0.5 * i, off = on + 0.4;
        schedule(frame_of_beat(on) + 3, 0x90, keys[i], 100); /* 3 frames in: not on a step */
        schedule(frame_of_beat(off), 0x80, keys[i], 0);
        last_off = off;
    }
    /* the answer: the first bar start at least SILENCE_BEATS after the last note-off */
    const int ans_bar = (int)ceil((last_off + SILENCE_BEATS - 1e-9) / 4.0);
    const uint64_t expect = frame_of_beat(4.0 * ans_bar);
    const uint64_t end = frame_of_beat(4.0 * (ans_bar + ANSWER_BARS));
    wait_tframe(end + 9600, 30000); /* the last note-off is at `end` */
    gbt_sleep_ms(200);
    const int r1 = atomic_load(&io.n_rec);
    int on = 0, off = 0, in_key = 0, paired = 1, sounding = -1, outside = 0;
    uint64_t first = 0, first_abs = 0, first_outside = 0;
    static const int dmaj[12] = {0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1};
    for (int i = r0; i < r1; i++) {
        const rec_ev_t *e = &io.log[i];
        const int type = e->bytes[0] & 0xf0;
        const int is_on = type == 0x90 && e->bytes[2] > 0;
        const int is_off = type == 0x80 || (type == 0x90 && e->bytes[2] == 0);
        if (!is_on && !is_off)
            continue;
        if (!(e->tframe >= expect && e->tframe <= end) && outside++ == 0)
            first_outside = e->tframe;
        if (is_on) {
            if (on == 0) {
                first = e->tframe;
                first_abs = e->abs;
            }
            on++;
            in_key += dmaj[e->bytes[1] % 12];
            paired &= sounding < 0;
            sounding = e->bytes[1];
        } else {
            off++;
            paired &= sounding == e->bytes[1];
            sounding = -1;
        }
    }
    const double fps = 60.0 * SR / (4.0 * bpm); /* frames per 16th step */
    printf("%.0f BPM answer (key@step from the expected bar start, on/off):", bpm);
    for (int i = r0; i < r1; i++)
        printf(" %s%d@%.2f", (io.log[i].bytes[0] & 0xf0) == 0x90 && io.log[i].bytes[2] ? "+" : "-",
               io.log[i].bytes[1], ((double)io.log[i].tframe - (double)expect) / fps);
    printf("\n");
    printf("%.0f BPM: call in bar %d (last note-off at beat %.2f), answer expected from bar %d "
           "= transport frame %llu; first answer note-on at transport frame %llu (absolute "
           "frame %llu), %d notes, %d in D major (%.0f %%), %d note-offs; xruns so far %ld, "
           "call events sent late %ld, cycles rec could not verify %ld; %d note events outside "
           "the answer's bars (the first at transport frame %llu)\n",
           bpm, bar, last_off, ans_bar, (unsigned long long)expect, (unsigned long long)first,
           (unsigned long long)first_abs, on, in_key, on ? 100.0 * in_key / on : 0.0, off,
           atomic_load(&io.xruns), atomic_load(&io.sched.late),
           atomic_load(&io.unverified) - u0, outside, (unsigned long long)first_outside);
    assert_int_equal(atomic_load(&io.unverified), u0); /* rec saw every cycle, as snd did */
    assert_int_equal(outside, 0);                       /* only the answer, in its bars */
    assert_true(on >= 4);
    assert_true(first + 1 >= expect && first <= expect + 1);
    assert_true(in_key * 10 >= on * 9);
    assert_int_equal(off, on);
    assert_true(paired);
    assert_int_equal(sounding, -1);
}

static void answers_a_call_on_a_bar_boundary(void **state)
{
    (void)state;
    call_and_answer(100.0);
}

static void answers_at_the_new_tempo(void **state)
{
    (void)state;
    const int v = atomic_load(&io.version);
    atomic_store(&io.pending_bpm_milli, 132000);
    for (int t = 0; t < 5000 && atomic_load_explicit(&io.version, memory_order_acquire) == v;
         t += 10)
        gbt_sleep_ms(10);
    assert_int_not_equal(atomic_load(&io.version), v);
    assert_true(fabs(io.bpm - 132.0) < 1e-9);
    gbt_sleep_ms(200);
    call_and_answer(132.0);
    assert_int_equal(waitpid(gbac_pid, NULL, WNOHANG), 0); /* still running */
}

int main(void)
{
    if (!getenv("GBAC_BIN") || !getenv("GBAC_SOURCE_DIR")) {
        fprintf(stderr, "GBAC_BIN and GBAC_SOURCE_DIR must be set\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(answers_a_call_on_a_bar_boundary),
        cmocka_unit_test(answers_at_the_new_tempo),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
