/* test_rig_pair.c — two gbac in one JACK graph, as docs/rigs.md wires them: "mel" plays
 * presets/rig-melody.json (the melody GAN answers calls), its MIDI out feeds "tim" playing
 * presets/rig-timbre.json (the timbre VAE), on one named jackd (dummy backend, 48 kHz, 64
 * frames). Both run in a network namespace of their own so their OSC ports are known: mel
 * takes 9110, tim finds it taken and takes 9111 (and says so). Shown:
 *   - a call into mel is answered, and tim sounds the answer: its first note starts exactly
 *     tim's rack latency after mel's note-on on MIDI out, every note long enough to measure
 *     sounds at its key's pitch ± 1 Hz;
 *   - both follow the same transport (the test's client is JACK timebase master) through a
 *     tempo change;
 *   - a third gbac asking for the name "tim" is refused with a message naming it, exit 1, and
 *     tim plays on.
 * "snd" (the test's timebase master) sends the call and a tag per cycle; "rec" records mel's
 * MIDI out and tim's audio at transport frames, each cycle verified (tests/gb_jack_io.h).
 * Needs root for the namespace (skips otherwise).
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

#include "gb_engine_util.h" /* gbt_peak_hz */
#include "gb_jack_io.h"
#include "gb_jack_util.h"
#include "gb_netns.h"
#include "gb_osc_status.h"

#define SR 48000.0
#define TPB 1000000.0
#define MAX_NOTES 1024

static char ns[32], srv[32], tmpdir[256];
static pid_t jackd_pid = -1, mel_pid = -1, tim_pid = -1;
static gbt_osc_t osc_mel, osc_tim;

static struct {
    jack_client_t *snd, *rec;
    jack_port_t *out, *tag_out, *in, *tag_in, *in_l, *in_r;
    double bpm, anchor_beat; /* the timebase (transport frames) */
    uint64_t anchor_frame;
    atomic_int pending_bpm_milli;
    gbt_sched_t sched; /* transport frames */
    gbt_rec_t *rec_audio;
    struct {
        uint64_t frame;
        uint8_t b[3];
    } note[MAX_NOTES];
    atomic_int n_note;
    atomic_ullong last_frame;
} io;

static double beat_at(uint64_t f)
{
    return io.anchor_beat + ((double)f - (double)io.anchor_frame) * io.bpm / (60.0 * SR);
}

static uint64_t frame_of_beat(double beat)
{
    return io.anchor_frame + (uint64_t)ceil((beat - io.anchor_beat) * 60.0 * SR / io.bpm - 1e-6);
}

/* [JACK] 4/4 BBT as a pure function of the transport frame; a tempo change anchors there. */
static void timebase(jack_transport_state_t st, jack_nframes_t n, jack_position_t *pos, int np,
                     void *arg)
{
    (void)st, (void)n, (void)np, (void)arg;
    const int p = atomic_load(&io.pending_bpm_milli);
    if (p > 0) {
        io.anchor_beat = beat_at(pos->frame);
        io.anchor_frame = pos->frame;
        io.bpm = p / 1000.0;
        atomic_store(&io.pending_bpm_milli, 0);
    }
    const double b = fmax(beat_at(pos->frame), 0.0);
    const int32_t bar = (int32_t)floor(b / 4.0);
    const double in_bar = b - 4.0 * bar;
    pos->valid = JackPositionBBT;
    pos->bar = bar + 1;
    pos->beat = (int32_t)floor(in_bar) + 1;
    pos->tick = (int32_t)floor((in_bar - floor(in_bar)) * TPB);
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
    jack_position_t pos;
    if (jack_transport_query(io.rec, &pos) != JackTransportRolling)
        return 0;
    atomic_store(&io.last_frame, (unsigned long long)pos.frame);
    gbt_rec_process(io.rec_audio, pos.frame, n, jack_port_get_buffer(io.in_l, n),
                    jack_port_get_buffer(io.in_r, n),
                    gbt_tag_matches(jack_port_get_buffer(io.tag_in, n), pos.frame));
    void *buf = jack_port_get_buffer(io.in, n);
    for (uint32_t i = 0; i < jack_midi_get_event_count(buf); i++) {
        jack_midi_event_t me;
        const int k = atomic_load(&io.n_note);
        if (jack_midi_event_get(&me, buf, i) != 0 || me.size != 3 || k >= MAX_NOTES)
            continue;
        io.note[k].frame = pos.frame + me.time;
        memcpy(io.note[k].b, me.buffer, 3);
        atomic_store(&io.n_note, k + 1);
    }
    return 0;
}

