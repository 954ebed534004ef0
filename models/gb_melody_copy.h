/* gb_melody_copy.h — does a melody copy its training corpus? Hashes of every 2-bar phrase of a
 * corpus, exact (at the tune's own pitches) and up to transposition, kept in the melody GAN's
 * generator file so that a clone can check generated notes without the corpus (`gbac
 * publish`, `gbac eval melody`). docs/model-format.md §10 documents the tensors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A phrase is 2·steps_per_bar step codes: GB_MCOPY_REST, GB_MCOPY_HOLD (the note before
 * goes on), or a MIDI pitch 0..127 starting on that step. Its hash (gb_melody_copy_hash):
 *   FNV-1a 64 over the bytes [steps_per_bar, then per step the code + 2 as a 16-bit
 *   little-endian number], then the splitmix64 finaliser; for the transposed hash every pitch
 *   is first replaced by its distance above the phrase's lowest pitch.
 * A corpus's phrases (gb_melody_copy_from_ds): in every tune, each bar after the first with
 * the bar before it, at the tune's original pitches (the dataset's tokens minus the tune's
 * normalising shift); all splits, each entry naming its tune.
 *
 * In a generator file: auxiliary tensors (gb_modelfile.h) "aux.copy.exact" (U64, sorted),
 * "aux.copy.exact_tune" (U32, the tune of each), "aux.copy.transposed", and
 * "aux.copy.transposed_tune", and in the card "corpus": {"tunes": [names], "splits":
 * "tvt..." (t train, v validation, e test, one letter per tune)}.
 */
#ifndef GB_MELODY_COPY_H
#define GB_MELODY_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "gb_common.h"
#include "gb_melody_ds.h"
#include "gb_modelfile.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_MCOPY_REST (-1)
#define GB_MCOPY_HOLD (-2)

typedef struct gb_melody_copy gb_melody_copy_t;

/** Hash of a phrase of n step codes (n = 2·steps_per_bar for the corpus' phrases). [any] */
uint64_t gb_melody_copy_hash(const int16_t *code, int n, int steps_per_bar, int transposed);

/** Step codes of dataset tokens (gb_melody_ds.h) moved by `shift` semitones down (the tune's
 *  normalising shift gives back its own pitches); pads become rests. [any] */
void gb_melody_copy_codes(const uint8_t *tokens, int n, int shift, int16_t *code);

/** The phrases of every tune of a dataset (originals, all splits). NULL with err. [main] */
gb_melody_copy_t *gb_melody_copy_from_ds(const gb_melody_ds_t *ds, gb_error_t *err);

/** The phrases stored in a generator file; NULL with err (GB_EFORMAT) when it has none or
 *  they are malformed (unsorted, tune out of range, sizes that disagree). [main] */
gb_melody_copy_t *gb_melody_copy_from_model(const gb_model_t *m, gb_error_t *err);

void gb_melody_copy_free(gb_melody_copy_t *c); /**< NULL-safe [main] */

/** Save a generator model file with the phrases (aux tensors and the card's "corpus"). */
int gb_melody_copy_save_model(const char *path, const gb_nn_t *nn, const char *card_json,
                              const gb_melody_copy_t *c, gb_error_t *err); /**< [main] */

/** The tunes whose phrases hash to h (exact or transposed set): their indices, in order, into
 *  tunes[0 .. cap); returns how many there are (which may exceed cap). [any] */
int gb_melody_copy_find(const gb_melody_copy_t *c, uint64_t h, int transposed, int *tunes,
                        int cap);

size_t gb_melody_copy_count(const gb_melody_copy_t *c, int transposed); /**< entries [any] */
int gb_melody_copy_n_tunes(const gb_melody_copy_t *c);                 /**< [any] */
/** Name of tune i and its split (0 train, 1 validation, 2 test) in *split. NULL out of range. */
const char *gb_melody_copy_tune(const gb_melody_copy_t *c, int i, int *split); /**< [any] */

#ifdef __cplusplus
}
#endif
#endif
