using System;
using Fixed.Engine;
using Fixed.Tests.Sequence;
using Xunit;

namespace Fixed.Tests.Kernels;

/// <summary>
/// Hidden matrices larger than 32 KB are swept in alternating directions from one step to the next
/// (<see cref="PackedMath.MultiplyAddAlternating{TVec}"/>), so that the rows read last are still in L1 when the next
/// sweep starts. Either direction must give the one-way sweep's bits: held here at the kernel, against the one-way
/// kernel and against a plain double-precision product written from the layout's documentation, and at the engine, where
/// the same inputs stepped with opposite directions must give the same states and outputs.
/// </summary>
public sealed class AlternatingSweepTests
{
    /// <summary>Columns: one, an odd count, and hidden sizes of the shapes that alternate.</summary>
    private static readonly int[] Columns = [1, 7, 64, 70];

    [Fact]
    public void Kernel512_EitherDirection_SameBitsAsTheOneWaySweep() => AssertKernel<Simd512>();

    [Fact]
    public void Kernel256_EitherDirection_SameBitsAsTheOneWaySweep() => AssertKernel<Simd256>();

    [Fact]
    public void Kernel128_EitherDirection_SameBitsAsTheOneWaySweep() => AssertKernel<Simd128>();

    [Fact]
    public void Shapes_AlternateExactlyWhenTheFp32HiddenMatrixExceeds32KB()
    {
        Assert.True(RecurrentEngine<Gru5To64Shape>.HiddenSweepAlternates);   // 192 rows x 64 columns: 48 KB
        Assert.True(RecurrentEngine<Lstm1To64Shape>.HiddenSweepAlternates);  // 256 x 64: 64 KB
        Assert.Equal(PackedLayout<Gru2To70TwoLayersShape>.Rows * 70 * 4 > 32 * 1024, RecurrentEngine<Gru2To70TwoLayersShape>.HiddenSweepAlternates);
        Assert.False(RecurrentEngine<StraightStepTests.Gru1To32Shape>.HiddenSweepAlternates);  // 12 KB
        Assert.False(RecurrentEngine<Rnn1To64Shape>.HiddenSweepAlternates);  // 16 KB
    }

    [Fact]
    public void GruFiveToSixtyFour_StepsInOppositeDirections_SameBits() => AssertEngine<Gru5To64Shape>();

    [Fact]
    public void LstmOneToSixtyFour_StepsInOppositeDirections_SameBits() => AssertEngine<Lstm1To64Shape>();

    [Fact]
    public void GruTwoToSeventyTwoLayers_StepsInOppositeDirections_SameBits() => AssertEngine<Gru2To70TwoLayersShape>();

    /// <summary>
    /// Every matrix height from 1 to 20 vectors (every tail block, one to two full blocks and their units) and every width
    /// of <see cref="Columns"/>: both directions give <see cref="PackedMath.MultiplyAdd{TVec}"/>'s bits and, within
    /// rounding, the documented product.
    /// </summary>
    private static void AssertKernel<TVec>()
        where TVec : struct, ISimd<TVec>
    {
        var random = new Random(11);
        int lanes = TVec.Count;
        for (int vectors = 1; vectors <= 20; vectors++)
        {
            foreach (int cols in Columns)
            {
                int rows = vectors * lanes;
                float[] w = ProjSizeTests.Values(random, rows * cols, 1f);
                float[] x = ProjSizeTests.Values(random, cols, 1f);
                float[] init = ProjSizeTests.Values(random, rows, 1f);
                float[] oneWay = new float[rows];
                PackedMath.MultiplyAdd<TVec>(ref w[0], rows, cols, ref x[0], ref init[0], ref oneWay[0]);
                double[] expected = Documented(w, x, init, rows, cols, lanes);
                foreach (bool backward in (bool[])[false, true])
                {
                    float[] swept = new float[rows];
                    PackedMath.MultiplyAddAlternating<TVec>(ref w[0], rows, cols, ref x[0], ref init[0], ref swept[0], backward);
                    string where = $"{typeof(TVec).Name}, {vectors} vectors x {cols} columns, backward {backward}";
                    for (int r = 0; r < rows; r++)
                    {
                        Assert.True(BitConverter.SingleToInt32Bits(oneWay[r]) == BitConverter.SingleToInt32Bits(swept[r]),
                            $"{where}: row {r} is {swept[r]:R}, the one-way sweep's {oneWay[r]:R}");
                        Assert.True(Math.Abs(swept[r] - expected[r]) <= 1e-5 * (1 + Math.Abs(expected[r])),
                            $"{where}: row {r} is {swept[r]:R}, the product is {expected[r]:R}");
                    }
                }
            }
        }
    }

