using System;
using BenchmarkDotNet.Attributes;
using Fixed.Benchmarks.Baselines;
using Fixed.Benchmarks.Models;
using Fixed.Benchmarks.Verification;

namespace Fixed.Benchmarks.Suites;

/// <summary>
/// The parameter grid shared by the suites: every cell × input {1, 8} × hidden {8 … 128}. Each case builds only
/// the implementation it times, after the self-check has shown all three agree on this network. Every suite on the
/// grid names its benchmarks <c>Generated</c>, <c>Scalar</c> and <c>TensorPrimitives</c>, after <see cref="Implementation"/>.
/// </summary>
public abstract class GridBenchmark
{
    /// <summary>Inputs cycled through by the per-step benchmarks (so the state keeps moving).</summary>
    protected const int InputCycle = 1024;

    /// <summary>The cell.</summary>
    [Params(Cell.Rnn, Cell.Gru, Cell.Lstm)]
    public Cell Cell { get; set; }

    /// <summary>Features per step.</summary>
    [Params(1, 8)]
    public int Input { get; set; }

    /// <summary>Hidden units.</summary>
    [Params(8, 16, 32, 64, 128)]
    public int Hidden { get; set; }

    /// <summary>The network of this case.</summary>
    protected NetworkId Network => new(Cell, Input, Hidden);

    /// <summary>The implementation under test in this case.</summary>
    protected BenchNetwork Net { get; private set; } = null!;

    /// <summary>The generated model (for the suite's <c>Generated</c> benchmark).</summary>
    [GlobalSetup(Target = nameof(Implementation.Generated))]
    public void SetupGenerated() => Setup(Implementation.Generated);

    /// <summary>The scalar reference (for the suite's <c>Scalar</c> benchmark).</summary>
    [GlobalSetup(Target = nameof(Implementation.Scalar))]
    public void SetupScalar() => Setup(Implementation.Scalar);

    /// <summary>The TensorPrimitives implementation (for the suite's <c>TensorPrimitives</c> benchmark).</summary>
    [GlobalSetup(Target = nameof(Implementation.TensorPrimitives))]
    public void SetupTensorPrimitives() => Setup(Implementation.TensorPrimitives);

    /// <summary>Self-checks the network, then builds <paramref name="implementation"/> of it.</summary>
    protected void Setup(Implementation implementation)
    {
        SelfCheck.Check(Network);
        Net = NetworkCatalog.Create(implementation, Network);
        AfterSetup();
    }

    /// <summary>Per-suite buffers and a warm call.</summary>
    protected abstract void AfterSetup();

    /// <summary>Uniform values in [-1, 1) from a fixed seed.</summary>
    internal static float[] RandomVector(int length, int seed)
    {
        var random = new Random(seed);
        float[] values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }
}
