#!/usr/bin/python3.11
"""Writes Runtime.Tests/Fixtures/nonfinite.json, the PyTorch reference NonFiniteTests reads, from
nonfinite_inputs_torch.compute() (NaN / +-Inf / 1e30 inputs through four fixture models) and
nonfinite_torch.compute() (torch.optim and clip_grad_norm_ given non-finite gradients).

    /usr/bin/python3.11 scripts/reliability/make_nonfinite_fixture.py           # regenerate the file
    /usr/bin/python3.11 scripts/reliability/make_nonfinite_fixture.py --check   # recompute, compare, exit 1 on a difference

Numbers are JSON numbers (Python's repr of the float32 value as a double); NaN and infinities are the strings
"NaN", "Infinity", "-Infinity" (what .NET's invariant float.Parse reads). --check (run by scripts/verify_fixtures.py
in CI) requires the same keys, NaN and infinities in the same places, and finite values within 1e-6 relative.
"""
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nonfinite_inputs_torch  # noqa: E402
import nonfinite_torch  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
PATH = os.path.join(ROOT, "Runtime.Tests", "Fixtures", "nonfinite.json")

# NonFiniteTests' optimizer kinds -> the set-ups of nonfinite_torch.CASES.
OPTIMIZERS = {
    "Sgd": "Sgd(lr=0.1)",
    "SgdMomentum": "Sgd(lr=0.1, momentum=0.9)",
    "Adam": "Adam(lr=0.01)",
    "AdamWeightDecay": "Adam(lr=0.01, weight_decay=0.1)",
    "AdamW": "AdamW(lr=0.01)",
}


def value(v):
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def values(vs):
    return [value(v) for v in vs]


def build():
    import torch
    opt = nonfinite_torch.compute()
    return {
        "generated_by": "scripts/reliability/make_nonfinite_fixture.py: do not edit by hand",
        "torch": torch.__version__,
        "inputs": {key: {"input": values(x), "output": values(y)}
                   for key, (x, y) in nonfinite_inputs_torch.compute().items()},
        "optimizers": {kind: {"setup": setup,
                              "steps": [{name: values(buf) for name, buf in step.items()} for step in opt[setup]]}
                       for kind, setup in OPTIMIZERS.items()},
        "clip_inf_without_error": {"total": value(opt["clip_inf_without_error"]["total"]),
                                   "grad_after": values(opt["clip_inf_without_error"]["grad_after"])},
    }


def dumps(doc):
    """One line per case, so that a diff of the file reads case by case."""
    c = lambda o: json.dumps(o, allow_nan=False)  # noqa: E731
    lines = ["{"]
    lines.append(f' "generated_by": {c(doc["generated_by"])},')
    lines.append(f' "torch": {c(doc["torch"])},')
    lines.append(' "inputs": {')
    items = list(doc["inputs"].items())
    for i, (k, v) in enumerate(items):
        lines.append(f"  {c(k)}: {c(v)}" + ("," if i < len(items) - 1 else ""))
    lines.append(" },")
    lines.append(' "optimizers": {')
    items = list(doc["optimizers"].items())
    for i, (k, v) in enumerate(items):
        lines.append(f"  {c(k)}: {c(v)}" + ("," if i < len(items) - 1 else ""))
    lines.append(" },")
    lines.append(f' "clip_inf_without_error": {c(doc["clip_inf_without_error"])}')
    lines.append("}")
    return "\n".join(lines) + "\n"


def differences(want, got, where="", out=None):
    """Where `got` (committed) differs from `want` (recomputed): structure exactly, values to 1e-6 relative."""
    out = [] if out is None else out
    if isinstance(want, dict):
        if not isinstance(got, dict) or list(want) != list(got):
            out.append(f"{where or '/'}: keys {list(got) if isinstance(got, dict) else type(got).__name__}, "
                       f"recomputed {list(want)}")
            return out
        for k in want:
            if k not in ("torch", "generated_by"):
                differences(want[k], got[k], f"{where}/{k}", out)
    elif isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            out.append(f"{where}: length {len(got) if isinstance(got, list) else '-'}, recomputed {len(want)}")
            return out
        for i, (w, g) in enumerate(zip(want, got)):
            differences(w, g, f"{where}[{i}]", out)
    elif isinstance(want, str) or isinstance(got, str):
        if want != got:
            out.append(f"{where}: {got!r}, recomputed {want!r}")
    elif abs(want - got) > 1e-6 * max(1.0, abs(want)):
        out.append(f"{where}: {got!r}, recomputed {want!r}")
    return out


def check():
    """Recomputes the reference and compares it with the committed file; returns the differences."""
    with open(PATH, encoding="utf-8") as f:
        committed = json.load(f)
    return differences(build(), committed)


def main():
    if sys.argv[1:] == ["--check"]:
        bad = check()
        for line in bad[:20]:
            print("nonfinite.json:", line)
        print(f"{os.path.relpath(PATH, ROOT)}: " + (f"{len(bad)} differences from PyTorch" if bad else "matches PyTorch"))
        sys.exit(1 if bad else 0)
    with open(PATH, "w", encoding="utf-8", newline="\n") as f:
        f.write(dumps(build()))
    print("wrote", os.path.relpath(PATH, ROOT))


if __name__ == "__main__":
    main()
