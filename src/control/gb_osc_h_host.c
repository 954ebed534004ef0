/* gb_osc_h_host.c — the OSC handlers that ask the host or the front end rather than the
 * engine: ping, status, schema, subscriptions, MIDI learn, presets, recording (docs/osc.md
 * "Paths of the live server").
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_live_stats.h"
#include "gb_osc_confine.h"
#include "gb_osc_impl.h"

#define SCHEMA_CHUNKS_MAX 1024

static int not_here(const char *path, gb_error_t *err)
{
    return gb_osc_fail(err, GB_EUNSUPPORTED, "%s: not available in this host", path);
}

GB_OSC_HANDLER(gb_osc_h_ping)
{
    (void)h;
    (void)msg;
    (void)err;
    gb_osc_reply(peer, "/gbac/pong", "", NULL);
    return GB_OK;
}

/* Every counter of the list, then what the host adds (client, sample rate, ...). The reply
 * shows the counters as they were before this message. */
GB_OSC_HANDLER(gb_osc_h_status)
{
    json_t *o = json_object();
    if (!o || (h->host.stats && gb_live_stats_to_json(h->host.stats, o) != GB_OK)) {
        json_decref(o);
        return gb_osc_fail(err, GB_ENOMEM, "%s: out of memory", msg->path);
    }
    if (h->host.status && h->host.status(h->host.ctx, o) < 0) {
        json_decref(o);
        return gb_osc_fail(err, GB_EIO, "%s: the host could not report its status", msg->path);
    }
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!text)
        return gb_osc_fail(err, GB_ENOMEM, "%s: out of memory", msg->path);
    gb_osc_reply_s(peer, msg->path, text);
    free(text);
    return GB_OK;
}

/* A new measurement window: the host's figures and the web feed's latency from now. */
GB_OSC_HANDLER(gb_osc_h_window)
{
    if (!h->host.window && !h->host.stats)
        return not_here(msg->path, err);
    if (h->host.stats) {
        atomic_store_explicit(&h->host.stats->http_feed_window_us, 0, memory_order_relaxed);
        atomic_store_explicit(&h->host.stats->http_feed_own_us, 0, memory_order_relaxed);
    }
    if (h->host.window)
        h->host.window(h->host.ctx);
    gb_osc_reply(peer, msg->path, "", NULL);
    return GB_OK;
}

/* One string, or chunks cut on UTF-8 character boundaries when the peer limits strings. */
GB_OSC_HANDLER(gb_osc_h_schema)
{
    const char *text = h->schema;
    const size_t len = strlen(text), max = peer ? peer->max_string : 0;
    if (max == 0 || len <= max) {
        gb_osc_reply_s(peer, msg->path, text);
        return GB_OK;
    }
    size_t starts[SCHEMA_CHUNKS_MAX + 1];
    int n = 0;
    for (size_t pos = 0; pos < len;) {
        if (n == SCHEMA_CHUNKS_MAX)
            return gb_osc_fail(err, GB_ERANGE, "%s: the schema is too long to send", msg->path);
        starts[n++] = pos;
        size_t end = pos + max < len ? pos + max : len;
        while (end < len && end > pos + 1 && ((unsigned char)text[end] & 0xC0) == 0x80)
            end--;
        pos = end;
    }
    starts[n] = len;
    char *chunk = malloc(max + 1);
    if (!chunk)
        return gb_osc_fail(err, GB_ENOMEM, "%s: out of memory", msg->path);
    for (int i = 0; i < n; i++) {
        memcpy(chunk, text + starts[i], starts[i + 1] - starts[i]);
        chunk[starts[i + 1] - starts[i]] = '\0';
        gb_osc_arg_t a[3] = {{.type = 'i', .v.i = i}, {.type = 'i', .v.i = n},
                             {.type = 's', .v.s = chunk}};
        gb_osc_reply(peer, msg->path, "iis", a);
    }
    free(chunk);
    return GB_OK;
}

/* The optional port argument of /gbac/subscribe and /gbac/unsubscribe (0: the sender's). */
static int port_arg(const gb_osc_msg_t *msg, long *port, gb_error_t *err)
{
    *port = 0;
    if (msg->argc == 0 || (msg->types[0] == 's' || msg->types[0] == 'S'))
        return GB_OK;
    return gb_osc_arg_whole(msg, 0, "port", 1, 65535, port, err);
}

GB_OSC_HANDLER(gb_osc_h_subscribe)
{
    (void)h;
    long port;
    int rc = port_arg(msg, &port, err);
    if (rc)
        return rc;
    unsigned flags = 0;
    const char *opt = msg->argc ? gb_osc_arg_string(msg, msg->argc - 1) : NULL;
    if (opt && strcmp(opt, "errors") == 0)
        flags |= GB_OSC_SUB_ERRORS;
    else if (opt && opt[0])
        return gb_osc_fail(err, GB_EINVAL, "%s: unknown option '%.40s' (known: \"errors\")",
                           msg->path, opt);
    if (!peer || !peer->subscribe)
        return not_here(msg->path, err);
    if ((rc = peer->subscribe(peer->ctx, (int)port, flags, err)) < 0)
        return rc;
    gb_osc_reply_i(peer, "/gbac/subscribed", rc);
    return GB_OK;
}

