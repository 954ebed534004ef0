/* test_melody_data.c — `gbac dataset melody` (models/gb_melody_ds_build.c) and its reader
 * (models/gb_melody_ds.c), on MIDI files written here byte by byte; with --corpus, the
 * Nottingham folk tunes shipped in models/data/nottingham (found as gbac finds it).
 * SPDX-License-Identifier: GPL-3.0-or-later */
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
#include <jansson.h>
#include <nettle/sha2.h>

#include "gb_melody_ds_build.h"
#include "gb_melody_ds.h"

#define PPQN 480

typedef struct tnote {
    int on, off, pitch; /* pulses */
    int channel;        /* channel byte 0..15 (9 = percussion) */
} tnote_t;

typedef struct buf {
    uint8_t b[8192];
    size_t n;
} buf_t;

static void put(buf_t *b, int byte)
{
    assert_true(b->n < sizeof b->b);
    b->b[b->n++] = (uint8_t)byte;
}

static void put_vlq(buf_t *b, uint32_t v)
{
    uint8_t tmp[5];
    int k = 0;
    tmp[k++] = v & 0x7f;
    while (v >>= 7)
        tmp[k++] = (uint8_t)(0x80 | (v & 0x7f));
    while (k--)
        put(b, tmp[k]);
}

/* A format 0 SMF at 120 bpm with an optional time signature (num 0 = none). */
static void write_smf(const char *path, int num, int den_pow, const tnote_t *notes, int n)
{
    buf_t tr = {.n = 0};
    put_vlq(&tr, 0);
    const uint8_t tempo[] = {0xff, 0x51, 0x03, 0x07, 0xa1, 0x20};
    for (size_t i = 0; i < sizeof tempo; i++)
        put(&tr, tempo[i]);
    if (num) {
        put_vlq(&tr, 0);
        const uint8_t ts[] = {0xff, 0x58, 0x04, (uint8_t)num, (uint8_t)den_pow, 24, 8};
        for (size_t i = 0; i < sizeof ts; i++)
            put(&tr, ts[i]);
    }
    /* Events: offs before ons at one pulse. */
    int ev_t[512], ev_on[512], ev_p[512], m = 0;
    for (int i = 0; i < n; i++) { /* the channel rides in bits 8..11 of the pitch */
        ev_t[m] = notes[i].on, ev_on[m] = 1, ev_p[m++] = notes[i].pitch | notes[i].channel << 8;
        ev_t[m] = notes[i].off, ev_on[m] = 0, ev_p[m++] = notes[i].pitch | notes[i].channel << 8;
    }
    for (int i = 1; i < m; i++)
        for (int j = i; j > 0 && (ev_t[j] < ev_t[j - 1] ||
                                  (ev_t[j] == ev_t[j - 1] && ev_on[j] < ev_on[j - 1])); j--) {
            int t = ev_t[j]; ev_t[j] = ev_t[j - 1]; ev_t[j - 1] = t;
            t = ev_on[j]; ev_on[j] = ev_on[j - 1]; ev_on[j - 1] = t;
            t = ev_p[j]; ev_p[j] = ev_p[j - 1]; ev_p[j - 1] = t;
        }
    int now = 0;
    for (int i = 0; i < m; i++) {
        put_vlq(&tr, (uint32_t)(ev_t[i] - now));
        now = ev_t[i];
        put(&tr, (ev_on[i] ? 0x90 : 0x80) | ev_p[i] >> 8);
        put(&tr, ev_p[i] & 0x7f);
        put(&tr, ev_on[i] ? 100 : 0);
    }
    put_vlq(&tr, 0);
    put(&tr, 0xff), put(&tr, 0x2f), put(&tr, 0x00);

    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    const uint8_t hd[] = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, PPQN >> 8, PPQN & 0xff,
                          'M', 'T', 'r', 'k', (uint8_t)(tr.n >> 24), (uint8_t)(tr.n >> 16),
                          (uint8_t)(tr.n >> 8), (uint8_t)tr.n};
    assert_int_equal(fwrite(hd, 1, sizeof hd, f), sizeof hd);
    assert_int_equal(fwrite(tr.b, 1, tr.n, f), tr.n);
    fclose(f);
}

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gb_melody_test.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* An ascending scale from `root` in eighth notes (2 steps each). */
static void scale(const char *path, int root, int num, int den_pow)
{
    static const int major[8] = {0, 2, 4, 5, 7, 9, 11, 12};
    tnote_t n[8];
    for (int i = 0; i < 8; i++)
        n[i] = (tnote_t){i * PPQN / 2, (i + 1) * PPQN / 2, root + major[i], 0};
    write_smf(path, num, den_pow, n, 8);
}

