/* gb_status.c — the status view: ncurses panel or log lines.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_status.h"
#include "gb_live_stats.h"

#include <curses.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_PERIOD_S 2.0
#define RATE_PERIOD_S 1.0 /* the screen's rates are over the last second */
#define NOTE_SHOW_S 5.0
#define METER_FLOOR_DB (-60.0)
#define METER_FALL_DB_PER_S 20.0
#define SILENT_PEAK 1e-6f /* -120 dBFS and below prints as -inf */

struct gb_status {
    int ui;
    FILE *log;
    SCREEN *screen;

    char client[64];
    char preset[128];
    double sample_rate;
    uint32_t block, latency;

    /* meters: peak since the last line (log) or tick (screen), and the screen's falling hold */
    float peak_l, peak_r;
    double hold_l, hold_r;
    float dsp_load;
    int32_t voices;
    float tempo;
    uint64_t ai_notes;

    /* counters (snapshots), by their index in the one list (GB_LC_*) */
    uint64_t c[GB_LIVE_N_COUNTERS];
    char cost[512];     /* the periods' cost (gb_cost_line), "" before the first */

    /* clocks and rates */
    int started;
    double t_last;      /* last log line, or last tick on screen */
    double t_rate;      /* start of the current rate window */
    uint64_t midi_mark, osc_mark;
    double midi_rate, osc_rate;

    /* parameters */
    const gb_engine_t *engine;
    int sel, top;
    int32_t changed_handle; /* last parameter a CC moved (highlighted) */

    char note[200];
    double note_t; /* time the note was set (screen), < 0: none yet shown */
    int note_fresh;

    int recording;     /* REC shown with the seconds recorded */
    double rec_s;

    char transport[160]; /* who leads the transport, e.g. "link, 1 peer, bar 2.31/4" */
};

/* The one screen that emergency restore may have to give back. */
static volatile sig_atomic_t g_screen_active;

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* dBFS text of a linear peak: "-12.3", "-inf" for silence. */
static void fmt_db(char *buf, size_t n, double peak)
{
    if (peak <= SILENT_PEAK)
        snprintf(buf, n, "-inf");
    else
        snprintf(buf, n, "%.1f", 20.0 * log10(peak));
}

/* ---- creation --------------------------------------------------------------------------- */

/* Try the ncurses screen on stdin/stdout; NULL with *why set when it cannot start. */
static SCREEN *start_screen(const char **why)
{
    const char *term = getenv("TERM");
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        *why = "stdin or stdout is not a terminal";
        return NULL;
    }
    if (!term || !term[0] || strcmp(term, "dumb") == 0) {
        *why = "TERM is unset or \"dumb\"";
        return NULL;
    }
    /* newterm (unlike initscr) returns NULL instead of exiting on an unknown terminal. */
    SCREEN *scr = newterm(NULL, stdout, stdin);
    if (!scr) {
        *why = "ncurses does not know this terminal (TERM)";
        return NULL;
    }
    set_term(scr);
    cbreak();
    noecho();
    nonl();
    nodelay(stdscr, TRUE);
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    g_screen_active = 1;
    return scr;
}

gb_status_t *gb_status_new(int ui, FILE *log, gb_error_t *err)
{
    gb_status_t *st = calloc(1, sizeof *st);
    if (!st) {
        gb_error_set(err, GB_ENOMEM, "out of memory for the status view");
        return NULL;
    }
    st->log = log ? log : stderr;
    st->voices = -1;
    st->changed_handle = -1;
    st->note_t = -1.0;
    snprintf(st->client, sizeof st->client, "gbac");
    if (ui) {
        const char *why = "";
        st->screen = start_screen(&why);
        if (st->screen) {
            st->ui = 1;
        } else {
            fprintf(st->log, "gbac: no status screen (%s); writing a status line every 2 s "
                             "instead\n", why);
            fflush(st->log);
        }
    }
    return st;
}

int gb_status_is_ui(const gb_status_t *st)
{
    return st && st->ui;
}

