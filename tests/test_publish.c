/* test_publish.c — `gbac publish` on a fixture session (gb_session_fixture.h): the folder's
 * files, the FLAC's tags, frames and samples read back with libsndfile, the credits' counts
 * and shares, the cover's size, the tarball's members (libarchive), overwrite refusal, and
 * the messages for bad sessions and usage.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <cairo.h>
#include <jansson.h>
#include <math.h>

#include "gb_cli.h"
#include "gb_session_fixture.h"

static char g_dir[512], g_tmp[400];

static int setup(void **state)
{
    (void)state;
    return fx_setup(g_tmp, sizeof g_tmp, g_dir, sizeof g_dir, "publish");
}

static int teardown(void **state)
{
    (void)state;
    return gbt_rm_rf(g_tmp);
}

static int publish(char *err, size_t cap, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    const int rc = fx_runv(gb_cmd_publish, "publish", err, cap, n, ap);
    va_end(ap);
    return rc;
}

static void check_tag(SNDFILE *sf, int id, const char *want)
{
    const char *got = sf_get_string(sf, id);
    assert_non_null(got);
    assert_string_equal(got, want);
}

static void folder_with_tags_frames_credits_cover(void **state)
{
    (void)state;
    char out[600], p[700], err[4096];
    snprintf(out, sizeof out, "%s/pub", g_tmp);
    assert_int_equal(publish(err, sizeof err, 9, g_dir, "-o", out, "--title", "Test Title",
                             "--artist", "Tester with gbac melody-gan", "--license",
                             "CC-BY-4.0"), 0);
    /* FLAC: tags as asked, 24-bit, every frame, samples within 24-bit rounding */
    snprintf(p, sizeof p, "%s/audio.flac", out);
    SF_INFO fi = {0}, wi = {0};
    SNDFILE *f = sf_open(p, SFM_READ, &fi);
    assert_non_null(f);
    assert_int_equal(fi.format, SF_FORMAT_FLAC | SF_FORMAT_PCM_24);
    assert_int_equal(fi.samplerate, FX_SR);
    assert_int_equal(fi.channels, 2);
    check_tag(f, SF_STR_TITLE, "Test Title");
    check_tag(f, SF_STR_ARTIST, "Tester with gbac melody-gan");
    check_tag(f, SF_STR_LICENSE, "CC-BY-4.0");
    check_tag(f, SF_STR_DATE, FX_CREATED);
    check_tag(f, SF_STR_COMMENT,
              "performer 12 notes 3.0 s; melody-gan 16 notes 3.2 s; models sha256 melody-gan "
              "1a2b3c4d5e6f; gbac 0.1.0");
    assert_memory_equal(sf_get_string(f, SF_STR_SOFTWARE), "gbac ", 5);
    char wav[700];
    snprintf(wav, sizeof wav, "%s/audio.wav", g_dir);
    SNDFILE *w = sf_open(wav, SFM_READ, &wi);
    assert_non_null(w);
    assert_int_equal(fi.frames, wi.frames);
    assert_int_equal(fi.frames, FX_FRAMES);
    float *a = malloc(sizeof(float) * 2 * FX_FRAMES), *b = malloc(sizeof(float) * 2 * FX_FRAMES);
    assert_int_equal(sf_readf_float(f, a, FX_FRAMES), FX_FRAMES);
    assert_int_equal(sf_readf_float(w, b, FX_FRAMES), FX_FRAMES);
    double maxerr = 0;
    for (size_t i = 0; i < 2u * FX_FRAMES; i++)
        maxerr = fmax(maxerr, fabs(a[i] - b[i]));
    fprintf(stderr, "FLAC vs WAV: max |difference| %.3g (24-bit step %.3g)\n", maxerr,
            1.0 / 8388608);
    assert_true(maxerr <= 1.0 / 8388608);
    free(a), free(b);
    sf_close(f), sf_close(w);

    /* credits: both parts with their counts and shares, the model's data licence */
    snprintf(p, sizeof p, "%s/credits.txt", out);
    char *cr = fx_slurp(p, NULL);
    assert_non_null(cr);
    /* 12 of 28 notes = 42.9 %, 3.0 of 6.2 s = 48.4 %; 16 notes = 57.1 %, 3.2 s = 51.6 % */
    assert_non_null(strstr(cr, "performer (human)                         12   42.9%     3.0 s"
                               "   48.4%"));
    assert_non_null(strstr(cr, "melody (gbac.melody-gan, model)           16   57.1%     3.2 s"
                               "   51.6%"));
    assert_non_null(strstr(cr, "trained on: ../shared/data/nottingham/MIDI/melody (data "
                               "licence: GPL-3.0)"));
    assert_non_null(strstr(cr, "melody: 1 like, 0 dislikes; critic scores of 3 phrases: mean "
                               "0.710, min 0.500, max 0.900"));
    assert_non_null(strstr(cr, "This recording: CC-BY-4.0"));
    assert_non_null(strstr(cr, "GPL-3.0-or-later"));
    free(cr);

    /* provenance.json: the session's, with the copy check added */
    snprintf(p, sizeof p, "%s/provenance.json", out);
    json_t *pub = json_load_file(p, 0, NULL);
    snprintf(p, sizeof p, "%s/provenance.json", g_dir);
    json_t *orig = json_load_file(p, 0, NULL);
    assert_non_null(pub);
    assert_non_null(orig);
    assert_non_null(json_object_get(json_object_get(pub, "copy_check"), "summary"));
    json_object_del(pub, "copy_check");
    assert_true(json_equal(pub, orig));
    json_decref(pub), json_decref(orig);
    /* copies, byte for byte */
    const char *copies[] = {"notes.mid"};
    for (int i = 0; i < 1; i++) {
        char s1[700], s2[700];
        size_t n1, n2;
        snprintf(s1, sizeof s1, "%s/%s", g_dir, copies[i]);
        snprintf(s2, sizeof s2, "%s/%s", out, copies[i]);
        char *x = fx_slurp(s1, &n1), *y = fx_slurp(s2, &n2);
        assert_non_null(x);
        assert_non_null(y);
        assert_int_equal(n1, n2);
        assert_memory_equal(x, y, n1);
        free(x), free(y);
    }
    /* the cover is square */
    snprintf(p, sizeof p, "%s/cover.png", out);
    cairo_surface_t *img = cairo_image_surface_create_from_png(p);
    assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_image_surface_get_width(img), 1000);
    assert_int_equal(cairo_image_surface_get_height(img), 1000);
    cairo_surface_destroy(img);

    /* a second run into the same folder is refused, then allowed with --force */
    assert_int_equal(publish(err, sizeof err, 3, g_dir, "-o", out), GB_EXIT_FAIL);
    char want[800];
    snprintf(want, sizeof want, "gbac publish: %s is not empty (use --force to write into it)\n",
             out);
    assert_string_equal(err, want);
    assert_int_equal(publish(err, sizeof err, 4, g_dir, "-o", out, "--force"), 0);
}