static const uint8_t c_scale_tokens[16] = {14, 1, 16, 1, 18, 1, 19, 1,
                                           21, 1, 23, 1, 25, 1, 26, 1};

static void c_major_scale_in_4_4_quantises_to_exact_tokens(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/cscale.mid", tmpdir);
    scale(path, 60, 4, 2);
    gb_melody_tune_t t;
    gb_error_t err = {0};
    assert_int_equal(gb_melody_tune_read(path, &t, &err), 0);
    assert_int_equal(t.meter_num, 4);
    assert_int_equal(t.meter_den, 4);
    assert_int_equal(t.steps_per_bar, 16);
    assert_int_equal(t.n_steps, 16);
    assert_int_equal(t.tonic, 0);
    assert_int_equal(t.mode, 0);
    assert_int_equal(t.shift, 0);
    assert_memory_equal(t.tokens, c_scale_tokens, 16);
    gb_melody_tune_clear(&t);
}

static void jig_in_6_8_has_12_steps_per_bar(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/jig.mid", tmpdir);
    static const int line[12] = {67, 69, 71, 72, 71, 69, 67, 66, 64, 62, 64, 66};
    tnote_t n[12];
    for (int i = 0; i < 12; i++)
        n[i] = (tnote_t){i * PPQN / 2, (i + 1) * PPQN / 2, line[i], 0};
    write_smf(path, 6, 3, n, 12);
    gb_melody_tune_t t;
    gb_error_t err = {0};
    assert_int_equal(gb_melody_tune_read(path, &t, &err), 0);
    assert_int_equal(t.meter_num, 6);
    assert_int_equal(t.meter_den, 8);
    assert_int_equal(t.steps_per_bar, 12);
    assert_int_equal(t.n_steps, 24);
    for (int s = 0; s < 24; s++)
        assert_int_equal(t.tokens[s] == GB_MDS_HOLD, s % 2 == 1);
    gb_melody_tune_clear(&t);

    /* 3/4 too: 12 steps per bar. */
    snprintf(path, sizeof path, "%s/waltz.mid", tmpdir);
    write_smf(path, 3, 2, n, 12);
    assert_int_equal(gb_melody_tune_read(path, &t, &err), 0);
    assert_int_equal(t.steps_per_bar, 12);
    gb_melody_tune_clear(&t);
}

static void d_major_scale_is_detected_and_moved_to_c(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/dscale.mid", tmpdir);
    scale(path, 62, 4, 2);
    gb_melody_tune_t t;
    gb_error_t err = {0};
    assert_int_equal(gb_melody_tune_read(path, &t, &err), 0);
    assert_int_equal(t.tonic, 2);
    assert_int_equal(t.mode, 0);
    assert_int_equal(t.shift, -2);
    assert_memory_equal(t.tokens, c_scale_tokens, 16);
    gb_melody_tune_clear(&t);

    /* Profiles alone: an A natural-minor histogram weighted on A, C, E is A minor. */
    const double hist[12] = {3, 0, 1, 0, 3, 1, 0, 1, 0, 5, 0, 1};
    int tonic, mode;
    gb_melody_key(hist, &tonic, &mode);
    assert_int_equal(tonic, 9);
    assert_int_equal(mode, 1);
}

static void overlapping_notes_keep_the_highest(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/overlap.mid", tmpdir);
    /* C4 for 8 steps; G4 over it on steps 2..3; then C4 sounds alone again from step 4. */
    const tnote_t n[2] = {{0, 2 * PPQN, 60, 0}, {PPQN / 2, PPQN, 67, 0}};
    write_smf(path, 4, 2, n, 2);
    gb_melody_tune_t t;
    gb_error_t err = {0};
    assert_int_equal(gb_melody_tune_read(path, &t, &err), 0);
    const int c = t.tokens[0];
    assert_true(c >= GB_MDS_PITCH_BASE);
    assert_int_equal(t.tokens[1], GB_MDS_HOLD);
    assert_int_equal(t.tokens[2], c + 7);
    assert_int_equal(t.tokens[3], GB_MDS_HOLD);
    assert_int_equal(t.tokens[4], c); /* re-struck */
    for (int s = 5; s < 8; s++)
        assert_int_equal(t.tokens[s], GB_MDS_HOLD);
    for (int s = 8; s < 16; s++)
        assert_int_equal(t.tokens[s], GB_MDS_REST);
    gb_melody_tune_clear(&t);
}

