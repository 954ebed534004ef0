/* gb_lv2_unit.c — the unit callbacks of an LV2 plugin: instantiate and activate on [main] at
 * activate() (the sample rate is known only then), run() on [audio] with the engine's events
 * as atom MIDI, parameters as control ports, the latency port as gbac.latency.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gb_lv2_priv.h"

#include <lv2/buf-size/buf-size.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int offline_mode;

void gb_lv2_set_offline(int offline)
{
    offline_mode = offline != 0;
}

static gb_lv2_inst_t *inst(void *self)
{
    return self;
}

/* ---------------------------------------------------------------- host features */

static int log_vprintf(LV2_Log_Handle h, LV2_URID type, const char *fmt, va_list ap)
{
    gb_lv2_inst_t *I = h;
    const gb_lv2_urids_t *u = &gb_lv2_world()->u;
    char msg[GBP_LOG_RT_MAX];
    /* A plugin that logs from run() passes its own format: formatted on the stack. */
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    size_t len = strlen(msg);
    while (len && msg[len - 1] == '\n')
        msg[--len] = '\0';
    const int level = type == u->log_Error     ? GBP_LOG_ERROR
                      : type == u->log_Warning ? GBP_LOG_WARNING
                      : type == u->log_Trace   ? GBP_LOG_DEBUG
                                               : GBP_LOG_INFO;
    if (level != GBP_LOG_DEBUG && I->host && I->host->log)
        I->host->log(I->host, level, msg);
    return n;
}

static int log_printf(LV2_Log_Handle h, LV2_URID type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = log_vprintf(h, type, fmt, ap);
    va_end(ap);
    return n;
}

/* state:mapPath — files are stored by absolute path (a preset is moved with its files). */
static char *abstract_path(LV2_State_Map_Path_Handle h, const char *absolute)
{
    (void)h;
    return strdup(absolute);
}

static char *absolute_path(LV2_State_Map_Path_Handle h, const char *abstract)
{
    (void)h;
    return strdup(abstract);
}

static void free_path(LV2_State_Free_Path_Handle h, char *path)
{
    (void)h;
    free(path);
}

static void set_features(gb_lv2_inst_t *I)
{
    gb_lv2_world_t *w = gb_lv2_world();
    const gb_lv2_urids_t *u = &w->u;
    I->opt_sr = (float)I->sr;
    I->opt_min = 0;
    I->opt_max = (int32_t)I->max_frames;
    I->opt_nominal = (int32_t)I->max_frames;
    I->opt_seq = (int32_t)GB_LV2_ATOM_BUF;
    LV2_Options_Option *o = I->options;
    o[0] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, u->param_sampleRate, sizeof(float),
                                u->atom_Float, &I->opt_sr};
    o[1] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, u->bufsz_min, sizeof(int32_t),
                                u->atom_Int, &I->opt_min};
    o[2] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, u->bufsz_max, sizeof(int32_t),
                                u->atom_Int, &I->opt_max};
    o[3] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, u->bufsz_nominal, sizeof(int32_t),
                                u->atom_Int, &I->opt_nominal};
    o[4] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, u->bufsz_seq, sizeof(int32_t),
                                u->atom_Int, &I->opt_seq};
    o[5] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, NULL};
    I->log = (LV2_Log_Log){I, log_printf, log_vprintf};
    I->map_path = (LV2_State_Map_Path){I, abstract_path, absolute_path};
    I->free_path = (LV2_State_Free_Path){I, free_path};
    I->f_map = (LV2_Feature){LV2_URID__map, &w->map};
    I->f_unmap = (LV2_Feature){LV2_URID__unmap, &w->unmap};
    I->f_options = (LV2_Feature){LV2_OPTIONS__options, I->options};
    I->f_bounded = (LV2_Feature){LV2_BUF_SIZE__boundedBlockLength, NULL};
    I->f_worker = (LV2_Feature){LV2_WORKER__schedule, &I->worker.sched};
    I->f_log = (LV2_Feature){LV2_LOG__log, &I->log};
    I->f_map_path = (LV2_Feature){LV2_STATE__mapPath, &I->map_path};
    I->f_free_path = (LV2_Feature){LV2_STATE__freePath, &I->free_path};
    const LV2_Feature *f[] = {&I->f_map, &I->f_unmap, &I->f_options, &I->f_bounded,
                              &I->f_worker, &I->f_log, &I->f_map_path, &I->f_free_path, NULL};
    memcpy(I->features, f, sizeof f);
}

/* ---------------------------------------------------------------- lifetime */

