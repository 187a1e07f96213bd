using System;
using BenchmarkDotNet.Attributes;
using Fixed.Benchmarks.Models;

namespace Fixed.Benchmarks.Suites;

/// <summary>
/// The six networks of the target table (<see cref="NetworkId.Targets"/>), called exactly as a user writes it: a
/// concrete model, its <c>State</c> struct by ref, no interface or generic indirection. These medians fill the target table.
/// </summary>
public class TargetStepBenchmarks
{
    private readonly Gru1To8 _gru8 = new(NetworkCatalog.Seed);
    private readonly Gru1To32 _gru32 = new(NetworkCatalog.Seed);
    private readonly Gru1To64 _gru64 = new(NetworkCatalog.Seed);
    private readonly Lstm1To32 _lstm32 = new(NetworkCatalog.Seed);
    private readonly Lstm1To64 _lstm64 = new(NetworkCatalog.Seed);
    private readonly Rnn1To32 _rnn32 = new(NetworkCatalog.Seed);
    private readonly float[] _inputs = new float[1024];
    private readonly float[] _output = new float[1];
    private Gru1To8.State _gru8State;
    private Gru1To32.State _gru32State;
    private Gru1To64.State _gru64State;
    private Lstm1To32.State _lstm32State;
    private Lstm1To64.State _lstm64State;
    private Rnn1To32.State _rnn32State;
    private int _t;

    /// <summary>Fills the input cycle.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        for (int i = 0; i < _inputs.Length; i++)
        {
            _inputs[i] = (float)(random.NextDouble() * 2 - 1);
        }
    }

    /// <summary>GRU 1→8.</summary>
    [Benchmark]
    public float Gru1To8()
    {
        _gru8.Step(ref _gru8State, NextInput(), _output);
        return _output[0];
    }

    /// <summary>GRU 1→32.</summary>
    [Benchmark]
    public float Gru1To32()
    {
        _gru32.Step(ref _gru32State, NextInput(), _output);
        return _output[0];
    }

    /// <summary>GRU 1→64.</summary>
    [Benchmark]
    public float Gru1To64()
    {
        _gru64.Step(ref _gru64State, NextInput(), _output);
        return _output[0];
    }

    /// <summary>LSTM 1→32.</summary>
    [Benchmark]
    public float Lstm1To32()
    {
        _lstm32.Step(ref _lstm32State, NextInput(), _output);
        return _output[0];
    }

    /// <summary>LSTM 1→64.</summary>
    [Benchmark]
    public float Lstm1To64()
    {
        _lstm64.Step(ref _lstm64State, NextInput(), _output);
        return _output[0];
    }

    /// <summary>RNN tanh 1→32.</summary>
    [Benchmark]
    public float Rnn1To32()
    {
        _rnn32.Step(ref _rnn32State, NextInput(), _output);
        return _output[0];
    }

    private ReadOnlySpan<float> NextInput()
    {
        _t = (_t + 1) & 1023;
        return _inputs.AsSpan(_t, 1);
    }
}
