/* gb_safetensors.c — strict safetensors reader and atomic float32 writer.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The header is parsed by jansson; everything the header claims (lengths, offsets, shapes)
 * is checked against the real size of the file before it is used for anything, so a hostile
 * file can make us allocate at most its own header. */
#define _FILE_OFFSET_BITS 64
#include "gb_safetensors.h"

#include "gb_bf16.h"
#include "gb_json_util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct gb_st {
    char *name;               /* for messages */
    int fd;                   /* -1 when reading from memory */
    const unsigned char *mem; /* whole image when reading from memory */
    uint64_t data_start;      /* 8 + header length */
    uint64_t data_size;       /* bytes of the data section */
    json_t *root;             /* the header; tensor names and metadata point into it */
    size_t n;                 /* tensors */
    gb_st_info_t *t;          /* sorted by offset */
    const gb_st_info_t **by_name; /* entries of t, sorted by name */
    size_t n_meta;
    const char **meta_k, **meta_v;
};

/* ---- dtypes --------------------------------------------------------------------------- */

static const struct {
    const char *name;
    size_t size;
} dtypes[GB_ST_DTYPE_COUNT] = {
    [GB_ST_BOOL] = {"BOOL", 1},       [GB_ST_U8] = {"U8", 1},     [GB_ST_I8] = {"I8", 1},
    [GB_ST_F8_E5M2] = {"F8_E5M2", 1}, [GB_ST_F8_E4M3] = {"F8_E4M3", 1},
    [GB_ST_I16] = {"I16", 2},         [GB_ST_U16] = {"U16", 2},   [GB_ST_F16] = {"F16", 2},
    [GB_ST_BF16] = {"BF16", 2},       [GB_ST_I32] = {"I32", 4},   [GB_ST_U32] = {"U32", 4},
    [GB_ST_F32] = {"F32", 4},         [GB_ST_F64] = {"F64", 8},   [GB_ST_I64] = {"I64", 8},
    [GB_ST_U64] = {"U64", 8},
};

const char *gb_st_dtype_name(gb_st_dtype_t dtype)
{
    return (unsigned)dtype < GB_ST_DTYPE_COUNT ? dtypes[dtype].name : "?";
}

size_t gb_st_dtype_size(gb_st_dtype_t dtype)
{
    return (unsigned)dtype < GB_ST_DTYPE_COUNT ? dtypes[dtype].size : 0;
}

int gb_st_dtype_parse(const char *name, gb_st_dtype_t *out)
{
    for (int i = 0; name && i < GB_ST_DTYPE_COUNT; i++)
        if (strcmp(name, dtypes[i].name) == 0) {
            *out = (gb_st_dtype_t)i;
            return GB_OK;
        }
    return GB_EINVAL;
}

/* ---- messages ------------------------------------------------------------------------- */


/* Set err to "NAME: message". */
static int fail(gb_error_t *err, const char *name, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(gb_error_t *err, const char *name, int code, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return gb_error_set(err, code, "%s: %s", name, what);
}


/* ---- reader --------------------------------------------------------------------------- */

static uint64_t load_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static int host_is_le(void)
{
    const uint32_t one = 1;
    unsigned char c;
    memcpy(&c, &one, 1);
    return c == 1;
}

/* pread everything or fail; returns bytes read (short only at end of file) or -1. */
static long long pread_full(int fd, void *dst, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)dst + got, n - got, (off_t)(off + got));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (long long)got;
}

static int cmp_offset(const void *a, const void *b)
{
    const gb_st_info_t *x = a, *y = b;
    if (x->offset != y->offset)
        return x->offset < y->offset ? -1 : 1;
    uint64_t ex = x->offset + x->nbytes, ey = y->offset + y->nbytes;
    return ex < ey ? -1 : ex > ey;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp((*(const gb_st_info_t *const *)a)->name, (*(const gb_st_info_t *const *)b)->name);
}

