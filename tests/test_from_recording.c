/* test_from_recording.c — `gbac dataset timbre --from-recording`: a solo phrase of one FluidR3
 * instrument rendered to WAV in the test is cut into notes (≥ 90% found, pitches right), a
 * model trained on it reconstructs its held-out notes better than the shipped model, and bad
 * recordings get clear messages.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   test_from_recording --cut GBAC          the phrase cut into notes: counts and pitches
 *   test_from_recording --train GBAC MODEL  dataset → small training → eval against MODEL
 *   test_from_recording --bad GBAC          silence, noise, clipping, rates, channels, not audio
 *   test_from_recording --write-phrase OUT.wav  just write the phrase (for trying things)
 * Without FluidR3_GM (Debian fluid-soundfont-gm) the phrase tests are reported as skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fluidsynth.h>
#include <jansson.h>
#include <sndfile.h>

#include "gb_timbre_ds.h"
#include "gb_timbre_ds_build.h"
#include "gb_tmpdir.h"

#define SR 48000
#define PROGRAM 71 /* Clarinet */
#define N_PHRASE 48

static const char *g_gbac, *g_model;
static char g_dir[512];

typedef struct pnote {
    int key;
    double on, off; /* seconds */
} pnote_t;

/* The phrase: 48 notes of a clarinet line over G3..A5, lengths 0.25..0.7 s, separated by
 * 0.03..0.2 s rests, every fourth note tied legato to the next (no rest). Seeded, fixed. */
static int make_phrase(pnote_t *p)
{
    static const int scale[] = {55, 57, 59, 60, 62, 64, 65, 67, 69, 71, 72, 74, 76, 77, 79, 81};
    uint64_t s = 12345;
    double t = 0.3;
    int idx = 7;
    for (int i = 0; i < N_PHRASE; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        const int step = (int)((s >> 33) % 5) - 2; /* −2..2 scale steps, never 0 twice */
        idx += step == 0 ? 1 : step;
        idx = idx < 0 ? 1 : idx > 15 ? 14 : idx;
        const double len = 0.25 + 0.45 * (double)((s >> 40) % 1000) / 1000.0;
        const double rest = i % 4 == 3 ? 0.0 : 0.03 + 0.17 * (double)((s >> 20) % 1000) / 1000.0;
        p[i].key = scale[idx];
        if (i > 0 && p[i].key == p[i - 1].key && t == p[i - 1].off) /* no tied repeats */
            p[i].key = scale[idx = idx < 15 ? idx + 1 : idx - 1];
        p[i].on = t;
        p[i].off = t + len;
        t += len + rest;
    }
    return N_PHRASE;
}

static const char *sf2(void)
{
    const char *e = getenv("GBAC_TEST_SF2");
    return e && *e ? e : GB_DATASET_DEFAULT_SF2;
}

