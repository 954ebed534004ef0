/* test_status.c — the live status view (src/live/gb_status.c): log lines (at most one per 2 s,
 * with the numbers fed in, never reading stdin), the fallback to log mode without a
 * terminal, and the ncurses screen driven through a pseudo-terminal: the view draws meters
 * and every counter of the list (GB_LIVE_COUNTERS, nonfinite_blocks too) by its name and
 * value, and keys come back as actions (down arrow + 'l' → LEARN of the second
 * parameter, 'q' → QUIT).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "gb_live_stats.h"
#include "gb_status.h"
#include "gb_unit_registry.h"

/* Everything written to f so far. */
static char *slurp(FILE *f)
{
    static char buf[8192];
    fflush(f);
    long end = ftell(f);
    rewind(f);
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    buf[got] = 0;
    fseek(f, end, SEEK_SET);
    return buf;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static gb_live_fb_t meter(float l, float r, float dsp, int voices, float tempo)
{
    gb_live_fb_t fb;
    memset(&fb, 0, sizeof fb);
    fb.kind = GB_FB_METER;
    fb.peak_l = l;
    fb.peak_r = r;
    fb.dsp_load = dsp;
    fb.voices = voices;
    fb.tempo_bpm = tempo;
    return fb;
}

/* Log mode: the clock starts at the first tick, a line comes every 2 s and not sooner,
 * peaks are the largest since the previous line in dBFS (0.25 → -12.0, 0.5 → -6.0), rates
 * are counts per second over the interval, and stdin is never read. */
static void log_lines_every_two_seconds(void **state)
{
    (void)state;
    /* stdin: a pipe holding one 'q', which must still be there at the end. */
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    assert_int_equal(write(pfd[1], "q", 1), 1);
    int saved_stdin = dup(0);
    dup2(pfd[0], 0);

    FILE *f = tmpfile();
    gb_error_t err = {0};
    gb_status_t *st = gb_status_new(0, f, &err);
    assert_non_null(st);
    assert_false(gb_status_is_ui(st));
    gb_live_stats_t stats = {0};
    atomic_store(&stats.xruns, 2);
    atomic_store(&stats.midi_events, 120);
    atomic_store(&stats.osc_messages, 3);
    gb_status_set_counters(st, &stats);

    gb_status_action_t act;
    assert_int_equal(gb_status_tick_at(st, 100.0, &act), 0);
    assert_int_equal(act.kind, GB_STATUS_NONE);
    gb_live_fb_t fb = meter(0.1f, 0.5f, 2.0f, 3, 110.0f);
    gb_status_feedback(st, &fb);
    fb = meter(0.25f, 0.125f, 3.14f, 4, 120.0f);
    gb_status_feedback(st, &fb);
    assert_int_equal(gb_status_tick_at(st, 101.0, &act), 0);
    assert_int_equal(gb_status_tick_at(st, 101.99, &act), 0);
    assert_string_equal(slurp(f), "");

    atomic_store(&stats.midi_events, 140);
    gb_status_set_counters(st, &stats);
    gb_status_tick_at(st, 102.0, &act);
    assert_string_equal(slurp(f), "gbac: out -12.0/-6.0 dBFS, dsp 3.1%, voices 4, tempo 120.0, "
                                  "xruns 2, midi_events 140 (+10/s), osc_messages 3 (+0/s)\n");

    /* Nothing before another 2 s; then silence prints -inf, and drops and generated notes
     * appear once non-zero. */
    gb_status_tick_at(st, 102.5, &act);
    gb_status_tick_at(st, 103.9, &act);
    assert_int_equal(count_lines(slurp(f)), 1);
    atomic_store(&stats.midi_dropped, 5);
    atomic_store(&stats.osc_messages, 11);
    gb_status_set_counters(st, &stats);
    gb_live_fb_t note;
    memset(&note, 0, sizeof note);
    note.kind = GB_FB_NOTE;
    note.ev.type = GBP_EV_NOTE_ON;
    gb_status_feedback(st, &note);
    gb_status_feedback(st, &note);
    note.ev.type = GBP_EV_NOTE_OFF;
    gb_status_feedback(st, &note);
    gb_status_tick_at(st, 104.0, &act);
    const char *all = slurp(f);
    assert_int_equal(count_lines(all), 2);
    assert_non_null(strstr(all, "\ngbac: out -inf/-inf dBFS, dsp 3.1%, voices 4, tempo 120.0, "
                                "xruns 2, midi_events 140 (+0/s), osc_messages 11 (+4/s), ai notes 2, "
                                "midi_dropped 5\n"));

    /* Every other counter by its one name (as in /gbac/status and --stats-json). */
    atomic_store(&stats.fb_dropped, 3);
    atomic_store(&stats.subscribers, 2);
    atomic_store(&stats.osc_refused, 1);
    gb_status_set_counters(st, &stats);
    gb_status_tick_at(st, 106.0, &act);
    assert_non_null(strstr(slurp(f), ", midi_dropped 5, osc_refused 1, fb_dropped 3, "
                                     "subscribers 2\n"));

    /* A note goes out at once as its own line. */
    gb_status_note(st, "learned %s", "synth/cutoff");
    assert_non_null(strstr(slurp(f), "\ngbac: learned synth/cutoff\n"));
    gb_status_free(st);
    fclose(f);

    char c = 0;
    assert_int_equal(read(0, &c, 1), 1);
    assert_int_equal(c, 'q');
    dup2(saved_stdin, 0);
    close(saved_stdin);
    close(pfd[0]);
    close(pfd[1]);
}

/* Asked for the screen without a usable terminal, the view says so in one line and logs. */
/* --stats-json: every counter of the list by name, and fb_dropped's old name kept. */
static void stats_json_has_every_counter(void **state)
{
    (void)state;
    gb_live_stats_t stats = {0};
    for (int i = 0; i < GB_LIVE_N_COUNTERS; i++)
        atomic_store((atomic_uint_fast64_t *)&stats + i, (uint64_t)(100 + i));
    char path[] = "/tmp/gbac-stats-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    gb_error_t err = {0};
    assert_int_equal(gb_live_stats_write(&stats, path, &err), 0);
    json_t *root = json_load_file(path, 0, NULL);
    assert_non_null(root);
    for (int i = 0; i < GB_LIVE_N_COUNTERS; i++) {
        assert_int_equal(gb_live_counter_get(&stats, i), 100 + i);
        assert_int_equal(json_integer_value(json_object_get(root, gb_live_counter_name(i))),
                         100 + i);
    }
    assert_int_equal(json_integer_value(json_object_get(root, "fb_dropped")),
                     100 + GB_LC_fb_dropped);
    assert_null(json_object_get(root, "feedback_dropped")); /* one name per counter */
    assert_int_equal((int)json_object_size(root), GB_LIVE_N_COUNTERS);
    json_decref(root);
    unlink(path);
    assert_int_equal(gb_live_stats_write(&stats, "/nonexistent-gbac/stats.json", &err), GB_EIO);
    assert_non_null(strstr(err.msg, "--stats-json /nonexistent-gbac/stats.json: cannot write"));
}

static void falls_back_to_log_without_a_terminal(void **state)
{
    (void)state;
    char *term = getenv("TERM") ? strdup(getenv("TERM")) : NULL;
    unsetenv("TERM");
    FILE *f = tmpfile();
    gb_error_t err = {0};
    gb_status_t *st = gb_status_new(1, f, &err);
    assert_non_null(st);
    assert_false(gb_status_is_ui(st));
    const char *out = slurp(f);
    assert_int_equal(count_lines(out), 1);
    assert_non_null(strstr(out, "gbac: no status screen ("));
    gb_status_emergency_restore(); /* nothing to restore: harmless */
    gb_status_free(st);
    fclose(f);
    if (term) {
        setenv("TERM", term, 1);
        free(term);
    }
}

/* ---- the screen, through a pseudo-terminal ------------------------------------------------ */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The value the screen test gives counter i. */
static uint64_t counter_value(int i)
{
    return 40u + 3u * (uint64_t)i;
}

/* The child: a real engine's parameters, some feedback, ticks at 30 Hz; actions are
 * reported on fd `rep` as text lines. Exit 0 after QUIT, 3 on timeout. */
static int child_main(int rep)
{
    setenv("TERM", "xterm", 1);
    gb_preset_t *p = calloc(1, sizeof *p);
    snprintf(p->name, sizeof p->name, "test");
    p->tempo_bpm = 120.0;
    p->beats_per_bar = 4;
    p->beat_unit = 4;
    p->polyphony = 4;
    p->instrument.desc = &gb_unit_harmsynth;
    snprintf(p->instrument.slot, sizeof p->instrument.slot, "synth");
    gb_engine_config_t cfg = gb_engine_config_default();
    gb_error_t err = {0};
    gb_engine_t *e = gb_engine_new(p, &cfg, &err);
    if (!e || gb_engine_param_count(e) < 2)
        return 4;
    gb_status_t *st = gb_status_new(1, stderr, &err);
    if (!st || !gb_status_is_ui(st))
        return 5;
    gb_status_set_info(st, "gbtest", "test", 48000.0, 64, 128);
    gb_status_set_params(st, e);
    gb_live_stats_t stats = {0};
    /* every counter of the one list, each its own value (two digits, never three alike) */
#define GBT_SET_COUNTER(name, doc) atomic_store(&stats.name, counter_value(GB_LC_##name));
    GB_LIVE_COUNTERS(GBT_SET_COUNTER)
#undef GBT_SET_COUNTER
    gb_status_set_counters(st, &stats);
    gb_live_fb_t fb = meter(0.5f, 0.25f, 3.0f, 2, 120.0f);
    gb_status_feedback(st, &fb);
    char line[64];
    int n = snprintf(line, sizeof line, "EXPECT %d\n", (int)gb_engine_param_handle(e, 1));
    if (write(rep, line, (size_t)n) != n)
        return 6;
    int rc = 3;
    double t_end = now_s() + 20.0;
    while (now_s() < t_end) {
        gb_status_action_t act;
        if (gb_status_tick(st, &act)) {
            if (act.kind == GB_STATUS_LEARN)
                n = snprintf(line, sizeof line, "LEARN %d\n", (int)act.handle);
            else if (act.kind == GB_STATUS_QUIT)
                n = snprintf(line, sizeof line, "QUIT\n");
            else
                n = snprintf(line, sizeof line, "OTHER %d\n", act.kind);
            if (write(rep, line, (size_t)n) != n)
                return 6;
            if (act.kind == GB_STATUS_QUIT) {
                rc = 0;
                break;
            }
        }
        struct timespec ts = {0, 33 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    gb_status_free(st);
    gb_engine_free(e);
    free(p);
    return rc;
}

typedef struct pty_run {
    int master, rep;
    char screen[1 << 16];
    size_t n_screen;
    char reports[512];
    size_t n_reports;
} pty_run_t;

/* Drain the pty and the report pipe until `want` appears in the screen (to_screen) or the
 * reports, or timeout. Returns 1 when found. */
static int wait_for(pty_run_t *r, const char *want, int to_screen, double timeout)
{
    double t_end = now_s() + timeout;
    for (;;) {
        if (to_screen ? memmem(r->screen, r->n_screen, want, strlen(want)) != NULL
                      : strstr(r->reports, want) != NULL)
            return 1;
        double left = t_end - now_s();
        if (left <= 0)
            return 0;
        struct pollfd pf[2] = {{r->master, POLLIN, 0}, {r->rep, POLLIN, 0}};
        if (poll(pf, 2, (int)(left * 1000) + 1) <= 0)
            continue;
        char buf[4096];
        if (pf[0].revents & (POLLIN | POLLHUP)) {
            ssize_t k = read(r->master, buf, sizeof buf);
            if (k > 0 && r->n_screen + (size_t)k < sizeof r->screen) {
                memcpy(r->screen + r->n_screen, buf, (size_t)k);
                r->n_screen += (size_t)k;
            }
        }
        if (pf[1].revents & (POLLIN | POLLHUP)) {
            ssize_t k = read(r->rep, buf, sizeof buf);
            if (k > 0 && r->n_reports + (size_t)k < sizeof r->reports - 1) {
                memcpy(r->reports + r->n_reports, buf, (size_t)k);
                r->n_reports += (size_t)k;
                r->reports[r->n_reports] = 0;
            }
        }
    }
}

static void screen_keys_become_actions(void **state)
{
    (void)state;
    static pty_run_t r;
    memset(&r, 0, sizeof r);
    int rep[2];
    assert_int_equal(pipe(rep), 0);
    struct winsize ws = {24, 80, 0, 0};
    pid_t pid = forkpty(&r.master, NULL, NULL, &ws);
    assert_true(pid >= 0);
    if (pid == 0) {
        close(rep[0]);
        _exit(child_main(rep[1]));
    }
    close(rep[1]);
    r.rep = rep[0];

    assert_true(wait_for(&r, "EXPECT ", 0, 10.0));
    assert_true(wait_for(&r, "xruns", 1, 10.0));
    assert_true(wait_for(&r, "dBFS", 1, 5.0));
    assert_non_null(memmem(r.screen, r.n_screen, "-6.0 dBFS", 9)); /* peak 0.5 */
    /* Every counter of the list by its name and value, nonfinite_blocks among them. */
    for (int i = 0; i < GB_LIVE_N_COUNTERS; i++) {
        char item[96];
        snprintf(item, sizeof item, "%s %llu", gb_live_counter_name(i),
                 (unsigned long long)counter_value(i));
        if (!memmem(r.screen, r.n_screen, item, strlen(item)))
            fail_msg("the screen does not show '%s'", item);
    }
    assert_non_null(memmem(r.screen, r.n_screen, "nonfinite_blocks ", 17));
    int expect = -1;
    assert_int_equal(sscanf(strstr(r.reports, "EXPECT "), "EXPECT %d", &expect), 1);

    /* Down arrow as xterm sends it in keypad mode, then 'l'. */
    assert_int_equal(write(r.master, "\033OB", 3), 3);
    assert_int_equal(write(r.master, "l", 1), 1);
    assert_true(wait_for(&r, "LEARN ", 0, 10.0));
    int learned = -2;
    assert_int_equal(sscanf(strstr(r.reports, "LEARN "), "LEARN %d", &learned), 1);
    assert_int_equal(learned, expect);
    assert_true(wait_for(&r, "learning synth/", 1, 5.0)); /* the note on the screen */

    assert_int_equal(write(r.master, "q", 1), 1);
    assert_true(wait_for(&r, "QUIT\n", 0, 10.0));
    assert_null(strstr(r.reports, "OTHER"));

    int status = 0;
    for (int i = 0; i < 500 && waitpid(pid, &status, WNOHANG) == 0; i++) {
        wait_for(&r, "\001never\001", 1, 0.01); /* keep draining */
    }
    if (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fail_msg("the child did not exit after QUIT");
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* endwin ran: xterm's rmcup (leave the alternate screen) was sent at the end. */
    assert_non_null(memmem(r.screen, r.n_screen, "\033[?1049l", 8));
    close(r.master);
    close(r.rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(log_lines_every_two_seconds),
        cmocka_unit_test(stats_json_has_every_counter),
        cmocka_unit_test(falls_back_to_log_without_a_terminal),
        cmocka_unit_test(screen_keys_become_actions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
