/* unit_timbrevae.c — "gbac.timbre-vae": the harmonic synth with timbre frames decoded live
 * from the timbre VAE's latent space (models/timbre-vae.md).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Voices are the harmonic synth's (hs_core.inc). Their control updates follow one grid of
 * HS_CONTROL samples of the unit's own clock, so at every grid point all sounding voices
 * are decoded in one batched forward of the decoder: input per voice [z, log2(f0/440),
 * loudness_db/60], output a harmonic distribution, noise bands and amplitude. A note that
 * starts between grid points is decoded at once (a batch of its own) so it sounds from its
 * exact frame, then joins the grid. The grid counts the unit's samples, not blocks, so block
 * size does not change the output.
 *
 * The latent: knobs z0..z7, smoothed per grid step; morphing towards the bilinear mix of four
 * stored knob settings a, b, c, d (state "latents") by morph_x/morph_y (an XY pad) with
 * amount `morph`; velocity adds vel_latent·(2·velocity − 1) to knob vel_dim. Knob k is the
 * model's k-th principal component (models/gb_vae_basis.h): the latent decoded is
 * z = mean + Σ_k u_k·basis[k] from the model file's aux.latent.mean and aux.latent.basis
 * (a model without them takes the knobs as the latent itself).
 *
 * Time in the note: a time-aware decoder (6 more inputs, models/gb_vae_time.h) gets each
 * voice's seconds since its note-on and since its note-off, so attacks, sustains and
 * releases decode differently. Cost per voice and grid step: a few exps and Z² multiply-adds
 * besides the batched forward; nothing depends on the input values.
 *
 * Replacing the model (the gbac.model extension's load, or load_state with another "model")
 * while playing is an RCU hand-over: the new model is built on the calling thread and
 * published through an atomic pointer; the audio thread takes it at its next block and
 * returns the old one through a ring, freed on the next call from the main thread. Nothing is
 * allocated on the audio thread (hence GBP_UNIT_THREAD_SAFE_STATE).
 *
 * Extensions: gbac.timbre-latent (z0..z7, the morph pad), gbac.model, and the harmonic
 * synth's gbac.voices and gbac.polyphony.
 */
#include <stdatomic.h>

#include "hs_core.inc"

#include "gb_share.h"
#include "gb_fastmath.h"
#include "gb_json_util.h"
#include "gb_modelfile.h"
#include "gb_ring.h"
#include "gb_vae_basis.h"
#include "gb_vae_time.h"

#define TV_MAX_Z 64
#define TV_LATENTS 8 /* latent parameters z0..z7 */
#define TV_DEC_OUT (GB_TIMBRE_HARMONICS + GB_TIMBRE_BANDS + 1)
#define TV_MAX_IN (TV_MAX_Z + 2 + GB_VAE_TIME_FEATURES)
#define TV_VOICES (GB_MAX_VOICES + HS_FADES)
#define TV_ROWS (TV_VOICES + 1) /* + the voice following the audio input */
#define TV_DEFAULT_MODEL "models/timbre-vae.safetensors"

