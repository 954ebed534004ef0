/* unit_harmsynth.c — "gbac.harmonic-synth": the DDSP-style harmonic + noise instrument.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each voice plays a timbre frame sequence (state "timbre", see docs/timbre-format.md)
 * through a gb_oscbank. Everything that changes over a note — envelope, glide, vibrato,
 * timbre frame, gain smoothing — is computed at a control rate of one update per
 * HS_CONTROL samples of the voice's own clock and ramped linearly per sample in between, so
 * output does not depend on how blocks are split. A stolen voice moves to one of HS_FADES
 * fade slots and ramps to silence over HS_FADE_MS while the new note starts at once.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_oscbank.h"
#include "gb_timbre.h"
#include "gb_timbre_json.h"
#include "gb_units.h"
#include "gb_voicealloc.h"

#define HS_CONTROL 32  /* samples per control update */
#define HS_FADES 8     /* fade slots for stolen voices */
#define HS_FADE_MS 5.0
#define HS_STACK 16    /* held keys remembered in legato mode */

enum {
    P_GAIN_DB, P_ATTACK_MS, P_DECAY_MS, P_SUSTAIN, P_RELEASE_MS, P_BEND_RANGE, P_GLIDE_MS,
    P_LEGATO, P_VIBRATO_CENTS, P_VIBRATO_HZ, P_MOD_VIBRATO_CENTS, P_BRIGHTNESS,
    P_PRESSURE_BRIGHTNESS, P_VELOCITY_SENS, P_NOISE_DB, P_VOICES, P_POLYPHONY, P_COUNT
};

static const gbp_param_info_t hs_params[P_COUNT] = {
    {P_GAIN_DB, "gain_db", "dB", -60, 12, -6, 20, 0, "output level"},
    {P_ATTACK_MS, "attack_ms", "ms", 0.5f, 10000, 5, 0, 0, "envelope attack time"},
    {P_DECAY_MS, "decay_ms", "ms", 1, 20000, 400, 0, 0, "time to fall 60 dB towards sustain"},
    {P_SUSTAIN, "sustain", "", 0, 1, 0.7f, 0, 0, "sustain level (linear)"},
    {P_RELEASE_MS, "release_ms", "ms", 1, 20000, 300, 0, 0, "time to fall 60 dB after key up"},
    {P_BEND_RANGE, "bend_range", "semitones", 0, 24, 2, 0, GBP_PARAM_STEPPED,
     "pitch bend range"},
    {P_GLIDE_MS, "glide_ms", "ms", 0, 5000, 0, 0, 0, "portamento time constant (0: off)"},
    {P_LEGATO, "legato", "", 0, 1, 0, 0, GBP_PARAM_STEPPED | GBP_PARAM_NO_SMOOTH,
     "1: monophonic legato (new keys glide, no retrigger)"},
    {P_VIBRATO_CENTS, "vibrato_cents", "cents", 0, 100, 0, 0, 0, "vibrato depth"},
    {P_VIBRATO_HZ, "vibrato_hz", "Hz", 0.1f, 12, 5, 0, 0, "vibrato rate"},
    {P_MOD_VIBRATO_CENTS, "mod_vibrato_cents", "cents", 0, 100, 30, 0, 0,
     "extra vibrato depth at full mod wheel (CC 1)"},
    {P_BRIGHTNESS, "brightness", "", -1, 1, 0, 0, 0,
     "spectral tilt: harmonic k scaled by k^brightness"},
    {P_PRESSURE_BRIGHTNESS, "pressure_brightness", "", 0, 1, 0.5f, 0, 0,
     "brightness added at full channel pressure"},
    {P_VELOCITY_SENS, "velocity_sens", "", 0, 1, 0.8f, 0, 0,
     "0: velocity ignored, 1: level follows velocity squared"},
    {P_NOISE_DB, "noise_db", "dB", -60, 12, 0, 0, 0, "level of the noise part"},
    {P_VOICES, "voices", "", 0, GB_MAX_VOICES, 0, 0, GBP_PARAM_READONLY,
     "voices sounding now (read only)"},
    {P_POLYPHONY, "polyphony", "", 1, GB_MAX_VOICES, 16, 0, GBP_PARAM_STEPPED,
     "voices (applies at activation and reset)"},
};

