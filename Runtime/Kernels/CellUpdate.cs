using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fixed;

/// <summary>
/// The element-wise half of a cell step, fused into one pass: from the gate pre-activations the packed
/// projections left in the scratch vector, every activation and the state update for one vector of hidden units
/// at a time, in registers. The activated gates are written back over their pre-activations, because Backward
/// records them. Whole vectors first, then the last <c>H mod TVec.Count</c> units one at a time with the same
/// formulas (the scratch is padded, the state is not).
/// </summary>
internal static class CellUpdate
{
    /// <summary>
    /// GRU, scratch <c>[n_x | r | z | n_h]</c> (each <paramref name="stride"/> floats):
    /// <c>r = σ(r)</c>, <c>z = σ(z)</c>, <c>n = tanh(n_x + r·n_h)</c>, <c>h' = n + z·(h - n)</c>.
    /// Leaves r, z, n activated (n over n_x) and n_h as it was.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void Gru<TVec>(ref float y, int stride, ref float h, int hidden)
        where TVec : struct, ISimd<TVec>
    {
        if (typeof(TVec) == typeof(Simd256) && hidden % 8 == 0)
        {
            GruTwoPass256(ref y, (nuint)stride, ref h, (nuint)hidden);
            return;
        }

        int i = 0;
        for (; i <= hidden - (2 * TVec.Count); i += 2 * TVec.Count)
        {
            if (typeof(TVec) == typeof(Simd256))
            {
                GruPair256(ref y, (nuint)stride, ref h, (nuint)i);
            }
            else
            {
                GruPair<TVec>(ref y, (nuint)stride, ref h, (nuint)i);
            }
        }

        for (; i <= hidden - TVec.Count; i += TVec.Count)
        {
            if (typeof(TVec) == typeof(Simd256))
            {
                Gru256(ref y, (nuint)stride, ref h, (nuint)i);
            }
            else
            {
                Gru<TVec>(ref y, (nuint)stride, ref h, (nuint)i);
            }
        }

        for (; i < hidden; i++)
        {
            Gru<Simd1>(ref y, (nuint)stride, ref h, (nuint)i);
        }
    }

    /// <summary>
    /// LSTM, scratch <c>[i | f | g | o | tanh(c')]</c>: <c>c' = σ(f)·c + σ(i)·tanh(g)</c>, <c>h' = σ(o)·tanh(c')</c>.
    /// Leaves the four gates activated and tanh(c') in the fifth block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void Lstm<TVec>(ref float y, int stride, ref float h, ref float c, int hidden)
        where TVec : struct, ISimd<TVec>
    {
        int i = 0;
        for (; i <= hidden - TVec.Count; i += TVec.Count)
        {
            if (typeof(TVec) == typeof(Simd256))
            {
                Lstm256(ref y, (nuint)stride, ref h, ref c, (nuint)i);
            }
            else
            {
                Lstm<TVec>(ref y, (nuint)stride, ref h, ref c, (nuint)i);
            }
        }

        for (; i < hidden; i++)
        {
            Lstm<Simd1>(ref y, (nuint)stride, ref h, ref c, (nuint)i);
        }
    }

    /// <summary>RNN: <c>h' = tanh(y)</c> or <c>relu(y)</c>, also left in the scratch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void Rnn<TVec>(ref float y, ref float h, int hidden, bool relu)
        where TVec : struct, ISimd<TVec>
    {
        int i = 0;
        for (; i <= hidden - TVec.Count; i += TVec.Count)
        {
            Rnn<TVec>(ref y, ref h, (nuint)i, relu);
        }

        for (; i < hidden; i++)
        {
            Rnn<Simd1>(ref y, ref h, (nuint)i, relu);
        }
    }

    /// <summary>
    /// <see cref="Gru{TVec}(ref float, int, ref float, int)"/> for a step that Backward records, with the tape's copies
    /// written in the same pass instead of copied afterwards: h before the step to <paramref name="before"/>, the activated
    /// gates in PyTorch's order to <paramref name="gates"/> (<c>[r | z | n]</c>, <paramref name="hidden"/> floats each) with
    /// n_h after them, and h' to <paramref name="h"/> and, unless it is a null reference, to <paramref name="top"/>. The same
    /// operations as the update without recording, so the same values; the scratch is left with the pre-activations.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void GruRecord<TVec>(ref float y, int stride, ref float h, ref float before, ref float gates, ref float top, int hidden)
        where TVec : struct, ISimd<TVec>
    {
        int i = 0;
        for (; i <= hidden - (2 * TVec.Count); i += 2 * TVec.Count)
        {
            if (typeof(TVec) == typeof(Simd256))
            {
                GruRecordPair256(ref y, (nuint)stride, ref h, ref before, ref gates, ref top, (nuint)hidden, (nuint)i);
            }
            else
            {
                GruRecordPair<TVec>(ref y, (nuint)stride, ref h, ref before, ref gates, ref top, (nuint)hidden, (nuint)i);
            }
        }

        for (; i <= hidden - TVec.Count; i += TVec.Count)
        {
            GruRecord<TVec>(ref y, (nuint)stride, ref h, ref before, ref gates, ref top, (nuint)hidden, (nuint)i);
        }

        for (; i < hidden; i++)
        {
            GruRecord<Simd1>(ref y, (nuint)stride, ref h, ref before, ref gates, ref top, (nuint)hidden, (nuint)i);
        }
    }

