/* test_nsm.c — `gbac live` under a session manager (NSM API 1.2), against a small NSM server
 * written here with liblo (Debian 12 packages none) and a real, named jackd (dummy backend):
 * announce, no JACK client before open, open with a client id that becomes the JACK name,
 * is_dirty after an OSC change, save writes the state and is_clean follows, SIGTERM exits 0,
 * a second gbac opened on the same path restores the preset and the latents. Also: a taken
 * OSC port, an open on a path that cannot be made or on a damaged state, save and SIGTERM
 * before open, NSM_URL with no server behind it, a refused announce, malformed NSM_URLs.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <lo/lo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gb_jack_util.h"

#define CLIENT_ID "gbac.nABCD"

static char server[64], tmpdir[256], prefix[512], preset_src[1024];
static pid_t jackd_pid = -1, gbac_pid = -1;

/* ---- the NSM server --------------------------------------------------------------------- */

static struct {
    lo_server srv;
    int port;
    lo_address client;    /* where the announce came from */
    int announces;
    char app[64], caps[128], exe[64];
    int api_major, api_minor, pid;
    int replies;          /* /reply and /error from the client */
    char reply_path[128], reply_msg[1024];
    int reply_code;       /* 0 for /reply, the code of an /error */
    int dirty, clean;     /* is_dirty / is_clean received */
    int messages;
    char message[2048];
    int refuse;           /* answer the next announce with /error ERR_BLACKLISTED */
    int params;           /* /gbac/param/vae/z3, z6 and master/gain_db replies from gbac */
    float z3, z6, gain_db;
    int statuses;         /* /gbac/status replies */
    char status[4096];
} nsm;

/* liblo's arguments are packed OSC data, 4-byte aligned only: copy, never ->i. */
static int32_t arg_i(const lo_arg *a)
{
    int32_t v;
    memcpy(&v, a, sizeof v);
    return v;
}

static int on_announce(const char *path, const char *types, lo_arg **argv, int argc,
                       lo_message msg, void *user)
{
    (void)path;
    (void)types;
    (void)argc;
    (void)user;
    lo_address src = lo_message_get_source(msg);
    if (nsm.client)
        lo_address_free(nsm.client);
    nsm.client = lo_address_new(lo_address_get_hostname(src), lo_address_get_port(src));
    snprintf(nsm.app, sizeof nsm.app, "%s", (const char *)argv[0]);
    snprintf(nsm.caps, sizeof nsm.caps, "%s", (const char *)argv[1]);
    snprintf(nsm.exe, sizeof nsm.exe, "%s", (const char *)argv[2]);
    nsm.api_major = arg_i(argv[3]);
    nsm.api_minor = arg_i(argv[4]);
    nsm.pid = arg_i(argv[5]);
    nsm.announces++;
    if (nsm.refuse)
        lo_send_from(nsm.client, nsm.srv, LO_TT_IMMEDIATE, "/error", "sis",
                     "/nsm/server/announce", -3, "gbac is not welcome here");
    else
        lo_send_from(nsm.client, nsm.srv, LO_TT_IMMEDIATE, "/reply", "ssss",
                     "/nsm/server/announce", "welcome", "test_nsm", ":server_control:");
    return 0;
}

static int on_reply(const char *path, const char *types, lo_arg **argv, int argc,
                    lo_message msg, void *user)
{
    (void)msg;
    (void)user;
    int err = !strcmp(path, "/error");
    if (argc < 2 || types[0] != 's')
        return 0;
    snprintf(nsm.reply_path, sizeof nsm.reply_path, "%s", (const char *)argv[0]);
    nsm.reply_code = err && types[1] == 'i' ? arg_i(argv[1]) : 0;
    int mi = err ? 2 : 1;
    snprintf(nsm.reply_msg, sizeof nsm.reply_msg, "%s",
             argc > mi && types[mi] == 's' ? (const char *)argv[mi] : "");
    nsm.replies++;
    return 0;
}

