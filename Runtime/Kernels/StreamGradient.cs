using System;
using System.Runtime.CompilerServices;

namespace Fixed;

/// <summary>
/// The backward sweep's <c>y_s += Wᵀ d_s</c> for up to four independent sequences at once (the batched Backward's group):
/// each row of <c>W</c> is loaded once for all of them, and the sequences' sums are independent chains of multiply-adds, so
/// the group's sweeps hide each other's latency instead of running one after another.
/// </summary>
internal static class StreamGradient
{
    /// <summary>
    /// <c>y_s[0..cols) += Wᵀ d_s</c> for <paramref name="streams"/> (1 to 4) sequences: <c>W</c> row-major
    /// <paramref name="rows"/> × <paramref name="cols"/>, <c>d_s</c> at <c>d + s·dStride</c>, <c>y_s</c> at <c>y + s·yStride</c>.
    /// Pairs of column vectors sum their rows in order; a last single vector sums them in two interleaved halves (even and odd
    /// rows) added at the end.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void TransposedAdd<TVec>(ref float w, int rows, int cols, ref float d, int dStride, ref float y, int yStride, int streams)
        where TVec : struct, ISimd<TVec>
    {
        switch (streams)
        {
            case 4:
                Columns<TVec, Four>(ref w, rows, cols, ref d, (nuint)dStride, ref y, (nuint)yStride);
                break;
            case 3:
                Columns<TVec, Three>(ref w, rows, cols, ref d, (nuint)dStride, ref y, (nuint)yStride);
                break;
            case 2:
                Columns<TVec, Two>(ref w, rows, cols, ref d, (nuint)dStride, ref y, (nuint)yStride);
                break;
            default:
                Columns<TVec, One>(ref w, rows, cols, ref d, (nuint)dStride, ref y, (nuint)yStride);
                break;
        }
    }

    /// <summary>Whole vectors of columns with <see cref="Block{TVec, TStreams}"/>; the columns left over one float at a time.</summary>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    private static void Columns<TVec, TStreams>(ref float w, int rows, int cols, ref float d, nuint dStride, ref float y, nuint yStride)
        where TVec : struct, ISimd<TVec>
        where TStreams : struct, IConstant
    {
        int n = TVec.Count;
        int c = 0;
        for (; c <= cols - (2 * n); c += 2 * n)
        {
            Pair<TVec, TStreams>(ref Unsafe.Add(ref w, c), rows, (nuint)cols, ref d, dStride, ref Unsafe.Add(ref y, c), yStride);
        }

        for (; c <= cols - n; c += n)
        {
            Block<TVec, TStreams>(ref Unsafe.Add(ref w, c), rows, (nuint)cols, ref d, dStride, ref Unsafe.Add(ref y, c), yStride);
        }

        for (; c < cols; c++)
        {
            for (int s = 0; s < TStreams.Value; s++)
            {
                ref float ds = ref Unsafe.Add(ref d, (nuint)s * dStride);
                ref float ys = ref Unsafe.Add(ref y, ((nuint)s * yStride) + (nuint)c);
                float sum = ys;
                for (int r = 0; r < rows; r++)
                {
                    sum = float.MultiplyAddEstimate(Unsafe.Add(ref ds, r), Unsafe.Add(ref w, (r * cols) + c), sum);
                }

                ys = sum;
            }
        }
    }

