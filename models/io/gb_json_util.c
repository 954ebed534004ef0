/* gb_json_util.c — helpers for the strict JSON readers' messages.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_json_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_common.h"

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

int gb_json_state_save(json_t *root, char *buf, size_t cap)
{
    char *txt = root ? json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(9)) : NULL;
    json_decref(root);
    if (!txt)
        return GB_ENOMEM;
    const size_t len = strlen(txt);
    if (buf && cap > 0) {
        const size_t n = len < cap - 1 ? len : cap - 1;
        memcpy(buf, txt, n);
        buf[n] = '\0';
    }
    free(txt);
    return (int)len;
}

json_t *gb_json_state_load(const char *json, const char *const *allowed, char *err,
                           size_t errcap)
{
    json_error_t je;
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &je);
    if (!root || !json_is_object(root)) {
        snprintf(err, errcap, "state: %s", root ? "not a JSON object" : je.text);
        json_decref(root);
        return NULL;
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        int ok = 0;
        for (int i = 0; allowed[i] && !ok; i++)
            ok = strcmp(key, allowed[i]) == 0;
        if (ok)
            continue;
        int n = snprintf(err, errcap, "state.%s: unknown key (allowed: ", key);
        for (int i = 0; allowed[i] && n >= 0 && (size_t)n < errcap; i++)
            n += snprintf(err + n, errcap - (size_t)n, "%s%s", i ? ", " : "", allowed[i]);
        if (n >= 0 && (size_t)n < errcap)
            snprintf(err + n, errcap - (size_t)n, ")");
        json_decref(root);
        return NULL;
    }
    return root;
}
