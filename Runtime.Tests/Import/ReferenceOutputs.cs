using System;
using System.Globalization;
using System.IO;
using System.Linq;
using Xunit;

namespace Fixed.Tests.Import;

/// <summary>Outputs another framework computed for an imported model, one value a line, and the comparison with Fixed's.</summary>
internal static class ReferenceOutputs
{
    public static float[] Csv(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => (float)double.Parse(l, CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The model's outputs over <paramref name="inputs"/> ([T, InputSize]) from the zero state.</summary>
    public static float[] Run<TModel>(TModel model, float[] inputs)
        where TModel : IRecurrentModel<TModel>
    {
        var state = new float[TModel.StateLength];
        var outputs = new float[inputs.Length / TModel.InputSize * TModel.OutputSize];
        model.Forward(state, inputs, outputs);
        return outputs;
    }

    /// <summary>
    /// Fails at the first step further than <paramref name="tolerance"/> from <paramref name="expected"/> (a NaN fails), naming
    /// the step and both values; writes the largest difference to the test output.
    /// </summary>
    public static void AssertWithin(float[] expected, float[] actual, double tolerance, string reference, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int t = 0; t < expected.Length; t++)
        {
            double error = Math.Abs((double)expected[t] - actual[t]);
            Assert.True(error <= tolerance, $"{what}step {t}: {reference} {expected[t]:R}, Fixed {actual[t]:R}, error {error:E2} over {tolerance:E0}");
            worst = Math.Max(worst, error);
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{what}largest error against {reference} {worst:E2} over {expected.Length} steps");
    }
}