enum { ST_ATTACK, ST_DECAY, ST_RELEASE, ST_FADE };

typedef struct hs_voice {
    gb_oscbank_t bank; /* first: 64-byte aligned */
    int active;        /* sounding (any stage) */
    int ending;        /* silent target reached: free at the next update */
    int stage;
    uint8_t key;
    float vel_gain, env, gain_s, pitch, target_pitch, vib_phase, level;
    uint32_t ctl_left;
    uint64_t age; /* samples since note on */
} hs_voice_t;

typedef struct harmsynth {
    float p[P_COUNT];
    double sr;
    uint32_t max_frames;
    gb_noise_tables_t *noise;
    gb_oscbank_render_fn render;
    gb_voicealloc_t va;
    hs_voice_t *voices; /* GB_MAX_VOICES + HS_FADES, 64-byte aligned */
    float *mono;
    gb_timbre_seq_t *timbre;
    float bend, modwheel, pressure;
    float last_pitch;
    int have_last;
    uint8_t stack[HS_STACK];
    int n_stack;
    uint32_t rng;
    int voices_now;
    /* per process call: coefficients from the parameters */
    float attack_step, decay_coef, release_coef, fade_step, gain_lin, gain_coef, glide_coef,
        noise_lin, tilt[GB_TIMBRE_HARMONICS];
    uint32_t seed;                     /* from the host: noise tables and noise offsets */
    float tilt_b;                      /* brightness the tilt table was made for */
    float log_k[GB_TIMBRE_HARMONICS];  /* log(k + 1) */
} harmsynth_t;

static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

static float param_clamp(uint32_t id, float v)
{
    const gbp_param_info_t *pi = &hs_params[id];
    v = isfinite(v) ? clampf(v, pi->min, pi->max) : pi->def;
    return (pi->flags & GBP_PARAM_STEPPED) ? roundf(v) : v;
}

static void *hs_create(const gbp_descriptor_t *desc, const gbp_host_t *host)
{
    (void)desc;
    harmsynth_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->seed = host ? host->seed : 1u;
    s->timbre = malloc(sizeof *s->timbre);
    if (!s->timbre) {
        free(s);
        return NULL;
    }
    gb_timbre_seq_default(s->timbre);
    for (int i = 0; i < P_COUNT; i++)
        s->p[i] = hs_params[i].def;
    for (int k = 0; k < GB_TIMBRE_HARMONICS; k++) {
        s->log_k[k] = logf((float)(k + 1));
        s->tilt[k] = 1.0f;
    }
    s->tilt_b = 0.0f;
    return s;
}

static void hs_deactivate(void *self)
{
    harmsynth_t *s = self;
    gb_noise_tables_free(s->noise);
    free(s->voices);
    free(s->mono);
    s->noise = NULL;
    s->voices = NULL;
    s->mono = NULL;
}

static void hs_destroy(void *self)
{
    harmsynth_t *s = self;
    if (!s)
        return;
    hs_deactivate(s);
    free(s->timbre);
    free(s);
}

static void hs_reset(void *self) GB_RT
{
    harmsynth_t *s = self;
    gb_voicealloc_init(&s->va, (int)s->p[P_POLYPHONY]);
    for (int i = 0; i < GB_MAX_VOICES + HS_FADES; i++) {
        s->voices[i].active = 0;
        s->voices[i].ending = 0;
    }
    s->bend = s->modwheel = s->pressure = 0.0f;
    s->have_last = 0;
    s->n_stack = 0;
    s->rng = s->seed * 2654435761u + 0x12345u;
    s->voices_now = 0;
}

static void hs_coefficients(harmsynth_t *s) GB_RT;

