/* gb_osc_lo.c — liblo messages to and from gb_osc_msg_t (see gb_osc_lo.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_osc_lo.h"

#include <string.h>

/* liblo's arguments are packed OSC data, aligned to 4 bytes only: read them with memcpy. */
static void read_arg(char t, const lo_arg *a, gb_osc_arg_t *out)
{
    memset(out, 0, sizeof *out);
    out->type = t;
    switch (t) {
    case 'i': memcpy(&out->v.i, a, sizeof out->v.i); break;
    case 'c': memcpy(&out->v.i, a, sizeof out->v.i); break;
    case 'h': memcpy(&out->v.h, a, sizeof out->v.h); break;
    case 'f': memcpy(&out->v.f, a, sizeof out->v.f); break;
    case 'd': memcpy(&out->v.d, a, sizeof out->v.d); break;
    case 's':
    case 'S': out->v.s = (const char *)a; break;
    default: break; /* no value, or one no method accepts */
    }
}

int gb_osc_lo_msg(const char *path, lo_message m, gb_osc_msg_t *out, char *types,
                  gb_osc_arg_t *argv)
{
    memset(out, 0, sizeof *out);
    out->path = path;
    out->types = types;
    out->argv = argv;
    types[0] = '\0';
    if (!m)
        return GB_OK;
    const int argc = lo_message_get_argc(m);
    const char *t = lo_message_get_types(m);
    lo_arg **av = lo_message_get_argv(m);
    if (argc == 0)
        return GB_OK;
    if (argc < 0 || argc > GB_OSC_MAX_ARGS || !t || (int)strlen(t) != argc || !av)
        return GB_EINVAL;
    for (int i = 0; i < argc; i++) {
        if (!av[i] && strchr("ihfdsSc", t[i]))
            return GB_EINVAL;
        read_arg(t[i], av[i], &argv[i]);
    }
    memcpy(types, t, (size_t)argc + 1);
    out->argc = argc;
    return GB_OK;
}

lo_message gb_osc_lo_build(const char *types, const gb_osc_arg_t *argv)
{
    lo_message m = lo_message_new();
    for (int i = 0; m && types && types[i]; i++) {
        const gb_osc_arg_t *a = &argv[i];
        int rc;
        switch (types[i]) {
        case 'i': rc = lo_message_add_int32(m, a->v.i); break;
        case 'h': rc = lo_message_add_int64(m, a->v.h); break;
        case 'f': rc = lo_message_add_float(m, a->v.f); break;
        case 'd': rc = lo_message_add_double(m, a->v.d); break;
        case 's': rc = lo_message_add_string(m, a->v.s ? a->v.s : ""); break;
        case 'S': rc = lo_message_add_symbol(m, a->v.s ? a->v.s : ""); break;
        case 'c': rc = lo_message_add_char(m, (char)a->v.i); break;
        case 'T': rc = lo_message_add_true(m); break;
        case 'F': rc = lo_message_add_false(m); break;
        case 'N': rc = lo_message_add_nil(m); break;
        case 'I': rc = lo_message_add_infinitum(m); break;
        default: rc = -1; break;
        }
        if (rc < 0) {
            lo_message_free(m);
            return NULL;
        }
    }
    return m;
}
