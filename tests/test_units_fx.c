/* test_units_fx.c — the effect units gbac.delay, gbac.reverb and gbac.limiter, measured:
 * echo times and gains, reverb decay and decorrelation, the limiter's ceiling and NaN guard;
 * and for every built-in unit of this group (the arpeggiator included): bit-identical output
 * for blocks of 1 and of 64 frames, frames = 0 and bad values are safe, process() never
 * allocates.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * This binary replaces malloc & co. (glibc allows it) and forwards to glibc's allocator through
 * its __libc_* entry points, counting calls while the counter is armed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_smooth.h"
#include "gb_test_util.h"
#include "gb_builtin_units.h"

/* ---------------------------------------------------------------- malloc interposition */

#include "gb_alloc_count.h"

/* ---------------------------------------------------------------- a small host */

#define SR 48000.0
#define MAX_BLOCK 1024u

static const gbp_descriptor_t *const gb_all_units[] = {&gb_unit_delay, &gb_unit_reverb,
                                                       &gb_unit_limiter, &gb_unit_arpeggiator};
#define N_UNITS (sizeof gb_all_units / sizeof gb_all_units[0])

static uint32_t param_id(const gbp_descriptor_t *d, const char *name)
{
    for (uint32_t i = 0; i < d->n_params; i++)
        if (strcmp(d->params[i].name, name) == 0)
            return d->params[i].id;
    fail_msg("%s has no parameter '%s'", d->id, name);
    return 0;
}

static void *unit_new(const gbp_descriptor_t *d, double sr)
{
    void *self = d->create(d, NULL);
    assert_non_null(self);
    assert_int_equal(d->activate(self, sr, MAX_BLOCK), 0);
    return self;
}

static void unit_free(const gbp_descriptor_t *d, void *self)
{
    d->deactivate(self);
    d->destroy(self);
}

static void set(const gbp_descriptor_t *d, void *self, const char *name, float v)
{
    d->set_param(self, param_id(d, name), v);
}

static gbp_event_t param_ev(const gbp_descriptor_t *d, uint32_t frame, const char *name, float v)
{
    gbp_event_t e = {.time = frame, .type = GBP_EV_PARAM, .id = param_id(d, name), .value = v};
    return e;
}

/* Run an effect over `frames` frames like the host does: blocks whose sizes cycle through
 * sizes[], each split again at the (absolute, sorted) frames of the events, which are handed
 * over at time 0 of their sub-block. */
static void fx_run(const gbp_descriptor_t *d, void *self, const float *in_l, const float *in_r,
                   float *out_l, float *out_r, uint32_t frames, const gbp_event_t *ev,
                   uint32_t n_ev, const uint32_t *sizes, uint32_t n_sizes)
{
    uint32_t pos = 0, ie = 0, b = 0, block_end = 0;
    while (pos < frames) {
        if (pos >= block_end) {
            block_end = pos + sizes[b++ % n_sizes];
            block_end = block_end < frames ? block_end : frames;
        }
        gbp_event_t sub[32];
        uint32_t k = 0;
        while (ie < n_ev && ev[ie].time <= pos && k < 32) {
            sub[k] = ev[ie++];
            sub[k++].time = 0;
        }
        uint32_t end = block_end;
        if (ie < n_ev && ev[ie].time < end)
            end = ev[ie].time;
        const float *ins[2] = {in_l + pos, in_r + pos};
        float *outs[2] = {out_l + pos, out_r + pos};
        gbp_process_t p = {.frames = end - pos, .events = sub, .n_events = k,
                           .audio_in = ins, .audio_out = outs};
        d->process(self, &p);
        pos = end;
    }
}

static const uint32_t BLOCK_1[] = {1}, BLOCK_64[] = {64};
static const uint32_t BLOCK_MIXED[] = {64, 1, 7, 128, 13, 1024, 3, 256};

static float *fbuf(size_t n)
{
    float *p = calloc(n, sizeof *p);
    assert_non_null(p);
    return p;
}

static double db(double x)
{
    return 10.0 * log10(x > 1e-300 ? x : 1e-300);
}

/* ---------------------------------------------------------------- descriptors */

static void test_descriptors_follow_the_abi(void **state)
{
    (void)state;
    for (size_t u = 0; u < N_UNITS; u++) {
        const gbp_descriptor_t *d = gb_all_units[u];
        assert_int_equal(d->abi_version, GBP_ABI_VERSION);
        assert_int_equal(d->struct_size, sizeof(gbp_descriptor_t));
        assert_true(strncmp(d->id, "gbac.", 5) == 0);
        assert_non_null(d->name);
        assert_non_null(d->description);
        assert_non_null(d->create);
        assert_non_null(d->process);
        assert_non_null(d->reset);
        for (uint32_t i = 0; i < d->n_params; i++) {
            const gbp_param_info_t *p = &d->params[i];
            assert_non_null(p->doc);
            assert_non_null(p->unit);
            assert_true(p->min < p->max);
            assert_true(p->def >= p->min && p->def <= p->max);
            for (uint32_t j = 0; j < i; j++) {
                assert_int_not_equal(p->id, d->params[j].id);
                assert_string_not_equal(p->name, d->params[j].name);
            }
        }
    }
    assert_int_equal(gb_unit_delay.kind, GBP_KIND_EFFECT);
    assert_int_equal(gb_unit_reverb.kind, GBP_KIND_EFFECT);
    assert_int_equal(gb_unit_limiter.kind, GBP_KIND_EFFECT);
    assert_int_equal(gb_unit_arpeggiator.kind, GBP_KIND_NOTE_SOURCE);
}

