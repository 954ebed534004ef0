/* gb_osc_score.c — parse OSC control scores (see gb_osc_score.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_osc_score.h"
#include "gb_file.h"
#include "gb_osc_handlers.h"
#include "gb_osc_lo.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCORE_MAX_BYTES (16u << 20)
#define SCORE_MAX_TIME 1.0e7 /* seconds: about 115 days */
#define TOKEN_MAX 1024

/* A tokenizer over one line. Tokens are copied (unescaped) into tok. */
typedef struct lexer {
    const char *p, *end;
    char tok[TOKEN_MAX];
    int quoted;
} lexer_t;

/* 1: a token in lx->tok; 0: end of line (or a comment); negative: error with err set. */
static int next_token(lexer_t *lx, const char *origin, int line, gb_error_t *err)
{
    while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r'))
        lx->p++;
    if (lx->p >= lx->end || *lx->p == '#')
        return 0;
    size_t n = 0;
    lx->quoted = 0;
    if (*lx->p == '"') {
        lx->quoted = 1;
        lx->p++;
        for (;;) {
            if (lx->p >= lx->end)
                return gb_error_set(err, GB_EFORMAT, "%s:%d: unterminated string (missing \")",
                                    origin, line);
            char c = *lx->p++;
            if (c == '"')
                break;
            if (c == '\\') {
                if (lx->p >= lx->end)
                    return gb_error_set(err, GB_EFORMAT, "%s:%d: '\\' at the end of the line",
                                        origin, line);
                c = *lx->p++;
                switch (c) {
                case 'n': c = '\n'; break;
                case 't': c = '\t'; break;
                case '"':
                case '\\': break;
                default:
                    return gb_error_set(err, GB_EFORMAT,
                                        "%s:%d: unknown escape '\\%c' in a string (use \\\" "
                                        "\\\\ \\n \\t)", origin, line, isprint((unsigned char)c) ? c : '?');
                }
            }
            if (n + 1 >= sizeof lx->tok)
                return gb_error_set(err, GB_EFORMAT, "%s:%d: string longer than %d bytes",
                                    origin, line, TOKEN_MAX - 1);
            lx->tok[n++] = c;
        }
        if (lx->p < lx->end && !(*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r' ||
                                 *lx->p == '#'))
            return gb_error_set(err, GB_EFORMAT, "%s:%d: missing space after a string",
                                origin, line);
    } else {
        while (lx->p < lx->end && !(*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r' ||
                                    *lx->p == '#')) {
            if (n + 1 >= sizeof lx->tok)
                return gb_error_set(err, GB_EFORMAT, "%s:%d: word longer than %d bytes",
                                    origin, line, TOKEN_MAX - 1);
            lx->tok[n++] = *lx->p++;
        }
    }
    lx->tok[n] = '\0';
    return 1;
}

static int parse_int64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 0);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || (errno == ERANGE && fabs(v) > 1.0))
        return -1;
    *out = v;
    return 0;
}

static int tag_takes_arg(char t)
{
    return strchr("ihfdsSc", t) != NULL;
}

/* The path token: it starts with '/' and holds no character OSC does not allow. */
static int check_path(const lexer_t *lx, const char *origin, int line, gb_error_t *err)
{
    if (lx->tok[0] != '/' || lx->quoted)
        return gb_error_set(err, GB_EFORMAT,
                            "%s:%d: '%.60s' is not an OSC path (it must start with '/')",
                            origin, line, lx->tok);
    for (const char *c = lx->tok; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '#' || *c == ',')
            return gb_error_set(err, GB_EFORMAT,
                                "%s:%d: OSC path '%.60s' has a character OSC does not allow",
                                origin, line, lx->tok);
    return GB_OK;
}

/* The optional type-tag token into tags (an optional leading ','). */
static int read_tags(lexer_t *lx, const char *origin, int line, char *tags, gb_error_t *err)
{
    tags[0] = '\0';
    int r = next_token(lx, origin, line, err);
    if (r <= 0)
        return r;
    const char *tg = lx->tok[0] == ',' ? lx->tok + 1 : lx->tok;
    for (const char *c = tg; *c; c++)
        if (!strchr("ihfdsScTFNI", *c) || lx->quoted)
            return gb_error_set(err, GB_EFORMAT,
                                "%s:%d: '%.40s' is not a type tag string (one letter per "
                                "argument from i h f d s S c T F N I, e.g. 'f' or 'ii')",
                                origin, line, lx->tok);
    memcpy(tags, tg, strlen(tg) + 1); /* tg is shorter than TOKEN_MAX */
    return GB_OK;
}

/* Add the argument in lx->tok for tag t to m. NULL, or what it should have been; *rc < 0
 * when liblo ran out of memory. */
