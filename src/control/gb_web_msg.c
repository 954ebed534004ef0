/* gb_web_msg.c — OSC messages as JSON, for the browser surface (see gb_web_msg.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_web_msg.h"

#include <float.h>
#include <stdarg.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PFX "WebSocket message: "

static int bad(gb_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(gb_error_t *err, const char *fmt, ...)
{
    char text[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return gb_error_set(err, GB_EFORMAT, PFX "%s", text);
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "a whole number";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static int parse_path(const json_t *p, gb_web_msg_t *out, gb_error_t *err)
{
    if (!p)
        return bad(err, "\"path\" is missing; expected {\"path\": \"/gbac/...\", \"args\": "
                        "[...]}");
    if (!json_is_string(p))
        return bad(err, "\"path\" is %s; expected a string starting with '/'", json_kind(p));
    const char *s = json_string_value(p);
    const size_t n = json_string_length(p);
    if (n == 0 || s[0] != '/')
        return bad(err, "\"path\" must start with '/'");
    if (n >= GB_WEB_PATH_MAX)
        return bad(err, "\"path\" is %zu bytes long (at most %d)", n, GB_WEB_PATH_MAX - 1);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return bad(err, "\"path\" holds a character that is not printable ASCII (byte %zu)",
                       i);
    memcpy(out->path, s, n + 1);
    return GB_OK;
}

/* The tag a JSON value gets when the message names no types. */
static char infer_tag(const json_t *v)
{
    if (json_is_integer(v)) {
        const json_int_t x = json_integer_value(v);
        return x >= INT32_MIN && x <= INT32_MAX ? 'i' : 'h';
    }
    if (json_is_real(v))
        return 'd';
    if (json_is_string(v))
        return 's';
    return '?';
}

static int parse_number(const json_t *v, char tag, int i, gb_osc_arg_t *a, gb_error_t *err)
{
    if (!json_is_number(v))
        return bad(err, "args[%d] is %s; type '%c' takes a number", i, json_kind(v), tag);
    const double d = json_number_value(v);
    a->type = tag;
    if (tag == 'i' || tag == 'h') {
        if (!json_is_integer(v) && (d != floor(d) || !isfinite(d)))
            return bad(err, "args[%d]: %.17g is not a whole number (type '%c')", i, d, tag);
        const double lo = tag == 'i' ? INT32_MIN : -9223372036854775808.0;
        const double hi = tag == 'i' ? INT32_MAX : 9223372036854775807.0;
        const json_int_t x = json_is_integer(v) ? json_integer_value(v) : 0;
        if (json_is_integer(v) ? (tag == 'i' && (x < INT32_MIN || x > INT32_MAX))
                               : !(d >= lo && d < hi))
            return bad(err, "args[%d]: %.17g does not fit type '%c'", i,
                       json_is_integer(v) ? (double)x : d, tag);
        if (tag == 'i')
            a->v.i = json_is_integer(v) ? (int32_t)x : (int32_t)d;
        else
            a->v.h = json_is_integer(v) ? (int64_t)x : (int64_t)d;
        return GB_OK;
    }
    if (!isfinite(d) || (tag == 'f' && fabs(d) > FLT_MAX))
        return bad(err, "args[%d]: %.17g does not fit type '%c'", i, d, tag);
    if (tag == 'f')
        a->v.f = (float)d;
    else
        a->v.d = d;
    return GB_OK;
}

static int parse_string(const json_t *v, int i, gb_web_msg_t *out, size_t *used,
                        gb_error_t *err)
{
    if (!json_is_string(v))
        return bad(err, "args[%d] is %s; type '%c' takes a string", i, json_kind(v),
                   out->types[i]);
    const size_t n = json_string_length(v);
    if (memchr(json_string_value(v), '\0', n))
        return bad(err, "args[%d]: a string may not hold a NUL character", i);
    if (*used + n + 1 > GB_WEB_STRINGS_MAX)
        return bad(err, "the string arguments are longer than %d bytes together",
                   GB_WEB_STRINGS_MAX - 1);
    memcpy(out->strings + *used, json_string_value(v), n + 1);
    out->str_off[i] = (int)*used;
    out->num[i].type = out->types[i];
    *used += n + 1;
    return GB_OK;
}

