#!/bin/sh
# nn_cost.sh — gb_nn_forward executes the same number of instructions whatever the input
# values (zeros, normal, ±1e30, denormals, NaN, ±inf, alternating signs): no data-dependent
# branch anywhere in the runtime or its kernels.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: nn_cost.sh PATH/TO/test_nn_cost [N]
#
# Both weight types are counted: f32, and bf16 (GB_TEST_WEIGHTS=bf16: the same model with
# bf16 weight matrices, whose kernels round every input to bf16 — arithmetic, not branches).
# bf16 is counted for avx2 only: its scalar tails (this model's odd sizes) run the same
# gb_bf16_round as the scalar family, which is the slow one under valgrind.
#
# This machine has no hardware performance counters, so instructions are counted with
# valgrind's callgrind, collecting only inside gb_nn_forward (--toggle-collect), over N
# forwards of a model with every layer kind (tests/test_nn_cost.c). valgrind 3.19 cannot run
# AVX-512 code, so the counts are taken for GBAC_SIMD=scalar and GBAC_SIMD=avx2; the AVX-512
# kernels are instantiated from the same branch-free source (gb_nn_simd.inc, gb_vmath.inc)
# with a wider vector, and the ctest test_nn_cost_ptrace counts them natively by
# single-stepping.
#
# Also: every forward costs the same, so 2N forwards cost exactly twice N. LD_BIND_NOW=1 takes
# the dynamic linker's lazy binding of memcpy & co. out of the first call (without it the
# first gb_nn_forward of a process runs ~860 more instructions, in ld.so's _dl_fixup).
# Sanity check, so that the test can fail: the same method applied to a deliberately
# value-dependent function (libm tanhf, in the probe) sees different counts.
set -u

probe=${1:?usage: nn_cost.sh PATH/TO/test_nn_cost [N]}
n=${2:-8}
classes="zeros normal huge tiny nan inf alternating"
families="scalar avx2"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

command -v valgrind >/dev/null 2>&1 ||
    fail "valgrind is not installed; this test counts instructions with it" \
        "(apt-get install valgrind)"
[ -x "$probe" ] || fail "probe '$probe' is not an executable"

tmp=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT

# count SIMD CLASS N FUNCTION MODE → prints the instructions executed inside FUNCTION, for
# the weight type in $weights; leaves the callgrind profile in $tmp/SIMD.CLASS.N.MODE.cg
weights=f32
count() {
    out="$tmp/$1.$2.$3.$5"
    if ! LD_BIND_NOW=1 GBAC_SIMD=$1 GB_TEST_WEIGHTS=$weights valgrind --tool=callgrind \
        --toggle-collect="$4" \
        --callgrind-out-file="$out.cg" "$probe" "$2" "$3" "$5" >"$out.stdout" 2>"$out.log"; then
        cat "$out.log" >&2
        fail "GBAC_SIMD=$1 $probe $2 $3 $5 failed under valgrind"
    fi
    grep -q "^simd=$1 " "$out.stdout" ||
        fail "GBAC_SIMD=$1: the probe ran '$(cat "$out.stdout")' instead of the $1 kernels"
    [ "$5" = control ] || grep -q " weights=$weights " "$out.stdout" ||
        fail "the probe ran '$(cat "$out.stdout")' instead of $weights weights"
    c=$(awk '/^summary:/ { print $2; found = 1; exit } /^totals:/ && !t { t = $2 }
             END { if (!found) print t }' "$out.cg")
    [ -n "$c" ] || fail "no instruction count in callgrind output for $1 $2"
    echo "$c"
}

# Per-function counts of two profiles side by side, to point at the value-dependent kernel.
explain() {
    command -v callgrind_annotate >/dev/null 2>&1 || return 0
    echo "  self cost per function, $1 vs $2:" >&2
    for p in "$1" "$2"; do
        callgrind_annotate "$tmp/$p.cg" 2>/dev/null | grep -E '^ *[0-9,]+ .*:' | head -8 |
            sed "s|^|    $p: |" >&2
    done
}

failed=0
for weights in f32 bf16; do
[ "$weights" = bf16 ] && families=avx2
for simd in $families; do
    ref="" refcls="" bad="" baddiff=0
    line="GBAC_SIMD=$simd, $weights weights, $n forwards, instructions in gb_nn_forward:"
    for cls in $classes; do
        c=$(count "$simd" "$cls" "$n" gb_nn_forward forward) || exit 1
        line="$line $cls=$c"
        if [ -z "$ref" ]; then
            ref=$c refcls=$cls
            [ "$c" -gt 0 ] || fail "$simd: zero instructions counted in gb_nn_forward"
        elif [ "$c" != "$ref" ]; then
            d=$((c > ref ? c - ref : ref - c))
            [ "$d" -le "$baddiff" ] || { bad=$cls; baddiff=$d; }
        fi
    done
    echo "$line"
    if [ -n "$bad" ]; then
        echo "FAIL: $simd: the instruction count of gb_nn_forward depends on the input values" >&2
        explain "$simd.$refcls.$n.forward" "$simd.$bad.$n.forward"
        failed=1
    fi
    c2=$(count "$simd" $refcls $((2 * n)) gb_nn_forward forward) || exit 1
    echo "GBAC_SIMD=$simd, $((2 * n)) forwards ($refcls): $c2"
    [ "$c2" -gt "$ref" ] || fail "$simd: $((2 * n)) forwards cost no more than $n ($c2 vs $ref)"
    if [ -z "$bad" ] && [ "$c2" != $((2 * ref)) ]; then
        echo "FAIL: $simd: $((2 * n)) forwards cost $c2, not twice $n ($ref): forwards differ" >&2
        failed=1
    fi
done
done
weights=f32

# Control: the method does see value-dependent code.
cz=$(count scalar zeros "$n" gb_cost_control control) || exit 1
ch=$(count scalar huge "$n" gb_cost_control control) || exit 1
echo "control (libm tanhf): zeros=$cz huge=$ch"
[ "$cz" != "$ch" ] ||
    fail "control: callgrind saw the same count for tanhf on different inputs; the method is blind"
[ "$failed" = 0 ] || exit 1
echo "PASS: gb_nn_forward costs the same for every input class (scalar, avx2; bf16 on avx2)"
