/* gb_melody_metrics.c — Yang & Lerch phrase features, overlapped area, scale consistency,
 * bar hashes.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_melody_metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gb_melody_ds.h"

#define GRID 512

static int nl_class(int len)
{
    static const int upto[GB_MM_NL_BINS] = {1, 2, 3, 4, 6, 8, 12, 1 << 30};
    int c = 0;
    while (len > upto[c])
        c++;
    return c;
}

void gb_mm_features(const uint8_t *tokens, int n, gb_mm_features_t *f)
{
    memset(f, 0, sizeof *f);
    int seen[128] = {0}, lo = 999, hi = -1, prev = -1, prev_on = -1, cur_len = 0, step = 0;
    int sounding = 0, n_iv = 0, n_ioi = 0, n_tr = 0, n_len = 0;
    double sum_iv = 0, sum_ioi = 0;
    for (int i = 0; i <= n; i++) {
        int t = i < n ? tokens[i] : GB_MDS_REST;
        if (i < n && t == GB_MDS_PAD)
            continue;
        if (t == GB_MDS_HOLD && sounding) {
            cur_len++;
            step++;
            continue;
        }
        if (sounding) { /* the note ends here */
            f->nl_hist[nl_class(cur_len)] += 1;
            n_len++;
            sounding = 0;
        }
        if (i == n)
            break;
        if (t >= GB_MDS_PITCH_BASE && t < GB_MDS_VOCAB) {
            int p = t - GB_MDS_PITCH_BASE + GB_MDS_PITCH_LO;
            if (!seen[p]++)
                f->pitch_count++;
            lo = p < lo ? p : lo;
            hi = p > hi ? p : hi;
            f->pc_hist[p % 12] += 1;
            if (prev >= 0) {
                sum_iv += abs(p - prev);
                n_iv++;
                f->pc_trans[(prev % 12) * 12 + p % 12] += 1;
                n_tr++;
            }
            if (prev_on >= 0) {
                sum_ioi += step - prev_on;
                n_ioi++;
            }
            prev = p;
            prev_on = step;
            f->note_count++;
            sounding = 1;
            cur_len = 1;
        }
        step++;
    }
    if (f->note_count) {
        f->pitch_range = hi - lo;
        for (int k = 0; k < 12; k++)
            f->pc_hist[k] /= f->note_count;
    }
    if (n_iv)
        f->avg_interval = sum_iv / n_iv;
    if (n_ioi)
        f->avg_ioi = sum_ioi / n_ioi;
    if (n_tr)
        for (int k = 0; k < 144; k++)
            f->pc_trans[k] /= n_tr;
    if (n_len)
        for (int k = 0; k < GB_MM_NL_BINS; k++)
            f->nl_hist[k] /= n_len;
}

const char *gb_mm_feature_name(int k)
{
    static const char *names[GB_MM_N_FEATURES] = {
        "pitch_count", "pitch_class_hist", "pitch_class_transition", "pitch_range",
        "avg_interval", "note_count", "avg_ioi", "note_length_hist"};
    return k >= 0 && k < GB_MM_N_FEATURES ? names[k] : NULL;
}

static double l2(const double *a, const double *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += (a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(s);
}

double gb_mm_feature_distance(const gb_mm_features_t *a, const gb_mm_features_t *b, int k)
{
    switch (k) {
    case 0: return fabs((double)(a->pitch_count - b->pitch_count));
    case 1: return l2(a->pc_hist, b->pc_hist, 12);
    case 2: return l2(a->pc_trans, b->pc_trans, 144);
    case 3: return fabs((double)(a->pitch_range - b->pitch_range));
    case 4: return fabs(a->avg_interval - b->avg_interval);
    case 5: return fabs((double)(a->note_count - b->note_count));
    case 6: return fabs(a->avg_ioi - b->avg_ioi);
    case 7: return l2(a->nl_hist, b->nl_hist, GB_MM_NL_BINS);
    default: return NAN;
    }
}

static void mean_sd(const double *x, int n, double *m, double *sd)
{
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++)
        s += x[i];
    *m = s / n;
    for (int i = 0; i < n; i++)
        s2 += (x[i] - *m) * (x[i] - *m);
    *sd = n > 1 ? sqrt(s2 / (n - 1)) : 0.0;
}

/* Gaussian KDE of x at grid points g[0..GRID), into d. */
static void kde(const double *x, int n, double bw, const double *g, double *d)
{
    const double c = 1.0 / (n * bw * 2.5066282746310002);
    for (int j = 0; j < GRID; j++) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            double u = (g[j] - x[i]) / bw;
            if (u > -8.0 && u < 8.0)
                s += exp(-0.5 * u * u);
        }
        d[j] = s * c;
    }
}

