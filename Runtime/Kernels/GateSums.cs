using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Fixed;

/// <summary>
/// The bias gradients of a recurrent layer for a whole recorded sequence, in one pass over the steps:
/// <c>b_ih += Σ d_s</c>, <c>b_hh += Σ e_s</c> and, for an input of one feature, the weight column <c>w_ih += Σ d_s x_s</c>.
/// </summary>
/// <remarks>
/// Each of these sums is a chain of one addition per step, so a pass that computes one of them for a few vectors is bound
/// by the addition's latency, not by throughput: as three calls of <see cref="VectorMath.AddSteps"/> and
/// <see cref="VectorMath.OuterAddSteps"/> (its one-column case) they took ~6 % of a batched GRU 1→32 Backward for ~1 % of
/// its arithmetic. Here every block of rows keeps the three sums in registers side by side, so three times as many
/// independent chains share each step's loads. Per element the operations and their order are those of the separate
/// calls (steps from the last to the first), so the results are the same bits.
/// </remarks>
internal static class GateSums
{
    /// <summary>
    /// <c>bih += Σ d_s</c>, <c>bhh += Σ e_s</c> and, unless <paramref name="column"/> is empty, <c>column += Σ d_s x_s</c>,
    /// over <paramref name="steps"/> steps from the last: <c>d_s</c> at <c>s · stride</c> of <paramref name="d"/>, <c>e_s</c> of
    /// <paramref name="e"/> and the scalar <c>x_s</c> of <paramref name="x"/> likewise (one stride: they lie on one tape).
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void BiasSteps(Span<float> column, Span<float> bih, Span<float> bhh, ReadOnlySpan<float> d, ReadOnlySpan<float> e,
        ReadOnlySpan<float> x, int stride, int steps)
    {
        if (column.IsEmpty)
        {
            Run<NoColumn>(ref MemoryMarshal.GetReference(bih), ref MemoryMarshal.GetReference(bih), ref MemoryMarshal.GetReference(bhh), bih.Length,
                ref MemoryMarshal.GetReference(d), ref MemoryMarshal.GetReference(e), ref MemoryMarshal.GetReference(x), stride, steps);
        }
        else
        {
            Run<WithColumn>(ref MemoryMarshal.GetReference(column), ref MemoryMarshal.GetReference(bih), ref MemoryMarshal.GetReference(bhh), bih.Length,
                ref MemoryMarshal.GetReference(d), ref MemoryMarshal.GetReference(e), ref MemoryMarshal.GetReference(x), stride, steps);
        }
    }

    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void Run<TColumn>(ref float column, ref float bih, ref float bhh, int rows, ref float d, ref float e, ref float x, int stride, int steps)
        where TColumn : struct, IColumn
    {
        int r = 0;
        if ((Path512.Emulated || Vector512.IsHardwareAccelerated) && rows >= Vector512<float>.Count)
        {
            r = Rows<Simd512, TColumn>(ref column, ref bih, ref bhh, rows, ref d, ref e, ref x, stride, steps, r);
        }

        if (Vector256.IsHardwareAccelerated && rows - r >= Vector256<float>.Count)
        {
            r = Rows<Simd256, TColumn>(ref column, ref bih, ref bhh, rows, ref d, ref e, ref x, stride, steps, r);
        }

        if (Vector128.IsHardwareAccelerated && rows - r >= Vector128<float>.Count)
        {
            r = Rows<Simd128, TColumn>(ref column, ref bih, ref bhh, rows, ref d, ref e, ref x, stride, steps, r);
        }

        Rows<Simd1, TColumn>(ref column, ref bih, ref bhh, rows, ref d, ref e, ref x, stride, steps, r);
    }

