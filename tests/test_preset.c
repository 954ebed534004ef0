/* test_preset.c — preset files: a full preset parses into the numbers it says, defaults fill
 * what it leaves out, every kind of mistake gives its message (file, line:column or key path,
 * allowed range, value given), save writes what load reads, and every shipped preset loads.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gb_preset.h"
#include "gb_unit_registry.h"

static gb_unit_registry_t *reg;
static char tmpdir[64];

static void assert_contains_(const char *hay, const char *needle, const char *file, int line)
{
    if (!strstr(hay, needle)) {
        print_error("expected \"%s\"\n    in \"%s\"\n", needle, hay);
        _fail(file, line);
    }
}
#define assert_contains(h, n) assert_contains_((h), (n), __FILE__, __LINE__)

static gb_preset_t *parse(const char *text, gb_error_t *err)
{
    gb_error_clear(err);
    return gb_preset_parse(text, strlen(text), "t.json", reg, err);
}

/* The text must be refused with exactly this message and code. */
static void refused_(const char *text, int code, const char *msg, const char *file, int line)
{
    gb_error_t err = {0};
    gb_preset_t *p = parse(text, &err);
    if (p || strcmp(err.msg, msg) != 0 || err.code != code) {
        print_error("preset %s\n  message \"%s\" (code %d)\n     want \"%s\" (code %d)\n",
                    p ? "accepted" : "refused", err.msg, err.code, msg, code);
        gb_preset_free(p);
        _fail(file, line);
    }
}
#define refused(text, code, msg) refused_((text), (code), (msg), __FILE__, __LINE__)

/* A preset around one effect unit given as JSON text. */
static void refused_effect(const char *effect, int code, const char *msg, const char *file,
                           int line)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"rack\": {\"instrument\": {\"unit\": \"gbac.harmonic-synth\", \"name\": \"synth\"},"
             " \"effects\": [{\"unit\": \"gbac.delay\"}, %s]}}",
             effect);
    refused_(text, code, msg, file, line);
}
#define refused_fx(fx, code, msg) refused_effect((fx), (code), (msg), __FILE__, __LINE__)

static const char *const full_preset =
    "{\n"
    "  \"name\": \"full\",\n"
    "  \"description\": \"every key\\nsecond line\",\n"
    "  \"tempo\": 96.5,\n"
    "  \"meter\": \"6/8\",\n"
    "  \"polyphony\": 8,\n"
    "  \"rack\": {\n"
    "    \"note_sources\": [{\"unit\": \"gbac.arpeggiator\", \"name\": \"arp\"}],\n"
    "    \"instrument\": {\n"
    "      \"unit\": \"gbac.harmonic-synth\", \"name\": \"synth\",\n"
    "      \"params\": {\"attack_ms\": 250, \"legato\": 1, \"brightness\": -0.3},\n"
    "      \"state\": {\"timbre\": {\"hop_s\": 0.01, \"frames\": [\n"
    "        {\"amp\": 0.5, \"harm\": [0.7, 0.2, 0.1], \"noise\": [0.001, 0]}]}}\n"
    "    },\n"
    "    \"effects\": [\n"
    "      {\"unit\": \"example.tremolo\", \"name\": \"trem\", \"params\": {\"depth\": 0.25, "
    "\"2\": 90}},\n"
    "      {\"unit\": \"gbac.delay\", \"params\": {\"feedback\": 0.95, \"time_ms\": 333.3}},\n"
    "      {\"unit\": \"gbac.limiter\"}\n"
    "    ]\n"
    "  },\n"
    "  \"master\": {\"params\": {\"gain_db\": -7.5}},\n"
    "  \"midi_map\": [\n"
    "    {\"cc\": 1, \"channel\": 2, \"param\": \"trem/depth\", \"min\": 0.9, \"max\": 0.1},\n"
    "    {\"cc\": 74, \"param\": \"synth/brightness\"},\n"
    "    {\"cc\": 7, \"param\": \"master/gain_db\", \"min\": -40}\n"
    "  ]\n"
    "}\n";

static uint32_t pid(const gbp_descriptor_t *d, const char *name)
{
    const gbp_param_info_t *p = gb_unit_param_by_name(d, name);
    assert_non_null(p);
    return p->id;
}

