/* test_live_load.c — each unit's cost in view (named "load": .ci/run keeps tests named
 * "cost" out of the sanitizer passes, and this one should run under RTSan). `gbac live` on
 * a real, named jackd (dummy backend, -S) reports process_max_pct, process_p99_pct,
 * cost_periods and units (name, mean_pct, max_pct) in /gbac/status and --stats-json; the
 * names follow a preset swap; a unit made expensive (the harmonic synth with 16 held notes
 * against the same synth idle) takes a larger share. Only ratios of gbac's own figures are
 * asserted (each against the reverb in the same run), never wall-clock bounds, so a loaded
 * machine passes the same.
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
#include "gb_tmpdir.h"

static char server[64], tmpdir[256], stats_path[512], osc_port_s[16];
static pid_t jackd_pid = -1, gbac_pid = -1;
static lo_server srv;
static lo_address to;
static char reply_path[64];
static json_t *reply_status;

static int on_any(const char *path, const char *types, lo_arg **argv, int argc,
                  lo_message msg, void *user)
{
    (void)msg;
    (void)user;
    snprintf(reply_path, sizeof reply_path, "%s", path);
    if (!strcmp(path, "/gbac/status") && argc >= 1 && types[0] == 's') {
        json_decref(reply_status);
        reply_status = json_loads(&argv[0]->s, 0, NULL);
    }
    return 0;
}

/* /gbac/status now, parsed (NULL when no answer within 2 s). */
static json_t *status(void)
{
    json_decref(reply_status);
    reply_status = NULL;
    lo_send_from(to, srv, LO_TT_IMMEDIATE, "/gbac/status", "");
    for (int i = 0; i < 40 && !reply_status; i++)
        lo_server_recv_noblock(srv, 50);
    json_t *s = reply_status;
    reply_status = NULL;
    return s;
}

/* Wait (up to 30 s) until the units' figures cover at least `periods` periods of the rack
 * whose first unit is `first`; returns the status then, or NULL. */
static json_t *wait_cost(const char *first, long periods)
{
    for (int i = 0; i < 300; i++) {
        json_t *s = status();
        json_t *u0 = s ? json_array_get(json_object_get(s, "units"), 0) : NULL;
        if (u0 && !strcmp(json_string_value(json_object_get(u0, "name")), first) &&
            json_integer_value(json_object_get(s, "cost_periods")) >= periods)
            return s;
        json_decref(s);
        gbt_sleep_ms(100);
    }
    return NULL;
}

static double unit_pct(const json_t *s, const char *name, const char *key)
{
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(s, "units"), i, u)
        if (!strcmp(json_string_value(json_object_get(u, "name")), name))
            return json_real_value(json_object_get(u, key));
    return -1.0;
}

static int load_preset(const char *name)
{
    reply_path[0] = '\0';
    lo_send_from(to, srv, LO_TT_IMMEDIATE, "/gbac/preset/load", "s", name);
    for (int i = 0; i < 100 && strcmp(reply_path, "/gbac/preset/loaded"); i++)
        lo_server_recv_noblock(srv, 100);
    return strcmp(reply_path, "/gbac/preset/loaded") ? -1 : 0;
}

static int setup(void **state)
{
    (void)state;
    snprintf(server, sizeof server, "gbt_cost_%d", (int)getpid());
    if (gbt_tmpdir(tmpdir, sizeof tmpdir, "cost") != 0)
        return -1;
    char log[512], presets[512];
    snprintf(log, sizeof log, "%s/jackd.log", tmpdir);
    if (gbt_start_jackd(server, 256, log, &jackd_pid) != 0)
        return -1;
    snprintf(stats_path, sizeof stats_path, "%s/stats.json", tmpdir);
    snprintf(presets, sizeof presets, "%s/presets", getenv("GBAC_SOURCE_DIR"));
    snprintf(log, sizeof log, "%s/gbac.log", tmpdir);
    int port = 20000 + (int)(getpid() % 20000);
    snprintf(osc_port_s, sizeof osc_port_s, "%d", port);
    char preset[600];
    snprintf(preset, sizeof preset, "%s/default.json", presets);
    char *argv[] = {getenv("GBAC_BIN"), "live", "--server", server, "--preset", preset,
                    "--preset-dir", presets, "--no-ui", "--osc-port", osc_port_s,
                    "--stats-json", stats_path, NULL};
    gbac_pid = gbt_spawn(argv, log);
    srv = lo_server_new(NULL, NULL);
    lo_server_add_method(srv, NULL, NULL, on_any, NULL);
    to = lo_address_new("127.0.0.1", osc_port_s);
    return gbac_pid > 0 && srv && to ? 0 : -1;
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
    json_decref(reply_status);
    return gbt_rm_rf(tmpdir);
}

