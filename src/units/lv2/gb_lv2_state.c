/* gb_lv2_state.c — an LV2 unit's state in a preset's "state" object:
 *   {"preset": "NAME"}   a plugin preset (lilv) by label or URI: its control values (those the
 *                        preset's "params" do not set) and its state;
 *   {"lv2_state": TTL}   the plugin's own state (state:interface) as Turtle, as saved.
 * Files the plugin keeps are stored by absolute path (state:mapPath).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gb_lv2_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GB_LV2_STATE_URI "urn:gbac:lv2-state"

static const void *get_port_value(const char *symbol, void *user, uint32_t *size,
                                  uint32_t *type)
{
    gb_lv2_inst_t *I = user;
    const LilvPlugin *p = I->D->plugin;
    LilvNode *sym = lilv_new_string(gb_lv2_world()->world, symbol);
    const LilvPort *port = lilv_plugin_get_port_by_symbol(p, sym);
    lilv_node_free(sym);
    if (!port)
        return NULL;
    const uint32_t i = lilv_port_get_index(p, port);
    if (I->D->ports[i].kind != GB_LV2_PORT_CONTROL_IN)
        return NULL;
    *size = sizeof(float);
    *type = gb_lv2_world()->u.atom_Float;
    return &I->controls[i];
}

static char *state_to_ttl(gb_lv2_inst_t *I, const LilvState *st)
{
    gb_lv2_world_t *w = gb_lv2_world();
    (void)I;
    return lilv_state_to_string(w->world, &w->map, &w->unmap, st, GB_LV2_STATE_URI, NULL);
}

int gb_lv2_state_save(void *self, char *buf, size_t cap)
{
    gb_lv2_inst_t *I = self;
    gb_lv2_world_t *w = gb_lv2_world();
    char *ttl = NULL;
    if (I->inst && I->D->has_state) {
        LilvState *st = lilv_state_new_from_instance(
            I->D->plugin, I->inst, &w->map, NULL, NULL, NULL, NULL, get_port_value, I,
            LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE, I->features);
        if (st) {
            ttl = state_to_ttl(I, st);
            lilv_state_free(st);
        }
    } else if (I->pending_state)
        ttl = strdup(I->pending_state);
    json_t *o = json_object();
    if (ttl)
        json_object_set_new(o, "lv2_state", json_string(ttl));
    lilv_free(ttl);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s)
        return GB_ENOMEM;
    const int n = (int)strlen(s);
    if (cap)
        snprintf(buf, cap, "%s", s);
    free(s);
    return n;
}

/* Restore a state (Turtle): into the instance now, or at activate(). */
int gb_lv2_state_apply(gb_lv2_inst_t *I, const char *ttl, char *err, size_t errcap)
{
    gb_lv2_world_t *w = gb_lv2_world();
    LilvState *st = lilv_state_new_from_string(w->world, &w->map, ttl);
    if (!st) {
        snprintf(err, errcap, "the LV2 state is not valid Turtle for <%s>", I->D->uri);
        return GB_EFORMAT;
    }
    lilv_state_emit_port_values(st, gb_lv2_set_port_value, I);
    if (I->inst)
        lilv_state_restore(st, I->inst, NULL, NULL, 0, I->features);
    lilv_state_free(st);
    return GB_OK;
}

static const LilvNode *find_preset(gb_lv2_world_t *w, const LilvPlugin *p, const char *name,
                                   LilvNodes *presets)
{
    LILV_FOREACH (nodes, i, presets) {
        const LilvNode *pn = lilv_nodes_get(presets, i);
        if (strcmp(lilv_node_as_uri(pn), name) == 0)
            return pn;
        lilv_world_load_resource(w->world, pn);
        LilvNodes *labels = lilv_world_find_nodes(w->world, pn, w->n_label, NULL);
        int hit = labels && lilv_nodes_size(labels) &&
                  strcmp(lilv_node_as_string(lilv_nodes_get_first(labels)), name) == 0;
        lilv_nodes_free(labels);
        if (hit)
            return pn;
    }
    (void)p;
    return NULL;
}

/* A plugin preset by name as Turtle state, or NULL with the message. */
static char *preset_ttl(gb_lv2_inst_t *I, const char *name, char *err, size_t errcap)
{
    gb_lv2_world_t *w = gb_lv2_world();
    LilvNodes *presets = lilv_plugin_get_related(I->D->plugin, w->n_preset);
    const LilvNode *pn = presets ? find_preset(w, I->D->plugin, name, presets) : NULL;
    char *ttl = NULL;
    if (!pn)
        snprintf(err, errcap, "LV2 plugin <%s> has no preset named '%s' (`gbac plugins info` "
                 "lists them)", I->D->uri, name);
    else {
        LilvState *st = lilv_state_new_from_world(w->world, &w->map, pn);
        if (st) {
            char *s = state_to_ttl(I, st);
            ttl = s ? strdup(s) : NULL;
            lilv_free(s);
            lilv_state_free(st);
        }
        if (!ttl)
            snprintf(err, errcap, "LV2 preset '%s' of <%s> could not be read", name, I->D->uri);
    }
    lilv_nodes_free(presets);
    return ttl;
}

int gb_lv2_state_load(void *self, const char *json, char *err, size_t errcap)
{
    gb_lv2_inst_t *I = self;
    json_error_t je;
    json_t *o = json_loads(json, 0, &je);
    if (!json_is_object(o)) {
        json_decref(o);
        snprintf(err, errcap, "state: expected an object");
        return GB_EFORMAT;
    }
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        if ((strcmp(key, "preset") != 0 && strcmp(key, "lv2_state") != 0) || !json_is_string(v)) {
            snprintf(err, errcap,
                     "state: unknown key or not a string: '%.60s' (an LV2 unit's state has "
                     "\"preset\": NAME and \"lv2_state\": TURTLE)", key);
            json_decref(o);
            return GB_EFORMAT;
        }
    }
    int rc = GB_OK;
    char *ttl = NULL;
    json_t *jp = json_object_get(o, "preset"), *js = json_object_get(o, "lv2_state");
    if (jp && !(ttl = preset_ttl(I, json_string_value(jp), err, errcap)))
        rc = GB_EINVAL;
    if (rc == GB_OK && js) {
        free(ttl);
        ttl = strdup(json_string_value(js));
    }
    json_decref(o);
    if (rc == GB_OK && ttl && (rc = gb_lv2_state_apply(I, ttl, err, errcap)) == GB_OK &&
        !I->inst) {
        free(I->pending_state);
        I->pending_state = ttl;
        ttl = NULL;
    }
    free(ttl);
    return rc;
}

int gb_lv2_load_preset(const gbp_descriptor_t *d, void *self, const char *name, gb_error_t *err)
{
    (void)d;
    char e[400];
    char *ttl = preset_ttl(self, name, e, sizeof e);
    if (!ttl)
        return gb_error_set(err, GB_EINVAL, "%s", e);
    int rc = gb_lv2_state_apply(self, ttl, e, sizeof e);
    free(ttl);
    return rc < 0 ? gb_error_set(err, rc, "%s", e) : GB_OK;
}
