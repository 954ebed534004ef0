/* test_web.c — the browser surface's pure parts: WebSocket messages (OSC as JSON) with their
 * error texts, the access rules (addresses, Host, Origin, token, cookie, file names), and the
 * feed (keyed state, events, cursors, a page that fell behind); and the server without rated
 * keys (`gbac listen-test`'s page) against a WebSocket client written here: a reply a message,
 * feed frames at the rate limit (~1 s). The live host's server, the page and gbac live are
 * tested in a real browser (web_browser.py).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gb_web_access.h"
#include "gb_web_feed.h"
#include "gb_web_msg.h"
#include "gb_web_server.h"

static void parse_ok(const char *text, gb_web_msg_t *m)
{
    gb_error_t err = {0};
    int rc = gb_web_msg_parse(text, strlen(text), m, &err);
    if (rc != GB_OK)
        fail_msg("%s: %s", text, err.msg);
}

/* Refused, with a message that contains `want`; len 0: strlen(text). */
static void parse_bad(const char *text, size_t len, const char *want)
{
    if (len == 0)
        len = strlen(text);
    gb_web_msg_t m;
    gb_error_t err = {0};
    assert_int_equal(gb_web_msg_parse(text, len, &m, &err), GB_EFORMAT);
    if (!strstr(err.msg, want) || strncmp(err.msg, "WebSocket message: ", 19) != 0)
        fail_msg("%.60s: got \"%s\", want \"%s\"", text, err.msg, want);
}

static void test_msg_parse(void **state)
{
    (void)state;
    gb_web_msg_t m;
    parse_ok("{\"path\":\"/gbac/param/delay/mix\",\"types\":\"f\",\"args\":[0.3],\"id\":7}", &m);
    assert_string_equal(m.path, "/gbac/param/delay/mix");
    assert_string_equal(m.types, "f");
    assert_int_equal(m.argc, 1);
    assert_true(m.num[0].v.f == 0.3f);
    assert_int_equal(m.id, 7);
    parse_ok("{\"path\":\"/gbac/rate\",\"args\":[\"melody\",\"like\"]}", &m);
    assert_string_equal(m.types, "ss");
    assert_int_equal(m.id, -1);
    gb_osc_arg_t argv[GB_OSC_MAX_ARGS];
    gb_osc_msg_t om;
    gb_web_msg_view(&m, &om, argv);
    assert_string_equal(om.types, "ss");
    assert_string_equal(argv[1].v.s, "like");
    parse_ok("{\"path\":\"/x\",\"args\":[3, 5000000000, 2.5]}", &m);
    assert_string_equal(m.types, "ihd");
    assert_true(m.num[1].v.h == 5000000000LL);
    parse_ok("{\"path\":\"/x\",\"types\":\"i\",\"args\":[4.0]}", &m);
    assert_int_equal(m.num[0].v.i, 4);
}

static void test_msg_errors(void **state)
{
    (void)state;
    parse_bad("nope", 0, "not JSON");
    parse_bad("[1]", 0, "expected a JSON object");
    parse_bad("{\"args\":[]}", 0, "\"path\" is missing");
    parse_bad("{\"path\":\"x\"}", 0, "must start with '/'");
    parse_bad("{\"path\":\"/a b\"}", 0, "not printable ASCII");
    parse_bad("{\"path\":\"/x\",\"y\":1}", 0, "unknown key \"y\"");
    parse_bad("{\"path\":\"/x\",\"types\":\"i\",\"args\":[2.5]}", 0,
              "args[0]: 2.5 is not a whole number (type 'i')");
    parse_bad("{\"path\":\"/x\",\"types\":\"f\",\"args\":[1e300]}", 0, "does not fit type 'f'");
    parse_bad("{\"path\":\"/x\",\"types\":\"ff\",\"args\":[1]}", 0, "has 2 tags but");
    parse_bad("{\"path\":\"/x\",\"types\":\"b\",\"args\":[1]}", 0, "known tags are");
    parse_bad("{\"path\":\"/x\",\"args\":[null]}", 0, "args[0] is null");
    parse_bad("{\"path\":\"/x\",\"args\":[\"a\\u0000b\"]}", 0, "NUL");
    parse_bad("{\"path\":\"/x\",\"id\":-1}", 0, "\"id\" must be");
    parse_bad("{\"path\":\"/x\",\"path\":\"/y\"}", 0, "not JSON");
    char big[GB_WEB_MSG_MAX + 2];
    memset(big, ' ', sizeof big);
    parse_bad(big, sizeof big, "bytes (at most 16384)");
    gb_web_msg_t m;
    gb_error_t err = {0};
    const char *t = "{\"id\":12,\"path\":\"/x\",\"types\":\"i\",\"args\":[0.5]}";
    assert_int_equal(gb_web_msg_parse(t, strlen(t), &m, &err), GB_EFORMAT);
    assert_int_equal(m.id, 12); /* the error reply can carry it */
}

