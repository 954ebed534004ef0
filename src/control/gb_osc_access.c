/* gb_osc_access.c — who may send to the OSC server: IPv4 networks (see gb_osc_server.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <arpa/inet.h>
#include <string.h>

#include "gb_osc_server.h"

int gb_cidr_parse(const char *str, gb_cidr_t *out)
{
    if (!str || !out)
        return GB_EINVAL;
    char ip[32];
    const char *slash = strchr(str, '/');
    size_t n = slash ? (size_t)(slash - str) : strlen(str);
    if (n == 0 || n >= sizeof ip)
        return GB_EINVAL;
    memcpy(ip, str, n);
    ip[n] = '\0';
    struct in_addr a;
    if (inet_pton(AF_INET, ip, &a) != 1)
        return GB_EINVAL;
    int prefix = 32;
    if (slash) {
        const char *p = slash + 1;
        if (*p < '0' || *p > '9')
            return GB_EINVAL;
        prefix = 0;
        for (; *p; p++) {
            if (*p < '0' || *p > '9' || prefix > 32)
                return GB_EINVAL;
            prefix = prefix * 10 + (*p - '0');
        }
        if (prefix > 32 || strlen(slash + 1) > 2)
            return GB_EINVAL;
    }
    out->addr = ntohl(a.s_addr);
    out->prefix = prefix;
    return 0;
}

int gb_cidr_match(const gb_cidr_t *net, uint32_t ip)
{
    if (!net || net->prefix < 0 || net->prefix > 32)
        return 0;
    uint32_t mask = net->prefix == 0 ? 0u : 0xFFFFFFFFu << (32 - net->prefix);
    return (ip & mask) == (net->addr & mask);
}

/* The IPv4 address of a sender as liblo names it ("127.0.0.1", or "::ffff:127.0.0.1" from a
 * dual-stack socket; "::1" counts as 127.0.0.1). */
static int sender_ipv4(const char *host, uint32_t *ip)
{
    if (!host)
        return -1;
    if (strncmp(host, "::ffff:", 7) == 0)
        host += 7;
    if (strcmp(host, "::1") == 0)
        host = "127.0.0.1";
    struct in_addr a;
    if (inet_pton(AF_INET, host, &a) != 1)
        return -1;
    *ip = ntohl(a.s_addr);
    return 0;
}

int gb_osc_sender_allowed(const gb_cidr_t *allow, int n_allow, const char *host)
{
    uint32_t ip;
    if (sender_ipv4(host, &ip))
        return 0;
    if (n_allow == 0) {
        const gb_cidr_t loopback = {0x7F000000u, 8};
        return gb_cidr_match(&loopback, ip);
    }
    for (int i = 0; i < n_allow; i++)
        if (gb_cidr_match(&allow[i], ip))
            return 1;
    return 0;
}
