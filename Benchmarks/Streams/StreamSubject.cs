using System;
using System.Runtime.CompilerServices;
using Fixed.Benchmarks.Models;

namespace Fixed.Benchmarks.Streams;

/// <summary>
/// One network run over many streams two ways, for the <c>streams</c> command: every stream's own single-stream
/// <c>Step(ref State, ...)</c> in a loop, and one multi-stream <c>Step(Span&lt;State&gt;, ...)</c> call. Each subclass calls
/// its generated model directly (no delegate, no interface dispatch per stream), so the per-stream loop pays exactly
/// what a user's loop would.
/// </summary>
internal abstract class StreamSubject
{
    /// <summary>Frames of inputs cycled through, so that the inputs vary from step to step.</summary>
    protected const int Frames = 16;

    private int _frame;

    protected StreamSubject(NetworkId network, int inputSize, int outputSize, int streams)
    {
        Network = network;
        Streams = streams;
        InputSize = inputSize;
        OutputSize = outputSize;
        Inputs = new float[Frames * streams * inputSize];
        var random = new Random(14);
        for (int i = 0; i < Inputs.Length; i++)
        {
            Inputs[i] = (float)(random.NextDouble() * 2 - 1);
        }

        Outputs = new float[streams * outputSize];
    }

    /// <summary>The network.</summary>
    public NetworkId Network { get; }

    /// <summary>Streams per call (N).</summary>
    public int Streams { get; }

    protected int InputSize { get; }

    protected int OutputSize { get; }

    protected float[] Inputs { get; }

    /// <summary>The outputs of the last call, <c>[N, OutputSize]</c>.</summary>
    public float[] Outputs { get; }

    /// <summary>Multiply-adds of one stream-step: every gate row times (input + hidden), plus the head.</summary>
    public long MultiplyAdds => (long)Network.Gates * Network.Hidden * (Network.Input + Network.Hidden) + Network.Hidden;

    /// <summary>The next frame of inputs, <c>[N, InputSize]</c>.</summary>
    protected ReadOnlySpan<float> NextFrame()
    {
        _frame = (_frame + 1) % Frames;
        return Inputs.AsSpan(_frame * Streams * InputSize, Streams * InputSize);
    }

    /// <summary>Every stream one step, each by its own single-stream <c>Step</c>.</summary>
    public abstract void StepEachStream();

    /// <summary>Every stream one step, in one multi-stream <c>Step</c>.</summary>
    public abstract void StepAllStreams();

    /// <summary>
    /// Streams <c>[first, first + count)</c> one step in one multi-stream call, on the caller's thread: what one thread of a
    /// sharded gateway does. Its own states, its own input and output rows; the model is shared.
    /// </summary>
    public abstract void StepSlice(int first, int count, int frame);

    /// <summary>Every state back to zero.</summary>
    public abstract void Reset();

    /// <summary>Stream <paramref name="stream"/>'s hidden state of the last layer, for the agreement check.</summary>
    public abstract ReadOnlySpan<float> Hidden(int stream);

    /// <summary>Makes the subject for <paramref name="key"/> (gru32, lstm4x64, gru128).</summary>
    public static StreamSubject Create(string key, int streams) => key switch
    {
        "gru32" => new Subject<Gru1To32Adapter>(new(Cell.Gru, 1, 32), streams),
        "lstm4x64" => new Subject<Lstm4To64Adapter>(new(Cell.Lstm, 4, 64), streams),
        "gru128" => new Subject<Gru1To128Adapter>(new(Cell.Gru, 1, 128), streams),
        _ => throw new ArgumentException($"No stream benchmark for '{key}': gru32, lstm4x64 or gru128."),
    };

    /// <summary>The calls one generated model type offers, as static methods of a struct so that the JIT specialises and inlines them.</summary>
    private interface IAdapter
    {
        static abstract int InputSize { get; }
        static abstract int OutputSize { get; }
        static abstract object NewModel();
        static abstract Array NewStates(int streams);
        static abstract void StepEach(object model, Array states, ReadOnlySpan<float> inputs, Span<float> outputs);
        static abstract void StepAll(object model, Array states, int first, int count, ReadOnlySpan<float> inputs, Span<float> outputs);
        static abstract ReadOnlySpan<float> Hidden(Array states, int stream);
    }

