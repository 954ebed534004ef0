/* gb_osc_table.c — the OSC namespace, written once: every path gbac serves with the type tags
 * it accepts, its handler and its docs, and the feedback it sends. Dispatch, the schema
 * (/gbac/schema, --dump-osc-schema), control scores and the test over docs/osc.md all read
 * this table.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_osc_impl.h"

/* Accepted type tags are anchored POSIX extended regular expressions over the type-tag
 * string. NUM: any OSC number (whole-number arguments check the value); STR: a string. */
#define NUM "[ihfd]"
#define STR "[sS]"
#define S GB_OSC_M_SCORE
#define P GB_OSC_M_PATTERN

static const gb_osc_method_t methods[] = {
    /* Events and parameters: live and in control scores. */
    {"/gbac/note/on", NUM "{2,3}", "key 0..127, velocity 0..127 (0 = off), channel 0..15 (0)",
     NULL, "note on from the performer", S, gb_osc_h_note_on},
    {"/gbac/note/off", NUM "{1,2}", "key 0..127, channel 0..15 (0)", NULL,
     "note off (release velocity 64)", S, gb_osc_h_note_off},
    {"/gbac/cc", NUM "{2,3}", "controller 0..127, value 0..127, channel 0..15 (0)", NULL,
     "a MIDI control change (through the preset's CC map; 120 and 123 release every note)", S,
     gb_osc_h_cc},
    {"/gbac/param/SLOT/NAME", NUM "?", "a value in the parameter's range; none: a query (live)",
     "/gbac/param/SLOT/NAME f (query)", "set or query parameter NAME of rack slot SLOT", S | P,
     gb_osc_h_param},
    {"/gbac/tempo", NUM "?", "bpm 20..300; none: a query (live)", "/gbac/tempo f (query)",
     "set or query the internal tempo (live with --link: proposed to the Link session)", S,
     gb_osc_h_tempo},
    {"/gbac/timbre/z", "[ih]" NUM "|" NUM "{8}",
     "(dimension 0..7 as an integer, value -4..4), or all 8 values z0..z7", NULL,
     "steer the timbre VAE's latent: one dimension, or the whole vector", S,
     gb_osc_h_timbre_z},
    {"/gbac/timbre/z/N", NUM "?", "value -4..4 for dimension N (0..7); none: a query (live)",
     "/gbac/timbre/z/N f (query)", "one latent dimension, for senders that send only floats",
     S | P, gb_osc_h_timbre_z_dim},
    {"/gbac/timbre/morph", NUM "{2,3}", "x 0..1, y 0..1 [, amount 0..1]", NULL,
     "the XY pad between the timbre VAE's stored latents a, b (x) and c, d (y)", S,
     gb_osc_h_timbre_morph},
    {"/gbac/rate", STR "{2}", "slot, \"like\" or \"dislike\"", NULL,
     "rate what the note source in SLOT just played: one like=1 or dislike=1 event", S,
     gb_osc_h_rate},
    /* The live server only. */
    {"/gbac/ping", ".*", "anything (ignored)", "/gbac/pong", "liveness check", 0, gb_osc_h_ping},
    {"/gbac/status", "", NULL, "/gbac/status s (a JSON object)", "host status and counters", 0,
     gb_osc_h_status},
    {"/gbac/window", "", NULL, "/gbac/window", "open a measurement window: the window_* "
     "figures of /gbac/status count from now", 0, gb_osc_h_window},
    {"/gbac/schema", "", NULL, "/gbac/schema s, or chunks /gbac/schema iis index count text",
     "this schema", 0, gb_osc_h_schema},
    {"/gbac/subscribe", NUM "?" STR "?",
     "port for feedback (default: the sender's port); options \"errors\"",
     "/gbac/subscribed i port", "receive feedback (meters, parameter changes, notes; with "
     "\"errors\" also every error reply)", 0, gb_osc_h_subscribe},
    {"/gbac/unsubscribe", NUM "?", "port given when subscribing", "/gbac/unsubscribed i port",
     "stop feedback", 0, gb_osc_h_unsubscribe},
    {"/gbac/learn", STR, "\"slot/name\" or \"/gbac/param/slot/name\"; \"\" disarms", NULL,
     "arm MIDI learn: the next CC controls that parameter (/gbac/learned si follows)", 0,
     gb_osc_h_learn},
    {"/gbac/learn/cancel", "", NULL, NULL, "disarm MIDI learn", 0, gb_osc_h_learn_cancel},
    {"/gbac/preset/load", STR, "preset name inside the preset folder (.json optional)",
     "/gbac/preset/loaded s", "load a preset and swap it in", 0, gb_osc_h_preset_load},
    {"/gbac/preset/save", STR, "preset name inside the preset folder (.json optional)",
     "/gbac/preset/saved s", "save the running state as a preset", 0, gb_osc_h_preset_save},
    {"/gbac/timbre/model", STR, "model file name inside the models folder (.safetensors "
     "optional)", "/gbac/timbre/model s", "replace the timbre VAE's model while playing", 0,
     gb_osc_h_timbre_model},
    {"/gbac/record/start", STR, "take name inside the session folder (created)",
     "/gbac/record/started s (the folder)", "start recording a session (docs/session.md)", 0,
     gb_osc_h_record_start},
    {"/gbac/record/stop", "", NULL, "/gbac/record/stopped s (a summary)",
     "stop recording and write the session's files", 0, gb_osc_h_record_stop},
};

