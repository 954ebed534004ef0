/* gb_alloc_count.h — count heap allocations in a test binary, to prove that real-time code
 * does not allocate: malloc, calloc, realloc, free, memalign, aligned_alloc and posix_memalign
 * are replaced by versions that forward to glibc's __libc_* entry points and count calls while
 * armed. Include it in exactly one file of a test program. Under ASan (which owns malloc) the
 * counting is off and tests call gb_skip_if_not_interposed() to report a skip.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_ALLOC_COUNT_H
#define GB_ALLOC_COUNT_H

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define GB_INTERPOSE 0 /* ASan owns malloc; this test then only reports a skip */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define GB_INTERPOSE 0
#endif
#endif
#ifndef GB_INTERPOSE
#define GB_INTERPOSE 1
#endif

static volatile int gb_armed;
static long gb_n_alloc, gb_n_free;
static size_t gb_last_size;

#if GB_INTERPOSE
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t size);
void *memalign(size_t align, size_t size);

static void gb_count_alloc(size_t size)
{
    if (gb_armed) {
        __atomic_add_fetch(&gb_n_alloc, 1, __ATOMIC_RELAXED);
        gb_last_size = size;
    }
}

void *malloc(size_t size)
{
    gb_count_alloc(size);
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    gb_count_alloc(n * size);
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    gb_count_alloc(size);
    return __libc_realloc(p, size);
}

void free(void *p)
{
    if (gb_armed && p)
        __atomic_add_fetch(&gb_n_free, 1, __ATOMIC_RELAXED);
    __libc_free(p);
}

void *memalign(size_t align, size_t size)
{
    gb_count_alloc(size);
    return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
    gb_count_alloc(size);
    return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
    gb_count_alloc(size);
    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return EINVAL;
    void *p = __libc_memalign(align, size);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}
#endif

static inline void gb_arm(void)
{
    gb_n_alloc = gb_n_free = 0;
    gb_last_size = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    gb_armed = 1;
}

static inline void gb_disarm(void)
{
    gb_armed = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void gb_skip_if_not_interposed(void)
{
#if !GB_INTERPOSE
    printf("  built with a sanitizer that owns malloc: allocation counting disabled\n");
    skip();
#endif
}

#endif
