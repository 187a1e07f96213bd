using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;
using static Fixed.Tests.Generator.WeightsFiles;

namespace Fixed.Tests.Generator;

/// <summary>
/// FIXED015..FIXED021: every problem with a <c>Weights</c> file is a compile-time error on the <c>Weights</c> argument
/// that names the file and, where one is at fault, the tensor; no code is generated for that model, and nothing else
/// fails to compile. Also the rule that pairs <c>Weights</c> with an AdditionalFiles item.
/// </summary>
public sealed class WeightsDiagnosticTests
{
    [Fact]
    public void NoAdditionalFiles_ReportsFIXED015() =>
        DiagnosticAssert.Reports(RunInvalid(), "FIXED015", WeightsArgument,
            "Weights = \"model.safetensors\" names no AdditionalFiles item", "<AdditionalFiles Include=\"model.safetensors\" />");

    [Fact]
    public void OnlyFilesOfOtherNames_ReportsFIXED015() =>
        DiagnosticAssert.Reports(
            RunInvalid(TestAdditionalText.Encoded("/p/other.safetensors", ValidFile()), TestAdditionalText.Encoded("/p/xmodel.safetensors", ValidFile())),
            "FIXED015", WeightsArgument, "names no AdditionalFiles item");

    [Fact]
    public void EmptyWeights_ReportsFIXED015()
    {
        GeneratorRun run = Run(Model.Replace(WeightsArgument, "Weights = \"\"", System.StringComparison.Ordinal),
            TestAdditionalText.Encoded("/p/model.safetensors", ValidFile()));

        Assert.Equal("FIXED015", Assert.Single(run.GeneratorDiagnostics).Id);
        Assert.Empty(run.GeneratedSources);
    }

    [Fact]
    public void TwoFilesOfTheSameName_ReportsFIXED016ListingBoth() =>
        DiagnosticAssert.Reports(
            RunInvalid(TestAdditionalText.Encoded("/p/a/model.safetensors", ValidFile()), TestAdditionalText.Encoded("/p/b/model.safetensors", ValidFile())),
            "FIXED016", WeightsArgument, "matches 2 AdditionalFiles items", "'/p/a/model.safetensors'", "'/p/b/model.safetensors'");

    [Fact]
    public void BinaryFileTheCompilerCannotRead_ReportsFIXED017PointingToTheTargets() =>
        DiagnosticAssert.Reports(RunInvalid(new TestAdditionalText("/p/model.safetensors", text: null)),
            "FIXED017", WeightsArgument, "'model.safetensors' cannot be compiled in", "could not read it as text", "build/Fixed.targets");

    [Fact]
    public void TextFileWithoutTheMarker_ReportsFIXED017() =>
        DiagnosticAssert.Reports(RunInvalid(new TestAdditionalText("/p/model.safetensors", "{\"rnn.weight_ih_l0\": 1}")),
            "FIXED017", WeightsArgument, "not a base64-encoded safetensors file", "fixed-safetensors-base64");

    [Fact]
    public void MalformedBase64_ReportsFIXED017() =>
        DiagnosticAssert.Reports(RunInvalid(new TestAdditionalText("/p/model.safetensors", "fixed-safetensors-base64\nAAA*\n")),
            "FIXED017", WeightsArgument, "base64 text is malformed");

