using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Fixed.Engine;

/// <summary>
/// Many independent streams per call: each stream advances exactly as one single-stream <c>Step</c> would, but the streams of a
/// group go through every layer together, so that each weight the hidden projection loads serves several streams
/// (<see cref="StreamMath"/>). States are <c>[N, StateLength]</c>, inputs <c>[N, InputSize]</c>, outputs
/// <c>[N, OutputSize]</c>, stream-major.
/// </summary>
public static partial class RecurrentEngine<TShape>
{
    /// <summary>Streams that go through the layers together; their scratch vectors live on the stack.</summary>
    private const int StreamGroup = 8;

    /// <summary>One time step of <paramref name="streams"/> streams.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Step(ParameterStore<TShape> parameters, Span<float> states, ReadOnlySpan<float> inputs, Span<float> outputs, int streams)
    {
        CheckStreams(states, streams);
        if (inputs.Length != streams * I)
        {
            Guard.ThrowLength(nameof(inputs), streams * I, Shape("InputSize", I, streams), inputs.Length);
        }

        if (outputs.Length != streams * O)
        {
            Guard.ThrowLength(nameof(outputs), streams * O, Shape("OutputSize", O, streams), outputs.Length);
        }

        Span<float> scratch = CacheLineAlignment.Aligned(stackalloc float[StreamGroup * ScratchLength + CacheLineAlignment.SlackFloats]);
        StepStreams(parameters.Packed, parameters.Values, states, inputs, outputs, streams, scratch);
    }

    /// <summary>T time steps of <paramref name="streams"/> streams: <c>[T, N, InputSize]</c> in, <c>[T, N, OutputSize]</c> out.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Forward(ParameterStore<TShape> parameters, Span<float> states, ReadOnlySpan<float> inputs, Span<float> outputs, int streams)
    {
        CheckStreams(states, streams);
        int steps = streams == 0 ? 0 : Guard.Rows(inputs, streams * I, nameof(inputs), "[T, N, InputSize] = [T, {0} floats]");
        Guard.SameLength(steps, outputs, streams * O, nameof(outputs));
        Span<float> scratch = CacheLineAlignment.Aligned(stackalloc float[StreamGroup * ScratchLength + CacheLineAlignment.SlackFloats]);
        ReadOnlySpan<float> packed = parameters.Packed;
        ReadOnlySpan<float> values = parameters.Values;
        for (int t = 0; t < steps; t++)
        {
            StepStreams(packed, values, states, inputs.Slice(t * streams * I, streams * I), outputs.Slice(t * streams * O, streams * O), streams, scratch);
        }
    }

    private static void CheckStreams(ReadOnlySpan<float> states, int streams)
    {
        if (streams < 1)
        {
            throw new ArgumentException("states: expected at least one stream (one State per stream), got none.", nameof(states));
        }

        if (states.Length != streams * StateLength)
        {
            Guard.ThrowLength(nameof(states), streams * StateLength, Shape("StateLength", StateLength, streams), states.Length);
        }
    }