static int check_header_len(const char *name, uint64_t hlen, uint64_t total, gb_error_t *err)
{
    if (total < 8)
        return fail(err, name, GB_EFORMAT,
                    "file is truncated: %llu bytes, shorter than the 8-byte header length",
                    (unsigned long long)total);
    if (hlen == 0)
        return fail(err, name, GB_EFORMAT,
                    "header length is 0 (not a safetensors file, or a corrupt one)");
    if (hlen > GB_ST_MAX_HEADER)
        return fail(err, name, GB_ERANGE,
                    "header length %llu exceeds the limit of %u bytes (100 MB); "
                    "not a safetensors file?",
                    (unsigned long long)hlen, GB_ST_MAX_HEADER);
    if (hlen > total - 8)
        return fail(err, name, GB_EFORMAT,
                    "header length %llu is larger than the rest of the file (%llu bytes); "
                    "the file is truncated or not a safetensors file",
                    (unsigned long long)hlen, (unsigned long long)(total - 8));
    return GB_OK;
}

/* The tensor's dtype and shape into *t (count: the elements). */
static int parse_shape(gb_st_t *st, const char *nm, json_t *jd, json_t *js, gb_st_info_t *t,
                       gb_error_t *err)
{
    if (!json_is_string(jd))
        return fail(err, st->name, GB_EFORMAT, "tensor '%s': dtype is %s, not a string", nm,
                    gb_json_kind(jd));
    if (gb_st_dtype_parse(json_string_value(jd), &t->dtype)) {
        char db[96];
        return fail(err, st->name, GB_EFORMAT, "tensor '%s': unknown dtype '%s'", nm,
                    gb_shown(json_string_value(jd), db, sizeof db));
    }
    if (!json_is_array(js))
        return fail(err, st->name, GB_EFORMAT, "tensor '%s': shape is %s, not an array", nm,
                    gb_json_kind(js));
    if (json_array_size(js) > GB_ST_MAX_DIMS)
        return fail(err, st->name, GB_EFORMAT, "tensor '%s': shape has %zu dimensions (at most %d)",
                    nm, json_array_size(js), GB_ST_MAX_DIMS);
    t->ndim = (int)json_array_size(js);
    uint64_t count = 1;
    int overflow = 0;
    for (int d = 0; d < t->ndim; d++) {
        json_t *e = json_array_get(js, (size_t)d);
        if (!json_is_integer(e) || json_integer_value(e) < 0)
            return fail(err, st->name, GB_EFORMAT,
                        "tensor '%s': shape[%d] is not a non-negative integer", nm, d);
        uint64_t dim = (uint64_t)json_integer_value(e);
        t->shape[d] = (int64_t)dim;
        if (dim && count > UINT64_MAX / dim)
            overflow = 1;
        count *= dim;
    }
    if (overflow || count > UINT64_MAX / gb_st_dtype_size(t->dtype))
        return fail(err, st->name, GB_EFORMAT, "tensor '%s': shape is absurdly large", nm);
    t->count = count;
    return GB_OK;
}

/* The tensor's data_offsets: inside the data section, as many bytes as the shape needs. */
static int parse_offsets(gb_st_t *st, const char *nm, json_t *jo, gb_st_info_t *t,
                         gb_error_t *err)
{
    const uint64_t count = t->count, esz = gb_st_dtype_size(t->dtype);
    if (!json_is_array(jo) || json_array_size(jo) != 2 ||
        !json_is_integer(json_array_get(jo, 0)) || !json_is_integer(json_array_get(jo, 1)) ||
        json_integer_value(json_array_get(jo, 0)) < 0 ||
        json_integer_value(json_array_get(jo, 1)) < 0)
        return fail(err, st->name, GB_EFORMAT,
                    "tensor '%s': data_offsets must be [begin, end], two non-negative integers",
                    nm);
    uint64_t b = (uint64_t)json_integer_value(json_array_get(jo, 0));
    uint64_t e = (uint64_t)json_integer_value(json_array_get(jo, 1));
    if (b > e)
        return fail(err, st->name, GB_EFORMAT,
                    "tensor '%s': data_offsets [%llu, %llu] end before they begin",
                    nm, (unsigned long long)b, (unsigned long long)e);
    if (e > st->data_size)
        return fail(err, st->name, GB_EFORMAT,
                    "tensor '%s': data_offsets [%llu, %llu] are out of range: the data section "
                    "has only %llu bytes (file truncated?)",
                    nm, (unsigned long long)b, (unsigned long long)e,
                    (unsigned long long)st->data_size);
    if (e - b != count * esz)
        return fail(err, st->name, GB_EFORMAT,
                    "tensor '%s': data_offsets [%llu, %llu] hold %llu bytes, but dtype %s with "
                    "%llu elements needs %llu",
                    nm, (unsigned long long)b, (unsigned long long)e,
                    (unsigned long long)(e - b), gb_st_dtype_name(t->dtype),
                    (unsigned long long)count, (unsigned long long)(count * esz));
    t->offset = b;
    t->nbytes = e - b;
    return GB_OK;
}

