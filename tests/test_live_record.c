/* test_live_record.c — `gbac live --record DIR` against a real, named jackd (dummy backend):
 * a C JACK client plays a phrase into gbac:midi_in and counts the notes gbac:midi_out
 * sends back; after 10 s, SIGTERM. The session folder must hold a WAV whose length is the
 * frames gbac played while recording (provenance "frames"), a MIDI file with the "performer"
 * track and the note source's named track holding exactly the notes sent and received, and
 * model hashes equal to sha256sum of the files in models/. Then the same on a tiny tmpfs that
 * fills up: gbac plays on, says "disk full", and the WAV holds exactly the whole frames
 * written. Then over OSC: /gbac/record/start (confined names), a phrase by /gbac/note, the
 * melody GAN's `score` reports reaching a subscriber, /gbac/rate like and dislike (and its
 * errors), /gbac/record/stop with its summary, the ratings in provenance.json and
 * control.jsonl. Xruns are not asserted (the dummy backend's timer makes them); the phrase's
 * events all go out even if the client misses a cycle (tests/gb_jack_io.h), so the performer
 * track holds exactly the notes sent; a generated note the client did not count is tolerated
 * only when it saw an xrun.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jack/jack.h>
#include <jack/midiport.h>
#include <jansson.h>
#include <lo/lo.h>
#include <smf.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gb_jack_io.h"
#include "gb_jack_util.h"

static char server[64], tmpdir[256], srcdir[1024], preset[1200], model_slot[64];
static pid_t jackd_pid = -1, gbac_pid = -1;

/* ---- the JACK client: a phrase out, generated notes counted in ---------------------------- */

#define N_PHRASE 6
static struct {
    jack_client_t *c;
    jack_port_t *out, *in;
    gbt_sched_t sched;        /* the phrase, at absolute frames */
    atomic_int received_ons;  /* note-ons gbac:midi_out sent */
    atomic_int xruns;         /* the server's xruns while the client ran */
} cl;

static int cl_xrun(void *arg)
{
    (void)arg;
    atomic_fetch_add(&cl.xruns, 1);
    return 0;
}

static int cl_process(jack_nframes_t n, void *arg)
{
    (void)arg;
    void *ob = jack_port_get_buffer(cl.out, n);
    void *ib = jack_port_get_buffer(cl.in, n);
    jack_midi_clear_buffer(ob);
    const uint32_t ne = jack_midi_get_event_count(ib);
    for (uint32_t i = 0; i < ne; i++) {
        jack_midi_event_t e;
        if (jack_midi_event_get(&e, ib, i) == 0 && e.size == 3 && (e.buffer[0] & 0xF0) == 0x90 &&
            e.buffer[2] > 0)
            atomic_fetch_add(&cl.received_ons, 1);
    }
    gbt_sched_process(&cl.sched, ob, jack_last_frame_time(cl.c), n);
    return 0;
}

/* The phrase from 0.1 s on: N_PHRASE notes of 0.25 s every 0.3 s, then silence for the
 * answer. on_idx gets the note-ons' indices in the client's table. */
static void play_phrase(uint64_t on_idx[N_PHRASE])
{
    static const uint8_t keys[N_PHRASE] = {60, 62, 64, 65, 67, 64};
    const uint64_t start = jack_frame_time(cl.c) + 4800;
    for (int k = 0; k < N_PHRASE; k++) {
        const uint64_t on = start + (uint64_t)k * 14400;
        on_idx[k] = gbt_sched_add(&cl.sched, on, 0x90, keys[k], 100);
        gbt_sched_add(&cl.sched, on + 12000, 0x80, keys[k], 64);
    }
}

static int open_client(void)
{
    memset(&cl, 0, sizeof cl);
    jack_status_t s;
    cl.c = jack_client_open("player", JackNoStartServer | JackServerName, &s, server);
    if (!cl.c)
        return -1;
    cl.out = jack_port_register(cl.c, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    cl.in = jack_port_register(cl.c, "in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    jack_set_process_callback(cl.c, cl_process, NULL);
    jack_set_xrun_callback(cl.c, cl_xrun, NULL);
    if (!cl.out || !cl.in || jack_activate(cl.c))
        return -1;
    if (jack_connect(cl.c, "player:out", "gbr:midi_in") ||
        jack_connect(cl.c, "gbr:midi_out", "player:in"))
        return -1;
    return 0;
}

static void close_client(void)
{
    if (cl.c)
        jack_client_close(cl.c);
    cl.c = NULL;
}

/* ---- helpers -------------------------------------------------------------------------------- */

static int start_gbac(const char *record_dir, const char *log)
{
    const char *bin = getenv("GBAC_BIN");
    char *argv[] = {(char *)(bin ? bin : "gbac"), "live", "--preset", preset, "--name", "gbr",
                    "--server", server, "--no-ui", "--osc-port", "0", "--record",
                    (char *)record_dir, NULL};
    gbac_pid = gbt_spawn(argv, log);
    return gbt_wait_port(server, "gbr:midi_out", 10000);
}

static json_t *load_json(const char *path)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j)
        fail_msg("%s: %s", path, je.text);
    return j;
}

