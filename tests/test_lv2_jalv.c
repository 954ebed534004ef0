/* test_lv2_jalv.c — gbac.lv2 in a real LV2 host: jalv runs the timbre-VAE instrument on a
 * named jackd (dummy backend, -S), jack_midiseq loops A4 into its events_in, jack_rec records
 * its left output; every stretch where the note sounds is 440 ± 1 Hz. The plugin finds its
 * model by itself (LV2_PATH names only the bundle's folder; jalv's executable is not gbac's).
 * The bundle: $GB_LV2_BUNDLE.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
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
static pid_t spawn_jalv(const char *fifo, const char *log)
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
        execlp("jalv", "jalv", "-x", "-n", "gbtv", URI_TV, (char *)NULL);
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

    const char *bundle = getenv("GB_LV2_BUNDLE");
    assert_non_null(bundle);
    snprintf(lv2_path, sizeof lv2_path, "%s", bundle);
    setenv("LV2_PATH", dirname(lv2_path), 1);
    unsetenv("GBAC_DATA_DIR");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    jalv = spawn_jalv(fifo, log);
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

static int teardown(void **st)
{
    (void)st;
    gbt_stop(&seq, SIGTERM);
    gbt_stop(&jalv, SIGTERM);
    gbt_stop(&jackd, SIGTERM);
    gbt_rm_rf(dir);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
