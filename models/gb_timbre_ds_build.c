/* gb_timbre_ds_build.c — the timbre dataset pipeline (steps and reasons in gb_timbre_ds_build.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_timbre_ds_build.h"

#include <nettle/sha2.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fftw3.h>
#include <fluidsynth.h>
#include <jansson.h>
#include <samplerate.h>
#include <sndfile.h>

#include "gb_analysis.h"
#include "gb_timbre_ds.h"
#include "gb_timbre_ds_build_int.h"

#define BLOCK_S 0.010        /* level blocks for silence, trimming and the sustained part */
#define SUSTAIN_DB 20.0      /* blocks within this of the loudest are the sustained part */
#define PEAK_MAX 0.98855309  /* −0.1 dBFS */
#define MAX_FILE_S 300.0     /* longer files are not one note */
#define GATE_N 2048          /* noise gate STFT size; hop GATE_N/2, sine window */

void gb_timbre_ds_build_config_init(gb_timbre_ds_build_config_t *cfg)
{
    static const int keys[] = {36, 48, 60, 72, 84}, vels[] = {40, 80, 120};
    memset(cfg, 0, sizeof *cfg);
    cfg->version = GB_DATASET_CONFIG_VERSION;
    for (int p = 0; p < 128; p++)
        cfg->programs[p] = p;
    cfg->n_programs = 128;
    memcpy(cfg->keys, keys, sizeof keys);
    cfg->n_keys = 5;
    memcpy(cfg->velocities, vels, sizeof vels);
    cfg->n_velocities = 3;
    cfg->sample_rate = 48000.0;
    cfg->note_s = 1.0;
    cfg->release_s = 0.5;
    cfg->seed = 1;
    cfg->split[0] = 0.8;
    cfg->split[1] = 0.1;
    cfg->split[2] = 0.1;
    cfg->silence_db = -70.0;
    cfg->trim_db = 60.0;
    cfg->target_rms_db = -20.0;
    cfg->noise_gate_db = 0.0;
}


double gb_tdsb_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void gb_tdsb_progress(run_t *r, int force)
{
    const gb_timbre_ds_build_result_t *s = &r->res;
    if (!r->cfg->progress || (!force && s->rendered % 64 != 0))
        return;
    fprintf(r->cfg->progress,
            "gbac dataset: %d/%d notes: kept %d, silent %d, duplicates %d, no pitch %d%s\n",
            s->rendered, r->total, r->n_notes, s->silent_dropped, s->duplicates_dropped,
            s->no_pitch_dropped, s->unreadable_skipped ? " (some files unreadable)" : "");
}

static void write_le_floats(FILE *f, const float *x, size_t n, int *ok)
{
    const uint16_t one = 1;
    if (*(const uint8_t *)&one == 1) {
        if (fwrite(x, sizeof *x, n, f) != n)
            *ok = 0;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        uint8_t b[4];
        memcpy(&u, &x[i], 4);
        for (int k = 0; k < 4; k++)
            b[k] = (uint8_t)(u >> (8 * k));
        if (fwrite(b, 1, 4, f) != 4)
            *ok = 0;
    }
}

/* Level in dB of the 10 ms block b of x[0 .. n). */
static double block_db(const float *x, size_t n, size_t blk, size_t b)
{
    const size_t i0 = b * blk, i1 = i0 + blk < n ? i0 + blk : n;
    double s = 0.0;
    for (size_t i = i0; i < i1; i++)
        s += (double)x[i] * x[i];
    return s > 0.0 ? 10.0 * log10(s / (double)(i1 - i0)) : -400.0;
}

/* Spectral gate in place: bins more than -gate_db below the note's loudest bin are zeroed. */
static void noise_gate(run_t *r, float *x, size_t n)
{
    const size_t len = n + 2 * GATE_N, hop = GATE_N / 2;
    float *xp = calloc(len, sizeof *xp), *y = calloc(len, sizeof *y);
    if (!xp || !y)
        goto done;
    memcpy(xp + GATE_N, x, n * sizeof *x);
    const double thr = pow(10.0, r->cfg->noise_gate_db / 10.0);
    double peak = 0.0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t t = 0; t + GATE_N <= len; t += hop) {
            for (int i = 0; i < GATE_N; i++)
                r->gate_buf[i] = xp[t + (size_t)i] * (float)sin(GB_PI * (i + 0.5) / GATE_N);
            fftwf_execute(r->gate_fwd);
            for (int k = 0; k <= GATE_N / 2; k++) {
                const double p = (double)r->gate_spec[k][0] * r->gate_spec[k][0] +
                                 (double)r->gate_spec[k][1] * r->gate_spec[k][1];
                if (pass == 0 && p > peak)
                    peak = p;
                if (pass == 1 && p < thr * peak)
                    r->gate_spec[k][0] = r->gate_spec[k][1] = 0.0f;
            }
            if (pass == 0)
                continue;
            fftwf_execute(r->gate_inv);
            for (int i = 0; i < GATE_N; i++)
                y[t + (size_t)i] += r->gate_out[i] / GATE_N *
                                    (float)sin(GB_PI * (i + 0.5) / GATE_N);
        }
    }
    memcpy(x, y + GATE_N, n * sizeof *x);
done:
    free(xp);
    free(y);
}

/* Loudest 10 ms block of x[0 .. n) in dB (−400 for silence). */
static double loudest_block_db(const float *x, size_t n, size_t blk, size_t nb)
{
    double loud = -400.0;
    for (size_t b = 0; b < nb; b++) {
        const double db = block_db(x, n, blk, b);
        if (db > loud)
            loud = db;
    }
    return loud;
}

/* Trim blocks more than trim_db below the loudest from both ends and scale what is left so
 * its sustained part (blocks within SUSTAIN_DB of the loudest) has the target RMS, the peak
 * at most PEAK_MAX; then the noise gate if asked. *b0: first kept block, *m: samples kept.
 * Returns the gain. */
