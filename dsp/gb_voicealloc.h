/* gb_voicealloc.h — which voice plays a new note: free voices first, then the oldest
 * released voice, then the quietest; plus the sustain-pedal bookkeeping. Pure logic over a
 * fixed array, no allocation, cost bounded by the voice count. Used by the instruments.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef GB_VOICEALLOC_H
#define GB_VOICEALLOC_H

#include <stdint.h>

#include "gb_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_MAX_VOICES 64

typedef enum gb_voice_state {
    GB_VOICE_IDLE = 0,
    GB_VOICE_HELD,      /* key down */
    GB_VOICE_SUSTAINED, /* key up while the sustain pedal is down */
    GB_VOICE_RELEASED,  /* in its release stage */
} gb_voice_state_t;

typedef struct gb_voice_slot {
    gb_voice_state_t state;
    uint8_t key, channel;
    uint64_t started;   /* allocation order stamp */
    uint64_t released;  /* release order stamp (valid when RELEASED) */
    float level;        /* current loudness, set by the instrument, for "quietest" */
} gb_voice_slot_t;

typedef struct gb_voicealloc {
    int n;              /* voices in use (polyphony), 1..GB_MAX_VOICES */
    int sustain;        /* pedal down */
    uint64_t clock;     /* stamps */
    gb_voice_slot_t v[GB_MAX_VOICES];
} gb_voicealloc_t;

/** Called when a voice enters its release (the instrument starts its release stage). [audio] */
typedef void (*gb_voice_release_fn)(void *ctx, int voice) GB_RT;

/** All voices idle, polyphony n (clamped to 1..GB_MAX_VOICES). [any] */
void gb_voicealloc_init(gb_voicealloc_t *va, int n) GB_RT;

/** Choose a voice for a new note and mark it HELD. *stolen is set to 1 when the chosen voice
 *  was sounding (the caller fades the old sound out). Returns the voice index. [audio] */
int gb_voicealloc_note_on(gb_voicealloc_t *va, uint8_t key, uint8_t channel, int *stolen) GB_RT;

/** Key released: HELD voices playing key/channel become RELEASED, or SUSTAINED while the
 *  pedal is down. Calls release(ctx, voice) for each voice that enters its release.
 *  Returns the number of voices affected. [audio] */
int gb_voicealloc_note_off(gb_voicealloc_t *va, uint8_t key, uint8_t channel,
                           gb_voice_release_fn release, void *ctx) GB_RT;

/** Sustain pedal; on release, SUSTAINED voices are released (release() called). [audio] */
void gb_voicealloc_sustain(gb_voicealloc_t *va, int down,
                           gb_voice_release_fn release, void *ctx) GB_RT;

/** Release every sounding voice (all notes off). [audio] */
void gb_voicealloc_all_off(gb_voicealloc_t *va, gb_voice_release_fn release,
                           void *ctx) GB_RT;

/** The instrument reports a voice has finished its release. [audio] */
void gb_voicealloc_free(gb_voicealloc_t *va, int voice) GB_RT;

/** Voices not idle. [any] */
int gb_voicealloc_active(const gb_voicealloc_t *va) GB_RT;

#ifdef __cplusplus
}
#endif
#endif
