using System;
using System.Globalization;
using Xunit;

namespace Fixed.Tests.Training;

/// <summary>
/// A second oracle, independent of PyTorch: every gradient entry against the central difference
/// (L(p + ε) - L(p - ε)) / 2ε of the loss computed by the forward pass alone.
/// ε = 1e-2 balances the two float32 errors: truncation O(ε²·L''') ≈ 1e-5, and the rounding of a loss near 1
/// (a few ulps, ~1e-7) divided by 2ε ≈ 1e-5; tolerance 1e-3 + 1e-2·|g| leaves a margin of ~50× over both,
/// while a wrong formula (a missing factor, a swapped gate) is off by far more.
/// </summary>
public sealed class FiniteDifferenceTests
{
    private const float Epsilon = 1e-2f;

    /// <summary>
    /// ReLU has kinks: a perturbation that moves a pre-activation across zero makes the difference quotient
    /// meaningless, and ±1e-2 does so here. ±1e-3 does not, at ~10× the rounding error (still 20× under tolerance).
    /// </summary>
    private const float ReluEpsilon = 1e-3f;

    [Theory]
    [InlineData(Loss.Mse, LossOn.AllSteps, 0)]
    [InlineData(Loss.Huber, LossOn.LastStep, 2)]
    [InlineData(Loss.CrossEntropy, LossOn.AllSteps, 1)]
    public void SmallRnn_Gradients_MatchCentralDifferences(Loss loss, LossOn on, int warmUp) => Check<SmallRnn>(loss, on, warmUp);

    [Theory]
    [InlineData(Loss.Mse, LossOn.AllSteps, 0)]
    [InlineData(Loss.L1, LossOn.LastStep, 1)]
    public void SmallReluRnn_Gradients_MatchCentralDifferences(Loss loss, LossOn on, int warmUp) =>
        Check<SmallReluRnn>(loss, on, warmUp, epsilon: ReluEpsilon);

    [Theory]
    [InlineData(Loss.Mse, LossOn.AllSteps, 0)]
    [InlineData(Loss.CrossEntropy, LossOn.LastStep, 3)]
    public void SmallGru_Gradients_MatchCentralDifferences(Loss loss, LossOn on, int warmUp) => Check<SmallGru>(loss, on, warmUp);

    [Theory]
    [InlineData(Loss.Mse, LossOn.AllSteps, 0)]
    [InlineData(Loss.Huber, LossOn.LastStep, 2)]
    public void SmallLstm_Gradients_MatchCentralDifferences(Loss loss, LossOn on, int warmUp) => Check<SmallLstm>(loss, on, warmUp);

    [Fact]
    public void SmallGruNoHead_Gradients_MatchCentralDifferences() => Check<SmallGruNoHead>(Loss.Mse, LossOn.AllSteps, 0);

    private static void Check<T>(Loss loss, LossOn on, int warmUp, float epsilon = Epsilon)
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

        // Warm-up steps carry no gradient by definition (the warmed-up state is a constant, as under
        // torch.no_grad()), so the oracle differentiates the loss from the state the warm-up reached.
        float[] warmed = (float[])start.Clone();
        if (warmUp > 0)
        {
            model.WarmUp(warmed, inputs.AsSpan(0, warmUp * T.InputSize));
        }

        float[] tail = inputs[(warmUp * T.InputSize)..];
        float Evaluate() => model.Backward((float[])warmed.Clone(), tail, targets, loss, on, warmUp: 0);

        // Each write goes through a fresh model.Parameters, as documented: a span kept across an inference call
        // would write behind the kernels' packed copy (Debug builds throw; ParameterStoreTests covers it).
        for (int i = 0; i < T.ParameterCount; i++)
        {
            float saved = model.Parameters[i];
            model.Parameters[i] = saved + epsilon;
            double plus = Evaluate();
            model.Parameters[i] = saved - epsilon;
            double minus = Evaluate();
            model.Parameters[i] = saved;
            double numeric = (plus - minus) / (2 * epsilon);
            double tolerance = 1e-3 + 1e-2 * Math.Abs(analytic[i]);
            Assert.True(Math.Abs(numeric - analytic[i]) <= tolerance,
                string.Create(CultureInfo.InvariantCulture, $"{typeof(T).Name} parameter {i} ({Name<T>(i)}): analytic {analytic[i]}, central difference {numeric}"));
        }
    }

    private static string Name<T>(int index)
        where T : IRecurrentModel<T>
    {
        foreach (ParameterInfo info in T.Layout)
        {
            if (index >= info.Offset && index < info.Offset + info.Length)
            {
                return info.Name + "[" + (index - info.Offset).ToString(CultureInfo.InvariantCulture) + "]";
            }
        }

        return "?";
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