static void test_msg_format(void **state)
{
    (void)state;
    gb_osc_arg_t a[3] = {{.type = 'f', .v.f = 0.3f}, {.type = 'i', .v.i = -2},
                         {.type = 's', .v.s = "a\"b\xff"}};
    char *t = gb_web_msg_format(5, "/gbac/x", "fiTs", a);
    assert_string_equal(t, "{\"id\":5,\"path\":\"/gbac/x\",\"args\":[0.3,-2,true,\"a\\\"b?\"]}");
    free(t);
}

static struct sockaddr_in v4(const char *ip)
{
    struct sockaddr_in s = {.sin_family = AF_INET};
    inet_pton(AF_INET, ip, &s.sin_addr);
    return s;
}

static void test_access(void **state)
{
    (void)state;
    gb_cidr_t net;
    assert_int_equal(gb_cidr_parse("192.168.1.0/24", &net), GB_OK);
    struct sockaddr_in lo = v4("127.0.0.9"), in = v4("192.168.1.77"), out = v4("192.168.2.1");
    const socklen_t n = sizeof lo;
    assert_true(gb_web_addr_allowed((struct sockaddr *)&lo, n, NULL, 0));
    assert_true(gb_web_addr_allowed((struct sockaddr *)&in, n, &net, 1));
    assert_false(gb_web_addr_allowed((struct sockaddr *)&out, n, &net, 1));
    assert_false(gb_web_addr_allowed((struct sockaddr *)&in, n, NULL, 0));
    assert_true(gb_web_host_local("127.0.0.1:8080"));
    assert_true(gb_web_host_local("LOCALHOST:1"));
    assert_true(gb_web_host_local("[::1]:80"));
    assert_false(gb_web_host_local("evil.example:8080"));
    assert_false(gb_web_host_local("127.0.0.1.evil.example"));
    assert_false(gb_web_host_local("127.0.0.1:80x"));
    assert_true(gb_web_origin_ok(NULL, "127.0.0.1:80"));
    assert_true(gb_web_origin_ok("http://127.0.0.1:80", "127.0.0.1:80"));
    assert_false(gb_web_origin_ok("http://evil.example", "127.0.0.1:80"));
    assert_false(gb_web_origin_ok("https://127.0.0.1:80", "127.0.0.1:80"));
    char tok[GB_WEB_TOKEN_LEN + 1], tok2[GB_WEB_TOKEN_LEN + 1], c[64];
    assert_int_equal(gb_web_token_new(tok), 0);
    assert_int_equal(gb_web_token_new(tok2), 0);
    assert_int_equal((int)strlen(tok), GB_WEB_TOKEN_LEN);
    assert_string_not_equal(tok, tok2);
    assert_true(gb_web_token_ok(tok, tok));
    assert_false(gb_web_token_ok(tok2, tok));
    assert_false(gb_web_token_ok("", tok));
    assert_int_equal(gb_web_cookie_get("a=1; gbac_token=abc; b=2", "gbac_token", c, sizeof c),
                     0);
    assert_string_equal(c, "abc");
    assert_int_equal(gb_web_cookie_get("xgbac_token=abc", "gbac_token", c, sizeof c), -1);
    const char *mime = NULL;
    assert_true(gb_web_file_ok("gbac.js", &mime));
    assert_string_equal(mime, "text/javascript; charset=utf-8");
    assert_false(gb_web_file_ok("../gbac.js", NULL));
    assert_false(gb_web_file_ok(".hidden.js", NULL));
    assert_false(gb_web_file_ok("gbac.err", NULL));
}

