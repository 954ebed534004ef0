/* gb_gru_train.c — trainable GRU: forward through time and BPTT with sgemm.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_gru_train.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gb_nn.h"

struct gb_gru_train {
    int in, H, max_batch, max_steps;
    size_t n_params;
    float *params, *grads;
    /* what the backward needs, time-major */
    float *x;             /* steps × batch × in, a copy of the last input */
    float *gi;            /* steps × batch × 3H: W_ih x + b_ih */
    float *ghn;           /* steps × batch × H:  W_hn h + b_hn */
    float *r, *z, *n;     /* steps × batch × H */
    float *hs;            /* (steps + 1) × batch × H: h_0 .. h_T */
    float *dgi, *dgh;     /* steps × batch × 3H */
    float *gh;            /* batch × 3H scratch */
    float *drun;          /* batch × H: gradient flowing into h_{t-1} */
    int batch, steps;     /* of the last forward */
};

#define W_IH(g) ((g)->params)
#define W_HH(g) ((g)->params + (size_t)3 * (g)->H * (g)->in)
#define B_IH(g) (W_HH(g) + (size_t)3 * (g)->H * (g)->H)
#define B_HH(g) (B_IH(g) + (size_t)3 * (g)->H)

gb_gru_train_t *gb_gru_train_new(int in, int hidden, int max_batch, int max_steps,
                                 gb_error_t *err)
{
    if (in < 1 || in > GB_NN_MAX_DIM || hidden < 1 || hidden > GB_NN_MAX_DIM || max_batch < 1 ||
        max_steps < 1 || (size_t)max_batch * (size_t)max_steps > (1u << 22)) {
        gb_error_set(err, GB_EINVAL, "gru: bad sizes (in %d, hidden %d, batch %d, steps %d)",
                     in, hidden, max_batch, max_steps);
        return NULL;
    }
    gb_gru_train_t *g = calloc(1, sizeof *g);
    if (!g) {
        gb_error_set(err, GB_ENOMEM, "gru: out of memory");
        return NULL;
    }
    const size_t H = (size_t)hidden, TB = (size_t)max_batch * (size_t)max_steps;
    g->in = in;
    g->H = hidden;
    g->max_batch = max_batch;
    g->max_steps = max_steps;
    g->n_params = 3 * H * (size_t)in + 3 * H * H + 6 * H;
    g->params = calloc(g->n_params, sizeof(float));
    g->grads = calloc(g->n_params, sizeof(float));
    g->x = calloc(TB * (size_t)in, sizeof(float));
    g->gi = calloc(TB * 3 * H, sizeof(float));
    g->ghn = calloc(TB * H, sizeof(float));
    g->r = calloc(TB * H, sizeof(float));
    g->z = calloc(TB * H, sizeof(float));
    g->n = calloc(TB * H, sizeof(float));
    g->hs = calloc((TB + (size_t)max_batch) * H, sizeof(float));
    g->dgi = calloc(TB * 3 * H, sizeof(float));
    g->dgh = calloc(TB * 3 * H, sizeof(float));
    g->gh = calloc((size_t)max_batch * 3 * H, sizeof(float));
    g->drun = calloc((size_t)max_batch * H, sizeof(float));
    if (!g->params || !g->grads || !g->x || !g->gi || !g->ghn || !g->r || !g->z || !g->n ||
        !g->hs || !g->dgi || !g->dgh || !g->gh || !g->drun) {
        gb_gru_train_free(g);
        gb_error_set(err, GB_ENOMEM, "gru: out of memory");
        return NULL;
    }
    return g;
}

