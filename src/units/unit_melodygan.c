/* unit_melodygan.c — gbac.melody-gan: a note source that answers, continues or improvises
 * melodies with the melody GAN (models/melody-gan.md), bar by bar on the transport's grid.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Grid. Step k (a 16th note) lies at beat k/4; its onset is the first frame whose beat
 * position reaches it: ceil((k/4 − beat0) · frames_per_beat) from the block start, with beat0
 * and the tempo from the transport of each block (as the arpeggiator does), computed from the
 * integer k, never accumulated. A bar is beats_per_bar · 4 steps (1..6 beats: the generator
 * knows at most 24 steps). Everything the unit decides, it decides on a step, after the
 * performer's events at or before that step's frame; so block size does not change the output.
 *
 * Modes (latched, with every parameter, at each bar start):
 *   0 answer    the performer's notes form a phrase; at the first bar start after
 *               `silence_beats` of silence (no key held) the unit plays `answer_bars` bars;
 *   1 continue  as answer, but it keeps going until the performer plays again;
 *   2 free      it plays all the time.
 * A performer note-on during an answer ends it at the next bar start.
 *
 * Conditioning. The phrase's pitch classes, weighted by their length in steps, give its key by
 * Krumhansl–Schmuckler (24 profile correlations); its last bar (the bar of its last onset) is
 * turned into tokens in the normalised key (C major / A minor) as the generator's context, and
 * its onset count is the density. Each following bar is conditioned on the bar before it.
 * Generated tokens are transposed back to the phrase's key. Free mode without a phrase plays in
 * C major from silence.
 *
 * Cost. A bar is generated at its first step, once per bar at most: K candidates (parameter
 * `candidates`) × (one generator forward, 135 → 256 → 256 → 1224, and one critic forward,
 * 234 → 128 → 128 → 1) plus sampling of 24 steps × 51 tokens each (top-k 6). The cost does
 * not depend on the signal: it is A + B·K per bar, all other steps cost a few comparisons.
 * Measured in tests/test_unit_melodygan.c (printed). The buffers live in the instance; nothing
 * is allocated, locked or read from a file in process().
 *
 * Generated notes are monophonic: a note sounds until the next step that is not a hold, so
 * every note-on gets a note-off (at the latest at the start of the first bar not generated, or
 * on all-off). They carry `source` = source_id. The performer's events pass through unchanged.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gb_data.h"
#include "gb_melgan.h"
#include "gb_modelfile.h"
#include "gb_smooth.h"
#include "gb_units.h"

enum {
    MG_MODE = 0,
    MG_ANSWER_BARS = 1,
    MG_SILENCE = 2,
    MG_TEMPERATURE = 3,
    MG_CANDIDATES = 4,
    MG_SOURCE_ID = 5,
    MG_SEED = 6,
    MG_N_PARAMS
};
enum { MG_ANSWER, MG_CONTINUE, MG_FREE };

#define MG_FIXED (GBP_PARAM_STEPPED | GBP_PARAM_NO_SMOOTH)
#define MG_MAX_PHRASE 64
#define MG_TOP_K 6
#define MG_VELOCITY 0.8f
#define MG_DEFAULT_MODEL "models/melody-gan.safetensors"
#define MG_S GB_MDS_MAX_STEPS

static const gbp_param_info_t mg_params[MG_N_PARAMS] = {
    {MG_MODE, "mode", "", 0.0f, 2.0f, 0.0f, 0.0f, MG_FIXED,
     "0 = answer the performer's phrase, 1 = continue after the performer stops, 2 = free"},
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
};

typedef struct mg_note {
    int64_t on, off; /* steps; off = -1 while held */
    uint8_t key, channel;
} mg_note_t;

typedef struct mg_unit {
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
    double last_release; /* beat */
    uint8_t channel;
    int played_since_start; /* a performer note-on since the generation started */
    /* generation */
    uint64_t rng;
    int playing_bar;  /* the current bar is generated */
    int bars_left;    /* answer bars still to play (-1: unlimited) */
    int shift, kmode, density;
    uint8_t bar[MG_S], ctx[MG_S];
    int sounding;     /* generated key sounding, -1 none */
    int off_pending;  /* a note-off that did not fit in the last block */
    /* grid */
    int64_t next_k;
    int has_grid;
    double prev_beat0;
    uint64_t now;
    /* measurement */
    uint32_t n_generated;
} mg_unit_t;

typedef struct mg_out {
    gbp_event_t *ev;
    uint32_t n, cap;
} mg_out_t;

static float mg_clamp(uint32_t id, float v)
{
    const gbp_param_info_t *p = &mg_params[id];
    v = isfinite(v) ? gb_clampf(v, p->min, p->max) : p->def;
    return (p->flags & GBP_PARAM_STEPPED) ? roundf(v) : v;
}

static void mg_seed(mg_unit_t *m)
{
    m->rng = (uint64_t)m->pv[MG_SEED] * 0x9e3779b97f4a7c15ull + 0x5bd1e995ull;
}

