using System;
using Xunit;

namespace Fixed.Tests.Kernels;

/// <summary>
/// The dense kernels against plain double-precision loops at every length from 1 to a few vector widths, so each
/// remainder path (512-, 256-, 128-bit and scalar tails, and the four-row blocks) runs. Tolerance 1e-5 relative
/// to the sum of |terms| (float32 accumulation in another order).
/// </summary>
public sealed class VectorMathTests
{
    public static TheoryData<int> Rows => new(1, 2, 3, 4, 5, 7, 8, 9, 12, 13);

    [Theory]
    [MemberData(nameof(Rows))]
    public void Project_Accumulating_EveryColumnCount_MatchesReference(int rows)
    {
        var random = new Random(rows);
        for (int cols = 1; cols <= 70; cols++)
        {
            float[] w = Values(random, rows * cols), x = Values(random, cols), y = Values(random, rows);
            float[] expected = (float[])y.Clone();
            double[] scale = new double[rows];
            for (int r = 0; r < rows; r++)
            {
                double sum = y[r];
                scale[r] = Math.Abs(y[r]);
                for (int c = 0; c < cols; c++)
                {
                    sum += (double)w[r * cols + c] * x[c];
                    scale[r] += Math.Abs((double)w[r * cols + c] * x[c]);
                }

                expected[r] = (float)sum;
            }

            VectorMath.Project(w, rows, cols, x, default, y, hasBias: false, accumulate: true);

            for (int r = 0; r < rows; r++)
            {
                Assert.True(Math.Abs(expected[r] - y[r]) <= 1e-5 * scale[r] + 1e-30, $"rows {rows} cols {cols} row {r}: {y[r]} vs {expected[r]}");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ProjectFour_EveryColumnCount_MatchesReference_ForEachStream(int rows)
    {
        // Four streams' inputs 'gap' floats apart beyond their own cols (a state's other floats), outputs 'rows' apart (the
        // many-stream outputs, [N, O]); what lies between them must stay untouched.
        var random = new Random(200 + rows);
        const int gap = 3;
        for (int cols = 1; cols <= 70; cols++)
        {
            int xStride = cols + gap;
            float[] w = Values(random, rows * cols), bias = Values(random, rows), x = Values(random, 4 * xStride);
            float[] y = new float[(4 * rows) + 1];
            y[^1] = 42f;
            VectorMath.ProjectFour(ref w[0], rows, cols, ref x[0], xStride, ref bias[0], ref y[0], rows);

            for (int s = 0; s < 4; s++)
            {
                for (int r = 0; r < rows; r++)
                {
                    double sum = bias[r], scale = Math.Abs(bias[r]);
                    for (int c = 0; c < cols; c++)
                    {
                        sum += (double)w[r * cols + c] * x[s * xStride + c];
                        scale += Math.Abs((double)w[r * cols + c] * x[s * xStride + c]);
                    }

                    float actual = y[s * rows + r];
                    Assert.True(Math.Abs(sum - actual) <= 1e-5 * scale + 1e-30, $"rows {rows} cols {cols} stream {s} row {r}: {actual} vs {sum}");
                }
            }

            Assert.Equal(42f, y[^1]);
        }
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void MultiplyTransposedAddAndOuterAdd_EveryColumnCount_MatchReference(int rows)
    {
        var random = new Random(100 + rows);
        for (int cols = 1; cols <= 70; cols++)
        {
            float[] w = Values(random, rows * cols), d = Values(random, rows), y = Values(random, cols);
            float[] expected = (float[])y.Clone();
            for (int c = 0; c < cols; c++)
            {
                double sum = y[c];
                for (int r = 0; r < rows; r++)
                {
                    sum += (double)w[r * cols + c] * d[r];
                }

                expected[c] = (float)sum;
            }

            float[] g = (float[])w.Clone();
            VectorMath.MultiplyTransposedAdd(w, rows, cols, d, y);
            VectorMath.OuterAdd(d, expected, g);

            for (int c = 0; c < cols; c++)
            {
                Assert.Equal(expected[c], y[c], 1e-5 * (rows + 1));
            }

            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < cols; c++)
                {
                    Assert.Equal(w[r * cols + c] + d[r] * expected[c], g[r * cols + c], 1e-6 * (1 + Math.Abs(g[r * cols + c])));
                }
            }
        }
    }

    /// <summary>
    /// <c>TransposedAdd</c> (the backward recurrence's <c>W_hhᵀ·d</c>; at 256 bits with whole pairs of vectors of columns
    /// its own kernel, which broadcasts <c>d</c> in registers) sums in the order of <c>OuterAndTransposedAdd</c>'s transposed
    /// half, so the two give the same bits: for row counts around the kernels' blocks of four and eight rows, and a
    /// recurrent layer's 96.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(20)]
    [InlineData(96)]
    public void TransposedAdd_EveryColumnCount_SameBitsAsOuterAndTransposedAdd(int rows)
    {
        var random = new Random(200 + rows);
        for (int cols = 1; cols <= 70; cols++)
        {
            float[] w = Values(random, rows * cols), d = Values(random, rows), x = Values(random, cols), y = Values(random, cols);
            float[] fused = (float[])y.Clone();
            float[] g = new float[rows * cols];

            VectorMath.TransposedAdd(w, d, y);
            VectorMath.OuterAndTransposedAdd(w, d, x, g, fused);

            for (int c = 0; c < cols; c++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(fused[c]) == BitConverter.SingleToInt32Bits(y[c]),
                    $"rows {rows} cols {cols} column {c}: {y[c]:R} vs {fused[c]:R}");
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
