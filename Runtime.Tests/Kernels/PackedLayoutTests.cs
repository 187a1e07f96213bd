using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Fixed.Tests.Kernels;

/// <summary>
/// <see cref="PackedLayout{TShape}"/> over every combination of cell, hidden size (1, 3, 8, 15, 16, 17, 33, 64: below,
/// at and just past each vector width), input size (1, 7), layers (1, 2) and bias (on, off), at whatever vector width this
/// machine picks. The oracles are written here from the layout's documentation, not from its code: the block order is
/// built by walking the blocks and handing out consecutive positions, and the packed copy by placing each PyTorch weight
/// at the row its gate is documented to land on.
/// </summary>
public sealed class PackedLayoutTests
{
    [Theory]
    [InlineData(Cell.Rnn)]
    [InlineData(Cell.Gru)]
    [InlineData(Cell.Lstm)]
    public void Geometry_EveryShape_MatchesTheDocumentedSizes(Cell cell) => LayoutShapes.ForEach(cell, new GeometryCheck());

    [Theory]
    [InlineData(Cell.Rnn)]
    [InlineData(Cell.Gru)]
    [InlineData(Cell.Lstm)]
    public void Index_EveryShape_IsABijectionOntoTheMatrixAndStoresEachBlockColumnAfterColumn(Cell cell) => LayoutShapes.ForEach(cell, new IndexCheck());

    [Theory]
    [InlineData(Cell.Rnn)]
    [InlineData(Cell.Gru)]
    [InlineData(Cell.Lstm)]
    public void Pack_EveryShape_PlacesEachWeightWhereDocumentedAndZeroesThePadding(Cell cell) => LayoutShapes.ForEach(cell, new PackCheck());

    [Theory]
    [InlineData(Cell.Rnn)]
    [InlineData(Cell.Gru)]
    [InlineData(Cell.Lstm)]
    public void Matches_EveryShape_TrueAfterPackAndFalseAfterAnySingleParameterChanges(Cell cell) => LayoutShapes.ForEach(cell, new MatchesCheck());

    /// <summary>
    /// A shape as plain numbers, so that the oracles below are compiled once rather than once per shape struct. Only the vector
    /// width is taken from the code under test (it is the machine's choice); everything else is derived here.
    /// </summary>
    private sealed record Geometry(Cell Cell, int I, int H, int L, bool Bias, int Lanes, int BlockVectors)
    {
        public static Geometry Of<TShape>()
            where TShape : struct, INetworkShape =>
            new(TShape.Cell, TShape.InputSize, TShape.HiddenSize, TShape.NumLayers, TShape.Bias, PackedLayout<TShape>.Lanes, PackedMath.BlockVectors);

        public int Gates => Cell switch { Cell.Rnn => 1, Cell.Gru => 3, _ => 4 };

        public bool IsGru => Cell == Cell.Gru;

        /// <summary>H rounded up to whole vectors.</summary>
        public int PaddedHidden => (H + Lanes - 1) / Lanes * Lanes;

        public int Rows => Gates * PaddedHidden;

        public int BiasLength => IsGru ? 4 * PaddedHidden : Rows;

        public int LayerInput(int layer) => layer == 0 ? I : H;

        /// <summary>PyTorch's parameter count of one layer: weight_ih, weight_hh, then bias_ih and bias_hh.</summary>
        public int LayerParameters(int layer) => Gates * H * (LayerInput(layer) + H + (Bias ? 2 : 0));

        public int ParameterCount => Enumerable.Range(0, L).Sum(LayerParameters);

        public int PackedLayerLength(int layer) => ((LayerInput(layer) + H) * Rows) + BiasLength;

        public int Seed => HashCode.Combine(Cell, I, H, L, Bias) & 0x7fffffff;

        public override string ToString() =>
            $"{Cell} I={I} H={H} L={L} bias={Bias} (lanes {Lanes}, padded {PaddedHidden}, rows {Rows}, blocks of {BlockVectors} vectors)";
    }

