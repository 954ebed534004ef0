/* gb_call_key.c — the key of a call and of a chord progression (gb_call_key.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_call_key.h"

#include <math.h>
#include <string.h>

#include "gb_call_key_table.h"
#include "gb_melody_ds.h"

const gb_call_key_table_t *gb_call_key_table(void)
{
    return &gb_call_key_fitted;
}

int gb_melody_strong_step(int s, int steps, int num, int den)
{
    if (s == 0)
        return 1;
    if (num == 3 && den == 4)
        return s == 8;
    if (num == 9 && den == 8)
        return s == 6 || s == 12;
    return steps % 2 == 0 && s == steps / 2;
}

void gb_key_evidence_add(gb_key_evidence_t *ev, const gb_melody_note_t *notes, size_t n,
                         int num, int den, double weight, int call)
{
    if (!n || den <= 0)
        return;
    const int steps = num * 16 / den > 0 ? num * 16 / den : 16;
    int64_t start = notes[0].on, end = notes[0].off;
    for (size_t i = 1; i < n; i++) {
        start = notes[i].on < start ? notes[i].on : start;
        end = notes[i].off > end ? notes[i].off : end;
    }
    if (end - start > GB_MELODY_KEY_MAX_STEPS)
        end = start + GB_MELODY_KEY_MAX_STEPS;
    int8_t top[GB_MELODY_KEY_MAX_STEPS], onset[GB_MELODY_KEY_MAX_STEPS];
    const int len = (int)(end - start);
    memset(top, -1, (size_t)len);
    memset(onset, -1, (size_t)len);
    for (size_t i = 0; i < n; i++) { /* the top line: the highest note sounding per step */
        const int p = notes[i].pitch & 127;
        for (int64_t s = notes[i].on; s < notes[i].off && s < end; s++)
            if (s >= start && p > top[s - start]) {
                top[s - start] = (int8_t)p;
                onset[s - start] = s == notes[i].on ? (int8_t)p : -1;
            }
    }
    int first = -1, last = -1;
    for (int i = 0; i < len; i++) {
        if (top[i] >= 0)
            ev->f[0][top[i] % 12] += weight;
        if (onset[i] < 0)
            continue;
        const int64_t abs_s = start + i;
        const int in_bar = (int)(((abs_s % steps) + steps) % steps);
        if (gb_melody_strong_step(in_bar, steps, num, den))
            ev->f[1][onset[i] % 12] += weight;
        first = first < 0 ? onset[i] : first;
        last = onset[i];
    }
    if (call && first >= 0) {
        memset(ev->f[2], 0, sizeof ev->f[2]);
        memset(ev->f[3], 0, sizeof ev->f[3]);
        ev->f[2][last % 12] = 1.0;
        ev->f[3][first % 12] = 1.0;
    }
}

double gb_key_evidence_score(const gb_key_evidence_t *ev, const gb_call_key_table_t *t,
                             int tonic, int mode)
{
    t = t ? t : gb_call_key_table();
    double s = t->prior[mode];
    for (int k = 0; k < GB_CALL_KEY_KINDS; k++)
        for (int pc = 0; pc < 12; pc++)
            s += ev->f[k][pc] * t->lp[mode][k][(pc - tonic + 12) % 12];
    return s;
}

void gb_key_evidence_best(const gb_key_evidence_t *ev, const gb_call_key_table_t *t,
                          int *tonic, int *mode)
{
    double any = 0.0;
    for (int pc = 0; pc < 12; pc++)
        any += ev->f[0][pc];
    *tonic = 0;
    *mode = 0;
    if (!(any > 0.0))
        return;
    /* 1. the signature: major key k and its relative minor k + 9, their likelihoods summed */
    double best = -INFINITY, maj = 0.0, min = 0.0;
    int sig = 0;
    for (int k = 0; k < 12; k++) {
        const double a = gb_key_evidence_score(ev, t, k, 0);
        const double b = gb_key_evidence_score(ev, t, (k + 9) % 12, 1);
        const double m = a > b ? a : b, l = m + log(exp(a - m) + exp(b - m));
        if (l > best) {
            best = l;
            sig = k;
            maj = a;
            min = b;
        }
    }
    /* 2. which of the pair */
    *tonic = maj >= min ? sig : (sig + 9) % 12;
    *mode = maj >= min ? 0 : 1;
}

void gb_call_key(const gb_melody_note_t *call, size_t n, const gb_melody_note_t *before,
                 size_t n_before, int num, int den, int *tonic, int *mode)
{
    gb_key_evidence_t ev;
    memset(&ev, 0, sizeof ev);
    int64_t first = INT64_MAX;
    for (size_t i = 0; i < n; i++)
        first = call[i].on < first ? call[i].on : first;
    size_t b0 = 0; /* only the notes at most GB_CALL_KEY_BEFORE_STEPS before the call */
    while (b0 < n_before && before[b0].on < first - GB_CALL_KEY_BEFORE_STEPS)
        b0++;
    size_t b1 = b0;
    while (b1 < n_before && before[b1].on < first)
        b1++;
    gb_key_evidence_add(&ev, before + b0, b1 - b0, num, den, 1.0, 0);
    gb_key_evidence_add(&ev, call, n, num, den, 1.0, 1);
    gb_key_evidence_best(&ev, NULL, tonic, mode);
}