    /// <summary>
    /// <c>init + W x</c> in double precision, reading W as the packed layout documents it: blocks of
    /// <see cref="PackedMath.BlockVectors"/> vectors of rows (the last one shorter), each stored column after column.
    /// </summary>
    private static double[] Documented(float[] w, float[] x, float[] init, int rows, int cols, int lanes)
    {
        int blockRows = PackedMath.BlockVectors * lanes;
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            int blockStart = r / blockRows * blockRows;
            int height = Math.Min(blockRows, rows - blockStart);
            double sum = init[r];
            for (int c = 0; c < cols; c++)
            {
                sum += (double)w[(blockStart * cols) + (c * height) + (r - blockStart)] * x[c];
            }

            y[r] = sum;
        }

        return y;
    }

    /// <summary>
    /// The same inputs through two states, the second with the thread's sweep direction flipped once more before each step
    /// (so every step of one runs the direction opposite to the other's), over <c>Step</c> and then <c>Forward</c> and
    /// <c>WarmUp</c>: states and outputs must agree bit for bit.
    /// </summary>
    private static void AssertEngine<TShape>()
        where TShape : struct, INetworkShape
    {
        Assert.True(RecurrentEngine<TShape>.HiddenSweepAlternates);
        var store = new ParameterStore<TShape>();
        ParameterInitializer.Initialize<TShape>(store.Writable, seed: 5);
        int i = TShape.InputSize;
        int o = Shape<TShape>.O;
        var random = new Random(3);
        float[] first = new float[RecurrentEngine<TShape>.StateLength];
        float[] second = new float[first.Length];
        float[] x = new float[i];
        float[] y1 = new float[o];
        float[] y2 = new float[o];
        for (int t = 0; t < 40; t++)
        {
            for (int k = 0; k < i; k++)
            {
                x[k] = (random.NextSingle() - 0.5f) * 4f;
            }

            RecurrentEngine<TShape>.Step(store, first, x, y1);
            SweepParity.Next();
            RecurrentEngine<TShape>.Step(store, second, x, y2);
            Assert.Equal(Bits(y1), Bits(y2));
            Assert.Equal(Bits(first), Bits(second));
        }

        const int Steps = 9;
        float[] xs = ProjSizeTests.Values(random, Steps * i, 1f);
        float[] ys1 = new float[Steps * o];
        float[] ys2 = new float[Steps * o];
        RecurrentEngine<TShape>.Forward(store, first, xs, ys1);
        SweepParity.Next();
        RecurrentEngine<TShape>.Forward(store, second, xs, ys2);
        Assert.Equal(Bits(ys1), Bits(ys2));
        Assert.Equal(Bits(first), Bits(second));
        RecurrentEngine<TShape>.WarmUp(store, first, xs);
        SweepParity.Next();
        RecurrentEngine<TShape>.WarmUp(store, second, xs);
        Assert.Equal(Bits(first), Bits(second));
        Assert.All(first, v => Assert.True(float.IsFinite(v)));
    }

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);

    private struct Gru5To64Shape : INetworkShape
    {
        public static int InputSize => 5;
        public static int HiddenSize => 64;
        public static int NumLayers => 1;
        public static int OutputSize => 2;
        public static Cell Cell => Cell.Gru;
        public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;
        public static bool Bias => true;
        public static int Window => 8;
    }

    private struct Lstm1To64Shape : INetworkShape
    {
        public static int InputSize => 1;
        public static int HiddenSize => 64;
        public static int NumLayers => 1;
        public static int OutputSize => 1;
        public static Cell Cell => Cell.Lstm;
        public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;
        public static bool Bias => true;
        public static int Window => 8;
    }

    /// <summary>Hidden 70: five vectors a gate at 16 lanes, 15 in all, so a full block and a tail of seven.</summary>
    private struct Gru2To70TwoLayersShape : INetworkShape
    {
        public static int InputSize => 2;
        public static int HiddenSize => 70;
        public static int NumLayers => 2;
        public static int OutputSize => 3;
        public static Cell Cell => Cell.Gru;
        public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;
        public static bool Bias => true;
        public static int Window => 8;
    }

    private struct Rnn1To64Shape : INetworkShape
    {
        public static int InputSize => 1;
        public static int HiddenSize => 64;
        public static int NumLayers => 1;
        public static int OutputSize => 1;
        public static Cell Cell => Cell.Rnn;
        public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;
        public static bool Bias => true;
        public static int Window => 8;
    }
}
