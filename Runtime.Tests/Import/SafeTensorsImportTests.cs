using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Fixed.Tests.Generator;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Fixed.Tests.Import;

/// <summary>
/// PyTorch state_dicts saved as safetensors (scripts/make_safetensors_model_fixtures.py, Debian's PyTorch 1.13), imported
/// at compile time through the build's real route (Fixed.targets encodes each *.safetensors AdditionalFiles item as base64
/// text): <see cref="SafeTensorsGruFc"/> (keys sorted by name, as safetensors' save_file writes them, with metadata),
/// <see cref="SafeTensorsLstm2"/> (keys in the state_dict's order, num_layers = 2) and <see cref="SafeTensorsGruFcBf16"/>
/// (BF16 weights). Each reproduces PyTorch's outputs or PyTorch's float32 conversion; Load reads such files at run time;
/// what a state_dict cannot say is refused by name.
/// </summary>
public sealed class SafeTensorsImportTests
{
    // PyTorch and Fixed both compute in float32, in different summation orders and with different tanh/sigmoid: the
    // contract's 1e-5 between Fixed and PyTorch.
    private const double Tolerance = 1e-5;

    private static string PathOf(string name) => Path.Combine(Fixture.Root, "safetensors", name);

    private static byte[] Bytes(string name) => File.ReadAllBytes(PathOf(name));

    private static float[] Csv(string name) => ReferenceOutputs.Csv(PathOf(name));

    private static void AssertMatchesPyTorch(string name, float[] actual) =>
        ReferenceOutputs.AssertWithin(Csv(name + "_y.csv"), actual, Tolerance, "PyTorch", name + " ");

    internal static TestAdditionalText Encoded(string path, byte[] bytes) =>
        new(path, "fixed-safetensors-base64 (test)\n" + Convert.ToBase64String(bytes, Base64FormattingOptions.InsertLineBreaks));

    [Fact]
    public void SortedLikeSaveFile_ReproducesPyTorchOutputs()
    {
        Assert.Equal(2, SafeTensorsGruFc.InputSize);
        Assert.Equal(3, SafeTensorsGruFc.OutputSize);
        AssertMatchesPyTorch("gru_fc", ReferenceOutputs.Run(new SafeTensorsGruFc(), Csv("gru_fc_x.csv")));
    }

    [Fact]
    public void InStateDictOrder_TwoLayerLstm_ReproducesPyTorchOutputs()
    {
        Assert.Equal(2, SafeTensorsLstm2.NumLayers);
        AssertMatchesPyTorch("lstm2", ReferenceOutputs.Run(new SafeTensorsLstm2(), Csv("lstm2_x.csv")));
    }

    [Fact]
    public void Layout_HasTheStateDictNamesInPyTorchsOrder_WhateverTheFileOrder()
    {
        Assert.Equal(["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "fc.weight", "fc.bias"],
            SafeTensorsGruFc.Layout.ToArray().Select(p => p.Name));
        Assert.Equal("rnn: GRU(2, 8); fc: Linear(8, 3)", ModelFileFormats.Import(Bytes("gru_fc.safetensors")).Describe());
        Assert.Equal("lstm: LSTM(1, 6, num_layers=2); head: Linear(6, 1)", ModelFileFormats.Import(Bytes("lstm2.safetensors")).Describe());
    }

    [Theory]
    [InlineData("f16")]
    [InlineData("bf16")]
    [InlineData("f64")]
    public void F16Bf16F64_AreConvertedAsPyTorchsFloatConvertsThem(string dtype)
    {
        // The _float file holds PyTorch's own .float() of the same tensors: the import must give exactly those bits.
        float[] expected = ModelFileFormats.Import(Bytes("gru_fc_" + dtype + "_float.safetensors")).Parameters;
        float[] actual = ModelFileFormats.Import(Bytes("gru_fc_" + dtype + ".safetensors")).Parameters;

        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
        int bias = SafeTensorsGruFc.Layout.ToArray().Single(p => p.Name == "fc.bias").Offset;
        Assert.Equal(MathF.Pow(2, -20), actual[bias]);                           // a float16 subnormal
        Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(actual[bias + 1]));
        if (dtype == "f64")
        {
            Assert.Equal(1f, actual[bias + 2]);                                   // 1 + 2^-24: a tie, to even
        }
    }