/* ---------------------------------------------------------------- dsp/gb_smooth.h */

/* The smoothers and guards the units build on: the linear ramp lands exactly on its target
 * after its frame count and holds it; the one-pole covers 99 % of a step in its time and then
 * settles exactly; the guards zero NaN/Inf, clip huge values and flush tiny ones. */
static void test_smoothers_and_guards(void **state)
{
    (void)state;
    gb_ramp_t r;
    gb_ramp_init(&r, 0.2f);
    gb_ramp_set(&r, 0.9f, 480);
    float prev = 0.2f, v = 0.0f;
    for (int i = 1; i <= 480; i++) {
        v = gb_ramp_next(&r);
        assert_true(v > prev || i == 480);
        prev = v;
    }
    assert_true(v == 0.9f);
    for (int i = 0; i < 1000; i++)
        assert_true(gb_ramp_next(&r) == 0.9f);
    gb_ramp_set(&r, -1.0f, 0); /* a jump at the next sample */
    assert_true(gb_ramp_next(&r) == -1.0f);
    assert_int_equal(gb_smooth_frames(20.0f, 48000.0), 960);
    assert_int_equal(gb_smooth_frames(0.0f, 48000.0), 0);

    gb_onepole_t o;
    gb_onepole_init(&o, 0.0f, gb_onepole_coef(20.0f, 48000.0));
    gb_onepole_set(&o, 1.0f);
    for (int i = 0; i < 960; i++)
        v = gb_onepole_next(&o);
    printf("  one-pole after its 20 ms: %.5f of the step; ramp ends exactly on 0.9\n",
           (double)v);
    assert_true(fabsf(v - 0.99f) < 1e-3f);
    int settled = 960;
    for (; v != 1.0f && settled < 48000 * 10; settled++)
        v = gb_onepole_next(&o);
    printf("  one-pole exactly on target after %d samples\n", settled);
    assert_true(v == 1.0f);
    assert_true(gb_onepole_next(&o) == 1.0f);

    assert_true(gb_zero_nonfinite(NAN) == 0.0f && gb_zero_nonfinite(-INFINITY) == 0.0f);
    assert_true(gb_zero_nonfinite(-3.5f) == -3.5f && gb_zero_nonfinite(3e38f) == 3e38f);
    assert_true(gb_sane_sample(3e38f) == GB_SANE_SAMPLE_MAX);
    assert_true(gb_sane_sample(-INFINITY) == 0.0f && gb_sane_sample(0.25f) == 0.25f);
    assert_true(gb_flush_denormal(1e-40f) == 0.0f && gb_flush_denormal(1e-26f) == 0.0f);
    assert_true(gb_flush_denormal(0.123456f) == 0.123456f);
    assert_true(gb_flush_denormal(-1e-9f) == -1e-9f);
    assert_true(gb_clampf(NAN, -1.0f, 1.0f) == -1.0f && gb_clampf(7.0f, -1.0f, 1.0f) == 1.0f);
    assert_true(gb_minf(1.0f, 2.0f) == 1.0f && gb_maxf(1.0f, 2.0f) == 2.0f);
}

/* ---------------------------------------------------------------- delay */

/* An impulse comes back after exactly time_ms·sr/1000 frames with gain `mix`; each further
 * echo carries `feedback` times the previous one (its sample sum: the low-pass has DC gain 1). */
static void test_delay_impulse_returns_at_time_with_gain_mix(void **state)
{
    (void)state;
    const gbp_descriptor_t *d = &gb_unit_delay;
    void *u = unit_new(d, SR);
    const float mix = 0.5f, fb = 0.5f;
    set(d, u, "time_ms", 250.0f);
    set(d, u, "mix", mix);
    set(d, u, "feedback", fb);
    const uint32_t D = 12000, N = 5 * D;
    float *il = fbuf(N), *ir = fbuf(N), *ol = fbuf(N), *o_r = fbuf(N);
    il[0] = ir[0] = 1.0f;
    fx_run(d, u, il, ir, ol, o_r, N, NULL, 0, BLOCK_64, 1);
    assert_float_equal(ol[0], 1.0f - mix, 1e-7);
    for (uint32_t i = 1; i < D; i++)
        assert_true(ol[i] == 0.0f && o_r[i] == 0.0f);
    const double err = fabs((double)ol[D] - mix);
    printf("  delay 250 ms @ 48 kHz: first echo at frame %u, gain %.9f (error %.2e)\n", D,
           (double)ol[D], err);
    assert_true(err < 1e-6);
    assert_true(ol[D - 1] == 0.0f && ol[D + 1] == 0.0f); /* a clean single sample */
    double expect = mix;
    for (uint32_t k = 1; k < 5; k++) {
        double sl = 0.0, sr = 0.0;
        for (uint32_t i = k * D; i < (k + 1) * D; i++) {
            sl += ol[i];
            sr += o_r[i];
        }
        printf("  echo %u: sum %.6f (expected mix·feedback^%u = %.6f)\n", k, sl, k - 1, expect);
        assert_true(fabs(sl - expect) < 1e-4 * expect + 1e-6);
        assert_true(fabs(sr - expect) < 1e-4 * expect + 1e-6);
        expect *= fb;
    }
    unit_free(d, u);
    free(il), free(ir), free(ol), free(o_r);
}

/* Fractional delay times: 1.5 ms at 44.1 kHz is 66.15 frames, shared linearly between frames
 * 66 and 67; 10 ms is exactly frame 441. */
