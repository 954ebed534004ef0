/* test_web.c — the browser surface's pure parts: WebSocket messages (OSC as JSON) with their
 * error texts, the access rules (addresses, Host, Origin, token, cookie, file names), and the
 * feed (keyed state, events, cursors, a page that fell behind). The server itself, the page
 * and gbac live are tested in a real browser (web_browser.py).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>

#include "gb_web_access.h"
#include "gb_web_feed.h"
#include "gb_web_msg.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msg_parse), cmocka_unit_test(test_msg_errors),
        cmocka_unit_test(test_msg_format), cmocka_unit_test(test_access),
        cmocka_unit_test(test_feed),   cmocka_unit_test(test_feed_rated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
