using BenchmarkDotNet.Attributes;
using Fixed.Benchmarks.Models;
using Fixed.Benchmarks.Timing;

namespace Fixed.Benchmarks.Suites;

/// <summary>A whole sequence of T = 1000 steps in one call (<c>[T, I]</c> in, <c>[T, 1]</c> out), state carried.</summary>
public class ForwardBenchmarks : GridBenchmark
{
    /// <summary>Steps per Forward call.</summary>
    public const int Steps = 1000;

    private float[] _inputs = [];
    private readonly float[] _outputs = new float[Steps];

    /// <summary>Generated model, 1000 steps.</summary>
    [Benchmark]
    public float Generated() => Forward();

    /// <summary>Scalar reference, 1000 steps.</summary>
    [Benchmark(Baseline = true)]
    public float Scalar() => Forward();

    /// <summary>TensorPrimitives, 1000 steps.</summary>
    [Benchmark]
    public float TensorPrimitives() => Forward();

    /// <inheritdoc />
    protected override void AfterSetup()
    {
        _inputs = RandomVector(Steps * Input, 11);
        JitWarmUp.UntilQuiet(() => Forward());
    }

    private float Forward()
    {
        Net.Forward(_inputs, _outputs);
        return _outputs[Steps - 1];
    }
}
