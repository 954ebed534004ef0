/* gb_lv2_desc.c — an LV2 plugin's ports read once into a gbac unit descriptor: the kind from
 * its audio and atom ports, a parameter per control port (input: settable; output:
 * read-only), named by the port symbol in lower case.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gb_lv2_priv.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct port_count {
    int audio_in, audio_out, midi_in, midi_out, other_required;
} port_count_t;

static int atom_supports(gb_lv2_world_t *w, const LilvPlugin *p, const LilvPort *port,
                         const LilvNode *what)
{
    (void)w;
    return lilv_port_supports_event(p, port, what);
}

static port_count_t count_ports(gb_lv2_world_t *w, const LilvPlugin *p)
{
    port_count_t c = {0};
    for (uint32_t i = 0; i < lilv_plugin_get_num_ports(p); i++) {
        const LilvPort *port = lilv_plugin_get_port_by_index(p, i);
        const int in = lilv_port_is_a(p, port, w->n_input);
        if (lilv_port_is_a(p, port, w->n_audio))
            in ? c.audio_in++ : c.audio_out++;
        else if (lilv_port_is_a(p, port, w->n_atom)) {
            if (atom_supports(w, p, port, w->n_midi_event))
                in ? c.midi_in++ : c.midi_out++;
        } else if (!lilv_port_is_a(p, port, w->n_control) &&
                   !lilv_port_has_property(p, port, w->n_connection_optional))
            c.other_required++;
    }
    return c;
}

gbp_kind_t gb_lv2_kind(const LilvPlugin *p, const char **why)
{
    gb_lv2_world_t *w = gb_lv2_world();
    port_count_t c = count_ports(w, p);
    *why = NULL;
    if (c.other_required) {
        *why = "it has ports of a type gbac does not host (CV or the old event ports)";
        return 0;
    }
    if (c.audio_in > 2 || c.audio_out > 2) {
        *why = "it has more than 2 audio inputs or outputs (gbac's rack is stereo)";
        return 0;
    }
    if (c.audio_out >= 1 && c.audio_in >= 1)
        return GBP_KIND_EFFECT;
    if (c.audio_out >= 1 && c.midi_in >= 1)
        return GBP_KIND_INSTRUMENT;
    if (c.audio_out == 0 && c.audio_in == 0 && c.midi_in >= 1 && c.midi_out >= 1)
        return GBP_KIND_NOTE_SOURCE;
    *why = "its ports make it no effect (audio in and out), instrument (MIDI in, audio out) "
           "or note source (MIDI in and out)";
    return 0;
}

/* A parameter name from a port symbol: lower case, '_' for anything else, a letter first. */
static char *param_name(const char *sym, const gb_lv2_desc_t *D, uint32_t n)
{
    char b[64];
    size_t o = 0;
    if (!isalpha((unsigned char)sym[0]))
        b[o++] = 'p';
    for (; *sym && o < 40; sym++)
        b[o++] = isalnum((unsigned char)*sym) ? (char)tolower((unsigned char)*sym) : '_';
    b[o] = '\0';
    for (uint32_t i = 0; i < n; i++) /* two symbols differing only by case */
        if (strcmp(D->params[i].name, b) == 0) {
            snprintf(b + o, sizeof b - o, "_%u", n);
            break;
        }
    return strdup(b);
}

static void control_param(gb_lv2_world_t *w, const LilvPlugin *p, const LilvPort *port,
                          gbp_param_info_t *pi, float *def_out)
{
    LilvNode *def, *min, *max;
    lilv_port_get_range(p, port, &def, &min, &max);
    float lo = min ? lilv_node_as_float(min) : 0.0f, hi = max ? lilv_node_as_float(max) : 1.0f;
    float d = def ? lilv_node_as_float(def) : lo;
    lilv_node_free(def);
    lilv_node_free(min);
    lilv_node_free(max);
    if (!isfinite(lo))
        lo = -1e9f;
    if (!isfinite(hi))
        hi = 1e9f;
    if (lilv_port_has_property(p, port, w->n_toggled)) {
        lo = 0.0f;
        hi = 1.0f;
        pi->flags |= GBP_PARAM_STEPPED | GBP_PARAM_NO_SMOOTH;
    } else if (lilv_port_has_property(p, port, w->n_integer) ||
               lilv_port_has_property(p, port, w->n_enum)) {
        lo = ceilf(lo);
        hi = floorf(hi);
        d = roundf(d);
        pi->flags |= GBP_PARAM_STEPPED | GBP_PARAM_NO_SMOOTH;
    }
    if (!(hi > lo))
        hi = lo + 1.0f;
    if (!isfinite(d) || d < lo)
        d = lo;
    if (d > hi)
        d = hi;
    pi->min = lo;
    pi->max = hi;
    pi->def = d;
    *def_out = d;
}