static int hs_activate(void *self, double sample_rate, uint32_t max_frames)
{
    harmsynth_t *s = self;
    hs_deactivate(s);
    gb_simd_t simd;
    if (gb_simd_default(&simd, NULL) != GB_OK)
        simd = GB_SIMD_SCALAR;
    s->render = gb_oscbank_render_for(simd);
    s->sr = sample_rate;
    s->max_frames = max_frames;
    s->noise = gb_noise_tables_new(sample_rate, s->seed ^ 0x6ba5eedu, NULL);
    s->voices = aligned_alloc(GB_ALIGN, GB_ROUND_UP(sizeof(hs_voice_t) *
                                                        (GB_MAX_VOICES + HS_FADES), GB_ALIGN));
    s->mono = aligned_alloc(GB_ALIGN, GB_ROUND_UP(sizeof(float) * (max_frames + 1), GB_ALIGN));
    if (!s->render || !s->noise || !s->voices || !s->mono) {
        hs_deactivate(s);
        return GB_ENOMEM;
    }
    memset(s->voices, 0, sizeof(hs_voice_t) * (GB_MAX_VOICES + HS_FADES));
    hs_reset(s);
    hs_coefficients(s); /* a note in the first block starts at the right gain */
    return GB_OK;
}

static void hs_set_param(void *self, uint32_t id, float value)
{
    harmsynth_t *s = self;
    if (id < P_COUNT && !(hs_params[id].flags & GBP_PARAM_READONLY))
        s->p[id] = param_clamp(id, value);
}

static float hs_get_param(void *self, uint32_t id)
{
    harmsynth_t *s = self;
    if (id == P_VOICES)
        return (float)__atomic_load_n(&s->voices_now, __ATOMIC_RELAXED);
    return id < P_COUNT ? s->p[id] : 0.0f;
}

/* ---- control rate ---------------------------------------------------------------------- */

/* Coefficients that depend only on parameters, once per process call. */
static void hs_coefficients(harmsynth_t *s) GB_RT
{
    const double per_ms = s->sr / 1000.0;
    const double ln1000 = 6.907755278982137;
    s->attack_step = (float)(HS_CONTROL / (s->p[P_ATTACK_MS] * per_ms));
    s->decay_coef = (float)exp(-ln1000 * HS_CONTROL / (s->p[P_DECAY_MS] * per_ms));
    s->release_coef = (float)exp(-ln1000 * HS_CONTROL / (s->p[P_RELEASE_MS] * per_ms));
    s->fade_step = (float)(HS_CONTROL / (HS_FADE_MS * per_ms));
    s->gain_lin = (float)pow(10.0, s->p[P_GAIN_DB] / 20.0);
    s->noise_lin = (float)pow(10.0, s->p[P_NOISE_DB] / 20.0);
    s->gain_coef = (float)(1.0 - exp(-HS_CONTROL / (20.0 * per_ms)));
    s->glide_coef = s->p[P_GLIDE_MS] > 0.0f
                        ? (float)(1.0 - exp(-HS_CONTROL / (s->p[P_GLIDE_MS] * per_ms)))
                        : 1.0f;
    /* The tilt table changes only with brightness or pressure: recompute it then (bounded by
     * the events of the block), not on every call. */
    const float b = clampf(s->p[P_BRIGHTNESS] + s->pressure * s->p[P_PRESSURE_BRIGHTNESS], -2, 2);
    if (b != s->tilt_b) {
        s->tilt_b = b;
        for (int k = 0; k < GB_TIMBRE_HARMONICS; k++)
            s->tilt[k] = expf(b * s->log_k[k]);
    }
}

