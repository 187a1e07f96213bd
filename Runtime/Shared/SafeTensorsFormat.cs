// Compiled into the runtime (namespace Fixed) and, linked, into the source generator (namespace Fixed.Generator.Shared):
// a PyTorch state_dict saved as safetensors, imported by [ModelFile] at compile time and by Load at run time. Keep it
// netstandard2.0-compatible C#: see Runtime/Shared/README.md.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

#if FIXED_GENERATOR
namespace Fixed.Generator.Shared;
#else
namespace Fixed;
#endif

/// <summary>
/// A PyTorch <c>state_dict</c> saved as safetensors (<c>safetensors.torch.save_file(model.state_dict(), path)</c>, or any
/// writer of the format): the header is checked by the rules every safetensors reader here applies
/// (<see cref="SafeTensorRules"/>), then the tensors go through the same recognition as a state_dict written as JSON
/// (<see cref="StateDictFormat"/>). F32 tensors are read as they are; F16, BF16 and F64 are converted to float32 as
/// PyTorch's <c>.float()</c> converts them (exactly for F16 and BF16, rounded to the nearest for F64).
/// </summary>
/// <remarks>
/// safetensors' own writer sorts the tensors by name, which loses the order of the modules: a header sorted that way
/// has its modules put in the one order in which they chain (<see cref="StateDictFormat.Read(string, List{KeyValuePair{string, StateDictTensor}}, string, int, bool)"/>);
/// a header in any other order was written in the state_dict's order, which is then the model's.
/// </remarks>
internal static class SafeTensorsFormat
{
    public const string Name = "safetensors state_dict";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Whether the bytes start as a safetensors file does: a little-endian u64 header length that the file can hold, then
    /// <c>{</c>. A JSON text starts with whitespace, a byte order mark or <c>{</c>: eight such bytes make a length over
    /// 2^61, which no file has; an ONNX file's eighth byte is inside its producer's name.
    /// </summary>
    public static bool LooksLikeOne(byte[] bytes) =>
        bytes.Length >= 9 && BinaryPrimitives.ReadUInt64LittleEndian(bytes) <= (ulong)(bytes.Length - 8) && bytes[8] == (byte)'{';

    /// <exception cref="InvalidDataException">The file is not valid safetensors, or its tensors are not a state_dict Fixed can chain.</exception>
    /// <exception cref="UnsupportedModelException">A module or dtype Fixed does not have.</exception>
    public static ImportedModel Read(byte[] bytes)
    {
        Check(SafeTensorRules.CheckPrefix(bytes, out int headerLength));
        int dataStart = 8 + headerLength;
        long dataLength = bytes.Length - dataStart;
        string json;
        try
        {
            json = StrictUtf8.GetString(bytes, 8, headerLength);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException("the safetensors header is not valid UTF-8");
        }

        ModelJsonNode root;
        try
        {
            root = ModelJson.Parse(json);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException("the safetensors header: " + e.Message);
        }

        if (root.Kind != ModelJsonKind.Object)
        {
            throw new InvalidDataException("the safetensors header is " + root.Describe() + ", but must be a JSON object");
        }

        var entries = new List<Entry>(root.Members.Count);
        foreach (KeyValuePair<string, ModelJsonNode> member in root.Members)
        {
            if (member.Key == SafeTensorRules.MetadataKey)
            {
                CheckMetadata(member.Value);
            }
            else
            {
                entries.Add(ReadEntry(member.Key, member.Value, dataLength));
            }
        }

        Check(SafeTensorRules.CheckTiling(entries, static e => e.Name, static e => e.Begin, static e => e.End, dataLength));
        if (entries.Count == 0)
        {
            throw new InvalidDataException("the safetensors file holds no tensors");
        }

        var tensors = new List<KeyValuePair<string, StateDictTensor>>(entries.Count);
        foreach (Entry entry in entries)
        {
            tensors.Add(new KeyValuePair<string, StateDictTensor>(entry.Name, new Tensor(bytes, dataStart, entry)));
        }

        return StateDictFormat.Read(Name, tensors, string.Empty, 0, keyOrder: !SortedByName(entries));
    }

