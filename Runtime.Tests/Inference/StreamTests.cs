using System;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using Fixed.Tests.Parity;
using Fixed.Tests.Stacks;
using Fixed.Tests.Support;
using Xunit;

namespace Fixed.Tests.Inference;

/// <summary>
/// Many streams per call (<c>Step(Span&lt;State&gt;, …)</c>, <c>Forward(Span&lt;State&gt;, …)</c>): every stream's outputs
/// and state within 1e-5 of its own single-stream <c>Step</c> loop, for any N (group sizes and remainders), every cell,
/// several layers, heads or none, odd hidden sizes, layer stacks; zero allocation; lengths checked before anything is written.
/// </summary>
public sealed class StreamTests
{
    private delegate void StreamsCall<TState>(Span<TState> states, ReadOnlySpan<float> inputs, Span<float> outputs)
        where TState : unmanaged;

    private delegate void SingleCall(Span<float> state, ReadOnlySpan<float> input, Span<float> output);

    public static TheoryData<int> Counts => new(1, 3, 16, 17, 64, 100);

    private static float[] Random(int length, int seed)
    {
        var random = new System.Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>Forward over T steps for N streams, and Step of one more step, against each stream's own Step loop.</summary>
    private static void Check<TModel, TState>(TModel model, int streams, StreamsCall<TState> forward, StreamsCall<TState> step, SingleCall single)
        where TModel : IRecurrentModel<TModel>
        where TState : unmanaged
    {
        const int Steps = 5;
        int i = TModel.InputSize, o = TModel.OutputSize, length = TModel.StateLength;
        Assert.Equal(length * sizeof(float), Marshal.SizeOf<TState>() * (length == 0 ? 0 : 1));
        float[] initial = Random(streams * length, streams);
        float[] inputs = Random((Steps + 1) * streams * i, streams + 1);   // [T + 1, N, I]

        var states = new TState[streams];
        initial.CopyTo(MemoryMarshal.Cast<TState, float>(states.AsSpan()));
        float[] outputs = new float[(Steps + 1) * streams * o];
        forward(states, inputs.AsSpan(0, Steps * streams * i), outputs.AsSpan(0, Steps * streams * o));
        step(states, inputs.AsSpan(Steps * streams * i), outputs.AsSpan(Steps * streams * o));

        for (int s = 0; s < streams; s++)
        {
            float[] state = initial.AsSpan(s * length, length).ToArray();
            float[] expected = new float[(Steps + 1) * o];
            for (int t = 0; t <= Steps; t++)
            {
                single(state, inputs.AsSpan((t * streams + s) * i, i), expected.AsSpan(t * o, o));
            }

            float[] actual = Enumerable.Range(0, Steps + 1).SelectMany(t => outputs.AsSpan((t * streams + s) * o, o).ToArray()).ToArray();
            Close.Elementwise(expected, actual, 1e-5, $"N={streams}, stream {s} outputs");
            Close.Elementwise(state, MemoryMarshal.Cast<TState, float>(states.AsSpan()).Slice(s * length, length), 1e-5, $"N={streams}, stream {s} state");
        }
    }

    [Theory]
    [MemberData(nameof(Counts))]
    public void Gru_OneLayerWithHead_EachStreamAsItsOwnStep(int streams)
    {
        var m = new Fwd_gru_i1_h32_l1_o1_t50_h0(seed: 1);
        Check<Fwd_gru_i1_h32_l1_o1_t50_h0, Fwd_gru_i1_h32_l1_o1_t50_h0.State>(m, streams, m.Forward, m.Step, m.Step);
    }

    [Theory]
    [MemberData(nameof(Counts))]
    public void Lstm_TwoLayersWithHead_EachStreamAsItsOwnStep(int streams)
    {
        var m = new Fwd_lstm_i3_h7_l2_o2_t16_h0(seed: 2);
        Check<Fwd_lstm_i3_h7_l2_o2_t16_h0, Fwd_lstm_i3_h7_l2_o2_t16_h0.State>(m, streams, m.Forward, m.Step, m.Step);
    }

    [Theory]
    [MemberData(nameof(Counts))]
    public void Rnn_ThreeLayersReluNoBias_EachStreamAsItsOwnStep(int streams)
    {
        var m = new Fwd_rnn_i1_h2_l3_relu_nobias_o1_t3(seed: 3);
        Check<Fwd_rnn_i1_h2_l3_relu_nobias_o1_t3, Fwd_rnn_i1_h2_l3_relu_nobias_o1_t3.State>(m, streams, m.Forward, m.Step, m.Step);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(64)]
    public void WideAndOddShapes_EachStreamAsItsOwnStep(int streams)
    {
        var gru = new Fwd_gru_i2_h70_l1_nobias_o0_t4_h0(seed: 4);
        Check<Fwd_gru_i2_h70_l1_nobias_o0_t4_h0, Fwd_gru_i2_h70_l1_nobias_o0_t4_h0.State>(gru, streams, gru.Forward, gru.Step, gru.Step);
        var lstm = new Fwd_lstm_i5_h64_l1_o3_t6_h0(seed: 5);
        Check<Fwd_lstm_i5_h64_l1_o3_t6_h0, Fwd_lstm_i5_h64_l1_o3_t6_h0.State>(lstm, streams, lstm.Forward, lstm.Step, lstm.Step);
        var rnn = new Fwd_rnn_i7_h70_l2_relu_o2_t9_h0(seed: 6);
        Check<Fwd_rnn_i7_h70_l2_relu_o2_t9_h0, Fwd_rnn_i7_h70_l2_relu_o2_t9_h0.State>(rnn, streams, rnn.Forward, rnn.Step, rnn.Step);
        var gru3 = new Fwd_gru_i4_h33_l2_o3_t8(seed: 7);
        Check<Fwd_gru_i4_h33_l2_o3_t8, Fwd_gru_i4_h33_l2_o3_t8.State>(gru3, streams, gru3.Forward, gru3.Step, gru3.Step);
        var tiny = new Fwd_lstm_i1_h1_l1_o0_t1_h0(seed: 8);
        Check<Fwd_lstm_i1_h1_l1_o0_t1_h0, Fwd_lstm_i1_h1_l1_o0_t1_h0.State>(tiny, streams, tiny.Forward, tiny.Step, tiny.Step);
    }

    [Theory]
    [MemberData(nameof(Counts))]
    public void LayerStacks_EachStreamAsItsOwnStep(int streams)
    {
        var stack = new Stack(seed: 9);
        Check<Stack, Stack.State>(stack, streams, stack.Forward, stack.Step, stack.Step);
        var front = new FrontEnd(seed: 10);
        Check<FrontEnd, FrontEnd.State>(front, streams, front.Forward, front.Step, front.Step);
        var mlp = new PerStepMlp(seed: 11);
        Check<PerStepMlp, PerStepMlp.State>(mlp, streams, mlp.Forward, mlp.Step, mlp.Step);
    }

    [Fact]
    public void WrongLengths_ThrowNamingTheShape_AndChangeNoState()
    {
        var gru = new Fwd_gru_i4_h33_l2_o3_t8(seed: 1);
        var states = new Fwd_gru_i4_h33_l2_o3_t8.State[5];
        states[2].Hidden(1).Fill(0.25f);
        float[] before = MemoryMarshal.Cast<Fwd_gru_i4_h33_l2_o3_t8.State, float>(states.AsSpan()).ToArray();

        ArgumentException input = Assert.Throws<ArgumentException>(() => gru.Step(states, new float[19], new float[15]));
        Assert.Contains("inputs: expected 20 floats (shape [N=5, InputSize=4]), got 19", input.Message, StringComparison.Ordinal);
        ArgumentException output = Assert.Throws<ArgumentException>(() => gru.Step(states, new float[20], new float[14]));
        Assert.Contains("outputs: expected 15 floats (shape [N=5, OutputSize=3]), got 14", output.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => gru.Forward(states, new float[21], new float[15]));
        Assert.Throws<ArgumentException>(() => gru.Step(Span<Fwd_gru_i4_h33_l2_o3_t8.State>.Empty, new float[0], new float[0]));
        Assert.Equal(before, MemoryMarshal.Cast<Fwd_gru_i4_h33_l2_o3_t8.State, float>(states.AsSpan()).ToArray());

        var stack = new Stack(seed: 1);
        var stackStates = new Stack.State[2];
        ArgumentException stackInput = Assert.Throws<ArgumentException>(() => stack.Step(stackStates, new float[5], new float[4]));
        Assert.Contains("inputs: expected 6 floats (shape [N=2, InputSize=3]), got 5", stackInput.Message, StringComparison.Ordinal);
    }
}

/// <summary>
/// Sharding streams over threads, as docs/reliability.md#threads describes it: one model, each thread its own disjoint
/// slice of the states and its own input and output rows. Each slice must come out bit for bit as the same calls made
/// one after the other on one thread (no scratch, state or packed-copy rebuild shared between the threads); the first
/// call of both threads comes right after a write through <c>Parameters</c>, so both may rebuild the packed copy at once.
/// </summary>
public sealed class StreamShardingTests
{
    [Fact]
    public void TwoThreadsOnDisjointSlices_MatchTheSameCallsMadeSerially()
    {
        const int Streams = 203, Half = 101, Steps = 400;
        var random = new System.Random(5);
        float[] inputs = Enumerable.Range(0, Steps * Streams * 4).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

        var model = new Fwd_gru_i4_h33_l2_o3_t8(seed: 3);
        var serial = new Fwd_gru_i4_h33_l2_o3_t8.State[Streams];
        float[] serialOut = new float[Steps * Streams * 3];
        model.Parameters[7] += 0.125f;
        for (int t = 0; t < Steps; t++)
        {
            StepSlice(model, serial, inputs, serialOut, t, 0, Half);
            StepSlice(model, serial, inputs, serialOut, t, Half, Streams - Half);
        }

        var sharded = new Fwd_gru_i4_h33_l2_o3_t8.State[Streams];
        float[] shardedOut = new float[Steps * Streams * 3];
        model.Parameters[7] = model.ParameterValues[7];   // the same value, written: the packed copy is stale again
        using var start = new Barrier(2);
        void Shard(int first, int count)
        {
            start.SignalAndWait();
            for (int t = 0; t < Steps; t++)
            {
                StepSlice(model, sharded, inputs, shardedOut, t, first, count);
            }
        }

        var other = new Thread(() => Shard(Half, Streams - Half));
        other.Start();
        Shard(0, Half);
        other.Join();

        Assert.Equal(serialOut, shardedOut);
        Assert.Equal(MemoryMarshal.Cast<Fwd_gru_i4_h33_l2_o3_t8.State, float>(serial.AsSpan()).ToArray(),
            MemoryMarshal.Cast<Fwd_gru_i4_h33_l2_o3_t8.State, float>(sharded.AsSpan()).ToArray());
    }

