"""PyTorch's outputs for inputs holding NaN, +-Inf and huge values, through real fixture models: the reference for
NonFiniteTests.NonFiniteInputs_PropagateThroughForwardAndStepAsPyTorchDoes. compute() is what
scripts/reliability/make_nonfinite_fixture.py writes into Runtime.Tests/Fixtures/nonfinite.json; run on its own,
this prints the cases.
Run with Debian's PyTorch: /usr/bin/python3.11 scripts/reliability/nonfinite_inputs_torch.py
"""
import os
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import safetensors_io as st  # noqa: E402
from make_fixtures import model_from_meta  # noqa: E402

FIXTURES = ["rnn_i2_h5_l1_nobias_o0_t10", "rnn_i3_h3_l2_relu_o2_t7_h0", "gru_i4_h33_l2_o3_t8", "lstm_i3_h7_l2_o2_t16_h0"]
T = 5
VARIANTS = {
    "nan": lambda x: x.__setitem__((1, 0), float("nan")),
    "+inf": lambda x: x.__setitem__((1, 0), float("inf")),
    "-inf all": lambda x: x.__setitem__((2, slice(None)), float("-inf")),
    "1e30": lambda x: x.__setitem__((0, 0), 1e30),
}


def compute():
    """{"<fixture> <variant>": (inputs [T * I] as floats, outputs [T * O] as floats)}, zero initial state."""
    cases = {}
    for name in FIXTURES:
        _, md = st.load(os.path.join(ROOT, "Runtime.Tests", "Fixtures", "forward", name + ".data.safetensors"))
        weights, _ = st.load_torch(os.path.join(ROOT, "Runtime.Tests", "Fixtures", "forward", name + ".weights.safetensors"))
        model = model_from_meta(md)
        model.load_state_dict(weights)
        inputs = int(md["input_size"])
        for variant, edit in VARIANTS.items():
            x = torch.tensor([[0.1 * (t + 1) * (1 if i % 2 == 0 else -1) for i in range(inputs)] for t in range(T)])
            edit(x)
            with torch.no_grad():
                y, _ = model(x.unsqueeze(0))
            cases[f"{name} {variant}"] = (x.flatten().tolist(), y[0].flatten().tolist())
    return cases


if __name__ == "__main__":
    print("torch", torch.__version__)
    for key, (ins, outs) in compute().items():
        print(f"{key}: inputs {ins}\n    outputs {outs}")