static int parse_types(const json_t *t, size_t n_args, gb_web_msg_t *out, gb_error_t *err)
{
    if (!json_is_string(t))
        return bad(err, "\"types\" is %s; expected a string of OSC type tags (i h f d s S)",
                   json_kind(t));
    const char *s = json_string_value(t);
    const size_t n = json_string_length(t);
    if (n > GB_OSC_MAX_ARGS)
        return bad(err, "\"types\" has %zu tags (at most %d)", n, GB_OSC_MAX_ARGS);
    if (n != n_args)
        return bad(err, "\"types\" has %zu tags but \"args\" has %zu values", n, n_args);
    for (size_t i = 0; i < n; i++)
        if (!strchr("ihfdsS", s[i]) || s[i] == '\0')
            return bad(err, "\"types\"[%zu] is '%c' (0x%02x); known tags are i h f d s S", i,
                       s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?', (unsigned char)s[i]);
    memcpy(out->types, s, n + 1);
    return GB_OK;
}

static int parse_args(const json_t *args, const json_t *types, gb_web_msg_t *out,
                      gb_error_t *err)
{
    if (args && !json_is_array(args))
        return bad(err, "\"args\" is %s; expected an array", json_kind(args));
    const size_t n = args ? json_array_size(args) : 0;
    if (n > GB_OSC_MAX_ARGS)
        return bad(err, "\"args\" has %zu values (at most %d)", n, GB_OSC_MAX_ARGS);
    if (types) {
        int rc = parse_types(types, n, out, err);
        if (rc)
            return rc;
    } else {
        for (size_t i = 0; i < n; i++) {
            const json_t *v = json_array_get(args, i);
            if ((out->types[i] = infer_tag(v)) == '?')
                return bad(err, "args[%zu] is %s; expected a number or a string", i,
                           json_kind(v));
        }
        out->types[n] = '\0';
    }
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(args, i);
        const char tag = out->types[i];
        int rc = tag == 's' || tag == 'S' ? parse_string(v, (int)i, out, &used, err)
                                          : parse_number(v, tag, (int)i, &out->num[i], err);
        if (rc)
            return rc;
    }
    out->argc = (int)n;
    return GB_OK;
}

static int parse_id(const json_t *id, gb_web_msg_t *out, gb_error_t *err)
{
    if (!id)
        return GB_OK;
    if (!json_is_integer(id) || json_integer_value(id) < 0 ||
        json_integer_value(id) > GB_WEB_ID_MAX)
        return bad(err, "\"id\" must be a whole number 0..2^53");
    out->id = json_integer_value(id);
    return GB_OK;
}

static int parse_object(const json_t *o, gb_web_msg_t *out, gb_error_t *err)
{
    if (!json_is_object(o))
        return bad(err, "expected a JSON object {\"path\": \"/gbac/...\", \"args\": [...]}, "
                        "got %s", json_kind(o));
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)o, key, v)
    {
        (void)v;
        if (strcmp(key, "path") && strcmp(key, "types") && strcmp(key, "args") &&
            strcmp(key, "id"))
            return bad(err, "unknown key \"%.40s\" (known: path, types, args, id)", key);
    }
    int rc = parse_id(json_object_get(o, "id"), out, err);
    if (!rc)
        rc = parse_path(json_object_get(o, "path"), out, err);
    if (!rc)
        rc = parse_args(json_object_get(o, "args"), json_object_get(o, "types"), out, err);
    return rc;
}