static double trim_and_normalise(run_t *r, float *x, size_t n, size_t blk, double loud,
                                 size_t *b0_out, size_t *m_out)
{
    const gb_timbre_ds_build_config_t *cfg = r->cfg;
    const size_t nb = (n + blk - 1) / blk;
    size_t b0 = 0, b1 = nb;
    while (b0 < nb && block_db(x, n, blk, b0) < loud - cfg->trim_db)
        b0++;
    while (b1 > b0 && block_db(x, n, blk, b1 - 1) < loud - cfg->trim_db)
        b1--;
    float *y = x + b0 * blk;
    const size_t m = (b1 * blk < n ? b1 * blk : n) - b0 * blk;
    double sum = 0.0, peak = 0.0;
    size_t cnt = 0;
    for (size_t b = b0; b < b1; b++) {
        if (block_db(x, n, blk, b) < loud - SUSTAIN_DB)
            continue;
        const size_t i1 = (b + 1) * blk < n ? (b + 1) * blk : n;
        for (size_t i = b * blk; i < i1; i++)
            sum += (double)x[i] * x[i];
        cnt += i1 - b * blk;
    }
    for (size_t i = 0; i < m; i++)
        peak = fmax(peak, fabs((double)y[i]));
    double gain = pow(10.0, (cfg->target_rms_db - 10.0 * log10(sum / (double)cnt)) / 20.0);
    if (peak * gain > PEAK_MAX)
        gain = PEAK_MAX / peak;
    for (size_t i = 0; i < m; i++)
        y[i] = (float)(y[i] * gain);
    if (cfg->noise_gate_db < 0.0)
        noise_gate(r, y, m);
    *b0_out = b0;
    *m_out = m;
    return gain;
}

/* SHA-256 of y[0 .. m) as little-endian float32, in hex. */
static void hash_samples(const float *y, size_t m, char hex[2 * SHA256_DIGEST_SIZE + 1])
{
    struct sha256_ctx h;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&h);
    for (size_t i = 0; i < m; i++) {
        uint32_t u;
        uint8_t le[4];
        memcpy(&u, &y[i], 4);
        for (int k = 0; k < 4; k++)
            le[k] = (uint8_t)(u >> (8 * k));
        sha256_update(&h, 4, le);
    }
    sha256_digest(&h, sizeof d, d);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* 1 (counted and reported) if a kept note has the same samples as note. */
static int is_duplicate(run_t *r, const gb_tds_note_t *note)
{
    for (int i = 0; i < r->n_notes; i++) {
        if (strcmp(r->notes[i].hash, note->hash) == 0) {
            r->res.duplicates_dropped++;
            if (r->cfg->progress)
                fprintf(r->cfg->progress, "gbac dataset: %s (%s) repeats %s (%s): dropped\n",
                        note->id, note->name, r->notes[i].id, r->notes[i].name);
            return 1;
        }
    }
    return 0;
}

/* Append the analysis frames to frames.f32; 0 or -1 on a write error. */
static int write_frames(run_t *r, const gb_note_analysis_t *a)
{
    int ok = 1;
    for (int i = 0; i < a->n_frames; i++) {
        gb_tds_frame_t fr;
        fr.f0_hz = a->info[i].f0_hz;
        fr.loudness_db = a->info[i].loudness_db;
        fr.t = a->frames[i];
        write_le_floats(r->frames, (const float *)&fr, GB_TDS_FRAME_FLOATS, &ok);
    }
    return ok ? 0 : -1;
}

/* Add note to the kept notes (growing the array). */
static int keep_note(run_t *r, const gb_tds_note_t *note, gb_error_t *err)
{
    if (r->n_notes == r->cap_notes) {
        const int cap = r->cap_notes ? 2 * r->cap_notes : 256;
        gb_tds_note_t *nn = realloc(r->notes, (size_t)cap * sizeof *nn);
        if (!nn)
            return gb_error_set(err, GB_ENOMEM, "out of memory for %d notes", cap);
        r->notes = nn;
        r->cap_notes = cap;
    }
    r->notes[r->n_notes++] = *note;
    r->n_frames += note->n_frames;
    return 0;
}

/* Steps 2–7 for one note x[0 .. n) (modified in place). proto holds id, program, name, key
 * (−1: from f0), velocity. Returns 0 (kept or dropped) or a negative code for a write error. */
int gb_tdsb_process_note(run_t *r, float *x, size_t n, const gb_tds_note_t *proto,
                         gb_error_t *err)
{
    const gb_timbre_ds_build_config_t *cfg = r->cfg;
    const size_t blk = (size_t)lround(BLOCK_S * cfg->sample_rate);
    const size_t nb = (n + blk - 1) / blk;
    r->res.rendered++;
    const double loud = loudest_block_db(x, n, blk, nb);
    if (n == 0 || loud < cfg->silence_db) {
        r->res.silent_dropped++;
        return 0;
    }
    size_t b0, m;
    const double gain = trim_and_normalise(r, x, n, blk, loud, &b0, &m);
    const float *y = x + b0 * blk;

    gb_tds_note_t note = *proto;
    note.gain_db = (float)(20.0 * log10(gain));
    hash_samples(y, m, note.hash);
    if (is_duplicate(r, &note))
        return 0;

    gb_note_analysis_t a = {0};
    gb_error_t aerr = {0};
    const int rc = gb_analyze_note(r->an, y, m, &a, &aerr);
    if (rc == GB_ERANGE) {
        r->res.silent_dropped++;
        return 0;
    }
    if (rc == GB_EFORMAT) {
        r->res.no_pitch_dropped++;
        return 0;
    }
    if (rc < 0)
        return gb_error_set(err, rc, "%s: %s", note.id, aerr.msg);
    note.f0_hz = (float)a.f0_hz;
    /* proto->onset_s: where x[0] lies after the note-on; the trim and the analysis moved the
     * first frame on from there. */
    note.onset_s = (float)(proto->onset_s + (double)(b0 * blk) / cfg->sample_rate + a.start_s);
    if (note.key < 0) {
        const long k = lround(69.0 + 12.0 * log2(a.f0_hz / 440.0));
        note.key = k < 0 ? 0 : k > 127 ? 127 : (int)k;
    }
    note.first_frame = r->n_frames;
    note.n_frames = (uint32_t)a.n_frames;
    const int wrc = write_frames(r, &a);
    gb_note_analysis_free(&a);
    if (wrc < 0)
        return gb_error_set(err, GB_EIO, "%s: write failed: %s", r->frames_tmp, strerror(errno));
    return keep_note(r, &note, err);
}

