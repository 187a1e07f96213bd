using System.Runtime.CompilerServices;

namespace Fixed;

/// <summary>
/// <see cref="PackedMath.MultiplyAdd{TVec}"/> over the bfloat16 copy (<see cref="ReducedLayout{TShape}"/>): the same row
/// blocks, the same accumulators fed by the same columns in the same order, so that the sums are bit for bit those of the
/// fp32 kernel over the same (rounded) weights; only the loads differ: one 32-bit load per row vector and column pair,
/// widened to two fp32 vectors in registers (<see cref="ISimd{TSelf}.LoadBFloat16Slots"/>, <see cref="ISimd{TSelf}.BFloat16Low"/>,
/// <see cref="ISimd{TSelf}.BFloat16High"/>). Half the bytes per step, which
/// is the point: hidden-64 GRU and LSTM matrices (48 and 64 KB in fp32) fit the 48 KB L1 cache this way.
/// </summary>
internal static class ReducedMath
{
    /// <summary>
    /// <c>y[0..rows) = init[0..rows) + W x</c> for a <c>[rows, cols]</c> bfloat16 matrix stored block by block, column pairs
    /// interleaved (<see cref="ReducedLayout{TShape}"/>). <paramref name="rows"/> is a multiple of <c>TVec.Count</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void MultiplyAdd<TVec>(ref ushort w, int rows, int cols, ref float x, ref float init, ref float y)
        where TVec : struct, ISimd<TVec>
    {
        int paired = cols + (cols & 1);
        int vectors = rows / TVec.Count;
        int tail = vectors % PackedMath.BlockVectors;
        int full = vectors - tail;
        int blockRows = PackedMath.BlockVectors * TVec.Count;
        for (int v = 0; v < full; v += PackedMath.BlockVectors)
        {
            int offset = v * TVec.Count;
            if (PackedMath.BlockVectors == 8)
            {
                Wide<TVec, Eight>(ref Unsafe.Add(ref w, offset * paired), blockRows, cols, ref x, ref Unsafe.Add(ref init, offset), ref Unsafe.Add(ref y, offset));
            }
            else
            {
                Wide<TVec, Four>(ref Unsafe.Add(ref w, offset * paired), blockRows, cols, ref x, ref Unsafe.Add(ref init, offset), ref Unsafe.Add(ref y, offset));
            }
        }

        ref ushort tw = ref Unsafe.Add(ref w, full * TVec.Count * paired);
        ref float ti = ref Unsafe.Add(ref init, full * TVec.Count);
        ref float ty = ref Unsafe.Add(ref y, full * TVec.Count);
        int tailRows = tail * TVec.Count;
        if (tail == 1)
        {
            Narrow<TVec, One>(ref tw, tailRows, cols, ref x, ref ti, ref ty);
        }
        else if (tail == 2)
        {
            Narrow<TVec, Two>(ref tw, tailRows, cols, ref x, ref ti, ref ty);
        }
        else if (tail == 3)
        {
            Wide<TVec, Three>(ref tw, tailRows, cols, ref x, ref ti, ref ty);
        }
        else if (tail == 4)
        {
            Wide<TVec, Four>(ref tw, tailRows, cols, ref x, ref ti, ref ty);
        }
        else if (tail == 5)
        {
            Wide<TVec, Five>(ref tw, tailRows, cols, ref x, ref ti, ref ty);
        }
        else if (tail == 6)
        {
            Wide<TVec, Six>(ref tw, tailRows, cols, ref x, ref ti, ref ty);
        }
        else if (tail == 7)
        {
            Wide<TVec, Seven>(ref tw, tailRows, cols, ref x, ref ti, ref ty);
        }
    }

    /// <summary>The 32-bit slots of the column pair that starts at even column <paramref name="column"/> of a block <paramref name="rows"/> high.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref uint Pair(ref ushort w, int column, int rows) => ref Unsafe.As<ushort, uint>(ref Unsafe.Add(ref w, (nuint)column * (nuint)rows));

