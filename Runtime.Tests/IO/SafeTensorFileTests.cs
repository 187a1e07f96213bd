using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;
using static Fixed.Tests.IO.SafeTensorBytes;

namespace Fixed.Tests.IO;

public sealed class SafeTensorFileTests
{
    /// <summary>Reads through every entry point and checks each throws InvalidDataException naming every part.</summary>
    private static InvalidDataException AssertInvalid(byte[] file, params string[] messageParts)
    {
        InvalidDataException fromSpan = Assert.Throws<InvalidDataException>(() => SafeTensorFile.Read(file));
        InvalidDataException fromStream = Assert.Throws<InvalidDataException>(() => SafeTensorFile.Read(new MemoryStream(file)));
        Assert.Equal(fromSpan.Message, fromStream.Message);
        foreach (string part in messageParts)
        {
            Assert.Contains(part, fromSpan.Message, StringComparison.Ordinal);
        }

        return fromSpan;
    }

    private static byte[] OneTensor(string entry, int dataLength) => File("{\"t\":" + entry + "}", dataLength);

    // ---- well-formed files -------------------------------------------------------------------

    [Fact]
    public void Read_PythonJsonDumpsStyle_ParsesEntriesAndMetadata()
    {
        // json.dumps's default separators put spaces after ':' and ','; keys in an unusual order.
        byte[] file = File(
            "{\"__metadata__\": {\"format\": \"pt\"}, \"b\": {\"shape\": [2], \"data_offsets\": [8, 16], \"dtype\": \"F32\"}, " +
            "\"a\": {\"dtype\": \"F32\", \"shape\": [1, 2], \"data_offsets\": [0, 8]}}   ",
            Floats(1f, 2f, 3f, 4f));

        SafeTensorFile parsed = SafeTensorFile.Read(file);

        Assert.Equal(["b", "a"], parsed.Tensors.Select(t => t.Name));
        Assert.Equal("pt", parsed.Metadata["format"]);
        Assert.True(parsed.TryGetTensor("a", out SafeTensorEntry a));
        Assert.Equal("F32", a.DType);
        Assert.Equal([1, 2], a.Shape);
        Assert.Equal(0, a.Begin);
        Assert.Equal(8, a.End);
        Assert.Equal([1f, 2f], parsed.ReadFloats("a"));
        Assert.Equal([3f, 4f], parsed.ReadFloats("b"));
        Assert.False(parsed.TryGetTensor("A", out _));
    }

    [Fact]
    public void Read_EmptyHeaderObject_HasNoTensors()
    {
        SafeTensorFile parsed = SafeTensorFile.Read(File("{}      ", 0));

        Assert.Empty(parsed.Tensors);
        Assert.Empty(parsed.Metadata);
    }

    [Fact]
    public void Read_ScalarAndZeroSizedTensors_Accepted()
    {
        // A scalar has shape [] and one element; empty tensors take no bytes and may share an offset.
        byte[] file = File(
            "{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}," +
            "\"e1\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}," +
            "\"e2\":{\"dtype\":\"F64\",\"shape\":[5,0,2147483647],\"data_offsets\":[4,4]}}",
            Floats(7f));

        SafeTensorFile parsed = SafeTensorFile.Read(file);

        Assert.Equal([7f], parsed.ReadFloats("s"));
        Assert.Empty(parsed.ReadFloats("e1"));
        Assert.Empty(parsed.ReadFloats("e2"));
    }