static int on_dirty(const char *path, const char *types, lo_arg **argv, int argc,
                    lo_message msg, void *user)
{
    (void)types;
    (void)argv;
    (void)argc;
    (void)msg;
    (void)user;
    if (!strcmp(path, "/nsm/client/is_dirty"))
        nsm.dirty++;
    else
        nsm.clean++;
    return 0;
}

static int on_message(const char *path, const char *types, lo_arg **argv, int argc,
                      lo_message msg, void *user)
{
    (void)path;
    (void)types;
    (void)argc;
    (void)msg;
    (void)user;
    snprintf(nsm.message, sizeof nsm.message, "%s", (const char *)argv[1]);
    nsm.messages++;
    return 0;
}

static int on_z(const char *path, const char *types, lo_arg **argv, int argc,
                 lo_message msg, void *user)
{
    (void)types;
    (void)argc;
    (void)msg;
    (void)user;
    float *to = strcmp(path, "/gbac/param/vae/z3") == 0   ? &nsm.z3
                : strcmp(path, "/gbac/param/vae/z6") == 0 ? &nsm.z6
                                                          : &nsm.gain_db;
    memcpy(to, argv[0], sizeof *to);
    nsm.params++;
    return 0;
}

static int on_status(const char *path, const char *types, lo_arg **argv, int argc,
                     lo_message msg, void *user)
{
    (void)path;
    (void)types;
    (void)argc;
    (void)msg;
    (void)user;
    snprintf(nsm.status, sizeof nsm.status, "%s", (const char *)argv[0]);
    nsm.statuses++;
    return 0;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

/* Serve the NSM server until *counter exceeds `before` or ms pass. Returns the ms waited,
 * or -1 on timeout. */
static double wait_for(const int *counter, int before, int ms)
{
    double t0 = now_ms();
    while (*counter <= before) {
        double left = t0 + ms - now_ms();
        if (left <= 0)
            return -1;
        lo_server_recv_noblock(nsm.srv, (int)left + 1);
    }
    return now_ms() - t0;
}

/* Serve for ms without waiting for anything (to see that nothing comes). */
static void serve(int ms)
{
    double t0 = now_ms();
    for (double left = ms; left > 0; left = t0 + ms - now_ms())
        lo_server_recv_noblock(nsm.srv, (int)left + 1);
}

/* ---- gbac -------------------------------------------------------------------------------- */

static pid_t spawn_gbac(const char *url, const char *log)
{
    setenv("NSM_URL", url, 1);
    char *argv[] = {(char *)getenv("GBAC_BIN"), "live", "--no-ui", "--preset", preset_src,
                    NULL};
    pid_t pid = gbt_spawn(argv, log);
    unsetenv("NSM_URL");
    return pid;
}

static void nsm_url(char *out, size_t cap, int port)
{
    snprintf(out, cap, "osc.udp://localhost:%d/", port);
}

static int osc_port_of(const char *message)
{
    const char *p = strstr(message, "OSC on UDP port ");
    return p ? atoi(p + 16) : 0;
}

/* Announce → open → /reply ok; returns gbac's OSC port (from its /nsm/client/message). */
static int announce_and_open(pid_t pid, const char *log, const char *path)
{
    int before = nsm.announces;
    double ms = wait_for(&nsm.announces, before, 10000);
    if (ms < 0)
        fprintf(stderr, "no announce (see %s)\n", log);
    assert_true(ms >= 0);
    assert_string_equal(nsm.app, "gbac");
    assert_string_equal(nsm.exe, "gbac");
    assert_int_equal(nsm.api_major, 1);
    assert_int_equal(nsm.api_minor, 2);
    assert_int_equal(nsm.pid, (int)pid);
    assert_non_null(strstr(nsm.caps, ":dirty:"));
    assert_null(strstr(nsm.caps, ":switch:"));

    /* Announced, not opened: no JACK client under any name yet. */
    serve(500);
    char port[128];
    snprintf(port, sizeof port, "%s:out_L", CLIENT_ID);
    assert_false(gbt_port_exists(server, port));
    assert_false(gbt_port_exists(server, "gbac:out_L"));

    int replies = nsm.replies, messages = nsm.messages, clean = nsm.clean;
    lo_send_from(nsm.client, nsm.srv, LO_TT_IMMEDIATE, "/nsm/client/open", "sss", path,
                 "gbac", CLIENT_ID);
    ms = wait_for(&nsm.replies, replies, 20000);
    if (ms < 0)
        fprintf(stderr, "no reply to open (see %s)\n", log);
    assert_true(ms >= 0);
    printf("open answered in %.0f ms\n", ms);
    assert_string_equal(nsm.reply_path, "/nsm/client/open");
    assert_int_equal(nsm.reply_code, 0);
    assert_string_equal(nsm.reply_msg, "ok");
    assert_int_equal(gbt_wait_port(server, port, 2000), 0);
    /* is_clean right after open, and the message naming the OSC port. */
    assert_true(wait_for(&nsm.clean, clean, 2000) >= 0);
    assert_true(wait_for(&nsm.messages, messages, 2000) >= 0);
    printf("message: %s\n", nsm.message);
    int osc = osc_port_of(nsm.message);
    assert_true(osc > 0);
    return osc;
}

static int exit_status(pid_t *pid, int sig)
{
    int st = gbt_stop(pid, sig);
    return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double json_number_at(const char *file, const char *a, const char *b, const char *c,
                             const char *d)
{
    json_t *root = json_load_file(file, 0, NULL), *v = root;
    const char *keys[4] = {a, b, c, d}; /* a path of up to 4 keys, ending at the first NULL */
    for (int i = 0; i < 4 && keys[i]; i++)
        v = json_object_get(v, keys[i]);
    double x = json_is_number(v) ? json_number_value(v) : -1e9;
    json_decref(root);
    return x;
}

/* ---- the tests ----------------------------------------------------------------------------- */

static void test_round_trip_restores_preset_and_latent(void **state)
{
    (void)state;
    char url[128], log[600];
    nsm_url(url, sizeof url, nsm.port);
    snprintf(log, sizeof log, "%s/gbac1.log", tmpdir);
    gbac_pid = spawn_gbac(url, log);
    int osc = announce_and_open(gbac_pid, log, prefix);

    /* Latents over gbac's own OSC port (a parameter, the latent path) make the session
     * dirty, once. */
    char ps[16];
    snprintf(ps, sizeof ps, "%d", osc);
    lo_address g = lo_address_new("127.0.0.1", ps);
    int dirty = nsm.dirty, clean = nsm.clean;
    lo_send_from(g, nsm.srv, LO_TT_IMMEDIATE, "/gbac/param/vae/z3", "f", 0.75f);
    lo_send_from(g, nsm.srv, LO_TT_IMMEDIATE, "/gbac/timbre/z", "if", 6, -1.25f);
    lo_send_from(g, nsm.srv, LO_TT_IMMEDIATE, "/gbac/param/master/gain_db", "f", -9.5f);
    double ms = wait_for(&nsm.dirty, dirty, 2000);
    assert_true(ms >= 0);
    printf("is_dirty %.0f ms after the OSC change\n", ms);
    serve(200);
    assert_int_equal(nsm.dirty, dirty + 1); /* once, not every idle turn */
    assert_int_equal(nsm.clean, clean);

    /* Save: the state file, /reply ok, is_clean. */
    char preset_file[700], state_file[700];
    snprintf(preset_file, sizeof preset_file, "%s/preset.json", prefix);
    snprintf(state_file, sizeof state_file, "%s/nsm.json", prefix);
    assert_int_equal(access(preset_file, F_OK), -1);
    int replies = nsm.replies;
    lo_send_from(nsm.client, nsm.srv, LO_TT_IMMEDIATE, "/nsm/client/save", "");
    ms = wait_for(&nsm.replies, replies, 5000);
    assert_true(ms >= 0);
    printf("save answered in %.0f ms\n", ms);
    assert_string_equal(nsm.reply_path, "/nsm/client/save");
    assert_int_equal(nsm.reply_code, 0);
    assert_string_equal(nsm.reply_msg, "ok");
    assert_int_equal(access(preset_file, F_OK), 0);
    assert_true(json_number_at(preset_file, "rack", "instrument", "params", "z3") == 0.75);
    assert_true(json_number_at(preset_file, "rack", "instrument", "params", "z6") == -1.25);
    assert_true(json_number_at(preset_file, "master", "params", "gain_db", NULL) == -9.5);
    json_t *st = json_load_file(state_file, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(st, "osc_port")), osc);
    json_decref(st);
    assert_true(wait_for(&nsm.clean, clean, 2000) >= 0);
    assert_int_equal(nsm.dirty, dirty + 1);

    /* The session manager closes: SIGTERM, exit status 0, the JACK client gone. */
    assert_int_equal(exit_status(&gbac_pid, SIGTERM), 0);
    char port[128];
    snprintf(port, sizeof port, "%s:out_L", CLIENT_ID);
    assert_false(gbt_port_exists(server, port));

    /* Reopen the same path: the preset, the latent and the OSC port come back. */
    snprintf(log, sizeof log, "%s/gbac2.log", tmpdir);
    gbac_pid = spawn_gbac(url, log);
    int osc2 = announce_and_open(gbac_pid, log, prefix);
    assert_int_equal(osc2, osc);
    char expect[800];
    snprintf(expect, sizeof expect, "restored preset 'timbre-vae' from %s", preset_file);
    assert_non_null(strstr(nsm.message, expect));
    int params = nsm.params;
    lo_send_from(g, nsm.srv, LO_TT_IMMEDIATE, "/gbac/param/vae/z3", "");
    assert_true(wait_for(&nsm.params, params, 2000) >= 0);
    params = nsm.params;
    lo_send_from(g, nsm.srv, LO_TT_IMMEDIATE, "/gbac/param/vae/z6", "");
    assert_true(wait_for(&nsm.params, params, 2000) >= 0);
    params = nsm.params;
    lo_send_from(g, nsm.srv, LO_TT_IMMEDIATE, "/gbac/param/master/gain_db", "");
    assert_true(wait_for(&nsm.params, params, 2000) >= 0);
    printf("z3, z6, master gain after reopening: %g, %g, %g dB\n", nsm.z3, nsm.z6,
           nsm.gain_db);
    assert_true(nsm.z3 == 0.75f);
    assert_true(nsm.z6 == -1.25f);
    assert_true(nsm.gain_db == -9.5f);

    /* gbac live's /gbac/status: every counter by its one name, and the host's facts. */
    int statuses = nsm.statuses;
    lo_send_from(g, nsm.srv, LO_TT_IMMEDIATE, "/gbac/status", "");
    assert_true(wait_for(&nsm.statuses, statuses, 2000) >= 0);
    printf("status: %s\n", nsm.status);
    json_t *status = json_loads(nsm.status, 0, NULL);
    assert_non_null(status);
    static const char *const counters[] = {"xruns", "midi_events", "midi_dropped",
                                           "osc_messages", "osc_errors", "osc_refused",
                                           "osc_dropped", "fb_dropped", "subscribers",
                                           "late_periods", "max_cycle_pct"};
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        assert_true(json_is_integer(json_object_get(status, counters[i])));
    assert_int_equal(json_integer_value(json_object_get(status, "osc_messages")), 3);
    assert_int_equal(json_integer_value(json_object_get(status, "port")), osc2);
    assert_string_equal(json_string_value(json_object_get(status, "client")), CLIENT_ID);
    assert_true(json_is_true(json_object_get(status, "connected")));
    json_decref(status);
    serve(100);
    assert_int_equal(nsm.dirty, dirty + 1); /* a restored session is clean */
    assert_int_equal(exit_status(&gbac_pid, SIGTERM), 0);
    lo_address_free(g);
}

static void test_taken_osc_port_is_not_fatal(void **state)
{
    (void)state;
    /* Another program holds the port the first session saved: the new gbac takes the next
     * free one instead of failing the open, says which, and serves OSC there. */
    char url[128], log[600], path[600], ps[16];
    nsm_url(url, sizeof url, nsm.port);
    snprintf(log, sizeof log, "%s/gbac4.log", tmpdir);
    snprintf(path, sizeof path, "%s/session/second", tmpdir);
    snprintf(ps, sizeof ps, "%d", 9110);
    lo_server holder = lo_server_new(ps, NULL);
    if (!holder)
        print_message("port 9110 already taken by someone else: fine for this test\n");
    gbac_pid = spawn_gbac(url, log);
    int osc = announce_and_open(gbac_pid, log, path);
    assert_true(osc > 9110 && osc < 9110 + 32);
    snprintf(ps, sizeof ps, "%d", osc);
    lo_address g = lo_address_new("127.0.0.1", ps);
    int params = nsm.params;
    lo_send_from(g, nsm.srv, LO_TT_IMMEDIATE, "/gbac/param/vae/z3", "");
    assert_true(wait_for(&nsm.params, params, 2000) >= 0);
    assert_true(nsm.z3 == 0.0f); /* the shipped preset's value: a new session */
    lo_address_free(g);
    assert_int_equal(exit_status(&gbac_pid, SIGTERM), 0);
    if (holder)
        lo_server_free(holder);
}

static void test_open_on_an_impossible_path_replies_error(void **state)
{
    (void)state;
    char url[128], log[600], path[700];
    nsm_url(url, sizeof url, nsm.port);
    snprintf(log, sizeof log, "%s/gbac5.log", tmpdir);
    snprintf(path, sizeof path, "%s/jackd.log/state", tmpdir); /* under a file */
    int before = nsm.announces;
    gbac_pid = spawn_gbac(url, log);
    assert_true(wait_for(&nsm.announces, before, 10000) >= 0);
    int replies = nsm.replies;
    lo_send_from(nsm.client, nsm.srv, LO_TT_IMMEDIATE, "/nsm/client/open", "sss", path, "gbac",
                 CLIENT_ID);
    assert_true(wait_for(&nsm.replies, replies, 5000) >= 0);
    printf("open on %s: /error %d %s\n", path, nsm.reply_code, nsm.reply_msg);
    assert_string_equal(nsm.reply_path, "/nsm/client/open");
    assert_int_equal(nsm.reply_code, -10); /* ERR_CREATE_FAILED */
    assert_non_null(strstr(nsm.reply_msg, path));
    int st = 0;
    pid_t r = 0;
    for (int i = 0; i < 100 && (r = waitpid(gbac_pid, &st, WNOHANG)) == 0; i++)
        gbt_sleep_ms(50);
    assert_int_equal(r, gbac_pid); /* exited by itself (else teardown stops it) */
    gbac_pid = -1;
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 1);
    char port[128];
    snprintf(port, sizeof port, "%s:out_L", CLIENT_ID);
    assert_false(gbt_port_exists(server, port));
}

