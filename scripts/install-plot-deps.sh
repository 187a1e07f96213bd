#!/usr/bin/env bash
# Installs what the examples' PNG plots need on a bare Debian/Ubuntu machine: ScottPlot renders through
# SkiaSharp, whose native library loads libfontconfig, and text needs at least one font.
set -euo pipefail
if ldconfig -p | grep -q 'libfontconfig\.so\.1' && fc-list 2>/dev/null | grep -q .; then
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libfontconfig1 fontconfig fonts-dejavu-core
