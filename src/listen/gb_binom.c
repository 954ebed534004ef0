/* gb_binom.c — binomial confidence interval and test (gb_binom.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_binom.h"

#include <math.h>

/* log of C(n, i) p^i (1-p)^(n-i), for 0 < p < 1. */
static double log_term(long i, long n, double p)
{
    return lgamma((double)n + 1.0) - lgamma((double)i + 1.0) - lgamma((double)(n - i) + 1.0) +
           (double)i * log(p) + (double)(n - i) * log1p(-p);
}

double gb_binom_cdf(long k, long n, double p)
{
    if (k < 0)
        return 0.0;
    if (k >= n)
        return 1.0;
    if (!(p > 0.0))
        return 1.0;
    if (!(p < 1.0))
        return 0.0;
    double s = 0.0;
    for (long i = 0; i <= k; i++)
        s += exp(log_term(i, n, p));
    return s < 1.0 ? s : 1.0;
}

/* P(X >= k) = 1 - P(X <= k - 1), summed directly (no cancellation near 0). */
static double upper_tail(long k, long n, double p)
{
    if (k <= 0)
        return 1.0;
    if (k > n || !(p > 0.0))
        return 0.0;
    if (!(p < 1.0))
        return 1.0;
    double s = 0.0;
    for (long i = k; i <= n; i++)
        s += exp(log_term(i, n, p));
    return s < 1.0 ? s : 1.0;
}

/* The p in (0, 1) where f(p) crosses target, f increasing in p (up = 1) or decreasing. */
static double solve(long k, long n, double target, int up)
{
    double a = 0.0, b = 1.0;
    for (int it = 0; it < 200 && b - a > 1e-13; it++) {
        const double m = 0.5 * (a + b);
        const double f = up ? upper_tail(k, n, m) : gb_binom_cdf(k, n, m);
        if (up ? f < target : f > target)
            a = m;
        else
            b = m;
    }
    return 0.5 * (a + b);
}

int gb_binom_clopper_pearson(long k, long n, double conf, double *lo, double *hi)
{
    *lo = 0.0;
    *hi = 1.0;
    if (n < 1 || k < 0 || k > n || !(conf > 0.0 && conf < 1.0))
        return -1;
    const double tail = (1.0 - conf) / 2.0;
    if (k > 0)
        *lo = solve(k, n, tail, 1); /* P(X >= k | lo) = tail, rising with p */
    if (k < n)
        *hi = solve(k, n, tail, 0); /* P(X <= k | hi) = tail, falling with p */
    return 0;
}

double gb_binom_test_half(long k, long n)
{
    if (n < 1 || k < 0 || k > n)
        return 1.0;
    const long m = k < n - k ? k : n - k;
    const double p = 2.0 * gb_binom_cdf(m, n, 0.5);
    return p < 1.0 ? p : 1.0;
}
