using System;
using System.Runtime.CompilerServices;

namespace Fixed.Engine;

/// <summary>
/// A padded batch of sequences of different lengths, as PyTorch's <c>pack_padded_sequence(..., enforce_sorted=False)</c> runs
/// it: sequence b, from the zero state, uses its first <c>lengths[b]</c> steps only, and the loss is the mean over the valid
/// elements (<see cref="TrainingSupport.LossCount(Loss, LossOn, ReadOnlySpan{int}, int)"/>). The sequences run one at a time
/// through the single-sequence recording and sweep (the batched Backward's groups of four step together, which needs one
/// length), so padding is never read.
/// </summary>
public static partial class RecurrentEngine<TShape>
{
    /// <summary>BPTT over sequences of different lengths: adds the gradients into <paramref name="gradients"/> and returns the loss.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static float Backward(ParameterStore<TShape> parameters, Span<float> gradients, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets,
        ReadOnlySpan<int> lengths, Loss loss, LossOn on, SequenceLayout layout, Span<float> tape, Span<float> work) =>
        Backward(parameters, gradients, inputs, targets, lengths, loss, on, layout, tape, work, default, default);

    /// <summary>
    /// BPTT over sequences of different lengths, each from a learned initial state <paramref name="initial"/>, whose gradient
    /// (summed over the sequences) is added into <paramref name="initialGradients"/>: as the batched Backward's overload.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static float Backward(ParameterStore<TShape> parameters, Span<float> gradients, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets,
        ReadOnlySpan<int> lengths, Loss loss, LossOn on, SequenceLayout layout, Span<float> tape, Span<float> work,
        ReadOnlySpan<float> initial, Span<float> initialGradients)
    {
        CheckInitial(initial, initialGradients);
        int steps = TrainingSupport.CheckLengths(I, O, TShape.Window, inputs, targets, lengths, loss, on, layout);
        int width = LossFunctions.TargetWidth(loss, O);
        double divisor = TrainingSupport.LossDivisor(loss, parameters.CrossEntropy, on, lengths, O, targets, steps, layout);
        DropoutMask dropout = NextDropout(parameters);
        Span<float> state = stackalloc float[StateLength];
        double sum = 0;
        for (int b = 0; b < lengths.Length; b++)
        {
            InitialState(initial, state);
            (int inputStart, int inputStride, int targetStart, int targetStride) = TrainingSupport.BatchItem(b, lengths.Length, steps, 0, I, width, on, layout);
            sum += Sequence(parameters, gradients, state, inputs, inputStart, inputStride, lengths[b], targets, targetStart, targetStride,
                loss, on, 0, LossFunctions.Scale(divisor), tape, work, initialGradients, dropout, b);
        }

        return (float)(sum / divisor);
    }

    /// <summary>The loss <see cref="Backward(ParameterStore{TShape}, Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, Loss, LossOn, SequenceLayout, Span{float}, Span{float})"/> would return, from a forward pass only.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static float Evaluate(ParameterStore<TShape> parameters, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets,
        ReadOnlySpan<int> lengths, Loss loss, LossOn on, SequenceLayout layout) =>
        Evaluate(parameters, inputs, targets, lengths, loss, on, layout, default);

    /// <summary>The loss of the Backward from a learned initial state <paramref name="initial"/>, from a forward pass only.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static float Evaluate(ParameterStore<TShape> parameters, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets,
        ReadOnlySpan<int> lengths, Loss loss, LossOn on, SequenceLayout layout, ReadOnlySpan<float> initial)
    {
        CheckInitial(initial, default);
        int steps = TrainingSupport.CheckLengths(I, O, TShape.Window, inputs, targets, lengths, loss, on, layout);
        int width = LossFunctions.TargetWidth(loss, O);
        double divisor = TrainingSupport.LossDivisor(loss, parameters.CrossEntropy, on, lengths, O, targets, steps, layout);
        Span<float> state = stackalloc float[StateLength];
        double sum = 0;
        for (int b = 0; b < lengths.Length; b++)
        {
            InitialState(initial, state);
            (int inputStart, int inputStride, int targetStart, int targetStride) = TrainingSupport.BatchItem(b, lengths.Length, steps, 0, I, width, on, layout);
            sum += EvaluateSequence(parameters, state, inputs, inputStart, inputStride, lengths[b], targets, targetStart, targetStride, loss, on, 0, LossFunctions.Scale(divisor));
        }

        return (float)(sum / divisor);
    }
}
