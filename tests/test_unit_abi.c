/* test_unit_abi.c — the engine keeps the unit ABI 2 contract (src/include/gbac_plugin.h):
 * capabilities come from extensions, never from parameter names; READONLY parameters are read
 * on the audio thread right after process(); host->log from the audio thread is queued and
 * shown later; an extension that names a missing parameter is refused; new state while
 * playing only for units that say they can take it.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include "gb_engine_util.h"
#include "gb_tmpdir.h"

/* ---------------------------------------------------------------- test units */

/* A silent instrument with a parameter named like the timbre VAE's first latent dimension
 * and no extensions: the engine must not take it for a timbre VAE. */
enum { T_Z0, T_BLOCKS, T_COUNT };
static const gbp_param_info_t t_params[T_COUNT] = {
    {T_Z0, "z0", "", -4, 4, 0, 0, 0, "named like a latent, but no extension says so"},
    {T_BLOCKS, "blocks", "", 0, 1e9f, 0, 0, GBP_PARAM_READONLY, "process() calls so far"},
};

typedef struct t_unit {
    const gbp_host_t *host;
    float z0;
    uint32_t blocks;      /* process() calls */
    uint32_t gets;        /* get_param calls */
    pthread_t process_thread, get_thread;
    int get_off_thread;   /* a READONLY get_param on another thread than process() */
    int logs_per_block;   /* host->log calls in each process() */
    int latent_param;     /* the id the bad extension names */
} t_unit_t;

static void *t_create(const gbp_descriptor_t *d, const gbp_host_t *h)
{
    (void)d;
    t_unit_t *u = calloc(1, sizeof *u);
    if (u)
        u->host = h;
    return u;
}
static void t_destroy(void *self) { free(self); }
static int t_activate(void *self, double sr, uint32_t n)
{
    (void)sr;
    (void)n;
    t_unit_t *u = self;
    u->host->log(u->host, GBP_LOG_INFO, "activated");
    return 0;
}
static void t_deactivate(void *self) { (void)self; }

/* They read the thread pointer; declared nonblocking as the engine does. */
pthread_t pthread_self(void) GBP_RT;
int pthread_equal(pthread_t a, pthread_t b) GBP_RT;

static void t_process(void *self, const gbp_process_t *p) GBP_RT
{
    t_unit_t *u = self;
    u->process_thread = pthread_self();
    u->blocks++;
    for (int i = 0; i < u->logs_per_block; i++)
        u->host->log(u->host, GBP_LOG_WARNING, "audio says hi");
    for (int c = 0; p->audio_out && c < 2; c++)
        for (uint32_t i = 0; i < p->frames; i++)
            p->audio_out[c][i] = p->audio_in ? p->audio_in[c][i] : 0.0f;
}
static void t_set(void *self, uint32_t id, float v)
{
    if (id == T_Z0)
        ((t_unit_t *)self)->z0 = v;
}
static float t_get(void *self, uint32_t id) GBP_RT
{
    t_unit_t *u = self;
    u->gets++;
    if (id == T_BLOCKS && u->blocks > 0 && !pthread_equal(pthread_self(), u->process_thread))
        u->get_off_thread = 1;
    return id == T_Z0 ? u->z0 : (float)u->blocks;
}

#define T_DESC(ID, KIND, EXT)                                                                  \
    {                                                                                          \
        .abi_version = GBP_ABI_VERSION, .struct_size = sizeof(gbp_descriptor_t), .id = (ID),   \
        .name = "test", .kind = (KIND), .n_params = T_COUNT, .params = t_params,               \
        .create = t_create, .destroy = t_destroy, .activate = t_activate,                      \
        .deactivate = t_deactivate, .process = t_process, .set_param = t_set,                 \
        .get_param = t_get, .get_extension = (EXT),                                            \
    }

static const gbp_descriptor_t t_plain_instr = T_DESC("test.plain", GBP_KIND_INSTRUMENT, NULL);
static const gbp_descriptor_t t_meter_fx = T_DESC("test.meter", GBP_KIND_EFFECT, NULL);

