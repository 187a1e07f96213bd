using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fixed;

/// <summary>
/// Matrix products for many independent streams at once over the packed layout (<see cref="PackedLayout{TShape}"/>):
/// <c>y_s = init_s + W x_s + V u_s</c> for every stream s, where <c>W</c> and <c>V</c> have the same rows (a layer's input
/// and hidden weights) and <c>init_s</c> is each stream's own vector or one vector shared by all (the bias). The weights
/// are read once per group of up to four streams instead of once per stream, and the rows are cut into sub-blocks of as
/// many vectors as the register file holds accumulators for (four vectors × four streams on AVX-512 and ARM64; at 256
/// bits a whole block of four vectors × two streams, see <see cref="Block256Streams"/>; two × four for SSE); both products
/// run into the same accumulators, so each sub-block's sums are loaded and stored once.
/// </summary>
internal static class StreamMath
{
    /// <summary>
    /// <c>y_s[0..rows) = init_s + W x_s + V u_s</c> for <paramref name="streams"/> streams: <c>x_s</c> at
    /// <c>x + s·xStride</c>, <c>u_s</c> at <c>u + s·uStride</c>, <c>init_s</c> at <c>init + s·initStride</c> (stride 0: one
    /// vector for every stream; <paramref name="init"/> may be <paramref name="y"/>), <c>y_s</c> at <c>y + s·yStride</c>;
    /// <c>W</c> (<paramref name="cols"/> columns) and <c>V</c> (<paramref name="vCols"/>, may be 0) stored as
    /// <see cref="PackedMath.MultiplyAdd{TVec}"/> reads them.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void MultiplyAdd<TVec>(int rows, ref float w, int cols, ref float x, int xStride, ref float v, int vCols, ref float u, int uStride,
        ref float init, int initStride, ref float y, int yStride, int streams)
        where TVec : struct, ISimd<TVec>
    {
        int vectors = rows / TVec.Count;
        int perBlock = PackedMath.BlockVectors;
        int sub = perBlock == 8 ? 4 : 2;
        var sources = new Sources(cols, (nuint)xStride, vCols, (nuint)uStride, (nuint)initStride, (nuint)yStride);
        for (int first = 0; first < vectors; first += perBlock)
        {
            int blockVectors = Math.Min(perBlock, vectors - first);
            nuint stride = (nuint)(blockVectors * TVec.Count);
            int blockStart = first * TVec.Count;
            ref float wBlock = ref Unsafe.Add(ref w, blockStart * cols);
            ref float vBlock = ref Unsafe.Add(ref v, blockStart * vCols);
            if (typeof(TVec) == typeof(Simd256))
            {
                Block256Streams(blockVectors, stride, in sources, ref wBlock, ref x, ref vBlock, ref u, ref Unsafe.Add(ref init, blockStart),
                    ref Unsafe.Add(ref y, blockStart), streams);
                continue;
            }

            // The block's vectors in as few sub-blocks as the register file allows, balanced (six vectors as 3 + 3, not
            // 4 + 2): a sub-block of two vectors has only eight chains of multiply-adds for four streams, too few to hide
            // the FMA's latency. Each row's sum is the same in any split.
            int parts = (blockVectors + sub - 1) / sub;
            int size = (blockVectors + parts - 1) / parts;
            for (int at = 0; at < blockVectors; at += size)
            {
                int count = Math.Min(size, blockVectors - at);
                int offset = at * TVec.Count;
                int row = blockStart + offset;
                ref float bw = ref Unsafe.Add(ref wBlock, offset);
                ref float bv = ref Unsafe.Add(ref vBlock, offset);
                ref float bi = ref Unsafe.Add(ref init, row);
                ref float by = ref Unsafe.Add(ref y, row);
                int s = 0;
                for (; s + 4 <= streams; s += 4)
                {
                    Vectors<TVec, Four>(count, stride, in sources, ref bw, ref Unsafe.Add(ref x, s * xStride), ref bv, ref Unsafe.Add(ref u, s * uStride),
                        ref Unsafe.Add(ref bi, s * initStride), ref Unsafe.Add(ref by, s * yStride));
                }

                ref float sx = ref Unsafe.Add(ref x, s * xStride);
                ref float su = ref Unsafe.Add(ref u, s * uStride);
                ref float si = ref Unsafe.Add(ref bi, s * initStride);
                ref float sy = ref Unsafe.Add(ref by, s * yStride);
                switch (streams - s)
                {
                    case 3:
                        Vectors<TVec, Three>(count, stride, in sources, ref bw, ref sx, ref bv, ref su, ref si, ref sy);
                        break;
                    case 2:
                        Vectors<TVec, Two>(count, stride, in sources, ref bw, ref sx, ref bv, ref su, ref si, ref sy);
                        break;
                    case 1:
                        Vectors<TVec, One>(count, stride, in sources, ref bw, ref sx, ref bv, ref su, ref si, ref sy);
                        break;
                }
            }
        }
    }

    /// <summary>
    /// One row block of <see cref="MultiplyAdd{TVec}"/> at 256 bits (no AVX-512: blocks of at most four vectors), read whole:
    /// a block of four or three vectors two streams at a time, a block of two or one four streams at a time (so that every
    /// pass keeps six to eight chains of multiply-adds, and its weights, the accumulators and the broadcasts fit the sixteen
    /// registers). Reading the block whole takes each column's 128 bytes in one stretch, where two sub-blocks of two vectors
    /// each took one of its two cache lines every 128 bytes: on a Zen 3 core (32 KB L1), alternated in one process, the
    /// whole many-stream step at N = 64 took 0.95 (GRU 1→32), 0.97 (LSTM 4→64) and 0.96 (GRU 1→128) of its time with the
    /// sub-blocks (median of 40 rounds' ratios).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void Block256Streams(int blockVectors, nuint stride, in Sources sources, ref float w, ref float x, ref float v, ref float u,
        ref float init, ref float y, int streams)
    {
        int xStride = (int)sources.XStride;
        int uStride = (int)sources.UStride;
        int initStride = (int)sources.InitStride;
        int yStride = (int)sources.YStride;
        if (blockVectors >= 3)
        {
            int s = 0;
            for (; s + 2 <= streams; s += 2)
            {
                Block256Wide<Two>(blockVectors, stride, in sources, ref w, ref Unsafe.Add(ref x, s * xStride), ref v, ref Unsafe.Add(ref u, s * uStride),
                    ref Unsafe.Add(ref init, s * initStride), ref Unsafe.Add(ref y, s * yStride));
            }

            if (s < streams)
            {
                Block256Wide<One>(blockVectors, stride, in sources, ref w, ref Unsafe.Add(ref x, s * xStride), ref v, ref Unsafe.Add(ref u, s * uStride),
                    ref Unsafe.Add(ref init, s * initStride), ref Unsafe.Add(ref y, s * yStride));
            }

            return;
        }

        int t = 0;
        for (; t + 4 <= streams; t += 4)
        {
            Block256Narrow<Four>(blockVectors, stride, in sources, ref w, ref Unsafe.Add(ref x, t * xStride), ref v, ref Unsafe.Add(ref u, t * uStride),
                ref Unsafe.Add(ref init, t * initStride), ref Unsafe.Add(ref y, t * yStride));
        }

        ref float tx = ref Unsafe.Add(ref x, t * xStride);
        ref float tu = ref Unsafe.Add(ref u, t * uStride);
        ref float ti = ref Unsafe.Add(ref init, t * initStride);
        ref float ty = ref Unsafe.Add(ref y, t * yStride);
        switch (streams - t)
        {
            case 3:
                Block256Narrow<Three>(blockVectors, stride, in sources, ref w, ref tx, ref v, ref tu, ref ti, ref ty);
                break;
            case 2:
                Block256Narrow<Two>(blockVectors, stride, in sources, ref w, ref tx, ref v, ref tu, ref ti, ref ty);
                break;
            case 1:
                Block256Narrow<One>(blockVectors, stride, in sources, ref w, ref tx, ref v, ref tu, ref ti, ref ty);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block256Wide<TStreams>(int blockVectors, nuint stride, in Sources sources, ref float w, ref float x, ref float v, ref float u,
        ref float init, ref float y)
        where TStreams : struct, IConstant
    {
        if (blockVectors == 4)
        {
            Block256<Four, TStreams>(stride, in sources, ref w, ref x, ref v, ref u, ref init, ref y);
        }
        else
        {
            Block256<Three, TStreams>(stride, in sources, ref w, ref x, ref v, ref u, ref init, ref y);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block256Narrow<TStreams>(int blockVectors, nuint stride, in Sources sources, ref float w, ref float x, ref float v, ref float u,
        ref float init, ref float y)
        where TStreams : struct, IConstant
    {
        if (blockVectors == 2)
        {
            Block256<Two, TStreams>(stride, in sources, ref w, ref x, ref v, ref u, ref init, ref y);
        }
        else
        {
            Block256<One, TStreams>(stride, in sources, ref w, ref x, ref v, ref u, ref init, ref y);
        }
    }

    /// <summary>The column counts and strides every sub-block of one <see cref="MultiplyAdd{TVec}"/> call shares.</summary>
    private readonly struct Sources(int cols, nuint xStride, int vCols, nuint uStride, nuint initStride, nuint yStride)
    {
        public readonly int Cols = cols;
        public readonly nuint XStride = xStride;
        public readonly int VCols = vCols;
        public readonly nuint UStride = uStride;
        public readonly nuint InitStride = initStride;
        public readonly nuint YStride = yStride;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Vectors<TVec, TStreams>(int count, nuint stride, in Sources sources, ref float w, ref float x, ref float v, ref float u, ref float init, ref float y)
        where TVec : struct, ISimd<TVec>
        where TStreams : struct, IConstant
    {
        switch (count)
        {
            case 4:
                Block<TVec, Four, TStreams>(stride, in sources, ref w, ref x, ref v, ref u, ref init, ref y);
                break;
            case 3:
                Block<TVec, Three, TStreams>(stride, in sources, ref w, ref x, ref v, ref u, ref init, ref y);
                break;
            case 2:
                Block<TVec, Two, TStreams>(stride, in sources, ref w, ref x, ref v, ref u, ref init, ref y);
                break;
            default:
                Block<TVec, One, TStreams>(stride, in sources, ref w, ref x, ref v, ref u, ref init, ref y);
                break;
        }
    }

    /// <summary>
    /// <see cref="Block{TVec, TVectors, TStreams}"/> at 256 bits, on <see cref="Vector256{T}"/> directly: the same accumulators
    /// and the same operations in the same order, so the same sums. Used with at most eight accumulators (four vectors × two
    /// streams, two × four, ...), so that they, the weights and a broadcast fit the sixteen registers. Through the
    /// <see cref="ISimd{TSelf}"/> wrapper the JIT kept the unused accumulators (zeros) alive across the column loop and, short
    /// of its 16 registers, stored five of them to the stack and loaded them back at every column, beside a copy after most
    /// multiply-adds: on a Zen 3 core (AVX2) batched training then cost more per sequence than one sequence at a time.
    /// </summary>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    private static void Block256<TVectors, TStreams>(nuint stride, in Sources sources, ref float w, ref float x, ref float v, ref float u, ref float init,
        ref float y)
        where TVectors : struct, IConstant
        where TStreams : struct, IConstant
    {
        const nuint n = 8;
        int nv = TVectors.Value;
        int ns = TStreams.Value;
        Debug.Assert(ns <= 2 || nv <= 2, "Three or four streams only with one or two vectors: at most eight accumulators.");
        nuint initStride = sources.InitStride;
        ref float i0 = ref init;
        ref float i1 = ref Unsafe.Add(ref init, 1 * initStride);
        ref float i2 = ref Unsafe.Add(ref init, 2 * initStride);
        ref float i3 = ref Unsafe.Add(ref init, 3 * initStride);
        Vector256<float> a00 = Vector256.LoadUnsafe(ref i0, 0 * n);
        Vector256<float> a01 = nv > 1 ? Vector256.LoadUnsafe(ref i0, 1 * n) : default;
        Vector256<float> a02 = nv > 2 ? Vector256.LoadUnsafe(ref i0, 2 * n) : default;
        Vector256<float> a03 = nv > 3 ? Vector256.LoadUnsafe(ref i0, 3 * n) : default;
        Vector256<float> a10 = ns > 1 ? Vector256.LoadUnsafe(ref i1, 0 * n) : default;
        Vector256<float> a11 = nv > 1 && ns > 1 ? Vector256.LoadUnsafe(ref i1, 1 * n) : default;
        Vector256<float> a12 = nv > 2 && ns > 1 ? Vector256.LoadUnsafe(ref i1, 2 * n) : default;
        Vector256<float> a13 = nv > 3 && ns > 1 ? Vector256.LoadUnsafe(ref i1, 3 * n) : default;
        Vector256<float> a20 = ns > 2 ? Vector256.LoadUnsafe(ref i2, 0 * n) : default;
        Vector256<float> a21 = nv > 1 && ns > 2 ? Vector256.LoadUnsafe(ref i2, 1 * n) : default;
        Vector256<float> a30 = ns > 3 ? Vector256.LoadUnsafe(ref i3, 0 * n) : default;
        Vector256<float> a31 = nv > 1 && ns > 3 ? Vector256.LoadUnsafe(ref i3, 1 * n) : default;

        // Pass 0 runs W's columns over x, pass 1 V's over u (skipped when V has none).
        ref float m = ref w;
        ref float z = ref x;
        nuint zStride = sources.XStride;
        int cols = sources.Cols;
        for (int pass = 0; pass < 2; pass++)
        {
            ref float z0 = ref z;
            ref float z1 = ref Unsafe.Add(ref z, 1 * zStride);
            ref float z2 = ref Unsafe.Add(ref z, 2 * zStride);
            ref float z3 = ref Unsafe.Add(ref z, 3 * zStride);
            ref float c = ref m;
            for (int j = 0; j < cols; j++)
            {
                Vector256<float> w0 = Vector256.LoadUnsafe(ref c, 0 * n);
                Vector256<float> w1 = nv > 1 ? Vector256.LoadUnsafe(ref c, 1 * n) : default;
                Vector256<float> w2 = nv > 2 ? Vector256.LoadUnsafe(ref c, 2 * n) : default;
                Vector256<float> w3 = nv > 3 ? Vector256.LoadUnsafe(ref c, 3 * n) : default;
                // Statements, not conditional expressions: through `a = cond ? MultiplyAdd(..) : a` the JIT wrote half the
                // sums into a dying operand's register and copied them back (213 form and a move) instead of updating the
                // accumulator in place.
                Vector256<float> b0 = Vector256.Create(Unsafe.Add(ref z0, j));
                a00 = Vector256.MultiplyAddEstimate(w0, b0, a00);
                if (nv > 1)
                {
                    a01 = Vector256.MultiplyAddEstimate(w1, b0, a01);
                }

                if (nv > 2)
                {
                    a02 = Vector256.MultiplyAddEstimate(w2, b0, a02);
                }

                if (nv > 3)
                {
                    a03 = Vector256.MultiplyAddEstimate(w3, b0, a03);
                }

                if (ns > 1)
                {
                    Vector256<float> b1 = Vector256.Create(Unsafe.Add(ref z1, j));
                    a10 = Vector256.MultiplyAddEstimate(w0, b1, a10);
                    if (nv > 1)
                    {
                        a11 = Vector256.MultiplyAddEstimate(w1, b1, a11);
                    }

                    if (nv > 2)
                    {
                        a12 = Vector256.MultiplyAddEstimate(w2, b1, a12);
                    }

                    if (nv > 3)
                    {
                        a13 = Vector256.MultiplyAddEstimate(w3, b1, a13);
                    }
                }

                if (ns > 2)
                {
                    Vector256<float> b2 = Vector256.Create(Unsafe.Add(ref z2, j));
                    a20 = Vector256.MultiplyAddEstimate(w0, b2, a20);
                    if (nv > 1)
                    {
                        a21 = Vector256.MultiplyAddEstimate(w1, b2, a21);
                    }
                }

                if (ns > 3)
                {
                    Vector256<float> b3 = Vector256.Create(Unsafe.Add(ref z3, j));
                    a30 = Vector256.MultiplyAddEstimate(w0, b3, a30);
                    if (nv > 1)
                    {
                        a31 = Vector256.MultiplyAddEstimate(w1, b3, a31);
                    }
                }

                c = ref Unsafe.Add(ref c, stride);
            }

            m = ref v;
            z = ref u;
            zStride = sources.UStride;
            cols = sources.VCols;
        }

        nuint yStride = sources.YStride;
        ref float y1 = ref Unsafe.Add(ref y, 1 * yStride);
        ref float y2 = ref Unsafe.Add(ref y, 2 * yStride);
        ref float y3 = ref Unsafe.Add(ref y, 3 * yStride);
        Store(a00, a01, a02, a03, nv, ref y);
        if (ns > 1)
        {
            Store(a10, a11, a12, a13, nv, ref y1);
        }

        if (ns > 2)
        {
            Store(a20, a21, default, default, nv, ref y2);
        }

        if (ns > 3)
        {
            Store(a30, a31, default, default, nv, ref y3);
        }
    }

    /// <summary>One stream's <paramref name="nv"/> accumulators of <see cref="Block256{TVectors, TStreams}"/> to its sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3, int nv, ref float y)
    {
        a0.StoreUnsafe(ref y, 0);
        if (nv > 1)
        {
            a1.StoreUnsafe(ref y, 8);
        }

        if (nv > 2)
        {
            a2.StoreUnsafe(ref y, 16);
        }

        if (nv > 3)
        {
            a3.StoreUnsafe(ref y, 24);
        }
    }

    /// <summary>
    /// <c>y_s = init_s + W x_s + V u_s</c> for up to four streams and up to four vectors of rows at once: each weight vector
    /// loaded serves every stream (<typeparamref name="TStreams"/> accumulators per vector), and every accumulator is its own
    /// FMA chain. The accumulators stay in registers from <c>W</c>'s columns through <c>V</c>'s (two passes of one loop).
    /// Compiled once per (width, vectors, streams), with the unused accumulators folded away.
    /// </summary>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    private static void Block<TVec, TVectors, TStreams>(nuint stride, in Sources sources, ref float w, ref float x, ref float v, ref float u, ref float init, ref float y)
        where TVec : struct, ISimd<TVec>
        where TVectors : struct, IConstant
        where TStreams : struct, IConstant
    {
        int nv = TVectors.Value;
        int ns = TStreams.Value;
        nuint n = (nuint)TVec.Count;
        nuint initStride = sources.InitStride;
        ref float i0 = ref Unsafe.Add(ref init, 0 * initStride);
        ref float i1 = ref Unsafe.Add(ref init, 1 * initStride);
        ref float i2 = ref Unsafe.Add(ref init, 2 * initStride);
        ref float i3 = ref Unsafe.Add(ref init, 3 * initStride);
        TVec a00 = TVec.Load(ref i0, 0 * n);
        TVec a01 = nv > 1 ? TVec.Load(ref i0, 1 * n) : default;
        TVec a02 = nv > 2 ? TVec.Load(ref i0, 2 * n) : default;
        TVec a03 = nv > 3 ? TVec.Load(ref i0, 3 * n) : default;
        TVec a10 = ns > 1 ? TVec.Load(ref i1, 0 * n) : default;
        TVec a11 = nv > 1 && ns > 1 ? TVec.Load(ref i1, 1 * n) : default;
        TVec a12 = nv > 2 && ns > 1 ? TVec.Load(ref i1, 2 * n) : default;
        TVec a13 = nv > 3 && ns > 1 ? TVec.Load(ref i1, 3 * n) : default;
        TVec a20 = ns > 2 ? TVec.Load(ref i2, 0 * n) : default;
        TVec a21 = nv > 1 && ns > 2 ? TVec.Load(ref i2, 1 * n) : default;
        TVec a22 = nv > 2 && ns > 2 ? TVec.Load(ref i2, 2 * n) : default;
        TVec a23 = nv > 3 && ns > 2 ? TVec.Load(ref i2, 3 * n) : default;
        TVec a30 = ns > 3 ? TVec.Load(ref i3, 0 * n) : default;
        TVec a31 = nv > 1 && ns > 3 ? TVec.Load(ref i3, 1 * n) : default;
        TVec a32 = nv > 2 && ns > 3 ? TVec.Load(ref i3, 2 * n) : default;
        TVec a33 = nv > 3 && ns > 3 ? TVec.Load(ref i3, 3 * n) : default;

        // Pass 0 runs W's columns over x, pass 1 V's over u (skipped when V has none).
        ref float m = ref w;
        ref float z = ref x;
        nuint zStride = sources.XStride;
        int cols = sources.Cols;
        for (int pass = 0; pass < 2; pass++)
        {
            ref float z0 = ref Unsafe.Add(ref z, 0 * zStride);
            ref float z1 = ref Unsafe.Add(ref z, 1 * zStride);
            ref float z2 = ref Unsafe.Add(ref z, 2 * zStride);
            ref float z3 = ref Unsafe.Add(ref z, 3 * zStride);
            for (int j = 0; j < cols; j++)
            {
                ref float c = ref Unsafe.Add(ref m, (nuint)j * stride);
                TVec w0 = TVec.Load(ref c, 0 * n);
                TVec w1 = nv > 1 ? TVec.Load(ref c, 1 * n) : default;
                TVec w2 = nv > 2 ? TVec.Load(ref c, 2 * n) : default;
                TVec w3 = nv > 3 ? TVec.Load(ref c, 3 * n) : default;
                TVec b0 = TVec.Broadcast(Unsafe.Add(ref z0, j));
                TVec b1 = ns > 1 ? TVec.Broadcast(Unsafe.Add(ref z1, j)) : default;
                TVec b2 = ns > 2 ? TVec.Broadcast(Unsafe.Add(ref z2, j)) : default;
                TVec b3 = ns > 3 ? TVec.Broadcast(Unsafe.Add(ref z3, j)) : default;
                // Statements, not `a = cond ? MultiplyAdd(..) : a`: through the conditional expressions the SSE build
                // (Simd128, two vectors × four streams) kept seven accumulators on the stack, loaded and stored every
                // column; as statements none, and LSTM 4→64's many-stream step measured ~25 % faster without AVX2.
                a00 = TVec.MultiplyAdd(w0, b0, a00);
                if (nv > 1)
                {
                    a01 = TVec.MultiplyAdd(w1, b0, a01);
                }

                if (nv > 2)
                {
                    a02 = TVec.MultiplyAdd(w2, b0, a02);
                }

                if (nv > 3)
                {
                    a03 = TVec.MultiplyAdd(w3, b0, a03);
                }

                if (ns > 1)
                {
                    a10 = TVec.MultiplyAdd(w0, b1, a10);
                }

                if (nv > 1 && ns > 1)
                {
                    a11 = TVec.MultiplyAdd(w1, b1, a11);
                }

                if (nv > 2 && ns > 1)
                {
                    a12 = TVec.MultiplyAdd(w2, b1, a12);
                }

                if (nv > 3 && ns > 1)
                {
                    a13 = TVec.MultiplyAdd(w3, b1, a13);
                }

                if (ns > 2)
                {
                    a20 = TVec.MultiplyAdd(w0, b2, a20);
                }

                if (nv > 1 && ns > 2)
                {
                    a21 = TVec.MultiplyAdd(w1, b2, a21);
                }

                if (nv > 2 && ns > 2)
                {
                    a22 = TVec.MultiplyAdd(w2, b2, a22);
                }

                if (nv > 3 && ns > 2)
                {
                    a23 = TVec.MultiplyAdd(w3, b2, a23);
                }

                if (ns > 3)
                {
                    a30 = TVec.MultiplyAdd(w0, b3, a30);
                }

                if (nv > 1 && ns > 3)
                {
                    a31 = TVec.MultiplyAdd(w1, b3, a31);
                }

                if (nv > 2 && ns > 3)
                {
                    a32 = TVec.MultiplyAdd(w2, b3, a32);
                }

                if (nv > 3 && ns > 3)
                {
                    a33 = TVec.MultiplyAdd(w3, b3, a33);
                }
            }

            m = ref v;
            z = ref u;
            zStride = sources.UStride;
            cols = sources.VCols;
        }

        nuint yStride = sources.YStride;
        ref float y0 = ref Unsafe.Add(ref y, 0 * yStride);
        ref float y1 = ref Unsafe.Add(ref y, 1 * yStride);
        ref float y2 = ref Unsafe.Add(ref y, 2 * yStride);
        ref float y3 = ref Unsafe.Add(ref y, 3 * yStride);

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
