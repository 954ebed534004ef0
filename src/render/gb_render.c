/* gb_render.c — offline rendering (see gb_render.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_render.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sndfile.h>

#include "gb_osc_score.h"
#include "gb_recorder.h"
#include "gb_session.h"
#include "gb_unit_registry.h"
#include "gb_version.h"

gb_render_opts_t gb_render_opts_default(void)
{
    gb_render_opts_t o = {sizeof(gb_render_opts_t), 256, 2.0, -90.0, 0.5, 0, NULL, NULL};
    return o;
}

gb_render_config_t gb_render_config_default(void)
{
    gb_render_config_t c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    c.sample_rate = 48000.0;
    c.seed = 1;
    c.format = GB_RENDER_PCM24;
    c.opts = gb_render_opts_default();
    return c;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---------------------------------------------------------------- the timeline */

typedef struct tl_event {
    uint64_t frame;
    uint32_t order; /* position in the source, for a total order at equal frames */
    gbp_event_t ev;
} tl_event_t;

typedef struct tl_tempo {
    uint64_t frame;
    uint32_t order;
    double bpm;
} tl_tempo_t;

typedef struct timeline {
    tl_event_t *ev;
    size_t n_ev, cap_ev;
    tl_tempo_t *tempo;
    size_t n_tempo, cap_tempo;
    uint64_t content_end;
    uint64_t n_midi, n_score;
} timeline_t;