void gb_call_key_tokens(const uint8_t *tokens, int n_steps, int steps, int shift, int num,
                        int den, int *tonic, int *mode)
{
    gb_melody_note_t before[GB_CALL_KEY_BEFORE_STEPS], call[2 * GB_MDS_MAX_STEPS];
    int last = -1;
    for (int s = 0; s < n_steps; s++)
        if (tokens[s] >= GB_MDS_PITCH_BASE && tokens[s] < GB_MDS_VOCAB)
            last = s;
    *tonic = *mode = 0;
    if (last < 0 || steps <= 0 || steps > GB_MDS_MAX_STEPS)
        return;
    const int c0 = (last / steps - 1 > 0 ? last / steps - 1 : 0) * steps;
    const int b0 = c0 - GB_CALL_KEY_BEFORE_STEPS > 0 ? c0 - GB_CALL_KEY_BEFORE_STEPS : 0;
    size_t nb = 0, nc = 0;
    gb_melody_note_t *cur = NULL;
    for (int s = b0; s <= last + steps && s < n_steps; s++) {
        const int t = tokens[s];
        if (t >= GB_MDS_PITCH_BASE && t < GB_MDS_VOCAB) {
            cur = s < c0 ? &before[nb++] : &call[nc++];
            *cur = (gb_melody_note_t){s, s + 1, GB_MDS_PITCH_LO + t - GB_MDS_PITCH_BASE - shift};
        } else if (t == GB_MDS_HOLD && cur) {
            cur->off = s + 1;
        } else {
            cur = NULL;
        }
        if (s == c0 - 1)
            cur = NULL; /* a note held into the call is the call's only from its onset */
    }
    gb_call_key(call, nc, before, nb, num, den, tonic, mode);
}

static const int scale_deg[2][7] = {{0, 2, 4, 5, 7, 9, 11}, {0, 2, 3, 5, 7, 8, 10}};

int gb_key_scale(int tonic, int mode, int harmonic)
{
    int m = 0;
    for (int i = 0; i < 7; i++)
        m |= 1 << (tonic + scale_deg[mode ? 1 : 0][i]) % 12;
    if (mode && harmonic)
        m |= 1 << (tonic + 11) % 12;
    return m;
}

static int popcount12(int m)
{
    int c = 0;
    for (int i = 0; i < 12; i++)
        c += (m >> i) & 1;
    return c;
}

/* How well one chord fits key (tonic, mode). */
static double chord_fit(int chord, int root, int tonic, int mode)
{
    const int scale = gb_key_scale(tonic, mode, 1), n = popcount12(chord);
    if (!n)
        return 0.0;
    const double in = popcount12(chord & scale) / (double)n;
    double s = in - 2.0 * (1.0 - in);
    const int deg = (root - tonic + 12) % 12;
    const int has_min3 = (chord >> ((root + 3) % 12)) & 1, has_maj3 = (chord >> ((root + 4) % 12)) & 1;
    if (deg == 0)
        s += (mode ? has_min3 && !has_maj3 : has_maj3 && !has_min3) ? 1.0
             : !has_min3 && !has_maj3                             ? 0.7
                                                                   : 0.3;
    else if (deg == 7)
        s += 0.5;
    else if (deg == 5)
        s += 0.3;
    return s;
}

/* The root of a pitch-class set: the note with its fifth (2), its third (1) or its
 * diminished fifth (1) in the set scores most; the lowest pitch class on a tie. */
static int infer_root(int c)
{
    int best = -1, root = 0;
    for (int r = 0; r < 12; r++) {
        if (!((c >> r) & 1))
            continue;
        const int s = 2 * ((c >> (r + 7) % 12) & 1) + ((c >> (r + 3) % 12) & 1) +
                      ((c >> (r + 4) % 12) & 1) + ((c >> (r + 6) % 12) & 1);
        if (s > best) {
            best = s;
            root = r;
        }
    }
    return root;
}

void gb_chord_key(const int *chords, const int *roots, size_t n, int *tonic, int *mode,
                  int *scale)
{
    double score[24] = {0}, w = 1.0, best = -INFINITY;
    int any = 0;
    for (size_t i = n; i-- > 0;) { /* the last chord first */
        const int c = chords[i] & 0xfff;
        if (!c)
            continue;
        int r = roots ? roots[i] : -1;
        if (r < 0 || r > 11)
            r = infer_root(c);
        for (int k = 0; k < 24; k++)
            score[k] += w * chord_fit(c, r, k % 12, k / 12);
        w *= 0.7;
        any = 1;
    }
    *tonic = 0;
    *mode = 0;
    *scale = gb_key_scale(0, 0, 0);
    if (!any)
        return;
    int b = 0;
    for (int k = 0; k < 24; k++)
        if (score[k] > best + 1e-9) {
            best = score[k];
            b = k;
        }
    *tonic = b % 12;
    *mode = b / 12;
    int safe = gb_key_scale(*tonic, *mode, 0);
    for (int k = 0; k < 24; k++)
        if (score[k] >= best - GB_CHORD_KEY_SLACK)
            safe &= gb_key_scale(k % 12, k / 12, 0);
    *scale = safe;
}
