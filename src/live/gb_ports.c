/* gb_ports.c — the server's physical ports, watched (see gb_ports.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_ports.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

struct gb_ports {
    atomic_int changed; /* set by JACK's notification thread */
    int physical;       /* [main] at the last look, -1: none yet */
    /* [main] the playback port out_R was put on for want of a second one ("": none); moved
     * to the second when it comes */
    char r_on_first[320];
};

gb_ports_t *gb_ports_new(void)
{
    gb_ports_t *p = calloc(1, sizeof *p);
    if (p) {
        p->physical = -1;
        atomic_store(&p->changed, 1);
    }
    return p;
}

void gb_ports_free(gb_ports_t *p)
{
    free(p);
}

/* [JACK notification thread] */
static void on_registration(jack_port_id_t port, int registered, void *arg)
{
    (void)port;
    (void)registered;
    gb_ports_t *p = arg;
    atomic_store(&p->changed, 1);
}

void gb_ports_attach(gb_ports_t *p, jack_client_t *client)
{
    jack_set_port_registration_callback(client, on_registration, p);
    p->r_on_first[0] = '\0'; /* a new client: none of its connections made yet */
    atomic_store(&p->changed, 1);
}

static int count_physical(jack_client_t *client)
{
    const char **names = jack_get_ports(client, NULL, NULL, JackPortIsPhysical);
    int n = 0;
    while (names && names[n])
        n++;
    jack_free(names);
    return n;
}

int gb_ports_news(gb_ports_t *p, jack_client_t *client, char *msg, size_t cap, int *grew)
{
    *grew = 0;
    if (!client || !atomic_exchange(&p->changed, 0))
        return 0;
    const int was = p->physical, now = count_physical(client);
    p->physical = now;
    *grew = was >= 0 && now > was;
    if (was > 0 && now == 0) {
        p->r_on_first[0] = '\0'; /* its connections went with the ports */
        snprintf(msg, cap, "the JACK server's physical ports went away (on a netjack2 slave: "
                           "the master or the network is gone); gbac plays on and waits for "
                           "them");
        return 1;
    }
    if (was == 0 && now > 0) {
        snprintf(msg, cap, "the JACK server's physical ports are back (%d)", now);
        return 1;
    }
    return 0;
}

/* out_R onto the second playback port, or the first when there is no second yet (noted, so
 * that a later run moves it). [main] */
static void connect_right(gb_ports_t *p, jack_client_t *client, const char *r, const char **play)
{
    if (!play[1]) {
        if (jack_connect(client, r, play[0]) == 0)
            snprintf(p->r_on_first, sizeof p->r_on_first, "%s", play[0]);
        return;
    }
    if (p->r_on_first[0]) {
        jack_disconnect(client, r, p->r_on_first);
        p->r_on_first[0] = '\0';
    }
    jack_connect(client, r, play[1]);
}

int gb_ports_connect(gb_ports_t *p, jack_client_t *client, jack_port_t *out_l,
                     jack_port_t *out_r, jack_port_t *midi_in)
{
    const char **play = jack_get_ports(client, NULL, JACK_DEFAULT_AUDIO_TYPE,
                                       JackPortIsPhysical | JackPortIsInput);
    int n = 0;
    while (play && play[n])
        n++;
    if (n > 0) {
        jack_connect(client, jack_port_name(out_l), play[0]);
        connect_right(p, client, jack_port_name(out_r), play);
    }
    jack_free(play);
    const char **src = jack_get_ports(client, NULL, JACK_DEFAULT_MIDI_TYPE,
                                      JackPortIsPhysical | JackPortIsOutput);
    if (src && src[0])
        jack_connect(client, src[0], jack_port_name(midi_in));
    jack_free(src);
    return n;
}

int gb_ports_physical(const gb_ports_t *p)
{
    return p ? p->physical : -1;
}

int gb_jack_name_taken(const char *server, const char *name)
{
    jack_status_t st;
    const jack_options_t opt = JackNoStartServer | (server ? JackServerName : JackNullOption);
    jack_client_t *probe = server ? jack_client_open("gbac-probe", opt, &st, server)
                                  : jack_client_open("gbac-probe", opt, &st);
    if (!probe)
        return 0;
    char *uuid = jack_get_uuid_for_client_name(probe, name);
    const int taken = uuid != NULL;
    jack_free(uuid);
    jack_client_close(probe);
    return taken;
}