/* Render the phrase with libfluidsynth (reverb and chorus off) to a 48 kHz stereo WAV. */
static int write_phrase(const char *path, const pnote_t *p, int n)
{
    fluid_settings_t *st = new_fluid_settings();
    fluid_settings_setnum(st, "synth.sample-rate", SR);
    fluid_settings_setint(st, "synth.reverb.active", 0);
    fluid_settings_setint(st, "synth.chorus.active", 0);
    fluid_settings_setnum(st, "synth.gain", 1.0);
    fluid_synth_t *syn = new_fluid_synth(st);
    if (fluid_synth_sfload(syn, sf2(), 1) == FLUID_FAILED) {
        delete_fluid_synth(syn);
        delete_fluid_settings(st);
        return -1;
    }
    fluid_synth_program_change(syn, 0, PROGRAM);
    const size_t total = (size_t)((p[n - 1].off + 1.0) * SR);
    float *l = calloc(total, sizeof *l), *r = calloc(total, sizeof *r),
          *lr = calloc(2 * total, sizeof *lr);
    size_t pos = 0;
    int next_on = 0, next_off = 0; /* notes are in time order and do not overlap */
    while (next_on < n || next_off < n) {
        const size_t t_on = next_on < n ? (size_t)(p[next_on].on * SR) : total;
        const size_t t_off = next_off < n ? (size_t)(p[next_off].off * SR) : total;
        const int is_off = t_off <= t_on; /* at a tie the note-off goes first */
        const size_t at = is_off ? t_off : t_on;
        if (at > pos) {
            fluid_synth_write_float(syn, (int)(at - pos), l, (int)pos, 1, r, (int)pos, 1);
            pos = at;
        }
        if (is_off)
            fluid_synth_noteoff(syn, 0, p[next_off++].key);
        else
            fluid_synth_noteon(syn, 0, p[next_on].key, 80 + 8 * (next_on % 5)), next_on++;
    }
    if (pos < total)
        fluid_synth_write_float(syn, (int)(total - pos), l, (int)pos, 1, r, (int)pos, 1);
    for (size_t i = 0; i < total; i++) {
        lr[2 * i] = l[i];
        lr[2 * i + 1] = r[i];
    }
    SF_INFO info = {.samplerate = SR, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    int rc = f && sf_writef_float(f, lr, (sf_count_t)total) == (sf_count_t)total ? 0 : -1;
    if (f)
        sf_close(f);
    free(l);
    free(r);
    free(lr);
    delete_fluid_synth(syn);
    delete_fluid_settings(st);
    return rc;
}

/* Run argv (NULL-terminated) with stdout and stderr to files; returns the exit status. */
static int run(char *const argv[], const char *out, const char *errf)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(out, "w", stdout) || !freopen(errf, "w", stderr))
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    char *b = calloc(1 << 20, 1);
    size_t n = fread(b, 1, (1 << 20) - 1, f);
    b[n] = 0;
    fclose(f);
    return b;
}

static void path_in(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", g_dir, name);
}

/* Build a dataset from one recording; returns the exit status, stderr in *msg (free). */
static int dataset(const char *wav, const char *ds, const char *split, char **msg)
{
    char out[600], err[600];
    path_in(out, sizeof out, "out.txt");
    path_in(err, sizeof err, "err.txt");
    char *argv[] = {(char *)g_gbac, "dataset", "timbre",  "-o", (char *)ds, "--split",
                    (char *)split, "--from-recording", (char *)wav, NULL};
    const int rc = run(argv, out, err);
    if (msg)
        *msg = slurp(err);
    return rc;
}

static int have_sf2(void)
{
    return access(sf2(), R_OK) == 0;
}

/* ---- the phrase cut into notes -------------------------------------------------------- */

static void test_cut(void **state)
{
    (void)state;
    if (!have_sf2()) {
        print_message("no %s (Debian fluid-soundfont-gm)\n", sf2());
        skip();
    }
    pnote_t p[N_PHRASE];
    const int n = make_phrase(p);
    char wav[600], ds[600];
    path_in(wav, sizeof wav, "phrase.wav");
    path_in(ds, sizeof ds, "ds-cut");
    assert_int_equal(write_phrase(wav, p, n), 0);
    char *msg = NULL;
    assert_int_equal(dataset(wav, ds, "1,0,0", &msg), 0);
    gb_error_t e = {0};
    gb_tds_t *d = gb_tds_load(ds, &e);
    assert_non_null(d);
    /* every note found: one dataset note whose onset lies within 40 ms of the note-on and
     * whose f0 is within 50 cents of the key */
    int found = 0, used[512] = {0};
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < d->n_notes && k < 512; k++) {
            double start;
            const char *at = strrchr(d->notes[k].name, '@');
            if (used[k] || !at || sscanf(at + 1, "%lfs", &start) != 1)
                continue;
            const double cents = 1200.0 * log2(d->notes[k].f0_hz / (440.0 * pow(2.0, (p[i].key - 69) / 12.0)));
            if (fabs(start - p[i].on) < 0.04 && fabs(cents) < 50.0) {
                used[k] = 1;
                found++;
                break;
            }
        }
    }
    int extra = 0;
    for (int k = 0; k < d->n_notes && k < 512; k++)
        extra += !used[k];
    print_message("%d of %d notes found, %d extra; %s", found, n, extra, msg);
    assert_true(found >= (int)ceil(0.9 * n));
    assert_true(extra <= n / 10);
    /* the release of notes followed by a rest is known */
    int with_off = 0;
    for (int k = 0; k < d->n_notes; k++)
        with_off += d->notes[k].off_s > 0.0f;
    assert_true(with_off >= n / 3);
    gb_tds_free(d);
    free(msg);
}

