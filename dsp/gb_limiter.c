/* gb_limiter.c — lookahead peak limiter (see gb_limiter.h for the signal flow and the proof
 * of the bound).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_limiter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gb_smooth.h"

struct gb_limiter {
    double sr;
    uint32_t size, mask, levels; /* history length (power of two ≥ max window), log2(size) */
    uint32_t max_la, la, win;    /* lookahead in frames (max, current), win = la + 1 */
    uint32_t n;                  /* frames processed (wraps; only used masked) */
    float red;                   /* release state: gain reduction 1 − r (0 = unity) */
    double sum;                  /* sum of r_hist over the window */
    float c_rel;                 /* release coefficient per frame */
    float *tree;                 /* 2·size: min-tree, root at 1, leaves at size + slot */
    float *t_hist;               /* needed gain per frame (for rebuilding the tree) */
    float *r_hist;               /* released gain per frame (the boxcar's input) */
    float *a_l, *a_r;            /* delayed audio */
};

/* Set leaf `slot` to v and update its path to the root: `levels` compare-and-stores, the same
 * for every slot and value. */
static inline void lim_tree_set(gb_limiter_t *l, uint32_t slot, float v) GB_RT
{
    float *t = l->tree;
    uint32_t k = l->size + slot;
    t[k] = v;
    for (uint32_t i = 0; i < l->levels; i++) {
        k >>= 1;
        t[k] = gb_minf(t[2 * k], t[2 * k + 1]);
    }
}

/* Rebuild tree and boxcar sum for the current window from the stored history. */
static void lim_rebuild(gb_limiter_t *l) GB_RT
{
    for (uint32_t j = 0; j < l->size; j++)
        l->tree[l->size + j] = 1.0f;
    double sum = 0.0;
    for (uint32_t k = 0; k < l->win; k++) {
        const uint32_t slot = (l->n - 1u - k) & l->mask;
        l->tree[l->size + slot] = l->t_hist[slot];
        sum += (double)l->r_hist[slot];
    }
    for (uint32_t node = l->size - 1u; node >= 1u; node--)
        l->tree[node] = gb_minf(l->tree[2 * node], l->tree[2 * node + 1]);
    l->sum = sum;
}

gb_limiter_t *gb_limiter_new(double sample_rate, float max_lookahead_ms, gb_error_t *err)
{
    if (!(sample_rate >= 8000.0 && sample_rate <= 384000.0)) {
        gb_error_set(err, GB_ERANGE, "limiter: sample rate %g Hz is outside 8000..384000",
                     sample_rate);
        return NULL;
    }
    if (!(max_lookahead_ms >= 0.0f && max_lookahead_ms <= 50.0f)) {
        gb_error_set(err, GB_ERANGE, "limiter: max lookahead %g ms is outside 0..50",
                     (double)max_lookahead_ms);
        return NULL;
    }
    gb_limiter_t *l = calloc(1, sizeof *l);
    if (!l) {
        gb_error_set(err, GB_ENOMEM, "limiter: out of memory");
        return NULL;
    }
    l->sr = sample_rate;
    l->max_la = (uint32_t)lround(max_lookahead_ms * sample_rate * 0.001);
    l->size = 16;
    l->levels = 4;
    while (l->size < l->max_la + 1u) {
        l->size <<= 1;
        l->levels++;
    }
    l->mask = l->size - 1u;
    /* one block: tree (2·size) + t, r, left, right histories (size each) */
    float *mem = aligned_alloc(GB_ALIGN, (size_t)6 * l->size * sizeof(float));
    if (!mem) {
        gb_error_set(err, GB_ENOMEM, "limiter: out of memory for %u frames of history",
                     l->size);
        free(l);
        return NULL;
    }
    l->tree = mem;
    l->t_hist = mem + 2 * (size_t)l->size;
    l->r_hist = l->t_hist + l->size;
    l->a_l = l->r_hist + l->size;
    l->a_r = l->a_l + l->size;
    l->la = l->max_la;
    l->win = l->la + 1u;
    gb_limiter_set_release(l, 100.0f);
    gb_limiter_reset(l);
    return l;
}

void gb_limiter_free(gb_limiter_t *l)
{
    if (!l)
        return;
    free(l->tree);
    free(l);
}

void gb_limiter_reset(gb_limiter_t *l)
{
    for (uint32_t j = 0; j < 2 * l->size; j++)
        l->tree[j] = 1.0f;
    for (uint32_t j = 0; j < l->size; j++) {
        l->t_hist[j] = 1.0f;
        l->r_hist[j] = 1.0f;
        l->a_l[j] = 0.0f;
        l->a_r[j] = 0.0f;
    }
    l->n = 0;
    l->red = 0.0f;
    l->sum = (double)l->win;
}

void gb_limiter_set_lookahead(gb_limiter_t *l, float ms)
{
    const double f = (double)gb_clampf(ms, 0.0f, 1000.0f) * l->sr * 0.001;
    uint32_t la = (uint32_t)lround(f);
    la = la > l->max_la ? l->max_la : la;
    if (la == l->la)
        return;
    l->la = la;
    l->win = la + 1u;
    lim_rebuild(l);
}

void gb_limiter_set_release(gb_limiter_t *l, float ms)
{
    const double frames = (double)gb_clampf(ms, 0.1f, 10000.0f) * l->sr * 0.001;
    l->c_rel = (float)(1.0 - exp(-1.0 / frames));
}

uint32_t gb_limiter_latency(const gb_limiter_t *l)
{
    return l->la;
}

float gb_limiter_process(gb_limiter_t *l, const float *in_l, const float *in_r, float *out_l,
                         float *out_r, const float *gain, const float *ceiling, uint32_t n)
{
    const double inv_win = 1.0 / (double)l->win;
    const float keep = 1.0f - l->c_rel;
    float red = l->red;
    float min_s = 1.0f;
    for (uint32_t i = 0; i < n; i++) {
        const uint32_t now = l->n & l->mask;
        const uint32_t old = (l->n - l->win) & l->mask; /* leaves the window now */
        const uint32_t out = (l->n - l->la) & l->mask;  /* the frame that is output now */
        const float c = ceiling[i];
        const float xl = gb_zero_nonfinite(in_l[i] * gain[i]);
        const float xr = gb_zero_nonfinite(in_r[i] * gain[i]);

        /* gain computer */
        /* peak capped at 1e30 so t stays a normal number even for absurd input */
        const float peak = gb_minf(gb_maxf(gb_maxf(fabsf(xl), fabsf(xr)), c), 1e30f);
        const float t = c / peak;
        l->t_hist[now] = t;
        lim_tree_set(l, old, 1.0f);
        lim_tree_set(l, now, t);
        /* release state as the reduction 1 − r: it decays to exactly 0 (flushed), so r
         * returns to exactly 1; attack is instant (the max) */
        const float h = l->tree[1];
        red = gb_maxf(1.0f - h, gb_flush_denormal(red * keep));
        const float r = gb_minf(h, 1.0f - red);
        l->sum += (double)r - (double)l->r_hist[old];
        l->r_hist[now] = r;
        const float s = gb_minf((float)(l->sum * inv_win), 1.0f);
        min_s = gb_minf(min_s, s);

        /* delayed audio × gain, then the safety clamp */
        l->a_l[now] = xl;
        l->a_r[now] = xr;
        const float yl = l->a_l[out] * s, yr = l->a_r[out] * s;
        out_l[i] = gb_minf(gb_maxf(yl, -c), c);
        out_r[i] = gb_minf(gb_maxf(yr, -c), c);
        l->n++;
    }
    l->red = red;
    return min_s;
}
