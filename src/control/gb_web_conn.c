/* gb_web_conn.c — the web server's connections (libwebsockets callback, server thread):
 * who may connect, the page's files over HTTP, and the pages' WebSocket traffic (see
 * gb_web_server.h, gb_web_access.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gb_web_impl.h"

static gb_web_server_t *server_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

/* ---- access ---- */

static int peer_is_loopback(struct lws *wsi)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    const int fd = lws_get_socket_fd(wsi);
    if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    return gb_web_addr_loopback((struct sockaddr *)&ss, len);
}

static void header(struct lws *wsi, enum lws_token_indexes t, char *buf, int cap)
{
    buf[0] = '\0';
    if (lws_hdr_total_length(wsi, t) >= cap || lws_hdr_copy(wsi, buf, cap, t) < 0)
        buf[0] = '\0';
}

/* The token the request presents (query, then cookie); *from_query says where. */
static int presented_token(struct lws *wsi, char *out, size_t cap, int *from_query)
{
    char buf[256], cookies[1024];
    const char *q = lws_get_urlarg_by_name(wsi, "token=", buf, sizeof buf);
    *from_query = q != NULL;
    if (q) {
        snprintf(out, cap, "%s", q);
        return 0;
    }
    header(wsi, WSI_TOKEN_HTTP_COOKIE, cookies, sizeof cookies);
    return gb_web_cookie_get(cookies, "gbac_token", out, cap);
}

/* May this request be served? A loopback peer that names the loopback as its Host, or
 * anyone with the token; a WebSocket handshake also needs its own origin. */
static int authorised(gb_web_server_t *s, struct lws *wsi, int websocket, int *set_cookie)
{
    char host[256], origin[256], tok[128];
    int from_query = 0;
    header(wsi, WSI_TOKEN_HOST, host, sizeof host);
    const int has_token = presented_token(wsi, tok, sizeof tok, &from_query) == 0 &&
                          gb_web_token_ok(tok, s->token);
    *set_cookie = has_token && from_query;
    if (websocket) {
        header(wsi, WSI_TOKEN_ORIGIN, origin, sizeof origin);
        if (!gb_web_origin_ok(origin, host))
            return 0;
    }
    if (has_token)
        return 1;
    return peer_is_loopback(wsi) && gb_web_host_local(host);
}

/* ---- HTTP: the page's files ---- */

static int http_status(struct lws *wsi, unsigned code, const char *text)
{
    if (lws_return_http_status(wsi, code, text))
        return -1;
    return lws_http_transaction_completed(wsi);
}

/* The file a URI names, or -1 (404). */
static int file_of(gb_web_server_t *s, const char *uri, char *path, size_t cap,
                   const char **mime)
{
    const char *name = NULL, *dir = s->doc_root;
    if (strcmp(uri, "/") == 0) {
        name = s->index;
    } else if (s->cfg.mount_prefix &&
               strncmp(uri, s->mount_prefix, strlen(s->mount_prefix)) == 0) {
        name = uri + strlen(s->mount_prefix);
        dir = s->mount_dir;
    } else {
        name = uri + 1;
    }
    if (!gb_web_file_ok(name, mime))
        return -1;
    if ((size_t)snprintf(path, cap, "%s/%s", dir, name) >= cap)
        return -1;
    return 0;
}

static int serve_http(gb_web_server_t *s, struct lws *wsi, const char *uri)
{
    int set_cookie = 0;
    if (!authorised(s, wsi, 0, &set_cookie)) {
        gb_web_count(&s->stats->http_refused);
        return http_status(wsi, HTTP_STATUS_FORBIDDEN,
                           "gbac: this page needs the token gbac printed when it started "
                           "(token=...): open the address it printed");
    }
    char path[PATH_MAX + 80];
    const char *mime = NULL;
    if (file_of(s, uri, path, sizeof path, &mime) < 0)
        return http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL);
    char hdrs[512];
    int n = snprintf(hdrs, sizeof hdrs,
                     "Cache-Control: no-store\x0d\x0a"
                     "X-Content-Type-Options: nosniff\x0d\x0a"
                     "Referrer-Policy: no-referrer\x0d\x0a"
                     "Content-Security-Policy: default-src 'self'; connect-src 'self'; "
                     "img-src 'self' data:; frame-ancestors 'none'\x0d\x0a");
    if (set_cookie)
        n += snprintf(hdrs + n, sizeof hdrs - (size_t)n,
                      "Set-Cookie: gbac_token=%s; Path=/; HttpOnly; SameSite=Strict\x0d\x0a",
                      s->token);
    const int r = lws_serve_http_file(wsi, path, mime, hdrs, n);
    if (r < 0 || (r > 0 && lws_http_transaction_completed(wsi)))
        return -1;
    return 0;
}

