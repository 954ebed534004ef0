/* no_process.c — test plugin whose descriptor lacks the process callback.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "stub.h"

static gbp_descriptor_t desc = STUB_DESCRIPTOR("test.no-process");

const gbp_descriptor_t *gbac_plugin_entry(uint32_t index)
{
    desc.process = NULL;
    return index == 0 ? &desc : NULL;
}
