/* gb_cost.c — the periods' cost on the main thread (see gb_cost.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_cost.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIN_PCT 0.1   /* histogram step, % of the period */
#define N_BINS 4000   /* 0 .. 400 %; the last bin holds everything above */

typedef struct unit_acc {
    char name[GB_SLOT_NAME_MAX];
    char id[128];
    double sum_pct, max_pct;
} unit_acc_t;

/* gbac's callback time over some periods: their count, the worst, a histogram for the p99. */
typedef struct cb_acc {
    uint64_t periods;
    double max_pct;
    uint32_t hist[N_BINS];
} cb_acc_t;

struct gb_cost {
    cb_acc_t all, win; /* since start; since gb_cost_window_start */
    uint64_t serial;  /* engine the units below belong to (0: none yet) */
    int n_units;
    uint64_t unit_periods;
    unit_acc_t u[GB_ENGINE_MAX_UNITS];
};

gb_cost_t *gb_cost_new(void)
{
    return calloc(1, sizeof(gb_cost_t));
}

void gb_cost_free(gb_cost_t *c)
{
    free(c);
}

void gb_cost_follow(gb_cost_t *c, const gb_engine_t *eng)
{
    if (!c || !eng || c->serial == gb_engine_serial(eng))
        return;
    c->serial = gb_engine_serial(eng);
    c->n_units = gb_engine_unit_count(eng);
    c->unit_periods = 0;
    for (int i = 0; i < c->n_units; i++) {
        const char *slot = "", *id = "";
        gb_engine_unit_name(eng, i, &slot, &id);
        unit_acc_t *u = &c->u[i];
        memset(u, 0, sizeof *u);
        snprintf(u->name, sizeof u->name, "%s", slot);
        snprintf(u->id, sizeof u->id, "%s", id);
    }
}

static void acc_add(cb_acc_t *a, double pct)
{
    a->periods++;
    a->max_pct = pct > a->max_pct ? pct : a->max_pct;
    const long bin = (long)(pct / BIN_PCT);
    a->hist[bin < N_BINS - 1 ? bin : N_BINS - 1]++;
}

void gb_cost_window_start(gb_cost_t *c)
{
    if (c)
        memset(&c->win, 0, sizeof c->win);
}

void gb_cost_add(gb_cost_t *c, const gb_live_cost_t *rec, const gb_engine_t *eng,
                 double sample_rate)
{
    if (!c || !rec->frames || sample_rate <= 0)
        return;
    const double period_ns = rec->frames * 1e9 / sample_rate;
    const double pct = rec->process_ns * 100.0 / period_ns;
    acc_add(&c->all, pct);
    acc_add(&c->win, pct);
    gb_cost_follow(c, eng);
    if (!eng || rec->serial != gb_engine_serial(eng))
        return;
    const int n = (int)rec->n_units < c->n_units ? (int)rec->n_units : c->n_units;
    c->unit_periods++;
    for (int i = 0; i < n; i++) {
        const double up = rec->unit_ns[i] * 100.0 / period_ns;
        c->u[i].sum_pct += up;
        c->u[i].max_pct = up > c->u[i].max_pct ? up : c->u[i].max_pct;
    }
}

uint64_t gb_cost_periods(const gb_cost_t *c)
{
    return c ? c->all.periods : 0;
}

double gb_cost_process_max_pct(const gb_cost_t *c)
{
    return c ? c->all.max_pct : 0.0;
}

/* The upper edge of the bin that holds the 99th percentile, but never above the worst. */
static double acc_p99(const cb_acc_t *a)
{
    if (!a->periods)
        return 0.0;
    const uint64_t want = a->periods - a->periods / 100; /* periods at or below p99 */
    uint64_t seen = 0;
    int b = 0;
    while (b < N_BINS - 1 && (seen += a->hist[b]) < want)
        b++;
    const double edge = (b + 1) * BIN_PCT;
    return edge < a->max_pct ? edge : a->max_pct;
}

double gb_cost_process_p99_pct(const gb_cost_t *c)
{
    return c ? acc_p99(&c->all) : 0.0;
}

/* A figure for JSON: 0.001 % is below what the clocks resolve. */
static double r3(double x)
{
    return round(x * 1000.0) / 1000.0;
}

static double mean_pct(const gb_cost_t *c, int i)
{
    return c->unit_periods ? c->u[i].sum_pct / (double)c->unit_periods : 0.0;
}

int gb_cost_to_json(const gb_cost_t *c, json_t *obj)
{
    if (!c)
        return GB_OK;
    json_t *units = json_array();
    if (!units)
        return GB_ENOMEM;
    for (int i = 0; i < c->n_units; i++)
        if (json_array_append_new(units, json_pack("{s:s, s:s, s:f, s:f}", "name",
                                                   c->u[i].name, "unit", c->u[i].id,
                                                   "mean_pct", r3(mean_pct(c, i)), "max_pct",
                                                   r3(c->u[i].max_pct))) != 0) {
            json_decref(units);
            return GB_ENOMEM;
        }
    if (json_object_set_new(obj, "process_max_pct", json_real(r3(gb_cost_process_max_pct(c)))) ||
        json_object_set_new(obj, "process_p99_pct", json_real(r3(gb_cost_process_p99_pct(c)))) ||
        json_object_set_new(obj, "window_process_max_pct", json_real(r3(c->win.max_pct))) ||
        json_object_set_new(obj, "window_process_p99_pct", json_real(r3(acc_p99(&c->win)))) ||
        json_object_set_new(obj, "window_periods", json_integer((json_int_t)c->win.periods)) ||
        json_object_set_new(obj, "cost_periods", json_integer((json_int_t)c->unit_periods)) ||
        json_object_set_new(obj, "units", units))
        return GB_ENOMEM;
    return GB_OK;
}

void gb_cost_line(const gb_cost_t *c, char *buf, size_t cap)
{
    int w = snprintf(buf, cap, "cpu: gbac %.1f %% max, %.1f %% p99", gb_cost_process_max_pct(c),
                     gb_cost_process_p99_pct(c));
    size_t used = w > 0 ? (size_t)w : 0;
    for (int i = 0; c && i < c->n_units && used < cap; i++) {
        w = snprintf(buf + used, cap - used, " | %s %.1f/%.1f %%", c->u[i].name, mean_pct(c, i),
                     c->u[i].max_pct);
        used += w > 0 ? (size_t)w : 0;
    }
}
