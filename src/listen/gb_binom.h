/* gb_binom.h — how sure a count of successes in n trials lets one be: the exact
 * (Clopper–Pearson) confidence interval of a binomial proportion and the exact two-sided
 * binomial test against chance (p = 1/2), for the listening test's summary
 * (gb_listen_results.h, `gbac eval melody --listen-test`).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Clopper–Pearson: the interval [lo, hi] of every p whose test at level 1 − conf does not
 * reject k: lo solves P(X >= k | n, lo) = (1 − conf)/2 (lo = 0 for k = 0), hi solves
 * P(X <= k | n, hi) = (1 − conf)/2 (hi = 1 for k = n) — the Beta quantiles
 * B((1−conf)/2; k, n−k+1) and B((1+conf)/2; k+1, n−k). Found here by bisection on the
 * binomial tail (summed in log space with lgamma), to 1e-12; it covers p with probability
 * at least conf for every p, unlike the Wald interval, which is why small listening tests
 * use it. The two-sided test at p = 1/2 is the doubled smaller tail, capped at 1 (for p = 1/2
 * this equals R's binom.test, which sums the outcomes no likelier than k).
 */
#ifndef GB_BINOM_H
#define GB_BINOM_H

#ifdef __cplusplus
extern "C" {
#endif

/** P(X <= k) for X ~ Binomial(n, p); 0 for k < 0, 1 for k >= n. [any] */
double gb_binom_cdf(long k, long n, double p);

/** The Clopper–Pearson interval of k successes in n trials at confidence conf (0 < conf <
 *  1, e.g. 0.95) into *lo, *hi. Returns 0, or -1 for n < 1, k outside 0..n or a bad conf
 *  (then *lo = 0, *hi = 1). [any] */
int gb_binom_clopper_pearson(long k, long n, double conf, double *lo, double *hi);

/** The exact two-sided p-value of k successes in n trials against p = 1/2 (1 for n < 1).
 *  [any] */
double gb_binom_test_half(long k, long n);

#ifdef __cplusplus
}
#endif
#endif
