/* test_dataset.c — `gbac dataset timbre`: the pipeline (models/gb_timbre_ds_build.c), its reader
 * (models/gb_timbre_ds.c) and the CLI.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   test_dataset              folder input (resampling, duplicates, silent,
 *                             unreadable files), errors of the pipeline and of gb_tds_load
 *   test_dataset --soundfont  a small FluidR3_GM grid; skipped (cmocka skip) without the file
 *   test_dataset --cli GBAC   the built binary: exit codes, messages, a folder run
 *   test_dataset --cli-soundfont GBAC  the built binary on a small FluidR3_GM grid (skipped
 *                             without the file)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sndfile.h>

#include "gb_timbre_ds_build.h"
#include "gb_timbre_ds.h"

static const char *g_gbac; /* --cli: path of the binary */

/* The SoundFont of the grid tests: GBAC_TEST_SF2 or FluidR3_GM (set GBAC_TEST_SF2 to a
 * missing file to see the skip). */
static const char *sf2_path(void)
{
    const char *e = getenv("GBAC_TEST_SF2");
    return e && *e ? e : GB_DATASET_DEFAULT_SF2;
}

/* ------------------------------------------------------------------ helpers */

static void rm_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[1024];
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            rm_tree(p);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

typedef struct fixture {
    char root[64];
    char notes[128], out[128];
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    snprintf(f->root, sizeof f->root, "/tmp/gbac-dataset-XXXXXX");
    if (!mkdtemp(f->root))
        return -1;
    snprintf(f->notes, sizeof f->notes, "%s/notes", f->root);
    snprintf(f->out, sizeof f->out, "%s/ds", f->root);
    mkdir(f->notes, 0777);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    rm_tree(f->root);
    free(f);
    return 0;
}

/* A harmonic tone (3 partials, 10 ms attack, 50 ms release), or white noise (f0 < 0), or
 * silence (amp 0), seconds long, to path (format from the extension: WAV or FLAC). */
static void write_tone(const char *path, int sr, int channels, double f0, double amp,
                       double seconds)
{
    SF_INFO info = {0};
    info.samplerate = sr;
    info.channels = channels;
    info.format = strstr(path, ".flac") ? SF_FORMAT_FLAC | SF_FORMAT_PCM_24
                                        : SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    assert_non_null(sf);
    const int n = (int)(seconds * sr);
    float *x = calloc((size_t)n * (size_t)channels, sizeof *x);
    uint64_t s = 12345;
    for (int i = 0; i < n; i++) {
        const double t = (double)i / sr;
        double env = fmin(1.0, fmin(t / 0.01, (seconds - t) / 0.05));
        double v;
        if (f0 > 0) {
            v = sin(2 * M_PI * f0 * t) + 0.5 * sin(2 * M_PI * 2 * f0 * t) +
                0.25 * sin(2 * M_PI * 3 * f0 * t);
            v *= 0.5;
        } else {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            v = ((double)(s >> 11) / 9007199254740992.0) * 2.0 - 1.0;
        }
        for (int c = 0; c < channels; c++)
            x[i * channels + c] = (float)(amp * env * v);
    }
    assert_int_equal(sf_writef_float(sf, x, n), n);
    sf_close(sf);
    free(x);
}

static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    assert_non_null(a);
    assert_non_null(b);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0)
        assert_int_equal(fwrite(buf, 1, n, b), n);
    fclose(a);
    fclose(b);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static const gb_tds_note_t *find_note(const gb_tds_t *ds, const char *id)
{
    for (int i = 0; i < ds->n_notes; i++)
        if (strcmp(ds->notes[i].id, id) == 0)
            return &ds->notes[i];
    return NULL;
}

static void folder_config(gb_timbre_ds_build_config_t *cfg, const fixture_t *f)
{
    gb_timbre_ds_build_config_init(cfg);
    cfg->notes_dir = f->notes;
    cfg->out_dir = f->out;
}

static int have_soundfont(void)
{
    return access(sf2_path(), R_OK) == 0;
}

