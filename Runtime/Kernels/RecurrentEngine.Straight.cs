using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Fixed.Engine;

// The straight-line step. For a one-layer network whose gate rows fit one register block, Step, Forward and WarmUp inline
// the whole cell and the head (no call but on the error and repack paths, no span, no bounds check: checked in CI by
// scripts/ci/check_step_disasm.sh), computing what CellStep and Head compute, operation for operation, so the outputs and
// states are bit for bit those of the general path (StraightStepTests).
//
// Why it is written on Vector512 and Vector256 directly rather than through ISimd: every ISimd operation is an inline of a
// wrapper (and of its constructor), and a whole step's worth of them ran the JIT out of locals for inlining: the listing of
// Step then kept calls to Simd512.Load, get_H, Span.Slice and the block kernels. The Vector intrinsics cost no inline.
public static partial class RecurrentEngine<TShape>
{
    /// <summary>Floats of the straight path's gate sums (<see cref="StraightSums"/>): eight vectors of 16.</summary>
    private const int StraightSumsLength = 128;

    /// <summary>
    /// Where the gate sums start in <paramref name="buffer"/>: its first 64-byte boundary. Each step stores the input
    /// columns' sums (the hidden product's start from them) and loads them back at once (the hidden product's own sums stay
    /// in registers, <see cref="Layer512"/>); a vector that straddles two cache lines cannot be forwarded from the store to the load, and
    /// where the struct landed in the frame moved with the registers Step saved: the same code of LSTM 1->32 and GRU 3->32
    /// measured 82 and 67 ns a step in one build and 104 and 88 ns in another whose frame was 8 bytes larger.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float AlignedSums(ref StraightSums buffer) => ref CacheLineAlignment.AlignedStart(ref Unsafe.As<StraightSums, float>(ref buffer));

    /// <summary>
    /// Layers the straight step writes out. Every layer above the first reads the one below it as H input columns, in one
    /// more block of the same shape; past two layers the code grows with every layer for a step that is then dominated by
    /// the layers' chain anyway, and the general path serves it.
    /// </summary>
    private const int MaxStraightLayers = 2;

