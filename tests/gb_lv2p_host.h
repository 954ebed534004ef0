/* gb_lv2p_host.h — a small LV2 host for the tests of gbac.lv2 (through lilv, as other hosts
 * load it): a URID map, options (sample rate, maxBlockLength), a log that keeps the last
 * messages, atom sequence buffers, and a pitch estimate of recorded audio.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_LV2P_HOST_H
#define GB_LV2P_HOST_H

#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/atom/util.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/log/log.h>
#include <lv2/midi/midi.h>
#include <lv2/options/options.h>
#include <lv2/urid/urid.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_pitch_est.h"

#define GBT_URIS 128
typedef struct gbt_lv2 {
    char *uris[GBT_URIS];
    uint32_t n_uris;
    LV2_URID_Map map;
    LV2_Log_Log log;
    char last_log[4096]; /* the messages since the last clear, joined */
    int32_t max_block;
    float sample_rate;
    LV2_Options_Option opts[3];
    LV2_Feature f_map, f_log, f_opts;
    const LV2_Feature *features[4];
} gbt_lv2_t;

static inline LV2_URID gbt_map(LV2_URID_Map_Handle h, const char *uri)
{
    gbt_lv2_t *t = h;
    for (uint32_t i = 0; i < t->n_uris; i++)
        if (strcmp(t->uris[i], uri) == 0)
            return i + 1;
    if (t->n_uris == GBT_URIS)
        return 0;
    t->uris[t->n_uris++] = strdup(uri);
    return t->n_uris;
}

static inline int gbt_vprintf(LV2_Log_Handle h, LV2_URID type, const char *fmt, va_list ap)
{
    gbt_lv2_t *t = h;
    (void)type;
    size_t used = strlen(t->last_log);
    if (used + 1 < sizeof t->last_log)
        vsnprintf(t->last_log + used, sizeof t->last_log - used, fmt, ap);
    return 0;
}

static inline int gbt_printf(LV2_Log_Handle h, LV2_URID type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = gbt_vprintf(h, type, fmt, ap);
    va_end(ap);
    return r;
}

/** Features: urid:map, log:log, options (sample rate, maxBlockLength). */
static inline void gbt_lv2_init(gbt_lv2_t *t, float sample_rate, int32_t max_block)
{
    memset(t, 0, sizeof *t);
    t->map = (LV2_URID_Map){.handle = t, .map = gbt_map};
    t->log = (LV2_Log_Log){.handle = t, .printf = gbt_printf, .vprintf = gbt_vprintf};
    t->max_block = max_block;
    t->sample_rate = sample_rate;
    const LV2_URID atom_int = gbt_map(t, LV2_ATOM__Int), atom_float = gbt_map(t, LV2_ATOM__Float);
    t->opts[0] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0,
                                      gbt_map(t, LV2_BUF_SIZE__maxBlockLength), sizeof(int32_t),
                                      atom_int, &t->max_block};
    t->opts[1] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0,
                                      gbt_map(t, "http://lv2plug.in/ns/ext/parameters#sampleRate"),
                                      sizeof(float), atom_float, &t->sample_rate};
    t->f_map = (LV2_Feature){LV2_URID__map, &t->map};
    t->f_log = (LV2_Feature){LV2_LOG__log, &t->log};
    t->f_opts = (LV2_Feature){LV2_OPTIONS__options, t->opts};
    t->features[0] = &t->f_map;
    t->features[1] = &t->f_log;
    t->features[2] = &t->f_opts;
    t->features[3] = NULL;
}

static inline void gbt_lv2_free(gbt_lv2_t *t)
{
    for (uint32_t i = 0; i < t->n_uris; i++)
        free(t->uris[i]);
}

/* An atom sequence buffer of cap bytes (8-byte aligned). */
typedef struct gbt_seq {
    union {
        LV2_Atom_Sequence seq;
        uint64_t align;
    } *u;
    uint32_t cap;
} gbt_seq_t;

static inline void gbt_seq_alloc(gbt_seq_t *s, uint32_t cap)
{
    s->u = calloc(1, cap);
    s->cap = cap;
}

/** Empty input sequence. */
static inline void gbt_seq_clear(gbt_seq_t *s, gbt_lv2_t *t)
{
    s->u->seq.atom.type = gbt_map(t, LV2_ATOM__Sequence);
    s->u->seq.atom.size = sizeof(LV2_Atom_Sequence_Body);
    s->u->seq.body.unit = 0;
    s->u->seq.body.pad = 0;
}

/** Output sequence, ready for the plugin to fill (atom.size = capacity). */
static inline void gbt_seq_out(gbt_seq_t *s, gbt_lv2_t *t)
{
    s->u->seq.atom.type = gbt_map(t, LV2_ATOM__Chunk);
    s->u->seq.atom.size = s->cap - (uint32_t)sizeof(LV2_Atom);
}

/** Append an atom (type, body of size bytes) at frame. Returns 0 or -1 when full. */
static inline int gbt_seq_add(gbt_seq_t *s, int64_t frame, LV2_URID type, const void *body,
                              uint32_t size)
{
    LV2_Atom_Sequence *q = &s->u->seq;
    uint32_t need = (uint32_t)sizeof(LV2_Atom_Event) + ((size + 7u) & ~7u);
    if (sizeof(LV2_Atom) + q->atom.size + need > s->cap)
        return -1;
    uint8_t *at = (uint8_t *)(uintptr_t)s->u + sizeof(LV2_Atom) + q->atom.size;
    const LV2_Atom_Event head = {.time.frames = frame, .body = {size, type}};
    memcpy(at, &head, sizeof head);
    memcpy(at + sizeof head, body, size);
    q->atom.size += need;
    return 0;
}

static inline int gbt_seq_midi(gbt_seq_t *s, gbt_lv2_t *t, int64_t frame, uint8_t b0,
                               uint8_t b1, uint8_t b2)
{
    const uint8_t m[3] = {b0, b1, b2};
    return gbt_seq_add(s, frame, gbt_map(t, LV2_MIDI__MidiEvent), m, 3);
}

#endif
