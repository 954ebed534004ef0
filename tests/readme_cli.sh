#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The README's "Commands" table and the binary agree: every command and option the table
# shows exists in that command's --help (generated from its option table), and every command
# and subcommand of the binary has a row.
# Usage: readme_cli.sh GBAC README.md
set -u
GBAC=$1
README=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# The table's rows: lines of the "## Commands" section that start with "| `gbac".
awk '/^## /{ on = ($0 == "## Commands") } on && /^\| `gbac/' "$README" >"$TMP/rows"
[ -s "$TMP/rows" ] || { echo "FAIL: no Commands table in $README"; exit 1; }
# First cell of each row (escaped pipes "\|" stay inside it), its code spans one per line.
sed -e 's/^| //' -e 's/ | .*//' "$TMP/rows" | grep -o '`gbac [^`]*`' | tr -d '`' |
    sed 's/\\|/|/g' >"$TMP/spans"

# Options a --help text lists: "-o" and "--output" of "  -o, --output OUT", "--preset" of
# "      --preset P" (wrapped help text is indented further).
options_of() {
    grep -E '^(  -[A-Za-z], |      )--[a-z]' | sed -E 's/^ +//' | tr ',' ' ' |
        awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^-/) print $i; else break }'
}
# Subcommands a group's --help lists (empty for a leaf command).
subs_of() {
    awk '/^Subcommands:/{ on = 1; next } on && /^$/ { on = 0 } on && /^  [^ ]/ { print $1 }'
}

"$GBAC" --help >"$TMP/root" || bad "gbac --help exited $?"
awk '/^Commands:/{ on = 1; next } on && /^$/ { on = 0 } on && /^  [^ ]/ { print $1 }' \
    "$TMP/root" >"$TMP/commands"
[ "$(wc -l <"$TMP/commands")" -ge 10 ] || bad "gbac --help lists only $(wc -l <"$TMP/commands") commands"

checked=0
while read -r line; do
    set -- $line
    cmd=${2:-}
    case $cmd in
    --help | --version)
        grep -q -- "$cmd" "$TMP/root" || bad "'gbac $cmd' is not in gbac --help"
        continue ;;
    esac
    grep -qx -- "$cmd" "$TMP/commands" || { bad "README: 'gbac $cmd' is not a command"; continue; }
    "$GBAC" "$cmd" --help >"$TMP/help" 2>&1 || bad "gbac $cmd --help exited $?"
    shift 2
    if [ -n "$(subs_of <"$TMP/help")" ]; then
        sub=${1:-}
        subs_of <"$TMP/help" | grep -qx -- "$sub" ||
            { bad "README: 'gbac $cmd $sub' is not a subcommand"; continue; }
        "$GBAC" "$cmd" "$sub" --help >"$TMP/help" 2>&1 || bad "gbac $cmd $sub --help exited $?"
        cmd="$cmd $sub"
        shift
    fi
    options_of <"$TMP/help" >"$TMP/opts"
    for w in "$@"; do
        o=$(printf '%s\n' "$w" | sed -E 's/^\[+//; s/[]]+(\.\.\.)?$//; s/=.*//')
        case $o in
        -[A-Za-z] | --[a-z]*)
            checked=$((checked + 1))
            grep -qx -- "$o" "$TMP/opts" || bad "README: 'gbac $cmd' has no option $o" ;;
        esac
    done
done <"$TMP/spans"

# Every command and subcommand of the binary has a row.
while read -r cmd; do
    "$GBAC" "$cmd" --help >"$TMP/help" 2>&1
    subs=$(subs_of <"$TMP/help")
    if [ -z "$subs" ]; then
        grep -q -- "^gbac $cmd\( \|$\)" "$TMP/spans" || bad "README: no row for 'gbac $cmd'"
    fi
    for s in $subs; do
        grep -q -- "^gbac $cmd $s\( \|$\)" "$TMP/spans" || bad "README: no row for 'gbac $cmd $s'"
    done
done <"$TMP/commands"

echo "readme_cli: $(wc -l <"$TMP/spans") commands in the README, $checked options checked"
exit $fail