static const char *add_arg(lo_message m, char t, const lexer_t *lx, int *rc)
{
    int64_t iv;
    double dv;
    const int q = lx->quoted;
    *rc = 0;
    switch (t) {
    case 'i':
        if (q || parse_int64(lx->tok, INT32_MIN, INT32_MAX, &iv))
            return "a 32-bit integer";
        *rc = lo_message_add_int32(m, (int32_t)iv);
        return NULL;
    case 'h':
        if (q || parse_int64(lx->tok, INT64_MIN, INT64_MAX, &iv))
            return "a 64-bit integer";
        *rc = lo_message_add_int64(m, iv);
        return NULL;
    case 'f':
        if (q || parse_double(lx->tok, &dv) || fabs(dv) > 3.4e38)
            return "a finite float";
        *rc = lo_message_add_float(m, (float)dv);
        return NULL;
    case 'd':
        if (q || parse_double(lx->tok, &dv))
            return "a finite double";
        *rc = lo_message_add_double(m, dv);
        return NULL;
    case 's': *rc = lo_message_add_string(m, lx->tok); return NULL;
    case 'S': *rc = lo_message_add_symbol(m, lx->tok); return NULL;
    case 'c':
        if (strlen(lx->tok) != 1)
            return "a single character";
        *rc = lo_message_add_char(m, lx->tok[0]);
        return NULL;
    case 'T': *rc = lo_message_add_true(m); return NULL;
    case 'F': *rc = lo_message_add_false(m); return NULL;
    case 'N': *rc = lo_message_add_nil(m); return NULL;
    default: *rc = lo_message_add_infinitum(m); return NULL;
    }
}

/* The arguments the type tags announce, then nothing more on the line. */
static int read_args(lexer_t *lx, const char *origin, int line, const char *path,
                     const char *tags, lo_message m, gb_error_t *err)
{
    int argi = 0, r, rc;
    for (const char *c = tags; *c; c++) {
        if (tag_takes_arg(*c)) {
            argi++;
            if ((r = next_token(lx, origin, line, err)) < 0)
                return r;
            if (r == 0)
                return gb_error_set(err, GB_EFORMAT,
                                    "%s:%d: %s: type tags '%s' need an argument %d of type "
                                    "'%c'", origin, line, path, tags, argi, *c);
        }
        const char *what = add_arg(m, *c, lx, &rc);
        if (what)
            return gb_error_set(err, GB_EFORMAT, "%s:%d: %s: argument %d '%.40s' is not %s",
                                origin, line, path, argi, lx->tok, what);
        if (rc < 0)
            return gb_error_set(err, GB_ENOMEM, "%s:%d: out of memory", origin, line);
    }
    if ((r = next_token(lx, origin, line, err)) > 0)
        return gb_error_set(err, GB_EFORMAT,
                            "%s:%d: %s: '%.40s' is one argument too many for type tags '%s'",
                            origin, line, path, lx->tok, tags);
    return r;
}

/* Parse one line into *e (path and message). Returns 1 if the line holds a message, 0 if
 * blank or a comment, negative on error. */
static int parse_line(const char *text, size_t len, const char *origin, int line,
                      gb_osc_score_entry_t *e, gb_error_t *err)
{
    lexer_t lx = {.p = text, .end = text + len};
    int r = next_token(&lx, origin, line, err);
    if (r <= 0)
        return r;
    double t;
    if (lx.quoted || parse_double(lx.tok, &t) || t < 0.0 || t > SCORE_MAX_TIME)
        return gb_error_set(err, GB_EFORMAT,
                            "%s:%d: '%.40s' is not a time in seconds (a number 0..%g)", origin,
                            line, lx.tok, SCORE_MAX_TIME);
    if ((r = next_token(&lx, origin, line, err)) < 0)
        return r;
    if (r == 0)
        return gb_error_set(err, GB_EFORMAT, "%s:%d: missing OSC path after the time", origin,
                            line);
    if ((r = check_path(&lx, origin, line, err)) < 0)
        return r;
    char *path = strdup(lx.tok);
    lo_message m = lo_message_new();
    char tags[TOKEN_MAX];
    if (!path || !m)
        r = gb_error_set(err, GB_ENOMEM, "%s:%d: out of memory", origin, line);
    else if ((r = read_tags(&lx, origin, line, tags, err)) >= 0)
        r = read_args(&lx, origin, line, path, tags, m, err);
    if (r < 0) {
        free(path);
        if (m)
            lo_message_free(m);
        return r;
    }
    e->time_s = t;
    e->line = line;
    e->path = path;
    e->msg = m;
    return 1;
}

