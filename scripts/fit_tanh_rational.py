#!/usr/bin/env python3
"""The coefficients of Fixed's tanh and sigmoid (Runtime/Kernels/Activations.cs).

tanh(x) ~= x * P(x^2) / Q(x^2) with P(0) = Q(0) = 1 and P, Q of degree 4 in x^2, fitted on [0, 9] to the smallest
maximum absolute error: a linearised least-squares fit (x P - tanh(x) Q, divided by the previous Q) whose weights are
updated by Lawson's rule (each point's weight times its error) until the error levels out, which approaches the minimax
fit. Prints the fit's error in double, the coefficients rounded to float32 as C# constants, the float32 error of
evaluating them the way the kernels do (Estrin's scheme, fused multiply-adds), and where the float32 quotient first
reaches 1 (past it the kernels' clamp to [-1, 1] gives exactly 1).

    /usr/bin/python3.11 scripts/fit_tanh_rational.py      # needs numpy (Debian's python3-numpy)
"""
import numpy as np

DEGREE, LIMIT = 4, 9.0


def fit(degree, limit, iterations=200):
    x = np.concatenate([np.linspace(0, limit, 20000)[1:], np.geomspace(1e-6, 1, 2000)])
    x.sort()
    s, t = x * x, np.tanh(x)
    q_prev, weight = np.ones_like(x), np.ones_like(x)
    for _ in range(iterations):
        columns = [x * s**k for k in range(1, degree + 1)] + [-t * s**k for k in range(1, degree + 1)]
        a = np.stack(columns, 1) / q_prev[:, None]
        b = (t - x) / q_prev
        root = np.sqrt(weight)
        coefficients, *_ = np.linalg.lstsq(a * root[:, None], b * root, rcond=None)
        p = np.concatenate([[1.0], coefficients[:degree]])
        q = np.concatenate([[1.0], coefficients[degree:]])
        q_prev = np.polyval(q[::-1], s)
        error = x * np.polyval(p[::-1], s) / q_prev - t
        weight = weight * np.abs(error)
        weight /= weight.sum()
    return p, q, np.abs(error).max()


def f32(v):
    return np.float32(v)


def fma(a, b, c):  # one rounding, as the kernels' MultiplyAddEstimate compiles to an FMA on every tested path
    return f32(np.float64(a) * np.float64(b) + np.float64(c))


def evaluate(p, q, x):
    x = f32(x)
    s = f32(x * x)
    s2 = f32(s * s)
    pv = fma(s2, fma(s2, p[4], fma(s, p[3], p[2])), fma(s, p[1], p[0]))
    qv = fma(s2, fma(s2, q[4], fma(s, q[3], q[2])), fma(s, q[1], q[0]))
    return f32(np.float64(f32(x * pv)) / np.float64(qv))


p, q, err = fit(DEGREE, LIMIT)
p32, q32 = p.astype(np.float32), q.astype(np.float32)
print(f"fit on [0, {LIMIT}]: max |error| {err:.3g} (double)")
for k in range(1, DEGREE + 1):
    print(f"    private const float P{k} = {float(p32[k])!r}f;")
for k in range(1, DEGREE + 1):
    print(f"    private const float Q{k} = {float(q32[k])!r}f;")
xs = np.linspace(0, LIMIT, 90001)
worst = max(abs(float(evaluate(p32, q32, v)) - np.tanh(v)) for v in xs)
print(f"float32 evaluation on [0, {LIMIT}]: max |error| {worst:.3g}")
first = next(v for v in np.arange(7.0, LIMIT, 0.001) if evaluate(p32, q32, v) >= 1.0)
print(f"the float32 quotient reaches 1 at x = {first:.3f} (tanh there: 1 - {1 - np.tanh(first):.2g})")
