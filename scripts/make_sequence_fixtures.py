#!/usr/bin/python3.11
"""Regenerates the PyTorch reference fixtures of the models with proj_size or bidirectional=True, from scratch.

    /usr/bin/python3.11 scripts/make_sequence_fixtures.py

Writes Runtime.Tests/Fixtures/sequence/<name>.{weights,data}.safetensors for every case in CASES: the weights as the
state_dict of `rnn = nn.LSTM/GRU/RNN(..., proj_size=, bidirectional=)` plus `linear = nn.Linear(D*R, O)` (the head), and
the data: one sequence from a random initial state (inputs, outputs, final state), the loss and every gradient of one
single-sequence backward (MSE over every step after the warm-up), and of one batched backward (B sequences from the
zero state; MSE on the last step, batch_first, for one direction; on every step, time-first, for bidirectional models),
and of one backward over sequences of different lengths (pack_padded_sequence, enforce_sorted=False; batch_first, NaN
padding, MSE over the valid steps). States are flat in Fixed's layout: per h_0 row (layer * D + direction),
h then c. Gradients are flat in state_dict order, which is Fixed's Parameters order.

Deterministic: one torch.manual_seed per case, one thread, float32: rerunning it rewrites every file byte for byte.
Each case is checked before it is written: no tensor's gradient is all zero.
"""
import math
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402

torch.set_num_threads(1)
torch.set_default_dtype(torch.float32)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Runtime.Tests", "Fixtures", "sequence")

# name: cell, I, H, L, proj, bidirectional, O (0 = no head), T, warm-up steps (one direction only), B, nonlinearity, bias
CASES = {
    "lstm_proj_l1_head": dict(cell="lstm", I=3, H=6, L=1, P=3, bi=False, O=2, T=5, k=0, B=3),
    "lstm_proj_l2": dict(cell="lstm", I=2, H=5, L=2, P=2, bi=False, O=0, T=6, k=2, B=2),
    "lstm_proj_l2_nobias_head": dict(cell="lstm", I=4, H=7, L=2, P=4, bi=False, O=3, T=4, k=1, B=2, bias=False),
    "lstm_proj_l1_h17": dict(cell="lstm", I=2, H=17, L=1, P=5, bi=False, O=1, T=4, k=0, B=2),
    # Bidirectional: every cell, one and two layers (layer 1 reads [forward, reverse] of layer 0), with and without a head.
    "rnn_bi_l1_head": dict(cell="rnn", I=2, H=4, L=1, P=0, bi=True, O=2, T=5, k=0, B=2),
    "rnn_bi_l2_relu": dict(cell="rnn", I=3, H=5, L=2, P=0, bi=True, O=0, T=4, k=0, B=3, nonlin="relu"),
    "gru_bi_l1": dict(cell="gru", I=3, H=5, L=1, P=0, bi=True, O=0, T=5, k=0, B=2),
    "gru_bi_l2_head": dict(cell="gru", I=2, H=4, L=2, P=0, bi=True, O=3, T=6, k=0, B=2),
    "gru_bi_l1_h17": dict(cell="gru", I=2, H=17, L=1, P=0, bi=True, O=1, T=4, k=0, B=2),
    "lstm_bi_l1_head": dict(cell="lstm", I=2, H=6, L=1, P=0, bi=True, O=1, T=5, k=0, B=2),
    "lstm_bi_l2_nobias": dict(cell="lstm", I=3, H=4, L=2, P=0, bi=True, O=0, T=4, k=0, B=2, bias=False),
    "lstm_bi_proj_l2_head": dict(cell="lstm", I=2, H=6, L=2, P=3, bi=True, O=2, T=5, k=0, B=2),
}


class M(nn.Module):
    def __init__(s, c):
        super().__init__()
        kind = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[c["cell"]]
        kwargs = dict(num_layers=c["L"], bias=c.get("bias", True), batch_first=True, bidirectional=c["bi"])
        if c["cell"] == "lstm" and c["P"] > 0:
            kwargs["proj_size"] = c["P"]
        if c["cell"] == "rnn":
            kwargs["nonlinearity"] = c.get("nonlin", "tanh")
        s.rnn = kind(c["I"], c["H"], **kwargs)
        R = c["P"] if c["P"] > 0 else c["H"]
        D = 2 if c["bi"] else 1
        s.linear = nn.Linear(D * R, c["O"]) if c["O"] > 0 else None

    def forward(s, x, state=None):
        out, state_n = s.rnn(x, state)
        return (s.linear(out) if s.linear is not None else out), state_n


def sizes(c):
    R = c["P"] if c["P"] > 0 else c["H"]
    D = 2 if c["bi"] else 1
    return R, D


def redraw(model):
    """Weights large enough that errors show, activations O(1): weights ~ U(+-min(0.6, 2/sqrt(fan_in))), biases ~ U(+-0.5)."""
    with torch.no_grad():
        for _, p in model.named_parameters():
            a = min(0.6, 2.0 / math.sqrt(p.shape[1])) if p.dim() == 2 else 0.5
            p.uniform_(-a, a)


def to_torch_state(c, flat):
    """Fixed's flat state (per row: h then c) -> PyTorch's h_0 [L*D, 1, R] (and c_0 [L*D, 1, H])."""
    R, D = sizes(c)
    H, rows = c["H"], c["L"] * D
    per = R + (H if c["cell"] == "lstm" else 0)
    h = torch.stack([flat[r * per:r * per + R] for r in range(rows)]).unsqueeze(1)
    if c["cell"] != "lstm":
        return h
    cc = torch.stack([flat[r * per + R:r * per + per] for r in range(rows)]).unsqueeze(1)
    return (h, cc)


