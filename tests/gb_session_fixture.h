/* gb_session_fixture.h — a small recorded session folder written per docs/session.md, for the
 * tests of `gbac publish` and `gbac plot`, and a runner that calls a command and keeps what
 * it printed on stderr.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The session (48 kHz, 4 s):
 *   audio.wav        stereo float: 440 Hz (peak 0.5) for 0..2 s, 1000 Hz (peak 0.5) for 2..4 s
 *   notes.mid        "performer": 12 notes of 0.25 s (3.0 s sounding), C4 upward;
 *                    "melody (gbac.melody-gan)": 16 notes of 0.2 s (3.2 s sounding), C5 up
 *   control.jsonl    vae/z0..z7 at 0, 1 and 2 s (z_k = (k - 3.5) / 4 · (1, -1, 0.5)), three
 *                    melody/score lines (0.73, 0.5, 0.9 at 1, 2, 3 s), one like, a cc line
 *   provenance.json  contributions 12 notes / 3.0 s and 16 notes / 3.2 s, the melody GAN's card
 */
#ifndef GB_SESSION_FIXTURE_H
#define GB_SESSION_FIXTURE_H

#include <math.h>
#include <stdarg.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gb_midifile.h"
#include "gb_tmpdir.h"

#define FX_SR 48000
#define FX_FRAMES (4 * FX_SR)
#define FX_PERF_NOTES 12
#define FX_MODEL_NOTES 16
#define FX_CREATED "2026-11-28T20:00:00Z"

static int fx_write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static int fx_write_wav(const char *path)
{
    SF_INFO info = {.samplerate = FX_SR, .channels = 2,
                    .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf)
        return -1;
    float *buf = malloc(sizeof(float) * 2 * FX_FRAMES);
    if (!buf) {
        sf_close(sf);
        return -1;
    }
    for (int i = 0; i < FX_FRAMES; i++) {
        double f = i < FX_FRAMES / 2 ? 440.0 : 1000.0;
        buf[2 * i] = buf[2 * i + 1] = (float)(0.5 * sin(2 * M_PI * f * i / FX_SR));
    }
    int rc = sf_writef_float(sf, buf, FX_FRAMES) == FX_FRAMES ? 0 : -1;
    free(buf);
    return sf_close(sf) || rc ? -1 : 0;
}

/* with_notes 0: both tracks named but empty. */
static int fx_write_midi(const char *path, int with_notes)
{
    gb_error_t err;
    gb_midifile_writer_t *w = gb_midifile_writer_new(120, 960, &err);
    if (!w)
        return -1;
    int perf = gb_midifile_writer_add_track(w, "performer", &err);
    int mel = gb_midifile_writer_add_track(w, "melody (gbac.melody-gan)", &err);
    int rc = perf > 0 && mel > 0 ? 0 : -1;
    for (int i = 0; with_notes && i < FX_PERF_NOTES && rc == 0; i++) {
        gbp_event_t on = {.type = GBP_EV_NOTE_ON, .key = (uint8_t)(60 + i), .value = 0.8f};
        gbp_event_t off = on;
        off.type = GBP_EV_NOTE_OFF;
        rc |= gb_midifile_writer_add(w, perf, i * 0.3, &on, &err);
        rc |= gb_midifile_writer_add(w, perf, i * 0.3 + 0.25, &off, &err);
    }
    for (int i = 0; with_notes && i < FX_MODEL_NOTES && rc == 0; i++) {
        gbp_event_t on = {.type = GBP_EV_NOTE_ON, .key = (uint8_t)(72 + i % 8), .value = 0.7f,
                          .source = 3};
        gbp_event_t off = on;
        off.type = GBP_EV_NOTE_OFF;
        rc |= gb_midifile_writer_add(w, mel, 0.1 + i * 0.24, &on, &err);
        rc |= gb_midifile_writer_add(w, mel, 0.1 + i * 0.24 + 0.2, &off, &err);
    }
    if (rc == 0)
        rc = gb_midifile_writer_save(w, path, &err);
    if (rc)
        fprintf(stderr, "fixture: %s\n", err.msg);
    gb_midifile_writer_free(w);
    return rc;
}

static int fx_write_control(const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    static const double mult[3] = {1, -1, 0.5};
    for (int s = 0; s < 3; s++)
        for (int k = 0; k < 8; k++)
            fprintf(f, "{\"frame\": %d, \"kind\": \"param\", \"param\": \"vae/z%d\", "
                       "\"value\": %g, \"from\": \"midi\"}\n",
                    s * FX_SR + k, k, (k - 3.5) / 4 * mult[s]);
    static const double score[3] = {0.73, 0.5, 0.9};
    for (int s = 0; s < 3; s++)
        fprintf(f, "{\"frame\": %d, \"kind\": \"param\", \"param\": \"melody/score\", "
                   "\"value\": %g, \"from\": \"unit\"}\n", (s + 1) * FX_SR, score[s]);
    fprintf(f, "{\"frame\": 100000, \"kind\": \"cc\", \"channel\": 0, \"cc\": 7, "
               "\"value\": 0.5}\n");
    fprintf(f, "{\"frame\": 120000, \"kind\": \"param\", \"param\": \"melody/like\", "
               "\"value\": 1, \"from\": \"osc\"}\n");
    fprintf(f, "{\"frame\": 120000, \"kind\": \"rating\", \"slot\": \"melody\", "
               "\"value\": 1}\n");
    return fclose(f);
}

