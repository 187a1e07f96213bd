#!/usr/bin/python3.11
"""Regenerates the PyTorch reference fixtures of learned initial states (LearnInitialState = true), used by
Runtime.Tests/Training/LearnedInitialStateTests.cs, from scratch.

    /usr/bin/python3.11 scripts/make_initial_state_fixtures.py

Each case is the module PyTorch code writes for a learned initial state:

    class M(nn.Module):
        def __init__(self):
            self.rnn = nn.LSTM(I, H, L, batch_first=True)          # or nn.RNN / nn.GRU
            self.linear = nn.Linear(H, O)                           # when O > 0
            self.h0 = nn.Parameter(torch.randn(L, 1, H) * 0.5)      # and c0 for the LSTM
        def forward(self, x):                                       # x [B, T, I]
            B = x.shape[0]
            state = self.h0.expand(L, B, H).contiguous()            # (h0, c0) for the LSTM
            ...

h0 and c0 start non-zero (as after training), so the forward pass depends on them. Warm-up as
scripts/make_fixtures.py: the first k steps run under no_grad (so no gradient reaches h0/c0), the loss
covers the remaining steps (all) or the last one, mean over every element as nn.MSELoss / nn.HuberLoss do.

Writes (relative to the repository root), per case <name>:
  Runtime.Tests/Fixtures/h0/<name>.weights.safetensors   rnn.*, linear.*, then rnn.h0 (and rnn.c0) in PyTorch's
                                                          shape [L, 1, H] (Fixed's Load accepts it beside [L, H])
  Runtime.Tests/Fixtures/h0/<name>.data.safetensors      input (as the C# Backward takes it: [B, T, I] or [T, B, I]),
                                                          targets (likewise), loss [1], grad.<name> for every tensor
                                                          (grad.rnn.h0 / grad.rnn.c0 as [L, H]), forward_output [T, O]
                                                          (sequence 0 from h0, no warm-up, eval: the inference check)
Metadata: loss, loss_on, warmup, layout, batch, seq_len.

ProjSize and Bidirectional (SEQUENCE_CASES): the same module with proj_size and/or bidirectional=True. h0 is then
PyTorch's h_0 shape, [L * directions, 1, proj_size or H] (row = layer * directions + direction), and c0
[L * directions, 1, H]; their gradients are written [L * directions, proj_size or H] and [L * directions, H].

Layer stacks (STACKS): a Linear + Tanh front-end, an LSTM and a GRU (each with or without a learned initial
state, as the case says) and a Linear head, batched from the learned states; the same files, with each layer's
tensors under its name (pre.*, enc.*, dec.*, out.*, enc.h0, enc.c0, dec.h0).

Checks (the script fails if one does not hold): with warm-up 0 every h0/c0 gradient row is non-zero (the
fixture sees a dropped initial-state gradient), and with warm-up > 0 it is exactly zero.
Deterministic: one torch.manual_seed per case, one thread, float32 throughout.
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402

torch.set_num_threads(1)
torch.set_default_dtype(torch.float32)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Runtime.Tests", "Fixtures", "h0")

CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}

# name, cell, I, H, L, O, B, T, warm-up, loss, loss_on, layout
CASES = [
    ("lstm_i2_h5_l2_o3_b3_mse_last", "lstm", 2, 5, 2, 3, 3, 6, 0, "mse", "last", "batch_first"),
    ("gru_i3_h4_l1_o2_b6_huber_all_tf", "gru", 3, 4, 1, 2, 6, 5, 0, "huber", "all", "time_first"),
    ("rnn_i1_h6_l3_o0_b2_mse_all", "rnn", 1, 6, 3, 0, 2, 7, 0, "mse", "all", "batch_first"),
    ("lstm_i2_h4_l1_o1_b5_mse_last_k2", "lstm", 2, 4, 1, 1, 5, 6, 2, "mse", "last", "batch_first"),
    # batch 1: the sequence-by-sequence path (larger batches go through the engine's grouped path)
    ("lstm_i2_h5_l2_o3_b1_huber_all", "lstm", 2, 5, 2, 3, 1, 5, 0, "huber", "all", "batch_first"),
]


# ProjSize / Bidirectional: name, cell, I, H, L, O, B, T, warm-up, loss, loss_on, layout, proj_size, bidirectional
SEQUENCE_CASES = [
    ("lstm_bi_proj_i3_h5_p3_l2_o2_b3_mse_last", "lstm", 3, 5, 2, 2, 3, 5, 0, "mse", "last", "batch_first", 3, True),
    ("gru_bi_i2_h4_l2_o0_b2_huber_all_tf", "gru", 2, 4, 2, 0, 2, 5, 0, "huber", "all", "time_first", 0, True),
    # batch 1: also the finite-difference oracle's model
    ("rnn_bi_i2_h5_l1_o3_b1_mse_all", "rnn", 2, 5, 1, 3, 1, 6, 0, "mse", "all", "batch_first", 0, True),
    ("lstm_proj_i2_h6_p2_l2_o1_b4_mse_all", "lstm", 2, 6, 2, 1, 4, 5, 0, "mse", "all", "batch_first", 2, False),
    # warm-up: no gradient reaches h0/c0
    ("lstm_proj_i2_h5_p3_l1_o2_b2_mse_last_k2", "lstm", 2, 5, 1, 2, 2, 6, 2, "mse", "last", "batch_first", 3, False),
]


class Model(nn.Module):
    def __init__(self, cell, I, H, L, O, proj=0, bidirectional=False):
        super().__init__()
        D = 2 if bidirectional else 1
        R = proj if proj > 0 else H
        self.cell, self.rows, self.R, self.H = cell, L * D, R, H
        extra = {"proj_size": proj} if proj > 0 else {}
        self.rnn = CELLS[cell](I, H, L, batch_first=True, bidirectional=bidirectional, **extra)
        self.linear = nn.Linear(D * R, O) if O > 0 else None
        self.h0 = nn.Parameter(torch.randn(L * D, 1, R) * 0.5)
        self.c0 = nn.Parameter(torch.randn(L * D, 1, H) * 0.5) if cell == "lstm" else None

    def initial(self, batch):
        h = self.h0.expand(self.rows, batch, self.R).contiguous()
        if self.c0 is None:
            return h
        return (h, self.c0.expand(self.rows, batch, self.H).contiguous())

    def forward(self, x, warmup):
        state = self.initial(x.shape[0])
        if warmup > 0:
            with torch.no_grad():
                _, state = self.rnn(x[:, :warmup], state)
        out, _ = self.rnn(x[:, warmup:], state)
        return self.linear(out) if self.linear is not None else out


def make(name, cell, I, H, L, O, B, T, k, loss_name, on, layout, proj=0, bidirectional=False):
    torch.manual_seed(sum(map(ord, name)))
    model = Model(cell, I, H, L, O, proj, bidirectional)
    outputs = O if O > 0 else (2 if bidirectional else 1) * model.R
    x = torch.randn(B, T, I)
    y = model(x, k)
    if on == "last":
        targets = torch.randn(B, outputs)
        prediction = y[:, -1]
    else:
        targets = torch.randn(B, T - k, outputs)
        prediction = y
    criterion = nn.MSELoss() if loss_name == "mse" else nn.HuberLoss()
    loss = criterion(prediction, targets)
    loss.backward()

    grads = {}
    weights = {}
    for pname, p in model.rnn.named_parameters():
        weights["rnn." + pname] = p.detach()
        grads["grad.rnn." + pname] = p.grad
    if model.linear is not None:
        for pname, p in model.linear.named_parameters():
            weights["linear." + pname] = p.detach()
            grads["grad.linear." + pname] = p.grad
    initial = [("h0", model.h0)] + ([("c0", model.c0)] if model.c0 is not None else [])
    for tname, p in initial:
        weights["rnn." + tname] = p.detach()  # [L, 1, H] (rows, 1, h): PyTorch's shape
        g = p.grad if p.grad is not None else torch.zeros_like(p)
        grads["grad.rnn." + tname] = g.reshape(p.shape[0], p.shape[2])
        rows = g.reshape(p.shape[0], p.shape[2]).abs().sum(dim=1)
        if k == 0 and not bool((rows > 0).all()):
            raise SystemExit(f"{name}: a {tname} gradient row is zero")
        if k > 0 and bool((rows != 0).any()):
            raise SystemExit(f"{name}: {tname} has a gradient through the warm-up")

    with torch.no_grad():
        forward_output = model(x[:1], 0)[0]

    if layout == "time_first":
        x_out = x.transpose(0, 1).contiguous()
        t_out = targets.transpose(0, 1).contiguous() if on == "all" else targets
    else:
        x_out, t_out = x, targets

    data = {"input": x_out, "targets": t_out, "loss": loss.detach().reshape(1), "forward_output": forward_output}
    data.update(grads)
    metadata = {"loss": loss_name, "loss_on": on, "warmup": str(k), "layout": layout, "batch": str(B), "seq_len": str(T)}
    if proj > 0 or bidirectional:
        metadata.update({"proj_size": str(proj), "bidirectional": str(bidirectional).lower()})
    return name, weights, data, metadata


# Layer stacks: [Linear(2, 4, Name = "pre")] [Tanh] [Recurrent(4, 5, Cell = Cell.Lstm, NumLayers = 2, Name = "enc", ...)]
# [Recurrent(5, 3, Cell = Cell.Gru, Name = "dec", ...)] [Linear(3, 2, Name = "out")]; which recurrent layers learn h0.
# name, enc learns, dec learns, B, T, loss_on
STACKS = [
    ("stack_enc_learned_b3_last", True, False, 3, 5, "last"),
    ("stack_both_learned_b2_all", True, True, 2, 4, "all"),
]


class Recurrent(nn.Module):
    """One [Recurrent] layer of a stack: the PyTorch module and, when it learns one, its initial state."""

    def __init__(self, cell, I, H, L, learned):
        super().__init__()
        self.cell, self.L, self.H = cell, L, H
        self.rnn = CELLS[cell](I, H, L, batch_first=True)
        self.h0 = nn.Parameter(torch.randn(L, 1, H) * 0.5) if learned else None
        self.c0 = nn.Parameter(torch.randn(L, 1, H) * 0.5) if learned and cell == "lstm" else None

    def forward(self, x):
        B = x.shape[0]
        if self.h0 is None:
            out, _ = self.rnn(x)
            return out
        h = self.h0.expand(self.L, B, self.H).contiguous()
        state = h if self.c0 is None else (h, self.c0.expand(self.L, B, self.H).contiguous())
        out, _ = self.rnn(x, state)
        return out


def make_stack(name, enc_learned, dec_learned, B, T, on):
    torch.manual_seed(sum(map(ord, name)))
    pre = nn.Linear(2, 4)
    enc = Recurrent("lstm", 4, 5, 2, enc_learned)
    dec = Recurrent("gru", 5, 3, 1, dec_learned)
    out = nn.Linear(3, 2)
    x = torch.randn(B, T, 2)
    y = out(dec(enc(torch.tanh(pre(x)))))
    targets = torch.randn(B, 2) if on == "last" else torch.randn(B, T, 2)
    loss = nn.MSELoss()(y[:, -1] if on == "last" else y, targets)
    loss.backward()

    weights, grads = {}, {}
    for prefix, module in (("pre", pre), ("enc", enc.rnn), ("dec", dec.rnn), ("out", out)):
        for pname, p in module.named_parameters():
            weights[prefix + "." + pname] = p.detach()
            grads["grad." + prefix + "." + pname] = p.grad
    for prefix, layer in (("enc", enc), ("dec", dec)):
        for tname in ("h0", "c0"):
            p = getattr(layer, tname)
            if p is None:
                continue
            weights[prefix + "." + tname] = p.detach()
            grads["grad." + prefix + "." + tname] = p.grad.reshape(layer.L, layer.H)
            if not bool((p.grad.reshape(layer.L, layer.H).abs().sum(dim=1) > 0).all()):
                raise SystemExit(f"{name}: a {prefix}.{tname} gradient row is zero")

    with torch.no_grad():
        forward_output = out(dec(enc(torch.tanh(pre(x[:1])))))[0]
    data = {"input": x, "targets": targets, "loss": loss.detach().reshape(1), "forward_output": forward_output}
    data.update(grads)
    metadata = {"loss": "mse", "loss_on": on, "warmup": "0", "layout": "batch_first", "batch": str(B), "seq_len": str(T)}
    return name, weights, data, metadata


def compute():
    """Every case's (name, weights, data, metadata), as main() writes them; writes nothing."""
    return ([make(*case) for case in CASES] + [make(*case) for case in SEQUENCE_CASES]
            + [make_stack(*case) for case in STACKS])


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, weights, data, metadata in compute():
        st.save(os.path.join(OUT, name + ".weights.safetensors"), weights)
        st.save(os.path.join(OUT, name + ".data.safetensors"), data, metadata)
        print(f"{name}: loss {data['loss'].item():.6f}")


if __name__ == "__main__":
    main()
