/* gb_nsm.c — the client side of the NSM protocol over liblo (see gb_nsm.h, docs/nsm.md).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One liblo UDP server with a catch-all method, like gb_osc_server.c: we check the sender
 * first, then dispatch the few paths of the API ourselves. Requests are queued in a small
 * fixed ring so that an open arriving during the announce wait is not lost. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* getaddrinfo, clock_gettime */
#endif
#include "gb_nsm.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <lo/lo.h>

#define NSM_QUEUE 8
#define NSM_URL_MAX 1024

struct gb_nsm {
    char url[NSM_URL_MAX];
    char app_name[GB_NSM_NAME_MAX], caps[GB_NSM_NAME_MAX], exe[GB_NSM_NAME_MAX];
    int pid;
    uint32_t server_ip;     /* host byte order */
    lo_server srv;          /* our socket: requests come in, everything goes out of it */
    lo_address addr;        /* the manager */
    /* announce */
    int announced;          /* 0 waiting, 1 replied, -1 refused */
    int refused_code;
    char refused_msg[GB_NSM_NAME_MAX];
    char server_name[GB_NSM_NAME_MAX], server_caps[GB_NSM_NAME_MAX];
    /* requests */
    gb_nsm_event_t queue[NSM_QUEUE];
    int q_head, q_len;
    int dirty_sent;         /* -1 nothing sent yet, else the last state sent */
};

gb_nsm_config_t gb_nsm_config_default(void)
{
    gb_nsm_config_t c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    c.capabilities = ":dirty:message:";
    return c;
}

/* ---- sender check and dispatch ------------------------------------------------------------ */

static int from_manager(const gb_nsm_t *n, lo_message msg)
{
    lo_address src = lo_message_get_source(msg);
    const char *host = src ? lo_address_get_hostname(src) : NULL;
    struct in_addr a;
    if (!host || inet_pton(AF_INET, host, &a) != 1)
        return 0;
    uint32_t ip = ntohl(a.s_addr);
    if ((n->server_ip >> 24) == 127)
        return (ip >> 24) == 127;
    return ip == n->server_ip;
}

static void push(gb_nsm_t *n, int kind, lo_arg **argv)
{
    if (n->q_len == NSM_QUEUE)
        return; /* a manager sends one request at a time; more is not worth keeping */
    gb_nsm_event_t *ev = &n->queue[(n->q_head + n->q_len++) % NSM_QUEUE];
    memset(ev, 0, sizeof *ev);
    ev->kind = kind;
    if (kind == GB_NSM_EV_OPEN) {
        snprintf(ev->path, sizeof ev->path, "%s", (const char *)argv[0]);
        snprintf(ev->display_name, sizeof ev->display_name, "%s", (const char *)argv[1]);
        snprintf(ev->client_id, sizeof ev->client_id, "%s", (const char *)argv[2]);
    }
}

static int on_any(const char *path, const char *types, lo_arg **argv, int argc,
                  lo_message msg, void *user)
{
    gb_nsm_t *n = user;
    if (!from_manager(n, msg))
        return 0;
    if (!strcmp(path, "/reply") && argc >= 1 && types[0] == 's' &&
        !strcmp((const char *)argv[0], "/nsm/server/announce")) {
        n->announced = 1;
        if (argc >= 3 && types[2] == 's')
            snprintf(n->server_name, sizeof n->server_name, "%s", (const char *)argv[2]);
        if (argc >= 4 && types[3] == 's')
            snprintf(n->server_caps, sizeof n->server_caps, "%s", (const char *)argv[3]);
    } else if (!strcmp(path, "/error") && argc >= 3 && !strncmp(types, "sis", 3) &&
               !strcmp((const char *)argv[0], "/nsm/server/announce")) {
        n->announced = -1;
        int32_t code; /* liblo's arguments are 4-byte aligned only: copy, never ->i */
        memcpy(&code, argv[1], sizeof code);
        n->refused_code = code;
        snprintf(n->refused_msg, sizeof n->refused_msg, "%s", (const char *)argv[2]);
    } else if (!strcmp(path, "/nsm/client/open") && argc == 3 && !strcmp(types, "sss")) {
        push(n, GB_NSM_EV_OPEN, argv);
    } else if (!strcmp(path, "/nsm/client/save") && argc == 0) {
        push(n, GB_NSM_EV_SAVE, argv);
    } else if (!strcmp(path, "/nsm/client/session_is_loaded") && argc == 0) {
        push(n, GB_NSM_EV_SESSION_LOADED, argv);
    }
    return 0;
}