    /// <summary>
    /// A block of 3 to 8 vectors: <see cref="PackedMath"/>'s <c>Wide</c>, even columns into <c>a</c>, odd into <c>b</c>.
    /// Each column pair's slots are loaded once and widened twice (<see cref="ISimd{TSelf}.BFloat16Low"/>,
    /// <see cref="ISimd{TSelf}.BFloat16High"/>), the high halves' mask held in a register, and the loop moves its
    /// references on rather than computing each pair's address. Written with a load-and-widen of both halves at once (with
    /// the mask made inside it) and an address multiplied out per pair, the JIT computed the address with an <c>imul</c> and loaded the mask again
    /// for every pair, at every width (the listings of SSE, AVX2 and AVX-512 alike); a 256-bit copy of the kernel fixed it for
    /// AVX2 alone (f0c2061). This one form serves every width: on a Zen 3 core, alternated in one process, its AVX2 step was
    /// as fast as that copy's (bf16 GRU and LSTM 1→64: 0.994–1.014 of its time, per-round medians) and its SSE step took
    /// 0.95 of the old generic kernel's.
    /// </summary>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    private static void Wide<TVec, TCount>(ref ushort w, int rows, int cols, ref float x, ref float init, ref float y)
        where TVec : struct, ISimd<TVec>
        where TCount : struct, IConstant
    {
        int nv = TCount.Value;
        nuint n = (nuint)TVec.Count;
        TVec a0 = TVec.Load(ref init, 0);
        TVec a1 = TVec.Load(ref init, n);
        TVec a2 = TVec.Load(ref init, 2 * n);
        TVec a3 = nv > 3 ? TVec.Load(ref init, 3 * n) : default;
        TVec a4 = nv > 4 ? TVec.Load(ref init, 4 * n) : default;
        TVec a5 = nv > 5 ? TVec.Load(ref init, 5 * n) : default;
        TVec a6 = nv > 6 ? TVec.Load(ref init, 6 * n) : default;
        TVec a7 = nv > 7 ? TVec.Load(ref init, 7 * n) : default;
        TVec b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        TVec high = TVec.BFloat16HighMask;
        ref uint c = ref Unsafe.As<ushort, uint>(ref w);
        nuint pairStride = (nuint)rows; // a column pair: one 32-bit slot per row
        ref float xj = ref x;
        ref float xPairsEnd = ref Unsafe.Add(ref x, cols & ~1);
        while (Unsafe.IsAddressLessThan(ref xj, ref xPairsEnd))
        {
            TVec x0 = TVec.Broadcast(xj);
            TVec x1 = TVec.Broadcast(Unsafe.Add(ref xj, 1));
            TVec p = TVec.LoadBFloat16Slots(ref c, 0);
            a0 = TVec.MultiplyAdd(TVec.BFloat16Low(p), x0, a0);
            b0 = TVec.MultiplyAdd(TVec.BFloat16High(p, high), x1, b0);
            p = TVec.LoadBFloat16Slots(ref c, n);
            a1 = TVec.MultiplyAdd(TVec.BFloat16Low(p), x0, a1);
            b1 = TVec.MultiplyAdd(TVec.BFloat16High(p, high), x1, b1);
            p = TVec.LoadBFloat16Slots(ref c, 2 * n);
            a2 = TVec.MultiplyAdd(TVec.BFloat16Low(p), x0, a2);
            b2 = TVec.MultiplyAdd(TVec.BFloat16High(p, high), x1, b2);
            if (nv > 3)
            {
                p = TVec.LoadBFloat16Slots(ref c, 3 * n);
                a3 = TVec.MultiplyAdd(TVec.BFloat16Low(p), x0, a3);
                b3 = TVec.MultiplyAdd(TVec.BFloat16High(p, high), x1, b3);
            }

            if (nv > 4)
            {
                p = TVec.LoadBFloat16Slots(ref c, 4 * n);
                a4 = TVec.MultiplyAdd(TVec.BFloat16Low(p), x0, a4);
                b4 = TVec.MultiplyAdd(TVec.BFloat16High(p, high), x1, b4);
            }

            if (nv > 5)
            {
                p = TVec.LoadBFloat16Slots(ref c, 5 * n);
                a5 = TVec.MultiplyAdd(TVec.BFloat16Low(p), x0, a5);
                b5 = TVec.MultiplyAdd(TVec.BFloat16High(p, high), x1, b5);
            }

            if (nv > 6)
            {
                p = TVec.LoadBFloat16Slots(ref c, 6 * n);
                a6 = TVec.MultiplyAdd(TVec.BFloat16Low(p), x0, a6);
                b6 = TVec.MultiplyAdd(TVec.BFloat16High(p, high), x1, b6);
            }

            if (nv > 7)
            {
                p = TVec.LoadBFloat16Slots(ref c, 7 * n);
                a7 = TVec.MultiplyAdd(TVec.BFloat16Low(p), x0, a7);
                b7 = TVec.MultiplyAdd(TVec.BFloat16High(p, high), x1, b7);
            }

            c = ref Unsafe.Add(ref c, pairStride);
            xj = ref Unsafe.Add(ref xj, 2);
        }

        if ((cols & 1) != 0)
        {
            // The odd last column: the low halves of a pair whose high halves are zero padding.
            TVec x0 = TVec.Broadcast(xj);
            a0 = TVec.MultiplyAdd(TVec.BFloat16Low(TVec.LoadBFloat16Slots(ref c, 0)), x0, a0);
            a1 = TVec.MultiplyAdd(TVec.BFloat16Low(TVec.LoadBFloat16Slots(ref c, n)), x0, a1);
            a2 = TVec.MultiplyAdd(TVec.BFloat16Low(TVec.LoadBFloat16Slots(ref c, 2 * n)), x0, a2);
            if (nv > 3)
            {
                a3 = TVec.MultiplyAdd(TVec.BFloat16Low(TVec.LoadBFloat16Slots(ref c, 3 * n)), x0, a3);
            }

            if (nv > 4)
            {
                a4 = TVec.MultiplyAdd(TVec.BFloat16Low(TVec.LoadBFloat16Slots(ref c, 4 * n)), x0, a4);
            }

            if (nv > 5)
            {
                a5 = TVec.MultiplyAdd(TVec.BFloat16Low(TVec.LoadBFloat16Slots(ref c, 5 * n)), x0, a5);
            }

            if (nv > 6)
            {
                a6 = TVec.MultiplyAdd(TVec.BFloat16Low(TVec.LoadBFloat16Slots(ref c, 6 * n)), x0, a6);
            }

            if (nv > 7)
            {
                a7 = TVec.MultiplyAdd(TVec.BFloat16Low(TVec.LoadBFloat16Slots(ref c, 7 * n)), x0, a7);
            }
        }

        TVec.Store(TVec.Add(a0, b0), ref y, 0);
        TVec.Store(TVec.Add(a1, b1), ref y, n);
        TVec.Store(TVec.Add(a2, b2), ref y, 2 * n);
        if (nv > 3)
        {
            TVec.Store(TVec.Add(a3, b3), ref y, 3 * n);
        }

        if (nv > 4)
        {
            TVec.Store(TVec.Add(a4, b4), ref y, 4 * n);
        }

        if (nv > 5)
        {
            TVec.Store(TVec.Add(a5, b5), ref y, 5 * n);
        }

        if (nv > 6)
        {
            TVec.Store(TVec.Add(a6, b6), ref y, 6 * n);
        }

        if (nv > 7)
        {
            TVec.Store(TVec.Add(a7, b7), ref y, 7 * n);
        }
    }

