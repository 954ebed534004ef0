/* test_session.c — the session writer: provenance keys and values, the MIDI file's named
 * tracks and note counts, sounding seconds, the control log, ratings and phrases, model
 * hashes; with hand-made events (exact numbers) and with a real render of the melody GAN.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <smf.h>
#include <sndfile.h>

#include "gb_midifile.h"
#include "gb_osc_score.h"
#include "gb_render.h"
#include "gb_session.h"
#include "gb_tmpdir.h"

static char srcdir[1024], tmpdir[256];

static int setup(void **state)
{
    (void)state;
    const char *s = getenv("GBAC_SOURCE_DIR");
    snprintf(srcdir, sizeof srcdir, "%s", s ? s : ".");
    return gbt_tmpdir(tmpdir, sizeof tmpdir, "test-session");
}

static int teardown(void **state)
{
    (void)state;
    return gbt_rm_rf(tmpdir);
}

static json_t *load_json(const char *dir, const char *name)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    json_error_t je;
    json_t *j = json_load_file(p, 0, &je);
    if (!j)
        fail_msg("%s: %s", p, je.text);
    return j;
}

static char *slurp(const char *dir, const char *name)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* The Track Name of each track of a MIDI file (libsmf), "" when none. */
static int track_names(const char *path, char names[][128], int max)
{
    smf_t *smf = smf_load(path);
    assert_non_null(smf);
    int n = smf->number_of_tracks < max ? smf->number_of_tracks : max;
    for (int t = 0; t < n; t++) {
        names[t][0] = 0;
        smf_track_t *tr = smf_get_track_by_number(smf, t + 1);
        smf_event_t *ev;
        smf_rewind(smf);
        while (tr && (ev = smf_track_get_next_event(tr)) != NULL) {
            if (ev->midi_buffer_length >= 2 && ev->midi_buffer[0] == 0xFF &&
                ev->midi_buffer[1] == 0x03) {
                char *txt = smf_event_extract_text(ev);
                snprintf(names[t], 128, "%s", txt ? txt : "");
                free(txt);
                break;
            }
        }
    }
    smf_delete(smf);
    return n;
}

static gb_engine_t *engine_for(const char *preset_name, gb_unit_registry_t **reg,
                               gb_preset_t **preset)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/presets/%s.json", srcdir, preset_name);
    gb_error_t err = {0};
    *reg = gb_unit_registry_open(NULL, 0, &err);
    assert_non_null(*reg);
    *preset = gb_preset_load(p, *reg, &err);
    if (!*preset)
        fail_msg("%s", err.msg);
    gb_engine_t *e = gb_engine_build(*preset, 48000.0, 256, 1, &err);
    if (!e)
        fail_msg("%s", err.msg);
    return e;
}

static int rec_sink(void *u, const float *l, const float *r, uint32_t frames, gb_error_t *err)
{
    (void)err;
    gb_recorder_write_audio(u, l, r, frames);
    return 0;
}

static void push_note(gb_recorder_t *r, uint64_t frame, int on, int key, int source)
{
    gb_rec_event_t x;
    memset(&x, 0, sizeof x);
    x.frame = frame;
    x.kind = GB_REC_NOTE;
    x.ev.type = on ? GBP_EV_NOTE_ON : GBP_EV_NOTE_OFF;
    x.ev.key = (uint8_t)key;
    x.ev.value = 0.8f;
    x.ev.source = (uint8_t)source;
    assert_int_equal(gb_recorder_push_event(r, &x), 0);
}

/* Hand-made events through a session of the pluck-arp preset (its arpeggiator has
 * source_id 2): every number in the files is known. */
