/* gb_preset.c — preset files: strict JSON (jansson) → gb_preset_t, and back.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The loader only parses and validates against the unit descriptors: it calls no unit code.
 * A unit's "state" object is kept as compact JSON text for the unit's load_state() to judge
 * when the engine instantiates it.
 *
 * Every message starts with the origin (the file), then either line:column (JSON syntax) or
 * the key path of the offending value ("rack.effects[1].params.feedback"), so the user can
 * go straight to it. Strings from the file are cleaned of control characters before they
 * reach a message.
 */
#define _GNU_SOURCE /* memmem */
#include "gb_preset.h"
#include "gb_lv2.h"
#include "gb_json_util.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GB_PRESET_FORMAT "gbac-preset/1"
#define GB_PRESET_MAX_FILE (16u << 20)
#define GB_PATH_MAX 192                  /* key paths in messages */

/* ---------------------------------------------------------------- messages */

typedef struct pctx {
    const char *origin;
    const gb_unit_registry_t *reg;
    gb_error_t *err;
    const char *text; /* the preset's text, to find the line of a key */
    size_t len;
} pctx_t;

/* The line of the key at the end of a key path ("rack.effects[1].params.decay"), found by
 * looking for each key's quoted name in turn from where the previous one was (an index [N]
 * looks for the next key N + 1 times). 0 when not found. */
static int key_line(const pctx_t *c, const char *path)
{
    if (!c->text || !path)
        return 0;
    const char *at = c->text, *end = c->text + c->len;
    while (*path) {
        char key[72];
        size_t k = strcspn(path, ".[");
        if (k == 0 || k + 3 > sizeof key)
            return 0;
        snprintf(key, sizeof key, "\"%.*s\"", (int)k, path);
        path += k;
        long times = 1;
        if (*path == '[') {
            times += strtol(path + 1, NULL, 10);
            path = strchr(path, ']') ? strchr(path, ']') + 1 : path + strlen(path);
        }
        if (*path == '.')
            path++;
        for (; times > 0; times--) {
            const char *hit = memmem(at, (size_t)(end - at), key, strlen(key));
            if (!hit)
                return 0;
            at = hit + (times > 1 ? strlen(key) : 0);
        }
    }
    int line = 1;
    for (const char *q = c->text; q < at; q++)
        line += *q == '\n';
    return line;
}

