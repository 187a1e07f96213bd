using System;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Fixed;

/// <summary>
/// PyTorch's losses, element by element. <see cref="Apply(Loss, Span{float}, ReadOnlySpan{float}, float)"/> returns the unreduced sum for one output vector
/// and overwrites the output with dLoss/dOutput already multiplied by the mean's 1/N.
/// </summary>
internal static class LossFunctions
{
    /// <summary>Floats per target: one class index for cross-entropy, else one value per output.</summary>
    public static int TargetWidth(Loss loss, int outputSize) => loss == Loss.CrossEntropy ? 1 : outputSize;

    public static void CheckLoss(Loss loss, LossOn on)
    {
        if (loss is not (Loss.Mse or Loss.L1 or Loss.Huber or Loss.CrossEntropy))
        {
            throw new ArgumentOutOfRangeException(nameof(loss), loss, "Unknown Loss.");
        }

        if (on is not (LossOn.AllSteps or LossOn.LastStep))
        {
            throw new ArgumentOutOfRangeException(nameof(on), on, "Unknown LossOn.");
        }
    }

    /// <summary>Cross-entropy targets must be whole class indices in [0, classes).</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void CheckTargets(Loss loss, ReadOnlySpan<float> targets, int classes, string parameterName)
    {
        if (loss != Loss.CrossEntropy)
        {
            return;
        }

        for (int i = 0; i < targets.Length; i++)
        {
            CheckClass(targets[i], i, classes, parameterName);
        }
    }

    /// <summary>One cross-entropy target, <paramref name="parameterName"/>[<paramref name="index"/>]: a whole class index in [0, classes).</summary>
    public static void CheckClass(float target, int index, int classes, string parameterName)
    {
        if (!(target >= 0f && target < classes && MathF.Truncate(target) == target))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{parameterName}[{index}] = {target}: a cross-entropy target is a class index stored as a float, a whole number in [0, {classes - 1}] (OutputSize = {classes} classes)."),
                parameterName);
        }
    }

    /// <summary><see cref="Apply(Loss, Span{float}, ReadOnlySpan{float}, float)"/>, with a model's cross-entropy options (null: plain).</summary>
    /// <remarks>
    /// MSE, the common case, is inlined into the caller (the training loops call this once per step for a few outputs, where
    /// the call itself was a visible share: ~2 % of an RNN 1→32 training iteration); the other losses are a call.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    public static double Apply(Loss loss, CrossEntropyOptions? crossEntropy, Span<float> output, ReadOnlySpan<float> target, float scale)
    {
        if (loss == Loss.Mse)
        {
            return Mse(output, target, scale);
        }

        return loss == Loss.CrossEntropy && crossEntropy is not null ? crossEntropy.Apply(output, (int)target[0], scale) : Apply(loss, output, target, scale);
    }

    /// <summary>Σ (output − target)², and dLoss/dOutput = 2·(output − target)·<paramref name="scale"/> over the output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static double Mse(Span<float> output, ReadOnlySpan<float> target, float scale)
    {
        double sum = 0;
        for (int i = 0; i < output.Length; i++)
        {
            sum += SquaredError(output[i], target[i], scale, out output[i]);
        }

        return sum;
    }

    /// <summary>
    /// One element of the squared error: returns (output − target)² and sets <paramref name="gradient"/> to
    /// 2·(output − target)·<paramref name="scale"/>. The one formula of <see cref="Mse"/> and of training's one-output fast path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SquaredError(float output, float target, float scale, out float gradient)
    {
        float d = output - target;
        gradient = 2f * d * scale;
        return d * d;
    }

    /// <summary>
    /// What a mean over <paramref name="count"/> elements divides by: <paramref name="count"/>, or for weighted cross-entropy
    /// the sum of the weights of <paramref name="targets"/>' classes (every target the loss uses).
    /// </summary>
    public static double Divisor(Loss loss, CrossEntropyOptions? crossEntropy, int count, ReadOnlySpan<float> targets) =>
        loss == Loss.CrossEntropy && crossEntropy is not null ? crossEntropy.Divisor(targets, count) : count;

    /// <summary>1 / divisor as the gradients' scale: exactly <c>1f / count</c> when the mean is over a count.</summary>
    public static float Scale(double divisor) => divisor == Math.Floor(divisor) && divisor <= int.MaxValue ? 1f / (int)divisor : (float)(1.0 / divisor);

    [MethodImpl(CompiledAtOnce.Optimized)]
    public static double Apply(Loss loss, Span<float> output, ReadOnlySpan<float> target, float scale)
    {
        double sum = 0;
        switch (loss)
        {
            case Loss.Mse:
                sum = Mse(output, target, scale);
                break;
            case Loss.L1:
                for (int i = 0; i < output.Length; i++)
                {
                    float d = output[i] - target[i];
                    sum += MathF.Abs(d);
                    output[i] = d > 0f ? scale : d < 0f ? -scale : d == 0f ? 0f : d;
                }

                break;
            case Loss.Huber:
                for (int i = 0; i < output.Length; i++)
                {
                    float d = output[i] - target[i];
                    float a = MathF.Abs(d);
                    sum += a < 1f ? 0.5f * d * d : a - 0.5f;
                    output[i] = (d < -1f ? -1f : d > 1f ? 1f : d) * scale;
                }

                break;
            default:
                sum = CrossEntropy(output, (int)target[0], scale);
                break;
        }

        return sum;
    }

    /// <summary><c>logsumexp(z) - z[c]</c>, with softmax(z) - onehot(c) as the gradient; max-shifted for stability.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static double CrossEntropy(Span<float> logits, int target, float scale)
    {
        float max = float.NegativeInfinity;
        for (int i = 0; i < logits.Length; i++)
        {
            max = MathF.Max(max, logits[i]);
        }

        double total = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            total += Math.Exp(logits[i] - max);
        }

        double logSum = Math.Log(total) + max;
        double loss = logSum - logits[target];
        for (int i = 0; i < logits.Length; i++)
        {
            float softmax = (float)Math.Exp(logits[i] - logSum);
            logits[i] = (softmax - (i == target ? 1f : 0f)) * scale;
        }

        return loss;
    }
}