#define SKIP_WITHOUT_SOUNDFONT()                                                                 \
    do {                                                                                         \
        if (!have_soundfont()) {                                                                 \
            print_message("SKIPPED: %s is missing (Debian: apt install fluid-soundfont-gm)\n",   \
                          sf2_path());                                                           \
            skip();                                                                              \
        }                                                                                        \
    } while (0)


/* ------------------------------------------------------------------ folder input */

static void test_folder_resample_f0(void **state)
{
    fixture_t *f = *state;
    char p[256];
    snprintf(p, sizeof p, "%s/a3_44k.wav", f->notes);
    write_tone(p, 44100, 1, 220.0, 0.3, 1.0);
    snprintf(p, sizeof p, "%s/e4_stereo.FLAC", f->notes);
    write_tone(p, 48000, 2, 329.6276, 0.1, 0.8);
    gb_timbre_ds_build_config_t cfg;
    folder_config(&cfg, f);
    gb_timbre_ds_build_result_t res;
    gb_error_t err = {0};
    assert_int_equal(gb_timbre_ds_build(&cfg, &res, &err), 0);
    assert_int_equal(res.rendered, 2);
    assert_int_equal(res.notes, 2);
    assert_int_equal(res.train + res.validation + res.test, 2);
    gb_tds_t *ds = gb_tds_load(f->out, &err);
    assert_non_null(ds);
    assert_int_equal(ds->n_notes, 2);
    assert_true(ds->sample_rate == 48000.0);
    assert_true(fabs(ds->hop_s - 0.01) < 1e-12);
    const gb_tds_note_t *a = &ds->notes[0], *e = &ds->notes[1];
    assert_string_equal(a->name, "a3_44k.wav");
    assert_int_equal(a->program, -1);
    assert_int_equal(a->velocity, 0);
    assert_int_equal(a->key, 57);
    assert_true(fabs(a->f0_hz - 220.0) < 0.1);
    assert_int_equal(e->key, 64);
    assert_true(fabs(e->f0_hz - 329.6276) < 0.1);
    /* frames of a 1 s note at 48 kHz: about 100 of them, voiced at 220 Hz */
    assert_true(a->n_frames >= 90 && a->n_frames <= 110);
    const gb_tds_frame_t *mid = &ds->frames[a->first_frame + a->n_frames / 2];
    assert_true(fabs(mid->f0_hz - 220.0) < 0.5);
    /* normalised to −20 dBFS RMS: amp (sum of harmonic peaks) of 1.75·g·0.5 ≈ 0.20 */
    assert_true(mid->t.amp > 0.15 && mid->t.amp < 0.25);
    assert_int_equal(strlen(a->hash), 64);
    assert_int_equal(file_size(f->out) < 0, 0);
    char fp[256];
    snprintf(fp, sizeof fp, "%s/frames.f32", f->out);
    assert_int_equal(file_size(fp), (long)ds->n_frames * GB_TDS_FRAME_FLOATS * 4);
    gb_tds_free(ds);
}