static void test_damaged_state_replies_bad_project(void **state)
{
    (void)state;
    char url[128], log[600], path[700], file[800];
    nsm_url(url, sizeof url, nsm.port);
    snprintf(log, sizeof log, "%s/gbac6.log", tmpdir);
    snprintf(path, sizeof path, "%s/session/damaged", tmpdir);
    snprintf(file, sizeof file, "%s/preset.json", path);
    mkdir(path, 0700);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("{\"format\": \"gbac-preset/1\", \"rack\": ", f); /* cut off */
    fclose(f);
    int before = nsm.announces;
    gbac_pid = spawn_gbac(url, log);
    assert_true(wait_for(&nsm.announces, before, 10000) >= 0);
    int replies = nsm.replies;
    lo_send_from(nsm.client, nsm.srv, LO_TT_IMMEDIATE, "/nsm/client/open", "sss", path, "gbac",
                 CLIENT_ID);
    assert_true(wait_for(&nsm.replies, replies, 10000) >= 0);
    printf("open on a damaged state: /error %d %s\n", nsm.reply_code, nsm.reply_msg);
    assert_string_equal(nsm.reply_path, "/nsm/client/open");
    assert_int_equal(nsm.reply_code, -9); /* ERR_BAD_PROJECT */
    assert_non_null(strstr(nsm.reply_msg, file));
    int st = 0;
    pid_t r = 0;
    for (int i = 0; i < 100 && (r = waitpid(gbac_pid, &st, WNOHANG)) == 0; i++)
        gbt_sleep_ms(50);
    assert_int_equal(r, gbac_pid);
    gbac_pid = -1;
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 1);
}

