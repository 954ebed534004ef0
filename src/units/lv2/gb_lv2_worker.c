/* gb_lv2_worker.c — LV2 worker:schedule. Live: requests from run() go through a lock-free ring
 * to a thread of this instance that calls work(); its responses come back through another
 * ring and are delivered by work_response() on the audio thread after the next run(), then
 * end_run(). Offline: work() runs at once inside schedule_work (reproducible renders), its
 * responses delivered the same way.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gb_lv2_priv.h"

#include <stdlib.h>
#include <string.h>
#ifdef GBAC_RTSAN
#include <sanitizer/rtsan_interface.h>
#endif

#define GB_LV2_WORKER_RING 8192u  /* bytes per direction, a power of two */

static int ring_init(gb_lv2_ring_t *r, uint32_t cap)
{
    r->buf = calloc(1, cap);
    r->cap = cap;
    atomic_store(&r->head, 0);
    atomic_store(&r->tail, 0);
    return r->buf ? 0 : -1;
}

static uint32_t ring_space(const gb_lv2_ring_t *r) GBP_RT
{
    return r->cap - (atomic_load_explicit(&r->head, memory_order_relaxed) -
                     atomic_load_explicit(&r->tail, memory_order_acquire));
}

static void ring_copy_in(gb_lv2_ring_t *r, uint32_t at, const void *src, uint32_t n) GBP_RT
{
    const uint8_t *s = src;
    for (uint32_t i = 0; i < n; i++)
        r->buf[(at + i) & (r->cap - 1)] = s[i];
}

static void ring_copy_out(const gb_lv2_ring_t *r, uint32_t at, void *dst, uint32_t n) GBP_RT
{
    uint8_t *d = dst;
    for (uint32_t i = 0; i < n; i++)
        d[i] = r->buf[(at + i) & (r->cap - 1)];
}

/* A message: its size then its bytes. Returns 0, or -1 when there is no room. */
static int ring_write(gb_lv2_ring_t *r, uint32_t size, const void *data) GBP_RT
{
    if (ring_space(r) < size + sizeof size)
        return -1;
    const uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    ring_copy_in(r, h, &size, sizeof size);
    ring_copy_in(r, h + sizeof size, data, size);
    atomic_store_explicit(&r->head, h + (uint32_t)sizeof size + size, memory_order_release);
    return 0;
}

/* The next message into buf (cap bytes); returns its size, or -1 when there is none. */
static int64_t ring_read(gb_lv2_ring_t *r, void *buf, uint32_t cap) GBP_RT
{
    const uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (atomic_load_explicit(&r->head, memory_order_acquire) == t)
        return -1;
    uint32_t size;
    ring_copy_out(r, t, &size, sizeof size);
    if (size <= cap)
        ring_copy_out(r, t + sizeof size, buf, size);
    atomic_store_explicit(&r->tail, t + (uint32_t)sizeof size + size, memory_order_release);
    return size <= cap ? (int64_t)size : 0;
}

static LV2_Worker_Status respond(LV2_Worker_Respond_Handle h, uint32_t size, const void *data)
{
    gb_lv2_worker_t *w = h;
    return ring_write(&w->resp, size, data) == 0 ? LV2_WORKER_SUCCESS : LV2_WORKER_ERR_NO_SPACE;
}

static LV2_Worker_Status schedule(LV2_Worker_Schedule_Handle h, uint32_t size, const void *data)
{
    gb_lv2_worker_t *w = h;
    if (!w->iface)
        return LV2_WORKER_ERR_UNKNOWN;
    if (!w->threaded) {
        /* Offline only (gbac render): the plugin's work() runs here, inside run(), by design
         * — it may allocate or do I/O, which is what a worker is for; RTSan is told so. */
#ifdef GBAC_RTSAN
        __rtsan_disable();
#endif
        const LV2_Worker_Status st = w->iface->work(w->handle, respond, w, size, data);
#ifdef GBAC_RTSAN
        __rtsan_enable();
#endif
        return st;
    }
    if (ring_write(&w->req, size, data) < 0)
        return LV2_WORKER_ERR_NO_SPACE;
    sem_post(&w->sem);
    return LV2_WORKER_SUCCESS;
}

static void *worker_main(void *arg)
{
    gb_lv2_worker_t *w = arg;
    uint8_t *msg = malloc(GB_LV2_WORKER_RING);
    for (;;) {
        sem_wait(&w->sem);
        if (atomic_load(&w->stop))
            break;
        int64_t n;
        while (msg && (n = ring_read(&w->req, msg, GB_LV2_WORKER_RING)) >= 0)
            w->iface->work(w->handle, respond, w, (uint32_t)n, msg);
    }
    free(msg);
    return NULL;
}

int gb_lv2_worker_init(gb_lv2_worker_t *w, int threaded, gb_error_t *err)
{
    memset(w, 0, sizeof *w);
    w->threaded = threaded;
    w->sched.handle = w;
    w->sched.schedule_work = schedule;
    if (ring_init(&w->req, GB_LV2_WORKER_RING) < 0 || ring_init(&w->resp, GB_LV2_WORKER_RING) < 0 ||
        !(w->scratch = malloc(GB_LV2_WORKER_RING))) {
        free(w->req.buf);
        free(w->resp.buf);
        return gb_error_set(err, GB_ENOMEM, "worker: out of memory");
    }
    return GB_OK;
}

void gb_lv2_worker_start(gb_lv2_worker_t *w, const LV2_Worker_Interface *iface,
                         LV2_Handle handle)
{
    if (!iface || !iface->work)
        return;
    w->handle = handle;
    if (w->threaded) {
        if (sem_init(&w->sem, 0, 0) != 0)
            w->threaded = 0;
        else if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            sem_destroy(&w->sem);
            w->threaded = 0;
        } else
            w->running = 1;
    }
    w->iface = iface;
}

void gb_lv2_worker_deliver(gb_lv2_worker_t *w) GBP_RT
{
    if (!w->iface)
        return;
    int64_t n;
    while ((n = ring_read(&w->resp, w->scratch, GB_LV2_WORKER_RING)) >= 0)
        if (w->iface->work_response)
            w->iface->work_response(w->handle, (uint32_t)n, w->scratch);
    if (w->iface->end_run)
        w->iface->end_run(w->handle);
}

void gb_lv2_worker_fini(gb_lv2_worker_t *w)
{
    if (w->running) {
        atomic_store(&w->stop, 1);
        sem_post(&w->sem);
        pthread_join(w->thread, NULL);
        sem_destroy(&w->sem);
        w->running = 0;
    }
    free(w->req.buf);
    free(w->resp.buf);
    free(w->scratch);
    memset(w, 0, sizeof *w);
}
