using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Fixed;

/// <summary>
/// The bfloat16 copy of the packed weight matrices, for a model declared with <c>WeightPrecision = BFloat16</c>
/// (<see cref="WeightPrecision"/>). It lives in the same pinned buffer as the fp32 packed copy
/// (<see cref="PackedLayout{TShape}"/>), after it, from the next 64-byte boundary (<see cref="Offset"/>), and holds per
/// layer <c>Wx</c> then <c>Wh</c> with the same row blocks as the fp32 copy. Within a block, columns go in pairs: each
/// 32-bit slot holds one row's value of column 2p (low half) and of column 2p+1 (high half), so the kernel
/// (<see cref="ReducedMath"/>) gets two columns' weights for one row vector with one load
/// (<see cref="ISimd{TSelf}.LoadBFloat16Slots"/>, widened by <see cref="ISimd{TSelf}.BFloat16Low"/> and
/// <see cref="ISimd{TSelf}.BFloat16High"/>); an odd last column is paired with zeros.
/// </summary>
/// <remarks>
/// The fp32 packed copy of such a model holds the same rounded weights (<see cref="PackedLayout{TShape}.Pack"/> is given
/// the rounded parameters), so every path reads the same values: single-stream steps this copy, many-stream steps and
/// the head the fp32 one. Only the weight matrices are rounded; biases and a head stay fp32.
/// </remarks>
internal static class ReducedLayout<TShape>
    where TShape : struct, INetworkShape
{
    /// <summary>Whether the model keeps a bfloat16 copy. A JIT-time constant.</summary>
    public static bool Enabled
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.WeightPrecision == WeightPrecision.BFloat16;
    }

    private static int Rows
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => PackedLayout<TShape>.Rows;
    }

    /// <summary>Columns rounded up to whole pairs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Paired(int cols) => cols + (cols & 1);

    /// <summary>16-bit values of one layer: both matrices at paired widths.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LayerLength(int layer) => Rows * (Paired(Shape<TShape>.LayerInput(layer)) + Paired(TShape.HiddenSize));

    /// <summary>Where a layer starts, in 16-bit values from the start of the copy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LayerOffset(int layer) =>
        layer == 0 ? 0 : LayerLength(0) + ((layer - 1) * Rows * 2 * Paired(TShape.HiddenSize));

    /// <summary>Where the hidden matrix of a layer starts, in 16-bit values from the start of the copy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int HiddenOffset(int layer) => LayerOffset(layer) + (Rows * Paired(Shape<TShape>.LayerInput(layer)));

    /// <summary>16-bit values of the whole copy; 0 when the model is fp32.</summary>
    public static int Length
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Enabled ? LayerOffset(TShape.NumLayers) : 0;
    }

    /// <summary>Where the copy starts in the packed buffer, in floats: the fp32 copy's length rounded up to 64 bytes.</summary>
    public static int Offset
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (PackedLayout<TShape>.Length + 15) & ~15;
    }

    /// <summary>Floats of the packed buffer: the fp32 copy, and the bfloat16 one after it when there is one.</summary>
    public static int StoredLength
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Enabled ? Offset + ((Length + 1) / 2) : PackedLayout<TShape>.Length;
    }

    /// <summary>The first 16-bit value of the copy inside the packed buffer <paramref name="packed"/> (<see cref="StoredLength"/> floats).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref ushort Start(ReadOnlySpan<float> packed) =>
        ref Unsafe.As<float, ushort>(ref Unsafe.Add(ref MemoryMarshal.GetReference(packed), Offset));

    /// <summary>
    /// Rounds the recurrent layers' weight matrices (<c>weight_ih</c>, <c>weight_hh</c>) of <paramref name="parameters"/> (PyTorch
    /// layout) to bfloat16 in place; biases and the head are left as they are.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void RoundMatrices(Span<float> parameters)
    {
        int h = TShape.HiddenSize;
        int gh = Shape<TShape>.Gates * h;
        for (int layer = 0; layer < TShape.NumLayers; layer++)
        {
            int matrices = gh * (Shape<TShape>.LayerInput(layer) + h);
            BFloat16.RoundInPlace(parameters.Slice(Shape<TShape>.LayerOffset(layer), matrices));
        }
    }

    /// <summary>
    /// Writes the bfloat16 copy from the fp32 packed copy, whose matrices already hold bfloat16 values (so this drops only
    /// zero bits). <paramref name="packed"/> is the whole buffer of <see cref="StoredLength"/> floats.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Pack(Span<float> packed)
    {
        Span<ushort> reduced = MemoryMarshal.Cast<float, ushort>(packed.Slice(Offset)).Slice(0, Length);
        for (int layer = 0; layer < TShape.NumLayers; layer++)
        {
            int inSize = Shape<TShape>.LayerInput(layer);
            int source = PackedLayout<TShape>.LayerOffset(layer);
            PackMatrix(packed.Slice(source, Rows * inSize), inSize, reduced.Slice(LayerOffset(layer), Rows * Paired(inSize)));
            PackMatrix(packed.Slice(source + (Rows * inSize), Rows * TShape.HiddenSize), TShape.HiddenSize,
                reduced.Slice(HiddenOffset(layer), Rows * Paired(TShape.HiddenSize)));
        }
    }

    /// <summary>One <c>[Rows, cols]</c> matrix, block by block as <see cref="PackedLayout{TShape}.Index"/> cuts it, columns in pairs.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void PackMatrix(ReadOnlySpan<float> matrix, int cols, Span<ushort> reduced)
    {
        int rows = Rows;
        int pairs = Paired(cols) / 2;
        int blockRows = PackedMath.BlockVectors * PackedLayout<TShape>.Lanes;
        int fullRows = rows - (rows / PackedLayout<TShape>.Lanes % PackedMath.BlockVectors * PackedLayout<TShape>.Lanes);
        for (int start = 0; start < rows; start += blockRows)
        {
            int height = start < fullRows ? blockRows : rows - fullRows;
            ReadOnlySpan<float> block = matrix.Slice(start * cols, height * cols);
            Span<ushort> target = reduced.Slice(start * Paired(cols), height * Paired(cols));
            for (int pair = 0; pair < pairs; pair++)
            {
                int even = 2 * pair;
                for (int row = 0; row < height; row++)
                {
                    target[(even * height) + (2 * row)] = BFloat16.Round(block[(even * height) + row]);
                    target[(even * height) + (2 * row) + 1] = even + 1 < cols ? BFloat16.Round(block[((even + 1) * height) + row]) : (ushort)0;
                }
            }

            if (start + height >= rows)
            {
                break;
            }
        }
    }
}
