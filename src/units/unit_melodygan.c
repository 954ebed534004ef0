/* unit_melodygan.c — gbac.melody-gan: a note source that answers, continues, accompanies or
 * improvises melodies with the melody GAN (models/melody-gan.md), bar by bar on the
 * transport's grid, with the critic and the performer's taste choosing among K candidates.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Grid. Step k (a 16th note) lies at beat k/4; its onset is the first frame whose beat
 * position reaches it: ceil((k/4 − beat0) · frames_per_beat) from the block start, with beat0
 * and the tempo from the transport of each block (as the arpeggiator does), computed from the
 * integer k, never accumulated. A bar is beats_per_bar · 4 steps (1..6 beats: the generator
 * knows at most 24 steps). Everything the unit decides, it decides on a step, after the
 * performer's events at or before that step's frame; so block size does not change the output.
 * A transport jump backwards, or forwards by more than 2 bars, restarts the grid.
 *
 * Modes (latched, with every parameter, at each bar start):
 *   0 answer    the performer's notes form a phrase; at the first bar start after
 *               `silence_beats` of silence (no key held) the unit plays `answer_bars` bars;
 *   1 continue  as answer, but it keeps going until the performer plays again;
 *   2 free      it plays all the time;
 *   3 accompany at every bar start where the performer holds a chord (>= 2 keys) it plays a
 *               bar over it, in the chord's key (root + third: a major third above a held
 *               pitch class, lowest first, gives major, else a minor third gives minor), with
 *               a logit bonus of MG_CHORD_BONUS (×temperature) for the held pitch classes on
 *               the beats (steps 0, 4, 8, ...). Released: it stops at the next bar start.
 * A performer note-on during an answer ends it at the next bar start (not in accompany).
 *
 * Conditioning. The phrase's pitch classes, weighted by their length in steps, give its key by
 * Krumhansl–Schmuckler (24 profile correlations); its last bar (the bar of its last onset) is
 * turned into tokens in the normalised key (C major / A minor) as the generator's context, and
 * its onset count is the density. Each following bar is conditioned on the bar before it.
 * Generated tokens are transposed back to the phrase's key. Free mode without a phrase plays in
 * C major from silence; accompany starts from silence with density steps/2.
 *
 * Candidates and taste. Candidate j of generated bar n draws from its own random stream
 * (seed, n, j), so it is the same whenever it is computed. Its latent is
 * z = taste·(mu_like − ½·mu_dislike) + (1 − ½·taste·[any like])·N(0, 1), where mu_* are the
 * means of the liked / disliked latents (a missing set counts 0); it is ranked by
 * critic logit + MG_TASTE_RANK·taste·(cos(z, mu_like) − cos(z, mu_dislike)). The best is
 * played; its critic logit is the READONLY `score`, also written as a GBP_EV_PARAM event
 * (id MG_SCORE) at the bar's first step, which the engine reports (gb_engine_reports).
 * Ratings: every `like` / `dislike` PARAM event of value >= 0.5 is one rating of the latest
 * phrase — the latents of the bars generated since the run started (answer start, free start,
 * chord) or since the last rating, at most MG_PHRASE_BARS; a rating without new bars is
 * ignored. The latents go into bounded rings (MG_TASTE_MAX each, oldest replaced). The taste
 * (rings, phrase, count) is the `taste` member of the state JSON; process() publishes a copy
 * of it through a seqlock (atomics only, the writer never waits) for save_state on [main].
 *
 * Cost, spread over the bar. During the last K steps of a bar (K = `candidates`) the unit
 * works out, as the bar start would, whether the next bar is generated and on what
 * conditioning; if so it computes one candidate per step (one generator forward
 * 135 → 256 → 256 → 1224, sampling 24 steps × 51 tokens top-k 6, one critic forward
 * 234 → 128 → 128 → 1). At the bar start it checks the conditioning again: candidates made
 * for the same conditioning are used, the missing ones (all K when the performer played or a
 * parameter changed in between) are computed then. So a step costs at most A + B·K, and on an
 * undisturbed run A + B; the output is the same either way. The buffers live in the
 * instance; nothing is allocated, locked or read from a file in process().
 *
 * Generated notes are monophonic: a note sounds until the next step that is not a hold, so
 * every note-on gets a note-off (at the latest at the start of the first bar not generated, or
 * on all-off). They carry `source` = source_id. The performer's events pass through unchanged.
 */
#include <jansson.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gb_share.h"
#include "gb_json_util.h"
#include "gb_melgan.h"
#include "gb_modelfile.h"
#include "gb_smooth.h"
#include "gb_builtin_units.h"
#include "gb_common.h"

enum {
    MG_MODE = 0,
    MG_ANSWER_BARS = 1,
    MG_SILENCE = 2,
    MG_TEMPERATURE = 3,
    MG_CANDIDATES = 4,
    MG_SOURCE_ID = 5,
    MG_SEED = 6,
    MG_LIKE = 7,
    MG_DISLIKE = 8,
    MG_TASTE = 9,
    MG_SCORE = 10,
    MG_RATINGS = 11,
    MG_FORWARDS = 12,
    MG_N_PARAMS
};
enum { MG_ANSWER, MG_CONTINUE, MG_FREE, MG_ACCOMPANY };

#define MG_FIXED (GBP_PARAM_STEPPED | GBP_PARAM_NO_SMOOTH)
#define MG_MAX_PHRASE 64
#define MG_TOP_K 6
#define MG_VELOCITY 0.8f
#define MG_DEFAULT_MODEL "models/melody-gan.safetensors"
#define MG_S GB_MDS_MAX_STEPS
#define MG_Z GB_MELGAN_Z
#define MG_K_MAX 8
#define MG_TASTE_MAX 16     /* liked and disliked latents kept (each) */
#define MG_PHRASE_BARS 8    /* latents of the latest phrase kept for a rating */
#define MG_CHORD_BONUS 1.5f /* accompany: logit bonus of held pitch classes on beats */
#define MG_TASTE_RANK 2.0f  /* weight of the taste similarity in the ranking */
#define MG_RO (GBP_PARAM_READONLY | GBP_PARAM_NO_SMOOTH)