static long wav_frames(const char *path)
{
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf)
        fail_msg("%s: %s", path, sf_strerror(NULL));
    /* read it all: a header that claims more than the file holds would show here */
    float buf[8192];
    long got = 0;
    sf_count_t k;
    while ((k = sf_readf_float(sf, buf, 4096)) > 0)
        got += (long)k;
    assert_int_equal(got, info.frames);
    sf_close(sf);
    return (long)info.frames;
}

static int count_file(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return strstr(buf, needle) != NULL;
}

/* MIDI track names and note-on counts (libsmf). */
static int midi_tracks(const char *path, char names[][128], int ons[], int max)
{
    smf_t *smf = smf_load(path);
    assert_non_null(smf);
    int n = smf->number_of_tracks < max ? smf->number_of_tracks : max;
    for (int t = 0; t < n; t++) {
        names[t][0] = 0;
        ons[t] = 0;
        smf_track_t *tr = smf_get_track_by_number(smf, t + 1);
        smf_event_t *ev;
        while ((ev = smf_track_get_next_event(tr)) != NULL) {
            const unsigned char *b = ev->midi_buffer;
            if (ev->midi_buffer_length >= 2 && b[0] == 0xFF && b[1] == 0x03 && !names[t][0]) {
                char *txt = smf_event_extract_text(ev);
                snprintf(names[t], 128, "%s", txt ? txt : "");
                free(txt);
            } else if (ev->midi_buffer_length == 3 && (b[0] & 0xF0) == 0x90 && b[2] > 0) {
                ons[t]++;
            }
        }
    }
    smf_delete(smf);
    return n;
}

/* ---- setup ---------------------------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    const char *s = getenv("GBAC_SOURCE_DIR");
    snprintf(srcdir, sizeof srcdir, "%s", s ? s : ".");
    /* The melody GAN's preset when it is there (a model with a hash), else the arpeggiator. */
    snprintf(preset, sizeof preset, "%s/presets/melody-answer.json", srcdir);
    snprintf(model_slot, sizeof model_slot, "melody (gbac.melody-gan)");
    if (access(preset, R_OK) != 0) {
        snprintf(preset, sizeof preset, "%s/presets/pluck-arp.json", srcdir);
        snprintf(model_slot, sizeof model_slot, "arp (gbac.arpeggiator)");
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gbac-test-live-record-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(server, sizeof server, "gbrec%d", (int)getpid());
    setenv("JACK_DEFAULT_SERVER", server, 1);
    setenv("JACK_NO_START_SERVER", "1", 1);
    char log[400];
    snprintf(log, sizeof log, "%s/jackd.log", tmpdir);
    return gbt_start_jackd(server, 256, log, &jackd_pid);
}