    /// <summary>
    /// The documented block order of a <c>[Rows, cols]</c> matrix, built by walking it: blocks of
    /// <c>BlockVectors</c> whole vectors of rows while that many remain, then one block of the rest; within a block, column
    /// after column, each column the block's rows in order. <c>result[row * cols + col]</c> is the position.
    /// </summary>
    private static int[] BlockOrder(Geometry g, int cols)
    {
        int rows = g.Rows;
        int blockRows = g.BlockVectors * g.Lanes;
        int[] position = new int[rows * cols];
        int next = 0;
        for (int start = 0; start < rows;)
        {
            int size = rows - start >= blockRows ? blockRows : rows - start;
            for (int col = 0; col < cols; col++)
            {
                for (int r = 0; r < size; r++)
                {
                    position[((start + r) * cols) + col] = next++;
                }
            }

            start += size;
        }

        return position;
    }

    /// <summary>The packed copy built from the documentation; <paramref name="owner"/> gets, per packed float, the parameter stored there (-1: padding).</summary>
    private static float[] ReferencePack(Geometry g, float[] parameters, out int[] owner)
    {
        int h = g.H, ph = g.PaddedHidden, rows = g.Rows, gates = g.Gates;
        bool gru = g.IsGru;
        var packed = new List<float>();
        var owners = new List<int>();
        int parameterOffset = 0;
        for (int layer = 0; layer < g.L; layer++)
        {
            int inSize = g.LayerInput(layer);
            int wih = parameterOffset, whh = wih + (gates * h * inSize), bih = whh + (gates * h * h), bhh = bih + (gates * h);

            // The GRU's input columns feed [n | r | z] (n first, apart from W_hn h), its hidden columns [r | z | n];
            // every other cell's gates keep PyTorch's order in both.
            int InputRow(int gate, int unit) => gru ? ((gate == 2 ? 0 : gate + 1) * ph) + unit : (gate * ph) + unit;
            int HiddenRow(int gate, int unit) => (gate * ph) + unit;

            (int Cols, int Source, Func<int, int, int> RowOf)[] matrices = [(inSize, wih, InputRow), (h, whh, HiddenRow)];
            foreach ((int cols, int source, Func<int, int, int> rowOf) in matrices)
            {
                int[] order = BlockOrder(g, cols);
                float[] block = new float[rows * cols];
                int[] blockOwner = Enumerable.Repeat(-1, rows * cols).ToArray();
                for (int gate = 0; gate < gates; gate++)
                {
                    for (int unit = 0; unit < h; unit++)
                    {
                        for (int k = 0; k < cols; k++)
                        {
                            int p = source + ((((gate * h) + unit) * cols) + k);
                            int at = order[(rowOf(gate, unit) * cols) + k];
                            block[at] = parameters[p];
                            blockOwner[at] = p;
                        }
                    }
                }

                packed.AddRange(block);
                owners.AddRange(blockOwner);
            }

            // Bias: b_ih + b_hh per gate row; the GRU's n gate keeps b_in (with the input rows) and b_hn (in a fourth block) apart.
            float[] bias = new float[g.BiasLength];
            int[] biasOwner = Enumerable.Repeat(-1, bias.Length).ToArray();
            if (g.Bias)
            {
                for (int gate = 0; gate < gates; gate++)
                {
                    for (int unit = 0; unit < h; unit++)
                    {
                        int i = bih + (gate * h) + unit, j = bhh + (gate * h) + unit;
                        if (gru && gate == 2)
                        {
                            (bias[unit], biasOwner[unit]) = (parameters[i], i);
                            (bias[(3 * ph) + unit], biasOwner[(3 * ph) + unit]) = (parameters[j], j);
                        }
                        else
                        {
                            (bias[InputRow(gate, unit)], biasOwner[InputRow(gate, unit)]) = (parameters[i] + parameters[j], i);
                        }
                    }
                }
            }

            packed.AddRange(bias);
            owners.AddRange(biasOwner);
            parameterOffset += g.LayerParameters(layer);
        }

        owner = [.. owners];
        return [.. packed];
    }

