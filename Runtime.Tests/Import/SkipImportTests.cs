using System;
using System.Globalization;
using System.IO;
using System.Linq;
using Fixed.Tests.Generator;
using Xunit;

namespace Fixed.Tests.Import;

/// <summary>
/// Residual models made elsewhere (scripts/make_skip_fixtures.py): the guitar-amp trainers' <c>skip</c> and AIDA-X's
/// <c>in_skip</c> become a last <c>[AddInput(n)]</c> layer, at compile time and in <c>Load</c>, and reproduce the outputs
/// PyTorch computed; a residual the model cannot add is refused by name.
/// </summary>
public sealed class SkipImportTests
{
    // Float32 in both, different summation orders and tanh/sigmoid: the contract's 1e-5 between Fixed and PyTorch.
    private const double Tolerance = 1e-5;

    private static string PathOf(string name) => Path.Combine(Fixture.Root, "skip", name);

    private static float[] Csv(string name) => ReferenceOutputs.Csv(PathOf(name));

    private static void AssertMatchesPyTorch(float[] expected, float[] actual) => ReferenceOutputs.AssertWithin(expected, actual, Tolerance, "PyTorch");

    [Fact]
    public void TrainersGruWithSkip_ReproducesPyTorchOutputs()
    {
        Assert.Equal(1, GuitarAmpGruSkip.InputSize);
        AssertMatchesPyTorch(Csv("gru_skip_y.csv"), ReferenceOutputs.Run(new GuitarAmpGruSkip(), Csv("gru_skip_x.csv")));
    }

    [Fact]
    public void TrainersLstmWithSkipOnAConditionedInput_ReproducesPyTorchOutputs()
    {
        Assert.Equal(2, GuitarAmpLstmSkip.InputSize);
        Assert.Equal(1, GuitarAmpLstmSkip.OutputSize);
        AssertMatchesPyTorch(Csv("lstm_skip_y.csv"), ReferenceOutputs.Run(new GuitarAmpLstmSkip(), Csv("lstm_skip_x.csv")));
    }

    [Fact]
    public void RtNeuralInSkip_IsTheModelWithoutItPlusTheInput_BitForBit()
    {
        float[] inputs = File.ReadAllLines(Path.Combine(Fixture.Root, "rtneural", "gru_1d_x_python.csv")).Where(l => l.Length > 0)
            .Select(l => float.Parse(l, CultureInfo.InvariantCulture)).Take(200).ToArray();
        float[] without = ReferenceOutputs.Run(new KerasGru1d(), inputs);
        float[] with = ReferenceOutputs.Run(new KerasGru1dInSkip(), inputs);

        Assert.Equal(without.Select((y, t) => y + inputs[t]).ToArray(), with);
        Assert.Equal(KerasGru1d.Layout.ToArray().Select(p => p.Name), KerasGru1dInSkip.Layout.ToArray().Select(p => p.Name));
    }

    [Fact]
    public void Load_SkipFileAtRunTime_GivesTheCompiledInWeights_AndAFileWithoutTheSkipIsRefused()
    {
        var amp = new GuitarAmpGruSkip(4);
        amp.Load(PathOf("gru_skip.json"));
        Assert.Equal(new GuitarAmpGruSkip().Parameters.ToArray(), amp.Parameters.ToArray());

        string withoutSkip = Path.Combine(Path.GetTempPath(), "fixed-skip-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            File.WriteAllText(withoutSkip, File.ReadAllText(PathOf("gru_skip.json")).Replace("\"skip\": 1", "\"skip\": 0", StringComparison.Ordinal));
            float[] before = amp.Parameters.ToArray();
            var error = Assert.Throws<InvalidDataException>(() => amp.Load(withoutSkip));
            Assert.Contains("AddInput(1)", error.Message, StringComparison.Ordinal);
            Assert.Equal(before, amp.Parameters.ToArray());
        }
        finally
        {
            File.Delete(withoutSkip);
        }
    }

    [Theory]
    [InlineData("\"skip\": 2", "\"model_data\".\"skip\" adds the first 2 input features to the output, but the model takes 1 and gives 1")]
    [InlineData("\"skip\": 1.5", "\"model_data\".\"skip\" is the number 1.5, but a size must be a whole number")]
    [InlineData("\"skip\": \"yes\"", "\"model_data\".\"skip\" is the string")]
    public void TrainersSkipTheModelCannotAdd_IsRefusedNamingIt_AtRunTimeAndAsFIXED052(string skip, string fragment)
    {
        string text = File.ReadAllText(PathOf("gru_skip.json")).Replace("\"skip\": 1", skip, StringComparison.Ordinal);

        var error = Assert.Throws<InvalidDataException>(() => ModelFileFormats.Import(text));

        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n[ModelFile(\"amp.json\")] public partial class Amp;", [new TestAdditionalText("/p/amp.json", text)]);
        Assert.Equal("FIXED052", Assert.Single(run.GeneratorDiagnostics).Id);
    }

    [Fact]
    public void RtNeuralInSkipWiderThanTheOutput_IsRefusedNamingIt()
    {
        string text = File.ReadAllText(PathOf("gru_1d_in_skip.json")).Replace("\"in_skip\": 1", "\"in_skip\": 2", StringComparison.Ordinal);

        var error = Assert.Throws<InvalidDataException>(() => ModelFileFormats.Import(text));

        Assert.Contains("\"in_skip\" adds the first 2 input features to the output, but the model takes 1 and gives 1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"in_skip\": 0")]
    [InlineData("\"in_skip\": false")]
    public void RtNeuralNoSkip_ImportsWithoutAResidual(string skip)
    {
        string text = File.ReadAllText(PathOf("gru_1d_in_skip.json")).Replace("\"in_skip\": 1", skip, StringComparison.Ordinal);

        Assert.DoesNotContain(ModelFileFormats.Import(text).Layers, l => l.Kind == ImportedLayerKind.AddInput);
        Assert.Equal(ImportedLayerKind.AddInput, ModelFileFormats.Import(File.ReadAllText(PathOf("gru_1d_in_skip.json"))).Layers.Last().Kind);
    }
}
