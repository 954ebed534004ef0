/* gb_web_server.c — the web server's life cycle, its thread and the owner's side of the
 * rings (see gb_web_server.h; the connections are in gb_web_conn.c).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gb_web_impl.h"

gb_web_server_config_t gb_web_server_config_default(void)
{
    gb_web_server_config_t c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    c.index = "index.html";
    c.max_rate = GB_WEB_MAX_RATE;
    return c;
}

static int check_config(const gb_web_server_config_t *cfg, gb_error_t *err)
{
    if (!cfg || cfg->struct_size != sizeof *cfg)
        return gb_error_set(err, GB_EINVAL, "web server: config struct_size mismatch (use "
                            "gb_web_server_config_default())");
    if (cfg->port < 0 || cfg->port > 65535)
        return gb_error_set(err, GB_EINVAL, "web server: port %d out of range 1..65535",
                            cfg->port);
    if (cfg->n_allow < 0 || cfg->n_allow > GB_WEB_MAX_ALLOW)
        return gb_error_set(err, GB_EINVAL, "web server: %d allowed networks (at most %d)",
                            cfg->n_allow, GB_WEB_MAX_ALLOW);
    if (!cfg->doc_root || !*cfg->doc_root || !cfg->index ||
        !gb_web_file_ok(cfg->index, NULL))
        return gb_error_set(err, GB_EINVAL, "web server: no folder of page files, or a bad "
                            "index file name");
    if (cfg->mount_prefix && (cfg->mount_prefix[0] != '/' || !cfg->mount_dir ||
                              cfg->mount_prefix[strlen(cfg->mount_prefix) - 1] != '/'))
        return gb_error_set(err, GB_EINVAL, "web server: a mount needs a prefix /NAME/ and a "
                            "folder");
    if (cfg->token && strlen(cfg->token) != GB_WEB_TOKEN_LEN)
        return gb_error_set(err, GB_EINVAL, "web server: a token has %d characters",
                            GB_WEB_TOKEN_LEN);
    if (cfg->rated_keys && strlen(cfg->rated_keys) >= sizeof ((gb_web_server_t *)0)->rated)
        return gb_error_set(err, GB_EINVAL, "web server: rated_keys longer than 63 bytes");
    if (!(cfg->max_rate > 0.0 && cfg->max_rate <= 1000.0))
        return gb_error_set(err, GB_EINVAL, "web server: max_rate %g out of range (0, 1000]",
                            cfg->max_rate);
    return GB_OK;
}

/* lws logs go to our stderr, errors only, marked as ours. */
static void lws_log(int level, const char *line)
{
    (void)level;
    fprintf(stderr, "gbac: web server: %s", line);
}

static const struct lws_protocols protocols[] = {
    {"gbac", gb_web_conn_callback, sizeof(gb_web_conn_t), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0}};

/* A page that has been silent for 20 s is pinged; one silent for 50 s is dropped (a tablet
 * that left the network). */
static const lws_retry_bo_t idle_policy = {.secs_since_valid_ping = 20,
                                           .secs_since_valid_hangup = 50};

static int open_lws(gb_web_server_t *s, gb_error_t *err)
{
    lws_set_log_level(LLL_ERR, lws_log);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = s->cfg.port ? s->cfg.port : 0;
    info.iface = s->cfg.n_allow ? NULL : "127.0.0.1";
    info.protocols = protocols;
    info.user = s;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6 | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    info.timeout_secs = 10;
    info.ka_time = 0;
    info.retry_and_idle_policy = &idle_policy;
    info.max_http_header_data = 4096;
    info.vhost_name = "gbac";
    s->ctx = lws_create_context(&info);
    if (!s->ctx)
        return gb_error_set(err, GB_ENOMEM, "web server: cannot create the server context");
    s->vh = lws_create_vhost(s->ctx, &info);
    if (!s->vh)
        return gb_error_set(err, GB_EIO, "web server: cannot listen on TCP port %d of %s (another "
                            "program may use it; choose another with --http)", s->cfg.port,
                            info.iface ? info.iface : "every interface");
    s->port = lws_get_vhost_listen_port(s->vh);
    return GB_OK;
}

uint64_t gb_web_run_delay(gb_web_server_t *s)
{
    char buf[96];
    const ssize_t n = s->sched_fd >= 0 ? pread(s->sched_fd, buf, sizeof buf - 1, 0) : -1;
    unsigned long long on_cpu = 0, waited = 0;
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return sscanf(buf, "%llu %llu", &on_cpu, &waited) == 2 ? waited : 0;
}

static void *server_main(void *arg)
{
    gb_web_server_t *s = arg;
    s->sched_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
    lws_sul_schedule(s->ctx, 0, &s->tick, gb_web_tick, GB_WEB_TICK_US);
    while (!atomic_load(&s->stop)) {
        s->run_delay = gb_web_run_delay(s);
        if (lws_service(s->ctx, 0) < 0)
            break;
    }
    if (s->sched_fd >= 0)
        close(s->sched_fd);
    return NULL;
}

