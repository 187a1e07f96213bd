using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Fixed.Engine;
using Xunit;

namespace Fixed.Tests.Kernels;

/// <summary>
/// The straight-line step (<c>RecurrentEngine.Straight.cs</c>) against the general layer-by-layer step it replaces for
/// small one- and two-layer shapes: outputs and states bit for bit equal over a few hundred steps of inputs that also saturate the
/// activations, through <c>Step</c>, <c>Forward</c> and <c>WarmUp</c>, and the tape that training's forward records through it. The shapes cover every cell, one and several inputs,
/// the ReLU RNN, no head, a head of four or more outputs, two layers (three take the general path), and both widths (GRU 1→8 runs at 8 lanes, the others at 16 where
/// Vector512 is accelerated; without AVX-512, GRU and LSTM of H = 32 run one gate a row block). On a machine that takes the AVX-512 path, the benchmark's shapes must take the straight path
/// (the CI's disassembly check reads their code; this says which path ran).
/// </summary>
public sealed class StraightStepTests
{
    [Fact]
    public void Gru1To8() => Compare<Gru1To8Shape>(expectStraightOnAvx512: true, expectStraightOnAvx2: true);

    [Fact]
    public void Gru1To32() => Compare<Gru1To32Shape>(expectStraightOnAvx512: true, expectStraightOnAvx2: true);

    [Fact]
    public void Lstm1To32() => Compare<Lstm1To32Shape>(expectStraightOnAvx512: true, expectStraightOnAvx2: true);

    [Fact]
    public void Rnn1To32() => Compare<Rnn1To32Shape>(expectStraightOnAvx512: true, expectStraightOnAvx2: true);

    // An RNN of one or two vectors of units (sums kept in registers through the activation) with a head of one output.
    [Fact]
    public void Rnn1To16() => Compare<Rnn1To16Shape>(expectStraightOnAvx512: true, expectStraightOnAvx2: true);

    [Fact]
    public void RnnRelu2To8NoBias() => Compare<RnnRelu2To8Shape>(expectStraightOnAvx512: true, expectStraightOnAvx2: true);

    [Fact]
    public void Gru3To32() => Compare<Gru3To32Shape>(expectStraightOnAvx512: true, expectStraightOnAvx2: true);

    [Fact]
    public void RnnRelu8To16NoHead() => Compare<RnnRelu8To16Shape>(expectStraightOnAvx512: true, expectStraightOnAvx2: true);

    [Fact]
    public void Lstm5To16FiveOutputs() => Compare<Lstm5To16Shape>(expectStraightOnAvx512: true, expectStraightOnAvx2: false);

    [Fact]
    public void Gru1To32TwoLayers() => Compare<Gru1To32TwoLayersShape>(expectStraightOnAvx512: true, expectStraightOnAvx2: true);

    [Fact]
    public void Lstm3To16TwoLayersFourOutputs() => Compare<Lstm3To16TwoLayersShape>(expectStraightOnAvx512: true, expectStraightOnAvx2: false);

    [Fact]
    public void RnnRelu1To48TwoLayersNoHead() => Compare<RnnRelu1To48TwoLayersShape>(expectStraightOnAvx512: true, expectStraightOnAvx2: false);

    [Fact]
    public void Gru1To16ThreeLayersTakesTheGeneralPath() => Compare<Gru1To16ThreeLayersShape>(expectStraightOnAvx512: false, expectStraightOnAvx2: false);

    [Fact]
    public void Gru1To64TakesTheGeneralPath() => Compare<Gru1To64Shape>(expectStraightOnAvx512: false, expectStraightOnAvx2: false);

    [Fact]
    public void BFloat16WeightsTakeTheGeneralPath() => Compare<Gru1To32BFloat16Shape>(expectStraightOnAvx512: false, expectStraightOnAvx2: false);

    /// <summary>
    /// Training's forward records a one-layer straight shape through the straight step (<c>RecordStraightStep</c>), whose
    /// update stores the gates onto the tape. The tape (input, state before the step, gates, extra vector, top h, output)
    /// and the state must be those the general cell step records, bit for bit, step after step. Where the straight path
    /// does not run (SSE, NEON, scalar), the general record is the only one, and only the flag is checked.
    /// </summary>
    [Fact]
    public void Rnn1To32RecordsTheGeneralTape() => CompareRecords<Rnn1To32Shape>();

