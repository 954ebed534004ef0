/* test_midifile.c — Standard MIDI Files (models/io/gb_midifile.c): a committed fixture with a tempo
 * change mid-file read to exact frames; corrupt, truncated and unsupported files refused
 * with a message naming the file; the writer's named tracks read back.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The fixture tests/data/tempo-change.mid is made from tempo-change.csv with
 * `csvmidi tempo-change.csv tempo-change.mid` (Debian package midicsv). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <smf.h>

#include "gb_midifile.h"

static char fixture[1024];
static unsigned char *fix_data;
static size_t fix_len;
static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    const char *src = getenv("GBAC_SOURCE_DIR");
    snprintf(fixture, sizeof fixture, "%s/tests/data/tempo-change.mid", src ? src : ".");
    FILE *f = fopen(fixture, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s (set GBAC_SOURCE_DIR)\n", fixture);
        return -1;
    }
    fix_data = malloc(4096);
    fix_len = fread(fix_data, 1, 4096, f);
    fclose(f);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gbac-test-midifile-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(fix_data);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

typedef struct want {
    uint64_t frame;
    uint32_t track;
    uint8_t type, channel, key;
    uint32_t id;
    float value;
} want_t;

static void tempo_change_gives_exact_frames(void **state)
{
    (void)state;
    gb_error_t err = {0};
    gb_midifile_t *mf = gb_midifile_load(fixture, 48000.0, &err);
    assert_non_null(mf);
    assert_string_equal(err.msg, "");
    assert_int_equal(mf->format, 1);
    assert_int_equal(mf->ppqn, 480);
    assert_int_equal(mf->n_tracks, 3);
    /* 120 bpm for two beats (50 frames per pulse), then 80 bpm (75 frames per pulse). */
    assert_int_equal(mf->n_tempos, 2);
    assert_int_equal(mf->tempos[0].frame, 0);
    assert_float_equal(mf->tempos[0].bpm, 120.0, 1e-9);
    assert_int_equal(mf->tempos[1].frame, 48000);
    assert_float_equal(mf->tempos[1].bpm, 80.0, 1e-9);
    static const want_t want[] = {
        {0, 1, GBP_EV_NOTE_ON, 0, 60, 0, 100.0f / 127.0f},
        {24000, 1, GBP_EV_NOTE_OFF, 0, 60, 0, 0.0f},
        {24000, 2, GBP_EV_NOTE_ON, 1, 36, 0, 90.0f / 127.0f},
        {36000, 2, GBP_EV_PITCH_BEND, 1, 0, 0, 4096.0f / 8191.0f},
        {45000, 2, GBP_EV_PRESSURE, 1, 0, 0, 64.0f / 127.0f},
        {48000, 1, GBP_EV_NOTE_ON, 0, 62, 0, 100.0f / 127.0f}, /* at the tempo change */
        {48000, 2, GBP_EV_CC, 1, 0, 7, 1.0f},
        {66000, 1, GBP_EV_NOTE_OFF, 0, 62, 0, 64.0f / 127.0f},
        {66000, 1, GBP_EV_NOTE_ON, 0, 64, 0, 80.0f / 127.0f},
        {84000, 1, GBP_EV_NOTE_OFF, 0, 64, 0, 64.0f / 127.0f}, /* note-on velocity 0 */
        {120000, 2, GBP_EV_NOTE_OFF, 1, 36, 0, 0.0f},
        {126000, 2, GBP_EV_ALL_OFF, 1, 0, 123, 0.0f},
    };
    assert_int_equal(mf->n_events, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < mf->n_events; i++) {
        const gb_timed_event_t *e = &mf->events[i];
        assert_int_equal(e->frame, want[i].frame);
        assert_int_equal(e->track, want[i].track);
        assert_int_equal(e->ev.type, want[i].type);
        assert_int_equal(e->ev.channel, want[i].channel);
        assert_int_equal(e->ev.key, want[i].key);
        assert_int_equal(e->ev.id, want[i].id);
        assert_int_equal(e->ev.time, 0);
        assert_float_equal(e->ev.value, want[i].value, 0.0f);
    }
    assert_int_equal(mf->n_ignored, 2); /* program change, poly pressure */
    assert_float_equal(mf->length_s, 4.0, 1e-12);
    assert_int_equal(mf->length_frames, 192000);
    gb_midifile_free(mf);
}