static const gbp_param_info_t tv_params[P_MAX] = {
    HS_PARAM_LIST
    {P_Z0 + 0, "z0", "", -4, 4, 0, 30, 0, "latent knob 0 (principal component 0)"},
    {P_Z0 + 1, "z1", "", -4, 4, 0, 30, 0, "latent knob 1 (principal component 1)"},
    {P_Z0 + 2, "z2", "", -4, 4, 0, 30, 0, "latent knob 2 (principal component 2)"},
    {P_Z0 + 3, "z3", "", -4, 4, 0, 30, 0, "latent knob 3 (principal component 3)"},
    {P_Z0 + 4, "z4", "", -4, 4, 0, 30, 0, "latent knob 4 (principal component 4)"},
    {P_Z0 + 5, "z5", "", -4, 4, 0, 30, 0, "latent knob 5 (principal component 5)"},
    {P_Z0 + 6, "z6", "", -4, 4, 0, 30, 0, "latent knob 6 (principal component 6)"},
    {P_Z0 + 7, "z7", "", -4, 4, 0, 30, 0, "latent knob 7 (principal component 7)"},
    {P_VEL_LATENT, "vel_latent", "", -4, 4, 0, 0, 0,
     "added to knob vel_dim at full velocity (subtracted at zero)"},
    {P_VEL_DIM, "vel_dim", "", 0, TV_LATENTS - 1, 0, 0, GBP_PARAM_STEPPED | GBP_PARAM_NO_SMOOTH,
     "latent knob velocity moves"},
    {P_MORPH, "morph", "", 0, 1, 0, 30, 0,
     "0: the latent is z0..z7; 1: the XY pad's mix of the stored latents a, b, c, d"},
    {P_MORPH_X, "morph_x", "", 0, 1, 0, 30, 0, "XY pad x: a → b (bottom), c → d (top)"},
    {P_MORPH_Y, "morph_y", "", 0, 1, 0, 30, 0, "XY pad y: bottom (a, b) → top (c, d)"},
    {P_FOLLOW, "follow_input", "", 0, 1, 0, 0, GBP_PARAM_STEPPED | GBP_PARAM_NO_SMOOTH,
     "1: a voice follows the audio input's pitch and loudness (timbre transfer)"},
};

typedef struct tv_model {
    gb_model_t *file;
    gb_nn_t *dec;
    int zdim, tdim;                   /* latent, time inputs (0 or GB_VAE_TIME_FEATURES) */
    int has_basis;
    float mean[TV_MAX_Z];             /* knobs → latent (identity without a basis) */
    float basis[TV_MAX_Z * TV_MAX_Z];
    char path[4096];
} tv_model_t;

typedef struct timbrevae {
    harmsynth_t hs; /* first: the shared callbacks take it as `self` */
    tv_model_t *model;            /* [audio] in use */
    _Atomic(tv_model_t *) pending; /* [main → audio] published replacement */
    gb_ring_t *retired;           /* [audio → main] replaced models to free */
    tv_model_t *loaded;           /* [main] model loaded before activation */
    char path[4096];              /* [main] the newest model given (in use or on its way) */
    float latents[4][TV_MAX_Z];   /* a, b, c, d */
    float z_s[TV_MAX_Z];          /* smoothed latent */
    float z_coef;
    float *in, *out;              /* decoder rows: TV_ROWS × TV_MAX_IN, × TV_DEC_OUT */
    gb_fast_exp_array_fn exp;     /* the kernel family's array exp */
    int rows[TV_ROWS];            /* voice of each row (−1: the follow voice) */
    double row_f0[TV_ROWS];
    float row_level[TV_ROWS];
    uint32_t grid_left;
    struct tv_follow *fol;        /* the voice that follows the audio input (tv_follow.inc) */
    int follow_now;               /* [audio] it plays in this block */
} timbrevae_t;

static void tv_voice_latent(const timbrevae_t *t, const tv_model_t *m, const hs_voice_t *v,
                            float *z) GB_RT;
#include "tv_follow.inc"

/* ---- models ----------------------------------------------------------------------------- */

static void tv_model_free(tv_model_t *m)
{
    if (!m)
        return;
    gb_model_free(m->file);
    free(m);
}

