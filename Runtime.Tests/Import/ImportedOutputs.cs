using System;
using Xunit;

namespace Fixed.Tests.Import;

/// <summary>Runs an imported model over a fixture's inputs and compares its outputs with those the exporting framework computed.</summary>
internal static class ImportedOutputs
{
    /// <summary>The model's outputs over <paramref name="inputs"/> ([T, InputSize]), from the zero state.</summary>
    public static float[] Run<TModel>(TModel model, float[] inputs)
        where TModel : IRecurrentModel<TModel>
    {
        var state = new float[TModel.StateLength];
        var outputs = new float[inputs.Length / TModel.InputSize * TModel.OutputSize];
        model.Forward(state, inputs, outputs);
        return outputs;
    }

    /// <summary>Every output within <paramref name="tolerance"/> of <paramref name="reference"/>'s (a NaN fails).</summary>
    public static void AssertWithin(float[] expected, float[] actual, double tolerance, string reference)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)expected[i] - actual[i]);
            Assert.True(error <= tolerance, $"value {i}: {reference} {expected[i]:R}, Fixed {actual[i]:R}, error {error:E2} over {tolerance:E0}");
        }
    }
}
