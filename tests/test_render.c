/* test_render.c — offline rendering (src/render/gb_render.c) through the API and through the
 * `gbac render` / `gbac demo` commands (called as main() would): events and score messages
 * land on their exact frames whatever the block size, renders are bit-identical, the tail
 * stops at silence, and bad inputs fail with exit status 1 and a message naming the file
 * (and the line, for a score).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sndfile.h>

#include "gb_cli.h"
#include "gb_render.h"
#include "gb_unit_registry.h"

#define SR 48000.0

static char tmpdir[256];
static char srcdir[1024];

static const char *tmp_path(const char *name)
{
    static char buf[64][512]; /* a ring: a test keeps no more than 64 at once */
    static int k;
    k = (k + 1) % 64;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static const char *src_path(const char *rel)
{
    static char buf[4][1200];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", srcdir, rel);
    return buf[k];
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static unsigned char *read_all(const char *path, size_t *len)
{
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

static int same_bytes(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    unsigned char *x = read_all(a, &na), *y = read_all(b, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

static char out_stdout[4096];

/* Run a command function as main() would, its stderr captured into `captured` and its
 * stdout into out_stdout; returns its exit status. */
static int run_cmd(int (*cmd)(int, char **), char *captured, size_t cap, int argc, ...)
{
    char *argv[32];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc && i < 31; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    argv[argc] = NULL;
    char elog[512], olog[512];
    snprintf(elog, sizeof elog, "%s/stderr.txt", tmpdir);
    snprintf(olog, sizeof olog, "%s/stdout.txt", tmpdir);
    fflush(stdout);
    fflush(stderr);
    int saved_err = dup(2), saved_out = dup(1);
    int fe = open(elog, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fo = open(olog, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fe, 2);
    dup2(fo, 1);
    close(fe);
    close(fo);
    int rc = cmd(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_err, 2);
    dup2(saved_out, 1);
    close(saved_err);
    close(saved_out);
    const char *logs[2] = {elog, olog};
    char *dst[2] = {captured, out_stdout};
    size_t caps[2] = {cap, sizeof out_stdout};
    for (int k = 0; k < 2; k++) {
        size_t n = 0;
        unsigned char *t = read_all(logs[k], &n);
        n = n < caps[k] - 1 ? n : caps[k] - 1;
        memcpy(dst[k], t ? (char *)t : "", n);
        dst[k][n] = '\0';
        free(t);
    }
    return rc;
}

static void expect_text(const char *text, const char *want)
{
    if (!strstr(text, want)) {
        fprintf(stderr, "expected '%s' in:\n%s\n", want, text);
        fail();
    }
}

/* ---------------------------------------------------------------- racks and inputs */

/* The harmonic synth alone (no effects, so nothing adds latency), default parameters. */
static gb_preset_t *synth_rack(void)
{
    gb_preset_t *p = calloc(1, sizeof *p);
    snprintf(p->name, sizeof p->name, "test-synth");
    p->tempo_bpm = 120.0;
    p->beats_per_bar = 4;
    p->beat_unit = 4;
    p->polyphony = 8;
    p->instrument.desc = &gb_unit_harmsynth;
    snprintf(p->instrument.slot, sizeof p->instrument.slot, "synth");
    return p;
}

static gb_engine_t *engine_for(const gb_preset_t *p, uint32_t block)
{
    gb_error_t err = {0};
    gb_engine_t *e = gb_engine_build(p, SR, block, 1, &err);
    if (!e)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(e);
    return e;
}

/* A MIDI file (120 bpm, 960 ppqn: 25 frames per pulse at 48 kHz) with one note. */
static gb_midifile_t *one_note(const char *name, double on_s, double off_s, int key)
{
    gb_error_t err = {0};
    gb_midifile_writer_t *w = gb_midifile_writer_new(120.0, 960, &err);
    assert_non_null(w);
    int t = gb_midifile_writer_add_track(w, "performer", &err);
    gbp_event_t on = {.type = GBP_EV_NOTE_ON, .key = (uint8_t)key, .value = 0.8f};
    gbp_event_t off = {.type = GBP_EV_NOTE_OFF, .key = (uint8_t)key, .value = 0.5f};
    assert_int_equal(gb_midifile_writer_add(w, t, on_s, &on, &err), 0);
    assert_int_equal(gb_midifile_writer_add(w, t, off_s, &off, &err), 0);
    assert_int_equal(gb_midifile_writer_save(w, tmp_path(name), &err), 0);
    gb_midifile_writer_free(w);
    gb_midifile_t *mf = gb_midifile_load(tmp_path(name), SR, &err);
    assert_non_null(mf);
    return mf;
}

typedef struct membuf {
    float *l, *r;
    size_t n, cap;
} membuf_t;

static int mem_sink(void *user, const float *l, const float *r, uint32_t frames,
                    gb_error_t *err)
{
    (void)err;
    membuf_t *m = user;
    if (m->n + frames > m->cap) {
        m->cap = (m->n + frames) * 2;
        m->l = realloc(m->l, m->cap * sizeof *m->l);
        m->r = realloc(m->r, m->cap * sizeof *m->r);
    }
    memcpy(m->l + m->n, l, frames * sizeof *l);
    memcpy(m->r + m->n, r, frames * sizeof *r);
    m->n += frames;
    return 0;
}

static void membuf_free(membuf_t *m)
{
    free(m->l);
    free(m->r);
    memset(m, 0, sizeof *m);
}

static size_t first_nonzero(const membuf_t *m)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->l[i] != 0.0f || m->r[i] != 0.0f)
            return i;
    return m->n;
}

static size_t first_difference(const membuf_t *a, const membuf_t *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++)
        if (a->l[i] != b->l[i] || a->r[i] != b->r[i])
            return i;
    return n;
}

static void render_mem(gb_engine_t *e, const gb_midifile_t *mf, const gb_osc_score_t *sc,
                       uint32_t block, double tail, membuf_t *out, gb_render_stats_t *st)
{
    gb_render_opts_t o = gb_render_opts_default();
    o.block = block;
    o.tail_s = tail;
    gb_error_t err = {0};
    int rc = gb_render_run(e, mf, sc, &o, mem_sink, out, st, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
}

/* ---------------------------------------------------------------- API */

static void note_starts_on_its_frame_for_every_block_size(void **state)
{
    (void)state;
    /* 0.5 s + 7 pulses = frame 24175: not on a block boundary for any size below. */
    gb_midifile_t *mf = one_note("note.mid", 0.5 + 7.0 / 1920.0, 1.0, 69);
    assert_int_equal(mf->events[0].frame, 24175);
    gb_preset_t *p = synth_rack();
    static const uint32_t blocks[] = {1, 64, 256, 1000, 4096};
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
        gb_engine_t *e = engine_for(p, blocks[b]);
        membuf_t m = {0};
        gb_render_stats_t st;
        render_mem(e, mf, NULL, blocks[b], 0.5, &m, &st);
        size_t onset = first_nonzero(&m);
        if (onset < 24175 || onset > 24177) {
            fprintf(stderr, "block %u: first sound at frame %zu, note at 24175\n", blocks[b],
                    onset);
            fail();
        }
        assert_int_equal(st.content_frames, 48000);
        assert_int_equal(st.n_midi_events, 2);
        membuf_free(&m);
        gb_engine_free(e);
    }
    gb_preset_free(p);
    gb_midifile_free(mf);
}

static void score_parameter_change_lands_on_its_frame(void **state)
{
    (void)state;
    gb_midifile_t *mf = one_note("held.mid", 0.0, 2.0, 57);
    gb_preset_t *p = synth_rack();
    gb_error_t err = {0};
    /* master/gain_db is applied per sample in the engine: the output changes exactly at
     * the message's frame, 1.0 s = frame 48000 (mid-block for a 256-frame block). */
    static const char text[] = "1.0 /gbac/param/master/gain_db f -20\n";
    gb_osc_score_t *sc = gb_osc_score_parse(text, sizeof text - 1, "gain.score", &err);
    assert_non_null(sc);
    static const uint32_t blocks[] = {256, 100};
    for (size_t b = 0; b < 2; b++) {
        gb_engine_t *e = engine_for(p, blocks[b]), *e2 = engine_for(p, blocks[b]);
        membuf_t plain = {0}, scored = {0};
        gb_render_stats_t st;
        render_mem(e, mf, NULL, blocks[b], 0.0, &plain, &st);
        render_mem(e2, mf, sc, blocks[b], 0.0, &scored, &st);
        assert_int_equal(st.n_score, 1);
        assert_int_equal(first_difference(&plain, &scored), 48000);
        /* 20 dB down half a second later. */
        double ea = 0, eb = 0;
        for (size_t i = 72000; i < 76800; i++) {
            ea += (double)plain.l[i] * plain.l[i];
            eb += (double)scored.l[i] * scored.l[i];
        }
        assert_true(ea > 0.0);
        assert_float_equal(10.0 * log10(eb / ea), -20.0, 0.5);
        membuf_free(&plain);
        membuf_free(&scored);
        gb_engine_free(e);
        gb_engine_free(e2);
    }
    gb_osc_score_free(sc);
    gb_preset_free(p);
    gb_midifile_free(mf);
}

static void score_notes_and_tempo_are_applied(void **state)
{
    (void)state;
    gb_preset_t *p = synth_rack();
    gb_error_t err = {0};
    static const char text[] = "0.25 /gbac/note/on ii 64 100\n"
                               "0.5 /gbac/tempo f 90\n"
                               "0.75 /gbac/note/off i 64\n";
    gb_osc_score_t *sc = gb_osc_score_parse(text, sizeof text - 1, "notes.score", &err);
    assert_non_null(sc);
    gb_engine_t *e = engine_for(p, 128);
    membuf_t m = {0};
    gb_render_stats_t st;
    render_mem(e, NULL, sc, 128, 1.0, &m, &st);
    size_t onset = first_nonzero(&m);
    assert_true(onset >= 12000 && onset <= 12002);
    assert_int_equal(st.content_frames, 36000);
    assert_float_equal(gb_engine_transport(e)->tempo_bpm, 90.0, 0.0);
    membuf_free(&m);
    gb_engine_free(e);
    gb_osc_score_free(sc);
    gb_preset_free(p);
}

static void refused_score_line_is_named(void **state)
{
    (void)state;
    gb_preset_t *p = synth_rack();
    gb_error_t err = {0};
    static const char text[] = "0 /gbac/tempo f 100\n# comment\n1 /gbac/param/synth/nope f 1\n";
    gb_osc_score_t *sc = gb_osc_score_parse(text, sizeof text - 1, "x.score", &err);
    assert_non_null(sc);
    gb_engine_t *e = engine_for(p, 256);
    membuf_t m = {0};
    gb_render_opts_t o = gb_render_opts_default();
    assert_true(gb_render_run(e, NULL, sc, &o, mem_sink, &m, NULL, &err) < 0);
    expect_text(err.msg, "x.score:3: /gbac/param/synth/nope: unknown parameter");
    assert_int_equal(m.n, 0); /* nothing rendered */
    gb_engine_free(e);
    gb_osc_score_free(sc);
    gb_preset_free(p);
}

static void tail_stops_once_silent(void **state)
{
    (void)state;
    gb_midifile_t *mf = one_note("short.mid", 0.0, 0.25, 60);
    gb_preset_t *p = synth_rack();
    gb_engine_t *e = engine_for(p, 256);
    membuf_t m = {0};
    gb_render_stats_t st;
    render_mem(e, mf, NULL, 256, 10.0, &m, &st);
    assert_int_equal(st.content_frames, 12000);
    assert_true(st.tail_cut);
    assert_int_equal(st.frames, m.n);
    assert_true(m.n < 12000 + 5 * 48000);
    /* The last 0.5 s are below -90 dBFS, and the sample before them is not. */
    const float thr = (float)pow(10.0, -90.0 / 20.0);
    for (size_t i = m.n - 24000; i < m.n; i++)
        assert_true(fabsf(m.l[i]) < thr && fabsf(m.r[i]) < thr);
    const size_t before = m.n - 24001;
    assert_true(fabsf(m.l[before]) >= thr || fabsf(m.r[before]) >= thr);
    membuf_free(&m);

    /* No tail: the render ends with the content. */
    render_mem(e, mf, NULL, 256, 0.0, &m, &st);
    assert_int_equal(m.n, 12000);
    assert_false(st.tail_cut);
    membuf_free(&m);
    gb_engine_free(e);
    gb_preset_free(p);
    gb_midifile_free(mf);
}

static void same_inputs_give_the_same_samples(void **state)
{
    (void)state;
    gb_error_t err = {0};
    gb_midifile_t *mf = gb_midifile_load(src_path("examples/demo/waltz.mid"), SR, &err);
    assert_non_null(mf);
    gb_unit_registry_t *reg = gb_unit_registry_open(NULL, 0, &err);
    gb_preset_t *p = gb_preset_load(src_path("presets/pluck-arp.json"), reg, &err);
    if (!p)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(p);
    /* Two engines built from the same preset render the same samples. (An engine reused
     * after gb_engine_reset() does not, yet: renders take a fresh engine.) */
    membuf_t a = {0}, b = {0};
    gb_render_stats_t st;
    gb_engine_t *e = engine_for(p, 256);
    render_mem(e, mf, NULL, 256, 2.0, &a, &st);
    gb_engine_free(e);
    e = engine_for(p, 256);
    render_mem(e, mf, NULL, 256, 2.0, &b, &st);
    gb_engine_free(e);
    assert_int_equal(a.n, b.n);
    assert_int_equal(first_difference(&a, &b), a.n);
    assert_true(st.peak > 0.01f);
    membuf_free(&a);
    membuf_free(&b);
    gb_preset_free(p);
    gb_unit_registry_free(reg);
    gb_midifile_free(mf);
}


/* ---------------------------------------------------------------- the commands */

static char out_text[8192];

#define RENDER(...)                                                                           \
    run_cmd(gb_cmd_render, out_text, sizeof out_text,                                        \
            (int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)), __VA_ARGS__)

static void cli_renders_bit_identical_files(void **state)
{
    (void)state;
    const char *preset = src_path("presets/warm-pad.json");
    const char *midi = src_path("tests/data/tempo-change.mid");
    static const char *const names[][2] = {
        {"a.wav", "b.wav"}, {"a.flac", "b.flac"}, {"af.wav", "bf.wav"}};
    for (int k = 0; k < 3; k++) {
        const char *fmt = k == 2 ? "float" : "pcm24";
        for (int j = 0; j < 2; j++) {
            int rc = RENDER("render", "--preset", (char *)preset, "--midi", (char *)midi, "-o",
                            (char *)tmp_path(names[k][j]), "--format", (char *)fmt, "--quiet");
            if (rc)
                fprintf(stderr, "%s\n", out_text);
            assert_int_equal(rc, 0);
        }
        assert_true(same_bytes(tmp_path(names[k][0]), tmp_path(names[k][1])));
    }
    /* The block size changes nothing: every event is applied on its own frame. The
     * arpeggiator and the echo of pluck-arp make this the hardest of the shipped presets. */
    const char *arp = src_path("presets/pluck-arp.json");
    const char *waltz = src_path("examples/demo/waltz.mid");
    assert_int_equal(RENDER("render", "--preset", (char *)arp, "--midi", (char *)waltz, "-o",
                            (char *)tmp_path("blk64.wav"), "--block", "64", "--quiet"),
                     0);
    assert_int_equal(RENDER("render", "--preset", (char *)arp, "--midi", (char *)waltz, "-o",
                            (char *)tmp_path("blk1000.wav"), "--block", "1000", "--quiet"),
                     0);
    assert_true(same_bytes(tmp_path("blk64.wav"), tmp_path("blk1000.wav")));
    /* The file holds what was asked for. */
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(tmp_path("a.flac"), SFM_READ, &info);
    assert_non_null(sf);
    assert_int_equal(info.samplerate, 48000);
    assert_int_equal(info.channels, 2);
    assert_int_equal(info.format, SF_FORMAT_FLAC | SF_FORMAT_PCM_24);
    assert_true(info.frames >= 192000 && info.frames <= 192000 + 2 * 48000);
    sf_close(sf);
    /* Another seed, block or sample rate still renders. */
    assert_int_equal(RENDER("render", "--preset", (char *)preset, "--midi", (char *)midi, "-o",
                            (char *)tmp_path("c.wav"), "--sample-rate", "44100", "--block", "64",
                            "--seed", "7", "--tail", "0.5", "--quiet"),
                     0);
    memset(&info, 0, sizeof info);
    sf = sf_open(tmp_path("c.wav"), SFM_READ, &info);
    assert_non_null(sf);
    assert_int_equal(info.samplerate, 44100);
    assert_true(info.frames >= 176400 && info.frames <= 176400 + 22050);
    sf_close(sf);
}

static void cli_bad_inputs_fail_naming_the_file(void **state)
{
    (void)state;
    const char *preset = src_path("presets/default.json");
    const char *midi = src_path("tests/data/tempo-change.mid");
    const char *out = tmp_path("bad.wav");

    /* Missing preset. */
    const char *nopreset = tmp_path("no-such-preset.json");
    assert_int_equal(RENDER("render", "--preset", (char *)nopreset, "--midi", (char *)midi, "-o",
                            (char *)out),
                     1);
    expect_text(out_text, nopreset);

    /* Corrupt MIDI: a text file, and a truncated one. */
    const char *bad = tmp_path("corrupt.mid");
    write_text(bad, "MThd but not really a MIDI file");
    assert_int_equal(RENDER("render", "--preset", (char *)preset, "--midi", (char *)bad, "-o",
                            (char *)out),
                     1);
    expect_text(out_text, bad);
    size_t n = 0;
    unsigned char *d = read_all(midi, &n);
    FILE *f = fopen(tmp_path("cut.mid"), "wb");
    fwrite(d, 1, n / 2, f);
    fclose(f);
    free(d);
    assert_int_equal(RENDER("render", "--preset", (char *)preset, "--midi",
                            (char *)tmp_path("cut.mid"), "-o", (char *)out),
                     1);
    expect_text(out_text, tmp_path("cut.mid"));
    expect_text(out_text, "truncated");

    /* Bad score lines: syntax (found when loading) and meaning (found against the rack). */
    const char *s1 = tmp_path("syntax.score");
    write_text(s1, "# moves\n0 /gbac/tempo f 100\n1.5 /gbac/param/synth/gain_db 0.4\n");
    assert_int_equal(RENDER("render", "--preset", (char *)preset, "--midi", (char *)midi,
                            "--osc-score", (char *)s1, "-o", (char *)out),
                     1);
    char want[600];
    snprintf(want, sizeof want, "%s:3: ", s1);
    expect_text(out_text, want);
    const char *s2 = tmp_path("meaning.score");
    write_text(s2, "0 /gbac/tempo f 100\n1 /gbac/note/on ii 60 300\n");
    assert_int_equal(RENDER("render", "--preset", (char *)preset, "--midi", (char *)midi,
                            "--osc-score", (char *)s2, "-o", (char *)out),
                     1);
    snprintf(want, sizeof want, "%s:2: /gbac/note/on: velocity 300 out of range", s2);
    expect_text(out_text, want);

    /* Unwritable output and unknown container: nothing is left behind. */
    assert_int_equal(RENDER("render", "--preset", (char *)preset, "--midi", (char *)midi, "-o",
                            "/nonexistent-dir/out.wav"),
                     1);
    expect_text(out_text, "/nonexistent-dir/out.wav");
    assert_int_equal(RENDER("render", "--preset", (char *)preset, "--midi", (char *)midi, "-o",
                            (char *)tmp_path("out.mp3")),
                     1);
    expect_text(out_text, "must end in .wav or .flac");
    assert_int_equal(RENDER("render", "--preset", (char *)preset, "--midi", (char *)midi, "-o",
                            (char *)tmp_path("out.flac"), "--format", "float"),
                     1);
    expect_text(out_text, "FLAC");
    assert_int_not_equal(access(out, F_OK), 0);
    assert_int_not_equal(access(tmp_path("bad.part.wav"), F_OK), 0);

    /* Usage errors: exit status 2. */
    assert_int_equal(RENDER("render"), 2);
    assert_int_equal(RENDER("render", "--preset", (char *)preset, "--frobnicate"), 2);
    assert_int_equal(RENDER("render", "--preset", (char *)preset, "--midi", (char *)midi, "-o",
                            (char *)out, "--block", "0"),
                     2);
    assert_int_equal(RENDER("render", "--preset", (char *)preset, "--midi", (char *)midi, "-o",
                            (char *)out, "--tail"),
                     2);
    assert_int_equal(RENDER("render", "--help"), 0);
    expect_text(out_stdout, "Usage: gbac render");
}

/* The first frame of a sound file whose left sample is not 0. */
static sf_count_t first_sound(const char *path)
{
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    assert_non_null(sf);
    float fr[2];
    sf_count_t i = 0;
    while (sf_readf_float(sf, fr, 1) == 1 && fr[0] == 0.0f)
        i++;
    sf_close(sf);
    return i;
}

static void demo_renders_a_short_piece(void **state)
{
    (void)state;
    const char *a = tmp_path("demo-a.wav"), *b = tmp_path("demo-b.wav");
    int rc = run_cmd(gb_cmd_demo, out_text, sizeof out_text, 4, "demo", "-o", (char *)a,
                     "--quiet");
    if (rc)
        fprintf(stderr, "%s\n", out_text);
    assert_int_equal(rc, 0);
    char want[600];
    snprintf(want, sizeof want, "%s\n", a);
    assert_string_equal(out_stdout, want); /* the file's name on stdout, nothing else */
    assert_int_equal(run_cmd(gb_cmd_demo, out_text, sizeof out_text, 4, "demo", "-o", (char *)b,
                             "--quiet"),
                     0);
    assert_true(same_bytes(a, b));
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(a, SFM_READ, &info);
    assert_non_null(sf);
    const double secs = (double)info.frames / info.samplerate;
    assert_true(secs >= 20.0 && secs <= 40.0);
    float *buf = malloc((size_t)info.frames * 2 * sizeof *buf);
    assert_int_equal(sf_readf_float(sf, buf, info.frames), info.frames);
    sf_close(sf);
    float peak = 0.0f;
    for (sf_count_t i = 0; i < 2 * info.frames; i++)
        peak = fmaxf(peak, fabsf(buf[i]));
    free(buf);
    assert_float_equal(peak, 0.708f, 0.001f); /* scaled to peak at -3 dBFS */

    /* One preset for everything, by name. */
    assert_int_equal(run_cmd(gb_cmd_demo, out_text, sizeof out_text, 6, "demo", "-o",
                             (char *)tmp_path("demo-c.wav"), "--preset", "default", "--quiet"),
                     0);
    /* --no-latency-comp: the raw output, late by the built-in limiter's 5 ms lookahead */
    assert_int_equal(run_cmd(gb_cmd_demo, out_text, sizeof out_text, 7, "demo", "-o",
                             (char *)tmp_path("demo-e.wav"), "--preset", "default",
                             "--no-latency-comp", "--quiet"),
                     0);
    const sf_count_t on_c = first_sound(tmp_path("demo-c.wav")),
                     on_e = first_sound(tmp_path("demo-e.wav"));
    fprintf(stderr, "demo onset: compensated %lld, --no-latency-comp %lld\n", (long long)on_c,
            (long long)on_e);
    assert_int_equal(on_e - on_c, 240);
    /* Data not found: a clear message, exit status 1. */
    setenv("GBAC_DATA_DIR", tmpdir, 1);
    assert_int_equal(run_cmd(gb_cmd_demo, out_text, sizeof out_text, 3, "demo", "-o",
                             (char *)tmp_path("demo-d.wav")),
                     1);
    expect_text(out_text, "cannot find the demo data");
    expect_text(out_text, tmpdir);
    unsetenv("GBAC_DATA_DIR");
    assert_int_equal(run_cmd(gb_cmd_demo, out_text, sizeof out_text, 4, "demo", "--preset",
                             "no-such-preset", "--quiet"),
                     1);
    expect_text(out_text, "no-such-preset.json");
}

static int setup(void **state)
{
    (void)state;
    const char *s = getenv("GBAC_SOURCE_DIR");
    snprintf(srcdir, sizeof srcdir, "%s", s ? s : ".");
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gbac-test-render-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(note_starts_on_its_frame_for_every_block_size),
        cmocka_unit_test(score_parameter_change_lands_on_its_frame),
        cmocka_unit_test(score_notes_and_tempo_are_applied),
        cmocka_unit_test(refused_score_line_is_named),
        cmocka_unit_test(tail_stops_once_silent),
        cmocka_unit_test(same_inputs_give_the_same_samples),
        cmocka_unit_test(cli_renders_bit_identical_files),
        cmocka_unit_test(cli_bad_inputs_fail_naming_the_file),
        cmocka_unit_test(demo_renders_a_short_piece),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
