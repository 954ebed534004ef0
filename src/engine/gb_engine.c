/* gb_engine.c — the rack, its parameters and its block processing (see gb_engine.h for the
 * order of work; a unit's own life cycle in the rack is in gb_engine_unit.c).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_engine.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_engine_priv.h"
#include "gb_rt_clock.h"
#include "gb_master.h"
#include "gb_simd.h"

pthread_t pthread_self(void) GB_RT; /* see gb_engine_unit.c */

gb_engine_config_t gb_engine_config_default(void)
{
    gb_engine_config_t c = {sizeof(gb_engine_config_t), 48000.0, 1024, 1};
    return c;
}

int gb_engine_param_index(const gbp_descriptor_t *d, uint32_t id) GB_RT
{
    for (uint32_t i = 0; i < d->n_params; i++)
        if (d->params[i].id == id)
            return (int)i;
    return -1;
}

static float *falloc(size_t n)
{
    float *p = aligned_alloc(GB_ALIGN, GB_ROUND_UP(n * sizeof(float), GB_ALIGN));
    if (p)
        memset(p, 0, n * sizeof(float));
    return p;
}

static int check_config(const gb_engine_config_t *c, const gb_preset_t *preset, gb_error_t *err)
{
    if (!(c->sample_rate >= 8000.0 && c->sample_rate <= 384000.0))
        return gb_error_set(err, GB_ERANGE, "sample rate %g Hz is outside 8000..384000",
                            c->sample_rate);
    if (c->max_block < 1 || c->max_block > GB_ENGINE_MAX_BLOCK)
        return gb_error_set(err, GB_ERANGE, "block size %u is outside 1..%d", c->max_block,
                            GB_ENGINE_MAX_BLOCK);
    if (!preset || !preset->instrument.desc)
        return gb_error_set(err, GB_EINVAL, "the preset has no instrument");
    return GB_OK;
}

static int alloc_buffers(gb_engine_t *e, gb_error_t *err)
{
    for (int i = 0; i < 4; i++)
        e->buf[i] = falloc(e->cfg.max_block);
    e->ev_a = calloc(GB_ENGINE_MAX_EVENTS, sizeof(gbp_event_t));
    e->ev_b = calloc(GB_ENGINE_MAX_EVENTS, sizeof(gbp_event_t));
    e->scratch = calloc(GB_ENGINE_MAX_EVENTS, sizeof(gbp_event_t));
    e->gen = calloc(GB_ENGINE_MAX_EVENTS, sizeof(gbp_event_t));
    if (!e->buf[0] || !e->buf[1] || !e->buf[2] || !e->buf[3] || !e->ev_a || !e->ev_b ||
        !e->scratch || !e->gen)
        return gb_error_set(err, GB_ENOMEM, "out of memory for the engine's buffers");
    return gb_engine_log_init(e, err);
}

/* Note sources, the instrument (which takes the preset's polyphony), effects, master. */
static int open_units(gb_engine_t *e, const gb_preset_t *preset, gb_error_t *err)
{
    e->n_sources = preset->n_sources;
    e->n_effects = preset->n_effects;
    for (int i = 0; i < preset->n_sources; i++)
        if (gb_engine_unit_open(e, U_SRC0 + i, &preset->sources[i], 0, err))
            return err->code;
    if (gb_engine_unit_open(e, U_INSTR, &preset->instrument, preset->polyphony, err))
        return err->code;
    for (int i = 0; i < preset->n_effects; i++)
        if (gb_engine_unit_open(e, U_FX0 + i, &preset->effects[i], 0, err))
            return err->code;
    /* The master section is a pseudo unit so its parameter has a handle like the rest; the
     * preset's values apply from the first frame. */
    e->u[U_MASTER].d = &gb_master_desc;
    snprintf(e->u[U_MASTER].slot, sizeof e->u[U_MASTER].slot, GB_MASTER_SLOT);
    e->u[U_MASTER].pv = e->master_pv;
    e->master_pv[GB_MASTER_GAIN_DB] = gb_master_desc.params[GB_MASTER_GAIN_DB].def;
    for (int i = 0; i < preset->master.n_params; i++)
        if (preset->master.params[i].id == GB_MASTER_GAIN_DB)
            e->master_pv[GB_MASTER_GAIN_DB] = preset->master.params[i].value;
    e->master_g = (float)pow(10.0, e->master_pv[GB_MASTER_GAIN_DB] / 20.0);
    e->master_coef = (float)(1.0 - exp(-1.0 / (0.020 * e->cfg.sample_rate)));
    gb_engine_find_timbre(e);
    return GB_OK;
}

