using System;
using System.Runtime.Intrinsics;
using Xunit;

namespace Fixed.Tests.Kernels;

/// <summary>
/// The vector activations against the exact functions (computed in double) over the whole float range,
/// at every width and in the scalar form: within 1e-6 absolute, no NaN for finite input, NaN kept.
/// </summary>
public sealed class ActivationTests
{
    private const double Tolerance = 1e-6;

    [Fact]
    public void SigmoidAndTanh_WholeFloatRange_Within1e6OfExact()
    {
        float[] inputs = Sweep();
        float[] sigmoid = (float[])inputs.Clone();
        float[] tanh = (float[])inputs.Clone();

        ActivationLoop.Apply<SigmoidOperator>(sigmoid);
        ActivationLoop.Apply<TanhOperator>(tanh);

        for (int i = 0; i < inputs.Length; i++)
        {
            double x = inputs[i];
            AssertClose(1 / (1 + Math.Exp(-x)), sigmoid[i], "sigmoid", inputs[i]);
            AssertClose(Math.Tanh(x), tanh[i], "tanh", inputs[i]);
        }
    }

    /// <summary>
    /// σ and tanh at every vector width against the scalar form. tanh divides x·P by Q at every width as the scalar form
    /// does, so wherever the multiply-adds fuse in both (x64 with FMA, ARM64) every width gives the scalar's bits; σ (and
    /// tanh elsewhere) within the tolerance.
    /// </summary>
    [Fact]
    public void ScalarAndEveryVectorWidth_Agree_TanhToTheBit()
    {
        bool fused = System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;
        float[] inputs = Sweep();
        for (int i = 0; i + 16 <= inputs.Length; i += 16)
        {
            ReadOnlySpan<float> block = inputs.AsSpan(i, 16);
            Vector512<float> s512 = SigmoidOperator.Invoke(Vector512.Create(block)), t512 = TanhOperator.Invoke(Vector512.Create(block));
            Vector256<float> s256 = SigmoidOperator.Invoke(Vector256.Create(block)), t256 = TanhOperator.Invoke(Vector256.Create(block));
            Vector128<float> s128 = SigmoidOperator.Invoke(Vector128.Create(block)), t128 = TanhOperator.Invoke(Vector128.Create(block));
            for (int k = 0; k < 16; k++)
            {
                float sigmoid = SigmoidOperator.Invoke(block[k]), tanh = TanhOperator.Invoke(block[k]);
                Assert.Equal(sigmoid, s512[k], Tolerance);
                Tanh(tanh, t512[k], block[k], 512);
                if (k < 8)
                {
                    Assert.Equal(sigmoid, s256[k], Tolerance);
                    Tanh(tanh, t256[k], block[k], 256);
                }

                if (k < 4)
                {
                    Assert.Equal(sigmoid, s128[k], Tolerance);
                    Tanh(tanh, t128[k], block[k], 128);
                }
            }
        }

        void Tanh(float scalar, float vector, float x, int width)
        {
            if (fused)
            {
                Assert.True(BitConverter.SingleToInt32Bits(scalar) == BitConverter.SingleToInt32Bits(vector),
                    $"tanh({x:R}): scalar {scalar:R}, {width}-bit vector {vector:R}");
            }
            else
            {
                Assert.Equal(scalar, vector, Tolerance);
            }
        }
    }

    [Theory]
    [InlineData(1e4f, 1f, 1f)]
    [InlineData(-1e4f, 0f, -1f)]
    [InlineData(float.MaxValue, 1f, 1f)]
    [InlineData(float.MinValue, 0f, -1f)]
    [InlineData(float.PositiveInfinity, 1f, 1f)]
    [InlineData(float.NegativeInfinity, 0f, -1f)]
    public void Saturation_LargeAndInfiniteInputs_GiveTheLimitsNotNaN(float x, float sigmoidLimit, float tanhLimit)
    {
        float[] sigmoid = [x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x];
        float[] tanh = (float[])sigmoid.Clone();

        ActivationLoop.Apply<SigmoidOperator>(sigmoid);
        ActivationLoop.Apply<TanhOperator>(tanh);

        Assert.All(sigmoid, s => Assert.Equal(sigmoidLimit, s, 1e-30));
        Assert.All(tanh, t => Assert.Equal(tanhLimit, t));
    }

