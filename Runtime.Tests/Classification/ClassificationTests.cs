using System;
using System.Linq;
using Fixed.Tests.Support;
using Xunit;

namespace Fixed.Tests.Classification;

/// <summary>
/// Softmax, argmax and accuracy against torch.softmax / torch.argmax (scripts/make_classification_fixtures.py): random
/// rows, logits far above exp's float32 range, ties and -inf entries. Probabilities within 1e-6 absolute (float32 exp
/// and sum in another order than PyTorch's; every probability is at most 1); argmax exactly.
/// </summary>
public sealed class ClassificationTests
{
    private const int Classes = 5;
    private static readonly SafeTensorFile Data = Fixture.Data("classification/softmax.data.safetensors");

    [Fact]
    public void Softmax_Rows_MatchesTorchSoftmax()
    {
        float[] logits = Data.ReadFloats("logits");
        var probabilities = new float[logits.Length];

        global::Fixed.Classification.Softmax(logits, probabilities, Classes);

        Close.Elementwise(Data.ReadFloats("probabilities"), probabilities, 1e-6, "softmax rows");
    }

    [Fact]
    public void Softmax_OneVectorInPlace_MatchesTorchSoftmaxRowByRow()
    {
        float[] logits = Data.ReadFloats("logits");
        float[] expected = Data.ReadFloats("probabilities");

        for (int r = 0; r < logits.Length / Classes; r++)
        {
            Span<float> row = logits.AsSpan(r * Classes, Classes);
            global::Fixed.Classification.Softmax(row, row);
            Close.Elementwise(expected.AsSpan(r * Classes, Classes), row, 1e-6, "softmax row " + r);
        }
    }

    [Fact]
    public void Softmax_LogitsAboveExpRange_StaysFiniteAndSumsToOne()
    {
        Span<float> probabilities = stackalloc float[3];

        global::Fixed.Classification.Softmax([1000f, 999f, -1000f], probabilities);

        Assert.All(probabilities.ToArray(), p => Assert.True(float.IsFinite(p)));
        Assert.Equal(1f, probabilities[0] + probabilities[1] + probabilities[2], 1e-6f);
        Assert.Equal(1f / (1f + MathF.Exp(-1f)), probabilities[0], 1e-6f);
    }

    [Fact]
    public void Softmax_NaNOrPositiveInfinityLogit_GivesNaNEverywhere()
    {
        // torch.softmax(tensor([1, nan, 0])) and torch.softmax(tensor([inf, 0, 0])) are all NaN.
        Span<float> probabilities = stackalloc float[3];

        global::Fixed.Classification.Softmax([1f, float.NaN, 0f], probabilities);
        Assert.All(probabilities.ToArray(), p => Assert.True(float.IsNaN(p)));

        global::Fixed.Classification.Softmax([float.PositiveInfinity, 0f, 0f], probabilities);
        Assert.All(probabilities.ToArray(), p => Assert.True(float.IsNaN(p)));
    }

    [Fact]
    public void ArgMax_RowsAndOneVector_MatchTorchArgmax()
    {
        float[] logits = Data.ReadFloats("logits");
        int[] expected = Data.ReadFloats("argmax").Select(f => (int)f).ToArray();
        var predicted = new int[expected.Length];

        global::Fixed.Classification.ArgMax(logits, Classes, predicted);

        Assert.Equal(expected, predicted);
        Assert.Equal(expected, Enumerable.Range(0, expected.Length).Select(r => global::Fixed.Classification.ArgMax(logits.AsSpan(r * Classes, Classes))));
    }

    [Fact]
    public void ArgMax_NaN_IsTheFirstNaNAsInTorch()
    {
        // torch.argmax(tensor([1, nan, nan])) is 1.
        Assert.Equal(1, global::Fixed.Classification.ArgMax([1f, float.NaN, float.NaN]));
    }

    [Fact]
    public void Accuracy_IsTheShareOfRowsWhoseArgMaxIsTheLabel()
    {
        float[] logits = Data.ReadFloats("logits");
        float[] labels = Data.ReadFloats("argmax");
        labels[0] = (labels[0] + 1) % Classes;
        labels[3] = (labels[3] + 2) % Classes;

        float accuracy = global::Fixed.Classification.Accuracy(logits, labels, Classes);

        Assert.Equal((labels.Length - 2f) / labels.Length, accuracy);
    }

    [Fact]
    public void Accuracy_LabelThatIsNotAClassIndex_ThrowsNamingIt()
    {
        float[] logits = new float[2 * Classes];

        var e = Assert.Throws<ArgumentException>(() => global::Fixed.Classification.Accuracy(logits, [1f, 5f], Classes));

        Assert.Equal("labels", e.ParamName);
        Assert.Contains("labels[1] = 5", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => global::Fixed.Classification.Accuracy(logits, [1.5f, 0f], Classes));
    }

    [Fact]
    public void WrongLengths_ThrowNamingTheShape_AndWriteNothing()
    {
        float[] logits = [1f, 2f, 3f, 4f, 5f, 6f];
        float[] probabilities = [7f, 7f, 7f, 7f, 7f];
        int[] predicted = [7, 7, 7];

        var e = Assert.Throws<ArgumentException>(() => global::Fixed.Classification.Softmax(logits, probabilities));
        Assert.Equal("probabilities", e.ParamName);
        Assert.Contains("expected 6 floats", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => global::Fixed.Classification.Softmax(logits, probabilities, 3));
        Assert.Contains("[N=2, classes=3]", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => global::Fixed.Classification.Softmax(logits, new float[6], 4));
        Assert.Equal("logits", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => global::Fixed.Classification.ArgMax(logits, 3, predicted));
        Assert.Equal("predicted", e.ParamName);
        Assert.Throws<ArgumentException>(() => global::Fixed.Classification.ArgMax(ReadOnlySpan<float>.Empty));
        Assert.Throws<ArgumentException>(() => global::Fixed.Classification.Softmax(ReadOnlySpan<float>.Empty, Span<float>.Empty));
        Assert.Throws<ArgumentOutOfRangeException>(() => global::Fixed.Classification.Softmax(logits, new float[6], 0));
        Assert.Throws<ArgumentException>(() => global::Fixed.Classification.Accuracy(logits, [0f], 3));

        Assert.All(probabilities, p => Assert.Equal(7f, p));
        Assert.All(predicted, p => Assert.Equal(7, p));
    }

    [Fact]
    public void EveryHelper_100kCalls_AllocatesNothing()
    {
        float[] logits = Data.ReadFloats("logits");
        float[] labels = Data.ReadFloats("argmax");
        var probabilities = new float[logits.Length];
        var predicted = new int[labels.Length];
        Calls();

        SteadyAllocation.AssertNone("Softmax, ArgMax and Accuracy", 100_000, Calls);

        void Calls()
        {
            global::Fixed.Classification.Softmax(logits, probabilities, Classes);
            global::Fixed.Classification.Softmax(logits.AsSpan(0, Classes), probabilities.AsSpan(0, Classes));
            global::Fixed.Classification.ArgMax(logits, Classes, predicted);
            _ = global::Fixed.Classification.ArgMax(logits.AsSpan(0, Classes));
            _ = global::Fixed.Classification.Accuracy(logits, labels, Classes);
        }
    }
}