static void test_before_open_save_is_refused_and_sigterm_exits_0(void **state)
{
    (void)state;
    char url[128], log[600];
    nsm_url(url, sizeof url, nsm.port);
    snprintf(log, sizeof log, "%s/gbac3.log", tmpdir);
    int before = nsm.announces;
    gbac_pid = spawn_gbac(url, log);
    assert_true(wait_for(&nsm.announces, before, 10000) >= 0);
    /* An open with the wrong arguments is ignored; a save before open is refused. */
    int replies = nsm.replies;
    lo_send_from(nsm.client, nsm.srv, LO_TT_IMMEDIATE, "/nsm/client/open", "si", prefix, 3);
    serve(300);
    assert_int_equal(nsm.replies, replies);
    lo_send_from(nsm.client, nsm.srv, LO_TT_IMMEDIATE, "/nsm/client/save", "");
    assert_true(wait_for(&nsm.replies, replies, 2000) >= 0);
    assert_string_equal(nsm.reply_path, "/nsm/client/save");
    assert_int_equal(nsm.reply_code, -6); /* ERR_NO_SESSION_OPEN */
    assert_int_equal(exit_status(&gbac_pid, SIGTERM), 0);
    assert_false(gbt_port_exists(server, "gbac:out_L"));
}

/* Runs gbac with NSM_URL=url, expects exit 1 with a message naming NSM_URL and url; returns
 * the ms it took. */
