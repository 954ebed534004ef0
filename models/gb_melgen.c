/* gb_melgen.c — the melody generator's features and its batched autoregressive sampler.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_melgen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define S GB_MDS_MAX_STEPS
#define V GB_MDS_VOCAB

int gb_melgen_meter_class(int num, int den)
{
    if (num == 4 && den == 4)
        return 0;
    if (num == 3 && den == 4)
        return 1;
    if (num == 6 && den == 8)
        return 2;
    return 3;
}

static int is_pitch(int t)
{
    return t >= GB_MDS_PITCH_BASE && t < V;
}

void gb_melgen_bar_features(const uint8_t *bar, int steps, float *out)
{
    memset(out, 0, GB_MELGEN_BAR_FEAT * sizeof(float));
    int pitch = -1; /* sounding, for holds */
    const float share = steps > 0 ? 1.0f / (float)steps : 0.0f;
    for (int i = 0; i < S && i < steps; i++) {
        const int t = bar[i];
        float *f = out + 3 * i;
        if (is_pitch(t)) {
            pitch = GB_MDS_PITCH_LO + t - GB_MDS_PITCH_BASE;
            f[0] = 1.0f;
        } else if (t != GB_MDS_HOLD) {
            pitch = -1;
        }
        if (pitch >= 0) {
            f[1] = 1.0f;
            f[2] = (float)(pitch - 72) / 12.0f;
            out[3 * S + pitch % 12] += share;
        }
    }
}

/* the meter/key block (GB_MELGEN_MK floats) */
static void put_meter_key(const gb_melgen_cond_t *c, float *m)
{
    memset(m, 0, GB_MELGEN_MK * sizeof(float));
    m[GB_MELGEN_MK_METER + gb_melgen_meter_class(c->num, c->den)] = 1.0f;
    m[GB_MELGEN_MK_STEPS] = (float)c->steps / 16.0f;
    m[GB_MELGEN_MK_MODE] = c->mode ? 1.0f : 0.0f;
    m[GB_MELGEN_MK_KEY + ((c->key % 12) + 12) % 12] = 1.0f;
}

/* the phrase position one-hot (GB_MELGEN_PHRASE floats) and the chord block
 * (GB_MELGEN_CHORD floats) */
static void put_phrase_chord(const gb_melgen_cond_t *c, float *phrase, float *chord)
{
    memset(phrase, 0, GB_MELGEN_PHRASE * sizeof(float));
    phrase[((c->phrase_pos % GB_MELGEN_PHRASE) + GB_MELGEN_PHRASE) % GB_MELGEN_PHRASE] = 1.0f;
    for (int k = 0; k < 12; k++)
        chord[k] = (float)((c->chord >> k) & 1);
    chord[12] = (c->chord & 0xfff) ? 0.0f : 1.0f;
}

void gb_melgen_cond_vector(const gb_melgen_cond_t *c, const float *z, float *out)
{
    gb_melgen_bar_features(c->prev1, c->steps, out + GB_MELGEN_C_PREV1);
    gb_melgen_bar_features(c->prev2, c->steps, out + GB_MELGEN_C_PREV2);
    gb_melgen_bar_features(c->prev4, c->steps, out + GB_MELGEN_C_PREV4);
    put_meter_key(c, out + GB_MELGEN_C_METER);
    put_phrase_chord(c, out + GB_MELGEN_C_PHRASE, out + GB_MELGEN_C_CHORD);
    out[GB_MELGEN_C_DENSITY] = c->density >= 0 ? (float)c->density / 16.0f : 0.0f;
    out[GB_MELGEN_C_DENSITY + 1] = c->density >= 0 ? 1.0f : 0.0f;
    for (int d = 0; d < GB_MELGEN_Z; d++)
        out[GB_MELGEN_C_Z + d] = z ? z[d] : 0.0f;
}

