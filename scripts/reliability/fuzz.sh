#!/usr/bin/env bash
# Runs the safetensors fuzzer of Runtime.Tests/Reliability (the same cases, oracle and checks as the CI test
# FixtureFuzzTests, which runs 12,000) for a million cases, and prints the count of each outcome class.
#   scripts/reliability/fuzz.sh [cases] [seed]        defaults: 1000000 cases, seed 20251127
# Exit code 0 when no case broke the contract. The run is bounded by timeout(1): a hang fails it.
set -euo pipefail
cd "$(dirname "$0")/../.."
cases="${1:-1000000}"
seed="${2:-20251127}"
dotnet build Runtime.Tests -c Release --nologo -v q -clp:ErrorsOnly >/dev/null
cd Runtime.Tests/bin/Release/net10.0
echo "fuzzing $cases cases (seed $seed) over the fixtures in $(pwd)/Fixtures/forward"
FIXED_RELIABILITY_MODE=fuzz FIXED_FUZZ_CASES="$cases" FIXED_FUZZ_SEED="$seed" \
  timeout --signal=KILL "$(( 600 + cases / 1000 ))" dotnet Fixed.Tests.dll