    private sealed class Subject<TAdapter> : StreamSubject
        where TAdapter : struct, IAdapter
    {
        private readonly object _model = TAdapter.NewModel();
        private readonly Array _states;

        public Subject(NetworkId network, int streams)
            : base(network, TAdapter.InputSize, TAdapter.OutputSize, streams) => _states = TAdapter.NewStates(streams);

        [MethodImpl(MethodImplOptions.NoInlining)]
        public override void StepEachStream() => TAdapter.StepEach(_model, _states, NextFrame(), Outputs);

        [MethodImpl(MethodImplOptions.NoInlining)]
        public override void StepAllStreams() => TAdapter.StepAll(_model, _states, 0, Streams, NextFrame(), Outputs);

        public override void StepSlice(int first, int count, int frame) =>
            TAdapter.StepAll(_model, _states, first, count,
                Inputs.AsSpan(((frame % Frames) * Streams + first) * InputSize, count * InputSize),
                Outputs.AsSpan(first * OutputSize, count * OutputSize));

        public override void Reset() => Array.Clear(_states);

        public override ReadOnlySpan<float> Hidden(int stream) => TAdapter.Hidden(_states, stream);
    }

    private struct Gru1To32Adapter : IAdapter
    {
        public static int InputSize => Gru1To32.InputSize;

        public static int OutputSize => Gru1To32.OutputSize;

        public static object NewModel() => new Gru1To32(1);

        public static Array NewStates(int streams) => new Gru1To32.State[streams];

        public static void StepEach(object model, Array states, ReadOnlySpan<float> inputs, Span<float> outputs)
        {
            var m = Unsafe.As<Gru1To32>(model);
            var s = Unsafe.As<Gru1To32.State[]>(states);
            for (int i = 0; i < s.Length; i++)
            {
                m.Step(ref s[i], inputs.Slice(i * InputSize, InputSize), outputs.Slice(i * OutputSize, OutputSize));
            }
        }

        public static void StepAll(object model, Array states, int first, int count, ReadOnlySpan<float> inputs, Span<float> outputs) =>
            Unsafe.As<Gru1To32>(model).Step(Unsafe.As<Gru1To32.State[]>(states).AsSpan(first, count), inputs, outputs);

        public static ReadOnlySpan<float> Hidden(Array states, int stream) => Unsafe.As<Gru1To32.State[]>(states)[stream].Hidden(0);
    }

    private struct Lstm4To64Adapter : IAdapter
    {
        public static int InputSize => Lstm4To64.InputSize;

        public static int OutputSize => Lstm4To64.OutputSize;

        public static object NewModel() => new Lstm4To64(1);

        public static Array NewStates(int streams) => new Lstm4To64.State[streams];

        public static void StepEach(object model, Array states, ReadOnlySpan<float> inputs, Span<float> outputs)
        {
            var m = Unsafe.As<Lstm4To64>(model);
            var s = Unsafe.As<Lstm4To64.State[]>(states);
            for (int i = 0; i < s.Length; i++)
            {
                m.Step(ref s[i], inputs.Slice(i * InputSize, InputSize), outputs.Slice(i * OutputSize, OutputSize));
            }
        }

        public static void StepAll(object model, Array states, int first, int count, ReadOnlySpan<float> inputs, Span<float> outputs) =>
            Unsafe.As<Lstm4To64>(model).Step(Unsafe.As<Lstm4To64.State[]>(states).AsSpan(first, count), inputs, outputs);

        public static ReadOnlySpan<float> Hidden(Array states, int stream) => Unsafe.As<Lstm4To64.State[]>(states)[stream].Hidden(0);
    }

    private struct Gru1To128Adapter : IAdapter
    {
        public static int InputSize => Gru1To128.InputSize;

        public static int OutputSize => Gru1To128.OutputSize;

        public static object NewModel() => new Gru1To128(1);

        public static Array NewStates(int streams) => new Gru1To128.State[streams];

        public static void StepEach(object model, Array states, ReadOnlySpan<float> inputs, Span<float> outputs)
        {
            var m = Unsafe.As<Gru1To128>(model);
            var s = Unsafe.As<Gru1To128.State[]>(states);
            for (int i = 0; i < s.Length; i++)
            {
                m.Step(ref s[i], inputs.Slice(i * InputSize, InputSize), outputs.Slice(i * OutputSize, OutputSize));
            }
        }

        public static void StepAll(object model, Array states, int first, int count, ReadOnlySpan<float> inputs, Span<float> outputs) =>
            Unsafe.As<Gru1To128>(model).Step(Unsafe.As<Gru1To128.State[]>(states).AsSpan(first, count), inputs, outputs);

        public static ReadOnlySpan<float> Hidden(Array states, int stream) => Unsafe.As<Gru1To128.State[]>(states)[stream].Hidden(0);
    }
}