void gb_status_emergency_restore(void)
{
    if (g_screen_active) {
        g_screen_active = 0;
        endwin();
    }
}

void gb_status_free(gb_status_t *st)
{
    if (!st)
        return;
    if (st->screen) {
        gb_status_emergency_restore();
        delscreen(st->screen);
    }
    free(st);
}

/* ---- inputs ----------------------------------------------------------------------------- */

void gb_status_set_info(gb_status_t *st, const char *client_name, const char *preset,
                        double sample_rate, uint32_t block, uint32_t latency_frames)
{
    snprintf(st->client, sizeof st->client, "%s", client_name ? client_name : "gbac");
    snprintf(st->preset, sizeof st->preset, "%s", preset ? preset : "");
    st->sample_rate = sample_rate;
    st->block = block;
    st->latency = latency_frames;
}

void gb_status_set_params(gb_status_t *st, const gb_engine_t *engine)
{
    st->engine = engine;
    int n = engine ? gb_engine_param_count(engine) : 0;
    if (st->sel >= n)
        st->sel = n > 0 ? n - 1 : 0;
    if (st->top > st->sel)
        st->top = st->sel;
    st->changed_handle = -1;
}

/* "slot/name" of a handle, or "#handle" when the engine does not know it. */
static void param_path(const gb_status_t *st, int32_t handle, char *buf, size_t n)
{
    const char *slot = NULL;
    const gbp_param_info_t *info = NULL;
    if (st->engine && gb_engine_param_info(st->engine, handle, &slot, &info) == 0 && info)
        snprintf(buf, n, "%s/%s", slot ? slot : "?", info->name ? info->name : "?");
    else
        snprintf(buf, n, "#%d", (int)handle);
}

void gb_status_feedback(gb_status_t *st, const gb_live_fb_t *fb)
{
    switch (fb->kind) {
    case GB_FB_METER:
        if (fb->peak_l > st->peak_l)
            st->peak_l = fb->peak_l;
        if (fb->peak_r > st->peak_r)
            st->peak_r = fb->peak_r;
        st->dsp_load = fb->dsp_load;
        st->voices = fb->voices;
        st->tempo = fb->tempo_bpm;
        break;
    case GB_FB_PARAM:
        st->changed_handle = fb->handle;
        break;
    case GB_FB_NOTE:
        if (fb->ev.type == GBP_EV_NOTE_ON)
            st->ai_notes++;
        break;
    case GB_FB_LEARNED: {
        char path[160];
        param_path(st, fb->handle, path, sizeof path);
        if (fb->channel == 255)
            gb_status_note(st, "%s now follows CC %u (any channel)", path, (unsigned)fb->cc);
        else
            gb_status_note(st, "%s now follows CC %u on channel %u", path, (unsigned)fb->cc,
                           (unsigned)fb->channel + 1u);
        break;
    }
    default:
        break;
    }
}

void gb_status_set_counters(gb_status_t *st, const gb_live_stats_t *s)
{
    for (int i = 0; i < GB_LIVE_N_COUNTERS; i++)
        st->c[i] = gb_live_counter_get(s, i);
}

void gb_status_set_cost(gb_status_t *st, const char *line)
{
    snprintf(st->cost, sizeof st->cost, "%s", line);
}

void gb_status_note(gb_status_t *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->note, sizeof st->note, fmt, ap);
    va_end(ap);
    for (char *c = st->note; *c; c++) /* one line, no terminal controls */
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    if (!st->ui) {
        fprintf(st->log, "gbac: %s\n", st->note);
        fflush(st->log);
    } else {
        st->note_fresh = 1;
    }
}

/* ---- log mode --------------------------------------------------------------------------- */

/* Append ", label N" when N is non-zero. */
static size_t extra(char *buf, size_t n, size_t used, const char *label, uint64_t v)
{
    if (!v || used >= n)
        return used;
    int w = snprintf(buf + used, n - used, ", %s %llu", label, (unsigned long long)v);
    return used + (w > 0 ? (size_t)w : 0);
}

