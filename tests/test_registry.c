/* test_registry.c — the unit registry: built-in units pass the descriptor check, every rule of
 * the check has its message, bad plugins are refused whole with a message naming the file and
 * the reason, plugins load from folders and path lists, and the example plugin processes
 * audio as its formula says.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gb_unit_registry.h"

#ifndef GB_BAD_PLUGIN_DIR
#error "GB_BAD_PLUGIN_DIR must name the folder of the test-only bad plugins"
#endif
#ifndef GB_EXAMPLE_PLUGIN
#error "GB_EXAMPLE_PLUGIN must name the built example plugin"
#endif

#define BAD(name) GB_BAD_PLUGIN_DIR "/" name ".so"

static void assert_contains_(const char *hay, const char *needle, const char *file, int line)
{
    if (!strstr(hay, needle)) {
        print_error("expected \"%s\"\n    in \"%s\"\n", needle, hay);
        _fail(file, line);
    }
}
#define assert_contains(h, n) assert_contains_((h), (n), __FILE__, __LINE__)

/* ---------------------------------------------------------------- built-in units */

static void builtins_pass_the_check_and_have_their_kinds(void **state)
{
    (void)state;
    gb_error_t err = {0};
    gb_unit_registry_t *reg = gb_unit_registry_new(&err);
    assert_non_null(reg);
    assert_string_equal(err.msg, "");
    assert_int_equal(gb_unit_registry_count(reg), 7);
    static const struct {
        const char *id;
        gbp_kind_t kind;
        const gbp_descriptor_t *desc;
    } want[] = {
        {"gbac.arpeggiator", GBP_KIND_NOTE_SOURCE, &gb_unit_arpeggiator},
        {"gbac.harmonic-synth", GBP_KIND_INSTRUMENT, &gb_unit_harmsynth},
        {"gbac.timbre-vae", GBP_KIND_INSTRUMENT, &gb_unit_timbrevae},
        {"gbac.delay", GBP_KIND_EFFECT, &gb_unit_delay},
        {"gbac.reverb", GBP_KIND_EFFECT, &gb_unit_reverb},
        {"gbac.limiter", GBP_KIND_EFFECT, &gb_unit_limiter},
        {"gbac.melody-gan", GBP_KIND_NOTE_SOURCE, &gb_unit_melodygan},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const gbp_descriptor_t *d = gb_unit_registry_find(reg, want[i].id);
        assert_ptr_equal(d, want[i].desc);
        assert_int_equal(d->kind, want[i].kind);
        assert_int_equal(gb_unit_check_descriptor(d, "built-in", &err), GB_OK);
    }
    assert_null(gb_unit_registry_find(reg, "gbac.nothing"));
    assert_null(gb_unit_registry_get(reg, 7));
    assert_null(gb_unit_registry_get(reg, -1));
    gb_unit_registry_free(reg);
    gb_unit_registry_free(NULL);
}

static void params_are_found_by_name_and_id(void **state)
{
    (void)state;
    const gbp_descriptor_t *d = &gb_unit_harmsynth;
    const gbp_param_info_t *p = gb_unit_param_by_name(d, "attack_ms");
    assert_non_null(p);
    assert_ptr_equal(gb_unit_param_by_id(d, p->id), p);
    assert_null(gb_unit_param_by_name(d, "no_such_param"));
    assert_null(gb_unit_param_by_id(d, 999999u));
    assert_null(gb_unit_param_by_name(NULL, "attack_ms"));
}

/* ---------------------------------------------------------------- the descriptor check */

static void *t_create(const gbp_descriptor_t *d, const gbp_host_t *h)
{
    (void)d;
    (void)h;
    return NULL;
}
static void t_void(void *self) { (void)self; }
static int t_activate(void *self, double sr, uint32_t n)
{
    (void)self;
    (void)sr;
    (void)n;
    return 0;
}
static void t_process(void *self, const gbp_process_t *p) GBP_RT
{
    (void)self;
    (void)p;
}
static void t_set(void *self, uint32_t id, float v)
{
    (void)self;
    (void)id;
    (void)v;
}
static float t_get(void *self, uint32_t id) GBP_RT
{
    (void)self;
    (void)id;
    return 0;
}

typedef struct tdesc {
    gbp_descriptor_t d;
    gbp_param_info_t p[3];
} tdesc_t;

