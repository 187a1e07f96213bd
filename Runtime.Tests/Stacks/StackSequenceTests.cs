using System;
using System.IO;
using System.Linq;
using Fixed.Tests.Generator;
using Fixed.Tests.Sequence;
using Fixed.Tests.Support;
using Xunit;

namespace Fixed.Tests.Stacks;

/// <summary>
/// Layer stacks with a <c>ProjSize</c> or <c>Bidirectional</c> recurrent layer (<see cref="StackSequenceModels"/>) against real
/// PyTorch (scripts/make_stack_sequence_fixtures.py): Forward from a random initial state (outputs and every layer's
/// <c>h_n</c>), the single-sequence, batched and different-lengths Backward (loss and every gradient) and Evaluate; then
/// what such a stack is beyond its numbers: PyTorch's state_dict names and order, the state's rows, whole sequences only
/// with a bidirectional layer (no Step or WarmUp) while a ProjSize stack streams, gradients against central differences,
/// clear errors for bad lengths, and no allocation. Tolerance as <see cref="SequenceParityTests"/>: 1e-5 absolute plus
/// 1e-5 relative.
/// </summary>
public sealed class StackSequenceTests
{
    public static TheoryData<string> Names() => new(
        Directory.GetFiles(Path.Combine(Fixture.Root, "stack_sequence"), "*.data.safetensors")
            .Select(path => Path.GetFileName(path)[..^".data.safetensors".Length])
            .Order(StringComparer.Ordinal));

    [Fact]
    public void Fixtures_AreEveryDeclaredStack() =>
        Assert.Equal(["gru_bi_stack", "lstm_bi_proj_stack", "lstm_proj_stream_stack", "rnn_bi_gru_skip_stack"], Names().Select(row => (string)row.Data));

