using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Fixed;

/// <summary>
/// Writes float tensors as a safetensors file that PyTorch's <c>safetensors.torch.load_file</c> and
/// <see cref="SafeTensorFile"/> read back. The output is deterministic: the same tensors and metadata give
/// byte-identical files.
/// </summary>
/// <remarks>
/// Layout: the 8-byte little-endian header length; the compact JSON header with <c>__metadata__</c> first
/// (keys in ordinal order) then the tensors in the order given, padded with spaces to a multiple of 8 bytes
/// so that the data starts aligned; then each tensor's little-endian F32 data, contiguous, in the same order.
/// </remarks>
public static class SafeTensorWriter
{
    private const string MetadataKey = SafeTensorRules.MetadataKey;

    // Names are written as they are (no \u escapes for non-ASCII or for characters that matter only in HTML),
    // as Python's json.dumps(ensure_ascii=False) does; the header is never embedded in HTML.
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="destination"/>.</summary>
    /// <param name="destination">Receives the file, from its current position.</param>
    /// <param name="tensors">The tensors, written in this order.</param>
    /// <param name="metadata">The <c>__metadata__</c> entries; null or empty writes none.</param>
    /// <exception cref="ArgumentException">
    /// A name is repeated or is <c>__metadata__</c>, a shape has a negative dimension or does not match its data's
    /// length, or the header would exceed <see cref="SafeTensorFile.MaxHeaderLength"/>. Checked before anything is written.
    /// </exception>
    public static void Write(Stream destination, IReadOnlyList<FloatTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        byte[] header = BuildHeader(tensors, metadata);
        WriteFile(destination, header, tensors);
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/> atomically: a complete new file replaces the
    /// old one, or, on any failure, the old one is left intact and no temporary file remains.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="tensors">The tensors, written in this order.</param>
    /// <param name="metadata">The <c>__metadata__</c> entries; null or empty writes none.</param>
    /// <exception cref="ArgumentException">As for <see cref="Write(Stream, IReadOnlyList{FloatTensor}, IReadOnlyDictionary{string, string}?)"/>; the disk is not touched.</exception>
    public static void Write(string path, IReadOnlyList<FloatTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] header = BuildHeader(tensors, metadata);
        AtomicFile.Write(path, stream => WriteFile(stream, header, tensors));
    }

    private static void WriteFile(Stream destination, byte[] header, IReadOnlyList<FloatTensor> tensors)
    {
        Span<byte> lengthField = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(lengthField, (ulong)header.Length);
        destination.Write(lengthField);
        destination.Write(header);
        for (int i = 0; i < tensors.Count; i++)
        {
            WriteLittleEndian(destination, tensors[i].Data.Span);
        }
    }

    private static void WriteLittleEndian(Stream destination, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            destination.Write(MemoryMarshal.AsBytes(values));
            return;
        }

        Span<byte> chunk = stackalloc byte[4096];
        while (!values.IsEmpty)
        {
            int count = Math.Min(values.Length, chunk.Length / 4);
            for (int i = 0; i < count; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(chunk[(4 * i)..], values[i]);
            }

            destination.Write(chunk[..(4 * count)]);
            values = values[count..];
        }
    }

    /// <summary>Validates the arguments and returns the padded header, so that nothing is written on a bad argument.</summary>
    private static byte[] BuildHeader(IReadOnlyList<FloatTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var json = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(json, JsonOptions))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                WriteMetadata(writer, metadata);
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            long offset = 0;
            for (int i = 0; i < tensors.Count; i++)
            {
                FloatTensor tensor = tensors[i];
                CheckTensor(tensor, i, names);
                long end = offset + 4L * tensor.Data.Length;
                writer.WritePropertyName(tensor.Name);
                writer.WriteStartObject();
                writer.WriteString("dtype"u8, SafeTensorDType.F32);
                writer.WriteStartArray("shape"u8);
                for (int d = 0; d < tensor.Shape.Count; d++)
                {
                    writer.WriteNumberValue(tensor.Shape[d]);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets"u8);
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(end);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset = end;
            }

            writer.WriteEndObject();
        }

        // Spaces up to a multiple of 8, as the reference writer does: the data buffer then starts 8-byte aligned.
        int paddedLength = (json.WrittenCount + 7) & ~7;
        if (paddedLength > SafeTensorFile.MaxHeaderLength)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"tensors: the header would be {paddedLength} bytes, over the {SafeTensorFile.MaxHeaderLength}-byte limit readers enforce."),
                nameof(tensors));
        }

        byte[] header = new byte[paddedLength];
        json.WrittenSpan.CopyTo(header);
        header.AsSpan(json.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteMetadata(Utf8JsonWriter writer, IReadOnlyDictionary<string, string> metadata)
    {
        // Dictionary enumeration order is an implementation detail: sort, so the bytes depend only on the content.
        var keys = new List<string>(metadata.Keys);
        keys.Sort(StringComparer.Ordinal);
        writer.WriteStartObject(MetadataKey);
        foreach (string key in keys)
        {
            string value = metadata[key]
                ?? throw new ArgumentException($"metadata: the value of {SafeTensorText.Quote(key)} is null; metadata maps strings to strings.", nameof(metadata));
            if (!SafeTensorText.IsWellFormed(key) || !SafeTensorText.IsWellFormed(value))
            {
                throw new ArgumentException($"metadata: the entry {SafeTensorText.Quote(key)} holds a lone surrogate, which a safetensors header cannot store.", nameof(metadata));
            }

            writer.WriteString(key, value);
        }

        writer.WriteEndObject();
    }

    private static void CheckTensor(FloatTensor tensor, int index, HashSet<string> names)
    {
        string where = string.Create(CultureInfo.InvariantCulture, $"tensors[{index}]");
        if (tensor.Name is null || tensor.Shape is null)
        {
            throw new ArgumentException($"{where}: the name and the shape must not be null.", "tensors");
        }

        string tensorName = SafeTensorText.Quote(tensor.Name);
        if (tensor.Name == MetadataKey)
        {
            throw new ArgumentException($"{where}: {tensorName} is reserved for the metadata and cannot name a tensor.", "tensors");
        }

        if (!SafeTensorText.IsWellFormed(tensor.Name))
        {
            throw new ArgumentException($"{where}: the name {tensorName} holds a lone surrogate, which a safetensors header cannot store.", "tensors");
        }

        if (!names.Add(tensor.Name))
        {
            throw new ArgumentException($"{where}: the name {tensorName} is used twice.", "tensors");
        }

        long count = 1;
        for (int d = 0; d < tensor.Shape.Count; d++)
        {
            int dimension = tensor.Shape[d];
            if (dimension < 0)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"{where}: tensor {tensorName} has shape {SafeTensorText.Shape(tensor.Shape)} with a negative dimension."),
                    "tensors");
            }

            // Saturate instead of overflowing: any count above int.MaxValue already differs from Data.Length.
            count = Math.Min(count * dimension, (long)int.MaxValue + 1);
        }

        if (count != tensor.Data.Length)
        {
            string elements = count > int.MaxValue
                ? string.Create(CultureInfo.InvariantCulture, $"more than {int.MaxValue} elements")
                : string.Create(CultureInfo.InvariantCulture, $"{count} elements");
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{where}: tensor {tensorName} has shape {SafeTensorText.Shape(tensor.Shape)} ({elements}) but {tensor.Data.Length} floats of data."),
                "tensors");
        }
    }
}
