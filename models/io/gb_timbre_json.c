/* gb_timbre_json.c — timbre frame sequences as JSON (see gb_timbre_json.h and
 * docs/timbre-format.md).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_timbre_json.h"
#include "gb_json_util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- messages ------------------------------------------------------------------------- */

/* "WHERE: PATH: message"; either part may be empty. */
static int fail(gb_error_t *err, int code, const char *where, const char *path, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));

static int fail(gb_error_t *err, int code, const char *where, const char *path, const char *fmt,
                ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const int w = where && *where, p = path && *path;
    return gb_error_set(err, code, "%s%s%s%s%s", w ? where : "", w ? ": " : "", p ? path : "",
                        p ? ": " : "", what);
}



/* ---- rules ---------------------------------------------------------------------------- */

/* One number in [lo, hi] (NaN and infinities fail). */
static int check_value(double v, double lo, double hi, const char *where, const char *path,
                       gb_error_t *err)
{
    if (v >= lo && v <= hi)
        return GB_OK;
    return fail(err, GB_ERANGE, where, path, "%.9g is out of range [%g, %g]", v, lo, hi);
}

static int check_harm_sum(double sum, const char *where, const char *path, gb_error_t *err)
{
    if (sum == 0.0 || fabs(sum - 1.0) <= GB_TIMBRE_JSON_HARM_SUM_TOL)
        return GB_OK;
    return fail(err, GB_ERANGE, where, path,
                "the 64 values sum to %.6g; they must sum to 1 (within %g) or all be 0", sum,
                GB_TIMBRE_JSON_HARM_SUM_TOL);
}

static int check_frame(const gb_timbre_frame_t *f, int i, const char *where, gb_error_t *err)
{
    char path[64];
    int rc;
    snprintf(path, sizeof path, "frames[%d].amp", i);
    if ((rc = check_value(f->amp, 0.0, GB_TIMBRE_JSON_AMP_MAX, where, path, err)) < 0)
        return rc;
    double sum = 0.0;
    for (int k = 0; k < GB_TIMBRE_HARMONICS; k++) {
        snprintf(path, sizeof path, "frames[%d].harm[%d]", i, k);
        if ((rc = check_value(f->harm[k], 0.0, 1.0, where, path, err)) < 0)
            return rc;
        sum += f->harm[k];
    }
    snprintf(path, sizeof path, "frames[%d].harm", i);
    if ((rc = check_harm_sum(sum, where, path, err)) < 0)
        return rc;
    for (int b = 0; b < GB_TIMBRE_BANDS; b++) {
        snprintf(path, sizeof path, "frames[%d].noise[%d]", i, b);
        if ((rc = check_value(f->noise[b], 0.0, GB_TIMBRE_JSON_NOISE_MAX, where, path, err)) <
            0)
            return rc;
    }
    return GB_OK;
}

int gb_timbre_json_check(const gb_timbre_meta_t *m, const gb_timbre_frame_t *frames, int n,
                         const char *where, gb_error_t *err)
{
    if (!m || !frames)
        return fail(err, GB_EINVAL, where, NULL, "no timbre to write");
    int rc;
    if ((m->f0_hz != 0.0 && (rc = check_value(m->f0_hz, GB_TIMBRE_JSON_F0_MIN,
                                               GB_TIMBRE_JSON_F0_MAX, where, "f0_hz", err)) < 0) ||
        (m->sample_rate != 0.0 &&
         (rc = check_value(m->sample_rate, GB_TIMBRE_JSON_SR_MIN, GB_TIMBRE_JSON_SR_MAX, where,
                           "sample_rate", err)) < 0) ||
        (rc = check_value(m->hop_s, GB_TIMBRE_JSON_HOP_MIN, GB_TIMBRE_JSON_HOP_MAX, where,
                          "hop_s", err)) < 0)
        return rc;
    if (n < 1 || n > GB_TIMBRE_JSON_MAX_FRAMES)
        return fail(err, GB_ERANGE, where, "frames", "%d frames; 1 to %d are allowed", n,
                    GB_TIMBRE_JSON_MAX_FRAMES);
    if (memchr(m->source, '\0', sizeof m->source) == NULL)
        return fail(err, GB_EINVAL, where, "source", "not terminated");
    json_t *probe = json_string(m->source); /* NULL if not UTF-8 */
    if (!probe)
        return fail(err, GB_EINVAL, where, "source", "not valid UTF-8");
    json_decref(probe);
    for (int i = 0; i < n; i++)
        if ((rc = check_frame(&frames[i], i, where, err)) < 0)
            return rc;
    return GB_OK;
}

