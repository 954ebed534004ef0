/* dup_id.c — test plugin exporting two units: a valid "test.dup-first", then one that
 * claims the built-in id "gbac.harmonic-synth". The plugin must be refused as a whole:
 * "test.dup-first" must not be registered either.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "stub.h"

static const gbp_descriptor_t first = STUB_DESCRIPTOR("test.dup-first");
static const gbp_descriptor_t dup = STUB_DESCRIPTOR("gbac.harmonic-synth");

const gbp_descriptor_t *gbac_plugin_entry(uint32_t index)
{
    return index == 0 ? &first : index == 1 ? &dup : NULL;
}
