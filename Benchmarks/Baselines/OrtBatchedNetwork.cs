using System;
using System.IO;
using Fixed.Benchmarks.Models;
using Microsoft.ML.OnnxRuntime;

namespace Fixed.Benchmarks.Baselines;

/// <summary>
/// ONNX Runtime stepping N streams in one <c>Run</c>: the export of <c>scripts/bench/export_onnx.py</c> under
/// <c>onnx/batched/</c> has a dynamic batch axis (<c>x [1,N,I]</c>, <c>h0</c> (and <c>c0</c>) <c>[1,N,H]</c>,
/// <c>y [1,N,1]</c>), the batched call a gateway would make with ORT. Bound as <see cref="OrtNetwork"/> is: one
/// intra-op thread, pinned buffers, two bindings with the state buffers swapped so hn feeds back as h0 for free.
/// </summary>
public sealed class OrtBatchedNetwork : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly OrtIoBinding[] _bindings = new OrtIoBinding[2];
    private readonly OrtValue[] _values;
    private int _parity;

    /// <summary>Loads <c>batched/{cell}_{I}_{H}.onnx</c> from <paramref name="directory"/> for <paramref name="streams"/> streams.</summary>
    public OrtBatchedNetwork(NetworkId network, string directory, int streams)
    {
        string path = ModelPath(network, directory);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No batched ONNX export for {network.Display}: run scripts/bench/export_onnx.py.", path);
        }

        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(path, options);
        bool lstm = network.Cell == Cell.Lstm;
        long[] stateShape = [1, streams, network.Hidden];
        Input = new float[streams * network.Input];
        Output = new float[streams];
        OrtValue x = OrtValue.CreateTensorValueFromMemory(Input, [1, streams, network.Input]);
        OrtValue y = OrtValue.CreateTensorValueFromMemory(Output, [1, streams, 1]);
        OrtValue h0 = OrtValue.CreateTensorValueFromMemory(new float[streams * network.Hidden], stateShape);
        OrtValue h1 = OrtValue.CreateTensorValueFromMemory(new float[streams * network.Hidden], stateShape);
        OrtValue c0 = OrtValue.CreateTensorValueFromMemory(new float[streams * network.Hidden], stateShape);
        OrtValue c1 = OrtValue.CreateTensorValueFromMemory(new float[streams * network.Hidden], stateShape);
        _values = [x, y, h0, h1, c0, c1];
        for (int parity = 0; parity < 2; parity++)
        {
            OrtIoBinding binding = _session.CreateIoBinding();
            binding.BindInput("x", x);
            binding.BindInput("h0", parity == 0 ? h0 : h1);
            binding.BindOutput("y", y);
            binding.BindOutput("hn", parity == 0 ? h1 : h0);
            if (lstm)
            {
                binding.BindInput("c0", parity == 0 ? c0 : c1);
                binding.BindOutput("cn", parity == 0 ? c1 : c0);
            }

            _bindings[parity] = binding;
        }
    }

    /// <summary>The bound input buffer <c>[N, I]</c>.</summary>
    public float[] Input { get; }

    /// <summary>The bound output buffer <c>[N]</c>.</summary>
    public float[] Output { get; }

    /// <summary>The path of the batched export of <paramref name="network"/>.</summary>
    public static string ModelPath(NetworkId network, string directory) => Path.Combine(directory, "batched", network.FileStem + ".onnx");

    /// <summary>Every stream one step.</summary>
    public void Step()
    {
        _session.RunWithBinding(_runOptions, _bindings[_parity]);
        _parity ^= 1;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (OrtIoBinding binding in _bindings)
        {
            binding.Dispose();
        }

        foreach (OrtValue value in _values)
        {
            value.Dispose();
        }

        _runOptions.Dispose();
        _session.Dispose();
    }
}
