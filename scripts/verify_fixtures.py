#!/usr/bin/python3.11
"""Independent check of the fixtures written by make_fixtures.py.

Re-reads every file with the strict reader, checks tensor names/shapes against the metadata, and
recomputes forward outputs, states, losses and gradients with a hand-written float64
implementation of the formulas in docs/CONTRACT (gate order r,z,n / i,f,g,o; GRU reset applied
to W_hn h + b_hn; warm-up under no grad; mean-reduced losses), using float64 autograd only for
the gradients. Also checks clip and optimizer fixtures against hand-written float64 formulas.
Prints the worst absolute error per fixture (float32 PyTorch vs float64 reference) and exits 1
if any exceeds the tolerance.

Then recomputes, with PyTorch, the fixtures no float64 formula covers and compares them with the committed
files (names, order, shapes and metadata exactly; values to the tolerance given per file):
  Runtime.Tests/Fixtures/schedules.data.safetensors       scripts/make_schedule_fixture.py
  examples/SineWave/sine_init.safetensors, sine_data...   scripts/make_sine_data.py
  Runtime.Tests/Fixtures/sine_first20.data.safetensors    scripts/sine_pytorch.py (10 epochs of training,
  examples/SineWave/pytorch_losses.csv                    from the committed sine_init/sine_data)
  Runtime.Tests/Fixtures/nonfinite.json                   scripts/reliability/make_nonfinite_fixture.py
  Runtime.Tests/Fixtures/bf16/*.safetensors               scripts/make_bf16_fixtures.py (bfloat16-rounded weights)
  Runtime.Tests/Fixtures/classification/*.safetensors     scripts/make_classification_fixtures.py
  Runtime.Tests/Fixtures/packed/*.safetensors             scripts/make_packed_fixtures.py (pack_padded_sequence)
  Runtime.Tests/Fixtures/stack/*.safetensors              scripts/make_stack_fixtures.py (layer stacks)
  Runtime.Tests/Fixtures/sequence/*.safetensors           scripts/make_sequence_fixtures.py (proj_size, bidirectional)
  Runtime.Tests/Fixtures/stack_sequence/*.safetensors     scripts/make_stack_sequence_fixtures.py (the same in layer stacks)
  Runtime.Tests/Fixtures/stack_sequence_options/*         scripts/make_stack_sequence_fixtures.py (OPTION_CASES: Dropout and
                                                          learned h0/c0 on such a layer; masks drawn again and checked)
  Runtime.Tests/Fixtures/h0/*.safetensors                 scripts/make_initial_state_fixtures.py (learned h0/c0; also with
                                                          proj_size / bidirectional)
  Runtime.Tests/Fixtures/skip/*_skip.json, *_y.csv        scripts/make_skip_fixtures.py (the committed state_dict
                                                          reloaded into the trainers' SimpleRNN, run in float64)
  Runtime.Tests/Fixtures/nam/*                            scripts/make_nam_fixtures.py (two_layer.nam rewritten identically;
                                                          every *_y.csv recomputed in float64 from NAM's own cell formula)
  Runtime.Tests/Fixtures/dropout/*.safetensors            scripts/make_dropout_fixtures.py (masks drawn again and checked;
                                                          also with proj_size / bidirectional)
  Runtime.Tests/Fixtures/safetensors/*                    scripts/make_safetensors_model_fixtures.py (files rewritten
                                                          identically; *_y.csv recomputed in float64 from the committed
                                                          state_dicts; each *_float twin checked to be .float() of its file)
Run by .ci/run (stage verify-fixtures).
"""
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reliability"))
import safetensors_io as st  # noqa: E402

torch.set_num_threads(1)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "Runtime.Tests", "Fixtures")
D = torch.float64
TOL = 2e-5
worst = []
failed = False


def T(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64).copy())


def expected_keys(md):
    L = int(md["num_layers"])
    bias = md["bias"] == "true"
    keys = []
    for k in range(L):
        keys += [f"rnn.weight_ih_l{k}", f"rnn.weight_hh_l{k}"]
        if bias:
            keys += [f"rnn.bias_ih_l{k}", f"rnn.bias_hh_l{k}"]
    if int(md["output_size"]) > 0:
        keys += ["linear.weight", "linear.bias"]
    return keys


