/* test_osc_handlers.c — the OSC path table driven without liblo, as another front end (a
 * browser page) would: typed arguments in, commands and replies out. Events, the refusals and
 * their texts, the timbre latent's forms (int dimension, the whole vector, /gbac/timbre/z/N),
 * a full queue, and control scores through the same table.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gb_engine_util.h"
#include "gb_osc_handlers.h"
#include "gb_osc_score.h"

#define MAX_CMDS 64

/* The host: commands collected (or refused as a full queue), the engine under test. */
typedef struct fx {
    gb_preset_t *preset;
    gb_engine_t *engine;
    gb_osc_handlers_t *h;
    gb_live_cmd_t cmd[MAX_CMDS];
    int n_cmd;
    int queue_room; /* commands accepted before the queue is "full"; < 0: no limit */
    char reply_path[128], reply_types[8];
    float reply_f;
    int n_replies;
} fx_t;

static int cb_send(void *ctx, const gb_live_cmd_t *c)
{
    fx_t *f = ctx;
    if (f->queue_room == 0 || f->n_cmd == MAX_CMDS)
        return GB_ERANGE;
    if (f->queue_room > 0)
        f->queue_room--;
    f->cmd[f->n_cmd++] = *c;
    return GB_OK;
}

static const gb_engine_t *cb_engine(void *ctx)
{
    return ((fx_t *)ctx)->engine;
}

static void cb_reply(void *ctx, const char *path, const char *types, const gb_osc_arg_t *argv)
{
    fx_t *f = ctx;
    snprintf(f->reply_path, sizeof f->reply_path, "%s", path);
    snprintf(f->reply_types, sizeof f->reply_types, "%s", types);
    f->reply_f = types[0] == 'f' ? argv[0].v.f : NAN;
    f->n_replies++;
}

static fx_t *fx_new(gb_preset_t *p, unsigned flags)
{
    fx_t *f = calloc(1, sizeof *f);
    f->preset = p;
    f->engine = gbt_engine(p, 256);
    assert_non_null(f->engine);
    f->queue_room = -1;
    gb_osc_host_t host = {.ctx = f, .send = cb_send, .engine = cb_engine};
    gb_error_t err = {0};
    f->h = gb_osc_handlers_new(&host, &err);
    assert_non_null(f->h);
    gb_osc_handlers_set_flags(f->h, flags);
    return f;
}

static void fx_free(fx_t *f)
{
    gb_osc_handlers_free(f->h);
    gb_engine_free(f->engine);
    gb_preset_free(f->preset);
    free(f);
}

static gb_preset_t *synth_rack(void)
{
    const gbp_descriptor_t *fxs[] = {&gb_unit_delay};
    return gbt_rack(8, fxs, 1);
}

static gb_preset_t *vae_rack(void)
{
    gb_preset_t *p = gbt_rack(8, NULL, 0);
    p->instrument.desc = &gb_unit_timbrevae;
    snprintf(p->instrument.slot, sizeof p->instrument.slot, "vae");
    return p;
}

/* Dispatch path with typed arguments given as (type, value) by the type tags: i → int,
 * h → int64_t, f/d → double, s → string. Clears the commands first. */
static int call(fx_t *f, gb_error_t *err, const char *path, const char *types, ...)
{
    gb_osc_arg_t argv[GB_OSC_MAX_ARGS];
    va_list ap;
    va_start(ap, types);
    int n = (int)strlen(types);
    for (int i = 0; i < n; i++) {
        argv[i].type = types[i];
        switch (types[i]) {
        case 'i': argv[i].v.i = va_arg(ap, int); break;
        case 'h': argv[i].v.h = va_arg(ap, int64_t); break;
        case 'f': argv[i].v.f = (float)va_arg(ap, double); break;
        case 'd': argv[i].v.d = va_arg(ap, double); break;
        default: argv[i].v.s = va_arg(ap, const char *); break;
        }
    }
    va_end(ap);
    gb_osc_msg_t m = {path, types, n, argv};
    gb_osc_peer_t peer = {.ctx = f, .reply = cb_reply};
    f->n_cmd = 0;
    memset(err, 0, sizeof *err);
    return gb_osc_dispatch(f->h, &m, &peer, err);
}

