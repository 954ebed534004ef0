/* gb_plot.c — the session picture with cairo (PNG, SVG) and FFTW (the spectrogram).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_plot.h"

#include <cairo-svg.h>
#include <cairo.h>
#include <fftw3.h>
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define N_FFT 2048
#define F_LO GB_PLOT_F_LO
#define F_HI GB_PLOT_F_HI
#define DB_SPAN 90.0

static const double model_rgb[][3] = {
    {GB_PLOT_MODEL_RGB}, /* orange */
    {0.17, 0.63, 0.17}, /* green */
    {0.84, 0.15, 0.16}, /* red */
    {0.58, 0.40, 0.74}, /* purple */
    {0.55, 0.34, 0.29}, /* brown */
    {0.89, 0.47, 0.76}, /* pink */
};
#define N_MODEL_RGB (sizeof model_rgb / sizeof model_rgb[0])

void gb_plot_opts_init(gb_plot_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->width = 1600;
    o->height = 1000;
}

void gb_plot_track_rgb(const gb_session_data_t *s, int track, double rgb[3])
{
    static const double perf[3] = {GB_PLOT_PERFORMER_RGB};
    if (track >= 0 && track < s->n_tracks && s->tracks[track].is_performer) {
        memcpy(rgb, perf, sizeof perf);
        return;
    }
    int k = 0;
    for (int i = 0; i < track && i < s->n_tracks; i++)
        k += !s->tracks[i].is_performer;
    memcpy(rgb, model_rgb[track < 0 ? 0 : (size_t)k % N_MODEL_RGB], sizeof model_rgb[0]);
}

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n > m && strcasecmp(s + n - m, suf) == 0;
}

int gb_plot_format_ok(const char *path)
{
    return path && (ends_with(path, ".png") || ends_with(path, ".svg"));
}

/* ---------------------------------------------------------------- layout */

void gb_plot_layout(const gb_session_data_t *s, const gb_plot_opts_t *o,
                    gb_plot_rect_t r[GB_PLOT_N_PANELS])
{
    memset(r, 0, GB_PLOT_N_PANELS * sizeof *r);
    const double W = o->width, H = o->height;
    double share[GB_PLOT_N_PANELS] = {0};
    int single_audio = !s->prov && s->audio_path, single_midi = !s->prov && s->has_notes;
    if (o->cover) {
        share[GB_PLOT_SPECTROGRAM] = 0.55;
        share[GB_PLOT_ROLL] = 0.45;
    } else if (single_audio) {
        share[GB_PLOT_SPECTROGRAM] = 1;
    } else if (single_midi) {
        share[GB_PLOT_ROLL] = 1;
    } else {
        share[GB_PLOT_SPECTROGRAM] = 0.36;
        share[GB_PLOT_ROLL] = 0.34;
        share[GB_PLOT_LATENT] = 0.15;
        share[GB_PLOT_SCORES] = 0.15;
    }
    const double unit = fmin(W, H) / 1000.0; /* text and margins scale with the picture */
    double left, right, top, bottom, gap;
    if (o->cover) {
        left = right = bottom = 0.04 * W;
        top = 0.16 * H;
        gap = 0.01 * H;
    } else {
        left = 70 * unit + 20;
        right = 150 * unit + 20;
        top = 40 * unit + 10;
        bottom = 40 * unit + 14;
        gap = 14 * unit + 4;
    }
    int n = 0;
    for (int i = 0; i < GB_PLOT_N_PANELS; i++)
        n += share[i] > 0;
    double avail = H - top - bottom - gap * (n - 1);
    if (avail < n)
        avail = n;
    double y = top;
    for (int i = 0; i < GB_PLOT_N_PANELS; i++) {
        if (share[i] <= 0)
            continue;
        r[i] = (gb_plot_rect_t){left, y, fmax(1, W - left - right), fmax(1, avail * share[i]),
                                1};
        y += r[i].h + gap;
    }
}

/* ---------------------------------------------------------------- helpers */

