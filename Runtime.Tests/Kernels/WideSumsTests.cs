using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Xunit;

namespace Fixed.Tests.Kernels;

/// <summary>
/// <c>PackedMath.WideSums256</c>, the 256-bit block product under the general path and the straight step's small layers,
/// against a scalar loop written from its documented order: each row's even columns onto one fused sum that starts from the
/// row's initial value, its odd columns onto a second that starts from zero, an odd last column onto the first, then the
/// two added. Fused multiply-adds round once per lane in either form, so on a core with FMA the two must agree bit for bit
/// (the straight-vs-general comparisons cannot see an order change that both paths share: both call this kernel). Without
/// FMA in hardware, <c>MultiplyAddEstimate</c> may round twice, and the check is against double precision instead.
/// </summary>
public sealed class WideSumsTests
{
    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(8)]
    public void WideSums256_EveryColumnCount_SumsInTheDocumentedOrder(int vectors)
    {
        const int n = 8;
        int rows = vectors * n;
        bool exact = Fma.IsSupported && Vector256.IsHardwareAccelerated;
        var random = new Random(300 + vectors);
        for (int cols = 1; cols <= 70; cols++)
        {
            float[] w = Values(random, rows * cols), x = Values(random, cols), init = Values(random, rows);
            PackedMath.WideSums256(vectors, ref w[0], (nuint)rows, cols, ref x[0], ref init[0], out Vector256<float> y0, out Vector256<float> y1,
                out Vector256<float> y2, out Vector256<float> y3, out Vector256<float> y4, out Vector256<float> y5, out Vector256<float> y6,
                out Vector256<float> y7);
            Vector256<float>[] sums = [y0, y1, y2, y3, y4, y5, y6, y7];
            for (int r = 0; r < rows; r++)
            {
                float actual = sums[r / n].GetElement(r % n);
                float even = init[r], odd = 0f;
                double reference = init[r], scale = Math.Abs(init[r]);
                for (int k = 0; k < cols; k++)
                {
                    float term = w[(k * rows) + r];
                    if (k % 2 == 0)
                    {
                        even = MathF.FusedMultiplyAdd(term, x[k], even);
                    }
                    else
                    {
                        odd = MathF.FusedMultiplyAdd(term, x[k], odd);
                    }

                    reference += (double)term * x[k];
                    scale += Math.Abs((double)term * x[k]);
                }

                if (exact)
                {
                    float expected = even + odd;
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
                        $"{vectors} vectors, {cols} columns, row {r}: {actual:R} vs {expected:R}");
                }
                else
                {
                    Assert.True(Math.Abs(actual - reference) <= 1e-5 * scale, $"{vectors} vectors, {cols} columns, row {r}: {actual} vs {reference}");
                }
            }

            for (int v = vectors; v < 8; v++)
            {
                Assert.Equal(Vector256<float>.Zero, sums[v]);
            }
        }
    }

    private static float[] Values(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }
}
