/* gb_listen_clips.h — the clips of a blind listening test (`gbac listen-test`): for each pair
 * a held-out tune of the melody dataset, and two continuations of its first bar — its own
 * real bars and the melody model's (or model A's and model B's) — written as MIDI and
 * rendered to WAV through gbac's offline renderer (gb_render.h) with one preset, in the tune's
 * key, at one tempo, with the same tail: the two clips of a pair have the same length and
 * differ only in their notes. docs/listen-test.md.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Tunes: the dataset's test split (tunes the shipped model never trained on when the dataset
 * is the shipped corpus with the default split, as `gbac dataset melody` makes it), those with
 * at least bars + 1 bars in a meter the generator takes; `pairs` of them drawn by a seeded
 * shuffle. The real clip is the tune's bars 2..bars+1; the generated one continues bar 1 as
 * `gbac eval melody` does (top-k 6, one of 4 candidates chosen by the critic, seed S + the
 * tune's index; model B gets the same). Which clip is "a" (first, left) is a seeded coin flip
 * per pair, recorded in the test.
 */
#ifndef GB_LISTEN_CLIPS_H
#define GB_LISTEN_CLIPS_H

#include <stdio.h>

#include "gb_common.h"
#include "gb_listen_results.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_LISTEN_MAX_BARS 16
#define GB_LISTEN_TAIL_S 1.0 /* rendered after the last bar of every clip */

typedef struct gb_listen_config {
    int question;            /* gb_listen_question_t */
    const char *model;       /* melody model (A); NULL: the shipped one */
    const char *model_b;     /* model B: model against model; NULL: real against generated */
    const char *data;        /* dataset folder; NULL: the shipped corpus, built in work_dir */
    const char *preset;      /* preset file the clips are rendered with (no note sources) */
    int pairs;               /* 1..GB_LISTEN_MAX_PAIRS */
    int bars;                /* bars per clip, 1..GB_LISTEN_MAX_BARS */
    int seed;
    double tempo;            /* quarter notes per minute */
    int sample_rate;
    const char *clip_dir;    /* the clips go here: pNNa.wav, pNNb.wav (served as /clips/NAME)
                                and the MIDI files they were rendered from, pNNa.mid, ... */
    const char *work_dir;    /* a dataset built from the shipped corpus goes here */
    FILE *progress;          /* what is being made; NULL: quiet */
} gb_listen_config_t;

/** Make the test: choose the tunes, generate, render every clip, fill *t (design only, no
 *  choices). Errors name the file or say why (e.g. fewer usable held-out tunes than pairs).
 *  Returns 0 or a negative error. [main] */
int gb_listen_make(const gb_listen_config_t *c, gb_listen_test_t *t, gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
