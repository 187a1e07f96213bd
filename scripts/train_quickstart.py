#!/usr/bin/python3.11
"""Trains the QuickStart example's weights: examples/QuickStart/rnn_regression.safetensors.

    /usr/bin/python3.11 scripts/train_quickstart.py [--iters N]

The seed's model, nn.RNN(1, 32) (tanh, 1 layer) + nn.Linear(32, 1), fed the noisy stream
x_t = sin(0.01 t) + N(0, 0.2) one sample per step with the hidden state carried along, learns to
predict the next CLEAN value sin(0.01 (t + 1)). Training: batches of sequences of 200..400 steps
from random phase offsets, each from the zero state; many-to-many MSE over every step; Adam with a
cosine learning-rate decay; clip_grad_norm_(5). Deterministic (seed 0, one thread).

Evaluation: long streams (from the zero state, the state carried across all steps), RMSE of the
prediction against the clean next value, compared with the RMSE of the raw noisy input against
the same target (i.e. "predict x_{t+1} by x_t").
Saves only the state_dict (rnn.* and linear.*).
"""
import argparse
import math
import os
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402
from make_fixtures import M  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "examples", "QuickStart", "rnn_regression.safetensors")
FREQ, NOISE = 0.01, 0.2


def batch(gen, B, T):
    t0 = torch.rand(B, 1, generator=gen) * (2 * math.pi / FREQ)  # random phase offset
    t = t0 + torch.arange(T, dtype=torch.float32)
    x = torch.sin(FREQ * t) + NOISE * torch.randn(B, T, generator=gen)
    y = torch.sin(FREQ * (t + 1))
    return x.unsqueeze(-1), y.unsqueeze(-1)


def evaluate(model, gen, B, T, burn):
    x, y = batch(gen, B, T)
    with torch.no_grad():
        p, _ = model(x)
    rmse = ((p - y)[:, burn:] ** 2).mean().sqrt().item()
    raw = ((x - y)[:, burn:] ** 2).mean().sqrt().item()
    return rmse, raw


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=6000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = M("rnn", 1, 32, 1, "tanh", True, 1)
    gen = torch.Generator().manual_seed(1)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(i, args.iters) / args.iters)))
    loss_fn = nn.MSELoss()
    start = time.time()
    for it in range(args.iters):
        T = int(torch.randint(200, 401, (1,), generator=gen))
        x, y = batch(gen, args.batch, T)
        p, _ = model(x)
        loss = loss_fn(p, y)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        sched.step()
        if it % 250 == 0 or it == args.iters - 1:
            print(f"iter {it:5d}  T={T:3d}  loss {loss.item():.5f}  rmse {math.sqrt(loss.item()):.4f}  "
                  f"lr {sched.get_last_lr()[0]:.2e}  {time.time() - start:.0f}s", flush=True)
    egen = torch.Generator().manual_seed(12345)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    st.save(OUT, model.state_dict())
    print(f"wrote {os.path.relpath(OUT, ROOT)}")
    for B, T, burn in ((64, 400, 0), (64, 400, 50), (16, 5000, 50), (2, 50000, 50)):
        rmse, raw = evaluate(model, egen, B, T, burn)
        print(f"eval {B} streams x {T} steps (skip first {burn}): model RMSE {rmse:.4f}   "
              f"raw noisy input RMSE {raw:.4f}   ratio {rmse / raw:.3f}")
    # the QuickStart's own stream: t = 0, 1, 2, ... from the zero state
    t = torch.arange(2000, dtype=torch.float32)
    x = torch.sin(FREQ * t) + NOISE * torch.randn(2000, generator=egen)
    y = torch.sin(FREQ * (t + 1))
    with torch.no_grad():
        p, _ = model(x.reshape(1, -1, 1))
    p = p.reshape(-1)
    for burn in (0, 50):
        print(f"eval stream t = 0..1999 (skip first {burn}): model RMSE "
              f"{((p - y)[burn:] ** 2).mean().sqrt().item():.4f}   raw noisy input RMSE "
              f"{((x - y)[burn:] ** 2).mean().sqrt().item():.4f}")


if __name__ == "__main__":
    main()
