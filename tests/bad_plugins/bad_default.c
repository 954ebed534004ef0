/* bad_default.c — test plugin with a parameter whose default (2) lies outside its range 0..1.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "stub.h"

static const gbp_param_info_t params[] = {
    {0, "level", "", 0.0f, 1.0f, 0.5f, 0.0f, 0, "fine"},
    {1, "depth", "", 0.0f, 1.0f, 2.0f, 0.0f, 0, "default out of range"},
};

static gbp_descriptor_t desc = STUB_DESCRIPTOR("test.bad-default");

const gbp_descriptor_t *gbac_plugin_entry(uint32_t index)
{
    desc.n_params = 2;
    desc.params = params;
    return index == 0 ? &desc : NULL;
}