void gb_gru_train_free(gb_gru_train_t *g)
{
    if (!g)
        return;
    free(g->params);
    free(g->grads);
    free(g->x);
    free(g->gi);
    free(g->ghn);
    free(g->r);
    free(g->z);
    free(g->n);
    free(g->hs);
    free(g->dgi);
    free(g->dgh);
    free(g->gh);
    free(g->drun);
    free(g);
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void gb_gru_train_init(gb_gru_train_t *g, uint64_t seed)
{
    uint64_t s = seed ^ 0x3c6ef372fe94f82bull;
    const double k = 1.0 / sqrt((double)g->H);
    for (size_t i = 0; i < g->n_params; i++) {
        const double u = (double)(splitmix(&s) >> 11) * (1.0 / 9007199254740992.0);
        g->params[i] = (float)((2.0 * u - 1.0) * k);
    }
}

int gb_gru_train_in(const gb_gru_train_t *g) { return g->in; }
int gb_gru_train_hidden(const gb_gru_train_t *g) { return g->H; }
size_t gb_gru_train_n_params(const gb_gru_train_t *g) { return g->n_params; }
float *gb_gru_train_params(gb_gru_train_t *g) { return g->params; }
float *gb_gru_train_grads(gb_gru_train_t *g) { return g->grads; }

void gb_gru_train_zero_grad(gb_gru_train_t *g)
{
    memset(g->grads, 0, g->n_params * sizeof(float));
}

static float sigm(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

const float *gb_gru_train_forward(gb_gru_train_t *g, const float *x, const float *h0,
                                  int batch, int steps)
{
    batch = batch < 1 ? 1 : batch > g->max_batch ? g->max_batch : batch;
    steps = steps < 1 ? 1 : steps > g->max_steps ? g->max_steps : steps;
    g->batch = batch;
    g->steps = steps;
    const int H = g->H, H3 = 3 * H, TB = batch * steps;
    memcpy(g->x, x, (size_t)TB * (size_t)g->in * sizeof(float));
    /* the input projections of every step in one product */
    for (int row = 0; row < TB; row++)
        memcpy(g->gi + (size_t)row * H3, B_IH(g), (size_t)H3 * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, TB, H3, g->in, 1.0f, g->x, g->in,
                W_IH(g), g->in, 1.0f, g->gi, H3);
    if (h0)
        memcpy(g->hs, h0, (size_t)batch * (size_t)H * sizeof(float));
    else
        memset(g->hs, 0, (size_t)batch * (size_t)H * sizeof(float));
    for (int t = 0; t < steps; t++) {
        const float *hp = g->hs + (size_t)t * batch * H;
        float *hn = g->hs + (size_t)(t + 1) * batch * H;
        for (int b = 0; b < batch; b++)
            memcpy(g->gh + (size_t)b * H3, B_HH(g), (size_t)H3 * sizeof(float));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, H3, H, 1.0f, hp, H,
                    W_HH(g), H, 1.0f, g->gh, H3);
        const size_t o = (size_t)t * batch * H;
        for (int b = 0; b < batch; b++) {
            const float *gi = g->gi + ((size_t)t * batch + b) * H3, *gh = g->gh + (size_t)b * H3;
            for (int j = 0; j < H; j++) {
                const size_t k = o + (size_t)b * H + j;
                const float r = sigm(gi[j] + gh[j]), z = sigm(gi[H + j] + gh[H + j]);
                const float n = tanhf(gi[2 * H + j] + r * gh[2 * H + j]);
                g->r[k] = r;
                g->z[k] = z;
                g->n[k] = n;
                g->ghn[k] = gh[2 * H + j];
                hn[(size_t)b * H + j] = (1.0f - z) * n + z * hp[(size_t)b * H + j];
            }
        }
    }
    return g->hs + (size_t)batch * H;
}

static void col_sums(const float *m, int rows, int cols, float *acc)
{
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            acc[c] += m[(size_t)r * cols + c];
}

void gb_gru_train_backward(gb_gru_train_t *g, const float *dh, float *dx, float *dh0,
                           int batch, int steps)
{
    (void)batch;
    (void)steps; /* the last forward's sizes are used */
    const int B = g->batch, T = g->steps, H = g->H, H3 = 3 * H, TB = B * T;
    memset(g->drun, 0, (size_t)B * H * sizeof(float));
    for (int t = T - 1; t >= 0; t--) {
        const float *hp = g->hs + (size_t)t * B * H;
        const size_t o = (size_t)t * B * H;
        for (int b = 0; b < B; b++) {
            float *dgi = g->dgi + ((size_t)t * B + b) * H3, *dgh = g->dgh + ((size_t)t * B + b) * H3;
            for (int j = 0; j < H; j++) {
                const size_t k = o + (size_t)b * H + j;
                const float d = dh[k] + g->drun[(size_t)b * H + j];
                const float r = g->r[k], z = g->z[k], n = g->n[k];
                const float dn = d * (1.0f - z), dz = d * (hp[(size_t)b * H + j] - n);
                const float dnp = dn * (1.0f - n * n);
                const float drp = dnp * g->ghn[k] * r * (1.0f - r), dzp = dz * z * (1.0f - z);
                dgi[j] = dgh[j] = drp;
                dgi[H + j] = dgh[H + j] = dzp;
                dgi[2 * H + j] = dnp;
                dgh[2 * H + j] = dnp * r;
                g->drun[(size_t)b * H + j] = d * z; /* the direct path; W_hh's below */
            }
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, H3, 1.0f,
                    g->dgh + (size_t)t * B * H3, H3, W_HH(g), H, 1.0f, g->drun, H);
    }
    float *gw_ih = g->grads, *gw_hh = gw_ih + (size_t)H3 * g->in;
    float *gb_ih = gw_hh + (size_t)H3 * H, *gb_hh = gb_ih + H3;
    /* dW_hh += Σ_t dgh_t^T h_{t-1};  dW_ih += Σ_t dgi_t^T x_t: one product each */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H3, H, TB, 1.0f, g->dgh, H3, g->hs, H,
                1.0f, gw_hh, H);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H3, g->in, TB, 1.0f, g->dgi, H3, g->x,
                g->in, 1.0f, gw_ih, g->in);
    col_sums(g->dgh, TB, H3, gb_hh);
    col_sums(g->dgi, TB, H3, gb_ih);
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, TB, g->in, H3, 1.0f, g->dgi, H3,
                    W_IH(g), g->in, 0.0f, dx, g->in);
    if (dh0)
        memcpy(dh0, g->drun, (size_t)B * H * sizeof(float));
}
