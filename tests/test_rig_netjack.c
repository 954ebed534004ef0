/* test_rig_netjack.c — gbac on a netjack2 slave, played and heard from the master, as
 * docs/rigs.md sets it up: two network namespaces joined by a veth pair; in "m" the master
 * (named jackd, dummy backend, 48 kHz, 256 frames, netmanager on its veth address, unicast),
 * in "s" the slave (`jackd -d net`, 2 audio + 1 MIDI each way, latency 2; without -s, so
 * that gbac's own --connect is what connects it again) and `gbac live --connect` with a
 * harmonic synth and a limiter (no reverb, so the output falls to exact silence between
 * notes). Shown, with the figures printed:
 *   - an A4 sent into the master's graph (to the slave's MIDI port) comes back from the slave
 *     at 440 ± 1 Hz; the frames it took, less gbac's own latency, are netjack2's added
 *     latency, which must equal what the master's ports report;
 *   - the veth cut for 5 s: gbac says the server's physical ports went away and plays on;
 *     restored: it says they are back and connects itself again, exactly as before (out_L to
 *     system:playback_1 only, out_R to system:playback_2 only, system:midi_capture_1 to
 *     midi_in, although the slave registers its ports one by one), the master gets the slave
 *     again, and a note plays again, at the same level (a parameter set over OSC before the
 *     cut is still set), from the same gbac process; the time from restoring to sound is
 *     reported;
 *   - the master disappears for good (SIGKILL): gbac says so, keeps answering OSC and exits 0
 *     on SIGTERM.
 * The test's clients on the master: "snd" (MIDI to the slave, a tag per cycle) and "rec"
 * (records the slave's first return channel, verified cycles, tests/gb_jack_io.h). gbac's
 * connections on the slave are read with jack_lsp (libjack serves one server a process).
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

#include "gb_engine_util.h" /* gbt_peak_hz */
#include "gb_jack_io.h"
#include "gb_jack_util.h"
#include "gb_netns.h"
#include "gb_osc_status.h"

#define SR 48000.0
#define PERIOD 256
#define SLAVE "gbslave"

static char ns_m[32], ns_s[32], srv_m[32], srv_s[32], tmpdir[256];
static pid_t master_pid = -1, slave_pid = -1, gbac_pid = -1;
static gbt_osc_t osc;

static struct {
    jack_client_t *snd, *rec;
    jack_port_t *out, *tag_out, *tag_in, *in;
    gbt_sched_t sched;
    gbt_rec_t *r;
} io;

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
    const float *x = jack_port_get_buffer(io.in, n);
    gbt_rec_process(io.r, f, n, x, x, gbt_tag_matches(jack_port_get_buffer(io.tag_in, n), f));
    return 0;
}

/* ---- set up: the rig ---------------------------------------------------------------------- */

static void cleanup(void)
{
    if (io.snd)
        jack_client_close(io.snd);
    if (io.rec)
        jack_client_close(io.rec);
    io.snd = io.rec = NULL;
    gbt_osc_close(&osc);
    gbt_stop(&gbac_pid, SIGTERM);
    gbt_jackd_stop(&slave_pid, srv_s);
    gbt_jackd_stop(&master_pid, srv_m);
    gbt_ns_cleanup();
}

/* A setup step that failed, said (cmocka only says the group setup failed). */
static int setup_failed(const char *what, int status)
{
    printf("setup: %s (status %d)\n", what, status);
    return -1;
}

