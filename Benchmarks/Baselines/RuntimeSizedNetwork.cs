using System;
using Fixed.Benchmarks.Models;

namespace Fixed.Benchmarks.Baselines;

/// <summary>
/// What the two runtime-sized baselines (<see cref="ScalarNetwork"/>, <see cref="TensorPrimitivesNetwork"/>) hold
/// in common: the <see cref="RuntimeLayout"/>, the flat parameters, gradients, Adam moments and state, the per-step
/// working vectors and the BPTT tape. The step, forward and training code stays in each implementation.
/// </summary>
public abstract class RuntimeSizedNetwork : BenchNetwork
{
    /// <summary>Adam's defaults (PyTorch's).</summary>
    private protected const float Beta1 = 0.9f, Beta2 = 0.999f, Eps = 1e-8f;

    private protected readonly RuntimeLayout _l;
    private protected readonly float[] _p, _g, _state;
    private protected readonly float[] _gi, _gh, _gates, _extra;

    // The BPTT tape, one row per step of the window.
    private protected readonly float[] _xs, _hPrev, _cPrev, _tapeGates, _tapeExtra, _hOut, _dy;

    // Backward's working vectors.
    private protected readonly float[] _dh, _dhNext, _dc, _dpi, _dph;

    private protected readonly float[] _m, _v;
    private protected int _step;

    /// <summary>Allocates every buffer of a zero-weight network of <paramref name="network"/>.</summary>
    private protected RuntimeSizedNetwork(NetworkId network, int window)
    {
        _l = new RuntimeLayout(network, window);
        int h = _l.H, gh = _l.GH, count = _l.ParameterCount;
        _p = new float[count];
        _g = new float[count];
        _m = new float[count];
        _v = new float[count];
        _state = new float[_l.StateLength];
        _gi = new float[gh];
        _gh = new float[gh];
        _gates = new float[gh];
        _extra = new float[h];
        _xs = new float[window * _l.I];
        _hPrev = new float[window * h];
        _cPrev = new float[window * h];
        _tapeGates = new float[window * gh];
        _tapeExtra = new float[window * h];
        _hOut = new float[window * h];
        _dy = new float[window];
        _dh = new float[h];
        _dhNext = new float[h];
        _dc = new float[h];
        _dpi = new float[gh];
        _dph = new float[gh];
    }

    /// <inheritdoc />
    public override NetworkId Network => _l.Network;

    /// <inheritdoc />
    public override Span<float> Parameters => _p;

    /// <inheritdoc />
    public override Span<float> Gradients => _g;

    /// <inheritdoc />
    public override Span<float> State => _state;
}
