using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;
using Xunit;
using static Fixed.Tests.Generator.WeightsFiles;

namespace Fixed.Tests.Generator;

/// <summary>
/// <c>Weights = "file"</c>: the parameterless constructor starts from exactly the floats that <c>Load</c> reads from the
/// same file, whatever the cell, depth, bias, head and the order of the tensors in the file; <c>new M(seed)</c> keeps
/// the random initialisation; the data lives in the assembly's constant data, not in code that builds an array.
/// </summary>
public sealed partial class EmbeddedWeightsTests
{
    public static TheoryData<string> Fixtures() =>
    [
        "rnn_i1_h32_l1_o1_t50_h0",
        "rnn_i1_h2_l3_relu_nobias_o1_t3",
        "gru_i3_h17_l2_nobias_o4_t20",
        "gru_i2_h5_l3_o0_t12_h0",
        "lstm_i3_h7_l2_o2_t16_h0",
        "lstm_i2_h13_l3_nobias_o0_t9",
    ];

    /// <summary>The model declared in this test project with the fixture in its AdditionalFiles (through Fixed.targets).</summary>
    [Fact]
    public void ModelOfThisProject_EmbeddedWeightsEqualLoad()
    {
        var embedded = new EmbeddedRnnRegression();
        var loaded = new EmbeddedRnnRegression(seed: 7);
        Assert.NotEqual(embedded.Parameters.ToArray(), loaded.Parameters.ToArray());

        loaded.Load(Fixture.Forward("rnn_i1_h32_l1_o1_t50_h0").WeightsPath);

        AssertBitEqual(loaded.Parameters, embedded.Parameters);
    }

