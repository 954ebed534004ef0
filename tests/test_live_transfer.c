/* test_live_transfer.c — `gbac live --preset timbre-transfer` on a real, named jackd (dummy
 * backend, -S, 48 kHz / 64 frames): a note played into gbac:in sounds at gbac's output within
 * 10 ms (480 frames) of its onset, at its pitch (±10 cents).
 * Two in-process JACK clients (tests/gb_jack_io.h): "snd" plays a band-limited saw into
 * gbt:in from an absolute frame on, and writes its frame time as a tag; "rec" records gbac's
 * out_L (left) and snd's own output (right: the input exactly as gbac got it), checking snd's
 * tag cycle by cycle. The graph orders them snd → gbac → rec in one period, so the input's
 * onset and the output's are counted in the same frames, by the transport. Both onsets, the
 * silence before them and the pitch are taken on verified, abutting cycles only.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jack/jack.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gb_jack_io.h"
#include "gb_jack_util.h"
#include "gb_pitch_track.h"

#define SR 48000.0
#define REC_FRAMES (48000 * 6)
#define NOTE_FRAMES 48000
#define SILENT_FRAMES 4800 /* 0.1 s of exact silence at the output before a note */
#define MAX_LATENCY 480    /* 10 ms at 48 kHz */

static char server[64], tmpdir[256], preset[4096];
static pid_t jackd_pid = -1, gbac_pid = -1;

static struct {
    jack_client_t *snd, *rec;
    jack_port_t *audio_out, *tag_out, *in_l, *in_r, *tag_in;
    float *note;              /* [main] written before `at` is published */
    _Atomic uint64_t at;      /* absolute frame the note starts on (0: none) */
    _Atomic uint64_t first;   /* [process] the first frame snd played the note on (0: not yet) */
    gbt_rec_t *r;
} io;

/* The note's samples at the absolute frames of this cycle: one function of the frame, so a
 * cycle the sender never saw cannot shift the note. */
static int snd_process(jack_nframes_t n, void *arg)
{
    (void)arg;
    float *out = jack_port_get_buffer(io.audio_out, n);
    void *tag = jack_port_get_buffer(io.tag_out, n);
    jack_midi_clear_buffer(tag);
    const uint64_t start = jack_last_frame_time(io.snd), at = atomic_load(&io.at);
    gbt_tag_write(tag, start);
    for (jack_nframes_t i = 0; i < n; i++) {
        const uint64_t f = start + i;
        out[i] = at && f >= at && f - at < NOTE_FRAMES ? io.note[f - at] : 0.0f;
    }
    if (at && start + n > at && start < at + NOTE_FRAMES && !atomic_load(&io.first))
        atomic_store(&io.first, start > at ? start : at);
    return 0;
}

static int rec_process(jack_nframes_t n, void *arg)
{
    (void)arg;
    const float *l = jack_port_get_buffer(io.in_l, n), *r = jack_port_get_buffer(io.in_r, n);
    const uint64_t now = jack_last_frame_time(io.rec);
    gbt_rec_process(io.r, now, n, l, r, gbt_tag_matches(jack_port_get_buffer(io.tag_in, n), now));
    return 0;
}