/* Drums on channel 10 above the melody are not its top line: dropped and counted; a file of
 * drums alone has no melody; --licence goes into the manifest. */
static void percussion_is_dropped_and_counted(void **state)
{
    (void)state;
    char in[512], out[512], path[600];
    snprintf(in, sizeof in, "%s/drums", tmpdir);
    snprintf(out, sizeof out, "%s/drums-out", tmpdir);
    assert_int_equal(mkdir(in, 0777), 0);
    static const int major[8] = {0, 2, 4, 5, 7, 9, 11, 12};
    tnote_t n[12];
    for (int i = 0; i < 8; i++)
        n[i] = (tnote_t){i * PPQN / 2, (i + 1) * PPQN / 2, 60 + major[i], 0};
    for (int i = 0; i < 4; i++) /* hi-hat-like hits, higher than every melody note */
        n[8 + i] = (tnote_t){i * PPQN, i * PPQN + PPQN / 4, 81, 9};
    snprintf(path, sizeof path, "%s/with-drums.mid", in);
    write_smf(path, 4, 2, n, 12);
    gb_melody_tune_t t;
    gb_error_t err = {0};
    assert_int_equal(gb_melody_tune_read(path, &t, &err), 0);
    assert_int_equal(t.percussion, 4);
    assert_int_equal(t.notes, 8);
    assert_memory_equal(t.tokens, c_scale_tokens, 16);
    gb_melody_tune_clear(&t);

    snprintf(path, sizeof path, "%s/only-drums.mid", in);
    write_smf(path, 4, 2, n + 8, 4);
    assert_int_equal(gb_melody_tune_read(path, &t, &err), GB_EFORMAT);
    assert_non_null(strstr(err.msg, "only-drums.mid: no notes but 4 on channel 10"));

    gb_melody_ds_build_config_t cfg;
    gb_melody_ds_build_config_init(&cfg);
    cfg.from_dir = in;
    cfg.out_dir = out;
    cfg.licence = "CC-BY-4.0 (test tunes)";
    cfg.split[0] = 1, cfg.split[1] = 0, cfg.split[2] = 0;
    gb_melody_ds_build_result_t r;
    assert_int_equal(gb_melody_ds_build(&cfg, &r, &err), 0);
    assert_int_equal(r.files, 2);
    assert_int_equal(r.skipped, 1);
    assert_int_equal(r.percussion_dropped, 4);
    assert_int_equal(r.validation + r.test, 0);
    gb_melody_ds_t *ds = gb_melody_ds_load(out, &err);
    assert_non_null(ds);
    assert_string_equal(ds->licence, "CC-BY-4.0 (test tunes)");
    gb_melody_ds_free(ds);
    snprintf(path, sizeof path, "%s/manifest.json", out);
    json_t *root = json_load_file(path, 0, NULL);
    assert_non_null(root);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "counts"),
                                                        "percussion_dropped")), 4);
    json_decref(root);
}