static void a_full_preset_parses_into_its_numbers(void **state)
{
    (void)state;
    gb_error_t err = {0};
    gb_preset_t *p = parse(full_preset, &err);
    if (!p)
        print_error("%s\n", err.msg);
    assert_non_null(p);
    assert_string_equal(p->name, "full");
    assert_string_equal(p->description, "every key\nsecond line");
    assert_null(p->path);
    assert_true(p->tempo_bpm == 96.5);
    assert_int_equal(p->beats_per_bar, 6);
    assert_int_equal(p->beat_unit, 8);
    assert_int_equal(p->polyphony, 8);

    assert_int_equal(p->n_sources, 1);
    assert_string_equal(p->sources[0].slot, "arp");
    assert_ptr_equal(p->sources[0].desc, &gb_unit_arpeggiator);
    assert_int_equal(p->sources[0].n_params, 0);

    const gb_preset_unit_t *s = &p->instrument;
    assert_ptr_equal(s->desc, &gb_unit_harmsynth);
    assert_string_equal(s->slot, "synth");
    assert_int_equal(s->n_params, 3);
    assert_int_equal(s->params[0].id, pid(s->desc, "attack_ms"));
    assert_true(s->params[0].value == 250.0f);
    assert_int_equal(s->params[1].id, pid(s->desc, "legato"));
    assert_true(s->params[1].value == 1.0f);
    assert_true(s->params[2].value == -0.3f);
    assert_string_equal(s->state_json, "{\"timbre\":{\"hop_s\":0.01,\"frames\":[{\"amp\":0.5,"
                                       "\"harm\":[0.7,0.2,0.1],\"noise\":[0.001,0]}]}}");

    assert_int_equal(p->n_effects, 3);
    const gb_preset_unit_t *t = &p->effects[0];
    assert_string_equal(t->slot, "trem");
    assert_int_equal(t->n_params, 2);
    assert_true(t->params[0].value == 0.25f);
    assert_int_equal(t->params[1].id, 2); /* "2": the parameter id of "spread" */
    assert_true(t->params[1].value == 90.0f);
    assert_null(t->state_json);
    assert_string_equal(p->effects[1].slot, "delay"); /* from the id "gbac.delay" */
    assert_true(p->effects[1].params[0].value == 0.95f); /* the top of 0..0.95 is inside */
    assert_string_equal(p->effects[2].slot, "limiter");

    assert_ptr_equal(p->master.desc, &gb_master_desc);
    assert_string_equal(p->master.slot, "master");
    assert_int_equal(p->master.n_params, 1);
    assert_int_equal(p->master.params[0].id, GB_MASTER_GAIN_DB);
    assert_true(p->master.params[0].value == -7.5f);

    assert_int_equal(p->n_ccmap, 3);
    assert_string_equal(p->ccmap[2].slot, "master");
    assert_int_equal(p->ccmap[2].param, GB_MASTER_GAIN_DB);
    assert_true(p->ccmap[2].min == -40.0f && p->ccmap[2].max == 12.0f);
    assert_int_equal(p->ccmap[0].cc, 1);
    assert_int_equal(p->ccmap[0].channel, 1); /* "channel": 2 counts from 1 */
    assert_string_equal(p->ccmap[0].slot, "trem");
    assert_int_equal(p->ccmap[0].param, 1);
    assert_true(p->ccmap[0].min == 0.9f && p->ccmap[0].max == 0.1f); /* reversed is fine */
    assert_int_equal(p->ccmap[1].channel, 255);
    assert_string_equal(p->ccmap[1].slot, "synth");
    assert_true(p->ccmap[1].min == -1.0f && p->ccmap[1].max == 1.0f); /* the param's range */
    gb_preset_free(p);
    gb_preset_free(NULL);
}

