#!/usr/bin/python3.11
"""Classification helpers from real PyTorch, for Runtime.Tests/Classification/*.

    /usr/bin/python3.11 scripts/make_classification_fixtures.py

Writes, under Runtime.Tests/Fixtures/classification/:
  softmax.data.safetensors     logits [rows, classes] (random rows, rows with logits far above exp's float32 range,
                               ties, -inf entries), torch.softmax(logits, dim=-1), torch.argmax(logits, dim=-1) (as float32).
  normalizer.data.safetensors  data [rows, 3] (features of very different offsets and scales), its per-feature mean, the
                               population std (x.std(0, unbiased=False), NumPy's default) and the sample std
                               (torch.std's default), in float64 rounded to float32, and (data - mean) / std in float32.
  normalized_gru.safetensors   the state_dict of nn.GRU(3, 4) + nn.Linear(4, 2) with that normaliser in __metadata__
                               ("fixed.normalizer.mean" / ".std": JSON lists), as a Python user would write it.
  ce_{rnn,gru,lstm}.weights.safetensors  nn.{RNN,GRU,LSTM}(3, 5, batch_first=True) + nn.Linear(5, 4) (4 classes)
  ce_{rnn,gru,lstm}.data.safetensors     per case: inputs [3, 5, 3], class targets, and the loss and every parameter's
                               gradient (flat, state_dict order) of nn.CrossEntropyLoss(weight=, label_smoothing=) with
                               the mean reduction: LastStep (the last step's logits, targets [3]) and AllSteps after one
                               warm-up step (run under no_grad, its state detached; targets [3, 4]); weights
                               [0.5, 2, 1, 3] with smoothing 0.1, weights alone, smoothing alone; and over sequences of
                               lengths [5, 3, 4] (len.inputs NaN-padded, len_all_ws targets [3, 5] NaN-padded, len_last_ws
                               targets [3]), each sequence run alone over its valid steps, as pack_padded_sequence does;
                               one_ws: a single sequence (sequence 0) on every step after one warm-up step.
  ce_{stack_gru,stack_lstm,proj_lstm,bi_gru,bi_lstm}.{weights,data}.safetensors  the same cases for two layer stacks
                               (GRU -> Linear -> Tanh -> Linear; Linear -> Tanh -> 2-layer LSTM -> Linear) and for the
                               models that run on SequenceEngine (2-layer LSTM proj_size=3; 2-layer bidirectional GRU;
                               bidirectional LSTM proj_size=3). A bidirectional model takes no warm-up: its cases start
                               at step 0.
"""
import json
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


def normalizer():
    g = torch.Generator().manual_seed(18)
    data = torch.randn(40, 3, generator=g, dtype=torch.float64) * torch.tensor([0.01, 3.0, 250.0], dtype=torch.float64) \
        + torch.tensor([5.0, -2.0, 1000.0], dtype=torch.float64)
    data = data.to(torch.float32)
    wide = data.to(torch.float64)
    mean = wide.mean(0).to(torch.float32)
    std = wide.std(0, unbiased=False).to(torch.float32)
    tensors = {
        "data": data,
        "mean": mean,
        "std_population": std,
        "std_sample": wide.std(0, unbiased=True).to(torch.float32),
        "normalized": (data - mean) / std,
    }
    return tensors, {"torch": torch.__version__}, mean, std


def normalized_gru(mean, std):
    torch.manual_seed(19)
    rnn, linear = torch.nn.GRU(3, 4), torch.nn.Linear(4, 2)
    tensors = {"rnn." + k: v for k, v in rnn.state_dict().items()}
    tensors.update({"linear." + k: v for k, v in linear.state_dict().items()})
    metadata = {
        "fixed.normalizer.mean": json.dumps([float(v) for v in mean]),
        "fixed.normalizer.std": json.dumps([float(v) for v in std]),
    }
    return tensors, metadata


CE_WEIGHT = [0.5, 2.0, 1.0, 3.0]
CE_CASES = [  # name, on, warm-up, weight, label smoothing
    ("last_ws", "last", 0, CE_WEIGHT, 0.1),
    ("all_ws", "all", 1, CE_WEIGHT, 0.1),
    ("all_w", "all", 1, CE_WEIGHT, 0.0),
    ("all_s", "all", 1, None, 0.25),
]
# Sequences of different lengths (B = 3 padded to T = 5), as pack_padded_sequence(..., enforce_sorted=False) runs them:
# each sequence alone over its own valid steps (a reverse direction starts at its own last one), the loss over the valid
# steps' logits only. Padding is NaN in the inputs and the AllSteps targets: the C# side must never read it.
CE_LENGTHS = [5, 3, 4]
CE_LENGTH_CASES = [  # name, on, weight, label smoothing
    ("len_all_ws", "all", CE_WEIGHT, 0.1),
    ("len_last_ws", "last", CE_WEIGHT, 0.1),
]
B, T, CLASSES = 3, 5, 4


