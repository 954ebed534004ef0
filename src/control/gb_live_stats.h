/* gb_live_stats.h — the live host's counters by name: the one list (GB_LIVE_COUNTERS in
 * gb_live_msg.h) read out for /gbac/status, --stats-json, the status view and its log, so a
 * counter has one name everywhere.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_LIVE_STATS_H
#define GB_LIVE_STATS_H

#include <stdint.h>

#include <jansson.h>

#include "gb_common.h"
#include "gb_live_msg.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The i-th counter's name ("xruns", "fb_dropped", ...) and what it counts; NULL when i is
 *  outside 0..GB_LIVE_N_COUNTERS-1. [any] */
const char *gb_live_counter_name(int i);
const char *gb_live_counter_doc(int i);

/** The i-th counter's value now (relaxed load), 0 when i is out of range. [any] */
uint64_t gb_live_counter_get(const gb_live_stats_t *s, int i);

/** Add every counter to the JSON object obj, in list order. 0, or GB_ENOMEM. [main] */
int gb_live_stats_to_json(const gb_live_stats_t *s, json_t *obj);

/** Write the counters as one JSON object to path (--stats-json), every counter by its name
 *  (the same names as /gbac/status). 0, or GB_EIO with err naming the file. [main] */
int gb_live_stats_write(const gb_live_stats_t *s, const char *path, gb_error_t *err);

/** The same, with extra's members after the counters (NULL: none; not changed). [main] */
int gb_live_stats_write_with(const gb_live_stats_t *s, const json_t *extra, const char *path,
                             gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
