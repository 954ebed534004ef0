/* gb_call_key_fit.h — count the call-key tables (gb_call_key.h) on a corpus: how the compiled
 * table was made, and how a test checks it.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_CALL_KEY_FIT_H
#define GB_CALL_KEY_FIT_H

#include <stdio.h>

#include "gb_abc.h"
#include "gb_call_key.h"
#include "gb_melody_ds.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Count the tables over the train-split tunes of ds found in the ABC corpus (by name,
 *  gb_abc_corpus_find): every 2-bar window (bars 0–1, 2–3, ...) as a call on its own, under
 *  the key notated (K:) at its second bar; +0.5 per cell, then log-probabilities; the mode
 *  prior from the windows' modes. *windows gets the windows counted (may be NULL). Returns 0,
 *  or GB_ERANGE when no window was found (no train tune in the corpus). [main] */
int gb_call_key_fit(const gb_abc_corpus_t *abc, const gb_melody_ds_t *ds,
                    gb_call_key_table_t *t, long *windows, gb_error_t *err);

/** Print t as the C initialiser of gb_call_key_table.h. [main] */
void gb_call_key_print(FILE *f, const gb_call_key_table_t *t);

#ifdef __cplusplus
}
#endif
#endif
