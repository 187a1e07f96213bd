using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;
using Fixed.Benchmarks.Baselines;
using Fixed.Benchmarks.Models;

namespace Fixed.Benchmarks.Verification;

/// <summary>
/// Proves the baselines compute what the generated model computes, on the same random weights, before any of
/// them is timed: steps (outputs and state), a Forward, one BPTT (loss and every gradient) and the parameters
/// after clipping and one Adam step. Also checks ONNX Runtime against PyTorch's own outputs (checks.json).
/// </summary>
public static class SelfCheck
{
    /// <summary>Largest allowed difference, scaled by max(1, |reference|): float32 sums in different orders.</summary>
    public const float Tolerance = 1e-4f;

    /// <summary>Checks <paramref name="network"/>; returns the largest scaled difference seen, throws beyond <see cref="Tolerance"/>.</summary>
    public static float Check(NetworkId network, int steps = 40)
    {
        var random = new Random(1234);
        BenchNetwork generated = NetworkCatalog.CreateGenerated(network);
        BenchNetwork[] baselines =
        [
            NetworkCatalog.Create(Implementation.Scalar, network),
            NetworkCatalog.Create(Implementation.TensorPrimitives, network),
        ];
        float worst = 0f;
        float[] inputs = RandomVector(random, steps * network.Input);
        float[] expected = new float[1], actual = new float[1];
        float[] expectedSequence = new float[steps], actualSequence = new float[steps];
        float[] window = RandomVector(random, NetworkCatalog.Window * network.Input);
        float[] targets = RandomVector(random, NetworkCatalog.Window);

        foreach (BenchNetwork baseline in baselines)
        {
            string what = $"{network.Display}, {baseline.GetType().Name}";
            generated.State.Clear();
            baseline.State.Clear();
            for (int t = 0; t < steps; t++)
            {
                ReadOnlySpan<float> x = inputs.AsSpan(t * network.Input, network.Input);
                generated.Step(x, expected);
                baseline.Step(x, actual);
                worst = Compare(expected, actual, $"{what}: Step output at t={t}", worst);
                worst = Compare(generated.State, baseline.State, $"{what}: state at t={t}", worst);
            }

            generated.State.Clear();
            baseline.State.Clear();
            generated.Forward(inputs, expectedSequence);
            baseline.Forward(inputs, actualSequence);
            worst = Compare(expectedSequence, actualSequence, $"{what}: Forward outputs", worst);

            BenchNetwork reference = NetworkCatalog.CreateGenerated(network);
            baseline.CopyParametersFrom(reference);
            float expectedLoss = reference.Backward(window, targets);
            float actualLoss = baseline.Backward(window, targets);
            worst = Compare([expectedLoss], [actualLoss], $"{what}: Backward loss", worst);
            worst = Compare(reference.Gradients, baseline.Gradients, $"{what}: gradients", worst);
            reference.ClipStepZero();
            baseline.ClipStepZero();
            worst = Compare(reference.Parameters, baseline.Parameters, $"{what}: parameters after clip + Adam", worst);
            baseline.CopyParametersFrom(generated);
        }

        return worst;
    }

    /// <summary>
    /// Runs ONNX Runtime over each export's recorded PyTorch check (or only <paramref name="only"/>'s); returns the
    /// networks checked with their largest scaled difference, throws beyond <see cref="Tolerance"/>.
    /// </summary>
    public static IReadOnlyList<(NetworkId Network, float Worst)> CheckOnnx(string directory, NetworkId? only = null)
    {
        var results = new List<(NetworkId, float)>();
        string path = Path.Combine(directory, "checks.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        foreach (JsonElement check in document.RootElement.EnumerateArray())
        {
            string[] parts = check.GetProperty("network").GetString()!.Split('_');
            var network = new NetworkId(Enum.Parse<Cell>(parts[0], ignoreCase: true),
                int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture));
            if (only is { } wanted && wanted != network)
            {
                continue;
            }

            float[] inputs = ReadFloats(check.GetProperty("inputs"));
            float[] outputs = ReadFloats(check.GetProperty("outputs"));
            using var ort = new OrtNetwork(network, directory);
            float[] actual = new float[outputs.Length];
            for (int t = 0; t < outputs.Length; t++)
            {
                inputs.AsSpan(t * network.Input, network.Input).CopyTo(ort.Input);
                ort.Step();
                actual[t] = ort.Output[0];
            }

            results.Add((network, Compare(outputs, actual, $"{network.Display}, ONNX Runtime vs PyTorch", 0f)));
        }

        if (only is { } missing && results.Count == 0)
        {
            throw new InvalidOperationException($"{path} has no check for {missing.Display}: run scripts/bench/export_onnx.py.");
        }

        return results;
    }

    private static float[] ReadFloats(JsonElement array)
    {
        var values = new List<float>();
        foreach (JsonElement value in array.EnumerateArray())
        {
            values.Add(value.GetSingle());
        }

        return [.. values];
    }

    private static float[] RandomVector(Random random, int length)
    {
        float[] values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }

    private static float Compare(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what, float worst)
    {
        if (expected.Length != actual.Length)
        {
            throw new InvalidOperationException($"{what}: lengths differ ({expected.Length} vs {actual.Length}).");
        }

        for (int i = 0; i < expected.Length; i++)
        {
            float difference = MathF.Abs(expected[i] - actual[i]) / MathF.Max(1f, MathF.Abs(expected[i]));
            if (!(difference <= Tolerance))
            {
                throw new InvalidOperationException(
                    $"Self-check failed: {what}, index {i}: expected {expected[i]:R}, got {actual[i]:R} (difference {difference:G3} > {Tolerance}).");
            }

            worst = MathF.Max(worst, difference);
        }

        return worst;
    }
}
