#!/usr/bin/python3.11
"""Regenerates the PyTorch reference fixtures used by Runtime.Tests, from scratch.

    /usr/bin/python3.11 scripts/make_fixtures.py

Writes (relative to the repository root):
  Runtime.Tests/Fixtures/forward/<name>.{weights,data}.safetensors   forward parity
  Runtime.Tests/Fixtures/grad/<name>.{weights,data}.safetensors      BPTT gradient parity
  Runtime.Tests/Fixtures/clip.data.safetensors                        clip_grad_norm_/clip_grad_value_
  Runtime.Tests/Fixtures/optim/<name>.data.safetensors               torch.optim SGD/Adam/AdamW
  Runtime.Tests/Parity/FixtureModels.cs                               C# declarations of every model

Deterministic: one torch.manual_seed per config, one thread, float32 throughout: rerunning it rewrites every file
byte for byte. Every gradient case is checked before anything is written (check_grads): no gradient tensor is zero
or nearly so, and cutting the recurrence changes each weight_hh gradient wherever backward spans two steps or more.
(Runtime.Tests/Fixtures/sine_first20.data.safetensors is written by scripts/sine_pytorch.py.)
"""
import math
import os
import shutil
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402

torch.set_num_threads(1)
torch.set_default_dtype(torch.float32)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "Runtime.Tests", "Fixtures")
CS_OUT = os.path.join(ROOT, "Runtime.Tests", "Parity", "FixtureModels.cs")


# ----------------------------------------------------------------------------------------------
# The model (shared with check_roundtrip.py and verify_fixtures.py)
# ----------------------------------------------------------------------------------------------
class M(nn.Module):
    def __init__(s, cell, I, H, L, nonlin, bias, O):
        super().__init__()
        s.rnn = {
            'rnn': lambda: nn.RNN(I, H, L, nonlinearity=nonlin, bias=bias, batch_first=True),
            'gru': lambda: nn.GRU(I, H, L, bias=bias, batch_first=True),
            'lstm': lambda: nn.LSTM(I, H, L, bias=bias, batch_first=True),
        }[cell]()
        s.linear = nn.Linear(H, O) if O > 0 else None  # head at every step; always has a bias
        s.cell = cell

    def forward(s, x, state=None):
        """x [B, T, I]; state: h [L,B,H] or (h, c) for lstm, or None (zeros). Returns (y [B,T,Oeff], state)."""
        out, st_n = s.rnn(x, state)
        y = s.linear(out) if s.linear is not None else out
        return y, st_n


def model_from_meta(md):
    return M(md["cell"], int(md["input_size"]), int(md["hidden_size"]), int(md["num_layers"]),
             md["nonlinearity"], md["bias"] == "true", int(md["output_size"]))


