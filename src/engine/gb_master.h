/* gb_master.h — the engine's master section (the output strip after the effects): its
 * parameters, as one descriptor the engine runs and presets validate and save ("master").
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_MASTER_H
#define GB_MASTER_H

#include "gbac_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_MASTER_SLOT "master" /* its slot name: "master/gain_db" */

enum { GB_MASTER_GAIN_DB = 0 }; /* parameter ids (= indices in params) */

/** The master section as a pseudo unit: id "gbac.master", its parameters, no callbacks. */
extern const gbp_descriptor_t gb_master_desc;

#ifdef __cplusplus
}
#endif
#endif