    /// <summary>Streams [first, first + count) of step t: their states, their rows of <c>[T, N, 4]</c> in and <c>[T, N, 3]</c> out.</summary>
    private static void StepSlice(Fwd_gru_i4_h33_l2_o3_t8 model, Fwd_gru_i4_h33_l2_o3_t8.State[] states, float[] inputs, float[] outputs, int t, int first, int count) =>
        model.Step(states.AsSpan(first, count), inputs.AsSpan(((t * states.Length) + first) * 4, count * 4), outputs.AsSpan(((t * states.Length) + first) * 3, count * 3));
}

/// <summary>Zero allocation over many multi-stream calls; a class of its own so that the emulated ARM64 run leaves it out with the other allocation tests.</summary>
public sealed class StreamAllocationTests
{
    private static float[] Random(int length, int seed)
    {
        var random = new System.Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    [Fact]
    public void ManyStreams_AllocateNothing()
    {
        var gru = new Fwd_gru_i1_h32_l1_o1_t50_h0(seed: 1);
        var stack = new Stack(seed: 2);
        var gruStates = new Fwd_gru_i1_h32_l1_o1_t50_h0.State[37];
        var stackStates = new Stack.State[37];
        float[] inputs = Random(8 * 37 * 3, 3), outputs = new float[8 * 37 * 2];
        void Round()
        {
            gru.Step(gruStates, inputs.AsSpan(0, 37), outputs.AsSpan(0, 37));
            gru.Forward(gruStates, inputs.AsSpan(0, 8 * 37), outputs.AsSpan(0, 8 * 37));
            stack.Step(stackStates, inputs.AsSpan(0, 37 * 3), outputs.AsSpan(0, 37 * 2));
            stack.Forward(stackStates, inputs, outputs);
        }

        for (int i = 0; i < 100; i++)
        {
            Round();
        }

        SteadyAllocation.AssertNone("many-stream Step and Forward", 2_000, Round);
    }
}
