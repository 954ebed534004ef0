/* gb_timbre_render.h — play a note's timbre frames through the oscillator bank, offline:
 * how evaluation turns original and reconstructed frames into sound to compare.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_TIMBRE_RENDER_H
#define GB_TIMBRE_RENDER_H

#include <stddef.h>

#include "gb_common.h"
#include "gb_oscbank.h"
#include "gb_timbre.h"

/** Render frames[0 .. n) (GB_TIMBRE_HOP_S apart, linearly interpolated, the last holding) at
 *  fundamental f0_hz into out[0 .. n_out). Harmonic k gets peak amplitude amp·harm[k], band b
 *  noise of RMS noise[b], exactly as the harmonic synth plays a frame; noise comes from
 *  `tables` (built for sample_rate). Deterministic. [main or worker] */
int gb_timbre_render(const gb_timbre_frame_t *frames, int n, double f0_hz, double sample_rate,
                     const gb_noise_tables_t *tables, float *out, size_t n_out,
                     gb_error_t *err);

#endif