static int perr(const pctx_t *c, const char *path, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int perr(const pctx_t *c, const char *path, int code, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const int line = path && path[0] ? key_line(c, path) : 0;
    if (line)
        return gb_error_set(c->err, code, "%s:%d: %s: %s", c->origin, line, path, msg);
    if (path && path[0])
        return gb_error_set(c->err, code, "%s: %s: %s", c->origin, path, msg);
    return gb_error_set(c->err, code, "%s: %s", c->origin, msg);
}

/* A string from the file, safe and short enough for a message. */
static const char *clean(const char *s, char *buf, size_t size)
{
    size_t o = 0, max = size - 4;
    for (; *s && o < max; s++)
        buf[o++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
    if (*s) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

static void path_key(char *out, const char *base, const char *key)
{
    char k[64];
    clean(key, k, sizeof k);
    snprintf(out, GB_PATH_MAX, "%s%s%s", base, base[0] ? "." : "", k);
}

static void path_index(char *out, const char *base, size_t i)
{
    snprintf(out, GB_PATH_MAX, "%s[%zu]", base, i);
}


static const char *kind_noun(gbp_kind_t k, int article)
{
    switch (k) {
    case GBP_KIND_NOTE_SOURCE: return article ? "a note source" : "note sources";
    case GBP_KIND_INSTRUMENT: return article ? "an instrument" : "instruments";
    case GBP_KIND_EFFECT: return article ? "an effect" : "effects";
    default: return article ? "an unknown kind of unit" : "units";
    }
}

/* Append s to a comma-separated list in buf, ending in "..." once it is full. */
static void list_add(char *buf, size_t size, const char *s)
{
    size_t n = strlen(buf);
    if (n >= 3 && strcmp(buf + n - 3, "...") == 0)
        return;
    const char *sep = n ? ", " : "";
    if (n + strlen(sep) + strlen(s) + 4 >= size) {
        snprintf(buf + n, size - n, "%s...", sep);
        return;
    }
    snprintf(buf + n, size - n, "%s%s", sep, s);
}

static void list_params(const gbp_descriptor_t *d, char *buf, size_t size)
{
    buf[0] = '\0';
    for (uint32_t i = 0; i < d->n_params; i++)
        if (!(d->params[i].flags & GBP_PARAM_READONLY))
            list_add(buf, size, d->params[i].name);
    if (!buf[0])
        snprintf(buf, size, "(none)");
}

/* ---------------------------------------------------------------- value helpers */

static int check_keys(const pctx_t *c, json_t *obj, const char *path, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            ok |= strcmp(key, *a) == 0;
        if (!ok) {
            char list[200] = "", kp[GB_PATH_MAX];
            for (const char *const *a = allowed; *a; a++)
                list_add(list, sizeof list, *a);
            path_key(kp, path, key);
            return perr(c, kp, GB_EFORMAT, "unknown key (allowed here: %s)", list);
        }
    }
    return GB_OK;
}

static int get_whole(const pctx_t *c, const json_t *v, const char *path, long lo, long hi,
                     long *out)
{
    if (!json_is_number(v))
        return perr(c, path, GB_EFORMAT, "expected a whole number %ld..%ld, got %s", lo, hi,
                    gb_json_kind(v));
    double x = json_number_value(v);
    if (x != floor(x))
        return perr(c, path, GB_EINVAL, "%g is not a whole number", x);
    if (x < (double)lo || x > (double)hi)
        return perr(c, path, GB_ERANGE, "%g is out of range %ld..%ld", x, lo, hi);
    *out = (long)x;
    return GB_OK;
}

/* A value for parameter pi: a number inside its range (compared as the float the unit gets),
 * whole if the parameter is stepped. */
static int get_param_value(const pctx_t *c, const json_t *v, const char *path,
                           const gbp_param_info_t *pi, float *out)
{
    const char *unit = pi->unit && pi->unit[0] ? pi->unit : "";
    if (!json_is_number(v))
        return perr(c, path, GB_EFORMAT, "expected a number %g..%g%s%s, got %s",
                    (double)pi->min, (double)pi->max, unit[0] ? " " : "", unit, gb_json_kind(v));
    double x = json_number_value(v);
    float f = (float)x;
    if (!(f >= pi->min && f <= pi->max))
        return perr(c, path, GB_ERANGE, "%g is out of range %g..%g%s%s", x, (double)pi->min,
                    (double)pi->max, unit[0] ? " " : "", unit);
    if ((pi->flags & GBP_PARAM_STEPPED) && x != floor(x))
        return perr(c, path, GB_EINVAL, "%g is not a whole number (the parameter is stepped)", x);
    *out = f == 0.0f ? 0.0f : f; /* no -0 */
    return GB_OK;
}

/* Parameter by name, or by its id written as a decimal number ("3"): ids are the stable
 * handle of the ABI, so a preset still loads after a plugin renamed a parameter. */
static const gbp_param_info_t *param_lookup(const gbp_descriptor_t *d, const char *key)
{
    const gbp_param_info_t *pi = gb_unit_param_by_name(d, key);
    if (pi)
        return pi;
    size_t n = strlen(key);
    if (n == 0 || n > 10 || strspn(key, "0123456789") != n)
        return NULL;
    unsigned long id = strtoul(key, NULL, 10);
    return id <= UINT32_MAX ? gb_unit_param_by_id(d, (uint32_t)id) : NULL;
}

/* Numbers are written with 15 significant digits: every float (parameters, units' state)
 * and every decimal of up to 15 digits a preset gives reads back exactly and prints as it was
 * written (0.95, not 0.94999999999999996); saving what was loaded gives the same bytes. */
#define GB_PRESET_JSON_FLAGS (JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

/* ---------------------------------------------------------------- units */

/* Slot names are path components ("delay/feedback", OSC): a letter, then letters, digits,
 * '_' or '-'. */
static int slot_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= GB_SLOT_NAME_MAX)
        return 0;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

static int parse_params(const pctx_t *c, json_t *obj, const char *path, gb_preset_unit_t *u)
{
    const gbp_descriptor_t *d = u->desc;
    if (!json_is_object(obj))
        return perr(c, path, GB_EFORMAT, "expected an object {\"name\": value, ...}, got %s",
                    gb_json_kind(obj));
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        char kp[GB_PATH_MAX], k[64];
        path_key(kp, path, key);
        const gbp_param_info_t *pi = param_lookup(d, key);
        if (!pi) {
            char list[240];
            list_params(d, list, sizeof list);
            return perr(c, kp, GB_EINVAL, "%s has no parameter '%s'; its parameters: %s", d->id,
                        clean(key, k, sizeof k), list);
        }
        if (pi->flags & GBP_PARAM_READONLY)
            return perr(c, kp, GB_EINVAL, "'%s' of %s is read-only (a value the unit reports)",
                        pi->name, d->id);
        for (int i = 0; i < u->n_params; i++)
            if (u->params[i].id == pi->id)
                return perr(c, kp, GB_EINVAL, "parameter '%s' (id %u) is given twice", pi->name,
                            pi->id);
        if (u->n_params == GB_PRESET_MAX_PARAMS)
            return perr(c, kp, GB_ERANGE, "more than %d parameters in one unit",
                        GB_PRESET_MAX_PARAMS);
        float f;
        int rc = get_param_value(c, v, kp, pi, &f);
        if (rc < 0)
            return rc;
        u->params[u->n_params].id = pi->id;
        u->params[u->n_params].value = f;
        u->n_params++;
    }
    return GB_OK;
}

/* "unit": the id of a registered unit of the right kind. */
static int parse_unit_id(const pctx_t *c, json_t *obj, const char *path, gbp_kind_t kind,
                         gb_preset_unit_t *u)
{
    char kp[GB_PATH_MAX], s[80];
    json_t *jid = json_object_get(obj, "unit");
    if (!jid)
        return perr(c, path, GB_EFORMAT, "missing key \"unit\" (the unit's id)");
    path_key(kp, path, "unit");
    if (!json_is_string(jid))
        return perr(c, kp, GB_EFORMAT, "expected a unit id string, got %s", gb_json_kind(jid));
    const char *id = json_string_value(jid);
    gb_error_t lerr = {0};
    const gbp_descriptor_t *d = gb_unit_registry_resolve(c->reg, id, &lerr);
    if (!d && gb_lv2_is_id(id))
        return perr(c, kp, lerr.code ? lerr.code : GB_EINVAL, "%s", lerr.msg);
    if (!d) {
        char list[300] = "";
        for (int i = 0; i < gb_unit_registry_count(c->reg); i++) {
            const gbp_descriptor_t *o = gb_unit_registry_get(c->reg, i);
            if (o->kind == kind)
                list_add(list, sizeof list, o->id);
        }
        return perr(c, kp, GB_EINVAL, "unknown unit '%s'; known %s: %s", clean(id, s, sizeof s),
                    kind_noun(kind, 0), list[0] ? list : "(none)");
    }
    if (d->kind != kind)
        return perr(c, kp, GB_EINVAL, "%s is %s, not %s", d->id, kind_noun(d->kind, 1),
                    kind_noun(kind, 1));
    u->desc = d;
    return GB_OK;
}

