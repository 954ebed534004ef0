/* cmd_analyze.c — `gbac analyze NOTE.wav [-o OUT.json] [--hop-ms N] [--channel N|mix]`:
 * one recorded note → its timbre frames as JSON (docs/timbre-format.md), a summary on stderr.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sndfile.h>

#include "gb_analysis.h"
#include "gb_cli_opts.h"
#include "gb_cli.h"
#include "gb_timbre_json.h"

#define MAX_NOTE_S 300.0 /* longer inputs are not one note: refuse them before allocating */

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: gbac analyze [OPTIONS] NOTE\n"
            "       gbac analyze --help\n\n"
            "Analyse one recorded note (WAV, FLAC, OGG or anything else libsndfile reads)\n"
            "into timbre frames: its f0 and, every 10 ms, the peak amplitudes of 64\n"
            "harmonics and the RMS of 32 noise bands, as gbac's harmonic synth plays them.\n"
            "Silence before and after the note is trimmed. The timbre JSON\n"
            "(docs/timbre-format.md) goes to stdout or OUT, a summary to stderr.\n\n"
            "Options:\n"
            "  -o, --output OUT   write the JSON to OUT instead of stdout\n"
            "  --hop-ms N         milliseconds between frames, 1..100 (default 10; the synth\n"
            "                     plays 10 ms frames and resamples others when it loads them)\n"
            "  --channel N|mix    analyse channel N (1 = first) instead of the mix of all\n"
            "                     channels (default: mix)\n"
            "  -h, --help         show this help\n\n"
            "At most %d frames are written (the synth plays no more); a longer note keeps\n"
            "its beginning. f0 is searched between 50 and 2100 Hz (at most 1/8 of the\n"
            "sample rate).\n\n"
            "Exit status: 0 on success; 1 if NOTE is missing, unreadable, silent or has no\n"
            "pitch, or OUT cannot be written (the reason is printed on stderr); 2 on a usage\n"
            "error.\n",
            GB_TIMBRE_MAX_FRAMES);
}

/* Read path as mono float samples: channel (1-based) or the mean of all (channel 0). On
 * failure prints why and returns GB_EXIT_FAIL. */
static int read_note(const char *path, int channel, float **out, size_t *n_out, double *sr,
                     int *channels)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "gbac analyze: %s: %s\n", path,
                errno == ENOENT ? "no such file" : strerror(errno));
        return GB_EXIT_FAIL;
    }
    if (S_ISDIR(st.st_mode)) {
        fprintf(stderr, "gbac analyze: %s: is a directory, not an audio file\n", path);
        return GB_EXIT_FAIL;
    }
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf) {
        fprintf(stderr, "gbac analyze: %s: cannot read it as audio (libsndfile: %s)\n", path,
                sf_strerror(NULL));
        return GB_EXIT_FAIL;
    }
    int rc = GB_EXIT_FAIL;
    float *buf = NULL, *mono = NULL;
    *sr = info.samplerate;
    *channels = info.channels;
    if (info.samplerate < 8000 || info.samplerate > 384000) {
        fprintf(stderr, "gbac analyze: %s: sample rate %d Hz is outside 8000..384000\n", path,
                info.samplerate);
        goto done;
    }
    if (info.channels < 1 || info.frames <= 0) {
        fprintf(stderr, "gbac analyze: %s: contains no audio\n", path);
        goto done;
    }
    if ((double)info.frames > MAX_NOTE_S * info.samplerate) {
        fprintf(stderr,
                "gbac analyze: %s: %.0f s long; one note is expected (at most %.0f s): cut "
                "the note out first\n",
                path, (double)info.frames / info.samplerate, MAX_NOTE_S);
        goto done;
    }
    if (channel > info.channels) {
        fprintf(stderr, "gbac analyze: %s: has %d channel%s; there is no channel %d\n", path,
                info.channels, info.channels == 1 ? "" : "s", channel);
        goto done;
    }
    const size_t frames = (size_t)info.frames, nch = (size_t)info.channels;
    buf = malloc(frames * nch * sizeof *buf);
    mono = malloc(frames * sizeof *mono);
    if (!buf || !mono) {
        fprintf(stderr, "gbac analyze: %s: out of memory for %zu frames\n", path, frames);
        goto done;
    }
    const sf_count_t got = sf_readf_float(sf, buf, info.frames);
    if (got <= 0) {
        fprintf(stderr, "gbac analyze: %s: cannot read its samples (libsndfile: %s)\n", path,
                sf_strerror(sf));
        goto done;
    }
    for (size_t i = 0; i < (size_t)got; i++) {
        if (channel > 0) {
            mono[i] = buf[i * nch + (size_t)(channel - 1)];
        } else {
            double s = 0.0;
            for (size_t c = 0; c < nch; c++)
                s += buf[i * nch + c];
            mono[i] = (float)(s / (double)nch);
        }
    }
    *out = mono;
    *n_out = (size_t)got;
    mono = NULL;
    rc = GB_EXIT_OK;
