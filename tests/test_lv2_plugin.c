/* test_lv2_plugin.c — gbac.lv2 (src/lv2plugin) loaded through lilv like any LV2 host loads it:
 * its .ttl files against the units' parameter tables, A4 through both instruments at
 * 440 ± 1 Hz from the exact frame of the note, a control port, state round trips (latents,
 * taste, a model inside and outside gbac's data folder through state:mapPath, a bad state
 * refused with its message; through lilv, a model outside copied into the state's folder by
 * state:makePath, the folder moved and restored), the melody generator's MIDI out on the grid of the tempo and bar
 * given by time:Position, and the refusals at instantiate (no urid:map, no model found).
 * run() is called from a GB_RT function: in the RTSan build any allocation, lock or system
 * call in the wrapper or the units aborts the test.
 * The bundle: $GB_LV2P_BUNDLE (the build tree's, or an installed one from tests/install_check.sh);
 * GBT_LV2_ONLY=a4 runs only the A4 tests (the installed bundle finds its models by itself).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <lv2/state/state.h>
#include <lv2/time/time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gb_builtin_units.h"
#include "gb_common.h"
#include "gb_lv2p_host.h"
#include "gb_tmpdir.h"

#define SR 48000.0
#define URI_TV "urn:gbac:timbre-vae"
#define URI_HS "urn:gbac:harmonic-synth"
#define URI_MG "urn:gbac:melody-gan"
#define KEY_JSON "urn:gbac:state#json"
#define KEY_MODEL "urn:gbac:state#model"

static LilvWorld *world;
static char bundle[4096];

static const LilvPlugin *plugin(const char *uri)
{
    LilvNode *u = lilv_new_uri(world, uri);
    const LilvPlugin *p = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(world), u);
    lilv_node_free(u);
    return p;
}

static const gbp_descriptor_t *unit_of(const char *uri)
{
    return strcmp(uri, URI_TV) == 0   ? &gb_unit_timbrevae
           : strcmp(uri, URI_HS) == 0 ? &gb_unit_harmsynth
                                      : &gb_unit_melodygan;
}

/* One instance with every port connected to a buffer of its own. */
typedef struct inst {
    gbt_lv2_t host;
    const LilvPlugin *p;
    LilvInstance *in;
    float ctl[64];
    float *audio[2];
    gbt_seq_t ev_in, ev_out;
    uint32_t n_ports;
} inst_t;

static uint32_t port_index(const inst_t *s, const char *sym)
{
    LilvNode *n = lilv_new_string(world, sym);
    const LilvPort *port = lilv_plugin_get_port_by_symbol(s->p, n);
    lilv_node_free(n);
    assert_non_null(port);
    return lilv_port_get_index(s->p, port);
}

static float *ctl(inst_t *s, const char *sym) { return &s->ctl[port_index(s, sym)]; }

static int inst_open(inst_t *s, const char *uri, int32_t max_block)
{
    memset(s, 0, sizeof *s);
    gbt_lv2_init(&s->host, (float)SR, max_block);
    s->p = plugin(uri);
    assert_non_null(s->p);
    s->in = lilv_plugin_instantiate(s->p, SR, s->host.features);
    if (!s->in)
        return -1;
    s->n_ports = lilv_plugin_get_num_ports(s->p);
    assert_true(s->n_ports <= 64);
    float defs[64];
    lilv_plugin_get_port_ranges_float(s->p, NULL, NULL, defs);
    gbt_seq_alloc(&s->ev_in, 1 << 16);
    gbt_seq_alloc(&s->ev_out, 1 << 16);
    gbt_seq_clear(&s->ev_in, &s->host);
    for (int c = 0; c < 2; c++)
        s->audio[c] = calloc(8192, sizeof(float));
    for (uint32_t i = 0; i < s->n_ports; i++) {
        s->ctl[i] = isnan(defs[i]) ? 0.0f : defs[i];
        lilv_instance_connect_port(s->in, i, &s->ctl[i]);
    }
    lilv_instance_connect_port(s->in, port_index(s, "events_in"), &s->ev_in.u->seq);
    if (unit_of(uri)->kind == GBP_KIND_NOTE_SOURCE) {
        lilv_instance_connect_port(s->in, port_index(s, "events_out"), &s->ev_out.u->seq);
    } else {
        lilv_instance_connect_port(s->in, port_index(s, "out_l"), s->audio[0]);
        lilv_instance_connect_port(s->in, port_index(s, "out_r"), s->audio[1]);
    }
    return 0;
}

