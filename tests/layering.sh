#!/usr/bin/env bash
# layering.sh LAYERS — fail on an include that runs up between gbac's folders.
# LAYERS (written by tests/layering.cmake) has one line per folder library:
#   TARGET DIR LINK...
# A source in DIR may include a header of its own folder or of a folder whose library TARGET
# reaches through its links; a header found in any other registered folder is a wrong-way
# include, reported with file, line and both folders. Headers from outside (system, generated)
# are not checked.
# SPDX-License-Identifier: GPL-3.0-or-later
set -u
layers=${1:?usage: layering.sh LAYERS}
declare -A dir_of links_of owner
while read -r tgt dir rest; do
  [ -n "$tgt" ] || continue
  dir_of[$tgt]=$dir
  links_of[$tgt]=$rest
  for h in "$dir"/*.h "$dir"/*.inc; do
    [ -e "$h" ] && owner[$(basename "$h")]=$tgt
  done
done < "$layers"

# reach TARGET: every folder library TARGET links, directly or through others
reach() {
  local -A seen=()
  local todo=("$1") t l
  while ((${#todo[@]})); do
    t=${todo[0]}
    todo=("${todo[@]:1}")
    for l in ${links_of[$t]:-}; do
      [ -n "${dir_of[$l]:-}" ] && [ -z "${seen[$l]:-}" ] && { seen[$l]=1; todo+=("$l"); }
    done
  done
  echo "${!seen[@]}"
}

bad=0 checked=0
for tgt in "${!dir_of[@]}"; do
  dir=${dir_of[$tgt]}
  allowed=" $tgt $(reach "$tgt") "
  for f in "$dir"/*.c "$dir"/*.h "$dir"/*.inc; do
    [ -e "$f" ] || continue
    while IFS=: read -r line inc; do
      checked=$((checked + 1))
      o=${owner[$inc]:-}
      [ -n "$o" ] || continue
      case "$allowed" in
        *" $o "*) ;;
        *) echo "$f:$line: includes \"$inc\" from ${dir_of[$o]} ($o), a folder above $tgt" \
                "(it links: ${links_of[$tgt]:-nothing})"
           bad=$((bad + 1)) ;;
      esac
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
             sed -E 's/^([0-9]+):[^"]*"([^"]*)".*/\1:\2/')
  done
done
echo "layering: ${#dir_of[@]} folders, $checked includes checked, $bad running the wrong way"
[ "$bad" -eq 0 ]
