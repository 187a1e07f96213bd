#!/usr/bin/python3.11
"""Regenerates the PyTorch reference fixtures of Dropout between stacked layers, used by
Runtime.Tests/Training/DropoutTests.cs, from scratch.

    /usr/bin/python3.11 scripts/make_dropout_fixtures.py

Each case is PyTorch's own module in training mode, nn.RNN / nn.GRU / nn.LSTM(I, H, L, dropout=p, batch_first=True)
(+ nn.Linear(H, O) when O > 0), after torch.manual_seed: the loss and every gradient come from its forward and
backward. Its masks are drawn inside the module (at::dropout: a [T, B, H] tensor per boundary, bernoulli_(1 - p), then
div_(1 - p)) and are not returned, so the script draws them again from the same seed in the same order and checks that
they are the ones the module used: the layers run one by one (each an nn.RNN/GRU/LSTM of one layer holding the module's
weights) with each boundary's output multiplied by its mask must give the module's output to 1e-6. The C# tests inject
those masks (Fixed's hash masks cannot be PyTorch's), so the expected numbers are PyTorch's.

ProjSize and Bidirectional (SEQUENCE_CASES): the same, with proj_size and/or bidirectional=True. The dropped tensor is
then each layer's whole output, [T, B, directions * (proj_size or H)] ([forward h, reverse h] of each step), as PyTorch
drops it; the layer-by-layer check rebuilds each layer as a one-layer module of the same kind.

Layer stacks (STACKS): a Linear + Tanh front-end, a two-layer LSTM with dropout, a GRU and a Linear head, the same
files with each layer's tensors under its name (pre.*, enc.*, dec.*, out.*); only the LSTM draws masks.

Warm-up k > 0: the first k steps run in eval mode under no_grad (as Fixed's Backward runs its warm-up steps: no
dropout, no gradient), the rest in training mode from the state they leave.

Writes (relative to the repository root), per case <name>:
  Runtime.Tests/Fixtures/dropout/<name>.weights.safetensors   rnn.*, linear.*
  Runtime.Tests/Fixtures/dropout/<name>.data.safetensors      input, targets (the C# Backward's layout), loss [1],
      grad.<name> per tensor, mask [B, T - k, L - 1, W] (W = H, or directions * (proj_size or H); the multipliers, 0 or 1 / (1 - p), per sequence, recorded step,
      boundary and unit), eval_loss [1] (the same batch in eval mode: Evaluate), forward_output [T, O] (sequence 0 in
      eval mode: Forward)
Metadata: loss, loss_on, warmup, layout, batch, seq_len, dropout.
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
OUT = os.path.join(ROOT, "Runtime.Tests", "Fixtures", "dropout")

CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}

# name, cell, I, H, L, O, B, T, warm-up, loss, loss_on, layout, p
CASES = [
    # p = 0: PyTorch's training mode is its eval mode; the model declares Dropout = 0 explicitly
    ("rnn_i2_h5_l2_o2_b3_p0", "rnn", 2, 5, 2, 2, 3, 5, 0, "mse", "all", "batch_first", 0.0),
    # batch 3: the engine's grouped path; three layers, two boundaries
    ("rnn_i2_h5_l3_o2_b3_p30_all", "rnn", 2, 5, 3, 2, 3, 6, 0, "mse", "all", "batch_first", 0.3),
    # batch 5: a group of four, then one sequence alone; time-first, no head
    ("gru_i3_h4_l2_o0_b5_p50_last_tf", "gru", 3, 4, 2, 0, 5, 5, 0, "huber", "last", "time_first", 0.5),
    # batch 1: the sequence-by-sequence path (and the single-sequence Backward)
    ("lstm_i2_h6_l2_o3_b1_p25_all", "lstm", 2, 6, 2, 3, 1, 7, 0, "mse", "all", "batch_first", 0.25),
    ("lstm_i2_h4_l3_o1_b4_p20_last", "lstm", 2, 4, 3, 1, 4, 5, 0, "mse", "last", "batch_first", 0.2),
    # warm-up: two steps in eval mode first
    ("gru_i2_h5_l2_o2_b2_p40_all_k2", "gru", 2, 5, 2, 2, 2, 6, 2, "mse", "all", "batch_first", 0.4),
]


# ProjSize / Bidirectional: name, cell, I, H, L, O, B, T, warm-up, loss, loss_on, layout, p, proj_size, bidirectional
SEQUENCE_CASES = [
    # the shape, small: a bidirectional projected LSTM, two layers, a head (boundary width 2 * proj_size)
    ("lstm_bi_proj_i3_h6_p3_l2_o2_b3_p20_all", "lstm", 3, 6, 2, 2, 3, 5, 0, "mse", "all", "batch_first", 0.2, 3, True),
    # three layers (two boundaries of 2H), no head, time-first
    ("gru_bi_i2_h5_l3_o0_b2_p40_last_tf", "gru", 2, 5, 3, 0, 2, 5, 0, "huber", "last", "time_first", 0.4, 0, True),
    # batch 1: the single-sequence Backward and the finite-difference oracle
    ("rnn_bi_i2_h4_l2_o2_b1_p30_all", "rnn", 2, 4, 2, 2, 1, 6, 0, "mse", "all", "batch_first", 0.3, 0, True),
    # a projection alone (boundary width proj_size), with a warm-up in eval mode
    ("lstm_proj_i2_h6_p4_l2_o1_b4_p25_last_k2", "lstm", 2, 6, 2, 1, 4, 7, 2, "mse", "last", "batch_first", 0.25, 4, False),
    # p = 0: training mode is eval mode; the model declares Dropout = 0 explicitly
    ("lstm_bi_i2_h4_l2_o2_b3_p0", "lstm", 2, 4, 2, 2, 3, 5, 0, "mse", "all", "batch_first", 0.0, 0, True),
]


def module(cell, I, H, L, p=0.0, proj=0, bidirectional=False):
    """nn.RNN / nn.GRU / nn.LSTM, batch first, with proj_size only when there is one (only the LSTM takes it)."""
    extra = {"proj_size": proj} if proj > 0 else {}
    return CELLS[cell](I, H, L, batch_first=True, dropout=p, bidirectional=bidirectional, **extra)


def width(H, proj, bidirectional):
    """Floats of one layer's output per step: directions * (proj_size or H)."""
    return (2 if bidirectional else 1) * (proj if proj > 0 else H)


