/* gb_midifile.h — Standard MIDI Files (read with libsmf): every track merged into one list of
 * gbac events at absolute frame times, and a writer of named tracks (performer and model
 * notes on separate tracks).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef GB_MIDIFILE_H
#define GB_MIDIFILE_H

#include <stddef.h>
#include <stdint.h>

#include "gb_common.h"
#include "gbac_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An event at an absolute frame (ev.time is 0: the driver sets the offset within its
 *  block). */
typedef struct gb_timed_event {
    uint64_t frame;
    uint32_t track; /* track number in the file, from 0 */
    gbp_event_t ev;
} gb_timed_event_t;

/** A tempo change (Set Tempo meta event) at an absolute frame. */
typedef struct gb_midifile_tempo {
    uint64_t frame;
    double bpm;
} gb_midifile_tempo_t;

/** A MIDI file read into memory. Every field is read-only for the caller. */
typedef struct gb_midifile {
    char *origin;             /* the path (or name) given to the loader, for messages */
    double sample_rate;
    int format;               /* SMF format 0, 1 or 2 */
    int ppqn;                 /* pulses per quarter note */
    int n_tracks;
    size_t n_events;
    gb_timed_event_t *events; /* sorted by frame; at one frame, in file order (by track) */
    size_t n_tempos;
    gb_midifile_tempo_t *tempos; /* sorted by frame, as written in the file */
    double length_s;          /* end of the longest track (its End of Track), seconds */
    uint64_t length_frames;   /* the same in frames */
    uint32_t n_ignored;       /* channel messages with no event form (program change, poly
                                 pressure); sysex and meta events other than tempo are skipped
                                 without being counted */
} gb_midifile_t;

/** Read a Standard MIDI File (format 0 or 1). Frames are round(time_s × sample_rate), with
 *  time_s following the file's tempo map exactly (libsmf's time_seconds). Channel messages
 *  become events as gb_midi_to_event() converts them (note-on velocity 0 is a note-off; CC
 *  120/123 are all-off). The file is checked strictly before libsmf sees it: one that cannot
 *  be opened, is not a MIDI file, is truncated or corrupt (with the byte offset), or uses
 *  SMPTE time division or format 2 fails with a message that starts with the path. A track
 *  without End of Track ends where its chunk ends. sample_rate: 1..1e6. [main] */
gb_midifile_t *gb_midifile_load(const char *path, double sample_rate, gb_error_t *err);

/** Same from memory; origin names it in messages. [main] */
gb_midifile_t *gb_midifile_load_mem(const void *data, size_t len, const char *origin,
                                    double sample_rate, gb_error_t *err);

/** Free a loaded file. NULL-safe. [main] */
void gb_midifile_free(gb_midifile_t *mf);

/* ---------------------------------------------------------------- writer */

typedef struct gb_midifile_writer gb_midifile_writer_t;

/** A new SMF format 1 file at a constant tempo (20..300 bpm) with ppqn pulses per quarter
 *  note (1..32767; 0 means 960). Track 0 is the conductor track (its name "gbac", the tempo);
 *  tracks added with gb_midifile_writer_add_track() follow it. [main] */
gb_midifile_writer_t *gb_midifile_writer_new(double tempo_bpm, int ppqn, gb_error_t *err);

/** Free a writer. NULL-safe. [main] */
void gb_midifile_writer_free(gb_midifile_writer_t *w);

/** Add a track named `name` (a Track Name meta event; e.g. "performer", "melody-gan").
 *  Returns its number (1, 2, ...), or a negative error. [main] */
int gb_midifile_writer_add_track(gb_midifile_writer_t *w, const char *name, gb_error_t *err);

/** Add an event to a track at `seconds` (≥ 0), rounded to the nearest pulse. Events may be
 *  added in any order; at one pulse they keep the order they were added in. GBP_EV_PARAM
 *  has no MIDI form and is skipped (returns 0); others are encoded as gb_midi_from_event()
 *  does. Returns 0 or a negative error. [main] */
int gb_midifile_writer_add(gb_midifile_writer_t *w, int track, double seconds,
                           const gbp_event_t *ev, gb_error_t *err);

/** Write the file (a temporary file renamed over path). Returns 0 or a negative error
 *  naming the path. [main] */
int gb_midifile_writer_save(gb_midifile_writer_t *w, const char *path, gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