static int start_servers(void)
{
    char log[400], per[16];
    snprintf(per, sizeof per, "%d", PERIOD);
    snprintf(log, sizeof log, "%s/master.log", tmpdir);
    char *m[] = {"jackd", "-n", srv_m, "-R", "-S", "-d", "dummy", "-r", "48000", "-p", per, NULL};
    master_pid = gbt_ns_spawn(ns_m, m, log);
    int st = gbt_sh("jack_wait -s %s -w -t 10 >/dev/null", srv_m);
    if (st != 0)
        return setup_failed("the master's jackd did not answer within 10 s", st);
    /* Bounded: once (1 of about 100 runs, at load average 30) the test stood still from
     * here on until ctest's timeout, after jack_load had said the netmanager was running. */
    st = gbt_sh("timeout -k 2 20 jack_load -s %s netmanager netmanager -i '-a 10.78.0.1 -p "
                "19000 -s' >>%s/master.log 2>&1", srv_m, tmpdir);
    if (st != 0)
        return setup_failed("jack_load netmanager failed, or did not return within 20 s (124)",
                            st);
    snprintf(log, sizeof log, "%s/slave.log", tmpdir);
    char *s[] = {"jackd", "-n", srv_s, "-R", "-d", "net", "-a", "10.78.0.1", "-p", "19000",
                 "-n", SLAVE, "-C", "2", "-P", "2", "-i", "1", "-o", "1", "-l", "2", NULL};
    slave_pid = gbt_ns_spawn(ns_s, s, log);
    st = gbt_sh("jack_wait -s %s -w -t 10 >/dev/null", srv_s);
    return st == 0 ? 0 : setup_failed("the slave's jackd did not answer within 10 s", st);
}

static int connect_clients(void)
{
    return jack_connect(io.snd, "snd:out", SLAVE ":midi_to_slave_1") == 0 &&
                   jack_connect(io.snd, "snd:tag", "rec:tag") == 0 &&
                   jack_connect(io.rec, SLAVE ":from_slave_1", "rec:in") == 0
               ? 0
               : -1;
}

