using System;
using System.Diagnostics;

/// <summary>Accuracy, confusion matrix and inference time of a trained <see cref="GestureClassifier"/>.</summary>
internal static class Evaluation
{
    private const int SequenceLength = GestureGenerator.Steps * GestureGenerator.Axes;
    private const int Classes = GestureClassifier.OutputSize;

    /// <summary>The class with the highest logit after the last of the 64 steps, from the zero state.</summary>
    public static int Classify(GestureClassifier model, ReadOnlySpan<float> sequence)
    {
        var state = default(GestureClassifier.State);
        Span<float> logits = stackalloc float[GestureGenerator.Steps * Classes];
        model.Forward(ref state, sequence, logits);
        ReadOnlySpan<float> last = logits[^Classes..];
        int best = 0;
        for (int c = 1; c < Classes; c++)
        {
            if (last[c] > last[best])
            {
                best = c;
            }
        }

        return best;
    }

    public static double Accuracy(GestureClassifier model, float[] inputs, float[] labels)
    {
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            correct += Classify(model, inputs.AsSpan(i * SequenceLength, SequenceLength)) == (int)labels[i] ? 1 : 0;
        }

        return (double)correct / labels.Length;
    }

    public static void PrintConfusion(GestureClassifier model, float[] inputs, float[] labels)
    {
        int[,] counts = new int[Classes, Classes];
        for (int i = 0; i < labels.Length; i++)
        {
            counts[(int)labels[i], Classify(model, inputs.AsSpan(i * SequenceLength, SequenceLength))]++;
        }

        Console.WriteLine($"confusion matrix on the {labels.Length} validation sequences (rows: true gesture, columns: predicted)");
        Console.Write("          ");
        for (int c = 0; c < Classes; c++)
        {
            Console.Write($"{(Gesture)c,8}");
        }

        Console.WriteLine();
        for (int r = 0; r < Classes; r++)
        {
            Console.Write($"{(Gesture)r,-10}");
            for (int c = 0; c < Classes; c++)
            {
                Console.Write($"{counts[r, c],8}");
            }

            Console.WriteLine();
        }
    }

    public static double NanosecondsPerSequence(GestureClassifier model, float[] inputs)
    {
        int sequences = inputs.Length / SequenceLength;
        int sink = 0;
        double[] runs = new double[5];
        for (int run = -1; run < runs.Length; run++)      // run -1 warms up the JIT
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < sequences; i++)
            {
                sink += Classify(model, inputs.AsSpan(i * SequenceLength, SequenceLength));
            }

            if (run >= 0)
            {
                runs[run] = Stopwatch.GetElapsedTime(start).TotalNanoseconds / sequences;
            }
        }

        GC.KeepAlive(sink);
        Array.Sort(runs);
        return runs[runs.Length / 2];
    }
}
