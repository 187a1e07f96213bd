#!/usr/bin/env bash
# Runs the whole test suite with the allocation tests traced (Runtime.Tests/Support/AllocationTrace.cs), round after round,
# to catch what an early training iteration's unexplained allocation is: the allocation tests then measure from the second
# iteration on, and every event the runtime raises on the measuring thread (allocated objects with their type, JIT
# compilations, type and assembly loads, GCs) is appended to the trace file.
#
# Usage: scripts/reliability/alloc-trace.sh [ROUNDS=3] [extra dotnet test args, e.g. -e DOTNET_EnableAVX512=0 -e FIXED_EXPECTED_ISA=avx2]
# Output: artifacts/alloc-trace/trace.log (events per measured model), round-N.log (test output); a summary line per round.
# The fuzz tests' per-case time limit is not meant for a traced process (every allocation takes the slow, reporting path),
# so FixtureFuzzTests is left out of these runs.
set -uo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}; shift || true
out=artifacts/alloc-trace; mkdir -p "$out"
dotnet build Runtime.Tests -c Release -nologo -v q >/dev/null || exit 1
for round in $(seq "$rounds"); do
  start=$(date +%s)
  dotnet test Runtime.Tests -c Release --no-build \
    -e FIXED_ALLOC_TRACE=1 -e FIXED_ALLOC_TRACE_FILE="$PWD/$out/trace.log" \
    -e DOTNET_EnableEventPipe=1 -e DOTNET_EventPipeConfig='Microsoft-Windows-DotNETRuntime:0x200000:5' \
    -e DOTNET_EventPipeOutputPath="/tmp/fixed-alloc-trace-$round.nettrace" "$@" \
    -- --filter-not-class "Fixed.Tests.Reliability.FixtureFuzzTests" > "$out/round-$round.log" 2>&1
  rc=$?
  rm -f "/tmp/fixed-alloc-trace-$round.nettrace"
  echo "round $round: exit $rc, $(( $(date +%s) - start )) s, load $(cut -d' ' -f1-3 /proc/loadavg); $(grep -E 'total:|Passed!|Failed!|failed:' "$out/round-$round.log" | tail -1)"
  grep -h "caught\|allocated .* bytes" "$out/round-$round.log" | head -5
done
grep -c "^===" "$out/trace.log" 2>/dev/null | sed 's/^/measured models traced: /'
