/* test_publish_copy.c — `gbac publish`'s copy check (docs/publish.md): a session whose model
 * track holds two bars of a corpus tune (models/data/nottingham, exactly and transposed)
 * names the tune and the bars in credits.txt and provenance.json; the fixture's answer says
 * no copy; a missing model file or one without phrase hashes is said plainly and the session
 * is still published.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "gb_cli.h"
#include "gb_midifile.h"
#include "gb_session.h"
#include <jansson.h>
#include "gb_session_fixture.h"

#define TUNE "ashover10"   /* 4/4 */
#define TUNE_BAR 2         /* its bars 3-4 (from 0) ... */
#define SESSION_STEP 16    /* ... placed at the session's bar 2 (120 bpm: 16ths of 0.125 s) */
#define HEAD "melody (models/melody-gan.safetensors): %d notes in %d bars checked against " \
             "19789 exact and 19676 transposed 2-bar phrases of 1034 tunes: "

static char g_dir[512], g_tmp[400];

typedef struct note {
    double t0, t1;
    int pitch;
} note_t;

static int setup(void **state)
{
    (void)state;
    return fx_setup(g_tmp, sizeof g_tmp, g_dir, sizeof g_dir, "pubcopy");
}

static int teardown(void **state)
{
    (void)state;
    return gbt_rm_rf(g_tmp);
}

/* Bars TUNE_BAR, TUNE_BAR+1 of the corpus tune, moved by `transpose`, as session notes. */
static int tune_bars(int transpose, note_t *out, int cap)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/models/data/nottingham/MIDI/melody/%s.mid",
             getenv("GBAC_SOURCE_DIR"), TUNE);
    gb_error_t e;
    gb_midifile_t *mf = gb_midifile_load(path, FX_SR, &e);
    assert_non_null(mf);
    /* the tune's 16th (120 bpm without a tempo, as the dataset builder takes it) */
    const double step_s = 15.0 / (mf->n_tempos ? mf->tempos[0].bpm : 120.0);
    int n = 0, first_on = -1;
    for (size_t i = 0; i < mf->n_events; i++) {
        const gbp_event_t *on = &mf->events[i].ev;
        if (on->type != GBP_EV_NOTE_ON)
            continue;
        const long s0 = lround((double)mf->events[i].frame / FX_SR / step_s);
        if (s0 < TUNE_BAR * 16 || s0 >= (TUNE_BAR + 2) * 16)
            continue;
        size_t j = i + 1;
        while (j < mf->n_events && !(mf->events[j].ev.type == GBP_EV_NOTE_OFF &&
                                     mf->events[j].ev.key == on->key))
            j++;
        assert_true(j < mf->n_events && n < cap);
        const long s1 = lround((double)mf->events[j].frame / FX_SR / step_s);
        first_on = first_on < 0 ? (int)s0 : first_on;
        out[n++] = (note_t){(s0 - TUNE_BAR * 16 + SESSION_STEP) * 0.125,
                            (s1 - TUNE_BAR * 16 + SESSION_STEP) * 0.125, on->key + transpose};
    }
    gb_midifile_free(mf);
    assert_int_equal(first_on, TUNE_BAR * 16); /* the phrase starts with a note */
    return n;
}

/* notes.mid with the fixture's performer line and these notes as the melody GAN's. */
static void write_model_track(const note_t *notes, int n)
{
    char path[700];
    gb_error_t e;
    snprintf(path, sizeof path, "%s/notes.mid", g_dir);
    gb_midifile_writer_t *w = gb_midifile_writer_new(120, 960, &e);
    int perf = gb_midifile_writer_add_track(w, "performer", &e);
    int mel = gb_midifile_writer_add_track(w, "melody (gbac.melody-gan)", &e);
    assert_true(perf > 0 && mel > 0);
    for (int i = 0; i < n; i++) {
        gbp_event_t on = {.type = GBP_EV_NOTE_ON, .key = (uint8_t)notes[i].pitch, .value = 0.7f,
                          .source = 3};
        gbp_event_t off = on;
        off.type = GBP_EV_NOTE_OFF;
        assert_int_equal(gb_midifile_writer_add(w, mel, notes[i].t0, &on, &e), 0);
        assert_int_equal(gb_midifile_writer_add(w, mel, notes[i].t1, &off, &e), 0);
    }
    assert_int_equal(gb_midifile_writer_save(w, path, &e), 0);
    gb_midifile_writer_free(w);
}

/* The fixture's provenance with the model file named `file` and its real sha256 (or none). */
static void write_provenance(const char *file, const char *sha)
{
    char path[700], *p = strdup(fx_provenance);
    const char *from = "\"file\": \"models/melody-gan.safetensors\"";
    char *at = strstr(p, from), *sh = strstr(p, "\"sha256\": \"1a2b");
    assert_non_null(at);
    assert_non_null(sh);
    char *end = strchr(sh + 12, '"'), buf[8192];
    *sh = 0;
    *at = 0;
    snprintf(buf, sizeof buf, "%s\"file\": \"%s\"%s\"sha256\": %s%s", p, file,
             at + strlen(from), sha, end + 1);
    snprintf(path, sizeof path, "%s/provenance.json", g_dir);
    assert_int_equal(fx_write_text(path, buf), 0);
    free(p);
}

