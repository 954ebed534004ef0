/* gb_file.h — small file helpers shared by the loaders.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_FILE_H
#define GB_FILE_H

#include <stddef.h>

#include "gb_common.h"

/** Read a whole file into a new buffer (NUL-terminated, so text parsers can use it; *len
 *  excludes the NUL). Refuses files larger than max_bytes. what names the kind of file in
 *  messages ("MIDI file", "score"): "PATH: cannot open: ...", "PATH: too large for a score
 *  (limit N bytes)". Returns the buffer (free it) or NULL with err set. [main] */
char *gb_file_read_all(const char *path, size_t max_bytes, const char *what, size_t *len,
                       gb_error_t *err);

#endif
