#!/usr/bin/python3.11
"""Proves that a weights file (e.g. written by C# `Save`) loads in PyTorch and computes the same thing.

    /usr/bin/python3.11 scripts/check_roundtrip.py <weights.safetensors> <forward data.safetensors>

Builds the PyTorch model described by the data file's metadata, loads the weights with
load_state_dict(strict=True) (every tensor present, nothing left over, shapes equal), runs it on
`input` from `h0` (and `c0`), and compares with `output` (and `h_n`/`c_n` when present):
max abs error must be < 1e-5. Prints OK, or the reason and exits 1.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402
from make_fixtures import model_from_meta  # noqa: E402

TOL = 1e-5


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    torch.set_num_threads(1)
    wpath, dpath = sys.argv[1], sys.argv[2]
    try:
        weights, _ = st.load_torch(wpath)
    except Exception as e:  # noqa: BLE001
        fail(f"{wpath} is not a valid safetensors file: {e}")
    data, md = st.load_torch(dpath)
    model = model_from_meta(md)
    try:
        model.load_state_dict(weights, strict=True)
    except Exception as e:  # noqa: BLE001
        fail(f"load_state_dict(strict=True) failed: {e}")
    lstm = md["cell"] == "lstm"
    x = data["input"].unsqueeze(0)
    h0 = data["h0"].unsqueeze(1)
    state = (h0, data["c0"].unsqueeze(1)) if lstm else h0
    with torch.no_grad():
        y, sn = model(x, state)
    errs = {"output": (y[0] - data["output"]).abs().max().item()}
    hn, cn = (sn[0], sn[1]) if lstm else (sn, None)
    if "h_n" in data:
        errs["h_n"] = (hn[:, 0] - data["h_n"]).abs().max().item()
    if lstm and "c_n" in data:
        errs["c_n"] = (cn[:, 0] - data["c_n"]).abs().max().item()
    bad = {k: v for k, v in errs.items() if not v < TOL}
    if bad:
        fail(f"max abs error over {TOL}: " + ", ".join(f"{k}={v:.3e}" for k, v in bad.items()))
    print("OK " + ", ".join(f"{k} max err {v:.2e}" for k, v in errs.items()))


if __name__ == "__main__":
    main()
