/* gb_session_read.c — read a session folder (docs/session.md) into memory.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_session_read.h"

#include <errno.h>
#include <glib.h>
#include <limits.h>
#include <math.h>
#include <smf.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "gb_file.h"
#include "gb_json_util.h"
#include "gb_midifile.h"

#define MAX_MIDI_BYTES (64u << 20)
#define MAX_LOG_BYTES (512u << 20)

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static gb_session_data_t *session_new(const char *dir)
{
    gb_session_data_t *s = calloc(1, sizeof *s);
    if (s && !(s->dir = dup_str(dir))) {
        free(s);
        s = NULL;
    }
    return s;
}

void gb_session_data_free(gb_session_data_t *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n_tracks; i++) {
        free(s->tracks[i].name);
        free(s->tracks[i].source);
        free(s->tracks[i].unit);
        free(s->tracks[i].notes);
    }
    free(s->tracks);
    free(s->latent);
    free(s->scores);
    free(s->score_slots);
    free(s->ratings);
    free(s->audio_path);
    if (s->prov)
        json_decref(s->prov);
    free(s->dir);
    free(s);
}

const char *gb_session_unit_short(const char *unit)
{
    return strncmp(unit, "gbac.", 5) == 0 && unit[5] ? unit + 5 : unit;
}

static void grow_seconds(gb_session_data_t *s, double t)
{
    if (t > s->seconds)
        s->seconds = t;
}

/* ---------------------------------------------------------------- audio */

static int open_audio(gb_session_data_t *s, const char *path, gb_error_t *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return gb_error_set(err, GB_EIO, "%s: %s", path,
                            errno == ENOENT ? "no such file" : strerror(errno));
    if (S_ISDIR(st.st_mode))
        return gb_error_set(err, GB_EIO, "%s: is a folder, not an audio file", path);
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf)
        return gb_error_set(err, GB_EFORMAT, "%s: cannot read it as audio (libsndfile: %s)",
                            path, sf_strerror(NULL));
    sf_close(sf);
    if (info.samplerate < 1000 || info.samplerate > 768000 || info.channels < 1)
        return gb_error_set(err, GB_EFORMAT, "%s: %d channels at %d Hz is not usable audio",
                            path, info.channels, info.samplerate);
    if (!(s->audio_path = dup_str(path)))
        return gb_error_set(err, GB_ENOMEM, "out of memory");
    s->audio_frames = info.frames;
    s->audio_channels = info.channels;
    if (s->sample_rate <= 0)
        s->sample_rate = info.samplerate;
    grow_seconds(s, (double)info.frames / info.samplerate);
    return 0;
}

/* ---------------------------------------------------------------- MIDI */

static void silence_smf(const gchar *d, GLogLevelFlags l, const gchar *m, gpointer u)
{
    (void)d, (void)l, (void)m, (void)u;
}

/* Track names by file track number (0-based), read with libsmf once gb_midifile has checked
 * the file strictly. names[i] is NULL when a track has none. */
static void track_names(const char *data, size_t len, char **names, int n)
{
    guint hid = g_log_set_handler("libsmf", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL, silence_smf,
                                  NULL);
    smf_t *smf = len < INT_MAX ? smf_load_from_memory(data, (int)len) : NULL;
    if (smf) {
        for (int i = 0; i < n && i < smf->number_of_tracks; i++) {
            smf_track_t *tr = smf_get_track_by_number(smf, i + 1);
            if (!tr)
                continue;
            smf_event_t *e;
            while ((e = smf_track_get_next_event(tr)) != NULL) {
                if (smf_event_is_textual(e) && e->midi_buffer_length > 1 &&
                    e->midi_buffer[1] == 0x03) {
                    names[i] = smf_event_extract_text(e);
                    break;
                }
            }
        }
        smf_delete(smf);
    }
    g_log_remove_handler("libsmf", hid);
}

typedef struct open_note {
    double t0;
    float vel;
    int open;
} open_note_t;

static int add_note(gb_session_track_t *t, size_t *cap, double t0, double t1, int pitch,
                    float vel)
{
    if (t->n_notes == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        gb_session_note_t *p = realloc(t->notes, nc * sizeof *p);
        if (!p)
            return GB_ENOMEM;
        t->notes = p;
        *cap = nc;
    }
    t->notes[t->n_notes++] = (gb_session_note_t){t0, t1 > t0 ? t1 : t0, pitch, vel};
    t->seconds += t1 > t0 ? t1 - t0 : 0;
    return 0;
}