/* A timbre-latent extension that names a parameter the unit does not have. */
static uint32_t bad_dims(void *self)
{
    (void)self;
    return 1;
}
static uint32_t bad_dim_param(void *self, uint32_t dim)
{
    (void)self;
    (void)dim;
    return 99;
}
static uint32_t bad_morph(void *self, uint32_t which)
{
    (void)self;
    (void)which;
    return GBP_NO_PARAM;
}
static const gbp_timbre_latent_t bad_latent = {bad_dims, bad_dim_param, bad_morph};
static const void *bad_ext(void *self, const char *id)
{
    (void)self;
    return strcmp(id, GBP_EXT_TIMBRE_LATENT) == 0 ? &bad_latent : NULL;
}
static const gbp_descriptor_t t_bad_latent = T_DESC("test.bad-latent", GBP_KIND_INSTRUMENT,
                                                   bad_ext);

/* Blocks muted for NaN/Inf: a unit whose read-only parameter is *named* nonfinite_blocks
 * (counting every block) but has no extension, and one whose gbac.nonfinite says every
 * second block was muted. */
static const gbp_param_info_t nf_params[T_COUNT] = {
    {T_Z0, "z0", "", -4, 4, 0, 0, 0, "unused"},
    {T_BLOCKS, "nonfinite_blocks", "", 0, 1e9f, 0, 0, GBP_PARAM_READONLY, "process() calls"},
};
static uint64_t half_blocks(void *self) GBP_RT
{
    return ((const t_unit_t *)self)->blocks / 2u;
}
static const gbp_nonfinite_t half_nonfinite = {half_blocks};
static const gbp_nonfinite_t null_nonfinite = {NULL};
static const void *nf_ext(void *self, const char *id)
{
    (void)self;
    return strcmp(id, GBP_EXT_NONFINITE) == 0 ? &half_nonfinite : NULL;
}
static const void *nf_null_ext(void *self, const char *id)
{
    (void)self;
    return strcmp(id, GBP_EXT_NONFINITE) == 0 ? &null_nonfinite : NULL;
}
#define NF_DESC(ID, EXT)                                                                       \
    {                                                                                          \
        .abi_version = GBP_ABI_VERSION, .struct_size = sizeof(gbp_descriptor_t), .id = (ID),   \
        .name = "test", .kind = GBP_KIND_INSTRUMENT, .n_params = T_COUNT, .params = nf_params, \
        .create = t_create, .destroy = t_destroy, .activate = t_activate,                      \
        .deactivate = t_deactivate, .process = t_process, .set_param = t_set,                 \
        .get_param = t_get, .get_extension = (EXT),                                            \
    }
static const gbp_descriptor_t t_nf_named = NF_DESC("test.nf-named", NULL);
static const gbp_descriptor_t t_nf_ext = NF_DESC("test.nf-ext", nf_ext);
static const gbp_descriptor_t t_nf_null = NF_DESC("test.nf-null", nf_null_ext);

static gb_preset_t *rack_with(const gbp_descriptor_t *instr, const char *slot)
{
    gb_preset_t *p = gbt_rack(16, NULL, 0);
    p->instrument.desc = instr;
    snprintf(p->instrument.slot, sizeof p->instrument.slot, "%s", slot);
    return p;
}

static int32_t handle(gb_engine_t *e, const char *path)
{
    int32_t h = gb_engine_param_find(e, path);
    if (h < 0)
        fail_msg("no parameter %s", path);
    return h;
}

static void block(gb_engine_t *e, const gbp_event_t *ev, uint32_t n_ev, uint32_t frames)
{
    static float l[1024], r[1024];
    gb_engine_process(e, ev, n_ev, l, r, frames);
}

/* ---------------------------------------------------------------- latency */