static int run(char *err, size_t cap, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    const int rc = fx_runv(gb_cmd_publish, "publish", err, cap, n, ap);
    va_end(ap);
    return rc;
}

/* Publish; returns credits.txt (free it) and the provenance's copy_check.result in result. */
static char *publish(char *err, size_t cap, char *result, size_t rcap)
{
    char out[600], p[700];
    static int k;
    snprintf(out, sizeof out, "%s/pub%d", g_tmp, k++);
    assert_int_equal(run(err, cap, 3, g_dir, "-o", out), 0);
    snprintf(p, sizeof p, "%s/provenance.json", out);
    json_t *j = json_load_file(p, 0, NULL);
    assert_non_null(j);
    snprintf(result, rcap, "%s",
             json_string_value(json_object_get(json_object_get(j, "copy_check"), "result")));
    json_decref(j);
    snprintf(p, sizeof p, "%s/credits.txt", out);
    size_t n;
    char *cr = fx_slurp(p, &n);
    assert_non_null(cr);
    return cr;
}

static void expect_section(const char *cr, const char *want)
{
    const char *at = strstr(cr, "COPIES OF THE TRAINING DATA\n");
    assert_non_null(at);
    if (strncmp(at, want, strlen(want)) != 0)
        fail_msg("credits section:\n%.1200s\nwanted:\n%s", at, want);
}

/* The provenance naming the shipped generator with its real sha256. */
static void shipped_model(void)
{
    char path[1024], hex[65], sha[80];
    snprintf(path, sizeof path, "%s/models/melody-gan.safetensors", getenv("GBAC_SOURCE_DIR"));
    assert_int_equal(gb_session_file_sha256(path, hex, NULL), 0);
    snprintf(sha, sizeof sha, "\"%s\"", hex);
    write_provenance("models/melody-gan.safetensors", sha);
}

static void copy_of_corpus_named(int transpose, const char *how)
{
    note_t notes[64];
    const int n = tune_bars(transpose, notes, 64);
    write_model_track(notes, n);
    shipped_model();
    char err[4096], result[64], want[2048], head[512];
    char *cr = publish(err, sizeof err, result, sizeof result);
    snprintf(head, sizeof head, HEAD, n, 3);
    snprintf(want, sizeof want,
             "COPIES OF THE TRAINING DATA\n"
             "  1 2-bar phrase of the models' notes copies the training data.\n"
             "  %scopies found\n"
             "  melody: bars 2-3 (2.00 s) copy \"%s\"%s\n",
             head, TUNE, how);
    expect_section(cr, want);
    assert_string_equal(result, "copies");
    assert_null(strstr(err, "could not be made"));
    free(cr);
}

static void exact_copy_names_tune_and_bars(void **state)
{
    (void)state;
    copy_of_corpus_named(0, " exactly");
}

static void transposed_copy_names_tune_and_bars(void **state)
{
    (void)state;
    copy_of_corpus_named(3, ", transposed");
}

/* The fixture's answer (16 notes of the melody GAN) copies nothing. */
static void answer_says_no_copy(void **state)
{
    (void)state;
    shipped_model();
    char err[4096], result[64], want[2048], head[512];
    char *cr = publish(err, sizeof err, result, sizeof result);
    snprintf(head, sizeof head, HEAD, FX_MODEL_NOTES, 2);
    snprintf(want, sizeof want,
             "COPIES OF THE TRAINING DATA\n"
             "  No 2-bar phrase of the models' notes copies the training data.\n"
             "  %sno copy\n  Checked: ",
             head);
    expect_section(cr, want);
    assert_string_equal(result, "no copy");
    free(cr);
}

static void check_not_made(const char *file, const char *reason)
{
    write_provenance(file, "null");
    char err[4096], result[64], want[2048];
    char *cr = publish(err, sizeof err, result, sizeof result);
    snprintf(want, sizeof want,
             "COPIES OF THE TRAINING DATA\n"
             "  The check could not be made: whether the models' notes copy the training data "
             "is not known.\n"
             "  melody: the check could not be made: %s\n  Checked: ",
             reason);
    expect_section(cr, want);
    assert_string_equal(result, "not checked");
    assert_non_null(strstr(err, "gbac publish: warning: The check could not be made"));
    free(cr);
}

static void missing_model_said_plainly(void **state)
{
    (void)state;
    check_not_made("models/no-such-model.safetensors",
                   "models/no-such-model.safetensors: cannot open: No such file or directory");
}

static void model_without_hashes_said_plainly(void **state)
{
    (void)state;
    check_not_made("models/timbre-vae.safetensors",
                   "models/timbre-vae.safetensors: no usable phrase hashes (the card has no "
                   "corpus with tunes and splits); a melody GAN generator saved by this gbac's "
                   "`gbac train melody` has them");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(exact_copy_names_tune_and_bars, setup, teardown),
        cmocka_unit_test_setup_teardown(transposed_copy_names_tune_and_bars, setup, teardown),
        cmocka_unit_test_setup_teardown(answer_says_no_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_model_said_plainly, setup, teardown),
        cmocka_unit_test_setup_teardown(model_without_hashes_said_plainly, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
