/* test_call_key.c — the key of a call and of a chord progression (models/gb_call_key.h), the
 * ABC reader the tables are counted with (models/gb_abc.h) against the corpus' MIDI files, and
 * the compiled tables against a fresh count (gb_call_key_fit.h).
 * With --fit DS: print the tables counted on dataset DS (built with `gbac dataset melody`) and
 * the held-out accuracy, for gb_call_key_table.h.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gb_abc.h"
#include "gb_call_key.h"
#include "gb_call_key_fit.h"
#include "gb_melody_ds.h"
#include "gb_melody_ds_build.h"
#include "gb_melody_key.h"
#include "gb_melody_accomp.h"
#include "gb_melody_answer.h"

static const char *abc_dir(char *buf, size_t n)
{
    const char *src = getenv("GBAC_SOURCE_DIR");
    snprintf(buf, n, "%s/models/data/nottingham/ABC_cleaned", src ? src : ".");
    return buf;
}

/* Held-out accuracy of gb_call_key on 2-bar calls of the test split's tunes cut every 4 bars,
 * with every bar before the call as what was played before. */
static double heldout(const gb_abc_corpus_t *abc, const gb_melody_ds_t *ds, long *calls)
{
    long n = 0, ok = 0;
    static gb_melody_note_t before[4096], call[256];
    for (int i = 0; i < ds->n_tunes; i++) {
        const gb_abc_tune_t *tu = ds->tunes[i].split == GB_MDS_TEST
                                      ? gb_abc_corpus_find(abc, ds->tunes[i].name) : NULL;
        for (int c0 = 0; tu && c0 + 2 <= tu->n_bars; c0 += 4) {
            int nc = gb_abc_notes(tu, c0, 2, call, 256), nb = 0;
            if (nc <= 0 || nc > 256)
                continue;
            int64_t off = 0;
            for (int b = 0; b < c0; b++)
                off += tu->bars[b].steps;
            nb = gb_abc_notes(tu, 0, c0, before, 4096);
            nb = nb > 4096 ? 4096 : nb;
            for (int k = 0; k < nc; k++) {
                call[k].on += off;
                call[k].off += off;
            }
            int t, m;
            gb_call_key(call, (size_t)nc, before, (size_t)nb, tu->bars[c0].num, tu->bars[c0].den,
                        &t, &m);
            n++;
            const int T = tu->bars[c0 + 1].tonic, M = tu->bars[c0 + 1].mode;
            ok += t == T && m == M;
            if (getenv("DIAG") && !(t == T && m == M)) {
                const int sig_d = m ? (t + 3) % 12 : t, sig_t = M ? (T + 3) % 12 : T;
                fprintf(stderr, "%s c0 %d: notated %d%s got %d%s (%s)\n", ds->tunes[i].name, c0,
                        T, M ? "m" : "", t, m ? "m" : "",
                        sig_d == sig_t ? "relative" : "signature");
            }
        }
    }
    *calls = n;
    return n ? (double)ok / (double)n : 0.0;
}

