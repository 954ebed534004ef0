/* gb_latent_map.c — latent scatter picture with cairo (PNG or SVG).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_latent_map.h"

#include <cairo-svg.h>
#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define GB_PI 3.14159265358979323846

static const char *const family_names[GB_GM_FAMILIES] = {
    "Piano",      "Chromatic Percussion", "Organ",      "Guitar",
    "Bass",       "Strings",              "Ensemble",   "Brass",
    "Reed",       "Pipe",                 "Synth Lead", "Synth Pad",
    "Synth Effects", "Ethnic",            "Percussive", "Sound Effects",
};

/* 16 colours that stay apart from each other on white (after Trubetskoy's list, the yellow
 * darkened so it reads on white). */
static const double family_rgb[GB_GM_FAMILIES][3] = {
    {0.902, 0.098, 0.294}, {0.235, 0.706, 0.294}, {0.800, 0.650, 0.000}, {0.263, 0.388, 0.847},
    {0.961, 0.510, 0.192}, {0.569, 0.118, 0.706}, {0.259, 0.831, 0.957}, {0.941, 0.196, 0.902},
    {0.600, 0.800, 0.150}, {0.980, 0.600, 0.700}, {0.275, 0.600, 0.565}, {0.700, 0.560, 0.950},
    {0.604, 0.388, 0.141}, {0.502, 0.000, 0.000}, {0.502, 0.502, 0.000}, {0.000, 0.000, 0.459},
};

const char *gb_gm_family_name(int family)
{
    return family >= 0 && family < GB_GM_FAMILIES ? family_names[family] : NULL;
}

/* A "nice" tick step (1, 2 or 5 × 10^k) giving about `want` intervals over span. */
static double nice_step(double span, int want)
{
    double raw = span / want, p = pow(10.0, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1.0 : m < 3.5 ? 2.0 : m < 7.5 ? 5.0 : 10.0) * p;
}

static cairo_status_t write_file(void *closure, const unsigned char *data, unsigned int len)
{
    return fwrite(data, 1, len, (FILE *)closure) == len ? CAIRO_STATUS_SUCCESS
                                                        : CAIRO_STATUS_WRITE_ERROR;
}

static void text_at(cairo_t *cr, double x, double y, const char *s, double align_x,
                    double align_y)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, x - e.x_bearing - align_x * e.width, y - e.y_bearing - align_y * e.height);
    cairo_show_text(cr, s);
}

static void draw(cairo_t *cr, const gb_latent_point_t *pt, int n, const char *title,
                 const char *subtitle, const char *xlabel, const char *ylabel,
                 const char *outline_label)
{
    const double W = GB_LATENT_MAP_WIDTH, H = GB_LATENT_MAP_HEIGHT;
    const double L = 90, R = W - 250, T = 80, B = H - 75; /* plot area */
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);

    double x0 = pt[0].x, x1 = pt[0].x, y0 = pt[0].y, y1 = pt[0].y;
    int used[GB_GM_FAMILIES + 1] = {0}, any_outline = 0;
    for (int i = 0; i < n; i++) {
        x0 = fmin(x0, pt[i].x), x1 = fmax(x1, pt[i].x);
        y0 = fmin(y0, pt[i].y), y1 = fmax(y1, pt[i].y);
        int f = pt[i].program >= 0 && pt[i].program < 128 ? pt[i].program / 8 : GB_GM_FAMILIES;
        used[f] = 1;
        any_outline |= pt[i].outline;
    }
    /* 5% margin; a degenerate range gets a unit span. */
    double dx = x1 - x0 > 1e-9 ? x1 - x0 : 1.0, dy = y1 - y0 > 1e-9 ? y1 - y0 : 1.0;
    x0 -= 0.05 * dx, x1 = x0 + 1.1 * dx, y0 -= 0.05 * dy, y1 = y0 + 1.1 * dy;
