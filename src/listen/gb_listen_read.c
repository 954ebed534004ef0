/* gb_listen_read.c — a listening test's results file read back and checked
 * (gb_listen_read in gb_listen_results.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gb_listen_results.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* Everything a failed check needs to say where. */
typedef struct rd {
    const char *path;
    gb_error_t *err;
    gb_listen_test_t *t;
    char where[32]; /* "pairs[3]." while an entry is read, else "" */
} rd_t;

static int bad(rd_t *r, const char *what, const char *why)
{
    return gb_error_set(r->err, GB_EFORMAT, "%s: %s%s %s", r->path, r->where, what, why);
}

static int get_str(rd_t *r, json_t *o, const char *key, char *out, size_t cap)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return bad(r, key, "is missing or not a string");
    if (strlen(json_string_value(v)) >= cap)
        return bad(r, key, "is too long");
    snprintf(out, cap, "%s", json_string_value(v));
    return 0;
}

static int get_int(rd_t *r, json_t *o, const char *key, long lo, long hi, int *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return bad(r, key, "is missing or not a whole number in range");
    *out = (int)json_integer_value(v);
    return 0;
}

/* A source's name → 0 or 1, for the test's kind; -1 if it is neither. */
static int source_of(const gb_listen_test_t *t, const char *name)
{
    for (int s = 0; s < 2; s++)
        if (strcmp(name, gb_listen_source_name(t->kind, s)) == 0)
            return s;
    return -1;
}

static int read_head(rd_t *r, json_t *root)
{
    gb_listen_test_t *t = r->t;
    char fmt[64], kind[64], q[32];
    if (get_str(r, root, "format", fmt, sizeof fmt) || strcmp(fmt, GB_LISTEN_FORMAT) != 0)
        return bad(r, "format", "is not \"" GB_LISTEN_FORMAT "\" (not a gbac listening test)");
    if (get_str(r, root, "kind", kind, sizeof kind))
        return GB_EFORMAT;
    if (strcmp(kind, "real-vs-generated") && strcmp(kind, "model-vs-model"))
        return bad(r, "kind", "is neither \"real-vs-generated\" nor \"model-vs-model\"");
    t->kind = strcmp(kind, "model-vs-model") == 0 ? GB_LISTEN_MODEL_VS_MODEL
                                                  : GB_LISTEN_REAL_VS_GENERATED;
    if (get_str(r, root, "question", q, sizeof q))
        return GB_EFORMAT;
    if (strcmp(q, "human") && strcmp(q, "prefer"))
        return bad(r, "question", "is neither \"human\" nor \"prefer\"");
    t->question = strcmp(q, "prefer") == 0 ? GB_LISTEN_PREFER : GB_LISTEN_HUMAN;
    if (t->question == GB_LISTEN_HUMAN && t->kind == GB_LISTEN_MODEL_VS_MODEL)
        return bad(r, "question", "\"human\" makes no sense for model against model");
    json_t *mb = json_object_get(root, "model_b");
    if (get_str(r, root, "model", t->model, sizeof t->model) ||
        (json_is_string(mb) && get_str(r, root, "model_b", t->model_b, sizeof t->model_b)) ||
        get_str(r, root, "data", t->data, sizeof t->data) ||
        get_str(r, root, "preset", t->preset, sizeof t->preset) ||
        get_str(r, root, "started", t->started, sizeof t->started) ||
        get_int(r, root, "seed", 0, 2147483647L, &t->seed) ||
        get_int(r, root, "bars", 1, 64, &t->bars) ||
        get_int(r, root, "sample_rate", 8000, 384000, &t->sample_rate))
        return GB_EFORMAT;
    json_t *tempo = json_object_get(root, "tempo_bpm");
    t->tempo = json_is_number(tempo) ? json_number_value(tempo) : 0.0;
    return 0;
}

static int read_pair(rd_t *r, json_t *o, int i)
{
    gb_listen_pair_t *p = &r->t->pair[i];
    char a[32], b[32];
    int idx;
    if (!json_is_object(o))
        return bad(r, "", "is not an object");
    if (get_int(r, o, "pair", i, i, &idx) || get_str(r, o, "tune", p->tune, sizeof p->tune) ||
        get_str(r, o, "a", a, sizeof a) || get_str(r, o, "b", b, sizeof b) ||
        get_str(r, o, "clip_a", p->clip_a, sizeof p->clip_a) ||
        get_str(r, o, "clip_b", p->clip_b, sizeof p->clip_b))
        return GB_EFORMAT;
    const int sa = source_of(r->t, a), sb = source_of(r->t, b);
    if (sa < 0 || sb < 0 || sa == sb)
        return bad(r, "a, b", "are not the two sources");
    p->a_source = sa;
    json_t *m = json_object_get(o, "meter");
    if (json_is_string(m))
        sscanf(json_string_value(m), "%d/%d", &p->meter_num, &p->meter_den);
    json_t *f = json_object_get(o, "frames");
    p->frames = json_is_integer(f) ? (long)json_integer_value(f) : 0;
    return 0;
}