/* The keys with sane numbers, and the units named as in the preset. */
static void check_sane(const json_t *s, const char *const *names, int n)
{
    const double pmax = json_real_value(json_object_get(s, "process_max_pct"));
    const double p99 = json_real_value(json_object_get(s, "process_p99_pct"));
    assert_true(json_is_real(json_object_get(s, "process_max_pct")));
    assert_true(pmax > 0.0);
    assert_true(p99 > 0.0);
    assert_true(p99 <= pmax);
    assert_true(json_integer_value(json_object_get(s, "xruns")) >= 0); /* beside them */
    json_t *units = json_object_get(s, "units");
    assert_int_equal(json_array_size(units), n);
    for (int i = 0; i < n; i++) {
        json_t *u = json_array_get(units, (size_t)i);
        assert_string_equal(json_string_value(json_object_get(u, "name")), names[i]);
        const double mean = json_real_value(json_object_get(u, "mean_pct"));
        const double max = json_real_value(json_object_get(u, "max_pct"));
        assert_true(mean > 0.0);
        assert_true(max >= mean);
    }
}

static void test_keys_names_and_a_preset_swap(void **state)
{
    (void)state;
    static const char *const def[] = {"synth", "reverb", "limiter"};
    static const char *const vae[] = {"vae", "reverb", "limiter"};
    json_t *s = wait_cost("synth", 200);
    assert_non_null(s);
    check_sane(s, def, 3);
    json_decref(s);
    assert_int_equal(load_preset("timbre-vae"), 0);
    s = wait_cost("vae", 200);
    assert_non_null(s);
    check_sane(s, vae, 3);
    json_decref(s);
}

/* The synth's share against the reverb's, over `periods` periods of a freshly loaded
 * default preset, with `notes` notes held from its start. */
static double synth_over_reverb(int notes, long periods)
{
    if (load_preset("default") != 0)
        return -1.0;
    for (int k = 0; k < notes; k++)
        lo_send_from(to, srv, LO_TT_IMMEDIATE, "/gbac/note/on", "ii", 48 + k, 100);
    json_t *s = wait_cost("synth", periods);
    if (!s)
        return -1.0;
    const double synth = unit_pct(s, "synth", "mean_pct");
    const double reverb = unit_pct(s, "reverb", "mean_pct");
    printf("  %2d notes: synth %.3f %%, reverb %.3f %% of the period (mean, %lld periods)\n",
           notes, synth, reverb,
           (long long)json_integer_value(json_object_get(s, "cost_periods")));
    json_decref(s);
    for (int k = 0; k < notes; k++)
        lo_send_from(to, srv, LO_TT_IMMEDIATE, "/gbac/note/off", "i", 48 + k);
    return reverb > 0 ? synth / reverb : -1.0;
}

static void test_an_expensive_unit_takes_a_larger_share(void **state)
{
    (void)state;
    const double idle = synth_over_reverb(0, 400);
    const double busy = synth_over_reverb(16, 400);
    assert_true(idle > 0.0);
    printf("  synth/reverb: idle %.3f, 16 notes %.3f (× %.1f)\n", idle, busy, busy / idle);
    assert_true(busy > 4.0 * idle);
}

/* --stats-json at exit holds the same keys. */
static void test_stats_json_has_the_cost(void **state)
{
    (void)state;
    assert_int_equal(gbt_stop(&gbac_pid, SIGTERM), 0);
    json_t *s = json_load_file(stats_path, 0, NULL);
    assert_non_null(s);
    static const char *const def[] = {"synth", "reverb", "limiter"};
    check_sane(s, def, 3);
    json_decref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_names_and_a_preset_swap),
        cmocka_unit_test(test_an_expensive_unit_takes_a_larger_share),
        cmocka_unit_test(test_stats_json_has_the_cost),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
