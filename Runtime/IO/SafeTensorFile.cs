using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Fixed;

/// <summary>
/// A safetensors file (<c>huggingface/safetensors</c>), read into memory and validated in full: the header
/// length, the JSON, every entry's dtype, shape and offsets, and that the tensors tile the data buffer
/// exactly, with no holes, overlaps or repeated names. Files are untrusted input: every defect is an
/// <see cref="InvalidDataException"/> whose message names the tensor and what was expected, and nothing
/// else escapes.
/// </summary>
/// <remarks>
/// Layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping each tensor name to
/// <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> (offsets relative to the data buffer) plus an
/// optional <c>"__metadata__"</c> of strings, then the data buffer.
/// </remarks>
public sealed class SafeTensorFile
{
    /// <summary>The largest header accepted, in bytes, as in the reference implementation.</summary>
    public const int MaxHeaderLength = SafeTensorRules.MaxHeaderLength;

    /// <summary>The largest file accepted, in bytes: just under 2 GB, the most one .NET array holds.</summary>
    public const int MaxFileLength = 0x7FFFFFC7;

    private const string MetadataKey = SafeTensorRules.MetadataKey;

    private static readonly IReadOnlyDictionary<string, string> NoMetadata =
        new ReadOnlyDictionary<string, string>(new Dictionary<string, string>());

    private readonly ReadOnlyMemory<byte> _data;
    private readonly Dictionary<string, int> _indexByName;
    private readonly SafeTensorEntry[] _tensors;

    private SafeTensorFile(Header header, ReadOnlyMemory<byte> data)
    {
        _data = data;
        _tensors = header.Tensors.ToArray();
        _indexByName = new Dictionary<string, int>(_tensors.Length, StringComparer.Ordinal);
        for (int i = 0; i < _tensors.Length; i++)
        {
            _indexByName.Add(_tensors[i].Name, i);
        }

        Tensors = Array.AsReadOnly(_tensors);
        Metadata = header.Metadata is null ? NoMetadata : new ReadOnlyDictionary<string, string>(header.Metadata);
    }

    /// <summary>The <c>__metadata__</c> entries; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor, in the order of the header.</summary>
    public IReadOnlyList<SafeTensorEntry> Tensors { get; }

    /// <summary>Parses and validates a whole file held in memory. The data is copied: the span may be reused afterwards.</summary>
    /// <param name="file">The file's bytes, from the header length to the end of the data buffer.</param>
    /// <returns>The validated file.</returns>
    /// <exception cref="InvalidDataException">The bytes are not a valid safetensors file; the message says why.</exception>
    public static SafeTensorFile Read(ReadOnlySpan<byte> file)
    {
        if (file.Length > MaxFileLength)
        {
            throw TooLarge(file.Length);
        }

        Header header = ParseHeader(file, out int dataStart);
        return new SafeTensorFile(header, file[dataStart..].ToArray());
    }

