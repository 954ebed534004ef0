/* test_plot.c — `gbac plot` and the session reader on a fixture session (gb_session_fixture.h):
 * what the reader finds in each part, the PNG's size, both note colours in the piano roll,
 * the spectrogram's peak rows at the fixture's tones, SVG output, single files, empty parts,
 * and the messages for bad inputs.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cairo.h>
#include <math.h>

#include "gb_cli.h"
#include "gb_plot.h"
#include "gb_session_fixture.h"
#include "gb_session_read.h"

static char g_dir[512], g_tmp[400];

static int setup(void **state)
{
    (void)state;
    return fx_setup(g_tmp, sizeof g_tmp, g_dir, sizeof g_dir, "plot");
}

static int teardown(void **state)
{
    (void)state;
    return gbt_rm_rf(g_tmp);
}

static int plot(char *err, size_t cap, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    const int rc = fx_runv(gb_cmd_plot, "plot", err, cap, n, ap);
    va_end(ap);
    return rc;
}

static void reader_finds_every_part(void **state)
{
    (void)state;
    gb_error_t err;
    gb_session_data_t *s = gb_session_read(g_dir, &err);
    assert_non_null(s);
    assert_float_equal(s->sample_rate, 48000, 0);
    assert_int_equal(s->audio_frames, FX_FRAMES);
    assert_float_equal(s->seconds, 4.0, 1e-9);
    assert_int_equal(s->n_tracks, 2);
    assert_string_equal(s->tracks[0].name, "performer");
    assert_true(s->tracks[0].is_performer);
    assert_int_equal(s->tracks[0].n_notes, FX_PERF_NOTES);
    assert_float_equal(s->tracks[0].seconds, 3.0, 2e-3);
    assert_float_equal(s->tracks[0].notes[11].t0, 3.3, 1e-3);
    assert_int_equal(s->tracks[0].notes[11].pitch, 71);
    assert_string_equal(s->tracks[1].source, "melody");
    assert_string_equal(s->tracks[1].unit, "gbac.melody-gan");
    assert_false(s->tracks[1].is_performer);
    assert_int_equal(s->tracks[1].n_notes, FX_MODEL_NOTES);
    assert_float_equal(s->tracks[1].seconds, 3.2, 2e-3);
    assert_string_equal(s->latent_slot, "vae");
    assert_int_equal(s->n_latent, 24);
    assert_int_equal(s->latent[23].index, 7);
    assert_float_equal(s->latent[23].value, 0.5 * 3.5 / 4, 1e-9);
    assert_int_equal(s->n_scores, 3); /* from the log, not the provenance's one phrase */
    assert_float_equal(s->scores[2].value, 0.9, 1e-9);
    assert_float_equal(s->scores[2].t, 3.0, 1e-9);
    assert_int_equal(s->scores[0].index, 1);
    assert_int_equal(s->n_ratings, 1);
    assert_float_equal(s->ratings[0].value, 1, 0);
    assert_int_equal(s->control_lines, 24 + 3 + 3);
    gb_session_data_free(s);
}

static void control_log_bad_line_named_cut_line_skipped(void **state)
{
    (void)state;
    char dir[600], p[700], msg[800];
    snprintf(dir, sizeof dir, "%s/badlog", g_tmp);
    assert_int_equal(fx_make_session(dir, 1), 0);
    snprintf(p, sizeof p, "%s/control.jsonl", dir);
    /* a session cut short: the last line lacks its end */
    fx_write_text(p, "{\"frame\": 0, \"kind\": \"param\", \"param\": \"vae/z1\", \"value\": 2}\n"
                     "{\"frame\": 5, \"kind\": \"par");
    gb_error_t err;
    gb_session_data_t *s = gb_session_read(dir, &err);
    assert_non_null(s);
    assert_int_equal(s->n_latent, 1);
    gb_session_data_free(s);
    fx_write_text(p, "{\"frame\": 0, \"kind\": \"param\", \"param\": \"vae/z1\", \"value\": 2}\n"
                     "{\"frame\": -5, \"kind\": \"param\"}\n{\"frame\": 1, \"kind\": \"cc\"}\n");
    assert_null(gb_session_read(dir, &err));
    snprintf(msg, sizeof msg, "%s: line 2: \"frame\" must be an integer >= 0", p);
    assert_string_equal(err.msg, msg);
}

/* Pixels within ±2 of rgb in the rectangle. */
static long count_rgb(cairo_surface_t *img, const gb_plot_rect_t *r, const double rgb[3])
{
    unsigned char *px = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    long n = 0;
    for (int y = (int)r->y; y < (int)(r->y + r->h); y++)
        for (int x = (int)r->x; x < (int)(r->x + r->w); x++) {
            uint32_t v = *(uint32_t *)(px + (size_t)y * stride + 4 * (size_t)x);
            int c[3] = {(int)(v >> 16 & 255), (int)(v >> 8 & 255), (int)(v & 255)};
            int ok = 1;
            for (int k = 0; k < 3; k++)
                ok &= abs(c[k] - (int)lround(rgb[k] * 255)) <= 2;
            n += ok;
        }
    return n;
}

