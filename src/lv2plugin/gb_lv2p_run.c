/* gb_lv2p_run.c — the wrapper's run(): atom MIDI and time:Position in, the unit's process()
 * over the block's spans, atom MIDI, READONLY parameters and latency out. [audio]
 * Cost: A + B·frames + C·events; nothing allocated, locked, logged or read from a file.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <lv2/atom/atom.h>
#include <lv2/atom/util.h>
#include <math.h>
#include <string.h>

#include "gb_common.h"
#include "gb_lv2p_wrap.h"

void gb_lv2p_run(LV2_Handle h, uint32_t n_frames) GB_RT;

static float clamp01(float v) GB_RT { return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v; }

/* One MIDI message → a unit event at `time`. Returns 0 when it is not one units take. */
static int midi_in(const uint8_t *m, uint32_t n, uint32_t time, gbp_event_t *e) GB_RT
{
    if (n < 2 || m[0] < 0x80 || m[0] >= 0xF0)
        return 0;
    const uint8_t st = m[0] & 0xF0, d1 = m[1] & 0x7F, d2 = n > 2 ? m[2] & 0x7F : 0;
    *e = (gbp_event_t){.time = time, .channel = m[0] & 0x0F, .key = d1,
                       .source = GBP_SOURCE_HUMAN};
    if (st == 0x90 && n >= 3 && d2 > 0) {
        e->type = GBP_EV_NOTE_ON;
        e->value = (float)d2 / 127.0f;
    } else if (st == 0x80 || (st == 0x90 && n >= 3)) {
        e->type = GBP_EV_NOTE_OFF;
        e->value = st == 0x80 ? (float)d2 / 127.0f : 0.0f;
    } else if (st == 0xB0 && n >= 3) {
        e->type = d1 == 120 || d1 == 123 ? GBP_EV_ALL_OFF : GBP_EV_CC;
        e->key = 0;
        e->id = d1;
        e->value = (float)d2 / 127.0f;
    } else if (st == 0xE0 && n >= 3) {
        e->type = GBP_EV_PITCH_BEND;
        e->key = 0;
        const float v = (float)((d2 << 7 | d1) - 8192) / 8192.0f;
        e->value = v < -1.0f ? -1.0f : v > 1.0f ? 1.0f : v;
    } else if (st == 0xD0) {
        e->type = GBP_EV_PRESSURE;
        e->key = 0;
        e->value = (float)d1 / 127.0f;
    } else {
        return 0;
    }
    return 1;
}

/* Append a MIDI message at `frame` to the output sequence (in time order; dropped and counted
 * when the host's buffer is full). */
static void midi_out(gb_lv2p_t *g, uint32_t frame, const uint8_t *msg, uint32_t n) GB_RT
{
    if (!g->out)
        return;
    const uint32_t need = (uint32_t)sizeof(LV2_Atom_Event) + ((n + 7u) & ~7u);
    if ((uint32_t)sizeof(LV2_Atom) + g->out->atom.size + need > g->out_cap) {
        atomic_fetch_add_explicit(&g->dropped_events, 1, memory_order_relaxed);
        return;
    }
    if (frame < g->out_last)
        frame = g->out_last;
    g->out_last = frame;
    /* the host's buffer, out_cap bytes from g->out (not the struct's size) */
    uint8_t *at = (uint8_t *)(uintptr_t)g->out + sizeof(LV2_Atom) + g->out->atom.size;
    const LV2_Atom_Event head = {.time.frames = frame, .body = {n, g->u.midi_Event}};
    memcpy(at, &head, sizeof head);
    memcpy(at + sizeof head, msg, n);
    g->out->atom.size += need;
}

/* A note source's output event at `frame` of the block, as MIDI (PARAM events are reports:
 * the READONLY ports are read with get_param after each process()). */
