#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# lv2_validate.sh BUNDLE [DOC] — every .ttl of the bundle through lv2_validate (the installed
# LV2 schemas, sord_validate): 0 errors and no warning; the bundle has its manifest and one
# .ttl per plugin it names; DOC (docs/lv2-plugin.md) has a table row for each of its plugins, and
# none for a plugin it does not have.
set -u
b=${1:?usage: lv2_validate.sh BUNDLE [DOC]}
doc=${2:-}
shopt -s nullglob
ttls=("$b"/*.ttl)
[ -f "$b/manifest.ttl" ] || { echo "FAIL: no $b/manifest.ttl"; exit 1; }
n_plugins=$(grep -c 'a lv2:Plugin ;' "$b/manifest.ttl")
[ "${#ttls[@]}" -eq $((n_plugins + 1)) ] ||
  { echo "FAIL: ${#ttls[@]} .ttl files for $n_plugins plugins"; exit 1; }
out=$(lv2_validate "${ttls[@]}" 2>&1)
st=$?
echo "$out" | grep -v '^Skipping file /usr/lib/lv2/'
[ "$st" -eq 0 ] || { echo "FAIL: lv2_validate exited $st"; exit 1; }
echo "$out" | grep -q '^Found 0 errors among' || { echo "FAIL: errors reported"; exit 1; }
if echo "$out" | grep -qi 'warn'; then echo "FAIL: warnings reported"; exit 1; fi
if [ -n "$doc" ]; then
  in_bundle=$(sed -n 's/^<\(urn:gbac:[^>]*\)>$/\1/p' "$b/manifest.ttl" | sort)
  in_doc=$(sed -n 's/^| `\(urn:gbac:[^`]*\)` |.*/\1/p' "$doc" | sort)
  [ -n "$in_bundle" ] && [ "$in_bundle" = "$in_doc" ] ||
    { echo "FAIL: plugins in $b: $in_bundle; in $doc: $in_doc"; exit 1; }
fi
echo "lv2_validate: ${#ttls[@]} files of $n_plugins plugins, 0 errors, 0 warnings"
