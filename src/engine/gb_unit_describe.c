/* gb_unit_describe.c — a unit's descriptor (and what an instance offers) as JSON, for
 * `gbac preset list --json`, the OSC schema's readers and the test that keeps docs/units.md
 * true; and the host a unit gets when it is created outside an engine.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>

#include "gb_unit_registry.h"

/* A unit created outside an engine never runs process(), so printing is allowed; the effect
 * analysis only sees the GBP_RT type of gbp_host_t.log. */
static void lone_log(const gbp_host_t *host, int level, const char *msg) GB_RT
{
    (void)host;
    (void)level;
    GB_OFF_AUDIO_BEGIN
    fprintf(stderr, "gbac: unit: %s\n", msg ? msg : "(null)");
    GB_OFF_AUDIO_END
}

static const gbp_host_t gb_lone_host = {
    .abi_version = GBP_ABI_VERSION, .host_data = NULL, .log = lone_log, .seed = 1};

const gbp_host_t *gb_unit_lone_host(void) { return &gb_lone_host; }

const char *gb_unit_kind_name(gbp_kind_t k)
{
    switch (k) {
    case GBP_KIND_NOTE_SOURCE: return "note source";
    case GBP_KIND_INSTRUMENT: return "instrument";
    case GBP_KIND_EFFECT: return "effect";
    default: return "?";
    }
}

static json_t *param_json(const gbp_param_info_t *p)
{
    return json_pack("{s:I, s:s, s:s, s:f, s:f, s:f, s:f, s:b, s:b, s:b, s:s}", "id",
                     (json_int_t)p->id, "name", p->name, "unit", p->unit ? p->unit : "", "min",
                     (double)p->min, "max", (double)p->max, "default", (double)p->def,
                     "smoothing_ms", (double)p->smoothing_ms, "stepped",
                     (p->flags & GBP_PARAM_STEPPED) != 0, "no_smooth",
                     (p->flags & GBP_PARAM_NO_SMOOTH) != 0, "read_only",
                     (p->flags & GBP_PARAM_READONLY) != 0, "doc", p->doc ? p->doc : "");
}

/* The extensions an instance offers (asked as the engine asks, after create()). */
static json_t *extensions_json(const gbp_descriptor_t *d)
{
    static const char *const ids[] = {GBP_EXT_LATENCY, GBP_EXT_VOICES, GBP_EXT_POLYPHONY,
                                      GBP_EXT_TIMBRE_LATENT, GBP_EXT_MODEL,
                                      GBP_EXT_NONFINITE};
    json_t *a = json_array();
    void *self = d->get_extension ? d->create(d, gb_unit_lone_host()) : NULL;
    for (size_t i = 0; a && self && i < sizeof ids / sizeof ids[0]; i++)
        if (d->get_extension(self, ids[i]))
            json_array_append_new(a, json_string(ids[i]));
    if (self)
        d->destroy(self);
    return a;
}

json_t *gb_unit_describe(const gbp_descriptor_t *d)
{
    json_t *params = json_array();
    for (uint32_t i = 0; params && i < d->n_params; i++)
        json_array_append_new(params, param_json(&d->params[i]));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:o, s:o}", "id", d->id, "name",
                     d->name ? d->name : "", "vendor", d->vendor ? d->vendor : "", "version",
                     d->version ? d->version : "", "description",
                     d->description ? d->description : "", "kind", gb_unit_kind_name(d->kind), "state",
                     d->load_state != NULL, "thread_safe_state",
                     (d->flags & GBP_UNIT_THREAD_SAFE_STATE) != 0, "extensions",
                     extensions_json(d), "params", params);
}

json_t *gb_unit_registry_describe(const gb_unit_registry_t *reg)
{
    json_t *a = json_array();
    for (int i = 0; a && i < gb_unit_registry_count(reg); i++) {
        json_t *u = gb_unit_describe(gb_unit_registry_get(reg, i));
        if (!u || json_array_append_new(a, u) < 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}