static int teardown(void **state)
{
    (void)state;
    close_client();
    gbt_stop(&gbac_pid, SIGKILL);
    gbt_stop(&jackd_pid, SIGTERM);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "umount '%s/tiny' 2>/dev/null; rm -rf '%s'", tmpdir, tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- the tests ------------------------------------------------------------------------------ */

static void test_live_record_10s(void **state)
{
    (void)state;
    char dir[400], log[400], path[600];
    snprintf(dir, sizeof dir, "%s/take1", tmpdir);
    snprintf(log, sizeof log, "%s/gbac1.log", tmpdir);
    assert_int_equal(start_gbac(dir, log), 0);
    assert_int_equal(open_client(), 0);
    /* The ports come first; the recording starts once the rest is set up (its first
     * provenance.json): play only then, so every note sent falls inside it. */
    snprintf(path, sizeof path, "%s/provenance.json", dir);
    for (int i = 0; i < 100 && access(path, R_OK) != 0; i++)
        gbt_sleep_ms(100);
    assert_int_equal(access(path, R_OK), 0);
    gbt_sleep_ms(200);
    uint64_t on_idx[N_PHRASE];
    play_phrase(on_idx);
    gbt_sleep_ms(10000);
    int st = gbt_stop(&gbac_pid, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* read after gbac left: every period it recorded also reached this client (it runs
     * after gbac in the same cycle), so the counts match exactly */
    gbt_sleep_ms(100);
    const int received = atomic_load(&cl.received_ons);
    int sent = 0;
    for (int k = 0; k < N_PHRASE; k++)
        sent += gbt_sched_sent(&cl.sched, on_idx[k]) != GBT_UNSENT;
    const long late = atomic_load(&cl.sched.late);
    close_client();
    assert_int_equal(sent, N_PHRASE);

    snprintf(path, sizeof path, "%s/provenance.json", dir);
    json_t *p = load_json(path);
    const long frames = (long)json_integer_value(json_object_get(p, "frames"));
    json_t *a = json_object_get(p, "audio");
    snprintf(path, sizeof path, "%s/audio.wav", dir);
    const long wf = wav_frames(path);
    print_message("live: %ld frames played while recording (%.2f s), %ld in the WAV, "
                  "%d performer notes sent, %d generated notes received\n", frames,
                  (double)frames / 48000.0, wf, sent, received);
    /* the must-show: the WAV's length is the frames played */
    assert_int_equal(wf, frames);
    assert_int_equal(json_integer_value(json_object_get(a, "frames")), frames);
    assert_int_equal(json_integer_value(json_object_get(a, "overruns")), 0);
    assert_true(json_is_true(json_object_get(a, "complete")));
    assert_true(frames >= 48000 * 9 && frames <= 48000 * 13);
    assert_string_equal(json_string_value(json_object_get(p, "command")), "live");

    /* notes.mid: two named tracks (after the conductor track) with the notes sent / heard */
    snprintf(path, sizeof path, "%s/notes.mid", dir);
    char names[8][128];
    int ons[8];
    const int nt = midi_tracks(path, names, ons, 8);
    assert_true(nt >= 2);
    assert_string_equal(names[1], "performer");
    /* Every note sent reached gbac (an event whose cycle the client missed went out in the
     * next one: `late`). */
    const int xr = atomic_load(&cl.xruns);
    print_message("performer track: %d of %d notes sent (%d xruns, %ld events sent late)\n",
                  ons[1], sent, xr, late);
    assert_int_equal(ons[1], sent);
    json_t *c = json_object_get(p, "contributions");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(c, "performer"),
                                                        "notes")), ons[1]);
    if (received > 0) {
        assert_int_equal(nt, 3);
        assert_string_equal(names[2], model_slot);
        if (xr == 0)
            assert_int_equal(ons[2], received);
        else
            assert_true(abs(ons[2] - received) <= xr);
        json_t *m0 = json_array_get(json_object_get(c, "models"), 0);
        assert_int_equal(json_integer_value(json_object_get(m0, "notes")), ons[2]);
    } else {
        fail_msg("the note source generated nothing in 10 s (preset %s)", preset);
    }

    /* models: each hash is sha256sum of the file of that name in models/ */
    json_t *models = json_object_get(p, "models");
    if (strstr(preset, "melody-answer"))
        assert_true(json_array_size(models) >= 1);
    for (size_t i = 0; i < json_array_size(models); i++) {
        json_t *m = json_array_get(models, i);
        const char *file = json_string_value(json_object_get(m, "file"));
        const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
        char cmd[1400], want[80] = "";
        snprintf(cmd, sizeof cmd, "sha256sum '%s/models/%s'", srcdir, base);
        FILE *f = popen(cmd, "r");
        assert_non_null(f);
        assert_int_equal(fscanf(f, "%64s", want), 1);
        pclose(f);
        assert_string_equal(json_string_value(json_object_get(m, "sha256")), want);
        print_message("model %s: sha256 %s matches models/%s\n",
                      json_string_value(json_object_get(m, "slot")), want, base);
    }
    json_decref(p);
}

/* A 2 MiB tmpfs: after the 1 MiB reserve, about 2.7 s of float stereo fit. gbac plays on
 * (it keeps counting frames played and answers JACK), says "disk full" once, and at SIGTERM
 * writes a WAV of exactly the whole frames that fit plus a complete provenance.json. */
