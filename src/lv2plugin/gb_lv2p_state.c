/* gb_lv2p_state.c — LV2 state for the wrapped units: the unit's state JSON (latents, model,
 * taste, timbre) under GB_LV2P_STATE_JSON as an atom:String. The model file is kept portable:
 * one inside gbac's data folder is stored relative to it ("models/timbre-vae.safetensors")
 * and found again in the data folder of the machine that restores; one elsewhere is stored
 * as an atom:Path under GB_LV2P_STATE_MODEL through the host's state:mapPath (so a session
 * manager can copy or move it), or absolute when the host has no mapPath. [main]
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <jansson.h>
#include <lv2/atom/atom.h>
#include <lv2/state/state.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gb_lv2p_wrap.h"

static const void *feature(const LV2_Feature *const *features, const char *uri)
{
    for (int i = 0; features && features[i]; i++)
        if (strcmp(features[i]->URI, uri) == 0)
            return features[i]->data;
    return NULL;
}

/* The unit's state JSON, parsed; NULL on failure. */
static json_t *unit_state(gb_lv2p_t *g)
{
    char small[4096], *buf = small;
    int n = g->d->save_state(g->self, small, sizeof small);
    if (n >= (int)sizeof small) {
        buf = malloc((size_t)n + 1);
        if (!buf || g->d->save_state(g->self, buf, (size_t)n + 1) != n) {
            free(buf);
            return NULL;
        }
    }
    json_t *root = n >= 0 ? json_loads(buf, 0, NULL) : NULL;
    if (buf != small)
        free(buf);
    return root;
}

static LV2_State_Status save(LV2_Handle h, LV2_State_Store_Function store,
                             LV2_State_Handle handle, uint32_t flags,
                             const LV2_Feature *const *features)
{
    gb_lv2p_t *g = h;
    (void)flags;
    if (!g->d->save_state)
        return LV2_STATE_SUCCESS;
    json_t *root = unit_state(g);
    if (!root)
        return LV2_STATE_ERR_UNKNOWN;
    const LV2_State_Map_Path *mp = feature(features, LV2_STATE__mapPath);
    const LV2_State_Free_Path *fp = feature(features, LV2_STATE__freePath);
    const char *model = json_string_value(json_object_get(root, "model"));
    const size_t dl = strlen(g->data_dir);
    LV2_State_Status st = LV2_STATE_SUCCESS;
    if (model && dl && strncmp(model, g->data_dir, dl) == 0 && model[dl] == '/') {
        json_object_set_new(root, "model", json_string(model + dl + 1));
    } else if (model && model[0] == '/' && mp) {
        char *abstract = mp->abstract_path(mp->handle, model);
        if (abstract)
            st = store(handle, g->u.state_model, abstract, strlen(abstract) + 1, g->u.atom_Path,
                       LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE);
        if (fp)
            fp->free_path(fp->handle, abstract);
        else
            free(abstract);
        json_object_del(root, "model");
    }
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!text)
        return LV2_STATE_ERR_UNKNOWN;
    if (st == LV2_STATE_SUCCESS)
        st = store(handle, g->u.state_json, text, strlen(text) + 1, g->u.atom_String,
                   LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE);
    free(text);
    return st;
}

/* The model named in a restored state, as a file on this machine: the stored Path through
 * mapPath, a relative name inside gbac's data folder, anything else as given. */
static void model_path(gb_lv2p_t *g, json_t *root, const char *stored,
                       const LV2_State_Map_Path *mp)
{
    char buf[8300];
    if (stored) {
        char *abs = mp ? mp->absolute_path(mp->handle, stored) : NULL;
        json_object_set_new(root, "model", json_string(abs ? abs : stored));
        free(abs);
        return;
    }
    const char *m = json_string_value(json_object_get(root, "model"));
    if (m && m[0] != '/' && g->data_dir[0]) {
        snprintf(buf, sizeof buf, "%s/%s", g->data_dir, m);
        if (access(buf, R_OK) == 0)
            json_object_set_new(root, "model", json_string(buf));
    }
}

static LV2_State_Status restore(LV2_Handle h, LV2_State_Retrieve_Function retrieve,
                                LV2_State_Handle handle, uint32_t flags,
                                const LV2_Feature *const *features)
{
    gb_lv2p_t *g = h;
    (void)flags;
    if (!g->d->load_state)
        return LV2_STATE_SUCCESS;
    size_t size = 0;
    uint32_t type = 0, vflags = 0;
    const char *json = retrieve(handle, g->u.state_json, &size, &type, &vflags);
    if (!json)
        return LV2_STATE_SUCCESS; /* nothing saved: keep what the unit has */
    if (type != g->u.atom_String || size == 0 || json[size - 1] != '\0') {
        gb_lv2p_log(g, GBP_LOG_ERROR, "state: " GB_LV2P_STATE_JSON " is not an atom:String");
        return LV2_STATE_ERR_BAD_TYPE;
    }
    const char *stored = retrieve(handle, g->u.state_model, &size, &type, &vflags);
    if (stored && (type != g->u.atom_Path || size == 0 || stored[size - 1] != '\0')) {
        gb_lv2p_log(g, GBP_LOG_ERROR, "state: " GB_LV2P_STATE_MODEL " is not an atom:Path");
        return LV2_STATE_ERR_BAD_TYPE;
    }
    json_error_t jerr;
    json_t *root = json_loads(json, 0, &jerr);
    if (!json_is_object(root)) {
        char msg[300];
        snprintf(msg, sizeof msg, "state: not a JSON object (line %d: %s)", jerr.line,
                 jerr.text);
        gb_lv2p_log(g, GBP_LOG_ERROR, msg);
        json_decref(root);
        return LV2_STATE_ERR_UNKNOWN;
    }
    model_path(g, root, stored, feature(features, LV2_STATE__mapPath));
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    char err[1024] = "";
    int rc = text ? g->d->load_state(g->self, text, err, sizeof err) : -1;
    free(text);
    if (rc < 0) {
        char msg[1100];
        snprintf(msg, sizeof msg, "state: %s", err[0] ? err : "out of memory");
        gb_lv2p_log(g, GBP_LOG_ERROR, msg);
        return LV2_STATE_ERR_UNKNOWN;
    }
    return LV2_STATE_SUCCESS;
}

static const LV2_State_Interface state_iface = {.save = save, .restore = restore};

const void *gb_lv2p_state_interface(void)
{
    return &state_iface;
}
