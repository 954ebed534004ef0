/* test_osc_doc.c — docs/osc.md documents exactly the OSC path table: its "Events and
 * parameters" table lists the paths control scores take, "Paths of the live server" the
 * others, "Feedback to subscribers" the feedback, each with exactly the type tags the table
 * accepts; "Counters" lists exactly the counters of GB_LIVE_COUNTERS, "Cost" the keys of
 * GB_LIVE_COST_KEYS. The doc's tables are
 * parsed as Markdown rows: first cell a `path`, second cell `types` or none.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gb_live_stats.h"
#include "gb_osc_handlers.h"

#define MAX_ROWS 64

typedef struct row {
    char path[128];
    char types[128];
} row_t;

typedef struct section {
    const char *heading; /* the Markdown heading line the table follows */
    int no_types;        /* the second column is prose (counters) */
    int n;
    row_t rows[MAX_ROWS];
} section_t;

static char *doc_text(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/osc.md", getenv("GBAC_SOURCE_DIR"));
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 17];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* The text of the first `code span` in cell, with "\|" read as "|"; "none" → "". Returns 0
 * when the cell holds neither. */
static int cell_code(const char *cell, size_t len, char *out, size_t cap)
{
    const char *a = memchr(cell, '`', len);
    if (!a) {
        const char *none = memmem(cell, len, "none", 4);
        out[0] = '\0';
        return none != NULL;
    }
    const char *b = memchr(a + 1, '`', len - (size_t)(a + 1 - cell));
    assert_non_null(b);
    size_t k = 0;
    for (const char *c = a + 1; c < b && k + 1 < cap; c++) {
        if (c[0] == '\\' && c + 1 < b && c[1] == '|')
            c++;
        out[k++] = *c;
    }
    out[k] = '\0';
    return 1;
}

/* The next cell of a row: up to an unescaped '|'. */
static const char *next_cell(const char *p, const char *end, size_t *len)
{
    const char *c = p;
    while (c < end && !(*c == '|' && c[-1] != '\\'))
        c++;
    *len = (size_t)(c - p);
    return c < end ? c + 1 : end;
}

/* The rows of the first table after `heading`, up to the next heading. */
static void read_section(const char *doc, section_t *sec)
{
    const char *h = strstr(doc, sec->heading);
    if (!h)
        fprintf(stderr, "docs/osc.md has no heading '%s'\n", sec->heading);
    assert_non_null(h);
    const char *p = strchr(h, '\n') + 1;
    sec->n = 0;
    while (*p && *p != '#') {
        const char *eol = strchr(p, '\n');
        eol = eol ? eol : p + strlen(p);
        if (p[0] == '|' && p[1] == ' ' && p[2] == '`') {
            size_t l1, l2;
            const char *c1 = p + 1, *c2 = next_cell(c1, eol, &l1);
            next_cell(c2, eol, &l2);
            row_t *r = &sec->rows[sec->n++];
            assert_true(sec->n <= MAX_ROWS);
            assert_true(cell_code(c1, l1, r->path, sizeof r->path));
            if (!cell_code(c2, l2, r->types, sizeof r->types) && !sec->no_types) {
                fprintf(stderr, "%s: no type tags in the doc\n", r->path);
                fail();
            }
        }
        p = *eol ? eol + 1 : eol;
    }
}

static const row_t *find_row(const section_t *sec, const char *path)
{
    for (int i = 0; i < sec->n; i++)
        if (strcmp(sec->rows[i].path, path) == 0)
            return &sec->rows[i];
    return NULL;
}

/* Every entry documented with its types, and nothing documented that is not an entry. */
static void same_paths(const section_t *sec, const gb_osc_method_t *const *m, int n)
{
    for (int i = 0; i < n; i++) {
        const row_t *r = find_row(sec, m[i]->path);
        if (!r)
            fprintf(stderr, "%s is not documented under '%s'\n", m[i]->path, sec->heading);
        assert_non_null(r);
        if (strcmp(r->types, m[i]->types) != 0)
            fprintf(stderr, "%s: the doc says types '%s', the table '%s'\n", m[i]->path,
                    r->types, m[i]->types);
        assert_string_equal(r->types, m[i]->types);
    }
    if (sec->n != n)
        fprintf(stderr, "'%s' documents %d paths, the table has %d\n", sec->heading, sec->n, n);
    assert_int_equal(sec->n, n);
}