static void latency_comes_from_the_extension_and_its_changes_are_seen(void **state)
{
    (void)state;
    const gbp_descriptor_t *fx[2] = {&gb_unit_limiter, &gb_unit_limiter};
    gb_preset_t *p = gbt_rack(16, fx, 2);
    gbt_param(&p->effects[1], "lookahead_ms", 1.0f);
    gb_engine_t *e = gbt_engine(p, 256);
    assert_non_null(e);
    /* 5 ms and 1 ms of lookahead at 48 kHz */
    assert_int_equal(gb_engine_latency(e), 240 + 48);
    assert_int_equal(gb_engine_latency_changed(e), 0);
    block(e, NULL, 0, 256);
    assert_int_equal(gb_engine_latency_changed(e), 0);
    gbp_event_t ev = {.time = 100, .type = GBP_EV_PARAM,
                      .id = (uint32_t)handle(e, "fx0/lookahead_ms"), .value = 2.0f};
    block(e, &ev, 1, 256);
    assert_int_equal(gb_engine_latency(e), 96 + 48);
    assert_int_equal(gb_engine_latency_changed(e), 1);
    assert_int_equal(gb_engine_latency_changed(e), 0); /* reported once */
    printf("  two limiters: 288 frames; a lookahead event at frame 100 → 144, seen once\n");
    gb_engine_free(e);
    free(p);

    /* No unit with gbac.latency: none, whatever the parameters are called. */
    p = rack_with(&t_plain_instr, "synth");
    e = gbt_engine(p, 64);
    assert_non_null(e);
    assert_int_equal(gb_engine_latency(e), 0);
    gb_engine_free(e);
    free(p);
}

/* ---------------------------------------------------------------- voices, polyphony */

static void voices_and_polyphony_come_from_extensions(void **state)
{
    (void)state;
    gb_preset_t *p = gbt_rack(3, NULL, 0);
    gb_engine_t *e = gbt_engine(p, 64);
    assert_non_null(e);
    assert_int_equal(gb_engine_active_voices(e), 0);
    gbp_event_t ev[5];
    for (int i = 0; i < 5; i++)
        ev[i] = gbt_ev(0, GBP_EV_NOTE_ON, 60 + i, 0.8f, 0);
    block(e, ev, 5, 64);
    assert_int_equal(gb_engine_active_voices(e), 3); /* the preset's polyphony, applied */
    gb_engine_free(e);
    free(p);

    p = rack_with(&t_plain_instr, "synth");
    e = gbt_engine(p, 64);
    assert_non_null(e);
    block(e, ev, 5, 64);
    assert_int_equal(gb_engine_active_voices(e), -1); /* no gbac.voices: unknown */
    gb_engine_free(e);
    free(p);
}

/* ---------------------------------------------------------------- blocks muted for NaN/Inf */

static void nonfinite_blocks_come_from_the_extension_not_by_name(void **state)
{
    (void)state;
    gb_preset_t *p = rack_with(&t_nf_named, "synth");
    gb_engine_t *e = gbt_engine(p, 64);
    assert_non_null(e);
    for (int i = 0; i < 10; i++)
        block(e, NULL, 0, 64);
    /* the parameter called nonfinite_blocks reads 10, and the engine counts none of it */
    assert_float_equal(gb_engine_param_get(e, handle(e, "synth/nonfinite_blocks")), 10.0f, 0);
    assert_int_equal(gb_engine_nonfinite_blocks(e), 0);
    gb_engine_free(e);
    free(p);

    p = rack_with(&t_nf_ext, "synth");
    e = gbt_engine(p, 64);
    assert_non_null(e);
    assert_int_equal(gb_engine_nonfinite_blocks(e), 0);
    static const uint64_t want[] = {0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5}; /* after i blocks */
    for (int i = 1; i <= 10; i++) {
        block(e, NULL, 0, 64);
        assert_int_equal(gb_engine_nonfinite_blocks(e), want[i]); /* read after each block */
    }
    gb_engine_free(e);
    free(p);

    p = rack_with(&t_nf_null, "synth");
    gb_engine_config_t c = gb_engine_config_default();
    gb_error_t err = {0};
    assert_null(gb_engine_new(p, &c, &err));
    assert_string_equal(err.msg, "synth (test.nf-null): extension gbac.nonfinite has no blocks()");
    free(p);
}

/* ---------------------------------------------------------------- the timbre latent */

