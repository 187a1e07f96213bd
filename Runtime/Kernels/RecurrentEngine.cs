using System;
using System.ComponentModel;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Fixed.Engine;

/// <summary>
/// The forward pass of every generated model, written once and specialised per shape by the JIT
/// (<typeparamref name="TShape"/> is a struct whose members are constants). Generated models call into it;
/// it is public only for that reason.
/// </summary>
/// <remarks>
/// The recurrent layers read the packed copy of the weights (<see cref="PackedLayout{TShape}"/>) that
/// <see cref="ParameterStore{TShape}"/> keeps in step with <c>Parameters</c>; the head and Backward's gradient
/// formulas read <c>Parameters</c> itself. Scratch vectors live on the stack; nothing here allocates or keeps
/// state between calls (the store repacks at most once after a write), so one model serves many threads.
/// </remarks>
/// <typeparam name="TShape">The generated shape of the network.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class RecurrentEngine<TShape>
    where TShape : struct, INetworkShape
{
    private static int I
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.I;
    }

    private static int H
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.H;
    }

    private static int L
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.L;
    }

    private static int O
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.O;
    }

    private static int GH
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.GH;
    }

    private static int StatePerLayer
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.StatePerLayer;
    }

    /// <summary>Floats in one state: h (and c) of every layer.</summary>
    public static int StateLength
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.StateLength;
    }

    /// <summary>Length of the flat parameter vector.</summary>
    public static int ParameterCount
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.ParameterCount;
    }

    /// <summary>
    /// Floats of the BPTT tape a model must own: Window steps of <see cref="BatchGroup"/> sequences, which the batched
    /// Backward records side by side (one sequence for networks whose group tape would pass <see cref="MaxGroupTape"/>).
    /// </summary>
    public static int TapeLength
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.TapeLength * TapeSequences;
    }

    /// <summary>
    /// Floats of the tape for one sequence at a time: what a layer stack's recurrent layer owns (the stack runs its batch
    /// sequence by sequence through <see cref="Record(ParameterStore{TShape}, Span{float}, ReadOnlySpan{float}, Span{float}, Span{float})"/> and <see cref="Sweep(ParameterStore{TShape}, Span{float}, Span{float}, ReadOnlySpan{float}, Span{float}, Span{float})"/>).
    /// </summary>
    public static int SequenceTapeLength
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.TapeLength;
    }

    /// <summary>Floats of Backward's working memory for one sequence at a time (a layer stack's recurrent layer).</summary>
    public static int SequenceWorkLength
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.WorkLength;
    }

    /// <summary>Floats of Backward's working memory a model must own: one sequence's, for each sequence the tape holds.</summary>
    public static int WorkLength
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.WorkLength * TapeSequences;
    }

    /// <summary>One time step: advances <paramref name="state"/> and writes <c>OutputSize</c> outputs.</summary>
    /// <remarks>
    /// Never inlined. Inlined into a caller's loop (a model's <c>Step</c> into the user's loop, which tier-1 compilation with
    /// dynamic PGO does), the straight path shared that caller's inlining budget, which ran out inside it: the loop kept
    /// calls to the block product, the activations, the second layer and the head (seen in the tier-1 listings of GRU 1→32,
    /// 2026-12-03). Compiled as a method of its own, it gets the whole budget, and its tier-1 code is the code
    /// scripts/ci/check_step_disasm.sh reads.
    /// </remarks>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    public static void Step(ParameterStore<TShape> parameters, Span<float> state, ReadOnlySpan<float> input, Span<float> output)
    {
        if (IsStraight)
        {
            // The whole step inlined here (RecurrentEngine.Straight.cs); the checks as below, their messages out of line.
            if (state.Length != StateLength || input.Length != I || output.Length != O)
            {
                ThrowStepLengths(state, input, output);
            }

            Unsafe.SkipInit(out StraightSums sumsBuffer);
            ref float sums = ref AlignedSums(ref sumsBuffer);
            ref float packed = ref parameters.PackedReference;
            ref float h = ref MemoryMarshal.GetReference(state);
            ref float x = ref MemoryMarshal.GetReference(input);
            StraightCell(PackedLayout<TShape>.Lanes, ref packed, ref h, ref x, ref sums);
            StraightStepHead(parameters, ref h, output);
        }
        else
        {
            // Its own method: inlined here, the general path (compiled whether or not IsStraight holds, as the JIT decides
            // inlining before it folds the test) would use up the inlining the straight path needs.
            GeneralStep(parameters, state, input, output);
        }
    }

    /// <summary>The layer-by-layer step every shape can take (internal: the tests hold the straight path to it).</summary>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    internal static void GeneralStep(ParameterStore<TShape> parameters, Span<float> state, ReadOnlySpan<float> input, Span<float> output)
    {
        CheckState(state);
        Guard.Length(input, I, nameof(input), "[InputSize={0}]", I);
        Guard.Length(output, O, nameof(output), "[OutputSize={0}]", O);
        Span<float> scratch = CacheLineAlignment.Aligned(stackalloc float[ScratchLength + CacheLineAlignment.SlackFloats]);
        AdvanceLayers(parameters.Packed, state, input, scratch);
        Head(parameters.Values, state.Slice((L - 1) * StatePerLayer, H), output);
    }

    /// <summary>T time steps: <c>[T, InputSize]</c> in, <c>[T, OutputSize]</c> out.</summary>
    [MethodImpl(CompiledAtOnce.NoInlining)] // as Step: its straight path needs the whole inlining budget of a method of its own
    public static void Forward(ParameterStore<TShape> parameters, Span<float> state, ReadOnlySpan<float> inputs, Span<float> outputs)
    {
        CheckState(state);
        int steps = Guard.Rows(inputs, I, nameof(inputs), "[T, InputSize={0}]");
        Guard.SameLength(steps, outputs, O, nameof(outputs));
        if (IsStraight)
        {
            Unsafe.SkipInit(out StraightSums sumsBuffer);
            ref float sums = ref AlignedSums(ref sumsBuffer);
            ref float packedStart = ref parameters.PackedReference;
            ref float parameterValues = ref parameters.ValuesReference;
            ref float stateStart = ref MemoryMarshal.GetReference(state);
            ref float inputStart = ref MemoryMarshal.GetReference(inputs);
            ref float outputStart = ref MemoryMarshal.GetReference(outputs);
            for (int t = 0; t < steps; t++)
            {
                StraightCell(PackedLayout<TShape>.Lanes, ref packedStart, ref stateStart, ref Unsafe.Add(ref inputStart, t * I), ref sums);
                StraightHead(ref parameterValues, ref Unsafe.Add(ref stateStart, TopHiddenOffset), ref Unsafe.Add(ref outputStart, t * O));
            }

            return;
        }

        Span<float> scratch = CacheLineAlignment.Aligned(stackalloc float[ScratchLength + CacheLineAlignment.SlackFloats]);
        ReadOnlySpan<float> packed = parameters.Packed;
        ReadOnlySpan<float> values = parameters.Values;
        Span<float> top = state.Slice((L - 1) * StatePerLayer, H);
        for (int t = 0; t < steps; t++)
        {
            AdvanceLayers(packed, state, inputs.Slice(t * I, I), scratch);
            Head(values, top, outputs.Slice(t * O, O));
        }
    }

    /// <summary>Advances the state over <c>[T, InputSize]</c>; computes no outputs.</summary>
    [MethodImpl(CompiledAtOnce.NoInlining)] // as Step: its straight path needs the whole inlining budget of a method of its own
    public static void WarmUp(ParameterStore<TShape> parameters, Span<float> state, ReadOnlySpan<float> inputs)
    {
        CheckState(state);
        int steps = Guard.Rows(inputs, I, nameof(inputs), "[T, InputSize={0}]");
        if (IsStraight)
        {
            Unsafe.SkipInit(out StraightSums sumsBuffer);
            ref float sums = ref AlignedSums(ref sumsBuffer);
            ref float packedStart = ref parameters.PackedReference;
            ref float stateStart = ref MemoryMarshal.GetReference(state);
            ref float inputStart = ref MemoryMarshal.GetReference(inputs);
            for (int t = 0; t < steps; t++)
            {
                StraightCell(PackedLayout<TShape>.Lanes, ref packedStart, ref stateStart, ref Unsafe.Add(ref inputStart, t * I), ref sums);
            }

            return;
        }

        Span<float> scratch = CacheLineAlignment.Aligned(stackalloc float[ScratchLength + CacheLineAlignment.SlackFloats]);
        ReadOnlySpan<float> packed = parameters.Packed;
        for (int t = 0; t < steps; t++)
        {
            AdvanceLayers(packed, state, inputs.Slice(t * I, I), scratch);
        }
    }

    /// <summary>
    /// Step's length checks, out of line: throws what <see cref="CheckState"/> and <see cref="Guard.Length"/> would. Its
    /// parameters are Step's own types: a conversion to <c>ReadOnlySpan</c> at the call was left as a call (to
    /// <c>op_Implicit</c>) in Step's tier-1 code, on the error path but a call all the same.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowStepLengths(Span<float> state, ReadOnlySpan<float> input, Span<float> output)
    {
        CheckState(state);
        Guard.Length(input, I, nameof(input), "[InputSize={0}]", I);
        Guard.Length(output, O, nameof(output), "[OutputSize={0}]", O);
    }

    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void CheckState(ReadOnlySpan<float> state)
    {
        if (state.Length != StateLength)
        {
            Guard.ThrowLength(nameof(state), StateLength, Format($"[NumLayers={L}, {(Shape<TShape>.IsLstm ? "h and c, " : string.Empty)}HiddenSize={H}]"), state.Length);
        }
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static int PaddedHidden
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => PackedLayout<TShape>.PaddedHidden;
    }

    private static int ScratchLength
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => PackedLayout<TShape>.ScratchLength;
    }

    /// <summary>Runs every layer for one step, each layer's new h feeding the next.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void AdvanceLayers(ReadOnlySpan<float> packed, Span<float> state, ReadOnlySpan<float> input, Span<float> scratch)
    {
        bool backward = HiddenSweepAlternates && SweepParity.Next();
        for (int layer = 0; layer < L; layer++)
        {
            Span<float> layerState = state.Slice(layer * StatePerLayer, StatePerLayer);
            CellStep(packed, layer, input, layerState, scratch, backward);
            input = layerState.Slice(0, H);
        }
    }

    /// <summary>
    /// Whether each layer's hidden matrix (fp32) is larger than 32 KB, the L1 data cache of many cores (a Zen 4's, older
    /// Intel cores'), so that <see cref="CellStep{TVec}"/> sweeps it in alternating directions from one step to the next
    /// (<see cref="PackedMath.MultiplyAddAlternating{TVec}"/>): a GRU of 64 hidden units (48 KB), an LSTM of 48 (36 KB). A
    /// JIT-time constant. Measured on a Zen 4 core (32 KB L1d), <c>Step</c> of GRU 1→64 took 0.89–0.96 of its time with
    /// the one-way sweep and LSTM 1→64 0.92–1.03 (docs/performance.md); the results are the same bits either way.
    /// </summary>
    internal static bool HiddenSweepAlternates
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => !ReducedLayout<TShape>.Enabled && (long)PackedLayout<TShape>.Rows * H * sizeof(float) > SweepParity.AlternateAboveBytes;
    }

    /// <summary>One cell update in place, at the vector width chosen for this shape (<see cref="CellStep{TVec}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CellStep(ReadOnlySpan<float> packed, int layer, ReadOnlySpan<float> x, Span<float> layerState, Span<float> scratch, bool backward)
    {
        var action = new CellStepAction(packed, layer, x, layerState, scratch, backward);
        PackedLayout<TShape>.Dispatch(action);
    }

    /// <summary>
    /// One cell update in place, from the packed weights. The gate pre-activations are the packed bias plus
    /// the input columns plus the hidden columns (<see cref="PackedMath"/>); the activations then run over
    /// whole padded vectors, and only the final update touches the state's H floats. Leaves in
    /// <paramref name="scratch"/> what Backward records (<see cref="GateOffset"/>, <see cref="ExtraOffset"/>), so
    /// that training records exactly what inference computed.
    /// </summary>
    /// <remarks>
    /// Compiled on its own, once per shape (its callers run it once per layer); everything it calls but the block kernels is
    /// inlined into it, so the width is chosen once, here, rather than at each of its three kernels.
    /// </remarks>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    private static void CellStep<TVec>(ReadOnlySpan<float> packed, int layer, ReadOnlySpan<float> x, Span<float> layerState, Span<float> scratch, bool backward)
        where TVec : struct, ISimd<TVec>
    {
        int inSize = Shape<TShape>.LayerInput(layer);
        int inputWeights = inSize * PackedLayout<TShape>.InputRows;
        ReadOnlySpan<float> q = packed.Slice(PackedLayout<TShape>.LayerOffset(layer), PackedLayout<TShape>.LayerLength(layer));
        ref float weights = ref MemoryMarshal.GetReference(q);
        ref float bias = ref Unsafe.Add(ref weights, inputWeights + (H * PackedLayout<TShape>.Rows));
        ref float sums = ref MemoryMarshal.GetReference(scratch);
        ref float hiddenSums = ref Unsafe.Add(ref sums, PackedLayout<TShape>.HiddenRowsOffset);
        if (inSize == 1)
        {
            // Kept out of MultiplyAdd on purpose: there it would be inlined at the hidden projection's call site too, and
            // that pushed the cell past the JIT's inlining budget: GRU 1->8's latency p50 went from 70 to 130-140 ns, and
            // calls to every Simd256 operation appeared in the listing.
            PackedMath.MultiplyAddColumn<TVec>(ref weights, PackedLayout<TShape>.InputRows, x[0], ref bias, ref sums);
        }
        else if (ReducedLayout<TShape>.Enabled)
        {
            ReducedMath.MultiplyAdd<TVec>(ref Unsafe.Add(ref ReducedLayout<TShape>.Start(packed), ReducedLayout<TShape>.LayerOffset(layer)),
                PackedLayout<TShape>.InputRows, inSize, ref MemoryMarshal.GetReference(x), ref bias, ref sums);
        }
        else
        {
            PackedMath.MultiplyAdd<TVec>(ref weights, PackedLayout<TShape>.InputRows, inSize, ref MemoryMarshal.GetReference(x), ref bias, ref sums);
        }

        if (TShape.Cell == Cell.Gru)
        {
            // n_h = b_hn + W_hn h: the one block the input columns do not reach.
            int nh = 3 * PaddedHidden;
            MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref bias, nh), PaddedHidden).CopyTo(scratch.Slice(nh, PaddedHidden));
        }

        if (ReducedLayout<TShape>.Enabled)
        {
            // WeightPrecision.BFloat16: the same sums from the bfloat16 copy, half the bytes (ReducedMath).
            ReducedMath.MultiplyAdd<TVec>(ref Unsafe.Add(ref ReducedLayout<TShape>.Start(packed), ReducedLayout<TShape>.HiddenOffset(layer)),
                PackedLayout<TShape>.Rows, H, ref MemoryMarshal.GetReference(layerState), ref hiddenSums, ref hiddenSums);
        }
        else if (HiddenSweepAlternates)
        {
            PackedMath.MultiplyAddAlternating<TVec>(ref Unsafe.Add(ref weights, inputWeights), PackedLayout<TShape>.Rows, H, ref MemoryMarshal.GetReference(layerState),
                ref hiddenSums, ref hiddenSums, backward);
        }
        else
        {
            PackedMath.MultiplyAdd<TVec>(ref Unsafe.Add(ref weights, inputWeights), PackedLayout<TShape>.Rows, H, ref MemoryMarshal.GetReference(layerState),
                ref hiddenSums, ref hiddenSums);
        }

        Update<TVec>(ref sums, layerState);
    }

    /// <summary>The fused activations and state update (<see cref="CellUpdate"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update<TVec>(ref float y, Span<float> layerState)
        where TVec : struct, ISimd<TVec>
    {
        ref float h = ref MemoryMarshal.GetReference(layerState);
        if (TShape.Cell == Cell.Gru)
        {
            CellUpdate.Gru<TVec>(ref y, PaddedHidden, ref h, H);
        }
        else if (TShape.Cell == Cell.Lstm)
        {
            CellUpdate.Lstm<TVec>(ref y, PaddedHidden, ref h, ref Unsafe.Add(ref h, H), H);
        }
        else
        {
            CellUpdate.Rnn<TVec>(ref y, ref h, H, TShape.Nonlinearity == Nonlinearity.Relu);
        }
    }

    /// <summary>
    /// <see cref="CellStep{TVec}"/>'s arguments, for <see cref="PackedLayout{TShape}.Dispatch{TAction}"/>. Held as
    /// references and lengths, not as spans: the JIT then keeps every field in a register and builds the spans at the
    /// call as it did before the dispatch existed, where span fields were spilled and block-copied onto the stack.
    /// </summary>
    private readonly ref struct CellStepAction : ISimdAction
    {
        private readonly ref float _packed;
        private readonly ref float _x;
        private readonly ref float _layerState;
        private readonly ref float _scratch;
        private readonly int _packedLength;
        private readonly int _xLength;
        private readonly int _layerStateLength;
        private readonly int _scratchLength;
        private readonly int _layer;
        private readonly bool _backward;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public CellStepAction(ReadOnlySpan<float> packed, int layer, ReadOnlySpan<float> x, Span<float> layerState, Span<float> scratch, bool backward)
        {
            _backward = backward;
            _packed = ref MemoryMarshal.GetReference(packed);
            _packedLength = packed.Length;
            _layer = layer;
            _x = ref MemoryMarshal.GetReference(x);
            _xLength = x.Length;
            _layerState = ref MemoryMarshal.GetReference(layerState);
            _layerStateLength = layerState.Length;
            _scratch = ref MemoryMarshal.GetReference(scratch);
            _scratchLength = scratch.Length;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Run<TVec>()
            where TVec : struct, ISimd<TVec> =>
            CellStep<TVec>(MemoryMarshal.CreateReadOnlySpan(ref _packed, _packedLength), _layer, MemoryMarshal.CreateReadOnlySpan(ref _x, _xLength),
                MemoryMarshal.CreateSpan(ref _layerState, _layerStateLength), MemoryMarshal.CreateSpan(ref _scratch, _scratchLength), _backward);
    }

    /// <summary>Where PyTorch's gate <paramref name="gate"/> (r, z, n / i, f, g, o) sits in the scratch after a cell step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int GateOffset(int gate) =>
        TShape.Cell == Cell.Gru ? (gate == 2 ? 0 : gate + 1) * PaddedHidden : gate * PaddedHidden;

    /// <summary>Where the extra vector Backward needs sits: the GRU's W_hn h + b_hn, the LSTM's tanh(c').</summary>
    private static int ExtraOffset
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.Cell == Cell.Gru ? 3 * PaddedHidden : 4 * PaddedHidden;
    }

    /// <summary>The Linear head on the top layer's h, or a copy of h when there is no head.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Head(ReadOnlySpan<float> parameters, ReadOnlySpan<float> top, Span<float> output)
    {
        if (!Shape<TShape>.HasHead)
        {
            top.CopyTo(output);
            return;
        }

        int offset = Shape<TShape>.HeadOffset;
        VectorMath.Project(parameters.Slice(offset, O * H), O, H, top, parameters.Slice(offset + O * H, O), output, hasBias: true, accumulate: false);
    }
}