/* "name": the slot, or the last dot-separated part of the id; never "master". */
static int parse_slot_name(const pctx_t *c, json_t *obj, const char *path, gb_preset_unit_t *u)
{
    char kp[GB_PATH_MAX], s[80];
    json_t *jname = json_object_get(obj, "name");
    path_key(kp, path, "name");
    if (jname) {
        if (!json_is_string(jname))
            return perr(c, kp, GB_EFORMAT, "expected a slot name string, got %s", gb_json_kind(jname));
        const char *name = json_string_value(jname);
        if (!slot_name_ok(name))
            return perr(c, kp, GB_EINVAL,
                        "slot name '%s' must be a letter, then letters, digits, '_' or '-' "
                        "(at most %d characters)",
                        clean(name, s, sizeof s), GB_SLOT_NAME_MAX - 1);
        snprintf(u->slot, sizeof u->slot, "%s", name);
    } else if (gb_lv2_is_id(u->desc->id)) {
        /* An LV2 plugin: its name, "Dragonfly Room Reverb" → "dragonfly_room_reverb". */
        size_t o = 0;
        for (const char *n = u->desc->name; *n && o + 1 < sizeof u->slot && o < 24; n++)
            if ((*n >= 'a' && *n <= 'z') || (*n >= '0' && *n <= '9' && o > 0))
                u->slot[o++] = *n;
            else if (*n >= 'A' && *n <= 'Z')
                u->slot[o++] = (char)(*n - 'A' + 'a');
            else if (o > 0 && u->slot[o - 1] != '_')
                u->slot[o++] = '_';
        while (o > 0 && u->slot[o - 1] == '_')
            o--;
        u->slot[o] = '\0';
        if (!o)
            snprintf(u->slot, sizeof u->slot, "lv2");
    } else {
        /* The last component of the id: "gbac.delay" → "delay". */
        const char *dot = strrchr(u->desc->id, '.');
        const char *name = dot ? dot + 1 : u->desc->id;
        if (!slot_name_ok(name))
            return perr(c, path, GB_EINVAL,
                        "cannot make a slot name from the id %s: give the unit a \"name\"",
                        u->desc->id);
        snprintf(u->slot, sizeof u->slot, "%s", name);
    }
    if (strcmp(u->slot, GB_MASTER_SLOT) == 0)
        return perr(c, jname ? kp : path, GB_EINVAL,
                    "the slot name '%s' is reserved for the engine's master section",
                    GB_MASTER_SLOT);
    return GB_OK;
}

/* "state": an object, kept as compact JSON text for the unit's load_state. */
static int parse_state(const pctx_t *c, json_t *jstate, const char *path, gb_preset_unit_t *u)
{
    if (!json_is_object(jstate))
        return perr(c, path, GB_EFORMAT, "expected an object, got %s", gb_json_kind(jstate));
    if (!u->desc->load_state)
        return perr(c, path, GB_EINVAL, "%s keeps no state (it has no load_state)",
                    u->desc->id);
    if (!(u->state_json = json_dumps(jstate, JSON_COMPACT | GB_PRESET_JSON_FLAGS)))
        return perr(c, path, GB_ENOMEM, "out of memory");
    return GB_OK;
}

static int parse_unit(const pctx_t *c, json_t *obj, const char *path, gbp_kind_t kind,
                      gb_preset_unit_t *u)
{
    static const char *const keys[] = {"unit", "name", "params", "state", NULL};
    char kp[GB_PATH_MAX];
    if (!json_is_object(obj))
        return perr(c, path, GB_EFORMAT,
                    "expected a unit object {\"unit\": \"gbac....\", ...}, got %s", gb_json_kind(obj));
    int rc = check_keys(c, obj, path, keys);
    if (rc < 0 || (rc = parse_unit_id(c, obj, path, kind, u)) < 0 ||
        (rc = parse_slot_name(c, obj, path, u)) < 0)
        return rc;
    json_t *v = json_object_get(obj, "params");
    if (v) {
        path_key(kp, path, "params");
        if ((rc = parse_params(c, v, kp, u)) < 0)
            return rc;
    }
    if ((v = json_object_get(obj, "state"))) {
        path_key(kp, path, "state");
        if ((rc = parse_state(c, v, kp, u)) < 0)
            return rc;
    }
    return GB_OK;
}

static int parse_unit_array(const pctx_t *c, json_t *arr, const char *path, gbp_kind_t kind,
                            int max, gb_preset_unit_t *units, int *n)
{
    if (!json_is_array(arr))
        return perr(c, path, GB_EFORMAT, "expected an array of units, got %s", gb_json_kind(arr));
    if (json_array_size(arr) > (size_t)max)
        return perr(c, path, GB_ERANGE, "%zu %s; at most %d", json_array_size(arr),
                    kind_noun(kind, 0), max);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        char ip[GB_PATH_MAX];
        path_index(ip, path, i);
        int rc = parse_unit(c, json_array_get(arr, i), ip, kind, &units[i]);
        *n = (int)i + 1; /* so gb_preset_free() releases what this unit holds */
        if (rc < 0)
            return rc;
    }
    return GB_OK;
}

/* ---------------------------------------------------------------- rack, slots, midi_map */

typedef struct slotref {
    gb_preset_unit_t *unit;
    char path[GB_PATH_MAX];
} slotref_t;