/* CC map: resolve "slot" + parameter id to handles. */
static int map_ccs(gb_engine_t *e, const gb_preset_t *preset, gb_error_t *err)
{
    for (int i = 0; i < preset->n_ccmap; i++) {
        const gb_preset_ccmap_t *m = &preset->ccmap[i];
        int32_t h = -1;
        for (int ui = 0; ui < U_COUNT && h < 0; ui++)
            if (e->u[ui].d && strcmp(e->u[ui].slot, m->slot) == 0 &&
                gb_engine_param_index(e->u[ui].d, m->param) >= 0)
                h = HANDLE(ui, m->param);
        if (h < 0)
            return gb_error_set(err, GB_EINVAL,
                                "midi_map: CC %d targets an unknown parameter of '%.*s'", m->cc,
                                GB_SLOT_NAME_MAX, m->slot);
        e->ccmap[e->n_ccmap] = *m;
        e->cc_handle[e->n_ccmap++] = h;
    }
    return GB_OK;
}

/* Every handle, for enumeration (OSC schema, docs). */
static int list_handles(gb_engine_t *e, gb_error_t *err)
{
    int n = 0;
    for (int ui = 0; ui < U_COUNT; ui++)
        n += e->u[ui].d ? (int)e->u[ui].d->n_params : 0;
    e->handles = calloc(n ? n : 1, sizeof *e->handles);
    if (!e->handles)
        return gb_error_set(err, GB_ENOMEM, "out of memory");
    for (int ui = 0; ui < U_COUNT; ui++)
        for (uint32_t p = 0; e->u[ui].d && p < e->u[ui].d->n_params; p++)
            e->handles[e->n_handles++] = HANDLE(ui, e->u[ui].d->params[p].id);
    return GB_OK;
}

gb_engine_t *gb_engine_new(const gb_preset_t *preset, const gb_engine_config_t *cfg,
                           gb_error_t *err)
{
    gb_error_t local = {0};
    if (!err)
        err = &local;
    gb_engine_config_t c = cfg ? *cfg : gb_engine_config_default();
    if (check_config(&c, preset, err) < 0)
        return NULL;
    gb_engine_t *e = calloc(1, sizeof *e);
    if (!e) {
        gb_error_set(err, GB_ENOMEM, "out of memory for the engine");
        return NULL;
    }
    e->cfg = c;
    e->voices_now = -1;
    static atomic_uint_fast64_t serials;
    e->serial = atomic_fetch_add(&serials, 1) + 1;
    if (alloc_buffers(e, err) < 0 || open_units(e, preset, err) < 0 ||
        map_ccs(e, preset, err) < 0 || list_handles(e, err) < 0) {
        gb_engine_free(e);
        return NULL;
    }
    e->tr.sample_rate = c.sample_rate;
    e->tr.tempo_bpm = preset->tempo_bpm > 0 ? preset->tempo_bpm : 120.0;
    e->tr.beats_per_bar = preset->beats_per_bar > 0 ? (uint32_t)preset->beats_per_bar : 4;
    e->tr.beat_unit = preset->beat_unit > 0 ? (uint32_t)preset->beat_unit : 4;
    e->tr.playing = 1;
    e->learn_handle = -1;
    gb_engine_latency_changed(e); /* the activated latencies are the starting point */
    return e;
}

void gb_engine_free(gb_engine_t *e)
{
    if (!e)
        return;
    for (int ui = 0; ui < U_MASTER; ui++)
        gb_engine_unit_close(e, ui);
    gb_engine_log_flush(e);
    gb_ring_free(e->log_ring);
    for (int i = 0; i < 4; i++)
        free(e->buf[i]);
    free(e->ev_a);
    free(e->ev_b);
    free(e->scratch);
    free(e->gen);
    free(e->handles);
    free(e);
}

/* ---- parameters ------------------------------------------------------------------------- */