static void the_timbre_latent_is_found_by_extension_not_by_name(void **state)
{
    (void)state;
    gb_preset_t *p = rack_with(&gb_unit_timbrevae, "vae");
    gb_engine_t *e = gbt_engine(p, 64);
    assert_non_null(e);
    gb_engine_timbre_t t;
    assert_int_equal(gb_engine_timbre(e, &t), GB_OK);
    assert_string_equal(t.slot, "vae");
    assert_int_equal(t.n_dims, 8);
    for (int d = 0; d < 8; d++) {
        char path[32];
        snprintf(path, sizeof path, "vae/z%d", d);
        assert_int_equal(t.dim[d], handle(e, path));
    }
    assert_int_equal(t.morph[GBP_MORPH_X], handle(e, "vae/morph_x"));
    assert_int_equal(t.morph[GBP_MORPH_Y], handle(e, "vae/morph_y"));
    assert_int_equal(t.morph[GBP_MORPH_AMOUNT], handle(e, "vae/morph"));
    char model[4096];
    assert_true(gb_engine_unit_model(e, "vae", model, sizeof model) > 0);
    const char *tail = "models/timbre-vae.safetensors";
    assert_string_equal(model + strlen(model) - strlen(tail), tail);
    char err[600] = "";
    assert_int_equal(gb_engine_unit_model_load(e, "vae", model, err, sizeof err), GB_OK);
    assert_true(gb_engine_unit_model_load(e, "vae", "no-such-model", err, sizeof err) < 0);
    assert_non_null(strstr(err, "no-such-model"));
    assert_int_equal(gb_engine_unit_model(e, "synth", model, sizeof model), GB_EINVAL);
    gb_engine_free(e);
    free(p);

    /* A parameter called z0 without the extension is no timbre latent. */
    p = rack_with(&t_plain_instr, "synth");
    e = gbt_engine(p, 64);
    assert_non_null(e);
    assert_true(gb_engine_param_find(e, "synth/z0") >= 0);
    assert_int_equal(gb_engine_timbre(e, &t), GB_EINVAL);
    assert_null(t.slot);
    assert_int_equal(t.n_dims, 0);
    gb_engine_free(e);
    free(p);
}

static void an_extension_naming_a_missing_parameter_is_refused(void **state)
{
    (void)state;
    gb_preset_t *p = rack_with(&t_bad_latent, "synth");
    gb_engine_config_t c = gb_engine_config_default();
    gb_error_t err = {0};
    gb_engine_t *e = gb_engine_new(p, &c, &err);
    assert_null(e);
    assert_string_equal(err.msg, "synth (test.bad-latent): extension gbac.timbre-latent names "
                                 "parameter id 99 (dimension 0), which is not a settable "
                                 "parameter of the unit");
    free(p);
}

/* ---------------------------------------------------------------- state while playing */

static void new_state_while_playing_needs_the_flag(void **state)
{
    (void)state;
    gb_preset_t *p = gbt_rack(16, NULL, 0);
    gb_engine_t *e = gbt_engine(p, 64);
    assert_non_null(e);
    char err[512] = "";
    assert_int_equal(gb_engine_unit_load_state(e, "synth", "{}", err, sizeof err), GB_EINVAL);
    assert_string_equal(err, "synth (gbac.harmonic-synth) cannot take new state while it plays "
                             "(load it with the preset)");
    gb_engine_free(e);
    free(p);
    p = rack_with(&gb_unit_timbrevae, "vae");
    e = gbt_engine(p, 64);
    assert_non_null(e);
    assert_int_equal(gb_engine_unit_load_state(e, "vae", "{\"latents\": {\"a\": [1, 2]}}", err,
                                               sizeof err),
                     GB_OK);
    gb_engine_free(e);
    free(p);
}

/* ---------------------------------------------------------------- READONLY parameters */

typedef struct run_arg {
    gb_engine_t *e;
    int blocks;
} run_arg_t;

static void *run_blocks(void *arg)
{
    run_arg_t *a = arg;
    for (int i = 0; i < a->blocks; i++)
        block(a->e, NULL, 0, 64);
    return NULL;
}

/* The engine reads a READONLY parameter with get_param on the thread that ran process(),
 * right after it, and answers everyone else from its copy without calling the unit. The
 * test unit records itself (g_last) so its counters can be read. */
static t_unit_t *g_last;
static void *t_create_rec(const gbp_descriptor_t *d, const gbp_host_t *h)
{
    return g_last = t_create(d, h);
}

