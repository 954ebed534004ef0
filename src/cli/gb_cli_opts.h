/* gb_cli_opts.h — one table per command: its options, subcommands and texts. The table
 * drives the parser (getopt_long: `--opt V`, `--opt=V`, short options), the value checks
 * (number ranges written once), `--help` (usage line and option list) and the man page.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A command is a gb_cmd_t: either a group (subs: `gbac train timbre|melody`) or a leaf with
 * options and a run function. A leaf's options write into its own arguments struct (args_size
 * bytes, filled with defaults by init), each at the offset the table names, so the table can
 * be a static constant that --help and the man page read without running the command.
 *
 * Help texts are plain paragraphs (the generator wraps them). In option help texts
 * "{default}" stands for the option's default (read from the init'ed struct), "{range}" for
 * "LO..HI" and "{max}" for how often a repeatable option may be given. In descriptions a
 * paragraph (text between blank lines) that starts with a space is printed as written.
 *
 * Messages (to stderr, exit status 2):
 *   gbac CMD: unknown option '--bogus' (see `gbac CMD --help`)
 *   gbac CMD: --title needs a value
 *   gbac CMD: bad value 'ogg' for --record-format: expected wav or flac
 *   gbac CMD: missing --data DS
 */
#ifndef GB_CLI_OPTS_H
#define GB_CLI_OPTS_H

#include <stddef.h>
#include <stdio.h>

#define GB_EXIT_OK 0
#define GB_EXIT_FAIL 1
#define GB_EXIT_USAGE 2

typedef enum gb_opt_kind {
    GB_OPT_FLAG,   /* int field = .set (1 when .set is 0); no value */
    GB_OPT_STRING, /* const char * field */
    GB_OPT_INT,    /* int field, a whole number in lo..hi */
    GB_OPT_U32,    /* uint32_t field, a whole number in lo..hi (lo >= 0) */
    GB_OPT_DOUBLE, /* double field, a number in lo..hi */
    GB_OPT_FLOAT,  /* float field, a number in lo..hi */
    GB_OPT_CHOICE, /* int field = the value of the named choice */
    GB_OPT_APPEND, /* const char *field[max], count in the int at count_off; repeatable */
    GB_OPT_CUSTOM, /* parse(value, field): 0 or -1 */
} gb_opt_kind_t;

enum {
    GB_OPT_REQUIRED = 1 << 0, /* must be given; shown in the usage line without brackets */
    GB_OPT_USAGE = 1 << 1,    /* shown in the usage line, in brackets */
    GB_OPT_NONEMPTY = 1 << 2, /* an empty string is a bad value */
};

typedef struct gb_opt_choice {
    const char *name;
    int value;
} gb_opt_choice_t;

typedef struct gb_opt {
    const char *name;  /* long name without the dashes: "output" */
    char short_name;   /* 'o', or 0 */
    const char *arg;   /* the value's name in help texts: "FILE"; NULL for flags */
    gb_opt_kind_t kind;
    size_t off;        /* the field in the command's args struct */
    const char *help;  /* one paragraph ({default}, {range}, {max} expanded) */
    double lo, hi;     /* number range */
    const char *what;  /* what a value is, for messages: "a file name", "a number of
                          milliseconds" (a range follows numbers); NULL: generic */
    int set;           /* FLAG: the value stored (0 means 1) */
    const gb_opt_choice_t *choices; /* CHOICE: ends with {NULL, 0} */
    int max;           /* APPEND: at most this many */
    size_t count_off;  /* APPEND: the int that counts them */
    int (*parse)(const char *value, void *field); /* CUSTOM */
    unsigned flags;    /* GB_OPT_REQUIRED, GB_OPT_USAGE, GB_OPT_NONEMPTY */
} gb_opt_t;

struct gb_cmd;

/** What a command's run function gets besides its args struct. */
typedef struct gb_cli_call {
    const struct gb_cmd *cmd;
    const char *prog;          /* "gbac train timbre": the prefix of every message */
    int n_pos;                 /* positional arguments, in order */
    char **pos;
    const unsigned char *given; /* given[i]: cmd->opts[i] was on the command line */
    const char *command_line;  /* "gbac train timbre --data ..." as typed (for model cards) */
} gb_cli_call_t;