static const char fx_provenance[] =
    "{\n"
    "  \"format\": \"gbac-session/1\",\n"
    "  \"gbac_version\": \"0.1.0\",\n"
    "  \"created\": \"" FX_CREATED "\",\n"
    "  \"command\": \"live\",\n"
    "  \"preset\": {\"name\": \"melody-answer\", \"file\": \"presets/melody-answer.json\","
    " \"sha256\": \"00\"},\n"
    "  \"sample_rate\": 48000, \"frames\": 192000, \"seconds\": 4.0, \"seed\": 1,\n"
    "  \"audio\": {\"file\": \"audio.wav\", \"frames\": 192000, \"complete\": true,"
    " \"overruns\": 0, \"stopped\": null},\n"
    "  \"midi\": {\"file\": \"notes.mid\", \"tracks\": [\"performer\","
    " \"melody (gbac.melody-gan)\"]},\n"
    "  \"control_log\": \"control.jsonl\",\n"
    "  \"tempo_map\": [{\"frame\": 0, \"bpm\": 120, \"beats_per_bar\": 4, \"beat_unit\": 4}],\n"
    "  \"models\": [{\"slot\": \"melody\", \"unit\": \"gbac.melody-gan\","
    " \"file\": \"models/melody-gan.safetensors\","
    " \"sha256\": \"1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b\","
    " \"card\": {\"kind\": \"melody-gan-generator\", \"data\": {\"source\":"
    " \"../shared/data/nottingham/MIDI/melody\", \"licence\": \"GPL-3.0\"}, \"seed\": 1,"
    " \"command\": \"gbac train melody --data DS --out models/melody-gan.safetensors\"}}],\n"
    "  \"contributions\": {\n"
    "    \"performer\": {\"notes\": 12, \"seconds\": 3.0},\n"
    "    \"models\": [{\"slot\": \"melody\", \"unit\": \"gbac.melody-gan\", \"source\": 3,"
    " \"notes\": 16, \"seconds\": 3.2}]\n"
    "  },\n"
    "  \"ratings\": [{\"frame\": 120000, \"slot\": \"melody\", \"value\": 1}],\n"
    "  \"phrases\": [{\"frame\": 48000, \"slot\": \"melody\", \"score\": 0.73}]\n"
    "}\n";

/** Write the session into dir (created). with_notes 0: empty tracks and an empty control
 *  log. Returns 0 or -1. */
static int fx_make_session(const char *dir, int with_notes)
{
    char p[1024];
    mkdir(dir, 0777);
    snprintf(p, sizeof p, "%s/audio.wav", dir);
    if (fx_write_wav(p))
        return -1;
    snprintf(p, sizeof p, "%s/notes.mid", dir);
    if (fx_write_midi(p, with_notes))
        return -1;
    snprintf(p, sizeof p, "%s/control.jsonl", dir);
    if (with_notes ? fx_write_control(p) : fx_write_text(p, ""))
        return -1;
    snprintf(p, sizeof p, "%s/provenance.json", dir);
    return fx_write_text(p, fx_provenance);
}

/** A fresh temporary folder name under $TMPDIR or /tmp (the folder is created). */
/** A private folder in tmp (cap tcap) and the fixture session written in tmp/session
 *  (dir, cap dcap). Returns 0 or -1. */
static int fx_setup(char *tmp, size_t tcap, char *dir, size_t dcap, const char *tag)
{
    if (gbt_tmpdir(tmp, tcap, tag) != 0)
        return -1;
    snprintf(dir, dcap, "%s/session", tmp);
    return fx_make_session(dir, 1) == 0 ? 0 : -1;
}

/** Run cmd(argc, argv) with stderr captured into err (cap bytes, NUL-terminated). Returns
 *  the command's exit status. */
static int fx_run(int (*cmd)(int, char **), int argc, char **argv, char *err, size_t cap)
{
    char path[] = "/tmp/gbac-fx-stderr-XXXXXX";
    int fd = mkstemp(path);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    int rc = cmd(argc, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, err, cap - 1);
    err[n > 0 ? n : 0] = 0;
    close(fd);
    unlink(path);
    fputs(err, stderr); /* still shown in the test log */
    return rc;
}

/** fx_run of `name ARGS...` with n arguments from ap (at most 15). */
static int fx_runv(int (*cmd)(int, char **), const char *name, char *err, size_t cap, int n,
                   va_list ap)
{
    char *argv[16] = {(char *)name};
    n = n < 15 ? n : 15;
    for (int i = 0; i < n; i++)
        argv[i + 1] = va_arg(ap, char *);
    return fx_run(cmd, n + 1, argv, err, cap);
}

/** The whole file as a NUL-terminated string (free it), or NULL. */
static char *fx_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (b)
        b[n] = 0;
    if (len)
        *len = (size_t)n;
    fclose(f);
    return b;
}

#endif
