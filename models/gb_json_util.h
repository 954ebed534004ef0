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

#endif
