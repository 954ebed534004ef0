/* test_recorder.c — the recorder's rings and disk thread: frames in = frames on disk (sample
 * for sample), overruns counted (not waited for) with a stalled disk thread, events sorted by
 * frame keeping arrival order, FLAC output, bad paths.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sndfile.h>

#include "gb_recorder.h"
#include "gb_tmpdir.h"

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    return gbt_tmpdir(tmpdir, sizeof tmpdir, "test-recorder");
}

static int teardown(void **state)
{
    (void)state;
    return gbt_rm_rf(tmpdir);
}

static gb_recorder_t *make(const char *name, int format, double ring_s, uint32_t evcap)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    gb_recorder_config_t c = gb_recorder_config_default();
    c.path = path;
    c.format = format;
    c.ring_s = ring_s;
    c.event_capacity = evcap;
    gb_error_t err = {0};
    gb_recorder_t *r = gb_recorder_new(&c, &err);
    if (!r)
        fail_msg("%s", err.msg);
    return r;
}

/* 100 blocks of 480 frames of a known ramp: 48000 frames pushed, 48000 on disk, identical. */
static void test_frames_in_equal_frames_on_disk(void **state)
{
    (void)state;
    gb_recorder_t *r = make("a.wav", GB_REC_WAV, 4.0, 1024);
    float l[480], rr[480];
    for (int b = 0; b < 100; b++) {
        for (int i = 0; i < 480; i++) {
            l[i] = (float)(b * 480 + i) / 65536.0f;
            rr[i] = -l[i];
        }
        gb_recorder_push_audio(r, l, rr, 480);
        if (b % 10 == 0)
            usleep(1000);
    }
    assert_int_equal(gb_recorder_frames(r), 48000);
    gb_recorder_result_t res;
    gb_error_t err = {0};
    assert_int_equal(gb_recorder_stop(r, &res, &err), 0);
    assert_int_equal(res.frames, 48000);
    assert_int_equal(res.frames_written, 48000);
    assert_int_equal(res.overruns, 0);
    assert_null(gb_recorder_failure(r));
    gb_recorder_free(r);
    free(res.events);

    char path[400];
    snprintf(path, sizeof path, "%s/a.wav", tmpdir);
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    assert_non_null(sf);
    assert_int_equal(info.frames, 48000);
    assert_int_equal(info.channels, 2);
    assert_int_equal(info.samplerate, 48000);
    assert_int_equal(info.format, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    float *buf = malloc(2 * 48000 * sizeof *buf);
    assert_int_equal(sf_readf_float(sf, buf, 48000), 48000);
    sf_close(sf);
    int bad = 0;
    for (int i = 0; i < 48000; i++)
        bad += buf[2 * i] != (float)i / 65536.0f || buf[2 * i + 1] != -(float)i / 65536.0f;
    assert_int_equal(bad, 0);
    free(buf);
}

/* The disk thread held: the audio ring (1024 frames) takes 4 blocks of 256, the next 6 are
 * dropped and counted at once (the producer never waits); the event ring (16) takes 16 of
 * 20. Released, the file holds exactly the 1024 frames that fit. */
static void test_overruns_counted_with_stalled_disk(void **state)
{
    (void)state;
    gb_recorder_t *r = make("b.wav", GB_REC_WAV, 0.01, 16);
    gb_recorder_hold(r, 1);
    float l[256] = {0}, rr[256] = {0};
    for (int b = 0; b < 10; b++)
        gb_recorder_push_audio(r, l, rr, 256);
    int refused = 0;
    for (int i = 0; i < 20; i++) {
        gb_rec_event_t x = {.frame = (uint64_t)i, .kind = GB_REC_NOTE};
        refused += gb_recorder_push_event(r, &x) != 0;
    }
    assert_int_equal(refused, 4);
    assert_int_equal(gb_recorder_frames(r), 2560);
    gb_recorder_hold(r, 0);
    gb_recorder_result_t res;
    assert_int_equal(gb_recorder_stop(r, &res, NULL), 0);
    assert_int_equal(res.frames, 2560);
    assert_int_equal(res.overruns, 6);
    assert_int_equal(res.dropped_frames, 1536);
    assert_int_equal(res.frames_written, 1024);
    assert_int_equal(res.events_dropped, 4);
    assert_int_equal(res.n_events, 16);
    free(res.events);
    gb_recorder_free(r);
    char path[400];
    snprintf(path, sizeof path, "%s/b.wav", tmpdir);
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    assert_non_null(sf);
    assert_int_equal(info.frames, 1024);
    sf_close(sf);
}

/* Events come back sorted by frame; at one frame in the order they were pushed. */
static void test_events_sorted_stable(void **state)
{
    (void)state;
    gb_recorder_t *r = make("c.wav", GB_REC_WAV, 1.0, 1024);
    const uint64_t frames[] = {10, 5, 5, 20, 0, 5, 10};
    for (int i = 0; i < 7; i++) {
        gb_rec_event_t x = {.frame = frames[i], .kind = GB_REC_PARAM, .handle = i};
        assert_int_equal(gb_recorder_push_event(r, &x), 0);
    }
    gb_recorder_result_t res;
    assert_int_equal(gb_recorder_stop(r, &res, NULL), 0);
    assert_int_equal(res.n_events, 7);
    const int want[] = {4, 1, 2, 5, 0, 6, 3};
    for (int i = 0; i < 7; i++)
        assert_int_equal(res.events[i].handle, want[i]);
    free(res.events);
    gb_recorder_free(r);
}

/* FLAC, 24-bit: the frames all arrive, within 24-bit quantisation. */
static void test_flac(void **state)
{
    (void)state;
    gb_recorder_t *r = make("d.flac", GB_REC_FLAC, 1.0, 64);
    float l[1000], rr[1000];
    for (int i = 0; i < 1000; i++) {
        l[i] = 0.5f * (float)i / 1000.0f;
        rr[i] = 0.25f;
    }
    for (int b = 0; b < 30; b++)
        gb_recorder_write_audio(r, l, rr, 1000);
    gb_recorder_result_t res;
    assert_int_equal(gb_recorder_stop(r, &res, NULL), 0);
    assert_int_equal(res.frames_written, 30000);
    free(res.events);
    gb_recorder_free(r);
    char path[400];
    snprintf(path, sizeof path, "%s/d.flac", tmpdir);
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    assert_non_null(sf);
    assert_int_equal(info.frames, 30000);
    assert_int_equal(info.format, SF_FORMAT_FLAC | SF_FORMAT_PCM_24);
    float buf[2000];
    assert_int_equal(sf_readf_float(sf, buf, 1000), 1000);
    sf_close(sf);
    for (int i = 0; i < 1000; i++) {
        assert_float_equal(buf[2 * i], l[i], 1.0 / 8388608.0);
        assert_float_equal(buf[2 * i + 1], 0.25, 1.0 / 8388608.0);
    }
}

static void test_bad_path(void **state)
{
    (void)state;
    gb_recorder_config_t c = gb_recorder_config_default();
    c.path = "/nonexistent-dir/x.wav";
    gb_error_t err = {0};
    assert_null(gb_recorder_new(&c, &err));
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.wav"));
    assert_non_null(strstr(err.msg, "No such file or directory"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_in_equal_frames_on_disk),
        cmocka_unit_test(test_overruns_counted_with_stalled_disk),
        cmocka_unit_test(test_events_sorted_stable),
        cmocka_unit_test(test_flac),
        cmocka_unit_test(test_bad_path),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
