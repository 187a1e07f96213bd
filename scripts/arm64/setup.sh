#!/usr/bin/env bash
# Prepares everything needed to run the linux-arm64 build of the tests under qemu user-mode emulation
# (the NEON / AdvSimd path of the kernels) on an x86-64 Debian/Ubuntu host. Idempotent: a second run
# only checks what is already there.
#
#   scripts/arm64/setup.sh            # work dir: artifacts/arm64 (git-ignored)
#   ARM64_WORK=/tmp/arm64 scripts/arm64/setup.sh
#
# Result: $ARM64_WORK/sysroot, an aarch64 root for `qemu-aarch64-static -L`: the cross glibc and
# libstdc++ from /usr/aarch64-linux-gnu plus libssl3 and libicu72 for arm64 (what the .NET runtime
# dlopens) unpacked into sysroot/lib. Needs root (apt-get install) unless the packages are already there.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${ARM64_WORK:-$repo_root/artifacts/arm64}"
sysroot="$work/sysroot"
debs="$work/debs"
host_pkgs=(qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross)
arm_pkgs=(libssl3 libicu72)

log() { echo "[arm64/setup] $*"; }

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

# 1. Host packages: qemu and the aarch64 cross glibc/libstdc++.
missing=()
for p in "${host_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    "${sudo_cmd[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    log "host packages present: ${host_pkgs[*]}"
fi
command -v qemu-aarch64-static >/dev/null || { log "qemu-aarch64-static not on PATH after install"; exit 1; }
[ -d /usr/aarch64-linux-gnu/lib ] || { log "/usr/aarch64-linux-gnu/lib missing after install"; exit 1; }

# 2. arm64 libssl3 and libicu72, downloaded (not installed) with a private apt state so the host's
#    dpkg/apt configuration is left alone.
mkdir -p "$debs" "$work/apt/lists/partial" "$work/apt/cache/archives/partial"
apt_arm64=(apt-get -q
    -oAPT::Architecture=arm64 -oAPT::Architectures=arm64
    -oDir::State::Lists="$work/apt/lists" -oDir::Cache="$work/apt/cache"
    -oDebug::NoLocking=1)
have_all_debs=1
for p in "${arm_pkgs[@]}"; do
    compgen -G "$debs/${p}_*_arm64.deb" >/dev/null || have_all_debs=0
done
if [ "$have_all_debs" -eq 0 ]; then
    log "downloading arm64 ${arm_pkgs[*]}"
    "${apt_arm64[@]}" update
    (cd "$debs" && "${apt_arm64[@]}" download "${arm_pkgs[@]}")
else
    log "arm64 debs present in $debs"
fi

# 3. The sysroot. Rebuilt only when its inputs changed (stamp = list of debs + cross glibc version).
stamp_want="$(cd "$debs" && printf '%s ' *.deb)$(dpkg-query -W -f='${Version}' libc6-arm64-cross)"
if [ -f "$sysroot/.stamp" ] && [ "$(cat "$sysroot/.stamp")" = "$stamp_want" ]; then
    log "sysroot up to date: $sysroot"
else
    log "building sysroot $sysroot"
    rm -rf "$sysroot" "$work/unpack"
    mkdir -p "$sysroot" "$work/unpack"
    cp -a /usr/aarch64-linux-gnu/. "$sysroot/"
    for deb in "$debs"/*.deb; do
        dpkg-deb -x "$deb" "$work/unpack"
    done
    mkdir -p "$sysroot/lib"
    cp -a "$work/unpack/usr/lib/aarch64-linux-gnu/." "$sysroot/lib/"
    rm -rf "$work/unpack"
    echo "$stamp_want" > "$sysroot/.stamp"
fi

# 4. Smoke check: the dynamic loader the published apphost asks for exists in the sysroot.
[ -e "$sysroot/lib/ld-linux-aarch64.so.1" ] || { log "sysroot has no lib/ld-linux-aarch64.so.1"; exit 1; }
ls "$sysroot"/lib/libssl.so.3 "$sysroot"/lib/libicuuc.so.72 >/dev/null
log "ready: qemu=$(command -v qemu-aarch64-static) sysroot=$sysroot"