static const gbp_param_info_t mg_params[MG_N_PARAMS] = {
    {MG_MODE, "mode", "", 0.0f, 3.0f, 0.0f, 0.0f, MG_FIXED,
     "0 = answer the performer's phrase, 1 = continue after the performer stops, 2 = free, "
     "3 = accompany (a melody over the chord the performer holds)"},
    {MG_ANSWER_BARS, "answer_bars", "bars", 1.0f, 8.0f, 2.0f, 0.0f, MG_FIXED,
     "bars of an answer (mode answer)"},
    {MG_SILENCE, "silence_beats", "beats", 0.5f, 8.0f, 2.0f, 0.0f, GBP_PARAM_NO_SMOOTH,
     "silence after a phrase before the answer starts (at the next bar start)"},
    {MG_TEMPERATURE, "temperature", "", 0.05f, 5.0f, 1.0f, 0.0f, GBP_PARAM_NO_SMOOTH,
     "sampling temperature of the generator"},
    {MG_CANDIDATES, "candidates", "", 1.0f, 8.0f, 4.0f, 0.0f, MG_FIXED,
     "bars sampled per bar; the critic's favourite is played"},
    {MG_SOURCE_ID, "source_id", "", 1.0f, 255.0f, 3.0f, 0.0f, MG_FIXED,
     "provenance id written into the `source` of every generated note"},
    {MG_SEED, "seed", "", 0.0f, 65535.0f, 1.0f, 0.0f, MG_FIXED,
     "random seed (setting it, or reset, restarts the sequence)"},
    {MG_LIKE, "like", "", 0.0f, 1.0f, 0.0f, 0.0f, GBP_PARAM_NO_SMOOTH,
     "trigger: every change to >= 0.5 rates the latest phrase as liked"},
    {MG_DISLIKE, "dislike", "", 0.0f, 1.0f, 0.0f, 0.0f, GBP_PARAM_NO_SMOOTH,
     "trigger: every change to >= 0.5 rates the latest phrase as disliked"},
    {MG_TASTE, "taste", "", 0.0f, 1.0f, 0.5f, 0.0f, GBP_PARAM_NO_SMOOTH,
     "how much the ratings steer sampling and ranking (0 = critic only)"},
    {MG_SCORE, "score", "", -100.0f, 100.0f, 0.0f, 0.0f, MG_RO,
     "critic logit of the bar just generated (> 0: looks real)"},
    {MG_RATINGS, "ratings", "", 0.0f, 1e9f, 0.0f, 0.0f, MG_RO | GBP_PARAM_STEPPED,
     "ratings received (likes + dislikes, kept in the state)"},
    {MG_FORWARDS, "forwards", "", 0.0f, 1e9f, 0.0f, 0.0f, MG_RO | GBP_PARAM_STEPPED,
     "candidate bars computed so far (one generator and one critic forward each): the "
     "unit's work, for measuring how it is spread"},
};

typedef struct mg_note {
    int64_t on, off; /* steps; off = -1 while held */
    uint8_t key, channel;
} mg_note_t;

/* What a bar is generated from. Compared bytewise (memset before filling): candidates made
 * ahead for one conditioning are valid for the bar only if it is still the same. */
typedef struct mg_cond {
    uint8_t ctx[MG_S];
    int32_t steps, shift, kmode, density;
    int32_t chord;         /* accompany: bit mask of the held pitch classes, else 0 */
    int32_t k;             /* candidates */
    uint32_t gen_index;    /* which generated bar (random stream) */
    uint32_t seed, taste_version;
    float temperature, taste;
} mg_cond_t;

/* The taste: every member is 4 bytes wide (the seqlock copies it as 32-bit words). Rings are
 * in order oldest → newest, [0, n). */
typedef struct mg_taste {
    float like[MG_TASTE_MAX][MG_Z], dislike[MG_TASTE_MAX][MG_Z], phrase[MG_PHRASE_BARS][MG_Z];
    int32_t n_like, n_dislike, n_phrase, ratings;
} mg_taste_t;
#define MG_TASTE_WORDS (sizeof(mg_taste_t) / 4u)
_Static_assert(sizeof(mg_taste_t) % 4u == 0, "mg_taste_t is copied in 32-bit words");

typedef struct mg_cand {
    uint8_t bar[MG_S];
    float z[MG_Z];
    float score;
} mg_cand_t;

typedef struct mg_unit {
    const gbp_host_t *host;
    float pv[MG_N_PARAMS];
    float cur[MG_N_PARAMS]; /* latched at bar starts */
    double sr;
    int active;
    /* model */
    gb_model_t *gen, *critic;
    char path[4096];
    float in[GB_MELGAN_GEN_IN], cin[GB_MELGAN_CRIT_IN], logits[GB_MELGAN_GEN_OUT];
    /* performer */
    mg_note_t phrase[MG_MAX_PHRASE];
    int n_phrase, n_held, phrase_closed;
    uint8_t held[128]; /* keys held now (count of note-ons without note-off) */
    double last_release; /* beat */
    uint8_t channel;
    int played_since_start; /* a performer note-on since the generation started */
    /* generation */
    uint64_t rng;
    uint32_t gen_index; /* bars generated since the seed was set (or reset) */
    int playing_bar;  /* the current bar is generated */
    int bars_left;    /* answer bars still to play (-1: unlimited) */
    mg_cond_t cond;   /* of the current bar */
    uint8_t bar[MG_S];
    int sounding;     /* generated key sounding, -1 none */
    int off_pending;  /* a note-off that did not fit in the last block */
    /* candidates computed ahead for the next bar */
    mg_cond_t spec;
    int spec_n;
    mg_cand_t cand[MG_K_MAX];
    /* taste ([audio] after activate; [main] in load_state) */
    mg_taste_t taste;
    float mu_like[MG_Z], mu_dislike[MG_Z];
    uint32_t taste_version;
    int phrase_rated;
    _Atomic uint32_t snap_seq;
    _Atomic uint32_t snap[MG_TASTE_WORDS];
    _Atomic float score_pub;
    _Atomic int32_t ratings_pub;
    /* grid */
    int64_t next_k;
    int has_grid;
    double prev_beat0;
    uint64_t now;
    /* measurement */
    uint32_t n_generated;
    _Atomic uint32_t n_forwards; /* candidates computed (parameter `forwards`) */
} mg_unit_t;

typedef struct mg_out {
    gbp_event_t *ev;
    uint32_t n, cap;
} mg_out_t;