static void what_a_preset_leaves_out_gets_defaults(void **state)
{
    (void)state;
    const char *text = "{\"rack\": {\"instrument\": {\"unit\": \"gbac.harmonic-synth\"}}}";
    gb_error_t err = {0};
    gb_preset_t *p = gb_preset_parse(text, strlen(text), "some/dir/mini.json", reg, &err);
    assert_non_null(p);
    assert_string_equal(p->name, "mini");
    assert_null(p->description);
    assert_true(p->tempo_bpm == 120.0);
    assert_int_equal(p->beats_per_bar, 4);
    assert_int_equal(p->beat_unit, 4);
    assert_int_equal(p->polyphony, 16);
    assert_int_equal(p->n_sources, 0);
    assert_int_equal(p->n_effects, 0);
    assert_int_equal(p->n_ccmap, 0);
    assert_string_equal(p->instrument.slot, "harmonic-synth");
    assert_int_equal(p->instrument.n_params, 0);
    assert_null(p->instrument.state_json);
    gb_preset_free(p);
}

static void syntax_errors_give_line_and_column(void **state)
{
    (void)state;
    refused("{\n  \"name\": \"x\",\n  \"tempo\": 120,,\n}", GB_EFORMAT,
            "t.json:3:16: string or '}' expected near ','");
    refused("{\n  \"name\": \"x\",\n  \"name\": \"y\"\n}", GB_EFORMAT,
            "t.json:3:8: duplicate object key near '\"name\"'");
    refused("", GB_EFORMAT, "t.json:1:1: '[' or '{' expected near end of file");
    refused("{\"tempo\": 1e999}", GB_EFORMAT, "t.json:1:15: real number overflow near '1e999'");
    refused("[1, 2]", GB_EFORMAT, "t.json: a preset is a JSON object {...}, not an array");
}

static void unknown_keys_are_errors_with_their_path(void **state)
{
    (void)state;
    refused("{\"tempi\": 120, \"rack\": {}}", GB_EFORMAT,
            "t.json:1: tempi: unknown key (allowed here: format, name, description, tempo, meter, "
            "polyphony, rack, master, midi_map)");
    refused("{\"rack\": {\"instrument\": {\"unit\": \"gbac.harmonic-synth\"}}, "
            "\"master\": {\"gain_db\": 0}}", GB_EFORMAT,
            "t.json:1: master.gain_db: unknown key (allowed here: params)");
    refused("{\"rack\": {\"instrument\": {\"unit\": \"gbac.harmonic-synth\"}}, "
            "\"master\": {\"params\": {\"gain_db\": 20}}}", GB_ERANGE,
            "t.json:1: master.params.gain_db: 20 is out of range -60..12 dB");
    refused("{\"rack\": {\"instrument\": {\"unit\": \"gbac.harmonic-synth\"}}, "
            "\"master\": {\"params\": {\"volume\": 0}}}", GB_EINVAL,
            "t.json:1: master.params.volume: gbac.master has no parameter 'volume'; its "
            "parameters: gain_db");
    refused("{\"rack\": {\"instruments\": {}}}", GB_EFORMAT,
            "t.json:1: rack.instruments: unknown key (allowed here: note_sources, instrument, "
            "effects)");
    refused_fx("{\"unit\": \"example.tremolo\", \"parms\": {}}", GB_EFORMAT,
               "t.json: rack.effects[1].parms: unknown key (allowed here: unit, name, params, "
               "state)");
    refused("{\"rack\": {\"instrument\": {\"unit\": \"gbac.harmonic-synth\"}},"
            " \"midi_map\": [{\"cc\": 1, \"param\": \"harmonic-synth/brightness\", \"chan\": 1}]}",
            GB_EFORMAT,
            "t.json:1: midi_map[0].chan: unknown key (allowed here: cc, channel, param, min, max)");
    refused("{\"rack\": {}}", GB_EFORMAT,
            "t.json:1: rack: missing key \"instrument\" (e.g. {\"unit\": \"gbac.harmonic-synth\"})");
    refused("{\"name\": \"x\"}", GB_EFORMAT,
            "t.json: missing key \"rack\" (note_sources → instrument → effects)");
}