static void test_live_record_disk_full(void **state)
{
    (void)state;
    char mnt[400], dir[500], log[400], path[600];
    snprintf(mnt, sizeof mnt, "%s/tiny", tmpdir);
    mkdir(mnt, 0755);
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=2m") != 0)
        fail_msg("cannot mount a tmpfs on %s for the full-disk test (needs root): %s", mnt,
                 strerror(errno));
    snprintf(dir, sizeof dir, "%s/take", mnt);
    snprintf(log, sizeof log, "%s/gbac2.log", tmpdir);
    assert_int_equal(start_gbac(dir, log), 0);
    gbt_sleep_ms(7000);
    assert_int_equal(count_file(log, "disk full: "), 1);
    assert_int_equal(count_file(log, "the music goes on"), 1);
    assert_true(gbt_port_exists(server, "gbr:out_L")); /* still a client, still playing */
    int st = gbt_stop(&gbac_pid, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

    snprintf(path, sizeof path, "%s/provenance.json", dir);
    json_t *p = load_json(path);
    json_t *a = json_object_get(p, "audio");
    const long frames = (long)json_integer_value(json_object_get(p, "frames"));
    const long written = (long)json_integer_value(json_object_get(a, "frames"));
    snprintf(path, sizeof path, "%s/audio.wav", dir);
    const long wf = wav_frames(path);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    print_message("disk full: %ld frames played, %ld written (%ld in the WAV, %lld bytes), "
                  "stopped: %s\n", frames, written, wf, (long long)sb.st_size,
                  json_string_value(json_object_get(a, "stopped")));
    assert_int_equal(wf, written);
    assert_true(written > 48000 && written < frames - 48000 * 3);
    assert_true(frames >= 48000 * 6); /* the audio thread went on for the whole run */
    assert_int_equal((long)sb.st_size % 8, 88 % 8); /* whole frames after the 88-byte header */
    assert_int_equal((long)sb.st_size, 88 + 8 * written);
    assert_false(json_is_true(json_object_get(a, "complete")));
    assert_non_null(strstr(json_string_value(json_object_get(a, "stopped")),
                           "disk full: "));
    json_decref(p);
    assert_int_equal(umount(mnt), 0);
}

/* ---- OSC: /gbac/record/start, /gbac/rate, /gbac/record/stop ---------------------------------- */

static char last_path[128], last_text[2048];
static int n_replies;

static atomic_int n_scores;

/* Feedback from being subscribed: counted apart from the replies. */
static int on_feedback(const char *path, const char *types, lo_arg **argv, int argc,
                       lo_message m, void *user)
{
    (void)types;
    (void)argv;
    (void)argc;
    (void)m;
    (void)user;
    if (strcmp(path, "/gbac/param/melody/score") == 0)
        atomic_fetch_add(&n_scores, 1);
    return 0;
}

static int on_reply(const char *path, const char *types, lo_arg **argv, int argc, lo_message m,
                    void *user)
{
    (void)m;
    (void)user;
    if (strcmp(path, "/gbac/meter") == 0 || strcmp(path, "/gbac/note/generated") == 0 ||
        strncmp(path, "/gbac/param/", 12) == 0 || strcmp(path, "/gbac/xrun") == 0)
        return on_feedback(path, types, argv, argc, m, user);
    snprintf(last_path, sizeof last_path, "%s", path);
    last_text[0] = 0;
    for (int i = 0; i < argc; i++)
        if (types[i] == 's')
            snprintf(last_text + strlen(last_text), sizeof last_text - strlen(last_text),
                     "%s%s", i ? " | " : "", (const char *)argv[i]);
    n_replies++;
    return 0;
}

/* Send and wait up to 2 s for one reply (0: none). */
static int ask(lo_server srv, lo_address to, const char *path, const char *types, ...)
{
    lo_message m = lo_message_new();
    va_list ap;
    va_start(ap, types);
    for (const char *t = types; *t; t++)
        lo_message_add_string(m, va_arg(ap, const char *));
    va_end(ap);
    n_replies = 0;
    last_path[0] = 0;
    lo_send_message_from(to, srv, path, m);
    lo_message_free(m);
    for (int i = 0; i < 40 && !n_replies; i++)
        lo_server_recv_noblock(srv, 50);
    return n_replies;
}

static void test_live_record_osc(void **state)
{
    (void)state;
    if (!strstr(preset, "melody-answer"))
        skip(); /* /gbac/rate needs a unit with like/dislike */
    char log[400], port[16], path[800];
    snprintf(log, sizeof log, "%s/gbac3.log", tmpdir);
    snprintf(port, sizeof port, "%d", 20000 + (int)(getpid() % 20000));
    const char *bin = getenv("GBAC_BIN");
    char *argv[] = {(char *)(bin ? bin : "gbac"), "live", "--preset", preset, "--name", "gbr",
                    "--server", server, "--no-ui", "--osc-port", port, "--session-dir",
                    tmpdir, NULL};
    gbac_pid = gbt_spawn(argv, log);
    assert_int_equal(gbt_wait_port(server, "gbr:midi_out", 10000), 0);
    lo_server srv = lo_server_new(NULL, NULL);
    assert_non_null(srv);
    lo_server_add_method(srv, NULL, NULL, on_reply, NULL);
    lo_address to = lo_address_new("127.0.0.1", port);
    /* the JACK ports come before the OSC server: wait until it answers */
    for (int i = 0; i < 10 && !ask(srv, to, "/gbac/ping", ""); i++)
        ;
    assert_string_equal(last_path, "/gbac/pong");

    assert_int_equal(ask(srv, to, "/gbac/record/start", "s", "../outside"), 1);
    assert_string_equal(last_path, "/gbac/error");
    assert_non_null(strstr(last_text, "contains '..'"));
    assert_int_equal(ask(srv, to, "/gbac/record/stop", ""), 1);
    assert_string_equal(last_path, "/gbac/error");
    assert_non_null(strstr(last_text, "not recording"));

    assert_int_equal(ask(srv, to, "/gbac/record/start", "s", "osc-take"), 1);
    assert_string_equal(last_path, "/gbac/record/started");
    assert_non_null(strstr(last_text, "/osc-take"));
    /* A phrase over OSC, then the melody GAN answers; the critic's score of each bar it
     * generates reaches subscribers as /gbac/param/melody/score. */
    assert_int_equal(ask(srv, to, "/gbac/subscribe", ""), 1);
    assert_string_equal(last_path, "/gbac/subscribed");
    for (int k = 0; k < 3; k++) {
        lo_send_from(to, srv, LO_TT_IMMEDIATE, "/gbac/note/on", "ii", 60 + 2 * k, 100);
        lo_server_recv_noblock(srv, 300);
        lo_send_from(to, srv, LO_TT_IMMEDIATE, "/gbac/note/off", "i", 60 + 2 * k);
        lo_server_recv_noblock(srv, 50);
    }
    for (int i = 0; i < 200 && atomic_load(&n_scores) == 0; i++)
        lo_server_recv_noblock(srv, 50);
    assert_true(atomic_load(&n_scores) >= 1);
    assert_int_equal(ask(srv, to, "/gbac/record/start", "s", "another"), 1);
    assert_non_null(strstr(last_text, "already recording"));
    assert_int_equal(ask(srv, to, "/gbac/rate", "ss", "synth", "like"), 1);
    assert_string_equal(last_path, "/gbac/error");
    assert_non_null(strstr(last_text, "the slot 'synth' has no 'like' parameter"));
    assert_int_equal(ask(srv, to, "/gbac/rate", "ss", "melody", "love"), 1);
    assert_non_null(strstr(last_text, "\"like\" or \"dislike\""));
    ask(srv, to, "/gbac/rate", "ss", "melody", "like"); /* no reply: served */
    assert_int_equal(n_replies, 0);
    gbt_sleep_ms(500);
    ask(srv, to, "/gbac/rate", "ss", "melody", "dislike");
    assert_int_equal(n_replies, 0);
    gbt_sleep_ms(1000);
    assert_int_equal(ask(srv, to, "/gbac/record/stop", ""), 1);
    assert_string_equal(last_path, "/gbac/record/stopped");
    assert_non_null(strstr(last_text, "2 ratings"));
    assert_non_null(strstr(last_text, "3 performer notes"));
    print_message("OSC: %s\n", last_text);

    snprintf(path, sizeof path, "%s/osc-take/provenance.json", tmpdir);
    json_t *p = load_json(path);
    json_t *r = json_object_get(p, "ratings");
    assert_int_equal(json_array_size(r), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 0), "value")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 1), "value")), -1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "slot")),
                        "melody");
    const long f0 = (long)json_integer_value(json_object_get(json_array_get(r, 0), "frame"));
    const long f1 = (long)json_integer_value(json_object_get(json_array_get(r, 1), "frame"));
    assert_true(f1 - f0 >= 48000 * 4 / 10); /* 0.5 s apart, give or take a period */
    assert_true(json_array_size(json_object_get(p, "phrases")) >= 1);
    json_decref(p);
    snprintf(path, sizeof path, "%s/osc-take/control.jsonl", tmpdir);
    assert_int_equal(count_file(path, "\"kind\":\"rating\",\"slot\":\"melody\",\"value\":-1"), 1);
    assert_int_equal(count_file(path, "\"param\":\"melody/like\",\"value\":1.0,\"from\":\"osc\""),
                     1);
    lo_address_free(to);
    lo_server_free(srv);
    int st = gbt_stop(&gbac_pid, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_record_10s),
        cmocka_unit_test(test_live_record_disk_full),
        cmocka_unit_test(test_live_record_osc),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