/* ---- reading -------------------------------------------------------------------------- */

/* Only the keys in allowed (NULL-terminated) may appear in obj. */
static int check_keys(const json_t *obj, const char *const *allowed, const char *where,
                      const char *path, gb_error_t *err)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(k, *a) == 0;
        if (!ok) {
            char kb[64], list[128] = "";
            for (const char *const *a = allowed; *a; a++) {
                strncat(list, a == allowed ? "" : ", ", sizeof list - strlen(list) - 1);
                strncat(list, *a, sizeof list - strlen(list) - 1);
            }
            return fail(err, GB_EFORMAT, where, path, "unknown key '%s' (allowed: %s)",
                        gb_shown(k, kb, sizeof kb), list);
        }
    }
    return GB_OK;
}

/* obj[key], or a "missing key" error that says what the key should hold. */
static const json_t *need(const json_t *obj, const char *key, const char *what,
                          const char *where, const char *path, gb_error_t *err, int *rc)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        *rc = fail(err, GB_EFORMAT, where, path, "missing key '%s' (%s)", key, what);
    return v;
}

/* A number in [lo, hi]. */
static int read_number(const json_t *v, double lo, double hi, const char *where,
                       const char *path, gb_error_t *err, double *out)
{
    if (!json_is_number(v))
        return fail(err, GB_EFORMAT, where, path, "expected a number in [%g, %g], got %s", lo,
                    hi, gb_json_kind(v));
    *out = json_number_value(v);
    return check_value(*out, lo, hi, where, path, err);
}

/* An array of exactly n numbers in [lo, hi]; *sum gets their sum. */
static int read_floats(const json_t *v, int n, double lo, double hi, const char *where,
                       const char *path, gb_error_t *err, float *out, double *sum)
{
    if (!json_is_array(v))
        return fail(err, GB_EFORMAT, where, path,
                    "expected an array of %d numbers in [%g, %g], got %s", n, lo, hi, gb_json_kind(v));
    if (json_array_size(v) != (size_t)n)
        return fail(err, GB_EFORMAT, where, path, "expected %d numbers, got %zu", n,
                    json_array_size(v));
    char p[96];
    double s = 0.0;
    for (int i = 0; i < n; i++) {
        double x = 0.0;
        snprintf(p, sizeof p, "%s[%d]", path, i);
        int rc = read_number(json_array_get(v, (size_t)i), lo, hi, where, p, err, &x);
        if (rc < 0)
            return rc;
        out[i] = (float)x;
        s += x;
    }
    *sum = s;
    return GB_OK;
}

static int read_frame(const json_t *v, int i, const char *where, gb_error_t *err,
                      gb_timbre_frame_t *f)
{
    static const char *const keys[] = {"amp", "harm", "noise", NULL};
    char path[48], p[64], what[64];
    snprintf(path, sizeof path, "frames[%d]", i);
    if (!json_is_object(v))
        return fail(err, GB_EFORMAT, where, path,
                    "expected a frame object {\"amp\", \"harm\", \"noise\"}, got %s", gb_json_kind(v));
    int rc = check_keys(v, keys, where, path, err);
    if (rc < 0)
        return rc;
    const json_t *amp, *harm, *noise;
    snprintf(what, sizeof what, "a number in [0, %g]", GB_TIMBRE_JSON_AMP_MAX);
    if (!(amp = need(v, "amp", what, where, path, err, &rc)) ||
        !(harm = need(v, "harm", "an array of 64 numbers in [0, 1] summing to 1", where, path,
                      err, &rc)) ||
        !(noise = need(v, "noise", "an array of 32 numbers in [0, 1]", where, path, err, &rc)))
        return rc;
    double x = 0.0, sum = 0.0;
    snprintf(p, sizeof p, "%s.amp", path);
    if ((rc = read_number(amp, 0.0, GB_TIMBRE_JSON_AMP_MAX, where, p, err, &x)) < 0)
        return rc;
    f->amp = (float)x;
    snprintf(p, sizeof p, "%s.harm", path);
    if ((rc = read_floats(harm, GB_TIMBRE_HARMONICS, 0.0, 1.0, where, p, err, f->harm, &sum)) <
            0 ||
        (rc = check_harm_sum(sum, where, p, err)) < 0)
        return rc;
    /* Hand-written presets round their shares; beyond float rounding, make them sum to 1. */
    if (sum > 0.0 && fabs(sum - 1.0) > 1e-6)
        for (int k = 0; k < GB_TIMBRE_HARMONICS; k++)
            f->harm[k] = (float)(f->harm[k] / sum);
    snprintf(p, sizeof p, "%s.noise", path);
    return read_floats(noise, GB_TIMBRE_BANDS, 0.0, GB_TIMBRE_JSON_NOISE_MAX, where, p, err,
                       f->noise, &sum);
}