static void good_desc(tdesc_t *t)
{
    static const gbp_param_info_t params[3] = {
        {0, "gain_db", "dB", -60, 12, 0, 20, 0, "level"},
        {1, "mode", "", 0, 3, 1, 0, GBP_PARAM_STEPPED | GBP_PARAM_NO_SMOOTH, "mode"},
        {2, "meter", "", 0, 1, 0, 0, GBP_PARAM_READONLY, "meter"},
    };
    memset(t, 0, sizeof *t);
    memcpy(t->p, params, sizeof params);
    t->d = (gbp_descriptor_t){
        .abi_version = GBP_ABI_VERSION, .struct_size = sizeof(gbp_descriptor_t),
        .id = "test.good", .name = "Good", .kind = GBP_KIND_EFFECT, .n_params = 3,
        .params = t->p, .create = t_create, .destroy = t_void, .activate = t_activate,
        .deactivate = t_void, .process = t_process, .set_param = t_set, .get_param = t_get,
    };
}

static void check_fails(const tdesc_t *t, int code, const char *msg)
{
    gb_error_t err = {0};
    int rc = gb_unit_check_descriptor(&t->d, "somewhere.so", &err);
    if (rc != code)
        print_error("rc %d, want %d; message: %s\n", rc, code, err.msg);
    assert_int_equal(rc, code);
    assert_string_equal(err.msg, msg);
}

static void check_accepts_a_good_descriptor(void **state)
{
    (void)state;
    tdesc_t t;
    good_desc(&t);
    gb_error_t err = {0};
    assert_int_equal(gb_unit_check_descriptor(&t.d, "x", &err), GB_OK);
    t.d.reset = NULL; /* optional callbacks */
    t.d.save_state = NULL;
    t.d.load_state = NULL;
    t.d.name = NULL;
    assert_int_equal(gb_unit_check_descriptor(&t.d, "x", &err), GB_OK);
    t.d.n_params = 0;
    t.d.params = NULL;
    assert_int_equal(gb_unit_check_descriptor(&t.d, "x", &err), GB_OK);
}

static void check_reads_the_version_first(void **state)
{
    (void)state;
    tdesc_t t;
    good_desc(&t);
    t.d.abi_version = 7;
    t.d.struct_size = 0; /* would be an error too, but the version speaks first */
    t.d.id = NULL;
    check_fails(&t, GB_EUNSUPPORTED,
                "somewhere.so: ABI version 7, this gbac speaks 2 (rebuild the plugin against "
                "this gbac's gbac_plugin.h)");
    good_desc(&t);
    t.d.struct_size = 16;
    char want[200];
    snprintf(want, sizeof want,
             "somewhere.so: descriptor struct_size 16, this gbac needs at least %zu",
             sizeof(gbp_descriptor_t));
    check_fails(&t, GB_EUNSUPPORTED, want);
    gb_error_t err = {0};
    assert_int_equal(gb_unit_check_descriptor(NULL, "somewhere.so", &err), GB_EINVAL);
    assert_string_equal(err.msg, "somewhere.so: no descriptor");
}

static void check_names_id_and_kind_problems(void **state)
{
    (void)state;
    tdesc_t t;
    good_desc(&t);
    t.d.id = "";
    check_fails(&t, GB_EFORMAT, "somewhere.so: descriptor has no id");
    t.d.id = NULL;
    check_fails(&t, GB_EFORMAT, "somewhere.so: descriptor has no id");
    t.d.id = "my tremolo";
    check_fails(&t, GB_EFORMAT,
                "somewhere.so: unit id 'my tremolo' may hold only letters, digits, '.', '-' "
                "and '_'");
    good_desc(&t);
    t.d.kind = (gbp_kind_t)9;
    check_fails(&t, GB_EFORMAT,
                "somewhere.so: unit 'test.good': kind 9 is not a note source (1), instrument (2) "
                "or effect (3)");
}

static void check_names_each_missing_callback(void **state)
{
    (void)state;
    static const char *const names[] = {"create",  "destroy",   "activate", "deactivate",
                                        "process", "set_param", "get_param"};
    for (int i = 0; i < 7; i++) {
        tdesc_t t;
        good_desc(&t);
        switch (i) {
        case 0: t.d.create = NULL; break;
        case 1: t.d.destroy = NULL; break;
        case 2: t.d.activate = NULL; break;
        case 3: t.d.deactivate = NULL; break;
        case 4: t.d.process = NULL; break;
        case 5: t.d.set_param = NULL; break;
        default: t.d.get_param = NULL; break;
        }
        char want[200];
        snprintf(want, sizeof want, "somewhere.so: unit 'test.good': %s callback missing",
                 names[i]);
        check_fails(&t, GB_EFORMAT, want);
    }
}