/* Whether counter i has its own place in the log line and on the screen (with a rate). */
static int counter_shown_first(int i)
{
    return i == GB_LC_xruns || i == GB_LC_midi_events || i == GB_LC_osc_messages;
}

static void log_line(gb_status_t *st, double dt)
{
    char l[16], r[16], voices[16], line[1200];
    fmt_db(l, sizeof l, st->peak_l);
    fmt_db(r, sizeof r, st->peak_r);
    if (st->voices >= 0)
        snprintf(voices, sizeof voices, "%d", (int)st->voices);
    else
        snprintf(voices, sizeof voices, "-");
    const uint64_t midi = st->c[GB_LC_midi_events], osc = st->c[GB_LC_osc_messages];
    double midi_rate = dt > 0 ? (double)(midi - st->midi_mark) / dt : 0.0;
    double osc_rate = dt > 0 ? (double)(osc - st->osc_mark) / dt : 0.0;
    int w = snprintf(line, sizeof line,
                     "gbac: out %s/%s dBFS, dsp %.1f%%, voices %s, tempo %.1f, xruns %llu, "
                     "midi_events %llu (+%.0f/s), osc_messages %llu (+%.0f/s)",
                     l, r, (double)st->dsp_load, voices, (double)st->tempo,
                     (unsigned long long)st->c[GB_LC_xruns], (unsigned long long)midi,
                     midi_rate, (unsigned long long)osc, osc_rate);
    size_t used = w > 0 ? (size_t)w : 0;
    used = extra(line, sizeof line, used, "ai notes", st->ai_notes);
    for (int i = 0; i < GB_LIVE_N_COUNTERS; i++)
        if (!counter_shown_first(i))
            used = extra(line, sizeof line, used, gb_live_counter_name(i), st->c[i]);
    if (st->recording && used + 24 < sizeof line) {
        int k = snprintf(line + used, sizeof line - used, ", REC %.1f s", st->rec_s);
        used += k > 0 ? (size_t)k : 0;
    }
    if (st->transport[0] && used < sizeof line) {
        int k = snprintf(line + used, sizeof line - used, ", transport %s", st->transport);
        used += k > 0 ? (size_t)k : 0;
    }
    used = used < sizeof line ? used : sizeof line;
    if (st->cost[0] && used < sizeof line)
        snprintf(line + used, sizeof line - used, ", %s", st->cost);
    fprintf(st->log, "%s\n", line);
    fflush(st->log);
    st->midi_mark = midi;
    st->osc_mark = osc;
    st->peak_l = st->peak_r = 0.0f;
}

/* ---- screen mode ------------------------------------------------------------------------ */

/* Text at (y, 0), clipped to the screen width, rest of the line cleared. */
static void put_line(int y, const char *text, attr_t attr)
{
    if (y < 0 || y >= LINES)
        return;
    move(y, 0);
    clrtoeol();
    if (attr)
        attron(attr);
    mvaddnstr(y, 0, text, COLS > 0 ? COLS : 0);
    if (attr)
        attroff(attr);
}

static void draw_meter(int y, const char *label, double peak)
{
    char db[16], line[512];
    fmt_db(db, sizeof db, peak);
    int width = COLS - 22;
    if (width > 60)
        width = 60;
    if (width < 0)
        width = 0;
    double dbv = peak > SILENT_PEAK ? 20.0 * log10(peak) : -200.0;
    double frac = (dbv - METER_FLOOR_DB) / -METER_FLOOR_DB;
    frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
    int fill = (int)lround(frac * width);
    int k = snprintf(line, sizeof line, "out %s [", label);
    for (int i = 0; i < width && k < (int)sizeof line - 32; i++)
        line[k++] = i < fill ? (dbv > -0.1 ? '!' : '#') : '.';
    snprintf(line + k, sizeof line - (size_t)k, "] %6s dBFS", db);
    put_line(y, line, 0);
}