static void on_lo_error(int num, const char *msg, const char *where)
{
    (void)num; /* reported through our own error records */
    (void)msg;
    (void)where;
}

/* ---- life cycle ----------------------------------------------------------------------------- */

static int parse_url(gb_nsm_t *n, char *ip, size_t ipcap, char *port, size_t pcap,
                     gb_error_t *err)
{
    const char *url = n->url;
    char *proto = lo_url_get_protocol(url), *host = lo_url_get_hostname(url);
    char *ps = lo_url_get_port(url);
    int rc = GB_OK;
    char *end = NULL;
    long p = ps ? strtol(ps, &end, 10) : 0;
    if (!proto || strcmp(proto, "udp") != 0 || strncmp(url, "osc.udp://", 10) != 0 || !host ||
        !*host || !ps || !*ps || *end || p < 1 || p > 65535) {
        rc = gb_error_set(err, GB_EINVAL, "NSM_URL '%s' is not an OSC URL like "
                          "osc.udp://HOST:PORT/ (set by the session manager; unset it to run "
                          "without one)", url);
        goto out;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(host, ps, &hints, &res) != 0 || !res) {
        rc = gb_error_set(err, GB_EINVAL, "NSM_URL '%s': host '%s' has no IPv4 address", url,
                          host);
        goto out;
    }
    const struct sockaddr_in *sin = (const struct sockaddr_in *)res->ai_addr;
    n->server_ip = ntohl(sin->sin_addr.s_addr);
    inet_ntop(AF_INET, &sin->sin_addr, ip, (socklen_t)ipcap);
    snprintf(port, pcap, "%ld", p);
    freeaddrinfo(res);
out:
    free(proto);
    free(host);
    free(ps);
    return rc;
}

gb_nsm_t *gb_nsm_new(const gb_nsm_config_t *cfg, gb_error_t *err)
{
    if (!cfg || cfg->struct_size != sizeof *cfg || !cfg->url || !cfg->app_name) {
        gb_error_set(err, GB_EINVAL, "NSM: bad configuration");
        return NULL;
    }
    if (strlen(cfg->url) >= NSM_URL_MAX) {
        gb_error_set(err, GB_EINVAL, "NSM_URL is longer than %d characters", NSM_URL_MAX - 1);
        return NULL;
    }
    gb_nsm_t *n = calloc(1, sizeof *n);
    if (!n) {
        gb_error_set(err, GB_ENOMEM, "out of memory");
        return NULL;
    }
    snprintf(n->url, sizeof n->url, "%s", cfg->url);
    snprintf(n->app_name, sizeof n->app_name, "%s", cfg->app_name);
    snprintf(n->caps, sizeof n->caps, "%s", cfg->capabilities ? cfg->capabilities : "");
    snprintf(n->exe, sizeof n->exe, "%s", cfg->executable ? cfg->executable : cfg->app_name);
    n->pid = cfg->pid ? cfg->pid : (int)getpid();
    n->dirty_sent = -1;
    char ip[64], port[16];
    if (parse_url(n, ip, sizeof ip, port, sizeof port, err) != GB_OK)
        goto fail;
    n->addr = lo_address_new_with_proto(LO_UDP, ip, port);
    n->srv = lo_server_new_with_proto(NULL, LO_UDP, on_lo_error);
    if (!n->addr || !n->srv) {
        gb_error_set(err, GB_EIO, "NSM: cannot open a UDP socket to talk to NSM_URL '%s'",
                     n->url);
        goto fail;
    }
    lo_server_add_method(n->srv, NULL, NULL, on_any, n);
    return n;
fail:
    gb_nsm_free(n);
    return NULL;
}