static int t_save(void *self, char *buf, size_t cap)
{
    (void)self;
    (void)buf;
    (void)cap;
    return 0;
}

static void check_names_state_and_flag_problems(void **state)
{
    (void)state;
    tdesc_t t;
    good_desc(&t);
    t.d.save_state = t_save;
    check_fails(&t, GB_EFORMAT,
                "somewhere.so: unit 'test.good': save_state and load_state come together (one "
                "is NULL, the other not)");
    good_desc(&t);
    t.d.flags = GBP_UNIT_THREAD_SAFE_STATE | 0x10u;
    check_fails(&t, GB_EFORMAT, "somewhere.so: unit 'test.good': unknown descriptor flags 0x10");
    good_desc(&t);
    t.p[1].id = GBP_PARAM_ID_MAX; /* the largest id is fine */
    gb_error_t err = {0};
    assert_int_equal(gb_unit_check_descriptor(&t.d, "x", &err), GB_OK);
}

static void check_names_each_bad_parameter(void **state)
{
    (void)state;
    tdesc_t t;
    const char *pre = "somewhere.so: unit 'test.good': ";
    char want[400];
#define CASE(mutation, text)                                                                   \
    do {                                                                                       \
        good_desc(&t);                                                                         \
        mutation;                                                                              \
        snprintf(want, sizeof want, "%s%s", pre, text);                                        \
        check_fails(&t, GB_EFORMAT, want);                                                     \
    } while (0)
    CASE(t.d.params = NULL, "n_params is 3 but the params table is NULL");
    CASE(t.p[1].name = NULL, "param 1 (id 1) has no name");
    CASE(t.p[1].name = "Mode",
         "param name 'Mode' (id 1) must be a lower-case letter then lower-case letters, digits, "
         "'_', '-' or '.' (at most 63 characters)");
    CASE(t.p[1].name = "a/b",
         "param name 'a/b' (id 1) must be a lower-case letter then lower-case letters, digits, "
         "'_', '-' or '.' (at most 63 characters)");
    CASE(t.p[0].min = 12, "param 'gain_db' (id 0): min 12 is not below max 12");
    CASE(t.p[0].max = NAN,
         "param 'gain_db' (id 0): min, max, default and smoothing_ms must be finite");
    CASE(t.p[0].def = 13, "param 'gain_db' (id 0): default 13 is outside its range -60..12");
    CASE(t.p[0].def = -61, "param 'gain_db' (id 0): default -61 is outside its range -60..12");
    CASE(t.p[0].smoothing_ms = -1, "param 'gain_db' (id 0): smoothing_ms -1 is negative");
    CASE(t.p[0].flags = 1u << 7, "param 'gain_db' (id 0): unknown flags 0x80");
    CASE(t.p[1].max = 3.5f,
         "param 'mode' (id 1) is stepped but its range 0..3.5 or default 1 is not whole "
         "numbers");
    CASE(t.p[2].id = 0, "params 'gain_db' and 'meter' share id 0");
    CASE(t.p[2].id = 65536,
         "param 'meter' has id 65536, above the limit 65535 (gbac packs parameter ids into 16 "
         "bits: use ids 0..65535)");
    CASE(t.p[2].name = "mode", "two params are named 'mode' (ids 1 and 2)");
#undef CASE
}

/* ---------------------------------------------------------------- plugin files */

static gb_unit_registry_t *new_reg(void)
{
    gb_error_t err = {0};
    gb_unit_registry_t *reg = gb_unit_registry_new(&err);
    if (!reg)
        print_error("registry: %s\n", err.msg);
    assert_non_null(reg);
    return reg;
}

/* Load path, expect refusal with exactly "path" + tail, and nothing registered. */
static void refused(const char *path, int code, const char *tail)
{
    gb_unit_registry_t *reg = new_reg();
    int n = gb_unit_registry_count(reg);
    gb_error_t err = {0};
    int rc = gb_unit_registry_load_file(reg, path, &err);
    char want[1024];
    snprintf(want, sizeof want, "%s%s", path, tail);
    assert_string_equal(err.msg, want);
    assert_int_equal(rc, code);
    assert_int_equal(gb_unit_registry_count(reg), n);
    gb_unit_registry_free(reg);
}

