using System;
using System.Linq;
using Fixed.Engine;
using Fixed.Tests.Support;
using Xunit;

namespace Fixed.Tests.Sequence;

/// <summary>
/// An LSTM with <c>ProjSize</c> streams like every one-direction model: Step, WarmUp and many streams agree with Forward
/// (whose parity with PyTorch <see cref="SequenceParityTests"/> checks), the state has the projected h, and the
/// straight-line step of the packed engine never takes such a shape.
/// </summary>
public sealed class ProjSizeTests
{
    [Fact]
    public void Step_OneStepAtATime_GivesForwardsOutputsAndState()
    {
        AssertStepsMatchForward<LstmProjL2>();
        AssertStepsMatchForward<LstmProjL1Head>();
        AssertStepsMatchForward<LstmProjL1H17>();
    }

    [Fact]
    public void WarmUpThenForward_EqualsForwardOverTheWholeSequence()
    {
        var model = new LstmProjL2NobiasHead(seed: 3);
        float[] inputs = Values(new Random(5), 7 * LstmProjL2NobiasHead.InputSize, 1f);
        var whole = default(LstmProjL2NobiasHead.State);
        var outputs = new float[7 * LstmProjL2NobiasHead.OutputSize];
        model.Forward(ref whole, inputs, outputs);

        var split = default(LstmProjL2NobiasHead.State);
        model.WarmUp(ref split, inputs.AsSpan(0, 3 * LstmProjL2NobiasHead.InputSize));
        var tail = new float[4 * LstmProjL2NobiasHead.OutputSize];
        model.Forward(ref split, inputs.AsSpan(3 * LstmProjL2NobiasHead.InputSize), tail);

        Assert.Equal(outputs[(3 * LstmProjL2NobiasHead.OutputSize)..], tail);
        Assert.Equal(whole.Values.ToArray(), split.Values.ToArray());
    }

    [Fact]
    public void ManyStreams_StepAndForward_AdvanceEachStreamAsItsOwnStepWould()
    {
        const int Streams = 3, Steps = 4;
        var model = new LstmProjL2(seed: 4);
        var random = new Random(6);
        float[] inputs = Values(random, Steps * Streams * LstmProjL2.InputSize, 1f);
        var states = new LstmProjL2.State[Streams];
        var alone = new LstmProjL2.State[Streams];
        for (int n = 0; n < Streams; n++)
        {
            Values(random, LstmProjL2.StateLength, 0.5f).CopyTo(states[n].Values);
            states[n].Values.CopyTo(alone[n].Values);
        }

        var outputs = new float[Steps * Streams * LstmProjL2.OutputSize];
        model.Step(states, inputs.AsSpan(0, Streams * LstmProjL2.InputSize), outputs.AsSpan(0, Streams * LstmProjL2.OutputSize));
        model.Forward(states, inputs.AsSpan(Streams * LstmProjL2.InputSize), outputs.AsSpan(Streams * LstmProjL2.OutputSize));

        var expected = new float[LstmProjL2.OutputSize];
        for (int t = 0; t < Steps; t++)
        {
            for (int n = 0; n < Streams; n++)
            {
                model.Step(ref alone[n], inputs.AsSpan(((t * Streams) + n) * LstmProjL2.InputSize, LstmProjL2.InputSize), expected);
                Assert.Equal(expected, outputs.AsSpan(((t * Streams) + n) * LstmProjL2.OutputSize, LstmProjL2.OutputSize).ToArray());
            }
        }

        for (int n = 0; n < Streams; n++)
        {
            Assert.Equal(alone[n].Values.ToArray(), states[n].Values.ToArray());
        }
    }

    [Fact]
    public void State_HiddenHasProjSizeFloatsAndCellHasHiddenSize()
    {
        var state = default(LstmProjL2.State);
        for (int i = 0; i < LstmProjL2.StateLength; i++)
        {
            state.Values[i] = i;
        }

        // Per layer h (ProjSize = 2) then c (HiddenSize = 5): 7 floats a layer.
        Assert.Equal(14, LstmProjL2.StateLength);
        Assert.Equal(2, LstmProjL2.OutputSize);
        Assert.Equal([0f, 1f], state.Hidden(0).ToArray());
        Assert.Equal([2f, 3f, 4f, 5f, 6f], state.Cell(0).ToArray());
        Assert.Equal([7f, 8f], state.Hidden(1).ToArray());
        Assert.Equal([9f, 10f, 11f, 12f, 13f], state.Cell(1).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => default(LstmProjL2.State).Hidden(2).Length);
        Assert.Equal(
            ["rnn.h_l0:0:2", "rnn.c_l0:2:5", "rnn.h_l1:7:2", "rnn.c_l1:9:5"],
            LstmProjL2.StateLayout.ToArray().Select(e => e.Name + ":" + e.Offset + ":" + e.Shape[0]));
    }

    [Fact]
    public void Layout_HasWeightHrAfterEachLayersBiasesAndTheNextLayerReadsProjSize()
    {
        Assert.Equal(
            ["rnn.weight_ih_l0 [20, 2]", "rnn.weight_hh_l0 [20, 2]", "rnn.bias_ih_l0 [20]", "rnn.bias_hh_l0 [20]", "rnn.weight_hr_l0 [2, 5]",
             "rnn.weight_ih_l1 [20, 2]", "rnn.weight_hh_l1 [20, 2]", "rnn.bias_ih_l1 [20]", "rnn.bias_hh_l1 [20]", "rnn.weight_hr_l1 [2, 5]"],
            LstmProjL2.Layout.ToArray().Select(e => e.Name + " [" + string.Join(", ", e.Shape) + "]"));
        Assert.Equal("linear.weight [2, 3]", LstmProjL1Head.Layout[^2].Name + " [" + string.Join(", ", LstmProjL1Head.Layout[^2].Shape) + "]");
    }