static void expect_text(const char *text, const char *want)
{
    if (!strstr(text, want)) {
        fprintf(stderr, "message '%s' lacks '%s'\n", text, want);
        fail();
    }
}

static void expect_param(const fx_t *f, int i, const char *slot_name, float value)
{
    assert_true(i < f->n_cmd);
    assert_int_equal(f->cmd[i].kind, GB_CMD_EVENT);
    assert_int_equal(f->cmd[i].ev.type, GBP_EV_PARAM);
    assert_int_equal((int32_t)f->cmd[i].ev.id, gb_engine_param_find(f->engine, slot_name));
    assert_int_equal(f->cmd[i].handle, (int32_t)f->cmd[i].ev.id);
    assert_float_equal(f->cmd[i].ev.value, value, 1e-6);
}

/* ---------------------------------------------------------------- events */

static void typed_arguments_become_commands(void **state)
{
    (void)state;
    fx_t *f = fx_new(synth_rack(), 0);
    gb_error_t err;
    assert_int_equal(call(f, &err, "/gbac/note/on", "ii", 60, 127), GB_OK);
    assert_int_equal(f->n_cmd, 1);
    assert_int_equal(f->cmd[0].ev.type, GBP_EV_NOTE_ON);
    assert_int_equal(f->cmd[0].ev.key, 60);
    assert_float_equal(f->cmd[0].ev.value, 1.0f, 0.0f);
    /* Pure Data sends floats: whole numbers are accepted as integers. */
    assert_int_equal(call(f, &err, "/gbac/note/on", "fff", 62.0, 0.0, 3.0), GB_OK);
    assert_int_equal(f->cmd[0].ev.type, GBP_EV_NOTE_OFF); /* velocity 0 */
    assert_int_equal(f->cmd[0].ev.channel, 3);
    assert_int_equal(call(f, &err, "/gbac/note/off", "hd", (int64_t)62, 15.0), GB_OK);
    assert_int_equal(f->cmd[0].ev.type, GBP_EV_NOTE_OFF);
    assert_int_equal(f->cmd[0].ev.channel, 15);
    assert_int_equal(call(f, &err, "/gbac/cc", "ii", 74, 127), GB_OK);
    assert_int_equal(f->cmd[0].ev.type, GBP_EV_CC);
    assert_int_equal(f->cmd[0].ev.id, 74);
    assert_int_equal(call(f, &err, "/gbac/cc", "iii", 123, 0, 2), GB_OK);
    assert_int_equal(f->cmd[0].ev.type, GBP_EV_ALL_OFF);
    assert_int_equal(call(f, &err, "/gbac/tempo", "i", 90), GB_OK);
    assert_int_equal(f->cmd[0].kind, GB_CMD_TEMPO);
    assert_float_equal(f->cmd[0].value, 90.0f, 0.0f);
    /* Parameters: the engine's handle; clamped without GB_OSC_HF_STRICT. */
    assert_int_equal(call(f, &err, "/gbac/param/master/gain_db", "d", -6.0), GB_OK);
    expect_param(f, 0, "master/gain_db", -6.0f);
    assert_int_equal(call(f, &err, "/gbac/param/master/gain_db", "i", 1000), GB_OK);
    expect_param(f, 0, "master/gain_db", 12.0f);
    assert_int_equal(call(f, &err, "/gbac/param/fx0/mix", "h", (int64_t)0), GB_OK);
    expect_param(f, 0, "fx0/mix", 0.0f);
    assert_int_equal(gb_osc_handlers_ok(f->h), 9);
    assert_int_equal(gb_osc_handlers_errors(f->h), 0);
    fx_free(f);
}

