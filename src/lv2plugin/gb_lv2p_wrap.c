/* gb_lv2p_wrap.c — the LV2 descriptor of every wrapped unit; instantiate, ports, activation
 * (the audio side is gb_lv2p_run.c, state gb_lv2p_state.c).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_lv2p_wrap.h"

#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <lv2/atom/atom.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/midi/midi.h>
#include <lv2/options/options.h>
#include <lv2/state/state.h>
#include <lv2/time/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gb_common.h"

/* The install layout: the bundle's folder relative to the data folder, from CMake. */
#ifndef GBAC_LV2P_REL_DATADIR
#define GBAC_LV2P_REL_DATADIR "../../../share/gbac"
#endif
#define GB_LV2P_DEFAULT_BLOCK 1024u

void gb_lv2p_run(LV2_Handle h, uint32_t n_frames) GB_RT; /* gb_lv2p_run.c */

void gb_lv2p_log(gb_lv2p_t *g, int level, const char *msg)
{
    if (level == GBP_LOG_ERROR)
        lv2_log_error(&g->logger, "gbac.lv2 %s: %s\n", g->d->id, msg);
    else if (level == GBP_LOG_WARNING)
        lv2_log_warning(&g->logger, "gbac.lv2 %s: %s\n", g->d->id, msg);
    else
        lv2_log_note(&g->logger, "gbac.lv2 %s: %s\n", g->d->id, msg);
}

/* The unit's log: shown from [main]; from the audio thread (while run() is in progress)
 * dropped and counted, never formatted there. */
static void host_log(const gbp_host_t *h, int level, const char *msg) GB_RT
{
    gb_lv2p_t *g = h->host_data;
    if (atomic_load_explicit(&g->in_run, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&g->dropped_logs, 1, memory_order_relaxed);
        return;
    }
    GB_OFF_AUDIO_BEGIN /* only when run() is not in progress: a [main] call */
    gb_lv2p_log(g, level, msg);
    GB_OFF_AUDIO_END
}

int gb_lv2p_data_dir(const char *bundle, const char *probe, char *out, size_t cap, char *tried,
                    size_t tcap)
{
    char cand[4][4096];
    int n = 0;
    const char *env = getenv("GBAC_DATA_DIR");
    size_t bl = strlen(bundle);
    const char *sep = bl && bundle[bl - 1] == '/' ? "" : "/";
    if (env && *env) {
        snprintf(cand[n++], sizeof cand[0], "%s", env);
    } else {
        snprintf(cand[n++], sizeof cand[0], "%.4000s", bundle);
        snprintf(cand[n++], sizeof cand[0], "%.4000s%s%s", bundle, sep, GBAC_LV2P_REL_DATADIR);
        snprintf(cand[n++], sizeof cand[0], "%.4000s%s../../share/gbac", bundle, sep);
    }
    size_t used = 0;
    tried[0] = '\0';
    for (int i = 0; i < n; i++) {
        char p[8300], real[PATH_MAX];
        snprintf(p, sizeof p, "%.4095s/%.4000s", cand[i], probe);
        if (access(p, R_OK) == 0 && realpath(cand[i], real)) {
            snprintf(out, cap, "%s", real);
            return 0;
        }
        const char *shown = realpath(cand[i], real) ? real : cand[i];
        int k = snprintf(tried + used, tcap - used, "%s%s%s", used ? ", " : "", shown,
                         env && *env ? " (GBAC_DATA_DIR)" : "");
        if (k > 0 && used + (size_t)k < tcap)
            used += (size_t)k;
    }
    return -1;
}

/* The unit's default model (the relative "model" of its state before anything is loaded),
 * found in gbac's data folder and given to the unit by absolute path, so the unit never
 * looks relative to the host's executable. Units without a model need nothing. [main] */
