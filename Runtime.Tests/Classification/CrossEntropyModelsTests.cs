using System;
using System.IO;
using System.Linq;
using Fixed.Tests.Support;
using Xunit;

namespace Fixed.Tests.Classification;

/// <summary>
/// <c>CrossEntropyOptions</c> on every kind of model besides the one-<c>Recurrent</c> ones of <see cref="CrossEntropyOptionsTests"/>:
/// two layer stacks (whose loss the generated code computes) and the models that run on <c>SequenceEngine</c> (ProjSize,
/// Bidirectional), against nn.CrossEntropyLoss(weight=, label_smoothing=) (scripts/make_classification_fixtures.py): the
/// batched cases of the one-layer models, a single sequence, and sequences of different lengths (NaN padding, which must
/// never be read); for the one-layer models too, the single-sequence and lengths cases. Loss within 1e-5 relative, gradients
/// within 1e-5 of the tensor's scale (float32 forward and BPTT summed in another order than PyTorch's); Evaluate returns
/// Backward's loss to the bit. Central differences of a loss computed here from Forward's logits are the second oracle.
/// </summary>
public sealed class CrossEntropyModelsTests
{
    private const int B = 3, T = 5, Features = 3, Classes = 4;
    private static readonly CrossEntropyOptions WeightsAndSmoothing = new([0.5f, 2f, 1f, 3f], 0.1f);

    /// <summary>A model under test: its fixture's file stem, a fresh instance, its state size, and the warm-up its fixture used (a bidirectional model takes none).</summary>
    private sealed record Model(string Stem, Func<ICrossEntropyModel> Create, int StateLength, int WarmUp);