static void frames_round_to_nearest_at_other_rates(void **state)
{
    (void)state;
    gb_midifile_t *mf = gb_midifile_load_mem(fix_data, fix_len, "fixture", 44100.0, NULL);
    assert_non_null(mf);
    /* 0.9375 s → 41343.75 → 41344; 1.375 s → 60637.5 → 60638 (halves away from zero). */
    assert_int_equal(mf->events[4].frame, 41344);
    assert_int_equal(mf->events[7].frame, 60638);
    assert_int_equal(mf->tempos[1].frame, 44100);
    assert_int_equal(mf->length_frames, 176400);
    gb_midifile_free(mf);
}

static void assert_error_names(const gb_error_t *err, const char *origin, const char *what)
{
    assert_true(err->code < 0);
    assert_int_equal(strncmp(err->msg, origin, strlen(origin)), 0);
    if (!strstr(err->msg, what)) {
        fprintf(stderr, "message '%s' lacks '%s'\n", err->msg, what);
        fail();
    }
}

static void missing_file_is_named(void **state)
{
    (void)state;
    gb_error_t err = {0};
    char path[512];
    snprintf(path, sizeof path, "%s/no-such.mid", tmpdir);
    assert_null(gb_midifile_load(path, 48000.0, &err));
    assert_int_equal(err.code, GB_EIO);
    assert_error_names(&err, path, "cannot open");
}

static void not_a_midi_file_is_refused(void **state)
{
    (void)state;
    gb_error_t err = {0};
    static const char text[] = "this is a text file, not MIDI\n";
    assert_null(gb_midifile_load_mem(text, sizeof text - 1, "notes.txt", 48000.0, &err));
    assert_int_equal(err.code, GB_EFORMAT);
    assert_error_names(&err, "notes.txt", "not a MIDI file");
    assert_null(gb_midifile_load_mem(text, 0, "empty.mid", 48000.0, &err));
    assert_error_names(&err, "empty.mid", "empty");
}

static void truncated_file_is_refused_at_every_length(void **state)
{
    (void)state;
    /* libsmf alone aborts on some of these (a failed assertion): none may get through. */
    for (size_t n = 1; n < fix_len; n++) {
        gb_error_t err = {0};
        unsigned char *cut = malloc(n);
        memcpy(cut, fix_data, n);
        gb_midifile_t *mf = gb_midifile_load_mem(cut, n, "cut.mid", 48000.0, &err);
        free(cut);
        if (mf) { /* only a cut right after the last complete chunk can load... */
            gb_midifile_free(mf);
            fprintf(stderr, "a file cut to %zu of %zu bytes loaded\n", n, fix_len);
            fail();
        }
        assert_error_names(&err, "cut.mid", "");
        assert_true(strstr(err.msg, "truncated") || strstr(err.msg, "not a MIDI file") ||
                    strstr(err.msg, "not a valid MIDI file"));
    }
}

static void corrupt_bytes_never_crash(void **state)
{
    (void)state;
    uint64_t s = 99;
    unsigned char *buf = malloc(fix_len);
    int loaded = 0, refused = 0;
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, fix_data, fix_len);
        int flips = 1 + round % 4;
        for (int k = 0; k < flips; k++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = 14 + (size_t)((s >> 33) % (fix_len - 14)); /* keep the header */
            buf[at] = (unsigned char)(s >> 20);
        }
        gb_error_t err = {0};
        gb_midifile_t *mf = gb_midifile_load_mem(buf, fix_len, "mut.mid", 48000.0, &err);
        if (mf) {
            loaded++;
            for (size_t i = 1; i < mf->n_events; i++)
                assert_true(mf->events[i].frame >= mf->events[i - 1].frame);
            assert_true(mf->n_events == 0 ||
                        mf->events[mf->n_events - 1].frame <= mf->length_frames);
            gb_midifile_free(mf);
        } else {
            refused++;
            assert_int_equal(strncmp(err.msg, "mut.mid: ", 9), 0);
        }
    }
    assert_true(loaded > 100 && refused > 100);
    free(buf);
}