/* The counters, each by its name, wrapped to the screen's width; returns the next row. */
static int draw_counters(gb_status_t *st, int y, const char *voices)
{
    char line[512];
    snprintf(line, sizeof line, "dsp %5.1f%%   xruns %llu   voices %s   tempo %.1f BPM   "
                                "ai notes %llu",
             (double)st->dsp_load, (unsigned long long)st->c[GB_LC_xruns], voices,
             (double)st->tempo, (unsigned long long)st->ai_notes);
    put_line(y++, line, 0);
    if (st->transport[0]) {
        snprintf(line, sizeof line, "transport %s", st->transport);
        put_line(y++, line, 0);
    }
    snprintf(line, sizeof line, "midi_events %llu (+%.0f/s)   osc_messages %llu (+%.0f/s)",
             (unsigned long long)st->c[GB_LC_midi_events], st->midi_rate,
             (unsigned long long)st->c[GB_LC_osc_messages], st->osc_rate);
    put_line(y++, line, 0);
    size_t k = 0;
    for (int i = 0; i < GB_LIVE_N_COUNTERS; i++) {
        if (counter_shown_first(i))
            continue;
        char item[96];
        int w = snprintf(item, sizeof item, "%s %llu", gb_live_counter_name(i),
                         (unsigned long long)st->c[i]);
        if (k && (k + 3 + (size_t)w > (size_t)(COLS > 0 ? COLS : 80) || k + 3 + w >= sizeof line)) {
            put_line(y++, line, 0);
            k = 0;
        }
        k += (size_t)snprintf(line + k, sizeof line - k, "%s%s", k ? "   " : "", item);
    }
    if (k)
        put_line(y++, line, 0);
    if (st->cost[0])
        put_line(y++, st->cost, 0);
    return y + 1;
}

static void draw(gb_status_t *st, double now)
{
    char line[512];
    int y = 0;
    erase();
    double lat_ms = st->sample_rate > 0 ? 1000.0 * st->latency / st->sample_rate : 0.0;
    snprintf(line, sizeof line, "gbac  client \"%s\"  preset %s  %.0f Hz  block %u  latency %u "
                                "frames (%.1f ms)",
             st->client, st->preset[0] ? st->preset : "-", st->sample_rate,
             (unsigned)st->block, (unsigned)st->latency, lat_ms);
    if (st->recording) {
        size_t used = strlen(line);
        snprintf(line + used, sizeof line - used, "   REC %.1f s", st->rec_s);
    }
    put_line(y++, line, A_BOLD);
    y++;
    draw_meter(y++, "L", st->hold_l);
    draw_meter(y++, "R", st->hold_r);
    y++;
    char voices[16];
    if (st->voices >= 0)
        snprintf(voices, sizeof voices, "%d", (int)st->voices);
    else
        snprintf(voices, sizeof voices, "-");
    y = draw_counters(st, y, voices);
    put_line(y++, "parameters  (up/down select, l learn, r record, q quit)", A_BOLD);

    int n = st->engine ? gb_engine_param_count(st->engine) : 0;
    int rows = LINES - y - 1; /* the last line is for notes */
    if (rows < 1)
        rows = 1;
    if (st->sel < st->top)
        st->top = st->sel;
    if (st->sel >= st->top + rows)
        st->top = st->sel - rows + 1;
    if (n == 0)
        put_line(y, "  (no parameters)", 0);
    for (int i = st->top; i < n && i < st->top + rows; i++) {
        int32_t h = gb_engine_param_handle(st->engine, i);
        const char *slot = NULL;
        const gbp_param_info_t *info = NULL;
        char path[160];
        param_path(st, h, path, sizeof path);
        gb_engine_param_info(st->engine, h, &slot, &info);
        snprintf(line, sizeof line, "%c %-32s %12.3f %-4s %s", i == st->sel ? '>' : ' ', path,
                 (double)gb_engine_param_get(st->engine, h),
                 info && info->unit ? info->unit : "", h == st->changed_handle ? "*" : "");
        put_line(y + i - st->top, line, i == st->sel ? A_REVERSE : 0);
    }
    if (st->note_fresh) {
        st->note_t = now;
        st->note_fresh = 0;
    }
    if (st->note_t >= 0 && now - st->note_t < NOTE_SHOW_S)
        put_line(LINES - 1, st->note, A_BOLD);
    refresh();
}

