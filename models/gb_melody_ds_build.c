/* gb_melody_ds_build.c — the melody dataset pipeline (gb_melody_ds_build.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_melody_ds_build.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <smf.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "gb_melody_ds.h"
#include "gb_midifile.h"
#include "gb_share.h"

void gb_melody_ds_build_config_init(gb_melody_ds_build_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->version = GB_MELODY_CONFIG_VERSION;
    cfg->from_dir = NULL;
    cfg->licence = NULL;
    cfg->seed = 1;
    cfg->split[0] = 0.8;
    cfg->split[1] = 0.1;
    cfg->split[2] = 0.1;
    cfg->transpose_lo = -5;
    cfg->transpose_hi = 6;
}

void gb_melody_tune_clear(gb_melody_tune_t *tune)
{
    if (!tune)
        return;
    free(tune->tokens);
    memset(tune, 0, sizeof *tune);
}

static int fold(int p)
{
    while (p < GB_MDS_PITCH_LO)
        p += 12;
    while (p > GB_MDS_PITCH_HI)
        p -= 12;
    return p;
}

typedef struct note {
    long on, off; /* steps */
    int pitch;
} note_t;

typedef struct notes {
    note_t *v;
    size_t n, cap;
} notes_t;

static int push_note(notes_t *ns, long on, long off, int pitch)
{
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? ns->cap * 2 : 256;
        note_t *v = realloc(ns->v, cap * sizeof *v);
        if (!v)
            return -1;
        ns->v = v;
        ns->cap = cap;
    }
    ns->v[ns->n++] = (note_t){on, off, pitch};
    return 0;
}

/* libsmf reports oddities through GLib logging; the strict pre-pass has already judged the
 * file, so they are dropped rather than printed in the middle of the progress. */
static void quiet_log(const gchar *d, GLogLevelFlags l, const gchar *m, gpointer u)
{
    (void)d, (void)l, (void)m, (void)u;
}

/* The first time signature and tempo of the file; later different ones are counted. */
typedef struct tune_meta {
    int num, den;
    double first_uspq;
} tune_meta_t;

static void read_meta(const smf_event_t *e, gb_melody_tune_t *tune, tune_meta_t *m)
{
    const unsigned char *b = e->midi_buffer;
    if (e->midi_buffer_length >= 5 && b[1] == 0x58) {
        if (m->num == 0) {
            m->num = b[3];
            m->den = 1 << (b[4] & 7);
        } else if (b[3] != m->num || 1 << (b[4] & 7) != m->den) {
            tune->meter_changes++;
        }
    } else if (e->midi_buffer_length >= 6 && b[1] == 0x51) {
        const double uspq = (double)((b[3] << 16) | (b[4] << 8) | b[5]);
        if (m->first_uspq == 0.0)
            m->first_uspq = uspq;
        else if (uspq != m->first_uspq)
            tune->tempo_changes++;
    }
}

/* Every note of every channel but percussion into ns (times in pulses; a note still on at
 * the end lasts to the last event). Returns 0 or -1 when out of memory. */
static int collect_notes(smf_t *smf, gb_melody_tune_t *tune, tune_meta_t *m, notes_t *ns)
{
    long active[16][128];
    for (int c = 0; c < 16; c++)
        for (int k = 0; k < 128; k++)
            active[c][k] = -1;
    int rc = 0;
    long last = 0;
    smf_event_t *e;
    smf_rewind(smf);
    while ((e = smf_get_next_event(smf)) != NULL) {
        const unsigned char *b = e->midi_buffer;
        const long pulses = (long)e->time_pulses;
        if (pulses > last)
            last = pulses;
        if (smf_event_is_metadata(e)) {
            read_meta(e, tune, m);
            continue;
        }
        if (e->midi_buffer_length < 3)
            continue;
        const int st = b[0] & 0xf0, ch = b[0] & 0x0f, key = b[1] & 0x7f;
        if (ch == GB_MELODY_PERCUSSION_CHANNEL) { /* drums are not melody */
            tune->percussion += st == 0x90 && b[2] > 0;
            continue;
        }
        if (st == 0x90 && b[2] > 0) {
            if (active[ch][key] >= 0 &&
                push_note(ns, active[ch][key], pulses, key) < 0)
                rc = -1;
            active[ch][key] = pulses;
        } else if (st == 0x80 || st == 0x90) {
            if (active[ch][key] >= 0 && push_note(ns, active[ch][key], pulses, key) < 0)
                rc = -1;
            active[ch][key] = -1;
        }
    }
    for (int c = 0; c < 16; c++)
        for (int k = 0; k < 128; k++)
            if (active[c][k] >= 0 && push_note(ns, active[c][k], last, k) < 0)
                rc = -1;
    return rc;
}