int32_t gb_engine_param_find(const gb_engine_t *e, const char *path)
{
    const char *slash = path ? strchr(path, '/') : NULL;
    if (!slash)
        return GB_EINVAL;
    size_t sl = (size_t)(slash - path);
    for (int ui = 0; ui < U_COUNT; ui++) {
        const eng_unit_t *u = &e->u[ui];
        if (!u->d || strlen(u->slot) != sl || strncmp(u->slot, path, sl) != 0)
            continue;
        for (uint32_t p = 0; p < u->d->n_params; p++)
            if (strcmp(u->d->params[p].name, slash + 1) == 0)
                return HANDLE(ui, u->d->params[p].id);
    }
    return GB_EINVAL;
}

static const eng_unit_t *handle_unit(const gb_engine_t *e, int32_t h, int *pi) GB_RT
{
    if (h < 0 || (h >> 16) >= U_COUNT)
        return NULL;
    const eng_unit_t *u = &e->u[h >> 16];
    if (!u->d)
        return NULL;
    *pi = gb_engine_param_index(u->d, (uint32_t)h & 0xffffu);
    return *pi >= 0 ? u : NULL;
}

int gb_engine_param_info(const gb_engine_t *e, int32_t handle, const char **slot,
                         const gbp_param_info_t **info)
{
    int pi;
    const eng_unit_t *u = handle_unit(e, handle, &pi);
    if (!u)
        return GB_EINVAL;
    if (slot)
        *slot = u->slot;
    if (info)
        *info = &u->d->params[pi];
    return GB_OK;
}

int gb_engine_param_count(const gb_engine_t *e) { return e->n_handles; }

int32_t gb_engine_param_handle(const gb_engine_t *e, int i)
{
    return i >= 0 && i < e->n_handles ? e->handles[i] : GB_EINVAL;
}

float gb_engine_param_get(const gb_engine_t *e, int32_t handle) GB_RT
{
    int pi;
    const eng_unit_t *u = handle_unit(e, handle, &pi);
    if (!u)
        return 0.0f;
    float v;
    __atomic_load(&u->pv[pi], &v, __ATOMIC_RELAXED);
    return v;
}

const gbp_transport_t *gb_engine_transport(const gb_engine_t *e) GB_RT { return &e->tr; }

static void transport_at(const gb_engine_t *e, uint64_t frame, gbp_transport_t *t) GB_RT
{
    *t = e->tr;
    t->frame = frame;
    t->beat = e->anchor_beat +
              (double)(frame - e->anchor_frame) * e->tr.tempo_bpm / (60.0 * e->tr.sample_rate);
}

double gb_engine_beat(const gb_engine_t *e) GB_RT
{
    gbp_transport_t t;
    transport_at(e, e->tr.frame, &t);
    return t.beat;
}

void gb_engine_set_tempo(gb_engine_t *e, double bpm) GB_RT
{
    if (!(bpm >= 20.0 && bpm <= 300.0))
        return;
    gbp_transport_t now;
    transport_at(e, e->tr.frame, &now);
    e->anchor_beat = now.beat;
    e->anchor_frame = e->tr.frame;
    e->tr.tempo_bpm = bpm;
}

/* ---- processing ------------------------------------------------------------------------- */

/* Does event ev concern unit ui? Parameter events carry their target in the handle; the note
 * path (notes, CCs, bend, pressure, all-off) goes to note sources and the instrument. */
static int relevant(const gbp_event_t *ev, int ui) GB_RT
{
    if (ev->type == GBP_EV_PARAM)
        return (int)(ev->id >> 16) == ui;
    return ui < U_FX0;
}

static void note_param(gb_engine_t *e, int ui, const gbp_event_t *ev) GB_RT
{
    eng_unit_t *u = &e->u[ui];
    int pi = gb_engine_param_index(u->d, ev->id & 0xffffu);
    if (pi < 0)
        return;
    const gbp_param_info_t *p = &u->d->params[pi];
    float v = isfinite(ev->value) ? ev->value : p->def;
    v = v < p->min ? p->min : v > p->max ? p->max : v;
    __atomic_store(&u->pv[pi], &v, __ATOMIC_RELAXED);
}

/* A note source's report of one of its READONLY parameters (ids of writable parameters, and
 * unknown ids, are ignored: a source cannot steer its own controls this way). */