static float mg_clamp(uint32_t id, float v) GB_RT
{
    const gbp_param_info_t *p = &mg_params[id];
    v = isfinite(v) ? gb_clampf(v, p->min, p->max) : p->def;
    return (p->flags & GBP_PARAM_STEPPED) ? roundf(v) : v;
}

static void mg_seed(mg_unit_t *m) GB_RT
{
    m->rng = (uint64_t)m->pv[MG_SEED] * 0x9e3779b97f4a7c15ull + 0x5bd1e995ull;
    m->gen_index = 0;
}

static int mg_emit(mg_out_t *o, const gbp_event_t *ev) GB_RT
{
    if (o->n >= o->cap)
        return 0;
    o->ev[o->n++] = *ev;
    return 1;
}

static void mg_note(mg_unit_t *m, mg_out_t *o, uint8_t type, uint32_t t, int key) GB_RT
{
    gbp_event_t ev = {.time = t, .type = type, .channel = m->channel, .key = (uint8_t)key,
                      .source = (uint8_t)m->cur[MG_SOURCE_ID], .id = 0,
                      .value = type == GBP_EV_NOTE_ON ? MG_VELOCITY : 0.0f};
    if (type == GBP_EV_NOTE_ON) {
        if (o->n + 2u > o->cap) /* room for its note-off too */
            return;
        mg_emit(o, &ev);
        m->sounding = key;
        return;
    }
    if (!mg_emit(o, &ev))
        m->off_pending = 1; /* sent at the start of the next block */
    else
        m->sounding = -1;
}

static void mg_end_note(mg_unit_t *m, mg_out_t *o, uint32_t t) GB_RT
{
    if (m->sounding >= 0)
        mg_note(m, o, GBP_EV_NOTE_OFF, t, m->sounding);
}

/* ---------------------------------------------------------------- taste */

/* Copy the taste into the snapshot (writer side of the seqlock; [audio], or [main] when not
 * processing). The reader retries while the sequence is odd or changed. */
static void mg_publish(mg_unit_t *m) GB_RT
{
    const uint32_t s = atomic_load_explicit(&m->snap_seq, memory_order_relaxed);
    atomic_store_explicit(&m->snap_seq, s + 1u, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    const unsigned char *src = (const unsigned char *)&m->taste;
    for (size_t i = 0; i < MG_TASTE_WORDS; i++) {
        uint32_t w;
        memcpy(&w, src + 4u * i, 4u);
        atomic_store_explicit(&m->snap[i], w, memory_order_relaxed);
    }
    atomic_store_explicit(&m->snap_seq, s + 2u, memory_order_release);
    atomic_store_explicit(&m->ratings_pub, m->taste.ratings, memory_order_relaxed);
}

/* A consistent copy of the published taste. [main] */
static void mg_snapshot(mg_unit_t *m, mg_taste_t *t)
{
    uint32_t w[MG_TASTE_WORDS];
    for (;;) {
        const uint32_t s1 = atomic_load_explicit(&m->snap_seq, memory_order_acquire);
        if (s1 & 1u)
            continue;
        for (size_t i = 0; i < MG_TASTE_WORDS; i++)
            w[i] = atomic_load_explicit(&m->snap[i], memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&m->snap_seq, memory_order_relaxed) == s1)
            break;
    }
    memcpy(t, w, sizeof *t);
}

static void mg_mean(float (*v)[MG_Z], int n, float *mu) GB_RT
{
    for (int d = 0; d < MG_Z; d++) {
        float s = 0.0f;
        for (int i = 0; i < n; i++)
            s += v[i][d];
        mu[d] = n > 0 ? s / (float)n : 0.0f;
    }
}

/* After the rings changed: means, a new version (candidates made ahead become stale). */
static void mg_taste_changed(mg_unit_t *m) GB_RT
{
    mg_mean(m->taste.like, m->taste.n_like, m->mu_like);
    mg_mean(m->taste.dislike, m->taste.n_dislike, m->mu_dislike);
    m->taste_version++;
    mg_publish(m);
}

static void mg_ring_push(float (*ring)[MG_Z], int32_t *n, int cap, const float *z) GB_RT
{
    if (*n == cap) {
        memmove(ring[0], ring[1], (size_t)(cap - 1) * sizeof ring[0]);
        (*n)--;
    }
    memcpy(ring[*n], z, sizeof ring[0]);
    (*n)++;
}

/* One rating (+1 like, −1 dislike) of the latest phrase. */
static void mg_rate(mg_unit_t *m, int sign) GB_RT
{
    if (m->taste.n_phrase == 0 || m->phrase_rated)
        return;
    for (int i = 0; i < m->taste.n_phrase; i++) {
        if (sign > 0)
            mg_ring_push(m->taste.like, &m->taste.n_like, MG_TASTE_MAX, m->taste.phrase[i]);
        else
            mg_ring_push(m->taste.dislike, &m->taste.n_dislike, MG_TASTE_MAX,
                         m->taste.phrase[i]);
    }
    m->taste.ratings++;
    m->phrase_rated = 1;
    mg_taste_changed(m);
}

static float mg_cos(const float *a, const float *b) GB_RT
{
    float ab = 0.0f, aa = 0.0f, bb = 0.0f;
    for (int d = 0; d < MG_Z; d++) {
        ab += a[d] * b[d];
        aa += a[d] * a[d];
        bb += b[d] * b[d];
    }
    return aa > 0.0f && bb > 0.0f ? ab / sqrtf(aa * bb) : 0.0f;
}

/* ---------------------------------------------------------------- phrase analysis */

/* The Krumhansl–Kessler major and minor key profiles. */
static const double mg_key_profile[2][12] = {
    {6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88},
    {6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17}};

/* Krumhansl–Schmuckler: the key whose profile correlates best with the pitch-class weights.
 * Sets *tonic (0..11) and *minor. */
static void mg_detect_key(const double *w, int *tonic, int *minor) GB_RT
{
    const double(*prof)[12] = mg_key_profile;
    double mw = 0.0, best = -2.0;
    for (int i = 0; i < 12; i++)
        mw += w[i] / 12.0;
    *tonic = 0;
    *minor = 0;
    for (int mo = 0; mo < 2; mo++) {
        double mp = 0.0;
        for (int i = 0; i < 12; i++)
            mp += prof[mo][i] / 12.0;
        for (int t = 0; t < 12; t++) {
            double sxy = 0.0, sxx = 0.0, syy = 0.0;
            for (int i = 0; i < 12; i++) {
                const double x = w[(i + t) % 12] - mw, y = prof[mo][i] - mp;
                sxy += x * y;
                sxx += x * x;
                syy += y * y;
            }
            const double r = sxx > 0.0 ? sxy / sqrt(sxx * syy) : -1.0;
            if (r > best + 1e-12) {
                best = r;
                *tonic = t;
                *minor = mo;
            }
        }
    }
}

