/* no_entry.c — test plugin whose entry point is misspelled, so the host finds no
 * gbac_plugin_entry symbol.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "stub.h"

static const gbp_descriptor_t desc = STUB_DESCRIPTOR("test.no-entry");

const gbp_descriptor_t *gbac_plugin_entrypoint(uint32_t index);

const gbp_descriptor_t *gbac_plugin_entrypoint(uint32_t index)
{
    return index == 0 ? &desc : NULL;
}
