/* test_resynth.c — `analyze` then resynthesis: a note analysed into timbre frames and played
 * back by the harmonic synth is spectrally close to the original — much closer than the
 * synth's default timbre at the same pitch. Uses the same multi-scale spectral distance the
 * timbre evaluation uses (dsp/gb_msd.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "gb_analysis.h"
#include "gb_engine_util.h"
#include "gb_msd.h"
#include "gb_timbre_json.h"

#define NOTE_START 4800u /* 0.1 s of silence first */
#define NOTE_LEN 72000u  /* 1.5 s */
#define TOTAL (NOTE_START + NOTE_LEN + 9600u)

/* A "recorded" note made another way than the synth makes sound: a 220 Hz tone whose
 * harmonics decay at rates growing with their number (bright attack, darker tail), a breathy
 * noise burst at the attack and a faint steady hiss, summed with sin() in double. */
static void make_note(float *x)
{
    uint32_t seed = 12345u;
    double lp = 0.0;
    memset(x, 0, sizeof(float) * TOTAL);
    for (uint32_t i = 0; i < NOTE_LEN; i++) {
        double t = i / GBT_SR, v = 0.0;
        for (int k = 1; k <= 30; k++) {
            double a = 0.3 / pow(k, 1.1) * exp(-t * (0.8 + 0.35 * k));
            v += a * sin(2 * 3.141592653589793 * 220.0 * k * t + 0.3 * k);
        }
        seed = seed * 1664525u + 1013904223u;
        double white = (seed >> 8) / 8388608.0 - 1.0;
        lp += 0.25 * (white - lp); /* a gentle low-pass: breath, not white noise */
        v += lp * (0.05 * exp(-t * 12.0) + 0.004);
        double att = t < 0.004 ? t / 0.004 : 1.0, rel = i > NOTE_LEN - 480 ? (NOTE_LEN - i) / 480.0 : 1;
        x[NOTE_START + i] = (float)(v * att * rel);
    }
}

/* Play note 57 (220 Hz) through the synth with the given timbre state (or the default). */
static void resynthesize(const char *state_json, float *out)
{
    gb_preset_t *p = gbt_rack(16, NULL, 0);
    gbt_param(&p->instrument, "attack_ms", 0.5f);
    gbt_param(&p->instrument, "decay_ms", 20000.0f);
    gbt_param(&p->instrument, "sustain", 1.0f);
    gbt_param(&p->instrument, "release_ms", 10.0f);
    gbt_param(&p->instrument, "gain_db", 0.0f);
    gbt_param(&p->instrument, "velocity_sens", 0.0f);
    p->instrument.state_json = state_json ? strdup(state_json) : NULL;
    gb_engine_t *e = gbt_engine(p, 256);
    assert_non_null(e);
    float *r = calloc(TOTAL, sizeof(float));
    gbp_event_t ev[2] = {gbt_ev(NOTE_START, GBP_EV_NOTE_ON, 57, 1.0f, 0),
                         gbt_ev(NOTE_START + NOTE_LEN - 480, GBP_EV_NOTE_OFF, 57, 0, 0)};
    gbt_render(e, ev, 2, out, r, TOTAL, 256);
    free(r);
    gb_engine_free(e);
    free(p->instrument.state_json);
    free(p);
}

static void test_resynthesis_is_close_to_the_note(void **state)
{
    (void)state;
    float *x = calloc(TOTAL, sizeof(float)), *y = calloc(TOTAL, sizeof(float)),
          *z = calloc(TOTAL, sizeof(float));
    make_note(x);

    gb_analysis_config_t cfg;
    gb_analysis_config_init(&cfg, GBT_SR);
    gb_error_t err = {0};
    gb_analyzer_t *a = gb_analyzer_new(&cfg, &err);
    assert_non_null(a);
    gb_note_analysis_t res;
    assert_int_equal(gb_analyze_note(a, x, TOTAL, &res, &err), 0);
    printf("analysed: f0 %.3f Hz, %d frames from %.3f s\n", res.f0_hz, res.n_frames,
           res.start_s);
    assert_true(fabs(res.f0_hz - 220.0) < 0.5);

    /* The frames as the synth's state; frame 0 is centred on start_s, the note starts at
     * NOTE_START: skip the frames before the onset. */
    gb_timbre_seq_t *seq = calloc(1, sizeof *seq);
    int skip = (int)ceil(((double)NOTE_START / GBT_SR - res.start_s) / res.hop_s);
    skip = skip < 0 ? 0 : skip;
    seq->n_frames = res.n_frames - skip < GB_TIMBRE_MAX_FRAMES ? res.n_frames - skip
                                                               : GB_TIMBRE_MAX_FRAMES;
    seq->f0_hz = (float)res.f0_hz;
    memcpy(seq->frames, res.frames + skip, sizeof(gb_timbre_frame_t) * (size_t)seq->n_frames);
    json_t *t = gb_timbre_json_from_seq(seq);
    assert_non_null(t);
    json_t *st = json_pack("{s:o}", "timbre", t);
    char *state_json = json_dumps(st, JSON_COMPACT);
    json_decref(st);

    resynthesize(state_json, y);
    resynthesize(NULL, z);
    gb_msd_t d_resynth, d_default;
    assert_int_equal(gb_msd(x + NOTE_START, y + NOTE_START, NOTE_LEN, &d_resynth, &err), 0);
    assert_int_equal(gb_msd(x + NOTE_START, z + NOTE_START, NOTE_LEN, &d_default, &err), 0);
    printf("multi-scale spectral distance to the note: resynthesis %.3f, default timbre %.3f\n",
           d_resynth.total, d_default.total);
    for (int s = 0; s < GB_MSD_SCALES; s++)
        printf("  FFT %4d: lin %.3f / %.3f  log %.3f / %.3f\n", 2048 >> s, d_resynth.lin[s],
               d_default.lin[s], d_resynth.log[s], d_default.log[s]);
    assert_true(d_resynth.total < 0.6 * d_default.total);
    assert_true(d_resynth.lin[0] < 0.5);

    free(state_json);
    free(seq);
    gb_note_analysis_free(&res);
    gb_analyzer_free(a);
    free(x);
    free(y);
    free(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resynthesis_is_close_to_the_note),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