static void report(gb_engine_t *e, int ui, const gbp_event_t *ev) GB_RT
{
    eng_unit_t *u = &e->u[ui];
    int pi = gb_engine_param_index(u->d, ev->id);
    if (pi < 0 || !(u->d->params[pi].flags & GBP_PARAM_READONLY) || !isfinite(ev->value))
        return;
    float v = ev->value;
    __atomic_store(&u->pv[pi], &v, __ATOMIC_RELAXED);
    if (e->n_reports < GB_ENGINE_MAX_REPORTS) {
        e->report_handle[e->n_reports] = HANDLE(ui, ev->id);
        e->report_value[e->n_reports] = v;
        e->report_offset[e->n_reports++] = ev->time;
    }
}

/* Run unit ui over [0, frames), split at the offsets of the events that concern it; those
 * events are handed over at time 0 of their sub-block. A note source's output is appended
 * to out (times made block-relative). */
static void run_unit(gb_engine_t *e, int ui, const gbp_event_t *ev, uint32_t n, uint32_t frames,
                     const float *const *in, float *const *out, gbp_event_t *gen,
                     uint32_t *n_gen) GB_RT
{
    eng_unit_t *u = &e->u[ui];
    uint32_t i = 0, t0 = 0;
    do {
        uint32_t k = 0;
        for (; i < n && ev[i].time <= t0; i++) {
            if (!relevant(&ev[i], ui))
                continue;
            gbp_event_t x = ev[i];
            x.time = 0;
            if (x.type == GBP_EV_PARAM) {
                x.id &= 0xffffu;
                note_param(e, ui, &x);
            }
            e->scratch[k++] = x;
        }
        uint32_t t1 = frames;
        for (uint32_t j = i; j < n; j++)
            if (relevant(&ev[j], ui)) {
                t1 = ev[j].time < frames ? ev[j].time : frames;
                break;
            }
        const float *ins[2] = {in ? in[0] + t0 : NULL, in ? in[1] + t0 : NULL};
        float *outs[2] = {out ? out[0] + t0 : NULL, out ? out[1] + t0 : NULL};
        uint32_t produced = 0;
        gbp_transport_t tr;
        transport_at(e, e->tr.frame + t0, &tr);
        gbp_process_t p = {
            .frames = t1 - t0,
            .events = e->scratch,
            .n_events = k,
            .audio_in = in ? ins : NULL,
            .audio_out = out ? outs : NULL,
            .events_out = gen ? gen + *n_gen : NULL,
            .events_out_capacity = gen ? GB_ENGINE_MAX_EVENTS - *n_gen : 0,
            .n_events_out = gen ? &produced : NULL,
            .transport = &tr,
        };
        u->d->process(u->self, &p);
        if (gen) {
            if (produced > p.events_out_capacity)
                produced = p.events_out_capacity;
            uint32_t kept = 0;
            for (uint32_t g = 0; g < produced; g++) {
                gbp_event_t x = gen[*n_gen + g];
                x.time = t0 + (x.time < t1 - t0 ? x.time : (t1 > t0 ? t1 - t0 - 1 : 0));
                if (x.type == GBP_EV_PARAM && x.id <= 0xffffu) {
                    report(e, ui, &x); /* a value the source reports about itself */
                    continue;
                }
                gen[*n_gen + kept++] = x;
            }
            *n_gen += kept;
        }
        t0 = t1;
    } while (t0 < frames);
    gb_engine_unit_after_process(e, ui);
}

/* Sorted merge of a note source's output (note path) with the events of the list that it
 * does not consume (parameters of other units). Result in dst. */
static uint32_t merge_after_source(const gbp_event_t *in, uint32_t n_in, int ui,
                                   const gbp_event_t *gen, uint32_t n_gen, gbp_event_t *dst)
    GB_RT
{
    uint32_t a = 0, b = 0, m = 0;
    while (m < GB_ENGINE_MAX_EVENTS && (a < n_in || b < n_gen)) {
        while (a < n_in && (in[a].type != GBP_EV_PARAM || (int)(in[a].id >> 16) == ui))
            a++; /* consumed by the source */
        if (a >= n_in && b >= n_gen)
            break;
        if (b >= n_gen || (a < n_in && in[a].time <= gen[b].time))
            dst[m++] = in[a++];
        else
            dst[m++] = gen[b++];
    }
    return m;
}