static int mg_fold(int p) GB_RT
{
    while (p < GB_MDS_PITCH_LO)
        p += 12;
    while (p > GB_MDS_PITCH_HI)
        p -= 12;
    return p;
}

static int mg_onsets(const uint8_t *bar, int steps) GB_RT
{
    int n = 0;
    for (int i = 0; i < steps; i++)
        n += bar[i] >= GB_MDS_PITCH_BASE && bar[i] != GB_MDS_PAD;
    return n;
}

/* Key, context bar and density from the phrase (or C major from silence without one). */
static void mg_condition(const mg_unit_t *m, int steps, int64_t now_k, mg_cond_t *c) GB_RT
{
    for (int i = 0; i < MG_S; i++)
        c->ctx[i] = i < steps ? GB_MDS_REST : GB_MDS_PAD;
    c->shift = 0;
    c->kmode = 0;
    c->density = steps / 2;
    if (m->n_phrase == 0)
        return;
    double w[12] = {0};
    int64_t last_on = 0;
    for (int i = 0; i < m->n_phrase; i++) {
        const mg_note_t *n = &m->phrase[i];
        const int64_t off = n->off >= 0 ? n->off : now_k;
        w[n->key % 12] += (double)(off > n->on ? off - n->on : 1);
        last_on = n->on > last_on ? n->on : last_on;
    }
    int tonic, minor;
    mg_detect_key(w, &tonic, &minor);
    const int t = ((tonic - (minor ? 9 : 0)) % 12 + 12) % 12;
    c->shift = t > 6 ? t - 12 : t;
    c->kmode = minor;
    const int64_t b0 = (last_on / steps) * steps;
    int prev = GB_MDS_REST;
    for (int s = 0; s < steps; s++) {
        const int64_t k = b0 + s;
        int onset = -1, held = 0;
        for (int i = 0; i < m->n_phrase; i++) {
            const mg_note_t *n = &m->phrase[i];
            const int64_t off = n->off >= 0 ? n->off : now_k;
            if (n->on == k && n->key > onset)
                onset = n->key;
            else if (n->on < k && k < (off > n->on + 1 ? off : n->on + 1))
                held = 1;
        }
        const int tok = onset >= 0 ? GB_MDS_PITCH_BASE + mg_fold(onset - c->shift) -
                                         GB_MDS_PITCH_LO
                        : held && prev != GB_MDS_REST ? GB_MDS_HOLD
                                                      : GB_MDS_REST;
        c->ctx[s] = (uint8_t)tok;
        prev = tok == GB_MDS_HOLD ? prev : tok;
    }
    const int d = mg_onsets(c->ctx, steps);
    c->density = d > 0 ? d : steps / 2;
}

/* Accompany: key from the held chord. The first held pitch class (lowest key first) with a
 * major third above it held gives a major key on it, else one with a minor third a minor key;
 * without a third, the lowest key's major. Sets chord, shift, kmode. */
static void mg_chord(const mg_unit_t *m, mg_cond_t *c) GB_RT
{
    int mask = 0, root = -1, minor = 0, lowest = -1;
    for (int k = 0; k < 128; k++)
        if (m->held[k]) {
            mask |= 1 << (k % 12);
            lowest = lowest < 0 ? k % 12 : lowest;
        }
    for (int pass = 0; pass < 2 && root < 0; pass++)
        for (int k = 0; k < 128 && root < 0; k++)
            if (m->held[k] && (mask >> ((k % 12 + (pass ? 3 : 4)) % 12) & 1)) {
                root = k % 12;
                minor = pass;
            }
    if (root < 0) {
        root = lowest < 0 ? 0 : lowest;
        minor = 0;
    }
    const int t = ((root - (minor ? 9 : 0)) % 12 + 12) % 12;
    c->shift = t > 6 ? t - 12 : t;
    c->kmode = minor;
    c->chord = mask;
}

static int mg_last_token(const uint8_t *bar, int steps) GB_RT
{
    int prev = GB_MDS_REST;
    for (int i = 0; i < steps; i++)
        if (bar[i] != GB_MDS_HOLD)
            prev = bar[i] == GB_MDS_PAD ? GB_MDS_REST : bar[i];
    return prev;
}

/* ---------------------------------------------------------------- generation */

typedef struct mg_plan {
    int play;      /* the bar is generated */
    int start;     /* a new run (answer, free start, chord) begins: a new phrase to rate */
    int close;     /* the performer's phrase is used up */
    int bars_left;
} mg_plan_t;

/* What a bar start at step k would decide with the parameters v (the values it would latch)
 * and the state as it is now, without changing anything; c gets the conditioning when the
 * bar is generated (all zero otherwise). */