/* A real ABI-1 plugin (tests/bad_plugins/old_abi1.c keeps that layout) is refused by its
 * version, with both versions named and a pointer to what changed. */
static void plugin_built_for_abi_1_is_refused(void **state)
{
    (void)state;
    assert_int_equal(GBP_ABI_VERSION, 2u);
    refused(BAD("old_abi1"), GB_EUNSUPPORTED,
            ": ABI version 1, this gbac speaks 2 (rebuild the plugin against this gbac's "
            "gbac_plugin.h; docs/units.md says what changed)");
}

static void plugin_with_wrong_abi_is_refused(void **state)
{
    (void)state;
    refused(BAD("bad_abi"), GB_EUNSUPPORTED,
            ": ABI version 7, this gbac speaks 2 (rebuild the plugin against this gbac's "
            "gbac_plugin.h)");
}

static void plugin_without_entry_point_is_refused(void **state)
{
    (void)state;
    refused(BAD("no_entry"), GB_EFORMAT, ": no gbac_plugin_entry symbol (is it a gbac plugin?)");
}

static void plugin_without_process_is_refused(void **state)
{
    (void)state;
    refused(BAD("no_process"), GB_EFORMAT, ": unit 'test.no-process': process callback missing");
}

static void plugin_with_default_out_of_range_is_refused(void **state)
{
    (void)state;
    refused(BAD("bad_default"), GB_EFORMAT,
            ": unit 'test.bad-default': param 'depth' (id 1): default 2 is outside its range "
            "0..1");
}

static void plugin_with_duplicate_id_is_refused_whole(void **state)
{
    (void)state;
    refused(BAD("dup_id"), GB_EFORMAT,
            " (descriptor 1): duplicate id 'gbac.harmonic-synth' (already registered from "
            "built-in)");
    /* Its first, valid unit was not registered either. */
    gb_unit_registry_t *reg = new_reg();
    gb_error_t err = {0};
    assert_true(gb_unit_registry_load_file(reg, BAD("dup_id"), &err) < 0);
    assert_null(gb_unit_registry_find(reg, "test.dup-first"));
    assert_ptr_equal(gb_unit_registry_find(reg, "gbac.harmonic-synth"), &gb_unit_harmsynth);
    gb_unit_registry_free(reg);
}

static char tmpdir[64];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void files_that_are_not_plugins_are_refused(void **state)
{
    (void)state;
    char path[128], want[512];
    snprintf(path, sizeof path, "%s/junk.so", tmpdir);
    write_file(path, "not an ELF file, but long enough that the loader reads its header and "
                     "finds no ELF magic number at the start of it; some more text to be sure\n");
    gb_unit_registry_t *reg = new_reg();
    gb_error_t err = {0};
    assert_int_equal(gb_unit_registry_load_file(reg, path, &err), GB_EIO);
    snprintf(want, sizeof want, "%s: cannot load: ", path);
    assert_contains(err.msg, want);
    assert_contains(err.msg, "invalid ELF header");

    snprintf(path, sizeof path, "%s/missing.so", tmpdir);
    assert_int_equal(gb_unit_registry_load_file(reg, path, &err), GB_EIO);
    snprintf(want, sizeof want, "%s: cannot load: No such file or directory", path);
    assert_string_equal(err.msg, want);
    snprintf(path, sizeof path, "%s/junk.so", tmpdir);
    unlink(path);
    gb_unit_registry_free(reg);
}

/* A bare file name must not make dlopen() search the system library path. */
static void bare_names_are_not_searched_for(void **state)
{
    (void)state;
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(tmpdir), 0);
    gb_unit_registry_t *reg = new_reg();
    gb_error_t err = {0};
    assert_int_equal(gb_unit_registry_load_file(reg, "libc.so.6", &err), GB_EIO);
    assert_string_equal(err.msg, "libc.so.6: cannot load: No such file or directory");
    gb_unit_registry_free(reg);
    assert_int_equal(chdir(cwd), 0);
}