/* Parse one tensor entry of the header into *t. */
static int parse_tensor(gb_st_t *st, const char *key, json_t *v, gb_st_info_t *t,
                        gb_error_t *err)
{
    char nb[96];
    const char *nm = gb_shown(key, nb, sizeof nb);
    if (!key[0])
        return fail(err, st->name, GB_EFORMAT, "a tensor has an empty name");
    if (!json_is_object(v))
        return fail(err, st->name, GB_EFORMAT, "tensor '%s': entry is %s, not an object", nm,
                    gb_json_kind(v));
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        if (strcmp(k, "dtype") && strcmp(k, "shape") && strcmp(k, "data_offsets")) {
            char kb[96];
            return fail(err, st->name, GB_EFORMAT,
                        "tensor '%s': unknown key '%s' (expected dtype, shape, data_offsets)",
                        nm, gb_shown(k, kb, sizeof kb));
        }
    }
    json_t *jd = json_object_get(v, "dtype"), *js = json_object_get(v, "shape"),
           *jo = json_object_get(v, "data_offsets");
    if (!jd || !js || !jo)
        return fail(err, st->name, GB_EFORMAT, "tensor '%s': missing key '%s'", nm,
                    !jd ? "dtype" : !js ? "shape" : "data_offsets");
    memset(t, 0, sizeof *t);
    t->name = key;
    int rc = parse_shape(st, nm, jd, js, t, err);
    return rc ? rc : parse_offsets(st, nm, jo, t, err);
}

static int parse_meta(gb_st_t *st, json_t *meta, gb_error_t *err)
{
    if (!json_is_object(meta))
        return fail(err, st->name, GB_EFORMAT, "__metadata__ is %s, not an object",
                    gb_json_kind(meta));
    size_t n = json_object_size(meta);
    st->meta_k = calloc(n ? n : 1, sizeof *st->meta_k);
    st->meta_v = calloc(n ? n : 1, sizeof *st->meta_v);
    if (!st->meta_k || !st->meta_v)
        return fail(err, st->name, GB_ENOMEM, "out of memory reading the metadata");
    const char *k;
    json_t *v;
    json_object_foreach(meta, k, v) {
        if (!json_is_string(v)) {
            char kb[96];
            return fail(err, st->name, GB_EFORMAT,
                        "__metadata__ '%s' is %s; safetensors metadata values must be strings",
                        gb_shown(k, kb, sizeof kb), gb_json_kind(v));
        }
        st->meta_k[st->n_meta] = k;
        st->meta_v[st->n_meta] = json_string_value(v);
        st->n_meta++;
    }
    return GB_OK;
}