    [Theory]
    [InlineData("BOOL", 1)]
    [InlineData("U8", 1)]
    [InlineData("I8", 1)]
    [InlineData("F8_E4M3", 1)]
    [InlineData("F8_E5M2", 1)]
    [InlineData("I16", 2)]
    [InlineData("U16", 2)]
    [InlineData("F16", 2)]
    [InlineData("BF16", 2)]
    [InlineData("I32", 4)]
    [InlineData("U32", 4)]
    [InlineData("F32", 4)]
    [InlineData("I64", 8)]
    [InlineData("U64", 8)]
    [InlineData("F64", 8)]
    public void Read_KnownDType_UsesItsElementSize(string dtype, int size)
    {
        byte[] file = OneTensor($"{{\"dtype\":\"{dtype}\",\"shape\":[3],\"data_offsets\":[0,{3 * size}]}}", 3 * size);

        Assert.Equal(3L * size, SafeTensorFile.Read(file).Tensors[0].ByteLength);
        AssertInvalid(OneTensor($"{{\"dtype\":\"{dtype}\",\"shape\":[3],\"data_offsets\":[0,{3 * size + 1}]}}", 3 * size + 1), "needs " + 3 * size);
    }

    [Fact]
    public void Read_EscapedNamesAndMetadata_AreUnescaped()
    {
        byte[] file = File(
            "{\"__metadata__\":{\"k\\u00e9y\":\"line\\nbreak\"},\"r\\u006en.w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
            Floats(1f));

        SafeTensorFile parsed = SafeTensorFile.Read(file);

        Assert.True(parsed.TryGetTensor("rnn.w", out _));
        Assert.Equal("line\nbreak", parsed.Metadata["kéy"]);
    }

    [Fact]
    public void Read_NullMetadata_MeansNone()
    {
        // The reference implementation deserialises "__metadata__": null as an absent Option.
        Assert.Empty(SafeTensorFile.Read(File("{\"__metadata__\":null}", 0)).Metadata);
    }

    [Fact]
    public void Read_PythonFixtureFromRepository_ReadsEveryTensor()
    {
        // Written by scripts/safetensors_io.py, the writer the PyTorch reference data goes through.
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "forward", "gru_i1_h1_l1_o0_t1.weights.safetensors");

        SafeTensorFile parsed = SafeTensorFile.Read(path);

