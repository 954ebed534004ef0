/* gb_share.h — where the files gbac ships (presets, models, the demo, the corpus) are found.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_SHARE_H
#define GB_SHARE_H

#include <stddef.h>

/** The data folder: $GBAC_DATA_DIR if set (the only place then looked at), else ../share/gbac
 *  next to the executable, the executable's folder, and the source tree gbac was built from;
 *  the first that holds `probe` (a relative path, e.g. "presets/default.json"). Fills tried
 *  with the folders looked at. Returns 0, or -1 if none holds it. [main] */
int gb_share_dir(const char *probe, char *out, size_t cap, char *tried, size_t tcap);

/** The full path of a shipped file `rel` (e.g. "models/melody-gan.safetensors") in the data
 *  folder into out. Returns 0, or -1 with the folders looked at in tried. [main] */
int gb_share_file(const char *rel, char *out, size_t cap, char *tried, size_t tcap);

/** A preset argument: a path if it has a '/' or ends in .json, else the file of a shipped
 *  preset of that name in data/presets/. [main] */
void gb_share_preset_path(const char *data, const char *arg, char *out, size_t cap);

/** A model (or other data) file named in a preset or state: as given if absolute or readable
 *  from the working folder, else inside gbac's data folder (found by `probe`, e.g. the
 *  shipped model's relative path). [main] */
void gb_share_resolve(const char *name, const char *probe, char *out, size_t cap);

#endif