static tv_model_t *tv_model_load(const char *name, char *err, size_t errcap)
{
    tv_model_t *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    gb_share_resolve(name, TV_DEFAULT_MODEL, m->path, sizeof m->path);
    gb_error_t e = {0};
    m->file = gb_model_load(m->path, TV_ROWS, &e);
    if (!m->file) {
        snprintf(err, errcap, "model: %s", e.msg);
        free(m);
        return NULL;
    }
    const char *kind = gb_model_kind(m->file);
    m->dec = gb_model_nn(m->file);
    const json_t *tf = json_object_get(json_object_get(gb_model_card(m->file), "features"),
                                       "time_features");
    m->tdim = json_is_integer(tf) ? (int)json_integer_value(tf) : 0;
    m->zdim = gb_nn_in_dim(m->dec) - 2 - m->tdim;
    if (!kind || strcmp(kind, "timbre-vae-decoder") != 0 || m->zdim < 1 || m->zdim > TV_MAX_Z ||
        (m->tdim != 0 && m->tdim != GB_VAE_TIME_FEATURES) || gb_nn_out_dim(m->dec) != TV_DEC_OUT) {
        snprintf(err, errcap, "model: %s: not a timbre-VAE decoder (kind %s, %d inputs, %d "
                 "outputs, %d time inputs)", m->path, kind ? kind : "?", gb_nn_in_dim(m->dec),
                 gb_nn_out_dim(m->dec), m->tdim);
        tv_model_free(m);
        return NULL;
    }
    int nm = 0, nb = 0;
    int64_t sm[8] = {0}, sb[8] = {0};
    const float *mean = gb_model_aux(m->file, "latent.mean", &nm, sm);
    const float *basis = gb_model_aux(m->file, "latent.basis", &nb, sb);
    const int Z = m->zdim;
    if ((mean || basis) && (!mean || !basis || nm != 1 || sm[0] != Z || nb != 2 ||
                            sb[0] != Z || sb[1] != Z)) {
        snprintf(err, errcap, "model: %s: aux.latent.mean and aux.latent.basis must both be "
                 "there, shaped [%d] and [%d, %d]", m->path, Z, Z, Z);
        tv_model_free(m);
        return NULL;
    }
    m->has_basis = mean != NULL;
    for (int k = 0; k < Z; k++) {
        m->mean[k] = mean ? mean[k] : 0.0f;
        for (int d = 0; d < Z; d++)
            m->basis[k * Z + d] = basis ? basis[k * Z + d] : (float)(k == d);
    }
    return m;
}

static void tv_drain_retired(timbrevae_t *t)
{
    tv_model_t *m;
    while (t->retired && gb_ring_pop(t->retired, &m))
        tv_model_free(m);
}

/* ---- life cycle ------------------------------------------------------------------------- */

static void *tv_create(const gbp_descriptor_t *desc, const gbp_host_t *host)
{
    timbrevae_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    harmsynth_t *hs = hs_create(desc, host);
    if (!hs) {
        free(t);
        return NULL;
    }
    t->hs = *hs; /* the shared state lives inside t; hs's own allocation goes */
    free(hs);
    atomic_init(&t->pending, NULL);
    t->retired = gb_ring_new(sizeof(tv_model_t *), 16);
    t->fol = calloc(1, sizeof *t->fol);
    if (!t->retired || !t->fol) {
        gb_ring_free(t->retired);
        free(t->fol);
        free(t->hs.timbre);
        free(t);
        return NULL;
    }
    return t;
}

static void tv_deactivate(void *self)
{
    timbrevae_t *t = self;
    hs_deactivate(&t->hs);
    free(t->in);
    free(t->out);
    t->in = t->out = NULL;
    tvf_deactivate(t->fol);
    tv_drain_retired(t);
    /* Keep the newest model for the next activation. */
    tv_model_t *cur = t->model, *p = atomic_exchange(&t->pending, NULL);
    t->model = NULL;
    if (p) {
        tv_model_free(cur);
        cur = p;
    }
    if (cur) {
        tv_model_free(t->loaded);
        t->loaded = cur;
    }
}

static void tv_destroy(void *self)
{
    timbrevae_t *t = self;
    if (!t)
        return;
    tv_deactivate(t);
    tv_model_free(t->loaded);
    gb_ring_free(t->retired);
    free(t->fol);
    free(t->hs.timbre);
    free(t);
}

static void tv_reset(void *self) GB_RT
{
    timbrevae_t *t = self;
    hs_reset(&t->hs);
    t->grid_left = 0;
    tvf_reset(t->fol, t->hs.seed);
    for (int d = 0; d < TV_MAX_Z; d++)
        t->z_s[d] = d < TV_LATENTS ? t->hs.p[P_Z0 + d] : 0.0f;
}

