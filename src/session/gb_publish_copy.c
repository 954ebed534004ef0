/* gb_publish_copy.c — the copy check of `gbac publish` (gb_publish_copy.h): a model track's
 * notes → step codes on the session's 16th grid (as the dataset builder makes a tune's
 * tokens: per step the highest sounding note, a pitch where it starts, else a hold), every
 * 2-bar window with an onset in each bar hashed and looked up in the model file's phrases.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_publish_copy.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_melody_copy.h"
#include "gb_modelfile.h"
#include "gb_session.h"
#include "gb_share.h"

#define MAX_STEPS (1 << 20)
#define NAMES_SHOWN 4

typedef struct grid {
    double step_s; /* seconds per 16th */
    int spb;       /* 16ths per bar */
} grid_t;

typedef struct check {
    json_t *lines, *matches;
    int checked, unchecked, total; /* tracks checked / not, matches found */
} check_t;

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void line(check_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(check_t *c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    json_array_append_new(c->lines, json_string(buf));
}

/* The grid of the tempo in force at frame 0 (docs/session.md tempo_map); 0 if unusable. */
static int session_grid(const gb_session_data_t *s, grid_t *g)
{
    json_t *t = json_array_get(json_object_get(s->prov, "tempo_map"), 0);
    const json_t *b = json_object_get(t, "bpm");
    const double bpm = json_is_number(b) ? json_number_value(b) : 120;
    json_int_t num = t ? json_integer_value(json_object_get(t, "beats_per_bar")) : 4;
    json_int_t den = t ? json_integer_value(json_object_get(t, "beat_unit")) : 4;
    if (!(bpm > 0 && bpm < 1000) || num < 1 || num > 32 || (den != 2 && den != 4 && den != 8 &&
                                                          den != 16) || num * 16 % den)
        return 0;
    g->spb = (int)(num * 16 / den);
    g->step_s = 60.0 / bpm * (double)den / 16.0;
    return g->spb >= 2 && g->spb <= GB_MDS_MAX_STEPS;
}

/* Step codes of a track (n steps, whole bars); NULL when out of memory or too long. */
static int16_t *track_codes(const gb_session_track_t *t, const grid_t *g, long *n_out)
{
    long end = 0;
    for (size_t i = 0; i < t->n_notes; i++)
        end = (long)fmax(end, fmax(lround(t->notes[i].t1 / g->step_s),
                                   lround(t->notes[i].t0 / g->step_s) + 1));
    const long n = (end + g->spb - 1) / g->spb * g->spb;
    int *who = n > 0 && n <= MAX_STEPS ? malloc((size_t)n * sizeof *who) : NULL;
    int16_t *code = who ? malloc((size_t)n * sizeof *code) : NULL;
    if (!code) {
        free(who);
        return NULL;
    }
    for (long k = 0; k < n; k++)
        who[k] = -1;
    for (size_t i = 0; i < t->n_notes; i++) {
        const gb_session_note_t *a = &t->notes[i];
        const long on = lround(a->t0 / g->step_s);
        const long off = (long)fmax(lround(a->t1 / g->step_s), on + 1);
        for (long k = on < 0 ? 0 : on; k < off; k++) {
            const gb_session_note_t *b = who[k] < 0 ? NULL : &t->notes[who[k]];
            if (!b || a->pitch > b->pitch || (a->pitch == b->pitch && a->t0 > b->t0))
                who[k] = (int)i;
        }
    }
    for (long k = 0; k < n; k++) {
        const int w = who[k];
        if (w < 0)
            code[k] = GB_MCOPY_REST;
        else if (k > 0 && who[k - 1] == w && lround(t->notes[w].t0 / g->step_s) != k)
            code[k] = GB_MCOPY_HOLD;
        else
            code[k] = (int16_t)t->notes[w].pitch;
    }
    free(who);
    *n_out = n;
    return code;
}

static int has_onset(const int16_t *code, int n)
{
    for (int k = 0; k < n; k++)
        if (code[k] >= 0)
            return 1;
    return 0;
}

/* One matching window at step w: a line naming the tunes, and an entry per tune. */
static void report_match(check_t *c, const gb_melody_copy_t *cs, const char *slot, long w,
                         const grid_t *g, const int *tunes, int n, int transposed)
{
    static const char *const split_name[] = {"train", "validation", "test"};
    const long bar = w / g->spb + 1, step = w % g->spb + 1;
    char where[96], names[512] = "";
    if (step == 1)
        snprintf(where, sizeof where, "bars %ld-%ld", bar, bar + 1);
    else
        snprintf(where, sizeof where, "2 bars from bar %ld, 16th %ld,", bar, step);
    for (int i = 0; i < n && i < NAMES_SHOWN; i++) {
        int split = 0;
        const char *tune = gb_melody_copy_tune(cs, tunes[i], &split);
        size_t k = strlen(names);
        snprintf(names + k, sizeof names - k, "%s\"%s\"", i ? ", " : "", tune ? tune : "?");
        if (c->total < GB_PUBLISH_COPY_MAX_MATCHES)
            json_array_append_new(c->matches,
                json_pack("{s:s, s:I, s:I, s:f, s:s, s:s, s:b}", "slot", slot, "bar",
                          (json_int_t)bar, "step", (json_int_t)step, "seconds",
                          (double)w * g->step_s, "tune", tune ? tune : "?", "split",
                          split_name[split >= 0 && split < 3 ? split : 0], "transposed",
                          transposed));
        c->total++;
    }
    line(c, "%s: %s (%.2f s) copy %s%s%s", slot, where, (double)w * g->step_s, names,
         n > NAMES_SHOWN ? " and more" : "", transposed ? ", transposed" : " exactly");
}

/* Every 2-bar window of the codes; returns the matches found. */
static int scan(check_t *c, const gb_melody_copy_t *cs, const char *slot, const int16_t *code,
                long n, const grid_t *g)
{
    const int len = 2 * g->spb;
    int found = 0, tunes[NAMES_SHOWN + 1];
    for (long w = 0; w + len <= n; w++) {
        if (!has_onset(code + w, g->spb) || !has_onset(code + w + g->spb, g->spb))
            continue;
        for (int tr = 0; tr < 2; tr++) {
            const uint64_t h = gb_melody_copy_hash(code + w, len, g->spb, tr);
            const int k = gb_melody_copy_find(cs, h, tr, tunes, NAMES_SHOWN + 1);
            if (k > 0) {
                report_match(c, cs, slot, w, g, tunes, k, tr);
                found++;
                break; /* an exact copy is a transposed one too: named once */
            }
        }
    }
    return found;
}

/* The phrase hashes of a track's model file; NULL with a line saying why. */
static gb_melody_copy_t *load_hashes(check_t *c, const json_t *entry, const char *slot,
                                     char *file, size_t cap)
{
    const char *named = jstr(entry, "file");
    if (!named || !*named) {
        line(c, "%s: the check could not be made: the provenance names no model file", slot);
        return NULL;
    }
    gb_share_resolve(named, named, file, cap);
    gb_error_t e;
    gb_error_clear(&e);
    gb_model_t *m = gb_model_load(file, 1, &e);
    gb_melody_copy_t *cs = m ? gb_melody_copy_from_model(m, &e) : NULL;
    gb_model_free(m);
    if (!cs) { /* the message as named in the session, not where this machine found it */
        const size_t k = strlen(file);
        const int at = strncmp(e.msg, file, k) == 0;
        line(c, "%s: the check could not be made: %s%s", slot, at ? named : "",
             e.msg + (at ? k : 0));
        return NULL;
    }
    char hex[65];
    const char *want = jstr(entry, "sha256");
    if (want && gb_session_file_sha256(file, hex, NULL) == 0 && strcmp(hex, want) != 0)
        line(c, "%s: note: %s is not the file recorded (its sha256 differs); checked against "
                "it as it is now", slot, named);
    return cs;
}

static void check_track(check_t *c, const gb_session_data_t *s, const gb_session_track_t *t,
                        const json_t *entry, const grid_t *g)
{
    char file[1024];
    const char *slot = t->source;
    gb_melody_copy_t *cs = load_hashes(c, entry, slot, file, sizeof file);
    long n = 0;
    int16_t *code = cs ? track_codes(t, g, &n) : NULL;
    if (cs && !code)
        line(c, "%s: the check could not be made: the notes run too long (or out of memory)",
             slot);
    if (!code) {
        c->unchecked++;
        gb_melody_copy_free(cs);
        return;
    }
    const int at = (int)json_array_size(c->lines);
    const int found = scan(c, cs, slot, code, n, g);
    char head[512];
    const long bars = n / g->spb;
    snprintf(head, sizeof head, "%s (%s): %zu notes in %ld bar%s checked against %zu exact and "
             "%zu transposed 2-bar phrases of %d tunes: %s", slot, jstr(entry, "file"),
             t->n_notes, bars, bars == 1 ? "" : "s", gb_melody_copy_count(cs, 0),
             gb_melody_copy_count(cs, 1), gb_melody_copy_n_tunes(cs),
             found ? "copies found" : "no copy");
    json_array_insert_new(c->lines, (size_t)at, json_string(head));
    c->checked++;
    (void)s;
    free(code);
    gb_melody_copy_free(cs);
}

/* The provenance's model entry of a slot (NULL if that slot loaded no model file). */
static const json_t *model_of(const gb_session_data_t *s, const char *slot)
{
    json_t *it;
    size_t i;
    json_array_foreach(json_object_get(s->prov, "models"), i, it)
    {
        const char *sl = jstr(it, "slot");
        if (sl && slot && strcmp(sl, slot) == 0)
            return it;
    }
    return NULL;
}

static void check_tracks(check_t *c, const gb_session_data_t *s)
{
    grid_t g;
    const int grid_ok = session_grid(s, &g);
    for (int i = 0; i < s->n_tracks; i++) {
        const gb_session_track_t *t = &s->tracks[i];
        if (t->is_performer || t->n_notes == 0)
            continue;
        const json_t *entry = model_of(s, t->source);
        if (!entry) {
            line(c, "%s: made by a generator without a model file: no training data to copy",
                 t->source);
        } else if (!grid_ok) {
            line(c, "%s: the check could not be made: the provenance's tempo_map has no tempo "
                    "and meter of 2 to %d 16th notes a bar", t->source, GB_MDS_MAX_STEPS);
            c->unchecked++;
        } else {
            check_track(c, s, t, entry, &g);
        }
    }
}

static const char *summary(const check_t *c, const char **result)
{
    *result = c->total ? "copies"
              : c->unchecked ? "not checked"
              : c->checked  ? "no copy"
                            : "nothing to check";
    if (c->total)
        return c->total == 1 ? "1 2-bar phrase of the models' notes copies the training data."
                             : "Several 2-bar phrases of the models' notes copy the training "
                               "data.";
    if (c->unchecked && c->checked)
        return "No 2-bar phrase of the checked models' notes copies the training data, but "
               "the check could not be made for every model.";
    if (c->unchecked)
        return "The check could not be made: whether the models' notes copy the training "
               "data is not known.";
    if (c->checked)
        return "No 2-bar phrase of the models' notes copies the training data.";
    return "No model file made notes: there is nothing to check.";
}

json_t *gb_publish_copy_check(const gb_session_data_t *s)
{
    check_t c = {json_array(), json_array(), 0, 0, 0};
    if (c.lines && c.matches)
        check_tracks(&c, s);
    const char *result = NULL, *sum = summary(&c, &result);
    if (!c.lines || !c.matches) {
        json_decref(c.lines);
        json_decref(c.matches);
        return NULL;
    }
    /* "o" takes the arrays, on failure too (jansson >= 2.11) */
    return json_pack("{s:s, s:s, s:o, s:o, s:I}", "result", result, "summary", sum, "lines",
                     c.lines, "matches", c.matches, "matches_total", (json_int_t)c.total);
}