int gb_web_msg_parse(const char *text, size_t len, gb_web_msg_t *out, gb_error_t *err)
{
    memset(out, 0, offsetof(gb_web_msg_t, strings));
    out->id = -1;
    out->strings[0] = '\0';
    if (!text)
        return bad(err, "empty");
    if (len > GB_WEB_MSG_MAX)
        return bad(err, "%zu bytes (at most %d)", len, GB_WEB_MSG_MAX);
    json_error_t jerr;
    json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!o)
        return bad(err, "not JSON: %s (at byte %d)", jerr.text, jerr.position);
    int rc = parse_object(o, out, err);
    json_decref(o);
    if (rc) {
        out->argc = 0;
        out->types[0] = '\0';
    }
    return rc;
}

void gb_web_msg_view(const gb_web_msg_t *m, gb_osc_msg_t *out, gb_osc_arg_t *argv)
{
    for (int i = 0; i < m->argc; i++) {
        argv[i] = m->num[i];
        argv[i].type = m->types[i];
        if (m->types[i] == 's' || m->types[i] == 'S')
            argv[i].v.s = m->strings + m->str_off[i];
    }
    out->path = m->path;
    out->types = m->types;
    out->argc = m->argc;
    out->argv = argv;
}

/* ---- to the page ---- */

/* A float as the shortest decimal that reads back as the same float, so 0.3f is 0.3. */
static json_t *float_json(float f)
{
    if (!isfinite(f))
        return json_null();
    char buf[32];
    for (int p = 1; p <= 9; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, (double)f);
        if ((float)strtod(buf, NULL) == f)
            break;
    }
    return json_real(strtod(buf, NULL));
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
    size_t n = s[0] < 0x80 ? 1 : (s[0] >> 5) == 6 ? 2 : (s[0] >> 4) == 14 ? 3
             : (s[0] >> 3) == 30 ? 4 : 0;
    if (n == 0 || n > left)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((n == 2 && s[0] < 0xC2) || (n == 3 && s[0] == 0xE0 && s[1] < 0xA0) ||
        (n == 3 && s[0] == 0xED && s[1] >= 0xA0) || (n == 4 && s[0] == 0xF0 && s[1] < 0x90) ||
        (n == 4 && s[0] > 0xF4) || (n == 4 && s[0] == 0xF4 && s[1] >= 0x90))
        return 0;
    return n;
}

/* A JSON string; bytes that are not UTF-8 (a message cut in the middle of a character)
 * become '?', since a WebSocket text message must be UTF-8 throughout. */
static json_t *string_json(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    const size_t n = strlen(s);
    char *c = malloc(n + 1);
    if (!c)
        return NULL;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_len((const unsigned char *)s + i, n - i);
        if (k == 0) {
            c[i++] = '?';
            continue;
        }
        memcpy(c + i, s + i, k);
        i += k;
    }
    c[n] = '\0';
    j = json_string(c);
    free(c);
    return j;
}

static json_t *arg_json(char tag, const gb_osc_arg_t *a)
{
    switch (tag) {
    case 'i':
    case 'c': return json_integer(a->v.i);
    case 'h': return json_integer(a->v.h);
    case 'f': return float_json(a->v.f);
    case 'd': return isfinite(a->v.d) ? json_real(a->v.d) : json_null();
    case 's':
    case 'S': return string_json(a->v.s ? a->v.s : "");
    case 'T': return json_true();
    case 'F': return json_false();
    default: return json_null();
    }
}

char *gb_web_msg_format(long long id, const char *path, const char *types,
                        const gb_osc_arg_t *argv)
{
    json_t *o = json_object(), *args = json_array();
    if (!o || !args)
        goto fail;
    if (id >= 0 && json_object_set_new(o, "id", json_integer(id)))
        goto fail;
    if (json_object_set_new(o, "path", string_json(path ? path : "")))
        goto fail;
    const gb_osc_arg_t *a = argv;
    for (const char *t = types ? types : ""; *t; t++) {
        const int takes = !strchr("TFNI", *t);
        if (json_array_append_new(args, arg_json(*t, takes ? a : NULL)))
            goto fail;
        if (takes)
            a++;
    }
    if (json_object_set(o, "args", args))
        goto fail;
    json_decref(args);
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
    json_decref(o);
    return text;
fail:
    json_decref(args);
    json_decref(o);
    return NULL;
}