static void corrupt_file_is_skipped_and_counted_and_dataset_reads_back(void **state)
{
    (void)state;
    char in[512], out[512], path[600];
    snprintf(in, sizeof in, "%s/in", tmpdir);
    snprintf(out, sizeof out, "%s/out", tmpdir);
    assert_int_equal(mkdir(in, 0777), 0);
    for (int i = 0; i < 10; i++) {
        snprintf(path, sizeof path, "%s/tune%02d.mid", in, i);
        scale(path, 60 + i, i % 2 ? 6 : 4, i % 2 ? 3 : 2);
    }
    snprintf(path, sizeof path, "%s/corrupt.mid", in);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("MThd\0\0\0\6garbage", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/notes.txt", in);
    f = fopen(path, "wb");
    fputs("not a MIDI file", f);
    fclose(f);

    gb_melody_ds_build_config_t cfg;
    gb_melody_ds_build_config_init(&cfg);
    cfg.from_dir = in;
    cfg.out_dir = out;
    cfg.split[0] = 0.6, cfg.split[1] = 0.2, cfg.split[2] = 0.2;
    cfg.transpose_lo = -1, cfg.transpose_hi = 1;
    gb_melody_ds_build_result_t r;
    gb_error_t err = {0};
    assert_int_equal(gb_melody_ds_build(&cfg, &r, &err), 0);
    assert_int_equal(r.files, 11);
    assert_int_equal(r.skipped, 1);
    assert_int_equal(r.tunes, 10);
    assert_int_equal(r.train, 6);
    assert_int_equal(r.validation, 2);
    assert_int_equal(r.test, 2);
    /* 4/4 tunes: 1 bar; 6/8 tunes: 16 steps → 2 bars of 12. */
    assert_int_equal(r.bars, 5 * 1 + 5 * 2);
    assert_int_equal(r.n_meters, 2);

    gb_melody_ds_t *ds = gb_melody_ds_load(out, &err);
    assert_non_null(ds);
    assert_string_equal(ds->licence, GB_MELODY_UNKNOWN_LICENCE); /* not the shipped corpus */
    assert_string_equal(ds->source, in);
    assert_int_equal(ds->n_tunes, 10);
    assert_int_equal(ds->n_records, r.records);
    uint32_t orig = 0, train_bars = 0;
    for (uint32_t i = 0; i < ds->n_records; i++) {
        const gb_mds_record_t *rec = &ds->records[i];
        assert_int_equal(rec->split, ds->tunes[rec->tune].split);
        orig += rec->transpose == 0;
        if (rec->transpose != 0)
            assert_int_equal(rec->split, GB_MDS_TRAIN);
        if (rec->split == GB_MDS_TRAIN && rec->transpose == 0)
            train_bars++;
        for (int s = rec->steps_per_bar; s < GB_MDS_MAX_STEPS; s++)
            assert_int_equal(rec->target[s], GB_MDS_PAD);
    }
    assert_int_equal(orig, r.bars);
    assert_int_equal(r.records, r.bars + 2 * train_bars);
    gb_melody_ds_free(ds);

    /* Reader errors: a truncated bars.bin, a missing folder. */
    snprintf(path, sizeof path, "%s/bars.bin", out);
    assert_int_equal(truncate(path, 10), 0);
    assert_null(gb_melody_ds_load(out, &err));
    assert_int_equal(err.code, GB_EFORMAT);
    assert_non_null(strstr(err.msg, "bars.bin"));
    assert_null(gb_melody_ds_load("/nonexistent/melody", &err));
    assert_int_equal(err.code, GB_EIO);
    /* A folder without MIDI files is an error, not a crash. */
    cfg.from_dir = out;
    assert_int_equal(gb_melody_ds_build(&cfg, &r, &err), GB_ERANGE);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* SHA-256 over "HEX  PATH\n" lines of every file, paths sorted: the command of SOURCE.md
 * (find MIDI ABC_cleaned LICENSE README.md -type f | LC_ALL=C sort | xargs sha256sum |
 * sha256sum). */
static void corpus_checksum(const char *base, char *hex)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cd '%s' && find MIDI ABC_cleaned LICENSE README.md -type f",
             base);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *names[1200], line[512];
    int n = 0;
    while (n < 1200 && fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        names[n++] = strdup(line);
    }
    pclose(p);
    qsort(names, (size_t)n, sizeof *names, str_cmp);
    struct sha256_ctx all, one;
    sha256_init(&all);
    for (int i = 0; i < n; i++) {
        char path[1600];
        snprintf(path, sizeof path, "%s/%s", base, names[i]);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        uint8_t buf[65536], d[SHA256_DIGEST_SIZE];
        size_t k;
        sha256_init(&one);
        while ((k = fread(buf, 1, sizeof buf, f)) > 0)
            sha256_update(&one, k, buf);
        fclose(f);
        sha256_digest(&one, sizeof d, d);
        char l[1700];
        int len = 0;
        for (int j = 0; j < SHA256_DIGEST_SIZE; j++)
            len += snprintf(l + len, sizeof l - (size_t)len, "%02x", d[j]);
        len += snprintf(l + len, sizeof l - (size_t)len, "  %s\n", names[i]);
        sha256_update(&all, (size_t)len, (const uint8_t *)l);
        free(names[i]);
    }
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_digest(&all, sizeof d, d);
    for (int j = 0; j < SHA256_DIGEST_SIZE; j++)
        snprintf(hex + 2 * j, 3, "%02x", d[j]);
}

