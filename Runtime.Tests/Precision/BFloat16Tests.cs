using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Xunit;

namespace Fixed.Tests.Precision;

/// <summary>
/// <c>WeightPrecision = WeightPrecision.BFloat16</c>: the model computes what PyTorch computes with every
/// <c>weight_ih</c>/<c>weight_hh</c> rounded to bfloat16 (fixtures from real PyTorch); bit for bit what an fp32 model of the
/// same shape computes when given those rounded weights (so the bfloat16 kernels add the same products in the same order);
/// <c>Parameters</c> stays fp32 and the source of truth; Backward's gradients are those of the rounded network.
/// </summary>
public sealed class BFloat16Tests
{
    private static float[] Random(int length, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1) * scale).ToArray();
    }

    /// <summary>
    /// The bfloat16 nearest to <paramref name="value"/>, ties to even, found by comparing the two candidates in double
    /// (independent of the runtime's add-and-shift rounding). Finite values only; past the largest bfloat16 the upper
    /// candidate is 2^128, i.e. infinity.
    /// </summary>
    private static float Nearest(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint downBits = bits & 0xFFFF0000u;
        uint upBits = downBits + 0x10000u;
        double down = BitConverter.UInt32BitsToSingle(downBits);
        double up = (upBits & 0x7FFFFFFFu) == 0x7F800000u ? Math.CopySign(Math.Pow(2, 128), value) : BitConverter.UInt32BitsToSingle(upBits);
        double toDown = Math.Abs(value - down), toUp = Math.Abs(up - value);
        bool takeUp = toUp < toDown || (toUp == toDown && ((downBits >> 16) & 1u) == 1u);
        return BitConverter.UInt32BitsToSingle(takeUp ? upBits : downBits);
    }

    /// <summary><paramref name="parameters"/> with every recurrent weight matrix rounded (<see cref="Nearest"/>), by the Layout's names.</summary>
    private static float[] RoundedMatrices<TModel>(ReadOnlySpan<float> parameters)
        where TModel : IRecurrentModel<TModel>
    {
        float[] rounded = parameters.ToArray();
        foreach (ParameterInfo tensor in TModel.Layout)
        {
            if (tensor.Name.Contains(".weight_ih_l", StringComparison.Ordinal) || tensor.Name.Contains(".weight_hh_l", StringComparison.Ordinal))
            {
                int count = tensor.Shape.Aggregate(1, (a, b) => a * b);
                for (int i = tensor.Offset; i < tensor.Offset + count; i++)
                {
                    rounded[i] = Nearest(rounded[i]);
                }
            }
        }

        return rounded;
    }

    private static void AssertBits(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, the fp32 twin's is {expected[i]:R}");
            }
        }
    }

    private static void TwinsAgree<TReduced, TTwin>(int seed)
        where TReduced : IRecurrentModel<TReduced>
        where TTwin : IRecurrentModel<TTwin>
    {
        Assert.Equal(TReduced.ParameterCount, TTwin.ParameterCount);
        TReduced reduced = TReduced.Create(seed);
        TTwin twin = TTwin.Create(seed + 1);
        float[] weights = Random(TReduced.ParameterCount, seed, 0.7f);
        weights.CopyTo(reduced.Parameters);
        float[] rounded = RoundedMatrices<TReduced>(weights);
        Assert.NotEqual(weights, rounded);
        rounded.CopyTo(twin.Parameters);

        const int Steps = 9;
        int i = TReduced.InputSize, o = TReduced.OutputSize;
        float[] inputs = Random(Steps * i, seed + 2, 1.5f);
        float[] state0 = Random(TReduced.StateLength, seed + 3);
        float[] sr = state0.ToArray(), st = state0.ToArray();
        float[] yr = new float[Steps * o], yt = new float[Steps * o];
        reduced.Forward(sr, inputs, yr);
        twin.Forward(st, inputs, yt);
        AssertBits(yt, yr, "Forward outputs");
        AssertBits(st, sr, "state after Forward");

        for (int t = 0; t < Steps; t++)
        {
            reduced.Step(sr, inputs.AsSpan(t * i, i), yr.AsSpan(t * o, o));
            twin.Step(st, inputs.AsSpan(t * i, i), yt.AsSpan(t * o, o));
        }

        AssertBits(yt, yr, "Step outputs");
        reduced.WarmUp(sr, inputs);
        twin.WarmUp(st, inputs);
        AssertBits(st, sr, "state after WarmUp");

        // Training: the same loss and gradients as the twin's (the gradients of the rounded network).
        float[] targets = Random(Steps * o, seed + 4);
        state0.CopyTo(sr);
        state0.CopyTo(st);
        float lr = reduced.Backward(sr, inputs, targets, Loss.Mse, LossOn.AllSteps, warmUp: 0);
        float lt = twin.Backward(st, inputs, targets, Loss.Mse, LossOn.AllSteps, warmUp: 0);
        Assert.Equal(BitConverter.SingleToInt32Bits(lt), BitConverter.SingleToInt32Bits(lr));
        AssertBits(twin.Gradients, reduced.Gradients, "gradients");
        Assert.Contains(reduced.Gradients.ToArray(), g => g != 0);

        // Parameters were never rounded: what the user wrote is what is there, and what Save writes.
        AssertBits(weights, reduced.Parameters, "Parameters after inference and training");
        using var saved = new MemoryStream();
        reduced.Save(saved);
        saved.Position = 0;
        TTwin reloaded = TTwin.Create(seed + 5);
        reloaded.Load(saved);
        AssertBits(weights, reloaded.Parameters, "the saved weights");
    }

    [Fact]
    public void Gru64_TwinGivenRoundedWeights_ComputesTheSameBits() => TwinsAgree<Gru64Bf16, Gru64Twin>(11);

    [Fact]
    public void Lstm64_TwinGivenRoundedWeights_ComputesTheSameBits() => TwinsAgree<Lstm64Bf16, Lstm64Twin>(12);

    [Fact]
    public void Gru3x5TwoLayers_TwinGivenRoundedWeights_ComputesTheSameBits() => TwinsAgree<Gru3x5Bf16, Gru3x5Twin>(13);

    [Fact]
    public void Lstm7x9TwoLayers_TwinGivenRoundedWeights_ComputesTheSameBits() => TwinsAgree<Lstm7x9Bf16, Lstm7x9Twin>(14);

    [Fact]
    public void Rnn5x40TwoLayers_TwinGivenRoundedWeights_ComputesTheSameBits() => TwinsAgree<Rnn5x40Bf16, Rnn5x40Twin>(15);

    [Fact]
    public void Gru3x8_TwinGivenRoundedWeights_ComputesTheSameBits() => TwinsAgree<Gru3x8Bf16, Gru3x8Twin>(17);

    [Fact]
    public void Stack_TwinGivenRoundedWeights_ComputesTheSameBits() => TwinsAgree<StackBf16, StackTwin>(16);

    public static TheoryData<string> FixtureNames => new(
        "gru_i1_h64_l1_o1_t40_h0", "lstm_i1_h64_l1_o1_t40_h0", "gru_i3_h5_l2_o2_t12", "lstm_i7_h9_l2_o3_t16_h0", "rnn_i5_h40_l2_o2_t10_h0");

    /// <summary>Forward from the fixture's fp32 weights against PyTorch run with its weight matrices rounded to bfloat16.</summary>
    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Forward_FromFp32Weights_MatchesPyTorchWithRoundedMatrices(string name)
    {
        (float[] outputs, float[] state, Fixture fixture, int stateLength, int layers, int hidden, bool lstm) = name switch
        {
            "gru_i1_h64_l1_o1_t40_h0" => Run<Gru64Bf16>(name),
            "lstm_i1_h64_l1_o1_t40_h0" => Run<Lstm64Bf16>(name),
            "gru_i3_h5_l2_o2_t12" => Run<Gru3x5Bf16>(name),
            "lstm_i7_h9_l2_o3_t16_h0" => Run<Lstm7x9Bf16>(name),
            _ => Run<Rnn5x40Bf16>(name),
        };

        Close.Elementwise(fixture.Tensor("output"), outputs, 1e-5, name + " outputs");
        Close.Elementwise(fixture.FinalState(stateLength, layers, hidden, lstm), state, 1e-5, name + " h_n/c_n");
    }

    private static (float[] Outputs, float[] State, Fixture Fixture, int StateLength, int Layers, int Hidden, bool Lstm) Run<TModel>(string name)
        where TModel : IRecurrentModel<TModel>
    {
        Fixture fixture = Fixture.Open("bf16", name);
        TModel model = TModel.Create(1);
        model.Load(fixture.WeightsPath);
        bool lstm = TModel.CellKind == Cell.Lstm;
        float[] state = fixture.InitialState(TModel.StateLength, TModel.NumLayers, TModel.HiddenSize, lstm);
        float[] inputs = fixture.Tensor("input");
        float[] outputs = new float[inputs.Length / TModel.InputSize * TModel.OutputSize];
        model.Forward(state, inputs, outputs);
        return (outputs, state, fixture, TModel.StateLength, TModel.NumLayers, TModel.HiddenSize, lstm);
    }

    [Fact]
    public void Round_EveryFixtureValue_MatchesPyTorch()
    {
        SafeTensorFile data = Fixture.Data(Path.Combine("bf16", "rounding.data.safetensors"));
        float[] values = data.ReadFloats("value"), expected = data.ReadFloats("rounded");
        Assert.True(values.Length > 2000);
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(expected[i]), BitConverter.SingleToInt32Bits(BFloat16.RoundToSingle(values[i])));
            if (float.IsFinite(values[i]))
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(expected[i]), BitConverter.SingleToInt32Bits(Nearest(values[i])));
            }
        }

        Assert.True(float.IsNaN(BFloat16.RoundToSingle(float.NaN)));
    }

    [Fact]
    public void Parameters_WrittenBetweenCalls_AreSeenRoundedByTheNextStep()
    {
        var reduced = new Gru64Bf16(3);
        var twin = new Gru64Twin(3);
        reduced.Parameters.CopyTo(twin.Parameters);
        float[] state = new float[Gru64Bf16.StateLength], twinState = new float[Gru64Bf16.StateLength];
        float[] y = new float[1], yt = new float[1];
        reduced.Step(state, [0.5f], y);

        // A weight_hh value that rounding changes: the next step must see the new weight, rounded.
        int whh = Gru64Bf16.Layout.ToArray().Single(t => t.Name == "rnn.weight_hh_l0").Offset;
        reduced.Parameters[whh + 5] = 0.123456789f;
        float[] rounded = RoundedMatrices<Gru64Bf16>(reduced.Parameters);
        rounded.CopyTo(twin.Parameters);
        state.CopyTo(twinState, 0);
        reduced.Step(state, [0.25f], y);
        twin.Step(twinState, [0.25f], yt);
        AssertBits(yt, y, "output after a write to Parameters");
        Assert.Equal(0.123456789f, reduced.Parameters[whh + 5]);
    }

    [Fact]
    public void ManyStreams_EachStream_WithinOneMillionthOfItsOwnStep()
    {
        var model = new Lstm64Bf16(4);
        const int Streams = 17, Steps = 6;
        float[] inputs = Random(Steps * Streams, 8, 1.5f);
        var states = new Lstm64Bf16.State[Streams];
        float[] outputs = new float[Steps * Streams];
        model.Forward(states, inputs, outputs);
        for (int s = 0; s < Streams; s++)
        {
            float[] state = new float[Lstm64Bf16.StateLength];
            float[] expected = new float[Steps];
            for (int t = 0; t < Steps; t++)
            {
                model.Step(state, inputs.AsSpan((t * Streams) + s, 1), expected.AsSpan(t, 1));
            }

            Close.Elementwise(expected, Enumerable.Range(0, Steps).Select(t => outputs[(t * Streams) + s]).ToArray(), 1e-5, $"stream {s}");
            Close.Elementwise(state, MemoryMarshal.Cast<Lstm64Bf16.State, float>(states.AsSpan()).Slice(s * Lstm64Bf16.StateLength, Lstm64Bf16.StateLength), 1e-5, $"stream {s} state");
        }
    }
}
