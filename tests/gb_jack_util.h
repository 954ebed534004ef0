/* gb_jack_util.h — process and JACK helpers shared by the tests that run a real, named jackd
 * (dummy backend) and `gbac live` as child processes.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every test starts its own server under a unique name (set JACK_DEFAULT_SERVER and
 * JACK_NO_START_SERVER=1 first) and stops what it started by PID. */
#ifndef GB_JACK_UTIL_H
#define GB_JACK_UTIL_H

#include <jack/jack.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline void gbt_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Every child gbt_spawn started, so that the test process stops the ones still running when
 * it exits: cmocka runs no teardown after a failed setup, and a jackd left running holds one
 * of JACK's few server slots (a later test's jackd then fails to start). */
static inline pid_t *gbt_children(int **n)
{
    static pid_t list[128];
    static int count;
    *n = &count;
    return list;
}

/* At exit: each recorded child that is still ours and running gets SIGTERM, then SIGKILL after
 * 3 s. A child already reaped (by gbt_stop or the test's own waitpid) is not ours any more:
 * waitpid says ECHILD and nothing is sent, so a reused PID is never touched. */
static inline void gbt_stop_children(void)
{
    int *n;
    pid_t *list = gbt_children(&n);
    for (int i = 0; i < *n; i++) {
        int st;
        if (list[i] <= 0 || waitpid(list[i], &st, WNOHANG) != 0)
            continue;
        kill(list[i], SIGTERM);
        int gone = 0;
        for (int k = 0; k < 60 && !gone; k++) {
            struct timespec ts = {0, 50000000L};
            nanosleep(&ts, NULL);
            gone = waitpid(list[i], &st, WNOHANG) != 0;
        }
        if (!gone) {
            kill(list[i], SIGKILL);
            waitpid(list[i], &st, 0);
        }
    }
    *n = 0;
}

/** Run argv[0] (searched in PATH) with stdout and stderr appended to log (NULL: inherited).
 *  The child is stopped at the test's exit if it still runs then (gbt_stop_children). */
