/* gb_timbre.h — the timbre frame: what the harmonic + noise synth plays, what `gbac analyze`
 * measures from a recorded note, and (later) what the timbre VAE decodes.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A frame describes one instant of a note, DDSP-style:
 *   amp         sum of the harmonic peak amplitudes (linear; a full-scale sine is 1, a
 *               full-scale sawtooth about 3; 0..64)
 *   harm[k]     share of harmonic k+1 in the harmonic part (k = 0 is the fundamental);
 *               non-negative, summing to 1 (gb_timbre_normalize makes it so)
 *   noise[b]    RMS amplitude (linear) of band-limited noise in band b
 * A note is a sequence of frames GB_TIMBRE_HOP_S apart (attack, decay...); the last frame
 * holds while the note sounds. Synthesis interpolates frames per sample.
 *
 * Noise bands are fixed in Hz so frames are portable across sample rates: GB_TIMBRE_BANDS
 * bands, log-spaced between GB_TIMBRE_BAND_LO_HZ and GB_TIMBRE_BAND_HI_HZ; bands above a
 * sample rate's Nyquist frequency are silent.
 */
#ifndef GB_TIMBRE_H
#define GB_TIMBRE_H

#include "gb_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_TIMBRE_HARMONICS 64
#define GB_TIMBRE_BANDS 32
#define GB_TIMBRE_BAND_LO_HZ 40.0
#define GB_TIMBRE_BAND_HI_HZ 20000.0
#define GB_TIMBRE_HOP_S 0.010     /* 10 ms between frames of a note */
#define GB_TIMBRE_MAX_FRAMES 512  /* 5.12 s of evolving timbre, then the last frame holds */

typedef struct gb_timbre_frame {
    float amp;
    float harm[GB_TIMBRE_HARMONICS];
    float noise[GB_TIMBRE_BANDS];
} gb_timbre_frame_t;

/** A note's frames: frames[0 .. n_frames) GB_TIMBRE_HOP_S apart; the last holds. */
typedef struct gb_timbre_seq {
    int n_frames;  /* 1 .. GB_TIMBRE_MAX_FRAMES */
    float f0_hz;   /* pitch the frames were measured at (0 if unknown) */
    gb_timbre_frame_t frames[GB_TIMBRE_MAX_FRAMES];
} gb_timbre_seq_t;

/** A plain default timbre: one frame, harmonics falling as 1/k², a little noise. [any] */
void gb_timbre_seq_default(gb_timbre_seq_t *seq);

/** Lower edge of band b in Hz (b = GB_TIMBRE_BANDS gives the top edge). [any] */
double gb_timbre_band_edge(int b);

/** Make harm[] non-negative and sum to 1 (all zero stays zero); clamp amp to [0, 64] and
 *  noise to [0, 1]; NaN/Inf become 0. [any, RT-safe] */
void gb_timbre_normalize(gb_timbre_frame_t *f) GB_RT;

#ifdef __cplusplus
}
#endif
#endif
