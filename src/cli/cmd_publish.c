/* cmd_publish.c — `gbac publish SESSION -o OUT[.tar.gz|.tar]`: a recorded session made ready
 * to share (docs/publish.md): tagged 24-bit FLAC, the MIDI, a cover picture, credits from the
 * provenance, and the provenance itself.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gb_cli.h"
#include "gb_cli_opts.h"
#include "gb_file.h"
#include "gb_plot.h"
#include "gb_session_read.h"
#include "gb_version.h"

#define COVER_PX 1000
#define MAX_COPY_BYTES (1u << 30)

static const char *const members[] = {"audio.flac", "notes.mid", "provenance.json",
                                      "credits.txt", "cover.png"};
#define N_MEMBERS (sizeof members / sizeof members[0])

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: gbac publish SESSION -o OUT [--title T] [--artist A] [--license L] "
            "[--force]\n"
            "       gbac publish --help\n\n"
            "Make a recorded session (a folder written by --record, docs/session.md) ready to\n"
            "share. OUT is a folder (created), or OUT.tar.gz / OUT.tgz / OUT.tar holding one\n"
            "folder named after it. It holds:\n"
            "  audio.flac       the audio, 24-bit FLAC, tagged: title, artist, date, software,\n"
            "                   licence (if given) and a one-line provenance as the comment\n"
            "  notes.mid        the session's MIDI (performer and model tracks)\n"
            "  cover.png        a %d x %d picture: spectrogram over the piano roll\n"
            "  credits.txt      who made what (notes, sounding time, shares), each model with\n"
            "                   its training data and licence, ratings, gbac's licence\n"
            "  provenance.json  the session's provenance, unchanged\n\n"
            "Options:\n"
            "  -o, --output OUT   where to write (a folder, or .tar.gz/.tgz/.tar)\n"
            "  --title T          title tag (default: the preset's name and the date)\n"
            "  --artist A         artist tag (default: the performer and the models that made\n"
            "                     notes, e.g. \"Performer with gbac melody-gan\")\n"
            "  --license L        licence tag of the recording (default: none; yours to choose)\n"
            "  --force            write into a non-empty OUT folder / replace an OUT archive\n"
            "  -h, --help         show this help\n\n"
            "Exit status: 0 on success; 1 if a part of SESSION is missing or bad (named on\n"
            "stderr) or OUT cannot be written; 2 on a usage error.\n",
            COVER_PX, COVER_PX);
}

/* ---------------------------------------------------------------- small helpers */

typedef struct strbuf {
    char *p;
    size_t n, cap;
    int oom;
} strbuf_t;

