/* gb_lv2_world.c — the lilv world (loaded once), the URID map, the descriptor cache, and the
 * plugin list for `gbac plugins`.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gb_lv2_priv.h"

#include <lv2/buf-size/buf-size.h>
#include <lv2/midi/midi.h>
#include <lv2/parameters/parameters.h>
#include <lv2/port-props/port-props.h>
#include <lv2/presets/presets.h>
#include <lv2/time/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const gb_lv2_host_features[] = {
    LV2_URID__map, LV2_URID__unmap, LV2_OPTIONS__options, LV2_BUF_SIZE__boundedBlockLength,
    LV2_WORKER__schedule, LV2_LOG__log, LV2_STATE__mapPath, LV2_STATE__freePath,
    LV2_CORE__hardRTCapable, LV2_CORE__inPlaceBroken, LV2_CORE__isLive, NULL,
};

/* ---------------------------------------------------------------- URID map */

static pthread_mutex_t map_lock = PTHREAD_MUTEX_INITIALIZER;
static char **map_uris;
static uint32_t map_n, map_cap;

/* Plugins map in instantiate() (main) and from their worker; the lock is never taken on the
 * audio thread by gbac (a plugin that maps in run() breaks the LV2 rule, not ours). */
static LV2_URID urid_map(LV2_URID_Map_Handle h, const char *uri)
{
    (void)h;
    if (!uri)
        return 0;
    pthread_mutex_lock(&map_lock);
    LV2_URID id = 0;
    for (uint32_t i = 0; i < map_n; i++)
        if (strcmp(map_uris[i], uri) == 0) {
            id = i + 1;
            break;
        }
    if (!id) {
        if (map_n == map_cap) {
            uint32_t cap = map_cap ? 2 * map_cap : 256;
            char **u = realloc(map_uris, cap * sizeof *u);
            if (u) {
                map_uris = u;
                map_cap = cap;
            }
        }
        char *s = map_n < map_cap ? strdup(uri) : NULL;
        if (s) {
            map_uris[map_n++] = s;
            id = map_n;
        }
    }
    pthread_mutex_unlock(&map_lock);
    return id;
}

static const char *urid_unmap(LV2_URID_Unmap_Handle h, LV2_URID id)
{
    (void)h;
    pthread_mutex_lock(&map_lock);
    const char *s = id >= 1 && id <= map_n ? map_uris[id - 1] : NULL;
    pthread_mutex_unlock(&map_lock);
    return s;
}

/* ---------------------------------------------------------------- the world */

static gb_lv2_world_t W;
static int world_ready;

static void map_urids(gb_lv2_urids_t *u, LV2_URID_Map *m)
{
#define M(field, uri) u->field = m->map(m->handle, uri)
    M(atom_Sequence, LV2_ATOM__Sequence);
    M(atom_Chunk, LV2_ATOM__Chunk);
    M(atom_Float, LV2_ATOM__Float);
    M(atom_Int, LV2_ATOM__Int);
    M(atom_Long, LV2_ATOM__Long);
    M(atom_Double, LV2_ATOM__Double);
    M(atom_Object, LV2_ATOM__Object);
    M(atom_eventTransfer, LV2_ATOM__eventTransfer);
    M(midi_MidiEvent, LV2_MIDI__MidiEvent);
    M(time_Position, LV2_TIME__Position);
    M(time_frame, LV2_TIME__frame);
    M(time_speed, LV2_TIME__speed);
    M(time_bar, LV2_TIME__bar);
    M(time_barBeat, LV2_TIME__barBeat);
    M(time_beatsPerMinute, LV2_TIME__beatsPerMinute);
    M(time_beatsPerBar, LV2_TIME__beatsPerBar);
    M(time_beatUnit, LV2_TIME__beatUnit);
    M(param_sampleRate, LV2_PARAMETERS__sampleRate);
    M(bufsz_min, LV2_BUF_SIZE__minBlockLength);
    M(bufsz_max, LV2_BUF_SIZE__maxBlockLength);
    M(bufsz_nominal, LV2_BUF_SIZE__nominalBlockLength);
    M(bufsz_seq, LV2_BUF_SIZE__sequenceSize);
    M(log_Error, LV2_LOG__Error);
    M(log_Warning, LV2_LOG__Warning);
    M(log_Note, LV2_LOG__Note);
    M(log_Trace, LV2_LOG__Trace);
#undef M
}

