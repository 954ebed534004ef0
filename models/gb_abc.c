/* gb_abc.c — ABC tunes as bars of melody tokens with held chords (gb_abc.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_abc.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include "gb_file.h"
#include "gb_melody_key.h"

#define WHOLE 384.0     /* ticks per whole note */
#define STEP_TICKS 24.0 /* a 16th step */
#define S GB_MDS_MAX_STEPS

typedef struct ev {
    double on, len;
    int pitch, tied; /* tied: continues the note before (a hold, not an onset) */
} ev_t;

typedef struct parser {
    const char *p, *end, *name;
    int line;
    gb_error_t *err;
    gb_abc_file_t *f;
    gb_abc_tune_t *tune;  /* being read, NULL outside a tune */
    int cap_bars, in_body;
    /* settings */
    int num, den, unit_set;
    double unit;          /* ticks of L: */
    int tonic, mode, sig[7]; /* key; accidental per letter C..B */
    /* the bar being read */
    ev_t *ev;
    int n_ev, cap_ev;
    double t;             /* ticks into the bar */
    int acc[7][12], acc_set[7][12]; /* bar accidentals per letter and octave */
    int chord, root, bass, bar_chord, bar_root, bar_bass, bar_chord_set, after_symbol;
    int pickup_next;      /* the next bar may be a pickup (tune start, part label) */
    int tie;              /* the last note was tied */
    int last_pitch;
    int tup_left, tup_p, tup_q;
    double broken;        /* factor for the next note (broken rhythm), 1 none */
} parser_t;

static int fail(parser_t *ps, const char *what)
{
    return gb_error_set(ps->err, GB_EFORMAT, "%s: line %d: %s", ps->name, ps->line, what);
}

/* ---------------------------------------------------------------- keys and chords */

static int letter_pc(int c)
{
    static const int pcs[7] = {9, 11, 0, 2, 4, 5, 7}; /* A..G */
    c = toupper(c);
    return c >= 'A' && c <= 'G' ? pcs[c - 'A'] : -1;
}

static int letter_index(int c) /* C D E F G A B → 0..6 */
{
    static const char order[] = "CDEFGAB";
    const char *q = strchr(order, toupper(c));
    return q && c ? (int)(q - order) : -1;
}

/* Key signature of a major key (tonic pc): accidental per letter C..B. */
static void key_signature(int major_pc, int *sig)
{
    static const int fifths[12] = {0, -5, 2, -3, 4, -1, 6, 1, -4, 3, -2, 5};
    static const int sharps[7] = {3, 0, 4, 1, 5, 2, 6}; /* F C G D A E B */
    static const int flats[7] = {6, 2, 5, 1, 4, 0, 3};  /* B E A D G C F */
    const int k = fifths[((major_pc % 12) + 12) % 12];
    memset(sig, 0, 7 * sizeof *sig);
    for (int i = 0; i < (k < 0 ? -k : k); i++)
        sig[k > 0 ? sharps[i] : flats[i]] = k > 0 ? 1 : -1;
}

/* K: value: tonic, mode, signature. "none", "HP" and unknown: C major. */
static void parse_key(parser_t *ps, const char *v, const char *e)
{
    while (v < e && isspace((unsigned char)*v))
        v++;
    int pc = v < e ? letter_pc(*v) : -1, major = 0;
    ps->tonic = 0;
    ps->mode = 0;
    if (pc >= 0) {
        v++;
        if (v < e && (*v == '#' || *v == 'b'))
            pc += *v++ == '#' ? 1 : -1;
        while (v < e && *v == ' ')
            v++;
        char m[4] = {0};
        for (int i = 0; i < 3 && v < e && isalpha((unsigned char)*v); i++, v++)
            m[i] = (char)tolower((unsigned char)*v);
        static const struct { const char *name; int shift, minor; } modes[] = {
            {"m", 3, 1},   {"min", 3, 1}, {"aeo", 3, 1}, {"dor", -2, 1}, {"phr", -4, 1},
            {"loc", 1, 1}, {"lyd", 7, 0}, {"mix", 5, 0}, {"maj", 0, 0},  {"ion", 0, 0}};
        for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
            if (!strcmp(m, modes[i].name) || (m[0] == 'm' && m[1] == 0 && i == 0)) {
                major = modes[i].shift;
                ps->mode = modes[i].minor;
                break;
            }
        ps->tonic = ((pc % 12) + 12) % 12;
        pc += major;
    }
    key_signature(pc >= 0 ? pc : 0, ps->sig);
}