    /// <summary>
    /// <see cref="Lstm{TVec}(ref float, int, ref float, ref float, int)"/> recording as <see cref="GruRecord{TVec}(ref float, int, ref float, ref float, ref float, ref float, int)"/>
    /// does: h and c before the step to <paramref name="before"/> (<c>[h | c]</c>), the gates <c>[i | f | g | o]</c> and
    /// tanh(c') after them to <paramref name="gates"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void LstmRecord<TVec>(ref float y, int stride, ref float h, ref float c, ref float before, ref float gates, ref float top, int hidden)
        where TVec : struct, ISimd<TVec>
    {
        int i = 0;
        for (; i <= hidden - TVec.Count; i += TVec.Count)
        {
            if (typeof(TVec) == typeof(Simd256))
            {
                LstmRecord256(ref y, (nuint)stride, ref h, ref c, ref before, ref gates, ref top, (nuint)hidden, (nuint)i);
            }
            else
            {
                LstmRecord<TVec>(ref y, (nuint)stride, ref h, ref c, ref before, ref gates, ref top, (nuint)hidden, (nuint)i);
            }
        }

        for (; i < hidden; i++)
        {
            LstmRecord<Simd1>(ref y, (nuint)stride, ref h, ref c, ref before, ref gates, ref top, (nuint)hidden, (nuint)i);
        }
    }

