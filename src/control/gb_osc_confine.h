/* gb_osc_confine.h — file names that arrive over OSC, confined to a folder: relative, no
 * "..", no control characters, and resolving (after symlinks) inside the folder.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_OSC_CONFINE_H
#define GB_OSC_CONFINE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Resolve NAME inside dir, adding ext (".json") when NAME does not end with it. must_exist:
 *  the file must exist (load); else its folder must (save, record), and an existing file must
 *  not lead outside (symlink). Returns 0 with the resolved path in out, or -1 with the reason
 *  in why ("'../x' contains '..'; names must stay inside the folder"). [main] */
int gb_osc_confine(const char *dir, const char *name, const char *ext, int must_exist,
                   char *out, size_t cap, char *why, size_t wcap);

#ifdef __cplusplus
}
#endif
#endif
