/* gb_netns.h — network namespaces for the rig tests (Ableton Link, netjack2): two "machines"
 * on one host, joined by a veth pair, each with its own network stack. Needs root (CI runs as
 * root; elsewhere the tests skip).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Names carry the test's pid ("gbl12345a"), so parallel tests never meet, and a namespace
 * left behind by a test that was killed (ctest's timeout) is deleted by the next run
 * (gbt_ns_sweep: a namespace of our prefix whose pid is gone). Everything a test creates is
 * deleted by gbt_ns_cleanup, which the tests call from their teardown and atexit().
 *
 * Programs run inside a namespace through `ip netns exec NS PROGRAM...` (the pid returned is
 * the program's: ip execs it). The test itself may open sockets inside a namespace:
 * gbt_ns_enter switches the calling thread to it (setns), a socket made then stays in it,
 * gbt_ns_leave switches back. JACK servers are not in a namespace: their sockets live in
 * /dev/shm, so a client anywhere reaches a server by name (give each its own name).
 */
#ifndef GB_NETNS_H
#define GB_NETNS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gb_jack_util.h"

#define GBT_NS_MAX 4

static struct {
    char made[GBT_NS_MAX][32];
    int n_made;
    int home_fd; /* the test's own namespace */
} gbt_ns = {.home_fd = -1};

/** Run a shell command (printf-style); its exit status, or -1. Output goes to stderr. */
static inline int gbt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int gbt_sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    fflush(stdout);
    fflush(stderr);
    const int st = system(cmd);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/** Whether namespaces can be made here (root, `ip` present). */
static inline int gbt_ns_available(void)
{
    return geteuid() == 0 && gbt_sh("ip netns list >/dev/null 2>&1") == 0;
}

/** Delete namespaces named PREFIX<pid>x whose pid no longer runs. */
static inline void gbt_ns_sweep(const char *prefix)
{
    DIR *d = opendir("/var/run/netns");
    if (!d)
        return;
    const size_t pl = strlen(prefix);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, pl) != 0)
            continue;
        const long pid = strtol(e->d_name + pl, NULL, 10);
        if (pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
            gbt_sh("ip netns del %s 2>/dev/null", e->d_name);
    }
    closedir(d);
}

/** Delete every namespace this test made (their veth ends go with them). Idempotent. */
static inline void gbt_ns_cleanup(void)
{
    for (int i = 0; i < gbt_ns.n_made; i++)
        if (gbt_ns.made[i][0])
            gbt_sh("ip netns del %s 2>/dev/null", gbt_ns.made[i]);
    gbt_ns.n_made = 0;
}

/** Make namespace `name` with only `lo`, up when lo_up. 0 or -1. */
static inline int gbt_ns_add(const char *name, int lo_up)
{
    if (gbt_ns.n_made >= GBT_NS_MAX)
        return -1;
    if (gbt_sh("ip netns add %s", name) != 0)
        return -1;
    snprintf(gbt_ns.made[gbt_ns.n_made++], sizeof gbt_ns.made[0], "%s", name);
    return lo_up ? gbt_sh("ip -n %s link set lo up", name) : 0;
}

/** A veth pair between two namespaces: interface `ifa` with address `addra` (CIDR) in `a`,
 *  `ifb` with `addrb` in `b`, both up. 0 or -1. */
static inline int gbt_ns_veth(const char *a, const char *ifa, const char *addra, const char *b,
                              const char *ifb, const char *addrb)
{
    return gbt_sh("ip link add %s netns %s type veth peer name %s netns %s && "
                  "ip -n %s addr add %s dev %s && ip -n %s addr add %s dev %s && "
                  "ip -n %s link set %s up && ip -n %s link set %s up",
                  ifa, a, ifb, b, a, addra, ifa, b, addrb, ifb, a, ifa, b, ifb) == 0
               ? 0
               : -1;
}

/** Interface `ifname` of namespace ns up (1) or down (0). 0 or -1. */
static inline int gbt_ns_link(const char *ns, const char *ifname, int up)
{
    return gbt_sh("ip -n %s link set %s %s", ns, ifname, up ? "up" : "down") == 0 ? 0 : -1;
}

/** Run argv inside ns (NULL: here) with stdout and stderr appended to log. */
static inline pid_t gbt_ns_spawn(const char *ns, char *const argv[], const char *log)
{
    if (!ns)
        return gbt_spawn(argv, log);
    char *full[64] = {"ip", "netns", "exec", (char *)ns};
    int n = 4;
    for (int i = 0; argv[i] && n < 63; i++)
        full[n++] = argv[i];
    full[n] = NULL;
    return gbt_spawn(full, log);
}

/** Switch the calling thread into ns (its sockets made from now on live there). 0 or -1. */
static inline int gbt_ns_enter(const char *ns)
{
    if (gbt_ns.home_fd < 0)
        gbt_ns.home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    char path[128];
    snprintf(path, sizeof path, "/var/run/netns/%s", ns);
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    const int rc = setns(fd, CLONE_NEWNET);
    close(fd);
    return rc;
}

/** Back to the test's own namespace. */
static inline void gbt_ns_leave(void)
{
    if (gbt_ns.home_fd >= 0 && setns(gbt_ns.home_fd, CLONE_NEWNET) != 0)
        perror("setns back home");
}

/* jackd2 keeps its servers in a registry of 8 slots (/dev/shm/jack-shm-registry, locked by
 * the SysV semaphore 0x282929); a server killed with SIGKILL never gives its slot back, and
 * jackd only reclaims a dead server's slot for a server of the same name. 8 such kills and
 * no jackd starts on the machine any more ("Too many servers already active"). So a test
 * stops its servers with SIGTERM and, if one had to be killed, reclaims its slot the way
 * jackd2 1.9.21 would (header of 24 bytes, then 8 × {pid_t pid; char name[260]}). */
static inline void gbt_jackd_reclaim(const char *server)
{
    const int sem = semget(0x282929, 1, 0);
    const int fd = open("/dev/shm/jack-shm-registry", O_RDWR | O_CLOEXEC);
    struct sembuf lock = {0, -1, SEM_UNDO}, unlock = {0, 1, SEM_UNDO};
    if (sem < 0 || fd < 0 || semop(sem, &lock, 1) != 0) {
        if (fd >= 0)
            close(fd);
        return;
    }
    char *m = mmap(NULL, 24 + 8 * 264, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char want[300];
    snprintf(want, sizeof want, ":%s:", server);
    for (int i = 0; m != MAP_FAILED && i < 8; i++) {
        pid_t pid;
        memcpy(&pid, m + 24 + 264 * i, sizeof pid);
        if (pid > 0 && strstr(m + 28 + 264 * i, want) && kill(pid, 0) != 0 && errno == ESRCH)
            memset(m + 24 + 264 * i, 0, 264);
    }
    if (m != MAP_FAILED)
        munmap(m, 24 + 8 * 264);
    semop(sem, &unlock, 1);
    close(fd);
}

/** Stop a jackd: SIGTERM, up to 15 s, then SIGKILL and give its registry slot back. */
static inline void gbt_jackd_stop(pid_t *pid, const char *server)
{
    if (*pid <= 0)
        return;
    kill(*pid, SIGTERM);
    int st;
    for (int i = 0; i < 1500; i++) {
        if (waitpid(*pid, &st, WNOHANG) == *pid) {
            *pid = -1;
            return;
        }
        gbt_sleep_ms(10);
    }
    kill(*pid, SIGKILL);
    waitpid(*pid, &st, 0);
    *pid = -1;
    gbt_jackd_reclaim(server);
}

#endif
