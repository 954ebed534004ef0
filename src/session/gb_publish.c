/* gb_publish.c — publish a session (gb_publish.h): the members written into a folder, then
 * (for OUT.tar.gz / OUT.tar) into an archive under a folder named after it.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_publish.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gb_file.h"
#include "gb_plot.h"
#include "gb_publish_copy.h"
#include "gb_version.h"

#define MAX_COPY_BYTES (1u << 30)
#define FLAC_CHUNK 4096

static const char *const members[] = {"audio.flac", "notes.mid", "provenance.json",
                                      "credits.txt", "cover.png"};
#define N_MEMBERS (sizeof members / sizeof members[0])

typedef struct tags {
    const char *title, *artist, *comment, *date, *software, *license;
} tags_t;

static int has_ext(const char *p, const char *e)
{
    size_t n = strlen(p), m = strlen(e);
    return n > m && strcasecmp(p + n - m, e) == 0;
}

/* ---------------------------------------------------------------- members */

static int write_text(const char *path, const char *text, gb_error_t *err)
{
    FILE *f = fopen(path, "wb");
    size_t n = strlen(text);
    int ok = f && fwrite(text, 1, n, f) == n;
    ok = (f && fclose(f) == 0) && ok;
    return ok ? 0 : gb_error_set(err, GB_EIO, "%s: cannot write: %s", path, strerror(errno));
}

static int copy_file(const char *from, const char *to, gb_error_t *err)
{
    size_t n = 0;
    char *d = gb_file_read_all(from, MAX_COPY_BYTES, "session file", &n, err);
    if (!d)
        return err && err->code ? err->code : GB_EIO;
    FILE *f = fopen(to, "wb");
    int ok = f && fwrite(d, 1, n, f) == n;
    ok = (f && fclose(f) == 0) && ok;
    free(d);
    return ok ? 0 : gb_error_set(err, GB_EIO, "%s: cannot write: %s", to, strerror(errno));
}

/* Tags go in before the first sample: the FLAC writer puts them in its header. */
static int set_tags(SNDFILE *out, const char *to, const tags_t *t, gb_error_t *err)
{
    const struct {
        int id;
        const char *v;
    } strs[] = {{SF_STR_TITLE, t->title},     {SF_STR_ARTIST, t->artist},
                {SF_STR_COMMENT, t->comment}, {SF_STR_DATE, t->date},
                {SF_STR_SOFTWARE, t->software}, {SF_STR_LICENSE, t->license}};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        if (strs[i].v && sf_set_string(out, strs[i].id, strs[i].v) != 0)
            return gb_error_set(err, GB_EIO, "%s: cannot set tag %d (libsndfile: %s)", to,
                                strs[i].id, sf_strerror(out));
    return 0;
}

static int copy_frames(SNDFILE *in, const SF_INFO *info, SNDFILE *out, const char *from,
                       const char *to, gb_error_t *err)
{
    float *buf = malloc((size_t)FLAC_CHUNK * (size_t)info->channels * sizeof *buf);
    if (!buf)
        return gb_error_set(err, GB_ENOMEM, "out of memory");
    sf_count_t total = 0, n;
    int rc = 0;
    while (rc == 0 && (n = sf_readf_float(in, buf, FLAC_CHUNK)) > 0) {
        if (sf_writef_float(out, buf, n) != n)
            rc = gb_error_set(err, GB_EIO, "%s: write failed (libsndfile: %s)", to,
                              sf_strerror(out));
        total += n;
    }
    if (rc == 0 && total != info->frames)
        rc = gb_error_set(err, GB_EIO, "%s: read %lld of %lld frames", from, (long long)total,
                          (long long)info->frames);
    free(buf);
    return rc;
}