    /// <summary>Reads <paramref name="stream"/> from its current position to its end, then parses and validates it.</summary>
    /// <param name="stream">The file's bytes; need not be seekable.</param>
    /// <returns>The validated file.</returns>
    /// <exception cref="InvalidDataException">The bytes are not a valid safetensors file, or there are more than <see cref="MaxFileLength"/> of them.</exception>
    public static SafeTensorFile Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] buffer = ReadToEnd(stream, out int length);
        Header header = ParseHeader(buffer.AsSpan(0, length), out int dataStart);
        return new SafeTensorFile(header, buffer.AsMemory(dataStart, length - dataStart));
    }

    /// <summary>Reads and validates the file at <paramref name="path"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The validated file.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message starts with its path.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    public static SafeTensorFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        try
        {
            return Read(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"'{path}': {e.Message}"), e);
        }
    }

    /// <summary>Looks up a tensor by its exact (case-sensitive) name.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="entry">The tensor's entry, when found.</param>
    /// <returns>Whether the file has a tensor named <paramref name="name"/>.</returns>
    public bool TryGetTensor(string name, out SafeTensorEntry entry)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_indexByName.TryGetValue(name, out int index))
        {
            entry = _tensors[index];
            return true;
        }

        entry = default;
        return false;
    }

    /// <summary>The raw little-endian bytes of a tensor.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <returns>The <see cref="SafeTensorEntry.ByteLength"/> bytes of the tensor.</returns>
    /// <exception cref="InvalidDataException">The file has no tensor of that name.</exception>
    public ReadOnlyMemory<byte> GetBytes(string name) => Slice(Find(name));

    /// <summary>
    /// A tensor's values as floats, flat in row-major order. F32 is read exactly; F64, F16, BF16, I64 and I32
    /// are converted to the nearest float.
    /// </summary>
    /// <param name="name">The tensor's name.</param>
    /// <returns>A new array of <see cref="SafeTensorEntry.ElementCount"/> floats.</returns>
    /// <exception cref="InvalidDataException">The file has no tensor of that name, or its dtype is not one of those above.</exception>
    public float[] ReadFloats(string name)
    {
        SafeTensorEntry entry = Find(name);
        ThrowIfNotReadableAsFloats(entry);
        var values = new float[entry.ElementCount];
        CopyFloats(entry, values);
        return values;
    }

    /// <summary>Copies a tensor's values into <paramref name="destination"/>, converting as <see cref="ReadFloats"/> does.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="destination">Exactly <see cref="SafeTensorEntry.ElementCount"/> floats.</param>
    /// <exception cref="InvalidDataException">The file has no tensor of that name, or its dtype cannot be read as floats.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> has the wrong length; nothing is written.</exception>
    public void CopyFloats(string name, Span<float> destination) => CopyFloats(Find(name), destination);

    /// <summary>Copies the values of <paramref name="entry"/>, one of this file's <see cref="Tensors"/>.</summary>
    internal void CopyFloats(SafeTensorEntry entry, Span<float> destination)
    {
        long count = entry.ElementCount;
        if (destination.Length != count)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"destination: tensor {SafeTensorText.Quote(entry.Name)} of shape {SafeTensorText.Shape(entry.Shape)} has {count} elements, but the destination holds {destination.Length} floats."),
                nameof(destination));
        }

        ReadOnlySpan<byte> bytes = Slice(entry).Span;
        switch (entry.DType)
        {
            case SafeTensorDType.F32 when BitConverter.IsLittleEndian:
                bytes.CopyTo(MemoryMarshal.AsBytes(destination));
                break;
            case SafeTensorDType.F32:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                }

                break;
            case SafeTensorDType.F64:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..]);
                }

                break;
            case SafeTensorDType.F16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]);
                }

                break;
            case SafeTensorDType.BF16:
                for (int i = 0; i < destination.Length; i++)
                {
                    // bfloat16 is the top half of a float32.
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) << 16);
                }

                break;
            case SafeTensorDType.I64:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes[(8 * i)..]);
                }

                break;
            case SafeTensorDType.I32:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]);
                }

                break;
            default:
                ThrowIfNotReadableAsFloats(entry);
                break;
        }
    }

    private static void ThrowIfNotReadableAsFloats(SafeTensorEntry entry)
    {
        if (entry.DType is not (SafeTensorDType.F32 or SafeTensorDType.F64 or SafeTensorDType.F16 or SafeTensorDType.BF16 or SafeTensorDType.I64 or SafeTensorDType.I32))
        {
            throw Invalid($"tensor {SafeTensorText.Quote(entry.Name)} has dtype {entry.DType}, which cannot be read as floats; expected F32 (or F64, F16, BF16, I64, I32).");
        }
    }

    private SafeTensorEntry Find(string name)
    {
        if (TryGetTensor(name, out SafeTensorEntry entry))
        {
            return entry;
        }

        throw Invalid($"the file has no tensor {SafeTensorText.Quote(name)}; it has {SafeTensorText.Names(Array.ConvertAll(_tensors, t => t.Name))}.");
    }

    // Entries are validated against the buffer when parsed, so Begin and End fit in an int here.
    private ReadOnlyMemory<byte> Slice(SafeTensorEntry entry) => _data.Slice((int)entry.Begin, (int)entry.ByteLength);

    private static InvalidDataException TooLarge(long length) =>
        Invalid($"the file is {length} bytes or more; files over {MaxFileLength} bytes (2 GB) are not supported.");

    /// <summary>
    /// Reads to the end of <paramref name="stream"/>, never trusting a length it advertises or a length in the
    /// file: the buffer grows only as bytes actually arrive, up to <see cref="MaxFileLength"/>.
    /// </summary>
    private static byte[] ReadToEnd(Stream stream, out int length)
    {
        int capacity = 64 * 1024;
        if (stream.CanSeek)
        {
            long remaining = Math.Max(0, stream.Length - stream.Position);
            if (remaining > MaxFileLength)
            {
                throw TooLarge(remaining);
            }

            // One spare byte, so that the read that meets the end of the stream has room to return 0.
            capacity = (int)Math.Min(remaining + 1, MaxFileLength);
        }

        byte[] buffer = new byte[capacity];
        length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (length == MaxFileLength)
                {
                    if (stream.ReadByte() < 0)
                    {
                        break;
                    }

                    throw TooLarge(length + 1L);
                }

                Array.Resize(ref buffer, (int)Math.Min(2L * buffer.Length, MaxFileLength));
            }

            int read = stream.Read(buffer, length, buffer.Length - length);
            if (read == 0)
            {
                break;
            }

            length += read;
        }

        return buffer;
    }

    /// <summary>What the header says, after every check.</summary>
    private sealed record Header(List<SafeTensorEntry> Tensors, Dictionary<string, string>? Metadata);

    private static Header ParseHeader(ReadOnlySpan<byte> file, out int dataStart)
    {
        Check(SafeTensorRules.CheckPrefix(file, out int headerLength));
        ReadOnlySpan<byte> header = file.Slice(8, headerLength);
        dataStart = 8 + header.Length;
        long dataLength = file.Length - dataStart;

        if (!Utf8.IsValid(header))
        {
            throw Invalid($"the header is not valid UTF-8 (first invalid byte at header offset {FirstInvalidUtf8(header)}).");
        }

        Header parsed;
        try
        {
            parsed = ParseJson(header, dataLength);
        }
        catch (JsonException e)
        {
            throw Invalid($"the header is not valid JSON: {e.Message}");
        }

        Check(SafeTensorRules.CheckTiling(parsed.Tensors, static t => t.Name, static t => t.Begin, static t => t.End, dataLength));
        return parsed;
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> text)
    {
        int offset = 0;
        while (offset < text.Length && Rune.DecodeFromUtf8(text[offset..], out _, out int consumed) == System.Buffers.OperationStatus.Done)
        {
            offset += consumed;
        }

        return offset;
    }

    private static Header ParseJson(ReadOnlySpan<byte> header, long dataLength)
    {
        // Strict JSON: no comments, no trailing commas. The walk below never descends past the depth of a
        // valid header (3) before rejecting, so MaxDepth is a second line of defence only.
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { MaxDepth = 8 });
        Next(ref reader);
        var tensors = new List<SafeTensorEntry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var dimensions = new List<int>();
        Dictionary<string, string>? metadata = null;
        bool sawMetadata = false;
        while (true)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            // JsonDocument would keep both copies of a repeated key; the set catches them, escapes included.
            string name = GetString(ref reader, "a tensor name");
            Check(SafeTensorRules.CheckNewName(name, sawMetadata, names));
            if (name == MetadataKey)
            {
                sawMetadata = true;
                metadata = ParseMetadata(ref reader);
            }
            else
            {
                tensors.Add(ParseEntry(ref reader, name, dataLength, dimensions));
            }
        }

        if (reader.Read())
        {
            throw Invalid($"the header has more after its JSON object ({Describe(reader.TokenType)}).");
        }

        return new Header(tensors, metadata);
    }

    private static Dictionary<string, string>? ParseMetadata(ref Utf8JsonReader reader)
    {
        Next(ref reader);
        if (reader.TokenType == JsonTokenType.Null)
        {
            // The reference implementation reads "__metadata__": null as no metadata.
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid($"\"{MetadataKey}\" must be an object mapping strings to strings, found {Describe(reader.TokenType)}.");
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return metadata;
            }

            string key = GetString(ref reader, "a metadata key");
            Next(ref reader);
            if (reader.TokenType != JsonTokenType.String)
            {
                throw Invalid($"{SafeTensorRules.MetadataValueNotString(key)}, found {Describe(reader.TokenType)}.");
            }

            string value = GetString(ref reader, "a metadata value");
            Check(SafeTensorRules.CheckNewMetadataKey(key, keys));
            metadata.Add(key, value);
        }
    }

    private static SafeTensorEntry ParseEntry(ref Utf8JsonReader reader, string name, long dataLength, List<int> dimensions)
    {
        string tensor = SafeTensorRules.Tensor(name);
        Next(ref reader);
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid($"{tensor}: expected an object with dtype, shape and data_offsets, found {Describe(reader.TokenType)}.");
        }

        string? dtype = null;
        int elementSize = 0;
        int[]? shape = null;
        ulong begin = 0, end = 0;
        bool hasOffsets = false;
        while (true)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            // GetString rather than ValueTextEquals: the latter throws on a key with a broken escape.
            string key = GetString(ref reader, "a key");
            Check(SafeTensorRules.CheckKey(tensor, key, key switch { "dtype" => dtype is not null, "shape" => shape is not null, _ => hasOffsets }));
            if (key == "dtype")
            {
                Next(ref reader);
                if (reader.TokenType != JsonTokenType.String)
                {
                    throw Invalid($"{tensor}: \"dtype\" must be a string, found {Describe(reader.TokenType)}.");
                }

                Check(SafeTensorRules.CheckDType(tensor, GetString(ref reader, "a dtype"), out string known, out elementSize));
                dtype = known;
            }
            else if (key == "shape")
            {
                shape = ParseShape(ref reader, tensor, dimensions);
            }
            else
            {
                (begin, end) = ParseOffsets(ref reader, tensor);
                hasOffsets = true;
            }
        }

        Check(SafeTensorRules.CheckComplete(tensor, dtype is not null, shape is not null, hasOffsets));
        Check(SafeTensorRules.CheckExtent(tensor, dtype!, elementSize, shape!, begin, end, dataLength));
        return new SafeTensorEntry(name, dtype!, Array.AsReadOnly(shape!), (long)begin, (long)end);
    }

    private static int[] ParseShape(ref Utf8JsonReader reader, string tensor, List<int> dimensions)
    {
        Next(ref reader);
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Invalid($"{tensor}: \"shape\" must be an array of non-negative integers, found {Describe(reader.TokenType)}.");
        }

        dimensions.Clear();
        while (true)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return dimensions.ToArray();
            }

            if (reader.TokenType != JsonTokenType.Number)
            {
                throw Invalid($"{tensor}: \"shape\" must be an array of non-negative integers, found {Describe(reader.TokenType)} in it.");
            }

            if (!reader.TryGetUInt64(out ulong dimension) || dimension > int.MaxValue)
            {
                throw Invalid($"{tensor}: shape dimension {RawNumber(ref reader)} is not an integer in [0, {int.MaxValue}].");
            }

            dimensions.Add((int)dimension);
        }
    }

    private static (ulong Begin, ulong End) ParseOffsets(ref Utf8JsonReader reader, string tensor)
    {
        Next(ref reader);
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Invalid($"{tensor}: \"data_offsets\" must be [begin, end], found {Describe(reader.TokenType)}.");
        }

        ulong begin = ReadOffset(ref reader, tensor);
        ulong end = ReadOffset(ref reader, tensor);
        Next(ref reader);
        if (reader.TokenType != JsonTokenType.EndArray)
        {
            throw Invalid($"{tensor}: \"data_offsets\" must be [begin, end], two numbers; found a third element, {Describe(reader.TokenType)}.");
        }

        return (begin, end);
    }

    private static ulong ReadOffset(ref Utf8JsonReader reader, string tensor)
    {
        Next(ref reader);
        if (reader.TokenType == JsonTokenType.EndArray)
        {
            throw Invalid($"{tensor}: \"data_offsets\" must be [begin, end], two numbers; it has fewer.");
        }

        if (reader.TokenType != JsonTokenType.Number)
        {
            throw Invalid($"{tensor}: \"data_offsets\" must be [begin, end], two non-negative integers; found {Describe(reader.TokenType)}.");
        }

        if (!reader.TryGetUInt64(out ulong offset))
        {
            throw Invalid($"{tensor}: data offset {RawNumber(ref reader)} is not a non-negative 64-bit integer.");
        }

        return offset;
    }

    private static void Next(ref Utf8JsonReader reader)
    {
        // The reader is given the whole header as its final block, so it throws on truncated JSON rather than
        // returning false; this is a guard for the impossible case.
        if (!reader.Read())
        {
            throw Invalid($"the header JSON ends early.");
        }
    }

    private static string GetString(ref Utf8JsonReader reader, string what)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            // An escape that decodes to invalid UTF-16, such as a lone surrogate "\ud800".
            throw Invalid($"{what} in the header is not a valid string: {e.Message}");
        }
    }

    private static string RawNumber(ref Utf8JsonReader reader)
    {
        ReadOnlySpan<byte> raw = reader.ValueSpan;
        return raw.Length <= 40 ? Encoding.UTF8.GetString(raw) : Encoding.UTF8.GetString(raw[..40]) + "...";
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.PropertyName => "a key",
        JsonTokenType.EndObject => "the end of an object",
        JsonTokenType.EndArray => "the end of an array",
        _ => token.ToString(),
    };

    private static InvalidDataException Invalid(FormattableString message) => new(FormattableString.Invariant(message));

    /// <summary>Throws the defect a <see cref="SafeTensorRules"/> check found, if any.</summary>
    private static void Check(string? defect)
    {
        if (defect is not null)
        {
            throw new InvalidDataException(defect + ".");
        }
    }
}
