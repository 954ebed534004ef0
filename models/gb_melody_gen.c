/* gb_melody_gen.c — melodies from the melody GAN to MIDI files (gb_melody_gen.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_melody_gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gb_melgan.h"
#include "gb_melody_ds.h"
#include "gb_midifile.h"
#include "gb_share.h"

#define CALL_SR 48000.0 /* the call is read on this clock */

int gb_melody_models_load(const char *model, int use_critic, gb_melody_models_t *m,
                          gb_error_t *err)
{
    char tried[8192];
    memset(m, 0, sizeof *m);
    if (!model) {
        if (gb_share_file(GB_MELODY_MODEL, m->path, sizeof m->path, tried, sizeof tried) < 0)
            return gb_error_set(err, GB_EIO, GB_MELODY_MODEL " not found in %s; train one with "
                                             "`gbac train melody` and pass --model FILE", tried);
    } else {
        snprintf(m->path, sizeof m->path, "%s", model);
    }
    snprintf(m->critic_path, sizeof m->critic_path, "%s.disc", m->path);
    if (!(m->gen = gb_model_load(m->path, 1, err)))
        return err && err->code ? err->code : GB_EIO;
    if (strcmp(gb_model_kind(m->gen), "melody-gan-generator") != 0) {
        int rc = gb_error_set(err, GB_EFORMAT, "%s: a %s model, not a melody-gan-generator",
                              m->path, gb_model_kind(m->gen));
        gb_melody_models_free(m);
        return rc;
    }
    if (use_critic && access(m->critic_path, R_OK) == 0 &&
        !(m->critic = gb_model_load(m->critic_path, 1, err))) {
        gb_melody_models_free(m);
        return err && err->code ? err->code : GB_EIO;
    }
    return 0;
}

void gb_melody_models_free(gb_melody_models_t *m)
{
    if (!m)
        return;
    gb_model_free(m->gen);
    gb_model_free(m->critic);
    m->gen = m->critic = NULL;
}

int gb_melody_key_parse(const char *s, int *shift, int *mode)
{
    static const int pcs[7] = {9, 11, 0, 2, 4, 5, 7}; /* A..G */
    if (!s[0] || s[0] < 'A' || s[0] > 'G')
        return -1;
    int pc = pcs[s[0] - 'A'], i = 1, m = 0;
    if (s[i] == '#' || s[i] == 'b')
        pc += s[i++] == '#' ? 1 : -1;
    if (s[i] == 'm') {
        m = 1;
        i++;
    }
    if (s[i])
        return -1;
    int t = ((pc - (m ? 9 : 0)) % 12 + 12) % 12;
    *shift = t > 6 ? t - 12 : t;
    *mode = m;
    return 0;
}

int gb_melody_meter_parse(const char *s, int *num, int *den)
{
    static const struct {
        const char *name;
        int num, den;
    } meters[] = {{"4/4", 4, 4}, {"3/4", 3, 4}, {"6/8", 6, 8}};
    for (size_t i = 0; i < sizeof meters / sizeof meters[0]; i++)
        if (strcmp(s, meters[i].name) == 0) {
            *num = meters[i].num;
            *den = meters[i].den;
            return 0;
        }
    return -1;
}

void gb_melody_gen_config_init(gb_melody_gen_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->use_critic = 1;
    c->bars = 8;
    c->seed = 1;
    c->num = c->den = 4;
    c->bpm = 120.0;
    c->temperature = 1.0;
    c->top_k = 6;
    c->candidates = 4;
}

int gb_melody_token_pitch(int token, int shift)
{
    if (token < GB_MDS_PITCH_BASE || token >= GB_MDS_VOCAB)
        return -1;
    return GB_MDS_PITCH_LO + token - GB_MDS_PITCH_BASE + shift;
}

static int fold_pitch(int p)
{
    while (p < GB_MDS_PITCH_LO)
        p += 12;
    while (p > GB_MDS_PITCH_HI)
        p -= 12;
    return p;
}

/* The step of a frame of the call. */
static long step_of(const gb_timed_event_t *te, double step_s)
{
    return lround((double)te->frame / CALL_SR / step_s);
}

/* The number of steps the call lasts: up to its last event, at most its length. */
static long call_steps(const gb_midifile_t *mf, double step_s)
{
    long n_steps = (long)ceil(mf->length_s / step_s - 1e-6), last_end = 0;
    for (size_t i = 0; i < mf->n_events; i++) {
        long st = step_of(&mf->events[i], step_s);
        last_end = st > last_end ? st : last_end;
    }
    return last_end < n_steps ? last_end : n_steps;
}

/* The last bar of a call as tokens in the normalised key: the highest note starting in a
 * step, holds while it sounds, rests otherwise. */
static void call_tokens(const gb_midifile_t *mf, int steps, int shift, double step_s,
                        uint8_t *ctx)
{
    const long n_steps = call_steps(mf, step_s);
    const long bar0 = n_steps > 0 ? (n_steps - 1) / steps * steps : 0;
    for (int i = 0; i < GB_MDS_MAX_STEPS; i++)
        ctx[i] = i < steps ? GB_MDS_REST : GB_MDS_PAD;
    int sounding = -1, prev_step_tok = GB_MDS_REST;
    for (long s = 0, e = 0; s < bar0 + steps; s++) {
        int onset = -1;
        for (; e < (long)mf->n_events && step_of(&mf->events[e], step_s) <= s; e++) {
            const gbp_event_t *ev = &mf->events[e].ev;
            if (ev->type == GBP_EV_NOTE_ON) {
                onset = ev->key > onset ? ev->key : onset;
                sounding = ev->key;
            } else if ((ev->type == GBP_EV_NOTE_OFF && ev->key == sounding) ||
                       ev->type == GBP_EV_ALL_OFF) {
                sounding = -1;
            }
        }
        if (onset >= 0)
            sounding = onset;
        int tok = onset >= 0 ? GB_MDS_PITCH_BASE + fold_pitch(onset - shift) - GB_MDS_PITCH_LO
                  : sounding >= 0 && prev_step_tok != GB_MDS_REST ? GB_MDS_HOLD
                                                                  : GB_MDS_REST;
        if (s >= bar0)
            ctx[s - bar0] = (uint8_t)tok;
        prev_step_tok = tok == GB_MDS_HOLD ? prev_step_tok : tok;
    }
}