/* Quantise (pulses → 16th-note steps, at least one step long); returns the end step. */
static long quantise(notes_t *ns, double ppqn)
{
    long end = 0;
    for (size_t i = 0; i < ns->n; i++) {
        note_t *n = &ns->v[i];
        n->on = lround((double)n->on * 4.0 / ppqn);
        n->off = lround((double)n->off * 4.0 / ppqn);
        if (n->off <= n->on)
            n->off = n->on + 1;
        if (n->off > end)
            end = n->off;
    }
    return end;
}

/* who[s]: the note heard at step s (the highest sounding, the later of equal ones; −1: rest);
 * counts the polyphonic steps and detects the key from the heard pitches. -1: out of memory. */
static int top_voice(const notes_t *ns, long n_steps, int *who, gb_melody_tune_t *tune)
{
    for (long s = 0; s < n_steps; s++)
        who[s] = -1;
    int *sounding = calloc((size_t)n_steps, sizeof *sounding);
    if (!sounding)
        return -1;
    for (size_t i = 0; i < ns->n; i++)
        for (long s = ns->v[i].on; s < ns->v[i].off; s++) {
            sounding[s]++;
            const int w = who[s];
            if (w < 0 || ns->v[i].pitch > ns->v[w].pitch ||
                (ns->v[i].pitch == ns->v[w].pitch && ns->v[i].on > ns->v[w].on))
                who[s] = (int)i;
        }
    double hist[12] = {0};
    for (long s = 0; s < n_steps; s++) {
        if (who[s] >= 0)
            hist[ns->v[who[s]].pitch % 12] += 1;
        tune->polyphonic_steps += sounding[s] > 1;
    }
    free(sounding);
    gb_melody_key(hist, &tune->tonic, &tune->mode);
    return 0;
}

/* Tokens from who[]: rest, hold, or the pitch moved by shift and folded into range. */
static void write_tokens(gb_melody_tune_t *tune, const notes_t *ns, const int *who,
                         long n_steps, int shift)
{
    for (long s = 0; s < n_steps; s++) {
        const int w = who[s];
        if (w < 0)
            tune->tokens[s] = GB_MDS_REST;
        else if (s > 0 && who[s - 1] == w && ns->v[w].on != s)
            tune->tokens[s] = GB_MDS_HOLD;
        else
            tune->tokens[s] =
                (uint8_t)(GB_MDS_PITCH_BASE + fold(ns->v[w].pitch + shift) - GB_MDS_PITCH_LO);
    }
}

/* Steps of the tune: tokens, key and shift, meter. Frees ns. */
static int tokenise(const char *path, notes_t *ns, int num, int den, double ppqn,
                    gb_melody_tune_t *tune, gb_error_t *err)
{
    const int spb = num * 16 / den;
    if (num * 16 % den != 0 || spb < 2 || spb > GB_MDS_MAX_STEPS) {
        free(ns->v);
        return gb_error_set(err, GB_EFORMAT, "%s: meter %d/%d does not fit %d 16th-note steps "
                            "per bar", path, num, den, GB_MDS_MAX_STEPS);
    }
    const long end = quantise(ns, ppqn);
    if (end > 1L << 20) {
        free(ns->v);
        return gb_error_set(err, GB_EFORMAT, "%s: too long (%ld steps)", path, end);
    }
    const long n_steps = (end + spb - 1) / spb * spb;
    int *who = malloc((size_t)n_steps * sizeof *who);
    tune->tokens = malloc((size_t)n_steps);
    if (!who || !tune->tokens || top_voice(ns, n_steps, who, tune) < 0) {
        free(who);
        free(ns->v);
        gb_melody_tune_clear(tune);
        return gb_error_set(err, GB_ENOMEM, "%s: out of memory", path);
    }
    const int shift = -gb_melody_key_offset(tune->tonic, tune->mode);
    tune->shift = shift;
    write_tokens(tune, ns, who, n_steps, shift);
    free(who);
    free(ns->v);
    tune->meter_num = num;
    tune->meter_den = den;
    tune->steps_per_bar = spb;
    tune->n_steps = (int)n_steps;
    return 0;
}

