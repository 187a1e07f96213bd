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
        Span<double> sums = stackalloc double[BatchGroup];
        sums.Clear();
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
                int inSize = Shape<TShape>.LayerInput(layer);
                int at = Shape<TShape>.LayerTapeOffset(layer);
                Span<float> layerStates = states.Slice(layer * StatePerLayer);
                for (int g = 0; g < group; g++)
                {
                    Span<float> layerTape = tape.Slice((g * recorded + s) * stride + at, Shape<TShape>.LayerTape(layer));
                    if (layer > 0 && Shape<TShape>.HasDropout)
                    {
                        dropout.Apply(first + g, s, layer - 1, L - 1, states.Slice(g * StateLength + (layer - 1) * StatePerLayer, H), layerTape);
                    }
                    else if (layer > 0)
                    {
                        states.Slice(g * StateLength + (layer - 1) * StatePerLayer, H).CopyTo(layerTape);
                    }

                    layerStates.Slice(g * StateLength, StatePerLayer).CopyTo(layerTape.Slice(inSize));
                }

                // Each sequence's input for this layer is on its own tape now: the group reads it from there.
                PackedLayout<TShape>.Dispatch(new CellStepStreamsAction(packed, layer, tape.Slice(s * stride + at), sequenceTape,
                    layerStates, scratch, group));
                for (int g = 0; g < group; g++)
                {
                    Span<float> layerTape = tape.Slice((g * recorded + s) * stride + at, Shape<TShape>.LayerTape(layer));
                    Span<float> sequenceScratch = scratch.Slice(g * ScratchLength, ScratchLength);
                    Span<float> gates = layerTape.Slice(inSize + StatePerLayer, GH);
                    for (int gate = 0; gate < Shape<TShape>.Gates; gate++)
                    {
                        sequenceScratch.Slice(GateOffset(gate), H).CopyTo(gates.Slice(gate * H, H));
                    }

                    if (TShape.Cell != Cell.Rnn)
                    {
                        sequenceScratch.Slice(ExtraOffset, H).CopyTo(layerTape.Slice(inSize + StatePerLayer + GH));
                    }
                }
            }

            for (int g = 0; g < group; g++)
            {
                Span<float> record = tape.Slice((g * recorded + s) * stride, stride);
                ReadOnlySpan<float> top = states.Slice(g * StateLength + (L - 1) * StatePerLayer, H);
                top.CopyTo(record.Slice(TopOffset, H));
                Span<float> output = record.Slice(OutputOffset, O);
                Head(values, top, output);
                if (on == LossOn.AllSteps)
                {
                    sums[g] += LossFunctions.Apply(loss, crossEntropy, output, targets.Slice(targetStart[g] + s * targetStride, width), scale);
                }
                else if (s == recorded - 1)
                {
                    sums[g] += LossFunctions.Apply(loss, crossEntropy, output, targets.Slice(targetStart[g], width), scale);
                }
                else
                {
                    output.Clear();
                }
            }
        }

        for (int g = 0; g < group; g++)
        {
            work.Slice(g * Shape<TShape>.WorkLength, 2 * L * H).Clear();
        }

        for (int s = recorded - 1; s >= 0; s--)
        {
            PackedLayout<TShape>.Dispatch(new StepBackGroupAction(values, tape.Slice(s * stride), sequenceTape, work, group, dropout, first, s));
        }

        // The group's sequences lie one after another on the tape: one pass adds all their weight gradients.
        AccumulateWeights(gradients, tape, group * recorded);
        for (int g = 0; warmUp == 0 && g < group; g++)
        {
            AddInitialStateGradients(work.Slice(g * Shape<TShape>.WorkLength), initialGradients);
        }

        for (int g = 0; g < group; g++)
        {
            sum += sums[g];
        }
    }

    /// <summary>
    /// One step of the sweep for a group of sequences: <see cref="StepBack"/>'s arithmetic per sequence, except that the two
    /// products with transposed weights (<c>W_hhᵀ dph</c> into the carry, <c>W_ihᵀ dpi</c> into the layer below) are computed
    /// for the whole group at once (<see cref="StreamGradient"/>). Sequence g's record of this step is at
    /// <paramref name="record"/> + g · <paramref name="sequenceTape"/>, its working floats at g · <c>WorkLength</c> of one
    /// sequence in <paramref name="work"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StepBackGroup<TVec>(ReadOnlySpan<float> parameters, Span<float> record, int sequenceTape, Span<float> work, int group,
        DropoutMask dropout, int first, int step)
        where TVec : struct, ISimd<TVec>
    {
        int workStride = Shape<TShape>.WorkLength;
        int stride = TapeStride;
        for (int g = 0; g < group; g++)
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
            int at = Shape<TShape>.LayerTapeOffset(layer);
            int gatesAt = at + inSize + StatePerLayer;
            for (int g = 0; g < group; g++)
            {
                Span<float> sequenceWork = work.Slice(g * workStride, workStride);
                Span<float> layerTape = record.Slice((g * sequenceTape) + at, Shape<TShape>.LayerTape(layer));
                Span<float> dpi = layerTape.Slice(inSize + StatePerLayer, GH);
                Span<float> dph = TShape.Cell == Cell.Gru ? sequenceWork.Slice(2 * L * H + GH, GH) : dpi;
                CellBackward(layerTape, inSize, sequenceWork.Slice(2 * L * H + 2 * GH, H), sequenceWork.Slice((L * H) + (layer * H), H), dpi, dph,
                    sequenceWork.Slice(layer * H, H));
                if (TShape.Cell == Cell.Gru)
                {
                    dph.Slice(2 * H, H).CopyTo(layerTape.Slice(inSize + StatePerLayer + GH, H));
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

    /// <summary><see cref="StepBackGroup{TVec}"/>'s arguments, for <see cref="PackedLayout{TShape}.Dispatch{TAction}"/>.</summary>
    private readonly ref struct StepBackGroupAction : ISimdAction
    {
        private readonly ReadOnlySpan<float> _parameters;
        private readonly Span<float> _record;
        private readonly int _sequenceTape;
        private readonly Span<float> _work;
        private readonly int _group;
        private readonly DropoutMask _dropout;
        private readonly int _first;
        private readonly int _step;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public StepBackGroupAction(ReadOnlySpan<float> parameters, Span<float> record, int sequenceTape, Span<float> work, int group,
            DropoutMask dropout, int first, int step)
        {
            _parameters = parameters;
            _record = record;
            _sequenceTape = sequenceTape;
            _work = work;
            _group = group;
            _dropout = dropout;
            _first = first;
            _step = step;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Run<TVec>()
            where TVec : struct, ISimd<TVec> =>
            StepBackGroup<TVec>(_parameters, _record, _sequenceTape, _work, _group, _dropout, _first, _step);
    }
}