/* ---- your own sound: train on it, beat the shipped model -------------------------------- */

static double eval_msd(const char *model, const char *ds)
{
    char out[600], err[600];
    path_in(out, sizeof out, "eval.json");
    path_in(err, sizeof err, "eval.err");
    char *argv[] = {(char *)g_gbac, "eval", "timbre", "--model", (char *)model,
                    "--data", (char *)ds, "--json", NULL};
    const int rc = run(argv, out, err);
    char *o = slurp(out), *er = slurp(err);
    if (rc != 0)
        print_message("eval %s: exit %d: %s\n", model, rc, er);
    assert_int_equal(rc, 0);
    json_t *j = json_loads(o, 0, NULL);
    assert_non_null(j);
    const double v = json_number_value(json_object_get(j, "msd_model"));
    json_decref(j);
    free(o);
    free(er);
    return v;
}

static void test_train(void **state)
{
    (void)state;
    if (!have_sf2()) {
        print_message("no %s (Debian fluid-soundfont-gm)\n", sf2());
        skip();
    }
    pnote_t p[N_PHRASE];
    const int n = make_phrase(p);
    char wav[600], ds[600], model[600], out[600], err[600];
    path_in(wav, sizeof wav, "phrase.wav");
    path_in(ds, sizeof ds, "ds-train");
    path_in(model, sizeof model, "mine.safetensors");
    assert_int_equal(write_phrase(wav, p, n), 0);
    assert_int_equal(dataset(wav, ds, "0.7,0.1,0.2", NULL), 0);
    path_in(out, sizeof out, "train.out");
    path_in(err, sizeof err, "train.err");
    char *argv[] = {(char *)g_gbac, "train", "timbre", "--data", ds, "--out", model,
                    "--hidden", "64", "--epochs", "1500", "--patience", "200", "--lr", "0.002",
                    "--no-ablation",
                    "-q", NULL};
    const int rc = run(argv, out, err);
    char *o = slurp(out), *er = slurp(err);
    print_message("%s%s", o, er);
    assert_int_equal(rc, 0);
    free(o);
    free(er);
    const double mine = eval_msd(model, ds), shipped = eval_msd(g_model, ds);
    print_message("held-out notes of the phrase: trained on it %.4f, shipped model %.4f\n",
                  mine, shipped);
    assert_true(mine < shipped);
}

/* ---- bad recordings -------------------------------------------------------------------- */

