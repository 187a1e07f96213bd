using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Xunit;
using static Fixed.Tests.IO.SafeTensorBytes;

namespace Fixed.Tests.IO;

public sealed class ModelWeightsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fixed-io-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static float[] LoadFrom(byte[] file, string rnnPrefix = "rnn", string headPrefix = "linear")
    {
        float[] parameters = Sentinel();
        ModelWeights.Load(new MemoryStream(file), Layout, rnnPrefix, headPrefix, parameters);
        return parameters;
    }

    /// <summary>Loading must fail with InvalidDataException naming every part, and leave the parameters as they were.</summary>
    private static void AssertLoadFails(byte[] file, params string[] messageParts) =>
        AssertLoadFails(file, "rnn", "linear", messageParts);

    private static void AssertLoadFails(byte[] file, string rnnPrefix, string headPrefix, params string[] messageParts)
    {
        float[] parameters = Sentinel();

        InvalidDataException error = Assert.Throws<InvalidDataException>(
            () => ModelWeights.Load(new MemoryStream(file), Layout, rnnPrefix, headPrefix, parameters));

        foreach (string part in messageParts)
        {
            Assert.Contains(part, error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(Sentinel(), parameters);
    }

    // ---- round trips and names --------------------------------------------------------------------

    [Fact]
    public void SaveThenLoad_Stream_RestoresEveryBit()
    {
        float[] original = Parameters();
        original[3] = float.NaN;
        original[4] = -0f;
        original[5] = float.Epsilon;
        using var stream = new MemoryStream();
        ModelWeights.Save(stream, Layout, original);
        stream.Position = 0;
        float[] loaded = Sentinel();

        ModelWeights.Load(stream, Layout, "rnn", "linear", loaded);

        Assert.Equal(Array.ConvertAll(original, BitConverter.SingleToInt32Bits), Array.ConvertAll(loaded, BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Save_WritesStateDictNamesShapesAndMetadata()
    {
        SafeTensorFile file = SafeTensorFile.Read(SavedModel(new Dictionary<string, string> { ["format"] = "pt" }));

        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(3, file.Tensors.Count);
        for (int i = 0; i < Layout.Length; i++)
        {
            Assert.Equal(Layout[i].Name, file.Tensors[i].Name);
            Assert.Equal(Layout[i].Shape, file.Tensors[i].Shape);
            Assert.Equal(Parameters().AsSpan(Layout[i].Offset, Layout[i].Length).ToArray(), file.ReadFloats(Layout[i].Name));
        }
    }

    [Fact]
    public void Load_HandBuiltFileWithTensorsInAnotherOrder_LoadsByName()
    {
        float[] values = Parameters();
        // The head first in the buffer and in the header: names, not positions, decide where values go.
        byte[] data = [.. Floats(values[9..]), .. Floats(values[..6]), .. Floats(values[6..9])];
        byte[] file = File(
            "{\"linear.weight\":{\"dtype\":\"F32\",\"shape\":[1,3],\"data_offsets\":[0,12]}," +
            "\"rnn.weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[12,36]}," +
            "\"rnn.bias_ih_l0\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[36,48]}}",
            data);

        Assert.Equal(values, LoadFrom(file));
    }

    [Fact]
    public void Load_ParsedFile_LoadsWithoutRereading()
    {
        SafeTensorFile file = SafeTensorFile.Read(SavedModel());
        float[] parameters = Sentinel();

        ModelWeights.Load(file, Layout, "rnn", "linear", parameters);

        Assert.Equal(Parameters(), parameters);
    }

    [Theory]
    [InlineData("rnn", "linear", "rnn.", "linear.")]
    [InlineData("rnn.", "linear.", "rnn.", "linear.")]
    [InlineData("model.encoder", "model.head.", "model.encoder.", "model.head.")]
    [InlineData("", "fc", "", "fc.")]
    [InlineData("gru", "", "gru.", "")]
    public void Load_Prefixes_WithOrWithoutTrailingDot(string rnnPrefix, string headPrefix, string rnnInFile, string headInFile)
    {
        byte[] file = ModelFile(rnnInFile + "weight_ih_l0", rnnInFile + "bias_ih_l0", headInFile + "weight");

        Assert.Equal(Parameters(), LoadFrom(file, rnnPrefix, headPrefix));
    }

    [Fact]
    public void Load_PrefixesThatCollide_ThrowsArgument()
    {
        var layout = new ParameterInfo[] { new("rnn.weight", 0, [1]), new("linear.weight", 1, [1]) };

        ArgumentException error = Assert.Throws<ArgumentException>(
            () => ModelWeights.Load(new MemoryStream(SavedModel()), layout, "m", "m", new float[2]));

        Assert.Contains("map two tensors to 'm.weight'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WrongParameterLength_ThrowsArgumentBeforeReading()
    {
        var stream = new MemoryStream(SavedModel());

        ArgumentException error = Assert.Throws<ArgumentException>(
            () => ModelWeights.Load(stream, Layout, "rnn", "linear", new float[ParameterCount + 1]));

        Assert.Equal("parameters", error.ParamName);
        Assert.Equal(0, stream.Position);
    }

    // ---- every kind of mismatch leaves the parameters untouched ---------------------------------------

    [Fact]
    public void Load_MissingTensor_NamesItAndListsTheFile()
    {
        AssertLoadFails(ModelFile(headName: "linear.bias"),
            "missing tensor 'linear.weight'", "the file has 'rnn.weight_ih_l0', 'rnn.bias_ih_l0', 'linear.bias'");
    }

    [Fact]
    public void Load_TensorsUnderAnotherPrefix_SaysWhichPrefixToPass()
    {
        AssertLoadFails(ModelFile("model.rnn.weight_ih_l0", "model.rnn.bias_ih_l0", "model.linear.weight"),
            "missing tensor 'rnn.weight_ih_l0' (the file has 'model.rnn.weight_ih_l0': pass the prefix 'model.rnn')");
    }

    [Fact]
    public void Load_BareNamesWithDefaultPrefix_SaysToPassAnEmptyPrefix()
    {
        AssertLoadFails(ModelFile("weight_ih_l0", "bias_ih_l0", "linear.weight"),
            "(the file has 'weight_ih_l0': pass an empty prefix)");
    }

    [Fact]
    public void Load_ExtraTensor_NamesIt()
    {
        float[] values = Parameters();
        byte[] file = File(
            "{\"rnn.weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[0,24]}," +
            "\"rnn.bias_ih_l0\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[24,36]}," +
            "\"linear.weight\":{\"dtype\":\"F32\",\"shape\":[1,3],\"data_offsets\":[36,48]}," +
            "\"rnn.weight_ih_l1\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[48,52]}}",
            [.. Floats(values), .. Floats(1f)]);

        AssertLoadFails(file, "unexpected tensor 'rnn.weight_ih_l1'", "the model has exactly 'rnn.weight_ih_l0', 'rnn.bias_ih_l0', 'linear.weight'");
    }

    [Fact]
    public void Load_WrongDType_NamesTensorAndExpectedDType()
    {
        AssertLoadFails(ModelFile(weightDType: "I32"), "tensor 'rnn.weight_ih_l0' has dtype I32; expected F32");
    }

    [Fact]
    public void Load_TransposedShape_SaysExpectedAndGot()
    {
        AssertLoadFails(ModelFile(weightShape: "[2,3]"), "tensor 'rnn.weight_ih_l0': expected shape [3, 2], got [2, 3].");
    }

    [Fact]
    public void Load_FlattenedShape_IsRejected()
    {
        AssertLoadFails(ModelFile(weightShape: "[6]"), "expected shape [3, 2], got [6]");
    }

    [Fact]
    public void Load_CorruptFile_ThrowsInvalidData()
    {
        byte[] file = SavedModel();
        AssertLoadFails(file[..^1], "tensor 'linear.weight': data_offsets [36, 48] runs past the end of the 47-byte data buffer");
    }

    [Fact]
    public void Load_EmptyStream_ThrowsInvalidData()
    {
        AssertLoadFails([], "the file is 0 bytes");
    }

    [Fact]
    public void Load_MismatchInLastTensor_LeavesEarlierTensorsUnwritten()
    {
        // The first two tensors are fine and were copied to scratch before the third failed.
        AssertLoadFails(ModelFile(headName: "linear.weight_wrong"), "missing tensor 'linear.weight'");
    }

    // ---- paths and atomic saves ---------------------------------------------------------------------

    [Fact]
    public void Load_MissingPath_ThrowsFileNotFound()
    {
        float[] parameters = Sentinel();

        Assert.Throws<FileNotFoundException>(() => ModelWeights.Load(Path.Combine(_directory, "none.safetensors"), Layout, "rnn", "linear", parameters));

        Assert.Equal(Sentinel(), parameters);
    }

    [Fact]
    public void Load_PathWithMismatch_MessageStartsWithPath()
    {
        string path = Path.Combine(_directory, "m.safetensors");
        System.IO.File.WriteAllBytes(path, ModelFile(weightShape: "[2,3]"));
        float[] parameters = Sentinel();

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => ModelWeights.Load(path, Layout, "rnn", "linear", parameters));

        Assert.StartsWith($"'{path}': tensor 'rnn.weight_ih_l0': expected shape [3, 2]", error.Message, StringComparison.Ordinal);
        Assert.Equal(Sentinel(), parameters);
    }

    [Fact]
    public void SaveThenLoad_Path_RoundTripsAndLeavesNoTemporaryFile()
    {
        string path = Path.Combine(_directory, "model.safetensors");
        float[] loaded = Sentinel();

        ModelWeights.Save(path, Layout, Parameters());
        ModelWeights.Load(path, Layout, "rnn", "linear", loaded);

        Assert.Equal(Parameters(), loaded);
        Assert.Equal([path], Directory.GetFiles(_directory));
    }

    [Fact]
    public void Save_Path_ReplacesAnExistingFile()
    {
        string path = Path.Combine(_directory, "model.safetensors");
        System.IO.File.WriteAllText(path, "an older, longer file that is not safetensors at all");
        float[] loaded = Sentinel();

        ModelWeights.Save(path, Layout, Parameters());
        ModelWeights.Load(path, Layout, "rnn", "linear", loaded);

        Assert.Equal(Parameters(), loaded);
    }

    [Fact]
    public void WriteAtomically_WriterThrowsMidway_LeavesOldFileIntactAndNoTemporaryFile()
    {
        string path = Path.Combine(_directory, "model.safetensors");
        ModelWeights.Save(path, Layout, Parameters());
        byte[] before = System.IO.File.ReadAllBytes(path);

        var failure = Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(SavedModel().AsSpan(0, 20));
            throw new IOException("disk full (simulated)");
        }));

        Assert.Equal("disk full (simulated)", failure.Message);
        Assert.Equal(before, System.IO.File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_directory));
        float[] loaded = Sentinel();
        ModelWeights.Load(path, Layout, "rnn", "linear", loaded);
        Assert.Equal(Parameters(), loaded);
    }

    [Fact]
    public void Save_Path_InvalidArgumentsTouchNoFile()
    {
        string path = Path.Combine(_directory, "model.safetensors");
        ModelWeights.Save(path, Layout, Parameters());
        byte[] before = System.IO.File.ReadAllBytes(path);

        Assert.Throws<ArgumentException>(() => ModelWeights.Save(path, Layout, new float[ParameterCount - 1]));

        Assert.Equal(before, System.IO.File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_directory));
    }

    [Fact]
    public void Save_PathInMissingDirectory_ThrowsAndCreatesNothing()
    {
        string path = Path.Combine(_directory, "missing", "model.safetensors");

        Assert.Throws<DirectoryNotFoundException>(() => ModelWeights.Save(path, Layout, Parameters()));

        Assert.Empty(Directory.GetFileSystemEntries(_directory));
    }

    [Fact]
    public void Save_Stream_IsDeterministic()
    {
        Assert.Equal(SavedModel(), SavedModel());
        string header = Encoding.UTF8.GetString(SavedModel(), 8, 400);
        Assert.StartsWith("{\"__metadata__\":{\"fixed.format\":\"1\",", header, StringComparison.Ordinal); // the model's description first
        Assert.Contains("\"rnn.weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[0,24]}", header, StringComparison.Ordinal);
    }
}