    [Theory]
    [MemberData(nameof(Names))]
    public void Forward_FromAnInitialState_MatchesPyTorchOutputsAndFinalState(string name)
    {
        Fixture fixture = Fixture.Open("stack_sequence", name);
        ISequenceModel model = StackSequenceModels.Create(name);
        model.Load(fixture.WeightsPath);
        float[] state = fixture.Tensor("h0");
        float[] expected = fixture.Tensor("output");
        var outputs = new float[expected.Length];

        model.Forward(state, fixture.Tensor("input"), outputs);

        SequenceParityTests.AssertClose(expected, outputs, name + " outputs");
        SequenceParityTests.AssertClose(fixture.Tensor("state_n"), state, name + " h_n");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Backward_OneSequence_MatchesPyTorchLossGradientsAndState(string name)
    {
        Fixture fixture = Fixture.Open("stack_sequence", name);
        ISequenceModel model = StackSequenceModels.Create(name);
        model.Load(fixture.WeightsPath);
        float[] state = fixture.Tensor("h0");

        float loss = model.Backward(state, fixture.Tensor("input"), fixture.Tensor("targets"), Loss.Mse, LossOn.AllSteps, fixture.Int("k"));

        SequenceParityTests.AssertClose(fixture.Tensor("loss"), [loss], name + " loss");
        SequenceParityTests.AssertClose(fixture.Tensor("grad"), model.Gradients.ToArray(), name + " gradients");
        SequenceParityTests.AssertClose(fixture.Tensor("state_end"), state, name + " state after Backward");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void BackwardAndEvaluate_Batch_MatchPyTorchLossAndGradients(string name)
    {
        Fixture fixture = Fixture.Open("stack_sequence", name);
        ISequenceModel model = StackSequenceModels.Create(name);
        model.Load(fixture.WeightsPath);
        LossOn on = fixture.Text("batch_on") == "all" ? LossOn.AllSteps : LossOn.LastStep;
        SequenceLayout layout = fixture.Text("batch_layout") == "time_first" ? SequenceLayout.TimeFirst : SequenceLayout.BatchFirst;
        float[] inputs = fixture.Tensor("batch_input"), targets = fixture.Tensor("batch_targets");

        float loss = model.Backward(inputs, targets, fixture.Int("B"), Loss.Mse, on, fixture.Int("k"), layout);
        float evaluated = model.Evaluate(inputs, targets, fixture.Int("B"), Loss.Mse, on, fixture.Int("k"), layout);

        SequenceParityTests.AssertClose(fixture.Tensor("batch_loss"), [loss], name + " loss");
        SequenceParityTests.AssertClose(fixture.Tensor("batch_grad"), model.Gradients.ToArray(), name + " gradients");
        Assert.Equal(loss, evaluated);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void BackwardAndEvaluate_SequencesOfDifferentLengths_MatchPyTorchsPackedSequences(string name)
    {
        Fixture fixture = Fixture.Open("stack_sequence", name);
        ISequenceModel model = StackSequenceModels.Create(name);
        model.Load(fixture.WeightsPath);
        int[] lengths = fixture.Tensor("lengths").Select(l => (int)l).ToArray();
        float[] inputs = fixture.Tensor("len_input"), targets = fixture.Tensor("len_targets");
        Assert.Contains(inputs, float.IsNaN);

        float loss = model.Backward(inputs, targets, lengths, Loss.Mse, LossOn.AllSteps);
        float evaluated = model.Evaluate(inputs, targets, lengths, Loss.Mse, LossOn.AllSteps);

        SequenceParityTests.AssertClose(fixture.Tensor("len_loss"), [loss], name + " loss");
        SequenceParityTests.AssertClose(fixture.Tensor("len_grad"), model.Gradients.ToArray(), name + " gradients");
        Assert.Equal(loss, evaluated);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Evaluate_OneSequence_ReturnsBackwardsLossAndStateWithoutGradients(string name)
    {
        Fixture fixture = Fixture.Open("stack_sequence", name);
        ISequenceModel model = StackSequenceModels.Create(name);
        model.Load(fixture.WeightsPath);
        float[] state = fixture.Tensor("h0");

        float loss = model.Evaluate(state, fixture.Tensor("input"), fixture.Tensor("targets"), Loss.Mse, LossOn.AllSteps, fixture.Int("k"));

        SequenceParityTests.AssertClose(fixture.Tensor("loss"), [loss], name + " loss");
        SequenceParityTests.AssertClose(fixture.Tensor("state_end"), state, name + " state after Evaluate");
        Assert.All(model.Gradients.ToArray(), g => Assert.Equal(0f, g));
        float[] again = fixture.Tensor("h0");
        Assert.Equal(loss, model.Backward(again, fixture.Tensor("input"), fixture.Tensor("targets"), Loss.Mse, LossOn.AllSteps, fixture.Int("k")));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Layout_IsPyTorchsStateDictOfTheFixture(string name)
    {
        // The weights file is the module's state_dict as PyTorch wrote it: the same names, in the same order, every value.
        Fixture fixture = Fixture.Open("stack_sequence", name);
        ISequenceModel model = StackSequenceModels.Create(name);
        SafeTensorFile weights = SafeTensorFile.Read(fixture.WeightsPath);
        model.Load(fixture.WeightsPath);
        ParameterInfo[] layout = name switch
        {
            "lstm_bi_proj_stack" => LstmBiProjStack.Layout.ToArray(),
            "gru_bi_stack" => GruBiStack.Layout.ToArray(),
            "rnn_bi_gru_skip_stack" => RnnBiGruSkipStack.Layout.ToArray(),
            _ => LstmProjStreamStack.Layout.ToArray(),
        };

        Assert.Equal(weights.Tensors.OrderBy(t => t.Begin).Select(t => t.Name), layout.Select(t => t.Name));
        float[] concatenated = weights.Tensors.OrderBy(t => t.Begin).SelectMany(t => weights.ReadFloats(t.Name)).ToArray();
        Assert.Equal(concatenated, model.ParameterValues.ToArray());
        Assert.Equal(fixture.Int("state_length"), fixture.Tensor("h0").Length);
    }

    [Fact]
    public void Layout_NamesAndShapesAreNnLstmsUnderTheLayersName()
    {
        Assert.Equal(
            ["fc_in.weight [6, 2]", "fc_in.bias [6]",
             "lstm.weight_ih_l0 [32, 6]", "lstm.weight_hh_l0 [32, 4]", "lstm.bias_ih_l0 [32]", "lstm.bias_hh_l0 [32]", "lstm.weight_hr_l0 [4, 8]",
             "lstm.weight_ih_l0_reverse [32, 6]", "lstm.weight_hh_l0_reverse [32, 4]", "lstm.bias_ih_l0_reverse [32]", "lstm.bias_hh_l0_reverse [32]", "lstm.weight_hr_l0_reverse [4, 8]",
             "lstm.weight_ih_l1 [32, 8]", "lstm.weight_hh_l1 [32, 4]", "lstm.bias_ih_l1 [32]", "lstm.bias_hh_l1 [32]", "lstm.weight_hr_l1 [4, 8]",
             "lstm.weight_ih_l1_reverse [32, 8]", "lstm.weight_hh_l1_reverse [32, 4]", "lstm.bias_ih_l1_reverse [32]", "lstm.bias_hh_l1_reverse [32]", "lstm.weight_hr_l1_reverse [4, 8]",
             "fc_out.weight [1, 8]", "fc_out.bias [1]"],
            LstmBiProjStack.Layout.ToArray().Select(e => e.Name + " [" + string.Join(", ", e.Shape) + "]"));
        Assert.Equal(LstmBiProjStack.ParameterCount, LstmBiProjStack.Layout[^1].Offset + 1);
        Assert.Equal(1, LstmBiProjStack.OutputSize);
        Assert.Equal(
            ["enc.weight_ih_l0 [24, 2]", "enc.weight_hh_l0 [24, 3]", "enc.bias_ih_l0 [24]", "enc.bias_hh_l0 [24]", "enc.weight_hr_l0 [3, 6]",
             "enc.weight_ih_l1 [24, 3]", "enc.weight_hh_l1 [24, 3]", "enc.bias_ih_l1 [24]", "enc.bias_hh_l1 [24]", "enc.weight_hr_l1 [3, 6]",
             "mid.weight [4, 3]", "mid.bias [4]",
             "dec.weight_ih_l0 [15, 4]", "dec.weight_hh_l0 [15, 5]", "dec.bias_ih_l0 [15]", "dec.bias_hh_l0 [15]",
             "head.weight [2, 5]", "head.bias [2]"],
            LstmProjStreamStack.Layout.ToArray().Select(e => e.Name + " [" + string.Join(", ", e.Shape) + "]"));
    }

    [Fact]
    public void State_RowsAreEachLayersAndDirectionsInPyTorchsOrder()
    {
        var state = default(LstmBiProjStack.State);
        for (int i = 0; i < LstmBiProjStack.StateLength; i++)
        {
            state.Values[i] = i;
        }

        // Per row h (ProjSize 4) then c (hidden 8): 12 floats; rows l0, l0_reverse, l1, l1_reverse.
        Assert.Equal(48, LstmBiProjStack.StateLength);
        Assert.Equal([12f, 13f, 14f, 15f], state.Hidden(1).ToArray());
        Assert.Equal(Enumerable.Range(28, 8).Select(i => (float)i), state.Cell(2).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => default(LstmBiProjStack.State).Hidden(4).Length);
        Assert.Equal(
            ["lstm.h_l0", "lstm.c_l0", "lstm.h_l0_reverse", "lstm.c_l0_reverse", "lstm.h_l1", "lstm.c_l1", "lstm.h_l1_reverse", "lstm.c_l1_reverse"],
            LstmBiProjStack.StateLayout.ToArray().Select(e => e.Name));
        Assert.Equal(
            ["birnn.h_l0 [4]", "birnn.h_l0_reverse [4]", "gru.h_l0 [5]"],
            RnnBiGruSkipStack.StateLayout.ToArray().Select(e => e.Name + " [" + string.Join(", ", e.Shape) + "]"));

        var stream = default(LstmProjStreamStack.State);
        Assert.Equal(3, stream.Hidden(0).Length);
        Assert.Equal(6, stream.Cell(1).Length);
        Assert.Equal(5, stream.Hidden(2).Length);
        Assert.Equal(2 * (3 + 6) + 5, LstmProjStreamStack.StateLength);
    }

    [Fact]
    public void BidirectionalStack_HasNoStepNorWarmUpAndIsNotAnIRecurrentModel_ProjSizeStackIs()
    {
        foreach (Type type in new[] { typeof(LstmBiProjStack), typeof(GruBiStack), typeof(RnnBiGruSkipStack) })
        {
            Assert.DoesNotContain(type.GetMethods(), m => m.Name is "Step" or "WarmUp");
            Assert.DoesNotContain(type.GetInterfaces(), i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IRecurrentModel<>));
            Assert.Contains(typeof(IParameters), type.GetInterfaces());
        }

        Assert.Contains(typeof(IRecurrentModel<LstmProjStreamStack>), typeof(LstmProjStreamStack).GetInterfaces());
        Assert.Contains(typeof(LstmProjStreamStack).GetMethods(), m => m.Name == "Step");
    }

    [Theory]
    [InlineData("model.Step(ref state, new float[2], new float[1]);")]
    [InlineData("model.WarmUp(ref state, new float[2]);")]
    [InlineData("model.Step(new Bi.State[2], new float[4], new float[2]);")]
    public void BidirectionalStack_CallingStepOrWarmUp_IsACompileError(string call)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using Fixed;
            [Linear(2, 3)] [Recurrent(3, 4, Cell = Cell.Gru, Bidirectional = true)] [Linear(8, 1, Name = "head")] public partial class Bi;
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
    public void BidirectionalStack_FirstOutputDependsOnTheLastInput()
    {
        var model = new GruBiStack(seed: 2);
        float[] inputs = ProjSizeTests.Values(new Random(3), 5 * GruBiStack.InputSize, 1f);
        var first = new float[5 * GruBiStack.OutputSize];
        var second = new float[5 * GruBiStack.OutputSize];
        var state = default(GruBiStack.State);
        model.Forward(ref state, inputs, first);
        inputs[^1] += 0.5f;
        state = default;
        model.Forward(ref state, inputs, second);

        Assert.NotEqual(first[0], second[0]);
    }

    [Fact]
    public void BidirectionalStack_WarmUpArgument_IsRejectedBeforeAnythingChanges()
    {
        var model = new LstmBiProjStack(seed: 1);
        var state = default(LstmBiProjStack.State);
        state.Values.Fill(0.25f);
        float[] inputs = new float[4 * LstmBiProjStack.InputSize];
        float[] targets = new float[3 * LstmBiProjStack.OutputSize];

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Backward(ref state, inputs, targets, warmUp: 1));
        Assert.Equal("warmUp", error.ParamName);
        Assert.Contains("bidirectional", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Backward(inputs, new float[LstmBiProjStack.OutputSize], 1, warmUp: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Evaluate(ref state, inputs, targets, warmUp: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Evaluate(inputs, new float[LstmBiProjStack.OutputSize], 1, warmUp: 1));
        Assert.All(state.Values.ToArray(), v => Assert.Equal(0.25f, v));
        Assert.All(model.Gradients.ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void BidirectionalStack_BadLengths_AreArgumentExceptionsNamingTheArgumentAndChangeNothing()
    {
        var model = new LstmBiProjStack(seed: 1);
        float[] state = new float[LstmBiProjStack.StateLength];
        Array.Fill(state, 0.5f);
        float[] inputs = new float[4 * LstmBiProjStack.InputSize];
        float[] parameters = model.ParameterValues.ToArray();

        Assert.Equal("state", Assert.ThrowsAny<ArgumentException>(() => model.Forward(new float[LstmBiProjStack.StateLength - 1], inputs, new float[4])).ParamName);
        Assert.Equal("inputs", Assert.ThrowsAny<ArgumentException>(() => model.Forward(state, new float[7], new float[4])).ParamName);
        Assert.Equal("outputs", Assert.ThrowsAny<ArgumentException>(() => model.Forward(state, inputs, new float[3])).ParamName);
        Assert.Equal("targets", Assert.ThrowsAny<ArgumentException>(() => model.Backward(state, inputs, new float[3])).ParamName);
        Assert.ThrowsAny<ArgumentException>(() => model.Backward(new float[9 * LstmBiProjStack.InputSize], new float[9], batchSize: 1, on: LossOn.AllSteps));
        Assert.ThrowsAny<ArgumentException>(() => model.Backward(inputs, new float[4], [5], Loss.Mse, LossOn.AllSteps));

        Assert.All(state, v => Assert.Equal(0.5f, v));
        Assert.All(model.Gradients.ToArray(), g => Assert.Equal(0f, g));
        Assert.Equal(parameters, model.ParameterValues.ToArray());
    }

    [Fact]
    public void Backward_Gradients_MatchCentralDifferencesOfForwardsLoss()
    {
        FiniteDifferences.Check(new LstmBiProjStack(seed: 11), LstmBiProjStack.InputSize, LstmBiProjStack.OutputSize, LstmBiProjStack.StateLength,
            LstmBiProjStack.Layout.ToArray(), steps: 5, warmUp: 0);
        // GruBiStack's ReLU has a kink that a step of ±2e-2 can cross: its twin with a sigmoid is checked instead.
        FiniteDifferences.Check(new GruBiSmoothStack(seed: 12), GruBiSmoothStack.InputSize, GruBiSmoothStack.OutputSize, GruBiSmoothStack.StateLength,
            GruBiSmoothStack.Layout.ToArray(), steps: 5, warmUp: 0);
        FiniteDifferences.Check(new RnnBiGruSkipStack(seed: 13), RnnBiGruSkipStack.InputSize, RnnBiGruSkipStack.OutputSize, RnnBiGruSkipStack.StateLength,
            RnnBiGruSkipStack.Layout.ToArray(), steps: 5, warmUp: 0);
        FiniteDifferences.Check(new LstmProjStreamStack(seed: 14), LstmProjStreamStack.InputSize, LstmProjStreamStack.OutputSize, LstmProjStreamStack.StateLength,
            LstmProjStreamStack.Layout.ToArray(), steps: 6, warmUp: 2);
    }

    [Fact]
    public void ProjSizeStack_StepWarmUpAndStreams_AgreeWithForwardExactly()
    {
        var model = new LstmProjStreamStack(seed: 3);
        const int T = 7;
        float[] inputs = ProjSizeTests.Values(new Random(4), T * LstmProjStreamStack.InputSize, 1f);
        var start = default(LstmProjStreamStack.State);
        ProjSizeTests.Values(new Random(5), LstmProjStreamStack.StateLength, 0.5f).CopyTo(start.Values);

        LstmProjStreamStack.State forwardState = start;
        var forward = new float[T * LstmProjStreamStack.OutputSize];
        model.Forward(ref forwardState, inputs, forward);

        LstmProjStreamStack.State stepState = start;
        var stepped = new float[T * LstmProjStreamStack.OutputSize];
        for (int t = 0; t < T; t++)
        {
            model.Step(ref stepState, inputs.AsSpan(t * LstmProjStreamStack.InputSize, LstmProjStreamStack.InputSize),
                stepped.AsSpan(t * LstmProjStreamStack.OutputSize, LstmProjStreamStack.OutputSize));
        }

        Assert.Equal(forward, stepped);
        Assert.Equal(forwardState.Values.ToArray(), stepState.Values.ToArray());

        // WarmUp over the first 3 steps, then Forward over the rest: the same tail and final state.
        LstmProjStreamStack.State warmed = start;
        model.WarmUp(ref warmed, inputs.AsSpan(0, 3 * LstmProjStreamStack.InputSize));
        var tail = new float[(T - 3) * LstmProjStreamStack.OutputSize];
        model.Forward(ref warmed, inputs.AsSpan(3 * LstmProjStreamStack.InputSize), tail);
        Assert.Equal(forward[(3 * LstmProjStreamStack.OutputSize)..], tail);
        Assert.Equal(forwardState.Values.ToArray(), warmed.Values.ToArray());

        // Two streams stepped together: the first is the sequence above, the second another one.
        float[] other = ProjSizeTests.Values(new Random(6), T * LstmProjStreamStack.InputSize, 1f);
        var states = new LstmProjStreamStack.State[] { start, default };
        var interleaved = new float[T * 2 * LstmProjStreamStack.InputSize];
        for (int t = 0; t < T; t++)
        {
            inputs.AsSpan(t * 2, 2).CopyTo(interleaved.AsSpan(t * 4, 2));
            other.AsSpan(t * 2, 2).CopyTo(interleaved.AsSpan((t * 4) + 2, 2));
        }

        var streamed = new float[T * 2 * LstmProjStreamStack.OutputSize];
        model.Forward(states, interleaved, streamed);
        var otherState = default(LstmProjStreamStack.State);
        var otherOutputs = new float[T * LstmProjStreamStack.OutputSize];
        model.Forward(ref otherState, other, otherOutputs);
        for (int t = 0; t < T; t++)
        {
            Assert.Equal(forward.AsSpan(t * 2, 2).ToArray(), streamed.AsSpan(t * 4, 2).ToArray());
            Assert.Equal(otherOutputs.AsSpan(t * 2, 2).ToArray(), streamed.AsSpan((t * 4) + 2, 2).ToArray());
        }

        Assert.Equal(forwardState.Values.ToArray(), states[0].Values.ToArray());
        Assert.Equal(otherState.Values.ToArray(), states[1].Values.ToArray());
    }

    [Fact]
    public void BidirectionalStacks_ForwardBackwardEvaluateAndOptimizer_ManyCalls_AllocateNothing()
    {
        var model = new LstmBiProjStack(seed: 2);
        var mixed = new RnnBiGruSkipStack(seed: 3);
        var optimizer = new Adam(model, 1e-3f);
        var state = default(LstmBiProjStack.State);
        var mixedState = default(RnnBiGruSkipStack.State);
        float[] inputs = ProjSizeTests.Values(new Random(2), 8 * LstmBiProjStack.InputSize, 1f);
        float[] longInputs = ProjSizeTests.Values(new Random(3), 64 * LstmBiProjStack.InputSize, 1f);
        float[] mixedInputs = ProjSizeTests.Values(new Random(4), 8 * RnnBiGruSkipStack.InputSize, 1f);
        var outputs = new float[8 * LstmBiProjStack.OutputSize];
        var longOutputs = new float[64 * LstmBiProjStack.OutputSize];
        var mixedOutputs = new float[8 * RnnBiGruSkipStack.OutputSize];
        float[] targets = ProjSizeTests.Values(new Random(5), 8 * LstmBiProjStack.OutputSize, 1f);
        float[] mixedTargets = ProjSizeTests.Values(new Random(6), 8 * RnnBiGruSkipStack.OutputSize, 1f);
        float[] batchTargets = ProjSizeTests.Values(new Random(7), 2 * LstmBiProjStack.OutputSize, 1f);
        int[] lengths = [4, 2];
        float[] lengthTargets = ProjSizeTests.Values(new Random(8), 2 * 4 * LstmBiProjStack.OutputSize, 1f);

        void Calls()
        {
            model.Forward(ref state, inputs, outputs);
            model.Forward(ref state, longInputs, longOutputs);
            model.Backward(ref state, inputs, targets);
            model.Backward(inputs, batchTargets, batchSize: 2, on: LossOn.LastStep);
            model.Backward(inputs, lengthTargets, lengths, on: LossOn.AllSteps);
            model.Evaluate(ref state, inputs, targets);
            model.Evaluate(inputs, batchTargets, batchSize: 2);
            model.Evaluate(inputs, lengthTargets, lengths, on: LossOn.AllSteps);
            optimizer.Step();
            model.ZeroGrad();
            mixed.Forward(ref mixedState, mixedInputs, mixedOutputs);
            mixed.Backward(ref mixedState, mixedInputs, mixedTargets);
            mixed.Evaluate(ref mixedState, mixedInputs, mixedTargets);
        }

        Calls();
        SteadyAllocation.AssertNone("bidirectional stacks: inference, training and the optimizer", 500, Calls);
    }

    [Fact]
    public void ProjSizeStack_StepStreamsAndTraining_ManyCalls_AllocateNothing()
    {
        var model = new LstmProjStreamStack(seed: 2);
        var state = default(LstmProjStreamStack.State);
        var states = new LstmProjStreamStack.State[3];
        float[] input = [0.1f, -0.3f];
        var output = new float[LstmProjStreamStack.OutputSize];
        float[] streamInputs = ProjSizeTests.Values(new Random(2), 3 * LstmProjStreamStack.InputSize, 1f);
        var streamOutputs = new float[3 * LstmProjStreamStack.OutputSize];
        float[] inputs = ProjSizeTests.Values(new Random(3), 8 * LstmProjStreamStack.InputSize, 1f);
        var outputs = new float[8 * LstmProjStreamStack.OutputSize];
        float[] targets = ProjSizeTests.Values(new Random(4), 6 * LstmProjStreamStack.OutputSize, 1f);

        void Calls()
        {
            model.Step(ref state, input, output);
            model.Step(states, streamInputs, streamOutputs);
            model.Forward(ref state, inputs, outputs);
            model.WarmUp(ref state, inputs);
            model.Backward(ref state, inputs, targets, warmUp: 2);
            model.Evaluate(ref state, inputs, targets, warmUp: 2);
            model.ZeroGrad();
        }

        Calls();
        SteadyAllocation.AssertNone("ProjSize stack: Step, streams and training", 500, Calls);
    }
}