static int parse_header(gb_st_t *st, const char *hdr, size_t hlen, gb_error_t *err)
{
    json_error_t je;
    st->root = json_loadb(hdr, hlen, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!st->root)
        return fail(err, st->name, GB_EFORMAT,
                    "header is not valid JSON: %s (line %d, column %d)", je.text, je.line,
                    je.column);
    if (!json_is_object(st->root))
        return fail(err, st->name, GB_EFORMAT, "header is %s, not a JSON object",
                    gb_json_kind(st->root));
    if (hdr[0] != '{')
        return fail(err, st->name, GB_EFORMAT, "header must start with '{'");

    size_t n = json_object_size(st->root);
    st->t = calloc(n ? n : 1, sizeof *st->t);
    if (!st->t)
        return fail(err, st->name, GB_ENOMEM, "out of memory for %zu tensor entries", n);
    const char *k;
    json_t *v;
    json_object_foreach(st->root, k, v) {
        int rc = strcmp(k, "__metadata__") == 0 ? parse_meta(st, v, err)
                                                : parse_tensor(st, k, v, &st->t[st->n++], err);
        if (rc)
            return rc;
    }

    /* The data must be laid out back to back, from 0 to the end of the data section. */
    qsort(st->t, st->n, sizeof *st->t, cmp_offset);
    uint64_t pos = 0;
    for (size_t i = 0; i < st->n; i++) {
        const gb_st_info_t *t = &st->t[i];
        char a[96], b[96];
        if (t->offset < pos)
            return fail(err, st->name, GB_EFORMAT,
                        "data_offsets of tensors '%s' [%llu, %llu] and '%s' [%llu, %llu] overlap",
                        gb_shown(st->t[i - 1].name, a, sizeof a), (unsigned long long)st->t[i - 1].offset,
                        (unsigned long long)pos, gb_shown(t->name, b, sizeof b),
                        (unsigned long long)t->offset,
                        (unsigned long long)(t->offset + t->nbytes));
        if (t->offset > pos)
            return fail(err, st->name, GB_EFORMAT,
                        "data_offsets are not contiguous: bytes [%llu, %llu) before tensor '%s' "
                        "belong to no tensor",
                        (unsigned long long)pos, (unsigned long long)t->offset, gb_shown(t->name, a, sizeof a));
        pos = t->offset + t->nbytes;
    }
    if (pos != st->data_size)
        return fail(err, st->name, GB_EFORMAT,
                    "the data section has %llu bytes but the tensors cover only %llu; "
                    "%llu trailing bytes belong to no tensor",
                    (unsigned long long)st->data_size, (unsigned long long)pos,
                    (unsigned long long)(st->data_size - pos));

    st->by_name = malloc((st->n ? st->n : 1) * sizeof *st->by_name);
    if (!st->by_name)
        return fail(err, st->name, GB_ENOMEM, "out of memory for %zu tensor entries", st->n);
    for (size_t i = 0; i < st->n; i++)
        st->by_name[i] = &st->t[i];
    qsort(st->by_name, st->n, sizeof *st->by_name, cmp_name);
    return GB_OK;
}

static gb_st_t *st_alloc(const char *name, gb_error_t *err)
{
    gb_st_t *st = calloc(1, sizeof *st);
    char *nm = strdup(name ? name : "(memory)");
    if (!st || !nm) {
        free(st);
        free(nm);
        fail(err, name ? name : "(memory)", GB_ENOMEM, "out of memory");
        return NULL;
    }
    st->name = nm;
    st->fd = -1;
    return st;
}

gb_st_t *gb_st_open_mem(const void *buf, size_t len, const char *name, gb_error_t *err)
{
    gb_st_t *st = st_alloc(name, err);
    if (!st)
        return NULL;
    if (!buf && len) {
        fail(err, st->name, GB_EINVAL, "no buffer");
        goto error;
    }
    const unsigned char *p = buf;
    uint64_t hlen = len >= 8 ? load_le64(p) : 0;
    if (check_header_len(st->name, hlen, len, err))
        goto error;
    st->mem = p;
    st->data_start = 8 + hlen;
    st->data_size = len - st->data_start;
    if (parse_header(st, (const char *)p + 8, (size_t)hlen, err))
        goto error;
    return st;
error:
    gb_st_free(st);
    return NULL;
}

