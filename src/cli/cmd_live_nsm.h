/* cmd_live_nsm.h — `gbac live` under a session manager (NSM_URL set; docs/nsm.md): what a
 * session holds and the steps around gb_live_new. The protocol itself is gb_nsm.h.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CMD_LIVE_NSM_H
#define CMD_LIVE_NSM_H

#include <stdint.h>

#include "gb_live.h"
#include "gb_nsm.h"

/* What one gbac holds for its session manager: a folder PATH_PREFIX/ with preset.json (the
 * running state, as `gbac live --preset` reads it), nsm.json (the OSC port in use) and
 * takes/ (recordings, unless --session-dir names another folder). */
typedef struct live_nsm {
    gb_nsm_t *nsm;
    char dir[GB_NSM_PATH_MAX];
    char preset[GB_NSM_PATH_MAX + 16];
    char state[GB_NSM_PATH_MAX + 16];
    char client_id[GB_NSM_NAME_MAX];
    int restored;   /* preset.json was there at open */
    int osc_port;   /* chosen for this run, 0: off */
    uint64_t saved; /* gb_live_change_count at open or the last save */
    char takes[GB_NSM_PATH_MAX + 8]; /* PATH/takes: recordings, unless --session-dir */
} live_nsm_t;

/** Announce to the manager at url, then wait for open before anything joins JACK. Returns -1
 *  to go on (cfg now names the client id, the state, the OSC port and the takes folder, and
 *  has the idle hook that serves the manager), else the exit status (the message is printed).
 *  [main] */
int gb_live_nsm_start(live_nsm_t *s, const char *url, gb_live_config_t *cfg, int osc_port_given);

/** After gb_live_new (lv, or NULL with err): answer the open request. Returns -1 to go on
 *  playing, else the exit status. [main] */
int gb_live_nsm_opened(live_nsm_t *s, gb_live_t *lv, const gb_error_t *err);

#endif
