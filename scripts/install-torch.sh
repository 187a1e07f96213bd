#!/usr/bin/env bash
# Installs Debian's PyTorch, the reference every fixture is made with (run scripts with /usr/bin/python3.11), and
# Debian's onnx package, which scripts/make_onnx_fixtures.py (and so verify_fixtures.py) uses to write the ONNX
# variants torch.onnx.export does not produce (float_data initializers, rewritten attributes).
set -euo pipefail
if /usr/bin/python3.11 -c "import torch, onnx" 2>/dev/null; then
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-numpy python3-onnx
