/* gb_melody_gen.c — melodies from the melody GAN to MIDI files (gb_melody_gen.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_melody_gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gb_call_key.h"
#include "gb_melgan.h"
#include "gb_melody_answer.h"
#include "gb_melody_ds.h"
#include "gb_melody_ds_build.h"
#include "gb_melody_key.h"
#include "gb_midifile.h"
#include "gb_share.h"

int gb_melody_models_load(const char *model, int use_critic, int max_batch,
                          gb_melody_models_t *m, gb_error_t *err)
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
    if (!(m->gen = gb_model_load(m->path, max_batch, err)))
        return err && err->code ? err->code : GB_EIO;
    int rc = 0;
    if (strcmp(gb_model_kind(m->gen), "melody-gan-generator") != 0)
        rc = gb_error_set(err, GB_EFORMAT, "%s: a %s model, not a melody-gan-generator",
                          m->path, gb_model_kind(m->gen));
    else
        rc = gb_melgan_check_generator(gb_model_nn(m->gen), m->path, err);
    if (rc == 0 && use_critic && access(m->critic_path, R_OK) == 0 &&
        (!(m->critic = gb_model_load(m->critic_path, max_batch, err)) ||
         gb_melgan_check_critic(gb_model_nn(m->critic), m->critic_path, err) < 0))
        rc = err && err->code ? err->code : GB_EIO;
    if (rc)
        gb_melody_models_free(m);
    return rc;
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
    *shift = gb_melody_key_offset((pc + 12) % 12, m);
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
    c->bpm = 0.0;
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

/* What a call gives the answer: its last four bars in the key answered, the bar of the
 * phrase the answer starts at, and how the call was heard. */
typedef struct call {
    uint8_t hist[4 * GB_MDS_MAX_STEPS]; /* its last four bars, the last first */
    int phrase_pos;
    gb_melody_call_info_t info;
} call_t;

/* The key, meter and tempo written: given, else the call's, else C major, 4/4, 120 BPM. */
static void settle(const gb_melody_gen_config_t *c, const call_t *call, int has_call,
                   gb_melody_gen_result_t *r)
{
    r->shift = c->key_given || !has_call ? c->shift
                                         : gb_melody_key_offset(call->info.tonic, call->info.mode);
    r->mode = c->key_given || !has_call ? c->mode : call->info.mode;
    r->num = c->meter_given || !has_call ? c->num : call->info.num;
    r->den = c->meter_given || !has_call ? c->den : call->info.den;
    const double bpm = c->bpm > 0.0 ? c->bpm : has_call ? call->info.bpm : 120.0;
    r->bpm = bpm < 20.0 ? 20.0 : bpm > 300.0 ? 300.0 : bpm;
    r->steps = r->num * 16 / r->den;
}

/* Read the call with the dataset's reader (gb_melody_tune_read: its top line in 16th steps by
 * beats, so tempo changes do not move the steps; channel 10 left out; its key by the
 * function the live unit uses), settle the key, meter and tempo, and cut its last four bars
 * in that meter, moved to that key. */
