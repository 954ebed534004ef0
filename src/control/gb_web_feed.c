/* gb_web_feed.c — keyed state and events for every page, with cursors (see gb_web_feed.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_web_feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct keyed {
    char *key, *text;
    uint64_t seq;
    int rated;
} keyed_t;

typedef struct event {
    char *text;
    uint64_t seq;
} event_t;

struct gb_web_feed {
    keyed_t *keys;
    int n_keys, max_keys;
    event_t *ev; /* ring: event number k lives at ev[k % max_events] */
    int max_events;
    uint64_t n_ev;    /* events posted so far */
    uint64_t first;   /* oldest event number still held */
    uint64_t seq;     /* last sequence number given */
    uint64_t useq;    /* ... to an urgent post */
    uint64_t rseq;    /* ... to a rated key's post */
    char *rated;      /* prefix of the rated keys, or NULL */
};

/* One item of a frame. */
typedef struct item {
    uint64_t seq;
    const char *text;
} item_t;

gb_web_feed_t *gb_web_feed_new(int max_keys, int max_events)
{
    if (max_keys < 1 || max_events < 1)
        return NULL;
    gb_web_feed_t *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->keys = calloc((size_t)max_keys, sizeof *f->keys);
    f->ev = calloc((size_t)max_events, sizeof *f->ev);
    if (!f->keys || !f->ev) {
        gb_web_feed_free(f);
        return NULL;
    }
    f->max_keys = max_keys;
    f->max_events = max_events;
    return f;
}

void gb_web_feed_free(gb_web_feed_t *f)
{
    if (!f)
        return;
    for (int i = 0; f->keys && i < f->n_keys; i++) {
        free(f->keys[i].key);
        free(f->keys[i].text);
    }
    for (uint64_t k = f->first; f->ev && k < f->n_ev; k++)
        free(f->ev[k % (uint64_t)f->max_events].text);
    free(f->keys);
    free(f->ev);
    free(f->rated);
    free(f);
}

void gb_web_feed_rate(gb_web_feed_t *f, const char *prefix)
{
    if (!f)
        return;
    free(f->rated);
    f->rated = prefix ? strdup(prefix) : NULL;
}

/* The next sequence number, for a rated post or an urgent one. */
static uint64_t next_seq(gb_web_feed_t *f, int rated)
{
    if (rated)
        return f->rseq = ++f->seq;
    return f->useq = ++f->seq;
}

static int post_keyed(gb_web_feed_t *f, const char *key, char *text)
{
    const int rated = f->rated && strncmp(key, f->rated, strlen(f->rated)) == 0;
    for (int i = 0; i < f->n_keys; i++) {
        if (strcmp(f->keys[i].key, key) == 0) {
            free(f->keys[i].text);
            f->keys[i].text = text;
            f->keys[i].seq = next_seq(f, rated);
            return 0;
        }
    }
    char *k = f->n_keys < f->max_keys ? strdup(key) : NULL;
    if (!k) {
        free(text);
        return -1;
    }
    f->keys[f->n_keys++] = (keyed_t){k, text, next_seq(f, rated), rated};
    return 0;
}

int gb_web_feed_post(gb_web_feed_t *f, const char *key, char *text)
{
    if (!f || !text) {
        free(text);
        return -1;
    }
    if (key)
        return post_keyed(f, key, text);
    const uint64_t cap = (uint64_t)f->max_events;
    if (f->n_ev - f->first == cap) { /* full: the oldest goes */
        free(f->ev[f->first % cap].text);
        f->first++;
    }
    f->ev[f->n_ev % cap] = (event_t){text, next_seq(f, 0)};
    f->n_ev++;
    return 0;
}

void gb_web_feed_forget(gb_web_feed_t *f, const char *prefix)
{
    if (!f || !prefix)
        return;
    const size_t n = strlen(prefix);
    int j = 0;
    for (int i = 0; i < f->n_keys; i++) {
        if (strncmp(f->keys[i].key, prefix, n) == 0) {
            free(f->keys[i].key);
            free(f->keys[i].text);
        } else {
            f->keys[j++] = f->keys[i];
        }
    }
    f->n_keys = j;
}

gb_web_cursor_t gb_web_feed_now(const gb_web_feed_t *f)
{
    return (gb_web_cursor_t){f->seq, f->n_ev, f->seq};
}

int gb_web_feed_urgent(const gb_web_feed_t *f, const gb_web_cursor_t *c)
{
    return f->useq > c->seq;
}

int gb_web_feed_pending(const gb_web_feed_t *f, const gb_web_cursor_t *c)
{
    return f->useq > c->seq || f->rseq > c->rseq;
}

static int cmp_item(const void *a, const void *b)
{
    const item_t *x = a, *y = b;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The items after cursor c (the rated keys too when all), in posting order; *n of them. NULL
 * with *n 0 on no memory. */
static item_t *collect(const gb_web_feed_t *f, const gb_web_cursor_t *c, int all,
                       uint64_t from, size_t *n)
{
    const size_t cap = (size_t)f->n_keys + (size_t)(f->n_ev - from) + 1;
    item_t *it = malloc(cap * sizeof *it);
    *n = 0;
    if (!it)
        return NULL;
    for (int i = 0; i < f->n_keys; i++) {
        const keyed_t *k = &f->keys[i];
        if (k->rated ? all && k->seq > c->rseq : k->seq > c->seq)
            it[(*n)++] = (item_t){k->seq, k->text};
    }
    for (uint64_t k = from; k < f->n_ev; k++) {
        const event_t *e = &f->ev[k % (uint64_t)f->max_events];
        if (e->seq > c->seq)
            it[(*n)++] = (item_t){e->seq, e->text};
    }
    qsort(it, *n, sizeof *it, cmp_item);
    return it;
}

char *gb_web_feed_frame(gb_web_feed_t *f, gb_web_cursor_t *c, int what, size_t pre,
                        size_t *len, uint64_t *lost)
{
    *len = 0;
    *lost = 0;
    const int all = what == GB_WEB_FRAME_ALL;
    if (!f || !(all ? gb_web_feed_pending(f, c) : gb_web_feed_urgent(f, c)))
        return NULL;
    const uint64_t from = c->ev > f->first ? c->ev : f->first;
    char lost_text[64] = "";
    if (c->ev < f->first) {
        *lost = f->first - c->ev;
        snprintf(lost_text, sizeof lost_text, "{\"path\":\"/web/lost\",\"args\":[%llu]}",
                 (unsigned long long)*lost);
    }
    size_t n;
    item_t *it = collect(f, c, all, from, &n);
    if (!it)
        return NULL;
    size_t total = pre + 2 + strlen(lost_text) + 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(it[i].text) + 1;
    char *buf = malloc(total);
    if (!buf) {
        free(it);
        return NULL;
    }
    char *p = buf + pre;
    *p++ = '[';
    size_t k = strlen(lost_text);
    memcpy(p, lost_text, k);
    p += k;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 || k > 0)
            *p++ = ',';
        k = strlen(it[i].text);
        memcpy(p, it[i].text, k);
        p += k;
    }
    *p++ = ']';
    *p = '\0';
    *len = (size_t)(p - (buf + pre));
    free(it);
    c->seq = f->seq;
    c->ev = f->n_ev;
    if (all)
        c->rseq = f->seq;
    return buf;
}

int gb_web_feed_keys(const gb_web_feed_t *f)
{
    return f ? f->n_keys : 0;
}

int gb_web_feed_events(const gb_web_feed_t *f)
{
    return f ? (int)(f->n_ev - f->first) : 0;
}
