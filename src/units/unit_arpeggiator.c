/* unit_arpeggiator.c — gbac.arpeggiator: a note source that holds the notes it receives and
 * plays them one at a time on the transport's beat grid.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Timing. Step k of the grid lies at beat k/den (den = 1, 2, 4, 3 for 1/4, 1/8, 1/16, 1/8T),
 * odd steps delayed by swing/den. Its onset is the first frame whose beat position reaches it:
 * offset = ceil((beat_k − beat0) · frames_per_beat) from the block start, with beat0 and the
 * tempo taken from the transport of each (sub-)block. Everything is computed afresh from the
 * integer k, never accumulated, so the onsets do not drift over hours and do not depend on
 * how the host cuts the blocks. The grid restarts when the transport jumps backwards.
 * A note-off follows each note-on after round(gate · step) frames (counted on an internal
 * frame clock); a repeated key first ends its previous note, so every note-on gets exactly one
 * note-off. Generated events carry `source` = the source_id parameter (default 2).
 *
 * Notes. Note-ons are held (by channel and key, in arrival order), note-offs release them;
 * the sustain pedal does not hold them (CC 64 is passed through like every CC). The pattern is
 * the held notes sorted by pitch (as played for as_played), repeated `octaves` times an octave
 * apart (keys above 127 are left out), walked up, down, up-down (ends not repeated), at random
 * (a seeded generator: the same seed and input give the same notes) or in playing order.
 * The pattern restarts when the last held note is released. With no note held the unit emits
 * nothing of its own. CC, pitch bend and pressure pass through unchanged; all-off ends the
 * sounding notes, clears the held notes and is passed on.
 *
 * Costs: per block a bounded amount of work per input event, per step (pattern of at most
 * 32 × 4 entries) and per note-off; no allocation after create().
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gb_smooth.h"
#include "gb_builtin_units.h"
#include "gb_common.h"

enum {
    ARP_RATE = 0,
    ARP_MODE = 1,
    ARP_OCTAVES = 2,
    ARP_GATE = 3,
    ARP_SWING = 4,
    ARP_SEED = 5,
    ARP_SOURCE_ID = 6,
    ARP_N_PARAMS
};

enum { ARP_MODE_UP, ARP_MODE_DOWN, ARP_MODE_UPDOWN, ARP_MODE_RANDOM, ARP_MODE_AS_PLAYED };

#define ARP_MAX_HELD 32
#define ARP_MAX_OCTAVES 4
#define ARP_MAX_PENDING 16
#define ARP_FIXED (GBP_PARAM_STEPPED | GBP_PARAM_NO_SMOOTH)

/* Steps per beat for rate 0..3: 1/4, 1/8, 1/16, 1/8 triplet. */
static const int gb_arp_rate_den[4] = {1, 2, 4, 3};

static const gbp_param_info_t gb_arp_params[ARP_N_PARAMS] = {
    {ARP_RATE, "rate", "", 0.0f, 3.0f, 2.0f, 0.0f, ARP_FIXED,
     "step length: 0 = 1/4, 1 = 1/8, 2 = 1/16, 3 = 1/8 triplet (synced to the tempo)"},
    {ARP_MODE, "mode", "", 0.0f, 4.0f, 0.0f, 0.0f, ARP_FIXED,
     "order: 0 = up, 1 = down, 2 = up-down, 3 = random (seeded), 4 = as played"},
    {ARP_OCTAVES, "octaves", "", 1.0f, 4.0f, 1.0f, 0.0f, ARP_FIXED,
     "octaves the pattern spans (held notes repeated an octave higher each time)"},
    {ARP_GATE, "gate", "", 0.05f, 1.0f, 0.5f, 0.0f, GBP_PARAM_NO_SMOOTH,
     "note length as a fraction of a step"},
    {ARP_SWING, "swing", "", 0.0f, 0.5f, 0.0f, 0.0f, GBP_PARAM_NO_SMOOTH,
     "delay of every second step, as a fraction of a step"},
    {ARP_SEED, "seed", "", 0.0f, 65535.0f, 1.0f, 0.0f, ARP_FIXED,
     "seed of the random mode (setting it restarts the random sequence)"},
    {ARP_SOURCE_ID, "source_id", "", 1.0f, 255.0f, 2.0f, 0.0f, ARP_FIXED,
     "provenance id written into the `source` of every generated note"},
};

