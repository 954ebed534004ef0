/* gb_timbre_ds.c — reader of the timbre dataset folder (format in gb_timbre_ds.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_timbre_ds.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gb_json_util.h"

/* frames.f32 is read straight into gb_tds_frame_t: it must be 99 packed floats. */
_Static_assert(sizeof(gb_tds_frame_t) == GB_TDS_FRAME_FLOATS * sizeof(float),
               "gb_tds_frame_t must be GB_TDS_FRAME_FLOATS packed floats");

#define MAX_NOTES 10000000

static int is_little_endian(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

/* Fetch key from obj as a number (integer or real). */
static int get_num(const json_t *obj, const char *key, const char *where, double *out,
                   gb_error_t *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return gb_error_set(err, GB_EFORMAT, "%s: missing key \"%s\"", where, key);
    if (!json_is_number(v))
        return gb_error_set(err, GB_EFORMAT, "%s: \"%s\" must be a number, not %s", where, key,
                            gb_json_kind(v));
    *out = json_number_value(v);
    if (!isfinite(*out))
        return gb_error_set(err, GB_EFORMAT, "%s: \"%s\" is not finite", where, key);
    return 0;
}

static int get_int(const json_t *obj, const char *key, const char *where, long long lo,
                   long long hi, long long *out, gb_error_t *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return gb_error_set(err, GB_EFORMAT, "%s: missing key \"%s\"", where, key);
    if (!json_is_integer(v))
        return gb_error_set(err, GB_EFORMAT, "%s: \"%s\" must be an integer, not %s", where,
                            key, gb_json_kind(v));
    *out = json_integer_value(v);
    if (*out < lo || *out > hi)
        return gb_error_set(err, GB_ERANGE, "%s: \"%s\" = %lld is out of range [%lld, %lld]",
                            where, key, *out, lo, hi);
    return 0;
}

/* Copy string key into buf (size bytes); optional keys leave buf empty. */
static int get_str(const json_t *obj, const char *key, const char *where, int required,
                   char *buf, size_t size, gb_error_t *err)
{
    const json_t *v = json_object_get(obj, key);
    buf[0] = '\0';
    if (!v)
        return required ? gb_error_set(err, GB_EFORMAT, "%s: missing key \"%s\"", where, key)
                        : 0;
    if (!json_is_string(v))
        return gb_error_set(err, GB_EFORMAT, "%s: \"%s\" must be a string, not %s", where, key,
                            gb_json_kind(v));
    snprintf(buf, size, "%s", json_string_value(v));
    return 0;
}

static int parse_note(const json_t *jn, const char *path, int i, gb_tds_note_t *n,
                      gb_error_t *err)
{
    char where[1100];
    snprintf(where, sizeof where, "%s: notes[%d]", path, i);
    if (!json_is_object(jn))
        return gb_error_set(err, GB_EFORMAT, "%s: must be an object, not %s", where,
                            gb_json_kind(jn));
    long long v;
    double d;
    char split[32];
    int rc;
    if ((rc = get_str(jn, "id", where, 1, n->id, sizeof n->id, err)) < 0 ||
        (rc = get_str(jn, "name", where, 0, n->name, sizeof n->name, err)) < 0 ||
        (rc = get_str(jn, "hash", where, 0, n->hash, sizeof n->hash, err)) < 0 ||
        (rc = get_str(jn, "split", where, 1, split, sizeof split, err)) < 0)
        return rc;
    if (strcmp(split, "train") == 0)
        n->split = GB_TDS_TRAIN;
    else if (strcmp(split, "validation") == 0)
        n->split = GB_TDS_VALIDATION;
    else if (strcmp(split, "test") == 0)
        n->split = GB_TDS_TEST;
    else
        return gb_error_set(err, GB_EFORMAT,
                            "%s: \"split\" must be \"train\", \"validation\" or \"test\", not "
                            "\"%s\"",
                            where, split);
    if ((rc = get_int(jn, "program", where, -1, 127, &v, err)) < 0)
        return rc;
    n->program = (int)v;
    if ((rc = get_int(jn, "key", where, 0, 127, &v, err)) < 0)
        return rc;
    n->key = (int)v;
    if ((rc = get_int(jn, "velocity", where, 0, 127, &v, err)) < 0)
        return rc;
    n->velocity = (int)v;
    if ((rc = get_num(jn, "f0_hz", where, &d, err)) < 0)
        return rc;
    if (!(d > 0.0 && d <= 20000.0))
        return gb_error_set(err, GB_ERANGE, "%s: \"f0_hz\" = %g is out of range (0, 20000]",
                            where, d);
    n->f0_hz = (float)d;
    if ((rc = get_int(jn, "first_frame", where, 0, UINT32_MAX, &v, err)) < 0)
        return rc;
    n->first_frame = (uint32_t)v;
    if ((rc = get_int(jn, "n_frames", where, 1, UINT32_MAX, &v, err)) < 0)
        return rc;
    n->n_frames = (uint32_t)v;
    n->gain_db = 0.0f;
    if (json_object_get(jn, "gain_db")) {
        if ((rc = get_num(jn, "gain_db", where, &d, err)) < 0)
            return rc;
        n->gain_db = (float)d;
    }
    n->onset_s = 0.0f;
    if (json_object_get(jn, "onset_s")) {
        if ((rc = get_num(jn, "onset_s", where, &d, err)) < 0)
            return rc;
        if (!(d >= 0.0 && d <= 60.0))
            return gb_error_set(err, GB_ERANGE, "%s: \"onset_s\" = %g is out of range [0, 60]",
                                where, d);
        n->onset_s = (float)d;
    }
    n->off_s = -1.0f;
    if (json_object_get(jn, "off_s")) {
        if ((rc = get_num(jn, "off_s", where, &d, err)) < 0)
            return rc;
        if (!(d == -1.0 || (d >= 0.0 && d <= 600.0)))
            return gb_error_set(err, GB_ERANGE,
                                "%s: \"off_s\" = %g is out of range (-1 or 0..600)", where, d);
        n->off_s = (float)d;
    }
    return 0;
}

/* The header keys: format (this reader's), source, licence, sample_rate, hop_s, seed. */
static int parse_header(const json_t *root, const char *path, gb_tds_t *ds, gb_error_t *err)
{
    if (!json_is_object(root))
        return gb_error_set(err, GB_EFORMAT, "%s: must hold a JSON object, not %s", path,
                            gb_json_kind(root));
    char fmt[64], shown[80];
    int rc;
    if ((rc = get_str(root, "format", path, 1, fmt, sizeof fmt, err)) < 0)
        return rc;
    if (strcmp(fmt, GB_TDS_FORMAT) != 0)
        return gb_error_set(err, GB_EFORMAT,
                            "%s: \"format\" is \"%s\"; this gbac reads \"%s\" (rebuild the "
                            "dataset with `gbac dataset timbre`)",
                            path, gb_shown(fmt, shown, sizeof shown), GB_TDS_FORMAT);
    if ((rc = get_str(root, "source", path, 0, ds->source, sizeof ds->source, err)) < 0 ||
        (rc = get_str(root, "licence", path, 0, ds->licence, sizeof ds->licence, err)) < 0)
        return rc;
    if ((rc = get_num(root, "sample_rate", path, &ds->sample_rate, err)) < 0)
        return rc;
    if (!(ds->sample_rate >= 8000.0 && ds->sample_rate <= 384000.0))
        return gb_error_set(err, GB_ERANGE, "%s: \"sample_rate\" = %g is outside 8000..384000",
                            path, ds->sample_rate);
    if ((rc = get_num(root, "hop_s", path, &ds->hop_s, err)) < 0)
        return rc;
    if (!(ds->hop_s >= 0.001 && ds->hop_s <= 0.1))
        return gb_error_set(err, GB_ERANGE, "%s: \"hop_s\" = %g is outside 0.001..0.1", path,
                            ds->hop_s);
    long long v;
    if ((rc = get_int(root, "seed", path, 0, UINT32_MAX, &v, err)) < 0)
        return rc;
    ds->seed = (uint32_t)v;
    return 0;
}

/* "notes": 1..MAX_NOTES notes whose frames lie back to back; sets n_notes and n_frames. */
static int parse_notes(const json_t *root, const char *path, gb_tds_t *ds, gb_error_t *err)
{
    int rc;
    const json_t *notes = json_object_get(root, "notes");
    if (!notes)
        return gb_error_set(err, GB_EFORMAT, "%s: missing key \"notes\"", path);
    if (!json_is_array(notes))
        return gb_error_set(err, GB_EFORMAT, "%s: \"notes\" must be an array, not %s", path,
                            gb_json_kind(notes));
    const size_t nn = json_array_size(notes);
    if (nn == 0)
        return gb_error_set(err, GB_ERANGE, "%s: the dataset has no notes", path);
    if (nn > MAX_NOTES)
        return gb_error_set(err, GB_ERANGE, "%s: %zu notes is more than this reader allows (%d)",
                            path, nn, MAX_NOTES);
    ds->notes = calloc(nn, sizeof *ds->notes);
    if (!ds->notes)
        return gb_error_set(err, GB_ENOMEM, "%s: out of memory for %zu notes", path, nn);
    ds->n_notes = (int)nn;
    uint64_t next = 0;
    for (size_t i = 0; i < nn; i++) {
        gb_tds_note_t *n = &ds->notes[i];
        if ((rc = parse_note(json_array_get(notes, i), path, (int)i, n, err)) < 0)
            return rc;
        if (n->first_frame != next)
            return gb_error_set(err, GB_EFORMAT,
                                "%s: notes[%zu]: \"first_frame\" is %u, expected %llu (notes' "
                                "frames are back to back in manifest order)",
                                path, i, n->first_frame, (unsigned long long)next);
        next += n->n_frames;
        if (next > UINT32_MAX)
            return gb_error_set(err, GB_ERANGE, "%s: more than 2^32 frames", path);
    }
    ds->n_frames = (uint32_t)next;
    return 0;
}

/* "counts" (optional): its notes and frames must match what the notes hold. */
static int check_counts(const json_t *root, const char *path, const gb_tds_t *ds,
                        gb_error_t *err)
{
    const size_t nn = (size_t)ds->n_notes;
    const uint64_t next = ds->n_frames;
    long long v;
    int rc;
    const json_t *counts = json_object_get(root, "counts");
    if (counts) {
        char where[1100];
        snprintf(where, sizeof where, "%s: counts", path);
        if (!json_is_object(counts))
            return gb_error_set(err, GB_EFORMAT, "%s: must be an object, not %s", where,
                                gb_json_kind(counts));
        if ((rc = get_int(counts, "notes", where, 0, INT64_MAX, &v, err)) < 0)
            return rc;
        if (v != (long long)nn)
            return gb_error_set(err, GB_EFORMAT,
                                "%s: \"notes\" is %lld but the notes array has %zu", where, v, nn);
        if ((rc = get_int(counts, "frames", where, 0, INT64_MAX, &v, err)) < 0)
            return rc;
        if (v != (long long)next)
            return gb_error_set(err, GB_EFORMAT,
                                "%s: \"frames\" is %lld but the notes hold %llu frames", where, v,
                                (unsigned long long)next);
    }
    return 0;
}

static int parse_manifest(const json_t *root, const char *path, gb_tds_t *ds, gb_error_t *err)
{
    int rc;
    if ((rc = parse_header(root, path, ds, err)) < 0 ||
        (rc = parse_notes(root, path, ds, err)) < 0)
        return rc;
    return check_counts(root, path, ds, err);
}

static int load_frames(const char *path, gb_tds_t *ds, gb_error_t *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return gb_error_set(err, GB_EIO, "%s: cannot open: %s", path, strerror(errno));
    int rc = 0;
    const uint64_t want = (uint64_t)ds->n_frames * sizeof(gb_tds_frame_t);
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        rc = gb_error_set(err, GB_EIO, "%s: cannot read: %s", path, strerror(errno));
        goto done;
    }
    if ((uint64_t)size != want) {
        rc = gb_error_set(err, GB_EFORMAT,
                          "%s: %ld bytes, but the manifest's %u frames need %llu (%u frames x "
                          "%d floats x 4 bytes): the file is truncated or does not belong to "
                          "this manifest",
                          path, size, ds->n_frames, (unsigned long long)want, ds->n_frames,
                          GB_TDS_FRAME_FLOATS);
        goto done;
    }
    ds->frames = malloc((size_t)want);
    if (!ds->frames) {
        rc = gb_error_set(err, GB_ENOMEM, "%s: out of memory for %u frames", path, ds->n_frames);
        goto done;
    }
    if (fread(ds->frames, 1, (size_t)want, f) != (size_t)want) {
        rc = gb_error_set(err, GB_EIO, "%s: read failed", path);
        goto done;
    }
    if (!is_little_endian()) {
        uint8_t *b = (uint8_t *)ds->frames;
        for (uint64_t i = 0; i < want; i += 4) {
            uint8_t t = b[i];
            b[i] = b[i + 3];
            b[i + 3] = t;
            t = b[i + 1];
            b[i + 1] = b[i + 2];
            b[i + 2] = t;
        }
    }
    const float *x = (const float *)ds->frames;
    for (uint64_t i = 0; i < (uint64_t)ds->n_frames * GB_TDS_FRAME_FLOATS; i++) {
        if (!isfinite(x[i])) {
            rc = gb_error_set(err, GB_EFORMAT, "%s: frame %llu, value %llu is %s", path,
                              (unsigned long long)(i / GB_TDS_FRAME_FLOATS),
                              (unsigned long long)(i % GB_TDS_FRAME_FLOATS),
                              isnan(x[i]) ? "NaN" : "infinite");
            goto done;
        }
    }
done:
    fclose(f);
    return rc;
}

