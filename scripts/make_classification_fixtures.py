#!/usr/bin/python3.11
"""Classification helpers from real PyTorch, for Runtime.Tests/Classification/*.

    /usr/bin/python3.11 scripts/make_classification_fixtures.py

Writes Runtime.Tests/Fixtures/classification/softmax.data.safetensors: logits [rows, classes] (random rows, rows with
logits far above exp's float32 range, ties, -inf entries), torch.softmax(logits, dim=-1) and torch.argmax(logits,
dim=-1) (stored as float32), computed by PyTorch in float32.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Runtime.Tests", "Fixtures", "classification")


def softmax():
    g = torch.Generator().manual_seed(17)
    random_rows = torch.randn(6, 5, generator=g) * 3
    special = torch.tensor([
        [100.0, 90.0, -50.0, 0.0, 99.5],        # exp(100) overflows float32: PyTorch subtracts the maximum
        [2.0, 2.0, -1.0, 2.0, 0.5],             # a three-way tie: argmax is the first
        [-float("inf"), 1.0, -float("inf"), 0.0, -3.0],
        [-1000.0, -1001.0, -999.0, -1000.5, -2000.0],
    ])
    logits = torch.cat([random_rows, special]).to(torch.float32)
    tensors = {
        "logits": logits,
        "probabilities": torch.softmax(logits, dim=-1),
        "argmax": torch.argmax(logits, dim=-1).to(torch.float32),
    }
    return tensors, {"torch": torch.__version__}


def compute():
    """{file name: (tensors, metadata)}; scripts/verify_fixtures.py compares them with the committed files."""
    return {"softmax.data.safetensors": softmax()}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, (tensors, metadata) in compute().items():
        path = os.path.join(OUT, name)
        st.save(path, tensors, metadata=metadata)
        print("wrote", path, {k: list(v.shape) for k, v in tensors.items()})


if __name__ == "__main__":
    main()