    /// <summary>Random non-zero recurrent parameters (no head: the packed copy has none).</summary>
    private static float[] RandomParameters(Geometry g, int seed)
    {
        var random = new Random(seed);
        float[] values = new float[g.ParameterCount];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() + 0.125) * (random.Next(2) == 0 ? -1f : 1f);
        }

        return values;
    }

    private sealed class GeometryCheck : IShapeCheck
    {
        public void Run<TShape>()
            where TShape : struct, INetworkShape
        {
            var g = Geometry.Of<TShape>();
            Assert.True(g.Lanes is 1 or 4 or 8 or 16, $"{g}: vector width");
            Assert.True(g.Lanes == 1 || g.Lanes <= g.H, $"{g}: a vector wider than the hidden size");
            Assert.True(g.BlockVectors is 4 or 8, $"{g}: block size");
            Assert.True(g.PaddedHidden == PackedLayout<TShape>.PaddedHidden, $"{g}: PaddedHidden is {PackedLayout<TShape>.PaddedHidden}");
            Assert.True(g.Rows == PackedLayout<TShape>.Rows, $"{g}: Rows is {PackedLayout<TShape>.Rows}");
            Assert.True(g.BiasLength == PackedLayout<TShape>.BiasLength, $"{g}: BiasLength is {PackedLayout<TShape>.BiasLength}");
            Assert.True((g.IsGru ? g.PaddedHidden : 0) == PackedLayout<TShape>.HiddenRowsOffset, $"{g}: HiddenRowsOffset");
            Assert.True(g.BiasLength + (g.Cell == Cell.Lstm ? g.PaddedHidden : 0) == PackedLayout<TShape>.ScratchLength, $"{g}: ScratchLength");

            int offset = 0;
            for (int layer = 0; layer < g.L; layer++)
            {
                Assert.True(offset == PackedLayout<TShape>.LayerOffset(layer), $"{g}: LayerOffset({layer})");
                Assert.True(g.PackedLayerLength(layer) == PackedLayout<TShape>.LayerLength(layer), $"{g}: LayerLength({layer})");
                offset += g.PackedLayerLength(layer);
            }

            Assert.True(offset == PackedLayout<TShape>.Length, $"{g}: Length");
            Assert.True(g.ParameterCount == Shape<TShape>.HeadOffset, $"{g}: recurrent parameters");
        }
    }

    private sealed class IndexCheck : IShapeCheck
    {
        public void Run<TShape>()
            where TShape : struct, INetworkShape
        {
            var g = Geometry.Of<TShape>();
            int rows = g.Rows;
            foreach (int cols in new[] { 1, 2, 3, g.I, g.H }.Distinct())
            {
                string shape = $"{g}, {cols} columns";
                bool[] hit = new bool[rows * cols];
                int[] order = BlockOrder(g, cols);
                for (int row = 0; row < rows; row++)
                {
                    for (int col = 0; col < cols; col++)
                    {
                        int index = PackedLayout<TShape>.Index(row, col, rows, cols);
                        Assert.True(index >= 0 && index < rows * cols, $"{shape}: ({row}, {col}) -> {index}, outside the matrix");
                        Assert.False(hit[index], $"{shape}: ({row}, {col}) -> {index}, which another element already has");
                        hit[index] = true;
                        Assert.True(order[(row * cols) + col] == index, $"{shape}: ({row}, {col}) -> {index}, documented order puts it at {order[(row * cols) + col]}");
                    }
                }

                Assert.DoesNotContain(false, hit);
            }
        }
    }

    private sealed class PackCheck : IShapeCheck
    {
        public void Run<TShape>()
            where TShape : struct, INetworkShape
        {
            var g = Geometry.Of<TShape>();
            string shape = g.ToString();
            float[] parameters = RandomParameters(g, g.Seed);
            float[] expected = ReferencePack(g, parameters, out int[] owner);
            Assert.Equal(expected.Length, PackedLayout<TShape>.Length);

            // The oracle itself: every parameter stored exactly once, except the b_hh folded into b_ih + b_hh (all gates
            // but the GRU's n), which are stored only in the sum, counted under b_ih.
            int[] stored = new int[parameters.Length];
            foreach (int p in owner.Where(p => p >= 0))
            {
                stored[p]++;
            }

            int foldedPerLayer = g.Bias ? (g.Gates - (g.IsGru ? 1 : 0)) * g.H : 0;
            Assert.Equal(parameters.Length - (foldedPerLayer * g.L), stored.Count(n => n == 1));
            Assert.DoesNotContain(stored, n => n > 1);

            float[] packed = new float[PackedLayout<TShape>.Length];
            packed.AsSpan().Fill(float.NaN); // garbage where the padding goes: Pack must zero it (the oracle has +0 there)
            PackedLayout<TShape>.Pack(parameters, packed);

            for (int i = 0; i < packed.Length; i++)
            {
                if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(packed[i]))
                {
                    Assert.Fail($"{shape}: packed[{i}] is {packed[i]:R}, expected {expected[i]:R} ({(owner[i] < 0 ? "padding" : $"parameter {owner[i]}")})");
                }
            }
        }
    }

    private sealed class MatchesCheck : IShapeCheck
    {
        public void Run<TShape>()
            where TShape : struct, INetworkShape
        {
            var g = Geometry.Of<TShape>();
            string shape = g.ToString();
            float[] parameters = RandomParameters(g, g.Seed + 1);
            float[] packed = new float[PackedLayout<TShape>.Length];
            PackedLayout<TShape>.Pack(parameters, packed);
            Assert.True(PackedLayout<TShape>.Matches(parameters, packed), $"{shape}: no match right after Pack");

            foreach ((int index, bool folded) in Sample(g))
            {
                float original = parameters[index];

                // A change by a large amount, which no rounding of a folded b_ih + b_hh can hide.
                parameters[index] = original + 0.5f;
                Assert.False(PackedLayout<TShape>.Matches(parameters, packed), $"{shape}: parameter {index} changed by 0.5 still matches");

                // And, where the parameter is stored as it is, the smallest change of all: its last mantissa bit.
                if (!folded)
                {
                    parameters[index] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(original) ^ 1);
                    Assert.False(PackedLayout<TShape>.Matches(parameters, packed), $"{shape}: parameter {index} with its last bit flipped still matches");
                }

                parameters[index] = original;
            }

            Assert.True(PackedLayout<TShape>.Matches(parameters, packed), $"{shape}: no match once every parameter is restored");

            // The packed side is compared too: one stored weight changed behind Pack's back.
            ReferencePack(g, parameters, out int[] owner);
            int slot = Array.FindLastIndex(owner, p => p >= 0);
            packed[slot] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(packed[slot]) ^ 1);
            Assert.False(PackedLayout<TShape>.Matches(parameters, packed), $"{shape}: packed[{slot}] changed still matches");
        }

        /// <summary>
        /// Per layer: the first and last float of each weight matrix and four random others, and the first and last unit of
        /// every gate of both biases (the last unit sits next to the padding); <c>folded</c> tells the biases stored only as
        /// part of a sum b_ih + b_hh.
        /// </summary>
        private static IEnumerable<(int Index, bool Folded)> Sample(Geometry g)
        {
            int h = g.H, gates = g.Gates;
            var random = new Random(g.Seed);
            int offset = 0;
            for (int layer = 0; layer < g.L; layer++)
            {
                int inSize = g.LayerInput(layer);
                int wih = offset, whh = wih + (gates * h * inSize), bih = whh + (gates * h * h), bhh = bih + (gates * h);
                foreach (int i in new[] { wih, whh - 1, whh, bih - 1 })
                {
                    yield return (i, false);
                }

                for (int n = 0; n < 4; n++)
                {
                    yield return (random.Next(wih, bih), false);
                }

                for (int gate = 0; g.Bias && gate < gates; gate++)
                {
                    bool folded = !g.IsGru || gate != 2;
                    foreach (int unit in new[] { 0, h - 1 }.Distinct())
                    {
                        yield return (bih + (gate * h) + unit, folded);
                        yield return (bhh + (gate * h) + unit, folded);
                    }
                }

                offset += g.LayerParameters(layer);
            }
        }
    }
}