static const gb_osc_method_t feedback[] = {
    {"/gbac/meter", "fff", "peak_l dBFS, peak_r dBFS (floor -120), dsp_load %", NULL,
     "output peaks since the last meter; at most 30 per second", 0, NULL},
    {"/gbac/param/SLOT/NAME", "f", "value", NULL, "a parameter changed by a MIDI CC mapping, "
     "or a value a unit reported (e.g. the melody GAN's score)", P, NULL},
    {"/gbac/record/stopped", "s", "reason", NULL,
     "a recording stopped early (e.g. disk full); the music goes on", 0, NULL},
    {"/gbac/note/generated", "iii", "key 0..127, velocity 0..127 (0 = off), channel 0..15",
     NULL, "a note the note sources generated", 0, NULL},
    {"/gbac/xrun", "i", "xruns since start", NULL, "sent when the xrun count changes", 0, NULL},
    {"/gbac/learned", "si", "parameter path, cc", NULL, "MIDI learn mapped a CC", 0, NULL},
    {"/gbac/error", "ss", "path, message", NULL, "the reply to a refused message (to "
     "subscribers with \"errors\": every one)", 0, NULL},
};

#define N_METHODS ((int)(sizeof methods / sizeof methods[0]))
#define N_FEEDBACK ((int)(sizeof feedback / sizeof feedback[0]))

int gb_osc_method_count(void)
{
    return N_METHODS;
}

const gb_osc_method_t *gb_osc_method_get(int i)
{
    return i >= 0 && i < N_METHODS ? &methods[i] : NULL;
}

int gb_osc_feedback_count(void)
{
    return N_FEEDBACK;
}

const gb_osc_method_t *gb_osc_feedback_get(int i)
{
    return i >= 0 && i < N_FEEDBACK ? &feedback[i] : NULL;
}

/* The fixed part of a pattern path: up to the first placeholder ("/gbac/param/"). */
static size_t prefix_len(const char *pattern)
{
    size_t n = 0;
    while (pattern[n] && !(pattern[n] >= 'A' && pattern[n] <= 'Z'))
        n++;
    return n;
}

const gb_osc_method_t *gb_osc_method_find(const char *path)
{
    if (!path)
        return NULL;
    for (int i = 0; i < N_METHODS; i++)
        if (!(methods[i].flags & P) && strcmp(methods[i].path, path) == 0)
            return &methods[i];
    for (int i = 0; i < N_METHODS; i++) {
        size_t n = prefix_len(methods[i].path);
        if ((methods[i].flags & P) && strncmp(methods[i].path, path, n) == 0 && path[n])
            return &methods[i];
    }
    return NULL;
}

/* ---------------------------------------------------------------- type tags */

static regex_t type_re[N_METHODS];
static int type_re_ok[N_METHODS];
static pthread_once_t type_re_once = PTHREAD_ONCE_INIT;