static void text_at(cairo_t *cr, double x, double y, const char *s, double ax, double ay)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, x - e.x_bearing - ax * e.width, y - e.y_bearing - ay * e.height);
    cairo_show_text(cr, s);
}

static void panel_frame(cairo_t *cr, const gb_plot_rect_t *r, double grey)
{
    cairo_set_source_rgb(cr, grey, grey, grey);
    cairo_rectangle(cr, r->x, r->y, r->w, r->h);
    cairo_fill(cr);
}

static void panel_border(cairo_t *cr, const gb_plot_rect_t *r)
{
    cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, r->x + 0.5, r->y + 0.5, r->w - 1, r->h - 1);
    cairo_stroke(cr);
}

static void panel_empty(cairo_t *cr, const gb_plot_rect_t *r, const char *label, double fs)
{
    cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
    cairo_set_font_size(cr, fs);
    text_at(cr, r->x + r->w / 2, r->y + r->h / 2, label, 0.5, 0.5);
}

static void panel_label(cairo_t *cr, const gb_plot_rect_t *r, const char *label, double fs)
{
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_set_font_size(cr, fs);
    cairo_move_to(cr, r->x - 0.75 * fs - 28 * fs / 12, r->y + r->h / 2);
    cairo_rotate(cr, -GB_PI / 2);
    cairo_text_extents_t e;
    cairo_text_extents(cr, label, &e);
    cairo_rel_move_to(cr, -e.width / 2, 0);
    cairo_show_text(cr, label);
    cairo_restore(cr);
}

static double nice_step(double span, int target)
{
    double raw = span / target, p = pow(10, floor(log10(raw))), m = raw / p;
    return p * (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10);
}

/* Vertical grid at the time ticks over every shown panel, and the labels under the last. */
static void time_axis(cairo_t *cr, const gb_plot_rect_t *r, double seconds, double fs)
{
    const gb_plot_rect_t *last = NULL;
    for (int i = 0; i < GB_PLOT_N_PANELS; i++)
        if (r[i].shown)
            last = &r[i];
    if (!last)
        return;
    double step = nice_step(seconds, (int)fmax(2, last->w / 110));
    cairo_set_font_size(cr, fs);
    for (double t = 0; t <= seconds + 1e-9; t += step) {
        double x = last->x + t / seconds * last->w;
        for (int i = 0; i < GB_PLOT_N_PANELS; i++) {
            if (!r[i].shown)
                continue;
            cairo_set_source_rgba(cr, 0.3, 0.3, 0.3, 0.25);
            cairo_set_line_width(cr, 1);
            cairo_move_to(cr, floor(x) + 0.5, r[i].y);
            cairo_line_to(cr, floor(x) + 0.5, r[i].y + r[i].h);
            cairo_stroke(cr);
        }
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_move_to(cr, floor(x) + 0.5, last->y + last->h);
        cairo_line_to(cr, floor(x) + 0.5, last->y + last->h + 0.4 * fs);
        cairo_stroke(cr);
        char b[32];
        snprintf(b, sizeof b, step < 1 ? "%.1f" : "%.0f", t);
        text_at(cr, x, last->y + last->h + 0.5 * fs, b, 0.5, 0);
    }
    text_at(cr, last->x + last->w, last->y + last->h + 1.7 * fs, "time (s)", 1, 0);
}

/* ---------------------------------------------------------------- spectrogram */

/* inferno-like: black → purple → orange → pale yellow */
static void colour_map(double v, double *r, double *g, double *b)
{
    static const double st[][3] = {{0.00, 0.00, 0.02}, {0.26, 0.04, 0.41}, {0.58, 0.15, 0.40},
                                   {0.87, 0.32, 0.23}, {0.99, 0.65, 0.04}, {0.99, 1.00, 0.64}};
    const int n = 6;
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    double p = v * (n - 1);
    int i = (int)p;
    if (i >= n - 1)
        i = n - 2;
    double f = p - i;
    *r = st[i][0] + f * (st[i + 1][0] - st[i][0]);
    *g = st[i][1] + f * (st[i + 1][1] - st[i][1]);
    *b = st[i][2] + f * (st[i + 1][2] - st[i][2]);
}

