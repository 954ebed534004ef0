/* web_jack_cc.c NAME — a JACK MIDI controller for the browser test (tests/web_browser.py): a
 * client NAME with one MIDI output NAME:out. Each line "CC VALUE" read from stdin is sent as a
 * control change on channel 1 in the next period, at its first frame; once the process
 * callback has written it, a line "sent US" goes to stdout, US being the machine's real-time
 * clock (CLOCK_REALTIME, microseconds, the clock a page's Date.now() reads) when the callback
 * wrote it. "ready" is printed once the client is active. Exits at the end of stdin.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <jack/jack.h>
#include <jack/midiport.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static jack_port_t *out;
static atomic_int want = -1;       /* (cc << 8 | value) waiting to be sent, or -1 */
static atomic_llong sent_us = -1;  /* when the callback wrote it */

static long long real_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

static int process(jack_nframes_t n, void *arg)
{
    (void)arg;
    void *buf = jack_port_get_buffer(out, n);
    jack_midi_clear_buffer(buf);
    const int w = atomic_load(&want);
    if (w >= 0) {
        const jack_midi_data_t m[3] = {0xB0, (jack_midi_data_t)(w >> 8),
                                       (jack_midi_data_t)(w & 127)};
        if (jack_midi_event_write(buf, 0, m, 3) == 0) {
            atomic_store(&want, -1);
            atomic_store(&sent_us, real_us());
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    jack_client_t *c = jack_client_open(argc > 1 ? argv[1] : "CC", JackNoStartServer, NULL);
    if (!c) {
        fprintf(stderr, "web_jack_cc: no JACK server\n");
        return 1;
    }
    out = jack_port_register(c, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    if (!out || jack_set_process_callback(c, process, NULL) || jack_activate(c)) {
        fprintf(stderr, "web_jack_cc: cannot register the port or activate\n");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    int cc, value;
    while (scanf("%d %d", &cc, &value) == 2) {
        atomic_store(&sent_us, -1);
        atomic_store(&want, (cc & 127) << 8 | (value & 127));
        const struct timespec half_ms = {0, 500000};
        while (atomic_load(&sent_us) < 0)
            nanosleep(&half_ms, NULL);
        printf("sent %lld\n", (long long)atomic_load(&sent_us));
        fflush(stdout);
    }
    jack_client_close(c);
    return 0;
}
