#!/usr/bin/env bash
# Loads every weights file the C# tests saved (Runtime.Tests/bin/<config>/net10.0/roundtrip/) into PyTorch
# with load_state_dict(strict=True) and checks its forward pass against the matching fixture.
# Usage: scripts/check_roundtrip_all.sh [Release|Debug]
set -euo pipefail
cd "$(dirname "$0")/.."
config="${1:-Release}"
dir="Runtime.Tests/bin/$config/net10.0/roundtrip"
shopt -s nullglob
files=("$dir"/*.weights.safetensors)
if [ ${#files[@]} -eq 0 ]; then
  echo "no saved weights in $dir: run the tests first" >&2
  exit 1
fi
failed=0
for file in "${files[@]}"; do
  name=$(basename "$file" .weights.safetensors)
  if ! /usr/bin/python3.11 scripts/check_roundtrip.py "$file" "Runtime.Tests/Fixtures/forward/$name.data.safetensors" > /dev/null; then
    echo "FAIL: $name" >&2
    failed=$((failed + 1))
  fi
done
echo "PyTorch loaded ${#files[@]} files saved by Fixed: $((${#files[@]} - failed)) matched, $failed failed"
[ "$failed" -eq 0 ]
