/* gb_osc_reply.h — the last OSC reply gbac sent a test's liblo server, kept in one place for
 * every test that drives `gbac live` over OSC: register gbt_osc_on_reply for every path
 * (lo_server_add_method(srv, NULL, NULL, gbt_osc_on_reply, NULL)) and read reply_path,
 * reply_text and reply_value after lo_server_recv_noblock.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_OSC_REPLY_H
#define GB_OSC_REPLY_H

#include <lo/lo.h>
#include <stdio.h>
#include <string.h>

/* The last reply: its path; its first string argument, or "PATH: WHY" when the first two are
 * strings (/gbac/error s s); its first float argument (0 when none). */
static char reply_path[64], reply_text[8192];
static double reply_value;

/* liblo hands arguments that are only 4-byte aligned: read them by address and memcpy, never
 * through lo_arg's members (UBSan reports a misaligned access). */
static inline int gbt_osc_on_reply(const char *path, const char *types, lo_arg **argv,
                                   int argc, lo_message msg, void *user)
{
    (void)msg;
    (void)user;
    snprintf(reply_path, sizeof reply_path, "%s", path);
    reply_text[0] = '\0';
    reply_value = 0.0;
    if (argc >= 1 && types[0] == 's')
        snprintf(reply_text, sizeof reply_text, "%s", (const char *)argv[0]);
    if (argc >= 2 && types[0] == 's' && types[1] == 's')
        snprintf(reply_text, sizeof reply_text, "%s: %s", (const char *)argv[0],
                 (const char *)argv[1]);
    if (argc >= 1 && types[0] == 'f') {
        float f;
        memcpy(&f, argv[0], sizeof f);
        reply_value = f;
    }
    return 0;
}

#endif
