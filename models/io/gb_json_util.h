/* gb_json_util.h — small helpers for the strict JSON readers (model files, presets, timbre
 * frames), so their messages read alike.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_JSON_UTIL_H
#define GB_JSON_UTIL_H

#include <jansson.h>
#include <stddef.h>

/** What a JSON value is, with its article, for messages: "an object", "an array",
 *  "a string", "an integer", "a real number", "a boolean", "null". [any] */
const char *gb_json_kind(const json_t *j);

/** A printable, bounded copy of a string taken from a file: control bytes become '?', and
 *  a string longer than size - 4 is cut and ends in "...". Returns buf. [any] */
const char *gb_shown(const char *s, char *buf, size_t size);

/** A unit's save_state (gbac_plugin.h): write root as compact JSON text into buf (cap bytes,
 *  NUL-terminated, cut to fit; buf may be NULL to ask the size) and release root. Returns
 *  the full length excluding the NUL, or GB_ENOMEM (also when root is NULL). [main] */
int gb_json_state_save(json_t *root, char *buf, size_t cap);

/** A unit's load_state: parse json as an object whose keys are all in `allowed` (a
 *  NULL-terminated list). Returns the object (json_decref it), or NULL with the message in
 *  err: "state: <parse error>", "state: not a JSON object", or "state.KEY: unknown key
 *  (allowed: a, b)". [main] */
json_t *gb_json_state_load(const char *json, const char *const *allowed, char *err,
                           size_t errcap);

#endif