void gb_melgen_refs(const gb_melgen_cond_t *c, uint8_t *refs)
{
    memcpy(refs, c->prev1, S);
    memcpy(refs + S, c->prev2, S);
    memcpy(refs + 2 * S, c->prev4, S);
}

void gb_melgen_step_input(int prev_tok, int s, const uint8_t *refs, const int *match,
                          const float *cond, float *x)
{
    memset(x, 0, GB_MELGEN_IN_COND * sizeof(float));
    if (prev_tok >= 0 && prev_tok < V)
        x[prev_tok] = 1.0f;
    if (s >= 0 && s < S)
        x[GB_MELGEN_IN_STEP + s] = 1.0f;
    for (int i = 0; i < GB_MELGEN_REFS; i++) {
        float *r = x + GB_MELGEN_IN_REF + i * (V + 1);
        const int t = s >= 0 && s < S ? refs[i * S + s] : GB_MDS_PAD;
        if (t < V)
            r[t] = 1.0f;
        r[V] = match[i] ? 1.0f : 0.0f;
    }
    memcpy(x + GB_MELGEN_IN_COND, cond, GB_MELGEN_COND * sizeof(float));
}

static int len_class(int n)
{
    return n <= 4 ? n - 1 : n <= 6 ? 4 : n <= 8 ? 5 : n <= 12 ? 6 : 7;
}

static int interval_class(int d)
{
    d = d < 0 ? -d : d;
    return d <= 2 ? d : d <= 4 ? 3 : d <= 7 ? 4 : d <= 12 ? 5 : 6;
}

void gb_melgen_bar_stats(const uint8_t *before, const uint8_t *bar, int steps, float *out)
{
    memset(out, 0, GB_MELGEN_BAR_STATS * sizeof(float));
    float *nl = out + GB_MELGEN_ST_LENGTH, *ioi = out + GB_MELGEN_ST_IOI;
    float *iv = out + GB_MELGEN_ST_INTERVAL, *last = out + GB_MELGEN_ST_LAST;
    int pitch = -1; /* the last note of the bar before */
    for (int i = 0; i < steps && i < S; i++)
        if (is_pitch(before[i]))
            pitch = GB_MDS_PITCH_LO + before[i] - GB_MDS_PITCH_BASE;
    int onsets = 0, prev_on = -1, cur_on = -1, n_nl = 0, n_ioi = 0, n_iv = 0;
    for (int i = 0; i <= steps && i <= S; i++) {
        const int t = i < steps && i < S ? bar[i] : GB_MDS_REST;
        const int ends = i == steps || i == S || t != GB_MDS_HOLD;
        if (cur_on >= 0 && ends) { /* the note from cur_on ends at i */
            nl[len_class(i - cur_on)] += 1.0f;
            n_nl++;
            cur_on = -1;
        }
        if (i < steps && i < S && is_pitch(t)) {
            const int p = GB_MDS_PITCH_LO + t - GB_MDS_PITCH_BASE;
            if (prev_on >= 0) {
                ioi[len_class(i - prev_on)] += 1.0f;
                n_ioi++;
            }
            if (pitch >= 0) {
                iv[interval_class(p - pitch)] += 1.0f;
                n_iv++;
            }
            pitch = p;
            prev_on = cur_on = i;
            onsets++;
        }
    }
    out[GB_MELGEN_ST_ONSETS] = (float)onsets / 16.0f;
    for (int k = 0; k < 8; k++) {
        nl[k] = n_nl ? nl[k] / (float)n_nl : 0.0f;
        ioi[k] = n_ioi ? ioi[k] / (float)n_ioi : 0.0f;
    }
    for (int k = 0; k < 7; k++)
        iv[k] = n_iv ? iv[k] / (float)n_iv : 0.0f;
    if (pitch >= 0)
        last[pitch % 12] = 1.0f;
}