static void values_out_of_range_name_the_range_and_the_value(void **state)
{
    (void)state;
    refused_fx("{\"unit\": \"gbac.delay\", \"name\": \"d2\", \"params\": {\"feedback\": 1.2}}",
               GB_ERANGE, "t.json: rack.effects[1].params.feedback: 1.2 is out of range 0..0.95");
    refused_fx("{\"unit\": \"gbac.delay\", \"name\": \"d2\", \"params\": {\"time_ms\": 0}}",
               GB_ERANGE, "t.json: rack.effects[1].params.time_ms: 0 is out of range 1..2000 ms");
    refused_fx("{\"unit\": \"example.tremolo\", \"params\": {\"depth\": -0.5}}", GB_ERANGE,
               "t.json: rack.effects[1].params.depth: -0.5 is out of range 0..1");
    refused_fx("{\"unit\": \"example.tremolo\", \"params\": {\"depth\": \"deep\"}}", GB_EFORMAT,
               "t.json: rack.effects[1].params.depth: expected a number 0..1, got a string");
    refused_fx("{\"unit\": \"example.tremolo\", \"params\": {\"shape\": 0.5}}", GB_EINVAL,
               "t.json: rack.effects[1].params.shape: 0.5 is not a whole number (the parameter "
               "is stepped)");
    refused("{\"tempo\": 10, \"rack\": {}}", GB_ERANGE,
            "t.json:1: tempo: 10 is out of range 20..300 bpm");
    refused("{\"polyphony\": 65, \"rack\": {}}", GB_ERANGE,
            "t.json:1: polyphony: 65 is out of range 1..64");
    refused("{\"polyphony\": 2.5, \"rack\": {}}", GB_EINVAL,
            "t.json:1: polyphony: 2.5 is not a whole number");
    refused("{\"meter\": \"4/3\", \"rack\": {}}", GB_ERANGE,
            "t.json:1: meter: beat unit 3 is not one of 1, 2, 4, 8, 16");
    refused("{\"meter\": \"four\", \"rack\": {}}", GB_EFORMAT,
            "t.json:1: meter: 'four' is not a meter like \"4/4\" or \"6/8\"");
    refused("{\"meter\": \"0/4\", \"rack\": {}}", GB_ERANGE,
            "t.json:1: meter: 0 beats per bar is out of range 1..32");
    refused("{\"format\": \"gbac-preset/2\", \"rack\": {}}", GB_EUNSUPPORTED,
            "t.json:1: format: 'gbac-preset/2' is not a format this gbac reads (it reads "
            "\"gbac-preset/1\")");
    refused("{\"name\": \"\", \"rack\": {}}", GB_ERANGE,
            "t.json:1: name: must be 1..63 bytes long, not 0");
}

static void unknown_units_list_the_known_ones(void **state)
{
    (void)state;
    refused_fx("{\"unit\": \"gbac.dely\"}", GB_EINVAL,
               "t.json: rack.effects[1].unit: unknown unit 'gbac.dely'; known effects: "
               "gbac.delay, gbac.reverb, gbac.limiter, example.tremolo");
    refused_fx("{\"unit\": \"gbac.harmonic-synth\"}", GB_EINVAL,
               "t.json: rack.effects[1].unit: gbac.harmonic-synth is an instrument, not an "
               "effect");
    refused("{\"rack\": {\"instrument\": {\"unit\": \"gbac.reverb\"}}}", GB_EINVAL,
            "t.json:1: rack.instrument.unit: gbac.reverb is an effect, not an instrument");
    refused_fx("{\"name\": \"x\"}", GB_EFORMAT,
               "t.json: rack.effects[1]: missing key \"unit\" (the unit's id)");
}

static void unknown_and_read_only_parameters_are_errors(void **state)
{
    (void)state;
    refused_fx("{\"unit\": \"example.tremolo\", \"params\": {\"rate\": 3}}", GB_EINVAL,
               "t.json: rack.effects[1].params.rate: example.tremolo has no parameter 'rate'; "
               "its parameters: rate_hz, depth, spread, shape");
    refused_fx("{\"unit\": \"example.tremolo\", \"params\": {\"99\": 3}}", GB_EINVAL,
               "t.json: rack.effects[1].params.99: example.tremolo has no parameter '99'; "
               "its parameters: rate_hz, depth, spread, shape");
    refused_fx("{\"unit\": \"example.tremolo\", \"params\": {\"spread\": 3, \"2\": 4}}",
               GB_EINVAL,
               "t.json: rack.effects[1].params.2: parameter 'spread' (id 2) is given twice");
    refused_fx("{\"unit\": \"gbac.limiter\", \"params\": {\"gain_reduction_db\": 3}}", GB_EINVAL,
               "t.json: rack.effects[1].params.gain_reduction_db: 'gain_reduction_db' of "
               "gbac.limiter is read-only (a value the unit reports)");
}