/// <summary>Runs a check for one network shape (a type argument, as the engine's shapes are).</summary>
internal interface IShapeCheck
{
    void Run<TShape>()
        where TShape : struct, INetworkShape;
}

/// <summary>Network shapes composed from type-level constants, so that each combination is its own struct.</summary>
internal static class LayoutShapes
{
    public static void ForEach(Cell cell, IShapeCheck check)
    {
        switch (cell)
        {
            case Cell.Rnn:
                Inputs<RnnCell>(check);
                break;
            case Cell.Gru:
                Inputs<GruCell>(check);
                break;
            default:
                Inputs<LstmCell>(check);
                break;
        }
    }

    private static void Inputs<TCell>(IShapeCheck check)
        where TCell : struct, ICellConstant
    {
        Hidden<TCell, N1>(check);
        Hidden<TCell, N7>(check);
    }

    private static void Hidden<TCell, TInput>(IShapeCheck check)
        where TCell : struct, ICellConstant
        where TInput : struct, IIntConstant
    {
        Layers<TCell, TInput, N1>(check);
        Layers<TCell, TInput, N3>(check);
        Layers<TCell, TInput, N8>(check);
        Layers<TCell, TInput, N15>(check);
        Layers<TCell, TInput, N16>(check);
        Layers<TCell, TInput, N17>(check);
        Layers<TCell, TInput, N33>(check);
        Layers<TCell, TInput, N64>(check);
    }