def cell_step(cell, nonlin, p, k, x, h, c, H):
    """One layer, one step; x [B, in], h/c [B, H]. p: dict of float64 tensors."""
    gi = x @ p[f"rnn.weight_ih_l{k}"].T
    gh = h @ p[f"rnn.weight_hh_l{k}"].T
    if f"rnn.bias_ih_l{k}" in p:
        gi = gi + p[f"rnn.bias_ih_l{k}"]
        gh = gh + p[f"rnn.bias_hh_l{k}"]
    if cell == "rnn":
        a = gi + gh
        return (torch.tanh(a) if nonlin == "tanh" else torch.clamp(a, min=0)), None
    if cell == "gru":
        r = torch.sigmoid(gi[:, :H] + gh[:, :H])
        z = torch.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = torch.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        return (1 - z) * n + z * h, None
    g = gi + gh
    i = torch.sigmoid(g[:, :H])
    f = torch.sigmoid(g[:, H:2 * H])
    gg = torch.tanh(g[:, 2 * H:3 * H])
    o = torch.sigmoid(g[:, 3 * H:])
    c2 = f * c + i * gg
    return o * torch.tanh(c2), c2


def run(md, p, xs, h, c):
    """xs [B, T, I]; h, c lists of [B, H] per layer. Returns outputs [B, T, Oeff], h, c."""
    cell, nonlin = md["cell"], md["nonlinearity"]
    H, L = int(md["hidden_size"]), int(md["num_layers"])
    ys = []
    h, c = list(h), list(c)
    for t in range(xs.shape[1]):
        inp = xs[:, t]
        for k in range(L):
            h[k], c2 = cell_step(cell, nonlin, p, k, inp, h[k], c[k], H)
            if c2 is not None:
                c[k] = c2
            inp = h[k]
        y = inp @ p["linear.weight"].T + p["linear.bias"] if "linear.weight" in p else inp
        ys.append(y)
    return torch.stack(ys, 1), h, c


def loss_of(kind, out, tgt):
    if kind == "cross_entropy":
        o = out.reshape(-1, out.shape[-1])
        idx = tgt.reshape(-1).long()
        return (torch.logsumexp(o, 1) - o[torch.arange(o.shape[0]), idx]).mean()
    d = out - tgt
    if kind == "mse":
        return (d * d).mean()
    if kind == "l1":
        return d.abs().mean()
    ad = d.abs()
    return torch.where(ad < 1, 0.5 * d * d, ad - 0.5).mean()


def report(name, errs):
    global failed
    e = max(errs.values()) if errs else 0.0
    worst.append((e, name))
    bad = {k: v for k, v in errs.items() if v > TOL}
    if bad:
        failed = True
        print(f"FAIL {name}: {bad}")


def check_forward(name):
    W, _ = st.load(os.path.join(FIX, "forward", name + ".weights.safetensors"))
    Dt, md = st.load(os.path.join(FIX, "forward", name + ".data.safetensors"))
    assert list(W.keys()) == expected_keys(md), (name, list(W.keys()))
    I, H, L, Tn = (int(md[k]) for k in ("input_size", "hidden_size", "num_layers", "seq_len"))
    O = int(md["output_size"]) or H
    lstm = md["cell"] == "lstm"
    want = ["input", "h0"] + (["c0"] if lstm else []) + ["output", "h_n"] + (["c_n"] if lstm else [])
    assert list(Dt.keys()) == want, (name, list(Dt.keys()))
    assert Dt["input"].shape == (Tn, I) and Dt["output"].shape == (Tn, O) and Dt["h_n"].shape == (L, H)
    p = {k: T(v) for k, v in W.items()}
    h = [T(Dt["h0"][k]).unsqueeze(0) for k in range(L)]
    c = [T(Dt["c0"][k]).unsqueeze(0) if lstm else None for k in range(L)]
    y, h, c = run(md, p, T(Dt["input"]).unsqueeze(0), h, c)
    errs = {"output": (y[0] - T(Dt["output"])).abs().max().item(),
            "h_n": (torch.stack([x[0] for x in h]) - T(Dt["h_n"])).abs().max().item()}
    if lstm:
        errs["c_n"] = (torch.stack([x[0] for x in c]) - T(Dt["c_n"])).abs().max().item()
    report("forward/" + name, errs)