/* The frequency of the brightest row of the spectrogram at time t. */
static double peak_hz(cairo_surface_t *img, const gb_plot_rect_t *r, double t, double seconds)
{
    unsigned char *px = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    int x = (int)(r->x + t / seconds * r->w), h = (int)lround(r->h), best = -1;
    double ysum = 0;
    int ny = 0;
    for (int y = 0; y < h; y++) { /* the middle of the brightest rows (ties near the top of
                                     the colour map are a few rows wide) */
        uint32_t v = *(uint32_t *)(px + (size_t)(y + (int)r->y) * stride + 4 * (size_t)x);
        int sum = (int)(v >> 16 & 255) + (int)(v >> 8 & 255) + (int)(v & 255);
        if (sum > best)
            best = sum, ysum = 0, ny = 0;
        if (sum == best)
            ysum += y, ny++;
    }
    double by = ysum / ny;
    return GB_PLOT_F_LO * pow(GB_PLOT_F_HI / GB_PLOT_F_LO, (h - 1 - by + 0.5) / h);
}

static void png_size_colours_and_tones(void **state)
{
    (void)state;
    char out[600], err[2048];
    snprintf(out, sizeof out, "%s/plot.png", g_tmp);
    assert_int_equal(plot(err, sizeof err, 7, g_dir, "-o", out, "--width", "900", "--height",
                          "700"), 0);
    cairo_surface_t *img = cairo_image_surface_create_from_png(out);
    assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_image_surface_get_width(img), 900);
    assert_int_equal(cairo_image_surface_get_height(img), 700);
    gb_error_t e;
    gb_session_data_t *s = gb_session_read(g_dir, &e);
    assert_non_null(s);
    gb_plot_opts_t o;
    gb_plot_opts_init(&o);
    o.width = 900, o.height = 700;
    gb_plot_rect_t r[GB_PLOT_N_PANELS];
    gb_plot_layout(s, &o, r);
    for (int i = 0; i < GB_PLOT_N_PANELS; i++)
        assert_true(r[i].shown);
    double perf[3], model[3];
    gb_plot_track_rgb(s, 0, perf);
    gb_plot_track_rgb(s, 1, model);
    assert_true(fabs(perf[0] - model[0]) + fabs(perf[2] - model[2]) > 0.5);
    long np = count_rgb(img, &r[GB_PLOT_ROLL], perf), nm = count_rgb(img, &r[GB_PLOT_ROLL], model);
    fprintf(stderr, "piano roll %.0fx%.0f: %ld performer pixels, %ld model pixels\n",
            r[GB_PLOT_ROLL].w, r[GB_PLOT_ROLL].h, np, nm);
    /* 12 notes of 0.25 s and 16 of 0.2 s on a ~700 px / 4 s axis, a few px high each */
    assert_true(np > 12 * 30 * 3);
    assert_true(nm > 16 * 25 * 3);
    /* no note pixels in the spectrogram */
    assert_int_equal(count_rgb(img, &r[GB_PLOT_SPECTROGRAM], perf), 0);
    double f1 = peak_hz(img, &r[GB_PLOT_SPECTROGRAM], 1.0, s->seconds);
    double f2 = peak_hz(img, &r[GB_PLOT_SPECTROGRAM], 3.0, s->seconds);
    fprintf(stderr, "spectrogram peaks: %.1f Hz at 1 s, %.1f Hz at 3 s\n", f1, f2);
    /* one row spans log(16000/30)/h ≈ 3% of frequency at this height */
    assert_true(fabs(f1 / 440 - 1) < 0.03);
    assert_true(fabs(f2 / 1000 - 1) < 0.03);
    cairo_surface_destroy(img);
    gb_session_data_free(s);
}

static void svg_output(void **state)
{
    (void)state;
    char out[600], err[2048];
    snprintf(out, sizeof out, "%s/plot.svg", g_tmp);
    assert_int_equal(plot(err, sizeof err, 3, g_dir, "-o", out), 0);
    char *svg = fx_slurp(out, NULL);
    assert_non_null(svg);
    assert_memory_equal(svg, "<?xml", 5);
    assert_non_null(strstr(svg, "<svg"));
    assert_non_null(strstr(svg, "width=\"1600\""));
    free(svg);
}