    /// <summary><c>[N=n, What=size]</c>, built only for an error message.</summary>
    private static string Shape(string what, int size, int streams) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"[N={streams}, {what}={size}]");

    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void StepStreams(ReadOnlySpan<float> packed, ReadOnlySpan<float> values, Span<float> states, ReadOnlySpan<float> inputs, Span<float> outputs,
        int streams, Span<float> scratch)
    {
        for (int first = 0; first < streams; first += StreamGroup)
        {
            int group = Math.Min(StreamGroup, streams - first);
            Span<float> groupStates = states.Slice(first * StateLength, group * StateLength);
            for (int layer = 0; layer < L; layer++)
            {
                // Layer 0 reads the inputs, every other layer the h of the layer below, in each stream's own state.
                ReadOnlySpan<float> x = layer == 0
                    ? inputs.Slice(first * I, group * I)
                    : groupStates.Slice((layer - 1) * StatePerLayer, (group - 1) * StateLength + H);
                int xStride = layer == 0 ? I : StateLength;
                var action = new CellStepStreamsAction(packed, layer, x, xStride, groupStates.Slice(layer * StatePerLayer), scratch, group);
                PackedLayout<TShape>.Dispatch(action);
            }

            int s = 0;
            if (Shape<TShape>.HasHead && O < 4 && Vector128.IsHardwareAccelerated)
            {
                // Four streams' heads at a time: each output row's four sums in one transpose-add instead of four horizontal
                // sums (VectorMath.ProjectFour); the group's last streams, fewer than four, one at a time.
                ref float w = ref Unsafe.Add(ref MemoryMarshal.GetReference(values), Shape<TShape>.HeadOffset);
                ref float top = ref Unsafe.Add(ref MemoryMarshal.GetReference(groupStates), (L - 1) * StatePerLayer);
                ref float y = ref Unsafe.Add(ref MemoryMarshal.GetReference(outputs), first * O);
                for (; s + 4 <= group; s += 4)
                {
                    VectorMath.ProjectFour(ref w, O, H, ref Unsafe.Add(ref top, s * StateLength), StateLength, ref Unsafe.Add(ref w, O * H),
                        ref Unsafe.Add(ref y, s * O), O);
                }
            }

            for (; s < group; s++)
            {
                Head(values, groupStates.Slice(s * StateLength + (L - 1) * StatePerLayer, H), outputs.Slice((first + s) * O, O));
            }
        }
    }

    /// <summary>
    /// One layer's cell update for a group of streams: the input and hidden projections (the hidden one of the whole group at
    /// once), then each stream's activations and state update — the same arithmetic as <see cref="CellStep{TVec}"/>.
    /// </summary>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    private static void CellStepStreams<TVec>(ReadOnlySpan<float> packed, int layer, ref float x, int xStride, ref float state, ref float scratch, int group)
        where TVec : struct, ISimd<TVec>
    {
        ProjectStreams<TVec>(packed, layer, ref x, xStride, ref state, ref scratch, group);
        if (typeof(TVec) == typeof(Simd256) && H % 8 == 0 && TShape.Cell != Cell.Rnn)
        {
            // The group's activations a pass at a time (CellUpdate.GruStreams256): the same values as Update's.
            if (TShape.Cell == Cell.Gru)
            {
                CellUpdate.GruStreams256(ref scratch, (nuint)PaddedHidden, (nuint)ScratchLength, ref state, (nuint)StateLength, (nuint)H, group);
            }
            else
            {
                CellUpdate.LstmStreams256(ref scratch, (nuint)PaddedHidden, (nuint)ScratchLength, ref state, (nuint)StateLength, (nuint)H, group);
            }

            return;
        }

        for (int s = 0; s < group; s++)
        {
            Update<TVec>(ref Unsafe.Add(ref scratch, s * ScratchLength), MemoryMarshal.CreateSpan(ref Unsafe.Add(ref state, s * StateLength), StatePerLayer));
        }
    }

    /// <summary>
    /// <see cref="CellStepStreams{TVec}"/>'s projections: each stream's gate pre-activations into its scratch
    /// (<see cref="ScratchLength"/> floats apart), the hidden projection of the whole group at once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void ProjectStreams<TVec>(ReadOnlySpan<float> packed, int layer, ref float x, int xStride, ref float state, ref float scratch, int group)
        where TVec : struct, ISimd<TVec>
    {
        int inSize = Shape<TShape>.LayerInput(layer);
        int rows = PackedLayout<TShape>.Rows;
        ReadOnlySpan<float> q = packed.Slice(PackedLayout<TShape>.LayerOffset(layer), PackedLayout<TShape>.LayerLength(layer));
        ref float weights = ref MemoryMarshal.GetReference(q);
        ref float hiddenWeights = ref Unsafe.Add(ref weights, inSize * PackedLayout<TShape>.InputRows);
        ref float bias = ref Unsafe.Add(ref hiddenWeights, H * rows);
        if (PackedLayout<TShape>.HiddenRowsOffset == 0)
        {
            // LSTM and RNN: the input and hidden weights fill the same rows, so one pass from the bias does both.
            StreamMath.MultiplyAdd<TVec>(rows, ref weights, inSize, ref x, xStride, ref hiddenWeights, H, ref state, StateLength,
                ref bias, 0, ref scratch, ScratchLength, group);
        }
        else
        {
            // GRU: the input rows are [n_x | r | z], the hidden rows [r | z | n_h] one block further on; each stream's input
            // columns on its own (for the one input column of GRU 1->32 and 1->128 a grouped pass measured 9 % slower), and
            // n_h from b_hn, the one block the input columns do not reach.
            int nh = 3 * PaddedHidden;
            if (inSize == 1)
            {
                InputColumnStreams<TVec>(ref weights, ref bias, ref x, xStride, ref scratch, group);
            }

            for (int s = 0; inSize > 1 && s < group; s++)
            {
                ref float sums = ref Unsafe.Add(ref scratch, s * ScratchLength);
                PackedMath.MultiplyAdd<TVec>(ref weights, PackedLayout<TShape>.InputRows, inSize, ref Unsafe.Add(ref x, s * xStride), ref bias, ref sums);
                MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref bias, nh), PaddedHidden).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref sums, nh), PaddedHidden));
            }

            ref float hiddenSums = ref Unsafe.Add(ref scratch, PackedLayout<TShape>.HiddenRowsOffset);
            StreamMath.MultiplyAdd<TVec>(rows, ref hiddenWeights, H, ref state, StateLength, ref hiddenWeights, 0, ref state, 0,
                ref hiddenSums, ScratchLength, ref hiddenSums, ScratchLength, group);
        }
    }

    /// <summary>
    /// A GRU layer's one input column for a group of streams: <c>b + W_ih x</c> over the input rows <c>[n_x | r | z]</c> and
    /// <c>b_hn</c> into the n_h block of each stream's scratch, each vector of weights and bias loaded once for the whole
    /// group (<see cref="PackedMath.MultiplyAddColumn{TVec}"/>'s fused multiply-add per element, so the same values).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void InputColumnStreams<TVec>(ref float weights, ref float bias, ref float x, int xStride, ref float scratch, int group)
        where TVec : struct, ISimd<TVec>
    {
        // The streams' inputs and scratch vectors are reached by moving a reference on, not by index arithmetic: with
        // `s * stride + r` the JIT spent a multiply, a shift and two sign extensions on each vector stored.
        int rows = PackedLayout<TShape>.InputRows;
        for (int r = 0; r < rows; r += TVec.Count)
        {
            TVec w = TVec.Load(ref weights, (nuint)r);
            TVec b = TVec.Load(ref bias, (nuint)r);
            ref float xs = ref x;
            ref float to = ref Unsafe.Add(ref scratch, r);
            for (int s = 0; s < group; s++)
            {
                TVec.Store(TVec.MultiplyAdd(w, TVec.Broadcast(xs), b), ref to, 0);
                xs = ref Unsafe.Add(ref xs, xStride);
                to = ref Unsafe.Add(ref to, ScratchLength);
            }
        }

        int nh = 3 * PaddedHidden;
        for (int r = nh; r < nh + PaddedHidden; r += TVec.Count)
        {
            TVec b = TVec.Load(ref bias, (nuint)r);
            ref float to = ref Unsafe.Add(ref scratch, r);
            for (int s = 0; s < group; s++)
            {
                TVec.Store(b, ref to, 0);
                to = ref Unsafe.Add(ref to, ScratchLength);
            }
        }
    }

    /// <summary><see cref="CellStepStreams{TVec}"/>'s arguments, for <see cref="PackedLayout{TShape}.Dispatch{TAction}"/>.</summary>
    private readonly ref struct CellStepStreamsAction : ISimdAction
    {
        private readonly ref float _packed;
        private readonly ref float _x;
        private readonly ref float _state;
        private readonly ref float _scratch;
        private readonly int _packedLength;
        private readonly int _layer;
        private readonly int _xStride;
        private readonly int _group;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public CellStepStreamsAction(ReadOnlySpan<float> packed, int layer, ReadOnlySpan<float> x, int xStride, Span<float> state, Span<float> scratch, int group)
        {
            _packed = ref MemoryMarshal.GetReference(packed);
            _packedLength = packed.Length;
            _layer = layer;
            _x = ref MemoryMarshal.GetReference(x);
            _xStride = xStride;
            _state = ref MemoryMarshal.GetReference(state);
            _scratch = ref MemoryMarshal.GetReference(scratch);
            _group = group;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Run<TVec>()
            where TVec : struct, ISimd<TVec> =>
            CellStepStreams<TVec>(MemoryMarshal.CreateReadOnlySpan(ref _packed, _packedLength), _layer, ref _x, _xStride, ref _state, ref _scratch, _group);
    }
}
