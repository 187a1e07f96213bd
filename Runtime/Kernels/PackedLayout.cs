using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Fixed;

/// <summary>
/// The inference layout of the weights: a copy of <c>Parameters</c> arranged so that a cell's gate
/// pre-activations are a sum of broadcast-FMA columns into register-resident accumulators, with no
/// horizontal reductions. Per layer, in order:
/// <list type="bullet">
/// <item><c>Wx</c>: <c>weight_ih</c> as <see cref="InputRows"/> rows by the layer's inputs;</item>
/// <item><c>Wh</c>: <c>weight_hh</c> as <see cref="Rows"/> rows by H;</item>
/// <item>the bias, <c>b_ih + b_hh</c> folded where the formula allows it (<see cref="BiasLength"/>).</item>
/// </list>
/// Each matrix is stored block by block as <see cref="PackedMath"/> walks it (<see cref="Index"/>): the rows are cut
/// into blocks of as many vectors as the register file holds accumulators for, and each block is stored column
/// after column, so a matrix-vector product reads its weights as one sequential stream.
/// Every gate block is padded from H to <see cref="PaddedHidden"/>, a whole number of vectors, with zero
/// weights, so each gate starts on a vector boundary and the padding lanes compute harmless zeros.
/// The GRU keeps <c>W_in x + b_in</c> apart from <c>W_hn h + b_hn</c> (the reset gate multiplies only the
/// latter), so its accumulator vector is <c>[n_x | r | z | n_h]</c>: the input columns cover the first three
/// blocks and the hidden columns the last three, each a contiguous range.
/// </summary>
internal static class PackedLayout<TShape>
    where TShape : struct, INetworkShape
{
    /// <summary>
    /// Floats per vector for this network: the widest accelerated vector that is not wider than the hidden
    /// size (so a hidden size of 8 does not pay for a 16-lane register of padding), or 1 without SIMD.
    /// A JIT-time constant.
    /// </summary>
    public static int Lanes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => NetworkArithmetic.Lanes(
            TShape.HiddenSize, Path512.Emulated || Vector512.IsHardwareAccelerated, Vector256.IsHardwareAccelerated, Vector128.IsHardwareAccelerated);
    }

    /// <summary>
    /// Runs <paramref name="action"/> at <see cref="Lanes"/>' width: the one place that maps the width to a vector type
    /// (Vector512, Vector256, Vector128 or a plain float). Every branch but one is dead at JIT time, and the action's
    /// <c>Run</c> is inlined into the caller, so this costs no call and no test.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dispatch<TAction>(TAction action)
        where TAction : struct, ISimdAction, allows ref struct
    {
        if (Lanes == 16)
        {
            action.Run<Simd512>();
        }
        else if (Lanes == 8)
        {
            action.Run<Simd256>();
        }
        else if (Lanes == 4)
        {
            action.Run<Simd128>();
        }
        else
        {
            action.Run<Simd1>();
        }
    }

    /// <summary>The hidden size rounded up to whole vectors.</summary>
    public static int PaddedHidden
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)NetworkArithmetic.PaddedHidden(TShape.HiddenSize, Lanes);
    }

    private static int Gates
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.Gates;
    }

    private static bool IsGru
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.Cell == Cell.Gru;
    }

    /// <summary>
    /// Rows of the input matrix: every gate, padded; the input columns start from the bias, so they leave the sums
    /// initialised (all of them but the GRU's <c>n_h</c> block, which the engine starts from its bias: zero input weights
    /// there would turn an infinite input into NaN, where PyTorch keeps <c>W_hn h + b_hn</c> finite).
    /// </summary>
    public static int InputRows
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Rows;
    }

    /// <summary>Rows of the hidden matrix: every gate, padded.</summary>
    public static int Rows
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)NetworkArithmetic.PackedRows(TShape.Cell, TShape.HiddenSize, Lanes);
    }

    /// <summary>
    /// Where the hidden columns' rows start in the accumulator vector: after <c>n_x</c> for the GRU, at 0
    /// otherwise (input and hidden columns then add into the same rows).
    /// </summary>
    public static int HiddenRowsOffset
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => IsGru ? PaddedHidden : 0;
    }

    /// <summary>Floats of the packed bias, which is also the accumulator vector's length before activation.</summary>
    public static int BiasLength
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)NetworkArithmetic.PackedBiasLength(TShape.Cell, TShape.HiddenSize, Lanes);
    }

    /// <summary>Scratch a cell step needs: the accumulators, plus one vector for the LSTM's tanh(c').</summary>
    public static int ScratchLength
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)NetworkArithmetic.ScratchLength(TShape.Cell, TShape.HiddenSize, Lanes);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LayerLength(int layer) => (int)NetworkArithmetic.PackedLayerLength(TShape.Cell, Shape<TShape>.LayerInput(layer), TShape.HiddenSize, Lanes);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LayerOffset(int layer) => (int)NetworkArithmetic.PackedLayerOffset(TShape.Cell, TShape.InputSize, TShape.HiddenSize, Lanes, layer);

    /// <summary>Floats of the whole packed copy.</summary>
    public static int Length
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)NetworkArithmetic.PackedLength(TShape.Cell, TShape.InputSize, TShape.HiddenSize, TShape.NumLayers, Lanes);
    }

    /// <summary>
    /// Where element (<paramref name="row"/>, <paramref name="col"/>) of a packed <c>[rows, cols]</c> matrix is stored:
    /// in its row block (full blocks of <c>PackedMath.BlockVectors</c> vectors, then the remainder), column-major.
    /// </summary>
    public static int Index(int row, int col, int rows, int cols)
    {
        int blockRows = PackedMath.BlockVectors * Lanes;
        int fullRows = rows - (rows / Lanes % PackedMath.BlockVectors * Lanes);
        int start = row < fullRows ? row / blockRows * blockRows : fullRows;
        int height = row < fullRows ? blockRows : rows - fullRows;
        return (start * cols) + (col * height) + (row - start);
    }

    /// <summary>The row of an input column that PyTorch's gate <paramref name="gate"/>, unit <paramref name="unit"/> lands on.</summary>
    private static int InputRow(int gate, int unit) =>
        IsGru ? (gate == 2 ? 0 : gate + 1) * PaddedHidden + unit : gate * PaddedHidden + unit;

    /// <summary>Rewrites <paramref name="packed"/> from <paramref name="parameters"/> (PyTorch layout). Padding stays zero.</summary>
    /// <remarks>
    /// Runs after every write to <c>Parameters</c> that inference then sees (each optimizer step, in training), so it is a
    /// plain strided copy, block by block: every PyTorch row is contiguous, and lands on one packed row of its block whose
    /// consecutive columns are a fixed distance apart (the block's height). The block geometry is worked out once per
    /// block rather than through <see cref="Index"/> per row (its divisions were most of the cost: GRU 1→32's repack took
    /// about as long as ten steps).
    /// </remarks>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Pack(ReadOnlySpan<float> parameters, Span<float> packed)
    {
        int h = TShape.HiddenSize;
        int gh = Gates * h;
        packed.Clear();
        for (int layer = 0; layer < TShape.NumLayers; layer++)
        {
            int inSize = Shape<TShape>.LayerInput(layer);
            ReadOnlySpan<float> p = parameters.Slice(Shape<TShape>.LayerOffset(layer), Shape<TShape>.LayerParameters(layer));
            Span<float> q = packed.Slice(LayerOffset(layer), LayerLength(layer));
            Span<float> wx = q.Slice(0, inSize * InputRows);
            Span<float> wh = q.Slice(inSize * InputRows, h * Rows);
            Span<float> bias = q.Slice((inSize * InputRows) + (h * Rows), BiasLength);
            PackMatrix(p.Slice(0, gh * inSize), inSize, wx, InputRows, input: true);
            PackMatrix(p.Slice(gh * inSize, gh * h), h, wh, Rows, input: false);
            if (!TShape.Bias)
            {
                continue;
            }

            // Gate by gate, each a contiguous run of H floats on both sides.
            for (int gate = 0; gate < Gates; gate++)
            {
                ReadOnlySpan<float> bih = p.Slice((gh * (inSize + h)) + (gate * h), h);
                ReadOnlySpan<float> bhh = p.Slice((gh * (inSize + h + 1)) + (gate * h), h);
                if (IsGru && gate == 2)
                {
                    bih.CopyTo(bias.Slice(0, h));
                    bhh.CopyTo(bias.Slice(3 * PaddedHidden, h));
                }
                else
                {
                    Sum(bih, bhh, bias.Slice(InputRow(gate, 0), h));
                }
            }
        }
    }

    /// <summary>
    /// Eight rows of eight floats (<paramref name="from"/>, rows <paramref name="cols"/> apart) written as eight columns of eight
    /// (<paramref name="to"/>, columns <paramref name="height"/> apart): the transpose of an 8×8 tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8(ref float from, int cols, ref float to, int height)
    {
        nuint c = (nuint)cols;
        Vector256<float> r0 = Vector256.LoadUnsafe(ref from);
        Vector256<float> r1 = Vector256.LoadUnsafe(ref from, c);
        Vector256<float> r2 = Vector256.LoadUnsafe(ref from, 2 * c);
        Vector256<float> r3 = Vector256.LoadUnsafe(ref from, 3 * c);
        Vector256<float> r4 = Vector256.LoadUnsafe(ref from, 4 * c);
        Vector256<float> r5 = Vector256.LoadUnsafe(ref from, 5 * c);
        Vector256<float> r6 = Vector256.LoadUnsafe(ref from, 6 * c);
        Vector256<float> r7 = Vector256.LoadUnsafe(ref from, 7 * c);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);
        nuint hgt = (nuint)height;
        Avx.Permute2x128(s0, s4, 0x20).StoreUnsafe(ref to);
        Avx.Permute2x128(s1, s5, 0x20).StoreUnsafe(ref to, hgt);
        Avx.Permute2x128(s2, s6, 0x20).StoreUnsafe(ref to, 2 * hgt);
        Avx.Permute2x128(s3, s7, 0x20).StoreUnsafe(ref to, 3 * hgt);
        Avx.Permute2x128(s0, s4, 0x31).StoreUnsafe(ref to, 4 * hgt);
        Avx.Permute2x128(s1, s5, 0x31).StoreUnsafe(ref to, 5 * hgt);
        Avx.Permute2x128(s2, s6, 0x31).StoreUnsafe(ref to, 6 * hgt);
        Avx.Permute2x128(s3, s7, 0x31).StoreUnsafe(ref to, 7 * hgt);
    }

    /// <summary><c>sum[i] = a[i] + b[i]</c>, in that operand order at every width (the folded bias <c>b_ih + b_hh</c>).</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void Sum(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> sum)
    {
        ref float ra = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(a);
        ref float rb = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(b);
        ref float rs = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(sum);
        int n = sum.Length;
        if (a.Length < n || b.Length < n)
        {
            throw new ArgumentException("Bias lengths disagree.");
        }

        int i = 0;
        if (Path512.Emulated || Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                (Vector512.LoadUnsafe(ref ra, (nuint)i) + Vector512.LoadUnsafe(ref rb, (nuint)i)).StoreUnsafe(ref rs, (nuint)i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                (Vector256.LoadUnsafe(ref ra, (nuint)i) + Vector256.LoadUnsafe(ref rb, (nuint)i)).StoreUnsafe(ref rs, (nuint)i);
            }
        }

        if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                (Vector128.LoadUnsafe(ref ra, (nuint)i) + Vector128.LoadUnsafe(ref rb, (nuint)i)).StoreUnsafe(ref rs, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref rs, i) = Unsafe.Add(ref ra, i) + Unsafe.Add(ref rb, i);
        }
    }

    /// <summary>
    /// Writes a PyTorch <c>[Gates·H, cols]</c> matrix into a packed <c>[rows, cols]</c> one (<see cref="Index"/>'s layout),
    /// gate block by gate block: the input matrix's rows as <see cref="InputRow"/> places them, the hidden matrix's at
    /// <c>gate·PaddedHidden + unit</c>. Padding rows are left as they are (zero).
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void PackMatrix(ReadOnlySpan<float> source, int cols, Span<float> matrix, int rows, bool input)
    {
        int h = TShape.HiddenSize;
        if (matrix.Length < rows * cols || source.Length < Gates * h * cols)
        {
            throw new ArgumentException("Packed matrix sizes disagree.");
        }

        if (cols == 1)
        {
            // One column (an input of one feature): Index(row, 0) is the row itself, so each gate's H weights are one contiguous run.
            for (int gate = 0; gate < Gates; gate++)
            {
                source.Slice(gate * h, h).CopyTo(matrix.Slice(input ? InputRow(gate, 0) : gate * PaddedHidden, h));
            }

            return;
        }

        ref float src = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(source);
        ref float dst = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(matrix);
        int blockRows = PackedMath.BlockVectors * Lanes;
        int fullRows = rows - (rows / Lanes % PackedMath.BlockVectors * Lanes);
        for (int gate = 0; gate < Gates; gate++)
        {
            int first = input ? InputRow(gate, 0) : gate * PaddedHidden;
            int unit = 0;
            if (Avx.IsSupported && Lanes >= 8 && cols >= 8)
            {
                // Eight rows by eight columns at a time (an 8×8 transpose in ymm registers: 24 shuffles for 64 floats, against
                // 32 for the 4×4 path below). Gates and blocks start on whole vectors of at least eight, so eight units from a
                // multiple of eight share a block.
                for (; unit <= h - 8; unit += 8)
                {
                    int row = first + unit;
                    int start = row < fullRows ? row / blockRows * blockRows : fullRows;
                    int height = row < fullRows ? blockRows : rows - fullRows;
                    ref float from = ref Unsafe.Add(ref src, ((gate * h) + unit) * cols);
                    ref float to = ref Unsafe.Add(ref dst, (start * cols) + (row - start));
                    int j = 0;
                    for (; j <= cols - 8; j += 8)
                    {
                        Transpose8(ref Unsafe.Add(ref from, j), cols, ref Unsafe.Add(ref to, j * height), height);
                    }

                    for (; j < cols; j++)
                    {
                        for (int k = 0; k < 8; k++)
                        {
                            Unsafe.Add(ref to, (j * height) + k) = Unsafe.Add(ref from, (k * cols) + j);
                        }
                    }
                }
            }

            if (Sse.IsSupported && Lanes >= 4)
            {
                // Four rows by four columns at a time, transposed in registers: four loads and four stores instead of sixteen
                // of each. Gates and blocks start on whole vectors, so four units from a multiple of four share a block.
                for (; unit <= h - 4; unit += 4)
                {
                    int row = first + unit;
                    int start = row < fullRows ? row / blockRows * blockRows : fullRows;
                    int height = row < fullRows ? blockRows : rows - fullRows;
                    ref float from = ref Unsafe.Add(ref src, ((gate * h) + unit) * cols);
                    ref float to = ref Unsafe.Add(ref dst, (start * cols) + (row - start));
                    int j = 0;
                    for (; j <= cols - 4; j += 4)
                    {
                        Vector128<float> r0 = Vector128.LoadUnsafe(ref from, (nuint)j);
                        Vector128<float> r1 = Vector128.LoadUnsafe(ref from, (nuint)(cols + j));
                        Vector128<float> r2 = Vector128.LoadUnsafe(ref from, (nuint)((2 * cols) + j));
                        Vector128<float> r3 = Vector128.LoadUnsafe(ref from, (nuint)((3 * cols) + j));
                        Vector128<float> t0 = Sse.UnpackLow(r0, r1);
                        Vector128<float> t1 = Sse.UnpackLow(r2, r3);
                        Vector128<float> t2 = Sse.UnpackHigh(r0, r1);
                        Vector128<float> t3 = Sse.UnpackHigh(r2, r3);
                        Sse.MoveLowToHigh(t0, t1).StoreUnsafe(ref to, (nuint)(j * height));
                        Sse.MoveHighToLow(t1, t0).StoreUnsafe(ref to, (nuint)((j + 1) * height));
                        Sse.MoveLowToHigh(t2, t3).StoreUnsafe(ref to, (nuint)((j + 2) * height));
                        Sse.MoveHighToLow(t3, t2).StoreUnsafe(ref to, (nuint)((j + 3) * height));
                    }

                    for (; j < cols; j++)
                    {
                        for (int k = 0; k < 4; k++)
                        {
                            Unsafe.Add(ref to, (j * height) + k) = Unsafe.Add(ref from, (k * cols) + j);
                        }
                    }
                }
            }

            for (; unit < h; unit++)
            {
                int row = first + unit;
                int start = row < fullRows ? row / blockRows * blockRows : fullRows;
                int height = row < fullRows ? blockRows : rows - fullRows;
                ref float from = ref Unsafe.Add(ref src, ((gate * h) + unit) * cols);
                ref float to = ref Unsafe.Add(ref dst, (start * cols) + (row - start));
                for (int j = 0; j < cols; j++)
                {
                    Unsafe.Add(ref to, j * height) = Unsafe.Add(ref from, j);
                }
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="packed"/> holds exactly (bit for bit) what <see cref="Pack"/> writes. An independent walk
    /// (element by element through <see cref="Index"/>), used by the Debug-build check and the tests.
    /// </summary>
    public static bool Matches(ReadOnlySpan<float> parameters, ReadOnlySpan<float> packed) => Walk(parameters, packed);

    /// <summary>Visits every weight once with its packed position and stops at the first difference.</summary>
    private static bool Walk(ReadOnlySpan<float> parameters, ReadOnlySpan<float> packed)
    {
        int h = TShape.HiddenSize;
        int ph = PaddedHidden;
        int rows = Rows;
        for (int layer = 0; layer < TShape.NumLayers; layer++)
        {
            int inSize = Shape<TShape>.LayerInput(layer);
            ReadOnlySpan<float> p = parameters.Slice(Shape<TShape>.LayerOffset(layer), Shape<TShape>.LayerParameters(layer));
            ReadOnlySpan<float> q = packed.Slice(LayerOffset(layer), LayerLength(layer));
            int gh = Gates * h;
            ReadOnlySpan<float> wih = p.Slice(0, gh * inSize);
            ReadOnlySpan<float> whh = p.Slice(gh * inSize, gh * h);
            ReadOnlySpan<float> wx = q.Slice(0, inSize * InputRows);
            ReadOnlySpan<float> wh = q.Slice(inSize * InputRows, h * rows);
            ReadOnlySpan<float> bias = q.Slice((inSize * InputRows) + (h * rows), BiasLength);
            for (int gate = 0; gate < Gates; gate++)
            {
                for (int unit = 0; unit < h; unit++)
                {
                    int source = gate * h + unit;
                    int inputRow = InputRow(gate, unit);
                    int hiddenRow = gate * ph + unit;
                    for (int k = 0; k < inSize; k++)
                    {
                        if (!Same(wx[Index(inputRow, k, InputRows, inSize)], Computed(wih[source * inSize + k])))
                        {
                            return false;
                        }
                    }

                    for (int j = 0; j < h; j++)
                    {
                        if (!Same(wh[Index(hiddenRow, j, rows, h)], Computed(whh[source * h + j])))
                        {
                            return false;
                        }
                    }

                    if (!TShape.Bias)
                    {
                        continue;
                    }

                    float bih = p[gh * (inSize + h) + source];
                    float bhh = p[gh * (inSize + h + 1) + source];
                    bool same = IsGru && gate == 2
                        ? Same(bias[unit], bih) && Same(bias[3 * ph + unit], bhh)
                        : Same(bias[inputRow], bih + bhh);
                    if (!same)
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }

    /// <summary>A weight matrix element as the model computes with it: rounded to bfloat16 for a <c>WeightPrecision.BFloat16</c> model.</summary>
    private static float Computed(float weight) => ReducedLayout<TShape>.Enabled ? BFloat16.RoundToSingle(weight) : weight;

    private static bool Same(float packed, float value) => BitConverter.SingleToInt32Bits(packed) == BitConverter.SingleToInt32Bits(value);
}