static void test_delay_fractional_and_other_rate(void **state)
{
    (void)state;
    const gbp_descriptor_t *d = &gb_unit_delay;
    void *u = unit_new(d, 44100.0);
    set(d, u, "mix", 1.0f);
    set(d, u, "feedback", 0.0f);
    set(d, u, "time_ms", 10.0f);
    float il[2048] = {1.0f}, ir[2048] = {1.0f}, ol[2048], o_r[2048];
    fx_run(d, u, il, ir, ol, o_r, 2048, NULL, 0, BLOCK_MIXED, 8);
    assert_true(ol[441] == 1.0f && ol[440] == 0.0f && ol[442] == 0.0f);
    d->reset(u);
    set(d, u, "time_ms", 1.5f);
    fx_run(d, u, il, ir, ol, o_r, 2048, NULL, 0, BLOCK_MIXED, 8);
    printf("  1.5 ms @ 44.1 kHz: out[66] = %.6f, out[67] = %.6f (expected 0.85, 0.15)\n",
           (double)ol[66], (double)ol[67]);
    assert_float_equal(ol[66], 0.85f, 2e-4);
    assert_float_equal(ol[67], 0.15f, 2e-4);
    assert_float_equal(ol[66] + ol[67], 1.0f, 1e-6);
    unit_free(d, u);
}

/* Ping-pong: a left-only impulse comes back left (half: the input is summed to mono), then
 * right, then left, each `feedback` times the previous (in sample sums). */
static void test_delay_ping_pong_alternates(void **state)
{
    (void)state;
    const gbp_descriptor_t *d = &gb_unit_delay;
    void *u = unit_new(d, SR);
    set(d, u, "time_ms", 100.0f);
    set(d, u, "mix", 1.0f);
    set(d, u, "feedback", 0.8f);
    set(d, u, "ping_pong", 1.0f);
    const uint32_t D = 4800, N = 4 * D;
    float *il = fbuf(N), *ir = fbuf(N), *ol = fbuf(N), *o_r = fbuf(N);
    il[0] = 1.0f;
    fx_run(d, u, il, ir, ol, o_r, N, NULL, 0, BLOCK_64, 1);
    double s[3][2] = {{0}};
    for (int k = 0; k < 3; k++)
        for (uint32_t i = (uint32_t)(k + 1) * D; i < (uint32_t)(k + 2) * D; i++) {
            s[k][0] += ol[i];
            s[k][1] += o_r[i];
        }
    printf("  ping-pong echo sums L/R: %.4f/%.4f, %.4f/%.4f, %.4f/%.4f\n", s[0][0], s[0][1],
           s[1][0], s[1][1], s[2][0], s[2][1]);
    assert_true(ol[D] == 0.5f);
    assert_true(fabs(s[0][0] - 0.5) < 1e-5 && fabs(s[0][1]) < 1e-9);
    assert_true(fabs(s[1][1] - 0.4) < 1e-4 && fabs(s[1][0]) < 1e-9);
    assert_true(fabs(s[2][0] - 0.32) < 1e-4 && fabs(s[2][1]) < 1e-9);
    unit_free(d, u);
    free(il), free(ir), free(ol), free(o_r);
}

/* A time change 300 → 100 ms on a 440 Hz sine glides: the read point runs at most 3× speed,
 * so no sample step exceeds 3·2π·440/48000 ≈ 0.173 (a hard switch jumps by up to 2). */
static void test_delay_time_change_has_no_zipper(void **state)
{
    (void)state;
    const gbp_descriptor_t *d = &gb_unit_delay;
    void *u = unit_new(d, SR);
    set(d, u, "time_ms", 300.0f);
    set(d, u, "mix", 1.0f);
    set(d, u, "feedback", 0.0f);
    const uint32_t N = 96000;
    float *il = fbuf(N), *ir = fbuf(N), *ol = fbuf(N), *o_r = fbuf(N);
    for (uint32_t i = 0; i < N; i++)
        il[i] = ir[i] = (float)sin(2.0 * GB_PI * 440.0 * i / SR);
    const gbp_event_t ev[] = {param_ev(d, 48000, "time_ms", 100.0f)};
    fx_run(d, u, il, ir, ol, o_r, N, ev, 1, BLOCK_64, 1);
    double max_step = 0.0;
    for (uint32_t i = 14401; i < N; i++)
        max_step = fmax(max_step, fabs((double)ol[i] - ol[i - 1]));
    const double bound = 3.0 * 2.0 * GB_PI * 440.0 / SR;
    printf("  largest sample step across the time change: %.4f (bound %.4f)\n", max_step, bound);
    assert_true(max_step <= bound * 1.02);
    unit_free(d, u);
    free(il), free(ir), free(ol), free(o_r);
}

/* ---------------------------------------------------------------- reverb */

/* Impulse response at RT60 = 1 s (damping out of the way): energy falls stretch by stretch,
 * the 10 ms energy crosses −60 dB (re the loudest window) at about RT60 and −90 dB before
 * 1.5·RT60, the outputs are finite and decorrelated; the first reflection comes after the
 * predelay plus the shortest line (31.7 ms). */
