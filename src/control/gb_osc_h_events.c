/* gb_osc_h_events.c — the OSC handlers that become engine events, live and in control scores:
 * notes, control changes, parameters, tempo (docs/osc.md "Events and parameters").
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <string.h>

#include "gb_midi.h"
#include "gb_osc_impl.h"

/* A MIDI channel message as an event command. */
static int send_midi(gb_osc_handlers_t *h, const char *path, uint8_t status, long d0, long d1,
                     gb_error_t *err)
{
    gb_midi_msg_t mm = {.status = status, .len = 2, .data = {(uint8_t)d0, (uint8_t)d1}};
    gb_live_cmd_t c;
    memset(&c, 0, sizeof c);
    c.kind = GB_CMD_EVENT;
    gb_midi_to_event(&mm, 0, &c.ev);
    return gb_osc_send(h, path, &c, err);
}

/* n whole-number arguments named names[], within lo[]..hi[]; missing ones keep out[]. */
static int whole_args(const gb_osc_msg_t *m, const char *const *names, const long *lo,
                      const long *hi, long *out, gb_error_t *err)
{
    for (int i = 0; i < m->argc; i++) {
        int rc = gb_osc_arg_whole(m, i, names[i], lo[i], hi[i], &out[i], err);
        if (rc != GB_OK)
            return rc;
    }
    return GB_OK;
}

GB_OSC_HANDLER(gb_osc_h_note_on)
{
    (void)peer;
    static const char *const names[] = {"key", "velocity", "channel"};
    static const long lo[] = {0, 0, 0}, hi[] = {127, 127, 15};
    long v[3] = {0, 0, 0};
    int rc = whole_args(msg, names, lo, hi, v, err);
    return rc ? rc : send_midi(h, msg->path, (uint8_t)(0x90 | v[2]), v[0], v[1], err);
}

GB_OSC_HANDLER(gb_osc_h_note_off)
{
    (void)peer;
    static const char *const names[] = {"key", "channel"};
    static const long lo[] = {0, 0}, hi[] = {127, 15};
    long v[2] = {0, 0};
    int rc = whole_args(msg, names, lo, hi, v, err);
    return rc ? rc : send_midi(h, msg->path, (uint8_t)(0x80 | v[1]), v[0], 64, err);
}

GB_OSC_HANDLER(gb_osc_h_cc)
{
    (void)peer;
    static const char *const names[] = {"controller", "value", "channel"};
    static const long lo[] = {0, 0, 0}, hi[] = {127, 127, 15};
    long v[3] = {0, 0, 0};
    int rc = whole_args(msg, names, lo, hi, v, err);
    return rc ? rc : send_midi(h, msg->path, (uint8_t)(0xB0 | v[2]), v[0], v[1], err);
}

/* A value for parameter p: finite, settable, inside the range (strict) or clamped to it,
 * rounded when stepped. */
static int param_value(const gb_osc_handlers_t *h, const char *path, const gb_osc_param_t *p,
                       double val, float *out, gb_error_t *err)
{
    if (!isfinite(val))
        return gb_osc_fail(err, GB_ERANGE, "%s: value is not finite", path);
    if (p->flags & GBP_PARAM_READONLY)
        return gb_osc_fail(err, GB_EINVAL, "%s: the parameter is read-only (send it without "
                           "arguments to query it)", path);
    if ((h->flags & GB_OSC_HF_STRICT) && (val < p->min || val > p->max))
        return gb_osc_fail(err, GB_ERANGE, "%s: value %g out of range %g..%g", path, val,
                           (double)p->min, (double)p->max);
    val = val < p->min ? p->min : val > p->max ? p->max : val;
    if (p->flags & GBP_PARAM_STEPPED)
        val = floor(val + 0.5);
    *out = (float)val;
    return GB_OK;
}

GB_OSC_HANDLER(gb_osc_h_param)
{
    const char *path = msg->path;
    if (strlen(path) >= GB_OSC_PATH_MAX)
        return gb_osc_fail(err, GB_EINVAL, "%.100s...: path too long", path);
    const gb_osc_param_t *p = gb_osc_param_find(h, path);
    if (!p)
        return gb_osc_fail(err, GB_EINVAL, "%s: unknown parameter '%s' (the path is "
                           "/gbac/param/SLOT/NAME with a slot of the preset's rack)", path,
                           path + strlen(GB_OSC_PARAM_PREFIX));
    if (msg->argc == 0) {
        const gb_engine_t *e = gb_osc_engine(h);
        if (!(h->flags & GB_OSC_HF_QUERIES))
            return gb_osc_fail(err, GB_EINVAL, "%s: expected one number (%g..%g)", path,
                               (double)p->min, (double)p->max);
        if (!e)
            return gb_osc_fail(err, GB_EINVAL, "%s: no engine is running", path);
        gb_osc_reply_f(peer, path, gb_engine_param_get(e, p->handle));
        return GB_OK;
    }
    double val = 0.0;
    float v;
    gb_osc_arg_number(msg, 0, &val);
    int rc = param_value(h, path, p, val, &v, err);
    return rc ? rc : gb_osc_send_params(h, path, &p->handle, &v, 1, err);
}

GB_OSC_HANDLER(gb_osc_h_tempo)
{
    const char *path = msg->path;
    gb_live_cmd_t c;
    memset(&c, 0, sizeof c);
    if (msg->argc == 0) {
        const gb_engine_t *e = gb_osc_engine(h);
        const gbp_transport_t *tr = e ? gb_engine_transport(e) : NULL;
        if (!(h->flags & GB_OSC_HF_QUERIES))
            return gb_osc_fail(err, GB_EINVAL, "%s: expected one number (bpm 20..300)", path);
        if (!tr)
            return gb_osc_fail(err, GB_EINVAL, "%s: no engine is running", path);
        gb_osc_reply_f(peer, path, (float)tr->tempo_bpm);
        return GB_OK;
    }
    double bpm = 0.0;
    gb_osc_arg_number(msg, 0, &bpm);
    if (!(bpm >= 20.0 && bpm <= 300.0))
        return gb_osc_fail(err, GB_ERANGE, "%s: tempo %g bpm out of range 20..300", path, bpm);
    c.kind = GB_CMD_TEMPO;
    c.value = (float)bpm;
    return gb_osc_send(h, path, &c, err);
}