/* JSON strings must be UTF-8: mask other bytes (names from SoundFonts and file names). */
void gb_tdsb_ascii_copy(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < size; i++)
        dst[i] = (unsigned char)src[i] >= 0x80 || (unsigned char)src[i] < 0x20 ? '?' : src[i];
    dst[i] = '\0';
}

/* The SoundFont is a readable regular file with an SF2/SF3 header; errors name it. */
static int check_soundfont(const char *sf2, gb_error_t *err)
{
    struct stat st;
    if (stat(sf2, &st) != 0)
        return gb_error_set(err, GB_EIO, "%s: cannot open the SoundFont: %s", sf2,
                            errno == ENOENT ? "no such file (Debian: apt install "
                                              "fluid-soundfont-gm, or pass --soundfont SF2)"
                                            : strerror(errno));
    if (!S_ISREG(st.st_mode))
        return gb_error_set(err, GB_EIO, "%s: is not a SoundFont file", sf2);
    FILE *probe = fopen(sf2, "rb");
    if (!probe)
        return gb_error_set(err, GB_EIO, "%s: cannot open the SoundFont: %s", sf2,
                            strerror(errno));
    fclose(probe);
    /* Checked here rather than by fluid_synth_sfload: for other files FluidSynth tries its
     * DLS loader (libinstpatch), which prints GLib criticals on stderr. */
    if (!fluid_is_soundfont(sf2))
        return gb_error_set(err, GB_EFORMAT,
                            "%s: FluidSynth cannot load it as a SoundFont (no SF2/SF3 header)",
                            sf2);
    return 0;
}

/* A synth at the dataset's rate, unity gain, no reverb or chorus, in *synth. */
static int open_synth(const gb_timbre_ds_build_config_t *cfg, fluid_settings_t *set,
                      fluid_synth_t **synth, gb_error_t *err)
{
    if (fluid_settings_setnum(set, "synth.sample-rate", cfg->sample_rate) != FLUID_OK)
        return gb_error_set(err, GB_EINVAL,
                            "FluidSynth does not render at %g Hz (use --sample-rate in its "
                            "range, e.g. 44100 or 48000)",
                            cfg->sample_rate);
    fluid_settings_setnum(set, "synth.gain", 1.0);
    fluid_settings_setint(set, "synth.reverb.active", 0);
    fluid_settings_setint(set, "synth.chorus.active", 0);
    *synth = new_fluid_synth(set);
    if (!*synth)
        return gb_error_set(err, GB_ENOMEM, "FluidSynth: cannot create a synth");
    return 0;
}

/* Render buffers of one note: held n_on frames, n in all with the release. */
typedef struct grid_bufs {
    float *l, *r, *mono;
    size_t n_on, n;
} grid_bufs_t;

/* One key at one velocity on channel 0 into b->mono (mean of both channels). */
static void render_key(fluid_synth_t *synth, int key, int vel, grid_bufs_t *b)
{
    fluid_synth_noteon(synth, 0, key, vel);
    for (size_t i = 0; i < b->n;) {
        if (i == b->n_on)
            fluid_synth_noteoff(synth, 0, key);
        size_t len = (i < b->n_on ? b->n_on : b->n) - i;
        if (len > 4096)
            len = 4096;
        fluid_synth_write_float(synth, (int)len, b->l, (int)i, 1, b->r, (int)i, 1);
        i += len;
    }
    fluid_synth_all_sounds_off(synth, 0);
    for (size_t i = 0; i < b->n; i++)
        b->mono[i] = 0.5f * (b->l[i] + b->r[i]);
}

/* Every key and velocity of the selected program through the pipeline. */
static int render_program(run_t *r, fluid_synth_t *synth, int prog, const char *pname,
                          grid_bufs_t *b, gb_error_t *err)
{
    const gb_timbre_ds_build_config_t *cfg = r->cfg;
    for (int ki = 0; ki < cfg->n_keys; ki++) {
        for (int vi = 0; vi < cfg->n_velocities; vi++) {
            const int key = cfg->keys[ki], vel = cfg->velocities[vi];
            const double t1 = gb_tdsb_now_s();
            render_key(synth, key, vel, b);
            const double t2 = gb_tdsb_now_s();
            r->res.render_s += t2 - t1;
            gb_tds_note_t proto;
            memset(&proto, 0, sizeof proto);
            snprintf(proto.id, sizeof proto.id, "p%03d_k%03d_v%03d", prog, key, vel);
            gb_tdsb_ascii_copy(proto.name, sizeof proto.name, pname ? pname : "");
            proto.program = prog;
            proto.key = key;
            proto.velocity = vel;
            proto.onset_s = 0.0f;
            proto.off_s = (float)cfg->note_s;
            const int rc = gb_tdsb_process_note(r, b->mono, b->n, &proto, err);
            r->res.analyse_s += gb_tdsb_now_s() - t2;
            if (rc < 0)
                return rc;
            gb_tdsb_progress(r, 0);
        }
    }
    return 0;
}

