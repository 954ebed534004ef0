/* gb_recorder.h — recording audio and events to disk without ever making the audio thread
 * wait: a disk thread fed through two lock-free SPSC rings.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Threads:
 *   [main]   creates the recorder (rings, audio file, disk thread), hands it to the audio
 *            thread (an atomic pointer, see gb_live.c), takes it back, stops it.
 *   [audio]  the producer: gb_recorder_push_audio() copies interleaved stereo frames into
 *            the audio ring, gb_recorder_push_event() one event into the event ring. A full
 *            ring refuses the push: the block or event is dropped and counted (overruns);
 *            nothing ever waits, allocates or makes a syscall.
 *   disk     the consumer: writes the frames with libsndfile (WAV 32-bit float or FLAC
 *            24-bit), refreshes the WAV header about once a second (a crash leaves a valid
 *            file up to there), and collects the events into memory.
 *
 * A failed write (disk full: a short write, ENOSPC) stops the *audio* recording: the disk
 * thread truncates the file to the whole frames written, keeps draining (and discarding) the
 * audio ring so the producer never sees a full ring, goes on collecting events, and sets a
 * reason (gb_recorder_failure) that the host reports. The music goes on. At stop the WAV
 * header is rewritten in place to describe exactly the frames on disk.
 *
 * Offline (render, demo): the render loop is both producer and waiter: it calls
 * gb_recorder_wait_room() before each block, which sleeps until both rings have room for a
 * whole block, so nothing is lost while the push functions stay non-blocking.
 */
#ifndef GB_RECORDER_H
#define GB_RECORDER_H

#include <stddef.h>
#include <stdint.h>

#include "gb_common.h"
#include "gb_engine.h"
#include "gbac_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gb_rec_format {
    GB_REC_WAV = 0,  /* WAV, 32-bit float */
    GB_REC_FLAC = 1, /* FLAC, 24-bit (clipped at full scale) */
} gb_rec_format_t;

typedef enum gb_rec_kind {
    GB_REC_NOTE = 1, /* ev: note on/off; ev.source 0 = performer, else the generating unit */
    GB_REC_CC,       /* ev: a MIDI control change as received (ev.id = controller) */
    GB_REC_PARAM,    /* handle changed to value; from: gb_rec_from_t */
    GB_REC_TEMPO,    /* value: tempo in bpm */
} gb_rec_kind_t;

typedef enum gb_rec_from {
    GB_REC_FROM_OSC = 0,
    GB_REC_FROM_MIDI = 1, /* a mapped CC */
    GB_REC_FROM_UNIT = 2, /* a value a unit reported (e.g. the melody GAN's `score`) */
} gb_rec_from_t;

/** One recorded event. frame: frames since the recording started (0 = the first frame of
 *  the audio file). */
typedef struct gb_rec_event {
    uint64_t frame;
    uint8_t kind; /* gb_rec_kind_t */
    uint8_t from; /* gb_rec_from_t, for GB_REC_PARAM */
    uint16_t pad;
    int32_t handle;
    float value;
    gbp_event_t ev;
} gb_rec_event_t;

typedef struct gb_recorder_config {
    uint32_t struct_size;    /* sizeof(gb_recorder_config_t) */
    const char *path;        /* the audio file to create (its container from format) */
    double sample_rate;
    int format;              /* gb_rec_format_t */
    double ring_s;           /* audio ring length in seconds (default 4) */
    uint32_t event_capacity; /* event ring, in events (default 16384) */
} gb_recorder_config_t;

/** Defaults as documented above (path NULL, 48000 Hz, WAV). [any] */
gb_recorder_config_t gb_recorder_config_default(void);

typedef struct gb_recorder gb_recorder_t;

/** Open the audio file, allocate the rings and start the disk thread. Errors name the file.
 *  [main] */
gb_recorder_t *gb_recorder_new(const gb_recorder_config_t *cfg, gb_error_t *err);

/** Push `frames` stereo frames. The frame counter (gb_recorder_frames) always advances by
 *  `frames`; when the ring lacks room for the whole block, the block is dropped and counted
 *  (one overrun, `frames` dropped frames). [audio] */
void gb_recorder_push_audio(gb_recorder_t *r, const float *l, const float *r_,
                            uint32_t frames) GB_RT;

/** Push one event; 0, or -1 when the event ring is full (dropped and counted). [audio] */
int gb_recorder_push_event(gb_recorder_t *r, const gb_rec_event_t *ev) GB_RT;

/** Record what the engine did in its last gb_engine_process(): the block's input events
 *  (performer notes with source 0 and raw CCs; parameter events are left to whoever sent
 *  them), the generated notes, the parameter changes CC mappings made (from "midi", at the
 *  block's first frame), the values units reported (from "unit"), and the tempo when it
 *  differs from the last block's (the first block always states it). `frame` is the
 *  recording frame of the block's first frame. in may be NULL (n_in 0). [audio] */
void gb_recorder_capture_block(gb_recorder_t *r, const gb_engine_t *e, const gbp_event_t *in,
                               uint32_t n_in, uint64_t frame) GB_RT;

/** Frames pushed so far (the frames played while recording, dropped ones included): the
 *  current recording frame. [any] */
uint64_t gb_recorder_frames(const gb_recorder_t *r) GB_RT;

/** Offline producers: sleep until both rings have room for a block of max_frames frames
 *  (at most the ring's size) and 4096 events (at most half the event ring). [main] */
void gb_recorder_wait_room(gb_recorder_t *r, uint32_t max_frames);

/** Push frames, waiting for room instead of dropping (offline). [main] */
void gb_recorder_write_audio(gb_recorder_t *r, const float *l, const float *r_,
                             uint32_t frames);

/** Hold the disk thread (on = 1: it takes nothing out of the rings) or let it go on: a
 *  stalled disk, for tests of the overrun accounting. Stopping lets it go. [main] */
void gb_recorder_hold(gb_recorder_t *r, int on);

/** Why the audio recording stopped early ("disk full: No space left on device after 1.2 s"),
 *  or NULL while it is fine. Set once by the disk thread. [any] */
const char *gb_recorder_failure(const gb_recorder_t *r);

/** What a stopped recorder leaves. events: sorted by frame (stable), owned by the caller
 *  (free()). */
typedef struct gb_recorder_result {
    uint64_t frames;         /* frames pushed (played) */
    uint64_t frames_written; /* whole frames in the audio file */
    uint64_t overruns;       /* audio blocks dropped because the ring was full */
    uint64_t dropped_frames; /* frames in those blocks */
    uint64_t events_dropped; /* events dropped because the event ring was full */
    char stopped[256];       /* "" or the reason the audio recording stopped early */
    gb_rec_event_t *events;
    size_t n_events;
} gb_recorder_result_t;

/** Stop: the producer must have let go of r (no push may run any more). The disk thread
 *  drains both rings, finalises the audio file (header rewritten in place) and exits.
 *  Returns 0, or a negative error (res still filled) when closing the file failed. [main] */
int gb_recorder_stop(gb_recorder_t *r, gb_recorder_result_t *res, gb_error_t *err);

/** Free (stops first if needed, discarding the result). NULL-safe. [main] */
void gb_recorder_free(gb_recorder_t *r);

#ifdef __cplusplus
}
#endif
#endif