static void state_must_be_an_object_for_a_unit_that_keeps_state(void **state)
{
    (void)state;
    refused_fx("{\"unit\": \"example.tremolo\", \"state\": {\"phase\": 0}}", GB_EINVAL,
               "t.json: rack.effects[1].state: example.tremolo keeps no state (it has no "
               "load_state)");
    refused("{\"rack\": {\"instrument\": {\"unit\": \"gbac.harmonic-synth\", \"state\": [1]}}}",
            GB_EFORMAT, "t.json:1: rack.instrument.state: expected an object, got an array");
}

static void slot_names_are_unique_and_well_formed(void **state)
{
    (void)state;
    refused_fx("{\"unit\": \"gbac.delay\"}", GB_EINVAL,
               "t.json: rack.effects[1]: duplicate slot name 'delay' (also rack.effects[0]); "
               "give each unit its own \"name\"");
    refused_fx("{\"unit\": \"example.tremolo\", \"name\": \"synth\"}", GB_EINVAL,
               "t.json: rack.effects[1]: duplicate slot name 'synth' (also rack.instrument); "
               "give each unit its own \"name\"");
    refused_fx("{\"unit\": \"example.tremolo\", \"name\": \"my trem\"}", GB_EINVAL,
               "t.json: rack.effects[1].name: slot name 'my trem' must be a letter, then "
               "letters, digits, '_' or '-' (at most 31 characters)");
    refused_fx("{\"unit\": \"example.tremolo\", \"name\": \"master\"}", GB_EINVAL,
               "t.json: rack.effects[1].name: the slot name 'master' is reserved for the "
               "engine's master section");
#define DLY(n) "{\"unit\": \"gbac.delay\", \"name\": \"" n "\"}"
    refused("{\"rack\": {\"instrument\": {\"unit\": \"gbac.harmonic-synth\"}, \"effects\": ["
            DLY("a") "," DLY("b") "," DLY("c") "," DLY("d") "," DLY("e") "," DLY("f") ","
            DLY("g") "," DLY("h") "," DLY("i") "]}}",
            GB_ERANGE, "t.json:1: rack.effects: 9 effects; at most 8");
#undef DLY
}

static void midi_map_params_must_exist(void **state)
{
    (void)state;
    const char *head = "{\"rack\": {\"instrument\": {\"unit\": \"gbac.harmonic-synth\", \"name\": "
                       "\"synth\"}, \"effects\": [{\"unit\": \"example.tremolo\", \"name\": "
                       "\"trem\"}]}, \"midi_map\": [";
    char text[1024];
#define MAP(entry, code, msg)                                                                  \
    do {                                                                                       \
        snprintf(text, sizeof text, "%s%s]}", head, entry);                                    \
        refused(text, code, msg);                                                              \
    } while (0)
    MAP("{\"cc\": 1, \"param\": \"trem/speed\"}", GB_EINVAL,
        "t.json:1: midi_map[0].param: example.tremolo (slot 'trem') has no parameter 'speed'; "
        "its parameters: rate_hz, depth, spread, shape");
    MAP("{\"cc\": 1, \"param\": \"trem/depth\"}, {\"cc\": 2, \"param\": \"dly/feedback\"}",
        GB_EINVAL, "t.json: midi_map[1].param: no slot 'dly' in the rack (slots: synth, trem, master)");
    MAP("{\"cc\": 1, \"param\": \"depth\"}", GB_EFORMAT,
        "t.json:1: midi_map[0].param: 'depth' is not \"slot/name\" (e.g. \"synth/brightness\")");
    MAP("{\"cc\": 1, \"param\": \"trem/gain\"}", GB_EINVAL,
        "t.json:1: midi_map[0].param: 'gain' of example.tremolo is read-only (a value the unit "
        "reports)");
    MAP("{\"cc\": 128, \"param\": \"trem/depth\"}", GB_ERANGE,
        "t.json:1: midi_map[0].cc: 128 is out of range 0..127");
    MAP("{\"cc\": 1, \"channel\": 0, \"param\": \"trem/depth\"}", GB_ERANGE,
        "t.json:1: midi_map[0].channel: 0 is out of range 1..16");
    MAP("{\"cc\": 1, \"param\": \"trem/depth\", \"max\": 2}", GB_ERANGE,
        "t.json:1: midi_map[0].max: 2 is out of range 0..1");
    MAP("{\"param\": \"trem/depth\"}", GB_EFORMAT,
        "t.json:1: midi_map[0]: missing key \"cc\" (controller number 0..127)");
#undef MAP
}

