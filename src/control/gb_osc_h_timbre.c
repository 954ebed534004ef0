/* gb_osc_h_timbre.c — the OSC handlers for the timbre VAE instrument (its latent, the XY pad,
 * its model) and for rating what a note source played (docs/osc.md).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_osc_confine.h"
#include "gb_osc_impl.h"

#define LATENT_MAX 16

/* The timbre latent in the running rack — the unit with the gbac.timbre-latent extension
 * (gb_engine_timbre): the handles of its dimensions z0, z1, ..., of its morph pad (x, y,
 * amount; -1 where it has none) and its slot. The one place that decides which unit is "the
 * timbre VAE". Returns the number of dimensions, 0 when the rack has none. */
static int timbre_latent(const gb_osc_handlers_t *h, int32_t *handles, int32_t *morph,
                         const char **slot)
{
    gb_engine_timbre_t t;
    const gb_engine_t *e = gb_osc_engine(h);
    if (!e || gb_engine_timbre(e, &t) != GB_OK)
        return 0;
    const int n = t.n_dims < LATENT_MAX ? t.n_dims : LATENT_MAX;
    memcpy(handles, t.dim, sizeof *handles * (size_t)n);
    if (morph)
        memcpy(morph, t.morph, sizeof t.morph);
    if (slot)
        *slot = t.slot;
    return n;
}

static int no_latent(const char *path, gb_error_t *err)
{
    return gb_osc_fail(err, GB_EINVAL, "%s: the instrument has no timbre latent (it needs to "
                       "be gbac.timbre-vae)", path);
}

/* One dimension: d must be a latent dimension, value inside its range. */
static int set_dim(gb_osc_handlers_t *h, const char *path, long d, double value,
                   gb_error_t *err)
{
    int32_t handles[LATENT_MAX];
    const int n = timbre_latent(h, handles, NULL, NULL);
    if (n == 0)
        return no_latent(path, err);
    if (d < 0 || d >= n)
        return gb_osc_fail(err, GB_ERANGE, "%s: dimension %ld out of range 0..%d (the latent "
                           "has %d dimensions, z0..z%d)", path, d, n - 1, n, n - 1);
    const float v = (float)value;
    return gb_osc_send_params(h, path, &handles[d], &v, 1, err);
}

/* /gbac/timbre/z: (integer dimension, value), or every dimension z0..z(n-1) in order. A
 * message of only floats always means the whole vector, so "3.0 0.75" from Pure Data is an
 * error (2 values for 8 dimensions), never z0 = 3 and z1 = 0.75. */
GB_OSC_HANDLER(gb_osc_h_timbre_z)
{
    (void)peer;
    const char *path = msg->path;
    double v;
    if (msg->argc == 2 && (msg->types[0] == 'i' || msg->types[0] == 'h')) {
        long d;
        int rc = gb_osc_arg_whole(msg, 0, "dimension", INT32_MIN, INT32_MAX, &d, err);
        if (rc)
            return rc;
        gb_osc_arg_number(msg, 1, &v); /* set_dim checks d against the latent */
        return set_dim(h, path, d, v, err);
    }
    int32_t handles[LATENT_MAX];
    float values[LATENT_MAX];
    const int n = timbre_latent(h, handles, NULL, NULL);
    if (n == 0)
        return no_latent(path, err);
    if (msg->argc != n)
        return gb_osc_fail(err, GB_EINVAL, "%s: %d values, but the vector form takes all %d "
                           "dimensions z0..z%d; for one dimension send (dimension as an int, "
                           "value) or /gbac/timbre/z/N VALUE", path, msg->argc, n, n - 1);
    for (int i = 0; i < n; i++) {
        gb_osc_arg_number(msg, i, &v);
        values[i] = (float)v;
    }
    return gb_osc_send_params(h, path, handles, values, n, err);
}