    [Fact]
    public void StraightStep_NeverTakesAProjectedOrBidirectionalShape()
    {
        // A one-layer GRU 1 -> 8 is straight-line at 8 lanes (AVX-512 and AVX2 machines); the same shape with a projection or a
        // second direction must not be, whatever the machine: the packed engine has no projection nor reverse direction. (The
        // generator allows ProjSize only on an LSTM, but the guard must not depend on that: it is tested on the shape that
        // would otherwise be straight everywhere.)
        Assert.Equal(PackedLayout<PlainShape>.Lanes is 8 or 16, RecurrentEngine<PlainShape>.IsStraight);
        Assert.False(RecurrentEngine<ProjectedShape>.IsStraight);
        Assert.False(RecurrentEngine<BidirectionalShape>.IsStraight);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Backward_Gradients_MatchCentralDifferencesOfForwardsLoss(int warmUp)
    {
        FiniteDifferences.Check(new LstmProjL2NobiasHead(seed: 9), LstmProjL2NobiasHead.InputSize, LstmProjL2NobiasHead.OutputSize,
            LstmProjL2NobiasHead.StateLength, LstmProjL2NobiasHead.Layout.ToArray(), steps: 6, warmUp);
        FiniteDifferences.Check(new LstmProjL2(seed: 10), LstmProjL2.InputSize, LstmProjL2.OutputSize,
            LstmProjL2.StateLength, LstmProjL2.Layout.ToArray(), steps: 6, warmUp);
    }

    [Fact]
    public void InferenceAndTraining_ManyCalls_AllocateNothing()
    {
        var model = new LstmProjL2NobiasHead(seed: 2);
        var optimizer = new Adam(model, 1e-3f);
        var state = default(LstmProjL2NobiasHead.State);
        var states = new LstmProjL2NobiasHead.State[3];
        float[] input = Values(new Random(1), LstmProjL2NobiasHead.InputSize, 1f);
        float[] inputs = Values(new Random(2), 8 * LstmProjL2NobiasHead.InputSize, 1f);
        float[] streamInputs = Values(new Random(3), 3 * LstmProjL2NobiasHead.InputSize, 1f);
        var output = new float[LstmProjL2NobiasHead.OutputSize];
        var outputs = new float[8 * LstmProjL2NobiasHead.OutputSize];
        var streamOutputs = new float[3 * LstmProjL2NobiasHead.OutputSize];
        float[] targets = Values(new Random(4), 8 * LstmProjL2NobiasHead.OutputSize, 1f);
        float[] batchTargets = Values(new Random(5), 2 * LstmProjL2NobiasHead.OutputSize, 1f);

        void Calls()
        {
            model.Step(ref state, input, output);
            model.Forward(ref state, inputs, outputs);
            model.WarmUp(ref state, inputs);
            model.Step(states, streamInputs, streamOutputs);
            model.Forward(states, streamInputs, streamOutputs);
            model.Backward(ref state, inputs, targets);
            model.Backward(inputs, batchTargets, batchSize: 2, on: LossOn.LastStep);
            optimizer.Step();
            model.ZeroGrad();
        }

        Calls();
        SteadyAllocation.AssertNone("LstmProjL2NobiasHead: inference, training and the optimizer", 1_000, Calls);
    }

    private static void AssertStepsMatchForward<T>()
        where T : IRecurrentModel<T>
    {
        const int Steps = 6;
        T model = T.Create(seed: 8);
        var random = new Random(2);
        float[] inputs = Values(random, Steps * T.InputSize, 1f);
        float[] start = Values(random, T.StateLength, 0.5f);
        float[] byForward = (float[])start.Clone();
        var expected = new float[Steps * T.OutputSize];
        model.Forward(byForward, inputs, expected);

        float[] byStep = (float[])start.Clone();
        var output = new float[T.OutputSize];
        for (int t = 0; t < Steps; t++)
        {
            model.Step(byStep, inputs.AsSpan(t * T.InputSize, T.InputSize), output);
            Assert.Equal(expected.AsSpan(t * T.OutputSize, T.OutputSize).ToArray(), output);
        }

        Assert.Equal(byForward, byStep);
    }

    internal static float[] Values(Random random, int count, float scale) =>
        Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1) * scale).ToArray();

    private readonly struct PlainShape : INetworkShape
    {
        public static int InputSize => 1;

        public static int HiddenSize => 8;

        public static int NumLayers => 1;

        public static int OutputSize => 1;

        public static Cell Cell => Cell.Gru;

        public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;

        public static bool Bias => true;

        public static int Window => 8;
    }

    private readonly struct ProjectedShape : INetworkShape
    {
        public static int InputSize => 1;

        public static int HiddenSize => 8;

        public static int NumLayers => 1;

        public static int OutputSize => 1;

        public static Cell Cell => Cell.Gru;

        public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;

        public static bool Bias => true;

        public static int Window => 8;

        public static int ProjSize => 4;
    }

    private readonly struct BidirectionalShape : INetworkShape
    {
        public static int InputSize => 1;

        public static int HiddenSize => 8;

        public static int NumLayers => 1;

        public static int OutputSize => 1;

        public static Cell Cell => Cell.Gru;

        public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;

        public static bool Bias => true;

        public static int Window => 8;

        public static bool Bidirectional => true;
    }
}