    private static readonly Model[] Models =
    [
        new("ce_stack_gru", () => new CeGruStack(seed: 1), CeGruStack.StateLength, 1),
        new("ce_stack_lstm", () => new CeLstmStack(seed: 1), CeLstmStack.StateLength, 1),
        new("ce_proj_lstm", () => new CeProjLstm(seed: 1), CeProjLstm.StateLength, 1),
        new("ce_bi_gru", () => new CeBiGru(seed: 1), CeBiGru.StateLength, 0),
        new("ce_bi_lstm", () => new CeBiLstm(seed: 1), CeBiLstm.StateLength, 0),
        new("ce_rnn", () => new CeRnn(seed: 1), CeRnn.StateLength, 1),
        new("ce_gru", () => new CeGru(seed: 1), CeGru.StateLength, 1),
        new("ce_lstm", () => new CeLstm(seed: 1), CeLstm.StateLength, 1),
    ];

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (Model model in Models)
        {
            // The one-layer models' batched cases are CrossEntropyOptionsTests'.
            string[] cases = model.Stem is "ce_rnn" or "ce_gru" or "ce_lstm"
                ? ["one_ws", "len_all_ws", "len_last_ws"]
                : ["last_ws", "all_ws", "all_w", "all_s", "one_ws", "len_all_ws", "len_last_ws"];
            foreach (string name in cases)
            {
                data.Add(model.Stem, name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BackwardAndEvaluate_WithOptions_MatchTorchCrossEntropyLoss(string stem, string name)
    {
        (Model m, SafeTensorFile data) = Open(stem);
        float[] targets = data.ReadFloats(name + ".targets");
        ICrossEntropyModel model = Loaded(m);
        model.CrossEntropyOptions = Options(name);

        float loss, evaluated;
        if (name.StartsWith("len_", StringComparison.Ordinal))
        {
            float[] inputs = data.ReadFloats("len.inputs");
            int[] lengths = Lengths(data);
            LossOn on = name == "len_last_ws" ? LossOn.LastStep : LossOn.AllSteps;
            evaluated = model.Evaluate(inputs, targets, lengths, Loss.CrossEntropy, on, SequenceLayout.BatchFirst);
            loss = model.Backward(inputs, targets, lengths, Loss.CrossEntropy, on, SequenceLayout.BatchFirst);
        }
        else if (name == "one_ws")
        {
            ReadOnlySpan<float> sequence = data.ReadFloats("inputs").AsSpan(0, T * Features);
            evaluated = model.Evaluate(new float[m.StateLength], sequence, targets, Loss.CrossEntropy, LossOn.AllSteps, m.WarmUp);
            loss = model.Backward(new float[m.StateLength], sequence, targets, Loss.CrossEntropy, LossOn.AllSteps, m.WarmUp);
        }
        else
        {
            float[] inputs = data.ReadFloats("inputs");
            (LossOn on, int warmUp) = name == "last_ws" ? (LossOn.LastStep, 0) : (LossOn.AllSteps, m.WarmUp);
            evaluated = model.Evaluate(inputs, targets, B, Loss.CrossEntropy, on, warmUp, SequenceLayout.BatchFirst);
            loss = model.Backward(inputs, targets, B, Loss.CrossEntropy, on, warmUp, SequenceLayout.BatchFirst);
        }

        Close.Elementwise(data.ReadFloats(name + ".loss"), [loss], 1e-5, stem + " " + name + " loss");
        Close.Tensor(data.ReadFloats(name + ".grad"), model.Gradients, 1e-5, stem + " " + name + " gradients");
        Assert.Equal(loss, evaluated);
    }

    /// <summary>Smooth models only (no ReLU kink), over sequences of different lengths on every valid step and on the last.</summary>
    [Theory]
    [InlineData("ce_stack_gru", LossOn.AllSteps)]
    [InlineData("ce_stack_lstm", LossOn.LastStep)]
    [InlineData("ce_proj_lstm", LossOn.AllSteps)]
    [InlineData("ce_bi_gru", LossOn.AllSteps)]
    [InlineData("ce_bi_lstm", LossOn.LastStep)]
    [InlineData("ce_lstm", LossOn.AllSteps)]
    public void Lengths_WithOptions_AgreeWithCentralDifferencesOfForward(string stem, LossOn on)
    {
        (Model m, SafeTensorFile data) = Open(stem);
        float[] inputs = data.ReadFloats("len.inputs");
        float[] targets = data.ReadFloats(on == LossOn.AllSteps ? "len_all_ws.targets" : "len_last_ws.targets");
        int[] lengths = Lengths(data);
        ICrossEntropyModel model = Loaded(m);
        model.CrossEntropyOptions = WeightsAndSmoothing;
        model.Backward(inputs, targets, lengths, Loss.CrossEntropy, on, SequenceLayout.BatchFirst);
        float[] analytic = model.Gradients.ToArray();

        for (int i = 0; i < analytic.Length; i += 5)
        {
            float original = model.Parameters[i];
            const float h = 1e-2f;
            model.Parameters[i] = original + h;
            double plus = ForwardLoss(model, m.StateLength, inputs, targets, lengths, on);
            model.Parameters[i] = original - h;
            double minus = ForwardLoss(model, m.StateLength, inputs, targets, lengths, on);
            model.Parameters[i] = original;
            double numeric = (plus - minus) / (2 * h);
            Assert.True(Math.Abs(numeric - analytic[i]) <= 2e-3 + 2e-2 * Math.Abs(numeric), $"{stem} parameter {i}: central difference {numeric}, Backward {analytic[i]}");
        }
    }

    [Theory]
    [InlineData("ce_stack_gru")]
    [InlineData("ce_bi_lstm")]
    public void EmptyOptions_EqualPlainCrossEntropy(string stem)
    {
        (Model m, SafeTensorFile data) = Open(stem);
        float[] inputs = data.ReadFloats("inputs");
        float[] targets = data.ReadFloats("all_w.targets");
        ICrossEntropyModel plain = Loaded(m), unit = Loaded(m);
        unit.CrossEntropyOptions = new CrossEntropyOptions();

        float a = plain.Backward(inputs, targets, B, Loss.CrossEntropy, LossOn.AllSteps, m.WarmUp, SequenceLayout.BatchFirst);
        float b = unit.Backward(inputs, targets, B, Loss.CrossEntropy, LossOn.AllSteps, m.WarmUp, SequenceLayout.BatchFirst);

        Assert.Null(plain.CrossEntropyOptions);
        Assert.Equal(a, b, 6);
        Close.Tensor(plain.Gradients, unit.Gradients, 1e-6, stem + ": no weights, no smoothing");
    }

    [Theory]
    [InlineData("ce_stack_lstm")]
    [InlineData("ce_bi_gru")]
    public void BadOptions_ThrowAndChangeNothing(string stem)
    {
        Model m = Models.Single(x => x.Stem == stem);
        ICrossEntropyModel model = Loaded(m);
        var options = new CrossEntropyOptions([1f, 0f, 1f, 1f]);
        model.CrossEntropyOptions = options;

        var e = Assert.Throws<ArgumentException>(() => model.CrossEntropyOptions = new CrossEntropyOptions([1f, 2f, 3f]));
        Assert.Contains("OutputSize = 4", e.Message, StringComparison.Ordinal);
        Assert.Same(options, model.CrossEntropyOptions);

        // Every target of class 1, which weighs 0: the weighted mean is 0 / 0, in each overload, and nothing is written.
        float[] inputs = new float[B * T * Features];
        float[] before = model.Gradients.ToArray();
        e = Assert.Throws<ArgumentException>(() => model.Backward(inputs, [1f, 1f, 1f], B, Loss.CrossEntropy, LossOn.LastStep, 0, SequenceLayout.BatchFirst));
        Assert.Contains("sum to 0", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => model.Backward(inputs, [1f, 1f, 1f], [T, 2, 4], Loss.CrossEntropy, LossOn.LastStep, SequenceLayout.BatchFirst));
        Assert.Contains("sum to 0", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => model.Backward(new float[m.StateLength], inputs.AsSpan(0, T * Features), [1f], Loss.CrossEntropy, LossOn.LastStep, 0));
        Assert.Contains("sum to 0", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => model.Evaluate(inputs, [1f, 1f, 1f], B, Loss.CrossEntropy, LossOn.LastStep, 0, SequenceLayout.BatchFirst));
        Assert.Equal(before, model.Gradients.ToArray());
    }

    [Theory]
    [InlineData("ce_stack_gru")]
    [InlineData("ce_bi_lstm")]
    public void BackwardAndEvaluate_WithOptions_AllocateNothing(string stem)
    {
        (Model m, SafeTensorFile data) = Open(stem);
        float[] inputs = data.ReadFloats("inputs"), padded = data.ReadFloats("len.inputs");
        float[] targets = data.ReadFloats("all_ws.targets"), paddedTargets = data.ReadFloats("len_all_ws.targets");
        int[] lengths = Lengths(data);
        float[] state = new float[m.StateLength];
        ICrossEntropyModel model = Loaded(m);
        model.CrossEntropyOptions = WeightsAndSmoothing;

        void Calls()
        {
            model.Backward(inputs, targets, B, Loss.CrossEntropy, LossOn.AllSteps, m.WarmUp, SequenceLayout.BatchFirst);
            model.Evaluate(inputs, targets, B, Loss.CrossEntropy, LossOn.AllSteps, m.WarmUp, SequenceLayout.BatchFirst);
            model.Backward(padded, paddedTargets, lengths, Loss.CrossEntropy, LossOn.AllSteps, SequenceLayout.BatchFirst);
            model.Evaluate(padded, paddedTargets, lengths, Loss.CrossEntropy, LossOn.AllSteps, SequenceLayout.BatchFirst);
            state.AsSpan().Clear();
            model.Backward(state, inputs.AsSpan(0, T * Features), targets.AsSpan(0, T - m.WarmUp), Loss.CrossEntropy, LossOn.AllSteps, m.WarmUp);
        }

        Calls();
        SteadyAllocation.AssertNone(stem + ": Backward and Evaluate with CrossEntropyOptions", 500, Calls);
    }

    private static (Model, SafeTensorFile) Open(string stem) =>
        (Models.Single(x => x.Stem == stem), Fixture.Data("classification/" + stem + ".data.safetensors"));

    private static ICrossEntropyModel Loaded(Model m)
    {
        ICrossEntropyModel model = m.Create();
        model.Load(Path.Combine(Fixture.Root, "classification", m.Stem + ".weights.safetensors"));
        return model;
    }

    private static int[] Lengths(SafeTensorFile data) => data.ReadFloats("len.lengths").Select(l => (int)l).ToArray();

    private static CrossEntropyOptions Options(string name) => name switch
    {
        "all_w" => new CrossEntropyOptions([0.5f, 2f, 1f, 3f]),
        "all_s" => new CrossEntropyOptions(labelSmoothing: 0.25f),
        _ => WeightsAndSmoothing,
    };

    /// <summary>
    /// The loss the lengths overloads document, from the model's public Forward over each sequence's valid steps (from the
    /// zero state) and PyTorch's formula in double: independent of the loss code under test.
    /// </summary>
    private static double ForwardLoss(ICrossEntropyModel model, int stateLength, float[] inputs, float[] targets, int[] lengths, LossOn on)
    {
        var logits = new float[T * Classes];
        double total = 0, divisor = 0;
        for (int b = 0; b < lengths.Length; b++)
        {
            int length = lengths[b];
            model.Forward(new float[stateLength], inputs.AsSpan(b * T * Features, length * Features), logits.AsSpan(0, length * Classes));
            for (int t = on == LossOn.LastStep ? length - 1 : 0; t < length; t++)
            {
                int target = (int)(on == LossOn.LastStep ? targets[b] : targets[b * T + t]);
                (double loss, double weight) = CrossEntropyReference.Term(logits.AsSpan(t * Classes, Classes), target, WeightsAndSmoothing);
                total += loss;
                divisor += weight;
            }
        }

        return total / divisor;
    }
}

/// <summary>nn.CrossEntropyLoss(weight=, label_smoothing=) for one sample, in double: written from PyTorch's documentation, not from Fixed's code.</summary>
internal static class CrossEntropyReference
{
    /// <summary>The sample's weighted, smoothed loss (before the mean) and its weight in the mean's divisor, <c>weight[target]</c>.</summary>
    public static (double Loss, double Weight) Term(ReadOnlySpan<float> logits, int target, CrossEntropyOptions options)
    {
        int classes = logits.Length;
        double Weight(int c) => options.Weight.IsEmpty ? 1.0 : options.Weight[c];
        double max = double.NegativeInfinity, sum = 0;
        for (int c = 0; c < classes; c++)
        {
            max = Math.Max(max, logits[c]);
        }

        for (int c = 0; c < classes; c++)
        {
            sum += Math.Exp(logits[c] - max);
        }

        double logSum = Math.Log(sum) + max, smooth = 0, epsilon = options.LabelSmoothing;
        for (int c = 0; c < classes; c++)
        {
            smooth += Weight(c) * (logSum - logits[c]);
        }

        return ((1 - epsilon) * Weight(target) * (logSum - logits[target]) + epsilon / classes * smooth, Weight(target));
    }
}

/// <summary>What these tests call on every model: the generated members, through one interface.</summary>
public interface ICrossEntropyModel : IParameters
{
    CrossEntropyOptions? CrossEntropyOptions { get; set; }

    void Load(string path);

    void Forward(Span<float> state, ReadOnlySpan<float> inputs, Span<float> outputs);

    float Backward(Span<float> state, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, Loss loss, LossOn on, int warmUp);

    float Backward(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize, Loss loss, LossOn on, int warmUp, SequenceLayout layout);

    float Backward(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, ReadOnlySpan<int> lengths, Loss loss, LossOn on, SequenceLayout layout);

    float Evaluate(Span<float> state, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, Loss loss, LossOn on, int warmUp);

    float Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize, Loss loss, LossOn on, int warmUp, SequenceLayout layout);

    float Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, ReadOnlySpan<int> lengths, Loss loss, LossOn on, SequenceLayout layout);
}

/// <summary>enc = nn.GRU(3, 5), fc1 = nn.Linear(5, 6), tanh, fc2 = nn.Linear(6, 4): 4 classes.</summary>
[Recurrent(3, 5, Cell = Cell.Gru, Name = "enc", Window = 5)]
[Linear(5, 6, Name = "fc1")]
[Tanh]
[Linear(6, 4, Name = "fc2")]
public sealed partial class CeGruStack : ICrossEntropyModel;

/// <summary>pre = nn.Linear(3, 6), tanh, lstm = nn.LSTM(6, 5, num_layers=2), out = nn.Linear(5, 4).</summary>
[Linear(3, 6, Name = "pre")]
[Tanh]
[Recurrent(6, 5, Cell = Cell.Lstm, NumLayers = 2, Name = "lstm", Window = 5)]
[Linear(5, 4, Name = "out")]
public sealed partial class CeLstmStack : ICrossEntropyModel;

/// <summary>nn.LSTM(3, 5, num_layers=2, proj_size=3) + nn.Linear(3, 4).</summary>
[Recurrent(3, 5, Cell = Cell.Lstm, NumLayers = 2, ProjSize = 3, OutputSize = 4, Window = 5)]
public sealed partial class CeProjLstm : ICrossEntropyModel;

/// <summary>nn.GRU(3, 5, num_layers=2, bidirectional=True) + nn.Linear(10, 4).</summary>
[Recurrent(3, 5, Cell = Cell.Gru, NumLayers = 2, Bidirectional = true, OutputSize = 4, Window = 5)]
public sealed partial class CeBiGru : ICrossEntropyModel;

/// <summary>nn.LSTM(3, 5, proj_size=3, bidirectional=True) + nn.Linear(6, 4).</summary>
[Recurrent(3, 5, Cell = Cell.Lstm, ProjSize = 3, Bidirectional = true, OutputSize = 4, Window = 5)]
public sealed partial class CeBiLstm : ICrossEntropyModel;
