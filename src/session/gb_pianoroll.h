/* gb_pianoroll.h — a piano-roll picture of token phrases (`gbac eval melody --roll`: calls and
 * their answers), drawn with cairo as PNG, in the colours of `gbac plot` (gb_plot.h): the
 * performer's blue, the first model's orange.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_PIANOROLL_H
#define GB_PIANOROLL_H

#include <stdint.h>

#include "gb_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_PIANOROLL_WIDTH 1200 /* picture size, px */
#define GB_PIANOROLL_HEIGHT 900

/** One phrase to draw: bars × GB_MDS_MAX_STEPS tokens (gb_melody_ds.h), of which the first
 *  steps_per_bar of each bar are used. */
typedef struct gb_pianoroll_row {
    const char *label;      /* drawn left of the lane */
    const uint8_t *tokens;
    int bars, steps_per_bar;
    int call_bars;          /* the first call_bars bars are the performer's (blue), the rest
                               the model's (orange) */
} gb_pianoroll_row_t;

/** Where lane i of n is drawn (px). [any] */
void gb_pianoroll_lane(int i, int n, double *x, double *y, double *w, double *h);

/** Draw rows[0 .. n) as lanes stacked top to bottom (pitch up, time right, bar lines, the
 *  lane's pitch span labelled), under a title, into a GB_PIANOROLL_WIDTH ×
 *  GB_PIANOROLL_HEIGHT PNG at path.
 *  Returns 0, GB_EINVAL (n < 1, n > 16 or a NULL argument) or GB_EIO (cannot write path,
 *  named in err). [main] */
int gb_pianoroll_write(const char *path, const gb_pianoroll_row_t *rows, int n,
                       const char *title, gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
