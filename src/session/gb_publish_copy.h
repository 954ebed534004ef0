/* gb_publish_copy.h — do the models' notes of a session copy their training data? (`gbac
 * publish`, docs/publish.md "Copies of the training data"). Each model track of notes.mid is
 * cut into 2-bar phrases on the session's 16th-note grid and looked up, exactly and up to
 * transposition, in the phrase hashes stored in that track's model file
 * (models/gb_melody_copy.h), so no corpus is needed.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_PUBLISH_COPY_H
#define GB_PUBLISH_COPY_H

#include <jansson.h>

#include "gb_session_read.h"

#define GB_PUBLISH_COPY_MAX_MATCHES 32 /* matches listed; more are counted */

/** Check every model track of s. Returns a new JSON object (NULL when out of memory):
 *  {"result": "no copy" | "copies" | "not checked" | "nothing to check",
 *   "summary": one sentence, "lines": [one line per track or match],
 *   "matches": [{"slot", "bar", "step", "seconds", "tune", "split", "transposed"}],
 *   "matches_total": n}.
 *  A missing model file, one without phrase hashes or a meter the grid cannot hold is a line
 *  saying so and makes the result "not checked" (never an error). [main] */
json_t *gb_publish_copy_check(const gb_session_data_t *s);

#endif
