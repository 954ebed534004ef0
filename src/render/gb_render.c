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
    gb_render_opts_t o = {sizeof(gb_render_opts_t), 256, 2.0, -90.0, 0.5, 0, NULL, NULL, 0};
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

static int check_opts(const gb_render_opts_t *o, const gb_midifile_t *midi, double sr,
                      gb_error_t *err)
{
    if (o->block < 1 || o->block > GB_ENGINE_MAX_BLOCK)
        return gb_error_set(err, GB_EINVAL, "render: block %u out of range 1..%d", o->block,
                            GB_ENGINE_MAX_BLOCK);
    if (!(o->tail_s >= 0.0 && o->tail_s <= 600.0))
        return gb_error_set(err, GB_EINVAL, "render: tail %g s out of range 0..600", o->tail_s);
    if (!(o->silence_s >= 0.0 && o->silence_s <= 60.0) || !(o->silence_dbfs <= 0.0))
        return gb_error_set(err, GB_EINVAL, "render: silence %g dBFS for %g s out of range",
                            o->silence_dbfs, o->silence_s);
    if (midi && fabs(midi->sample_rate - sr) > 1e-9)
        return gb_error_set(err, GB_EINVAL, "%s: loaded at %g Hz but the engine runs at %g Hz",
                            midi->origin, midi->sample_rate, sr);
    return 0;
}

/* One render: the timeline, where it is, the buffers, what the tail is waiting for. */
typedef struct render {
    gb_engine_t *e;
    gb_render_opts_t o;
    timeline_t tl;
    double sr;
    float *l, *r;
    gbp_event_t *blk;
    uint64_t pos, limit, silence_frames, quiet_run, n_blocks;
    uint64_t skip;        /* output frames still to drop (latency compensation) */
    size_t ei, ti;
    float silence_amp;
    double t_start, next_report;
    gb_render_stats_t st;
} render_t;

/* The next block's events into blk: tempo changes due now applied, then up to `block`
 * frames, cut short at the next tempo change (so it lands on its frame) or where more than
 * GB_ENGINE_MAX_EVENTS would fall. Returns the block's end; *n_out its events. */
static uint64_t next_block(render_t *R, uint32_t *n_out)
{
    const timeline_t *tl = &R->tl;
    for (; R->ti < tl->n_tempo && tl->tempo[R->ti].frame <= R->pos; R->ti++)
        gb_engine_set_tempo(R->e, tl->tempo[R->ti].bpm);
    uint64_t end = R->pos + R->o.block;
    if (end > R->limit)
        end = R->limit;
    if (R->ti < tl->n_tempo && tl->tempo[R->ti].frame < end)
        end = tl->tempo[R->ti].frame;
    uint32_t n = 0;
    for (; R->ei < tl->n_ev && tl->ev[R->ei].frame < end; R->ei++) {
        if (n == GB_ENGINE_MAX_EVENTS) {
            if (tl->ev[R->ei].frame > R->pos) { /* the rest goes in the next block */
                end = tl->ev[R->ei].frame;
                break;
            }
            R->st.n_dropped++;
            continue;
        }
        R->blk[n] = tl->ev[R->ei].ev;
        R->blk[n].time = (uint32_t)(tl->ev[R->ei].frame - R->pos);
        n++;
    }
    *n_out = n;
    return end;
}

/* Non-finite samples zeroed, the peak, and the tail cut once the output stayed quiet long
 * enough after the content. Returns the frames to keep. */
static uint32_t check_block(render_t *R, uint32_t frames)
{
    for (uint32_t i = 0; i < frames; i++) {
        if (!isfinite(R->l[i])) {
            R->l[i] = 0.0f;
            R->st.n_nonfinite++;
        }
        if (!isfinite(R->r[i])) {
            R->r[i] = 0.0f;
            R->st.n_nonfinite++;
        }
        const float a = fmaxf(fabsf(R->l[i]), fabsf(R->r[i]));
        R->st.peak = fmaxf(R->st.peak, a);
        if (R->pos + i < R->tl.content_end)
            continue;
        R->quiet_run = a < R->silence_amp ? R->quiet_run + 1 : 0;
        if (R->quiet_run >= R->silence_frames && R->silence_frames > 0) {
            R->st.tail_cut = R->pos + i + 1 < R->limit;
            return i + 1;
        }
    }
    return frames;
}

