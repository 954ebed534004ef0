/* cmd_live_nsm.c — `gbac live` under a session manager: open, save, dirty/clean, quit.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cmd_live_nsm.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jack/jack.h>
#include <jansson.h>

#include "gb_cli.h"
#include "gb_osc_server.h"

#define NSM_OPEN_TIMEOUT_MS 30000 /* announce answered, but no open: give up */
#define NSM_OSC_PORT_TRIES 32     /* GB_OSC_DEFAULT_PORT and the 31 ports after it */

static atomic_int nsm_stop;

static void nsm_on_signal(int sig)
{
    (void)sig;
    atomic_store(&nsm_stop, 1);
}

static double nsm_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

/* mkdir -p */
static int nsm_make_dirs(const char *path)
{
    char p[GB_NSM_PATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (char *c = p + 1; *c; c++) {
        if (*c != '/')
            continue;
        *c = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            return -1;
        *c = '/';
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    if (stat(p, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

static void nsm_quiet(int num, const char *msg, const char *where)
{
    (void)num;
    (void)msg;
    (void)where;
}

/* Whether a UDP port can be bound now (the OSC server binds it moments later). */
static int nsm_port_free(int port)
{
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    lo_server s = lo_server_new_with_proto(ps, LO_UDP, nsm_quiet);
    if (!s)
        return 0;
    lo_server_free(s);
    return 1;
}

/* The OSC port kept in nsm.json, 0 when none (a damaged file is only worth a warning). */
static int nsm_saved_osc_port(const live_nsm_t *s)
{
    if (access(s->state, F_OK) != 0)
        return 0;
    json_error_t je;
    json_t *root = json_load_file(s->state, 0, &je);
    json_t *v = root ? json_object_get(root, "osc_port") : NULL;
    int port = json_is_integer(v) ? (int)json_integer_value(v) : 0;
    if (!json_is_integer(v) || port < 1 || port > 65535) {
        fprintf(stderr, "gbac: %s: no valid \"osc_port\" (%s); choosing a port again\n",
                s->state, root ? "expected 1..65535" : je.text);
        port = 0;
    }
    json_decref(root);
    return port;
}

/* Without --osc-port: the port of the last save, else 9110, else the next free one; OSC off
 * when all NSM_OSC_PORT_TRIES are taken. */
static int nsm_choose_osc_port(const live_nsm_t *s)
{
    int saved = nsm_saved_osc_port(s);
    if (saved && nsm_port_free(saved))
        return saved;
    for (int p = GB_OSC_DEFAULT_PORT; p < GB_OSC_DEFAULT_PORT + NSM_OSC_PORT_TRIES; p++)
        if (p != saved && nsm_port_free(p))
            return p;
    return 0;
}

static int nsm_write_state(const live_nsm_t *s, gb_error_t *err)
{
    json_t *root = json_pack("{s:s, s:i}", "format", "gbac-nsm/1", "osc_port", s->osc_port);
    char tmp[sizeof s->state + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", s->state);
    int bad = !root || json_dump_file(root, tmp, JSON_INDENT(2)) != 0 || rename(tmp, s->state);
    json_decref(root);
    if (bad) {
        unlink(tmp);
        return gb_error_set(err, GB_EIO, "cannot write %s: %s", s->state, strerror(errno));
    }
    return GB_OK;
}

static void nsm_save(live_nsm_t *s, gb_live_t *lv)
{
    gb_error_t err = {0};
    uint64_t count = gb_live_change_count(lv);
    if (gb_live_save_preset(lv, s->preset, &err) != GB_OK || nsm_write_state(s, &err) != GB_OK) {
        fprintf(stderr, "gbac: NSM save failed: %s\n", err.msg);
        gb_nsm_error(s->nsm, "/nsm/client/save", GB_NSM_ERR_GENERAL, err.msg);
        return;
    }
    s->saved = count;
    gb_nsm_reply(s->nsm, "/nsm/client/save", "ok");
    fprintf(stderr, "gbac: NSM: saved %s\n", s->preset);
}

/* [main] gb_live_run's idle hook: serve the manager, report dirty/clean. */
static void nsm_idle(gb_live_t *lv, void *ud)
{
    live_nsm_t *s = ud;
    gb_nsm_event_t ev;
    for (int i = 0; i < 4 && gb_nsm_wait(s->nsm, 0, &ev); i++) {
        if (ev.kind == GB_NSM_EV_SAVE)
            nsm_save(s, lv);
        else if (ev.kind == GB_NSM_EV_OPEN)
            gb_nsm_error(s->nsm, "/nsm/client/open", GB_NSM_ERR_NOT_NOW,
                         "gbac cannot switch sessions while running (no :switch: capability)");
    }
    gb_nsm_set_dirty(s->nsm, gb_live_change_count(lv) != s->saved);
}

static int nsm_open_error(live_nsm_t *s, int code, const char *msg)
{
    fprintf(stderr, "gbac live: NSM open: %s\n", msg);
    gb_nsm_error(s->nsm, "/nsm/client/open", code, msg);
    return GB_EXIT_FAIL;
}

/* The open request: the client id becomes the JACK name, the state folder is created or
 * read. Returns -1 to go on, else the exit status. */
static int nsm_open(live_nsm_t *s, const gb_nsm_event_t *ev, gb_live_config_t *cfg,
                    int osc_port_given)
{
    char msg[GB_NSM_PATH_MAX + 128];
    size_t idlen = strlen(ev->client_id);
    if (idlen == 0 || idlen >= (size_t)jack_client_name_size()) {
        snprintf(msg, sizeof msg, "client id '%s' cannot be a JACK client name (1..%d "
                 "characters)", ev->client_id, jack_client_name_size() - 1);
        return nsm_open_error(s, GB_NSM_ERR_GENERAL, msg);
    }
    snprintf(s->client_id, sizeof s->client_id, "%s", ev->client_id);
    snprintf(s->dir, sizeof s->dir, "%s", ev->path);
    size_t n = strlen(s->dir);
    while (n > 1 && s->dir[n - 1] == '/')
        s->dir[--n] = '\0';
    if (n == 0 || n + 16 > sizeof s->dir)
        return nsm_open_error(s, GB_NSM_ERR_CREATE_FAILED, "empty or too long path");
    if (nsm_make_dirs(s->dir) != 0) {
        snprintf(msg, sizeof msg, "cannot create the folder %s: %s", s->dir, strerror(errno));
        return nsm_open_error(s, GB_NSM_ERR_CREATE_FAILED, msg);
    }
    snprintf(s->preset, sizeof s->preset, "%s/preset.json", s->dir);
    snprintf(s->state, sizeof s->state, "%s/nsm.json", s->dir);
    s->restored = access(s->preset, F_OK) == 0;
    if (s->restored)
        cfg->preset = s->preset;
    fprintf(stderr, "gbac: NSM: %s %s as JACK client '%s'\n",
            s->restored ? "restoring" : "new state in", s->restored ? s->preset : s->dir,
            s->client_id);
    s->osc_port = osc_port_given ? cfg->osc_port : nsm_choose_osc_port(s);
    if (!osc_port_given && !s->osc_port)
        fprintf(stderr, "gbac: NSM: UDP ports %d..%d are all taken: OSC off\n",
                GB_OSC_DEFAULT_PORT, GB_OSC_DEFAULT_PORT + NSM_OSC_PORT_TRIES - 1);
    cfg->osc_port = s->osc_port;
    if (!cfg->session_dir) { /* recordings belong to the session: PATH/takes/ */
        snprintf(s->takes, sizeof s->takes, "%s/takes", s->dir);
        cfg->session_dir = s->takes;
    }
    cfg->name = s->client_id;
    cfg->idle = nsm_idle;
    cfg->idle_ud = s;
    return -1;
}

/* Announce, then wait for open before anything joins JACK. Returns -1 to go on (cfg now
 * names the client id, the state and the OSC port), else the exit status. */
int gb_live_nsm_start(live_nsm_t *s, const char *url, gb_live_config_t *cfg, int osc_port_given)
{
    gb_error_t err = {0};
    gb_nsm_config_t nc = gb_nsm_config_default();
    nc.url = url;
    nc.app_name = "gbac";
    nc.executable = "gbac";
    s->nsm = gb_nsm_new(&nc, &err);
    if (!s->nsm) {
        fprintf(stderr, "gbac live: %s\n", err.msg);
        return GB_EXIT_FAIL;
    }
    /* The manager may stop us before open; gb_live_new installs the handlers used later. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = nsm_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (gb_nsm_announce(s->nsm, GB_NSM_ANNOUNCE_TIMEOUT_MS, &err) != GB_OK) {
        fprintf(stderr, "gbac live: %s\n", err.msg);
        return GB_EXIT_FAIL;
    }
    fprintf(stderr, "gbac: NSM: announced to '%s' at %s; waiting for it to open a session\n",
            gb_nsm_server_name(s->nsm), url);
    gb_nsm_event_t ev;
    double deadline = nsm_now_ms() + NSM_OPEN_TIMEOUT_MS;
    for (;;) {
        if (atomic_load(&nsm_stop)) {
            fprintf(stderr, "gbac: stopped before the session manager opened a session\n");
            return GB_EXIT_OK;
        }
        if (nsm_now_ms() > deadline) {
            fprintf(stderr, "gbac live: the session manager at NSM_URL '%s' sent no "
                    "/nsm/client/open within %d s\n", url, NSM_OPEN_TIMEOUT_MS / 1000);
            return GB_EXIT_FAIL;
        }
        if (!gb_nsm_wait(s->nsm, 100, &ev))
            continue;
        if (ev.kind == GB_NSM_EV_OPEN)
            break;
        if (ev.kind == GB_NSM_EV_SAVE)
            gb_nsm_error(s->nsm, "/nsm/client/save", GB_NSM_ERR_NO_SESSION_OPEN,
                         "no session open yet");
    }
    return nsm_open(s, &ev, cfg, osc_port_given);
}

/* After gb_live_new: answer the open request. */
int gb_live_nsm_opened(live_nsm_t *s, gb_live_t *lv, const gb_error_t *err)
{
    if (!lv)
        return nsm_open_error(s, s->restored && strstr(err->msg, s->preset)
                                     ? GB_NSM_ERR_BAD_PROJECT : GB_NSM_ERR_GENERAL, err->msg);
    if (atomic_load(&nsm_stop))
        gb_live_request_quit(); /* SIGTERM came while joining JACK */
    s->saved = gb_live_change_count(lv);
    gb_nsm_reply(s->nsm, "/nsm/client/open", "ok");
    gb_nsm_set_dirty(s->nsm, 0);
    /* The preset's own name, for the manager's log: the state is a preset file. */
    json_t *root = s->restored ? json_load_file(s->preset, 0, NULL) : NULL;
    const char *name = json_string_value(json_object_get(root, "name"));
    char msg[GB_NSM_PATH_MAX + 512];
    int n = s->restored ? snprintf(msg, sizeof msg, "restored preset '%s' from %s",
                                   name ? name : "?", s->preset)
                        : snprintf(msg, sizeof msg, "new state in %s", s->dir);
    json_decref(root);
    if (s->osc_port)
        snprintf(msg + n, sizeof msg - (size_t)n, "; OSC on UDP port %d", s->osc_port);
    else
        snprintf(msg + n, sizeof msg - (size_t)n, "; OSC off");
    gb_nsm_message(s->nsm, 1, msg);
    return -1;
}