static void sb_add(strbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(strbuf_t *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t nc = (b->cap ? b->cap * 2 : 1024) + (size_t)k;
        char *q = realloc(b->p, nc);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = nc;
    }
}

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static double jnum(const json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

static int has_ext(const char *p, const char *e)
{
    size_t n = strlen(p), m = strlen(e);
    return n > m && strcasecmp(p + n - m, e) == 0;
}

/* The provenance's model entry of a slot (NULL if that slot loaded no model file). */
static json_t *model_of(const gb_session_data_t *s, const char *slot)
{
    json_t *it;
    size_t i;
    json_array_foreach(json_object_get(s->prov, "models"), i, it)
    {
        const char *sl = jstr(it, "slot");
        if (sl && strcmp(sl, slot) == 0)
            return it;
    }
    return NULL;
}

static const char *unit_name(const json_t *entry)
{
    const char *u = jstr(entry, "unit");
    return u ? gb_session_unit_short(u) : jstr(entry, "slot");
}

/* ---------------------------------------------------------------- texts */

static void default_title(const gb_session_data_t *s, char *out, size_t cap)
{
    const char *preset = jstr(json_object_get(s->prov, "preset"), "name");
    const char *created = jstr(s->prov, "created");
    snprintf(out, cap, "%s%s%.10s", preset ? preset : "gbac session",
             created ? ", " : "", created ? created : "");
}

/* "Performer with gbac melody-gan and gbac arp": who made notes, in that order. */
static void default_artist(const gb_session_data_t *s, char *out, size_t cap)
{
    json_t *c = json_object_get(s->prov, "contributions");
    long long perf = json_integer_value(json_object_get(json_object_get(c, "performer"),
                                                         "notes"));
    strbuf_t b = {0};
    json_t *ms = json_object_get(c, "models"), *it;
    size_t i, n = 0, k = 0;
    json_array_foreach(ms, i, it) n += json_integer_value(json_object_get(it, "notes")) > 0;
    if (perf > 0 || n == 0)
        sb_add(&b, "Performer");
    if (perf > 0 && n > 0)
        sb_add(&b, " with ");
    json_array_foreach(ms, i, it)
    {
        if (json_integer_value(json_object_get(it, "notes")) <= 0)
            continue;
        k++;
        sb_add(&b, "%sgbac %s", k == 1 ? "" : k == n ? " and " : ", ", unit_name(it));
    }
    snprintf(out, cap, "%s", b.p && !b.oom ? b.p : "Performer");
    free(b.p);
}

/* One line: "performer 12 notes 4.5 s; melody-gan 16 notes 3.9 s; models sha256 melody-gan
 * 1a2b3c4d5e6f; gbac 0.1.0". */
static void provenance_line(const gb_session_data_t *s, char *out, size_t cap)
{
    json_t *c = json_object_get(s->prov, "contributions"), *perf = json_object_get(c,
                                                                                   "performer");
    strbuf_t b = {0};
    sb_add(&b, "performer %lld notes %.1f s", json_integer_value(json_object_get(perf, "notes")),
           jnum(perf, "seconds"));
    json_t *it;
    size_t i;
    json_array_foreach(json_object_get(c, "models"), i, it)
        sb_add(&b, "; %s %lld notes %.1f s", unit_name(it),
               json_integer_value(json_object_get(it, "notes")), jnum(it, "seconds"));
    json_t *models = json_object_get(s->prov, "models");
    if (json_array_size(models)) {
        sb_add(&b, "; models sha256");
        json_array_foreach(models, i, it)
        {
            const char *h = jstr(it, "sha256");
            sb_add(&b, "%s %s %.12s", i ? "," : "", unit_name(it), h ? h : "?");
        }
    }
    const char *ver = jstr(s->prov, "gbac_version");
    sb_add(&b, "; gbac %s", ver ? ver : GB_VERSION_STRING);
    snprintf(out, cap, "%s", b.p && !b.oom ? b.p : "gbac session");
    free(b.p);
}

static double share(double part, double total)
{
    return total > 0 ? 100.0 * part / total : 0;
}

static char *credits_text(const gb_session_data_t *s, const char *title, const char *artist,
                          const char *license)
{
    strbuf_t b = {0};
    const json_t *p = s->prov;
    json_t *c = json_object_get(p, "contributions"), *perf = json_object_get(c, "performer");
    json_t *cm = json_object_get(c, "models"), *it;
    size_t i;
    double tot_n = (double)json_integer_value(json_object_get(perf, "notes"));
    double tot_s = jnum(perf, "seconds");
    json_array_foreach(cm, i, it)
    {
        tot_n += (double)json_integer_value(json_object_get(it, "notes"));
        tot_s += jnum(it, "seconds");
    }
    sb_add(&b, "%s\n%s\n\n", title, artist);
    /* every preset of the session ("presets" when there were several, else "preset") */
    strbuf_t pr = {0};
    json_t *presets = json_object_get(p, "presets");
    if (json_array_size(presets) > 1) {
        json_array_foreach(presets, i, it)
            sb_add(&pr, "%s%s", i ? ", " : ", presets ", jstr(it, "name") ? jstr(it, "name")
                                                                           : "?");
    } else if (jstr(json_object_get(p, "preset"), "name")) {
        sb_add(&pr, ", preset %s", jstr(json_object_get(p, "preset"), "name"));
    }
    sb_add(&b, "Recorded with gbac %s (`gbac %s`%s) on %s:\n%.1f s at %.0f Hz.\n\n",
           jstr(p, "gbac_version") ? jstr(p, "gbac_version") : "?",
           jstr(p, "command") ? jstr(p, "command") : "?", pr.p && !pr.oom ? pr.p : "",
           jstr(p, "created") ? jstr(p, "created") : "an unknown date",
           json_is_number(json_object_get(p, "seconds")) ? jnum(p, "seconds") : s->seconds,
           s->sample_rate);
    free(pr.p);

    json_t *audio = json_object_get(p, "audio");
    if (json_is_false(json_object_get(audio, "complete")))
        sb_add(&b, "The audio recording is incomplete%s%s.\n\n",
               jstr(audio, "stopped") ? ": " : "",
               jstr(audio, "stopped") ? jstr(audio, "stopped") : "");
    sb_add(&b, "WHO MADE WHAT\n");
    sb_add(&b, "  %-36s %7s %7s %9s %7s\n", "", "notes", "share", "sounding", "share");
    sb_add(&b, "  %-36s %7lld %6.1f%% %7.1f s %6.1f%%\n", "performer (human)",
           json_integer_value(json_object_get(perf, "notes")),
           share((double)json_integer_value(json_object_get(perf, "notes")), tot_n),
           jnum(perf, "seconds"), share(jnum(perf, "seconds"), tot_s));
    json_array_foreach(cm, i, it)
    {
        char who[128];
        const char *slot = jstr(it, "slot"), *unit = jstr(it, "unit");
        snprintf(who, sizeof who, "%s (%s, %s)", slot, unit ? unit : "?",
                 model_of(s, slot) ? "model" : "generator");
        double n = (double)json_integer_value(json_object_get(it, "notes"));
        sb_add(&b, "  %-36s %7.0f %6.1f%% %7.1f s %6.1f%%\n", who, n, share(n, tot_n),
               jnum(it, "seconds"), share(jnum(it, "seconds"), tot_s));
    }
    sb_add(&b, "  Shares are of all notes played and of all sounding time (the sum over\n"
               "  notes of note-off minus note-on). The sound itself is gbac's synthesis.\n\n");

    sb_add(&b, "MODELS\n");
    json_t *models = json_object_get(p, "models");
    if (!json_array_size(models))
        sb_add(&b, "  none: no unit loaded a model file.\n");
    json_array_foreach(models, i, it)
    {
        const char *h = jstr(it, "sha256");
        json_t *card = json_object_get(it, "card"), *data = json_object_get(card, "data");
        sb_add(&b, "  %s: %s, %s\n    sha256 %s\n", jstr(it, "slot"),
               jstr(it, "unit") ? jstr(it, "unit") : "?",
               jstr(it, "file") ? jstr(it, "file") : "?", h ? h : "(not recorded)");
        if (!json_is_object(card)) {
            sb_add(&b, "    no model card recorded: its training data and licence are unknown\n");
            continue;
        }
        if (jstr(card, "kind"))
            sb_add(&b, "    kind: %s\n", jstr(card, "kind"));
        sb_add(&b, "    trained on: %s (data licence: %s)\n",
               jstr(data, "source") ? jstr(data, "source") : "not stated",
               jstr(data, "licence") ? jstr(data, "licence") : "not stated");
        if (jstr(card, "command"))
            sb_add(&b, "    made by: %s\n", jstr(card, "command"));
    }
    sb_add(&b, "  Whether a training data licence reaches what a model generates is not\n"
               "  settled; it is listed here so that you can decide.\n\n");

    sb_add(&b, "RATINGS AND CRITIC SCORES\n");
    int any = 0;
    for (int t = -1; t < s->n_tracks; t++) {
        const char *slot = t < 0 ? NULL : s->tracks[t].source;
        if (t >= 0 && s->tracks[t].is_performer)
            continue;
        size_t likes = 0, dislikes = 0, ns = 0;
        double sum = 0, lo = INFINITY, hi = -INFINITY;
        for (size_t k = 0; k < s->n_ratings; k++)
            if (s->ratings[k].index == t)
                s->ratings[k].value > 0 ? likes++ : dislikes++;
        for (size_t k = 0; k < s->n_scores; k++)
            if (s->scores[k].index == t) {
                ns++;
                sum += s->scores[k].value;
                lo = fmin(lo, s->scores[k].value);
                hi = fmax(hi, s->scores[k].value);
            }
        if (!likes && !dislikes && !ns)
            continue;
        any = 1;
        sb_add(&b, "  %s: %zu like%s, %zu dislike%s", slot ? slot : "(other)", likes,
               likes == 1 ? "" : "s", dislikes, dislikes == 1 ? "" : "s");
        if (ns)
            sb_add(&b, "; critic scores of %zu phrase%s: mean %.3f, min %.3f, max %.3f", ns,
                   ns == 1 ? "" : "s", sum / ns, lo, hi);
        sb_add(&b, "\n");
    }
    if (!any)
        sb_add(&b, "  none recorded\n");
    sb_add(&b, "\nLICENCES\n");
    sb_add(&b, "  This recording: %s\n",
           license ? license : "not stated (the performer's to choose)");
    sb_add(&b, "  gbac %s is free software under the GNU General Public License, version 3\n"
               "  or later (GPL-3.0-or-later).\n\n",
           GB_VERSION_STRING);
    sb_add(&b, "FILES\n  audio.flac  notes.mid  cover.png  credits.txt  provenance.json\n");
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* ---------------------------------------------------------------- files */

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "gbac publish: %s: cannot write: %s\n", path, strerror(errno));
        return GB_EXIT_FAIL;
    }
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n;
    ok = (fclose(f) == 0) && ok;
    if (!ok) {
        fprintf(stderr, "gbac publish: %s: cannot write: %s\n", path, strerror(errno));
        return GB_EXIT_FAIL;
    }
    return 0;
}