def to_fixed_state(c, state):
    if c["cell"] != "lstm":
        return state[:, 0, :].reshape(-1)
    h, cc = state
    return torch.cat([torch.cat([h[r, 0], cc[r, 0]]) for r in range(h.shape[0])])


def flat_grads(model):
    return torch.cat([p.grad.reshape(-1) for p in model.state_dict(keep_vars=True).values()])


def check_grads(name, model):
    for key, p in model.state_dict(keep_vars=True).items():
        if p.grad is None or p.grad.abs().max().item() == 0:
            raise SystemExit(f"{name}: the gradient of {key} is zero: the case checks nothing there")


def advance(model, x, state):
    """Runs x [1, k, I] without gradient from state; returns the state after it (detached)."""
    with torch.no_grad():
        _, s = model.rnn(x, state)
    return s


def make(name, c, seed):
    torch.manual_seed(seed)
    model = M(c)
    redraw(model)
    R, D = sizes(c)
    I, T, k, B = c["I"], c["T"], c["k"], c["B"]
    O = c["O"] if c["O"] > 0 else D * R
    state_length = c["L"] * D * (R + (c["H"] if c["cell"] == "lstm" else 0))
    x = torch.randn(1, T, I)
    h0 = torch.randn(state_length) * 0.5
    data = {}
    with torch.no_grad():
        y, s_n = model(x, to_torch_state(c, h0))
    data["input"] = x.reshape(T, I)
    data["h0"] = h0
    data["output"] = y.reshape(T, O)
    data["state_n"] = to_fixed_state(c, s_n)

    # Single sequence: the first k steps only advance the state (no gradient flows into them), MSE over the rest.
    targets = torch.randn(T - k, O)
    model.zero_grad()
    s = to_torch_state(c, h0)
    if k > 0:
        s = advance(model, x[:, :k], s)
    y, s_end = model(x[:, k:], s)
    loss = nn.functional.mse_loss(y.reshape(T - k, O), targets)
    loss.backward()
    check_grads(name, model)
    data["targets"] = targets
    data["loss"] = loss.detach().reshape(1)
    data["grad"] = flat_grads(model)
    data["state_end"] = to_fixed_state(c, tuple(t.detach() for t in s_end) if isinstance(s_end, tuple) else s_end.detach())

    # Batched: B sequences from the zero state, MSE after k warm-up steps: one direction, on each sequence's last step,
    # batch_first; bidirectional, on every step, time-first ([T, B, I]): on the last step alone the reverse direction has
    # taken one step from the zero state, so its weight_hh would get no gradient and be left unchecked.
    bidirectional = c["bi"]
    xb = torch.randn(B, T, I)
    model.zero_grad()
    sb = None
    if k > 0:
        with torch.no_grad():
            _, sb = model.rnn(xb[:, :k])
    yb, _ = model(xb[:, k:], sb)
    if bidirectional:
        tb = torch.randn(B, T - k, O)
        lb = nn.functional.mse_loss(yb, tb)
    else:
        tb = torch.randn(B, O)
        lb = nn.functional.mse_loss(yb[:, -1, :], tb)
    lb.backward()
    check_grads(name + " (batched)", model)
    data["batch_input"] = xb.transpose(0, 1).contiguous() if bidirectional else xb
    data["batch_targets"] = tb.transpose(0, 1).contiguous() if bidirectional else tb
    data["batch_loss"] = lb.detach().reshape(1)
    data["batch_grad"] = flat_grads(model)

    # Sequences of different lengths, as pack_padded_sequence(enforce_sorted=False): B sequences padded to T (batch_first,
    # NaN in the padding, which must never be read), MSE over the valid steps only.
    lengths = torch.randint(1, T + 1, (B,))
    lengths[0] = T
    lengths[-1] = max(1, T - 2)
    xl = torch.randn(B, T, I)
    tl = torch.randn(B, T, O)
    valid = (torch.arange(T)[None, :] < lengths[:, None]).unsqueeze(-1)
    model.zero_grad()
    packed = nn.utils.rnn.pack_padded_sequence(xl, lengths, batch_first=True, enforce_sorted=False)
    out_packed, _ = model.rnn(packed)
    out, _ = nn.utils.rnn.pad_packed_sequence(out_packed, batch_first=True, total_length=T)
    yl = model.linear(out) if model.linear is not None else out
    ll = (((yl - tl) ** 2) * valid).sum() / (valid.sum() * O)
    ll.backward()
    check_grads(name + " (lengths)", model)
    nan = torch.tensor(float("nan"))
    data["len_input"] = torch.where(valid, xl, nan)
    data["len_targets"] = torch.where(valid, tl, nan)
    data["lengths"] = lengths.to(torch.float32)
    data["len_loss"] = ll.detach().reshape(1)
    data["len_grad"] = flat_grads(model)

    meta = {k2: str(v) for k2, v in c.items()}
    meta["batch_on"] = "all" if bidirectional else "last"
    meta["batch_layout"] = "time_first" if bidirectional else "batch_first"
    meta["torch"] = torch.__version__
    weights = {n: p.detach() for n, p in model.state_dict().items()}
    return weights, data, meta


def compute():
    """Every case's (name, weights, data, metadata), as main() writes them; writes nothing."""
    return [(name, *make(name, c, 7100 + i)) for i, (name, c) in enumerate(CASES.items())]


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, weights, data, meta in compute():
        st.save(os.path.join(OUT, name + ".data.safetensors"), data, meta)
        st.save(os.path.join(OUT, name + ".weights.safetensors"), weights)
        print("wrote", name)


if __name__ == "__main__":
    main()