/* Read keys until one asks for an action; selection keys are handled here. */
static int read_keys(gb_status_t *st, gb_status_action_t *act)
{
    int n = st->engine ? gb_engine_param_count(st->engine) : 0;
    int page = LINES > 14 ? LINES - 14 : 1;
    int ch;
    while ((ch = getch()) != ERR) {
        switch (ch) {
        case 'q':
        case 'Q':
            act->kind = GB_STATUS_QUIT;
            return 1;
        case 'l':
        case 'L':
            if (n == 0) {
                gb_status_note(st, "no parameters to learn");
                break;
            }
            act->kind = GB_STATUS_LEARN;
            act->handle = gb_engine_param_handle(st->engine, st->sel);
            {
                char path[160];
                param_path(st, act->handle, path, sizeof path);
                gb_status_note(st, "learning %s: move a controller", path);
            }
            return 1;
        case 'r':
        case 'R':
            act->kind = GB_STATUS_RECORD_TOGGLE;
            return 1;
        case KEY_UP:
        case 'k':
            st->sel--;
            break;
        case KEY_DOWN:
        case 'j':
            st->sel++;
            break;
        case KEY_PPAGE:
            st->sel -= page;
            break;
        case KEY_NPAGE:
            st->sel += page;
            break;
        case KEY_HOME:
            st->sel = 0;
            break;
        case KEY_END:
            st->sel = n - 1;
            break;
        default: /* KEY_RESIZE included: the redraw that follows fits the new size */
            break;
        }
        if (st->sel >= n)
            st->sel = n - 1;
        if (st->sel < 0)
            st->sel = 0;
    }
    return 0;
}

/* ---- the tick --------------------------------------------------------------------------- */

int gb_status_tick_at(gb_status_t *st, double now, gb_status_action_t *act)
{
    gb_status_action_t none = {GB_STATUS_NONE, -1};
    gb_status_action_t *a = act ? act : &none;
    a->kind = GB_STATUS_NONE;
    a->handle = -1;
    if (!st->started) {
        st->started = 1;
        st->t_last = st->t_rate = now;
        st->midi_mark = st->c[GB_LC_midi_events];
        st->osc_mark = st->c[GB_LC_osc_messages];
    }
    if (!st->ui) {
        double dt = now - st->t_last;
        if (dt >= LOG_PERIOD_S) {
            log_line(st, dt);
            st->t_last = now;
        }
        return 0;
    }

    int got = read_keys(st, a);

    /* Peak hold falling at a fixed dB/s, topped up by what arrived since the last tick. */
    double dt = now - st->t_last;
    double fall = pow(10.0, -METER_FALL_DB_PER_S * (dt > 0 ? dt : 0) / 20.0);
    st->hold_l = fmax(st->hold_l * fall, (double)st->peak_l);
    st->hold_r = fmax(st->hold_r * fall, (double)st->peak_r);
    st->peak_l = st->peak_r = 0.0f;
    st->t_last = now;
    if (now - st->t_rate >= RATE_PERIOD_S) {
        double w = now - st->t_rate;
        st->midi_rate = (double)(st->c[GB_LC_midi_events] - st->midi_mark) / w;
        st->osc_rate = (double)(st->c[GB_LC_osc_messages] - st->osc_mark) / w;
        st->midi_mark = st->c[GB_LC_midi_events];
        st->osc_mark = st->c[GB_LC_osc_messages];
        st->t_rate = now;
    }
    draw(st, now);
    return got;
}

int gb_status_tick(gb_status_t *st, gb_status_action_t *act)
{
    return gb_status_tick_at(st, mono_now(), act);
}

void gb_status_set_transport(gb_status_t *st, const char *text)
{
    if (st)
        snprintf(st->transport, sizeof st->transport, "%s", text ? text : "");
}

void gb_status_set_record(gb_status_t *st, int recording, double seconds)
{
    if (!st)
        return;
    st->recording = recording;
    st->rec_s = seconds;
}