    [Fact]
    public void RnnRelu8To16NoHeadRecordsTheGeneralTape() => CompareRecords<RnnRelu8To16Shape>();

    [Fact]
    public void Gru1To32RecordsTheGeneralTape() => CompareRecords<Gru1To32Shape>();

    [Fact]
    public void Gru1To8RecordsTheGeneralTape() => CompareRecords<Gru1To8Shape>();

    [Fact]
    public void Gru3To32RecordsTheGeneralTape() => CompareRecords<Gru3To32Shape>();

    [Fact]
    public void Lstm1To32RecordsTheGeneralTape() => CompareRecords<Lstm1To32Shape>();

    [Fact]
    public void Lstm5To16FiveOutputsRecordsTheGeneralTape() => CompareRecords<Lstm5To16Shape>();

    /// <summary>Eight units: the 256-bit straight step, on AVX-512 machines too.</summary>
    [Fact]
    public void Lstm1To8RecordsTheGeneralTape() => CompareRecords<Lstm1To8Shape>();

    [Fact]
    public void TwoLayersRecordLayerByLayer()
    {
        Assert.False(RecurrentEngine<Gru1To32TwoLayersShape>.RecordsStraight);
        Assert.False(RecurrentEngine<Lstm3To16TwoLayersShape>.RecordsStraight);
        Assert.False(RecurrentEngine<RnnRelu1To48TwoLayersShape>.RecordsStraight);
    }

    private static void CompareRecords<TShape>()
        where TShape : struct, INetworkShape
    {
        if (!RecurrentEngine<TShape>.IsStraight)
        {
            Assert.False(RecurrentEngine<TShape>.RecordsStraight);
            return;
        }

        Assert.True(RecurrentEngine<TShape>.RecordsStraight);
        var store = new ParameterStore<TShape>();
        ParameterInitializer.Initialize<TShape>(store.Writable, seed: 13);
        int i = TShape.InputSize;
        int stateLength = RecurrentEngine<TShape>.StateLength;
        int stride = Shape<TShape>.TapeStride;
        const int steps = 300;
        var random = new Random(7);
        float[] straightState = new float[stateLength];
        float[] generalState = new float[stateLength];
        float[] straightTape = new float[stride];
        float[] generalTape = new float[stride];
        float[] scratch = new float[4096];
        float[] x = new float[i];
        for (int t = 0; t < steps; t++)
        {
            for (int k = 0; k < i; k++)
            {
                x[k] = t % 29 == 0 ? (random.NextSingle() - 0.5f) * 200f : (random.NextSingle() - 0.5f) * 6f;
            }

            // The same sentinel in every slot of both records: a slot one path writes and the other does not shows up.
            Array.Fill(straightTape, -7.25f);
            Array.Fill(generalTape, -7.25f);
            RecurrentEngine<TShape>.RecordStraightStep(store.Packed, store.Values, straightState, x, straightTape, head: true);
            RecurrentEngine<TShape>.RecordLayers(store.Packed, store.Values, generalState, x, generalTape, scratch, default, 0, t, head: true);
            AssertBits(generalTape, straightTape, $"tape at step {t}");
            AssertBits(generalState, straightState, $"state at step {t}");
        }
    }