static inline pid_t gbt_spawn(char *const argv[], const char *log)
{
    fflush(stdout);
    fflush(stderr);
    int *n;
    pid_t *list = gbt_children(&n);
    static int registered;
    if (!registered)
        registered = atexit(gbt_stop_children) == 0;
    if (*n == 128) { /* full: forget the children already reaped (WNOWAIT keeps the others
                        waitable for the test) */
        int k = 0;
        for (int i = 0; i < *n; i++) {
            siginfo_t si;
            if (waitid(P_PID, (id_t)list[i], &si, WEXITED | WNOHANG | WNOWAIT) == 0)
                list[k++] = list[i];
        }
        *n = k;
    }
    pid_t pid = fork();
    if (pid > 0 && *n < 128)
        list[(*n)++] = pid;
    if (pid == 0) {
        if (log) {
            FILE *f = freopen(log, "a", stderr);
            (void)f;
            f = freopen(log, "a", stdout);
            (void)f;
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/** Send sig, wait up to 5 s, then SIGKILL. Returns the wait status, or -1 when it had to be
 *  killed (or there was nothing to stop). *pid becomes -1. */
static inline int gbt_stop(pid_t *pid, int sig)
{
    if (*pid <= 0)
        return -1;
    kill(*pid, sig);
    int st = 0;
    for (int i = 0; i < 100; i++) {
        if (waitpid(*pid, &st, WNOHANG) == *pid) {
            *pid = -1;
            return st;
        }
        gbt_sleep_ms(50);
    }
    kill(*pid, SIGKILL);
    waitpid(*pid, &st, 0);
    *pid = -1;
    return -1;
}

/** Start `jackd -n server -R -S -d dummy -r 48000 -p period` logging to log and wait until
 *  it answers (jack_wait). Returns 0 or -1.
 *
 *  -S (synchronous): the server waits for every client before it starts the next cycle. In
 *  the default asynchronous mode a client that runs late reads the next cycle's frame time
 *  in process() (three chained clients on this VM, 30 s under load: 36 cycles where the
 *  last client's frame was one period ahead of the first's, 40 cycles seen twice), so a
 *  test's sender skips a window of frames (its events are lost) and its recorder files a
 *  period under the wrong frame. Synchronous, with the same load: none of either in 22000
 *  cycles, xruns still reported. The tests check this cycle by cycle (gb_jack_io.h).
 *
 *  A machine holds at most 8 JACK servers at once (jackd2's shm registry); the 9th jackd
 *  prints "Too many servers already active" and exits. Tests of several sessions share the
 *  machine, so a jackd that exits for that reason (its log says so) is started again, every
 *  1.2 s or so, up to GBT_JACKD_STARTS times; one that exits for another reason, or runs and
 *  does not answer within 10 s (stopped then), fails the start. */
#define GBT_JACKD_STARTS 40 /* tries while no slot is free: about 50 s */

/** Size of the file (0 if it cannot be read). */
static inline long gbt_file_size(const char *path)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    long n = f && fseek(f, 0, SEEK_END) == 0 ? ftell(f) : 0;
    if (f)
        fclose(f);
    return n < 0 ? 0 : n;
}

/** Whether the file, from byte `from` on, says jackd found no free server slot. */
static inline int gbt_jackd_no_slot(const char *log, long from)
{
    FILE *f = log ? fopen(log, "r") : NULL;
    char line[512];
    int found = 0;
    if (f && fseek(f, from, SEEK_SET) != 0) {
        fclose(f);
        f = NULL;
    }
    while (f && !found && fgets(line, sizeof line, f))
        found = strstr(line, "Too many servers already active") != NULL;
    if (f)
        fclose(f);
    return found;
}

static inline int gbt_start_jackd(const char *server, int period, const char *log, pid_t *pid)
{
    char per[16];
    snprintf(per, sizeof per, "%d", period);
    char *argv[] = {"jackd", "-n", (char *)server, "-R", "-S", "-d", "dummy", "-r", "48000",
                    "-p", per, NULL};
    char *wait_argv[] = {"jack_wait", "-s", (char *)server, "-w", "-t", "1", NULL};
    for (int starts = 1; starts <= GBT_JACKD_STARTS; starts++) {
        const long log_from = gbt_file_size(log); /* this try's lines start here */
        *pid = gbt_spawn(argv, log);
        for (int t = 0; t < 10; t++) { /* 10 waits of 1 s */
            int st;
            if (waitpid(*pid, &st, WNOHANG) == *pid) {
                *pid = -1;
                break;
            }
            pid_t w = gbt_spawn(wait_argv, "/dev/null");
            waitpid(w, &st, 0);
            if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
                if (starts > 1)
                    fprintf(stderr, "jackd %s: started at try %d, the tries before found no "
                                    "free server slot (see %s)\n", server, starts, log);
                return 0;
            }
        }
        if (*pid > 0) { /* runs but does not answer */
            gbt_stop(pid, SIGTERM);
            return -1;
        }
        if (!gbt_jackd_no_slot(log, log_from)) /* another error: see the log */
            return -1;
        gbt_sleep_ms(200);
    }
    return -1;
}

/** Whether a port of that full name exists on the server (asked by a short-lived client). */
static inline int gbt_port_exists(const char *server, const char *name)
{
    jack_status_t s;
    jack_client_t *c = jack_client_open("probe", JackNoStartServer | JackServerName, &s, server);
    if (!c)
        return 0;
    int ok = jack_port_by_name(c, name) != NULL;
    jack_client_close(c);
    return ok;
}

/** Wait up to ms for the port to appear. Returns 0 or -1. */
static inline int gbt_wait_port(const char *server, const char *name, int ms)
{
    for (int t = 0; t < ms; t += 100) {
        if (gbt_port_exists(server, name))
            return 0;
        gbt_sleep_ms(100);
    }
    return -1;
}

#endif
