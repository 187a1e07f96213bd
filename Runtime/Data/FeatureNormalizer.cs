using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Numerics.Tensors;
using System.Text;

namespace Fixed;

/// <summary>
/// Per-feature standardisation, <c>(x - mean) / std</c>, fitted on training data and applied to every input row, in
/// training and in the stream alike (scikit-learn's <c>StandardScaler</c>; in PyTorch, <c>(x - x.mean(0)) / x.std(0, unbiased=False)</c>).
/// </summary>
/// <remarks>
/// <para><see cref="Fit"/> uses the population standard deviation (divide by N, NumPy's <c>x.std(axis=0)</c> and
/// scikit-learn's default) unless <c>unbiased: true</c> asks for the sample one (divide by N - 1, <c>torch.std</c>'s
/// default). A feature that is constant in the training data has standard deviation 0: it is divided by 1 instead (as
/// scikit-learn does), so it maps to 0 rather than to NaN.</para>
/// <para>It travels with the model: <see cref="NormalizerFileExtensions.Save{TModel}(TModel, string, FeatureNormalizer)"/>
/// writes it into the weights file's <c>__metadata__</c> (<c>fixed.normalizer.mean</c>, <c>fixed.normalizer.std</c>: JSON
/// lists of floats that round-trip exactly), where PyTorch's and Fixed's weight loaders ignore it; the file's tensors are
/// the model's <c>state_dict</c> and nothing else.</para>
/// </remarks>
public sealed class FeatureNormalizer
{
    internal const string MeanKey = "fixed.normalizer.mean";
    internal const string StdKey = "fixed.normalizer.std";

    private readonly float[] _mean;
    private readonly float[] _std;

    /// <summary>
    /// A normaliser with the given per-feature <paramref name="mean"/> and <paramref name="std"/> (copied; same length,
    /// at least 1; every value finite, every std positive).
    /// </summary>
    public FeatureNormalizer(ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        if (mean.IsEmpty)
        {
            throw new ArgumentException("mean: expected one value per feature (at least 1), got 0.", nameof(mean));
        }

        if (std.Length != mean.Length)
        {
            Guard.ThrowLength(nameof(std), mean.Length, Format($"[features={mean.Length}], as mean"), std.Length);
        }

        for (int i = 0; i < mean.Length; i++)
        {
            if (!float.IsFinite(mean[i]))
            {
                throw new ArgumentException(Format($"mean[{i}] = {mean[i]}: every mean must be finite."), nameof(mean));
            }

            if (!(std[i] > 0f && float.IsFinite(std[i])))
            {
                throw new ArgumentException(Format($"std[{i}] = {std[i]}: every standard deviation must be positive and finite (Fit divides a constant feature by 1)."), nameof(std));
            }
        }

        _mean = mean.ToArray();
        _std = std.ToArray();
    }

    /// <summary>The number of features: the length of one row.</summary>
    public int Features => _mean.Length;

    /// <summary>Each feature's mean.</summary>
    public ReadOnlySpan<float> Mean => _mean;

    /// <summary>What each feature is divided by: its standard deviation, or 1 for a feature that was constant.</summary>
    public ReadOnlySpan<float> Std => _std;

    /// <summary>
    /// Fits the mean and standard deviation of each of <paramref name="features"/> columns of <paramref name="data"/>
    /// (<c>[N, features]</c>, e.g. every step of every training sequence), in double precision.
    /// </summary>
    /// <param name="data">The training inputs, row after row; every value finite.</param>
    /// <param name="features">The length of one row (the model's <c>InputSize</c>).</param>
    /// <param name="unbiased">false (the default): population std, divide by N (NumPy, scikit-learn); true: sample std,
    /// divide by N - 1 (<c>torch.std</c>), which needs at least 2 rows.</param>
    public static FeatureNormalizer Fit(ReadOnlySpan<float> data, int features, bool unbiased = false)
    {
        if (features < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(features), features, "features must be at least 1.");
        }

        int rows = Guard.Rows(data, features, nameof(data), "[N, features={0}]");
        if (unbiased && rows < 2)
        {
            throw new ArgumentException("data: the sample (unbiased) standard deviation needs at least 2 rows, got 1.", nameof(data));
        }

        for (int i = 0; i < data.Length; i++)
        {
            if (!float.IsFinite(data[i]))
            {
                throw new ArgumentException(Format($"data[{i}] = {data[i]} (row {i / features}, feature {i % features}): a normaliser is fitted on finite values only."), nameof(data));
            }
        }