static void test_session_files_exact(void **state)
{
    (void)state;
    gb_unit_registry_t *reg;
    gb_preset_t *preset;
    gb_engine_t *e = engine_for("pluck-arp", &reg, &preset);
    char dir[400];
    snprintf(dir, sizeof dir, "%s/exact", tmpdir);
    gb_session_config_t sc = gb_session_config_default();
    sc.dir = dir;
    sc.command = "render";
    sc.seed = 7;
    sc.offline = 1;
    gb_error_t err = {0};
    gb_session_t *s = gb_session_start(&sc, &err);
    if (!s)
        fail_msg("%s", err.msg);
    assert_int_equal(gb_session_add_engine(s, e, preset, 0, &err), 0);
    /* The first provenance.json is there at once, marked in progress. */
    json_t *p0 = load_json(dir, "provenance.json");
    assert_string_equal(json_string_value(json_object_get(json_object_get(p0, "audio"),
                                                          "stopped")),
                        "recording in progress");
    json_decref(p0);

    gb_recorder_t *r = gb_session_recorder(s);
    /* performer: 0.5 s + 1.0 s + (to the end) 0.5 s; arpeggiator: 4 × 0.25 s */
    push_note(r, 0, 1, 60, 0);
    push_note(r, 24000, 0, 60, 0);
    push_note(r, 48000, 1, 64, 0);
    push_note(r, 96000, 0, 64, 0);
    push_note(r, 120000, 1, 67, 0);
    for (int k = 0; k < 4; k++) {
        push_note(r, 10000 + 20000u * k, 1, 72 + k, 2);
        push_note(r, 22000 + 20000u * k, 0, 72 + k, 2);
    }
    gb_rec_event_t cc = {.frame = 5000, .kind = GB_REC_CC};
    cc.ev.type = GBP_EV_CC;
    cc.ev.channel = 1;
    cc.ev.id = 7;
    cc.ev.value = 0.5f;
    assert_int_equal(gb_recorder_push_event(r, &cc), 0);
    static float zl[144000], zr[144000];
    gb_recorder_write_audio(r, zl, zr, 72000);
    const int32_t gate = gb_engine_param_find(e, "arp/gate");
    assert_true(gate >= 0);
    gb_session_log_param(s, gate, 0.4f); /* at frame 72000 */
    gb_session_log_osc(s, "/gbac/preset/load", "[\"x\"]");
    gb_recorder_write_audio(r, zl, zr, 72000);
    gb_session_summary_t sum;
    assert_int_equal(gb_session_stop(s, &sum, &err), 0);
    assert_int_equal(sum.frames, 144000);
    assert_int_equal(sum.frames_written, 144000);
    assert_int_equal(sum.performer_notes, 3);
    assert_int_equal(sum.model_notes, 4);
    gb_session_free(s);

    json_t *p = load_json(dir, "provenance.json");
    assert_string_equal(json_string_value(json_object_get(p, "format")), "gbac-session/1");
    assert_string_equal(json_string_value(json_object_get(p, "command")), "render");
    assert_non_null(json_string_value(json_object_get(p, "gbac_version")));
    assert_int_equal(strlen(json_string_value(json_object_get(p, "created"))), 20);
    json_t *pr = json_object_get(p, "preset");
    assert_string_equal(json_string_value(json_object_get(pr, "name")), "pluck-arp");
    assert_int_equal(strlen(json_string_value(json_object_get(pr, "sha256"))), 64);
    assert_int_equal(json_integer_value(json_object_get(p, "sample_rate")), 48000);
    assert_int_equal(json_integer_value(json_object_get(p, "frames")), 144000);
    assert_float_equal(json_real_value(json_object_get(p, "seconds")), 3.0, 1e-9);
    assert_int_equal(json_integer_value(json_object_get(p, "seed")), 7);
    json_t *a = json_object_get(p, "audio");
    assert_string_equal(json_string_value(json_object_get(a, "file")), "audio.wav");
    assert_int_equal(json_integer_value(json_object_get(a, "frames")), 144000);
    assert_true(json_is_true(json_object_get(a, "complete")));
    assert_true(json_is_null(json_object_get(a, "stopped")));
    json_t *tracks = json_object_get(json_object_get(p, "midi"), "tracks");
    assert_int_equal(json_array_size(tracks), 2);
    assert_string_equal(json_string_value(json_array_get(tracks, 0)), "performer");
    assert_string_equal(json_string_value(json_array_get(tracks, 1)), "arp (gbac.arpeggiator)");
    json_t *tm = json_array_get(json_object_get(p, "tempo_map"), 0);
    assert_float_equal(json_number_value(json_object_get(tm, "bpm")), 124.0, 1e-9);
    assert_int_equal(json_array_size(json_object_get(p, "models")), 0);
    json_t *c = json_object_get(p, "contributions");
    json_t *perf = json_object_get(c, "performer");
    assert_int_equal(json_integer_value(json_object_get(perf, "notes")), 3);
    assert_float_equal(json_real_value(json_object_get(perf, "seconds")), 2.0, 1e-9);
    json_t *m0 = json_array_get(json_object_get(c, "models"), 0);
    assert_string_equal(json_string_value(json_object_get(m0, "slot")), "arp");
    assert_string_equal(json_string_value(json_object_get(m0, "unit")), "gbac.arpeggiator");
    assert_int_equal(json_integer_value(json_object_get(m0, "source")), 2);
    assert_int_equal(json_integer_value(json_object_get(m0, "notes")), 4);
    assert_float_equal(json_real_value(json_object_get(m0, "seconds")), 1.0, 1e-9);
    assert_int_equal(json_array_size(json_object_get(p, "ratings")), 0);
    json_decref(p);

    /* control.jsonl: the CC, the OSC parameter and the OSC message, in frame order. */
    const char *log = slurp(dir, "control.jsonl");
    assert_non_null(strstr(log, "{\"frame\":5000,\"kind\":\"cc\",\"channel\":1,\"cc\":7,"
                                "\"value\":0.5}\n"));
    assert_non_null(strstr(log, "{\"frame\":72000,\"kind\":\"param\",\"param\":\"arp/gate\","));
    assert_non_null(strstr(log, "\"from\":\"osc\"}"));
    assert_non_null(strstr(log, "{\"frame\":72000,\"kind\":\"osc\",\"path\":"
                                "\"/gbac/preset/load\",\"args\":[\"x\"]}"));
    assert_true(strstr(log, "\"cc\"") < strstr(log, "arp/gate"));

    /* notes.mid: named tracks; 3 and 4 note-ons; onsets within a tick (960 ppq at 124 bpm:
     * 24.2 frames) of where they were pushed. */
    char mid[600];
    snprintf(mid, sizeof mid, "%s/notes.mid", dir);
    char names[8][128];
    assert_int_equal(track_names(mid, names, 8), 3);
    assert_string_equal(names[0], "gbac");
    assert_string_equal(names[1], "performer");
    assert_string_equal(names[2], "arp (gbac.arpeggiator)");
    gb_midifile_t *mf = gb_midifile_load(mid, 48000.0, &err);
    assert_non_null(mf);
    int ons[4] = {0};
    for (size_t i = 0; i < mf->n_events; i++) {
        const gb_timed_event_t *t = &mf->events[i];
        if (t->ev.type != GBP_EV_NOTE_ON)
            continue;
        ons[t->track < 4 ? t->track : 3]++;
        if (t->track == 2) {
            const double want = 10000.0 + 20000.0 * (t->ev.key - 72);
            assert_true(fabs((double)t->frame - want) <= 25.0);
        }
    }
    assert_int_equal(ons[1], 3);
    assert_int_equal(ons[2], 4);
    gb_midifile_free(mf);
    gb_engine_free(e);
    gb_preset_free(preset);
    gb_unit_registry_free(reg);
}