static int jack_clients(void)
{
    jack_status_t st;
    io.r = gbt_rec_new((size_t)(SR * 60));
    io.snd = jack_client_open("snd", JackNoStartServer | JackServerName, &st, srv_m);
    io.rec = jack_client_open("rec", JackNoStartServer | JackServerName, &st, srv_m);
    if (!io.r || !io.snd || !io.rec)
        return -1;
    io.out = jack_port_register(io.snd, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    io.tag_out = jack_port_register(io.snd, "tag", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    io.tag_in = jack_port_register(io.rec, "tag", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    io.in = jack_port_register(io.rec, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    jack_set_process_callback(io.snd, snd_process, NULL);
    jack_set_process_callback(io.rec, rec_process, NULL);
    if (jack_activate(io.snd) || jack_activate(io.rec) ||
        gbt_wait_port(srv_m, SLAVE ":from_slave_1", 10000))
        return -1;
    gbt_rec_reset(io.r);
    return connect_clients();
}

static int setup(void **state)
{
    (void)state;
    const int pid = (int)getpid();
    gbt_ns_sweep("gbn");
    atexit(cleanup);
    snprintf(ns_m, sizeof ns_m, "gbn%dm", pid);
    snprintf(ns_s, sizeof ns_s, "gbn%ds", pid);
    snprintf(srv_m, sizeof srv_m, "gbnm%d", pid);
    snprintf(srv_s, sizeof srv_s, "gbns%d", pid);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gbac-rig-netjack-%d", pid);
    mkdir(tmpdir, 0700);
    setenv("JACK_NO_START_SERVER", "1", 1);
    if (gbt_ns_add(ns_m, 1) || gbt_ns_add(ns_s, 1) ||
        gbt_ns_veth(ns_m, "gbnm", "10.78.0.1/24", ns_s, "gbns", "10.78.0.2/24") ||
        start_servers())
        return -1;
    char log[400], path[600];
    snprintf(log, sizeof log, "%s/gbac.log", tmpdir);
    snprintf(path, sizeof path, "%s/synth.json", tmpdir);
    FILE *f = fopen(path, "w"); /* no reverb: between notes the output falls to exact 0 */
    if (!f)
        return -1;
    fputs("{\"format\": \"gbac-preset/1\", \"name\": \"netjack-test\", \"tempo\": 120, "
          "\"rack\": {\"instrument\": {\"unit\": \"gbac.harmonic-synth\", \"name\": "
          "\"synth\", \"params\": {\"release_ms\": 50}}, \"effects\": [{\"unit\": "
          "\"gbac.limiter\"}]}}\n", f);
    fclose(f);
    char *argv[] = {getenv("GBAC_BIN"), "live", "--server", srv_s, "--name", "gbn", "--connect",
                    "--preset", path, "--no-ui", "--osc-port", "9110", NULL};
    gbac_pid = gbt_ns_spawn(ns_s, argv, log);
    if (gbt_osc_open(&osc, ns_s, 9110) || gbt_osc_wait_up(&osc, 15000))
        return -1;
    return jack_clients();
}

static int teardown(void **state)
{
    (void)state;
    cleanup();
    gbt_rec_free(io.r);
    if (!getenv("GBAC_KEEP_LOGS"))
        gbt_sh("rm -rf %s", tmpdir);
    return 0;
}

/* ---- measurements ------------------------------------------------------------------------- */

static int log_count(const char *text)
{
    char path[400];
    snprintf(path, sizeof path, "%s/gbac.log", tmpdir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    static char buf[1 << 18];
    const size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    int c = 0;
    for (const char *p = buf; (p = strstr(p, text)); p++)
        c++;
    return c;
}

static int wait_log(const char *text, int count, int ms)
{
    for (int t = 0; t < ms; t += 20) {
        if (log_count(text) >= count)
            return 0;
        gbt_sleep_ms(20);
    }
    return -1;
}

typedef struct note_result {
    int64_t lag;   /* frames from the note-on sent to the first sound recorded, -1: none */
    double hz, db; /* pitch and RMS level of the note */
    int notes;     /* A4s played: more than 1 when a stretch could not be verified */
} note_result_t;

/* An A4 for 0.5 s from about 0.1 s ahead, recorded back from the slave: 1 measured into
 * *res, 0 when a cycle of the stretch could not be verified (measure again), -1 when a
 * verified stretch holds no sound. */
static int a4_once(note_result_t *res)
{
    if (gbt_rec_wait_silence(io.r, 4800, 5000) < 0)
        return -1;
    const uint64_t on = io.r->start + gbt_rec_frames(io.r) + 4800;
    const uint64_t i_on = gbt_sched_add(&io.sched, on, 0x90, 69, 100);
    gbt_sched_add(&io.sched, on + 24000, 0x80, 69, 0);
    const int64_t from = (int64_t)(on - io.r->start);
    for (int t = 0; t < 5000 && (int64_t)gbt_rec_frames(io.r) < from + 40000; t += 10)
        gbt_sleep_ms(10);
    const uint64_t sent = gbt_sched_sent(&io.sched, i_on);
    if (sent == GBT_UNSENT)
        return -1;
    const int64_t s0 = (int64_t)(sent - io.r->start);
    if (!gbt_rec_verified(io.r, s0, s0 + 20000))
        return 0;
    const int64_t got = gbt_rec_first_sound(io.r, s0, s0 + 20000);
    if (got < 0 || got + 14400 > s0 + 20000)
        return -1;
    res->lag = got - s0;
    res->hz = gbt_peak_hz(io.r->l + got + 2400, 12000, 300.0, 600.0);
    res->db = gbt_rec_rms_db(io.r, got + 2400, 12000);
    return 1;
}

static note_result_t play_a4(void)
{
    note_result_t res = {-1, 0, -200, 1};
    while (a4_once(&res) == 0 && res.notes < 5)
        res.notes++;
    return res;
}

/* gbac's connections on the slave as --connect makes them: each of its ports to one system
 * port, its own (both outputs on playback_1 would double the level the master hears). Read
 * with jack_lsp: libjack serves one server per process, and this one's is the master. With
 * `say`, prints them. */
static int gbac_connected(int say)
{
    static const char *want[3][2] = {{"gbn:out_L", "system:playback_1"},
                                     {"gbn:out_R", "system:playback_2"},
                                     {"gbn:midi_in", "system:midi_capture_1"}};
    char cmd[128], line[256], cur[256] = "";
    snprintf(cmd, sizeof cmd, "jack_lsp -s %s -c 2>/dev/null", srv_s);
    FILE *f = popen(cmd, "r");
    int n[3] = {0, 0, 0}, right[3] = {0, 0, 0};
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] != ' ') {
            snprintf(cur, sizeof cur, "%s", line);
            continue;
        }
        for (int i = 0; i < 3; i++)
            if (strcmp(cur, want[i][0]) == 0) {
                n[i]++;
                right[i] += strcmp(line + strspn(line, " "), want[i][1]) == 0;
                if (say)
                    printf("  %s -> %s\n", cur, line + strspn(line, " "));
            }
    }
    if (f)
        pclose(f);
    return n[0] == 1 && right[0] && n[1] == 1 && right[1] && n[2] == 1 && right[2];
}

/* Wait up to ms for gbac's connections; the time it took in *took (s), -1 if never. */
static int wait_gbac_connected(int ms, double *took)
{
    const double t0 = gbt_mono_s();
    *took = -1;
    do { /* a look (a jack_lsp) takes tens of ms: the clock, not a count, ends the wait */
        if (gbac_connected(0)) {
            *took = gbt_mono_s() - t0;
            return 0;
        }
        gbt_sleep_ms(10);
    } while (gbt_mono_s() - t0 < ms / 1000.0);
    printf("gbac's connections on the slave after %d ms:\n", ms);
    gbac_connected(1);
    return -1;
}

static void plays_from_the_master(void **state)
{
    (void)state;
    double took;
    assert_int_equal(wait_gbac_connected(5000, &took), 0);
    assert_non_null(gbt_osc_status(&osc, 1000));
    const int own = (int)gbt_osc_num(&osc, "latency_frames");
    jack_latency_range_t to = {0, 0}, from = {0, 0};
    jack_port_get_latency_range(jack_port_by_name(io.snd, SLAVE ":midi_to_slave_1"),
                                JackPlaybackLatency, &to);
    jack_port_get_latency_range(jack_port_by_name(io.snd, SLAVE ":from_slave_1"),
                                JackCaptureLatency, &from);
    const note_result_t n = play_a4();
    printf("netjack2 (%d frames, -l 2): A4 sent into the master came back after %lld frames: "
           "gbac's own latency %d, netjack2 added %lld frames (%.2f ms); the master's ports "
           "report %u (to the slave) + %u (back); pitch %.3f Hz, level %.1f dB (A4s played: %d)\n",
           PERIOD,
           (long long)n.lag, own, (long long)(n.lag - own), (n.lag - own) * 1e3 / SR, to.max,
           from.max, n.hz, n.db, n.notes);
    assert_true(n.lag >= 0);
    assert_float_equal(n.hz, 440.0, 1.0);
    assert_int_equal(n.lag - own, (int64_t)to.max + (int64_t)from.max);
}

/* The master's side of the slave is back with the test's connections (netmanager's -s
 * restores them; the test makes them itself if not). */
static int master_side_back(int ms)
{
    if (gbt_wait_port(srv_m, SLAVE ":from_slave_1", ms) != 0)
        return -1;
    const char **c = jack_port_get_all_connections(io.rec, io.in);
    const int have = c != NULL;
    jack_free(c);
    if (!have && (jack_connect(io.snd, "snd:out", SLAVE ":midi_to_slave_1") ||
                  jack_connect(io.rec, SLAVE ":from_slave_1", "rec:in")))
        return -1;
    return 0;
}

/* A4 every 100 ms (on for 50 ms) from frame `from` for `n` notes. */
static void note_train(uint64_t from, int n)
{
    for (int k = 0; k < n; k++) {
        gbt_sched_add(&io.sched, from + 4800u * (unsigned)k, 0x90, 69, 100);
        gbt_sched_add(&io.sched, from + 4800u * (unsigned)k + 2400u, 0x80, 69, 0);
    }
}

/* Cut the veth for 5 s with A4s going to the slave every 100 ms, restore it. Returns the
 * master's frame when the link came back; *said gets how long gbac took to say it lost its
 * ports, *back how long after restoring it saw them again. */
static uint64_t cut_for_5s(double *said, double *back)
{
    const int gone0 = log_count("physical ports went away");
    const int back0 = log_count("physical ports are back");
    note_train(jack_frame_time(io.rec) + 4800, 120); /* 12 s of notes */
    assert_int_equal(gbt_ns_link(ns_s, "gbns", 0), 0);
    const double t_cut = gbt_mono_s();
    assert_int_equal(wait_log("physical ports went away", gone0 + 1, 5000), 0);
    *said = gbt_mono_s() - t_cut;
    assert_non_null(gbt_osc_status(&osc, 1000)); /* it plays on, alone */
    while (gbt_mono_s() - t_cut < 5.0)
        gbt_sleep_ms(10);
    assert_non_null(gbt_osc_status(&osc, 1000));
    assert_int_equal((int)gbt_osc_num(&osc, "jack_physical_ports"), 0);
    assert_int_equal(gbt_ns_link(ns_s, "gbns", 1), 0);
    const uint64_t up = jack_frame_time(io.rec);
    const double t_up = gbt_mono_s();
    *back = -1;
    while (*back < 0 && gbt_mono_s() - t_up < 20.0)
        if (gbt_osc_status(&osc, 200) && gbt_osc_num(&osc, "jack_physical_ports") > 0)
            *back = gbt_mono_s() - t_up;
    assert_true(*back >= 0);
    assert_int_equal(wait_log("physical ports are back", back0 + 1, 2000), 0);
    return up;
}

static void survives_the_link_cut(void **state)
{
    (void)state;
    gbt_osc_t set;
    assert_int_equal(gbt_osc_open(&set, ns_s, 9110), 0);
    lo_send_from(set.to, set.srv, LO_TT_IMMEDIATE, "/gbac/param/synth/gain_db", "f", -9.0f);
    gbt_osc_close(&set);
    const note_result_t before = play_a4();
    assert_true(before.lag >= 0);
    double said, back, conn;
    const uint64_t up = cut_for_5s(&said, &back);
    assert_int_equal(wait_gbac_connected(5000, &conn), 0); /* counted from "back" */
    assert_int_equal(master_side_back(20000), 0);
    const int64_t a = (int64_t)(up - io.r->start);
    for (int t = 0; t < 10000 && (int64_t)gbt_rec_frames(io.r) < a + 4 * 48000; t += 10)
        gbt_sleep_ms(10);
    const int64_t heard = gbt_rec_first_sound(io.r, a, (int64_t)gbt_rec_frames(io.r));
    assert_int_equal(gbt_sched_flush(&io.sched, 10000), 0); /* the train is over */
    const note_result_t after = play_a4();
    printf("Link cut for 5 s: gbac said its ports went away after %.0f ms; restored: gbac saw "
           "them back after %.0f ms and had its connections %.0f ms later, and the master "
           "heard gbac's A4s again %.0f ms after the link came back; then an A4: lag %lld "
           "frames, %.3f Hz, %.1f dB (before the cut %lld frames, %.1f dB; A4s played %d, "
           "%d)\n", said * 1e3, back * 1e3, conn * 1e3,
           heard >= 0 ? (heard - a) * 1e3 / SR : -1.0, (long long)after.lag, after.hz, after.db,
           (long long)before.lag, before.db, before.notes, after.notes);
    assert_true(heard >= a);
    assert_int_equal(after.lag, before.lag);
    assert_float_equal(after.hz, 440.0, 1.0);
    assert_float_equal(after.db, before.db, 0.5); /* the gain set before the cut holds */
    assert_int_equal(kill(gbac_pid, 0), 0);      /* the same process */
}

static void master_disappears(void **state)
{
    (void)state;
    const int gone0 = log_count("physical ports went away");
    kill(master_pid, SIGTERM); /* it stops its engine at once; waited for in cleanup */
    assert_int_equal(wait_log("physical ports went away", gone0 + 1, 10000), 0);
    assert_non_null(gbt_osc_status(&osc, 1000));
    assert_true(gbt_osc_num(&osc, "connected") == 1);
    const int st = gbt_stop(&gbac_pid, SIGTERM);
    printf("Master gone: gbac said so, answered OSC, exit status %d on SIGTERM\n",
           WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void)
{
    if (!gbt_ns_available()) {
        printf("skipped: network namespaces need root and iproute2\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plays_from_the_master),
        cmocka_unit_test(survives_the_link_cut),
        cmocka_unit_test(master_disappears),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
