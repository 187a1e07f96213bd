using System;
using System.ComponentModel;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Fixed.Engine;

/// <summary>
/// What every <c>Backward</c> does around the network itself, written once for the single-layer engine and the
/// generated layer stacks alike: the argument checks (every length before anything is written), the loss over a
/// recorded sequence, and where each sequence of a batch starts. Public only because generated code calls it.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class TrainingSupport
{
    /// <summary>Checks a single-sequence Backward's arguments; returns T, the number of steps.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static int CheckSingle(int inputSize, int outputSize, int window, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets,
        Loss loss, LossOn on, int warmUp)
    {
        int steps = Guard.Rows(inputs, inputSize, nameof(inputs), "[T, InputSize={0}]");
        Guard.Window(steps, window, nameof(inputs));
        Guard.WarmUp(warmUp, steps);
        LossFunctions.CheckLoss(loss, on);
        int width = LossFunctions.TargetWidth(loss, outputSize);
        int lossSteps = on == LossOn.AllSteps ? steps - warmUp : 1;
        if (targets.Length != lossSteps * width)
        {
            Guard.ThrowLength(nameof(targets), lossSteps * width, TargetShape(loss, on, outputSize, steps - warmUp, batch: 0, SequenceLayout.BatchFirst), targets.Length);
        }

        LossFunctions.CheckTargets(loss, targets, outputSize, nameof(targets));
        return steps;
    }

    /// <summary>Checks a batched Backward's arguments; returns T, the number of steps of every sequence.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static int CheckBatched(int inputSize, int outputSize, int window, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets,
        int batchSize, Loss loss, LossOn on, int warmUp, SequenceLayout layout)
    {
        if (batchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be at least 1.");
        }

        if (layout is not (SequenceLayout.BatchFirst or SequenceLayout.TimeFirst))
        {
            throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown SequenceLayout.");
        }

        if (inputs.Length == 0 || inputs.Length % (batchSize * inputSize) != 0)
        {
            string shape = layout == SequenceLayout.BatchFirst
                ? Format($"[B={batchSize}, T, InputSize={inputSize}]")
                : Format($"[T, B={batchSize}, InputSize={inputSize}]");
            throw new ArgumentException(
                Format($"inputs: expected a positive multiple of B × InputSize = {batchSize * inputSize} floats (shape {shape}), got {inputs.Length}."),
                nameof(inputs));
        }

        int steps = inputs.Length / (batchSize * inputSize);
        Guard.Window(steps, window, nameof(inputs));
        Guard.WarmUp(warmUp, steps);
        LossFunctions.CheckLoss(loss, on);
        int width = LossFunctions.TargetWidth(loss, outputSize);
        int lossSteps = on == LossOn.AllSteps ? steps - warmUp : 1;
        if (targets.Length != batchSize * lossSteps * width)
        {
            Guard.ThrowLength(nameof(targets), batchSize * lossSteps * width, TargetShape(loss, on, outputSize, steps - warmUp, batchSize, layout), targets.Length);
        }

        LossFunctions.CheckTargets(loss, targets, outputSize, nameof(targets));
        return steps;
    }

    /// <summary>
    /// Checks a Backward or Evaluate over a padded batch of sequences of different lengths (<paramref name="lengths"/>, one per
    /// sequence); returns T, the padded length. Only the valid targets are checked (padding is never read).
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static int CheckLengths(int inputSize, int outputSize, int window, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets,
        ReadOnlySpan<int> lengths, Loss loss, LossOn on, SequenceLayout layout)
    {
        int batch = lengths.Length;
        if (batch == 0)
        {
            throw new ArgumentException("lengths: expected one length per sequence of the batch (B = lengths.Length, at least 1), got none.", nameof(lengths));
        }

        if (layout is not (SequenceLayout.BatchFirst or SequenceLayout.TimeFirst))
        {
            throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown SequenceLayout.");
        }

        if (inputs.Length == 0 || inputs.Length % (batch * inputSize) != 0)
        {
            string shape = layout == SequenceLayout.BatchFirst
                ? Format($"[B={batch}, T, InputSize={inputSize}]")
                : Format($"[T, B={batch}, InputSize={inputSize}]");
            throw new ArgumentException(
                Format($"inputs: expected a positive multiple of B × InputSize = {batch * inputSize} floats (shape {shape}, B = lengths.Length, T the padded length), got {inputs.Length}."),
                nameof(inputs));
        }

        int steps = inputs.Length / (batch * inputSize);
        Guard.Window(steps, window, nameof(inputs));
        for (int b = 0; b < batch; b++)
        {
            if (lengths[b] < 1 || lengths[b] > steps)
            {
                throw new ArgumentException(
                    Format($"lengths[{b}] = {lengths[b]}: every length must be in [1, T] = [1, {steps}], T being the padded length the inputs hold ({inputs.Length} floats = B={batch} × T={steps} × InputSize={inputSize})."),
                    nameof(lengths));
            }
        }

        LossFunctions.CheckLoss(loss, on);
        int width = LossFunctions.TargetWidth(loss, outputSize);
        int expected = on == LossOn.LastStep ? batch * width : batch * steps * width;
        if (targets.Length != expected)
        {
            string item = loss == Loss.CrossEntropy ? string.Empty : Format($", OutputSize={outputSize}");
            string shape = on == LossOn.LastStep
                ? Format($"[B={batch}{item}], one target per sequence, for its last valid step")
                : layout == SequenceLayout.BatchFirst
                    ? Format($"[B={batch}, T={steps}{item}], padded like the inputs")
                    : Format($"[T={steps}, B={batch}{item}], padded like the inputs");
            Guard.ThrowLength(nameof(targets), expected, shape, targets.Length);
        }

        if (loss == Loss.CrossEntropy)
        {
            for (int b = 0; b < batch; b++)
            {
                (_, _, int targetStart, int targetStride) = BatchItem(b, batch, steps, 0, inputSize, width, on, layout);
                int valid = on == LossOn.LastStep ? 1 : lengths[b];
                for (int s = 0; s < valid; s++)
                {
                    int at = targetStart + s * targetStride;
                    LossFunctions.CheckClass(targets[at], at, outputSize, nameof(targets));
                }
            }
        }

        return steps;
    }

    /// <summary>
    /// The number of elements a loss over sequences of different lengths is the mean of: per sequence one step
    /// (<see cref="LossOn.LastStep"/>) or its valid steps (<see cref="LossOn.AllSteps"/>), times OutputSize (one for cross-entropy).
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static int LossCount(Loss loss, LossOn on, ReadOnlySpan<int> lengths, int outputSize)
    {
        int items = lengths.Length;
        if (on == LossOn.AllSteps)
        {
            items = 0;
            foreach (int length in lengths)
            {
                items += length;
            }
        }

        return items * (loss == Loss.CrossEntropy ? 1 : outputSize);
    }

    /// <summary>
    /// What the loss over sequences of different lengths divides by: <see cref="LossCount(Loss, LossOn, ReadOnlySpan{int}, int)"/>,
    /// or for weighted cross-entropy the sum of the valid targets' class weights (padding is never read).
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static double LossDivisor(Loss loss, CrossEntropyOptions? crossEntropy, LossOn on, ReadOnlySpan<int> lengths, int outputSize,
        ReadOnlySpan<float> targets, int steps, SequenceLayout layout)
    {
        int count = LossCount(loss, on, lengths, outputSize);
        if (loss != Loss.CrossEntropy || crossEntropy is null || !crossEntropy.Weighted)
        {
            return count;
        }

        double sum = 0;
        for (int b = 0; b < lengths.Length; b++)
        {
            (_, _, int targetStart, int targetStride) = BatchItem(b, lengths.Length, steps, 0, 1, 1, on, layout);
            int valid = on == LossOn.LastStep ? 1 : lengths[b];
            for (int s = 0; s < valid; s++)
            {
                sum += crossEntropy.WeightOf((int)targets[targetStart + s * targetStride]);
            }
        }

        return CrossEntropyOptions.CheckDivisor(sum);
    }

    /// <summary>
    /// What the loss over a batch of equal-length sequences (or one sequence) divides by: <see cref="LossCount(Loss, LossOn, int, int, int, int)"/>,
    /// or for weighted cross-entropy the sum of the class weights of <paramref name="targets"/> (every one of them is used).
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static double LossDivisor(Loss loss, CrossEntropyOptions? crossEntropy, LossOn on, int steps, int warmUp, int outputSize, int batchSize,
        ReadOnlySpan<float> targets) =>
        LossFunctions.Divisor(loss, crossEntropy, LossCount(loss, on, steps, warmUp, outputSize, batchSize), targets);

    /// <summary>The gradients' scale for a mean that divides by <paramref name="divisor"/>: exactly <c>1f / count</c> for a count.</summary>
    public static float LossScale(double divisor) => LossFunctions.Scale(divisor);

    /// <summary>The generated <c>CrossEntropyOptions</c> setter's check: one weight per class, or none.</summary>
    public static CrossEntropyOptions? CheckCrossEntropy(CrossEntropyOptions? options, int classes) => CrossEntropyOptions.Check(options, classes);

    /// <summary>Floats per target: one class index for cross-entropy, else one value per output.</summary>
    public static int TargetWidth(Loss loss, int outputSize) => LossFunctions.TargetWidth(loss, outputSize);

    /// <summary>The number of elements the loss is the mean of, for one sequence (<paramref name="batchSize"/> 1) or a batch.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static int LossCount(Loss loss, LossOn on, int steps, int warmUp, int outputSize, int batchSize) =>
        batchSize * (on == LossOn.AllSteps ? steps - warmUp : 1) * (loss == Loss.CrossEntropy ? 1 : outputSize);

    /// <summary>
    /// Where sequence <paramref name="b"/> of a batch starts and how far apart its steps are, in the inputs and in the
    /// targets, for either layout.
    /// </summary>
    public static (int InputStart, int InputStride, int TargetStart, int TargetStride) BatchItem(int b, int batchSize, int steps, int warmUp,
        int inputSize, int targetWidth, LossOn on, SequenceLayout layout)
    {
        bool batchFirst = layout == SequenceLayout.BatchFirst;
        int inputStart = batchFirst ? b * steps * inputSize : b * inputSize;
        int inputStride = batchFirst ? inputSize : batchSize * inputSize;
        if (on == LossOn.LastStep)
        {
            return (inputStart, inputStride, b * targetWidth, 0);
        }

        int lossSteps = steps - warmUp;
        return batchFirst
            ? (inputStart, inputStride, b * lossSteps * targetWidth, targetWidth)
            : (inputStart, inputStride, b * targetWidth, batchSize * targetWidth);
    }

    /// <summary>Copies <paramref name="rows"/> rows of <paramref name="width"/> floats, <paramref name="stride"/> apart from <paramref name="start"/>, into a dense <c>[rows, width]</c>.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Gather(ReadOnlySpan<float> source, int start, int stride, int width, int rows, Span<float> into)
    {
        for (int r = 0; r < rows; r++)
        {
            source.Slice(start + r * stride, width).CopyTo(into.Slice(r * width, width));
        }
    }

    /// <summary>
    /// The loss over a recorded sequence's outputs (<c>[n, OutputSize]</c>): returns the unreduced sum and overwrites the
    /// outputs with dLoss/dOutput already scaled by <paramref name="scale"/> (the mean's 1/N); with
    /// <see cref="LossOn.LastStep"/> every step but the last gets a zero gradient. <paramref name="crossEntropy"/>: the model's
    /// <see cref="CrossEntropyOptions"/> (null: plain cross-entropy).
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static double ApplyLoss(Loss loss, CrossEntropyOptions? crossEntropy, LossOn on, Span<float> outputs, int outputSize, ReadOnlySpan<float> targets, int targetStart,
        int targetStride, float scale)
    {
        int steps = outputs.Length / outputSize;
        int width = LossFunctions.TargetWidth(loss, outputSize);
        double sum = 0;
        for (int s = 0; s < steps; s++)
        {
            Span<float> output = outputs.Slice(s * outputSize, outputSize);
            if (on == LossOn.AllSteps)
            {
                sum += LossFunctions.Apply(loss, crossEntropy, output, targets.Slice(targetStart + s * targetStride, width), scale);
            }
            else if (s == steps - 1)
            {
                sum += LossFunctions.Apply(loss, crossEntropy, output, targets.Slice(targetStart, width), scale);
            }
            else
            {
                output.Clear();
            }
        }

        return sum;
    }

    /// <summary>
    /// The loss of one step's outputs against its targets: returns the unreduced sum and overwrites
    /// <paramref name="output"/> with dLoss/dOutput scaled by <paramref name="scale"/>, as <see cref="ApplyLoss"/> does per step.
    /// </summary>
    public static double StepLoss(Loss loss, CrossEntropyOptions? crossEntropy, Span<float> output, ReadOnlySpan<float> target, float scale) =>
        LossFunctions.Apply(loss, crossEntropy, output, target, scale);

    /// <summary>The shape the targets must have, for the error message.</summary>
    internal static string TargetShape(Loss loss, LossOn on, int outputSize, int lossSteps, int batch, SequenceLayout layout)
    {
        string item = loss == Loss.CrossEntropy ? string.Empty : Format($", OutputSize={outputSize}");
        string single = loss == Loss.CrossEntropy ? "[1] (one class index)" : Format($"[OutputSize={outputSize}]");
        if (batch == 0)
        {
            return on == LossOn.LastStep ? single : Format($"[T - warmUp={lossSteps}{item}]");
        }

        if (on == LossOn.LastStep)
        {
            return Format($"[B={batch}{item}]");
        }

        return layout == SequenceLayout.BatchFirst
            ? Format($"[B={batch}, T - warmUp={lossSteps}{item}]")
            : Format($"[T - warmUp={lossSteps}, B={batch}{item}]");
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