static void test_reverb_decays_by_rt60_and_is_decorrelated(void **state)
{
    (void)state;
    const gbp_descriptor_t *d = &gb_unit_reverb;
    const float predelays[] = {0.0f, 50.0f};
    for (int pi = 0; pi < 2; pi++) {
        void *u = unit_new(d, SR);
        set(d, u, "decay_s", 1.0f);
        set(d, u, "predelay_ms", predelays[pi]);
        set(d, u, "mix", 1.0f);
        set(d, u, "damping_hz", 20000.0f);
        const uint32_t N = 2 * 48000, W = 480; /* 10 ms windows */
        float *il = fbuf(N), *ir = fbuf(N), *ol = fbuf(N), *o_r = fbuf(N);
        il[0] = ir[0] = 1.0f;
        fx_run(d, u, il, ir, ol, o_r, N, NULL, 0, BLOCK_64, 1);
        double e[200] = {0}, peak = 0.0, sll = 0, srr = 0, slr = 0;
        uint32_t first = N;
        for (uint32_t i = 0; i < N; i++) {
            assert_true(isfinite(ol[i]) && isfinite(o_r[i]));
            if (first == N && (ol[i] != 0.0f || o_r[i] != 0.0f))
                first = i;
            e[i / W] += (double)ol[i] * ol[i] + (double)o_r[i] * o_r[i];
            sll += (double)ol[i] * ol[i];
            srr += (double)o_r[i] * o_r[i];
            slr += (double)ol[i] * o_r[i];
        }
        int w_peak = 0, w60 = -1, w90 = -1;
        for (int w = 0; w < 200; w++)
            if (e[w] > peak)
                peak = e[w], w_peak = w;
        for (int w = w_peak; w < 200; w++) {
            if (w60 < 0 && db(e[w] / peak) < -60.0)
                w60 = w;
            if (w90 < 0 && db(e[w] / peak) < -90.0)
                w90 = w;
        }
        /* energy in 100 ms stretches falls monotonically after the build-up */
        double prev = INFINITY;
        for (int st = 1; st < 20; st++) {
            double es = 0.0;
            for (int w = 10 * st; w < 10 * st + 10; w++)
                es += e[w];
            assert_true(es < prev);
            prev = es;
        }
        const double corr = slr / sqrt(sll * srr);
        const uint32_t expect_first = (uint32_t)lroundf(predelays[pi] * 48.0f) + 1522u +
                                      (predelays[pi] == 0.0f ? 1u : 0u);
        printf("  RT60 1 s, predelay %2.0f ms: first sample %u (expected %u); 10 ms energy "
               "< -60 dB from %.2f s, < -90 dB from %.2f s; at 1.0 s %.1f dB, at 1.5 s "
               "%.1f dB; L/R correlation %.3f\n",
               (double)predelays[pi], first, expect_first, w60 * 0.01, w90 * 0.01,
               db(e[100] / peak), db(e[150] / peak), corr);
        assert_int_equal(first, expect_first);
        assert_true(w60 > 0 && w90 > 0);
        assert_true(w60 * 0.01 - predelays[pi] * 0.001 >= 0.75 &&
                    w60 * 0.01 - predelays[pi] * 0.001 <= 1.05);
        assert_true(w90 * 0.01 - predelays[pi] * 0.001 <= 1.5);
        assert_true(fabs(corr) < 0.5);
        unit_free(d, u);
        free(il), free(ir), free(ol), free(o_r);
    }
}

/* Noise (with a NaN and an Inf in it) through a long, dark, large reverb: outputs finite and
 * bounded, never a denormal, and the tail sinks below 1e-20 (−400 dB): the loop is flushed
 * (gb_flush_denormal), it may idle at ~1e-25 but never in the denormal range. */
static void test_reverb_noise_bounded_no_denormals(void **state)
{
    (void)state;
    const gbp_descriptor_t *d = &gb_unit_reverb;
    const float dampings[] = {500.0f, 6000.0f, 20000.0f};
    for (int k = 0; k < 3; k++) {
        void *u = unit_new(d, SR);
        set(d, u, "decay_s", 0.3f);
        set(d, u, "size", 2.0f);
        set(d, u, "mix", 1.0f);
        set(d, u, "damping_hz", dampings[k]);
        const uint32_t N = 48000 * 10;
        float *il = fbuf(N), *ir = fbuf(N), *ol = fbuf(N), *o_r = fbuf(N);
        gb_rng_t rng = gb_rng_seed(7);
        for (uint32_t i = 0; i < 48000; i++) {
            il[i] = (float)gb_rng_uniform(&rng, -1, 1);
            ir[i] = (float)gb_rng_uniform(&rng, -1, 1);
        }
        il[100] = NAN; /* sanitised on the way in */
        ir[200] = INFINITY;
        fx_run(d, u, il, ir, ol, o_r, N, NULL, 0, BLOCK_MIXED, 8);
        double mx = 0.0, tail = 0.0;
        uint32_t subnormal = 0;
        for (uint32_t i = 0; i < N; i++) {
            assert_true(isfinite(ol[i]) && isfinite(o_r[i]));
            subnormal += fpclassify(ol[i]) == FP_SUBNORMAL || fpclassify(o_r[i]) == FP_SUBNORMAL;
            mx = fmax(mx, fmax(fabs(ol[i]), fabs(o_r[i])));
            if (i >= N - 48000)
                tail = fmax(tail, fmax(fabs(ol[i]), fabs(o_r[i])));
        }
        printf("  noise, damping %5.0f Hz: largest |out| %.3f, last second max %.1e, "
               "%u denormal outputs\n",
               (double)dampings[k], mx, tail, subnormal);
        assert_true(mx < 8.0);
        assert_true(tail < 1e-20);
        assert_int_equal(subnormal, 0);
        unit_free(d, u);
        free(il), free(ir), free(ol), free(o_r);
    }
}

/* ---------------------------------------------------------------- limiter */

static float lim_get(void *u, const char *name)
{
    return gb_unit_limiter.get_param(u, param_id(&gb_unit_limiter, name));
}

