/* gb_midifile.c — Standard MIDI Files through libsmf (see gb_midifile.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_midifile.h"
#include "gb_file.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <smf.h>

#include "gb_midi.h"

#define MIDIFILE_MAX_BYTES (64u << 20) /* far beyond any real MIDI file */

/* ---------------------------------------------------------------- libsmf's messages */

/* libsmf reports problems through glib's log (domain "libsmf") and often carries on with a
 * half-read file. While it works, we catch those messages instead of letting them reach
 * stderr: critical ones (and the warnings that mean tracks were lost) make the call fail
 * with libsmf's own words. */
typedef struct smf_log {
    int n_fatal;
    char fatal[200];
    uint32_t n_warn;
    char warn[160];
} smf_log_t;

static const char *strip_prefix(const char *m)
{
    static const char *const prefixes[] = {"SMF error: ", "SMF warning: "};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(m, prefixes[i], n) == 0)
            return m + n;
    }
    return m;
}

static void smf_log_handler(const gchar *domain, GLogLevelFlags level, const gchar *message,
                            gpointer user)
{
    (void)domain;
    smf_log_t *l = user;
    const char *m = strip_prefix(message ? message : "?");
    int fatal = (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) != 0;
    if (!fatal && (level & G_LOG_LEVEL_WARNING) &&
        (strstr(m, "Cannot load track") || strstr(m, "but only")))
        fatal = 1;
    if (fatal) {
        if (l->n_fatal++ == 0)
            snprintf(l->fatal, sizeof l->fatal, "%s", m);
    } else if (level & G_LOG_LEVEL_WARNING) {
        if (l->n_warn++ == 0)
            snprintf(l->warn, sizeof l->warn, "%s", m);
    }
}


/* ---------------------------------------------------------------- normalising */

/* libsmf 1.3 trusts its input: a file cut inside a track makes it fail an assertion (abort),
 * a meta event longer than 127 bytes (a long copyright notice) is misread, and a failed load
 * leaks. So every file is first walked here, strictly and within bounds, and rewritten as a
 * plain SMF that holds only what gbac uses: channel messages (running status expanded),
 * Set Tempo, Time Signature and End of Track. Dropped events give their delta time to the
 * next one. libsmf then reads that buffer, which is always well formed, and computes the
 * tempo map (time_seconds) from it. Every error names the byte offset in the original. */

typedef struct bytes {
    unsigned char *p;
    size_t n, cap;
    int oom;
} bytes_t;