static int read_ports(gb_lv2_world_t *w, const LilvPlugin *p, gb_lv2_desc_t *D)
{
    D->audio_in[0] = D->audio_in[1] = D->audio_out[0] = D->audio_out[1] = -1;
    D->atom_in = D->atom_out = D->latency_port = -1;
    for (uint32_t i = 0; i < D->n_ports; i++) {
        const LilvPort *port = lilv_plugin_get_port_by_index(p, i);
        gb_lv2_port_t *pt = &D->ports[i];
        const int in = lilv_port_is_a(p, port, w->n_input);
        pt->index = i;
        if (lilv_port_is_a(p, port, w->n_audio)) {
            pt->kind = in ? GB_LV2_PORT_AUDIO_IN : GB_LV2_PORT_AUDIO_OUT;
            int *slot = in ? D->audio_in : D->audio_out;
            slot[slot[0] < 0 ? 0 : 1] = (int)i;
        } else if (lilv_port_is_a(p, port, w->n_atom)) {
            pt->kind = in ? GB_LV2_PORT_ATOM_IN : GB_LV2_PORT_ATOM_OUT;
            pt->midi = atom_supports(w, p, port, w->n_midi_event);
            pt->position = in && atom_supports(w, p, port, w->n_position);
            if (in && (D->atom_in < 0 || pt->midi))
                D->atom_in = (int)i;
            if (!in && (D->atom_out < 0 || pt->midi))
                D->atom_out = (int)i;
        } else if (lilv_port_is_a(p, port, w->n_control)) {
            pt->kind = in ? GB_LV2_PORT_CONTROL_IN : GB_LV2_PORT_CONTROL_OUT;
            gbp_param_info_t *pi = &D->params[D->d.n_params];
            pi->id = i;
            if (!in) {
                pi->flags = GBP_PARAM_READONLY;
                if (lilv_port_has_property(p, port, w->n_reports_latency) ||
                    lilv_port_has_property(p, port, w->n_latency))
                    D->latency_port = (int)i;
            }
            control_param(w, p, port, pi, &pt->def);
            if (!in) { /* reports may leave any range: widen it */
                pi->min = -1e9f;
                pi->max = 1e9f;
                pi->def = 0.0f;
            }
            LilvNode *nm = lilv_port_get_name(p, port);
            pi->doc = strdup(nm ? lilv_node_as_string(nm) : "");
            lilv_node_free(nm);
            pi->unit = "";
            if (!(pi->name = param_name(lilv_node_as_string(lilv_port_get_symbol(p, port)), D,
                                        D->d.n_params)) || !pi->doc)
                return GB_ENOMEM;
            D->d.n_params++;
        } else
            pt->kind = GB_LV2_PORT_OTHER;
    }
    gbp_param_info_t *nf = &D->params[D->d.n_params++];
    *nf = (gbp_param_info_t){GB_LV2_PARAM_NONFINITE, GB_LV2_PARAM_NONFINITE_NAME, "", 0.0f,
                             1e9f, 0.0f, 0.0f, GBP_PARAM_READONLY | GBP_PARAM_STEPPED,
                             "blocks whose output held NaN or Inf (muted)"};
    return GB_OK;
}

const gbp_descriptor_t *gb_lv2_desc_build(const LilvPlugin *p, gb_error_t *err)
{
    gb_lv2_world_t *w = gb_lv2_world();
    const char *uri = lilv_node_as_uri(lilv_plugin_get_uri(p)), *why = NULL;
    gbp_kind_t kind = gb_lv2_kind(p, &why);
    if (!kind) {
        gb_error_set(err, GB_EUNSUPPORTED, "LV2 plugin <%s> cannot be hosted: %s", uri, why);
        return NULL;
    }
    gb_lv2_desc_t *D = calloc(1, sizeof *D);
    if (!D)
        goto oom;
    D->plugin = p;
    D->n_ports = lilv_plugin_get_num_ports(p);
    D->ports = calloc(D->n_ports + 1, sizeof *D->ports);
    D->params = calloc(D->n_ports + 1, sizeof *D->params);
    LilvNode *nm = lilv_plugin_get_name(p);
    D->name = strdup(nm ? lilv_node_as_string(nm) : uri);
    lilv_node_free(nm);
    D->uri = strdup(uri);
    D->id = malloc(strlen(uri) + strlen(GB_LV2_PREFIX) + 1);
    if (!D->ports || !D->params || !D->name || !D->uri || !D->id)
        goto oom;
    sprintf(D->id, "%s%s", GB_LV2_PREFIX, uri);
    if (read_ports(w, p, D) < 0)
        goto oom;
    D->has_state = lilv_plugin_has_extension_data(p, w->n_state_iface);
    D->has_worker = lilv_plugin_has_extension_data(p, w->n_worker_iface);
    D->d.abi_version = GBP_ABI_VERSION;
    D->d.struct_size = sizeof(gbp_descriptor_t);
    D->d.id = D->id;
    D->d.name = D->name;
    D->d.vendor = "LV2";
    D->d.version = "";
    D->d.description = D->uri;
    D->d.kind = kind;
    D->d.params = D->params;
    gb_lv2_desc_callbacks(&D->d);
    return &D->d; /* kept for the process's lifetime, like the lilv world */
oom:
    gb_error_set(err, GB_ENOMEM, "LV2 plugin <%s>: out of memory", uri);
    return NULL; /* the partial descriptor leaks once, on out of memory only */
}
