/* gb_safetensors.h — read and write safetensors files (the format of Hugging Face's
 * `safetensors` library): a strict reader and an atomic writer (float32, or any dtype).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * File layout
 *   bytes 0..7      N, the header length, unsigned 64-bit little-endian
 *   bytes 8..8+N    the header: a UTF-8 JSON object
 *                     { "__metadata__": { "key": "value", ... },          (optional)
 *                       "NAME": { "dtype": "F32", "shape": [d0, d1, ...],
 *                                 "data_offsets": [begin, end] }, ... }
 *   bytes 8+N..     the data section: raw little-endian tensors, row-major (C order);
 *                   offsets are relative to the start of the data section.
 *
 * What the reader rejects (each with a message that starts with the file name and names
 * the tensor or key): a file shorter than 8 bytes; N = 0, N larger than the rest of the file
 * or larger than GB_ST_MAX_HEADER (100 MB, as the reference implementation); invalid JSON
 * (with jansson's line and column), duplicate keys, a header that is not an object or does
 * not start with '{'; a "__metadata__" that is not an object of strings; a tensor entry that
 * is not an object with exactly the keys dtype, shape, data_offsets; an unknown dtype; a
 * shape that is not an array of at most GB_ST_MAX_DIMS non-negative integers; data_offsets
 * that are not [begin, end] with begin <= end, that lie outside the data section, that do not
 * match the dtype size times the number of elements, that overlap, that leave gaps, or that
 * do not cover the data section exactly (trailing bytes). These are the rules of the
 * reference implementation, so a file this reader accepts loads in Python; it is a little
 * stricter (unknown entry keys, rank > 8, dtypes newer than the list below).
 *
 * Memory: reading a file allocates the header (at most min(N, file size)) plus a small table
 * per tensor; tensor data is only read on request (gb_st_read*), into the caller's buffer.
 * Nothing is allocated from a size the file claims without first checking it against the
 * real size of the file.
 *
 * Error codes (gb_common.h): GB_EIO (cannot open or read), GB_EFORMAT (malformed),
 * GB_ERANGE (header larger than the limit), GB_ENOMEM, GB_EINVAL (bad arguments).
 */
#ifndef GB_SAFETENSORS_H
#define GB_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "gb_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest header the reader accepts (bytes), as in the reference implementation. */
#define GB_ST_MAX_HEADER 100000000u
/** Largest tensor rank. */
#define GB_ST_MAX_DIMS 8

/** Element types of the safetensors format; the writer takes every one (BF16 data as the
 *  16-bit patterns, gb_bf16.h rounds floats to them). */
typedef enum gb_st_dtype {
    GB_ST_BOOL = 0,
    GB_ST_U8,
    GB_ST_I8,
    GB_ST_F8_E5M2,
    GB_ST_F8_E4M3,
    GB_ST_I16,
    GB_ST_U16,
    GB_ST_F16,
    GB_ST_BF16,
    GB_ST_I32,
    GB_ST_U32,
    GB_ST_F32,
    GB_ST_F64,
    GB_ST_I64,
    GB_ST_U64,
    GB_ST_DTYPE_COUNT
} gb_st_dtype_t;

/** The format's name of a dtype ("F32", "BF16", ...). [any] */
const char *gb_st_dtype_name(gb_st_dtype_t dtype);

/** Size of one element in bytes. [any] */
size_t gb_st_dtype_size(gb_st_dtype_t dtype);

/** Parse a dtype name (case-sensitive, as in the format). Returns 0 or GB_EINVAL. [any] */
int gb_st_dtype_parse(const char *name, gb_st_dtype_t *out);

/* ---- reader --------------------------------------------------------------------------- */

/** An opened, validated safetensors file (opaque). */
typedef struct gb_st gb_st_t;

/** Description of one tensor; pointers stay valid until gb_st_free(). */
typedef struct gb_st_info {
    const char *name;
    gb_st_dtype_t dtype;
    int ndim;                       /* 0 (a scalar) .. GB_ST_MAX_DIMS */
    int64_t shape[GB_ST_MAX_DIMS];  /* dims beyond ndim are 0 */
    uint64_t count;                 /* number of elements (1 for a scalar) */
    uint64_t offset;                /* begin, relative to the data section */
    uint64_t nbytes;                /* end - begin == count * dtype size */
} gb_st_info_t;

/** Open and validate a file (see the rules above). The file stays open until gb_st_free();
 *  tensor data is read on request.
 *  @return the reader, or NULL with err set (message "PATH: what is wrong").  [main] */