    /// <summary><see cref="Rnn{TVec}(ref float, ref float, int, bool)"/> recording: h before the step to <paramref name="before"/>, h' to <paramref name="gates"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void RnnRecord<TVec>(ref float y, ref float h, ref float before, ref float gates, ref float top, int hidden, bool relu)
        where TVec : struct, ISimd<TVec>
    {
        int i = 0;
        for (; i <= hidden - TVec.Count; i += TVec.Count)
        {
            RnnRecord<TVec>(ref y, ref h, ref before, ref gates, ref top, (nuint)i, relu);
        }

        for (; i < hidden; i++)
        {
            RnnRecord<Simd1>(ref y, ref h, ref before, ref gates, ref top, (nuint)i, relu);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void GruRecord<TVec>(ref float y, nuint stride, ref float h, ref float before, ref float gates, ref float top, nuint hidden, nuint k)
        where TVec : struct, ISimd<TVec>
    {
        TVec r = TVec.Sigmoid(TVec.Load(ref y, stride + k));
        TVec z = TVec.Sigmoid(TVec.Load(ref y, (2 * stride) + k));
        TVec nh = TVec.Load(ref y, (3 * stride) + k);
        TVec n = TVec.Tanh(TVec.MultiplyAdd(r, nh, TVec.Load(ref y, k)));
        TVec previous = TVec.Load(ref h, k);
        TVec next = TVec.MultiplyAdd(z, TVec.Subtract(previous, n), n);
        TVec.Store(previous, ref before, k);
        TVec.Store(r, ref gates, k);
        TVec.Store(z, ref gates, hidden + k);
        TVec.Store(n, ref gates, (2 * hidden) + k);
        TVec.Store(nh, ref gates, (3 * hidden) + k);
        TVec.Store(next, ref h, k);
        if (!Unsafe.IsNullRef(ref top))
        {
            TVec.Store(next, ref top, k);
        }
    }

    /// <summary>
    /// <see cref="GruRecord{TVec}(ref float, nuint, ref float, ref float, ref float, ref float, nuint, nuint)"/> for the two
    /// vectors of units at <paramref name="k"/>, in <see cref="GruPair{TVec}"/>'s order (both r, both n, then both z): the
    /// same operations, so the same values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GruRecordPair<TVec>(ref float y, nuint stride, ref float h, ref float before, ref float gates, ref float top, nuint hidden, nuint k)
        where TVec : struct, ISimd<TVec>
    {
        nuint l = k + (nuint)TVec.Count;
        TVec r0 = TVec.Sigmoid(TVec.Load(ref y, stride + k));
        TVec r1 = TVec.Sigmoid(TVec.Load(ref y, stride + l));
        TVec nh0 = TVec.Load(ref y, (3 * stride) + k);
        TVec nh1 = TVec.Load(ref y, (3 * stride) + l);
        TVec n0 = TVec.Tanh(TVec.MultiplyAdd(r0, nh0, TVec.Load(ref y, k)));
        TVec n1 = TVec.Tanh(TVec.MultiplyAdd(r1, nh1, TVec.Load(ref y, l)));
        TVec z0 = TVec.Sigmoid(TVec.Load(ref y, (2 * stride) + k));
        TVec z1 = TVec.Sigmoid(TVec.Load(ref y, (2 * stride) + l));
        TVec previous0 = TVec.Load(ref h, k);
        TVec previous1 = TVec.Load(ref h, l);
        TVec next0 = TVec.MultiplyAdd(z0, TVec.Subtract(previous0, n0), n0);
        TVec next1 = TVec.MultiplyAdd(z1, TVec.Subtract(previous1, n1), n1);
        TVec.Store(previous0, ref before, k);
        TVec.Store(previous1, ref before, l);
        TVec.Store(r0, ref gates, k);
        TVec.Store(r1, ref gates, l);
        TVec.Store(z0, ref gates, hidden + k);
        TVec.Store(z1, ref gates, hidden + l);
        TVec.Store(n0, ref gates, (2 * hidden) + k);
        TVec.Store(n1, ref gates, (2 * hidden) + l);
        TVec.Store(nh0, ref gates, (3 * hidden) + k);
        TVec.Store(nh1, ref gates, (3 * hidden) + l);
        TVec.Store(next0, ref h, k);
        TVec.Store(next1, ref h, l);
        if (!Unsafe.IsNullRef(ref top))
        {
            TVec.Store(next0, ref top, k);
            TVec.Store(next1, ref top, l);
        }
    }

    /// <summary><see cref="GruRecordPair{TVec}"/> at 256 bits on <see cref="Vector256{T}"/> directly (<see cref="Gru256"/>): the same values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GruRecordPair256(ref float y, nuint stride, ref float h, ref float before, ref float gates, ref float top, nuint hidden, nuint k)
    {
        nuint l = k + 8;
        Vector256<float> r0 = SigmoidOperator.Invoke(Vector256.LoadUnsafe(ref y, stride + k));
        Vector256<float> r1 = SigmoidOperator.Invoke(Vector256.LoadUnsafe(ref y, stride + l));
        Vector256<float> nh0 = Vector256.LoadUnsafe(ref y, (3 * stride) + k);
        Vector256<float> nh1 = Vector256.LoadUnsafe(ref y, (3 * stride) + l);
        Vector256<float> n0 = TanhOperator.Invoke(Vector256.MultiplyAddEstimate(r0, nh0, Vector256.LoadUnsafe(ref y, k)));
        Vector256<float> n1 = TanhOperator.Invoke(Vector256.MultiplyAddEstimate(r1, nh1, Vector256.LoadUnsafe(ref y, l)));
        Vector256<float> z0 = SigmoidOperator.Invoke(Vector256.LoadUnsafe(ref y, (2 * stride) + k));
        Vector256<float> z1 = SigmoidOperator.Invoke(Vector256.LoadUnsafe(ref y, (2 * stride) + l));
        Vector256<float> previous0 = Vector256.LoadUnsafe(ref h, k);
        Vector256<float> previous1 = Vector256.LoadUnsafe(ref h, l);
        Vector256<float> next0 = Vector256.MultiplyAddEstimate(z0, previous0 - n0, n0);
        Vector256<float> next1 = Vector256.MultiplyAddEstimate(z1, previous1 - n1, n1);
        previous0.StoreUnsafe(ref before, k);
        previous1.StoreUnsafe(ref before, l);
        r0.StoreUnsafe(ref gates, k);
        r1.StoreUnsafe(ref gates, l);
        z0.StoreUnsafe(ref gates, hidden + k);
        z1.StoreUnsafe(ref gates, hidden + l);
        n0.StoreUnsafe(ref gates, (2 * hidden) + k);
        n1.StoreUnsafe(ref gates, (2 * hidden) + l);
        nh0.StoreUnsafe(ref gates, (3 * hidden) + k);
        nh1.StoreUnsafe(ref gates, (3 * hidden) + l);
        next0.StoreUnsafe(ref h, k);
        next1.StoreUnsafe(ref h, l);
        if (!Unsafe.IsNullRef(ref top))
        {
            next0.StoreUnsafe(ref top, k);
            next1.StoreUnsafe(ref top, l);
        }
    }

    /// <summary><see cref="LstmRecord{TVec}(ref float, nuint, ref float, ref float, ref float, ref float, ref float, nuint, nuint)"/> at 256 bits on <see cref="Vector256{T}"/> directly (<see cref="Gru256"/>): the same values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LstmRecord256(ref float y, nuint stride, ref float h, ref float c, ref float before, ref float gates, ref float top, nuint hidden, nuint k) =>
        LstmRecordActivated256(SigmoidOperator.Invoke(Vector256.LoadUnsafe(ref y, k)), SigmoidOperator.Invoke(Vector256.LoadUnsafe(ref y, stride + k)),
            Vector256.LoadUnsafe(ref y, (2 * stride) + k), SigmoidOperator.Invoke(Vector256.LoadUnsafe(ref y, (3 * stride) + k)), ref h, ref c, ref before, ref gates,
            ref top, hidden, k);

    /// <summary>
    /// <see cref="LstmRecord256"/> from i, f and o already activated and g's pre-activation <paramref name="gPre"/> (for
    /// <see cref="LstmRecordStreams256"/>, which activates them a pass earlier): the same operations, so the same values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LstmRecordActivated256(Vector256<float> i, Vector256<float> f, Vector256<float> gPre, Vector256<float> o, ref float h, ref float c,
        ref float before, ref float gates, ref float top, nuint hidden, nuint k)
    {
        Vector256<float> g = TanhOperator.Invoke(gPre);
        Vector256<float> previousC = Vector256.LoadUnsafe(ref c, k);
        Vector256<float> cell = Vector256.MultiplyAddEstimate(f, previousC, i * g);
        Vector256<float> tanhC = TanhOperator.Invoke(cell);
        Vector256<float> next = o * tanhC;
        Vector256.LoadUnsafe(ref h, k).StoreUnsafe(ref before, k);
        previousC.StoreUnsafe(ref before, hidden + k);
        i.StoreUnsafe(ref gates, k);
        f.StoreUnsafe(ref gates, hidden + k);
        g.StoreUnsafe(ref gates, (2 * hidden) + k);
        o.StoreUnsafe(ref gates, (3 * hidden) + k);
        tanhC.StoreUnsafe(ref gates, (4 * hidden) + k);
        cell.StoreUnsafe(ref c, k);
        next.StoreUnsafe(ref h, k);
        if (!Unsafe.IsNullRef(ref top))
        {
            next.StoreUnsafe(ref top, k);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void LstmRecord<TVec>(ref float y, nuint stride, ref float h, ref float c, ref float before, ref float gates, ref float top, nuint hidden, nuint k)
        where TVec : struct, ISimd<TVec>
    {
        TVec i = TVec.Sigmoid(TVec.Load(ref y, k));
        TVec f = TVec.Sigmoid(TVec.Load(ref y, stride + k));
        TVec g = TVec.Tanh(TVec.Load(ref y, (2 * stride) + k));
        TVec o = TVec.Sigmoid(TVec.Load(ref y, (3 * stride) + k));
        TVec previousC = TVec.Load(ref c, k);
        TVec cell = TVec.MultiplyAdd(f, previousC, TVec.Multiply(i, g));
        TVec tanhC = TVec.Tanh(cell);
        TVec next = TVec.Multiply(o, tanhC);
        TVec.Store(TVec.Load(ref h, k), ref before, k);
        TVec.Store(previousC, ref before, hidden + k);
        TVec.Store(i, ref gates, k);
        TVec.Store(f, ref gates, hidden + k);
        TVec.Store(g, ref gates, (2 * hidden) + k);
        TVec.Store(o, ref gates, (3 * hidden) + k);
        TVec.Store(tanhC, ref gates, (4 * hidden) + k);
        TVec.Store(cell, ref c, k);
        TVec.Store(next, ref h, k);
        if (!Unsafe.IsNullRef(ref top))
        {
            TVec.Store(next, ref top, k);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void RnnRecord<TVec>(ref float y, ref float h, ref float before, ref float gates, ref float top, nuint k, bool relu)
        where TVec : struct, ISimd<TVec>
    {
        TVec pre = TVec.Load(ref y, k);
        TVec a = relu ? TVec.Relu(pre) : TVec.Tanh(pre);
        TVec.Store(TVec.Load(ref h, k), ref before, k);
        TVec.Store(a, ref gates, k);
        TVec.Store(a, ref h, k);
        if (!Unsafe.IsNullRef(ref top))
        {
            TVec.Store(a, ref top, k);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void Gru<TVec>(ref float y, nuint stride, ref float h, nuint k)
        where TVec : struct, ISimd<TVec>
    {
        TVec r = TVec.Sigmoid(TVec.Load(ref y, stride + k));
        TVec z = TVec.Sigmoid(TVec.Load(ref y, (2 * stride) + k));
        TVec n = TVec.Tanh(TVec.MultiplyAdd(r, TVec.Load(ref y, (3 * stride) + k), TVec.Load(ref y, k)));
        TVec previous = TVec.Load(ref h, k);
        TVec.Store(r, ref y, stride + k);
        TVec.Store(z, ref y, (2 * stride) + k);
        TVec.Store(n, ref y, k);
        TVec.Store(TVec.MultiplyAdd(z, TVec.Subtract(previous, n), n), ref h, k);
    }

    /// <summary>
    /// <see cref="Gru{TVec}(ref float, nuint, ref float, nuint)"/> for the two vectors of units at <paramref name="k"/>,
    /// written side by side in the order of the recurrence's chain h → r → n → h': both r, both n, then both z, which only
    /// the last FMA needs. The same operations, so the same values; the core issues the oldest ready operation first, so
    /// z's fill the chain's gaps instead of delaying it. Measured on a Zen 4 core against one vector at a time (2026-12-03,
    /// alternated runs): GRU 1→32's training iteration 11.33 → 11.19 µs, its many-stream step ~3 % faster. The LSTM's
    /// update written the same way measured no gain here (many-stream LSTM 4→64 ~3 % slower), and keeps its loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GruPair<TVec>(ref float y, nuint stride, ref float h, nuint k)
        where TVec : struct, ISimd<TVec>
    {
        nuint l = k + (nuint)TVec.Count;
        TVec r0 = TVec.Sigmoid(TVec.Load(ref y, stride + k));
        TVec r1 = TVec.Sigmoid(TVec.Load(ref y, stride + l));
        TVec n0 = TVec.Tanh(TVec.MultiplyAdd(r0, TVec.Load(ref y, (3 * stride) + k), TVec.Load(ref y, k)));
        TVec n1 = TVec.Tanh(TVec.MultiplyAdd(r1, TVec.Load(ref y, (3 * stride) + l), TVec.Load(ref y, l)));
        TVec z0 = TVec.Sigmoid(TVec.Load(ref y, (2 * stride) + k));
        TVec z1 = TVec.Sigmoid(TVec.Load(ref y, (2 * stride) + l));
        TVec.Store(TVec.MultiplyAdd(z0, TVec.Subtract(TVec.Load(ref h, k), n0), n0), ref h, k);
        TVec.Store(TVec.MultiplyAdd(z1, TVec.Subtract(TVec.Load(ref h, l), n1), n1), ref h, l);
        TVec.Store(r0, ref y, stride + k);
        TVec.Store(r1, ref y, stride + l);
        TVec.Store(z0, ref y, (2 * stride) + k);
        TVec.Store(z1, ref y, (2 * stride) + l);
        TVec.Store(n0, ref y, k);
        TVec.Store(n1, ref y, l);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void Lstm<TVec>(ref float y, nuint stride, ref float h, ref float c, nuint k)
        where TVec : struct, ISimd<TVec>
    {
        TVec i = TVec.Sigmoid(TVec.Load(ref y, k));
        TVec f = TVec.Sigmoid(TVec.Load(ref y, stride + k));
        TVec g = TVec.Tanh(TVec.Load(ref y, (2 * stride) + k));
        TVec o = TVec.Sigmoid(TVec.Load(ref y, (3 * stride) + k));
        TVec cell = TVec.MultiplyAdd(f, TVec.Load(ref c, k), TVec.Multiply(i, g));
        TVec tanhC = TVec.Tanh(cell);
        TVec.Store(i, ref y, k);
        TVec.Store(f, ref y, stride + k);
        TVec.Store(g, ref y, (2 * stride) + k);
        TVec.Store(o, ref y, (3 * stride) + k);
        TVec.Store(tanhC, ref y, (4 * stride) + k);
        TVec.Store(cell, ref c, k);
        TVec.Store(TVec.Multiply(o, tanhC), ref h, k);
    }

    /// <summary>
    /// <see cref="Gru{TVec}(ref float, nuint, ref float, nuint)"/> at 256 bits on <see cref="Vector256{T}"/> directly: the
    /// same operations in the same order, so the same values. Through the <see cref="ISimd{TSelf}"/> wrapper the JIT
    /// passed the activations' intermediate values through the stack (a value stored, then multiplied by its own copy
    /// loaded back), and the general step's cell update took a quarter of GRU 1→64's step on a Zen 3 core (AVX2). The
    /// 512- and 128-bit paths keep the wrapper (not measured on a machine without AVX-512's registers to spare).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gru256(ref float y, nuint stride, ref float h, nuint k)
    {
        Vector256<float> r = SigmoidOperator.Invoke(Vector256.LoadUnsafe(ref y, stride + k));
        Vector256<float> z = SigmoidOperator.Invoke(Vector256.LoadUnsafe(ref y, (2 * stride) + k));
        Vector256<float> n = TanhOperator.Invoke(Vector256.MultiplyAddEstimate(r, Vector256.LoadUnsafe(ref y, (3 * stride) + k), Vector256.LoadUnsafe(ref y, k)));
        Vector256<float> previous = Vector256.LoadUnsafe(ref h, k);
        r.StoreUnsafe(ref y, stride + k);
        z.StoreUnsafe(ref y, (2 * stride) + k);
        n.StoreUnsafe(ref y, k);
        Vector256.MultiplyAddEstimate(z, previous - n, n).StoreUnsafe(ref h, k);
    }

    /// <summary><see cref="GruPair{TVec}"/> at 256 bits on <see cref="Vector256{T}"/> directly (<see cref="Gru256"/>): the same values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GruPair256(ref float y, nuint stride, ref float h, nuint k)
    {
        nuint l = k + 8;
        Vector256<float> r0 = SigmoidOperator.Invoke(Vector256.LoadUnsafe(ref y, stride + k));
        Vector256<float> r1 = SigmoidOperator.Invoke(Vector256.LoadUnsafe(ref y, stride + l));
        Vector256<float> n0 = TanhOperator.Invoke(Vector256.MultiplyAddEstimate(r0, Vector256.LoadUnsafe(ref y, (3 * stride) + k), Vector256.LoadUnsafe(ref y, k)));
        Vector256<float> n1 = TanhOperator.Invoke(Vector256.MultiplyAddEstimate(r1, Vector256.LoadUnsafe(ref y, (3 * stride) + l), Vector256.LoadUnsafe(ref y, l)));
        Vector256<float> z0 = SigmoidOperator.Invoke(Vector256.LoadUnsafe(ref y, (2 * stride) + k));
        Vector256<float> z1 = SigmoidOperator.Invoke(Vector256.LoadUnsafe(ref y, (2 * stride) + l));
        Vector256.MultiplyAddEstimate(z0, Vector256.LoadUnsafe(ref h, k) - n0, n0).StoreUnsafe(ref h, k);
        Vector256.MultiplyAddEstimate(z1, Vector256.LoadUnsafe(ref h, l) - n1, n1).StoreUnsafe(ref h, l);
        r0.StoreUnsafe(ref y, stride + k);
        r1.StoreUnsafe(ref y, stride + l);
        z0.StoreUnsafe(ref y, (2 * stride) + k);
        z1.StoreUnsafe(ref y, (2 * stride) + l);
        n0.StoreUnsafe(ref y, k);
        n1.StoreUnsafe(ref y, l);
    }

    /// <summary><see cref="Lstm{TVec}(ref float, nuint, ref float, ref float, nuint)"/> at 256 bits on <see cref="Vector256{T}"/> directly (<see cref="Gru256"/>): the same values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lstm256(ref float y, nuint stride, ref float h, ref float c, nuint k)
    {
        Vector256<float> i = SigmoidOperator.Invoke(Vector256.LoadUnsafe(ref y, k));
        Vector256<float> f = SigmoidOperator.Invoke(Vector256.LoadUnsafe(ref y, stride + k));
        Vector256<float> g = TanhOperator.Invoke(Vector256.LoadUnsafe(ref y, (2 * stride) + k));
        Vector256<float> o = SigmoidOperator.Invoke(Vector256.LoadUnsafe(ref y, (3 * stride) + k));
        Vector256<float> cell = Vector256.MultiplyAddEstimate(f, Vector256.LoadUnsafe(ref c, k), i * g);
        Vector256<float> tanhC = TanhOperator.Invoke(cell);
        i.StoreUnsafe(ref y, k);
        f.StoreUnsafe(ref y, stride + k);
        g.StoreUnsafe(ref y, (2 * stride) + k);
        o.StoreUnsafe(ref y, (3 * stride) + k);
        tanhC.StoreUnsafe(ref y, (4 * stride) + k);
        cell.StoreUnsafe(ref c, k);
        (o * tanhC).StoreUnsafe(ref h, k);
    }

    /// <summary>
    /// <see cref="Gru{TVec}(ref float, int, ref float, int)"/> for <paramref name="group"/> streams at 256 bits, H a multiple
    /// of 8 (each stream's scratch <paramref name="scratchStride"/> floats after the last, its state
    /// <paramref name="stateStride"/>), in two passes over the group: first r = σ(r) and z = σ(z) of every stream, then n and
    /// h' of every stream. Each pass needs one activation's constants; one stream at a time, σ's and tanh's together are
    /// more than the 16 vector registers, and the JIT reloaded and spilled constants in every iteration (the many-stream
    /// GRU 1→32 spent 42 % of its time in the update on a Zen 3 core). The same operations on each element as
    /// <see cref="Gru256"/>, so the same values.
    /// </summary>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    public static void GruStreams256(ref float y, nuint stride, nuint scratchStride, ref float h, nuint stateStride, nuint hidden, int group) =>
        // n itself is not stored back: nothing reads this scratch after the step (training's record has its own pass).
        GruTwoPasses256(ref y, stride, scratchStride, ref h, stateStride, hidden, group, storeCandidate: false);

    /// <summary>
    /// The two passes of <see cref="GruStreams256"/> and <see cref="GruTwoPass256"/>: σ of r and z in place for every stream
    /// of the group, then n and h' of every stream, n stored over n_x when <paramref name="storeCandidate"/> is set (a
    /// constant at both call sites).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void GruTwoPasses256(ref float y, nuint stride, nuint scratchStride, ref float h, nuint stateStride, nuint hidden, int group,
        bool storeCandidate)
    {
        SigmoidStreams256(ref Unsafe.Add(ref y, stride), scratchStride, hidden, group);
        SigmoidStreams256(ref Unsafe.Add(ref y, 2 * stride), scratchStride, hidden, group);

        for (int s = 0; s < group; s++)
        {
            ref float ys = ref Unsafe.Add(ref y, (nuint)s * scratchStride);
            ref float hs = ref Unsafe.Add(ref h, (nuint)s * stateStride);
            for (nuint k = 0; k < hidden; k += 8)
            {
                Vector256<float> r = Vector256.LoadUnsafe(ref ys, stride + k);
                Vector256<float> z = Vector256.LoadUnsafe(ref ys, (2 * stride) + k);
                Vector256<float> n = TanhOperator.Invoke(Vector256.MultiplyAddEstimate(r, Vector256.LoadUnsafe(ref ys, (3 * stride) + k), Vector256.LoadUnsafe(ref ys, k)));
                Vector256<float> previous = Vector256.LoadUnsafe(ref hs, k);
                if (storeCandidate)
                {
                    n.StoreUnsafe(ref ys, k);
                }

                Vector256.MultiplyAddEstimate(z, previous - n, n).StoreUnsafe(ref hs, k);
            }
        }
    }

    /// <summary>
    /// <see cref="Lstm{TVec}(ref float, int, ref float, ref float, int)"/> for <paramref name="group"/> streams at 256 bits
    /// in <see cref="GruStreams256"/>'s two passes: σ of i, f and o of every stream, then g = tanh(g), c', tanh(c') and h' of
    /// every stream (each stream's c right after its h). The same operations on each element as <see cref="Lstm256"/>, so
    /// the same values.
    /// </summary>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    public static void LstmStreams256(ref float y, nuint stride, nuint scratchStride, ref float h, nuint stateStride, nuint hidden, int group)
    {
        SigmoidStreams256(ref y, scratchStride, hidden, group);
        SigmoidStreams256(ref Unsafe.Add(ref y, stride), scratchStride, hidden, group);
        SigmoidStreams256(ref Unsafe.Add(ref y, 3 * stride), scratchStride, hidden, group);

        for (int s = 0; s < group; s++)
        {
            ref float ys = ref Unsafe.Add(ref y, (nuint)s * scratchStride);
            ref float hs = ref Unsafe.Add(ref h, (nuint)s * stateStride);
            ref float cs = ref Unsafe.Add(ref hs, hidden);
            for (nuint k = 0; k < hidden; k += 8)
            {
                Vector256<float> g = TanhOperator.Invoke(Vector256.LoadUnsafe(ref ys, (2 * stride) + k));
                Vector256<float> cell = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref ys, stride + k), Vector256.LoadUnsafe(ref cs, k),
                    Vector256.LoadUnsafe(ref ys, k) * g);
                Vector256<float> tanhC = TanhOperator.Invoke(cell);
                // g and tanh(c') are not stored back to the scratch: nothing reads it after the step (training's record has
                // its own pass, LstmRecordStreams256).
                cell.StoreUnsafe(ref cs, k);
                (Vector256.LoadUnsafe(ref ys, (3 * stride) + k) * tanhC).StoreUnsafe(ref hs, k);
            }
        }
    }

    /// <summary>
    /// <see cref="GruRecord{TVec}(ref float, int, ref float, ref float, ref float, ref float, int)"/> for a group of
    /// sequences at 256 bits, H a multiple of 8, in <see cref="GruStreams256"/>'s two passes (r and z activated in the
    /// scratch first). Sequence s's scratch is <paramref name="scratchStride"/> floats after the last, its state
    /// <paramref name="stateStride"/>, and its tape's slots <paramref name="tapeStride"/> (<paramref name="before"/>,
    /// <paramref name="gates"/> and, unless it is a null reference, <paramref name="top"/>). The same operations on each
    /// element as <see cref="GruRecordPair256"/>, so the same values.
    /// </summary>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    public static void GruRecordStreams256(ref float y, nuint stride, nuint scratchStride, ref float h, nuint stateStride,
        ref float before, ref float gates, ref float top, nuint tapeStride, nuint hidden, int group)
    {
        SigmoidStreams256(ref Unsafe.Add(ref y, stride), scratchStride, hidden, group);
        SigmoidStreams256(ref Unsafe.Add(ref y, 2 * stride), scratchStride, hidden, group);

        bool hasTop = !Unsafe.IsNullRef(ref top);
        for (int s = 0; s < group; s++)
        {
            ref float ys = ref Unsafe.Add(ref y, (nuint)s * scratchStride);
            ref float hs = ref Unsafe.Add(ref h, (nuint)s * stateStride);
            nuint tape = (nuint)s * tapeStride;
            ref float bs = ref Unsafe.Add(ref before, tape);
            ref float gs = ref Unsafe.Add(ref gates, tape);
            ref float ts = ref hasTop ? ref Unsafe.Add(ref top, tape) : ref Unsafe.NullRef<float>();
            for (nuint k = 0; k < hidden; k += 8)
            {
                Vector256<float> r = Vector256.LoadUnsafe(ref ys, stride + k);
                Vector256<float> z = Vector256.LoadUnsafe(ref ys, (2 * stride) + k);
                Vector256<float> nh = Vector256.LoadUnsafe(ref ys, (3 * stride) + k);
                Vector256<float> n = TanhOperator.Invoke(Vector256.MultiplyAddEstimate(r, nh, Vector256.LoadUnsafe(ref ys, k)));
                Vector256<float> previous = Vector256.LoadUnsafe(ref hs, k);
                Vector256<float> next = Vector256.MultiplyAddEstimate(z, previous - n, n);
                previous.StoreUnsafe(ref bs, k);
                r.StoreUnsafe(ref gs, k);
                z.StoreUnsafe(ref gs, hidden + k);
                n.StoreUnsafe(ref gs, (2 * hidden) + k);
                nh.StoreUnsafe(ref gs, (3 * hidden) + k);
                next.StoreUnsafe(ref hs, k);
                if (hasTop)
                {
                    next.StoreUnsafe(ref ts, k);
                }
            }
        }
    }

    /// <summary>
    /// <see cref="LstmRecord{TVec}(ref float, int, ref float, ref float, ref float, ref float, ref float, int)"/> for a group
    /// of sequences at 256 bits in <see cref="LstmStreams256"/>'s two passes, with <see cref="GruRecordStreams256"/>'s
    /// arguments (each sequence's c right after its h). The same operations on each element as
    /// <see cref="LstmRecord256"/>, so the same values.
    /// </summary>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    public static void LstmRecordStreams256(ref float y, nuint stride, nuint scratchStride, ref float h, nuint stateStride,
        ref float before, ref float gates, ref float top, nuint tapeStride, nuint hidden, int group)
    {
        SigmoidStreams256(ref y, scratchStride, hidden, group);
        SigmoidStreams256(ref Unsafe.Add(ref y, stride), scratchStride, hidden, group);
        SigmoidStreams256(ref Unsafe.Add(ref y, 3 * stride), scratchStride, hidden, group);

        bool hasTop = !Unsafe.IsNullRef(ref top);
        for (int s = 0; s < group; s++)
        {
            ref float ys = ref Unsafe.Add(ref y, (nuint)s * scratchStride);
            ref float hs = ref Unsafe.Add(ref h, (nuint)s * stateStride);
            nuint tape = (nuint)s * tapeStride;
            ref float ts = ref hasTop ? ref Unsafe.Add(ref top, tape) : ref Unsafe.NullRef<float>();
            for (nuint k = 0; k < hidden; k += 8)
            {
                LstmRecordActivated256(Vector256.LoadUnsafe(ref ys, k), Vector256.LoadUnsafe(ref ys, stride + k), Vector256.LoadUnsafe(ref ys, (2 * stride) + k),
                    Vector256.LoadUnsafe(ref ys, (3 * stride) + k), ref hs, ref Unsafe.Add(ref hs, hidden), ref Unsafe.Add(ref before, tape),
                    ref Unsafe.Add(ref gates, tape), ref ts, hidden, k);
            }
        }
    }

    /// <summary>
    /// <see cref="Gru{TVec}(ref float, int, ref float, int)"/> at 256 bits for H a multiple of 8, in <see cref="GruStreams256"/>'s
    /// two passes for one stream: σ of r and z in place, then n and h'. One vector at a time with σ's and tanh's constants
    /// together (<see cref="GruPair256"/>, <see cref="Gru256"/>), the sixteen vector registers ran out and the JIT stored
    /// and reloaded constants on the stack in every iteration (GRU 1→64's general step spent ~17 % of its time in this update
    /// on a Zen 3 core; in process the step took 0.96–0.97 of its time with this, GRU 1→128 0.97–0.985; the LSTM's update
    /// done the same way measured 0.97–1.00 and was not kept). Leaves r, z and n in the scratch as <see cref="Gru256"/> does
    /// (training's record copies them from there); the same operations on each element, so the same values.
    /// </summary>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    private static void GruTwoPass256(ref float y, nuint stride, ref float h, nuint hidden) =>
        GruTwoPasses256(ref y, stride, 0, ref h, 0, hidden, 1, storeCandidate: true);

    /// <summary>σ in place over one gate's <paramref name="hidden"/> floats (a multiple of 8) at <paramref name="gate"/> in each of <paramref name="group"/> scratch vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void SigmoidStreams256(ref float gate, nuint scratchStride, nuint hidden, int group)
    {
        for (int s = 0; s < group; s++)
        {
            ref float g = ref Unsafe.Add(ref gate, (nuint)s * scratchStride);
            for (nuint k = 0; k < hidden; k += 8)
            {
                SigmoidOperator.Invoke(Vector256.LoadUnsafe(ref g, k)).StoreUnsafe(ref g, k);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void Rnn<TVec>(ref float y, ref float h, nuint k, bool relu)
        where TVec : struct, ISimd<TVec>
    {
        TVec pre = TVec.Load(ref y, k);
        TVec a = relu ? TVec.Relu(pre) : TVec.Tanh(pre);
        TVec.Store(a, ref y, k);
        TVec.Store(a, ref h, k);
    }
}