static void single_files(void **state)
{
    (void)state;
    char in[600], out[600], err[2048];
    snprintf(in, sizeof in, "%s/notes.mid", g_dir);
    snprintf(out, sizeof out, "%s/roll.png", g_tmp);
    assert_int_equal(plot(err, sizeof err, 7, in, "-o", out, "--width", "640", "--height",
                          "480"), 0);
    gb_error_t e;
    gb_session_data_t *s = gb_session_read_midi(in, &e);
    assert_non_null(s);
    gb_plot_opts_t o;
    gb_plot_opts_init(&o);
    o.width = 640, o.height = 480;
    gb_plot_rect_t r[GB_PLOT_N_PANELS];
    gb_plot_layout(s, &o, r);
    assert_true(r[GB_PLOT_ROLL].shown);
    assert_false(r[GB_PLOT_SPECTROGRAM].shown);
    double perf[3], model[3];
    gb_plot_track_rgb(s, 0, perf);
    gb_plot_track_rgb(s, 1, model);
    cairo_surface_t *img = cairo_image_surface_create_from_png(out);
    assert_int_equal(cairo_image_surface_get_width(img), 640);
    assert_true(count_rgb(img, &r[GB_PLOT_ROLL], perf) > 100);
    assert_true(count_rgb(img, &r[GB_PLOT_ROLL], model) > 100);
    cairo_surface_destroy(img);
    gb_session_data_free(s);

    snprintf(in, sizeof in, "%s/audio.wav", g_dir);
    snprintf(out, sizeof out, "%s/spec.png", g_tmp);
    assert_int_equal(plot(err, sizeof err, 3, in, "-o", out), 0);
    img = cairo_image_surface_create_from_png(out);
    assert_int_equal(cairo_image_surface_get_width(img), 1600);
    assert_int_equal(cairo_image_surface_get_height(img), 1000);
    s = gb_session_read_audio(in, &e);
    assert_non_null(s);
    gb_plot_opts_init(&o);
    gb_plot_layout(s, &o, r);
    assert_false(r[GB_PLOT_ROLL].shown);
    assert_true(fabs(peak_hz(img, &r[GB_PLOT_SPECTROGRAM], 1.0, 4.0) / 440 - 1) < 0.03);
    cairo_surface_destroy(img);
    gb_session_data_free(s);
}

static void empty_parts_are_drawn(void **state)
{
    (void)state;
    char dir[600], out[700], err[2048];
    snprintf(dir, sizeof dir, "%s/empty", g_tmp);
    assert_int_equal(fx_make_session(dir, 0), 0);
    snprintf(out, sizeof out, "%s/empty.png", g_tmp);
    assert_int_equal(plot(err, sizeof err, 3, dir, "-o", out), 0);
    assert_non_null(strstr(err, "2 tracks, 0 notes, 0 latent points, 1 scores"));
    cairo_surface_t *img = cairo_image_surface_create_from_png(out);
    assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(img);
}

static void bad_inputs(void **state)
{
    (void)state;
    char out[600], p[700], err[2048], want[1200];
    snprintf(out, sizeof out, "%s/x.jpg", g_tmp);
    assert_int_equal(plot(err, sizeof err, 3, g_dir, "-o", out), GB_EXIT_USAGE);
    snprintf(want, sizeof want, "gbac plot: %s: unknown picture format (the name must end in "
                                ".png or .svg)\n", out);
    assert_string_equal(err, want);
    snprintf(out, sizeof out, "%s/x.png", g_tmp);
    assert_int_equal(plot(err, sizeof err, 3, "/nonexistent/session", "-o", out), GB_EXIT_FAIL);
    assert_string_equal(err, "gbac plot: /nonexistent/session: no such file or folder\n");
    assert_int_equal(plot(err, sizeof err, 5, g_dir, "-o", out, "--width", "50"),
                     GB_EXIT_USAGE);
    assert_non_null(strstr(err, "bad value '50' for --width: expected a number of pixels in "
                                "200..8000"));
    assert_int_equal(plot(err, sizeof err, 1, g_dir), GB_EXIT_USAGE);
    /* a .wav that is not audio */
    snprintf(p, sizeof p, "%s/fake.wav", g_tmp);
    fx_write_text(p, "this is not a WAV file\n");
    assert_int_equal(plot(err, sizeof err, 3, p, "-o", out), GB_EXIT_FAIL);
    snprintf(want, sizeof want, "gbac plot: %s: cannot read it as audio", p);
    assert_memory_equal(err, want, strlen(want));
    /* a corrupt provenance */
    char dir[600];
    snprintf(dir, sizeof dir, "%s/corrupt", g_tmp);
    assert_int_equal(fx_make_session(dir, 1), 0);
    snprintf(p, sizeof p, "%s/provenance.json", dir);
    fx_write_text(p, "{\n  \"format\": \"gbac-session/1\",\n  \"sample_rate\": ,\n}\n");
    assert_int_equal(plot(err, sizeof err, 3, dir, "-o", out), GB_EXIT_FAIL);
    snprintf(want, sizeof want, "gbac plot: %s: line 3: ", p);
    assert_memory_equal(err, want, strlen(want));
    assert_false(access(out, F_OK) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reader_finds_every_part),
        cmocka_unit_test(control_log_bad_line_named_cut_line_skipped),
        cmocka_unit_test(png_size_colours_and_tones),
        cmocka_unit_test(svg_output),
        cmocka_unit_test(single_files),
        cmocka_unit_test(empty_parts_are_drawn),
        cmocka_unit_test(bad_inputs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