/* A progress line at most once a second (the clock read every 64 blocks). */
static void progress(render_t *R)
{
    if (!R->o.progress || ++R->n_blocks % 64 != 0)
        return;
    const double t = now_s();
    if (t < R->next_report)
        return;
    fprintf(stderr, "render: %.1f / %.1f s (%.0f%%), %.1fx real time\n", (double)R->pos / R->sr,
            (double)R->limit / R->sr, 100.0 * (double)R->pos / (double)R->limit,
            (double)R->pos / R->sr / (t - R->t_start));
    R->next_report = t + 1.0;
}

static int render_loop(render_t *R, gb_render_sink_fn sink, void *user, gb_error_t *err)
{
    const double sr = R->sr;
    R->limit = R->tl.content_end + (uint64_t)llround(R->o.tail_s * sr);
    R->silence_frames = (uint64_t)llround(R->o.silence_s * sr);
    R->silence_amp = (float)pow(10.0, R->o.silence_dbfs / 20.0);
    R->t_start = now_s();
    R->next_report = R->t_start + 2.0;
    gb_engine_reset(R->e);
    R->st.latency = gb_engine_latency(R->e);
    if (!R->o.no_latency_comp) {
        R->skip = R->st.compensated = R->st.latency;
        R->limit += R->skip;
    }
    while (R->pos < R->limit) {
        uint32_t n;
        const uint64_t end = next_block(R, &n);
        const uint32_t frames = (uint32_t)(end - R->pos);
        gb_engine_process(R->e, R->blk, n, R->l, R->r, frames);
        if (R->o.observe)
            R->o.observe(R->o.observe_ud, R->e, R->blk, n, R->pos, frames);
        const uint32_t keep = check_block(R, frames);
        const uint32_t drop = R->skip < keep ? (uint32_t)R->skip : keep;
        R->skip -= drop;
        int rc = keep > drop ? sink(user, R->l + drop, R->r + drop, keep - drop, err) : 0;
        if (rc < 0)
            return rc;
        R->pos += keep;
        R->st.frames = R->pos - R->st.compensated + R->skip;
        if (keep < frames)
            break;
        progress(R);
    }
    R->st.wall_s = now_s() - R->t_start;
    return 0;
}

int gb_render_run(gb_engine_t *e, const gb_midifile_t *midi, const gb_osc_score_t *score,
                  const gb_render_opts_t *opts, gb_render_sink_fn sink, void *user,
                  gb_render_stats_t *stats, gb_error_t *err)
{
    render_t R;
    memset(&R, 0, sizeof R);
    R.e = e;
    R.o = opts ? *opts : gb_render_opts_default();
    if (!e || !sink)
        return gb_error_set(err, GB_EINVAL, "render: no engine or no output");
    R.sr = gb_engine_transport(e)->sample_rate;
    int rc = check_opts(&R.o, midi, R.sr, err);
    if (rc == 0)
        rc = timeline_build(&R.tl, e, midi, score, err);
    if (rc)
        return rc;
    R.st.content_frames = R.tl.content_end;
    R.st.n_midi_events = R.tl.n_midi;
    R.st.n_score = R.tl.n_score;
    R.l = malloc(R.o.block * sizeof *R.l);
    R.r = malloc(R.o.block * sizeof *R.r);
    R.blk = malloc(GB_ENGINE_MAX_EVENTS * sizeof *R.blk);
    if (!R.l || !R.r || !R.blk)
        rc = gb_error_set(err, GB_ENOMEM, "render: out of memory");
    else
        rc = render_loop(&R, sink, user, err);
    free(R.l);
    free(R.r);
    free(R.blk);
    timeline_free(&R.tl);
    if (stats)
        *stats = R.st;
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

static int check_config(const gb_render_config_t *cfg, gb_error_t *err)
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
    return cfg->out_path ? gb_render_sf_format(cfg->out_path, cfg->format, &sf_format, err) : 0;
}

/* What gb_render_file loads and makes. */
typedef struct job {
    gb_unit_registry_t *reg;
    gb_preset_t *preset;
    gb_midifile_t *midi;
    gb_osc_score_t *score;
    gb_engine_t *engine;
    gb_render_out_t *out;
    gb_session_t *session;
} job_t;

static int code_or(const gb_error_t *err, int fallback)
{
    return err && err->code ? err->code : fallback;
}

