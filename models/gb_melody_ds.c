/* gb_melody_ds.c — the melody dataset reader (gb_melody_ds.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_melody_ds.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_json_util.h"

void gb_mds_record_encode(const gb_mds_record_t *r, uint8_t out[GB_MDS_RECORD_BYTES])
{
    out[0] = (uint8_t)(r->tune & 0xff);
    out[1] = (uint8_t)((r->tune >> 8) & 0xff);
    out[2] = (uint8_t)((r->tune >> 16) & 0xff);
    out[3] = (uint8_t)((r->tune >> 24) & 0xff);
    out[4] = (uint8_t)(r->bar & 0xff);
    out[5] = (uint8_t)(r->bar >> 8);
    out[6] = r->split;
    out[7] = r->steps_per_bar;
    out[8] = r->meter_num;
    out[9] = r->meter_den;
    out[10] = r->tonic;
    out[11] = r->mode;
    out[12] = (uint8_t)r->transpose;
    out[13] = r->density;
    out[14] = r->flags;
    out[15] = 0;
    memcpy(out + 16, r->context, GB_MDS_MAX_STEPS);
    memcpy(out + 40, r->target, GB_MDS_MAX_STEPS);
}

void gb_mds_record_decode(const uint8_t in[GB_MDS_RECORD_BYTES], gb_mds_record_t *r)
{
    r->tune = (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 |
              (uint32_t)in[3] << 24;
    r->bar = (uint16_t)(in[4] | in[5] << 8);
    r->split = in[6];
    r->steps_per_bar = in[7];
    r->meter_num = in[8];
    r->meter_den = in[9];
    r->tonic = in[10];
    r->mode = in[11];
    r->transpose = (int8_t)in[12];
    r->density = in[13];
    r->flags = in[14];
    memcpy(r->context, in + 16, GB_MDS_MAX_STEPS);
    memcpy(r->target, in + 40, GB_MDS_MAX_STEPS);
}

static int bad_tokens(const uint8_t *t, int spb)
{
    for (int i = 0; i < GB_MDS_MAX_STEPS; i++)
        if (i < spb ? t[i] >= GB_MDS_VOCAB : t[i] != GB_MDS_PAD)
            return 1;
    return 0;
}

static int split_of(const char *s)
{
    return strcmp(s, "train") == 0        ? GB_MDS_TRAIN
           : strcmp(s, "validation") == 0 ? GB_MDS_VALIDATION
           : strcmp(s, "test") == 0       ? GB_MDS_TEST
                                          : -1;
}

static int read_tunes(gb_melody_ds_t *ds, json_t *tunes, const char *path, gb_error_t *err)
{
    char shown[80];
    if (!json_is_array(tunes))
        return gb_error_set(err, GB_EFORMAT, "%s: \"tunes\" must be an array, not %s", path,
                            gb_json_kind(tunes));
    ds->n_tunes = (int)json_array_size(tunes);
    ds->tunes = calloc(ds->n_tunes ? (size_t)ds->n_tunes : 1, sizeof *ds->tunes);
    if (!ds->tunes)
        return gb_error_set(err, GB_ENOMEM, "%s: out of memory", path);
    for (int i = 0; i < ds->n_tunes; i++) {
        json_t *t = json_array_get(tunes, (size_t)i);
        const char *name = NULL, *split = NULL, *meter = NULL, *mode = NULL;
        int spb = 0, bars = 0, shift = 0;
        if (json_unpack(t, "{s:s, s:s, s:s, s:i, s:s, s:i, s:i}", "name", &name, "split",
                        &split, "meter", &meter, "steps_per_bar", &spb, "mode", &mode,
                        "shift", &shift, "bars", &bars) != 0)
            return gb_error_set(err, GB_EFORMAT,
                                "%s: tunes[%d] needs name, split, meter, mode (strings) and "
                                "steps_per_bar, shift, bars (integers)", path, i);
        gb_mds_tune_t *o = &ds->tunes[i];
        snprintf(o->name, sizeof o->name, "%s", name);
        const int s = split_of(split);
        if (s < 0)
            return gb_error_set(err, GB_EFORMAT, "%s: tunes[%d].split is '%s', not train, "
                                "validation or test", path, i, gb_shown(split, shown,
                                sizeof shown));
        o->split = (gb_mds_split_t)s;
        if (sscanf(meter, "%d/%d", &o->meter_num, &o->meter_den) != 2 || spb < 1 ||
            spb > GB_MDS_MAX_STEPS)
            return gb_error_set(err, GB_EFORMAT, "%s: tunes[%d]: bad meter '%s' or "
                                "steps_per_bar %d", path, i, gb_shown(meter, shown,
                                sizeof shown), spb);
        o->steps_per_bar = spb;
        o->mode = strcmp(mode, "minor") == 0;
        o->shift = shift;
        o->bars = bars;
        json_t *key = json_object_get(t, "key");
        static const char *names[12] = {"C", "C#", "D", "Eb", "E", "F",
                                        "F#", "G", "Ab", "A", "Bb", "B"};
        o->tonic = -1;
        for (int k = 0; k < 12 && json_is_string(key); k++)
            if (strcmp(json_string_value(key), names[k]) == 0)
                o->tonic = k;
        if (o->tonic < 0)
            return gb_error_set(err, GB_EFORMAT, "%s: tunes[%d].key must be a pitch name "
                                "C, C#, D, Eb, E, F, F#, G, Ab, A, Bb or B", path, i);
    }
    return 0;
}

/* What is wrong with record r (NULL: nothing): indices, split, meter, key, tokens. */
static const char *record_problem(const gb_melody_ds_t *ds, const gb_mds_record_t *r)
{
    if (r->tune >= (uint32_t)ds->n_tunes)
        return "tune index past the manifest's tunes";
    if (r->split > GB_MDS_TEST || r->split != ds->tunes[r->tune].split)
        return "split differs from its tune's";
    if (r->steps_per_bar < 1 || r->steps_per_bar > GB_MDS_MAX_STEPS ||
        r->steps_per_bar != ds->tunes[r->tune].steps_per_bar)
        return "steps per bar out of range or differs from its tune's";
    if (r->tonic > 11 || r->mode > 1)
        return "key out of range";
    if (bad_tokens(r->context, r->steps_per_bar) || bad_tokens(r->target, r->steps_per_bar))
        return "a token out of range (or a missing pad)";
    return NULL;
}

