/* gb_rec_segment.c — a solo recording cut into notes (gb_rec_segment.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_rec_segment.h"

#include "gb_pitch_track.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HOP_S 0.010
#define YIN_THRESHOLD 0.15
#define VOICED_MAX 0.30
#define FLOOR_DB -60.0   /* dBFS: quieter frames are never voiced */
#define RANGE_DB 45.0    /* dB below the loudest frame: quieter frames are "quiet" */
#define ONSET_DB 9.0     /* level rise that starts a note */
#define RISE_LOOKBACK 6  /* frames (60 ms) of the level minimum a rise is measured from */
#define VOICE_WITHIN 5   /* frames (50 ms): a level onset needs voicing this soon */
#define LEGATO_SEMI 0.6  /* f0 move that starts a note without a level rise */
#define LEGATO_HOLD 4    /* frames (40 ms) the new f0 must hold */
#define GAP_FRAMES 3     /* frames (30 ms) of unvoiced or quiet frames that end a note */
#define SKIP_FRAMES 3    /* frames (30 ms) after an onset not judged for stability */
#define MIN_NOTE_S 0.12
#define VOICED_SHARE 0.6
#define STABLE_CENTS 50.0
#define STABLE_SHARE 0.8

typedef struct frame {
    float db;    /* level, dBFS, over the analysis window */
    float sdb;   /* level, dBFS, over the 10 ms around the frame (for onset times) */
    float f0;    /* Hz, 0 when unvoiced */
    int voiced;
} frame_t;