    /// <summary>
    /// Two vectors of columns for up to four sequences: per row, two weight loads and one broadcast per sequence serve
    /// two multiply-adds per sequence; one accumulator per sequence and vector, so up to eight chains are in flight.
    /// </summary>
    /// <remarks>
    /// Also optimized at its first call: with four sequences and 256-bit vectors its 1,653 bytes of IL are more than the
    /// JIT inlines into <see cref="Columns{TVec, TStreams}"/>, so it is compiled on its own, and as a tiered method it ran
    /// tier-0 code (its vector helpers as calls) for the first ~1.5 s of batched training pinned to one core (Zen 3).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void Pair<TVec, TStreams>(ref float w, int rows, nuint stride, ref float d, nuint dStride, ref float y, nuint yStride)
        where TVec : struct, ISimd<TVec>
        where TStreams : struct, IConstant
    {
        int ns = TStreams.Value;
        nuint n = (nuint)TVec.Count;
        ref float d0 = ref d;
        ref float d1 = ref Unsafe.Add(ref d, dStride);
        ref float d2 = ref Unsafe.Add(ref d, 2 * dStride);
        ref float d3 = ref Unsafe.Add(ref d, 3 * dStride);
        ref float y1 = ref Unsafe.Add(ref y, yStride);
        ref float y2 = ref Unsafe.Add(ref y, 2 * yStride);
        ref float y3 = ref Unsafe.Add(ref y, 3 * yStride);
        TVec a0 = TVec.Load(ref y, 0), b0 = TVec.Load(ref y, n);
        TVec a1 = ns > 1 ? TVec.Load(ref y1, 0) : default, b1 = ns > 1 ? TVec.Load(ref y1, n) : default;
        TVec a2 = ns > 2 ? TVec.Load(ref y2, 0) : default, b2 = ns > 2 ? TVec.Load(ref y2, n) : default;
        TVec a3 = ns > 3 ? TVec.Load(ref y3, 0) : default, b3 = ns > 3 ? TVec.Load(ref y3, n) : default;
        ref float row = ref w;
        int r = 0;
        if (PackedMath.BlockVectors == 8 && ns > 1)
        {
            // With 32 vector registers, a second set of accumulators for the odd rows: twice the chains in flight, so the
            // multiply-adds are not held up by their latency. The two halves are added at the end.
            TVec c0 = default, e0 = default, c1 = default, e1 = default, c2 = default, e2 = default, c3 = default, e3 = default;
            for (; r <= rows - 2; r += 2)
            {
                ref float odd = ref Unsafe.Add(ref row, stride);
                TVec w0 = TVec.Load(ref row, 0);
                TVec w1 = TVec.Load(ref row, n);
                TVec v0 = TVec.Load(ref odd, 0);
                TVec v1 = TVec.Load(ref odd, n);
                TVec x0 = TVec.Broadcast(Unsafe.Add(ref d0, r));
                TVec z0 = TVec.Broadcast(Unsafe.Add(ref d0, r + 1));
                a0 = TVec.MultiplyAdd(w0, x0, a0);
                b0 = TVec.MultiplyAdd(w1, x0, b0);
                c0 = TVec.MultiplyAdd(v0, z0, c0);
                e0 = TVec.MultiplyAdd(v1, z0, e0);
                TVec x1 = TVec.Broadcast(Unsafe.Add(ref d1, r));
                TVec z1 = TVec.Broadcast(Unsafe.Add(ref d1, r + 1));
                a1 = TVec.MultiplyAdd(w0, x1, a1);
                b1 = TVec.MultiplyAdd(w1, x1, b1);
                c1 = TVec.MultiplyAdd(v0, z1, c1);
                e1 = TVec.MultiplyAdd(v1, z1, e1);
                if (ns > 2)
                {
                    TVec x2 = TVec.Broadcast(Unsafe.Add(ref d2, r));
                    TVec z2 = TVec.Broadcast(Unsafe.Add(ref d2, r + 1));
                    a2 = TVec.MultiplyAdd(w0, x2, a2);
                    b2 = TVec.MultiplyAdd(w1, x2, b2);
                    c2 = TVec.MultiplyAdd(v0, z2, c2);
                    e2 = TVec.MultiplyAdd(v1, z2, e2);
                }

                if (ns > 3)
                {
                    TVec x3 = TVec.Broadcast(Unsafe.Add(ref d3, r));
                    TVec z3 = TVec.Broadcast(Unsafe.Add(ref d3, r + 1));
                    a3 = TVec.MultiplyAdd(w0, x3, a3);
                    b3 = TVec.MultiplyAdd(w1, x3, b3);
                    c3 = TVec.MultiplyAdd(v0, z3, c3);
                    e3 = TVec.MultiplyAdd(v1, z3, e3);
                }

                row = ref Unsafe.Add(ref odd, stride);
            }

            a0 = TVec.Add(a0, c0);
            b0 = TVec.Add(b0, e0);
            a1 = TVec.Add(a1, c1);
            b1 = TVec.Add(b1, e1);
            a2 = ns > 2 ? TVec.Add(a2, c2) : a2;
            b2 = ns > 2 ? TVec.Add(b2, e2) : b2;
            a3 = ns > 3 ? TVec.Add(a3, c3) : a3;
            b3 = ns > 3 ? TVec.Add(b3, e3) : b3;
        }

        for (; r < rows; r++)
        {
            TVec w0 = TVec.Load(ref row, 0);
            TVec w1 = TVec.Load(ref row, n);
            TVec x0 = TVec.Broadcast(Unsafe.Add(ref d0, r));
            a0 = TVec.MultiplyAdd(w0, x0, a0);
            b0 = TVec.MultiplyAdd(w1, x0, b0);
            if (ns > 1)
            {
                TVec x1 = TVec.Broadcast(Unsafe.Add(ref d1, r));
                a1 = TVec.MultiplyAdd(w0, x1, a1);
                b1 = TVec.MultiplyAdd(w1, x1, b1);
            }

            if (ns > 2)
            {
                TVec x2 = TVec.Broadcast(Unsafe.Add(ref d2, r));
                a2 = TVec.MultiplyAdd(w0, x2, a2);
                b2 = TVec.MultiplyAdd(w1, x2, b2);
            }

            if (ns > 3)
            {
                TVec x3 = TVec.Broadcast(Unsafe.Add(ref d3, r));
                a3 = TVec.MultiplyAdd(w0, x3, a3);
                b3 = TVec.MultiplyAdd(w1, x3, b3);
            }

            row = ref Unsafe.Add(ref row, stride);
        }

        TVec.Store(a0, ref y, 0);
        TVec.Store(b0, ref y, n);
        if (ns > 1)
        {
            TVec.Store(a1, ref y1, 0);
            TVec.Store(b1, ref y1, n);
        }

        if (ns > 2)
        {
            TVec.Store(a2, ref y2, 0);
            TVec.Store(b2, ref y2, n);
        }

        if (ns > 3)
        {
            TVec.Store(a3, ref y3, 0);
            TVec.Store(b3, ref y3, n);
        }
    }