static int cmp_note(const void *a, const void *b)
{
    const gb_session_note_t *x = a, *y = b;
    return x->t0 < y->t0 ? -1 : x->t0 > y->t0 ? 1 : x->pitch - y->pitch;
}

/* Pair note-ons with note-offs per track, channel and key (a retriggered key closes the
 * sounding note first, as a synth would). */
/* A track's name "slot (unit)" as its source and unit; 0 or -1 (out of memory). */
static int split_track_name(gb_session_track_t *t)
{
    const char *par = strstr(t->name, " (");
    const size_t tl = strlen(t->name);
    if (par && tl > 0 && t->name[tl - 1] == ')') {
        const size_t sl = (size_t)(par - t->name);
        t->source = strndup(t->name, sl);
        t->unit = strndup(par + 2, tl - sl - 3);
        if (!t->unit)
            return -1;
    } else {
        t->source = dup_str(t->name);
    }
    if (!t->source)
        return -1;
    t->is_performer = strcmp(t->source, "performer") == 0;
    return 0;
}

/* Reading notes.mid: per file track its session track (map, -1: none), the notes sounding
 * and the capacity of its note array. */
typedef struct midi_reader {
    gb_session_data_t *s;
    const gb_midifile_t *mf;
    int n;          /* file tracks */
    int *map;
    open_note_t (*open)[16][128];
    size_t *caps;
} midi_reader_t;

/* The session tracks: every named file track or one with notes, but the conductor track
 * (track 0 without notes when there are others). */
static int assign_tracks(midi_reader_t *r, char **names, gb_error_t *err)
{
    const int n = r->n;
    int *used = calloc((size_t)(n > 0 ? n : 1), sizeof *used);
    if (!used)
        return gb_error_set(err, GB_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->mf->n_events; i++)
        if (r->mf->events[i].ev.type == GBP_EV_NOTE_ON && r->mf->events[i].track < (uint32_t)n)
            used[r->mf->events[i].track] = 1;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        r->map[i] = -1;
        if ((i == 0 && n > 1 && !used[0]) || (!names[i] && !used[i]))
            continue;
        gb_session_track_t *t = &r->s->tracks[r->s->n_tracks];
        char def[32];
        snprintf(def, sizeof def, "track %d", i);
        t->name = dup_str(names[i] ? names[i] : def);
        if (!t->name || split_track_name(t) < 0)
            rc = gb_error_set(err, GB_ENOMEM, "out of memory");
        else
            r->map[i] = r->s->n_tracks++;
    }
    free(used);
    return rc;
}

/* Notes from the file's note-on / note-off / all-off events; 0 or -1 (out of memory). */
static int read_notes(midi_reader_t *r)
{
    int rc = 0;
    for (size_t i = 0; i < r->mf->n_events && rc == 0; i++) {
        const gb_timed_event_t *te = &r->mf->events[i];
        if (te->track >= (uint32_t)r->n || r->map[te->track] < 0)
            continue;
        const int m = r->map[te->track];
        gb_session_track_t *t = &r->s->tracks[m];
        const double sec = (double)te->frame / r->s->sample_rate;
        const gbp_event_t *e = &te->ev;
        open_note_t(*on)[128] = r->open[te->track];
        if (e->type == GBP_EV_NOTE_ON || e->type == GBP_EV_NOTE_OFF) {
            open_note_t *o = &on[e->channel & 15][e->key & 127];
            if (o->open) {
                rc = add_note(t, &r->caps[m], o->t0, sec, e->key & 127, o->vel);
                o->open = 0;
            }
            if (e->type == GBP_EV_NOTE_ON)
                *o = (open_note_t){sec, e->value, 1};
        } else if (e->type == GBP_EV_ALL_OFF) {
            for (int k = 0; k < 128 && rc == 0; k++) {
                open_note_t *o = &on[e->channel & 15][k];
                if (o->open)
                    rc = add_note(t, &r->caps[m], o->t0, sec, k, o->vel);
                o->open = 0;
            }
        }
    }
    /* Notes still sounding at the end of the file end there. */
    for (int i = 0; i < r->n && rc == 0; i++)
        for (int c = 0; r->map[i] >= 0 && c < 16; c++)
            for (int k = 0; k < 128 && rc == 0; k++)
                if (r->open[i][c][k].open)
                    rc = add_note(&r->s->tracks[r->map[i]], &r->caps[r->map[i]],
                                  r->open[i][c][k].t0, r->mf->length_s, k,
                                  r->open[i][c][k].vel);
    return rc;
}