    /// <summary>
    /// The engine's <c>Step</c>, <c>Forward</c> and <c>WarmUp</c> are never inlined: inlined into a caller's loop at tier 1,
    /// the straight step ran out of the caller's inlining budget and kept calls to its kernels (the CI's disassembly check
    /// reads the tier-1 code; this holds the attribute in every test run, on every instruction set).
    /// </summary>
    [Theory]
    [InlineData(nameof(RecurrentEngine<Gru1To32Shape>.Step))]
    [InlineData(nameof(RecurrentEngine<Gru1To32Shape>.Forward))]
    [InlineData(nameof(RecurrentEngine<Gru1To32Shape>.WarmUp))]
    public void EntryPointsAreNeverInlined(string name)
    {
        var methods = Array.FindAll(
            typeof(RecurrentEngine<Gru1To32Shape>).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static),
            m => m.Name == name && m.GetParameters().Length is 3 or 4 && m.GetParameters()[0].ParameterType == typeof(ParameterStore<Gru1To32Shape>)
                && m.GetParameters()[1].ParameterType == typeof(Span<float>)); // one stream: the many-stream overloads take a count too
        Assert.Single(methods);
        foreach (var method in methods)
        {
            Assert.True(
                method.MethodImplementationFlags.HasFlag(System.Reflection.MethodImplAttributes.NoInlining),
                $"{method} is not NoInlining");
        }
    }

    private static void Compare<TShape>(bool expectStraightOnAvx512, bool expectStraightOnAvx2)
        where TShape : struct, INetworkShape
    {
        if (Path512.Taken)
        {
            Assert.Equal(expectStraightOnAvx512, RecurrentEngine<TShape>.IsStraight);
        }
        else if (Avx2.IsSupported)
        {
            // 16 vector registers: the layout's blocks are four vectors, and GRU and LSTM of H = 32 take the straight step
            // one gate a block.
            Assert.Equal(expectStraightOnAvx2, RecurrentEngine<TShape>.IsStraight);
        }

        var store = new ParameterStore<TShape>();
        ParameterInitializer.Initialize<TShape>(store.Writable, seed: 11);
        int i = TShape.InputSize;
        int o = Shape<TShape>.O;
        int stateLength = RecurrentEngine<TShape>.StateLength;
        const int steps = 300;
        var random = new Random(5);
        float[] inputs = new float[steps * i];
        for (int k = 0; k < inputs.Length; k++)
        {
            // Mostly ordinary inputs, some large enough to saturate every gate.
            inputs[k] = k % 37 == 0 ? (random.NextSingle() - 0.5f) * 200f : (random.NextSingle() - 0.5f) * 6f;
        }

        float[] straightState = new float[stateLength];
        float[] generalState = new float[stateLength];
        float[] straightOut = new float[o];
        float[] generalOut = new float[o];
        float[] stepOutputs = new float[steps * o];
        for (int t = 0; t < steps; t++)
        {
            ReadOnlySpan<float> x = inputs.AsSpan(t * i, i);
            RecurrentEngine<TShape>.Step(store, straightState, x, straightOut);
            RecurrentEngine<TShape>.GeneralStep(store, generalState, x, generalOut);
            AssertBits(generalOut, straightOut, $"output at step {t}");
            AssertBits(generalState, straightState, $"state at step {t}");
            straightOut.CopyTo(stepOutputs, t * o);
        }

        float[] forwardState = new float[stateLength];
        float[] forwardOutputs = new float[steps * o];
        RecurrentEngine<TShape>.Forward(store, forwardState, inputs, forwardOutputs);
        AssertBits(stepOutputs, forwardOutputs, "Forward's outputs");
        AssertBits(straightState, forwardState, "Forward's final state");

        float[] warmState = new float[stateLength];
        RecurrentEngine<TShape>.WarmUp(store, warmState, inputs);
        AssertBits(straightState, warmState, "WarmUp's final state");
    }

    private static void AssertBits(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int k = 0; k < expected.Length; k++)
        {
            if (BitConverter.SingleToInt32Bits(expected[k]) != BitConverter.SingleToInt32Bits(actual[k]))
            {
                Assert.Fail($"{what}, element {k}: general path {expected[k]:R}, straight path {actual[k]:R}");
            }
        }
    }

    private struct Gru1To8Shape : INetworkShape
    {
        public static int InputSize => 1;
        public static int HiddenSize => 8;
        public static int NumLayers => 1;
        public static int OutputSize => 1;
        public static Cell Cell => Cell.Gru;
        public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;
        public static bool Bias => true;
        public static int Window => 32;
    }

    /// <summary>GRU 1→32, one layer (also read by <see cref="AlternatingSweepTests"/>).</summary>
    internal struct Gru1To32Shape : INetworkShape
    {
        public static int InputSize => 1;
        public static int HiddenSize => 32;
        public static int NumLayers => 1;
        public static int OutputSize => 1;
        public static Cell Cell => Cell.Gru;
        public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;
        public static bool Bias => true;
        public static int Window => 32;
    }

    private struct Lstm1To32Shape : INetworkShape
    {
        public static int InputSize => 1;
        public static int HiddenSize => 32;
        public static int NumLayers => 1;
        public static int OutputSize => 1;
        public static Cell Cell => Cell.Lstm;
        public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;
        public static bool Bias => true;
        public static int Window => 32;
    }

    private struct Lstm1To8Shape : INetworkShape
    {
        public static int InputSize => 1;
        public static int HiddenSize => 8;
        public static int NumLayers => 1;
        public static int OutputSize => 1;
        public static Cell Cell => Cell.Lstm;
        public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;
        public static bool Bias => true;
        public static int Window => 32;
    }

    private struct Rnn1To32Shape : INetworkShape
    {
        public static int InputSize => 1;
        public static int HiddenSize => 32;
        public static int NumLayers => 1;
        public static int OutputSize => 1;
        public static Cell Cell => Cell.Rnn;
        public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;
        public static bool Bias => true;
        public static int Window => 32;
    }

    private struct Rnn1To16Shape : INetworkShape
    {
        public static int InputSize => 1;
        public static int HiddenSize => 16;
        public static int NumLayers => 1;
        public static int OutputSize => 1;
        public static Cell Cell => Cell.Rnn;
        public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;
        public static bool Bias => true;
        public static int Window => 32;
    }

    private struct RnnRelu2To8Shape : INetworkShape
    {
        public static int InputSize => 2;
        public static int HiddenSize => 8;
        public static int NumLayers => 1;
        public static int OutputSize => 1;
        public static Cell Cell => Cell.Rnn;
        public static Nonlinearity Nonlinearity => Nonlinearity.Relu;
        public static bool Bias => false;
        public static int Window => 32;
    }

    private struct Gru3To32Shape : INetworkShape
    {
        public static int InputSize => 3;
        public static int HiddenSize => 32;
        public static int NumLayers => 1;
        public static int OutputSize => 2;
        public static Cell Cell => Cell.Gru;
        public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;
        public static bool Bias => true;
        public static int Window => 32;
    }

    private struct RnnRelu8To16Shape : INetworkShape
    {
        public static int InputSize => 8;
        public static int HiddenSize => 16;
        public static int NumLayers => 1;
        public static int OutputSize => 0;
        public static Cell Cell => Cell.Rnn;
        public static Nonlinearity Nonlinearity => Nonlinearity.Relu;
        public static bool Bias => true;
        public static int Window => 32;
    }

    private struct Lstm5To16Shape : INetworkShape
    {
        public static int InputSize => 5;
        public static int HiddenSize => 16;
        public static int NumLayers => 1;
        public static int OutputSize => 5;
        public static Cell Cell => Cell.Lstm;
        public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;
        public static bool Bias => false;
        public static int Window => 32;
    }

    private struct Gru1To32TwoLayersShape : INetworkShape
    {
        public static int InputSize => 1;
        public static int HiddenSize => 32;
        public static int NumLayers => 2;
        public static int OutputSize => 1;
        public static Cell Cell => Cell.Gru;
        public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;
        public static bool Bias => true;
        public static int Window => 32;
    }

    private struct Lstm3To16TwoLayersShape : INetworkShape
    {
        public static int InputSize => 3;
        public static int HiddenSize => 16;
        public static int NumLayers => 2;
        public static int OutputSize => 4;
        public static Cell Cell => Cell.Lstm;
        public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;
        public static bool Bias => true;
        public static int Window => 32;
    }

    private struct RnnRelu1To48TwoLayersShape : INetworkShape
    {
        public static int InputSize => 1;
        public static int HiddenSize => 48;
        public static int NumLayers => 2;
        public static int OutputSize => 0;
        public static Cell Cell => Cell.Rnn;
        public static Nonlinearity Nonlinearity => Nonlinearity.Relu;
        public static bool Bias => true;
        public static int Window => 32;
    }

    private struct Gru1To16ThreeLayersShape : INetworkShape
    {
        public static int InputSize => 1;
        public static int HiddenSize => 16;
        public static int NumLayers => 3;
        public static int OutputSize => 1;
        public static Cell Cell => Cell.Gru;
        public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;
        public static bool Bias => true;
        public static int Window => 32;
    }

    private struct Gru1To64Shape : INetworkShape
    {
        public static int InputSize => 1;
        public static int HiddenSize => 64;
        public static int NumLayers => 1;
        public static int OutputSize => 1;
        public static Cell Cell => Cell.Gru;
        public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;
        public static bool Bias => true;
        public static int Window => 32;
    }

    private struct Gru1To32BFloat16Shape : INetworkShape
    {
        public static int InputSize => 1;
        public static int HiddenSize => 32;
        public static int NumLayers => 1;
        public static int OutputSize => 1;
        public static Cell Cell => Cell.Gru;
        public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;
        public static bool Bias => true;
        public static int Window => 32;
        public static WeightPrecision WeightPrecision => WeightPrecision.BFloat16;
    }
}
