/* gb_publish.h — a recorded session made ready to share (`gbac publish`, docs/publish.md):
 * tagged 24-bit FLAC, the MIDI, a cover picture, credits from the provenance, and the
 * provenance itself, in a folder or a tar archive.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_PUBLISH_H
#define GB_PUBLISH_H

#include <stdio.h>

#include "gb_common.h"
#include "gb_session_read.h"

#define GB_PUBLISH_COVER_PX 1000 /* the cover is this square */

typedef struct gb_publish_config {
    const char *session; /* the session folder (docs/session.md) */
    const char *out;     /* a folder (created), or OUT.tar.gz / OUT.tgz / OUT.tar holding one
                            folder named after it */
    const char *title;   /* title tag; NULL: the preset's name and the date */
    const char *artist;  /* artist tag; NULL: the performer and the models that made notes */
    const char *license; /* licence tag of the recording; NULL: none */
    int force;           /* write into a non-empty OUT folder / replace an OUT archive */
    FILE *log;           /* warnings (e.g. notes.mid and the provenance disagree); NULL: none */
} gb_publish_config_t;

typedef struct gb_publish_result {
    char title[512], artist[512]; /* the tags written */
    char comment[2048];           /* the one-line provenance written as the comment tag */
    int bad_out;                  /* on failure: 1 when OUT itself is unusable as named (a
                                     usage error: no name before the extension, the session
                                     folder itself) */
} gb_publish_result_t;

/** Publish cfg->session to cfg->out (see above). Nothing is written for a bad session; an
 *  archive is written under a temporary name and renamed when complete. Returns 0, or a
 *  negative error naming the file or folder. [main] */
int gb_publish(const gb_publish_config_t *cfg, gb_publish_result_t *res, gb_error_t *err);

/* The texts, from a session read with gb_session_read (gb_publish_text.c). */

/** Default title: "<preset name>, <date>". [main] */
void gb_publish_default_title(const gb_session_data_t *s, char *out, size_t cap);

/** Default artist: "Performer with gbac melody-gan and gbac arp" (who made notes). [main] */
void gb_publish_default_artist(const gb_session_data_t *s, char *out, size_t cap);

/** One line: "performer 12 notes 4.5 s; melody-gan 16 notes 3.9 s; models sha256 melody-gan
 *  1a2b3c4d5e6f; gbac 0.1.0". [main] */
void gb_publish_provenance_line(const gb_session_data_t *s, char *out, size_t cap);

/** credits.txt: who made what, the models with their training data and licences, whether
 *  the models' notes copy their training data (copy: gb_publish_copy_check()'s object, NULL:
 *  section left out), ratings, licences. Returns a malloc()ed text, or NULL when out of
 *  memory. [main] */
char *gb_publish_credits(const gb_session_data_t *s, const char *title, const char *artist,
                         const char *license, const json_t *copy);

#endif