#define GB_PRESET_MAX_UNITS (GB_PRESET_MAX_SOURCES + 1 + GB_PRESET_MAX_EFFECTS + 1)

/* Every slot a parameter can live in: the rack's units, then the master section. */
static int collect_slots(gb_preset_t *p, slotref_t *refs)
{
    int n = 0;
    for (int i = 0; i < p->n_sources; i++) {
        refs[n].unit = &p->sources[i];
        snprintf(refs[n++].path, GB_PATH_MAX, "rack.note_sources[%d]", i);
    }
    refs[n].unit = &p->instrument;
    snprintf(refs[n++].path, GB_PATH_MAX, "rack.instrument");
    for (int i = 0; i < p->n_effects; i++) {
        refs[n].unit = &p->effects[i];
        snprintf(refs[n++].path, GB_PATH_MAX, "rack.effects[%d]", i);
    }
    refs[n].unit = &p->master;
    snprintf(refs[n++].path, GB_PATH_MAX, GB_MASTER_SLOT);
    return n;
}

static int parse_rack(const pctx_t *c, json_t *rack, gb_preset_t *p)
{
    static const char *const keys[] = {"note_sources", "instrument", "effects", NULL};
    if (!json_is_object(rack))
        return perr(c, "rack", GB_EFORMAT, "expected an object, got %s", gb_json_kind(rack));
    int rc = check_keys(c, rack, "rack", keys);
    if (rc < 0)
        return rc;
    json_t *v = json_object_get(rack, "note_sources");
    if (v && (rc = parse_unit_array(c, v, "rack.note_sources", GBP_KIND_NOTE_SOURCE,
                                    GB_PRESET_MAX_SOURCES, p->sources, &p->n_sources)) < 0)
        return rc;
    v = json_object_get(rack, "instrument");
    if (!v)
        return perr(c, "rack", GB_EFORMAT,
                    "missing key \"instrument\" (e.g. {\"unit\": \"gbac.harmonic-synth\"})");
    if ((rc = parse_unit(c, v, "rack.instrument", GBP_KIND_INSTRUMENT, &p->instrument)) < 0)
        return rc;
    v = json_object_get(rack, "effects");
    if (v && (rc = parse_unit_array(c, v, "rack.effects", GBP_KIND_EFFECT, GB_PRESET_MAX_EFFECTS,
                                    p->effects, &p->n_effects)) < 0)
        return rc;

    slotref_t refs[GB_PRESET_MAX_UNITS];
    int n = collect_slots(p, refs);
    for (int i = 1; i < n; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(refs[i].unit->slot, refs[j].unit->slot) == 0)
                return perr(c, refs[i].path, GB_EINVAL,
                            "duplicate slot name '%s' (also %s); give each unit its own \"name\"",
                            refs[i].unit->slot, refs[j].path);
    return GB_OK;
}

/* "param": "slot/name" of a writable parameter of a slot in this preset. */
static int parse_ccmap_param(const pctx_t *c, json_t *v, const char *kp, gb_preset_t *p,
                             const gbp_param_info_t **pi_out, gb_preset_ccmap_t *m)
{
    char s[80];
    if (!json_is_string(v))
        return perr(c, kp, GB_EFORMAT, "expected a \"slot/name\" string, got %s", gb_json_kind(v));
    const char *ref = json_string_value(v);
    const char *slash = strchr(ref, '/');
    if (!slash || slash == ref || !slash[1])
        return perr(c, kp, GB_EFORMAT, "'%s' is not \"slot/name\" (e.g. \"synth/brightness\")",
                    clean(ref, s, sizeof s));
    slotref_t refs[GB_PRESET_MAX_UNITS];
    const int n = collect_slots(p, refs);
    const gb_preset_unit_t *u = NULL;
    const size_t slot_len = (size_t)(slash - ref);
    char slots[200] = "";
    for (int i = 0; i < n; i++) {
        list_add(slots, sizeof slots, refs[i].unit->slot);
        if (strlen(refs[i].unit->slot) == slot_len &&
            strncmp(refs[i].unit->slot, ref, slot_len) == 0)
            u = refs[i].unit;
    }
    if (!u) {
        char slot[sizeof s];
        size_t k = slot_len < sizeof slot ? slot_len : sizeof slot - 1;
        memcpy(slot, ref, k);
        slot[k] = '\0';
        return perr(c, kp, GB_EINVAL, "no slot '%s' in the rack (slots: %s)",
                    clean(slot, s, sizeof s), slots);
    }
    const gbp_param_info_t *pi = param_lookup(u->desc, slash + 1);
    if (!pi) {
        char list[240];
        list_params(u->desc, list, sizeof list);
        return perr(c, kp, GB_EINVAL, "%s (slot '%s') has no parameter '%s'; its parameters: %s",
                    u->desc->id, u->slot, clean(slash + 1, s, sizeof s), list);
    }
    if (pi->flags & GBP_PARAM_READONLY)
        return perr(c, kp, GB_EINVAL, "'%s' of %s is read-only (a value the unit reports)",
                    pi->name, u->desc->id);
    snprintf(m->slot, sizeof m->slot, "%s", u->slot);
    m->param = pi->id;
    *pi_out = pi;
    return GB_OK;
}

