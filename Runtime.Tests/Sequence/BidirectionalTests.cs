using System;
using System.Linq;
using Fixed.Tests.Generator;
using Fixed.Tests.Support;
using Xunit;

namespace Fixed.Tests.Sequence;

/// <summary>
/// What a bidirectional model is beyond its parity with PyTorch (<see cref="SequenceParityTests"/>): whole sequences only
/// (no Step or WarmUp: calling one does not compile), IParameters but not IRecurrentModel, the state's rows in PyTorch's
/// h_0 order, gradients that match central differences, and no allocation.
/// </summary>
public sealed class BidirectionalTests
{
    [Fact]
    public void Model_HasNoStepNorWarmUpAndIsNotAnIRecurrentModel()
    {
        Type type = typeof(LstmBiProjL2Head);

        Assert.DoesNotContain(type.GetMethods(), m => m.Name is "Step" or "WarmUp");
        Assert.DoesNotContain(type.GetInterfaces(), i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IRecurrentModel<>));
        Assert.Contains(typeof(IParameters), type.GetInterfaces());
    }

    [Theory]
    [InlineData("model.Step(ref state, new float[2], new float[2]);")]
    [InlineData("model.WarmUp(ref state, new float[2]);")]
    public void CallingStepOrWarmUp_IsACompileError(string call)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using Fixed;
            [Recurrent(2, 4, Bidirectional = true, OutputSize = 2)] public partial class Bi;
            public static class User
            {
                public static void Run()
                {
                    var model = new Bi();
                    var state = default(Bi.State);
                    {{call}}
                }
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(["CS1061"], run.CompilationErrors.Select(e => e.Id));
    }

    [Fact]
    public void State_RowsAreLayerTimesTwoPlusDirection()
    {
        var state = default(LstmBiProjL2Head.State);
        for (int i = 0; i < LstmBiProjL2Head.StateLength; i++)
        {
            state.Values[i] = i;
        }

        // Per row h (ProjSize 3) then c (HiddenSize 6): 9 floats; rows l0, l0_reverse, l1, l1_reverse.
        Assert.Equal(36, LstmBiProjL2Head.StateLength);
        Assert.Equal([9f, 10f, 11f], state.Hidden(0, 1).ToArray());
        Assert.Equal(state.Hidden(3).ToArray(), state.Hidden(1, 1).ToArray());
        Assert.Equal(Enumerable.Range(21, 6).Select(i => (float)i), state.Cell(1, 0).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => default(LstmBiProjL2Head.State).Hidden(0, 2).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => default(LstmBiProjL2Head.State).Hidden(4).Length);
        Assert.Equal(
            ["rnn.h_l0", "rnn.c_l0", "rnn.h_l0_reverse", "rnn.c_l0_reverse", "rnn.h_l1", "rnn.c_l1", "rnn.h_l1_reverse", "rnn.c_l1_reverse"],
            LstmBiProjL2Head.StateLayout.ToArray().Select(e => e.Name));
    }

    [Fact]
    public void Layout_IsPyTorchsStateDictOrderWithReverseTensorsAfterEachLayersForwardOnes()
    {
        Assert.Equal(
            ["rnn.weight_ih_l0 [24, 2]", "rnn.weight_hh_l0 [24, 3]", "rnn.bias_ih_l0 [24]", "rnn.bias_hh_l0 [24]", "rnn.weight_hr_l0 [3, 6]",
             "rnn.weight_ih_l0_reverse [24, 2]", "rnn.weight_hh_l0_reverse [24, 3]", "rnn.bias_ih_l0_reverse [24]", "rnn.bias_hh_l0_reverse [24]", "rnn.weight_hr_l0_reverse [3, 6]",
             "rnn.weight_ih_l1 [24, 6]", "rnn.weight_hh_l1 [24, 3]", "rnn.bias_ih_l1 [24]", "rnn.bias_hh_l1 [24]", "rnn.weight_hr_l1 [3, 6]",
             "rnn.weight_ih_l1_reverse [24, 6]", "rnn.weight_hh_l1_reverse [24, 3]", "rnn.bias_ih_l1_reverse [24]", "rnn.bias_hh_l1_reverse [24]", "rnn.weight_hr_l1_reverse [3, 6]",
             "linear.weight [2, 6]", "linear.bias [2]"],
            LstmBiProjL2Head.Layout.ToArray().Select(e => e.Name + " [" + string.Join(", ", e.Shape) + "]"));
        Assert.Equal(10, GruBiL1.OutputSize);
    }

    [Fact]
    public void WarmUpArgument_IsRejectedBeforeAnythingChanges()
    {
        var model = new GruBiL2Head(seed: 1);
        var state = default(GruBiL2Head.State);
        state.Values.Fill(0.25f);
        float[] inputs = new float[4 * GruBiL2Head.InputSize];
        float[] targets = new float[3 * GruBiL2Head.OutputSize];

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Backward(ref state, inputs, targets, warmUp: 1));
        Assert.Equal("warmUp", error.ParamName);
        Assert.Contains("bidirectional", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Backward(inputs, new float[GruBiL2Head.OutputSize], 1, warmUp: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Evaluate(ref state, inputs, targets, warmUp: 1));
        Assert.All(state.Values.ToArray(), v => Assert.Equal(0.25f, v));
        Assert.All(model.Gradients.ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void FirstOutput_DependsOnTheLastInput()
    {
        // The reverse direction: the output at step 0 reads the whole sequence.
        var model = new LstmBiL1Head(seed: 2);
        float[] inputs = ProjSizeTests.Values(new Random(3), 5 * LstmBiL1Head.InputSize, 1f);
        var first = new float[5 * LstmBiL1Head.OutputSize];
        var second = new float[5 * LstmBiL1Head.OutputSize];
        var state = default(LstmBiL1Head.State);
        model.Forward(ref state, inputs, first);
        inputs[^1] += 0.5f;
        state = default;
        model.Forward(ref state, inputs, second);

        Assert.NotEqual(first[0], second[0]);
    }

    [Fact]
    public void Backward_Gradients_MatchCentralDifferencesOfForwardsLoss()
    {
        FiniteDifferences.Check(new GruBiL2Head(seed: 11), GruBiL2Head.InputSize, GruBiL2Head.OutputSize, GruBiL2Head.StateLength,
            GruBiL2Head.Layout.ToArray(), steps: 5, warmUp: 0);
        FiniteDifferences.Check(new LstmBiProjL2Head(seed: 12), LstmBiProjL2Head.InputSize, LstmBiProjL2Head.OutputSize, LstmBiProjL2Head.StateLength,
            LstmBiProjL2Head.Layout.ToArray(), steps: 5, warmUp: 0);
        FiniteDifferences.Check(new RnnBiL1Head(seed: 13), RnnBiL1Head.InputSize, RnnBiL1Head.OutputSize, RnnBiL1Head.StateLength,
            RnnBiL1Head.Layout.ToArray(), steps: 5, warmUp: 0);
    }

    [Fact]
    public void ForwardBackwardEvaluateAndOptimizer_ManyCalls_AllocateNothing()
    {
        var model = new LstmBiProjL2Head(seed: 2);
        var optimizer = new Adam(model, 1e-3f);
        var state = default(LstmBiProjL2Head.State);
        float[] inputs = ProjSizeTests.Values(new Random(2), 8 * LstmBiProjL2Head.InputSize, 1f);
        float[] longInputs = ProjSizeTests.Values(new Random(3), 64 * LstmBiProjL2Head.InputSize, 1f);
        var outputs = new float[8 * LstmBiProjL2Head.OutputSize];
        var longOutputs = new float[64 * LstmBiProjL2Head.OutputSize];
        float[] targets = ProjSizeTests.Values(new Random(4), 8 * LstmBiProjL2Head.OutputSize, 1f);
        float[] batchTargets = ProjSizeTests.Values(new Random(5), 2 * LstmBiProjL2Head.OutputSize, 1f);

        void Calls()
        {
            model.Forward(ref state, inputs, outputs);
            model.Forward(ref state, longInputs, longOutputs);
            model.Backward(ref state, inputs, targets);
            model.Backward(inputs, batchTargets, batchSize: 2, on: LossOn.LastStep);
            model.Evaluate(ref state, inputs, targets);
            model.Evaluate(inputs, batchTargets, batchSize: 2);
            optimizer.Step();
            model.ZeroGrad();
        }

        Calls();
        SteadyAllocation.AssertNone("LstmBiProjL2Head: inference, training and the optimizer", 1_000, Calls);
    }
}
