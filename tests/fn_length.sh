#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Functions under ~80 lines: list every function in src/ and models/ longer than 80 lines and
# fail on one that tests/long-functions.txt does not allow (each entry gives its reason), and
# on an entry that is no longer needed (the function was split: take it off the list).
# Usage: fn_length.sh SOURCE_DIR
set -u
SRC=${1:?usage: fn_length.sh SOURCE_DIR}
MAX=80
ALLOW=tests/long-functions.txt
cd "$SRC" || exit 1
found=$(find src models \( -name '*.c' -o -name '*.inc' -o -name '*.h' \) | LC_ALL=C sort |
        xargs awk -v MAX=$MAX -f tests/fn_length.awk)
fail=0
while read -r n file fn; do
    [ -n "$n" ] || continue
    if grep -Eq "^$file $fn [^ ]" "$ALLOW"; then
        echo "allowed: $file $fn ($n lines)"
    else
        echo "FAIL: $file: $fn is $n lines (more than $MAX): split it, or add it to $ALLOW" \
             "with the reason"
        fail=1
    fi
done <<END
$found
END
while read -r file fn reason; do
    case $file in '' | '#'*) continue ;; esac
    if [ -z "$reason" ]; then
        echo "FAIL: $ALLOW: $file $fn has no reason"
        fail=1
    elif ! printf '%s\n' "$found" | grep -Eq " $file $fn\$"; then
        echo "FAIL: $ALLOW: $file $fn is no longer over $MAX lines (or is gone): take it off" \
             "the list"
        fail=1
    fi
done <"$ALLOW"
echo "fn_length: $(printf '%s\n' "$found" | grep -c .) functions over $MAX lines in src/ and" \
     "models/, $(grep -Evc '^(#|$)' "$ALLOW") allowed"
exit $fail
