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

/* The plot area in the picture and the data range it shows. */
typedef struct frame {
    double L, R, T, B;     /* plot area, px */
    double x0, x1, y0, y1; /* data range */
} frame_t;

static double px(const frame_t *f, double v)
{
    return f->L + (v - f->x0) / (f->x1 - f->x0) * (f->R - f->L);
}

static double py(const frame_t *f, double v)
{
    return f->B - (v - f->y0) / (f->y1 - f->y0) * (f->B - f->T);
}

static int family_of(const gb_latent_point_t *p)
{
    return p->program >= 0 && p->program < 128 ? p->program / 8 : GB_GM_FAMILIES;
}

static const double *family_colour(int f)
{
    static const double grey[3] = {0.5, 0.5, 0.5};
    return f < GB_GM_FAMILIES ? family_rgb[f] : grey;
}

/* The data range with a 5% margin (a degenerate range gets a unit span), and the families
 * present. Returns whether any point is outlined. */
static int extent(const gb_latent_point_t *pt, int n, frame_t *fr, int *used)
{
    double x0 = pt[0].x, x1 = pt[0].x, y0 = pt[0].y, y1 = pt[0].y;
    int any_outline = 0;
    for (int i = 0; i < n; i++) {
        x0 = fmin(x0, pt[i].x), x1 = fmax(x1, pt[i].x);
        y0 = fmin(y0, pt[i].y), y1 = fmax(y1, pt[i].y);
        used[family_of(&pt[i])] = 1;
        any_outline |= pt[i].outline;
    }
    double dx = x1 - x0 > 1e-9 ? x1 - x0 : 1.0, dy = y1 - y0 > 1e-9 ? y1 - y0 : 1.0;
    fr->x0 = x0 - 0.05 * dx;
    fr->x1 = fr->x0 + 1.1 * dx;
    fr->y0 = y0 - 0.05 * dy;
    fr->y1 = fr->y0 + 1.1 * dy;
    return any_outline;
}

/* Grid lines, ticks and tick labels of one axis (0: x, 1: y). */
static void axis_ticks(cairo_t *cr, const frame_t *f, int axis)
{
    char buf[64];
    double lo = axis ? f->y0 : f->x0, hi = axis ? f->y1 : f->x1, st = nice_step(hi - lo, 6);
    for (double v = ceil(lo / st) * st; v <= hi + 1e-9 * st; v += st) {
        double vv = fabs(v) < 1e-9 * st ? 0.0 : v;
        snprintf(buf, sizeof buf, "%g", vv);
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        if (axis)
            cairo_move_to(cr, f->L, py(f, vv)), cairo_line_to(cr, f->R, py(f, vv));
        else
            cairo_move_to(cr, px(f, vv), f->T), cairo_line_to(cr, px(f, vv), f->B);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        if (axis) {
            cairo_move_to(cr, f->L - 6, py(f, vv)), cairo_line_to(cr, f->L, py(f, vv));
            cairo_stroke(cr);
            text_at(cr, f->L - 9, py(f, vv), buf, 1.0, 0.5);
        } else {
            cairo_move_to(cr, px(f, vv), f->B), cairo_line_to(cr, px(f, vv), f->B + 6);
            cairo_stroke(cr);
            text_at(cr, px(f, vv), f->B + 10, buf, 0.5, 0.0);
        }
    }
}

static void labels(cairo_t *cr, const frame_t *f, const char *title, const char *subtitle,
                   const char *xlabel, const char *ylabel)
{
    const double W = GB_LATENT_MAP_WIDTH;
    cairo_set_font_size(cr, 15);
    text_at(cr, (f->L + f->R) / 2, f->B + 38, xlabel, 0.5, 0.0);
    cairo_save(cr);
    cairo_translate(cr, f->L - 62, (f->T + f->B) / 2);
    cairo_rotate(cr, -GB_PI / 2);
    text_at(cr, 0, 0, ylabel, 0.5, 0.0);
    cairo_restore(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 19);
    text_at(cr, W / 2, 18, title, 0.5, 0.0);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 13);
    text_at(cr, W / 2, 48, subtitle, 0.5, 0.0);
}

/* Points, clipped to the plot area. */
static void points(cairo_t *cr, const frame_t *f, const gb_latent_point_t *pt, int n)
{
    cairo_save(cr);
    cairo_rectangle(cr, f->L, f->T, f->R - f->L, f->B - f->T);
    cairo_clip(cr);
    for (int i = 0; i < n; i++) {
        const double *c = family_colour(family_of(&pt[i]));
        cairo_new_path(cr); /* no line from the last text's current point */
        cairo_arc(cr, px(f, pt[i].x), py(f, pt[i].y), 4.0, 0, 2 * GB_PI);
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
}

/* Legend: the families present, in GM order, and what an outline means. */
static void legend(cairo_t *cr, const frame_t *f, const int *used, int any_outline,
                   const char *outline_label)
{
    char buf[64];
    double lx = f->R + 25, ly = f->T + 6;
    cairo_set_font_size(cr, 13);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text_at(cr, lx, ly, "GM family (program / 8)", 0.0, 0.0);
    ly += 28;
    for (int k = 0; k <= GB_GM_FAMILIES; k++) {
        if (!used[k])
            continue;
        const double *c = family_colour(k);
        cairo_set_source_rgb(cr, c[0], c[1], c[2]);
        cairo_new_path(cr);
        cairo_arc(cr, lx + 6, ly, 5.5, 0, 2 * GB_PI);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        if (k < GB_GM_FAMILIES)
            snprintf(buf, sizeof buf, "%d %s", k, family_names[k]);
        else
            snprintf(buf, sizeof buf, "not GM (files)");
        text_at(cr, lx + 18, ly, buf, 0.0, 0.5);
        ly += 24;
    }
    if (!any_outline || !outline_label)
        return;
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

static void draw(cairo_t *cr, const gb_latent_point_t *pt, int n, const char *title,
                 const char *subtitle, const char *xlabel, const char *ylabel,
                 const char *outline_label)
{
    const double W = GB_LATENT_MAP_WIDTH, H = GB_LATENT_MAP_HEIGHT;
    frame_t f = {.L = 90, .R = W - 250, .T = 80, .B = H - 75};
    int used[GB_GM_FAMILIES + 1] = {0};
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    const int any_outline = extent(pt, n, &f, used);
    cairo_set_font_size(cr, 12);
    cairo_set_line_width(cr, 1);
    axis_ticks(cr, &f, 0);
    axis_ticks(cr, &f, 1);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, f.L, f.T, f.R - f.L, f.B - f.T);
    cairo_stroke(cr);
    labels(cr, &f, title, subtitle, xlabel, ylabel);
    points(cr, &f, pt, n);
    legend(cr, &f, used, any_outline, outline_label);
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