static void hs_control(harmsynth_t *s, hs_voice_t *v) GB_RT
{
    if (v->ending) {
        v->active = 0;
        v->ending = 0;
        if (v < s->voices + GB_MAX_VOICES)
            gb_voicealloc_free(&s->va, (int)(v - s->voices));
        return;
    }
    const float sustain = s->p[P_SUSTAIN];
    switch (v->stage) {
    case ST_ATTACK:
        v->env += s->attack_step;
        if (v->env >= 1.0f) {
            v->env = 1.0f;
            v->stage = ST_DECAY;
        }
        break;
    case ST_DECAY: v->env = sustain + (v->env - sustain) * s->decay_coef; break;
    case ST_RELEASE: v->env *= s->release_coef; break;
    case ST_FADE: v->env = v->env > s->fade_step ? v->env - s->fade_step : 0.0f; break;
    }
    if ((v->stage == ST_RELEASE && v->env < 1e-4f) || (v->stage == ST_FADE && v->env <= 0.0f) ||
        (v->stage == ST_DECAY && sustain <= 0.0f && v->env < 1e-4f)) {
        v->env = 0.0f;
        v->ending = 1; /* ramp to silence over this period, free at the next update */
    }
    v->gain_s += (s->gain_lin - v->gain_s) * s->gain_coef;
    v->pitch += (v->target_pitch - v->pitch) * s->glide_coef;
    v->vib_phase += (float)(2.0 * GB_PI * s->p[P_VIBRATO_HZ] * HS_CONTROL / s->sr);
    v->vib_phase -= v->vib_phase > (float)(2.0 * GB_PI) ? (float)(2.0 * GB_PI) : 0.0f;
    const float cents = s->p[P_VIBRATO_CENTS] + s->modwheel * s->p[P_MOD_VIBRATO_CENTS];
    const double semis = v->pitch + s->bend * s->p[P_BEND_RANGE] +
                         cents / 100.0f * sinf(v->vib_phase) - 69.0;
    const double f0 = 440.0 * exp2(semis / 12.0);

    /* Timbre frame at the end of this period, interpolated between stored frames. */
    v->age += HS_CONTROL;
    const gb_timbre_seq_t *ts = s->timbre;
    const double pos = (double)v->age / (s->sr * GB_TIMBRE_HOP_S);
    int i0 = (int)pos;
    float fr = (float)(pos - i0);
    if (i0 >= ts->n_frames - 1) {
        i0 = ts->n_frames - 1;
        fr = 0.0f;
    }
    const gb_timbre_frame_t *f0r = &ts->frames[i0];
    const gb_timbre_frame_t *f1r = &ts->frames[i0 + (i0 < ts->n_frames - 1)];
    float harm[GB_TIMBRE_HARMONICS] __attribute__((aligned(64)));
    float noise[GB_TIMBRE_BANDS] __attribute__((aligned(64)));
    float norm = 0.0f;
    for (int k = 0; k < GB_TIMBRE_HARMONICS; k++) {
        harm[k] = (f0r->harm[k] + fr * (f1r->harm[k] - f0r->harm[k])) * s->tilt[k];
        norm += harm[k];
    }
    const float amp = f0r->amp + fr * (f1r->amp - f0r->amp);
    const float level = v->env * v->vel_gain * v->gain_s;
    const float hscale = norm > 0.0f ? level * amp / norm : 0.0f;
    for (int k = 0; k < GB_TIMBRE_HARMONICS; k++)
        harm[k] *= hscale;
    const float nscale = level * s->noise_lin;
    for (int b = 0; b < GB_TIMBRE_BANDS; b++)
        noise[b] = (f0r->noise[b] + fr * (f1r->noise[b] - f0r->noise[b])) * nscale;
    gb_oscbank_set_targets(&v->bank, harm, noise, f0, s->sr, HS_CONTROL);
    v->level = level * amp;
    if (v < s->voices + GB_MAX_VOICES)
        s->va.v[v - s->voices].level = v->level;
    v->ctl_left = HS_CONTROL;
}

static void hs_render_voice(harmsynth_t *s, hs_voice_t *v, float *out, uint32_t frames) GB_RT
{
    const float *nz = gb_noise_tables_data(s->noise);
    uint32_t done = 0;
    while (done < frames) {
        if (v->ctl_left == 0)
            hs_control(s, v);
        if (!v->active)
            return;
        uint32_t n = frames - done < v->ctl_left ? frames - done : v->ctl_left;
        s->render(&v->bank, nz, out + done, (int)n);
        v->ctl_left -= n;
        done += n;
    }
}

/* ---- events ------------------------------------------------------------------------------ */

static void hs_release_cb(void *ctx, int voice) GB_RT
{
    harmsynth_t *s = ctx;
    s->voices[voice].stage = ST_RELEASE;
}