static int tv_activate(void *self, double sample_rate, uint32_t max_frames)
{
    timbrevae_t *t = self;
    if (!t->loaded) {
        char err[512];
        t->loaded = tv_model_load(TV_DEFAULT_MODEL, err, sizeof err);
        if (!t->loaded) {
            if (t->hs.host && t->hs.host->log)
                t->hs.host->log(t->hs.host, GBP_LOG_ERROR, err);
            return GB_EIO;
        }
        snprintf(t->path, sizeof t->path, "%s", t->loaded->path);
    }
    int rc = hs_activate(&t->hs, sample_rate, max_frames);
    if (rc)
        return rc;
    t->in = aligned_alloc(GB_ALIGN, GB_ROUND_UP(sizeof(float) * TV_ROWS * TV_MAX_IN, GB_ALIGN));
    t->out = aligned_alloc(GB_ALIGN, GB_ROUND_UP(sizeof(float) * TV_ROWS * TV_DEC_OUT, GB_ALIGN));
    if (!t->in || !t->out || tvf_activate(t->fol, sample_rate, t->hs.seed)) {
        tv_deactivate(t);
        return GB_ENOMEM;
    }
    gb_simd_t simd;
    if (gb_simd_default(&simd, NULL) != GB_OK || !(t->exp = gb_fast_exp_array_for(simd)))
        t->exp = gb_fast_exp_array_for(GB_SIMD_SCALAR);
    t->model = t->loaded;
    t->loaded = NULL;
    t->z_coef = (float)(1.0 - exp(-HS_CONTROL / (0.030 * sample_rate)));
    tv_reset(t);
    return GB_OK;
}

/* ---- decoding --------------------------------------------------------------------------- */

/* The latent a voice plays: the smoothed knobs, morphed towards the XY pad's mix of the
 * stored knob settings, with the velocity offset, through the model's basis. */
static void tv_voice_latent(const timbrevae_t *t, const tv_model_t *m, const hs_voice_t *v,
                            float *z) GB_RT
{
    const float *p = t->hs.p;
    const float x = p[P_MORPH_X], y = p[P_MORPH_Y], amt = p[P_MORPH];
    const int zdim = m->zdim;
    float u[TV_MAX_Z];
    for (int d = 0; d < zdim; d++) {
        const float pad = (1 - x) * (1 - y) * t->latents[0][d] + x * (1 - y) * t->latents[1][d] +
                          (1 - x) * y * t->latents[2][d] + x * y * t->latents[3][d];
        u[d] = t->z_s[d] + amt * (pad - t->z_s[d]);
    }
    const int vd = (int)p[P_VEL_DIM];
    if (vd < zdim)
        u[vd] += p[P_VEL_LATENT] * (2.0f * v->vel - 1.0f);
    gb_vae_basis_apply(m->mean, m->basis, zdim, u, z);
}

/* The decoder's time inputs for a voice: seconds since its note-on and note-off. */
static void tv_voice_time(const harmsynth_t *s, const hs_voice_t *v, float *out) GB_RT
{
    const float inv = (float)(1.0 / s->sr);
    const float t_on = (float)v->age * inv;
    const float t_off = v->off_age == UINT64_MAX ? -1.0f : (float)(v->age - v->off_age) * inv;
    gb_vae_time_features(t_on, t_off, out);
}

/* Decoder output rows → timbre frames. One array exp over all rows (harmonic logits less
 * their row's maximum, noise and amplitude logs) instead of 97 scalar calls per voice. */
static void tv_exp_rows(const timbrevae_t *t, float *o, int n) GB_RT
{
    for (int r = 0; r < n; r++) {
        float *row = o + (size_t)r * TV_DEC_OUT, m = row[0];
        for (int k = 1; k < GB_TIMBRE_HARMONICS; k++)
            m = row[k] > m ? row[k] : m;
        for (int k = 0; k < GB_TIMBRE_HARMONICS; k++)
            row[k] -= m;
    }
    t->exp(o, o, n * TV_DEC_OUT);
}

