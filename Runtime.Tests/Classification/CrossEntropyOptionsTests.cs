using System;
using System.IO;
using Fixed.Tests.Support;
using Xunit;

namespace Fixed.Tests.Classification;

/// <summary>
/// <c>CrossEntropyOptions</c> (class weights, label smoothing) against nn.CrossEntropyLoss(weight=, label_smoothing=)
/// (scripts/make_classification_fixtures.py): loss and every parameter's gradient of a batched Backward for each cell,
/// LastStep and AllSteps after a warm-up step. Loss within 1e-5 relative, gradients within 1e-5 of the tensor's scale
/// (float32 forward and BPTT summed in another order than PyTorch's). Central differences of a loss computed here from
/// Forward's logits (not from Backward) are the second oracle.
/// </summary>
public sealed class CrossEntropyOptionsTests
{
    private const int B = 3, T = 5, Classes = 4;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string cell in new[] { "rnn", "gru", "lstm" })
        {
            foreach (string name in new[] { "last_ws", "all_ws", "all_w", "all_s" })
            {
                data.Add(cell, name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_WeightsAndSmoothing_MatchesTorchCrossEntropyLoss(string cell, string name)
    {
        SafeTensorFile data = Fixture.Data("classification/ce_" + cell + ".data.safetensors");
        (CrossEntropyOptions options, LossOn on, int warmUp) = Case(name);
        float[] inputs = data.ReadFloats("inputs");
        float[] targets = data.ReadFloats(name + ".targets");

        (float loss, float[] gradients, float evaluated) = cell switch
        {
            "rnn" => Run(new CeRnn(), cell, options, inputs, targets, on, warmUp),
            "gru" => Run(new CeGru(), cell, options, inputs, targets, on, warmUp),
            _ => Run(new CeLstm(), cell, options, inputs, targets, on, warmUp),
        };

        Close.Elementwise(data.ReadFloats(name + ".loss"), [loss], 1e-5, cell + " " + name + " loss");
        Close.Tensor(data.ReadFloats(name + ".grad"), gradients, 1e-5, cell + " " + name + " gradients");
        Assert.Equal(loss, evaluated);
    }

    [Fact]
    public void Backward_WeightsAndSmoothing_AgreesWithCentralDifferencesOfForward()
    {
        SafeTensorFile data = Fixture.Data("classification/ce_gru.data.safetensors");
        (CrossEntropyOptions options, LossOn on, int warmUp) = Case("all_ws");
        float[] inputs = data.ReadFloats("inputs");
        float[] targets = data.ReadFloats("all_ws.targets");
        var model = new CeGru(seed: 3);
        model.CrossEntropyOptions = options;
        model.Backward(inputs, targets, B, Loss.CrossEntropy, on, warmUp);
        float[] analytic = model.Gradients.ToArray();

        // Backward treats the state after the warm-up steps as a constant (truncated BPTT): so do the differences.
        var warmed = new CeGru.State[B];
        Span<float> ignored = stackalloc float[warmUp * Classes];
        for (int b = 0; b < B; b++)
        {
            model.Forward(ref warmed[b], inputs.AsSpan(b * T * 3, warmUp * 3), ignored);
        }

        for (int i = 0; i < CeGru.ParameterCount; i += 7)
        {
            float original = model.Parameters[i];
            const float h = 1e-2f;
            model.Parameters[i] = original + h;
            double plus = ForwardLoss(model, warmed, inputs, targets, options, warmUp);
            model.Parameters[i] = original - h;
            double minus = ForwardLoss(model, warmed, inputs, targets, options, warmUp);
            model.Parameters[i] = original;
            double numeric = (plus - minus) / (2 * h);
            Assert.True(Math.Abs(numeric - analytic[i]) <= 2e-3 + 2e-2 * Math.Abs(numeric), $"parameter {i}: central difference {numeric}, Backward {analytic[i]}");
        }
    }

    [Fact]
    public void Lengths_WeightedMean_CountsOnlyTheValidTargets()
    {
        SafeTensorFile data = Fixture.Data("classification/ce_lstm.data.safetensors");
        float[] inputs = data.ReadFloats("inputs");
        var model = new CeLstm(seed: 2) { CrossEntropyOptions = new CrossEntropyOptions([0.5f, 2f, 1f, 3f], 0.1f) };
        float[] targets = new float[B * T];
        for (int i = 0; i < targets.Length; i++)
        {
            targets[i] = i % Classes;
        }

        float full = model.Evaluate(inputs, targets, B, Loss.CrossEntropy, LossOn.AllSteps);
        Assert.Equal(full, model.Evaluate(inputs, targets, [T, T, T], Loss.CrossEntropy, LossOn.AllSteps));

        // Sequence 1 uses 3 steps: its two padded targets, whatever their class (and weight), change nothing.
        float[] padded = (float[])targets.Clone();
        float shorter = model.Evaluate(inputs, padded, [T, 3, T], Loss.CrossEntropy, LossOn.AllSteps);
        padded[T + 3] = 3f;
        padded[T + 4] = 0f;
        Assert.Equal(shorter, model.Evaluate(inputs, padded, [T, 3, T], Loss.CrossEntropy, LossOn.AllSteps));
        Assert.NotEqual(full, shorter);
    }

    [Fact]
    public void NullOptions_IsPlainCrossEntropy_BitForBit()
    {
        SafeTensorFile data = Fixture.Data("classification/ce_rnn.data.safetensors");
        float[] inputs = data.ReadFloats("inputs");
        float[] targets = data.ReadFloats("all_w.targets");
        var plain = new CeRnn(seed: 1);
        var unit = new CeRnn(seed: 1) { CrossEntropyOptions = new CrossEntropyOptions() };

        float a = plain.Backward(inputs, targets, B, Loss.CrossEntropy, LossOn.AllSteps, warmUp: 1);
        float b = unit.Backward(inputs, targets, B, Loss.CrossEntropy, LossOn.AllSteps, warmUp: 1);

        Assert.Null(plain.CrossEntropyOptions);
        Assert.Equal(a, b, 6);
        Close.Tensor(plain.Gradients, unit.Gradients, 1e-6, "no weights, no smoothing");
    }

    [Fact]
    public void BadOptions_ThrowAndChangeNothing()
    {
        var model = new CeGru(seed: 1);
        var options = new CrossEntropyOptions([1f, 0f, 1f, 1f]);
        model.CrossEntropyOptions = options;

        Assert.Throws<ArgumentException>(() => model.CrossEntropyOptions = new CrossEntropyOptions([1f, 2f]));
        Assert.Same(options, model.CrossEntropyOptions);
        Assert.Throws<ArgumentException>(() => new CrossEntropyOptions([1f, -1f]));
        Assert.Throws<ArgumentException>(() => new CrossEntropyOptions([1f, float.NaN]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyOptions(labelSmoothing: 1.5f));

        // Every target of class 1, which weighs 0: the weighted mean is 0 / 0.
        float[] inputs = new float[B * T * 3];
        float[] before = model.Gradients.ToArray();
        var e = Assert.Throws<ArgumentException>(() => model.Backward(inputs, [1f, 1f, 1f], B, Loss.CrossEntropy));
        Assert.Contains("sum to 0", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Gradients.ToArray());
    }

    [Fact]
    public void Backward_WithOptions_AllocatesNothing()
    {
        SafeTensorFile data = Fixture.Data("classification/ce_gru.data.safetensors");
        float[] inputs = data.ReadFloats("inputs");
        float[] targets = data.ReadFloats("all_ws.targets");
        var model = new CeGru(seed: 1) { CrossEntropyOptions = new CrossEntropyOptions([0.5f, 2f, 1f, 3f], 0.1f) };
        model.Backward(inputs, targets, B, Loss.CrossEntropy, LossOn.AllSteps, 1);
        model.Evaluate(inputs, targets, B, Loss.CrossEntropy, LossOn.AllSteps, 1);

        SteadyAllocation.AssertNone("Backward + Evaluate with CrossEntropyOptions", 2_000, () =>
        {
            model.Backward(inputs, targets, B, Loss.CrossEntropy, LossOn.AllSteps, 1);
            model.Evaluate(inputs, targets, B, Loss.CrossEntropy, LossOn.AllSteps, 1);
        });
    }

    private static (CrossEntropyOptions Options, LossOn On, int WarmUp) Case(string name) => name switch
    {
        "last_ws" => (new CrossEntropyOptions([0.5f, 2f, 1f, 3f], 0.1f), LossOn.LastStep, 0),
        "all_ws" => (new CrossEntropyOptions([0.5f, 2f, 1f, 3f], 0.1f), LossOn.AllSteps, 1),
        "all_w" => (new CrossEntropyOptions([0.5f, 2f, 1f, 3f]), LossOn.AllSteps, 1),
        _ => (new CrossEntropyOptions(labelSmoothing: 0.25f), LossOn.AllSteps, 1),
    };

    private static (float, float[], float) Run<TModel>(TModel model, string cell, CrossEntropyOptions options, float[] inputs, float[] targets, LossOn on, int warmUp)
        where TModel : IRecurrentModel<TModel>
    {
        model.Load(Path.Combine(Fixture.Root, "classification", "ce_" + cell + ".weights.safetensors"));
        float evaluated = cell switch
        {
            "rnn" => Set((CeRnn)(object)model!, options).Evaluate(inputs, targets, B, Loss.CrossEntropy, on, warmUp),
            "gru" => Set((CeGru)(object)model!, options).Evaluate(inputs, targets, B, Loss.CrossEntropy, on, warmUp),
            _ => Set((CeLstm)(object)model!, options).Evaluate(inputs, targets, B, Loss.CrossEntropy, on, warmUp),
        };
        float loss = model.Backward(inputs, targets, B, Loss.CrossEntropy, on, warmUp);
        return (loss, model.Gradients.ToArray(), evaluated);
    }

    private static T Set<T>(T model, CrossEntropyOptions options)
        where T : class
    {
        switch (model)
        {
            case CeRnn m: m.CrossEntropyOptions = options; break;
            case CeGru m: m.CrossEntropyOptions = options; break;
            case CeLstm m: m.CrossEntropyOptions = options; break;
        }

        return model;
    }

    /// <summary>The PyTorch formula, in double, on the logits Forward gives: independent of the engine's loss code.</summary>
    private static double ForwardLoss(CeGru model, CeGru.State[] warmed, float[] inputs, float[] targets, CrossEntropyOptions options, int warmUp)
    {
        var logits = new float[T * Classes];
        double total = 0, divisor = 0;
        for (int b = 0; b < B; b++)
        {
            CeGru.State state = warmed[b];
            model.Forward(ref state, inputs.AsSpan((b * T + warmUp) * 3, (T - warmUp) * 3), logits.AsSpan(0, (T - warmUp) * Classes));
            for (int t = 0; t < T - warmUp; t++)
            {
                (double loss, double weight) = CrossEntropyReference.Term(logits.AsSpan(t * Classes, Classes), (int)targets[b * (T - warmUp) + t], options);
                total += loss;
                divisor += weight;
            }
        }

        return total / divisor;
    }
}

/// <summary>nn.RNN(3, 5) + nn.Linear(5, 4): 4 classes.</summary>
[Recurrent(3, 5, OutputSize = 4, Window = 5)]
public sealed partial class CeRnn : ICrossEntropyModel;

/// <summary>nn.GRU(3, 5) + nn.Linear(5, 4).</summary>
[Recurrent(3, 5, Cell = Cell.Gru, OutputSize = 4, Window = 5)]
public sealed partial class CeGru : ICrossEntropyModel;

/// <summary>nn.LSTM(3, 5) + nn.Linear(5, 4).</summary>
[Recurrent(3, 5, Cell = Cell.Lstm, OutputSize = 4, Window = 5)]
public sealed partial class CeLstm : ICrossEntropyModel;
