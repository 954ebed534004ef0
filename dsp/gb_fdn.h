/* gb_fdn.h — a stereo feedback delay network reverberator (the core of gbac.reverb).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Structure, per sample:
 *   predelay     a stereo delay of predelay_ms (≥ 1 frame), interpolated and ramped;
 *   8 lines      delay lengths base_k · size (base 31.7 … 73.7 ms, mutually incommensurate),
 *                rounded to whole frames, read with interpolated taps so size can glide;
 *   damping      a one-pole low-pass (DC gain 1, corner damping_hz) in every line's loop, so
 *                highs die faster than lows;
 *   decay        a per-line gain g_k = 10^(−3·len_k / (rt60·sr)): at DC every recirculation
 *                path loses 60 dB in exactly rt60 seconds, whatever its length;
 *   mixing       the normalised 8×8 Hadamard matrix (a fast Walsh–Hadamard transform, 24
 *                adds), orthogonal, so the loop is lossless apart from the gains above;
 *   in / out     left and right are injected and tapped with orthogonal ±1 sign vectors,
 *                which makes the two outputs mutually decorrelated.
 * Parameter changes (gb_fdn_set_*) take effect as linear per-sample ramps of the derived
 * quantities (lengths, gains, filter coefficient, predelay), so processing is split-invariant:
 * the same events on the same frames give bit-identical output for any block sizes.
 *
 * Cost per sample is fixed (no data-dependent branches); the loop state is flushed against
 * denormals (gb_flush_denormal), so even without FTZ/DAZ the tail never enters the denormal
 * range: it ends in zeros or idles at a few 1e-26 (−500 dB).
 */
#ifndef GB_FDN_H
#define GB_FDN_H

#include <stdint.h>

#include "gb_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_FDN_LINES 8

typedef struct gb_fdn gb_fdn_t;

/** New network for sample_rate (8000..384000) with room for sizes up to max_size (≤ 4) and
 *  predelays up to max_predelay_ms (≤ 2000). Starts silent with rt60 2 s, size 1, damping
 *  8000 Hz, predelay 0. NULL on failure (message in err). [main] */
gb_fdn_t *gb_fdn_new(double sample_rate, float max_size, float max_predelay_ms, gb_error_t *err);

/** Free the network. NULL-safe. [main] */
void gb_fdn_free(gb_fdn_t *f);

/** Silence every line and filter and finish every ramp at its target. Cost proportional to
 *  the memory, independent of the signal. [audio] */
void gb_fdn_reset(gb_fdn_t *f) GB_RT;

/* Each setter below ramps what it changes linearly over ramp_frames samples (0: at once),
 * starting with the next processed sample; gb_fdn_new() and gb_fdn_reset() finish ramps. */

/** Decay time (RT60 at DC) in seconds, clamped to 0.05..60. [audio] */
void gb_fdn_set_rt60(gb_fdn_t *f, float rt60_s, uint32_t ramp_frames) GB_RT;

/** Line-length scale, clamped to 0.1..max_size. [audio] */
void gb_fdn_set_size(gb_fdn_t *f, float size, uint32_t ramp_frames) GB_RT;

/** Corner of the in-loop low-pass in Hz, clamped to 20 Hz .. 0.45·sample rate. [audio] */
void gb_fdn_set_damping(gb_fdn_t *f, float hz, uint32_t ramp_frames) GB_RT;

/** Predelay in ms, clamped to 0..max_predelay_ms (0 still delays by one frame). [audio] */
void gb_fdn_set_predelay(gb_fdn_t *f, float ms, uint32_t ramp_frames) GB_RT;

/** Reverberate n frames: wet_l/wet_r get the reverb only (no dry signal). Input values must
 *  be finite (the caller sanitises). Outputs may alias the inputs. [audio] */
void gb_fdn_process(gb_fdn_t *f, const float *in_l, const float *in_r, float *wet_l,
                    float *wet_r, uint32_t n) GB_RT;

#ifdef __cplusplus
}
#endif
#endif