double gb_mm_overlap(const double *a, int na, const double *b, int nb, double *kl)
{
    if (kl)
        *kl = NAN;
    if (!a || !b || na < 1 || nb < 1)
        return NAN;
    double ma, sa, mb, sb, lo = a[0], hi = a[0];
    mean_sd(a, na, &ma, &sa);
    mean_sd(b, nb, &mb, &sb);
    for (int i = 0; i < na; i++)
        lo = a[i] < lo ? a[i] : lo, hi = a[i] > hi ? a[i] : hi;
    for (int i = 0; i < nb; i++)
        lo = b[i] < lo ? b[i] : lo, hi = b[i] > hi ? b[i] : hi;
    double floor_bw = fmax(1e-3 * (hi - lo), 1e-6);
    double bwa = fmax(1.06 * sa * pow(na, -0.2), floor_bw);
    double bwb = fmax(1.06 * sb * pow(nb, -0.2), floor_bw);
    double bw = fmax(bwa, bwb);
    lo -= 4 * bw;
    hi += 4 * bw;
    double g[GRID], pa[GRID], pb[GRID], dx = (hi - lo) / (GRID - 1);
    for (int j = 0; j < GRID; j++)
        g[j] = lo + dx * j;
    kde(a, na, bwa, g, pa);
    kde(b, nb, bwb, g, pb);
    /* Normalise on the grid so that the two areas are exactly 1 (narrow kernels). */
    double za = 0, zb = 0;
    for (int j = 0; j < GRID; j++)
        za += pa[j], zb += pb[j];
    double oa = 0, k = 0;
    for (int j = 0; j < GRID; j++) {
        double p = pa[j] / za, q = pb[j] / zb;
        oa += fmin(p, q);
        if (p > 1e-12)
            k += p * log(fmax(p, 1e-10) / fmax(q, 1e-10));
    }
    if (kl)
        *kl = k;
    return fmin(oa, 1.0);
}

double gb_mm_scale_consistency(const double pc_hist[12])
{
    static const int major[7] = {0, 2, 4, 5, 7, 9, 11};
    double best = 0, tot = 0;
    for (int k = 0; k < 12; k++)
        tot += pc_hist[k];
    if (tot <= 0)
        return 0.0;
    /* Natural minor scales have the pitch sets of their relative majors. */
    for (int r = 0; r < 12; r++) {
        double s = 0;
        for (int d = 0; d < 7; d++)
            s += pc_hist[(r + major[d]) % 12];
        best = s > best ? s : best;
    }
    return best / tot;
}

double gb_mm_pc_entropy(const double pc_hist[12])
{
    double h = 0;
    for (int k = 0; k < 12; k++)
        if (pc_hist[k] > 0)
            h -= pc_hist[k] * log2(pc_hist[k]);
    return h;
}

uint64_t gb_mm_hash(const uint8_t *tokens, int n, int transpose_free)
{
    int lo = 255;
    if (transpose_free)
        for (int i = 0; i < n; i++)
            if (tokens[i] >= GB_MDS_PITCH_BASE && tokens[i] != GB_MDS_PAD && tokens[i] < lo)
                lo = tokens[i];
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (int i = 0; i < n; i++) {
        unsigned t = tokens[i];
        if (transpose_free && t >= GB_MDS_PITCH_BASE && t != GB_MDS_PAD)
            t = (unsigned)(t - lo) + GB_MDS_PITCH_BASE;
        h = (h ^ t) * 0x100000001b3ull;
    }
    return h;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void gb_mm_hash_sort(uint64_t *h, int n)
{
    if (h && n > 1)
        qsort(h, (size_t)n, sizeof *h, cmp_u64);
}

int gb_mm_hash_find(const uint64_t *set, int n, uint64_t h)
{
    return set && n > 0 && bsearch(&h, set, (size_t)n, sizeof h, cmp_u64) != NULL;
}

/* ---- phrase form ------------------------------------------------------------------------ */

static int same_rhythm(const uint8_t *a, const uint8_t *b, int steps)
{
    for (int i = 0; i < steps; i++) {
        const int oa = a[i] >= GB_MDS_PITCH_BASE && a[i] < GB_MDS_VOCAB;
        const int ob = b[i] >= GB_MDS_PITCH_BASE && b[i] < GB_MDS_VOCAB;
        if (oa != ob || (a[i] == GB_MDS_REST) != (b[i] == GB_MDS_REST))
            return 0;
    }
    return 1;
}

void gb_mm_phrase_form(const uint8_t *bars, int n_bars, int steps, int pos0, int mode,
                       gb_mm_form_t *f)
{
    const int S = GB_MDS_MAX_STEPS;
    int sounding = -1;
    for (int i = 0; i < n_bars; i++) {
        const uint8_t *b = bars + (size_t)i * S;
        const int pos = ((pos0 + i) % 8 + 8) % 8;
        int rep = 0, var = 0;
        for (int j = i - pos < 0 ? 0 : i - pos; j < i; j++) { /* earlier bars of the phrase */
            const uint8_t *e = bars + (size_t)j * S;
            int same = 0;
            for (int k = 0; k < steps; k++)
                same += b[k] == e[k];
            rep |= same == steps;
            var |= same_rhythm(b, e, steps) || 4 * same >= 3 * steps;
        }
        if (pos > 0 && i > 0) {
            f->compared++;
            f->repeats += rep;
            f->variations += !rep && var;
        }
        for (int k = 0; k < steps; k++) {
            const int t = b[k];
            if (t >= GB_MDS_PITCH_BASE && t < GB_MDS_VOCAB)
                sounding = (GB_MDS_PITCH_LO + t - GB_MDS_PITCH_BASE) % 12;
        }
        if (pos == 7 && sounding >= 0) {
            f->ends++;
            f->ends_td += mode ? sounding == 9 || sounding == 4 : sounding == 0 || sounding == 7;
        }
    }
}