        var mean = new float[features];
        var std = new float[features];
        for (int f = 0; f < features; f++)
        {
            // Two passes, the second over the deviations: no cancellation when the mean is large against the spread.
            double sum = 0;
            for (int r = 0; r < rows; r++)
            {
                sum += data[r * features + f];
            }

            double m = sum / rows;
            double squares = 0;
            for (int r = 0; r < rows; r++)
            {
                double d = data[r * features + f] - m;
                squares += d * d;
            }

            float s = (float)Math.Sqrt(squares / (unbiased ? rows - 1 : rows));
            mean[f] = (float)m;
            std[f] = s > 0f ? s : 1f;
        }

        return new FeatureNormalizer(mean, std);
    }

    /// <summary>
    /// Writes <c>(x - mean) / std</c> of every row of <paramref name="inputs"/> (<c>[N, features]</c>: one step, or a
    /// sequence, or a batch) into <paramref name="outputs"/> (same shape; may be the same span). Allocates nothing.
    /// </summary>
    public void Apply(ReadOnlySpan<float> inputs, Span<float> outputs)
    {
        int rows = Guard.Rows(inputs, _mean.Length, nameof(inputs), "[N, features={0}]");
        if (outputs.Length != inputs.Length)
        {
            Guard.ThrowLength(nameof(outputs), inputs.Length, Format($"[N={rows}, features={_mean.Length}], as inputs"), outputs.Length);
        }

        int width = _mean.Length;
        for (int r = 0; r < rows; r++)
        {
            Span<float> row = outputs.Slice(r * width, width);
            TensorPrimitives.Subtract(inputs.Slice(r * width, width), _mean, row);
            TensorPrimitives.Divide(row, _std, row);
        }
    }

    /// <summary>Normalises <paramref name="values"/> (<c>[N, features]</c>) in place.</summary>
    public void Apply(Span<float> values) => Apply(values, values);

    /// <summary>The <c>__metadata__</c> entries this normaliser is saved as.</summary>
    internal Dictionary<string, string> Metadata() => new(StringComparer.Ordinal)
    {
        [MeanKey] = List(_mean),
        [StdKey] = List(_std),
    };

    /// <summary>The normaliser in a file's metadata, or null when it has none; a damaged one is an <see cref="InvalidDataException"/>.</summary>
    internal static FeatureNormalizer? FromMetadata(IReadOnlyDictionary<string, string> metadata, int features)
    {
        bool hasMean = metadata.TryGetValue(MeanKey, out string? meanText);
        bool hasStd = metadata.TryGetValue(StdKey, out string? stdText);
        if (!hasMean && !hasStd)
        {
            return null;
        }

        if (!hasMean || !hasStd)
        {
            throw new InvalidDataException($"the metadata has '{(hasMean ? MeanKey : StdKey)}' but not '{(hasMean ? StdKey : MeanKey)}': a normaliser needs both.");
        }

        float[] mean = ParseList(MeanKey, meanText!);
        float[] std = ParseList(StdKey, stdText!);
        if (mean.Length != features || std.Length != features)
        {
            throw new InvalidDataException(Format($"the normaliser in the metadata has {mean.Length} means and {std.Length} standard deviations; this model has InputSize {features}."));
        }

        try
        {
            return new FeatureNormalizer(mean, std);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException("the normaliser in the metadata is invalid: " + e.Message, e);
        }
    }

    private static string List(float[] values)
    {
        var text = new StringBuilder("[");
        for (int i = 0; i < values.Length; i++)
        {
            text.Append(i == 0 ? string.Empty : ", ").Append(values[i].ToString("R", CultureInfo.InvariantCulture));
        }

        return text.Append(']').ToString();
    }

    private static float[] ParseList(string key, string text)
    {
        string trimmed = text.Trim();
        if (trimmed.Length < 2 || trimmed[0] != '[' || trimmed[^1] != ']')
        {
            throw new InvalidDataException($"metadata '{key}' is not a list of numbers such as [0.5, -1.25]: {SafeTensorText.Quote(text)}.");
        }

        string[] items = trimmed[1..^1].Split(',');
        var values = new float[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            if (!float.TryParse(items[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
            {
                throw new InvalidDataException($"metadata '{key}' item {i} is not a number: {SafeTensorText.Quote(items[i])}.");
            }
        }

        return values;
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