static void hs_start_voice(harmsynth_t *s, int vi, uint8_t key, float vel) GB_RT
{
    hs_voice_t *v = &s->voices[vi];
    s->rng = s->rng * 1664525u + 1013904223u;
    gb_oscbank_start(&v->bank, s->rng >> 8);
    v->active = 1;
    v->ending = 0;
    v->stage = ST_ATTACK;
    v->key = key;
    const float sens = s->p[P_VELOCITY_SENS];
    v->vel_gain = 1.0f - sens + sens * vel * vel;
    v->env = 0.0f;
    v->gain_s = s->gain_lin;
    v->target_pitch = key;
    v->pitch = (s->p[P_GLIDE_MS] > 0.0f && s->have_last) ? s->last_pitch : key;
    v->vib_phase = 0.0f;
    v->ctl_left = 0;
    v->age = 0;
    s->last_pitch = key;
    s->have_last = 1;
}

/* Move a sounding voice into a fade slot (the quietest one if all are busy). */
static void hs_fade_out(harmsynth_t *s, int vi) GB_RT
{
    hs_voice_t *fades = s->voices + GB_MAX_VOICES;
    int pick = 0;
    for (int i = 0; i < HS_FADES; i++) {
        if (!fades[i].active) {
            pick = i;
            break;
        }
        if (fades[i].env < fades[pick].env)
            pick = i;
    }
    fades[pick] = s->voices[vi];
    fades[pick].stage = ST_FADE;
}

static int hs_legato_voice(const harmsynth_t *s)
{
    for (int i = 0; i < s->va.n; i++)
        if (s->va.v[i].state == GB_VOICE_HELD)
            return i;
    return -1;
}

static void hs_note_on(harmsynth_t *s, uint8_t key, uint8_t ch, float vel) GB_RT
{
    if (s->p[P_LEGATO] >= 0.5f) {
        int lv = hs_legato_voice(s);
        if (s->n_stack < HS_STACK)
            s->stack[s->n_stack++] = key;
        if (lv >= 0) { /* glide the held voice to the new key, no retrigger */
            s->va.v[lv].key = key;
            s->voices[lv].key = key;
            s->voices[lv].target_pitch = key;
            s->last_pitch = key;
            return;
        }
    }
    int stolen = 0;
    int vi = gb_voicealloc_note_on(&s->va, key, ch, &stolen);
    if (stolen && s->voices[vi].active)
        hs_fade_out(s, vi);
    hs_start_voice(s, vi, key, vel);
}

static void hs_note_off(harmsynth_t *s, uint8_t key, uint8_t ch) GB_RT
{
    if (s->p[P_LEGATO] >= 0.5f) {
        int n = 0;
        for (int i = 0; i < s->n_stack; i++) /* forget the key */
            if (s->stack[i] != key)
                s->stack[n++] = s->stack[i];
        s->n_stack = n;
        int lv = hs_legato_voice(s);
        if (lv >= 0 && s->va.v[lv].key != key)
            return; /* a key that was not sounding */
        if (lv >= 0 && n > 0) { /* fall back to the previous held key */
            uint8_t prev = s->stack[n - 1];
            s->va.v[lv].key = prev;
            s->voices[lv].key = prev;
            s->voices[lv].target_pitch = prev;
            return;
        }
    }
    gb_voicealloc_note_off(&s->va, key, ch, hs_release_cb, s);
}

static void hs_event(harmsynth_t *s, const gbp_event_t *ev) GB_RT
{
    switch (ev->type) {
    case GBP_EV_NOTE_ON: hs_note_on(s, ev->key & 127, ev->channel & 15, clampf(ev->value, 0, 1)); break;
    case GBP_EV_NOTE_OFF: hs_note_off(s, ev->key & 127, ev->channel & 15); break;
    case GBP_EV_PITCH_BEND: s->bend = clampf(ev->value, -1, 1); break;
    case GBP_EV_PRESSURE: s->pressure = clampf(ev->value, 0, 1); break;
    case GBP_EV_CC:
        if (ev->id == 1)
            s->modwheel = clampf(ev->value, 0, 1);
        else if (ev->id == 64)
            gb_voicealloc_sustain(&s->va, ev->value >= 0.5f, hs_release_cb, s);
        else if (ev->id == 123 || ev->id == 120)
            gb_voicealloc_all_off(&s->va, hs_release_cb, s);
        break;
    case GBP_EV_ALL_OFF:
        s->n_stack = 0;
        gb_voicealloc_all_off(&s->va, hs_release_cb, s);
        break;
    case GBP_EV_PARAM: hs_set_param(s, ev->id, ev->value); break;
    default: break;
    }
}