static void mg_plan(const mg_unit_t *m, const float *v, int64_t k, int steps, mg_plan_t *pl,
                    mg_cond_t *c) GB_RT
{
    const int mode = (int)v[MG_MODE];
    const double beat = (double)k / 4.0;
    memset(pl, 0, sizeof *pl);
    memset(c, 0, sizeof *c);
    pl->bars_left = m->bars_left;
    if (mode == MG_ANSWER && pl->bars_left < 0)
        pl->bars_left = 0; /* switched to answer from an endless mode */
    if (mode == MG_ACCOMPANY) {
        pl->bars_left = -1;
        if (m->n_held >= 2) {
            pl->play = 1;
            pl->start = !m->playing_bar;
            for (int i = 0; i < MG_S; i++)
                c->ctx[i] = m->playing_bar ? m->cond.ctx[i]
                            : i < steps    ? GB_MDS_REST
                                           : GB_MDS_PAD;
            c->density = m->playing_bar ? m->cond.density : steps / 2;
            mg_chord(m, c);
        }
    } else if (m->playing_bar && m->played_since_start && mode != MG_FREE) {
        pl->bars_left = 0; /* the performer took over */
    } else if (m->playing_bar && (mode == MG_FREE || pl->bars_left != 0)) {
        pl->play = 1; /* keep going, on the bar just played */
        if (pl->bars_left > 0)
            pl->bars_left--;
        memcpy(c->ctx, m->cond.ctx, MG_S);
        c->shift = m->cond.shift;
        c->kmode = m->cond.kmode;
        c->density = m->cond.density;
    } else if (mode == MG_FREE) {
        mg_condition(m, steps, k, c);
        pl->play = pl->start = pl->close = 1;
        pl->bars_left = -1;
    } else if (m->n_phrase > 0 && !m->phrase_closed && m->n_held == 0 &&
               beat - m->last_release >= (double)v[MG_SILENCE] - 1e-6) {
        mg_condition(m, steps, k, c);
        pl->play = pl->start = pl->close = 1;
        pl->bars_left = mode == MG_ANSWER ? (int)v[MG_ANSWER_BARS] - 1 : -1;
    }
    if (!m->gen)
        pl->play = 0;
    if (!pl->play) {
        memset(c, 0, sizeof *c);
        return;
    }
    c->steps = steps;
    c->k = m->critic ? (int)v[MG_CANDIDATES] : 1;
    c->gen_index = m->gen_index;
    c->seed = (uint32_t)v[MG_SEED];
    c->taste_version = m->taste_version;
    c->temperature = v[MG_TEMPERATURE];
    c->taste = v[MG_TASTE];
}

/* Candidate j of the bar conditioned on c: latent, generator, sampling, critic. */
static void mg_candidate(mg_unit_t *m, const mg_cond_t *c, int j, mg_cand_t *out) GB_RT
{
    gb_nn_t *gen = gb_model_nn(m->gen), *cr = m->critic ? gb_model_nn(m->critic) : NULL;
    const int steps = c->steps;
    uint64_t rng = m->rng ^ ((uint64_t)c->gen_index * 0xd1b54a32d192ed03ull) ^
                   ((uint64_t)(j + 1) * 0x8cb92ba72f3d8dd7ull);
    (void)gb_melgan_rng_next(&rng);
    const float spread = 1.0f - 0.5f * c->taste * (m->taste.n_like > 0 ? 1.0f : 0.0f);
    for (int d = 0; d < MG_Z; d++)
        out->z[d] = c->taste * (m->mu_like[d] - 0.5f * m->mu_dislike[d]) +
                    spread * gb_melgan_rng_normal(&rng);
    gb_melgan_gen_input(c->ctx, steps, steps / 4, 4, c->kmode, 0, c->density, out->z, m->in);
    gb_nn_reset(gen);
    gb_nn_forward(gen, m->in, m->logits, 1);
    if (c->chord) /* accompany: the held pitch classes are favoured on the beats */
        for (int s = 0; s < steps; s += 4)
            for (int i = 0; i <= GB_MDS_PITCH_HI - GB_MDS_PITCH_LO; i++) {
                const int pc = ((GB_MDS_PITCH_LO + i + c->shift) % 12 + 12) % 12;
                if ((c->chord >> pc) & 1)
                    m->logits[s * GB_MDS_VOCAB + GB_MDS_PITCH_BASE + i] +=
                        MG_CHORD_BONUS * c->temperature;
            }
    gb_melgan_sample(m->logits, steps, c->temperature, MG_TOP_K, mg_last_token(c->ctx, steps),
                     &rng, out->bar);
    out->score = 0.0f;
    if (cr) {
        gb_melgan_critic_input(c->ctx, steps, steps / 4, 4, c->kmode, 0, out->bar, m->cin);
        gb_nn_reset(cr);
        gb_nn_forward(cr, m->cin, &out->score, 1);
    }
    atomic_fetch_add_explicit(&m->n_forwards, 1u, memory_order_relaxed);
}

/* A bar starts at step k (frame t): latch the parameters, decide whether it is generated; if
 * so choose among the K candidates (those made ahead for this very conditioning are reused),
 * report the critic's score at t. */
static void mg_bar_start(mg_unit_t *m, int64_t k, int steps, uint32_t t, mg_out_t *o) GB_RT
{
    memcpy(m->cur, m->pv, sizeof m->cur);
    mg_plan_t pl;
    mg_cond_t c;
    mg_plan(m, m->cur, k, steps, &pl, &c);
    m->bars_left = pl.bars_left;
    if (pl.close)
        m->phrase_closed = m->n_phrase > 0;
    m->played_since_start = 0;
    m->playing_bar = pl.play;
    const int ahead = m->spec_n > 0 && memcmp(&m->spec, &c, sizeof c) == 0 ? m->spec_n : 0;
    m->spec_n = 0;
    if (!pl.play)
        return;
    int best = 0;
    float best_rank = -INFINITY;
    for (int j = 0; j < c.k; j++) {
        if (j >= ahead)
            mg_candidate(m, &c, j, &m->cand[j]);
        const float r = m->cand[j].score +
                        MG_TASTE_RANK * c.taste *
                            (mg_cos(m->cand[j].z, m->mu_like) - mg_cos(m->cand[j].z, m->mu_dislike));
        if (j == 0 || r > best_rank) {
            best_rank = r;
            best = j;
        }
    }
    memcpy(m->bar, m->cand[best].bar, MG_S);
    m->cond = c;
    memcpy(m->cond.ctx, m->bar, MG_S); /* the context of the next bar */
    m->gen_index++;
    m->n_generated++;
    if (pl.start || m->phrase_rated) { /* a new phrase for the ratings */
        m->taste.n_phrase = 0;
        m->phrase_rated = 0;
    }
    mg_ring_push(m->taste.phrase, &m->taste.n_phrase, MG_PHRASE_BARS, m->cand[best].z);
    mg_publish(m);
    const float sc = gb_clampf(m->cand[best].score, mg_params[MG_SCORE].min,
                               mg_params[MG_SCORE].max);
    atomic_store_explicit(&m->score_pub, sc, memory_order_relaxed);
    const gbp_event_t ev = {.time = t, .type = GBP_EV_PARAM, .channel = m->channel,
                            .source = (uint8_t)m->cur[MG_SOURCE_ID], .id = MG_SCORE,
                            .value = sc};
    mg_emit(o, &ev);
}

/* In the last K steps of a bar: one candidate of the next bar, for the conditioning it would
 * have if the bar started now (restarted when that changes). */