def criterion(weight, smoothing):
    return torch.nn.CrossEntropyLoss(weight=None if weight is None else torch.tensor(weight), label_smoothing=smoothing)


def ce_record(data, metadata, parameters, name, description, targets, loss):
    loss.backward()
    data[name + ".targets"] = targets.to(torch.float32)
    data[name + ".loss"] = loss.detach().reshape(1)
    data[name + ".grad"] = torch.cat([p.grad.reshape(-1) for p in parameters])
    metadata[name] = description
    for p in parameters:
        p.grad = None


def ce_batched(forward, parameters, inputs, g, cases, data, metadata):
    """forward(x [b, t, I], state or None) -> (logits [b, t, CLASSES], state). Batched Backward from the zero state;
    the warm-up steps run under no_grad and their state is detached (truncated BPTT)."""
    for name, on, warm, weight, smoothing in cases:
        state = None
        if warm:
            with torch.no_grad():
                _, state = forward(inputs[:, :warm], None)
        logits, _ = forward(inputs[:, warm:], state)
        if on == "last":
            logits = logits[:, -1]
            targets = torch.randint(0, CLASSES, (B,), generator=g)
        else:
            targets = torch.randint(0, CLASSES, (B, T - warm), generator=g)
        loss = criterion(weight, smoothing)(logits.reshape(-1, CLASSES), targets.reshape(-1))
        ce_record(data, metadata, parameters, name, f"on={on} warmUp={warm} weight={weight} label_smoothing={smoothing}", targets, loss)


def ce_single(forward, parameters, inputs, g, data, metadata, warm):
    """Single-sequence Backward over sequence 0 from the zero state, AllSteps after `warm` warm-up steps."""
    state = None
    if warm:
        with torch.no_grad():
            _, state = forward(inputs[:1, :warm], None)
    logits, _ = forward(inputs[:1, warm:], state)
    targets = torch.randint(0, CLASSES, (T - warm,), generator=g)
    loss = criterion(CE_WEIGHT, 0.1)(logits.reshape(-1, CLASSES), targets)
    ce_record(data, metadata, parameters, "one_ws", f"single sequence 0, on=all warmUp={warm} weight={CE_WEIGHT} label_smoothing=0.1", targets, loss)


def ce_lengths(forward, parameters, inputs, g, data, metadata):
    """Backward with lengths CE_LENGTHS: "len.inputs" is `inputs` with NaN padding."""
    padded = inputs.clone()
    for b, length in enumerate(CE_LENGTHS):
        padded[b, length:] = float("nan")
    data["len.inputs"] = padded
    data["len.lengths"] = torch.tensor(CE_LENGTHS, dtype=torch.float32)
    for name, on, weight, smoothing in CE_LENGTH_CASES:
        outs = [forward(inputs[b:b + 1, :length], None)[0][0] for b, length in enumerate(CE_LENGTHS)]
        if on == "last":
            logits = torch.stack([o[-1] for o in outs])
            targets = torch.randint(0, CLASSES, (B,), generator=g)
            stored, valid = targets.to(torch.float32), targets
        else:
            logits = torch.cat(outs)
            targets = torch.randint(0, CLASSES, (B, T), generator=g)
            stored = targets.to(torch.float32)
            for b, length in enumerate(CE_LENGTHS):
                stored[b, length:] = float("nan")
            valid = torch.cat([targets[b, :length] for b, length in enumerate(CE_LENGTHS)])
        loss = criterion(weight, smoothing)(logits, valid)
        ce_record(data, metadata, parameters, name, f"lengths={CE_LENGTHS} on={on} weight={weight} label_smoothing={smoothing}", stored, loss)


def cross_entropy(cell):
    torch.manual_seed({"rnn": 21, "gru": 22, "lstm": 23}[cell])
    kind = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
    rnn, linear = kind(3, 5, batch_first=True), torch.nn.Linear(5, 4)
    weights = {"rnn." + k: v.detach().clone() for k, v in rnn.state_dict().items()}
    weights.update({"linear." + k: v.detach().clone() for k, v in linear.state_dict().items()})
    parameters = list(rnn.parameters()) + list(linear.parameters())
    g = torch.Generator().manual_seed(24)
    inputs = torch.randn(B, T, 3, generator=g)
    data = {"inputs": inputs}
    metadata = {"torch": torch.__version__, "weight": json.dumps(CE_WEIGHT)}

    def forward(x, state):
        out, state = rnn(x, state)
        return linear(out), state

    ce_batched(forward, parameters, inputs, g, CE_CASES, data, metadata)
    ce_single(forward, parameters, inputs, g, data, metadata, 1)
    ce_lengths(forward, parameters, inputs, g, data, metadata)
    return weights, data, metadata


