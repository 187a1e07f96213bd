using System;
using System.Globalization;
using System.Numerics.Tensors;

namespace Fixed;

/// <summary>
/// What a classifier's outputs are read with: probabilities (<c>torch.softmax(logits, dim=-1)</c>), the predicted class
/// (<c>torch.argmax(logits, dim=-1)</c>) and accuracy, over one logit vector or over rows <c>[N, classes]</c> (the
/// outputs of <c>Forward</c>, or of many streams). Nothing is allocated; every length is checked before anything is
/// written, with no broadcasting. The vector work is <see cref="TensorPrimitives"/>'.
/// </summary>
public static class Classification
{
    /// <summary>
    /// <c>torch.softmax(logits, dim=-1)</c> of one vector into <paramref name="probabilities"/> (same length; the two
    /// may be the same span). Stable for any finite logits: the largest is subtracted first, as PyTorch does
    /// (<see cref="TensorPrimitives.SoftMax(ReadOnlySpan{float}, Span{float})"/> alone overflows above ~88).
    /// A NaN logit makes every probability NaN, as in PyTorch.
    /// </summary>
    public static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities)
    {
        if (logits.IsEmpty)
        {
            throw new ArgumentException("logits: expected at least 1 float (one logit per class), got 0.", nameof(logits));
        }

        if (probabilities.Length != logits.Length)
        {
            Guard.ThrowLength(nameof(probabilities), logits.Length, Format($"[classes={logits.Length}], as logits"), probabilities.Length);
        }

        SoftmaxRow(logits, probabilities);
    }

    /// <summary>
    /// <c>torch.softmax(logits, dim=-1)</c> of every row of <paramref name="logits"/> (<c>[N, classes]</c>) into
    /// <paramref name="probabilities"/> (same shape; may be the same span).
    /// </summary>
    public static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities, int classes)
    {
        int rows = CheckRows(logits, classes);
        if (probabilities.Length != logits.Length)
        {
            Guard.ThrowLength(nameof(probabilities), logits.Length, Format($"[N={rows}, classes={classes}], as logits"), probabilities.Length);
        }

        for (int r = 0; r < rows; r++)
        {
            SoftmaxRow(logits.Slice(r * classes, classes), probabilities.Slice(r * classes, classes));
        }
    }

    /// <summary>
    /// <c>torch.argmax(logits)</c>: the index of the largest logit, the first one on a tie; a NaN counts as the largest
    /// (the first NaN's index), as in PyTorch.
    /// </summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty)
        {
            throw new ArgumentException("logits: expected at least 1 float (one logit per class), got 0.", nameof(logits));
        }

        return TensorPrimitives.IndexOfMax(logits);
    }

    /// <summary><c>torch.argmax(logits, dim=-1)</c> of every row of <paramref name="logits"/> (<c>[N, classes]</c>) into <paramref name="predicted"/> (<c>[N]</c>).</summary>
    public static void ArgMax(ReadOnlySpan<float> logits, int classes, Span<int> predicted)
    {
        int rows = CheckRows(logits, classes);
        if (predicted.Length != rows)
        {
            throw new ArgumentException(Format($"predicted: expected {rows} ints (shape [N={rows}], one class per row of logits [N, classes={classes}]), got {predicted.Length}."), nameof(predicted));
        }

        for (int r = 0; r < rows; r++)
        {
            predicted[r] = TensorPrimitives.IndexOfMax(logits.Slice(r * classes, classes));
        }
    }

    /// <summary>
    /// The share of rows of <paramref name="logits"/> (<c>[N, classes]</c>) whose <see cref="ArgMax(ReadOnlySpan{float})"/>
    /// is the row's label: <c>(logits.argmax(-1) == labels).float().mean()</c>. <paramref name="labels"/> (<c>[N]</c>) are
    /// class indices stored as floats, as <see cref="Loss.CrossEntropy"/> takes them; one that is not a whole number in
    /// [0, classes) is an <see cref="ArgumentException"/>.
    /// </summary>
    public static float Accuracy(ReadOnlySpan<float> logits, ReadOnlySpan<float> labels, int classes)
    {
        int rows = CheckRows(logits, classes);
        if (labels.Length != rows)
        {
            Guard.ThrowLength(nameof(labels), rows, Format($"[N={rows}], one class index per row of logits [N, classes={classes}]"), labels.Length);
        }

        LossFunctions.CheckTargets(Loss.CrossEntropy, labels, classes, nameof(labels));
        int correct = 0;
        for (int r = 0; r < rows; r++)
        {
            correct += TensorPrimitives.IndexOfMax(logits.Slice(r * classes, classes)) == (int)labels[r] ? 1 : 0;
        }

        return (float)correct / rows;
    }

    private static void SoftmaxRow(ReadOnlySpan<float> logits, Span<float> probabilities)
    {
        // exp(x - max) / sum: the same probabilities, and no exp ever sees a positive argument. In place is allowed:
        // TensorPrimitives accepts a destination that is exactly its source.
        float max = TensorPrimitives.Max(logits);
        TensorPrimitives.Subtract(logits, max, probabilities);
        TensorPrimitives.SoftMax(probabilities, probabilities);
    }

    private static int CheckRows(ReadOnlySpan<float> logits, int classes)
    {
        if (classes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "classes must be at least 1.");
        }

        return Guard.Rows(logits, classes, nameof(logits), "[N, classes={0}]");
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
