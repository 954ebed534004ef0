/* gb_note_timbre.h — one recorded note (an audio file) → its timbre frames and f0, as
 * `gbac analyze` writes them (docs/timbre-format.md) and presets store them.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_NOTE_TIMBRE_H
#define GB_NOTE_TIMBRE_H

#include <stddef.h>

#include "gb_analysis.h"
#include "gb_common.h"
#include "gb_timbre_json.h"

#define GB_NOTE_MAX_S 300.0 /* longer inputs are not one note: refused before allocating */

typedef struct gb_note_timbre_config {
    const char *path; /* WAV, FLAC, OGG or anything else libsndfile reads */
    int channel;      /* 1-based channel to analyse, or 0: the mix of all channels */
    double hop_s;     /* seconds between frames, 0.001..0.1 */
} gb_note_timbre_config_t;

typedef struct gb_note_timbre {
    gb_note_analysis_t an;  /* the analysis (f0, frames, energies); an.frames[0 .. kept) are
                               the document's frames */
    gb_timbre_meta_t meta;  /* f0, sample rate, hop, source (the file's base name, non-ASCII
                               masked when it is not UTF-8), n_frames = kept */
    int kept;               /* frames for the document: at most GB_TIMBRE_JSON_MAX_FRAMES */
    int channels;           /* channels of the file */
    double seconds;         /* length of the file */
} gb_note_timbre_t;

/** Read and analyse the note. Returns 0 and *out (free with gb_note_timbre_free), or a
 *  negative error naming the file and what is wrong: missing, a folder, not audio, sample
 *  rate outside 8000..384000, no audio, longer than GB_NOTE_MAX_S, no such channel, silent,
 *  no pitch. [main] */
int gb_note_timbre_analyze(const gb_note_timbre_config_t *cfg, gb_note_timbre_t *out,
                           gb_error_t *err);

/** Free what gb_note_timbre_analyze allocated and zero it. NULL-safe. [main] */
void gb_note_timbre_free(gb_note_timbre_t *t);

#endif
