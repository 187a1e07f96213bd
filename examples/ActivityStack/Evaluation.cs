using System;

/// <summary>Classification with a trained <see cref="ActivityClassifier"/>: accuracy and confusion matrix.</summary>
internal static class Evaluation
{
    public const int SequenceLength = ActivityGenerator.Steps * ActivityGenerator.Axes;
    public const int Classes = ActivityClassifier.OutputSize;

    /// <summary>The logits after the last of the 64 steps, from the zero state.</summary>
    public static void LastLogits(ActivityClassifier model, ReadOnlySpan<float> sequence, Span<float> logits)
    {
        var state = default(ActivityClassifier.State);
        Span<float> all = stackalloc float[ActivityGenerator.Steps * Classes];
        model.Forward(ref state, sequence, all);
        all[^Classes..].CopyTo(logits);
    }

    public static int Classify(ActivityClassifier model, ReadOnlySpan<float> sequence)
    {
        Span<float> logits = stackalloc float[Classes];
        LastLogits(model, sequence, logits);
        return ArgMax(logits);
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int c = 1; c < values.Length; c++)
        {
            if (values[c] > values[best])
            {
                best = c;
            }
        }

        return best;
    }

    /// <summary>softmax(logits) into <paramref name="probabilities"/>, shifted by the largest logit so that exp cannot overflow.</summary>
    public static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities)
    {
        float max = logits[ArgMax(logits)], sum = 0;
        for (int c = 0; c < logits.Length; c++)
        {
            probabilities[c] = MathF.Exp(logits[c] - max);
            sum += probabilities[c];
        }

        for (int c = 0; c < logits.Length; c++)
        {
            probabilities[c] /= sum;
        }
    }

    public static double Accuracy(ActivityClassifier model, float[] inputs, float[] labels)
    {
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            correct += Classify(model, inputs.AsSpan(i * SequenceLength, SequenceLength)) == (int)labels[i] ? 1 : 0;
        }

        return (double)correct / labels.Length;
    }

    public static void PrintConfusion(ActivityClassifier model, float[] inputs, float[] labels)
    {
        int[,] counts = new int[Classes, Classes];
        for (int i = 0; i < labels.Length; i++)
        {
            counts[(int)labels[i], Classify(model, inputs.AsSpan(i * SequenceLength, SequenceLength))]++;
        }

        Console.WriteLine($"confusion matrix on the {labels.Length} test recordings (rows: true activity, columns: predicted)");
        Console.Write("           ");
        for (int c = 0; c < Classes; c++)
        {
            Console.Write($"{(Activity)c,9}");
        }

        Console.WriteLine();
        for (int r = 0; r < Classes; r++)
        {
            Console.Write($"{(Activity)r,-11}");
            for (int c = 0; c < Classes; c++)
            {
                Console.Write($"{counts[r, c],9}");
            }

            Console.WriteLine();
        }
    }
}