/* One row of tv_exp_rows' output → a timbre frame. */
static void tv_frame(const float *e, gb_timbre_frame_t *f) GB_RT
{
    float sum = 0.0f;
    for (int k = 0; k < GB_TIMBRE_HARMONICS; k++)
        sum += e[k];
    const float inv = 1.0f / sum;
    for (int k = 0; k < GB_TIMBRE_HARMONICS; k++)
        f->harm[k] = e[k] * inv;
    for (int b = 0; b < GB_TIMBRE_BANDS; b++)
        f->noise[b] = clampf(e[GB_TIMBRE_HARMONICS + b] - 1e-5f, 0.0f, 1.0f);
    f->amp = clampf(e[GB_TIMBRE_HARMONICS + GB_TIMBRE_BANDS] - 1e-4f, 0.0f, 64.0f);
}

/* Advance the chosen voices one control step, decode them in one batch and set their
 * targets for `period` samples. only_new: just the voices that have not started yet. */
static void tv_control(timbrevae_t *t, int only_new, uint32_t period) GB_RT
{
    harmsynth_t *s = &t->hs;
    const tv_model_t *m = t->model;
    const int zdim = m->zdim, in = zdim + 2 + m->tdim;
    int n = 0;
    for (int i = 0; i < TV_VOICES; i++) {
        hs_voice_t *v = &s->voices[i];
        if (!v->active || (only_new && v->ctl_left != 0) || (only_new && v->age != 0))
            continue;
        double f0;
        float level;
        if (!hs_advance(s, v, &f0, &level))
            continue;
        float *row = t->in + (size_t)n * in;
        tv_voice_latent(t, m, v, row);
        const float loud = v->env * v->vel_gain;
        row[zdim] = log2f((float)f0 / 440.0f);
        row[zdim + 1] = (-20.0f + 20.0f * log10f(loud > 1e-3f ? loud : 1e-3f)) / 60.0f;
        if (m->tdim)
            tv_voice_time(s, v, row + zdim + 2);
        t->rows[n] = i;
        t->row_f0[n] = f0;
        t->row_level[n] = level;
        n++;
    }
    if (t->follow_now && !only_new) {
        tvf_row(t, m, t->fol, t->in + (size_t)n * in);
        t->rows[n++] = -1;
    }
    if (n == 0)
        return;
    gb_nn_forward(t->model->dec, t->in, t->out, n);
    tv_exp_rows(t, t->out, n);
    for (int r = 0; r < n; r++) {
        gb_timbre_frame_t fr;
        tv_frame(t->out + (size_t)r * TV_DEC_OUT, &fr);
        if (t->rows[r] < 0) {
            tvf_targets(s, t->fol, &fr, period);
            continue;
        }
        hs_targets(s, &s->voices[t->rows[r]], &fr, t->row_f0[r], t->row_level[r], period);
    }
}