    [Fact]
    public void Bf16File_CompiledIn_HoldsPyTorchsFloat32Values()
    {
        float[] expected = ModelFileFormats.Import(Bytes("gru_fc_bf16_float.safetensors")).Parameters;

        Assert.Equal(expected, new SafeTensorsGruFcBf16().Parameters.ToArray());
    }

    [Fact]
    public void Load_SameArchitecture_LoadsIt_FromAnyDTypeAndKeyOrder()
    {
        var model = new SafeTensorsGruFc(4);
        model.Load(PathOf("gru_fc.safetensors"));
        Assert.Equal(new SafeTensorsGruFc().Parameters.ToArray(), model.Parameters.ToArray());

        // Another file of the same modules: F64, imported and converted as at compile time.
        model.Load(PathOf("gru_fc_f64.safetensors"));
        Assert.Equal(ModelFileFormats.Import(Bytes("gru_fc_f64_float.safetensors")).Parameters, model.Parameters.ToArray());

        // What Save writes loads back by name.
        using var saved = new MemoryStream();
        new SafeTensorsGruFc().Save(saved);
        model.Load(new MemoryStream(saved.ToArray()));
        Assert.Equal(new SafeTensorsGruFc().Parameters.ToArray(), model.Parameters.ToArray());

        // A sorted file whose module order is ambiguous (refused at compile time) loads by name into the class that knows the order.
        var lstm = new SafeTensorsLstm2(4);
        lstm.Load(PathOf("lstm2_sorted.safetensors"));
        Assert.Equal(new SafeTensorsLstm2().Parameters.ToArray(), lstm.Parameters.ToArray());
    }