int gb_abc_chord_parse(const char *sym, size_t len, int *root, int *mask, int *bass)
{
    const char *p = sym, *e = sym + len;
    while (p < e && (*p == ' ' || *p == '('))
        p++;
    int r = p < e ? letter_pc(*p) : -1;
    if (r < 0 || !isupper((unsigned char)*p))
        return -1;
    p++;
    if (p < e && (*p == '#' || *p == 'b'))
        r += *p++ == '#' ? 1 : -1;
    r = (r + 12) % 12;
    while (p < e && *p == ' ')
        p++;
    int third = 4, fifth = 7, m = 0;
    if (p < e && *p == 'm' && !(p + 2 < e && p[1] == 'a' && p[2] == 'j')) {
        third = 3;
        p++;
    } else if (p < e && *p == 'd') {
        third = 3;
        fifth = 6;
        p++;
    } else if (p < e && *p == 'a') {
        fifth = 8;
        p++;
    }
    m = 1 << r | 1 << (r + third) % 12 | 1 << (r + fifth) % 12;
    while (p < e && *p != '/') { /* extensions: 6, 7, maj7, b9, 9 */
        if (*p == '7')
            m |= 1 << (r + (p > sym + 3 && !strncmp(p - 3, "maj", 3) ? 11 : 10)) % 12;
        else if (*p == '6')
            m |= 1 << (r + 9) % 12;
        else if (*p == '9')
            m |= 1 << (r + (p[-1] == 'b' ? 1 : 2)) % 12;
        p++;
    }
    int b = r;
    if (p < e && *p == '/' && p + 1 < e && letter_pc(p[1]) >= 0) {
        b = letter_pc(p[1]);
        p += 2;
        if (p < e && (*p == '+' || *p == '#'))
            b++, p++;
        else if (p < e && *p == 'b')
            b--, p++;
        b = (b + 12) % 12;
        m |= 1 << b;
    }
    *root = r;
    *mask = m;
    *bass = b;
    return 0;
}

/* ---------------------------------------------------------------- bars */

static int push_ev(parser_t *ps, const ev_t *e)
{
    if (ps->n_ev == ps->cap_ev) {
        const int nc = ps->cap_ev ? 2 * ps->cap_ev : 32;
        ev_t *n = realloc(ps->ev, sizeof *n * (size_t)nc);
        if (!n)
            return gb_error_set(ps->err, GB_ENOMEM, "%s: out of memory", ps->name);
        ps->ev = n;
        ps->cap_ev = nc;
    }
    ps->ev[ps->n_ev++] = *e;
    return 0;
}

static int fold(int p)
{
    while (p < GB_MDS_PITCH_LO)
        p += 12;
    while (p > GB_MDS_PITCH_HI)
        p -= 12;
    return p;
}

/* The bar's events as tokens: onsets and ends rounded to steps, holds while a note sounds. */
static void bar_tokens(const parser_t *ps, gb_abc_bar_t *b, double shift)
{
    for (int i = 0; i < S; i++)
        b->tokens[i] = i < b->steps ? GB_MDS_REST : GB_MDS_PAD;
    for (int i = 0; i < ps->n_ev; i++) {
        const ev_t *e = &ps->ev[i];
        const int on = (int)lround((e->on + shift) / STEP_TICKS);
        int off = (int)lround((e->on + e->len + shift) / STEP_TICKS);
        off = off <= on ? on + 1 : off;
        for (int s = on < 0 ? 0 : on; s < off && s < b->steps; s++)
            b->tokens[s] = s == on && !e->tied && e->pitch >= 0
                               ? (uint8_t)(GB_MDS_PITCH_BASE + fold(e->pitch) - GB_MDS_PITCH_LO)
                           : e->pitch >= 0 && (s > on || e->tied) ? GB_MDS_HOLD
                                                                  : GB_MDS_REST;
    }
}