def redraw(model):
    """Re-draws every parameter so weights are large enough that errors show, yet activations
    stay O(1) (ReLU RNNs must not explode): weights ~ U(+-min(0.6, 2/sqrt(fan_in))), biases ~ U(+-0.5)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2:
                a = min(0.6, 2.0 / math.sqrt(p.shape[1]))
            else:
                a = 0.5
            p.uniform_(-a, a)


def cfg_meta(c):
    return {
        "cell": c["cell"],
        "input_size": str(c["I"]),
        "hidden_size": str(c["H"]),
        "num_layers": str(c["L"]),
        "nonlinearity": c.get("nonlin", "tanh"),
        "bias": "true" if c.get("bias", True) else "false",
        "output_size": str(c["O"]),
        "seq_len": str(c["T"]),
    }


def base_name(c):
    n = f'{c["cell"]}_i{c["I"]}_h{c["H"]}_l{c["L"]}'
    if c.get("nonlin", "tanh") == "relu":
        n += "_relu"
    if not c.get("bias", True):
        n += "_nobias"
    n += f'_o{c["O"]}'
    return n


def build(c):
    return M(c["cell"], c["I"], c["H"], c["L"], c.get("nonlin", "tanh"), c.get("bias", True), c["O"])


def state_tuple(cell, h, c):
    return (h, c) if cell == "lstm" else h


def split_state(cell, s):
    return (s[0], s[1]) if cell == "lstm" else (s, None)


# ----------------------------------------------------------------------------------------------
# a) forward fixtures
# ----------------------------------------------------------------------------------------------
def F(cell, I, H, L, O, T, nonlin="tanh", bias=True, h0=False):
    return dict(cell=cell, I=I, H=H, L=L, O=O, T=T, nonlin=nonlin, bias=bias, h0=h0)


FORWARD = [
    # rnn
    F("rnn", 1, 1, 1, 0, 1),
    F("rnn", 1, 32, 1, 1, 50, h0=True),                  # the seed's model
    F("rnn", 3, 3, 2, 2, 7, nonlin="relu", h0=True),
    F("rnn", 2, 5, 1, 0, 10, bias=False),
    F("rnn", 7, 7, 3, 3, 13, h0=True),
    F("rnn", 4, 13, 2, 5, 20, nonlin="relu", bias=False),
    F("rnn", 5, 17, 1, 0, 33, h0=True),
    F("rnn", 6, 31, 2, 7, 17),
    F("rnn", 1, 33, 1, 1, 50, nonlin="relu", h0=True),
    F("rnn", 3, 47, 3, 0, 5, bias=False, h0=True),
    F("rnn", 2, 64, 1, 4, 25),
    F("rnn", 7, 70, 2, 2, 9, nonlin="relu", h0=True),
    F("rnn", 1, 2, 3, 1, 3, nonlin="relu", bias=False),
    # gru
    F("gru", 1, 1, 1, 0, 1),
    F("gru", 1, 32, 1, 1, 50, h0=True),
    F("gru", 3, 17, 2, 4, 20, bias=False),
    F("gru", 2, 5, 3, 0, 12, h0=True),
    F("gru", 7, 13, 1, 0, 30, bias=False, h0=True),
    F("gru", 4, 33, 2, 3, 8),
    F("gru", 5, 64, 1, 2, 15, h0=True),
    F("gru", 6, 3, 2, 0, 40),
    F("gru", 2, 70, 1, 0, 4, bias=False, h0=True),
    # lstm
    F("lstm", 1, 1, 1, 0, 1, h0=True),
    F("lstm", 1, 32, 1, 1, 50),
    F("lstm", 3, 7, 2, 2, 16, h0=True),
    F("lstm", 2, 13, 3, 0, 9, bias=False),
    F("lstm", 7, 31, 1, 5, 25, h0=True),
    F("lstm", 4, 47, 1, 0, 12, bias=False),
    F("lstm", 5, 64, 1, 3, 6, h0=True),
    F("lstm", 6, 17, 2, 0, 33, h0=True),
    F("lstm", 3, 70, 1, 1, 3),
]


def fwd_name(c):
    return base_name(c) + f'_t{c["T"]}' + ("_h0" if c["h0"] else "")


def make_forward(c, seed):
    torch.manual_seed(seed)
    m = build(c)
    redraw(m)
    I, H, L, T = c["I"], c["H"], c["L"], c["T"]
    x = torch.empty(T, I).uniform_(-1.5, 1.5)
    if c["h0"]:
        h0 = torch.empty(L, H).uniform_(-1, 1)
        c0 = torch.empty(L, H).uniform_(-1, 1)
    else:
        h0 = torch.zeros(L, H)
        c0 = torch.zeros(L, H)
    with torch.no_grad():
        y, sn = m(x.unsqueeze(0), state_tuple(c["cell"], h0.unsqueeze(1), c0.unsqueeze(1)))
    hn, cn = split_state(c["cell"], sn)
    data = {"input": x, "h0": h0}
    if c["cell"] == "lstm":
        data["c0"] = c0
    data["output"] = y[0]
    data["h_n"] = hn[:, 0]
    if c["cell"] == "lstm":
        data["c_n"] = cn[:, 0]
    return m, data, cfg_meta(c)


# ----------------------------------------------------------------------------------------------
# b) gradient fixtures
# ----------------------------------------------------------------------------------------------
def G(cell, I, H, L, O, T, W, loss, on, k, nonlin="tanh", bias=True, h0=False, mode="single",
      layout=None, B=None, seed=None):
    """seed: None for the default (2000 + the case's index); set only where the default draw fails check_grads."""
    assert T <= W and 0 <= k < T
    if loss == "cross_entropy":
        assert O >= 2
    if mode == "batched":
        assert layout in ("batch_first", "time_first") and B
    return dict(cell=cell, I=I, H=H, L=L, O=O, T=T, window=W, loss=loss, on=on, k=k, nonlin=nonlin,
                bias=bias, h0=h0, mode=mode, layout=layout, B=B, seed=seed)


def S(*a, **kw):
    return G(*a, mode="single", **kw)


def Bf(*a, B, **kw):
    return G(*a, mode="batched", layout="batch_first", B=B, **kw)


def Tf(*a, B, **kw):
    return G(*a, mode="batched", layout="time_first", B=B, **kw)


GRAD = [
    # rnn                                        T   W   loss             on      k
    S("rnn", 1, 8, 1, 1,                         10, 16, "mse",           "all",  0, h0=True),
    # seed: the default (2001) left every unit of both layers dead at the loss's step, so both weight_hh gradients were
    # zero; 6001 is the first of 2001 + 1000 j whose every gradient tensor is at least half nonzero.
    S("rnn", 2, 5, 2, 3,                          8,  8, "l1",            "last", 2, nonlin="relu", h0=True, seed=6001),
    S("rnn", 3, 7, 1, 0,                         12, 20, "huber",         "all",  3, bias=False),
    Bf("rnn", 1, 32, 1, 1,                        4,  4, "mse",           "last", 0, B=16),
    Tf("rnn", 4, 13, 3, 4,                        9, 12, "cross_entropy", "all",  2, B=3),
    Bf("rnn", 2, 3, 2, 2,                         6, 64, "huber",         "all",  0, nonlin="relu", bias=False, B=5),
    S("rnn", 5, 17, 1, 5,                        15, 32, "cross_entropy", "last", 4, nonlin="relu", h0=True),
    S("rnn", 1, 1, 1, 0,                          1,  1, "mse",           "all",  0),
    Tf("rnn", 3, 9, 2, 2,                        10, 10, "l1",            "last", 3, B=4),
    S("rnn", 6, 20, 1, 3,                        20, 24, "cross_entropy", "all",  1, bias=False, h0=True),
    Bf("rnn", 2, 6, 3, 0,                         7,  8, "mse",           "all",  1, nonlin="relu", B=2),
    S("rnn", 1, 33, 1, 1,                        30, 30, "huber",         "last", 0),
    Tf("rnn", 3, 4, 1, 3,                         5, 16, "cross_entropy", "last", 0, nonlin="relu", B=6),
    S("rnn", 2, 11, 2, 2,                        14, 16, "l1",            "all",  6, nonlin="relu", bias=False, h0=True),
    # gru
    S("gru", 1, 8, 1, 1,                         12, 16, "mse",           "all",  0, h0=True),
    S("gru", 3, 5, 2, 3,                          9,  9, "cross_entropy", "last", 2, bias=False, h0=True),
    S("gru", 2, 13, 1, 0,                        10, 12, "l1",            "all",  3),
    Bf("gru", 4, 7, 3, 2,                         6,  8, "huber",         "all",  1, B=3),
    Bf("gru", 1, 32, 1, 1,                        4,  4, "mse",           "last", 0, B=16),
    Tf("gru", 5, 17, 2, 4,                        8, 10, "cross_entropy", "all",  0, B=4),
    Tf("gru", 2, 3, 1, 2,                        11, 16, "l1",            "last", 2, bias=False, B=5),
    S("gru", 6, 10, 1, 0,                         1,  2, "huber",         "last", 0, h0=True),
    S("gru", 3, 9, 2, 3,                         20, 20, "mse",           "all",  5),
    # lstm
    S("lstm", 1, 8, 1, 1,                        12, 16, "mse",           "all",  0, h0=True),
    S("lstm", 3, 5, 2, 3,                         9,  9, "cross_entropy", "last", 2, bias=False, h0=True),
    S("lstm", 2, 13, 1, 0,                       10, 12, "l1",            "all",  3, h0=True),
    Bf("lstm", 4, 7, 3, 2,                        6,  8, "huber",         "all",  1, B=3),
    Tf("lstm", 1, 32, 1, 1,                       4,  4, "mse",           "last", 0, B=16),
    Bf("lstm", 5, 17, 2, 4,                       8, 10, "cross_entropy", "all",  0, B=4),
    Tf("lstm", 2, 3, 1, 2,                       11, 16, "l1",            "last", 2, bias=False, B=5),
    S("lstm", 6, 10, 1, 0,                        1,  2, "huber",         "last", 0, h0=True),
    S("lstm", 3, 9, 2, 3,                        20, 20, "mse",           "all",  5),
    # One sequence through whole vectors of 16 and 32 units: with AVX-512 the backward sweep then reads W_hhᵀ column by
    # column from the packed copy (RecurrentEngine.SweepsPackedColumns), which before these was held to PyTorch only
    # through the batched-equals-one-by-one tests.
    S("rnn", 1, 32, 1, 1,                        16, 16, "mse",           "all",  2, h0=True),
    S("gru", 1, 32, 1, 1,                        16, 16, "mse",           "all",  2, h0=True),
    S("lstm", 1, 32, 1, 1,                       16, 16, "mse",           "all",  2, h0=True),
    S("gru", 2, 16, 1, 2,                        12, 12, "huber",         "last", 1),
]

LOSS_SHORT = {"mse": "mse", "l1": "l1", "huber": "huber", "cross_entropy": "ce"}


def grad_name(c):
    n = base_name(c)
    if c["mode"] == "single":
        n += "_single"
    else:
        n += ("_bf" if c["layout"] == "batch_first" else "_tf") + f'_b{c["B"]}'
    n += f'_{LOSS_SHORT[c["loss"]]}_{c["on"]}_k{c["k"]}_t{c["T"]}_w{c["window"]}'
    if c["h0"]:
        n += "_h0"
    return n


def loss_fn(name):
    return {"mse": nn.MSELoss(), "l1": nn.L1Loss(), "huber": nn.HuberLoss(),
            "cross_entropy": nn.CrossEntropyLoss()}[name]


def draw_targets(c, shape_lead):
    """shape_lead: leading dims (without the class/output dim)."""
    O = c["O"] if c["O"] > 0 else c["H"]
    if c["loss"] == "cross_entropy":
        return torch.randint(0, c["O"], tuple(shape_lead)).to(torch.float32)
    if c["loss"] == "huber":  # spread so both the quadratic and the linear part of Huber are hit
        return torch.empty(*shape_lead, O).uniform_(-2.5, 2.5)
    return torch.empty(*shape_lead, O).uniform_(-1, 1)


def compute_loss(c, out, tgt):
    """out [..., Oeff], tgt [..., Oeff] or [...] (class indices as float) for CE."""
    fn = loss_fn(c["loss"])
    if c["loss"] == "cross_entropy":
        return fn(out.reshape(-1, out.shape[-1]), tgt.reshape(-1).long())
    assert out.shape == tgt.shape, (out.shape, tgt.shape)
    return fn(out, tgt)


# A gradient fixture must be able to catch a wrong gradient, above all a wrong BPTT: every gradient tensor must be
# far from zero (dead ReLU units once gave all-zero weight_hh gradients, which any recurrence bug reproduces), and
# where backward spans two steps or more, cutting the recurrence (the state detached between steps, i.e. BPTT
# truncated to one step) must change every layer's weight_hh gradient by a clear margin. The one exception: when
# backward spans a single step from the zero state, weight_hh multiplies zeros and its gradient must be exactly zero.
MIN_NONZERO_FRACTION = 0.25  # of a gradient tensor's entries (ReLU cases have some dead units, so not all)
MIN_NORM = 1e-3              # 2-norm of a gradient tensor
MIN_CUT_CHANGE = 0.1         # |g - g_cut| / |g| for weight_hh, when backward spans >= 2 steps


def cut_recurrence_grads(m, x, s, loss_of):
    """The gradients of loss_of(y) when the recurrence is cut: x [B, n, I] is run one step at a time from state s
    (None: zeros) with the state detached before every step, so no gradient flows from a step into the previous one
    (between layers within a step it still does). Returns {name: gradient}; leaves every p.grad alone."""
    ys = []
    for t in range(x.shape[1]):
        if s is not None:
            s = tuple(v.detach() for v in s) if isinstance(s, tuple) else s.detach()
        y, s = m(x[:, t:t + 1], s)
        ys.append(y)
    names, params = zip(*m.named_parameters())
    grads = torch.autograd.grad(loss_of(torch.cat(ys, dim=1)), params, allow_unused=True)
    return {n: (torch.zeros_like(p) if g is None else g) for n, p, g in zip(names, params, grads)}


def check_grads(c, data, cut):
    """Asserts what the comment above MIN_NONZERO_FRACTION says; returns a one-line summary."""
    name = grad_name(c)
    worst_fraction, worst_norm, worst_cut = 1.0, math.inf, math.inf
    for key, g in data.items():
        if not key.startswith("grad."):
            continue
        fraction = (g != 0).float().mean().item()
        norm = g.norm().item()
        assert torch.isfinite(g).all(), f"{name}: {key} is not finite"
        if ".weight_hh_" in key and c["T"] - c["k"] == 1 and c["k"] == 0 and not c["h0"]:
            assert norm == 0, f"{name}: {key} must be zero (one step from the zero state), has norm {norm:.3g}"
            continue
        assert fraction >= MIN_NONZERO_FRACTION, f"{name}: {key} has only {fraction:.0%} nonzero entries"
        assert norm >= MIN_NORM, f"{name}: {key} has norm {norm:.3g} < {MIN_NORM}"
        worst_fraction, worst_norm = min(worst_fraction, fraction), min(worst_norm, norm)
        if ".weight_hh_" in key and c["T"] - c["k"] >= 2:
            change = (g - cut[key[len("grad."):]]).norm().item() / max(norm, 1e-30)
            assert change >= MIN_CUT_CHANGE, \
                f"{name}: {key} changes by only {change:.3g} (relative) when the recurrence is cut"
            worst_cut = min(worst_cut, change)
    cut_text = f"{worst_cut:6.3f}" if worst_cut < math.inf else "   n/a"
    return f"nonzero>={worst_fraction:4.0%} |g|>={worst_norm:8.4f} cut>={cut_text}"


def make_grad(c, seed):
    torch.manual_seed(seed)
    m = build(c)
    redraw(m)
    cell, I, H, L, T, k = c["cell"], c["I"], c["H"], c["L"], c["T"], c["k"]
    data = {}
    if c["mode"] == "single":
        x = torch.empty(T, I).uniform_(-1.5, 1.5)
        if c["h0"]:
            h0 = torch.empty(L, H).uniform_(-1, 1)
            c0 = torch.empty(L, H).uniform_(-1, 1)
        else:
            h0 = torch.zeros(L, H)
            c0 = torch.zeros(L, H)
        tgt = draw_targets(c, [T - k] if c["on"] == "all" else [])
        if c["loss"] == "cross_entropy" and c["on"] == "last":
            tgt = tgt.reshape(1)
        xb = x.unsqueeze(0)
        s = state_tuple(cell, h0.unsqueeze(1), c0.unsqueeze(1))
        if k > 0:
            with torch.no_grad():
                _, s = m.rnn(xb[:, :k], s)
        s = tuple(t.detach() for t in s) if cell == "lstm" else s.detach()

        def single_loss(y):
            out = y[0] if c["on"] == "all" else y[0, -1]
            if c["loss"] == "cross_entropy" and c["on"] == "last":
                out = out.unsqueeze(0)
            return compute_loss(c, out, tgt)

        cut = cut_recurrence_grads(m, xb[:, k:], s, single_loss)
        m.zero_grad(set_to_none=False)
        y, sn = m(xb[:, k:], s)
        y = y[0]  # [T-k, Oeff]
        out = y if c["on"] == "all" else y[-1]
        if c["loss"] == "cross_entropy" and c["on"] == "last":
            out = out.unsqueeze(0)
        loss = compute_loss(c, out, tgt)
        loss.backward()
        hn, cn = split_state(cell, sn)
        data["input"] = x
        data["h0"] = h0
        if cell == "lstm":
            data["c0"] = c0
        data["targets"] = tgt
        data["loss"] = loss.detach().reshape(1)
        data["h_n"] = hn[:, 0].detach()
        if cell == "lstm":
            data["c_n"] = cn[:, 0].detach()
        data["output"] = (y if c["on"] == "all" else y[-1]).detach()
    else:
        B = c["B"]
        xbf = torch.empty(B, T, I).uniform_(-1.5, 1.5)
        if c["on"] == "all":
            tgt_bf = draw_targets(c, [B, T - k])
        else:
            tgt_bf = draw_targets(c, [B])
        s = None
        if k > 0:
            with torch.no_grad():
                _, s = m.rnn(xbf[:, :k], None)
        cut = cut_recurrence_grads(m, xbf[:, k:], s,
                                   lambda y: compute_loss(c, y if c["on"] == "all" else y[:, -1], tgt_bf))
        m.zero_grad(set_to_none=False)
        y, _ = m(xbf[:, k:], s)  # [B, T-k, Oeff]
        out = y if c["on"] == "all" else y[:, -1]
        loss = compute_loss(c, out, tgt_bf)
        loss.backward()
        if c["layout"] == "batch_first":
            data["input"] = xbf
            data["targets"] = tgt_bf
            data["output"] = out.detach()
        else:
            data["input"] = xbf.transpose(0, 1).contiguous()
            if c["on"] == "all":
                data["targets"] = tgt_bf.transpose(0, 1).contiguous()
                data["output"] = out.detach().transpose(0, 1).contiguous()
            else:
                data["targets"] = tgt_bf
                data["output"] = out.detach()
        data["loss"] = loss.detach().reshape(1)
    for name, p in m.named_parameters():
        data["grad." + name] = p.grad.detach().clone()
    assert [n for n, _ in m.named_parameters()] == list(m.state_dict().keys())
    summary = check_grads(c, data, cut)
    md = cfg_meta(c)
    md.update(mode=c["mode"], loss=c["loss"], loss_on=c["on"], warmup=str(k), window=str(c["window"]))
    if c["mode"] == "batched":
        md.update(layout=c["layout"], batch=str(c["B"]))
    return m, data, md, summary


# ----------------------------------------------------------------------------------------------
# c) clipping
# ----------------------------------------------------------------------------------------------
CLIP_SHAPES = [(12, 10), (12,), (4, 12), (4,), (5, 20), (16,)]  # 300 values


def make_clip():
    torch.manual_seed(7)
    max_norm, clip_value = 1.0, 0.05
    parts = [torch.randn(*s) * torch.exp(torch.randn(*s)) for s in CLIP_SHAPES]
    flat = torch.cat([p.reshape(-1) for p in parts]) * 0.3   # spread over ~3 decades; 2-norm ~ 10
    small = flat * (0.4 / flat.norm())                         # 2-norm 0.4 < max_norm

    def run_norm(g, p):
        params = []
        off = 0
        for s in CLIP_SHAPES:
            n = math.prod(s)
            t = nn.Parameter(torch.zeros(*s))
            t.grad = g[off:off + n].reshape(s).clone()
            params.append(t)
            off += n
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=p)
        return total.reshape(1), torch.cat([t.grad.reshape(-1) for t in params])

    data = {"grads": flat}
    for tag, p in (("p2", 2.0), ("p1", 1.0), ("p3", 3.0), ("pinf", float("inf"))):
        tot, cl = run_norm(flat, p)
        data["total_" + tag] = tot
        data["clipped_" + tag] = cl
    params = []
    off = 0
    for s in CLIP_SHAPES:
        n = math.prod(s)
        t = nn.Parameter(torch.zeros(*s))
        t.grad = flat[off:off + n].reshape(s).clone()
        params.append(t)
        off += n
    torch.nn.utils.clip_grad_value_(params, clip_value)
    data["clipped_value"] = torch.cat([t.grad.reshape(-1) for t in params])
    data["grads_small"] = small
    tot, cl = run_norm(small, 2.0)
    data["total_small_p2"] = tot
    data["clipped_small_p2"] = cl
    md = {"max_norm": repr(max_norm), "clip_value": repr(clip_value),
          "shapes": ";".join("x".join(str(d) for d in s) for s in CLIP_SHAPES),
          "eps": "1e-06"}
    return data, md