static void inst_close(inst_t *s)
{
    if (s->in) {
        lilv_instance_deactivate(s->in);
        lilv_instance_free(s->in);
    }
    free(s->ev_in.u);
    free(s->ev_out.u);
    free(s->audio[0]);
    free(s->audio[1]);
    gbt_lv2_free(&s->host);
}

/* run() as the audio thread calls it. */
static void run_rt(LilvInstance *in, uint32_t n) GB_RT
{
    GB_RT_ESCAPE_BEGIN /* the plugin's run() is what RTSan checks here, at run time */
    lilv_instance_run(in, n);
    GB_RT_ESCAPE_END
}

/* Run `frames` frames in blocks of `block`, the input sequence in the first block only;
 * out gets the left channel (instruments). */
static void render(inst_t *s, float *out, uint32_t frames, uint32_t block)
{
    for (uint32_t pos = 0; pos < frames; pos += block) {
        const uint32_t n = frames - pos < block ? frames - pos : block;
        gbt_seq_out(&s->ev_out, &s->host);
        run_rt(s->in, n);
        gbt_seq_clear(&s->ev_in, &s->host);
        if (out)
            memcpy(out + pos, s->audio[0], n * sizeof(float));
    }
}

/* ---- the bundle's description against the units ------------------------------------- */

static void t_ttl_matches_units(void **st)
{
    (void)st;
    const char *uris[] = {URI_TV, URI_HS, URI_MG};
    LilvNode *lat = lilv_new_uri(world, LV2_CORE__reportsLatency);
    for (int k = 0; k < 3; k++) {
        const LilvPlugin *p = plugin(uris[k]);
        assert_non_null(p);
        const gbp_descriptor_t *d = unit_of(uris[k]);
        const char *cls = lilv_node_as_uri(lilv_plugin_class_get_uri(lilv_plugin_get_class(p)));
        assert_string_equal(cls, d->kind == GBP_KIND_NOTE_SOURCE ? LV2_CORE_PREFIX "MIDIPlugin"
                                                                 : LV2_CORE__InstrumentPlugin);
        const uint32_t fixed = d->kind == GBP_KIND_NOTE_SOURCE ? 3 : 4;
        assert_int_equal(lilv_plugin_get_num_ports(p), fixed + d->n_params);
        LilvNode *ls = lilv_new_string(world, "latency");
        const LilvPort *lp = lilv_plugin_get_port_by_symbol(p, ls);
        lilv_node_free(ls);
        assert_non_null(lp);
        assert_true(lilv_port_has_property(p, lp, lat));
        float mins[64], maxs[64], defs[64];
        lilv_plugin_get_port_ranges_float(p, mins, maxs, defs);
        for (uint32_t i = 0; i < d->n_params; i++) {
            const gbp_param_info_t *pi = &d->params[i];
            LilvNode *sym = lilv_new_string(world, pi->name);
            const LilvPort *port = lilv_plugin_get_port_by_symbol(p, sym);
            lilv_node_free(sym);
            assert_non_null(port);
            const uint32_t ix = lilv_port_get_index(p, port);
            assert_int_equal(ix, fixed + i);
            assert_true(mins[ix] == pi->min && maxs[ix] == pi->max && defs[ix] == pi->def);
            LilvNode *out = lilv_new_uri(world, LV2_CORE__OutputPort);
            assert_int_equal(lilv_port_is_a(p, port, out), (pi->flags & GBP_PARAM_READONLY) != 0);
            lilv_node_free(out);
        }
        LilvNodes *req = lilv_plugin_get_required_features(p);
        assert_int_equal(lilv_nodes_size(req), 1);
        lilv_nodes_free(req);
    }
    lilv_node_free(lat);
}

