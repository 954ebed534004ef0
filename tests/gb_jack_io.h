/* gb_jack_io.h — the JACK tests' own sender and recorder, made so that what a test measures
 * never rests on a cycle the server ran late.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What a late cycle does to a test client (jackd2 1.9.21, dummy backend, measured with three
 * chained clients, see tests/gb_jack_util.h): in the default asynchronous mode a client that
 * runs late reads the *next* cycle's frame time in process(), so it labels a period one
 * period off, skips a window of frames (the events scheduled in it are never sent: a lost
 * note-off holds a note) and sees another window twice. The tests' jackd therefore runs
 * synchronously (-S), where every client of a cycle reads that cycle's frame; and the two
 * helpers below do not trust it either:
 *
 * - gbt_sched_*: MIDI events scheduled at absolute frames. Each goes out exactly once: in the
 *   cycle that holds its frame, or, if the sender never saw that cycle, at the start of the
 *   next one it sees. Events of one cycle are written in time order (JACK refuses an event
 *   earlier than the one before it). The frame each event went out on is kept.
 * - gbt_rec_*: audio recorded at absolute frames, with a log of the cycles. A frame counts
 *   as recorded only when the cycles covering it abut (each starts where the one before
 *   ended, none seen twice) and each was verified: the sender's frame time for that cycle,
 *   passed in a tag event on its own port, equals the recorder's. Measurements (onsets,
 *   pitch, level, silence) are made on such stretches only.
 *
 * The sender must run before the recorder in the cycle (connect sender → recorder).
 */
#ifndef GB_JACK_IO_H
#define GB_JACK_IO_H

#include <jack/jack.h>
#include <jack/midiport.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gb_jack_util.h" /* gbt_sleep_ms */

/* ---- the sender ------------------------------------------------------------------------- */

#define GBT_SCHED_CAP 16384u /* events not yet sent plus the ones whose frames a test reads */
#define GBT_SCHED_WIN 256u   /* events written in one cycle at most; the rest wait one cycle */
#define GBT_UNSENT UINT64_MAX

typedef struct gbt_sched {
    struct {
        uint64_t frame;
        uint8_t bytes[3];
        _Atomic uint64_t sent; /* frame it went out on, GBT_UNSENT before */
    } ev[GBT_SCHED_CAP];
    _Atomic uint64_t n;        /* [main] events scheduled */
    _Atomic uint64_t lo;       /* [process] every event before lo has gone out */
    uint64_t next;             /* [process] frame after the last cycle seen (0: none yet) */
    atomic_long late;          /* events that went out after their frame */
    atomic_long skipped;       /* cycles that did not start where the one before ended */
} gbt_sched_t;

/** [main] Schedule a 3-byte message at an absolute frame; returns its index (see
 *  gbt_sched_sent). Waits while the table is full of unsent events. */
static inline uint64_t gbt_sched_add(gbt_sched_t *s, uint64_t frame, uint8_t a, uint8_t b,
                                     uint8_t c)
{
    const uint64_t i = atomic_load(&s->n);
    for (int t = 0; t < 5000 && i - atomic_load(&s->lo) >= GBT_SCHED_CAP; t++)
        gbt_sleep_ms(1);
    s->ev[i % GBT_SCHED_CAP].frame = frame;
    memcpy(s->ev[i % GBT_SCHED_CAP].bytes, (uint8_t[3]){a, b, c}, 3);
    atomic_store(&s->ev[i % GBT_SCHED_CAP].sent, GBT_UNSENT);
    atomic_store(&s->n, i + 1);
    return i;
}

/** [main] The frame event i went out on, or GBT_UNSENT. */
static inline uint64_t gbt_sched_sent(gbt_sched_t *s, uint64_t i)
{
    return atomic_load(&s->ev[i % GBT_SCHED_CAP].sent);
}

/** [main] Wait up to ms for every event scheduled so far to go out. Returns 0 or -1. */
static inline int gbt_sched_flush(gbt_sched_t *s, int ms)
{
    const uint64_t n = atomic_load(&s->n);
    for (int t = 0; t < ms && atomic_load(&s->lo) < n; t += 5)
        gbt_sleep_ms(5);
    return atomic_load(&s->lo) >= n ? 0 : -1;
}

/** [process] Write the events due in the cycle [start, start + n) into the cleared MIDI
 *  buffer buf, and those whose frame passed unseen at offset 0. */