/* A +12 dBFS sine never exceeds the ceiling; the gain reduction is reported; the level is
 * held right at the ceiling (not squashed far below it). */
static void test_limiter_holds_a_12db_sine_under_the_ceiling(void **state)
{
    (void)state;
    const gbp_descriptor_t *d = &gb_unit_limiter;
    const float ceilings[] = {-0.3f, -6.0f, -24.0f};
    for (int c = 0; c < 3; c++) {
        void *u = unit_new(d, SR);
        set(d, u, "ceiling_db", ceilings[c]);
        const uint32_t N = 48000;
        const float amp = powf(10.0f, 12.0f / 20.0f);
        const double lin = pow(10.0, ceilings[c] / 20.0); /* the exact ceiling */
        float *il = fbuf(N), *ir = fbuf(N), *ol = fbuf(N), *o_r = fbuf(N);
        for (uint32_t i = 0; i < N; i++) {
            il[i] = amp * (float)sin(2.0 * GB_PI * 997.0 * i / SR);
            ir[i] = amp * (float)sin(2.0 * GB_PI * 997.0 * i / SR + 1.0);
        }
        fx_run(d, u, il, ir, ol, o_r, N, NULL, 0, BLOCK_64, 1);
        float mx = 0.0f, mx_late = 0.0f;
        for (uint32_t i = 0; i < N; i++) {
            mx = fmaxf(mx, fmaxf(fabsf(ol[i]), fabsf(o_r[i])));
            if (i >= N / 2)
                mx_late = fmaxf(mx_late, fmaxf(fabsf(ol[i]), fabsf(o_r[i])));
        }
        const float gr = lim_get(u, "gain_reduction_db");
        const float expect_gr = 12.0f - ceilings[c];
        printf("  ceiling %.1f dB (%.6f): max |out| %.6f, steady peak %.6f, reported "
               "reduction %.2f dB (needed %.2f)\n",
               (double)ceilings[c], (double)lin, (double)mx, (double)mx_late, (double)gr,
               (double)expect_gr);
        assert_true(mx <= lin);
        assert_true(mx_late >= 0.97 * lin);
        assert_true(fabsf(gr - expect_gr) < 0.3f);
        unit_free(d, u);
        free(il), free(ir), free(ol), free(o_r);
    }
}

/* A lone +12 dB spike in quiet noise is caught by the lookahead, not by the clamp: the gain
 * starts falling exactly `lookahead` frames before the spike, falls monotonically (a linear
 * ramp), reaches ceiling/peak on the spike, then releases back to exactly 1. */
static void test_limiter_lookahead_ramps_down_before_a_spike(void **state)
{
    (void)state;
    const gbp_descriptor_t *d = &gb_unit_limiter;
    void *u = unit_new(d, SR);
    set(d, u, "lookahead_ms", 2.0f);
    set(d, u, "release_ms", 20.0f);
    const uint32_t N = 48000, m = 10000, la = 96;
    float *il = fbuf(N), *ir = fbuf(N), *ol = fbuf(N), *o_r = fbuf(N);
    for (uint32_t i = 0; i < N; i++)
        il[i] = ir[i] = 0.25f + 0.125f * (float)((i * 7919u) % 17u) / 17.0f; /* > 0: y/x defined */
    il[m] = 4.0f;
    fx_run(d, u, il, ir, ol, o_r, N, NULL, 0, BLOCK_MIXED, 8);
    const double c = pow(10.0, -0.3 / 20.0), t = c / 4.0;
    double g_prev = 1.0;
    for (uint32_t i = m - la - 20; i <= m; i++) {
        const double g = (double)ol[i + la] / il[i];
        if (i < m - la)
            assert_true(g == 1.0);         /* untouched before the lookahead window */
        assert_true(g <= g_prev + 1e-6); /* falls monotonically */
        g_prev = g;
    }
    const double g_peak = (double)ol[m + la] / il[m];
    const double g_mid = (double)ol[m - la / 2 + la] / il[m - la / 2];
    printf("  spike 4.0 (+12 dB): gain 1 until %u frames before it, %.4f halfway, %.4f on it "
           "(ceiling/peak = %.4f)\n",
           la, g_mid, g_peak, t);
    assert_true(fabs(g_peak - t) < 1e-5);
    assert_true(fabs(g_mid - (1.0 + t) / 2.0) < 0.02); /* a linear ramp */
    assert_true(ol[N - 1] == il[N - 1 - la]);           /* released to exactly unity */
    unit_free(d, u);
    free(il), free(ir), free(ol), free(o_r);
}

/* NaN, ±Inf, huge and denormal inputs never reach the output as anything but finite samples
 * under the ceiling; the samples around them are still limited. */