static void test_folder_duplicate_silent_unreadable(void **state)
{
    fixture_t *f = *state;
    char a[256], b[256], p[256];
    snprintf(a, sizeof a, "%s/a.wav", f->notes);
    snprintf(b, sizeof b, "%s/b.wav", f->notes);
    write_tone(a, 48000, 1, 440.0, 0.2, 0.5);
    copy_file(a, b);
    snprintf(p, sizeof p, "%s/c.wav", f->notes);
    write_tone(p, 48000, 1, 261.6256, 0.2, 0.5);
    snprintf(p, sizeof p, "%s/d_silent.wav", f->notes);
    write_tone(p, 48000, 1, 440.0, 0.0, 0.5);
    snprintf(p, sizeof p, "%s/e_corrupt.wav", f->notes);
    write_text(p, "this is not audio\n");
    snprintf(p, sizeof p, "%s/readme.txt", f->notes); /* not an audio extension: ignored */
    write_text(p, "notes\n");
    gb_timbre_ds_build_config_t cfg;
    folder_config(&cfg, f);
    gb_timbre_ds_build_result_t res;
    gb_error_t err = {0};
    assert_int_equal(gb_timbre_ds_build(&cfg, &res, &err), 0);
    assert_int_equal(res.rendered, 4);
    assert_int_equal(res.duplicates_dropped, 1);
    assert_int_equal(res.silent_dropped, 1);
    assert_int_equal(res.unreadable_skipped, 1);
    assert_int_equal(res.notes, 2);
    gb_tds_t *ds = gb_tds_load(f->out, &err);
    assert_non_null(ds);
    assert_string_equal(ds->notes[0].name, "a.wav");
    assert_string_equal(ds->notes[1].name, "c.wav");
    gb_tds_free(ds);
    /* the manifest records the counts */
    char mp[256];
    snprintf(mp, sizeof mp, "%s/manifest.json", f->out);
    FILE *mf = fopen(mp, "r");
    char text[8192];
    const size_t n = fread(text, 1, sizeof text - 1, mf);
    text[n] = '\0';
    fclose(mf);
    assert_non_null(strstr(text, "\"duplicates_dropped\": 1"));
    assert_non_null(strstr(text, "\"silent_dropped\": 1"));
}

static void test_split_seeded(void **state)
{
    fixture_t *f = *state;
    char p[256];
    for (int i = 0; i < 10; i++) {
        snprintf(p, sizeof p, "%s/n%02d.wav", f->notes, i);
        write_tone(p, 16000, 1, 110.0 * pow(2.0, i / 12.0), 0.2, 0.3);
    }
    gb_timbre_ds_build_config_t cfg;
    folder_config(&cfg, f);
    cfg.sample_rate = 16000;
    cfg.split[0] = 0.6;
    cfg.split[1] = 0.2;
    cfg.split[2] = 0.2;
    gb_timbre_ds_build_result_t res;
    gb_error_t err = {0};
    assert_int_equal(gb_timbre_ds_build(&cfg, &res, &err), 0);
    assert_int_equal(res.notes, 10);
    assert_int_equal(res.train, 6);
    assert_int_equal(res.validation, 2);
    assert_int_equal(res.test, 2);
    gb_tds_t *ds1 = gb_tds_load(f->out, &err);
    assert_non_null(ds1);
    assert_int_equal(gb_tds_count(ds1, GB_TDS_TRAIN), 6);
    /* same seed → same split; another seed → (here) another one */
    assert_int_equal(gb_timbre_ds_build(&cfg, &res, &err), 0);
    gb_tds_t *ds2 = gb_tds_load(f->out, &err);
    cfg.seed = 2;
    assert_int_equal(gb_timbre_ds_build(&cfg, &res, &err), 0);
    gb_tds_t *ds3 = gb_tds_load(f->out, &err);
    assert_non_null(ds2);
    assert_non_null(ds3);
    int same12 = 1, same13 = 1;
    for (int i = 0; i < 10; i++) {
        same12 &= ds1->notes[i].split == ds2->notes[i].split;
        same13 &= ds1->notes[i].split == ds3->notes[i].split;
    }
    assert_true(same12);
    assert_false(same13);
    assert_int_equal(ds3->seed, 2);
    gb_tds_free(ds1);
    gb_tds_free(ds2);
    gb_tds_free(ds3);
}

static void test_noise_gate(void **state)
{
    fixture_t *f = *state;
    char p[256];
    snprintf(p, sizeof p, "%s/a.wav", f->notes);
    write_tone(p, 48000, 1, 440.0, 0.2, 0.5);
    gb_timbre_ds_build_config_t cfg;
    folder_config(&cfg, f);
    cfg.noise_gate_db = -60.0;
    gb_timbre_ds_build_result_t res;
    gb_error_t err = {0};
    assert_int_equal(gb_timbre_ds_build(&cfg, &res, &err), 0);
    gb_tds_t *ds = gb_tds_load(f->out, &err);
    assert_non_null(ds);
    assert_true(fabs(ds->notes[0].f0_hz - 440.0) < 0.2);
    gb_tds_free(ds);
}