static int close_bar(parser_t *ps)
{
    gb_abc_tune_t *tu = ps->tune;
    memset(ps->acc_set, 0, sizeof ps->acc_set);
    ps->after_symbol = 0;
    if (!tu || !ps->in_body || (ps->n_ev == 0 && ps->t <= 0.0))
        return 0; /* nothing between two bar lines */
    if (tu->n_bars == ps->cap_bars) {
        const int nc = ps->cap_bars ? 2 * ps->cap_bars : 64;
        gb_abc_bar_t *n = realloc(tu->bars, sizeof *n * (size_t)nc);
        if (!n)
            return gb_error_set(ps->err, GB_ENOMEM, "%s: out of memory", ps->name);
        tu->bars = n;
        ps->cap_bars = nc;
    }
    gb_abc_bar_t *b = &tu->bars[tu->n_bars++];
    memset(b, 0, sizeof *b);
    b->num = ps->num;
    b->den = ps->den;
    const double full = WHOLE * ps->num / ps->den;
    const int steps = (int)(full / STEP_TICKS + 1e-9);
    b->steps = steps < 1 ? 1 : steps > S ? S : steps;
    b->tonic = ps->tonic;
    b->mode = ps->mode;
    b->chord = ps->bar_chord_set ? ps->bar_chord : ps->chord;
    b->chord_root = ps->bar_chord_set ? ps->bar_root : ps->root;
    b->chord_bass = ps->bar_chord_set ? ps->bar_bass : ps->bass;
    b->full = fabs(ps->t - full) < 1.0;
    b->pickup = !b->full && ps->t < full && ps->pickup_next;
    bar_tokens(ps, b, b->pickup ? full - ps->t : 0.0);
    ps->n_ev = 0;
    ps->t = 0.0;
    ps->bar_chord_set = 0;
    ps->pickup_next = 0;
    return 0;
}

/* ---------------------------------------------------------------- notes */

/* A length after a note: n, /, //, n/m. Sets *mul to the factor of L:. */
static int read_length(parser_t *ps, double *mul)
{
    long n = 1, d = 1;
    if (ps->p < ps->end && isdigit((unsigned char)*ps->p)) {
        n = strtol(ps->p, (char **)&ps->p, 10);
        if (n <= 0 || n > 4096 || ps->p > ps->end)
            return fail(ps, "a note length that cannot be read");
    }
    while (ps->p < ps->end && *ps->p == '/') {
        ps->p++;
        if (ps->p < ps->end && isdigit((unsigned char)*ps->p)) {
            const long m = strtol(ps->p, (char **)&ps->p, 10);
            if (m <= 0 || m > 4096 || d * m > 65536 || ps->p > ps->end)
                return fail(ps, "a note length that cannot be read");
            d *= m;
        } else {
            if (d > 32768)
                return fail(ps, "a note length that cannot be read");
            d *= 2;
        }
    }
    *mul = (double)n / (double)d;
    return 0;
}

/* A pitch (accidental, letter, octave marks) at ps->p, or −1 for a rest (z, x). Returns 0,
 * 1 when there is no pitch here, or an error. */
static int read_pitch(parser_t *ps, int *pitch)
{
    const char *p = ps->p;
    int acc = 0, has_acc = 0;
    while (p < ps->end && (*p == '^' || *p == '_' || *p == '=')) {
        acc += *p == '^' ? 1 : *p == '_' ? -1 : 0;
        has_acc = 1;
        p++;
    }
    if (p < ps->end && (*p == 'z' || *p == 'x') && !has_acc) {
        ps->p = p + 1;
        *pitch = -1;
        return 0;
    }
    const int li = p < ps->end ? letter_index(*p) : -1;
    if (li < 0 || !isalpha((unsigned char)*p))
        return 1;
    static const int base[7] = {0, 2, 4, 5, 7, 9, 11};
    int oct = islower((unsigned char)*p) ? 1 : 0;
    p++;
    while (p < ps->end && (*p == '\'' || *p == ','))
        oct += *p++ == '\'' ? 1 : -1;
    oct = oct < -5 ? -5 : oct > 5 ? 5 : oct;
    const int slot = oct + 5 + 1 > 11 ? 11 : oct + 5;
    if (has_acc) {
        ps->acc[li][slot] = acc;
        ps->acc_set[li][slot] = 1;
    }
    const int a = ps->acc_set[li][slot] ? ps->acc[li][slot] : ps->sig[li];
    *pitch = 60 + 12 * oct + base[li] + a;
    ps->p = p;
    return 0;
}

