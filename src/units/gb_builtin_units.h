/* gb_builtin_units.h — the descriptors of the units built into gbac (src/units/unit_*.c).
 * The engine's unit registry (src/engine/gb_unit_registry.h) registers them; they use the
 * same ABI as external plugins (gbac_plugin.h). Their ids are "gbac.<name>".
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_BUILTIN_UNITS_H
#define GB_BUILTIN_UNITS_H

#include "gbac_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const gbp_descriptor_t gb_unit_harmsynth;   /* "gbac.harmonic-synth", instrument */
extern const gbp_descriptor_t gb_unit_timbrevae;   /* "gbac.timbre-vae", instrument */
extern const gbp_descriptor_t gb_unit_delay;       /* "gbac.delay", effect */
extern const gbp_descriptor_t gb_unit_reverb;      /* "gbac.reverb", effect */
extern const gbp_descriptor_t gb_unit_limiter;     /* "gbac.limiter", effect */
extern const gbp_descriptor_t gb_unit_arpeggiator; /* "gbac.arpeggiator", note source */
extern const gbp_descriptor_t gb_unit_melodygan;   /* "gbac.melody-gan", note source */

#ifdef __cplusplus
}
#endif
#endif
