/* gb_cost.h — what the periods cost, on the main thread: gbac's own callback time (thread CPU
 * clock, % of the period: worst and 99th percentile from a fixed histogram) and each unit's
 * mean and worst share of the period, from the records the audio thread hands over
 * (gb_live_cost_t, gb_live_msg.h). Unit figures start again when the engine changes (a preset
 * or model swap): the names follow the rack in use. The callback figures cover the whole run,
 * and again a window the owner opens (gb_cost_window_start, from /gbac/window): a test reads
 * the window's p99 before and during what it wants to show does not disturb the audio
 * thread.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_COST_H
#define GB_COST_H

#include <stddef.h>

#include <jansson.h>

#include "gb_engine.h"
#include "gb_live_msg.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gb_cost gb_cost_t;

/** A new, empty account. NULL when out of memory. [main] */
gb_cost_t *gb_cost_new(void);
void gb_cost_free(gb_cost_t *c);

/** Take one period's record. eng is the engine main handed over last; a record of another
 *  engine (an older one still running, or already retired) adds to the callback figures
 *  only. sample_rate gives the period's length. [main] */
void gb_cost_add(gb_cost_t *c, const gb_live_cost_t *rec, const gb_engine_t *eng,
                 double sample_rate);

/** The rack of eng from now on: its units' names, their figures from zero (nothing when eng
 *  is the rack followed already). Called when an engine is handed over. [main] */
void gb_cost_follow(gb_cost_t *c, const gb_engine_t *eng);

/** Open a new window: the window_* figures count the periods taken from now. [main] */
void gb_cost_window_start(gb_cost_t *c);

/** Periods counted, and the figures (%, 0 before the first period). [main] */
uint64_t gb_cost_periods(const gb_cost_t *c);
double gb_cost_process_max_pct(const gb_cost_t *c);
double gb_cost_process_p99_pct(const gb_cost_t *c);

/** Add the keys of GB_LIVE_COST_KEYS to obj. 0, or GB_ENOMEM. [main] */
int gb_cost_to_json(const gb_cost_t *c, json_t *obj);

/** One line for the status view: "cpu: gbac 3.1 % max, 1.2 % p99 | synth 0.8/2.0 % | ...".
 *  [main] */
void gb_cost_line(const gb_cost_t *c, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
