/* gb_session_stop.c — the files a session writes when it stops: notes.mid (named tracks),
 * control.jsonl, and the contributions, ratings and phrases of provenance.json (see
 * gb_session.h and docs/session.md).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gb_midifile.h"
#include "gb_session.h"
#include "gb_session_priv.h"

/* Which unit made notes of `source` (the last described unit with that source_id). */
static const unit_info_t *unit_of_source(const gb_session_t *s, int source)
{
    const unit_info_t *u = NULL;
    for (int i = 0; i < s->n_units; i++)
        if (s->units[i].source_id == source)
            u = &s->units[i];
    return u;
}

typedef struct contrib {
    int source;    /* 0 = performer */
    int track;     /* MIDI track */
    uint64_t notes;
    uint64_t sounding_frames;
    uint64_t *on;  /* [16 * 128] note-on frame + 1, 0 = off */
} contrib_t;

static contrib_t *contrib_for(contrib_t *c, int *n, int source)
{
    for (int i = 0; i < *n; i++)
        if (c[i].source == source)
            return &c[i];
    if (*n >= 256)
        return NULL;
    contrib_t *x = &c[(*n)++];
    memset(x, 0, sizeof *x);
    x->source = source;
    x->track = -1;
    x->on = calloc(16 * 128, sizeof *x->on);
    return x->on ? x : NULL;
}

static void note_end(contrib_t *c, int ch, int key, uint64_t frame)
{
    uint64_t *o = &c->on[ch * 128 + key];
    if (*o) {
        c->sounding_frames += frame >= *o - 1 ? frame - (*o - 1) : 0;
        *o = 0;
    }
}

static void line_out(FILE *f, json_t *o)
{
    char *t = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (t) {
        fputs(t, f);
        fputc('\n', f);
        free(t);
    }
    json_decref(o);
}

static const char *from_name(int from)
{
    return from == GB_REC_FROM_MIDI ? "midi" : from == GB_REC_FROM_UNIT ? "unit" : "osc";
}

/* The trigger parameters: a `like` or `dislike` event of value ≥ 0.5 is one rating. */
static int rating_of(const char *name, float value)
{
    const char *slash = name ? strrchr(name, '/') : NULL;
    if (!slash || !(value >= 0.5f))
        return 0;
    if (strcmp(slash + 1, "like") == 0)
        return 1;
    if (strcmp(slash + 1, "dislike") == 0)
        return -1;
    return 0;
}

static json_t *slot_json(const char *name)
{
    const char *slash = strrchr(name, '/');
    return json_stringn(name, slash ? (size_t)(slash - name) : strlen(name));
}

/* Merge the recorder's events and the control thread's parameter events (stable by frame;
 * at one frame the audio thread's first). */
static gb_rec_event_t *merge(const gb_recorder_result_t *res, const gb_rec_event_t *m, size_t nm,
                             size_t *n)
{
    *n = res->n_events + nm;
    gb_rec_event_t *o = malloc((*n ? *n : 1) * sizeof *o);
    if (!o)
        return NULL;
    size_t i = 0, j = 0, k = 0;
    while (i < res->n_events || j < nm) {
        if (j >= nm || (i < res->n_events && res->events[i].frame <= m[j].frame))
            o[k++] = res->events[i++];
        else
            o[k++] = m[j++];
    }
    return o;
}

/* Tempi travel as float: give back the decimal the user wrote (3 places). */
static double bpm_of(float v)
{
    return round((double)v * 1000.0) / 1000.0;
}

static uint64_t perf_notes(const contrib_t *c, int nc)
{
    for (int i = 0; i < nc; i++)
        if (c[i].source == 0)
            return c[i].notes;
    return 0;
}

static int cmp_mev(const void *a, const void *b)
{
    const gb_rec_event_t *x = a, *y = b;
    return (x->frame > y->frame) - (x->frame < y->frame);
}

