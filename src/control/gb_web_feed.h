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
 *
 * Rated keys. Keys that start with the prefix given to gb_web_feed_rate (the meters) are
 * "rated": the owner sends them at most so many times a second, in a full frame
 * (gb_web_feed_frame with GB_WEB_FRAME_ALL). Every other post (a parameter's value, an event)
 * is "urgent" (gb_web_feed_urgent) and may go at once in an urgent frame, which leaves the
 * rated keys pending. Without a prefix nothing is rated.
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
    uint64_t seq;  /* every urgent post up to this sequence number */
    uint64_t ev;   /* events before this event number */
    uint64_t rseq; /* every rated key's post up to this sequence number */
} gb_web_cursor_t;

/* What a frame carries. */
enum { GB_WEB_FRAME_URGENT = 0, GB_WEB_FRAME_ALL = 1 };

/** A feed for at most max_keys keys and max_events retained events; NULL on out of memory.
 *  [web] */
gb_web_feed_t *gb_web_feed_new(int max_keys, int max_events);

/** Free it and every text it holds. NULL-safe. [web] */
void gb_web_feed_free(gb_web_feed_t *f);

/** Post text (a JSON object, malloc'd: the feed owns it from now on, also on failure).
 *  key NULL: an event; else it replaces the key's text. Returns 0, or -1 when a new key
 *  finds the table full (the text is freed). [web] */
int gb_web_feed_post(gb_web_feed_t *f, const char *key, char *text);

/** Keys starting with prefix are rated from now on (NULL: none; "" every key). Set it before
 *  the first post. [web] */
void gb_web_feed_rate(gb_web_feed_t *f, const char *prefix);

/** Remove every key that starts with prefix (a replaced engine's parameters). [web] */
void gb_web_feed_forget(gb_web_feed_t *f, const char *prefix);

/** The cursor of a page that has seen everything so far (a page that just connected). [web] */
gb_web_cursor_t gb_web_feed_now(const gb_web_feed_t *f);

/** Whether anything was posted after the cursor (gb_web_feed_pending), and whether anything
 *  urgent was (not a rated key). [web] */
int gb_web_feed_pending(const gb_web_feed_t *f, const gb_web_cursor_t *c);
int gb_web_feed_urgent(const gb_web_feed_t *f, const gb_web_cursor_t *c);

/** The next frame for cursor c, which then points past what it carries: with what
 *  GB_WEB_FRAME_ALL every post after the cursor, with GB_WEB_FRAME_URGENT all but the rated
 *  keys (they stay pending). A buffer of *len + pre bytes (malloc'd; free()) whose text, a
 *  JSON array, starts at byte pre (room for the WebSocket header and whatever the caller puts
 *  before the items). *lost gets the number of events the page missed. NULL when nothing is
 *  new, or on out of memory (*len 0; the cursor then stays). [web] */
char *gb_web_feed_frame(gb_web_feed_t *f, gb_web_cursor_t *c, int what, size_t pre,
                        size_t *len, uint64_t *lost);

/** Keys held now, and events retained now. [web] */
int gb_web_feed_keys(const gb_web_feed_t *f);
int gb_web_feed_events(const gb_web_feed_t *f);

#ifdef __cplusplus
}
#endif
#endif
