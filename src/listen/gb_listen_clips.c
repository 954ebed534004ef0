/* gb_listen_clips.c — a listening test's tunes, continuations and rendered clips
 * (gb_listen_clips.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_listen_clips.h"

#include <stdlib.h>
#include <string.h>

#include "gb_melgan.h"
#include "gb_melody_ds.h"
#include "gb_melody_ds_build.h"
#include "gb_melody_gen.h"
#include "gb_render.h"

#define S GB_MDS_MAX_STEPS
#define TOP_K 6      /* as `gbac eval melody` */
#define CANDIDATES 4

/* Everything one making holds. */
typedef struct mk {
    const gb_listen_config_t *c;
    gb_listen_test_t *t;
    gb_melody_ds_t *ds;
    uint32_t *orig, *first_of, *count_of; /* untransposed records, tune by tune */
    int *tunes, n_tunes;                  /* usable test tunes, then the chosen ones first */
    gb_melody_models_t m[2];
    int n_models;
    uint64_t rng;
} mk_t;

static uint64_t next(uint64_t *s) /* splitmix64 */
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The dataset given, or the shipped corpus' split built in work_dir. */
static int load_data(mk_t *k, gb_error_t *err)
{
    const gb_listen_config_t *c = k->c;
    char dir[4200];
    if (c->data) {
        snprintf(dir, sizeof dir, "%s", c->data);
        snprintf(k->t->data, sizeof k->t->data, "%s", c->data);
    } else {
        snprintf(dir, sizeof dir, "%s/ds", c->work_dir);
        gb_melody_ds_build_config_t b;
        gb_melody_ds_build_config_init(&b);
        b.out_dir = dir;
        b.transpose_lo = b.transpose_hi = 0; /* only the test split is used */
        if (c->progress)
            fprintf(c->progress, "gbac listen-test: reading the shipped corpus (%s)\n",
                    GB_MELODY_CORPUS);
        const int rc = gb_melody_ds_build(&b, NULL, err);
        if (rc)
            return rc;
        snprintf(k->t->data, sizeof k->t->data, "%s (test split of `gbac dataset melody`, "
                 "seed %u)", GB_MELODY_CORPUS, b.seed);
    }
    return (k->ds = gb_melody_ds_load(dir, err)) ? 0 : (err && err->code ? err->code : GB_EIO);
}

/* The untransposed records of each tune, and the tunes a pair can use. */
static int index_tunes(mk_t *k, gb_error_t *err)
{
    const gb_melody_ds_t *ds = k->ds;
    k->orig = malloc(sizeof *k->orig * (ds->n_records + 1u));
    k->first_of = calloc((size_t)ds->n_tunes + 1, sizeof *k->first_of);
    k->count_of = calloc((size_t)ds->n_tunes + 1, sizeof *k->count_of);
    k->tunes = calloc((size_t)ds->n_tunes + 1, sizeof *k->tunes);
    if (!k->orig || !k->first_of || !k->count_of || !k->tunes)
        return gb_error_set(err, GB_ENOMEM, "out of memory");
    uint32_t n = 0;
    for (uint32_t r = 0; r < ds->n_records; r++) {
        const gb_mds_record_t *rec = &ds->records[r];
        if (rec->transpose != 0)
            continue;
        if (!k->count_of[rec->tune]++)
            k->first_of[rec->tune] = n;
        k->orig[n++] = r;
    }
    for (int t = 0; t < ds->n_tunes; t++) {
        const gb_mds_tune_t *tu = &ds->tunes[t];
        if (tu->split == GB_MDS_TEST && (int)k->count_of[t] >= k->c->bars + 1 &&
            tu->meter_den > 0 && tu->meter_num * 16 % tu->meter_den == 0 &&
            tu->meter_num * 16 / tu->meter_den == tu->steps_per_bar && tu->steps_per_bar <= S)
            k->tunes[k->n_tunes++] = t;
    }
    if (k->n_tunes < k->c->pairs)
        return gb_error_set(err, GB_ERANGE,
                            "%s: %d held-out (test split) tune(s) have %d+ bars; %d pairs need "
                            "as many: ask for fewer --pairs or --bars", k->t->data, k->n_tunes,
                            k->c->bars + 1, k->c->pairs);
    for (int i = 0; i < k->c->pairs; i++) { /* a seeded partial shuffle: the first `pairs` */
        const int j = i + (int)(next(&k->rng) % (uint64_t)(k->n_tunes - i));
        const int x = k->tunes[i];
        k->tunes[i] = k->tunes[j];
        k->tunes[j] = x;
    }
    return 0;
}

