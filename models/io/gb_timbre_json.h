/* gb_timbre_json.h — timbre frame sequences as JSON: what `gbac analyze` writes, what the
 * harmonic synth keeps as its state (and presets embed), what the timbre dataset stores.
 * Format and ranges: docs/timbre-format.md.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   {"f0_hz": 440.0, "sample_rate": 48000, "hop_s": 0.01, "source": "a4.wav",
 *    "frames": [{"amp": 0.61, "harm": [64 numbers], "noise": [32 numbers]}, ...]}
 *
 * "hop_s" and "frames" are required, the rest optional. The reader is strict: no unknown or
 * duplicate keys, exact array lengths, numbers only, each in its range. Messages name the key
 * path and the allowed range, e.g. "a4.json: frames[3].harm: expected 64 numbers, got 63" or
 * "a4.json: frames[0].noise[5]: -0.1 is out of range [0, 1]".
 * The writer checks the same rules, so what it writes the reader accepts. Numbers are written
 * with 9 significant digits, so float values read back bit-identical.
 */
#ifndef GB_TIMBRE_JSON_H
#define GB_TIMBRE_JSON_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "gb_common.h"
#include "gb_timbre.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Allowed ranges (inclusive). */
#define GB_TIMBRE_JSON_F0_MIN 1.0 /* f0_hz, when present */
#define GB_TIMBRE_JSON_F0_MAX 20000.0
#define GB_TIMBRE_JSON_SR_MIN 8000.0 /* sample_rate, when present */
#define GB_TIMBRE_JSON_SR_MAX 384000.0
#define GB_TIMBRE_JSON_HOP_MIN 0.001 /* hop_s */
#define GB_TIMBRE_JSON_HOP_MAX 0.1
#define GB_TIMBRE_JSON_AMP_MAX 64.0   /* amp: a sum of up to 64 harmonic peak amplitudes */
#define GB_TIMBRE_JSON_NOISE_MAX 1.0  /* noise[b]; harm[k] is in [0, 1] */
#define GB_TIMBRE_JSON_HARM_SUM_TOL 0.01 /* harm sums to 1 within this (or is all 0) */
#define GB_TIMBRE_JSON_MAX_FRAMES GB_TIMBRE_MAX_FRAMES /* frames: 1 .. 512 */
#define GB_TIMBRE_JSON_SOURCE_MAX 255 /* bytes of "source" */

/** What a timbre document says besides its frames. */
typedef struct gb_timbre_meta {
    double f0_hz;       /* pitch the frames were measured at; 0 = not given */
    double sample_rate; /* sample rate of the analysed source; 0 = not given */
    double hop_s;       /* seconds between the frames as stored */
    int n_frames;       /* frames as stored (before resampling to GB_TIMBRE_HOP_S) */
    char source[GB_TIMBRE_JSON_SOURCE_MAX + 1]; /* where they came from; "" = not given */
} gb_timbre_meta_t;

/** Check a document before writing it: meta's fields (hop_s required, f0_hz and sample_rate
 *  0 or in range) and frames[0 .. n) (1 ≤ n ≤ 512). where prefixes the message.
 *  Return: 0, or GB_ERANGE / GB_EINVAL with err naming the field, e.g.
 *  "out.json: frames[2].noise[7]: 1.5 is out of range [0, 1]"; source must be UTF-8.
 *  [main or a worker thread] */
int gb_timbre_json_check(const gb_timbre_meta_t *meta, const gb_timbre_frame_t *frames, int n,
                         const char *where, gb_error_t *err);

/** Read a timbre object, e.g. one inside a preset; where prefixes every message (pass
 *  "duet.json: rack.instrument.state.timbre"). Fills seq with the frames at GB_TIMBRE_HOP_S
 *  (linearly interpolated when hop_s differs; the first GB_TIMBRE_MAX_FRAMES kept); each
 *  frame's harm renormalised to sum exactly 1. meta (may be NULL) gets the document's fields.
 *  Return: 0, or GB_EFORMAT (missing, unknown or duplicate key, wrong type or length),
 *  GB_ERANGE (value out of range), GB_ENOMEM, with err set; on failure seq is unchanged.
 *  Thread: [main] (allocates). */
int gb_timbre_json_parse(const json_t *obj, const char *where, gb_timbre_seq_t *seq,
                         gb_timbre_meta_t *meta, gb_error_t *err);

/** Read a timbre JSON file; messages start with path (syntax errors give line and column;
 *  an unreadable file gives GB_EIO). [main] */
int gb_timbre_json_load(const char *path, gb_timbre_seq_t *seq, gb_timbre_meta_t *meta,
                        gb_error_t *err);

/** The timbre object of meta and frames[0 .. n) (a new reference), or NULL with err set
 *  (the rules of gb_timbre_json_check; GB_ENOMEM). Keys in the documented order; optional
 *  fields only when given. [main] */
json_t *gb_timbre_json_build(const gb_timbre_meta_t *meta, const gb_timbre_frame_t *frames,
                             int n, gb_error_t *err);

/** Write the document to f, one frame per line; where names f in messages.
 *  Return: 0, or the error of gb_timbre_json_check, GB_ENOMEM, GB_EIO. [main] */
int gb_timbre_json_write(FILE *f, const char *where, const gb_timbre_meta_t *meta,
                         const gb_timbre_frame_t *frames, int n, gb_error_t *err);

/** Write the document to the file path (created or replaced). [main] */
int gb_timbre_json_save(const char *path, const gb_timbre_meta_t *meta,
                        const gb_timbre_frame_t *frames, int n, gb_error_t *err);

/** For units (state save/load with plugin-style error buffers): the object of a sequence
 *  (hop_s = GB_TIMBRE_HOP_S, f0_hz when non-zero), or NULL if seq breaks the rules or memory
 *  ran out. [main] */
json_t *gb_timbre_json_from_seq(const gb_timbre_seq_t *seq);

/** gb_timbre_json_parse with the message copied to err[0 .. errcap) (may be NULL / 0).
 *  [main] */
int gb_timbre_json_to_seq(const json_t *obj, const char *where, gb_timbre_seq_t *seq,
                          char *err, size_t errcap);

#ifdef __cplusplus
}
#endif
#endif