int gb_melody_tune_read(const char *path, gb_melody_tune_t *tune, gb_error_t *err)
{
    memset(tune, 0, sizeof *tune);
    gb_midifile_t *mf = gb_midifile_load(path, 48000, err);
    if (!mf)
        return err ? err->code : GB_EFORMAT;
    gb_midifile_free(mf);

    const guint h = g_log_set_handler(NULL, G_LOG_LEVEL_MASK, quiet_log, NULL);
    smf_t *smf = smf_load(path);
    g_log_remove_handler(NULL, h);
    if (!smf)
        return gb_error_set(err, GB_EFORMAT, "%s: libsmf cannot parse the file", path);
    const double ppqn = smf->ppqn > 0 ? smf->ppqn : 480;
    tune_meta_t m = {0};
    notes_t ns = {0};
    const int rc = collect_notes(smf, tune, &m, &ns);
    smf_delete(smf);
    if (rc < 0) {
        free(ns.v);
        return gb_error_set(err, GB_ENOMEM, "%s: out of memory", path);
    }
    if (ns.n == 0) {
        free(ns.v);
        if (tune->percussion)
            return gb_error_set(err, GB_EFORMAT, "%s: no notes but %d on channel 10 "
                                "(percussion, not a melody)", path, tune->percussion);
        return gb_error_set(err, GB_EFORMAT, "%s: no notes", path);
    }
    tune->bpm = m.first_uspq > 0.0 ? 60e6 / m.first_uspq : 120.0;
    tune->notes = (int)ns.n;
    if (m.num == 0) {
        m.num = 4;
        m.den = 4;
    }
    return tokenise(path, &ns, m.num, m.den, ppqn, tune, err);
}

/* ---------------------------------------------------------------- the dataset */