static int read_midi(gb_session_data_t *s, const char *path, gb_error_t *err)
{
    size_t len = 0;
    char *data = gb_file_read_all(path, MAX_MIDI_BYTES, "MIDI file", &len, err);
    if (!data)
        return err ? err->code : GB_EIO;
    gb_midifile_t *mf = gb_midifile_load_mem(data, len, path, s->sample_rate, err);
    if (!mf) {
        free(data);
        return err ? err->code : GB_EFORMAT;
    }
    const int n = mf->n_tracks;
    const size_t nn = (size_t)(n > 0 ? n : 1);
    midi_reader_t r = {s, mf, n, calloc(nn, sizeof(int)), calloc(nn, sizeof *r.open),
                       calloc(nn, sizeof(size_t))};
    char **names = calloc(nn, sizeof *names);
    s->tracks = calloc(nn, sizeof *s->tracks);
    int rc = 0;
    if (!names || !r.open || !r.caps || !r.map || !s->tracks)
        rc = gb_error_set(err, GB_ENOMEM, "out of memory");
    if (rc == 0) {
        track_names(data, len, names, n);
        rc = assign_tracks(&r, names, err);
    }
    if (rc == 0 && read_notes(&r))
        rc = gb_error_set(err, GB_ENOMEM, "out of memory");
    for (int i = 0; rc == 0 && i < s->n_tracks; i++) {
        gb_session_track_t *t = &s->tracks[i];
        if (t->n_notes)
            qsort(t->notes, t->n_notes, sizeof *t->notes, cmp_note);
        for (size_t k = 0; k < t->n_notes; k++)
            grow_seconds(s, t->notes[k].t1);
    }
    s->has_notes = rc == 0;
    for (int i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    free(r.open);
    free(r.caps);
    free(r.map);
    gb_midifile_free(mf);
    free(data);
    return rc;
}

/* ---------------------------------------------------------------- control log */

typedef struct point_list {
    gb_session_point_t *p;
    char (*slots)[64];
    size_t n, cap;
} point_list_t;

static int push_point(point_list_t *l, double t, double v, int index, const char *slot)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        gb_session_point_t *p = realloc(l->p, nc * sizeof *p);
        if (!p)
            return GB_ENOMEM;
        l->p = p;
        char(*sl)[64] = realloc(l->slots, nc * sizeof *sl);
        if (!sl)
            return GB_ENOMEM;
        l->slots = sl;
        l->cap = nc;
    }
    l->p[l->n] = (gb_session_point_t){t, v, index};
    snprintf(l->slots[l->n], 64, "%s", slot ? slot : "");
    l->n++;
    return 0;
}

static int slot_track(const gb_session_data_t *s, const char *slot)
{
    for (int i = 0; i < s->n_tracks; i++)
        if (!s->tracks[i].is_performer && strcmp(s->tracks[i].source, slot) == 0)
            return i;
    return -1;
}

