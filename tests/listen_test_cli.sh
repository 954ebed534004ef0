#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `gbac listen-test` without a browser: bad input exits 2 (usage) or 1 (a port in use, --out
# taken, too few held-out tunes, a preset with note sources, a missing model) with a message
# that names it; a test stopped by SIGTERM before any choice exits 1 and leaves a valid results
# file, which `gbac eval melody --listen-test` cites (0 choices); eval melody refuses a missing
# or broken results file. (The test answered in a browser: listen_test_browser.py.)
# Usage: listen_test_cli.sh GBAC
set -u
gbac=$1
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# expect STATUS TEXT ARGS...: gbac ARGS exits STATUS and says TEXT on stderr
expect() {
    want=$1 text=$2
    shift 2
    "$gbac" "$@" >"$tmp/o" 2>"$tmp/e"
    got=$?
    [ "$got" -eq "$want" ] || fail "gbac $*: exit $got, want $want ($(cat "$tmp/e"))"
    grep -q -- "$text" "$tmp/e" || fail "gbac $*: no '$text' in: $(cat "$tmp/e")"
    echo "ok: gbac $* -> $got: $(head -c 160 "$tmp/e" | head -n 1)"
}

lt="listen-test --http 0"
expect 2 "pairs" $lt --pairs 0 --out "$tmp/r.json"
expect 2 "pairs" $lt --pairs 101 --out "$tmp/r.json"
expect 2 "missing --http" listen-test --pairs 2 --out "$tmp/r.json"
expect 2 "question prefer" $lt --model-b m.safetensors --question human --out "$tmp/r.json"
expect 2 "192.168.1.0/24" $lt --http-allow nonsense --out "$tmp/r.json"
"$gbac" dataset melody -q -o "$tmp/ds" --transpose 0..0 --split 0.98,0.01,0.01 2>"$tmp/e" ||
    fail "dataset: $(cat "$tmp/e")"
expect 1 "have 3+ bars; 50 pairs need" $lt --data "$tmp/ds" --pairs 50 --bars 2 --out "$tmp/r.json"
[ -e "$tmp/r.json" ] && fail "a failed test left its --out behind"
expect 1 "note sources" $lt --preset melody-answer --out "$tmp/r.json"
expect 1 "nope.safetensors" $lt --model "$tmp/nope.safetensors" --out "$tmp/r.json"
: >"$tmp/taken.json"
expect 1 "exists already" $lt --out "$tmp/taken.json"
expect 1 "no/such/dir" $lt --out "$tmp/no/such/dir/r.json"

# A test that runs, its port taken by a second one, stopped before any choice.
"$gbac" listen-test --http 0 --pairs 2 --bars 1 --out "$tmp/first.json" 2>"$tmp/first.err" &
pid=$!
i=0
until grep -q "listening test at" "$tmp/first.err"; do
    i=$((i + 1))
    [ $i -le 1500 ] || fail "no address after 150 s: $(cat "$tmp/first.err")"
    kill -0 $pid 2>/dev/null || fail "listen-test exited: $(cat "$tmp/first.err")"
    sleep 0.1
done
port=$(sed -n 's|.*listening test at http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/first.err")
grep -q '^token=[0-9a-f]\{32\}$' "$tmp/first.err" || fail "no token line"
expect 1 "TCP port $port" listen-test --http "$port" --pairs 2 --out "$tmp/second.json"
[ -e "$tmp/second.json" ] && fail "the refused test left its --out behind"
mkdir "$tmp/cwd"
(cd "$tmp/cwd" && "$gbac" listen-test --http "$port" --pairs 2) 2>"$tmp/e"
st=$?
[ $st -eq 1 ] || fail "port taken, no --out: exit $st"
grep -q "results go to listen-test-[0-9]\{8\}-[0-9]\{6\}\.json" "$tmp/e" ||
    fail "no default results name: $(cat "$tmp/e")"
[ -z "$(ls "$tmp/cwd")" ] || fail "the refused test left $(ls "$tmp/cwd") behind"
echo "ok: without --out the results are named listen-test-DATE-TIME.json"
curl -s -o "$tmp/p00a.wav" -w '%{http_code}' "http://127.0.0.1:$port/clips/p00a.wav" \
    >"$tmp/code" || fail "curl"
[ "$(cat "$tmp/code")" = 200 ] || fail "clip p00a.wav: HTTP $(cat "$tmp/code")"
[ "$(head -c 4 "$tmp/p00a.wav")" = RIFF ] || fail "clip p00a.wav is not a WAV file"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/clips/p00a.mid")
[ "$code" = 404 ] || fail "the MIDI behind a clip is served ($code): it would tell the source"
kill -TERM $pid
wait $pid
st=$?
pid=
[ $st -eq 1 ] || fail "stopped before the last pair: exit $st, want 1"
grep -q "stopped after 0 of 2 pairs" "$tmp/first.err" || fail "no 'stopped' message"
grep -q '"choices": 0' "$tmp/first.json" || fail "the stopped test's file has no summary"
echo "ok: a test stopped by SIGTERM exits 1 and keeps its (empty) results"

# eval melody cites it, and refuses a missing or broken results file.
out=$("$gbac" eval melody --data "$tmp/ds" --bars 1 --json --listen-test "$tmp/first.json") ||
    fail "eval melody --listen-test: exit $?"
echo "$out" | grep -q '"listen_test": {[^}]*"choices": 0' || fail "no listen_test in: $out"
"$gbac" eval melody --data "$tmp/ds" --bars 1 --listen-test "$tmp/first.json" >"$tmp/t" ||
    fail "eval melody table"
grep -q "listening test ($tmp/first.json" "$tmp/t" || fail "no listening test line in the table"
expect 1 "none.json: cannot read" eval melody --data "$tmp/ds" --listen-test "$tmp/none.json"
echo '{"format": "gbac-listen-test/1", "kind":' >"$tmp/broken.json"
expect 1 "broken.json:2: not JSON" eval melody --data "$tmp/ds" --listen-test "$tmp/broken.json"
sed 's/"choices": 0/"choices": 3/' "$tmp/first.json" >"$tmp/lying.json"
expect 1 "summary does not match" eval melody --data "$tmp/ds" --listen-test "$tmp/lying.json"
echo OK