static int cmp_tl_event(const void *a, const void *b)
{
    const tl_event_t *x = a, *y = b;
    if (x->frame != y->frame)
        return x->frame < y->frame ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

static int cmp_tl_tempo(const void *a, const void *b)
{
    const tl_tempo_t *x = a, *y = b;
    if (x->frame != y->frame)
        return x->frame < y->frame ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

static void timeline_free(timeline_t *t)
{
    free(t->ev);
    free(t->tempo);
    memset(t, 0, sizeof *t);
}

/* What the score asks, appended to the timeline at its entry's frame (growing it). */
typedef struct score_sink {
    timeline_t *t;
    double sr;
    uint32_t *order;
    uint64_t *end;
} score_sink_t;

static int score_to_timeline(void *ctx, const gb_osc_score_entry_t *se,
                             const gb_live_cmd_t *cmd, gb_error_t *err)
{
    score_sink_t *k = ctx;
    timeline_t *t = k->t;
    const uint64_t frame = (uint64_t)llround(se->time_s * k->sr);
    *k->end = frame > *k->end ? frame : *k->end;
    if (cmd->kind == GB_CMD_TEMPO) {
        if (t->n_tempo == t->cap_tempo) {
            tl_tempo_t *n = realloc(t->tempo, 2 * t->cap_tempo * sizeof *n);
            if (!n)
                return gb_error_set(err, GB_ENOMEM, "render: out of memory");
            t->tempo = n;
            t->cap_tempo *= 2;
        }
        t->tempo[t->n_tempo++] = (tl_tempo_t){frame, (*k->order)++, cmd->value};
        return GB_OK;
    }
    if (t->n_ev + 16 >= t->cap_ev) { /* 16 kept for the all-notes-off at the end */
        tl_event_t *n = realloc(t->ev, 2 * t->cap_ev * sizeof *n);
        if (!n)
            return gb_error_set(err, GB_ENOMEM, "render: out of memory");
        t->ev = n;
        t->cap_ev *= 2;
    }
    t->ev[t->n_ev] = (tl_event_t){frame, (*k->order)++, cmd->ev};
    t->ev[t->n_ev++].ev.time = 0;
    return GB_OK;
}

/* MIDI events first (in file order), score actions after them at equal frames (in score
 * order), then the all-notes-off at the end of the content. */
static int timeline_build(timeline_t *t, gb_engine_t *e, const gb_midifile_t *midi,
                          const gb_osc_score_t *score, gb_error_t *err)
{
    const double sr = gb_engine_transport(e)->sample_rate;
    const size_t n_midi = midi ? midi->n_events : 0, n_sc = score ? score->n : 0;
    const size_t n_mt = midi ? midi->n_tempos : 0;
    memset(t, 0, sizeof *t);
    t->cap_ev = n_midi + n_sc + 32;
    t->cap_tempo = n_mt + n_sc + 1;
    t->ev = malloc(t->cap_ev * sizeof *t->ev);
    t->tempo = malloc(t->cap_tempo * sizeof *t->tempo);
    if (!t->ev || !t->tempo) {
        timeline_free(t);
        return gb_error_set(err, GB_ENOMEM, "render: out of memory");
    }
    uint32_t order = 0;
    for (size_t i = 0; i < n_midi; i++) {
        t->ev[t->n_ev].frame = midi->events[i].frame;
        t->ev[t->n_ev].order = order++;
        t->ev[t->n_ev].ev = midi->events[i].ev;
        t->ev[t->n_ev].ev.time = 0;
        t->n_ev++;
    }
    t->n_midi = n_midi;
    for (size_t i = 0; i < n_mt; i++) {
        t->tempo[t->n_tempo].frame = midi->tempos[i].frame;
        t->tempo[t->n_tempo].order = order++;
        t->tempo[t->n_tempo].bpm = midi->tempos[i].bpm;
        t->n_tempo++;
    }
    uint64_t end = midi ? midi->length_frames : 0;
    if (n_sc) {
        score_sink_t k = {t, sr, &order, &end};
        int rc = gb_osc_score_apply(score, e, score_to_timeline, &k, err);
        if (rc != GB_OK) {
            timeline_free(t);
            return rc;
        }
        t->n_score = n_sc;
    }
    /* Release whatever is still held when the content ends (notes, arpeggiators). */
    for (int ch = 0; ch < 16; ch++) {
        tl_event_t *x = &t->ev[t->n_ev++];
        memset(x, 0, sizeof *x);
        x->frame = end;
        x->order = order++;
        x->ev.type = GBP_EV_ALL_OFF;
        x->ev.channel = (uint8_t)ch;
        x->ev.id = 123;
        x->ev.source = GBP_SOURCE_HUMAN;
    }
    t->content_end = end;
    if (t->n_ev > 1)
        qsort(t->ev, t->n_ev, sizeof *t->ev, cmp_tl_event);
    if (t->n_tempo > 1)
        qsort(t->tempo, t->n_tempo, sizeof *t->tempo, cmp_tl_tempo);
    return 0;
}

/* ---------------------------------------------------------------- the loop */

int gb_render_run(gb_engine_t *e, const gb_midifile_t *midi, const gb_osc_score_t *score,
                  const gb_render_opts_t *opts, gb_render_sink_fn sink, void *user,
                  gb_render_stats_t *stats, gb_error_t *err)
{
    gb_render_opts_t o = opts ? *opts : gb_render_opts_default();
    gb_render_stats_t st;
    memset(&st, 0, sizeof st);
    if (!e || !sink)
        return gb_error_set(err, GB_EINVAL, "render: no engine or no output");
    const double sr = gb_engine_transport(e)->sample_rate;
    if (o.block < 1 || o.block > GB_ENGINE_MAX_BLOCK)
        return gb_error_set(err, GB_EINVAL, "render: block %u out of range 1..%d", o.block,
                            GB_ENGINE_MAX_BLOCK);
    if (!(o.tail_s >= 0.0 && o.tail_s <= 600.0))
        return gb_error_set(err, GB_EINVAL, "render: tail %g s out of range 0..600", o.tail_s);
    if (!(o.silence_s >= 0.0 && o.silence_s <= 60.0) || !(o.silence_dbfs <= 0.0))
        return gb_error_set(err, GB_EINVAL, "render: silence %g dBFS for %g s out of range",
                            o.silence_dbfs, o.silence_s);
    if (midi && fabs(midi->sample_rate - sr) > 1e-9)
        return gb_error_set(err, GB_EINVAL,
                            "%s: loaded at %g Hz but the engine runs at %g Hz", midi->origin,
                            midi->sample_rate, sr);

    timeline_t tl;
    int rc = timeline_build(&tl, e, midi, score, err);
    if (rc)
        return rc;
    st.content_frames = tl.content_end;
    st.n_midi_events = tl.n_midi;
    st.n_score = tl.n_score;

    float *l = malloc(o.block * sizeof *l), *r = malloc(o.block * sizeof *r);
    gbp_event_t *blk = malloc(GB_ENGINE_MAX_EVENTS * sizeof *blk);
    if (!l || !r || !blk) {
        rc = gb_error_set(err, GB_ENOMEM, "render: out of memory");
        goto done;
    }

    const uint64_t tail_frames = (uint64_t)llround(o.tail_s * sr);
    const uint64_t limit = tl.content_end + tail_frames;
    const uint64_t silence_frames = (uint64_t)llround(o.silence_s * sr);
    const float silence_amp = (float)pow(10.0, o.silence_dbfs / 20.0);
    const double t_start = now_s();
    double next_report = t_start + 2.0;
    uint64_t quiet_run = 0, n_blocks = 0;
    size_t ei = 0, ti = 0;
    uint64_t pos = 0;

    gb_engine_reset(e);
    while (pos < limit) {
        /* Tempo changes due now, then the block: up to `block` frames, cut short at the next
         * tempo change so it lands on its frame. */
        for (; ti < tl.n_tempo && tl.tempo[ti].frame <= pos; ti++)
            gb_engine_set_tempo(e, tl.tempo[ti].bpm);
        uint64_t end = pos + o.block;
        if (end > limit)
            end = limit;
        if (ti < tl.n_tempo && tl.tempo[ti].frame < end)
            end = tl.tempo[ti].frame;
        uint32_t n = 0;
        for (; ei < tl.n_ev && tl.ev[ei].frame < end; ei++) {
            if (n == GB_ENGINE_MAX_EVENTS) {
                if (tl.ev[ei].frame > pos) { /* the rest goes in the next block */
                    end = tl.ev[ei].frame;
                    break;
                }
                st.n_dropped++;
                continue;
            }
            blk[n] = tl.ev[ei].ev;
            blk[n].time = (uint32_t)(tl.ev[ei].frame - pos);
            n++;
        }
        const uint32_t frames = (uint32_t)(end - pos);
        gb_engine_process(e, blk, n, l, r, frames);
        if (o.observe)
            o.observe(o.observe_ud, e, blk, n, pos, frames);

        uint32_t keep = frames;
        for (uint32_t i = 0; i < frames; i++) {
            if (!isfinite(l[i])) {
                l[i] = 0.0f;
                st.n_nonfinite++;
            }
            if (!isfinite(r[i])) {
                r[i] = 0.0f;
                st.n_nonfinite++;
            }
            const float a = fmaxf(fabsf(l[i]), fabsf(r[i]));
            st.peak = fmaxf(st.peak, a);
            if (pos + i < tl.content_end)
                continue;
            quiet_run = a < silence_amp ? quiet_run + 1 : 0;
            if (quiet_run >= silence_frames && silence_frames > 0) {
                keep = i + 1;
                st.tail_cut = pos + keep < limit;
                break;
            }
        }
        if ((rc = sink(user, l, r, keep, err)) < 0)
            goto done;
        pos += keep;
        st.frames = pos;
        if (keep < frames)
            break;

        if (o.progress && ++n_blocks % 64 == 0) { /* look at the clock now and then */
            double t = now_s();
            if (t >= next_report) {
                fprintf(stderr, "render: %.1f / %.1f s (%.0f%%), %.1fx real time\n",
                        (double)pos / sr, (double)limit / sr, 100.0 * (double)pos / (double)limit,
                        (double)pos / sr / (t - t_start));
                next_report = t + 1.0;
            }
        }
    }
    st.wall_s = now_s() - t_start;
done:
    free(l);
    free(r);
    free(blk);
    timeline_free(&tl);
    if (stats)
        *stats = st;
    return rc;
}

/* ---------------------------------------------------------------- files */

int gb_render_sf_format(const char *path, gb_render_format_t fmt, int *sf_format,
                        gb_error_t *err)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    int container;
    if (dot && strcasecmp(dot, ".wav") == 0)
        container = SF_FORMAT_WAV;
    else if (dot && strcasecmp(dot, ".flac") == 0)
        container = SF_FORMAT_FLAC;
    else
        return gb_error_set(err, GB_EINVAL,
                            "%s: unknown output type: the name must end in .wav or .flac",
                            path ? path : "(no output)");
    int sub;
    switch (fmt) {
    case GB_RENDER_PCM24: sub = SF_FORMAT_PCM_24; break;
    case GB_RENDER_PCM16: sub = SF_FORMAT_PCM_16; break;
    case GB_RENDER_FLOAT:
        if (container == SF_FORMAT_FLAC)
            return gb_error_set(err, GB_EINVAL,
                                "%s: FLAC stores integer samples only: use --format pcm24 (or "
                                "a .wav name for float)", path);
        sub = SF_FORMAT_FLOAT;
        break;
    default: return gb_error_set(err, GB_EINVAL, "%s: unknown sample format %d", path, fmt);
    }
    *sf_format = container | sub;
    return 0;
}

struct gb_render_out {
    SNDFILE *sf;
    char *path, *tmp;
    float *inter;
    uint32_t cap;
};

gb_render_out_t *gb_render_out_open(const char *path, double sample_rate,
                                    gb_render_format_t fmt, const char *title, gb_error_t *err)
{
    int sf_format;
    if (gb_render_sf_format(path, fmt, &sf_format, err))
        return NULL;
    if (!(sample_rate >= 8000.0 && sample_rate <= 384000.0)) {
        gb_error_set(err, GB_EINVAL, "%s: sample rate %g out of range 8000..384000", path,
                     sample_rate);
        return NULL;
    }
    gb_render_out_t *o = calloc(1, sizeof *o);
    const size_t tl = strlen(path) + 16;
    if (!o || !(o->path = strdup(path)) || !(o->tmp = malloc(tl)) ||
        !(o->inter = malloc(2 * 4096 * sizeof *o->inter))) {
        gb_error_set(err, GB_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    o->cap = 4096;
    /* "out.wav" is written as "out.part.wav", renamed when complete. */
    const char *ext = strrchr(path, '.');
    snprintf(o->tmp, tl, "%.*s.part%s", (int)(ext - path), path, ext);
    SF_INFO info = {.samplerate = (int)lround(sample_rate), .channels = 2, .format = sf_format};
    if (!(o->sf = sf_open(o->tmp, SFM_WRITE, &info))) {
        gb_error_set(err, GB_EIO, "%s: cannot write: %s", path, sf_strerror(NULL));
        goto fail;
    }
    /* Determinism: no PEAK chunk (it carries a time stamp); clip rather than wrap. */
    sf_command(o->sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    sf_command(o->sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
    sf_set_string(o->sf, SF_STR_SOFTWARE, "gbac " GB_VERSION_STRING);
    if (title && *title)
        sf_set_string(o->sf, SF_STR_TITLE, title);
    return o;
fail:
    if (o) {
        free(o->path);
        free(o->tmp);
        free(o->inter);
        free(o);
    }
    return NULL;
}

int gb_render_out_sink(void *user, const float *l, const float *r, uint32_t frames,
                       gb_error_t *err)
{
    gb_render_out_t *o = user;
    for (uint32_t done = 0; done < frames;) {
        uint32_t n = frames - done < o->cap ? frames - done : o->cap;
        for (uint32_t i = 0; i < n; i++) {
            o->inter[2 * i] = l[done + i];
            o->inter[2 * i + 1] = r[done + i];
        }
        if (sf_writef_float(o->sf, o->inter, n) != (sf_count_t)n)
            return gb_error_set(err, GB_EIO, "%s: write error: %s", o->path,
                                sf_strerror(o->sf));
        done += n;
    }
    return 0;
}

int gb_render_out_close(gb_render_out_t *o, int keep, gb_error_t *err)
{
    if (!o)
        return 0;
    int rc = 0;
    if (sf_close(o->sf) != 0 && keep)
        rc = gb_error_set(err, GB_EIO, "%s: write error on close", o->path);
    if (keep && !rc && rename(o->tmp, o->path) != 0)
        rc = gb_error_set(err, GB_EIO, "%s: cannot write: %s", o->path, strerror(errno));
    if (!keep || rc)
        remove(o->tmp);
    free(o->path);
    free(o->tmp);
    free(o->inter);
    free(o);
    return rc;
}

void gb_render_recorder(void *ud, const gb_engine_t *e, const gbp_event_t *in, uint32_t n_in,
                        uint64_t pos, uint32_t frames)
{
    gb_recorder_t *rec = ud;
    gb_recorder_wait_room(rec, frames);
    gb_recorder_capture_block(rec, e, in, n_in, pos);
    for (uint32_t i = 0; i < n_in; i++) {
        if (in[i].type != GBP_EV_PARAM)
            continue;
        gb_rec_event_t x;
        memset(&x, 0, sizeof x);
        x.frame = pos + in[i].time;
        x.kind = GB_REC_PARAM;
        x.from = GB_REC_FROM_OSC;
        x.handle = (int32_t)in[i].id;
        x.value = in[i].value;
        gb_recorder_push_event(rec, &x);
    }
}

/* Output to the file and/or the session's recorder. */
typedef struct tee {
    gb_render_out_t *out;
    gb_recorder_t *rec;
} tee_t;

static int tee_sink(void *user, const float *l, const float *r, uint32_t frames,
                    gb_error_t *err)
{
    tee_t *t = user;
    if (t->out) {
        int rc = gb_render_out_sink(t->out, l, r, frames, err);
        if (rc < 0)
            return rc;
    }
    if (t->rec)
        gb_recorder_write_audio(t->rec, l, r, frames);
    return 0;
}

int gb_render_file(const gb_render_config_t *cfg, gb_render_stats_t *stats, gb_error_t *err)
{
    if (!cfg || cfg->struct_size < sizeof *cfg)
        return gb_error_set(err, GB_EINVAL, "render: bad configuration");
    if (!cfg->preset_path || (!cfg->out_path && !cfg->record_dir))
        return gb_error_set(err, GB_EINVAL, "render: a preset and an output file are needed");
    if (!cfg->midi_path && !cfg->score_path)
        return gb_error_set(err, GB_EINVAL, "render: nothing to render: give a MIDI file "
                                            "and/or an OSC score");
    if (!(cfg->sample_rate >= 8000.0 && cfg->sample_rate <= 384000.0))
        return gb_error_set(err, GB_EINVAL, "render: sample rate %g out of range 8000..384000",
                            cfg->sample_rate);
    if (cfg->opts.block < 1 || cfg->opts.block > GB_ENGINE_MAX_BLOCK)
        return gb_error_set(err, GB_EINVAL, "render: block %u out of range 1..%d",
                            cfg->opts.block, GB_ENGINE_MAX_BLOCK);
    int sf_format;
    int rc = cfg->out_path ? gb_render_sf_format(cfg->out_path, cfg->format, &sf_format, err)
                           : 0;
    if (rc)
        return rc;
    gb_session_t *session = NULL;
    tee_t tee = {NULL, NULL};
    gb_render_opts_t opts = cfg->opts;

    gb_unit_registry_t *reg = NULL;
    gb_preset_t *preset = NULL;
    gb_midifile_t *midi = NULL;
    gb_osc_score_t *score = NULL;
    gb_engine_t *engine = NULL;
    gb_render_out_t *out = NULL;

    if (!(reg = gb_unit_registry_open(cfg->plugin_dirs, cfg->n_plugin_dirs, err))) {
        rc = err && err->code ? err->code : GB_ENOMEM;
        goto done;
    }
    if (!(preset = gb_preset_load(cfg->preset_path, reg, err))) {
        rc = err && err->code ? err->code : GB_EFORMAT;
        goto done;
    }
    if (cfg->midi_path && !(midi = gb_midifile_load(cfg->midi_path, cfg->sample_rate, err))) {
        rc = err && err->code ? err->code : GB_EFORMAT;
        goto done;
    }
    if (cfg->score_path && !(score = gb_osc_score_load(cfg->score_path, err))) {
        rc = err && err->code ? err->code : GB_EFORMAT;
        goto done;
    }
    if (!(engine = gb_engine_build(preset, cfg->sample_rate, cfg->opts.block, cfg->seed,
                                    err))) {
        rc = err && err->code ? err->code : GB_EINVAL;
        goto done;
    }
    if (cfg->out_path && !(out = gb_render_out_open(cfg->out_path, cfg->sample_rate,
                                                    cfg->format, preset->name, err))) {
        rc = err && err->code ? err->code : GB_EIO;
        goto done;
    }
    if (cfg->record_dir && score) { /* a bad score line must not leave a session behind */
        timeline_t check;
        if ((rc = timeline_build(&check, engine, midi, score, err)) != 0) {
            gb_render_out_close(out, 0, NULL);
            goto done;
        }
        timeline_free(&check);
    }
    if (cfg->record_dir) {
        gb_session_config_t sc = gb_session_config_default();
        sc.dir = cfg->record_dir;
        sc.command = "render";
        sc.sample_rate = cfg->sample_rate;
        sc.seed = cfg->seed;
        sc.format = cfg->record_format;
        sc.offline = 1;
        if (!(session = gb_session_start(&sc, err)) ||
            gb_session_add_engine(session, engine, preset, 0, err) != 0) {
            rc = err && err->code ? err->code : GB_EIO;
            gb_render_out_close(out, 0, NULL);
            goto done;
        }
        tee.rec = gb_session_recorder(session);
        opts.observe = gb_render_recorder;
        opts.observe_ud = tee.rec;
    }
    tee.out = out;
    rc = gb_render_run(engine, midi, score, &opts, tee_sink, &tee, stats, err);
    int crc = gb_render_out_close(out, rc == 0, rc == 0 ? err : NULL);
    if (rc == 0)
        rc = crc;
    if (session) {
        gb_session_summary_t sum;
        crc = gb_session_stop(session, &sum, rc == 0 ? err : NULL);
        if (rc == 0)
            rc = crc;
        if (rc == 0 && sum.stopped[0])
            rc = gb_error_set(err, GB_EIO, "recording %s: %s; the audio recording stopped "
                              "there, the render went on%s%s%s", cfg->record_dir, sum.stopped,
                              cfg->out_path ? " (" : "", cfg->out_path ? cfg->out_path : "",
                              cfg->out_path ? " is complete)" : "");
    }
done:
    gb_session_free(session);
    gb_engine_free(engine);
    gb_osc_score_free(score);
    gb_midifile_free(midi);
    gb_preset_free(preset);
    gb_unit_registry_free(reg);
    return rc;
}

