/* gb_melody_key.c — Krumhansl–Schmuckler key finding (gb_melody_key.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_melody_key.h"

#include <math.h>

/* Krumhansl & Kessler (1982) probe-tone profiles, tonic first. */
static const double ks[2][12] = {
    {6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88},
    {6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17}};

static double correlate(const double *x, const double *prof, int rot)
{
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < 12; i++) {
        mx += x[i];
        my += prof[i];
    }
    mx /= 12;
    my /= 12;
    for (int i = 0; i < 12; i++) {
        const double a = x[(i + rot) % 12] - mx, b = prof[i] - my;
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : 0;
}

void gb_melody_key(const double hist[12], int *tonic, int *mode)
{
    double best = -2;
    *tonic = 0;
    *mode = 0;
    for (int m = 0; m < 2; m++)
        for (int t = 0; t < 12; t++) {
            const double r = correlate(hist, ks[m], t);
            if (r > best + 1e-12) {
                best = r;
                *tonic = t;
                *mode = m;
            }
        }
}

void gb_melody_key_of_notes(const gb_melody_note_t *notes, size_t n, int *tonic, int *mode)
{
    double hist[12] = {0};
    int64_t start = INT64_MAX, end = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        start = notes[i].on < start ? notes[i].on : start;
        end = notes[i].off > end ? notes[i].off : end;
    }
    if (n && end - start > GB_MELODY_KEY_MAX_STEPS)
        end = start + GB_MELODY_KEY_MAX_STEPS;
    for (int64_t s = start; n && s < end; s++) {
        int top = -1;
        for (size_t i = 0; i < n; i++)
            if (notes[i].on <= s && s < notes[i].off && notes[i].pitch > top)
                top = notes[i].pitch;
        if (top >= 0)
            hist[top % 12] += 1.0;
    }
    gb_melody_key(hist, tonic, mode);
}

int gb_melody_key_offset(int tonic, int mode)
{
    const int t = ((tonic - (mode ? 9 : 0)) % 12 + 12) % 12;
    return t > 5 ? t - 12 : t;
}
