using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Xunit;

namespace Fixed.Tests.Training;

/// <summary>
/// A second oracle, independent of PyTorch and of <c>Backward</c>'s own loss: every gradient entry against a central
/// difference of a loss this test computes itself, in double, from the outputs of the model's public <c>Forward</c>
/// (PyTorch's definitions, mean reduction; the warm-up and <see cref="LossOn"/> as <c>Backward</c> documents them).
/// <para>
/// The difference quotient is taken around each float parameter p at the float neighbours p ± h actually stored,
/// D(h) = (L(p⁺) - L(p⁻)) / (p⁺ - p⁻), and extrapolated (Richardson): (4·D(h/2) - D(h)) / 3, whose truncation error is
/// O(h⁴·L⁽⁵⁾) instead of O(h²·L‴): ~1e-7 at h = 2e-2, under the rounding error, which is what is left since the loss
/// comes from float32 outputs. A larger h divides that rounding error; h = 2e-2 keeps the truncation below it.
/// </para>
/// <para>
/// Tolerance, per tensor: |numeric - analytic| ≤ <see cref="Relative"/> · (the tensor's largest |gradient|) + a noise
/// floor. The floor is the float32 forward's rounding, measured rather than guessed: each quotient is also taken with
/// the step 1.1·h, whose extrapolated truncation error is as small, so what differs between the two is the rounding of
/// the float32 outputs (which changes with every perturbation and does not cancel between L(p⁺) and L(p⁻)). The floor
/// is <see cref="NoiseMargin"/> times the largest such difference over the tensor's parameters; the deviations measured
/// here stay under a fifth of it. A worst-case bound from first principles (a few ulps per output, ΔL ~ 2⁻²²·max(1, |L|),
/// times the extrapolation's 3/h) would be ~4e-5 at h = 2e-2, ten times what is measured, and would leave the small
/// gradients (tensors whose largest gradient is ~1e-3 here) unchecked. The floor does not depend on the analytic
/// gradient, so a wrong gradient cannot widen it. <see cref="Relative"/> (1e-3) is what is left above the floor for a
/// tensor's large gradients.
/// </para>
/// Every tensor must have a largest gradient at least 200 times its floor (<see cref="FloorShare"/>), so that none is
/// checked only against noise and a tensor's gradient scaled by 1.01 is over the tolerance. This is what rules out the
/// ReLU cases whose units are all dead at the steps the loss is on (every gradient but the head's bias zero).
/// </summary>
public sealed class FiniteDifferenceTests
{
    private const double Step = 2e-2;

    /// <summary>
    /// ReLU has kinks: a perturbation that moves a pre-activation across zero makes the difference quotient meaningless,
    /// and ±1e-2 does so here. ±1e-3 does not; the measured noise floor grows with 1/h, and still passes the 1/200 check.
    /// </summary>
    private const double ReluStep = 1e-3;

    private const double Relative = 1e-3;

    /// <summary>The second step, as a multiple of the first, whose extrapolated quotient measures the rounding noise.</summary>
    private const double NoiseProbe = 1.1;

    /// <summary>The floor over the largest noise seen between the two step sizes.</summary>
    private const double NoiseMargin = 4;

    /// <summary>
    /// The floor may take at most this fraction of a tensor's largest gradient, so that with <see cref="Relative"/>
    /// a 1% error in that gradient is still over the tolerance.
    /// </summary>
    private const double FloorShare = 1.0 / 200;

    [Theory]
    [InlineData(Loss.Mse, LossOn.AllSteps, 0)]
    [InlineData(Loss.Huber, LossOn.LastStep, 2)]
    [InlineData(Loss.CrossEntropy, LossOn.AllSteps, 1)]
    [InlineData(Loss.L1, LossOn.AllSteps, 3)]
    public void SmallRnn_Gradients_MatchCentralDifferences(Loss loss, LossOn on, int warmUp) => Check<SmallRnn>(loss, on, warmUp);

    [Theory]
    [InlineData(Loss.Mse, LossOn.AllSteps, 0)]
    [InlineData(Loss.L1, LossOn.AllSteps, 0)]
    [InlineData(Loss.CrossEntropy, LossOn.AllSteps, 1)]
    public void SmallReluRnn_Gradients_MatchCentralDifferences(Loss loss, LossOn on, int warmUp) =>
        Check<SmallReluRnn>(loss, on, warmUp, step: ReluStep);

