/* gb_melgan_data.c — the melody GAN trainer's view of the dataset: each record's neighbours
 * (the bar before the previous one, the bar after), phrase positions, and conditioning.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "gb_melgan_priv.h"

uint64_t mg_stream(uint32_t seed, int phase, uint64_t n)
{
    uint64_t s = ((uint64_t)seed << 32) ^ ((uint64_t)(phase + 1) * 0x9e3779b97f4a7c15ull) ^
                 (n * 0xd1b54a32d192ed03ull);
    (void)gb_melgen_rng_next(&s);
    return s;
}

static int same_run(const gb_mds_record_t *a, const gb_mds_record_t *b)
{
    return a->tune == b->tune && a->transpose == b->transpose;
}

int mg_index_build(mg_index_t *x, const gb_melody_ds_t *ds, gb_error_t *err)
{
    memset(x, 0, sizeof *x);
    x->ds = ds;
    const uint32_t n = ds->n_records;
    x->prev = malloc(((size_t)n + 1) * sizeof *x->prev);
    x->next = malloc(((size_t)n + 1) * sizeof *x->next);
    x->phrase = malloc((size_t)n + 1);
    x->train = malloc(((size_t)n + 1) * sizeof *x->train);
    x->val = malloc(((size_t)n + 1) * sizeof *x->val);
    x->adv = malloc(((size_t)n + 1) * sizeof *x->adv);
    uint8_t *pickup = calloc((size_t)ds->n_tunes + 1, 1), *seen = calloc((size_t)ds->n_tunes + 1, 1);
    if (!x->prev || !x->next || !x->phrase || !x->train || !x->val || !x->adv || !pickup ||
        !seen) {
        free(pickup);
        free(seen);
        mg_index_free(x);
        return gb_error_set(err, GB_ENOMEM, "melody GAN: out of memory");
    }
    /* A tune starts with a pickup when its first bar starts with a rest (or is all rests and
     * so has no record): the Nottingham files pad the anacrusis to a whole bar. */
    for (uint32_t i = 0; i < n; i++) {
        const gb_mds_record_t *r = &ds->records[i];
        if (r->transpose != 0 || (int)r->tune >= ds->n_tunes || seen[r->tune])
            continue;
        seen[r->tune] = 1;
        pickup[r->tune] = r->bar > 0 || r->target[0] == GB_MDS_REST;
    }
    for (uint32_t i = 0; i < n; i++) {
        const gb_mds_record_t *r = &ds->records[i];
        x->prev[i] = i > 0 && same_run(&ds->records[i - 1], r) &&
                             ds->records[i - 1].bar + 1 == r->bar
                         ? (int32_t)(i - 1)
                         : -1;
        x->next[i] = i + 1 < n && same_run(&ds->records[i + 1], r) &&
                             ds->records[i + 1].bar == r->bar + 1
                         ? (int32_t)(i + 1)
                         : -1;
        const int p = (int)r->bar - ((int)r->tune < ds->n_tunes ? pickup[r->tune] : 0);
        x->phrase[i] = (uint8_t)(((p % GB_MELGEN_PHRASE) + GB_MELGEN_PHRASE) % GB_MELGEN_PHRASE);
        if (r->split == GB_MDS_TRAIN) {
            x->train[x->n_train++] = i;
            if (x->next[i] >= 0)
                x->adv[x->n_adv++] = i;
        } else if (r->split == GB_MDS_VALIDATION) {
            x->val[x->n_val++] = i;
        }
    }
    free(pickup);
    free(seen);
    return 0;
}

void mg_index_free(mg_index_t *x)
{
    free(x->prev);
    free(x->next);
    free(x->phrase);
    free(x->train);
    free(x->val);
    free(x->adv);
    memset(x, 0, sizeof *x);
}

static void rests(uint8_t *bar, int steps)
{
    for (int s = 0; s < MG_S; s++)
        bar[s] = s < steps ? GB_MDS_REST : GB_MDS_PAD;
}

/* The context of the record `hops` bars back from i (its bar − hops − 1), or rests. */
static void back(const mg_index_t *x, uint32_t i, int hops, int steps, uint8_t *out)
{
    int32_t r = (int32_t)i;
    for (int h = 0; h < hops && r >= 0; h++)
        r = x->prev[r];
    if (r >= 0)
        memcpy(out, x->ds->records[r].context, MG_S);
    else
        rests(out, steps);
}

void mg_record_cond(const mg_index_t *x, uint32_t i, int chord, int dens, gb_melgen_cond_t *c)
{
    const gb_mds_record_t *r = &x->ds->records[i];
    memset(c, 0, sizeof *c);
    c->steps = r->steps_per_bar;
    memcpy(c->prev1, r->context, MG_S);
    back(x, i, 1, c->steps, c->prev2);
    back(x, i, 3, c->steps, c->prev4);
    c->num = r->meter_num;
    c->den = r->meter_den;
    c->mode = r->mode;
    c->key = ((r->transpose % 12) + 12) % 12;
    c->phrase_pos = x->phrase[i];
    c->density = dens ? r->density : -1;
    c->chord = chord;
}

void mg_next_cond(const mg_index_t *x, uint32_t i, const uint8_t *bar, int chord, int dens,
                  gb_melgen_cond_t *c)
{
    const gb_mds_record_t *r = &x->ds->records[i];
    const uint32_t j = x->next[i] >= 0 ? (uint32_t)x->next[i] : i;
    mg_record_cond(x, j, chord, dens, c);
    memcpy(c->prev2, r->context, MG_S);
    memcpy(c->prev1, bar, MG_S);
}