GB_OSC_HANDLER(gb_osc_h_unsubscribe)
{
    (void)h;
    long port;
    int rc = port_arg(msg, &port, err);
    if (rc)
        return rc;
    if (!peer || !peer->unsubscribe)
        return not_here(msg->path, err);
    if ((rc = peer->unsubscribe(peer->ctx, (int)port, err)) < 0)
        return rc;
    gb_osc_reply_i(peer, "/gbac/unsubscribed", rc);
    return GB_OK;
}

/* Arm MIDI learn for "slot/name" or "/gbac/param/slot/name"; "" disarms. */
GB_OSC_HANDLER(gb_osc_h_learn)
{
    const char *target = gb_osc_arg_string(msg, 0);
    gb_live_cmd_t cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = GB_CMD_LEARN;
    cmd.handle = -1;
    if (target && target[0]) {
        char full[160];
        snprintf(full, sizeof full, "%s%.120s",
                 strncmp(target, GB_OSC_PARAM_PREFIX, strlen(GB_OSC_PARAM_PREFIX)) == 0
                     ? ""
                     : GB_OSC_PARAM_PREFIX,
                 target);
        if ((cmd.handle = gb_osc_handlers_param_handle(h, full)) < 0)
            return gb_osc_fail(err, GB_EINVAL, "%s: unknown parameter '%.120s' (give "
                               "\"slot/name\" as /gbac/schema lists them)", msg->path, target);
    }
    int rc = gb_osc_send(h, msg->path, &cmd, err);
    if (rc == GB_OK && cmd.handle >= 0 && peer && peer->learn_armed)
        peer->learn_armed(peer->ctx);
    return rc;
}

GB_OSC_HANDLER(gb_osc_h_learn_cancel)
{
    (void)peer;
    gb_live_cmd_t cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = GB_CMD_LEARN;
    cmd.handle = -1;
    return gb_osc_send(h, msg->path, &cmd, err);
}

static int preset_io(gb_osc_handlers_t *h, const gb_osc_msg_t *msg, const gb_osc_peer_t *peer,
                     int save, gb_error_t *err)
{
    const char *name = gb_osc_arg_string(msg, 0);
    char full[PATH_MAX], why[600];
    if (gb_osc_confine(h->host.preset_dir, name, ".json", !save, full, sizeof full, why,
                       sizeof why))
        return gb_osc_fail(err, GB_EINVAL, "%s: refused: %s", msg->path, why);
    int (*fn)(void *, const char *, gb_error_t *) = save ? h->host.save_preset
                                                         : h->host.load_preset;
    if (!fn)
        return not_here(msg->path, err);
    gb_error_t ferr = {0};
    int rc = fn(h->host.ctx, full, &ferr);
    if (rc < 0)
        return gb_osc_fail(err, rc, "%s: %s", msg->path, ferr.msg[0] ? ferr.msg : "failed");
    /* After a load, h may describe the old engine: the front end rebuilds it, not us. */
    gb_osc_reply_s(peer, save ? "/gbac/preset/saved" : "/gbac/preset/loaded", name);
    return GB_OK;
}

GB_OSC_HANDLER(gb_osc_h_preset_load)
{
    return preset_io(h, msg, peer, 0, err);
}

GB_OSC_HANDLER(gb_osc_h_preset_save)
{
    return preset_io(h, msg, peer, 1, err);
}

GB_OSC_HANDLER(gb_osc_h_record_start)
{
    const char *name = gb_osc_arg_string(msg, 0);
    char full[PATH_MAX], why[600];
    if (gb_osc_confine(h->host.session_dir, name, NULL, 0, full, sizeof full, why, sizeof why))
        return gb_osc_fail(err, GB_EINVAL, "%s: refused: %s", msg->path, why);
    if (!h->host.record_start)
        return not_here(msg->path, err);
    gb_error_t rerr = {0};
    int rc = h->host.record_start(h->host.ctx, full, &rerr);
    if (rc != GB_OK)
        return gb_osc_fail(err, rc < 0 ? rc : GB_EIO, "%s: %s", msg->path, rerr.msg);
    gb_osc_reply_s(peer, "/gbac/record/started", full);
    return GB_OK;
}

GB_OSC_HANDLER(gb_osc_h_record_stop)
{
    char sum[1024] = "";
    if (!h->host.record_stop)
        return not_here(msg->path, err);
    gb_error_t rerr = {0};
    int rc = h->host.record_stop(h->host.ctx, sum, sizeof sum, &rerr);
    if (rc != GB_OK)
        return gb_osc_fail(err, rc < 0 ? rc : GB_EIO, "%s: %s", msg->path, rerr.msg);
    gb_osc_reply_s(peer, "/gbac/record/stopped", sum);
    return GB_OK;
}