/* Copy the input, map CCs through the CC map, force times into order and range. */
static uint32_t prepare_events(gb_engine_t *e, const gbp_event_t *events, uint32_t n,
                               uint32_t frames, gbp_event_t *dst) GB_RT
{
    uint32_t m = 0, last = 0;
    for (uint32_t i = 0; i < n && m < GB_ENGINE_MAX_EVENTS; i++) {
        gbp_event_t x = events[i];
        uint32_t t = x.time < frames ? x.time : (frames ? frames - 1 : 0);
        x.time = t < last ? last : t;
        last = x.time;
        if (x.type == GBP_EV_CC && e->learn_handle >= 0) {
            int pi;
            const eng_unit_t *lu = handle_unit(e, e->learn_handle, &pi);
            if (lu) {
                const gbp_param_info_t *p = &lu->d->params[pi];
                if (gb_engine_map_cc(e, (uint8_t)x.id, x.channel, e->learn_handle, p->min,
                                     p->max) == GB_OK) {
                    e->learned = 1;
                    e->learned_cc = (uint8_t)x.id;
                    e->learned_ch = x.channel;
                    e->learned_to = e->learn_handle;
                }
            }
            e->learn_handle = -1;
        }
        if (x.type == GBP_EV_CC) {
            int mapped = 0;
            for (int c = 0; c < e->n_ccmap && m < GB_ENGINE_MAX_EVENTS; c++) {
                const gb_preset_ccmap_t *cm = &e->ccmap[c];
                if (cm->cc != x.id || (cm->channel != 255 && cm->channel != x.channel))
                    continue;
                gbp_event_t pe = x;
                pe.type = GBP_EV_PARAM;
                pe.id = (uint32_t)e->cc_handle[c];
                pe.value = cm->min + (cm->max - cm->min) * x.value;
                dst[m++] = pe;
                mapped = 1;
                if (e->n_changes < GB_ENGINE_MAX_CHANGES) {
                    e->change_handle[e->n_changes] = e->cc_handle[c];
                    e->change_value[e->n_changes++] = pe.value;
                }
            }
            if (mapped)
                continue;
        }
        if (x.type == GBP_EV_PARAM && (x.id >> 16) >= U_COUNT)
            continue;
        dst[m++] = x;
    }
    return m;
}

/* While units run on this thread, their host->log calls from it are queued (gb_engine_unit.c). */
static void enter_audio(gb_engine_t *e) GB_RT
{
    __atomic_store_n(&e->audio_thread, pthread_self(), __ATOMIC_RELAXED);
    __atomic_store_n(&e->in_process, 1, __ATOMIC_RELEASE);
}

static void leave_audio(gb_engine_t *e) GB_RT
{
    __atomic_store_n(&e->in_process, 0, __ATOMIC_RELEASE);
}

/* Charge unit ui with the time since t; the time now. */
static uint64_t charge(gb_engine_t *e, int ui, uint64_t t) GB_RT
{
    const uint64_t now = gb_rt_mono_ns();
    e->unit_ns[ui] += now - t;
    return now;
}

