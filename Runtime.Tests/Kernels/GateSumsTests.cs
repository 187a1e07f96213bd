using System;
using Xunit;

namespace Fixed.Tests.Kernels;

/// <summary>
/// <see cref="GateSums.BiasSteps"/> (both biases, and the weight column of a one-feature input, in one pass) against the
/// separate per-sum kernels it replaced, bit for bit, and against a double-precision loop, at every row count from 1 to a
/// few vector widths (so the four-, two- and one-vector blocks and the scalar rows of every width run), from a tape whose
/// stride is wider than the rows.
/// </summary>
public sealed class GateSumsTests
{
    public static TheoryData<int, bool> Cases => new()
    {
        { 1, false }, { 1, true }, { 3, false }, { 3, true }, { 32, false }, { 32, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void BiasSteps_EveryRowCount_SameBitsAsSeparateSums(int steps, bool withColumn)
    {
        var random = new Random(steps * 2 + (withColumn ? 1 : 0));
        for (int rows = 1; rows <= 70; rows++)
        {
            (int stride, float[] tape, float[] column, float[] bih, float[] bhh) = Case(random, rows, steps);
            float[] column2 = (float[])column.Clone(), bih2 = (float[])bih.Clone(), bhh2 = (float[])bhh.Clone();
            ReadOnlySpan<float> d = tape.AsSpan(1), e = tape.AsSpan(1 + rows), x = tape;

            GateSums.BiasSteps(withColumn ? column : default, bih, bhh, d, e, x, stride, steps);
            if (withColumn)
            {
                VectorMath.OuterAddSteps(column2, rows, 1, d, stride, x, stride, steps);
            }

            VectorMath.AddSteps(bih2, d, stride, steps);
            VectorMath.AddSteps(bhh2, e, stride, steps);

            Assert.Equal(bih2, bih);
            Assert.Equal(bhh2, bhh);
            Assert.Equal(column2, column);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BiasSteps_EveryRowCount_MatchesDoubleReference(int steps, bool withColumn)
    {
        var random = new Random(100 + steps * 2 + (withColumn ? 1 : 0));
        for (int rows = 1; rows <= 70; rows++)
        {
            (int stride, float[] tape, float[] column, float[] bih, float[] bhh) = Case(random, rows, steps);
            float[] columnBefore = (float[])column.Clone(), bihBefore = (float[])bih.Clone(), bhhBefore = (float[])bhh.Clone();

            GateSums.BiasSteps(withColumn ? column : default, bih, bhh, tape.AsSpan(1), tape.AsSpan(1 + rows), tape, stride, steps);

            for (int r = 0; r < rows; r++)
            {
                double sumIh = bihBefore[r], sumHh = bhhBefore[r], sumColumn = columnBefore[r], scale = 1;
                for (int s = 0; s < steps; s++)
                {
                    float x = tape[s * stride], d = tape[s * stride + 1 + r], e = tape[s * stride + 1 + rows + r];
                    sumIh += d;
                    sumHh += e;
                    sumColumn += (double)d * x;
                    scale += Math.Abs(d) + Math.Abs(e);
                }

                // float32 sums of `steps` terms, in another order than the double loop: within 1e-6 of the terms' magnitude.
                Assert.True(Math.Abs(sumIh - bih[r]) <= 1e-6 * scale, $"rows {rows} row {r}: b_ih {bih[r]} vs {sumIh}");
                Assert.True(Math.Abs(sumHh - bhh[r]) <= 1e-6 * scale, $"rows {rows} row {r}: b_hh {bhh[r]} vs {sumHh}");
                double expectedColumn = withColumn ? sumColumn : columnBefore[r];
                Assert.True(Math.Abs(expectedColumn - column[r]) <= 1e-6 * scale, $"rows {rows} row {r}: column {column[r]} vs {expectedColumn}");
            }
        }
    }

    /// <summary>
    /// <see cref="VectorMath.OuterAddStepsWithSums"/> against <see cref="VectorMath.OuterAddSteps"/> and
    /// <see cref="GateSums.BiasSteps"/> called one after the other, bit for bit: shapes the folded AVX-512 eight-row pass takes
    /// (rows a multiple of 8, columns of 32) and shapes that fall back to the two calls, with three different sources for the
    /// product's d and the sums' p and e (as the GRU's n block has), with and without the weight column.
    /// </summary>
    [Theory]
    [InlineData(8, 32, 1)]
    [InlineData(96, 32, 32)]
    [InlineData(64, 64, 5)]
    [InlineData(128, 32, 128)]
    [InlineData(24, 33, 7)]
    [InlineData(12, 32, 3)]
    [InlineData(40, 16, 9)]
    [InlineData(16, 32, 0)]
    public void OuterAddStepsWithSums_SameBitsAsTheTwoPasses(int rows, int cols, int steps)
    {
        var random = new Random((rows * 100) + cols + steps);
        // A record: x (one float), h (cols), d, p, e (rows each), padding.
        int stride = 1 + cols + (3 * rows) + 3;
        float[] tape = Values(random, stride * Math.Max(1, steps));
        foreach (bool withColumn in new[] { false, true })
        {
            float[] g = Values(random, rows * cols), column = Values(random, rows), bih = Values(random, rows), bhh = Values(random, rows);
            float[] g2 = (float[])g.Clone(), column2 = (float[])column.Clone(), bih2 = (float[])bih.Clone(), bhh2 = (float[])bhh.Clone();
            ReadOnlySpan<float> x = tape, h = tape.AsSpan(1), d = tape.AsSpan(1 + cols), p = tape.AsSpan(1 + cols + rows), e = tape.AsSpan(1 + cols + (2 * rows));

            VectorMath.OuterAddStepsWithSums(g, rows, cols, d, h, withColumn ? column : default, bih, bhh, p, e, x, stride, steps);
            VectorMath.OuterAddSteps(g2, rows, cols, d, stride, h, stride, steps);
            GateSums.BiasSteps(withColumn ? column2 : default, bih2, bhh2, p, e, x, stride, steps);

            Assert.Equal(g2, g);
            Assert.Equal(bih2, bih);
            Assert.Equal(bhh2, bhh);
            Assert.Equal(column2, column);
        }
    }

    /// <summary>
    /// The folded pass changes the sums: the kernel above compared with itself would pass on a pass that drops them, so
    /// here the sums are checked against a double-precision loop as well (the folded shape of GRU 1→32's r and z rows).
    /// </summary>
    [Fact]
    public void OuterAddStepsWithSums_FoldedShape_MatchesDoubleReference()
    {
        const int rows = 64, cols = 32, steps = 20;
        var random = new Random(7);
        int stride = 1 + cols + (3 * rows) + 3;
        float[] tape = Values(random, stride * steps);
        float[] g = Values(random, rows * cols), column = Values(random, rows), bih = Values(random, rows), bhh = Values(random, rows);
        float[] gBefore = (float[])g.Clone(), columnBefore = (float[])column.Clone(), bihBefore = (float[])bih.Clone(), bhhBefore = (float[])bhh.Clone();

        VectorMath.OuterAddStepsWithSums(g, rows, cols, tape.AsSpan(1 + cols), tape.AsSpan(1), column, bih, bhh, tape.AsSpan(1 + cols + rows),
            tape.AsSpan(1 + cols + (2 * rows)), tape, stride, steps);

        for (int r = 0; r < rows; r++)
        {
            double sumIh = bihBefore[r], sumHh = bhhBefore[r], sumColumn = columnBefore[r];
            for (int s = 0; s < steps; s++)
            {
                float x = tape[s * stride], pr = tape[s * stride + 1 + cols + rows + r], er = tape[s * stride + 1 + cols + (2 * rows) + r];
                sumIh += pr;
                sumHh += er;
                sumColumn += (double)pr * x;
            }

            Assert.True(Math.Abs(sumIh - bih[r]) <= 1e-5, $"row {r}: b_ih {bih[r]} vs {sumIh}");
            Assert.True(Math.Abs(sumHh - bhh[r]) <= 1e-5, $"row {r}: b_hh {bhh[r]} vs {sumHh}");
            Assert.True(Math.Abs(sumColumn - column[r]) <= 1e-5, $"row {r}: column {column[r]} vs {sumColumn}");
            for (int c = 0; c < cols; c++)
            {
                double sum = gBefore[(r * cols) + c];
                for (int s = 0; s < steps; s++)
                {
                    sum += (double)tape[s * stride + 1 + cols + r] * tape[s * stride + 1 + c];
                }

                Assert.True(Math.Abs(sum - g[(r * cols) + c]) <= 1e-5, $"G[{r},{c}] {g[(r * cols) + c]} vs {sum}");
            }
        }
    }

    /// <summary>A tape of <paramref name="steps"/> records, each x (one float), d and e (<paramref name="rows"/> each) and padding.</summary>
    private static (int Stride, float[] Tape, float[] Column, float[] Bih, float[] Bhh) Case(Random random, int rows, int steps)
    {
        int stride = 1 + (2 * rows) + 5;
        return (stride, Values(random, stride * steps), Values(random, rows), Values(random, rows), Values(random, rows));
    }

    private static float[] Values(Random random, int length)
    {
        float[] values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }
}
