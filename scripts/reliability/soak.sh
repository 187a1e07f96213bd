#!/usr/bin/env bash
# Soak (not run in CI): 10^8 streaming Step calls with the state carried, then 10^6 online training updates
# (truncated BPTT over 32-step windows from the live state, ClipGradNorm(1), Adam, non-finite guard) on the sensor
# example's GRU (1 -> 32, head 1). Prints NaN counts, bytes allocated and GC collections inside the loops, wall time.
#   scripts/reliability/soak.sh [steps] [updates]        defaults: 100000000 1000000
# Exit code 0 when there was no NaN, no skipped step and no allocation.
set -euo pipefail
cd "$(dirname "$0")/../.."
steps="${1:-100000000}"
updates="${2:-1000000}"
dotnet build Runtime.Tests -c Release --nologo -v q -clp:ErrorsOnly >/dev/null
cd Runtime.Tests/bin/Release/net10.0
FIXED_RELIABILITY_MODE=soak FIXED_SOAK_STEPS="$steps" FIXED_SOAK_UPDATES="$updates" dotnet Fixed.Tests.dll
