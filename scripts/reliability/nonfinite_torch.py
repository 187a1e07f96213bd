"""What torch.optim does with a non-finite gradient: the reference for Runtime.Tests/Reliability/NonFiniteTests.cs.
compute() is what scripts/reliability/make_nonfinite_fixture.py writes into Runtime.Tests/Fixtures/nonfinite.json;
run on its own, this prints it all as JSON (non-finite values as strings).

Four parameters p = [0.5, -1, 2, 0.25] get the gradient g = [nan, inf, -inf, 1] for one step, then g = 0.1 for a
second step. Printed for each optimizer after each step: the parameters and every state buffer.
Run with Debian's PyTorch: /usr/bin/python3.11 scripts/reliability/nonfinite_torch.py
"""
import json
import torch

CASES = {
    "Sgd(lr=0.1)": lambda p: torch.optim.SGD([p], lr=0.1),
    "Sgd(lr=0.1, momentum=0.9)": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9),
    "Adam(lr=0.01)": lambda p: torch.optim.Adam([p], lr=0.01),
    "Adam(lr=0.01, weight_decay=0.1)": lambda p: torch.optim.Adam([p], lr=0.01, weight_decay=0.1),
    "AdamW(lr=0.01)": lambda p: torch.optim.AdamW([p], lr=0.01),
}


def show(t):
    return [str(v) for v in t.tolist()]


def compute():
    result = {"torch": torch.__version__}
    for name, make in CASES.items():
        p = torch.nn.Parameter(torch.tensor([0.5, -1.0, 2.0, 0.25]))
        opt = make(p)
        steps = []
        for grad in ([float("nan"), float("inf"), float("-inf"), 1.0], [0.1, 0.1, 0.1, 0.1]):
            p.grad = torch.tensor(grad)
            opt.step()
            state = {k: show(v) for k, v in opt.state[p].items() if torch.is_tensor(v) and v.numel() == 4}
            steps.append({"param": show(p.detach()), **state})
        result[name] = steps

    # clip_grad_norm_ with error_if_nonfinite=True raises and leaves the gradient as it was.
    p = torch.nn.Parameter(torch.zeros(3))
    p.grad = torch.tensor([1.0, float("nan"), 2.0])
    try:
        torch.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
        result["clip_error_if_nonfinite"] = "no error"
    except RuntimeError as e:
        result["clip_error_if_nonfinite"] = {"error": str(e).split(".")[0], "grad_after": show(p.grad)}
    p.grad = torch.tensor([1.0, float("inf"), 2.0])
    total = torch.nn.utils.clip_grad_norm_([p], 1.0)
    result["clip_inf_without_error"] = {"total": str(total.item()), "grad_after": show(p.grad)}

    # A NaN input through nn.GRU/nn.LSTM/nn.RNN: which outputs are NaN after it.
    torch.manual_seed(0)
    for cell in ("RNN", "GRU", "LSTM"):
        rnn = getattr(torch.nn, cell)(2, 3)
        x = torch.tensor([[[0.1, 0.2]], [[float("nan"), 0.0]], [[0.3, 0.4]]])
        out, _ = rnn(x)
        result["nan_input_" + cell] = [["nan" if v != v else "finite" for v in step[0].tolist()] for step in out]
        x = torch.tensor([[[0.1, 0.2]], [[float("inf"), 0.0]], [[0.3, 0.4]]])
        out, _ = rnn(x)
        result["inf_input_" + cell] = [["nan" if v != v else ("inf" if abs(v) == float("inf") else "finite") for v in step[0].tolist()] for step in out]
    return result


if __name__ == "__main__":
    print(json.dumps(compute(), indent=1))