typedef struct gb_cmd {
    const char *name;        /* "render"; under a group the subcommand: "timbre" */
    const char *summary;     /* one line for the parent's list */
    const char *usage;       /* usage lines after "Usage: " (NULL: generated) */
    const char *positional;  /* positional arguments in the usage line: "FILE...", or NULL */
    int min_pos, max_pos;    /* how many positional arguments (max -1: any number) */
    const char *description; /* paragraphs before the options */
    const char *epilogue;    /* paragraphs after the options */
    const gb_opt_t *opts;
    size_t n_opts;
    size_t args_size;
    void (*init)(void *args); /* defaults into a zeroed args struct, or NULL */
    int (*run)(void *args, const gb_cli_call_t *call); /* returns the exit status */
    const struct gb_cmd *const *subs; /* a group's subcommands, NULL-terminated */
} gb_cmd_t;

#define GB_N_OPTS(a) (sizeof(a) / sizeof((a)[0]))

/* The rest of a leaf command's gb_cmd_t: its option table, arguments struct and functions. */
#define GB_CLI_LEAF(opts_, args_type, init_, run_)                                           \
    .opts = opts_, .n_opts = GB_N_OPTS(opts_), .args_size = sizeof(args_type), .init = init_, \
    .run = run_

/* A group's subcommands: GB_CLI_SUBS(&a, &b) in its gb_cmd_t. */
#define GB_CLI_SUBS(...) .subs = (const struct gb_cmd *const[]){__VA_ARGS__, NULL}

/* A numeric constant in a help text: "at most " GB_CLI_STR(GB_TIMBRE_MAX_FRAMES) " frames". */
#define GB_CLI_STR(x) GB_CLI_STR_(x)
#define GB_CLI_STR_(x) #x

/** Run cmd with argv[0] its name ("render") under the prefix parent ("gbac"): dispatch to a
 *  subcommand or parse the options and call run. Returns the exit status. [main] */
int gb_cli_run(const gb_cmd_t *cmd, const char *parent, int argc, char **argv);

/** Print cmd's --help (prog: "gbac render"). [main] */
void gb_cli_help(const gb_cmd_t *cmd, const char *prog, FILE *f);

/** Print the man page of root (prog "gbac") and every command under it, in roff. [main] */
void gb_cli_man(const gb_cmd_t *root, const char *version, FILE *f);

/** Print "PROG: <message> (see `PROG --help`)" on stderr; returns GB_EXIT_USAGE. [main] */
int gb_cli_usage_error(const gb_cli_call_t *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** Whether the option with long name `name` was on the command line. [main] */
int gb_cli_given(const gb_cli_call_t *call, const char *name);

/** Parse a whole decimal integer in lo..hi into *out. Returns 0, or -1 (nothing written) on
 *  anything else: empty, trailing characters, overflow, out of range. [any] */
int gb_parse_int(const char *s, long lo, long hi, int *out);

/** Parse a finite number in lo..hi into *out; 0 or -1. [any] */
int gb_parse_double(const char *s, double lo, double hi, double *out);

/* Internal to the cli folder: the help text generator's pieces the man page shares. */

/** The usage line of a leaf (without "Usage: " and the prog). [main] */
void gb_cli_usage_line(const gb_cmd_t *cmd, char *buf, size_t cap);

/** The left column of an option's help line: "-o, --output OUT". [main] */
void gb_cli_opt_label(const gb_opt_t *o, char *buf, size_t cap);

/** An option's help text with {default}, {range} and {max} expanded (defaults: an args
 *  struct after init, or NULL). [main] */
void gb_cli_opt_help(const gb_opt_t *o, const void *defaults, char *buf, size_t cap);

/** A fresh args struct of cmd with its defaults (free() it), or NULL. [main] */
void *gb_cli_defaults(const gb_cmd_t *cmd);

#endif