void gb_melgen_critic_input(const gb_melgen_cond_t *c, const uint8_t *bar, float *out)
{
    gb_melgen_bar_features(c->prev4, c->steps, out + GB_MELGEN_K_PREV4);
    gb_melgen_bar_features(c->prev2, c->steps, out + GB_MELGEN_K_PREV2);
    gb_melgen_bar_features(c->prev1, c->steps, out + GB_MELGEN_K_PREV1);
    gb_melgen_bar_features(bar, c->steps, out + GB_MELGEN_K_BAR);
    put_meter_key(c, out + GB_MELGEN_K_METER);
    put_phrase_chord(c, out + GB_MELGEN_K_PHRASE, out + GB_MELGEN_K_CHORD);
    float *e = out + GB_MELGEN_K_REPEAT;
    const uint8_t *ref[GB_MELGEN_REFS] = {c->prev1, c->prev2, c->prev4};
    for (int i = 0; i < GB_MELGEN_REFS; i++) {
        int same = 0, n = 0;
        for (int k = 0; k < c->steps && k < S; k++, n++)
            same += bar[k] == ref[i][k];
        e[2 * i] = n && same == n ? 1.0f : 0.0f;
        e[2 * i + 1] = n ? (float)same / (float)n : 0.0f;
    }
    gb_melgen_bar_stats(c->prev2, c->prev1, c->steps, out + GB_MELGEN_K_STATS1);
    gb_melgen_bar_stats(c->prev1, bar, c->steps, out + GB_MELGEN_K_STATS);
}

int gb_melgen_last_token(const uint8_t *bar, int steps, int *last)
{
    int prev = GB_MDS_REST, lit = GB_MDS_REST;
    for (int i = 0; i < steps && i < S; i++) {
        const int t = bar[i] == GB_MDS_PAD ? GB_MDS_REST : bar[i];
        lit = t;
        if (t != GB_MDS_HOLD)
            prev = t;
    }
    if (last)
        *last = lit;
    return prev;
}

int gb_melgen_onsets(const uint8_t *bar, int steps)
{
    int n = 0;
    for (int i = 0; i < steps && i < S; i++)
        n += is_pitch(bar[i]);
    return n;
}

int gb_melgen_bar_triad(const uint8_t *bar, int steps, int num, int den)
{
    /* beats: every quarter in x/4, every dotted quarter in compound x/8 */
    const int beat = den == 8 && num % 3 == 0 ? 6 : den == 8 ? 2 : den == 2 ? 8 : 4;
    float w[12] = {0};
    int pitch = -1, any = 0;
    for (int i = 0; i < steps && i < S; i++) {
        const int t = bar[i];
        if (is_pitch(t))
            pitch = GB_MDS_PITCH_LO + t - GB_MDS_PITCH_BASE;
        else if (t != GB_MDS_HOLD)
            pitch = -1;
        if (pitch >= 0) {
            w[pitch % 12] += i % beat == 0 ? 2.0f : 1.0f;
            any = 1;
        }
    }
    if (!any)
        return 0;
    int best = 0;
    float best_s = -1.0f;
    for (int q = 0; q < 2; q++) /* major, then minor: a tie keeps the major */
        for (int r = 0; r < 12; r++) {
            const int third = (r + (q ? 3 : 4)) % 12, fifth = (r + 7) % 12;
            const float s = w[r] + w[third] + w[fifth];
            if (s > best_s + 1e-6f) {
                best_s = s;
                best = (1 << r) | (1 << third) | (1 << fifth);
            }
        }
    return best;
}