typedef struct arp_note {
    uint8_t key, channel;
    float velocity;
} arp_note_t;

typedef struct arp_off {
    uint64_t frame; /* on the internal clock */
    uint8_t key, channel;
} arp_off_t;

/* The next grid step: its offset from the block start (frames) and its beat. */
typedef struct arp_step {
    int valid;
    uint64_t offset;
    double beat;
} arp_step_t;

typedef struct gb_arp_unit {
    float pv[ARP_N_PARAMS];
    double sr;
    int active;
    arp_note_t held[ARP_MAX_HELD]; /* in arrival order */
    int n_held;
    arp_off_t pend[ARP_MAX_PENDING]; /* note-offs still to send */
    int n_pend;
    uint32_t pos;  /* steps played since the held set was last empty */
    uint32_t rng;  /* random-mode generator state */
    uint64_t now;  /* internal clock: frames processed so far */
    double last_beat;  /* beat of the last grid step taken */
    int has_last;
    double prev_beat0; /* beat at the previous block start (to see backward jumps) */
    int has_prev;
} gb_arp_unit_t;

/* Output cursor of one process() call. */
typedef struct arp_out {
    gbp_event_t *ev;
    uint32_t n, cap;
} arp_out_t;

static float arp_clamp(uint32_t id, float v) GB_RT
{
    const gbp_param_info_t *p = &gb_arp_params[id];
    v = isfinite(v) ? gb_clampf(v, p->min, p->max) : p->def; /* as the engine does */
    return (p->flags & GBP_PARAM_STEPPED) ? roundf(v) : v;
}

static int arp_ip(const gb_arp_unit_t *a, uint32_t id) GB_RT
{
    return (int)a->pv[id];
}

static void arp_seed(gb_arp_unit_t *a) GB_RT
{
    a->rng = (uint32_t)arp_ip(a, ARP_SEED) * 0x9e3779b9u + 0x7f4a7c15u;
}

/* splitmix32-style generator: deterministic on every platform. */
static uint32_t arp_random(gb_arp_unit_t *a) GB_RT
{
    uint32_t z = (a->rng += 0x9e3779b9u);
    z = (z ^ (z >> 16)) * 0x85ebca6bu;
    z = (z ^ (z >> 13)) * 0xc2b2ae35u;
    return z ^ (z >> 16);
}

static void arp_store(gb_arp_unit_t *a, uint32_t id, float v) GB_RT
{
    __atomic_store(&a->pv[id], &v, __ATOMIC_RELAXED);
    if (id == ARP_SEED)
        arp_seed(a);
}

static int arp_emit(arp_out_t *o, const gbp_event_t *ev) GB_RT
{
    if (o->n >= o->cap)
        return 0;
    o->ev[o->n++] = *ev;
    return 1;
}

static gbp_event_t arp_note_event(const gb_arp_unit_t *a, uint8_t type, uint32_t time,
                                  uint8_t channel, uint8_t key, float value) GB_RT
{
    gbp_event_t ev = {.time = time, .type = type, .channel = channel, .key = key,
                      .source = (uint8_t)arp_ip(a, ARP_SOURCE_ID), .id = 0, .value = value};
    return ev;
}

/* Send pending note-off i at time t and forget it; if the output is full, retry it at the
 * start of the next block (block_end on the internal clock). */
static void arp_send_off(gb_arp_unit_t *a, int i, uint32_t t, uint64_t block_end, arp_out_t *o) GB_RT
{
    const gbp_event_t ev =
        arp_note_event(a, GBP_EV_NOTE_OFF, t, a->pend[i].channel, a->pend[i].key, 0.0f);
    if (!arp_emit(o, &ev)) {
        a->pend[i].frame = block_end;
        return;
    }
    a->pend[i] = a->pend[--a->n_pend];
}

/* ---------------------------------------------------------------- grid */

/* Beat of grid step k. */
static double arp_step_beat(int64_t k, int den, double swing) GB_RT
{
    return ((double)k + ((k & 1) ? swing : 0.0)) / (double)den;
}

/* The first grid step after the last one taken whose onset is at or after frame `from` of a
 * block starting at beat0. */
