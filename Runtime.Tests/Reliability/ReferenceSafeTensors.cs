using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Numerics;
using System.Text;
using System.Text.Json;

namespace Fixed.Tests.Reliability;

/// <summary>
/// An independent, deliberately plain reading of the safetensors rules (the reference implementation's
/// <c>safetensors/src/tensor.rs</c>), written against <see cref="JsonDocument"/> rather than the runtime's streaming
/// parser: the fuzzer's oracle. It says whether a file is valid and, if it is, where each tensor's bytes are.
/// </summary>
internal static class ReferenceSafeTensors
{
    public const ulong MaxHeaderLength = 100_000_000;

    private static readonly Dictionary<string, int> DTypeSizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E4M3"] = 1, ["F8_E5M2"] = 1, ["I16"] = 2, ["U16"] = 2, ["F16"] = 2,
        ["BF16"] = 2, ["I32"] = 4, ["U32"] = 4, ["F32"] = 4, ["I64"] = 8, ["U64"] = 8, ["F64"] = 8,
    };

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>One tensor as the header describes it.</summary>
    public sealed record Entry(string DType, int[] Shape, long Begin, long End);

    /// <summary>A valid file: its tensors, its metadata (null when absent) and where the data buffer starts.</summary>
    public sealed record Parsed(Dictionary<string, Entry> Entries, Dictionary<string, string>? Metadata, int DataStart)
    {
        public float[] Floats(byte[] file, Entry entry)
        {
            var values = new float[(entry.End - entry.Begin) / 4];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan(DataStart + (int)entry.Begin + 4 * i));
            }

            return values;
        }
    }

    /// <summary>Parses <paramref name="file"/>; null (and the reason) when it breaks any rule.</summary>
    public static Parsed? TryParse(byte[] file, out string reason)
    {
        try
        {
            return Parse(file, out reason);
        }
        catch (JsonException e)
        {
            reason = "JSON: " + e.Message;
            return null;
        }
        catch (InvalidOperationException e)
        {
            // A string whose escapes decode to invalid UTF-16 (a lone surrogate).
            reason = "string: " + e.Message;
            return null;
        }
    }

    private static Parsed? Parse(byte[] file, out string reason)
    {
        if (file.Length < 8)
        {
            reason = "shorter than the length field";
            return null;
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > MaxHeaderLength || headerLength > (ulong)(file.Length - 8))
        {
            reason = "header length out of range";
            return null;
        }

        byte[] header = file.AsSpan(8, (int)headerLength).ToArray();
        int dataStart = 8 + header.Length;
        long dataLength = file.Length - dataStart;
        if (header.Length == 0 || header[0] != (byte)'{')
        {
            reason = "header does not start with {";
            return null;
        }

        try
        {
            StrictUtf8.GetString(header);
        }
        catch (DecoderFallbackException)
        {
            reason = "header is not UTF-8";
            return null;
        }

        using JsonDocument document = JsonDocument.Parse(header);
        JsonElement root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            reason = "root is not an object";
            return null;
        }

        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        Dictionary<string, string>? metadata = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty property in root.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                reason = "repeated key " + property.Name;
                return null;
            }

            if (property.Name == "__metadata__")
            {
                if (property.Value.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                if (property.Value.ValueKind != JsonValueKind.Object)
                {
                    reason = "metadata is not an object";
                    return null;
                }

                metadata = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (JsonProperty item in property.Value.EnumerateObject())
                {
                    if (item.Value.ValueKind != JsonValueKind.String || !metadata.TryAdd(item.Name, item.Value.GetString()!))
                    {
                        reason = "metadata entry is not a unique string";
                        return null;
                    }
                }

                continue;
            }

            Entry? entry = ParseEntry(property.Value, dataLength, out reason);
            if (entry is null)
            {
                return null;
            }

            entries.Add(property.Name, entry);
        }

        // Sorted by offsets, each tensor starts where the previous ended, and the last ends at the buffer's end.
        var sorted = new List<Entry>(entries.Values);
        sorted.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long covered = 0;
        foreach (Entry entry in sorted)
        {
            if (entry.Begin != covered)
            {
                reason = entry.Begin < covered ? "overlap" : "hole";
                return null;
            }

            covered = entry.End;
        }

        if (covered != dataLength)
        {
            reason = "hole at the end";
            return null;
        }

        reason = "";
        return new Parsed(entries, metadata, dataStart);
    }

    private static Entry? ParseEntry(JsonElement value, long dataLength, out string reason)
    {
        reason = "malformed entry";
        if (value.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        string? dtype = null;
        int[]? shape = null;
        ulong[]? offsets = null;
        foreach (JsonProperty field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype" when dtype is null:
                    if (field.Value.ValueKind != JsonValueKind.String)
                    {
                        return null;
                    }

                    dtype = field.Value.GetString()!;
                    break;
                case "shape" when shape is null:
                    shape = Integers(field.Value, int.MaxValue, out _);
                    if (shape is null)
                    {
                        return null;
                    }

                    break;
                case "data_offsets" when offsets is null:
                    Integers(field.Value, ulong.MaxValue, out offsets);
                    if (offsets is null || offsets.Length != 2)
                    {
                        return null;
                    }

                    break;
                default:
                    return null;
            }
        }

        if (dtype is null || shape is null || offsets is null || !DTypeSizes.TryGetValue(dtype, out int size))
        {
            return null;
        }

        (ulong begin, ulong end) = (offsets[0], offsets[1]);
        if (begin > end || end > (ulong)dataLength)
        {
            reason = "offsets out of range";
            return null;
        }

        BigInteger needed = size;
        foreach (int dimension in shape)
        {
            needed *= dimension;
        }

        if (needed != end - begin)
        {
            reason = "offsets disagree with the shape";
            return null;
        }

        return new Entry(dtype, shape, (long)begin, (long)end);
    }

    /// <summary>A JSON array of non-negative integers each at most <paramref name="max"/>, or null.</summary>
    private static int[]? Integers(JsonElement array, ulong max, out ulong[]? raw)
    {
        raw = null;
        if (array.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var values = new List<ulong>();
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetUInt64(out ulong value) || value > max)
            {
                return null;
            }

            values.Add(value);
        }

        raw = values.ToArray();
        return max <= int.MaxValue ? values.ConvertAll(v => (int)v).ToArray() : [];
    }
}
