/* gb_melgen.h — the melody GAN's generator and critic at run time: what a bar is conditioned
 * on, the generator's per-step input, the critic's window, and a batched autoregressive
 * sampler (a "job") that the trainer, `gbac generate`, `gbac eval` and the live unit share.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Tokens per 16th step are those of the dataset (gb_melody_ds.h): 0 rest, 1 hold,
 * 2 + (pitch − 48) for MIDI 48..96, in the normalised key (C major / A minor); callers
 * transpose.
 *
 * Generator (models/melody-gan.md): autoregressive over the steps of one bar. Its input at
 * step s (GB_MELGEN_STEP_IN floats, gb_melgen_step_input) is
 *   [ the token before step s, one-hot (GB_MDS_VOCAB; the last token of the previous bar at
 *     step 0; zeros for a pad) | step s one-hot (GB_MDS_MAX_STEPS) | for each reference bar —
 *     one, two and four bars back — its token at step s, one-hot, and a flag 1 while the bar so
 *     far (steps < s) equals it (GB_MELGEN_REFS × (GB_MDS_VOCAB + 1)) | the bar's conditioning ]
 * and its output GB_MDS_VOCAB logits of the token at step s. The reference tokens make a
 * repeat, or a varied repeat, of an earlier bar easy to continue: an 8-bar folk phrase repeats
 * or varies a bar in about half of its bars. The conditioning
 * (GB_MELGEN_COND floats, offsets GB_MELGEN_C_*) is fixed for the bar:
 *   PREV1, PREV2  the previous bar and the one before (bar features, below; rests before the
 *                 tune's start)
 *   PREV4         the bar four bars back, where an 8-bar phrase's second half mirrors its
 *                 first (repeats and varied repeats)
 *   METER         one-hot 4/4, 3/4, 6/8, other;  STEPS  steps per bar / 16
 *   MODE          0 major, 1 minor;  KEY  one-hot of the transposition of the training record
 *                 (augmentation) mod 12; generation asks for 0 (C major / A minor)
 *   PHRASE        one-hot of the bar's position in its 8-bar phrase (0..7; a 4-bar phrase
 *                 is positions 0..3 or 4..7)
 *   DENSITY       the bar's wanted note onsets / 16 and a flag 1 when it is given (0 and 0:
 *                 the generator chooses)
 *   CHORD         the held chord: 12 pitch classes (of the normalised key) and a last
 *                 "no chord" flag
 *   Z             the latent (GB_MELGEN_Z), N(0, 1) when sampling; the taste moves it
 * The runtime model is a gb_nn_t: Dense (relu) → GRU → Dense (logits); one forward is one
 * step; slot r of a batched forward is candidate r, its GRU state the sequence so far.
 *
 * Bar features (GB_MELGEN_BAR_FEAT floats): per step (onset, sounding, (pitch − 72)/12 while
 * sounding) for GB_MDS_MAX_STEPS steps, then the pitch-class histogram (share of the bar's
 * steps each pitch class sounds).
 *
 * Critic: an MLP from a window of bars (four back, two back, one back and the bar judged) with
 * the bar's meter, mode, key, phrase position and chord, whether it repeats a bar before, and
 * the note statistics of the last two bars (GB_MELGEN_CRIT_IN floats, offsets GB_MELGEN_K_*)
 * to one logit, > 0 meaning "looks like the corpus".
 *
 * Every block is written by one function at the offset its enum names, and the sizes are sums
 * of those names: the conditioning and the critic's input share the meter/key block
 * (GB_MELGEN_MK_*), so neither can drift from the other (tests/test_melgen_layout.c).
 */
#ifndef GB_MELGEN_H
#define GB_MELGEN_H

#include <stdint.h>

#include "gb_common.h"
#include "gb_melody_ds.h"
#include "gb_nn.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_MELGEN_Z 8
#define GB_MELGEN_PHRASE 8
#define GB_MELGEN_BAR_FEAT (3 * GB_MDS_MAX_STEPS + 12)

/** Meter classes (gb_melgen_meter_class): 4/4, 3/4, 6/8, other. */
#define GB_MELGEN_METERS 4

/** The meter/key block, the same in the conditioning and in the critic's input (one writer,
 *  offsets inside the block): meter one-hot (4/4, 3/4, 6/8, other), steps per bar / 16, mode,
 *  key one-hot 12. */
