#!/usr/bin/python3.11
"""Export the benchmark networks' single step to ONNX for the ONNX Runtime baseline.

Each network is `nn.RNN/GRU/LSTM(I, H)` + `nn.Linear(H, 1)`, exported as one step with explicit state:
inputs  x [1, 1, I], h0 [1, 1, H] (and c0 for the LSTM);
outputs y [1, 1, 1], hn [1, 1, H] (and cn).
The C# side (Benchmarks/Baselines/OrtNetwork.cs) binds these names to pinned buffers and feeds hn back as h0.

Also the many-streams networks (GRU 1->32, LSTM 4->64, GRU 1->128) under batched/, with a dynamic batch axis
(x [1, N, I], h0/c0 [1, N, H], y [1, N, 1]): ONNX Runtime's batched Run beside our multi-stream Step
(`dotnet run -c Release --project Benchmarks -- streams`).

Only input size 1 and hidden 8/16/32/64 are exported: the issue's target networks, and small enough to commit
(~180 KB); the full grid would be ~1.5 MB. Also writes checks.json: ten steps of PyTorch eager outputs from the
zero state, which `dotnet run --project Benchmarks -- verify` compares against ONNX Runtime.

Run with Debian's PyTorch: /usr/bin/python3.11 scripts/bench/export_onnx.py
"""
import argparse
import json
import os
import warnings

import torch
from torch import nn

CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
HIDDEN = [8, 16, 32, 64]
INPUT = 1
CHECK_STEPS = 10
BATCHED = [("gru", 1, 32), ("lstm", 4, 64), ("gru", 1, 128)]


class Net(nn.Module):
    def __init__(self, cell, input_size, hidden):
        super().__init__()
        self.lstm = cell == "lstm"
        self.rnn = CELLS[cell](input_size, hidden)
        self.linear = nn.Linear(hidden, 1)

    def forward(self, x, h0, c0=None):
        if self.lstm:
            y, (hn, cn) = self.rnn(x, (h0, c0))
            return self.linear(y), hn, cn
        y, hn = self.rnn(x, h0)
        return self.linear(y), hn


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(root, "Benchmarks", "onnx"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    warnings.filterwarnings("ignore")
    torch.manual_seed(0)
    checks = []
    for cell in CELLS:
        for hidden in HIDDEN:
            net = Net(cell, INPUT, hidden).eval()
            x = torch.zeros(1, 1, INPUT)
            h0 = torch.zeros(1, 1, hidden)
            lstm = cell == "lstm"
            example = (x, h0, torch.zeros(1, 1, hidden)) if lstm else (x, h0)
            names_in = ["x", "h0", "c0"] if lstm else ["x", "h0"]
            names_out = ["y", "hn", "cn"] if lstm else ["y", "hn"]
            stem = f"{cell}_{INPUT}_{hidden}"
            path = os.path.join(args.out, stem + ".onnx")
            torch.onnx.export(net, example, path, input_names=names_in, output_names=names_out,
                              opset_version=14, do_constant_folding=True)

            inputs = torch.rand(CHECK_STEPS, INPUT) * 2 - 1
            outputs = []
            with torch.no_grad():
                h = torch.zeros(1, 1, hidden)
                c = torch.zeros(1, 1, hidden)
                for t in range(CHECK_STEPS):
                    xt = inputs[t].view(1, 1, INPUT)
                    if lstm:
                        y, h, c = net(xt, h, c)
                    else:
                        y, h = net(xt, h)
                    outputs.append(float(y.item()))
            checks.append({"network": stem, "inputs": [float(v) for v in inputs.flatten()], "outputs": outputs})
            print(f"{path}: {os.path.getsize(path):,} bytes")

    batched = os.path.join(args.out, "batched")
    os.makedirs(batched, exist_ok=True)
    for cell, input_size, hidden in BATCHED:
        net = Net(cell, input_size, hidden).eval()
        lstm = cell == "lstm"
        streams = 4
        x = torch.zeros(1, streams, input_size)
        h0 = torch.zeros(1, streams, hidden)
        example = (x, h0, torch.zeros(1, streams, hidden)) if lstm else (x, h0)
        names_in = ["x", "h0", "c0"] if lstm else ["x", "h0"]
        names_out = ["y", "hn", "cn"] if lstm else ["y", "hn"]
        axes = {name: {1: "streams"} for name in names_in + names_out}
        path = os.path.join(batched, f"{cell}_{input_size}_{hidden}.onnx")
        torch.onnx.export(net, example, path, input_names=names_in, output_names=names_out,
                          dynamic_axes=axes, opset_version=14, do_constant_folding=True)
        print(f"{path}: {os.path.getsize(path):,} bytes")

    with open(os.path.join(args.out, "checks.json"), "w", encoding="utf-8") as f:
        json.dump(checks, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
