using System;
using System.IO;
using System.Linq;
using Xunit;

namespace Fixed.Tests.Import;

/// <summary>
/// RTNeural's Keras-exported test models, imported at compile time by <c>[ModelFile]</c> (<see cref="KerasGru1d"/>,
/// <see cref="KerasLstm1d"/>, <see cref="KerasDense"/>): each reproduces the outputs Keras itself computed for the same
/// inputs (RTNeural's <c>*_x_python.csv</c> / <c>*_y_python.csv</c>), and <c>Load</c> reads the same files at run time.
/// </summary>
public sealed class RtNeuralImportTests
{
    // Keras computed in float32 with its own summation order and its own tanh/sigmoid/exp; ours differ by a few ulps per
    // operation. The outputs are of order 0.1-1; the largest error measured is 1.8e-7 (LSTM), 1.2e-7 (GRU), 1.2e-8 (MLP).
    private const double Tolerance = 1e-6;

    private static string PathOf(string name) => Path.Combine(Fixture.Root, "rtneural", name);

    private static float[] Csv(string name) => ReferenceOutputs.Csv(PathOf(name));

    private static float[] Run<TModel>(TModel model, float[] inputs)
        where TModel : IRecurrentModel<TModel>
    {
        var state = new float[TModel.StateLength];
        var outputs = new float[inputs.Length / TModel.InputSize * TModel.OutputSize];
        model.Forward(state, inputs, outputs);
        return outputs;
    }

    private static void AssertMatchesKeras(float[] expected, float[] actual) => ReferenceOutputs.AssertWithin(expected, actual, Tolerance, "Keras");

    [Fact]
    public void GruModel_ReproducesKerasOutputs()
    {
        Assert.Equal(1, KerasGru1d.InputSize);
        Assert.Equal(1, KerasGru1d.OutputSize);
        Assert.Equal(8, KerasGru1d.HiddenSize);
        AssertMatchesKeras(Csv("gru_1d_y_python.csv"), Run(new KerasGru1d(), Csv("gru_1d_x_python.csv")));
    }

    [Fact]
    public void LstmModel_ReproducesKerasOutputs()
    {
        Assert.Equal(8, KerasLstm1d.HiddenSize);
        Assert.Equal(8 * 2, KerasLstm1d.StateLength);
        AssertMatchesKeras(Csv("lstm_1d_y_python.csv"), Run(new KerasLstm1d(), Csv("lstm_1d_x_python.csv")));
    }

    [Fact]
    public void DenseModel_ReproducesKerasOutputs()
    {
        Assert.Equal(0, KerasDense.NumLayers);
        Assert.Equal(16, KerasDense.Window);
        AssertMatchesKeras(Csv("dense_y_python.csv"), Run(new KerasDense(), Csv("dense_x_python.csv")));
    }

    [Fact]
    public void ImportedLayers_AreTheStackAHandWrittenClassWouldDeclare()
    {
        string[] expected =
        [
            "gru0.weight_ih_l0 [24, 1]", "gru0.weight_hh_l0 [24, 8]", "gru0.bias_ih_l0 [24]", "gru0.bias_hh_l0 [24]",
            "dense1.weight [8, 8]", "dense1.bias [8]", "dense2.weight [1, 8]", "dense2.bias [1]",
        ];
        Assert.Equal(expected, KerasGru1d.Layout.ToArray().Select(p => p.Name + " [" + string.Join(", ", p.Shape) + "]"));
        string[] mlp =
        [
            "dense0.weight", "dense0.bias", "dense2.weight", "dense2.bias", "dense4.weight", "dense4.bias", "dense6.weight", "dense6.bias",
            "dense8.weight", "dense8.bias", "dense9.weight", "dense10.weight", "dense11.weight",
        ];
        Assert.Equal(mlp, KerasDense.Layout.ToArray().Select(p => p.Name));
    }

    [Fact]
    public void LstmBias_GoesToBiasIh_WithZeroBiasHh()
    {
        var model = new KerasLstm1d();
        ParameterInfo biasHh = KerasLstm1d.Layout.ToArray().Single(p => p.Name == "lstm0.bias_hh_l0");
        ParameterInfo biasIh = KerasLstm1d.Layout.ToArray().Single(p => p.Name == "lstm0.bias_ih_l0");
        Assert.All(model.Parameters.Slice(biasHh.Offset, 32).ToArray(), v => Assert.Equal(0f, v));
        Assert.Contains(model.Parameters.Slice(biasIh.Offset, 32).ToArray(), v => v != 0f);
    }

    [Theory]
    [InlineData("gru_1d.json")]
    [InlineData("lstm_1d.json")]
    [InlineData("dense.json")]
    public void Load_SameFileAtRunTime_GivesTheCompiledInWeights(string file)
    {
        (IParameters embedded, IParameters seeded, Action<string> load) = file switch
        {
            "gru_1d.json" => Pair(new KerasGru1d(), new KerasGru1d(3)),
            "lstm_1d.json" => Pair(new KerasLstm1d(), new KerasLstm1d(3)),
            _ => Pair(new KerasDense(), new KerasDense(3)),
        };
        Assert.NotEqual(embedded.Parameters.ToArray(), seeded.Parameters.ToArray());

        load(PathOf(file));

        Assert.Equal(embedded.Parameters.ToArray(), seeded.Parameters.ToArray());
    }

    private static (IParameters, IParameters, Action<string>) Pair<TModel>(TModel embedded, TModel seeded)
        where TModel : IRecurrentModel<TModel> => (embedded, seeded, seeded.Load);

    [Fact]
    public void Load_FileOfAnotherArchitecture_ThrowsNamingTheDifference_AndChangesNothing()
    {
        var model = new KerasGru1d(5);
        float[] before = model.Parameters.ToArray();

        var error = Assert.Throws<InvalidDataException>(() => model.Load(PathOf("lstm_1d.json")));

        Assert.Contains("lstm_1d.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("lstm0: LSTM(1, 8)", error.Message, StringComparison.Ordinal);
        Assert.Contains("gru0: GRU(1, 8)", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void Load_Stream_ReadsTheSameFormat()
    {
        var model = new KerasLstm1d(5);
        using (FileStream stream = File.OpenRead(PathOf("lstm_1d.json")))
        {
            model.Load(stream);
        }

        Assert.Equal(new KerasLstm1d().Parameters.ToArray(), model.Parameters.ToArray());
    }

    [Fact]
    public void Load_SafeTensorsSavedByTheSameClass_StillLoads()
    {
        var source = new KerasGru1d();
        using var buffer = new MemoryStream();
        source.Save(buffer);
        var target = new KerasGru1d(9);

        buffer.Position = 0;
        target.Load(buffer);

        Assert.Equal(source.Parameters.ToArray(), target.Parameters.ToArray());
    }

    [Fact]
    public void Load_Truncated_ThrowsInvalidData_AndChangesNothing()
    {
        string text = File.ReadAllText(PathOf("gru_1d.json"));
        string path = Path.Combine(Path.GetTempPath(), "fixed-truncated-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, text[..(text.Length / 2)]);
        try
        {
            var model = new KerasGru1d(5);
            float[] before = model.Parameters.ToArray();

            var error = Assert.Throws<InvalidDataException>(() => model.Load(path));

            Assert.Contains(path, error.Message, StringComparison.Ordinal);
            Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
            Assert.Equal(before, model.Parameters.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
