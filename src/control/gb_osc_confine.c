/* gb_osc_confine.c — file names from OSC confined to a folder (see gb_osc_confine.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* realpath */
#endif
#include "gb_osc_confine.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Whether path is dir itself or inside it (both already resolved by realpath). */
static int inside(const char *dir, const char *path)
{
    size_t n = strlen(dir);
    if (strncmp(dir, path, n) != 0)
        return 0;
    return path[n] == '/' || (n == 1 && dir[0] == '/');
}

/* The name's own rules, before the file system is asked. */
static int name_ok(const char *name, char *why, size_t wcap)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len > 255) {
        snprintf(why, wcap, "a name of 1..255 characters is expected");
        return 0;
    }
    if (name[0] == '/') {
        snprintf(why, wcap, "'%s' is an absolute path; give a name relative to the folder",
                 name);
        return 0;
    }
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == '\\') {
            snprintf(why, wcap, "the name contains a control character or a backslash");
            return 0;
        }
    for (const char *c = name; *c;) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if (n == 2 && c[0] == '.' && c[1] == '.') {
            snprintf(why, wcap, "'%s' contains '..'; names must stay inside the folder", name);
            return 0;
        }
        c += n + (e ? 1 : 0);
    }
    if (name[len - 1] == '/') {
        snprintf(why, wcap, "'%s' names a folder, not a file", name);
        return 0;
    }
    return 1;
}

/* An existing candidate (maybe a symlink): where it really goes must be inside droot. */
static int resolve_existing(const char *droot, const char *cand, const char *name, char *out,
                            size_t cap, char *why, size_t wcap)
{
    char real[PATH_MAX];
    if (!realpath(cand, real) || !inside(droot, real)) {
        snprintf(why, wcap, "'%s' resolves outside %s", name, droot);
        return -1;
    }
    snprintf(out, cap, "%s", real);
    return 0;
}

/* A new file: its folder must exist inside droot. cand is modified. */
static int resolve_new(const char *droot, char *cand, const char *name, char *out, size_t cap,
                       char *why, size_t wcap)
{
    char real[PATH_MAX];
    char *slash = strrchr(cand, '/');
    *slash = '\0';
    if (!realpath(cand, real)) {
        snprintf(why, wcap, "the folder of '%s' does not exist in %s", name, droot);
        return -1;
    }
    if (strcmp(real, droot) != 0 && !inside(droot, real)) {
        snprintf(why, wcap, "'%s' resolves outside %s", name, droot);
        return -1;
    }
    int n = snprintf(out, cap, "%s/%s", real, slash + 1);
    if (n < 0 || (size_t)n >= cap) {
        snprintf(why, wcap, "the path is too long");
        return -1;
    }
    return 0;
}

int gb_osc_confine(const char *dir, const char *name, const char *ext, int must_exist,
                   char *out, size_t cap, char *why, size_t wcap)
{
    if (!dir || !dir[0]) {
        snprintf(why, wcap, "no folder is configured for it");
        return -1;
    }
    if (!name_ok(name, why, wcap))
        return -1;
    char droot[PATH_MAX];
    if (!realpath(dir, droot)) {
        snprintf(why, wcap, "the folder %s is not usable (%s)", dir, strerror(errno));
        return -1;
    }
    const size_t len = strlen(name), el = ext ? strlen(ext) : 0;
    const int add_ext = el && (len < el || strcmp(name + len - el, ext) != 0);
    char cand[PATH_MAX + 300];
    snprintf(cand, sizeof cand, "%s/%s%s", droot, name, add_ext ? ext : "");
    struct stat st;
    if (must_exist) {
        if (stat(cand, &st) != 0) {
            snprintf(why, wcap, "'%s' not found in %s", name, droot);
            return -1;
        }
        return resolve_existing(droot, cand, name, out, cap, why, wcap);
    }
    if (lstat(cand, &st) == 0)
        return resolve_existing(droot, cand, name, out, cap, why, wcap);
    return resolve_new(droot, cand, name, out, cap, why, wcap);
}