static int copy_file(const char *from, const char *to)
{
    gb_error_t err;
    size_t n = 0;
    char *d = gb_file_read_all(from, MAX_COPY_BYTES, "session file", &n, &err);
    if (!d) {
        fprintf(stderr, "gbac publish: %s\n", err.msg);
        return GB_EXIT_FAIL;
    }
    FILE *f = fopen(to, "wb");
    int ok = f && fwrite(d, 1, n, f) == n;
    ok = (f && fclose(f) == 0) && ok;
    free(d);
    if (!ok) {
        fprintf(stderr, "gbac publish: %s: cannot write: %s\n", to, strerror(errno));
        return GB_EXIT_FAIL;
    }
    return 0;
}

typedef struct tags {
    const char *title, *artist, *comment, *date, *software, *license;
} tags_t;

static int write_flac(const gb_session_data_t *s, const char *to, const tags_t *t)
{
    SF_INFO in_info, out_info;
    memset(&in_info, 0, sizeof in_info);
    SNDFILE *in = sf_open(s->audio_path, SFM_READ, &in_info);
    if (!in) {
        fprintf(stderr, "gbac publish: %s: cannot read it as audio (libsndfile: %s)\n",
                s->audio_path, sf_strerror(NULL));
        return GB_EXIT_FAIL;
    }
    memset(&out_info, 0, sizeof out_info);
    out_info.samplerate = in_info.samplerate;
    out_info.channels = in_info.channels;
    out_info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_24;
    SNDFILE *out = sf_open(to, SFM_WRITE, &out_info);
    if (!out) {
        fprintf(stderr, "gbac publish: %s: cannot write FLAC (libsndfile: %s)\n", to,
                sf_strerror(NULL));
        sf_close(in);
        return GB_EXIT_FAIL;
    }
    /* Tags go in before the first sample: the FLAC writer puts them in its header. */
    const struct {
        int id;
        const char *v;
    } strs[] = {{SF_STR_TITLE, t->title},     {SF_STR_ARTIST, t->artist},
                {SF_STR_COMMENT, t->comment}, {SF_STR_DATE, t->date},
                {SF_STR_SOFTWARE, t->software}, {SF_STR_LICENSE, t->license}};
    int rc = 0;
    for (size_t i = 0; i < sizeof strs / sizeof strs[0] && rc == 0; i++)
        if (strs[i].v && sf_set_string(out, strs[i].id, strs[i].v) != 0) {
            fprintf(stderr, "gbac publish: %s: cannot set tag %d (libsndfile: %s)\n", to,
                    strs[i].id, sf_strerror(out));
            rc = GB_EXIT_FAIL;
        }
    sf_command(out, SFC_SET_CLIPPING, NULL, SF_TRUE);
    enum { CHUNK = 4096 };
    float *buf = malloc((size_t)CHUNK * (size_t)in_info.channels * sizeof *buf);
    sf_count_t total = 0;
    if (!buf && rc == 0) {
        fprintf(stderr, "gbac publish: out of memory\n");
        rc = GB_EXIT_FAIL;
    }
    while (rc == 0) {
        sf_count_t n = sf_readf_float(in, buf, CHUNK);
        if (n <= 0)
            break;
        if (sf_writef_float(out, buf, n) != n) {
            fprintf(stderr, "gbac publish: %s: write failed (libsndfile: %s)\n", to,
                    sf_strerror(out));
            rc = GB_EXIT_FAIL;
        }
        total += n;
    }
    if (rc == 0 && total != in_info.frames) {
        fprintf(stderr, "gbac publish: %s: read %lld of %lld frames\n", s->audio_path,
                (long long)total, (long long)in_info.frames);
        rc = GB_EXIT_FAIL;
    }
    free(buf);
    sf_close(in);
    if (sf_close(out) != 0 && rc == 0) {
        fprintf(stderr, "gbac publish: %s: cannot finish the file\n", to);
        rc = GB_EXIT_FAIL;
    }
    return rc;
}

