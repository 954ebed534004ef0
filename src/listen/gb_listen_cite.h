/* gb_listen_cite.h — a listening test's results cited by another report (`gbac eval melody
 * --listen-test FILE`): the file read and checked (gb_listen_read), its summary as a JSON
 * object and as a line of text.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_LISTEN_CITE_H
#define GB_LISTEN_CITE_H

#include <jansson.h>
#include <stdio.h>

#include "gb_listen_results.h"

#ifdef __cplusplus
extern "C" {
#endif

/** {"file": path, "kind", "question", "model", "model_b", "started", then the summary's
 *  keys (gb_listen_summary_json: pairs, choices, complete, counts, correct, accuracy,
 *  rate_of, rate, ci_method, ci_level, ci_low, ci_high, p_value)}. NULL when out of memory.
 *  [any] */
json_t *gb_listen_cite_json(const gb_listen_test_t *t, const char *path);

/** Two lines for a text report, e.g.
 *    listening test (r.json, 2026-12-02T15:40:47Z): real against generated, "Which is the
 *    human's?": 7 of 10 correct, accuracy 0.700 (95% CI 0.348..0.933, Clopper-Pearson;
 *    p = 0.344 against chance)
 *  [any] */
void gb_listen_cite_print(FILE *f, const gb_listen_test_t *t, const char *path);

#ifdef __cplusplus
}
#endif
#endif