done:
    free(buf);
    free(mono);
    sf_close(sf);
    return rc;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static void summary(const char *path, const gb_note_analysis_t *r, double seconds, int channels,
                    int channel, int kept, const char *out)
{
    char note[16];
    const double cents = gb_analysis_note_name(r->f0_hz, note, sizeof note);
    fprintf(stderr, "%s: %.0f Hz, %.2f s, %d channel%s (%s)\n", path, r->sample_rate, seconds,
            channels, channels == 1 ? "" : "s",
            channel ? "one channel analysed" : channels > 1 ? "mixed to mono" : "mono");
    fprintf(stderr, "  f0            %.2f Hz = %s %+.1f cents (%d of %d frames voiced)\n",
            r->f0_hz, note, cents, r->n_voiced, r->n_frames);
    fprintf(stderr, "  frames        %d x %g ms, from %.2f s to %.2f s", r->n_frames,
            1000.0 * r->hop_s, r->start_s, r->start_s + (r->n_frames - 1) * r->hop_s);
    if (kept < r->n_frames)
        fprintf(stderr, "; the first %d written", kept);
    fputc('\n', stderr);
    if (r->noise_energy > 0.0)
        fprintf(stderr, "  harmonic/noise energy ratio  %.3g (%.1f dB)\n",
                r->harm_energy / r->noise_energy,
                10.0 * log10(r->harm_energy / r->noise_energy));
    else
        fprintf(stderr, "  harmonic/noise energy ratio  no noise measured\n");
    fprintf(stderr, "  loudest       %.1f dBFS RMS\n", r->peak_rms_db);
    fprintf(stderr, "  wrote         %s\n", out ? out : "(stdout)");
}

int gb_cmd_analyze(int argc, char **argv)
{
    const char *file = NULL, *out = NULL;
    double hop_ms = 1000.0 * GB_TIMBRE_HOP_S;
    int channel = 0, opts = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        if (opts && strcmp(a, "--") == 0) {
            opts = 0;
        } else if (opts && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            usage(stdout);
            return GB_EXIT_OK;
        } else if (opts && ((v = gb_opt_value(argc, argv, &i, "--output", &missing)) ||
                            (v = gb_opt_value(argc, argv, &i, "-o", &missing)))) {
            if (missing) {
                fprintf(stderr, "gbac analyze: %s needs a file name\n", a);
                return GB_EXIT_USAGE;
            }
            out = v;
        } else if (opts && (v = gb_opt_value(argc, argv, &i, "--hop-ms", &missing))) {
            char *end;
            hop_ms = missing ? NAN : strtod(v, &end);
            if (missing || end == v || *end || !(hop_ms >= 1.0 && hop_ms <= 100.0)) {
                fprintf(stderr, "gbac analyze: --hop-ms needs a number of milliseconds in "
                                "1..100\n");
                return GB_EXIT_USAGE;
            }
        } else if (opts && (v = gb_opt_value(argc, argv, &i, "--channel", &missing))) {
            char *end;
            long c = missing ? 0 : strcmp(v, "mix") == 0 ? 0 : strtol(v, &end, 10);
            if (missing || (strcmp(v, "mix") != 0 && (end == v || *end || c < 1 || c > 1024))) {
                fprintf(stderr, "gbac analyze: --channel needs 'mix' or a channel number "
                                "(1 = first)\n");
                return GB_EXIT_USAGE;
            }
            channel = (int)c;
        } else if (opts && a[0] == '-' && a[1]) {
            fprintf(stderr, "gbac analyze: unknown option '%s' (see `gbac analyze --help`)\n", a);
            return GB_EXIT_USAGE;
        } else if (file) {
            fprintf(stderr, "gbac analyze: one NOTE only (got '%s' and '%s')\n", file, a);
            return GB_EXIT_USAGE;
        } else {
            file = a;
        }
    }
    if (!file) {
        fprintf(stderr, "gbac analyze: missing NOTE (see `gbac analyze --help`)\n");
        return GB_EXIT_USAGE;
    }

    float *x = NULL;
    size_t n = 0;
    double sr = 0.0;
    int channels = 0;
    int rc = read_note(file, channel, &x, &n, &sr, &channels);
    if (rc != GB_EXIT_OK)
        return rc;

    gb_error_t err = {0};
    gb_analysis_config_t cfg;
    gb_analysis_config_init(&cfg, sr);
    cfg.hop_s = hop_ms / 1000.0;
    gb_analyzer_t *an = gb_analyzer_new(&cfg, &err);
    gb_note_analysis_t r = {0};
    if (!an || gb_analyze_note(an, x, n, &r, &err) < 0) {
        fprintf(stderr, "gbac analyze: %s: %s\n", file, err.msg);
        rc = GB_EXIT_FAIL;
        goto done;
    }

    gb_timbre_meta_t meta;
    memset(&meta, 0, sizeof meta);
    meta.f0_hz = r.f0_hz;
    meta.sample_rate = sr;
    meta.hop_s = r.hop_s;
    snprintf(meta.source, sizeof meta.source, "%s", base_name(file));
    json_t *probe = json_string(meta.source); /* JSON strings are UTF-8: mask other bytes */
    for (char *p = meta.source; !probe && *p; p++)
        *p = (unsigned char)*p >= 0x80 ? '?' : *p;
    json_decref(probe);
    const int kept = r.n_frames < GB_TIMBRE_JSON_MAX_FRAMES ? r.n_frames
                                                           : GB_TIMBRE_JSON_MAX_FRAMES;
    meta.n_frames = kept;
    if (out)
        rc = gb_timbre_json_save(out, &meta, r.frames, kept, &err);
    else
        rc = gb_timbre_json_write(stdout, "stdout", &meta, r.frames, kept, &err);
    if (rc < 0) {
        fprintf(stderr, "gbac analyze: %s\n", err.msg);
        rc = GB_EXIT_FAIL;
        goto done;
    }
    summary(file, &r, (double)n / sr, channels, channel, kept, out);
    rc = GB_EXIT_OK;
done:
    gb_note_analysis_free(&r);
    gb_analyzer_free(an);
    free(x);
    return rc;
}
