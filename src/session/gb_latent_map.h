/* gb_latent_map.h — a scatter picture of notes in two latent dimensions, coloured by General
 * MIDI instrument family (`gbac eval timbre --map`), drawn with cairo.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_LATENT_MAP_H
#define GB_LATENT_MAP_H

#include "gb_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_LATENT_MAP_WIDTH 1000 /* picture size, px (PNG pixels, SVG points) */
#define GB_LATENT_MAP_HEIGHT 800
#define GB_GM_FAMILIES 16

/** One plotted point. */
typedef struct gb_latent_point {
    float x, y;  /* latent coordinates (e.g. mu_0, mu_1) */
    int program; /* GM program 0..127 (family = program / 8), or -1: not GM (drawn grey) */
    int outline; /* 1: draw a dark ring around the dot (e.g. a test-split note) */
} gb_latent_point_t;

/** The 16 GM instrument family names ("Piano", ..., "Sound Effects"); NULL out of range. [any] */
const char *gb_gm_family_name(int family);

/** Draw points[0 .. n) as a GB_LATENT_MAP_WIDTH × GB_LATENT_MAP_HEIGHT picture: axes with
 *  ticks and the labels xlabel / ylabel, the title and a subtitle line above the plot, a
 *  legend of the families present (and "outlined: " outline_label when any point is
 *  outlined).
 *  The format follows path's extension: ".svg" (any case) writes SVG, anything else PNG.
 *  Returns 0, or GB_EIO with err naming path and the reason (cannot create, write failed),
 *  GB_EINVAL (n < 1 or a NULL argument). [main] */
int gb_latent_map_write(const char *path, const gb_latent_point_t *points, int n,
                        const char *title, const char *subtitle, const char *xlabel,
                        const char *ylabel, const char *outline_label, gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
