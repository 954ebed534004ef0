/* gb_listen_results.h — a blind A/B listening test's design and answers (`gbac listen-test`):
 * which clip of each pair is which, what the listener picked and when, the summary (counts,
 * the share picked with its exact binomial interval), written as JSON after every choice and
 * read back, checked, by `gbac eval melody --listen-test FILE`. docs/listen-test.md.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The file (format "gbac-listen-test/1"; readers ignore keys they do not know):
 *   {"format": "gbac-listen-test/1",
 *    "kind": "real-vs-generated" | "model-vs-model",
 *    "sources": ["real", "generated"] | ["model_a", "model_b"],
 *    "question": "human" | "prefer", "question_text": "Which is the human's?",
 *    "model": FILE, "model_b": FILE | null, "data": DS, "preset": FILE,
 *    "seed": S, "bars": N, "tempo_bpm": BPM, "sample_rate": HZ, "started": ISO-8601 UTC,
 *    "pairs": [{"pair": 0, "tune": NAME, "meter": "6/8", "a": SOURCE, "b": SOURCE,
 *               "clip_a": "p00a.wav", "clip_b": "p00b.wav", "frames": F,
 *               "seconds": F / HZ}, ...],
 *    "choices": [{"pair": 0, "picked": "a" | "b", "source": SOURCE picked,
 *                 "correct": true | false (question "human"; else null),
 *                 "plays_a": N, "plays_b": N, "time": ISO-8601 UTC with ms,
 *                 "t_s": seconds since the test started}, ...],
 *    "summary": {"pairs": N, "choices": N, "complete": true | false,
 *                "counts": {SOURCE: picks, SOURCE: picks},
 *                "correct": picks of "real" | null, "accuracy": correct / choices | null,
 *                "rate_of": sources[0], "rate": its picks / choices (null without choices),
 *                "ci_method": "clopper-pearson", "ci_level": 0.95, "ci_low": L, "ci_high": H,
 *                "p_value": exact two-sided binomial test of rate = 0.5}}
 * "a" is the clip on the left (first), "b" on the right. The summary is what
 * gb_listen_summarise computes from the choices; a file whose summary disagrees with its
 * choices is refused when read.
 */
#ifndef GB_LISTEN_RESULTS_H
#define GB_LISTEN_RESULTS_H

#include <jansson.h>

#include "gb_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_LISTEN_FORMAT "gbac-listen-test/1"
#define GB_LISTEN_MAX_PAIRS 100
#define GB_LISTEN_CI_LEVEL 0.95
#define GB_LISTEN_CI_METHOD "clopper-pearson"

typedef enum gb_listen_kind {
    GB_LISTEN_REAL_VS_GENERATED = 0, /* sources: real, generated */
    GB_LISTEN_MODEL_VS_MODEL = 1,    /* sources: model_a, model_b */
} gb_listen_kind_t;

typedef enum gb_listen_question {
    GB_LISTEN_HUMAN = 0,  /* "Which is the human's?" (real vs generated only) */
    GB_LISTEN_PREFER = 1, /* "Which do you prefer?" */
} gb_listen_question_t;

/** One pair as it was made: which source is clip a (left) and which b. */
typedef struct gb_listen_pair {
    char tune[64];      /* the held-out tune both clips continue */
    int a_source;       /* 0: clip a is sources[0] (real / model A), clip b sources[1]; 1: the
                           other way round */
    char clip_a[32], clip_b[32]; /* file names, served under /clips/ */
    int meter_num, meter_den; /* the tune's meter */
    long frames;        /* each clip's length */
} gb_listen_pair_t;

/** One answer. */
typedef struct gb_listen_choice {
    int pair;           /* 0..pairs-1 */
    int picked;         /* 0: clip a, 1: clip b */
    int plays_a, plays_b; /* how often the page started each clip before the choice */
    double t_s;         /* seconds since the test started */
    char time[32];      /* wall clock, ISO-8601 UTC with milliseconds */
} gb_listen_choice_t;

typedef struct gb_listen_test {
    int kind, question;
    char model[4096], model_b[4096]; /* model_b "" unless model-vs-model */
    char data[4096], preset[4096];
    int seed, bars, sample_rate;
    double tempo;
    char started[32];
    int n_pairs;
    gb_listen_pair_t pair[GB_LISTEN_MAX_PAIRS];
    int n_choices;
    gb_listen_choice_t choice[GB_LISTEN_MAX_PAIRS];
} gb_listen_test_t;

typedef struct gb_listen_summary {
    int pairs, choices, complete;
    int count[2];       /* picks of sources[0], sources[1] */
    double rate;        /* count[0] / choices; NAN without choices */
    double ci_low, ci_high; /* Clopper–Pearson at GB_LISTEN_CI_LEVEL (0, 1 without choices) */
    double p_value;     /* two-sided exact test of rate = 0.5 */
} gb_listen_summary_t;

/** The two sources' names ("real", "generated" / "model_a", "model_b"), the question's key
 *  ("human", "prefer") and its text as the page asks it. [any] */
const char *gb_listen_source_name(int kind, int source);
const char *gb_listen_question_key(int question);
const char *gb_listen_question_text(int question);

/** The source of clip `side` (0 a, 1 b) of pair p. [any] */
int gb_listen_source_at(const gb_listen_pair_t *p, int side);

/** Record a choice: pair in 0..n_pairs-1 not answered before, picked 0 or 1, plays >= 0.
 *  Returns 0, or GB_EINVAL with err saying what was wrong (nothing recorded). [any] */
int gb_listen_choose(gb_listen_test_t *t, int pair, int picked, int plays_a, int plays_b,
                     double t_s, const char *time, gb_error_t *err);

/** Whether pair p has been answered. [any] */
int gb_listen_answered(const gb_listen_test_t *t, int pair);

/** The summary of the choices so far. [any] */
void gb_listen_summarise(const gb_listen_test_t *t, gb_listen_summary_t *s);

/** The summary as the file's "summary" object. NULL when out of memory. [any] */
json_t *gb_listen_summary_json(const gb_listen_test_t *t, const gb_listen_summary_t *s);

/** The whole file as JSON. NULL when out of memory. [any] */
json_t *gb_listen_json(const gb_listen_test_t *t);

/** Write the file (under PATH.tmp, renamed over path). Returns 0 or GB_EIO naming it. [main] */
int gb_listen_write(const gb_listen_test_t *t, const char *path, gb_error_t *err);

/** Read and check a results file: the format, every field's type and range, each choice's
 *  pair made and answered once, and the summary equal to the one its choices give.
 *  Returns 0, or GB_EIO (unreadable) / GB_EFORMAT with err naming the file and what is
 *  wrong. [main] */
int gb_listen_read(const char *path, gb_listen_test_t *t, gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