static int give_model(gb_lv2p_t *g, const char *bundle)
{
    if (!g->d->save_state)
        return 0;
    char buf[8192], rel[1024] = "", err[1024];
    int n = g->d->save_state(g->self, buf, sizeof buf);
    json_t *root = n > 0 && (size_t)n < sizeof buf ? json_loads(buf, 0, NULL) : NULL;
    const char *m = root ? json_string_value(json_object_get(root, "model")) : NULL;
    if (m && m[0] != '/')
        snprintf(rel, sizeof rel, "%s", m);
    json_decref(root);
    if (!rel[0])
        return 0;
    char tried[8192], path[8192];
    if (gb_lv2p_data_dir(bundle, rel, g->data_dir, sizeof g->data_dir, tried, sizeof tried) < 0) {
        snprintf(buf, sizeof buf, "cannot find its model %.1000s; looked in: %.7000s", rel, tried);
        gb_lv2p_log(g, GBP_LOG_ERROR, buf);
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s", g->data_dir, rel);
    json_t *st = json_pack("{s:s}", "model", path);
    char *text = st ? json_dumps(st, JSON_COMPACT) : NULL;
    json_decref(st);
    int rc = text ? g->d->load_state(g->self, text, err, sizeof err) : -1;
    free(text);
    if (rc < 0) {
        snprintf(buf, sizeof buf, "model %.4000s: %.1000s", path, err);
        gb_lv2p_log(g, GBP_LOG_ERROR, buf);
        return -1;
    }
    return 0;
}

static void map_urids(gb_lv2p_t *g)
{
    LV2_URID_Map *m = g->map;
    gb_lv2p_urids_t *u = &g->u;
#define M(field, uri) u->field = m->map(m->handle, uri)
    M(atom_Object, LV2_ATOM__Object);
    M(atom_Blank, LV2_ATOM__Blank);
    M(atom_Float, LV2_ATOM__Float);
    M(atom_Double, LV2_ATOM__Double);
    M(atom_Int, LV2_ATOM__Int);
    M(atom_Long, LV2_ATOM__Long);
    M(atom_Sequence, LV2_ATOM__Sequence);
    M(atom_String, LV2_ATOM__String);
    M(atom_Path, LV2_ATOM__Path);
    M(midi_Event, LV2_MIDI__MidiEvent);
    M(time_Position, LV2_TIME__Position);
    M(time_frame, LV2_TIME__frame);
    M(time_speed, LV2_TIME__speed);
    M(time_bar, LV2_TIME__bar);
    M(time_barBeat, LV2_TIME__barBeat);
    M(time_beatUnit, LV2_TIME__beatUnit);
    M(time_beatsPerBar, LV2_TIME__beatsPerBar);
    M(time_beatsPerMinute, LV2_TIME__beatsPerMinute);
    M(bufsz_max, LV2_BUF_SIZE__maxBlockLength);
    M(state_json, GB_LV2P_STATE_JSON);
    M(state_model, GB_LV2P_STATE_MODEL);
#undef M
}

/* bufsz:maxBlockLength from the options feature, if given. */
static void read_options(gb_lv2p_t *g, const LV2_Options_Option *opt)
{
    for (; opt && opt->key; opt++) {
        if (opt->key != g->u.bufsz_max || !opt->value)
            continue;
        int64_t v = opt->type == g->u.atom_Int    ? *(const int32_t *)opt->value
                    : opt->type == g->u.atom_Long ? *(const int64_t *)opt->value
                                                  : 0;
        if (v >= 1 && v <= 65536)
            g->max_block = (uint32_t)v;
    }
}

static void cleanup(LV2_Handle h)
{
    gb_lv2p_t *g = h;
    if (!g)
        return;
    if (g->self)
        g->d->destroy(g->self);
    free(g->pport);
    free(g->sent);
    free(g);
}

static LV2_Handle instantiate(const LV2_Descriptor *desc, double rate, const char *bundle,
                              const LV2_Feature *const *features)
{
    const gb_lv2p_plugin_t *pl = NULL;
    for (uint32_t i = 0; (pl = gb_lv2p_plugin(i)) != NULL; i++)
        if (strcmp(pl->uri, desc->URI) == 0)
            break;
    gb_lv2p_t *g = pl ? calloc(1, sizeof *g) : NULL;
    if (!g)
        return NULL;
    g->pl = pl;
    g->d = pl->unit;
    g->lay = gb_lv2p_layout(g->d->kind);
    g->sr = rate;
    g->max_block = GB_LV2P_DEFAULT_BLOCK;
    const LV2_Options_Option *opts = NULL;
    LV2_Log_Log *log = NULL;
    for (int i = 0; features && features[i]; i++) {
        if (strcmp(features[i]->URI, LV2_URID__map) == 0)
            g->map = features[i]->data;
        else if (strcmp(features[i]->URI, LV2_OPTIONS__options) == 0)
            opts = features[i]->data;
        else if (strcmp(features[i]->URI, LV2_LOG__log) == 0)
            log = features[i]->data;
    }
    lv2_log_logger_init(&g->logger, g->map, log);
    if (!g->map) {
        lv2_log_error(&g->logger, "gbac.lv2 %s: the host lacks the required feature %s\n",
                      g->d->id, LV2_URID__map);
        free(g);
        return NULL;
    }
    map_urids(g);
    read_options(g, opts);
    g->host = (gbp_host_t){.abi_version = GBP_ABI_VERSION, .host_data = g, .log = host_log,
                           .seed = 1};
    g->pport = calloc(g->d->n_params + 1, sizeof *g->pport);
    g->sent = calloc(g->d->n_params + 1, sizeof *g->sent);
    g->self = g->pport && g->sent ? g->d->create(g->d, &g->host) : NULL;
    if (!g->self || give_model(g, bundle) < 0) {
        cleanup(g);
        return NULL;
    }
    g->latency = g->d->get_extension ? g->d->get_extension(g->self, GBP_EXT_LATENCY) : NULL;
    atomic_init(&g->in_run, 0);
    return g;
}

static void connect_port(LV2_Handle h, uint32_t port, void *data)
{
    gb_lv2p_t *g = h;
    const gb_lv2p_layout_t *l = &g->lay;
    if (port == l->events_in)
        g->in = data;
    else if (port == l->events_out)
        g->out = data;
    else if (port == l->out_l)
        g->audio[0] = data;
    else if (port == l->out_r)
        g->audio[1] = data;
    else if (port == l->latency)
        g->lat_port = data;
    else if (port >= l->first_param && port - l->first_param < g->d->n_params)
        g->pport[port - l->first_param] = data;
}

static void activate(LV2_Handle h)
{
    gb_lv2p_t *g = h;
    for (uint32_t i = 0; i < g->d->n_params; i++) {
        const gbp_param_info_t *p = &g->d->params[i];
        if (!(p->flags & GBP_PARAM_READONLY) && g->pport[i])
            g->d->set_param(g->self, p->id, *g->pport[i]);
        g->sent[i] = g->d->get_param(g->self, p->id);
    }
    int rc = g->d->activate(g->self, g->sr, g->max_block);
    if (rc != 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "activation failed (%d): the plugin stays silent", rc);
        gb_lv2p_log(g, GBP_LOG_ERROR, msg);
        return;
    }
    g->tr = (gbp_transport_t){.sample_rate = g->sr, .tempo_bpm = 120.0, .beats_per_bar = 4,
                              .beat_unit = 4, .playing = 1};
    g->speed = 1.0;
    g->active = 1;
}

