/* gb_engine_unit.c — a unit's life in the rack: created with its own host callbacks,
 * configured (polyphony, parameters, state), asked for its extensions once, activated, read
 * after every block (reports, latency, voices) and closed; and what the engine answers from
 * those extensions (latency, voices, the timbre latent, the model).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_engine_priv.h"

/* pthread_self() reads the thread pointer; nothing blocks. Declared so for the effect
 * analysis (-Wfunction-effects), as the JACK functions are in the live host. */
pthread_t pthread_self(void) GB_RT;
int pthread_equal(pthread_t a, pthread_t b) GB_RT;

/* ---- host->log -------------------------------------------------------------------------- */

static void log_show(const gb_engine_t *e, int unit, int level, const char *msg)
{
    if (level >= GBP_LOG_DEBUG && !getenv("GBAC_DEBUG"))
        return;
    const eng_unit_t *u = unit >= 0 && unit < U_COUNT ? &e->u[unit] : NULL;
    fprintf(stderr, "gbac: %s (%s): %s%s\n", u ? u->slot : "?", u && u->d ? u->d->id : "?",
            level == GBP_LOG_WARNING ? "warning: " : "", msg ? msg : "(null)");
}

/* The audio thread's messages go through the ring (a bounded copy; a full ring drops and
 * counts); every other thread's are shown at once. */
static void host_log(const gbp_host_t *host, int level, const char *msg) GB_RT
{
    eng_unit_t *u = host ? host->host_data : NULL;
    if (!u)
        return;
    gb_engine_t *e = u->e;
    if (__atomic_load_n(&e->in_process, __ATOMIC_ACQUIRE) &&
        pthread_equal(pthread_self(), __atomic_load_n(&e->audio_thread, __ATOMIC_RELAXED))) {
        eng_log_rec_t r = {.unit = u->index, .level = level};
        size_t n = 0;
        for (; msg && msg[n] && n < sizeof r.msg - 1; n++)
            r.msg[n] = msg[n];
        r.msg[n] = '\0';
        if (!gb_ring_push(e->log_ring, &r))
            __atomic_fetch_add(&e->log_dropped, 1u, __ATOMIC_RELAXED);
        return;
    }
    /* Not the audio thread: printing is allowed here; the effect analysis cannot follow
     * the thread test above. */
    GB_OFF_AUDIO_BEGIN
    log_show(e, u->index, level, msg);
    GB_OFF_AUDIO_END
}

int gb_engine_log_init(gb_engine_t *e, gb_error_t *err)
{
    e->log_ring = gb_ring_new(sizeof(eng_log_rec_t), GB_ENGINE_LOG_RING);
    return e->log_ring ? GB_OK : gb_error_set(err, GB_ENOMEM, "out of memory for the engine");
}

void gb_engine_log_flush(gb_engine_t *e)
{
    if (!e || !e->log_ring)
        return;
    eng_log_rec_t r;
    while (gb_ring_pop(e->log_ring, &r))
        log_show(e, r.unit, r.level, r.msg);
    const uint32_t lost = __atomic_exchange_n(&e->log_dropped, 0u, __ATOMIC_RELAXED);
    if (lost)
        fprintf(stderr, "gbac: %u message%s from the audio thread dropped (the queue was full)\n",
                lost, lost == 1 ? "" : "s");
}

/* ---- extensions ------------------------------------------------------------------------- */

static int ext_error(const eng_unit_t *u, const char *ext, const char *what, gb_error_t *err)
{
    return gb_error_set(err, GB_EFORMAT, "%s (%s): extension %s %s", u->slot, u->d->id, ext,
                        what);
}

/* A parameter id an extension names: one of the unit's, settable. */
static int ext_param_ok(const eng_unit_t *u, uint32_t id)
{
    const int pi = gb_engine_param_index(u->d, id);
    return pi >= 0 && !(u->d->params[pi].flags & GBP_PARAM_READONLY);
}

