/* test_cost_window.c — gb_cost's window (/gbac/window): the window_* figures count only the
 * periods taken after gb_cost_window_start, the whole-run figures keep every period.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <jansson.h>

#include "gb_cost.h"

/* n periods of 256 frames at 48 kHz (5333 us) that cost pct % each. */
static void periods(gb_cost_t *c, int n, double pct)
{
    gb_live_cost_t r = {.frames = 256, .process_ns = (uint32_t)(pct / 100.0 * 5333333.0)};
    for (int i = 0; i < n; i++)
        gb_cost_add(c, &r, NULL, 48000.0);
}

static double key(json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

static void test_window(void **state)
{
    (void)state;
    gb_cost_t *c = gb_cost_new();
    periods(c, 990, 2.0);
    periods(c, 10, 40.0); /* 1 % of the run: the whole run's p99 stays at 2 %, its worst 40 % */
    gb_cost_window_start(c);
    periods(c, 200, 1.0);
    json_t *o = json_object();
    assert_int_equal(gb_cost_to_json(c, o), 0);
    assert_true(key(o, "process_max_pct") > 39.9);
    const double wmax = key(o, "window_process_max_pct");
    assert_true(wmax > 0.99 && wmax < 1.01);
    assert_true(key(o, "window_process_p99_pct") <= 1.01);
    assert_int_equal((int)json_integer_value(json_object_get(o, "window_periods")), 200);
    assert_int_equal((int)gb_cost_periods(c), 1200);
    json_decref(o);
    periods(c, 5, 30.0); /* 5 of 205 periods: the window's p99 follows them */
    o = json_object();
    assert_int_equal(gb_cost_to_json(c, o), 0);
    assert_true(key(o, "window_process_p99_pct") > 29.9);
    json_decref(o);
    gb_cost_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_window)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