enum {
    GB_MELGEN_MK_METER = 0,
    GB_MELGEN_MK_STEPS = GB_MELGEN_MK_METER + GB_MELGEN_METERS,
    GB_MELGEN_MK_MODE = GB_MELGEN_MK_STEPS + 1,
    GB_MELGEN_MK_KEY = GB_MELGEN_MK_MODE + 1,
    GB_MELGEN_MK = GB_MELGEN_MK_KEY + 12
};
/** The held-chord block: 12 pitch classes and a "no chord" flag. */
#define GB_MELGEN_CHORD 13
/** The wanted-density block: onsets / 16 and a "given" flag. */
#define GB_MELGEN_DENSITY 2

enum {
    GB_MELGEN_C_PREV1 = 0,
    GB_MELGEN_C_PREV2 = GB_MELGEN_C_PREV1 + GB_MELGEN_BAR_FEAT,
    GB_MELGEN_C_PREV4 = GB_MELGEN_C_PREV2 + GB_MELGEN_BAR_FEAT,
    GB_MELGEN_C_METER = GB_MELGEN_C_PREV4 + GB_MELGEN_BAR_FEAT, /* the meter/key block */
    GB_MELGEN_C_STEPS = GB_MELGEN_C_METER + GB_MELGEN_MK_STEPS,
    GB_MELGEN_C_MODE = GB_MELGEN_C_METER + GB_MELGEN_MK_MODE,
    GB_MELGEN_C_KEY = GB_MELGEN_C_METER + GB_MELGEN_MK_KEY,
    GB_MELGEN_C_PHRASE = GB_MELGEN_C_METER + GB_MELGEN_MK,
    GB_MELGEN_C_DENSITY = GB_MELGEN_C_PHRASE + GB_MELGEN_PHRASE,
    GB_MELGEN_C_CHORD = GB_MELGEN_C_DENSITY + GB_MELGEN_DENSITY,
    GB_MELGEN_C_Z = GB_MELGEN_C_CHORD + GB_MELGEN_CHORD,
    GB_MELGEN_COND = GB_MELGEN_C_Z + GB_MELGEN_Z
};

/** Reference bars of the step input: one, two and four bars back (prev1, prev2, prev4). */
#define GB_MELGEN_REFS 3
/** Offsets inside the step input, and its size. */
#define GB_MELGEN_IN_STEP GB_MDS_VOCAB
#define GB_MELGEN_IN_REF (GB_MDS_VOCAB + GB_MDS_MAX_STEPS)
#define GB_MELGEN_IN_COND (GB_MELGEN_IN_REF + GB_MELGEN_REFS * (GB_MDS_VOCAB + 1))
#define GB_MELGEN_STEP_IN (GB_MELGEN_IN_COND + GB_MELGEN_COND)

/** Note statistics of a bar for the critic (gb_melgen_bar_stats; offsets GB_MELGEN_ST_*):
 *  onsets/16, note-length and inter-onset-interval histograms (8 classes each: 1, 2, 3, 4,
 *  5–6, 7–8, 9–12, 13+ steps), |interval| histogram (0, 1, 2, 3–4, 5–7, 8–12, 13+
 *  semitones), the last note's pitch class one-hot. */
enum {
    GB_MELGEN_ST_ONSETS = 0,
    GB_MELGEN_ST_LENGTH = GB_MELGEN_ST_ONSETS + 1,
    GB_MELGEN_ST_IOI = GB_MELGEN_ST_LENGTH + 8,
    GB_MELGEN_ST_INTERVAL = GB_MELGEN_ST_IOI + 8,
    GB_MELGEN_ST_LAST = GB_MELGEN_ST_INTERVAL + 7,
    GB_MELGEN_BAR_STATS = GB_MELGEN_ST_LAST + 12
};

/** The critic's input (offsets GB_MELGEN_K_*, GB_MELGEN_CRIT_IN floats): four bars' features
 *  (b−4, b−2, b−1, b), the meter/key block, phrase 8, chord 13, per reference bar (b−1, b−2,
 *  b−4) whether the bar equals it and the share of its steps that do (2 each), and the note
 *  statistics of bars b−1 and b. */