    [Fact]
    public void ModelOfThisProject_SeededConstructorKeepsTheRandomInitialisation()
    {
        var seeded = new EmbeddedRnnRegression(seed: 3);
        var plain = new RnnRegression(seed: 3);

        AssertBitEqual(plain.Parameters, seeded.Parameters);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void FixtureFile_EmbeddedWeightsEqualLoad(string fixture)
    {
        string path = Fixture.Forward(fixture).WeightsPath;
        string source = "using Fixed;\n[Recurrent(" + Attribute(fixture) + ", Weights = \"" + fixture + ".weights.safetensors\")] public partial class M;";

        Type model = Compile(source, TestAdditionalText.Encoded("/fixtures/" + fixture + ".weights.safetensors", System.IO.File.ReadAllBytes(path)));

        var embedded = (IParameters)Activator.CreateInstance(model)!;
        var loaded = (IParameters)Activator.CreateInstance(model, 5)!;
        model.GetMethod("Load", [typeof(string)])!.Invoke(loaded, [path]);
        AssertBitEqual(loaded.Parameters, embedded.Parameters);
    }

    [Fact]
    public void TensorsInAnotherOrderThanTheModel_AreEmbeddedInParameterOrder()
    {
        var reversed = ModelTensors();
        reversed.Reverse();

        Type model = Compile(Model, TestAdditionalText.Encoded("/p/model.safetensors", File(reversed)));

        AssertBitEqual(ExpectedParameters(), ((IParameters)Activator.CreateInstance(model)!).Parameters);
    }

    [Fact]
    public void EmbeddedWeights_AreConstantDataInTheAssembly()
    {
        Type model = Compile(Model, TestAdditionalText.Encoded("/p/model.safetensors", ValidFile()));

        // The compiler stores a constant byte array read through a ReadOnlySpan<byte> as a field with an RVA (its
        // bytes in the PE image) in <PrivateImplementationDetails>, and the getter reads it in place.
        FieldInfo[] rvaFields = model.Assembly.GetTypes()
            .Where(t => t.Name == "<PrivateImplementationDetails>")
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.NonPublic))
            .Where(f => f.Attributes.HasFlag(FieldAttributes.HasFieldRVA))
            .ToArray();
        Assert.Contains(rvaFields, f => System.Runtime.InteropServices.Marshal.SizeOf(f.FieldType) == 25 * sizeof(float));
    }

    [Fact]
    public void GeneratedSource_CommentsEachTensorAndWrites32BytesALine()
    {
        string source = GeneratorHarness.Run(Model, [TestAdditionalText.Encoded("/p/model.safetensors", ValidFile())]).Source("M.g.cs");

        Assert.Contains("//   weights     compiled in from \"model.safetensors\" (100 B of constant data)", source, StringComparison.Ordinal);
        Assert.Contains("// rnn.weight_hh_l0 [3, 3]: 9 floats", source, StringComparison.Ordinal);
        string[] dataLines = source.Split('\n').Where(l => l.TrimStart().StartsWith("0x", StringComparison.Ordinal)).ToArray();
        Assert.All(dataLines, l => Assert.InRange(Regex.Count(l, "0x"), 1, 32));
        Assert.Equal(25 * sizeof(float), dataLines.Sum(l => Regex.Count(l, "0x")));
    }

    [Fact]
    public void WeightsNameWithLineBreaks_CannotEscapeTheComment()
    {
        string source = Model.Replace("model.safetensors", "m\\u2028x\\nodel.safetensors", StringComparison.Ordinal)
            .Replace("[Recurrent", "/// <summary>A model.</summary>\n[Recurrent", StringComparison.Ordinal);
        TestAdditionalText file = TestAdditionalText.Encoded("m\u2028x\nodel.safetensors", ValidFile());

        GeneratorRun run = GeneratorHarness.Run(source, [file], GeneratorHarness.StrictOptions);

        Assert.True(run.CompilationDiagnostics.IsEmpty, GeneratorHarness.Describe(run.CompilationDiagnostics));
        Assert.Contains("compiled in from \"m?x?odel.safetensors\"", run.Source("M.g.cs"), StringComparison.Ordinal);
    }

    /// <summary>Builds the generated code into an assembly, loaded where it can be unloaded, and returns the model type <c>M</c>.</summary>
    private static Type Compile(string source, params AdditionalText[] texts)
    {
        GeneratorRun run = GeneratorHarness.Run(source, texts);
        Assert.Empty(run.GeneratorDiagnostics);
        using var image = new MemoryStream();
        EmitResult result = run.OutputCompilation.Emit(image);
        Assert.True(result.Success, GeneratorHarness.Describe(result.Diagnostics));
        image.Position = 0;
        return new AssemblyLoadContext("embedded-weights", isCollectible: true).LoadFromStream(image).GetType("M", throwOnError: true)!;
    }

    /// <summary>The attribute arguments of a fixture, from its name: <c>lstm_i3_h7_l2_o2_...</c> → <c>3, 7, Cell = Cell.Lstm, NumLayers = 2, OutputSize = 2</c>.</summary>
    private static string Attribute(string fixture)
    {
        Match match = FixtureName().Match(fixture);
        Assert.True(match.Success, fixture);
        string cell = match.Groups["cell"].Value;
        return match.Groups["i"].Value + ", " + match.Groups["h"].Value +
            ", Cell = Cell." + char.ToUpperInvariant(cell[0]) + cell[1..] +
            ", NumLayers = " + match.Groups["l"].Value +
            ", OutputSize = " + match.Groups["o"].Value +
            (match.Groups["relu"].Success ? ", Nonlinearity = Nonlinearity.Relu" : string.Empty) +
            (match.Groups["nobias"].Success ? ", Bias = false" : string.Empty);
    }

    private static void AssertBitEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"parameter {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    [GeneratedRegex("^(?<cell>rnn|gru|lstm)_i(?<i>\\d+)_h(?<h>\\d+)_l(?<l>\\d+)(?<relu>_relu)?(?<nobias>_nobias)?_o(?<o>\\d+)_")]
    private static partial Regex FixtureName();
}