static void tv_process(void *self, const gbp_process_t *proc) GB_RT
{
    timbrevae_t *t = self;
    harmsynth_t *s = &t->hs;
    tv_model_t *p = atomic_exchange_explicit(&t->pending, NULL, memory_order_acq_rel);
    if (p) { /* RCU: the old model goes back to main through the ring */
        if (gb_ring_push(t->retired, &t->model))
            t->model = p;
        else
            atomic_store_explicit(&t->pending, p, memory_order_release); /* next block */
    }
    for (uint32_t i = 0; i < proc->n_events; i++)
        hs_event(s, &proc->events[i]);
    const uint32_t frames = proc->frames < s->max_frames ? proc->frames : s->max_frames;
    if (!proc->audio_out)
        return;
    hs_coefficients(s);
    t->follow_now = tvf_on(s, t->fol, proc);
    /* New notes sound from this frame: decode them now, until the next grid point. */
    tv_control(t, 1, t->grid_left ? t->grid_left : HS_CONTROL);
    memset(s->mono, 0, sizeof(float) * frames);
    const void *nz = gb_noise_tables_data(s->noise);
    uint32_t done = 0;
    while (done < frames) {
        if (t->grid_left == 0) {
            for (int d = 0; d < TV_LATENTS && d < TV_MAX_Z; d++)
                t->z_s[d] += (s->p[P_Z0 + d] - t->z_s[d]) * t->z_coef;
            tv_control(t, 0, HS_CONTROL);
            t->grid_left = HS_CONTROL;
        }
        const uint32_t n = frames - done < t->grid_left ? frames - done : t->grid_left;
        for (int i = 0; i < TV_VOICES; i++) {
            hs_voice_t *v = &s->voices[i];
            if (!v->active)
                continue;
            s->render(&v->bank, nz, s->mono + done, (int)n);
            v->ctl_left = v->ctl_left > n ? v->ctl_left - n : 0;
        }
        if (t->follow_now) { /* render, then hear the input up to here for the next grid */
            s->render(t->fol->bank, nz, s->mono + done, (int)n);
            tvf_push(t->fol, proc->audio_in[0] + done, n);
        }
        t->grid_left -= n;
        done += n;
    }
    uint32_t sounding = 0;
    for (int i = 0; i < GB_MAX_VOICES; i++)
        sounding += s->voices[i].active != 0;
    s->voices_now = sounding;
    memcpy(proc->audio_out[0], s->mono, sizeof(float) * frames);
    memcpy(proc->audio_out[1], s->mono, sizeof(float) * frames);
}

/* ---- state: model and stored latents ---------------------------------------------------- */

static int tv_save_state(void *self, char *buf, size_t cap)
{
    timbrevae_t *t = self;
    const int zdim = t->model ? t->model->zdim : t->loaded ? t->loaded->zdim : TV_LATENTS;
    json_t *lat = json_object();
    const char *names[4] = {"a", "b", "c", "d"};
    for (int c = 0; c < 4; c++) {
        json_t *arr = json_array();
        for (int d = 0; d < zdim; d++)
            json_array_append_new(arr, json_real(t->latents[c][d]));
        json_object_set_new(lat, names[c], arr);
    }
    json_t *root = json_pack("{s:s,s:o}", "model", t->path[0] ? t->path : TV_DEFAULT_MODEL,
                             "latents", lat);
    return gb_json_state_save(root, buf, cap);
}

/* Load a model and hand it over (active) or keep it for activation. [main] */
static int tv_model_swap(timbrevae_t *t, const char *name, char *err, size_t errcap)
{
    tv_drain_retired(t);
    tv_model_t *m = tv_model_load(name, err, errcap);
    if (!m)
        return GB_EFORMAT;
    snprintf(t->path, sizeof t->path, "%s", m->path);
    if (t->in) { /* active: hand over; an unclaimed earlier replacement is dropped */
        tv_model_free(atomic_exchange(&t->pending, m));
    } else {
        tv_model_free(t->loaded);
        t->loaded = m;
    }
    return GB_OK;
}

/* {"model": "path", "latents": {"a": [..], "b": [..], "c": [..], "d": [..]}} — both optional.
 * Callable while the unit processes: a new model is handed over at the next block. */