def check_grad(name):
    W, _ = st.load(os.path.join(FIX, "grad", name + ".weights.safetensors"))
    Dt, md = st.load(os.path.join(FIX, "grad", name + ".data.safetensors"))
    keys = expected_keys(md)
    assert list(W.keys()) == keys
    assert [k for k in Dt if k.startswith("grad.")] == ["grad." + k for k in keys]
    for k in keys:
        assert Dt["grad." + k].shape == W[k].shape
    I, H, L, Tn, k0 = (int(md[k]) for k in ("input_size", "hidden_size", "num_layers", "seq_len", "warmup"))
    O = int(md["output_size"]) or H
    assert Tn <= int(md["window"])
    lstm = md["cell"] == "lstm"
    ce = md["loss"] == "cross_entropy"
    last = md["loss_on"] == "last"
    p = {kk: T(v).requires_grad_(True) for kk, v in W.items()}
    if md["mode"] == "single":
        x = T(Dt["input"]).unsqueeze(0)
        assert Dt["input"].shape == (Tn, I)
        h = [T(Dt["h0"][j]).unsqueeze(0) for j in range(L)]
        c = [T(Dt["c0"][j]).unsqueeze(0) if lstm else None for j in range(L)]
        tgt = T(Dt["targets"])
        if last:
            assert tgt.shape == ((1,) if ce else (O,))
        else:
            assert tgt.shape == ((Tn - k0,) if ce else (Tn - k0, O))
    else:
        B = int(md["batch"])
        x = T(Dt["input"])
        tgt = T(Dt["targets"])
        tf = md["layout"] == "time_first"
        assert x.shape == ((Tn, B, I) if tf else (B, Tn, I))
        if tf:
            x = x.transpose(0, 1)
            if not last:
                tgt = tgt.transpose(0, 1)
        if last:
            assert tgt.shape == ((B,) if ce else (B, O))
        else:
            assert tgt.shape == ((B, Tn - k0) if ce else (B, Tn - k0, O))
        h = [torch.zeros(B, H, dtype=D) for _ in range(L)]
        c = [torch.zeros(B, H, dtype=D) if lstm else None for _ in range(L)]
    if k0 > 0:
        with torch.no_grad():
            _, h, c = run(md, p, x[:, :k0], h, c)
    y, h, c = run(md, p, x[:, k0:], h, c)
    if md["mode"] == "single":
        out = y[0, -1:] if last else y[0]
        if last and not ce:
            out = out[0]
    else:
        out = y[:, -1] if last else y
    loss = loss_of(md["loss"], out, tgt)
    loss.backward()
    errs = {"loss": abs(loss.item() - float(Dt["loss"][0]))}
    if md["mode"] == "single":
        errs["h_n"] = (torch.stack([v[0] for v in h]) - T(Dt["h_n"])).abs().max().item()
        if lstm:
            errs["c_n"] = (torch.stack([v[0] for v in c]) - T(Dt["c_n"])).abs().max().item()
    for kk in keys:
        errs["grad." + kk] = (p[kk].grad - T(Dt["grad." + kk])).abs().max().item()
    report("grad/" + name, errs)


def check_clip():
    Dt, md = st.load(os.path.join(FIX, "clip.data.safetensors"))
    g = T(Dt["grads"])
    max_norm = float(md["max_norm"])
    errs = {}
    for tag, pn in (("p2", 2.0), ("p1", 1.0), ("p3", 3.0), ("pinf", math.inf)):
        tot = g.abs().max() if pn == math.inf else (g.abs() ** pn).sum() ** (1 / pn)
        coef = min(1.0, max_norm / (tot.item() + 1e-6))
        errs["total_" + tag] = abs(tot.item() - float(Dt["total_" + tag][0])) / tot.item()
        errs["clipped_" + tag] = (g * coef - T(Dt["clipped_" + tag])).abs().max().item()
    cv = float(md["clip_value"])
    errs["clipped_value"] = (g.clamp(-cv, cv) - T(Dt["clipped_value"])).abs().max().item()
    s = T(Dt["grads_small"])
    tot = s.norm()
    errs["total_small_p2"] = abs(tot.item() - float(Dt["total_small_p2"][0]))
    errs["clipped_small_p2"] = (s - T(Dt["clipped_small_p2"])).abs().max().item()
    assert tot.item() < max_norm < float(Dt["total_p2"][0])
    report("clip", errs)