    /// <summary>
    /// One vector of columns for up to four sequences: per pair of rows, two weight loads serve every sequence; two
    /// accumulators per sequence (even and odd rows), so up to eight chains are in flight.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void Block<TVec, TStreams>(ref float w, int rows, nuint stride, ref float d, nuint dStride, ref float y, nuint yStride)
        where TVec : struct, ISimd<TVec>
        where TStreams : struct, IConstant
    {
        int ns = TStreams.Value;
        ref float d0 = ref d;
        ref float d1 = ref Unsafe.Add(ref d, dStride);
        ref float d2 = ref Unsafe.Add(ref d, 2 * dStride);
        ref float d3 = ref Unsafe.Add(ref d, 3 * dStride);
        TVec a0 = TVec.Load(ref y, 0);
        TVec a1 = ns > 1 ? TVec.Load(ref y, yStride) : default;
        TVec a2 = ns > 2 ? TVec.Load(ref y, 2 * yStride) : default;
        TVec a3 = ns > 3 ? TVec.Load(ref y, 3 * yStride) : default;
        TVec b0 = default, b1 = default, b2 = default, b3 = default;
        ref float row = ref w;
        int r = 0;
        for (; r <= rows - 2; r += 2)
        {
            TVec w0 = TVec.Load(ref row, 0);
            TVec w1 = TVec.Load(ref row, stride);
            a0 = TVec.MultiplyAdd(w0, TVec.Broadcast(Unsafe.Add(ref d0, r)), a0);
            b0 = TVec.MultiplyAdd(w1, TVec.Broadcast(Unsafe.Add(ref d0, r + 1)), b0);
            if (ns > 1)
            {
                a1 = TVec.MultiplyAdd(w0, TVec.Broadcast(Unsafe.Add(ref d1, r)), a1);
                b1 = TVec.MultiplyAdd(w1, TVec.Broadcast(Unsafe.Add(ref d1, r + 1)), b1);
            }

            if (ns > 2)
            {
                a2 = TVec.MultiplyAdd(w0, TVec.Broadcast(Unsafe.Add(ref d2, r)), a2);
                b2 = TVec.MultiplyAdd(w1, TVec.Broadcast(Unsafe.Add(ref d2, r + 1)), b2);
            }

            if (ns > 3)
            {
                a3 = TVec.MultiplyAdd(w0, TVec.Broadcast(Unsafe.Add(ref d3, r)), a3);
                b3 = TVec.MultiplyAdd(w1, TVec.Broadcast(Unsafe.Add(ref d3, r + 1)), b3);
            }

            row = ref Unsafe.Add(ref row, 2 * stride);
        }

        if (r < rows)
        {
            TVec w0 = TVec.Load(ref row, 0);
            a0 = TVec.MultiplyAdd(w0, TVec.Broadcast(Unsafe.Add(ref d0, r)), a0);
            a1 = ns > 1 ? TVec.MultiplyAdd(w0, TVec.Broadcast(Unsafe.Add(ref d1, r)), a1) : a1;
            a2 = ns > 2 ? TVec.MultiplyAdd(w0, TVec.Broadcast(Unsafe.Add(ref d2, r)), a2) : a2;
            a3 = ns > 3 ? TVec.MultiplyAdd(w0, TVec.Broadcast(Unsafe.Add(ref d3, r)), a3) : a3;
        }

        TVec.Store(TVec.Add(a0, b0), ref y, 0);
        if (ns > 1)
        {
            TVec.Store(TVec.Add(a1, b1), ref y, yStride);
        }

        if (ns > 2)
        {
            TVec.Store(TVec.Add(a2, b2), ref y, 2 * yStride);
        }

        if (ns > 3)
        {
            TVec.Store(TVec.Add(a3, b3), ref y, 3 * yStride);
        }
    }
}