/* ---- A4 through the instruments --------------------------------------------------------- */

static void a4(const char *uri)
{
    inst_t s;
    assert_int_equal(inst_open(&s, uri, 256), 0);
    lilv_instance_activate(s.in);
    const uint32_t n = (uint32_t)SR, onset = 1000;
    float *out = calloc(n, sizeof(float));
    /* The note in the 4th block of 300 frames (100 frames into it); blocks larger than
     * maxBlockLength are the wrapper's to split. */
    render(&s, out, 900, 300);
    gbt_seq_midi(&s.ev_in, &s.host, onset - 900, 0x90, 69, 100);
    render(&s, out + 900, n - 900, 300);
    for (uint32_t i = 0; i < onset; i++)
        assert_true(out[i] == 0.0f);
    float peak = 0.0f;
    for (uint32_t i = onset; i < onset + 480; i++)
        peak = fabsf(out[i]) > peak ? fabsf(out[i]) : peak;
    assert_true(peak > 1e-3f);
    const double f = gbt_pitch(out + n / 4, n / 2, SR);
    printf("%s: A4 at %.3f Hz, first sample at frame %u, latency %g\n", uri, f, onset,
           (double)*ctl(&s, "latency"));
    assert_true(fabs(f - 440.0) <= 1.0);
    assert_true(*ctl(&s, "latency") == 0.0f);
    free(out);
    inst_close(&s);
}

static void t_a4_timbre_vae(void **st) { (void)st; a4(URI_TV); }
static void t_a4_harmonic_synth(void **st) { (void)st; a4(URI_HS); }

/* A control port is a parameter: gain_db −26 against −6 is 20 dB quieter. */
static void t_control_port(void **st)
{
    (void)st;
    double rms[2];
    const float gain[2] = {-6.0f, -26.0f};
    for (int k = 0; k < 2; k++) {
        inst_t s;
        assert_int_equal(inst_open(&s, URI_HS, 512), 0);
        *ctl(&s, "gain_db") = gain[k];
        lilv_instance_activate(s.in);
        float *out = calloc(24000, sizeof(float));
        gbt_seq_midi(&s.ev_in, &s.host, 0, 0x90, 69, 100);
        render(&s, out, 24000, 512);
        double e = 0.0;
        for (int i = 12000; i < 24000; i++)
            e += (double)out[i] * out[i];
        rms[k] = sqrt(e / 12000.0);
        free(out);
        inst_close(&s);
    }
    const double db = 20.0 * log10(rms[0] / rms[1]);
    printf("gain_db -6 vs -26: %.3f dB\n", db);
    assert_true(fabs(db - 20.0) < 0.1);
}

/* ---- state ---------------------------------------------------------------------------- */

typedef struct kv {
    gbt_lv2_t *host;
    char json[16384];
    char model[4096]; /* "" when not stored */
    uint32_t json_type, model_type;
} kv_t;

static LV2_State_Status kv_store(LV2_State_Handle h, uint32_t key, const void *value,
                                 size_t size, uint32_t type, uint32_t flags)
{
    kv_t *kv = h;
    (void)flags;
    if (key == gbt_map(kv->host, KEY_JSON) && size < sizeof kv->json) {
        memcpy(kv->json, value, size);
        kv->json_type = type;
    } else if (key == gbt_map(kv->host, KEY_MODEL) && size < sizeof kv->model) {
        memcpy(kv->model, value, size);
        kv->model_type = type;
    } else {
        return LV2_STATE_ERR_NO_PROPERTY;
    }
    return LV2_STATE_SUCCESS;
}