    [Fact]
    public void Load_OtherArchitecture_ThrowsNamingTheFirstDifference_AndChangesNothing()
    {
        var model = new SafeTensorsGruFc(4);
        float[] before = model.Parameters.ToArray();

        var error = Assert.Throws<InvalidDataException>(() => model.Load(PathOf("lstm2.safetensors")));

        Assert.Contains("layer 1 is lstm: LSTM(1, 6, num_layers=2), where the class has rnn: GRU(2, 8)", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("'" + PathOf("lstm2.safetensors") + "'", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters.ToArray());

        // The other way round, from a stream.
        var lstm = new SafeTensorsLstm2(4);
        float[] lstmBefore = lstm.Parameters.ToArray();
        var other = Assert.Throws<InvalidDataException>(() => lstm.Load(new MemoryStream(Bytes("gru_fc.safetensors"))));
        Assert.Contains("layer 1 is rnn: GRU(2, 8), where the class has lstm: LSTM(1, 6, num_layers=2)", other.Message, StringComparison.Ordinal);
        Assert.Equal(lstmBefore, lstm.Parameters.ToArray());
    }

    [Fact]
    public void SortedFile_WhoseModulesChainInTwoOrders_IsRefusedNamingBoth()
    {
        var error = Assert.Throws<UnsupportedModelException>(() => ModelFileFormats.Import(Bytes("lstm2_sorted.safetensors")));

        Assert.Contains("chain in more than one order", error.Message, StringComparison.Ordinal);
        Assert.Contains("head: Linear(6, 1) -> lstm: LSTM(1, 6, num_layers=2)", error.Message, StringComparison.Ordinal);
        Assert.Contains("lstm: LSTM(1, 6, num_layers=2) -> head: Linear(6, 1)", error.Message, StringComparison.Ordinal);
        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n[ModelFile(\"m.safetensors\")] public partial class M;",
            [Encoded("/p/m.safetensors", Bytes("lstm2_sorted.safetensors"))]);
        Assert.Equal("FIXED053", Assert.Single(run.GeneratorDiagnostics).Id);
    }

    [Fact]
    public void SequentialWithAnActivation_IsRefusedNamingTheMissingModule_AndLoadsIntoAHandDeclaredStack()
    {
        var error = Assert.Throws<UnsupportedModelException>(() => ModelFileFormats.Import(Bytes("rnn_head.safetensors")));
        Assert.Contains("'head.1' between them has no tensors", error.Message, StringComparison.Ordinal);

        var model = new SafeTensorsRnnHead(1);
        model.Load(PathOf("rnn_head.safetensors"));
        AssertMatchesPyTorch("rnn_head", ReferenceOutputs.Run(model, Csv("rnn_head_x.csv")));
    }

    [Fact]
    public void Load_TheClassNamesInF16_IntoAClassAStateDictCannotDescribe_NamesTheDType_AndChangesNothing()
    {
        var model = new SafeTensorsRnnHead(1);
        float[] before = model.Parameters.ToArray();
        byte[] bytes = Convert.FromBase64String(Tiny(SafeTensorsRnnHead.Layout.ToArray().Select(p => (p.Name, "F16", p.Shape.ToArray())).ToArray()));

        var error = Assert.Throws<InvalidDataException>(() => model.Load(new MemoryStream(bytes)));

        Assert.Contains("has dtype F16; expected F32", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void SortedFile_NumberedChildren_RunInTheOrderOfTheirNumbers()
    {
        // net.10 sorts before net.2 and all three are Linear(4, 4): only the numbers say the order.
        byte[] bytes = Convert.FromBase64String(Tiny(("net.0.weight", "F32", [4, 4]), ("net.1.weight", "F32", [4, 4]), ("net.10.weight", "F32", [4, 4]),
            ("net.2.weight", "F32", [4, 4]), ("net.3.weight", "F32", [4, 4]), ("net.4.weight", "F32", [4, 4]), ("net.5.weight", "F32", [4, 4]),
            ("net.6.weight", "F32", [4, 4]), ("net.7.weight", "F32", [4, 4]), ("net.8.weight", "F32", [4, 4]), ("net.9.weight", "F32", [4, 4])));

        ImportedModel model = ModelFileFormats.Import(bytes);

        Assert.Equal(Enumerable.Range(0, 11).Select(i => "net." + i), model.Layers.Select(l => l.Name));
    }

    [Fact]
    public void Generator_EncodedFile_EmitsTheSameModelAsTheBuild()
    {
        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n[ModelFile(\"gru_fc.safetensors\")] public partial class G;",
            [Encoded("/p/gru_fc.safetensors", Bytes("gru_fc.safetensors"))]);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
    }

    /// <summary>Tiny state_dicts, each wrong in one way: a header entry per tensor, in the order given.</summary>
    public static TheoryData<string, string, bool> Refusals() => new()
    {
        { "bidirectional", Tiny(("rnn.weight_ih_l0", "F32", [1, 1]), ("rnn.weight_hh_l0", "F32", [1, 1]), ("rnn.weight_ih_l0_reverse", "F32", [1, 1]), ("rnn.weight_hh_l0_reverse", "F32", [1, 1])), true },
        { "proj_size (weight_hr)", Tiny(("rnn.weight_ih_l0", "F32", [4, 1]), ("rnn.weight_hh_l0", "F32", [4, 1]), ("rnn.weight_hr_l0", "F32", [1, 1])), true },
        { "dtype I8", Tiny(("fc.weight", "I8", [1, 1])), true },
        { "a tensor of 3 dimensions", Tiny(("conv.weight", "F32", [1, 1, 1])), true },
        { "do not chain", Tiny(("a.weight", "F32", [1, 2]), ("b.weight", "F32", [1, 2]), ("a.bias", "F32", [1])), false },
        { "chain in no order", Tiny(("a.weight", "F32", [1, 2]), ("b.weight", "F32", [1, 2])), false },
        { "must be [1]", Tiny(("fc.weight", "F32", [1, 1]), ("fc.bias", "F32", [2])), false },
        { "holds no tensors", Tiny(), false },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void InvalidOrUnsupportedFile_IsRefusedNamingTheProblem_AtCompileTimeToo(string fragment, string base64, bool unsupported)
    {
        byte[] bytes = Convert.FromBase64String(base64);

        Exception error = Assert.ThrowsAny<Exception>(() => ModelFileFormats.Import(bytes));

        Assert.IsType(unsupported ? typeof(UnsupportedModelException) : typeof(InvalidDataException), error);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n[ModelFile(\"m.safetensors\")] public partial class M;", [Encoded("/p/m.safetensors", bytes)]);
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal(unsupported ? "FIXED053" : "FIXED052", diagnostic.Id);
        Assert.Contains(fragment, diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"data_offsets\":[0,12]", "\"data_offsets\":[0,99999]", "runs past the end")]
    [InlineData("\"data_offsets\":[12,108]", "\"data_offsets\":[8,104]", "overlaps")]
    [InlineData("\"shape\":[3]", "\"shape\":[4]", "needs 16")]
    [InlineData("{\"format\":\"pt\"}", "{\"format\":1}", "must be a string")]
    [InlineData("\"fc.weight\"", "\"fc.bias\"", "fc.bias")]
    public void HeaderThatLies_IsAnInvalidDataExceptionAndFIXED052_ChangingNothing(string find, string replace, string fragment)
    {
        string original = Encoding.UTF8.GetString(Bytes("gru_fc.safetensors"));
        Assert.Contains(find, original, StringComparison.Ordinal);
        byte[] bytes = WithHeader(Bytes("gru_fc.safetensors"), h => h.Replace(find, replace, StringComparison.Ordinal));
        var model = new SafeTensorsGruFc(4);
        float[] before = model.Parameters.ToArray();

        var error = Assert.Throws<InvalidDataException>(() => model.Load(new MemoryStream(bytes)));

        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters.ToArray());
        Assert.Contains(fragment, Assert.Throws<InvalidDataException>(() => ModelFileFormats.Import(bytes)).Message, StringComparison.Ordinal);
        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n[ModelFile(\"m.safetensors\")] public partial class M;", [Encoded("/p/m.safetensors", bytes)]);
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("FIXED052", diagnostic.Id);
        Assert.Contains(fragment, diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void HugeHeaderLength_IsAnInvalidDataExceptionAndFIXED052_ChangingNothing()
    {
        byte[] bytes = Bytes("gru_fc.safetensors");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue - 7);
        string path = Path.Combine(Path.GetTempPath(), "fixed-huge-header-" + Environment.ProcessId + ".safetensors");
        File.WriteAllBytes(path, bytes);
        try
        {
            var model = new SafeTensorsGruFc(4);
            float[] before = model.Parameters.ToArray();

            // By its name, the file is read as safetensors: the length is the error. From a stream, it is no format at all.
            Assert.Contains("exceeds the limit", Assert.Throws<InvalidDataException>(() => model.Load(path)).Message, StringComparison.Ordinal);
            Assert.Contains("neither", Assert.Throws<InvalidDataException>(() => model.Load(new MemoryStream(bytes))).Message, StringComparison.Ordinal);
            Assert.Equal(before, model.Parameters.ToArray());
        }
        finally
        {
            File.Delete(path);
        }

        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n[ModelFile(\"m.safetensors\")] public partial class M;", [Encoded("/p/m.safetensors", bytes)]);
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("FIXED052", diagnostic.Id);
        Assert.Contains("exceeds the limit", diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void NonFiniteWeight_IsRefusedNamingIt()
    {
        byte[] bytes = Convert.FromBase64String(Tiny(("fc.weight", "F32", [1, 2])));
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(bytes.Length - 4), float.NaN);

        var error = Assert.Throws<InvalidDataException>(() => ModelFileFormats.Import(bytes));

        Assert.Contains("fc.weight[1] is NaN", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A safetensors file of the given entries (name, dtype, shape), tensors laid out in that order, each value 0.25 (or its
    /// bytes 0x01 for 1-byte dtypes), base64 for theory data.
    /// </summary>
    internal static string Tiny(params (string Name, string DType, int[] Shape)[] tensors)
    {
        var header = new StringBuilder("{");
        var data = new List<byte>();
        foreach ((string name, string dtype, int[] shape) in tensors)
        {
            int size = dtype switch { "F64" => 8, "F32" => 4, "F16" or "BF16" => 2, _ => 1 };
            int count = shape.Aggregate(1, (a, b) => a * b);
            header.Append(header.Length > 1 ? "," : string.Empty)
                .Append('"').Append(name).Append("\":{\"dtype\":\"").Append(dtype).Append("\",\"shape\":[").Append(string.Join(",", shape))
                .Append("],\"data_offsets\":[").Append(data.Count).Append(',').Append(data.Count + (count * size)).Append("]}");
            for (int i = 0; i < count; i++)
            {
                data.AddRange(size == 4 ? BitConverter.GetBytes(0.25f) : Enumerable.Repeat((byte)1, size));
            }
        }

        return Convert.ToBase64String(Build(header.Append('}').ToString(), data.ToArray()));
    }

    /// <summary>The file with its header replaced by <paramref name="edit"/> of it (the length prefix rewritten), the data unchanged.</summary>
    internal static byte[] WithHeader(byte[] file, Func<string, string> edit)
    {
        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        string header = Encoding.UTF8.GetString(file, 8, length);
        return Build(edit(header), file[(8 + length)..]);
    }

    private static byte[] Build(string header, byte[] data)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        return bytes;
    }
}