static void event_out(gb_lv2p_t *g, uint32_t frame, const gbp_event_t *e) GB_RT
{
    const uint8_t ch = e->channel & 0x0F, key = e->key & 0x7F;
    const float v = clamp01(e->value);
    uint8_t m[3];
    switch (e->type) {
    case GBP_EV_NOTE_ON: {
        const long vel = lrintf(v * 127.0f);
        m[0] = 0x90 | ch, m[1] = key, m[2] = (uint8_t)(vel < 1 ? 1 : vel);
        break;
    }
    case GBP_EV_NOTE_OFF:
        m[0] = 0x80 | ch, m[1] = key, m[2] = (uint8_t)lrintf(v * 127.0f);
        break;
    case GBP_EV_CC:
        m[0] = 0xB0 | ch, m[1] = (uint8_t)(e->id & 0x7F), m[2] = (uint8_t)lrintf(v * 127.0f);
        break;
    case GBP_EV_ALL_OFF:
        m[0] = 0xB0 | ch, m[1] = 123, m[2] = 0;
        break;
    case GBP_EV_PRESSURE:
        midi_out(g, frame, (const uint8_t[]){0xD0 | ch, (uint8_t)lrintf(v * 127.0f)}, 2);
        return;
    case GBP_EV_PITCH_BEND: {
        const float b = e->value < -1.0f ? -1.0f : e->value > 1.0f ? 1.0f : e->value;
        long x = lrintf(b * 8192.0f) + 8192;
        x = x < 0 ? 0 : x > 16383 ? 16383 : x;
        m[0] = 0xE0 | ch, m[1] = (uint8_t)(x & 0x7F), m[2] = (uint8_t)(x >> 7);
        break;
    }
    default:
        return;
    }
    midi_out(g, frame, m, 3);
}

/* What the unit reports after each process(): READONLY parameters, latency. */
static void reports(gb_lv2p_t *g) GB_RT
{
    for (uint32_t i = 0; i < g->d->n_params; i++)
        if ((g->d->params[i].flags & GBP_PARAM_READONLY) && g->pport[i])
            *g->pport[i] = g->d->get_param(g->self, g->d->params[i].id);
    if (g->lat_port)
        *g->lat_port = g->latency ? (float)g->latency->get(g->self) : 0.0f;
}

/* Frames [a, b) of the block with the pending events (times relative to a), in chunks of at
 * most max_block frames; the transport moves on with them. */
static void span(gb_lv2p_t *g, uint32_t a, uint32_t b) GB_RT
{
    const int instrument = g->d->kind != GBP_KIND_NOTE_SOURCE;
    uint32_t c = a, ie = 0;
    do {
        const uint32_t len = b - c < g->max_block ? b - c : g->max_block;
        const int last = c + len >= b;
        const uint32_t first = ie;
        while (ie < g->n_ev && (last || g->ev[ie].time < c - a + len)) {
            const uint32_t t = g->ev[ie].time;
            g->ev[ie].time = instrument || t < c - a ? 0 : t - (c - a);
            ie++;
        }
        uint32_t n_out = 0;
        float *const audio[2] = {instrument ? g->audio[0] + c : NULL,
                                 instrument ? g->audio[1] + c : NULL};
        const gbp_process_t p = {
            .frames = len, .events = g->ev + first, .n_events = ie - first,
            .audio_out = instrument ? audio : NULL, .events_out = instrument ? NULL : g->evo,
            .events_out_capacity = instrument ? 0 : GB_LV2P_MAX_EVENTS,
            .n_events_out = instrument ? NULL : &n_out, .transport = &g->tr};
        g->d->process(g->self, &p);
        for (uint32_t k = 0; k < n_out && k < GB_LV2P_MAX_EVENTS; k++)
            event_out(g, c + (g->evo[k].time < len ? g->evo[k].time : len - (len > 0)),
                      &g->evo[k]);
        reports(g);
        g->tr.frame += len;
        if (g->tr.playing)
            g->tr.beat += (double)len / g->sr * g->tr.tempo_bpm / 60.0 * g->speed;
        c += len;
    } while (c < b);
    g->n_ev = 0;
}

