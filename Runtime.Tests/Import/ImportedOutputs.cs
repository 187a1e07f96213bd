using System;
using System.Globalization;
using System.IO;
using System.Linq;
using Xunit;

namespace Fixed.Tests.Import;

/// <summary>What the import tests share: a fixture's CSV of numbers, an imported model run over it, and the step-by-step comparison.</summary>
internal static class ImportedOutputs
{
    /// <summary>The numbers of a fixture CSV: one step a line, a step's features separated by spaces.</summary>
    public static float[] Csv(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0)
            .SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(v => (float)double.Parse(v, CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The model's Forward over <paramref name="inputs"/> from the zero state.</summary>
    public static float[] Run<TModel>(TModel model, float[] inputs)
        where TModel : IRecurrentModel<TModel>
    {
        var state = new float[TModel.StateLength];
        var outputs = new float[inputs.Length / TModel.InputSize * TModel.OutputSize];
        model.Forward(state, inputs, outputs);
        return outputs;
    }

    /// <summary>Every output within <paramref name="tolerance"/> of <paramref name="reference"/>'s; the first that is not is named.</summary>
    public static void AssertWithin(string reference, float[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int t = 0; t < expected.Length; t++)
        {
            double error = Math.Abs((double)expected[t] - actual[t]);
            Assert.True(error <= tolerance, $"step {t}: {reference} {expected[t]:R}, Fixed {actual[t]:R}, error {error:E2} over {tolerance:E0}");
        }
    }
}
