/* gb_lv2p_state.c — LV2 state for the wrapped units: the unit's state JSON (latents, model,
 * taste, timbre) under GB_LV2P_STATE_JSON as an atom:String. The model file is kept portable:
 * one inside gbac's data folder is stored relative to it ("models/timbre-vae.safetensors")
 * and found again in the data folder of the machine that restores. One elsewhere is stored
 * as an atom:Path under GB_LV2P_STATE_MODEL, as the state extension asks:
 *   - the host offers state:makePath and state:mapPath (lilv does when it saves into a
 *     folder): the model (and its companions) is copied to a path makePath gives, inside the
 *     state, and that copy is named through mapPath: the state's folder holds the file and
 *     can be moved or archived as a whole;
 *   - mapPath only: the file where it is, named through mapPath (the host may link it);
 *   - no mapPath: the absolute path stays in the JSON.
 * Paths the host returns are given back through its state:freePath (free() without it).
 * Restoring maps the stored Path back through mapPath. [main]
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <jansson.h>
#include <lv2/atom/atom.h>
#include <lv2/state/state.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gb_lv2p_wrap.h"

static const void *feature(const LV2_Feature *const *features, const char *uri)
{
    for (int i = 0; features && features[i]; i++)
        if (strcmp(features[i]->URI, uri) == 0)
            return features[i]->data;
    return NULL;
}

/* A path the host allocated, given back as the spec says: freePath when offered. */
static void host_free(const LV2_State_Free_Path *fp, char *path)
{
    if (fp)
        fp->free_path(fp->handle, path);
    else
        free(path);
}

/* Copy src to dst (a new file); 0, or -1 (dst removed). Nothing when they are one file. */
static int copy_file(const char *src, const char *dst)
{
    struct stat a, b;
    if (stat(src, &a) != 0)
        return -1;
    if (stat(dst, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return 0;
    FILE *in = fopen(src, "rb"), *out = in ? fopen(dst, "wb") : NULL;
    char buf[65536];
    size_t n;
    int bad = !in || !out;
    while (!bad && (n = fread(buf, 1, sizeof buf, in)) > 0)
        bad = fwrite(buf, 1, n, out) != n;
    bad |= in && ferror(in);
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        bad = 1;
    if (bad && out)
        unlink(dst);
    return bad ? -1 : 0;
}

/* The files a model is read with: the model, and the companions the units read beside it
 * (the melody generator's critic FILE.disc, the timbre VAE's encoder FILE.enc). */
static const char *const model_files[] = {"", ".disc", ".enc"};

/* The model copied into the state through makePath; the copy's path (the host's, to be freed
 * with host_free), or NULL when makePath is not offered or the copy failed (said in the log). */
static char *copy_into_state(gb_lv2p_t *g, const char *model, const LV2_State_Make_Path *mk,
                             const LV2_State_Free_Path *fp)
{
    if (!mk)
        return NULL;
    const char *slash = strrchr(model, '/');
    const char *base = slash ? slash + 1 : model;
    char *made = NULL;
    for (size_t i = 0; i < sizeof model_files / sizeof model_files[0]; i++) {
        char src[4200], rel[600];
        snprintf(src, sizeof src, "%s%s", model, model_files[i]);
        if (i > 0 && access(src, R_OK) != 0)
            continue; /* a companion this model does not have */
        snprintf(rel, sizeof rel, "%.500s%s", base, model_files[i]);
        char *dst = mk->path(mk->handle, rel);
        const int bad = !dst || copy_file(src, dst) != 0;
        if (bad) {
            char msg[4400];
            snprintf(msg, sizeof msg, "state: cannot copy %s into the state; it is named "
                     "where it is", src);
            gb_lv2p_log(g, GBP_LOG_WARNING, msg);
        }
        if (i == 0 && !bad)
            made = dst;
        else if (dst)
            host_free(fp, dst);
        if (i == 0 && bad)
            return NULL;
    }
    return made;
}

/* A model outside the data folder as an atom:Path (see the top of the file); the "model" key
 * then leaves the JSON. Without mapPath nothing is stored and the JSON keeps the path. */
static LV2_State_Status store_model(gb_lv2p_t *g, json_t *root, const char *model,
                                    LV2_State_Store_Function store, LV2_State_Handle handle,
                                    const LV2_Feature *const *features)
{
    const LV2_State_Map_Path *mp = feature(features, LV2_STATE__mapPath);
    const LV2_State_Free_Path *fp = feature(features, LV2_STATE__freePath);
    if (!mp)
        return LV2_STATE_SUCCESS;
    char *copy = copy_into_state(g, model, feature(features, LV2_STATE__makePath), fp);
    char *abstract = mp->abstract_path(mp->handle, copy ? copy : model);
    LV2_State_Status st = LV2_STATE_ERR_UNKNOWN;
    if (abstract)
        st = store(handle, g->u.state_model, abstract, strlen(abstract) + 1, g->u.atom_Path,
                   LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE);
    host_free(fp, abstract);
    if (copy)
        host_free(fp, copy);
    json_object_del(root, "model");
    return st;
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
    const char *model = json_string_value(json_object_get(root, "model"));
    const size_t dl = strlen(g->data_dir);
    LV2_State_Status st = LV2_STATE_SUCCESS;
    if (model && dl && strncmp(model, g->data_dir, dl) == 0 && model[dl] == '/')
        json_object_set_new(root, "model", json_string(model + dl + 1));
    else if (model && model[0] == '/')
        st = store_model(g, root, model, store, handle, features);
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
                       const LV2_Feature *const *features)
{
    const LV2_State_Map_Path *mp = feature(features, LV2_STATE__mapPath);
    char buf[8300];
    if (stored) {
        char *abs = mp ? mp->absolute_path(mp->handle, stored) : NULL;
        json_object_set_new(root, "model", json_string(abs ? abs : stored));
        if (abs)
            host_free(feature(features, LV2_STATE__freePath), abs);
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
    model_path(g, root, stored, features);
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