static void refusals_name_the_path_and_what_was_expected(void **state)
{
    (void)state;
    fx_t *f = fx_new(synth_rack(), 0);
    gb_error_t err;
    int n = 0;
#define BAD(...) (assert_true(call(f, &err, __VA_ARGS__) < 0), n++, err.msg)
    expect_text(BAD("/gbac/nope", ""), "/gbac/nope: unknown OSC path");
    expect_text(BAD("/gbac/note/on", "i", 60), "/gbac/note/on: type tags 'i' are not accepted; "
                "expected key 0..127, velocity 0..127 (0 = off), channel 0..15 (0) (types "
                "[ihfd]{2,3})");
    expect_text(BAD("/gbac/note/on", "is", 60, "loud"), "type tags 'is' are not accepted");
    expect_text(BAD("/gbac/note/on", "ii", 60, 300), "/gbac/note/on: velocity 300 out of range "
                "0..127");
    expect_text(BAD("/gbac/note/on", "iii", 60, 100, 16), "channel 16 out of range 0..15");
    expect_text(BAD("/gbac/note/on", "fi", 60.5, 100), "/gbac/note/on: key must be a whole "
                "number, got 60.5");
    expect_text(BAD("/gbac/note/off", ""), "/gbac/note/off: type tags '' are not accepted");
    expect_text(BAD("/gbac/tempo", "f", 5.0), "/gbac/tempo: tempo 5 bpm out of range 20..300");
    expect_text(BAD("/gbac/tempo", "s", "fast"), "/gbac/tempo: type tags 's'");
    expect_text(BAD("/gbac/param/synth/nope", "f", 1.0), "/gbac/param/synth/nope: unknown "
                "parameter 'synth/nope'");
    expect_text(BAD("/gbac/param/master/gain_db", ""), "/gbac/param/master/gain_db: expected "
                "one number (-60..12)"); /* no queries without GB_OSC_HF_QUERIES */
    expect_text(BAD("/gbac/param/master/gain_db", "f", (double)INFINITY), "value is not finite");
    expect_text(BAD("/gbac/rate", "ss", "fx0", "love"), "expected a slot name and \"like\"");
#undef BAD
    assert_int_equal(f->n_cmd, 0);
    assert_int_equal(gb_osc_handlers_errors(f->h), (uint64_t)n);
    assert_int_equal(gb_osc_handlers_ok(f->h), 0);
    fx_free(f);
}

static void strict_and_query_flags(void **state)
{
    (void)state;
    fx_t *f = fx_new(synth_rack(), GB_OSC_HF_STRICT | GB_OSC_HF_QUERIES);
    gb_error_t err;
    assert_int_equal(call(f, &err, "/gbac/param/fx0/mix", "f", 7.0), GB_ERANGE);
    expect_text(err.msg, "/gbac/param/fx0/mix: value 7 out of range 0..1");
    assert_int_equal(call(f, &err, "/gbac/param/master/gain_db", ""), GB_OK);
    assert_string_equal(f->reply_path, "/gbac/param/master/gain_db");
    assert_string_equal(f->reply_types, "f");
    assert_float_equal(f->reply_f, 0.0f, 0.0f);
    assert_int_equal(call(f, &err, "/gbac/tempo", ""), GB_OK);
    assert_float_equal(f->reply_f, 120.0f, 0.0f);
    /* A full queue: dropped, said so, and nothing half-sent counted as served. */
    f->queue_room = 0;
    assert_int_equal(call(f, &err, "/gbac/note/on", "ii", 60, 1), GB_OSC_DROPPED);
    expect_text(err.msg, "/gbac/note/on: the command queue to the audio thread is full");
    fx_free(f);
}

/* ---------------------------------------------------------------- the timbre latent */