gb_st_t *gb_st_open(const char *path, gb_error_t *err);

/** Validate a file image in memory. The buffer is borrowed: it must stay valid and unchanged
 *  until gb_st_free(). `name` is used in error messages (e.g. the path it came from).
 *  @return the reader, or NULL with err set. [main] */
gb_st_t *gb_st_open_mem(const void *buf, size_t len, const char *name, gb_error_t *err);

/** Close and free. NULL-safe. [main] */
void gb_st_free(gb_st_t *st);

/** The name given to gb_st_open*() (used as the prefix of error messages). [any] */
const char *gb_st_name(const gb_st_t *st);

/** Number of tensors. [any] */
size_t gb_st_count(const gb_st_t *st);

/** Describe tensor i (0 .. count-1). Tensors are numbered in the order of their data.
 *  Returns 0 or GB_EINVAL. [any] */
int gb_st_info(const gb_st_t *st, size_t i, gb_st_info_t *info);

/** Index of the tensor called `name`, or -1. O(log n). [any] */
long gb_st_find(const gb_st_t *st, const char *name);

/** Number of "__metadata__" entries. [any] */
size_t gb_st_meta_count(const gb_st_t *st);

/** Metadata entry i (in file order): key and value. Returns 0 or GB_EINVAL. [any] */
int gb_st_meta_at(const gb_st_t *st, size_t i, const char **key, const char **value);

/** Value of metadata `key`, or NULL if absent. [any] */
const char *gb_st_meta_get(const gb_st_t *st, const char *key);

/** Copy the raw bytes of tensor i into dst (nbytes must equal the tensor's size).
 *  Errors: GB_EINVAL (bad index or size), GB_EIO (read failed, file truncated meanwhile).
 *  [main] */
int gb_st_read(const gb_st_t *st, size_t i, void *dst, size_t nbytes, gb_error_t *err);

/** Copy tensor i, which must be F32 or BF16 (widened exactly), into dst as host floats
 *  (count must equal the tensor's element count). Errors as gb_st_read(), and
 *  GB_EUNSUPPORTED for another dtype. [main] */
int gb_st_read_f32(const gb_st_t *st, size_t i, float *dst, size_t count, gb_error_t *err);

/* ---- writer --------------------------------------------------------------------------- */

/** One float32 tensor to write. */
typedef struct gb_st_f32 {
    const char *name;               /* unique, non-empty, not "__metadata__" */
    int ndim;                       /* 0 .. GB_ST_MAX_DIMS */
    int64_t shape[GB_ST_MAX_DIMS];  /* each >= 0 */
    const float *data;              /* product(shape) host floats; may be NULL if that is 0 */
} gb_st_f32_t;

/** One "__metadata__" entry (both UTF-8 strings). */
typedef struct gb_st_meta {
    const char *key;
    const char *value;
} gb_st_meta_t;

/** One tensor of any dtype to write (gb_st_save). */
typedef struct gb_st_tensor {
    const char *name;               /* unique, non-empty, not "__metadata__" */
    gb_st_dtype_t dtype;
    int ndim;                       /* 0 .. GB_ST_MAX_DIMS */
    int64_t shape[GB_ST_MAX_DIMS];  /* each >= 0 */
    const void *data;               /* product(shape) elements in host byte order (written
                                       little-endian); may be NULL if that is 0 */
} gb_st_tensor_t;

/** As gb_st_save_f32() for tensors of any dtype. [main] */
int gb_st_save(const char *path, const gb_st_tensor_t *tensors, size_t n,
               const gb_st_meta_t *meta, size_t n_meta, gb_error_t *err);

/** Write a safetensors file of float32 tensors and string metadata.
 *
 *  Tensors are stored in the given order; the header is padded with spaces so that the data
 *  section starts at a multiple of 8 bytes (as the Python library does). The file is written
 *  to a temporary file in the same directory (PATH.tmp.PID.N), flushed with fsync and renamed
 *  over `path`, so readers see the old file or the complete new one, never a partial one.
 *
 *  @param n_meta  number of metadata entries; 0 writes no "__metadata__".
 *  @return 0, or GB_EINVAL (bad names, shapes, duplicates, invalid UTF-8), GB_EIO, GB_ENOMEM
 *          with err set.  [main] */
int gb_st_save_f32(const char *path, const gb_st_f32_t *tensors, size_t n,
                   const gb_st_meta_t *meta, size_t n_meta, gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