static int parse_ccmap_entry(const pctx_t *c, json_t *e, const char *path, gb_preset_t *p,
                             gb_preset_ccmap_t *m)
{
    static const char *const keys[] = {"cc", "channel", "param", "min", "max", NULL};
    char kp[GB_PATH_MAX];
    if (!json_is_object(e))
        return perr(c, path, GB_EFORMAT,
                    "expected an object {\"cc\": 1, \"param\": \"slot/name\"}, got %s", gb_json_kind(e));
    int rc = check_keys(c, e, path, keys);
    if (rc < 0)
        return rc;
    long x;
    json_t *v = json_object_get(e, "cc");
    if (!v)
        return perr(c, path, GB_EFORMAT, "missing key \"cc\" (controller number 0..127)");
    path_key(kp, path, "cc");
    if ((rc = get_whole(c, v, kp, 0, 127, &x)) < 0)
        return rc;
    m->cc = (uint8_t)x;
    m->channel = 255;
    if ((v = json_object_get(e, "channel"))) {
        path_key(kp, path, "channel");
        if ((rc = get_whole(c, v, kp, 1, 16, &x)) < 0)
            return rc;
        m->channel = (uint8_t)(x - 1);
    }
    if (!(v = json_object_get(e, "param")))
        return perr(c, path, GB_EFORMAT, "missing key \"param\" (\"slot/name\")");
    path_key(kp, path, "param");
    const gbp_param_info_t *pi = NULL;
    if ((rc = parse_ccmap_param(c, v, kp, p, &pi, m)) < 0)
        return rc;
    m->min = pi->min;
    m->max = pi->max;
    static const char *const ends[2] = {"min", "max"};
    for (int i = 0; i < 2; i++)
        if ((v = json_object_get(e, ends[i]))) {
            path_key(kp, path, ends[i]);
            if ((rc = get_param_value(c, v, kp, pi, i ? &m->max : &m->min)) < 0)
                return rc;
        }
    return GB_OK;
}

static int parse_ccmap(const pctx_t *c, json_t *arr, gb_preset_t *p)
{
    if (!json_is_array(arr))
        return perr(c, "midi_map", GB_EFORMAT, "expected an array, got %s", gb_json_kind(arr));
    if (json_array_size(arr) > GB_PRESET_MAX_CCMAP)
        return perr(c, "midi_map", GB_ERANGE, "%zu mappings; at most %d", json_array_size(arr),
                    GB_PRESET_MAX_CCMAP);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        char ip[GB_PATH_MAX];
        path_index(ip, "midi_map", i);
        int rc = parse_ccmap_entry(c, json_array_get(arr, i), ip, p, &p->ccmap[i]);
        if (rc < 0)
            return rc;
        p->n_ccmap = (int)i + 1;
    }
    return GB_OK;
}

/* ---------------------------------------------------------------- top level */

static int parse_meter(const pctx_t *c, const json_t *v, gb_preset_t *p)
{
    char s[80];
    if (!json_is_string(v))
        return perr(c, "meter", GB_EFORMAT, "expected a string like \"4/4\", got %s", gb_json_kind(v));
    const char *m = json_string_value(v);
    size_t a = strspn(m, "0123456789");
    size_t b = m[a] == '/' ? strspn(m + a + 1, "0123456789") : 0;
    if (a == 0 || a > 2 || b == 0 || b > 2 || m[a + 1 + b] != '\0')
        return perr(c, "meter", GB_EFORMAT, "'%s' is not a meter like \"4/4\" or \"6/8\"",
                    clean(m, s, sizeof s));
    int num = atoi(m), den = atoi(m + a + 1);
    if (num < 1 || num > 32)
        return perr(c, "meter", GB_ERANGE, "%d beats per bar is out of range 1..32", num);
    if (den != 1 && den != 2 && den != 4 && den != 8 && den != 16)
        return perr(c, "meter", GB_ERANGE, "beat unit %d is not one of 1, 2, 4, 8, 16", den);
    p->beats_per_bar = num;
    p->beat_unit = den;
    return GB_OK;
}

/* The default name: the origin's file name without folder and ".json". */
static void default_name(const char *origin, char *out, size_t size)
{
    const char *base = strrchr(origin, '/');
    base = base ? base + 1 : origin;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".json") == 0)
        n -= 5;
    if (n >= size)
        n = size - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = ((unsigned char)base[i] < 0x20 || base[i] == 0x7f) ? '?' : base[i];
    out[n] = '\0';
}

/* "format", "name", "description". */
static int parse_header(const pctx_t *c, json_t *root, gb_preset_t *p)
{
    char s[80];
    json_t *v;
    if ((v = json_object_get(root, "format"))) {
        if (!json_is_string(v))
            return perr(c, "format", GB_EFORMAT, "expected \"" GB_PRESET_FORMAT "\", got %s",
                        gb_json_kind(v));
        if (strcmp(json_string_value(v), GB_PRESET_FORMAT) != 0)
            return perr(c, "format", GB_EUNSUPPORTED,
                        "'%s' is not a format this gbac reads (it reads \"" GB_PRESET_FORMAT
                        "\")",
                        clean(json_string_value(v), s, sizeof s));
    }
    if ((v = json_object_get(root, "name"))) {
        if (!json_is_string(v))
            return perr(c, "name", GB_EFORMAT, "expected a string, got %s", gb_json_kind(v));
        const char *name = json_string_value(v);
        size_t n = strlen(name);
        if (n == 0 || n >= sizeof p->name)
            return perr(c, "name", GB_ERANGE, "must be 1..%zu bytes long, not %zu",
                        sizeof p->name - 1, n);
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
                return perr(c, "name", GB_EINVAL, "control characters are not allowed");
        memcpy(p->name, name, n + 1);
    } else {
        default_name(c->origin, p->name, sizeof p->name);
    }
    if ((v = json_object_get(root, "description"))) {
        if (!json_is_string(v))
            return perr(c, "description", GB_EFORMAT, "expected a string, got %s", gb_json_kind(v));
        if (!(p->description = strdup(json_string_value(v))))
            return perr(c, "description", GB_ENOMEM, "out of memory");
    }
    return GB_OK;
}

