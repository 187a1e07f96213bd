using System;
using Fixed.Benchmarks.Models;

namespace Fixed.Benchmarks.Baselines;

/// <summary>
/// The deliberately simple reference: sizes known only at run time, <c>float[]</c> weights in PyTorch layout,
/// plain loops, <see cref="MathF"/> activations. Forward, BPTT, clipping and Adam exactly as the formulas read,
/// with no attempt at speed — this is what "no generator, no SIMD" costs.
/// </summary>
public sealed class ScalarNetwork : RuntimeSizedNetwork
{
    /// <summary>Creates a zero-weight network; copy weights in with <see cref="BenchNetwork.CopyParametersFrom"/>.</summary>
    public ScalarNetwork(NetworkId network, int window)
        : base(network, window)
    {
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
        int steps = inputs.Length / _l.I;
        for (int t = 0; t < steps; t++)
        {
            CellForward(inputs.Slice(t * _l.I, _l.I), _gates, _extra);
            outputs[t] = Head();
        }
    }

    /// <inheritdoc />
    public override float Backward(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets)
    {
        int I = _l.I, H = _l.H, GH = _l.GH;
        int steps = inputs.Length / I;
        Array.Clear(_state);

        // Forward, recording what the backward sweep needs; MSE over every step.
        float loss = 0f;
        for (int t = 0; t < steps; t++)
        {
            for (int k = 0; k < I; k++)
            {
                _xs[t * I + k] = inputs[t * I + k];
            }

            for (int j = 0; j < H; j++)
            {
                _hPrev[t * H + j] = _state[j];
                _cPrev[t * H + j] = _l.Cell == Cell.Lstm ? _state[H + j] : 0f;
            }

            CellForward(inputs.Slice(t * I, I), _tapeGates.AsSpan(t * GH, GH), _tapeExtra.AsSpan(t * H, H));
            for (int j = 0; j < H; j++)
            {
                _hOut[t * H + j] = _state[j];
            }

            float error = Head() - targets[t];
            loss += error * error;
            _dy[t] = 2f * error / steps;
        }

        // Backward through time; the starting state is a constant.
        Array.Clear(_dhNext);
        Array.Clear(_dc);
        for (int t = steps - 1; t >= 0; t--)
        {
            float dy = _dy[t];
            for (int j = 0; j < H; j++)
            {
                _g[_l.HeadWeight + j] += dy * _hOut[t * H + j];
                _dh[j] = _dhNext[j] + _p[_l.HeadWeight + j] * dy;
            }

            _g[_l.HeadBias] += dy;
            CellBackward(t);

            for (int g = 0; g < GH; g++)
            {
                for (int k = 0; k < I; k++)
                {
                    _g[g * I + k] += _dpi[g] * _xs[t * I + k];
                }

                for (int k = 0; k < H; k++)
                {
                    _g[_l.WeightHh + g * H + k] += _dph[g] * _hPrev[t * H + k];
                }

                _g[_l.BiasIh + g] += _dpi[g];
                _g[_l.BiasHh + g] += _dph[g];
            }

            for (int k = 0; k < H; k++)
            {
                float sum = 0f;
                for (int g = 0; g < GH; g++)
                {
                    sum += _p[_l.WeightHh + g * H + k] * _dph[g];
                }

                _dhNext[k] += sum;
            }
        }

        return loss / steps;
    }