static int cmp_point(const void *a, const void *b)
{
    const gb_session_point_t *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

/* One control line. Returns 0, GB_EFORMAT with err naming the line, or GB_ENOMEM. */
static int control_line(gb_session_data_t *s, const char *path, size_t lineno, const char *line,
                        size_t len, point_list_t *lat, point_list_t *sc, point_list_t *rt,
                        gb_error_t *err)
{
    json_error_t je;
    json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return gb_error_set(err, GB_EFORMAT, "%s: line %zu: %s", path, lineno, je.text);
    int rc = 0;
    json_t *fr = json_object_get(j, "frame"), *kind = json_object_get(j, "kind");
    if (!json_is_object(j)) {
        rc = gb_error_set(err, GB_EFORMAT, "%s: line %zu: %s, not an object", path, lineno,
                          gb_json_kind(j));
        goto out;
    }
    if (!json_is_integer(fr) || json_integer_value(fr) < 0) {
        rc = gb_error_set(err, GB_EFORMAT, "%s: line %zu: \"frame\" must be an integer >= 0",
                          path, lineno);
        goto out;
    }
    if (!json_is_string(kind)) {
        rc = gb_error_set(err, GB_EFORMAT, "%s: line %zu: \"kind\" must be a string", path,
                          lineno);
        goto out;
    }
    double t = (double)json_integer_value(fr) / s->sample_rate;
    grow_seconds(s, t);
    const char *k = json_string_value(kind);
    json_t *val = json_object_get(j, "value");
    if (strcmp(k, "param") == 0) {
        const char *p = json_string_value(json_object_get(j, "param"));
        if (!p || !json_is_number(val)) {
            rc = gb_error_set(err, GB_EFORMAT,
                              "%s: line %zu: a param line needs \"param\" (a string) and "
                              "\"value\" (a number)", path, lineno);
            goto out;
        }
        const char *slash = strrchr(p, '/');
        if (!slash || slash == p || (size_t)(slash - p) >= 64)
            goto out;
        char slot[64];
        snprintf(slot, sizeof slot, "%.*s", (int)(slash - p), p);
        const char *leaf = slash + 1;
        double v = json_number_value(val);
        if (leaf[0] == 'z' && leaf[1] >= '0' && leaf[1] < '0' + GB_SESSION_LATENT_DIMS &&
            !leaf[2]) {
            if (!s->latent_slot[0])
                snprintf(s->latent_slot, sizeof s->latent_slot, "%s", slot);
            if (strcmp(s->latent_slot, slot) == 0 && push_point(lat, t, v, leaf[1] - '0', slot))
                rc = GB_ENOMEM;
        } else if (strcmp(leaf, "score") == 0) {
            if (push_point(sc, t, v, slot_track(s, slot), slot))
                rc = GB_ENOMEM;
        }
    } else if (strcmp(k, "rating") == 0) {
        const char *slot = json_string_value(json_object_get(j, "slot"));
        if (!slot || !json_is_number(val)) {
            rc = gb_error_set(err, GB_EFORMAT,
                              "%s: line %zu: a rating line needs \"slot\" (a string) and "
                              "\"value\" (a number)", path, lineno);
            goto out;
        }
        if (push_point(rt, t, json_number_value(val) >= 0 ? 1 : -1, slot_track(s, slot), slot))
            rc = GB_ENOMEM;
    }
out:
    if (rc == GB_ENOMEM)
        gb_error_set(err, rc, "out of memory");
    json_decref(j);
    return rc;
}

/* Points from a provenance array ("phrases" with "score", "ratings" with "value"). */
static int prov_points(gb_session_data_t *s, const char *key, const char *vkey, point_list_t *l)
{
    json_t *a = json_object_get(s->prov, key), *it;
    size_t i;
    json_array_foreach(a, i, it)
    {
        json_t *fr = json_object_get(it, "frame"), *v = json_object_get(it, vkey);
        const char *slot = json_string_value(json_object_get(it, "slot"));
        if (!json_is_integer(fr) || !json_is_number(v) || !slot)
            continue;
        double val = json_number_value(v);
        if (strcmp(key, "ratings") == 0)
            val = val >= 0 ? 1 : -1;
        if (push_point(l, (double)json_integer_value(fr) / s->sample_rate, val,
                       slot_track(s, slot), slot))
            return GB_ENOMEM;
    }
    return 0;
}

static int read_control(gb_session_data_t *s, const char *path, gb_error_t *err)
{
    size_t len = 0;
    char *data = path ? gb_file_read_all(path, MAX_LOG_BYTES, "control log", &len, err) : NULL;
    if (path && !data)
        return err ? err->code : GB_EIO;
    point_list_t lat = {0}, sc = {0}, rt = {0};
    int rc = 0;
    size_t lineno = 0;
    for (size_t pos = 0; data && pos < len && rc == 0;) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        lineno++;
        size_t a = pos;
        while (a < end && (data[a] == ' ' || data[a] == '\t' || data[a] == '\r'))
            a++;
        if (a < end) {
            gb_error_t e2;
            gb_error_clear(&e2);
            rc = control_line(s, path, lineno, data + pos, end - pos, &lat, &sc, &rt, &e2);
            if (rc == GB_EFORMAT && !nl)
                rc = 0; /* a last line cut short by a crash: the file is valid up to it */
            else if (rc && err)
                *err = e2;
        }
        pos = end + 1;
    }
    s->control_lines = lineno;
    if (data)
        s->has_control = 1;
    free(data);
    if (rc == 0 && sc.n == 0 && s->prov)
        rc = prov_points(s, "phrases", "score", &sc);
    if (rc == 0 && rt.n == 0 && s->prov)
        rc = prov_points(s, "ratings", "value", &rt);
    if (rc == 0) {
        /* audio- and control-thread lines may interleave out of order by a period */
        if (lat.n)
            qsort(lat.p, lat.n, sizeof *lat.p, cmp_point);
        s->latent = lat.p, s->n_latent = lat.n;
        s->scores = sc.p, s->n_scores = sc.n, s->score_slots = sc.slots;
        s->ratings = rt.p, s->n_ratings = rt.n;
        free(lat.slots);
        free(rt.slots);
        return 0;
    }
    if (rc == GB_ENOMEM)
        gb_error_set(err, rc, "out of memory");
    free(lat.p), free(lat.slots), free(sc.p), free(sc.slots), free(rt.p), free(rt.slots);
    return rc;
}

