#!/usr/bin/env bash
# Loads every weights file the C# tests saved (Runtime.Tests/bin/<config>/net10.0/roundtrip/) into PyTorch
# with load_state_dict(strict=True) and checks its forward pass against the matching fixture.
#
# First checks that the files are the ones a test run wrote: SaveRoundTripTests saves one file per forward
# fixture, so roundtrip/ must hold exactly one <name>.weights.safetensors for each
# Runtime.Tests/Fixtures/forward/<name>.weights.safetensors, and nothing else; with --newer STAMP every file
# must also be newer than STAMP (.ci/run empties roundtrip/ before its test stages and passes a stamp made then).
#
# Usage: scripts/check_roundtrip_all.sh [--newer STAMP] [--files-only] [Release|Debug]
#   --files-only   only the file checks, no PyTorch (scripts/ci/selftest.sh)
#   ROUNDTRIP_DIR / FIXTURE_DIR override the two directories (selftest)
set -euo pipefail
cd "$(dirname "$0")/.."
newer=""
files_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --newer) newer="$2"; shift 2 ;;
    --files-only) files_only=1; shift ;;
    *) break ;;
  esac
done
config="${1:-Release}"
dir="${ROUNDTRIP_DIR:-Runtime.Tests/bin/$config/net10.0/roundtrip}"
fixtures="${FIXTURE_DIR:-Runtime.Tests/Fixtures/forward}"
shopt -s nullglob
files=("$dir"/*)
if [ ${#files[@]} -eq 0 ]; then
  echo "no saved weights in $dir: run the tests first" >&2
  exit 1
fi

expected="$(cd "$fixtures" && ls -1 -- *.weights.safetensors | sort)"
found="$(cd "$dir" && ls -1A | sort)"
if [ "$expected" != "$found" ]; then
  echo "roundtrip/ does not hold exactly one saved file per forward fixture ($(wc -l <<<"$expected") fixtures, ${#files[@]} files):" >&2
  diff <(echo "$expected") <(echo "$found") | sed -n 's/^< /  missing: /p; s/^> /  unexpected: /p' >&2
  exit 1
fi
if [ -n "$newer" ]; then
  [ -e "$newer" ] || { echo "--newer: no such file $newer" >&2; exit 1; }
  stale=0
  for file in "${files[@]}"; do
    if ! [ "$file" -nt "$newer" ]; then
      echo "not written by this run (older than $newer): $file" >&2
      stale=$((stale + 1))
    fi
  done
  [ "$stale" -eq 0 ] || exit 1
fi
echo "roundtrip/: ${#files[@]} files, one per forward fixture${newer:+, all written after $newer}"
[ "$files_only" = 1 ] && exit 0

failed=0
for file in "${files[@]}"; do
  name=$(basename "$file" .weights.safetensors)
  if ! /usr/bin/python3.11 scripts/check_roundtrip.py "$file" "$fixtures/$name.data.safetensors" > /dev/null; then
    echo "FAIL: $name" >&2
    failed=$((failed + 1))
  fi
done
echo "PyTorch loaded ${#files[@]} files saved by Fixed: $((${#files[@]} - failed)) matched, $failed failed"
[ "$failed" -eq 0 ]
