using System.Runtime.CompilerServices;
using System;

namespace Fixed.Engine;

/// <summary>
/// The loss without the gradient: <c>Evaluate</c> runs the forward half of <c>Backward</c> and nothing else. It computes
/// each step as <c>Backward</c> records it (the general cell step, and for a batch the same groups of sequences through the
/// multi-stream cell), applies the loss to the same outputs and sums it in the same order, so it returns <c>Backward</c>'s
/// loss to the bit; but it keeps no tape and writes no gradient. Its state and scratch vectors live on the stack, so many
/// threads may evaluate on one model at once.
/// </summary>
public static partial class RecurrentEngine<TShape>
{
    /// <summary>The loss the single-sequence Backward would return; advances <paramref name="state"/> as it does.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static float Evaluate(ParameterStore<TShape> parameters, Span<float> state, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets,
        Loss loss, LossOn on, int warmUp)
    {
        CheckState(state);
        int steps = TrainingSupport.CheckSingle(I, O, TShape.Window, inputs, targets, loss, on, warmUp);
        int width = LossFunctions.TargetWidth(loss, O);
        double divisor = TrainingSupport.LossDivisor(loss, parameters.CrossEntropy, on, steps, warmUp, O, batchSize: 1, targets);
        double sum = EvaluateSequence(parameters, state, inputs, 0, I, steps, targets, 0, width, loss, on, warmUp, LossFunctions.Scale(divisor));
        return (float)(sum / divisor);
    }

    /// <summary>The loss the batched Backward would return: <paramref name="batchSize"/> sequences, each from the zero state.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static float Evaluate(ParameterStore<TShape> parameters, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize,
        Loss loss, LossOn on, int warmUp, SequenceLayout layout) =>
        Evaluate(parameters, inputs, targets, batchSize, loss, on, warmUp, layout, default);

    /// <summary>
    /// The loss the batched Backward from a learned initial state would return: every sequence starts from
    /// <paramref name="initial"/> (<see cref="InitialState"/>'s layout; empty: the zero state).
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static float Evaluate(ParameterStore<TShape> parameters, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize,
        Loss loss, LossOn on, int warmUp, SequenceLayout layout, ReadOnlySpan<float> initial)
    {
        CheckInitial(initial, default);
        int steps = TrainingSupport.CheckBatched(I, O, TShape.Window, inputs, targets, batchSize, loss, on, warmUp, layout);
        int width = LossFunctions.TargetWidth(loss, O);
        double divisor = TrainingSupport.LossDivisor(loss, parameters.CrossEntropy, on, steps, warmUp, O, batchSize, targets);
        float scale = LossFunctions.Scale(divisor);
        double sum = 0;

        // The grouping Backward chooses for the model's tape (TapeLength floats), so that the same sequences share the
        // multi-stream cell, whose sums round differently from the single-stream step's.
        int group = Math.Min(BatchGroup, TapeLength / ((steps - warmUp) * TapeStride));
        if (batchSize > 1 && group > 1)
        {
            ReadOnlySpan<float> packed = parameters.Packed;
            ReadOnlySpan<float> values = parameters.ComputeValues;
            for (int first = 0; first < batchSize; first += group)
            {
                EvaluateGroup(ref sum, packed, values, inputs, targets, first, Math.Min(group, batchSize - first), batchSize, steps, warmUp,
                    loss, on, layout, scale, parameters.CrossEntropy, initial);
            }

            return (float)(sum / divisor);
        }

        Span<float> state = stackalloc float[StateLength];
        for (int b = 0; b < batchSize; b++)
        {
            InitialState(initial, state);
            (int inputStart, int inputStride, int targetStart, int targetStride) = TrainingSupport.BatchItem(b, batchSize, steps, warmUp, I, width, on, layout);
            sum += EvaluateSequence(parameters, state, inputs, inputStart, inputStride, steps, targets, targetStart, targetStride, loss, on, warmUp, scale);
        }

        return (float)(sum / divisor);
    }

    /// <summary>
    /// A step as Backward records it, without the tape: every layer's general cell step and the head on the weights Backward
    /// computes with. A layer stack's <c>Evaluate</c> calls it for its recurrent layers (their <c>Step</c> may take the
    /// straight path, whose sums round differently). The caller has checked every length.
    /// </summary>
    public static void StepAsRecorded(ParameterStore<TShape> parameters, Span<float> state, ReadOnlySpan<float> input, Span<float> output)
    {
        Span<float> scratch = CacheLineAlignment.Aligned(stackalloc float[ScratchLength + CacheLineAlignment.SlackFloats]);
        AdvanceLayers(parameters.Packed, state, input, scratch);
        Head(parameters.ComputeValues, state.Slice((L - 1) * StatePerLayer, H), output);
    }

    /// <summary><see cref="Sequence"/> without the tape and the sweep: warm-up, the recorded steps, the loss. Returns the summed loss.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static double EvaluateSequence(ParameterStore<TShape> parameters, Span<float> state,
        ReadOnlySpan<float> inputs, int inputStart, int inputStride, int steps,
        ReadOnlySpan<float> targets, int targetStart, int targetStride, Loss loss, LossOn on, int warmUp, float scale)
    {
        Span<float> scratch = CacheLineAlignment.Aligned(stackalloc float[ScratchLength + CacheLineAlignment.SlackFloats]);
        Span<float> output = stackalloc float[O];
        ReadOnlySpan<float> packed = parameters.Packed;
        ReadOnlySpan<float> values = parameters.ComputeValues;
        ReadOnlySpan<float> top = state.Slice((L - 1) * StatePerLayer, H);
        int recorded = steps - warmUp;
        int width = LossFunctions.TargetWidth(loss, O);
        double sum = 0;
        for (int t = 0; t < steps; t++)
        {
            AdvanceLayers(packed, state, inputs.Slice(inputStart + t * inputStride, I), scratch);
            int s = t - warmUp;
            if (s < 0 || (on == LossOn.LastStep && s != recorded - 1))
            {
                continue;
            }

            Head(values, top, output);
            int at = on == LossOn.AllSteps ? targetStart + s * targetStride : targetStart;
            sum += LossFunctions.Apply(loss, parameters.CrossEntropy, output, targets.Slice(at, width), scale);
        }

        return sum;
    }

    /// <summary>
    /// <see cref="Group"/>'s forward half without the tape: the group's sequences side by side through the multi-stream cell,
    /// each one's loss summed on its own and added to <paramref name="sum"/> in batch order.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void EvaluateGroup(ref double sum, ReadOnlySpan<float> packed, ReadOnlySpan<float> values,
        ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int first, int group, int batchSize, int steps, int warmUp,
        Loss loss, LossOn on, SequenceLayout layout, float scale, CrossEntropyOptions? crossEntropy, ReadOnlySpan<float> initial)
    {
        int width = LossFunctions.TargetWidth(loss, O);
        int recorded = steps - warmUp;
        Span<float> states = stackalloc float[BatchGroup * StateLength];
        states.Clear();
        for (int g = 0; !initial.IsEmpty && g < group; g++)
        {
            InitialState(initial, states.Slice(g * StateLength, StateLength));
        }
        Span<float> scratch = CacheLineAlignment.Aligned(stackalloc float[BatchGroup * ScratchLength + CacheLineAlignment.SlackFloats]);
        Span<float> x = stackalloc float[BatchGroup * I];
        Span<float> output = stackalloc float[O];
        Span<double> sums = stackalloc double[BatchGroup];
        sums.Clear();
        Span<int> inputStart = stackalloc int[BatchGroup];
        Span<int> targetStart = stackalloc int[BatchGroup];
        int inputStride = 0, targetStride = 0;
        for (int g = 0; g < group; g++)
        {
            (inputStart[g], inputStride, targetStart[g], targetStride) = TrainingSupport.BatchItem(first + g, batchSize, steps, warmUp, I, width, on, layout);
        }

        for (int t = 0; t < steps; t++)
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

            int s = t - warmUp;
            if (s < 0 || (on == LossOn.LastStep && s != recorded - 1))
            {
                continue;
            }

            for (int g = 0; g < group; g++)
            {
                Head(values, states.Slice(g * StateLength + (L - 1) * StatePerLayer, H), output);
                int at = on == LossOn.AllSteps ? targetStart[g] + s * targetStride : targetStart[g];
                sums[g] += LossFunctions.Apply(loss, crossEntropy, output, targets.Slice(at, width), scale);
            }
        }

        for (int g = 0; g < group; g++)
        {
            sum += sums[g];
        }
    }
}
