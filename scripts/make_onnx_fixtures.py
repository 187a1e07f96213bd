"""ONNX files written by torch.onnx.export, with the outputs PyTorch computes, for [ModelFile]'s ONNX import.

Run with Debian's PyTorch (and python3-onnx for the float_data variant): /usr/bin/python3.11 scripts/make_onnx_fixtures.py
Writes Runtime.Tests/Fixtures/onnx/{name}.onnx, {name}_x.csv (inputs, one step a line, features separated by spaces)
and {name}_y.csv (PyTorch's outputs, one step a line).
- gru.onnx: GRU(1, 8) -> Linear(8, 1), time-first input [T, 1, 1] (an amp model's shape).
- lstm.onnx: LSTM(3, 6, num_layers=2, batch_first=True) -> Linear(6, 4) -> Softmax(dim=-1), input [1, T, 3].
- rnn.onnx: RNN(2, 5, bias=False) -> Linear(5, 3) -> Tanh -> Linear(3, 1, bias=False) -> Sigmoid, input [T, 1, 2];
  its initializers rewritten as float_data (instead of torch's raw_data) with the onnx package.
- mlp.onnx: Linear(3, 8) -> ReLU -> Linear(8, 2) on a 2-D input [T, 3] (torch exports Gemm nodes), no recurrent layer.
And refused/*.onnx: small files Fixed must refuse by name (no outputs): a GRU with linear_before_reset = 0, a
bidirectional GRU, an RNN with nonlinearity='relu', an LSTM with clip, a Conv1d, a model that also returns h_n, a
model that takes h0 as an input.
"""
import io
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "Runtime.Tests", "Fixtures", "onnx")
STEPS = 50


class Gru(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.GRU(1, 8)
        self.linear = torch.nn.Linear(8, 1)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.linear(y)


class Lstm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(3, 6, num_layers=2, batch_first=True)
        self.head = torch.nn.Linear(6, 4)

    def forward(self, x):
        y, _ = self.lstm(x)
        return torch.softmax(self.head(y), dim=-1)


class Rnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.RNN(2, 5, bias=False)
        self.fc1 = torch.nn.Linear(5, 3)
        self.fc2 = torch.nn.Linear(3, 1, bias=False)

    def forward(self, x):
        y, _ = self.rnn(x)
        return torch.sigmoid(self.fc2(torch.tanh(self.fc1(y))))


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))

    def forward(self, x):
        return self.net(x)


def to_float_data(data):
    """The same model with every float initializer stored as float_data, as some exporters write it."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load_from_string(data)
    for tensor in model.graph.initializer:
        if tensor.data_type == onnx.TensorProto.FLOAT:
            values = numpy_helper.to_array(tensor).reshape(-1)
            tensor.ClearField("raw_data")
            tensor.float_data.extend(values.tolist())
    return model.SerializeToString()


class Returns(torch.nn.Module):
    """A recurrent model with its own forward: the refused files are made from these."""

    def __init__(self, rnn, head, forward):
        super().__init__()
        self.rnn = rnn
        self.linear = head
        self.run = forward

    def forward(self, *args):
        return self.run(self, *args)


def set_attribute(op, name, value):
    """Rewrites (or adds) one attribute of every node of the type op, with the onnx package."""
    def rewrite(data):
        import onnx

        model = onnx.load_from_string(data)
        for node in model.graph.node:
            if node.op_type == op:
                kept = [a for a in node.attribute if a.name != name]
                del node.attribute[:]
                node.attribute.extend(kept + [onnx.helper.make_attribute(name, value)])
        return model.SerializeToString()
    return rewrite


def refused():
    os.makedirs(os.path.join(OUT, "refused"), exist_ok=True)
    x = torch.zeros(4, 1, 1)

    def write(name, model, inputs, rewrite=None, output_names=("output",)):
        buffer = io.BytesIO()
        names = ["input", "h0"][:len(inputs)]
        torch.onnx.export(model.eval(), inputs, buffer, input_names=names, output_names=list(output_names))
        data = buffer.getvalue() if rewrite is None else rewrite(buffer.getvalue())
        with open(os.path.join(OUT, "refused", name + ".onnx"), "wb") as f:
            f.write(data)

    per_step = lambda m, v: m.linear(m.rnn(v)[0])
    write("gru_linear_before_reset_0", Returns(torch.nn.GRU(1, 4), torch.nn.Linear(4, 1), per_step), (x,),
          rewrite=set_attribute("GRU", "linear_before_reset", 0))
    write("gru_bidirectional", Returns(torch.nn.GRU(1, 4, bidirectional=True), torch.nn.Linear(8, 1), per_step), (x,))
    write("rnn_relu", Returns(torch.nn.RNN(1, 4, nonlinearity="relu"), torch.nn.Linear(4, 1), per_step), (x,))
    write("lstm_clip", Returns(torch.nn.LSTM(1, 4), torch.nn.Linear(4, 1), per_step), (x,), rewrite=set_attribute("LSTM", "clip", 3.0))
    write("conv1d", Returns(torch.nn.Conv1d(1, 1, 3), torch.nn.Identity(), lambda m, v: m.rnn(v)), (torch.zeros(1, 1, 8),))
    write("returns_state", Returns(torch.nn.GRU(1, 4), torch.nn.Linear(4, 1), lambda m, v: (m.linear(m.rnn(v)[0]), m.rnn(v)[1])), (x,),
          output_names=("output", "h_n"))
    write("h0_input", Returns(torch.nn.GRU(1, 4), torch.nn.Linear(4, 1), lambda m, v, h: m.linear(m.rnn(v, h)[0])), (x, torch.zeros(1, 1, 4)))


def export(name, model, x, shape, rewrite=None):
    model.eval()
    inputs = torch.from_numpy(x).reshape(shape)
    buffer = io.BytesIO()
    torch.onnx.export(model, inputs, buffer, input_names=["input"], output_names=["output"])
    data = buffer.getvalue()
    if rewrite is not None:
        data = rewrite(data)
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(data)
    with torch.no_grad():
        y = model(inputs).numpy().reshape(x.shape[0], -1)
    np.savetxt(os.path.join(OUT, name + "_x.csv"), x, fmt="%.9g")
    np.savetxt(os.path.join(OUT, name + "_y.csv"), y, fmt="%.9g")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(20261202)
    rng = np.random.default_rng(20261202)

    def steps(features):
        return rng.uniform(-1, 1, (STEPS, features)).astype(np.float32)

    export("gru", Gru(), steps(1), (STEPS, 1, 1))
    export("lstm", Lstm(), steps(3), (1, STEPS, 3))
    export("rnn", Rnn(), steps(2), (STEPS, 1, 2), rewrite=to_float_data)
    export("mlp", Mlp(), steps(3), (STEPS, 3))
    refused()


if __name__ == "__main__":
    main()