static int read_choice(rd_t *r, json_t *o)
{
    gb_listen_test_t *t = r->t;
    char picked[8], time[32] = "";
    int pair = 0, pa = 0, pb = 0;
    if (!json_is_object(o))
        return bad(r, "", "is not an object");
    if (get_int(r, o, "pair", 0, t->n_pairs - 1, &pair) ||
        get_str(r, o, "picked", picked, sizeof picked) ||
        get_int(r, o, "plays_a", 0, 1000000, &pa) || get_int(r, o, "plays_b", 0, 1000000, &pb))
        return GB_EFORMAT;
    if (strcmp(picked, "a") && strcmp(picked, "b"))
        return bad(r, "picked", "is neither \"a\" nor \"b\"");
    json_t *tm = json_object_get(o, "time"), *ts = json_object_get(o, "t_s");
    if (json_is_string(tm))
        snprintf(time, sizeof time, "%s", json_string_value(tm));
    gb_error_t e = {0};
    if (gb_listen_choose(t, pair, picked[0] == 'b', pa, pb,
                         json_is_number(ts) ? json_number_value(ts) : 0.0, time, &e))
        return bad(r, "pair:", e.msg);
    const gb_listen_choice_t *c = &t->choice[t->n_choices - 1];
    json_t *src = json_object_get(o, "source");
    if (json_is_string(src) &&
        source_of(t, json_string_value(src)) != gb_listen_source_at(&t->pair[pair], c->picked))
        return bad(r, "source", "is not the source the pair put there");
    return 0;
}

static int same(double a, double b)
{
    return (isnan(a) && isnan(b)) || fabs(a - b) <= 1e-7;
}

static double num_or_nan(json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The file's summary against the one its choices give. */
static int check_summary(rd_t *r, json_t *sum)
{
    gb_listen_summary_t s;
    gb_listen_summarise(r->t, &s);
    json_t *counts = json_object_get(sum, "counts");
    if (!json_is_object(sum) || !json_is_object(counts))
        return bad(r, "summary", "is missing or has no \"counts\"");
    json_t *c0 = json_object_get(counts, gb_listen_source_name(r->t->kind, 0));
    json_t *c1 = json_object_get(counts, gb_listen_source_name(r->t->kind, 1));
    char why[160];
    snprintf(why, sizeof why, "does not match its %d choices (%d %s, %d %s)", s.choices,
             s.count[0], gb_listen_source_name(r->t->kind, 0), s.count[1],
             gb_listen_source_name(r->t->kind, 1));
    if (json_integer_value(json_object_get(sum, "choices")) != s.choices ||
        json_integer_value(json_object_get(sum, "pairs")) != s.pairs ||
        json_is_true(json_object_get(sum, "complete")) != s.complete ||
        !json_is_integer(c0) || !json_is_integer(c1) || json_integer_value(c0) != s.count[0] ||
        json_integer_value(c1) != s.count[1] ||
        !same(num_or_nan(json_object_get(sum, "rate")), s.rate) ||
        !same(num_or_nan(json_object_get(sum, "ci_low")), s.ci_low) ||
        !same(num_or_nan(json_object_get(sum, "ci_high")), s.ci_high) ||
        !same(num_or_nan(json_object_get(sum, "p_value")), s.p_value))
        return bad(r, "summary", why);
    return 0;
}

static int read_body(rd_t *r, json_t *root)
{
    json_t *pairs = json_object_get(root, "pairs"), *choices = json_object_get(root, "choices");
    if (!json_is_array(pairs) || json_array_size(pairs) < 1 ||
        json_array_size(pairs) > GB_LISTEN_MAX_PAIRS)
        return bad(r, "pairs", "is missing, empty or longer than " STR(GB_LISTEN_MAX_PAIRS));
    r->t->n_pairs = (int)json_array_size(pairs);
    for (int i = 0; i < r->t->n_pairs; i++) {
        snprintf(r->where, sizeof r->where, "pairs[%d].", i);
        if (read_pair(r, json_array_get(pairs, (size_t)i), i))
            return GB_EFORMAT;
    }
    r->where[0] = '\0';
    if (!json_is_array(choices) || json_array_size(choices) > (size_t)r->t->n_pairs)
        return bad(r, "choices", "is missing or has more entries than there are pairs");
    for (size_t i = 0; i < json_array_size(choices); i++) {
        snprintf(r->where, sizeof r->where, "choices[%zu].", i);
        if (read_choice(r, json_array_get(choices, i)))
            return GB_EFORMAT;
    }
    r->where[0] = '\0';
    return check_summary(r, json_object_get(root, "summary"));
}

int gb_listen_read(const char *path, gb_listen_test_t *t, gb_error_t *err)
{
    memset(t, 0, sizeof *t);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        FILE *f = fopen(path, "r");
        if (!f)
            return gb_error_set(err, GB_EIO, "%s: cannot read the listening test's results",
                                path);
        fclose(f);
        return gb_error_set(err, GB_EFORMAT, "%s:%d: not JSON: %s", path, je.line, je.text);
    }
    rd_t r = {path, err, t, ""};
    int rc = json_is_object(root) ? read_head(&r, root) : bad(&r, "the file", "is not a "
                                                              "JSON object");
    if (rc == 0)
        rc = read_body(&r, root);
    json_decref(root);
    return rc < 0 ? rc : (rc ? GB_EFORMAT : GB_OK);
}