uint64_t gb_melgen_rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double gb_melgen_rng_unit(uint64_t *s)
{
    return ((double)(gb_melgen_rng_next(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

float gb_melgen_rng_normal(uint64_t *s)
{
    const double u1 = gb_melgen_rng_unit(s), u2 = gb_melgen_rng_unit(s);
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * GB_PI * u2));
}

int gb_melgen_draw(const float *logits, const float *bias, float temperature, int top_k,
                   int prev_sounding, uint64_t *rng)
{
    if (!(temperature > 0.0f))
        temperature = 1.0f;
    if (top_k <= 0 || top_k > V)
        top_k = V;
    float y[V];
    unsigned char keep[V];
    for (int k = 0; k < V; k++) {
        y[k] = logits[k] / temperature + (bias ? bias[k] : 0.0f);
        keep[k] = !(k == GB_MDS_HOLD && !prev_sounding) && isfinite(y[k]);
    }
    if (top_k < V) { /* the top_k largest allowed */
        unsigned char sel[V] = {0};
        for (int n = 0; n < top_k; n++) {
            int b = -1;
            for (int k = 0; k < V; k++)
                if (keep[k] && !sel[k] && (b < 0 || y[k] > y[b]))
                    b = k;
            if (b < 0)
                break;
            sel[b] = 1;
        }
        memcpy(keep, sel, sizeof keep);
    }
    float mx = -INFINITY;
    for (int k = 0; k < V; k++)
        if (keep[k] && y[k] > mx)
            mx = y[k];
    double p[V], sum = 0.0;
    for (int k = 0; k < V; k++)
        sum += p[k] = keep[k] ? exp((double)(y[k] - mx)) : 0.0;
    if (!(sum > 0.0))
        return GB_MDS_REST;
    const double u = gb_melgen_rng_unit(rng) * sum;
    double c = 0.0;
    int t = GB_MDS_REST;
    for (int k = 0; k < V; k++) {
        if (p[k] <= 0.0)
            continue;
        t = k;
        c += p[k];
        if (u < c)
            break;
    }
    return t;
}

/* ---- the sampler ------------------------------------------------------------------------ */

struct gb_melgen_job {
    int max_rows, rows, step, steps, top_k;
    float temperature;
    const float *bias;
    float *cond;            /* rows × GB_MELGEN_COND */
    float *in, *logits;     /* rows × GB_MELGEN_STEP_IN, rows × V */
    uint64_t *rng;
    int *row_steps, *prev_tok, *sounding;
    int (*match)[GB_MELGEN_REFS];
    uint8_t (*refs)[GB_MELGEN_REFS * S];
    uint8_t (*bars)[S];
    float (*z)[GB_MELGEN_Z];
};

gb_melgen_job_t *gb_melgen_job_new(int max_rows, gb_error_t *err)
{
    if (max_rows < 1 || max_rows > GB_MELGEN_MAX_ROWS) {
        gb_error_set(err, GB_EINVAL, "melody sampler: %d rows (1..%d)", max_rows,
                     GB_MELGEN_MAX_ROWS);
        return NULL;
    }
    gb_melgen_job_t *j = calloc(1, sizeof *j);
    const size_t R = (size_t)max_rows;
    if (j) {
        j->max_rows = max_rows;
        j->cond = calloc(R * GB_MELGEN_COND, sizeof(float));
        j->in = calloc(R * GB_MELGEN_STEP_IN, sizeof(float));
        j->logits = calloc(R * V, sizeof(float));
        j->rng = calloc(R, sizeof *j->rng);
        j->row_steps = calloc(R, sizeof(int));
        j->prev_tok = calloc(R, sizeof(int));
        j->sounding = calloc(R, sizeof(int));
        j->bars = calloc(R, sizeof *j->bars);
        j->z = calloc(R, sizeof *j->z);
        j->match = calloc(R, sizeof *j->match);
        j->refs = calloc(R, sizeof *j->refs);
    }
    if (!j || !j->cond || !j->in || !j->logits || !j->rng || !j->row_steps || !j->prev_tok ||
        !j->sounding || !j->bars || !j->z || !j->match || !j->refs) {
        gb_melgen_job_free(j);
        gb_error_set(err, GB_ENOMEM, "melody sampler: out of memory");
        return NULL;
    }
    return j;
}

void gb_melgen_job_free(gb_melgen_job_t *j)
{
    if (!j)
        return;
    free(j->cond);
    free(j->in);
    free(j->logits);
    free(j->rng);
    free(j->row_steps);
    free(j->prev_tok);
    free(j->sounding);
    free(j->bars);
    free(j->z);
    free(j->match);
    free(j->refs);
    free(j);
}

void gb_melgen_job_begin(gb_melgen_job_t *j, int rows, float temperature, int top_k)
{
    j->rows = rows < 1 ? 1 : rows > j->max_rows ? j->max_rows : rows;
    j->temperature = temperature;
    j->top_k = top_k;
    j->step = 0;
    j->steps = 1;
    j->bias = NULL;
}

void gb_melgen_job_row(gb_melgen_job_t *j, int r, const gb_melgen_cond_t *c, const float *z,
                       uint64_t seed)
{
    if (r < 0 || r >= j->rows)
        return;
    const int steps = c->steps < 1 ? 1 : c->steps > S ? S : c->steps;
    for (int d = 0; d < GB_MELGEN_Z; d++)
        j->z[r][d] = z ? z[d] : 0.0f;
    gb_melgen_cond_vector(c, j->z[r], j->cond + (size_t)r * GB_MELGEN_COND);
    j->rng[r] = seed;
    j->row_steps[r] = steps;
    int last;
    const int prev = gb_melgen_last_token(c->prev1, steps, &last);
    j->prev_tok[r] = last;
    j->sounding[r] = is_pitch(prev);
    memset(j->bars[r], GB_MDS_PAD, S);
    gb_melgen_refs(c, j->refs[r]);
    for (int i = 0; i < GB_MELGEN_REFS; i++)
        j->match[r][i] = 1;
    if (steps > j->steps)
        j->steps = steps;
}

void gb_melgen_job_bias(gb_melgen_job_t *j, const float *bias)
{
    j->bias = bias;
}

int gb_melgen_job_step(gb_melgen_job_t *j, gb_nn_t *nn, int shared)
{
    if (j->step >= j->steps)
        return 0;
    const int s = j->step;
    if (s == 0)
        for (int r = 0; r < j->rows; r++)
            gb_nn_reset_slot(nn, r);
    for (int r = 0; r < j->rows; r++)
        gb_melgen_step_input(j->prev_tok[r], s, j->refs[r], j->match[r],
                             j->cond + (size_t)r * GB_MELGEN_COND,
                             j->in + (size_t)r * GB_MELGEN_STEP_IN);
    gb_nn_forward(nn, j->in, j->logits, j->rows);
    const float *bias = j->bias ? j->bias + (size_t)s * V : NULL;
    int tok0 = GB_MDS_REST;
    for (int r = 0; r < j->rows; r++) {
        int t;
        if (s >= j->row_steps[r]) {
            j->prev_tok[r] = -1; /* a pad: zero token input */
            continue;
        }
        if (shared && r > 0)
            t = tok0;
        else
            t = gb_melgen_draw(j->logits + (size_t)r * V, bias, j->temperature, j->top_k,
                               j->sounding[r], &j->rng[r]);
        if (r == 0)
            tok0 = t;
        j->bars[r][s] = (uint8_t)t;
        j->prev_tok[r] = t;
        for (int i = 0; i < GB_MELGEN_REFS; i++)
            j->match[r][i] &= j->refs[r][i * S + s] == t;
        if (t != GB_MDS_HOLD)
            j->sounding[r] = is_pitch(t);
    }
    j->step++;
    return j->steps - j->step;
}

int gb_melgen_job_rows(const gb_melgen_job_t *j) { return j->rows; }
int gb_melgen_job_next_step(const gb_melgen_job_t *j) { return j->step; }
int gb_melgen_job_steps(const gb_melgen_job_t *j) { return j->steps; }

const uint8_t *gb_melgen_job_bar(const gb_melgen_job_t *j, int r)
{
    return j->bars[r < 0 ? 0 : r >= j->rows ? j->rows - 1 : r];
}

const float *gb_melgen_job_z(const gb_melgen_job_t *j, int r)
{
    return j->z[r < 0 ? 0 : r >= j->rows ? j->rows - 1 : r];
}