static void test_limiter_silences_nan_and_inf(void **state)
{
    (void)state;
    const gbp_descriptor_t *d = &gb_unit_limiter;
    void *u = unit_new(d, SR);
    set(d, u, "gain_db", 24.0f);
    const uint32_t N = 24000;
    float *il = fbuf(N), *ir = fbuf(N), *ol = fbuf(N), *o_r = fbuf(N);
    gb_rng_t rng = gb_rng_seed(3);
    for (uint32_t i = 0; i < N; i++) {
        il[i] = (float)gb_rng_uniform(&rng, -1, 1);
        ir[i] = (float)gb_rng_uniform(&rng, -1, 1);
        if (i % 97 == 0)
            il[i] = NAN;
        if (i % 89 == 0)
            ir[i] = (i & 1) ? INFINITY : -INFINITY;
        if (i % 101 == 0)
            il[i] = 3e38f; /* × 24 dB overflows to Inf inside */
        if (i % 103 == 0)
            ir[i] = 1e-40f;
    }
    fx_run(d, u, il, ir, ol, o_r, N, NULL, 0, BLOCK_MIXED, 8);
    const double lin = pow(10.0, -0.3 / 20.0);
    float mx = 0.0f;
    for (uint32_t i = 0; i < N; i++) {
        assert_true(isfinite(ol[i]) && isfinite(o_r[i]));
        mx = fmaxf(mx, fmaxf(fabsf(ol[i]), fabsf(o_r[i])));
    }
    printf("  NaN/Inf input at +24 dB gain: all outputs finite, max |out| %.6f ≤ %.6f\n",
           (double)mx, (double)lin);
    assert_true(mx <= lin);
    assert_true(isfinite(lim_get(u, "gain_reduction_db")));
    unit_free(d, u);
    free(il), free(ir), free(ol), free(o_r);
}

/* The limiter's gbac.latency extension, after activation and after a block. */
static uint32_t lim_latency(void *u)
{
    const gbp_latency_t *lat = gb_unit_limiter.get_extension(u, GBP_EXT_LATENCY);
    assert_non_null(lat);
    return lat->get(u);
}

/* Below the ceiling the limiter is a pure delay of `lookahead` frames, bit for bit, and
 * reports that latency (gbac.latency) and no gain reduction. */
static void test_limiter_latency_is_lookahead_and_transparent_below(void **state)
{
    (void)state;
    const gbp_descriptor_t *d = &gb_unit_limiter;
    const float la_ms[] = {0.5f, 5.0f, 10.0f};
    for (int c = 0; c < 3; c++) {
        void *u = unit_new(d, SR);
        set(d, u, "lookahead_ms", la_ms[c]);
        const uint32_t la = (uint32_t)lroundf(la_ms[c] * 48.0f), N = 4800;
        assert_int_equal(lim_latency(u), la);
        float *il = fbuf(N), *ir = fbuf(N), *ol = fbuf(N), *o_r = fbuf(N);
        gb_rng_t rng = gb_rng_seed(5);
        for (uint32_t i = 0; i < N; i++) {
            il[i] = (float)gb_rng_uniform(&rng, -0.9, 0.9);
            ir[i] = (float)gb_rng_uniform(&rng, -0.9, 0.9);
        }
        fx_run(d, u, il, ir, ol, o_r, N, NULL, 0, BLOCK_MIXED, 8);
        for (uint32_t i = 0; i < la; i++)
            assert_true(ol[i] == 0.0f && o_r[i] == 0.0f);
        for (uint32_t i = la; i < N; i++)
            assert_true(ol[i] == il[i - la] && o_r[i] == ir[i - la]);
        assert_true(lim_get(u, "gain_reduction_db") == 0.0f);
        printf("  lookahead %.1f ms: latency %u frames, output = input delayed, bit-exact\n",
               (double)la_ms[c], la);
        /* A lookahead event changes the latency the host reads after the block. */
        gbp_event_t ev = param_ev(d, 0, "lookahead_ms", 2.0f);
        fx_run(d, u, il, ir, ol, o_r, 64, &ev, 1, BLOCK_MIXED, 8);
        assert_int_equal(lim_latency(u), 96u);
        unit_free(d, u);
        free(il), free(ir), free(ol), free(o_r);
    }
}

/* ---------------------------------------------------------------- every unit */

/* Render `frames` frames of unit d with events ev at absolute frames, in blocks cycling
 * through sizes; effects get a seeded noise + sine input; the arpeggiator's output events are
 * written as (absolute frame, type, key) triples into out_l. */
static void render_any(const gbp_descriptor_t *d, const gbp_event_t *ev, uint32_t n_ev,
                       uint32_t frames, const uint32_t *sizes, uint32_t n_sizes, float *out_l,
                       float *out_r)
{
    void *u = unit_new(d, SR);
    if (d->kind == GBP_KIND_EFFECT) {
        float *il = fbuf(frames), *ir = fbuf(frames);
        gb_rng_t rng = gb_rng_seed(11);
        for (uint32_t i = 0; i < frames; i++) {
            const double s = 1.5 * sin(2.0 * GB_PI * 331.0 * i / SR);
            il[i] = (float)(s + gb_rng_uniform(&rng, -0.5, 0.5));
            ir[i] = (float)(-s + gb_rng_uniform(&rng, -0.5, 0.5));
        }
        fx_run(d, u, il, ir, out_l, out_r, frames, ev, n_ev, sizes, n_sizes);
        free(il), free(ir);
    } else {
        /* note source: events at their offsets inside the host's blocks (not split) */
        uint32_t pos = 0, ie = 0, b = 0, w = 0;
        while (pos < frames) {
            uint32_t n = sizes[b++ % n_sizes];
            n = pos + n < frames ? n : frames - pos;
            gbp_event_t in[64], out[256];
            uint32_t k = 0, n_out = 0;
            while (ie < n_ev && ev[ie].time < pos + n && k < 64) {
                in[k] = ev[ie++];
                in[k++].time -= pos;
            }
            gbp_transport_t tr = {.sample_rate = SR, .frame = pos, .tempo_bpm = 120.0,
                                  .beat = pos * 120.0 / (60.0 * SR), .beats_per_bar = 4,
                                  .beat_unit = 4, .playing = 1};
            gbp_process_t p = {.frames = n, .events = in, .n_events = k, .events_out = out,
                               .events_out_capacity = 256, .n_events_out = &n_out,
                               .transport = &tr};
            d->process(u, &p);
            for (uint32_t i = 0; i < n_out && w + 3 <= frames; i++) {
                out_l[w++] = (float)(pos + out[i].time);
                out_l[w++] = out[i].type;
                out_l[w++] = out[i].key;
            }
            pos += n;
        }
    }
    unit_free(d, u);
}

