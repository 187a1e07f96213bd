using System;
using System.IO;
using BenchmarkDotNet.Attributes;
using Fixed.Benchmarks.Baselines;
using Fixed.Benchmarks.Models;

namespace Fixed.Benchmarks.Suites;

/// <summary>
/// ONNX Runtime, one step of the exported networks (input 1, hidden 8 … 64), state fed back by alternating
/// pre-bound buffers; compared with the other implementations' <see cref="StepBenchmarks"/> in the report.
/// </summary>
public class OrtStepBenchmarks : IDisposable
{
    private OrtNetwork _ort = null!;
    private float[] _inputs = [];
    private int _t;

    /// <summary>The cell.</summary>
    [Params(Cell.Rnn, Cell.Gru, Cell.Lstm)]
    public Cell Cell { get; set; }

    /// <summary>Hidden units (input size is 1).</summary>
    [Params(8, 16, 32, 64)]
    public int Hidden { get; set; }

    /// <summary>The directory the exports are copied to next to the benchmark binary.</summary>
    public static string OnnxDirectory => Path.Combine(AppContext.BaseDirectory, "onnx");

    /// <summary>Loads the export after checking it against PyTorch's recorded outputs.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var network = new NetworkId(Cell, 1, Hidden);
        Verification.SelfCheck.CheckOnnx(OnnxDirectory, network);

        _ort = new OrtNetwork(network, OnnxDirectory);
        _inputs = new float[1024];
        var random = new Random(7);
        for (int i = 0; i < _inputs.Length; i++)
        {
            _inputs[i] = (float)(random.NextDouble() * 2 - 1);
        }

        OnnxRuntime();
    }

    /// <summary>ONNX Runtime, one step via RunWithBinding.</summary>
    [Benchmark]
    public float OnnxRuntime()
    {
        _t = (_t + 1) & 1023;
        _ort.Input[0] = _inputs[_t];
        _ort.Step();
        return _ort.Output[0];
    }

    /// <summary>Releases the session.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _ort?.Dispose();
        GC.SuppressFinalize(this);
    }
}