/* The preset loads and has no note sources (their notes would join the clips). */
static int check_preset(const char *path, gb_error_t *err)
{
    gb_unit_registry_t *reg = gb_unit_registry_open(NULL, 0, err);
    gb_preset_t *p = reg ? gb_preset_load(path, reg, err) : NULL;
    int rc = p ? 0 : (err && err->code ? err->code : GB_EFORMAT);
    if (p && p->n_sources > 0)
        rc = gb_error_set(err, GB_EINVAL, "%s: the preset has note sources (%s): their notes "
                          "would join the clips; give one without (e.g. default, warm-pad)",
                          path, p->sources[0].slot);
    gb_preset_free(p);
    gb_unit_registry_free(reg);
    return rc;
}

static int load_models(mk_t *k, gb_error_t *err)
{
    const char *names[2] = {k->c->model, k->c->model_b};
    k->n_models = k->c->model_b ? 2 : 1;
    for (int i = 0; i < k->n_models; i++) {
        const int rc = gb_melody_models_load(names[i], 1, CANDIDATES, &k->m[i], err);
        if (rc)
            return rc;
    }
    snprintf(k->t->model, sizeof k->t->model, "%.4000s", k->m[0].path);
    if (k->n_models == 2)
        snprintf(k->t->model_b, sizeof k->t->model_b, "%.4000s", k->m[1].path);
    return 0;
}

/* Model i's continuation of tune t's first bar (as `gbac eval melody` generates it). */
static int generate(mk_t *k, int i, int t, const gb_mds_record_t *r0, uint8_t *out,
                    gb_error_t *err)
{
    const gb_mds_tune_t *tu = &k->ds->tunes[t];
    const gb_melody_models_t *m = &k->m[i];
    gb_melgan_gen_opts_t o = {.version = 2, .bars = k->c->bars, .num = tu->meter_num,
                              .den = tu->meter_den, .mode = tu->mode,
                              .phrase_pos = r0->bar > 0 || r0->target[0] == GB_MDS_REST ? 0 : 1,
                              .density = -1, .seed = (uint64_t)k->c->seed + (uint64_t)t,
                              .temperature = 1.0f, .top_k = TOP_K,
                              .candidates = m->critic ? CANDIDATES : 1};
    const int rc = gb_melgan_generate(gb_model_nn(m->gen), m->critic ? gb_model_nn(m->critic)
                                                                     : NULL,
                                      &o, r0->target, 1, out, NULL, err);
    if (rc < 0 && err) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        gb_error_set(err, rc, "%s: %s", m->path, msg);
    }
    return rc;
}

/* One clip's bars as clip_dir/STEM.mid, rendered to clip_dir/STEM.wav; its length into
 * *frames. */
static int render(mk_t *k, const char *stem, const uint8_t *bars, const gb_mds_tune_t *tu,
                  long *frames, gb_error_t *err)
{
    char mid[4200], wav[4200];
    snprintf(mid, sizeof mid, "%s/%.20s.mid", k->c->clip_dir, stem);
    snprintf(wav, sizeof wav, "%s/%.20s.wav", k->c->clip_dir, stem);
    int rc = gb_melody_write_midi(mid, bars, k->c->bars, tu->steps_per_bar, -tu->shift,
                                  k->c->tempo, err);
    if (rc)
        return rc;
    gb_render_config_t rcfg = gb_render_config_default();
    rcfg.preset_path = k->c->preset;
    rcfg.midi_path = mid;
    rcfg.out_path = wav;
    rcfg.sample_rate = k->c->sample_rate;
    rcfg.format = GB_RENDER_PCM16;
    rcfg.opts.tail_s = GB_LISTEN_TAIL_S;
    rcfg.opts.silence_s = 60.0; /* never cut: both clips of a pair as long */
    gb_render_stats_t st;
    if ((rc = gb_render_file(&rcfg, &st, err)) == 0)
        *frames = (long)st.frames;
    return rc;
}

