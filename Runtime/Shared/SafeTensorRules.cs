// Compiled into the runtime (namespace Fixed) and, linked, into the source generator (namespace Fixed.Generator.Shared),
// which validates the weights files it embeds by the runtime's rules. Keep it netstandard2.0-compatible C#: see
// Runtime/Shared/README.md.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;

#if FIXED_GENERATOR
namespace Fixed.Generator.Shared;
#else
namespace Fixed;
#endif

/// <summary>
/// The rules of a safetensors header that do not depend on how its JSON is read: the length prefix and its bound, the
/// metadata key, which keys an entry has and that each appears once, the dtype, that offsets are in bounds and span the
/// bytes the shape needs, and that the tensors tile the data buffer with no holes or overlaps. The runtime's
/// <c>SafeTensorFile</c> (over <c>Utf8JsonReader</c>) and the generator's reader (its own small JSON reader, as an
/// analyzer cannot bring System.Text.Json into the compiler) each walk the JSON and ask these for every verdict.
/// </summary>
/// <remarks>
/// Each check returns the defect as a message (no final period: the runtime ends its exception messages with one, the
/// generator embeds the text in a diagnostic), or null when there is none. Names from the file are quoted with
/// <see cref="SafeTensorText.Quote"/>.
/// </remarks>
internal static class SafeTensorRules
{
    /// <summary>The largest header accepted, in bytes, as in the reference implementation.</summary>
    public const int MaxHeaderLength = 100_000_000;

    /// <summary>The header key of the optional string-to-string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    private const string EntryKeys = "an entry has exactly dtype, shape and data_offsets";

    /// <summary>
    /// Reads the 8-byte little-endian header length of <paramref name="file"/> and checks it: within the limit, within the
    /// file, and the header starting with <c>{</c>. On success <paramref name="headerLength"/> is the header's byte count
    /// (the data buffer starts at <c>8 + headerLength</c>).
    /// </summary>
    public static string? CheckPrefix(ReadOnlySpan<byte> file, out int headerLength)
    {
        headerLength = 0;
        if (file.Length < 8)
        {
            return "the file is " + N(file.Length) + " bytes: too short for the 8-byte header length";
        }

        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (length > MaxHeaderLength)
        {
            return "header length " + N(length) + " exceeds the limit of " + N(MaxHeaderLength) + " bytes";
        }

        if (length > (ulong)(file.Length - 8))
        {
            return "header length " + N(length) + " runs past the end of the file: only " + N(file.Length - 8) + " bytes follow the length field";
        }

        headerLength = (int)length;
        return length == 0 || file[8] != (byte)'{' ? "the header does not start with '{': it must be a JSON object" : null;
    }

    /// <summary>How an entry is named in messages: <c>tensor 'rnn.weight_ih_l0'</c>.</summary>
    public static string Tensor(string name) => "tensor " + SafeTensorText.Quote(name);

    /// <summary>A second <c>__metadata__</c>, or a tensor name seen before (escapes decoded).</summary>
    public static string? CheckNewName(string name, bool sawMetadata, HashSet<string> tensorNames) =>
        name == MetadataKey
            ? sawMetadata ? "the header has \"" + MetadataKey + "\" twice" : null
            : tensorNames.Add(name) ? null : Tensor(name) + " appears twice in the header";

    /// <summary>A metadata value that is not a string.</summary>
    public static string MetadataValueNotString(string key) => "\"" + MetadataKey + "\" entry " + SafeTensorText.Quote(key) + " must be a string";

    /// <summary>A metadata key seen before.</summary>
    public static string? CheckNewMetadataKey(string key, HashSet<string> keys) =>
        keys.Add(key) ? null : "\"" + MetadataKey + "\" has the key " + SafeTensorText.Quote(key) + " twice";

    /// <summary>
    /// An entry's key: one of dtype, shape and data_offsets, each once (<paramref name="seen"/> says whether this one
    /// has been read already).
    /// </summary>
    public static string? CheckKey(string tensor, string key, bool seen) =>
        key is not ("dtype" or "shape" or "data_offsets") ? tensor + ": unexpected key " + SafeTensorText.Quote(key) + "; " + EntryKeys
        : seen ? tensor + ": \"" + key + "\" appears twice"
        : null;

