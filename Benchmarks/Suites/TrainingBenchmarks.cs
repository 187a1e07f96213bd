using BenchmarkDotNet.Attributes;
using Fixed.Benchmarks.Models;
using Fixed.Benchmarks.Timing;

namespace Fixed.Benchmarks.Suites;

/// <summary>
/// One training iteration over a window of 32 steps, as PyTorch's loop does it: forward from the zero state, MSE over
/// every step, backward, <c>clip_grad_norm_(1.0)</c>, Adam step, zero_grad.
/// </summary>
public class TrainingBenchmarks : GridBenchmark
{
    private float[] _inputs = [];
    private float[] _targets = [];

    /// <summary>Generated model (engine BPTT, runtime clipping and Adam).</summary>
    [Benchmark]
    public float Generated() => Net.TrainingIteration(_inputs, _targets);

    /// <summary>Scalar reference.</summary>
    [Benchmark(Baseline = true)]
    public float Scalar() => Net.TrainingIteration(_inputs, _targets);

    /// <summary>TensorPrimitives.</summary>
    [Benchmark]
    public float TensorPrimitives() => Net.TrainingIteration(_inputs, _targets);

    /// <inheritdoc />
    protected override void AfterSetup()
    {
        _inputs = RandomVector(NetworkCatalog.Window * Input, 13);
        _targets = RandomVector(NetworkCatalog.Window, 17);
        JitWarmUp.UntilQuiet(() => Net.TrainingIteration(_inputs, _targets));
    }
}