/* "tempo", "meter", "polyphony". */
static int parse_timing(const pctx_t *c, json_t *root, gb_preset_t *p)
{
    int rc;
    json_t *v;
    p->tempo_bpm = 120.0;
    if ((v = json_object_get(root, "tempo"))) {
        if (!json_is_number(v))
            return perr(c, "tempo", GB_EFORMAT, "expected a number of beats per minute 20..300, "
                        "got %s", gb_json_kind(v));
        double t = json_number_value(v);
        if (!(t >= 20.0 && t <= 300.0))
            return perr(c, "tempo", GB_ERANGE, "%g is out of range 20..300 bpm", t);
        p->tempo_bpm = t;
    }
    p->beats_per_bar = 4;
    p->beat_unit = 4;
    if ((v = json_object_get(root, "meter")) && (rc = parse_meter(c, v, p)) < 0)
        return rc;
    p->polyphony = 16;
    if ((v = json_object_get(root, "polyphony"))) {
        long x;
        if ((rc = get_whole(c, v, "polyphony", 1, 64, &x)) < 0)
            return rc;
        p->polyphony = (int)x;
    }
    return GB_OK;
}

/* "master": {"params": {"gain_db": -6}} — the master section's parameters. */
static int parse_master(const pctx_t *c, json_t *v, gb_preset_t *p)
{
    static const char *const keys[] = {"params", NULL};
    if (!json_is_object(v))
        return perr(c, GB_MASTER_SLOT, GB_EFORMAT,
                    "expected an object {\"params\": {\"gain_db\": -6}}, got %s",
                    gb_json_kind(v));
    int rc = check_keys(c, v, GB_MASTER_SLOT, keys);
    json_t *params = json_object_get(v, "params");
    if (rc == GB_OK && params)
        rc = parse_params(c, params, GB_MASTER_SLOT ".params", &p->master);
    return rc;
}

static int parse_root(const pctx_t *c, json_t *root, gb_preset_t *p)
{
    static const char *const keys[] = {"format",    "name", "description", "tempo",    "meter",
                                       "polyphony", "rack", "master",      "midi_map", NULL};
    if (!json_is_object(root))
        return perr(c, NULL, GB_EFORMAT, "a preset is a JSON object {...}, not %s", gb_json_kind(root));
    int rc = check_keys(c, root, "", keys);
    if (rc < 0 || (rc = parse_header(c, root, p)) < 0 || (rc = parse_timing(c, root, p)) < 0)
        return rc;
    json_t *v = json_object_get(root, "rack");
    if (!v)
        return perr(c, NULL, GB_EFORMAT,
                    "missing key \"rack\" (note_sources → instrument → effects)");
    if ((rc = parse_rack(c, v, p)) < 0)
        return rc;
    if ((v = json_object_get(root, "master")) && (rc = parse_master(c, v, p)) < 0)
        return rc;
    if ((v = json_object_get(root, "midi_map")) && (rc = parse_ccmap(c, v, p)) < 0)
        return rc;
    return GB_OK;
}

gb_preset_t *gb_preset_parse(const char *json, size_t len, const char *origin,
                             const gb_unit_registry_t *reg, gb_error_t *err)
{
    pctx_t c = {origin ? origin : "preset", reg, err, json, len};
    if (!json || !reg) {
        perr(&c, NULL, GB_EINVAL, "no text or no unit registry");
        return NULL;
    }
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        char text[JSON_ERROR_TEXT_LENGTH + 8];
        gb_error_set(err, GB_EFORMAT, "%s:%d:%d: %s", c.origin, je.line > 0 ? je.line : 1,
                     je.column > 0 ? je.column : 1, clean(je.text, text, sizeof text));
        return NULL;
    }
    gb_preset_t *p = calloc(1, sizeof *p);
    if (!p) {
        json_decref(root);
        perr(&c, NULL, GB_ENOMEM, "out of memory");
        return NULL;
    }
    p->master.desc = &gb_master_desc;
    snprintf(p->master.slot, sizeof p->master.slot, GB_MASTER_SLOT);
    int rc = parse_root(&c, root, p);
    json_decref(root);
    if (rc < 0) {
        gb_preset_free(p);
        return NULL;
    }
    return p;
}

gb_preset_t *gb_preset_load(const char *path, const gb_unit_registry_t *reg, gb_error_t *err)
{
    if (!path) {
        gb_error_set(err, GB_EINVAL, "preset: no file given");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        gb_error_set(err, GB_EIO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int failed = !buf;
    while (!failed) {
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
        if (len > GB_PRESET_MAX_FILE) {
            fclose(f);
            free(buf);
            gb_error_set(err, GB_ERANGE, "%s: larger than %u MiB; not a preset?", path,
                         GB_PRESET_MAX_FILE >> 20);
            return NULL;
        }
        if (len == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb)
                failed = 1;
            else
                buf = nb;
        }
    }
    int read_error = ferror(f);
    fclose(f);
    if (failed || read_error) {
        free(buf);
        gb_error_set(err, failed ? GB_ENOMEM : GB_EIO, "%s: cannot read: %s", path,
                     failed ? "out of memory" : strerror(errno));
        return NULL;
    }
    gb_preset_t *p = gb_preset_parse(buf, len, path, reg, err);
    free(buf);
    if (p && !(p->path = strdup(path))) {
        gb_preset_free(p);
        gb_error_set(err, GB_ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    return p;
}

static void free_unit(gb_preset_unit_t *u)
{
    free(u->state_json);
    u->state_json = NULL;
}

void gb_preset_free(gb_preset_t *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n_sources; i++)
        free_unit(&p->sources[i]);
    free_unit(&p->instrument);
    for (int i = 0; i < p->n_effects; i++)
        free_unit(&p->effects[i]);
    free_unit(&p->master);
    free(p->description);
    free(p->path);
    free(p);
}

/* ---------------------------------------------------------------- saving */

/* A float as the JSON number that reads back as the same float: the shortest decimal
 * (0.95, not 0.949999988), an integer when it is whole. */
static json_t *json_from_float(float v)
{
    if (v == floorf(v) && fabsf(v) < 1e15f)
        return json_integer((json_int_t)v);
    char buf[32];
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, (double)v);
        if (strtof(buf, NULL) == v)
            return json_real(strtod(buf, NULL));
    }
    return json_real((double)v);
}

