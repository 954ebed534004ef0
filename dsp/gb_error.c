/* gb_error.c — the error convention of gb_common.h.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_common.h"

#include <stdarg.h>
#include <stdio.h>

const char *gb_strerror(int code)
{
    switch (code) {
    case GB_OK: return "success";
    case GB_EINVAL: return "invalid argument";
    case GB_ENOMEM: return "out of memory";
    case GB_EIO: return "input/output error";
    case GB_EFORMAT: return "malformed data";
    case GB_EUNSUPPORTED: return "not supported";
    case GB_ERANGE: return "value out of range";
    default: return "unknown error";
    }
}

int gb_error_set(gb_error_t *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void gb_error_clear(gb_error_t *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}