gb_tds_t *gb_tds_load(const char *dir, gb_error_t *err)
{
    gb_error_clear(err);
    if (!dir) {
        gb_error_set(err, GB_EINVAL, "gb_tds_load: dir is NULL");
        return NULL;
    }
    char path[1024];
    if (strlen(dir) + sizeof GB_TDS_MANIFEST + 2 > sizeof path) {
        gb_error_set(err, GB_EINVAL, "%.64s...: folder name too long", dir);
        return NULL;
    }
    gb_tds_t *ds = calloc(1, sizeof *ds);
    if (!ds) {
        gb_error_set(err, GB_ENOMEM, "%s: out of memory", dir);
        return NULL;
    }
    snprintf(path, sizeof path, "%s/%s", dir, GB_TDS_MANIFEST);
    json_error_t jerr;
    FILE *mf = fopen(path, "rb");
    if (!mf) {
        gb_error_set(err, GB_EIO, "%s: cannot open: %s%s", path, strerror(errno),
                     errno == ENOENT ? " (is this a `gbac dataset timbre` folder?)" : "");
        goto fail;
    }
    json_t *root = json_loadf(mf, JSON_REJECT_DUPLICATES, &jerr);
    fclose(mf);
    if (!root) {
        gb_error_set(err, GB_EFORMAT, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        goto fail;
    }
    const int rc = parse_manifest(root, path, ds, err);
    json_decref(root);
    if (rc < 0)
        goto fail;
    snprintf(path, sizeof path, "%s/%s", dir, GB_TDS_FRAMES);
    if (load_frames(path, ds, err) < 0)
        goto fail;
    return ds;
fail:
    gb_tds_free(ds);
    return NULL;
}

void gb_tds_free(gb_tds_t *ds)
{
    if (!ds)
        return;
    free(ds->notes);
    free(ds->frames);
    free(ds);
}

int gb_tds_count(const gb_tds_t *ds, gb_tds_split_t split)
{
    int n = 0;
    for (int i = 0; ds && i < ds->n_notes; i++)
        n += ds->notes[i].split == split;
    return n;
}