static void mg_ahead(mg_unit_t *m, int64_t k, int steps) GB_RT
{
    const int s = (int)(((k % steps) + steps) % steps);
    const int K = m->critic ? (int)m->pv[MG_CANDIDATES] : 1;
    if (s == 0 || s < steps - K)
        return;
    mg_plan_t pl;
    mg_cond_t c;
    mg_plan(m, m->pv, k - s + steps, steps, &pl, &c);
    if (!pl.play)
        return;
    if (m->spec_n > 0 && memcmp(&m->spec, &c, sizeof c) != 0)
        m->spec_n = 0;
    if (m->spec_n == 0)
        m->spec = c;
    if (m->spec_n < c.k) {
        mg_candidate(m, &c, m->spec_n, &m->cand[m->spec_n]);
        m->spec_n++;
    }
}

/* Step k at offset t of the block. */
static void mg_step(mg_unit_t *m, int64_t k, int bpb, uint32_t t, mg_out_t *o) GB_RT
{
    const int steps = bpb * 4;
    const int64_t s = ((k % steps) + steps) % steps;
    if (s == 0)
        mg_bar_start(m, k, steps, t, o);
    const int tok = m->playing_bar ? m->bar[s] : GB_MDS_REST;
    if (tok != GB_MDS_HOLD)
        mg_end_note(m, o, t);
    if (tok >= GB_MDS_PITCH_BASE && tok < GB_MDS_VOCAB) {
        const int key = GB_MDS_PITCH_LO + tok - GB_MDS_PITCH_BASE + m->cond.shift;
        if (key >= 0 && key <= 127)
            mg_note(m, o, GBP_EV_NOTE_ON, t, key);
    }
    if (s != 0)
        mg_ahead(m, k, steps);
}

/* ---------------------------------------------------------------- performer input */

static void mg_input(mg_unit_t *m, const gbp_event_t *ev, uint32_t t, double beat, mg_out_t *o) GB_RT
{
    gbp_event_t x = *ev;
    x.time = t;
    const int64_t k = (int64_t)floor(beat * 4.0 + 0.5);
    switch (ev->type) {
    case GBP_EV_NOTE_ON:
        mg_emit(o, &x);
        if (ev->key > 127)
            break;
        if (m->phrase_closed) { /* a new phrase */
            m->n_phrase = 0;
            m->phrase_closed = 0;
        }
        if (m->n_phrase == MG_MAX_PHRASE) {
            memmove(m->phrase, m->phrase + 1, (MG_MAX_PHRASE - 1) * sizeof m->phrase[0]);
            m->n_phrase--;
        }
        m->phrase[m->n_phrase++] = (mg_note_t){k, -1, ev->key, ev->channel & 15u};
        m->channel = ev->channel & 15u;
        if (m->held[ev->key] < 255) {
            m->held[ev->key]++;
            m->n_held++;
        }
        m->played_since_start = 1;
        break;
    case GBP_EV_NOTE_OFF:
        mg_emit(o, &x);
        if (ev->key > 127)
            break;
        for (int i = m->n_phrase - 1; i >= 0; i--)
            if (m->phrase[i].off < 0 && m->phrase[i].key == ev->key &&
                m->phrase[i].channel == (ev->channel & 15u)) {
                m->phrase[i].off = k > m->phrase[i].on ? k : m->phrase[i].on + 1;
                break;
            }
        if (m->held[ev->key] > 0) {
            m->held[ev->key]--;
            m->n_held--;
            if (m->n_held == 0)
                m->last_release = beat;
        }
        break;
    case GBP_EV_ALL_OFF:
        mg_end_note(m, o, t);
        mg_emit(o, &x);
        for (int i = 0; i < m->n_phrase; i++)
            if (m->phrase[i].off < 0)
                m->phrase[i].off = k > m->phrase[i].on ? k : m->phrase[i].on + 1;
        if (m->n_held > 0)
            m->last_release = beat;
        m->n_held = 0;
        memset(m->held, 0, sizeof m->held);
        break;
    case GBP_EV_PARAM:
        if (ev->id < MG_N_PARAMS && !(mg_params[ev->id].flags & GBP_PARAM_READONLY)) {
            m->pv[ev->id] = mg_clamp(ev->id, ev->value);
            if (ev->id == MG_SEED)
                mg_seed(m);
            if ((ev->id == MG_LIKE || ev->id == MG_DISLIKE) && ev->value >= 0.5f)
                mg_rate(m, ev->id == MG_LIKE ? 1 : -1); /* a trigger: one rating per event */
        }
        break;
    default: mg_emit(o, &x); break;
    }
}

/* ---------------------------------------------------------------- callbacks */

/** [audio & active] (also from activate on [main]). The taste is kept (it is session state). */
static void mg_reset(void *self) GB_RT
{
    mg_unit_t *m = self;
    m->n_phrase = m->n_held = m->phrase_closed = 0;
    memset(m->held, 0, sizeof m->held);
    m->last_release = 0.0;
    m->played_since_start = 0;
    m->playing_bar = 0;
    m->bars_left = 0;
    memset(&m->cond, 0, sizeof m->cond);
    m->spec_n = 0;
    m->sounding = -1;
    m->off_pending = 0;
    m->has_grid = 0;
    m->now = 0;
    m->channel = 0;
    memcpy(m->cur, m->pv, sizeof m->cur);
    mg_seed(m);
}

/* Load generator (and its critic FILE.disc when present) into m, replacing the old ones. */
static int mg_load_model(mg_unit_t *m, const char *name, char *err, size_t errcap)
{
    char path[4096], disc[4200];
    gb_share_resolve(name, MG_DEFAULT_MODEL, path, sizeof path);
    gb_error_t e = {0};
    gb_model_t *g = gb_model_load(path, 1, &e), *c = NULL;
    if (!g) {
        snprintf(err, errcap, "model: %s", e.msg);
        return GB_EIO;
    }
    const char *kind = gb_model_kind(g);
    if (!kind || strcmp(kind, "melody-gan-generator") != 0 ||
        gb_nn_in_dim(gb_model_nn(g)) != GB_MELGAN_GEN_IN ||
        gb_nn_out_dim(gb_model_nn(g)) != GB_MELGAN_GEN_OUT) {
        snprintf(err, errcap, "model: %s: a %s model, not a melody-gan-generator", path,
                 kind ? kind : "?");
        gb_model_free(g);
        return GB_EFORMAT;
    }
    snprintf(disc, sizeof disc, "%s.disc", path);
    if (access(disc, R_OK) == 0) {
        c = gb_model_load(disc, 1, &e);
        if (!c || gb_nn_in_dim(gb_model_nn(c)) != GB_MELGAN_CRIT_IN ||
            gb_nn_out_dim(gb_model_nn(c)) != 1) {
            snprintf(err, errcap, "model: %s: %s", disc, c ? "not a melody-gan critic" : e.msg);
            gb_model_free(c);
            gb_model_free(g);
            return GB_EFORMAT;
        }
    }
    gb_model_free(m->gen);
    gb_model_free(m->critic);
    m->gen = g;
    m->critic = c;
    snprintf(m->path, sizeof m->path, "%s", path);
    return GB_OK;
}

