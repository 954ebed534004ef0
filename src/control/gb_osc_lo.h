/* gb_osc_lo.h — liblo messages to and from the front-end-neutral gb_osc_msg_t, for the live
 * OSC server and the control scores.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_OSC_LO_H
#define GB_OSC_LO_H

#include <lo/lo.h>

#include "gb_osc_handlers.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A liblo message as a gb_osc_msg_t: types (GB_OSC_MAX_ARGS + 1 bytes) and argv
 *  (GB_OSC_MAX_ARGS) are the caller's; strings point into m, which must outlive out.
 *  m may be NULL (no arguments). Returns 0, or GB_EINVAL when m has more than
 *  GB_OSC_MAX_ARGS arguments or its type tags and arguments disagree. [any] */
int gb_osc_lo_msg(const char *path, lo_message m, gb_osc_msg_t *out, char *types,
                  gb_osc_arg_t *argv);

/** A new liblo message holding the arguments (i h f d s S c T F N I); NULL on out of memory
 *  or an unknown tag. Free with lo_message_free. [any] */
lo_message gb_osc_lo_build(const char *types, const gb_osc_arg_t *argv);

#ifdef __cplusplus
}
#endif
#endif