/* Fill an ARGB image of w × h with the spectrogram of the first `seconds` of the audio.
 * Reads N_FFT frames around each column's time, so memory stays bounded by the picture. */
/* The STFT behind the spectrogram: a Hann window, the FFT, the rows' bin edges. */
typedef struct stft {
    float *in, *win, *buf; /* FFT input, window, one read of all channels */
    fftwf_complex *spec;
    fftwf_plan plan;
    double *edge;          /* h + 1 edges: row y covers the bins edge[y + 1] .. edge[y] */
    double wsum;           /* the window's sum */
    int ch;
} stft_t;

static int stft_new(stft_t *t, int ch, double sr, int h, double *ratio)
{
    memset(t, 0, sizeof *t);
    t->ch = ch;
    t->in = fftwf_alloc_real(N_FFT);
    t->win = malloc(N_FFT * sizeof *t->win);
    t->buf = malloc((size_t)N_FFT * (size_t)ch * sizeof *t->buf);
    t->edge = malloc(((size_t)h + 1) * sizeof *t->edge);
    t->spec = fftwf_alloc_complex(N_FFT / 2 + 1);
    t->plan = t->in && t->spec ? fftwf_plan_dft_r2c_1d(N_FFT, t->in, t->spec, FFTW_ESTIMATE)
                               : NULL;
    if (!t->win || !t->buf || !t->edge || !t->plan)
        return -1;
    for (int i = 0; i < N_FFT; i++)
        t->wsum += t->win[i] = (float)(0.5 - 0.5 * cos(2 * GB_PI * i / N_FFT));
    const double f_hi = fmin(F_HI, sr / 2);
    *ratio = f_hi / F_LO;
    /* row y (0 = top) covers the bins edge[y + 1] .. edge[y], equal steps of log frequency */
    for (int y = 0; y <= h; y++)
        t->edge[y] = F_LO * pow(*ratio, (double)(h - y) / h) * N_FFT / sr;
    return 0;
}

static void stft_free(stft_t *t)
{
    if (t->plan)
        fftwf_destroy_plan(t->plan);
    fftwf_free(t->in);
    fftwf_free(t->spec);
    free(t->win);
    free(t->buf);
    free(t->edge);
}

/* The magnitude of row y: the largest bin inside it, or between two bins when none is. */
static double row_magnitude(const stft_t *t, int y)
{
    const double ba = t->edge[y + 1], bb = t->edge[y];
    const int k0 = (int)ceil(ba), k1 = (int)floor(bb);
    double best = 0;
    if (k1 < k0) { /* no bin centre inside the row: interpolate between two */
        double bc = 0.5 * (ba + bb), f = bc - floor(bc);
        int k = (int)floor(bc);
        if (k + 1 > N_FFT / 2)
            k = N_FFT / 2 - 1;
        double m0 = hypot(t->spec[k][0], t->spec[k][1]);
        double m1 = hypot(t->spec[k + 1][0], t->spec[k + 1][1]);
        return m0 + f * (m1 - m0);
    }
    for (int k = k0; k <= k1 && k <= N_FFT / 2; k++)
        best = fmax(best, hypot(t->spec[k][0], t->spec[k][1]));
    return best;
}

/* The dB of the rows of one column, centred on frame `centre` of the file (stride w apart
 * in col); the loudest kept in *top. 0 or a negative error. */