static int fit_main(const char *ds_dir)
{
    gb_error_t err = {0};
    gb_melody_ds_t *ds = gb_melody_ds_load(ds_dir, &err);
    gb_abc_corpus_t abc;
    char dir[4200];
    if (!ds || gb_abc_corpus_load(abc_dir(dir, sizeof dir), &abc, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    gb_call_key_table_t t;
    long w = 0, calls = 0;
    if (gb_call_key_fit(&abc, ds, &t, &w, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    gb_call_key_print(stdout, &t);
    const double acc = heldout(&abc, ds, &calls);
    fprintf(stderr, "%ld windows counted; compiled table: %.3f of %ld held-out calls\n", w, acc,
            calls);
    gb_abc_corpus_free(&abc);
    gb_melody_ds_free(ds);
    return 0;
}


/* ---------------------------------------------------------------- the ABC reader */

static void abc_chords(void **state)
{
    (void)state;
    int r, m, b;
    assert_int_equal(gb_abc_chord_parse("G", 1, &r, &m, &b), 0);
    assert_int_equal(r, 7);
    assert_int_equal(m, 1 << 7 | 1 << 11 | 1 << 2);
    assert_int_equal(gb_abc_chord_parse("F#m", 3, &r, &m, &b), 0);
    assert_int_equal(m, 1 << 6 | 1 << 9 | 1 << 1);
    assert_int_equal(gb_abc_chord_parse("D7/f+", 5, &r, &m, &b), 0);
    assert_int_equal(m, 1 << 2 | 1 << 6 | 1 << 9 | 1 << 0);
    assert_int_equal(b, 6);
    assert_int_equal(gb_abc_chord_parse("Bd", 2, &r, &m, &b), 0); /* diminished */
    assert_int_equal(m, 1 << 11 | 1 << 2 | 1 << 5);
    assert_int_equal(gb_abc_chord_parse("Bbm", 3, &r, &m, &b), 0);
    assert_int_equal(m, 1 << 10 | 1 << 1 | 1 << 5);
    assert_int_equal(gb_abc_chord_parse("(E7)", 4, &r, &m, &b), 0);
    assert_int_equal(r, 4);
    assert_int_equal(gb_abc_chord_parse("^fine", 5, &r, &m, &b), -1);
    assert_int_equal(gb_abc_chord_parse("", 0, &r, &m, &b), -1);
}

/* Token of MIDI pitch p. */
#define P(p) (GB_MDS_PITCH_BASE + (p) - GB_MDS_PITCH_LO)
#define H GB_MDS_HOLD
#define R GB_MDS_REST

static void abc_bars(void **state)
{
    (void)state;
    static const char text[] =
        "X: 7\nT:Test\nM:3/4\nL:1/8\nK:D\n"
        "A|\"D\"d2 f>e (3dcB|\"G\"\"Em\"G4 z2|[1\"A7\"A2 ^G=G [Ac]2-|c6:|\n"
        "P:B\nK:Am\nE|\"Am\"A B c2 z/d/ e|\n";
    gb_abc_file_t f;
    gb_error_t err = {0};
    assert_int_equal(gb_abc_parse(text, sizeof text - 1, "test", &f, &err), 0);
    assert_int_equal(f.n_tunes, 1);
    const gb_abc_tune_t *t = gb_abc_find(&f, 7);
    assert_non_null(t);
    assert_string_equal(t->title, "Test");
    assert_int_equal(t->n_bars, 7);
    /* the pickup A sits at the end of its bar */
    const uint8_t b0[12] = {R, R, R, R, R, R, R, R, R, R, P(69), H};
    assert_memory_equal(t->bars[0].tokens, b0, 12);
    assert_true(t->bars[0].pickup);
    assert_int_equal(t->bars[0].chord, 0);
    /* d2 f>e (3dcB: F# from the key, broken rhythm 3:1, a triplet of 8ths */
    const uint8_t b1[12] = {P(74), H, H, H, P(78), H, H, P(76), P(74), P(73), H, P(71)};
    assert_memory_equal(t->bars[1].tokens, b1, 12);
    assert_int_equal(t->bars[1].chord, 1 << 2 | 1 << 6 | 1 << 9);
    assert_int_equal(t->bars[1].steps, 12);
    /* "G""Em": the first of two symbols; a rest */
    assert_int_equal(t->bars[2].chord_root, 7);
    const uint8_t b3[12] = {P(69), H, H, H, P(68), H, P(67), H, P(73), H, H, H};
    assert_memory_equal(t->bars[3].tokens, b3, 12); /* ^G, =G, the chord's top note */
    assert_int_equal(t->bars[4].tokens[0], H);         /* tied over the bar line */
    assert_true(t->bars[4].full);
    /* part B: a new key (A minor), a pickup again, z/d/ */
    assert_int_equal(t->bars[5].tonic, 9);
    assert_int_equal(t->bars[5].mode, 1);
    assert_true(t->bars[5].pickup);
    const uint8_t b6[12] = {R, R, R, R, R, R, R, R, R, R, P(64), H};
    assert_memory_equal(t->bars[5].tokens, b6, 12);
    const uint8_t b7[12] = {P(69), H, P(71), H, P(72), H, H, H, R, P(74), P(76), H};
    assert_memory_equal(t->bars[6].tokens, b7, 12);
    gb_abc_free(&f);
    /* errors: an unclosed chord symbol names the line */
    static const char bad[] = "X:1\nK:C\nC D \"G\nE|\n";
    assert_int_equal(gb_abc_parse(bad, sizeof bad - 1, "bad.abc", &f, &err), GB_EFORMAT);
    assert_non_null(strstr(err.msg, "bad.abc: line 3"));
}

/* Every tune of the corpus read from its ABC file has the notes of its MIDI file: the
 * first 8 onsets of each (after the MIDI file's pickup padding), the ABC's written before
 * any repeat. */
static void abc_matches_midi(void **state)
{
    (void)state;
    char dir[4200], path[4300];
    gb_abc_corpus_t abc;
    gb_error_t err = {0};
    assert_int_equal(gb_abc_corpus_load(abc_dir(dir, sizeof dir), &abc, &err), 0);
    assert_int_equal(abc.n_files, 14);
    int tunes = 0, same = 0;
    for (int f = 0; f < abc.n_files; f++)
        for (int i = 0; i < abc.files[f].n_tunes; i++) {
            const gb_abc_tune_t *t = &abc.files[f].tunes[i];
            const char *src = getenv("GBAC_SOURCE_DIR");
            snprintf(path, sizeof path, "%s/models/data/nottingham/MIDI/melody/%s%d.mid",
                     src ? src : ".", abc.names[f], t->x);
            gb_melody_tune_t mt;
            assert_int_equal(gb_melody_tune_read(path, &mt, &err), 0);
            gb_melody_note_t notes[8];
            const int n = gb_abc_notes(t, 0, t->n_bars, notes, 8);
            int ok = n >= 8, k = 0;
            for (int s = 0; s < mt.n_steps && k < 8 && ok; s++)
                if (mt.tokens[s] >= GB_MDS_PITCH_BASE)
                    ok = notes[k++].pitch ==
                         GB_MDS_PITCH_LO + mt.tokens[s] - GB_MDS_PITCH_BASE - mt.shift;
            tunes++;
            same += ok && k == 8;
            if (getenv("DIAG") && !(ok && k == 8)) {
                printf("%s%d:", abc.names[f], t->x);
                for (int j = 0; j < 8 && j < n; j++) printf(" %d", notes[j].pitch);
                printf(" | midi");
                for (int s = 0, c = 0; s < mt.n_steps && c < 8; s++)
                    if (mt.tokens[s] >= GB_MDS_PITCH_BASE) { c++; printf(" %d", GB_MDS_PITCH_LO + mt.tokens[s] - GB_MDS_PITCH_BASE - mt.shift); }
                printf("\n");
            }
            gb_melody_tune_clear(&mt);
        }
    assert_int_equal(tunes, 1034);
    printf("  %d of %d tunes: the first 8 notes of the ABC file are the MIDI file's\n", same,
           tunes);
    /* the rest differ by an ornament or a re-struck note in the MIDI rendering (DIAG=1 lists
     * them: 45 of 1034 when this was written) */
    assert_true(same >= 985);
    assert_non_null(gb_abc_corpus_find(&abc, "reelsh-l93"));
    assert_null(gb_abc_corpus_find(&abc, "reelsh-l48")); /* not in the corpus */
    assert_null(gb_abc_corpus_find(&abc, "jigs"));
    gb_abc_corpus_free(&abc);
}

/* The dataset of the shipped corpus without augmentation (its split is the seeded one every
 * `gbac dataset melody` makes), in a temporary folder. */
static gb_melody_ds_t *corpus_ds(char *dir, size_t n)
{
    const char *src = getenv("GBAC_SOURCE_DIR");
    char from[4200];
    snprintf(from, sizeof from, "%s/models/data/nottingham/MIDI/melody", src ? src : ".");
    snprintf(dir, n, "/tmp/gbac-callkey-XXXXXX");
    assert_non_null(mkdtemp(dir));
    gb_melody_ds_build_config_t cfg;
    gb_melody_ds_build_config_init(&cfg);
    cfg.out_dir = dir;
    cfg.from_dir = from;
    cfg.licence = "GPL-3.0";
    cfg.transpose_lo = cfg.transpose_hi = 0;
    gb_error_t err = {0};
    assert_int_equal(gb_melody_ds_build(&cfg, NULL, &err), 0);
    gb_melody_ds_t *ds = gb_melody_ds_load(dir, &err);
    assert_non_null(ds);
    return ds;
}

static void rm_ds(const char *dir)
{
    char p[4300];
    snprintf(p, sizeof p, "%s/" GB_MDS_MANIFEST, dir);
    remove(p);
    snprintf(p, sizeof p, "%s/" GB_MDS_BARS, dir);
    remove(p);
    remove(dir);
}

/* key_from_call on the held-out tunes against the key their ABC files notate, and the
 * compiled tables are what a fresh count on the train split gives. */
static void call_key_heldout(void **state)
{
    (void)state;
    char dir[64], adir[4200];
    gb_melody_ds_t *ds = corpus_ds(dir, sizeof dir);
    gb_abc_corpus_t abc;
    gb_error_t err = {0};
    assert_int_equal(gb_abc_corpus_load(abc_dir(adir, sizeof adir), &abc, &err), 0);
    gb_call_key_table_t t;
    long w = 0, calls = 0;
    assert_int_equal(gb_call_key_fit(&abc, ds, &t, &w, &err), 0);
    assert_true(w > 9000);
    const gb_call_key_table_t *c = gb_call_key_table();
    for (int m = 0; m < 2; m++) {
        assert_float_equal(t.prior[m], c->prior[m], 1e-3);
        for (int k = 0; k < GB_CALL_KEY_KINDS; k++)
            for (int d = 0; d < 12; d++)
                assert_float_equal(t.lp[m][k][d], c->lp[m][k][d], 1e-3);
    }
    const double acc = heldout(&abc, ds, &calls);
    printf("  key_from_call (ABC-notated key): %.3f of %ld held-out 2-bar calls\n", acc, calls);
    assert_true(calls > 600);
    assert_true(acc >= 0.80); /* 0.820 when written; the target 0.9 is not reached */
    gb_abc_corpus_free(&abc);
    gb_melody_ds_free(ds);
    rm_ds(dir);
}

static void note(gb_melody_note_t *n, int64_t on, int64_t off, int p)
{
    n->on = on;
    n->off = off;
    n->pitch = p;
}

/* A plain two-bar D-major scale call is D major (the case); the same notes after a
 * B-minor phrase are B minor; a call without notes is C major. */
static void call_key_cases(void **state)
{
    (void)state;
    static const int dmaj[8] = {62, 64, 66, 67, 69, 71, 73, 74};
    gb_melody_note_t call[16], before[8];
    for (int i = 0; i < 8; i++)
        note(&call[i], 32 + 4 * i, 32 + 4 * i + 4, dmaj[i]);
    int t, m;
    gb_call_key(call, 8, NULL, 0, 4, 4, &t, &m);
    assert_int_equal(t, 2);
    assert_int_equal(m, 0);
    static const int bmin[8] = {71, 66, 71, 74, 73, 66, 71, 71};
    for (int i = 0; i < 8; i++)
        note(&before[i], 4 * i, 4 * i + 4, bmin[i]);
    for (int i = 0; i < 8; i++) /* the call descends to B */
        note(&call[i], 32 + 4 * i, 32 + 4 * i + 4, dmaj[7 - i] == 62 ? 59 : dmaj[7 - i]);
    gb_call_key(call, 8, before, 8, 4, 4, &t, &m);
    assert_int_equal(t, 11);
    assert_int_equal(m, 1);
    gb_call_key(call, 0, NULL, 0, 4, 4, &t, &m);
    assert_int_equal(t, 0);
    assert_int_equal(m, 0);
}

/* The key of a progression: an open fifth A–E alone allows neither C nor C#; once a C-major
 * chord follows, A minor with C; a diminished B alone gives no accidental outside C major's
 * family; D then A7 is D major. */
static void chord_key_cases(void **state)
{
    (void)state;
    int t, m, scale;
    const int ae = 1 << 9 | 1 << 4;
    gb_chord_key(&ae, NULL, 1, &t, &m, &scale);
    assert_false(scale & (1 << 0 | 1 << 1));
    assert_true(scale & 1 << 9 && scale & 1 << 4);
    const int ae_c[3] = {ae, 1 << 0 | 1 << 4 | 1 << 7, ae};
    gb_chord_key(ae_c, NULL, 3, &t, &m, &scale);
    assert_int_equal(t, 9);
    assert_int_equal(m, 1);
    assert_true(scale & 1 << 0);
    assert_false(scale & 1 << 1);
    const int bdim = 1 << 11 | 1 << 2 | 1 << 5;
    gb_chord_key(&bdim, NULL, 1, &t, &m, &scale);
    assert_false(scale & (1 << 1 | 1 << 3 | 1 << 6 | 1 << 8 | 1 << 10));
    const int d_a7[2] = {1 << 2 | 1 << 6 | 1 << 9, 1 << 9 | 1 << 1 | 1 << 4 | 1 << 7};
    gb_chord_key(d_a7, NULL, 2, &t, &m, &scale);
    assert_int_equal(t, 2);
    assert_int_equal(m, 0);
    assert_int_equal(scale, gb_key_scale(2, 0, 0));
}

/* An answer's notes outside the normalised key move to the nearest key note, down on a tie:
 * in C major C# → C, Bb → A, F# → F; in A minor (with F# and G#) C# → C, Bb → A, F# and G#
 * stay; rests and holds stay. */
static void answer_snap(void **state)
{
    (void)state;
    uint8_t bar[GB_MDS_MAX_STEPS] = {P(61), H, P(70), R, P(66), P(60)};
    assert_int_equal(gb_answer_snap(bar, 1, 6, 0), 3);
    const uint8_t maj[6] = {P(60), H, P(69), R, P(65), P(60)};
    assert_memory_equal(bar, maj, 6);
    uint8_t bar2[GB_MDS_MAX_STEPS] = {P(61), P(66), P(68), P(70)};
    assert_int_equal(gb_answer_snap(bar2, 1, 4, 1), 2);
    const uint8_t min[4] = {P(60), P(66), P(68), P(69)};
    assert_memory_equal(bar2, min, 4);
    assert_int_equal(gb_answer_key_notes(0), gb_key_scale(0, 0, 0));
}

/* Accompaniment over an open fifth A–E (scale from gb_chord_key: no C, no C#): C# → the
 * safe scale, strong steps on chord tones, every note above the voicing's top (E3 = 52),
 * near the note before. */
static void accomp_shape(void **state)
{
    (void)state;
    const int ae = 1 << 9 | 1 << 4;
    int t, m, scale;
    gb_chord_key(&ae, NULL, 1, &t, &m, &scale);
    assert_int_equal(gb_accomp_voicing_top(ae, 9), 52 + 12);
    uint8_t bar[GB_MDS_MAX_STEPS] = {P(61), H, H, H, P(50), H, H, H, P(62), H, H, H, P(73), H, H, H};
    int last = 76;
    gb_accomp_shape(bar, 16, 4, 4, ae, 9, scale, &last);
    for (int s = 0; s < 16; s += 4) {
        const int p = bar[s] - GB_MDS_PITCH_BASE + GB_MDS_PITCH_LO;
        assert_true(p > 64);
        assert_true((scale >> (p % 12)) & 1);
        if (s == 0 || s == 8)
            assert_true((ae >> (p % 12)) & 1);
    }
    assert_int_equal(bar[0], P(76)); /* C#4: a chord tone on beat 1, E, in the octave of the E5
                                        before */
    assert_int_equal(bar[1], H);
    assert_int_equal(last, bar[12] - GB_MDS_PITCH_BASE + GB_MDS_PITCH_LO);
}

static void strong_steps(void **state)
{
    (void)state;
    assert_true(gb_melody_strong_step(0, 16, 4, 4));
    assert_true(gb_melody_strong_step(8, 16, 4, 4));
    assert_false(gb_melody_strong_step(4, 16, 4, 4));
    assert_true(gb_melody_strong_step(6, 12, 6, 8));
    assert_true(gb_melody_strong_step(8, 12, 3, 4));
    assert_false(gb_melody_strong_step(6, 12, 3, 4));
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--fit"))
        return fit_main(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strong_steps),
        cmocka_unit_test(abc_chords),
        cmocka_unit_test(abc_bars),
        cmocka_unit_test(abc_matches_midi),
        cmocka_unit_test(call_key_cases),
        cmocka_unit_test(chord_key_cases),
        cmocka_unit_test(call_key_heldout),
        cmocka_unit_test(answer_snap),
        cmocka_unit_test(accomp_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