    /// <summary>
    /// Whether the header lists the tensors as safetensors' own writer does: by dtype, then by name (ordinal). A state_dict's
    /// own order never is (a recurrent module's <c>weight_ih_l0</c> comes before its <c>weight_hh_l0</c>, a Linear's
    /// <c>weight</c> before its <c>bias</c>), except for a file of bias-free Linear modules named in order.
    /// </summary>
    private static bool SortedByName(List<Entry> entries)
    {
        for (int i = 1; i < entries.Count; i++)
        {
            if (entries[i].DType == entries[i - 1].DType && string.CompareOrdinal(entries[i - 1].Name, entries[i].Name) > 0)
            {
                return false;
            }
        }

        return true;
    }

    private static void CheckMetadata(ModelJsonNode metadata)
    {
        if (metadata.Kind == ModelJsonKind.Null)
        {
            // The reference implementation reads "__metadata__": null as no metadata.
            return;
        }

        if (metadata.Kind != ModelJsonKind.Object)
        {
            throw new InvalidDataException("\"" + SafeTensorRules.MetadataKey + "\" is " + metadata.Describe() + ", but must be an object mapping strings to strings");
        }

        foreach (KeyValuePair<string, ModelJsonNode> entry in metadata.Members)
        {
            if (entry.Value.Kind != ModelJsonKind.String)
            {
                throw new InvalidDataException(SafeTensorRules.MetadataValueNotString(entry.Key));
            }
        }
    }

    private static Entry ReadEntry(string name, ModelJsonNode node, long dataLength)
    {
        string tensor = SafeTensorRules.Tensor(name);
        if (node.Kind != ModelJsonKind.Object)
        {
            throw new InvalidDataException(tensor + " is " + node.Describe() + ", but must be an object with dtype, shape and data_offsets");
        }

        string? dtype = null;
        int elementSize = 0;
        List<int>? shape = null;
        ulong begin = 0, end = 0;
        bool hasOffsets = false;
        foreach (KeyValuePair<string, ModelJsonNode> member in node.Members)
        {
            Check(SafeTensorRules.CheckKey(tensor, member.Key, seen: false));
            ModelJsonNode value = member.Value;
            switch (member.Key)
            {
                case "dtype":
                    if (value.Kind != ModelJsonKind.String)
                    {
                        throw new InvalidDataException(tensor + ": \"dtype\" must be a string");
                    }

                    Check(SafeTensorRules.CheckDType(tensor, value.Text!, out string known, out elementSize));
                    dtype = known;
                    break;
                case "shape":
                    string what = tensor + ": \"shape\" must be an array of non-negative integers";
                    List<ModelJsonNode> sizes = Items(value, what);
                    shape = new List<int>(sizes.Count);
                    foreach (ModelJsonNode size in sizes)
                    {
                        shape.Add((int)Unsigned(size, what, int.MaxValue));
                    }

                    break;
                default:
                    string offsets = tensor + ": \"data_offsets\" must be [begin, end], two non-negative integers";
                    List<ModelJsonNode> pair = Items(value, offsets);
                    if (pair.Count != 2)
                    {
                        throw new InvalidDataException(offsets);
                    }

                    begin = Unsigned(pair[0], offsets, ulong.MaxValue);
                    end = Unsigned(pair[1], offsets, ulong.MaxValue);
                    hasOffsets = true;
                    break;
            }
        }

        Check(SafeTensorRules.CheckComplete(tensor, dtype is not null, shape is not null, hasOffsets));
        Check(SafeTensorRules.CheckExtent(tensor, dtype!, elementSize, shape!, begin, end, dataLength));
        return new Entry(name, dtype!, elementSize, shape!, (long)begin, (long)end);
    }

    private static List<ModelJsonNode> Items(ModelJsonNode node, string what) =>
        node.Kind == ModelJsonKind.Array ? node.Items : throw new InvalidDataException(what + "; found " + node.Describe());

    /// <summary>An integral JSON number in [0, <paramref name="max"/>] (one past what a double holds exactly is past any file's end anyway).</summary>
    private static ulong Unsigned(ModelJsonNode node, string what, ulong max)
    {
        if (node.Kind != ModelJsonKind.Number || node.Number < 0 || node.Number != Math.Floor(node.Number) || node.Number > max)
        {
            throw new InvalidDataException(what + "; found " + node.Describe());
        }

        return node.Number >= 18446744073709551615.0 ? ulong.MaxValue : (ulong)node.Number;
    }