/** [main] */
static void *mg_create(const gbp_descriptor_t *desc, const gbp_host_t *host)
{
    (void)desc;
    mg_unit_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->host = host;
    m->sr = 48000.0;
    for (uint32_t i = 0; i < MG_N_PARAMS; i++)
        m->pv[i] = mg_params[i].def;
    mg_reset(m);
    return m;
}

/** [main] */
static void mg_destroy(void *self)
{
    mg_unit_t *m = self;
    if (!m)
        return;
    gb_model_free(m->gen);
    gb_model_free(m->critic);
    free(m);
}

/** [main] Loads the shipped model if none was given by load_state. */
static int mg_activate(void *self, double sample_rate, uint32_t max_frames)
{
    mg_unit_t *m = self;
    (void)max_frames;
    if (!(sample_rate >= 8000.0 && sample_rate <= 384000.0))
        return GB_ERANGE;
    if (!m->gen) {
        char err[600];
        int rc = mg_load_model(m, MG_DEFAULT_MODEL, err, sizeof err);
        if (rc < 0) {
            if (m->host && m->host->log)
                m->host->log(m->host, GBP_LOG_ERROR, err);
            return rc;
        }
    }
    m->sr = sample_rate;
    m->active = 1;
    mg_reset(m);
    return GB_OK;
}

/** [main & active] */
static void mg_deactivate(void *self)
{
    ((mg_unit_t *)self)->active = 0;
}

/** [main, not while processing] */
static void mg_set_param(void *self, uint32_t id, float value)
{
    mg_unit_t *m = self;
    if (id >= MG_N_PARAMS)
        return;
    if (mg_params[id].flags & GBP_PARAM_READONLY)
        return;
    m->pv[id] = mg_clamp(id, value);
    if (id == MG_SEED)
        mg_seed(m);
}

/** [main, not while processing]; the READONLY ones (score, ratings, forwards) also
 *  [audio] after process(). */
static float mg_get_param(void *self, uint32_t id) GB_RT
{
    mg_unit_t *m = self;
    if (id == MG_SCORE)
        return atomic_load_explicit(&m->score_pub, memory_order_relaxed);
    if (id == MG_RATINGS)
        return (float)atomic_load_explicit(&m->ratings_pub, memory_order_relaxed);
    if (id == MG_FORWARDS)
        return (float)atomic_load_explicit(&m->n_forwards, memory_order_relaxed);
    return id < MG_N_PARAMS ? m->pv[id] : 0.0f;
}

static json_t *mg_latents_json(float (*v)[MG_Z], int n)
{
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++) {
        json_t *z = json_array();
        for (int d = 0; z && d < MG_Z; d++)
            json_array_append_new(z, json_real((double)v[i][d]));
        json_array_append_new(a, z);
    }
    return a;
}

/** [main] {"model": path, "taste": {"like": [[z × 8] …], "dislike": […], "phrase": […],
 *  "ratings": n}} — the taste as process() last published it. */
static int mg_save_state(void *self, char *buf, size_t cap)
{
    mg_unit_t *m = self;
    mg_taste_t t;
    mg_snapshot(m, &t);
    const char *p = m->gen ? m->path : MG_DEFAULT_MODEL;
    json_t *root = json_pack("{s:s, s:{s:o, s:o, s:o, s:i}}", "model", p, "taste", "like",
                             mg_latents_json(t.like, t.n_like), "dislike",
                             mg_latents_json(t.dislike, t.n_dislike), "phrase",
                             mg_latents_json(t.phrase, t.n_phrase), "ratings", (int)t.ratings);
    return gb_json_state_save(root, buf, cap);
}

/* state.taste.<key>: an array of at most cap latents of MG_Z finite numbers. */
static int mg_latents_load(json_t *a, const char *key, int cap, float (*v)[MG_Z], int32_t *n,
                           char *err, size_t errcap)
{
    *n = 0;
    if (!a)
        return GB_OK;
    if (!json_is_array(a) || (int)json_array_size(a) > cap) {
        snprintf(err, errcap, "state.taste.%s: must be an array of at most %d latents", key,
                 cap);
        return GB_EFORMAT;
    }
    size_t i;
    json_t *z;
    json_array_foreach(a, i, z) {
        if (!json_is_array(z) || json_array_size(z) != MG_Z) {
            snprintf(err, errcap, "state.taste.%s[%zu]: must be an array of %d numbers", key, i,
                     MG_Z);
            return GB_EFORMAT;
        }
        for (int d = 0; d < MG_Z; d++) {
            json_t *x = json_array_get(z, (size_t)d);
            const double val = json_is_number(x) ? json_number_value(x) : NAN;
            if (!isfinite(val) || fabs(val) > 100.0) {
                snprintf(err, errcap, "state.taste.%s[%zu][%d]: must be a number in -100..100",
                         key, i, d);
                return GB_EFORMAT;
            }
            v[i][d] = (float)val;
        }
    }
    *n = (int32_t)json_array_size(a);
    return GB_OK;
}