#define PX(v) (L + ((v) - x0) / (x1 - x0) * (R - L))
#define PY(v) (B - ((v) - y0) / (y1 - y0) * (B - T))

    /* Grid, ticks and tick labels. */
    char buf[64];
    cairo_set_font_size(cr, 12);
    cairo_set_line_width(cr, 1);
    for (int axis = 0; axis < 2; axis++) {
        double lo = axis ? y0 : x0, hi = axis ? y1 : x1, st = nice_step(hi - lo, 6);
        for (double v = ceil(lo / st) * st; v <= hi + 1e-9 * st; v += st) {
            double vv = fabs(v) < 1e-9 * st ? 0.0 : v;
            snprintf(buf, sizeof buf, "%g", vv);
            cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
            if (axis) {
                cairo_move_to(cr, L, PY(vv)), cairo_line_to(cr, R, PY(vv));
            } else {
                cairo_move_to(cr, PX(vv), T), cairo_line_to(cr, PX(vv), B);
            }
            cairo_stroke(cr);
            cairo_set_source_rgb(cr, 0, 0, 0);
            if (axis) {
                cairo_move_to(cr, L - 6, PY(vv)), cairo_line_to(cr, L, PY(vv));
                cairo_stroke(cr);
                text_at(cr, L - 9, PY(vv), buf, 1.0, 0.5);
            } else {
                cairo_move_to(cr, PX(vv), B), cairo_line_to(cr, PX(vv), B + 6);
                cairo_stroke(cr);
                text_at(cr, PX(vv), B + 10, buf, 0.5, 0.0);
            }
        }
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, L, T, R - L, B - T);
    cairo_stroke(cr);

    /* Axis labels and title. */
    cairo_set_font_size(cr, 15);
    text_at(cr, (L + R) / 2, B + 38, xlabel, 0.5, 0.0);
    cairo_save(cr);
    cairo_translate(cr, L - 62, (T + B) / 2);
    cairo_rotate(cr, -GB_PI / 2);
    text_at(cr, 0, 0, ylabel, 0.5, 0.0);
    cairo_restore(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 19);
    text_at(cr, W / 2, 18, title, 0.5, 0.0);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 13);
    text_at(cr, W / 2, 48, subtitle, 0.5, 0.0);

    /* Points, clipped to the plot area. */
    cairo_save(cr);
    cairo_rectangle(cr, L, T, R - L, B - T);
    cairo_clip(cr);
    for (int i = 0; i < n; i++) {
        int f = pt[i].program >= 0 && pt[i].program < 128 ? pt[i].program / 8 : GB_GM_FAMILIES;
        const double *c = f < GB_GM_FAMILIES ? family_rgb[f] : (const double[3]){0.5, 0.5, 0.5};
        cairo_new_path(cr); /* no line from the last text's current point */
        cairo_arc(cr, PX(pt[i].x), PY(pt[i].y), 4.0, 0, 2 * GB_PI);
        cairo_set_source_rgba(cr, c[0], c[1], c[2], 0.85);
        if (pt[i].outline) {
            cairo_fill_preserve(cr);
            cairo_set_source_rgb(cr, 0, 0, 0);
            cairo_set_line_width(cr, 1.3);
            cairo_stroke(cr);
        } else {
            cairo_fill(cr);
        }
    }
    cairo_restore(cr);
#undef PX
#undef PY

    /* Legend: the families present, in GM order. */
    double lx = R + 25, ly = T + 6;
    cairo_set_font_size(cr, 13);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text_at(cr, lx, ly, "GM family (program / 8)", 0.0, 0.0);
    ly += 28;
    for (int f = 0; f <= GB_GM_FAMILIES; f++) {
        if (!used[f])
            continue;
        const double *c = f < GB_GM_FAMILIES ? family_rgb[f] : (const double[3]){0.5, 0.5, 0.5};
        cairo_set_source_rgb(cr, c[0], c[1], c[2]);
        cairo_new_path(cr);
        cairo_arc(cr, lx + 6, ly, 5.5, 0, 2 * GB_PI);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        if (f < GB_GM_FAMILIES)
            snprintf(buf, sizeof buf, "%d %s", f, family_names[f]);
        else
            snprintf(buf, sizeof buf, "not GM (files)");
        text_at(cr, lx + 18, ly, buf, 0.0, 0.5);
        ly += 24;
    }
    if (any_outline && outline_label) {
        ly += 8;
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_new_path(cr);
        cairo_arc(cr, lx + 6, ly, 5.0, 0, 2 * GB_PI);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_line_width(cr, 1.3);
        cairo_stroke(cr);
        snprintf(buf, sizeof buf, "outlined: %s", outline_label);
        text_at(cr, lx + 18, ly, buf, 0.0, 0.5);
    }
}

int gb_latent_map_write(const char *path, const gb_latent_point_t *points, int n,
                        const char *title, const char *subtitle, const char *xlabel,
                        const char *ylabel, const char *outline_label, gb_error_t *err)
{
    if (!path || !points || n < 1 || !title || !subtitle || !xlabel || !ylabel)
        return gb_error_set(err, GB_EINVAL, "latent map: nothing to draw");
    const size_t pl = strlen(path);
    const int svg = pl >= 4 && !strcasecmp(path + pl - 4, ".svg");
    FILE *f = fopen(path, "wb");
    if (!f)
        return gb_error_set(err, GB_EIO, "%s: cannot create the map: %s", path, strerror(errno));
    cairo_surface_t *s =
        svg ? cairo_svg_surface_create_for_stream(write_file, f, GB_LATENT_MAP_WIDTH,
                                                  GB_LATENT_MAP_HEIGHT)
            : cairo_image_surface_create(CAIRO_FORMAT_ARGB32, GB_LATENT_MAP_WIDTH,
                                         GB_LATENT_MAP_HEIGHT);
    cairo_t *cr = cairo_create(s);
    draw(cr, points, n, title, subtitle, xlabel, ylabel, outline_label);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    if (st == CAIRO_STATUS_SUCCESS && !svg)
        st = cairo_surface_write_to_png_stream(s, write_file, f);
    cairo_surface_finish(s); /* SVG: writes the document */
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    const int close_failed = fclose(f) != 0;
    if (st != CAIRO_STATUS_SUCCESS || close_failed) {
        remove(path);
        return gb_error_set(err, GB_EIO, "%s: writing the map failed: %s", path,
                            st != CAIRO_STATUS_SUCCESS ? cairo_status_to_string(st)
                                                       : strerror(errno));
    }
    return GB_OK;
}