static void *lv2_create(const gbp_descriptor_t *desc, const gbp_host_t *host)
{
    const gb_lv2_desc_t *D = (const gb_lv2_desc_t *)desc;
    gb_lv2_inst_t *I = calloc(1, sizeof *I);
    if (!I || !(I->controls = calloc(D->n_ports + 1, sizeof *I->controls)) ||
        !(I->explicit_set = calloc(D->n_ports + 1, 1))) {
        if (I)
            free(I->controls);
        free(I);
        return NULL;
    }
    I->D = D;
    I->host = host;
    for (uint32_t i = 0; i < D->n_ports; i++)
        I->controls[i] = D->ports[i].def;
    return I;
}

static void free_buffers(gb_lv2_inst_t *I)
{
    free(I->dummy_in);
    free(I->dummy_out);
    free(I->atom_in);
    free(I->atom_out);
    I->dummy_in = I->dummy_out = NULL;
    I->atom_in = I->atom_out = NULL;
}

static void lv2_deactivate(void *self)
{
    gb_lv2_inst_t *I = inst(self);
    if (!I->inst)
        return;
    lilv_instance_deactivate(I->inst);
    gb_lv2_worker_fini(&I->worker);
    lilv_instance_free(I->inst);
    I->inst = NULL;
    free_buffers(I);
}

static void lv2_destroy(void *self)
{
    gb_lv2_inst_t *I = inst(self);
    if (!I)
        return;
    lv2_deactivate(I);
    free(I->pending_state);
    free(I->controls);
    free(I->explicit_set);
    free(I);
}

static void connect_ports(gb_lv2_inst_t *I)
{
    const gb_lv2_desc_t *D = I->D;
    for (uint32_t i = 0; i < D->n_ports; i++) {
        void *buf = NULL;
        switch (D->ports[i].kind) {
        case GB_LV2_PORT_CONTROL_IN:
        case GB_LV2_PORT_CONTROL_OUT: buf = &I->controls[i]; break;
        case GB_LV2_PORT_ATOM_IN: buf = (int)i == D->atom_in ? I->atom_in : I->atom_out; break;
        case GB_LV2_PORT_ATOM_OUT: buf = I->atom_out; break;
        case GB_LV2_PORT_AUDIO_IN: buf = I->dummy_in; break;
        case GB_LV2_PORT_AUDIO_OUT: buf = I->dummy_out; break;
        default: break;
        }
        lilv_instance_connect_port(I->inst, i, buf);
    }
}

static int fail(gb_lv2_inst_t *I, const char *what)
{
    char m[600];
    snprintf(m, sizeof m, "LV2 plugin <%s>: %s", I->D->uri, what);
    if (I->host && I->host->log)
        I->host->log(I->host, GBP_LOG_ERROR, m);
    free_buffers(I);
    return GB_EINVAL;
}

/* A plugin writes its latency port in run() only: run it once on silence (all audio ports on
 * zeroed buffers, an empty sequence), as Ardour does, and start it afresh. */
static void latency_run(gb_lv2_inst_t *I)
{
    const gb_lv2_desc_t *D = I->D;
    const uint32_t n = I->max_frames;
    float *zero = I->dummy_in + 2 * (size_t)n, *out = I->dummy_in + 3 * (size_t)n;
    memset(I->dummy_in, 0, 4 * (size_t)n * sizeof(float));
    for (int c = 0; c < 2; c++) {
        if (D->audio_in[c] >= 0)
            lilv_instance_connect_port(I->inst, (uint32_t)D->audio_in[c], zero);
        if (D->audio_out[c] >= 0)
            lilv_instance_connect_port(I->inst, (uint32_t)D->audio_out[c], c ? out : I->dummy_out);
    }
    const gb_lv2_urids_t *u = &gb_lv2_world()->u;
    I->atom_in->atom.type = u->atom_Sequence;
    I->atom_in->atom.size = sizeof(LV2_Atom_Sequence_Body);
    I->atom_in->body.unit = 0;
    I->atom_in->body.pad = 0;
    I->atom_out->atom.type = u->atom_Chunk;
    I->atom_out->atom.size = GB_LV2_ATOM_BUF - sizeof(LV2_Atom);
    lilv_instance_run(I->inst, n);
    gb_lv2_worker_deliver(&I->worker);
    lilv_instance_deactivate(I->inst);
    lilv_instance_activate(I->inst);
    connect_ports(I);
}