typedef struct entry {
    char name[64];
    gb_melody_tune_t t;
    int split;
    int bars; /* records written at transposition 0 */
} entry_t;

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_midi(const char *n)
{
    const char *dot = strrchr(n, '.');
    return dot && (strcasecmp(dot, ".mid") == 0 || strcasecmp(dot, ".midi") == 0);
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint8_t transpose_token(uint8_t t, int by)
{
    if (t < GB_MDS_PITCH_BASE || by == 0)
        return t;
    return (uint8_t)(GB_MDS_PITCH_BASE +
                     fold(t - GB_MDS_PITCH_BASE + GB_MDS_PITCH_LO + by) - GB_MDS_PITCH_LO);
}

/* Write the records of one tune at one transposition; returns the number written or −1. */
static long write_tune(FILE *f, const entry_t *en, uint32_t index, int by)
{
    const gb_melody_tune_t *t = &en->t;
    const int spb = t->steps_per_bar, n_bars = t->n_steps / spb;
    long written = 0;
    for (int b = 0; b < n_bars; b++) {
        gb_mds_record_t r;
        memset(&r, 0, sizeof r);
        memset(r.context, GB_MDS_PAD, sizeof r.context);
        memset(r.target, GB_MDS_PAD, sizeof r.target);
        int any = 0;
        for (int s = 0; s < spb; s++) {
            const uint8_t tok = t->tokens[b * spb + s];
            r.target[s] = transpose_token(tok, by);
            r.context[s] = b ? transpose_token(t->tokens[(b - 1) * spb + s], by) : GB_MDS_REST;
            any |= tok != GB_MDS_REST;
            r.density += tok >= GB_MDS_PITCH_BASE;
        }
        if (!any)
            continue;
        r.tune = index;
        r.bar = (uint16_t)(b > 65535 ? 65535 : b);
        r.split = (uint8_t)en->split;
        r.steps_per_bar = (uint8_t)spb;
        r.meter_num = (uint8_t)t->meter_num;
        r.meter_den = (uint8_t)t->meter_den;
        r.tonic = (uint8_t)t->tonic;
        r.mode = (uint8_t)t->mode;
        r.transpose = (int8_t)by;
        r.flags = b == 0;
        uint8_t buf[GB_MDS_RECORD_BYTES];
        gb_mds_record_encode(&r, buf);
        if (fwrite(buf, 1, sizeof buf, f) != sizeof buf)
            return -1;
        written++;
    }
    return written;
}

static const char *const split_names[3] = {"train", "validation", "test"};
static const char *const key_names[12] = {"C", "C#", "D", "Eb", "E", "F",
                                          "F#", "G", "Ab", "A", "Bb", "B"};

static json_t *manifest(const gb_melody_ds_build_config_t *cfg, const char *source,
                        const char *licence, const entry_t *en, int n,
                        const gb_melody_ds_build_result_t *r)
{
    json_t *root = json_object(), *counts = json_object(), *by = json_object();
    json_t *splits = json_object(), *tunes = json_array(), *lists[3];
    json_object_set_new(root, "format", json_string(GB_MDS_FORMAT));
    json_object_set_new(root, "source", json_string(source));
    json_object_set_new(root, "licence", json_string(licence));
    json_object_set_new(root, "seed", json_integer(cfg->seed));
    json_object_set_new(root, "split_shares", json_pack("[f,f,f]", cfg->split[0],
                                                        cfg->split[1], cfg->split[2]));
    json_object_set_new(root, "transpose", json_pack("[i,i]", cfg->transpose_lo,
                                                     cfg->transpose_hi));
    json_object_set_new(root, "tokens",
                        json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "rest", GB_MDS_REST, "hold",
                                  GB_MDS_HOLD, "pitch_base", GB_MDS_PITCH_BASE, "pitch_lo",
                                  GB_MDS_PITCH_LO, "pitch_hi", GB_MDS_PITCH_HI, "pad",
                                  GB_MDS_PAD, "vocab", GB_MDS_VOCAB));
    json_object_set_new(root, "record_bytes", json_integer(GB_MDS_RECORD_BYTES));
    json_object_set_new(root, "max_steps", json_integer(GB_MDS_MAX_STEPS));
    for (int m = 0; m < r->n_meters; m++) {
        char k[16];
        snprintf(k, sizeof k, "%d/%d", r->meters[m].num & 0xff, r->meters[m].den & 0xff);
        json_object_set_new(by, k, json_integer(r->meters[m].bars));
    }
    json_object_set_new(counts, "files", json_integer(r->files));
    json_object_set_new(counts, "skipped", json_integer(r->skipped));
    json_object_set_new(counts, "tunes", json_integer(r->tunes));
    json_object_set_new(counts, "train", json_integer(r->train));
    json_object_set_new(counts, "validation", json_integer(r->validation));
    json_object_set_new(counts, "test", json_integer(r->test));
    json_object_set_new(counts, "bars", json_integer(r->bars));
    json_object_set_new(counts, "records", json_integer(r->records));
    json_object_set_new(counts, "percussion_dropped", json_integer(r->percussion_dropped));
    json_object_set_new(counts, "polyphonic_steps", json_integer(r->polyphonic_steps));
    json_object_set_new(counts, "by_meter", by);
    json_object_set_new(root, "counts", counts);
    for (int s = 0; s < 3; s++) {
        lists[s] = json_array();
        json_object_set_new(splits, split_names[s], lists[s]);
    }
    for (int i = 0; i < n; i++) {
        const gb_melody_tune_t *t = &en[i].t;
        char meter[16];
        snprintf(meter, sizeof meter, "%d/%d", t->meter_num & 0xff, t->meter_den & 0xff);
        json_array_append_new(lists[en[i].split], json_string(en[i].name));
        json_array_append_new(
            tunes, json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:i,s:i}", "name", en[i].name, "split",
                             split_names[en[i].split], "meter", meter, "steps_per_bar",
                             t->steps_per_bar, "key", key_names[t->tonic], "mode",
                             t->mode ? "minor" : "major", "shift", t->shift, "bars",
                             en[i].bars));
    }
    json_object_set_new(root, "splits", splits);
    json_object_set_new(root, "tunes", tunes);
    return root;
}