/* ---- WebSocket: pages ---- */

static void queue_chunk(gb_web_server_t *s, gb_web_conn_t *c, const char *text, size_t len,
                        lws_usec_t at)
{
    if (c->queued + len > GB_WEB_QUEUE_BYTES) {
        gb_web_count(&s->stats->fb_dropped);
        return;
    }
    gb_web_chunk_t *k = malloc(sizeof *k + LWS_PRE + len);
    if (!k) {
        gb_web_count(&s->stats->fb_dropped);
        return;
    }
    k->next = NULL;
    k->len = len;
    k->made = (gb_web_mark_t){at, s->run_delay};
    memcpy(k->buf + LWS_PRE, text, len);
    if (c->tail)
        c->tail->next = k;
    else
        c->head = k;
    c->tail = k;
    c->queued += len;
    lws_callback_on_writable(c->wsi);
}

/* A message refused here (never reached the owner): /gbac/error PATH MESSAGE to its page. */
static void refuse(gb_web_server_t *s, gb_web_conn_t *c, long long id, const char *path,
                   const char *why)
{
    gb_web_count(&s->stats->http_errors);
    gb_osc_arg_t a[2] = {{.type = 's', .v.s = path}, {.type = 's', .v.s = why}};
    char *t = gb_web_msg_format(id, "/gbac/error", "ss", a);
    if (t)
        queue_chunk(s, c, t, strlen(t), lws_now_usecs());
    free(t);
}

/* Hand an event to the owner; 0, or -1 when the ring was full. */
static int to_owner(gb_web_server_t *s, gb_web_in_t *in)
{
    if (!gb_ring_push(s->in, &in)) {
        free(in);
        return -1;
    }
    return 0;
}

static void page_event(gb_web_server_t *s, gb_web_conn_t *c, int kind)
{
    gb_web_in_t *in = malloc(sizeof *in);
    if (!in)
        return;
    in->kind = kind;
    in->client = c->id;
    if (to_owner(s, in))
        gb_web_count(&s->stats->fb_dropped);
}

static void page_message(gb_web_server_t *s, gb_web_conn_t *c)
{
    gb_web_in_t *in = malloc(sizeof *in);
    if (!in) {
        refuse(s, c, -1, "", "WebSocket message: out of memory");
        return;
    }
    gb_error_t err = {0};
    if (c->rx_bad) {
        refuse(s, c, -1, "", c->rx_bad == 1 ? "WebSocket message: binary messages are not "
                                              "accepted; send JSON text"
                                            : "WebSocket message: longer than 16384 bytes");
    } else if (gb_web_msg_parse(c->rx, c->rx_len, &in->msg, &err) != GB_OK) {
        refuse(s, c, in->msg.id, in->msg.path, err.msg);
    } else {
        in->kind = GB_WEB_MSG;
        in->client = c->id;
        if (to_owner(s, in))
            refuse(s, c, in->msg.id, in->msg.path, "WebSocket message: gbac is busy (its queue "
                   "is full); message dropped");
        else
            in = NULL;
        if (gb_ring_count(s->in) * 2 >= GB_WEB_IN_RING && !c->paused) {
            c->paused = 1; /* stop reading this page until the owner catches up */
            lws_rx_flow_control(c->wsi, 0);
        }
    }
    free(in);
    c->rx_len = 0;
    c->rx_bad = 0;
}

static void receive(gb_web_server_t *s, gb_web_conn_t *c, const void *data, size_t len)
{
    if (lws_frame_is_binary(c->wsi))
        c->rx_bad = 1;
    if (!c->rx_bad && c->rx_len + len > GB_WEB_MSG_MAX)
        c->rx_bad = 2;
    if (!c->rx_bad) {
        if (!c->rx)
            c->rx = malloc(GB_WEB_MSG_MAX);
        if (!c->rx)
            c->rx_bad = 2;
        else
            memcpy(c->rx + c->rx_len, data, len);
        c->rx_len += c->rx ? len : 0;
    }
    if (lws_is_final_fragment(c->wsi) && lws_remaining_packet_payload(c->wsi) == 0)
        page_message(s, c);
}