static int cmp_float(const void *a, const void *b)
{
    const float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* YIN over every frame. */
static int analyse(const float *x, size_t n, double sr, double f0_min, double f0_max,
                   frame_t *fr, size_t nf)
{
    const size_t hop = (size_t)lround(HOP_S * sr);
    int w = 1;
    while (w < (int)(2048.0 * sr / 48000.0))
        w <<= 1;
    const int nfft = 2 * w, tmax = (int)fmin(sr / f0_min, w / 2 - 2),
              tmin = (int)fmax(2.0, floor(sr / f0_max));
    float *buf = fftwf_alloc_real((size_t)nfft);
    fftwf_complex *spec = fftwf_alloc_complex((size_t)nfft / 2 + 1);
    double *d = malloc(sizeof *d * (size_t)(tmax + 2)), *cs = malloc(sizeof *cs * (size_t)(w + 1));
    if (!buf || !spec || !d || !cs || tmax <= tmin) {
        fftwf_free(buf);
        fftwf_free(spec);
        free(d);
        free(cs);
        return tmax <= tmin ? GB_EINVAL : GB_ENOMEM;
    }
    fftwf_plan fwd = fftwf_plan_dft_r2c_1d(nfft, buf, spec, FFTW_ESTIMATE);
    fftwf_plan inv = fftwf_plan_dft_c2r_1d(nfft, spec, buf, FFTW_ESTIMATE);
    for (size_t f = 0; f < nf; f++) {
        const long c = (long)(f * hop), s0 = c - w / 2;
        double e = 0.0;
        cs[0] = 0.0;
        for (int j = 0; j < w; j++) {
            const long i = s0 + j;
            const float v = i >= 0 && (size_t)i < n ? x[i] : 0.0f;
            buf[j] = v;
            e += (double)v * v;
            cs[j + 1] = cs[j] + (double)v * v;
        }
        memset(buf + w, 0, sizeof(float) * (size_t)w);
        fr[f].db = (float)(10.0 * log10(e / w + 1e-20));
        const int h0 = w / 2 - (int)hop / 2;
        const double se = cs[h0 + (int)hop] - cs[h0];
        fr[f].sdb = (float)(10.0 * log10(se / (double)hop + 1e-20));
        fr[f].f0 = 0.0f;
        fr[f].voiced = 0;
        if (e < 1e-12)
            continue;
        fftwf_execute(fwd);
        for (int k = 0; k <= nfft / 2; k++) {
            const float re = spec[k][0], im = spec[k][1];
            spec[k][0] = re * re + im * im;
            spec[k][1] = 0.0f;
        }
        fftwf_execute(inv); /* buf[τ] = nfft · Σ_j x_j x_{j+τ} */
        double run = 0.0;
        d[0] = 1.0;
        for (int t = 1; t <= tmax + 1; t++) {
            const double r = buf[t] / (double)nfft;
            const double dd = cs[w - t] + (cs[w] - cs[t]) - 2.0 * r;
            run += dd;
            d[t] = run > 0 ? dd * t / run : 1.0;
        }
        const double tt = gb_yin_period(d, tmin, tmax, YIN_THRESHOLD, VOICED_MAX, NULL);
        if (tt > 0) {
            fr[f].f0 = (float)(sr / tt);
            fr[f].voiced = 1;
        }
    }
    fftwf_destroy_plan(fwd);
    fftwf_destroy_plan(inv);
    fftwf_free(buf);
    fftwf_free(spec);
    free(d);
    free(cs);
    return GB_OK;
}

static double semis(double a, double b) { return 12.0 * log2(a / b); }

/* Median f0 of the voiced frames in [a, b); 0 if none. scratch: b − a floats. */
static float median_f0(const frame_t *fr, size_t a, size_t b, float *scratch, int *count)
{
    int m = 0;
    for (size_t f = a; f < b; f++)
        if (fr[f].voiced)
            scratch[m++] = fr[f].f0;
    if (count)
        *count = m;
    if (!m)
        return 0.0f;
    qsort(scratch, (size_t)m, sizeof *scratch, cmp_float);
    return scratch[m / 2];
}

/* Mark the onset frames. */
static void find_onsets(const frame_t *fr, size_t nf, float loud, unsigned char *on,
                        float *scratch)
{
    size_t note_start = 0, prev = 0;
    int in_note = 0, quiet_run = GAP_FRAMES;
    float peak = -400.0f; /* loudest frame of the current note so far */
    for (size_t f = 0; f < nf; f++) {
        const int audible = fr[f].db > loud - RANGE_DB && fr[f].db > FLOOR_DB;
        const int voiced = audible && fr[f].voiced;
        int start = 0;
        /* level rise: from silence, or from a dip inside a note (a re-articulation) */
        float lo = fr[f].db;
        for (size_t k = f >= RISE_LOOKBACK ? f - RISE_LOOKBACK : 0; k < f; k++)
            lo = fr[k].db < lo ? fr[k].db : lo;
        if (audible && fr[f].db - lo >= ONSET_DB &&
            (!in_note || (f - note_start > SKIP_FRAMES + RISE_LOOKBACK && lo < peak - ONSET_DB))) {
            for (size_t k = f; k < nf && k <= f + VOICE_WITHIN && !start; k++)
                start = fr[k].voiced && fr[k].db > loud - RANGE_DB;
        }
        /* voicing after a gap */
        if (!start && voiced && quiet_run >= GAP_FRAMES)
            start = 1;
        /* legato pitch change */
        if (!start && voiced && in_note && f - note_start > SKIP_FRAMES + 2) {
            const float med = median_f0(fr, note_start + SKIP_FRAMES, f, scratch, NULL);
            if (med > 0 && fabs(semis(fr[f].f0, med)) > LEGATO_SEMI) {
                int hold = 1;
                for (size_t k = f; k < nf && k < f + LEGATO_HOLD && hold; k++)
                    hold = fr[k].voiced && fabs(semis(fr[k].f0, fr[f].f0)) < LEGATO_SEMI / 2;
                start = hold && f + LEGATO_HOLD <= nf;
            }
        }
        if (start) {
            /* the note-on: where the 10 ms level, rising from its minimum of the last 120 ms
             * to its top in the next 50 ms, crosses 30% of the rise (in dB) */
            const size_t a = f > prev + SKIP_FRAMES + 12 ? f - 12 : (prev ? prev + SKIP_FRAMES : 0);
            size_t lo_k = f, k = f;
            float top = fr[f].sdb;
            for (size_t q = a < f ? a : f; q <= f; q++)
                lo_k = fr[q].sdb < fr[lo_k].sdb ? q : lo_k;
            for (size_t q = f; q < nf && q <= f + VOICE_WITHIN; q++)
                top = fr[q].sdb > top ? fr[q].sdb : top;
            if (top - fr[lo_k].sdb >= 6.0f) {
                const float thr = fr[lo_k].sdb + 0.3f * (top - fr[lo_k].sdb);
                for (k = lo_k; k < f && fr[k].sdb < thr; k++)
                    ;
            }
            if (k < prev + 1 && prev)
                k = f;
            on[k] = 1;
            prev = note_start = k;
            in_note = 1;
            peak = -400.0f;
            for (size_t q = k; q <= f; q++)
                peak = fr[q].db > peak ? fr[q].db : peak;
        }
        if (in_note && fr[f].db > peak)
            peak = fr[f].db;
        quiet_run = voiced ? 0 : quiet_run + 1;
        if (quiet_run >= GAP_FRAMES)
            in_note = 0;
    }
}

/* Judge the candidate [a, b) and add it when it is a stable pitched note. */
static int judge(const frame_t *fr, size_t a, size_t b, size_t hop, double sr, float *scratch,
                 gb_rec_note_t *out, gb_rec_segment_stats_t *st)
{
    if ((double)(b - a) * HOP_S < MIN_NOTE_S) {
        st->short_dropped++;
        return 0;
    }
    int nv = 0;
    const float med = median_f0(fr, a + SKIP_FRAMES, b, scratch, &nv);
    const size_t judged = b - a - SKIP_FRAMES;
    int stable = 0;
    for (size_t f = a + SKIP_FRAMES; f < b; f++)
        stable += fr[f].voiced && fabs(1200.0 * log2(fr[f].f0 / med)) <= STABLE_CENTS;
    if (med <= 0 || nv < VOICED_SHARE * (double)judged || stable < STABLE_SHARE * nv) {
        st->unstable_dropped++;
        return 0;
    }
    /* level median and the release */
    int m = 0;
    for (size_t f = a; f < b; f++)
        scratch[m++] = fr[f].db;
    qsort(scratch, (size_t)m, sizeof *scratch, cmp_float);
    const float lmed = scratch[m / 2];
    size_t last = a;
    for (size_t f = a; f < b; f++)
        if (fr[f].db >= lmed - 6.0f)
            last = f;
    int released = 0;
    for (size_t f = last + 1; f < b; f++)
        released |= fr[f].db < lmed - 12.0f;
    out->start = a * hop > hop / 2 ? a * hop - hop / 2 : 0;
    out->end = b * hop;
    out->f0_hz = med;
    out->off_s = released ? (double)(last * hop + hop / 2 - out->start) / sr : -1.0;
    return 1;
}

int gb_rec_segment(const float *x, size_t n, double sample_rate, double f0_min, double f0_max,
                   gb_rec_note_t **notes, int *n_notes, gb_rec_segment_stats_t *stats,
                   gb_error_t *err)
{
    *notes = NULL;
    *n_notes = 0;
    gb_rec_segment_stats_t st;
    memset(&st, 0, sizeof st);
    if (!x || !(sample_rate >= 8000.0 && sample_rate <= 384000.0) || !(f0_min > 0) ||
        !(f0_max > 2 * f0_min))
        return gb_error_set(err, GB_EINVAL, "recording: bad arguments (rate %g, f0 %g..%g)",
                            sample_rate, f0_min, f0_max);
    const size_t hop = (size_t)lround(HOP_S * sample_rate), nf = n / hop;
    frame_t *fr = calloc(nf ? nf : 1, sizeof *fr);
    unsigned char *on = calloc(nf ? nf : 1, 1);
    float *scratch = malloc(sizeof(float) * (nf ? nf : 1));
    gb_rec_note_t *out = NULL;
    int rc = GB_OK, cnt = 0, cap = 0;
    if (!fr || !on || !scratch) {
        rc = gb_error_set(err, GB_ENOMEM, "recording: out of memory for %zu frames", nf);
        goto done;
    }
    if ((rc = analyse(x, n, sample_rate, f0_min, fmin(f0_max, sample_rate / 8.0), fr, nf))) {
        rc = gb_error_set(err, rc, "recording: the pitch analysis failed (%s)",
                          rc == GB_ENOMEM ? "out of memory" : "bad f0 range");
        goto done;
    }
    float loud = -400.0f;
    for (size_t f = 0; f < nf; f++)
        loud = fr[f].db > loud ? fr[f].db : loud;
    st.loudest_db = loud;
    find_onsets(fr, nf, loud, on, scratch);
    for (size_t f = 0; f < nf; f++) {
        if (!on[f])
            continue;
        st.onsets++;
        size_t e = f + 1, quiet = 0;
        while (e < nf && !on[e]) {
            const int q = !(fr[e].db > loud - RANGE_DB && fr[e].db > FLOOR_DB);
            quiet = q ? quiet + 1 : 0;
            e++;
            if (quiet >= GAP_FRAMES) {
                e -= quiet;
                break;
            }
        }
        gb_rec_note_t note;
        if (!judge(fr, f, e, hop, sample_rate, scratch, &note, &st))
            continue;
        if (cnt == cap) {
            cap = cap ? 2 * cap : 64;
            gb_rec_note_t *nn = realloc(out, sizeof *nn * (size_t)cap);
            if (!nn) {
                rc = gb_error_set(err, GB_ENOMEM, "recording: out of memory for %d notes", cap);
                goto done;
            }
            out = nn;
        }
        out[cnt++] = note;
    }
done:
    if (rc) {
        free(out);
        out = NULL;
        cnt = 0;
    }
    *notes = out;
    *n_notes = cnt;
    if (stats)
        *stats = st;
    free(fr);
    free(on);
    free(scratch);
    return rc;
}
