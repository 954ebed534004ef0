/* bad_abi.c — test plugin built for a future ABI: abi_version 7. Must be refused before the
 * host reads anything else.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "stub.h"

static const gbp_descriptor_t desc = {
    .abi_version = 7, /* the rest is deliberately garbage: the host must stop at the version */
    .struct_size = 3,
    .id = NULL,
};

const gbp_descriptor_t *gbac_plugin_entry(uint32_t index)
{
    return index == 0 ? &desc : NULL;
}