static int set_new(json_t *obj, const char *key, json_t *v)
{
    return v ? json_object_set_new(obj, key, v) : -1;
}

/* {"name": value, ...} of a unit's parameters, by name (by id when it has none). */
static json_t *params_to_json(const gb_preset_unit_t *u)
{
    json_t *params = json_object();
    for (int i = 0; params && i < u->n_params; i++) {
        const gbp_param_info_t *pi = gb_unit_param_by_id(u->desc, u->params[i].id);
        char key[16];
        if (!pi)
            snprintf(key, sizeof key, "%u", u->params[i].id);
        if (set_new(params, pi ? pi->name : key, json_from_float(u->params[i].value))) {
            json_decref(params);
            return NULL;
        }
    }
    return params;
}

static json_t *unit_to_json(const gb_preset_unit_t *u, const char *path, gb_error_t *err)
{
    if (!u->desc) {
        gb_error_set(err, GB_EINVAL, "%s: no unit", path);
        return NULL;
    }
    json_t *o = json_object();
    if (!o || set_new(o, "unit", json_string(u->desc->id)) ||
        set_new(o, "name", json_string(u->slot)) ||
        (u->n_params > 0 && set_new(o, "params", params_to_json(u))))
        goto nomem;
    if (u->state_json) {
        json_error_t je;
        json_t *state = json_loads(u->state_json, JSON_REJECT_DUPLICATES, &je);
        if (!json_is_object(state)) {
            json_decref(state);
            json_decref(o);
            gb_error_set(err, GB_EFORMAT, "%s.state: not a JSON object: %s", path,
                         state ? "another type" : je.text);
            return NULL;
        }
        if (json_object_set_new(o, "state", state))
            goto nomem;
    }
    return o;
nomem:
    json_decref(o);
    gb_error_set(err, GB_ENOMEM, "%s: out of memory", path);
    return NULL;
}

/* An array of units (note sources, effects) into rack[key]; nothing when n is 0. */
static int units_to_json(json_t *rack, const char *key, const gb_preset_unit_t *units, int n,
                         gb_error_t *err)
{
    if (n == 0)
        return GB_OK;
    json_t *a = json_array();
    if (set_new(rack, key, a))
        return gb_error_set(err, GB_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        char path[GB_PATH_MAX];
        snprintf(path, sizeof path, "rack.%s[%d]", key, i);
        json_t *u = unit_to_json(&units[i], path, err);
        if (!u)
            return err ? err->code : GB_EINVAL;
        if (json_array_append_new(a, u))
            return gb_error_set(err, GB_ENOMEM, "out of memory");
    }
    return GB_OK;
}

static json_t *rack_to_json(const gb_preset_t *p, gb_error_t *err)
{
    json_t *rack = json_object(), *u;
    if (!rack) {
        gb_error_set(err, GB_ENOMEM, "out of memory");
        return NULL;
    }
    if (units_to_json(rack, "note_sources", p->sources, p->n_sources, err) ||
        !(u = unit_to_json(&p->instrument, "rack.instrument", err)) ||
        json_object_set_new(rack, "instrument", u) ||
        units_to_json(rack, "effects", p->effects, p->n_effects, err)) {
        json_decref(rack);
        return NULL;
    }
    return rack;
}

/* One midi_map entry: {"cc", "channel" (1..16, omitted for any), "param", "min", "max"}. */
static json_t *ccmap_to_json(const gb_preset_t *p, int i, gb_error_t *err)
{
    const gb_preset_ccmap_t *m = &p->ccmap[i];
    slotref_t refs[GB_PRESET_MAX_UNITS];
    const int n = collect_slots((gb_preset_t *)p, refs);
    const gb_preset_unit_t *mu = NULL;
    for (int k = 0; k < n && !mu; k++)
        if (strcmp(refs[k].unit->slot, m->slot) == 0)
            mu = refs[k].unit;
    const gbp_param_info_t *pi = mu && mu->desc ? gb_unit_param_by_id(mu->desc, m->param) : NULL;
    if (!pi) {
        gb_error_set(err, GB_EINVAL, "midi_map[%d]: no parameter %u in slot '%s'", i, m->param,
                     m->slot);
        return NULL;
    }
    char ref[GB_SLOT_NAME_MAX + 80];
    snprintf(ref, sizeof ref, "%s/%s", m->slot, pi->name);
    json_t *e = json_object();
    if (!e || set_new(e, "cc", json_integer(m->cc)) ||
        (m->channel != 255 && set_new(e, "channel", json_integer(m->channel + 1))) ||
        set_new(e, "param", json_string(ref)) || set_new(e, "min", json_from_float(m->min)) ||
        set_new(e, "max", json_from_float(m->max))) {
        json_decref(e);
        gb_error_set(err, GB_ENOMEM, "out of memory");
        return NULL;
    }
    return e;
}