static int lv2_activate(void *self, double sample_rate, uint32_t max_frames)
{
    gb_lv2_inst_t *I = inst(self);
    const gb_lv2_desc_t *D = I->D;
    I->sr = sample_rate;
    I->max_frames = max_frames ? max_frames : 1;
    I->dummy_in = calloc(4 * (size_t)I->max_frames, sizeof(float));
    I->dummy_out = calloc(I->max_frames, sizeof(float));
    I->atom_in = calloc(1, GB_LV2_ATOM_BUF);
    I->atom_out = calloc(1, GB_LV2_ATOM_BUF);
    if (!I->dummy_in || !I->dummy_out || !I->atom_in || !I->atom_out)
        return fail(I, "out of memory");
    gb_error_t err = {0};
    if (gb_lv2_worker_init(&I->worker, !offline_mode, &err) < 0)
        return fail(I, err.msg);
    set_features(I);
    lv2_atom_forge_init(&I->forge, &gb_lv2_world()->map);
    I->inst = lilv_plugin_instantiate(D->plugin, sample_rate, I->features);
    if (!I->inst) {
        gb_lv2_worker_fini(&I->worker);
        return fail(I, "instantiate failed (the plugin said why above, if it did)");
    }
    if (D->has_worker) {
        const LV2_Worker_Interface *wi =
            lilv_instance_get_extension_data(I->inst, LV2_WORKER__interface);
        gb_lv2_worker_start(&I->worker, wi, lilv_instance_get_handle(I->inst));
    }
    connect_ports(I);
    if (I->pending_state) {
        char e[256];
        if (gb_lv2_state_apply(I, I->pending_state, e, sizeof e) < 0) {
            lv2_deactivate(I);
            return fail(I, e);
        }
    }
    lilv_instance_activate(I->inst);
    if (D->latency_port >= 0)
        latency_run(I);
    I->sent_position = 0;
    I->nonfinite_blocks = 0;
    return GB_OK;
}

/* ---------------------------------------------------------------- processing */

static void apply_params(gb_lv2_inst_t *I, const gbp_process_t *proc) GBP_RT
{
    const gb_lv2_desc_t *D = I->D;
    for (uint32_t i = 0; i < proc->n_events; i++) {
        const gbp_event_t *ev = &proc->events[i];
        if (ev->type != GBP_EV_PARAM || ev->id >= D->n_ports ||
            D->ports[ev->id].kind != GB_LV2_PORT_CONTROL_IN)
            continue;
        for (uint32_t k = 0; k < D->d.n_params; k++)
            if (D->params[k].id == ev->id) {
                const float v = ev->value;
                I->controls[ev->id] = v < D->params[k].min   ? D->params[k].min
                                      : v > D->params[k].max ? D->params[k].max
                                                             : v;
                break;
            }
    }
}

/* Audio buffers of this block: the engine's, or (mono ports, in place) our own. */
static void connect_audio(gb_lv2_inst_t *I, const gbp_process_t *proc) GBP_RT
{
    const gb_lv2_desc_t *D = I->D;
    const uint32_t n = proc->frames;
    if (D->audio_in[0] >= 0 && proc->audio_in) {
        float *in_l = I->dummy_in + 2 * (size_t)I->max_frames;
        float *in_r = in_l + I->max_frames;
        if (D->audio_in[1] < 0) { /* mono: the mid signal */
            for (uint32_t i = 0; i < n; i++)
                in_l[i] = 0.5f * (proc->audio_in[0][i] + proc->audio_in[1][i]);
        } else {
            memcpy(in_l, proc->audio_in[0], n * sizeof *in_l);
            memcpy(in_r, proc->audio_in[1], n * sizeof *in_r);
            lilv_instance_connect_port(I->inst, (uint32_t)D->audio_in[1], in_r);
        }
        lilv_instance_connect_port(I->inst, (uint32_t)D->audio_in[0], in_l);
    }
    if (D->audio_out[0] >= 0 && proc->audio_out) {
        lilv_instance_connect_port(I->inst, (uint32_t)D->audio_out[0], proc->audio_out[0]);
        if (D->audio_out[1] >= 0)
            lilv_instance_connect_port(I->inst, (uint32_t)D->audio_out[1], proc->audio_out[1]);
    }
}

/* Output held NaN or Inf: the block is muted and counted. */
static void check_output(gb_lv2_inst_t *I, const gbp_process_t *proc) GBP_RT
{
    const gb_lv2_desc_t *D = I->D;
    if (D->audio_out[0] < 0 || !proc->audio_out)
        return;
    if (D->audio_out[1] < 0)
        memcpy(proc->audio_out[1], proc->audio_out[0], proc->frames * sizeof(float));
    float acc = 0.0f;
    for (int c = 0; c < 2; c++)
        for (uint32_t i = 0; i < proc->frames; i++)
            acc += proc->audio_out[c][i] * 0.0f; /* NaN·0 and Inf·0 are NaN, finite·0 is 0 */
    if (acc == 0.0f)
        return;
    for (int c = 0; c < 2; c++)
        memset(proc->audio_out[c], 0, proc->frames * sizeof(float));
    I->nonfinite_blocks++;
}

