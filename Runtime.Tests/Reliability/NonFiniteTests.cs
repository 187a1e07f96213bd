using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Fixed.Tests.Parity;
using Xunit;

namespace Fixed.Tests.Reliability;

/// <summary>
/// Non-finite numbers behave as PyTorch's do: NaN and infinite inputs flow through Step and Forward without an
/// exception, giving NaN (or saturated, or infinite) outputs exactly where nn.RNN/GRU/LSTM do;
/// ClipGradNorm(errorIfNonfinite: true) throws and leaves the gradients as they were; and every optimizer lets a
/// NaN or infinite gradient into the parameters (and its state buffers) as torch.optim does, coordinate by
/// coordinate. The PyTorch reference is Runtime.Tests/Fixtures/nonfinite.json, written by
/// scripts/reliability/make_nonfinite_fixture.py (from nonfinite_inputs_torch.py and nonfinite_torch.py, torch 1.13);
/// scripts/verify_fixtures.py recomputes it in CI and fails if the committed file differs.
/// </summary>
public sealed class NonFiniteTests
{
    /// <summary>The four fixture models and the four edits of their inputs the reference covers.</summary>
    private static readonly string[] Models = ["rnn_i2_h5_l1_nobias_o0_t10", "rnn_i3_h3_l2_relu_o2_t7_h0", "gru_i4_h33_l2_o3_t8", "lstm_i3_h7_l2_o2_t16_h0"];
    private static readonly string[] Variants = ["nan", "+inf", "-inf all", "1e30"];