    /// <summary>A block of 1 or 2 vectors: <see cref="PackedMath"/>'s <c>Narrow</c>, columns j, j+1, j+2, j+3 into a, b, c, d.</summary>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    private static void Narrow<TVec, TCount>(ref ushort w, int rows, int cols, ref float x, ref float init, ref float y)
        where TVec : struct, ISimd<TVec>
        where TCount : struct, IConstant
    {
        int nv = TCount.Value;
        nuint n = (nuint)TVec.Count;
        TVec a0 = TVec.Load(ref init, 0);
        TVec a1 = nv > 1 ? TVec.Load(ref init, n) : default;
        TVec b0 = default, b1 = default, c0 = default, c1 = default, d0 = default, d1 = default;
        TVec high = TVec.BFloat16HighMask;
        TVec slots;
        int j = 0;
        for (; j < cols - 3; j += 4)
        {
            ref uint p = ref Pair(ref w, j, rows);
            ref uint r = ref Pair(ref w, j + 2, rows);
            TVec x0 = TVec.Broadcast(Unsafe.Add(ref x, j));
            TVec x1 = TVec.Broadcast(Unsafe.Add(ref x, j + 1));
            TVec x2 = TVec.Broadcast(Unsafe.Add(ref x, j + 2));
            TVec x3 = TVec.Broadcast(Unsafe.Add(ref x, j + 3));
            slots = TVec.LoadBFloat16Slots(ref p, 0);
            a0 = TVec.MultiplyAdd(TVec.BFloat16Low(slots), x0, a0);
            b0 = TVec.MultiplyAdd(TVec.BFloat16High(slots, high), x1, b0);
            slots = TVec.LoadBFloat16Slots(ref r, 0);
            c0 = TVec.MultiplyAdd(TVec.BFloat16Low(slots), x2, c0);
            d0 = TVec.MultiplyAdd(TVec.BFloat16High(slots, high), x3, d0);
            if (nv > 1)
            {
                slots = TVec.LoadBFloat16Slots(ref p, n);
                a1 = TVec.MultiplyAdd(TVec.BFloat16Low(slots), x0, a1);
                b1 = TVec.MultiplyAdd(TVec.BFloat16High(slots, high), x1, b1);
                slots = TVec.LoadBFloat16Slots(ref r, n);
                c1 = TVec.MultiplyAdd(TVec.BFloat16Low(slots), x2, c1);
                d1 = TVec.MultiplyAdd(TVec.BFloat16High(slots, high), x3, d1);
            }
        }

        for (; j < cols; j++)
        {
            // j is a multiple of 4 here, then one more: an even column is a pair's low half, an odd one its high half.
            ref uint p = ref Pair(ref w, j & ~1, rows);
            TVec x0 = TVec.Broadcast(Unsafe.Add(ref x, j));
            slots = TVec.LoadBFloat16Slots(ref p, 0);
            a0 = TVec.MultiplyAdd((j & 1) == 0 ? TVec.BFloat16Low(slots) : TVec.BFloat16High(slots, high), x0, a0);
            if (nv > 1)
            {
                slots = TVec.LoadBFloat16Slots(ref p, n);
                a1 = TVec.MultiplyAdd((j & 1) == 0 ? TVec.BFloat16Low(slots) : TVec.BFloat16High(slots, high), x0, a1);
            }
        }

        TVec.Store(TVec.Add(TVec.Add(a0, b0), TVec.Add(c0, d0)), ref y, 0);
        if (nv > 1)
        {
            TVec.Store(TVec.Add(TVec.Add(a1, b1), TVec.Add(c1, d1)), ref y, n);
        }
    }
}
