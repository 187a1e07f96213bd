// Compiled into the runtime (namespace Fixed) and, linked, into the source generator (namespace Fixed.Generator.Shared).
// Keep it netstandard2.0-compatible C#: see Runtime/Shared/README.md.
using System;
using System.Globalization;
using System.IO;
using System.Text;

#if FIXED_GENERATOR
namespace Fixed.Generator.Shared;
#else
namespace Fixed;
#endif

/// <summary>
/// A reader of one protocol buffers message (the wire format of protobuf's <c>encoding.md</c>) inside a byte array: the
/// fields in order, each a varint, a fixed32/fixed64 or a length-delimited range. Nothing is read outside
/// <c>[start, end)</c>, every length is checked against what is left before it is used, varints are at most 10 bytes,
/// and groups (wire types 3 and 4, deprecated) are refused: a hostile file can only make it throw
/// <see cref="InvalidDataException"/>. It does not recurse: a nested message is read by a new reader over its range,
/// so nesting is as deep as the caller's schema and no deeper.
/// </summary>
internal struct Protobuf
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;
    public const int Fixed32 = 5;

    private readonly byte[] _bytes;
    private readonly int _end;
    private readonly string _what;
    private int _position;

    /// <param name="bytes">The whole file.</param>
    /// <param name="start">Where the message starts.</param>
    /// <param name="end">Where it ends (exclusive).</param>
    /// <param name="what">The message, for errors: "the ModelProto".</param>
    public Protobuf(byte[] bytes, int start, int end, string what)
    {
        _bytes = bytes;
        _position = start;
        _end = end;
        _what = what;
    }

    /// <summary>The whole file: a range from <see cref="Range"/> indexes it.</summary>
    public readonly byte[] Bytes => _bytes;

    /// <summary>The field number of the field just read by <see cref="Next"/>.</summary>
    public int Field { get; private set; }

    /// <summary>The wire type of the field just read by <see cref="Next"/>.</summary>
    public int WireType { get; private set; }

    /// <summary>Reads the next field's key; false at the end of the message.</summary>
    public bool Next()
    {
        if (_position >= _end)
        {
            return false;
        }

        int at = _position;
        ulong key = ReadVarint();
        if (key >> 3 is 0 or > int.MaxValue)
        {
            throw Error("a field key with the field number " + (key >> 3).ToString(CultureInfo.InvariantCulture), at);
        }

        Field = (int)(key >> 3);
        WireType = (int)(key & 7);
        if (WireType is not (Varint or Fixed64 or LengthDelimited or Fixed32))
        {
            throw Error("field " + Field.ToString(CultureInfo.InvariantCulture) + " with the wire type " + WireType.ToString(CultureInfo.InvariantCulture) +
                " (groups and unknown wire types are not read)", at);
        }

        return true;
    }

    /// <summary>The current field as a varint (an int64, a bool or an enum).</summary>
    public long Int64()
    {
        Expect(Varint);
        return (long)ReadVarint();
    }

    /// <summary>The current field as a float (wire type fixed32).</summary>
    public float Float()
    {
        Expect(Fixed32);
        return ReadFloat();
    }

    /// <summary>The current field's range of bytes (a string, bytes, a nested message or a packed array).</summary>
    public (int Start, int Length) Range()
    {
        Expect(LengthDelimited);
        int at = _position;
        ulong length = ReadVarint();
        if (length > (ulong)(_end - _position))
        {
            throw Error("field " + Field.ToString(CultureInfo.InvariantCulture) + " claims " + length.ToString(CultureInfo.InvariantCulture) +
                " bytes where " + (_end - _position).ToString(CultureInfo.InvariantCulture) + " are left", at);
        }

        int start = _position;
        _position += (int)length;
        return (start, (int)length);
    }

    /// <summary>The current field as a UTF-8 string of at most <paramref name="maxBytes"/> bytes.</summary>
    public string String(int maxBytes = 1 << 16)
    {
        (int start, int length) = Range();
        if (length > maxBytes)
        {
            throw Error("a string of " + length.ToString(CultureInfo.InvariantCulture) + " bytes (at most " + maxBytes.ToString(CultureInfo.InvariantCulture) + " are read)", start);
        }

        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(_bytes, start, length);
        }
        catch (DecoderFallbackException)
        {
            throw Error("a string that is not UTF-8", start);
        }
    }

    /// <summary>A reader over the current field, a nested message.</summary>
    public Protobuf Message(string what)
    {
        (int start, int length) = Range();
        return new Protobuf(_bytes, start, start + length, what);
    }

    /// <summary>Reads past the current field's value.</summary>
    public void Skip()
    {
        switch (WireType)
        {
            case Varint: ReadVarint(); break;
            case Fixed64: Advance(8); break;
            case Fixed32: Advance(4); break;
            default: Range(); break;
        }
    }

    /// <summary>
    /// The values of a repeated varint field (int64s), one at a time or packed: appends them to <paramref name="values"/>,
    /// at most <paramref name="max"/> in all.
    /// </summary>
    public void Int64s(System.Collections.Generic.List<long> values, int max)
    {
        if (WireType == LengthDelimited)
        {
            Protobuf packed = Message(_what);
            while (packed._position < packed._end)
            {
                Add(values, (long)packed.ReadVarint(), max);
            }
        }
        else
        {
            Add(values, Int64(), max);
        }
    }

    /// <summary>The values of a repeated float field, one at a time or packed, appended to <paramref name="values"/>, at most <paramref name="max"/>.</summary>
    public void Floats(System.Collections.Generic.List<float> values, int max)
    {
        if (WireType == LengthDelimited)
        {
            (int start, int length) = Range();
            if (length % 4 != 0)
            {
                throw Error("a packed float array of " + length.ToString(CultureInfo.InvariantCulture) + " bytes, not a multiple of 4", start);
            }

            if ((long)values.Count + (length / 4) > max)
            {
                throw Error("more than " + max.ToString(CultureInfo.InvariantCulture) + " values in one field", start);
            }

            for (int i = 0; i < length; i += 4)
            {
                values.Add(LittleEndianFloat(_bytes, start + i));
            }
        }
        else
        {
            Add(values, Float(), max);
        }
    }

    /// <summary>The float at <paramref name="offset"/>, little-endian, as protobuf and ONNX's raw_data store it.</summary>
    public static float LittleEndianFloat(byte[] bytes, int offset)
    {
        int bits = bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24);