def check_optim(name):
    Dt, md = st.load(os.path.join(FIX, "optim", name + ".data.safetensors"))
    p = T(Dt["p0"])
    G = T(Dt["grads"])
    lr, wd = float(md["lr"]), float(md["weight_decay"])
    m = torch.zeros_like(p)
    v = torch.zeros_like(p)
    out = []
    for s in range(G.shape[0]):
        g = G[s].clone()
        if md["optimizer"] == "sgd":
            mom, nest = float(md["momentum"]), md["nesterov"] == "true"
            if wd:
                g = g + wd * p
            if mom:
                m = g.clone() if s == 0 else mom * m + g
                g = g + mom * m if nest else m
            p = p - lr * g
        else:
            b1, b2, eps = float(md["beta1"]), float(md["beta2"]), float(md["eps"])
            if md["optimizer"] == "adamw":
                p = p * (1 - lr * wd)
            elif wd:
                g = g + wd * p
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            t = s + 1
            mh = m / (1 - b1 ** t)
            vh = v / (1 - b2 ** t)
            p = p - lr * mh / (vh.sqrt() + eps)
        out.append(p.clone())
    errs = {"params": (torch.stack(out) - T(Dt["params"])).abs().max().item()}
    report("optim/" + name, errs)


def compare_file(label, path, tensors, metadata, atol, rtol=0.0):
    """The committed safetensors file at `path` against recomputed (tensors, metadata)."""
    global failed
    have, have_md = st.load(path)
    want = {k: np.asarray(v.detach().numpy() if torch.is_tensor(v) else v, dtype=np.float32) for k, v in tensors.items()}
    problems = []
    if list(have.keys()) != list(want.keys()):
        problems.append(f"tensors {list(have.keys())}, recomputed {list(want.keys())}")
    if (have_md or {}) != (metadata or {}):
        problems.append(f"metadata {have_md}, recomputed {metadata}")
    err = 0.0
    for k in want:
        if k not in have:
            continue
        if have[k].shape != want[k].shape:
            problems.append(f"{k}: shape {have[k].shape}, recomputed {want[k].shape}")
            continue
        # Equal values (infinities included: the bf16 rounding fixture has some; NaN against NaN) differ by 0; NaN against a number is a difference.
        with np.errstate(invalid="ignore"):
            same = (have[k] == want[k]) | (np.isnan(have[k]) & np.isnan(want[k]))
            d = np.where(same, 0.0, np.abs(have[k].astype(np.float64) - want[k].astype(np.float64)))
            d = np.where(np.isnan(d), np.inf, d)
            bound = atol + rtol * np.where(np.isfinite(want[k]), np.abs(want[k].astype(np.float64)), 0.0)
        err = max(err, float(d.max()) if d.size else 0.0)
        if (d > bound).any():
            i = np.unravel_index(int(np.argmax(d - bound)), d.shape)
            problems.append(f"{k}{list(i)}: {have[k][i]!r}, recomputed {want[k][i]!r}")
    print(f"  recomputed {label}: " + ("; ".join(problems) if problems else f"matches (max abs difference {err:.3e})"))
    if problems:
        failed = True


