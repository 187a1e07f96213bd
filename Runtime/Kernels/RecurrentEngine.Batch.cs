using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Fixed.Engine;

/// <summary>
/// Batched BPTT, several sequences at a time: the recording forward pass runs a group of the batch's sequences side by
/// side through the multi-stream cell (<see cref="CellStepStreams{TVec}"/>: each weight the hidden projection loads
/// serves every sequence of the group, and the group's independent recurrences hide each other's latency), the sweeps
/// run sequence by sequence, and the weight gradients of the whole group are then accumulated in one pass over the
/// gradient, from a tape that holds the group's sequences one after another.
/// </summary>
public static partial class RecurrentEngine<TShape>
{
    /// <summary>Sequences of a batch recorded and swept together (four: the multi-stream kernel's register block).</summary>
    private const int BatchGroup = 4;

    /// <summary>
    /// The most floats a model's tape may take to hold a whole group (16 MB); a larger network's batched Backward runs
    /// sequence by sequence on a one-sequence tape instead.
    /// </summary>
    private const long MaxGroupTape = 1 << 22;

    /// <summary>Sequences the tape a model owns (<see cref="TapeLength"/>) holds at once: <see cref="BatchGroup"/>, or 1 for very large networks.</summary>
    private static int TapeSequences
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (long)Shape<TShape>.TapeLength * BatchGroup <= MaxGroupTape ? BatchGroup : 1;
    }

    /// <summary>
    /// Runs sequences <paramref name="first"/> .. <paramref name="first"/> + <paramref name="group"/> - 1 of a batch: records
    /// them side by side on <paramref name="tape"/> (sequence g's step s at <c>(g · recorded + s) · TapeStride</c>), applies
    /// the loss, sweeps each back and adds the group's weight gradients into <paramref name="gradients"/>. Each sequence's loss
    /// sum is added to <paramref name="sum"/> in batch order, as the sequence-by-sequence loop adds them.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void Group(ref double sum, ReadOnlySpan<float> packed, ReadOnlySpan<float> values, Span<float> gradients,
        ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int first, int group, int batchSize, int steps, int warmUp,
        Loss loss, LossOn on, SequenceLayout layout, float scale, CrossEntropyOptions? crossEntropy, Span<float> tape, Span<float> work,
        ReadOnlySpan<float> initial, Span<float> initialGradients, DropoutMask dropout)
    {
        int width = LossFunctions.TargetWidth(loss, O);
        int recorded = steps - warmUp;
        int stride = TapeStride;
        Span<float> states = stackalloc float[BatchGroup * StateLength];
        states.Clear();
        for (int g = 0; !initial.IsEmpty && g < group; g++)
        {
            InitialState(initial, states.Slice(g * StateLength, StateLength));
        }

        Span<float> scratch = CacheLineAlignment.Aligned(stackalloc float[BatchGroup * ScratchLength + CacheLineAlignment.SlackFloats]);
        Span<float> x = stackalloc float[BatchGroup * I];
        Span<int> inputStart = stackalloc int[BatchGroup];
        Span<int> targetStart = stackalloc int[BatchGroup];
        int inputStride = 0, targetStride = 0;
        for (int g = 0; g < group; g++)
        {
            (inputStart[g], inputStride, targetStart[g], targetStride) = TrainingSupport.BatchItem(first + g, batchSize, steps, warmUp, I, width, on, layout);
        }

        for (int t = 0; t < warmUp; t++)
        {
            for (int g = 0; g < group; g++)
            {
                inputs.Slice(inputStart[g] + t * inputStride, I).CopyTo(x.Slice(g * I, I));
            }

            for (int layer = 0; layer < L; layer++)
            {
                ReadOnlySpan<float> layerInput = layer == 0 ? x : states.Slice((layer - 1) * StatePerLayer);
                PackedLayout<TShape>.Dispatch(new CellStepStreamsAction(packed, layer, layerInput, layer == 0 ? I : StateLength,
                    states.Slice(layer * StatePerLayer), scratch, group));
            }
        }

        int sequenceTape = recorded * stride;
        for (int s = 0; s < recorded; s++)
        {
            int t = warmUp + s;
            for (int g = 0; g < group; g++)
            {
                inputs.Slice(inputStart[g] + t * inputStride, I).CopyTo(tape.Slice((g * recorded + s) * stride, I));
            }

            for (int layer = 0; layer < L; layer++)
            {
                int at = Shape<TShape>.LayerTapeOffset(layer);
                Span<float> layerStates = states.Slice(layer * StatePerLayer);
                for (int g = 0; layer > 0 && g < group; g++)
                {
                    Span<float> layerTape = tape.Slice((g * recorded + s) * stride + at, Shape<TShape>.LayerTape(layer));
                    if (Shape<TShape>.HasDropout)
                    {
                        dropout.Apply(first + g, s, layer - 1, L - 1, states.Slice(g * StateLength + (layer - 1) * StatePerLayer, H), layerTape);
                    }
                    else
                    {
                        states.Slice(g * StateLength + (layer - 1) * StatePerLayer, H).CopyTo(layerTape);
                    }
                }

                // Each sequence's input for this layer is on its own tape now: the group reads it from there, and the cell
                // writes the state before the step, the gates and (top layer) h' onto the tape as it goes.
                PackedLayout<TShape>.Dispatch(new CellStepRecordAction(packed, layer, tape.Slice(s * stride), sequenceTape, layerStates, scratch, group));
            }
        }

        // The heads and losses, which no recurrence waits for, sequence by sequence after the group's recording: each
        // sequence's loss summed over its steps in order and added to the batch's in batch order, as the
        // sequence-by-sequence loop does.
        for (int g = 0; g < group; g++)
        {
            sum += HeadsAndLosses(values, tape.Slice(g * sequenceTape), recorded, targets, targetStart[g], targetStride, width, loss, crossEntropy, on, scale);
        }

        for (int g = 0; g < group; g++)
        {
            work.Slice(g * Shape<TShape>.WorkLength, 2 * L * H).Clear();
        }

        for (int s = recorded - 1; s >= 0; s--)
        {
            PackedLayout<TShape>.Dispatch(new StepBackGroupAction(values, tape.Slice(s * stride), sequenceTape, work, group, in dropout, first, s));
        }

        // The group's sequences lie one after another on the tape: one pass adds all their weight gradients.
        AccumulateWeights(gradients, tape, group * recorded);
        for (int g = 0; warmUp == 0 && g < group; g++)
        {
            AddInitialStateGradients(work.Slice(g * Shape<TShape>.WorkLength), initialGradients);
        }
    }

    /// <summary>
    /// One layer's recorded step for a group of sequences: <see cref="CellStepStreams{TVec}"/>'s projections, then each
    /// sequence's activations and state update, which write the state before the step, the gates and the extra vector onto
    /// the sequence's tape (and h' into its top slot for the top layer) in the same pass (<see cref="CellUpdate"/>'s
    /// recording updates). Sequence g's record of this step is at <paramref name="record"/> + g · <paramref name="sequenceTape"/>,
    /// and its input for this layer is already there.
    /// </summary>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    private static void CellStepRecord<TVec>(ReadOnlySpan<float> packed, int layer, ref float record, int sequenceTape, ref float state, ref float scratch, int group)
        where TVec : struct, ISimd<TVec>
    {
        int slot = Shape<TShape>.LayerInputSlot(layer);
        ref float layerTape = ref Unsafe.Add(ref record, Shape<TShape>.LayerTapeOffset(layer));
        ProjectStreams<TVec>(packed, layer, ref layerTape, sequenceTape, ref state, ref scratch, group);
        if (typeof(TVec) == typeof(Simd256) && H % 8 == 0 && TShape.Cell != Cell.Rnn)
        {
            // The group's activations a pass at a time (CellUpdate.GruRecordStreams256): the same values as below.
            ref float before = ref Unsafe.Add(ref layerTape, slot);
            ref float top = ref layer == L - 1 ? ref Unsafe.Add(ref record, TopOffset) : ref Unsafe.NullRef<float>();
            if (TShape.Cell == Cell.Gru)
            {
                CellUpdate.GruRecordStreams256(ref scratch, (nuint)PaddedHidden, (nuint)ScratchLength, ref state, (nuint)StateLength,
                    ref before, ref Unsafe.Add(ref before, StatePerLayer), ref top, (nuint)sequenceTape, (nuint)H, group);
            }
            else
            {
                CellUpdate.LstmRecordStreams256(ref scratch, (nuint)PaddedHidden, (nuint)ScratchLength, ref state, (nuint)StateLength,
                    ref before, ref Unsafe.Add(ref before, StatePerLayer), ref top, (nuint)sequenceTape, (nuint)H, group);
            }

            return;
        }

        for (int s = 0; s < group; s++)
        {
            ref float y = ref Unsafe.Add(ref scratch, s * ScratchLength);
            ref float h = ref Unsafe.Add(ref state, s * StateLength);
            ref float sequenceRecord = ref Unsafe.Add(ref record, s * sequenceTape);
            ref float before = ref Unsafe.Add(ref sequenceRecord, Shape<TShape>.LayerTapeOffset(layer) + slot);
            ref float gates = ref Unsafe.Add(ref before, StatePerLayer);
            ref float top = ref layer == L - 1 ? ref Unsafe.Add(ref sequenceRecord, TopOffset) : ref Unsafe.NullRef<float>();
            if (TShape.Cell == Cell.Gru)
            {
                CellUpdate.GruRecord<TVec>(ref y, PaddedHidden, ref h, ref before, ref gates, ref top, H);
            }
            else if (TShape.Cell == Cell.Lstm)
            {
                CellUpdate.LstmRecord<TVec>(ref y, PaddedHidden, ref h, ref Unsafe.Add(ref h, H), ref before, ref gates, ref top, H);
            }
            else
            {
                CellUpdate.RnnRecord<TVec>(ref y, ref h, ref before, ref gates, ref top, H, TShape.Nonlinearity == Nonlinearity.Relu);
            }
        }
    }

    /// <summary><see cref="CellStepRecord{TVec}"/>'s arguments, for <see cref="PackedLayout{TShape}.Dispatch{TAction}"/>.</summary>
    private readonly ref struct CellStepRecordAction : ISimdAction
    {
        private readonly ref float _packed;
        private readonly ref float _record;
        private readonly ref float _state;
        private readonly ref float _scratch;
        private readonly int _packedLength;
        private readonly int _layer;
        private readonly int _sequenceTape;
        private readonly int _group;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public CellStepRecordAction(ReadOnlySpan<float> packed, int layer, Span<float> record, int sequenceTape, Span<float> state, Span<float> scratch, int group)
        {
            _packed = ref MemoryMarshal.GetReference(packed);
            _packedLength = packed.Length;
            _layer = layer;
            _record = ref MemoryMarshal.GetReference(record);
            _sequenceTape = sequenceTape;
            _state = ref MemoryMarshal.GetReference(state);
            _scratch = ref MemoryMarshal.GetReference(scratch);
            _group = group;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Run<TVec>()
            where TVec : struct, ISimd<TVec> =>
            CellStepRecord<TVec>(MemoryMarshal.CreateReadOnlySpan(ref _packed, _packedLength), _layer, ref _record, _sequenceTape, ref _state, ref _scratch, _group);
    }

    /// <summary>
    /// One step of the sweep for a group of sequences: <see cref="StepBack"/>'s arithmetic per sequence, except that the two
    /// products with transposed weights (<c>W_hhᵀ dph</c> into the carry, <c>W_ihᵀ dpi</c> into the layer below) are computed
    /// for the whole group at once (<see cref="StreamGradient"/>). Sequence g's record of this step is at
    /// <c>Record</c> + g · <c>SequenceTape</c>, its working floats at g · <c>WorkLength</c> of one sequence in <c>Work</c>
    /// (<see cref="StepBackGroupAction"/>'s fields).
    /// </summary>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    private static void StepBackGroup<TVec>(in StepBackGroupAction arguments)
        where TVec : struct, ISimd<TVec>
    {
        ReadOnlySpan<float> parameters = arguments.Parameters;
        Span<float> record = arguments.Record;
        int sequenceTape = arguments.SequenceTape;
        Span<float> work = arguments.Work;
        int group = arguments.Group;
        ref readonly DropoutMask dropout = ref arguments.Dropout;
        int first = arguments.First;
        int step = arguments.Step;
        int workStride = Shape<TShape>.WorkLength;
        int stride = TapeStride;
        if (L == 1)
        {
            SweepGroupUnits<TVec>(parameters, record, sequenceTape, work, group);
        }

        for (int g = 0; L > 1 && g < group; g++)
        {
            Span<float> sequenceWork = work.Slice(g * workStride, workStride);
            Span<float> dh = sequenceWork.Slice(2 * L * H + 2 * GH, H);
            sequenceWork.Slice((L - 1) * H, H).CopyTo(dh);
            ReadOnlySpan<float> dy = record.Slice((g * sequenceTape) + OutputOffset, O);
            if (Shape<TShape>.HasHead)
            {
                VectorMath.MultiplyTransposedAdd(parameters.Slice(Shape<TShape>.HeadOffset, O * H), O, H, dy, dh);
            }
            else
            {
                VectorMath.Add(dy, dh);
            }
        }

        for (int layer = L - 1; layer >= 0; layer--)
        {
            int inSize = Shape<TShape>.LayerInput(layer);
            int slot = Shape<TShape>.LayerInputSlot(layer);
            int at = Shape<TShape>.LayerTapeOffset(layer);
            int gatesAt = at + slot + StatePerLayer;
            // Each sequence's cell gradients (CellBackward's arithmetic, called here directly: the group is already at its width).
            _ = record.Slice(((group - 1) * sequenceTape) + at, Shape<TShape>.LayerTape(layer));
            _ = work.Slice(0, group * workStride);
            for (int g = 0; L > 1 && g < group; g++)
            {
                ref float sequenceWork = ref Unsafe.Add(ref MemoryMarshal.GetReference(work), g * workStride);
                ref float before = ref Unsafe.Add(ref MemoryMarshal.GetReference(record), (g * sequenceTape) + at + slot);
                ref float gates = ref Unsafe.Add(ref before, StatePerLayer);
                ref float dh = ref Unsafe.Add(ref sequenceWork, 2 * L * H + 2 * GH);
                ref float dhOut = ref Unsafe.Add(ref sequenceWork, layer * H);
                if (TShape.Cell == Cell.Gru)
                {
                    // dpi over the gates; dph in the working floats, its n block then over n_h (read by then).
                    ref float dph = ref Unsafe.Add(ref sequenceWork, 2 * L * H + GH);
                    ref float extra = ref Unsafe.Add(ref gates, GH);
                    CellGradient.Gru<TVec>(ref gates, ref extra, ref before, ref dh, ref gates, ref dph, ref dhOut, H);
                    CopyVectors<TVec>(ref Unsafe.Add(ref dph, 2 * H), ref extra, H);
                }
                else
                {
                    if (TShape.Cell == Cell.Lstm)
                    {
                        CellGradient.Lstm<TVec>(ref gates, ref Unsafe.Add(ref gates, GH), ref Unsafe.Add(ref before, H), ref dh,
                            ref Unsafe.Add(ref sequenceWork, (L * H) + (layer * H)), ref gates, H);
                    }
                    else
                    {
                        CellGradient.Rnn<TVec>(ref gates, ref dh, ref gates, H, TShape.Nonlinearity == Nonlinearity.Relu);
                    }

                    MemoryMarshal.CreateSpan(ref dhOut, H).Clear();
                }
            }

            int offset = Shape<TShape>.LayerOffset(layer);
            ref float dpi0 = ref record[gatesAt];
            ref float dph0 = ref TShape.Cell == Cell.Gru ? ref work[2 * L * H + GH] : ref dpi0;
            int dphStride = TShape.Cell == Cell.Gru ? workStride : sequenceTape;
            StreamGradient.TransposedAdd<TVec>(ref Unsafe.AsRef(in parameters[offset + (GH * inSize)]), GH, H, ref dph0, dphStride,
                ref work[layer * H], workStride, group);
            if (layer > 0 && Shape<TShape>.HasDropout)
            {
                // The same with dropout: W_ihᵀ dpi reached the layer below through the forward pass's mask.
                for (int g = 0; g < group; g++)
                {
                    work.Slice((g * workStride) + (2 * L * H) + (2 * GH), H).Clear();
                }

                StreamGradient.TransposedAdd<TVec>(ref Unsafe.AsRef(in parameters[offset]), GH, inSize, ref dpi0, sequenceTape,
                    ref work[(2 * L * H) + (2 * GH)], workStride, group);
                for (int g = 0; g < group; g++)
                {
                    Span<float> dh = work.Slice((g * workStride) + (2 * L * H) + (2 * GH), H);
                    dropout.Apply(first + g, step, layer - 1, L - 1, dh, dh);
                    VectorMath.Add(work.Slice((g * workStride) + ((layer - 1) * H), H), dh);
                }
            }
            else if (layer > 0)
            {
                // The gradient flowing down into the layer below at this step: its own carry plus W_ihᵀ dpi.
                for (int g = 0; g < group; g++)
                {
                    work.Slice((g * workStride) + ((layer - 1) * H), H).CopyTo(work.Slice((g * workStride) + (2 * L * H) + (2 * GH), H));
                }

                StreamGradient.TransposedAdd<TVec>(ref Unsafe.AsRef(in parameters[offset]), GH, inSize, ref dpi0, sequenceTape,
                    ref work[(2 * L * H) + (2 * GH)], workStride, group);
            }
        }
    }

    /// <summary>
    /// <see cref="StepBackGroup{TVec}"/>'s cell gradients for a one-layer network: each sequence's in
    /// <see cref="SweepOneLayer{TVec}"/>'s arithmetic (<see cref="SweepUnits{TVec}"/>), dLoss/dh' = carry + W_headᵀ dy
    /// kept in a register on its way into the cell gradient instead of copied, added to in memory and read back. The same
    /// operations in the same order per element, so the same values. Not inlined: inside <see cref="StepBackGroup{TVec}"/>
    /// its two <see cref="SweepUnits{TVec}"/> bodies spent the JIT's inlining budget there, and the shape's constants
    /// (<c>L</c>, <c>H</c>, <c>GH</c>) became calls, with the code for deeper networks no longer folded away.
    /// </summary>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    private static void SweepGroupUnits<TVec>(ReadOnlySpan<float> parameters, Span<float> record, int sequenceTape, Span<float> work, int group)
        where TVec : struct, ISimd<TVec>
    {
        int workStride = Shape<TShape>.WorkLength;
        int slot = Shape<TShape>.LayerInputSlot(0);
        int at = Shape<TShape>.LayerTapeOffset(0);
        _ = record.Slice((group - 1) * sequenceTape, TapeStride);
        _ = work.Slice(0, group * workStride);
        ref float head = ref Shape<TShape>.HasHead ? ref MemoryMarshal.GetReference(parameters.Slice(Shape<TShape>.HeadOffset, O * H)) : ref Unsafe.NullRef<float>();
        for (int g = 0; g < group; g++)
        {
            ref float carry = ref Unsafe.Add(ref MemoryMarshal.GetReference(work), g * workStride);
            ref float sequenceRecord = ref Unsafe.Add(ref MemoryMarshal.GetReference(record), g * sequenceTape);
            ref float dy = ref Unsafe.Add(ref sequenceRecord, OutputOffset);
            ref float hPrevious = ref Unsafe.Add(ref sequenceRecord, at + slot);
            ref float cPrevious = ref Unsafe.Add(ref hPrevious, H);
            ref float gates = ref Unsafe.Add(ref hPrevious, StatePerLayer);
            ref float extra = ref Unsafe.Add(ref gates, GH);
            ref float dc = ref Unsafe.Add(ref carry, H);
            ref float dph = ref Unsafe.Add(ref carry, (2 * H) + GH);
            int j = 0;
            for (; j <= H - TVec.Count; j += TVec.Count)
            {
                SweepUnits<TVec>(ref carry, ref head, ref dy, ref gates, ref extra, ref cPrevious, ref hPrevious, ref dph, ref dc, (nuint)j);
            }

            for (; j < H; j++)
            {
                SweepUnits<Simd1>(ref carry, ref head, ref dy, ref gates, ref extra, ref cPrevious, ref hPrevious, ref dph, ref dc, (nuint)j);
            }

            if (TShape.Cell != Cell.Gru)
            {
                MemoryMarshal.CreateSpan(ref carry, H).Clear();
            }
        }
    }

    /// <summary><see cref="StepBackGroup{TVec}"/>'s arguments, for <see cref="PackedLayout{TShape}.Dispatch{TAction}"/>.</summary>
    /// <remarks>
    /// The spans are held as a reference and a length each and rebuilt where they are used: a span field is copied as one
    /// 16-byte load, which could not be forwarded from the constructor's two separate stores (reference, then length) and
    /// stalled at the start of every step of the sweep. The dropout masks are held by reference for the same reason: as a
    /// 32-byte copy in the struct, the JIT built the struct with a 64-byte copy that overlapped the masks' store just made
    /// (a sixth of <c>Group</c>'s samples in batched RNN 1→32 training, on a Zen 4).
    /// </remarks>
    private readonly ref struct StepBackGroupAction : ISimdAction
    {
        private readonly ref float _parameters;
        private readonly ref float _record;
        private readonly ref float _work;
        private readonly ref readonly DropoutMask _dropout;
        private readonly int _parametersLength;
        private readonly int _recordLength;
        private readonly int _workLength;
        public readonly int SequenceTape;
        public readonly int Group;
        public readonly int First;
        public readonly int Step;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public StepBackGroupAction(ReadOnlySpan<float> parameters, Span<float> record, int sequenceTape, Span<float> work, int group,
            ref readonly DropoutMask dropout, int first, int step)
        {
            _parameters = ref MemoryMarshal.GetReference(parameters);
            _parametersLength = parameters.Length;
            _record = ref MemoryMarshal.GetReference(record);
            _recordLength = record.Length;
            _work = ref MemoryMarshal.GetReference(work);
            _workLength = work.Length;
            SequenceTape = sequenceTape;
            Group = group;
            _dropout = ref dropout;
            First = first;
            Step = step;
        }

        public ReadOnlySpan<float> Parameters => MemoryMarshal.CreateReadOnlySpan(ref _parameters, _parametersLength);

        public Span<float> Record => MemoryMarshal.CreateSpan(ref _record, _recordLength);

        public Span<float> Work => MemoryMarshal.CreateSpan(ref _work, _workLength);

        public ref readonly DropoutMask Dropout => ref _dropout;

        /// <summary>
        /// Passes itself by reference: as eight arguments, the spans went on the stack, copied field by field in a way whose
        /// loads could not be forwarded from the stores just made (a stall seen at the call in every step of the sweep).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Run<TVec>()
            where TVec : struct, ISimd<TVec> =>
            StepBackGroup<TVec>(in this);
    }

    /// <summary><c>destination[0..count) = source[0..count)</c>, whole vectors then one float at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void CopyVectors<TVec>(ref float source, ref float destination, int count)
        where TVec : struct, ISimd<TVec>
    {
        int i = 0;
        for (; i <= count - TVec.Count; i += TVec.Count)
        {
            TVec.Store(TVec.Load(ref source, (nuint)i), ref destination, (nuint)i);
        }

        for (; i < count; i++)
        {
            Unsafe.Add(ref destination, i) = Unsafe.Add(ref source, i);
        }
    }
}