static int tv_load_state(void *self, const char *json, char *err, size_t errcap)
{
    timbrevae_t *t = self;
    tv_drain_retired(t);
    static const char *const allowed[] = {"model", "latents", NULL};
    json_t *root = gb_json_state_load(json, allowed, err, errcap);
    if (!root)
        return GB_EFORMAT;
    int rc = GB_EFORMAT;
    const char *key;
    json_t *val;
    float lat[4][TV_MAX_Z];
    memcpy(lat, t->latents, sizeof lat);
    json_t *jl = json_object_get(root, "latents");
    if (jl) {
        if (!json_is_object(jl)) {
            snprintf(err, errcap, "state.latents: expected an object of a, b, c, d");
            goto done;
        }
        json_object_foreach(jl, key, val) {
            int c = strlen(key) == 1 && key[0] >= 'a' && key[0] <= 'd' ? key[0] - 'a' : -1;
            if (c < 0 || !json_is_array(val) || json_array_size(val) > TV_MAX_Z) {
                snprintf(err, errcap, "state.latents.%s: expected a, b, c or d with an array "
                         "of at most %d numbers", key, TV_MAX_Z);
                goto done;
            }
            for (size_t d = 0; d < TV_MAX_Z; d++) {
                json_t *x = json_array_get(val, d);
                double v = x ? json_number_value(x) : 0.0;
                if (x && (!json_is_number(x) || !isfinite(v) || fabs(v) > 8.0)) {
                    snprintf(err, errcap, "state.latents.%s[%zu]: expected a number in -8..8",
                             key, d);
                    goto done;
                }
                lat[c][d] = (float)v;
            }
        }
    }
    json_t *jm = json_object_get(root, "model");
    if (jm) {
        if (!json_is_string(jm)) {
            snprintf(err, errcap, "state.model: expected a file name");
            goto done;
        }
        if (tv_model_swap(t, json_string_value(jm), err, errcap) < 0)
            goto done;
    }
    memcpy(t->latents, lat, sizeof lat);
    rc = GB_OK;
done:
    json_decref(root);
    return rc;
}

/* ---- extensions ----------------------------------------------------------------------- */

static uint32_t tv_dims(void *self)
{
    (void)self;
    return TV_LATENTS;
}

static uint32_t tv_dim_param(void *self, uint32_t dim)
{
    (void)self;
    return dim < TV_LATENTS ? P_Z0 + dim : GBP_NO_PARAM;
}

static uint32_t tv_morph_param(void *self, uint32_t which)
{
    (void)self;
    static const uint32_t ids[] = {[GBP_MORPH_X] = P_MORPH_X, [GBP_MORPH_Y] = P_MORPH_Y,
                                   [GBP_MORPH_AMOUNT] = P_MORPH};
    return which < 3 ? ids[which] : GBP_NO_PARAM;
}

static int tv_model_path(void *self, char *buf, size_t cap)
{
    timbrevae_t *t = self;
    const int n = snprintf(buf, cap, "%s", t->path);
    return n < 0 ? 0 : n;
}

static int tv_model_load_ext(void *self, const char *path, char *err, size_t errcap)
{
    return tv_model_swap(self, path, err, errcap);
}

static const gbp_timbre_latent_t tv_latent_ext = {
    .dims = tv_dims, .dim_param = tv_dim_param, .morph_param = tv_morph_param};
static const gbp_model_t tv_model_ext = {.path = tv_model_path, .load = tv_model_load_ext};

/** [main] */
static const void *tv_get_extension(void *self, const char *id)
{
    (void)self;
    if (strcmp(id, GBP_EXT_TIMBRE_LATENT) == 0)
        return &tv_latent_ext;
    if (strcmp(id, GBP_EXT_MODEL) == 0)
        return &tv_model_ext;
    return hs_extension(id);
}

const gbp_descriptor_t gb_unit_timbrevae = {
    .abi_version = GBP_ABI_VERSION,
    .struct_size = sizeof(gbp_descriptor_t),
    .id = "gbac.timbre-vae",
    .name = "Timbre VAE synth",
    .vendor = "gbac",
    .version = "1.0",
    .description = "harmonic + noise synth whose timbre is decoded from a latent space",
    .kind = GBP_KIND_INSTRUMENT,
    .flags = GBP_UNIT_THREAD_SAFE_STATE,
    .n_params = P_MAX,
    .params = tv_params,
    .create = tv_create,
    .destroy = tv_destroy,
    .activate = tv_activate,
    .deactivate = tv_deactivate,
    .reset = tv_reset,
    .process = tv_process,
    .set_param = hs_set_param,
    .get_param = hs_get_param,
    .save_state = tv_save_state,
    .load_state = tv_load_state,
    .get_extension = tv_get_extension,
};