static void a_folder_stops_at_its_first_bad_plugin(void **state)
{
    (void)state;
    gb_unit_registry_t *reg = new_reg();
    int n = gb_unit_registry_count(reg);
    gb_error_t err = {0};
    /* Sorted by name, bad_abi.so comes first. */
    assert_int_equal(gb_unit_registry_load_dir(reg, GB_BAD_PLUGIN_DIR, &err), GB_EUNSUPPORTED);
    assert_string_equal(err.msg, BAD("bad_abi") ": ABI version 7, this gbac speaks 2 (rebuild "
                                 "the plugin against this gbac's gbac_plugin.h)");
    assert_int_equal(gb_unit_registry_count(reg), n);

    char missing[128], want[256];
    snprintf(missing, sizeof missing, "%s/no-such-folder", tmpdir);
    assert_int_equal(gb_unit_registry_load_dir(reg, missing, &err), GB_EIO);
    snprintf(want, sizeof want, "%s: cannot open plugin folder: No such file or directory",
             missing);
    assert_string_equal(err.msg, want);
    gb_unit_registry_free(reg);
}

static void example_plugin_loads_from_its_folder_once(void **state)
{
    (void)state;
    gb_unit_registry_t *reg = new_reg();
    int n = gb_unit_registry_count(reg);
    gb_error_t err = {0};
    assert_int_equal(gb_unit_registry_load_dir(reg, GB_EXAMPLE_PLUGIN_DIR, &err), GB_OK);
    const gbp_descriptor_t *d = gb_unit_registry_find(reg, "example.tremolo");
    assert_non_null(d);
    assert_int_equal(d->kind, GBP_KIND_EFFECT);
    assert_int_equal(gb_unit_registry_count(reg), n + 1);
    /* The same file again, by folder or by name: nothing new, no duplicate-id error. */
    assert_int_equal(gb_unit_registry_load_dir(reg, GB_EXAMPLE_PLUGIN_DIR "/", &err), GB_OK);
    assert_int_equal(gb_unit_registry_load_file(reg, GB_EXAMPLE_PLUGIN, &err), GB_OK);
    assert_int_equal(gb_unit_registry_count(reg), n + 1);
    gb_unit_registry_free(reg);
}

static void plugin_path_lists_skip_missing_and_empty_entries(void **state)
{
    (void)state;
    gb_unit_registry_t *reg = new_reg();
    int n = gb_unit_registry_count(reg);
    gb_error_t err = {0};
    char list[1024];
    snprintf(list, sizeof list, "%s/nope::" GB_EXAMPLE_PLUGIN_DIR ":", tmpdir);
    assert_int_equal(gb_unit_registry_load_path(reg, list, &err), GB_OK);
    assert_non_null(gb_unit_registry_find(reg, "example.tremolo"));
    assert_int_equal(gb_unit_registry_count(reg), n + 1);
    assert_int_equal(gb_unit_registry_load_path(reg, NULL, &err), GB_OK);
    assert_int_equal(gb_unit_registry_load_path(reg, "", &err), GB_OK);
    /* A folder that exists but holds a bad plugin is an error. */
    assert_int_equal(gb_unit_registry_load_path(reg, GB_BAD_PLUGIN_DIR, &err), GB_EUNSUPPORTED);
    assert_contains(err.msg, "bad_abi.so: ABI version 7");
    gb_unit_registry_free(reg);
}

/* ---------------------------------------------------------------- the example plugin */

enum { TREM_RATE, TREM_DEPTH, TREM_SPREAD, TREM_SHAPE, TREM_GAIN };

typedef struct trem_run {
    const gbp_descriptor_t *d;
    void *self;
    float in[2][256], out[2][256];
} trem_run_t;

static void trem_block(trem_run_t *r, uint32_t frames, const gbp_event_t *ev, uint32_t n_ev)
{
    const float *in[2] = {r->in[0], r->in[1]};
    float *out[2] = {r->out[0], r->out[1]};
    gbp_transport_t tr = {.sample_rate = 48000, .tempo_bpm = 120, .beats_per_bar = 4,
                          .beat_unit = 4};
    gbp_process_t p = {.frames = frames, .events = ev, .n_events = n_ev, .audio_in = in,
                       .audio_out = out, .transport = &tr};
    r->d->process(r->self, &p);
}