    [Theory]
    [InlineData(Loss.Mse, LossOn.AllSteps, 0)]
    [InlineData(Loss.CrossEntropy, LossOn.LastStep, 3)]
    [InlineData(Loss.Huber, LossOn.AllSteps, 2)]
    public void SmallGru_Gradients_MatchCentralDifferences(Loss loss, LossOn on, int warmUp) => Check<SmallGru>(loss, on, warmUp);

    [Theory]
    [InlineData(Loss.Mse, LossOn.AllSteps, 0)]
    [InlineData(Loss.Huber, LossOn.LastStep, 2)]
    [InlineData(Loss.CrossEntropy, LossOn.AllSteps, 1)]
    public void SmallLstm_Gradients_MatchCentralDifferences(Loss loss, LossOn on, int warmUp) => Check<SmallLstm>(loss, on, warmUp);

    [Theory]
    [InlineData(Loss.Mse, LossOn.AllSteps, 0)]
    [InlineData(Loss.L1, LossOn.LastStep, 2)]
    public void SmallGruNoHead_Gradients_MatchCentralDifferences(Loss loss, LossOn on, int warmUp) => Check<SmallGruNoHead>(loss, on, warmUp);

    [Fact]
    public void Loss_OwnFormulas_MatchPyTorchDefinitionsOnHandComputedValues()
    {
        // Two steps of two outputs: d = (0.5, -2), (0, 1.5).
        float[] outputs = [1.5f, -1f, 2f, 3.5f];
        float[] targets = [1f, 1f, 2f, 2f];
        Assert.Equal((0.25 + 4 + 0 + 2.25) / 4, LossOf(Loss.Mse, LossOn.AllSteps, outputs, targets, 2), 12);
        Assert.Equal((0.5 + 2 + 0 + 1.5) / 4, LossOf(Loss.L1, LossOn.AllSteps, outputs, targets, 2), 12);
        Assert.Equal((0.125 + 1.5 + 0 + 1) / 4, LossOf(Loss.Huber, LossOn.AllSteps, outputs, targets, 2), 12);
        Assert.Equal((0 + 2.25) / 2, LossOf(Loss.Mse, LossOn.LastStep, outputs, [2f, 2f], 2), 12);

        // Cross-entropy, classes 1 then 0: log(e^1.5 + e^-1) - (-1) and log(e^2 + e^3.5) - 2, averaged.
        double first = Math.Log(Math.Exp(1.5) + Math.Exp(-1)) + 1;
        double second = Math.Log(Math.Exp(2) + Math.Exp(3.5)) - 2;
        Assert.Equal((first + second) / 2, LossOf(Loss.CrossEntropy, LossOn.AllSteps, outputs, [1f, 0f], 2), 12);
        Assert.Equal(second, LossOf(Loss.CrossEntropy, LossOn.LastStep, outputs, [0f], 2), 12);
    }