        Assert.Equal(["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0"], parsed.Tensors.Select(t => t.Name));
        Assert.Equal([3, 1], parsed.Tensors[0].Shape);
        Assert.All(parsed.ReadFloats("rnn.weight_ih_l0"), v => Assert.InRange(v, -1f, 1f));
    }

    // ---- the length field and the header as a whole ---------------------------------------------

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    public void Read_FileShorterThanLengthField_ThrowsInvalidData(int length)
    {
        AssertInvalid(new byte[length], $"the file is {length} bytes", "8-byte header length");
    }

    [Fact]
    public void Read_HeaderLengthBeyondFile_ThrowsInvalidData()
    {
        byte[] file = File("{}", 0);
        BinaryPrimitives.WriteUInt64LittleEndian(file, 3);

        AssertInvalid(file, "header length 3", "only 2 bytes follow");
    }

    [Theory]
    [InlineData(100_000_001UL)]
    [InlineData(ulong.MaxValue)]
    [InlineData(1UL << 63)]
    public void Read_HeaderLengthOverLimit_ThrowsInvalidData(ulong headerLength)
    {
        byte[] file = File("{}", 0);
        BinaryPrimitives.WriteUInt64LittleEndian(file, headerLength);

        AssertInvalid(file, $"header length {headerLength}", "100000000");
    }

    [Theory]
    [InlineData("")]
    [InlineData(" {}")]
    [InlineData("[]")]
    [InlineData("\"x\"")]
    [InlineData("\uFEFF{}")]
    public void Read_HeaderNotStartingWithBrace_ThrowsInvalidData(string header)
    {
        AssertInvalid(File(header, 0), "does not start with '{'");
    }

    [Fact]
    public void Read_HeaderInvalidUtf8_ThrowsInvalidData()
    {
        byte[] header = Encoding.UTF8.GetBytes("{\"ab\":{}}");
        header[3] = 0xC3; // a lead byte followed by an ASCII byte: not UTF-8

        AssertInvalid(File(header, []), "not valid UTF-8", "offset 3");
    }

    [Theory]
    [InlineData("{")]
    [InlineData("{\"t\":")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",}}")]
    [InlineData("{} x")]
    [InlineData("{}{}")]
    [InlineData("{/* c */}")]
    [InlineData("{'t':1}")]
    [InlineData("{\"t\" 1}")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,}}")]
    [InlineData("{}\0\0\0")]
    public void Read_HeaderNotValidJson_ThrowsInvalidData(string header)
    {
        AssertInvalid(File(header, 0), "header is not valid JSON");
    }

    [Fact]
    public void Read_DeeplyNestedHeader_ThrowsInvalidDataWithoutRecursing()
    {
        string header = "{\"__metadata__\":" + new string('[', 100_000) + new string(']', 100_000) + "}";

        AssertInvalid(File(header, 0), "\"__metadata__\" must be an object", "found an array");
    }

    [Fact]
    public void Read_LoneSurrogateEscape_ThrowsInvalidData()
    {
        AssertInvalid(File("{\"\\ud800\":{}}", 0), "not a valid string");
    }

    [Fact]
    public void Read_LoneSurrogateEscapeInEntryKey_ThrowsInvalidData()
    {
        AssertInvalid(OneTensor("{\"dt\\ud800ype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", 4), "a key in the header is not a valid string");
    }

    // ---- entries -------------------------------------------------------------------------------

    [Theory]
    [InlineData("{\"shape\":[1],\"data_offsets\":[0,4]}", "missing \"dtype\"")]
    [InlineData("{\"dtype\":\"F32\",\"data_offsets\":[0,4]}", "missing \"shape\"")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[1]}", "missing \"data_offsets\"")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[1],\"offsets\":[0,4]}", "unexpected key 'offsets'")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}", "unexpected key 'extra'")]
    [InlineData("{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", "\"dtype\" appears twice")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[1],\"shape\":[1],\"data_offsets\":[0,4]}", "\"shape\" appears twice")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"data_offsets\":[0,4]}", "\"data_offsets\" appears twice")]
    [InlineData("[1]", "expected an object with dtype, shape and data_offsets, found an array")]
    [InlineData("\"F32\"", "found a string")]
    [InlineData("null", "found null")]
    public void Read_MalformedEntry_ThrowsInvalidDataNamingTheTensor(string entry, string expected)
    {
        AssertInvalid(OneTensor(entry, 4), "tensor 't'", expected);
    }

    [Theory]
    [InlineData("\"f32\"")]
    [InlineData("\"F8\"")]
    [InlineData("\"FLOAT\"")]
    [InlineData("\"\"")]
    public void Read_UnknownDType_ThrowsInvalidData(string dtype)
    {
        AssertInvalid(OneTensor("{\"dtype\":" + dtype + ",\"shape\":[1],\"data_offsets\":[0,4]}", 4), "tensor 't': unknown dtype", "expected one of");
    }

    [Theory]
    [InlineData("4")]
    [InlineData("null")]
    [InlineData("[\"F32\"]")]
    public void Read_DTypeNotString_ThrowsInvalidData(string dtype)
    {
        AssertInvalid(OneTensor("{\"dtype\":" + dtype + ",\"shape\":[1],\"data_offsets\":[0,4]}", 4), "\"dtype\" must be a string");
    }

    [Theory]
    [InlineData("[-1]", "shape dimension -1 is not an integer")]
    [InlineData("[1.5]", "shape dimension 1.5 is not an integer")]
    [InlineData("[1e0]", "shape dimension 1e0 is not an integer")]
    [InlineData("[2147483648]", "shape dimension 2147483648 is not an integer in [0, 2147483647]")]
    [InlineData("[99999999999999999999999]", "is not an integer")]
    [InlineData("[\"1\"]", "found a string in it")]
    [InlineData("[[1]]", "found an array in it")]
    [InlineData("[null]", "found null in it")]
    [InlineData("1", "\"shape\" must be an array of non-negative integers, found a number")]
    [InlineData("{}", "found an object")]
    public void Read_BadShape_ThrowsInvalidData(string shape, string expected)
    {
        AssertInvalid(OneTensor("{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[0,4]}", 4), "tensor 't'", expected);
    }

    [Fact]
    public void Read_ShapeProductOverflows_ThrowsInvalidData()
    {
        AssertInvalid(
            OneTensor("{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}", 8),
            "tensor 't'", "needs more than 2^63");
    }

    [Fact]
    public void Read_OffsetsDisagreeWithShape_MessageNamesTensorSpanShapeAndNeed()
    {
        byte[] file = File("{\"rnn.weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[32,1],\"data_offsets\":[0,100]}}", 100);

        InvalidDataException error = AssertInvalid(file);

        Assert.Equal("tensor 'rnn.weight_ih_l0': data_offsets [0, 100] span 100 bytes but shape [32, 1] of F32 needs 128.", error.Message);
    }

    [Theory]
    [InlineData("[8,4]", "data_offsets [8, 4] begins after it ends")]
    [InlineData("[0,12]", "data_offsets [0, 12] runs past the end of the 8-byte data buffer")]
    [InlineData("[18446744073709551612,18446744073709551615]", "runs past the end")]
    [InlineData("[18446744073709551616,4]", "data offset 18446744073709551616 is not a non-negative 64-bit integer")]
    [InlineData("[-4,0]", "data offset -4 is not")]
    [InlineData("[0.0,4]", "data offset 0.0 is not")]
    [InlineData("[0]", "it has fewer")]
    [InlineData("[]", "it has fewer")]
    [InlineData("[0,4,8]", "found a third element")]
    [InlineData("[0,\"4\"]", "found a string")]
    [InlineData("{\"begin\":0}", "must be [begin, end], found an object")]
    public void Read_BadDataOffsets_ThrowsInvalidData(string offsets, string expected)
    {
        AssertInvalid(OneTensor("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":" + offsets + "}", 8), "tensor 't'", expected);
    }

    // ---- how the tensors cover the data buffer ---------------------------------------------------

    private static string Entry(string name, int begin, int end) =>
        $"\"{name}\":{{\"dtype\":\"U8\",\"shape\":[{end - begin}],\"data_offsets\":[{begin},{end}]}}";

    [Fact]
    public void Read_OverlappingTensors_ThrowsInvalidDataNamingBoth()
    {
        AssertInvalid(File("{" + Entry("a", 0, 8) + "," + Entry("b", 4, 12) + "}", 12),
            "tensor 'b' (data_offsets [4, 12]) overlaps tensor 'a' (data_offsets [0, 8])");
    }

    [Fact]
    public void Read_IdenticalOffsets_ThrowsInvalidData()
    {
        AssertInvalid(File("{" + Entry("a", 0, 4) + "," + Entry("b", 0, 4) + "}", 4), "overlaps");
    }

    [Fact]
    public void Read_EmptyTensorInsideAnother_ThrowsInvalidData()
    {
        AssertInvalid(File("{" + Entry("a", 0, 8) + "," + Entry("e", 4, 4) + "}", 8), "tensor 'e'", "overlaps tensor 'a'");
    }

    [Fact]
    public void Read_HoleBetweenTensors_ThrowsInvalidData()
    {
        AssertInvalid(File("{" + Entry("a", 0, 4) + "," + Entry("b", 6, 10) + "}", 10),
            "bytes [4, 6) of the data buffer belong to no tensor", "before tensor 'b'");
    }

    [Fact]
    public void Read_FirstTensorNotAtZero_ThrowsInvalidData()
    {
        AssertInvalid(File("{" + Entry("a", 2, 4) + "}", 4), "bytes [0, 2)", "before tensor 'a'");
    }

    [Fact]
    public void Read_TrailingBytesAfterLastTensor_ThrowsInvalidData()
    {
        AssertInvalid(File("{" + Entry("a", 0, 4) + "}", 5), "bytes [4, 5) of the data buffer belong to no tensor", "cover 4 of its 5 bytes");
    }

    [Fact]
    public void Read_DataWithoutTensors_ThrowsInvalidData()
    {
        AssertInvalid(File("{}", 3), "bytes [0, 3)");
    }

    [Fact]
    public void Read_TensorsOutOfOrderButTiling_Accepted()
    {
        SafeTensorFile parsed = SafeTensorFile.Read(File("{" + Entry("b", 4, 6) + "," + Entry("a", 0, 4) + "}", 6));

        Assert.Equal(["b", "a"], parsed.Tensors.Select(t => t.Name));
    }

    // ---- names and metadata ------------------------------------------------------------------------

    [Fact]
    public void Read_DuplicateTensorName_ThrowsInvalidData()
    {
        AssertInvalid(File("{" + Entry("a", 0, 4) + "," + Entry("a", 4, 8) + "}", 8), "tensor 'a' appears twice");
    }

    [Fact]
    public void Read_DuplicateTensorNameSpelledWithEscape_ThrowsInvalidData()
    {
        AssertInvalid(File("{" + Entry("a", 0, 4) + "," + Entry("\\u0061", 4, 8) + "}", 8), "tensor 'a' appears twice");
    }

    [Theory]
    [InlineData("{\"k\":1}", "entry 'k' must be a string, found a number")]
    [InlineData("{\"k\":{\"x\":\"y\"}}", "entry 'k' must be a string, found an object")]
    [InlineData("{\"k\":null}", "entry 'k' must be a string, found null")]
    [InlineData("{\"k\":[\"v\"]}", "found an array")]
    [InlineData("{\"k\":\"a\",\"k\":\"b\"}", "has the key 'k' twice")]
    [InlineData("[]", "must be an object mapping strings to strings, found an array")]
    [InlineData("\"text\"", "found a string")]
    [InlineData("7", "found a number")]
    public void Read_BadMetadata_ThrowsInvalidData(string metadata, string expected)
    {
        AssertInvalid(File("{\"__metadata__\":" + metadata + "}", 0), "\"__metadata__\"", expected);
    }

    [Fact]
    public void Read_MetadataTwice_ThrowsInvalidData()
    {
        AssertInvalid(File("{\"__metadata__\":{},\"__metadata__\":{}}", 0), "\"__metadata__\" twice");
    }

    [Fact]
    public void Read_HugeName_MessageIsShortened()
    {
        string name = new('n', 1_000_000);

        InvalidDataException error = AssertInvalid(File("{\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8));

        Assert.True(error.Message.Length < 500, error.Message);
        Assert.Contains("(1000000 characters)", error.Message, StringComparison.Ordinal);
    }

    // ---- streams and paths ------------------------------------------------------------------------

    [Fact]
    public void Read_NonSeekableStreamInSmallChunks_ReadsWholeFile()
    {
        byte[] file = SavedModel();
        using var stream = new TrickleStream(file);

        SafeTensorFile parsed = SafeTensorFile.Read(stream);

        Assert.Equal(Parameters()[..6], parsed.ReadFloats("rnn.weight_ih_l0"));
    }

    [Fact]
    public void Read_StreamAtOffset_ReadsFromCurrentPosition()
    {
        byte[] file = SavedModel();
        byte[] prefixed = [1, 2, 3, .. file];
        using var stream = new MemoryStream(prefixed);
        stream.Position = 3;

        Assert.Equal(3, SafeTensorFile.Read(stream).Tensors.Count);
    }

    [Fact]
    public void Read_StreamAdvertisingMoreThan2GB_ThrowsInvalidDataWithoutAllocating()
    {
        using var stream = new HugeStream();

        AssertInvalidStream(stream, "files over 2147483591 bytes (2 GB) are not supported");
    }

    private static void AssertInvalidStream(Stream stream, string expected)
    {
        InvalidDataException error = Assert.Throws<InvalidDataException>(() => SafeTensorFile.Read(stream));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MissingPath_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => SafeTensorFile.Read(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".safetensors")));
    }

    [Fact]
    public void Read_InvalidFileAtPath_MessageStartsWithPath()
    {
        string path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".safetensors");
        System.IO.File.WriteAllBytes(path, [1, 2, 3]);
        try
        {
            InvalidDataException error = Assert.Throws<InvalidDataException>(() => SafeTensorFile.Read(path));

            Assert.StartsWith($"'{path}': the file is 3 bytes", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    // ---- reading values -----------------------------------------------------------------------------

    [Fact]
    public void ReadFloats_OtherNumericDTypes_ConvertToFloat()
    {
        byte[] data = new byte[8 + 8 + 2 + 2 + 4];
        BinaryPrimitives.WriteDoubleLittleEndian(data, -2.5);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(8), -7);
        BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(16), (Half)1.5f);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(18), 0x4040); // bfloat16 3.0
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(20), 123456);
        byte[] file = File(
            "{\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}," +
            "\"l\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]}," +
            "\"h\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[16,18]}," +
            "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[18,20]}," +
            "\"i\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[20,24]}}",
            data);

        SafeTensorFile parsed = SafeTensorFile.Read(file);

        Assert.Equal([-2.5f], parsed.ReadFloats("d"));
        Assert.Equal([-7f], parsed.ReadFloats("l"));
        Assert.Equal([1.5f], parsed.ReadFloats("h"));
        Assert.Equal([3f], parsed.ReadFloats("b"));
        Assert.Equal([123456f], parsed.ReadFloats("i"));
    }

    [Fact]
    public void ReadFloats_NonNumericDType_ThrowsInvalidData()
    {
        SafeTensorFile parsed = SafeTensorFile.Read(File("{\"m\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2));

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => parsed.ReadFloats("m"));

        Assert.Contains("tensor 'm' has dtype BOOL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadFloats_MissingName_ThrowsInvalidDataListingTheTensors()
    {
        SafeTensorFile parsed = SafeTensorFile.Read(SavedModel());

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => parsed.ReadFloats("rnn.weight_hh_l0"));

        Assert.Equal("the file has no tensor 'rnn.weight_hh_l0'; it has 'rnn.weight_ih_l0', 'rnn.bias_ih_l0', 'linear.weight'.", error.Message);
    }

    [Fact]
    public void CopyFloats_WrongDestinationLength_ThrowsArgumentAndWritesNothing()
    {
        SafeTensorFile parsed = SafeTensorFile.Read(SavedModel());
        float[] destination = new float[5];

        ArgumentException error = Assert.Throws<ArgumentException>(() => parsed.CopyFloats("rnn.weight_ih_l0", destination));

        Assert.Equal("destination", error.ParamName);
        Assert.Contains("shape [3, 2] has 6 elements", error.Message, StringComparison.Ordinal);
        Assert.All(destination, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void GetBytes_ReturnsTheTensorsRawBytes()
    {
        SafeTensorFile parsed = SafeTensorFile.Read(SavedModel());

        Assert.Equal(Floats(Parameters()[9..]), parsed.GetBytes("linear.weight").ToArray());
    }

    /// <summary>A seekable stream that claims to hold 3 GB and fails the test if anyone reads it.</summary>
    private sealed class HugeStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => 3L << 30;
        public override long Position { get => 0; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw new InvalidOperationException("read a stream that is too large to accept");

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A non-seekable stream that hands out at most 3 bytes per read.</summary>
    private sealed class TrickleStream(byte[] content) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(Math.Min(count, 3), content.Length - _position);
            Array.Copy(content, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
