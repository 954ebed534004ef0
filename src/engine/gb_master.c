/* gb_master.c — the master section's parameters (see gb_master.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_master.h"

static const gbp_param_info_t master_params[] = {
    {GB_MASTER_GAIN_DB, "gain_db", "dB", -60, 12, 0, 20, 0, "master output level"},
};

const gbp_descriptor_t gb_master_desc = {
    .abi_version = GBP_ABI_VERSION,
    .struct_size = sizeof(gbp_descriptor_t),
    .id = "gbac.master",
    .name = "Master",
    .kind = GBP_KIND_EFFECT,
    .n_params = sizeof master_params / sizeof master_params[0],
    .params = master_params,
};
