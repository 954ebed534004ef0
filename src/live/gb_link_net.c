/* gb_link_net.c — which network interfaces Ableton Link can use (gb_link_interfaces). Link
 * itself never says that it found none: it scans every 5 s and stays alone. gbac asks the
 * system, so it can tell the performer why no peer shows up.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* getifaddrs */
#endif
#include "gb_link.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int gb_link_interfaces(char *names, size_t cap)
{
    if (names && cap)
        names[0] = '\0';
    struct ifaddrs *all = NULL;
    if (getifaddrs(&all) != 0)
        return 0;
    int n = 0;
    size_t used = 0;
    for (const struct ifaddrs *i = all; i; i = i->ifa_next) {
        if (!i->ifa_addr || !(i->ifa_flags & IFF_UP))
            continue;
        const int fam = i->ifa_addr->sa_family;
        if (fam != AF_INET && fam != AF_INET6)
            continue;
        /* one name per interface, even with an IPv4 and an IPv6 address */
        int seen = 0;
        for (const struct ifaddrs *j = all; j != i; j = j->ifa_next)
            if (j->ifa_addr && (j->ifa_flags & IFF_UP) &&
                (j->ifa_addr->sa_family == AF_INET || j->ifa_addr->sa_family == AF_INET6) &&
                strcmp(j->ifa_name, i->ifa_name) == 0)
                seen = 1;
        if (seen)
            continue;
        n++;
        if (names && used + 1 < cap) {
            int w = snprintf(names + used, cap - used, "%s%s", used ? ", " : "", i->ifa_name);
            used = w > 0 && (size_t)w < cap - used ? used + (size_t)w : cap - 1;
        }
    }
    freeifaddrs(all);
    return n;
}