/* Write every member into folder dir. */
static int write_members(const gb_session_data_t *s, const char *dir, const tags_t *t)
{
    char path[4200], src[4200];
    int rc;
    snprintf(path, sizeof path, "%s/audio.flac", dir);
    if ((rc = write_flac(s, path, t)))
        return rc;
    json_t *midi = json_object_get(s->prov, "midi");
    snprintf(src, sizeof src, "%s/%s", s->dir, jstr(midi, "file") ? jstr(midi, "file")
                                                                   : "notes.mid");
    snprintf(path, sizeof path, "%s/notes.mid", dir);
    if ((rc = copy_file(src, path)))
        return rc;
    snprintf(src, sizeof src, "%s/provenance.json", s->dir);
    snprintf(path, sizeof path, "%s/provenance.json", dir);
    if ((rc = copy_file(src, path)))
        return rc;
    char *credits = credits_text(s, t->title, t->artist, t->license);
    if (!credits) {
        fprintf(stderr, "gbac publish: out of memory\n");
        return GB_EXIT_FAIL;
    }
    snprintf(path, sizeof path, "%s/credits.txt", dir);
    rc = write_text(path, credits);
    free(credits);
    if (rc)
        return rc;
    gb_plot_opts_t o;
    gb_plot_opts_init(&o);
    o.width = o.height = COVER_PX;
    o.cover = 1;
    o.title = t->title;
    o.subtitle = t->artist;
    snprintf(path, sizeof path, "%s/cover.png", dir);
    gb_error_t err;
    gb_error_clear(&err);
    if (gb_plot_write(s, path, &o, &err)) {
        fprintf(stderr, "gbac publish: cover: %s\n", err.msg);
        return GB_EXIT_FAIL;
    }
    return 0;
}

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