# ----------------------------------------------------------------------------------------------
# d) optimizers
# ----------------------------------------------------------------------------------------------
OPTIM = [
    ("sgd", "sgd", dict(lr=0.1)),
    ("sgd_momentum", "sgd", dict(lr=0.1, momentum=0.9)),
    ("sgd_nesterov_wd", "sgd", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("sgd_wd", "sgd", dict(lr=0.1, weight_decay=0.01)),
    ("adam", "adam", dict(lr=1e-3)),
    ("adam_custom", "adam", dict(lr=0.01, weight_decay=0.1, betas=(0.8, 0.99), eps=1e-6)),
    ("adamw", "adamw", dict(lr=1e-3, weight_decay=1e-2)),
    ("adamw_custom", "adamw", dict(lr=0.01, weight_decay=0.1)),
]


def make_optim(i, kind, kw):
    torch.manual_seed(300 + i)
    N, steps = 50, 5
    p0 = torch.randn(N)
    grads = torch.randn(steps, N) * torch.exp(torch.randn(steps, N) * 0.5)
    p = nn.Parameter(p0.clone())
    cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[kind]
    opt = cls([p], **kw)
    hist = []
    for s in range(steps):
        p.grad = grads[s].clone()
        opt.step()
        hist.append(p.detach().clone())
    g = opt.param_groups[0]
    md = {"optimizer": kind, "lr": repr(float(g["lr"])), "weight_decay": repr(float(g["weight_decay"]))}
    if kind == "sgd":
        md.update(momentum=repr(float(g["momentum"])), nesterov="true" if g["nesterov"] else "false",
                  dampening=repr(float(g["dampening"])), beta1="0.0", beta2="0.0", eps="0.0")
    else:
        md.update(momentum="0.0", nesterov="false", beta1=repr(float(g["betas"][0])),
                  beta2=repr(float(g["betas"][1])), eps=repr(float(g["eps"])),
                  amsgrad="true" if g["amsgrad"] else "false")
    return {"p0": p0, "grads": grads, "params": torch.stack(hist)}, md


# ----------------------------------------------------------------------------------------------
# e) C# declarations
# ----------------------------------------------------------------------------------------------
def attribute(c, window=None):
    args = [str(c["I"]), str(c["H"])]
    if c["cell"] != "rnn":
        args.append("Cell = Cell." + {"gru": "Gru", "lstm": "Lstm"}[c["cell"]])
    if c["L"] != 1:
        args.append(f'NumLayers = {c["L"]}')
    if c.get("nonlin", "tanh") == "relu":
        args.append("Nonlinearity = Nonlinearity.Relu")
    if not c.get("bias", True):
        args.append("Bias = false")
    if c["O"] != 0:
        args.append(f'OutputSize = {c["O"]}')
    if window is not None and window != 64:
        args.append(f"Window = {window}")
    return "[Recurrent(" + ", ".join(args) + ")]"


def write_cs(fwd, grad):
    L = ["// <generated by scripts/make_fixtures.py — do not edit>",
         "// Regenerate with: /usr/bin/python3.11 scripts/make_fixtures.py",
         "using Fixed;", "", "namespace Fixed.Tests.Parity;", ""]
    for name, c in fwd:
        L.append(attribute(c, None))
        L.append(f"public partial class Fwd_{name};")
        L.append("")
    for name, c in grad:
        L.append(attribute(c, c["window"]))
        L.append(f"public partial class Grad_{name};")
        L.append("")
    L.append("public static partial class FixtureModels")
    L.append("{")
    L.append("    public static readonly string[] ForwardNames =")
    L.append("    [")
    L += [f'        "{n}",' for n, _ in fwd]
    L.append("    ];")
    L.append("")
    L.append("    public static readonly string[] GradNames =")
    L.append("    [")
    L += [f'        "{n}",' for n, _ in grad]
    L.append("    ];")
    L.append("")
    for method, prefix, items in (("Forward", "Fwd_", fwd), ("Grad", "Grad_", grad)):
        L.append(f"    public static IFixtureCase {method}(string name) => name switch")
        L.append("    {")
        L += [f'        "{n}" => new FixtureCase<{prefix}{n}>(),' for n, _ in items]
        L.append("        _ => throw new System.ArgumentException(name),")
        L.append("    };")
        L.append("")
    L[-1] = "}"
    with open(CS_OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(L) + "\n")


# ----------------------------------------------------------------------------------------------
def main():
    def rel(p):
        return os.path.relpath(p, ROOT)

    # Everything is computed (and checked) before anything is deleted: a failed check leaves the fixtures as they were.
    fwd, grad, files, log = [], [], [], []
    names = set()
    for i, c in enumerate(FORWARD):
        name = fwd_name(c)
        assert name not in names, name
        names.add(name)
        m, data, md = make_forward(c, 1000 + i)
        w = os.path.join(FIX, "forward", name + ".weights.safetensors")
        d = os.path.join(FIX, "forward", name + ".data.safetensors")
        files += [(w, m.state_dict(), None), (d, data, md)]
        fwd.append((name, c))
        log.append(f"forward  {name:40s} max|y|={data['output'].abs().max().item():8.3f}  {rel(d)}")
    names = set()
    for i, c in enumerate(GRAD):
        name = grad_name(c)
        assert name not in names, name
        names.add(name)
        m, data, md, summary = make_grad(c, 2000 + i if c["seed"] is None else c["seed"])
        w = os.path.join(FIX, "grad", name + ".weights.safetensors")
        d = os.path.join(FIX, "grad", name + ".data.safetensors")
        files += [(w, m.state_dict(), None), (d, data, md)]
        grad.append((name, c))
        gmax = max(v.abs().max().item() for kk, v in data.items() if kk.startswith("grad."))
        log.append(f"grad     {name:60s} loss={data['loss'].item():9.5f} max|g|={gmax:8.4f} {summary}")
    clip_path = os.path.join(FIX, "clip.data.safetensors")
    data, md = make_clip()
    files.append((clip_path, data, md))
    log.append(f"clip     {rel(clip_path)}  total_p2={data['total_p2'].item():.5f} "
               f"total_p1={data['total_p1'].item():.5f} total_p3={data['total_p3'].item():.5f} "
               f"total_pinf={data['total_pinf'].item():.5f} total_small_p2={data['total_small_p2'].item():.5f}")
    for i, (name, kind, kw) in enumerate(OPTIM):
        data, md = make_optim(i, kind, kw)
        p = os.path.join(FIX, "optim", name + ".data.safetensors")
        files.append((p, data, md))
        log.append(f"optim    {name:20s} {kind:6s} {kw}  {rel(p)}")

    for sub in ("forward", "grad", "optim"):
        d = os.path.join(FIX, sub)
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
    if os.path.exists(clip_path):
        os.remove(clip_path)
    os.makedirs(os.path.dirname(CS_OUT), exist_ok=True)
    for path, tensors, md in files:
        st.save(path, tensors, md)
    print("\n".join(log))
    write_cs(fwd, grad)
    print(f"wrote    {rel(CS_OUT)} ({len(fwd)} forward, {len(grad)} grad models)")
    total = 0
    for dp, _, fs in os.walk(FIX):
        total += sum(os.path.getsize(os.path.join(dp, f)) for f in fs)
    print(f"Fixtures folder: {total / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