/* The shipped corpus: unchanged (the checksum of SOURCE.md), found without --from, every
 * file read, meters 6/8 and 3/4, no tune in two splits. */
static void corpus_nottingham(void **state)
{
    (void)state;
    const char *src = getenv("GBAC_SOURCE_DIR");
    char base[1024], out[512], hex[2 * SHA256_DIGEST_SIZE + 1];
    snprintf(base, sizeof base, "%s/models/data/nottingham", src ? src : ".");
    corpus_checksum(base, hex);
    assert_string_equal(hex, "1d7fe799df1e5ad4b763f61dd74e2d31e36ddb19a76dadf3105fd97cbac656a8");
    snprintf(out, sizeof out, "%s/corpus", tmpdir);
    gb_melody_ds_build_config_t cfg;
    gb_melody_ds_build_config_init(&cfg);
    cfg.out_dir = out; /* no from_dir: the shipped corpus */
    gb_melody_ds_build_result_t r;
    gb_error_t err = {0};
    assert_int_equal(gb_melody_ds_build(&cfg, &r, &err), 0);
    printf("corpus: %d files, %d skipped, %d tunes (%d train, %d validation, %d test), "
           "%u bars, %u records; bars by meter:", r.files, r.skipped, r.tunes, r.train,
           r.validation, r.test, r.bars, r.records);
    int has68 = 0, has34 = 0;
    for (int m = 0; m < r.n_meters; m++) {
        printf(" %d/%d %u", r.meters[m].num, r.meters[m].den, r.meters[m].bars);
        has68 |= r.meters[m].num == 6 && r.meters[m].den == 8 && r.meters[m].bars > 0;
        has34 |= r.meters[m].num == 3 && r.meters[m].den == 4 && r.meters[m].bars > 0;
    }
    printf("\n");
    assert_int_equal(r.files, 1034);
    assert_int_equal(r.skipped, 0);
    assert_int_equal(r.tunes, 1034);
    assert_int_equal(r.percussion_dropped, 0);
    assert_true(has68 && has34);

    /* By tune: no name in two split lists, every record in its tune's split. */
    char man[600];
    snprintf(man, sizeof man, "%s/manifest.json", out);
    json_t *root = json_load_file(man, 0, NULL);
    assert_non_null(root);
    json_t *seen = json_object();
    static const char *const names[3] = {"train", "validation", "test"};
    int total = 0;
    for (int s = 0; s < 3; s++) {
        json_t *list = json_object_get(json_object_get(root, "splits"), names[s]), *v;
        size_t i;
        json_array_foreach(list, i, v) {
            assert_null(json_object_get(seen, json_string_value(v)));
            json_object_set_new(seen, json_string_value(v), json_true());
            total++;
        }
    }
    assert_int_equal(total, r.tunes);
    json_decref(seen);
    json_decref(root);
    gb_melody_ds_t *ds = gb_melody_ds_load(out, &err);
    assert_non_null(ds);
    assert_string_equal(ds->source, GB_MELODY_CORPUS);
    assert_string_equal(ds->licence, "GPL-3.0");
    for (uint32_t i = 0; i < ds->n_records; i++)
        assert_int_equal(ds->records[i].split, ds->tunes[ds->records[i].tune].split);
    gb_melody_ds_free(ds);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--corpus") == 0) {
        const struct CMUnitTest corpus[] = {cmocka_unit_test(corpus_nottingham)};
        return cmocka_run_group_tests(corpus, setup, teardown);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(c_major_scale_in_4_4_quantises_to_exact_tokens),
        cmocka_unit_test(jig_in_6_8_has_12_steps_per_bar),
        cmocka_unit_test(d_major_scale_is_detected_and_moved_to_c),
        cmocka_unit_test(overlapping_notes_keep_the_highest),
        cmocka_unit_test(percussion_is_dropped_and_counted),
        cmocka_unit_test(corrupt_file_is_skipped_and_counted_and_dataset_reads_back),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