static arp_step_t arp_next_step(const gb_arp_unit_t *a, double beat0, double fpb, uint64_t from) GB_RT
{
    arp_step_t s = {0, 0, 0.0};
    const int den = gb_arp_rate_den[arp_ip(a, ARP_RATE)];
    const double swing = a->pv[ARP_SWING];
    double start = beat0 + (double)from / fpb;
    if (a->has_last && a->last_beat > start)
        start = a->last_beat;
    int64_t k = (int64_t)floor(start * den) - 1;
    /* Steps are strictly increasing in beat (swing < 1), so the wanted one is among the
     * next few after k. */
    for (int it = 0; it < 6; it++, k++) {
        const double beat = arp_step_beat(k, den, swing);
        if (a->has_last && beat <= a->last_beat + 1e-9)
            continue;
        /* 1e-4 frame of tolerance: an onset that lands on a frame up to float noise is on
         * that frame, however the blocks are cut. */
        const double off = ceil((beat - beat0) * fpb - 1e-4);
        if (off < (double)from)
            continue;
        s.valid = 1;
        s.offset = off < 1.8e19 ? (uint64_t)off : UINT64_MAX;
        s.beat = beat;
        return s;
    }
    return s;
}

/* ---------------------------------------------------------------- held notes */

static int arp_find(const gb_arp_unit_t *a, uint8_t channel, uint8_t key) GB_RT
{
    for (int i = 0; i < a->n_held; i++)
        if (a->held[i].key == key && a->held[i].channel == channel)
            return i;
    return -1;
}

static void arp_hold(gb_arp_unit_t *a, uint8_t channel, uint8_t key, float velocity) GB_RT
{
    const int i = arp_find(a, channel, key);
    if (i >= 0) {
        a->held[i].velocity = velocity;
        return;
    }
    if (a->n_held >= ARP_MAX_HELD)
        return;
    if (a->n_held == 0)
        a->pos = 0;
    a->held[a->n_held++] = (arp_note_t){key, channel, velocity};
}

static void arp_release(gb_arp_unit_t *a, uint8_t channel, uint8_t key) GB_RT
{
    const int i = arp_find(a, channel, key);
    if (i < 0)
        return;
    memmove(&a->held[i], &a->held[i + 1], (size_t)(a->n_held - i - 1) * sizeof a->held[0]);
    if (--a->n_held == 0)
        a->pos = 0;
}

/* The note step `pos` plays, or 0 if nothing is held. */
static int arp_pick(gb_arp_unit_t *a, arp_note_t *note) GB_RT
{
    arp_note_t src[ARP_MAX_HELD], pat[ARP_MAX_HELD * ARP_MAX_OCTAVES];
    const int n = a->n_held, mode = arp_ip(a, ARP_MODE), octaves = arp_ip(a, ARP_OCTAVES);
    memcpy(src, a->held, (size_t)n * sizeof src[0]);
    if (mode != ARP_MODE_AS_PLAYED) /* insertion sort by key, then channel: n ≤ 32 */
        for (int i = 1; i < n; i++) {
            const arp_note_t x = src[i];
            int j = i - 1;
            for (; j >= 0 && (src[j].key > x.key ||
                              (src[j].key == x.key && src[j].channel > x.channel));
                 j--)
                src[j + 1] = src[j];
            src[j + 1] = x;
        }
    uint32_t len = 0;
    for (int o = 0; o < octaves; o++)
        for (int i = 0; i < n; i++)
            if (src[i].key + 12 * o <= 127) {
                pat[len] = src[i];
                pat[len++].key = (uint8_t)(src[i].key + 12 * o);
            }
    if (len == 0)
        return 0;
    uint32_t idx;
    switch (mode) {
    case ARP_MODE_DOWN: idx = len - 1u - a->pos % len; break;
    case ARP_MODE_UPDOWN: {
        const uint32_t cycle = len > 1 ? 2u * len - 2u : 1u;
        const uint32_t q = a->pos % cycle;
        idx = q < len ? q : cycle - q;
        break;
    }
    case ARP_MODE_RANDOM: idx = arp_random(a) % len; break;
    default: idx = a->pos % len; break; /* up, as played */
    }
    *note = pat[idx];
    return 1;
}

/* Play grid step at offset t of the block: pick the note, end a still-sounding copy of the
 * same key, send the note-on, schedule its note-off. */