static int write_flac(const gb_session_data_t *s, const char *to, const tags_t *t,
                      gb_error_t *err)
{
    SF_INFO in_info, out_info;
    memset(&in_info, 0, sizeof in_info);
    SNDFILE *in = sf_open(s->audio_path, SFM_READ, &in_info);
    if (!in)
        return gb_error_set(err, GB_EFORMAT, "%s: cannot read it as audio (libsndfile: %s)",
                            s->audio_path, sf_strerror(NULL));
    memset(&out_info, 0, sizeof out_info);
    out_info.samplerate = in_info.samplerate;
    out_info.channels = in_info.channels;
    out_info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_24;
    SNDFILE *out = sf_open(to, SFM_WRITE, &out_info);
    if (!out) {
        sf_close(in);
        return gb_error_set(err, GB_EIO, "%s: cannot write FLAC (libsndfile: %s)", to,
                            sf_strerror(NULL));
    }
    int rc = set_tags(out, to, t, err);
    sf_command(out, SFC_SET_CLIPPING, NULL, SF_TRUE);
    if (rc == 0)
        rc = copy_frames(in, &in_info, out, s->audio_path, to, err);
    sf_close(in);
    if (sf_close(out) != 0 && rc == 0)
        rc = gb_error_set(err, GB_EIO, "%s: cannot finish the file", to);
    return rc;
}

static int write_cover(const gb_session_data_t *s, const char *path, const tags_t *t,
                       gb_error_t *err)
{
    gb_plot_opts_t o;
    gb_plot_opts_init(&o);
    o.width = o.height = GB_PUBLISH_COVER_PX;
    o.cover = 1;
    o.title = t->title;
    o.subtitle = t->artist;
    gb_error_t e;
    gb_error_clear(&e);
    if (gb_plot_write(s, path, &o, &e))
        return gb_error_set(err, e.code ? e.code : GB_EIO, "cover: %s", e.msg);
    return 0;
}

/* The session's provenance with the copy check added as "copy_check". */
static int write_provenance(const gb_session_data_t *s, const char *path, json_t *copy,
                            gb_error_t *err)
{
    json_t *p = json_deep_copy(s->prov);
    char *text = p && json_object_set(p, "copy_check", copy) == 0
                     ? json_dumps(p, JSON_INDENT(2) | JSON_PRESERVE_ORDER)
                     : NULL;
    json_decref(p);
    size_t n = text ? strlen(text) : 0;
    char *nl = text ? realloc(text, n + 2) : NULL;
    if (!nl) {
        free(text);
        return gb_error_set(err, GB_ENOMEM, "out of memory");
    }
    memcpy(nl + n, "\n", 2);
    int rc = write_text(path, nl, err);
    free(nl);
    return rc;
}

/* Write every member into folder dir. */
static int write_members(const gb_session_data_t *s, const char *dir, const tags_t *t,
                         json_t *copy, gb_error_t *err)
{
    char path[4200], src[4200];
    int rc;
    snprintf(path, sizeof path, "%s/audio.flac", dir);
    if ((rc = write_flac(s, path, t, err)))
        return rc;
    json_t *midi = json_object_get(s->prov, "midi");
    const char *mf = json_string_value(json_object_get(midi, "file"));
    snprintf(src, sizeof src, "%s/%s", s->dir, mf ? mf : "notes.mid");
    snprintf(path, sizeof path, "%s/notes.mid", dir);
    if ((rc = copy_file(src, path, err)))
        return rc;
    snprintf(path, sizeof path, "%s/provenance.json", dir);
    if ((rc = write_provenance(s, path, copy, err)))
        return rc;
    char *credits = gb_publish_credits(s, t->title, t->artist, t->license, copy);
    if (!credits)
        return gb_error_set(err, GB_ENOMEM, "out of memory");
    snprintf(path, sizeof path, "%s/credits.txt", dir);
    rc = write_text(path, credits, err);
    free(credits);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "%s/cover.png", dir);
    return write_cover(s, path, t, err);
}

/* ---------------------------------------------------------------- archive */

static int archive_member(struct archive *a, struct archive_entry *e, const char *path,
                          const char *name, time_t now, char *buf, gb_error_t *err)
{
    struct stat st;
    FILE *f = fopen(path, "rb");
    if (!f || fstat(fileno(f), &st) != 0) {
        int rc = gb_error_set(err, GB_EIO, "%s: %s", path, strerror(errno));
        if (f)
            fclose(f);
        return rc;
    }
    archive_entry_clear(e);
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, st.st_size);
    archive_entry_set_mtime(e, now, 0);
    int rc = archive_write_header(a, e) == ARCHIVE_OK ? 0 : GB_EIO;
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, 1 << 16, f)) > 0)
        if (archive_write_data(a, buf, n) != (la_ssize_t)n)
            rc = GB_EIO;
    fclose(f);
    return rc;
}

