using System;
using System.Linq;
using Xunit;

namespace Fixed.Tests.Sequence;

/// <summary>
/// A second oracle for the models of this folder, independent of PyTorch and of Backward: every gradient entry against
/// a central difference of an MSE loss (over every step after the warm-up) that this code computes in double from the
/// outputs of the model's public Forward.
/// </summary>
/// <remarks>
/// Each quotient is taken at the float neighbours p ± h actually stored, D(h) = (L(p⁺) - L(p⁻)) / (p⁺ - p⁻), with h = 2e-2,
/// and extrapolated (Richardson, (4·D(h/2) - D(h)) / 3) so that truncation is below the float32 outputs' rounding
/// (measured: deviations of 0.5e-6 to 2e-6 with these models). Tolerance per tensor: 1e-3 of its largest gradient plus a
/// floor of 4e-6; every tensor's largest gradient must be at least 50 times the floor, so none is checked against noise
/// alone and a tensor's gradient 2% off fails.
/// </remarks>
internal static class FiniteDifferences
{
    private const float Step = 2e-2f;

    /// <summary>The rounding floor: measured deviations on these models are 0.5e-6 to 2e-6 (float32 outputs, h/2 = 1e-2).</summary>
    private const double Floor = 4e-6;

    public static void Check(ISequenceModel model, int inputSize, int outputSize, int stateLength, ParameterInfo[] layout, int steps, int warmUp)
    {
        // Weights of ±0.6 rather than PyTorch's ±1/√H, so that every tensor's gradient stands well above the noise floor.
        var random = new Random(1234);
        ProjSizeTests.Values(random, model.Parameters.Length, 0.6f).CopyTo(model.Parameters);
        float[] inputs = ProjSizeTests.Values(random, steps * inputSize, 1f);
        float[] start = ProjSizeTests.Values(random, stateLength, 0.5f);
        int lossSteps = steps - warmUp;
        float[] targets = ProjSizeTests.Values(random, lossSteps * outputSize, 1f);

        model.ZeroGrad();
        model.Backward((float[])start.Clone(), inputs, targets, Loss.Mse, LossOn.AllSteps, warmUp);
        float[] analytic = model.Gradients.ToArray();

        // The warm-up only advances the state (a constant for the gradient): run it once, through Forward, unperturbed.
        float[] warmed = (float[])start.Clone();
        if (warmUp > 0)
        {
            model.Forward(warmed, inputs.AsSpan(0, warmUp * inputSize), new float[warmUp * outputSize]);
        }

        float[] tail = inputs[(warmUp * inputSize)..];
        var outputs = new float[lossSteps * outputSize];
        double Evaluate()
        {
            float[] state = (float[])warmed.Clone();
            model.Forward(state, tail, outputs);
            return MeanSquaredError(outputs, targets);
        }

        Compare(model, layout, analytic, Evaluate);
    }

    /// <summary>The mean squared error of <paramref name="outputs"/> against <paramref name="targets"/>, in double.</summary>
    public static double MeanSquaredError(float[] outputs, float[] targets)
    {
        double sum = 0;
        for (int i = 0; i < outputs.Length; i++)
        {
            double d = (double)outputs[i] - targets[i];
            sum += d * d;
        }

        return sum / outputs.Length;
    }

    /// <summary>
    /// Every entry of <paramref name="analytic"/> against the central difference of <paramref name="loss"/> in that
    /// parameter (Richardson-extrapolated, as above), tensor by tensor: a tensor's worst deviation must be within
    /// <paramref name="relative"/> of its largest gradient plus <paramref name="floor"/>, and its largest gradient at least
    /// 50 floors, so that no tensor is checked against noise alone. Each parameter is restored after its quotients.
    /// </summary>
    public static void Compare(IParameters model, ParameterInfo[] layout, float[] analytic, Func<double> loss, string label = "",
        float step = Step, double relative = 1e-3, double floor = Floor)
    {
        double Quotient(int index, float h)
        {
            float original = model.Parameters[index];
            float plus = original + h, minus = original - h;
            model.Parameters[index] = plus;
            double up = loss();
            model.Parameters[index] = minus;
            double down = loss();
            model.Parameters[index] = original;
            return (up - down) / ((double)plus - minus);
        }

        foreach (ParameterInfo tensor in layout)
        {
            double largest = 0, worst = 0;
            int worstAt = -1;
            double worstNumeric = 0;
            for (int i = tensor.Offset; i < tensor.Offset + tensor.Length; i++)
            {
                double numeric = ((4 * Quotient(i, step / 2)) - Quotient(i, step)) / 3;
                largest = Math.Max(largest, Math.Abs(analytic[i]));
                double deviation = Math.Abs(numeric - analytic[i]);
                if (!(deviation <= worst))
                {
                    (worst, worstAt, worstNumeric) = (deviation, i, numeric);
                }
            }

            Assert.True(largest >= 50 * floor, $"{label}{tensor.Name}: largest gradient {largest:G3} is too small for this check to mean anything");
            double tolerance = (relative * largest) + floor;
            Assert.True(worst <= tolerance,
                $"{label}{tensor.Name}[{worstAt - tensor.Offset}]: Backward {analytic[worstAt]:G7}, central difference {worstNumeric:G7} (tolerance {tolerance:G3})");
        }
    }
}