/* ---------------------------------------------------------------- files */

static void same_unit(const gb_preset_unit_t *a, const gb_preset_unit_t *b)
{
    assert_string_equal(a->slot, b->slot);
    assert_ptr_equal(a->desc, b->desc);
    assert_int_equal(a->n_params, b->n_params);
    for (int i = 0; i < a->n_params; i++) {
        assert_int_equal(a->params[i].id, b->params[i].id);
        assert_true(a->params[i].value == b->params[i].value);
    }
    if (a->state_json || b->state_json) {
        assert_non_null(a->state_json);
        assert_non_null(b->state_json);
        assert_string_equal(a->state_json, b->state_json);
    }
}

static void same_preset(const gb_preset_t *a, const gb_preset_t *b)
{
    assert_string_equal(a->name, b->name);
    if (a->description || b->description)
        assert_string_equal(a->description, b->description);
    assert_true(a->tempo_bpm == b->tempo_bpm);
    assert_int_equal(a->beats_per_bar, b->beats_per_bar);
    assert_int_equal(a->beat_unit, b->beat_unit);
    assert_int_equal(a->polyphony, b->polyphony);
    assert_int_equal(a->n_sources, b->n_sources);
    for (int i = 0; i < a->n_sources; i++)
        same_unit(&a->sources[i], &b->sources[i]);
    same_unit(&a->instrument, &b->instrument);
    assert_int_equal(a->n_effects, b->n_effects);
    for (int i = 0; i < a->n_effects; i++)
        same_unit(&a->effects[i], &b->effects[i]);
    same_unit(&a->master, &b->master);
    assert_int_equal(a->n_ccmap, b->n_ccmap);
    for (int i = 0; i < a->n_ccmap; i++) {
        assert_int_equal(a->ccmap[i].cc, b->ccmap[i].cc);
        assert_int_equal(a->ccmap[i].channel, b->ccmap[i].channel);
        assert_string_equal(a->ccmap[i].slot, b->ccmap[i].slot);
        assert_int_equal(a->ccmap[i].param, b->ccmap[i].param);
        assert_true(a->ccmap[i].min == b->ccmap[i].min);
        assert_true(a->ccmap[i].max == b->ccmap[i].max);
    }
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void save_writes_what_load_reads(void **state)
{
    (void)state;
    gb_error_t err = {0};
    gb_preset_t *a = parse(full_preset, &err);
    assert_non_null(a);
    char path[128], path2[128];
    snprintf(path, sizeof path, "%s/full.json", tmpdir);
    snprintf(path2, sizeof path2, "%s/again.json", tmpdir);
    assert_int_equal(gb_preset_save(a, path, &err), GB_OK);
    gb_preset_t *b = gb_preset_load(path, reg, &err);
    if (!b)
        print_error("%s\n", err.msg);
    assert_non_null(b);
    assert_string_equal(b->path, path);
    same_preset(a, b);
    /* Saving what was loaded gives the same bytes: the format is stable. */
    assert_int_equal(gb_preset_save(b, path2, &err), GB_OK);
    char *t1 = slurp(path), *t2 = slurp(path2);
    assert_string_equal(t1, t2);
    /* Numbers are written as short as they read back exactly: 0.95, not 0.949999988. */
    assert_contains(t1, "\"format\": \"gbac-preset/1\"");
    assert_contains(t1, "\"feedback\": 0.95,");
    assert_contains(t1, "\"time_ms\": 333.3");
    assert_contains(t1, "\"attack_ms\": 250,");
    assert_contains(t1, "\"tempo\": 96.5,");
    assert_contains(t1, "\"harm\": [0.7, 0.2, 0.1]");
    assert_contains(t1, "\"param\": \"trem/depth\"");
    assert_contains(t1, "\"master\": {\n    \"params\": {\n      \"gain_db\": -7.5\n    }\n  },");
    assert_contains(t1, "\"param\": \"master/gain_db\"");
    free(t1);
    free(t2);
    gb_preset_free(a);
    gb_preset_free(b);
    unlink(path);
    unlink(path2);

    /* A file in a folder that does not exist: an error naming it, nothing left behind. */
    snprintf(path, sizeof path, "%s/no/such/dir.json", tmpdir);
    a = parse(full_preset, &err);
    assert_int_equal(gb_preset_save(a, path, &err), GB_EIO);
    char want[256];
    snprintf(want, sizeof want, "%s: cannot write: No such file or directory", path);
    assert_string_equal(err.msg, want);
    gb_preset_free(a);
}

static void load_errors_name_the_file(void **state)
{
    (void)state;
    gb_error_t err = {0};
    char path[128], want[256];
    snprintf(path, sizeof path, "%s/missing.json", tmpdir);
    assert_null(gb_preset_load(path, reg, &err));
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    assert_string_equal(err.msg, want);
    assert_int_equal(err.code, GB_EIO);

    snprintf(path, sizeof path, "%s/broken.json", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\n  \"rack\": {\n    \"instrument\": {\"unit\": \"gbac.harmonic-synth\"\n  }\n}\n", f);
    fclose(f);
    assert_null(gb_preset_load(path, reg, &err));
    snprintf(want, sizeof want, "%s:6:1: '}' expected near end of file", path);
    assert_string_equal(err.msg, want);
    unlink(path);
}

static void every_shipped_preset_loads_and_round_trips(void **state)
{
    (void)state;
    const char *src = getenv("GBAC_SOURCE_DIR");
    assert_non_null(src);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/presets", src);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char path[2048], out[256];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        snprintf(out, sizeof out, "%s/copy.json", tmpdir);
        gb_error_t err = {0};
        gb_preset_t *p = gb_preset_load(path, reg, &err);
        if (!p)
            print_error("%s\n", err.msg);
        assert_non_null(p);
        assert_int_equal(gb_preset_save(p, out, &err), GB_OK);
        gb_preset_t *q = gb_preset_load(out, reg, &err);
        assert_non_null(q);
        same_preset(p, q);
        gb_preset_free(p);
        gb_preset_free(q);
        unlink(out);
        n++;
    }
    closedir(d);
    assert_true(n >= 3);
}

static int setup(void **state)
{
    (void)state;
    gb_error_t err = {0};
    reg = gb_unit_registry_new(&err);
    if (!reg || gb_unit_registry_load_file(reg, GB_EXAMPLE_PLUGIN, &err) < 0) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gbac-test-preset-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    gb_unit_registry_free(reg);
    return rmdir(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_full_preset_parses_into_its_numbers),
        cmocka_unit_test(what_a_preset_leaves_out_gets_defaults),
        cmocka_unit_test(syntax_errors_give_line_and_column),
        cmocka_unit_test(unknown_keys_are_errors_with_their_path),
        cmocka_unit_test(values_out_of_range_name_the_range_and_the_value),
        cmocka_unit_test(unknown_units_list_the_known_ones),
        cmocka_unit_test(unknown_and_read_only_parameters_are_errors),
        cmocka_unit_test(state_must_be_an_object_for_a_unit_that_keeps_state),
        cmocka_unit_test(slot_names_are_unique_and_well_formed),
        cmocka_unit_test(midi_map_params_must_exist),
        cmocka_unit_test(save_writes_what_load_reads),
        cmocka_unit_test(load_errors_name_the_file),
        cmocka_unit_test(every_shipped_preset_loads_and_round_trips),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