static int render_grid(run_t *r, gb_error_t *err)
{
    const gb_timbre_ds_build_config_t *cfg = r->cfg;
    const char *sf2 = cfg->soundfont;
    int rc = check_soundfont(sf2, err);
    if (rc < 0)
        return rc;
    grid_bufs_t b = {0};
    fluid_synth_t *synth = NULL;
    fluid_settings_t *set = new_fluid_settings();
    if (!set)
        return gb_error_set(err, GB_ENOMEM, "FluidSynth: cannot create settings");
    if ((rc = open_synth(cfg, set, &synth, err)) < 0)
        goto done;
    const double t0 = gb_tdsb_now_s();
    const int sfid = fluid_synth_sfload(synth, sf2, 0);
    if (sfid == FLUID_FAILED) {
        rc = gb_error_set(err, GB_EFORMAT,
                          "%s: FluidSynth cannot load it as a SoundFont (SF2/SF3)", sf2);
        goto done;
    }
    fluid_sfont_t *sfont = fluid_synth_get_sfont_by_id(synth, sfid);
    b.n_on = (size_t)lround(cfg->note_s * cfg->sample_rate);
    b.n = b.n_on + (size_t)lround(cfg->release_s * cfg->sample_rate);
    b.l = malloc(b.n * sizeof *b.l);
    b.r = malloc(b.n * sizeof *b.r);
    b.mono = malloc(b.n * sizeof *b.mono);
    if (!b.l || !b.r || !b.mono) {
        rc = gb_error_set(err, GB_ENOMEM, "out of memory for %zu samples", b.n);
        goto done;
    }
    r->res.render_s += gb_tdsb_now_s() - t0;
    for (int pi = 0; pi < cfg->n_programs; pi++) {
        const int prog = cfg->programs[pi];
        fluid_preset_t *preset = fluid_sfont_get_preset(sfont, 0, prog);
        if (!preset) {
            if (cfg->progress)
                fprintf(cfg->progress, "gbac dataset: %s has no bank 0 program %d: skipped\n",
                        sf2, prog);
            r->total -= cfg->n_keys * cfg->n_velocities;
            continue;
        }
        if (fluid_synth_program_select(synth, 0, sfid, 0, prog) != FLUID_OK) {
            rc = gb_error_set(err, GB_EFORMAT, "%s: cannot select program %d", sf2, prog);
            goto done;
        }
        if ((rc = render_program(r, synth, prog, fluid_preset_get_name(preset), &b, err)) < 0)
            goto done;
    }
done:
    free(b.l);
    free(b.r);
    free(b.mono);
    delete_fluid_synth(synth);
    delete_fluid_settings(set);
    return rc;
}

static int has_audio_ext(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (strcasecmp(dot, ".wav") == 0 || strcasecmp(dot, ".flac") == 0 ||
                   strcasecmp(dot, ".ogg") == 0);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read path as mono at the dataset rate; NULL (with a warning) when it cannot be used. */
static float *read_file(run_t *r, const char *path, size_t *n_out)
{
    char msg[512];
    float *x = gb_tdsb_read_audio(path, r->cfg->sample_rate, MAX_FILE_S, n_out, NULL, msg,
                                  sizeof msg);
    if (!x && r->cfg->progress)
        fprintf(r->cfg->progress, "gbac dataset: %s: skipped\n", msg);
    return x;
}

/* x[0 .. n) resampled by ratio (libsamplerate, SRC_SINC_MEDIUM_QUALITY); NULL with msg. */
static float *resample(const char *path, const float *x, size_t n, double ratio, size_t *n_out,
                       char *msg, size_t msgcap)
{
    const size_t cap = (size_t)ceil((double)n * ratio) + 16;
    float *out = malloc(cap * sizeof *out);
    if (!out) {
        snprintf(msg, msgcap, "%s: out of memory for %zu frames", path, cap);
        return NULL;
    }
    SRC_DATA d;
    memset(&d, 0, sizeof d);
    d.data_in = x;
    d.input_frames = (long)n;
    d.data_out = out;
    d.output_frames = (long)cap;
    d.src_ratio = ratio;
    const int e = src_simple(&d, SRC_SINC_MEDIUM_QUALITY, 1);
    if (e != 0) {
        snprintf(msg, msgcap, "%s: resampling failed (%s)", path, src_strerror(e));
        free(out);
        return NULL;
    }
    *n_out = (size_t)d.output_frames_gen;
    return out;
}

float *gb_tdsb_read_audio(const char *path, double rate, double max_s, size_t *n_out,
                          gb_tdsb_audio_info_t *ai, char *msg, size_t msgcap)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf) {
        snprintf(msg, msgcap, "%s: cannot read it as audio (libsndfile: %s)", path,
                 sf_strerror(NULL));
        return NULL;
    }
    float *buf = NULL, *mono = NULL, *out = NULL;
    if (ai) {
        ai->channels = info.channels;
        ai->sample_rate = info.samplerate;
        ai->seconds = info.samplerate > 0 ? (double)info.frames / info.samplerate : 0.0;
        ai->clipped = 0;
    }
    if (info.channels < 1 || info.frames <= 0) {
        snprintf(msg, msgcap, "%s: holds no audio (%lld frames, %d channels)", path,
                 (long long)info.frames, info.channels);
        goto done;
    }
    if (info.samplerate < 8000 || info.samplerate > 384000) {
        snprintf(msg, msgcap, "%s: sample rate %d Hz is outside 8000..384000 Hz", path,
                 info.samplerate);
        goto done;
    }
    if ((double)info.frames > max_s * info.samplerate) {
        snprintf(msg, msgcap, "%s: %.0f s long, more than the %.0f s allowed", path,
                 (double)info.frames / info.samplerate, max_s);
        goto done;
    }
    const size_t frames = (size_t)info.frames, nch = (size_t)info.channels;
    buf = malloc(frames * nch * sizeof *buf);
    mono = malloc(frames * sizeof *mono);
    if (!buf || !mono) {
        snprintf(msg, msgcap, "%s: out of memory for %zu frames", path, frames);
        goto done;
    }
    const sf_count_t got = sf_readf_float(sf, buf, info.frames);
    if (got <= 0) {
        snprintf(msg, msgcap, "%s: cannot read its samples (libsndfile: %s)", path,
                 sf_strerror(sf));
        goto done;
    }
    size_t clipped = 0;
    for (size_t i = 0; i < (size_t)got; i++) {
        double s = 0.0;
        for (size_t c = 0; c < nch; c++) {
            const float v = buf[i * nch + c];
            s += isfinite(v) ? v : 0.0f;
            clipped += !(fabsf(v) < 0.999f);
        }
        mono[i] = (float)(s / (double)nch);
    }
    if (ai)
        ai->clipped = clipped;
    if (info.samplerate == (int)rate) {
        out = mono;
        mono = NULL;
        *n_out = (size_t)got;
        goto done;
    }
    out = resample(path, mono, (size_t)got, rate / info.samplerate, n_out, msg, msgcap);