    [Fact]
    public void NaN_Propagates()
    {
        float[] values = new float[17];
        values.AsSpan().Fill(float.NaN);
        float[] tanh = (float[])values.Clone();

        ActivationLoop.Apply<SigmoidOperator>(values);
        ActivationLoop.Apply<TanhOperator>(tanh);

        Assert.All(values, v => Assert.True(float.IsNaN(v)));
        Assert.All(tanh, v => Assert.True(float.IsNaN(v)));
    }

    /// <summary>
    /// NaN in some lanes of a vector, finite values (saturating ones included) in the others: the NaN lanes stay NaN and the
    /// others get their limits. σ's final clamp is <c>min(1, max(0, v))</c> with the native instructions, which keep a NaN
    /// only because v is their second operand; with the operands the other way round the NaN lanes would come out 0 or 1.
    /// </summary>
    [Fact]
    public void NaN_InSomeLanes_StaysInThoseLanesOnly()
    {
        float[] pattern = [float.NaN, 1e4f, -1e4f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.NaN, -0f];
        float[] sigmoid = new float[4 * pattern.Length + 1];
        for (int i = 0; i < sigmoid.Length; i++)
        {
            sigmoid[i] = pattern[i % pattern.Length];
        }

        float[] tanh = (float[])sigmoid.Clone();
        ActivationLoop.Apply<SigmoidOperator>(sigmoid);
        ActivationLoop.Apply<TanhOperator>(tanh);

        for (int i = 0; i < sigmoid.Length; i++)
        {
            float x = pattern[i % pattern.Length];
            if (float.IsNaN(x))
            {
                Assert.True(float.IsNaN(sigmoid[i]), $"σ lane {i}: NaN in, {sigmoid[i]} out");
                Assert.True(float.IsNaN(tanh[i]), $"tanh lane {i}: NaN in, {tanh[i]} out");
            }
            else
            {
                Assert.Equal(x == 0f ? 0.5f : x > 0f ? 1f : 0f, sigmoid[i]);
                Assert.Equal(x == 0f ? 0f : x > 0f ? 1f : -1f, tanh[i]);
            }
        }
    }

    /// <summary>
    /// tanh(±0) = ±0 with its sign, at every vector width and in the scalar form, as PyTorch's tanh gives: x·P/Q is −0 for
    /// x = −0, and the final clamp to [-1, 1] must pass it through (a clamp written with a bound of 0, or as a max and min
    /// whose operands ordered zeros, would return +0).
    /// </summary>
    [Fact]
    public void Tanh_OfSignedZero_KeepsTheSign()
    {
        foreach (float zero in new[] { 0f, -0f })
        {
            int expected = BitConverter.SingleToInt32Bits(zero);
            Assert.Equal(expected, BitConverter.SingleToInt32Bits(TanhOperator.Invoke(zero)));
            Assert.Equal(expected, BitConverter.SingleToInt32Bits(TanhOperator.Invoke(Vector512.Create(zero))[15]));
            Assert.Equal(expected, BitConverter.SingleToInt32Bits(TanhOperator.Invoke(Vector256.Create(zero))[7]));
            Assert.Equal(expected, BitConverter.SingleToInt32Bits(TanhOperator.Invoke(Vector128.Create(zero))[3]));
            Assert.Equal(expected, BitConverter.SingleToInt32Bits((float)Math.Tanh(zero)));
        }
    }

    /// <summary>Dense in [-20, 20] where the functions vary, then every power of two out to float.MaxValue; 17 per block so every remainder path runs.</summary>
    private static float[] Sweep()
    {
        var values = new System.Collections.Generic.List<float>();
        for (int i = -200_000; i <= 200_000; i++)
        {
            values.Add(i * 1e-4f);
        }

        for (int e = -126; e <= 127; e++)
        {
            values.Add(MathF.ScaleB(1f, e));
            values.Add(-MathF.ScaleB(1.5f, Math.Min(e, 126)));
        }

        while (values.Count % 17 != 0)
        {
            values.Add(0.5f);
        }

        return values.ToArray();
    }

    private static void AssertClose(double expected, float actual, string function, float x)
    {
        Assert.True(Math.Abs(expected - actual) <= Tolerance, $"{function}({x}) = {actual}, exact {expected}");
    }
}