    /// <inheritdoc />
    public override void ClipStepZero()
    {
        double squares = 0;
        for (int i = 0; i < _g.Length; i++)
        {
            squares += (double)_g[i] * _g[i];
        }

        float total = (float)Math.Sqrt(squares);
        float coefficient = MathF.Min(MaxGradNorm / (total + 1e-6f), 1f);
        for (int i = 0; i < _g.Length; i++)
        {
            _g[i] *= coefficient;
        }

        _step++;
        float stepSize = (float)(LearningRate / (1.0 - Math.Pow(Beta1, _step)));
        float correction2 = (float)Math.Sqrt(1.0 - Math.Pow(Beta2, _step));
        for (int i = 0; i < _p.Length; i++)
        {
            float g = _g[i];
            _m[i] = Beta1 * _m[i] + (1f - Beta1) * g;
            _v[i] = Beta2 * _v[i] + (1f - Beta2) * g * g;
            _p[i] -= stepSize * (_m[i] / (MathF.Sqrt(_v[i]) / correction2 + Eps));
            _g[i] = 0f;
        }
    }

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary>One cell update of <see cref="_state"/>; leaves the activated gates and the extra vector BPTT needs.</summary>
    private void CellForward(ReadOnlySpan<float> x, Span<float> gates, Span<float> extra)
    {
        int I = _l.I, H = _l.H, GH = _l.GH;
        for (int g = 0; g < GH; g++)
        {
            float a = _p[_l.BiasIh + g];
            for (int k = 0; k < I; k++)
            {
                a += _p[g * I + k] * x[k];
            }

            float b = _p[_l.BiasHh + g];
            for (int k = 0; k < H; k++)
            {
                b += _p[_l.WeightHh + g * H + k] * _state[k];
            }

            _gi[g] = a;
            _gh[g] = b;
        }

        for (int j = 0; j < H; j++)
        {
            switch (_l.Cell)
            {
                case Cell.Rnn:
                    gates[j] = MathF.Tanh(_gi[j] + _gh[j]);
                    _state[j] = gates[j];
                    break;
                case Cell.Gru:
                    float r = Sigmoid(_gi[j] + _gh[j]);
                    float z = Sigmoid(_gi[H + j] + _gh[H + j]);
                    float n = MathF.Tanh(_gi[2 * H + j] + r * _gh[2 * H + j]);
                    gates[j] = r;
                    gates[H + j] = z;
                    gates[2 * H + j] = n;
                    extra[j] = _gh[2 * H + j];
                    _state[j] = (1f - z) * n + z * _state[j];
                    break;
                default:
                    float i = Sigmoid(_gi[j] + _gh[j]);
                    float f = Sigmoid(_gi[H + j] + _gh[H + j]);
                    float c = MathF.Tanh(_gi[2 * H + j] + _gh[2 * H + j]);
                    float o = Sigmoid(_gi[3 * H + j] + _gh[3 * H + j]);
                    float cNew = f * _state[H + j] + i * c;
                    float tanhC = MathF.Tanh(cNew);
                    gates[j] = i;
                    gates[H + j] = f;
                    gates[2 * H + j] = c;
                    gates[3 * H + j] = o;
                    extra[j] = tanhC;
                    _state[H + j] = cNew;
                    _state[j] = o * tanhC;
                    break;
            }
        }
    }

    private float Head()
    {
        float y = _p[_l.HeadBias];
        for (int j = 0; j < _l.H; j++)
        {
            y += _p[_l.HeadWeight + j] * _state[j];
        }

        return y;
    }

    /// <summary>
    /// From dLoss/dh' in <see cref="_dh"/> (and dLoss/dc' in <see cref="_dc"/>), the pre-activation gradients of both
    /// projections (<see cref="_dpi"/>, <see cref="_dph"/>), the part of dLoss/dh that bypasses W_hh
    /// (into <see cref="_dhNext"/>) and dLoss/dc for the step before (into <see cref="_dc"/>).
    /// </summary>
    private void CellBackward(int t)
    {
        int H = _l.H, GH = _l.GH;
        for (int j = 0; j < H; j++)
        {
            float dh = _dh[j];
            switch (_l.Cell)
            {
                case Cell.Rnn:
                    float a = _tapeGates[t * GH + j];
                    _dpi[j] = dh * (1f - a * a);
                    _dph[j] = _dpi[j];
                    _dhNext[j] = 0f;
                    break;
                case Cell.Gru:
                    float r = _tapeGates[t * GH + j], z = _tapeGates[t * GH + H + j], n = _tapeGates[t * GH + 2 * H + j];
                    float dnPre = dh * (1f - z) * (1f - n * n);
                    float dzPre = dh * (_hPrev[t * H + j] - n) * z * (1f - z);
                    float drPre = dnPre * _tapeExtra[t * H + j] * r * (1f - r);
                    _dpi[j] = drPre;
                    _dph[j] = drPre;
                    _dpi[H + j] = dzPre;
                    _dph[H + j] = dzPre;
                    _dpi[2 * H + j] = dnPre;
                    _dph[2 * H + j] = dnPre * r;
                    _dhNext[j] = dh * z;
                    break;
                default:
                    float i = _tapeGates[t * GH + j], f = _tapeGates[t * GH + H + j];
                    float g = _tapeGates[t * GH + 2 * H + j], o = _tapeGates[t * GH + 3 * H + j];
                    float tanhC = _tapeExtra[t * H + j];
                    float dc = _dc[j] + dh * o * (1f - tanhC * tanhC);
                    _dpi[j] = dc * g * i * (1f - i);
                    _dpi[H + j] = dc * _cPrev[t * H + j] * f * (1f - f);
                    _dpi[2 * H + j] = dc * i * (1f - g * g);
                    _dpi[3 * H + j] = dh * tanhC * o * (1f - o);
                    for (int q = 0; q < 4; q++)
                    {
                        _dph[q * H + j] = _dpi[q * H + j];
                    }

                    _dc[j] = dc * f;
                    _dhNext[j] = 0f;
                    break;
            }
        }
    }
}
