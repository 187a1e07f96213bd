"""PyTorch state_dicts saved as safetensors, with the outputs PyTorch computes, for [ModelFile]'s safetensors import.

Run with Debian's PyTorch: /usr/bin/python3.11 scripts/make_safetensors_model_fixtures.py
Debian has no `safetensors` package: the files are written by scripts/safetensors_io.py, which with sort_by_name=True
lists the tensors as huggingface's save_file(model.state_dict(), path) does (sorted by name, "__metadata__" first, the
header padded with spaces to a multiple of 8).

Writes Runtime.Tests/Fixtures/safetensors/:
- gru_fc.safetensors: rnn = GRU(2, 8), fc = Linear(8, 3), sorted by name like save_file, metadata {"format": "pt"}
  (what save_model writes); gru_fc_x.csv (inputs, one step a line, features separated by spaces), gru_fc_y.csv (outputs).
- lstm2.safetensors: lstm = LSTM(1, 6, num_layers=2), head = Linear(6, 1), in the state_dict's order, no metadata;
  lstm2_x.csv, lstm2_y.csv. lstm2_sorted.safetensors: the same tensors sorted by name, whose module order is ambiguous
  (LSTM(1, 6) -> Linear(6, 1) and Linear(6, 1) -> LSTM(1, 6) both chain): refused.
- rnn_head.safetensors: rnn = RNN(2, 5), head = nn.Sequential(Linear(5, 4), Tanh(), Linear(4, 1)), sorted by name: refused
  by [ModelFile] (head.1, the Tanh, has no tensors), loaded into a hand-declared stack; rnn_head_x.csv, rnn_head_y.csv.
- gru_fc_{f16,bf16,f64}.safetensors: a GruFc built in that dtype (F64: initialised in float64, so its weights are not
  float32 values; F16 and BF16: a float32 model converted by .to()), plus a float16 subnormal, -0.0 and, in F64, a tie
  halfway between two float32s; gru_fc_{dtype}_float.safetensors: the same tensors after PyTorch's .float(), as F32.
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "Runtime.Tests", "Fixtures", "safetensors")
STEPS = 100


class GruFc(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.GRU(2, 8, batch_first=True)
        self.fc = torch.nn.Linear(8, 3)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y)


class Lstm2(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(1, 6, num_layers=2, batch_first=True)
        self.head = torch.nn.Linear(6, 1)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.head(y)


class RnnHead(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.RNN(2, 5, batch_first=True)
        self.head = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y)


# Each model and its input features.
MODELS = {"gru_fc": (GruFc, 2), "lstm2": (Lstm2, 1), "rnn_head": (RnnHead, 2)}


def outputs(model, x):
    """The model's outputs over x [T, features] (one sequence, batch_first), as [T, outputs]."""
    with torch.no_grad():
        return model(torch.from_numpy(x).unsqueeze(0)).squeeze(0).numpy()


def write_csv(name, values):
    np.savetxt(os.path.join(OUT, name), values, fmt="%.9g")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(20261202)
    rng = np.random.default_rng(20261202)

    for name, (cls, features) in MODELS.items():
        model = cls().eval()
        x = rng.uniform(-1, 1, (STEPS, features)).astype(np.float32)
        state = model.state_dict()
        if name == "lstm2":
            safetensors_io.save_typed(os.path.join(OUT, "lstm2.safetensors"), state, "F32")
            safetensors_io.save_typed(os.path.join(OUT, "lstm2_sorted.safetensors"), state, "F32", sort_by_name=True)
        else:
            metadata = {"format": "pt"} if name == "gru_fc" else None
            safetensors_io.save_typed(os.path.join(OUT, name + ".safetensors"), state, "F32", metadata=metadata, sort_by_name=True)
        write_csv(name + "_x.csv", x)
        write_csv(name + "_y.csv", outputs(model, x))

    for dtype, torch_dtype in (("F16", torch.float16), ("BF16", torch.bfloat16), ("F64", torch.float64)):
        if dtype == "F64":
            torch.set_default_dtype(torch.float64)
            model = GruFc()
            torch.set_default_dtype(torch.float32)
        else:
            model = GruFc().to(torch_dtype)
        state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        # Values that exercise the conversion's edges: a float16 subnormal (2^-20, which bfloat16 and float64 hold
        # as they are) and -0.0; in float64, 1 + 2^-24, halfway between the float32s 1 and 1 + 2^-23 (ties go to even: 1).
        state["fc.bias"][0] = 2.0 ** -20
        state["fc.bias"][1] = -0.0
        if dtype == "F64":
            state["fc.bias"][2] = 1.0 + 2.0 ** -24
        lower = dtype.lower()
        safetensors_io.save_typed(os.path.join(OUT, "gru_fc_" + lower + ".safetensors"), state, dtype, sort_by_name=True)
        safetensors_io.save_typed(os.path.join(OUT, "gru_fc_" + lower + "_float.safetensors"),
                                  {k: v.float() for k, v in state.items()}, "F32", sort_by_name=True)


if __name__ == "__main__":
    main()
