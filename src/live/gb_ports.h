/* gb_ports.h — watching the JACK server's physical ports from the live host. On a netjack2
 * slave (`jackd -d net`) they are the network: when the master is lost (cable, Wi-Fi, master
 * stopped) the slave's server stays up and runs on its own clock, but unregisters its system
 * ports, and registers them again when the master is back. gbac plays on meanwhile and says
 * what happened; with --connect it connects itself again when they are back.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_PORTS_H
#define GB_PORTS_H

#include <jack/jack.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gb_ports gb_ports_t;

/** A watcher (NULL when out of memory). [main] */
gb_ports_t *gb_ports_new(void);

/** NULL-safe. [main] */
void gb_ports_free(gb_ports_t *p);

/** Watch client's server: call before jack_activate (it sets the port registration
 *  callback), again for every new client after a reconnection. [main] */
void gb_ports_attach(gb_ports_t *p, jack_client_t *client);

/** After ports came or went: news for the performer when the physical ports all went away
 *  or came back (msg filled, returns 1), otherwise 0. *grew = 1 whenever there are more
 *  physical ports than at the last look, back or not: a netjack2 slave registers its ports
 *  one by one when the master returns, so a look may find only some of them (its capture
 *  ports, then its first playback port, ...) and the next one the rest. Cheap when nothing
 *  changed. [main] */
int gb_ports_news(gb_ports_t *p, jack_client_t *client, char *msg, size_t cap, int *grew);

/** --connect: out_l and out_r to the first two system playback ports (out_r to the first too
 *  when there is only one), the first physical MIDI source to midi_in. Connections already
 *  made stay; run it again whenever the physical ports grew (gb_ports_news) and it completes
 *  what an earlier run could not: out_r, put on the first playback port because there was no
 *  second, is moved to the second once it is there (else a stereo server that registers its
 *  ports one by one would get both channels on its first port). Returns the number of
 *  playback ports found. [main] */
int gb_ports_connect(gb_ports_t *p, jack_client_t *client, jack_port_t *out_l,
                     jack_port_t *out_r, jack_port_t *midi_in);

/** Whether the JACK server `server` (NULL: the default) runs and has a client called name.
 *  jackd2 refuses an exact name that is taken without saying why (JackNameNotUnique is not
 *  set), so this asks it with a client of its own. [main] */
int gb_jack_name_taken(const char *server, const char *name);

/** Physical ports at the last look (-1 before the first). [main] */
int gb_ports_physical(const gb_ports_t *p);

#ifdef __cplusplus
}
#endif
#endif