    public static TheoryData<string, byte[], string> InvalidFiles()
    {
        byte[] valid = ValidFile();
        byte[] longHeader = (byte[])valid.Clone();
        longHeader[0] = 0xFF;
        longHeader[1] = 0xFF;
        string entry = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        return new TheoryData<string, byte[], string>
        {
            { "too short", valid[..5], "too short for the 8-byte header length" },
            { "header past the end", longHeader, "runs past the end of the file" },
            { "not an object", Raw("[]", []), "does not start with '{'" },
            { "not UTF-8", Raw("{\"\u00e9\":1}", []).Select(b => b == 0xC3 ? (byte)0xFF : b).ToArray(), "not valid UTF-8" },
            { "trailing comma", Raw("{\"t\":" + entry + ",}", new byte[4]), "expected a tensor name" },
            { "comment", Raw("{/* c */\"t\":" + entry + "}", new byte[4]), "expected a tensor name" },
            { "repeated tensor", Raw("{\"t\":" + entry + ",\"t\":" + entry + "}", new byte[4]), "tensor 't' appears twice" },
            { "unknown dtype", Raw("{\"t\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]), "tensor 't': unknown dtype 'F33'" },
            { "extra key", Raw("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", new byte[4]), "tensor 't': unexpected key 'x'" },
            { "no shape", Raw("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", new byte[4]), "tensor 't': missing \"shape\"" },
            { "negative dimension", Raw("{\"t\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]), "'-1' is not an integer" },
            { "fractional offset", Raw("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.0]}}", new byte[4]), "'4.0' is not an integer" },
            { "offsets reversed", Raw("{\"t\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", new byte[4]), "tensor 't': data_offsets [4, 0] begins after it ends" },
            { "offsets past the data", Raw("{\"t\":" + entry + "}", new byte[2]), "runs past the end of the 2-byte data buffer" },
            { "bytes not the shape's", Raw("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[4]), "span 4 bytes but shape [2] of F32 needs 8" },
            { "overlap", Raw("{\"a\":" + entry + ",\"b\":" + entry + "}", new byte[4]), "overlaps tensor" },
            { "hole", Raw("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]), "a hole before tensor 't'" },
            { "bytes after the last tensor", Raw("{\"t\":" + entry + "}", new byte[8]), "bytes [4, 8) of the data buffer belong to no tensor" },
            { "more after the object", Raw("{\"t\":" + entry + "} x", new byte[4]), "more after its JSON object" },
            { "lone surrogate", Raw("{\"\\ud800\":" + entry + "}", new byte[4]), "lone surrogate" },
            { "metadata not strings", Raw("{\"__metadata__\":{\"a\":1}}", []), "\"__metadata__\" entry 'a' must be a string" },
        };
    }

    [Theory]
    [MemberData(nameof(InvalidFiles))]
    public void InvalidSafetensorsFile_ReportsFIXED017WithTheDefect(string defect, byte[] file, string message)
    {
        GeneratorRun run = RunInvalid(TestAdditionalText.Encoded("/p/model.safetensors", file));

        DiagnosticAssert.Reports(run, "FIXED017", WeightsArgument, "'model.safetensors' cannot be compiled in: it is not a valid safetensors file", message);
        Assert.True(defect.Length > 0);
    }

    [Fact]
    public void TensorMissing_ReportsFIXED018NamingItAndItsShape()
    {
        List<Tensor> tensors = ModelTensors();
        tensors.RemoveAll(t => t.Name == "rnn.bias_hh_l0");

        DiagnosticAssert.Reports(RunInvalid(TestAdditionalText.Encoded("/p/model.safetensors", File(tensors))),
            "FIXED018", WeightsArgument, "has no tensor 'rnn.bias_hh_l0' (shape [3]), which 'M' needs", "the file has 'rnn.weight_ih_l0'");
    }

    [Fact]
    public void ExtraTensor_ReportsFIXED019NamingIt()
    {
        List<Tensor> tensors = ModelTensors();
        tensors.Insert(2, new Tensor("rnn.weight_ih_l1", [3, 3]));

        DiagnosticAssert.Reports(RunInvalid(TestAdditionalText.Encoded("/p/model.safetensors", File(tensors))),
            "FIXED019", WeightsArgument, "has the tensor 'rnn.weight_ih_l1', which 'M' does not have", "'linear.bias'");
    }

    [Fact]
    public void DoubleTensor_ReportsFIXED020NamingItAndItsDType()
    {
        List<Tensor> tensors = ModelTensors();
        tensors[1] = tensors[1] with { DType = "F64" };

        DiagnosticAssert.Reports(RunInvalid(TestAdditionalText.Encoded("/p/model.safetensors", File(tensors))),
            "FIXED020", WeightsArgument, "Tensor 'rnn.weight_hh_l0'", "has dtype F64", "model.float().state_dict()");
    }

    [Fact]
    public void TransposedTensor_ReportsFIXED021WithBothShapes()
    {
        List<Tensor> tensors = ModelTensors();
        tensors[0] = tensors[0] with { Shape = [2, 3] };

        DiagnosticAssert.Reports(RunInvalid(TestAdditionalText.Encoded("/p/model.safetensors", File(tensors))),
            "FIXED021", WeightsArgument, "Tensor 'rnn.weight_ih_l0'", "has shape [2, 3], but 'M' needs [3, 2]");
    }

    [Fact]
    public void FileForAnotherModel_ReportsEveryTensorAtFault()
    {
        // A file saved from nn.RNN(2, 3, num_layers=2) with no head: layer 1 is extra, the head is missing.
        List<Tensor> tensors = ModelTensors().Take(4).ToList();
        tensors.AddRange([new("rnn.weight_ih_l1", [3, 3]), new("rnn.weight_hh_l1", [3, 3]), new("rnn.bias_ih_l1", [3]), new("rnn.bias_hh_l1", [3])]);

        GeneratorRun run = RunInvalid(TestAdditionalText.Encoded("/p/model.safetensors", File(tensors)));

        Assert.Equal(
            ["FIXED018 linear.weight", "FIXED018 linear.bias", "FIXED019 rnn.weight_ih_l1", "FIXED019 rnn.weight_hh_l1", "FIXED019 rnn.bias_ih_l1", "FIXED019 rnn.bias_hh_l1"],
            run.GeneratorDiagnostics.Select(d => d.Id + " " + d.GetMessage(CultureInfo.InvariantCulture).Split('\'')[3]));
        Assert.All(run.GeneratorDiagnostics, d => Assert.Equal(WeightsArgument, DiagnosticAssert.LocatedText(run, d)));
    }

    [Fact]
    public void InvalidWeightsOnOneModel_OtherModelsStillGenerate()
    {
        GeneratorRun run = Run(Model + "\n[Recurrent(1, 4)] public partial class Other;", TestAdditionalText.Encoded("/p/other.safetensors", ValidFile()));

        Assert.Equal("FIXED015", Assert.Single(run.GeneratorDiagnostics).Id);
        Assert.Equal("Other.g.cs", Assert.Single(run.GeneratedSources).HintName);
    }

    [Theory]
    [InlineData("/p/model.safetensors", "model.safetensors")]
    [InlineData("/p/weights/model.safetensors", "weights/model.safetensors")]
    [InlineData("C:\\p\\weights\\model.safetensors", "weights/model.safetensors")]
    [InlineData("/p/weights/model.safetensors", "weights\\model.safetensors")]
    [InlineData("/p/weights/model.safetensors", "./weights/model.safetensors")]
    [InlineData("/p/Weights/Model.SafeTensors", "weights/model.safetensors")]
    [InlineData("model.safetensors", "model.safetensors")]
    public void WeightsMatchingTheEndOfTheItemPath_Generates(string itemPath, string weights)
    {
        GeneratorRun run = Run(Model.Replace("model.safetensors", weights.Replace("\\", "\\\\", System.StringComparison.Ordinal), System.StringComparison.Ordinal),
            TestAdditionalText.Encoded(itemPath, ValidFile()));

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Single(run.GeneratedSources);
    }

    [Theory]
    [InlineData("/p/weights/model.safetensors", "eights/model.safetensors")]
    [InlineData("/p/model.safetensors", "p/weights/model.safetensors")]
    [InlineData("/p/model.safetensors", "../p/model.safetensors")]
    [InlineData("/p/model.safetensors.b64", "model.safetensors")]
    public void WeightsNotEndingTheItemPathAtASeparator_ReportsFIXED015(string itemPath, string weights)
    {
        GeneratorRun run = Run(Model.Replace("model.safetensors", weights, System.StringComparison.Ordinal), TestAdditionalText.Encoded(itemPath, ValidFile()));

        Assert.Equal("FIXED015", Assert.Single(run.GeneratorDiagnostics).Id);
    }

    [Fact]
    public void EncodedCopy_IsMatchedByTheOriginalPathInItsMetadata()
    {
        TestAdditionalText copy = TestAdditionalText.Encoded("/p/obj/fixed-weights/1a2b3c4d/model.safetensors.b64", ValidFile(), originalPath: "/p/weights/model.safetensors");

        GeneratorRun run = Run(Model.Replace("model.safetensors", "weights/model.safetensors", System.StringComparison.Ordinal), copy);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Single(run.GeneratedSources);
    }

    [Fact]
    public void SameItemListedTwice_IsOneFile()
    {
        GeneratorRun run = Run(Model, TestAdditionalText.Encoded("/p/model.safetensors", ValidFile()), TestAdditionalText.Encoded("/p/model.safetensors", ValidFile()));

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Single(run.GeneratedSources);
    }

    [Fact]
    public void MetadataAndAnyTensorOrder_Generates()
    {
        List<Tensor> tensors = ModelTensors();
        tensors.Reverse();
        byte[] file = File(tensors);
        string header = System.Text.Encoding.UTF8.GetString(file, 8, (int)System.BitConverter.ToUInt64(file)).Replace("{\"linear", "{\"__metadata__\":{\"format\":\"pt\"},\"linear", System.StringComparison.Ordinal);

        GeneratorRun run = Run(Model, TestAdditionalText.Encoded("/p/model.safetensors", Raw(header, file[(8 + (int)System.BitConverter.ToUInt64(file))..])));

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Single(run.GeneratedSources);
    }

    private static GeneratorRun Run(string source, params AdditionalText[] texts) => GeneratorHarness.Run(source, texts);

    /// <summary>The model with the given AdditionalFiles: no code for it, and no compile error but the generator's.</summary>
    private static GeneratorRun RunInvalid(params AdditionalText[] texts)
    {
        GeneratorRun run = Run(Model, texts);

        Assert.Empty(run.GeneratedSources);
        Assert.True(run.CompilationErrors.IsEmpty, GeneratorHarness.Describe(run.CompilationErrors));
        return run;
    }
}