    /// <summary>Rows from <paramref name="from"/> in whole vectors, four, then two, then one at a time; returns the rows done.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static int Rows<TVec, TColumn>(ref float column, ref float bih, ref float bhh, int rows, ref float d, ref float e, ref float x,
        int stride, int steps, int from)
        where TVec : struct, ISimd<TVec>
        where TColumn : struct, IColumn
    {
        int n = TVec.Count;
        int end = from + ((rows - from) / n * n);
        int r = from;
        for (; r <= end - (4 * n); r += 4 * n)
        {
            nuint r0 = (nuint)r, r1 = (nuint)(r + n), r2 = (nuint)(r + (2 * n)), r3 = (nuint)(r + (3 * n));
            TVec c0 = default, c1 = default, c2 = default, c3 = default;
            if (TColumn.Present)
            {
                c0 = TVec.Load(ref column, r0);
                c1 = TVec.Load(ref column, r1);
                c2 = TVec.Load(ref column, r2);
                c3 = TVec.Load(ref column, r3);
            }

            TVec i0 = TVec.Load(ref bih, r0), i1 = TVec.Load(ref bih, r1), i2 = TVec.Load(ref bih, r2), i3 = TVec.Load(ref bih, r3);
            TVec h0 = TVec.Load(ref bhh, r0), h1 = TVec.Load(ref bhh, r1), h2 = TVec.Load(ref bhh, r2), h3 = TVec.Load(ref bhh, r3);
            for (int s = steps - 1; s >= 0; s--)
            {
                ref float ds = ref Unsafe.Add(ref d, s * stride);
                ref float es = ref Unsafe.Add(ref e, s * stride);
                TVec d0 = TVec.Load(ref ds, r0), d1 = TVec.Load(ref ds, r1), d2 = TVec.Load(ref ds, r2), d3 = TVec.Load(ref ds, r3);
                if (TColumn.Present)
                {
                    TVec xs = TVec.Broadcast(Unsafe.Add(ref x, s * stride));
                    c0 = TVec.MultiplyAdd(d0, xs, c0);
                    c1 = TVec.MultiplyAdd(d1, xs, c1);
                    c2 = TVec.MultiplyAdd(d2, xs, c2);
                    c3 = TVec.MultiplyAdd(d3, xs, c3);
                }

                i0 = TVec.Add(d0, i0);
                i1 = TVec.Add(d1, i1);
                i2 = TVec.Add(d2, i2);
                i3 = TVec.Add(d3, i3);
                h0 = TVec.Add(TVec.Load(ref es, r0), h0);
                h1 = TVec.Add(TVec.Load(ref es, r1), h1);
                h2 = TVec.Add(TVec.Load(ref es, r2), h2);
                h3 = TVec.Add(TVec.Load(ref es, r3), h3);
            }

            if (TColumn.Present)
            {
                TVec.Store(c0, ref column, r0);
                TVec.Store(c1, ref column, r1);
                TVec.Store(c2, ref column, r2);
                TVec.Store(c3, ref column, r3);
            }

            TVec.Store(i0, ref bih, r0);
            TVec.Store(i1, ref bih, r1);
            TVec.Store(i2, ref bih, r2);
            TVec.Store(i3, ref bih, r3);
            TVec.Store(h0, ref bhh, r0);
            TVec.Store(h1, ref bhh, r1);
            TVec.Store(h2, ref bhh, r2);
            TVec.Store(h3, ref bhh, r3);
        }

        for (; r <= end - (2 * n); r += 2 * n)
        {
            nuint r0 = (nuint)r, r1 = (nuint)(r + n);
            TVec c0 = default, c1 = default;
            if (TColumn.Present)
            {
                c0 = TVec.Load(ref column, r0);
                c1 = TVec.Load(ref column, r1);
            }

            TVec i0 = TVec.Load(ref bih, r0), i1 = TVec.Load(ref bih, r1);
            TVec h0 = TVec.Load(ref bhh, r0), h1 = TVec.Load(ref bhh, r1);
            for (int s = steps - 1; s >= 0; s--)
            {
                ref float ds = ref Unsafe.Add(ref d, s * stride);
                ref float es = ref Unsafe.Add(ref e, s * stride);
                TVec d0 = TVec.Load(ref ds, r0), d1 = TVec.Load(ref ds, r1);
                if (TColumn.Present)
                {
                    TVec xs = TVec.Broadcast(Unsafe.Add(ref x, s * stride));
                    c0 = TVec.MultiplyAdd(d0, xs, c0);
                    c1 = TVec.MultiplyAdd(d1, xs, c1);
                }

                i0 = TVec.Add(d0, i0);
                i1 = TVec.Add(d1, i1);
                h0 = TVec.Add(TVec.Load(ref es, r0), h0);
                h1 = TVec.Add(TVec.Load(ref es, r1), h1);
            }

            if (TColumn.Present)
            {
                TVec.Store(c0, ref column, r0);
                TVec.Store(c1, ref column, r1);
            }

            TVec.Store(i0, ref bih, r0);
            TVec.Store(i1, ref bih, r1);
            TVec.Store(h0, ref bhh, r0);
            TVec.Store(h1, ref bhh, r1);
        }

        for (; r < end; r += n)
        {
            nuint r0 = (nuint)r;
            TVec c0 = TColumn.Present ? TVec.Load(ref column, r0) : default;
            TVec i0 = TVec.Load(ref bih, r0);
            TVec h0 = TVec.Load(ref bhh, r0);
            for (int s = steps - 1; s >= 0; s--)
            {
                TVec d0 = TVec.Load(ref Unsafe.Add(ref d, s * stride), r0);
                if (TColumn.Present)
                {
                    c0 = TVec.MultiplyAdd(d0, TVec.Broadcast(Unsafe.Add(ref x, s * stride)), c0);
                }

                i0 = TVec.Add(d0, i0);
                h0 = TVec.Add(TVec.Load(ref Unsafe.Add(ref e, s * stride), r0), h0);
            }

            if (TColumn.Present)
            {
                TVec.Store(c0, ref column, r0);
            }

            TVec.Store(i0, ref bih, r0);
            TVec.Store(h0, ref bhh, r0);
        }

        return end;
    }

    /// <summary>Whether the pass also accumulates the input weight column (a JIT-time constant per instantiation).</summary>
    private interface IColumn
    {
        static abstract bool Present { get; }
    }

    private readonly struct WithColumn : IColumn
    {
        public static bool Present => true;
    }

    private readonly struct NoColumn : IColumn
    {
        public static bool Present => false;
    }
}