/* ---- set up ---------------------------------------------------------------------------------- */

static pid_t start_gbac(const char *name, const char *preset)
{
    char log[400], path[600];
    snprintf(log, sizeof log, "%s/%s.log", tmpdir, name);
    snprintf(path, sizeof path, "%s/presets/%s.json", getenv("GBAC_SOURCE_DIR"), preset);
    char *argv[] = {getenv("GBAC_BIN"), "live", "--server", srv, "--name", (char *)name,
                    "--preset", path, "--no-ui", NULL};
    return gbt_ns_spawn(ns, argv, log);
}

static int log_has(const char *name, const char *text)
{
    char path[400], buf[16384];
    snprintf(path, sizeof path, "%s/%s.log", tmpdir, name);
    FILE *f = fopen(path, "r");
    const size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return strstr(buf, text) != NULL;
}

static void cleanup(void)
{
    if (io.snd) {
        jack_release_timebase(io.snd);
        jack_client_close(io.snd);
    }
    if (io.rec)
        jack_client_close(io.rec);
    io.snd = io.rec = NULL;
    gbt_osc_close(&osc_mel);
    gbt_osc_close(&osc_tim);
    gbt_stop(&mel_pid, SIGTERM);
    gbt_stop(&tim_pid, SIGTERM);
    gbt_jackd_stop(&jackd_pid, srv);
    gbt_ns_cleanup();
}

