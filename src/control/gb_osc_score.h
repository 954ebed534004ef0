/* gb_osc_score.h — OSC control scores: timed OSC messages in a text file, replayed by the
 * offline renderer through the same handlers as the live OSC server (gb_osc_handlers.h).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Format (docs/osc.md): one message per line,
 *
 *     TIME_S PATH [TYPETAGS ARGS...]
 *
 *     # comments start with '#' (outside quotes) and run to the end of the line
 *     0     /gbac/tempo f 96
 *     1.5   /gbac/param/delay/mix f 0.4
 *     2.0   /gbac/note/on ii 60 100
 *     3.25  /gbac/note/off i 60
 *
 * TIME_S: seconds from the start of the render, a finite number ≥ 0. PATH starts with '/'.
 * TYPETAGS (an optional leading ',' is allowed): i int32, h int64, f float, d double,
 * s string, S symbol, c char, and T F N I (true, false, nil, infinitum: no argument).
 * Integers may be decimal or 0x-hex; floats anything strtod() reads, finite. Strings are one
 * word, or double-quoted with \" \\ \n \t escapes. Blank lines are fine. Lines may come in
 * any time order: the score is sorted by time, keeping file order at equal times.
 */
#ifndef GB_OSC_SCORE_H
#define GB_OSC_SCORE_H

#include <stddef.h>

#include <lo/lo.h>

#include "gb_common.h"
#include "gb_engine.h"
#include "gb_live_msg.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One timed message. */
typedef struct gb_osc_score_entry {
    double time_s;
    int line;      /* line in the file, from 1 */
    char *path;    /* OSC address */
    lo_message msg;
} gb_osc_score_entry_t;

/** A parsed score. Read-only for the caller. */
typedef struct gb_osc_score {
    char *origin;                  /* the file name given, for messages */
    size_t n;
    gb_osc_score_entry_t *entries; /* sorted by time_s, then line */
} gb_osc_score_t;

/** Read and parse a score file. Errors name "FILE:LINE: " and what was wrong. [main] */
gb_osc_score_t *gb_osc_score_load(const char *path, gb_error_t *err);

/** Parse a score held in memory (len bytes, need not be NUL-terminated); origin names it in
 *  messages. [main] */
gb_osc_score_t *gb_osc_score_parse(const char *text, size_t len, const char *origin,
                                   gb_error_t *err);

/** Free a score and its messages. NULL-safe. [main] */
void gb_osc_score_free(gb_osc_score_t *s);

/** Where gb_osc_score_apply puts what a message asks: a GB_CMD_EVENT (note, CC, parameter
 *  event with an engine handle) or a GB_CMD_TEMPO, for the entry it came from. A message may
 *  give several (a latent vector). 0, or an error with err set (e.g. out of memory). */
typedef int (*gb_osc_score_sink_fn)(void *ctx, const gb_osc_score_entry_t *entry,
                                    const gb_live_cmd_t *cmd, gb_error_t *err);

/** Run every message of the score, in order, through the OSC path table (gb_osc_handlers.h)
 *  for the engine e, with the rules of scores: only the paths marked for scores, parameter
 *  values clamped to their range, no queries. The first refused message stops it with an
 *  error "FILE:LINE: MESSAGE". [main] */
int gb_osc_score_apply(const gb_osc_score_t *score, const gb_engine_t *e,
                       gb_osc_score_sink_fn sink, void *ctx, gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