static void deactivate(LV2_Handle h)
{
    gb_lv2p_t *g = h;
    if (g->active)
        g->d->deactivate(g->self);
    g->active = 0;
    unsigned ev = atomic_exchange(&g->dropped_events, 0), lg = atomic_exchange(&g->dropped_logs, 0);
    if (ev || lg) {
        char msg[160];
        snprintf(msg, sizeof msg, "%u events and %u messages from the audio thread were dropped",
                 ev, lg);
        gb_lv2p_log(g, GBP_LOG_WARNING, msg);
    }
}

static const void *extension_data(const char *uri)
{
    return strcmp(uri, LV2_STATE__interface) == 0 ? gb_lv2p_state_interface() : NULL;
}

static LV2_Descriptor descriptors[8];
static pthread_once_t descriptors_once = PTHREAD_ONCE_INIT;

static void fill_descriptors(void)
{
    const gb_lv2p_plugin_t *pl;
    for (uint32_t i = 0; i < 8 && (pl = gb_lv2p_plugin(i)) != NULL; i++)
        descriptors[i] = (LV2_Descriptor){.URI = pl->uri, .instantiate = instantiate,
                                          .connect_port = connect_port, .activate = activate,
                                          .run = gb_lv2p_run, .deactivate = deactivate,
                                          .cleanup = cleanup, .extension_data = extension_data};
}

/** The plugins of the bundle, by index (the only symbol the shared object exports). [any] */
LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index)
{
    pthread_once(&descriptors_once, fill_descriptors);
    return index < 8 && descriptors[index].URI ? &descriptors[index] : NULL;
}