class Model(nn.Module):
    def __init__(self, cell, I, H, L, O, p, proj=0, bidirectional=False):
        super().__init__()
        self.rnn = module(cell, I, H, L, p, proj, bidirectional)
        self.linear = nn.Linear(width(H, proj, bidirectional), O) if O > 0 else None

    def forward(self, x, warmup):
        state = None
        if warmup > 0:
            training = self.training
            self.eval()
            with torch.no_grad():
                _, state = self.rnn(x[:, :warmup])
            self.train(training)
        out, _ = self.rnn(x[:, warmup:], state)
        return self.linear(out) if self.linear is not None else out


def draw_masks(seed, L, T, B, W, p):
    """The masks the module draws, in its order: one [T, B, H] tensor per boundary (at::dropout's noise; all ones at
    p = 0, where the module draws none)."""
    torch.manual_seed(seed)
    masks = []
    for _ in range(L - 1):
        noise = torch.empty(T, B, W).bernoulli_(1 - p)
        noise.div_(1 - p)
        masks.append(noise)
    return masks


def layer_by_layer(rnn, cell, x, state, masks):
    """rnn's training forward (x [B, T, in] from state, a full [L * directions, B, h] state or None) rebuilt from
    one-layer modules of the same kind holding its weights, with each boundary's output multiplied by its mask drawn
    again."""
    L, H, proj, bidirectional = rnn.num_layers, rnn.hidden_size, rnn.proj_size, rnn.bidirectional
    D = 2 if bidirectional else 1
    h = x
    for layer in range(L):
        single = module(cell, rnn.input_size if layer == 0 else width(H, proj, bidirectional), H, 1, 0.0, proj, bidirectional)
        with torch.no_grad():
            for name, param in single.named_parameters():
                param.copy_(getattr(rnn, name.replace("_l0", "_l" + str(layer))))
        initial = None
        if state is not None:
            rows = slice(layer * D, (layer + 1) * D)
            initial = tuple(s[rows] for s in state) if cell == "lstm" else state[rows]
        h, _ = single(h, initial)
        if layer < L - 1:
            h = h * masks[layer].transpose(0, 1)
    return h


def check_masks(name, rebuilt, output, masks, p):
    error = (rebuilt - output.detach()).abs().max().item()
    if error > 1e-6:
        raise SystemExit(f"{name}: the masks drawn again are not the module's (max difference {error})")
    if p > 0:
        kept = torch.stack(masks).ne(0).float().mean().item()
        return f"kept {kept:.3f} of the units (1 - p = {1 - p})"
    return "p = 0"


