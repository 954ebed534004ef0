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

/** After ports came or went: the number of physical ports now, and news for the performer
 *  when they all went away or came back (msg filled, returns 1; *back = 1 when they came
 *  back). Otherwise 0. Cheap when nothing changed. [main] */
int gb_ports_news(gb_ports_t *p, jack_client_t *client, char *msg, size_t cap, int *back);

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