    private static void Check(string? defect)
    {
        if (defect is not null)
        {
            throw new InvalidDataException(defect);
        }
    }

    private sealed class Entry(string name, string dtype, int elementSize, List<int> shape, long begin, long end)
    {
        public string Name { get; } = name;

        public string DType { get; } = dtype;

        public int ElementSize { get; } = elementSize;

        public List<int> Shape { get; } = shape;

        public long Begin { get; } = begin;

        public long End { get; } = end;
    }

    /// <summary>A tensor of the file, read (and converted to float32) only when the recognition asks for it, after its shape is checked.</summary>
    private sealed class Tensor(byte[] bytes, int dataStart, Entry entry) : StateDictTensor
    {
        public override float[] Matrix(string path, out int rows, out int columns)
        {
            List<int> shape = entry.Shape;
            if (shape.Count >= 3)
            {
                throw new UnsupportedModelException(path + " is a tensor of " + shape.Count.ToString(CultureInfo.InvariantCulture) + " dimensions " +
                    SafeTensorText.Shape(shape) + " (a convolution's?), which no Fixed layer has");
            }

            if (shape.Count != 2)
            {
                throw new InvalidDataException(path + " has the shape " + SafeTensorText.Shape(shape) + ", but must be a 2-D tensor");
            }

            rows = shape[0];
            columns = shape[1];
            StateDictFormat.CheckMatrixSize(path, rows, columns);
            return Values(path);
        }

        public override float[] Vector(int length, string path)
        {
            if (entry.Shape.Count != 1 || entry.Shape[0] != length)
            {
                throw new InvalidDataException(path + " has the shape " + SafeTensorText.Shape(entry.Shape) + ", but must be [" + length.ToString(CultureInfo.InvariantCulture) + "]");
            }

            return Values(path);
        }

        private float[] Values(string path)
        {
            // The shape's element count times the element size is the tensor's byte count (checked with the header), and
            // the shape's sizes are within the import's limits: the count fits an int.
            int count = (int)((entry.End - entry.Begin) / entry.ElementSize);
            var values = new float[count];
            int at = dataStart + (int)entry.Begin;
            for (int i = 0; i < count; i++)
            {
                float value = entry.DType switch
                {
                    SafeTensorDType.F32 => FromBits(BinaryPrimitives.ReadInt32LittleEndian(new ReadOnlySpan<byte>(bytes, at + (4 * i), 4))),
                    SafeTensorDType.BF16 => FromBits(BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(bytes, at + (2 * i), 2)) << 16),
                    SafeTensorDType.F16 => FromHalf(BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(bytes, at + (2 * i), 2))),
                    SafeTensorDType.F64 => (float)BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64LittleEndian(new ReadOnlySpan<byte>(bytes, at + (8 * i), 8))),
                    _ => throw new UnsupportedModelException(path + " has the dtype " + entry.DType +
                        ": Fixed reads weights stored as F32 (or F16, BF16, F64, converted to float32), not integers, booleans or 8-bit floats"),
                };
                if (float.IsNaN(value) || float.IsInfinity(value))
                {
                    throw new InvalidDataException(path + "[" + i.ToString(CultureInfo.InvariantCulture) + "] is " +
                        (float.IsNaN(value) ? "NaN" : entry.DType == SafeTensorDType.F64 ? "too large for a float32" : "infinite") + ": a weight must be a finite float32");
                }

                values[i] = value;
            }

            return values;
        }

        private static float FromBits(int bits)
        {
#if FIXED_GENERATOR
            return BitConverter.ToSingle(BitConverter.GetBytes(bits), 0);
#else
            return BitConverter.Int32BitsToSingle(bits);
#endif
        }

        /// <summary>An IEEE half as float32 (exact: every half is a float32); infinity and NaN come back as such.</summary>
        private static float FromHalf(int half)
        {
            int exponent = (half >> 10) & 0x1F;
            int mantissa = half & 0x3FF;
            float magnitude = exponent == 0x1F
                ? (mantissa == 0 ? float.PositiveInfinity : float.NaN)
                : exponent == 0
                    ? mantissa * 5.9604644775390625E-08f // 2^-24: a subnormal half
                    : (float)((1024 + mantissa) * Math.Pow(2, exponent - 25));
            return (half & 0x8000) != 0 ? -magnitude : magnitude;
        }
    }
}