/* Everything stopping a session works on. */
typedef struct stopper {
    gb_session_t *s;
    double sr;
    gb_recorder_result_t res;
    gb_rec_event_t *ev; /* the recorder's and the control thread's events, merged */
    size_t n;
    json_t *ratings, *phrases, *tracks, *tempo_map, *contributions;
    contrib_t *c; /* 256 */
    int nc;
    char *ctl;    /* control.jsonl */
    size_t ctl_len;
    FILE *cf;     /* writes ctl */
    gb_midifile_writer_t *w;
} stopper_t;

/* A note event: the contribution of its source (with a track of its own), the note's
 * sounding time, the MIDI file. */
static void stop_note(stopper_t *st, const gb_rec_event_t *x)
{
    contrib_t *k = contrib_for(st->c, &st->nc, x->ev.source);
    if (!k)
        return;
    if (k->track < 0) {
        const unit_info_t *u = unit_of_source(st->s, x->ev.source);
        char name[256];
        if (u)
            snprintf(name, sizeof name, "%s (%s)", u->slot, u->id);
        else
            snprintf(name, sizeof name, "source %d", x->ev.source);
        k->track = gb_midifile_writer_add_track(st->w, name, NULL);
        json_array_append_new(st->tracks, json_string(name));
    }
    const int ch = x->ev.channel & 15, key = x->ev.key & 127;
    if (x->ev.type == GBP_EV_NOTE_ON) {
        note_end(k, ch, key, x->frame); /* a retrigger ends the sounding note */
        k->on[ch * 128 + key] = x->frame + 1;
        k->notes++;
    } else if (x->ev.type == GBP_EV_NOTE_OFF) {
        note_end(k, ch, key, x->frame);
    } else {
        for (int kk = 0; kk < 128; kk++)
            note_end(k, ch, kk, x->frame);
    }
    if (k->track > 0)
        gb_midifile_writer_add(st->w, k->track, (double)x->frame / st->sr, &x->ev, NULL);
}

static void stop_tempo(stopper_t *st, const gb_rec_event_t *x)
{
    const gb_session_t *s = st->s;
    json_t *t = json_pack("{s:I,s:f,s:i,s:i}", "frame", (json_int_t)x->frame, "bpm",
                          bpm_of(x->value), "beats_per_bar", s->bpb, "beat_unit", s->bu);
    if (x->frame == 0 && json_array_size(st->tempo_map) == 1) /* the tempo in force */
        json_array_set(st->tempo_map, 0, t);
    else
        json_array_append(st->tempo_map, t);
    json_decref(t);
    line_out(st->cf, json_pack("{s:I,s:s,s:f,s:i,s:i}", "frame", (json_int_t)x->frame, "kind",
                               "tempo", "bpm", bpm_of(x->value), "beats_per_bar", s->bpb,
                               "beat_unit", s->bu));
}

/* A parameter change: its control line, and a rating or a phrase's critic score. */
static void stop_param(stopper_t *st, const gb_rec_event_t *x)
{
    const char *name = gb_session_param_name(st->s, x->handle, x->frame);
    char unknown[32];
    if (!name) {
        snprintf(unknown, sizeof unknown, "#%d", (int)x->handle);
        name = unknown;
    }
    line_out(st->cf, json_pack("{s:I,s:s,s:s,s:f,s:s}", "frame", (json_int_t)x->frame, "kind",
                               "param", "param", name, "value", (double)x->value, "from",
                               from_name(x->from)));
    const int r = rating_of(name, x->value);
    if (r) {
        line_out(st->cf, json_pack("{s:I,s:s,s:o,s:i}", "frame", (json_int_t)x->frame, "kind",
                                   "rating", "slot", slot_json(name), "value", r));
        json_array_append_new(st->ratings, json_pack("{s:I,s:o,s:i}", "frame",
                                                     (json_int_t)x->frame, "slot",
                                                     slot_json(name), "value", r));
    }
    const char *slash = strrchr(name, '/');
    if (x->from == GB_REC_FROM_UNIT && slash && strcmp(slash + 1, "score") == 0)
        json_array_append_new(st->phrases, json_pack("{s:I,s:o,s:f}", "frame",
                                                     (json_int_t)x->frame, "slot",
                                                     slot_json(name), "score",
                                                     (double)x->value));
}