static int column_db(stft_t *t, SNDFILE *sf, const char *path, long long centre, int h,
                     float *col, int w, float *top, gb_error_t *err)
{
    const int ch = t->ch;
    const long long start = centre - N_FFT / 2, from = start < 0 ? 0 : start,
                    skip = from - start;
    memset(t->buf, 0, (size_t)N_FFT * ch * sizeof *t->buf);
    if (sf_seek(sf, from, SEEK_SET) < 0)
        return gb_error_set(err, GB_EIO, "%s: cannot seek to frame %lld", path, from);
    sf_readf_float(sf, t->buf + skip * ch, N_FFT - skip);
    for (int i = 0; i < N_FFT; i++) {
        float m = 0;
        for (int k = 0; k < ch; k++)
            m += t->buf[(size_t)i * ch + k];
        t->in[i] = m / ch * t->win[i];
    }
    fftwf_execute(t->plan);
    for (int y = 0; y < h; y++) {
        const float v = (float)(20 * log10(row_magnitude(t, y) * 2 / t->wsum + 1e-10));
        col[(size_t)y * w] = v;
        *top = v > *top ? v : *top;
    }
    return 0;
}

/* db (w × h, NAN: no audio) into the image, coloured over DB_SPAN below top. */
static void paint_db(cairo_surface_t *img, const float *db, int w, int h, float top)
{
    cairo_surface_flush(img);
    unsigned char *px = cairo_image_surface_get_data(img);
    const int stride = cairo_image_surface_get_stride(img);
    for (int y = 0; y < h; y++) {
        uint32_t *row = (uint32_t *)(px + (size_t)y * stride);
        for (int x = 0; x < w; x++) {
            const float v = db[(size_t)y * w + x];
            double r = 0.93, g = 0.93, b = 0.93;
            if (!isnan(v))
                colour_map((v - (top - DB_SPAN)) / DB_SPAN, &r, &g, &b);
            row[x] = (uint32_t)lround(r * 255) << 16 | (uint32_t)lround(g * 255) << 8 |
                     (uint32_t)lround(b * 255);
        }
    }
    cairo_surface_mark_dirty(img);
}

static int spectrogram_image(const gb_session_data_t *s, double seconds, int w, int h,
                             cairo_surface_t **out, gb_error_t *err)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(s->audio_path, SFM_READ, &info);
    if (!sf)
        return gb_error_set(err, GB_EIO, "%s: cannot read it as audio (libsndfile: %s)",
                            s->audio_path, sf_strerror(NULL));
    const double sr = info.samplerate;
    double ratio = 1;
    stft_t t;
    float *db = malloc((size_t)w * (size_t)h * sizeof *db), top = -300;
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    int rc = 0;
    if (stft_new(&t, info.channels, sr, h, &ratio) < 0 || !db ||
        cairo_surface_status(img) != CAIRO_STATUS_SUCCESS)
        rc = gb_error_set(err, GB_ENOMEM, "out of memory for a %d x %d spectrogram", w, h);
    for (int c = 0; c < w && rc == 0; c++) {
        const long long centre = (long long)llround((c + 0.5) / w * seconds * sr);
        if (centre < info.frames && ratio > 1) {
            rc = column_db(&t, sf, s->audio_path, centre, h, db + c, w, &top, err);
            continue;
        }
        for (int y = 0; y < h; y++)
            db[(size_t)y * w + c] = NAN;
    }
    if (rc == 0)
        paint_db(img, db, w, h, top);
    stft_free(&t);
    free(db);
    sf_close(sf);
    if (rc) {
        cairo_surface_destroy(img);
        return rc;
    }
    *out = img;
    return 0;
}