static void default_title_and_artist(void **state)
{
    (void)state;
    char out[600], p[700], err[4096];
    snprintf(out, sizeof out, "%s/pub-defaults", g_tmp);
    assert_int_equal(publish(err, sizeof err, 3, g_dir, "-o", out), 0);
    snprintf(p, sizeof p, "%s/audio.flac", out);
    SF_INFO fi = {0};
    SNDFILE *f = sf_open(p, SFM_READ, &fi);
    assert_non_null(f);
    check_tag(f, SF_STR_TITLE, "melody-answer, 2026-11-28");
    check_tag(f, SF_STR_ARTIST, "Performer with gbac melody-gan");
    assert_null(sf_get_string(f, SF_STR_LICENSE));
    sf_close(f);
}

static void tarball_members(void **state)
{
    (void)state;
    char out[600], err[4096];
    snprintf(out, sizeof out, "%s/share.tar.gz", g_tmp);
    assert_int_equal(publish(err, sizeof err, 3, g_dir, "-o", out), 0);
    struct archive *a = archive_read_new();
    archive_read_support_format_all(a);
    archive_read_support_filter_all(a);
    assert_int_equal(archive_read_open_filename(a, out, 65536), ARCHIVE_OK);
    assert_int_equal(archive_filter_code(a, 0), ARCHIVE_FILTER_GZIP);
    const char *want[] = {"share/", "share/audio.flac", "share/notes.mid",
                          "share/provenance.json", "share/credits.txt", "share/cover.png"};
    struct archive_entry *e;
    size_t n = 0;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        assert_true(n < 6);
        assert_string_equal(archive_entry_pathname(e), want[n]);
        if (n > 0)
            assert_true(archive_entry_size(e) > 0);
        n++;
    }
    assert_int_equal(n, 6);
    archive_read_free(a);
    /* nothing left beside it but the archive (no staging folder, no .part) */
    char cmd[800];
    snprintf(cmd, sizeof cmd, "ls -d '%s'/share* | wc -l | grep -qx 1", g_tmp);
    assert_int_equal(system(cmd), 0);
    /* an existing archive is not replaced without --force */
    assert_int_equal(publish(err, sizeof err, 3, g_dir, "-o", out), GB_EXIT_FAIL);
    assert_non_null(strstr(err, "exists (use --force to replace it)"));
    /* plain .tar */
    snprintf(out, sizeof out, "%s/plain.tar", g_tmp);
    assert_int_equal(publish(err, sizeof err, 3, g_dir, "-o", out), 0);
    a = archive_read_new();
    archive_read_support_format_all(a);
    archive_read_support_filter_all(a);
    assert_int_equal(archive_read_open_filename(a, out, 65536), ARCHIVE_OK);
    assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_OK);
    assert_string_equal(archive_entry_pathname(e), "plain/");
    assert_int_equal(archive_filter_code(a, 0), ARCHIVE_FILTER_NONE);
    archive_read_free(a);
}

