/* gb_ports.c — the server's physical ports, watched (see gb_ports.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_ports.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

struct gb_ports {
    atomic_int changed; /* set by JACK's notification thread */
    int physical;       /* [main] at the last look, -1: none yet */
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

int gb_ports_news(gb_ports_t *p, jack_client_t *client, char *msg, size_t cap, int *back)
{
    *back = 0;
    if (!client || !atomic_exchange(&p->changed, 0))
        return 0;
    const int was = p->physical, now = count_physical(client);
    p->physical = now;
    if (was > 0 && now == 0) {
        snprintf(msg, cap, "the JACK server's physical ports went away (on a netjack2 slave: "
                           "the master or the network is gone); gbac plays on and waits for "
                           "them");
        return 1;
    }
    if (was == 0 && now > 0) {
        *back = 1;
        snprintf(msg, cap, "the JACK server's physical ports are back (%d)", now);
        return 1;
    }
    return 0;
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