    private static void Check<T>(Loss loss, LossOn on, int warmUp, double step = Step)
        where T : IRecurrentModel<T>
    {
        const int steps = 8;
        var random = new Random(1234);
        T model = T.Create(seed: 7);
        float[] inputs = Values(random, steps * T.InputSize, 1f);
        float[] start = Values(random, T.StateLength, 0.5f);
        int lossSteps = on == LossOn.AllSteps ? steps - warmUp : 1;
        float[] targets = loss == Loss.CrossEntropy
            ? Classes(random, lossSteps, T.OutputSize)
            : Values(random, lossSteps * T.OutputSize, 1f);

        model.ZeroGrad();
        model.Backward((float[])start.Clone(), inputs, targets, loss, on, warmUp);
        float[] analytic = model.Gradients.ToArray();

        // Backward's contract: the warm-up steps only advance the state, which is then a constant (as under
        // torch.no_grad()); so the loss is differentiated from the state the warm-up reached with the unperturbed
        // parameters. The warm-up runs through Forward (outputs dropped), whose parity with PyTorch is tested elsewhere.
        float[] warmed = (float[])start.Clone();
        if (warmUp > 0)
        {
            model.Forward(warmed, inputs.AsSpan(0, warmUp * T.InputSize), new float[warmUp * T.OutputSize]);
        }

        float[] tail = inputs[(warmUp * T.InputSize)..];
        var outputs = new float[(steps - warmUp) * T.OutputSize];
        double Evaluate()
        {
            float[] state = (float[])warmed.Clone();
            model.Forward(state, tail, outputs);
            return LossOf(loss, on, outputs, targets, T.OutputSize);
        }

        double center = Evaluate();

        // Each write goes through a fresh model.Parameters, as documented: a span kept across an inference call
        // would write behind the kernels' packed copy (Debug builds throw; ParameterStoreTests covers it).
        double Quotient(int i, float saved, double h)
        {
            float plus = (float)(saved + h), minus = (float)(saved - h);
            model.Parameters[i] = plus;
            double up = Evaluate();
            model.Parameters[i] = minus;
            double down = Evaluate();
            model.Parameters[i] = saved;
            return (up - down) / ((double)plus - minus);
        }

        double Extrapolated(int i, float saved, double h) => (4 * Quotient(i, saved, h / 2) - Quotient(i, saved, h)) / 3;

        var numeric = new double[T.ParameterCount];
        var noise = new double[T.ParameterCount];
        for (int i = 0; i < T.ParameterCount; i++)
        {
            float saved = model.Parameters[i];
            numeric[i] = Extrapolated(i, saved, step);
            noise[i] = Math.Abs(Extrapolated(i, saved, NoiseProbe * step) - numeric[i]);
        }

        var failures = new List<string>();
        foreach (ParameterInfo info in T.Layout)
        {
            double scale = 0, largestNumeric = 0, worst = 0, largestNoise = 0;
            int worstAt = -1;
            for (int k = info.Offset; k < info.Offset + info.Length; k++)
            {
                scale = Math.Max(scale, Math.Abs(analytic[k]));
                largestNumeric = Math.Max(largestNumeric, Math.Abs(numeric[k]));
                largestNoise = Math.Max(largestNoise, noise[k]);
            }

            double floor = NoiseMargin * largestNoise + 1e-9;

            double tolerance = Relative * scale + floor;
            for (int k = info.Offset; k < info.Offset + info.Length; k++)
            {
                double error = Math.Abs(numeric[k] - analytic[k]);
                if (!(error <= worst))
                {
                    worst = error;
                    worstAt = k;
                }
            }

            if (!(worst <= tolerance) || double.IsNaN(worst))
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{info.Name}[{worstAt - info.Offset}]: analytic {analytic[worstAt]:E4}, central difference {numeric[worstAt]:E4}, off by {worst:E2} > {tolerance:E2} ({Relative:E0} of the tensor's largest |g| {scale:E2} + floor {floor:E2})"));
            }

            // A tensor whose gradients are lost in the noise would be checked against nothing: the floor must leave a 1%
            // error in the tensor's largest gradient detectable.
            if (!(floor <= FloorShare * largestNumeric))
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{info.Name}: largest central difference {largestNumeric:E2} is under {1 / FloorShare:F0}x the noise floor {floor:E2}; choose inputs that exercise it."));
            }
        }

        Assert.True(failures.Count == 0, $"{typeof(T).Name} {loss} {on} warm-up {warmUp} (loss {center:G6}):{Environment.NewLine}{string.Join(Environment.NewLine, failures)}");
    }

    /// <summary>
    /// PyTorch's losses with reduction='mean' over <paramref name="outputs"/> (<c>[T, O]</c>): MSELoss, L1Loss,
    /// HuberLoss(delta=1) over every element of the steps the loss is on; CrossEntropyLoss over those steps, a class
    /// index per step. <see cref="LossOn.LastStep"/> takes the last row only, against one row of targets.
    /// </summary>
    private static double LossOf(Loss loss, LossOn on, float[] outputs, float[] targets, int outputSize)
    {
        int rows = outputs.Length / outputSize;
        int first = on == LossOn.AllSteps ? 0 : rows - 1;
        double sum = 0;
        int count = 0;
        for (int row = first; row < rows; row++)
        {
            int t = row - first;
            ReadOnlySpan<float> output = outputs.AsSpan(row * outputSize, outputSize);
            if (loss == Loss.CrossEntropy)
            {
                double max = output.ToArray().Max();
                double total = 0;
                foreach (float z in output)
                {
                    total += Math.Exp(z - max);
                }

                sum += Math.Log(total) + max - output[(int)targets[t]];
                count++;
                continue;
            }

            for (int j = 0; j < outputSize; j++)
            {
                double d = (double)output[j] - targets[t * outputSize + j];
                sum += loss switch
                {
                    Loss.Mse => d * d,
                    Loss.L1 => Math.Abs(d),
                    Loss.Huber => Math.Abs(d) < 1 ? 0.5 * d * d : Math.Abs(d) - 0.5,
                    _ => throw new ArgumentOutOfRangeException(nameof(loss)),
                };
                count++;
            }
        }

        return sum / count;
    }

    private static float[] Values(Random random, int count, float scale)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        }

        return values;
    }

    private static float[] Classes(Random random, int count, int classes)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = random.Next(classes);
        }

        return values;
    }
}