/* The members of folder dir into the archive out, under the folder top/. */
static int write_archive(const char *dir, const char *out, const char *top, int gz)
{
    char tmp[4200], path[4200], name[4200];
    snprintf(tmp, sizeof tmp, "%s.part", out);
    struct archive *a = archive_write_new();
    int rc = 0;
    if (!a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        (gz && archive_write_add_filter_gzip(a) != ARCHIVE_OK) ||
        archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
        fprintf(stderr, "gbac publish: %s: cannot write the archive (libarchive: %s)\n", out,
                a ? archive_error_string(a) : "out of memory");
        if (a)
            archive_write_free(a);
        remove(tmp);
        return GB_EXIT_FAIL;
    }
    time_t now = time(NULL);
    struct archive_entry *e = archive_entry_new();
    snprintf(name, sizeof name, "%s/", top);
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFDIR);
    archive_entry_set_perm(e, 0755);
    archive_entry_set_mtime(e, now, 0);
    if (archive_write_header(a, e) != ARCHIVE_OK)
        rc = GB_EXIT_FAIL;
    char *buf = malloc(1 << 16);
    if (!buf)
        rc = GB_EXIT_FAIL;
    for (size_t i = 0; i < N_MEMBERS && rc == 0; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, members[i]);
        snprintf(name, sizeof name, "%s/%s", top, members[i]);
        struct stat st;
        FILE *f = fopen(path, "rb");
        if (!f || fstat(fileno(f), &st) != 0) {
            fprintf(stderr, "gbac publish: %s: %s\n", path, strerror(errno));
            if (f)
                fclose(f);
            rc = GB_EXIT_FAIL;
            break;
        }
        archive_entry_clear(e);
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, st.st_size);
        archive_entry_set_mtime(e, now, 0);
        if (archive_write_header(a, e) != ARCHIVE_OK)
            rc = GB_EXIT_FAIL;
        size_t n;
        while (rc == 0 && (n = fread(buf, 1, 1 << 16, f)) > 0)
            if (archive_write_data(a, buf, n) != (la_ssize_t)n)
                rc = GB_EXIT_FAIL;
        fclose(f);
    }
    free(buf);
    archive_entry_free(e);
    if (rc)
        fprintf(stderr, "gbac publish: %s: cannot write the archive (libarchive: %s)\n", out,
                archive_error_string(a) ? archive_error_string(a) : "error");
    if (archive_write_close(a) != ARCHIVE_OK && rc == 0) {
        fprintf(stderr, "gbac publish: %s: cannot finish the archive (libarchive: %s)\n", out,
                archive_error_string(a));
        rc = GB_EXIT_FAIL;
    }
    archive_write_free(a);
    if (rc == 0 && rename(tmp, out) != 0) {
        fprintf(stderr, "gbac publish: %s: cannot rename %s to it: %s\n", out, tmp,
                strerror(errno));
        rc = GB_EXIT_FAIL;
    }
    if (rc)
        remove(tmp);
    return rc;
}

