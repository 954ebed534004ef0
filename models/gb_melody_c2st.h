/* gb_melody_c2st.h — a classifier two-sample test for generated melodies: a fresh classifier
 * (not the GAN's critic) learns train-split real bars against generated bars and is scored
 * on held-out real bars against other generated bars; accuracy 0.5 means it cannot tell them
 * apart (Lopez-Paz & Oquab, "Revisiting classifier two-sample tests", 2017).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A bar is seen with the bar before it: GB_C2ST_IN floats = both bars' features
 * (gb_melgen_bar_features) and the meter one-hot. The classifier is an MLP GB_C2ST_IN → 64
 * relu → 1, Adam (lr 1e-3, batch 64) for 30 passes over the class-balanced training rows,
 * seeded. Accuracy is the mean of the accuracies on the two held-out sets, so unequal set
 * sizes do not bias it.
 */
#ifndef GB_MELODY_C2ST_H
#define GB_MELODY_C2ST_H

#include <stdint.h>

#include "gb_common.h"
#include "gb_melgan.h"
#include "gb_melgen.h"
#include "gb_melody_ds.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_C2ST_IN (2 * GB_MELGEN_BAR_FEAT + GB_MELGEN_METERS)

/** The classifier's input for `bar` after `prev` (steps per bar, meter). [any] */
void gb_c2st_features(const uint8_t *prev, const uint8_t *bar, int steps, int num, int den,
                      float *out);

/** Train on real[0..n_real) against fake[0..n_fake) (rows of GB_C2ST_IN floats), test on
 *  real_test[0..n_real_test) against fake_test[0..n_fake_test); returns the balanced test
 *  accuracy, or NAN with err when a set is empty or memory runs out. [main] */
double gb_c2st(const float *real, int n_real, const float *fake, int n_fake,
               const float *real_test, int n_real_test, const float *fake_test,
               int n_fake_test, uint64_t seed, gb_error_t *err);

/** The test for a generator: training rows are up to n_train train-split bars (originals,
 *  evenly strided, each after its real bar) and as many bars the generator makes from the same
 *  real contexts (the bar and the one before, its phrase position; sampling as in o, whose
 *  bars, meter and mode fields are ignored); the held-out rows are the caller's (test-split
 *  real bars and generated bars, gb_c2st_features). Returns the accuracy or NAN with err.
 *  [main] */
double gb_c2st_generator(gb_nn_t *gen, gb_nn_t *critic, const gb_melody_ds_t *ds, int n_train,
                         const gb_melgan_gen_opts_t *o, const float *real_test, int n_real_test,
                         const float *fake_test, int n_fake_test, gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
