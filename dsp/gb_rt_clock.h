/* gb_rt_clock.h — the two clocks the audio thread may read to measure its own cost.
 *
 * gb_rt_mono_ns(): CLOCK_MONOTONIC. glibc answers it from the vDSO (no system call) on the
 * clock sources Linux marks vDSO-capable (tsc, kvm-clock, hyperv); 29 ns on these VMs. The
 * engine reads it once per unit per block (and once more) to split a block's time between
 * its units (wall time: a unit preempted mid-block is charged for the gap, which the mean
 * over many blocks smooths and the worst shows — as the period's deadline would feel it).
 *
 * gb_rt_thread_cpu_ns(): CLOCK_THREAD_CPUTIME_ID, the CPU time this thread has used. It has
 * no vDSO path: it is a real clock_gettime system call (measured on the kvm-clock VMs: 1.6 µs
 * a call against 29 ns for CLOCK_MONOTONIC; two a period = 0.25 % of a 64-frame period at
 * 48 kHz, 0.06 % at 256). It is accepted in the process callback as the one exception to
 * "no system calls", twice per period (start and end): it neither blocks nor allocates,
 * takes no lock another thread could hold for long, and it is the only clock that measures
 * what gbac itself used of the period (time other processes took on the core does not
 * count), the figure gbac answers for on a machine whose JACK server makes xruns by itself.
 * RealtimeSanitizer intercepts neither call (checked with clang-22 -fsanitize=realtime).
 *
 * Both are declared GB_RT here (their libc declarations carry no effect attributes).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_RT_CLOCK_H
#define GB_RT_CLOCK_H

#include <stdint.h>
#include <time.h>

#include "gb_common.h"

int clock_gettime(clockid_t clock, struct timespec *ts) GB_RT;

/** Monotonic wall time in ns (vDSO, no system call). [any] */
static inline uint64_t gb_rt_mono_ns(void) GB_RT
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/** CPU time the calling thread has used, in ns (one system call). [any] */
static inline uint64_t gb_rt_thread_cpu_ns(void) GB_RT
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

#endif