static void bad_sessions_and_usage(void **state)
{
    (void)state;
    char out[600], dir[600], p[700], err[4096], want[1400];
    snprintf(out, sizeof out, "%s/never", g_tmp);
    assert_int_equal(publish(err, sizeof err, 3, "/nonexistent/session", "-o", out),
                     GB_EXIT_FAIL);
    assert_string_equal(err, "gbac publish: /nonexistent/session: no such folder\n");

    snprintf(dir, sizeof dir, "%s/corrupt", g_tmp);
    assert_int_equal(fx_make_session(dir, 1), 0);
    snprintf(p, sizeof p, "%s/provenance.json", dir);
    fx_write_text(p, "{\n  \"format\": \"gbac-session/1\",\n  \"sample_rate\": ,\n}\n");
    assert_int_equal(publish(err, sizeof err, 3, dir, "-o", out), GB_EXIT_FAIL);
    snprintf(want, sizeof want, "gbac publish: %s: line 3: ", p);
    assert_memory_equal(err, want, strlen(want));

    fx_write_text(p, "{\"format\": \"gbac-session/1\", \"sample_rate\": 48000}\n");
    assert_int_equal(publish(err, sizeof err, 3, dir, "-o", out), GB_EXIT_FAIL);
    snprintf(want, sizeof want, "gbac publish: %s: \"contributions\" must be an object\n", p);
    assert_string_equal(err, want);

    assert_int_equal(fx_make_session(dir, 1), 0); /* repaired */
    snprintf(p, sizeof p, "%s/audio.wav", dir);
    fx_write_text(p, "RIFF but not really a WAV file\n");
    assert_int_equal(publish(err, sizeof err, 3, dir, "-o", out), GB_EXIT_FAIL);
    snprintf(want, sizeof want, "gbac publish: %s: cannot read it as audio", p);
    assert_memory_equal(err, want, strlen(want));

    assert_int_equal(fx_make_session(dir, 1), 0);
    snprintf(p, sizeof p, "%s/notes.mid", dir);
    remove(p);
    assert_int_equal(publish(err, sizeof err, 3, dir, "-o", out), GB_EXIT_FAIL);
    snprintf(want, sizeof want, "gbac publish: %s: ", p);
    assert_memory_equal(err, want, strlen(want));
    assert_false(access(out, F_OK) == 0); /* nothing written for a bad session */

    /* never into the session itself (its audio would be overwritten while read) */
    assert_int_equal(publish(err, sizeof err, 4, g_dir, "-o", g_dir, "--force"), GB_EXIT_USAGE);
    assert_non_null(strstr(err, "is the session folder itself"));
    assert_int_equal(publish(err, sizeof err, 1, g_dir), GB_EXIT_USAGE);
    assert_non_null(strstr(err, "no output given"));
    assert_int_equal(publish(err, sizeof err, 4, g_dir, "-o", out, "--bogus"), GB_EXIT_USAGE);
    assert_non_null(strstr(err, "unknown option '--bogus'"));
    assert_int_equal(publish(err, sizeof err, 4, g_dir, "-o", out, "--title"), GB_EXIT_USAGE);
    assert_non_null(strstr(err, "--title needs a value"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(folder_with_tags_frames_credits_cover),
        cmocka_unit_test(default_title_and_artist),
        cmocka_unit_test(tarball_members),
        cmocka_unit_test(bad_sessions_and_usage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