done:
    free(buf);
    free(mono);
    sf_close(sf);
    return out;
}

static int read_folder(run_t *r, gb_error_t *err)
{
    const char *dir = r->cfg->notes_dir;
    DIR *dp = opendir(dir);
    if (!dp)
        return gb_error_set(err, GB_EIO, "%s: cannot open the notes folder: %s", dir,
                            strerror(errno));
    char **names = NULL;
    int n = 0, cap = 0, rc = 0;
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        if (de->d_name[0] == '.' || !has_audio_ext(de->d_name))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, (size_t)cap * sizeof *nn);
            if (!nn) {
                rc = gb_error_set(err, GB_ENOMEM, "%s: out of memory listing it", dir);
                goto done;
            }
            names = nn;
        }
        if (!(names[n] = strdup(de->d_name))) {
            rc = gb_error_set(err, GB_ENOMEM, "%s: out of memory listing it", dir);
            goto done;
        }
        n++;
    }
    if (n > 0)
        qsort(names, (size_t)n, sizeof *names, cmp_str);
    r->total += n;
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX_LEN];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= sizeof path)
            continue;
        const double t1 = gb_tdsb_now_s();
        size_t len = 0;
        float *x = read_file(r, path, &len);
        const double t2 = gb_tdsb_now_s();
        r->res.render_s += t2 - t1;
        if (!x) {
            r->res.unreadable_skipped++;
            r->total--;
            continue;
        }
        gb_tds_note_t proto;
        memset(&proto, 0, sizeof proto);
        snprintf(proto.id, sizeof proto.id, "f%05d", i);
        gb_tdsb_ascii_copy(proto.name, sizeof proto.name, names[i]);
        proto.program = -1;
        proto.key = -1;
        proto.velocity = 0;
        proto.onset_s = 0.0f; /* the file starts at its note-on; its note-off is unknown */
        proto.off_s = -1.0f;
        rc = gb_tdsb_process_note(r, x, len, &proto, err);
        r->res.analyse_s += gb_tdsb_now_s() - t2;
        free(x);
        if (rc < 0)
            goto done;
        gb_tdsb_progress(r, 0);
    }
