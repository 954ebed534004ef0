/* gb_listen_results.c — a listening test's answers, summary and file (gb_listen_results.h;
 * reading a file back: gb_listen_read.c).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_listen_results.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gb_binom.h"

const char *gb_listen_source_name(int kind, int source)
{
    static const char *const names[2][2] = {{"real", "generated"}, {"model_a", "model_b"}};
    return names[kind == GB_LISTEN_MODEL_VS_MODEL][source != 0];
}

const char *gb_listen_question_key(int question)
{
    return question == GB_LISTEN_PREFER ? "prefer" : "human";
}

const char *gb_listen_question_text(int question)
{
    return question == GB_LISTEN_PREFER ? "Which do you prefer?" : "Which is the human's?";
}

int gb_listen_source_at(const gb_listen_pair_t *p, int side)
{
    return p->a_source ^ (side != 0);
}

int gb_listen_answered(const gb_listen_test_t *t, int pair)
{
    for (int i = 0; i < t->n_choices; i++)
        if (t->choice[i].pair == pair)
            return 1;
    return 0;
}

int gb_listen_choose(gb_listen_test_t *t, int pair, int picked, int plays_a, int plays_b,
                     double t_s, const char *time, gb_error_t *err)
{
    if (pair < 0 || pair >= t->n_pairs)
        return gb_error_set(err, GB_EINVAL, "pair %d does not exist (the test has pairs 0..%d)",
                            pair, t->n_pairs - 1);
    if (picked != 0 && picked != 1)
        return gb_error_set(err, GB_EINVAL, "pick clip a or b of pair %d", pair);
    if (plays_a < 0 || plays_b < 0)
        return gb_error_set(err, GB_EINVAL, "pair %d: play counts cannot be negative", pair);
    if (gb_listen_answered(t, pair))
        return gb_error_set(err, GB_EINVAL, "pair %d has been answered already", pair);
    gb_listen_choice_t *c = &t->choice[t->n_choices++];
    *c = (gb_listen_choice_t){.pair = pair, .picked = picked, .plays_a = plays_a,
                              .plays_b = plays_b, .t_s = t_s};
    snprintf(c->time, sizeof c->time, "%s", time ? time : "");
    return GB_OK;
}

void gb_listen_summarise(const gb_listen_test_t *t, gb_listen_summary_t *s)
{
    memset(s, 0, sizeof *s);
    s->pairs = t->n_pairs;
    s->choices = t->n_choices;
    s->complete = t->n_pairs > 0 && t->n_choices == t->n_pairs;
    for (int i = 0; i < t->n_choices; i++) {
        const gb_listen_choice_t *c = &t->choice[i];
        s->count[gb_listen_source_at(&t->pair[c->pair], c->picked)]++;
    }
    s->rate = s->choices ? (double)s->count[0] / s->choices : NAN;
    gb_binom_clopper_pearson(s->count[0], s->choices, GB_LISTEN_CI_LEVEL, &s->ci_low,
                             &s->ci_high);
    s->p_value = gb_binom_test_half(s->count[0], s->choices);
}

static json_t *real_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *gb_listen_summary_json(const gb_listen_test_t *t, const gb_listen_summary_t *s)
{
    const char *s0 = gb_listen_source_name(t->kind, 0), *s1 = gb_listen_source_name(t->kind, 1);
    const int human = t->question == GB_LISTEN_HUMAN;
    return json_pack("{s:i, s:i, s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:o, s:s, s:f, s:f, s:f, "
                     "s:f}",
                     "pairs", s->pairs, "choices", s->choices, "complete", s->complete,
                     "counts", s0, s->count[0], s1, s->count[1],
                     "correct", human ? json_integer(s->count[0]) : json_null(),
                     "accuracy", human ? real_or_null(s->rate) : json_null(),
                     "rate_of", s0, "rate", real_or_null(s->rate),
                     "ci_method", GB_LISTEN_CI_METHOD, "ci_level", GB_LISTEN_CI_LEVEL,
                     "ci_low", s->ci_low, "ci_high", s->ci_high, "p_value", s->p_value);
}

static json_t *pair_json(const gb_listen_test_t *t, int i)
{
    const gb_listen_pair_t *p = &t->pair[i];
    char meter[24];
    snprintf(meter, sizeof meter, "%d/%d", p->meter_num, p->meter_den);
    return json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:f}", "pair", i, "tune",
                     p->tune, "meter", meter,
                     "a", gb_listen_source_name(t->kind, gb_listen_source_at(p, 0)),
                     "b", gb_listen_source_name(t->kind, gb_listen_source_at(p, 1)),
                     "clip_a", p->clip_a, "clip_b", p->clip_b, "frames", (json_int_t)p->frames,
                     "seconds", t->sample_rate > 0 ? (double)p->frames / t->sample_rate : 0.0);
}

static json_t *choice_json(const gb_listen_test_t *t, int i)
{
    const gb_listen_choice_t *c = &t->choice[i];
    const int src = gb_listen_source_at(&t->pair[c->pair], c->picked);
    return json_pack("{s:i, s:s, s:s, s:o, s:i, s:i, s:s, s:f}", "pair", c->pair,
                     "picked", c->picked ? "b" : "a",
                     "source", gb_listen_source_name(t->kind, src),
                     "correct", t->question == GB_LISTEN_HUMAN ? json_boolean(src == 0)
                                                                : json_null(),
                     "plays_a", c->plays_a, "plays_b", c->plays_b, "time", c->time,
                     "t_s", c->t_s);
}

/* The lists of pairs and choices; 0, or -1 when out of memory. */
static int add_lists(json_t *o, const gb_listen_test_t *t)
{
    json_t *pairs = json_array(), *choices = json_array();
    int bad = json_object_set_new(o, "pairs", pairs) || json_object_set_new(o, "choices",
                                                                           choices);
    for (int i = 0; !bad && i < t->n_pairs; i++)
        bad = json_array_append_new(pairs, pair_json(t, i));
    for (int i = 0; !bad && i < t->n_choices; i++)
        bad = json_array_append_new(choices, choice_json(t, i));
    return bad ? -1 : 0;
}

