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

#ifdef __cplusplus
}
#endif
#endif
