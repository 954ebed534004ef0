/* gb_melody_copy.c — 2-bar phrase hashes of a corpus (gb_melody_copy.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_melody_copy.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define S GB_MDS_MAX_STEPS

typedef struct entry {
    uint64_t h;
    uint32_t tune;
} entry_t;

struct gb_melody_copy {
    uint64_t *h[2];   /* exact, transposed: sorted */
    uint32_t *t[2];   /* their tunes */
    size_t n[2];
    int n_tunes;
    char **names;
    char *splits;     /* one of t, v, e per tune */
};

uint64_t gb_melody_copy_hash(const int16_t *code, int n, int steps_per_bar, int transposed)
{
    int low = 128;
    if (transposed)
        for (int i = 0; i < n; i++)
            if (code[i] >= 0 && code[i] < low)
                low = code[i];
    uint64_t h = 0xcbf29ce484222325ull;
    const uint64_t prime = 0x100000001b3ull;
    h = (h ^ (uint8_t)steps_per_bar) * prime;
    for (int i = 0; i < n; i++) {
        int c = code[i];
        if (c >= 0 && transposed)
            c -= low;
        const unsigned v = (unsigned)(c + 2);
        h = (h ^ (v & 0xff)) * prime;
        h = (h ^ ((v >> 8) & 0xff)) * prime;
    }
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

void gb_melody_copy_codes(const uint8_t *tokens, int n, int shift, int16_t *code)
{
    for (int i = 0; i < n; i++) {
        const int t = tokens[i];
        if (t == GB_MDS_HOLD)
            code[i] = GB_MCOPY_HOLD;
        else if (t >= GB_MDS_PITCH_BASE && t < GB_MDS_VOCAB) {
            const int p = GB_MDS_PITCH_LO + t - GB_MDS_PITCH_BASE - shift;
            code[i] = (int16_t)(p < 0 ? 0 : p > 127 ? 127 : p);
        } else
            code[i] = GB_MCOPY_REST;
    }
}

void gb_melody_copy_free(gb_melody_copy_t *c)
{
    if (!c)
        return;
    for (int k = 0; k < 2; k++) {
        free(c->h[k]);
        free(c->t[k]);
    }
    for (int i = 0; c->names && i < c->n_tunes; i++)
        free(c->names[i]);
    free(c->names);
    free(c->splits);
    free(c);
}

static int entry_cmp(const void *a, const void *b)
{
    const entry_t *x = a, *y = b;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return x->tune < y->tune ? -1 : x->tune > y->tune;
}

/* Sort, drop repeats of one phrase in one tune, split into the arrays of set k. */
static int finish_set(gb_melody_copy_t *c, int k, entry_t *e, size_t n)
{
    if (n > 1)
        qsort(e, n, sizeof *e, entry_cmp);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || e[i].h != e[m - 1].h || e[i].tune != e[m - 1].tune)
            e[m++] = e[i];
    c->h[k] = malloc((m ? m : 1) * sizeof(uint64_t));
    c->t[k] = malloc((m ? m : 1) * sizeof(uint32_t));
    if (!c->h[k] || !c->t[k])
        return -1;
    for (size_t i = 0; i < m; i++) {
        c->h[k][i] = e[i].h;
        c->t[k][i] = e[i].tune;
    }
    c->n[k] = m;
    return 0;
}

static int set_tunes(gb_melody_copy_t *c, int n)
{
    c->n_tunes = n;
    c->names = calloc((size_t)n + 1, sizeof *c->names);
    c->splits = calloc((size_t)n + 1, 1);
    return c->names && c->splits ? 0 : -1;
}

gb_melody_copy_t *gb_melody_copy_from_ds(const gb_melody_ds_t *ds, gb_error_t *err)
{
    gb_melody_copy_t *c = calloc(1, sizeof *c);
    entry_t *e[2] = {malloc(((size_t)ds->n_records + 1) * sizeof(entry_t)),
                     malloc(((size_t)ds->n_records + 1) * sizeof(entry_t))};
    int ok = c && e[0] && e[1] && set_tunes(c, ds->n_tunes) == 0;
    for (int i = 0; ok && i < ds->n_tunes; i++) {
        ok = (c->names[i] = strdup(ds->tunes[i].name)) != NULL;
        c->splits[i] = "tve"[ds->tunes[i].split <= 2 ? ds->tunes[i].split : 2];
    }
    size_t n = 0;
    for (uint32_t i = 0; ok && i < ds->n_records; i++) {
        const gb_mds_record_t *r = &ds->records[i];
        if (r->transpose != 0 || (r->flags & 1) || (int)r->tune >= ds->n_tunes)
            continue;
        const int st = r->steps_per_bar, shift = ds->tunes[r->tune].shift;
        int16_t code[2 * S];
        gb_melody_copy_codes(r->context, st, shift, code);
        gb_melody_copy_codes(r->target, st, shift, code + st);
        for (int k = 0; k < 2; k++)
            e[k][n] = (entry_t){gb_melody_copy_hash(code, 2 * st, st, k), r->tune};
        n++;
    }
    ok = ok && finish_set(c, 0, e[0], n) == 0 && finish_set(c, 1, e[1], n) == 0;
    free(e[0]);
    free(e[1]);
    if (!ok) {
        gb_melody_copy_free(c);
        gb_error_set(err, GB_ENOMEM, "phrase hashes: out of memory");
        return NULL;
    }
    return c;
}

static const char *const aux_names[2][2] = {{"copy.exact", "copy.exact_tune"},
                                            {"copy.transposed", "copy.transposed_tune"}};