/* Compiled once for the life of the process (the table is constant). */
static void compile_types(void)
{
    for (int i = 0; i < N_METHODS; i++) {
        char re[128];
        snprintf(re, sizeof re, methods[i].types[0] ? "^(%s)$" : "^$", methods[i].types);
        type_re_ok[i] = regcomp(&type_re[i], re, REG_EXTENDED | REG_NOSUB) == 0;
    }
}

int gb_osc_types_accepted(const gb_osc_method_t *m, const char *types)
{
    if (!m || !types || m < methods || m >= methods + N_METHODS)
        return 0;
    pthread_once(&type_re_once, compile_types);
    const int i = (int)(m - methods);
    return type_re_ok[i] && regexec(&type_re[i], types, 0, NULL, 0) == 0;
}

/* ---------------------------------------------------------------- the schema */

static json_t *path_entry(const gb_osc_method_t *m, int with_score)
{
    json_t *o = json_object();
    json_object_set_new(o, "path", json_string(m->path));
    json_object_set_new(o, "types", json_string(m->types));
    if (m->args)
        json_object_set_new(o, "args", json_string(m->args));
    if (m->reply)
        json_object_set_new(o, "reply", json_string(m->reply));
    json_object_set_new(o, "doc", json_string(m->doc));
    if (with_score)
        json_object_set_new(o, "score", json_boolean(m->flags & S));
    return o;
}

static json_t *param_entry(const gb_engine_t *e, int32_t handle)
{
    const char *slot = NULL;
    const gbp_param_info_t *info = NULL;
    if (handle < 0 || gb_engine_param_info(e, handle, &slot, &info) < 0 || !slot || !info ||
        !info->name)
        return NULL;
    char path[160];
    snprintf(path, sizeof path, GB_OSC_PARAM_PREFIX "%s/%s", slot, info->name);
    const int ro = (info->flags & GBP_PARAM_READONLY) != 0;
    json_t *o = json_object();
    json_object_set_new(o, "path", json_string(path));
    json_object_set_new(o, "slot", json_string(slot));
    json_object_set_new(o, "name", json_string(info->name));
    json_object_set_new(o, "types", json_string(ro ? "" : NUM "?"));
    json_object_set_new(o, "access", json_string(ro ? "r" : "rw"));
    json_object_set_new(o, "min", json_real(info->min));
    json_object_set_new(o, "max", json_real(info->max));
    json_object_set_new(o, "default", json_real(info->def));
    json_object_set_new(o, "unit", json_string(info->unit ? info->unit : ""));
    json_object_set_new(o, "stepped", json_boolean(info->flags & GBP_PARAM_STEPPED));
    json_object_set_new(o, "doc", json_string(info->doc ? info->doc : ""));
    return o;
}

char *gb_osc_schema_text(const gb_engine_t *e, size_t flags)
{
    json_t *root = json_object();
    if (!root)
        return NULL;
    json_object_set_new(root, "gbac_osc_schema", json_integer(2));
    json_object_set_new(root, "default_port", json_integer(GB_OSC_DEFAULT_PORT));
    json_object_set_new(root, "types_syntax", json_string(
        "each 'types' is an anchored POSIX extended regular expression over the type-tag "
        "string; '' means no arguments"));
    json_t *paths = json_array(), *params = json_array(), *fb = json_array();
    for (int i = 0; i < N_METHODS; i++)
        json_array_append_new(paths, path_entry(&methods[i], 1));
    for (int i = 0, n = e ? gb_engine_param_count(e) : 0; i < n; i++) {
        json_t *o = param_entry(e, gb_engine_param_handle(e, i));
        if (o)
            json_array_append_new(params, o);
    }
    for (int i = 0; i < N_FEEDBACK; i++)
        json_array_append_new(fb, path_entry(&feedback[i], 0));
    json_object_set_new(root, "paths", paths);
    json_object_set_new(root, "params", params);
    json_object_set_new(root, "feedback", fb);
    char *text = json_dumps(root, flags | JSON_PRESERVE_ORDER);
    json_decref(root);
    return text;
}

char *gb_osc_schema_json(const gb_engine_t *e)
{
    return gb_osc_schema_text(e, JSON_INDENT(2));
}
