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
 *               `silence_beats` of silence (no key held) the unit plays `answer_bars` bars,
 *               made by the answer's rules of `gbac generate melody --after` and `gbac eval
 *               melody` (gb_melody_answer.h), bar by bar: a bar's candidates of the best
 *               shape (gb_answer_bar_shape) are ranked, further tries (gb_answer_try) run
 *               on the work ticks while none has the wanted shape, and every note is snapped
 *               into the key as it plays (gb_answer_snap_token);
 *   1 continue  as answer (no last bar to close), but it keeps going until the performer
 *               plays again;
 *   2 free      it plays all the time;
 *   3 accompany at every bar start where the performer holds a chord (>= 2 keys) it plays a
 *               bar over it as `gbac eval melody` accompanies (gb_melody_accomp.h): the key
 *               of the run's progression (the chords held at its bar starts) with the held
 *               pitch classes as the generator's chord input (gb_accomp_key), each note
 *               placed over the chord as it plays (gb_accomp_note; the highest held key is
 *               the voicing's top).
 * A performer note-on during an answer ends it at the next bar start (not in accompany).
 *
 * Conditioning (gb_melgen.h). The phrase's key: gb_call_key() with its last two bars as the
 * call and the bars before them (of the last 8, earlier phrases included) as what came before
 * (the function `gbac generate melody --after` uses); its last bar (the bar of its last
 * onset) and the bar before, as tokens in the normalised key (C major / A minor), are the
 * first answer bar's context; its onset count the density; the bars it spans (mod 8) the
 * answer's position in the phrase. Each following bar is conditioned on the two before it, one
 * phrase position later. Generated tokens are transposed back to the phrase's key. Free mode
 * without a phrase plays in C major from silence; accompany starts from silence with density
 * steps/2.
 *
 * Candidates and taste. Candidate j of generated bar n draws from its own random stream
 * (seed, n, j), so it is the same whenever it is computed. Its latent is
 * z = taste·(mu_like − ½·mu_dislike) + (1 − ½·taste·[any like])·N(0, 1), where mu_* are the
 * means of the liked / disliked latents (a missing set counts 0); its rank is
 * critic logit + MG_TASTE_RANK·taste·(cos(z, mu_like) − cos(z, mu_dislike)) (only the
 * candidates of the best shape in the answer modes), and the bar played is drawn with
 * probability ∝ exp(rank) (gb_melgan_pick: the critic's density-ratio resampling); its
 * critic logit is the READONLY `score`, also written as a GBP_EV_PARAM event (id MG_SCORE)
 * when it is known — at the bar's first step, or (a late bar, below) at the tick
 * that scores it — which the engine reports (gb_engine_reports).
 * Ratings: every `like` / `dislike` PARAM event of value >= 0.5 is one rating of the latest
 * phrase — the latents of the bars generated since the run started (answer start, free start,
 * chord) or since the last rating, at most MG_PHRASE_BARS; a rating without new bars is
 * ignored. The latents go into bounded rings (MG_TASTE_MAX each, oldest replaced). The taste
 * (rings, phrase, count) is the `taste` member of the state JSON; process() publishes a copy
 * of it through a seqlock (atomics only, the writer never waits) for save_state on [main].
 *
 * Cost, spread in time. The K candidates of a bar are sampled together by a gb_melgen_job:
 * one batched forward of the generator per 16th step of the bar, then one batched forward of
 * the critic. That work is done on "ticks" of the unit's own frame clock, one unit of work per
 * tick (every MG_TICK_HZ⁻¹ s, 64 frames at 48 kHz), so a 16-step bar is ready about 22 ms
 * after its conditioning is known. The conditioning of the next bar is worked out on every
 * grid step, as the bar start would see it; when it changes, the job starts again. At the bar
 * start the job of that very conditioning is used: the bar its tries kept (the critic and
 * taste choose on the tick after a try's last step; an answer's further tries, up to
 * GB_ANSWER_TRIES, run on the following ticks and stop at the bar start); no try complete
 * (the conditioning changed in the last ~22 ms, e.g. a chord changed on the bar line), the
 * bar is "late": candidate 0 is played, its steps computed as they are needed (at most one
 * batched forward on a step) and on the following ticks. So a block costs at most
 * A + B·frames — one tick's forward per 64 frames, one step's forward, one critic forward, the
 * key of the phrase or of the progression — and the output does not depend on the block
 * size. The buffers live in
 * the instance; nothing is allocated, locked or read from a file in process().
 *
 * Generated notes are monophonic: a note sounds until the next step that is not a hold, so
 * every note-on gets a note-off (at the latest at the start of the first bar not generated, or
 * on all-off). They carry `source` = source_id. The performer's events pass through unchanged.
 */
#include <jansson.h>
#include <math.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gb_share.h"
#include "gb_json_util.h"
#include "gb_melgan.h"
#include "gb_melgen.h"
#include "gb_call_key.h"
#include "gb_melody_accomp.h"
#include "gb_melody_answer.h"
#include "gb_melody_key.h"
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
#define MG_Z GB_MELGEN_Z
#define MG_K_MAX 8
#define MG_TASTE_MAX 16     /* liked and disliked latents kept (each) */
#define MG_PHRASE_BARS 8    /* latents of the latest phrase kept for a rating */
#define MG_TASTE_RANK 2.0f  /* weight of the taste similarity in the ranking */
#define MG_ACC_CHORDS 8     /* accompany: the progression's chords kept (bar starts) */
#define MG_OUT_REST (-1)    /* mg_unit_t.out: a rest, a hold */
#define MG_OUT_HOLD (-2)
#define MG_TICK_HZ 750.0    /* work ticks per second: one batched forward each */
#define MG_KEY_BARS 8       /* the phrase's key looks at its last 8 bars */
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
     "bars sampled per bar; the critic and the taste choose the one played"},
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
     "batched forwards run so far (one step of every candidate of a bar through the "
     "generator, or the candidates through the critic): the unit's work, for measuring how "
     "it is spread"},
};

typedef struct mg_note {
    int64_t on, off; /* steps; off = -1 while held */
    uint8_t key, channel;
} mg_note_t;

/* What a bar is generated from. Compared bytewise (memset before filling): a job started for
 * one conditioning serves the bar only if it is still the same. */
typedef struct mg_cond {
    uint8_t ctx[MG_S], ctx2[MG_S], ctx3[MG_S], ctx4[MG_S]; /* the bars before, normalised */
    int32_t steps, shift, kmode;
    int32_t density;       /* wanted onsets, −1: the generator chooses */
    int32_t phrase;        /* position in the 8-bar phrase */
    int32_t chord;         /* accompany: bit mask of the held pitch classes, else 0 */
    int32_t acc, acc_top, acc_scale; /* accompany: on, the held top key, the safe scale */
    int32_t answer, call_on, closes; /* answer/continue: on, onsets of the call's last bar,
                                        the answer's last bar */
    int32_t k;             /* candidates */
    uint32_t gen_index;    /* which generated bar (random stream) */
    uint32_t seed, taste_version;
    float temperature, taste;
} mg_cond_t;

_Static_assert(offsetof(mg_cond_t, ctx4) == offsetof(mg_cond_t, ctx) + 3 * MG_S,
               "the context bars are copied and moved as one block");

/* The taste: every member is 4 bytes wide (the seqlock copies it as 32-bit words). Rings are
 * in order oldest → newest, [0, n). */
typedef struct mg_taste {
    float like[MG_TASTE_MAX][MG_Z], dislike[MG_TASTE_MAX][MG_Z], phrase[MG_PHRASE_BARS][MG_Z];
    int32_t n_like, n_dislike, n_phrase, ratings;
} mg_taste_t;
#define MG_TASTE_WORDS (sizeof(mg_taste_t) / 4u)
_Static_assert(sizeof(mg_taste_t) % 4u == 0, "mg_taste_t is copied in 32-bit words");

typedef struct mg_unit {
    const gbp_host_t *host;
    float pv[MG_N_PARAMS];
    float cur[MG_N_PARAMS]; /* latched at bar starts */
    double sr;
    int active;
    /* model */
    gb_model_t *gen, *critic;
    char path[4096];
    gb_melgen_job_t *job;
    float cin[MG_K_MAX * GB_MELGEN_CRIT_IN], scores[MG_K_MAX];
    /* performer */
    mg_note_t phrase[MG_MAX_PHRASE];
    int n_phrase, n_held, phrase_closed;
    int phrase_first; /* phrase[phrase_first ..] is the current phrase; the notes before it,
                         earlier phrases, are what the performer played before (the key) */
    uint8_t held[128]; /* keys held now (count of note-ons without note-off) */
    double last_release; /* beat */
    uint8_t channel;
    int played_since_start; /* a performer note-on since the generation started */
    /* generation */
    uint64_t rng;
    uint32_t gen_index; /* bars generated since the seed was set (or reset) */
    int playing_bar;  /* the current bar is generated */
    int bars_left;    /* answer bars still to play (-1: unlimited) */
    mg_cond_t cond;   /* of the current bar; its ctx/ctx2 hold the next bar's context */
    uint8_t bar[MG_S];  /* the current bar's tokens (normalised key) */
    int16_t out[MG_S];  /* what it plays: MIDI keys, MG_OUT_REST, MG_OUT_HOLD */
    int out_upto;       /* out[0 .. out_upto) worked out */
    int out_prev;       /* accompany: the pitch of the note before out_upto (−1: none) */
    /* accompany: the run's progression (chords at its bar starts, oldest first), its bars as
     * played (real pitch tokens, newest first) and its last pitch */
    int32_t acc_chords[MG_ACC_CHORDS];
    int n_acc, acc_prev;
    uint8_t acc_hist[4][MG_S];
    int late;         /* the current bar is candidate 0 of a job still running */
    int sounding;     /* generated key sounding, -1 none */
    int off_pending;  /* a note-off that did not fit in the last block */
    /* the job: K candidates of one bar, sampled step by step on ticks */
    mg_cond_t jcond;
    int job_on, job_scored;
    int job_try, job_done; /* the try running (gb_answer_try); the kept bar is final */
    int kept_shape;        /* the best candidate so far (−1: none) */
    uint8_t kept_bar[MG_S];
    float kept_z[MG_Z], kept_score;
    int64_t tick_frame; /* the unit's frame of the next tick */
    uint32_t tick_period;
    int64_t touched_k;  /* the bar start whose weights were last brought into the cache */
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
    _Atomic uint32_t n_forwards; /* batched forwards run (parameter `forwards`) */
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

static int mg_fold(int p)
{
    while (p < GB_MDS_PITCH_LO)
        p += 12;
    while (p > GB_MDS_PITCH_HI)
        p -= 12;
    return p;
}

static void mg_rests(uint8_t *bar, int steps)
{
    for (int i = 0; i < MG_S; i++)
        bar[i] = i < steps ? GB_MDS_REST : GB_MDS_PAD;
}

/* Bar b0 .. b0 + steps of the phrase as tokens in the normalised key (shift = the key's
 * offset): the highest note starting on a step, holds while a note sounds, else rests. */
static void mg_phrase_bar(const mg_unit_t *m, int64_t b0, int steps, int shift, int64_t now_k,
                          uint8_t *out)
{
    mg_rests(out, steps);
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
        const int tok = onset >= 0 ? GB_MDS_PITCH_BASE + mg_fold(onset - shift) - GB_MDS_PITCH_LO
                        : held && prev != GB_MDS_REST ? GB_MDS_HOLD
                                                      : GB_MDS_REST;
        out[s] = (uint8_t)tok;
        prev = tok == GB_MDS_HOLD ? prev : tok;
    }
}

/* Key (gb_call_key over the last MG_KEY_BARS bars), the last two bars, density and
 * phrase position from the phrase (or C major from silence without one). */
static void mg_condition(const mg_unit_t *m, int steps, int64_t now_k, mg_cond_t *c)
{
    mg_rests(c->ctx, steps);
    mg_rests(c->ctx2, steps);
    mg_rests(c->ctx3, steps);
    mg_rests(c->ctx4, steps);
    c->shift = 0;
    c->kmode = 0;
    c->density = -1;
    c->phrase = 0;
    if (m->n_phrase == 0)
        return;
    gb_melody_note_t notes[MG_MAX_PHRASE];
    int64_t first_on = INT64_MAX, last_on = 0;
    const int64_t from = now_k - (int64_t)MG_KEY_BARS * steps;
    size_t n = 0;
    for (int i = 0; i < m->n_phrase; i++) {
        const mg_note_t *x = &m->phrase[i];
        const int64_t off = x->off >= 0 ? x->off : now_k;
        if (i >= m->phrase_first)
            first_on = x->on < first_on ? x->on : first_on;
        last_on = x->on > last_on ? x->on : last_on;
        if (off <= from)
            continue;
        notes[n++] = (gb_melody_note_t){x->on > from ? x->on : from,
                                         off > x->on ? off : x->on + 1, x->key};
    }
    /* the key as `gbac generate melody --after` hears it: the last two bars as the call,
     * the bars before as what came before (gb_call_key) */
    const int64_t b0 = (last_on / steps) * steps;
    size_t nb = 0;
    while (nb < n && notes[nb].on < b0 - steps)
        nb++;
    int tonic, minor;
    gb_call_key(notes + nb, n - nb, notes, nb, steps / 4, 4, &tonic, &minor);
    c->shift = gb_melody_key_offset(tonic, minor);
    c->kmode = minor;
    mg_phrase_bar(m, b0, steps, c->shift, now_k, c->ctx);
    mg_phrase_bar(m, b0 - steps, steps, c->shift, now_k, c->ctx2);
    mg_phrase_bar(m, b0 - 2 * steps, steps, c->shift, now_k, c->ctx3);
    mg_phrase_bar(m, b0 - 3 * steps, steps, c->shift, now_k, c->ctx4);
    const int d = gb_melgen_onsets(c->ctx, steps);
    c->density = d > 0 ? d : -1; /* the answer's first bar follows the call's last */
    c->phrase = (int32_t)(((b0 - (first_on / steps) * steps) / steps + 1) % GB_MELGEN_PHRASE);
}

/* Accompany: the bar at a bar start of `steps` continues the run's progression. */
static int mg_acc_cont(const mg_unit_t *m, int steps) GB_RT
{
    return m->playing_bar && m->n_acc > 0 && m->cond.steps == steps;
}

/* Accompany, as `gbac eval melody` accompanies (gb_melody_accomp.h): the key of the run's
 * progression with the held chord last (gb_accomp_key; cont 0: the held chord alone), the
 * held pitch classes, the highest held key as the voicing's top, and the bars played before
 * (real pitch) as the context in that key. */
static void mg_chord(const mg_unit_t *m, int cont, int steps, mg_cond_t *c) GB_RT
{
    int mask = 0, top = -1, chords[MG_ACC_CHORDS + 1], n = 0, cn;
    for (int k = 0; k < 128; k++)
        if (m->held[k]) {
            mask |= 1 << (k % 12);
            top = k;
        }
    for (int i = 0; cont && i < m->n_acc; i++)
        chords[n++] = m->acc_chords[i];
    chords[n++] = mask;
    gb_accomp_key(chords, NULL, (size_t)n, &c->shift, &c->kmode, &c->acc_scale, &cn);
    c->chord = mask;
    c->acc = 1;
    c->acc_top = top;
    for (int h = 0; h < 4; h++) {
        uint8_t *x = c->ctx + (size_t)h * MG_S;
        mg_rests(x, steps);
        for (int i = 0; cont && i < steps; i++) {
            const int t = m->acc_hist[h][i];
            x[i] = t >= GB_MDS_PITCH_BASE && t < GB_MDS_VOCAB
                       ? (uint8_t)(GB_MDS_PITCH_BASE +
                                   mg_fold(GB_MDS_PITCH_LO + t - GB_MDS_PITCH_BASE - c->shift) -
                                   GB_MDS_PITCH_LO)
                       : (uint8_t)t;
        }
    }
}

/* ---------------------------------------------------------------- generation */

typedef struct mg_plan {
    int play;      /* the bar is generated */
    int ready;     /* its conditioning is known (the bar before is complete) */
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
    const int cont = m->playing_bar && m->cond.steps == steps; /* on from the bar played */
    if (mode == MG_ACCOMPANY) {
        pl->bars_left = -1;
        if (m->n_held >= 2) {
            const int acc_cont = mg_acc_cont(m, steps);
            pl->play = 1;
            pl->start = !m->playing_bar;
            mg_chord(m, acc_cont, steps, c);
            c->phrase = acc_cont ? m->cond.phrase : 0;
            c->density = -1;
        }
    } else if (m->playing_bar && m->played_since_start && mode != MG_FREE) {
        pl->bars_left = 0; /* the performer took over */
    } else if (cont && (mode == MG_FREE || pl->bars_left != 0)) {
        pl->play = 1; /* keep going, on the bar just played */
        if (pl->bars_left > 0)
            pl->bars_left--;
        memcpy(c->ctx, m->cond.ctx, 4 * MG_S);
        c->shift = m->cond.shift;
        c->kmode = m->cond.kmode;
        c->density = -1;
        c->phrase = m->cond.phrase;
        c->answer = mode != MG_FREE && m->cond.answer;
        c->call_on = c->answer ? m->cond.call_on : 0;
    } else if (mode == MG_FREE) {
        mg_condition(m, steps, k, c);
        pl->play = pl->start = pl->close = 1;
        pl->bars_left = -1;
    } else if (m->n_phrase > 0 && !m->phrase_closed && m->n_held == 0 &&
               beat - m->last_release >= (double)v[MG_SILENCE] - 1e-6) {
        mg_condition(m, steps, k, c);
        pl->play = pl->start = pl->close = 1;
        pl->bars_left = mode == MG_ANSWER ? (int)v[MG_ANSWER_BARS] - 1 : -1;
        c->answer = 1; /* the answer's rules (gb_melody_answer.h) */
        c->call_on = gb_melgen_onsets(c->ctx, steps);
    }
    if (!m->gen)
        pl->play = 0;
    if (!pl->play) {
        memset(c, 0, sizeof *c);
        return;
    }
    pl->ready = !(cont && m->late); /* a late bar is its own context only once complete */
    c->closes = c->answer && mode == MG_ANSWER && pl->bars_left == 0;
    c->steps = steps;
    c->k = m->critic ? (int)v[MG_CANDIDATES] : 1;
    c->gen_index = m->gen_index;
    c->seed = (uint32_t)v[MG_SEED];
    c->taste_version = m->taste_version;
    c->temperature = v[MG_TEMPERATURE];
    c->taste = v[MG_TASTE];
}

/* The generator's conditioning of the job's bar. */
static void mg_gen_cond(const mg_cond_t *c, gb_melgen_cond_t *g) GB_RT
{
    memset(g, 0, sizeof *g);
    memcpy(g->prev1, c->ctx, MG_S);
    memcpy(g->prev2, c->ctx2, MG_S);
    memcpy(g->prev4, c->ctx4, MG_S);
    g->steps = c->steps;
    g->num = c->steps / 4;
    g->den = 4;
    g->mode = c->kmode;
    g->phrase_pos = c->phrase;
    g->density = c->density;
    for (int pc = 0; pc < 12; pc++) /* held pitch classes, in the normalised key */
        if ((c->chord >> pc) & 1)
            g->chord |= 1 << (((pc - c->shift) % 12 + 12) % 12);
}

/* Sample try m->job_try of the job's bar (m->jcond): K rows, each with its latent and random
 * stream; try 0 is the bar's only one outside the answer modes. */
static void mg_job_rows(mg_unit_t *m) GB_RT
{
    const mg_cond_t *c = &m->jcond;
    gb_melgen_cond_t g;
    mg_gen_cond(c, &g);
    float temp;
    int top_k;
    gb_answer_try(m->job_try, m->kept_shape, c->temperature, MG_TOP_K, &temp, &top_k);
    gb_melgen_job_begin(m->job, c->k, temp, top_k);
    const float spread = 1.0f - 0.5f * c->taste * (m->taste.n_like > 0 ? 1.0f : 0.0f);
    for (int j = 0; j < c->k; j++) {
        uint64_t rng = m->rng ^ ((uint64_t)c->gen_index * 0xd1b54a32d192ed03ull) ^
                       ((uint64_t)(j + 1) * 0x8cb92ba72f3d8dd7ull) ^
                       ((uint64_t)m->job_try * 0x632be59bd9b4e019ull);
        (void)gb_melgen_rng_next(&rng);
        float z[MG_Z];
        for (int d = 0; d < MG_Z; d++)
            z[d] = c->taste * (m->mu_like[d] - 0.5f * m->mu_dislike[d]) +
                   spread * gb_melgen_rng_normal(&rng);
        gb_melgen_job_row(m->job, j, &g, z, gb_melgen_rng_next(&rng));
    }
    m->job_scored = 0;
}

/* Start the job of the bar conditioned on c. */
static void mg_job_start(mg_unit_t *m, const mg_cond_t *c) GB_RT
{
    m->jcond = *c;
    m->job_on = 1;
    m->job_try = 0;
    m->job_done = 0;
    m->kept_shape = -1;
    mg_job_rows(m);
}

static int mg_job_complete(const mg_unit_t *m) GB_RT
{
    return m->job_on && gb_melgen_job_next_step(m->job) >= gb_melgen_job_steps(m->job);
}

/* The critic's logits of the K complete candidates, in one batched forward. */
static void mg_job_score(mg_unit_t *m) GB_RT
{
    const int k = gb_melgen_job_rows(m->job);
    if (m->critic) {
        gb_melgen_cond_t g;
        mg_gen_cond(&m->jcond, &g);
        g.density = 0;
        for (int j = 0; j < k; j++)
            gb_melgen_critic_input(&g, gb_melgen_job_bar(m->job, j),
                                   m->cin + (size_t)j * GB_MELGEN_CRIT_IN);
        gb_nn_t *cr = gb_model_nn(m->critic);
        gb_nn_reset(cr);
        gb_nn_forward(cr, m->cin, m->scores, k);
        atomic_fetch_add_explicit(&m->n_forwards, 1u, memory_order_relaxed);
    } else {
        for (int j = 0; j < k; j++)
            m->scores[j] = 0.0f;
    }
    m->job_scored = 1;
}

/* A scored try: among its candidates of the best shape (gb_answer_bar_shape; all alike
 * outside the answer modes) the critic and the taste choose one (gb_melgan_pick, the
 * choice's own stream); it is kept when its shape beats the kept one. Without the wanted
 * shape, and when may_retry, the next try starts (gb_answer_try), else the kept bar is final. */
static void mg_job_judge(mg_unit_t *m, int may_retry) GB_RT
{
    const mg_cond_t *c = &m->jcond;
    const int k = gb_melgen_job_rows(m->job);
    int shape[MG_K_MAX], top = 0;
    for (int j = 0; j < k; j++) {
        shape[j] = c->answer ? gb_answer_bar_shape(gb_melgen_job_bar(m->job, j), c->steps,
                                                   c->kmode, c->call_on, c->closes)
                             : 2;
        top = shape[j] > top ? shape[j] : top;
    }
    float rank[MG_K_MAX];
    for (int j = 0; j < k; j++) {
        const float *z = gb_melgen_job_z(m->job, j);
        rank[j] = shape[j] < top ? -INFINITY
                                 : m->scores[j] + MG_TASTE_RANK * c->taste *
                                                      (mg_cos(z, m->mu_like) -
                                                       mg_cos(z, m->mu_dislike));
    }
    uint64_t rng = m->rng ^ ((uint64_t)c->gen_index * 0xd1b54a32d192ed03ull) ^
                   0x9e3779b97f4a7c15ull ^ ((uint64_t)m->job_try * 0x632be59bd9b4e019ull);
    const int best = gb_melgan_pick(rank, k, &rng);
    if (top > m->kept_shape) {
        m->kept_shape = top;
        memcpy(m->kept_bar, gb_melgen_job_bar(m->job, best), MG_S);
        memcpy(m->kept_z, gb_melgen_job_z(m->job, best), sizeof m->kept_z);
        m->kept_score = m->scores[best];
    }
    if (may_retry && c->answer && m->kept_shape < 2 && m->job_try + 1 < GB_ANSWER_TRIES) {
        m->job_try++;
        mg_job_rows(m);
    } else {
        m->job_done = 1;
    }
}

/* One step of the job (one batched forward). */
static void mg_job_step(mg_unit_t *m) GB_RT
{
    gb_melgen_job_step(m->job, gb_model_nn(m->gen), 0);
    atomic_fetch_add_explicit(&m->n_forwards, 1u, memory_order_relaxed);
}

static void mg_report_score(mg_unit_t *m, float score, uint32_t t, mg_out_t *o) GB_RT
{
    const float sc = gb_clampf(score, mg_params[MG_SCORE].min, mg_params[MG_SCORE].max);
    atomic_store_explicit(&m->score_pub, sc, memory_order_relaxed);
    const gbp_event_t ev = {.time = t, .type = GBP_EV_PARAM, .channel = m->channel,
                            .source = (uint8_t)m->cur[MG_SOURCE_ID], .id = MG_SCORE,
                            .value = sc};
    mg_emit(o, &ev);
}

/* What the current bar plays at its steps out_upto .. upto−1, from its tokens `bar`
 * (normalised key): in the answer modes each note snapped into the key (gb_answer_snap_token),
 * in accompany each note placed over the chord (gb_accomp_note, step after step), else as
 * generated; moved to the bar's key. */
static void mg_out_fill(mg_unit_t *m, const uint8_t *bar, int upto) GB_RT
{
    const mg_cond_t *c = &m->cond;
    for (; m->out_upto < upto; m->out_upto++) {
        const int s = m->out_upto, t = bar[s];
        if (t < GB_MDS_PITCH_BASE || t >= GB_MDS_VOCAB) {
            m->out[s] = t == GB_MDS_HOLD ? MG_OUT_HOLD : MG_OUT_REST;
            continue;
        }
        const int q = c->answer ? gb_answer_snap_token(t, c->kmode) : t;
        int p = GB_MDS_PITCH_LO + q - GB_MDS_PITCH_BASE + c->shift;
        if (c->acc) {
            p = gb_accomp_note(p, s, c->steps, c->steps / 4, 4, c->chord, c->acc_top,
                               c->acc_scale, m->out_prev);
            m->out_prev = p;
        }
        m->out[s] = (int16_t)p;
    }
}

/* The bar conditioned on m->cond is complete (on time or late): it becomes the context of
 * the next bar (accompany: as played, real pitch, with its last pitch). */
static void mg_bar_complete(mg_unit_t *m, const uint8_t *bar) GB_RT
{
    memcpy(m->bar, bar, MG_S);
    memmove(m->cond.ctx2, m->cond.ctx, 3 * MG_S); /* ctx .. ctx3 move one bar back */
    memcpy(m->cond.ctx, bar, MG_S);
    m->cond.phrase = (m->cond.phrase + 1) % GB_MELGEN_PHRASE;
    m->late = 0;
    if (!m->cond.acc)
        return;
    mg_out_fill(m, bar, m->cond.steps);
    memmove(m->acc_hist[1], m->acc_hist[0], 3 * sizeof m->acc_hist[0]);
    mg_rests(m->acc_hist[0], m->cond.steps);
    for (int s = 0; s < m->cond.steps; s++)
        m->acc_hist[0][s] = m->out[s] >= 0 ? (uint8_t)(GB_MDS_PITCH_BASE + mg_fold(m->out[s]) -
                                                       GB_MDS_PITCH_LO)
                            : m->out[s] == MG_OUT_HOLD ? GB_MDS_HOLD
                                                       : GB_MDS_REST;
    m->acc_prev = m->out_prev;
}

/* One unit of work, on a tick at frame t of the block: a step of the job, or its critic and
 * judgement; a late bar that becomes complete is scored and reported. */
static void mg_tick(mg_unit_t *m, uint32_t t, mg_out_t *o) GB_RT
{
    if (!m->job_on || !m->gen || m->job_done)
        return;
    if (!mg_job_complete(m)) {
        mg_job_step(m);
        return;
    }
    if (m->job_scored)
        return;
    mg_job_score(m);
    if (m->late && m->playing_bar) { /* the bar playing now is candidate 0 of this job */
        m->job_done = 1;
        mg_bar_complete(m, gb_melgen_job_bar(m->job, 0));
        mg_report_score(m, m->scores[0], t, o);
    } else {
        mg_job_judge(m, 1);
    }
}

/* Accompany at a bar start that plays: the progression goes on, or starts with this chord. */
static void mg_acc_push(mg_unit_t *m, int cont, int chord) GB_RT
{
    if (!cont) {
        m->n_acc = 0;
        m->acc_prev = -1;
        for (int h = 0; h < 4; h++)
            mg_rests(m->acc_hist[h], MG_S);
    }
    if (m->n_acc == MG_ACC_CHORDS) {
        memmove(m->acc_chords, m->acc_chords + 1, (MG_ACC_CHORDS - 1) * sizeof(int32_t));
        m->n_acc--;
    }
    m->acc_chords[m->n_acc++] = chord;
}

/* A bar starts at step k (frame t): latch the parameters, decide whether it is generated; if
 * so take the bar its job kept (late: candidate 0 of a job still running). */
static void mg_bar_start(mg_unit_t *m, int64_t k, int steps, uint32_t t, mg_out_t *o) GB_RT
{
    memcpy(m->cur, m->pv, sizeof m->cur);
    mg_plan_t pl;
    mg_cond_t c;
    if (m->late && m->job_on) /* the bar before must be whole to be the context */
        while (!mg_job_complete(m))
            mg_job_step(m);
    if (m->late && m->job_on && m->playing_bar) {
        m->job_done = 1; /* its score is not reported: the next bar takes over */
        mg_bar_complete(m, gb_melgen_job_bar(m->job, 0));
    }
    mg_plan(m, m->cur, k, steps, &pl, &c);
    const int acc_cont = mg_acc_cont(m, steps);
    m->bars_left = pl.bars_left;
    if (pl.close)
        m->phrase_closed = m->n_phrase > 0;
    m->played_since_start = 0;
    m->playing_bar = pl.play;
    m->late = 0;
    m->out_upto = 0;
    if (!pl.play || !c.acc)
        m->n_acc = 0;
    if (!pl.play)
        return;
    if (c.acc)
        mg_acc_push(m, acc_cont, c.chord);
    m->out_prev = m->acc_prev;
    if (!(m->job_on && memcmp(&m->jcond, &c, sizeof c) == 0))
        mg_job_start(m, &c);
    m->cond = c;
    if (!m->job_done && m->kept_shape < 0 && mg_job_complete(m)) {
        if (!m->job_scored)
            mg_job_score(m);
        mg_job_judge(m, 0);
    }
    const float *z;
    if (m->kept_shape >= 0) { /* the best so far; a try still running is dropped */
        m->job_done = 1;
        z = m->kept_z;
        mg_bar_complete(m, m->kept_bar);
        mg_report_score(m, m->kept_score, t, o);
    } else {
        m->late = 1; /* candidate 0, step by step; its context update waits for it */
        z = gb_melgen_job_z(m->job, 0);
    }
    m->gen_index++;
    m->n_generated++;
    if (pl.start || m->phrase_rated) { /* a new phrase for the ratings */
        m->taste.n_phrase = 0;
        m->phrase_rated = 0;
    }
    mg_ring_push(m->taste.phrase, &m->taste.n_phrase, MG_PHRASE_BARS, z);
    mg_publish(m);
}

/* After a step: the job of the next bar, for the conditioning it would have if the bar
 * started now (restarted when that changes; not while a late bar is still running). */
static void mg_ahead(mg_unit_t *m, int64_t k, int steps) GB_RT
{
    const int s = (int)(((k % steps) + steps) % steps);
    if (m->late && m->job_on && !mg_job_complete(m))
        return;
    mg_plan_t pl;
    mg_cond_t c;
    mg_plan(m, m->pv, k - s + steps, steps, &pl, &c);
    if (!pl.play || !pl.ready)
        return;
    if (!m->job_on || memcmp(&m->jcond, &c, sizeof c) != 0)
        mg_job_start(m, &c);
}

/* What step s of the current bar plays (a late bar computes the steps it needs). */
static int mg_token(mg_unit_t *m, int s) GB_RT
{
    if (!m->playing_bar)
        return MG_OUT_REST;
    if (m->late) {
        while (gb_melgen_job_next_step(m->job) <= s)
            mg_job_step(m);
        mg_out_fill(m, gb_melgen_job_bar(m->job, 0), s + 1);
    } else {
        mg_out_fill(m, m->bar, s + 1);
    }
    return m->out[s];
}

/* Step k at offset t of the block. */
static void mg_step(mg_unit_t *m, int64_t k, int bpb, uint32_t t, mg_out_t *o) GB_RT
{
    const int steps = bpb * 4;
    const int64_t s = ((k % steps) + steps) % steps;
    if (s == 0)
        mg_bar_start(m, k, steps, t, o);
    const int key = mg_token(m, (int)s);
    if (key != MG_OUT_HOLD)
        mg_end_note(m, o, t);
    if (key >= 0 && key <= 127)
        mg_note(m, o, GBP_EV_NOTE_ON, t, key);
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
        if (m->phrase_closed) { /* a new phrase; the old ones stay for the key */
            m->phrase_first = m->n_phrase;
            m->phrase_closed = 0;
        }
        if (m->n_phrase == MG_MAX_PHRASE) {
            memmove(m->phrase, m->phrase + 1, (MG_MAX_PHRASE - 1) * sizeof m->phrase[0]);
            m->n_phrase--;
            m->phrase_first -= m->phrase_first > 0;
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
    m->n_phrase = m->n_held = m->phrase_closed = m->phrase_first = 0;
    memset(m->held, 0, sizeof m->held);
    m->last_release = 0.0;
    m->played_since_start = 0;
    m->playing_bar = 0;
    m->bars_left = 0;
    memset(&m->cond, 0, sizeof m->cond);
    memset(&m->jcond, 0, sizeof m->jcond);
    m->job_on = m->job_scored = m->late = 0;
    m->job_try = m->job_done = 0;
    m->kept_shape = -1;
    m->out_upto = m->n_acc = 0;
    m->out_prev = m->acc_prev = -1;
    m->tick_frame = 0;
    m->touched_k = -1;
    m->sounding = -1;
    m->off_pending = 0;
    m->has_grid = 0;
    m->now = 0;
    m->channel = 0;
    memcpy(m->cur, m->pv, sizeof m->cur);
    mg_seed(m);
}

/* A whole bar of MG_K_MAX candidates and their critic, once, on [main]: every weight and
 * buffer is touched before the audio thread needs it, so the first bar played does not pay for
 * page faults (a 200 µs block otherwise). */
static void mg_warm_up(mg_unit_t *m)
{
    gb_melgen_cond_t g;
    memset(&g, 0, sizeof g);
    g.steps = MG_S;
    g.num = 6;
    g.den = 4;
    g.density = -1;
    mg_rests(g.prev1, MG_S);
    mg_rests(g.prev2, MG_S);
    mg_rests(g.prev4, MG_S);
    gb_melgen_job_begin(m->job, MG_K_MAX, 1.0f, MG_TOP_K);
    for (int j = 0; j < MG_K_MAX; j++)
        gb_melgen_job_row(m->job, j, &g, NULL, (uint64_t)j + 1);
    while (gb_melgen_job_step(m->job, gb_model_nn(m->gen), 0) > 0) {
    }
    if (m->critic) {
        for (int j = 0; j < MG_K_MAX; j++)
            gb_melgen_critic_input(&g, gb_melgen_job_bar(m->job, j),
                                   m->cin + (size_t)j * GB_MELGEN_CRIT_IN);
        gb_nn_forward(gb_model_nn(m->critic), m->cin, m->scores, MG_K_MAX);
        gb_nn_reset(gb_model_nn(m->critic));
    }
    gb_nn_reset(gb_model_nn(m->gen));
}

/* Load generator (and its critic FILE.disc when present) into m, replacing the old ones. */
static int mg_load_model(mg_unit_t *m, const char *name, char *err, size_t errcap)
{
    char path[4096], disc[4200];
    gb_share_resolve(name, MG_DEFAULT_MODEL, path, sizeof path);
    gb_error_t e = {0};
    gb_model_t *g = gb_model_load(path, MG_K_MAX, &e), *c = NULL;
    if (!g) {
        snprintf(err, errcap, "model: %s", e.msg);
        return GB_EIO;
    }
    const char *kind = gb_model_kind(g);
    if (!kind || strcmp(kind, "melody-gan-generator") != 0) {
        snprintf(err, errcap, "model: %s: a %s model, not a melody-gan-generator", path,
                 kind ? kind : "?");
        gb_model_free(g);
        return GB_EFORMAT;
    }
    if (gb_melgan_check_generator(gb_model_nn(g), path, &e) < 0) {
        snprintf(err, errcap, "model: %s", e.msg);
        gb_model_free(g);
        return GB_EFORMAT;
    }
    snprintf(disc, sizeof disc, "%s.disc", path);
    if (access(disc, R_OK) == 0) {
        c = gb_model_load(disc, MG_K_MAX, &e);
        if (!c || gb_melgan_check_critic(gb_model_nn(c), disc, &e) < 0) {
            snprintf(err, errcap, "model: %s", e.msg);
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
    mg_warm_up(m);
    return GB_OK;
}

/** [main] */
static void *mg_create(const gbp_descriptor_t *desc, const gbp_host_t *host)
{
    (void)desc;
    mg_unit_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    if (!(m->job = gb_melgen_job_new(MG_K_MAX, NULL))) {
        free(m);
        return NULL;
    }
    m->host = host;
    m->sr = 48000.0;
    m->tick_period = 64;
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
    gb_melgen_job_free(m->job);
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
    m->tick_period = (uint32_t)lround(sample_rate / MG_TICK_HZ);
    m->tick_period = m->tick_period < 1 ? 1 : m->tick_period;
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
        const int64_t tk = m->tick_frame - (int64_t)m->now;
        const uint32_t t_tick = tk < 0 ? 0u : tk >= (int64_t)frames ? frames : (uint32_t)tk;
        const uint32_t t_next = t_step < t_tick ? t_step : t_tick;
        /* the performer's events at or before the next step's or tick's frame come first */
        for (; p->events && ie < p->n_events; ie++) {
            uint32_t t = p->events[ie].time;
            t = frames ? (t < frames ? t : frames - 1u) : 0u;
            if (t > t_next || t >= frames)
                break;
            mg_input(m, &p->events[ie], t, beat0 + (double)t / fpb, &o);
        }
        if (t_next >= frames)
            break;
        if (t_step <= t_tick) { /* a step before a tick on the same frame */
            mg_step(m, m->next_k, (int)bpb, t_step, &o);
            m->next_k++;
        } else {
            mg_tick(m, t_tick, &o);
            m->tick_frame += m->tick_period;
        }
    }
    /* A bar start in the next block: read the weights now, so its forwards (a late bar's first
     * step, the tick's) run from the cache however long the unit was quiet. */
    const int steps_bar = (int)bpb * 4;
    const double next_off = ((double)m->next_k / 4.0 - beat0) * fpb;
    if (m->gen && m->next_k % steps_bar == 0 && m->touched_k != m->next_k &&
        next_off < (double)frames + 2.0 * m->tick_period) {
        m->touched_k = m->next_k;
        gb_nn_touch(gb_model_nn(m->gen));
        if (m->critic)
            gb_nn_touch(gb_model_nn(m->critic));
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
