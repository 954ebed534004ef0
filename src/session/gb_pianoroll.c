/* gb_pianoroll.c — piano-roll lanes of token phrases with cairo (PNG).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_pianoroll.h"

#include <cairo.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gb_melody_ds.h"
#include "gb_plot.h"

#define MAX_ROWS 16

static cairo_status_t write_file(void *closure, const unsigned char *data, unsigned int len)
{
    return fwrite(data, 1, len, (FILE *)closure) == len ? CAIRO_STATUS_SUCCESS
                                                        : CAIRO_STATUS_WRITE_ERROR;
}

static void text_at(cairo_t *cr, double x, double y, const char *s, double align_x)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, x - e.x_bearing - align_x * e.width, y - e.y_bearing - 0.5 * e.height);
    cairo_show_text(cr, s);
}

static int pitch_of(int t)
{
    return t >= GB_MDS_PITCH_BASE && t < GB_MDS_VOCAB ? t - GB_MDS_PITCH_BASE + GB_MDS_PITCH_LO
                                                      : -1;
}

static void lane(cairo_t *cr, const gb_pianoroll_row_t *r, double x0, double y0, double w,
                 double h, int max_steps)
{
    int lo = 127, hi = 0;
    for (int b = 0; b < r->bars; b++)
        for (int s = 0; s < r->steps_per_bar; s++) {
            int p = pitch_of(r->tokens[b * GB_MDS_MAX_STEPS + s]);
            if (p >= 0)
                lo = p < lo ? p : lo, hi = p > hi ? p : hi;
        }
    if (hi < lo)
        lo = 60, hi = 72;
    lo -= 2;
    hi += 2;
    const double sx = w / max_steps, sy = h / (hi - lo + 1);
    cairo_set_source_rgb(cr, 0.97, 0.97, 0.97);
    cairo_rectangle(cr, x0, y0, w, h);
    cairo_fill(cr);
    cairo_set_line_width(cr, 0.5);
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    for (int p = lo; p <= hi; p++)
        if (p % 12 == 0) { /* C lines */
            cairo_move_to(cr, x0, y0 + h - (p - lo + 0.5) * sy);
            cairo_line_to(cr, x0 + w, y0 + h - (p - lo + 0.5) * sy);
        }
    cairo_stroke(cr);
    cairo_set_line_width(cr, 1.0);
    cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
    for (int b = 0; b <= r->bars; b++) {
        cairo_move_to(cr, x0 + b * r->steps_per_bar * sx, y0);
        cairo_line_to(cr, x0 + b * r->steps_per_bar * sx, y0 + h);
    }
    cairo_stroke(cr);
    static const double perf[3] = {GB_PLOT_PERFORMER_RGB}, model[3] = {GB_PLOT_MODEL_RGB};
    const int n = r->bars * r->steps_per_bar;
    int cur = -1, start = 0;
    for (int i = 0; i <= n; i++) {
        int t = i < n ? r->tokens[(i / r->steps_per_bar) * GB_MDS_MAX_STEPS +
                                  i % r->steps_per_bar]
                      : GB_MDS_REST;
        if (t == GB_MDS_HOLD && cur >= 0)
            continue;
        if (cur >= 0) { /* a note is the performer's when it starts in the call's bars */
            const double *c = start < r->call_bars * r->steps_per_bar ? perf : model;
            cairo_set_source_rgb(cr, c[0], c[1], c[2]);
            cairo_rectangle(cr, x0 + start * sx + 0.5, y0 + h - (cur - lo + 1) * sy,
                            (i - start) * sx - 1.0, sy);
            cairo_fill(cr);
        }
        cur = pitch_of(t);
        start = i;
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, x0, y0, w, h);
    cairo_stroke(cr);
    char buf[32];
    cairo_set_font_size(cr, 10);
    snprintf(buf, sizeof buf, "%d", hi);
    text_at(cr, x0 - 4, y0 + 6, buf, 1.0);
    snprintf(buf, sizeof buf, "%d", lo);
    text_at(cr, x0 - 4, y0 + h - 6, buf, 1.0);
    cairo_set_font_size(cr, 12);
    text_at(cr, x0 - 34, y0 + h / 2, r->label ? r->label : "", 1.0);
}

#define LANES_L 220.0
#define LANES_R (GB_PIANOROLL_WIDTH - 20.0)
#define LANES_T 60.0
#define LANES_B (GB_PIANOROLL_HEIGHT - 20.0)

void gb_pianoroll_lane(int i, int n, double *x, double *y, double *w, double *h)
{
    const double lh = (LANES_B - LANES_T) / (n < 1 ? 1 : n);
    *x = LANES_L;
    *y = LANES_T + i * lh + 4;
    *w = LANES_R - LANES_L;
    *h = lh - 8;
}

int gb_pianoroll_write(const char *path, const gb_pianoroll_row_t *rows, int n,
                       const char *title, gb_error_t *err)
{
    if (!path || !rows || !title || n < 1 || n > MAX_ROWS)
        return gb_error_set(err, GB_EINVAL, "piano roll: 1..%d phrases needed", MAX_ROWS);
    int max_steps = 1;
    for (int i = 0; i < n; i++) {
        if (!rows[i].tokens || rows[i].bars < 1 || rows[i].steps_per_bar < 1 ||
            rows[i].steps_per_bar > GB_MDS_MAX_STEPS)
            return gb_error_set(err, GB_EINVAL, "piano roll: phrase %d is empty or malformed",
                                i);
        int s = rows[i].bars * rows[i].steps_per_bar;
        max_steps = s > max_steps ? s : max_steps;
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return gb_error_set(err, GB_EIO, "%s: cannot create the piano roll: %s", path,
                            strerror(errno));
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, GB_PIANOROLL_WIDTH,
                                                    GB_PIANOROLL_HEIGHT);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_font_size(cr, 16);
    text_at(cr, GB_PIANOROLL_WIDTH / 2.0, 22, title, 0.5);
    cairo_set_font_size(cr, 11);
    text_at(cr, GB_PIANOROLL_WIDTH / 2.0, 44,
            "blue: the performer's call, orange: the model's answer (the colours of gbac plot); "
            "time in 16th steps (grey lines: bars), pitch up (MIDI numbers at the lane corners)",
            0.5);
    for (int i = 0; i < n; i++) {
        double x, y, w, h;
        gb_pianoroll_lane(i, n, &x, &y, &w, &h);
        lane(cr, &rows[i], x, y, w, h, max_steps);
    }
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_write_to_png_stream(s, write_file, f);
    cairo_surface_destroy(s);
    const int close_failed = fclose(f) != 0;
    if (st != CAIRO_STATUS_SUCCESS || close_failed) {
        remove(path);
        return gb_error_set(err, GB_EIO, "%s: writing the piano roll failed: %s", path,
                            st != CAIRO_STATUS_SUCCESS ? cairo_status_to_string(st)
                                                       : strerror(errno));
    }
    return GB_OK;
}
