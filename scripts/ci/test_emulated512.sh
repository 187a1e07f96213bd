#!/usr/bin/env bash
# The test suite through the kernels' 512-bit code on a machine without AVX-512.
#
#   bash scripts/ci/test_emulated512.sh [--no-build] [xunit runner arguments...]
#   bash scripts/ci/test_emulated512.sh -class Fixed.Tests.Kernels.StraightStepTests
#
# The runtime is built a second time with -p:FixedEmulate512=true (Runtime/Kernels/Path512.cs): every width choice then
# takes the 512-bit code, which runs on .NET's software Vector512 (two hardware 256-bit halves per operation) and on
# software versions of the few AVX-512 instructions the kernels name (Runtime/Kernels/Avx512Emulation.cs). The test
# assembly of the ordinary build is copied and run against that runtime with FIXED_EXPECTED_ISA=avx512-emulated, which
# IsaPathTests holds the run to (16-float layout, the emulated build loaded). Same operations in the same order as an
# AVX-512 core, so the same tolerances hold; about as fast as the AVX2 run.
#
# --no-build: Runtime.Tests is already built (CI's build stage); otherwise it is built first. Arguments go to the xunit
# runner of the test executable (its own syntax: -class, -class- NAME, -namespace- NAME, ...); none runs everything.
# Output under artifacts/emulate512 (EMULATE512_WORK to move it).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${EMULATE512_WORK:-$repo_root/artifacts/emulate512}"
config="${CONFIGURATION:-Release}"
tests_out="$repo_root/Runtime.Tests/bin/$config/net10.0"

log() { echo "[emulate512] $*"; }

if [ "${1:-}" = --no-build ]; then
    shift
else
    dotnet build "$repo_root/Runtime.Tests" -c "$config" -nologo -v:q -clp:NoSummary
fi
[ -f "$tests_out/Fixed.Tests.dll" ] || { log "$tests_out/Fixed.Tests.dll missing: dotnet build Runtime.Tests -c $config"; exit 1; }

start=$SECONDS
dotnet build "$repo_root/Runtime" -c "$config" -p:FixedEmulate512=true --artifacts-path "$work/build" -nologo -v:q -clp:NoSummary
runtime_out="$work/build/bin/Runtime/$(echo "$config" | tr '[:upper:]' '[:lower:]')"
rm -rf "$work/tests"
cp -r "$tests_out" "$work/tests"
cp "$runtime_out/Fixed.dll" "$runtime_out/Fixed.pdb" "$work/tests/"
log "emulated runtime built and swapped in ($((SECONDS - start))s)"

log "running the tests against it (FIXED_EXPECTED_ISA=avx512-emulated) $*"
cd "$work/tests"
FIXED_EXPECTED_ISA=avx512-emulated exec dotnet Fixed.Tests.dll -noColor -noLogo -noAutoReporters "$@"