/* A note, a rest or a chord [..] with its length; adds the event. */
static int read_note(parser_t *ps, int *got)
{
    int pitch = -1, rc;
    double mul = 1.0;
    *got = 0;
    if (*ps->p == '[') { /* a chord: its top note, the first note's length */
        const char *save = ps->p++;
        int top = -1, first = 1;
        while (ps->p < ps->end && *ps->p != ']') {
            int pt;
            double m = 1.0;
            if ((rc = read_pitch(ps, &pt)) < 0)
                return rc;
            if (rc == 1) {
                ps->p++;
                continue;
            }
            if ((rc = read_length(ps, &m)) < 0)
                return rc;
            top = pt > top ? pt : top;
            if (first)
                mul = m;
            first = 0;
        }
        if (ps->p >= ps->end || first) {
            ps->p = save; /* not a chord */
            return 0;
        }
        ps->p++;
        double m2 = 1.0;
        if ((rc = read_length(ps, &m2)) < 0)
            return rc;
        mul *= m2;
        pitch = top;
    } else {
        if ((rc = read_pitch(ps, &pitch)) != 0)
            return rc < 0 ? rc : 0;
        if ((rc = read_length(ps, &mul)) < 0)
            return rc;
    }
    *got = 1;
    double len = ps->unit * mul * ps->broken;
    ps->broken = 1.0;
    if (ps->tup_left > 0) {
        len = len * ps->tup_q / ps->tup_p;
        ps->tup_left--;
    }
    while (ps->p < ps->end && *ps->p == ' ')
        ps->p++;
    if (ps->p < ps->end && (*ps->p == '>' || *ps->p == '<')) { /* broken rhythm */
        int k = 0;
        const char c = *ps->p;
        while (ps->p < ps->end && *ps->p == c && k < 3)
            ps->p++, k++;
        const double f = 1.0 - pow(0.5, k);
        len *= c == '>' ? 1.0 + f : 1.0 - f;
        ps->broken = c == '>' ? 1.0 - f : 1.0 + f;
    }
    if (!ps->bar_chord_set) {
        ps->bar_chord = ps->chord;
        ps->bar_root = ps->root;
        ps->bar_bass = ps->bass;
        ps->bar_chord_set = 1;
    }
    const ev_t e = {.on = ps->t, .len = len, .pitch = pitch,
                    .tied = ps->tie && pitch >= 0 && pitch == ps->last_pitch};
    ps->t += len;
    ps->after_symbol = 0;
    ps->last_pitch = pitch;
    ps->tie = 0;
    if (ps->p < ps->end && *ps->p == '-') {
        ps->tie = 1;
        ps->p++;
    }
    return push_ev(ps, &e);
}

/* (p, (p:q, (p:q:r tuplets; a slur "(" otherwise. */
static void read_tuplet(parser_t *ps)
{
    ps->p++;
    if (ps->p >= ps->end || !isdigit((unsigned char)*ps->p))
        return;
    long p = strtol(ps->p, (char **)&ps->p, 10), q = 0, r = p;
    if (ps->p < ps->end && *ps->p == ':') {
        ps->p++;
        if (ps->p < ps->end && isdigit((unsigned char)*ps->p))
            q = strtol(ps->p, (char **)&ps->p, 10);
        if (ps->p < ps->end && *ps->p == ':') {
            ps->p++;
            if (ps->p < ps->end && isdigit((unsigned char)*ps->p))
                r = strtol(ps->p, (char **)&ps->p, 10);
        }
    }
    if (p < 2 || p > 9 || q < 0 || q > 9 || r < 1 || r > 9)
        return;
    const int compound = ps->num % 3 == 0 && ps->num > 3;
    static const int dflt[10] = {0, 0, 3, 2, 3, 0, 2, 0, 3, 0};
    ps->tup_p = (int)p;
    ps->tup_q = q ? (int)q : dflt[p] ? dflt[p] : compound ? 3 : 2;
    ps->tup_left = (int)r;
}

/* ---------------------------------------------------------------- fields and lines */

