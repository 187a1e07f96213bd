using System;

namespace Fixed;

/// <summary><c>torch.nn.utils.clip_grad_norm_</c> and <c>clip_grad_value_</c> over one flat gradient vector.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales <paramref name="gradients"/> by <c>min(1, maxNorm / (total + 1e-6))</c> where <c>total</c> is their
    /// <paramref name="normType"/>-norm (infinity: the largest magnitude), and returns <c>total</c>.
    /// With <paramref name="errorIfNonfinite"/>, a NaN or infinite total throws and leaves the gradients untouched.
    /// </summary>
    public static float ClipNorm(Span<float> gradients, float maxNorm, float normType = 2f, bool errorIfNonfinite = false)
    {
        if (float.IsNaN(normType) || normType < 1f)
        {
            throw new ArgumentOutOfRangeException(nameof(normType), normType, "normType must be a p-norm with p >= 1, or float.PositiveInfinity.");
        }

        if (float.IsNaN(maxNorm) || maxNorm < 0f)
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "maxNorm must be a non-negative number.");
        }

        float total = Norm(gradients, normType);
        if (errorIfNonfinite && !float.IsFinite(total))
        {
            throw new InvalidOperationException(
                $"The total norm of order {normType} of the gradients is non-finite ({total}), so it cannot be clipped. The gradients were left unchanged.");
        }

        // As PyTorch: the coefficient is clamped to at most 1 and always applied (a NaN total makes NaN gradients).
        float coefficient = MathF.Min(maxNorm / (total + 1e-6f), 1f);
        if (coefficient != 1f)
        {
            for (int i = 0; i < gradients.Length; i++)
            {
                gradients[i] *= coefficient;
            }
        }

        return total;
    }

    /// <summary>Clamps every gradient to <c>[-clipValue, clipValue]</c>.</summary>
    public static void ClipValue(Span<float> gradients, float clipValue)
    {
        if (float.IsNaN(clipValue) || clipValue < 0f)
        {
            throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, "clipValue must be a non-negative number.");
        }

        for (int i = 0; i < gradients.Length; i++)
        {
            float g = gradients[i];
            gradients[i] = g > clipValue ? clipValue : g < -clipValue ? -clipValue : g;
        }
    }

    /// <summary>The p-norm of <paramref name="values"/>, accumulated in double.</summary>
    public static float Norm(ReadOnlySpan<float> values, float normType)
    {
        if (float.IsPositiveInfinity(normType))
        {
            float max = 0f;
            for (int i = 0; i < values.Length; i++)
            {
                float a = MathF.Abs(values[i]);
                if (a > max || float.IsNaN(a))
                {
                    max = a;
                    if (float.IsNaN(a))
                    {
                        break;
                    }
                }
            }

            return max;
        }

        double sum = 0;
        if (normType == 2f)
        {
            for (int i = 0; i < values.Length; i++)
            {
                sum += (double)values[i] * values[i];
            }

            return (float)Math.Sqrt(sum);
        }

        if (normType == 1f)
        {
            for (int i = 0; i < values.Length; i++)
            {
                sum += Math.Abs(values[i]);
            }

            return (float)sum;
        }

        for (int i = 0; i < values.Length; i++)
        {
            sum += Math.Pow(Math.Abs(values[i]), normType);
        }

        return (float)Math.Pow(sum, 1.0 / normType);
    }
}
