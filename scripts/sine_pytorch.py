#!/usr/bin/python3.11
"""The SineWave example in PyTorch: the reference the C# example must reproduce step for step.

    /usr/bin/python3.11 scripts/make_sine_data.py     # once: sine_init + sine_data
    /usr/bin/python3.11 scripts/sine_pytorch.py

Model: nn.RNN(1, 32) (tanh, 1 layer, batch_first) + nn.Linear(32, 1), weights from
examples/SineWave/sine_init.safetensors. Data: examples/SineWave/sine_data.safetensors.
10 epochs; each epoch takes the 600 training samples in `perm[epoch]` order, batch 16 (the last
batch of an epoch has 8): input [B, 4, 1] from the zero state, output of the last step [B, 1],
nn.MSELoss() against the labels [B, 1], loss.backward(), clip_grad_norm_(parameters, 5),
Adam(lr=0.01).step(), zero_grad.

Writes examples/SineWave/pytorch_losses.csv (step, loss, grad_norm for every step; step counts
from 0; grad_norm is the total 2-norm returned by clip_grad_norm_, i.e. before clipping) and
Runtime.Tests/Fixtures/sine_first20.data.safetensors (`loss` [20], `grad_norm` [20]).
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402
from make_fixtures import M  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EX = os.path.join(ROOT, "examples", "SineWave")
FIX = os.path.join(ROOT, "Runtime.Tests", "Fixtures")
BATCH, LR, CLIP = 16, 0.01, 5.0


def compute(log=print):
    """Trains as described above; returns (rows [(step, loss, grad_norm)], the sine_first20 (tensors, metadata)).
    scripts/verify_fixtures.py compares both with the committed files."""
    torch.set_num_threads(1)
    data, md = st.load_torch(os.path.join(EX, "sine_data.safetensors"))
    x, perm = data["x"], data["perm"].long()
    T, tau, n_train = int(md["T"]), int(md["tau"]), int(md["n_train"])
    n = T - tau
    features = torch.stack([x[i:i + n] for i in range(tau)], 1)  # [996, 4]: sample i = x[i..i+3]
    labels = x[tau:].reshape(-1, 1)                                # [996, 1]: x[i+4]

    model = M("rnn", 1, 32, 1, "tanh", True, 1)
    w, _ = st.load_torch(os.path.join(EX, "sine_init.safetensors"))
    model.load_state_dict(w, strict=True)
    loss_fn = nn.MSELoss()
    opt = torch.optim.Adam(model.parameters(), lr=LR)

    def predict(idx):
        y, _ = model(features[idx].unsqueeze(-1))  # [B, 4, 1] -> [B, 4, 1]
        return y[:, -1]                             # many-to-one: [B, 1]

    rows = []
    step = 0
    for epoch in range(perm.shape[0]):
        order = perm[epoch]
        losses = []
        for b in range(0, n_train, BATCH):
            idx = order[b:b + BATCH]
            loss = loss_fn(predict(idx), labels[idx])
            opt.zero_grad()
            loss.backward()
            gn = torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
            opt.step()
            rows.append((step, loss.item(), gn.item()))
            losses.append(loss.item())
            step += 1
        log(f"epoch {epoch + 1:2d}: {len(losses)} steps, mean loss {sum(losses) / len(losses):.6f}")

    with torch.no_grad():
        train_mse = loss_fn(predict(torch.arange(n_train)), labels[:n_train]).item()
        hold_mse = loss_fn(predict(torch.arange(n_train, n)), labels[n_train:]).item()
    log(f"final train MSE {train_mse:.6f}, holdout MSE {hold_mse:.6f} ({n - n_train} samples)")

    first = rows[:20]
    first20 = ({"loss": torch.tensor([r[1] for r in first]), "grad_norm": torch.tensor([r[2] for r in first])},
               {"lr": repr(LR), "batch": str(BATCH), "clip": repr(CLIP), "optimizer": "adam",
                "loss": "mse", "loss_on": "last", "layout": "batch_first",
                "description": "first 20 steps of scripts/sine_pytorch.py; grad_norm = clip_grad_norm_ return value"})
    return rows, first20


def main():
    rows, (tensors, metadata) = compute()
    with open(os.path.join(EX, "pytorch_losses.csv"), "w", newline="\n") as f:
        f.write("step,loss,grad_norm\n")
        for s, l, g in rows:
            f.write(f"{s},{l!r},{g!r}\n")
    st.save(os.path.join(FIX, "sine_first20.data.safetensors"), tensors, metadata)
    print(f"wrote examples/SineWave/pytorch_losses.csv ({len(rows)} steps), "
          f"Runtime.Tests/Fixtures/sine_first20.data.safetensors")
    print("first 5 steps (loss, grad_norm): " + ", ".join(f"({l:.6f}, {g:.6f})" for _, l, g in rows[:5]))


if __name__ == "__main__":
    main()