static int new_tune(parser_t *ps, int x)
{
    int rc = ps->tune ? close_bar(ps) : 0;
    if (rc < 0)
        return rc;
    gb_abc_file_t *f = ps->f;
    gb_abc_tune_t *n = realloc(f->tunes, sizeof *n * (size_t)(f->n_tunes + 1));
    if (!n)
        return gb_error_set(ps->err, GB_ENOMEM, "%s: out of memory", ps->name);
    f->tunes = n;
    ps->tune = &f->tunes[f->n_tunes++];
    memset(ps->tune, 0, sizeof *ps->tune);
    ps->tune->x = x;
    ps->cap_bars = 0;
    ps->in_body = 0;
    ps->num = ps->den = 4;
    ps->unit_set = 0;
    ps->unit = WHOLE / 8;
    ps->tonic = ps->mode = 0;
    memset(ps->sig, 0, sizeof ps->sig);
    ps->chord = 0;
    ps->root = ps->bass = -1;
    ps->n_ev = 0;
    ps->t = 0.0;
    ps->pickup_next = 1;
    ps->tie = ps->tup_left = 0;
    ps->broken = 1.0;
    ps->last_pitch = -1;
    return 0;
}

static void parse_meter(parser_t *ps, const char *v, const char *e)
{
    while (v < e && isspace((unsigned char)*v))
        v++;
    int n = 4, d = 4;
    if (v < e && *v == 'C') {
        if (v + 1 < e && v[1] == '|')
            n = d = 2;
    } else {
        char buf[32] = {0};
        const size_t k = (size_t)(e - v) < sizeof buf - 1 ? (size_t)(e - v) : sizeof buf - 1;
        memcpy(buf, v, k);
        if (sscanf(buf, "%d/%d", &n, &d) != 2 || n < 1 || n > 32 || d < 1 || d > 32)
            n = d = 4; /* "none" or nonsense: free time read as 4/4 */
    }
    ps->num = n;
    ps->den = d;
    if (!ps->unit_set)
        ps->unit = WHOLE / (n * 4 < 3 * d ? 16 : 8);
}

/* A field line "F:value" (header or body). */
static int field(parser_t *ps, char f, const char *v, const char *e)
{
    int rc = 0;
    switch (f) {
    case 'X':
        rc = new_tune(ps, atoi(v));
        break;
    case 'T':
        if (ps->tune && !ps->tune->title[0]) {
            while (v < e && *v == ' ')
                v++;
            const size_t k = (size_t)(e - v) < sizeof ps->tune->title - 1
                                 ? (size_t)(e - v) : sizeof ps->tune->title - 1;
            memcpy(ps->tune->title, v, k);
            ps->tune->title[k] = 0;
        }
        break;
    case 'M':
        if (ps->in_body && (rc = close_bar(ps)) < 0)
            return rc;
        parse_meter(ps, v, e);
        break;
    case 'L': {
        int n = 0, d = 0;
        char buf[32] = {0};
        memcpy(buf, v, (size_t)(e - v) < sizeof buf - 1 ? (size_t)(e - v) : sizeof buf - 1);
        if (sscanf(buf, " %d/%d", &n, &d) == 2 && n > 0 && n <= 16 && d > 0 && d <= 64) {
            ps->unit = WHOLE * n / d;
            ps->unit_set = 1;
        }
        break;
    }
    case 'K':
        parse_key(ps, v, e);
        ps->in_body = ps->tune != NULL;
        break;
    case 'P':
        if (ps->in_body)
            ps->pickup_next = 1;
        break;
    default:
        break;
    }
    return rc;
}

/* A chord symbol or annotation "..." at ps->p. */
static int symbol(parser_t *ps)
{
    const char *s = ++ps->p;
    while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\n')
        ps->p++;
    if (ps->p >= ps->end || *ps->p != '"')
        return fail(ps, "a chord symbol without its closing quote");
    int root, mask, bass;
    if (!ps->after_symbol && gb_abc_chord_parse(s, (size_t)(ps->p - s), &root, &mask, &bass) == 0) {
        ps->chord = mask;
        ps->root = root;
        ps->bass = bass;
        ps->after_symbol = 1;
    }
    ps->p++;
    return 0;
}