static void test_feed(void **state)
{
    (void)state;
    gb_web_feed_t *f = gb_web_feed_new(4, 3);
    gb_web_cursor_t fresh = gb_web_feed_now(f);
    assert_int_equal(gb_web_feed_post(f, "/a", strdup("{\"a\":1}")), 0);
    assert_int_equal(gb_web_feed_post(f, NULL, strdup("{\"e\":1}")), 0);
    assert_int_equal(gb_web_feed_post(f, "/a", strdup("{\"a\":2}")), 0); /* replaces */
    size_t len;
    uint64_t lost;
    char *t = gb_web_feed_frame(f, &fresh, GB_WEB_FRAME_ALL, 4, &len, &lost);
    assert_string_equal(t + 4, "[{\"e\":1},{\"a\":2}]");
    assert_int_equal(len, strlen(t + 4));
    free(t);
    assert_null(gb_web_feed_frame(f, &fresh, GB_WEB_FRAME_ALL, 0, &len, &lost)); /* nothing new */
    gb_web_cursor_t slow = gb_web_feed_now(f);
    for (int i = 2; i <= 6; i++) {
        char b[32];
        snprintf(b, sizeof b, "{\"e\":%d}", i);
        gb_web_feed_post(f, NULL, strdup(b));
    }
    assert_int_equal(gb_web_feed_events(f), 3);
    t = gb_web_feed_frame(f, &slow, GB_WEB_FRAME_ALL, 0, &len, &lost);
    assert_int_equal(lost, 2);
    assert_string_equal(t, "[{\"path\":\"/web/lost\",\"args\":[2]},{\"e\":4},{\"e\":5},{\"e\":6}]");
    free(t);
    for (int i = 0; i < 3; i++) {
        char k[8];
        snprintf(k, sizeof k, "/k%d", i);
        assert_int_equal(gb_web_feed_post(f, k, strdup("{}")), 0);
    }
    assert_int_equal(gb_web_feed_post(f, "/full", strdup("{}")), -1); /* 4 keys at most */
    gb_web_feed_forget(f, "/k");
    assert_int_equal(gb_web_feed_keys(f), 1);
    gb_web_feed_free(f);
}

/* The rated keys (meters) wait for a full frame; an urgent frame carries everything else and
 * leaves them pending; a full frame then carries them, in posting order. */
static void test_feed_rated(void **state)
{
    (void)state;
    gb_web_feed_t *f = gb_web_feed_new(8, 8);
    gb_web_feed_rate(f, "/m");
    gb_web_cursor_t c = gb_web_feed_now(f);
    size_t len;
    uint64_t lost;
    assert_int_equal(gb_web_feed_post(f, "/meter", strdup("{\"m\":1}")), 0);
    assert_true(gb_web_feed_pending(f, &c));
    assert_false(gb_web_feed_urgent(f, &c));
    assert_null(gb_web_feed_frame(f, &c, GB_WEB_FRAME_URGENT, 0, &len, &lost));
    assert_int_equal(gb_web_feed_post(f, "/p", strdup("{\"p\":1}")), 0);
    assert_int_equal(gb_web_feed_post(f, NULL, strdup("{\"e\":1}")), 0);
    assert_int_equal(gb_web_feed_post(f, "/meter", strdup("{\"m\":2}")), 0);
    assert_true(gb_web_feed_urgent(f, &c));
    char *t = gb_web_feed_frame(f, &c, GB_WEB_FRAME_URGENT, 0, &len, &lost);
    assert_string_equal(t, "[{\"p\":1},{\"e\":1}]");
    free(t);
    assert_false(gb_web_feed_urgent(f, &c));
    assert_true(gb_web_feed_pending(f, &c)); /* the meter still waits */
    assert_int_equal(gb_web_feed_post(f, "/p", strdup("{\"p\":2}")), 0);
    t = gb_web_feed_frame(f, &c, GB_WEB_FRAME_ALL, 0, &len, &lost);
    assert_string_equal(t, "[{\"m\":2},{\"p\":2}]");
    free(t);
    assert_false(gb_web_feed_pending(f, &c));
    gb_web_feed_free(f);
}

