using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Fixed;

/// <summary>
/// The dense building blocks of every cell: dot products and row updates over row-major matrices in
/// PyTorch layout. Each loop takes the widest vector the JIT reports as accelerated (the checks are JIT-time
/// constants, so the other paths are not even compiled), then finishes the remainder with narrower vectors
/// and finally scalars, so every length from 1 up is handled without reading past the end.
/// Multiply-adds use <c>MultiplyAddEstimate</c>: one fused instruction where the hardware has FMA, a multiply
/// and an add where it does not (an emulated fused multiply-add is ~30× slower, which is what a NativeAOT build
/// for the x64 baseline would otherwise get).
/// </summary>
internal static class VectorMath
{
    /// <summary>Returns <c>sum(a[i] * b[i])</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static float Dot(ref float a, ref float b, int length)
    {
        int i = 0;
        float sum = 0f;
        if ((Path512.Emulated || Vector512.IsHardwareAccelerated) && length >= Vector512<float>.Count)
        {
            Vector512<float> acc = Vector512<float>.Zero;
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                acc = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref a, (nuint)i), Vector512.LoadUnsafe(ref b, (nuint)i), acc);
            }

            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && length >= Vector256<float>.Count)
        {
            Vector256<float> acc = Vector256<float>.Zero;
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                acc = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref a, (nuint)i), Vector256.LoadUnsafe(ref b, (nuint)i), acc);
            }

            sum = Vector256.Sum(acc);
        }

        if (Vector128.IsHardwareAccelerated && length - i >= Vector128<float>.Count)
        {
            Vector128<float> acc = Vector128<float>.Zero;
            for (; i <= length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                acc = Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref a, (nuint)i), Vector128.LoadUnsafe(ref b, (nuint)i), acc);
            }

            sum += Vector128.Sum(acc);
        }

        for (; i < length; i++)
        {
            sum = float.MultiplyAddEstimate(Unsafe.Add(ref a, i), Unsafe.Add(ref b, i), sum);
        }

        return sum;
    }

    /// <summary><c>y[i] += a * x[i]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void Axpy(float a, ref float x, ref float y, int length)
    {
        int i = 0;
        if (Path512.Emulated || Vector512.IsHardwareAccelerated)
        {
            Vector512<float> va = Vector512.Create(a);
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                Vector512.MultiplyAddEstimate(va, Vector512.LoadUnsafe(ref x, (nuint)i), Vector512.LoadUnsafe(ref y, (nuint)i))
                    .StoreUnsafe(ref y, (nuint)i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> va = Vector256.Create(a);
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256.MultiplyAddEstimate(va, Vector256.LoadUnsafe(ref x, (nuint)i), Vector256.LoadUnsafe(ref y, (nuint)i))
                    .StoreUnsafe(ref y, (nuint)i);
            }
        }

        if (Vector128.IsHardwareAccelerated)
        {
            Vector128<float> va = Vector128.Create(a);
            for (; i <= length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                Vector128.MultiplyAddEstimate(va, Vector128.LoadUnsafe(ref x, (nuint)i), Vector128.LoadUnsafe(ref y, (nuint)i))
                    .StoreUnsafe(ref y, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref y, i) = float.MultiplyAddEstimate(a, Unsafe.Add(ref x, i), Unsafe.Add(ref y, i));
        }
    }

    /// <summary><c>y[i] += x[i]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void Add(ReadOnlySpan<float> x, Span<float> y)
    {
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float ry = ref MemoryMarshal.GetReference(y);
        int length = y.Length;
        int i = 0;
        if (Path512.Emulated || Vector512.IsHardwareAccelerated)
        {
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                (Vector512.LoadUnsafe(ref rx, (nuint)i) + Vector512.LoadUnsafe(ref ry, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                (Vector256.LoadUnsafe(ref rx, (nuint)i) + Vector256.LoadUnsafe(ref ry, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
            }
        }

        if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                (Vector128.LoadUnsafe(ref rx, (nuint)i) + Vector128.LoadUnsafe(ref ry, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref ry, i) += Unsafe.Add(ref rx, i);
        }
    }

    /// <summary>
    /// <c>y = W x + b</c>, or <c>y += W x + b</c> with <paramref name="accumulate"/>; the bias is skipped without
    /// <paramref name="hasBias"/>. Callers pass constants for both flags, so the JIT keeps one straight path, and
    /// the bias is added in the same pass instead of being copied in first. Serves the Linear head (the cells use
    /// <see cref="PackedMath"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void Project(ReadOnlySpan<float> w, int rows, int cols, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y,
        bool hasBias, bool accumulate)
    {
        ref float rw = ref MemoryMarshal.GetReference(w);
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float rb = ref MemoryMarshal.GetReference(bias);
        ref float ry = ref MemoryMarshal.GetReference(y);
        int r = 0;
        if (Vector128.IsHardwareAccelerated && cols >= Vector128<float>.Count)
        {
            for (; r <= rows - 4; r += 4)
            {
                Vector128<float> v = Dot4(ref Unsafe.Add(ref rw, r * cols), cols, ref rx, 0, cols);
                v = hasBias ? v + Vector128.LoadUnsafe(ref rb, (nuint)r) : v;
                v = accumulate ? v + Vector128.LoadUnsafe(ref ry, (nuint)r) : v;
                v.StoreUnsafe(ref ry, (nuint)r);
            }
        }

        for (; r < rows; r++)
        {
            float v = Dot(ref Unsafe.Add(ref rw, r * cols), ref rx, cols);
            v = hasBias ? v + Unsafe.Add(ref rb, r) : v;
            Unsafe.Add(ref ry, r) = accumulate ? v + Unsafe.Add(ref ry, r) : v;
        }
    }

    /// <summary>
    /// The Linear head of four streams at once, for a head of fewer than four outputs (where <see cref="Project"/> takes one
    /// <see cref="Dot"/> per output): <c>y_s = W x_s + b</c> for s = 0…3, x_s <paramref name="xStride"/> floats after x_(s−1)
    /// and y_s <paramref name="yStride"/> after y_(s−1). Each output row's four sums come out of one <see cref="Dot4"/>, so
    /// four horizontal sums cost about two; the sums are added in another order than <see cref="Dot"/>'s (within a few
    /// units in the last place of one stream's own head).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void ProjectFour(ref float w, int rows, int cols, ref float x0, int xStride, ref float bias, ref float y0, int yStride)
    {
        for (int r = 0; r < rows; r++)
        {
            Vector128<float> v = Dot4(ref Unsafe.Add(ref w, r * cols), 0, ref x0, xStride, cols) + Vector128.Create(Unsafe.Add(ref bias, r));
            if (rows == 1 && yStride == 1)
            {
                v.StoreUnsafe(ref y0);
            }
            else
            {
                Unsafe.Add(ref y0, r) = v.GetElement(0);
                Unsafe.Add(ref y0, yStride + r) = v.GetElement(1);
                Unsafe.Add(ref y0, (2 * yStride) + r) = v.GetElement(2);
                Unsafe.Add(ref y0, (3 * yStride) + r) = v.GetElement(3);
            }
        }
    }

    /// <summary>
    /// Four dot products as one vector: lane k is row k (<paramref name="rowStride"/> floats after row k − 1) with x k
    /// (<paramref name="xStride"/> floats after x k − 1), <paramref name="cols"/> long. Four rows with one x
    /// (<see cref="Project"/>: x's stride 0) or one row with four x (<see cref="ProjectFour"/>: the row's stride 0). Each
    /// product is accumulated in the widest vector, folded to 128 bits, and the four folds are summed across lanes together
    /// (a transpose-add), which costs about half of four separate horizontal sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static Vector128<float> Dot4(ref float row0, int rowStride, ref float x0, int xStride, int cols)
    {
        ref float row1 = ref Unsafe.Add(ref row0, rowStride);
        ref float row2 = ref Unsafe.Add(ref row1, rowStride);
        ref float row3 = ref Unsafe.Add(ref row2, rowStride);
        ref float x1 = ref Unsafe.Add(ref x0, xStride);
        ref float x2 = ref Unsafe.Add(ref x1, xStride);
        ref float x3 = ref Unsafe.Add(ref x2, xStride);
        Vector128<float> a0 = Vector128<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
        int c = 0;
        if ((Path512.Emulated || Vector512.IsHardwareAccelerated) && cols >= Vector512<float>.Count)
        {
            Vector512<float> b0 = Vector512<float>.Zero, b1 = b0, b2 = b0, b3 = b0;
            for (; c <= cols - Vector512<float>.Count; c += Vector512<float>.Count)
            {
                b0 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref row0, (nuint)c), Vector512.LoadUnsafe(ref x0, (nuint)c), b0);
                b1 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref row1, (nuint)c), Vector512.LoadUnsafe(ref x1, (nuint)c), b1);
                b2 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref row2, (nuint)c), Vector512.LoadUnsafe(ref x2, (nuint)c), b2);
                b3 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref row3, (nuint)c), Vector512.LoadUnsafe(ref x3, (nuint)c), b3);
            }

            a0 = Fold(Fold(b0));
            a1 = Fold(Fold(b1));
            a2 = Fold(Fold(b2));
            a3 = Fold(Fold(b3));
        }

        if (Vector256.IsHardwareAccelerated && cols - c >= Vector256<float>.Count)
        {
            Vector256<float> b0 = Vector256<float>.Zero, b1 = b0, b2 = b0, b3 = b0;
            for (; c <= cols - Vector256<float>.Count; c += Vector256<float>.Count)
            {
                b0 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref row0, (nuint)c), Vector256.LoadUnsafe(ref x0, (nuint)c), b0);
                b1 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref row1, (nuint)c), Vector256.LoadUnsafe(ref x1, (nuint)c), b1);
                b2 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref row2, (nuint)c), Vector256.LoadUnsafe(ref x2, (nuint)c), b2);
                b3 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref row3, (nuint)c), Vector256.LoadUnsafe(ref x3, (nuint)c), b3);
            }

            a0 += Fold(b0);
            a1 += Fold(b1);
            a2 += Fold(b2);
            a3 += Fold(b3);
        }

        for (; c <= cols - Vector128<float>.Count; c += Vector128<float>.Count)
        {
            a0 = Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref row0, (nuint)c), Vector128.LoadUnsafe(ref x0, (nuint)c), a0);
            a1 = Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref row1, (nuint)c), Vector128.LoadUnsafe(ref x1, (nuint)c), a1);
            a2 = Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref row2, (nuint)c), Vector128.LoadUnsafe(ref x2, (nuint)c), a2);
            a3 = Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref row3, (nuint)c), Vector128.LoadUnsafe(ref x3, (nuint)c), a3);
        }

        Vector128<float> sums = SumEach(a0, a1, a2, a3);
        if (c < cols)
        {
            // The last cols % 4 columns, one scalar product per row.
            Vector128<float> tail = Vector128<float>.Zero;
            for (; c < cols; c++)
            {
                tail = Vector128.MultiplyAddEstimate(
                    Vector128.Create(Unsafe.Add(ref row0, c), Unsafe.Add(ref row1, c), Unsafe.Add(ref row2, c), Unsafe.Add(ref row3, c)),
                    Vector128.Create(Unsafe.Add(ref x0, c), Unsafe.Add(ref x1, c), Unsafe.Add(ref x2, c), Unsafe.Add(ref x3, c)),
                    tail);
            }

            sums += tail;
        }

        return sums;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fold(Vector512<float> v) => v.GetLower() + v.GetUpper();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Fold(Vector256<float> v) => v.GetLower() + v.GetUpper();

    /// <summary><c>[Σa, Σb, Σc, Σd]</c>: pairwise adds where the instruction set has them, else four sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> SumEach(Vector128<float> a, Vector128<float> b, Vector128<float> c, Vector128<float> d)
    {
        if (Sse3.IsSupported)
        {
            return Sse3.HorizontalAdd(Sse3.HorizontalAdd(a, b), Sse3.HorizontalAdd(c, d));
        }

        if (AdvSimd.Arm64.IsSupported)
        {
            return AdvSimd.Arm64.AddPairwise(AdvSimd.Arm64.AddPairwise(a, b), AdvSimd.Arm64.AddPairwise(c, d));
        }

        return Vector128.Create(Vector128.Sum(a), Vector128.Sum(b), Vector128.Sum(c), Vector128.Sum(d));
    }

    /// <summary><c>y += Wᵀ d</c> for row-major <c>W</c> of <paramref name="rows"/> × <paramref name="cols"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void MultiplyTransposedAdd(ReadOnlySpan<float> w, int rows, int cols, ReadOnlySpan<float> d, Span<float> y)
    {
        ref float rw = ref MemoryMarshal.GetReference(w);
        ref float rd = ref MemoryMarshal.GetReference(d);
        ref float ry = ref MemoryMarshal.GetReference(y);
        if (cols == 1)
        {
            ry += Dot(ref rw, ref rd, rows);
            return;
        }

        for (int r = 0; r < rows; r++)
        {
            Axpy(Unsafe.Add(ref rd, r), ref Unsafe.Add(ref rw, r * cols), ref ry, cols);
        }
    }

    /// <summary>
    /// Both gradients of <c>W x</c> in one pass over the rows: <c>G += d xᵀ</c> and <c>y += Wᵀ d</c>
    /// (the rows of G and W are read together, each broadcast of d[r] serving both).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void OuterAndTransposedAdd(ReadOnlySpan<float> w, ReadOnlySpan<float> d, ReadOnlySpan<float> x, Span<float> g, Span<float> y)
    {
        int rows = d.Length;
        int cols = x.Length;
        if (cols == 1)
        {
            OuterAdd(d, x, g);
            MultiplyTransposedAdd(w, rows, cols, d, y);
            return;
        }

        ref float rw = ref MemoryMarshal.GetReference(w);
        ref float rg = ref MemoryMarshal.GetReference(g);
        ref float rd = ref MemoryMarshal.GetReference(d);
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float ry = ref MemoryMarshal.GetReference(y);
        int done = 0;
        if ((Path512.Emulated || Vector512.IsHardwareAccelerated) && cols >= Vector512<float>.Count)
        {
            done = OuterAndTransposedAdd<Simd512>(ref rw, ref rd, ref rx, ref rg, ref ry, rows, cols);
        }
        else if (Vector256.IsHardwareAccelerated && cols >= Vector256<float>.Count)
        {
            done = OuterAndTransposedAdd<Simd256>(ref rw, ref rd, ref rx, ref rg, ref ry, rows, cols);
        }
        else if (Vector128.IsHardwareAccelerated && cols >= Vector128<float>.Count)
        {
            done = OuterAndTransposedAdd<Simd128>(ref rw, ref rd, ref rx, ref rg, ref ry, rows, cols);
        }

        // The columns left over after whole vectors, one at a time, the y sum in a register.
        for (int c = done; c < cols; c++)
        {
            float xc = Unsafe.Add(ref rx, c);
            float sum = Unsafe.Add(ref ry, c);
            for (int r = 0; r < rows; r++)
            {
                float a = Unsafe.Add(ref rd, r);
                ref float gc = ref Unsafe.Add(ref rg, (r * cols) + c);
                gc = float.MultiplyAddEstimate(a, xc, gc);
                sum = float.MultiplyAddEstimate(a, Unsafe.Add(ref rw, (r * cols) + c), sum);
            }

            Unsafe.Add(ref ry, c) = sum;
        }
    }

    /// <summary>
    /// The whole-vector columns of <see cref="OuterAndTransposedAdd"/>, one vector of columns at a time: the gradient
    /// rows are updated in place, and <c>y</c>'s vector is summed over the rows in four register accumulators (rows
    /// taken four at a time) instead of being loaded and stored per row, which chained every row's multiply-add
    /// behind the previous row's store. Returns the number of columns done.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static int OuterAndTransposedAdd<TVec>(ref float w, ref float d, ref float x, ref float g, ref float y, int rows, int cols)
        where TVec : struct, ISimd<TVec>
    {
        int full = cols - (cols % TVec.Count);
        nuint stride = (nuint)cols;
        for (int c = 0; c < full; c += TVec.Count)
        {
            ref float wc = ref Unsafe.Add(ref w, c);
            ref float gc = ref Unsafe.Add(ref g, c);
            TVec xc = TVec.Load(ref x, (nuint)c);
            TVec s0 = TVec.Load(ref y, (nuint)c);
            TVec s1 = default, s2 = default, s3 = default;
            int r = 0;
            for (; r <= rows - 4; r += 4)
            {
                nuint o = (nuint)r * stride;
                TVec a0 = TVec.Broadcast(Unsafe.Add(ref d, r));
                TVec a1 = TVec.Broadcast(Unsafe.Add(ref d, r + 1));
                TVec a2 = TVec.Broadcast(Unsafe.Add(ref d, r + 2));
                TVec a3 = TVec.Broadcast(Unsafe.Add(ref d, r + 3));
                TVec.Store(TVec.MultiplyAdd(a0, xc, TVec.Load(ref gc, o)), ref gc, o);
                TVec.Store(TVec.MultiplyAdd(a1, xc, TVec.Load(ref gc, o + stride)), ref gc, o + stride);
                TVec.Store(TVec.MultiplyAdd(a2, xc, TVec.Load(ref gc, o + (2 * stride))), ref gc, o + (2 * stride));
                TVec.Store(TVec.MultiplyAdd(a3, xc, TVec.Load(ref gc, o + (3 * stride))), ref gc, o + (3 * stride));
                s0 = TVec.MultiplyAdd(a0, TVec.Load(ref wc, o), s0);
                s1 = TVec.MultiplyAdd(a1, TVec.Load(ref wc, o + stride), s1);
                s2 = TVec.MultiplyAdd(a2, TVec.Load(ref wc, o + (2 * stride)), s2);
                s3 = TVec.MultiplyAdd(a3, TVec.Load(ref wc, o + (3 * stride)), s3);
            }

            for (; r < rows; r++)
            {
                nuint o = (nuint)r * stride;
                TVec a = TVec.Broadcast(Unsafe.Add(ref d, r));
                TVec.Store(TVec.MultiplyAdd(a, xc, TVec.Load(ref gc, o)), ref gc, o);
                s0 = TVec.MultiplyAdd(a, TVec.Load(ref wc, o), s0);
            }

            TVec.Store(TVec.Add(TVec.Add(s0, s1), TVec.Add(s2, s3)), ref y, (nuint)c);
        }

        return full;
    }

    /// <summary>
    /// <c>y += Wᵀ d</c> for row-major <c>W</c> of <c>d.Length</c> × <c>y.Length</c>: the transposed half of
    /// <see cref="OuterAndTransposedAdd"/>, summed in the same order (so the same bits), for the backward recurrence
    /// that no longer updates the gradient in the same pass (<see cref="OuterAddSteps"/> does, after it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void TransposedAdd(ReadOnlySpan<float> w, ReadOnlySpan<float> d, Span<float> y)
    {
        int rows = d.Length;
        int cols = y.Length;
        if (cols == 1)
        {
            MultiplyTransposedAdd(w, rows, cols, d, y);
            return;
        }

        ref float rw = ref MemoryMarshal.GetReference(w);
        ref float rd = ref MemoryMarshal.GetReference(d);
        ref float ry = ref MemoryMarshal.GetReference(y);
        int done = 0;
        if ((Path512.Emulated || Vector512.IsHardwareAccelerated) && cols >= Vector512<float>.Count)
        {
            done = TransposedAdd<Simd512>(ref rw, ref rd, ref ry, rows, cols);
        }
        else if (Vector256.IsHardwareAccelerated && Avx.IsSupported && cols % 16 == 0)
        {
            done = TransposedAdd256(ref rw, ref rd, ref ry, rows, cols);
        }
        else if (Vector256.IsHardwareAccelerated && cols >= Vector256<float>.Count)
        {
            done = TransposedAdd<Simd256>(ref rw, ref rd, ref ry, rows, cols);
        }
        else if (Vector128.IsHardwareAccelerated && cols >= Vector128<float>.Count)
        {
            done = TransposedAdd<Simd128>(ref rw, ref rd, ref ry, rows, cols);
        }

        for (int c = done; c < cols; c++)
        {
            float sum = Unsafe.Add(ref ry, c);
            for (int r = 0; r < rows; r++)
            {
                sum = float.MultiplyAddEstimate(Unsafe.Add(ref rd, r), Unsafe.Add(ref rw, (r * cols) + c), sum);
            }

            Unsafe.Add(ref ry, c) = sum;
        }
    }

    /// <summary>
    /// <see cref="TransposedAdd{TVec}"/> at 256 bits for a whole number of pairs of vectors of columns, the same accumulators
    /// and order of additions (so the same sums), with <c>d</c> read eight rows at a time and each row's value broadcast in
    /// registers (both halves of the vector to each half, then the element across its half) instead of a broadcast load per
    /// row: every weight is used once, so the loop was bound by its loads (eight weights and four broadcasts for eight
    /// multiply-adds; on a Zen 3 core almost a quarter of the single-sequence training iteration went to it). Returns the
    /// columns done.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static int TransposedAdd256(ref float w, ref float d, ref float y, int rows, int cols)
    {
        const int n = 8;
        nuint stride = (nuint)cols;
        for (int c = 0; c < cols; c += 2 * n)
        {
            Vector256<float> s0 = Vector256.LoadUnsafe(ref y, (nuint)c), t0 = Vector256.LoadUnsafe(ref y, (nuint)(c + n));
            Vector256<float> s1 = default, s2 = default, s3 = default, t1 = default, t2 = default, t3 = default;
            ref float w0 = ref Unsafe.Add(ref w, c);
            ref float dr = ref d;
            int r = 0;
            for (; r <= rows - 8; r += 8)
            {
                Vector256<float> values = Vector256.LoadUnsafe(ref dr);
                Vector256<float> low = Avx.Permute2x128(values, values, 0x00);
                Vector256<float> high = Avx.Permute2x128(values, values, 0x11);
                Rows4(ref w0, stride, Avx.Permute(low, 0x00), Avx.Permute(low, 0x55), Avx.Permute(low, 0xAA), Avx.Permute(low, 0xFF),
                    ref s0, ref s1, ref s2, ref s3, ref t0, ref t1, ref t2, ref t3);
                Rows4(ref Unsafe.Add(ref w0, 4 * stride), stride, Avx.Permute(high, 0x00), Avx.Permute(high, 0x55), Avx.Permute(high, 0xAA),
                    Avx.Permute(high, 0xFF), ref s0, ref s1, ref s2, ref s3, ref t0, ref t1, ref t2, ref t3);
                w0 = ref Unsafe.Add(ref w0, 8 * stride);
                dr = ref Unsafe.Add(ref dr, 8);
            }

            for (; r <= rows - 4; r += 4)
            {
                Rows4(ref w0, stride, Vector256.Create(dr), Vector256.Create(Unsafe.Add(ref dr, 1)), Vector256.Create(Unsafe.Add(ref dr, 2)),
                    Vector256.Create(Unsafe.Add(ref dr, 3)), ref s0, ref s1, ref s2, ref s3, ref t0, ref t1, ref t2, ref t3);
                w0 = ref Unsafe.Add(ref w0, 4 * stride);
                dr = ref Unsafe.Add(ref dr, 4);
            }

            for (; r < rows; r++)
            {
                Vector256<float> a0 = Vector256.Create(dr);
                s0 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref w0), a0, s0);
                t0 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref w0, n), a0, t0);
                w0 = ref Unsafe.Add(ref w0, stride);
                dr = ref Unsafe.Add(ref dr, 1);
            }

            ((s0 + s1) + (s2 + s3)).StoreUnsafe(ref y, (nuint)c);
            ((t0 + t1) + (t2 + t3)).StoreUnsafe(ref y, (nuint)(c + n));
        }

        return cols;
    }

    /// <summary>
    /// Four rows of <see cref="TransposedAdd256"/>: row k (at <paramref name="w"/> + k·<paramref name="stride"/>, two vectors
    /// of columns) times its value <paramref name="a0"/>…<paramref name="a3"/> onto <c>s_k</c> and <c>t_k</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Rows4(ref float w, nuint stride, Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3,
        ref Vector256<float> s0, ref Vector256<float> s1, ref Vector256<float> s2, ref Vector256<float> s3, ref Vector256<float> t0,
        ref Vector256<float> t1, ref Vector256<float> t2, ref Vector256<float> t3)
    {
        const int n = 8;
        s0 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref w), a0, s0);
        t0 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref w, n), a0, t0);
        s1 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref w, stride), a1, s1);
        t1 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref w, stride + n), a1, t1);
        s2 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref w, 2 * stride), a2, s2);
        t2 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref w, (2 * stride) + n), a2, t2);
        s3 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref w, 3 * stride), a3, s3);
        t3 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref w, (3 * stride) + n), a3, t3);
    }

    /// <summary>
    /// The whole-vector columns of <see cref="TransposedAdd"/>: each vector of <c>y</c> summed over the rows in four
    /// register accumulators (rows taken four at a time, as <see cref="OuterAndTransposedAdd"/> does), two vectors of
    /// columns per pass over the rows, so that eight chains of multiply-adds are in flight instead of four (the two
    /// vectors' sums are independent, but in separate passes the second waited for the first). Returns the columns done.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static int TransposedAdd<TVec>(ref float w, ref float d, ref float y, int rows, int cols)
        where TVec : struct, ISimd<TVec>
    {
        int n = TVec.Count;
        int full = cols - (cols % n);
        int pairs = cols - (cols % (2 * n));
        nuint stride = (nuint)cols;
        int c = 0;
        for (; c < pairs; c += 2 * n)
        {
            ref float wc = ref Unsafe.Add(ref w, c);
            nuint c0 = (nuint)c, c1 = (nuint)(c + n);
            TVec s0 = TVec.Load(ref y, c0), t0 = TVec.Load(ref y, c1);
            TVec s1 = default, s2 = default, s3 = default, t1 = default, t2 = default, t3 = default;
            // The row pointers advance instead of being recomputed from r: half the instructions per multiply-add.
            ref float w0 = ref wc;
            ref float dr = ref d;
            nuint o1 = stride, o2 = 2 * stride, o3 = 3 * stride, step = 4 * stride, v = (nuint)n;
            int r = 0;
            for (; r <= rows - 4; r += 4)
            {
                TVec a0 = TVec.Broadcast(dr);
                TVec a1 = TVec.Broadcast(Unsafe.Add(ref dr, 1));
                TVec a2 = TVec.Broadcast(Unsafe.Add(ref dr, 2));
                TVec a3 = TVec.Broadcast(Unsafe.Add(ref dr, 3));
                s0 = TVec.MultiplyAdd(TVec.Load(ref w0, 0), a0, s0);
                t0 = TVec.MultiplyAdd(TVec.Load(ref w0, v), a0, t0);
                s1 = TVec.MultiplyAdd(TVec.Load(ref w0, o1), a1, s1);
                t1 = TVec.MultiplyAdd(TVec.Load(ref w0, o1 + v), a1, t1);
                s2 = TVec.MultiplyAdd(TVec.Load(ref w0, o2), a2, s2);
                t2 = TVec.MultiplyAdd(TVec.Load(ref w0, o2 + v), a2, t2);
                s3 = TVec.MultiplyAdd(TVec.Load(ref w0, o3), a3, s3);
                t3 = TVec.MultiplyAdd(TVec.Load(ref w0, o3 + v), a3, t3);
                w0 = ref Unsafe.Add(ref w0, step);
                dr = ref Unsafe.Add(ref dr, 4);
            }

            for (; r < rows; r++)
            {
                TVec a0 = TVec.Broadcast(dr);
                s0 = TVec.MultiplyAdd(TVec.Load(ref w0, 0), a0, s0);
                t0 = TVec.MultiplyAdd(TVec.Load(ref w0, v), a0, t0);
                w0 = ref Unsafe.Add(ref w0, stride);
                dr = ref Unsafe.Add(ref dr, 1);
            }

            TVec.Store(TVec.Add(TVec.Add(s0, s1), TVec.Add(s2, s3)), ref y, c0);
            TVec.Store(TVec.Add(TVec.Add(t0, t1), TVec.Add(t2, t3)), ref y, c1);
        }

        for (; c < full; c += n)
        {
            ref float wc = ref Unsafe.Add(ref w, c);
            TVec s0 = TVec.Load(ref y, (nuint)c);
            TVec s1 = default, s2 = default, s3 = default;
            int r = 0;
            for (; r <= rows - 4; r += 4)
            {
                nuint o = (nuint)r * stride;
                s0 = TVec.MultiplyAdd(TVec.Broadcast(Unsafe.Add(ref d, r)), TVec.Load(ref wc, o), s0);
                s1 = TVec.MultiplyAdd(TVec.Broadcast(Unsafe.Add(ref d, r + 1)), TVec.Load(ref wc, o + stride), s1);
                s2 = TVec.MultiplyAdd(TVec.Broadcast(Unsafe.Add(ref d, r + 2)), TVec.Load(ref wc, o + (2 * stride)), s2);
                s3 = TVec.MultiplyAdd(TVec.Broadcast(Unsafe.Add(ref d, r + 3)), TVec.Load(ref wc, o + (3 * stride)), s3);
            }

            for (; r < rows; r++)
            {
                s0 = TVec.MultiplyAdd(TVec.Broadcast(Unsafe.Add(ref d, r)), TVec.Load(ref wc, (nuint)r * stride), s0);
            }

            TVec.Store(TVec.Add(TVec.Add(s0, s1), TVec.Add(s2, s3)), ref y, (nuint)c);
        }

        return full;
    }

    /// <summary>
    /// <c>G += Σ d_s x_sᵀ</c> over <paramref name="steps"/> recorded steps, <c>s</c> from the last to the first: the
    /// weight gradient of <c>W x</c> for a whole sequence at once, <c>d_s</c> and <c>x_s</c> read from the tape
    /// (<paramref name="dStride"/> and <paramref name="xStride"/> floats apart). Each element of <c>G</c> gets the same
    /// multiply-adds in the same order as <see cref="OuterAdd"/> called once per step from the last (so the same bits),
    /// but the element stays in a register across the steps: <c>G</c> is loaded and stored once per sequence instead of
    /// once per step, and the 4-row × 2-vector blocks keep eight independent chains in flight.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void OuterAddSteps(Span<float> g, int rows, int cols, ReadOnlySpan<float> d, int dStride, ReadOnlySpan<float> x, int xStride,
        int steps)
    {
        if (steps == 0)
        {
            return;
        }

        ref float rg = ref MemoryMarshal.GetReference(g);
        ref float rd = ref MemoryMarshal.GetReference(d);
        ref float rx = ref MemoryMarshal.GetReference(x);
        if (cols == 1)
        {
            // One column (input size 1, or a head's bias): the rows are the vector, x_s the broadcast.
            int r = 0;
            if ((Path512.Emulated || Vector512.IsHardwareAccelerated) && rows >= Vector512<float>.Count)
            {
                r = ColumnSteps<Simd512>(ref rg, rows, ref rd, dStride, ref rx, xStride, steps, r);
            }

            if (Vector256.IsHardwareAccelerated && rows - r >= Vector256<float>.Count)
            {
                r = ColumnSteps<Simd256>(ref rg, rows, ref rd, dStride, ref rx, xStride, steps, r);
            }

            if (Vector128.IsHardwareAccelerated && rows - r >= Vector128<float>.Count)
            {
                r = ColumnSteps<Simd128>(ref rg, rows, ref rd, dStride, ref rx, xStride, steps, r);
            }

            ColumnSteps<Simd1>(ref rg, rows, ref rd, dStride, ref rx, xStride, steps, r);
            return;
        }

        int c = 0;
        if ((Path512.Emulated || Vector512.IsHardwareAccelerated) && cols >= Vector512<float>.Count)
        {
            c = OuterSteps<Simd512>(ref rg, rows, cols, ref rd, dStride, ref rx, xStride, steps, c);
        }

        if (Vector256.IsHardwareAccelerated && cols - c >= Vector256<float>.Count)
        {
            c = OuterSteps<Simd256>(ref rg, rows, cols, ref rd, dStride, ref rx, xStride, steps, c);
        }

        if (Vector128.IsHardwareAccelerated && cols - c >= Vector128<float>.Count)
        {
            c = OuterSteps<Simd128>(ref rg, rows, cols, ref rd, dStride, ref rx, xStride, steps, c);
        }

        OuterSteps<Simd1>(ref rg, rows, cols, ref rd, dStride, ref rx, xStride, steps, c);
    }

    /// <summary>The columns of <see cref="OuterAddSteps"/> from <paramref name="from"/> in whole vectors; returns the columns done.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static int OuterSteps<TVec>(ref float g, int rows, int cols, ref float d, int dStride, ref float x, int xStride, int steps, int from)
        where TVec : struct, ISimd<TVec>
    {
        int n = TVec.Count;
        int pairs = from + ((cols - from) / (2 * n) * 2 * n);
        int end = from + ((cols - from) / n * n);
        int r = 0;
        if (TVec.Count == 16 && pairs == end)
        {
            // On AVX-512 (32 registers) eight rows at a time: sixteen accumulator chains instead of eight, so the multiply-adds
            // are not held up by their latency; every element still sums its steps in the same order.
            for (; r <= rows - 8; r += 8)
            {
                OuterEightRows<TVec, NoSums>(ref Unsafe.Add(ref g, r * cols), cols, ref Unsafe.Add(ref d, r), dStride, ref x, xStride, steps, from, pairs,
                    ref Unsafe.NullRef<float>(), ref Unsafe.NullRef<float>(), ref Unsafe.NullRef<float>(), ref Unsafe.NullRef<float>(), ref Unsafe.NullRef<float>(),
                    ref Unsafe.NullRef<float>());
            }
        }

        for (; r <= rows - 4; r += 4)
        {
            ref float g0 = ref Unsafe.Add(ref g, r * cols);
            ref float g1 = ref Unsafe.Add(ref g0, cols);
            ref float g2 = ref Unsafe.Add(ref g1, cols);
            ref float g3 = ref Unsafe.Add(ref g2, cols);
            ref float dr = ref Unsafe.Add(ref d, r);
            int c = from;
            for (; c < pairs; c += 2 * n)
            {
                nuint c0 = (nuint)c, c1 = (nuint)(c + n);
                TVec a00 = TVec.Load(ref g0, c0), a01 = TVec.Load(ref g0, c1);
                TVec a10 = TVec.Load(ref g1, c0), a11 = TVec.Load(ref g1, c1);
                TVec a20 = TVec.Load(ref g2, c0), a21 = TVec.Load(ref g2, c1);
                TVec a30 = TVec.Load(ref g3, c0), a31 = TVec.Load(ref g3, c1);

                // The last step's rows first, each pointer moved back a stride a step (an index times the stride cost two
                // multiplications and sign extensions in every iteration).
                ref float xs = ref Unsafe.Add(ref x, (steps - 1) * xStride);
                ref float ds = ref Unsafe.Add(ref dr, (steps - 1) * dStride);
                nint xBytes = (nint)xStride * sizeof(float), dBytes = (nint)dStride * sizeof(float);
                for (int s = steps - 1; s >= 0; s--)
                {
                    TVec x0 = TVec.Load(ref xs, c0), x1 = TVec.Load(ref xs, c1);
                    TVec b0 = TVec.Broadcast(ds);
                    TVec b1 = TVec.Broadcast(Unsafe.Add(ref ds, 1));
                    TVec b2 = TVec.Broadcast(Unsafe.Add(ref ds, 2));
                    TVec b3 = TVec.Broadcast(Unsafe.Add(ref ds, 3));
                    a00 = TVec.MultiplyAdd(b0, x0, a00);
                    a01 = TVec.MultiplyAdd(b0, x1, a01);
                    a10 = TVec.MultiplyAdd(b1, x0, a10);
                    a11 = TVec.MultiplyAdd(b1, x1, a11);
                    a20 = TVec.MultiplyAdd(b2, x0, a20);
                    a21 = TVec.MultiplyAdd(b2, x1, a21);
                    a30 = TVec.MultiplyAdd(b3, x0, a30);
                    a31 = TVec.MultiplyAdd(b3, x1, a31);
                    xs = ref Unsafe.SubtractByteOffset(ref xs, xBytes);
                    ds = ref Unsafe.SubtractByteOffset(ref ds, dBytes);
                }

                TVec.Store(a00, ref g0, c0);
                TVec.Store(a01, ref g0, c1);
                TVec.Store(a10, ref g1, c0);
                TVec.Store(a11, ref g1, c1);
                TVec.Store(a20, ref g2, c0);
                TVec.Store(a21, ref g2, c1);
                TVec.Store(a30, ref g3, c0);
                TVec.Store(a31, ref g3, c1);
            }

            for (; c < end; c += n)
            {
                nuint c0 = (nuint)c;
                TVec a0 = TVec.Load(ref g0, c0), a1 = TVec.Load(ref g1, c0), a2 = TVec.Load(ref g2, c0), a3 = TVec.Load(ref g3, c0);
                for (int s = steps - 1; s >= 0; s--)
                {
                    ref float ds = ref Unsafe.Add(ref dr, s * dStride);
                    TVec x0 = TVec.Load(ref Unsafe.Add(ref x, s * xStride), c0);
                    a0 = TVec.MultiplyAdd(TVec.Broadcast(ds), x0, a0);
                    a1 = TVec.MultiplyAdd(TVec.Broadcast(Unsafe.Add(ref ds, 1)), x0, a1);
                    a2 = TVec.MultiplyAdd(TVec.Broadcast(Unsafe.Add(ref ds, 2)), x0, a2);
                    a3 = TVec.MultiplyAdd(TVec.Broadcast(Unsafe.Add(ref ds, 3)), x0, a3);
                }

                TVec.Store(a0, ref g0, c0);
                TVec.Store(a1, ref g1, c0);
                TVec.Store(a2, ref g2, c0);
                TVec.Store(a3, ref g3, c0);
            }
        }

        for (; r < rows; r++)
        {
            // A lone row (a one-output head's weights): its column vectors two at a time, so two chains are in flight.
            ref float g0 = ref Unsafe.Add(ref g, r * cols);
            int c = from;
            for (; c < pairs; c += 2 * n)
            {
                nuint c0 = (nuint)c, c1 = (nuint)(c + n);
                TVec a0 = TVec.Load(ref g0, c0), a1 = TVec.Load(ref g0, c1);
                for (int s = steps - 1; s >= 0; s--)
                {
                    ref float xs = ref Unsafe.Add(ref x, s * xStride);
                    TVec b = TVec.Broadcast(Unsafe.Add(ref d, (s * dStride) + r));
                    a0 = TVec.MultiplyAdd(b, TVec.Load(ref xs, c0), a0);
                    a1 = TVec.MultiplyAdd(b, TVec.Load(ref xs, c1), a1);
                }

                TVec.Store(a0, ref g0, c0);
                TVec.Store(a1, ref g0, c1);
            }

            for (; c < end; c += n)
            {
                nuint c0 = (nuint)c;
                TVec a0 = TVec.Load(ref g0, c0);
                for (int s = steps - 1; s >= 0; s--)
                {
                    a0 = TVec.MultiplyAdd(TVec.Broadcast(Unsafe.Add(ref d, (s * dStride) + r)), TVec.Load(ref Unsafe.Add(ref x, s * xStride), c0), a0);
                }

                TVec.Store(a0, ref g0, c0);
            }
        }

        return end;
    }

    /// <summary>
    /// <see cref="OuterSteps{TVec}"/> for eight rows and the column pairs from <paramref name="from"/> to <paramref name="pairs"/>;
    /// with <typeparamref name="TSums"/> also the eight rows' <see cref="GateSums.BiasSteps"/> (<paramref name="p"/>,
    /// <paramref name="e"/> and the scalar <paramref name="xScalar"/> on the tape at <paramref name="dStride"/>), for a 16-wide
    /// <typeparamref name="TVec"/> and one column pair only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void OuterEightRows<TVec, TSums>(ref float g0, int cols, ref float dr, int dStride, ref float x, int xStride, int steps, int from, int pairs,
        ref float column, ref float bih, ref float bhh, ref float p, ref float e, ref float xScalar)
        where TVec : struct, ISimd<TVec>
        where TSums : struct, IFoldedSums
    {
        int n = TVec.Count;
        nuint stride = (nuint)cols;
        // The folded sums: eight rows are half a 16-wide vector, so they run 8 wide (the same per-element operations as
        // GateSums' 16-wide ones, so the same bits). Three more chains beside the sixteen products, on loads of lines the
        // broadcasts below read anyway.
        Simd256 sumColumn = default, sumIh = default, sumHh = default;
        if (TSums.Present)
        {
            sumIh = Simd256.Load(ref bih, 0);
            sumHh = Simd256.Load(ref bhh, 0);
            if (TSums.Column)
            {
                sumColumn = Simd256.Load(ref column, 0);
            }
        }

        for (int c = from; c < pairs; c += 2 * n)
        {
            ref float gc = ref Unsafe.Add(ref g0, c);
            nuint v = (nuint)n;
            TVec a00 = TVec.Load(ref gc, 0), a01 = TVec.Load(ref gc, v);
            TVec a10 = TVec.Load(ref gc, stride), a11 = TVec.Load(ref gc, stride + v);
            TVec a20 = TVec.Load(ref gc, 2 * stride), a21 = TVec.Load(ref gc, (2 * stride) + v);
            TVec a30 = TVec.Load(ref gc, 3 * stride), a31 = TVec.Load(ref gc, (3 * stride) + v);
            TVec a40 = TVec.Load(ref gc, 4 * stride), a41 = TVec.Load(ref gc, (4 * stride) + v);
            TVec a50 = TVec.Load(ref gc, 5 * stride), a51 = TVec.Load(ref gc, (5 * stride) + v);
            TVec a60 = TVec.Load(ref gc, 6 * stride), a61 = TVec.Load(ref gc, (6 * stride) + v);
            TVec a70 = TVec.Load(ref gc, 7 * stride), a71 = TVec.Load(ref gc, (7 * stride) + v);
            ref float xc = ref Unsafe.Add(ref x, c);
            for (int s = steps - 1; s >= 0; s--)
            {
                ref float xs = ref Unsafe.Add(ref xc, s * xStride);
                ref float ds = ref Unsafe.Add(ref dr, s * dStride);
                if (TSums.Present)
                {
                    Simd256 ps = Simd256.Load(ref Unsafe.Add(ref p, s * dStride), 0);
                    if (TSums.Column)
                    {
                        sumColumn = Simd256.MultiplyAdd(ps, Simd256.Broadcast(Unsafe.Add(ref xScalar, s * dStride)), sumColumn);
                    }

                    sumIh = Simd256.Add(ps, sumIh);
                    sumHh = Simd256.Add(Simd256.Load(ref Unsafe.Add(ref e, s * dStride), 0), sumHh);
                }

                TVec x0 = TVec.Load(ref xs, 0), x1 = TVec.Load(ref xs, v);
                TVec b = TVec.Broadcast(ds);
                a00 = TVec.MultiplyAdd(b, x0, a00);
                a01 = TVec.MultiplyAdd(b, x1, a01);
                b = TVec.Broadcast(Unsafe.Add(ref ds, 1));
                a10 = TVec.MultiplyAdd(b, x0, a10);
                a11 = TVec.MultiplyAdd(b, x1, a11);
                b = TVec.Broadcast(Unsafe.Add(ref ds, 2));
                a20 = TVec.MultiplyAdd(b, x0, a20);
                a21 = TVec.MultiplyAdd(b, x1, a21);
                b = TVec.Broadcast(Unsafe.Add(ref ds, 3));
                a30 = TVec.MultiplyAdd(b, x0, a30);
                a31 = TVec.MultiplyAdd(b, x1, a31);
                b = TVec.Broadcast(Unsafe.Add(ref ds, 4));
                a40 = TVec.MultiplyAdd(b, x0, a40);
                a41 = TVec.MultiplyAdd(b, x1, a41);
                b = TVec.Broadcast(Unsafe.Add(ref ds, 5));
                a50 = TVec.MultiplyAdd(b, x0, a50);
                a51 = TVec.MultiplyAdd(b, x1, a51);
                b = TVec.Broadcast(Unsafe.Add(ref ds, 6));
                a60 = TVec.MultiplyAdd(b, x0, a60);
                a61 = TVec.MultiplyAdd(b, x1, a61);
                b = TVec.Broadcast(Unsafe.Add(ref ds, 7));
                a70 = TVec.MultiplyAdd(b, x0, a70);
                a71 = TVec.MultiplyAdd(b, x1, a71);
            }

            TVec.Store(a00, ref gc, 0);
            TVec.Store(a01, ref gc, v);
            TVec.Store(a10, ref gc, stride);
            TVec.Store(a11, ref gc, stride + v);
            TVec.Store(a20, ref gc, 2 * stride);
            TVec.Store(a21, ref gc, (2 * stride) + v);
            TVec.Store(a30, ref gc, 3 * stride);
            TVec.Store(a31, ref gc, (3 * stride) + v);
            TVec.Store(a40, ref gc, 4 * stride);
            TVec.Store(a41, ref gc, (4 * stride) + v);
            TVec.Store(a50, ref gc, 5 * stride);
            TVec.Store(a51, ref gc, (5 * stride) + v);
            TVec.Store(a60, ref gc, 6 * stride);
            TVec.Store(a61, ref gc, (6 * stride) + v);
            TVec.Store(a70, ref gc, 7 * stride);
            TVec.Store(a71, ref gc, (7 * stride) + v);
        }

        if (TSums.Present)
        {
            Simd256.Store(sumIh, ref bih, 0);
            Simd256.Store(sumHh, ref bhh, 0);
            if (TSums.Column)
            {
                Simd256.Store(sumColumn, ref column, 0);
            }
        }
    }

    /// <summary>
    /// <see cref="OuterAddSteps"/> of a layer's hidden weights, <c>G += Σ d_s h_sᵀ</c>, and <see cref="GateSums.BiasSteps"/>
    /// of the same rows, <c>bih += Σ p_s</c>, <c>bhh += Σ e_s</c> and (unless <paramref name="column"/> is empty)
    /// <c>column += Σ p_s x_s</c>, all read from one tape of <paramref name="stride"/> floats a step. Where the AVX-512 eight-row
    /// blocks cover the whole matrix, the sums ride along in their first column pair's pass over the steps, on the same
    /// cache lines of <c>d</c>: as a pass of their own they were a few chains of one addition a step, streaming the tape
    /// from L2 again for ~1 % of the arithmetic (4 % of a batched GRU 1→32 Backward on a Zen 5). Elsewhere it is the two
    /// calls. Either way every element gets the same operations in the same order (steps from the last), so the same bits.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void OuterAddStepsWithSums(Span<float> g, int rows, int cols, ReadOnlySpan<float> d, ReadOnlySpan<float> h,
        Span<float> column, Span<float> bih, Span<float> bhh, ReadOnlySpan<float> p, ReadOnlySpan<float> e, ReadOnlySpan<float> x,
        int stride, int steps)
    {
        if (!(Path512.Emulated || Vector512.IsHardwareAccelerated) || rows % 8 != 0 || cols % (2 * Vector512<float>.Count) != 0 || steps == 0)
        {
            OuterAddSteps(g, rows, cols, d, stride, h, stride, steps);
            GateSums.BiasSteps(column, bih, bhh, p, e, x, stride, steps);
            return;
        }

        // Every read and write inside, checked once here.
        int last = (steps - 1) * stride;
        _ = g.Slice(0, rows * cols);
        _ = bih.Slice(0, rows);
        _ = bhh.Slice(0, rows);
        _ = column.IsEmpty ? default : column.Slice(0, rows);
        _ = d.Slice(last, rows);
        _ = p.Slice(last, rows);
        _ = e.Slice(last, rows);
        _ = h.Slice(last, cols);
        _ = x.Slice(last, 1);
        ref float rg = ref MemoryMarshal.GetReference(g);
        ref float rd = ref MemoryMarshal.GetReference(d);
        ref float rh = ref MemoryMarshal.GetReference(h);
        ref float rp = ref MemoryMarshal.GetReference(p);
        ref float re = ref MemoryMarshal.GetReference(e);
        ref float rx = ref MemoryMarshal.GetReference(x);
        int pair = 2 * Vector512<float>.Count;
        for (int r = 0; r < rows; r += 8)
        {
            ref float gr = ref Unsafe.Add(ref rg, r * cols);
            ref float dr = ref Unsafe.Add(ref rd, r);
            if (column.IsEmpty)
            {
                OuterEightRows<Simd512, Sums>(ref gr, cols, ref dr, stride, ref rh, stride, steps, 0, pair,
                    ref Unsafe.NullRef<float>(), ref bih[r], ref bhh[r], ref Unsafe.Add(ref rp, r), ref Unsafe.Add(ref re, r), ref rx);
            }
            else
            {
                OuterEightRows<Simd512, SumsAndColumn>(ref gr, cols, ref dr, stride, ref rh, stride, steps, 0, pair,
                    ref column[r], ref bih[r], ref bhh[r], ref Unsafe.Add(ref rp, r), ref Unsafe.Add(ref re, r), ref rx);
            }

            OuterEightRows<Simd512, NoSums>(ref gr, cols, ref dr, stride, ref rh, stride, steps, pair, cols,
                ref Unsafe.NullRef<float>(), ref Unsafe.NullRef<float>(), ref Unsafe.NullRef<float>(), ref Unsafe.NullRef<float>(),
                ref Unsafe.NullRef<float>(), ref Unsafe.NullRef<float>());
        }
    }

    /// <summary>Which of <see cref="GateSums.BiasSteps"/>' sums <see cref="OuterEightRows{TVec, TSums}"/> folds in (JIT-time constants).</summary>
    private interface IFoldedSums
    {
        static abstract bool Present { get; }

        static abstract bool Column { get; }
    }

    private readonly struct NoSums : IFoldedSums
    {
        public static bool Present => false;

        public static bool Column => false;
    }

    private readonly struct Sums : IFoldedSums
    {
        public static bool Present => true;

        public static bool Column => false;
    }

    private readonly struct SumsAndColumn : IFoldedSums
    {
        public static bool Present => true;

        public static bool Column => true;
    }

    /// <summary>The one-column case of <see cref="OuterAddSteps"/>, rows from <paramref name="from"/> in whole vectors; returns the rows done.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static int ColumnSteps<TVec>(ref float g, int rows, ref float d, int dStride, ref float x, int xStride, int steps, int from)
        where TVec : struct, ISimd<TVec>
    {
        int n = TVec.Count;
        int quads = from + ((rows - from) / (4 * n) * 4 * n);
        int end = from + ((rows - from) / n * n);
        int r = from;
        for (; r < quads; r += 4 * n)
        {
            nuint r0 = (nuint)r, r1 = (nuint)(r + n), r2 = (nuint)(r + (2 * n)), r3 = (nuint)(r + (3 * n));
            TVec a0 = TVec.Load(ref g, r0), a1 = TVec.Load(ref g, r1), a2 = TVec.Load(ref g, r2), a3 = TVec.Load(ref g, r3);
            for (int s = steps - 1; s >= 0; s--)
            {
                ref float ds = ref Unsafe.Add(ref d, s * dStride);
                TVec xs = TVec.Broadcast(Unsafe.Add(ref x, s * xStride));
                a0 = TVec.MultiplyAdd(TVec.Load(ref ds, r0), xs, a0);
                a1 = TVec.MultiplyAdd(TVec.Load(ref ds, r1), xs, a1);
                a2 = TVec.MultiplyAdd(TVec.Load(ref ds, r2), xs, a2);
                a3 = TVec.MultiplyAdd(TVec.Load(ref ds, r3), xs, a3);
            }

            TVec.Store(a0, ref g, r0);
            TVec.Store(a1, ref g, r1);
            TVec.Store(a2, ref g, r2);
            TVec.Store(a3, ref g, r3);
        }

        for (; r < end; r += n)
        {
            nuint r0 = (nuint)r;
            TVec a0 = TVec.Load(ref g, r0);
            for (int s = steps - 1; s >= 0; s--)
            {
                a0 = TVec.MultiplyAdd(TVec.Load(ref Unsafe.Add(ref d, s * dStride), r0), TVec.Broadcast(Unsafe.Add(ref x, s * xStride)), a0);
            }

            TVec.Store(a0, ref g, r0);
        }

        return end;
    }

    /// <summary>
    /// <c>g += Σ d_s</c> over the recorded steps from the last (a bias gradient for a whole sequence): the same additions
    /// in the same order as <see cref="Add"/> called once per step, with <c>g</c> in registers.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void AddSteps(Span<float> g, ReadOnlySpan<float> d, int dStride, int steps)
    {
        ref float rg = ref MemoryMarshal.GetReference(g);
        ref float rd = ref MemoryMarshal.GetReference(d);
        int rows = g.Length;
        int r = 0;
        if ((Path512.Emulated || Vector512.IsHardwareAccelerated) && rows >= Vector512<float>.Count)
        {
            r = AddSteps<Simd512>(ref rg, rows, ref rd, dStride, steps, r);
        }

        if (Vector256.IsHardwareAccelerated && rows - r >= Vector256<float>.Count)
        {
            r = AddSteps<Simd256>(ref rg, rows, ref rd, dStride, steps, r);
        }

        if (Vector128.IsHardwareAccelerated && rows - r >= Vector128<float>.Count)
        {
            r = AddSteps<Simd128>(ref rg, rows, ref rd, dStride, steps, r);
        }

        AddSteps<Simd1>(ref rg, rows, ref rd, dStride, steps, r);
    }

    [MethodImpl(CompiledAtOnce.Optimized)]
    private static int AddSteps<TVec>(ref float g, int rows, ref float d, int dStride, int steps, int from)
        where TVec : struct, ISimd<TVec>
    {
        int n = TVec.Count;
        int quads = from + ((rows - from) / (4 * n) * 4 * n);
        int end = from + ((rows - from) / n * n);
        int r = from;
        for (; r < quads; r += 4 * n)
        {
            nuint r0 = (nuint)r, r1 = (nuint)(r + n), r2 = (nuint)(r + (2 * n)), r3 = (nuint)(r + (3 * n));
            TVec a0 = TVec.Load(ref g, r0), a1 = TVec.Load(ref g, r1), a2 = TVec.Load(ref g, r2), a3 = TVec.Load(ref g, r3);
            for (int s = steps - 1; s >= 0; s--)
            {
                ref float ds = ref Unsafe.Add(ref d, s * dStride);
                a0 = TVec.Add(TVec.Load(ref ds, r0), a0);
                a1 = TVec.Add(TVec.Load(ref ds, r1), a1);
                a2 = TVec.Add(TVec.Load(ref ds, r2), a2);
                a3 = TVec.Add(TVec.Load(ref ds, r3), a3);
            }

            TVec.Store(a0, ref g, r0);
            TVec.Store(a1, ref g, r1);
            TVec.Store(a2, ref g, r2);
            TVec.Store(a3, ref g, r3);
        }

        for (; r < end; r += n)
        {
            nuint r0 = (nuint)r;
            TVec a0 = TVec.Load(ref g, r0);
            for (int s = steps - 1; s >= 0; s--)
            {
                a0 = TVec.Add(TVec.Load(ref Unsafe.Add(ref d, s * dStride), r0), a0);
            }

            TVec.Store(a0, ref g, r0);
        }

        return end;
    }

    /// <summary><c>G += d xᵀ</c>: the weight gradient of <c>W x</c> for row-major <c>G</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void OuterAdd(ReadOnlySpan<float> d, ReadOnlySpan<float> x, Span<float> g)
    {
        int rows = d.Length;
        int cols = x.Length;
        ref float rg = ref MemoryMarshal.GetReference(g);
        ref float rd = ref MemoryMarshal.GetReference(d);
        ref float rx = ref MemoryMarshal.GetReference(x);
        if (cols == 1)
        {
            Axpy(rx, ref rd, ref rg, rows);
            return;
        }

        for (int r = 0; r < rows; r++)
        {
            Axpy(Unsafe.Add(ref rd, r), ref rx, ref Unsafe.Add(ref rg, r * cols), cols);
        }
    }
}