static void smpte_and_format_2_are_refused(void **state)
{
    (void)state;
    unsigned char *buf = malloc(fix_len);
    gb_error_t err = {0};
    memcpy(buf, fix_data, fix_len);
    buf[12] = 0xE7; /* -25 frames per second */
    buf[13] = 0x28; /* 40 ticks per frame */
    assert_null(gb_midifile_load_mem(buf, fix_len, "smpte.mid", 48000.0, &err));
    assert_int_equal(err.code, GB_EUNSUPPORTED);
    assert_error_names(&err, "smpte.mid", "SMPTE");
    memcpy(buf, fix_data, fix_len);
    buf[9] = 2;
    assert_null(gb_midifile_load_mem(buf, fix_len, "fmt2.mid", 48000.0, &err));
    assert_error_names(&err, "fmt2.mid", "format 2");
    free(buf);
}

/* A meta event longer than 127 bytes (a long copyright notice) is valid SMF that libsmf 1.3
 * misreads on its own. */
static void long_meta_events_are_skipped_correctly(void **state)
{
    (void)state;
    unsigned char f[400];
    size_t n = 0;
    static const unsigned char hdr[] = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xE0};
    memcpy(f + n, hdr, sizeof hdr);
    n += sizeof hdr;
    memcpy(f + n, "MTrk", 4);
    n += 8; /* length filled below */
    const size_t body = n;
    f[n++] = 0x00; /* delta 0, copyright notice of 200 bytes (VLQ 0x81 0x48) */
    f[n++] = 0xFF;
    f[n++] = 0x02;
    f[n++] = 0x81;
    f[n++] = 0x48;
    memset(f + n, 'c', 200);
    n += 200;
    static const unsigned char ev[] = {0x60, 0x90, 0x45, 0x70,  /* +96: A4 on */
                                       0x83, 0x60, 0x45, 0x00,  /* +480, running status off */
                                       0x00, 0xFF, 0x2F, 0x00}; /* end of track */
    memcpy(f + n, ev, sizeof ev);
    n += sizeof ev;
    const uint32_t blen = (uint32_t)(n - body);
    f[body - 4] = (unsigned char)(blen >> 24);
    f[body - 3] = (unsigned char)(blen >> 16);
    f[body - 2] = (unsigned char)(blen >> 8);
    f[body - 1] = (unsigned char)blen;
    gb_error_t err = {0};
    gb_midifile_t *mf = gb_midifile_load_mem(f, n, "long-meta.mid", 48000.0, &err);
    if (!mf)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(mf);
    assert_int_equal(mf->n_events, 2);
    assert_int_equal(mf->events[0].frame, 4800);  /* 96 pulses at 120 bpm, 480 ppqn */
    assert_int_equal(mf->events[0].ev.type, GBP_EV_NOTE_ON);
    assert_int_equal(mf->events[0].ev.key, 69);
    assert_int_equal(mf->events[1].frame, 28800);
    assert_int_equal(mf->events[1].ev.type, GBP_EV_NOTE_OFF);
    gb_midifile_free(mf);
}

