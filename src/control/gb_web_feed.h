/* gb_web_feed.h — what the browser surface sends every page, and how a page that is slow or
 * rate-limited catches up: keyed state (a meter, a parameter's value: only the latest text of
 * a key matters) and events (notes, learned mappings: each one matters, in order). Owned by
 * the web server's thread; no locks, no sockets, so it is tested on its own.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every post gets the next sequence number. A page's cursor says what it has seen; its next
 * frame is a JSON array of every keyed text posted (or replaced) after the cursor and every
 * event after it, in posting order, so a page that receives at most 30 frames a second still
 * gets each parameter's latest value and every note. Memory is bounded: at most max_keys
 * keys and the newest max_events events; a page that falls further behind than max_events
 * gets {"path": "/web/lost", "args": [N]} first (N events it missed).
 */
#ifndef GB_WEB_FEED_H
#define GB_WEB_FEED_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gb_web_feed gb_web_feed_t;

/** What a page has seen. */
typedef struct gb_web_cursor {
    uint64_t seq; /* every post up to this sequence number */
    uint64_t ev;  /* events before this event number */
} gb_web_cursor_t;

/** A feed for at most max_keys keys and max_events retained events; NULL on out of memory.
 *  [web] */
gb_web_feed_t *gb_web_feed_new(int max_keys, int max_events);

/** Free it and every text it holds. NULL-safe. [web] */
void gb_web_feed_free(gb_web_feed_t *f);

/** Post text (a JSON object, malloc'd: the feed owns it from now on, also on failure).
 *  key NULL: an event; else it replaces the key's text. Returns 0, or -1 when a new key
 *  finds the table full (the text is freed). [web] */
int gb_web_feed_post(gb_web_feed_t *f, const char *key, char *text);

/** Remove every key that starts with prefix (a replaced engine's parameters). [web] */
void gb_web_feed_forget(gb_web_feed_t *f, const char *prefix);

/** The cursor of a page that has seen everything so far (a page that just connected). [web] */
gb_web_cursor_t gb_web_feed_now(const gb_web_feed_t *f);

/** Whether anything was posted after the cursor. [web] */
int gb_web_feed_pending(const gb_web_feed_t *f, const gb_web_cursor_t *c);

/** The next frame for cursor c, which then points past it: a buffer of *len + pre bytes
 *  (malloc'd; free()) whose text starts at byte pre (room for the WebSocket header). *lost
 *  gets the number of events the page missed. NULL when nothing is new, or on out of memory
 *  (*len 0; the cursor then stays). [web] */
char *gb_web_feed_frame(gb_web_feed_t *f, gb_web_cursor_t *c, size_t pre, size_t *len,
                        uint64_t *lost);

/** Keys held now, and events retained now. [web] */
int gb_web_feed_keys(const gb_web_feed_t *f);
int gb_web_feed_events(const gb_web_feed_t *f);

#ifdef __cplusplus
}
#endif
#endif
