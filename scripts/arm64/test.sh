#!/usr/bin/env bash
# Runs the test suite as linux-arm64 under qemu user-mode emulation, i.e. on the NEON (AdvSimd,
# Vector128-only) path of the kernels. Run scripts/arm64/setup.sh once first.
#
#   scripts/arm64/test.sh                                     # whole suite
#   scripts/arm64/test.sh -class Fixed.Tests.Parity.ForwardParityTests   # extra args go to the runner
#   ARM64_NO_PUBLISH=1 scripts/arm64/test.sh                  # reuse the last publish
#
# The published Fixed.Tests is the xunit.v3 in-process runner: run directly (not via `dotnet test`)
# it takes xunit's own options (`Fixed.Tests -help`) and ends with
#   === TEST EXECUTION SUMMARY ===
#      Fixed.Tests  Total: N, Errors: E, Failed: F, Skipped: S, Not Run: R, Time: T
# Exit code: the runner's (non-zero when a test failed).
#
# Why DOTNET_EnableWriteXorExecute=0: with W^X on (the default since .NET 7) the runtime double-maps
# JIT code pages through memfd, which qemu-user does not emulate reliably; the full suite then dies
# with "qemu: uncaught target signal 11 (Segmentation fault)" a few seconds in (single classes happen
# to survive). Known, not a bug here: dotnet/runtime#94909, and QEMU is not a supported .NET platform.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${ARM64_WORK:-$repo_root/artifacts/arm64}"
sysroot="$work/sysroot"
publish_dir="$work/publish"
config="${CONFIGURATION:-Release}"

log() { echo "[arm64/test] $*"; }

if [ ! -e "$sysroot/lib/ld-linux-aarch64.so.1" ] || ! command -v qemu-aarch64-static >/dev/null; then
    log "no arm64 sysroot/qemu: run scripts/arm64/setup.sh first"
    exit 1
fi

if [ "${ARM64_NO_PUBLISH:-0}" != 1 ]; then
    # --artifacts-path keeps this RID-specific restore/build out of the projects' own obj/ and bin/,
    # so it never disturbs the host (x64) build or a concurrent `dotnet build`.
    log "publishing Runtime.Tests ($config, linux-arm64, self-contained) -> $publish_dir"
    start=$SECONDS
    dotnet publish "$repo_root/Runtime.Tests" -c "$config" -r linux-arm64 --self-contained \
        --artifacts-path "$work/build" -o "$publish_dir" -nologo -v:q -clp:NoSummary
    log "publish took $((SECONDS - start))s"
fi

exe="$publish_dir/Fixed.Tests"
[ -x "$exe" ] || { log "$exe missing (publish failed?)"; exit 1; }

log "running $exe under qemu-aarch64-static (FIXED_EXPECTED_ISA=neon)"
start=$SECONDS
set +e
FIXED_EXPECTED_ISA=neon DOTNET_EnableWriteXorExecute=0 \
    qemu-aarch64-static -L "$sysroot" "$exe" -noColor -noLogo "$@"
rc=$?
set -e
log "qemu run took $((SECONDS - start))s, exit code $rc"
exit "$rc"