static int check_melody_config(const gb_melody_ds_build_config_t *cfg, gb_error_t *err)
{
    if (!cfg || cfg->version != GB_MELODY_CONFIG_VERSION || !cfg->out_dir)
        return gb_error_set(err, GB_EINVAL, "melody dataset: missing output folder");
    if (!(cfg->split[0] >= 0 && cfg->split[1] >= 0 && cfg->split[2] >= 0) ||
        fabs(cfg->split[0] + cfg->split[1] + cfg->split[2] - 1) > 1e-6)
        return gb_error_set(err, GB_EINVAL, "melody dataset: split shares must be ≥ 0 and sum "
                            "to 1");
    if (cfg->transpose_lo < -11 || cfg->transpose_hi > 11 ||
        cfg->transpose_lo > cfg->transpose_hi)
        return gb_error_set(err, GB_EINVAL, "melody dataset: transposition range %d..%d is "
                            "not within -11..11", cfg->transpose_lo, cfg->transpose_hi);
    return 0;
}

/* The .mid/.midi names in folder from (malloc'd, unsorted) in *names; -1: out of memory
 * (what was listed is still in *names). */
static int list_midi(DIR *d, char ***names_out, size_t *n_out)
{
    char **names = NULL;
    size_t n_names = 0, cap = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
        if (!is_midi(de->d_name))
            continue;
        if (n_names == cap) {
            cap = cap ? cap * 2 : 256;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                rc = -1;
                break;
            }
            names = nn;
        }
        if (!(names[n_names] = strdup(de->d_name))) {
            rc = -1;
            break;
        }
        n_names++;
    }
    *names_out = names;
    *n_out = n_names;
    return rc;
}

/* Read every file into en[] (skipped ones counted and reported); returns the tunes read. */
static int read_tunes(const gb_melody_ds_build_config_t *cfg, const char *from, char **names,
                      size_t n_names, entry_t *en, gb_melody_ds_build_result_t *r)
{
    char path[4096];
    int n = 0;
    for (size_t i = 0; i < n_names; i++) {
        gb_error_t e = {0};
        snprintf(path, sizeof path, "%.2000s/%.1000s", from, names[i]);
        r->files++;
        if (gb_melody_tune_read(path, &en[n].t, &e) < 0) {
            r->skipped++;
            if (cfg->progress)
                fprintf(cfg->progress, "gbac dataset: skipped %s\n", e.msg);
            continue;
        }
        r->percussion_dropped += en[n].t.percussion;
        r->polyphonic_steps += en[n].t.polyphonic_steps;
        const char *dot = strrchr(names[i], '.');
        snprintf(en[n].name, sizeof en[n].name, "%.*s", (int)(dot - names[i]), names[i]);
        n++;
    }
    return n;
}

/* Split by tune: a seeded Fisher–Yates shuffle of the tune indices. */
static int split_tunes(const gb_melody_ds_build_config_t *cfg, entry_t *en, int n,
                       gb_error_t *err)
{
    int *perm = malloc((size_t)n * sizeof *perm);
    if (!perm)
        return gb_error_set(err, GB_ENOMEM, "out of memory");
    uint64_t s = cfg->seed;
    for (int i = 0; i < n; i++)
        perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        const int j = (int)(rng_next(&s) % (uint64_t)(i + 1)), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    const int n_train = (int)lround(n * cfg->split[0]);
    int n_val = (int)lround(n * cfg->split[1]);
    if (n_train + n_val > n)
        n_val = n - n_train;
    for (int i = 0; i < n; i++)
        en[perm[i]].split = i < n_train ? GB_MDS_TRAIN
                            : i < n_train + n_val ? GB_MDS_VALIDATION
                                                  : GB_MDS_TEST;
    free(perm);
    return 0;
}