static int mg_emit(mg_out_t *o, const gbp_event_t *ev)
{
    if (o->n >= o->cap)
        return 0;
    o->ev[o->n++] = *ev;
    return 1;
}

static void mg_note(mg_unit_t *m, mg_out_t *o, uint8_t type, uint32_t t, int key)
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

static void mg_end_note(mg_unit_t *m, mg_out_t *o, uint32_t t)
{
    if (m->sounding >= 0)
        mg_note(m, o, GBP_EV_NOTE_OFF, t, m->sounding);
}

/* ---------------------------------------------------------------- phrase analysis */

/* Krumhansl–Schmuckler: the key whose profile correlates best with the pitch-class weights.
 * Sets *tonic (0..11) and *minor. */
static void mg_detect_key(const double *w, int *tonic, int *minor)
{
    static const double prof[2][12] = {
        {6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88},
        {6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17}};
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

static int mg_fold(int p)
{
    while (p < GB_MDS_PITCH_LO)
        p += 12;
    while (p > GB_MDS_PITCH_HI)
        p -= 12;
    return p;
}

static int mg_onsets(const uint8_t *bar, int steps)
{
    int n = 0;
    for (int i = 0; i < steps; i++)
        n += bar[i] >= GB_MDS_PITCH_BASE && bar[i] != GB_MDS_PAD;
    return n;
}

/* Key, context bar and density from the phrase (or C major from silence without one). */
static void mg_condition(mg_unit_t *m, int steps, int64_t now_k)
{
    for (int i = 0; i < MG_S; i++)
        m->ctx[i] = i < steps ? GB_MDS_REST : GB_MDS_PAD;
    m->shift = 0;
    m->kmode = 0;
    m->density = steps / 2;
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
    m->shift = t > 6 ? t - 12 : t;
    m->kmode = minor;
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
        const int tok = onset >= 0 ? GB_MDS_PITCH_BASE + mg_fold(onset - m->shift) -
                                         GB_MDS_PITCH_LO
                        : held && prev != GB_MDS_REST ? GB_MDS_HOLD
                                                      : GB_MDS_REST;
        m->ctx[s] = (uint8_t)tok;
        prev = tok == GB_MDS_HOLD ? prev : tok;
    }
    const int d = mg_onsets(m->ctx, steps);
    m->density = d > 0 ? d : steps / 2;
}

/* ---------------------------------------------------------------- generation */

static int mg_last_token(const uint8_t *bar, int steps)
{
    int prev = GB_MDS_REST;
    for (int i = 0; i < steps; i++)
        if (bar[i] != GB_MDS_HOLD)
            prev = bar[i] == GB_MDS_PAD ? GB_MDS_REST : bar[i];
    return prev;
}

/* One bar, best of K by the critic, conditioned on m->ctx; then it becomes the context. */
static void mg_generate_bar(mg_unit_t *m, int bpb)
{
    const int steps = bpb * 4, num = bpb, den = 4;
    gb_nn_t *gen = gb_model_nn(m->gen), *cr = m->critic ? gb_model_nn(m->critic) : NULL;
    const int k_max = cr ? (int)m->cur[MG_CANDIDATES] : 1;
    float best = -INFINITY, z[GB_MELGAN_Z];
    uint8_t cand[MG_S];
    const int prev = mg_last_token(m->ctx, steps);
    for (int k = 0; k < k_max; k++) {
        for (int d = 0; d < GB_MELGAN_Z; d++)
            z[d] = gb_melgan_rng_normal(&m->rng);
        gb_melgan_gen_input(m->ctx, steps, num, den, m->kmode, 0, m->density, z, m->in);
        gb_nn_reset(gen);
        gb_nn_forward(gen, m->in, m->logits, 1);
        gb_melgan_sample(m->logits, steps, m->cur[MG_TEMPERATURE], MG_TOP_K, prev, &m->rng,
                         cand);
        float sc = 0.0f;
        if (cr) {
            gb_melgan_critic_input(m->ctx, steps, num, den, m->kmode, 0, cand, m->cin);
            gb_nn_reset(cr);
            gb_nn_forward(cr, m->cin, &sc, 1);
        }
        if (k == 0 || sc > best) {
            best = sc;
            memcpy(m->bar, cand, MG_S);
        }
    }
    memcpy(m->ctx, m->bar, MG_S);
    m->n_generated++;
}

/* A bar starts at step k: latch the parameters, decide whether it is generated. */
static void mg_bar_start(mg_unit_t *m, int64_t k, int bpb)
{
    memcpy(m->cur, m->pv, sizeof m->cur);
    const int steps = bpb * 4, mode = (int)m->cur[MG_MODE];
    const double beat = (double)k / 4.0;
    int play = 0;
    if (mode == MG_ANSWER && m->bars_left < 0)
        m->bars_left = 0; /* switched to answer from an endless mode */
    if (m->playing_bar && m->played_since_start && mode != MG_FREE) {
        m->bars_left = 0; /* the performer took over */
    } else if (m->playing_bar && (mode == MG_FREE || m->bars_left != 0)) {
        play = 1; /* keep going */
        if (m->bars_left > 0)
            m->bars_left--;
    } else if (mode == MG_FREE) {
        mg_condition(m, steps, k);
        m->phrase_closed = m->n_phrase > 0;
        play = 1;
        m->bars_left = -1;
    } else if (m->n_phrase > 0 && !m->phrase_closed && m->n_held == 0 &&
               beat - m->last_release >= (double)m->cur[MG_SILENCE] - 1e-6) {
        mg_condition(m, steps, k);
        m->phrase_closed = 1;
        play = 1;
        m->bars_left = mode == MG_ANSWER ? (int)m->cur[MG_ANSWER_BARS] - 1 : -1;
    }
    m->played_since_start = 0;
    m->playing_bar = play && m->gen;
    if (m->playing_bar)
        mg_generate_bar(m, bpb);
}