static double expect_failure(const char *url, const char *name)
{
    char log[600];
    snprintf(log, sizeof log, "%s/%s.log", tmpdir, name);
    unlink(log);
    double t0 = now_ms();
    pid_t pid = spawn_gbac(url, log);
    int st = 0;
    while (waitpid(pid, &st, WNOHANG) == 0 && now_ms() - t0 < 15000)
        gbt_sleep_ms(20);
    double ms = now_ms() - t0;
    if (ms >= 15000)
        exit_status(&pid, SIGKILL);
    assert_true(ms < 15000);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 1);
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    char text[4096] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    printf("%s after %.0f ms: %s", name, ms, text);
    char quoted[300];
    snprintf(quoted, sizeof quoted, "NSM_URL '%s'", url);
    assert_non_null(strstr(text, quoted));
    return ms;
}

static void test_no_server_behind_nsm_url_exits_1(void **state)
{
    (void)state;
    lo_server s = lo_server_new(NULL, NULL); /* a free port, then nobody on it */
    int port = lo_server_get_port(s);
    lo_server_free(s);
    char url[128];
    nsm_url(url, sizeof url, port);
    double ms = expect_failure(url, "unreachable");
    assert_true(ms >= 4900 && ms < 8000); /* the 5 s announce timeout, not a hang */
}