static void example_tremolo_modulates_a_constant_input(void **state)
{
    (void)state;
    gb_unit_registry_t *reg = new_reg();
    gb_error_t err = {0};
    assert_int_equal(gb_unit_registry_load_file(reg, GB_EXAMPLE_PLUGIN, &err), GB_OK);
    trem_run_t *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->d = gb_unit_registry_find(reg, "example.tremolo");
    assert_non_null(r->d);
    gbp_host_t host = {GBP_ABI_VERSION, NULL, NULL, 1};
    r->self = r->d->create(r->d, &host);
    assert_non_null(r->self);
    const double sr = 48000.0, rate = 10.0, depth = 0.8;
    r->d->set_param(r->self, TREM_RATE, (float)rate);
    r->d->set_param(r->self, TREM_DEPTH, (float)depth);
    r->d->set_param(r->self, TREM_SPREAD, 180.0f);
    r->d->set_param(r->self, TREM_SHAPE, 0.4f); /* stepped: rounds to 0, sine */
    assert_true(r->d->get_param(r->self, TREM_SHAPE) == 0.0f);
    r->d->set_param(r->self, TREM_DEPTH + 100, 1.0f); /* unknown ids are ignored */
    assert_int_equal(r->d->activate(r->self, sr, 256), 0);
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < 256; i++)
            r->in[c][i] = 0.5f;

    /* 0.2 s in blocks of 100 frames (and an empty block): left follows
     * 0.5·(1 − depth·(1 − cos φ)/2), right runs half a period ahead. */
    trem_block(r, 0, NULL, 0);
    double max_err = 0, min_l = 1, max_l = 0;
    for (int b = 0; b < 96; b++) {
        trem_block(r, 100, NULL, 0);
        for (int i = 0; i < 100; i++) {
            double n = b * 100.0 + i, phi = 2 * GB_PI * rate * n / sr;
            double want_l = 0.5 * (1 - depth * (1 - cos(phi)) / 2);
            double want_r = 0.5 * (1 - depth * (1 + cos(phi)) / 2);
            max_err = fmax(max_err, fabs(r->out[0][i] - want_l));
            max_err = fmax(max_err, fabs(r->out[1][i] - want_r));
            min_l = fmin(min_l, r->out[0][i]);
            max_l = fmax(max_l, r->out[0][i]);
        }
        /* The read-only meter, read as the host does right after process(): the gain on
         * the block's last left sample. */
        assert_float_equal(r->d->get_param(r->self, TREM_GAIN), r->out[0][99] / 0.5, 1e-6);
    }
    assert_true(max_err < 1e-6);
    assert_float_equal(max_l, 0.5, 1e-6);             /* gain 1 at the top */
    assert_float_equal(min_l, 0.5 * (1 - depth), 1e-6); /* 1 − depth at the bottom */

    /* A depth event ramps to the new value over 10 ms (480 frames), then holds it: with
     * depth 0 the output equals the input. */
    gbp_event_t ev = {.time = 0, .type = GBP_EV_PARAM, .id = TREM_DEPTH, .value = 0.0f};
    trem_block(r, 100, &ev, 1);
    assert_true(r->out[0][0] != 0.5f || r->out[1][0] != 0.5f);
    for (int b = 0; b < 5; b++)
        trem_block(r, 100, NULL, 0);
    for (int i = 0; i < 100; i++) {
        assert_float_equal(r->out[0][i], 0.5, 1e-7);
        assert_float_equal(r->out[1][i], 0.5, 1e-7);
    }
    r->d->deactivate(r->self);
    r->d->destroy(r->self);
    free(r);
    gb_unit_registry_free(reg);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gbac-test-registry-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return rmdir(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builtins_pass_the_check_and_have_their_kinds),
        cmocka_unit_test(params_are_found_by_name_and_id),
        cmocka_unit_test(check_accepts_a_good_descriptor),
        cmocka_unit_test(check_reads_the_version_first),
        cmocka_unit_test(check_names_id_and_kind_problems),
        cmocka_unit_test(check_names_each_missing_callback),
        cmocka_unit_test(check_names_each_bad_parameter),
        cmocka_unit_test(check_names_state_and_flag_problems),
        cmocka_unit_test(plugin_with_wrong_abi_is_refused),
        cmocka_unit_test(plugin_built_for_abi_1_is_refused),
        cmocka_unit_test(plugin_without_entry_point_is_refused),
        cmocka_unit_test(plugin_without_process_is_refused),
        cmocka_unit_test(plugin_with_default_out_of_range_is_refused),
        cmocka_unit_test(plugin_with_duplicate_id_is_refused_whole),
        cmocka_unit_test(files_that_are_not_plugins_are_refused),
        cmocka_unit_test(bare_names_are_not_searched_for),
        cmocka_unit_test(a_folder_stops_at_its_first_bad_plugin),
        cmocka_unit_test(example_plugin_loads_from_its_folder_once),
        cmocka_unit_test(plugin_path_lists_skip_missing_and_empty_entries),
        cmocka_unit_test(example_tremolo_modulates_a_constant_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