/* frames[0 .. n) hop_s apart → seq at GB_TIMBRE_HOP_S, linearly interpolated. */
static void resample(const gb_timbre_frame_t *in, int n, double hop_s, gb_timbre_seq_t *seq)
{
    if (fabs(hop_s - GB_TIMBRE_HOP_S) < 1e-12) {
        memcpy(seq->frames, in, sizeof *in * (size_t)n);
        seq->n_frames = n;
        return;
    }
    const double step = GB_TIMBRE_HOP_S / hop_s; /* input frames per output frame */
    int m = (int)floor((n - 1) / step + 1e-9) + 1;
    m = m > GB_TIMBRE_MAX_FRAMES ? GB_TIMBRE_MAX_FRAMES : m;
    for (int j = 0; j < m; j++) {
        const double u = j * step;
        int i = (int)floor(u + 1e-9);
        i = i > n - 1 ? n - 1 : i;
        const float t = i + 1 < n ? (float)(u - i) : 0.0f;
        const gb_timbre_frame_t *a = &in[i], *b = &in[i + 1 < n ? i + 1 : i];
        gb_timbre_frame_t *o = &seq->frames[j];
        o->amp = a->amp + t * (b->amp - a->amp);
        float sum = 0.0f;
        for (int k = 0; k < GB_TIMBRE_HARMONICS; k++)
            sum += o->harm[k] = a->harm[k] + t * (b->harm[k] - a->harm[k]);
        for (int k = 0; sum > 0.0f && k < GB_TIMBRE_HARMONICS; k++)
            o->harm[k] /= sum; /* one side may be all 0 */
        for (int bb = 0; bb < GB_TIMBRE_BANDS; bb++)
            o->noise[bb] = a->noise[bb] + t * (b->noise[bb] - a->noise[bb]);
    }
    seq->n_frames = m;
}