/* /gbac/timbre/z/N [VALUE]: one dimension named in the path; without a value, a query. */
GB_OSC_HANDLER(gb_osc_h_timbre_z_dim)
{
    const char *path = msg->path, *num = path + strlen("/gbac/timbre/z/");
    if (strspn(num, "0123456789") != strlen(num) || strlen(num) > 2)
        return gb_osc_fail(err, GB_EINVAL, "%.100s: unknown OSC path (the latent's dimensions "
                           "are /gbac/timbre/z/0, /gbac/timbre/z/1, ...)", path);
    const long d = strtol(num, NULL, 10);
    if (msg->argc == 1) {
        double v;
        gb_osc_arg_number(msg, 0, &v);
        return set_dim(h, path, d, v, err);
    }
    int32_t handles[LATENT_MAX];
    const int n = timbre_latent(h, handles, NULL, NULL);
    if (!(h->flags & GB_OSC_HF_QUERIES))
        return gb_osc_fail(err, GB_EINVAL, "%s: expected one number (-4..4)", path);
    if (n == 0)
        return no_latent(path, err);
    if (d >= n)
        return gb_osc_fail(err, GB_ERANGE, "%s: dimension %ld out of range 0..%d", path, d,
                           n - 1);
    gb_osc_reply_f(peer, path, gb_engine_param_get(gb_osc_engine(h), handles[d]));
    return GB_OK;
}

GB_OSC_HANDLER(gb_osc_h_timbre_morph)
{
    (void)peer;
    static const char *const names[3] = {"morph_x", "morph_y", "morph"};
    int32_t dims[LATENT_MAX], handles[3] = {-1, -1, -1};
    float values[3];
    timbre_latent(h, dims, handles, NULL); /* GBP_MORPH_X, _Y, _AMOUNT */
    for (int i = 0; i < msg->argc; i++) {
        double v;
        gb_osc_arg_number(msg, i, &v);
        values[i] = (float)v;
        if (handles[i] < 0)
            return gb_osc_fail(err, GB_EINVAL, "%s: the instrument has no %s (it needs to be "
                               "gbac.timbre-vae)", msg->path, names[i]);
    }
    return gb_osc_send_params(h, msg->path, handles, values, msg->argc, err);
}

/* /gbac/timbre/model s NAME: another model for the timbre-VAE instrument, handed over to
 * its audio thread without stopping (the unit's RCU swap). */
GB_OSC_HANDLER(gb_osc_h_timbre_model)
{
    const char *path = msg->path, *name = gb_osc_arg_string(msg, 0), *slot = NULL;
    char full[PATH_MAX], why[600];
    if (gb_osc_confine(h->host.model_dir, name, ".safetensors", 1, full, sizeof full, why,
                       sizeof why))
        return gb_osc_fail(err, GB_EINVAL, "%s: refused: %s", path, why);
    int32_t handles[LATENT_MAX];
    if (timbre_latent(h, handles, NULL, &slot) == 0 || !h->host.unit_state)
        return gb_osc_fail(err, GB_EINVAL, "%s: no timbre-VAE instrument in the running rack",
                           path);
    json_t *j = json_pack("{s:s}", "model", full);
    char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    gb_error_t uerr = {0};
    int rc = txt ? h->host.unit_state(h->host.ctx, slot, txt, &uerr) : GB_ENOMEM;
    free(txt);
    if (rc < 0)
        return gb_osc_fail(err, rc, "%s: %s", path, uerr.msg[0] ? uerr.msg : "failed");
    gb_osc_reply_s(peer, "/gbac/timbre/model", name);
    return GB_OK;
}

/* /gbac/rate SLOT like|dislike: one trigger event of value 1 to SLOT's like or dislike. */
GB_OSC_HANDLER(gb_osc_h_rate)
{
    (void)peer;
    const char *slot = gb_osc_arg_string(msg, 0), *what = gb_osc_arg_string(msg, 1);
    if (strcmp(what, "like") != 0 && strcmp(what, "dislike") != 0)
        return gb_osc_fail(err, GB_EINVAL, "%s: expected a slot name and \"like\" or "
                           "\"dislike\", got '%.40s'", msg->path, what);
    char p[256];
    snprintf(p, sizeof p, GB_OSC_PARAM_PREFIX "%.100s/%s", slot, what);
    const int32_t handle = gb_osc_handlers_param_handle(h, p);
    if (handle < 0)
        return gb_osc_fail(err, GB_EINVAL, "%s: the slot '%.100s' has no '%s' parameter (only "
                           "note sources that take ratings, such as the melody GAN, do)",
                           msg->path, slot, what);
    const float one = 1.0f;
    return gb_osc_send_params(h, msg->path, &handle, &one, 1, err);
}
