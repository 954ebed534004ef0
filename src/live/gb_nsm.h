/* gb_nsm.h — the client side of the NSM (New/Non Session Manager) protocol, API 1.2, over
 * liblo (UDP).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A session manager starts its clients with NSM_URL in the environment. The client announces
 * itself there, waits for /nsm/client/open (a path prefix for its state and a client id to use
 * as its JACK name), then serves /nsm/client/save until it gets SIGTERM; it may report
 * /nsm/client/is_dirty, /nsm/client/is_clean and /nsm/client/message (and progress, which
 * gbac has no use for: its opens and saves take milliseconds).
 * Every message to the server goes out of the client's own server socket (lo_send_from), as
 * the API requires, so replies reach the address the manager knows.
 *
 * This module only speaks the protocol: requests from the manager come out as events
 * (gb_nsm_wait / gb_nsm_poll) and the caller answers each with gb_nsm_reply or gb_nsm_error.
 * What a gbac session holds is in cmd_live.c and docs/nsm.md.
 *
 * liblo 0.31 binds 0.0.0.0, so requests are taken only from the manager's host: the IPv4
 * address NSM_URL resolves to, or any loopback address when that is a loopback one.
 */
#ifndef GB_NSM_H
#define GB_NSM_H

#include <stdint.h>

#include "gb_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GB_NSM_API_MAJOR 1
#define GB_NSM_API_MINOR 2
#define GB_NSM_ANNOUNCE_TIMEOUT_MS 5000 /* no /reply by then: the manager is not there */

/* Error codes of the API (the i argument of /error). */
#define GB_NSM_ERR_GENERAL (-1)
#define GB_NSM_ERR_INCOMPATIBLE_API (-2)
#define GB_NSM_ERR_BLACKLISTED (-3)
#define GB_NSM_ERR_LAUNCH_FAILED (-4)
#define GB_NSM_ERR_NO_SUCH_FILE (-5)
#define GB_NSM_ERR_NO_SESSION_OPEN (-6)
#define GB_NSM_ERR_UNSAVED_CHANGES (-7)
#define GB_NSM_ERR_NOT_NOW (-8)
#define GB_NSM_ERR_BAD_PROJECT (-9)
#define GB_NSM_ERR_CREATE_FAILED (-10)

#define GB_NSM_PATH_MAX 4096
#define GB_NSM_NAME_MAX 256

typedef enum gb_nsm_event_kind {
    GB_NSM_EV_OPEN = 1,       /* /nsm/client/open: answer with gb_nsm_reply/gb_nsm_error */
    GB_NSM_EV_SAVE,           /* /nsm/client/save: the same */
    GB_NSM_EV_SESSION_LOADED, /* /nsm/client/session_is_loaded: no answer */
} gb_nsm_event_kind_t;

/** One request from the manager. The strings are set for GB_NSM_EV_OPEN only. */
typedef struct gb_nsm_event {
    int kind;                          /* gb_nsm_event_kind_t */
    char path[GB_NSM_PATH_MAX];        /* path prefix for the client's state */
    char display_name[GB_NSM_NAME_MAX];
    char client_id[GB_NSM_NAME_MAX];   /* use as the JACK client name */
} gb_nsm_event_t;

/** What the client announces. Start from gb_nsm_config_default(). Strings are copied. */
typedef struct gb_nsm_config {
    uint32_t struct_size;
    const char *url;          /* the manager's OSC URL: $NSM_URL, e.g. osc.udp://host:1234/ */
    const char *app_name;     /* shown to the user; the client id starts with it */
    const char *capabilities; /* e.g. ":dirty:message:" (no :switch: = one open only) */
    const char *executable;   /* the name the manager starts the client by */
    int pid;                  /* 0: getpid() */
} gb_nsm_config_t;

/** struct_size set, capabilities ":dirty:message:", everything else 0/NULL. [any] */
gb_nsm_config_t gb_nsm_config_default(void);

typedef struct gb_nsm gb_nsm_t;

/** Check the URL (an osc.udp URL with a host and a port 1..65535; the host must resolve to an
 *  IPv4 address) and open the client's own UDP socket on a free port. Nothing is sent yet.
 *  Fails with GB_EINVAL (err names NSM_URL and the URL) or GB_EIO. [main] */
gb_nsm_t *gb_nsm_new(const gb_nsm_config_t *cfg, gb_error_t *err);

/** Close it. NULL-safe. [main] */
void gb_nsm_free(gb_nsm_t *n);

/** Send /nsm/server/announce and wait up to timeout_ms for the manager's /reply. Requests
 *  that arrive meanwhile (open) are kept for gb_nsm_wait. Returns 0; GB_EIO when the message
 *  cannot be sent or no answer came in time (err names NSM_URL); GB_EINVAL when the manager
 *  refused with /error (err carries its code and message). [main] */
int gb_nsm_announce(gb_nsm_t *n, int timeout_ms, gb_error_t *err);

/** The manager's name and capabilities from its announce reply ("" before). [main] */
const char *gb_nsm_server_name(const gb_nsm_t *n);
const char *gb_nsm_server_capabilities(const gb_nsm_t *n);

/** The port of the client's own socket (where the manager's requests arrive). [main] */
int gb_nsm_port(const gb_nsm_t *n);

/** Wait up to timeout_ms (0: do not wait) for the next request and copy it to ev. Returns 1
 *  with ev filled, 0 when none came. [main] */
int gb_nsm_wait(gb_nsm_t *n, int timeout_ms, gb_nsm_event_t *ev);

/** Answer the request at path ("/nsm/client/open", "/nsm/client/save") with /reply path msg.
 *  Returns 0 or GB_EIO. [main] */
int gb_nsm_reply(gb_nsm_t *n, const char *path, const char *msg);

/** Answer it with /error path code msg (code: GB_NSM_ERR_*). Returns 0 or GB_EIO. [main] */
int gb_nsm_error(gb_nsm_t *n, const char *path, int code, const char *msg);

/** Tell the manager whether there are unsaved changes: sends /nsm/client/is_dirty or
 *  /nsm/client/is_clean when the state differs from the last one sent (the first call always
 *  sends). Returns 1 when it sent, 0 when nothing changed, GB_EIO on a send error. [main] */
int gb_nsm_set_dirty(gb_nsm_t *n, int dirty);

/** /nsm/client/message priority (0..3, 3 most important) text, for the manager to show. [main] */
int gb_nsm_message(gb_nsm_t *n, int priority, const char *text);

#ifdef __cplusplus
}
#endif
#endif