static int read_call(const gb_melody_gen_config_t *cfg, gb_melody_gen_result_t *r, call_t *c,
                     gb_error_t *err)
{
    gb_melody_tune_t t;
    const int rc = gb_melody_tune_read(cfg->after, &t, err);
    if (rc < 0)
        return rc;
    int tonic, mode; /* the live unit's way: its last two bars, after what came before */
    gb_call_key_tokens(t.tokens, t.n_steps, t.steps_per_bar, t.shift, t.meter_num, t.meter_den,
                       &tonic, &mode);
    c->info = (gb_melody_call_info_t){.tonic = tonic, .mode = mode, .num = t.meter_num,
                                      .den = t.meter_den, .bpm = t.bpm,
                                      .polyphonic_steps = t.polyphonic_steps,
                                      .percussion = t.percussion,
                                      .tempo_changes = t.tempo_changes,
                                      .meter_changes = t.meter_changes};
    settle(cfg, c, 1, r);
    const int by = t.shift + r->shift; /* tune_read moved it by t.shift already */
    int first = -1, last = -1;
    for (int s = 0; s < t.n_steps; s++) {
        int tok = t.tokens[s];
        if (tok >= GB_MDS_PITCH_BASE && by)
            tok = GB_MDS_PITCH_BASE + fold_pitch(GB_MDS_PITCH_LO + tok - GB_MDS_PITCH_BASE - by) -
                  GB_MDS_PITCH_LO;
        t.tokens[s] = (uint8_t)tok;
        if (tok >= GB_MDS_PITCH_BASE) {
            first = first < 0 ? s : first;
            last = s;
        }
    }
    const int st = r->steps, bar = last / st;
    for (int h = 0; h < 4; h++)
        for (int i = 0; i < GB_MDS_MAX_STEPS; i++) {
            const int k = (bar - h) * st + i;
            c->hist[h * GB_MDS_MAX_STEPS + i] = i >= st                   ? GB_MDS_PAD
                                                : k >= 0 && k < t.n_steps ? t.tokens[k]
                                                                          : GB_MDS_REST;
        }
    c->phrase_pos = (bar - first / st + 1) % GB_MELGEN_PHRASE;
    gb_melody_tune_clear(&t);
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

int gb_melody_write_midi(const char *path, const uint8_t *tokens, int bars, int steps,
                         int shift, double bpm, gb_error_t *err)
{
    gb_midifile_writer_t *w = gb_midifile_writer_new(bpm, 960, err);
    int tr = w ? gb_midifile_writer_add_track(w, GB_MELODY_TRACK, err) : -1;
    const double step_s = 60.0 / bpm / 4.0;
    int rc = tr < 0 ? -1 : 0, sounding = -1;
    for (int b = 0; b < bars && rc == 0; b++)
        for (int i = 0; i < steps && rc == 0; i++)
            rc = add_step(w, tr, ((double)b * steps + i) * step_s,
                          tokens[(size_t)b * GB_MDS_MAX_STEPS + (size_t)i], shift, &sounding,
                          err);
    const double end = (double)bars * steps * step_s;
    if (rc == 0) /* the last note ends with the last bar, which the end marks */
        rc = add_step(w, tr, end, GB_MDS_REST, shift, &sounding, err);
    if (rc == 0) {
        gbp_event_t off = {.type = GBP_EV_ALL_OFF};
        rc = gb_midifile_writer_add(w, tr, end, &off, err);
    }
    if (rc == 0)
        rc = gb_midifile_writer_save(w, path, err);
    if (rc < 0 && err && !err->msg[0])
        gb_error_set(err, GB_EIO, "%s: cannot write the file", path);
    gb_midifile_writer_free(w);
    return rc < 0 ? (err && err->code ? err->code : GB_EIO) : 0;
}

int gb_melody_gen_run(const gb_melody_gen_config_t *c, gb_melody_gen_result_t *r,
                      gb_error_t *err)
{
    gb_melody_models_t m;
    call_t call;
    memset(r, 0, sizeof *r);
    memset(&call, 0, sizeof call);
    r->bars = c->bars;
    int rc = gb_melody_models_load(c->model, c->use_critic, c->candidates, &m, err);
    if (rc == 0 && c->after) {
        if ((rc = read_call(c, r, &call, err)) == 0) {
            r->has_call = 1;
            r->call = call.info;
        }
    } else {
        settle(c, &call, 0, r);
    }
    if (rc == 0 && !(r->tokens = malloc((size_t)c->bars * GB_MDS_MAX_STEPS)))
        rc = gb_error_set(err, GB_ENOMEM, "out of memory");
    if (rc == 0) {
        r->critic = m.critic != NULL;
        gb_melgan_gen_opts_t o = {.version = 2, .bars = c->bars, .num = r->num, .den = r->den,
                                  .mode = r->mode, .phrase_pos = c->after ? call.phrase_pos : 0,
                                  .density = c->after ? 0 : -1, .seed = (uint64_t)c->seed,
                                  .temperature = (float)c->temperature, .top_k = c->top_k,
                                  .candidates = m.critic ? c->candidates : 1};
        gb_nn_t *gen = gb_model_nn(m.gen), *crit = m.critic ? gb_model_nn(m.critic) : NULL;
        rc = c->after ? gb_answer_generate(gen, crit, &o, call.hist, 4, r->tokens, err)
                      : gb_melgan_generate(gen, crit, &o, NULL, 0, r->tokens, NULL, err);
        if (rc < 0 && err) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            gb_error_set(err, rc, "%s: %s", m.path, msg);
        }
    }
    if (rc == 0)
        rc = gb_melody_write_midi(c->out, r->tokens, r->bars, r->steps, r->shift, r->bpm, err);
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
