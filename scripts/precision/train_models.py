#!/usr/bin/python3.11
"""Trains the small models of the bfloat16 precision study (docs/precision.md) and writes what the C# side compares.

    /usr/bin/python3.11 scripts/precision/train_models.py OUT_DIR [--steps 100000] [--iterations 400]

The task is a stand-in for the guitar-amp / sensor models these networks are used for: one input, one output, a
nonlinearity with memory: y = 0.7 tanh(3 lp(x)) + 0.2 x, with lp a one-pole low-pass filter (coefficient 0.2, cut at 64 taps), on sums of
three sines of random frequencies and amplitudes plus noise. Each model (GRU and LSTM, hidden 32 and 64, a Linear head)
is trained with Adam (lr 3e-3, batches of 16 sequences of 256 steps) from a fixed seed, on one thread.

For each model, OUT_DIR/<key>/ gets:
  weights.safetensors  the trained fp32 state_dict (rnn.*, linear.*), what a user loads into Parameters
  input.f32            the test signal: --steps float32 values (a different draw from the training data)
  target.f32           the task's target on it
  torch_fp32.f32       PyTorch's outputs with the fp32 weights, from the zero state, one call over the whole signal
  torch_bf16.f32       PyTorch's outputs with weight_ih/weight_hh rounded to bfloat16 (w.to(torch.bfloat16).float())
  meta.json            sizes, training iterations, final training loss, the fp32 model's test MSE against the target
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import safetensors_io as st  # noqa: E402

torch.set_num_threads(1)

MODELS = [("gru", 32), ("gru", 64), ("lstm", 32), ("lstm", 64)]


class M(nn.Module):
    def __init__(self, cell, hidden):
        super().__init__()
        self.rnn = (nn.GRU if cell == "gru" else nn.LSTM)(1, hidden, batch_first=True)
        self.linear = nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.linear(out)


def signal(generator, batch, steps):
    t = torch.arange(steps, dtype=torch.float64)
    x = torch.zeros(batch, steps, dtype=torch.float64)
    for _ in range(3):
        freq = torch.rand(batch, 1, generator=generator, dtype=torch.float64) * 0.05 + 0.001
        phase = torch.rand(batch, 1, generator=generator, dtype=torch.float64) * 2 * math.pi
        amp = torch.rand(batch, 1, generator=generator, dtype=torch.float64) * 0.5
        x += amp * torch.sin(2 * math.pi * freq * t + phase)
    x += 0.02 * torch.randn(batch, steps, generator=generator, dtype=torch.float64)
    return x


def target(x):
    """0.7 tanh(3 lp(x)) + 0.2 x; lp: the one-pole low-pass acc += 0.2 (x - acc), as its impulse response cut at 64 taps."""
    taps = 0.2 * 0.8 ** torch.arange(64, dtype=x.dtype)
    lp = nn.functional.conv1d(nn.functional.pad(x.unsqueeze(1), (63, 0)), taps.flip(0).view(1, 1, -1)).squeeze(1)
    return 0.7 * torch.tanh(3 * lp) + 0.2 * x


def write_f32(path, tensor):
    np.ascontiguousarray(tensor.detach().reshape(-1).to(torch.float32).numpy()).astype("<f4").tofile(path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--iterations", type=int, default=400)
    args = parser.parse_args()

    test_generator = torch.Generator().manual_seed(12345)
    test_x = signal(test_generator, 1, args.steps)
    test_y = target(test_x)
    for index, (cell, hidden) in enumerate(MODELS):
        key = f"{cell}{hidden}"
        torch.manual_seed(100 + index)
        generator = torch.Generator().manual_seed(200 + index)
        model = M(cell, hidden)
        model.cell, model.hidden = cell, hidden
        optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
        loss = None
        for _ in range(args.iterations):
            x = signal(generator, 16, 256)
            y = target(x)
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(x.unsqueeze(-1).float()).squeeze(-1), y.float())
            loss.backward()
            optimizer.step()

        with torch.no_grad():
            inputs = test_x.unsqueeze(-1).float()
            fp32 = model(inputs).reshape(-1)
            bf16 = rounded_model(model)(inputs).reshape(-1)
        directory = os.path.join(args.out, key)
        os.makedirs(directory, exist_ok=True)
        st.save(os.path.join(directory, "weights.safetensors"), model.state_dict())
        write_f32(os.path.join(directory, "input.f32"), test_x)
        write_f32(os.path.join(directory, "target.f32"), test_y)
        write_f32(os.path.join(directory, "torch_fp32.f32"), fp32)
        write_f32(os.path.join(directory, "torch_bf16.f32"), bf16)
        meta = {
            "cell": cell, "hidden": hidden, "iterations": args.iterations, "steps": args.steps,
            "final_training_loss": float(loss.item()),
            "test_mse_fp32": float(((fp32.double() - test_y.reshape(-1)) ** 2).mean().item()),
            "test_mse_bf16": float(((bf16.double() - test_y.reshape(-1)) ** 2).mean().item()),
            "target_rms": float(test_y.pow(2).mean().sqrt().item()),
        }
        with open(os.path.join(directory, "meta.json"), "w") as f:
            json.dump(meta, f, indent=1)
        print(key, json.dumps(meta), flush=True)


def rounded_model(model):
    copy = M(model.cell, model.hidden)
    copy.load_state_dict(model.state_dict())
    with torch.no_grad():
        for name, p in copy.rnn.named_parameters():
            if name.startswith("weight_"):
                p.copy_(p.to(torch.bfloat16).to(torch.float32))
    return copy


if __name__ == "__main__":
    main()