static int open_clients(void)
{
    jack_status_t s;
    io.snd = jack_client_open("snd", JackNoStartServer | JackServerName, &s, server);
    io.rec = jack_client_open("rec", JackNoStartServer | JackServerName, &s, server);
    if (!io.snd || !io.rec)
        return -1;
    io.audio_out = jack_port_register(io.snd, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    io.tag_out = jack_port_register(io.snd, "tag", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    io.in_l = jack_port_register(io.rec, "in_L", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    io.in_r = jack_port_register(io.rec, "in_R", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    io.tag_in = jack_port_register(io.rec, "tag", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    jack_set_process_callback(io.snd, snd_process, NULL);
    jack_set_process_callback(io.rec, rec_process, NULL);
    if (jack_activate(io.snd) || jack_activate(io.rec))
        return -1;
    if (jack_connect(io.snd, "snd:out", "gbt:in") || jack_connect(io.snd, "snd:tag", "rec:tag") ||
        jack_connect(io.rec, "snd:out", "rec:in_R") || jack_connect(io.rec, "gbt:out_L", "rec:in_L"))
        return -1;
    return 0;
}

static int setup(void **state)
{
    (void)state;
    snprintf(server, sizeof server, "gbtx%d", (int)getpid());
    setenv("JACK_DEFAULT_SERVER", server, 1);
    setenv("JACK_NO_START_SERVER", "1", 1);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gbac-live-transfer-%d", (int)getpid());
    mkdir(tmpdir, 0700);
    snprintf(preset, sizeof preset, "%s/presets/timbre-transfer.json", getenv("GBAC_SOURCE_DIR"));
    io.r = gbt_rec_new(REC_FRAMES);
    io.note = calloc(NOTE_FRAMES, sizeof(float));
    char log[600], port[16];
    snprintf(log, sizeof log, "%s/jackd.log", tmpdir);
    if (!io.r || !io.note || gbt_start_jackd(server, 64, log, &jackd_pid) != 0) {
        fprintf(stderr, "jackd did not start (see %s)\n", log);
        return -1;
    }
    snprintf(log, sizeof log, "%s/gbac.log", tmpdir);
    snprintf(port, sizeof port, "%d", 20000 + (int)((getpid() + 7919) % 20000));
    char *argv[] = {getenv("GBAC_BIN"), "live", "--preset", preset, "--name", "gbt", "--server",
                    server, "--no-ui", "--osc-port", port, NULL};
    gbac_pid = gbt_spawn(argv, log);
    if (gbt_wait_port(server, "gbt:out_L", 10000) || gbt_wait_port(server, "gbt:in", 10000)) {
        fprintf(stderr, "gbac live did not create its ports (see %s)\n", log);
        return -1;
    }
    return open_clients();
}

static int teardown(void **state)
{
    (void)state;
    if (io.snd)
        jack_client_close(io.snd);
    if (io.rec)
        jack_client_close(io.rec);
    gbt_stop(&gbac_pid, SIGTERM);
    gbt_stop(&jackd_pid, SIGTERM);
    gbt_rec_free(io.r);
    free(io.note);
    if (!getenv("GBAC_KEEP_LOGS")) {
        char p[600];
        snprintf(p, sizeof p, "%s/jackd.log", tmpdir);
        unlink(p);
        snprintf(p, sizeof p, "%s/gbac.log", tmpdir);
        unlink(p);
        rmdir(tmpdir);
    }
    return 0;
}

/* A band-limited saw at f0 (harmonics 1/k below 18 kHz), amplitude 0.3, from phase 1 rad so
 * that its first sample is not 0 (the input's onset is its first nonzero frame). */
static void saw(float *x, size_t n, double f0)
{
    double ph = 1.0;
    for (size_t i = 0; i < n; i++) {
        double v = 0.0;
        for (int k = 1; k * f0 < 18000.0 && k < 200; k++)
            v += sin(k * ph) / k;
        x[i] = (float)(0.3 * 0.55 * v);
        ph += 2.0 * M_PI * f0 / SR;
        ph -= ph > 2.0 * M_PI ? 2.0 * M_PI : 0.0;
    }
}

/* The tracker's f0 after n samples of x (0: unvoiced). */
static double track(const float *x, size_t n)
{
    gb_pitch_track_config_t c = gb_pitch_track_config_default(SR);
    gb_pitch_track_t *t = gb_pitch_track_new(&c, NULL);
    gb_pitch_track_push(t, x, n);
    const double f = gb_pitch_track_est(t)->voiced ? gb_pitch_track_est(t)->f0_hz : 0.0;
    gb_pitch_track_free(t);
    return f;
}

/* Wait (up to ms) until the recording reaches frame `upto` (relative to its start). */
static int wait_recorded(int64_t upto, int ms)
{
    for (int t = 0; t < ms && (int64_t)gbt_rec_frames(io.r) < upto; t += 10)
        gbt_sleep_ms(10);
    return (int64_t)gbt_rec_frames(io.r) >= upto ? 0 : -1;
}

/* First frame in [from, to) where |left| exceeds thr, or -1. */
static int64_t first_above(int64_t from, int64_t to, float thr)
{
    for (int64_t i = from; i < to; i++)
        if (fabsf(io.r->l[i]) > thr)
            return i;
    return -1;
}

static void play_note(double f0)
{
    atomic_store(&io.at, 0);
    gbt_rec_wait_calls(io.r, 2); /* snd no longer reads the note */
    saw(io.note, NOTE_FRAMES, f0);
    gbt_rec_reset(io.r);
    const int64_t quiet = gbt_rec_wait_silence(io.r, SILENT_FRAMES, 5000);
    if (quiet < 0)
        fail_msg("gbac was not silent for %d verified frames within 5 s", SILENT_FRAMES);
    atomic_store(&io.first, 0);
    const uint64_t at = jack_frame_time(io.snd) + 4800 + 17; /* 0.1 s ahead, mid-period */
    atomic_store(&io.at, at);
    const int64_t rel = (int64_t)(at - io.r->start), end = rel + NOTE_FRAMES - 4800;
    if (wait_recorded(end, 10000))
        fail_msg("the recording did not reach the note's end within 10 s");
    /* the input as gbac got it starts on `at`, after verified silence */
    const int64_t in_on = gbt_rec_first_sound(io.r, quiet, end);
    int64_t out_on = -1;
    /* the note's steady level: 0.2 s of verified output from 0.25 s in */
    const int64_t st = gbt_rec_stretch(io.r, rel + 12000, end, 9600);
    assert_true(st >= 0);
    float peak = 0.0f;
    for (int64_t i = st; i < st + 9600; i++)
        peak = fabsf(io.r->l[i]) > peak ? fabsf(io.r->l[i]) : peak;
    out_on = first_above(quiet, end, 0.1f * peak);
    const double f = track(io.r->l + st, 9600), cents = 1200.0 * log2(f / f0);
    printf("  %.0f Hz: input starts on frame %llu (sent %llu), output above %.4f (10%% of its "
           "peak %.3f) on frame %llu: %lld frames (%.2f ms); pitch %.2f Hz (%+.2f cents)\n",
           f0, (unsigned long long)(io.r->start + (uint64_t)in_on),
           (unsigned long long)atomic_load(&io.first),
           0.1 * peak, peak, (unsigned long long)(io.r->start + (uint64_t)out_on),
           (long long)(out_on - in_on), (out_on - in_on) / SR * 1e3, f, cents);
    assert_int_equal(atomic_load(&io.first), at);
    assert_int_equal(in_on, rel);
    assert_true(out_on >= 0);
    assert_true(gbt_rec_verified(io.r, quiet, out_on + 1)); /* nothing unheard before it */
    assert_true(out_on > in_on && out_on - in_on <= MAX_LATENCY);
    assert_true(fabs(cents) <= 10.0);
    atomic_store(&io.at, 0);
}

static void test_note_into_in_sounds_within_10ms_at_its_pitch(void **state)
{
    (void)state;
    static const double f0[] = {440.0, 220.0, 110.0};
    for (size_t k = 0; k < sizeof f0 / sizeof f0[0]; k++)
        play_note(f0[k]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_note_into_in_sounds_within_10ms_at_its_pitch),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
