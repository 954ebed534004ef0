/* gb_tmpdir.h — a private temporary folder per test program, removed at the end.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_TMPDIR_H
#define GB_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>

/** Make $TMPDIR/gbac-TAG-XXXXXX (or under /tmp) into out. Returns 0, or -1 (out = ""). */
static inline int gbt_tmpdir(char *out, size_t cap, const char *tag)
{
    const char *t = getenv("TMPDIR");
    snprintf(out, cap, "%s/gbac-%s-XXXXXX", t && t[0] ? t : "/tmp", tag);
    if (mkdtemp(out))
        return 0;
    out[0] = '\0';
    return -1;
}

/** Remove the folder and everything in it. Returns 0 or -1. */
static inline int gbt_rm_rf(const char *dir)
{
    if (!dir[0])
        return 0;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
