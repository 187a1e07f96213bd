using System;
using Xunit;
using Xunit.Sdk;

namespace Fixed.Tests.Support;

/// <summary>
/// The comparison every parity test goes through. It must fail on any NaN (reference or result), on an infinity
/// against anything but the same infinity, on a length mismatch, and on an error over the tolerance wherever it
/// sits; it must pass what is within the tolerance.
/// </summary>
public sealed class CloseTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<float[], float[]> Mismatches => new()
    {
        // The case a running maximum with !(error <= worst) let through: 0.1 is recorded, the NaN replaces it,
        // and the 0 after the NaN replaces the NaN, leaving a worst error of 0.
        { [0f, 0f, 0f], [0.1f, float.NaN, 0f] },
        { [0f, 0f, 0f], [float.NaN, 0f, 0f] },
        { [0f, 0f, 0f], [0f, float.NaN, 0f] },
        { [0f, 0f, 0f], [0f, 0f, float.NaN] },
        { [float.NaN, 0f, 0f], [0f, 0f, 0f] },
        { [0f, float.NaN, 0f], [0f, 0f, 0f] },
        { [0f, 0f, float.NaN], [0f, 0f, 0f] },
        { [1f, float.NaN, 1f], [1f, float.NaN, 1f] },
        { [0f, float.PositiveInfinity, 0f], [0f, 1f, 0f] },
        { [0f, 1f, 0f], [0f, float.PositiveInfinity, 0f] },
        { [0f, 1f, 0f], [0f, float.NegativeInfinity, 0f] },
        { [float.PositiveInfinity], [float.NegativeInfinity] },
        { [float.PositiveInfinity], [float.MaxValue] },
        { [0f, 0f], [0f, 0f, 0f] },
        { [0f, 0f, 0f], [0f, 0f] },
        { [0f, 0f, 0f], [0f, 2e-5f, 0f] },
        { [0f, 0f, 0f], [0f, 0f, 2e-5f] },
        { [1000f, 0f], [1000.03f, 0f] },
        { [0.5f, 2e-5f, 0f], [0.5f, 0f, 0f] },
    };

    public static TheoryData<float[], float[]> Matches => new()
    {
        { [], [] },
        { [0f, 0f, 0f], [0f, 0f, 0f] },
        { [0f, 0f, 0f], [5e-6f, -9e-6f, 0f] },
        { [1000f, -1000f], [1000.005f, -1000.005f] },
        { [0f, float.PositiveInfinity, float.NegativeInfinity], [0f, float.PositiveInfinity, float.NegativeInfinity] },
    };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public void Elementwise_Mismatch_Fails(float[] expected, float[] actual) =>
        Assert.ThrowsAny<XunitException>(() => Close.Elementwise(expected, actual, Tolerance, "case"));

    [Theory]
    [MemberData(nameof(Matches))]
    public void Elementwise_WithinTolerance_Passes(float[] expected, float[] actual) =>
        Close.Elementwise(expected, actual, Tolerance, "case");

    [Theory]
    [MemberData(nameof(Mismatches))]
    public void Tensor_Mismatch_Fails(float[] expected, float[] actual)
    {
        // Close.Tensor measures against the tensor's largest magnitude: scale the numeric cases so that the same
        // deviations are over its tolerance too (every non-NaN, non-infinite mismatch above is >= 2e-5 absolute,
        // on tensors whose largest magnitude is at most 1000).
        Assert.ThrowsAny<XunitException>(() => Close.Tensor(expected, actual, Tolerance / 1000, "case"));
    }

    public static TheoryData<float[], float[]> TensorMatches => new()
    {
        { [], [] },
        { [0f, 0f, 0f], [0f, 0f, 0f] },
        { [1f, 0f, 0f], [1f, 5e-6f, -9e-6f] },
        { [1000f, -1000f], [1000.005f, -1000.005f] },
        { [1f, float.PositiveInfinity, float.NegativeInfinity], [1f, float.PositiveInfinity, float.NegativeInfinity] },
    };

    [Theory]
    [MemberData(nameof(TensorMatches))]
    public void Tensor_WithinTolerance_Passes(float[] expected, float[] actual) =>
        Close.Tensor(expected, actual, Tolerance, "case");

    [Fact]
    public void Tensor_ErrorRelativeToTheLargestMagnitude_PassesUnderAndFailsOver()
    {
        float[] expected = [10f, 0.001f];
        Close.Tensor(expected, [10f, 0.001f + 9e-5f], Tolerance, "under");
        Assert.ThrowsAny<XunitException>(() => Close.Tensor(expected, [10f, 0.001f + 2e-4f], Tolerance, "over"));
    }

    [Fact]
    public void Elementwise_Failure_NamesTheElement()
    {
        XunitException error = Assert.ThrowsAny<XunitException>(() => Close.Elementwise([0f, 0f, 0f], [0.1f, float.NaN, 0f], Tolerance, "probe"));
        Assert.Contains("probe", error.Message, StringComparison.Ordinal);
        Assert.Contains("element 1", error.Message, StringComparison.Ordinal);
    }
}