/* The plugins, the preset, the MIDI file, the score, the engine and the output file. */
static int job_load(job_t *j, const gb_render_config_t *cfg, gb_error_t *err)
{
    if (!(j->reg = gb_unit_registry_open(cfg->plugin_dirs, cfg->n_plugin_dirs, err)))
        return code_or(err, GB_ENOMEM);
    if (!(j->preset = gb_preset_load(cfg->preset_path, j->reg, err)))
        return code_or(err, GB_EFORMAT);
    if (cfg->midi_path &&
        !(j->midi = gb_midifile_load(cfg->midi_path, cfg->sample_rate, err)))
        return code_or(err, GB_EFORMAT);
    if (cfg->score_path && !(j->score = gb_osc_score_load(cfg->score_path, err)))
        return code_or(err, GB_EFORMAT);
    if (!(j->engine = gb_engine_build(j->preset, cfg->sample_rate, cfg->opts.block, cfg->seed,
                                      err)))
        return code_or(err, GB_EINVAL);
    if (cfg->out_path && !(j->out = gb_render_out_open(cfg->out_path, cfg->sample_rate,
                                                       cfg->format, j->preset->name, err)))
        return code_or(err, GB_EIO);
    return 0;
}

/* The session folder, started only once the score is known to be good (a bad score line
 * must not leave a session behind); opts then feed its recorder. */
static int job_session(job_t *j, const gb_render_config_t *cfg, gb_render_opts_t *opts,
                       tee_t *tee, gb_error_t *err)
{
    if (j->score) {
        timeline_t check;
        int rc = timeline_build(&check, j->engine, j->midi, j->score, err);
        if (rc)
            return rc;
        timeline_free(&check);
    }
    gb_session_config_t sc = gb_session_config_default();
    sc.dir = cfg->record_dir;
    sc.command = "render";
    sc.sample_rate = cfg->sample_rate;
    sc.seed = cfg->seed;
    sc.format = cfg->record_format;
    sc.offline = 1;
    if (!(j->session = gb_session_start(&sc, err)) ||
        gb_session_add_engine(j->session, j->engine, j->preset, 0, err) != 0)
        return code_or(err, GB_EIO);
    tee->rec = gb_session_recorder(j->session);
    opts->observe = gb_render_recorder;
    opts->observe_ud = tee->rec;
    return 0;
}

/* Stop the session: its files, and an error when its audio stopped early. */
static int job_session_stop(job_t *j, const gb_render_config_t *cfg, int rc, gb_error_t *err)
{
    gb_session_summary_t sum;
    int crc = gb_session_stop(j->session, &sum, rc == 0 ? err : NULL);
    if (rc == 0)
        rc = crc;
    if (rc == 0 && sum.stopped[0])
        rc = gb_error_set(err, GB_EIO, "recording %s: %s; the audio recording stopped there, "
                          "the render went on%s%s%s", cfg->record_dir, sum.stopped,
                          cfg->out_path ? " (" : "", cfg->out_path ? cfg->out_path : "",
                          cfg->out_path ? " is complete)" : "");
    return rc;
}

int gb_render_file(const gb_render_config_t *cfg, gb_render_stats_t *stats, gb_error_t *err)
{
    int rc = check_config(cfg, err);
    if (rc)
        return rc;
    job_t j = {0};
    tee_t tee = {NULL, NULL};
    gb_render_opts_t opts = cfg->opts;
    rc = job_load(&j, cfg, err);
    if (rc == 0 && cfg->record_dir && (rc = job_session(&j, cfg, &opts, &tee, err)) != 0)
        gb_render_out_close(j.out, 0, NULL);
    if (rc == 0) {
        tee.out = j.out;
        rc = gb_render_run(j.engine, j.midi, j.score, &opts, tee_sink, &tee, stats, err);
        int crc = gb_render_out_close(j.out, rc == 0, rc == 0 ? err : NULL);
        if (rc == 0)
            rc = crc;
        if (j.session)
            rc = job_session_stop(&j, cfg, rc, err);
    }
    gb_session_free(j.session);
    gb_engine_free(j.engine);
    gb_osc_score_free(j.score);
    gb_midifile_free(j.midi);
    gb_preset_free(j.preset);
    gb_unit_registry_free(j.reg);
    return rc;
}