static void writer_tracks_read_back(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/duet.mid", tmpdir);
    gb_error_t err = {0};
    gb_midifile_writer_t *w = gb_midifile_writer_new(100.0, 0, &err);
    assert_non_null(w);
    int human = gb_midifile_writer_add_track(w, "performer", &err);
    int model = gb_midifile_writer_add_track(w, "melody-gan", &err);
    assert_int_equal(human, 1);
    assert_int_equal(model, 2);
    /* At 100 bpm and 960 ppqn a pulse is 1/1600 s = 30 frames at 48 kHz. Added out of
     * order on purpose. */
    gbp_event_t on = {.type = GBP_EV_NOTE_ON, .key = 60, .value = 100.0f / 127.0f};
    gbp_event_t off = {.type = GBP_EV_NOTE_OFF, .key = 60, .value = 0.0f};
    gbp_event_t gon = {.type = GBP_EV_NOTE_ON, .channel = 1, .key = 67, .value = 0.5f};
    gbp_event_t goff = {.type = GBP_EV_NOTE_OFF, .channel = 1, .key = 67};
    gbp_event_t par = {.type = GBP_EV_PARAM, .id = 2, .value = 0.3f};
    assert_int_equal(gb_midifile_writer_add(w, human, 1.5, &off, &err), 0);
    assert_int_equal(gb_midifile_writer_add(w, human, 0.25, &on, &err), 0);
    assert_int_equal(gb_midifile_writer_add(w, model, 1.0, &gon, &err), 0);
    assert_int_equal(gb_midifile_writer_add(w, model, 2.0, &goff, &err), 0);
    assert_int_equal(gb_midifile_writer_add(w, model, 2.0, &par, &err), 0); /* skipped */
    assert_true(gb_midifile_writer_add(w, 3, 0.0, &on, &err) < 0);
    assert_int_equal(gb_midifile_writer_save(w, path, &err), 0);
    gb_midifile_writer_free(w);

    gb_midifile_t *mf = gb_midifile_load(path, 48000.0, &err);
    assert_non_null(mf);
    assert_int_equal(mf->n_tracks, 3);
    assert_int_equal(mf->ppqn, 960);
    assert_int_equal(mf->n_tempos, 1);
    assert_float_equal(mf->tempos[0].bpm, 100.0, 1e-9);
    assert_int_equal(mf->n_events, 4);
    static const uint64_t frames[] = {12000, 48000, 72000, 96000};
    static const uint32_t tracks[] = {1, 2, 1, 2};
    static const uint8_t keys[] = {60, 67, 60, 67};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(mf->events[i].frame, frames[i]);
        assert_int_equal(mf->events[i].track, tracks[i]);
        assert_int_equal(mf->events[i].ev.key, keys[i]);
    }
    assert_float_equal(mf->events[0].ev.value, 100.0f / 127.0f, 0.0f);
    assert_float_equal(mf->events[1].ev.value, 64.0f / 127.0f, 0.0f); /* 0.5 → 64 */
    assert_int_equal(mf->length_frames, 96000);
    gb_midifile_free(mf);

    /* The track names are there, as Track Name meta events. */
    smf_t *smf = smf_load(path);
    assert_non_null(smf);
    static const char *const names[] = {"gbac", "performer", "melody-gan"};
    for (int t = 1; t <= 3; t++) {
        smf_track_t *tr = smf_get_track_by_number(smf, t);
        assert_non_null(tr);
        smf_event_t *e = smf_track_get_event_by_number(tr, 1);
        assert_non_null(e);
        char *text = smf_event_extract_text(e);
        assert_non_null(text);
        assert_string_equal(text, names[t - 1]);
        free(text);
    }
    smf_delete(smf);
}

static void writer_refuses_an_unwritable_path(void **state)
{
    (void)state;
    gb_error_t err = {0};
    gb_midifile_writer_t *w = gb_midifile_writer_new(120.0, 480, &err);
    assert_int_equal(gb_midifile_writer_add_track(w, "t", &err), 1);
    assert_true(gb_midifile_writer_save(w, "/nonexistent-dir/x.mid", &err) < 0);
    assert_error_names(&err, "/nonexistent-dir/x.mid", "");
    gb_midifile_writer_free(w);
    assert_null(gb_midifile_writer_new(10.0, 480, &err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tempo_change_gives_exact_frames),
        cmocka_unit_test(frames_round_to_nearest_at_other_rates),
        cmocka_unit_test(missing_file_is_named),
        cmocka_unit_test(not_a_midi_file_is_refused),
        cmocka_unit_test(truncated_file_is_refused_at_every_length),
        cmocka_unit_test(corrupt_bytes_never_crash),
        cmocka_unit_test(smpte_and_format_2_are_refused),
        cmocka_unit_test(long_meta_events_are_skipped_correctly),
        cmocka_unit_test(writer_tracks_read_back),
        cmocka_unit_test(writer_refuses_an_unwritable_path),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