static inline void gbt_sched_process(gbt_sched_t *s, void *buf, uint64_t start, jack_nframes_t n)
{
    if (s->next && start != s->next)
        atomic_fetch_add(&s->skipped, 1);
    s->next = start + n;
    const uint64_t end = atomic_load(&s->n);
    uint64_t lo = atomic_load(&s->lo), idx[GBT_SCHED_WIN];
    uint32_t off[GBT_SCHED_WIN], k = 0;
    for (uint64_t i = lo; i < end && k < GBT_SCHED_WIN; i++) {
        const uint64_t f = s->ev[i % GBT_SCHED_CAP].frame;
        if (atomic_load(&s->ev[i % GBT_SCHED_CAP].sent) != GBT_UNSENT || f >= start + n)
            continue;
        const uint32_t o = f >= start ? (uint32_t)(f - start) : 0;
        uint32_t j = k++; /* insertion: by offset, then in the order scheduled */
        while (j > 0 && off[j - 1] > o) {
            off[j] = off[j - 1];
            idx[j] = idx[j - 1];
            j--;
        }
        off[j] = o;
        idx[j] = i;
    }
    for (uint32_t j = 0; j < k; j++) {
        const uint64_t i = idx[j] % GBT_SCHED_CAP;
        if (jack_midi_event_write(buf, off[j], s->ev[i].bytes, 3) != 0)
            break; /* buffer full: the rest go out next cycle */
        if (s->ev[i].frame < start)
            atomic_fetch_add(&s->late, 1);
        atomic_store(&s->ev[i].sent, start + off[j]);
    }
    while (lo < end && atomic_load(&s->ev[lo % GBT_SCHED_CAP].sent) != GBT_UNSENT)
        lo++;
    atomic_store(&s->lo, lo);
}

/* ---- the tag: the sender's frame time for the cycle, read by the recorder ---------------- */

/** [process] Write the tag for the cycle starting at frame into the cleared buffer buf. */
static inline void gbt_tag_write(void *buf, uint64_t frame)
{
    uint8_t m[8] = {0xF0, 0x7D, 0, 0, 0, 0, 0, 0xF7}; /* 0x7D: non-commercial sysex */
    for (int i = 0; i < 5; i++)
        m[2 + i] = (uint8_t)((frame >> (7 * i)) & 0x7F);
    jack_midi_event_write(buf, 0, m, sizeof m);
}

/* A sender's whole process callback: its MIDI port gets the scheduled events of this cycle, its
 * tag port the cycle's frame (so a recorder can tell which cycles it really heard). [audio] */
static inline void gbt_snd_cycle(jack_client_t *c, jack_port_t *out, jack_port_t *tag_out,
                                 gbt_sched_t *s, jack_nframes_t n)
{
    void *buf = jack_port_get_buffer(out, n), *tag = jack_port_get_buffer(tag_out, n);
    jack_midi_clear_buffer(buf);
    jack_midi_clear_buffer(tag);
    const uint64_t f = jack_last_frame_time(c);
    gbt_tag_write(tag, f);
    gbt_sched_process(s, buf, f, n);
}

/** [process] Whether buf holds a tag for frame (only the low 35 bits are compared). */
static inline int gbt_tag_matches(void *buf, uint64_t frame)
{
    jack_midi_event_t e;
    if (jack_midi_get_event_count(buf) != 1 || jack_midi_event_get(&e, buf, 0) != 0 ||
        e.size != 8 || e.buffer[0] != 0xF0 || e.buffer[1] != 0x7D)
        return 0;
    uint64_t f = 0;
    for (int i = 0; i < 5; i++)
        f |= (uint64_t)(e.buffer[2 + i] & 0x7F) << (7 * i);
    return f == (frame & ((1ull << 35) - 1));
}

/* ---- the recorder ----------------------------------------------------------------------- */

#define GBT_REC_CYCLES 65536u

typedef struct gbt_cycle {
    uint64_t frame;
    uint32_t n;
    int ok; /* the sender's tag agreed */
} gbt_cycle_t;

typedef struct gbt_rec {
    size_t cap;             /* frames of l and r */
    float *l, *r;
    uint64_t start;         /* absolute frame of l[0]: the first cycle since the reset */
    gbt_cycle_t cyc[GBT_REC_CYCLES];
    atomic_int n_cyc;       /* cycles logged (each one's samples are in place first) */
    atomic_int armed;
    atomic_uint calls;      /* process calls finished, armed or not */
} gbt_rec_t;

/** [main] An empty recorder of cap frames (calloc'd: free with gbt_rec_free). */
static inline gbt_rec_t *gbt_rec_new(size_t cap)
{
    gbt_rec_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->cap = cap;
    r->l = calloc(cap, sizeof(float));
    r->r = calloc(cap, sizeof(float));
    if (!r->l || !r->r) {
        free(r->l);
        free(r->r);
        free(r);
        return NULL;
    }
    return r;
}

static inline void gbt_rec_free(gbt_rec_t *r)
{
    if (!r)
        return;
    free(r->l);
    free(r->r);
    free(r);
}

/** [process] Record one cycle: n frames from the recorder's frame time `frame`; ok: the
 *  sender's tag agreed. A cycle that does not fit is logged as not ok. */
