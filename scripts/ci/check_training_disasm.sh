#!/usr/bin/env bash
# Reads the JIT's optimized code of training's hot methods (one-sequence and batched Backward of RNN, GRU and LSTM 1->32
# with a Linear(H, 1) head, as the benchmark trains them, and of LSTM 1->32 with ProjSize 16, which takes the sequence
# engine: tools/StepDisasm --training) and fails if one of them calls a member
# the JIT is meant to inline: the shape's constants (get_H, get_L, get_GH, ...), the tape arithmetic (NetworkArithmetic,
# Shape`1), span slicing and conversion, the vector helpers (Simd*), the loss's inlined MSE path. Such a call means the
# method spent the JIT's inlining budget before reaching it: in 2026-12 the head-and-loss loop in Sequence and the batched
# sweep in StepBackGroup did, and RNN 1->32's training iteration was ~5 % slower for it. Calls to the kernels (the products,
# the straight cells, the sweep) are by design and allowed; every call found is printed.
#
# The code is compiled fully optimized at once (DOTNET_TieredCompilation=0), as NativeAOT compiles it: without dynamic
# PGO, so with the tighter inlining of the two (in 2026-12 the one-layer sweep kept a span conversion as a call per step
# there and not at tier 1), and on one thread, so the listings never interleave. Tier-1 listings are read the same way
# with --check.
#
#   bash scripts/ci/check_training_disasm.sh                  # build tools/StepDisasm, run it per network, check (~5 s built)
#   bash scripts/ci/check_training_disasm.sh --check FILE...  # check listings already written (what the selftest uses)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# The methods read: the single-sequence path (Sequence, its head-and-loss pass, the recording step, the sweep and the
# weight gradients) and the batched one (Group, the group's recording cell, its backward step and one-layer sweep); the
# sequence engine's Sequence and Sweep and their per-direction passes.
methods="Sequence HeadsAndLosses RecordStraightRnn RecordStraightGates SweepOneLayer Sweep AccumulateWeights Group CellStepRecord StepBackGroup SweepGroupUnits RunDirection SweepDirection"

# check_listing FILE [BATCHED]: 0 if no optimized listing in FILE calls an inlinable member and Sequence's listing is
# there (and Group's unless BATCHED is 0: the sequence engine has none), 1 otherwise, 3 if two listings interleave.
check_listing() {
    awk -v file="$1" -v batched="${2:-1}" '
        /^; Total bytes of code/ { open = 0 }
        /^; Assembly listing for method / {
            if (open) { interleaved++ }
            open = 1
            method = $0
            sub(/^; Assembly listing for method /, "", method)
            # Tier 1 (and OSR, and methods compiled fully optimized at once, e.g. with a loop and a stackalloc): the code that runs.
            optimized = method ~ /\((Tier1|Tier1-OSR|FullOpts|Tier0-FullOpts)\)$/
            if (optimized) { listings++; print "listing: " method }
            if (optimized && method ~ /:Sequence\(/) { sequence++ }
            if (optimized && method ~ /:Group\(/) { group++ }
            next
        }
        !optimized { next }
        /^[ \t]+call[ \t]/ {
            if ($0 ~ /:get_[A-Za-z]+\(\)/ || $0 ~ /Fixed\.NetworkArithmetic:/ || $0 ~ /Fixed\.Shape`1\[/ \
                || $0 ~ /System\.(ReadOnly)?Span`1\[float\]:(Slice|op_Implicit|get_Item|get_Length|CopyTo|Clear)\(/ \
                || $0 ~ /Fixed\.Simd[0-9]*:/ || $0 ~ /Fixed\.LossFunctions:Apply\(int,Fixed\.CrossEntropyOptions/) {
                bad++; print "  NOT INLINED: " $0
            }
            else { calls++ }
        }
        END {
            if (interleaved > 0) { print file ": " interleaved " listing(s) interleaved with another (two methods compiled at once); not checked"; exit 3 }
            if (sequence == 0) { print file ": no optimized listing of Sequence (did the JIT print anything?)"; exit 1 }
            if (batched != 0 && group == 0) { print file ": no optimized listing of Group (did the JIT print anything?)"; exit 1 }
            if (bad > 0) { print file ": " bad " call(s) to members meant to be inlined, in " listings " listing(s)"; exit 1 }
            print file ": " listings " listing(s), " calls " call(s) to kernels and error paths, none to a member meant to be inlined"
        }' "$1"
}

if [ "${1:-}" = "--check" ]; then
    shift
    rc=0
    for f in "$@"; do check_listing "$f" || rc=1; done
    exit $rc
fi

networks=${TRAINING_DISASM_NETWORKS:-rnn32 gru32 lstm32 lstm32p16}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet build tools/StepDisasm -c Release -nologo -v q > "$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
rc=0
for net in $networks; do
    echo "=== $net, training, fully optimized at once"
    if DOTNET_TieredCompilation=0 DOTNET_JitDisasm="$methods" DOTNET_JitStdOutFile="$out/$net-training.asm" \
        tools/StepDisasm/bin/Release/net10.0/StepDisasm --training "$net"; then
        batched=1
        [ "$net" = lstm32p16 ] && batched=0
        check_listing "$out/$net-training.asm" "$batched" > "$out/$net-check.log" || rc=1
        grep -v '^listing: ' "$out/$net-check.log" || true
    else
        rc=1
    fi
    mkdir -p "${CI_LOG_DIR:-artifacts/ci}" && cp "$out/$net-training.asm" "${CI_LOG_DIR:-artifacts/ci}/training-$net.asm"
done
[ $rc -eq 0 ] && echo "training disassembly: nothing meant to be inlined is called in the training of: $networks"
exit $rc
