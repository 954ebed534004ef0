/* gb_common.h — error convention and small shared macros for all of gbac.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One error convention everywhere: functions return 0 (GB_OK) or a negative GB_E* code, and
 * when the caller passes a gb_error_t they also get a message that says what was wrong and
 * where (file, tensor, key). gb_error_t lives on the caller's stack; nothing is allocated.
 */
#ifndef GB_COMMON_H
#define GB_COMMON_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    GB_OK = 0,
    GB_EINVAL = -1,       /* invalid argument or option */
    GB_ENOMEM = -2,       /* out of memory */
    GB_EIO = -3,          /* file could not be opened, read or written */
    GB_EFORMAT = -4,      /* malformed file or message */
    GB_EUNSUPPORTED = -5, /* feature not available (CPU, build) */
    GB_ERANGE = -6,       /* value out of its allowed range */
};

/** Short text for a GB_E* code ("invalid argument", ...). [any] */
const char *gb_strerror(int code);

/** Error record filled by functions that can fail. msg is empty when no error happened. */
typedef struct gb_error {
    int code;
    char msg[512];
} gb_error_t;

/** Record an error (printf-style) in err if err is non-NULL; returns code so callers can
 *  `return gb_error_set(err, GB_EFORMAT, "...")`. [any, not audio: uses vsnprintf] */
int gb_error_set(gb_error_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Clear err (code 0, empty message). NULL-safe. [any] */
void gb_error_clear(gb_error_t *err);

/* Mark functions that run on the audio thread. With clang >= 20 this expands to the
 * `nonblocking` function effect so RTSan and -Wfunction-effects check them. */
#if defined(__clang__) && defined(__has_attribute)
#if __has_attribute(nonblocking)
#define GB_RT __attribute__((nonblocking))
#endif
#endif
#ifndef GB_RT
#define GB_RT
#endif

/* GB_RT_ESCAPE_BEGIN / _END: around a call in a GB_RT function that the effect analysis
 * cannot prove safe but that is, by a test it cannot follow (a call made only off the audio
 * thread) or by the callee's documented contract. Say why next to every use. */
#if defined(__clang__)
#define GB_RT_ESCAPE_BEGIN                                                                     \
    _Pragma("clang diagnostic push") _Pragma("clang diagnostic ignored \"-Wunknown-warning-option\"") \
        _Pragma("clang diagnostic ignored \"-Wfunction-effects\"")
#define GB_RT_ESCAPE_END _Pragma("clang diagnostic pop")
#else
#define GB_RT_ESCAPE_BEGIN
#define GB_RT_ESCAPE_END
#endif

/* GB_OFF_AUDIO_BEGIN / _END: around code in a GB_RT function that runs only when the caller
 * is known (by a test at run time) not to be on the audio thread, e.g. a host callback that
 * prints when it is called from the main thread. The effect analysis is told (an escape) and
 * RealtimeSanitizer stops checking for its duration. */
#if defined(__has_feature)
#if __has_feature(realtime_sanitizer)
#include <sanitizer/rtsan_interface.h>
#define GB_RTSAN_OFF_ __rtsan_disable();
#define GB_RTSAN_ON_ __rtsan_enable();
#endif
#endif
#ifndef GB_RTSAN_OFF_
#define GB_RTSAN_OFF_
#define GB_RTSAN_ON_
#endif
#define GB_OFF_AUDIO_BEGIN GB_RT_ESCAPE_BEGIN GB_RTSAN_OFF_
#define GB_OFF_AUDIO_END GB_RTSAN_ON_ GB_RT_ESCAPE_END

#define GB_PI 3.14159265358979323846
#define GB_ALIGN 64
#define GB_ROUND_UP(n, m) ((((n) + (m)-1) / (m)) * (m))

#ifdef __cplusplus
}
#endif
#endif
