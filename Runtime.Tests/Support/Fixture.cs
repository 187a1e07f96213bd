using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Xunit;

namespace Fixed.Tests;

/// <summary>Reads the PyTorch reference files written by scripts/make_fixtures.py.</summary>
public sealed class Fixture
{
    private readonly SafeTensorFile _data;

    private Fixture(string kind, string name)
    {
        Name = name;
        WeightsPath = Path.Combine(Root, kind, name + ".weights.safetensors");
        _data = SafeTensorFile.Read(Path.Combine(Root, kind, name + ".data.safetensors"));
    }

    public static string Root => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public string Name { get; }

    public string WeightsPath { get; }

    public IReadOnlyDictionary<string, string> Metadata => _data.Metadata;

    public static Fixture Forward(string name) => new("forward", name);

    public static Fixture Grad(string name) => new("grad", name);

    /// <summary>A fixture pair under Fixtures/<paramref name="kind"/> (e.g. <c>bf16</c>, scripts/make_bf16_fixtures.py).</summary>
    public static Fixture Open(string kind, string name) => new(kind, name);

    public static SafeTensorFile Data(string relativePath) => SafeTensorFile.Read(Path.Combine(Root, relativePath));

    public bool Has(string tensor) => _data.TryGetTensor(tensor, out _);

    public float[] Tensor(string tensor) => _data.ReadFloats(tensor);

    public int Int(string key) => int.Parse(_data.Metadata[key], CultureInfo.InvariantCulture);

    public string Text(string key) => _data.Metadata[key];

    /// <summary>The initial state in Fixed's layout (per layer h then c) from h0/c0 [L, H], or zeros.</summary>
    public float[] InitialState(int stateLength, int layers, int hidden, bool lstm)
    {
        var state = new float[stateLength];
        int perLayer = lstm ? 2 * hidden : hidden;
        if (Has("h0"))
        {
            float[] h0 = Tensor("h0");
            for (int l = 0; l < layers; l++)
            {
                Array.Copy(h0, l * hidden, state, l * perLayer, hidden);
            }
        }

        if (lstm && Has("c0"))
        {
            float[] c0 = Tensor("c0");
            for (int l = 0; l < layers; l++)
            {
                Array.Copy(c0, l * hidden, state, l * perLayer + hidden, hidden);
            }
        }

        return state;
    }

    /// <summary>The expected final state in Fixed's layout from h_n/c_n.</summary>
    public float[] FinalState(int stateLength, int layers, int hidden, bool lstm)
    {
        var state = new float[stateLength];
        int perLayer = lstm ? 2 * hidden : hidden;
        float[] hn = Tensor("h_n");
        for (int l = 0; l < layers; l++)
        {
            Array.Copy(hn, l * hidden, state, l * perLayer, hidden);
        }

        if (lstm)
        {
            float[] cn = Tensor("c_n");
            for (int l = 0; l < layers; l++)
            {
                Array.Copy(cn, l * hidden, state, l * perLayer + hidden, hidden);
            }
        }

        return state;
    }
}

/// <summary>
/// Comparisons with the tolerance stated where they are used. Neither reference nor result may hold a NaN, and
/// an infinity matches only the same infinity: a comparison that involves one is not a small error but a
/// different kind of value, so it fails on its own, wherever it sits in the tensor (a running maximum would
/// forget it at the next finite element).
/// </summary>
public static class Close
{
    /// <summary>
    /// Every element within <paramref name="tolerance"/> of the reference, relative to max(1, |reference|):
    /// relative for large values, absolute for values near zero (where float32 rounding is absolute).
    /// </summary>
    public static void Elementwise(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        CheckShapeAndKinds(expected, actual, what);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsInfinity(expected[i]))
            {
                continue; // CheckShapeAndKinds saw the same infinity in actual.
            }

            double error = Math.Abs((double)expected[i] - actual[i]) / Math.Max(1.0, Math.Abs(expected[i]));
            if (error > worst)
            {
                worst = error;
                at = i;
            }
        }

        Assert.True(worst <= tolerance,
            string.Create(CultureInfo.InvariantCulture, $"{what}: element {at} expected {(at >= 0 ? expected[at] : 0)}, got {(at >= 0 ? actual[at] : 0)} (relative error {worst:E2} > {tolerance:E0})."));
    }

    /// <summary>The largest deviation relative to the tensor's largest magnitude (its scale), at most <paramref name="tolerance"/>.</summary>
    public static void Tensor(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        CheckShapeAndKinds(expected, actual, what);
        double scale = 0, worst = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsFinite(expected[i]))
            {
                scale = Math.Max(scale, Math.Abs(expected[i]));
            }
        }

        scale = Math.Max(scale, 1e-6);
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsInfinity(expected[i]))
            {
                continue;
            }

            double error = Math.Abs((double)expected[i] - actual[i]) / scale;
            if (error > worst)
            {
                worst = error;
                at = i;
            }
        }

        Assert.True(worst <= tolerance,
            string.Create(CultureInfo.InvariantCulture, $"{what}: element {at} expected {(at >= 0 ? expected[at] : 0)}, got {(at >= 0 ? actual[at] : 0)} (error {worst:E2} of the tensor's scale {scale:E2} > {tolerance:E0})."));
    }

    /// <summary>Same length; no NaN on either side; an infinity on either side only against the same infinity.</summary>
    private static void CheckShapeAndKinds(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.True(expected.Length == actual.Length,
            string.Create(CultureInfo.InvariantCulture, $"{what}: expected {expected.Length} elements, got {actual.Length}."));
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            if (float.IsNaN(e) || float.IsNaN(a))
            {
                Assert.Fail(string.Create(CultureInfo.InvariantCulture, $"{what}: element {i} expected {e}, got {a}: a NaN never matches."));
            }

            if ((float.IsInfinity(e) || float.IsInfinity(a)) && e != a)
            {
                Assert.Fail(string.Create(CultureInfo.InvariantCulture, $"{what}: element {i} expected {e}, got {a}: an infinity matches only the same infinity."));
            }
        }
    }
}