int gb_timbre_json_parse(const json_t *obj, const char *where, gb_timbre_seq_t *seq,
                         gb_timbre_meta_t *meta, gb_error_t *err)
{
    static const char *const keys[] = {"f0_hz", "sample_rate", "hop_s", "source", "frames",
                                       NULL};
    if (!obj || !seq)
        return gb_error_set(err, GB_EINVAL, "gb_timbre_json_parse: NULL argument");
    if (!json_is_object(obj))
        return fail(err, GB_EFORMAT, where, NULL,
                    "expected a timbre object {\"hop_s\", \"frames\", ...}, got %s", gb_json_kind(obj));
    int rc = check_keys(obj, keys, where, NULL, err);
    if (rc < 0)
        return rc;
    char w_hop[48], w_frames[48];
    snprintf(w_hop, sizeof w_hop, "a number in [%g, %g], seconds", GB_TIMBRE_JSON_HOP_MIN,
             GB_TIMBRE_JSON_HOP_MAX);
    snprintf(w_frames, sizeof w_frames, "an array of 1 to %d frames",
             GB_TIMBRE_JSON_MAX_FRAMES);
    const json_t *hop, *frames, *v;
    if (!(hop = need(obj, "hop_s", w_hop, where, NULL, err, &rc)) ||
        !(frames = need(obj, "frames", w_frames, where, NULL, err, &rc)))
        return rc;
    gb_timbre_meta_t m;
    memset(&m, 0, sizeof m);
    if ((rc = read_number(hop, GB_TIMBRE_JSON_HOP_MIN, GB_TIMBRE_JSON_HOP_MAX, where, "hop_s",
                          err, &m.hop_s)) < 0)
        return rc;
    if ((v = json_object_get(obj, "f0_hz")) &&
        (rc = read_number(v, GB_TIMBRE_JSON_F0_MIN, GB_TIMBRE_JSON_F0_MAX, where, "f0_hz", err,
                          &m.f0_hz)) < 0)
        return rc;
    if ((v = json_object_get(obj, "sample_rate")) &&
        (rc = read_number(v, GB_TIMBRE_JSON_SR_MIN, GB_TIMBRE_JSON_SR_MAX, where,
                          "sample_rate", err, &m.sample_rate)) < 0)
        return rc;
    if ((v = json_object_get(obj, "source"))) {
        if (!json_is_string(v))
            return fail(err, GB_EFORMAT, where, "source", "expected a string, got %s", gb_json_kind(v));
        if (json_string_length(v) > GB_TIMBRE_JSON_SOURCE_MAX)
            return fail(err, GB_ERANGE, where, "source", "longer than %d bytes",
                        GB_TIMBRE_JSON_SOURCE_MAX);
        memcpy(m.source, json_string_value(v), json_string_length(v));
    }
    if (!json_is_array(frames))
        return fail(err, GB_EFORMAT, where, "frames", "expected %s, got %s", w_frames,
                    gb_json_kind(frames));
    const size_t n = json_array_size(frames);
    if (n < 1 || n > GB_TIMBRE_JSON_MAX_FRAMES)
        return fail(err, GB_ERANGE, where, "frames", "%zu frames; 1 to %d are allowed", n,
                    GB_TIMBRE_JSON_MAX_FRAMES);
    m.n_frames = (int)n;
    gb_timbre_frame_t *tmp = malloc(n * sizeof *tmp);
    if (!tmp)
        return gb_error_set(err, GB_ENOMEM, "out of memory for %zu timbre frames", n);
    for (size_t i = 0; i < n; i++)
        if ((rc = read_frame(json_array_get(frames, i), (int)i, where, err, &tmp[i])) < 0) {
            free(tmp);
            return rc;
        }
    resample(tmp, (int)n, m.hop_s, seq);
    seq->f0_hz = (float)m.f0_hz;
    free(tmp);
    if (meta)
        *meta = m;
    return GB_OK;
}

int gb_timbre_json_load(const char *path, gb_timbre_seq_t *seq, gb_timbre_meta_t *meta,
                        gb_error_t *err)
{
    if (!path || !seq)
        return gb_error_set(err, GB_EINVAL, "gb_timbre_json_load: NULL argument");
    FILE *f = fopen(path, "rb");
    if (!f)
        return gb_error_set(err, GB_EIO, "%s: cannot open: %s", path, strerror(errno));
    json_error_t je;
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
    fclose(f);
    if (!root)
        return gb_error_set(err, GB_EFORMAT, "%s: line %d, column %d: %s", path, je.line,
                            je.column, je.text);
    int rc = gb_timbre_json_parse(root, path, seq, meta, err);
    json_decref(root);
    return rc;
}

int gb_timbre_json_to_seq(const json_t *obj, const char *where, gb_timbre_seq_t *seq,
                          char *err, size_t errcap)
{
    gb_error_t e = {0};
    int rc = gb_timbre_json_parse(obj, where, seq, NULL, &e);
    if (rc < 0 && err && errcap > 0)
        snprintf(err, errcap, "%s", e.msg);
    return rc;
}

/* ---- writing -------------------------------------------------------------------------- */

