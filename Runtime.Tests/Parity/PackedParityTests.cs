using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Xunit;

namespace Fixed.Tests.Parity;

/// <summary>
/// <c>Backward</c> and <c>Evaluate</c> over a padded batch of sequences of different lengths against PyTorch's
/// <c>pack_padded_sequence(..., enforce_sorted=False)</c> on the committed fixtures (scripts/make_packed_fixtures.py: every cell,
/// one-attribute models and layer stacks, both layouts, LastStep and AllSteps, every loss): the loss within 1e-5 and every
/// gradient tensor within 1e-4 of its scale (float32 accumulation in another order, as <see cref="StackParityTests"/>).
/// Then what PyTorch cannot show: padding is never read, the layouts agree bit for bit, Evaluate is Backward's loss, nothing
/// is allocated, and the gradients agree with central differences of a loss computed from <c>Forward</c>.
/// </summary>
public sealed class PackedParityTests
{
    private const double Tolerance = 1e-5;
    private const double GradientTolerance = 1e-4;

    public static TheoryData<string> Names() => new(PackedFixtureModels.Names);

    [Theory]
    [MemberData(nameof(Names))]
    public void Backward_Lengths_MatchesPyTorchLossAndGradients(string name)
    {
        var f = new PackedFixture(name);
        IParameters model = f.LoadedModel();
        float loss = f.Model.Backward(model, f.Inputs, f.Targets, f.Lengths, f.Loss, f.On, f.Layout);
        Close.Elementwise(f.Tensor("loss"), [loss], Tolerance, name + " loss");
        foreach (ParameterInfo info in f.Model.Layout)
        {
            Close.Tensor(f.Tensor("grad." + info.Name), model.Gradients.Slice(info.Offset, info.Length), GradientTolerance, name + " grad." + info.Name);
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Evaluate_Lengths_ReturnsBackwardsLoss_BitForBit_AndLeavesGradientsAlone(string name)
    {
        var f = new PackedFixture(name);
        IParameters model = f.LoadedModel();
        float[] gradients = Enumerable.Range(0, model.Gradients.Length).Select(i => i * 0.001f).ToArray();
        gradients.CopyTo(model.Gradients);
        float evaluated = f.Model.Evaluate(model, f.Inputs, f.Targets, f.Lengths, f.Loss, f.On, f.Layout);
        Assert.Equal(gradients, model.Gradients.ToArray());
        float trained = f.Model.Backward(model, f.Inputs, f.Targets, f.Lengths, f.Loss, f.On, f.Layout);
        Assert.Equal(trained, evaluated);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Evaluate_Lengths_FreshModel_CreatesNoGradientsAndNoTrainingBuffers(string name)
    {
        var f = new PackedFixture(name);
        IParameters model = f.LoadedModel();
        f.Model.Evaluate(model, f.Inputs, f.Targets, f.Lengths, f.Loss, f.On, f.Layout);
        Assert.Empty(Training.EvaluateTests.TrainingBuffers(model).Where(field => field.Value is not null).Select(field => field.Name));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Lengths_PaddingFilledWithValues_SameLossAndGradientsAsNaNPadding(string name)
    {
        // The fixture's padding is NaN, which would poison the loss if read; the same batch with the padding filled with
        // ordinary values must give the same bits, in Backward and in Evaluate.
        var f = new PackedFixture(name);
        var random = new Random(name.Length);
        float[] inputs = f.Inputs.Select(v => float.IsNaN(v) ? (float)(random.NextDouble() * 4 - 2) : v).ToArray();
        float[] targets = f.Targets.Select(v => float.IsNaN(v) ? random.Next(2) : v).ToArray();
        Assert.Contains(f.Inputs, float.IsNaN);

        IParameters nan = f.LoadedModel(), filled = f.LoadedModel();
        float nanLoss = f.Model.Backward(nan, f.Inputs, f.Targets, f.Lengths, f.Loss, f.On, f.Layout);
        float filledLoss = f.Model.Backward(filled, inputs, targets, f.Lengths, f.Loss, f.On, f.Layout);
        Assert.True(float.IsFinite(nanLoss), $"{name}: loss {nanLoss}");
        Assert.Equal(nanLoss, filledLoss);
        Assert.Equal(nan.Gradients.ToArray(), filled.Gradients.ToArray());
        Assert.Equal(nanLoss, f.Model.Evaluate(filled, inputs, targets, f.Lengths, f.Loss, f.On, f.Layout));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Lengths_OtherLayout_SameLossAndGradients_BitForBit(string name)
    {
        var f = new PackedFixture(name);
        int batch = f.Lengths.Length, steps = f.Steps;
        float[] inputs = Transpose(f.Inputs, batch, steps, f.Model.InputSize, f.Layout);
        float[] targets = f.On == LossOn.AllSteps ? Transpose(f.Targets, batch, steps, f.Targets.Length / (batch * steps), f.Layout) : f.Targets;
        SequenceLayout other = f.Layout == SequenceLayout.BatchFirst ? SequenceLayout.TimeFirst : SequenceLayout.BatchFirst;

        IParameters a = f.LoadedModel(), b = f.LoadedModel();
        float lossA = f.Model.Backward(a, f.Inputs, f.Targets, f.Lengths, f.Loss, f.On, f.Layout);
        float lossB = f.Model.Backward(b, inputs, targets, f.Lengths, f.Loss, f.On, other);
        Assert.Equal(lossA, lossB);
        Assert.Equal(a.Gradients.ToArray(), b.Gradients.ToArray());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Lengths_Loss_IsTheValidElementMeanOfEachSequencesOwnEvaluate(string name)
    {
        // The reduction, checked against the single-sequence Evaluate of each sequence alone (its first lengths[b] steps from
        // the zero state): LastStep is the plain mean of the B per-sequence losses (each the mean over OutputSize, or one
        // class); AllSteps weights each by its number of valid steps, over sum(lengths).
        var f = new PackedFixture(name);
        IParameters model = f.LoadedModel();
        int batch = f.Lengths.Length;
        int width = f.Loss == Loss.CrossEntropy ? 1 : f.Model.OutputSize;
        double weighted = 0, weights = 0;
        for (int b = 0; b < batch; b++)
        {
            int n = f.Lengths[b];
            float[] x = Sequence(f.Inputs, b, n, batch, f.Steps, f.Model.InputSize, f.Layout);
            float[] y = f.On == LossOn.LastStep ? f.Targets.AsSpan(b * width, width).ToArray() : Sequence(f.Targets, b, n, batch, f.Steps, width, f.Layout);
            float own = f.Model.EvaluateSingle(model, new float[f.Model.StateLength], x, y, f.Loss, f.On, 0);
            double weight = f.On == LossOn.LastStep ? 1 : n;
            weighted += own * weight;
            weights += weight;
        }

        float loss = f.Model.Evaluate(model, f.Inputs, f.Targets, f.Lengths, f.Loss, f.On, f.Layout);
        Assert.True(Math.Abs(loss - (weighted / weights)) <= 1e-6 * Math.Max(1, Math.Abs(loss)), $"{name}: {loss} vs {weighted / weights}");
    }

    [Fact]
    public void Lengths_AllFull_EqualsTheBatchedBackward()
    {
        // Every sequence at the full length T: the batched Backward's problem, whose groups of four round differently (2e-5).
        foreach (string name in PackedFixtureModels.Names)
        {
            var f = new PackedFixture(name);
            var random = new Random(3);
            int batch = f.Lengths.Length;
            float[] inputs = f.Inputs.Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            float[] targets = f.Targets.Select(v => f.Loss == Loss.CrossEntropy ? random.Next(f.Model.OutputSize) : (float)(random.NextDouble() * 2 - 1)).ToArray();
            int[] full = Enumerable.Repeat(f.Steps, batch).ToArray();
            IParameters a = f.LoadedModel(), b = f.LoadedModel();
            float lengthsLoss = f.Model.Backward(a, inputs, targets, full, f.Loss, f.On, f.Layout);
            float batchedLoss = f.Model.BackwardBatched(b, inputs, targets, batch, f.Loss, f.On, 0, f.Layout);
            Close.Elementwise([batchedLoss], [lengthsLoss], 2e-5, name + " loss");
            Close.Elementwise(b.Gradients, a.Gradients, 2e-5, name + " gradients");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Lengths_BadArguments_ThrowNamingThem_AndChangeNothing(string name)
    {
        var f = new PackedFixture(name);
        IParameters model = f.LoadedModel();
        int[] lengths = f.Lengths;
        int[] zero = (int[])lengths.Clone();
        zero[^1] = 0;
        int[] longer = (int[])lengths.Clone();
        longer[0] = f.Steps + 1;
        AssertRejected(f, model, "lengths", f.Inputs, f.Targets, zero);
        AssertRejected(f, model, "lengths", f.Inputs, f.Targets, longer);
        AssertRejected(f, model, "lengths", f.Inputs, f.Targets, []);
        AssertRejected(f, model, "inputs", f.Inputs[..^1], f.Targets, lengths);
        AssertRejected(f, model, "inputs", new float[lengths.Length * (f.Model.Window + 1) * f.Model.InputSize], f.Targets, lengths);
        AssertRejected(f, model, "targets", f.Inputs, f.Targets[..^1], lengths);
    }

    [Theory]
    [InlineData("gru")]
    [InlineData("lstm_ce_all")]
    [InlineData("stack_gru_gru_mlp")]
    public void Lengths_CrossEntropy_ChecksTheValidClassIndicesOnly(string name)
    {
        // The fixture's padded class indices are NaN and accepted (never read); a valid one out of range is an error.
        var f = new PackedFixture(name);
        Assert.Equal(Loss.CrossEntropy, f.Loss);
        IParameters model = f.LoadedModel();
        float[] bad = (float[])f.Targets.Clone();
        bad[Array.FindLastIndex(bad, v => !float.IsNaN(v))] = f.Model.OutputSize;
        AssertRejected(f, model, "targets", f.Inputs, bad, f.Lengths);
    }

    /// <summary>Backward and Evaluate both throw an ArgumentException naming <paramref name="parameter"/>; the gradients stay as they were.</summary>
    private static void AssertRejected(PackedFixture f, IParameters model, string parameter, float[] inputs, float[] targets, int[] lengths)
    {
        model.Gradients.Fill(0.5f);
        var backward = Assert.ThrowsAny<ArgumentException>(() => f.Model.Backward(model, inputs, targets, lengths, f.Loss, f.On, f.Layout));
        Assert.Equal(parameter, backward.ParamName);
        var evaluate = Assert.ThrowsAny<ArgumentException>(() => f.Model.Evaluate(model, inputs, targets, lengths, f.Loss, f.On, f.Layout));
        Assert.Equal(parameter, evaluate.ParamName);
        Assert.All(model.Gradients.ToArray(), g => Assert.Equal(0.5f, g));
    }

    [Fact]
    public void Lengths_BackwardAndEvaluate_AllocateNothing()
    {
        foreach (string name in PackedFixtureModels.Names)
        {
            var f = new PackedFixture(name);
            IParameters model = f.LoadedModel();
            f.Model.Backward(model, f.Inputs, f.Targets, f.Lengths, f.Loss, f.On, f.Layout);
            f.Model.Evaluate(model, f.Inputs, f.Targets, f.Lengths, f.Loss, f.On, f.Layout);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 200; i++)
            {
                f.Model.Backward(model, f.Inputs, f.Targets, f.Lengths, f.Loss, f.On, f.Layout);
                f.Model.Evaluate(model, f.Inputs, f.Targets, f.Lengths, f.Loss, f.On, f.Layout);
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated == 0, $"{name}: {allocated} bytes over 400 calls");
        }
    }

    /// <summary>
    /// A second oracle: each gradient against a central difference (Richardson-extrapolated, as <c>FiniteDifferenceTests</c>)
    /// of a loss this test computes in double from the model's public <c>Forward</c> over each sequence's valid steps only,
    /// reduced as the lengths overloads document. Smooth models (no ReLU kink): an LSTM on every step, a two-layer GRU on the
    /// last step with cross-entropy, and the Linear + Tanh + LSTM stack.
    /// </summary>
    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("stack_frontend")]
    [InlineData("lstm_ce_all")]
    public void Backward_Lengths_MatchesCentralDifferencesOfForward(string name)
    {
        const double Step = 2e-2, Relative = 1e-3, NoiseProbe = 1.1, NoiseMargin = 4;
        var f = new PackedFixture(name);
        IParameters model = f.LoadedModel();
        f.Model.Backward(model, f.Inputs, f.Targets, f.Lengths, f.Loss, f.On, f.Layout);
        float[] analytic = model.Gradients.ToArray();

        double Quotient(int i, float saved, double h)
        {
            float plus = (float)(saved + h), minus = (float)(saved - h);
            model.Parameters[i] = plus;
            double up = LossFromForward(f, model);
            model.Parameters[i] = minus;
            double down = LossFromForward(f, model);
            model.Parameters[i] = saved;
            return (up - down) / ((double)plus - minus);
        }

        double Extrapolated(int i, float saved, double h) => (4 * Quotient(i, saved, h / 2) - Quotient(i, saved, h)) / 3;

        var failures = new List<string>();
        foreach (ParameterInfo info in f.Model.Layout)
        {
            double scale = 0, noise = 0, worst = 0;
            int worstAt = -1;
            var numeric = new double[info.Length];
            for (int k = 0; k < info.Length; k++)
            {
                float saved = model.Parameters[info.Offset + k];
                numeric[k] = Extrapolated(info.Offset + k, saved, Step);
                noise = Math.Max(noise, Math.Abs(Extrapolated(info.Offset + k, saved, NoiseProbe * Step) - numeric[k]));
                scale = Math.Max(scale, Math.Abs(analytic[info.Offset + k]));
            }

            double tolerance = Relative * scale + NoiseMargin * noise + 1e-9;
            for (int k = 0; k < info.Length; k++)
            {
                double error = Math.Abs(numeric[k] - analytic[info.Offset + k]);
                if (!(error <= worst))
                {
                    worst = error;
                    worstAt = k;
                }
            }

            if (!(worst <= tolerance))
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{info.Name}[{worstAt}]: analytic {analytic[info.Offset + worstAt]:E4}, central difference {numeric[worstAt]:E4}, off by {worst:E2} > {tolerance:E2}"));
            }

            if (!(NoiseMargin * noise <= scale / 200))
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{info.Name}: largest gradient {scale:E2} is lost in the noise floor {NoiseMargin * noise:E2}"));
            }
        }

        Assert.True(failures.Count == 0, name + ":" + Environment.NewLine + string.Join(Environment.NewLine, failures));
    }

    /// <summary>The lengths loss from <c>Forward</c>: each sequence's valid steps from the zero state, PyTorch's losses in double.</summary>
    private static double LossFromForward(PackedFixture f, IParameters model)
    {
        int batch = f.Lengths.Length, output = f.Model.OutputSize;
        int width = f.Loss == Loss.CrossEntropy ? 1 : output;
        double sum = 0;
        int count = 0;
        for (int b = 0; b < batch; b++)
        {
            int n = f.Lengths[b];
            float[] outputs = new float[n * output];
            f.Model.Forward(model, new float[f.Model.StateLength], Sequence(f.Inputs, b, n, batch, f.Steps, f.Model.InputSize, f.Layout), outputs);
            float[] targets = f.On == LossOn.LastStep ? f.Targets.AsSpan(b * width, width).ToArray() : Sequence(f.Targets, b, n, batch, f.Steps, width, f.Layout);
            int first = f.On == LossOn.LastStep ? n - 1 : 0;
            for (int t = first; t < n; t++)
            {
                ReadOnlySpan<float> z = outputs.AsSpan(t * output, output);
                ReadOnlySpan<float> y = targets.AsSpan((t - first) * width, width);
                if (f.Loss == Loss.CrossEntropy)
                {
                    double max = z.ToArray().Max(), total = 0;
                    foreach (float v in z)
                    {
                        total += Math.Exp(v - max);
                    }

                    sum += Math.Log(total) + max - z[(int)y[0]];
                    count++;
                    continue;
                }

                Assert.Equal(Loss.Mse, f.Loss);
                for (int j = 0; j < output; j++)
                {
                    double d = (double)z[j] - y[j];
                    sum += d * d;
                    count++;
                }
            }
        }

        return sum / count;
    }

    /// <summary>Sequence b's first <paramref name="n"/> rows of <paramref name="width"/> from a padded <c>[B, T, width]</c> or <c>[T, B, width]</c>.</summary>
    private static float[] Sequence(float[] padded, int b, int n, int batch, int steps, int width, SequenceLayout layout)
    {
        var rows = new float[n * width];
        for (int t = 0; t < n; t++)
        {
            int at = layout == SequenceLayout.BatchFirst ? (b * steps + t) * width : (t * batch + b) * width;
            padded.AsSpan(at, width).CopyTo(rows.AsSpan(t * width, width));
        }

        return rows;
    }

    /// <summary>The same padded batch in the other layout.</summary>
    private static float[] Transpose(float[] padded, int batch, int steps, int width, SequenceLayout from)
    {
        var other = new float[padded.Length];
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < steps; t++)
            {
                int bt = (b * steps + t) * width, tb = (t * batch + b) * width;
                (int source, int target) = from == SequenceLayout.BatchFirst ? (bt, tb) : (tb, bt);
                padded.AsSpan(source, width).CopyTo(other.AsSpan(target, width));
            }
        }

        return other;
    }
}

/// <summary>One fixture of scripts/make_packed_fixtures.py: Fixtures/packed/&lt;name&gt;.{weights,data}.safetensors.</summary>
public sealed class PackedFixture
{
    private readonly Fixture _fixture;

    public PackedFixture(string name)
    {
        _fixture = Fixture.Open("packed", name);
        Model = PackedFixtureModels.Case(name);
        Inputs = Tensor("input");
        Targets = Tensor("targets");
        Lengths = Tensor("lengths").Select(v => (int)v).ToArray();
    }

    public PackedCase Model { get; }

    public float[] Inputs { get; }

    public float[] Targets { get; }

    public int[] Lengths { get; }

    public int Steps => _fixture.Int("seq_len");

    public Loss Loss => _fixture.Text("loss") switch
    {
        "mse" => Loss.Mse,
        "l1" => Loss.L1,
        "huber" => Loss.Huber,
        "cross_entropy" => Loss.CrossEntropy,
        string other => throw new InvalidOperationException("unknown loss " + other),
    };

    public LossOn On => _fixture.Text("loss_on") == "all" ? LossOn.AllSteps : LossOn.LastStep;

    public SequenceLayout Layout => _fixture.Text("layout") == "time_first" ? SequenceLayout.TimeFirst : SequenceLayout.BatchFirst;

    public float[] Tensor(string name) => _fixture.Tensor(name);

    /// <summary>A model holding the fixture's weights (from PyTorch's state_dict), its gradients zero.</summary>
    public IParameters LoadedModel()
    {
        IParameters model = Model.Create();
        Model.Load(model, _fixture.WeightsPath);
        return model;
    }
}