static int call_context(const gb_melody_gen_config_t *c, int steps, uint8_t *ctx,
                        gb_error_t *err)
{
    gb_midifile_t *mf = gb_midifile_load(c->after, CALL_SR, err);
    if (!mf)
        return err && err->code ? err->code : GB_EIO;
    const double bpm = mf->n_tempos ? mf->tempos[0].bpm : c->bpm;
    call_tokens(mf, steps, c->shift, 60.0 / bpm / 4.0, ctx);
    gb_midifile_free(mf);
    return 0;
}

/* One step of the melody into the track: a note-off before anything but a hold, a note-on
 * for a pitch. */
static int add_step(gb_midifile_writer_t *w, int tr, double t, int tok, int shift,
                    int *sounding, gb_error_t *err)
{
    int rc = 0;
    if (tok != GB_MDS_HOLD && *sounding >= 0) {
        gbp_event_t off = {.type = GBP_EV_NOTE_OFF, .key = (uint8_t)*sounding, .value = 0.5f};
        rc = gb_midifile_writer_add(w, tr, t, &off, err);
        *sounding = -1;
    }
    const int p = gb_melody_token_pitch(tok, shift);
    if (p >= 0 && rc == 0) {
        gbp_event_t on = {.type = GBP_EV_NOTE_ON, .key = (uint8_t)p, .value = 0.8f};
        rc = gb_midifile_writer_add(w, tr, t, &on, err);
        *sounding = p;
    }
    return rc;
}

static int write_midi(const gb_melody_gen_config_t *c, const gb_melody_gen_result_t *r,
                      gb_error_t *err)
{
    gb_midifile_writer_t *w = gb_midifile_writer_new(c->bpm, 960, err);
    int tr = w ? gb_midifile_writer_add_track(w, GB_MELODY_TRACK, err) : -1;
    const double step_s = 60.0 / c->bpm / 4.0;
    int rc = tr < 0 ? -1 : 0, sounding = -1;
    for (int b = 0; b < r->bars && rc == 0; b++)
        for (int i = 0; i < r->steps && rc == 0; i++)
            rc = add_step(w, tr, ((double)b * r->steps + i) * step_s,
                          r->tokens[(size_t)b * GB_MDS_MAX_STEPS + (size_t)i], c->shift,
                          &sounding, err);
    const double end = (double)r->bars * r->steps * step_s;
    if (rc == 0) /* the last note ends with the last bar, which the end marks */
        rc = add_step(w, tr, end, GB_MDS_REST, c->shift, &sounding, err);
    if (rc == 0) {
        gbp_event_t off = {.type = GBP_EV_ALL_OFF};
        rc = gb_midifile_writer_add(w, tr, end, &off, err);
    }
    if (rc == 0)
        rc = gb_midifile_writer_save(w, c->out, err);
    if (rc < 0 && err && !err->msg[0])
        gb_error_set(err, GB_EIO, "%s: cannot write the file", c->out);
    gb_midifile_writer_free(w);
    return rc < 0 ? (err && err->code ? err->code : GB_EIO) : 0;
}

int gb_melody_gen_run(const gb_melody_gen_config_t *c, gb_melody_gen_result_t *r,
                      gb_error_t *err)
{
    gb_melody_models_t m;
    uint8_t ctx[GB_MDS_MAX_STEPS];
    memset(r, 0, sizeof *r);
    r->bars = c->bars;
    r->steps = c->num * 16 / c->den;
    int rc = gb_melody_models_load(c->model, c->use_critic, &m, err);
    if (rc == 0 && c->after)
        rc = call_context(c, r->steps, ctx, err);
    if (rc == 0 && !(r->tokens = malloc((size_t)c->bars * GB_MDS_MAX_STEPS)))
        rc = gb_error_set(err, GB_ENOMEM, "out of memory");
    if (rc == 0) {
        r->critic = m.critic != NULL;
        gb_melgan_gen_opts_t o = {.version = 1, .bars = c->bars, .num = c->num, .den = c->den,
                                  .mode = c->mode, .seed = (uint64_t)c->seed,
                                  .temperature = (float)c->temperature, .top_k = c->top_k,
                                  .candidates = m.critic ? c->candidates : 1};
        rc = gb_melgan_generate(gb_model_nn(m.gen), m.critic ? gb_model_nn(m.critic) : NULL, &o,
                                c->after ? ctx : NULL, r->tokens, NULL, err);
        if (rc < 0 && err) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            gb_error_set(err, rc, "%s: %s", m.path, msg);
        }
    }
    if (rc == 0)
        rc = write_midi(c, r, err);
    gb_melody_models_free(&m);
    return rc;
}

void gb_melody_gen_result_free(gb_melody_gen_result_t *r)
{
    if (!r)
        return;
    free(r->tokens);
    r->tokens = NULL;
}
