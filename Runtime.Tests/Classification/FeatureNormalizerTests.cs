using System;
using System.IO;
using Fixed.Tests.Support;
using Xunit;

namespace Fixed.Tests.Classification;

/// <summary>
/// The per-feature normaliser against PyTorch (scripts/make_classification_fixtures.py): mean, population and sample
/// std of features whose offsets and scales differ by 10⁵, and the normalised data; saved with a model and loaded back,
/// from Fixed and from a file Python wrote. Statistics within 1e-6 relative (both sides compute in double and round
/// to float32: equal up to the last bit of the sums); normalised values within 1e-5 (float32 (x - mean) / std,
/// |x - mean| / std up to ~3, one rounding of mean or std moving the result by a few ulps).
/// </summary>
public sealed class FeatureNormalizerTests : IDisposable
{
    private static readonly SafeTensorFile Data = Fixture.Data("classification/normalizer.data.safetensors");
    private readonly string _directory = Directory.CreateTempSubdirectory("fixed-normalizer-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Fit_Population_MatchesNumPyMeanAndStd()
    {
        FeatureNormalizer normalizer = FeatureNormalizer.Fit(Data.ReadFloats("data"), features: 3);

        Close.Elementwise(Data.ReadFloats("mean"), normalizer.Mean, 1e-6, "mean");
        Close.Elementwise(Data.ReadFloats("std_population"), normalizer.Std, 1e-6, "population std");
    }

    [Fact]
    public void Fit_Unbiased_MatchesTorchStd()
    {
        FeatureNormalizer normalizer = FeatureNormalizer.Fit(Data.ReadFloats("data"), features: 3, unbiased: true);

        Close.Elementwise(Data.ReadFloats("std_sample"), normalizer.Std, 1e-6, "sample std");
        Assert.NotEqual(Data.ReadFloats("std_population")[1], normalizer.Std[1]);
    }

    [Fact]
    public void Apply_WholeDataAndRowByRowInPlace_MatchesTorch()
    {
        float[] data = Data.ReadFloats("data");
        float[] expected = Data.ReadFloats("normalized");
        FeatureNormalizer normalizer = FeatureNormalizer.Fit(data, features: 3);
        var outputs = new float[data.Length];

        normalizer.Apply(data, outputs);
        Close.Elementwise(expected, outputs, 1e-5, "normalised data");

        for (int r = 0; r < data.Length / 3; r++)
        {
            normalizer.Apply(data.AsSpan(r * 3, 3));
        }

        Assert.Equal(outputs, data);
    }

    [Fact]
    public void Fit_ConstantFeature_IsDividedByOneAndMapsToZero()
    {
        FeatureNormalizer normalizer = FeatureNormalizer.Fit([1f, 7f, 3f, 7f, 5f, 7f], features: 2);
        Span<float> row = [2f, 7f];

        normalizer.Apply(row);

        Assert.Equal([3f, 7f], normalizer.Mean.ToArray());
        Assert.Equal(1f, normalizer.Std[1]);
        Assert.Equal(-1.0 / Math.Sqrt(8.0 / 3.0), row[0], 1e-6); // feature 0: 1, 3, 5 (population std sqrt(8/3))
        Assert.Equal(0f, row[1]);
    }

    [Fact]
    public void SaveWithModel_LoadBack_RestoresBothExactly()
    {
        var model = new NormalizedGru(seed: 4);
        FeatureNormalizer normalizer = FeatureNormalizer.Fit(Data.ReadFloats("data"), features: 3);
        string path = Path.Combine(_directory, "model.safetensors");

        model.Save(path, normalizer);
        var loaded = new NormalizedGru(seed: 5);
        loaded.Load(path, out FeatureNormalizer? back);

        Assert.Equal(model.ParameterValues.ToArray(), loaded.ParameterValues.ToArray());
        Assert.NotNull(back);
        Assert.Equal(normalizer.Mean.ToArray(), back.Mean.ToArray());
        Assert.Equal(normalizer.Std.ToArray(), back.Std.ToArray());

        // The file is a plain weights file to every other reader: model.Load accepts it unchanged.
        var plain = new NormalizedGru(seed: 6);
        plain.Load(path);
        Assert.Equal(model.ParameterValues.ToArray(), plain.ParameterValues.ToArray());
    }

    [Fact]
    public void Load_FileWithoutNormalizer_LoadsTheWeightsAndGivesNull()
    {
        var model = new NormalizedGru(seed: 4);
        string path = Path.Combine(_directory, "plain.safetensors");
        model.Save(path);

        var loaded = new NormalizedGru(seed: 5);
        loaded.Load(path, out FeatureNormalizer? normalizer);

        Assert.Null(normalizer);
        Assert.Equal(model.ParameterValues.ToArray(), loaded.ParameterValues.ToArray());
    }

    [Fact]
    public void Load_FileWrittenByPython_ReadsTheWeightsAndTheNormalizer()
    {
        var model = new NormalizedGru(seed: 1);
        string path = Path.Combine(Fixture.Root, "classification", "normalized_gru.safetensors");

        model.Load(path, out FeatureNormalizer? normalizer);

        Assert.NotNull(normalizer);
        Assert.Equal(Data.ReadFloats("mean"), normalizer.Mean.ToArray());
        Assert.Equal(Data.ReadFloats("std_population"), normalizer.Std.ToArray());
        Assert.Equal(SafeTensorFile.Read(path).ReadFloats("linear.bias"), model.ParameterValues[^2..].ToArray());
    }

    [Theory]
    [InlineData("[1, 2]", "[1, 2, 3]", "2 means and 3 standard deviations")]
    [InlineData("[1, 2, x]", "[1, 2, 3]", "item 2 is not a number")]
    [InlineData("1, 2, 3", "[1, 2, 3]", "not a list of numbers")]
    [InlineData("[1, 2, 3]", "[1, 0, 3]", "std[1] = 0")]
    [InlineData("[1, 2, 3]", null, "a normaliser needs both")]
    public void Load_DamagedNormalizer_ThrowsNamingIt_AndChangesNothing(string mean, string? std, string expected)
    {
        var source = new NormalizedGru(seed: 4);
        var metadata = new System.Collections.Generic.Dictionary<string, string> { ["fixed.normalizer.mean"] = mean };
        if (std is not null)
        {
            metadata["fixed.normalizer.std"] = std;
        }

        string path = Path.Combine(_directory, "damaged.safetensors");
        ModelWeights.Save(path, NormalizedGru.Layout, source.ParameterValues, metadata);
        var model = new NormalizedGru(seed: 5);
        float[] before = model.ParameterValues.ToArray();

        var e = Assert.Throws<InvalidDataException>(() => model.Load(path, out FeatureNormalizer? _));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("'" + path + "'", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.ParameterValues.ToArray());
    }

    [Fact]
    public void BadArguments_ThrowNamingThem()
    {
        FeatureNormalizer normalizer = FeatureNormalizer.Fit([1f, 2f, 3f, 4f, 5f, 9f], features: 3);
        float[] outputs = [7f, 7f];

        Assert.Equal("outputs", Assert.Throws<ArgumentException>(() => normalizer.Apply([1f, 2f, 3f], outputs)).ParamName);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => normalizer.Apply([1f, 2f], outputs)).ParamName);
        Assert.All(outputs, v => Assert.Equal(7f, v));
        Assert.Contains("data[4] = NaN (row 1, feature 1)", Assert.Throws<ArgumentException>(() => FeatureNormalizer.Fit([1f, 2f, 3f, 4f, float.NaN, 6f], 3)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => FeatureNormalizer.Fit([1f, 2f, 3f], 3, unbiased: true));
        Assert.Throws<ArgumentException>(() => FeatureNormalizer.Fit([1f, 2f, 3f, 4f], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => FeatureNormalizer.Fit([1f], 0));
        Assert.Equal("std", Assert.Throws<ArgumentException>(() => new FeatureNormalizer([0f, 1f], [1f])).ParamName);
        Assert.Equal("std", Assert.Throws<ArgumentException>(() => new FeatureNormalizer([0f], [-1f])).ParamName);
        Assert.Equal("normalizer", Assert.Throws<ArgumentException>(() => new NormalizedGru(seed: 1).Save(Path.Combine(_directory, "x"), new FeatureNormalizer([0f], [1f]))).ParamName);
        Assert.False(File.Exists(Path.Combine(_directory, "x")));
    }

    [Fact]
    public void Apply_InTheStream_100kSteps_AllocatesNothing()
    {
        var model = new NormalizedGru(seed: 1);
        FeatureNormalizer normalizer = FeatureNormalizer.Fit(Data.ReadFloats("data"), features: 3);
        float[] raw = Data.ReadFloats("data");
        var state = default(NormalizedGru.State);
        var input = new float[NormalizedGru.InputSize];
        var output = new float[NormalizedGru.OutputSize];
        int step = 0;
        Step();

        SteadyAllocation.AssertNone("FeatureNormalizer.Apply + Step", 100_000, Step);

        void Step()
        {
            normalizer.Apply(raw.AsSpan(step++ % 40 * 3, 3), input);
            model.Step(ref state, input, output);
        }
    }
}

/// <summary>nn.GRU(3, 4) + nn.Linear(4, 2): the model of normalized_gru.safetensors.</summary>
[Recurrent(3, 4, Cell = Cell.Gru, OutputSize = 2)]
public sealed partial class NormalizedGru;
