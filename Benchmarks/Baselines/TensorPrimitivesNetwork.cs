using System;
using Fixed.Benchmarks.Models;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Fixed.Benchmarks.Baselines;

/// <summary>
/// What a careful .NET developer writes without a generator: sizes known only at run time, weights in PyTorch
/// layout, every vector operation a <see cref="System.Numerics.Tensors.TensorPrimitives"/> call (SIMD inside each
/// call, none across them). Matrix-vector products are one <c>Dot</c> per gate row, except that an input size of 1
/// makes <c>weight_ih</c> a contiguous column, which is one <c>MultiplyAdd</c>. Gradients of the weights are one
/// <c>MultiplyAdd</c> (axpy) per row; clipping uses <c>Norm</c> and Adam is written with whole-vector operations.
/// </summary>
public sealed class TensorPrimitivesNetwork : RuntimeSizedNetwork
{
    private readonly float[] _tmpA, _tmpB, _adamTmp;

    /// <summary>Creates a zero-weight network; copy weights in with <see cref="BenchNetwork.CopyParametersFrom"/>.</summary>
    public TensorPrimitivesNetwork(NetworkId network, int window)
        : base(network, window)
    {
        _adamTmp = new float[_l.ParameterCount];
        _tmpA = new float[_l.H];
        _tmpB = new float[_l.H];
    }

    /// <inheritdoc />
    public override void Step(ReadOnlySpan<float> input, Span<float> output)
    {
        CellForward(input, _gates, _extra);
        output[0] = Head();
    }

    /// <inheritdoc />
    public override void Forward(ReadOnlySpan<float> inputs, Span<float> outputs)
    {
        int inSize = _l.I;
        int steps = inputs.Length / inSize;
        for (int t = 0; t < steps; t++)
        {
            CellForward(inputs.Slice(t * inSize, inSize), _gates, _extra);
            outputs[t] = Head();
        }
    }

    /// <inheritdoc />
    public override float Backward(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets)
    {
        int inSize = _l.I, h = _l.H, gh = _l.GH;
        int steps = inputs.Length / inSize;
        ReadOnlySpan<float> p = _p;
        Span<float> g = _g;
        Span<float> state = _state;
        state.Clear();

        float loss = 0f;
        for (int t = 0; t < steps; t++)
        {
            ReadOnlySpan<float> x = inputs.Slice(t * inSize, inSize);
            x.CopyTo(_xs.AsSpan(t * inSize, inSize));
            state.Slice(0, h).CopyTo(_hPrev.AsSpan(t * h, h));
            if (_l.Cell == Cell.Lstm)
            {
                state.Slice(h, h).CopyTo(_cPrev.AsSpan(t * h, h));
            }

            CellForward(x, _tapeGates.AsSpan(t * gh, gh), _tapeExtra.AsSpan(t * h, h));
            state.Slice(0, h).CopyTo(_hOut.AsSpan(t * h, h));
            float error = Head() - targets[t];
            loss += error * error;
            _dy[t] = 2f * error / steps;
        }

        Span<float> dh = _dh, dhNext = _dhNext, dpi = _dpi, dph = _dph;
        ReadOnlySpan<float> headWeight = p.Slice(_l.HeadWeight, h);
        Span<float> headWeightGrad = g.Slice(_l.HeadWeight, h);
        dhNext.Clear();
        _dc.AsSpan().Clear();
        for (int t = steps - 1; t >= 0; t--)
        {
            float dy = _dy[t];
            TP.MultiplyAdd(_hOut.AsSpan(t * h, h), dy, headWeightGrad, headWeightGrad);
            g[_l.HeadBias] += dy;
            TP.MultiplyAdd(headWeight, dy, dhNext, dh);
            CellBackward(t);

            ReadOnlySpan<float> x = _xs.AsSpan(t * inSize, inSize);
            ReadOnlySpan<float> hPrev = _hPrev.AsSpan(t * h, h);
            if (inSize == 1)
            {
                Span<float> column = g.Slice(0, gh);
                TP.MultiplyAdd(dpi, x[0], column, column);
            }
            else
            {
                for (int row = 0; row < gh; row++)
                {
                    Span<float> weightRow = g.Slice(row * inSize, inSize);
                    TP.MultiplyAdd(x, dpi[row], weightRow, weightRow);
                }
            }

            for (int row = 0; row < gh; row++)
            {
                Span<float> weightRow = g.Slice(_l.WeightHh + row * h, h);
                TP.MultiplyAdd(hPrev, dph[row], weightRow, weightRow);
                TP.MultiplyAdd(p.Slice(_l.WeightHh + row * h, h), dph[row], dhNext, dhNext);
            }

            TP.Add(g.Slice(_l.BiasIh, gh), dpi, g.Slice(_l.BiasIh, gh));
            TP.Add(g.Slice(_l.BiasHh, gh), dph, g.Slice(_l.BiasHh, gh));
        }

        return loss / steps;
    }