static int draw_spectrogram(cairo_t *cr, const gb_session_data_t *s, const gb_plot_rect_t *r,
                            double seconds, int axes, double fs, gb_error_t *err)
{
    if (!s->audio_path) {
        panel_frame(cr, r, 0.93);
        panel_empty(cr, r, "no audio", fs);
        return 0;
    }
    int w = (int)lround(r->w), h = (int)lround(r->h);
    cairo_surface_t *img = NULL;
    int rc = spectrogram_image(s, seconds, w < 1 ? 1 : w, h < 1 ? 1 : h, &img, err);
    if (rc)
        return rc;
    cairo_set_source_surface(cr, img, r->x, r->y);
    cairo_paint(cr);
    cairo_surface_destroy(img);
    if (!axes)
        return 0;
    /* frequency ticks */
    double sr = s->sample_rate > 0 ? s->sample_rate : 48000;
    const double f_hi = fmin(F_HI, sr / 2), ratio = f_hi / F_LO;
    static const double ticks[] = {50, 100, 200, 500, 1000, 2000, 5000, 10000};
    cairo_set_font_size(cr, fs);
    for (size_t i = 0; i < sizeof ticks / sizeof ticks[0] && ratio > 1; i++) {
        if (ticks[i] > f_hi)
            break;
        double y = r->y + r->h - log(ticks[i] / F_LO) / log(ratio) * r->h;
        char b[32];
        if (ticks[i] >= 1000)
            snprintf(b, sizeof b, "%gk", ticks[i] / 1000);
        else
            snprintf(b, sizeof b, "%g", ticks[i]);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_move_to(cr, r->x - 0.4 * fs, floor(y) + 0.5);
        cairo_line_to(cr, r->x, floor(y) + 0.5);
        cairo_stroke(cr);
        text_at(cr, r->x - 0.6 * fs, y, b, 1, 0.5);
    }
    panel_label(cr, r, "frequency (Hz)", fs);
    return 0;
}

/* ---------------------------------------------------------------- piano roll */

/* The pitches shown: the notes' range with 2 semitones around it, at least two octaves.
 * Returns the number of notes. */
static size_t roll_range(const gb_session_data_t *s, int *lo_out, int *hi_out)
{
    int lo = 127, hi = 0;
    size_t total = 0;
    for (int i = 0; i < s->n_tracks; i++)
        for (size_t k = 0; k < s->tracks[i].n_notes; k++) {
            int p = s->tracks[i].notes[k].pitch;
            lo = p < lo ? p : lo;
            hi = p > hi ? p : hi;
            total++;
        }
    if (!total)
        lo = 48, hi = 72;
    lo -= 2, hi += 2;
    if (hi - lo < 24) {
        int extra = 24 - (hi - lo);
        lo -= extra / 2;
        hi += extra - extra / 2;
    }
    *lo_out = lo;
    *hi_out = hi;
    return total;
}

/* A line at every C (labelled with axes). */
static void roll_octaves(cairo_t *cr, const gb_plot_rect_t *r, int lo, int hi, double sy,
                         int axes, double fs)
{
    cairo_set_line_width(cr, 1);
    for (int p = lo; p <= hi; p++) {
        if (p % 12 != 0)
            continue;
        double y = floor(r->y + r->h - (p - lo + 0.5) * sy) + 0.5;
        cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
        cairo_move_to(cr, r->x, y);
        cairo_line_to(cr, r->x + r->w, y);
        cairo_stroke(cr);
        if (axes) {
            char b[16];
            snprintf(b, sizeof b, "C%d", p / 12 - 1);
            cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
            cairo_set_font_size(cr, fs);
            text_at(cr, r->x - 0.6 * fs, y, b, 1, 0.5);
        }
    }
}

/* Crisp rectangles so every note is drawn in exactly its track's colour. */
static void roll_notes(cairo_t *cr, const gb_session_data_t *s, const gb_plot_rect_t *r,
                       int lo, double sx, double sy)
{
    cairo_save(cr);
    cairo_rectangle(cr, r->x, r->y, r->w, r->h);
    cairo_clip(cr);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
    for (int i = 0; i < s->n_tracks; i++) {
        double rgb[3];
        gb_plot_track_rgb(s, i, rgb);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        const gb_session_track_t *t = &s->tracks[i];
        for (size_t k = 0; k < t->n_notes; k++) {
            double x0 = floor(r->x + t->notes[k].t0 * sx);
            double x1 = fmax(x0 + 2, floor(r->x + t->notes[k].t1 * sx));
            double y0 = floor(r->y + r->h - (t->notes[k].pitch - lo + 1) * sy);
            double y1 = fmax(y0 + 2, floor(r->y + r->h - (t->notes[k].pitch - lo) * sy));
            cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0 - (sy >= 4 ? 1 : 0));
        }
        cairo_fill(cr);
    }
    cairo_restore(cr);
}

