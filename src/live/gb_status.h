/* gb_status.h — the live host's status view: a full-screen ncurses panel on a terminal, or
 * one log line every 2 s when there is none (a service, a pipe, a test).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything here runs on the host's [main] thread: it is fed the feedback records the audio
 * thread posted (gb_status_feedback), snapshots of the counters (gb_status_set_counters), and
 * is ticked ~30 times a second (gb_status_tick), which redraws and reads keys without
 * blocking. The one exception is gb_status_emergency_restore(), meant for a shutdown path
 * reached from a signal.
 *
 * Screen (ncurses mode): output meters as bars with dBFS (peak with a 20 dB/s fall-off), DSP
 * load, xruns, voices, tempo, MIDI and OSC counters with their rates, and the engine's
 * parameter list (scroll with the arrow keys). Keys: q quit, l MIDI-learn the selected
 * parameter, r record on/off, up/down/PgUp/PgDn/Home/End select.
 *
 * Log mode writes at most one line every 2 s to the FILE given, e.g.
 *   gbac: out -12.3/-11.9 dBFS, dsp 3.1%, voices 4, tempo 120.0, xruns 0, midi 120 (+10/s),
 *   osc 3 (+0/s)
 * (one line; ", ai notes N" and drop/error counters follow when non-zero), with the peaks
 * since the previous line, and never reads stdin.
 *
 * Signals: ncurses installs its own SIGINT/SIGTERM/SIGTSTP/SIGWINCH handlers only for
 * signals still at their default disposition when the view starts; a host that wants its own
 * shutdown handling installs its handlers before gb_status_new().
 */
#ifndef GB_STATUS_H
#define GB_STATUS_H

#include <stdint.h>
#include <stdio.h>

#include "gb_common.h"
#include "gb_engine.h"
#include "gb_live.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gb_status_action_kind {
    GB_STATUS_NONE = 0,
    GB_STATUS_QUIT,          /* 'q': the performer wants to stop */
    GB_STATUS_LEARN,         /* 'l': MIDI-learn parameter `handle` (send GB_CMD_LEARN) */
    GB_STATUS_RECORD_TOGGLE, /* 'r': start or stop recording */
} gb_status_action_kind_t;

typedef struct gb_status_action {
    int kind;       /* gb_status_action_kind_t */
    int32_t handle; /* GB_STATUS_LEARN: the selected parameter's handle */
} gb_status_action_t;

typedef struct gb_status gb_status_t;

/** A status view. ui = 1 asks for the ncurses screen on stdin/stdout; when that cannot start
 *  (stdin or stdout not a terminal, TERM unset, "dumb" or unknown) it falls back to log mode
 *  and writes a one-line note saying so to `log`. ui = 0 is log mode. log: where log lines
 *  and notes go (stderr if NULL); not closed by gb_status_free. Returns NULL only when out of
 *  memory (err set). [main] */
gb_status_t *gb_status_new(int ui, FILE *log, gb_error_t *err);

/** Whether the ncurses screen is in use (0: log mode). [main] */
int gb_status_is_ui(const gb_status_t *st);

/** Leave the screen as it was (endwin) and free. NULL-safe. [main] */
void gb_status_free(gb_status_t *st);

/** Restore the terminal if a status view has the screen: endwin() once, guarded by a flag
 *  so a second call (or gb_status_free afterwards) does nothing more. For the host's
 *  shutdown path, also when reached from a signal handler: it touches only the flag and
 *  endwin(), which writes the terminal's reset sequences (not strictly async-signal-safe,
 *  but what every ncurses program's fatal-signal path does). [any, signal-tolerant] */
void gb_status_emergency_restore(void);

/** Client name, preset, sample rate, block size and output latency for the header. Strings
 *  are copied. [main] */
void gb_status_set_info(gb_status_t *st, const char *client_name, const char *preset,
                        double sample_rate, uint32_t block, uint32_t latency_frames);

/** The parameter registry shown in the list (NULL: none). The engine must stay valid until
 *  the next call or gb_status_free; call again after an engine swap (the selection is kept
 *  by position, clamped). Values are read with gb_engine_param_get. [main] */
void gb_status_set_params(gb_status_t *st, const gb_engine_t *engine);

/** Take one feedback record: meters (peak held until shown), DSP load, voices, tempo,
 *  generated notes (counted), parameter changes (highlighted), learned mappings (noted).
 *  [main] */
void gb_status_feedback(gb_status_t *st, const gb_live_fb_t *fb);

/** Snapshot of the host's counters (each read atomically). [main] */
void gb_status_set_counters(gb_status_t *st, const gb_live_stats_t *stats);

/** The periods' cost as one line (gb_cost_line): shown under the counters and appended to
 *  the log line. [main] */
void gb_status_set_cost(gb_status_t *st, const char *line);

/** Whether a recording runs and how many seconds it holds: the header shows "REC 12.3 s",
 *  the log line ends with ", REC 12.3 s". [main] */
void gb_status_set_record(gb_status_t *st, int recording, double seconds);

/** Who leads the transport, as gb_transport_describe puts it ("internal", "jack", "link, 1
 *  peer, bar 2.31/4"): a line of its own on the screen, ", transport TEXT" at the end of the
 *  log line. Copied. [main] */
void gb_status_set_transport(gb_status_t *st, const char *text);

/** A short message for the performer: shown on the screen's last line for 5 s, or written at
 *  once as "gbac: MSG" in log mode. [main] */
void gb_status_note(gb_status_t *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Call ~30 times a second. ncurses mode: reads pending keys without blocking and redraws;
 *  log mode: writes a line when 2 s have passed since the last one (the first call starts
 *  the clock). Returns 1 and fills *act when a key asked for something (one action per
 *  call; further keys wait for the next call), else 0 with act->kind = GB_STATUS_NONE.
 *  [main] */
int gb_status_tick(gb_status_t *st, gb_status_action_t *act);

/** gb_status_tick with the time given (seconds on any monotonic clock), for tests. [main] */
int gb_status_tick_at(gb_status_t *st, double now_s, gb_status_action_t *act);

#ifdef __cplusplus
}
#endif
#endif