def check_nam():
    """The .nam fixtures: the synthetic file as the script writes it, and each expected output from NAM's formula in float64.

    NeuralAmpModelerCore's LSTMCell multiplies one matrix W [4H, I+H] by the concatenation [x; h] and adds one bias b, then
    c = sigmoid(f) c + sigmoid(i) tanh(g), h = sigmoid(o) tanh(c); the head is w . h + b. The committed outputs came from
    torch.nn.LSTM with W split into weight_ih / weight_hh: an independent route to the same numbers."""
    global failed
    import json
    import make_nam_fixtures as nam

    folder = os.path.join(FIX, "nam")
    with open(os.path.join(folder, "two_layer.nam"), encoding="utf-8") as f:
        same = f.read() == json.dumps(nam.two_layer_document())
    print("  recomputed nam two_layer.nam: " + ("matches" if same else "differs from what make_nam_fixtures.py writes"))
    failed = failed or not same
    x = np.loadtxt(os.path.join(folder, "signal.csv"), dtype=np.float64)
    problems = [] if np.array_equal(x.astype(np.float32), nam.signal()) else ["signal.csv differs from the script's signal"]
    for name in ("lstm", "two_layer"):
        with open(os.path.join(folder, name + ".nam"), encoding="utf-8") as f:
            doc = json.load(f)
        cfg = doc["config"]
        i_size, hidden, layers_n = cfg["input_size"], cfg["hidden_size"], cfg["num_layers"]
        w = np.asarray(doc["weights"], dtype=np.float32).astype(np.float64)
        at, cells = 0, []
        for k in range(layers_n):
            width = (i_size if k == 0 else hidden) + hidden
            m = w[at:at + 4 * hidden * width].reshape(4 * hidden, width)
            at += 4 * hidden * width
            b, h0, c0 = w[at:at + 4 * hidden], w[at + 4 * hidden:at + 5 * hidden], w[at + 5 * hidden:at + 6 * hidden]
            at += 6 * hidden
            cells.append([m, b, h0.copy(), c0.copy()])
        head_w, head_b = w[at:at + hidden], w[at + hidden]
        if at + hidden + 1 != len(w):
            problems.append(f"{name}.nam: {len(w)} weights, the layout uses {at + hidden + 1}")
            continue
        sig = lambda v: 1 / (1 + np.exp(-v))
        y = np.empty(len(x))
        for t in range(len(x)):
            inp = x[t:t + 1]
            for cell in cells:
                m, b, h, c = cell
                z = m @ np.concatenate([inp, h]) + b
                c = sig(z[hidden:2 * hidden]) * c + sig(z[:hidden]) * np.tanh(z[2 * hidden:3 * hidden])
                h = sig(z[3 * hidden:]) * np.tanh(c)
                cell[2], cell[3] = h, c
                inp = h
            y[t] = head_w @ inp + head_b
        have = np.loadtxt(os.path.join(folder, name + "_y.csv"), dtype=np.float64)
        err = float(np.abs(have - y).max()) if have.shape == y.shape else math.inf
        worst.append((err, "nam/" + name))
        if not err <= TOL:
            problems.append(f"{name}_y.csv: max abs error {err:.3e} against NAM's formula in float64")
        else:
            print(f"  nam {name}_y.csv: within {err:.3e} of NAM's formula in float64 ({len(y)} steps)")
    for p in problems:
        print("  nam:", p)
    failed = failed or bool(problems)


