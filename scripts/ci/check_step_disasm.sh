#!/usr/bin/env bash
# Reads the JIT's optimized code for Step of the benchmark's small networks (GRU 1->8, GRU 1->32, LSTM 1->32 and the
# two-layer GRU 1->32, each
# with a Linear(H, 1) head: tools/StepDisasm declares them as Benchmarks/Models does) and fails if a Step listing holds a
# call or a range-check helper (CORINFO_HELP_RNGCHKFAIL), printing the offending lines. The step is meant to be
# straight-line code (Runtime/Kernels/RecurrentEngine.Straight.cs); a call creeping back in (an inline the JIT gave up on)
# costs ~10-40 % of the step and shows up here, not in a test.
#
# Two calls are allowed, both off the hot path and both printed: methods named Throw* (argument errors, which never
# return) and ParameterStore.Repack (rebuilds the packed weights on the first call after Parameters was written). A third,
# RecurrentEngine.StraightStepHead, is allowed and printed too: the two-layer step reaches the JIT's limit on the locals one
# method may inline before its head, and the head (a dot product after the last layer) stays a call there; measured, the call
# was cheaper than reordering the code to inline it (Runtime/Kernels/RecurrentEngine.Straight.cs).
#
#   bash scripts/ci/check_step_disasm.sh                  # build tools/StepDisasm, run it under the JIT, check (~30 s)
#   bash scripts/ci/check_step_disasm.sh --check FILE...  # check listings already written (what the selftest uses)
#   STEP_DISASM_NETWORKS="gru8 rnn32" ...                 # other networks (tools/StepDisasm: rnn32 gru8 gru32 lstm32 gru32l2)
#
# The code is compiled with DOTNET_TieredCompilation=0 (straight to fully optimized code, which is what tier 1 runs
# for these methods: no dynamic PGO data changes the inlining of a method with no virtual calls or casts).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# check_listing FILE: 0 if every "Step" method listed in FILE is free of calls but the allowed ones, 1 otherwise.
check_listing() {
    local file="$1"
    awk -v file="$file" '
        /^; Assembly listing for method / {
            method = $0
            sub(/^; Assembly listing for method /, "", method)
            inStep = (method ~ /:Step\(/)
            if (inStep) { steps++; print "listing: " method }
            next
        }
        !inStep { next }
        /CORINFO_HELP_RNGCHKFAIL/ { bad++; print "  RANGE CHECK: " $0; next }
        /^[ \t]+call[ \t]/ {
            if ($0 ~ /:Throw[A-Za-z]*\(/ || $0 ~ /ParameterStore`1\[[^]]*\]:Repack\(/) { print "  allowed (cold path): " $0; next }
            if ($0 ~ /RecurrentEngine`1\[[^]]*\]:StraightStepHead\(/) { print "  allowed (head after a two-layer step): " $0; next }
            bad++; print "  CALL: " $0
        }
        END {
            if (steps == 0) { print file ": no listing of a method named Step (did the JIT print anything?)"; exit 1 }
            if (bad > 0) { print file ": " bad " offending line(s) in " steps " Step listing(s)"; exit 1 }
            print file ": " steps " Step listing(s), no call, no range check"
        }' "$file"
}

if [ "${1:-}" = "--check" ]; then
    shift
    rc=0
    for f in "$@"; do check_listing "$f" || rc=1; done
    exit $rc
fi

networks=${STEP_DISASM_NETWORKS:-gru8 gru32 lstm32 gru32l2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet build tools/StepDisasm -c Release -nologo -v q > "$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
rc=0
for net in $networks; do
    echo "=== $net"
    DOTNET_TieredCompilation=0 DOTNET_JitDisasm=Step DOTNET_JitStdOutFile="$out/$net.asm" \
        tools/StepDisasm/bin/Release/net10.0/StepDisasm "$net" || { rc=1; continue; }
    check_listing "$out/$net.asm" || rc=1
    mkdir -p "${CI_LOG_DIR:-artifacts/ci}" && cp "$out/$net.asm" "${CI_LOG_DIR:-artifacts/ci}/step-$net.asm"
done
[ $rc -eq 0 ] && echo "step disassembly: no call, no range check in Step of: $networks"
exit $rc