    /// <summary>
    /// Whether this shape's step runs straight-line: at most <see cref="MaxStraightLayers"/> layers, one direction and no projection (those shapes run on
    /// <see cref="SequenceEngine{TShape}"/>, and must never reach this path even if called here), 16 or 8 lanes (Vector512 or Vector256), H a whole number
    /// of vectors (no scalar tail), every gate row in one block of at most <see cref="PackedMath.BlockVectors"/> vectors (so
    /// each packed matrix is column-major, one column after another) or every gate a block of its own (<see cref="GateBlocks"/>),
    /// the gate sums within <see cref="StraightSums"/>, and fp32 weights (a <c>WeightPrecision.BFloat16</c> model reads its own
    /// layout). A JIT-time constant.
    /// </summary>
    internal static bool IsStraight
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => L <= MaxStraightLayers && TShape.ProjSize == 0 && !TShape.Bidirectional && (PackedLayout<TShape>.Lanes == 16 || PackedLayout<TShape>.Lanes == 8)
            && H % PackedLayout<TShape>.Lanes == 0 && (PackedLayout<TShape>.Rows / PackedLayout<TShape>.Lanes <= PackedMath.BlockVectors || GateBlocks)
            && PackedLayout<TShape>.BiasLength <= StraightSumsLength && !ReducedLayout<TShape>.Enabled;
    }

    /// <summary>
    /// Vectors of one gate when every gate of a GRU or LSTM layer is exactly one of the packed layout's row blocks
    /// (<see cref="GateBlocks"/>).
    /// </summary>
    private const int GateBlockVectors = 4;

    /// <summary>
    /// Whether a GRU or LSTM layer's rows are more than one block, each gate exactly one block of
    /// <see cref="GateBlockVectors"/> vectors of 8: H = 32 where the layout's blocks are four vectors high (x64 without AVX-512:
    /// 16 vector registers, one block's eight accumulators and its broadcast columns). The straight step then runs one
    /// block product per gate, in the order of the recurrence's chain, and activates each gate as its product ends
    /// (<see cref="GateBlocks256"/>), instead of three or four calls of the general block kernel followed by the cell's
    /// own loop over the stored sums.
    /// </summary>
    private static bool GateBlocks
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.Cell != Cell.Rnn && PackedLayout<TShape>.Lanes == 8 && PackedMath.BlockVectors == GateBlockVectors
            && H == GateBlockVectors * 8 && Avx.IsSupported;
    }

    /// <summary>
    /// The gate sums of one straight step, on the stack (a struct, not stackalloc: no buffer-overrun cookie to check), with a
    /// cache line of slack: used from its first 64-byte boundary (<see cref="AlignedSums"/>).
    /// </summary>
    [InlineArray(StraightSumsLength + CacheLineAlignment.SlackFloats)]
    private struct StraightSums
    {
        private float _element;
    }

    /// <summary>
    /// One step of every layer (<see cref="IsStraight"/>) at <paramref name="lanes"/>' width, from the packed weights and the
    /// state: per layer the input sums, the hidden block product, the activations and update. Step, Forward and WarmUp all
    /// inline it. The layer count reaches <see cref="UpperLayer512"/> as an argument: written as <c>if (L &gt; 1)</c> here,
    /// the second layer's code was imported and inlined for one-layer shapes too (the JIT folds the test only after
    /// inlining), and LSTM 1→32's step was left with calls; a test of an argument that is a constant at the call site is
    /// folded as the inlinee is imported. The width and the cell are passed the same way.
    /// </summary>
    /// <remarks>
    /// The width is chosen first by the shape's marker (<see cref="IWideShape"/>, <see cref="INarrowShape"/>: every test then
    /// folds as the method is imported, so only one width's code is compiled), and by <paramref name="lanes"/> only for a shape
    /// without one. The JIT folds <paramref name="lanes"/> in time too; NativeAOT's compiler does not, and with AVX-512 it
    /// compiled both widths into <c>Step</c>, which then ran out of the locals it may inline before its head.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StraightCell(int lanes, ref float packed, ref float state, ref float x, ref float sums)
    {
        ref float hidden = ref Unsafe.Add(ref packed, I * PackedLayout<TShape>.Rows);
        if (default(TShape) is IWideShape)
        {
            if (Path512.Emulated || Vector512.IsHardwareAccelerated)
            {
                Debug.Assert(lanes == 16);
                StraightCell512(ref packed, ref hidden, ref state, ref x, ref sums);
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                Debug.Assert(lanes == 8);
                StraightCell256(ref packed, ref hidden, ref state, ref x, ref sums);
            }
        }
        else if (default(TShape) is INarrowShape)
        {
            if (Vector256.IsHardwareAccelerated && lanes == 8)
            {
                StraightCell256(ref packed, ref hidden, ref state, ref x, ref sums);
            }
        }
        else if ((Path512.Emulated || Vector512.IsHardwareAccelerated) && lanes == 16)
        {
            StraightCell512(ref packed, ref hidden, ref state, ref x, ref sums);
        }
        else if (Vector256.IsHardwareAccelerated && lanes == 8)
        {
            StraightCell256(ref packed, ref hidden, ref state, ref x, ref sums);
        }
    }

    /// <summary><see cref="StraightCell"/> at 512 bits: the first layer's input sums and step, then the second layer's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StraightCell512(ref float packed, ref float hidden, ref float state, ref float x, ref float sums)
    {
        Inputs512(TShape.Cell, I, upper: false, ref packed, ref x, ref sums);
        Layer512(TShape.Cell, PackedLayout<TShape>.Rows / 16, ref hidden, ref state, ref sums);
        UpperLayer512(L, ref packed, ref state, ref sums);
    }

    /// <summary><see cref="StraightCell"/> at 256 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StraightCell256(ref float packed, ref float hidden, ref float state, ref float x, ref float sums)
    {
        Inputs256(TShape.Cell, I, upper: false, PackedMath.BlockVectors, ref packed, ref x, ref sums);
        Layer256(TShape.Cell, PackedLayout<TShape>.Rows / 8, PackedMath.BlockVectors, ref hidden, ref state, ref sums);
        UpperLayer256(L, ref packed, ref state, ref sums);
    }

    /// <summary>
    /// <see cref="StraightCell"/> of a one-layer shape for a step that Backward records: the same step, its update also
    /// storing the activated gates and the extra vector where the tape wants them (<paramref name="gates"/>: GRU
    /// <c>[r | z | n | n_h]</c>, LSTM <c>[i | f | g | o | tanh(c')]</c>, H floats each, as the general record copies them
    /// from the scratch). The RNN's one gate is h' itself, which its caller copies.
    /// </summary>
    /// <remarks>The width is chosen as in <see cref="StraightCell"/>.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StraightCellRecord(int lanes, ref float packed, ref float state, ref float x, ref float sums, ref float gates)
    {
        ref float hidden = ref Unsafe.Add(ref packed, I * PackedLayout<TShape>.Rows);
        if (default(TShape) is IWideShape)
        {
            if (Path512.Emulated || Vector512.IsHardwareAccelerated)
            {
                Debug.Assert(lanes == 16);
                StraightRecord512(ref packed, ref hidden, ref state, ref x, ref sums, ref gates);
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                Debug.Assert(lanes == 8);
                StraightRecord256(ref packed, ref hidden, ref state, ref x, ref sums, ref gates);
            }
        }
        else if (default(TShape) is INarrowShape)
        {
            if (Vector256.IsHardwareAccelerated && lanes == 8)
            {
                StraightRecord256(ref packed, ref hidden, ref state, ref x, ref sums, ref gates);
            }
        }
        else if ((Path512.Emulated || Vector512.IsHardwareAccelerated) && lanes == 16)
        {
            StraightRecord512(ref packed, ref hidden, ref state, ref x, ref sums, ref gates);
        }
        else if (Vector256.IsHardwareAccelerated && lanes == 8)
        {
            StraightRecord256(ref packed, ref hidden, ref state, ref x, ref sums, ref gates);
        }
    }

    /// <summary><see cref="StraightCellRecord"/> at 512 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StraightRecord512(ref float packed, ref float hidden, ref float state, ref float x, ref float sums, ref float gates)
    {
        Inputs512(TShape.Cell, I, upper: false, ref packed, ref x, ref sums);
        GatedLayer512(TShape.Cell, PackedLayout<TShape>.Rows / 16, ref hidden, ref state, ref sums, record: true, ref gates);
    }

    /// <summary><see cref="StraightCellRecord"/> at 256 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StraightRecord256(ref float packed, ref float hidden, ref float state, ref float x, ref float sums, ref float gates)
    {
        Inputs256(TShape.Cell, I, upper: false, PackedMath.BlockVectors, ref packed, ref x, ref sums);
        Gated256(TShape.Cell, PackedLayout<TShape>.Rows / 8, PackedMath.BlockVectors, ref hidden, ref state, ref sums, record: true, ref gates);
    }

    /// <summary>
    /// The second layer's step at 512 bits when <paramref name="layers"/> is 2, reading the first layer's new h as its input
    /// columns: the same calls as the first layer's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UpperLayer512(int layers, ref float packed, ref float state, ref float sums)
    {
        if (layers > 1)
        {
            ref float upper = ref Unsafe.Add(ref packed, UpperLayerOffset);
            ref float upperState = ref Unsafe.Add(ref state, StatePerLayer);
            Inputs512(TShape.Cell, H, upper: true, ref upper, ref state, ref sums);
            Layer512(TShape.Cell, PackedLayout<TShape>.Rows / 16, ref Unsafe.Add(ref upper, H * PackedLayout<TShape>.Rows), ref upperState, ref sums);
        }
    }

    /// <summary>The second layer's step at 256 bits (<see cref="UpperLayer512"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UpperLayer256(int layers, ref float packed, ref float state, ref float sums)
    {
        if (layers > 1)
        {
            ref float upper = ref Unsafe.Add(ref packed, UpperLayerOffset);
            ref float upperState = ref Unsafe.Add(ref state, StatePerLayer);
            Inputs256(TShape.Cell, H, upper: true, PackedMath.BlockVectors, ref upper, ref state, ref sums);
            Layer256(TShape.Cell, PackedLayout<TShape>.Rows / 8, PackedMath.BlockVectors, ref Unsafe.Add(ref upper, H * PackedLayout<TShape>.Rows), ref upperState,
                ref sums);
        }
    }

    /// <summary>Where the second layer's packed weights start (its input columns read the first layer's new h).</summary>
    private static int UpperLayerOffset
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => PackedLayout<TShape>.LayerOffset(1);
    }

    /// <summary>The top layer's h in a state (the head reads it).</summary>
    private static int TopHiddenOffset
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (L - 1) * StatePerLayer;
    }

    /// <summary>
    /// The head on h as <see cref="Head"/> computes it: for fewer than four outputs one <see cref="VectorMath.Dot"/> per
    /// output plus its bias (what <c>VectorMath.Project</c> does for them); for more, <c>Project</c> itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void StraightHead(ref float values, ref float h, ref float output)
    {
        if (!Shape<TShape>.HasHead)
        {
            MemoryMarshal.CreateReadOnlySpan(ref h, H).CopyTo(MemoryMarshal.CreateSpan(ref output, H));
            return;
        }

        if (O >= 4)
        {
            StraightWideHead(ref values, ref h, ref output);
            return;
        }

        ref float w = ref Unsafe.Add(ref values, Shape<TShape>.HeadOffset);
        for (int r = 0; r < O; r++)
        {
            Unsafe.Add(ref output, r) = VectorMath.Dot(ref Unsafe.Add(ref w, r * H), ref h, H) + Unsafe.Add(ref w, (O * H) + r);
        }
    }

    /// <summary>
    /// Step's head: <see cref="StraightHead"/> on the top layer's h. Inlined into a one-layer Step. A two-layer Step reaches the
    /// JIT's limit on the locals one method may inline before it gets here, and calls it: measured, that call (GRU 1→32 ×2:
    /// 136 ns a step) was cheaper than making room for the head by writing it before the cell and jumping to it (153 ns; the
    /// same jumps made the one-layer steps 30 % slower).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StraightStepHead(ParameterStore<TShape> parameters, ref float state, Span<float> output) =>
        StraightHead(ref parameters.ValuesReference, ref Unsafe.Add(ref state, TopHiddenOffset), ref MemoryMarshal.GetReference(output));

    /// <summary>
    /// <see cref="StraightHead"/> for four outputs or more (<c>Project</c>), and not inlined: the JIT imports it (and
    /// <c>Project</c>) even where the test before it folds it away, and its locals then count against the few hundred one
    /// method may inline, which a two-layer step needs all of.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StraightWideHead(ref float values, ref float h, ref float output) =>
        Head(MemoryMarshal.CreateReadOnlySpan(ref values, ParameterCount), MemoryMarshal.CreateReadOnlySpan(ref h, H), MemoryMarshal.CreateSpan(ref output, O));

    /// <summary>
    /// The gate sums before the hidden product of a layer of <paramref name="inSize"/> inputs (a constant), at 512 bits: bias plus input columns (<see cref="PackedMath.MultiplyAddColumn{TVec}"/>
    /// for one input, <see cref="Block512"/> for more), and the GRU's <c>n_h</c> block from its bias.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void Inputs512(Cell cell, int inSize, bool upper, ref float packed, ref float x, ref float sums)
    {
        const int n = 16;
        int rows = PackedLayout<TShape>.Rows;
        int ph = PaddedHidden;
        ref float bias = ref Unsafe.Add(ref packed, (inSize + H) * rows);
        if (inSize == 1)
        {
            Vector512<float> scale = Vector512.Create(x);
            for (int r = 0; r < rows; r += n)
            {
                Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref packed, (nuint)r), scale, Vector512.LoadUnsafe(ref bias, (nuint)r))
                    .StoreUnsafe(ref sums, (nuint)r);
            }
        }
        else if (upper)
        {
            // The layer below's new h: on the stack's chain, so the whole-block product (h broadcast once a column).
            Block512(rows / n, ref packed, inSize, ref x, ref bias, ref sums);
        }
        else
        {
            BlockByRows512(rows / n, ref packed, inSize, ref x, ref bias, ref sums);
        }

        if (cell == Cell.Gru)
        {
            // n_h = b_hn + W_hn h: the one block the input columns do not reach.
            for (int r = 3 * ph; r < 4 * ph; r += n)
            {
                Vector512.LoadUnsafe(ref bias, (nuint)r).StoreUnsafe(ref sums, (nuint)r);
            }
        }
    }

    /// <summary>
    /// The activation of an RNN layer of more than two vectors of units at 512 bits (<see cref="Layer512"/>), from the sums
    /// <see cref="Block512"/> stored: one activation a vector, nothing to order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void Update512(ref float sums, ref float h)
    {
        const int n = 16;
        for (int k = 0; k < H; k += n)
        {
            nuint u = (nuint)k;
            Activate512(Vector512.LoadUnsafe(ref sums, u)).StoreUnsafe(ref h, u);
        }
    }

    /// <summary>
    /// The gate sums before the hidden product of a layer of <paramref name="inSize"/> inputs (a constant), at 256 bits: bias plus input columns (<see cref="PackedMath.MultiplyAddColumn{TVec}"/>
    /// for one input, <see cref="Block256"/> for more, block by block of <paramref name="blockVectors"/> vectors where the
    /// rows are more than one block: <see cref="GateBlocks"/>), and the GRU's <c>n_h</c> block from its bias.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void Inputs256(Cell cell, int inSize, bool upper, int blockVectors, ref float packed, ref float x, ref float sums)
    {
        const int n = 8;
        int rows = PackedLayout<TShape>.Rows;
        int ph = PaddedHidden;
        ref float bias = ref Unsafe.Add(ref packed, (inSize + H) * rows);
        if (inSize == 1)
        {
            Vector256<float> scale = Vector256.Create(x);
            for (int r = 0; r < rows; r += n)
            {
                Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref packed, (nuint)r), scale, Vector256.LoadUnsafe(ref bias, (nuint)r))
                    .StoreUnsafe(ref sums, (nuint)r);
            }
        }
        else if (rows / n > blockVectors)
        {
            // One gate a block (GateBlocks), each stored column after column on its own, as PackedMath.MultiplyAdd reads them.
            int blockRows = blockVectors * n;
            for (int r = 0; r < rows; r += blockRows)
            {
                ref float w = ref Unsafe.Add(ref packed, r * inSize);
                if (upper)
                {
                    Block256(blockVectors, ref w, inSize, ref x, ref Unsafe.Add(ref bias, r), ref Unsafe.Add(ref sums, r));
                }
                else
                {
                    BlockByRows256(blockVectors, ref w, inSize, ref x, ref Unsafe.Add(ref bias, r), ref Unsafe.Add(ref sums, r));
                }
            }
        }
        else if (upper)
        {
            // The layer below's new h: on the stack's chain, so the whole-block product (h broadcast once a column).
            Block256(rows / n, ref packed, inSize, ref x, ref bias, ref sums);
        }
        else
        {
            BlockByRows256(rows / n, ref packed, inSize, ref x, ref bias, ref sums);
        }

        if (cell == Cell.Gru)
        {
            // n_h = b_hn + W_hn h: the one block the input columns do not reach.
            for (int r = 3 * ph; r < 4 * ph; r += n)
            {
                Vector256.LoadUnsafe(ref bias, (nuint)r).StoreUnsafe(ref sums, (nuint)r);
            }
        }
    }

    /// <summary>
    /// The activation of an RNN layer of more than two vectors of units at 256 bits (<see cref="Layer256"/>), from the sums
    /// <see cref="Block256"/> stored: one activation a vector, nothing to order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void Update256(ref float sums, ref float h)
    {
        const int n = 8;
        for (int k = 0; k < H; k += n)
        {
            nuint u = (nuint)k;
            Activate256(Vector256.LoadUnsafe(ref sums, u)).StoreUnsafe(ref h, u);
        }
    }
    /// <summary>
    /// <c>y = init + W x</c> for one packed block of <paramref name="nv"/> vectors (at most <see cref="PackedMath.BlockVectors"/>)
    /// stored column after column: the same accumulators, columns and order of operations as <c>PackedMath.Wide</c> (three
    /// vectors and up: two accumulators per vector, even and odd columns) and <c>PackedMath.Narrow</c> (one or two vectors:
    /// four accumulators per vector), so the result is bit for bit theirs. Written on Vector512 directly instead of through
    /// <see cref="ISimd{TSelf}"/>: every wrapper call is an inline, and a step's worth of them exceeded the JIT's inlining
    /// budget (calls to the wrappers were left in <c>Step</c>, seen in <c>DOTNET_JitDisasm</c>); the intrinsics cost none.
    /// <paramref name="nv"/> is a constant at every call site, so the guards fold away.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block512(int nv, ref float w, int cols, ref float x, ref float init, ref float y)
    {
        // Two methods: the JIT inlines no method with more than 32 locals, and the two shapes together have more.
        if (nv <= 2)
        {
            Narrow512(nv, ref w, cols, ref x, ref init, ref y);
        }
        else
        {
            Wide512(nv, ref w, cols, ref x, ref init, ref y);
        }
    }

    /// <summary>
    /// One layer's hidden product, activations and update at 512 bits, after <see cref="Inputs512"/>: the gate sums stay in
    /// registers from the product to the activations (storing them and loading them back put a store-to-load forwarding
    /// on the recurrence's chain), except for an RNN of more than two vectors of units, which runs the block product and
    /// <see cref="Update512"/>. The cell and the block's width (<paramref name="nv"/> vectors) are arguments, constants at
    /// the call site, so that the JIT folds the other cells' code as it imports this method: tested on <c>TShape.Cell</c>
    /// here, every cell's code was imported and inlined, and the step ran out of the locals one method may inline (GRU
    /// 3→32's head stayed a call).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Layer512(Cell cell, int nv, ref float hidden, ref float h, ref float sums)
    {
        const int n = 16;
        if (cell != Cell.Rnn)
        {
            GatedLayer512(cell, nv, ref hidden, ref h, ref sums, record: false, ref Unsafe.NullRef<float>());
        }
        else if (nv <= 2)
        {
            NarrowSums512(nv, ref hidden, H, ref h, ref sums, out Vector512<float> y0, out Vector512<float> y1);
            Activate512(y0).StoreUnsafe(ref h, 0);
            if (H > n)
            {
                Activate512(y1).StoreUnsafe(ref h, n);
            }
        }
        else
        {
            Block512(nv, ref hidden, H, ref h, ref sums, ref sums);
            Update512(ref sums, ref h);
        }
    }

    /// <summary>
    /// A GRU or LSTM layer's hidden product, activations and update at 512 bits, with the formulas and operations of
    /// <see cref="CellUpdate"/> (so the same values), the gate sums taken from <see cref="WideSums512"/>'s registers. Both unit
    /// vectors are written out side by side in the order of the recurrence's chain, the gate that only the last operation
    /// needs (z, o) last: the core issues the oldest ready operation first, so that gate's operations fill the chain's gaps
    /// instead of delaying it. With <paramref name="record"/> (a constant at each call site) the activated gates and the
    /// extra vector are stored where Backward's tape wants them (<paramref name="gates"/>: GRU <c>[r | z | n | n_h]</c>,
    /// LSTM <c>[i | f | g | o | tanh(c')]</c>, H floats each, as the general record copies them from the scratch).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatedLayer512(Cell cell, int nv, ref float hidden, ref float h, ref float sums, bool record, ref float gates)
    {
        const int n = 16;
        int ph = PaddedHidden;
        bool two = H > n;
        ref float hiddenSums = ref Unsafe.Add(ref sums, PackedLayout<TShape>.HiddenRowsOffset);
        WideSums512(nv, ref hidden, H, ref h, ref hiddenSums, out Vector512<float> y0, out Vector512<float> y1, out Vector512<float> y2,
            out Vector512<float> y3, out Vector512<float> y4, out Vector512<float> y5, out Vector512<float> y6, out Vector512<float> y7);
        if (cell == Cell.Gru)
        {
            // The block's gates r, z, n_h: one or two vectors each.
            Vector512<float> r0 = SigmoidOperator.Invoke(y0);
            Vector512<float> r1 = two ? SigmoidOperator.Invoke(y1) : default;
            Vector512<float> g0 = TanhOperator.Invoke(Vector512.MultiplyAddEstimate(r0, two ? y4 : y2, Vector512.LoadUnsafe(ref sums, 0)));
            Vector512<float> g1 = two ? TanhOperator.Invoke(Vector512.MultiplyAddEstimate(r1, y5, Vector512.LoadUnsafe(ref sums, n))) : default;
            Vector512<float> z0 = SigmoidOperator.Invoke(two ? y2 : y1);
            Vector512<float> z1 = two ? SigmoidOperator.Invoke(y3) : default;
            Vector512.MultiplyAddEstimate(z0, Vector512.LoadUnsafe(ref h, 0) - g0, g0).StoreUnsafe(ref h, 0);
            if (two)
            {
                Vector512.MultiplyAddEstimate(z1, Vector512.LoadUnsafe(ref h, n) - g1, g1).StoreUnsafe(ref h, n);
            }

            if (record)
            {
                // The tape's [r | z | n | n_h], H floats each (n_h: W_hn h + b_hn, as the general record keeps it).
                nuint hh = (nuint)H;
                r0.StoreUnsafe(ref gates, 0);
                z0.StoreUnsafe(ref gates, hh);
                g0.StoreUnsafe(ref gates, 2 * hh);
                (two ? y4 : y2).StoreUnsafe(ref gates, 3 * hh);
                if (two)
                {
                    r1.StoreUnsafe(ref gates, n);
                    z1.StoreUnsafe(ref gates, hh + n);
                    g1.StoreUnsafe(ref gates, (2 * hh) + n);
                    y5.StoreUnsafe(ref gates, (3 * hh) + n);
                }
            }

            return;
        }

        // LSTM: i, f, g, o, one or two vectors each.
        ref float c = ref Unsafe.Add(ref h, H);
        Vector512<float> i0 = SigmoidOperator.Invoke(y0);
        Vector512<float> i1 = two ? SigmoidOperator.Invoke(y1) : default;
        Vector512<float> f0 = SigmoidOperator.Invoke(two ? y2 : y1);
        Vector512<float> f1 = two ? SigmoidOperator.Invoke(y3) : default;
        Vector512<float> gg0 = TanhOperator.Invoke(two ? y4 : y2);
        Vector512<float> gg1 = two ? TanhOperator.Invoke(y5) : default;
        Vector512<float> c0 = Vector512.MultiplyAddEstimate(f0, Vector512.LoadUnsafe(ref c, 0), i0 * gg0);
        Vector512<float> c1 = two ? Vector512.MultiplyAddEstimate(f1, Vector512.LoadUnsafe(ref c, n), i1 * gg1) : default;
        c0.StoreUnsafe(ref c, 0);
        if (two)
        {
            c1.StoreUnsafe(ref c, n);
        }

        Vector512<float> t0 = TanhOperator.Invoke(c0);
        Vector512<float> t1 = two ? TanhOperator.Invoke(c1) : default;
        Vector512<float> o0 = SigmoidOperator.Invoke(two ? y6 : y3);
        (o0 * t0).StoreUnsafe(ref h, 0);
        Vector512<float> o1 = two ? SigmoidOperator.Invoke(y7) : default;
        if (two)
        {
            (o1 * t1).StoreUnsafe(ref h, n);
        }

        if (record)
        {
            // The tape's [i | f | g | o | tanh(c')], H floats each.
            nuint hh = (nuint)H;
            i0.StoreUnsafe(ref gates, 0);
            f0.StoreUnsafe(ref gates, hh);
            gg0.StoreUnsafe(ref gates, 2 * hh);
            o0.StoreUnsafe(ref gates, 3 * hh);
            t0.StoreUnsafe(ref gates, 4 * hh);
            if (two)
            {
                i1.StoreUnsafe(ref gates, n);
                f1.StoreUnsafe(ref gates, hh + n);
                gg1.StoreUnsafe(ref gates, (2 * hh) + n);
                o1.StoreUnsafe(ref gates, (3 * hh) + n);
                t1.StoreUnsafe(ref gates, (4 * hh) + n);
            }
        }
    }

    /// <summary>An RNN layer's activation of one vector of sums: ReLU or tanh, as the shape declares.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Activate512(Vector512<float> pre) =>
        TShape.Nonlinearity == Nonlinearity.Relu ? ReluOperator.Invoke(pre) : TanhOperator.Invoke(pre);

    /// <summary>One or two vectors: four accumulators each (<c>PackedMath.Narrow</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Narrow512(int nv, ref float w, int cols, ref float x, ref float init, ref float y)
    {
        NarrowSums512(nv, ref w, cols, ref x, ref init, out Vector512<float> y0, out Vector512<float> y1);
        y0.StoreUnsafe(ref y, 0);
        if (nv > 1)
        {
            y1.StoreUnsafe(ref y, 16);
        }
    }

    /// <summary><see cref="Narrow512"/>'s sums, left in registers: <c>y1</c> is zero for one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void NarrowSums512(int nv, ref float w, int cols, ref float x, ref float init, out Vector512<float> y0, out Vector512<float> y1)
    {
        const int n = 16;
        nuint stride = (nuint)(nv * n);
        {
            Vector512<float> a0 = Vector512.LoadUnsafe(ref init, 0);
            Vector512<float> a1 = nv > 1 ? Vector512.LoadUnsafe(ref init, n) : default;
            Vector512<float> b0 = default, b1 = default, c0 = default, c1 = default, d0 = default, d1 = default;
            int j = 0;
            for (; j < cols - 3; j += 4)
            {
                ref float p = ref Unsafe.Add(ref w, (nuint)j * stride);
                ref float q = ref Unsafe.Add(ref p, stride);
                ref float r = ref Unsafe.Add(ref q, stride);
                ref float s = ref Unsafe.Add(ref r, stride);
                Vector512<float> x0 = Vector512.Create(Unsafe.Add(ref x, j));
                Vector512<float> x1 = Vector512.Create(Unsafe.Add(ref x, j + 1));
                Vector512<float> x2 = Vector512.Create(Unsafe.Add(ref x, j + 2));
                Vector512<float> x3 = Vector512.Create(Unsafe.Add(ref x, j + 3));
                a0 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref p, 0), x0, a0);
                b0 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref q, 0), x1, b0);
                c0 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref r, 0), x2, c0);
                d0 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref s, 0), x3, d0);
                if (nv > 1)
                {
                    a1 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref p, n), x0, a1);
                    b1 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref q, n), x1, b1);
                    c1 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref r, n), x2, c1);
                    d1 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref s, n), x3, d1);
                }
            }

            for (; j < cols; j++)
            {
                ref float p = ref Unsafe.Add(ref w, (nuint)j * stride);
                Vector512<float> x0 = Vector512.Create(Unsafe.Add(ref x, j));
                a0 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref p, 0), x0, a0);
                a1 = nv > 1 ? Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref p, n), x0, a1) : a1;
            }

            y0 = (a0 + b0) + (c0 + d0);
            y1 = nv > 1 ? (a1 + b1) + (c1 + d1) : default;
        }
    }

    /// <summary>
    /// <see cref="Block512"/>'s product one vector of rows at a time, with the same accumulators (so the same bits): four for
    /// one or two vectors (<see cref="Narrow512"/>), two for more (<see cref="Wide512"/>), live for one vector instead of the
    /// whole block. For the input columns, which no recurrence waits for: the block-wide form's locals, inlined into
    /// <c>Step</c> beside the hidden product's, left the JIT short of locals for the head, which then stayed a call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void BlockByRows512(int nv, ref float w, int cols, ref float x, ref float init, ref float y)
    {
        const int n = 16;
        nuint stride = (nuint)(nv * n);
        if (cols <= 4 && nv > 2)
        {
            // A few inputs: each broadcast once for all the rows; columns 0 and 2 on the even accumulator, 1 and 3 on the odd.
            Vector512<float> x0 = Vector512.Create(x);
            Vector512<float> x1 = Vector512.Create(Unsafe.Add(ref x, 1));
            Vector512<float> x2 = cols > 2 ? Vector512.Create(Unsafe.Add(ref x, 2)) : default;
            Vector512<float> x3 = cols > 3 ? Vector512.Create(Unsafe.Add(ref x, 3)) : default;
            for (int v = 0; v < nv; v++)
            {
                ref float rows = ref Unsafe.Add(ref w, (nuint)(v * n));
                Vector512<float> e = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref rows, 0), x0, Vector512.LoadUnsafe(ref init, (nuint)(v * n)));
                Vector512<float> o = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref rows, stride), x1, Vector512<float>.Zero);
                e = cols > 2 ? Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref rows, 2 * stride), x2, e) : e;
                o = cols > 3 ? Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref rows, 3 * stride), x3, o) : o;
                (e + o).StoreUnsafe(ref y, (nuint)(v * n));
            }

            return;
        }

        for (int v = 0; v < nv; v++)
        {
            ref float rows = ref Unsafe.Add(ref w, (nuint)(v * n));
            Vector512<float> a = Vector512.LoadUnsafe(ref init, (nuint)(v * n));
            Vector512<float> b = default, c = default, d = default;
            int k = 0;
            if (nv <= 2)
            {
                for (; k < cols - 3; k += 4)
                {
                    a = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref rows, (nuint)k * stride), Vector512.Create(Unsafe.Add(ref x, k)), a);
                    b = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref rows, (nuint)(k + 1) * stride), Vector512.Create(Unsafe.Add(ref x, k + 1)), b);
                    c = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref rows, (nuint)(k + 2) * stride), Vector512.Create(Unsafe.Add(ref x, k + 2)), c);
                    d = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref rows, (nuint)(k + 3) * stride), Vector512.Create(Unsafe.Add(ref x, k + 3)), d);
                }

                for (; k < cols; k++)
                {
                    a = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref rows, (nuint)k * stride), Vector512.Create(Unsafe.Add(ref x, k)), a);
                }

                ((a + b) + (c + d)).StoreUnsafe(ref y, (nuint)(v * n));
                continue;
            }

            for (; k < cols - 1; k += 2)
            {
                a = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref rows, (nuint)k * stride), Vector512.Create(Unsafe.Add(ref x, k)), a);
                b = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref rows, (nuint)(k + 1) * stride), Vector512.Create(Unsafe.Add(ref x, k + 1)), b);
            }

            if (k < cols)
            {
                a = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref rows, (nuint)k * stride), Vector512.Create(Unsafe.Add(ref x, k)), a);
            }

            (a + b).StoreUnsafe(ref y, (nuint)(v * n));
        }
    }

    /// <summary>Three to eight vectors: two accumulators each, even and odd columns (<c>PackedMath.Wide</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Wide512(int nv, ref float w, int cols, ref float x, ref float init, ref float y)
    {
        const int n = 16;
        WideSums512(nv, ref w, cols, ref x, ref init, out Vector512<float> y0, out Vector512<float> y1, out Vector512<float> y2, out Vector512<float> y3,
            out Vector512<float> y4, out Vector512<float> y5, out Vector512<float> y6, out Vector512<float> y7);
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

    /// <summary><see cref="Wide512"/>'s sums, left in registers: <c>y0</c>…<c>y7</c> (those past <paramref name="nv"/> zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void WideSums512(int nv, ref float w, int cols, ref float x, ref float init, out Vector512<float> y0, out Vector512<float> y1,
        out Vector512<float> y2, out Vector512<float> y3, out Vector512<float> y4, out Vector512<float> y5, out Vector512<float> y6, out Vector512<float> y7)
    {
        const int n = 16;
        nuint stride = (nuint)(nv * n);
        Vector512<float> e0 = Vector512.LoadUnsafe(ref init, 0);
        Vector512<float> e1 = Vector512.LoadUnsafe(ref init, n);
        Vector512<float> e2 = Vector512.LoadUnsafe(ref init, 2 * n);
        Vector512<float> e3 = nv > 3 ? Vector512.LoadUnsafe(ref init, 3 * n) : default;
        Vector512<float> e4 = nv > 4 ? Vector512.LoadUnsafe(ref init, 4 * n) : default;
        Vector512<float> e5 = nv > 5 ? Vector512.LoadUnsafe(ref init, 5 * n) : default;
        Vector512<float> e6 = nv > 6 ? Vector512.LoadUnsafe(ref init, 6 * n) : default;
        Vector512<float> e7 = nv > 7 ? Vector512.LoadUnsafe(ref init, 7 * n) : default;
        Vector512<float> o0 = default, o1 = default, o2 = default, o3 = default, o4 = default, o5 = default, o6 = default, o7 = default;
        int k = 0;
        for (; k < cols - 1; k += 2)
        {
            ref float c = ref Unsafe.Add(ref w, (nuint)k * stride);
            ref float d = ref Unsafe.Add(ref c, stride);
            Vector512<float> x0 = Vector512.Create(Unsafe.Add(ref x, k));
            Vector512<float> x1 = Vector512.Create(Unsafe.Add(ref x, k + 1));
            e0 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref c, 0), x0, e0);
            o0 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref d, 0), x1, o0);
            e1 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref c, n), x0, e1);
            o1 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref d, n), x1, o1);
            e2 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref c, 2 * n), x0, e2);
            o2 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref d, 2 * n), x1, o2);
            if (nv > 3)
            {
                e3 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref c, 3 * n), x0, e3);
                o3 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref d, 3 * n), x1, o3);
            }

            if (nv > 4)
            {
                e4 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref c, 4 * n), x0, e4);
                o4 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref d, 4 * n), x1, o4);
            }

            if (nv > 5)
            {
                e5 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref c, 5 * n), x0, e5);
                o5 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref d, 5 * n), x1, o5);
            }

            if (nv > 6)
            {
                e6 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref c, 6 * n), x0, e6);
                o6 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref d, 6 * n), x1, o6);
            }

            if (nv > 7)
            {
                e7 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref c, 7 * n), x0, e7);
                o7 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref d, 7 * n), x1, o7);
            }
        }

        if (k < cols)
        {
            ref float c = ref Unsafe.Add(ref w, (nuint)k * stride);
            Vector512<float> x0 = Vector512.Create(Unsafe.Add(ref x, k));
            e0 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref c, 0), x0, e0);
            e1 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref c, n), x0, e1);
            e2 = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref c, 2 * n), x0, e2);
            e3 = nv > 3 ? Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref c, 3 * n), x0, e3) : e3;
            e4 = nv > 4 ? Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref c, 4 * n), x0, e4) : e4;
            e5 = nv > 5 ? Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref c, 5 * n), x0, e5) : e5;
            e6 = nv > 6 ? Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref c, 6 * n), x0, e6) : e6;
            e7 = nv > 7 ? Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref c, 7 * n), x0, e7) : e7;
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
    /// <c>y = init + W x</c> for one packed block of <paramref name="nv"/> vectors (at most <see cref="PackedMath.BlockVectors"/>)
    /// stored column after column: the same accumulators, columns and order of operations as <c>PackedMath.Wide</c> (three
    /// vectors and up: two accumulators per vector, even and odd columns) and <c>PackedMath.Narrow</c> (one or two vectors:
    /// four accumulators per vector), so the result is bit for bit theirs. Written on Vector256 directly instead of through
    /// <see cref="ISimd{TSelf}"/>: every wrapper call is an inline, and a step's worth of them exceeded the JIT's inlining
    /// budget (calls to the wrappers were left in <c>Step</c>, seen in <c>DOTNET_JitDisasm</c>); the intrinsics cost none.
    /// <paramref name="nv"/> is a constant at every call site, so the guards fold away.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block256(int nv, ref float w, int cols, ref float x, ref float init, ref float y)
    {
        // Two methods: the JIT inlines no method with more than 32 locals, and the two shapes together have more.
        if (nv <= 2)
        {
            Narrow256(nv, ref w, cols, ref x, ref init, ref y);
        }
        else
        {
            PackedMath.Wide256(nv, ref w, nv * 8, cols, ref x, ref init, ref y);
        }
    }

    /// <summary>
    /// One layer's hidden product, activations and update at 256 bits, after <see cref="Inputs256"/>: the gate sums stay in
    /// registers from the product to the activations (storing them and loading them back put a store-to-load forwarding
    /// on the recurrence's chain), except for an RNN of more than two vectors of units, which runs the block product and
    /// <see cref="Update256"/>. The cell and the block's width (<paramref name="nv"/> vectors) are arguments, constants at
    /// the call site, so that the JIT folds the other cells' code as it imports this method: tested on <c>TShape.Cell</c>
    /// here, every cell's code was imported and inlined, and the step ran out of the locals one method may inline (GRU
    /// 3→32's head stayed a call).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Layer256(Cell cell, int nv, int blockVectors, ref float hidden, ref float h, ref float sums)
    {
        const int n = 8;
        if (cell != Cell.Rnn)
        {
            Gated256(cell, nv, blockVectors, ref hidden, ref h, ref sums, record: false, ref Unsafe.NullRef<float>());
        }
        else if (nv <= 2)
        {
            NarrowSums256(nv, ref hidden, H, ref h, ref sums, out Vector256<float> y0, out Vector256<float> y1);
            Activate256(y0).StoreUnsafe(ref h, 0);
            if (H > n)
            {
                Activate256(y1).StoreUnsafe(ref h, n);
            }
        }
        else
        {
            Block256(nv, ref hidden, H, ref h, ref sums, ref sums);
            Update256(ref sums, ref h);
        }
    }

    /// <summary>
    /// A GRU or LSTM layer at 256 bits: <see cref="GatedLayer256"/> when its rows are one block (<paramref name="nv"/> vectors,
    /// at most <paramref name="blockVectors"/>), <see cref="GateBlocks256"/> when each gate is a block of its own. Both are
    /// constants at the call site, so the JIT imports only the one that runs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gated256(Cell cell, int nv, int blockVectors, ref float hidden, ref float h, ref float sums, bool record, ref float gates)
    {
        if (nv > blockVectors)
        {
            GateBlocks256(cell, ref hidden, ref h, ref sums, record, ref gates);
        }
        else
        {
            GatedLayer256(cell, nv, ref hidden, ref h, ref sums, record, ref gates);
        }
    }

    /// <summary>
    /// A GRU or LSTM layer whose every gate is one row block of <see cref="GateBlockVectors"/> vectors (<see cref="GateBlocks"/>),
    /// at 256 bits: the gates' block products in the order of the recurrence's chain, each gate's activations one stage
    /// later, after the next gate's product (<see cref="GateBlock256{TEnd}"/>). GRU: r; n_h, then σ(r); z, then
    /// n = tanh(n_x + r·n_h); then σ(z) and h' = n + z·(h − n). LSTM: g; i, then tanh(g); f, then σ(i) and i·g; o, then σ(f),
    /// c' = f·c + i·g and tanh(c'); then σ(o) and h' = o·tanh(c'). Every product reads the old h (the new h is stored by the
    /// last stage). The formulas and operations are <see cref="CellUpdate"/>'s, so the values are the general path's, bit
    /// for bit.
    /// </summary>
    /// <remarks>
    /// What one gate leaves for the next (r, n; g, i·g, tanh(c')) goes through the gate sums on the stack, over the sums it
    /// replaces, rather than registers: written as one method, the kept vectors and the activations' constants left the
    /// JIT's allocator of 16 vector registers short, and it kept half of a product's accumulators in memory, loaded and
    /// stored at every column (LSTM and GRU 1→32 on a Zen 3 core: 237 and 155 ns a step). Compiled on its own, each gate
    /// holds eight accumulators, eight columns of h (both halves of the vector) and two of their broadcasts in registers,
    /// and the store and load between two gates are a few cycles of forwarding.
    /// A gate's activations used to follow its own product at once: their chain (σ or tanh, ~35 cycles) waited on the
    /// product's last multiply-adds, while the next gate's product, which does not need them, queued behind. One stage later
    /// their sums are ready when they are issued, and they fill the next product's gaps; only the last gate's wait is left.
    /// Alternated in one process on a Zen 3 core (three runs of 60 rounds), the fastest round of GRU 1→32, GRU 3→32 and
    /// LSTM 1→32 took 0.95–0.97 of its time before, the per-round medians 0.97–1.03: a small gain, at most.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GateBlocks256(Cell cell, ref float hidden, ref float h, ref float sums, bool record, ref float gates)
    {
        // Each stage: one gate's product, then the previous gate's activations (NoEnd: none; block -1: no product).
        if (cell == Cell.Gru)
        {
            GateBlock256<NoEnd>(H, GruReset.Block, ref hidden, ref h, ref sums, record, ref gates);
            GateBlock256<GruReset>(H, GruCandidate.Block, ref hidden, ref h, ref sums, record, ref gates);
            GateBlock256<GruCandidate>(H, GruUpdate.Block, ref hidden, ref h, ref sums, record, ref gates);
            GateBlock256<GruUpdate>(H, -1, ref hidden, ref h, ref sums, record, ref gates);
        }
        else
        {
            GateBlock256<NoEnd>(H, LstmCandidate.Block, ref hidden, ref h, ref sums, record, ref gates);
            GateBlock256<LstmCandidate>(H, LstmInput.Block, ref hidden, ref h, ref sums, record, ref gates);
            GateBlock256<LstmInput>(H, LstmForget.Block, ref hidden, ref h, ref sums, record, ref gates);
            GateBlock256<LstmForget>(H, LstmOutput.Block, ref hidden, ref h, ref sums, record, ref gates);
            GateBlock256<LstmOutput>(H, -1, ref hidden, ref h, ref sums, record, ref gates);
        }
    }

    /// <summary>
    /// One stage of <see cref="GateBlocks256"/>: the hidden block product of gate <paramref name="block"/> (none when it
    /// is −1; the accumulators and order of additions of <c>PackedMath.Wide</c>, from the gate's sums, back over them), then
    /// <typeparamref name="TEnd"/>'s use of its own gate's sums, stored by the stage before (none for <see cref="NoEnd"/>).
    /// The column count (a multiple of eight) is an argument, H at the call site, so that the product stays a loop: with H a
    /// constant the JIT unrolled it whole, and then had more values than registers.
    /// </summary>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    private static void GateBlock256<TEnd>(int cols, int block, ref float hidden, ref float h, ref float sums, bool record, ref float gates)
        where TEnd : struct, IGateBlockEnd
    {
        const int n = 8;
        if (block >= 0)
        {
            ref float w = ref Unsafe.Add(ref hidden, block * GateBlockVectors * n * H);
            ref float init = ref Unsafe.Add(ref sums, PackedLayout<TShape>.HiddenRowsOffset + (block * PaddedHidden));

            // PackedMath.Wide's accumulators (even columns on e, odd on o, from the sums) and its order of additions on each,
            // eight columns a pass (h's broadcasts from registers: PackedMath.Columns8): the columns are read in order, 32
            // floats apart, and w moves on by eight of them.
            Vector256<float> e0 = Load8(ref init, 0), e1 = Load8(ref init, 1), e2 = Load8(ref init, 2), e3 = Load8(ref init, 3);
            Vector256<float> o0 = default, o1 = default, o2 = default, o3 = default;
            const nuint stride = GateBlockVectors * n;
            ref float x = ref h;
            for (int k = 0; k < cols; k += 8)
            {
                PackedMath.Columns8(GateBlockVectors, ref w, stride, ref x, ref e0, ref e1, ref e2, ref e3, ref o0, ref o1, ref o2, ref o3);
                w = ref Unsafe.Add(ref w, 8 * stride);
                x = ref Unsafe.Add(ref x, 8);
            }

            Store4(e0 + o0, e1 + o1, e2 + o2, e3 + o3, ref init);
        }

        if (TEnd.Block >= 0)
        {
            ref float y = ref Unsafe.Add(ref sums, PackedLayout<TShape>.HiddenRowsOffset + (TEnd.Block * PaddedHidden));
            TEnd.End(Load8(ref y, 0), Load8(ref y, 1), Load8(ref y, 2), Load8(ref y, 3), ref sums, ref h, record, ref gates);
        }
    }

    /// <summary>The first stage of <see cref="GateBlocks256"/>: a product, no gate's activations yet.</summary>
    private struct NoEnd : IGateBlockEnd
    {
        public static int Block => -1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void End(Vector256<float> y0, Vector256<float> y1, Vector256<float> y2, Vector256<float> y3, ref float sums, ref float h,
            bool record, ref float gates)
        {
        }
    }

    /// <summary>What <see cref="GateBlock256{TEnd}"/> does with one gate's sums.</summary>
    private interface IGateBlockEnd
    {
        /// <summary>The gate's row block in the hidden matrix and in the sums' hidden rows.</summary>
        static abstract int Block { get; }

        /// <summary>
        /// Uses the gate's four vectors of sums <paramref name="y0"/>…<paramref name="y3"/>: what the next gate needs goes to
        /// <paramref name="sums"/>, the new state to <paramref name="h"/>, and with <paramref name="record"/> the tape's
        /// vectors to <paramref name="gates"/> (GRU <c>[r | z | n | n_h]</c>, LSTM <c>[i | f | g | o | tanh(c')]</c>, H each).
        /// </summary>
        static abstract void End(Vector256<float> y0, Vector256<float> y1, Vector256<float> y2, Vector256<float> y3, ref float sums, ref float h,
            bool record, ref float gates);
    }

    /// <summary>Four vectors of 8 stored to <paramref name="at"/> (one gate's worth).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3, ref float at)
    {
        v0.StoreUnsafe(ref at, 0);
        v1.StoreUnsafe(ref at, 8);
        v2.StoreUnsafe(ref at, 16);
        v3.StoreUnsafe(ref at, 24);
    }

    /// <summary>Vector <paramref name="k"/> (of 8 floats) from <paramref name="at"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load8(ref float at, int k) => Vector256.LoadUnsafe(ref at, (nuint)(8 * k));

    /// <summary>GRU's r = σ(sums), left over its sums for <see cref="GruCandidate"/>.</summary>
    private struct GruReset : IGateBlockEnd
    {
        public static int Block => 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void End(Vector256<float> y0, Vector256<float> y1, Vector256<float> y2, Vector256<float> y3, ref float sums, ref float h,
            bool record, ref float gates)
        {
            Vector256<float> r0 = SigmoidOperator.Invoke(y0);
            Vector256<float> r1 = SigmoidOperator.Invoke(y1);
            Vector256<float> r2 = SigmoidOperator.Invoke(y2);
            Vector256<float> r3 = SigmoidOperator.Invoke(y3);
            Store4(r0, r1, r2, r3, ref Unsafe.Add(ref sums, PaddedHidden));
            if (record)
            {
                Store4(r0, r1, r2, r3, ref gates);
            }
        }
    }

    /// <summary>GRU's n = tanh(n_x + r·n_h) from n_h's sums, left over n_x for <see cref="GruUpdate"/>.</summary>
    private struct GruCandidate : IGateBlockEnd
    {
        public static int Block => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void End(Vector256<float> y0, Vector256<float> y1, Vector256<float> y2, Vector256<float> y3, ref float sums, ref float h,
            bool record, ref float gates)
        {
            ref float r = ref Unsafe.Add(ref sums, PaddedHidden);
            Vector256<float> g0 = TanhOperator.Invoke(Vector256.MultiplyAddEstimate(Load8(ref r, 0), y0, Load8(ref sums, 0)));
            Vector256<float> g1 = TanhOperator.Invoke(Vector256.MultiplyAddEstimate(Load8(ref r, 1), y1, Load8(ref sums, 1)));
            Vector256<float> g2 = TanhOperator.Invoke(Vector256.MultiplyAddEstimate(Load8(ref r, 2), y2, Load8(ref sums, 2)));
            Vector256<float> g3 = TanhOperator.Invoke(Vector256.MultiplyAddEstimate(Load8(ref r, 3), y3, Load8(ref sums, 3)));
            Store4(g0, g1, g2, g3, ref sums);
            if (record)
            {
                // The tape's n and n_h (W_hn h + b_hn, as the general record keeps it).
                Store4(g0, g1, g2, g3, ref Unsafe.Add(ref gates, 2 * H));
                Store4(y0, y1, y2, y3, ref Unsafe.Add(ref gates, 3 * H));
            }
        }
    }

    /// <summary>GRU's z = σ(sums) and the new h = n + z·(h − n).</summary>
    private struct GruUpdate : IGateBlockEnd
    {
        public static int Block => 1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void End(Vector256<float> y0, Vector256<float> y1, Vector256<float> y2, Vector256<float> y3, ref float sums, ref float h,
            bool record, ref float gates)
        {
            Vector256<float> z0 = SigmoidOperator.Invoke(y0);
            Vector256<float> z1 = SigmoidOperator.Invoke(y1);
            Vector256<float> z2 = SigmoidOperator.Invoke(y2);
            Vector256<float> z3 = SigmoidOperator.Invoke(y3);
            Vector256<float> g0 = Load8(ref sums, 0);
            Vector256<float> g1 = Load8(ref sums, 1);
            Vector256<float> g2 = Load8(ref sums, 2);
            Vector256<float> g3 = Load8(ref sums, 3);
            Store4(Vector256.MultiplyAddEstimate(z0, Load8(ref h, 0) - g0, g0), Vector256.MultiplyAddEstimate(z1, Load8(ref h, 1) - g1, g1),
                Vector256.MultiplyAddEstimate(z2, Load8(ref h, 2) - g2, g2), Vector256.MultiplyAddEstimate(z3, Load8(ref h, 3) - g3, g3), ref h);
            if (record)
            {
                Store4(z0, z1, z2, z3, ref Unsafe.Add(ref gates, H));
            }
        }
    }

    /// <summary>LSTM's g = tanh(sums), left over its sums for <see cref="LstmInput"/>.</summary>
    private struct LstmCandidate : IGateBlockEnd
    {
        public static int Block => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void End(Vector256<float> y0, Vector256<float> y1, Vector256<float> y2, Vector256<float> y3, ref float sums, ref float h,
            bool record, ref float gates)
        {
            Vector256<float> g0 = TanhOperator.Invoke(y0);
            Vector256<float> g1 = TanhOperator.Invoke(y1);
            Vector256<float> g2 = TanhOperator.Invoke(y2);
            Vector256<float> g3 = TanhOperator.Invoke(y3);
            Store4(g0, g1, g2, g3, ref Unsafe.Add(ref sums, 2 * PaddedHidden));
            if (record)
            {
                Store4(g0, g1, g2, g3, ref Unsafe.Add(ref gates, 2 * H));
            }
        }
    }

    /// <summary>LSTM's i = σ(sums) and i·g, left over i's sums for <see cref="LstmForget"/>.</summary>
    private struct LstmInput : IGateBlockEnd
    {
        public static int Block => 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void End(Vector256<float> y0, Vector256<float> y1, Vector256<float> y2, Vector256<float> y3, ref float sums, ref float h,
            bool record, ref float gates)
        {
            ref float g = ref Unsafe.Add(ref sums, 2 * PaddedHidden);
            Vector256<float> i0 = SigmoidOperator.Invoke(y0);
            Vector256<float> i1 = SigmoidOperator.Invoke(y1);
            Vector256<float> i2 = SigmoidOperator.Invoke(y2);
            Vector256<float> i3 = SigmoidOperator.Invoke(y3);
            Store4(i0 * Load8(ref g, 0), i1 * Load8(ref g, 1), i2 * Load8(ref g, 2), i3 * Load8(ref g, 3), ref sums);
            if (record)
            {
                Store4(i0, i1, i2, i3, ref gates);
            }
        }
    }

    /// <summary>LSTM's f = σ(sums), the new c = f·c + i·g, and tanh(c) left over f's sums for <see cref="LstmOutput"/>.</summary>
    private struct LstmForget : IGateBlockEnd
    {
        public static int Block => 1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void End(Vector256<float> y0, Vector256<float> y1, Vector256<float> y2, Vector256<float> y3, ref float sums, ref float h,
            bool record, ref float gates)
        {
            ref float c = ref Unsafe.Add(ref h, H);
            Vector256<float> f0 = SigmoidOperator.Invoke(y0);
            Vector256<float> f1 = SigmoidOperator.Invoke(y1);
            Vector256<float> f2 = SigmoidOperator.Invoke(y2);
            Vector256<float> f3 = SigmoidOperator.Invoke(y3);
            Vector256<float> c0 = Vector256.MultiplyAddEstimate(f0, Load8(ref c, 0), Load8(ref sums, 0));
            Vector256<float> c1 = Vector256.MultiplyAddEstimate(f1, Load8(ref c, 1), Load8(ref sums, 1));
            Vector256<float> c2 = Vector256.MultiplyAddEstimate(f2, Load8(ref c, 2), Load8(ref sums, 2));
            Vector256<float> c3 = Vector256.MultiplyAddEstimate(f3, Load8(ref c, 3), Load8(ref sums, 3));
            Store4(c0, c1, c2, c3, ref c);
            Vector256<float> t0 = TanhOperator.Invoke(c0);
            Vector256<float> t1 = TanhOperator.Invoke(c1);
            Vector256<float> t2 = TanhOperator.Invoke(c2);
            Vector256<float> t3 = TanhOperator.Invoke(c3);
            Store4(t0, t1, t2, t3, ref Unsafe.Add(ref sums, PaddedHidden));
            if (record)
            {
                Store4(f0, f1, f2, f3, ref Unsafe.Add(ref gates, H));
                Store4(t0, t1, t2, t3, ref Unsafe.Add(ref gates, 4 * H));
            }
        }
    }

    /// <summary>LSTM's o = σ(sums) and the new h = o·tanh(c).</summary>
    private struct LstmOutput : IGateBlockEnd
    {
        public static int Block => 3;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void End(Vector256<float> y0, Vector256<float> y1, Vector256<float> y2, Vector256<float> y3, ref float sums, ref float h,
            bool record, ref float gates)
        {
            ref float t = ref Unsafe.Add(ref sums, PaddedHidden);
            Vector256<float> o0 = SigmoidOperator.Invoke(y0);
            Vector256<float> o1 = SigmoidOperator.Invoke(y1);
            Vector256<float> o2 = SigmoidOperator.Invoke(y2);
            Vector256<float> o3 = SigmoidOperator.Invoke(y3);
            Store4(o0 * Load8(ref t, 0), o1 * Load8(ref t, 1), o2 * Load8(ref t, 2), o3 * Load8(ref t, 3), ref h);
            if (record)
            {
                Store4(o0, o1, o2, o3, ref Unsafe.Add(ref gates, 3 * H));
            }
        }
    }

    /// <summary>
    /// A GRU or LSTM layer's hidden product, activations and update at 256 bits, with the formulas and operations of
    /// <see cref="CellUpdate"/> (so the same values), the gate sums taken from <see cref="PackedMath.WideSums256"/>'s registers. Both unit
    /// vectors are written out side by side in the order of the recurrence's chain, the gate that only the last operation
    /// needs (z, o) last: the core issues the oldest ready operation first, so that gate's operations fill the chain's gaps
    /// instead of delaying it. With <paramref name="record"/> (a constant at each call site) the activated gates and the
    /// extra vector are stored where Backward's tape wants them (<paramref name="gates"/>: GRU <c>[r | z | n | n_h]</c>,
    /// LSTM <c>[i | f | g | o | tanh(c')]</c>, H floats each, as the general record copies them from the scratch).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatedLayer256(Cell cell, int nv, ref float hidden, ref float h, ref float sums, bool record, ref float gates)
    {
        const int n = 8;
        int ph = PaddedHidden;
        bool two = H > n;
        ref float hiddenSums = ref Unsafe.Add(ref sums, PackedLayout<TShape>.HiddenRowsOffset);
        PackedMath.WideSums256(nv, ref hidden, (nuint)(nv * 8), H, ref h, ref hiddenSums, out Vector256<float> y0, out Vector256<float> y1, out Vector256<float> y2,
            out Vector256<float> y3, out Vector256<float> y4, out Vector256<float> y5, out Vector256<float> y6, out Vector256<float> y7);
        if (cell == Cell.Gru)
        {
            // The block's gates r, z, n_h: one or two vectors each.
            Vector256<float> r0 = SigmoidOperator.Invoke(y0);
            Vector256<float> r1 = two ? SigmoidOperator.Invoke(y1) : default;
            Vector256<float> g0 = TanhOperator.Invoke(Vector256.MultiplyAddEstimate(r0, two ? y4 : y2, Vector256.LoadUnsafe(ref sums, 0)));
            Vector256<float> g1 = two ? TanhOperator.Invoke(Vector256.MultiplyAddEstimate(r1, y5, Vector256.LoadUnsafe(ref sums, n))) : default;
            Vector256<float> z0 = SigmoidOperator.Invoke(two ? y2 : y1);
            Vector256<float> z1 = two ? SigmoidOperator.Invoke(y3) : default;
            Vector256.MultiplyAddEstimate(z0, Vector256.LoadUnsafe(ref h, 0) - g0, g0).StoreUnsafe(ref h, 0);
            if (two)
            {
                Vector256.MultiplyAddEstimate(z1, Vector256.LoadUnsafe(ref h, n) - g1, g1).StoreUnsafe(ref h, n);
            }

            if (record)
            {
                // The tape's [r | z | n | n_h], H floats each (n_h: W_hn h + b_hn, as the general record keeps it).
                nuint hh = (nuint)H;
                r0.StoreUnsafe(ref gates, 0);
                z0.StoreUnsafe(ref gates, hh);
                g0.StoreUnsafe(ref gates, 2 * hh);
                (two ? y4 : y2).StoreUnsafe(ref gates, 3 * hh);
                if (two)
                {
                    r1.StoreUnsafe(ref gates, n);
                    z1.StoreUnsafe(ref gates, hh + n);
                    g1.StoreUnsafe(ref gates, (2 * hh) + n);
                    y5.StoreUnsafe(ref gates, (3 * hh) + n);
                }
            }

            return;
        }

        // LSTM: i, f, g, o, one or two vectors each.
        ref float c = ref Unsafe.Add(ref h, H);
        Vector256<float> i0 = SigmoidOperator.Invoke(y0);
        Vector256<float> i1 = two ? SigmoidOperator.Invoke(y1) : default;
        Vector256<float> f0 = SigmoidOperator.Invoke(two ? y2 : y1);
        Vector256<float> f1 = two ? SigmoidOperator.Invoke(y3) : default;
        Vector256<float> gg0 = TanhOperator.Invoke(two ? y4 : y2);
        Vector256<float> gg1 = two ? TanhOperator.Invoke(y5) : default;
        Vector256<float> c0 = Vector256.MultiplyAddEstimate(f0, Vector256.LoadUnsafe(ref c, 0), i0 * gg0);
        Vector256<float> c1 = two ? Vector256.MultiplyAddEstimate(f1, Vector256.LoadUnsafe(ref c, n), i1 * gg1) : default;
        c0.StoreUnsafe(ref c, 0);
        if (two)
        {
            c1.StoreUnsafe(ref c, n);
        }

        Vector256<float> t0 = TanhOperator.Invoke(c0);
        Vector256<float> t1 = two ? TanhOperator.Invoke(c1) : default;
        Vector256<float> o0 = SigmoidOperator.Invoke(two ? y6 : y3);
        (o0 * t0).StoreUnsafe(ref h, 0);
        Vector256<float> o1 = two ? SigmoidOperator.Invoke(y7) : default;
        if (two)
        {
            (o1 * t1).StoreUnsafe(ref h, n);
        }

        if (record)
        {
            // The tape's [i | f | g | o | tanh(c')], H floats each.
            nuint hh = (nuint)H;
            i0.StoreUnsafe(ref gates, 0);
            f0.StoreUnsafe(ref gates, hh);
            gg0.StoreUnsafe(ref gates, 2 * hh);
            o0.StoreUnsafe(ref gates, 3 * hh);
            t0.StoreUnsafe(ref gates, 4 * hh);
            if (two)
            {
                i1.StoreUnsafe(ref gates, n);
                f1.StoreUnsafe(ref gates, hh + n);
                gg1.StoreUnsafe(ref gates, (2 * hh) + n);
                o1.StoreUnsafe(ref gates, (3 * hh) + n);
                t1.StoreUnsafe(ref gates, (4 * hh) + n);
            }
        }
    }

    /// <summary>An RNN layer's activation of one vector of sums: ReLU or tanh, as the shape declares.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Activate256(Vector256<float> pre) =>
        TShape.Nonlinearity == Nonlinearity.Relu ? ReluOperator.Invoke(pre) : TanhOperator.Invoke(pre);

    /// <summary>One or two vectors: four accumulators each (<c>PackedMath.Narrow</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Narrow256(int nv, ref float w, int cols, ref float x, ref float init, ref float y)
    {
        NarrowSums256(nv, ref w, cols, ref x, ref init, out Vector256<float> y0, out Vector256<float> y1);
        y0.StoreUnsafe(ref y, 0);
        if (nv > 1)
        {
            y1.StoreUnsafe(ref y, 8);
        }
    }

    /// <summary><see cref="Narrow256"/>'s sums, left in registers: <c>y1</c> is zero for one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void NarrowSums256(int nv, ref float w, int cols, ref float x, ref float init, out Vector256<float> y0, out Vector256<float> y1)
    {
        const int n = 8;
        nuint stride = (nuint)(nv * n);
        {
            Vector256<float> a0 = Vector256.LoadUnsafe(ref init, 0);
            Vector256<float> a1 = nv > 1 ? Vector256.LoadUnsafe(ref init, n) : default;
            Vector256<float> b0 = default, b1 = default, c0 = default, c1 = default, d0 = default, d1 = default;
            int j = 0;
            for (; j < cols - 3; j += 4)
            {
                ref float p = ref Unsafe.Add(ref w, (nuint)j * stride);
                ref float q = ref Unsafe.Add(ref p, stride);
                ref float r = ref Unsafe.Add(ref q, stride);
                ref float s = ref Unsafe.Add(ref r, stride);
                Vector256<float> x0 = Vector256.Create(Unsafe.Add(ref x, j));
                Vector256<float> x1 = Vector256.Create(Unsafe.Add(ref x, j + 1));
                Vector256<float> x2 = Vector256.Create(Unsafe.Add(ref x, j + 2));
                Vector256<float> x3 = Vector256.Create(Unsafe.Add(ref x, j + 3));
                a0 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref p, 0), x0, a0);
                b0 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref q, 0), x1, b0);
                c0 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref r, 0), x2, c0);
                d0 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref s, 0), x3, d0);
                if (nv > 1)
                {
                    a1 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref p, n), x0, a1);
                    b1 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref q, n), x1, b1);
                    c1 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref r, n), x2, c1);
                    d1 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref s, n), x3, d1);
                }
            }

            for (; j < cols; j++)
            {
                ref float p = ref Unsafe.Add(ref w, (nuint)j * stride);
                Vector256<float> x0 = Vector256.Create(Unsafe.Add(ref x, j));
                a0 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref p, 0), x0, a0);
                a1 = nv > 1 ? Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref p, n), x0, a1) : a1;
            }

            y0 = (a0 + b0) + (c0 + d0);
            y1 = nv > 1 ? (a1 + b1) + (c1 + d1) : default;
        }
    }

    /// <summary>
    /// <see cref="Block256"/>'s product one vector of rows at a time, with the same accumulators (so the same bits): four for
    /// one or two vectors (<see cref="Narrow256"/>), two for more (<see cref="PackedMath.Wide256"/>), live for one vector instead of the
    /// whole block. For the input columns, which no recurrence waits for: the block-wide form's locals, inlined into
    /// <c>Step</c> beside the hidden product's, left the JIT short of locals for the head, which then stayed a call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void BlockByRows256(int nv, ref float w, int cols, ref float x, ref float init, ref float y)
    {
        const int n = 8;
        nuint stride = (nuint)(nv * n);
        if (cols <= 4 && nv > 2)
        {
            // A few inputs: each broadcast once for all the rows; columns 0 and 2 on the even accumulator, 1 and 3 on the odd.
            Vector256<float> x0 = Vector256.Create(x);
            Vector256<float> x1 = Vector256.Create(Unsafe.Add(ref x, 1));
            Vector256<float> x2 = cols > 2 ? Vector256.Create(Unsafe.Add(ref x, 2)) : default;
            Vector256<float> x3 = cols > 3 ? Vector256.Create(Unsafe.Add(ref x, 3)) : default;
            for (int v = 0; v < nv; v++)
            {
                ref float rows = ref Unsafe.Add(ref w, (nuint)(v * n));
                Vector256<float> e = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref rows, 0), x0, Vector256.LoadUnsafe(ref init, (nuint)(v * n)));
                Vector256<float> o = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref rows, stride), x1, Vector256<float>.Zero);
                e = cols > 2 ? Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref rows, 2 * stride), x2, e) : e;
                o = cols > 3 ? Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref rows, 3 * stride), x3, o) : o;
                (e + o).StoreUnsafe(ref y, (nuint)(v * n));
            }

            return;
        }

        for (int v = 0; v < nv; v++)
        {
            ref float rows = ref Unsafe.Add(ref w, (nuint)(v * n));
            Vector256<float> a = Vector256.LoadUnsafe(ref init, (nuint)(v * n));
            Vector256<float> b = default, c = default, d = default;
            int k = 0;
            if (nv <= 2)
            {
                for (; k < cols - 3; k += 4)
                {
                    a = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref rows, (nuint)k * stride), Vector256.Create(Unsafe.Add(ref x, k)), a);
                    b = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref rows, (nuint)(k + 1) * stride), Vector256.Create(Unsafe.Add(ref x, k + 1)), b);
                    c = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref rows, (nuint)(k + 2) * stride), Vector256.Create(Unsafe.Add(ref x, k + 2)), c);
                    d = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref rows, (nuint)(k + 3) * stride), Vector256.Create(Unsafe.Add(ref x, k + 3)), d);
                }

                for (; k < cols; k++)
                {
                    a = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref rows, (nuint)k * stride), Vector256.Create(Unsafe.Add(ref x, k)), a);
                }

                ((a + b) + (c + d)).StoreUnsafe(ref y, (nuint)(v * n));
                continue;
            }

            for (; k < cols - 1; k += 2)
            {
                a = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref rows, (nuint)k * stride), Vector256.Create(Unsafe.Add(ref x, k)), a);
                b = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref rows, (nuint)(k + 1) * stride), Vector256.Create(Unsafe.Add(ref x, k + 1)), b);
            }

            if (k < cols)
            {
                a = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref rows, (nuint)k * stride), Vector256.Create(Unsafe.Add(ref x, k)), a);
            }

            (a + b).StoreUnsafe(ref y, (nuint)(v * n));
        }
    }


}
