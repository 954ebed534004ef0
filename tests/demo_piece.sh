#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `gbac demo` is the product in 35 s: the performer's four calls (examples/demo/calls.mid)
# answered by the shipped melody GAN, both through the timbre VAE whose latent moves. Checks,
# from the recorded session as a reader would: the performer's 32 notes, model notes in the
# two bars after every call and in its key (G major), a latent path that moves, the same bytes
# on a second run, and `gbac plot` of the session. Env: GBAC_BIN. Uses midicsv, jq, sha256sum.
set -u
GBAC=${GBAC_BIN:?GBAC_BIN not set}
WORK=$(mktemp -d /tmp/gbac-demo-piece-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
eq() { if [ "$2" = "$3" ]; then echo "ok: $1 = $3"; else fail "$1: got '$2', expected '$3'"; fi; }
ge() { if [ "${2:-0}" -ge "$3" ]; then echo "ok: $1 = $2 (>= $3)"; else fail "$1: got '$2', expected >= $3"; fi; }

cd "$WORK" || exit 1
"$GBAC" demo -o a.wav >/dev/null --record s1 --quiet 2>err1.txt
eq "demo --record exit status" $? 0
"$GBAC" demo -o b.wav >/dev/null --record s2 --quiet 2>err2.txt
eq "second demo exit status" $? 0
eq "deterministic WAV (sha256)" "$(sha256sum <a.wav | cut -c1-64)" "$(sha256sum <b.wav | cut -c1-64)"
eq "deterministic notes.mid (sha256)" "$(sha256sum <s1/notes.mid | cut -c1-64)" \
    "$(sha256sum <s2/notes.mid | cut -c1-64)"
P=s1/provenance.json
eq "performer notes" "$(jq .contributions.performer.notes "$P")" 32
eq "model slot" "$(jq -r '.contributions.models[0].slot' "$P")" melody
eq "models" "$(jq -c '[.models[].file] | sort' "$P")" \
    '["models/melody-gan.safetensors","models/timbre-vae.safetensors"]'

# The model's notes (every track but the performer's) as "bar pitch", bars of 4 quarters from 0.
midicsv s1/notes.mid >notes.csv || fail "midicsv"
ppq=$(awk -F', *' '$3 == "Header" { print $6 }' notes.csv)
ptrack=$(awk -F', *' '$3 == "Title_t" && $4 ~ /performer/ { print $1; exit }' notes.csv)
awk -F', *' -v q="$ppq" -v pt="$ptrack" '$3 == "Note_on_c" && $6 > 0 && $1 != pt {
    print int($2 / (4 * q)), $5 % 12 }' notes.csv >model.txt
ge "model notes in notes.mid" "$(wc -l <model.txt)" 8
eq "model notes = provenance" "$(wc -l <model.txt)" "$(jq '.contributions.models[0].notes' "$P")"
for call in 0 1 2 3; do # call k: bars 4k, 4k+1; its answer: bars 4k+2, 4k+3
    n=$(awk -v a=$((4 * call + 2)) '$1 == a || $1 == a + 1' model.txt | wc -l)
    ge "model notes answering call $((call + 1))" "$n" 2
    early=$(awk -v a=$((4 * call)) '$1 == a || $1 == a + 1' model.txt | wc -l)
    eq "model notes during call $((call + 1))" "$early" 0
done
# In the calls' key, G major: pitch classes G A B C D E F#.
out=$(awk '$2 != 7 && $2 != 9 && $2 != 11 && $2 != 0 && $2 != 2 && $2 != 4 && $2 != 6' \
    model.txt | wc -l)
eq "model notes outside G major" "$out" 0

# The latent path: z0 from the control log takes many values.
zs=$(jq -r 'select(.kind == "param" and .param == "vae/z0") | .value' s1/control.jsonl |
    sort -u | wc -l)
ge "distinct z0 values in control.jsonl" "$zs" 100

"$GBAC" plot s1 -o piece.png 2>plot.err
eq "gbac plot exit status" $? 0
ge "piece.png bytes" "$(wc -c <piece.png 2>/dev/null || echo 0)" 20000
notes=$((32 + $(wc -l <model.txt))) # the performer's and the model's
grep -q "2 tracks, $notes notes" plot.err && echo "ok: plot draws 2 tracks, $notes notes" ||
    fail "plot: '$(cat plot.err)', expected 2 tracks, $notes notes"
[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "all ok"