/* Every event in frame order, the OSC lines of the control thread between them. */
static void stop_events(stopper_t *st)
{
    const gb_session_t *s = st->s;
    size_t oi = 0;
    for (size_t i = 0; i < st->n; i++) {
        const gb_rec_event_t *x = &st->ev[i];
        for (; oi < s->n_osc && s->osc[oi].frame <= x->frame; oi++)
            fprintf(st->cf, "%s\n", s->osc[oi].json);
        if (x->kind == GB_REC_NOTE)
            stop_note(st, x);
        else if (x->kind == GB_REC_CC)
            line_out(st->cf, json_pack("{s:I,s:s,s:i,s:i,s:f}", "frame", (json_int_t)x->frame,
                                       "kind", "cc", "channel", x->ev.channel, "cc",
                                       (int)x->ev.id, "value", (double)x->ev.value));
        else if (x->kind == GB_REC_TEMPO)
            stop_tempo(st, x);
        else if (x->kind == GB_REC_PARAM)
            stop_param(st, x);
    }
    for (; oi < s->n_osc; oi++)
        fprintf(st->cf, "%s\n", s->osc[oi].json);
    if (st->res.stopped[0])
        line_out(st->cf, json_pack("{s:I,s:s,s:s,s:s}", "frame",
                                   (json_int_t)st->res.frames_written, "kind", "record", "event",
                                   "stop", "reason", st->res.stopped));
}

/* Who made how many notes, sounding how long; notes still sounding at the end end there. */
static void stop_contributions(stopper_t *st, gb_session_summary_t *sum)
{
    json_t *mj = json_array();
    for (int i = 0; i < st->nc; i++) {
        contrib_t *c = &st->c[i];
        for (int k = 0; k < 16 * 128; k++)
            note_end(c, k / 128, k % 128, st->res.frames);
        if (c->source == 0) {
            json_object_set_new(st->contributions, "performer",
                                json_pack("{s:I,s:f}", "notes", (json_int_t)c->notes,
                                          "seconds", (double)c->sounding_frames / st->sr));
            continue;
        }
        const unit_info_t *u = unit_of_source(st->s, c->source);
        json_array_append_new(mj, json_pack("{s:s,s:s,s:i,s:I,s:f}", "slot", u ? u->slot : "",
                                            "unit", u ? u->id : "", "source", c->source,
                                            "notes", (json_int_t)c->notes, "seconds",
                                            (double)c->sounding_frames / st->sr));
        if (sum)
            sum->model_notes += c->notes;
    }
    json_object_set_new(st->contributions, "models", mj);
}

/* The recorder stopped, the events merged, the MIDI writer and the performer's track
 * (always track 1) ready. */
