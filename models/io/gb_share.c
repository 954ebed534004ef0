/* gb_share.c — finding the files gbac ships, relative to the executable.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_share.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The install layout, relative to the folder of the installed binary; CMake passes these
 * from GNUInstallDirs (bindir → datadir/gbac, bindir → libdir/gbac/plugins). */
#ifndef GBAC_REL_DATADIR
#define GBAC_REL_DATADIR "../share/gbac"
#endif
#ifndef GBAC_REL_PLUGINDIR
#define GBAC_REL_PLUGINDIR "../lib/gbac/plugins"
#endif
/* A build tree keeps build/gbac with its data in build/share/gbac (made by CMake). */
#define GB_BUILD_DATADIR "share/gbac"

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

/* rel joined to the executable's folder. /proc/self/exe is already free of symlinks and
 * "..", so leading "../" of rel can be taken off the folder by text: /opt/g/bin + ../share
 * is /opt/g/share. Returns 0, or -1 if the executable's path is unknown or too long. */
static int exe_relative(const char *rel, char *out, size_t cap)
{
    char dir[4096];
    ssize_t len = readlink("/proc/self/exe", dir, sizeof dir - 1);
    if (len <= 0 || (size_t)len >= sizeof dir - 1)
        return -1;
    dir[len] = '\0';
    char *slash = strrchr(dir, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    while (strncmp(rel, "../", 3) == 0) {
        if ((slash = strrchr(dir, '/')) != NULL)
            *slash = '\0';
        rel += 3;
    }
    int n = snprintf(out, cap, "%s/%s", dir, rel);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

int gb_share_dir(const char *probe, char *out, size_t cap, char *tried, size_t tcap)
{
    char cand[2][4096];
    int n = 0;
    const char *env = getenv("GBAC_DATA_DIR");
    if (env && *env) { /* an explicit setting is the only place looked at */
        snprintf(cand[n++], sizeof cand[0], "%s", env);
    } else {
        if (exe_relative(GBAC_REL_DATADIR, cand[n], sizeof cand[0]) == 0)
            n++;
        if (exe_relative(GB_BUILD_DATADIR, cand[n], sizeof cand[0]) == 0)
            n++;
    }
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
        if (env && *env)
            append(tried, tcap, " (GBAC_DATA_DIR)");
    }
    if (n == 0)
        append(tried, tcap, "(nowhere: the executable's path is unknown; set GBAC_DATA_DIR)");
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

int gb_share_plugin_dir(char *out, size_t cap)
{
    return exe_relative(GBAC_REL_PLUGINDIR, out, cap);
}

void gb_share_preset_path(const char *data, const char *arg, char *out, size_t cap)
{
    size_t n = strlen(arg);
    if (strchr(arg, '/') || (n > 5 && strcmp(arg + n - 5, ".json") == 0))
        snprintf(out, cap, "%s", arg);
    else
        snprintf(out, cap, "%s/presets/%s.json", data, arg);
}

int gb_share_preset(const char *arg, char *out, size_t cap, char *tried, size_t tcap)
{
    size_t n = strlen(arg);
    if (strchr(arg, '/') || (n > 5 && strcmp(arg + n - 5, ".json") == 0)) {
        snprintf(out, cap, "%s", arg);
        return 0;
    }
    char probe[300], data[4096];
    snprintf(probe, sizeof probe, "presets/%.200s.json", arg);
    if (gb_share_dir(probe, data, sizeof data, tried, tcap) < 0)
        return -1;
    gb_share_preset_path(data, arg, out, cap);
    return 0;
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