static int check_timbre(const eng_unit_t *u, gb_error_t *err)
{
    const gbp_timbre_latent_t *t = u->timbre;
    if (!t->dims || !t->dim_param || !t->morph_param)
        return ext_error(u, GBP_EXT_TIMBRE_LATENT, "has a NULL function", err);
    const uint32_t n = t->dims(u->self);
    if (n < 1 || n > GB_ENGINE_MAX_LATENT)
        return gb_error_set(err, GB_EFORMAT, "%s (%s): extension %s: %u dimensions, 1..%d "
                            "supported", u->slot, u->d->id, GBP_EXT_TIMBRE_LATENT, n,
                            GB_ENGINE_MAX_LATENT);
    for (uint32_t i = 0; i < n + 3; i++) {
        const uint32_t id = i < n ? t->dim_param(u->self, i) : t->morph_param(u->self, i - n);
        if (i >= n && id == GBP_NO_PARAM)
            continue;
        if (!ext_param_ok(u, id))
            return gb_error_set(err, GB_EFORMAT, "%s (%s): extension %s names parameter id %u "
                                "(%s %u), which is not a settable parameter of the unit",
                                u->slot, u->d->id, GBP_EXT_TIMBRE_LATENT, id,
                                i < n ? "dimension" : "morph", i < n ? i : i - n);
    }
    return GB_OK;
}

/* Ask for every extension the engine uses and check what it relies on. */
static int ask_extensions(eng_unit_t *u, gb_error_t *err)
{
    const gbp_descriptor_t *d = u->d;
    if (!d->get_extension)
        return GB_OK;
    u->latency = d->get_extension(u->self, GBP_EXT_LATENCY);
    u->voices = d->get_extension(u->self, GBP_EXT_VOICES);
    u->polyphony = d->get_extension(u->self, GBP_EXT_POLYPHONY);
    u->timbre = d->get_extension(u->self, GBP_EXT_TIMBRE_LATENT);
    u->model = d->get_extension(u->self, GBP_EXT_MODEL);
    u->nonfinite = d->get_extension(u->self, GBP_EXT_NONFINITE);
    if (u->latency && !u->latency->get)
        return ext_error(u, GBP_EXT_LATENCY, "has no get()", err);
    if (u->voices && !u->voices->active)
        return ext_error(u, GBP_EXT_VOICES, "has no active()", err);
    if (u->polyphony && (!u->polyphony->capacity || !u->polyphony->get || !u->polyphony->set))
        return ext_error(u, GBP_EXT_POLYPHONY, "has a NULL function", err);
    if (u->polyphony && u->polyphony->capacity(u->self) < 1)
        return ext_error(u, GBP_EXT_POLYPHONY, "has a capacity of 0 voices", err);
    if (u->model && !u->model->path)
        return ext_error(u, GBP_EXT_MODEL, "has no path()", err);
    if (u->nonfinite && !u->nonfinite->blocks)
        return ext_error(u, GBP_EXT_NONFINITE, "has no blocks()", err);
    return u->timbre ? check_timbre(u, err) : GB_OK;
}

/* ---- life cycle ------------------------------------------------------------------------- */

/* The READONLY parameters, read after every process() call. */
static int index_reports(eng_unit_t *u, gb_error_t *err)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < u->d->n_params; i++)
        n += (u->d->params[i].flags & GBP_PARAM_READONLY) != 0;
    if (!n)
        return GB_OK;
    if (!(u->ro = calloc(n, sizeof *u->ro)))
        return gb_error_set(err, GB_ENOMEM, "%s (%s): out of memory", u->slot, u->d->id);
    for (uint32_t i = 0; i < u->d->n_params; i++)
        if (u->d->params[i].flags & GBP_PARAM_READONLY)
            u->ro[u->n_ro++] = (uint16_t)i;
    return GB_OK;
}