static void lv2_process(void *self, const gbp_process_t *proc) GBP_RT
{
    gb_lv2_inst_t *I = inst(self);
    if (!I->inst)
        return;
    apply_params(I, proc);
    if (proc->frames == 0)
        return;
    gb_lv2_events_to_atoms(I, proc);
    connect_audio(I, proc);
    lilv_instance_run(I->inst, proc->frames);
    gb_lv2_worker_deliver(&I->worker);
    check_output(I, proc);
    gb_lv2_atoms_to_events(I, proc);
}

void gb_lv2_run_raw(void *self, uint32_t frames)
{
    gb_lv2_inst_t *I = inst(self);
    if (I->inst)
        lilv_instance_run(I->inst, frames);
}

static void lv2_reset(void *self) GBP_RT
{
    inst(self)->sent_position = 0; /* notes are released by the engine's all-off events */
}

static int set_control(gb_lv2_inst_t *I, uint32_t id, float value)
{
    const gb_lv2_desc_t *D = I->D;
    if (id >= D->n_ports || D->ports[id].kind != GB_LV2_PORT_CONTROL_IN)
        return 0;
    for (uint32_t k = 0; k < D->d.n_params; k++)
        if (D->params[k].id == id)
            I->controls[id] = fminf(fmaxf(value, D->params[k].min), D->params[k].max);
    return 1;
}

/* A value set before activation (the preset's "params") wins over the control values of a
 * plugin preset or state restored after it. */
static void lv2_set_param(void *self, uint32_t id, float value)
{
    gb_lv2_inst_t *I = inst(self);
    if (set_control(I, id, value) && !I->inst)
        I->explicit_set[id] = 1;
}

static float lv2_get_param(void *self, uint32_t id) GBP_RT
{
    gb_lv2_inst_t *I = inst(self);
    if (id == GB_LV2_PARAM_NONFINITE)
        return (float)I->nonfinite_blocks;
    return id < I->D->n_ports ? I->controls[id] : 0.0f;
}

static uint32_t lv2_latency(void *self) GBP_RT
{
    gb_lv2_inst_t *I = inst(self);
    const float l = I->controls[I->D->latency_port];
    return l > 0.0f && l < 1e7f ? (uint32_t)lrintf(l) : 0u;
}

static const gbp_latency_t lv2_latency_ext = {lv2_latency};

/* The same count as the read-only parameter nonfinite_blocks (a report for the performer),
 * whole: the host sums this one (gb_engine_nonfinite_blocks), not a parameter found by name. */
static uint64_t lv2_nonfinite(void *self) GBP_RT
{
    return inst(self)->nonfinite_blocks;
}

static const gbp_nonfinite_t lv2_nonfinite_ext = {lv2_nonfinite};

static const void *lv2_get_extension(void *self, const char *id)
{
    gb_lv2_inst_t *I = inst(self);
    if (strcmp(id, GBP_EXT_LATENCY) == 0 && I->D->latency_port >= 0)
        return &lv2_latency_ext;
    if (strcmp(id, GBP_EXT_NONFINITE) == 0 && I->D->audio_out[0] >= 0)
        return &lv2_nonfinite_ext; /* check_output() mutes and counts */
    return NULL;
}

void gb_lv2_set_port_value(const char *symbol, void *user, const void *value, uint32_t size,
                           uint32_t type)
{
    gb_lv2_inst_t *I = user;
    const gb_lv2_urids_t *u = &gb_lv2_world()->u;
    float v;
    if (type == u->atom_Float && size == sizeof(float))
        v = *(const float *)value;
    else if (type == u->atom_Double && size == sizeof(double))
        v = (float)*(const double *)value;
    else if (type == u->atom_Int && size == sizeof(int32_t))
        v = (float)*(const int32_t *)value;
    else
        return;
    const LilvPlugin *p = I->D->plugin;
    LilvNode *sym = lilv_new_string(gb_lv2_world()->world, symbol);
    const LilvPort *port = lilv_plugin_get_port_by_symbol(p, sym);
    lilv_node_free(sym);
    const uint32_t i = port ? lilv_port_get_index(p, port) : 0;
    if (port && !I->explicit_set[i])
        set_control(I, i, v);
}

void gb_lv2_desc_callbacks(gbp_descriptor_t *d)
{
    const gb_lv2_desc_t *D = (const gb_lv2_desc_t *)d;
    d->create = lv2_create;
    d->destroy = lv2_destroy;
    d->activate = lv2_activate;
    d->deactivate = lv2_deactivate;
    d->reset = lv2_reset;
    d->process = lv2_process;
    d->set_param = lv2_set_param;
    d->get_param = lv2_get_param;
    d->get_extension = lv2_get_extension;
    /* Every LV2 unit keeps state: a plugin preset by name, and the plugin's own state where
     * it has state:interface. */
    (void)D;
    d->save_state = gb_lv2_state_save;
    d->load_state = gb_lv2_state_load;
}