void gb_engine_process(gb_engine_t *e, const gbp_event_t *events, uint32_t n_events,
                       float *out_l, float *out_r, uint32_t frames) GB_RT
{
    enter_audio(e);
    gb_denormals_off();
    frames = frames < e->cfg.max_block ? frames : e->cfg.max_block;
    e->n_changes = 0;
    e->n_reports = 0;
    gbp_event_t *cur = e->ev_a, *next = e->ev_b;
    uint32_t n = prepare_events(e, events, n_events, frames, cur);

    /* Note sources, in order; each sees what the previous one produced. */
    e->n_gen = 0;
    uint64_t clk = gb_rt_mono_ns(); /* one clock read per unit: see gb_rt_clock.h */
    for (int s = 0; s < e->n_sources; s++) {
        uint32_t produced = 0;
        gbp_event_t *gen = e->gen; /* reuse as the source's output buffer */
        run_unit(e, U_SRC0 + s, cur, n, frames, NULL, NULL, gen, &produced);
        clk = charge(e, U_SRC0 + s, clk);
        n = merge_after_source(cur, n, U_SRC0 + s, gen, produced, next);
        gbp_event_t *t = cur;
        cur = next;
        next = t;
    }
    /* What the models made: everything not from the performer, after the last source. */
    e->n_gen = 0;
    for (uint32_t i = 0; i < n && e->n_sources; i++)
        if (cur[i].source != GBP_SOURCE_HUMAN && cur[i].type != GBP_EV_PARAM)
            e->gen[e->n_gen++] = cur[i];

    float *a[2] = {e->buf[0], e->buf[1]}, *b[2] = {e->buf[2], e->buf[3]};
    const float *ins[2] = {e->input, e->input}; /* mono input, the same in both channels */
    clk = gb_rt_mono_ns(); /* the generated-events copy above is the host's, not a unit's */
    run_unit(e, U_INSTR, cur, n, frames, e->input ? ins : NULL, a, NULL, NULL);
    clk = charge(e, U_INSTR, clk);
    e->input = NULL;
    for (int f = 0; f < e->n_effects; f++) {
        run_unit(e, U_FX0 + f, cur, n, frames, (const float *const *)a, b, NULL, NULL);
        clk = charge(e, U_FX0 + f, clk);
        float *t0 = a[0], *t1 = a[1];
        a[0] = b[0];
        a[1] = b[1];
        b[0] = t0;
        b[1] = t1;
    }
    /* Master gain, smoothed per sample (split-invariant one-pole); its parameter events
     * take effect on their own frames. */
    float target = (float)pow(10.0, e->master_pv[GB_MASTER_GAIN_DB] / 20.0);
    float g = e->master_g;
    uint32_t ei = 0;
    for (uint32_t i = 0; i < frames; i++) {
        for (; ei < n && cur[ei].time <= i; ei++)
            if (cur[ei].type == GBP_EV_PARAM && (int)(cur[ei].id >> 16) == U_MASTER) {
                note_param(e, U_MASTER, &cur[ei]);
                target = (float)pow(10.0, e->master_pv[GB_MASTER_GAIN_DB] / 20.0);
            }
        g += (target - g) * e->master_coef;
        out_l[i] = a[0][i] * g;
        out_r[i] = a[1][i] * g;
    }
    e->master_g = g;
    e->tr.frame += frames;
    if (e->external_tr) { /* continue the internal clock from the external position */
        e->anchor_frame = e->tr.frame;
        e->anchor_beat = e->tr.beat + frames * e->tr.tempo_bpm / (60.0 * e->tr.sample_rate);
    }
    leave_audio(e);
}

void gb_engine_set_input(gb_engine_t *e, const float *in) GB_RT { e->input = in; }

const gbp_event_t *gb_engine_generated(const gb_engine_t *e, uint32_t *n) GB_RT
{
    *n = e->n_gen;
    return e->gen;
}

void gb_engine_reset(gb_engine_t *e) GB_RT
{
    enter_audio(e);
    for (int ui = 0; ui < U_MASTER; ui++)
        if (e->u[ui].active && e->u[ui].d->reset)
            e->u[ui].d->reset(e->u[ui].self);
    leave_audio(e);
    e->tr.frame = 0;
    e->anchor_beat = 0.0;
    e->anchor_frame = 0;
    e->master_g = (float)pow(10.0, e->master_pv[GB_MASTER_GAIN_DB] / 20.0);
}

/* ---- live control ----------------------------------------------------------------------- */

void gb_engine_learn(gb_engine_t *e, int32_t handle) GB_RT
{
    int pi;
    e->learn_handle = (handle >= 0 && handle_unit(e, handle, &pi)) ? handle : -1;
}

int gb_engine_learned(gb_engine_t *e, uint8_t *cc, uint8_t *channel, int32_t *handle) GB_RT
{
    if (!e->learned)
        return 0;
    e->learned = 0;
    *cc = e->learned_cc;
    *channel = e->learned_ch;
    *handle = e->learned_to;
    return 1;
}

int gb_engine_map_cc(gb_engine_t *e, uint8_t cc, uint8_t channel, int32_t handle, float min,
                     float max) GB_RT
{
    int pi;
    if (cc > 127 || !handle_unit(e, handle, &pi) || !isfinite(min) || !isfinite(max))
        return GB_EINVAL;
    int slot = e->n_ccmap;
    for (int i = 0; i < e->n_ccmap; i++)
        if (e->ccmap[i].cc == cc && e->ccmap[i].channel == channel)
            slot = i;
    if (slot >= GB_PRESET_MAX_CCMAP)
        return GB_ERANGE;
    gb_preset_ccmap_t *m = &e->ccmap[slot];
    m->cc = cc;
    m->channel = channel;
    memcpy(m->slot, e->u[handle >> 16].slot, sizeof m->slot);
    m->param = (uint32_t)handle & 0xffffu;
    m->min = min;
    m->max = max;
    e->cc_handle[slot] = handle;
    if (slot == e->n_ccmap)
        e->n_ccmap++;
    return GB_OK;
}