static int configure(eng_unit_t *u, const gb_preset_unit_t *pu, int polyphony, gb_error_t *err)
{
    if (u->polyphony && polyphony > 0)
        u->polyphony->set(u->self, (uint32_t)polyphony);
    for (int i = 0; i < pu->n_params; i++)
        u->d->set_param(u->self, pu->params[i].id, pu->params[i].value);
    if (pu->state_json) {
        char msg[256] = "";
        if (!u->d->load_state)
            return gb_error_set(err, GB_EINVAL, "%s (%s): this unit keeps no state", u->slot,
                                u->d->id);
        if (u->d->load_state(u->self, pu->state_json, msg, sizeof msg) != 0)
            return gb_error_set(err, GB_EFORMAT, "%s (%s): %s", u->slot, u->d->id, msg);
    }
    for (uint32_t i = 0; i < u->d->n_params; i++)
        u->pv[i] = u->d->get_param(u->self, u->d->params[i].id);
    return GB_OK;
}

int gb_engine_unit_open(gb_engine_t *e, int ui, const gb_preset_unit_t *pu, int polyphony,
                        gb_error_t *err)
{
    eng_unit_t *u = &e->u[ui];
    u->d = pu->desc;
    u->e = e;
    u->index = ui;
    snprintf(u->slot, sizeof u->slot, "%s", pu->slot);
    u->host = (gbp_host_t){.abi_version = GBP_ABI_VERSION, .host_data = u, .log = host_log,
                           .seed = e->cfg.seed};
    u->self = u->d->create(u->d, &u->host);
    u->pv = calloc(u->d->n_params ? u->d->n_params : 1, sizeof(float));
    if (!u->self || !u->pv)
        return gb_error_set(err, GB_ENOMEM, "%s (%s): could not create the unit", u->slot,
                            u->d->id);
    int rc;
    if ((rc = ask_extensions(u, err)) < 0 || (rc = index_reports(u, err)) < 0 ||
        (rc = configure(u, pu, polyphony, err)) < 0)
        return rc;
    rc = u->d->activate(u->self, e->cfg.sample_rate, e->cfg.max_block);
    if (rc != 0)
        return gb_error_set(err, rc < 0 ? rc : GB_EINVAL, "%s (%s): activation failed (%d)",
                            u->slot, u->d->id, rc);
    u->active = 1;
    u->latency_frames = u->latency ? u->latency->get(u->self) : 0;
    if (ui == U_INSTR)
        e->voices_now = u->voices ? 0 : -1;
    return GB_OK;
}

void gb_engine_unit_close(gb_engine_t *e, int ui)
{
    eng_unit_t *u = &e->u[ui];
    if (u->self) {
        if (u->active)
            u->d->deactivate(u->self);
        u->d->destroy(u->self);
    }
    u->self = NULL;
    u->active = 0;
    free(u->pv);
    free(u->ro);
    u->pv = NULL;
    u->ro = NULL;
}

void gb_engine_unit_after_process(gb_engine_t *e, int ui) GB_RT
{
    eng_unit_t *u = &e->u[ui];
    for (uint32_t i = 0; i < u->n_ro; i++) {
        float v = u->d->get_param(u->self, u->d->params[u->ro[i]].id);
        __atomic_store(&u->pv[u->ro[i]], &v, __ATOMIC_RELAXED);
    }
    if (u->latency) {
        const uint32_t l = u->latency->get(u->self);
        if (l != __atomic_load_n(&u->latency_frames, __ATOMIC_RELAXED)) {
            __atomic_store_n(&u->latency_frames, l, __ATOMIC_RELAXED);
            __atomic_store_n(&e->latency_changed, 1, __ATOMIC_RELEASE);
        }
    }
    if (ui == U_INSTR && u->voices)
        __atomic_store_n(&e->voices_now, (int32_t)u->voices->active(u->self), __ATOMIC_RELAXED);
    if (u->nonfinite)
        __atomic_store_n(&u->nonfinite_blocks, u->nonfinite->blocks(u->self), __ATOMIC_RELAXED);
}

