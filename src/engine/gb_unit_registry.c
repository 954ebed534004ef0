/* gb_unit_registry.c — the unit registry: built-in descriptors plus external plugins loaded with
 * dlopen() from configured folders only.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A plugin is all or nothing: every descriptor it exports is checked (and compared against
 * the registry and its siblings for duplicate ids) before any is registered, and a refused
 * plugin is dlclose()d at once, so a half-registered plugin can never exist.
 */
#include "gb_unit_registry.h"
#include "gb_lv2.h"
#include "gb_share.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Sanity bounds, far above anything real: they only stop a broken plugin from making the
 * host loop for ever or spend seconds on the duplicate checks. */
#define GB_UNITS_MAX_PER_PLUGIN 256
#define GB_UNITS_MAX_PARAMS 1024
#define GB_UNITS_MAX_ID 128
#define GB_UNITS_MAX_NAME 64

static const gbp_descriptor_t *const gb_builtin_units[] = {
    &gb_unit_arpeggiator, &gb_unit_harmsynth, &gb_unit_timbrevae, &gb_unit_delay,
    &gb_unit_reverb, &gb_unit_limiter, &gb_unit_melodygan,
};

typedef struct gb_plugin_lib {
    void *handle;
    char *path;      /* as given, for messages */
    dev_t dev;       /* the file's identity, to recognise it under another path */
    ino_t ino;
} gb_plugin_lib_t;

typedef struct gb_unit_entry {
    const gbp_descriptor_t *desc;
    int lib; /* index into libs, or -1 for a built-in unit */
} gb_unit_entry_t;

struct gb_unit_registry {
    gb_unit_entry_t *units;
    int n_units, cap_units;
    gb_plugin_lib_t *libs;
    int n_libs, cap_libs;
};

/* ---------------------------------------------------------------- helpers */

/* Unit ids: letters, digits, '.', '-', '_' ("gbac.delay", "org.example.tremolo"). */
static int id_char_ok(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c == '_';
}

/* Parameter names are path components ("synth/attack_ms", OSC): a lower-case letter first,
 * then lower-case letters, digits, '_', '-' or '.'. */
static int param_name_ok(const char *s)
{
    if (!s || !(*s >= 'a' && *s <= 'z'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ||
              *s == '.'))
            return 0;
    return 1;
}

static int is_integral(float v)
{
    return v == floorf(v);
}