void gb_nsm_free(gb_nsm_t *n)
{
    if (!n)
        return;
    if (n->srv)
        lo_server_free(n->srv);
    if (n->addr)
        lo_address_free(n->addr);
    free(n);
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

int gb_nsm_announce(gb_nsm_t *n, int timeout_ms, gb_error_t *err)
{
    if (lo_send_from(n->addr, n->srv, LO_TT_IMMEDIATE, "/nsm/server/announce", "sssiii",
                     n->app_name, n->caps, n->exe, GB_NSM_API_MAJOR, GB_NSM_API_MINOR,
                     n->pid) < 0)
        return gb_error_set(err, GB_EIO, "cannot send to the session manager at NSM_URL '%s': "
                            "%s", n->url, lo_address_errstr(n->addr));
    double deadline = now_ms() + timeout_ms;
    while (n->announced == 0) {
        double left = deadline - now_ms();
        if (left <= 0)
            return gb_error_set(err, GB_EIO, "no answer from the session manager at NSM_URL "
                                "'%s' within %.1f s (is it running? unset NSM_URL to run "
                                "without one)", n->url, timeout_ms / 1000.0);
        lo_server_recv_noblock(n->srv, (int)left + 1);
    }
    if (n->announced < 0)
        return gb_error_set(err, GB_EINVAL, "the session manager at NSM_URL '%s' refused gbac "
                            "(error %d): %s", n->url, n->refused_code, n->refused_msg);
    return GB_OK;
}

const char *gb_nsm_server_name(const gb_nsm_t *n)
{
    return n->server_name;
}

const char *gb_nsm_server_capabilities(const gb_nsm_t *n)
{
    return n->server_caps;
}

int gb_nsm_port(const gb_nsm_t *n)
{
    return lo_server_get_port(n->srv);
}

int gb_nsm_wait(gb_nsm_t *n, int timeout_ms, gb_nsm_event_t *ev)
{
    double deadline = now_ms() + timeout_ms;
    for (;;) {
        /* Take what is waiting first, so a burst of packets is never left in the socket. */
        while (n->q_len < NSM_QUEUE && lo_server_recv_noblock(n->srv, 0) > 0) {
        }
        if (n->q_len > 0) {
            *ev = n->queue[n->q_head];
            n->q_head = (n->q_head + 1) % NSM_QUEUE;
            n->q_len--;
            return 1;
        }
        double left = deadline - now_ms();
        if (left <= 0)
            return 0;
        lo_server_recv_noblock(n->srv, (int)left + 1);
    }
}

static int sent(int rc)
{
    return rc < 0 ? GB_EIO : GB_OK;
}

int gb_nsm_reply(gb_nsm_t *n, const char *path, const char *msg)
{
    return sent(lo_send_from(n->addr, n->srv, LO_TT_IMMEDIATE, "/reply", "ss", path, msg));
}

int gb_nsm_error(gb_nsm_t *n, const char *path, int code, const char *msg)
{
    return sent(lo_send_from(n->addr, n->srv, LO_TT_IMMEDIATE, "/error", "sis", path, code,
                             msg));
}

int gb_nsm_set_dirty(gb_nsm_t *n, int dirty)
{
    dirty = dirty != 0;
    if (n->dirty_sent == dirty)
        return 0;
    int rc = lo_send_from(n->addr, n->srv, LO_TT_IMMEDIATE,
                          dirty ? "/nsm/client/is_dirty" : "/nsm/client/is_clean", "");
    if (rc < 0)
        return GB_EIO;
    n->dirty_sent = dirty;
    return 1;
}

int gb_nsm_message(gb_nsm_t *n, int priority, const char *text)
{
    return sent(lo_send_from(n->addr, n->srv, LO_TT_IMMEDIATE, "/nsm/client/message", "is",
                             priority, text));
}