static int page_open(gb_web_server_t *s, gb_web_conn_t *c, struct lws *wsi)
{
    int slot = 0;
    while (slot < GB_WEB_MAX_CLIENTS && s->pages[slot])
        slot++;
    if (slot == GB_WEB_MAX_CLIENTS)
        return -1;
    memset(c, 0, sizeof *c);
    c->wsi = wsi;
    c->id = ++s->next_id;
    c->slot = slot;
    c->cursor = gb_web_feed_now(s->feed);
    c->cursor.seq = 0; /* every keyed state (meters, values) now; events from now on */
    c->cursor.rseq = 0;
    s->pages[slot] = c;
    s->n_pages++;
    atomic_store(&s->n_clients, s->n_pages);
    atomic_store_explicit(&s->stats->http_clients, (uint_fast64_t)s->n_pages,
                          memory_order_relaxed);
    page_event(s, c, GB_WEB_OPEN);
    return 0;
}

static void page_close(gb_web_server_t *s, gb_web_conn_t *c)
{
    if (!c->id)
        return;
    page_event(s, c, GB_WEB_CLOSE);
    for (gb_web_chunk_t *k = c->head, *n; k; k = n) {
        n = k->next;
        free(k);
    }
    free(c->rx);
    s->pages[c->slot] = NULL;
    s->n_pages--;
    atomic_store(&s->n_clients, s->n_pages);
    atomic_store_explicit(&s->stats->http_clients, (uint_fast64_t)s->n_pages,
                          memory_order_relaxed);
    memset(c, 0, sizeof *c);
}

/* A write went out carrying things made at `since` or later (the oldest reply or timed post in
 * it): how long that waited from the owner's post or send (an OSC or page message handled, a
 * MIDI change taken from the audio thread, a preset swapped in) to the write. The most is kept
 * since start (http_feed_max_us) and since the owner last cleared it (http_feed_window_us);
 * the same less the time this thread spent waiting for a core meanwhile is gbac's own share
 * (http_feed_own_us). */
static void max_us(atomic_uint_fast64_t *m, uint_fast64_t d)
{
    uint_fast64_t old = atomic_load_explicit(m, memory_order_relaxed);
    while (d > old && !atomic_compare_exchange_weak(m, &old, d)) {
    }
}

static void feed_waited(gb_web_server_t *s, gb_web_mark_t since)
{
    const lws_usec_t d = lws_now_usecs() - since.at;
    if (!since.at || d <= 0)
        return;
    const uint64_t now = gb_web_run_delay(s);
    const uint64_t sched_us = now > since.delay ? (now - since.delay) / 1000 : 0;
    max_us(&s->stats->http_feed_max_us, (uint_fast64_t)d);
    max_us(&s->stats->http_feed_window_us, (uint_fast64_t)d);
    max_us(&s->stats->http_feed_own_us,
           (uint_fast64_t)d > sched_us ? (uint_fast64_t)d - sched_us : 0);
}

/* The replies at the head of c's queue that go into one message: their count, and through
 * *bytes their length joined with commas. */
static int replies_ahead(const gb_web_conn_t *c, size_t *bytes)
{
    int n = 0;
    *bytes = 0;
    for (const gb_web_chunk_t *k = c->head; k; k = k->next) {
        if (n && *bytes + 1 + k->len > GB_WEB_FRAME_REPLIES)
            break;
        *bytes += k->len + (n ? 1 : 0);
        n++;
    }
    return n;
}

/* Take n replies off c's queue into dst, joined with commas; when the oldest was made. */
static gb_web_mark_t take_replies(gb_web_conn_t *c, int n, char *dst)
{
    const gb_web_mark_t made = c->head ? c->head->made : (gb_web_mark_t){0, 0};
    for (int i = 0; i < n; i++) {
        gb_web_chunk_t *k = c->head;
        c->head = k->next;
        if (!c->head)
            c->tail = NULL;
        c->queued -= k->len;
        if (i)
            *dst++ = ',';
        memcpy(dst, k->buf + LWS_PRE, k->len);
        dst += k->len;
        free(k);
    }
    return made;
}

