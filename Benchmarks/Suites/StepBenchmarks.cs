using System;
using BenchmarkDotNet.Attributes;
using Fixed.Benchmarks.Models;

namespace Fixed.Benchmarks.Suites;

/// <summary>One time step, batch 1, state carried from call to call: the real-time loop's unit of work.</summary>
public class StepBenchmarks : GridBenchmark
{
    private float[] _inputs = [];
    private readonly float[] _output = new float[1];
    private int _t;

    /// <summary>Generated model, one step.</summary>
    [Benchmark]
    public float Generated() => Step();

    /// <summary>Scalar reference, one step.</summary>
    [Benchmark(Baseline = true)]
    public float Scalar() => Step();

    /// <summary>TensorPrimitives, one step.</summary>
    [Benchmark]
    public float TensorPrimitives() => Step();

    /// <inheritdoc />
    protected override void AfterSetup()
    {
        _inputs = RandomVector(InputCycle * Input, 7);
        Step();
    }

    private float Step()
    {
        int t = _t = (_t + 1) & (InputCycle - 1);
        Net.Step(_inputs.AsSpan(t * Input, Input), _output);
        return _output[0];
    }
}