    private static void Layers<TCell, TInput, THidden>(IShapeCheck check)
        where TCell : struct, ICellConstant
        where TInput : struct, IIntConstant
        where THidden : struct, IIntConstant
    {
        Bias<TCell, TInput, THidden, N1>(check);
        Bias<TCell, TInput, THidden, N2>(check);
    }

    private static void Bias<TCell, TInput, THidden, TLayers>(IShapeCheck check)
        where TCell : struct, ICellConstant
        where TInput : struct, IIntConstant
        where THidden : struct, IIntConstant
        where TLayers : struct, IIntConstant
    {
        check.Run<Composed<TCell, TInput, THidden, TLayers, Yes>>();
        check.Run<Composed<TCell, TInput, THidden, TLayers, No>>();
    }

    internal interface IIntConstant
    {
        static abstract int Value { get; }
    }

    internal interface IBoolConstant
    {
        static abstract bool Value { get; }
    }

    internal interface ICellConstant
    {
        static abstract Cell Value { get; }
    }

    internal readonly struct Composed<TCell, TInput, THidden, TLayers, TBias> : INetworkShape
        where TCell : struct, ICellConstant
        where TInput : struct, IIntConstant
        where THidden : struct, IIntConstant
        where TLayers : struct, IIntConstant
        where TBias : struct, IBoolConstant
    {
        public static int InputSize => TInput.Value;

        public static int HiddenSize => THidden.Value;

        public static int NumLayers => TLayers.Value;

        public static int OutputSize => 0;

        public static Cell Cell => TCell.Value;

        public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;

        public static bool Bias => TBias.Value;

        public static int Window => 1;
    }

    internal readonly struct RnnCell : ICellConstant
    {
        public static Cell Value => Cell.Rnn;
    }

    internal readonly struct GruCell : ICellConstant
    {
        public static Cell Value => Cell.Gru;
    }

    internal readonly struct LstmCell : ICellConstant
    {
        public static Cell Value => Cell.Lstm;
    }

    internal readonly struct Yes : IBoolConstant
    {
        public static bool Value => true;
    }

    internal readonly struct No : IBoolConstant
    {
        public static bool Value => false;
    }

    internal readonly struct N1 : IIntConstant
    {
        public static int Value => 1;
    }

    internal readonly struct N2 : IIntConstant
    {
        public static int Value => 2;
    }

    internal readonly struct N3 : IIntConstant
    {
        public static int Value => 3;
    }

    internal readonly struct N7 : IIntConstant
    {
        public static int Value => 7;
    }

    internal readonly struct N8 : IIntConstant
    {
        public static int Value => 8;
    }

    internal readonly struct N15 : IIntConstant
    {
        public static int Value => 15;
    }

    internal readonly struct N16 : IIntConstant
    {
        public static int Value => 16;
    }

    internal readonly struct N17 : IIntConstant
    {
        public static int Value => 17;
    }

    internal readonly struct N33 : IIntConstant
    {
        public static int Value => 33;
    }

    internal readonly struct N64 : IIntConstant
    {
        public static int Value => 64;
    }
}
