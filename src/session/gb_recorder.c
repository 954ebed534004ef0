/* gb_recorder.c — audio and events to disk through SPSC rings and a disk thread (see
 * gb_recorder.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "gb_recorder.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sndfile.h>

#include "gb_ring.h"

#define DISK_CHUNK 4096u /* frames written per sf_writef_float call, at most */

struct gb_recorder {
    gb_recorder_config_t cfg;
    char *path;
    double sr;

    /* audio ring: interleaved stereo, cap frames (a power of two) */
    float *buf;
    uint64_t cap, mask;
    _Alignas(64) atomic_uint_fast64_t wpos; /* frames pushed into the ring (producer) */
    _Alignas(64) atomic_uint_fast64_t rpos; /* frames taken out (disk thread) */
    _Alignas(64) atomic_uint_fast64_t frames; /* frames offered (dropped ones included) */
    atomic_uint_fast64_t overruns, dropped_frames, events_dropped;

    gb_ring_t *evring;
    double last_tempo; /* [producer] tempo of the last captured block (0: none yet) */

    /* disk thread */
    pthread_t thread;
    int thread_started;
    atomic_int quit;
    atomic_int hold, held;
    int fd;
    SNDFILE *sf;
    off_t data_off;      /* where the audio data starts in the file (WAV) */
    uint64_t written;    /* whole frames on disk */
    uint64_t since_header;
    atomic_int failed;   /* 1 once `failure` is set */
    char failure[256];
    int close_error;
    gb_rec_event_t *ev;  /* collected events (disk thread, then the stopper) */
    size_t n_ev, cap_ev;
    int stopped;
};