json_t *gb_listen_json(const gb_listen_test_t *t)
{
    gb_listen_summary_t s;
    gb_listen_summarise(t, &s);
    json_t *o = json_pack(
        "{s:s, s:s, s:[s, s], s:s, s:s, s:s, s:o, s:s, s:s, s:i, s:i, s:f, s:i, s:s}",
        "format", GB_LISTEN_FORMAT,
        "kind", t->kind == GB_LISTEN_MODEL_VS_MODEL ? "model-vs-model" : "real-vs-generated",
        "sources", gb_listen_source_name(t->kind, 0), gb_listen_source_name(t->kind, 1),
        "question", gb_listen_question_key(t->question),
        "question_text", gb_listen_question_text(t->question), "model", t->model,
        "model_b", t->model_b[0] ? json_string(t->model_b) : json_null(), "data", t->data,
        "preset", t->preset, "seed", t->seed, "bars", t->bars, "tempo_bpm", t->tempo,
        "sample_rate", t->sample_rate, "started", t->started);
    if (o && (add_lists(o, t) || json_object_set_new(o, "summary",
                                                     gb_listen_summary_json(t, &s)))) {
        json_decref(o);
        o = NULL;
    }
    return o;
}

int gb_listen_write(const gb_listen_test_t *t, const char *path, gb_error_t *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    json_t *o = gb_listen_json(t);
    int rc = o ? json_dump_file(o, tmp, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) : -1;
    json_decref(o);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0) {
        remove(tmp);
        return gb_error_set(err, GB_EIO, "%s: cannot write the results", path);
    }
    return GB_OK;
}
