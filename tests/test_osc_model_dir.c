/* test_osc_model_dir.c — a model shipped with gbac loads over OSC (/gbac/timbre/model) from
 * the data folder gbac finds by itself, while names that leave the models folder are
 * refused. One run of `gbac live --preset timbre-vae` on a real, named jackd (dummy backend)
 * with no GBAC_DATA_DIR, so the binary's own share/gbac is used:
 *   test_osc_model_dir                          the build tree's gbac (GBAC_BIN): its
 *                                               share/gbac/models links into the source tree
 *   test_osc_model_dir --gbac BIN --prefix P    an installed gbac (tests/install_check.sh);
 *                                               a link in P/share/gbac/models to a copy of
 *                                               the model outside P is refused as well
 * Checked: "timbre-vae" and "timbre-vae.safetensors" are loaded (the reply names them);
 * "../presets/default", "/etc/passwd" and "no-such-model" get /gbac/error with the reason.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <lo/lo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gb_jack_util.h"
#include "gb_osc_reply.h"
#include "gb_tmpdir.h"

static const char *g_gbac, *g_prefix;
static char server[64], tmpdir[256], osc_port_s[16];
static pid_t jackd_pid = -1, gbac_pid = -1;
static lo_server srv;
static lo_address to;

/* Send /gbac/timbre/model NAME and wait up to 10 s for its reply or error: 0 with the reply's
 * path in reply_path, -1 when none came. */
static int ask_model(const char *name)
{
    reply_path[0] = '\0';
    lo_send_from(to, srv, LO_TT_IMMEDIATE, "/gbac/timbre/model", "s", name);
    for (int i = 0; i < 200 && !reply_path[0]; i++)
        lo_server_recv_noblock(srv, 50);
    printf("  %-28s → %s %s\n", name, reply_path, reply_text);
    return reply_path[0] ? 0 : -1;
}

static int teardown(void **state);

/* setup_run: jackd and gbac up, answering a ping; what it started stays in the globals. */
static int setup_run(void)
{
    snprintf(server, sizeof server, "gbt_oscmodel_%d", (int)getpid());
    if (gbt_tmpdir(tmpdir, sizeof tmpdir, "oscmodel") != 0)
        return -1;
    char log[512];
    snprintf(log, sizeof log, "%s/jackd.log", tmpdir);
    setenv("JACK_NO_START_SERVER", "1", 1);
    if (gbt_start_jackd(server, 256, log, &jackd_pid) != 0)
        return -1;
    snprintf(log, sizeof log, "%s/gbac.log", tmpdir);
    snprintf(osc_port_s, sizeof osc_port_s, "%d", 20000 + (int)((getpid() + 4241) % 20000));
    char *argv[] = {(char *)g_gbac, "live", "--server", server, "--preset", "timbre-vae",
                    "--no-ui", "--osc-port", osc_port_s, NULL};
    unsetenv("GBAC_DATA_DIR"); /* the data folder the binary finds beside itself */
    gbac_pid = gbt_spawn(argv, log);
    srv = lo_server_new(NULL, NULL);
    lo_server_add_method(srv, NULL, NULL, gbt_osc_on_reply, NULL);
    to = lo_address_new("127.0.0.1", osc_port_s);
    if (gbac_pid <= 0 || !srv || !to)
        return -1;
    for (int i = 0; i < 200; i++) { /* up when it answers a ping */
        reply_path[0] = '\0';
        lo_send_from(to, srv, LO_TT_IMMEDIATE, "/gbac/ping", "");
        lo_server_recv_noblock(srv, 100);
        if (!strcmp(reply_path, "/gbac/pong"))
            return 0;
    }
    fprintf(stderr, "gbac live did not answer a ping (log: %s)\n", log);
    return -1;
}

/* cmocka runs no teardown after a failed setup: stop what setup_run started (jackd, gbac) by
 * their PIDs here, so a failed start leaves no server behind. */
static int setup(void **state)
{
    if (setup_run() == 0)
        return 0;
    teardown(state);
    return -1;
}

static int teardown(void **state)
{
    (void)state;
    if (gbac_pid > 0)
        gbt_stop(&gbac_pid, SIGTERM);
    if (jackd_pid > 0)
        gbt_stop(&jackd_pid, SIGTERM);
    if (to)
        lo_address_free(to);
    if (srv)
        lo_server_free(srv);
    to = NULL;
    srv = NULL;
    return tmpdir[0] ? gbt_rm_rf(tmpdir) : 0;
}

static void expect_refused(const char *name, const char *why)
{
    assert_int_equal(ask_model(name), 0);
    assert_string_equal(reply_path, "/gbac/error");
    assert_non_null(strstr(reply_text, "refused"));
    assert_non_null(strstr(reply_text, why));
}

static void shipped_model_loads_and_outside_is_refused(void **state)
{
    (void)state;
    static const char *const ok[] = {"timbre-vae", "timbre-vae.safetensors"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(ask_model(ok[i]), 0);
        assert_string_equal(reply_path, "/gbac/timbre/model");
        assert_string_equal(reply_text, ok[i]);
    }
    expect_refused("../presets/default", "contains '..'");
    expect_refused("/etc/passwd", "absolute path");
    expect_refused("no-such-model", "not found");
    if (!g_prefix)
        return;
    /* Installed: a link in the models folder to a model outside the prefix. */
    char models[600], outside[600], link[700], cmd[2000];
    snprintf(models, sizeof models, "%s/share/gbac/models", g_prefix);
    snprintf(outside, sizeof outside, "%s/outside.safetensors", tmpdir);
    snprintf(link, sizeof link, "%s/outside.safetensors", models);
    snprintf(cmd, sizeof cmd, "cp '%s/timbre-vae.safetensors' '%s'", models, outside);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(symlink(outside, link), 0);
    expect_refused("outside", "resolves outside");
    unlink(link);
    assert_int_equal(ask_model("timbre-vae"), 0); /* and it still plays on */
    assert_string_equal(reply_path, "/gbac/timbre/model");
}

int main(int argc, char **argv)
{
    g_gbac = getenv("GBAC_BIN");
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--gbac"))
            g_gbac = argv[i + 1];
        else if (!strcmp(argv[i], "--prefix"))
            g_prefix = argv[i + 1];
    }
    if (!g_gbac) {
        fprintf(stderr, "usage: test_osc_model_dir [--gbac BIN] [--prefix P] (or GBAC_BIN)\n");
        return 2;
    }
    const struct CMUnitTest tests[] = {cmocka_unit_test_setup_teardown(
        shipped_model_loads_and_outside_is_refused, setup, teardown)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
