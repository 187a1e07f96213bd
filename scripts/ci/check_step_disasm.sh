#!/usr/bin/env bash
# Reads the JIT's optimized code for Step of the benchmark's small networks (GRU 1->8, GRU 1->32, LSTM 1->32 and the
# two-layer GRU 1->32, each with a Linear(H, 1) head: tools/StepDisasm declares them as Benchmarks/Models does) and fails if
# a Step listing holds a call or a range-check helper (CORINFO_HELP_RNGCHKFAIL), printing the offending lines. The step is
# meant to be straight-line code (Runtime/Kernels/RecurrentEngine.Straight.cs); a call creeping back in (an inline the JIT
# gave up on) costs ~10-40 % of the step and shows up here, not in a test.
#
# Each network is compiled twice, and both listings are checked:
#   - fully optimized at once (DOTNET_TieredCompilation=0);
#   - with the default tiering (tools/StepDisasm --tiered), where only the tier-1 and fully optimized listings count (not
#     tier 0): the code a user's loop runs once warm, whose inlining decisions can differ. The engine's Step is compiled
#     fully optimized at its first call (MethodImplOptions.AggressiveOptimization, Runtime/Kernels/CompiledAtOnce.cs), the
#     model's Step and the loop calling it tier up with dynamic PGO; the tier-1 listing of the loop that
#     calls Step is read too, and fails if it calls into the library other than through a Step. That is how the straight step was
#     found with calls in 2026-12: inlined into its caller's loop at tier 1, it ran out of the caller's inlining budget
#     and kept calls to the cell update and the head; the engine's Step is now never inlined (NoInlining), so its own
#     listing is the code that runs, and each check requires that listing to be there.
#
# Allowed calls, all printed: methods named Throw* (argument errors, which never return), ParameterStore.Repack (rebuilds
# the packed weights on the first call after Parameters was written), the engine's Step from a model's Step (the one hop
# that is never inlined, by design), and RecurrentEngine.StraightStepHead: the two-layer step reaches the JIT's limit on
# the locals one method may inline before its head, and the head (a dot product after the last layer) stays a call there;
# measured, the call was cheaper than reordering the code to inline it (Runtime/Kernels/RecurrentEngine.Straight.cs).
# Without AVX-512 (16 vector registers), GRU and LSTM of H = 32 run one method per gate, RecurrentEngine.GateBlock256 (each
# gate's product, activations and what the next gate needs): written as one method, the JIT ran out of registers and kept
# accumulators in memory; those calls are allowed too, and nothing else.
#
#   bash scripts/ci/check_step_disasm.sh                       # build tools/StepDisasm, run it both ways, check (~40 s)
#   bash scripts/ci/check_step_disasm.sh --check FILE...       # check listings already written (what the selftest uses)
#   bash scripts/ci/check_step_disasm.sh --check-tier1 FILE... # the same, counting only the listings marked (Tier1) or (FullOpts)
#   bash scripts/ci/check_step_disasm.sh --aot ISA...          # NativeAOT's code for each instruction set (~35 s each)
#   STEP_DISASM_NETWORKS="gru8 rnn32" ...                      # other networks (tools/StepDisasm: rnn32 gru8 gru32 lstm32 gru32l2)
#
# The AOT mode publishes tools/StepDisasm with NativeAOT for each named instruction set (x86-64-v3: AVX2 and FMA; x86-64-v4:
# AVX-512), the JIT inside the compiler printing every method of both engines as it compiles them (one thread, so the
# listings do not interleave), and checks Step's listings the same way, and training's with
# scripts/ci/check_training_disasm.sh --check (in the AOT build its own "fully optimized" run is what ships: no tiering). The instruction set need not be this machine's: the AVX-512 code is compiled, and so checked, on an AVX2 machine
# too, where the JIT modes above see only the AVX2 code. NativeAOT compiles every Step, so all five networks are listed. It
# found what the JIT modes could not (2026-12-07): for x86-64-v4 NativeAOT's compiler compiled both widths' code into Step
# (it does not fold a test of a value an inlined getter returns while it imports the next method, as the JIT does), ran out
# of the locals a method may inline and left the head after the layer with calls to getters; the width is now chosen by a
# marker interface on the generated shape (Runtime/Kernels/INetworkShape.cs, IWideShape).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# check_listing FILE [TIER]: 0 if every "Step" method listed in FILE is free of calls but the allowed ones and the engine's
# own Step is among them, 1 otherwise (3 if two listings interleave); with TIER (a pattern, e.g. Tier1|FullOpts), only the
# listings compiled so count.
check_listing() {
    local file="$1" tier="${2:-}"
    awk -v file="$file" -v tier="$tier" '
        # Calls off the hot path, allowed in a Step and in its caller alike: argument errors, and the repack after a write.
        function cold(line) { return line ~ /:Throw[A-Za-z]*\(/ || line ~ /ParameterStore`1\[[^]]*\]:Repack\(/ }
        /^; Total bytes of code/ { open = 0 }
        /^; Assembly listing for method / {
            if (open) { interleaved++ }
            open = 1
            method = $0
            sub(/^; Assembly listing for method /, "", method)
            right = (tier == "" || method ~ ("\\((" tier ")\\)$"))
            inStep = (method ~ /:Step\(/) && right
            inCaller = (method ~ /Networks:Run/) && right
            if (inStep) { steps++; print "listing: " method }
            if (inCaller) { print "caller: " method }
            if (inStep && method ~ /RecurrentEngine`1\[[^]]*\]:Step\(/) { engine++ }
            next
        }
        # A loop calling Step: the step must not have been inlined into it in part (a call into the library other than a Step).
        inCaller && /^[ \t]+call[ \t]+\[Fixed\./ && !/:Step\(/ {
            if (cold($0)) { print "  allowed (cold path): " $0; next }
            bad++; print "  CALL IN THE CALLER (the step inlined into it in part): " $0; next
        }
        !inStep { next }
        /CORINFO_HELP_RNGCHKFAIL/ { bad++; print "  RANGE CHECK: " $0; next }
        /^[ \t]+call[ \t]/ {
            if (cold($0)) { print "  allowed (cold path): " $0; next }
            if ($0 ~ /RecurrentEngine`1\[[^]]*\]:StraightStepHead\(/) { print "  allowed (head after a two-layer step): " $0; next }
            if ($0 ~ /RecurrentEngine`1\[[^]]*\]:GateBlock256\[/) { print "  allowed (one gate of a 16-register step, compiled on its own by design): " $0; next }
            if ($0 ~ /RecurrentEngine`1\[[^]]*\]:Step\(/) { print "  allowed (a model'"'"'s Step into the engine'"'"'s, never inlined): " $0; next }
            bad++; print "  CALL: " $0
        }
        END {
            # Two methods compiled at once (tier 1 in the background, OSR in the foreground) interleave their listings in
            # the one output file: nothing in it can then be attributed. Exit 3: the caller runs it again.
            if (interleaved > 0) { print file ": " interleaved " listing(s) interleaved with another (two methods compiled at once); not checked"; exit 3 }
            if (steps == 0) { print file ": no " (tier == "" ? "" : tier " ") "listing of a method named Step (did the JIT print anything?)"; exit 1 }
            if (engine == 0) { print file ": no " (tier == "" ? "" : tier " ") "listing of the engine'"'"'s own Step (RecurrentEngine`1[...]:Step), the code that runs"; exit 1 }
            if (bad > 0) { print file ": " bad " offending line(s) in " steps " Step listing(s)"; exit 1 }
            print file ": " steps " Step listing(s), no call, no range check"
        }' "$file"
}

if [ "${1:-}" = "--check" ] || [ "${1:-}" = "--check-tier1" ]; then
    tier=""
    [ "$1" = "--check-tier1" ] && tier='Tier1|FullOpts'
    shift
    rc=0
    for f in "$@"; do check_listing "$f" "$tier" || rc=1; done
    exit $rc
fi

networks=${STEP_DISASM_NETWORKS:-gru8 gru32 lstm32 gru32l2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

if [ "${1:-}" = "--aot" ]; then
    shift
    [ $# -gt 0 ] || { echo "--aot needs at least one instruction set (x86-64-v3, x86-64-v4)"; exit 2; }
    rc=0
    for isa in "$@"; do
        echo "=== NativeAOT, $isa"
        listing="$out/aot-$isa.asm"
        # Its own artifacts folder: the JIT build's bin/ and obj/ stay as they are.
        # Every method of both engines is listed: Step for the check here, training's for check_training_disasm.sh.
        dotnet publish tools/StepDisasm -c Release -r linux-x64 -p:PublishAot=true -p:IlcInstructionSet="$isa" \
            -p:StepDisasmAotListing="$listing" -p:StepDisasmAotMethods='*RecurrentEngine*:* *SequenceEngine*:*' \
            --artifacts-path "$out/aot-$isa" -nologo -v q > "$out/aot-$isa.log" 2>&1 \
            || { tail -20 "$out/aot-$isa.log"; rc=1; continue; }
        check_listing "$listing" || rc=1
        bash scripts/ci/check_training_disasm.sh --check "$listing" | tail -1
        [ "${PIPESTATUS[0]}" -eq 0 ] || { bash scripts/ci/check_training_disasm.sh --check "$listing" | grep -v '^listing:'; rc=1; }
        mkdir -p "${CI_LOG_DIR:-artifacts/ci}" && cp "$listing" "${CI_LOG_DIR:-artifacts/ci}/step-aot-$isa.asm"
    done
    [ $rc -eq 0 ] && echo "step disassembly (NativeAOT): no call, no range check in the engine's Step of rnn32 gru8 gru32 lstm32 gru32l2, and no call to a member meant to be inlined in training's methods, for: $*"
    exit $rc
fi
dotnet build tools/StepDisasm -c Release -nologo -v q > "$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
rc=0
for net in $networks; do
    echo "=== $net, fully optimized at once"
    DOTNET_TieredCompilation=0 DOTNET_JitDisasm=Step DOTNET_JitStdOutFile="$out/$net.asm" \
        tools/StepDisasm/bin/Release/net10.0/StepDisasm "$net" || { rc=1; continue; }
    check_listing "$out/$net.asm" || rc=1
    echo "=== $net, tiered (tier 1 with dynamic PGO)"
    # Two processes, one printing the Step methods and one the loop: in one process the loop's OSR compilation (on the
    # main thread) and Step's tier-1 compilation (in the background) can overlap and interleave their listings. A run
    # whose listings still interleave (exit 3) is run again, up to three times.
    for attempt in 1 2 3; do
        DOTNET_TC_CallCountingDelayMs=0 DOTNET_JitDisasm="Step" DOTNET_JitStdOutFile="$out/$net-tiered-step.asm" \
            tools/StepDisasm/bin/Release/net10.0/StepDisasm --tiered "$net" || { tiered=1; break; }
        DOTNET_TC_CallCountingDelayMs=0 DOTNET_JitDisasm="Run*" DOTNET_JitStdOutFile="$out/$net-tiered-loop.asm" \
            tools/StepDisasm/bin/Release/net10.0/StepDisasm --tiered "$net" || { tiered=1; break; }
        cat "$out/$net-tiered-step.asm" "$out/$net-tiered-loop.asm" > "$out/$net-tiered.asm"
        check_listing "$out/$net-tiered.asm" 'Tier1|FullOpts'
        tiered=$?
        [ $tiered -eq 3 ] || break
        echo "(attempt $attempt: interleaved listings, running again)"
    done
    [ $tiered -eq 0 ] || rc=1
    mkdir -p "${CI_LOG_DIR:-artifacts/ci}" && cp "$out/$net.asm" "${CI_LOG_DIR:-artifacts/ci}/step-$net.asm" \
        && cp "$out/$net-tiered.asm" "${CI_LOG_DIR:-artifacts/ci}/step-$net-tiered.asm"
done
[ $rc -eq 0 ] && echo "step disassembly: no call, no range check in Step of: $networks (fully optimized and tier 1)"
exit $rc