/* The message for c: n queued replies (rlen bytes joined) and the feed's frame (what: urgent
 * or all; none when what < 0), as "[replies..., items...]" at buf + LWS_PRE; *since gets the
 * oldest reply's time. NULL on out of memory. */
static char *join(gb_web_server_t *s, gb_web_conn_t *c, int n, size_t rlen, int what,
                  size_t *len, gb_web_mark_t *since)
{
    size_t flen = 0;
    uint64_t lost = 0;
    const size_t pre = LWS_PRE + (n ? 1 + rlen : 0);
    char *buf = what >= 0 ? gb_web_feed_frame(s->feed, &c->cursor, what, pre, &flen, &lost)
                          : NULL;
    if (lost)
        atomic_fetch_add_explicit(&s->stats->fb_dropped, lost, memory_order_relaxed);
    if (!buf) {
        flen = 0;
        buf = n ? malloc(pre + 2) : NULL;
        if (!buf)
            return NULL;
    }
    *since = (gb_web_mark_t){0, 0};
    if (n) {
        buf[LWS_PRE] = '[';
        *since = take_replies(c, n, buf + LWS_PRE + 1);
        buf[pre] = flen > 2 ? ',' : ']'; /* the frame's '[' becomes the comma */
        if (flen <= 2)
            flen = 1;
    }
    *len = pre - LWS_PRE + flen;
    return buf;
}

/* One write per call: every queued reply (up to GB_WEB_FRAME_REPLIES bytes) and whatever the
 * feed has for the page that may go now: urgent posts at once, the rated keys when its rate
 * allows. A server without rated keys writes each reply alone and the feed when its rate
 * allows (every post waits for it). */
static int page_write(gb_web_server_t *s, gb_web_conn_t *c)
{
    const lws_usec_t now = lws_now_usecs();
    const int due = gb_web_feed_pending(s->feed, &c->cursor) &&
                    now - c->last_frame >= s->frame_us;
    const int urgent = s->cfg.rated_keys && gb_web_feed_urgent(s->feed, &c->cursor);
    if (!c->head && !due && !urgent)
        return 0; /* the tick asks again when the time has come */
    int what = due ? GB_WEB_FRAME_ALL : urgent ? GB_WEB_FRAME_URGENT : -1;
    size_t rlen, len;
    int n = replies_ahead(c, &rlen);
    if (!s->cfg.rated_keys && n) { /* without rated keys, as before: a reply a message */
        n = 1;
        what = -1;
    }
    gb_web_mark_t since = {0, 0};
    char *buf;
    if (n == 1 && what < 0) { /* one reply alone: as it is */
        len = c->head->len;
        buf = malloc(LWS_PRE + len);
        if (buf)
            since = take_replies(c, 1, buf + LWS_PRE);
    } else {
        buf = join(s, c, n, rlen, what, &len, &since);
    }
    if (!buf)
        return 0;
    if (what >= 0) {
        if (!since.at || (c->waiting.at && c->waiting.at < since.at))
            since = c->waiting;
        c->waiting = (gb_web_mark_t){0, 0};
    }
    if (what == GB_WEB_FRAME_ALL)
        c->last_frame = now;
    const int w = lws_write(c->wsi, (unsigned char *)buf + LWS_PRE, len, LWS_WRITE_TEXT);
    free(buf);
    if (w < 0)
        return -1;
    feed_waited(s, since);
    if (c->head || (what < 0 && due) ||
        (s->cfg.rated_keys && gb_web_feed_urgent(s->feed, &c->cursor)))
        lws_callback_on_writable(c->wsi);
    return 0;
}

/* ---- the callback ---- */

static int filter_network(gb_web_server_t *s, void *in)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    const int fd = (int)(lws_intptr_t)in;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0 &&
        gb_web_addr_allowed((struct sockaddr *)&ss, len, s->cfg.allow, s->cfg.n_allow))
        return 0;
    gb_web_count(&s->stats->http_refused);
    return -1; /* closed before a byte is read or written */
}

