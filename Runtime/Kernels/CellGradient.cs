using System.Runtime.CompilerServices;

namespace Fixed;

/// <summary>
/// The element-wise half of a cell's backward step, vectorised like <see cref="CellUpdate"/>: from the recorded
/// gates and dLoss/dh', the gradients of the gate pre-activations. Whole vectors first, then the last units one at a
/// time with the same formulas, in the same order of operations (so every width computes the same values).
/// </summary>
/// <remarks>
/// Outputs: <c>dpi</c> (for the input projection and the biases), <c>dph</c> (for the hidden projection; it differs
/// from <c>dpi</c> only in the GRU's n block, which the reset gate scales), <c>dhDirect</c> (the part of dLoss/dh that
/// bypasses <c>W_hh</c>: the GRU's <c>z·dh'</c>, else 0), and for the LSTM the cell gradient carried to the past.
/// </remarks>
internal static class CellGradient
{
    /// <summary>GRU: tape gates [r | z | n] and W_hn h + b_hn.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void Gru<TVec>(ref float gates, ref float ghn, ref float hPrevious, ref float dh, ref float dpi, ref float dph, ref float dhDirect, int hidden)
        where TVec : struct, ISimd<TVec>
    {
        int j = 0;
        for (; j <= hidden - TVec.Count; j += TVec.Count)
        {
            Gru<TVec>(ref gates, ref ghn, ref hPrevious, ref dh, ref dpi, ref dph, ref dhDirect, (nuint)hidden, (nuint)j);
        }

        for (; j < hidden; j++)
        {
            Gru<Simd1>(ref gates, ref ghn, ref hPrevious, ref dh, ref dpi, ref dph, ref dhDirect, (nuint)hidden, (nuint)j);
        }
    }

    /// <summary>LSTM: tape gates [i | f | g | o], tanh(c') and c before the step; <paramref name="dc"/> in and out.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void Lstm<TVec>(ref float gates, ref float tanhC, ref float cPrevious, ref float dh, ref float dc, ref float dpi, int hidden)
        where TVec : struct, ISimd<TVec>
    {
        int j = 0;
        for (; j <= hidden - TVec.Count; j += TVec.Count)
        {
            Lstm<TVec>(ref gates, ref tanhC, ref cPrevious, ref dh, ref dc, ref dpi, (nuint)hidden, (nuint)j);
        }

        for (; j < hidden; j++)
        {
            Lstm<Simd1>(ref gates, ref tanhC, ref cPrevious, ref dh, ref dc, ref dpi, (nuint)hidden, (nuint)j);
        }
    }