static json_t *preset_to_json(const gb_preset_t *p, gb_error_t *err)
{
    json_t *root = json_object(), *rack = NULL, *map = NULL;
    char meter[24];
    snprintf(meter, sizeof meter, "%d/%d", p->beats_per_bar, p->beat_unit);
    const double tempo = p->tempo_bpm;
    if (!root || set_new(root, "format", json_string(GB_PRESET_FORMAT)) ||
        (p->name[0] && set_new(root, "name", json_string(p->name))) ||
        (p->description && set_new(root, "description", json_string(p->description))) ||
        set_new(root, "tempo", tempo == floor(tempo) ? json_integer((json_int_t)tempo)
                                                     : json_real(tempo)) ||
        set_new(root, "meter", json_string(meter)) ||
        set_new(root, "polyphony", json_integer(p->polyphony)))
        goto nomem;
    if (!(rack = rack_to_json(p, err)))
        goto fail;
    if (json_object_set_new(root, "rack", rack) ||
        (p->master.n_params > 0 &&
         set_new(root, GB_MASTER_SLOT, json_pack("{s:o*}", "params", params_to_json(&p->master)))))
        goto nomem;
    if (p->n_ccmap > 0 && set_new(root, "midi_map", map = json_array()))
        goto nomem;
    for (int i = 0; i < p->n_ccmap; i++) {
        json_t *e = ccmap_to_json(p, i, err);
        if (!e)
            goto fail;
        if (json_array_append_new(map, e))
            goto nomem;
    }
    return root;
nomem:
    gb_error_set(err, GB_ENOMEM, "out of memory");
fail:
    json_decref(root);
    return NULL;
}

/* jansson's indented output puts every array element on a line of its own; an array of
 * scalars (timbre frames, latents) reads better on one line, as presets are written by hand:
 * "harm": [0.7, 0.2, 0.1]. In place. JSON strings hold no raw newline, so a line that ends
 * in '[' opens an array and a line that starts with ']' closes one. */
static void join_scalar_arrays(char *text)
{
    char *out = text;
    for (char *line = text; *line;) {
        char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        int joined = 0;
        if (eol && len > 0 && line[len - 1] == '[') {
            char *q = eol + 1, *close = NULL;
            int scalars = 1;
            for (char *l = q; *l && scalars && !close;) {
                char *e = strchr(l, '\n'), *t = l + strspn(l, " ");
                size_t tl = e ? (size_t)(e - t) : strlen(t);
                if (*t == ']')
                    close = t;
                else if (!tl || *t == '{' || *t == '[' || t[tl - 1] == '{' || t[tl - 1] == '[')
                    scalars = 0;
                l = e ? e + 1 : l + strlen(l);
            }
            if (scalars && close) {
                memmove(out, line, len);
                out += len;
                for (char *l = q, *t; (t = l + strspn(l, " ")) != close;) {
                    char *e = strchr(t, '\n');
                    if (l != q)
                        *out++ = ' ';
                    memmove(out, t, (size_t)(e - t));
                    out += e - t;
                    l = e + 1;
                }
                line = close;
                joined = 1;
            }
        }
        if (!joined) {
            memmove(out, line, len + (eol ? 1 : 0));
            out += len + (eol ? 1 : 0);
            line += len + (eol ? 1 : 0);
        }
    }
    *out = '\0';
}

/* Write text to path atomically: a temporary file in the same folder, then rename(), so a
 * reader sees the old or the new file, never half of one. */
static int write_atomic(const char *path, const char *text, size_t n, gb_error_t *err)
{
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= sizeof tmp)
        return gb_error_set(err, GB_EINVAL, "%s: path too long", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return gb_error_set(err, GB_EIO, "%s: cannot write: %s", path, strerror(errno));
    mode_t mask = umask(0);
    umask(mask);
    int rc = fchmod(fd, 0666 & ~mask) == 0 ? GB_OK : GB_EIO;
    for (size_t off = 0; rc == GB_OK && off < n;) {
        ssize_t w = write(fd, text + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = GB_EIO;
        else
            off += (size_t)w;
    }
    if (rc == GB_OK && fsync(fd) != 0)
        rc = GB_EIO;
    int saved = errno;
    if (close(fd) != 0 && rc == GB_OK) {
        rc = GB_EIO;
        saved = errno;
    }
    if (rc == GB_OK && rename(tmp, path) != 0) {
        rc = GB_EIO;
        saved = errno;
    }
    if (rc != GB_OK) {
        unlink(tmp);
        return gb_error_set(err, rc, "%s: cannot write: %s", path, strerror(saved));
    }
    return GB_OK;
}

int gb_preset_save(const gb_preset_t *p, const char *path, gb_error_t *err)
{
    if (!p || !path)
        return gb_error_set(err, GB_EINVAL, "preset save: no preset or no file");
    gb_error_t inner = {0};
    json_t *root = preset_to_json(p, &inner);
    if (!root)
        return gb_error_set(err, inner.code, "%s: %s", path, inner.msg);
    char *text = json_dumps(root, JSON_INDENT(2) | GB_PRESET_JSON_FLAGS);
    json_decref(root);
    if (!text)
        return gb_error_set(err, GB_ENOMEM, "%s: out of memory", path);
    join_scalar_arrays(text);
    size_t n = strlen(text);
    char *full = realloc(text, n + 2);
    if (!full) {
        free(text);
        return gb_error_set(err, GB_ENOMEM, "%s: out of memory", path);
    }
    memcpy(full + n, "\n", 2);
    int rc = write_atomic(path, full, n + 1, err);
    free(full);
    return rc;
}
