/* gb_melody_gen.h — melodies from the melody GAN (`gbac generate melody`): the generator and
 * its critic loaded as a pair, keys and meters by name, a call read as the live unit hears it
 * (its top line, its key by gb_melody_key_of_notes, its last four bars as the context, its
 * tempo), the bars written to a MIDI file.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_MELODY_GEN_H
#define GB_MELODY_GEN_H

#include <stdint.h>

#include "gb_common.h"
#include "gb_modelfile.h"

#define GB_MELODY_MODEL "models/melody-gan.safetensors" /* shipped, in the data folder */
#define GB_MELODY_TRACK "gbac melody-gan"               /* the MIDI track's name */

/** A generator (kind melody-gan-generator) and its critic FILE.disc, if loaded. */
typedef struct gb_melody_models {
    gb_model_t *gen, *critic;
    char path[4200];        /* the generator's file */
    char critic_path[4300]; /* FILE.disc, loaded or not */
} gb_melody_models_t;

/** Load the generator `model` (NULL: the shipped one, found by gb_share_file) and, when
 *  use_critic and FILE.disc is readable, its critic, each for up to max_batch rows (the
 *  candidates sampled together). Both must be this version's (gb_melgan_check_*). Errors
 *  name the file (or where the shipped model was looked for). Returns 0 or a negative error.
 *  [main] */
int gb_melody_models_load(const char *model, int use_critic, int max_batch,
                          gb_melody_models_t *m, gb_error_t *err);

/** Free both models (the struct itself is the caller's). NULL-safe. [main] */
void gb_melody_models_free(gb_melody_models_t *m);

/** "D", "F#", "Bb", "Am", "C#m" → semitones from C / A (−6..5, gb_melody_key_offset) and
 *  mode (0 major, 1 minor). Returns 0 or -1. [any] */
int gb_melody_key_parse(const char *s, int *shift, int *mode);

/** "4/4", "3/4" or "6/8" → numerator and denominator. Returns 0 or -1. [any] */
int gb_melody_meter_parse(const char *s, int *num, int *den);

typedef struct gb_melody_gen_config {
    const char *model;    /* generator file, NULL: the shipped one */
    int use_critic;       /* let FILE.disc choose among the candidates when it is there (1) */
    int bars;             /* 1..1024 (8) */
    int seed;             /* (1): a seed always gives the same melody */
    int key_given;        /* shift and mode were given (else C major, or the call's key) */
    int shift, mode;      /* key: semitones from C major / A minor, mode (0, 0) */
    int meter_given;      /* num and den were given (else 4/4, or the call's meter) */
    int num, den;         /* meter (4/4) */
    double bpm;           /* quarter notes per minute; 0: the call's first tempo, or 120 */
    double temperature;   /* sampling temperature (1) */
    int top_k;            /* sample among the top_k likeliest tokens, 0 = all (6) */
    int candidates;       /* bars sampled per bar, one chosen by the critic (4) */
    const char *after;    /* a call (MIDI file) to answer; or NULL */
    const char *out;      /* the MIDI file to write: one track, GB_MELODY_TRACK */
} gb_melody_gen_config_t;

/** Defaults as documented above. [any] */
void gb_melody_gen_config_init(gb_melody_gen_config_t *c);

/** What the call was heard as (--after). */
typedef struct gb_melody_call_info {
    int tonic, mode;        /* its detected key */
    int num, den;           /* its meter (the first time signature; 4/4 without one) */
    double bpm;             /* its first tempo (120 without one) */
    int polyphonic_steps;   /* steps where it had more than one note (the top one taken) */
    int percussion;         /* notes on channel 10, left out */
    int tempo_changes, meter_changes;
} gb_melody_call_info_t;

typedef struct gb_melody_gen_result {
    uint8_t *tokens; /* bars × GB_MDS_MAX_STEPS step tokens in the normalised key */
    int bars, steps; /* steps per bar */
    int critic;      /* 1: the critic chose among the candidates */
    int shift, mode; /* the key written (given, the call's, or C major) */
    int num, den;    /* the meter written */
    double bpm;      /* the tempo written */
    int has_call;    /* 1: `call` describes the call answered */
    gb_melody_call_info_t call;
} gb_melody_gen_result_t;

/** Generate and write the MIDI file (see above). Returns 0 or a negative error naming the
 *  file. [main] */
int gb_melody_gen_run(const gb_melody_gen_config_t *c, gb_melody_gen_result_t *r,
                      gb_error_t *err);

/** Free the tokens. NULL-safe. [main] */
void gb_melody_gen_result_free(gb_melody_gen_result_t *r);

/** Write bars × steps step tokens (rows of GB_MDS_MAX_STEPS) in the key shifted by shift
 *  semitones as a MIDI file of one track, GB_MELODY_TRACK, at bpm quarter notes a minute: a
 *  note-on (velocity 0.8) at each pitch token, held through holds, ended by the next
 *  non-hold; the file ends with the last bar. Returns 0 or a negative error naming path.
 *  [main] */
int gb_melody_write_midi(const char *path, const uint8_t *tokens, int bars, int steps,
                         int shift, double bpm, gb_error_t *err);

/** The MIDI pitch of a pitch token in the key shifted by shift semitones, or -1 for rests,
 *  holds and pads. [any] */
int gb_melody_token_pitch(int token, int shift);

#endif
