#!/usr/bin/python3.11
"""PyTorch eager baseline for the benchmark report, one thread.

step:  ns per step, batch 1, state carried, under torch.no_grad(), for RNN/GRU/LSTM x hidden {8..128} x input {1, 8}
       (nn.RNN/GRU/LSTM(I, H) + nn.Linear(H, 1), one call of each per step, as a real-time loop would do it);
train: ns per training iteration, window 32, hidden 32, input 1, each cell: forward over the window from h0 = 0,
       MSE over every step, backward, clip_grad_norm_(1.0), Adam(lr=1e-3) step, zero_grad.
streams (with --streams N, instead of the above): ns per batched eager step of N independent streams, state
       carried, for the many-streams networks GRU 1->32, LSTM 4->64, GRU 1->128 (inputs [1, N, I]); the C# `streams`
       command runs this beside our multi-stream Step and ONNX Runtime's batched Run.
Every call is timed on its own and the median over all calls is reported (as the C# `timed` command does): on a
shared machine an average over many calls absorbs the time other processes took, a single call's time mostly does not.
Prints the medians and writes Benchmarks/report/pytorch.csv.

Run with Debian's PyTorch: /usr/bin/python3.11 scripts/bench/pytorch_bench.py [--quick]
"""
import argparse
import csv
import os
import statistics
import time

import torch
from torch import nn

CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
HIDDEN = [8, 16, 32, 64, 128]
INPUTS = [1, 8]
WINDOW = 32


def key(cell, input_size, hidden):
    return f"{cell}{hidden}" if input_size == 1 else f"{cell}{input_size}x{hidden}"


def step_ns(cell, input_size, hidden, steps, repeats):
    rnn = CELLS[cell](input_size, hidden)
    linear = nn.Linear(hidden, 1)
    xs = torch.rand(steps, 1, 1, input_size) * 2 - 1
    lstm = cell == "lstm"
    samples = []
    clock = time.perf_counter_ns
    with torch.no_grad():
        h = (torch.zeros(1, 1, hidden), torch.zeros(1, 1, hidden)) if lstm else torch.zeros(1, 1, hidden)
        for _ in range(min(steps, 500)):
            y, h = rnn(xs[0], h)
            linear(y)
        for _ in range(repeats):
            for t in range(steps):
                start = clock()
                y, h = rnn(xs[t], h)
                linear(y)
                samples.append(clock() - start)
    return statistics.median(samples)


STREAM_NETWORKS = [("gru", 1, 32), ("lstm", 4, 64), ("gru", 1, 128)]


def streams_ns(cell, input_size, hidden, streams, steps, repeats):
    rnn = CELLS[cell](input_size, hidden)
    linear = nn.Linear(hidden, 1)
    xs = torch.rand(steps, 1, streams, input_size) * 2 - 1
    lstm = cell == "lstm"
    samples = []
    clock = time.perf_counter_ns
    with torch.no_grad():
        zeros = torch.zeros(1, streams, hidden)
        h = (zeros, zeros.clone()) if lstm else zeros
        for t in range(min(steps, 200)):
            y, h = rnn(xs[t], h)
            linear(y)
        for _ in range(repeats):
            for t in range(steps):
                start = clock()
                y, h = rnn(xs[t], h)
                linear(y)
                samples.append(clock() - start)
    return statistics.median(samples)


def train_ns(cell, input_size, hidden, iterations, repeats):
    rnn = CELLS[cell](input_size, hidden)
    linear = nn.Linear(hidden, 1)
    params = list(rnn.parameters()) + list(linear.parameters())
    optimizer = torch.optim.Adam(params, lr=1e-3)
    loss_fn = nn.MSELoss()
    x = torch.rand(WINDOW, 1, input_size) * 2 - 1
    target = torch.rand(WINDOW, 1, 1) * 2 - 1

    def iteration():
        y, _ = rnn(x)
        loss = loss_fn(linear(y), target)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad()

    for _ in range(20):
        iteration()
    samples = []
    for _ in range(repeats * iterations):
        start = time.perf_counter_ns()
        iteration()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples)


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(root, "Benchmarks", "report", "pytorch.csv"))
    parser.add_argument("--quick", action="store_true", help="fewer steps and repeats (smoke test)")
    parser.add_argument("--streams", type=int, default=0,
                        help="only the batched step of N streams for the many-streams networks (CSV: key,streams,median_ns)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    if args.streams > 0:
        steps, repeats = (100, 2) if args.quick else (500, 5)
        print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread; batched step of {args.streams} streams, "
              f"median of {steps * repeats} individually timed steps")
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["network", "streams", "median_ns", "torch_version", "threads"])
            for cell, input_size, hidden in STREAM_NETWORKS:
                ns = streams_ns(cell, input_size, hidden, args.streams, steps, repeats)
                writer.writerow([key(cell, input_size, hidden), args.streams, f"{ns:.0f}", torch.__version__, torch.get_num_threads()])
                print(f"  {key(cell, input_size, hidden):10s} {ns:12,.0f} ns per call, {ns / args.streams:10,.1f} ns per stream-step")
        return
    steps, step_repeats = (200, 3) if args.quick else (2000, 7)
    iterations, train_repeats = (10, 3) if args.quick else (50, 7)

    rows = []
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread; median of {step_repeats * steps} individually timed steps")
    for cell in CELLS:
        for input_size in INPUTS:
            for hidden in HIDDEN:
                ns = step_ns(cell, input_size, hidden, steps, step_repeats)
                rows.append(("step", key(cell, input_size, hidden), cell, input_size, hidden, ns))
                print(f"  step  {key(cell, input_size, hidden):10s} {ns:12,.0f} ns")
    print(f"training iteration (window {WINDOW}): median of {train_repeats * iterations} individually timed iterations")
    for cell in CELLS:
        ns = train_ns(cell, 1, 32, iterations, train_repeats)
        rows.append(("train", key(cell, 1, 32), cell, 1, 32, ns))
        print(f"  train {key(cell, 1, 32):10s} {ns:12,.0f} ns")

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["kind", "network", "cell", "input", "hidden", "median_ns", "torch_version", "threads"])
        for kind, name, cell, input_size, hidden, ns in rows:
            writer.writerow([kind, name, cell, input_size, hidden, f"{ns:.0f}", torch.__version__, torch.get_num_threads()])
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