static void put(bytes_t *b, const void *src, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n > b->cap) {
        size_t nc = b->cap ? b->cap : 1024;
        while (nc < b->n + n)
            nc *= 2;
        unsigned char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put_be(bytes_t *b, uint32_t v, int nbytes)
{
    unsigned char t[4];
    for (int i = 0; i < nbytes; i++)
        t[i] = (unsigned char)(v >> (8 * (nbytes - 1 - i)));
    put(b, t, (size_t)nbytes);
}

static void put_vlq(bytes_t *b, uint32_t v)
{
    unsigned char t[4];
    int n = 0;
    t[3] = v & 0x7F;
    for (v >>= 7, n = 1; v && n < 4; v >>= 7, n++)
        t[3 - n] = (unsigned char)(0x80 | (v & 0x7F));
    put(b, t + 4 - n, (size_t)n);
}

static uint32_t rd_be(const unsigned char *p, int nbytes)
{
    uint32_t v = 0;
    for (int i = 0; i < nbytes; i++)
        v = (v << 8) | p[i];
    return v;
}

/* A variable-length quantity of at most 4 bytes within [*pos, end). */
static int rd_vlq(const unsigned char *d, size_t *pos, size_t end, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        if (*pos >= end)
            return -1;
        unsigned char c = d[(*pos)++];
        v = (v << 7) | (c & 0x7F);
        if (!(c & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

#define MAX_DELTA 0x0FFFFFFFu    /* largest VLQ */
#define MAX_TRACK_PULSES 0x7FFFFFFFu /* libsmf keeps pulses in an int */

/* One track being normalised: where it is in the input, what is carried along. */
typedef struct trk {
    const unsigned char *d;
    size_t pos, end;
    int track;
    bytes_t *out;
    const char *origin;
    uint64_t pending; /* delta carried over from dropped events */
    uint8_t running;  /* running status */
    int ended;        /* End of Track seen */
} trk_t;

static int trk_cut(const trk_t *t, gb_error_t *err)
{
    return gb_error_set(err, GB_EFORMAT,
                        "%s: not a valid MIDI file: track %d: event at byte %zu runs past the end "
                        "of its track (truncated file?)", t->origin, t->track, t->pos);
}

/* The delta time of a kept event: the pending pulses, written. */
static int trk_delta(trk_t *t, gb_error_t *err)
{
    if (t->pending > MAX_DELTA)
        return gb_error_set(err, GB_EFORMAT, "%s: track %d: gap of %llu pulses too long",
                            t->origin, t->track, (unsigned long long)t->pending);
    put_vlq(t->out, (uint32_t)t->pending);
    t->pending = 0;
    return 0;
}

/* A meta or sysex event (status st at t->pos): kept only for tempo, time signature and the
 * end of the track. */
static int trk_meta(trk_t *t, uint8_t st, gb_error_t *err)
{
    uint8_t type = 0;
    t->pos++;
    if (st == 0xFF) {
        if (t->pos >= t->end)
            return trk_cut(t, err);
        type = t->d[t->pos++];
    }
    uint32_t len;
    if (rd_vlq(t->d, &t->pos, t->end, &len) || len > t->end - t->pos)
        return trk_cut(t, err);
    const unsigned char *body = t->d + t->pos;
    t->pos += len;
    const int keep = st == 0xFF && ((type == 0x51 && len == 3) || (type == 0x58 && len == 4) ||
                                    type == 0x2F);
    if (st == 0xFF && type == 0x2F)
        t->ended = 1;
    if (!keep)
        return 0;
    int rc = trk_delta(t, err);
    if (rc)
        return rc;
    const unsigned char mh[3] = {0xFF, type, type == 0x2F ? 0 : (unsigned char)len};
    put(t->out, mh, 3);
    if (type != 0x2F)
        put(t->out, body, len);
    return 0;
}

/* A channel message (status st, or a data byte under running status) of the event that
 * starts at byte `at`. */
static int trk_channel(trk_t *t, uint8_t st, size_t at, gb_error_t *err)
{
    if (st >= 0x80) {
        if (st >= 0xF0)
            return gb_error_set(err, GB_EFORMAT,
                                "%s: not a valid MIDI file: track %d: status byte 0x%02X at "
                                "byte %zu cannot appear in a MIDI file", t->origin, t->track,
                                st, t->pos);
        t->running = st;
        t->pos++;
    } else if (!t->running) {
        return gb_error_set(err, GB_EFORMAT,
                            "%s: not a valid MIDI file: track %d: data byte 0x%02X at byte %zu "
                            "has no status (running status without a previous message)",
                            t->origin, t->track, st, t->pos);
    }
    const int n = gb_midi_data_len(t->running);
    if ((size_t)n > t->end - t->pos)
        return trk_cut(t, err);
    for (int i = 0; i < n; i++)
        if (t->d[t->pos + (size_t)i] & 0x80)
            return gb_error_set(err, GB_EFORMAT,
                                "%s: not a valid MIDI file: track %d: message 0x%02X at byte "
                                "%zu is cut short by byte 0x%02X", t->origin, t->track,
                                t->running, at, t->d[t->pos + (size_t)i]);
    int rc = trk_delta(t, err);
    if (rc)
        return rc;
    put(t->out, &t->running, 1);
    put(t->out, t->d + t->pos, (size_t)n);
    t->pos += (size_t)n;
    return 0;
}

/* Rewrite one MTrk chunk body d[start, end) into out (a whole MTrk chunk). */
static int normalise_track(const unsigned char *d, size_t start, size_t end, int track,
                           bytes_t *out, const char *origin, gb_error_t *err)
{
    trk_t t = {.d = d, .pos = start, .end = end, .track = track, .out = out, .origin = origin};
    const size_t hdr = out->n;
    put(out, "MTrk\0\0\0\0", 8);
    uint64_t total = 0; /* track time */
    while (t.pos < end && !t.ended) {
        const size_t at = t.pos;
        uint32_t delta;
        if (rd_vlq(d, &t.pos, end, &delta))
            return gb_error_set(err, GB_EFORMAT,
                                "%s: not a valid MIDI file: track %d: bad or cut delta time at "
                                "byte %zu", origin, track, at);
        t.pending += delta;
        total += delta;
        if (total > MAX_TRACK_PULSES)
            return gb_error_set(err, GB_EFORMAT,
                                "%s: track %d is longer than %u pulses (byte %zu)", origin,
                                track, MAX_TRACK_PULSES, at);
        if (t.pos >= end)
            return gb_error_set(err, GB_EFORMAT,
                                "%s: not a valid MIDI file: track %d: cut after a delta time "
                                "at byte %zu", origin, track, at);
        const uint8_t st = d[t.pos];
        int rc = st == 0xFF || st == 0xF0 || st == 0xF7 ? trk_meta(&t, st, err)
                                                        : trk_channel(&t, st, at, err);
        if (rc)
            return rc;
    }
    if (!t.ended) { /* no End of Track: the chunk's end is the track's end */
        static const unsigned char eot[3] = {0xFF, 0x2F, 0x00};
        put_vlq(out, t.pending > MAX_DELTA ? MAX_DELTA : (uint32_t)t.pending);
        put(out, eot, 3);
    }
    if (out->oom)
        return gb_error_set(err, GB_ENOMEM, "%s: out of memory", origin);
    const uint32_t body = (uint32_t)(out->n - hdr - 8);
    for (int i = 0; i < 4; i++)
        out->p[hdr + 4 + (size_t)i] = (unsigned char)(body >> (8 * (3 - i)));
    return 0;
}

/* The whole file: header checks, then every MTrk chunk in order (other chunks skipped, as
 * the SMF spec asks). On success *ppqn and *format hold the header's values. */
static int normalise(const unsigned char *d, size_t len, const char *origin, bytes_t *out,
                     int *ppqn, int *format, gb_error_t *err)
{
    if (len < 14 || memcmp(d, "MThd", 4) != 0)
        return gb_error_set(err, GB_EFORMAT,
                            "%s: not a MIDI file (no MThd header at the start)", origin);
    uint32_t hlen = rd_be(d + 4, 4);
    if (hlen < 6 || hlen > len - 8)
        return gb_error_set(err, GB_EFORMAT,
                            "%s: not a valid MIDI file: header length %u", origin, hlen);
    *format = (int)rd_be(d + 8, 2);
    const uint32_t ntracks = rd_be(d + 10, 2), division = rd_be(d + 12, 2);
    if (*format > 2)
        return gb_error_set(err, GB_EFORMAT, "%s: not a valid MIDI file: format %d (0..2)",
                            origin, *format);
    if (*format == 2)
        return gb_error_set(err, GB_EUNSUPPORTED,
                            "%s: SMF format 2 (independent sequences) is not supported; save "
                            "it as format 0 or 1", origin);
    if (division & 0x8000)
        return gb_error_set(err, GB_EUNSUPPORTED,
                            "%s: SMPTE time division is not supported; save the file with a "
                            "tempo-based (PPQN) division", origin);
    if (division == 0)
        return gb_error_set(err, GB_EFORMAT,
                            "%s: not a valid MIDI file: 0 pulses per quarter note", origin);
    if (ntracks == 0)
        return gb_error_set(err, GB_EFORMAT, "%s: not a valid MIDI file: no tracks", origin);
    *ppqn = (int)division;

    put(out, "MThd", 4);
    put_be(out, 6, 4);
    put_be(out, ntracks > 1 ? 1 : 0, 2);
    put_be(out, ntracks, 2);
    put_be(out, division, 2);
    size_t pos = 8 + hlen;
    uint32_t found = 0;
    while (found < ntracks) {
        if (pos >= len || len - pos < 8)
            return gb_error_set(err, GB_EFORMAT,
                                "%s: not a valid MIDI file: the header declares %u tracks but "
                                "the file ends after %u (truncated file?)", origin, ntracks,
                                found);
        const uint32_t clen = rd_be(d + pos + 4, 4);
        if (clen > len - pos - 8)
            return gb_error_set(err, GB_EFORMAT,
                                "%s: not a valid MIDI file: chunk at byte %zu claims %u bytes, "
                                "past the end of the file (truncated file?)", origin, pos,
                                clen);
        if (memcmp(d + pos, "MTrk", 4) == 0) {
            int rc = normalise_track(d, pos + 8, pos + 8 + clen, (int)found + 1, out, origin,
                                     err);
            if (rc)
                return rc;
            found++;
        }
        pos += 8 + (size_t)clen;
    }
    if (out->oom)
        return gb_error_set(err, GB_ENOMEM, "%s: out of memory", origin);
    if (out->n > (size_t)INT_MAX)
        return gb_error_set(err, GB_EFORMAT, "%s: too large", origin);
    return 0;
}

/* ---------------------------------------------------------------- reading */

static int push_event(gb_midifile_t *mf, size_t *cap, const gb_timed_event_t *te)
{
    if (mf->n_events == *cap) {
        size_t nc = *cap ? *cap * 2 : 256;
        gb_timed_event_t *n = realloc(mf->events, nc * sizeof *n);
        if (!n)
            return GB_ENOMEM;
        mf->events = n;
        *cap = nc;
    }
    mf->events[mf->n_events++] = *te;
    return 0;
}

static int push_tempo(gb_midifile_t *mf, size_t *cap, uint64_t frame, double bpm)
{
    if (mf->n_tempos == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        gb_midifile_tempo_t *n = realloc(mf->tempos, nc * sizeof *n);
        if (!n)
            return GB_ENOMEM;
        mf->tempos = n;
        *cap = nc;
    }
    mf->tempos[mf->n_tempos].frame = frame;
    mf->tempos[mf->n_tempos].bpm = bpm;
    mf->n_tempos++;
    return 0;
}

/* libsmf hands events over in time order, and at one time in track order; frames are
 * monotonic in time, so the list is sorted. A stable insertion pass keeps it so even if a
 * rounding ever disagreed (cost O(n) on sorted input). */
static void sort_events(gb_timed_event_t *ev, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        if (ev[i].frame >= ev[i - 1].frame)
            continue;
        gb_timed_event_t t = ev[i];
        size_t j = i;
        while (j > 0 && ev[j - 1].frame > t.frame) {
            ev[j] = ev[j - 1];
            j--;
        }
        ev[j] = t;
    }
}

static int to_frame(double seconds, double sr, uint64_t *frame)
{
    double f = seconds * sr;
    if (!(f >= 0.0) || f > 9.0e15)
        return GB_ERANGE;
    *frame = (uint64_t)llround(f);
    return 0;
}

static int read_events(gb_midifile_t *mf, smf_t *smf, gb_error_t *err)
{
    size_t cap = 0, tcap = 0;
    smf_event_t *e;
    gb_midi_parser_t parser;
    smf_rewind(smf);
    while ((e = smf_get_next_event(smf)) != NULL) {
        const unsigned char *b = e->midi_buffer;
        const int len = e->midi_buffer_length;
        if (!b || len <= 0)
            continue;
        uint64_t frame;
        if (to_frame(e->time_seconds, mf->sample_rate, &frame))
            return gb_error_set(err, GB_EFORMAT, "%s: track %d: event time %g s out of range",
                                mf->origin, e->track_number, e->time_seconds);
        if (smf_event_is_metadata(e)) {
            if (len >= 6 && b[1] == 0x51 && b[2] == 3) {
                unsigned us = ((unsigned)b[3] << 16) | ((unsigned)b[4] << 8) | b[5];
                if (us > 0 && push_tempo(mf, &tcap, frame, 60.0e6 / (double)us))
                    return gb_error_set(err, GB_ENOMEM, "%s: out of memory", mf->origin);
            }
            continue;
        }
        /* libsmf has expanded running status: each buffer is one whole message (or a
         * sysex). A fresh parser per message keeps one malformed message from touching the
         * next. */
        gb_midi_parser_init(&parser);
        int produced = 0;
        gb_midi_msg_t msg;
        for (int i = 0; i < len; i++) {
            if (!gb_midi_parser_feed(&parser, b[i], &msg))
                continue;
            gb_timed_event_t te = {.frame = frame,
                                   .track = e->track_number > 0 ? (uint32_t)e->track_number - 1
                                                                : 0};
            if (gb_midi_to_event(&msg, 0, &te.ev)) {
                if (push_event(mf, &cap, &te))
                    return gb_error_set(err, GB_ENOMEM, "%s: out of memory", mf->origin);
                produced = 1;
            }
        }
        if (!produced && mf->n_ignored != UINT32_MAX)
            mf->n_ignored++;
    }
    sort_events(mf->events, mf->n_events);
    return 0;
}

gb_midifile_t *gb_midifile_load_mem(const void *data, size_t len, const char *origin,
                                    double sample_rate, gb_error_t *err)
{
    if (!origin)
        origin = "(memory)";
    if (!(sample_rate >= 1.0 && sample_rate <= 1.0e6)) {
        gb_error_set(err, GB_EINVAL, "%s: sample rate %g is out of range 1..1000000", origin,
                     sample_rate);
        return NULL;
    }
    if (!data || len == 0) {
        gb_error_set(err, GB_EFORMAT, "%s: empty file, not a MIDI file", origin);
        return NULL;
    }
    if (len > MIDIFILE_MAX_BYTES) {
        gb_error_set(err, GB_EFORMAT, "%s: %zu bytes is too large for a MIDI file (limit %u)",
                     origin, len, MIDIFILE_MAX_BYTES);
        return NULL;
    }
    gb_midifile_t *mf = calloc(1, sizeof *mf);
    if (!mf || !(mf->origin = strdup(origin))) {
        free(mf);
        gb_error_set(err, GB_ENOMEM, "%s: out of memory", origin);
        return NULL;
    }
    mf->sample_rate = sample_rate;

    bytes_t norm = {0};
    int ppqn = 0, format = 0;
    int rc = normalise(data, len, origin, &norm, &ppqn, &format, err);
    if (rc) {
        free(norm.p);
        gb_midifile_free(mf);
        return NULL;
    }
    smf_log_t log = {0};
    guint hid = g_log_set_handler("libsmf",
                                  G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
                                  smf_log_handler, &log);
    smf_t *smf = smf_load_from_memory(norm.p, (int)norm.n);
    free(norm.p);
    if (!smf || log.n_fatal || smf->ppqn != ppqn) {
        /* Cannot happen with a normalised buffer; kept as a safety net. */
        rc = gb_error_set(err, GB_EFORMAT, "%s: not a valid MIDI file: %s", origin,
                          log.n_fatal ? log.fatal : "libsmf could not parse it");
    } else {
        mf->format = format;
        mf->ppqn = smf->ppqn;
        mf->n_tracks = smf->number_of_tracks;
        rc = read_events(mf, smf, err);
        if (!rc && log.n_fatal) /* a problem found while walking the events */
            rc = gb_error_set(err, GB_EFORMAT, "%s: not a valid MIDI file: %s", origin,
                              log.fatal);
        if (!rc) {
            mf->length_s = smf_get_length_seconds(smf);
            if (to_frame(mf->length_s, sample_rate, &mf->length_frames))
                rc = gb_error_set(err, GB_EFORMAT, "%s: length %g s out of range", origin,
                                  mf->length_s);
            if (mf->n_events && mf->events[mf->n_events - 1].frame > mf->length_frames)
                mf->length_frames = mf->events[mf->n_events - 1].frame;
        }
    }
    if (smf)
        smf_delete(smf);
    g_log_remove_handler("libsmf", hid);
    if (rc) {
        gb_midifile_free(mf);
        return NULL;
    }
    return mf;
}

gb_midifile_t *gb_midifile_load(const char *path, double sample_rate, gb_error_t *err)
{
    size_t len;
    char *buf = gb_file_read_all(path, MIDIFILE_MAX_BYTES, "MIDI file", &len, err);
    if (!buf)
        return NULL;
    gb_midifile_t *r = gb_midifile_load_mem(buf, len, path, sample_rate, err);
    free(buf);
    return r;
}

void gb_midifile_free(gb_midifile_t *mf)
{
    if (!mf)
        return;
    free(mf->events);
    free(mf->tempos);
    free(mf->origin);
    free(mf);
}

/* ---------------------------------------------------------------- writer */

typedef struct wev {
    int pulses;
    uint32_t seq; /* order of addition: ties at one pulse keep it */
    uint8_t len;
    uint8_t bytes[3];
} wev_t;

typedef struct wtrack {
    char *name;
    wev_t *ev;
    size_t n, cap;
} wtrack_t;

struct gb_midifile_writer {
    double bpm;
    int ppqn;
    int n_tracks; /* named tracks, not counting the conductor */
    wtrack_t *tracks;
    uint32_t seq;
};

gb_midifile_writer_t *gb_midifile_writer_new(double tempo_bpm, int ppqn, gb_error_t *err)
{
    if (ppqn == 0)
        ppqn = 960;
    if (!(tempo_bpm >= 20.0 && tempo_bpm <= 300.0) || ppqn < 1 || ppqn > 32767) {
        gb_error_set(err, GB_EINVAL,
                     "MIDI writer: tempo %g bpm or ppqn %d out of range (20..300, 1..32767)",
                     tempo_bpm, ppqn);
        return NULL;
    }
    gb_midifile_writer_t *w = calloc(1, sizeof *w);
    if (!w) {
        gb_error_set(err, GB_ENOMEM, "MIDI writer: out of memory");
        return NULL;
    }
    w->bpm = tempo_bpm;
    w->ppqn = ppqn;
    return w;
}

void gb_midifile_writer_free(gb_midifile_writer_t *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->n_tracks; i++) {
        free(w->tracks[i].name);
        free(w->tracks[i].ev);
    }
    free(w->tracks);
    free(w);
}

int gb_midifile_writer_add_track(gb_midifile_writer_t *w, const char *name, gb_error_t *err)
{
    if (!w || !name)
        return gb_error_set(err, GB_EINVAL, "MIDI writer: no track name");
    if (w->n_tracks >= 255)
        return gb_error_set(err, GB_ERANGE, "MIDI writer: too many tracks (limit 255)");
    wtrack_t *t = realloc(w->tracks, (size_t)(w->n_tracks + 1) * sizeof *t);
    if (!t)
        return gb_error_set(err, GB_ENOMEM, "MIDI writer: out of memory");
    w->tracks = t;
    memset(&t[w->n_tracks], 0, sizeof *t);
    if (!(t[w->n_tracks].name = strdup(name)))
        return gb_error_set(err, GB_ENOMEM, "MIDI writer: out of memory");
    return ++w->n_tracks;
}

int gb_midifile_writer_add(gb_midifile_writer_t *w, int track, double seconds,
                           const gbp_event_t *ev, gb_error_t *err)
{
    if (!w || !ev || track < 1 || track > w->n_tracks)
        return gb_error_set(err, GB_EINVAL, "MIDI writer: no track %d", track);
    double p = seconds * w->bpm / 60.0 * w->ppqn;
    if (!(p >= -0.5 && p < (double)INT_MAX - 1.0))
        return gb_error_set(err, GB_ERANGE, "MIDI writer: time %g s out of range", seconds);
    wev_t e = {.pulses = (int)llround(p), .seq = w->seq++};
    int n = gb_midi_from_event(ev, e.bytes);
    if (n == 0)
        return 0;
    e.len = (uint8_t)n;
    wtrack_t *t = &w->tracks[track - 1];
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 256;
        wev_t *ne = realloc(t->ev, nc * sizeof *ne);
        if (!ne)
            return gb_error_set(err, GB_ENOMEM, "MIDI writer: out of memory");
        t->ev = ne;
        t->cap = nc;
    }
    t->ev[t->n++] = e;
    return 0;
}

static int cmp_wev(const void *a, const void *b)
{
    const wev_t *x = a, *y = b;
    if (x->pulses != y->pulses)
        return x->pulses < y->pulses ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Add raw bytes as an event at `pulses`. */
static int add_raw(smf_track_t *t, const void *bytes, int len, int pulses)
{
    smf_event_t *e = smf_event_new_from_pointer((void *)(uintptr_t)bytes, len);
    if (!e)
        return GB_ENOMEM;
    smf_track_add_event_pulses(t, e, pulses);
    return 0;
}

static int add_name(smf_track_t *t, const char *name)
{
    smf_event_t *e = smf_event_new_textual(0x03, name);
    if (!e)
        return GB_ENOMEM;
    smf_track_add_event_pulses(t, e, 0);
    return 0;
}

/* The conductor track (name and tempo) and every named track into smf; the pulse of the
 * last event in *last. 0, or -1 when out of memory. */
static int writer_tracks(gb_midifile_writer_t *w, smf_t *smf, int *last)
{
    smf_track_t *cond = smf_track_new();
    if (!cond)
        return -1;
    smf_add_track(smf, cond);
    unsigned us = (unsigned)lround(60.0e6 / w->bpm);
    const unsigned char tempo[6] = {0xFF, 0x51, 0x03, (unsigned char)(us >> 16),
                                    (unsigned char)(us >> 8), (unsigned char)us};
    if (add_name(cond, "gbac") || add_raw(cond, tempo, 6, 0))
        return -1;
    for (int i = 0; i < w->n_tracks; i++) {
        wtrack_t *wt = &w->tracks[i];
        if (wt->n > 1)
            qsort(wt->ev, wt->n, sizeof *wt->ev, cmp_wev);
        smf_track_t *t = smf_track_new();
        if (!t)
            return -1;
        smf_add_track(smf, t);
        if (add_name(t, wt->name))
            return -1;
        for (size_t k = 0; k < wt->n; k++) {
            if (add_raw(t, wt->ev[k].bytes, wt->ev[k].len, wt->ev[k].pulses))
                return -1;
            *last = wt->ev[k].pulses > *last ? wt->ev[k].pulses : *last;
        }
    }
    return 0;
}

/* Save smf under a temporary name, then rename it to path. */
static int save_atomic(smf_t *smf, const char *path, const smf_log_t *log, gb_error_t *err)
{
    size_t n = strlen(path) + 8;
    char *tmp = malloc(n);
    int rc = 0;
    if (!tmp)
        return gb_error_set(err, GB_ENOMEM, "%s: out of memory", path);
    snprintf(tmp, n, "%s.tmp", path);
    if (smf_save(smf, tmp)) {
        rc = gb_error_set(err, GB_EIO, "%s: cannot write the MIDI file%s%s", path,
                          log->n_fatal ? ": " : "", log->n_fatal ? log->fatal : "");
        remove(tmp);
    } else if (rename(tmp, path)) {
        rc = gb_error_set(err, GB_EIO, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
    }
    free(tmp);
    return rc;
}

int gb_midifile_writer_save(gb_midifile_writer_t *w, const char *path, gb_error_t *err)
{
    if (!w || !path)
        return gb_error_set(err, GB_EINVAL, "MIDI writer: no output path");
    smf_log_t log = {0};
    guint hid = g_log_set_handler("libsmf",
                                  G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
                                  smf_log_handler, &log);
    int rc = 0, last_pulse = 0;
    smf_t *smf = smf_new();
    if (!smf || smf_set_ppqn(smf, w->ppqn))
        rc = gb_error_set(err, GB_ENOMEM, "%s: cannot create the MIDI file", path);
    else if (writer_tracks(w, smf, &last_pulse) < 0)
        rc = gb_error_set(err, GB_ENOMEM, "%s: out of memory", path);
    /* Every track ends where the last event of the file is. */
    for (int i = 1; rc == 0 && i <= smf->number_of_tracks; i++) {
        smf_track_t *t = smf_get_track_by_number(smf, i);
        if (!t || smf_track_add_eot_pulses(t, last_pulse))
            rc = gb_error_set(err, GB_EFORMAT, "%s: cannot end track %d", path, i);
    }
    if (rc == 0)
        rc = save_atomic(smf, path, &log, err);
    if (smf)
        smf_delete(smf);
    g_log_remove_handler("libsmf", hid);
    return rc;
}