    /// <summary>A dtype name; on success the shared constant for it and its size in bytes.</summary>
    public static string? CheckDType(string tensor, string value, out string dtype, out int elementSize) =>
        SafeTensorDType.TryGetSize(value, out dtype, out elementSize)
            ? null
            : tensor + ": unknown dtype " + SafeTensorText.Quote(value) + "; expected one of " + SafeTensorDType.KnownNames;

    /// <summary>The end of an entry: all three keys were there.</summary>
    public static string? CheckComplete(string tensor, bool hasDType, bool hasShape, bool hasOffsets) =>
        hasDType && hasShape && hasOffsets
            ? null
            : tensor + ": missing \"" + (!hasDType ? "dtype" : !hasShape ? "shape" : "data_offsets") + "\"; " + EntryKeys;

    /// <summary>
    /// An entry's offsets: <c>begin ≤ end ≤ dataLength</c>, and <c>end - begin</c> the bytes <paramref name="shape"/>
    /// of <paramref name="elementSize"/>-byte elements needs.
    /// </summary>
    public static string? CheckExtent(string tensor, string dtype, int elementSize, IReadOnlyList<int> shape, ulong begin, ulong end, long dataLength)
    {
        string offsets = "data_offsets [" + N(begin) + ", " + N(end) + "]";
        if (begin > end)
        {
            return tensor + ": " + offsets + " begins after it ends";
        }

        if (end > (ulong)dataLength)
        {
            return tensor + ": " + offsets + " runs past the end of the " + N(dataLength) + "-byte data buffer";
        }

        long byteLength = (long)(end - begin);
        bool fits = TryGetByteLength(shape, elementSize, out long needed);
        return fits && needed == byteLength
            ? null
            : tensor + ": " + offsets + " span " + N(byteLength) + " bytes but shape " + SafeTensorText.Shape(shape) + " of " + dtype +
                " needs " + (fits ? N(needed) : "more than 2^63");
    }

    /// <summary>The product of the shape and the element size, or false when it does not fit in a long.</summary>
    public static bool TryGetByteLength(IReadOnlyList<int> shape, int elementSize, out long byteLength)
    {
        byteLength = 0;
        for (int i = 0; i < shape.Count; i++)
        {
            if (shape[i] == 0)
            {
                // Checked before multiplying: [huge, huge, huge, 0] is empty, not an overflow.
                return true;
            }
        }

        long product = elementSize;
        for (int i = 0; i < shape.Count; i++)
        {
            if (product > long.MaxValue / shape[i])
            {
                return false;
            }

            product *= shape[i];
        }

        byteLength = product;
        return true;
    }

    /// <summary>Sorted by where they begin, the tensors must cover the data buffer exactly, end to end.</summary>
    public static string? CheckTiling<T>(IReadOnlyList<T> entries, Func<T, string> name, Func<T, long> begin, Func<T, long> end, long dataLength)
    {
        var order = new int[entries.Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        // The index breaks ties so that which tensor a message names does not depend on the sort.
        Array.Sort(order, (a, b) =>
        {
            int byBegin = begin(entries[a]).CompareTo(begin(entries[b]));
            int byEnd = byBegin != 0 ? byBegin : end(entries[a]).CompareTo(end(entries[b]));
            return byEnd != 0 ? byEnd : a.CompareTo(b);
        });

        long covered = 0;
        int previous = -1;
        foreach (int index in order)
        {
            T entry = entries[index];
            if (begin(entry) < covered)
            {
                T before = entries[previous];
                return Tensor(name(entry)) + " (data_offsets [" + N(begin(entry)) + ", " + N(end(entry)) + "]) overlaps " +
                    Tensor(name(before)) + " (data_offsets [" + N(begin(before)) + ", " + N(end(before)) + "])";
            }

            if (begin(entry) > covered)
            {
                return "bytes [" + N(covered) + ", " + N(begin(entry)) + ") of the data buffer belong to no tensor: a hole before " + Tensor(name(entry));
            }

            covered = end(entry);
            previous = index;
        }

        return covered == dataLength
            ? null
            : "bytes [" + N(covered) + ", " + N(dataLength) + ") of the data buffer belong to no tensor: the tensors cover " + N(covered) + " of its " + N(dataLength) + " bytes";
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string N(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
