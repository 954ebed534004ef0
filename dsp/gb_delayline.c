/* gb_delayline.c — allocation and clearing of gb_delayline_t (taps are inline in the header).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_delayline.h"

#include <stdlib.h>
#include <string.h>

int gb_delayline_init(gb_delayline_t *d, uint32_t max_delay, gb_error_t *err)
{
    if (!d)
        return gb_error_set(err, GB_EINVAL, "delay line: no struct given");
    memset(d, 0, sizeof *d);
    if (max_delay < 1 || max_delay > (1u << 28))
        return gb_error_set(err, GB_EINVAL, "delay line: max delay %u is outside 1..%u samples",
                            max_delay, 1u << 28);
    /* +2: a fractional tap at max_delay also reads the sample one older. */
    uint32_t size = 64; /* a whole cache line at least, and a multiple of GB_ALIGN bytes */
    while (size < max_delay + 2u)
        size <<= 1;
    d->buf = aligned_alloc(GB_ALIGN, (size_t)size * sizeof(float));
    if (!d->buf)
        return gb_error_set(err, GB_ENOMEM, "delay line: out of memory for %u samples", size);
    memset(d->buf, 0, (size_t)size * sizeof(float));
    d->mask = size - 1u;
    d->max_delay = max_delay;
    return GB_OK;
}

void gb_delayline_free(gb_delayline_t *d)
{
    if (!d)
        return;
    free(d->buf);
    memset(d, 0, sizeof *d);
}

void gb_delayline_clear(gb_delayline_t *d)
{
    if (d && d->buf)
        memset(d->buf, 0, ((size_t)d->mask + 1u) * sizeof(float));
    if (d)
        d->w = 0;
}
