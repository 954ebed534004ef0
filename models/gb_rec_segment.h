/* gb_rec_segment.h — cut a solo recording into notes by onset, f0 and stability: what
 * `gbac dataset timbre --from-recording` runs before the usual per-note pipeline
 * (gb_timbre_ds_build.h, docs/dataset.md §3a).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Frames every 10 ms (window 2048 samples at 48 kHz, scaled with the rate):
 *   level  RMS in dB over the window;
 *   f0     YIN (difference function by FFT, cumulative mean normalised, first dip below
 *          0.15, parabolic interpolation) between f0_min and f0_max; a frame is voiced when
 *          its CMNDF minimum is below 0.3 and its level within 45 dB of the loudest frame and
 *          above −60 dBFS.
 * Onsets: a frame starts a note when
 *   - the level rises by onset_db (9 dB) or more above the lowest level of the previous
 *     60 ms and the frame is voiced within the next 50 ms, or
 *   - the voiced f0 moves by more than 0.6 semitone from the running median of the current
 *     note and stays there for 40 ms (legato), or
 *   - voicing starts after 30 ms or more of unvoiced or quiet frames.
 * A note lasts from its onset to the next onset or to the first of 30 ms of frames below
 * −45 dB relative to the loudest frame, whichever comes first. It is kept when it lasts at
 * least min_note_s (0.12 s), at least 60% of its frames after the first 30 ms are voiced, and
 * its f0 is stable: the voiced frames' f0 lie within stable_cents (50) of their median for at
 * least 80% of them. Each kept note is reported with its start and end sample, its median
 * f0 and the note-off estimate: the last frame within 6 dB of the note's median level if
 * the level falls more than 12 dB below it before the note ends (a release), else unknown.
 */
#ifndef GB_REC_SEGMENT_H
#define GB_REC_SEGMENT_H

#include <stddef.h>

#include "gb_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gb_rec_note {
    size_t start, end; /* samples [start, end) of the recording */
    double f0_hz;      /* median f0 of the voiced frames */
    double off_s;      /* note-off estimate in seconds after start, or −1 (unknown) */
} gb_rec_note_t;

typedef struct gb_rec_segment_stats {
    int onsets;           /* onsets found */
    int unstable_dropped; /* candidate notes dropped: unvoiced or unstable f0 */
    int short_dropped;    /* candidate notes shorter than min_note_s */
    double loudest_db;    /* loudest frame, dBFS */
} gb_rec_segment_stats_t;

/** Cut x[0 .. n) at sample_rate (8000..384000) into notes. f0 searched in f0_min..f0_max Hz.
 *  *notes receives a malloc'd array (free()) of *n_notes notes in time order (possibly 0).
 *  Returns 0, or GB_EINVAL / GB_ENOMEM with err. [main] */
int gb_rec_segment(const float *x, size_t n, double sample_rate, double f0_min, double f0_max,
                   gb_rec_note_t **notes, int *n_notes, gb_rec_segment_stats_t *stats,
                   gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