    /// <summary>RNN: the recorded activation a = h'; tanh' = 1 - a², ReLU' = [a &gt; 0].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void Rnn<TVec>(ref float activation, ref float dh, ref float dpi, int hidden, bool relu)
        where TVec : struct, ISimd<TVec>
    {
        int j = 0;
        for (; j <= hidden - TVec.Count; j += TVec.Count)
        {
            Rnn<TVec>(ref activation, ref dh, ref dpi, (nuint)j, relu);
        }

        for (; j < hidden; j++)
        {
            Rnn<Simd1>(ref activation, ref dh, ref dpi, (nuint)j, relu);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void Gru<TVec>(ref float gates, ref float ghn, ref float hPrevious, ref float dh, ref float dpi, ref float dph, ref float dhDirect, nuint h, nuint j)
        where TVec : struct, ISimd<TVec> =>
        Gru(ref gates, ref ghn, ref hPrevious, TVec.Load(ref dh, j), ref dpi, ref dph, ref dhDirect, h, j);

    /// <summary>One vector of the GRU's gradient with dLoss/dh' in a register (the single-layer sweep): the same operations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void Gru<TVec>(ref float gates, ref float ghn, ref float hPrevious, TVec d, ref float dpi, ref float dph, ref float dhDirect, nuint h, nuint j)
        where TVec : struct, ISimd<TVec>
    {
        TVec one = TVec.Broadcast(1f);
        TVec r = TVec.Load(ref gates, j);
        TVec z = TVec.Load(ref gates, h + j);
        TVec n = TVec.Load(ref gates, (2 * h) + j);
        TVec dn = TVec.Multiply(TVec.Multiply(d, TVec.Subtract(one, z)), TVec.Subtract(one, TVec.Multiply(n, n)));
        TVec dz = TVec.Multiply(TVec.Multiply(TVec.Multiply(d, TVec.Subtract(TVec.Load(ref hPrevious, j), n)), z), TVec.Subtract(one, z));
        TVec dr = TVec.Multiply(TVec.Multiply(TVec.Multiply(dn, TVec.Load(ref ghn, j)), r), TVec.Subtract(one, r));
        TVec.Store(dr, ref dpi, j);
        TVec.Store(dr, ref dph, j);
        TVec.Store(dz, ref dpi, h + j);
        TVec.Store(dz, ref dph, h + j);
        TVec.Store(dn, ref dpi, (2 * h) + j);
        TVec.Store(TVec.Multiply(dn, r), ref dph, (2 * h) + j);
        TVec.Store(TVec.Multiply(d, z), ref dhDirect, j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void Lstm<TVec>(ref float gates, ref float tanhC, ref float cPrevious, ref float dh, ref float dc, ref float dpi, nuint h, nuint j)
        where TVec : struct, ISimd<TVec>
    {
        TVec i = TVec.Load(ref gates, j);
        TVec f = TVec.Load(ref gates, h + j);
        TVec g = TVec.Load(ref gates, (2 * h) + j);
        TVec o = TVec.Load(ref gates, (3 * h) + j);
        TVec tc = TVec.Load(ref tanhC, j);
        TVec d = TVec.Load(ref dh, j);
        Lstm(ref gates, tc, ref cPrevious, d, ref dc, ref dpi, h, j, i, f, g, o);
    }

    /// <summary>
    /// One vector of <see cref="Lstm{TVec}(ref float, ref float, ref float, ref float, ref float, ref float, int)"/> with dLoss/dh'
    /// in a register (the single-layer sweep computes it there): the same operations in the same order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void Lstm<TVec>(ref float gates, ref float tanhC, ref float cPrevious, TVec d, ref float dc, ref float dpi, nuint h, nuint j)
        where TVec : struct, ISimd<TVec>
    {
        TVec i = TVec.Load(ref gates, j);
        TVec f = TVec.Load(ref gates, h + j);
        TVec g = TVec.Load(ref gates, (2 * h) + j);
        TVec o = TVec.Load(ref gates, (3 * h) + j);
        Lstm(ref gates, TVec.Load(ref tanhC, j), ref cPrevious, d, ref dc, ref dpi, h, j, i, f, g, o);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void Lstm<TVec>(ref float gates, TVec tc, ref float cPrevious, TVec d, ref float dc, ref float dpi, nuint h, nuint j,
        TVec i, TVec f, TVec g, TVec o)
        where TVec : struct, ISimd<TVec>
    {
        TVec one = TVec.Broadcast(1f);
        TVec dcj = TVec.Add(TVec.Load(ref dc, j), TVec.Multiply(TVec.Multiply(d, o), TVec.Subtract(one, TVec.Multiply(tc, tc))));
        TVec.Store(TVec.Multiply(TVec.Multiply(TVec.Multiply(dcj, g), i), TVec.Subtract(one, i)), ref dpi, j);
        TVec.Store(TVec.Multiply(TVec.Multiply(TVec.Multiply(dcj, TVec.Load(ref cPrevious, j)), f), TVec.Subtract(one, f)), ref dpi, h + j);
        TVec.Store(TVec.Multiply(TVec.Multiply(dcj, i), TVec.Subtract(one, TVec.Multiply(g, g))), ref dpi, (2 * h) + j);
        TVec.Store(TVec.Multiply(TVec.Multiply(TVec.Multiply(d, tc), o), TVec.Subtract(one, o)), ref dpi, (3 * h) + j);
        TVec.Store(TVec.Multiply(dcj, f), ref dc, j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void Rnn<TVec>(ref float activation, ref float dh, ref float dpi, nuint j, bool relu)
        where TVec : struct, ISimd<TVec>
    {
        Rnn(ref activation, TVec.Load(ref dh, j), ref dpi, j, relu);
    }

    /// <summary>One vector of the RNN's gradient with dLoss/dh' in a register (the single-layer sweep): the same operations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static void Rnn<TVec>(ref float activation, TVec d, ref float dpi, nuint j, bool relu)
        where TVec : struct, ISimd<TVec>
    {
        TVec a = TVec.Load(ref activation, j);
        TVec.Store(relu ? TVec.WherePositive(a, d) : TVec.Multiply(d, TVec.Subtract(TVec.Broadcast(1f), TVec.Multiply(a, a))), ref dpi, j);
    }
}
