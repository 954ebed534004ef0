/* gb_session.c — the session folder: start (folder, reserve, recorder), engine descriptions
 * (units, models, parameter names), the control-thread log and provenance.json; the files
 * written at stop are gb_session_stop.c's (see gb_session.h and docs/session.md).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "gb_session.h"
#include "gb_session_priv.h"

#include <nettle/sha2.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "gb_share.h"
#include "gb_midifile.h"
#include "gb_safetensors.h"
#include "gb_version.h"

gb_session_config_t gb_session_config_default(void)
{
    gb_session_config_t c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    c.command = "live";
    c.sample_rate = 48000.0;
    c.seed = 1;
    c.format = GB_REC_WAV;
    c.reserve_bytes = 1u << 20;
    return c;
}

/* ---------------------------------------------------------------- files */

int gb_session_file_sha256(const char *path, char hex[65], gb_error_t *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return gb_error_set(err, GB_EIO, "%s: cannot read: %s", path, strerror(errno));
    struct sha256_ctx st;
    sha256_init(&st);
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sha256_update(&st, n, buf);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return gb_error_set(err, GB_EIO, "%s: read error", path);
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_digest(&st, sizeof d, d);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    return 0;
}

int gb_session_write_atomic(const char *dir, const char *name, const char *text, size_t len,
                        gb_error_t *err)
{
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return gb_error_set(err, GB_EIO, "%s: cannot write: %s", path, strerror(errno));
    size_t w = fwrite(text, 1, len, f);
    int e = errno;
    int bad = w != len || fflush(f) != 0;
    if (!bad)
        e = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad || rename(tmp, path) != 0) {
        if (!bad)
            e = errno;
        remove(tmp);
        return gb_error_set(err, GB_EIO, "%s: cannot write: %s", path, strerror(e));
    }
    return 0;
}

/* ---------------------------------------------------------------- start */

/* The session folder: created, or an existing folder without a session. */
static int prepare_dir(const gb_session_config_t *cfg, gb_error_t *err)
{
    if (!cfg || cfg->struct_size < sizeof *cfg || !cfg->dir || !cfg->dir[0])
        return gb_error_set(err, GB_EINVAL, "session: no folder given");
    if (strlen(cfg->dir) > 3900)
        return gb_error_set(err, GB_EINVAL, "session: folder name too long");
    struct stat st;
    if (stat(cfg->dir, &st) != 0) {
        if (mkdir(cfg->dir, 0755) != 0)
            return gb_error_set(err, GB_EIO, "%s: cannot create the session folder: %s",
                                cfg->dir, strerror(errno));
        return 0;
    }
    if (!S_ISDIR(st.st_mode))
        return gb_error_set(err, GB_EIO, "%s: exists and is not a folder", cfg->dir);
    char p[4200];
    snprintf(p, sizeof p, "%s/provenance.json", cfg->dir);
    if (access(p, F_OK) == 0)
        return gb_error_set(err, GB_EIO, "%s: already holds a session (provenance.json); give "
                                         "a new folder", cfg->dir);
    return 0;
}