/* ---- the server without rated keys, from a WebSocket client ---- */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* n bytes from fd before the monotonic time `until`; 0, or -1 (timeout, closed). */
static int read_full(int fd, void *buf, size_t n, double until)
{
    for (size_t got = 0; got < n;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        const double left = until - now_s();
        if (left < 0.0 || poll(&p, 1, (int)(left * 1000.0) + 1) != 1) /* 1 ms at least */
            return -1;
        const ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

/* A WebSocket connection to the server on 127.0.0.1:port (protocol "gbac"), handshake done. */
static int ws_connect(int port)
{
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = v4("127.0.0.1");
    a.sin_port = htons((uint16_t)port);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    char req[512], resp[4096];
    const int n = snprintf(req, sizeof req,
                           "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: gbac\r\n\r\n",
                           port);
    assert_int_equal(write(fd, req, (size_t)n), n);
    size_t len = 0; /* byte by byte: a frame may follow the headers at once */
    while (len < 4 || memcmp(resp + len - 4, "\r\n\r\n", 4) != 0) {
        assert_true(len < sizeof resp - 1);
        assert_int_equal(read_full(fd, resp + len++, 1, now_s() + 10.0), 0);
    }
    resp[len] = '\0';
    if (strncmp(resp, "HTTP/1.1 101", 12) != 0)
        fail_msg("WebSocket handshake refused: %s", resp);
    return fd;
}

/* The next text message (malloc'd), or NULL when none began within wait_s. */
static char *ws_read(int fd, double wait_s)
{
    unsigned char h[8];
    if (read_full(fd, h, 2, now_s() + wait_s) != 0)
        return NULL;
    const double until = now_s() + 10.0; /* the rest of a message that began */
    uint64_t len = h[1] & 0x7f;
    const size_t ext = len == 126 ? 2 : len == 127 ? 8 : 0;
    assert_int_equal(h[1] & 0x80, 0); /* a server does not mask */
    assert_int_equal(read_full(fd, h, ext, until), 0);
    for (size_t i = 0; ext && i < ext; i++)
        len = (i ? len : 0) << 8 | h[i];
    assert_true(len < (1u << 20));
    char *t = malloc((size_t)len + 1);
    assert_non_null(t);
    assert_int_equal(read_full(fd, t, (size_t)len, until), 0);
    t[len] = '\0';
    return t;
}

/* The id of the first page that connects, waiting for it at most 10 s. */
static uint32_t page_opened(gb_web_server_t *s)
{
    for (const double until = now_s() + 10.0; now_s() < until;) {
        gb_web_in_t *in = gb_web_server_recv(s);
        const uint32_t id = in && in->kind == GB_WEB_OPEN ? in->client : 0;
        gb_web_in_free(in);
        if (id)
            return id;
        if (!in)
            nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    fail_msg("no page opened within 10 s");
    return 0;
}

static char *text_of(const char *fmt, int v)
{
    char b[96];
    snprintf(b, sizeof b, fmt, v);
    return strdup(b);
}

/* Replies sent at once arrive one a message, each exactly as sent, in order; a feed post sent
 * among them comes in a frame of its own. */
static void unrated_replies(gb_web_server_t *s, uint32_t id, int fd)
{
    const char *reply = "{\"id\":%d,\"path\":\"/gbac/ok\",\"args\":[]}";
    enum { N = 40 };
    for (int i = 0; i < N; i++) {
        if (i == N / 2)
            gb_web_server_post(s, "/gbac/param/a", strdup("{\"path\":\"/gbac/param/a\","
                                                           "\"args\":[0.5]}"));
        assert_int_equal(gb_web_server_send(s, id, text_of(reply, i)), GB_OK);
    }
    int replies = 0, frames = 0;
    while (replies < N || frames < 1) {
        char *t = ws_read(fd, 10.0);
        if (!t)
            fail_msg("10 s without a message: %d of %d replies, %d frames", replies, N, frames);
        if (t[0] == '[') {
            assert_string_equal(t, "[{\"path\":\"/gbac/param/a\",\"args\":[0.5]}]");
            frames++;
        } else {
            char *want = text_of(reply, replies++);
            assert_string_equal(t, want);
            free(want);
        }
        free(t);
    }
    assert_int_equal(replies, N);
    assert_int_equal(frames, 1);
}

/* A value posted every millisecond: the page gets at most one frame per 1/max_rate s (the
 * first at once), each with the value's latest text, the last one included. */
static void unrated_rate(gb_web_server_t *s, int fd, double max_rate)
{
    const char *value = "{\"path\":\"/gbac/param/b\",\"args\":[%d]}";
    const double t0 = now_s();
    int frames = 0, posts = 0;
    while (frames < 10) {
        assert_true(now_s() - t0 < 30.0);
        gb_web_server_post(s, "/gbac/param/b", text_of(value, posts++));
        char *t = ws_read(fd, 0.001);
        if (t && t[0] != '[')
            fail_msg("a feed frame is a JSON array: %s", t);
        frames += t != NULL;
        free(t);
    }
    gb_web_server_post(s, "/gbac/param/b", text_of(value, -1));
    char *t = NULL, *last = text_of("[{\"path\":\"/gbac/param/b\",\"args\":[%d]}]", -1);
    for (int done = 0; !done; frames++) {
        free(t);
        t = ws_read(fd, 10.0);
        assert_non_null(t);
        done = strcmp(t, last) == 0;
    }
    free(t);
    free(last);
    const double span = now_s() - t0, allowed = 1.0 + span * max_rate;
    print_message("no rated keys: %d frames for %d posts in %.3f s (at most %.1f at %g a "
                  "second)\n", frames, posts + 1, span, allowed, max_rate);
    assert_true(frames <= allowed);
    assert_true(posts > frames); /* frames carry the latest value, not every post */
}

/* A server whose config has no rated_keys (`gbac listen-test`): replies one a message, feed
 * frames at max_rate. */
static void test_server_unrated(void **state)
{
    (void)state;
    const double max_rate = 20.0;
    gb_web_server_config_t cfg = gb_web_server_config_default();
    cfg.doc_root = ".";
    cfg.max_rate = max_rate;
    cfg.rated_keys = NULL;
    gb_error_t err = {0};
    gb_web_server_t *s = gb_web_server_new(&cfg, &err);
    if (!s)
        fail_msg("web server: %s", err.msg);
    const int fd = ws_connect(gb_web_server_port(s));
    const uint32_t id = page_opened(s);
    unrated_replies(s, id, fd);
    unrated_rate(s, fd, max_rate);
    close(fd);
    gb_web_server_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msg_parse), cmocka_unit_test(test_msg_errors),
        cmocka_unit_test(test_msg_format), cmocka_unit_test(test_access),
        cmocka_unit_test(test_feed),   cmocka_unit_test(test_feed_rated),
        cmocka_unit_test(test_server_unrated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
