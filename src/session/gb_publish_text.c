/* gb_publish_text.c — the texts of a published session (gb_publish.h): default title and
 * artist, the one-line provenance, credits.txt.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gb_publish.h"
#include "gb_version.h"

typedef struct strbuf {
    char *p;
    size_t n, cap;
    int oom;
} strbuf_t;

static void sb_add(strbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(strbuf_t *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t nc = (b->cap ? b->cap * 2 : 1024) + (size_t)k;
        char *q = realloc(b->p, nc);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = nc;
    }
}

/* The text of b into out (or fallback), and b freed. */
static void sb_take(strbuf_t *b, char *out, size_t cap, const char *fallback)
{
    snprintf(out, cap, "%s", b->p && !b->oom ? b->p : fallback);
    free(b->p);
}

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static const char *jstr_or(const json_t *o, const char *key, const char *fallback)
{
    const char *s = jstr(o, key);
    return s ? s : fallback;
}

static double jnum(const json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

static long long jint(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

/* The provenance's model entry of a slot (NULL if that slot loaded no model file). */
static json_t *model_of(const gb_session_data_t *s, const char *slot)
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

static const char *unit_name(const json_t *entry)
{
    const char *u = jstr(entry, "unit");
    return u ? gb_session_unit_short(u) : jstr(entry, "slot");
}

void gb_publish_default_title(const gb_session_data_t *s, char *out, size_t cap)
{
    const char *preset = jstr(json_object_get(s->prov, "preset"), "name");
    const char *created = jstr(s->prov, "created");
    snprintf(out, cap, "%s%s%.10s", preset ? preset : "gbac session", created ? ", " : "",
             created ? created : "");
}

void gb_publish_default_artist(const gb_session_data_t *s, char *out, size_t cap)
{
    json_t *c = json_object_get(s->prov, "contributions");
    long long perf = jint(json_object_get(c, "performer"), "notes");
    strbuf_t b = {0};
    json_t *ms = json_object_get(c, "models"), *it;
    size_t i, n = 0, k = 0;
    json_array_foreach(ms, i, it) n += jint(it, "notes") > 0;
    if (perf > 0 || n == 0)
        sb_add(&b, "Performer");
    if (perf > 0 && n > 0)
        sb_add(&b, " with ");
    json_array_foreach(ms, i, it)
    {
        if (jint(it, "notes") <= 0)
            continue;
        k++;
        sb_add(&b, "%sgbac %s", k == 1 ? "" : k == n ? " and " : ", ", unit_name(it));
    }
    sb_take(&b, out, cap, "Performer");
}

void gb_publish_provenance_line(const gb_session_data_t *s, char *out, size_t cap)
{
    json_t *c = json_object_get(s->prov, "contributions");
    json_t *perf = json_object_get(c, "performer"), *it;
    strbuf_t b = {0};
    size_t i;
    sb_add(&b, "performer %lld notes %.1f s", jint(perf, "notes"), jnum(perf, "seconds"));
    json_array_foreach(json_object_get(c, "models"), i, it)
        sb_add(&b, "; %s %lld notes %.1f s", unit_name(it), jint(it, "notes"),
               jnum(it, "seconds"));
    json_t *models = json_object_get(s->prov, "models");
    if (json_array_size(models)) {
        sb_add(&b, "; models sha256");
        json_array_foreach(models, i, it)
            sb_add(&b, "%s %s %.12s", i ? "," : "", unit_name(it), jstr_or(it, "sha256", "?"));
    }
    sb_add(&b, "; gbac %s", jstr_or(s->prov, "gbac_version", GB_VERSION_STRING));
    sb_take(&b, out, cap, "gbac session");
}

static double share(double part, double total)
{
    return total > 0 ? 100.0 * part / total : 0;
}

/* Title, artist, how it was recorded. */
static void credits_header(strbuf_t *b, const gb_session_data_t *s, const char *title,
                           const char *artist)
{
    const json_t *p = s->prov;
    json_t *it, *presets = json_object_get(p, "presets");
    size_t i;
    strbuf_t pr = {0}; /* "presets A, B" when there were several, else "preset A" */
    if (json_array_size(presets) > 1) {
        json_array_foreach(presets, i, it)
            sb_add(&pr, "%s%s", i ? ", " : ", presets ", jstr_or(it, "name", "?"));
    } else if (jstr(json_object_get(p, "preset"), "name")) {
        sb_add(&pr, ", preset %s", jstr(json_object_get(p, "preset"), "name"));
    }
    sb_add(b, "%s\n%s\n\n", title, artist);
    sb_add(b, "Recorded with gbac %s (`gbac %s`%s) on %s:\n%.1f s at %.0f Hz.\n\n",
           jstr_or(p, "gbac_version", "?"), jstr_or(p, "command", "?"),
           pr.p && !pr.oom ? pr.p : "", jstr_or(p, "created", "an unknown date"),
           json_is_number(json_object_get(p, "seconds")) ? jnum(p, "seconds") : s->seconds,
           s->sample_rate);
    free(pr.p);
    json_t *audio = json_object_get(p, "audio");
    if (json_is_false(json_object_get(audio, "complete")))
        sb_add(b, "The audio recording is incomplete%s%s.\n\n", jstr(audio, "stopped") ? ": " : "",
               jstr_or(audio, "stopped", ""));
}

/* WHO MADE WHAT: notes and sounding time of the performer and each model. */
static void credits_contributions(strbuf_t *b, const gb_session_data_t *s)
{
    json_t *c = json_object_get(s->prov, "contributions"), *perf = json_object_get(c, "performer");
    json_t *cm = json_object_get(c, "models"), *it;
    size_t i;
    double tot_n = (double)jint(perf, "notes"), tot_s = jnum(perf, "seconds");
    json_array_foreach(cm, i, it)
    {
        tot_n += (double)jint(it, "notes");
        tot_s += jnum(it, "seconds");
    }
    sb_add(b, "WHO MADE WHAT\n");
    sb_add(b, "  %-36s %7s %7s %9s %7s\n", "", "notes", "share", "sounding", "share");
    sb_add(b, "  %-36s %7lld %6.1f%% %7.1f s %6.1f%%\n", "performer (human)", jint(perf, "notes"),
           share((double)jint(perf, "notes"), tot_n), jnum(perf, "seconds"),
           share(jnum(perf, "seconds"), tot_s));
    json_array_foreach(cm, i, it)
    {
        char who[128];
        const char *slot = jstr(it, "slot");
        snprintf(who, sizeof who, "%s (%s, %s)", slot ? slot : "?", jstr_or(it, "unit", "?"),
                 model_of(s, slot) ? "model" : "generator");
        double n = (double)jint(it, "notes");
        sb_add(b, "  %-36s %7.0f %6.1f%% %7.1f s %6.1f%%\n", who, n, share(n, tot_n),
               jnum(it, "seconds"), share(jnum(it, "seconds"), tot_s));
    }
    sb_add(b, "  Shares are of all notes played and of all sounding time (the sum over\n"
              "  notes of note-off minus note-on). The sound itself is gbac's synthesis.\n\n");
}

/* MODELS: each model file with its card's training data and licence. */
static void credits_models(strbuf_t *b, const gb_session_data_t *s)
{
    json_t *models = json_object_get(s->prov, "models"), *it;
    size_t i;
    sb_add(b, "MODELS\n");
    if (!json_array_size(models))
        sb_add(b, "  none: no unit loaded a model file.\n");
    json_array_foreach(models, i, it)
    {
        json_t *card = json_object_get(it, "card"), *data = json_object_get(card, "data");
        sb_add(b, "  %s: %s, %s\n    sha256 %s\n", jstr(it, "slot"), jstr_or(it, "unit", "?"),
               jstr_or(it, "file", "?"), jstr_or(it, "sha256", "(not recorded)"));
        if (!json_is_object(card)) {
            sb_add(b, "    no model card recorded: its training data and licence are unknown\n");
            continue;
        }
        if (jstr(card, "kind"))
            sb_add(b, "    kind: %s\n", jstr(card, "kind"));
        sb_add(b, "    trained on: %s (data licence: %s)\n", jstr_or(data, "source", "not stated"),
               jstr_or(data, "licence", "not stated"));
        if (jstr(card, "command"))
            sb_add(b, "    made by: %s\n", jstr(card, "command"));
    }
    sb_add(b, "  Whether a training data licence reaches what a model generates is not\n"
              "  settled; it is listed here so that you can decide.\n\n");
}

/* COPIES OF THE TRAINING DATA: the copy check's summary and its lines. */
static void credits_copies(strbuf_t *b, const json_t *copy)
{
    json_t *it;
    size_t i;
    sb_add(b, "COPIES OF THE TRAINING DATA\n  %s\n", jstr_or(copy, "summary", "?"));
    json_array_foreach(json_object_get(copy, "lines"), i, it)
        sb_add(b, "  %s\n", json_string_value(it));
    sb_add(b, "  Checked: every 2 bars of each model's notes (on the 16th-note grid of the\n"
              "  session's tempo), exactly and transposed, against the 2-bar phrases of the\n"
              "  corpus its model file names (hashes stored in the file).\n\n");
}

/* One line of ratings and critic scores for track t (-1: scores of no track); 1 if any. */
static int credits_rating_line(strbuf_t *b, const gb_session_data_t *s, int t)
{
    const char *slot = t < 0 ? NULL : s->tracks[t].source;
    size_t likes = 0, dislikes = 0, ns = 0;
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < s->n_ratings; k++)
        if (s->ratings[k].index == t)
            s->ratings[k].value > 0 ? likes++ : dislikes++;
    for (size_t k = 0; k < s->n_scores; k++)
        if (s->scores[k].index == t) {
            ns++;
            sum += s->scores[k].value;
            lo = fmin(lo, s->scores[k].value);
            hi = fmax(hi, s->scores[k].value);
        }
    if (!likes && !dislikes && !ns)
        return 0;
    sb_add(b, "  %s: %zu like%s, %zu dislike%s", slot ? slot : "(other)", likes,
           likes == 1 ? "" : "s", dislikes, dislikes == 1 ? "" : "s");
    if (ns)
        sb_add(b, "; critic scores of %zu phrase%s: mean %.3f, min %.3f, max %.3f", ns,
               ns == 1 ? "" : "s", sum / ns, lo, hi);
    sb_add(b, "\n");
    return 1;
}

char *gb_publish_credits(const gb_session_data_t *s, const char *title, const char *artist,
                         const char *license, const json_t *copy)
{
    strbuf_t b = {0};
    credits_header(&b, s, title, artist);
    credits_contributions(&b, s);
    credits_models(&b, s);
    if (copy)
        credits_copies(&b, copy);
    sb_add(&b, "RATINGS AND CRITIC SCORES\n");
    int any = 0;
    for (int t = -1; t < s->n_tracks; t++)
        if (t < 0 || !s->tracks[t].is_performer)
            any |= credits_rating_line(&b, s, t);
    if (!any)
        sb_add(&b, "  none recorded\n");
    sb_add(&b, "\nLICENCES\n");
    sb_add(&b, "  This recording: %s\n",
           license ? license : "not stated (the performer's to choose)");
    sb_add(&b, "  gbac %s is free software under the GNU General Public License, version 3\n"
               "  or later (GPL-3.0-or-later).\n\n",
           GB_VERSION_STRING);
    sb_add(&b, "FILES\n  audio.flac  notes.mid  cover.png  credits.txt  provenance.json\n");
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