static int stop_start(stopper_t *st, gb_error_t *err, int *rc_audio, gb_error_t *rerr)
{
    gb_session_t *s = st->s;
    *rc_audio = gb_recorder_stop(s->rec, &st->res, rerr);
    unlink(s->reserve); /* room for what follows, even on a full disk */
    st->sr = s->cfg.sample_rate;
    /* Control-thread events arrive in frame order, but stay safe. */
    if (s->n_mev > 1)
        qsort(s->mev, s->n_mev, sizeof *s->mev, cmp_mev); /* equal frames: rare, harmless */
    st->ev = merge(&st->res, s->mev, s->n_mev, &st->n);
    st->ratings = json_array();
    st->phrases = json_array();
    st->tracks = json_array();
    st->tempo_map = json_array();
    st->contributions = json_object();
    st->c = calloc(256, sizeof *st->c);
    st->cf = open_memstream(&st->ctl, &st->ctl_len);
    /* The tempo in force when the recording started (the first block states it). */
    for (size_t i = 0; st->ev && i < st->n && st->ev[i].frame == 0; i++)
        if (st->ev[i].kind == GB_REC_TEMPO && st->ev[i].value >= 20.0f &&
            st->ev[i].value <= 300.0f)
            s->tempo_bpm = bpm_of(st->ev[i].value);
    st->w = gb_midifile_writer_new(s->tempo_bpm, 960, err);
    if (!st->ev || !st->c || !st->cf || !st->w)
        return err && err->code ? err->code
                                : gb_error_set(err, GB_ENOMEM, "session: out of memory");
    json_array_append_new(st->tempo_map, json_pack("{s:i,s:f,s:i,s:i}", "frame", 0, "bpm",
                                                   s->tempo_bpm, "beats_per_bar", s->bpb,
                                                   "beat_unit", s->bu));
    contrib_t *perf = contrib_for(st->c, &st->nc, 0);
    if (!perf || (perf->track = gb_midifile_writer_add_track(st->w, "performer", err)) < 0)
        return GB_ENOMEM;
    json_array_append_new(st->tracks, json_string("performer"));
    return 0;
}

/* notes.mid, control.jsonl, provenance.json: the first error is reported. */
static int stop_write(stopper_t *st, gb_error_t *err)
{
    char mid[4200];
    snprintf(mid, sizeof mid, "%s/notes.mid", st->s->dir);
    int a = gb_midifile_writer_save(st->w, mid, err);
    int b = gb_session_write_atomic(st->s->dir, "control.jsonl", st->ctl ? st->ctl : "",
                                    st->ctl_len, a ? NULL : err);
    int d = gb_session_write_provenance(st->s, &st->res, st->contributions, st->ratings,
                                        st->phrases, st->tracks, st->tempo_map,
                                        a || b ? NULL : err);
    return a ? a : b ? b : d;
}

static void stop_summary(const stopper_t *st, gb_session_summary_t *sum)
{
    sum->frames = st->res.frames;
    sum->frames_written = st->res.frames_written;
    sum->overruns = st->res.overruns;
    sum->events_dropped = st->res.events_dropped;
    sum->performer_notes = perf_notes(st->c, st->nc);
    sum->n_ratings = (int)json_array_size(st->ratings);
    snprintf(sum->stopped, sizeof sum->stopped, "%s", st->res.stopped);
}

static void stop_free(stopper_t *st)
{
    if (st->cf)
        fclose(st->cf);
    for (int i = 0; st->c && i < st->nc; i++)
        free(st->c[i].on);
    free(st->c);
    free(st->ctl);
    free(st->ev);
    free(st->res.events);
    gb_midifile_writer_free(st->w);
    json_decref(st->ratings);
    json_decref(st->phrases);
    json_decref(st->tracks);
    json_decref(st->tempo_map);
    json_decref(st->contributions);
}

int gb_session_stop(gb_session_t *s, gb_session_summary_t *sum, gb_error_t *err)
{
    if (!s || s->stopped)
        return 0;
    s->stopped = 1;
    if (sum)
        memset(sum, 0, sizeof *sum);
    stopper_t st = {.s = s};
    gb_error_t rerr = {0};
    int rc_audio = 0, rc = stop_start(&st, err, &rc_audio, &rerr);
    if (rc == 0) {
        stop_events(&st);
        stop_contributions(&st, sum);
        fclose(st.cf); /* ctl is complete */
        st.cf = NULL;
        rc = stop_write(&st, err);
    }
    if (rc == 0 && rc_audio)
        rc = gb_error_set(err, rc_audio, "%s", rerr.msg);
    if (sum)
        stop_summary(&st, sum);
    stop_free(&st);
    return rc;
}
