/* gb_share.c — finding the files gbac ships.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_share.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef GBAC_SOURCE_DIR
#define GBAC_SOURCE_DIR ""
#endif

static int readable(const char *dir, const char *rel)
{
    char p[4096];
    int n = snprintf(p, sizeof p, "%s/%s", dir, rel);
    return n > 0 && (size_t)n < sizeof p && access(p, R_OK) == 0;
}

/* Append src to the string in dst (cap bytes), cut if it does not fit. */
static void append(char *dst, size_t cap, const char *src)
{
    size_t used = strlen(dst), n = strlen(src);
    if (used + 1 >= cap)
        return;
    if (n > cap - used - 1)
        n = cap - used - 1;
    memcpy(dst + used, src, n);
    dst[used + n] = '\0';
}

int gb_share_dir(const char *probe, char *out, size_t cap, char *tried, size_t tcap)
{
    char cand[4][4096];
    int n = 0;
    const char *env = getenv("GBAC_DATA_DIR");
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (env && *env) /* an explicit setting is the only place looked at */
        snprintf(cand[n++], sizeof cand[0], "%s", env);
    else if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(cand[n++], sizeof cand[0], "%.4000s/../share/gbac", exe);
            snprintf(cand[n++], sizeof cand[0], "%.4000s", exe);
        }
    }
    const char *built_from = GBAC_SOURCE_DIR;
    if (!(env && *env) && built_from[0])
        snprintf(cand[n++], sizeof cand[0], "%s", built_from);
    tried[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (readable(cand[i], probe)) {
            out[0] = '\0';
            append(out, cap, cand[i]);
            return 0;
        }
        if (tried[0])
            append(tried, tcap, ", ");
        append(tried, tcap, cand[i]);
    }
    return -1;
}

int gb_share_file(const char *rel, char *out, size_t cap, char *tried, size_t tcap)
{
    char data[4096];
    if (gb_share_dir(rel, data, sizeof data, tried, tcap) < 0)
        return -1;
    snprintf(out, cap, "%.2040s/%.2040s", data, rel);
    return 0;
}

void gb_share_preset_path(const char *data, const char *arg, char *out, size_t cap)
{
    size_t n = strlen(arg);
    if (strchr(arg, '/') || (n > 5 && strcmp(arg + n - 5, ".json") == 0))
        snprintf(out, cap, "%s", arg);
    else
        snprintf(out, cap, "%s/presets/%s.json", data, arg);
}

void gb_share_resolve(const char *name, const char *probe, char *out, size_t cap)
{
    if (name[0] == '/' || access(name, R_OK) == 0) {
        snprintf(out, cap, "%s", name);
        return;
    }
    char data[4096], tried[8192];
    if (gb_share_dir(probe, data, sizeof data, tried, sizeof tried) == 0)
        snprintf(out, cap, "%.2040s/%.2040s", data, name);
    else
        snprintf(out, cap, "%s", name);
}