static void timbre_z_takes_every_numeric_form(void **state)
{
    (void)state;
    fx_t *f = fx_new(vae_rack(), GB_OSC_HF_STRICT | GB_OSC_HF_QUERIES);
    gb_error_t err;
    /* (dimension, value): SuperCollider sends ints, doubles come from scripts. */
    assert_int_equal(call(f, &err, "/gbac/timbre/z", "ii", 3, 1), GB_OK);
    expect_param(f, 0, "vae/z3", 1.0f);
    assert_int_equal(call(f, &err, "/gbac/timbre/z", "if", 5, -1.25), GB_OK);
    expect_param(f, 0, "vae/z5", -1.25f);
    assert_int_equal(call(f, &err, "/gbac/timbre/z", "id", 7, 2.5), GB_OK);
    expect_param(f, 0, "vae/z7", 2.5f);
    assert_int_equal(call(f, &err, "/gbac/timbre/z", "hf", (int64_t)0, 0.5), GB_OK);
    expect_param(f, 0, "vae/z0", 0.5f);
    assert_int_equal(f->n_cmd, 1);
    /* The whole vector, floats or any numbers. */
    assert_int_equal(call(f, &err, "/gbac/timbre/z", "ffffffff", -1.0, -0.75, -0.5, -0.25, 0.0,
                          0.25, 0.5, 0.75), GB_OK);
    assert_int_equal(f->n_cmd, 8);
    for (int i = 0; i < 8; i++) {
        char name[16];
        snprintf(name, sizeof name, "vae/z%d", i);
        expect_param(f, i, name, 0.25f * (float)i - 1.0f);
    }
    assert_int_equal(call(f, &err, "/gbac/timbre/z", "iiiiiiii", 0, 1, 0, 0, 0, 0, 0, -1),
                     GB_OK);
    assert_int_equal(f->n_cmd, 8);
    expect_param(f, 7, "vae/z7", -1.0f);
    /* One dimension in the path, for senders of floats only (Pure Data). */
    assert_int_equal(call(f, &err, "/gbac/timbre/z/3", "f", 0.75), GB_OK);
    expect_param(f, 0, "vae/z3", 0.75f);
    assert_int_equal(call(f, &err, "/gbac/timbre/z/6", "i", -2), GB_OK);
    expect_param(f, 0, "vae/z6", -2.0f);
    assert_int_equal(call(f, &err, "/gbac/timbre/z/6", ""), GB_OK); /* query */
    assert_string_equal(f->reply_path, "/gbac/timbre/z/6");
    assert_float_equal(f->reply_f, 0.0f, 0.0f); /* the engine has not run: the default */
    assert_int_equal(call(f, &err, "/gbac/timbre/morph", "iif", 0, 1, 0.5), GB_OK);
    assert_int_equal(f->n_cmd, 3);
    expect_param(f, 1, "vae/morph_y", 1.0f);
    fx_free(f);
}

