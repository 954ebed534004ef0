/* gb_note_timbre.c — one recorded note → its timbre frames (gb_note_timbre.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_note_timbre.h"

#include <errno.h>
#include <jansson.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Checks before any sample is read: a file libsndfile opened as info. */
static int check_info(const char *path, const SF_INFO *info, int channel, gb_error_t *err)
{
    if (info->samplerate < 8000 || info->samplerate > 384000)
        return gb_error_set(err, GB_EFORMAT, "%s: sample rate %d Hz is outside 8000..384000",
                            path, info->samplerate);
    if (info->channels < 1 || info->frames <= 0)
        return gb_error_set(err, GB_EFORMAT, "%s: contains no audio", path);
    if ((double)info->frames > GB_NOTE_MAX_S * info->samplerate)
        return gb_error_set(err, GB_ERANGE,
                            "%s: %.0f s long; one note is expected (at most %.0f s): cut the "
                            "note out first",
                            path, (double)info->frames / info->samplerate, GB_NOTE_MAX_S);
    if (channel > info->channels)
        return gb_error_set(err, GB_EINVAL, "%s: has %d channel%s; there is no channel %d",
                            path, info->channels, info->channels == 1 ? "" : "s", channel);
    return 0;
}

/* The samples of sf as mono: channel (1-based) or the mean of all (channel 0). */
static int read_mono(SNDFILE *sf, const SF_INFO *info, const char *path, int channel,
                     float **out, size_t *n_out, gb_error_t *err)
{
    const size_t frames = (size_t)info->frames, nch = (size_t)info->channels;
    float *buf = malloc(frames * nch * sizeof *buf), *mono = malloc(frames * sizeof *mono);
    int rc = 0;
    const sf_count_t got = buf && mono ? sf_readf_float(sf, buf, info->frames) : 0;
    if (!buf || !mono)
        rc = gb_error_set(err, GB_ENOMEM, "%s: out of memory for %zu frames", path, frames);
    else if (got <= 0)
        rc = gb_error_set(err, GB_EIO, "%s: cannot read its samples (libsndfile: %s)", path,
                          sf_strerror(sf));
    for (size_t i = 0; rc == 0 && i < (size_t)got; i++) {
        double s = 0.0;
        for (size_t c = 0; c < nch; c++)
            s += buf[i * nch + c];
        mono[i] = channel > 0 ? buf[i * nch + (size_t)(channel - 1)] : (float)(s / (double)nch);
    }
    free(buf);
    if (rc) {
        free(mono);
        return rc;
    }
    *out = mono;
    *n_out = (size_t)got;
    return 0;
}

/* Read path as mono float samples; 0 or a negative error naming the file. */
static int read_note(const char *path, int channel, float **out, size_t *n_out,
                     SF_INFO *info, gb_error_t *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return gb_error_set(err, GB_EIO, "%s: %s", path,
                            errno == ENOENT ? "no such file" : strerror(errno));
    if (S_ISDIR(st.st_mode))
        return gb_error_set(err, GB_EIO, "%s: is a directory, not an audio file", path);
    memset(info, 0, sizeof *info);
    SNDFILE *sf = sf_open(path, SFM_READ, info);
    if (!sf)
        return gb_error_set(err, GB_EFORMAT, "%s: cannot read it as audio (libsndfile: %s)",
                            path, sf_strerror(NULL));
    int rc = check_info(path, info, channel, err);
    if (rc == 0)
        rc = read_mono(sf, info, path, channel, out, n_out, err);
    sf_close(sf);
    return rc;
}

/* The document's fields: source is the base name (JSON strings are UTF-8: other bytes are
 * masked). */
static void fill_meta(gb_note_timbre_t *t, const char *path)
{
    const char *base = strrchr(path, '/');
    memset(&t->meta, 0, sizeof t->meta);
    t->meta.f0_hz = t->an.f0_hz;
    t->meta.sample_rate = t->an.sample_rate;
    t->meta.hop_s = t->an.hop_s;
    snprintf(t->meta.source, sizeof t->meta.source, "%s", base ? base + 1 : path);
    json_t *probe = json_string(t->meta.source);
    for (char *p = t->meta.source; !probe && *p; p++)
        *p = (unsigned char)*p >= 0x80 ? '?' : *p;
    json_decref(probe);
    t->kept = t->an.n_frames < GB_TIMBRE_JSON_MAX_FRAMES ? t->an.n_frames
                                                         : GB_TIMBRE_JSON_MAX_FRAMES;
    t->meta.n_frames = t->kept;
}

int gb_note_timbre_analyze(const gb_note_timbre_config_t *cfg, gb_note_timbre_t *out,
                           gb_error_t *err)
{
    memset(out, 0, sizeof *out);
    float *x = NULL;
    size_t n = 0;
    SF_INFO info;
    int rc = read_note(cfg->path, cfg->channel, &x, &n, &info, err);
    if (rc)
        return rc;
    gb_analysis_config_t ac;
    gb_analysis_config_init(&ac, info.samplerate);
    ac.hop_s = cfg->hop_s;
    gb_analyzer_t *an = gb_analyzer_new(&ac, err);
    rc = an ? gb_analyze_note(an, x, n, &out->an, err) : (err && err->code ? err->code : -1);
    if (rc < 0 && err) { /* name the file */
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        gb_error_set(err, rc, "%s: %s", cfg->path, msg);
    }
    gb_analyzer_free(an);
    free(x);
    if (rc < 0)
        return rc;
    out->channels = info.channels;
    out->seconds = (double)n / info.samplerate;
    fill_meta(out, cfg->path);
    return 0;
}

void gb_note_timbre_free(gb_note_timbre_t *t)
{
    if (!t)
        return;
    gb_note_analysis_free(&t->an);
    memset(t, 0, sizeof *t);
}