/* bars.bin: every tune as it is, then the train tunes at each other transposition.
 * Returns 0 or -1 on a write error. */
static int write_bars(const gb_melody_ds_build_config_t *cfg, FILE *f, entry_t *en, int n,
                      gb_melody_ds_build_result_t *r)
{
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            int lo = 0, hi = 0;
            if (pass == 1) {
                if (en[i].split != GB_MDS_TRAIN)
                    continue;
                lo = cfg->transpose_lo;
                hi = cfg->transpose_hi;
            }
            for (int by = lo; by <= hi; by++) {
                if (pass == 1 && by == 0)
                    continue;
                const long w = write_tune(f, &en[i], (uint32_t)i, by);
                if (w < 0)
                    return -1;
                r->records += (uint32_t)w;
                if (pass == 0)
                    en[i].bars = (int)w;
            }
        }
    return 0;
}

/* The result's tunes per split, bars and meters. */
static void tally(const entry_t *en, int n, gb_melody_ds_build_result_t *r)
{
    r->tunes = n;
    for (int i = 0; i < n; i++) {
        const gb_melody_tune_t *t = &en[i].t;
        int *c = en[i].split == GB_MDS_TRAIN ? &r->train
                 : en[i].split == GB_MDS_VALIDATION ? &r->validation
                                                    : &r->test;
        (*c)++;
        r->bars += (uint32_t)en[i].bars;
        int m = 0;
        while (m < r->n_meters &&
               (r->meters[m].num != t->meter_num || r->meters[m].den != t->meter_den))
            m++;
        if (m == r->n_meters && m < GB_MELODY_MAX_METERS) {
            r->meters[m].num = t->meter_num;
            r->meters[m].den = t->meter_den;
            r->n_meters++;
        }
        if (m < r->n_meters) {
            r->meters[m].tunes++;
            r->meters[m].bars += (uint32_t)en[i].bars;
        }
    }
}

/* Move the finished temporary files to their names. */
static int rename_outputs(const char *out_dir, const char *bars_tmp, const char *man_tmp,
                          gb_error_t *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", out_dir, GB_MDS_BARS);
    if (rename(bars_tmp, path) != 0)
        return gb_error_set(err, GB_EIO, "%s: cannot rename to %s: %s", bars_tmp, path,
                            strerror(errno));
    snprintf(path, sizeof path, "%s/%s", out_dir, GB_MDS_MANIFEST);
    if (rename(man_tmp, path) != 0)
        return gb_error_set(err, GB_EIO, "%s: cannot rename to %s: %s", man_tmp, path,
                            strerror(errno));
    return 0;
}

/* The source: the folder given, or the corpus shipped in the data folder (then the manifest
 * names it relatively, so it does not depend on the machine). */
static int find_source(const gb_melody_ds_build_config_t *cfg, char *corpus, size_t size,
                       const char **from, const char **source, gb_error_t *err)
{
    char tried[4096];
    *from = *source = cfg->from_dir;
    if (cfg->from_dir)
        return 0;
    if (gb_share_file(GB_MELODY_CORPUS, corpus, size, tried, sizeof tried) < 0)
        return gb_error_set(err, GB_EIO, "the shipped corpus %s is not in any data folder "
                            "(looked in %s); set GBAC_DATA_DIR or pass --from FOLDER",
                            GB_MELODY_CORPUS, tried);
    *from = corpus;
    *source = GB_MELODY_CORPUS;
    return 0;
}

/* The output folder (created if missing), the temporary file names (4096 bytes each) and
 * bars.bin.tmp open for writing in *f. */