/* One swatch per track, right of the panel. */
static void roll_legend(cairo_t *cr, const gb_session_data_t *s, const gb_plot_rect_t *r,
                        double fs)
{
    cairo_set_font_size(cr, fs);
    double ly = r->y;
    for (int i = 0; i < s->n_tracks; i++) {
        const gb_session_track_t *t = &s->tracks[i];
        double rgb[3];
        gb_plot_track_rgb(s, i, rgb);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        cairo_rectangle(cr, r->x + r->w + 0.8 * fs, ly + 0.2 * fs, fs, 0.8 * fs);
        cairo_fill(cr);
        char b[96];
        snprintf(b, sizeof b, "%s (%zu)",
                 t->is_performer ? "performer"
                 : t->unit       ? gb_session_unit_short(t->unit)
                                 : t->source,
                 t->n_notes);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        text_at(cr, r->x + r->w + 2.2 * fs, ly + 0.6 * fs, b, 0, 0.5);
        ly += 1.5 * fs;
    }
}

static void draw_roll(cairo_t *cr, const gb_session_data_t *s, const gb_plot_rect_t *r,
                      double seconds, int axes, double fs)
{
    int lo, hi;
    panel_frame(cr, r, 0.97);
    const size_t total = roll_range(s, &lo, &hi);
    const double sy = r->h / (hi - lo + 1), sx = r->w / seconds;
    roll_octaves(cr, r, lo, hi, sy, axes, fs);
    roll_notes(cr, s, r, lo, sx, sy);
    if (!total)
        panel_empty(cr, r, s->has_notes ? "no notes" : "no notes.mid", fs);
    if (!axes)
        return;
    panel_label(cr, r, "pitch", fs);
    roll_legend(cr, s, r, fs);
}

/* ---------------------------------------------------------------- latent, scores */

static void draw_latent(cairo_t *cr, const gb_session_data_t *s, const gb_plot_rect_t *r,
                        double seconds, double fs)
{
    panel_frame(cr, r, 0.97);
    panel_label(cr, r, "timbre z", fs);
    if (!s->n_latent) {
        panel_empty(cr, r, s->has_control ? "no timbre latents in the control log"
                                          : "no control log", fs);
        return;
    }
    double m = 1;
    for (size_t i = 0; i < s->n_latent; i++)
        m = fmax(m, fabs(s->latent[i].value));
    const double sx = r->w / seconds;
#define LY(v) (r->y + r->h / 2 - (v) / m * (r->h / 2 - 3))
    cairo_set_source_rgb(cr, 0.7, 0.7, 0.7);
    cairo_move_to(cr, r->x, floor(LY(0)) + 0.5);
    cairo_line_to(cr, r->x + r->w, floor(LY(0)) + 0.5);
    cairo_stroke(cr);
    cairo_set_font_size(cr, 0.85 * fs);
    for (int d = 0; d < GB_SESSION_LATENT_DIMS; d++) {
        double rgb[3];
        colour_map(0.15 + 0.7 * d / (GB_SESSION_LATENT_DIMS - 1), &rgb[0], &rgb[1], &rgb[2]);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        cairo_set_line_width(cr, 1.5);
        int started = 0;
        double v = 0;
        for (size_t i = 0; i < s->n_latent; i++) {
            if (s->latent[i].index != d)
                continue;
            double x = r->x + s->latent[i].t * sx;
            if (!started)
                cairo_move_to(cr, x, LY(s->latent[i].value));
            else {
                cairo_line_to(cr, x, LY(v));
                cairo_line_to(cr, x, LY(s->latent[i].value));
            }
            v = s->latent[i].value;
            started = 1;
        }
        if (started) {
            cairo_line_to(cr, r->x + r->w, LY(v));
            cairo_stroke(cr);
        }
        char b[8];
        snprintf(b, sizeof b, "z%d", d);
        text_at(cr, r->x + r->w + 0.8 * fs + (d % 4) * 2.4 * fs,
                r->y + 0.6 * fs + (d / 4) * 1.2 * fs, b, 0, 0.5);
    }
    char b[32];
    snprintf(b, sizeof b, "±%.2g", m);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    text_at(cr, r->x - 0.6 * fs, r->y + 0.5 * fs, b, 1, 0.5);
#undef LY
}