enum {
    GB_MELGEN_K_PREV4 = 0,
    GB_MELGEN_K_PREV2 = GB_MELGEN_K_PREV4 + GB_MELGEN_BAR_FEAT,
    GB_MELGEN_K_PREV1 = GB_MELGEN_K_PREV2 + GB_MELGEN_BAR_FEAT,
    GB_MELGEN_K_BAR = GB_MELGEN_K_PREV1 + GB_MELGEN_BAR_FEAT,
    GB_MELGEN_K_METER = GB_MELGEN_K_BAR + GB_MELGEN_BAR_FEAT, /* the meter/key block */
    GB_MELGEN_K_PHRASE = GB_MELGEN_K_METER + GB_MELGEN_MK,
    GB_MELGEN_K_CHORD = GB_MELGEN_K_PHRASE + GB_MELGEN_PHRASE,
    GB_MELGEN_K_REPEAT = GB_MELGEN_K_CHORD + GB_MELGEN_CHORD,
    GB_MELGEN_K_STATS1 = GB_MELGEN_K_REPEAT + 2 * GB_MELGEN_REFS, /* bar b−1 */
    GB_MELGEN_K_STATS = GB_MELGEN_K_STATS1 + GB_MELGEN_BAR_STATS, /* bar b */
    GB_MELGEN_CRIT_IN = GB_MELGEN_K_STATS + GB_MELGEN_BAR_STATS
};

/** Largest number of rows (candidates) of a job. */
#define GB_MELGEN_MAX_ROWS GB_NN_MAX_BATCH

/** What a bar is generated from (see the conditioning above). */
typedef struct gb_melgen_cond {
    uint8_t prev1[GB_MDS_MAX_STEPS]; /* the bar before (GB_MDS_PAD past steps) */
    uint8_t prev2[GB_MDS_MAX_STEPS]; /* the bar before that */
    uint8_t prev4[GB_MDS_MAX_STEPS]; /* four bars back */
    int steps;                       /* steps per bar, 1..GB_MDS_MAX_STEPS */
    int num, den;                    /* meter */
    int mode;                        /* 0 major, 1 minor */
    int key;                         /* transposition class 0..11 (0 when generating) */
    int phrase_pos;                  /* 0..7 */
    int density;                     /* wanted onsets, 0..steps; −1: the generator chooses */
    int chord;                       /* 12-bit pitch-class mask (normalised key); 0 = none */
} gb_melgen_cond_t;

/** Meter class: 0 4/4, 1 3/4, 2 6/8, 3 other. [any] */
int gb_melgen_meter_class(int num, int den) GB_RT;

/** Bar features (GB_MELGEN_BAR_FEAT floats) of `steps` tokens. [any] */
void gb_melgen_bar_features(const uint8_t *bar, int steps, float *out) GB_RT;

/** The conditioning vector (GB_MELGEN_COND floats); z NULL = zeros. [any] */
void gb_melgen_cond_vector(const gb_melgen_cond_t *c, const float *z, float *out) GB_RT;

/** The note statistics of `bar` (GB_MELGEN_BAR_STATS floats); `before` is the bar before it
 *  (its last note starts the first interval). [any] */
void gb_melgen_bar_stats(const uint8_t *before, const uint8_t *bar, int steps, float *out) GB_RT;

/** The reference bars of c, one after the other (GB_MELGEN_REFS × GB_MDS_MAX_STEPS). [any] */
void gb_melgen_refs(const gb_melgen_cond_t *c, uint8_t *refs) GB_RT;

/** The generator's input at step s (GB_MELGEN_STEP_IN floats): prev_tok the token before
 *  (< 0 or a pad: none), refs the reference bars, match[i] 1 while the bar so far equals
 *  reference i, cond the conditioning vector. [any] */
void gb_melgen_step_input(int prev_tok, int s, const uint8_t *refs, const int *match,
                          const float *cond, float *x) GB_RT;

/** The critic's input for `bar` under c (GB_MELGEN_CRIT_IN floats). [any] */
void gb_melgen_critic_input(const gb_melgen_cond_t *c, const uint8_t *bar, float *out) GB_RT;

/** The last token sounding state of a bar for the next bar's step 0: its last token that is
 *  not a hold (a hold after the bar's start keeps the token before; GB_MDS_REST for pads),
 *  and in *last the bar's very last token (hold included). [any] */
