/* gb_plot.h — the picture of a session (`gbac plot`, and the cover of `gbac publish`), drawn
 * with cairo as PNG or SVG.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Panels share one time axis (seconds, with ticks), top to bottom:
 *   spectrogram  of the audio (mono mix, 2048-point Hann STFT with FFTW, one column per pixel),
 *                log-frequency axis GB_PLOT_F_LO .. min(GB_PLOT_F_HI, Nyquist), dB colour map
 *                over the 90 dB below the loudest bin
 *   piano roll   every track of notes.mid: the performer in GB_PLOT_PERFORMER_RGB, each model
 *                track in its own colour (gb_plot_track_rgb), with a legend
 *   latent       the timbre VAE's z0..z7 over time from the control log, one step line each
 *   scores       the critic score of each generated phrase (stem and dot at its time, in its
 *                model's colour) and the ratings (triangles up for like, down for dislike)
 * An empty part is a labelled empty panel. A session with only audio (a lone WAV/FLAC) shows
 * only the spectrogram; one with only notes (a lone MIDI file) only the piano roll. The cover
 * is the spectrogram over the piano roll, without axes, under the title.
 */
#ifndef GB_PLOT_H
#define GB_PLOT_H

#include "gb_common.h"
#include "gb_session_read.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_PLOT_MIN_SIZE 200   /* px, each side */
#define GB_PLOT_MAX_SIZE 8000
#define GB_PLOT_PERFORMER_RGB 0.12, 0.47, 0.71 /* blue */
#define GB_PLOT_MODEL_RGB 1.00, 0.50, 0.05     /* orange: the first model track */
#define GB_PLOT_F_LO 30.0    /* spectrogram: lowest frequency (bottom row), Hz */
#define GB_PLOT_F_HI 16000.0 /* highest (top row), or Nyquist if lower */

enum {
    GB_PLOT_SPECTROGRAM = 0,
    GB_PLOT_ROLL,
    GB_PLOT_LATENT,
    GB_PLOT_SCORES,
    GB_PLOT_N_PANELS
};

/** What to draw. Fill with gb_plot_opts_init, then change what you need. */
typedef struct gb_plot_opts {
    int width, height;  /* px (points for SVG), GB_PLOT_MIN_SIZE..GB_PLOT_MAX_SIZE */
    int cover;          /* 1: the cover layout (spectrogram over piano roll, no axes) */
    const char *title;  /* drawn at the top; NULL: the session's folder or file name */
    const char *subtitle; /* the cover's second line (artist); NULL: none */
} gb_plot_opts_t;

/** A panel's place in the picture; shown is 0 for a panel the layout leaves out. */
typedef struct gb_plot_rect {
    double x, y, w, h;
    int shown;
} gb_plot_rect_t;

/** Defaults: 1600 × 1000, not a cover, no title. [any] */
void gb_plot_opts_init(gb_plot_opts_t *o);

/** Where each panel goes for this session and these options (what gb_plot_write draws).
 *  [any] */
void gb_plot_layout(const gb_session_data_t *s, const gb_plot_opts_t *o,
                    gb_plot_rect_t rects[GB_PLOT_N_PANELS]);

/** The colour of track i of s (0..1 RGB): the performer's blue, or model colour number k
 *  for the k-th non-performer track (orange, green, red, purple, brown, pink, cycling).
 *  [any] */
void gb_plot_track_rgb(const gb_session_data_t *s, int track, double rgb[3]);

/** Draw s to path: PNG if it ends in ".png", SVG if ".svg" (case-insensitive).
 *  Returns 0, GB_EINVAL (other extension, size out of range, NULL argument; the message
 *  says which), GB_EIO (cannot read the audio or write path, named), GB_ENOMEM. [main] */
int gb_plot_write(const gb_session_data_t *s, const char *path, const gb_plot_opts_t *o,
                  gb_error_t *err);

/** 1 if path ends in ".png" or ".svg" (case-insensitive), else 0. [any] */
int gb_plot_format_ok(const char *path);

#ifdef __cplusplus
}
#endif
#endif