static const void *kv_retrieve(LV2_State_Handle h, uint32_t key, size_t *size, uint32_t *type,
                               uint32_t *flags)
{
    kv_t *kv = h;
    *flags = LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE;
    if (key == gbt_map(kv->host, KEY_JSON) && kv->json[0]) {
        *size = strlen(kv->json) + 1;
        *type = kv->json_type ? kv->json_type : gbt_map(kv->host, LV2_ATOM__String);
        return kv->json;
    }
    if (key == gbt_map(kv->host, KEY_MODEL) && kv->model[0]) {
        *size = strlen(kv->model) + 1;
        *type = kv->model_type ? kv->model_type : gbt_map(kv->host, LV2_ATOM__Path);
        return kv->model;
    }
    return NULL;
}

/* state:mapPath relative to a folder (as a session manager's state folder). */
static char map_dir[4096];
static char *abstract_path(LV2_State_Map_Path_Handle h, const char *abs)
{
    (void)h;
    size_t n = strlen(map_dir);
    return strdup(strncmp(abs, map_dir, n) == 0 && abs[n] == '/' ? abs + n + 1 : abs);
}
static char *absolute_path(LV2_State_Map_Path_Handle h, const char *abstract)
{
    (void)h;
    char b[8300];
    snprintf(b, sizeof b, "%s/%s", map_dir, abstract);
    return strdup(abstract[0] == '/' ? abstract : b);
}
static LV2_State_Map_Path map_path = {NULL, abstract_path, absolute_path};
static const LV2_Feature f_map_path = {LV2_STATE__mapPath, &map_path};
static const LV2_Feature *const with_map_path[] = {&f_map_path, NULL};

static const LV2_State_Interface *state_of(inst_t *s)
{
    const LV2_State_Interface *si = lilv_instance_get_extension_data(s->in, LV2_STATE__interface);
    assert_non_null(si);
    return si;
}

static int restore(inst_t *s, kv_t *kv, const LV2_Feature *const *f)
{
    kv->host = &s->host;
    return (int)state_of(s)->restore(lilv_instance_get_handle(s->in), kv_retrieve, kv, 0, f);
}

static void save(inst_t *s, kv_t *kv, const LV2_Feature *const *f)
{
    memset(kv, 0, sizeof *kv);
    kv->host = &s->host;
    assert_int_equal(state_of(s)->save(lilv_instance_get_handle(s->in), kv_store, kv, 0, f),
                     LV2_STATE_SUCCESS);
    assert_int_equal(kv->json_type, gbt_map(&s->host, LV2_ATOM__String));
}