/* ---------------------------------------------------------------- the command */

int gb_cmd_publish(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *title = NULL, *artist = NULL, *license = NULL, *v;
    int force = 0;
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return GB_EXIT_OK;
        } else if (strcmp(argv[i], "--force") == 0) {
            force = 1;
            continue;
        } else if ((v = gb_opt_value(argc, argv, &i, "-o", &missing)) ||
                   (v = gb_opt_value(argc, argv, &i, "--output", &missing))) {
            out = v;
        } else if ((v = gb_opt_value(argc, argv, &i, "--title", &missing))) {
            title = v;
        } else if ((v = gb_opt_value(argc, argv, &i, "--artist", &missing))) {
            artist = v;
        } else if ((v = gb_opt_value(argc, argv, &i, "--license", &missing))) {
            license = v;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "gbac publish: unknown option '%s' (see `gbac publish --help`)\n",
                    argv[i]);
            return GB_EXIT_USAGE;
        } else if (in) {
            fprintf(stderr, "gbac publish: one SESSION only ('%s' and '%s')\n", in, argv[i]);
            return GB_EXIT_USAGE;
        } else {
            in = argv[i];
            continue;
        }
        if (missing) {
            fprintf(stderr, "gbac publish: %s needs a value\n", argv[i]);
            return GB_EXIT_USAGE;
        }
        if (!v[0]) {
            fprintf(stderr, "gbac publish: an empty value is not allowed here\n");
            return GB_EXIT_USAGE;
        }
    }
    if (!in || !out) {
        fprintf(stderr, "gbac publish: %s\n",
                !in ? "no SESSION given" : "no output given (-o OUT, OUT.tar.gz or OUT.tar)");
        usage(stderr);
        return GB_EXIT_USAGE;
    }
    const int gz = has_ext(out, ".tar.gz") || has_ext(out, ".tgz");
    const int archive = gz || has_ext(out, ".tar");

    gb_error_t err;
    gb_error_clear(&err);
    gb_session_data_t *s = gb_session_read(in, &err);
    if (!s) {
        fprintf(stderr, "gbac publish: %s\n", err.msg);
        return GB_EXIT_FAIL;
    }
    int rc = 0;
    char dir[4096], top[1024], def_title[512], def_artist[512], comment[2048], software[128];
    struct stat st;
    if (archive) {
        if (stat(out, &st) == 0 && !force) {
            fprintf(stderr, "gbac publish: %s exists (use --force to replace it)\n", out);
            rc = GB_EXIT_FAIL;
            goto done;
        }
        const char *b = strrchr(out, '/');
        b = b ? b + 1 : out;
        size_t n = strlen(b) - (has_ext(b, ".tar.gz") ? 7 : 4);
        snprintf(top, sizeof top, "%.*s", (int)n, b);
        if (!top[0] || strcmp(top, ".") == 0 || strcmp(top, "..") == 0) {
            fprintf(stderr, "gbac publish: %s: the archive needs a name before its extension\n",
                    out);
            rc = GB_EXIT_USAGE;
            goto done;
        }
        snprintf(dir, sizeof dir, "%s.stage-XXXXXX", out);
        if (!mkdtemp(dir)) {
            fprintf(stderr, "gbac publish: %s: cannot make a staging folder next to it: %s\n",
                    out, strerror(errno));
            rc = GB_EXIT_FAIL;
            goto done;
        }
    } else {
        snprintf(dir, sizeof dir, "%s", out);
        if (stat(out, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                fprintf(stderr, "gbac publish: %s exists and is not a folder\n", out);
                rc = GB_EXIT_FAIL;
                goto done;
            }
            if (!force && !dir_is_empty(out)) {
                fprintf(stderr, "gbac publish: %s is not empty (use --force to write into it)\n",
                        out);
                rc = GB_EXIT_FAIL;
                goto done;
            }
            char a[PATH_MAX], b[PATH_MAX];
            if (realpath(out, a) && realpath(in, b) && strcmp(a, b) == 0) {
                fprintf(stderr, "gbac publish: %s is the session folder itself; publish to "
                                "another folder\n", out);
                rc = GB_EXIT_USAGE;
                goto done;
            }
        } else if (mkdir(out, 0777) != 0) {
            fprintf(stderr, "gbac publish: %s: cannot create the folder: %s\n", out,
                    strerror(errno));
            rc = GB_EXIT_FAIL;
            goto done;
        }
    }
    /* notes.mid and the provenance should agree; say so if they do not. */
    json_t *c = json_object_get(s->prov, "contributions");
    for (int i = 0; i < s->n_tracks; i++) {
        long long want = -1;
        if (s->tracks[i].is_performer) {
            want = json_integer_value(json_object_get(json_object_get(c, "performer"), "notes"));
        } else {
            json_t *it;
            size_t k;
            json_array_foreach(json_object_get(c, "models"), k, it)
                if (strcmp(jstr(it, "slot"), s->tracks[i].source) == 0)
                    want = json_integer_value(json_object_get(it, "notes"));
        }
        if (want >= 0 && want != (long long)s->tracks[i].n_notes)
            fprintf(stderr, "gbac publish: warning: %s/notes.mid track \"%s\" has %zu notes, "
                            "the provenance says %lld\n",
                    s->dir, s->tracks[i].name, s->tracks[i].n_notes, want);
    }
    default_title(s, def_title, sizeof def_title);
    default_artist(s, def_artist, sizeof def_artist);
    provenance_line(s, comment, sizeof comment);
    snprintf(software, sizeof software, "gbac %s", GB_VERSION_STRING);
    tags_t tags = {title ? title : def_title, artist ? artist : def_artist, comment,
                   jstr(s->prov, "created"), software, license};
    rc = write_members(s, dir, &tags);
    if (rc == 0 && archive)
        rc = write_archive(dir, out, top, gz);
    if (archive)
        remove_staging(dir);
    if (rc == 0)
        fprintf(stderr, "gbac publish: wrote %s\n  title:   %s\n  artist:  %s\n  comment: %s\n",
                out, tags.title, tags.artist, tags.comment);
done:
    gb_session_data_free(s);
    return rc;
}