/* The folder entry top/ and the members of folder dir under it. */
static int archive_members(struct archive *a, const char *dir, const char *top,
                           gb_error_t *err)
{
    char path[4200], name[4200];
    time_t now = time(NULL);
    struct archive_entry *e = archive_entry_new();
    char *buf = malloc(1 << 16);
    int rc = e && buf ? 0 : GB_ENOMEM;
    if (rc == 0) {
        snprintf(name, sizeof name, "%s/", top);
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFDIR);
        archive_entry_set_perm(e, 0755);
        archive_entry_set_mtime(e, now, 0);
        rc = archive_write_header(a, e) == ARCHIVE_OK ? 0 : GB_EIO;
    }
    for (size_t i = 0; i < N_MEMBERS && rc == 0; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, members[i]);
        snprintf(name, sizeof name, "%s/%s", top, members[i]);
        rc = archive_member(a, e, path, name, now, buf, err);
    }
    free(buf);
    archive_entry_free(e);
    return rc;
}

/* The members of folder dir into the archive out, under the folder top/. */
static int write_archive(const char *dir, const char *out, const char *top, int gz,
                         gb_error_t *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.part", out);
    struct archive *a = archive_write_new();
    if (!a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        (gz && archive_write_add_filter_gzip(a) != ARCHIVE_OK) ||
        archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
        int rc = gb_error_set(err, GB_EIO, "%s: cannot write the archive (libarchive: %s)", out,
                              a ? archive_error_string(a) : "out of memory");
        if (a)
            archive_write_free(a);
        remove(tmp);
        return rc;
    }
    int rc = archive_members(a, dir, top, err);
    if (rc && !(err && err->code))
        gb_error_set(err, rc, "%s: cannot write the archive (libarchive: %s)", out,
                     archive_error_string(a) ? archive_error_string(a) : "error");
    if (archive_write_close(a) != ARCHIVE_OK && rc == 0)
        rc = gb_error_set(err, GB_EIO, "%s: cannot finish the archive (libarchive: %s)", out,
                          archive_error_string(a));
    archive_write_free(a);
    if (rc == 0 && rename(tmp, out) != 0)
        rc = gb_error_set(err, GB_EIO, "%s: cannot rename %s to it: %s", out, tmp,
                          strerror(errno));
    if (rc)
        remove(tmp);
    return rc;
}

/* ---------------------------------------------------------------- OUT */

static int dir_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int empty = 1;
    while (empty && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            empty = 0;
    closedir(d);
    return empty;
}

static void remove_staging(const char *dir)
{
    char path[4200];
    for (size_t i = 0; i < N_MEMBERS; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, members[i]);
        remove(path);
    }
    rmdir(dir);
}

/* An archive OUT: its top folder's name and a staging folder next to it. */
static int prepare_archive(const gb_publish_config_t *cfg, char *dir, size_t dcap, char *top,
                           size_t tcap, gb_publish_result_t *res, gb_error_t *err)
{
    struct stat st;
    const char *out = cfg->out;
    if (stat(out, &st) == 0 && !cfg->force)
        return gb_error_set(err, GB_EIO, "%s exists (use --force to replace it)", out);
    const char *b = strrchr(out, '/');
    b = b ? b + 1 : out;
    const size_t n = strlen(b) - (has_ext(b, ".tar.gz") ? 7 : 4);
    snprintf(top, tcap, "%.*s", (int)n, b);
    if (!top[0] || strcmp(top, ".") == 0 || strcmp(top, "..") == 0) {
        res->bad_out = 1;
        return gb_error_set(err, GB_EINVAL, "%s: the archive needs a name before its extension",
                            out);
    }
    snprintf(dir, dcap, "%s.stage-XXXXXX", out);
    if (!mkdtemp(dir))
        return gb_error_set(err, GB_EIO, "%s: cannot make a staging folder next to it: %s", out,
                            strerror(errno));
    return 0;
}

