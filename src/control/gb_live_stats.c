/* gb_live_stats.c — the live host's counters by name (see gb_live_stats.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_live_stats.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct counter {
    const char *name, *doc;
    size_t offset;
} counters[GB_LIVE_N_COUNTERS] = {
#define GB_COUNTER_ROW(name, doc) {#name, doc, offsetof(gb_live_stats_t, name)},
    GB_LIVE_COUNTERS(GB_COUNTER_ROW)
#undef GB_COUNTER_ROW
};

const char *gb_live_counter_name(int i)
{
    return i >= 0 && i < GB_LIVE_N_COUNTERS ? counters[i].name : NULL;
}

const char *gb_live_counter_doc(int i)
{
    return i >= 0 && i < GB_LIVE_N_COUNTERS ? counters[i].doc : NULL;
}

uint64_t gb_live_counter_get(const gb_live_stats_t *s, int i)
{
    if (!s || i < 0 || i >= GB_LIVE_N_COUNTERS)
        return 0;
    const atomic_uint_fast64_t *c =
        (const atomic_uint_fast64_t *)(const void *)((const char *)s + counters[i].offset);
    return atomic_load_explicit(c, memory_order_relaxed);
}

int gb_live_stats_to_json(const gb_live_stats_t *s, json_t *obj)
{
    for (int i = 0; i < GB_LIVE_N_COUNTERS; i++)
        if (json_object_set_new(obj, counters[i].name,
                                json_integer((json_int_t)gb_live_counter_get(s, i))) != 0)
            return GB_ENOMEM;
    return GB_OK;
}

int gb_live_stats_write(const gb_live_stats_t *s, const char *path, gb_error_t *err)
{
    return gb_live_stats_write_with(s, NULL, path, err);
}

int gb_live_stats_write_with(const gb_live_stats_t *s, const json_t *extra, const char *path,
                             gb_error_t *err)
{
    json_t *root = json_object();
    int rc = root ? gb_live_stats_to_json(s, root) : GB_ENOMEM;
    if (rc == GB_OK && extra && json_object_update(root, (json_t *)extra) != 0)
        rc = GB_ENOMEM;
    char *text = rc == GB_OK ? json_dumps(root, JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    if (!text)
        return gb_error_set(err, GB_ENOMEM, "--stats-json %s: out of memory", path);
    FILE *f = fopen(path, "w");
    int bad = !f || fprintf(f, "%s\n", text) < 0;
    if (f && fclose(f) != 0)
        bad = 1;
    free(text);
    if (bad)
        return gb_error_set(err, GB_EIO, "--stats-json %s: cannot write: %s", path,
                            strerror(errno));
    return GB_OK;
}
