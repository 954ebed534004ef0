/* gb_web_impl.h — inside the web server: the server object and its connections, shared by
 * gb_web_server.c (life cycle, the owner's side) and gb_web_conn.c (the libwebsockets
 * callback: HTTP, access, WebSocket traffic). Not for other code: use gb_web_server.h.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_WEB_IMPL_H
#define GB_WEB_IMPL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

#include <libwebsockets.h>

#include "gb_ring.h"
#include "gb_web_feed.h"
#include "gb_web_server.h"

#define GB_WEB_IN_RING 1024   /* messages from pages waiting for the owner */
#define GB_WEB_OUT_RING 8192  /* texts from the owner waiting for the server thread */
#define GB_WEB_FEED_KEYS 2048
#define GB_WEB_FEED_EVENTS 2048
#define GB_WEB_TICK_US 10000  /* how often the server looks for pages whose rate allows a
                                 full frame (the meters) */
#define GB_WEB_FRAME_REPLIES (256u << 10) /* replies joined into one WebSocket message, bytes */

/* A text from the owner to the server thread. */
typedef struct gb_web_out {
    int kind;        /* OUT_SEND, OUT_POST, OUT_FORGET */
    uint32_t client;
    char *key;       /* OUT_POST: NULL (event) or the key; OUT_FORGET: the prefix */
    char *text;
    lws_usec_t at;   /* OUT_POST, OUT_SEND: when the owner posted or sent it (lws_now_usecs,
                        monotonic) */
} gb_web_out_t;

enum { GB_WEB_OUT_SEND = 1, GB_WEB_OUT_POST, GB_WEB_OUT_FORGET };

/* When something for the pages was made (the owner's post or send; at 0: nothing), and how
 * long the server thread had waited for a core by then (its run_delay, ns): the latency a
 * write reports is split into the kernel's share and gbac's own. */
typedef struct gb_web_mark {
    lws_usec_t at;
    uint64_t delay;
} gb_web_mark_t;

/* A text waiting to be written to one page, with room for the WebSocket header. */
typedef struct gb_web_chunk {
    struct gb_web_chunk *next;
    size_t len;
    gb_web_mark_t made; /* when the owner sent it */
    unsigned char buf[]; /* LWS_PRE + len bytes */
} gb_web_chunk_t;

/* One connection: HTTP requests and, after the upgrade, a page (ws set). */
typedef struct gb_web_conn {
    struct lws *wsi;
    uint32_t id;             /* 0 until it is a page */
    int slot;                /* index in the server's page table */
    gb_web_cursor_t cursor;  /* what of the feed it has seen */
    lws_usec_t last_frame;   /* when its last full feed frame (with the rated keys) went out */
    gb_web_mark_t waiting;   /* the oldest timed post it has not been sent */
    gb_web_chunk_t *head, *tail; /* replies waiting */
    size_t queued;
    char *rx;                /* the message being received */
    size_t rx_len;
    int rx_bad;              /* 1: binary, 2: too long */
    int paused;              /* reading stopped: the ring to the owner is filling up */
} gb_web_conn_t;

struct gb_web_server {
    gb_web_server_config_t cfg;
    char doc_root[PATH_MAX], index[128], mount_prefix[64], mount_dir[PATH_MAX], rated[64];
    char token[GB_WEB_TOKEN_LEN + 1];
    gb_live_stats_t own_stats, *stats;
    struct lws_context *ctx;
    struct lws_vhost *vh;
    int port;
    pthread_t thread;
    int thread_started;
    atomic_int stop;
    atomic_int wake;         /* the owner asked for a wake-up not yet taken */
    gb_ring_t *in;           /* gb_web_in_t *: server thread → owner */
    gb_ring_t *out;          /* gb_web_out_t: owner → server thread */
    /* server thread only */
    gb_web_feed_t *feed;
    gb_web_conn_t *pages[GB_WEB_MAX_CLIENTS];
    int n_pages;
    uint32_t next_id;
    lws_sorted_usec_list_t tick;
    lws_usec_t frame_us;     /* least time between two feed frames to one page */
    int sched_fd;            /* the thread's /proc schedstat, or -1 */
    uint64_t run_delay;      /* its run_delay before the current wait for events, ns */
    atomic_int n_clients;
};

/** The libwebsockets callback of the one protocol ("gbac": HTTP and WebSocket). */
int gb_web_conn_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                         void *in, size_t len);

/** The periodic tick: pages with something to send and their rate allowing it are asked to
 *  write; paused readers resume. [server thread] */
void gb_web_tick(lws_sorted_usec_list_t *sul);

/** The server thread's run_delay now: ns it has spent runnable, waiting for a core (the
 *  kernel's schedstat; 0 when it has none). [server thread] */
uint64_t gb_web_run_delay(gb_web_server_t *s);

/** Take the texts the owner posted since the last call. [server thread] */
void gb_web_take_out(gb_web_server_t *s);

/** Count c (relaxed). */
static inline void gb_web_count(atomic_uint_fast64_t *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

#endif