gb_st_t *gb_st_open(const char *path, gb_error_t *err)
{
    if (!path) {
        gb_error_set(err, GB_EINVAL, "no file name");
        return NULL;
    }
    gb_st_t *st = st_alloc(path, err);
    if (!st)
        return NULL;
    char *hdr = NULL;
    st->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (st->fd < 0) {
        fail(err, path, GB_EIO, "cannot open: %s", strerror(errno));
        goto error;
    }
    struct stat sb;
    if (fstat(st->fd, &sb) != 0) {
        fail(err, path, GB_EIO, "cannot stat: %s", strerror(errno));
        goto error;
    }
    if (!S_ISREG(sb.st_mode)) {
        fail(err, path, GB_EIO, "not a regular file");
        goto error;
    }
    uint64_t total = (uint64_t)sb.st_size;
    unsigned char lenbuf[8];
    long long got = total >= 8 ? pread_full(st->fd, lenbuf, 8, 0) : 0;
    if (got < 0) {
        fail(err, path, GB_EIO, "cannot read: %s", strerror(errno));
        goto error;
    }
    uint64_t hlen = got == 8 ? load_le64(lenbuf) : 0;
    if (check_header_len(path, hlen, total < 8 || got == 8 ? total : (uint64_t)got, err))
        goto error;
    hdr = malloc((size_t)hlen);
    if (!hdr) {
        fail(err, path, GB_ENOMEM, "out of memory for a %llu-byte header",
             (unsigned long long)hlen);
        goto error;
    }
    got = pread_full(st->fd, hdr, (size_t)hlen, 8);
    if (got < 0 || (uint64_t)got != hlen) {
        fail(err, path, GB_EIO, "cannot read the header: %s",
             got < 0 ? strerror(errno) : "file shrank while reading");
        goto error;
    }
    st->data_start = 8 + hlen;
    st->data_size = total - st->data_start;
    if (parse_header(st, hdr, (size_t)hlen, err))
        goto error;
    free(hdr);
    return st;
error:
    free(hdr);
    gb_st_free(st);
    return NULL;
}

void gb_st_free(gb_st_t *st)
{
    if (!st)
        return;
    if (st->fd >= 0)
        close(st->fd);
    json_decref(st->root);
    free(st->t);
    free(st->by_name);
    free(st->meta_k);
    free(st->meta_v);
    free(st->name);
    free(st);
}

const char *gb_st_name(const gb_st_t *st) { return st ? st->name : ""; }

size_t gb_st_count(const gb_st_t *st) { return st ? st->n : 0; }

int gb_st_info(const gb_st_t *st, size_t i, gb_st_info_t *info)
{
    if (!st || i >= st->n || !info)
        return GB_EINVAL;
    *info = st->t[i];
    return GB_OK;
}

