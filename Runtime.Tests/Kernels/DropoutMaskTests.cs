using System;
using Fixed.Engine;
using Xunit;

namespace Fixed.Tests.Kernels;

/// <summary>
/// The hash masks of <see cref="DropoutMask"/> as a random source: over 10⁶ units the kept fraction and the mean of the
/// scaled outputs are within 5 standard deviations of the binomial's (1 - p and 1), and two units that differ in one
/// coordinate (unit, step, boundary, sequence, call, seed) are kept together as often as independent draws would be,
/// (1 - p)², within 5 standard deviations. Kept units carry exactly PyTorch's factor 1 / (1 - p) in float32.
/// </summary>
public sealed class DropoutMaskTests
{
    private const int Sequences = 100;
    private const int Steps = 100;
    private const int Boundaries = 2;
    private const int Units = 50;

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.25)]
    [InlineData(0.5)]
    [InlineData(0.8)]
    public void KeptFractionAndScaledMean_WithinBinomialBounds(double p)
    {
        DropoutMask mask = DropoutMask.For(seed: 1, call: 0, p);
        float scale = 1f / (float)(1 - p);
        Span<float> ones = stackalloc float[Units];
        ones.Fill(1f);
        Span<float> kept = stackalloc float[Units];
        long count = 0;
        double sum = 0;
        for (int b = 0; b < Sequences; b++)
        {
            for (int t = 0; t < Steps; t++)
            {
                for (int k = 0; k < Boundaries; k++)
                {
                    mask.Apply(b, t, k, Boundaries, ones, kept);
                    foreach (float m in kept)
                    {
                        Assert.True(m == 0f || m == scale, $"multiplier {m} is neither 0 nor {scale}");
                        count += m != 0f ? 1 : 0;
                        sum += m;
                    }
                }
            }
        }

        long n = (long)Sequences * Steps * Boundaries * Units;
        double sd = Math.Sqrt(n * p * (1 - p));
        Assert.InRange(count, (n * (1 - p)) - (5 * sd), (n * (1 - p)) + (5 * sd));
        Assert.InRange(sum / n, 1 - (5 * sd * scale / n), 1 + (5 * sd * scale / n));
    }

    public static TheoryData<string> Coordinates => new("unit", "step", "boundary", "sequence", "call", "seed");

    [Theory]
    [MemberData(nameof(Coordinates))]
    public void NeighboursInOneCoordinate_KeptTogetherAsIndependentDraws(string coordinate)
    {
        const double P = 0.5;
        DropoutMask mask = DropoutMask.For(seed: 11, call: 3, P);
        DropoutMask other = coordinate switch
        {
            "call" => DropoutMask.For(seed: 11, call: 4, P),
            "seed" => DropoutMask.For(seed: 12, call: 3, P),
            _ => mask,
        };
        Span<float> ones = stackalloc float[Units + 1];
        ones.Fill(1f);
        Span<float> a = stackalloc float[Units + 1];
        Span<float> b = stackalloc float[Units + 1];
        long both = 0, n = 0;
        for (int s = 0; s < Sequences; s++)
        {
            for (int t = 0; t < Steps; t++)
            {
                mask.Apply(s, t, 0, Boundaries, ones, a);
                switch (coordinate)
                {
                    case "unit":
                        a.Slice(1).CopyTo(b);
                        break;
                    case "step":
                        mask.Apply(s, t + 1, 0, Boundaries, ones, b);
                        break;
                    case "boundary":
                        mask.Apply(s, t, 1, Boundaries, ones, b);
                        break;
                    case "sequence":
                        mask.Apply(s + 1, t, 0, Boundaries, ones, b);
                        break;
                    default:
                        other.Apply(s, t, 0, Boundaries, ones, b);
                        break;
                }

                for (int j = 0; j < Units; j++)
                {
                    both += a[j] != 0f && b[j] != 0f ? 1 : 0;
                    n++;
                }
            }
        }

        double q = (1 - P) * (1 - P);
        double sd = Math.Sqrt(n * q * (1 - q));
        Assert.InRange(both, (n * q) - (5 * sd), (n * q) + (5 * sd));
    }

    /// <summary>What Backward relies on: the same coordinates give the same mask, whenever and however often they are asked for.</summary>
    [Fact]
    public void SameCoordinates_SameMask_AndSourceScaledInPlace()
    {
        DropoutMask first = DropoutMask.For(seed: 5, call: 9, 0.3);
        DropoutMask again = DropoutMask.For(seed: 5, call: 9, 0.3);
        float[] source = [0.5f, -2f, 3f, 1e-3f, -7f, 4f, 0.25f, 9f];
        var a = new float[source.Length];
        var b = (float[])source.Clone();

        first.Apply(3, 17, 1, 2, source, a);
        again.Apply(3, 17, 1, 2, b, b);

        Assert.Equal(a, b);
        for (int j = 0; j < source.Length; j++)
        {
            Assert.True(a[j] == 0f || a[j] == source[j] * (1f / 0.7f), $"unit {j}: {a[j]}");
        }
    }
}
