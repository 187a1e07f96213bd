using System;
using System.Runtime.CompilerServices;

namespace Fixed;

/// <summary>
/// Matrix products for many independent streams at once over the packed layout (<see cref="PackedLayout{TShape}"/>):
/// <c>y_s += W x_s</c> for every stream s. The weights are read once per group of up to four streams instead of once
/// per stream, and the rows are cut into sub-blocks of as many vectors as the register file holds accumulators for
/// (four vectors × four streams on AVX-512 and ARM64, two × four elsewhere).
/// </summary>
internal static class StreamMath
{
    /// <summary>
    /// <c>y_s[0..rows) += W x_s</c> for <paramref name="streams"/> streams: <c>x_s</c> at <c>x + s·xStride</c>,
    /// <c>y_s</c> at <c>y + s·yStride</c>; <c>W</c> stored as <see cref="PackedMath.MultiplyAdd{TVec}"/> reads it.
    /// </summary>
    public static void MultiplyAdd<TVec>(ref float w, int rows, int cols, ref float x, int xStride, ref float y, int yStride, int streams)
        where TVec : struct, ISimd<TVec>
    {
        int vectors = rows / TVec.Count;
        int perBlock = PackedMath.BlockVectors;
        int sub = perBlock == 8 ? 4 : 2;
        for (int v = 0; v < vectors; v += perBlock)
        {
            int blockVectors = Math.Min(perBlock, vectors - v);
            nuint stride = (nuint)(blockVectors * TVec.Count);
            ref float block = ref Unsafe.Add(ref w, v * TVec.Count * cols);
            for (int u = 0; u < blockVectors; u += sub)
            {
                int count = Math.Min(sub, blockVectors - u);
                ref float bw = ref Unsafe.Add(ref block, u * TVec.Count);
                ref float by = ref Unsafe.Add(ref y, (v + u) * TVec.Count);
                int s = 0;
                for (; s + 4 <= streams; s += 4)
                {
                    Vectors<TVec, Four>(count, ref bw, stride, cols, ref Unsafe.Add(ref x, s * xStride), (nuint)xStride, ref Unsafe.Add(ref by, s * yStride), (nuint)yStride);
                }

                switch (streams - s)
                {
                    case 3:
                        Vectors<TVec, Three>(count, ref bw, stride, cols, ref Unsafe.Add(ref x, s * xStride), (nuint)xStride, ref Unsafe.Add(ref by, s * yStride), (nuint)yStride);
                        break;
                    case 2:
                        Vectors<TVec, Two>(count, ref bw, stride, cols, ref Unsafe.Add(ref x, s * xStride), (nuint)xStride, ref Unsafe.Add(ref by, s * yStride), (nuint)yStride);
                        break;
                    case 1:
                        Vectors<TVec, One>(count, ref bw, stride, cols, ref Unsafe.Add(ref x, s * xStride), (nuint)xStride, ref Unsafe.Add(ref by, s * yStride), (nuint)yStride);
                        break;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Vectors<TVec, TStreams>(int count, ref float w, nuint stride, int cols, ref float x, nuint xStride, ref float y, nuint yStride)
        where TVec : struct, ISimd<TVec>
        where TStreams : struct, IConstant
    {
        switch (count)
        {
            case 4:
                Block<TVec, Four, TStreams>(ref w, stride, cols, ref x, xStride, ref y, yStride);
                break;
            case 3:
                Block<TVec, Three, TStreams>(ref w, stride, cols, ref x, xStride, ref y, yStride);
                break;
            case 2:
                Block<TVec, Two, TStreams>(ref w, stride, cols, ref x, xStride, ref y, yStride);
                break;
            default:
                Block<TVec, One, TStreams>(ref w, stride, cols, ref x, xStride, ref y, yStride);
                break;
        }
    }

    /// <summary>
    /// <c>y_s += W x_s</c> for up to four streams and up to four vectors of rows at once: each weight vector loaded serves
    /// every stream (<typeparamref name="TStreams"/> accumulators per vector), and every accumulator is its own FMA chain.
    /// Compiled once per (width, vectors, streams), with the unused accumulators folded away.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Block<TVec, TVectors, TStreams>(ref float w, nuint stride, int cols, ref float x, nuint xStride, ref float y, nuint yStride)
        where TVec : struct, ISimd<TVec>
        where TVectors : struct, IConstant
        where TStreams : struct, IConstant
    {
        int nv = TVectors.Value;
        int ns = TStreams.Value;
        nuint n = (nuint)TVec.Count;
        ref float y0 = ref Unsafe.Add(ref y, 0 * yStride);
        ref float x0 = ref Unsafe.Add(ref x, 0 * xStride);
        ref float y1 = ref Unsafe.Add(ref y, 1 * yStride);
        ref float x1 = ref Unsafe.Add(ref x, 1 * xStride);
        ref float y2 = ref Unsafe.Add(ref y, 2 * yStride);
        ref float x2 = ref Unsafe.Add(ref x, 2 * xStride);
        ref float y3 = ref Unsafe.Add(ref y, 3 * yStride);
        ref float x3 = ref Unsafe.Add(ref x, 3 * xStride);
        TVec a00 = TVec.Load(ref y0, 0 * n);
        TVec a01 = nv > 1 ? TVec.Load(ref y0, 1 * n) : default;
        TVec a02 = nv > 2 ? TVec.Load(ref y0, 2 * n) : default;
        TVec a03 = nv > 3 ? TVec.Load(ref y0, 3 * n) : default;
        TVec a10 = ns > 1 ? TVec.Load(ref y1, 0 * n) : default;
        TVec a11 = nv > 1 && ns > 1 ? TVec.Load(ref y1, 1 * n) : default;
        TVec a12 = nv > 2 && ns > 1 ? TVec.Load(ref y1, 2 * n) : default;
        TVec a13 = nv > 3 && ns > 1 ? TVec.Load(ref y1, 3 * n) : default;
        TVec a20 = ns > 2 ? TVec.Load(ref y2, 0 * n) : default;
        TVec a21 = nv > 1 && ns > 2 ? TVec.Load(ref y2, 1 * n) : default;
        TVec a22 = nv > 2 && ns > 2 ? TVec.Load(ref y2, 2 * n) : default;
        TVec a23 = nv > 3 && ns > 2 ? TVec.Load(ref y2, 3 * n) : default;
        TVec a30 = ns > 3 ? TVec.Load(ref y3, 0 * n) : default;
        TVec a31 = nv > 1 && ns > 3 ? TVec.Load(ref y3, 1 * n) : default;
        TVec a32 = nv > 2 && ns > 3 ? TVec.Load(ref y3, 2 * n) : default;
        TVec a33 = nv > 3 && ns > 3 ? TVec.Load(ref y3, 3 * n) : default;
        for (int j = 0; j < cols; j++)
        {
            ref float c = ref Unsafe.Add(ref w, (nuint)j * stride);
            TVec w0 = TVec.Load(ref c, 0 * n);
            TVec w1 = nv > 1 ? TVec.Load(ref c, 1 * n) : default;
            TVec w2 = nv > 2 ? TVec.Load(ref c, 2 * n) : default;
            TVec w3 = nv > 3 ? TVec.Load(ref c, 3 * n) : default;
            TVec b0 = TVec.Broadcast(Unsafe.Add(ref x0, j));
            TVec b1 = ns > 1 ? TVec.Broadcast(Unsafe.Add(ref x1, j)) : default;
            TVec b2 = ns > 2 ? TVec.Broadcast(Unsafe.Add(ref x2, j)) : default;
            TVec b3 = ns > 3 ? TVec.Broadcast(Unsafe.Add(ref x3, j)) : default;
            a00 = TVec.MultiplyAdd(w0, b0, a00);
            a01 = nv > 1 ? TVec.MultiplyAdd(w1, b0, a01) : a01;
            a02 = nv > 2 ? TVec.MultiplyAdd(w2, b0, a02) : a02;
            a03 = nv > 3 ? TVec.MultiplyAdd(w3, b0, a03) : a03;
            a10 = ns > 1 ? TVec.MultiplyAdd(w0, b1, a10) : a10;
            a11 = nv > 1 && ns > 1 ? TVec.MultiplyAdd(w1, b1, a11) : a11;
            a12 = nv > 2 && ns > 1 ? TVec.MultiplyAdd(w2, b1, a12) : a12;
            a13 = nv > 3 && ns > 1 ? TVec.MultiplyAdd(w3, b1, a13) : a13;
            a20 = ns > 2 ? TVec.MultiplyAdd(w0, b2, a20) : a20;
            a21 = nv > 1 && ns > 2 ? TVec.MultiplyAdd(w1, b2, a21) : a21;
            a22 = nv > 2 && ns > 2 ? TVec.MultiplyAdd(w2, b2, a22) : a22;
            a23 = nv > 3 && ns > 2 ? TVec.MultiplyAdd(w3, b2, a23) : a23;
            a30 = ns > 3 ? TVec.MultiplyAdd(w0, b3, a30) : a30;
            a31 = nv > 1 && ns > 3 ? TVec.MultiplyAdd(w1, b3, a31) : a31;
            a32 = nv > 2 && ns > 3 ? TVec.MultiplyAdd(w2, b3, a32) : a32;
            a33 = nv > 3 && ns > 3 ? TVec.MultiplyAdd(w3, b3, a33) : a33;
        }

        TVec.Store(a00, ref y0, 0 * n);

        if (nv > 1)
        {
            TVec.Store(a01, ref y0, 1 * n);
        }

        if (nv > 2)
        {
            TVec.Store(a02, ref y0, 2 * n);
        }

        if (nv > 3)
        {
            TVec.Store(a03, ref y0, 3 * n);
        }

        if (ns > 1)
        {
            TVec.Store(a10, ref y1, 0 * n);
        }

        if (nv > 1 && ns > 1)
        {
            TVec.Store(a11, ref y1, 1 * n);
        }

        if (nv > 2 && ns > 1)
        {
            TVec.Store(a12, ref y1, 2 * n);
        }

        if (nv > 3 && ns > 1)
        {
            TVec.Store(a13, ref y1, 3 * n);
        }

        if (ns > 2)
        {
            TVec.Store(a20, ref y2, 0 * n);
        }

        if (nv > 1 && ns > 2)
        {
            TVec.Store(a21, ref y2, 1 * n);
        }

        if (nv > 2 && ns > 2)
        {
            TVec.Store(a22, ref y2, 2 * n);
        }

        if (nv > 3 && ns > 2)
        {
            TVec.Store(a23, ref y2, 3 * n);
        }

        if (ns > 3)
        {
            TVec.Store(a30, ref y3, 0 * n);
        }

        if (nv > 1 && ns > 3)
        {
            TVec.Store(a31, ref y3, 1 * n);
        }

        if (nv > 2 && ns > 3)
        {
            TVec.Store(a32, ref y3, 2 * n);
        }

        if (nv > 3 && ns > 3)
        {
            TVec.Store(a33, ref y3, 3 * n);
        }
    }
}
