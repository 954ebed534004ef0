/* gb_simd.c — CPU feature detection and the GBAC_SIMD override.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_simd.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

static const char *const simd_names[GB_SIMD_COUNT] = {"scalar", "avx2", "avx512",
                                                          "avx512bf16", "neon"};

const char *gb_simd_name(gb_simd_t s)
{
    return (unsigned)s < GB_SIMD_COUNT ? simd_names[s] : "?";
}

int gb_simd_parse(const char *name, gb_simd_t *out)
{
    for (int i = 0; i < GB_SIMD_COUNT; i++) {
        if (name && strcmp(name, simd_names[i]) == 0) {
            *out = (gb_simd_t)i;
            return GB_OK;
        }
    }
    return GB_EINVAL;
}

bool gb_simd_available(gb_simd_t s)
{
    switch (s) {
    case GB_SIMD_SCALAR: return true;
#if defined(__x86_64__)
    /* libgcc's __builtin_cpu_supports also checks XCR0, i.e. that the OS saves the
     * registers. */
    case GB_SIMD_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case GB_SIMD_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("fma");
    case GB_SIMD_AVX512BF16:
        return gb_simd_available(GB_SIMD_AVX512) && __builtin_cpu_supports("avx512bf16");
#endif
#if defined(__aarch64__)
    case GB_SIMD_NEON: return true;
#endif
    default: return false;
    }
}

int gb_simd_default(gb_simd_t *out, gb_error_t *err)
{
    static int cached = -1;
    if (cached >= 0) {
        *out = (gb_simd_t)cached;
        return GB_OK;
    }
    const char *env = getenv("GBAC_SIMD");
    gb_simd_t s = GB_SIMD_SCALAR;
    if (env && *env) {
        if (gb_simd_parse(env, &s) != GB_OK)
            return gb_error_set(err, GB_EINVAL,
                                "GBAC_SIMD=%s: unknown kernel family (use scalar, avx2, avx512, "
                                "avx512bf16 or neon)", env);
        if (!gb_simd_available(s))
            return gb_error_set(err, GB_EUNSUPPORTED,
                                "GBAC_SIMD=%s: this CPU or build does not support %s kernels",
                                env, env);
    } else {
        const gb_simd_t pref[] = {GB_SIMD_AVX512BF16, GB_SIMD_AVX512, GB_SIMD_AVX2,
                                 GB_SIMD_NEON};
        for (size_t i = 0; i < sizeof pref / sizeof pref[0]; i++) {
            if (gb_simd_available(pref[i])) {
                s = pref[i];
                break;
            }
        }
    }
    cached = (int)s;
    *out = s;
    return GB_OK;
}

void gb_denormals_off(void)
{
#if defined(__x86_64__) || defined(__i386__)
    _mm_setcsr(_mm_getcsr() | 0x8040); /* FTZ (bit 15) | DAZ (bit 6) */
#elif defined(__aarch64__)
    unsigned long fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    __asm__ volatile("msr fpcr, %0" ::"r"(fpcr | (1ul << 24)));
#endif
}