static int mg_taste_load(mg_unit_t *m, json_t *tv, char *err, size_t errcap)
{
    if (!json_is_object(tv)) {
        snprintf(err, errcap, "state.taste: must be an object");
        return GB_EFORMAT;
    }
    const char *key;
    json_t *val;
    json_object_foreach(tv, key, val) {
        if (strcmp(key, "like") && strcmp(key, "dislike") && strcmp(key, "phrase") &&
            strcmp(key, "ratings")) {
            snprintf(err, errcap,
                     "state.taste.%s: unknown key (allowed: like, dislike, phrase, ratings)", key);
            return GB_EFORMAT;
        }
    }
    mg_taste_t t;
    memset(&t, 0, sizeof t);
    int rc = mg_latents_load(json_object_get(tv, "like"), "like", MG_TASTE_MAX, t.like,
                             &t.n_like, err, errcap);
    if (rc == GB_OK)
        rc = mg_latents_load(json_object_get(tv, "dislike"), "dislike", MG_TASTE_MAX, t.dislike,
                             &t.n_dislike, err, errcap);
    if (rc == GB_OK)
        rc = mg_latents_load(json_object_get(tv, "phrase"), "phrase", MG_PHRASE_BARS, t.phrase,
                             &t.n_phrase, err, errcap);
    json_t *r = json_object_get(tv, "ratings");
    if (rc == GB_OK && r && (!json_is_integer(r) || json_integer_value(r) < 0 ||
                             json_integer_value(r) > 1000000000)) {
        snprintf(err, errcap, "state.taste.ratings: must be a whole number 0..1000000000");
        rc = GB_EFORMAT;
    }
    if (rc != GB_OK)
        return rc;
    t.ratings = r ? (int32_t)json_integer_value(r) : 0;
    m->taste = t;
    m->phrase_rated = 0;
    mg_taste_changed(m);
    return GB_OK;
}

/** [main, not while processing] — the ABI keeps process() out, so the swap is direct. */
static int mg_load_state(void *self, const char *json, char *err, size_t errcap)
{
    mg_unit_t *m = self;
    static const char *const allowed[] = {"model", "taste", NULL};
    json_t *root = gb_json_state_load(json, allowed, err, errcap);
    if (!root)
        return GB_EFORMAT;
    int rc = GB_EFORMAT;
    json_t *mv = json_object_get(root, "model");
    if (mv && !json_is_string(mv)) {
        snprintf(err, errcap, "state.model: must be a file name");
        goto done;
    }
    json_t *tv = json_object_get(root, "taste");
    if (tv && (rc = mg_taste_load(m, tv, err, errcap)) != GB_OK)
        goto done;
    rc = mv ? mg_load_model(m, json_string_value(mv), err, errcap) : GB_OK;
done:
    json_decref(root);
    return rc;
}

/** [audio & active] */
static void mg_process(void *self, const gbp_process_t *p) GB_RT
{
    mg_unit_t *m = self;
    const uint32_t frames = p->frames;
    mg_out_t o = {p->events_out, 0, (p->events_out && p->n_events_out) ? p->events_out_capacity
                                                                        : 0};
    double tempo = 120.0, beat0 = (double)m->now * 2.0 / m->sr;
    uint32_t bpb = 4;
    if (p->transport && isfinite(p->transport->beat) && fabs(p->transport->beat) < 1e12) {
        beat0 = p->transport->beat;
        tempo = p->transport->tempo_bpm;
        bpb = p->transport->beats_per_bar;
    }
    bpb = bpb < 1 ? 1 : bpb > MG_S / 4 ? MG_S / 4 : bpb;
    tempo = !(tempo >= 1.0) ? (tempo < 1.0 ? 1.0 : 120.0) : tempo > 1000.0 ? 1000.0 : tempo;
    const double fpb = 60.0 * m->sr / tempo;
    if (!m->has_grid || beat0 < m->prev_beat0 ||
        beat0 * 4.0 - (double)m->next_k > 2.0 * MG_S) { /* start or a jump: restart the grid */
        m->next_k = (int64_t)ceil(beat0 * 4.0 - 1e-4 * 4.0 / fpb);
        m->has_grid = 1;
    }
    m->prev_beat0 = beat0;
    if (m->off_pending && m->sounding >= 0) {
        m->off_pending = 0;
        mg_note(m, &o, GBP_EV_NOTE_OFF, 0, m->sounding);
    }
    uint32_t ie = 0;
    for (;;) {
        const double off = ceil(((double)m->next_k / 4.0 - beat0) * fpb - 1e-4);
        const uint32_t t_step = off < 0.0 ? 0u : off >= (double)frames ? frames : (uint32_t)off;
        /* the performer's events at or before the step's frame come first */
        for (; p->events && ie < p->n_events; ie++) {
            uint32_t t = p->events[ie].time;
            t = frames ? (t < frames ? t : frames - 1u) : 0u;
            if (t > t_step || t >= frames)
                break;
            mg_input(m, &p->events[ie], t, beat0 + (double)t / fpb, &o);
        }
        if (t_step >= frames)
            break;
        mg_step(m, m->next_k, (int)bpb, t_step, &o);
        m->next_k++;
    }
    m->now += frames;
    if (p->n_events_out)
        *p->n_events_out = o.n;
}

/** [main] The generator file in use (gbac.model; the model changes only through load_state,
 *  while the unit is not processing). */
static int mg_model_path(void *self, char *buf, size_t cap)
{
    const mg_unit_t *m = self;
    const int n = snprintf(buf, cap, "%s", m->gen ? m->path : "");
    return n < 0 ? 0 : n;
}

static const gbp_model_t mg_model_ext = {.path = mg_model_path, .load = NULL};

/** gbac.model. [main] */
static const void *mg_get_extension(void *self, const char *id)
{
    (void)self;
    return strcmp(id, GBP_EXT_MODEL) == 0 ? &mg_model_ext : NULL;
}

const gbp_descriptor_t gb_unit_melodygan = {
    .abi_version = GBP_ABI_VERSION,
    .struct_size = sizeof(gbp_descriptor_t),
    .id = "gbac.melody-gan",
    .name = "Melody GAN",
    .vendor = "gbac",
    .version = "1.0.0",
    .description = "Answers the performer's phrases, continues them or improvises with the "
                   "melody GAN, bar by bar on the 16th-note grid of the transport.",
    .kind = GBP_KIND_NOTE_SOURCE,
    .n_params = MG_N_PARAMS,
    .params = mg_params,
    .create = mg_create,
    .destroy = mg_destroy,
    .activate = mg_activate,
    .deactivate = mg_deactivate,
    .reset = mg_reset,
    .process = mg_process,
    .set_param = mg_set_param,
    .get_param = mg_get_param,
    .save_state = mg_save_state,
    .load_state = mg_load_state,
    .get_extension = mg_get_extension,
};