/* A render of the melody GAN preset with a phrase, silence for its answer, and a `like`:
 * the model's track, its notes counted, the rating, the critic's scores, the model's hash. */
static void test_session_melody_render(void **state)
{
    (void)state;
    gb_unit_registry_t *reg;
    gb_preset_t *preset;
    gb_engine_t *e = engine_for("melody-answer", &reg, &preset);
    char dir[400];
    snprintf(dir, sizeof dir, "%s/melody", tmpdir);
    gb_session_config_t sc = gb_session_config_default();
    sc.dir = dir;
    sc.command = "render";
    sc.offline = 1;
    gb_error_t err = {0};
    gb_session_t *s = gb_session_start(&sc, &err);
    if (!s)
        fail_msg("%s", err.msg);
    assert_int_equal(gb_session_add_engine(s, e, preset, 0, &err), 0);
    const char score_text[] = "0.0 /gbac/note/on ii 60 100\n"
                              "0.5 /gbac/note/off i 60\n"
                              "0.6 /gbac/note/on ii 64 100\n"
                              "1.1 /gbac/note/off i 64\n"
                              "1.2 /gbac/note/on ii 67 100\n"
                              "1.7 /gbac/note/off i 67\n"
                              "8.0 /gbac/param/melody/like f 1\n"
                              "9.0 /gbac/param/melody/like f 0\n";
    gb_osc_score_t *sco = gb_osc_score_parse(score_text, sizeof score_text - 1, "score", &err);
    assert_non_null(sco);
    gb_render_opts_t o = gb_render_opts_default();
    o.tail_s = 0.5;
    o.observe = gb_render_recorder;
    o.observe_ud = gb_session_recorder(s);
    gb_render_stats_t st;
    assert_int_equal(gb_render_run(e, NULL, sco, &o, rec_sink, gb_session_recorder(s), &st,
                                   &err), 0);
    gb_session_summary_t sum;
    assert_int_equal(gb_session_stop(s, &sum, &err), 0);
    assert_int_equal(sum.frames, st.frames);
    assert_int_equal(sum.frames_written, st.frames);
    assert_int_equal(sum.performer_notes, 3);
    assert_true(sum.model_notes > 0);
    assert_int_equal(sum.n_ratings, 1);

    json_t *p = load_json(dir, "provenance.json");
    json_t *tracks = json_object_get(json_object_get(p, "midi"), "tracks");
    assert_int_equal(json_array_size(tracks), 2);
    assert_string_equal(json_string_value(json_array_get(tracks, 1)),
                        "melody (gbac.melody-gan)");
    /* the model: its file's SHA-256 (by sha256sum) and its card */
    json_t *models = json_object_get(p, "models");
    assert_int_equal(json_array_size(models), 1);
    json_t *m = json_array_get(models, 0);
    assert_string_equal(json_string_value(json_object_get(m, "slot")), "melody");
    assert_string_equal(json_string_value(json_object_get(m, "unit")), "gbac.melody-gan");
    char cmd[1400], want[80] = "";
    snprintf(cmd, sizeof cmd, "sha256sum '%s/models/melody-gan.safetensors'", srcdir);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%64s", want), 1);
    pclose(f);
    assert_string_equal(json_string_value(json_object_get(m, "sha256")), want);
    json_t *card = json_object_get(m, "card");
    assert_true(json_is_object(card));
    assert_non_null(json_object_get(card, "data")); /* the training data's source */
    /* contributions: the performer's 3 notes of 0.5 s; the model's as many as its track */
    json_t *c = json_object_get(p, "contributions");
    json_t *perf = json_object_get(c, "performer");
    assert_int_equal(json_integer_value(json_object_get(perf, "notes")), 3);
    assert_float_equal(json_real_value(json_object_get(perf, "seconds")), 1.5, 1e-9);
    json_t *m0 = json_array_get(json_object_get(c, "models"), 0);
    assert_int_equal(json_integer_value(json_object_get(m0, "source")), 3);
    assert_int_equal((uint64_t)json_integer_value(json_object_get(m0, "notes")),
                     sum.model_notes);
    assert_true(json_real_value(json_object_get(m0, "seconds")) > 0.0);
    /* the rating at 8.0 s (the `like` of 0 at 9.0 s is no rating) */
    json_t *ratings = json_object_get(p, "ratings");
    assert_int_equal(json_array_size(ratings), 1);
    json_t *r0 = json_array_get(ratings, 0);
    assert_int_equal(json_integer_value(json_object_get(r0, "frame")), 384000);
    assert_string_equal(json_string_value(json_object_get(r0, "slot")), "melody");
    assert_int_equal(json_integer_value(json_object_get(r0, "value")), 1);
    /* the critic's score of every bar it generated */
    json_t *phrases = json_object_get(p, "phrases");
    assert_true(json_array_size(phrases) >= 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(phrases, 0), "slot")),
                        "melody");
    json_decref(p);
    const char *log = slurp(dir, "control.jsonl");
    assert_non_null(strstr(log, "{\"frame\":384000,\"kind\":\"param\",\"param\":"
                                "\"melody/like\",\"value\":1.0,\"from\":\"osc\"}\n"
                                "{\"frame\":384000,\"kind\":\"rating\",\"slot\":\"melody\","
                                "\"value\":1}\n"));
    assert_non_null(strstr(log, "\"param\":\"melody/score\""));
    assert_non_null(strstr(log, "\"from\":\"unit\""));

    /* the MIDI file: the model's track holds as many note-ons as counted */
    char mid[600];
    snprintf(mid, sizeof mid, "%s/notes.mid", dir);
    gb_midifile_t *mf = gb_midifile_load(mid, 48000.0, &err);
    assert_non_null(mf);
    uint64_t ons[3] = {0};
    for (size_t i = 0; i < mf->n_events; i++)
        if (mf->events[i].ev.type == GBP_EV_NOTE_ON && mf->events[i].track < 3)
            ons[mf->events[i].track]++;
    assert_int_equal(ons[1], 3);
    assert_int_equal(ons[2], sum.model_notes);
    gb_midifile_free(mf);
    print_message("melody render: %llu frames, %llu model notes\n",
                  (unsigned long long)sum.frames, (unsigned long long)sum.model_notes);
    gb_osc_score_free(sco);
    gb_session_free(s);
    gb_engine_free(e);
    gb_preset_free(preset);
    gb_unit_registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_files_exact),
        cmocka_unit_test(test_session_melody_render),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
