"""Neural Amp Modeler .nam LSTM files with the outputs PyTorch computes from them, for [ModelFile]'s .nam import.

Run with Debian's PyTorch: /usr/bin/python3.11 scripts/make_nam_fixtures.py
Writes into Runtime.Tests/Fixtures/nam/:
- two_layer.nam: a synthetic file in NAM's layout (num_layers 2, input_size 1, hidden_size 5, sample_rate 44100), written
  from a seeded torch.nn.LSTM + nn.Linear and random initial states as NAM's trainer exports one (W = [weight_ih | weight_hh],
  b = bias_ih + bias_hh, then h0 and c0 per layer; then the head's weight and bias).
- signal.csv (the test signal, one sample a line) and {name}_y.csv (the outputs, one a line) for lstm.nam (NeuralAmpModelerCore's
  example model, committed beside this script's output with its LICENSE and SOURCE) and two_layer.nam.

The expected outputs come from parsing each .nam file here, independently of Fixed, into torch.nn.LSTM(batch_first=True)
with bias_ih = b and bias_hh = 0 (as NAM's own importer does) and the file's h0/c0 as the initial state, then nn.Linear.
scripts/verify_fixtures.py recomputes them in float64 from NAM's own cell formula (one matrix over [x; h]).
"""
import json
import math
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Runtime.Tests", "Fixtures", "nam")
STEPS = 2000


def signal():
    """A guitar-like test signal in [-1, 1]: a decaying chord with a sweep, then noise bursts at several levels."""
    rng = np.random.default_rng(20261202)
    t = np.arange(STEPS) / 48000.0
    chord = sum(np.sin(2 * math.pi * f * t) for f in (82.41, 123.47, 164.81)) / 3
    sweep = np.sin(2 * math.pi * (200 * t + 40000 * t * t))
    x = 0.8 * np.exp(-t * 60) * chord + 0.3 * sweep
    x[STEPS // 2:] += rng.uniform(-1, 1, STEPS - STEPS // 2) * np.repeat([0.05, 0.5, 1.0, 0.2], (STEPS - STEPS // 2) // 4)
    return np.clip(x, -1, 1).astype(np.float32)


def parse(path):
    """(input_size, hidden_size, num_layers, per-layer (w_ih, w_hh, b, h0, c0), head weight, head bias) from a .nam file."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    assert doc["architecture"] == "LSTM"
    cfg = doc["config"]
    i_size, h, n = cfg["input_size"], cfg["hidden_size"], cfg["num_layers"]
    w = np.asarray(doc["weights"], dtype=np.float32)
    at = 0

    def take(count):
        nonlocal at
        part = w[at:at + count]
        at += count
        return part

    layers = []
    for k in range(n):
        inputs = i_size if k == 0 else h
        m = take(4 * h * (inputs + h)).reshape(4 * h, inputs + h)
        layers.append((m[:, :inputs], m[:, inputs:], take(4 * h), take(h), take(h)))
    head_w = take(h).reshape(1, h)
    head_b = take(1)
    assert at == len(w), "weights left over"
    return i_size, h, n, layers, head_w, head_b, doc.get("sample_rate")


def torch_outputs(path, x):
    i_size, h, n, layers, head_w, head_b, _ = parse(path)
    lstm = torch.nn.LSTM(i_size, h, num_layers=n, batch_first=True)
    head = torch.nn.Linear(h, 1)
    with torch.no_grad():
        for k, (w_ih, w_hh, b, _, _) in enumerate(layers):
            getattr(lstm, f"weight_ih_l{k}").copy_(torch.from_numpy(w_ih))
            getattr(lstm, f"weight_hh_l{k}").copy_(torch.from_numpy(w_hh))
            getattr(lstm, f"bias_ih_l{k}").copy_(torch.from_numpy(b))
            getattr(lstm, f"bias_hh_l{k}").zero_()
        head.weight.copy_(torch.from_numpy(head_w))
        head.bias.copy_(torch.from_numpy(head_b))
        h0 = torch.from_numpy(np.stack([l[3] for l in layers])).reshape(n, 1, h)
        c0 = torch.from_numpy(np.stack([l[4] for l in layers])).reshape(n, 1, h)
        features, _ = lstm(torch.from_numpy(x).reshape(1, -1, i_size), (h0, c0))
        return head(features).reshape(-1).numpy()


def two_layer_document():
    """A NAM-layout file exported from a seeded LSTM(1, 5, num_layers=2) + Linear(5, 1) with random initial states."""
    torch.manual_seed(20261202)
    lstm = torch.nn.LSTM(1, 5, num_layers=2, batch_first=True)
    head = torch.nn.Linear(5, 1)
    with torch.no_grad():
        for p in lstm.parameters():
            p.mul_(3.0)   # PyTorch's U(±1/√5) scaled up, so that the gates leave their linear range as a trained amp's do
    h0 = 0.5 * torch.randn(2, 5)
    c0 = 0.5 * torch.randn(2, 5)
    parts = []
    for k in range(2):
        parts.append(torch.cat([getattr(lstm, f"weight_ih_l{k}"), getattr(lstm, f"weight_hh_l{k}")], dim=1).flatten())
        parts.append(getattr(lstm, f"bias_ih_l{k}") + getattr(lstm, f"bias_hh_l{k}"))
        parts += [h0[k], c0[k]]
    parts += [head.weight.flatten(), head.bias]
    weights = torch.cat([p.detach() for p in parts]).numpy().astype(np.float32)
    return {
        "version": "0.5.4",
        "metadata": {"name": "Fixed synthetic two-layer LSTM", "gear_type": "amp"},
        "architecture": "LSTM",
        "config": {"input_size": 1, "hidden_size": 5, "num_layers": 2},
        "weights": [float(v) for v in weights],
        "sample_rate": 44100,
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    with open(os.path.join(OUT, "two_layer.nam"), "w", encoding="utf-8") as f:
        json.dump(two_layer_document(), f)
    x = signal()
    np.savetxt(os.path.join(OUT, "signal.csv"), x, fmt="%.9g")
    for name in ("lstm", "two_layer"):
        y = torch_outputs(os.path.join(OUT, name + ".nam"), x)
        np.savetxt(os.path.join(OUT, name + "_y.csv"), y, fmt="%.9g")
        print(f"{name}: {len(y)} steps, output range [{y.min():.4f}, {y.max():.4f}]")


if __name__ == "__main__":
    main()