/* A time:Position object: tempo, bar and beat, speed, from the host's transport. */
static void position(gb_lv2p_t *g, const LV2_Atom_Object *obj) GB_RT
{
    const gb_lv2p_urids_t *u = &g->u;
    double bar = -1.0, bar_beat = -1.0;
    LV2_ATOM_OBJECT_FOREACH (obj, p) {
        const LV2_Atom *v = &p->value;
        double x = v->type == u->atom_Float    ? ((const LV2_Atom_Float *)v)->body
                   : v->type == u->atom_Double ? ((const LV2_Atom_Double *)v)->body
                   : v->type == u->atom_Long   ? (double)((const LV2_Atom_Long *)v)->body
                   : v->type == u->atom_Int    ? ((const LV2_Atom_Int *)v)->body
                                               : NAN;
        if (!isfinite(x))
            continue;
        if (p->key == u->time_speed) {
            g->speed = x;
            g->tr.playing = x != 0.0;
        } else if (p->key == u->time_beatsPerMinute && x >= 1.0 && x <= 1000.0) {
            g->tr.tempo_bpm = x;
        } else if (p->key == u->time_beatsPerBar && x >= 1.0 && x <= 64.0) {
            g->tr.beats_per_bar = (uint32_t)lrint(x);
        } else if (p->key == u->time_beatUnit && x >= 1.0 && x <= 64.0) {
            g->tr.beat_unit = (uint32_t)lrint(x);
        } else if (p->key == u->time_bar && x >= 0.0) {
            bar = x;
        } else if (p->key == u->time_barBeat && x >= 0.0) {
            bar_beat = x;
        }
    }
    if (bar >= 0.0)
        g->tr.beat = bar * g->tr.beats_per_bar + (bar_beat >= 0.0 ? bar_beat : 0.0);
}

static void take_event(gb_lv2p_t *g, const gbp_event_t *e) GB_RT
{
    if (g->n_ev < GB_LV2P_MAX_EVENTS)
        g->ev[g->n_ev++] = *e;
    else
        atomic_fetch_add_explicit(&g->dropped_events, 1, memory_order_relaxed);
}

/* Control port changes → GBP_EV_PARAM events at frame 0 (the unit smooths them). */
static void params_in(gb_lv2p_t *g) GB_RT
{
    for (uint32_t i = 0; i < g->d->n_params; i++) {
        const gbp_param_info_t *p = &g->d->params[i];
        if ((p->flags & GBP_PARAM_READONLY) || !g->pport[i])
            continue;
        const float v = *g->pport[i];
        if (v == g->sent[i] || !isfinite(v))
            continue;
        g->sent[i] = v;
        take_event(g, &(gbp_event_t){.type = GBP_EV_PARAM, .id = p->id, .value = v});
    }
}

/* The output sequence, empty, with the capacity the host gave. */
static void out_begin(gb_lv2p_t *g) GB_RT
{
    g->out_last = 0;
    if (!g->out)
        return;
    g->out_cap = (uint32_t)sizeof(LV2_Atom) + g->out->atom.size;
    g->out->atom.type = g->u.atom_Sequence;
    g->out->atom.size = (uint32_t)sizeof(LV2_Atom_Sequence_Body);
    g->out->body.unit = 0;
    g->out->body.pad = 0;
}

void gb_lv2p_run(LV2_Handle h, uint32_t n_frames) GB_RT
{
    gb_lv2p_t *g = h;
    atomic_store_explicit(&g->in_run, 1, memory_order_relaxed);
    out_begin(g);
    const int instrument = g->d->kind != GBP_KIND_NOTE_SOURCE;
    if (!g->active || (instrument && (!g->audio[0] || !g->audio[1]))) {
        for (int c = 0; instrument && c < 2; c++)
            if (g->audio[c])
                memset(g->audio[c], 0, sizeof(float) * n_frames);
        atomic_store_explicit(&g->in_run, 0, memory_order_relaxed);
        return;
    }
    g->n_ev = 0;
    params_in(g);
    uint32_t pos = 0;
    if (g->in) {
        LV2_ATOM_SEQUENCE_FOREACH (g->in, ev) {
            int64_t t64 = ev->time.frames;
            uint32_t t = t64 < (int64_t)pos ? pos : t64 >= (int64_t)n_frames
                                                        ? (n_frames ? n_frames - 1 : 0)
                                                        : (uint32_t)t64;
            t = t < pos ? pos : t;
            const LV2_Atom_Object *obj = (const LV2_Atom_Object *)&ev->body;
            const int is_pos = (ev->body.type == g->u.atom_Object ||
                                ev->body.type == g->u.atom_Blank) &&
                               obj->body.otype == g->u.time_Position;
            gbp_event_t e;
            const int is_midi = ev->body.type == g->u.midi_Event &&
                                midi_in((const uint8_t *)(ev + 1), ev->body.size, t - pos, &e);
            if ((is_pos || (is_midi && instrument)) && t > pos) {
                span(g, pos, t);
                pos = t;
                e.time = 0;
            }
            if (is_pos)
                position(g, obj);
            else if (is_midi)
                take_event(g, &e);
        }
    }
    span(g, pos, n_frames);
    atomic_store_explicit(&g->in_run, 0, memory_order_relaxed);
}