    /// <inheritdoc />
    public override void ClipStepZero()
    {
        Span<float> p = _p, g = _g, m = _m, v = _v, tmp = _adamTmp;
        float total = TP.Norm<float>(g);
        float coefficient = MathF.Min(MaxGradNorm / (total + 1e-6f), 1f);
        if (coefficient < 1f)
        {
            TP.Multiply(g, coefficient, g);
        }

        _step++;
        float stepSize = (float)(LearningRate / (1.0 - Math.Pow(Beta1, _step)));
        float correction2 = (float)Math.Sqrt(1.0 - Math.Pow(Beta2, _step));
        TP.Multiply(m, Beta1, m);
        TP.MultiplyAdd(g, 1f - Beta1, m, m);
        TP.Multiply(g, g, tmp);
        TP.Multiply(v, Beta2, v);
        TP.MultiplyAdd(tmp, 1f - Beta2, v, v);
        TP.Sqrt<float>(v, tmp);
        TP.Divide(tmp, correction2, tmp);
        TP.Add(tmp, Eps, tmp);
        TP.Divide(m, tmp, tmp);
        TP.MultiplyAdd(tmp, -stepSize, p, p);
        g.Clear();
    }

    /// <summary>One cell update of the state; leaves the activated gates and the extra vector BPTT needs.</summary>
    private void CellForward(ReadOnlySpan<float> x, Span<float> gates, Span<float> extra)
    {
        int inSize = _l.I, h = _l.H, gh = _l.GH;
        ReadOnlySpan<float> p = _p;
        Span<float> gi = _gi, ghv = _gh, state = _state;
        Span<float> hidden = state.Slice(0, h);
        if (inSize == 1)
        {
            TP.MultiplyAdd(p.Slice(0, gh), x[0], p.Slice(_l.BiasIh, gh), gi);
        }
        else
        {
            for (int row = 0; row < gh; row++)
            {
                gi[row] = p[_l.BiasIh + row] + TP.Dot(p.Slice(row * inSize, inSize), x);
            }
        }

        for (int row = 0; row < gh; row++)
        {
            ghv[row] = p[_l.BiasHh + row] + TP.Dot(p.Slice(_l.WeightHh + row * h, h), hidden);
        }

        switch (_l.Cell)
        {
            case Cell.Rnn:
                TP.Add(gi, ghv, gates);
                TP.Tanh(gates, gates);
                gates.CopyTo(hidden);
                break;
            case Cell.Gru:
                Span<float> rz = gates.Slice(0, 2 * h);
                TP.Add(gi.Slice(0, 2 * h), ghv.Slice(0, 2 * h), rz);
                TP.Sigmoid(rz, rz);
                Span<float> n = gates.Slice(2 * h, h);
                ghv.Slice(2 * h, h).CopyTo(extra);
                TP.MultiplyAdd(extra, gates.Slice(0, h), gi.Slice(2 * h, h), n);
                TP.Tanh(n, n);
                Span<float> difference = _tmpA;
                TP.Subtract(hidden, n, difference);
                TP.MultiplyAdd(difference, gates.Slice(h, h), n, hidden);
                break;
            default:
                TP.Add(gi, ghv, gates);
                TP.Sigmoid(gates.Slice(0, 2 * h), gates.Slice(0, 2 * h));
                TP.Tanh(gates.Slice(2 * h, h), gates.Slice(2 * h, h));
                TP.Sigmoid(gates.Slice(3 * h, h), gates.Slice(3 * h, h));
                Span<float> cell = state.Slice(h, h);
                TP.Multiply(gates.Slice(h, h), cell, cell);
                TP.MultiplyAdd(gates.Slice(0, h), gates.Slice(2 * h, h), cell, cell);
                TP.Tanh(cell, extra);
                TP.Multiply(gates.Slice(3 * h, h), extra, hidden);
                break;
        }
    }

