using System;
using System.IO;
using Fixed.Benchmarks.Models;
using Microsoft.ML.OnnxRuntime;

namespace Fixed.Benchmarks.Baselines;

/// <summary>
/// ONNX Runtime running the same network's single step, exported from PyTorch by
/// <c>scripts/bench/export_onnx.py</c> (inputs <c>x [1,1,I]</c>, <c>h0</c> (and <c>c0</c>) <c>[1,1,H]</c>; outputs
/// <c>y [1,1,1]</c>, <c>hn</c> (and <c>cn</c>)). One intra-op thread, sequential execution, and
/// <see cref="InferenceSession.RunWithBinding"/> over <see cref="OrtValue"/>s pinned on our own arrays, ORT's
/// allocation-free mode. ORT is stateless, so the state is carried by hand: two bindings with the state buffers
/// swapped (h0 = A, hn = B, then h0 = B, hn = A) feed hn back as h0 without copying or rebinding.
/// </summary>
public sealed class OrtNetwork : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly OrtIoBinding[] _bindings = new OrtIoBinding[2];
    private readonly OrtValue[] _values;
    private readonly float[][] _hidden, _cell;
    private int _parity;

    /// <summary>Loads <c>onnx/{cell}_{I}_{H}.onnx</c> from <paramref name="directory"/>.</summary>
    public OrtNetwork(NetworkId network, string directory)
    {
        Network = network;
        string path = ModelPath(network, directory);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No ONNX export for {network.Display}: run scripts/bench/export_onnx.py.", path);
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
        long[] stateShape = [1, 1, network.Hidden];
        Input = new float[network.Input];
        Output = new float[1];
        _hidden = [new float[network.Hidden], new float[network.Hidden]];
        _cell = [new float[network.Hidden], new float[network.Hidden]];
        OrtValue x = OrtValue.CreateTensorValueFromMemory(Input, [1, 1, network.Input]);
        OrtValue y = OrtValue.CreateTensorValueFromMemory(Output, [1, 1, 1]);
        OrtValue h0 = OrtValue.CreateTensorValueFromMemory(_hidden[0], stateShape);
        OrtValue h1 = OrtValue.CreateTensorValueFromMemory(_hidden[1], stateShape);
        OrtValue c0 = OrtValue.CreateTensorValueFromMemory(_cell[0], stateShape);
        OrtValue c1 = OrtValue.CreateTensorValueFromMemory(_cell[1], stateShape);
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

    /// <summary>The network.</summary>
    public NetworkId Network { get; }

    /// <summary>The bound input buffer: write x here before <see cref="Step"/>.</summary>
    public float[] Input { get; }

    /// <summary>The bound output buffer: y after <see cref="Step"/>.</summary>
    public float[] Output { get; }

    /// <summary>The current hidden state (the buffer the next step reads).</summary>
    public ReadOnlySpan<float> Hidden => _hidden[_parity];

    /// <summary>The path of the export of <paramref name="network"/>.</summary>
    public static string ModelPath(NetworkId network, string directory) => Path.Combine(directory, network.FileStem + ".onnx");

    /// <summary>One step: reads <see cref="Input"/> and the state, writes <see cref="Output"/> and the next state.</summary>
    public void Step()
    {
        _session.RunWithBinding(_runOptions, _bindings[_parity]);
        _parity ^= 1;
    }

    /// <summary>Back to the zero state.</summary>
    public void Reset()
    {
        foreach (float[] buffer in _hidden)
        {
            Array.Clear(buffer);
        }

        foreach (float[] buffer in _cell)
        {
            Array.Clear(buffer);
        }

        _parity = 0;
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