long gb_st_find(const gb_st_t *st, const char *name)
{
    if (!st || !name)
        return -1;
    size_t lo = 0, hi = st->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(st->by_name[mid]->name, name);
        if (c == 0)
            return (long)(st->by_name[mid] - st->t);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

size_t gb_st_meta_count(const gb_st_t *st) { return st ? st->n_meta : 0; }

int gb_st_meta_at(const gb_st_t *st, size_t i, const char **key, const char **value)
{
    if (!st || i >= st->n_meta)
        return GB_EINVAL;
    if (key)
        *key = st->meta_k[i];
    if (value)
        *value = st->meta_v[i];
    return GB_OK;
}

const char *gb_st_meta_get(const gb_st_t *st, const char *key)
{
    for (size_t i = 0; st && key && i < st->n_meta; i++)
        if (strcmp(st->meta_k[i], key) == 0)
            return st->meta_v[i];
    return NULL;
}

int gb_st_read(const gb_st_t *st, size_t i, void *dst, size_t nbytes, gb_error_t *err)
{
    if (!st || i >= st->n)
        return gb_error_set(err, GB_EINVAL, "no tensor %zu", i);
    const gb_st_info_t *t = &st->t[i];
    char nb[96];
    if (nbytes != t->nbytes || (!dst && nbytes))
        return fail(err, st->name, GB_EINVAL, "tensor '%s' has %llu bytes, not %zu",
                    gb_shown(t->name, nb, sizeof nb), (unsigned long long)t->nbytes, nbytes);
    if (!nbytes)
        return GB_OK;
    if (st->mem) {
        memcpy(dst, st->mem + st->data_start + t->offset, nbytes);
        return GB_OK;
    }
    long long got = pread_full(st->fd, dst, nbytes, st->data_start + t->offset);
    if (got < 0 || (uint64_t)got != nbytes)
        return fail(err, st->name, GB_EIO, "tensor '%s': cannot read its data: %s",
                    gb_shown(t->name, nb, sizeof nb), got < 0 ? strerror(errno) : "file shrank while reading");
    return GB_OK;
}

/* A BF16 tensor widened in place: the count 16-bit values at the start of dst become
 * floats, last first so nothing is overwritten before it is read. */
static void widen_bf16(float *dst, size_t count)
{
    const unsigned char *p = (const unsigned char *)dst;
    for (size_t k = count; k-- > 0;)
        dst[k] = gb_bf16_to_f32((uint16_t)(p[2 * k] | p[2 * k + 1] << 8));
}

int gb_st_read_f32(const gb_st_t *st, size_t i, float *dst, size_t count, gb_error_t *err)
{
    if (!st || i >= st->n)
        return gb_error_set(err, GB_EINVAL, "no tensor %zu", i);
    const gb_st_info_t *t = &st->t[i];
    char nb[96];
    if (t->dtype != GB_ST_F32 && t->dtype != GB_ST_BF16)
        return fail(err, st->name, GB_EUNSUPPORTED, "tensor '%s' is %s, not F32 or BF16",
                    gb_shown(t->name, nb, sizeof nb), gb_st_dtype_name(t->dtype));
    if (count != t->count)
        return fail(err, st->name, GB_EINVAL, "tensor '%s' has %llu elements, not %zu",
                    gb_shown(t->name, nb, sizeof nb), (unsigned long long)t->count, count);
    if (t->dtype == GB_ST_BF16) {
        int rc = gb_st_read(st, i, dst, count * 2, err);
        if (!rc)
            widen_bf16(dst, count);
        return rc;
    }
    int rc = gb_st_read(st, i, dst, count * sizeof(float), err);
    if (rc || host_is_le())
        return rc;
    unsigned char *p = (unsigned char *)dst;
    for (size_t k = 0; k < count; k++, p += 4) {
        unsigned char c0 = p[0], c1 = p[1];
        p[0] = p[3];
        p[1] = p[2];
        p[2] = c1;
        p[3] = c0;
    }
    return GB_OK;
}

/* ---- writer --------------------------------------------------------------------------- */

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* count elements of `size` bytes in host order, written little-endian */
static int write_le(int fd, const void *data, size_t count, size_t size)
{
    if (host_is_le() || size == 1)
        return write_all(fd, data, count * size);
    const unsigned char *x = data;
    unsigned char buf[4096];
    while (count) {
        const size_t m = count < sizeof buf / size ? count : sizeof buf / size;
        for (size_t k = 0; k < m; k++)
            for (size_t b = 0; b < size; b++)
                buf[k * size + b] = x[k * size + size - 1 - b];
        if (write_all(fd, buf, m * size))
            return -1;
        x += m * size;
        count -= m;
    }
    return 0;
}

/* The "__metadata__" object of the header (nothing without entries). */
static int header_meta(json_t *root, const char *path, const gb_st_meta_t *meta, size_t n_meta,
                       gb_error_t *err)
{
    if (!n_meta)
        return GB_OK;
    json_t *m = json_object();
    if (!m || json_object_set_new(root, "__metadata__", m))
        return fail(err, path, GB_ENOMEM, "out of memory building the header");
    for (size_t i = 0; i < n_meta; i++) {
        if (!meta[i].key || !meta[i].value)
            return fail(err, path, GB_EINVAL, "metadata entry %zu has no key or value", i);
        if (json_object_get(m, meta[i].key))
            return fail(err, path, GB_EINVAL, "metadata key '%s' given twice", meta[i].key);
        json_t *s = json_string(meta[i].value);
        if (!s || json_object_set_new(m, meta[i].key, s))
            return fail(err, path, GB_EINVAL, "metadata '%s' is not valid UTF-8", meta[i].key);
    }
    return GB_OK;
}

/* The shape array of tensor t; its element count in *count. NULL with err set. */
static json_t *header_shape(const char *path, const gb_st_tensor_t *t, uint64_t *count,
                            gb_error_t *err)
{
    json_t *shape = json_array();
    *count = 1;
    for (int d = 0; shape && d < t->ndim; d++) {
        uint64_t dim = t->shape[d] < 0 ? 0 : (uint64_t)t->shape[d];
        if (t->shape[d] < 0 || (dim && *count > (UINT64_MAX / 8) / dim)) {
            json_decref(shape);
            fail(err, path, GB_EINVAL, "tensor '%s': bad shape[%d] = %lld", t->name, d,
                 (long long)t->shape[d]);
            return NULL;
        }
        *count *= (uint64_t)t->shape[d];
        json_array_append_new(shape, json_integer((json_int_t)t->shape[d]));
    }
    if (!shape)
        fail(err, path, GB_ENOMEM, "out of memory building the header");
    return shape;
}

/* Tensor i's entry of the header, its data at *pos (advanced past it). */
static int header_tensor(json_t *root, const char *path, const gb_st_tensor_t *t, size_t i,
                         uint64_t *pos, gb_error_t *err)
{
    if ((unsigned)t->dtype >= GB_ST_DTYPE_COUNT)
        return fail(err, path, GB_EINVAL, "tensor %zu has no valid dtype", i);
    if (!t->name || !t->name[0] || strcmp(t->name, "__metadata__") == 0)
        return fail(err, path, GB_EINVAL, "tensor %zu has an empty or reserved name", i);
    if (json_object_get(root, t->name))
        return fail(err, path, GB_EINVAL, "tensor name '%s' is used twice", t->name);
    if (t->ndim < 0 || t->ndim > GB_ST_MAX_DIMS)
        return fail(err, path, GB_EINVAL, "tensor '%s': %d dimensions (0..%d allowed)", t->name,
                    t->ndim, GB_ST_MAX_DIMS);
    json_t *e = json_object();
    if (!e || json_object_set_new(root, t->name, e))
        return fail(err, path, GB_EINVAL, "tensor '%s': name is not valid UTF-8", t->name);
    uint64_t count;
    json_t *shape = header_shape(path, t, &count, err), *offs = json_array();
    if (!shape || !offs) {
        json_decref(shape);
        json_decref(offs);
        return err && err->code ? err->code : GB_ENOMEM;
    }
    if (count && !t->data) {
        json_decref(shape);
        json_decref(offs);
        return fail(err, path, GB_EINVAL, "tensor '%s' has no data", t->name);
    }
    json_array_append_new(offs, json_integer((json_int_t)*pos));
    *pos += count * gb_st_dtype_size(t->dtype);
    json_array_append_new(offs, json_integer((json_int_t)*pos));
    if (json_object_set_new(e, "dtype", json_string(gb_st_dtype_name(t->dtype))) ||
        json_object_set_new(e, "shape", shape) || json_object_set_new(e, "data_offsets", offs))
        return fail(err, path, GB_ENOMEM, "out of memory building the header");
    return GB_OK;
}

/* Build the JSON header; returns the root or NULL with err set. */
static json_t *build_header(const char *path, const gb_st_tensor_t *tensors, size_t n,
                            const gb_st_meta_t *meta, size_t n_meta, uint64_t *data_size,
                            gb_error_t *err)
{
    json_t *root = json_object();
    if (!root) {
        fail(err, path, GB_ENOMEM, "out of memory building the header");
        return NULL;
    }
    uint64_t pos = 0;
    int rc = header_meta(root, path, meta, n_meta, err);
    for (size_t i = 0; rc == GB_OK && i < n; i++)
        rc = header_tensor(root, path, &tensors[i], i, &pos, err);
    if (rc != GB_OK) {
        json_decref(root);
        return NULL;
    }
    *data_size = pos;
    return root;
}

static void sync_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
    if (!dir)
        return;
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd); /* best effort: makes the rename durable where supported */
        close(fd);
    }
    free(dir);
}