static void timbre_z_refuses_the_ambiguous_and_says_why(void **state)
{
    (void)state;
    fx_t *f = fx_new(vae_rack(), GB_OSC_HF_STRICT | GB_OSC_HF_QUERIES);
    gb_error_t err;
    /* Pure Data's "3 0.75" as floats: never z0 = 3 and z1 = 0.75. */
    assert_true(call(f, &err, "/gbac/timbre/z", "ff", 3.0, 0.75) < 0);
    expect_text(err.msg, "/gbac/timbre/z: type tags 'ff' are not accepted");
    expect_text(err.msg, "or all 8 values z0..z7");
    assert_true(call(f, &err, "/gbac/timbre/z", "if", 5, 9.0) < 0);
    expect_text(err.msg, "/gbac/timbre/z: z5 = 9 is outside its range -4..4");
    assert_true(call(f, &err, "/gbac/timbre/z", "if", 12, 0.5) < 0);
    expect_text(err.msg, "/gbac/timbre/z: dimension 12 out of range 0..7 (the latent has 8 "
                "dimensions, z0..z7)");
    assert_true(call(f, &err, "/gbac/timbre/z", "ffffffff", 0.0, 0.0, 0.0, 9.0, 0.0, 0.0, 0.0,
                     0.0) < 0);
    expect_text(err.msg, "z3 = 9 is outside its range -4..4");
    assert_true(call(f, &err, "/gbac/timbre/z/9", "f", 0.5) < 0);
    expect_text(err.msg, "/gbac/timbre/z/9: dimension 9 out of range 0..7");
    assert_true(call(f, &err, "/gbac/timbre/z/x", "f", 0.5) < 0);
    expect_text(err.msg, "/gbac/timbre/z/x: unknown OSC path");
    assert_true(call(f, &err, "/gbac/timbre/z", "s", "loud") < 0);
    assert_int_equal(f->n_cmd, 0); /* all or nothing: the bad vector sent no dimension */
    fx_free(f);

    f = fx_new(synth_rack(), GB_OSC_HF_STRICT);
    assert_true(call(f, &err, "/gbac/timbre/z", "ii", 3, 1) < 0);
    expect_text(err.msg, "/gbac/timbre/z: the instrument has no timbre latent (it needs to be "
                "gbac.timbre-vae)");
    fx_free(f);
}

/* ---------------------------------------------------------------- scores */

typedef struct collected {
    int n, lines[MAX_CMDS];
    gb_live_cmd_t cmd[MAX_CMDS];
} collected_t;

static int collect(void *ctx, const gb_osc_score_entry_t *e, const gb_live_cmd_t *c,
                   gb_error_t *err)
{
    collected_t *k = ctx;
    if (k->n == MAX_CMDS)
        return gb_error_set(err, GB_ENOMEM, "too many");
    k->lines[k->n] = e->line;
    k->cmd[k->n++] = *c;
    return GB_OK;
}

static void scores_run_through_the_same_table(void **state)
{
    (void)state;
    gb_preset_t *p = vae_rack();
    gb_engine_t *e = gbt_engine(p, 256);
    static const char text[] = "0 /gbac/tempo i 96\n"
                               "0.5 /gbac/timbre/z ffffffff 1 0 0 0 0 0 0 -1\n"
                               "1 /gbac/timbre/z/2 f 0.5\n"
                               "1.5 /gbac/param/vae/z4 f 99\n"; /* clamped in scores */
    gb_error_t err = {0};
    gb_osc_score_t *sc = gb_osc_score_parse(text, strlen(text), "t.score", &err);
    assert_non_null(sc);
    collected_t k = {0};
    assert_int_equal(gb_osc_score_apply(sc, e, collect, &k, &err), GB_OK);
    assert_int_equal(k.n, 11);
    assert_int_equal(k.cmd[0].kind, GB_CMD_TEMPO);
    assert_int_equal(k.lines[8], 2);
    assert_int_equal((int32_t)k.cmd[9].ev.id, gb_engine_param_find(e, "vae/z2"));
    assert_float_equal(k.cmd[10].ev.value, 4.0f, 0.0f);
    gb_osc_score_free(sc);

    static const char live_only[] = "0 /gbac/note/on ii 60 100\n1 /gbac/status\n";
    sc = gb_osc_score_parse(live_only, strlen(live_only), "t.score", &err);
    assert_non_null(sc);
    k.n = 0;
    assert_true(gb_osc_score_apply(sc, e, collect, &k, &err) < 0);
    expect_text(err.msg, "t.score:2: /gbac/status: not available in a control score");
    gb_osc_score_free(sc);
    gb_engine_free(e);
    gb_preset_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(typed_arguments_become_commands),
        cmocka_unit_test(refusals_name_the_path_and_what_was_expected),
        cmocka_unit_test(strict_and_query_flags),
        cmocka_unit_test(timbre_z_takes_every_numeric_form),
        cmocka_unit_test(timbre_z_refuses_the_ambiguous_and_says_why),
        cmocka_unit_test(scores_run_through_the_same_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
