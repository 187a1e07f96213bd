#!/usr/bin/env bash
# Installs Debian's PyTorch, the reference every fixture is made with (run scripts with /usr/bin/python3.11).
set -euo pipefail
if /usr/bin/python3.11 -c "import torch" 2>/dev/null; then
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-numpy