static void hs_process(void *self, const gbp_process_t *proc) GB_RT
{
    harmsynth_t *s = self;
    for (uint32_t i = 0; i < proc->n_events; i++)
        hs_event(s, &proc->events[i]);
    const uint32_t frames = proc->frames < s->max_frames ? proc->frames : s->max_frames;
    if (!proc->audio_out)
        return;
    hs_coefficients(s);
    memset(s->mono, 0, sizeof(float) * frames);
    int sounding = 0;
    for (int i = 0; i < GB_MAX_VOICES + HS_FADES; i++) {
        hs_voice_t *v = &s->voices[i];
        if (!v->active)
            continue;
        hs_render_voice(s, v, s->mono, frames);
        sounding += i < GB_MAX_VOICES && v->active;
    }
    __atomic_store_n(&s->voices_now, sounding, __ATOMIC_RELAXED);
    memcpy(proc->audio_out[0], s->mono, sizeof(float) * frames);
    memcpy(proc->audio_out[1], s->mono, sizeof(float) * frames);
}

/* ---- state: the timbre frames ------------------------------------------------------------ */

static int hs_save_state(void *self, char *buf, size_t cap)
{
    harmsynth_t *s = self;
    json_t *t = gb_timbre_json_from_seq(s->timbre);
    json_t *root = json_pack("{s:o}", "timbre", t);
    if (!root)
        return GB_ENOMEM;
    char *txt = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(9));
    json_decref(root);
    if (!txt)
        return GB_ENOMEM;
    size_t len = strlen(txt);
    if (buf && cap > 0) {
        size_t n = len < cap - 1 ? len : cap - 1;
        memcpy(buf, txt, n);
        buf[n] = '\0';
    }
    free(txt);
    return (int)len;
}

static int hs_load_state(void *self, const char *json, char *err, size_t errcap)
{
    harmsynth_t *s = self;
    json_error_t je;
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &je);
    if (!root || !json_is_object(root)) {
        snprintf(err, errcap, "state: %s", root ? "not a JSON object" : je.text);
        json_decref(root);
        return GB_EFORMAT;
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        if (strcmp(key, "timbre") != 0) {
            snprintf(err, errcap, "state.%s: unknown key (allowed: timbre)", key);
            json_decref(root);
            return GB_EFORMAT;
        }
    }
    gb_timbre_seq_t *seq = malloc(sizeof *seq);
    int rc = seq ? GB_OK : GB_ENOMEM;
    json_t *t = json_object_get(root, "timbre");
    if (!rc && t)
        rc = gb_timbre_json_to_seq(t, "state.timbre", seq, err, errcap);
    if (!rc && t) {
        gb_timbre_seq_t *old = s->timbre;
        s->timbre = seq;
        seq = old;
    }
    free(seq);
    json_decref(root);
    return rc;
}

const gbp_descriptor_t gb_unit_harmsynth = {
    .abi_version = GBP_ABI_VERSION,
    .struct_size = sizeof(gbp_descriptor_t),
    .id = "gbac.harmonic-synth",
    .name = "Harmonic synth",
    .vendor = "gbac",
    .version = "1.0",
    .description = "DDSP-style harmonic + noise synthesis from timbre frames",
    .kind = GBP_KIND_INSTRUMENT,
    .n_params = P_COUNT,
    .params = hs_params,
    .create = hs_create,
    .destroy = hs_destroy,
    .activate = hs_activate,
    .deactivate = hs_deactivate,
    .reset = hs_reset,
    .process = hs_process,
    .set_param = hs_set_param,
    .get_param = hs_get_param,
    .save_state = hs_save_state,
    .load_state = hs_load_state,
};
