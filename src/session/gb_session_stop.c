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

int gb_session_stop(gb_session_t *s, gb_session_summary_t *sum, gb_error_t *err)
{
    if (!s || s->stopped)
        return 0;
    s->stopped = 1;
    if (sum)
        memset(sum, 0, sizeof *sum);
    gb_recorder_result_t res;
    gb_error_t rerr = {0};
    int rc_audio = gb_recorder_stop(s->rec, &res, &rerr);
    unlink(s->reserve); /* room for what follows, even on a full disk */
    const double sr = s->cfg.sample_rate;
    /* Control-thread events arrive in frame order, but stay safe. */
    if (s->n_mev > 1)
        qsort(s->mev, s->n_mev, sizeof *s->mev, cmp_mev); /* equal frames: rare, harmless */
    size_t n = 0;
    gb_rec_event_t *ev = merge(&res, s->mev, s->n_mev, &n);
    int rc = 0;
    json_t *ratings = json_array(), *phrases = json_array(), *tracks = json_array();
    json_t *tempo_map = json_array(), *contributions = json_object();
    contrib_t *c = calloc(256, sizeof *c);
    int nc = 0;
    char *ctl = NULL;
    size_t ctl_len = 0;
    FILE *cf = open_memstream(&ctl, &ctl_len);
    /* The tempo in force when the recording started (the first block states it). */
    for (size_t i = 0; ev && i < n && ev[i].frame == 0; i++)
        if (ev[i].kind == GB_REC_TEMPO && ev[i].value >= 20.0f && ev[i].value <= 300.0f)
            s->tempo_bpm = bpm_of(ev[i].value);
    gb_midifile_writer_t *w = gb_midifile_writer_new(s->tempo_bpm, 960, err);
    if (!ev || !c || !cf || !w) {
        rc = err && err->code ? err->code : gb_error_set(err, GB_ENOMEM, "session: out of "
                                                         "memory");
        goto done;
    }
    json_array_append_new(tempo_map, json_pack("{s:i,s:f,s:i,s:i}", "frame", 0, "bpm",
                                               s->tempo_bpm, "beats_per_bar", s->bpb,
                                               "beat_unit", s->bu));
    /* Track 1 is always the performer's. */
    contrib_t *perf = contrib_for(c, &nc, 0);
    if (!perf || (perf->track = gb_midifile_writer_add_track(w, "performer", err)) < 0) {
        rc = GB_ENOMEM;
        goto done;
    }
    json_array_append_new(tracks, json_string("performer"));
    size_t oi = 0;
    for (size_t i = 0; i < n; i++) {
        const gb_rec_event_t *x = &ev[i];
        for (; oi < s->n_osc && s->osc[oi].frame <= x->frame; oi++)
            fprintf(cf, "%s\n", s->osc[oi].json);
        switch (x->kind) {
        case GB_REC_NOTE: {
            contrib_t *k = contrib_for(c, &nc, x->ev.source);
            if (!k)
                break;
            if (k->track < 0) {
                const unit_info_t *u = unit_of_source(s, x->ev.source);
                char name[256];
                if (u)
                    snprintf(name, sizeof name, "%s (%s)", u->slot, u->id);
                else
                    snprintf(name, sizeof name, "source %d", x->ev.source);
                k->track = gb_midifile_writer_add_track(w, name, NULL);
                json_array_append_new(tracks, json_string(name));
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
                gb_midifile_writer_add(w, k->track, (double)x->frame / sr, &x->ev, NULL);
            break;
        }
        case GB_REC_CC:
            line_out(cf, json_pack("{s:I,s:s,s:i,s:i,s:f}", "frame", (json_int_t)x->frame,
                                   "kind", "cc", "channel", x->ev.channel, "cc", (int)x->ev.id,
                                   "value", (double)x->ev.value));
            break;
        case GB_REC_TEMPO: {
            json_t *t = json_pack("{s:I,s:f,s:i,s:i}", "frame", (json_int_t)x->frame, "bpm",
                                  bpm_of(x->value), "beats_per_bar", s->bpb, "beat_unit",
                                  s->bu);
            if (x->frame == 0 && json_array_size(tempo_map) == 1) /* the tempo in force */
                json_array_set(tempo_map, 0, t);
            else
                json_array_append(tempo_map, t);
            json_t *l = json_pack("{s:I,s:s,s:f,s:i,s:i}", "frame", (json_int_t)x->frame,
                                  "kind", "tempo", "bpm", bpm_of(x->value), "beats_per_bar",
                                  s->bpb, "beat_unit", s->bu);
            json_decref(t);
            line_out(cf, l);
            break;
        }
        case GB_REC_PARAM: {
            const char *name = gb_session_param_name(s, x->handle, x->frame);
            char unknown[32];
            if (!name) {
                snprintf(unknown, sizeof unknown, "#%d", (int)x->handle);
                name = unknown;
            }
            line_out(cf, json_pack("{s:I,s:s,s:s,s:f,s:s}", "frame", (json_int_t)x->frame,
                                   "kind", "param", "param", name, "value", (double)x->value,
                                   "from", from_name(x->from)));
            const int r = rating_of(name, x->value);
            if (r) {
                line_out(cf, json_pack("{s:I,s:s,s:o,s:i}", "frame", (json_int_t)x->frame,
                                       "kind", "rating", "slot", slot_json(name), "value", r));
                json_array_append_new(ratings, json_pack("{s:I,s:o,s:i}", "frame",
                                                         (json_int_t)x->frame, "slot",
                                                         slot_json(name), "value", r));
            }
            const char *slash = strrchr(name, '/');
            if (x->from == GB_REC_FROM_UNIT && slash && strcmp(slash + 1, "score") == 0)
                json_array_append_new(phrases, json_pack("{s:I,s:o,s:f}", "frame",
                                                         (json_int_t)x->frame, "slot",
                                                         slot_json(name), "score",
                                                         (double)x->value));
            break;
        }
        default:
            break;
        }
    }
    for (; oi < s->n_osc; oi++)
        fprintf(cf, "%s\n", s->osc[oi].json);
    if (res.stopped[0])
        line_out(cf, json_pack("{s:I,s:s,s:s,s:s}", "frame", (json_int_t)res.frames_written,
                               "kind", "record", "event", "stop", "reason", res.stopped));
    /* Notes still sounding at the end end there. */
    json_t *mj = json_array();
    for (int i = 0; i < nc; i++) {
        for (int k = 0; k < 16 * 128; k++)
            note_end(&c[i], k / 128, k % 128, res.frames);
        if (c[i].source == 0) {
            json_object_set_new(contributions, "performer",
                                json_pack("{s:I,s:f}", "notes", (json_int_t)c[i].notes,
                                          "seconds", (double)c[i].sounding_frames / sr));
            continue;
        }
        const unit_info_t *u = unit_of_source(s, c[i].source);
        json_array_append_new(mj, json_pack("{s:s,s:s,s:i,s:I,s:f}", "slot",
                                            u ? u->slot : "", "unit", u ? u->id : "",
                                            "source", c[i].source, "notes",
                                            (json_int_t)c[i].notes, "seconds",
                                            (double)c[i].sounding_frames / sr));
        if (sum)
            sum->model_notes += c[i].notes;
    }
    json_object_set_new(contributions, "models", mj);
    fclose(cf);
    cf = NULL;

done:
    if (cf)
        fclose(cf);
    if (rc == 0) {
        char mid[4200];
        snprintf(mid, sizeof mid, "%s/notes.mid", s->dir);
        int a = gb_midifile_writer_save(w, mid, err);
        int b = gb_session_write_atomic(s->dir, "control.jsonl", ctl ? ctl : "", ctl_len, a ? NULL : err);
        int d = gb_session_write_provenance(s, &res, contributions, ratings, phrases, tracks, tempo_map,
                                 a || b ? NULL : err);
        rc = a ? a : b ? b : d;
    }
    if (rc == 0 && rc_audio)
        rc = gb_error_set(err, rc_audio, "%s", rerr.msg);
    if (sum) {
        sum->frames = res.frames;
        sum->frames_written = res.frames_written;
        sum->overruns = res.overruns;
        sum->events_dropped = res.events_dropped;
        sum->performer_notes = perf_notes(c, nc);
        sum->n_ratings = (int)json_array_size(ratings);
        snprintf(sum->stopped, sizeof sum->stopped, "%s", res.stopped);
    }
    for (int i = 0; i < nc; i++)
        free(c[i].on);
    free(c);
    free(ctl);
    free(ev);
    free(res.events);
    gb_midifile_writer_free(w);
    json_decref(ratings);
    json_decref(phrases);
    json_decref(tracks);
    json_decref(tempo_map);
    json_decref(contributions);
    return rc;
}