/* ------------------------------------------------------------------ errors */

static void test_errors_pipeline(void **state)
{
    fixture_t *f = *state;
    gb_timbre_ds_build_config_t cfg;
    gb_error_t err = {0};
    char p[256];

    gb_timbre_ds_build_config_init(&cfg);
    cfg.out_dir = f->out;
    cfg.soundfont = "/nonexistent/missing.sf2";
    assert_int_equal(gb_timbre_ds_build(&cfg, NULL, &err), GB_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/missing.sf2"));
    assert_non_null(strstr(err.msg, "no such file"));

    snprintf(p, sizeof p, "%s/bad.sf2", f->root);
    write_text(p, "RIFF but not really a SoundFont");
    cfg.soundfont = p;
    assert_int_equal(gb_timbre_ds_build(&cfg, NULL, &err), GB_EFORMAT);
    assert_non_null(strstr(err.msg, "bad.sf2"));
    assert_non_null(strstr(err.msg, "cannot load"));

    gb_timbre_ds_build_config_init(&cfg);
    cfg.out_dir = f->out;
    cfg.notes_dir = "/nonexistent/notes";
    assert_int_equal(gb_timbre_ds_build(&cfg, NULL, &err), GB_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/notes"));

    /* empty result: only a silent note */
    snprintf(p, sizeof p, "%s/quiet.wav", f->notes);
    write_tone(p, 48000, 1, 440.0, 0.0, 0.3);
    folder_config(&cfg, f);
    assert_int_equal(gb_timbre_ds_build(&cfg, NULL, &err), GB_ERANGE);
    assert_non_null(strstr(err.msg, "no notes left"));
    assert_non_null(strstr(err.msg, f->notes));
    snprintf(p, sizeof p, "%s/manifest.json", f->out);
    assert_int_equal(file_size(p), -1); /* nothing half-written left behind */
    snprintf(p, sizeof p, "%s/frames.f32.tmp", f->out);
    assert_int_equal(file_size(p), -1);

    /* unwritable output: a path below a regular file */
    snprintf(p, sizeof p, "%s/quiet.wav/ds", f->notes);
    folder_config(&cfg, f);
    cfg.out_dir = p;
    assert_int_equal(gb_timbre_ds_build(&cfg, NULL, &err), GB_EIO);
    assert_non_null(strstr(err.msg, p));

    folder_config(&cfg, f);
    cfg.split[0] = 0.9;
    assert_int_equal(gb_timbre_ds_build(&cfg, NULL, &err), GB_ERANGE);
    assert_non_null(strstr(err.msg, "split"));
}

/* A valid one-note dataset in f->out, for the reader tests. */
static void make_dataset(fixture_t *f)
{
    char p[256];
    snprintf(p, sizeof p, "%s/a.wav", f->notes);
    write_tone(p, 48000, 1, 440.0, 0.2, 0.4);
    gb_timbre_ds_build_config_t cfg;
    folder_config(&cfg, f);
    gb_error_t err = {0};
    assert_int_equal(gb_timbre_ds_build(&cfg, NULL, &err), 0);
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    const long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
    s[n] = '\0';
    fclose(fp);
    return s;
}

static void replace_in_file(const char *path, const char *from, const char *to)
{
    char *s = slurp(path);
    char *at = strstr(s, from);
    assert_non_null(at);
    FILE *fp = fopen(path, "wb");
    fwrite(s, 1, (size_t)(at - s), fp);
    fputs(to, fp);
    fputs(at + strlen(from), fp);
    fclose(fp);
    free(s);
}

static void test_errors_reader(void **state)
{
    fixture_t *f = *state;
    gb_error_t err = {0};
    char mp[256], fp[256];
    snprintf(mp, sizeof mp, "%s/manifest.json", f->out);
    snprintf(fp, sizeof fp, "%s/frames.f32", f->out);

    assert_null(gb_tds_load(f->root, &err)); /* no manifest */
    assert_int_equal(err.code, GB_EIO);
    assert_non_null(strstr(err.msg, "manifest.json"));

    make_dataset(f);
    gb_tds_t *ds = gb_tds_load(f->out, &err);
    assert_non_null(ds);
    const uint32_t frames = ds->n_frames;
    gb_tds_free(ds);

    /* truncated frames.f32 */
    assert_int_equal(truncate(fp, (off_t)frames * GB_TDS_FRAME_FLOATS * 4 - 4), 0);
    assert_null(gb_tds_load(f->out, &err));
    assert_int_equal(err.code, GB_EFORMAT);
    assert_non_null(strstr(err.msg, "frames.f32"));
    assert_non_null(strstr(err.msg, "truncated"));

    /* NaN in frames.f32 */
    make_dataset(f);
    FILE *w = fopen(fp, "r+b");
    const float nan = NAN;
    fseek(w, 4 * (GB_TDS_FRAME_FLOATS + 5), SEEK_SET);
    fwrite(&nan, 4, 1, w);
    fclose(w);
    assert_null(gb_tds_load(f->out, &err));
    assert_non_null(strstr(err.msg, "NaN"));
    assert_non_null(strstr(err.msg, "frame 1"));

    /* corrupt manifest: syntax, format, notes not back to back, wrong counts */
    make_dataset(f);
    write_text(mp, "{\"format\": \"gbac-timbre-ds/1\",\n oops");
    assert_null(gb_tds_load(f->out, &err));
    assert_int_equal(err.code, GB_EFORMAT);
    assert_non_null(strstr(err.msg, "manifest.json:2:"));

    make_dataset(f);
    replace_in_file(mp, "gbac-timbre-ds/1", "gbac-timbre-ds/9");
    assert_null(gb_tds_load(f->out, &err));
    assert_non_null(strstr(err.msg, "gbac-timbre-ds/9"));

    make_dataset(f);
    replace_in_file(mp, "\"first_frame\":0", "\"first_frame\":3");
    assert_null(gb_tds_load(f->out, &err));
    assert_non_null(strstr(err.msg, "notes[0]: \"first_frame\" is 3, expected 0"));

    make_dataset(f);
    replace_in_file(mp, "\"split\":\"", "\"split\":\"x");
    assert_null(gb_tds_load(f->out, &err));
    assert_non_null(strstr(err.msg, "notes[0]: \"split\" must be"));

    make_dataset(f);
    replace_in_file(mp, "\"notes\": 1", "\"notes\": 2");
    assert_null(gb_tds_load(f->out, &err));
    assert_non_null(strstr(err.msg, "counts: \"notes\" is 2"));

    /* where the notes lie after their note-on: folder notes start at it, off unknown */
    make_dataset(f);
    ds = gb_tds_load(f->out, &err);
    assert_non_null(ds);
    assert_true(ds->notes[0].onset_s >= 0.0f && ds->notes[0].onset_s < 0.1f);
    assert_true(ds->notes[0].off_s == -1.0f);
    gb_tds_free(ds);
    replace_in_file(mp, "\"off_s\":-1", "\"off_s\":-2");
    assert_null(gb_tds_load(f->out, &err));
    assert_int_equal(err.code, GB_ERANGE);
    assert_non_null(strstr(err.msg, "notes[0]: \"off_s\" = -2 is out of range"));
    make_dataset(f);
    replace_in_file(mp, "\"onset_s\":", "\"onset_s\":\"x\",\"y\":");
    assert_null(gb_tds_load(f->out, &err));
    assert_non_null(strstr(err.msg, "\"onset_s\""));
}

/* ------------------------------------------------------------------ SoundFont grid */

static void test_soundfont_grid(void **state)
{
    SKIP_WITHOUT_SOUNDFONT();
    fixture_t *f = *state;
    gb_timbre_ds_build_config_t cfg;
    gb_timbre_ds_build_config_init(&cfg);
    cfg.out_dir = f->out;
    cfg.soundfont = sf2_path();
    const int progs[] = {0, 40, 43, 73}, keys[] = {60, 72};
    memcpy(cfg.programs, progs, sizeof progs);
    cfg.n_programs = 4;
    memcpy(cfg.keys, keys, sizeof keys);
    cfg.n_keys = 2;
    cfg.velocities[0] = 100;
    cfg.n_velocities = 1;
    gb_timbre_ds_build_result_t res;
    gb_error_t err = {0};
    assert_int_equal(gb_timbre_ds_build(&cfg, &res, &err), 0);
    print_message("grid 4x2x1: %d rendered, %d silent, %d duplicates, %d no pitch, %d kept, "
                  "%u frames, render %.2f s, analysis %.2f s\n",
                  res.rendered, res.silent_dropped, res.duplicates_dropped, res.no_pitch_dropped,
                  res.notes, res.frames, res.render_s, res.analyse_s);
    assert_int_equal(res.rendered, 8);
    assert_true(res.silent_dropped >= 1); /* program 43 (contrabass) is silent at C4 */
    assert_int_equal(res.notes + res.silent_dropped + res.duplicates_dropped +
                         res.no_pitch_dropped, 8);
    assert_int_equal(res.train + res.validation + res.test, res.notes);

    gb_tds_t *ds = gb_tds_load(f->out, &err);
    assert_non_null(ds);
    assert_int_equal(ds->n_notes, res.notes);
    assert_int_equal(ds->n_frames, res.frames);
    assert_null(find_note(ds, "p043_k060_v100"));
    const gb_tds_note_t *piano = find_note(ds, "p000_k060_v100");
    assert_non_null(piano);
    assert_int_equal(piano->program, 0);
    assert_int_equal(piano->key, 60);
    assert_int_equal(piano->velocity, 100);
    assert_true(fabs(piano->f0_hz - 261.6256) < 1.0);
    const gb_tds_note_t *flute = find_note(ds, "p073_k072_v100");
    assert_non_null(flute);
    assert_string_equal(flute->name, "Flute");
    assert_true(fabs(flute->f0_hz - 523.2511) < 2.0);
    char fp[256];
    snprintf(fp, sizeof fp, "%s/frames.f32", f->out);
    assert_int_equal(file_size(fp), (long)res.frames * GB_TDS_FRAME_FLOATS * 4);
    assert_int_equal(gb_tds_count(ds, GB_TDS_TRAIN) + gb_tds_count(ds, GB_TDS_VALIDATION) +
                         gb_tds_count(ds, GB_TDS_TEST),
                     ds->n_notes);
    assert_int_equal(gb_tds_count(ds, GB_TDS_TRAIN), res.train);

    /* deterministic: the same config writes the same frames */
    char *first = slurp(fp);
    assert_int_equal(gb_timbre_ds_build(&cfg, &res, &err), 0);
    char *second = slurp(fp);
    assert_memory_equal(first, second, (size_t)ds->n_frames * GB_TDS_FRAME_FLOATS * 4);
    free(first);
    free(second);
    gb_tds_free(ds);
}

/* ------------------------------------------------------------------ CLI */

/* Run the binary with args (a shell fragment); stderr to buf. Returns the exit status. */
static int run_cli(const char *args, char *buf, size_t size)
{
    char cmd[2048], errpath[] = "/tmp/gbac-dataset-err-XXXXXX";
    const int fd = mkstemp(errpath);
    assert_true(fd >= 0);
    close(fd);
    snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null 2>'%s'", g_gbac, args, errpath);
    const int st = system(cmd);
    char *s = slurp(errpath);
    snprintf(buf, size, "%s", s);
    free(s);
    unlink(errpath);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli_usage(void **state)
{
    (void)state;
    char e[4096];
    assert_int_equal(run_cli("dataset", e, sizeof e), 2);
    assert_int_equal(run_cli("dataset timbre", e, sizeof e), 2);
    assert_non_null(strstr(e, "-o DIR"));
    assert_int_equal(run_cli("dataset sounds -o x", e, sizeof e), 2);
    assert_int_equal(run_cli("dataset timbre -o x --keys 200", e, sizeof e), 2);
    assert_non_null(strstr(e, "--keys"));
    assert_int_equal(run_cli("dataset timbre -o x --split 0.5,0.5,0.5", e, sizeof e), 2);
    assert_int_equal(run_cli("dataset timbre -o x --bogus", e, sizeof e), 2);
    assert_int_equal(run_cli("dataset timbre -o x --programs", e, sizeof e), 2);
    assert_int_equal(run_cli("dataset --help", e, sizeof e), 0);
}

static void test_cli_errors_and_folder(void **state)
{
    fixture_t *f = *state;
    char e[4096], args[1024];
    snprintf(args, sizeof args, "dataset timbre -o '%s' --soundfont /nonexistent/x.sf2", f->out);
    assert_int_equal(run_cli(args, e, sizeof e), 1);
    assert_non_null(strstr(e, "/nonexistent/x.sf2"));
    snprintf(args, sizeof args, "dataset timbre -o '%s' --notes-from /nonexistent/dir", f->out);
    assert_int_equal(run_cli(args, e, sizeof e), 1);
    assert_non_null(strstr(e, "/nonexistent/dir"));

    char p[256];
    snprintf(p, sizeof p, "%s/g3.wav", f->notes);
    write_tone(p, 22050, 1, 195.9977, 0.2, 0.6);
    snprintf(args, sizeof args, "dataset timbre -o '%s' --notes-from '%s' --seed 7", f->out,
             f->notes);
    assert_int_equal(run_cli(args, e, sizeof e), 0);
    assert_non_null(strstr(e, "1 notes"));
    gb_error_t err = {0};
    gb_tds_t *ds = gb_tds_load(f->out, &err);
    assert_non_null(ds);
    assert_int_equal(ds->seed, 7);
    assert_int_equal(ds->notes[0].key, 55);
    assert_true(fabs(ds->notes[0].f0_hz - 195.9977) < 0.2);
    gb_tds_free(ds);
}

static void test_cli_soundfont(void **state)
{
    SKIP_WITHOUT_SOUNDFONT();
    fixture_t *f = *state;
    char e[8192], args[1024];
    snprintf(args, sizeof args,
             "dataset timbre -o '%s' --soundfont '%s' --programs 0,43 --keys 60,69 "
             "--velocities 100 --note-s 0.5",
             f->out, sf2_path());
    assert_int_equal(run_cli(args, e, sizeof e), 0);
    assert_non_null(strstr(e, "4/4 notes"));
    gb_error_t err = {0};
    gb_tds_t *ds = gb_tds_load(f->out, &err);
    assert_non_null(ds);
    const gb_tds_note_t *a4 = find_note(ds, "p000_k069_v100");
    assert_non_null(a4);
    assert_true(fabs(a4->f0_hz - 440.0) < 1.0);
    assert_null(find_note(ds, "p043_k060_v100"));
    assert_string_equal(ds->licence, "MIT (FluidR3_GM)");
    gb_tds_free(ds);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--soundfont") == 0) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_soundfont_grid, setup, teardown),
        };
        return cmocka_run_group_tests_name("dataset_soundfont", tests, NULL, NULL);
    }
    if (argc >= 3 && strcmp(argv[1], "--cli") == 0) {
        g_gbac = argv[2];
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_cli_usage),
            cmocka_unit_test_setup_teardown(test_cli_errors_and_folder, setup, teardown),
        };
        return cmocka_run_group_tests_name("dataset_cli", tests, NULL, NULL);
    }
    if (argc >= 3 && strcmp(argv[1], "--cli-soundfont") == 0) {
        g_gbac = argv[2];
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_cli_soundfont, setup, teardown),
        };
        return cmocka_run_group_tests_name("dataset_cli_soundfont", tests, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_folder_resample_f0, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folder_duplicate_silent_unreadable, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_split_seeded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_noise_gate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_pipeline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_reader, setup, teardown),
    };
    return cmocka_run_group_tests_name("test_dataset", tests, NULL, NULL);
}