/* The reserve: space the final files can use when the audio filled the disk. */
static int make_reserve(gb_session_t *s, gb_error_t *err)
{
    snprintf(s->reserve, sizeof s->reserve, "%s/.reserve", s->dir);
    if (s->cfg.reserve_bytes == 0)
        return 0;
    int fd = open(s->reserve, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = fd < 0 ? errno : posix_fallocate(fd, 0, (off_t)s->cfg.reserve_bytes);
    if (fd >= 0)
        close(fd);
    if (rc == 0)
        return 0;
    unlink(s->reserve);
    return gb_error_set(err, GB_EIO, "%s: cannot set aside %zu bytes for the session files: %s",
                        s->dir, s->cfg.reserve_bytes, strerror(rc));
}

static gb_recorder_t *make_recorder(const gb_session_t *s, gb_error_t *err)
{
    char apath[4200];
    snprintf(apath, sizeof apath, "%s/%s", s->dir,
             s->cfg.format == GB_REC_FLAC ? "audio.flac" : "audio.wav");
    gb_recorder_config_t rc = gb_recorder_config_default();
    rc.path = apath;
    rc.sample_rate = s->cfg.sample_rate;
    rc.format = s->cfg.format;
    if (s->cfg.offline) {
        rc.ring_s = 1.0;
        rc.event_capacity = 65536;
    }
    return gb_recorder_new(&rc, err);
}

gb_session_t *gb_session_start(const gb_session_config_t *cfg, gb_error_t *err)
{
    if (prepare_dir(cfg, err) < 0)
        return NULL;
    gb_session_t *s = calloc(1, sizeof *s);
    if (!s) {
        gb_error_set(err, GB_ENOMEM, "session: out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    snprintf(s->dir, sizeof s->dir, "%s", cfg->dir);
    snprintf(s->command, sizeof s->command, "%s", cfg->command ? cfg->command : "live");
    s->cfg.dir = s->dir;
    s->cfg.command = s->command;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(s->created, sizeof s->created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    s->presets = json_array();
    s->tempo_bpm = 120.0;
    s->bpb = s->bu = 4;
    if (make_reserve(s, err) == 0 && (s->rec = make_recorder(s, err)) != NULL)
        return s;
    unlink(s->reserve);
    json_decref(s->presets);
    free(s);
    return NULL;
}

gb_recorder_t *gb_session_recorder(gb_session_t *s)
{
    return s->rec;
}

const char *gb_session_dir(const gb_session_t *s)
{
    return s->dir;
}

/* ---------------------------------------------------------------- engines */

static json_t *model_card(const char *path)
{
    gb_error_t e = {0};
    gb_st_t *st = gb_st_open(path, &e);
    if (!st)
        return NULL;
    const char *card = gb_st_meta_get(st, "gbac.card");
    json_t *j = card ? json_loads(card, 0, NULL) : NULL;
    gb_st_free(st);
    return j;
}

static void add_unit(gb_session_t *s, const gb_engine_t *e, const gb_preset_unit_t *pu)
{
    if (s->n_units >= GB_SESSION_MAX_UNITS)
        return;
    unit_info_t *u = &s->units[s->n_units++];
    memset(u, 0, sizeof *u);
    snprintf(u->slot, sizeof u->slot, "%s", pu->slot);
    snprintf(u->id, sizeof u->id, "%s", pu->desc && pu->desc->id ? pu->desc->id : "?");
    u->source_id = -1;
    char path[2 * GB_SLOT_NAME_MAX + 16];
    snprintf(path, sizeof path, "%s/source_id", pu->slot);
    int32_t h = gb_engine_param_find(e, path);
    if (h >= 0)
        u->source_id = (int)lrintf(gb_engine_param_get(e, h));
    char *buf = gb_engine_unit_state_dup(e, pu->slot);
    if (!buf)
        return;
    json_t *j = json_loads(buf, 0, NULL);
    const char *m = json_string_value(json_object_get(j, "model"));
    if (m && *m) {
        char res[1024];
        gb_share_resolve(m, m, res, sizeof res);
        /* Named as shipped ("models/x.safetensors") when it is gbac's own file: no local
         * folder names in a session that may be published. */
        char data[1024], tried[4096];
        const char *shown = res;
        if (gb_share_dir("presets/default.json", data, sizeof data, tried, sizeof tried) == 0) {
            const size_t n = strlen(data);
            if (strncmp(res, data, n) == 0 && res[n] == '/')
                shown = res + n + 1;
        }
        snprintf(u->model, sizeof u->model, "%s", shown);
        if (gb_session_file_sha256(res, u->sha256, NULL) != 0)
            u->sha256[0] = '\0';
        u->card = model_card(res);
    }
    json_decref(j);
    free(buf);
}

static int add_table(gb_session_t *s, const gb_engine_t *e, uint64_t frame)
{
    if (s->n_tables >= GB_SESSION_MAX_TABLES)
        return 0;
    const int n = gb_engine_param_count(e);
    name_table_t *t = &s->tables[s->n_tables];
    t->p = calloc(n > 0 ? (size_t)n : 1, sizeof *t->p);
    if (!t->p)
        return GB_ENOMEM;
    t->from_frame = frame;
    t->n = 0;
    for (int i = 0; i < n; i++) {
        const int32_t h = gb_engine_param_handle(e, i);
        const char *slot;
        const gbp_param_info_t *pi;
        if (gb_engine_param_info(e, h, &slot, &pi) != GB_OK)
            continue;
        t->p[t->n].handle = h;
        snprintf(t->p[t->n].name, sizeof t->p[t->n].name, "%s/%s", slot, pi->name);
        t->n++;
    }
    s->n_tables++;
    return 0;
}

const char *gb_session_param_name(const gb_session_t *s, int32_t handle, uint64_t frame)
{
    const name_table_t *t = NULL;
    for (int i = 0; i < s->n_tables; i++)
        if (s->tables[i].from_frame <= frame || !t)
            t = &s->tables[i];
    if (!t)
        return NULL;
    for (int i = 0; i < t->n; i++)
        if (t->p[i].handle == handle)
            return t->p[i].name;
    return NULL;
}

static json_t *provenance(const gb_session_t *s, const gb_recorder_result_t *res,
                          json_t *contributions, json_t *ratings, json_t *phrases,
                          json_t *tracks, json_t *tempo_map);

int gb_session_write_provenance(gb_session_t *s, const gb_recorder_result_t *res,
                            json_t *contributions, json_t *ratings, json_t *phrases,
                            json_t *tracks, json_t *tempo_map, gb_error_t *err)
{
    json_t *p = provenance(s, res, contributions, ratings, phrases, tracks, tempo_map);
    char *text = p ? json_dumps(p, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(p);
    if (!text)
        return gb_error_set(err, GB_ENOMEM, "session: out of memory");
    size_t len = strlen(text);
    char *t2 = realloc(text, len + 2);
    if (t2) {
        text = t2;
        text[len++] = '\n';
        text[len] = '\0';
    }
    int rc = gb_session_write_atomic(s->dir, "provenance.json", text, len, err);
    free(text);
    return rc;
}

int gb_session_add_engine(gb_session_t *s, const gb_engine_t *e, const gb_preset_t *preset,
                          uint64_t frame, gb_error_t *err)
{
    if (!s || !e || !preset)
        return gb_error_set(err, GB_EINVAL, "session: no engine");
    if (json_array_size(s->presets) == 0) {
        s->tempo_bpm = preset->tempo_bpm;
        s->bpb = preset->beats_per_bar;
        s->bu = preset->beat_unit;
    }
    json_t *pj = json_object();
    json_object_set_new(pj, "name", json_string(preset->name));
    json_object_set_new(pj, "file", preset->path ? json_string(preset->path) : json_null());
    char hex[65];
    if (preset->path && gb_session_file_sha256(preset->path, hex, NULL) == 0)
        json_object_set_new(pj, "sha256", json_string(hex));
    else
        json_object_set_new(pj, "sha256", json_null());
    json_array_append_new(s->presets, pj);
    add_unit(s, e, &preset->instrument);
    for (int i = 0; i < preset->n_sources; i++)
        add_unit(s, e, &preset->sources[i]);
    for (int i = 0; i < preset->n_effects; i++)
        add_unit(s, e, &preset->effects[i]);
    int rc = add_table(s, e, frame);
    if (rc)
        return gb_error_set(err, rc, "session: out of memory");
    /* The first provenance.json, so an interrupted session still says what it was. */
    return gb_session_write_provenance(s, NULL, NULL, NULL, NULL, NULL, NULL, err);
}

/* ---------------------------------------------------------------- control-thread log */

void gb_session_log_param(gb_session_t *s, int32_t handle, float value)
{
    if (!s || s->stopped)
        return;
    if (s->n_mev == s->cap_mev) {
        size_t nc = s->cap_mev ? 2 * s->cap_mev : 256;
        gb_rec_event_t *n = realloc(s->mev, nc * sizeof *n);
        if (!n)
            return;
        s->mev = n;
        s->cap_mev = nc;
    }
    gb_rec_event_t *x = &s->mev[s->n_mev++];
    memset(x, 0, sizeof *x);
    x->frame = gb_recorder_frames(s->rec);
    x->kind = GB_REC_PARAM;
    x->from = GB_REC_FROM_OSC;
    x->handle = handle;
    x->value = value;
}

void gb_session_log_osc(gb_session_t *s, const char *path, const char *args_json)
{
    if (!s || s->stopped || !path)
        return;
    if (s->n_osc == s->cap_osc) {
        size_t nc = s->cap_osc ? 2 * s->cap_osc : 64;
        osc_line_t *n = realloc(s->osc, nc * sizeof *n);
        if (!n)
            return;
        s->osc = n;
        s->cap_osc = nc;
    }
    const uint64_t frame = gb_recorder_frames(s->rec);
    json_t *o = json_object();
    json_object_set_new(o, "frame", json_integer((json_int_t)frame));
    json_object_set_new(o, "kind", json_string("osc"));
    json_object_set_new(o, "path", json_string(path));
    json_t *a = args_json ? json_loads(args_json, 0, NULL) : NULL;
    json_object_set_new(o, "args", a ? a : json_array());
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!line)
        return;
    s->osc[s->n_osc].frame = frame;
    s->osc[s->n_osc++].json = line;
}

static json_t *provenance(const gb_session_t *s, const gb_recorder_result_t *res,
                          json_t *contributions, json_t *ratings, json_t *phrases,
                          json_t *tracks, json_t *tempo_map)
{
    json_t *p = json_object();
    const double sr = s->cfg.sample_rate;
    const uint64_t frames = res ? res->frames : 0;
    json_object_set_new(p, "format", json_string(GB_SESSION_FORMAT));
    json_object_set_new(p, "gbac_version", json_string(GB_VERSION_STRING));
    json_object_set_new(p, "created", json_string(s->created));
    json_object_set_new(p, "command", json_string(s->command));
    json_t *first = json_array_get(s->presets, 0);
    json_object_set(p, "preset", first ? first : json_null());
    if (json_array_size(s->presets) > 1)
        json_object_set(p, "presets", s->presets);
    json_object_set_new(p, "sample_rate", sr == floor(sr) ? json_integer((json_int_t)sr)
                                                          : json_real(sr));
    json_object_set_new(p, "frames", json_integer((json_int_t)frames));
    json_object_set_new(p, "seconds", json_real((double)frames / sr));
    json_object_set_new(p, "seed", json_integer(s->cfg.seed));
    json_t *a = json_object();
    json_object_set_new(a, "file", json_string(s->cfg.format == GB_REC_FLAC ? "audio.flac"
                                                                           : "audio.wav"));
    json_object_set_new(a, "frames", json_integer(res ? (json_int_t)res->frames_written : 0));
    json_object_set_new(a, "complete", json_boolean(res && !res->stopped[0] &&
                                                    res->overruns == 0));
    json_object_set_new(a, "overruns", json_integer(res ? (json_int_t)res->overruns : 0));
    json_object_set_new(a, "dropped_frames",
                        json_integer(res ? (json_int_t)res->dropped_frames : 0));
    json_object_set_new(a, "stopped", res && res->stopped[0] ? json_string(res->stopped)
                        : res ? json_null() : json_string("recording in progress"));
    json_object_set_new(p, "audio", a);
    json_t *m = json_object();
    json_object_set_new(m, "file", json_string("notes.mid"));
    json_object_set_new(m, "tracks", tracks ? json_incref(tracks) : json_array());
    json_object_set_new(p, "midi", m);
    json_object_set_new(p, "control_log", json_string("control.jsonl"));
    if (tempo_map) {
        json_object_set(p, "tempo_map", tempo_map);
    } else {
        json_t *tm = json_array();
        json_array_append_new(tm, json_pack("{s:i,s:f,s:i,s:i}", "frame", 0, "bpm",
                                            s->tempo_bpm, "beats_per_bar", s->bpb,
                                            "beat_unit", s->bu));
        json_object_set_new(p, "tempo_map", tm);
    }
    json_t *models = json_array();
    for (int i = 0; i < s->n_units; i++) {
        const unit_info_t *u = &s->units[i];
        if (!u->model[0])
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "slot", json_string(u->slot));
        json_object_set_new(o, "unit", json_string(u->id));
        json_object_set_new(o, "file", json_string(u->model));
        json_object_set_new(o, "sha256", u->sha256[0] ? json_string(u->sha256) : json_null());
        json_object_set(o, "card", u->card ? u->card : json_null());
        json_array_append_new(models, o);
    }
    json_object_set_new(p, "models", models);
    if (contributions)
        json_object_set(p, "contributions", contributions);
    else
        json_object_set_new(p, "contributions", json_pack("{s:{s:i,s:f},s:[]}", "performer",
                                                          "notes", 0, "seconds", 0.0,
                                                          "models"));
    json_object_set_new(p, "ratings", ratings ? json_incref(ratings) : json_array());
    json_object_set_new(p, "phrases", phrases ? json_incref(phrases) : json_array());
    return p;
}

void gb_session_free(gb_session_t *s)
{
    if (!s)
        return;
    if (!s->stopped)
        gb_session_stop(s, NULL, NULL);
    gb_recorder_free(s->rec);
    for (int i = 0; i < s->n_units; i++)
        json_decref(s->units[i].card);
    for (int i = 0; i < s->n_tables; i++)
        free(s->tables[i].p);
    for (size_t i = 0; i < s->n_osc; i++)
        free(s->osc[i].json);
    free(s->osc);
    free(s->mev);
    json_decref(s->presets);
    free(s);
}