class GruStack(torch.nn.Module):
    """[Recurrent(3, 5, Cell = Cell.Gru, Name = "enc")] [Linear(5, 6, Name = "fc1")] [Tanh] [Linear(6, 4, Name = "fc2")]"""

    def __init__(self):
        super().__init__()
        self.enc = torch.nn.GRU(3, 5, batch_first=True)
        self.fc1 = torch.nn.Linear(5, 6)
        self.fc2 = torch.nn.Linear(6, 4)

    def forward(self, x, state):
        y, state = self.enc(x, state)
        return self.fc2(torch.tanh(self.fc1(y))), state


class LstmStack(torch.nn.Module):
    """[Linear(3, 6, Name = "pre")] [Tanh] [Recurrent(6, 5, Cell = Cell.Lstm, NumLayers = 2, Name = "lstm")] [Linear(5, 4, Name = "out")]"""

    def __init__(self):
        super().__init__()
        self.pre = torch.nn.Linear(3, 6)
        self.lstm = torch.nn.LSTM(6, 5, num_layers=2, batch_first=True)
        self.out = torch.nn.Linear(5, 4)

    def forward(self, x, state):
        y, state = self.lstm(torch.tanh(self.pre(x)), state)
        return self.out(y), state


class SequenceModel(torch.nn.Module):
    """One recurrent module with a head, as a [Recurrent(..., OutputSize = 4)] with ProjSize or Bidirectional."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn
        h = rnn.proj_size or rnn.hidden_size
        self.linear = torch.nn.Linear(2 * h if rnn.bidirectional else h, 4)

    def forward(self, x, state):
        y, state = self.rnn(x, state)
        return self.linear(y), state


CE_MODELS = {  # file stem: (seed, module factory, warm-up allowed: a bidirectional model takes none)
    "ce_stack_gru": (31, GruStack, True),
    "ce_stack_lstm": (32, LstmStack, True),
    "ce_proj_lstm": (33, lambda: SequenceModel(torch.nn.LSTM(3, 5, num_layers=2, proj_size=3, batch_first=True)), True),
    "ce_bi_gru": (34, lambda: SequenceModel(torch.nn.GRU(3, 5, num_layers=2, bidirectional=True, batch_first=True)), False),
    "ce_bi_lstm": (35, lambda: SequenceModel(torch.nn.LSTM(3, 5, proj_size=3, bidirectional=True, batch_first=True)), False),
}


def cross_entropy_model(stem):
    """Layer stacks and SequenceEngine models: the single-model cases, a single-sequence case and the lengths cases."""
    seed, factory, warm_ok = CE_MODELS[stem]
    torch.manual_seed(seed)
    model = factory()
    weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
    parameters = list(model.parameters())
    g = torch.Generator().manual_seed(seed + 100)
    inputs = torch.randn(B, T, 3, generator=g)
    data = {"inputs": inputs}
    metadata = {"torch": torch.__version__, "weight": json.dumps(CE_WEIGHT), "model": repr(model)}
    cases = [(name, on, warm if warm_ok else 0, weight, smoothing) for name, on, warm, weight, smoothing in CE_CASES]
    ce_batched(model, parameters, inputs, g, cases, data, metadata)
    ce_single(model, parameters, inputs, g, data, metadata, 1 if warm_ok else 0)
    ce_lengths(model, parameters, inputs, g, data, metadata)
    return weights, data, metadata


def compute():
    """{file name: (tensors, metadata)}; scripts/verify_fixtures.py compares them with the committed files."""
    norm_tensors, norm_metadata, mean, std = normalizer()
    files = {
        "softmax.data.safetensors": softmax(),
        "normalizer.data.safetensors": (norm_tensors, norm_metadata),
        "normalized_gru.safetensors": normalized_gru(mean, std),
    }
    for cell in ("rnn", "gru", "lstm"):
        weights, data, metadata = cross_entropy(cell)
        files["ce_" + cell + ".weights.safetensors"] = (weights, None)
        files["ce_" + cell + ".data.safetensors"] = (data, metadata)
    for stem in CE_MODELS:
        weights, data, metadata = cross_entropy_model(stem)
        files[stem + ".weights.safetensors"] = (weights, None)
        files[stem + ".data.safetensors"] = (data, metadata)
    return files


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, (tensors, metadata) in compute().items():
        path = os.path.join(OUT, name)
        st.save(path, tensors, metadata=metadata)
        print("wrote", path, {k: list(v.shape) for k, v in tensors.items()})


if __name__ == "__main__":
    main()