def check_recomputed():
    """Reruns the scripts that made the remaining fixtures and compares their results with the committed files."""
    global failed
    import make_schedule_fixture
    import make_sine_data
    import sine_pytorch
    import make_nonfinite_fixture

    print("recomputed with PyTorch " + torch.__version__ + ":")
    tensors, md = make_schedule_fixture.compute()
    compare_file("schedules", os.path.join(FIX, "schedules.data.safetensors"), tensors, md, atol=0.0)

    sine_dir = os.path.join(ROOT, "examples", "SineWave")
    for name, (tensors, md) in make_sine_data.compute().items():
        # torch.sin may round differently by a unit in the last place on another CPU; seeds and permutations do not.
        compare_file("sine " + name, os.path.join(sine_dir, name), tensors, md, atol=1e-6 if "data" in name else 0.0)

    rows, (tensors, md) = sine_pytorch.compute(log=lambda *_: None)
    compare_file("sine_first20", os.path.join(FIX, "sine_first20.data.safetensors"), tensors, md, atol=1e-7, rtol=1e-5)
    with open(os.path.join(sine_dir, "pytorch_losses.csv"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    problems = []
    if lines[0] != "step,loss,grad_norm" or len(lines) - 1 != len(rows):
        problems.append(f"header {lines[0]!r}, {len(lines) - 1} rows; recomputed {len(rows)}")
    else:
        for line, (step, loss, gn) in zip(lines[1:], rows):
            s_, l_, g_ = line.split(",")
            if int(s_) != step or abs(float(l_) - loss) > 1e-7 + 1e-4 * abs(loss) or abs(float(g_) - gn) > 1e-7 + 1e-4 * abs(gn):
                problems.append(f"step {s_}: ({l_}, {g_}), recomputed ({loss!r}, {gn!r})")
                break
    print("  recomputed sine pytorch_losses.csv: " + ("; ".join(problems) if problems else f"matches ({len(rows)} steps)"))
    failed = failed or bool(problems)

    import make_bf16_fixtures
    for name, tensors, md in make_bf16_fixtures.compute():
        compare_file("bf16 " + name, os.path.join(FIX, "bf16", name), tensors, md or {}, atol=1e-6)

    import make_classification_fixtures
    for name, (tensors, md) in make_classification_fixtures.compute().items():
        compare_file("classification " + name, os.path.join(FIX, "classification", name), tensors, md, atol=1e-6)

    import make_packed_fixtures
    for name, (tensors, md) in make_packed_fixtures.compute(log=lambda *_: None).items():
        compare_file("packed " + name, os.path.join(FIX, "packed", name), tensors, md or {}, atol=1e-6)

    # Families whose scripts return (name, weights, data, metadata) per case: the weights file and the data file of each.
    import make_stack_fixtures
    import make_sequence_fixtures
    import make_initial_state_fixtures
    import make_stack_sequence_fixtures
    for label, folder, module in (("stack", "stack", make_stack_fixtures), ("sequence", "sequence", make_sequence_fixtures),
                                  ("stack sequence", "stack_sequence", make_stack_sequence_fixtures),
                                  ("initial state", "h0", make_initial_state_fixtures)):
        cases = module.compute(log=lambda *_: None) if module is make_stack_fixtures else module.compute()
        for name, weights, data, md in cases:
            compare_file(f"{label} {name} weights", os.path.join(FIX, folder, name + ".weights.safetensors"), weights, {}, atol=0.0)
            compare_file(f"{label} {name}", os.path.join(FIX, folder, name + ".data.safetensors"), data, md or {}, atol=1e-6)
    for name, weights, data, md in make_stack_sequence_fixtures.compute_options():
        compare_file(f"stack sequence options {name} weights", os.path.join(FIX, "stack_sequence_options", name + ".weights.safetensors"), weights, {}, atol=0.0)
        compare_file(f"stack sequence options {name}", os.path.join(FIX, "stack_sequence_options", name + ".data.safetensors"), data, md or {}, atol=1e-6)

    import make_skip_fixtures
    for name in ("gru_skip", "lstm_skip"):
        with open(os.path.join(FIX, "skip", name + ".json"), encoding="utf-8") as f:
            document = json.load(f)
        md = document["model_data"]
        model = make_skip_fixtures.SimpleRNN(md["unit_type"], md["input_size"], md["hidden_size"], md["skip"]).double()
        model.load_state_dict({k: torch.tensor(v, dtype=D) for k, v in document["state_dict"].items()})
        x = np.loadtxt(os.path.join(FIX, "skip", name + "_x.csv"), ndmin=2)
        with torch.no_grad():
            y = model(torch.from_numpy(x).reshape(1, -1, md["input_size"])).numpy().reshape(-1)
        error = float(np.abs(y - np.loadtxt(os.path.join(FIX, "skip", name + "_y.csv"))).max())
        print(f"  recomputed skip {name}: max abs error {error:.2e} (float64 vs the committed float32 outputs)")
        failed = failed or not error <= 1e-5

    check_nam()
    check_onnx()
    check_safetensors_models()
    import make_dropout_fixtures
    for name, (tensors, md) in make_dropout_fixtures.compute(log=lambda *_: None).items():
        compare_file("dropout " + name, os.path.join(FIX, "dropout", name), tensors, md or {}, atol=1e-6)

    bad = make_nonfinite_fixture.check()
    for line in bad[:10]:
        print("  nonfinite.json:", line)
    print("  recomputed nonfinite.json: " + (f"{len(bad)} differences" if bad else "matches"))
    failed = failed or bool(bad)


def check_onnx():
    """Re-exports the ONNX fixtures into a temporary folder: the .onnx files must be byte-identical, the outputs equal to 1e-6."""
    global failed
    import tempfile
    import make_onnx_fixtures

    committed = os.path.join(FIX, "onnx")
    with tempfile.TemporaryDirectory() as out:
        make_onnx_fixtures.OUT = out
        make_onnx_fixtures.main()
        problems = []
        for folder, _, files in os.walk(committed):
            for name in sorted(files):
                have = os.path.join(folder, name)
                want = os.path.join(out, os.path.relpath(have, committed))
                if not os.path.exists(want):
                    problems.append(name + ": not written by the script")
                elif name.endswith(".csv"):
                    a, b = np.loadtxt(have, ndmin=2), np.loadtxt(want, ndmin=2)
                    if a.shape != b.shape or np.abs(a - b).max() > 1e-6:
                        problems.append(name + ": differs")
                elif open(have, "rb").read() != open(want, "rb").read():
                    problems.append(name + ": differs")
    print("  recomputed onnx: " + ("; ".join(problems) if problems else "matches"))
    failed = failed or bool(problems)


def check_safetensors_models():
    """The safetensors state_dicts: rewritten into a temporary folder they must be byte-identical; the committed outputs are
    recomputed in float64 from the committed files (within 1e-5); each F16/BF16/F64 file's _float twin is its .float()."""
    global failed
    import tempfile
    import make_safetensors_model_fixtures as m

    committed = os.path.join(FIX, "safetensors")
    problems = []
    with tempfile.TemporaryDirectory() as out:
        m.OUT = out
        m.main()
        for name in sorted(os.listdir(committed)):
            if name.endswith(".safetensors") and open(os.path.join(committed, name), "rb").read() != open(os.path.join(out, name), "rb").read():
                problems.append(name + ": differs from what the script writes")
    worst = 0.0
    for name, (cls, features) in m.MODELS.items():
        model = cls().double()
        model.load_state_dict({k: v.double() for k, v in st.load_typed(os.path.join(committed, name + ".safetensors")).items()})
        x = np.loadtxt(os.path.join(committed, name + "_x.csv"), ndmin=2)
        with torch.no_grad():
            y = model(torch.from_numpy(x).reshape(1, -1, features)).numpy().reshape(len(x), -1)
        error = float(np.abs(y - np.loadtxt(os.path.join(committed, name + "_y.csv"), ndmin=2).reshape(len(x), -1)).max())
        worst = max(worst, error)
        if not error <= 1e-5:
            problems.append(f"{name}: outputs differ by {error:.2e}")
    for dtype in ("f16", "bf16", "f64"):
        typed = st.load_typed(os.path.join(committed, f"gru_fc_{dtype}.safetensors"))
        as_float = st.load_typed(os.path.join(committed, f"gru_fc_{dtype}_float.safetensors"))
        if list(typed) != list(as_float) or any(not torch.equal(typed[k].float(), as_float[k]) for k in typed):
            problems.append(f"gru_fc_{dtype}_float is not .float() of gru_fc_{dtype}")
    print(f"  recomputed safetensors models: max abs error {worst:.2e} (float64 vs the committed float32 outputs); " +
          ("; ".join(problems) if problems else "files match"))
    failed = failed or bool(problems)


def main():
    for sub, fn in (("forward", check_forward), ("grad", check_grad)):
        names = sorted(f[:-len(".data.safetensors")] for f in os.listdir(os.path.join(FIX, sub))
                       if f.endswith(".data.safetensors"))
        for n in names:
            fn(n)
    check_clip()
    for f in sorted(os.listdir(os.path.join(FIX, "optim"))):
        check_optim(f[:-len(".data.safetensors")])
    checked = len(worst)
    worst.sort(reverse=True)
    print("worst abs error vs float64 reference (top 8):")
    for e, n in worst[:8]:
        print(f"  {e:.3e}  {n}")
    check_recomputed()
    print(f"{checked} fixtures checked against float64, the recomputed files compared: " + ("FAILED" if failed else "OK"))
    sys.exit(1 if failed else 0)

if __name__ == "__main__":
    main()