int gb_st_save_f32(const char *path, const gb_st_f32_t *tensors, size_t n,
                   const gb_st_meta_t *meta, size_t n_meta, gb_error_t *err)
{
    if (n && !tensors)
        return gb_st_save(path, NULL, n, meta, n_meta, err);
    gb_st_tensor_t *t = calloc(n ? n : 1, sizeof *t);
    if (!t)
        return fail(err, path ? path : "", GB_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        t[i].name = tensors[i].name;
        t[i].dtype = GB_ST_F32;
        t[i].ndim = tensors[i].ndim;
        memcpy(t[i].shape, tensors[i].shape, sizeof t[i].shape);
        t[i].data = tensors[i].data;
    }
    const int rc = gb_st_save(path, t, n, meta, n_meta, err);
    free(t);
    return rc;
}

int gb_st_save(const char *path, const gb_st_tensor_t *tensors, size_t n,
               const gb_st_meta_t *meta, size_t n_meta, gb_error_t *err)
{
    if (!path || !path[0])
        return gb_error_set(err, GB_EINVAL, "no file name");
    if ((n && !tensors) || (n_meta && !meta))
        return fail(err, path, GB_EINVAL, "no tensors or metadata given");
    uint64_t data_size = 0;
    json_t *root = build_header(path, tensors, n, meta, n_meta, &data_size, err);
    if (!root)
        return err ? err->code : GB_EINVAL;
    char *hdr = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!hdr)
        return fail(err, path, GB_ENOMEM, "out of memory serialising the header");
    size_t hlen = strlen(hdr), padded = GB_ROUND_UP(hlen, 8);

    int rc = GB_OK, fd = -1, created = 0;
    size_t tmplen = strlen(path) + 48;
    char *tmp = malloc(tmplen);
    char *block = malloc(8 + padded);
    if (!tmp || !block) {
        rc = fail(err, path, GB_ENOMEM, "out of memory");
        goto done;
    }
    static unsigned counter;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        snprintf(tmp, tmplen, "%s.tmp.%ld.%u", path, (long)getpid(), counter++);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    created = fd >= 0;
    if (fd < 0) {
        rc = fail(err, path, GB_EIO, "cannot create temporary file %s: %s", tmp,
                  strerror(errno));
        goto done;
    }
    for (int b = 0; b < 8; b++)
        block[b] = (char)(unsigned char)((uint64_t)padded >> (8 * b));
    memcpy(block + 8, hdr, hlen);
    memset(block + 8 + hlen, ' ', padded - hlen);
    int bad = write_all(fd, block, 8 + padded);
    for (size_t i = 0; i < n && !bad; i++) {
        uint64_t count = 1;
        for (int d = 0; d < tensors[i].ndim; d++)
            count *= (uint64_t)tensors[i].shape[d];
        if (count)
            bad = write_le(fd, tensors[i].data, (size_t)count,
                           gb_st_dtype_size(tensors[i].dtype));
    }
    if (bad || fsync(fd) != 0) {
        rc = fail(err, path, GB_EIO, "cannot write %s: %s", tmp, strerror(errno));
        goto done;
    }
    int cfd = fd;
    fd = -1;
    if (close(cfd) != 0) {
        rc = fail(err, path, GB_EIO, "cannot write %s: %s", tmp, strerror(errno));
        goto done;
    }
    if (rename(tmp, path) != 0) {
        rc = fail(err, path, GB_EIO, "cannot rename %s to it: %s", tmp, strerror(errno));
        goto done;
    }
    sync_dir_of(path);
done:
    if (fd >= 0)
        close(fd);
    if (rc && created)
        unlink(tmp);
    free(tmp);
    free(block);
    free(hdr);
    return rc;
}