static json_t *float_array(const float *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_real(v[i])) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *frame_object(const gb_timbre_frame_t *f)
{
    json_t *o = json_object();
    if (!o || json_object_set_new(o, "amp", json_real(f->amp)) < 0 ||
        json_object_set_new(o, "harm", float_array(f->harm, GB_TIMBRE_HARMONICS)) < 0 ||
        json_object_set_new(o, "noise", float_array(f->noise, GB_TIMBRE_BANDS)) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The object without its frames, keys in the documented order. */
static json_t *header_object(const gb_timbre_meta_t *m)
{
    json_t *o = json_object();
    if (!o || (m->f0_hz > 0.0 && json_object_set_new(o, "f0_hz", json_real(m->f0_hz)) < 0) ||
        (m->sample_rate > 0.0 &&
         json_object_set_new(o, "sample_rate",
                             m->sample_rate == floor(m->sample_rate)
                                 ? json_integer((json_int_t)m->sample_rate)
                                 : json_real(m->sample_rate)) < 0) ||
        json_object_set_new(o, "hop_s", json_real(m->hop_s)) < 0 ||
        (m->source[0] && json_object_set_new(o, "source", json_string(m->source)) < 0)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *gb_timbre_json_build(const gb_timbre_meta_t *meta, const gb_timbre_frame_t *frames,
                             int n, gb_error_t *err)
{
    if (gb_timbre_json_check(meta, frames, n, "timbre", err) < 0)
        return NULL;
    json_t *o = header_object(meta), *arr = json_array();
    if (!o || !arr || json_object_set(o, "frames", arr) < 0)
        goto nomem;
    for (int i = 0; i < n; i++)
        if (json_array_append_new(arr, frame_object(&frames[i])) < 0)
            goto nomem;
    json_decref(arr);
    return o;
nomem:
    json_decref(arr);
    json_decref(o);
    gb_error_set(err, GB_ENOMEM, "out of memory building a timbre object");
    return NULL;
}

json_t *gb_timbre_json_from_seq(const gb_timbre_seq_t *seq)
{
    if (!seq)
        return NULL;
    gb_timbre_meta_t m;
    memset(&m, 0, sizeof m);
    m.f0_hz = seq->f0_hz;
    m.hop_s = GB_TIMBRE_HOP_S;
    return gb_timbre_json_build(&m, seq->frames, seq->n_frames, NULL);
}

#define DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(9) | JSON_ENCODE_ANY)

int gb_timbre_json_write(FILE *f, const char *where, const gb_timbre_meta_t *meta,
                         const gb_timbre_frame_t *frames, int n, gb_error_t *err)
{
    int rc = gb_timbre_json_check(meta, frames, n, where, err);
    if (rc < 0)
        return rc;
    /* jansson formats each value; the layout (one frame per line) is ours. */
    json_t *head = header_object(meta);
    if (!head)
        return gb_error_set(err, GB_ENOMEM, "out of memory writing a timbre");
    int io = fputs("{\n", f) < 0;
    const char *k;
    json_t *v;
    json_object_foreach(head, k, v) {
        json_t *key = json_string(k);
        char *ks = key ? json_dumps(key, DUMP_FLAGS) : NULL, *vs = json_dumps(v, DUMP_FLAGS);
        if (!ks || !vs)
            rc = gb_error_set(err, GB_ENOMEM, "out of memory writing a timbre");
        else
            io |= fprintf(f, "  %s: %s,\n", ks, vs) < 0;
        free(ks);
        free(vs);
        json_decref(key);
    }
    json_decref(head);
    io |= fputs("  \"frames\": [\n", f) < 0;
    for (int i = 0; rc == GB_OK && i < n; i++) {
        json_t *fo = frame_object(&frames[i]);
        char *fs = fo ? json_dumps(fo, DUMP_FLAGS) : NULL;
        if (!fs)
            rc = gb_error_set(err, GB_ENOMEM, "out of memory writing a timbre");
        else
            io |= fprintf(f, "    %s%s\n", fs, i + 1 < n ? "," : "") < 0;
        free(fs);
        json_decref(fo);
    }
    io |= fputs("  ]\n}\n", f) < 0;
    if (rc == GB_OK && (io || fflush(f) != 0 || ferror(f)))
        rc = fail(err, GB_EIO, where, NULL, "write failed: %s", strerror(errno));
    return rc;
}

int gb_timbre_json_save(const char *path, const gb_timbre_meta_t *meta,
                        const gb_timbre_frame_t *frames, int n, gb_error_t *err)
{
    int rc = gb_timbre_json_check(meta, frames, n, path, err);
    if (rc < 0)
        return rc;
    FILE *f = fopen(path, "w");
    if (!f)
        return gb_error_set(err, GB_EIO, "%s: cannot create: %s", path, strerror(errno));
    rc = gb_timbre_json_write(f, path, meta, frames, n, err);
    if (fclose(f) != 0 && rc == GB_OK)
        rc = gb_error_set(err, GB_EIO, "%s: write failed: %s", path, strerror(errno));
    return rc;
}
