/* gb_share.h — where the files gbac ships (presets, models, the demo, the corpus) and its
 * default plugin folder are found: relative to the executable, so an installed tree can be
 * moved and a build tree works without installing. No source or build path is compiled in.
 *
 *   installed:   PREFIX/bin/gbac   PREFIX/share/gbac/...   PREFIX/lib/gbac/plugins/
 *   build tree:  build/gbac        build/share/gbac/...    (links made by CMake)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_SHARE_H
#define GB_SHARE_H

#include <stddef.h>

/** Where the data folder is looked for, for --help texts (one wording everywhere). */
#define GB_SHARE_WHERE                                                                       \
    "$GBAC_DATA_DIR if it is set (only there), else in ../share/gbac next to the\n"          \
    "executable's folder (installed) or share/gbac beside the executable (build tree)"

/** The data folder: $GBAC_DATA_DIR if set (the only place then looked at), else the folders
 *  relative to the executable (see above); the first that holds `probe` (a relative path,
 *  e.g. "presets/default.json"). Fills tried with the folders looked at, comma-separated.
 *  Returns 0, or -1 if none holds it. [main] */
int gb_share_dir(const char *probe, char *out, size_t cap, char *tried, size_t tcap);

/** The full path of a shipped file `rel` (e.g. "models/melody-gan.safetensors") in the data
 *  folder into out. Returns 0, or -1 with the folders looked at in tried. [main] */
int gb_share_file(const char *rel, char *out, size_t cap, char *tried, size_t tcap);

/** The default plugin folder relative to the executable (PREFIX/lib/gbac/plugins for
 *  PREFIX/bin/gbac), whether or not it exists. Returns 0, or -1 if the executable's path
 *  is unknown. [main] */
int gb_share_plugin_dir(char *out, size_t cap);

/** A preset argument: a path if it has a '/' or ends in .json, else the file of a shipped
 *  preset of that name in data/presets/. [main] */
void gb_share_preset_path(const char *data, const char *arg, char *out, size_t cap);

/** The file of a preset argument: arg itself if it has a '/' or ends in .json, else the
 *  shipped preset of that name (presets/ARG.json in the data folder). Returns 0, or -1 when
 *  no data folder holds that preset, with the folders looked in in tried. [main] */
int gb_share_preset(const char *arg, char *out, size_t cap, char *tried, size_t tcap);

/** A model (or other data) file named in a preset or state: as given if absolute or readable
 *  from the working folder, else inside gbac's data folder (found by `probe`, e.g. the
 *  shipped model's relative path). [main] */
void gb_share_resolve(const char *name, const char *probe, char *out, size_t cap);

#endif