int gb_melgen_last_token(const uint8_t *bar, int steps, int *last) GB_RT;

/** Note onsets of a bar. [any] */
int gb_melgen_onsets(const uint8_t *bar, int steps) GB_RT;

/** The triad (major or minor; 12-bit pitch-class mask) that best covers a bar's notes,
 *  weighted by length and double on the beats; 0 for a bar without notes. The training
 *  data's stand-in for a held chord. [any] */
int gb_melgen_bar_triad(const uint8_t *bar, int steps, int num, int den) GB_RT;

/** splitmix64 step; a uniform double in (0, 1); a standard normal. [any] */
uint64_t gb_melgen_rng_next(uint64_t *s) GB_RT;
double gb_melgen_rng_unit(uint64_t *s) GB_RT;
float gb_melgen_rng_normal(uint64_t *s) GB_RT;

/** Draw a token from `logits` (GB_MDS_VOCAB) at temperature > 0 among the top_k largest
 *  (0 = all); `bias` (NULL or GB_MDS_VOCAB floats) is added after the division by the
 *  temperature. A hold is never drawn after a rest or at the start (prev_sounding 0).
 *  [any] */
int gb_melgen_draw(const float *logits, const float *bias, float temperature, int top_k,
                   int prev_sounding, uint64_t *rng) GB_RT;

/* ---- the sampler ------------------------------------------------------------------------ */

/** A batched autoregressive sampler: `rows` bars at once, each with its own conditioning,
 *  latent and random stream, through one gb_nn_t whose slots 0..rows-1 it owns while it runs.
 *  gb_melgen_job_new allocates; everything else is real-time safe: no allocation, no lock,
 *  no system call; a step costs one batched forward and `rows` draws. */
typedef struct gb_melgen_job gb_melgen_job_t;

/** New sampler for up to max_rows rows (1..GB_MELGEN_MAX_ROWS). NULL with err. [main] */
gb_melgen_job_t *gb_melgen_job_new(int max_rows, gb_error_t *err);
void gb_melgen_job_free(gb_melgen_job_t *j); /**< NULL-safe [main] */

/** Start a new set of `rows` bars (clamped to 1..max_rows) drawn at `temperature` among the
 *  top_k likeliest tokens (0 = all); then give every row with gb_melgen_job_row. [audio] */
void gb_melgen_job_begin(gb_melgen_job_t *j, int rows, float temperature, int top_k) GB_RT;

/** Row r's conditioning, latent (GB_MELGEN_Z floats, NULL = zeros) and random seed. [audio] */
void gb_melgen_job_row(gb_melgen_job_t *j, int r, const gb_melgen_cond_t *c, const float *z,
                       uint64_t seed) GB_RT;

/** Logit biases per step (steps × GB_MDS_VOCAB floats, applied to every row after the
 *  temperature), or NULL. The array is borrowed until the job ends. [audio] */
void gb_melgen_job_bias(gb_melgen_job_t *j, const float *bias) GB_RT;

/** One step of every row: the step input, one batched forward of nn (which must take
 *  GB_MELGEN_STEP_IN and give GB_MDS_VOCAB; its slots are reset at step 0), one draw per row.
 *  shared != 0: row 0 draws and every row takes its token (a prefix already played). Rows
 *  whose bar is shorter pad. Returns the steps still to go (0: done). [audio] */
int gb_melgen_job_step(gb_melgen_job_t *j, gb_nn_t *nn, int shared) GB_RT;

int gb_melgen_job_rows(const gb_melgen_job_t *j) GB_RT;      /**< [any] */
int gb_melgen_job_next_step(const gb_melgen_job_t *j) GB_RT; /**< steps done so far [any] */
int gb_melgen_job_steps(const gb_melgen_job_t *j) GB_RT;     /**< the longest row's steps [any] */
/** Row r's bar (GB_MDS_MAX_STEPS tokens, pads past its steps; valid steps < next_step). */
const uint8_t *gb_melgen_job_bar(const gb_melgen_job_t *j, int r) GB_RT; /**< [any] */
/** Row r's latent. */
const float *gb_melgen_job_z(const gb_melgen_job_t *j, int r) GB_RT; /**< [any] */

#ifdef __cplusplus
}
#endif
#endif
