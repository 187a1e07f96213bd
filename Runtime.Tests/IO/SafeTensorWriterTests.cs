using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Xunit;
using static Fixed.Tests.IO.SafeTensorBytes;

namespace Fixed.Tests.IO;

public sealed class SafeTensorWriterTests
{
    private static byte[] Write(IReadOnlyList<FloatTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var stream = new MemoryStream();
        SafeTensorWriter.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    [Fact]
    public void Write_SmallFile_ProducesTheExactReferenceBytes()
    {
        byte[] file = Write([new FloatTensor("a", [2], new[] { 1f, -2f })], new Dictionary<string, string> { ["format"] = "pt" });

        string header = "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        string padded = header + new string(' ', (8 - header.Length % 8) % 8);
        Assert.Equal(File(padded, Floats(1f, -2f)), file);
    }

    [Fact]
    public void Write_Header_IsPaddedWithSpacesToMultipleOf8()
    {
        for (int nameLength = 1; nameLength <= 16; nameLength++)
        {
            byte[] file = Write([new FloatTensor(new string('x', nameLength), [1], new[] { 1f })]);

            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
            Assert.Equal(0UL, headerLength % 8);
            string header = Encoding.UTF8.GetString(file, 8, (int)headerLength);
            Assert.Equal('}', header.TrimEnd(' ')[^1]);
            Assert.Equal(8 + (int)headerLength + 4, file.Length);
        }
    }

    [Fact]
    public void Write_ThenRead_RoundTripsValuesShapesOrderAndMetadata()
    {
        float[] special = [float.NaN, float.NegativeInfinity, float.PositiveInfinity, -0f, float.Epsilon, float.MaxValue];
        FloatTensor[] tensors =
        [
            new("z.last", [2, 3], special),
            new("a.first", [], new[] { 42f }),
            new("empty", [0, 4], ReadOnlyMemory<float>.Empty),
            new("ünïcode+<&>", [1], new[] { 1f }),
        ];

        SafeTensorFile read = SafeTensorFile.Read(Write(tensors, new Dictionary<string, string> { ["k"] = "v", ["ключ"] = "значение" }));

        Assert.Equal(4, read.Tensors.Count);
        for (int i = 0; i < tensors.Length; i++)
        {
            Assert.Equal(tensors[i].Name, read.Tensors[i].Name);
            Assert.Equal(tensors[i].Shape, read.Tensors[i].Shape);
            Assert.Equal("F32", read.Tensors[i].DType);
            float[] values = read.ReadFloats(tensors[i].Name);
            Assert.Equal(
                Array.ConvertAll(tensors[i].Data.ToArray(), BitConverter.SingleToInt32Bits),
                Array.ConvertAll(values, BitConverter.SingleToInt32Bits));
        }

        Assert.Equal("значение", read.Metadata["ключ"]);
        Assert.Equal("v", read.Metadata["k"]);
    }

    [Fact]
    public void Write_MetadataInAnyInsertionOrder_GivesIdenticalBytes()
    {
        FloatTensor[] tensors = [new("w", [1], new[] { 1f })];
        var forward = new Dictionary<string, string> { ["a"] = "1", ["b"] = "2", ["c"] = "3" };
        var backward = new Dictionary<string, string> { ["c"] = "3", ["b"] = "2", ["a"] = "1" };

        Assert.Equal(Write(tensors, forward), Write(tensors, backward));
    }

    [Fact]
    public void Write_NullOrEmptyMetadata_WritesNoMetadataEntry()
    {
        FloatTensor[] tensors = [new("w", [1], new[] { 1f })];

        byte[] withNull = Write(tensors);
        byte[] withEmpty = Write(tensors, new Dictionary<string, string>());

        Assert.Equal(withNull, withEmpty);
        Assert.DoesNotContain("__metadata__", Encoding.UTF8.GetString(withNull), StringComparison.Ordinal);
    }

    public static TheoryData<string, FloatTensor[]> BadTensors => new()
    {
        { "shape [2, 2] (4 elements) but 3 floats", [new("w", [2, 2], new float[3])] },
        { "negative dimension", [new("w", [-1], new float[0])] },
        { "'w' is used twice", [new("w", [1], new float[1]), new("w", [1], new float[1])] },
        { "reserved for the metadata", [new("__metadata__", [1], new float[1])] },
        { "(more than 2147483647 elements) but 1 floats", [new("w", [65536, 65536, 65536], new float[1])] },
    };

    [Theory]
    [MemberData(nameof(BadTensors))]
    public void Write_InvalidTensor_ThrowsArgumentAndWritesNothing(string expected, FloatTensor[] tensors)
    {
        using var stream = new MemoryStream();

        ArgumentException error = Assert.Throws<ArgumentException>(() => SafeTensorWriter.Write(stream, tensors));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public void Write_NameWithLoneSurrogate_ThrowsArgumentAndWritesNothing()
    {
        using var stream = new MemoryStream();

        ArgumentException error = Assert.Throws<ArgumentException>(() => SafeTensorWriter.Write(stream, [new FloatTensor("bad\ud800", [1], new float[1])]));

        Assert.Contains("lone surrogate", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public void Write_MetadataWithLoneSurrogate_ThrowsArgumentAndWritesNothing()
    {
        using var stream = new MemoryStream();

        ArgumentException error = Assert.Throws<ArgumentException>(
            () => SafeTensorWriter.Write(stream, [], new Dictionary<string, string> { ["k"] = "\udc00x" }));

        Assert.Equal("metadata", error.ParamName);
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public void Write_ToPath_WritesReadableFileAndNoTemporaryFile()
    {
        string directory = Directory.CreateTempSubdirectory("fixed-io-").FullName;
        try
        {
            string path = Path.Combine(directory, "w.safetensors");

            SafeTensorWriter.Write(path, [new FloatTensor("w", [2], new[] { 3f, 4f })]);

            Assert.Equal([3f, 4f], SafeTensorFile.Read(path).ReadFloats("w"));
            Assert.Equal([path], Directory.GetFiles(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
