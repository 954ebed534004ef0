#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `gbac train timbre` on the synthetic datasets test_train writes: a smoke run writes two model
# files that `gbac model info` accepts; bad data and outputs exit 1 naming the problem; usage
# errors exit 2.
set -u
GBAC=$1
DIR=$2
OUT=$DIR/out
fail=0
check() { # expected-status description command...
    want=$1; what=$2; shift 2
    "$@" >"$DIR/stdout" 2>"$DIR/stderr"
    got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: $what: exit $got, expected $want"; cat "$DIR/stderr"; fail=1
    else
        echo "ok: $what"
    fi
}
mkdir -p "$OUT"
check 0 "smoke run" "$GBAC" train timbre --data "$DIR/good" --out "$OUT/t.safetensors" --smoke -q
[ -f "$OUT/t.safetensors" ] && [ -f "$OUT/t.safetensors.enc" ] && [ -f "$OUT/t.safetensors.ckpt" ] \
    || { echo "FAIL: model files missing"; fail=1; }
check 0 "decoder loads" "$GBAC" model info "$OUT/t.safetensors"
grep -q "timbre-vae-decoder" "$DIR/stdout" || { echo "FAIL: decoder kind"; fail=1; }
check 0 "encoder loads" "$GBAC" model info "$OUT/t.safetensors.enc"
grep -q "timbre-vae-encoder" "$DIR/stdout" || { echo "FAIL: encoder kind"; fail=1; }
cp "$OUT/t.safetensors" "$OUT/first"
check 0 "resume" "$GBAC" train timbre --data "$DIR/good" --out "$OUT/r.safetensors" --smoke -q \
    --epochs 5 --resume "$OUT/t.safetensors.ckpt"
check 1 "empty dataset" "$GBAC" train timbre --data "$DIR/empty" --out "$OUT/e.safetensors" -q
check 1 "frames.f32 not matching the manifest" "$GBAC" train timbre --data "$DIR/short" \
    --out "$OUT/s.safetensors" -q
grep -q "frames.f32" "$DIR/stderr" || { echo "FAIL: message does not name frames.f32"; fail=1; }
check 1 "unwritable output" "$GBAC" train timbre --data "$DIR/good" \
    --out /nonexistent-gbac-dir/x.safetensors -q
grep -q "/nonexistent-gbac-dir/x.safetensors" "$DIR/stderr" || { echo "FAIL: file not named"; fail=1; }
check 1 "missing dataset" "$GBAC" train timbre --data "$DIR/nope" --out "$OUT/n.safetensors" -q
check 1 "resume from a non-checkpoint" "$GBAC" train timbre --data "$DIR/good" \
    --out "$OUT/x.safetensors" -q --smoke --resume "$OUT/first"
check 2 "missing --out" "$GBAC" train timbre --data "$DIR/good"
check 2 "bad --epochs" "$GBAC" train timbre --data "$DIR/good" --out "$OUT/y" --epochs abc
check 2 "unknown option" "$GBAC" train timbre --data "$DIR/good" --out "$OUT/y" --bogus
check 2 "unknown model" "$GBAC" train melody
check 0 "help" "$GBAC" train --help
exit $fail