static int filter_websocket(gb_web_server_t *s, struct lws *wsi)
{
    int set_cookie;
    if (s->n_pages < GB_WEB_MAX_CLIENTS && authorised(s, wsi, 1, &set_cookie))
        return 0;
    gb_web_count(&s->stats->http_refused);
    return -1;
}

int gb_web_conn_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                         void *in, size_t len)
{
    gb_web_server_t *s = server_of(wsi);
    gb_web_conn_t *c = user;
    if (!s)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION: return filter_network(s, in);
    case LWS_CALLBACK_HTTP: return serve_http(s, wsi, in ? (const char *)in : "/");
    case LWS_CALLBACK_HTTP_FILE_COMPLETION:
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: return filter_websocket(s, wsi);
    case LWS_CALLBACK_ESTABLISHED: return page_open(s, c, wsi);
    case LWS_CALLBACK_CLOSED: page_close(s, c); return 0;
    case LWS_CALLBACK_RECEIVE: receive(s, c, in, len); return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE: return c->id ? page_write(s, c) : 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED: gb_web_take_out(s); return 0;
    default: return 0;
    }
}

/* ---- the server thread's housekeeping ---- */

static gb_web_conn_t *page_by_id(gb_web_server_t *s, uint32_t id)
{
    for (int i = 0; i < GB_WEB_MAX_CLIENTS; i++)
        if (s->pages[i] && s->pages[i]->id == id)
            return s->pages[i];
    return NULL;
}

/* Whether a post of key waits for the page's rate: the rated keys, or every post when the
 * server has none (then each is timed as before). */
static int is_rated(const gb_web_server_t *s, const char *key)
{
    const char *r = s->cfg.rated_keys;
    return r && key && strncmp(key, r, strlen(r)) == 0;
}

/* An urgent post at time at (or, without rated keys, any post): every page is asked to write
 * at once (with rated keys) and times it from the oldest such post it has not been sent. */
static void posted_urgent(gb_web_server_t *s, lws_usec_t at)
{
    for (int i = 0; i < GB_WEB_MAX_CLIENTS; i++) {
        gb_web_conn_t *c = s->pages[i];
        if (!c)
            continue;
        if (!c->waiting.at)
            c->waiting = (gb_web_mark_t){at, s->run_delay};
        if (s->cfg.rated_keys)
            lws_callback_on_writable(c->wsi);
    }
}

void gb_web_take_out(gb_web_server_t *s)
{
    atomic_store(&s->wake, 0);
    gb_web_out_t o;
    while (gb_ring_pop(s->out, &o)) {
        if (o.kind == GB_WEB_OUT_SEND) {
            gb_web_conn_t *c = page_by_id(s, o.client);
            if (c)
                queue_chunk(s, c, o.text, strlen(o.text), o.at);
            free(o.text);
        } else if (o.kind == GB_WEB_OUT_POST) {
            const int rated = is_rated(s, o.key);
            if (gb_web_feed_post(s->feed, o.key, o.text) != 0)
                gb_web_count(&s->stats->fb_dropped);
            if (!rated)
                posted_urgent(s, o.at);
        } else {
            gb_web_feed_forget(s->feed, o.key);
            free(o.text);
        }
        free(o.key);
    }
}

void gb_web_tick(lws_sorted_usec_list_t *sul)
{
    gb_web_server_t *s = lws_container_of(sul, gb_web_server_t, tick);
    gb_web_take_out(s);
    const lws_usec_t now = lws_now_usecs();
    const int resume = gb_ring_count(s->in) * 4 < GB_WEB_IN_RING;
    for (int i = 0; i < GB_WEB_MAX_CLIENTS; i++) {
        gb_web_conn_t *c = s->pages[i];
        if (!c)
            continue;
        if (c->paused && resume) {
            c->paused = 0;
            lws_rx_flow_control(c->wsi, 1);
        }
        if (c->head || (s->cfg.rated_keys && gb_web_feed_urgent(s->feed, &c->cursor)) ||
            (gb_web_feed_pending(s->feed, &c->cursor) && now - c->last_frame >= s->frame_us))
            lws_callback_on_writable(c->wsi);
    }
    if (!atomic_load(&s->stop))
        lws_sul_schedule(s->ctx, 0, &s->tick, gb_web_tick, GB_WEB_TICK_US);
}