    private static readonly Lazy<JsonElement> Torch = new(() =>
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixture.Root, "nonfinite.json")));
        return document.RootElement.Clone();
    });

    /// <summary>A float from the reference: a JSON number, or "NaN" / "Infinity" / "-Infinity".</summary>
    private static float Float(JsonElement value) => value.ValueKind == JsonValueKind.String
        ? float.Parse(value.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture)
        : (float)value.GetDouble();

    private static float[] Floats(JsonElement array) => [.. array.EnumerateArray().Select(Float)];

    /// <summary>Inputs [5, I] and PyTorch's outputs [5, O] for the four fixture models, zero initial state.</summary>
    private static (float[] Inputs, float[] Outputs) TorchOutputs(string name)
    {
        JsonElement entry = Torch.Value.GetProperty("inputs").GetProperty(name);
        return (Floats(entry.GetProperty("input")), Floats(entry.GetProperty("output")));
    }

    [Fact]
    public void TorchReference_HoldsEveryModelAndVariant_WithNonFiniteValues()
    {
        string[] expected = [.. Models.SelectMany(m => Variants.Select(v => m + " " + v))];
        Assert.Equal(expected, CaseNames());
        float[] all = [.. expected.SelectMany(name => TorchOutputs(name).Outputs)];
        Assert.Contains(all, float.IsNaN);
        Assert.Contains(all, float.IsFinite);
        Assert.Equal(OptimizerKinds, Torch.Value.GetProperty("optimizers").EnumerateObject().Select(p => p.Name));
    }

    private static string[] CaseNames() => [.. Torch.Value.GetProperty("inputs").EnumerateObject().Select(p => p.Name)];

    public static TheoryData<string> Cases() => [.. CaseNames()];

    [Theory]
    [MemberData(nameof(Cases))]
    public void NonFiniteInputs_PropagateThroughForwardAndStepAsPyTorchDoes(string name)
    {
        string fixture = name[..name.IndexOf(' ', StringComparison.Ordinal)];
        (float[] inputs, float[] expected) = TorchOutputs(name);
        IFixtureCase model = FixtureModels.Forward(fixture);
        string weights = Path.Combine(Fixture.Root, "forward", fixture + ".weights.safetensors");

        float[] forward = model.Forward(weights, new float[model.StateLength], inputs);
        float[] stepped = model.Steps(weights, new float[model.StateLength], inputs);

        AssertLikeTorch(expected, forward, name + " Forward");
        AssertLikeTorch(expected, stepped, name + " Step");
    }

    [Fact]
    public void NaNInput_BackwardGivesNaNLossAndGradients_ClipGradNormWithErrorThrowsAndChangesNothing()
    {
        var model = new SoakGru(seed: 1);
        float[] inputs = [0.1f, 0.2f, float.NaN, 0.3f, 0.4f, 0.5f];
        float[] targets = new float[3 * SoakGru.OutputSize];
        var state = default(SoakGru.State);

        float loss = model.Backward(ref state, inputs, targets);

        Assert.True(float.IsNaN(loss));
        Assert.Contains(model.Gradients.ToArray(), float.IsNaN);
        float[] before = model.Gradients.ToArray();
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => model.ClipGradNorm(1f, errorIfNonfinite: true));
        Assert.Contains("non-finite", error.Message, StringComparison.Ordinal);
        AssertSameBits(before, model.Gradients.ToArray());
        Assert.Throws<InvalidOperationException>(() => model.ClipGradNorm(1f, float.PositiveInfinity, errorIfNonfinite: true));
        AssertSameBits(before, model.Gradients.ToArray());

        // Without the flag, as clip_grad_norm_: the NaN total is returned and multiplied in.
        Assert.True(float.IsNaN(model.ClipGradNorm(1f)));
        Assert.All(model.Gradients.ToArray(), g => Assert.True(float.IsNaN(g)));
    }

    [Fact]
    public void InfiniteGradient_ClipGradNorm_ThrowsWithFlag_ElseZeroesFiniteAndNaNsInfinite()
    {
        var model = new SoakGru(seed: 1);
        model.ZeroGrad();
        model.Gradients[0] = 1f;
        model.Gradients[1] = float.PositiveInfinity;
        model.Gradients[2] = 2f;
        float[] before = model.Gradients.ToArray();

        Assert.Throws<InvalidOperationException>(() => model.ClipGradNorm(1f, errorIfNonfinite: true));
        AssertSameBits(before, model.Gradients.ToArray());

        // torch: total inf, coefficient 1 / (inf + 1e-6) = 0, so grad becomes [0, nan, 0] (0 * inf = nan).
        JsonElement torch = Torch.Value.GetProperty("clip_inf_without_error");
        AssertLikeTorch([Float(torch.GetProperty("total"))], [model.ClipGradNorm(1f)], "clip_grad_norm_ total");
        AssertLikeTorch(Floats(torch.GetProperty("grad_after")), model.Gradients[..3].ToArray(), "clip_grad_norm_ gradients");
    }

    /// <summary>
    /// Where torch 1.13 and Fixed differ on purpose: an exp_avg that a ±inf gradient made ±inf, after a later finite
    /// gradient. torch 1.13 computes exp_avg.mul_(β1).add_(g, 1 - β1) and keeps ±inf; torch 2.x computes
    /// exp_avg.lerp_(g, 1 - β1) = m + (1 - β1)(g - m) = inf - inf = NaN, and so does Fixed (AdamCore). The parameter is
    /// NaN either way (and a NaN gradient gives NaN in both). Returns what Fixed must hold where the reference
    /// (torch 1.13) says <paramref name="torch"/>: NaN wherever torch carried an infinite exp_avg over from the step before.
    /// </summary>
    private static float[] WithLerpDeviation(string buffer, float[] torch, float[]? torchBefore)
    {
        if (buffer != "exp_avg" || torchBefore is null)
        {
            return torch;
        }

        float[] expected = (float[])torch.Clone();
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsInfinity(torchBefore[i]) && float.IsInfinity(torch[i]))
            {
                expected[i] = float.NaN;
            }
        }

        return expected;
    }

    /// <summary>torch.optim after one step with g = [nan, inf, -inf, 1] and one with g = 0.1, from p = [0.5, -1, 2, 0.25].</summary>
    private static readonly string[] OptimizerKinds = ["Sgd", "SgdMomentum", "Adam", "AdamWeightDecay", "AdamW"];

    public static TheoryData<string> Optimizers() => [.. OptimizerKinds];

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void NonFiniteGradient_OptimizerStep_PropagatesIntoParametersAndStateAsTorchOptim(string kind)
    {
        const float nan = float.NaN, inf = float.PositiveInfinity;
        var model = new SoakGru(seed: 1);
        Optimizer optimizer = kind switch
        {
            "Sgd" => new Sgd(model, lr: 0.1f),
            "SgdMomentum" => new Sgd(model, lr: 0.1f, momentum: 0.9f),
            "Adam" => new Adam(model, lr: 0.01f),
            "AdamWeightDecay" => new Adam(model, lr: 0.01f, weightDecay: 0.1f),
            _ => new AdamW(model, lr: 0.01f),
        };
        JsonElement[] torch = [.. Torch.Value.GetProperty("optimizers").GetProperty(kind).GetProperty("steps").EnumerateArray()];
        Assert.Equal(2, torch.Length);
        float[] p0 = [0.5f, -1f, 2f, 0.25f];
        p0.CopyTo(model.Parameters);
        float[] untouched = model.Parameters[4..].ToArray();
        float[][] gradients = [[nan, inf, -inf, 1f], [0.1f, 0.1f, 0.1f, 0.1f]];
        for (int step = 0; step < 2; step++)
        {
            model.ZeroGrad();
            gradients[step].CopyTo(model.Gradients);

            optimizer.Step();

            AssertLikeTorch(Floats(torch[step].GetProperty("param")), model.Parameters[..4].ToArray(), $"{kind} step {step + 1} parameters");
            // Fixed's state buffers are torch's, by name and in order (the reference lists param first).
            IReadOnlyList<(string Name, AlignedBuffer Values)> buffers = optimizer.Buffers;
            Assert.Equal(torch[step].EnumerateObject().Skip(1).Select(p => p.Name), buffers.Select(b => b.Name));
            foreach ((string name, AlignedBuffer buffer) in buffers)
            {
                float[] values = buffer.Span.ToArray();
                float[]? before = step > 0 ? Floats(torch[step - 1].GetProperty(name)) : null;
                float[] expected = WithLerpDeviation(name, Floats(torch[step].GetProperty(name)), before);
                AssertLikeTorch(expected, values[..4], $"{kind} step {step + 1} {name}");
                Assert.DoesNotContain(values[4..], v => !float.IsFinite(v));
            }

            // Element-wise: the other coordinates (zero gradient) stay finite, and without decay, unchanged.
            Assert.DoesNotContain(model.Parameters[4..].ToArray(), v => !float.IsFinite(v));
            if (kind is "Sgd" or "SgdMomentum")
            {
                Assert.Equal(untouched, model.Parameters[4..].ToArray());
            }
        }
    }

    private static void AssertLikeTorch(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            bool same = float.IsNaN(e) ? float.IsNaN(a)
                : float.IsInfinity(e) ? e == a
                : float.IsFinite(a) && MathF.Abs(a - e) <= 1e-4f + 1e-4f * MathF.Abs(e);
            Assert.True(same, $"{what}[{i}]: PyTorch {e}, Fixed {a}");
        }
    }

    private static void AssertSameBits(float[] expected, float[] actual) =>
        Assert.Equal(Array.ConvertAll(expected, BitConverter.SingleToInt32Bits), Array.ConvertAll(actual, BitConverter.SingleToInt32Bits));
}