done:
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(dp);
    return rc;
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void assign_splits(run_t *r)
{
    const int n = r->n_notes;
    int *idx = malloc((size_t)n * sizeof *idx);
    int n_train = (int)lround(n * r->cfg->split[0]);
    int n_val = (int)lround(n * r->cfg->split[1]);
    if (n_train > n)
        n_train = n;
    if (n_train + n_val > n)
        n_val = n - n_train;
    uint64_t s = r->cfg->seed;
    for (int i = 0; idx && i < n; i++)
        idx[i] = i;
    for (int i = n - 1; idx && i > 0; i--) {
        const int j = (int)(splitmix(&s) % (uint64_t)(i + 1));
        const int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    for (int i = 0; i < n; i++) {
        const int k = idx ? idx[i] : i;
        r->notes[k].split = i < n_train ? GB_TDS_TRAIN
                            : i < n_train + n_val ? GB_TDS_VALIDATION
                                                  : GB_TDS_TEST;
    }
    free(idx);
    r->res.train = gb_tds_count(&(gb_tds_t){.n_notes = n, .notes = r->notes}, GB_TDS_TRAIN);
    r->res.validation =
        gb_tds_count(&(gb_tds_t){.n_notes = n, .notes = r->notes}, GB_TDS_VALIDATION);
    r->res.test = gb_tds_count(&(gb_tds_t){.n_notes = n, .notes = r->notes}, GB_TDS_TEST);
}

static const char *split_name(gb_tds_split_t s)
{
    return s == GB_TDS_TRAIN ? "train" : s == GB_TDS_VALIDATION ? "validation" : "test";
}

/* The manifest's "source" and "licence", masked to ASCII: the SoundFont's file name, the notes
 * folder, the recordings' file names; the licence given, MIT for FluidR3_GM alone, else
 * unknown. */
static void manifest_source(const gb_timbre_ds_build_config_t *cfg, char *src_ascii,
                            size_t src_size, char *lic_ascii, size_t lic_size)
{
    char source[512];
    const char *sfb = cfg->soundfont ? strrchr(cfg->soundfont, '/') : NULL;
    sfb = sfb ? sfb + 1 : cfg->soundfont;
    size_t sl = 0;
    source[0] = '\0';
    if (cfg->soundfont)
        sl += (size_t)snprintf(source + sl, sizeof source - sl, "SoundFont %s", sfb);
    if (cfg->notes_dir && sl < sizeof source)
        sl += (size_t)snprintf(source + sl, sizeof source - sl, "%snotes from %s",
                               sl ? "; " : "", cfg->notes_dir);
    for (int i = 0; i < cfg->n_recordings && sl < sizeof source; i++) {
        const char *b = strrchr(cfg->recordings[i], '/');
        sl += (size_t)snprintf(source + sl, sizeof source - sl, "%s%s",
                               i ? ", " : sl ? "; recordings " : "recordings ",
                               b ? b + 1 : cfg->recordings[i]);
    }
    gb_tdsb_ascii_copy(src_ascii, src_size, source);
    const char *lic = cfg->licence ? cfg->licence
                      : (sfb && strcmp(sfb, "FluidR3_GM.sf2") == 0 && !cfg->notes_dir &&
                         !cfg->n_recordings)
                          ? "MIT (FluidR3_GM)"
                          : "unknown (see the sources' licences)";
    gb_tdsb_ascii_copy(lic_ascii, lic_size, lic);
}

/* The "counts" object: what was read, dropped, kept and split. */
static void manifest_counts(const run_t *r, json_t *counts)
{
    const gb_timbre_ds_build_result_t *s = &r->res;
    json_object_set_new(counts, "rendered", json_integer(s->rendered));
    json_object_set_new(counts, "silent_dropped", json_integer(s->silent_dropped));
    json_object_set_new(counts, "duplicates_dropped", json_integer(s->duplicates_dropped));
    json_object_set_new(counts, "no_pitch_dropped", json_integer(s->no_pitch_dropped));
    json_object_set_new(counts, "unreadable_skipped", json_integer(s->unreadable_skipped));
    if (r->cfg->n_recordings > 0) {
        json_object_set_new(counts, "recordings", json_integer(s->recordings));
        json_object_set_new(counts, "onsets", json_integer(s->onsets));
        json_object_set_new(counts, "unstable_dropped", json_integer(s->unstable_dropped));
        json_object_set_new(counts, "clipped_dropped", json_integer(s->clipped_dropped));
    }
    json_object_set_new(counts, "notes", json_integer(r->n_notes));
    json_object_set_new(counts, "frames", json_integer(r->n_frames));
    json_object_set_new(counts, "train", json_integer(s->train));
    json_object_set_new(counts, "validation", json_integer(s->validation));
    json_object_set_new(counts, "test", json_integer(s->test));
}

/* The manifest's header keys as indented JSON (malloc'd; NULL: out of memory). */
static char *manifest_head(const run_t *r)
{
    const gb_timbre_ds_build_config_t *cfg = r->cfg;
    char src_ascii[256], lic_ascii[128];
    manifest_source(cfg, src_ascii, sizeof src_ascii, lic_ascii, sizeof lic_ascii);
    json_t *root = json_object(), *counts = json_object();
    if (!root || !counts) {
        json_decref(root);
        json_decref(counts);
        return NULL;
    }
    json_object_set_new(root, "format", json_string(GB_TDS_FORMAT));
    json_object_set_new(root, "source", json_string(src_ascii));
    json_object_set_new(root, "licence", json_string(lic_ascii));
    json_object_set_new(root, "sample_rate", json_real(cfg->sample_rate));
    json_object_set_new(root, "hop_s", json_real(gb_analyzer_config(r->an)->hop_s));
    json_object_set_new(root, "seed", json_integer(cfg->seed));
    manifest_counts(r, counts);
    json_object_set_new(root, "counts", counts);
    char *head = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
    json_decref(root);
    return head;
}

/* One note as a compact JSON line (malloc'd; NULL: out of memory). */
static char *manifest_note_line(const gb_tds_note_t *n)
{
    json_t *jn = json_object();
    json_object_set_new(jn, "id", json_string(n->id));
    json_object_set_new(jn, "program", json_integer(n->program));
    json_object_set_new(jn, "name", json_string(n->name));
    json_object_set_new(jn, "key", json_integer(n->key));
    json_object_set_new(jn, "velocity", json_integer(n->velocity));
    json_object_set_new(jn, "f0_hz", json_real(n->f0_hz));
    json_object_set_new(jn, "split", json_string(split_name(n->split)));
    json_object_set_new(jn, "first_frame", json_integer(n->first_frame));
    json_object_set_new(jn, "n_frames", json_integer(n->n_frames));
    json_object_set_new(jn, "gain_db", json_real(n->gain_db));
    json_object_set_new(jn, "onset_s", json_real(round(n->onset_s * 1e6) / 1e6));
    json_object_set_new(jn, "off_s", json_real(n->off_s < 0 ? -1.0 : round(n->off_s * 1e6) / 1e6));
    json_object_set_new(jn, "hash", json_string(n->hash));
    char *line = json_dumps(jn, JSON_COMPACT | JSON_REAL_PRECISION(9));
    json_decref(jn);
    return line;
}

/* manifest.json: the header keys indented, then one note per line. */
static int write_manifest(run_t *r, gb_error_t *err)
{
    char *head = manifest_head(r);
    if (!head)
        return gb_error_set(err, GB_ENOMEM, "out of memory for the manifest");
    int ok = 1;
    FILE *f = fopen(r->manifest_tmp, "w");
    if (!f) {
        free(head);
        return gb_error_set(err, GB_EIO, "%s: cannot create: %s", r->manifest_tmp,
                            strerror(errno));
    }
    char *end = strrchr(head, '}'); /* the closing brace: notes go before it */
    while (end > head && (end[-1] == '\n' || end[-1] == ' '))
        end--;
    *end = '\0';
    if (fprintf(f, "%s,\n  \"notes\": [\n", head) < 0)
        ok = 0;
    free(head);
    for (int i = 0; ok && i < r->n_notes; i++) {
        char *line = manifest_note_line(&r->notes[i]);
        if (!line || fprintf(f, "    %s%s\n", line, i + 1 < r->n_notes ? "," : "") < 0)
            ok = 0;
        free(line);
    }
    if (fprintf(f, "  ]\n}\n") < 0)
        ok = 0;
    if (fclose(f) != 0)
        ok = 0;
    if (!ok)
        return gb_error_set(err, GB_EIO, "%s: write failed: %s", r->manifest_tmp,
                            strerror(errno));
    return 0;
}

static int check_config(const gb_timbre_ds_build_config_t *c, gb_error_t *err)
{
    if (!c || c->version != GB_DATASET_CONFIG_VERSION)
        return gb_error_set(err, GB_EINVAL, "dataset config: missing or wrong version");
    if (!c->out_dir || !c->out_dir[0])
        return gb_error_set(err, GB_EINVAL, "dataset config: no output folder");
    if (strlen(c->out_dir) > PATH_MAX_LEN - 32)
        return gb_error_set(err, GB_EINVAL, "dataset config: output folder name too long");
    if (!c->soundfont && !c->notes_dir && c->n_recordings < 1)
        return gb_error_set(err, GB_EINVAL,
                            "dataset config: no source (SoundFont, folder or recordings)");
    if (c->n_recordings < 0 || c->n_recordings > GB_DATASET_MAX_RECORDINGS ||
        (c->n_recordings > 0 && !c->recordings))
        return gb_error_set(err, GB_EINVAL, "dataset config: at most %d recordings",
                            GB_DATASET_MAX_RECORDINGS);
    if (c->soundfont && (c->n_programs < 1 || c->n_programs > 128 || c->n_keys < 1 ||
                         c->n_keys > 128 || c->n_velocities < 1 || c->n_velocities > 127))
        return gb_error_set(err, GB_EINVAL, "dataset config: empty programs, keys or velocities");
    for (int i = 0; c->soundfont && i < c->n_programs; i++)
        if (c->programs[i] < 0 || c->programs[i] > 127)
            return gb_error_set(err, GB_ERANGE, "program %d is outside 0..127", c->programs[i]);
    for (int i = 0; c->soundfont && i < c->n_keys; i++)
        if (c->keys[i] < 0 || c->keys[i] > 127)
            return gb_error_set(err, GB_ERANGE, "key %d is outside 0..127", c->keys[i]);
    for (int i = 0; c->soundfont && i < c->n_velocities; i++)
        if (c->velocities[i] < 1 || c->velocities[i] > 127)
            return gb_error_set(err, GB_ERANGE, "velocity %d is outside 1..127",
                                c->velocities[i]);
    if (!(c->sample_rate >= 8000.0 && c->sample_rate <= 192000.0))
        return gb_error_set(err, GB_ERANGE, "sample rate %g is outside 8000..192000",
                            c->sample_rate);
    if (!(c->note_s >= 0.05 && c->note_s <= 10.0))
        return gb_error_set(err, GB_ERANGE, "note length %g s is outside 0.05..10", c->note_s);
    if (!(c->release_s >= 0.0 && c->release_s <= 5.0))
        return gb_error_set(err, GB_ERANGE, "release %g s is outside 0..5", c->release_s);
    const double sum = c->split[0] + c->split[1] + c->split[2];
    if (!(c->split[0] >= 0 && c->split[1] >= 0 && c->split[2] >= 0 && fabs(sum - 1.0) < 1e-6))
        return gb_error_set(err, GB_ERANGE,
                            "split %g,%g,%g: shares must be non-negative and sum to 1",
                            c->split[0], c->split[1], c->split[2]);
    if (!(c->noise_gate_db <= 0.0 && c->noise_gate_db >= -200.0))
        return gb_error_set(err, GB_ERANGE, "noise gate %g dB is outside -200..0 (0 = off)",
                            c->noise_gate_db);
    if (!(c->silence_db < 0.0 && c->trim_db > 0.0 && c->target_rms_db < 0.0 &&
          c->target_rms_db > -60.0))
        return gb_error_set(err, GB_ERANGE, "silence, trim or target level out of range");
    return 0;
}

static int open_outputs(run_t *r, gb_error_t *err)
{
    const char *dir = r->cfg->out_dir;
    struct stat st;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return gb_error_set(err, GB_EIO, "%s: cannot create the output folder: %s", dir,
                            strerror(errno));
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return gb_error_set(err, GB_EIO, "%s: exists and is not a folder", dir);
    snprintf(r->frames_tmp, sizeof r->frames_tmp, "%s/%s.tmp", dir, GB_TDS_FRAMES);
    snprintf(r->manifest_tmp, sizeof r->manifest_tmp, "%s/%s.tmp", dir, GB_TDS_MANIFEST);
    r->frames = fopen(r->frames_tmp, "wb");
    if (!r->frames)
        return gb_error_set(err, GB_EIO, "%s: cannot write in the output folder: %s",
                            r->frames_tmp, strerror(errno));
    return 0;
}

static int finish(run_t *r, gb_error_t *err)
{
    char path[PATH_MAX_LEN];
    const char *dir = r->cfg->out_dir;
    int rc = fclose(r->frames) == 0 ? 0 : -1;
    r->frames = NULL;
    if (rc < 0)
        return gb_error_set(err, GB_EIO, "%s: write failed: %s", r->frames_tmp, strerror(errno));
    if ((rc = write_manifest(r, err)) < 0)
        return rc;
    snprintf(path, sizeof path, "%s/%s", dir, GB_TDS_FRAMES);
    if (rename(r->frames_tmp, path) != 0)
        return gb_error_set(err, GB_EIO, "%s: cannot rename to %s: %s", r->frames_tmp, path,
                            strerror(errno));
    snprintf(path, sizeof path, "%s/%s", dir, GB_TDS_MANIFEST);
    if (rename(r->manifest_tmp, path) != 0)
        return gb_error_set(err, GB_EIO, "%s: cannot rename to %s: %s", r->manifest_tmp, path,
                            strerror(errno));
    return 0;
}

/* The notes folder, if any, exists and is a folder. */
static int check_notes_dir(const gb_timbre_ds_build_config_t *cfg, gb_error_t *err)
{
    struct stat st;
    if (!cfg->notes_dir)
        return 0;
    if (stat(cfg->notes_dir, &st) != 0)
        return gb_error_set(err, GB_EIO, "%s: cannot open the notes folder: %s", cfg->notes_dir,
                            errno == ENOENT ? "no such folder" : strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return gb_error_set(err, GB_EIO, "%s: is not a folder (--notes-from needs one)",
                            cfg->notes_dir);
    return 0;
}

/* The noise gate's FFTW buffers and plans (only when the gate is on). */
static int open_noise_gate(run_t *r, gb_error_t *err)
{
    if (r->cfg->noise_gate_db >= 0.0)
        return 0;
    r->gate_buf = fftwf_alloc_real(GATE_N);
    r->gate_out = fftwf_alloc_real(GATE_N);
    r->gate_spec = fftwf_alloc_complex(GATE_N / 2 + 1);
    if (!r->gate_buf || !r->gate_out || !r->gate_spec)
        return gb_error_set(err, GB_ENOMEM, "out of memory for the noise gate");
    r->gate_fwd = fftwf_plan_dft_r2c_1d(GATE_N, r->gate_buf, r->gate_spec, FFTW_ESTIMATE);
    r->gate_inv = fftwf_plan_dft_c2r_1d(GATE_N, r->gate_spec, r->gate_out, FFTW_ESTIMATE);
    return 0;
}

/* Every source in turn through the pipeline: the SoundFont grid, the folder, the recordings. */
static int read_sources(run_t *r, gb_error_t *err)
{
    const gb_timbre_ds_build_config_t *cfg = r->cfg;
    int rc;
    if (cfg->soundfont) {
        r->total += cfg->n_programs * cfg->n_keys * cfg->n_velocities;
        /* FluidSynth logs its own errors and warnings to stderr; ours name the file. */
        fluid_set_log_function(FLUID_ERR, NULL, NULL);
        fluid_set_log_function(FLUID_WARN, NULL, NULL);
        fluid_set_log_function(FLUID_INFO, NULL, NULL);
        if ((rc = render_grid(r, err)) < 0)
            return rc;
    }
    if (cfg->notes_dir && (rc = read_folder(r, err)) < 0)
        return rc;
    if (cfg->n_recordings > 0 && (rc = gb_tdsb_read_recordings(r, err)) < 0)
        return rc;
    return 0;
}

/* The error when every note was dropped: the source and what became of its notes. */
static int no_notes_error(const run_t *r, gb_error_t *err)
{
    const gb_timbre_ds_build_config_t *cfg = r->cfg;
    return gb_error_set(err, GB_ERANGE,
                        "%s: no notes left to write (%d read: %d silent, %d duplicates, %d "
                        "without pitch, %d unreadable files%s)",
                        cfg->notes_dir && !cfg->soundfont ? cfg->notes_dir
                        : cfg->soundfont                  ? cfg->soundfont
                        : cfg->n_recordings == 1          ? cfg->recordings[0]
                                                          : cfg->out_dir,
                        r->res.rendered, r->res.silent_dropped, r->res.duplicates_dropped,
                        r->res.no_pitch_dropped, r->res.unreadable_skipped,
                        cfg->n_recordings ? "; the recordings held no stable pitched note" : "");
}

/* Close the run: temporary files removed on failure, buffers freed. */
static void close_run(run_t *r, int failed)
{
    if (r->frames)
        fclose(r->frames);
    if (failed) {
        if (r->frames_tmp[0])
            unlink(r->frames_tmp);
        if (r->manifest_tmp[0])
            unlink(r->manifest_tmp);
    }
    if (r->gate_fwd)
        fftwf_destroy_plan(r->gate_fwd);
    if (r->gate_inv)
        fftwf_destroy_plan(r->gate_inv);
    fftwf_free(r->gate_buf);
    fftwf_free(r->gate_out);
    fftwf_free(r->gate_spec);
    free(r->notes);
    gb_analyzer_free(r->an);
}

int gb_timbre_ds_build(const gb_timbre_ds_build_config_t *cfg, gb_timbre_ds_build_result_t *res, gb_error_t *err)
{
    gb_error_clear(err);
    if (res)
        memset(res, 0, sizeof *res);
    int rc = check_config(cfg, err);
    if (rc < 0 || (rc = check_notes_dir(cfg, err)) < 0)
        return rc;
    run_t r;
    memset(&r, 0, sizeof r);
    r.cfg = cfg;
    gb_analysis_config_t acfg;
    gb_analysis_config_init(&acfg, cfg->sample_rate);
    if (!(r.an = gb_analyzer_new(&acfg, err)))
        return err ? err->code : GB_EINVAL;
    if ((rc = open_noise_gate(&r, err)) < 0 || (rc = open_outputs(&r, err)) < 0 ||
        (rc = read_sources(&r, err)) < 0)
        goto done;
    r.res.notes = r.n_notes;
    r.res.frames = r.n_frames;
    gb_tdsb_progress(&r, 1);
    if (r.n_notes == 0) {
        rc = no_notes_error(&r, err);
        goto done;
    }
    assign_splits(&r);
    rc = finish(&r, err);
done:
    if (res)
        *res = r.res;
    close_run(&r, rc < 0);
    return rc;
}
