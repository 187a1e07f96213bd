#!/usr/bin/env bash
# NativeAOT check: publish examples/AotStream as a native linux-x64 binary with zero warnings (trim and AOT analysis
# included), run it and the JIT build of the same program, and require bit-identical outputs. Prints both builds'
# Step time and the binary's size.
#
# Both builds go to a fresh temporary artifacts folder, so that no warning is hidden by an incremental build and the
# repository's bin/ and obj/ are not touched. The AotStream project sets IlcInstructionSet=native: the native binary
# uses the same instruction sets as the JIT on this machine (see docs/aot.md for why that matters).
#
# Usage: scripts/package/aot-check.sh            (FIXED_KEEP=1 keeps the temporary folder; FIXED_AOT_COPY=PATH copies the
#        native binary there, for scripts/bench/cold-start.sh --binary)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
project="$repo/examples/AotStream"

# NativeAOT links through a C compiler driver (clang if installed, else gcc) and needs zlib's headers and library.
missing=()
command -v clang >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || missing+=(clang)
[[ -e /usr/include/zlib.h ]] || missing+=(zlib1g-dev)
if (( ${#missing[@]} )); then
  echo "== installing ${missing[*]} (needed by NativeAOT)"
  if [[ "$(id -u)" != 0 ]]; then echo "aot-check: run as root, or install: ${missing[*]}" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/fixed-aot.XXXXXX")"
cleanup() { if [[ "${FIXED_KEEP:-0}" == 1 ]]; then echo "aot-check: kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

echo "== NativeAOT publish (linux-x64)"
set +e
dotnet publish "$project" -c Release -r linux-x64 -p:PublishAot=true --artifacts-path "$work/aot" -o "$work/native" -nologo 2>&1 | tee "$work/publish.log"
status=${PIPESTATUS[0]}
set -e
(( status == 0 )) || { echo "aot-check: publish failed" >&2; exit 1; }
warnings="$(grep -E ': warning [A-Z]+[0-9]+' "$work/publish.log" | sort -u || true)"
if [[ -n "$warnings" ]]; then
  echo "aot-check: the publish has warnings (trim/AOT analysis must be clean):" >&2
  echo "$warnings" >&2
  exit 1
fi
binary="$work/native/AotStream"
[[ -x "$binary" ]] || { echo "aot-check: no native binary at $binary" >&2; exit 1; }

echo "== JIT build"
dotnet build "$project" -c Release --artifacts-path "$work/jit" -nologo -v:q -warnaserror
jit_dll="$(find "$work/jit/bin" -name AotStream.dll | head -n 1)"

echo "== run both"
"$binary" > "$work/aot.txt"
dotnet "$jit_dll" > "$work/jit.txt"
if ! diff <(grep -v '^timing:' "$work/aot.txt") <(grep -v '^timing:' "$work/jit.txt") > "$work/diff.txt"; then
  echo "aot-check: NativeAOT and JIT outputs differ:" >&2
  head -n 40 "$work/diff.txt" >&2
  exit 1
fi
lines="$(grep -vc '^timing:' "$work/aot.txt")"
grep -E '^(rnn|gru|lstm|softmax|stack) [0-9]+ outputs|^(train|argmax) ' "$work/aot.txt"
echo "outputs: $lines lines, bit-identical between NativeAOT and JIT"
grep '^timing:' "$work/aot.txt"
grep '^timing:' "$work/jit.txt"
size="$(stat -c %s "$binary")"
echo "native binary: $size bytes ($(( (size + 524288) / 1048576 )) MiB), $(grep -m1 -o 'IlcInstructionSet>[^<]*' "$project/AotStream.csproj" | cut -d'>' -f2) instruction set"
if [[ -n "${FIXED_AOT_COPY:-}" ]]; then install -m 755 "$binary" "$FIXED_AOT_COPY"; fi
echo "aot-check: OK"
