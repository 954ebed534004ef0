/* gb_jack_rt.h — the JACK functions gbac calls from its process callback, declared again as
 * GB_RT so -Wfunction-effects can check that callback (JACK's own headers carry no effect
 * attributes). Each is one JACK documents for use in the process callback: buffer access,
 * MIDI event reading and writing, frame times and the cycle's times, the transport query and
 * the DSP load (plain reads of the client's shared memory; none allocates, locks or makes a
 * system call; jack_get_time reads the monotonic clock through the vDSO, as clock_gettime
 * below). Include after <jack/jack.h>, <jack/midiport.h> and <jack/transport.h>; gb_live.c
 * and gb_transport.c (the transport's clock for Ableton Link) do.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_JACK_RT_H
#define GB_JACK_RT_H

#include <jack/jack.h>
#include <jack/midiport.h>
#include <jack/transport.h>
#include <time.h>

#include "gb_common.h"

void *jack_port_get_buffer(jack_port_t *port, jack_nframes_t frames) GB_RT;
jack_nframes_t jack_frames_since_cycle_start(const jack_client_t *client) GB_RT;
jack_nframes_t jack_last_frame_time(const jack_client_t *client) GB_RT;
float jack_cpu_load(jack_client_t *client) GB_RT;
jack_time_t jack_get_time(void) GB_RT;
int jack_get_cycle_times(const jack_client_t *client, jack_nframes_t *current_frames,
                         jack_time_t *current_usecs, jack_time_t *next_usecs,
                         float *period_usecs) GB_RT;
/* the clock, read through the vDSO: no system call (CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW) */
int clock_gettime(clockid_t clock_id, struct timespec *tp) GB_RT;
jack_transport_state_t jack_transport_query(const jack_client_t *client, jack_position_t *pos)
    GB_RT;
uint32_t jack_midi_get_event_count(void *port_buffer) GB_RT;
int jack_midi_event_get(jack_midi_event_t *event, void *port_buffer, uint32_t event_index) GB_RT;
void jack_midi_clear_buffer(void *port_buffer) GB_RT;
int jack_midi_event_write(void *port_buffer, jack_nframes_t time, const jack_midi_data_t *data,
                          size_t data_size) GB_RT;

#endif