int gb_melody_copy_save_model(const char *path, const gb_nn_t *nn, const char *card_json,
                              const gb_melody_copy_t *c, gb_error_t *err)
{
    json_t *card = json_loads(card_json, 0, NULL), *names = json_array();
    if (!card || !names) {
        json_decref(card);
        json_decref(names);
        return gb_error_set(err, GB_EINVAL, "%s: the model card is not JSON", path);
    }
    for (int i = 0; i < c->n_tunes; i++)
        json_array_append_new(names, json_string(c->names[i]));
    json_object_set_new(card, "corpus", json_pack("{s:o, s:s}", "tunes", names, "splits",
                                                  c->splits));
    char *s = json_dumps(card, JSON_COMPACT | JSON_REAL_PRECISION(5));
    json_decref(card);
    if (!s)
        return gb_error_set(err, GB_ENOMEM, "%s: out of memory", path);
    gb_st_tensor_t aux[4];
    memset(aux, 0, sizeof aux);
    for (int k = 0; k < 2; k++) {
        aux[2 * k] = (gb_st_tensor_t){.name = aux_names[k][0], .dtype = GB_ST_U64, .ndim = 1,
                                      .shape = {(int64_t)c->n[k]}, .data = c->h[k]};
        aux[2 * k + 1] = (gb_st_tensor_t){.name = aux_names[k][1], .dtype = GB_ST_U32,
                                          .ndim = 1, .shape = {(int64_t)c->n[k]},
                                          .data = c->t[k]};
    }
    const int rc = gb_model_save_aux_any(path, nn, s, aux, 4, err);
    free(s);
    return rc;
}

static int bad(gb_melody_copy_t *c, gb_error_t *err, const gb_model_t *m, const char *what)
{
    gb_melody_copy_free(c);
    return gb_error_set(err, GB_EFORMAT, "%s: no usable phrase hashes (%s); a melody GAN "
                        "generator saved by this gbac's `gbac train melody` has them",
                        gb_model_name(m), what);
}

gb_melody_copy_t *gb_melody_copy_from_model(const gb_model_t *m, gb_error_t *err)
{
    gb_melody_copy_t *c = calloc(1, sizeof *c);
    const json_t *corpus = json_object_get(gb_model_card(m), "corpus");
    const json_t *names = json_object_get(corpus, "tunes");
    const char *splits = json_string_value(json_object_get(corpus, "splits"));
    if (!c || !json_is_array(names) || !splits ||
        strlen(splits) != json_array_size(names) || json_array_size(names) > 1000000) {
        bad(c, err, m, "the card has no corpus with tunes and splits");
        return NULL;
    }
    if (set_tunes(c, (int)json_array_size(names)) < 0) {
        gb_melody_copy_free(c);
        gb_error_set(err, GB_ENOMEM, "out of memory");
        return NULL;
    }
    memcpy(c->splits, splits, (size_t)c->n_tunes);
    for (int i = 0; i < c->n_tunes; i++) {
        const char *s = json_string_value(json_array_get(names, (size_t)i));
        if (!s || !(c->names[i] = strdup(s))) {
            bad(c, err, m, "a tune name is not a string");
            return NULL;
        }
    }
    for (int k = 0; k < 2; k++) {
        gb_model_aux_t h, t;
        if (gb_model_aux_get(m, aux_names[k][0], &h) || gb_model_aux_get(m, aux_names[k][1], &t) ||
            h.dtype != GB_ST_U64 || t.dtype != GB_ST_U32 || h.ndim != 1 || t.ndim != 1 ||
            h.count != t.count) {
            bad(c, err, m, "aux.copy.* tensors missing or of the wrong dtype or size");
            return NULL;
        }
        c->n[k] = (size_t)h.count;
        c->h[k] = malloc((c->n[k] ? c->n[k] : 1) * sizeof(uint64_t));
        c->t[k] = malloc((c->n[k] ? c->n[k] : 1) * sizeof(uint32_t));
        if (!c->h[k] || !c->t[k]) {
            gb_melody_copy_free(c);
            gb_error_set(err, GB_ENOMEM, "out of memory");
            return NULL;
        }
        memcpy(c->h[k], h.data, c->n[k] * sizeof(uint64_t));
        memcpy(c->t[k], t.data, c->n[k] * sizeof(uint32_t));
        for (size_t i = 0; i < c->n[k]; i++)
            if ((i && c->h[k][i] < c->h[k][i - 1]) || c->t[k][i] >= (uint32_t)c->n_tunes) {
                bad(c, err, m, "hashes not sorted or a tune index out of range");
                return NULL;
            }
    }
    return c;
}

int gb_melody_copy_find(const gb_melody_copy_t *c, uint64_t h, int transposed, int *tunes,
                        int cap)
{
    const int k = transposed ? 1 : 0;
    size_t lo = 0, hi = c->n[k];
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (c->h[k][mid] < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    int found = 0;
    for (size_t i = lo; i < c->n[k] && c->h[k][i] == h; i++) {
        if (tunes && found < cap)
            tunes[found] = (int)c->t[k][i];
        found++;
    }
    return found;
}

size_t gb_melody_copy_count(const gb_melody_copy_t *c, int transposed)
{
    return c->n[transposed ? 1 : 0];
}

int gb_melody_copy_n_tunes(const gb_melody_copy_t *c)
{
    return c->n_tunes;
}

const char *gb_melody_copy_tune(const gb_melody_copy_t *c, int i, int *split)
{
    if (i < 0 || i >= c->n_tunes)
        return NULL;
    if (split)
        *split = c->splits[i] == 't' ? 0 : c->splits[i] == 'v' ? 1 : 2;
    return c->names[i];
}