gb_recorder_config_t gb_recorder_config_default(void)
{
    gb_recorder_config_t c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    c.sample_rate = 48000.0;
    c.format = GB_REC_WAV;
    c.ring_s = 4.0;
    c.event_capacity = 16384;
    return c;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------------- producer side */

void gb_recorder_push_audio(gb_recorder_t *r, const float *l, const float *rr,
                            uint32_t frames) GB_RT
{
    atomic_fetch_add_explicit(&r->frames, frames, memory_order_relaxed);
    const uint64_t w = atomic_load_explicit(&r->wpos, memory_order_relaxed);
    const uint64_t rd = atomic_load_explicit(&r->rpos, memory_order_acquire);
    if (r->cap - (w - rd) < frames) {
        atomic_fetch_add_explicit(&r->overruns, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&r->dropped_frames, frames, memory_order_relaxed);
        return;
    }
    for (uint32_t i = 0; i < frames; i++) {
        float *d = r->buf + 2 * ((w + i) & r->mask);
        d[0] = l[i];
        d[1] = rr[i];
    }
    atomic_store_explicit(&r->wpos, w + frames, memory_order_release);
}

int gb_recorder_push_event(gb_recorder_t *r, const gb_rec_event_t *ev) GB_RT
{
    if (gb_ring_push(r->evring, ev))
        return 0;
    atomic_fetch_add_explicit(&r->events_dropped, 1, memory_order_relaxed);
    return -1;
}

void gb_recorder_capture_block(gb_recorder_t *r, const gb_engine_t *e, const gbp_event_t *in,
                               uint32_t n_in, uint64_t frame) GB_RT
{
    gb_rec_event_t x;
    memset(&x, 0, sizeof x);
    for (uint32_t i = 0; i < n_in; i++) {
        const uint8_t t = in[i].type;
        if (t == GBP_EV_NOTE_ON || t == GBP_EV_NOTE_OFF || t == GBP_EV_ALL_OFF)
            x.kind = GB_REC_NOTE;
        else if (t == GBP_EV_CC)
            x.kind = GB_REC_CC;
        else
            continue;
        x.frame = frame + in[i].time;
        x.ev = in[i];
        gb_recorder_push_event(r, &x);
    }
    uint32_t ng = 0;
    const gbp_event_t *gen = gb_engine_generated(e, &ng);
    for (uint32_t i = 0; i < ng; i++) {
        const uint8_t t = gen[i].type;
        if (t != GBP_EV_NOTE_ON && t != GBP_EV_NOTE_OFF && t != GBP_EV_ALL_OFF)
            continue;
        x.kind = GB_REC_NOTE;
        x.frame = frame + gen[i].time;
        x.ev = gen[i];
        gb_recorder_push_event(r, &x);
    }
    memset(&x, 0, sizeof x);
    const double tempo = gb_engine_transport(e)->tempo_bpm;
    if (tempo != r->last_tempo) { /* the first block states the tempo in force */
        r->last_tempo = tempo;
        x.kind = GB_REC_TEMPO;
        x.frame = frame;
        x.value = (float)tempo;
        gb_recorder_push_event(r, &x);
    }
    const int32_t *h;
    const float *v;
    const uint32_t *off;
    const int nc = gb_engine_param_changes(e, &h, &v);
    x.kind = GB_REC_PARAM;
    x.from = GB_REC_FROM_MIDI;
    for (int i = 0; i < nc; i++) {
        x.frame = frame;
        x.handle = h[i];
        x.value = v[i];
        gb_recorder_push_event(r, &x);
    }
    const int nr = gb_engine_reports(e, &h, &v, &off);
    x.from = GB_REC_FROM_UNIT;
    for (int i = 0; i < nr; i++) {
        x.frame = frame + off[i];
        x.handle = h[i];
        x.value = v[i];
        gb_recorder_push_event(r, &x);
    }
}

uint64_t gb_recorder_frames(const gb_recorder_t *r)
{
    return atomic_load_explicit(&((gb_recorder_t *)r)->frames, memory_order_relaxed);
}

void gb_recorder_hold(gb_recorder_t *r, int on)
{
    atomic_store(&r->hold, on);
    while (on && r->thread_started && !atomic_load(&r->held)) /* until it really stands */
        sleep_ms(1);
}

const char *gb_recorder_failure(const gb_recorder_t *r)
{
    return atomic_load_explicit(&((gb_recorder_t *)r)->failed, memory_order_acquire) ? r->failure
                                                                                     : NULL;
}

void gb_recorder_wait_room(gb_recorder_t *r, uint32_t max_frames)
{
    for (;;) {
        const uint64_t used = atomic_load(&r->wpos) - atomic_load(&r->rpos);
        const size_t evfree = gb_ring_capacity(r->evring) - gb_ring_count(r->evring);
        const size_t evwant = gb_ring_capacity(r->evring) / 2 < 4096
                                  ? gb_ring_capacity(r->evring) / 2
                                  : 4096;
        const uint64_t want = max_frames < r->cap ? max_frames : r->cap;
        if ((r->cap - used >= want && evfree >= evwant) || r->stopped ||
            !r->thread_started)
            return;
        sleep_ms(1);
    }
}

void gb_recorder_write_audio(gb_recorder_t *r, const float *l, const float *rr, uint32_t frames)
{
    while (frames > 0) {
        uint32_t n = frames < DISK_CHUNK ? frames : DISK_CHUNK;
        gb_recorder_wait_room(r, n);
        gb_recorder_push_audio(r, l, rr, n);
        l += n;
        rr += n;
        frames -= n;
    }
}

/* ---------------------------------------------------------------- disk thread */

static void collect(gb_recorder_t *r, const gb_rec_event_t *x)
{
    if (r->n_ev == r->cap_ev) {
        size_t nc = r->cap_ev ? 2 * r->cap_ev : 1024;
        gb_rec_event_t *n = realloc(r->ev, nc * sizeof *n);
        if (!n) {
            atomic_fetch_add(&r->events_dropped, 1);
            return;
        }
        r->ev = n;
        r->cap_ev = nc;
    }
    r->ev[r->n_ev++] = *x;
}

/* The audio recording ends early: keep exactly the whole frames written, close the file
 * (libsndfile rewrites the header in place: no new space needed), say why. */
static void fail_audio(gb_recorder_t *r, const char *what)
{
    if (r->cfg.format == GB_REC_WAV && r->fd >= 0 && r->data_off > 0) {
        /* A short write may have left part of a frame: cut it off. */
        if (ftruncate(r->fd, r->data_off + (off_t)(r->written * 2 * sizeof(float))) != 0) {
            /* nothing better to do: the header still counts whole frames only */
        }
    }
    if (r->sf) {
        sf_close(r->sf);
        r->sf = NULL;
    }
    if (r->fd >= 0) {
        close(r->fd);
        r->fd = -1;
    }
    const int enospc = strstr(what, strerror(ENOSPC)) != NULL;
    snprintf(r->failure, sizeof r->failure, "%s%s after %.1f s", enospc ? "disk full: " : "",
             what, (double)r->written / r->sr);
    atomic_store_explicit(&r->failed, 1, memory_order_release);
}

/* Write (or, after a failure, discard) what the audio ring holds. Returns frames taken. */
static uint64_t drain_audio(gb_recorder_t *r)
{
    const uint64_t w = atomic_load_explicit(&r->wpos, memory_order_acquire);
    uint64_t rd = atomic_load_explicit(&r->rpos, memory_order_relaxed);
    const uint64_t total = w - rd;
    while (rd < w) {
        uint64_t n = w - rd;
        const uint64_t idx = rd & r->mask;
        if (n > r->cap - idx)
            n = r->cap - idx; /* up to the ring's end */
        if (n > DISK_CHUNK)
            n = DISK_CHUNK;
        if (r->sf) {
            errno = 0;
            const sf_count_t got = sf_writef_float(r->sf, r->buf + 2 * idx, (sf_count_t)n);
            if (got > 0)
                r->written += (uint64_t)got;
            if (got < (sf_count_t)n) {
                char what[200];
                snprintf(what, sizeof what, "%s: %s", r->path,
                         errno ? strerror(errno) : sf_strerror(r->sf));
                fail_audio(r, what);
            } else if ((r->since_header += n) >= (uint64_t)r->sr) {
                r->since_header = 0;
                if (r->cfg.format == GB_REC_WAV)
                    sf_command(r->sf, SFC_UPDATE_HEADER_NOW, NULL, 0);
            }
        }
        rd += n;
        atomic_store_explicit(&r->rpos, rd, memory_order_release);
    }
    return total;
}

static size_t drain_events(gb_recorder_t *r)
{
    gb_rec_event_t x;
    size_t n = 0;
    while (gb_ring_pop(r->evring, &x)) {
        collect(r, &x);
        n++;
    }
    return n;
}

static void *disk_main(void *arg)
{
    gb_recorder_t *r = arg;
    for (;;) {
        const int quit = atomic_load(&r->quit);
        if (!quit && atomic_load(&r->hold)) {
            atomic_store(&r->held, 1);
            sleep_ms(1);
            continue;
        }
        atomic_store(&r->held, 0);
        const uint64_t a = drain_audio(r);
        const size_t e = drain_events(r);
        if (quit && a == 0 && e == 0)
            break;
        if (a == 0 && e == 0)
            sleep_ms(2);
    }
    return NULL;
}

/* ---------------------------------------------------------------- life cycle */

gb_recorder_t *gb_recorder_new(const gb_recorder_config_t *cfg, gb_error_t *err)
{
    if (!cfg || cfg->struct_size < sizeof *cfg || !cfg->path || !(cfg->sample_rate >= 1.0) ||
        !(cfg->ring_s > 0.0 && cfg->ring_s <= 60.0) || cfg->event_capacity < 16 ||
        (cfg->format != GB_REC_WAV && cfg->format != GB_REC_FLAC)) {
        gb_error_set(err, GB_EINVAL, "recorder: bad configuration");
        return NULL;
    }
    gb_recorder_t *r = calloc(1, sizeof *r);
    if (!r) {
        gb_error_set(err, GB_ENOMEM, "recorder: out of memory");
        return NULL;
    }
    r->cfg = *cfg;
    r->fd = -1;
    r->sr = cfg->sample_rate;
    r->path = strdup(cfg->path);
    uint64_t want = (uint64_t)(cfg->ring_s * cfg->sample_rate) + 1, cap = 1024;
    while (cap < want)
        cap *= 2;
    r->cap = cap;
    r->mask = cap - 1;
    r->buf = calloc(2 * cap, sizeof(float));
    r->evring = gb_ring_new(sizeof(gb_rec_event_t), cfg->event_capacity);
    if (!r->path || !r->buf || !r->evring) {
        gb_error_set(err, GB_ENOMEM, "recorder: out of memory");
        goto fail;
    }
    r->fd = open(cfg->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (r->fd < 0) {
        gb_error_set(err, GB_EIO, "%s: cannot create the audio file: %s", cfg->path,
                     strerror(errno));
        goto fail;
    }
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = (int)(cfg->sample_rate + 0.5);
    info.channels = 2;
    info.format = cfg->format == GB_REC_FLAC ? SF_FORMAT_FLAC | SF_FORMAT_PCM_24
                                             : SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    r->sf = sf_open_fd(r->fd, SFM_WRITE, &info, 0);
    if (!r->sf) {
        gb_error_set(err, GB_EIO, "%s: cannot write audio: %s", cfg->path, sf_strerror(NULL));
        goto fail;
    }
    if (cfg->format == GB_REC_FLAC)
        sf_command(r->sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
    else /* the header went out at open: audio data starts here */
        r->data_off = lseek(r->fd, 0, SEEK_CUR);
    if (pthread_create(&r->thread, NULL, disk_main, r) != 0) {
        gb_error_set(err, GB_ENOMEM, "recorder: cannot start the disk thread");
        goto fail;
    }
    r->thread_started = 1;
    return r;
fail:
    if (r->sf)
        sf_close(r->sf);
    r->sf = NULL;
    if (r->fd >= 0) {
        close(r->fd);
        unlink(cfg->path);
    }
    r->fd = -1;
    gb_recorder_free(r);
    return NULL;
}

static int cmp_frame(const void *a, const void *b)
{
    const gb_rec_event_t *x = a, *y = b;
    if (x->frame != y->frame)
        return x->frame < y->frame ? -1 : 1;
    return 0; /* equal frames keep their arrival order: the sort below is stable */
}

/* A stable merge sort by frame (qsort is not stable). */
static void sort_events(gb_rec_event_t *a, size_t n)
{
    if (n < 2)
        return;
    gb_rec_event_t *tmp = malloc(n * sizeof *tmp);
    if (!tmp) { /* fall back to insertion sort: stable, slow, rare */
        for (size_t i = 1; i < n; i++) {
            gb_rec_event_t x = a[i];
            size_t j = i;
            while (j > 0 && cmp_frame(&a[j - 1], &x) > 0) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = x;
        }
        return;
    }
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = cmp_frame(&a[j], &a[i]) < 0 ? a[j++] : a[i++];
            while (i < mid)
                tmp[k++] = a[i++];
            while (j < hi)
                tmp[k++] = a[j++];
        }
        memcpy(a, tmp, n * sizeof *a);
    }
    free(tmp);
}

static void finish(gb_recorder_t *r)
{
    if (r->stopped)
        return;
    r->stopped = 1;
    if (r->thread_started) {
        atomic_store(&r->quit, 1);
        pthread_join(r->thread, NULL);
        r->thread_started = 0;
    }
    if (r->sf) {
        if (sf_close(r->sf) != 0)
            r->close_error = 1;
        r->sf = NULL;
    }
    if (r->fd >= 0) {
        if (fsync(r->fd) != 0 && errno == ENOSPC)
            r->close_error = 1;
        if (close(r->fd) != 0)
            r->close_error = 1;
        r->fd = -1;
    }
}

int gb_recorder_stop(gb_recorder_t *r, gb_recorder_result_t *res, gb_error_t *err)
{
    finish(r);
    memset(res, 0, sizeof *res);
    res->frames = atomic_load(&r->frames);
    res->frames_written = r->written;
    res->overruns = atomic_load(&r->overruns);
    res->dropped_frames = atomic_load(&r->dropped_frames);
    res->events_dropped = atomic_load(&r->events_dropped);
    if (atomic_load(&r->failed))
        snprintf(res->stopped, sizeof res->stopped, "%s", r->failure);
    sort_events(r->ev, r->n_ev);
    res->events = r->ev;
    res->n_events = r->n_ev;
    r->ev = NULL;
    r->n_ev = r->cap_ev = 0;
    if (r->close_error)
        return gb_error_set(err, GB_EIO, "%s: error while finishing the audio file", r->path);
    return 0;
}

void gb_recorder_free(gb_recorder_t *r)
{
    if (!r)
        return;
    finish(r);
    free(r->ev);
    free(r->buf);
    gb_ring_free(r->evring);
    free(r->path);
    free(r);
}