static inline void gbt_rec_process(gbt_rec_t *r, uint64_t frame, jack_nframes_t n,
                                   const float *l, const float *rr, int ok)
{
    if (atomic_load(&r->armed)) {
        const int k = atomic_load(&r->n_cyc);
        if (k == 0)
            r->start = frame;
        if (k < (int)GBT_REC_CYCLES) {
            const int fits = frame >= r->start && frame - r->start + n <= r->cap;
            if (fits) {
                memcpy(r->l + (frame - r->start), l, n * sizeof(float));
                memcpy(r->r + (frame - r->start), rr, n * sizeof(float));
            }
            r->cyc[k] = (gbt_cycle_t){frame, n, ok && fits};
            atomic_store(&r->n_cyc, k + 1);
        }
    }
    atomic_fetch_add(&r->calls, 1);
}

/** [main] Wait until the process callback has run `calls` more times (0 or -1 after 2 s). */
static inline int gbt_rec_wait_calls(gbt_rec_t *r, unsigned calls)
{
    const unsigned c0 = atomic_load(&r->calls);
    for (int t = 0; t < 2000 && atomic_load(&r->calls) - c0 < calls; t++)
        gbt_sleep_ms(1);
    return atomic_load(&r->calls) - c0 >= calls ? 0 : -1;
}

/** [main] Forget what was recorded and record from the next cycle on (returns once it has
 *  one cycle). A process call in flight when this starts is waited for, not raced. */
static inline void gbt_rec_reset(gbt_rec_t *r)
{
    atomic_store(&r->armed, 0);
    gbt_rec_wait_calls(r, 2);
    memset(r->l, 0, r->cap * sizeof(float));
    memset(r->r, 0, r->cap * sizeof(float));
    atomic_store(&r->n_cyc, 0);
    atomic_store(&r->armed, 1);
    for (int t = 0; t < 2000 && atomic_load(&r->n_cyc) == 0; t++)
        gbt_sleep_ms(1);
}

/** [main] Frames recorded so far: the end of the furthest cycle, relative to l[0]. */
static inline size_t gbt_rec_frames(const gbt_rec_t *r)
{
    const int k = atomic_load(&r->n_cyc);
    size_t end = 0;
    for (int i = 0; i < k; i++) {
        const gbt_cycle_t *c = &r->cyc[i];
        if (c->frame >= r->start && c->frame - r->start + c->n > end)
            end = (size_t)(c->frame - r->start + c->n);
    }
    return end < r->cap ? end : r->cap;
}

/** [main] Whether every frame of [from, to) (relative to l[0]) was recorded by verified cycles
 *  that follow each other, each seen once. */
static inline int gbt_rec_verified(const gbt_rec_t *r, int64_t from, int64_t to)
{
    const int k = atomic_load(&r->n_cyc);
    int64_t at = -1; /* end of the previous cycle that overlaps the range */
    for (int i = 0; i < k; i++) {
        const gbt_cycle_t *c = &r->cyc[i];
        const int64_t a = (int64_t)(c->frame - r->start), b = a + (int64_t)c->n;
        if (b <= from || a >= to)
            continue;
        if (!c->ok || (at < 0 ? a > from : a != at))
            return 0;
        at = b;
    }
    return at >= to;
}

/** [main] The first start a >= from with [a, a + len) verified and a + len <= to, or -1.
 *  Candidates are the cycle starts (and from itself). */
static inline int64_t gbt_rec_stretch(const gbt_rec_t *r, int64_t from, int64_t to,
                                      int64_t len)
{
    if (from + len <= to && gbt_rec_verified(r, from, from + len))
        return from;
    const int k = atomic_load(&r->n_cyc);
    for (int i = 0; i < k; i++) {
        const int64_t a = (int64_t)(r->cyc[i].frame - r->start);
        if (a >= from && a + len <= to && gbt_rec_verified(r, a, a + len))
            return a;
    }
    return -1;
}

/** [main] The first frame in [from, to) where either channel is not exactly 0, or -1. */
static inline int64_t gbt_rec_first_sound(const gbt_rec_t *r, int64_t from, int64_t to)
{
    for (int64_t i = from < 0 ? 0 : from; i < to && i < (int64_t)r->cap; i++)
        if (r->l[i] != 0.0f || r->r[i] != 0.0f)
            return i;
    return -1;
}

/** [main] RMS level in dB of the left channel over [from, from + n). */
static inline double gbt_rec_rms_db(const gbt_rec_t *r, int64_t from, int64_t n)
{
    double s = 0;
    for (int64_t i = from; i < from + n; i++)
        s += (double)r->l[i] * r->l[i];
    return 10 * log10(s / (double)n + 1e-30);
}

/** [main] Wait (up to ms) until the last `frames` frames recorded are verified and exactly
 *  silent; returns the frame (relative to l[0]) where that silent stretch starts, or -1. */
static inline int64_t gbt_rec_wait_silence(const gbt_rec_t *r, int64_t frames, int ms)
{
    for (int t = 0; t <= ms; t += 10) {
        const int64_t end = (int64_t)gbt_rec_frames(r), a = end - frames;
        if (a >= 0 && gbt_rec_verified(r, a, end) && gbt_rec_first_sound(r, a, end) < 0)
            return a;
        gbt_sleep_ms(10);
    }
    return -1;
}

#endif
