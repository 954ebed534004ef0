/* gb_listen_web.c — the listening test's page served (gb_listen_web.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_listen_web.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gb_web_server.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

struct gb_listen_web {
    gb_listen_test_t *t;
    gb_listen_serve_config_t c;
    char out[4096];
    gb_web_server_t *srv;
    double t0;           /* monotonic seconds at start */
    double done_at;      /* when the last pair was answered; 0 */
    uint32_t done_by;    /* the page that answered it */
};

typedef struct gb_listen_web lw_t;

static double mono_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void utc_now(char *out, size_t cap)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char s[24];
    strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, cap, "%.19s.%03dZ", s, (int)(ts.tv_nsec / 1000000) % 1000);
}

static void reply(lw_t *w, uint32_t client, long long id, const char *path, const char *types,
                  const gb_osc_arg_t *argv)
{
    gb_web_server_send(w->srv, client, gb_web_msg_format(id, path, types, argv));
}

static void reply_json(lw_t *w, uint32_t client, long long id, const char *path, json_t *o)
{
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(o);
    gb_osc_arg_t a = {.type = 's', .v.s = text ? text : "null"};
    reply(w, client, id, path, "s", &a);
    free(text);
}

static void refuse(lw_t *w, uint32_t client, long long id, const char *path, const char *why)
{
    gb_osc_arg_t a[2] = {{.type = 's', .v.s = path}, {.type = 's', .v.s = why}};
    reply(w, client, id, "/gbac/error", "ss", a);
}

/* What the page may know: the question, the clips, the pairs answered; not the sources. */
static json_t *info_json(const gb_listen_test_t *t)
{
    json_t *pairs = json_array(), *answered = json_array();
    for (int i = 0; i < t->n_pairs; i++) {
        char a[64], b[64];
        snprintf(a, sizeof a, "/clips/%s", t->pair[i].clip_a);
        snprintf(b, sizeof b, "/clips/%s", t->pair[i].clip_b);
        json_array_append_new(pairs, json_pack("{s:s, s:s, s:f}", "a", a, "b", b, "seconds",
                                               (double)t->pair[i].frames / t->sample_rate));
    }
    for (int i = 0; i < t->n_choices; i++)
        json_array_append_new(answered, json_integer(t->choice[i].pair));
    return json_pack("{s:s, s:s, s:o, s:o, s:b}", "question",
                     gb_listen_question_text(t->question), "question_key",
                     gb_listen_question_key(t->question), "pairs", pairs, "answered", answered,
                     "done", t->n_choices == t->n_pairs);
}

static void choose(lw_t *w, const gb_web_in_t *in)
{
    const gb_web_msg_t *m = &in->msg;
    gb_listen_test_t *t = w->t;
    if (strcmp(m->types, "iiii") != 0) {
        refuse(w, in->client, m->id, m->path, "/listen/choose takes 4 whole numbers: pair, "
               "picked (0 a, 1 b), plays of a, plays of b");
        return;
    }
    char when[32];
    utc_now(when, sizeof when);
    gb_error_t err = {0};
    if (gb_listen_choose(t, m->num[0].v.i, m->num[1].v.i, m->num[2].v.i, m->num[3].v.i,
                         mono_s() - w->t0, when, &err) != GB_OK ||
        gb_listen_write(t, w->out, &err) != GB_OK) {
        if (err.code == GB_EIO)
            t->n_choices--; /* not saved: not taken */
        refuse(w, in->client, m->id, m->path, err.msg);
        return;
    }
    gb_osc_arg_t a[3] = {{.type = 'i', .v.i = m->num[0].v.i},
                         {.type = 'i', .v.i = t->n_choices},
                         {.type = 'i', .v.i = t->n_pairs}};
    reply(w, in->client, m->id, "/listen/chosen", "iii", a);
    fprintf(stderr, "gbac listen-test: %d of %d pairs answered\n", t->n_choices, t->n_pairs);
    if (t->n_choices == t->n_pairs) {
        gb_listen_summary_t s;
        gb_listen_summarise(t, &s);
        reply_json(w, in->client, -1, "/listen/done", gb_listen_summary_json(t, &s));
        w->done_at = mono_s();
        w->done_by = in->client;
    }
}

static void serve(lw_t *w, const gb_web_in_t *in)
{
    const gb_web_msg_t *m = &in->msg;
    if (strcmp(m->path, "/listen/info") == 0)
        reply_json(w, in->client, m->id, "/listen/info", info_json(w->t));
    else if (strcmp(m->path, "/listen/choose") == 0)
        choose(w, in);
    else
        refuse(w, in->client, m->id, m->path, "unknown path: the listening test takes "
               "/listen/info and /listen/choose");
}

/* Serve what came in; 1 when the test is over. */
static int poll_once(lw_t *w)
{
    int busy = 0;
    gb_web_in_t *in;
    while ((in = gb_web_server_recv(w->srv))) {
        busy = 1;
        if (in->kind == GB_WEB_MSG)
            serve(w, in);
        else if (in->kind == GB_WEB_CLOSE && w->done_at > 0 && in->client == w->done_by)
            w->done_by = 0; /* the page that finished has gone */
        gb_web_in_free(in);
    }
    if (w->done_at > 0 && (w->done_by == 0 || mono_s() - w->done_at > GB_LISTEN_DONE_WAIT_S))
        return 1;
    if (!busy) {
        const struct timespec nap = {0, 10 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    return 0;
}

static gb_web_server_t *open_server(const gb_listen_serve_config_t *c, gb_error_t *err)
{
    gb_web_server_config_t sc = gb_web_server_config_default();
    sc.port = c->port;
    sc.n_allow = c->n_allow > GB_WEB_MAX_ALLOW ? GB_WEB_MAX_ALLOW : c->n_allow;
    for (int i = 0; i < sc.n_allow; i++)
        sc.allow[i] = c->allow[i];
    sc.doc_root = c->doc_root;
    sc.mount_prefix = "/clips/";
    sc.mount_dir = c->clip_dir;
    return gb_web_server_new(&sc, err);
}

gb_listen_web_t *gb_listen_web_open(const gb_listen_serve_config_t *c, gb_error_t *err)
{
    lw_t *w = calloc(1, sizeof *w);
    if (!w) {
        gb_error_set(err, GB_ENOMEM, "out of memory");
        return NULL;
    }
    w->c = *c;
    snprintf(w->out, sizeof w->out, "%s", c->out);
    if (!(w->srv = open_server(c, err))) {
        free(w);
        return NULL;
    }
    return w;
}

int gb_listen_web_port(const gb_listen_web_t *w)
{
    return w ? gb_web_server_port(w->srv) : -1;
}

void gb_listen_web_free(gb_listen_web_t *w)
{
    if (!w)
        return;
    gb_web_server_free(w->srv);
    free(w);
}

void gb_listen_web_run(gb_listen_web_t *w, gb_listen_test_t *t)
{
    w->t = t;
    w->t0 = mono_s();
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    stop_flag = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    fprintf(stderr, "gbac: listening test at http://127.0.0.1:%d/%s\n",
            gb_web_server_port(w->srv), w->c.n_allow ? " (other hosts: add ?token=TOKEN)" : "");
    fprintf(stderr, "token=%s\n", gb_web_server_token(w->srv));
    while (!stop_flag && !poll_once(w)) {
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
}
