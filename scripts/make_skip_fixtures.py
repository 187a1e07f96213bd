"""Residual (skip) models as the guitar-amp trainers and AIDA-X export them, with the outputs PyTorch computes, for
[ModelFile]'s import of a residual as a last [AddInput(n)] layer.

Run with Debian's PyTorch: /usr/bin/python3.11 scripts/make_skip_fixtures.py
Writes Runtime.Tests/Fixtures/skip/:
- gru_skip.json, lstm_skip.json: Automated-GuitarAmpModelling's SimpleRNN with skip=1, whose forward is
  `lin(rec(x)) + x[..., :skip]` (rec a GRU 1->8 / an LSTM 2->6, the LSTM's second input a knob), saved as the trainers
  save it: {"model_data": {..., "skip": 1}, "state_dict": {name: tensor.tolist()}}; {name}_x.csv holds the inputs (one
  step a line, features separated by spaces) and {name}_y.csv the outputs PyTorch computes.
- gru_1d_in_skip.json: RTNeural's gru_1d.json (Fixtures/rtneural, a Keras model) with AIDA-X's "in_skip": 1 added. Its
  expected outputs are the original model's plus the input, which the C# test computes from the original file's import.
"""
import json
import os

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Runtime.Tests", "Fixtures", "skip")


class SimpleRNN(torch.nn.Module):
    """The trainers' model (CoreAudioML networks.SimpleRNN), trimmed to what the export holds."""

    def __init__(self, unit_type, input_size, hidden_size, skip):
        super().__init__()
        self.skip = skip
        self.rec = getattr(torch.nn, unit_type)(input_size, hidden_size, 1, batch_first=True)
        self.lin = torch.nn.Linear(hidden_size, 1)

    def forward(self, x):
        res = x[:, :, 0:self.skip]
        x, _ = self.rec(x)
        return self.lin(x) + res


def write_trainer_model(name, unit_type, input_size, hidden_size, x):
    model = SimpleRNN(unit_type, input_size, hidden_size, skip=1)
    model_data = {"model": "SimpleRNN", "input_size": input_size, "skip": 1, "output_size": 1, "unit_type": unit_type,
                  "num_layers": 1, "hidden_size": hidden_size, "bias_fl": True}
    state_dict = {key: value.detach().numpy().tolist() for key, value in model.state_dict().items()}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump({"model_data": model_data, "state_dict": state_dict}, f)
    x = x.astype(np.float32)
    with torch.no_grad():
        y = model(torch.from_numpy(x).reshape(1, -1, input_size)).numpy().reshape(-1)
    # The residual must matter: the output without it differs from the output by the input, which is not small.
    assert np.abs(x[:, 0]).mean() > 0.3
    np.savetxt(os.path.join(OUT, name + "_x.csv"), x, fmt="%.9g")
    np.savetxt(os.path.join(OUT, name + "_y.csv"), y, fmt="%.9g")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(20261202)
    rng = np.random.default_rng(20261202)
    write_trainer_model("gru_skip", "GRU", 1, 8, rng.uniform(-1, 1, (100, 1)))
    write_trainer_model("lstm_skip", "LSTM", 2, 6, np.stack([rng.uniform(-1, 1, 100), np.full(100, 0.25)], axis=1))

    with open(os.path.join(ROOT, "Runtime.Tests", "Fixtures", "rtneural", "gru_1d.json")) as f:
        keras = json.load(f)
    keras["in_skip"] = 1
    with open(os.path.join(OUT, "gru_1d_in_skip.json"), "w") as f:
        json.dump(keras, f)


if __name__ == "__main__":
    main()