/* Skip from ps->p past the next `close`, on this line. */
static void skip_to(parser_t *ps, char close)
{
    ps->p++;
    while (ps->p < ps->end && *ps->p != close && *ps->p != '\n')
        ps->p++;
    if (ps->p < ps->end && *ps->p == close)
        ps->p++;
}

/* A bar line: | || |] [| |: :| :: [1 [2 |1 ... (endings' numbers are skipped). */
static int bar_line(parser_t *ps)
{
    const char *s = ps->p;
    while (ps->p < ps->end && (*ps->p == '|' || *ps->p == ':' || *ps->p == ']' ||
                               (*ps->p == '[' && ps->p + 1 < ps->end &&
                                (ps->p[1] == '|' || isdigit((unsigned char)ps->p[1])))))
        ps->p++;
    const char *e = ps->p;
    int ending = 0;
    while (ps->p < ps->end && (isdigit((unsigned char)*ps->p) || *ps->p == ',' ||
                               *ps->p == '-'))
        ps->p++, ending = 1;
    const int rc = close_bar(ps);
    /* after a section's end (a repeat sign, ||, |]) a short bar is a pickup, unless it is an
     * ending ([1, [2) */
    int section = 0;
    for (const char *q = s; q + 1 < e; q++)
        section |= q[0] == ':' || q[1] == ':' || (q[0] == '|' && (q[1] == '|' || q[1] == ']'));
    section |= e - s == 1 && *s == ':';
    if (section && !ending)
        ps->pickup_next = 1;
    return rc;
}

/* One character (or token) of a tune body. */
static int body(parser_t *ps)
{
    const char c = *ps->p;
    int got = 0, rc;
    if (c == '|' || c == ':' || (c == '[' && ps->p + 1 < ps->end &&
                                 (ps->p[1] == '|' || isdigit((unsigned char)ps->p[1]))))
        return bar_line(ps);
    if (c == ']') {
        ps->p++;
        return 0;
    }
    if (c == '"')
        return symbol(ps);
    if (c == '!' || c == '+') {
        skip_to(ps, c);
        return 0;
    }
    if (c == '{') {
        skip_to(ps, '}');
        return 0;
    }
    if (c == '(') {
        read_tuplet(ps);
        return 0;
    }
    if (c == '[' && ps->p + 2 < ps->end && isalpha((unsigned char)ps->p[1]) && ps->p[2] == ':') {
        const char *v = ps->p + 3;
        skip_to(ps, ']');
        return field(ps, ps->p[-1] == ']' ? v[-2] : 0, v, ps->p - 1);
    }
    if ((rc = read_note(ps, &got)) < 0)
        return rc;
    if (!got)
        ps->p++; /* decorations, spaces, anything else */
    return 0;
}

static int parse_line(parser_t *ps, const char *e)
{
    const char *p = ps->p;
    if (e - p >= 2 && isalpha((unsigned char)p[0]) && p[1] == ':' &&
        !(ps->in_body && p[0] == '|')) {
        const int rc = field(ps, p[0], p + 2, e);
        ps->p = e;
        return rc;
    }
    if (!ps->tune || !ps->in_body) {
        ps->p = e;
        return 0;
    }
    const char *save = ps->end;
    ps->end = e;
    int rc = 0;
    while (rc == 0 && ps->p < e) {
        if (*ps->p == '%')
            break;
        rc = body(ps);
    }
    ps->end = save;
    ps->p = e;
    return rc;
}

int gb_abc_parse(const char *text, size_t len, const char *name, gb_abc_file_t *f,
                 gb_error_t *err)
{
    parser_t ps = {.p = text, .end = text + len, .name = name ? name : "ABC", .err = err,
                   .f = f, .broken = 1.0};
    memset(f, 0, sizeof *f);
    int rc = 0;
    while (rc == 0 && ps.p < ps.end) {
        ps.line++;
        const char *e = memchr(ps.p, '\n', (size_t)(ps.end - ps.p));
        e = e ? e : ps.end;
        rc = parse_line(&ps, e);
        ps.p = e < ps.end ? e + 1 : e;
    }
    if (rc == 0 && ps.tune)
        rc = close_bar(&ps);
    free(ps.ev);
    if (rc < 0)
        gb_abc_free(f);
    return rc;
}