static void arp_play(gb_arp_unit_t *a, uint32_t t, double fpb, uint64_t block_end, arp_out_t *o) GB_RT
{
    arp_note_t note;
    if (!arp_pick(a, &note))
        return;
    a->pos++;
    for (int i = a->n_pend - 1; i >= 0; i--)
        if (a->pend[i].key == note.key && a->pend[i].channel == note.channel)
            arp_send_off(a, i, t, block_end, o);
    if (a->n_pend >= ARP_MAX_PENDING) { /* cannot happen with gate ≤ 1 step; stay safe */
        int first = 0;
        for (int i = 1; i < a->n_pend; i++)
            if (a->pend[i].frame < a->pend[first].frame)
                first = i;
        arp_send_off(a, first, t, block_end, o);
        if (a->n_pend >= ARP_MAX_PENDING)
            return;
    }
    if (o->n + 2u > o->cap) /* keep room so a note-on never goes out without its note-off */
        return;
    const gbp_event_t on =
        arp_note_event(a, GBP_EV_NOTE_ON, t, note.channel, note.key, note.velocity);
    arp_emit(o, &on);
    const double step = fpb / (double)gb_arp_rate_den[arp_ip(a, ARP_RATE)];
    double gate = floor((double)a->pv[ARP_GATE] * step + 0.5);
    gate = gate < 1.0 ? 1.0 : gate;
    a->pend[a->n_pend++] = (arp_off_t){a->now + t + (uint64_t)gate, note.key, note.channel};
}

/* ---------------------------------------------------------------- callbacks */

/** [audio & active] (also used by create/activate on [main]) */
static void arp_reset(void *self) GB_RT
{
    gb_arp_unit_t *a = self;
    a->n_held = 0;
    a->n_pend = 0;
    a->pos = 0;
    a->now = 0;
    a->has_last = 0;
    a->has_prev = 0;
    a->last_beat = a->prev_beat0 = 0.0;
    arp_seed(a);
}

/** [main] */
static void *arp_create(const gbp_descriptor_t *desc, const gbp_host_t *host)
{
    (void)desc;
    (void)host;
    gb_arp_unit_t *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->sr = 48000.0;
    for (uint32_t i = 0; i < ARP_N_PARAMS; i++)
        a->pv[i] = gb_arp_params[i].def;
    arp_reset(a);
    return a;
}

/** [main] */
static void arp_destroy(void *self)
{
    free(self);
}

/** [main] Nothing to allocate: the held notes and pending note-offs live in the instance. */
static int arp_activate(void *self, double sample_rate, uint32_t max_frames)
{
    gb_arp_unit_t *a = self;
    (void)max_frames;
    if (!(sample_rate >= 8000.0 && sample_rate <= 384000.0))
        return GB_ERANGE;
    a->sr = sample_rate;
    a->active = 1;
    arp_reset(a);
    return GB_OK;
}

/** [main & active] */
static void arp_deactivate(void *self)
{
    gb_arp_unit_t *a = self;
    a->active = 0;
}

/** [main, not while processing] */
static void arp_set_param(void *self, uint32_t id, float value)
{
    if (id < ARP_N_PARAMS)
        arp_store(self, id, arp_clamp(id, value));
}

/** [main, not while processing] */
static float arp_get_param(void *self, uint32_t id) GB_RT
{
    gb_arp_unit_t *a = self;
    float v = 0.0f;
    if (id < ARP_N_PARAMS)
        __atomic_load(&a->pv[id], &v, __ATOMIC_RELAXED);
    return v;
}

/* Apply one input event at offset t. */
static void arp_input(gb_arp_unit_t *a, const gbp_event_t *ev, uint32_t t, uint64_t block_end,
                      arp_out_t *o) GB_RT
{
    gbp_event_t x = *ev;
    x.time = t;
    switch (ev->type) {
    case GBP_EV_NOTE_ON:
        if (ev->key <= 127)
            arp_hold(a, ev->channel & 15u, ev->key, gb_clampf(ev->value, 0.0f, 1.0f));
        break;
    case GBP_EV_NOTE_OFF:
        if (ev->key <= 127)
            arp_release(a, ev->channel & 15u, ev->key);
        break;
    case GBP_EV_CC:
    case GBP_EV_PITCH_BEND:
    case GBP_EV_PRESSURE: arp_emit(o, &x); break;
    case GBP_EV_ALL_OFF:
        a->n_held = 0;
        a->pos = 0;
        for (int i = a->n_pend - 1; i >= 0; i--)
            arp_send_off(a, i, t, block_end, o);
        arp_emit(o, &x);
        break;
    case GBP_EV_PARAM:
        if (ev->id < ARP_N_PARAMS)
            arp_store(a, ev->id, arp_clamp(ev->id, ev->value));
        break;
    default: break;
    }
}

