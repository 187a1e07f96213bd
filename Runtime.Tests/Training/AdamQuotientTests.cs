using System;
using Xunit;

namespace Fixed.Tests.Training;

/// <summary>
/// Adam's vector loops compute <c>√v / √(1 − β₂ᵗ)</c> from the divisor's reciprocal and a fused correction instead of a
/// division (Adam.cs, <c>QuotientByConstant</c>); these tests hold them to the bits of PyTorch's formula written out
/// here in scalar float arithmetic with true divisions, over values from every part of the float range, many steps
/// (so many divisors) and several β₂, including the gradients whose square overflows to +∞.
/// </summary>
public sealed class AdamQuotientTests
{
    [Theory]
    [InlineData(0.999f, 0f)]
    [InlineData(0.9999f, 0f)]
    [InlineData(0.95f, 1e-8f)]
    [InlineData(0.5f, 0f)]
    [InlineData(0.99999994f, 1e-8f)]
    public void Update_EqualsScalarDivisions_BitForBit(float beta2, float eps)
    {
        const int Count = 1000; // 62 vectors of 16, then 125 of 8 and the rest, whichever the machine runs
        const float Beta1 = 0.9f, LearningRate = 1e-3f;
        var random = new Random(7);
        float[] parameters = new float[Count], expected = new float[Count];
        float[] m = new float[Count], v = new float[Count];
        var core = new AdamCore(Count, Beta1, beta2, eps, weightDecay: 0f);
        for (int i = 0; i < Count; i++)
        {
            parameters[i] = expected[i] = Spread(random);
        }

        float[] gradients = new float[Count];
        for (long step = 1; step <= 40; step++)
        {
            for (int i = 0; i < Count; i++)
            {
                gradients[i] = Spread(random);
            }

            core.Update(parameters, gradients, LearningRate, step, decoupled: false);

            // PyTorch's single-tensor Adam: the corrections in double, then float32 throughout.
            float stepSize = (float)(LearningRate / (1.0 - Math.Pow(Beta1, step)));
            float correction2 = (float)Math.Sqrt(1.0 - Math.Pow(beta2, step));
            for (int i = 0; i < Count; i++)
            {
                float g = gradients[i];
                m[i] += (g - m[i]) * (1f - Beta1);
                v[i] = (beta2 * v[i]) + ((1f - beta2) * g * g);
                expected[i] -= stepSize * (m[i] / ((MathF.Sqrt(v[i]) / correction2) + eps));
            }

            for (int i = 0; i < Count; i++)
            {
                if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(parameters[i]))
                {
                    Assert.Fail($"step {step}, element {i}: expected {expected[i]:R}, got {parameters[i]:R} (v = {v[i]:R})");
                }
            }
        }
    }

    [Fact]
    public void Update_GradientWhoseSquareOverflows_LeavesTheParameterAsPyTorchDoes()
    {
        // g² = +∞ makes v = +∞, √v / c = +∞ and m / ∞ = 0: the parameter does not move. A remainder computed as ∞ − ∞
        // would have made it NaN.
        const int Count = 64;
        var core = new AdamCore(Count, 0.9f, 0.999f, 1e-8f, weightDecay: 0f);
        float[] parameters = new float[Count];
        float[] gradients = new float[Count];
        for (int i = 0; i < Count; i++)
        {
            parameters[i] = 1f + i;
            gradients[i] = i % 2 == 0 ? 1e30f : -3e25f;
        }

        core.Update(parameters, gradients, 1e-3f, 1, decoupled: false);

        for (int i = 0; i < Count; i++)
        {
            Assert.Equal(1f + i, parameters[i]);
        }
    }

    /// <summary>
    /// A value from anywhere in float's range: zero, tiny, ordinary, huge (some of whose squares overflow), either sign,
    /// with a random significand, so that the quotients land everywhere between two floats.
    /// </summary>
    private static float Spread(Random random)
    {
        int kind = random.Next(10);
        float sign = random.Next(2) == 0 ? 1f : -1f;
        return kind switch
        {
            0 => 0f,
            1 => sign * MathF.ScaleB(1f + random.NextSingle(), random.Next(-149, -100)),
            2 => sign * MathF.ScaleB(1f + random.NextSingle(), random.Next(60, 90)),
            _ => sign * MathF.ScaleB(1f + random.NextSingle(), random.Next(-30, 10)),
        };
    }
}