static int cmp_entry(const void *a, const void *b)
{
    const gb_osc_score_entry_t *x = a, *y = b;
    if (x->time_s != y->time_s)
        return x->time_s < y->time_s ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

gb_osc_score_t *gb_osc_score_parse(const char *text, size_t len, const char *origin,
                                   gb_error_t *err)
{
    if (!origin)
        origin = "(score)";
    gb_osc_score_t *s = calloc(1, sizeof *s);
    if (!s || !(s->origin = strdup(origin))) {
        free(s);
        gb_error_set(err, GB_ENOMEM, "%s: out of memory", origin);
        return NULL;
    }
    size_t cap = 0;
    int line = 0;
    const char *p = text, *end = text ? text + len : NULL;
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        line++;
        if (memchr(p, '\0', (size_t)(le - p))) {
            gb_error_set(err, GB_EFORMAT, "%s:%d: NUL byte: not a text file", origin, line);
            goto fail;
        }
        gb_osc_score_entry_t e;
        int r = parse_line(p, (size_t)(le - p), origin, line, &e, err);
        if (r < 0)
            goto fail;
        if (r > 0) {
            if (s->n == cap) {
                size_t nc = cap ? cap * 2 : 64;
                gb_osc_score_entry_t *ne = realloc(s->entries, nc * sizeof *ne);
                if (!ne) {
                    free(e.path);
                    lo_message_free(e.msg);
                    gb_error_set(err, GB_ENOMEM, "%s:%d: out of memory", origin, line);
                    goto fail;
                }
                s->entries = ne;
                cap = nc;
            }
            s->entries[s->n++] = e;
        }
        p = nl ? nl + 1 : end;
    }
    if (s->n > 1)
        qsort(s->entries, s->n, sizeof *s->entries, cmp_entry);
    return s;
fail:
    gb_osc_score_free(s);
    return NULL;
}

gb_osc_score_t *gb_osc_score_load(const char *path, gb_error_t *err)
{
    size_t len;
    char *buf = gb_file_read_all(path, SCORE_MAX_BYTES, "score", &len, err);
    if (!buf)
        return NULL;
    gb_osc_score_t *r = gb_osc_score_parse(buf, len, path, err);
    free(buf);
    return r;
}

void gb_osc_score_free(gb_osc_score_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->entries[i].path);
        lo_message_free(s->entries[i].msg);
    }
    free(s->entries);
    free(s->origin);
    free(s);
}

/* ---------------------------------------------------------------- replay */

typedef struct apply_ctx {
    const gb_engine_t *engine;
    gb_osc_score_sink_fn sink;
    void *ctx;
    const gb_osc_score_entry_t *entry;
    gb_error_t sink_err;
} apply_ctx_t;

static const gb_engine_t *apply_engine(void *ctx)
{
    return ((apply_ctx_t *)ctx)->engine;
}

static int apply_send(void *ctx, const gb_live_cmd_t *cmd)
{
    apply_ctx_t *a = ctx;
    return a->sink(a->ctx, a->entry, cmd, &a->sink_err) < 0 ? GB_ENOMEM : GB_OK;
}

int gb_osc_score_apply(const gb_osc_score_t *score, const gb_engine_t *e,
                       gb_osc_score_sink_fn sink, void *ctx, gb_error_t *err)
{
    apply_ctx_t a = {.engine = e, .sink = sink, .ctx = ctx};
    gb_osc_host_t host = {.ctx = &a, .send = apply_send, .engine = apply_engine};
    gb_osc_handlers_t *h = gb_osc_handlers_new(&host, err);
    if (!h)
        return err ? err->code : GB_ENOMEM;
    gb_osc_handlers_set_flags(h, GB_OSC_HF_SCORE);
    int rc = GB_OK;
    for (size_t i = 0; score && i < score->n && rc == GB_OK; i++) {
        const gb_osc_score_entry_t *se = &score->entries[i];
        char types[GB_OSC_MAX_ARGS + 1];
        gb_osc_arg_t argv[GB_OSC_MAX_ARGS];
        gb_osc_msg_t m;
        gb_error_t herr = {0};
        a.entry = se;
        if (gb_osc_lo_msg(se->path, se->msg, &m, types, argv) != GB_OK)
            rc = gb_error_set(&herr, GB_EINVAL, "%s: more than %d arguments", se->path,
                              GB_OSC_MAX_ARGS);
        else
            rc = gb_osc_dispatch(h, &m, NULL, &herr);
        if (rc != GB_OK) {
            const gb_error_t *why = a.sink_err.code ? &a.sink_err : &herr;
            rc = gb_error_set(err, why->code < 0 ? why->code : GB_EINVAL, "%s:%d: %s",
                              score->origin, se->line, why->msg);
        }
    }
    gb_osc_handlers_free(h);
    return rc;
}
