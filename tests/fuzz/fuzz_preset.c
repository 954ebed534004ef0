/* fuzz_preset.c — libFuzzer target for the preset parser: any byte string given to
 * gb_preset_parse() must give a preset that keeps every promise of gb_preset.h (units of the
 * right kind, parameter values inside their ranges, unique slots, MIDI mappings that point at
 * real parameters, the master section) and survives a save/load round trip unchanged — or a
 * clean error whose message starts with the origin. Never a crash, a leak or undefined behaviour.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Built with -fsanitize=fuzzer when GBAC_FUZZ=ON (clang), and in every build linked with
 * replay.c, which runs it over the committed corpus (tests/fuzz/corpus/preset/). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gb_preset.h"
#include "gb_unit_registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_unit(const gb_preset_unit_t *u, gbp_kind_t kind)
{
    if (!u->desc || u->desc->kind != kind || !u->slot[0] ||
        strnlen(u->slot, GB_SLOT_NAME_MAX) >= GB_SLOT_NAME_MAX || u->n_params < 0 ||
        u->n_params > GB_PRESET_MAX_PARAMS)
        abort();
    for (int i = 0; i < u->n_params; i++) {
        const gbp_param_info_t *pi = gb_unit_param_by_id(u->desc, u->params[i].id);
        float v = u->params[i].value;
        if (!pi || (pi->flags & GBP_PARAM_READONLY) || !(v >= pi->min && v <= pi->max) ||
            ((pi->flags & GBP_PARAM_STEPPED) && v != floorf(v)))
            abort();
    }
    if (u->state_json && (u->state_json[0] != '{' || !u->desc->load_state))
        abort();
}

static const gb_preset_unit_t *slot_unit(const gb_preset_t *p, const char *slot)
{
    const gb_preset_unit_t *found = NULL;
    int n = 0;
    for (int i = 0; i < p->n_sources; i++)
        if (strcmp(p->sources[i].slot, slot) == 0)
            found = &p->sources[i], n++;
    if (strcmp(p->instrument.slot, slot) == 0)
        found = &p->instrument, n++;
    for (int i = 0; i < p->n_effects; i++)
        if (strcmp(p->effects[i].slot, slot) == 0)
            found = &p->effects[i], n++;
    if (strcmp(p->master.slot, slot) == 0)
        found = &p->master, n++;
    if (n > 1) /* slots are unique */
        abort();
    return found;
}

static void check_preset(const gb_preset_t *p)
{
    if (!(p->tempo_bpm >= 20 && p->tempo_bpm <= 300) || p->polyphony < 1 || p->polyphony > 64 ||
        p->beats_per_bar < 1 || p->beats_per_bar > 32 || p->n_sources < 0 ||
        p->n_sources > GB_PRESET_MAX_SOURCES || p->n_effects < 0 ||
        p->n_effects > GB_PRESET_MAX_EFFECTS || p->n_ccmap < 0 || p->n_ccmap > GB_PRESET_MAX_CCMAP)
        abort();
    if (p->beat_unit != 1 && p->beat_unit != 2 && p->beat_unit != 4 && p->beat_unit != 8 &&
        p->beat_unit != 16)
        abort();
    for (int i = 0; i < p->n_sources; i++)
        check_unit(&p->sources[i], GBP_KIND_NOTE_SOURCE);
    check_unit(&p->instrument, GBP_KIND_INSTRUMENT);
    for (int i = 0; i < p->n_effects; i++)
        check_unit(&p->effects[i], GBP_KIND_EFFECT);
    if (p->master.desc != &gb_master_desc || strcmp(p->master.slot, GB_MASTER_SLOT) != 0)
        abort();
    check_unit(&p->master, GBP_KIND_EFFECT);
    for (int i = 0; i < p->n_sources; i++)
        slot_unit(p, p->sources[i].slot);
    slot_unit(p, p->instrument.slot);
    for (int i = 0; i < p->n_effects; i++)
        slot_unit(p, p->effects[i].slot);
    for (int i = 0; i < p->n_ccmap; i++) {
        const gb_preset_ccmap_t *m = &p->ccmap[i];
        const gb_preset_unit_t *u = slot_unit(p, m->slot);
        const gbp_param_info_t *pi = u ? gb_unit_param_by_id(u->desc, m->param) : NULL;
        if (m->cc > 127 || (m->channel > 15 && m->channel != 255) || !pi ||
            (pi->flags & GBP_PARAM_READONLY) || !(m->min >= pi->min && m->min <= pi->max) ||
            !(m->max >= pi->min && m->max <= pi->max))
            abort();
    }
}

static int same_unit(const gb_preset_unit_t *a, const gb_preset_unit_t *b)
{
    if (strcmp(a->slot, b->slot) || a->desc != b->desc || a->n_params != b->n_params ||
        !a->state_json != !b->state_json || (a->state_json && strcmp(a->state_json, b->state_json)))
        return 0;
    for (int i = 0; i < a->n_params; i++)
        if (a->params[i].id != b->params[i].id || a->params[i].value != b->params[i].value)
            return 0;
    return 1;
}

static int same_preset(const gb_preset_t *a, const gb_preset_t *b)
{
    if (strcmp(a->name, b->name) || !a->description != !b->description ||
        (a->description && strcmp(a->description, b->description)) ||
        a->tempo_bpm != b->tempo_bpm || a->beats_per_bar != b->beats_per_bar ||
        a->beat_unit != b->beat_unit || a->polyphony != b->polyphony ||
        a->n_sources != b->n_sources || a->n_effects != b->n_effects || a->n_ccmap != b->n_ccmap ||
        !same_unit(&a->instrument, &b->instrument) || !same_unit(&a->master, &b->master))
        return 0;
    for (int i = 0; i < a->n_sources; i++)
        if (!same_unit(&a->sources[i], &b->sources[i]))
            return 0;
    for (int i = 0; i < a->n_effects; i++)
        if (!same_unit(&a->effects[i], &b->effects[i]))
            return 0;
    for (int i = 0; i < a->n_ccmap; i++) {
        const gb_preset_ccmap_t *m = &a->ccmap[i], *n = &b->ccmap[i];
        if (m->cc != n->cc || m->channel != n->channel || strcmp(m->slot, n->slot) ||
            m->param != n->param || m->min != n->min || m->max != n->max)
            return 0;
    }
    return 1;
}

/* Save what was parsed and load it back: it must be the same preset. */
static void round_trip(const gb_preset_t *p, const gb_unit_registry_t *reg)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/gbac-fuzz-preset-%ld.json", (long)getpid());
    gb_error_t err = {0};
    if (gb_preset_save(p, path, &err) < 0)
        abort();
    gb_preset_t *q = gb_preset_load(path, reg, &err);
    unlink(path);
    if (!q || !same_preset(p, q))
        abort();
    gb_preset_free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gb_unit_registry_t *reg;
    if (!reg && !(reg = gb_unit_registry_new(NULL)))
        abort();
    gb_error_t err = {0};
    gb_preset_t *p = gb_preset_parse((const char *)data, size, "fuzz", reg, &err);
    if (!p) {
        /* A broken error contract is a bug too: "fuzz: ..." or "fuzz:LINE:COL: ...". */
        if (err.code >= 0 || strncmp(err.msg, "fuzz:", 5) != 0)
            abort();
        return 0;
    }
    check_preset(p);
    round_trip(p, reg);
    gb_preset_free(p);
    return 0;
}