/* ---------------------------------------------------------------- provenance */

static int bad_prov(gb_error_t *err, const char *path, const char *key, const char *want)
{
    return gb_error_set(err, GB_EFORMAT, "%s: \"%s\" must be %s", path, key, want);
}

static int read_provenance(gb_session_data_t *s, const char *path, gb_error_t *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return gb_error_set(err, GB_EIO, "%s: %s", path,
                            errno == ENOENT ? "no such file (not a gbac session folder?)"
                                            : strerror(errno));
    json_error_t je;
    s->prov = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!s->prov)
        return je.line > 0 ? gb_error_set(err, GB_EFORMAT, "%s: line %d: %s", path, je.line,
                                          je.text)
                           : gb_error_set(err, GB_EFORMAT, "%s: %s", path, je.text);
    if (!json_is_object(s->prov))
        return gb_error_set(err, GB_EFORMAT, "%s: is %s, not an object", path,
                            gb_json_kind(s->prov));
    const char *fmt = json_string_value(json_object_get(s->prov, "format"));
    if (!fmt)
        return bad_prov(err, path, "format", "a string (\"gbac-session/1\")");
    if (strcmp(fmt, "gbac-session/1") != 0) {
        char b[64];
        return gb_error_set(err, GB_EFORMAT, "%s: format \"%s\" is not gbac-session/1", path,
                            gb_shown(fmt, b, sizeof b));
    }
    json_t *sr = json_object_get(s->prov, "sample_rate");
    if (!json_is_number(sr) || json_number_value(sr) < 1000 || json_number_value(sr) > 768000)
        return bad_prov(err, path, "sample_rate", "a number of Hz in 1000..768000");
    s->sample_rate = json_number_value(sr);
    json_t *sec = json_object_get(s->prov, "seconds");
    if (sec && !json_is_number(sec))
        return bad_prov(err, path, "seconds", "a number");
    json_t *contrib = json_object_get(s->prov, "contributions");
    if (!json_is_object(contrib))
        return bad_prov(err, path, "contributions", "an object");
    json_t *perf = json_object_get(contrib, "performer");
    if (!json_is_object(perf) || !json_is_integer(json_object_get(perf, "notes")) ||
        !json_is_number(json_object_get(perf, "seconds")))
        return bad_prov(err, path, "contributions.performer",
                        "an object with \"notes\" (an integer) and \"seconds\" (a number)");
    json_t *ms = json_object_get(contrib, "models"), *it;
    if (!json_is_array(ms))
        return bad_prov(err, path, "contributions.models", "an array");
    size_t i;
    json_array_foreach(ms, i, it)
    {
        if (!json_is_object(it) || !json_is_string(json_object_get(it, "slot")) ||
            !json_is_integer(json_object_get(it, "notes")) ||
            !json_is_number(json_object_get(it, "seconds")))
            return gb_error_set(err, GB_EFORMAT,
                                "%s: contributions.models[%zu] must be an object with \"slot\", "
                                "\"notes\" and \"seconds\"", path, i);
    }
    json_t *models = json_object_get(s->prov, "models");
    if (models && !json_is_array(models))
        return bad_prov(err, path, "models", "an array");
    json_array_foreach(models, i, it)
    {
        if (!json_is_object(it) || !json_is_string(json_object_get(it, "slot")))
            return gb_error_set(err, GB_EFORMAT,
                                "%s: models[%zu] must be an object with \"slot\"", path, i);
    }
    return 0;
}

