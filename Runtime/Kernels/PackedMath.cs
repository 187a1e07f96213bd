using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Fixed;

/// <summary>
/// Matrix-vector products over the packed layout (<see cref="PackedLayout{TShape}"/>): <c>y += W x</c> as a
/// sum of columns, each column a run of whole vectors scaled by one broadcast element of <c>x</c>.
/// The rows are split into blocks that fit the register file (each block's columns stored contiguously); within a block every vector of <c>y</c> has
/// two or four accumulators fed by alternating columns, so that enough independent FMA chains are in flight
/// to hide the FMA latency (a single chain per row block runs at a quarter of the machine's FMA rate).
/// The sizes are JIT-time constants at every call site, so the block shapes and the <c>nv &gt; k</c> guards
/// fold away and only straight-line code with register accumulators is left.
/// </summary>
internal static class PackedMath
{
    /// <summary>Vectors of <c>y</c> per block: 8 where there are 32 vector registers (AVX-512, ARM64), else 4.</summary>
    public static int BlockVectors
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Avx512F.IsSupported || AdvSimd.Arm64.IsSupported ? 8 : 4;
    }

    /// <summary>
    /// <c>y[c] += Σ_r W[r, c]·d[r]</c> for every column c &lt; <paramref name="cols"/> (a multiple of 16) of a matrix of
    /// <paramref name="nv"/> vectors of 16 rows (at most 8) that the packed layout holds in one block, column after column
    /// (<paramref name="w"/>: column c at <c>c·16·nv</c>): the backward sweep's <c>W_hhᵀ dgates</c>. Each column is a dot
    /// product of whole vectors against d, which stays in registers (<paramref name="nv"/> of them), so the weights are the
    /// only loads; the 16 dot products of a group of columns are then reduced together, four at a time by interleaving and
    /// adding (<c>vunpcklps</c>/<c>vunpckhps</c>, <c>vshufps</c>) and across the 128-bit lanes (<c>vshuff32x4</c>), into
    /// one vector of 16 sums. Against the row-major kernel (<see cref="VectorMath.TransposedAdd"/>), which broadcasts one
    /// element of d per row and reads a third more from memory than it multiplies, this is ~25 % faster for GRU 1→32's
    /// 96 × 32 on a Zen 4 core. The order of the additions differs from that kernel's, so the sums can differ in their last
    /// bits. Only with AVX-512 (the caller checks); <paramref name="nv"/> is a JIT-time constant at the call site.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void TransposedAdd512(int nv, ref float w, int cols, ref float d, ref float y)
    {
        const int n = 16;
        Vector512<float> d0 = Vector512.LoadUnsafe(ref d, 0);
        Vector512<float> d1 = nv > 1 ? Vector512.LoadUnsafe(ref d, n) : default;
        Vector512<float> d2 = nv > 2 ? Vector512.LoadUnsafe(ref d, 2 * n) : default;
        Vector512<float> d3 = nv > 3 ? Vector512.LoadUnsafe(ref d, 3 * n) : default;
        Vector512<float> d4 = nv > 4 ? Vector512.LoadUnsafe(ref d, 4 * n) : default;
        Vector512<float> d5 = nv > 5 ? Vector512.LoadUnsafe(ref d, 5 * n) : default;
        Vector512<float> d6 = nv > 6 ? Vector512.LoadUnsafe(ref d, 6 * n) : default;
        Vector512<float> d7 = nv > 7 ? Vector512.LoadUnsafe(ref d, 7 * n) : default;
        nuint column = (nuint)(nv * n);
        for (int c = 0; c < cols; c += n)
        {
            ref float p = ref Unsafe.Add(ref w, (nuint)c * column);
            Vector512<float> q0 = FourColumns(nv, ref p, column, d0, d1, d2, d3, d4, d5, d6, d7);
            Vector512<float> q1 = FourColumns(nv, ref Unsafe.Add(ref p, 4 * column), column, d0, d1, d2, d3, d4, d5, d6, d7);
            Vector512<float> q2 = FourColumns(nv, ref Unsafe.Add(ref p, 8 * column), column, d0, d1, d2, d3, d4, d5, d6, d7);
            Vector512<float> q3 = FourColumns(nv, ref Unsafe.Add(ref p, 12 * column), column, d0, d1, d2, d3, d4, d5, d6, d7);

            // Each q holds, per 128-bit lane, that lane's partial sums of its four columns; add the lanes: first lanes
            // 0 + 2 and 1 + 3 of two q's side by side, then the two halves that are left.
            Vector512<float> h0 = Avx512F.Shuffle4x128(q0, q1, 0x44) + Avx512F.Shuffle4x128(q0, q1, 0xEE);
            Vector512<float> h1 = Avx512F.Shuffle4x128(q2, q3, 0x44) + Avx512F.Shuffle4x128(q2, q3, 0xEE);
            Vector512<float> sums = Avx512F.Shuffle4x128(h0, h1, 0x88) + Avx512F.Shuffle4x128(h0, h1, 0xDD);
            (Vector512.LoadUnsafe(ref y, (nuint)c) + sums).StoreUnsafe(ref y, (nuint)c);
        }
    }

    /// <summary>Four consecutive columns of <see cref="TransposedAdd512"/> (<paramref name="column"/> floats apart), reduced by <see cref="Reduce4"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> FourColumns(int nv, ref float p, nuint column, Vector512<float> d0, Vector512<float> d1, Vector512<float> d2,
        Vector512<float> d3, Vector512<float> d4, Vector512<float> d5, Vector512<float> d6, Vector512<float> d7) =>
        Reduce4(
            ColumnDot(nv, ref p, d0, d1, d2, d3, d4, d5, d6, d7),
            ColumnDot(nv, ref Unsafe.Add(ref p, column), d0, d1, d2, d3, d4, d5, d6, d7),
            ColumnDot(nv, ref Unsafe.Add(ref p, 2 * column), d0, d1, d2, d3, d4, d5, d6, d7),
            ColumnDot(nv, ref Unsafe.Add(ref p, 3 * column), d0, d1, d2, d3, d4, d5, d6, d7));

    /// <summary>One column of <see cref="TransposedAdd512"/> against d: a vector whose 16 lanes add up to the dot product.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ColumnDot(int nv, ref float p, Vector512<float> d0, Vector512<float> d1, Vector512<float> d2, Vector512<float> d3,
        Vector512<float> d4, Vector512<float> d5, Vector512<float> d6, Vector512<float> d7)
    {
        const int n = 16;
        Vector512<float> a = Vector512.LoadUnsafe(ref p) * d0;
        a = nv > 1 ? Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref p, n), d1, a) : a;
        a = nv > 2 ? Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref p, 2 * n), d2, a) : a;
        a = nv > 3 ? Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref p, 3 * n), d3, a) : a;
        a = nv > 4 ? Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref p, 4 * n), d4, a) : a;
        a = nv > 5 ? Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref p, 5 * n), d5, a) : a;
        a = nv > 6 ? Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref p, 6 * n), d6, a) : a;
        return nv > 7 ? Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref p, 7 * n), d7, a) : a;
    }

    /// <summary>
    /// Four vectors a, b, c, e to one whose every 128-bit lane holds that lane's four sums <c>[Σa, Σb, Σc, Σe]</c>:
    /// interleave and add pairs, then the two halves of each lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Reduce4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> e)
    {
        Vector512<float> ab = Avx512F.UnpackLow(a, b) + Avx512F.UnpackHigh(a, b);
        Vector512<float> ce = Avx512F.UnpackLow(c, e) + Avx512F.UnpackHigh(c, e);
        return Avx512F.Shuffle(ab, ce, 0x44) + Avx512F.Shuffle(ab, ce, 0xEE);
    }

    /// <summary>
    /// <c>y[0..rows) = init[0..rows) + W x</c> (<paramref name="init"/> may be <paramref name="y"/>) for a <c>[rows, cols]</c> matrix stored block by block
    /// (<see cref="PackedLayout{TShape}.Index"/>): the rows of each block, column after column, so the kernel reads
    /// the weights in one sequential stream. <paramref name="rows"/> is a multiple of <c>TVec.Count</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void MultiplyAdd<TVec>(ref float w, int rows, int cols, ref float x, ref float init, ref float y)
        where TVec : struct, ISimd<TVec>
    {
        int vectors = rows / TVec.Count;
        int tail = vectors % BlockVectors;
        int full = vectors - tail;
        int blockRows = BlockVectors * TVec.Count;
        for (int v = 0; v < full; v += BlockVectors)
        {
            int offset = v * TVec.Count;
            if (BlockVectors == 8)
            {
                Wide<TVec, Eight>(ref Unsafe.Add(ref w, offset * cols), blockRows, cols, ref x, ref Unsafe.Add(ref init, offset), ref Unsafe.Add(ref y, offset));
            }
            else
            {
                Wide<TVec, Four>(ref Unsafe.Add(ref w, offset * cols), blockRows, cols, ref x, ref Unsafe.Add(ref init, offset), ref Unsafe.Add(ref y, offset));
            }
        }

        // The tail's size is a constant too, so exactly one block kernel is compiled for it.
        int tailStart = full * TVec.Count;
        TailBlock<TVec>(tail, ref Unsafe.Add(ref w, tailStart * cols), cols, ref x, ref Unsafe.Add(ref init, tailStart), ref Unsafe.Add(ref y, tailStart));
    }

    /// <summary>Vectors of rows in a unit of <see cref="MultiplyAddAlternating{TVec}"/>'s sweep.</summary>
    private const int UnitVectors = 4;

    /// <summary>
    /// <see cref="MultiplyAdd{TVec}"/> for a matrix larger than the L1 data cache, its row blocks swept forward or, when
    /// <paramref name="backward"/>, in the reverse order; callers alternate the two from one step to the next. A forward
    /// sweep leaves the rows it read last in L1, and the backward sweep that follows reads them first, so part of the
    /// matrix comes from L1 instead of L2 on every step. Each full block of <see cref="BlockVectors"/> vectors is swept as
    /// units of <see cref="UnitVectors"/> (with the block's column stride, as the layout stores it), the tail block as one:
    /// the finer the order, the more of what was read last is still cached. A unit of three or more vectors runs the same
    /// kernel as its block (two accumulators a vector, even and odd columns, from <paramref name="init"/>), and every row's
    /// sum depends on nothing but its own row, so in either direction the results are bit for bit
    /// <see cref="MultiplyAdd{TVec}"/>'s.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void MultiplyAddAlternating<TVec>(ref float w, int rows, int cols, ref float x, ref float init, ref float y, bool backward)
        where TVec : struct, ISimd<TVec>
    {
        int vectors = rows / TVec.Count;
        int tail = vectors % BlockVectors;
        int full = vectors - tail;
        int blockRows = BlockVectors * TVec.Count;
        int unitRows = UnitVectors * TVec.Count;
        int unitsPerBlock = BlockVectors / UnitVectors;
        int fullUnits = full / UnitVectors;
        int units = fullUnits + (tail > 0 ? 1 : 0);
        for (int i = 0; i < units; i++)
        {
            int unit = backward ? units - 1 - i : i;
            if (unit < fullUnits)
            {
                int blockStart = unit / unitsPerBlock * blockRows;
                int within = unit % unitsPerBlock * unitRows;
                Wide<TVec, Four>(ref Unsafe.Add(ref w, (blockStart * cols) + within), blockRows, cols, ref x, ref Unsafe.Add(ref init, blockStart + within),
                    ref Unsafe.Add(ref y, blockStart + within));
            }
            else
            {
                int tailStart = full * TVec.Count;
                TailBlock<TVec>(tail, ref Unsafe.Add(ref w, tailStart * cols), cols, ref x, ref Unsafe.Add(ref init, tailStart), ref Unsafe.Add(ref y, tailStart));
            }
        }
    }

    /// <summary>The last block of a matrix, <paramref name="tail"/> vectors high (fewer than <see cref="BlockVectors"/>; none when 0), at its own kernel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TailBlock<TVec>(int tail, ref float tw, int cols, ref float x, ref float ti, ref float ty)
        where TVec : struct, ISimd<TVec>
    {
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

    /// <summary>
    /// <c>y = init + x·w</c> for a single column (input size 1, the common sensor case): one pass of multiply-adds,
    /// inlined into the cell instead of a call to a block kernel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void MultiplyAddColumn<TVec>(ref float w, int rows, float x, ref float init, ref float y)
        where TVec : struct, ISimd<TVec>
    {
        TVec scale = TVec.Broadcast(x);
        for (int r = 0; r < rows; r += TVec.Count)
        {
            TVec.Store(TVec.MultiplyAdd(TVec.Load(ref w, (nuint)r), scale, TVec.Load(ref init, (nuint)r)), ref y, (nuint)r);
        }
    }

    /// <summary>A block of 3 to 8 vectors: two accumulators each, even columns into <c>a</c>, odd into <c>b</c>.</summary>
    /// <remarks>
    /// Each block shape is a method of its own (the vector count is a type argument), compiled separately: inlined
    /// into one caller, the sixteen accumulators' operations would exhaust the JIT's inlining budget and leave calls
    /// in the hot loop.
    /// </remarks>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    private static void Wide<TVec, TCount>(ref float w, int rows, int cols, ref float x, ref float init, ref float y)
        where TVec : struct, ISimd<TVec>
        where TCount : struct, IConstant
    {
        if (typeof(TVec) == typeof(Simd256))
        {
            Wide256(TCount.Value, ref w, rows, cols, ref x, ref init, ref y);
            return;
        }

        int nv = TCount.Value;
        nuint n = (nuint)TVec.Count;
        nuint stride = (nuint)rows;
        TVec a0 = TVec.Load(ref init, 0);
        TVec a1 = TVec.Load(ref init, n);
        TVec a2 = TVec.Load(ref init, 2 * n);
        TVec a3 = nv > 3 ? TVec.Load(ref init, 3 * n) : default;
        TVec a4 = nv > 4 ? TVec.Load(ref init, 4 * n) : default;
        TVec a5 = nv > 5 ? TVec.Load(ref init, 5 * n) : default;
        TVec a6 = nv > 6 ? TVec.Load(ref init, 6 * n) : default;
        TVec a7 = nv > 7 ? TVec.Load(ref init, 7 * n) : default;
        TVec b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        int j = 0;
        for (; j < cols - 1; j += 2)
        {
            ref float c = ref Unsafe.Add(ref w, (nuint)j * stride);
            ref float d = ref Unsafe.Add(ref c, stride);
            TVec x0 = TVec.Broadcast(Unsafe.Add(ref x, j));
            TVec x1 = TVec.Broadcast(Unsafe.Add(ref x, j + 1));
            a0 = TVec.MultiplyAdd(TVec.Load(ref c, 0), x0, a0);
            b0 = TVec.MultiplyAdd(TVec.Load(ref d, 0), x1, b0);
            a1 = TVec.MultiplyAdd(TVec.Load(ref c, n), x0, a1);
            b1 = TVec.MultiplyAdd(TVec.Load(ref d, n), x1, b1);
            a2 = TVec.MultiplyAdd(TVec.Load(ref c, 2 * n), x0, a2);
            b2 = TVec.MultiplyAdd(TVec.Load(ref d, 2 * n), x1, b2);
            if (nv > 3)
            {
                a3 = TVec.MultiplyAdd(TVec.Load(ref c, 3 * n), x0, a3);
                b3 = TVec.MultiplyAdd(TVec.Load(ref d, 3 * n), x1, b3);
            }

            if (nv > 4)
            {
                a4 = TVec.MultiplyAdd(TVec.Load(ref c, 4 * n), x0, a4);
                b4 = TVec.MultiplyAdd(TVec.Load(ref d, 4 * n), x1, b4);
            }

            if (nv > 5)
            {
                a5 = TVec.MultiplyAdd(TVec.Load(ref c, 5 * n), x0, a5);
                b5 = TVec.MultiplyAdd(TVec.Load(ref d, 5 * n), x1, b5);
            }

            if (nv > 6)
            {
                a6 = TVec.MultiplyAdd(TVec.Load(ref c, 6 * n), x0, a6);
                b6 = TVec.MultiplyAdd(TVec.Load(ref d, 6 * n), x1, b6);
            }

            if (nv > 7)
            {
                a7 = TVec.MultiplyAdd(TVec.Load(ref c, 7 * n), x0, a7);
                b7 = TVec.MultiplyAdd(TVec.Load(ref d, 7 * n), x1, b7);
            }
        }

        if (j < cols)
        {
            ref float c = ref Unsafe.Add(ref w, (nuint)j * stride);
            TVec x0 = TVec.Broadcast(Unsafe.Add(ref x, j));
            a0 = TVec.MultiplyAdd(TVec.Load(ref c, 0), x0, a0);
            a1 = TVec.MultiplyAdd(TVec.Load(ref c, n), x0, a1);
            a2 = TVec.MultiplyAdd(TVec.Load(ref c, 2 * n), x0, a2);
            a3 = nv > 3 ? TVec.MultiplyAdd(TVec.Load(ref c, 3 * n), x0, a3) : a3;
            a4 = nv > 4 ? TVec.MultiplyAdd(TVec.Load(ref c, 4 * n), x0, a4) : a4;
            a5 = nv > 5 ? TVec.MultiplyAdd(TVec.Load(ref c, 5 * n), x0, a5) : a5;
            a6 = nv > 6 ? TVec.MultiplyAdd(TVec.Load(ref c, 6 * n), x0, a6) : a6;
            a7 = nv > 7 ? TVec.MultiplyAdd(TVec.Load(ref c, 7 * n), x0, a7) : a7;
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

    /// <summary>
    /// <see cref="Wide{TVec, TCount}"/> at 256 bits (also the straight step's block product), written on
    /// <see cref="Vector256{T}"/> directly: the same accumulators (even columns on one, odd on the other, from
    /// <paramref name="init"/>) and the same order of additions on each, so the same sums bit for bit. Through the
    /// <see cref="ISimd{TSelf}"/> wrapper the JIT loaded every weight into a register of its own, multiplied into it and
    /// copied it to the accumulator (three instructions a multiply-add instead of one with the load folded in).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Wide256(int nv, ref float w, int rows, int cols, ref float x, ref float init, ref float y)
    {
        const int n = 8;
        WideSums256(nv, ref w, (nuint)rows, cols, ref x, ref init, out Vector256<float> y0, out Vector256<float> y1, out Vector256<float> y2,
            out Vector256<float> y3, out Vector256<float> y4, out Vector256<float> y5, out Vector256<float> y6, out Vector256<float> y7);
        y0.StoreUnsafe(ref y, 0);
        y1.StoreUnsafe(ref y, n);
        y2.StoreUnsafe(ref y, 2 * n);
        if (nv > 3)
        {
            y3.StoreUnsafe(ref y, 3 * n);
        }

        if (nv > 4)
        {
            y4.StoreUnsafe(ref y, 4 * n);
        }

        if (nv > 5)
        {
            y5.StoreUnsafe(ref y, 5 * n);
        }

        if (nv > 6)
        {
            y6.StoreUnsafe(ref y, 6 * n);
        }

        if (nv > 7)
        {
            y7.StoreUnsafe(ref y, 7 * n);
        }
    }

    /// <summary><see cref="Wide256"/>'s sums, left in registers (columns <paramref name="stride"/> floats apart): <c>y0</c>…<c>y7</c> (those past <paramref name="nv"/> zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    internal static void WideSums256(int nv, ref float w, nuint stride, int cols, ref float x, ref float init, out Vector256<float> y0, out Vector256<float> y1,
        out Vector256<float> y2, out Vector256<float> y3, out Vector256<float> y4, out Vector256<float> y5, out Vector256<float> y6, out Vector256<float> y7)
    {
        const int n = 8;
        Vector256<float> e0 = Vector256.LoadUnsafe(ref init, 0);
        Vector256<float> e1 = Vector256.LoadUnsafe(ref init, n);
        Vector256<float> e2 = Vector256.LoadUnsafe(ref init, 2 * n);
        Vector256<float> e3 = nv > 3 ? Vector256.LoadUnsafe(ref init, 3 * n) : default;
        Vector256<float> e4 = nv > 4 ? Vector256.LoadUnsafe(ref init, 4 * n) : default;
        Vector256<float> e5 = nv > 5 ? Vector256.LoadUnsafe(ref init, 5 * n) : default;
        Vector256<float> e6 = nv > 6 ? Vector256.LoadUnsafe(ref init, 6 * n) : default;
        Vector256<float> e7 = nv > 7 ? Vector256.LoadUnsafe(ref init, 7 * n) : default;
        Vector256<float> o0 = default, o1 = default, o2 = default, o3 = default, o4 = default, o5 = default, o6 = default, o7 = default;
        int k = 0;
        if (nv <= 4 && Avx.IsSupported)
        {
            // Eight columns a pass (Columns8): every weight is used once, so the loop is bound by its loads, and x's broadcasts
            // come from registers instead. Where the accumulators are more than eight, the four vectors this takes would not
            // fit 16 registers beside them.
            for (; k < cols - 7; k += 8)
            {
                Columns8(nv, ref Unsafe.Add(ref w, (nuint)k * stride), stride, ref Unsafe.Add(ref x, k), ref e0, ref e1, ref e2, ref e3, ref o0, ref o1, ref o2,
                    ref o3);
            }
        }

        for (; k < cols - 1; k += 2)
        {
            ref float c = ref Unsafe.Add(ref w, (nuint)k * stride);
            ref float d = ref Unsafe.Add(ref c, stride);
            Vector256<float> x0 = Vector256.Create(Unsafe.Add(ref x, k));
            Vector256<float> x1 = Vector256.Create(Unsafe.Add(ref x, k + 1));
            Columns2(nv, ref c, stride, x0, x1, ref e0, ref e1, ref e2, ref e3, ref o0, ref o1, ref o2, ref o3);
            if (nv > 4)
            {
                e4 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref c, 4 * n), x0, e4);
                o4 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref d, 4 * n), x1, o4);
            }

            if (nv > 5)
            {
                e5 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref c, 5 * n), x0, e5);
                o5 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref d, 5 * n), x1, o5);
            }

            if (nv > 6)
            {
                e6 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref c, 6 * n), x0, e6);
                o6 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref d, 6 * n), x1, o6);
            }

            if (nv > 7)
            {
                e7 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref c, 7 * n), x0, e7);
                o7 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref d, 7 * n), x1, o7);
            }
        }

        if (k < cols)
        {
            ref float c = ref Unsafe.Add(ref w, (nuint)k * stride);
            Vector256<float> x0 = Vector256.Create(Unsafe.Add(ref x, k));
            e0 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref c, 0), x0, e0);
            e1 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref c, n), x0, e1);
            e2 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref c, 2 * n), x0, e2);
            e3 = nv > 3 ? Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref c, 3 * n), x0, e3) : e3;
            e4 = nv > 4 ? Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref c, 4 * n), x0, e4) : e4;
            e5 = nv > 5 ? Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref c, 5 * n), x0, e5) : e5;
            e6 = nv > 6 ? Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref c, 6 * n), x0, e6) : e6;
            e7 = nv > 7 ? Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref c, 7 * n), x0, e7) : e7;
        }

        y0 = e0 + o0;
        y1 = e1 + o1;
        y2 = e2 + o2;
        y3 = nv > 3 ? e3 + o3 : default;
        y4 = nv > 4 ? e4 + o4 : default;
        y5 = nv > 5 ? e5 + o5 : default;
        y6 = nv > 6 ? e6 + o6 : default;
        y7 = nv > 7 ? e7 + o7 : default;
    }

    /// <summary>
    /// Eight columns of <see cref="WideSums256"/>'s first four vectors of rows (and of the straight step's gate blocks), in
    /// the loop's order (<see cref="Columns2"/> four times): <paramref name="x"/>'s eight values in one load and each
    /// broadcast in registers (both halves of the vector to each half, then the element across its half) instead of a
    /// broadcast load per column. A product of one stream uses every weight once, so at two multiply-adds a cycle it needs
    /// two vector loads a cycle, all a Zen 3 core's L1 gives; the broadcast loads came on top (measured on the loop alone:
    /// 72 % of the FMA rate with them, 81–82 % with the broadcasts made from registers). x64 with AVX only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Columns8(int nv, ref float c, nuint stride, ref float x, ref Vector256<float> e0, ref Vector256<float> e1, ref Vector256<float> e2,
        ref Vector256<float> e3, ref Vector256<float> o0, ref Vector256<float> o1, ref Vector256<float> o2, ref Vector256<float> o3)
    {
        Vector256<float> columns = Vector256.LoadUnsafe(ref x);
        Vector256<float> low = Avx.Permute2x128(columns, columns, 0x00);
        Vector256<float> high = Avx.Permute2x128(columns, columns, 0x11);
        Columns2(nv, ref c, stride, Avx.Permute(low, 0x00), Avx.Permute(low, 0x55), ref e0, ref e1, ref e2, ref e3, ref o0, ref o1, ref o2, ref o3);
        Columns2(nv, ref Unsafe.Add(ref c, 2 * stride), stride, Avx.Permute(low, 0xAA), Avx.Permute(low, 0xFF), ref e0, ref e1, ref e2, ref e3,
            ref o0, ref o1, ref o2, ref o3);
        Columns2(nv, ref Unsafe.Add(ref c, 4 * stride), stride, Avx.Permute(high, 0x00), Avx.Permute(high, 0x55), ref e0, ref e1, ref e2, ref e3,
            ref o0, ref o1, ref o2, ref o3);
        Columns2(nv, ref Unsafe.Add(ref c, 6 * stride), stride, Avx.Permute(high, 0xAA), Avx.Permute(high, 0xFF), ref e0, ref e1, ref e2, ref e3,
            ref o0, ref o1, ref o2, ref o3);
    }

    /// <summary>
    /// Two columns of <see cref="WideSums256"/>'s first four vectors of rows (and of the straight step's gate blocks):
    /// column <paramref name="c"/> times <paramref name="x0"/> onto the even accumulators, the next (<paramref name="stride"/>
    /// floats on) times <paramref name="x1"/> onto the odd ones, alternating, in the loop's order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Columns2(int nv, ref float c, nuint stride, Vector256<float> x0, Vector256<float> x1, ref Vector256<float> e0, ref Vector256<float> e1,
        ref Vector256<float> e2, ref Vector256<float> e3, ref Vector256<float> o0, ref Vector256<float> o1, ref Vector256<float> o2, ref Vector256<float> o3)
    {
        const int n = 8;
        ref float d = ref Unsafe.Add(ref c, stride);
        e0 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref c, 0), x0, e0);
        o0 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref d, 0), x1, o0);
        e1 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref c, n), x0, e1);
        o1 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref d, n), x1, o1);
        e2 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref c, 2 * n), x0, e2);
        o2 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref d, 2 * n), x1, o2);
        if (nv > 3)
        {
            e3 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref c, 3 * n), x0, e3);
            o3 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref d, 3 * n), x1, o3);
        }
    }

    /// <summary>A block of 1 or 2 vectors: four accumulators each, fed by columns j, j+1, j+2, j+3.</summary>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    private static void Narrow<TVec, TCount>(ref float w, int rows, int cols, ref float x, ref float init, ref float y)
        where TVec : struct, ISimd<TVec>
        where TCount : struct, IConstant
    {
        int nv = TCount.Value;
        nuint n = (nuint)TVec.Count;
        nuint stride = (nuint)rows;
        TVec a0 = TVec.Load(ref init, 0);
        TVec a1 = nv > 1 ? TVec.Load(ref init, n) : default;
        TVec b0 = default, b1 = default, c0 = default, c1 = default, d0 = default, d1 = default;
        int j = 0;
        for (; j < cols - 3; j += 4)
        {
            ref float p = ref Unsafe.Add(ref w, (nuint)j * stride);
            ref float q = ref Unsafe.Add(ref p, stride);
            ref float r = ref Unsafe.Add(ref q, stride);
            ref float s = ref Unsafe.Add(ref r, stride);
            TVec x0 = TVec.Broadcast(Unsafe.Add(ref x, j));
            TVec x1 = TVec.Broadcast(Unsafe.Add(ref x, j + 1));
            TVec x2 = TVec.Broadcast(Unsafe.Add(ref x, j + 2));
            TVec x3 = TVec.Broadcast(Unsafe.Add(ref x, j + 3));
            a0 = TVec.MultiplyAdd(TVec.Load(ref p, 0), x0, a0);
            b0 = TVec.MultiplyAdd(TVec.Load(ref q, 0), x1, b0);
            c0 = TVec.MultiplyAdd(TVec.Load(ref r, 0), x2, c0);
            d0 = TVec.MultiplyAdd(TVec.Load(ref s, 0), x3, d0);
            if (nv > 1)
            {
                a1 = TVec.MultiplyAdd(TVec.Load(ref p, n), x0, a1);
                b1 = TVec.MultiplyAdd(TVec.Load(ref q, n), x1, b1);
                c1 = TVec.MultiplyAdd(TVec.Load(ref r, n), x2, c1);
                d1 = TVec.MultiplyAdd(TVec.Load(ref s, n), x3, d1);
            }
        }

        for (; j < cols; j++)
        {
            ref float p = ref Unsafe.Add(ref w, (nuint)j * stride);
            TVec x0 = TVec.Broadcast(Unsafe.Add(ref x, j));
            a0 = TVec.MultiplyAdd(TVec.Load(ref p, 0), x0, a0);
            a1 = nv > 1 ? TVec.MultiplyAdd(TVec.Load(ref p, n), x0, a1) : a1;
        }

        TVec.Store(TVec.Add(TVec.Add(a0, b0), TVec.Add(c0, d0)), ref y, 0);
        if (nv > 1)
        {
            TVec.Store(TVec.Add(TVec.Add(a1, b1), TVec.Add(c1, d1)), ref y, n);
        }
    }
}

/// <summary>An integer as a type argument, so that a generic method is compiled once per value with it folded in.</summary>
internal interface IConstant
{
    static abstract int Value { get; }
}

internal readonly struct One : IConstant
{
    public static int Value => 1;
}

internal readonly struct Two : IConstant
{
    public static int Value => 2;
}

internal readonly struct Three : IConstant
{
    public static int Value => 3;
}

internal readonly struct Four : IConstant
{
    public static int Value => 4;
}

internal readonly struct Five : IConstant
{
    public static int Value => 5;
}

internal readonly struct Six : IConstant
{
    public static int Value => 6;
}

internal readonly struct Seven : IConstant
{
    public static int Value => 7;
}

internal readonly struct Eight : IConstant
{
    public static int Value => 8;
}