static int open_bars(const char *out_dir, char *bars_tmp, char *man_tmp, FILE **f,
                     gb_error_t *err)
{
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST)
        return gb_error_set(err, GB_EIO, "%s: cannot create the folder: %s", out_dir,
                            strerror(errno));
    snprintf(bars_tmp, 4096, "%s/%s.tmp", out_dir, GB_MDS_BARS);
    snprintf(man_tmp, 4096, "%s/%s.tmp", out_dir, GB_MDS_MANIFEST);
    if (!(*f = fopen(bars_tmp, "wb")))
        return gb_error_set(err, GB_EIO, "%s: cannot write: %s", bars_tmp, strerror(errno));
    return 0;
}

int gb_melody_ds_build(const gb_melody_ds_build_config_t *cfg, gb_melody_ds_build_result_t *res, gb_error_t *err)
{
    gb_melody_ds_build_result_t r;
    memset(&r, 0, sizeof r);
    int rc = check_melody_config(cfg, err);
    if (rc < 0)
        return rc;
    char corpus[4096];
    const char *from, *source;
    if ((rc = find_source(cfg, corpus, sizeof corpus, &from, &source, err)) < 0)
        return rc;
    const char *licence = cfg->licence ? cfg->licence
                          : cfg->from_dir ? GB_MELODY_UNKNOWN_LICENCE
                                          : GB_MELODY_CORPUS_LICENCE;
    DIR *d = opendir(from);
    if (!d)
        return gb_error_set(err, GB_EIO, "%s: cannot open the folder: %s", from,
                            strerror(errno));
    char **names;
    size_t n_names;
    rc = list_midi(d, &names, &n_names);
    closedir(d);
    entry_t *en = calloc(n_names ? n_names : 1, sizeof *en);
    FILE *f = NULL;
    json_t *root = NULL;
    char bars_tmp[4096] = "", man_tmp[4096] = "";
    if (rc < 0 || !en) {
        rc = gb_error_set(err, GB_ENOMEM, "%s: out of memory", from);
        goto done;
    }
    if (n_names > 1) /* qsort must not be given NULL, even for 0 elements */
        qsort(names, n_names, sizeof *names, name_cmp);
    const int n = read_tunes(cfg, from, names, n_names, en, &r);
    if (n == 0) {
        rc = gb_error_set(err, GB_ERANGE, "%s: no readable MIDI file with notes (%d files, %d "
                          "skipped)", from, r.files, r.skipped);
        goto done;
    }
    if ((rc = split_tunes(cfg, en, n, err)) < 0)
        goto done;
    if ((rc = open_bars(cfg->out_dir, bars_tmp, man_tmp, &f, err)) < 0)
        goto done;
    if (write_bars(cfg, f, en, n, &r) < 0) {
        rc = gb_error_set(err, GB_EIO, "%s: write failed: %s", bars_tmp, strerror(errno));
        goto done;
    }
    const int closed = fclose(f);
    f = NULL;
    if (closed != 0) {
        rc = gb_error_set(err, GB_EIO, "%s: write failed: %s", bars_tmp, strerror(errno));
        goto done;
    }
    tally(en, n, &r);
    root = manifest(cfg, source, licence, en, n, &r);
    if (!root || json_dump_file(root, man_tmp, JSON_INDENT(2) | JSON_REAL_PRECISION(9)) != 0) {
        rc = gb_error_set(err, GB_EIO, "%s: cannot write", man_tmp);
        goto done;
    }
    if ((rc = rename_outputs(cfg->out_dir, bars_tmp, man_tmp, err)) < 0)
        goto done;
    if (res)
        *res = r;
done:
    if (f)
        fclose(f);
    if (rc < 0 && bars_tmp[0]) {
        remove(bars_tmp); /* a failed run leaves no half dataset behind */
        remove(man_tmp);
    }
    json_decref(root);
    for (size_t i = 0; i < n_names; i++) {
        free(names[i]);
        if (en)
            gb_melody_tune_clear(&en[i].t);
    }
    free(names);
    free(en);
    return rc;
}
