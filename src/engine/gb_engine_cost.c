/* gb_engine_cost.c — each unit's cost as gb_engine_process() measured it (see gb_engine.h):
 * the units in rack order, their names, and the hand-over of their times.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_engine.h"
#include "gb_engine_priv.h"

uint64_t gb_engine_serial(const gb_engine_t *e) GB_RT
{
    return e ? e->serial : 0;
}

int gb_engine_unit_count(const gb_engine_t *e) GB_RT
{
    return e ? e->n_sources + 1 + e->n_effects : 0;
}

/* Rack index of the i-th unit in rack order. */
static int rack_index(const gb_engine_t *e, int i) GB_RT
{
    if (i < e->n_sources)
        return U_SRC0 + i;
    return i == e->n_sources ? U_INSTR : U_FX0 + (i - e->n_sources - 1);
}

int gb_engine_unit_name(const gb_engine_t *e, int i, const char **slot, const char **id)
{
    if (!e || i < 0 || i >= gb_engine_unit_count(e))
        return GB_EINVAL;
    const eng_unit_t *u = &e->u[rack_index(e, i)];
    *slot = u->slot;
    *id = u->d ? u->d->id : "";
    return GB_OK;
}

int gb_engine_take_unit_ns(gb_engine_t *e, uint32_t *ns, int cap) GB_RT
{
    const int n = gb_engine_unit_count(e) < cap ? gb_engine_unit_count(e) : cap;
    for (int i = 0; i < n; i++) {
        uint64_t *t = &e->unit_ns[rack_index(e, i)];
        ns[i] = *t < UINT32_MAX ? (uint32_t)*t : UINT32_MAX;
        *t = 0;
    }
    return n;
}
