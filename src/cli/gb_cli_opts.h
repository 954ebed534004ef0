/* gb_cli_opts.h — option parsing shared by the commands.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_CLI_OPTS_H
#define GB_CLI_OPTS_H

/** The value of option `name` at argv[*i] ("--name V" or "--name=V"), advancing *i past a
 *  separate value; NULL if argv[*i] is not that option. When the value is missing, *missing
 *  is set and argv[*i] itself is returned. [main] */
const char *gb_opt_value(int argc, char **argv, int *i, const char *name, int *missing);

/** Parse a whole decimal integer in lo..hi into *out. Returns 0, or -1 (nothing written) on
 *  anything else: empty, trailing characters, overflow, out of range. [any] */
int gb_parse_int(const char *s, long lo, long hi, int *out);

/** Parse a whole number in lo..hi (finite; NaN never in range) into *out; 0 or -1. [any] */
int gb_parse_double(const char *s, double lo, double hi, double *out);

#endif
