using System;
using BenchmarkDotNet.Attributes;
using Fixed.Benchmarks.Models;

namespace Fixed.Benchmarks.Suites;

/// <summary>
/// GRU 1→32's <c>Step</c>, called directly, for <c>DisassemblyDiagnoser</c> (<c>-- disasm</c>): the listing shows
/// whether the engine's hot loops still carry bounds checks, calls or stack spills after specialisation.
/// </summary>
public class StepDisassembly
{
    private readonly Gru1To32 _model = new(NetworkCatalog.Seed);
    private readonly float[] _input = [0.25f];
    private readonly float[] _output = new float[1];
    private Gru1To32.State _state;

    /// <summary>GRU 1→32, one step.</summary>
    [Benchmark]
    public float Gru1To32Step()
    {
        _model.Step(ref _state, _input, _output);
        return _output[0];
    }
}
