using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using Xunit;

namespace Fixed.Tests.IO;

[Recurrent(3, 16, Cell = Cell.Gru, OutputSize = 2, Window = 4)]
public partial class MetaGru16;

[Recurrent(3, 32, Cell = Cell.Gru, OutputSize = 2, Window = 4)]
public partial class MetaGru32;

[Recurrent(3, 16, Cell = Cell.Lstm, OutputSize = 2, Window = 4)]
public partial class MetaLstm16;

[Recurrent(3, 16, Cell = Cell.Gru, Name = "enc", Window = 4)]
[Linear(16, 8, Name = "fc1")]
[Relu]
[Linear(8, 2, Name = "fc2")]
public partial class MetaStack;

/// <summary>
/// What <c>Save</c> writes into <c>__metadata__</c> (format version, library version, each layer's kind and sizes) and how
/// <c>Load</c> uses it: a file from another model is refused with the setting that differs, in the attribute's words; a
/// file from PyTorch (no such metadata) is still explained by names and shapes; and the metadata never refuses a file
/// whose tensors fit.
/// </summary>
public sealed class ModelMetadataTests
{
    private static SafeTensorFile Saved<TModel>(TModel model)
        where TModel : IRecurrentModel<TModel>
    {
        using var stream = new MemoryStream();
        model.Save(stream);
        return SafeTensorFile.Read(new MemoryStream(stream.ToArray()));
    }

    private static byte[] Bytes<TModel>(TModel model)
        where TModel : IRecurrentModel<TModel>
    {
        using var stream = new MemoryStream();
        model.Save(stream);
        return stream.ToArray();
    }

    [Fact]
    public void Save_WritesFormatLibraryVersionAndEachLayer()
    {
        IReadOnlyDictionary<string, string> metadata = Saved(new MetaGru16(1)).Metadata;

        Assert.Equal("1", metadata["fixed.format"]);
        string version = typeof(RecurrentAttribute).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
        Assert.Equal(version, metadata["fixed.version"]);
        Assert.Equal("rnn,linear", metadata["fixed.layers"]);
        Assert.Equal("Gru inputSize=3 hiddenSize=16 NumLayers=1 Bias=true", metadata["fixed.layer.rnn"]);
        Assert.Equal("Linear inFeatures=16 outFeatures=2 Bias=true", metadata["fixed.layer.linear"]);
    }

    [Fact]
    public void Save_Stack_DescribesEveryLayerWithParametersInOrder()
    {
        IReadOnlyDictionary<string, string> metadata = Saved(new MetaStack(1)).Metadata;

        Assert.Equal("enc,fc1,fc2", metadata["fixed.layers"]);
        Assert.Equal("Gru inputSize=3 hiddenSize=16 NumLayers=1 Bias=true", metadata["fixed.layer.enc"]);
        Assert.Equal("Linear inFeatures=16 outFeatures=8 Bias=true", metadata["fixed.layer.fc1"]);
        Assert.Equal("Linear inFeatures=8 outFeatures=2 Bias=true", metadata["fixed.layer.fc2"]);
    }

    [Fact]
    public void Save_SameWeightsTwice_WritesTheSameBytes()
    {
        Assert.Equal(Bytes(new MetaGru16(3)), Bytes(new MetaGru16(3)));
    }

    [Fact]
    public void Load_FileSavedWithAnotherHiddenSize_NamesTheSettingAndChangesNothing()
    {
        var model = new MetaGru32(2);
        float[] before = model.ParameterValues.ToArray();

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => model.Load(new MemoryStream(Bytes(new MetaGru16(1)))));

        Assert.Contains("layer 'rnn' was saved with hiddenSize 16; this model has 32", error.Message, StringComparison.Ordinal);
        Assert.Contains("expected shape", error.Message, StringComparison.Ordinal); // the tensor detail is still there
        Assert.Equal(before, model.ParameterValues.ToArray());
    }

    [Fact]
    public void Load_FileSavedWithAnotherCell_NamesTheCells()
    {
        var model = new MetaLstm16(2);

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => model.Load(new MemoryStream(Bytes(new MetaGru16(1)))));

        Assert.Contains("layer 'rnn' was saved with Cell Gru; this model has Lstm", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FileFromAModelWithOtherLayers_ListsBoth()
    {
        var model = new MetaStack(2);

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => model.Load(new MemoryStream(Bytes(new MetaGru16(1)))));

        Assert.Contains("saved from a model with 2 layers (rnn, linear); this model has 3 layers (enc, fc1, fc2)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadPath_FileSavedWithAnotherHiddenSize_StartsWithThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fixed-meta-{Guid.NewGuid():N}.safetensors");
        try
        {
            new MetaGru16(1).Save(path);

            InvalidDataException error = Assert.Throws<InvalidDataException>(() => new MetaGru32(2).Load(path));

            Assert.StartsWith($"'{path}': layer 'rnn' was saved with hiddenSize 16; this model has 32", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A PyTorch state_dict written by scripts/make_fixtures.py: no Fixed metadata, so the shapes explain.</summary>
    [Fact]
    public void Load_PyTorchFileOfAnotherSize_FallsBackToShapes()
    {
        string fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "forward", "rnn_i1_h32_l1_o1_t50_h0.weights.safetensors");
        var model = new SmallRnn(1);

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => model.Load(fixture));

        Assert.DoesNotContain("was saved with", error.Message, StringComparison.Ordinal);
        Assert.Contains("expected shape", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The metadata only explains: a file whose description was edited but whose tensors fit loads exactly.</summary>
    [Fact]
    public void Load_MetadataThatLiesButTensorsThatFit_Loads()
    {
        var source = new MetaGru16(5);
        SafeTensorFile saved = Saved(source);
        var metadata = new Dictionary<string, string>(saved.Metadata) { ["fixed.layer.rnn"] = "Lstm inputSize=9 hiddenSize=99 NumLayers=7 Bias=false" };
        var tensors = new List<FloatTensor>();
        foreach (SafeTensorEntry entry in saved.Tensors)
        {
            tensors.Add(new FloatTensor(entry.Name, entry.Shape, saved.ReadFloats(entry.Name)));
        }

        using var edited = new MemoryStream();
        SafeTensorWriter.Write(edited, tensors, metadata);
        var model = new MetaGru16(6);

        model.Load(new MemoryStream(edited.ToArray()));

        Assert.Equal(source.ParameterValues.ToArray(), model.ParameterValues.ToArray());
    }
}