gb_lv2_world_t *gb_lv2_world(void)
{
    if (world_ready)
        return &W;
    W.world = lilv_world_new();
    lilv_world_load_all(W.world); /* honours LV2_PATH */
    W.map.map = urid_map;
    W.unmap.unmap = urid_unmap;
    map_urids(&W.u, &W.map);
    LilvWorld *w = W.world;
    W.n_audio = lilv_new_uri(w, LV2_CORE__AudioPort);
    W.n_control = lilv_new_uri(w, LV2_CORE__ControlPort);
    W.n_atom = lilv_new_uri(w, LV2_ATOM__AtomPort);
    W.n_input = lilv_new_uri(w, LV2_CORE__InputPort);
    W.n_output = lilv_new_uri(w, LV2_CORE__OutputPort);
    W.n_midi_event = lilv_new_uri(w, LV2_MIDI__MidiEvent);
    W.n_position = lilv_new_uri(w, LV2_TIME__Position);
    W.n_integer = lilv_new_uri(w, LV2_CORE__integer);
    W.n_toggled = lilv_new_uri(w, LV2_CORE__toggled);
    W.n_enum = lilv_new_uri(w, LV2_CORE__enumeration);
    W.n_latency = lilv_new_uri(w, LV2_CORE__latency);
    W.n_reports_latency = lilv_new_uri(w, LV2_CORE__reportsLatency);
    W.n_instrument = lilv_new_uri(w, LV2_CORE__InstrumentPlugin);
    W.n_state_iface = lilv_new_uri(w, LV2_STATE__interface);
    W.n_worker_iface = lilv_new_uri(w, LV2_WORKER__interface);
    W.n_label = lilv_new_uri(w, LILV_NS_RDFS "label");
    W.n_preset = lilv_new_uri(w, LV2_PRESETS__Preset);
    W.n_connection_optional = lilv_new_uri(w, LV2_CORE__connectionOptional);
    world_ready = 1;
    return &W;
}

int gb_lv2_is_id(const char *id)
{
    return id && strncmp(id, GB_LV2_PREFIX, strlen(GB_LV2_PREFIX)) == 0;
}

/* ---------------------------------------------------------------- descriptors */

typedef struct cache_entry {
    const LilvPlugin *plugin;
    const gbp_descriptor_t *d;
} cache_entry_t;
static cache_entry_t *cache;
static size_t n_cache, cap_cache;

static const LilvPlugin *find_plugin(gb_lv2_world_t *w, const char *uri)
{
    LilvNode *n = lilv_new_uri(w->world, uri);
    if (!n)
        return NULL;
    const LilvPlugin *p = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(w->world), n);
    lilv_node_free(n);
    return p;
}

/* The first required feature gbac does not provide, or NULL. */
static const char *missing_feature(const LilvPlugin *p, char *buf, size_t cap)
{
    LilvNodes *req = lilv_plugin_get_required_features(p);
    const char *miss = NULL;
    LILV_FOREACH (nodes, i, req) {
        const char *f = lilv_node_as_uri(lilv_nodes_get(req, i));
        int ok = 0;
        for (const char *const *h = gb_lv2_host_features; *h; h++)
            ok |= strcmp(*h, f) == 0;
        if (!ok) {
            snprintf(buf, cap, "%s", f);
            miss = buf;
            break;
        }
    }
    lilv_nodes_free(req);
    return miss;
}

const gbp_descriptor_t *gb_lv2_descriptor(const char *id, gb_error_t *err)
{
    if (!gb_lv2_is_id(id)) {
        gb_error_set(err, GB_EINVAL, "'%s' is not an LV2 unit id (lv2:URI)", id ? id : "");
        return NULL;
    }
    const char *uri = id + strlen(GB_LV2_PREFIX);
    gb_lv2_world_t *w = gb_lv2_world();
    const LilvPlugin *p = find_plugin(w, uri);
    if (!p) {
        gb_error_set(err, GB_EINVAL,
                     "no LV2 plugin with the URI <%s> is installed (LV2_PATH: %s; "
                     "`gbac plugins list` shows them)",
                     uri, getenv("LV2_PATH") ? getenv("LV2_PATH") : "the default folders");
        return NULL;
    }
    for (size_t i = 0; i < n_cache; i++)
        if (cache[i].plugin == p)
            return cache[i].d;
    char fb[512];
    const char *miss = missing_feature(p, fb, sizeof fb);
    if (miss) {
        gb_error_set(err, GB_EUNSUPPORTED,
                     "LV2 plugin <%s> requires the feature <%s>, which gbac does not provide",
                     uri, miss);
        return NULL;
    }
    const gbp_descriptor_t *d = gb_lv2_desc_build(p, err);
    if (!d)
        return NULL;
    if (n_cache == cap_cache) {
        size_t cap = cap_cache ? 2 * cap_cache : 16;
        cache_entry_t *c = realloc(cache, cap * sizeof *c);
        if (!c) {
            gb_error_set(err, GB_ENOMEM, "out of memory");
            return NULL;
        }
        cache = c;
        cap_cache = cap;
    }
    cache[n_cache].plugin = p;
    cache[n_cache++].d = d;
    return d;
}

/* ---------------------------------------------------------------- listing */

static const char *kind_word(gbp_kind_t k)
{
    return k == GBP_KIND_EFFECT ? "effect" : k == GBP_KIND_INSTRUMENT ? "instrument"
                                                                       : "note source";
}

