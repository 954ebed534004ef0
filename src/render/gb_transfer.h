/* gb_transfer.h — offline timbre transfer: an audio file played through a preset whose
 * instrument follows an audio input (the timbre VAE's follow_input), with the same engine,
 * unit and pitch tracker as `gbac live`'s input port. What `gbac transfer` runs.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input (WAV, FLAC, AIFF... anything libsndfile reads; any channel count, mixed to mono)
 * is processed at its own sample rate (8000..192000 Hz) in blocks of `block` frames (64, as
 * live), then `tail_s` seconds of silence so releases and reverbs end. The preset's
 * instrument must have a follow_input parameter; it is switched on for the render whatever
 * the preset says. Output: stereo at the input's rate, written under a temporary name and
 * kept only when complete.
 */
#ifndef GB_TRANSFER_H
#define GB_TRANSFER_H

#include <stdint.h>

#include "gb_common.h"
#include "gb_render.h"

typedef struct gb_transfer_config {
    uint32_t struct_size;    /* sizeof(gb_transfer_config_t) */
    const char *in_path;     /* the audio to follow */
    const char *out_path;    /* .wav or .flac */
    const char *preset_path; /* a preset file */
    gb_render_format_t format;
    uint32_t block;          /* frames per engine block (64) */
    uint32_t seed;
    double tail_s;           /* seconds after the input ends (0.5) */
} gb_transfer_config_t;

typedef struct gb_transfer_stats {
    double sample_rate;
    int channels;            /* of the input */
    uint64_t in_frames, frames;
    float peak;              /* of the output */
    uint64_t n_nonfinite;    /* non-finite input samples (played as 0) */
    double wall_s;
} gb_transfer_stats_t;

/** Defaults (block 64, tail 0.5 s, seed 1, PCM24). [any] */
gb_transfer_config_t gb_transfer_config_default(void);

/** Run the transfer. 0, or a negative GB_E* code with err naming the file and the problem
 *  (not audio, no frames, a sample rate out of range, a preset whose instrument cannot
 *  follow an input, an unwritable output). [main] */
int gb_transfer_file(const gb_transfer_config_t *cfg, gb_transfer_stats_t *st, gb_error_t *err);

#endif
