/* test_live_nonfinite.c — `gbac live` counts the blocks its units mute for NaN/Inf in the
 * counter nonfinite_blocks, in the one list of counters: /gbac/status, the status view's log
 * line (--no-ui) and --stats-json all show it. On a named jackd (dummy backend, 256 frames)
 * with a rack whose effect is the test LV2 plugin tests/lv2_nan (its output turns NaN 1 s
 * after activation): the counter starts at 0, grows once the NaNs come, does not fall when
 * the preset is loaded again (a new engine whose unit counts from 0) and grows again; the
 * log line names it; the stats file written at exit holds at least the last value seen.
 * After the reload the counter holds at least its value before plus the new unit's own
 * count (its read-only parameter nonfinite_blocks over OSC — the same count the engine sums
 * through the unit's extension gbac.nonfinite): nothing is lost at the swap.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <lo/lo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gb_jack_util.h"
#include "gb_osc_reply.h"
#include "gb_tmpdir.h"

static char server[64], tmpdir[256], osc_port_s[16], log_path[512], stats_path[512];
static pid_t jackd_pid = -1, gbac_pid = -1;
static lo_server srv;
static lo_address to;

/* Send path (one string argument, or none) and wait up to tries × 50 ms for a reply at want. */
static int ask_for(const char *path, const char *arg, const char *want, int tries)
{
    reply_path[0] = '\0';
    if (arg)
        lo_send_from(to, srv, LO_TT_IMMEDIATE, path, "s", arg);
    else
        lo_send_from(to, srv, LO_TT_IMMEDIATE, path, "");
    for (int i = 0; i < tries && strcmp(reply_path, want) != 0; i++)
        lo_server_recv_noblock(srv, 50);
    return strcmp(reply_path, want) == 0 ? 0 : -1;
}

/* The same, waiting up to 10 s. */
static int ask(const char *path, const char *arg, const char *want)
{
    return ask_for(path, arg, want, 200);
}

/* nonfinite_blocks from /gbac/status; -1 when there is no answer or no such counter. */
static long long nonfinite_now(void)
{
    if (ask("/gbac/status", NULL, "/gbac/status") != 0)
        return -1;
    json_t *j = json_loads(reply_text, 0, NULL);
    json_t *v = json_object_get(j, "nonfinite_blocks");
    const long long n = json_is_integer(v) ? (long long)json_integer_value(v) : -1;
    json_decref(j);
    return n;
}

/* The rack's own report: the LV2 unit's read-only parameter nonfinite_blocks (-1: none). */
static double unit_now(void)
{
    static const char *p = "/gbac/param/nan/nonfinite_blocks";
    return ask(p, NULL, p) == 0 ? reply_value : -1.0;
}

/* Poll the counter every 100 ms for up to 20 s until it exceeds floor; its value (or the
 * last one read). */
static long long wait_above(long long floor)
{
    long long n = -1;
    for (int i = 0; i < 200 && (n = nonfinite_now()) <= floor; i++)
        gbt_sleep_ms(100);
    return n;
}

static int file_has(const char *path, const char *text)
{
    static char buf[1 << 16];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return strstr(buf, text) != NULL;
}

static int setup(void **state)
{
    (void)state;
    snprintf(server, sizeof server, "gbt_nonfinite_%d", (int)getpid());
    if (gbt_tmpdir(tmpdir, sizeof tmpdir, "nonfinite") != 0)
        return -1;
    char jlog[512], preset[600];
    snprintf(jlog, sizeof jlog, "%s/jackd.log", tmpdir);
    if (gbt_start_jackd(server, 256, jlog, &jackd_pid) != 0)
        return -1;
    snprintf(preset, sizeof preset, "%s/nan.json", tmpdir);
    FILE *f = fopen(preset, "w");
    if (!f)
        return -1;
    fprintf(f, "{\"format\": \"gbac-preset/1\", \"name\": \"nan\", \"rack\": {"
               "\"instrument\": {\"unit\": \"gbac.harmonic-synth\", \"name\": \"synth\"}, "
               "\"effects\": [{\"unit\": \"lv2:urn:gbac:test:nan-after\", \"name\": \"nan\", "
               "\"params\": {\"after\": 48000}}]}}\n");
    fclose(f);
    snprintf(log_path, sizeof log_path, "%s/gbac.log", tmpdir);
    snprintf(stats_path, sizeof stats_path, "%s/stats.json", tmpdir);
    snprintf(osc_port_s, sizeof osc_port_s, "%d", 20000 + (int)((getpid() + 6151) % 20000));
    char *argv[] = {getenv("GBAC_BIN"), "live", "--server", server, "--preset", preset,
                    "--preset-dir", tmpdir, "--no-ui", "--osc-port", osc_port_s,
                    "--stats-json", stats_path, NULL};
    gbac_pid = gbt_spawn(argv, log_path);
    srv = lo_server_new(NULL, NULL);
    lo_server_add_method(srv, NULL, NULL, gbt_osc_on_reply, NULL);
    to = lo_address_new("127.0.0.1", osc_port_s);
    if (gbac_pid <= 0 || !srv || !to)
        return -1;
    for (int i = 0; i < 200; i++) /* up when it answers a ping: 10 s at most */
        if (ask_for("/gbac/ping", NULL, "/gbac/pong", 1) == 0)
            return 0;
    fprintf(stderr, "gbac live did not answer a ping (log: %s)\n", log_path);
    return -1;
}

static int teardown(void **state)
{
    (void)state;
    if (gbac_pid > 0)
        gbt_stop(&gbac_pid, SIGTERM);
    if (jackd_pid > 0)
        gbt_stop(&jackd_pid, SIGTERM);
    lo_address_free(to);
    lo_server_free(srv);
    return gbt_rm_rf(tmpdir);
}

static void muted_blocks_are_counted(void **state)
{
    (void)state;
    const long long n1 = wait_above(0);
    const long long n2 = wait_above(n1);
    printf("  nonfinite_blocks %lld, then %lld\n", n1, n2);
    assert_true(n1 > 0 && n2 > n1);
    assert_int_equal(ask("/gbac/preset/load", "nan", "/gbac/preset/loaded"), 0);
    const long long n3 = nonfinite_now();
    /* The new engine's unit counts from 0; the counter goes on from the old engine's total:
     * read after the unit's own count u, it holds at least n2 + u. */
    double u = -1.0;
    for (int i = 0; i < 200 && (u = unit_now()) < 100.0; i++)
        gbt_sleep_ms(100);
    const long long n4 = nonfinite_now();
    printf("  after the preset is loaded again: %lld; the new unit's own count %.0f, then the "
           "counter %lld (at least %lld)\n", n3, u, n4, n2 + (long long)u);
    assert_true(n3 >= n2 && u >= 100.0);
    assert_true(n4 >= n2 + (long long)u);
    for (int i = 0; i < 100 && !file_has(log_path, "nonfinite_blocks "); i++)
        gbt_sleep_ms(100); /* the log line comes every 2 s */
    assert_true(file_has(log_path, "nonfinite_blocks "));
    int st = gbt_stop(&gbac_pid, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    json_t *j = json_load_file(stats_path, 0, NULL);
    json_t *v = json_object_get(j, "nonfinite_blocks");
    assert_true(json_is_integer(v));
    printf("  --stats-json at exit: nonfinite_blocks %lld\n", (long long)json_integer_value(v));
    assert_true(json_integer_value(v) >= n4);
    json_decref(j);
}

int main(void)
{
    if (!getenv("GBAC_BIN"))
        return 2;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(muted_blocks_are_counted, setup, teardown)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