static void readonly_reads_are_counted(void **state)
{
    (void)state;
    gbp_descriptor_t d = t_meter_fx;
    d.id = "test.meter-rec";
    d.create = t_create_rec;
    const gbp_descriptor_t *fx[1] = {&d};
    gb_preset_t *p = gbt_rack(16, fx, 1);
    gb_engine_t *e = gbt_engine(p, 64);
    assert_non_null(e);
    t_unit_t *u = g_last;
    const uint32_t gets0 = u->gets; /* the initial values, after create() */
    assert_int_equal(gets0, T_COUNT);
    run_arg_t a = {e, 10};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_blocks, &a), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(u->blocks, 10);
    assert_int_equal(u->gets - gets0, 10); /* one READONLY read per process() */
    assert_int_equal(u->get_off_thread, 0);
    const int32_t h = handle(e, "fx0/blocks");
    for (int i = 0; i < 100; i++)
        (void)gb_engine_param_get(e, h);
    assert_true(gb_engine_param_get(e, h) == 10.0f);
    assert_int_equal(u->gets - gets0, 10); /* none from gb_engine_param_get */
    printf("  10 blocks on a second thread: 10 get_param calls, all on that thread; 100 reads "
           "of the meter from main: 0 calls\n");
    gb_engine_free(e);
    free(p);
}

/* ---------------------------------------------------------------- host->log */

/* Run f with stderr in a file; return the file's text (static). */
static const char *with_stderr(void (*f)(void *), void *arg)
{
    static char text[16384];
    char dir[256], path[300];
    assert_int_equal(gbt_tmpdir(dir, sizeof dir, "abi-log"), 0);
    snprintf(path, sizeof path, "%s/stderr", dir);
    fflush(stderr);
    const int saved = dup(2), fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    f(arg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    const ssize_t n = read(fd, text, sizeof text - 1);
    text[n > 0 ? n : 0] = '\0';
    close(fd);
    gbt_rm_rf(dir);
    return text;
}

typedef struct log_case {
    gb_engine_t *e;
    gb_preset_t *p;
    off_t before_flush; /* bytes on stderr after the block, before the flush */
} log_case_t;

static void log_case_run(void *arg)
{
    log_case_t *c = arg;
    block(c->e, NULL, 0, 64);
    fflush(stderr);
    c->before_flush = lseek(2, 0, SEEK_CUR);
    gb_engine_log_flush(c->e);
}

static void build_engine(void *arg)
{
    log_case_t *c = arg;
    static gbp_descriptor_t d;
    d = t_meter_fx;
    d.id = "test.meter-rec";
    d.create = t_create_rec;
    static const gbp_descriptor_t *fx[1] = {&d};
    c->p = gbt_rack(16, fx, 1);
    c->e = gbt_engine(c->p, 64);
}

static void log_from_the_audio_thread_is_queued_and_shown_later(void **state)
{
    (void)state;
    log_case_t c = {0};
    const char *out = with_stderr(build_engine, &c);
    assert_non_null(c.e);
    assert_string_equal(out, "gbac: fx0 (test.meter-rec): activated\n"); /* [main]: at once */
    g_last->logs_per_block = 1;
    out = with_stderr(log_case_run, &c);
    assert_int_equal(c.before_flush, 0);
    assert_string_equal(out, "gbac: fx0 (test.meter-rec): warning: audio says hi\n");

    /* A flood: the queue keeps 32, the rest is counted. */
    g_last->logs_per_block = 40;
    out = with_stderr(log_case_run, &c);
    int lines = 0;
    for (const char *s = out; (s = strstr(s, "audio says hi")); s++)
        lines++;
    assert_int_equal(lines, 32);
    assert_non_null(strstr(out, "gbac: 8 messages from the audio thread dropped (the queue was "
                                "full)\n"));
    printf("  1 message from process(): shown at the flush, not before; 40 in one block: 32 "
           "shown, 8 counted as dropped\n");
    g_last->logs_per_block = 0;
    gb_engine_free(c.e);
    free(c.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(latency_comes_from_the_extension_and_its_changes_are_seen),
        cmocka_unit_test(voices_and_polyphony_come_from_extensions),
        cmocka_unit_test(nonfinite_blocks_come_from_the_extension_not_by_name),
        cmocka_unit_test(the_timbre_latent_is_found_by_extension_not_by_name),
        cmocka_unit_test(an_extension_naming_a_missing_parameter_is_refused),
        cmocka_unit_test(new_state_while_playing_needs_the_flag),
        cmocka_unit_test(readonly_reads_are_counted),
        cmocka_unit_test(log_from_the_audio_thread_is_queued_and_shown_later),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