static void t_state_timbre_vae(void **st)
{
    (void)st;
    inst_t a, b;
    assert_int_equal(inst_open(&a, URI_TV, 512), 0);
    kv_t kv = {.json = "{\"latents\":{\"a\":[1.5,-2.25,0,0,0,0,0,0]}}"};
    assert_int_equal(restore(&a, &kv, NULL), LV2_STATE_SUCCESS);
    save(&a, &kv, NULL);
    /* the shipped model, relative to gbac's data folder: the state is portable */
    assert_non_null(strstr(kv.json, "\"model\":\"models/timbre-vae.safetensors\""));
    assert_non_null(strstr(kv.json, "\"a\":[1.5,-2.25,"));
    assert_string_equal(kv.model, "");
    lilv_instance_activate(a.in);
    assert_int_equal(inst_open(&b, URI_TV, 512), 0);
    assert_int_equal(restore(&b, &kv, NULL), LV2_STATE_SUCCESS);
    kv_t kv2;
    save(&b, &kv2, NULL);
    assert_string_equal(kv.json, kv2.json);

    /* a model outside the data folder goes through state:mapPath as an atom:Path */
    char td[1024];
    assert_int_equal(gbt_tmpdir(td, sizeof td, "lv2state"), 0);
    snprintf(map_dir, sizeof map_dir, "%s", td);
    char src[8300], dst[8300], cmd[17000];
    const char *srcdir = getenv("GBAC_SOURCE_DIR");
    assert_non_null(srcdir);
    snprintf(src, sizeof src, "%s/models/timbre-vae.safetensors", srcdir);
    snprintf(dst, sizeof dst, "%s/mine.safetensors", td);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", src, dst);
    assert_int_equal(system(cmd), 0);
    kv_t kv3 = {.json = ""};
    snprintf(kv3.json, sizeof kv3.json, "{\"model\":\"%s\"}", dst);
    assert_int_equal(restore(&a, &kv3, NULL), LV2_STATE_SUCCESS); /* while active */
    save(&a, &kv3, with_map_path);
    assert_string_equal(kv3.model, "mine.safetensors");
    assert_int_equal(kv3.model_type, gbt_map(&a.host, LV2_ATOM__Path));
    assert_null(strstr(kv3.json, "\"model\""));
    inst_t c;
    assert_int_equal(inst_open(&c, URI_TV, 512), 0);
    assert_int_equal(restore(&c, &kv3, with_map_path), LV2_STATE_SUCCESS);
    kv_t kv4;
    save(&c, &kv4, NULL); /* no mapPath: the absolute file */
    char want[9000];
    snprintf(want, sizeof want, "\"model\":\"%s\"", dst);
    assert_non_null(strstr(kv4.json, want));

    /* a bad state is refused, with the unit's message */
    kv_t bad = {.json = "{\"latents\":{\"e\":[1]}}"};
    c.host.last_log[0] = '\0';
    assert_int_equal(restore(&c, &bad, NULL), LV2_STATE_ERR_UNKNOWN);
    assert_non_null(strstr(c.host.last_log, "gbac.timbre-vae: state: state.latents.e"));
    kv_t junk = {.json = "{not json"};
    assert_int_equal(restore(&c, &junk, NULL), LV2_STATE_ERR_UNKNOWN);
    assert_non_null(strstr(c.host.last_log, "state: not a JSON object (line 1"));
    inst_close(&c);
    inst_close(&b);
    inst_close(&a);
    gbt_rm_rf(td);
}

/* ---- state through lilv: the file moves with the state's folder ------------------------- */

static const char *gbt_unmap(LV2_URID_Unmap_Handle h, LV2_URID urid)
{
    const gbt_lv2_t *t = h;
    return urid >= 1 && urid <= t->n_uris ? t->uris[urid - 1] : NULL;
}

static int file_holds(const char *path, const char *text)
{
    char buf[65536];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return strstr(buf, text) != NULL;
}

/* lilv saves an instance playing a model from outside gbac's data folder into a folder
 * (lilv_state_new_from_instance + lilv_state_save, which offer state:makePath, mapPath and
 * freePath), the folder is moved and the original model deleted; lilv restores the moved
 * state into a new instance, which plays the copy in the moved folder with the same latents. */
