#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `gbac model info` on the sample files written by `test_modelfile --write-samples DIR`:
# exit statuses, the card and layer table of a good file, the error line of bad ones;
# `gbac model convert` to BF16 weights and back.
# Usage: modelfile_cli.sh GBAC DIR
set -u
GBAC=$1
DIR=$2
OUT=$DIR/cli.out
ERR=$DIR/cli.err
failures=0

fail() {
    echo "FAIL: $*" >&2
    echo "--- stdout:" >&2; cat "$OUT" >&2
    echo "--- stderr:" >&2; cat "$ERR" >&2
    failures=$((failures + 1))
}

# run EXPECTED_STATUS ARGS... — run gbac, check the exit status.
run() {
    want=$1
    shift
    "$GBAC" "$@" >"$OUT" 2>"$ERR"
    got=$?
    [ "$got" -eq "$want" ] || fail "gbac $* exited $got, expected $want"
}

has() { # has FILE TEXT
    grep -qF -- "$2" "$1" || fail "expected '$2' in $(basename "$1")"
}

# A good file: the card, the layer table, the total.
run 0 model info "$DIR/good.safetensors"
has "$OUT" "Kind:      test-model"
has "$OUT" "Data:      synthetic test data (licence: GPL-3.0-or-later)"
has "$OUT" "Counts:    tunes=12, bars=96"
has "$OUT" "Seed:      1234"
has "$OUT" "Command:   test_modelfile"
has "$OUT" "Metrics:   loss=0.25, accuracy=0.5"
has "$OUT" 'Features:  {"frame":16,"names":["pitch","loudness"]}'
has "$OUT" "notes: free-form keys are kept"
has "$OUT" "Input:     3 features per frame, max batch 2"
# index type in out kernel dilation activation params
grep -Eq '^ +0 +dense +3 +4 +- +- +relu +16 +f32$' "$OUT" || fail "dense row"
grep -Eq '^ +1 +gru +4 +2 +- +- +- +48 +f32$' "$OUT" || fail "gru row"
grep -Eq '^ +2 +conv1d +2 +2 +2 +2 +tanh +10 +f32$' "$OUT" || fail "conv1d row"
grep -Eq '^ +3 +activation +2 +2 +- +- +leaky_relu\(0.1\) +0 +-$' "$OUT" || fail "activation row"
has "$OUT" "Total parameters: 74"
[ -s "$ERR" ] && fail "stderr not empty for a good file"

run 0 model info --json "$DIR/good.safetensors"
has "$OUT" '"kind": "test-model"'
has "$OUT" '"total_params": 74'
has "$OUT" '"type": "conv1d"'

# Bad files: status 1 and "gbac: FILE: what" on stderr, nothing on stdout.
for f in "$DIR"/bad-*.safetensors; do
    run 1 model info "$f"
    head -n 1 "$ERR" | grep -qF -- "gbac: $f: " || fail "error line of $f"
    [ -s "$OUT" ] && fail "stdout not empty for $f"
done
run 1 model info "$DIR/bad-nan-weight.safetensors"
has "$ERR" "tensor 'layers.1.bias_hh': element 3 is NaN"
run 1 model info "$DIR/bad-dtype-f16.safetensors"
has "$ERR" "dtype F16; only F32 and BF16 are supported"
run 1 model info "$DIR/no-such-file.safetensors"
has "$ERR" "gbac: $DIR/no-such-file.safetensors: cannot open"

# Convert: BF16 weight matrices (4 in this model), F32 biases (4), the card says so; and back.
B16=$DIR/cli-bf16.safetensors
run 0 model convert "$DIR/good.safetensors" -o "$B16" --weights bf16
n16=$(head -c 4096 "$B16" | grep -ao '"dtype":"BF16"' | wc -l)
[ "$n16" -eq 4 ] || fail "expected 4 BF16 tensors in $B16, found $n16"
n32=$(head -c 4096 "$B16" | grep -ao '"dtype":"F32"' | wc -l)
[ "$n32" -eq 4 ] || fail "expected 4 F32 (bias) tensors in $B16, found $n32"
run 0 model info "$B16"
grep -Eq '^ +1 +gru +4 +2 +- +- +- +48 +bf16$' "$OUT" || fail "bf16 gru row"
has "$OUT" "weights: bf16"
run 0 model info --json "$B16"
has "$OUT" '"weights": "bf16"'
run 0 model convert "$B16" -o "$B16" --weights f32
run 0 model info "$B16"
grep -Eq '^ +0 +dense +3 +4 +- +- +relu +16 +f32$' "$OUT" || fail "dense row back to f32"
run 2 model convert "$DIR/good.safetensors" -o "$B16" --weights f16
has "$ERR" "bad value 'f16' for --weights: expected bf16 or f32"
run 2 model convert "$DIR/good.safetensors" --weights bf16
has "$ERR" "missing -o OUT"
run 1 model convert "$DIR/no-such-file.safetensors" -o "$B16" --weights bf16
has "$ERR" "gbac: $DIR/no-such-file.safetensors: cannot open"
run 1 model convert "$DIR/bad-nan-weight.safetensors" -o "$B16" --weights bf16
has "$ERR" "element 3 is NaN"
run 0 model convert --help
has "$OUT" "Usage: gbac model convert -o OUT --weights TYPE IN"

# Usage.
run 0 model --help
has "$OUT" "Usage: gbac model info [--json] FILE"
run 0 model info --help
run 2 model
run 2 model info
run 2 model info --bogus "$DIR/good.safetensors"
run 2 model info "$DIR/good.safetensors" "$DIR/good.safetensors"
run 2 model frobnicate
has "$ERR" "unknown subcommand 'frobnicate'"

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "modelfile_cli: all checks passed"
