/* gb_session_priv.h — what gb_session.c (start, engines, log, provenance) and
 * gb_session_stop.c (the files written at stop) share. Not a public header.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_SESSION_PRIV_H
#define GB_SESSION_PRIV_H

#include <jansson.h>

#include "gb_session.h"

#define GB_SESSION_MAX_UNITS 64  /* units described (all engines of a session) */
#define GB_SESSION_MAX_TABLES 16 /* engines described (preset loads while recording) */

/* One unit of a described engine. */
typedef struct unit_info {
    char slot[GB_SLOT_NAME_MAX];
    char id[96];
    int source_id;        /* note sources with a source_id parameter, else -1 */
    char model[1024];     /* "" or the model file as the unit's state names it */
    char sha256[65];
    json_t *card;         /* owned, or NULL */
} unit_info_t;

typedef struct param_name {
    int32_t handle;
    char name[2 * GB_SLOT_NAME_MAX + 40]; /* "slot/name" */
} param_name_t;

/* The parameter names of an engine, used for events from from_frame on. */
typedef struct name_table {
    uint64_t from_frame;
    param_name_t *p;
    int n;
} name_table_t;

typedef struct osc_line {
    uint64_t frame;
    char *json; /* the whole line */
} osc_line_t;

struct gb_session {
    gb_session_config_t cfg;
    char dir[4096];
    char command[32];
    char created[32];
    char reserve[4200];
    gb_recorder_t *rec;
    int stopped;

    /* what the engines were */
    json_t *presets;      /* array of {"name","file","sha256"} */
    unit_info_t units[GB_SESSION_MAX_UNITS];
    int n_units;
    name_table_t tables[GB_SESSION_MAX_TABLES];
    int n_tables;
    double tempo_bpm;
    int bpb, bu;

    /* control-thread events */
    gb_rec_event_t *mev;
    size_t n_mev, cap_mev;
    osc_line_t *osc;
    size_t n_osc, cap_osc;
};

/** Write text to dir/name through a temporary file renamed over it. [main] */
int gb_session_write_atomic(const char *dir, const char *name, const char *text, size_t len,
                            gb_error_t *err);

/** Write provenance.json; res and the JSON parts may be NULL (a session in progress). [main] */
int gb_session_write_provenance(gb_session_t *s, const gb_recorder_result_t *res,
                                json_t *contributions, json_t *ratings, json_t *phrases,
                                json_t *tracks, json_t *tempo_map, gb_error_t *err);

/** "slot/name" of a parameter handle at a frame (the engine then described), or NULL. */
const char *gb_session_param_name(const gb_session_t *s, int32_t handle, uint64_t frame);

#endif
