#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# gbac.1 (written at build time by `gbac --man`) is what the binary prints now, formats with
# groff without a single warning, and documents every command and every option of every
# command's --help.
# Usage: man_page.sh BUILD/gbac.1 GBAC
set -u
PAGE=$1
GBAC=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

"$GBAC" --man >"$TMP/now.1" || bad "gbac --man exited $?"
cmp -s "$PAGE" "$TMP/now.1" || bad "$PAGE differs from \`gbac --man\` (stale build step?)"
groff -man -Tutf8 -ww -z "$PAGE" 2>"$TMP/warn"
[ $? -eq 0 ] || bad "groff failed"
[ -s "$TMP/warn" ] && { bad "groff warnings:"; cat "$TMP/warn"; }
groff -man -Tutf8 "$PAGE" 2>/dev/null | sed 's/.\x08//g' >"$TMP/text"
for s in NAME SYNOPSIS DESCRIPTION COMMANDS ENVIRONMENT; do
    grep -q "^$s" "$TMP/text" || bad "no $s section"
done
# Every leaf command ("gbac train timbre") has its subsection, with every option its --help
# lists.
leaves() { # the leaf commands under "gbac $1", one a line
    "$GBAC" $1 --help | awk '/^(Sub)?[Cc]ommands:/{ on = 1; next } on && /^$/ { on = 0 }
                             on && /^  [^ ]/ { print $1 }' >"$TMP/subs.$$"
    if [ ! -s "$TMP/subs.$$" ]; then echo "$1"; return; fi
    while read -r s; do echo "$1 $s"; done <"$TMP/subs.$$"
}
n=0
for c in $("$GBAC" --help | awk '/^Commands:/{ on = 1; next } on && /^$/ { on = 0 }
                                 on && /^  [^ ]/ { print $1 }'); do
    leaves "$c" >"$TMP/leaves"
    while read -r leaf; do
        n=$((n + 1))
        grep -q "^   gbac $leaf\$" "$TMP/text" || bad "no subsection 'gbac $leaf'"
        "$GBAC" $leaf --help | grep -E '^(  -[A-Za-z], |      )--[a-z]' |
            sed -E 's/^ +(-[A-Za-z], )?//; s/ .*//' >"$TMP/opts"
        while read -r o; do
            [ "$o" = --help ] && continue
            grep -q -- "$o" "$TMP/text" || bad "gbac $leaf: $o is not in the man page"
        done <"$TMP/opts"
    done <"$TMP/leaves"
done
echo "man_page: $n commands checked"
exit $fail