static void draw_scores(cairo_t *cr, const gb_session_data_t *s, const gb_plot_rect_t *r,
                        double seconds, double fs)
{
    panel_frame(cr, r, 0.97);
    panel_label(cr, r, "critic", fs);
    if (!s->n_scores && !s->n_ratings) {
        panel_empty(cr, r, "no critic scores", fs);
        return;
    }
    double lo = 0, hi = 1;
    for (size_t i = 0; i < s->n_scores; i++)
        lo = fmin(lo, s->scores[i].value), hi = fmax(hi, s->scores[i].value);
    const double sx = r->w / seconds, pad = 0.1 * r->h;
#define SY(v) (r->y + r->h - pad - ((v)-lo) / (hi - lo) * (r->h - 2 * pad))
    cairo_set_line_width(cr, 1.5);
    for (size_t i = 0; i < s->n_scores; i++) {
        double rgb[3];
        gb_plot_track_rgb(s, s->scores[i].index, rgb);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        double x = r->x + s->scores[i].t * sx;
        cairo_move_to(cr, x, SY(fmax(lo, fmin(hi, 0))));
        cairo_line_to(cr, x, SY(s->scores[i].value));
        cairo_stroke(cr);
        cairo_arc(cr, x, SY(s->scores[i].value), 0.3 * fs, 0, 2 * GB_PI);
        cairo_fill(cr);
    }
    for (size_t i = 0; i < s->n_ratings; i++) {
        double x = r->x + s->ratings[i].t * sx, up = s->ratings[i].value > 0;
        double y = up ? r->y + 0.2 * r->h : r->y + r->h - 0.2 * r->h, d = 0.45 * fs;
        cairo_set_source_rgb(cr, up ? 0.1 : 0.75, up ? 0.6 : 0.1, 0.1);
        cairo_move_to(cr, x - d, up ? y + d : y - d);
        cairo_line_to(cr, x + d, up ? y + d : y - d);
        cairo_line_to(cr, x, up ? y - d : y + d);
        cairo_close_path(cr);
        cairo_fill(cr);
    }
    char b[32];
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_set_font_size(cr, fs);
    snprintf(b, sizeof b, "%.2g", hi);
    text_at(cr, r->x - 0.6 * fs, SY(hi), b, 1, 0.5);
    snprintf(b, sizeof b, "%.2g", lo);
    text_at(cr, r->x - 0.6 * fs, SY(lo), b, 1, 0.5);
    cairo_set_font_size(cr, 0.85 * fs);
    text_at(cr, r->x + r->w + 0.8 * fs, r->y + 0.6 * fs, "● score", 0, 0.5);
    text_at(cr, r->x + r->w + 0.8 * fs, r->y + 1.8 * fs, "▲ like  ▼ dislike", 0, 0.5);
#undef SY
}

/* ---------------------------------------------------------------- the picture */

static const char *base_name(const char *p)
{
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        n--;
    const char *b = p + n;
    while (b > p && b[-1] != '/')
        b--;
    return b;
}