static int jack_clients(void)
{
    jack_status_t s;
    io.bpm = 100.0;
    io.rec_audio = gbt_rec_new((size_t)(SR * 40));
    io.snd = jack_client_open("snd", JackNoStartServer | JackServerName, &s, srv);
    io.rec = jack_client_open("rec", JackNoStartServer | JackServerName, &s, srv);
    if (!io.snd || !io.rec || !io.rec_audio)
        return -1;
    io.out = jack_port_register(io.snd, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    io.tag_out = jack_port_register(io.snd, "tag", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    io.in = jack_port_register(io.rec, "in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    io.tag_in = jack_port_register(io.rec, "tag", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    io.in_l = jack_port_register(io.rec, "in_l", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    io.in_r = jack_port_register(io.rec, "in_r", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    jack_set_process_callback(io.snd, snd_process, NULL);
    jack_set_process_callback(io.rec, rec_process, NULL);
    if (jack_activate(io.snd) || jack_activate(io.rec) ||
        jack_set_timebase_callback(io.snd, 0, timebase, NULL))
        return -1;
    const char *pairs[][2] = {{"snd:out", "mel:midi_in"}, {"snd:tag", "rec:tag"},
                              {"mel:midi_out", "tim:midi_in"}, {"mel:midi_out", "rec:in"},
                              {"tim:out_L", "rec:in_l"}, {"tim:out_R", "rec:in_r"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (jack_connect(io.snd, pairs[i][0], pairs[i][1]))
            return -1;
    jack_transport_locate(io.snd, 0);
    jack_transport_start(io.snd);
    for (int t = 0; t < 5000 && !atomic_load(&io.last_frame); t += 10)
        gbt_sleep_ms(10);
    gbt_rec_reset(io.rec_audio);
    return atomic_load(&io.last_frame) ? 0 : -1;
}

static int setup(void **state)
{
    (void)state;
    const int pid = (int)getpid();
    gbt_ns_sweep("gbp");
    atexit(cleanup);
    snprintf(ns, sizeof ns, "gbp%dp", pid);
    snprintf(srv, sizeof srv, "gbp%d", pid);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gbac-rig-pair-%d", pid);
    mkdir(tmpdir, 0700);
    setenv("JACK_NO_START_SERVER", "1", 1);
    char log[400];
    snprintf(log, sizeof log, "%s/jackd.log", tmpdir);
    if (gbt_ns_add(ns, 1) || gbt_start_jackd(srv, 64, log, &jackd_pid))
        return -1;
    if (gbt_osc_open(&osc_mel, ns, 9110) || gbt_osc_open(&osc_tim, ns, 9111))
        return -1;
    mel_pid = start_gbac("mel", "rig-melody");
    if (gbt_osc_wait_up(&osc_mel, 15000))
        return -1;
    tim_pid = start_gbac("tim", "rig-timbre");
    if (gbt_osc_wait_up(&osc_tim, 15000) || gbt_wait_port(srv, "tim:out_R", 5000))
        return -1;
    return jack_clients();
}

static int teardown(void **state)
{
    (void)state;
    const int a = gbt_stop(&mel_pid, SIGTERM), b = gbt_stop(&tim_pid, SIGTERM);
    if (!(WIFEXITED(a) && WEXITSTATUS(a) == 0 && WIFEXITED(b) && WEXITSTATUS(b) == 0))
        fprintf(stderr, "gbac did not exit cleanly (%d, %d; logs in %s)\n", a, b, tmpdir);
    cleanup();
    gbt_rec_free(io.rec_audio);
    if (!getenv("GBAC_KEEP_LOGS"))
        gbt_sh("rm -rf %s", tmpdir);
    return 0;
}

/* ---- the tests ---------------------------------------------------------------------------- */

static void instances_apart(void **state)
{
    (void)state;
    assert_string_equal(gbt_osc_str(&osc_mel, "client"), "mel");
    assert_string_equal(gbt_osc_str(&osc_tim, "client"), "tim");
    assert_true(log_has("tim", "OSC port 9110 is taken (another gbac?); using UDP port 9111"));
    char log[400], path[600];
    snprintf(log, sizeof log, "%s/dup.log", tmpdir);
    snprintf(path, sizeof path, "%s/presets/default.json", getenv("GBAC_SOURCE_DIR"));
    char *argv[] = {getenv("GBAC_BIN"), "live", "--server", srv, "--name", "tim", "--preset",
                    path, "--no-ui", NULL};
    pid_t dup = gbt_ns_spawn(ns, argv, log);
    int st = -1;
    for (int t = 0; t < 15000 && waitpid(dup, &st, WNOHANG) == 0; t += 20)
        gbt_sleep_ms(20);
    if (!WIFEXITED(st))
        gbt_stop(&dup, SIGKILL);
    printf("A second 'tim': exit status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    assert_true(log_has("dup", "JACK: a client named 'tim' already exists on the server"));
    assert_non_null(gbt_osc_status(&osc_tim, 1000)); /* the first tim plays on */
    assert_true(gbt_osc_num(&osc_tim, "connected") == 1);
}

/* Both report the JACK transport at bpm (waits up to 5 s). */
static void both_follow(double bpm)
{
    const double t0 = gbt_mono_s();
    int ok = 0;
    while (!ok && gbt_mono_s() - t0 < 5.0) {
        ok = 1;
        gbt_osc_t *o[2] = {&osc_mel, &osc_tim};
        for (int i = 0; i < 2; i++)
            ok &= gbt_osc_status(o[i], 200) && !strcmp(gbt_osc_str(o[i], "transport"), "jack") &&
                  fabs(gbt_osc_num(o[i], "transport_tempo") - bpm) < 1e-6;
    }
    printf("Both instances follow JACK transport at %.0f BPM (after %.0f ms)\n", bpm,
           (gbt_mono_s() - t0) * 1e3);
    assert_true(ok);
}

static void same_transport(void **state)
{
    (void)state;
    both_follow(100.0);
    atomic_store(&io.pending_bpm_milli, 120000);
    both_follow(120.0);
    atomic_store(&io.pending_bpm_milli, 100000);
    both_follow(100.0);
}

/* tim's pitch for the note at [a, a + len) of the recording: the spectral peak within a
 * quarter tone of the key. */
static double pitch_at(int64_t a, int64_t len, int key)
{
    const double f = 440.0 * pow(2.0, (key - 69) / 12.0);
    return gbt_peak_hz(io.rec_audio->l + a, (int)len, f * 0.97, f * 1.03);
}

static void answer_sounds_from_tim(void **state)
{
    (void)state;
    static const uint8_t keys[6] = {62, 64, 66, 67, 69, 74};
    assert_non_null(gbt_osc_status(&osc_tim, 1000));
    const int lat = (int)gbt_osc_num(&osc_tim, "latency_frames");
    gbt_rec_wait_silence(io.rec_audio, 4800, 10000);
    const int n0 = atomic_load(&io.n_note);
    const double b0 = 4.0 * (floor(beat_at(atomic_load(&io.last_frame)) / 4.0) + 2);
    for (int i = 0; i < 6; i++) {
        gbt_sched_add(&io.sched, frame_of_beat(b0 + 0.5 * i) + 3, 0x90, keys[i], 100);
        gbt_sched_add(&io.sched, frame_of_beat(b0 + 0.5 * i + 0.4), 0x80, keys[i], 0);
    }
    const uint64_t end = frame_of_beat(b0 + 12.0); /* the answer: bars b0+4 .. b0+12 */
    for (int t = 0; t < 30000 && atomic_load(&io.last_frame) < end + 4800; t += 20)
        gbt_sleep_ms(20);
    const int n1 = atomic_load(&io.n_note);
    int first = -1, measured = 0, notes = 0;
    double worst = 0;
    for (int i = n0; i < n1; i++) {
        if ((io.note[i].b[0] & 0xf0) != 0x90 || io.note[i].b[2] == 0)
            continue;
        notes++;
        first = first < 0 ? i : first;
        const int64_t on = (int64_t)(io.note[i].frame - io.rec_audio->start) + lat;
        int64_t next = on + 48000;
        for (int j = i + 1; j < n1; j++)
            if (io.note[j].frame > io.note[i].frame && (io.note[j].b[0] & 0xf0) == 0x90) {
                next = (int64_t)(io.note[j].frame - io.rec_audio->start) + lat;
                break;
            }
        const int64_t a = on + 960, len = next - 240 - a > 8192 ? 8192 : next - 240 - a;
        if (len < 2048 || !gbt_rec_verified(io.rec_audio, a, a + len))
            continue;
        const double f = pitch_at(a, len, io.note[i].b[1]);
        const double want = 440.0 * pow(2.0, (io.note[i].b[1] - 69) / 12.0);
        worst = fabs(f - want) > worst ? fabs(f - want) : worst;
        measured++;
    }
    assert_true(first >= 0);
    const int64_t want_on = (int64_t)(io.note[first].frame - io.rec_audio->start) + lat;
    const int verified = gbt_rec_verified(io.rec_audio, want_on - 4800, want_on + 64);
    const int64_t got_on = gbt_rec_first_sound(io.rec_audio, want_on - 4800, want_on + 4800);
    printf("mel's first answer note-on (key %d) at transport frame %llu; tim's latency %d "
           "frames; tim's sound starts at %+lld frames from note-on + latency (stretch "
           "verified: %d); %d answer notes, %d long enough to measure, worst pitch error "
           "%.3f Hz\n", io.note[first].b[1], (unsigned long long)io.note[first].frame, lat,
           (long long)(got_on - want_on), verified, notes, measured, worst);
    assert_true(verified);
    assert_int_equal(got_on, want_on);
    assert_true(notes >= 4 && measured >= 2);
    assert_true(worst <= 1.0);
}

int main(void)
{
    if (!gbt_ns_available()) {
        printf("skipped: network namespaces need root and iproute2\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(instances_apart),
        cmocka_unit_test(same_transport),
        cmocka_unit_test(answer_sounds_from_tim),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