static void write_wav(const char *path, const float *x, size_t frames, int ch, int rate)
{
    SF_INFO info = {.samplerate = rate, .channels = ch, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    assert_non_null(f);
    assert_int_equal(sf_writef_float(f, x, (sf_count_t)frames), (sf_count_t)frames);
    sf_close(f);
}

/* A 3 s phrase of six sawtooth-ish tones (harmonics 1..8), ch channels at rate; gain g. */
static float *tones(size_t *frames, int ch, int rate, double g)
{
    const size_t n = (size_t)(3.0 * rate);
    float *x = calloc(n * (size_t)ch, sizeof *x);
    static const double hz[6] = {220, 247, 262, 294, 330, 349};
    for (size_t i = 0; i < n; i++) {
        const double t = (double)i / rate;
        const int k = (int)(t / 0.5);
        const double tl = t - 0.5 * k;
        double v = 0.0;
        if (tl > 0.02 && tl < 0.42)
            for (int h = 1; h <= 8; h++)
                v += sin(2 * M_PI * hz[k] * h * t) / h;
        for (int c = 0; c < ch; c++)
            x[i * (size_t)ch + c] = (float)(g * 0.3 * v);
    }
    *frames = n;
    return x;
}

static void expect(const char *wav, int code, const char *text, int min_notes)
{
    char ds[600];
    path_in(ds, sizeof ds, "ds-bad");
    char *msg = NULL;
    const int rc = dataset(wav, ds, "1,0,0", &msg);
    if (rc != code || !strstr(msg, text))
        print_message("%s: exit %d, expected %d and '%s' in:\n%s\n", wav, rc, code, text, msg);
    assert_int_equal(rc, code);
    assert_non_null(strstr(msg, text));
    if (code == 0) {
        gb_error_t e = {0};
        gb_tds_t *d = gb_tds_load(ds, &e);
        assert_non_null(d);
        assert_true(d->n_notes >= min_notes);
        gb_tds_free(d);
    }
    free(msg);
}

static void test_bad(void **state)
{
    (void)state;
    char p[600];
    size_t n;
    /* silence */
    float *z = calloc(SR * 2, sizeof *z);
    path_in(p, sizeof p, "silence.wav");
    write_wav(p, z, SR * 2, 1, SR);
    expect(p, 1, "silent", 0);
    /* noise: no pitched note */
    for (int i = 0; i < SR * 2; i++)
        z[i] = (float)(0.3 * ((double)rand() / RAND_MAX * 2 - 1));
    path_in(p, sizeof p, "noise.wav");
    write_wav(p, z, SR * 2, 1, SR);
    expect(p, 1, "no stable pitched note", 0);
    free(z);
    /* mono, stereo and 6 channels at 44.1 kHz, 96 kHz and 22.05 kHz: all six tones */
    const int chans[3] = {1, 2, 6}, rates[3] = {44100, 96000, 22050};
    for (int c = 0; c < 3; c++) {
        float *x = tones(&n, chans[c], rates[c], 1.0);
        snprintf(p, sizeof p, "%s/tones-%d.wav", g_dir, chans[c]);
        write_wav(p, x, n, chans[c], rates[c]);
        expect(p, 0, chans[c] > 1 ? "(mixed to mono)" : "6 kept", 6);
        free(x);
    }
    /* clipping: every note hits full scale and is dropped, named as such */
    float *x = tones(&n, 1, SR, 8.0);
    for (size_t i = 0; i < n; i++)
        x[i] = x[i] > 1.0f ? 1.0f : x[i] < -1.0f ? -1.0f : x[i];
    path_in(p, sizeof p, "clipped.wav");
    write_wav(p, x, n, 1, SR);
    expect(p, 1, "clipping", 0);
    free(x);
    /* a sample rate libsndfile reads but gbac refuses */
    x = tones(&n, 1, 4000, 1.0);
    path_in(p, sizeof p, "rate4k.wav");
    write_wav(p, x, n, 1, 4000);
    expect(p, 1, "sample rate 4000 Hz is outside 8000..384000 Hz", 0);
    free(x);
    /* not audio */
    path_in(p, sizeof p, "text.wav");
    FILE *f = fopen(p, "w");
    fputs("RIFF but not really a WAV file\n", f);
    fclose(f);
    expect(p, 1, "cannot read it as audio", 0);
    /* missing file, missing argument */
    path_in(p, sizeof p, "missing.wav");
    expect(p, 1, "missing.wav", 0);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-phrase") == 0) {
        pnote_t p[N_PHRASE];
        return write_phrase(argv[2], p, make_phrase(p)) ? 1 : 0;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: test_from_recording --cut|--bad GBAC | --train GBAC MODEL\n");
        return 2;
    }
    g_gbac = argv[2];
    g_model = argc > 3 ? argv[3] : NULL;
    if (gbt_tmpdir(g_dir, sizeof g_dir, "rec") != 0)
        return 1;
    int rc = 2;
    if (strcmp(argv[1], "--cut") == 0) {
        const struct CMUnitTest t[] = {cmocka_unit_test(test_cut)};
        rc = cmocka_run_group_tests(t, NULL, NULL);
    } else if (strcmp(argv[1], "--train") == 0 && g_model) {
        const struct CMUnitTest t[] = {cmocka_unit_test(test_train)};
        rc = cmocka_run_group_tests(t, NULL, NULL);
    } else if (strcmp(argv[1], "--bad") == 0) {
        const struct CMUnitTest t[] = {cmocka_unit_test(test_bad)};
        rc = cmocka_run_group_tests(t, NULL, NULL);
    }
    gbt_rm_rf(g_dir);
    return rc;
}
