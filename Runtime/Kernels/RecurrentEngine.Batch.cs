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
        Loss loss, LossOn on, SequenceLayout layout, float scale, Span<float> tape, Span<float> work)
    {
        int width = LossFunctions.TargetWidth(loss, O);
        int recorded = steps - warmUp;
        int stride = TapeStride;
        Span<float> states = stackalloc float[BatchGroup * StateLength];
        states.Clear();
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
                    if (layer > 0)
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
                    sums[g] += LossFunctions.Apply(loss, output, targets.Slice(targetStart[g] + s * targetStride, width), scale);
                }
                else if (s == recorded - 1)
                {
                    sums[g] += LossFunctions.Apply(loss, output, targets.Slice(targetStart[g], width), scale);
                }
                else
                {
                    output.Clear();
                }
            }
        }

        for (int g = 0; g < group; g++)
        {
            Span<float> sequence = tape.Slice(g * sequenceTape, sequenceTape);
            work.Slice(0, 2 * L * H).Clear();
            for (int s = recorded - 1; s >= 0; s--)
            {
                StepBack(values, sequence.Slice(s * stride, stride), work, default);
            }
        }

        // The group's sequences lie one after another on the tape: one pass adds all their weight gradients.
        AccumulateWeights(gradients, tape, group * recorded);
        for (int g = 0; g < group; g++)
        {
            sum += sums[g];
        }
    }
}
