/* gb_json_util.c — helpers for the strict JSON readers' messages.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_json_util.h"

#include <string.h>

const char *gb_json_kind(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

const char *gb_shown(const char *s, char *buf, size_t size)
{
    if (size < 8) {
        if (size)
            buf[0] = '\0';
        return buf;
    }
    size_t i = 0, max = size - 4;
    for (; s[i] && i < max; i++)
        buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    if (s[i]) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}