/* A file named by the provenance (key.file or key), confined to the folder. */
static int part_path(const gb_session_data_t *s, const char *key, const char *def, char *out,
                     size_t cap, gb_error_t *err, const char *pv)
{
    json_t *v = json_object_get(s->prov, key);
    if (json_is_object(v))
        v = json_object_get(v, "file");
    const char *name = json_is_string(v) ? json_string_value(v) : def;
    if (!name)
        return 1;
    if (!name[0] || strchr(name, '/') || strcmp(name, "..") == 0)
        return gb_error_set(err, GB_EFORMAT, "%s: \"%s\" must name a file inside the folder",
                            pv, key);
    if ((size_t)snprintf(out, cap, "%s/%s", s->dir, name) >= cap)
        return gb_error_set(err, GB_EINVAL, "%s/%s: path too long", s->dir, name);
    return 0;
}

gb_session_data_t *gb_session_read(const char *dir, gb_error_t *err)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        gb_error_set(err, GB_EIO, "%s: %s", dir,
                     errno == ENOENT ? "no such folder" : strerror(errno));
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        gb_error_set(err, GB_EIO, "%s: not a folder (a session is a folder, docs/session.md)",
                     dir);
        return NULL;
    }
    gb_session_data_t *s = session_new(dir);
    if (!s) {
        gb_error_set(err, GB_ENOMEM, "out of memory");
        return NULL;
    }
    char path[4096], pv[4096];
    snprintf(pv, sizeof pv, "%s/provenance.json", dir);
    int rc = read_provenance(s, pv, err);
    if (rc == 0) {
        rc = part_path(s, "audio", NULL, path, sizeof path, err, pv);
        if (rc == 1) { /* not named: audio.wav, else audio.flac */
            snprintf(path, sizeof path, "%s/audio.wav", dir);
            if (stat(path, &st) != 0)
                snprintf(path, sizeof path, "%s/audio.flac", dir);
            rc = 0;
        }
        if (rc == 0)
            rc = open_audio(s, path, err);
    }
    if (rc == 0 && (rc = part_path(s, "midi", "notes.mid", path, sizeof path, err, pv)) == 0)
        rc = read_midi(s, path, err);
    if (rc == 0) {
        rc = part_path(s, "control_log", NULL, path, sizeof path, err, pv);
        if (rc == 0)
            rc = read_control(s, path, err);
        else if (rc == 1) /* not named: read it if it is there */
            rc = read_control(s, (snprintf(path, sizeof path, "%s/control.jsonl", dir),
                                  stat(path, &st) == 0 ? path : NULL), err);
    }
    if (rc == 0) {
        json_t *sec = json_object_get(s->prov, "seconds");
        if (json_is_number(sec))
            grow_seconds(s, json_number_value(sec));
        return s;
    }
    gb_session_data_free(s);
    return NULL;
}

gb_session_data_t *gb_session_read_midi(const char *path, gb_error_t *err)
{
    gb_session_data_t *s = session_new(path);
    if (!s) {
        gb_error_set(err, GB_ENOMEM, "out of memory");
        return NULL;
    }
    s->sample_rate = 48000;
    if (read_midi(s, path, err) == 0)
        return s;
    gb_session_data_free(s);
    return NULL;
}

gb_session_data_t *gb_session_read_audio(const char *path, gb_error_t *err)
{
    gb_session_data_t *s = session_new(path);
    if (!s) {
        gb_error_set(err, GB_ENOMEM, "out of memory");
        return NULL;
    }
    if (open_audio(s, path, err) == 0)
        return s;
    gb_session_data_free(s);
    return NULL;
}

static int has_ext(const char *p, const char *e)
{
    size_t n = strlen(p), m = strlen(e);
    return n > m && strcasecmp(p + n - m, e) == 0;
}

gb_session_data_t *gb_session_read_any(const char *path, gb_error_t *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        gb_error_set(err, GB_EIO, "%s: %s", path,
                     errno == ENOENT ? "no such file or folder" : strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode))
        return gb_session_read(path, err);
    if (has_ext(path, ".mid") || has_ext(path, ".midi") || has_ext(path, ".smf"))
        return gb_session_read_midi(path, err);
    return gb_session_read_audio(path, err);
}
