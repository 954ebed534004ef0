/* gb_sha256.h — SHA-256 (FIPS 180-4), small and self-contained: content hashes for the
 * timbre dataset's duplicate check and manifest.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_SHA256_H
#define GB_SHA256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GB_SHA256_BYTES 32
#define GB_SHA256_HEX (2 * GB_SHA256_BYTES + 1) /* hex digits + NUL */

/** Incremental state: gb_sha256_init, gb_sha256_update any number of times, gb_sha256_final. */
typedef struct gb_sha256 {
    uint32_t h[8];
    uint64_t len;    /* bytes hashed so far */
    uint8_t buf[64]; /* partial block */
    size_t n;        /* bytes in buf */
} gb_sha256_t;

/** Start a hash. [any] */
void gb_sha256_init(gb_sha256_t *s);

/** Hash len more bytes of data (data may be NULL when len is 0). [any] */
void gb_sha256_update(gb_sha256_t *s, const void *data, size_t len);

/** Finish: the 32-byte digest to out. s must be re-initialised before reuse. [any] */
void gb_sha256_final(gb_sha256_t *s, uint8_t out[GB_SHA256_BYTES]);

/** One-shot: the lower-case hex digest of data[0 .. len) to hex (65 bytes with the NUL).
 *  Returns hex. [any] */
char *gb_sha256_hex(const void *data, size_t len, char hex[GB_SHA256_HEX]);

#ifdef __cplusplus
}
#endif
#endif