/* bars.bin: exactly the manifest's records, each decoded and checked. */
static int read_records(gb_melody_ds_t *ds, const char *bpath, gb_error_t *err)
{
    int rc = 0;
    uint8_t *buf = NULL;
    FILE *f = fopen(bpath, "rb");
    if (!f)
        return gb_error_set(err, GB_EIO, "%s: cannot read: %s", bpath, strerror(errno));
    const size_t want = (size_t)ds->n_records * GB_MDS_RECORD_BYTES;
    fseek(f, 0, SEEK_END);
    const long have = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (have < 0 || (size_t)have != want) {
        rc = gb_error_set(err, GB_EFORMAT, "%s: %ld bytes, but the manifest's %u records of "
                          "%d bytes need %zu", bpath, have, ds->n_records, GB_MDS_RECORD_BYTES,
                          want);
        goto done;
    }
    buf = malloc(want);
    ds->records = calloc(ds->n_records, sizeof *ds->records);
    if (!buf || !ds->records) {
        rc = gb_error_set(err, GB_ENOMEM, "%s: out of memory for %u records", bpath,
                          ds->n_records);
        goto done;
    }
    if (fread(buf, 1, want, f) != want) {
        rc = gb_error_set(err, GB_EIO, "%s: short read", bpath);
        goto done;
    }
    for (uint32_t i = 0; i < ds->n_records; i++) {
        gb_mds_record_t *r = &ds->records[i];
        gb_mds_record_decode(buf + (size_t)i * GB_MDS_RECORD_BYTES, r);
        const char *why = record_problem(ds, r);
        if (why) {
            rc = gb_error_set(err, GB_EFORMAT, "%s: record %u (byte %zu): %s", bpath, i,
                              (size_t)i * GB_MDS_RECORD_BYTES, why);
            goto done;
        }
    }
done:
    free(buf);
    fclose(f);
    return rc < 0 ? rc : 0;
}

