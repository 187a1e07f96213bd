"""PyTorch state_dicts written as JSON, with the outputs PyTorch computes, for [ModelFile]'s state_dict import.

Run with Debian's PyTorch: /usr/bin/python3.11 scripts/make_statedict_json_fixtures.py
Writes Runtime.Tests/Fixtures/statedict/{name}.json, {name}_x.csv (inputs, one step a line) and {name}_y.csv (outputs).
- stack.json: a plain state_dict in module order gru (GRU 1->8), gru2 (GRU 8->8, num_layers=2), rnn (RNN 8->4), dense (Linear 4->1),
  dumped as RTNeural's PyTorch examples dump one (json.dump of each tensor's tolist()).
- amp.json: the guitar-amp trainers' file (Automated-GuitarAmpModelling's SimpleRNN: rec = LSTM 1->6, lin = Linear 6->1, skip 0):
  {"model_data": {...}, "state_dict": {...}}.
"""
import json
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "Runtime.Tests", "Fixtures", "statedict")


class Stack(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = torch.nn.GRU(1, 8, batch_first=True)
        self.gru2 = torch.nn.GRU(8, 8, num_layers=2, batch_first=True)
        self.rnn = torch.nn.RNN(8, 4, batch_first=True)
        self.dense = torch.nn.Linear(4, 1)

    def forward(self, x):
        x, _ = self.gru(x)
        x, _ = self.gru2(x)
        x, _ = self.rnn(x)
        return self.dense(x)


class SimpleRNN(torch.nn.Module):
    def __init__(self, hidden_size=6):
        super().__init__()
        self.rec = torch.nn.LSTM(1, hidden_size, 1, batch_first=True)
        self.lin = torch.nn.Linear(hidden_size, 1)

    def forward(self, x):
        x, _ = self.rec(x)
        return self.lin(x)


def tensors(model):
    return {name: value.detach().numpy().tolist() for name, value in model.state_dict().items()}


def write(name, document, model, x):
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(document, f)
    with torch.no_grad():
        y = model(torch.from_numpy(x.astype(np.float32)).reshape(1, -1, 1)).numpy().reshape(-1)
    np.savetxt(os.path.join(OUT, name + "_x.csv"), x.astype(np.float32), fmt="%.9g")
    np.savetxt(os.path.join(OUT, name + "_y.csv"), y, fmt="%.9g")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(20261202)
    rng = np.random.default_rng(20261202)
    x = rng.uniform(-1, 1, 100)

    stack = Stack()
    write("stack", tensors(stack), stack, x)

    amp = SimpleRNN()
    model_data = {"model": "SimpleRNN", "input_size": 1, "skip": 0, "output_size": 1, "unit_type": "LSTM",
                  "num_layers": 1, "hidden_size": 6, "bias_fl": True}
    write("amp", {"model_data": model_data, "state_dict": tensors(amp)}, amp, x)


if __name__ == "__main__":
    main()