/* Blocks of 1, blocks of 64 and mixed block sizes give bit-identical output, with parameter
 * changes (every parameter, some out of range) on the same absolute frames. */
static void test_blocks_of_1_and_64_are_bit_identical(void **state)
{
    (void)state;
    const uint32_t N = 48000;
    for (size_t un = 0; un < N_UNITS; un++) {
        const gbp_descriptor_t *d = gb_all_units[un];
        gbp_event_t ev[64];
        uint32_t n = 0;
        for (uint32_t i = 0; i < d->n_params; i++) {
            const gbp_param_info_t *p = &d->params[i];
            if (p->flags & GBP_PARAM_READONLY)
                continue;
            ev[n++] = (gbp_event_t){.time = 100 + 37 * i, .type = GBP_EV_PARAM, .id = p->id,
                                    .value = p->min + 0.7f * (p->max - p->min)};
            ev[n++] = (gbp_event_t){.time = 20000 + 11 * i, .type = GBP_EV_PARAM, .id = p->id,
                                    .value = p->max + 100.0f}; /* clamped */
        }
        if (d->kind == GBP_KIND_NOTE_SOURCE) {
            const uint8_t keys[] = {60, 64, 67, 71};
            for (int k = 0; k < 4; k++) {
                ev[n++] = (gbp_event_t){.time = 50 + 2999 * (uint32_t)k,
                                        .type = GBP_EV_NOTE_ON, .key = keys[k], .value = 0.8f};
                ev[n++] = (gbp_event_t){.time = 40000 + 301 * (uint32_t)k,
                                        .type = GBP_EV_NOTE_OFF, .key = keys[k]};
            }
        }
        /* sort by time (stable) */
        for (uint32_t i = 1; i < n; i++)
            for (uint32_t j = i; j > 0 && ev[j - 1].time > ev[j].time; j--) {
                const gbp_event_t t = ev[j];
                ev[j] = ev[j - 1];
                ev[j - 1] = t;
            }
        float *a_l = fbuf(N), *a_r = fbuf(N), *b_l = fbuf(N), *b_r = fbuf(N);
        float *c_l = fbuf(N), *c_r = fbuf(N);
        render_any(d, ev, n, N, BLOCK_1, 1, a_l, a_r);
        render_any(d, ev, n, N, BLOCK_64, 1, b_l, b_r);
        render_any(d, ev, n, N, BLOCK_MIXED, 8, c_l, c_r);
        double energy = 0.0;
        for (uint32_t i = 0; i < N; i++)
            energy += fabs((double)a_l[i]) + fabs((double)a_r[i]);
        printf("  %-17s blocks of 1 = blocks of 64 = mixed blocks: %s (signal sum %.1f)\n",
               d->id,
               !memcmp(a_l, b_l, N * sizeof(float)) && !memcmp(a_r, b_r, N * sizeof(float)) &&
                       !memcmp(a_l, c_l, N * sizeof(float)) &&
                       !memcmp(a_r, c_r, N * sizeof(float))
                   ? "bit-identical"
                   : "DIFFERENT",
               energy);
        assert_true(energy > 0.0);
        assert_memory_equal(a_l, b_l, N * sizeof(float));
        assert_memory_equal(a_r, b_r, N * sizeof(float));
        assert_memory_equal(a_l, c_l, N * sizeof(float));
        assert_memory_equal(a_r, c_r, N * sizeof(float));
        free(a_l), free(a_r), free(b_l), free(b_r), free(c_l), free(c_r);
    }
}

/* frames = 0, no events, NULL event pointers, out-of-range / NaN / Inf parameter values,
 * unknown ids and a missing input buffer: nothing crashes, values are clamped, output stays
 * finite. */
static void test_frames_zero_and_bad_values_are_safe(void **state)
{
    (void)state;
    const float bad[] = {NAN, INFINITY, -INFINITY, 1e30f, -1e30f};
    for (size_t un = 0; un < N_UNITS; un++) {
        const gbp_descriptor_t *d = gb_all_units[un];
        void *u = unit_new(d, SR);
        float l[256] = {0}, r[256] = {0};
        const float *ins[2] = {l, r};
        float *outs[2] = {l, r};
        gbp_event_t evout[64];
        uint32_t n_out = 0;
        gbp_transport_t tr = {.sample_rate = SR, .tempo_bpm = 120.0, .playing = 1};
        const int fx = d->kind == GBP_KIND_EFFECT;
        gbp_process_t p = {.frames = 0,
                           .audio_in = fx ? ins : NULL,
                           .audio_out = fx ? outs : NULL,
                           .events_out = fx ? NULL : evout,
                           .events_out_capacity = fx ? 0 : 64,
                           .n_events_out = fx ? NULL : &n_out,
                           .transport = &tr};
        d->process(u, &p); /* frames 0, events NULL */
        for (uint32_t i = 0; i < d->n_params; i++) {
            const gbp_param_info_t *pi = &d->params[i];
            for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
                d->set_param(u, pi->id, bad[b]);
                const float v = d->get_param(u, pi->id);
                assert_true(isfinite(v));
                assert_true(v >= pi->min && v <= pi->max);
                gbp_event_t ev[2] = {
                    {.type = GBP_EV_PARAM, .id = pi->id, .value = bad[b]},
                    {.type = GBP_EV_PARAM, .id = 4242, .value = bad[b]},
                };
                p.events = ev;
                p.n_events = 2;
                p.frames = 0;
                d->process(u, &p);
                p.frames = (uint32_t)(b * 50);
                d->process(u, &p);
            }
            d->set_param(u, pi->id, pi->def);
        }
        d->set_param(u, 4242, 1.0f);
        (void)d->get_param(u, 4242);
        p.events = NULL;
        p.n_events = 0;
        if (fx) {
            p.audio_in = NULL; /* a host bug: treated as silence */
            p.frames = 256;
            d->process(u, &p);
            for (int i = 0; i < 256; i++)
                assert_true(isfinite(l[i]) && isfinite(r[i]));
        } else {
            p.transport = NULL; /* internal clock */
            p.frames = 256;
            d->process(u, &p);
        }
        d->reset(u);
        unit_free(d, u);
    }
}