/* Step k at offset t of the block. */
static void mg_step(mg_unit_t *m, int64_t k, int bpb, uint32_t t, mg_out_t *o)
{
    const int steps = bpb * 4;
    const int64_t s = ((k % steps) + steps) % steps;
    if (s == 0)
        mg_bar_start(m, k, bpb);
    const int tok = m->playing_bar ? m->bar[s] : GB_MDS_REST;
    if (tok != GB_MDS_HOLD)
        mg_end_note(m, o, t);
    if (tok >= GB_MDS_PITCH_BASE && tok < GB_MDS_VOCAB) {
        const int key = GB_MDS_PITCH_LO + tok - GB_MDS_PITCH_BASE + m->shift;
        if (key >= 0 && key <= 127)
            mg_note(m, o, GBP_EV_NOTE_ON, t, key);
    }
}

/* ---------------------------------------------------------------- performer input */

static void mg_input(mg_unit_t *m, const gbp_event_t *ev, uint32_t t, double beat, mg_out_t *o)
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
        m->n_held++;
        m->played_since_start = 1;
        break;
    case GBP_EV_NOTE_OFF:
        mg_emit(o, &x);
        for (int i = m->n_phrase - 1; i >= 0; i--)
            if (m->phrase[i].off < 0 && m->phrase[i].key == ev->key &&
                m->phrase[i].channel == (ev->channel & 15u)) {
                m->phrase[i].off = k > m->phrase[i].on ? k : m->phrase[i].on + 1;
                if (m->n_held > 0)
                    m->n_held--;
                break;
            }
        if (m->n_held == 0)
            m->last_release = beat;
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
        break;
    case GBP_EV_PARAM:
        if (ev->id < MG_N_PARAMS) {
            m->pv[ev->id] = mg_clamp(ev->id, ev->value);
            if (ev->id == MG_SEED)
                mg_seed(m);
        }
        break;
    default: mg_emit(o, &x); break;
    }
}

/* ---------------------------------------------------------------- callbacks */

/** [audio & active] (also from activate on [main]) */
static void mg_reset(void *self)
{
    mg_unit_t *m = self;
    m->n_phrase = m->n_held = m->phrase_closed = 0;
    m->last_release = 0.0;
    m->played_since_start = 0;
    m->playing_bar = 0;
    m->bars_left = 0;
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
    gb_data_resolve(name, MG_DEFAULT_MODEL, path, sizeof path);
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
    (void)host;
    mg_unit_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
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
            fprintf(stderr, "gbac: gbac.melody-gan: %s\n", err);
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
    m->pv[id] = mg_clamp(id, value);
    if (id == MG_SEED)
        mg_seed(m);
}

/** [main] */
static float mg_get_param(void *self, uint32_t id)
{
    return id < MG_N_PARAMS ? ((mg_unit_t *)self)->pv[id] : 0.0f;
}

/** [main] {"model": path} */
static int mg_save_state(void *self, char *buf, size_t cap)
{
    mg_unit_t *m = self;
    const char *p = m->gen ? m->path : MG_DEFAULT_MODEL;
    json_t *root = json_pack("{s:s}", "model", p);
    char *txt = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (!txt)
        return GB_ENOMEM;
    const size_t len = strlen(txt);
    if (buf && cap > 0) {
        const size_t n = len < cap - 1 ? len : cap - 1;
        memcpy(buf, txt, n);
        buf[n] = '\0';
    }
    free(txt);
    return (int)len;
}

/** [main, not while processing] — the ABI keeps process() out, so the swap is direct. */
static int mg_load_state(void *self, const char *json, char *err, size_t errcap)
{
    mg_unit_t *m = self;
    json_error_t je;
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &je);
    int rc = GB_EFORMAT;
    if (!root || !json_is_object(root)) {
        snprintf(err, errcap, "state: %s", root ? "not a JSON object" : je.text);
        goto done;
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        if (strcmp(key, "model") != 0) {
            snprintf(err, errcap, "state.%s: unknown key (allowed: model)", key);
            goto done;
        }
    }
    json_t *mv = json_object_get(root, "model");
    if (mv && !json_is_string(mv)) {
        snprintf(err, errcap, "state.model: must be a file name");
        goto done;
    }
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
    if (!m->has_grid || beat0 < m->prev_beat0) { /* start or backward jump: restart the grid */
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
};