int gb_engine_param_changes(const gb_engine_t *e, const int32_t **handles, const float **values)
    GB_RT
{
    *handles = e->change_handle;
    *values = e->change_value;
    return e->n_changes;
}

int gb_engine_reports(const gb_engine_t *e, const int32_t **handles, const float **values,
                      const uint32_t **offsets) GB_RT
{
    *handles = e->report_handle;
    *values = e->report_value;
    *offsets = e->report_offset;
    return e->n_reports;
}

void gb_engine_follow_transport(gb_engine_t *e, const gbp_transport_t *tr) GB_RT
{
    if (!tr) {
        e->external_tr = 0;
        return;
    }
    e->external_tr = 1;
    if (tr->tempo_bpm >= 1.0 && tr->tempo_bpm <= 999.0)
        e->tr.tempo_bpm = tr->tempo_bpm;
    e->tr.beats_per_bar = tr->beats_per_bar ? tr->beats_per_bar : e->tr.beats_per_bar;
    e->tr.beat_unit = tr->beat_unit ? tr->beat_unit : e->tr.beat_unit;
    e->anchor_frame = e->tr.frame;
    e->anchor_beat = tr->beat;
    e->tr.beat = tr->beat;
    e->tr.playing = tr->playing;
}

int gb_engine_unit_save_state(const gb_engine_t *e, const char *slot, char *buf, size_t cap)
{
    for (int ui = 0; ui < U_MASTER; ui++) {
        const eng_unit_t *u = &e->u[ui];
        if (!u->d || !u->self || strcmp(u->slot, slot) != 0)
            continue;
        if (!u->d->save_state) {
            if (buf && cap)
                buf[0] = '\0';
            return 0;
        }
        return u->d->save_state(u->self, buf, cap);
    }
    return GB_EINVAL;
}

char *gb_engine_unit_state_dup(const gb_engine_t *e, const char *slot)
{
    int need = gb_engine_unit_save_state(e, slot, NULL, 0);
    for (int attempt = 0; need > 0 && attempt < 8; attempt++) {
        const size_t cap = (size_t)need + (size_t)need / 4 + 256; /* room to grow meanwhile */
        char *buf = malloc(cap);
        if (!buf)
            return NULL;
        const int got = gb_engine_unit_save_state(e, slot, buf, cap);
        if (got > 0 && (size_t)got < cap)
            return buf;
        free(buf);
        need = got;
    }
    return NULL;
}

int gb_engine_unit_load_state(gb_engine_t *e, const char *slot, const char *json, char *err,
                              size_t errcap)
{
    for (int ui = 0; ui < U_MASTER; ui++) {
        eng_unit_t *u = &e->u[ui];
        if (!u->d || !u->self || strcmp(u->slot, slot) != 0)
            continue;
        if (!u->d->load_state) {
            snprintf(err, errcap, "%s (%s) keeps no state", slot, u->d->id);
            return GB_EINVAL;
        }
        if (!(u->d->flags & GBP_UNIT_THREAD_SAFE_STATE)) {
            snprintf(err, errcap, "%s (%s) cannot take new state while it plays (load it "
                     "with the preset)", slot, u->d->id);
            return GB_EINVAL;
        }
        return u->d->load_state(u->self, json, err, errcap);
    }
    snprintf(err, errcap, "no unit named '%s' in the rack", slot);
    return GB_EINVAL;
}

gb_engine_t *gb_engine_build(const gb_preset_t *preset, double sample_rate, uint32_t block,
                              uint32_t seed, gb_error_t *err)
{
    gb_engine_config_t ec = gb_engine_config_default();
    ec.sample_rate = sample_rate;
    ec.max_block = block;
    ec.seed = seed;
    gb_error_t eerr = {0};
    gb_engine_t *e = gb_engine_new(preset, &ec, &eerr);
    if (!e)
        gb_error_set(err, eerr.code ? eerr.code : GB_EINVAL, "%s: cannot build the engine: %s",
                     preset->path ? preset->path : preset->name, eerr.msg);
    return e;
}