#if FIXED_GENERATOR
        return BitConverter.ToSingle(BitConverter.GetBytes(bits), 0);
#else
        return BitConverter.Int32BitsToSingle(bits);
#endif
    }

    /// <summary>The int64 at <paramref name="offset"/>, little-endian.</summary>
    public static long LittleEndianInt64(byte[] bytes, int offset)
    {
        long value = 0;
        for (int i = 7; i >= 0; i--)
        {
            value = (value << 8) | bytes[offset + i];
        }

        return value;
    }

    private void Add<T>(System.Collections.Generic.List<T> values, T value, int max)
    {
        if (values.Count >= max)
        {
            throw Error("more than " + max.ToString(CultureInfo.InvariantCulture) + " values in one field", _position);
        }

        values.Add(value);
    }

    private void Expect(int wireType)
    {
        if (WireType != wireType)
        {
            throw Error("field " + Field.ToString(CultureInfo.InvariantCulture) + " with the wire type " + WireType.ToString(CultureInfo.InvariantCulture) +
                " where the schema has " + wireType.ToString(CultureInfo.InvariantCulture), _position);
        }
    }

    private float ReadFloat()
    {
        int at = _position;
        Advance(4);
        return LittleEndianFloat(_bytes, at);
    }

    private void Advance(int count)
    {
        if (_end - _position < count)
        {
            throw Error("a field cut off by the end of the message", _position);
        }

        _position += count;
    }

    private ulong ReadVarint()
    {
        int at = _position;
        ulong value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _end)
            {
                throw Error("a varint cut off by the end of the message", at);
            }

            byte b = _bytes[_position++];
            if (shift == 63 && b > 1)
            {
                break;
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw Error("a varint longer than 64 bits", at);
    }

    private InvalidDataException Error(string found, int at) =>
        new(_what + " has " + found + " (at byte " + at.ToString(CultureInfo.InvariantCulture) + "): the file is not a valid protobuf message");
}
