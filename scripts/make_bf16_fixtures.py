#!/usr/bin/python3.11
"""PyTorch reference fixtures for WeightPrecision.BFloat16 models.

    /usr/bin/python3.11 scripts/make_bf16_fixtures.py

Writes Runtime.Tests/Fixtures/bf16/<name>.{weights,data}.safetensors. The weights file is the model's fp32 state_dict
(what a user loads into Parameters); the data file holds the input, the initial state, and the outputs and final state
PyTorch computes after rounding every weight_ih/weight_hh to bfloat16 (`w.to(torch.bfloat16).float()`, round to
nearest even) and keeping biases and the head fp32: what a BFloat16 model must compute. Also
Runtime.Tests/Fixtures/bf16/rounding.data.safetensors: fp32 values (ties, both signs, subnormals, the largest finite,
infinities) and what torch rounds them to. Deterministic: one seed per case, one thread.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402
from make_fixtures import F, build, redraw, cfg_meta, fwd_name, state_tuple, split_state  # noqa: E402

torch.set_num_threads(1)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Runtime.Tests", "Fixtures", "bf16")

CASES = [
    F("gru", 1, 64, 1, 1, 40, h0=True),
    F("lstm", 1, 64, 1, 1, 40, h0=True),
    F("gru", 3, 5, 2, 2, 12),
    F("lstm", 7, 9, 2, 3, 16, h0=True),
    F("rnn", 5, 40, 2, 2, 10, h0=True),
]


def rounded_copy(m):
    """The model with every weight_ih/weight_hh rounded to bfloat16 (biases and the head as they are)."""
    r = build_like(m)
    r.load_state_dict(m.state_dict())
    with torch.no_grad():
        for name, p in r.rnn.named_parameters():
            if name.startswith("weight_"):
                p.copy_(p.to(torch.bfloat16).to(torch.float32))
    return r


def build_like(m):
    return type(m)(m.cell, m.rnn.input_size, m.rnn.hidden_size, m.rnn.num_layers,
                   getattr(m.rnn, "nonlinearity", "tanh"), m.rnn.bias, m.linear.out_features if m.linear is not None else 0)


def make(c, seed):
    torch.manual_seed(seed)
    m = build(c)
    redraw(m)
    r = rounded_copy(m)
    I, H, L, T = c["I"], c["H"], c["L"], c["T"]
    x = torch.empty(T, I).uniform_(-1.5, 1.5)
    h0 = torch.empty(L, H).uniform_(-1, 1) if c["h0"] else torch.zeros(L, H)
    c0 = torch.empty(L, H).uniform_(-1, 1) if c["h0"] else torch.zeros(L, H)
    with torch.no_grad():
        y, sn = r(x.unsqueeze(0), state_tuple(c["cell"], h0.unsqueeze(1), c0.unsqueeze(1)))
        y32, _ = m(x.unsqueeze(0), state_tuple(c["cell"], h0.unsqueeze(1), c0.unsqueeze(1)))
    hn, cn = split_state(c["cell"], sn)
    data = {"input": x, "h0": h0}
    if c["cell"] == "lstm":
        data["c0"] = c0
    data["output"] = y[0]
    data["h_n"] = hn[:, 0]
    if c["cell"] == "lstm":
        data["c_n"] = cn[:, 0]
    # A sanity check of the fixture itself: rounding must change the outputs, or the test could not tell the two apart.
    assert (y - y32).abs().max().item() > 1e-5, fwd_name(c)
    return m, data, cfg_meta(c)


def rounding_cases():
    bits = [0x3F800000, 0x3F808000, 0x3F818000, 0x3F808001, 0x3F80FFFF, 0xBF808000, 0xBF818000, 0x00000001, 0x00008000,
            0x00018000, 0x807FFFFF, 0x7F7F7FFF, 0x7F7F8000, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000, 0x00000000,
            0x80000000, 0x3EAAAAAB, 0x40490FDB]
    g = torch.Generator().manual_seed(7)
    values = torch.tensor(bits, dtype=torch.int64).to(torch.int32).view(torch.float32)
    values = torch.cat([values, (torch.rand(2000, generator=g) * 2 - 1) * torch.exp2(torch.randint(-40, 40, (2000,), generator=g).float())])
    return {"value": values, "rounded": values.to(torch.bfloat16).to(torch.float32)}


def compute():
    """Every file this script writes, as (file name under Fixtures/bf16, tensors, metadata): also what
    scripts/verify_fixtures.py recomputes and compares with the committed files."""
    files = []
    for i, c in enumerate(CASES):
        m, data, meta = make(c, 9000 + i)
        name = fwd_name(c)
        files.append((name + ".weights.safetensors", m.state_dict(), None))
        files.append((name + ".data.safetensors", data, meta))
    files.append(("rounding.data.safetensors", rounding_cases(), None))
    return files


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, tensors, meta in compute():
        st.save(os.path.join(OUT, name), tensors, meta)
        print(name)


if __name__ == "__main__":
    main()