static void test_refused_announce_exits_1(void **state)
{
    (void)state;
    char url[128], log[600];
    nsm_url(url, sizeof url, nsm.port);
    snprintf(log, sizeof log, "%s/refused.log", tmpdir);
    nsm.refuse = 1;
    int before = nsm.announces;
    gbac_pid = spawn_gbac(url, log);
    assert_true(wait_for(&nsm.announces, before, 10000) >= 0);
    nsm.refuse = 0;
    int st = 0;
    pid_t r = 0;
    for (int i = 0; i < 100 && (r = waitpid(gbac_pid, &st, WNOHANG)) == 0; i++)
        gbt_sleep_ms(50);
    assert_int_equal(r, gbac_pid);
    gbac_pid = -1;
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 1);
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    char text[2048] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    printf("refused: %s", text);
    assert_non_null(strstr(text, "refused gbac (error -3): gbac is not welcome here"));
    assert_non_null(strstr(text, url));
}

static void test_malformed_nsm_url_exits_1(void **state)
{
    (void)state;
    assert_true(expect_failure("osc.udp://localhost/", "malformed") < 3000);
    assert_true(expect_failure("http://localhost:1234/", "malformed2") < 3000);
}

/* ---- setup ---------------------------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    snprintf(server, sizeof server, "gbnsm%d", (int)getpid());
    setenv("JACK_DEFAULT_SERVER", server, 1);
    setenv("JACK_NO_START_SERVER", "1", 1);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gbac-nsm-%d", (int)getpid());
    mkdir(tmpdir, 0700);
    /* Like nsmd: SESSION/CLIENT_ID as the path prefix; gbac makes the folder. */
    snprintf(prefix, sizeof prefix, "%s/session/%s", tmpdir, CLIENT_ID);
    const char *src = getenv("GBAC_SOURCE_DIR");
    snprintf(preset_src, sizeof preset_src, "%s/presets/timbre-vae.json", src ? src : ".");
    nsm.srv = lo_server_new(NULL, NULL);
    if (!nsm.srv)
        return -1;
    nsm.port = lo_server_get_port(nsm.srv);
    lo_server_add_method(nsm.srv, "/nsm/server/announce", "sssiii", on_announce, NULL);
    lo_server_add_method(nsm.srv, "/reply", NULL, on_reply, NULL);
    lo_server_add_method(nsm.srv, "/error", NULL, on_reply, NULL);
    lo_server_add_method(nsm.srv, "/nsm/client/is_dirty", "", on_dirty, NULL);
    lo_server_add_method(nsm.srv, "/nsm/client/is_clean", "", on_dirty, NULL);
    lo_server_add_method(nsm.srv, "/nsm/client/message", "is", on_message, NULL);
    lo_server_add_method(nsm.srv, "/gbac/param/vae/z3", "f", on_z, NULL);
    lo_server_add_method(nsm.srv, "/gbac/param/vae/z6", "f", on_z, NULL);
    lo_server_add_method(nsm.srv, "/gbac/param/master/gain_db", "f", on_z, NULL);
    lo_server_add_method(nsm.srv, "/gbac/status", "s", on_status, NULL);
    char log[600];
    snprintf(log, sizeof log, "%s/jackd.log", tmpdir);
    if (gbt_start_jackd(server, 256, log, &jackd_pid) != 0) {
        fprintf(stderr, "jackd did not start (see %s)\n", log);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gbt_stop(&gbac_pid, SIGTERM);
    gbt_stop(&jackd_pid, SIGTERM);
    if (nsm.client)
        lo_address_free(nsm.client);
    lo_server_free(nsm.srv);
    if (!getenv("GBAC_KEEP_LOGS")) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    return 0;
}

int main(void)
{
    if (!getenv("GBAC_BIN")) {
        fprintf(stderr, "GBAC_BIN must name the gbac binary\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_restores_preset_and_latent),
        cmocka_unit_test(test_taken_osc_port_is_not_fatal),
        cmocka_unit_test(test_open_on_an_impossible_path_replies_error),
        cmocka_unit_test(test_damaged_state_replies_bad_project),
        cmocka_unit_test(test_before_open_save_is_refused_and_sigterm_exits_0),
        cmocka_unit_test(test_no_server_behind_nsm_url_exits_1),
        cmocka_unit_test(test_refused_announce_exits_1),
        cmocka_unit_test(test_malformed_nsm_url_exits_1),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