gb_melody_ds_t *gb_melody_ds_load(const char *dir, gb_error_t *err)
{
    char path[4096], bpath[4096];
    gb_melody_ds_t *ds = NULL;
    json_t *root = NULL;
    json_error_t je;
    int rc;

    snprintf(path, sizeof path, "%s/%s", dir, GB_MDS_MANIFEST);
    snprintf(bpath, sizeof bpath, "%s/%s", dir, GB_MDS_BARS);
    root = json_load_file(path, 0, &je);
    if (!root) {
        FILE *t = fopen(path, "rb");
        if (!t)
            gb_error_set(err, GB_EIO, "%s: cannot read: %s (is %s a melody dataset made by "
                         "`gbac dataset melody`?)", path, strerror(errno), dir);
        else {
            fclose(t);
            gb_error_set(err, GB_EFORMAT, "%s:%d: bad JSON: %s", path, je.line, je.text);
        }
        return NULL;
    }
    ds = calloc(1, sizeof *ds);
    if (!ds) {
        gb_error_set(err, GB_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    const char *format = json_string_value(json_object_get(root, "format"));
    if (!format || strcmp(format, GB_MDS_FORMAT) != 0) {
        char shown[80];
        gb_error_set(err, GB_EFORMAT, "%s: \"format\" is %s%s%s, expected \"%s\"", path,
                     format ? "'" : "", format ? gb_shown(format, shown, sizeof shown)
                                               : "missing or not a string",
                     format ? "'" : "", GB_MDS_FORMAT);
        goto fail;
    }
    const char *src = json_string_value(json_object_get(root, "source"));
    const char *lic = json_string_value(json_object_get(root, "licence"));
    snprintf(ds->source, sizeof ds->source, "%s", src ? src : "");
    snprintf(ds->licence, sizeof ds->licence, "%s", lic ? lic : "");
    ds->seed = (uint32_t)json_integer_value(json_object_get(root, "seed"));
    json_t *rb = json_object_get(root, "record_bytes");
    if (!json_is_integer(rb) || json_integer_value(rb) != GB_MDS_RECORD_BYTES) {
        gb_error_set(err, GB_EFORMAT, "%s: \"record_bytes\" must be the integer %d", path,
                     GB_MDS_RECORD_BYTES);
        goto fail;
    }
    json_t *nrec = json_object_get(json_object_get(root, "counts"), "records");
    if (!json_is_integer(nrec) || json_integer_value(nrec) < 0 ||
        json_integer_value(nrec) > 0x7fffffff) {
        gb_error_set(err, GB_EFORMAT, "%s: \"counts.records\" must be a non-negative integer",
                     path);
        goto fail;
    }
    ds->n_records = (uint32_t)json_integer_value(nrec);
    if ((rc = read_tunes(ds, json_object_get(root, "tunes"), path, err)) < 0)
        goto fail;
    if (ds->n_records == 0) {
        gb_error_set(err, GB_ERANGE, "%s: the dataset has no record", path);
        goto fail;
    }

    if (read_records(ds, bpath, err) < 0)
        goto fail;
    json_decref(root);
    return ds;
fail:
    json_decref(root);
    gb_melody_ds_free(ds);
    return NULL;
}

void gb_melody_ds_free(gb_melody_ds_t *ds)
{
    if (!ds)
        return;
    free(ds->tunes);
    free(ds->records);
    free(ds);
}