int gb_abc_read(const char *path, gb_abc_file_t *f, gb_error_t *err)
{
    size_t n = 0;
    char *text = gb_file_read_all(path, (size_t)64 << 20, "ABC file", &n, err);
    memset(f, 0, sizeof *f);
    if (!text)
        return err && err->code ? err->code : GB_EIO;
    const int rc = gb_abc_parse(text, n, path, f, err);
    free(text);
    return rc;
}

void gb_abc_free(gb_abc_file_t *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->n_tunes; i++)
        free(f->tunes[i].bars);
    free(f->tunes);
    memset(f, 0, sizeof *f);
}

const gb_abc_tune_t *gb_abc_find(const gb_abc_file_t *f, int x)
{
    for (int i = 0; f && i < f->n_tunes; i++)
        if (f->tunes[i].x == x)
            return &f->tunes[i];
    return NULL;
}

int gb_abc_notes(const gb_abc_tune_t *t, int b0, int nb, struct gb_melody_note *notes, int cap)
{
    int n = 0;
    int64_t base = 0;
    for (int b = b0 < 0 ? 0 : b0; b < b0 + nb && b < t->n_bars; b++) {
        const gb_abc_bar_t *x = &t->bars[b];
        for (int s = 0; s < x->steps; s++) {
            const int tok = x->tokens[s];
            if (tok == GB_MDS_HOLD && n > 0 && n <= cap && notes[n - 1].off == base + s)
                notes[n - 1].off++;
            else if (tok >= GB_MDS_PITCH_BASE && tok < GB_MDS_VOCAB) {
                if (n < cap)
                    notes[n] = (gb_melody_note_t){.on = base + s, .off = base + s + 1,
                                                  .pitch = GB_MDS_PITCH_LO + tok -
                                                           GB_MDS_PITCH_BASE};
                n++;
            }
        }
        base += x->steps;
    }
    return n;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int gb_abc_corpus_load(const char *dir, gb_abc_corpus_t *c, gb_error_t *err)
{
    memset(c, 0, sizeof *c);
    DIR *d = opendir(dir);
    if (!d)
        return gb_error_set(err, GB_EIO, "%s: cannot open the folder", dir);
    char *list[256];
    int n = 0, rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d)) && n < 256;) {
        const size_t l = strlen(e->d_name);
        if (l <= 4 || l >= 64 + 4 || strcmp(e->d_name + l - 4, ".abc") != 0)
            continue;
        if (!(list[n++] = strdup(e->d_name)))
            rc = gb_error_set(err, GB_ENOMEM, "out of memory");
    }
    closedir(d);
    if (rc == 0 && n == 0)
        rc = gb_error_set(err, GB_EIO, "%s: no .abc file", dir);
    qsort(list, (size_t)n, sizeof *list, cmp_name);
    c->names = calloc((size_t)(n ? n : 1), sizeof *c->names);
    c->files = calloc((size_t)(n ? n : 1), sizeof *c->files);
    if (rc == 0 && (!c->names || !c->files))
        rc = gb_error_set(err, GB_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, list[i]);
        if (rc == 0 && list[i] && (rc = gb_abc_read(path, &c->files[i], err)) == 0) {
            snprintf(c->names[i], sizeof c->names[i], "%.*s", (int)strlen(list[i]) - 4, list[i]);
            c->n_files++;
        }
    }
    for (int i = 0; i < n; i++)
        free(list[i]);
    if (rc)
        gb_abc_corpus_free(c);
    return rc;
}

const gb_abc_tune_t *gb_abc_corpus_find(const gb_abc_corpus_t *c, const char *name)
{
    size_t l = strlen(name);
    while (l > 0 && isdigit((unsigned char)name[l - 1]))
        l--;
    if (!name[l] || l == 0)
        return NULL;
    for (int i = 0; c && i < c->n_files; i++)
        if (strlen(c->names[i]) == l && !strncmp(c->names[i], name, l))
            return gb_abc_find(&c->files[i], atoi(name + l));
    return NULL;
}

void gb_abc_corpus_free(gb_abc_corpus_t *c)
{
    if (!c)
        return;
    for (int i = 0; c->files && i < c->n_files; i++)
        gb_abc_free(&c->files[i]);
    free(c->files);
    free(c->names);
    memset(c, 0, sizeof *c);
}