static json_t *port_json(gb_lv2_world_t *w, const LilvPlugin *p, const LilvPort *port)
{
    json_t *o = json_object();
    json_object_set_new(o, "index", json_integer(lilv_port_get_index(p, port)));
    json_object_set_new(o, "symbol", json_string(lilv_node_as_string(lilv_port_get_symbol(p, port))));
    LilvNode *nm = lilv_port_get_name(p, port);
    json_object_set_new(o, "name", json_string(nm ? lilv_node_as_string(nm) : ""));
    lilv_node_free(nm);
    const char *type = lilv_port_is_a(p, port, w->n_audio)     ? "audio"
                       : lilv_port_is_a(p, port, w->n_control) ? "control"
                       : lilv_port_is_a(p, port, w->n_atom)    ? "atom"
                                                               : "other";
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "direction",
                        json_string(lilv_port_is_a(p, port, w->n_input) ? "in" : "out"));
    if (strcmp(type, "control") == 0) {
        LilvNode *def, *min, *max;
        lilv_port_get_range(p, port, &def, &min, &max);
        if (min)
            json_object_set_new(o, "min", json_real(lilv_node_as_float(min)));
        if (max)
            json_object_set_new(o, "max", json_real(lilv_node_as_float(max)));
        if (def)
            json_object_set_new(o, "default", json_real(lilv_node_as_float(def)));
        lilv_node_free(def);
        lilv_node_free(min);
        lilv_node_free(max);
    }
    return o;
}

static json_t *plugin_json(gb_lv2_world_t *w, const LilvPlugin *p, int full)
{
    json_t *o = json_object();
    const char *uri = lilv_node_as_uri(lilv_plugin_get_uri(p));
    char id[1024];
    snprintf(id, sizeof id, "%s%s", GB_LV2_PREFIX, uri);
    json_object_set_new(o, "uri", json_string(uri));
    json_object_set_new(o, "id", json_string(id));
    LilvNode *nm = lilv_plugin_get_name(p);
    json_object_set_new(o, "name", json_string(nm ? lilv_node_as_string(nm) : uri));
    lilv_node_free(nm);
    json_object_set_new(o, "format", json_string("lv2"));
    const char *why = NULL;
    char fb[512];
    const char *miss = missing_feature(p, fb, sizeof fb);
    gbp_kind_t k = gb_lv2_kind(p, &why);
    json_object_set_new(o, "kind", k ? json_string(kind_word(k)) : json_null());
    if (miss || !k) {
        char r[700];
        if (miss)
            snprintf(r, sizeof r, "requires <%s>, which gbac does not provide", miss);
        else
            snprintf(r, sizeof r, "%s", why);
        json_object_set_new(o, "unsupported", json_string(r));
    }
    uint32_t np = lilv_plugin_get_num_ports(p);
    if (!full) {
        json_object_set_new(o, "ports", json_integer(np));
        return o;
    }
    json_t *ports = json_array();
    for (uint32_t i = 0; i < np; i++)
        json_array_append_new(ports, port_json(w, p, lilv_plugin_get_port_by_index(p, i)));
    json_object_set_new(o, "ports", ports);
    json_t *feat = json_array();
    LilvNodes *req = lilv_plugin_get_required_features(p);
    LILV_FOREACH (nodes, i, req)
        json_array_append_new(feat, json_string(lilv_node_as_uri(lilv_nodes_get(req, i))));
    lilv_nodes_free(req);
    json_object_set_new(o, "required_features", feat);
    json_t *pr = json_array();
    LilvNodes *presets = lilv_plugin_get_related(p, w->n_preset);
    LILV_FOREACH (nodes, i, presets) {
        const LilvNode *pn = lilv_nodes_get(presets, i);
        lilv_world_load_resource(w->world, pn);
        LilvNodes *labels = lilv_world_find_nodes(w->world, pn, w->n_label, NULL);
        json_t *e = json_object();
        json_object_set_new(e, "uri", json_string(lilv_node_as_uri(pn)));
        if (labels && lilv_nodes_size(labels))
            json_object_set_new(e, "label",
                                json_string(lilv_node_as_string(lilv_nodes_get_first(labels))));
        lilv_nodes_free(labels);
        json_array_append_new(pr, e);
    }
    lilv_nodes_free(presets);
    json_object_set_new(o, "presets", pr);
    return o;
}

json_t *gb_lv2_list(void)
{
    gb_lv2_world_t *w = gb_lv2_world();
    json_t *a = json_array();
    const LilvPlugins *all = lilv_world_get_all_plugins(w->world);
    LILV_FOREACH (plugins, i, all)
        json_array_append_new(a, plugin_json(w, lilv_plugins_get(all, i), 0));
    return a;
}

json_t *gb_lv2_info(const char *uri, gb_error_t *err)
{
    gb_lv2_world_t *w = gb_lv2_world();
    if (gb_lv2_is_id(uri))
        uri += strlen(GB_LV2_PREFIX);
    const LilvPlugin *p = find_plugin(w, uri);
    if (!p) {
        gb_error_set(err, GB_EINVAL, "no LV2 plugin with the URI <%s> is installed", uri);
        return NULL;
    }
    return plugin_json(w, p, 1);
}