/* ---- what the engine answers from the extensions ---------------------------------------- */

uint32_t gb_engine_latency(const gb_engine_t *e) GB_RT
{
    uint32_t total = 0;
    for (int ui = 0; ui < U_MASTER; ui++)
        if (e->u[ui].active)
            total += __atomic_load_n(&e->u[ui].latency_frames, __ATOMIC_RELAXED);
    return total;
}

int gb_engine_latency_changed(gb_engine_t *e)
{
    return __atomic_exchange_n(&e->latency_changed, 0, __ATOMIC_ACQ_REL);
}

uint64_t gb_engine_nonfinite_blocks(const gb_engine_t *e) GB_RT
{
    uint64_t total = 0;
    for (int ui = 0; ui < U_MASTER; ui++) {
        const eng_unit_t *u = &e->u[ui];
        if (u->active && u->nonfinite)
            total += __atomic_load_n(&u->nonfinite_blocks, __ATOMIC_RELAXED);
    }
    return total;
}

int gb_engine_active_voices(const gb_engine_t *e) GB_RT
{
    return __atomic_load_n(&e->voices_now, __ATOMIC_RELAXED);
}

void gb_engine_find_timbre(gb_engine_t *e)
{
    static const int order[] = {U_INSTR, 0, 1, 2, 3, U_FX0, U_FX0 + 1, U_FX0 + 2, U_FX0 + 3,
                                U_FX0 + 4, U_FX0 + 5, U_FX0 + 6, U_FX0 + 7};
    _Static_assert(GB_PRESET_MAX_SOURCES == 4 && GB_PRESET_MAX_EFFECTS == 8,
                   "the search order lists every slot");
    gb_engine_timbre_t *t = &e->timbre;
    memset(t, 0, sizeof *t);
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        const eng_unit_t *u = &e->u[order[k]];
        if (!u->self || !u->timbre)
            continue;
        t->slot = u->slot;
        t->n_dims = (int)u->timbre->dims(u->self);
        for (int i = 0; i < t->n_dims; i++)
            t->dim[i] = HANDLE(order[k], u->timbre->dim_param(u->self, (uint32_t)i));
        for (uint32_t m = 0; m < 3; m++) {
            const uint32_t id = u->timbre->morph_param(u->self, m);
            t->morph[m] = id == GBP_NO_PARAM ? -1 : HANDLE(order[k], id);
        }
        return;
    }
}

int gb_engine_timbre(const gb_engine_t *e, gb_engine_timbre_t *t)
{
    *t = e->timbre;
    return t->slot ? GB_OK : GB_EINVAL;
}

static const eng_unit_t *unit_by_slot(const gb_engine_t *e, const char *slot)
{
    for (int ui = 0; slot && ui < U_MASTER; ui++)
        if (e->u[ui].self && strcmp(e->u[ui].slot, slot) == 0)
            return &e->u[ui];
    return NULL;
}

int gb_engine_unit_model(const gb_engine_t *e, const char *slot, char *buf, size_t cap)
{
    const eng_unit_t *u = unit_by_slot(e, slot);
    if (!u || !u->model)
        return GB_EINVAL;
    return u->model->path(u->self, buf, cap);
}

int gb_engine_unit_model_load(gb_engine_t *e, const char *slot, const char *path, char *err,
                              size_t errcap)
{
    const eng_unit_t *u = unit_by_slot(e, slot);
    if (!u) {
        snprintf(err, errcap, "no unit named '%s' in the rack", slot ? slot : "(null)");
        return GB_EINVAL;
    }
    if (!u->model || !u->model->load) {
        snprintf(err, errcap, "%s (%s) cannot change its model while it plays", u->slot,
                 u->d->id);
        return GB_EINVAL;
    }
    return u->model->load(u->self, path, err, errcap);
}
