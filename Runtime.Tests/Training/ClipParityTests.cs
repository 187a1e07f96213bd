using System;
using Xunit;

namespace Fixed.Tests.Training;

/// <summary>
/// clip_grad_norm_ and clip_grad_value_ against PyTorch. The total norm within 1e-5 relative (we accumulate in
/// double, PyTorch in float32 per tensor), the clipped gradients within 1e-5.
/// </summary>
public sealed class ClipParityTests
{
    private static readonly SafeTensorFile Data = Fixture.Data("clip.data.safetensors");

    public static TheoryData<string, float> Norms => new() { { "p2", 2f }, { "p1", 1f }, { "p3", 3f }, { "pinf", float.PositiveInfinity } };

    [Theory]
    [MemberData(nameof(Norms))]
    public void ClipNorm_AboveMax_ReturnsTotalAndScalesLikePyTorch(string key, float normType)
    {
        float[] gradients = Data.ReadFloats("grads");

        float total = GradientClipping.ClipNorm(gradients, 1f, normType);

        Assert.Equal(Data.ReadFloats("total_" + key)[0], total, 1e-5 * Math.Abs(total));
        Close.Elementwise(Data.ReadFloats("clipped_" + key), gradients, 1e-5, "clipped " + key);
    }

    [Fact]
    public void ClipNorm_BelowMax_LeavesGradientsBitIdentical()
    {
        float[] gradients = Data.ReadFloats("grads_small");
        float[] before = (float[])gradients.Clone();

        float total = GradientClipping.ClipNorm(gradients, 1f);

        Assert.Equal(Data.ReadFloats("total_small_p2")[0], total, 1e-5 * total);
        Assert.Equal(Data.ReadFloats("clipped_small_p2"), gradients);
        Assert.Equal(before, gradients);
    }

    [Fact]
    public void ClipValue_MatchesPyTorch()
    {
        float[] gradients = Data.ReadFloats("grads");

        GradientClipping.ClipValue(gradients, 0.05f);

        Assert.Equal(Data.ReadFloats("clipped_value"), gradients);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void ClipNorm_NonfiniteWithErrorFlag_ThrowsAndLeavesGradientsUntouched(float bad)
    {
        float[] gradients = Data.ReadFloats("grads");
        gradients[7] = bad;
        float[] before = (float[])gradients.Clone();

        Assert.Throws<InvalidOperationException>(() => GradientClipping.ClipNorm(gradients, 1f, 2f, errorIfNonfinite: true));

        Assert.Equal(before, gradients);
    }

    [Fact]
    public void ClipNorm_NanWithoutErrorFlag_PropagatesNanAsPyTorch()
    {
        float[] gradients = [1f, float.NaN, 2f];

        float total = GradientClipping.ClipNorm(gradients, 1f);

        Assert.True(float.IsNaN(total));
        Assert.All(gradients, g => Assert.True(float.IsNaN(g)));
    }
}
