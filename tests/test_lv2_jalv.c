/* test_lv2_jalv.c — gbac.lv2 in a real LV2 host, jalv, on a named jackd (dummy backend, -S):
 *  - the timbre-VAE instrument: jack_midiseq loops A4 into its events_in, jack_rec records its
 *    left output; every stretch where the note sounds is 440 ± 1 Hz. The plugin finds its
 *    model by itself (LV2_PATH names only the bundle's folder; jalv's executable is not
 *    gbac's);
 *  - the melody generator (mode free): this test is the JACK timebase master at 90 bpm in 4/4
 *    and rolls the transport; jalv turns it into time:Position; every note-on that comes out
 *    of events_out lies on the 16th-note grid of that tempo (8000 frames) of the transport.
 * The bundle: $GB_LV2P_BUNDLE.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <jack/midiport.h>
#include <jack/transport.h>
#include <libgen.h>
#include <sndfile.h>
#include <string.h>
#include <sys/stat.h>

#include "gb_jack_util.h"
#include "gb_pitch_est.h"
#include "gb_tmpdir.h"

#define URI_TV "urn:gbac:timbre-vae"

static char server[64], dir[1024];
static pid_t jackd = -1, jalv = -1, seq = -1;

/* jalv with its stdin on a FIFO the child also holds open for writing, so it never reads
 * end-of-file and keeps running until it is stopped. */
static pid_t spawn_jalv(const char *fifo, const char *log, const char *name, const char *uri,
                        const char *control)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(fifo, O_RDWR);
        if (fd < 0 || dup2(fd, 0) < 0)
            _exit(126);
        FILE *f = freopen(log, "a", stdout);
        f = freopen(log, "a", stderr);
        (void)f;
        if (control)
            execlp("jalv", "jalv", "-x", "-n", name, "-c", control, uri, (char *)NULL);
        else
            execlp("jalv", "jalv", "-x", "-n", name, uri, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int run_wait(char *const argv[], const char *log, int timeout_s)
{
    pid_t p = gbt_spawn(argv, log);
    int st = 0;
    for (int i = 0; i < timeout_s * 20; i++) {
        if (waitpid(p, &st, WNOHANG) == p)
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        gbt_sleep_ms(50);
    }
    gbt_stop(&p, SIGTERM);
    return -1;
}

static void cat_log(const char *path)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "tail -n 30 '%s' >&2", path);
    if (system(cmd) != 0)
        fprintf(stderr, "(no %s)\n", path);
}

static void t_jalv_a4(void **st)
{
    (void)st;
    char log[1100], fifo[1100], wav[1100], lv2_path[4096];
    snprintf(log, sizeof log, "%s/log.txt", dir);
    snprintf(fifo, sizeof fifo, "%s/jalv.in", dir);
    snprintf(wav, sizeof wav, "%s/a4.wav", dir);
    assert_int_equal(gbt_start_jackd(server, 256, log, &jackd), 0);

    const char *bundle = getenv("GB_LV2P_BUNDLE");
    assert_non_null(bundle);
    snprintf(lv2_path, sizeof lv2_path, "%s", bundle);
    setenv("LV2_PATH", dirname(lv2_path), 1);
    unsetenv("GBAC_DATA_DIR");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    jalv = spawn_jalv(fifo, log, "gbtv", URI_TV, NULL);
    if (gbt_wait_port(server, "gbtv:out_l", 20000) < 0)
        cat_log(log);
    assert_int_equal(gbt_wait_port(server, "gbtv:out_l", 100), 0);

    char *seq_argv[] = {"jack_midiseq", "Seq", "24000", "0", "69", "20000", NULL};
    seq = gbt_spawn(seq_argv, log);
    assert_int_equal(gbt_wait_port(server, "Seq:out", 10000), 0);
    jack_status_t js;
    jack_client_t *c = jack_client_open("conn", JackNoStartServer | JackServerName, &js, server);
    assert_non_null(c);
    assert_int_equal(jack_connect(c, "Seq:out", "gbtv:events_in"), 0);
    jack_client_close(c);

    char *rec_argv[] = {"jack_rec", "-f", wav, "-d", "3", "-b", "16", "gbtv:out_l", NULL};
    assert_int_equal(run_wait(rec_argv, log, 30), 0);

    SF_INFO info = {0};
    SNDFILE *sf = sf_open(wav, SFM_READ, &info);
    assert_non_null(sf);
    assert_int_equal(info.samplerate, 48000);
    assert_true(info.frames >= 48000 * 2);
    float *x = calloc((size_t)info.frames * (size_t)info.channels, sizeof(float));
    assert_int_equal(sf_readf_float(sf, x, info.frames), info.frames);
    sf_close(sf);

    /* Stretches where the note sounds: 512-frame chunks above a third of the loudest; the
     * pitch of 4096 frames from the 5th loud chunk of every run of at least 16. */
    const int chunk = 512, n_chunks = (int)(info.frames / chunk);
    double rms[1024], top = 0.0;
    for (int k = 0; k < n_chunks && k < 1024; k++) {
        double e = 0.0;
        for (int i = 0; i < chunk; i++)
            e += (double)x[k * chunk + i] * x[k * chunk + i];
        rms[k] = sqrt(e / chunk);
        top = rms[k] > top ? rms[k] : top;
    }
    assert_true(top > 1e-3);
    int windows = 0, run = 0;
    for (int k = 0; k < n_chunks && k < 1024; k++) {
        run = rms[k] > top / 3.0 ? run + 1 : 0;
        if (run == 16) {
            const double f = gbt_pitch(x + (size_t)(k - 11) * chunk, 4096, 48000.0);
            printf("jalv %s: A4 at %.3f Hz (frames %d..%d of the recording)\n", URI_TV, f,
                   (k - 11) * chunk, (k - 11) * chunk + 4096);
            assert_true(fabs(f - 440.0) <= 1.0);
            windows++;
        }
    }
    free(x);
    assert_true(windows >= 2);
}