static void t_state_lilv_folder_moves(void **st)
{
    (void)st;
    char td[1024], ext[1100], take[1100], moved[1100], ttl[1200], cmd[9000], want[1300];
    assert_int_equal(gbt_tmpdir(td, sizeof td, "lv2lilv"), 0);
    snprintf(ext, sizeof ext, "%s/ext", td);
    snprintf(take, sizeof take, "%s/take1", td);
    snprintf(moved, sizeof moved, "%s/moved", td);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s/models/timbre-vae.safetensors' "
             "'%s/mine.safetensors'", ext, getenv("GBAC_SOURCE_DIR"), ext);
    assert_int_equal(system(cmd), 0);
    inst_t a, b;
    assert_int_equal(inst_open(&a, URI_TV, 512), 0);
    kv_t kv = {.json = ""};
    snprintf(kv.json, sizeof kv.json,
             "{\"model\":\"%s/mine.safetensors\",\"latents\":{\"a\":[1.5,-2.25,0,0,0,0,0,0]}}",
             ext);
    assert_int_equal(restore(&a, &kv, NULL), LV2_STATE_SUCCESS);
    LV2_URID_Unmap unmap_a = {&a.host, gbt_unmap};
    LilvState *state = lilv_state_new_from_instance(a.p, a.in, &a.host.map, NULL, NULL, NULL,
                                                    take, NULL, NULL, 0, NULL);
    assert_non_null(state);
    assert_int_equal(lilv_state_save(world, &a.host.map, &unmap_a, state, NULL, take,
                                     "state.ttl"), 0);
    lilv_state_free(state);
    /* the copy is a file in the state's folder, named relative to it; no absolute path */
    struct stat sb;
    snprintf(ttl, sizeof ttl, "%s/mine.safetensors", take);
    assert_int_equal(lstat(ttl, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    snprintf(ttl, sizeof ttl, "%s/state.ttl", take);
    snprintf(cmd, sizeof cmd, "sed -n '/state#model/p' '%s'", ttl);
    printf("  state.ttl: ");
    fflush(stdout);
    assert_int_equal(system(cmd), 0);
    assert_true(file_holds(ttl, "<mine.safetensors>"));
    assert_false(file_holds(ttl, td));

    assert_int_equal(rename(take, moved), 0);
    snprintf(cmd, sizeof cmd, "rm -r '%s'", ext);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(inst_open(&b, URI_TV, 512), 0);
    snprintf(ttl, sizeof ttl, "%s/state.ttl", moved);
    LilvState *back = lilv_state_new_from_file(world, &b.host.map, NULL, ttl);
    assert_non_null(back);
    lilv_state_restore(back, b.in, NULL, NULL, 0, NULL);
    lilv_state_free(back);
    kv_t out;
    save(&b, &out, NULL); /* no mapPath: the model's absolute path, in the moved folder */
    printf("  restored from the moved folder: %.300s\n", out.json);
    snprintf(want, sizeof want, "\"model\":\"%s/mine.safetensors\"", moved);
    assert_non_null(strstr(out.json, want));
    assert_non_null(strstr(out.json, "\"a\":[1.5,-2.25,"));
    /* and it plays: A4 from the moved copy */
    lilv_instance_activate(b.in);
    gbt_seq_clear(&b.ev_in, &b.host);
    gbt_seq_midi(&b.ev_in, &b.host, 0, 0x90, 69, 100);
    float *y = calloc(24576, sizeof *y);
    render(&b, y, 24576, 512);
    double sum = 0.0;
    for (int i = 4096; i < 24576; i++)
        sum += (double)y[i] * y[i];
    free(y);
    printf("  A4 through the restored instance: RMS %.4f\n", sqrt(sum / 20480));
    assert_true(sqrt(sum / 20480) > 1e-3);
    inst_close(&b);
    inst_close(&a);
    gbt_rm_rf(td);
}

/* Every plugin's state survives save → restore into a new instance → save; the melody
 * generator's taste and the harmonic synth's timbre frames are in it. */
static void t_state_round_trip(void **st)
{
    (void)st;
    const char *uris[] = {URI_HS, URI_MG};
    const char *holds[] = {"\"timbre\":", "\"taste\":{"};
    const char *given[] = {NULL, "{\"taste\":{\"like\":[[0.5,0,0,0,0,0,0,0]],\"ratings\":3}}"};
    for (int k = 0; k < 2; k++) {
        inst_t a, b;
        kv_t kv, kv2;
        assert_int_equal(inst_open(&a, uris[k], 512), 0);
        if (given[k]) {
            kv_t in = {.json = ""};
            snprintf(in.json, sizeof in.json, "%s", given[k]);
            assert_int_equal(restore(&a, &in, NULL), LV2_STATE_SUCCESS);
        }
        save(&a, &kv, NULL);
        assert_non_null(strstr(kv.json, holds[k]));
        if (given[k])
            assert_non_null(strstr(kv.json, "\"ratings\":3"));
        assert_int_equal(inst_open(&b, uris[k], 512), 0);
        assert_int_equal(restore(&b, &kv, NULL), LV2_STATE_SUCCESS);
        save(&b, &kv2, NULL);
        assert_string_equal(kv.json, kv2.json);
        inst_close(&b);
        inst_close(&a);
    }
}

/* ---- the melody generator: MIDI out on the grid of time:Position ------------------------- */

typedef struct pos_atom {
    LV2_Atom_Object_Body body;
    struct { LV2_Atom_Property_Body p; float v; uint32_t pad; } bpm, speed, bar_beat, bpb;
    struct { LV2_Atom_Property_Body p; int64_t v; } bar;
} pos_atom_t;

static void send_position(inst_t *s, double bpm, double speed, int64_t bar)
{
    gbt_lv2_t *h = &s->host;
    const LV2_URID f = gbt_map(h, LV2_ATOM__Float);
    pos_atom_t a = {.body = {0, gbt_map(h, LV2_TIME__Position)}};
#define PROP(field, key, type, val)                                                        \
    a.field.p = (LV2_Atom_Property_Body){gbt_map(h, key), 0,                               \
                                         {sizeof a.field.v, type}};                        \
    a.field.v = val
    PROP(bpm, LV2_TIME__beatsPerMinute, f, (float)bpm);
    PROP(speed, LV2_TIME__speed, f, (float)speed);
    PROP(bar_beat, LV2_TIME__barBeat, f, 0.0f);
    PROP(bpb, LV2_TIME__beatsPerBar, f, 4.0f);
    PROP(bar, LV2_TIME__bar, gbt_map(h, LV2_ATOM__Long), bar);
#undef PROP
    assert_int_equal(gbt_seq_add(&s->ev_in, 0, gbt_map(h, LV2_ATOM__Object), &a, sizeof a), 0);
}

/* Note-ons in the output of one run, their frames added to frames[] (from base). */
static int note_ons(inst_t *s, uint64_t base, uint64_t *frames, int cap, int *n)
{
    int offs = 0;
    LV2_ATOM_SEQUENCE_FOREACH (&s->ev_out.u->seq, ev) {
        const uint8_t *m = (const uint8_t *)(ev + 1);
        if (ev->body.type != gbt_map(&s->host, LV2_MIDI__MidiEvent) || ev->body.size != 3)
            continue;
        if ((m[0] & 0xF0) == 0x90 && m[2] > 0 && *n < cap)
            frames[(*n)++] = base + (uint64_t)ev->time.frames;
        if ((m[0] & 0xF0) == 0x80)
            offs++;
    }
    return offs;
}

static void melody(double bpm, double speed, int *n_on, uint64_t *frames, float *forwards)
{
    inst_t s;
    assert_int_equal(inst_open(&s, URI_MG, 512), 0);
    *ctl(&s, "mode") = 2.0f; /* free: it plays all the time */
    lilv_instance_activate(s.in);
    send_position(&s, bpm, speed, 2);
    const uint32_t block = 512, blocks = (uint32_t)(6.0 * SR) / block;
    *n_on = 0;
    for (uint32_t k = 0; k < blocks; k++) {
        gbt_seq_out(&s.ev_out, &s.host);
        run_rt(s.in, block);
        gbt_seq_clear(&s.ev_in, &s.host);
        note_ons(&s, (uint64_t)k * block, frames, 256, n_on);
    }
    *forwards = *ctl(&s, "forwards");
    inst_close(&s);
}

static void t_melody_midi_out(void **st)
{
    (void)st;
    uint64_t frames[256];
    int n;
    float fw;
    const double bpms[2] = {120.0, 90.0};
    for (int k = 0; k < 2; k++) {
        melody(bpms[k], 1.0, &n, frames, &fw);
        const double step = 60.0 * SR / bpms[k] / 4.0; /* a 16th note */
        printf("melody-gan at %g bpm: %d note-ons in 6 s, %g generator forwards\n", bpms[k], n,
               (double)fw);
        assert_true(n >= 4);
        assert_true(fw >= 1.0f);
        for (int i = 0; i < n; i++) {
            const double q = (double)frames[i] / step;
            assert_true(fabs(q - round(q)) * step < 1.0); /* on the 16th grid of the tempo */
        }
    }
    /* transport stopped (speed 0): the grid stands still; at most the step at the stopped
     * position itself sounds, nothing after it */
    melody(120.0, 0.0, &n, frames, &fw);
    assert_true(n <= 1);
    for (int i = 0; i < n; i++)
        assert_true(frames[i] == 0);
}

/* ---- refusals at instantiate ----------------------------------------------------------- */

static void t_refusals(void **st)
{
    (void)st;
    gbt_lv2_t h;
    gbt_lv2_init(&h, (float)SR, 512);
    const LV2_Feature *no_map[] = {&h.f_log, NULL};
    assert_null(lilv_plugin_instantiate(plugin(URI_HS), SR, no_map));
    assert_non_null(strstr(h.last_log, "lacks the required feature " LV2_URID__map));

    setenv("GBAC_DATA_DIR", "/nonexistent/gbac", 1);
    h.last_log[0] = '\0';
    assert_null(lilv_plugin_instantiate(plugin(URI_TV), SR, h.features));
    assert_non_null(strstr(h.last_log, "gbac.lv2 gbac.timbre-vae: cannot find its model "
                                       "models/timbre-vae.safetensors; looked in: "
                                       "/nonexistent/gbac (GBAC_DATA_DIR)"));
    LilvInstance *hs = lilv_plugin_instantiate(plugin(URI_HS), SR, h.features);
    assert_non_null(hs); /* no model needed */
    lilv_instance_free(hs);
    unsetenv("GBAC_DATA_DIR");
    gbt_lv2_free(&h);
}

int main(void)
{
    const char *b = getenv("GB_LV2P_BUNDLE");
    if (!b) {
        fprintf(stderr, "set GB_LV2P_BUNDLE to the gbac.lv2 folder\n");
        return 1;
    }
    /* Found as hosts find it: LV2_PATH names the bundle's folder (and the LV2 specifications) */
    snprintf(bundle, sizeof bundle, "%s", b);
    char *slash = strrchr(bundle, '/');
    if (!slash)
        return 1;
    *slash = '\0';
    char lv2_path[8300];
    snprintf(lv2_path, sizeof lv2_path, "%s:/usr/lib/lv2", bundle);
    setenv("LV2_PATH", lv2_path, 1);
    world = lilv_world_new();
    lilv_world_load_all(world);
    const struct CMUnitTest a4_tests[] = {
        cmocka_unit_test(t_a4_timbre_vae),
        cmocka_unit_test(t_a4_harmonic_synth),
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_ttl_matches_units), cmocka_unit_test(t_a4_timbre_vae),
        cmocka_unit_test(t_a4_harmonic_synth), cmocka_unit_test(t_control_port),
        cmocka_unit_test(t_state_timbre_vae),  cmocka_unit_test(t_state_round_trip),
        cmocka_unit_test(t_state_lilv_folder_moves),
        cmocka_unit_test(t_melody_midi_out),
        cmocka_unit_test(t_refusals),
    };
    const char *only = getenv("GBT_LV2_ONLY");
    int rc = only && strcmp(only, "a4") == 0 ? cmocka_run_group_tests(a4_tests, NULL, NULL)
                                             : cmocka_run_group_tests(tests, NULL, NULL);
    lilv_world_free(world);
    return rc;
}
