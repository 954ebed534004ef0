/* gb_lv2p_plugins.c — the units shipped as LV2 plugins, and their port layout.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_lv2p_plugins.h"

#include <string.h>

#include "gb_builtin_units.h"

static const gb_lv2p_plugin_t plugins[] = {
    {&gb_unit_timbrevae, GB_LV2P_URI "timbre-vae", "timbre-vae.ttl"},
    {&gb_unit_harmsynth, GB_LV2P_URI "harmonic-synth", "harmonic-synth.ttl"},
    {&gb_unit_melodygan, GB_LV2P_URI "melody-gan", "melody-gan.ttl"},
};

const gb_lv2p_plugin_t *gb_lv2p_plugin(uint32_t index)
{
    return index < sizeof plugins / sizeof plugins[0] ? &plugins[index] : NULL;
}

gb_lv2p_layout_t gb_lv2p_layout(gbp_kind_t kind)
{
    if (kind == GBP_KIND_NOTE_SOURCE)
        return (gb_lv2p_layout_t){.events_in = 0, .events_out = 1, .out_l = GB_LV2P_NO_PORT,
                                 .out_r = GB_LV2P_NO_PORT, .latency = 2, .first_param = 3};
    return (gb_lv2p_layout_t){.events_in = 0, .events_out = GB_LV2P_NO_PORT, .out_l = 1,
                             .out_r = 2, .latency = 3, .first_param = 4};
}

int gb_lv2p_symbol_ok(const char *s)
{
    static const char *const fixed[] = {"events_in", "events_out", "out_l", "out_r",
                                        "latency", NULL};
    if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return 0;
    for (int i = 0; fixed[i]; i++)
        if (strcmp(s, fixed[i]) == 0)
            return 0;
    return 1;
}