def make(name, cell, I, H, L, O, B, T, k, loss_name, on, layout, p, log, proj=0, bidirectional=False):
    torch.manual_seed(sum(map(ord, name)))
    model = Model(cell, I, H, L, O, p, proj, bidirectional)
    W = width(H, proj, bidirectional)
    outputs = O if O > 0 else W
    x = torch.randn(B, T, I)
    targets = torch.randn(B, outputs) if on == "last" else torch.randn(B, T - k, outputs)
    criterion = nn.MSELoss() if loss_name == "mse" else nn.HuberLoss()

    def loss_of(y):
        return criterion(y[:, -1] if on == "last" else y, targets)

    mask_seed = 1000 + sum(map(ord, name))
    model.train()
    torch.manual_seed(mask_seed)
    y = model(x, k)
    loss = loss_of(y)
    loss.backward()

    masks = draw_masks(mask_seed, L, T - k, B, W, p)
    with torch.no_grad():
        state = None
        if k > 0:
            model.eval()
            _, state = model.rnn(x[:, :k])
            model.train()
        rebuilt = layer_by_layer(model.rnn, cell, x[:, k:], state, masks)
        rebuilt = model.linear(rebuilt) if model.linear is not None else rebuilt
    log(f"{name}: " + check_masks(name, rebuilt, y, masks, p))

    grads, weights = {}, {}
    for pname, param in model.rnn.named_parameters():
        weights["rnn." + pname] = param.detach()
        grads["grad.rnn." + pname] = param.grad
    if model.linear is not None:
        for pname, param in model.linear.named_parameters():
            weights["linear." + pname] = param.detach()
            grads["grad.linear." + pname] = param.grad

    model.eval()
    with torch.no_grad():
        eval_loss = loss_of(model(x, k))
        forward_output = model(x[:1], 0)[0]

    # [B, T - k, L - 1, H]: sequence, recorded step, boundary, unit (empty for one layer)
    mask = torch.stack(masks, dim=2).transpose(0, 1)
    if layout == "time_first":
        x_out = x.transpose(0, 1).contiguous()
        t_out = targets.transpose(0, 1).contiguous() if on == "all" else targets
    else:
        x_out, t_out = x, targets

    data = {"input": x_out, "targets": t_out, "loss": loss.detach().reshape(1), "eval_loss": eval_loss.reshape(1),
            "forward_output": forward_output, "mask": mask.contiguous()}
    data.update(grads)
    metadata = {"loss": loss_name, "loss_on": on, "warmup": str(k), "layout": layout, "batch": str(B), "seq_len": str(T),
                "dropout": repr(p)}
    if proj > 0 or bidirectional:
        metadata.update({"proj_size": str(proj), "bidirectional": str(bidirectional).lower()})
    log(f"{name}: loss {loss.item():.6f}, eval loss {eval_loss.item():.6f}")
    return {name + ".weights.safetensors": (weights, None), name + ".data.safetensors": (data, metadata)}


# A layer stack: [Linear(2, 4, Name = "pre")] [Tanh] [Recurrent(4, 5, Cell = Cell.Lstm, NumLayers = 2, Name = "enc",
# Dropout = 0.3)] [Recurrent(5, 3, Cell = Cell.Gru, Name = "dec")] [Linear(3, 2, Name = "out")]: only enc draws masks.
# name, B, T, loss_on
STACKS = [
    ("stack_enc_p30_b3_last", 3, 5, "last"),
    ("stack_enc_p30_b1_all", 1, 6, "all"),
]


def make_stack(name, B, T, on, log):
    torch.manual_seed(sum(map(ord, name)))
    p = 0.3
    pre = nn.Linear(2, 4)
    enc = nn.LSTM(4, 5, 2, batch_first=True, dropout=p)
    dec = nn.GRU(5, 3, batch_first=True)
    out = nn.Linear(3, 2)
    x = torch.randn(B, T, 2)
    targets = torch.randn(B, 2) if on == "last" else torch.randn(B, T, 2)

    def forward(x):
        return out(dec(enc(torch.tanh(pre(x)))[0])[0])

    def loss_of(y):
        return nn.MSELoss()(y[:, -1] if on == "last" else y, targets)

    mask_seed = 1000 + sum(map(ord, name))
    torch.manual_seed(mask_seed)
    y = forward(x)
    loss = loss_of(y)
    loss.backward()
    masks = draw_masks(mask_seed, 2, T, B, 5, p)
    with torch.no_grad():
        rebuilt = out(dec(layer_by_layer(enc, "lstm", torch.tanh(pre(x)), None, masks))[0])
    log(f"{name}: " + check_masks(name, rebuilt, y, masks, p))

    weights, grads = {}, {}
    for prefix, module in (("pre", pre), ("enc", enc), ("dec", dec), ("out", out)):
        for pname, param in module.named_parameters():
            weights[prefix + "." + pname] = param.detach()
            grads["grad." + prefix + "." + pname] = param.grad
    enc.eval()
    with torch.no_grad():
        eval_loss = loss_of(forward(x))
        forward_output = forward(x[:1])[0]
    data = {"input": x, "targets": targets, "loss": loss.detach().reshape(1), "eval_loss": eval_loss.reshape(1),
            "forward_output": forward_output, "mask": torch.stack(masks, dim=2).transpose(0, 1).contiguous()}
    data.update(grads)
    metadata = {"loss": "mse", "loss_on": on, "warmup": "0", "layout": "batch_first", "batch": str(B), "seq_len": str(T),
                "dropout": repr(p)}
    log(f"{name}: loss {loss.item():.6f}, eval loss {eval_loss.item():.6f}")
    return {name + ".weights.safetensors": (weights, None), name + ".data.safetensors": (data, metadata)}


def compute(log=print):
    """Every file this script writes, {file name under Fixtures/dropout: (tensors, metadata)}: also what
    scripts/verify_fixtures.py recomputes and compares with the committed files."""
    files = {}
    for case in CASES:
        files.update(make(*case, log))
    for case in SEQUENCE_CASES:
        files.update(make(*case[:13], log, *case[13:]))
    for case in STACKS:
        files.update(make_stack(*case, log))
    return files


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, (tensors, metadata) in compute().items():
        st.save(os.path.join(OUT, name), tensors, metadata)


if __name__ == "__main__":
    main()
