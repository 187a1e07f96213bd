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
                               [0.5, 2, 1, 3] with smoothing 0.1, weights alone, smoothing alone.
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


def cross_entropy(cell):
    torch.manual_seed({"rnn": 21, "gru": 22, "lstm": 23}[cell])
    kind = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
    rnn, linear = kind(3, 5, batch_first=True), torch.nn.Linear(5, 4)
    weights = {"rnn." + k: v.detach().clone() for k, v in rnn.state_dict().items()}
    weights.update({"linear." + k: v.detach().clone() for k, v in linear.state_dict().items()})
    parameters = list(rnn.parameters()) + list(linear.parameters())
    g = torch.Generator().manual_seed(24)
    inputs = torch.randn(3, 5, 3, generator=g)
    data = {"inputs": inputs}
    metadata = {"torch": torch.__version__, "weight": json.dumps(CE_WEIGHT)}
    for name, on, warm, weight, smoothing in CE_CASES:
        for p in parameters:
            p.grad = None
        state = None
        if warm:
            with torch.no_grad():
                _, state = rnn(inputs[:, :warm])
        out, _ = rnn(inputs[:, warm:], state)
        logits = linear(out)
        if on == "last":
            logits = logits[:, -1]
            targets = torch.randint(0, 4, (3,), generator=g)
        else:
            targets = torch.randint(0, 4, (3, 5 - warm), generator=g)
        criterion = torch.nn.CrossEntropyLoss(weight=None if weight is None else torch.tensor(weight), label_smoothing=smoothing)
        loss = criterion(logits.reshape(-1, 4), targets.reshape(-1))
        loss.backward()
        data[name + ".targets"] = targets.to(torch.float32)
        data[name + ".loss"] = loss.detach().reshape(1)
        data[name + ".grad"] = torch.cat([p.grad.reshape(-1) for p in parameters])
        metadata[name] = f"on={on} warmUp={warm} weight={weight} label_smoothing={smoothing}"
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
    return files


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, (tensors, metadata) in compute().items():
        path = os.path.join(OUT, name)
        st.save(path, tensors, metadata=metadata)
        print("wrote", path, {k: list(v.shape) for k, v in tensors.items()})


if __name__ == "__main__":
    main()