    private float Head() =>
        _p[_l.HeadBias] + TP.Dot(_p.AsSpan(_l.HeadWeight, _l.H), _state.AsSpan(0, _l.H));

    /// <summary>The same cell gradients as <see cref="ScalarNetwork"/>, one whole-vector operation at a time.</summary>
    private void CellBackward(int t)
    {
        int h = _l.H, gh = _l.GH;
        ReadOnlySpan<float> gates = _tapeGates.AsSpan(t * gh, gh);
        ReadOnlySpan<float> extra = _tapeExtra.AsSpan(t * h, h);
        Span<float> dh = _dh, dhNext = _dhNext, dpi = _dpi, dph = _dph, a = _tmpA, b = _tmpB;
        switch (_l.Cell)
        {
            case Cell.Rnn:
                TP.Multiply(gates, gates, a);
                TP.Subtract(1f, a, a);
                TP.Multiply(dh, a, dpi);
                dpi.CopyTo(dph);
                dhNext.Clear();
                break;
            case Cell.Gru:
            {
                ReadOnlySpan<float> r = gates.Slice(0, h), z = gates.Slice(h, h), n = gates.Slice(2 * h, h);
                Span<float> dr = dpi.Slice(0, h), dz = dpi.Slice(h, h), dn = dpi.Slice(2 * h, h);
                TP.Subtract(1f, z, a);
                TP.Multiply(n, n, b);
                TP.Subtract(1f, b, b);
                TP.Multiply(dh, a, dn);
                TP.Multiply(dn, b, dn);
                TP.Subtract(_hPrev.AsSpan(t * h, h), n, b);
                TP.Multiply(dh, b, dz);
                TP.Multiply(dz, z, dz);
                TP.Multiply(dz, a, dz);
                TP.Subtract(1f, r, a);
                TP.Multiply(dn, extra, dr);
                TP.Multiply(dr, r, dr);
                TP.Multiply(dr, a, dr);
                dpi.Slice(0, 2 * h).CopyTo(dph);
                TP.Multiply(dn, r, dph.Slice(2 * h, h));
                TP.Multiply(dh, z, dhNext);
                break;
            }

            default:
            {
                ReadOnlySpan<float> i = gates.Slice(0, h), f = gates.Slice(h, h), g = gates.Slice(2 * h, h), o = gates.Slice(3 * h, h);
                Span<float> dc = _dc;
                TP.Multiply(extra, extra, a);
                TP.Subtract(1f, a, a);
                TP.Multiply(a, o, a);
                TP.MultiplyAdd(dh, a, dc, dc);
                TP.Subtract(1f, i, a);
                TP.Multiply(a, i, a);
                TP.Multiply(a, g, a);
                TP.Multiply(dc, a, dpi.Slice(0, h));
                TP.Subtract(1f, f, a);
                TP.Multiply(a, f, a);
                TP.Multiply(a, _cPrev.AsSpan(t * h, h), a);
                TP.Multiply(dc, a, dpi.Slice(h, h));
                TP.Multiply(g, g, a);
                TP.Subtract(1f, a, a);
                TP.Multiply(a, i, a);
                TP.Multiply(dc, a, dpi.Slice(2 * h, h));
                TP.Subtract(1f, o, a);
                TP.Multiply(a, o, a);
                TP.Multiply(a, extra, a);
                TP.Multiply(dh, a, dpi.Slice(3 * h, h));
                TP.Multiply(dc, f, dc);
                dpi.CopyTo(dph);
                dhNext.Clear();
                break;
            }
        }
    }
}
