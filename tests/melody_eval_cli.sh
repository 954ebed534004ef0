#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `gbac eval melody` on the shipped model and a dataset of 6 generated MIDI melodies: the JSON
# has its keys with values in range (the two-sample test and phrase form too), --roll writes a
# 1200x900 PNG, bad input exits 1 or 2; `gbac dataset melody` records --licence, warns about an
# empty split even with -q, and names the corpus it read.
# Usage: melody_eval_cli.sh GBAC SOURCE_DIR
set -u
gbac=$1
src=$2
model="$src/models/melody-gan.safetensors"
[ -r "$model" ] || { echo "SKIP: $model is missing"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkdir "$tmp/mid"
for s in 1 2 3 4 5 6; do
    "$gbac" generate melody --model "$model" --bars 10 --seed $s -q -o "$tmp/mid/m$s.mid" \
        2>"$tmp/gen.log" || fail "generate: $(cat "$tmp/gen.log")"
done
"$gbac" dataset melody -q -o "$tmp/ds" --from "$tmp/mid" --split 0.34,0,0.66 --seed 2 \
    --transpose 0..0 --licence "CC0 (generated)" 2>"$tmp/ds.log" ||
    fail "dataset: $(cat "$tmp/ds.log")"
grep -q "warning: the validation split is empty" "$tmp/ds.log" || fail "no empty-split warning"
grep -q '"licence": "CC0 (generated)"' "$tmp/ds/manifest.json" || fail "--licence not recorded"
"$gbac" dataset melody -q -o "$tmp/ds2" --from "$tmp/mid" --licence "" 2>"$tmp/e" ; [ $? -eq 2 ] ||
    fail "empty --licence: not 2"
out=$("$gbac" eval melody --model "$model" --data "$tmp/ds" --json --bars 4 \
    --roll "$tmp/roll.png") || fail "eval exited $?"
echo "$out"
for k in oa_pitch_class_hist oa_pitch_range oa_note_length_hist oa_avg_ioi copy_rate_generated \
         copy_rate_heldout scale_consistency pitch_class_entropy critic_generated c2st_accuracy \
         phrase_repeat phrase_repeat_heldout; do
    v=$(echo "$out" | sed -n "s/.*\"$k\": \([-0-9.e]*\).*/\1/p")
    [ -n "$v" ] || fail "key $k missing"
    case $k in
    critic_generated) ;;
    pitch_class_entropy) awk "BEGIN{exit !($v >= 0 && $v <= 3.585)}" || fail "$k=$v" ;;
    *) awk "BEGIN{exit !($v >= 0 && $v <= 1)}" || fail "$k=$v out of 0..1" ;;
    esac
done
# PNG: signature, then IHDR width and height (big-endian) at bytes 16..23
dims=$(od -An -tu1 -j16 -N8 "$tmp/roll.png" | tr -s ' ' | sed 's/^ //')
[ "$dims" = "0 0 4 176 0 0 3 132" ] || fail "roll.png size bytes '$dims', want 1200x900"

# table output
"$gbac" eval melody --model "$model" --data "$tmp/ds" --bars 2 >"$tmp/t.txt" ||
    fail "table run"
grep -q "scale consistency" "$tmp/t.txt" || fail "table lacks scale consistency"

# errors
"$gbac" eval melody --model "$model" 2>"$tmp/e" ; [ $? -eq 2 ] || fail "no --data: not 2"
grep -q -- "--data" "$tmp/e" || fail "no --data: message"
"$gbac" eval melody --data "$tmp/ds" --bars 0 2>"$tmp/e" ; [ $? -eq 2 ] || fail "--bars 0"
"$gbac" eval melody --data "$tmp/ds" --frobnicate 2>"$tmp/e" ; [ $? -eq 2 ] ||
    fail "unknown option"
"$gbac" eval melody --model "$model" --data "$tmp/nope" 2>"$tmp/e" ; [ $? -eq 1 ] ||
    fail "missing dataset: not 1"
[ -s "$tmp/e" ] || fail "missing dataset: no message"
"$gbac" eval melody --model "$tmp/nope.safetensors" --data "$tmp/ds" 2>"$tmp/e" ;
[ $? -eq 1 ] || fail "missing model: not 1"
"$gbac" eval melody --model "$model" --data "$tmp/ds" --roll "$tmp/no/dir/r.png" 2>"$tmp/e" ;
[ $? -eq 1 ] || fail "unwritable roll: not 1"
grep -q "r.png" "$tmp/e" || fail "unwritable roll: message"
echo "OK"
