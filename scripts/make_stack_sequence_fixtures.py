#!/usr/bin/python3.11
"""Regenerates the PyTorch reference fixtures of layer stacks with a proj_size or bidirectional=True recurrent layer.

    /usr/bin/python3.11 scripts/make_stack_sequence_fixtures.py

Writes Runtime.Tests/Fixtures/stack_sequence/<name>.{weights,data}.safetensors for every case in CASES. Each case is a
module that runs its layers in order, as a Fixed layer stack does: nn.RNN / nn.GRU / nn.LSTM (batch_first=True, with
proj_size= and bidirectional= as given, passing on `out`, each step's [forward, reverse] h), nn.Linear, tanh / relu, and
a residual (`y = y + x[..., :F]`, Fixed's [AddInput(F)]). The state_dict names are `<layer name>.<tensor>`, in layer
order, which is Fixed's Parameters order.

The data file holds what scripts/make_sequence_fixtures.py's do, for the whole stack: one sequence from a random
initial state (inputs, outputs, final state), the loss, every gradient and the final state of one single-sequence
backward (MSE over every step after the first k steps, which only advance the state: k is 0 with a bidirectional
layer), one batched backward (B sequences from the zero state; MSE on every step, time-first ([T, B, I]), with a
bidirectional layer; on the last step, batch_first, otherwise), and one backward over sequences of different lengths
(pack_padded_sequence(enforce_sorted=False) through every recurrent layer; batch_first, NaN in the padding, MSE over
the valid steps). States are flat in Fixed's layout: recurrent layer after recurrent layer, per h_0 row (layer * D +
direction), h then c.

Deterministic: one torch.manual_seed per case, one thread, float32: rerunning it rewrites every file byte for byte.
Each case is checked before it is written: no tensor's gradient is all zero, in any of the three backwards.

OPTION_CASES (Runtime.Tests/Fixtures/stack_sequence_options/): such a layer with Dropout and a learned initial state, in
training mode with PyTorch's masks drawn again and checked; see the comment above OPTION_CASES.
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
OUT = os.path.join(ROOT, "Runtime.Tests", "Fixtures", "stack_sequence")


def Rec(name, cell, I, H, L=1, P=0, bi=False):
    return dict(kind="rec", name=name, cell=cell, I=I, H=H, L=L, P=P, bi=bi)


def Lin(name, I, O):
    return dict(kind="linear", name=name, I=I, O=O)


# name: the layers in order, T steps, k warm-up steps of the single sequence (0 with a bidirectional layer), B sequences.
# The C# declarations are in Runtime.Tests/Stacks/StackSequenceModels.cs, under the same names in PascalCase.
CASES = {
    # The example: nn.LSTM(6, 8, num_layers=2, bidirectional=True, proj_size=4) between two Linear layers.
    "lstm_bi_proj_stack": dict(layers=[Lin("fc_in", 2, 6), dict(kind="tanh"), Rec("lstm", "lstm", 6, 8, L=2, P=4, bi=True), Lin("fc_out", 8, 1)],
                               T=5, k=0, B=3),
    # A bidirectional GRU between Linear layers.
    "gru_bi_stack": dict(layers=[Lin("fc_in", 3, 5), dict(kind="relu"), Rec("gru", "gru", 5, 4, bi=True), Lin("fc_out", 8, 2)],
                         T=6, k=0, B=2),
    # A bidirectional RNN feeding an ordinary GRU (the packed engine, in a stack without Step), then a residual.
    "rnn_bi_gru_skip_stack": dict(layers=[Rec("birnn", "rnn", 3, 4, bi=True), Rec("gru", "gru", 8, 5), Lin("linear", 5, 2), dict(kind="skip", F=2)],
                                  T=5, k=0, B=2),
    # A ProjSize LSTM that streams: two layers with a projection, a Linear, then an ordinary GRU and a head.
    "lstm_proj_stream_stack": dict(layers=[Rec("enc", "lstm", 2, 6, L=2, P=3), Lin("mid", 3, 4), dict(kind="tanh"), Rec("dec", "gru", 4, 5),
                                           Lin("head", 5, 2)],
                                   T=6, k=2, B=2),
}


class Stack(nn.Module):
    def __init__(s, layers):
        super().__init__()
        s.specs = layers
        for spec in layers:
            if spec["kind"] == "rec":
                kind = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[spec["cell"]]
                kwargs = dict(num_layers=spec["L"], batch_first=True, bidirectional=spec["bi"])
                if spec["P"] > 0:
                    kwargs["proj_size"] = spec["P"]
                setattr(s, spec["name"], kind(spec["I"], spec["H"], **kwargs))
            elif spec["kind"] == "linear":
                setattr(s, spec["name"], nn.Linear(spec["I"], spec["O"]))

    def recurrent(s):
        return [spec for spec in s.specs if spec["kind"] == "rec"]

    def forward(s, x, states=None, lengths=None):
        """x [B, T, I]; states: one per recurrent layer (PyTorch's h_0 or (h_0, c_0)), or None for zero. With lengths, every
        recurrent layer runs on pack_padded_sequence of its input (the padding of its output is zero)."""
        y = x
        out_states = []
        r = 0
        for spec in s.specs:
            if spec["kind"] == "rec":
                module = getattr(s, spec["name"])
                state = None if states is None else states[r]
                if lengths is None:
                    y, state_n = module(y, state)
                else:
                    packed = nn.utils.rnn.pack_padded_sequence(y, lengths, batch_first=True, enforce_sorted=False)
                    out, state_n = module(packed, state)
                    y, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
                out_states.append(state_n)
                r += 1
            elif spec["kind"] == "linear":
                y = getattr(s, spec["name"])(y)
            elif spec["kind"] == "tanh":
                y = torch.tanh(y)
            elif spec["kind"] == "relu":
                y = torch.relu(y)
            elif spec["kind"] == "skip":
                y = y + x[..., :spec["F"]]
        return y, out_states


def rows(spec):
    """(R, D, per-row floats) of a recurrent layer."""
    R = spec["P"] if spec["P"] > 0 else spec["H"]
    D = 2 if spec["bi"] else 1
    return R, D, R + (spec["H"] if spec["cell"] == "lstm" else 0)


def state_length(model):
    return sum(spec["L"] * rows(spec)[1] * rows(spec)[2] for spec in model.recurrent())


def to_torch_states(model, flat):
    """Fixed's flat stack state -> one PyTorch state per recurrent layer: h_0 [L*D, 1, R] (and c_0 [L*D, 1, H])."""
    states, at = [], 0
    for spec in model.recurrent():
        R, D, per = rows(spec)
        n = spec["L"] * D
        part = flat[at:at + n * per]
        at += n * per
        h = torch.stack([part[r * per:r * per + R] for r in range(n)]).unsqueeze(1)
        if spec["cell"] == "lstm":
            c = torch.stack([part[r * per + R:(r + 1) * per] for r in range(n)]).unsqueeze(1)
            states.append((h, c))
        else:
            states.append(h)
    return states


def to_fixed_state(model, states):
    parts = []
    for spec, state in zip(model.recurrent(), states):
        if spec["cell"] == "lstm":
            h, c = state
            parts += [torch.cat([h[r, 0], c[r, 0]]) for r in range(h.shape[0])]
        else:
            parts += [state[r, 0] for r in range(state.shape[0])]
    return torch.cat(parts).detach()


def redraw(model):
    """Weights large enough that errors show, activations O(1): weights ~ U(+-min(0.6, 2/sqrt(fan_in))), biases ~ U(+-0.5)."""
    with torch.no_grad():
        for _, p in model.named_parameters():
            a = min(0.6, 2.0 / math.sqrt(p.shape[1])) if p.dim() == 2 else 0.5
            p.uniform_(-a, a)


def flat_grads(model):
    return torch.cat([p.grad.reshape(-1) for p in model.state_dict(keep_vars=True).values()])


def check_grads(name, model):
    for key, p in model.state_dict(keep_vars=True).items():
        if p.grad is None or p.grad.abs().max().item() == 0:
            raise SystemExit(f"{name}: the gradient of {key} is zero: the case checks nothing there")


def make(name, c, seed):
    torch.manual_seed(seed)
    model = Stack(c["layers"])
    redraw(model)
    bidirectional = any(spec["bi"] for spec in model.recurrent())
    I = c["layers"][0]["I"]
    last = c["layers"][-1]
    O = last["O"] if last["kind"] == "linear" else last["F"] if last["kind"] == "skip" else None
    T, k, B = c["T"], c["k"], c["B"]
    x = torch.randn(1, T, I)
    h0 = torch.randn(state_length(model)) * 0.5
    data = {}
    with torch.no_grad():
        y, s_n = model(x, to_torch_states(model, h0))
    data["input"] = x.reshape(T, I)
    data["h0"] = h0
    data["output"] = y.reshape(T, O)
    data["state_n"] = to_fixed_state(model, s_n)

    # Single sequence: the first k steps only advance the state (no gradient flows into them), MSE over the rest.
    targets = torch.randn(T - k, O)
    model.zero_grad()
    s = to_torch_states(model, h0)
    if k > 0:
        with torch.no_grad():
            _, s = model(x[:, :k], s)
    y, s_end = model(x[:, k:], s)
    loss = nn.functional.mse_loss(y.reshape(T - k, O), targets)
    loss.backward()
    check_grads(name, model)
    data["targets"] = targets
    data["loss"] = loss.detach().reshape(1)
    data["grad"] = flat_grads(model)
    data["state_end"] = to_fixed_state(model, s_end)

    # Batched: B sequences from the zero state. With a bidirectional layer, MSE on every step, time-first (on the last
    # step alone its reverse direction takes one step from the zero state, and its weight_hh would get no gradient);
    # otherwise MSE on the last step after k warm-up steps, batch_first.
    xb = torch.randn(B, T, I)
    model.zero_grad()
    sb = None
    if k > 0:
        with torch.no_grad():
            _, sb = model(xb[:, :k])
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

    # Sequences of different lengths: B sequences padded to T (batch_first), MSE over the valid steps only. PyTorch runs
    # them with zero padding; the file has NaN there, which Fixed must never read.
    lengths = torch.randint(1, T + 1, (B,))
    lengths[0] = T
    lengths[-1] = max(1, T - 2)
    valid = (torch.arange(T)[None, :] < lengths[:, None]).unsqueeze(-1)
    xl = torch.randn(B, T, I) * valid
    tl = torch.randn(B, T, O) * valid
    model.zero_grad()
    yl, _ = model(xl, lengths=lengths)
    ll = (((yl - tl) ** 2) * valid).sum() / (valid.sum() * O)
    ll.backward()
    check_grads(name + " (lengths)", model)
    nan = torch.tensor(float("nan"))
    data["len_input"] = torch.where(valid, xl, nan)
    data["len_targets"] = torch.where(valid, tl, nan)
    data["lengths"] = lengths.to(torch.float32)
    data["len_loss"] = ll.detach().reshape(1)
    data["len_grad"] = flat_grads(model)

    meta = {"T": str(T), "k": str(k), "B": str(B), "input_size": str(I), "output_size": str(O),
            "state_length": str(state_length(model)),
            "batch_on": "all" if bidirectional else "last", "batch_layout": "time_first" if bidirectional else "batch_first",
            "layers": "; ".join(str(spec) for spec in c["layers"]), "torch": torch.__version__}
    weights = {n: p.detach() for n, p in model.state_dict().items()}
    return weights, data, meta


def compute():
    """Every case's (name, weights, data, metadata), as main() writes them; writes nothing."""
    return [(name, *make(name, c, 7300 + i)) for i, (name, c) in enumerate(CASES.items())]


# Dropout and LearnInitialState on a stack's ProjSize / Bidirectional layer (OPTION_CASES, files under
# Runtime.Tests/Fixtures/stack_sequence_options/): the recurrent layer is PyTorch's module with dropout=p in training mode,
# its h_0 (and c_0) nn.Parameters of PyTorch's shapes, [L * D, ProjSize or H] (and [L * D, H]), expanded over the batch.
# Its masks are drawn inside the module and not returned, so they are drawn again from the same seed in the same order
# (make_dropout_fixtures.draw_masks) and checked to be the module's: the layer rebuilt layer by layer from one-layer
# modules with each boundary's output multiplied by its mask must give the module's output to 1e-6. The C# tests inject
# them. Each case: B sequences, batch_first, MSE on every step (the batched Backward from the learned initial state);
# data: input [B, T, I], targets [B, T, O], loss [1], grad (every tensor in Fixed's Parameters order: every layer's
# weights, then h0, then c0), mask [B, T, L - 1, D * (ProjSize or H)], eval_loss [1] (the same batch in eval mode:
# Evaluate) and forward_output [T, O] (sequence 0 in eval mode from the learned initial state: Forward from InitialState()).
# The C# declarations are in Runtime.Tests/Stacks/StackSequenceOptionTests.cs, under the same names in PascalCase.
OPTION_CASES = {
    # The example with both options: nn.LSTM(6, 8, num_layers=2, bidirectional=True, proj_size=4, dropout=0.2).
    "lstm_bi_proj_options_stack": dict(layers=[Lin("fc_in", 2, 6), dict(kind="tanh"), Rec("lstm", "lstm", 6, 8, L=2, P=4, bi=True), Lin("fc_out", 8, 1)],
                                       p=0.2, T=5, B=3),
    # A three-layer bidirectional GRU (h0 only, two boundaries) with dropout=0.4.
    "gru_bi3_options_stack": dict(layers=[Lin("fc_in", 3, 5), dict(kind="relu"), Rec("gru", "gru", 5, 4, L=3, bi=True), Lin("fc_out", 8, 2)],
                                  p=0.4, T=4, B=2),
    # The first case at p = 0: nothing is dropped, no masks; the training loss is the eval loss.
    "lstm_bi_proj_options_p0_stack": dict(layers=[Lin("fc_in", 2, 6), dict(kind="tanh"), Rec("lstm", "lstm", 6, 8, L=2, P=4, bi=True), Lin("fc_out", 8, 1)],
                                          p=0.0, T=5, B=3),
}


def make_options(name, c, seed):
    import make_dropout_fixtures as dropout

    torch.manual_seed(seed)
    p, T, B = c["p"], c["T"], c["B"]
    model = Stack(c["layers"])
    spec = model.recurrent()[0]
    rnn = getattr(model, spec["name"])
    rnn.dropout = p
    R, D, _ = rows(spec)
    n = spec["L"] * D
    lstm = spec["cell"] == "lstm"
    redraw(model)
    h0 = nn.Parameter(torch.randn(n, R) * 0.5)
    c0 = nn.Parameter(torch.randn(n, spec["H"]) * 0.5) if lstm else None
    I = c["layers"][0]["I"]
    O = c["layers"][-1]["O"]
    x = torch.randn(B, T, I)
    targets = torch.randn(B, T, O)

    def initial(batch):
        h = h0.unsqueeze(1).expand(n, batch, R).contiguous()
        return [(h, c0.unsqueeze(1).expand(n, batch, spec["H"]).contiguous()) if lstm else h]

    mask_seed = 1000 + sum(map(ord, name))
    model.train()
    model.zero_grad()
    torch.manual_seed(mask_seed)
    y, _ = model(x, initial(B))
    loss = nn.functional.mse_loss(y, targets)
    loss.backward()
    check_grads(name, model)
    for label, tensor in (("h0", h0), ("c0", c0)):
        if tensor is not None and tensor.grad.abs().max().item() == 0:
            raise SystemExit(f"{name}: the gradient of {label} is zero: the case checks nothing there")

    W = D * R
    masks = dropout.draw_masks(mask_seed, spec["L"], T, B, W, p)
    with torch.no_grad():
        # The stack's forward with its recurrent layer rebuilt layer by layer through the masks drawn again.
        h = x
        for layer in c["layers"]:
            if layer["kind"] == "rec":
                state = initial(B)[0]
                h = dropout.layer_by_layer(rnn, spec["cell"], h, state, masks)
            elif layer["kind"] == "linear":
                h = getattr(model, layer["name"])(h)
            elif layer["kind"] == "tanh":
                h = torch.tanh(h)
            elif layer["kind"] == "relu":
                h = torch.relu(h)
        message = dropout.check_masks(name, h, y, masks, p)

    model.eval()
    with torch.no_grad():
        eval_loss = nn.functional.mse_loss(model(x, initial(B))[0], targets)
        forward_output = model(x[:1], initial(1))[0][0]

    weights = {k: v.detach() for k, v in model.state_dict().items()}
    grads = [q.grad.reshape(-1) for q in model.state_dict(keep_vars=True).values()]
    weights[spec["name"] + ".h0"] = h0.detach()
    grads.append(h0.grad.reshape(-1))
    if lstm:
        weights[spec["name"] + ".c0"] = c0.detach()
        grads.append(c0.grad.reshape(-1))
    data = {"input": x, "targets": targets, "loss": loss.detach().reshape(1), "grad": torch.cat(grads),
            "mask": torch.stack(masks, dim=2).transpose(0, 1).contiguous(), "eval_loss": eval_loss.reshape(1),
            "forward_output": forward_output}
    meta = {"T": str(T), "B": str(B), "dropout": repr(p), "masks": message,
            "layers": "; ".join(str(layer) for layer in c["layers"]), "torch": torch.__version__}
    return weights, data, meta


def compute_options():
    """Every OPTION_CASES case's (name, weights, data, metadata), as main() writes them; writes nothing."""
    return [(name, *make_options(name, c, 7400 + i)) for i, (name, c) in enumerate(OPTION_CASES.items())]


def main():
    for folder, cases in ((OUT, compute()), (OUT + "_options", compute_options())):
        os.makedirs(folder, exist_ok=True)
        for name, weights, data, meta in cases:
            st.save(os.path.join(folder, name + ".data.safetensors"), data, meta)
            st.save(os.path.join(folder, name + ".weights.safetensors"), weights)
            print("wrote", name, meta.get("masks", ""))


if __name__ == "__main__":
    main()