static void copy_strings(gb_web_server_t *s, const gb_web_server_config_t *cfg)
{
    snprintf(s->doc_root, sizeof s->doc_root, "%s", cfg->doc_root);
    snprintf(s->index, sizeof s->index, "%s", cfg->index);
    snprintf(s->mount_prefix, sizeof s->mount_prefix, "%s",
             cfg->mount_prefix ? cfg->mount_prefix : "");
    snprintf(s->mount_dir, sizeof s->mount_dir, "%s", cfg->mount_dir ? cfg->mount_dir : "");
    s->cfg.doc_root = s->doc_root;
    s->cfg.index = s->index;
    s->cfg.mount_prefix = s->mount_prefix[0] ? s->mount_prefix : NULL;
    s->cfg.mount_dir = s->mount_dir;
    s->cfg.token = s->token;
    snprintf(s->rated, sizeof s->rated, "%s", cfg->rated_keys ? cfg->rated_keys : "");
    s->cfg.rated_keys = cfg->rated_keys ? s->rated : NULL;
}

gb_web_server_t *gb_web_server_new(const gb_web_server_config_t *cfg, gb_error_t *err)
{
    if (check_config(cfg, err) != GB_OK)
        return NULL;
    gb_web_server_t *s = calloc(1, sizeof *s);
    if (!s) {
        gb_error_set(err, GB_ENOMEM, "web server: out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    s->sched_fd = -1;
    if (cfg->token)
        snprintf(s->token, sizeof s->token, "%s", cfg->token);
    else if (gb_web_token_new(s->token) != 0) {
        gb_error_set(err, GB_EIO, "web server: the system gave no random bytes for the token");
        free(s);
        return NULL;
    }
    copy_strings(s, cfg);
    s->stats = cfg->stats ? cfg->stats : &s->own_stats;
    s->frame_us = (lws_usec_t)(1e6 / cfg->max_rate + 0.5);
    s->in = gb_ring_new(sizeof(gb_web_in_t *), GB_WEB_IN_RING);
    s->out = gb_ring_new(sizeof(gb_web_out_t), GB_WEB_OUT_RING);
    s->feed = gb_web_feed_new(GB_WEB_FEED_KEYS, GB_WEB_FEED_EVENTS);
    if (!s->in || !s->out || !s->feed) {
        gb_error_set(err, GB_ENOMEM, "web server: out of memory");
        gb_web_server_free(s);
        return NULL;
    }
    gb_web_feed_rate(s->feed, s->cfg.rated_keys);
    if (open_lws(s, err) != GB_OK) {
        gb_web_server_free(s);
        return NULL;
    }
    if (pthread_create(&s->thread, NULL, server_main, s) != 0) {
        gb_error_set(err, GB_EIO, "web server: cannot start its thread");
        gb_web_server_free(s);
        return NULL;
    }
    s->thread_started = 1;
    return s;
}

static void drain_out(gb_web_server_t *s)
{
    gb_web_out_t o;
    while (gb_ring_pop(s->out, &o)) {
        free(o.key);
        free(o.text);
    }
}

void gb_web_server_free(gb_web_server_t *s)
{
    if (!s)
        return;
    if (s->thread_started) {
        atomic_store(&s->stop, 1);
        lws_cancel_service(s->ctx);
        pthread_join(s->thread, NULL);
    }
    if (s->ctx)
        lws_context_destroy(s->ctx); /* closes every connection (their callbacks run here) */
    gb_web_in_t *in;
    while (s->in && gb_ring_pop(s->in, &in))
        gb_web_in_free(in);
    if (s->out)
        drain_out(s);
    gb_ring_free(s->in);
    gb_ring_free(s->out);
    gb_web_feed_free(s->feed);
    free(s);
}

int gb_web_server_port(const gb_web_server_t *s)
{
    return s ? s->port : -1;
}

const char *gb_web_server_token(const gb_web_server_t *s)
{
    return s ? s->token : NULL;
}

int gb_web_server_clients(const gb_web_server_t *s)
{
    return s ? atomic_load(&s->n_clients) : 0;
}

/* ---- the owner's side ---- */

gb_web_in_t *gb_web_server_recv(gb_web_server_t *s)
{
    gb_web_in_t *in = NULL;
    if (s && gb_ring_pop(s->in, &in))
        return in;
    return NULL;
}

void gb_web_in_free(gb_web_in_t *in)
{
    free(in);
}

static int push_out(gb_web_server_t *s, gb_web_out_t *o)
{
    if (!s || !gb_ring_push(s->out, o)) {
        free(o->key);
        free(o->text);
        if (s)
            gb_web_count(&s->stats->fb_dropped);
        return GB_ERANGE;
    }
    if (atomic_exchange(&s->wake, 1) == 0)
        lws_cancel_service(s->ctx);
    return GB_OK;
}

int gb_web_server_send(gb_web_server_t *s, uint32_t client, char *text)
{
    gb_web_out_t o = {GB_WEB_OUT_SEND, client, NULL, text, lws_now_usecs()};
    if (!text)
        return GB_ENOMEM;
    return push_out(s, &o);
}

int gb_web_server_post(gb_web_server_t *s, const char *key, char *text)
{
    gb_web_out_t o = {GB_WEB_OUT_POST, 0, key ? strdup(key) : NULL, text, lws_now_usecs()};
    if (!text || (key && !o.key)) {
        free(o.key);
        free(text);
        return GB_ENOMEM;
    }
    return push_out(s, &o);
}

int gb_web_server_forget(gb_web_server_t *s, const char *prefix)
{
    gb_web_out_t o = {GB_WEB_OUT_FORGET, 0, prefix ? strdup(prefix) : NULL, NULL, 0};
    if (!o.key)
        return GB_ENOMEM;
    return push_out(s, &o);
}
