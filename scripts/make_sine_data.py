#!/usr/bin/python3.11
"""Writes the inputs of the SineWave example (D2L's "sequence models" data set).

    /usr/bin/python3.11 scripts/make_sine_data.py

examples/SineWave/sine_init.safetensors  the seed model's initial weights: torch.manual_seed(0), then
                                         nn.RNN(1, 32) + nn.Linear(32, 1) with PyTorch's default init
                                         (a plain state_dict: rnn.* and linear.*)
examples/SineWave/sine_data.safetensors  x [1000]: t = 1..1000, x = sin(0.01 t) + N(0, 0.2)  (seed 42)
                                         perm [10, 600]: the order of the 600 training samples in each
                                         of the 10 epochs (torch.randperm, seed 43), as float32
Samples: tau = 4; sample i has inputs x[i..i+3] (4 steps, 1 feature) and label x[i+4];
samples 0..599 train, 600..995 are held out.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402
from make_fixtures import M  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "examples", "SineWave")
T, TAU, N_TRAIN, EPOCHS = 1000, 4, 600, 10


def compute():
    """{file name: (tensors, metadata)} of the two files; scripts/verify_fixtures.py compares them with the files."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = M("rnn", 1, 32, 1, "tanh", True, 1)
    init = model.state_dict()

    g = torch.Generator().manual_seed(42)
    time = torch.arange(1, T + 1, dtype=torch.float32)
    x = torch.sin(0.01 * time) + torch.normal(0.0, 0.2, (T,), generator=g)
    gp = torch.Generator().manual_seed(43)
    perm = torch.stack([torch.randperm(N_TRAIN, generator=gp) for _ in range(EPOCHS)]).to(torch.float32)
    data = ({"x": x, "perm": perm},
            {"T": str(T), "tau": str(TAU), "n_train": str(N_TRAIN), "epochs": str(EPOCHS),
             "noise_std": "0.2", "x_seed": "42", "perm_seed": "43", "init_seed": "0",
             "description": "x = sin(0.01 t) + N(0, 0.2), t = 1..1000; sample i: inputs x[i..i+3], label x[i+4]"})
    return {"sine_init.safetensors": (init, None), "sine_data.safetensors": data}


def main():
    os.makedirs(OUT, exist_ok=True)
    files = compute()
    for name, (tensors, metadata) in files.items():
        st.save(os.path.join(OUT, name), tensors, metadata)
    x, perm = files["sine_data.safetensors"][0]["x"], files["sine_data.safetensors"][0]["perm"]
    print(f"wrote {os.path.relpath(OUT, ROOT)}/sine_init.safetensors, sine_data.safetensors "
          f"(x[:5]={x[:5].tolist()}, perm[0,:5]={perm[0, :5].tolist()})")

if __name__ == "__main__":
    main()