/* ---- the melody generator on the JACK transport ------------------------------------------ */

#define BPM 90.0
#define STEP 8000 /* a 16th note at 90 bpm, 48 kHz */
#define MAX_ON 256

typedef struct tb {
    jack_client_t *c;
    jack_port_t *in;
    jack_nframes_t on[MAX_ON]; /* transport frames of the note-ons */
    volatile int n_on;
} tb_t;

/* BBT for the transport frame: 90 bpm, 4/4, bar 1 beat 1 at frame 0. */
static void timebase(jack_transport_state_t state, jack_nframes_t nframes, jack_position_t *pos,
                     int new_pos, void *arg)
{
    (void)state, (void)nframes, (void)new_pos, (void)arg;
    const double beats = (double)pos->frame / pos->frame_rate * BPM / 60.0;
    const long whole = (long)floor(beats);
    pos->valid = JackPositionBBT;
    pos->beats_per_bar = 4.0f;
    pos->beat_type = 4.0f;
    pos->ticks_per_beat = 1920.0;
    pos->beats_per_minute = BPM;
    pos->bar = (int32_t)(whole / 4) + 1;
    pos->beat = (int32_t)(whole % 4) + 1;
    pos->tick = (int32_t)((beats - (double)whole) * 1920.0);
    pos->bar_start_tick = 0.0;
}

static int tb_process(jack_nframes_t n, void *arg)
{
    tb_t *t = arg;
    jack_position_t pos;
    const int rolling = jack_transport_query(t->c, &pos) == JackTransportRolling;
    void *buf = jack_port_get_buffer(t->in, n);
    const uint32_t k = jack_midi_get_event_count(buf);
    for (uint32_t i = 0; i < k; i++) {
        jack_midi_event_t ev;
        if (jack_midi_event_get(&ev, buf, i) == 0 && ev.size == 3 &&
            (ev.buffer[0] & 0xF0) == 0x90 && ev.buffer[2] > 0 && rolling && t->n_on < MAX_ON) {
            t->on[t->n_on] = pos.frame + ev.time;
            t->n_on = t->n_on + 1;
        }
    }
    return 0;
}

static void t_jalv_melody(void **st)
{
    (void)st;
    char log[1100], fifo[1100], lv2_path[4096];
    snprintf(log, sizeof log, "%s/log-mg.txt", dir);
    snprintf(fifo, sizeof fifo, "%s/jalv-mg.in", dir);
    assert_int_equal(gbt_start_jackd(server, 256, log, &jackd), 0);
    const char *bundle = getenv("GB_LV2P_BUNDLE");
    assert_non_null(bundle);
    snprintf(lv2_path, sizeof lv2_path, "%s", bundle);
    setenv("LV2_PATH", dirname(lv2_path), 1);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    jalv = spawn_jalv(fifo, log, "gbmg", "urn:gbac:melody-gan", "mode=2");
    if (gbt_wait_port(server, "gbmg:events_out", 20000) < 0)
        cat_log(log);
    assert_int_equal(gbt_wait_port(server, "gbmg:events_out", 100), 0);

    static tb_t t;
    jack_status_t js;
    t.c = jack_client_open("tb", JackNoStartServer | JackServerName, &js, server);
    assert_non_null(t.c);
    t.in = jack_port_register(t.c, "in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    assert_non_null(t.in);
    assert_int_equal(jack_set_process_callback(t.c, tb_process, &t), 0);
    assert_int_equal(jack_set_timebase_callback(t.c, 0, timebase, &t), 0);
    assert_int_equal(jack_activate(t.c), 0);
    assert_int_equal(jack_connect(t.c, "gbmg:events_out", "tb:in"), 0);
    jack_transport_locate(t.c, 0);
    jack_transport_start(t.c);
    gbt_sleep_ms(4000);
    jack_transport_stop(t.c);
    jack_deactivate(t.c);
    jack_client_close(t.c);

    printf("jalv urn:gbac:melody-gan at %g bpm: %d note-ons in 4 s\n", BPM, t.n_on);
    assert_true(t.n_on >= 4);
    for (int i = 0; i < t.n_on; i++) {
        const long r = (long)(t.on[i] % STEP);
        if (i < 8)
            printf("  note-on at transport frame %u (16th %u, +%ld)\n", t.on[i], t.on[i] / STEP, r);
        assert_true(r == 0 || r == 1 || r == STEP - 1);
    }
}

static int teardown(void **st)
{
    (void)st;
    gbt_stop(&seq, SIGTERM);
    gbt_stop(&jalv, SIGTERM);
    gbt_stop(&jackd, SIGTERM);
    return 0;
}

int main(void)
{
    snprintf(server, sizeof server, "gblv2jalv%d", (int)getpid());
    setenv("JACK_DEFAULT_SERVER", server, 1);
    setenv("JACK_NO_START_SERVER", "1", 1);
    if (gbt_tmpdir(dir, sizeof dir, "lv2jalv") < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(t_jalv_a4, teardown),
        cmocka_unit_test_teardown(t_jalv_melody, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    gbt_rm_rf(dir);
    return rc;
}