static int make_pair(mk_t *k, int i, uint8_t *buf, gb_error_t *err)
{
    const int t = k->tunes[i];
    const gb_mds_tune_t *tu = &k->ds->tunes[t];
    const gb_mds_record_t *r0 = &k->ds->records[k->orig[k->first_of[t]]];
    uint8_t *src[2] = {buf, buf + (size_t)k->c->bars * S};
    int rc = 0;
    if (k->n_models == 2)
        rc = generate(k, 0, t, r0, src[0], err);
    else
        for (int b = 0; b < k->c->bars; b++) /* the tune's own bars 2.. */
            memcpy(src[0] + (size_t)b * S,
                   k->ds->records[k->orig[k->first_of[t] + 1u + (uint32_t)b]].target, S);
    if (rc == 0)
        rc = generate(k, k->n_models - 1, t, r0, src[1], err);
    gb_listen_pair_t *p = &k->t->pair[i];
    snprintf(p->tune, sizeof p->tune, "%s", tu->name);
    p->meter_num = tu->meter_num;
    p->meter_den = tu->meter_den;
    p->a_source = (int)(next(&k->rng) >> 63);
    char stem[2][16];
    for (int side = 0; side < 2; side++)
        snprintf(stem[side], sizeof stem[side], "p%02d%c", i, 'a' + side);
    snprintf(p->clip_a, sizeof p->clip_a, "%s.wav", stem[0]);
    snprintf(p->clip_b, sizeof p->clip_b, "%s.wav", stem[1]);
    long fa = 0, fb = 0;
    if (rc == 0)
        rc = render(k, stem[0], src[gb_listen_source_at(p, 0)], tu, &fa, err);
    if (rc == 0)
        rc = render(k, stem[1], src[gb_listen_source_at(p, 1)], tu, &fb, err);
    if (rc == 0 && fa != fb)
        rc = gb_error_set(err, GB_EINVAL, "pair %d: clips of %ld and %ld frames", i, fa, fb);
    p->frames = fa;
    return rc;
}

static void mk_free(mk_t *k)
{
    for (int i = 0; i < 2; i++)
        gb_melody_models_free(&k->m[i]);
    gb_melody_ds_free(k->ds);
    free(k->orig);
    free(k->first_of);
    free(k->count_of);
    free(k->tunes);
}

static void describe(const gb_listen_config_t *c, gb_listen_test_t *t)
{
    t->kind = c->model_b ? GB_LISTEN_MODEL_VS_MODEL : GB_LISTEN_REAL_VS_GENERATED;
    t->question = c->question;
    snprintf(t->preset, sizeof t->preset, "%s", c->preset);
    t->seed = c->seed;
    t->bars = c->bars;
    t->tempo = c->tempo;
    t->sample_rate = c->sample_rate;
}

int gb_listen_make(const gb_listen_config_t *c, gb_listen_test_t *t, gb_error_t *err)
{
    if (c->pairs < 1 || c->pairs > GB_LISTEN_MAX_PAIRS || c->bars < 1 ||
        c->bars > GB_LISTEN_MAX_BARS || !c->preset || !c->clip_dir || !c->work_dir)
        return gb_error_set(err, GB_EINVAL, "listen-test: bad configuration");
    if (c->question == GB_LISTEN_HUMAN && c->model_b)
        return gb_error_set(err, GB_EINVAL, "model against model has no human's clip: ask "
                            "\"prefer\"");
    mk_t k = {.c = c, .t = t, .rng = (uint64_t)c->seed * 0x2545F4914F6CDD1Dull + 1};
    describe(c, t);
    uint8_t *buf = malloc((size_t)2 * (size_t)c->bars * S);
    int rc = buf ? check_preset(c->preset, err) : gb_error_set(err, GB_ENOMEM, "out of memory");
    if (rc == 0)
        rc = load_models(&k, err);
    if (rc == 0)
        rc = load_data(&k, err);
    if (rc == 0)
        rc = index_tunes(&k, err);
    if (rc == 0 && c->progress)
        fprintf(c->progress, "gbac listen-test: rendering %d pairs of %d-bar clips\n", c->pairs,
                c->bars);
    for (int i = 0; rc == 0 && i < c->pairs; i++)
        rc = make_pair(&k, i, buf, err);
    t->n_pairs = rc == 0 ? c->pairs : 0;
    free(buf);
    mk_free(&k);
    return rc;
}
