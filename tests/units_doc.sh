#!/bin/sh
# units_doc.sh GBAC SOURCE_DIR — docs/units.md's parameter tables say what the units say.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# For every unit `gbac preset list --json` reports, the section "## <id> ..." of
# docs/units.md must hold one table row per parameter and no other:
#
#   | id | `name` | unit | MIN … MAX [(stepped)] | DEFAULT | SMOOTHING | what it does |
#
# with SMOOTHING "read-only" for a READONLY parameter, "—" for no smoothing, else "N ms ..."
# (numbers compared to 6 significant digits, "−" read as a minus). A section may take the
# rows of another unit's section with a line <!-- params also: OTHER.ID --> (the timbre VAE
# has the harmonic synth's parameters). Exit 1 with every difference printed.
set -eu
GBAC=$1
SRC=$2
DOC=$SRC/docs/units.md
TMP=${TMPDIR:-/tmp}/gbac-units-doc.$$
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT

GBAC_PLUGIN_PATH= "$GBAC" preset list --json --preset-dir "$SRC/presets" >"$TMP/list.json"

# What the units say: unit|id|name|unit|min|max|stepped|default|smoothing
jq -r '.units[] | .id as $u | .params[] |
  [$u, .id, .name, .unit, .min, .max, (if .stepped then "stepped" else "" end), .default,
   (if .read_only then "read-only" elif .smoothing_ms == 0 then "-" else .smoothing_ms end)]
  | map(tostring) | join("|")' "$TMP/list.json" |
  awk -F'|' 'function n(x) { return sprintf("%.6g", x + 0) }
    { s = ($9 == "read-only" || $9 == "-") ? $9 : n($9);
      print $1 "|" $2 "|" $3 "|" $4 "|" n($5) "|" n($6) "|" $7 "|" n($8) "|" s }' |
  sort >"$TMP/want"
jq -r '.units[].id' "$TMP/list.json" | sort >"$TMP/units"

# What the doc says, with rows shared through "params also" expanded.
awk -F'|' '
  function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
  function num(s) { gsub(/−/, "-", s); s = trim(s); return sprintf("%.6g", s + 0) }
  /^## / { unit = $0; sub(/^## /, "", unit); sub(/ .*/, "", unit)
           if (unit !~ /\./) unit = ""; next }   # only "## <unit id> ..." sections
  /^<!-- params also: / { also = $0; sub(/^<!-- params also: /, "", also);
                          sub(/ -->.*/, "", also); print "ALSO|" unit "|" also; next }
  unit != "" && /^\| *[0-9]+ *\|/ {
    id = trim($2); name = trim($3); gsub(/`/, "", name); u = trim($4)
    range = $5; stepped = (range ~ /\(stepped\)/) ? "stepped" : ""
    sub(/\(stepped\)/, "", range); split(range, mm, "…")
    sm = trim($7)
    if (sm == "read-only") s = "read-only"; else if (sm == "—") s = "-"; else s = num(sm)
    print "ROW|" unit "|" id "|" name "|" u "|" num(mm[1]) "|" num(mm[2]) "|" stepped "|" \
          num($6) "|" s
  }' "$DOC" >"$TMP/rows"
grep '^ROW|' "$TMP/rows" | cut -d'|' -f2- >"$TMP/own"
cp "$TMP/own" "$TMP/have.unsorted"
grep '^ALSO|' "$TMP/rows" | while IFS='|' read -r _ unit other; do
  grep "^$other|" "$TMP/own" | sed "s/^$other|/$unit|/" >>"$TMP/have.unsorted"
done
sort "$TMP/have.unsorted" >"$TMP/have"

fail=0
while read -r u; do
  grep -q "^## $u\( \|$\)" "$DOC" || { echo "FAIL: docs/units.md has no section '## $u'"; fail=1; }
done <"$TMP/units"
if ! diff -u "$TMP/want" "$TMP/have" >"$TMP/diff"; then
  echo "FAIL: docs/units.md's parameter tables differ from \`gbac preset list --json\`"
  echo "(- the units say, + the doc says; unit|id|name|unit|min|max|stepped|default|smoothing)"
  grep '^[-+][^-+]' "$TMP/diff"
  fail=1
fi
n=$(wc -l <"$TMP/want")
[ "$n" -gt 0 ] || { echo "FAIL: no parameters listed"; fail=1; }
[ "$fail" -eq 0 ] && echo "docs/units.md: $n parameter rows of $(wc -l <"$TMP/units") units agree with gbac preset list --json"
exit "$fail"