/** [audio & active] */
static void arp_process(void *self, const gbp_process_t *p) GB_RT
{
    gb_arp_unit_t *a = self;
    const uint32_t frames = p->frames;
    arp_out_t o = {p->events_out, 0, (p->events_out && p->n_events_out) ? p->events_out_capacity
                                                                          : 0};
    const uint64_t block_end = a->now + frames;

    /* Tempo and position: from the transport, or 120 BPM on the internal clock. */
    double tempo = 120.0, beat0 = (double)a->now * 2.0 / a->sr;
    if (p->transport && isfinite(p->transport->beat) && fabs(p->transport->beat) < 1e12) {
        beat0 = p->transport->beat;
        tempo = p->transport->tempo_bpm;
    }
    tempo = !(tempo >= 1.0) ? (tempo < 1.0 ? 1.0 : 120.0) : tempo > 1000.0 ? 1000.0 : tempo;
    const double fpb = 60.0 * a->sr / tempo; /* frames per beat */
    if (a->has_prev && beat0 < a->prev_beat0)
        a->has_last = 0; /* moved backwards (loop, relocation): restart the grid */
    a->prev_beat0 = beat0;
    a->has_prev = 1;

    uint32_t ie = 0, t_min = 0;
    arp_step_t next = arp_next_step(a, beat0, fpb, 0);
    for (;;) {
        uint64_t t_in = UINT64_MAX, t_off = UINT64_MAX;
        if (p->events && ie < p->n_events) {
            uint32_t t = p->events[ie].time;
            t = frames ? (t < frames ? t : frames - 1u) : 0u;
            t_in = t < t_min ? t_min : t; /* keep the output sorted even for unsorted input */
        }
        for (int i = 0; i < a->n_pend; i++) {
            const uint64_t rel = a->pend[i].frame > a->now ? a->pend[i].frame - a->now : 0;
            t_off = rel < t_off ? rel : t_off;
        }
        const uint64_t t_on = next.valid ? next.offset : UINT64_MAX;
        if (t_in != UINT64_MAX && t_in <= t_off && t_in <= t_on) {
            /* inputs first: a note arriving on a step's frame plays in that step */
            for (; ie < p->n_events; ie++) {
                uint32_t t = p->events[ie].time;
                t = frames ? (t < frames ? t : frames - 1u) : 0u;
                if ((t < t_min ? t_min : t) != t_in)
                    break;
                arp_input(a, &p->events[ie], (uint32_t)t_in, block_end, &o);
            }
            t_min = (uint32_t)t_in;
            next = arp_next_step(a, beat0, fpb, t_in);
            continue;
        }
        const uint64_t t = t_off < t_on ? t_off : t_on;
        if (t >= frames)
            break;
        t_min = (uint32_t)t;
        if (t_off <= t_on) {
            for (int i = a->n_pend - 1; i >= 0; i--)
                if (a->pend[i].frame <= a->now + t)
                    arp_send_off(a, i, (uint32_t)t, block_end, &o);
            continue;
        }
        arp_play(a, (uint32_t)t, fpb, block_end, &o);
        a->last_beat = next.beat;
        a->has_last = 1;
        next = arp_next_step(a, beat0, fpb, t);
    }
    a->now = block_end;
    if (p->n_events_out)
        *p->n_events_out = o.n;
}

const gbp_descriptor_t gb_unit_arpeggiator = {
    .abi_version = GBP_ABI_VERSION,
    .struct_size = sizeof(gbp_descriptor_t),
    .id = "gbac.arpeggiator",
    .name = "Arpeggiator",
    .vendor = "gbac",
    .version = "1.0.0",
    .description = "Holds the notes it receives and plays them one by one on the beat grid "
                   "(up, down, up-down, seeded random, as played), synced to the tempo.",
    .kind = GBP_KIND_NOTE_SOURCE,
    .n_params = ARP_N_PARAMS,
    .params = gb_arp_params,
    .create = arp_create,
    .destroy = arp_destroy,
    .activate = arp_activate,
    .deactivate = arp_deactivate,
    .reset = arp_reset,
    .process = arp_process,
    .set_param = arp_set_param,
    .get_param = arp_get_param,
    .save_state = NULL,
    .load_state = NULL,
};