/* process() and reset() never allocate or free (and create/activate do, which shows the
 * counter sees the units' allocations). */
static void test_process_never_allocates(void **state)
{
    (void)state;
#if !GB_INTERPOSE
    printf("  built with a sanitizer that owns malloc: allocation counting disabled\n");
    skip();
#endif
    void *u[N_UNITS];
    gb_arm();
    for (size_t i = 0; i < N_UNITS; i++)
        u[i] = unit_new(gb_all_units[i], SR);
    gb_disarm();
    const long at_create = gb_n_alloc;
    assert_true(at_create >= (long)N_UNITS);

    static float l[MAX_BLOCK], r[MAX_BLOCK], ol[MAX_BLOCK], o_r[MAX_BLOCK];
    gb_rng_t rng = gb_rng_seed(9);
    for (uint32_t i = 0; i < MAX_BLOCK; i++) {
        l[i] = (float)gb_rng_uniform(&rng, -4, 4);
        r[i] = (float)gb_rng_uniform(&rng, -4, 4);
    }
    l[5] = NAN;
    gbp_event_t evout[256];
    uint32_t n_out = 0;
    const float *ins[2] = {l, r};
    float *outs[2] = {ol, o_r};
    gb_arm();
    for (int call = 0; call < 2000; call++) {
        const uint32_t frames = (uint32_t)(call * 37) % (MAX_BLOCK + 1);
        for (size_t i = 0; i < N_UNITS; i++) {
            const gbp_descriptor_t *d = gb_all_units[i];
            gbp_event_t ev[4];
            uint32_t ne = 0;
            const gbp_param_info_t *p = &d->params[(uint32_t)call % d->n_params];
            ev[ne++] = (gbp_event_t){.type = GBP_EV_PARAM, .id = p->id,
                                     .value = p->min + (float)(call % 10) / 9.0f *
                                                           (p->max - p->min)};
            if (d->kind == GBP_KIND_NOTE_SOURCE) {
                ev[ne++] = (gbp_event_t){.type = (call & 1) ? GBP_EV_NOTE_OFF : GBP_EV_NOTE_ON,
                                         .key = (uint8_t)(48 + call % 24), .value = 0.7f};
                ev[ne++] = (gbp_event_t){.type = GBP_EV_CC, .id = 1, .value = 0.5f};
            }
            gbp_transport_t tr = {.sample_rate = SR, .frame = (uint64_t)call * 1000,
                                  .tempo_bpm = 140.0, .beat = call * 0.05, .playing = 1};
            const int fx = d->kind == GBP_KIND_EFFECT;
            gbp_process_t pr = {.frames = frames, .events = ev, .n_events = ne,
                                .audio_in = fx ? ins : NULL, .audio_out = fx ? outs : NULL,
                                .events_out = fx ? NULL : evout,
                                .events_out_capacity = fx ? 0 : 256,
                                .n_events_out = fx ? NULL : &n_out, .transport = &tr};
            d->process(u[i], &pr);
            if (call % 500 == 499)
                d->reset(u[i]);
        }
    }
    gb_disarm();
    printf("  create+activate of the 4 units: %ld allocations; 8000 process() calls: %ld "
           "allocations, %ld frees\n",
           at_create, gb_n_alloc, gb_n_free);
    assert_int_equal(gb_n_alloc, 0);
    assert_int_equal(gb_n_free, 0);
    for (size_t i = 0; i < N_UNITS; i++)
        unit_free(gb_all_units[i], u[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptors_follow_the_abi),
        cmocka_unit_test(test_smoothers_and_guards),
        cmocka_unit_test(test_delay_impulse_returns_at_time_with_gain_mix),
        cmocka_unit_test(test_delay_fractional_and_other_rate),
        cmocka_unit_test(test_delay_ping_pong_alternates),
        cmocka_unit_test(test_delay_time_change_has_no_zipper),
        cmocka_unit_test(test_reverb_decays_by_rt60_and_is_decorrelated),
        cmocka_unit_test(test_reverb_noise_bounded_no_denormals),
        cmocka_unit_test(test_limiter_holds_a_12db_sine_under_the_ceiling),
        cmocka_unit_test(test_limiter_lookahead_ramps_down_before_a_spike),
        cmocka_unit_test(test_limiter_silences_nan_and_inf),
        cmocka_unit_test(test_limiter_latency_is_lookahead_and_transparent_below),
        cmocka_unit_test(test_blocks_of_1_and_64_are_bit_identical),
        cmocka_unit_test(test_frames_zero_and_bad_values_are_safe),
        cmocka_unit_test(test_process_never_allocates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