/* Copy a string that came from a plugin into buf, printable and bounded, for messages. */
static const char *clean(const char *s, char *buf, size_t size)
{
    /* buf holds at least 4 bytes at every call site: room for "..." and the NUL. */
    size_t o = 0, max = size - 4;
    if (!s)
        s = "(null)";
    for (; *s && o < max; s++)
        buf[o++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
    if (*s) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

/* ---------------------------------------------------------------- descriptor check */

static int check_params(const gbp_descriptor_t *d, const char *origin, const char *id,
                        gb_error_t *err)
{
    if (d->n_params > GB_UNITS_MAX_PARAMS)
        return gb_error_set(err, GB_EFORMAT, "%s: unit '%s': %u parameters, at most %d allowed",
                            origin, id, d->n_params, GB_UNITS_MAX_PARAMS);
    if (d->n_params > 0 && !d->params)
        return gb_error_set(err, GB_EFORMAT,
                            "%s: unit '%s': n_params is %u but the params table is NULL", origin,
                            id, d->n_params);
    for (uint32_t i = 0; i < d->n_params; i++) {
        const gbp_param_info_t *p = &d->params[i];
        char nb[GB_UNITS_MAX_NAME + 4];
        if (!p->name || !p->name[0])
            return gb_error_set(err, GB_EFORMAT, "%s: unit '%s': param %u (id %u) has no name",
                                origin, id, i, p->id);
        clean(p->name, nb, sizeof nb);
        if (p->id > GBP_PARAM_ID_MAX)
            return gb_error_set(err, GB_EFORMAT,
                                "%s: unit '%s': param '%s' has id %u, above the limit %u "
                                "(gbac packs parameter ids into 16 bits: use ids 0..%u)",
                                origin, id, nb, p->id, GBP_PARAM_ID_MAX, GBP_PARAM_ID_MAX);
        if (strlen(p->name) >= GB_UNITS_MAX_NAME || !param_name_ok(p->name))
            return gb_error_set(err, GB_EFORMAT,
                                "%s: unit '%s': param name '%s' (id %u) must be a lower-case "
                                "letter then lower-case letters, digits, '_', '-' or '.' "
                                "(at most %d characters)",
                                origin, id, nb, p->id, GB_UNITS_MAX_NAME - 1);
        if (!isfinite(p->min) || !isfinite(p->max) || !isfinite(p->def) ||
            !isfinite(p->smoothing_ms))
            return gb_error_set(err, GB_EFORMAT,
                                "%s: unit '%s': param '%s' (id %u): min, max, default and "
                                "smoothing_ms must be finite",
                                origin, id, nb, p->id);
        if (!(p->min < p->max))
            return gb_error_set(err, GB_EFORMAT,
                                "%s: unit '%s': param '%s' (id %u): min %g is not below max %g",
                                origin, id, nb, p->id, (double)p->min, (double)p->max);
        if (p->def < p->min || p->def > p->max)
            return gb_error_set(err, GB_EFORMAT,
                                "%s: unit '%s': param '%s' (id %u): default %g is outside its "
                                "range %g..%g",
                                origin, id, nb, p->id, (double)p->def, (double)p->min,
                                (double)p->max);
        if (p->smoothing_ms < 0)
            return gb_error_set(err, GB_EFORMAT,
                                "%s: unit '%s': param '%s' (id %u): smoothing_ms %g is negative",
                                origin, id, nb, p->id, (double)p->smoothing_ms);
        const uint32_t known = GBP_PARAM_STEPPED | GBP_PARAM_NO_SMOOTH | GBP_PARAM_READONLY;
        if (p->flags & ~known)
            return gb_error_set(err, GB_EFORMAT,
                                "%s: unit '%s': param '%s' (id %u): unknown flags 0x%x", origin,
                                id, nb, p->id, p->flags & ~known);
        if ((p->flags & GBP_PARAM_STEPPED) &&
            !(is_integral(p->min) && is_integral(p->max) && is_integral(p->def)))
            return gb_error_set(err, GB_EFORMAT,
                                "%s: unit '%s': param '%s' (id %u) is stepped but its range "
                                "%g..%g or default %g is not whole numbers",
                                origin, id, nb, p->id, (double)p->min, (double)p->max,
                                (double)p->def);
        for (uint32_t j = 0; j < i; j++) {
            if (d->params[j].id == p->id)
                return gb_error_set(err, GB_EFORMAT,
                                    "%s: unit '%s': params '%s' and '%s' share id %u", origin, id,
                                    d->params[j].name, nb, p->id);
            if (strcmp(d->params[j].name, p->name) == 0)
                return gb_error_set(err, GB_EFORMAT,
                                    "%s: unit '%s': two params are named '%s' (ids %u and %u)",
                                    origin, id, nb, d->params[j].id, p->id);
        }
    }
    return GB_OK;
}

int gb_unit_check_descriptor(const gbp_descriptor_t *d, const char *origin, gb_error_t *err)
{
    if (!origin)
        origin = "?";
    if (!d)
        return gb_error_set(err, GB_EINVAL, "%s: no descriptor", origin);
    /* The version decides the layout of everything after it: read it, and only it, first. */
    uint32_t abi = d->abi_version;
    if (abi != GBP_ABI_VERSION)
        return gb_error_set(err, GB_EUNSUPPORTED,
                            "%s: ABI version %u, this gbac speaks %u (rebuild the plugin "
                            "against this gbac's gbac_plugin.h%s)",
                            origin, abi, GBP_ABI_VERSION,
                            abi < GBP_ABI_VERSION ? "; docs/units.md says what changed" : "");
    if (d->struct_size < sizeof(gbp_descriptor_t))
        return gb_error_set(err, GB_EUNSUPPORTED,
                            "%s: descriptor struct_size %u, this gbac needs at least %zu",
                            origin, d->struct_size, sizeof(gbp_descriptor_t));
    if (!d->id || !d->id[0])
        return gb_error_set(err, GB_EFORMAT, "%s: descriptor has no id", origin);
    char id[GB_UNITS_MAX_ID + 4];
    clean(d->id, id, sizeof id);
    size_t idlen = strlen(d->id);
    for (size_t i = 0; i < idlen && !gb_lv2_is_id(d->id); i++) /* lv2:URI: any URI */
        if (!id_char_ok((unsigned char)d->id[i]))
            return gb_error_set(err, GB_EFORMAT,
                                "%s: unit id '%s' may hold only letters, digits, '.', '-' and "
                                "'_'",
                                origin, id);
    if (idlen >= GB_UNITS_MAX_ID)
        return gb_error_set(err, GB_EFORMAT, "%s: unit id '%s' is longer than %d characters",
                            origin, id, GB_UNITS_MAX_ID - 1);
    if (d->kind != GBP_KIND_NOTE_SOURCE && d->kind != GBP_KIND_INSTRUMENT &&
        d->kind != GBP_KIND_EFFECT)
        return gb_error_set(err, GB_EFORMAT,
                            "%s: unit '%s': kind %d is not a note source (1), instrument (2) or "
                            "effect (3)",
                            origin, id, (int)d->kind);
    const struct {
        int present;
        const char *name;
    } cbs[] = {
        {d->create != NULL, "create"},         {d->destroy != NULL, "destroy"},
        {d->activate != NULL, "activate"},     {d->deactivate != NULL, "deactivate"},
        {d->process ? 1 : 0, "process"},       {d->set_param != NULL, "set_param"},
        {d->get_param ? 1 : 0, "get_param"},
    };
    for (size_t i = 0; i < sizeof cbs / sizeof cbs[0]; i++)
        if (!cbs[i].present)
            return gb_error_set(err, GB_EFORMAT, "%s: unit '%s': %s callback missing", origin,
                                id, cbs[i].name);
    if ((d->save_state == NULL) != (d->load_state == NULL))
        return gb_error_set(err, GB_EFORMAT,
                            "%s: unit '%s': save_state and load_state come together (one is "
                            "NULL, the other not)",
                            origin, id);
    if (d->flags & ~GBP_UNIT_THREAD_SAFE_STATE)
        return gb_error_set(err, GB_EFORMAT, "%s: unit '%s': unknown descriptor flags 0x%x",
                            origin, id, d->flags & ~GBP_UNIT_THREAD_SAFE_STATE);
    return check_params(d, origin, id, err);
}

/* ---------------------------------------------------------------- registry */

static int add_unit(gb_unit_registry_t *reg, const gbp_descriptor_t *d, int lib)
{
    if (reg->n_units == reg->cap_units) {
        int cap = reg->cap_units ? 2 * reg->cap_units : 16;
        gb_unit_entry_t *u = realloc(reg->units, (size_t)cap * sizeof *u);
        if (!u)
            return GB_ENOMEM;
        reg->units = u;
        reg->cap_units = cap;
    }
    reg->units[reg->n_units].desc = d;
    reg->units[reg->n_units].lib = lib;
    reg->n_units++;
    return GB_OK;
}

static const gb_unit_entry_t *find_entry(const gb_unit_registry_t *reg, const char *id)
{
    for (int i = 0; i < reg->n_units; i++)
        if (strcmp(reg->units[i].desc->id, id) == 0)
            return &reg->units[i];
    return NULL;
}

static const char *entry_origin(const gb_unit_registry_t *reg, const gb_unit_entry_t *e)
{
    return e->lib < 0 ? "built-in" : reg->libs[e->lib].path;
}

gb_unit_registry_t *gb_unit_registry_new(gb_error_t *err)
{
    gb_unit_registry_t *reg = calloc(1, sizeof *reg);
    if (!reg) {
        gb_error_set(err, GB_ENOMEM, "unit registry: out of memory");
        return NULL;
    }
    for (size_t i = 0; i < sizeof gb_builtin_units / sizeof gb_builtin_units[0]; i++) {
        const gbp_descriptor_t *d = gb_builtin_units[i];
        char origin[GB_UNITS_MAX_ID + 32];
        snprintf(origin, sizeof origin, "built-in unit %zu", i);
        if (gb_unit_check_descriptor(d, origin, err) < 0)
            goto fail;
        if (find_entry(reg, d->id)) {
            gb_error_set(err, GB_EFORMAT, "%s: duplicate id '%s'", origin, d->id);
            goto fail;
        }
        if (add_unit(reg, d, -1) < 0) {
            gb_error_set(err, GB_ENOMEM, "unit registry: out of memory");
            goto fail;
        }
    }
    return reg;
fail:
    gb_unit_registry_free(reg);
    return NULL;
}

void gb_unit_registry_free(gb_unit_registry_t *reg)
{
    if (!reg)
        return;
    for (int i = 0; i < reg->n_libs; i++) {
        dlclose(reg->libs[i].handle);
        free(reg->libs[i].path);
    }
    free(reg->libs);
    free(reg->units);
    free(reg);
}

const gbp_descriptor_t *gb_unit_registry_find(const gb_unit_registry_t *reg, const char *id)
{
    return gb_unit_registry_resolve(reg, id, NULL);
}

const gbp_descriptor_t *gb_unit_registry_resolve(const gb_unit_registry_t *reg, const char *id,
                                                 gb_error_t *err)
{
    if (!reg || !id)
        return NULL;
    const gb_unit_entry_t *e = find_entry(reg, id);
    if (e)
        return e->desc;
    if (!gb_lv2_is_id(id))
        return NULL;
    const gbp_descriptor_t *d = gb_lv2_descriptor(id, err);
    return d && gb_unit_check_descriptor(d, id, err) == GB_OK ? d : NULL;
}

const char *gb_unit_registry_origin(const gb_unit_registry_t *reg, int i)
{
    if (!reg || i < 0 || i >= reg->n_units || reg->units[i].lib < 0)
        return NULL;
    return reg->libs[reg->units[i].lib].path;
}

int gb_unit_registry_count(const gb_unit_registry_t *reg)
{
    return reg ? reg->n_units : 0;
}

const gbp_descriptor_t *gb_unit_registry_get(const gb_unit_registry_t *reg, int i)
{
    if (!reg || i < 0 || i >= reg->n_units)
        return NULL;
    return reg->units[i].desc;
}

const gbp_param_info_t *gb_unit_param_by_name(const gbp_descriptor_t *d, const char *name)
{
    if (!d || !name)
        return NULL;
    for (uint32_t i = 0; i < d->n_params; i++)
        if (strcmp(d->params[i].name, name) == 0)
            return &d->params[i];
    return NULL;
}

const gbp_param_info_t *gb_unit_param_by_id(const gbp_descriptor_t *d, uint32_t id)
{
    if (!d)
        return NULL;
    for (uint32_t i = 0; i < d->n_params; i++)
        if (d->params[i].id == id)
            return &d->params[i];
    return NULL;
}

/* ---------------------------------------------------------------- plugin files */

/* dlerror() usually starts with the file name; drop it, the message names the file already. */
static const char *strip_path(const char *msg, const char *path)
{
    size_t n = strlen(path);
    if (msg && strncmp(msg, path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
        return msg + n + 2;
    return msg ? msg : "unknown dlopen error";
}

/* Check every descriptor the entry point returns; register nothing unless all pass. */
static int check_exports(gb_unit_registry_t *reg, gbp_entry_fn entry, const char *path,
                         const gbp_descriptor_t **out, int *n_out, gb_error_t *err)
{
    int n = 0;
    for (;; n++) {
        const gbp_descriptor_t *d = entry((uint32_t)n);
        if (!d)
            break;
        if (n == GB_UNITS_MAX_PER_PLUGIN)
            return gb_error_set(err, GB_EFORMAT,
                                "%s: more than %d descriptors (does gbac_plugin_entry return "
                                "NULL after the last?)",
                                path, GB_UNITS_MAX_PER_PLUGIN);
        char origin[PATH_MAX + 32];
        if (n == 0)
            snprintf(origin, sizeof origin, "%s", path);
        else
            snprintf(origin, sizeof origin, "%s (descriptor %d)", path, n);
        int rc = gb_unit_check_descriptor(d, origin, err);
        if (rc < 0)
            return rc;
        const gb_unit_entry_t *e = find_entry(reg, d->id);
        if (e)
            return gb_error_set(err, GB_EFORMAT,
                                "%s: duplicate id '%s' (already registered from %s)", origin,
                                d->id, entry_origin(reg, e));
        for (int j = 0; j < n; j++)
            if (strcmp(out[j]->id, d->id) == 0)
                return gb_error_set(err, GB_EFORMAT,
                                    "%s: duplicate id '%s' (descriptor %d of the same file)",
                                    origin, d->id, j);
        out[n] = d;
    }
    if (n == 0)
        return gb_error_set(err, GB_EFORMAT,
                            "%s: gbac_plugin_entry(0) returned NULL: the plugin exports no units",
                            path);
    *n_out = n;
    return GB_OK;
}

int gb_unit_registry_load_file(gb_unit_registry_t *reg, const char *path, gb_error_t *err)
{
    if (!reg || !path || !path[0])
        return gb_error_set(err, GB_EINVAL, "plugin: no file given");
    /* A name without '/' would make dlopen() search the system library path: plugins load
     * only from the folders the user named, so always hand it a path. */
    char local[PATH_MAX];
    const char *open_path = path;
    if (!strchr(path, '/')) {
        if ((size_t)snprintf(local, sizeof local, "./%s", path) >= sizeof local)
            return gb_error_set(err, GB_EINVAL, "%s: path too long", path);
        open_path = local;
    }
    struct stat sb;
    if (stat(open_path, &sb) != 0)
        return gb_error_set(err, GB_EIO, "%s: cannot load: %s", path, strerror(errno));
    for (int i = 0; i < reg->n_libs; i++)
        if (reg->libs[i].dev == sb.st_dev && reg->libs[i].ino == sb.st_ino)
            return GB_OK; /* the same file through another folder entry: already registered */

    if (reg->n_libs == reg->cap_libs) {
        int cap = reg->cap_libs ? 2 * reg->cap_libs : 4;
        gb_plugin_lib_t *l = realloc(reg->libs, (size_t)cap * sizeof *l);
        if (!l)
            return gb_error_set(err, GB_ENOMEM, "%s: out of memory", path);
        reg->libs = l;
        reg->cap_libs = cap;
    }
    char *path_copy = strdup(path);
    if (!path_copy)
        return gb_error_set(err, GB_ENOMEM, "%s: out of memory", path);

    int rc;
    void *handle = dlopen(open_path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        rc = gb_error_set(err, GB_EIO, "%s: cannot load: %s", path,
                          strip_path(dlerror(), open_path));
        free(path_copy);
        return rc;
    }
    gbp_entry_fn entry = NULL;
    void *sym = dlsym(handle, GBP_ENTRY_SYMBOL);
    /* ISO C has no conversion from object to function pointer; POSIX guarantees that the
     * representations agree, so copy the bits. */
    memcpy(&entry, &sym, sizeof entry);
    if (!entry) {
        rc = gb_error_set(err, GB_EFORMAT, "%s: no %s symbol (is it a gbac plugin?)", path,
                          GBP_ENTRY_SYMBOL);
        goto refuse;
    }
    const gbp_descriptor_t *found[GB_UNITS_MAX_PER_PLUGIN];
    int n = 0;
    if ((rc = check_exports(reg, entry, path, found, &n, err)) < 0)
        goto refuse;
    int lib = reg->n_libs;
    int n_before = reg->n_units;
    for (int i = 0; i < n; i++)
        if (add_unit(reg, found[i], lib) < 0) {
            reg->n_units = n_before;
            rc = gb_error_set(err, GB_ENOMEM, "%s: out of memory", path);
            goto refuse;
        }
    reg->libs[lib].handle = handle;
    reg->libs[lib].path = path_copy;
    reg->libs[lib].dev = sb.st_dev;
    reg->libs[lib].ino = sb.st_ino;
    reg->n_libs++;
    return GB_OK;
refuse:
    dlclose(handle);
    free(path_copy);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_so_suffix(const char *name)
{
    size_t n = strlen(name);
    return n > 3 && strcmp(name + n - 3, ".so") == 0;
}

int gb_unit_registry_load_dir(gb_unit_registry_t *reg, const char *dir, gb_error_t *err)
{
    if (!reg || !dir || !dir[0])
        return gb_error_set(err, GB_EINVAL, "plugin folder: none given");
    DIR *dp = opendir(dir);
    if (!dp)
        return gb_error_set(err, GB_EIO, "%s: cannot open plugin folder: %s", dir,
                            strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = GB_OK;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        if (e->d_name[0] == '.' || !has_so_suffix(e->d_name))
            continue;
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 16;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn) {
                rc = gb_error_set(err, GB_ENOMEM, "%s: out of memory", dir);
                break;
            }
            names = nn;
            cap = nc;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        if (!(names[n] = malloc(len))) {
            rc = gb_error_set(err, GB_ENOMEM, "%s: out of memory", dir);
            break;
        }
        int slash = dir[strlen(dir) - 1] == '/';
        snprintf(names[n++], len, "%s%s%s", dir, slash ? "" : "/", e->d_name);
    }
    closedir(dp);
    if (rc == GB_OK && n > 0)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (rc == GB_OK && stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode))
            rc = gb_unit_registry_load_file(reg, names[i], err);
        free(names[i]);
    }
    free(names);
    return rc;
}

int gb_unit_registry_load_path(gb_unit_registry_t *reg, const char *pathlist, gb_error_t *err)
{
    if (!reg)
        return gb_error_set(err, GB_EINVAL, "plugin path: no registry");
    if (!pathlist)
        return GB_OK;
    const char *s = pathlist;
    while (*s) {
        const char *end = strchr(s, ':');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        /* An empty entry means "no folder", not the current directory (unlike $PATH). */
        if (len > 0) {
            char dir[PATH_MAX];
            if (len >= sizeof dir)
                return gb_error_set(err, GB_EINVAL, "GBAC_PLUGIN_PATH: an entry is too long");
            memcpy(dir, s, len);
            dir[len] = '\0';
            /* Missing folders are skipped, as for LV2_PATH: a search path in a shell profile
             * often names folders that exist on some machines only. */
            struct stat sb;
            if (stat(dir, &sb) == 0 || errno != ENOENT) {
                int rc = gb_unit_registry_load_dir(reg, dir, err);
                if (rc < 0)
                    return rc;
            }
        }
        if (!end)
            break;
        s = end + 1;
    }
    return GB_OK;
}

gb_unit_registry_t *gb_unit_registry_open(const char *const *dirs, int n_dirs, gb_error_t *err)
{
    gb_unit_registry_t *reg = gb_unit_registry_new(err);
    if (!reg)
        return NULL;
    int rc = 0;
    for (int i = 0; rc >= 0 && i < n_dirs; i++)
        rc = gb_unit_registry_load_dir(reg, dirs[i], err);
    if (rc >= 0)
        rc = gb_unit_registry_load_path(reg, getenv("GBAC_PLUGIN_PATH"), err);
    /* The installed plugin folder next to the binary (PREFIX/lib/gbac/plugins); skipped,
     * like the path's entries, when it does not exist. */
    char own[PATH_MAX];
    if (rc >= 0 && gb_share_plugin_dir(own, sizeof own) == 0)
        rc = gb_unit_registry_load_path(reg, own, err);
    if (rc < 0) {
        gb_unit_registry_free(reg);
        return NULL;
    }
    return reg;
}
