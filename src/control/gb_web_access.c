/* gb_web_access.c — who may use the browser surface (see gb_web_access.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_web_access.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

/* The IPv4 address of a peer (host byte order), also from an IPv4-mapped IPv6 one. */
static int peer_ipv4(const struct sockaddr *sa, socklen_t len, uint32_t *ip)
{
    if (!sa)
        return -1;
    if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        *ip = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
        return 0;
    }
    if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (!IN6_IS_ADDR_V4MAPPED(a))
            return -1;
        const uint8_t *b = a->s6_addr + 12;
        *ip = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        return 0;
    }
    return -1;
}

int gb_web_addr_loopback(const struct sockaddr *sa, socklen_t len)
{
    uint32_t ip;
    if (peer_ipv4(sa, len, &ip) == 0)
        return (ip >> 24) == 127;
    return sa && sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6) &&
           IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

int gb_web_addr_allowed(const struct sockaddr *sa, socklen_t len, const gb_cidr_t *allow,
                        int n)
{
    if (gb_web_addr_loopback(sa, len))
        return 1;
    uint32_t ip;
    if (peer_ipv4(sa, len, &ip))
        return 0;
    for (int i = 0; i < n; i++)
        if (gb_cidr_match(&allow[i], ip))
            return 1;
    return 0;
}

int gb_web_host_local(const char *host)
{
    if (!host || !*host)
        return 0;
    char name[80];
    size_t n = strlen(host);
    if (n >= sizeof name)
        return 0;
    memcpy(name, host, n + 1);
    if (name[0] == '[') { /* [::1] or [::1]:port */
        char *close = strchr(name, ']');
        if (!close || (close[1] && close[1] != ':'))
            return 0;
        *close = '\0';
        return strcmp(name + 1, "::1") == 0;
    }
    char *colon = strchr(name, ':');
    if (colon) {
        if (!colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1))
            return 0;
        *colon = '\0';
    }
    if (strcasecmp(name, "localhost") == 0)
        return 1;
    struct in_addr a;
    return inet_pton(AF_INET, name, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

int gb_web_origin_ok(const char *origin, const char *host)
{
    if (!origin || !*origin)
        return 1;
    if (!host || !*host || strncasecmp(origin, "http://", 7) != 0)
        return 0;
    return strcasecmp(origin + 7, host) == 0;
}

int gb_web_token_ok(const char *given, const char *token)
{
    if (!given || !token)
        return 0;
    const size_t n = strlen(token);
    if (n == 0 || strlen(given) != n)
        return 0;
    unsigned diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)given[i] ^ (unsigned char)token[i];
    return diff == 0;
}

int gb_web_cookie_get(const char *cookies, const char *name, char *out, size_t cap)
{
    if (!cookies || !name || !out || cap == 0)
        return -1;
    const size_t nl = strlen(name);
    for (const char *p = cookies; *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        const size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            const size_t vl = len - nl - 1;
            if (vl >= cap)
                return -1;
            memcpy(out, p + nl + 1, vl);
            out[vl] = '\0';
            return 0;
        }
        p += len;
    }
    return -1;
}

int gb_web_token_new(char *out)
{
    unsigned char b[GB_WEB_TOKEN_LEN / 2];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t r = getrandom(b + got, sizeof b - got, 0);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    for (size_t i = 0; i < sizeof b; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    return 0;
}

static const struct {
    const char *ext, *mime;
} mimes[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".json", "application/json"},
    {".wav", "audio/wav"},
    {".flac", "audio/flac"},
};

int gb_web_file_ok(const char *name, const char **mime)
{
    if (!name)
        return 0;
    const size_t n = strlen(name);
    if (n == 0 || n > 64 || name[0] == '.' ||
        strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != n)
        return 0;
    for (size_t i = 0; i < sizeof mimes / sizeof mimes[0]; i++) {
        const size_t e = strlen(mimes[i].ext);
        if (n > e && strcmp(name + n - e, mimes[i].ext) == 0) {
            if (mime)
                *mime = mimes[i].mime;
            return 1;
        }
    }
    return 0;
}