static int draw(cairo_t *cr, const gb_session_data_t *s, const gb_plot_opts_t *o, gb_error_t *err)
{
    gb_plot_rect_t r[GB_PLOT_N_PANELS];
    gb_plot_layout(s, o, r);
    const double unit = fmin(o->width, o->height) / 1000.0, fs = fmax(8, 13 * unit);
    double seconds = s->seconds > 0 ? s->seconds : 1;
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    const int axes = !o->cover;
    if (r[GB_PLOT_SPECTROGRAM].shown) {
        int rc = draw_spectrogram(cr, s, &r[GB_PLOT_SPECTROGRAM], seconds, axes, fs, err);
        if (rc)
            return rc;
    }
    if (r[GB_PLOT_ROLL].shown)
        draw_roll(cr, s, &r[GB_PLOT_ROLL], seconds, axes, fs);
    if (r[GB_PLOT_LATENT].shown)
        draw_latent(cr, s, &r[GB_PLOT_LATENT], seconds, fs);
    if (r[GB_PLOT_SCORES].shown)
        draw_scores(cr, s, &r[GB_PLOT_SCORES], seconds, fs);
    for (int i = 0; i < GB_PLOT_N_PANELS; i++)
        if (r[i].shown)
            panel_border(cr, &r[i]);
    if (axes)
        time_axis(cr, r, seconds, fs);
    /* title */
    char dflt[256];
    snprintf(dflt, sizeof dflt, "%s", base_name(s->dir));
    const char *title = o->title ? o->title : dflt;
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    if (o->cover) {
        cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                               CAIRO_FONT_WEIGHT_BOLD);
        cairo_set_font_size(cr, 0.055 * o->height);
        text_at(cr, 0.04 * o->width, 0.035 * o->height, title, 0, 0);
        if (o->subtitle) {
            cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                                   CAIRO_FONT_WEIGHT_NORMAL);
            cairo_set_font_size(cr, 0.03 * o->height);
            text_at(cr, 0.04 * o->width, 0.105 * o->height, o->subtitle, 0, 0);
        }
    } else {
        cairo_set_font_size(cr, 1.3 * fs);
        text_at(cr, r[GB_PLOT_SPECTROGRAM].shown ? r[GB_PLOT_SPECTROGRAM].x
                                                 : r[GB_PLOT_ROLL].x,
                0.35 * fs + 4, title, 0, 0);
    }
    return 0;
}

int gb_plot_write(const gb_session_data_t *s, const char *path, const gb_plot_opts_t *o,
                  gb_error_t *err)
{
    if (!s || !path || !o)
        return gb_error_set(err, GB_EINVAL, "gb_plot_write: NULL argument");
    if (!gb_plot_format_ok(path))
        return gb_error_set(err, GB_EINVAL, "%s: unknown picture format (use .png or .svg)",
                            path);
    if (o->width < GB_PLOT_MIN_SIZE || o->width > GB_PLOT_MAX_SIZE ||
        o->height < GB_PLOT_MIN_SIZE || o->height > GB_PLOT_MAX_SIZE)
        return gb_error_set(err, GB_EINVAL, "picture size %d x %d is outside %d..%d per side",
                            o->width, o->height, GB_PLOT_MIN_SIZE, GB_PLOT_MAX_SIZE);
    const int svg = ends_with(path, ".svg");
    cairo_surface_t *surf =
        svg ? cairo_svg_surface_create(path, o->width, o->height)
            : cairo_image_surface_create(CAIRO_FORMAT_RGB24, o->width, o->height);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
        int rc = gb_error_set(err, svg ? GB_EIO : GB_ENOMEM, "%s: cannot create it (cairo: %s)",
                              path, cairo_status_to_string(cairo_surface_status(surf)));
        cairo_surface_destroy(surf);
        return rc;
    }
    cairo_t *cr = cairo_create(surf);
    int rc = draw(cr, s, o, err);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    if (rc == 0 && st != CAIRO_STATUS_SUCCESS)
        rc = gb_error_set(err, GB_EIO, "%s: drawing failed (cairo: %s)", path,
                          cairo_status_to_string(st));
    if (rc == 0 && !svg) {
        st = cairo_surface_write_to_png(surf, path);
        if (st != CAIRO_STATUS_SUCCESS)
            rc = gb_error_set(err, GB_EIO, "%s: cannot write it (cairo: %s)", path,
                              cairo_status_to_string(st));
    }
    cairo_surface_finish(surf);
    if (rc == 0 && svg && cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS)
        rc = gb_error_set(err, GB_EIO, "%s: cannot write it (cairo: %s)", path,
                          cairo_status_to_string(cairo_surface_status(surf)));
    cairo_surface_destroy(surf);
    if (rc && svg)
        remove(path);
    return rc;
}