/* A folder OUT: created, or empty (or --force), and never the session folder itself. */
static int prepare_folder(const gb_publish_config_t *cfg, gb_publish_result_t *res,
                          gb_error_t *err)
{
    struct stat st;
    const char *out = cfg->out;
    if (stat(out, &st) != 0) {
        if (mkdir(out, 0777) != 0)
            return gb_error_set(err, GB_EIO, "%s: cannot create the folder: %s", out,
                                strerror(errno));
        return 0;
    }
    if (!S_ISDIR(st.st_mode))
        return gb_error_set(err, GB_EIO, "%s exists and is not a folder", out);
    if (!cfg->force && !dir_is_empty(out))
        return gb_error_set(err, GB_EIO, "%s is not empty (use --force to write into it)", out);
    char a[PATH_MAX], b[PATH_MAX];
    if (realpath(out, a) && realpath(cfg->session, b) && strcmp(a, b) == 0) {
        res->bad_out = 1;
        return gb_error_set(err, GB_EINVAL, "%s is the session folder itself; publish to "
                                            "another folder", out);
    }
    return 0;
}

/* notes.mid and the provenance should agree; say so if they do not. */
static void check_counts(const gb_session_data_t *s, FILE *log)
{
    json_t *c = json_object_get(s->prov, "contributions");
    for (int i = 0; log && i < s->n_tracks; i++) {
        long long want = -1;
        json_t *it;
        size_t k;
        if (s->tracks[i].is_performer)
            want = json_integer_value(json_object_get(json_object_get(c, "performer"), "notes"));
        else
            json_array_foreach(json_object_get(c, "models"), k, it)
            {
                const char *slot = json_string_value(json_object_get(it, "slot"));
                if (slot && strcmp(slot, s->tracks[i].source) == 0)
                    want = json_integer_value(json_object_get(it, "notes"));
            }
        if (want >= 0 && want != (long long)s->tracks[i].n_notes)
            fprintf(log, "gbac publish: warning: %s/notes.mid track \"%s\" has %zu notes, the "
                         "provenance says %lld\n",
                    s->dir, s->tracks[i].name, s->tracks[i].n_notes, want);
    }
}

static int publish_session(const gb_publish_config_t *cfg, const gb_session_data_t *s,
                           gb_publish_result_t *res, gb_error_t *err)
{
    const int gz = has_ext(cfg->out, ".tar.gz") || has_ext(cfg->out, ".tgz");
    const int archive = gz || has_ext(cfg->out, ".tar");
    char dir[4096], top[1024], software[128];
    int rc = archive ? prepare_archive(cfg, dir, sizeof dir, top, sizeof top, res, err)
                     : prepare_folder(cfg, res, err);
    if (rc)
        return rc;
    if (!archive)
        snprintf(dir, sizeof dir, "%s", cfg->out);
    check_counts(s, cfg->log);
    if (cfg->title)
        snprintf(res->title, sizeof res->title, "%s", cfg->title);
    else
        gb_publish_default_title(s, res->title, sizeof res->title);
    if (cfg->artist)
        snprintf(res->artist, sizeof res->artist, "%s", cfg->artist);
    else
        gb_publish_default_artist(s, res->artist, sizeof res->artist);
    gb_publish_provenance_line(s, res->comment, sizeof res->comment);
    snprintf(software, sizeof software, "gbac %s", GB_VERSION_STRING);
    tags_t tags = {res->title, res->artist, res->comment,
                   json_string_value(json_object_get(s->prov, "created")), software,
                   cfg->license};
    json_t *copy = gb_publish_copy_check(s);
    if (!copy)
        rc = gb_error_set(err, GB_ENOMEM, "out of memory");
    else if (cfg->log &&
             strcmp(json_string_value(json_object_get(copy, "result")), "not checked") == 0)
        fprintf(cfg->log, "gbac publish: warning: %s\n",
                json_string_value(json_object_get(copy, "summary")));
    if (rc == 0)
        rc = write_members(s, dir, &tags, copy, err);
    json_decref(copy);
    if (rc == 0 && archive)
        rc = write_archive(dir, cfg->out, top, gz, err);
    if (archive)
        remove_staging(dir);
    return rc;
}

int gb_publish(const gb_publish_config_t *cfg, gb_publish_result_t *res, gb_error_t *err)
{
    memset(res, 0, sizeof *res);
    gb_session_data_t *s = gb_session_read(cfg->session, err);
    if (!s)
        return err && err->code ? err->code : GB_EIO;
    int rc = publish_session(cfg, s, res, err);
    gb_session_data_free(s);
    return rc;
}
