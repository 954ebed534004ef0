/* gb_file.c — whole-file reading with a size limit.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *gb_file_read_all(const char *path, size_t max_bytes, const char *what, size_t *len,
                       gb_error_t *err)
{
    *len = 0;
    if (!path) {
        gb_error_set(err, GB_EINVAL, "no %s given", what);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        gb_error_set(err, GB_EIO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 64 * 1024, n = 0;
    char *buf = malloc(cap + 1);
    int too_big = 0;
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
        if (n == cap) {
            if (cap > max_bytes) {
                too_big = 1;
                break;
            }
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int rerr = ferror(f);
    fclose(f);
    if (buf && !rerr && !too_big && n <= max_bytes) {
        buf[n] = '\0';
        *len = n;
        return buf;
    }
    if (!buf)
        gb_error_set(err, GB_ENOMEM, "%s: out of memory", path);
    else if (rerr)
        gb_error_set(err, GB_EIO, "%s: read error", path);
    else
        gb_error_set(err, GB_EFORMAT, "%s: too large for a %s (limit %zu bytes)", path, what,
                     max_bytes);
    free(buf);
    return NULL;
}