static void doc_lists_exactly_the_paths_and_types(void **state)
{
    (void)state;
    const char *doc = doc_text();
    static section_t score = {.heading = "## Events and parameters (live and in scores)"};
    static section_t live = {.heading = "### Paths of the live server"};
    static section_t fb = {.heading = "### Feedback to subscribers"};
    read_section(doc, &score);
    read_section(doc, &live);
    read_section(doc, &fb);
    const gb_osc_method_t *s_m[MAX_ROWS], *l_m[MAX_ROWS], *f_m[MAX_ROWS];
    int ns = 0, nl = 0, nf = 0;
    for (int i = 0; i < gb_osc_method_count(); i++) {
        const gb_osc_method_t *m = gb_osc_method_get(i);
        if (m->flags & GB_OSC_M_SCORE)
            s_m[ns++] = m;
        else
            l_m[nl++] = m;
    }
    for (int i = 0; i < gb_osc_feedback_count(); i++)
        f_m[nf++] = gb_osc_feedback_get(i);
    same_paths(&score, s_m, ns);
    same_paths(&live, l_m, nl);
    same_paths(&fb, f_m, nf);
    printf("docs/osc.md: %d score paths, %d live paths, %d feedback paths, as in the table\n",
           ns, nl, nf);
}

static void doc_lists_exactly_the_counters(void **state)
{
    (void)state;
    static section_t counters = {.heading = "### Counters", .no_types = 1};
    read_section(doc_text(), &counters);
    assert_int_equal(counters.n, GB_LIVE_N_COUNTERS);
    for (int i = 0; i < GB_LIVE_N_COUNTERS; i++)
        assert_string_equal(counters.rows[i].path, gb_live_counter_name(i));
}

/* "Cost" lists exactly the keys of GB_LIVE_COST_KEYS, in order. */
static void doc_lists_exactly_the_cost_keys(void **state)
{
    (void)state;
#define GB_COST_KEY_NAME(name, doc) #name,
    static const char *const keys[] = {GB_LIVE_COST_KEYS(GB_COST_KEY_NAME)};
#undef GB_COST_KEY_NAME
    static section_t cost = {.heading = "### Cost", .no_types = 1};
    read_section(doc_text(), &cost);
    const int n = (int)(sizeof keys / sizeof keys[0]);
    assert_int_equal(cost.n, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(cost.rows[i].path, keys[i]);
}

/* The notation the doc explains is what dispatch applies: a few type-tag strings per path,
 * accepted or not. */
static void types_mean_what_the_doc_says(void **state)
{
    (void)state;
    static const struct {
        const char *path, *types;
        int ok;
    } cases[] = {
        {"/gbac/note/on", "ii", 1},       {"/gbac/note/on", "fff", 1},
        {"/gbac/note/on", "hid", 1},      {"/gbac/note/on", "i", 0},
        {"/gbac/note/on", "iiii", 0},     {"/gbac/note/on", "is", 0},
        {"/gbac/param/x/y", "", 1},       {"/gbac/param/x/y", "d", 1},
        {"/gbac/param/x/y", "ff", 0},     {"/gbac/timbre/z", "ii", 1},
        {"/gbac/timbre/z", "if", 1},      {"/gbac/timbre/z", "id", 1},
        {"/gbac/timbre/z", "ff", 0},      {"/gbac/timbre/z", "fi", 0},
        {"/gbac/timbre/z", "ffffffff", 1}, {"/gbac/timbre/z", "fffffff", 0},
        {"/gbac/timbre/z/3", "f", 1},     {"/gbac/timbre/z/3", "", 1},
        {"/gbac/subscribe", "", 1},       {"/gbac/subscribe", "is", 1},
        {"/gbac/subscribe", "s", 1},      {"/gbac/subscribe", "si", 0},
        {"/gbac/ping", "sifT", 1},        {"/gbac/status", "", 1},
        {"/gbac/status", "i", 0},         {"/gbac/rate", "sS", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const gb_osc_method_t *m = gb_osc_method_find(cases[i].path);
        assert_non_null(m);
        if (gb_osc_types_accepted(m, cases[i].types) != cases[i].ok)
            fprintf(stderr, "%s '%s': expected %s\n", cases[i].path, cases[i].types,
                    cases[i].ok ? "accepted" : "refused");
        assert_int_equal(gb_osc_types_accepted(m, cases[i].types), cases[i].ok);
    }
    assert_null(gb_osc_method_find("/gbac/param/"));
    assert_null(gb_osc_method_find("/gbac/nope"));
    assert_string_equal(gb_osc_method_find("/gbac/timbre/z")->path, "/gbac/timbre/z");
    assert_string_equal(gb_osc_method_find("/gbac/timbre/z/0")->path, "/gbac/timbre/z/N");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(doc_lists_exactly_the_paths_and_types),
        cmocka_unit_test(doc_lists_exactly_the_counters),
        cmocka_unit_test(doc_lists_exactly_the_cost_keys),
        cmocka_unit_test(types_mean_what_the_doc_says),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
