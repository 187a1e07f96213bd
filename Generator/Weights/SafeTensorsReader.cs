using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Fixed.Generator.Model;

namespace Fixed.Generator.Weights;

/// <summary>
/// Reads and validates a safetensors file for embedding, with the rules of the runtime's <c>SafeTensorFile</c>: the
/// header length, strict JSON (no comments, no trailing commas, no repeated keys), every entry with exactly dtype,
/// shape and data_offsets, a known dtype, offsets in bounds whose byte count matches the shape, and tensors that tile
/// the data buffer with no holes or overlaps. A small reader of its own, because an analyzer cannot bring
/// System.Text.Json into every compiler process, and the header's grammar is four kinds of value deep.
/// </summary>
internal static class SafeTensorsReader
{
    /// <summary>The largest header accepted, in bytes, as in the reference implementation and the runtime.</summary>
    public const int MaxHeaderLength = 100_000_000;

    private const string MetadataKey = "__metadata__";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Validates <paramref name="file"/>; on failure returns false and a message that names the tensor at fault.</summary>
    public static bool TryRead(byte[] file, out List<SafeTensorsEntry> entries, out int dataStart, out string error)
    {
        try
        {
            entries = Read(file, out dataStart);
            error = string.Empty;
            return true;
        }
        catch (FormatException e)
        {
            entries = [];
            dataStart = 0;
            error = e.Message;
            return false;
        }
    }

    private static List<SafeTensorsEntry> Read(byte[] file, out int dataStart)
    {
        if (file.Length < 8)
        {
            throw Invalid("the file is " + N(file.Length) + " bytes: too short for the 8-byte header length");
        }

        ulong headerLength = 0;
        for (int i = 7; i >= 0; i--)
        {
            headerLength = (headerLength << 8) | file[i];
        }

        if (headerLength > MaxHeaderLength)
        {
            throw Invalid("header length " + N(headerLength) + " exceeds the limit of " + N(MaxHeaderLength) + " bytes");
        }

        if (headerLength > (ulong)(file.Length - 8))
        {
            throw Invalid("header length " + N(headerLength) + " runs past the end of the file: only " + N(file.Length - 8) + " bytes follow the length field");
        }

        dataStart = 8 + (int)headerLength;
        long dataLength = file.Length - dataStart;
        if (headerLength == 0 || file[8] != (byte)'{')
        {
            throw Invalid("the header does not start with '{': it must be a JSON object");
        }

        string json;
        try
        {
            json = StrictUtf8.GetString(file, 8, (int)headerLength);
        }
        catch (DecoderFallbackException)
        {
            throw Invalid("the header is not valid UTF-8");
        }

        List<SafeTensorsEntry> entries = new HeaderParser(json, dataLength).Parse();
        CheckTiling(entries, dataLength);
        return entries;
    }

    /// <summary>Sorted by where they begin, the tensors must cover the data buffer exactly, end to end.</summary>
    private static void CheckTiling(List<SafeTensorsEntry> entries, long dataLength)
    {
        var order = new List<int>(entries.Count);
        for (int i = 0; i < entries.Count; i++)
        {
            order.Add(i);
        }

        // The index breaks ties so that which tensor a message names does not depend on the sort.
        order.Sort((a, b) =>
        {
            int byBegin = entries[a].Begin.CompareTo(entries[b].Begin);
            int byEnd = byBegin != 0 ? byBegin : entries[a].End.CompareTo(entries[b].End);
            return byEnd != 0 ? byEnd : a.CompareTo(b);
        });

        long covered = 0;
        SafeTensorsEntry? previous = null;
        foreach (int index in order)
        {
            SafeTensorsEntry entry = entries[index];
            if (entry.Begin < covered)
            {
                throw Invalid("tensor " + MessageText.Quote(entry.Name) + " (data_offsets [" + N(entry.Begin) + ", " + N(entry.End) + "]) overlaps tensor " +
                    MessageText.Quote(previous!.Name) + " (data_offsets [" + N(previous.Begin) + ", " + N(previous.End) + "])");
            }

            if (entry.Begin > covered)
            {
                throw Invalid("bytes [" + N(covered) + ", " + N(entry.Begin) + ") of the data buffer belong to no tensor: a hole before tensor " + MessageText.Quote(entry.Name));
            }

            covered = entry.End;
            previous = entry;
        }

        if (covered != dataLength)
        {
            throw Invalid("bytes [" + N(covered) + ", " + N(dataLength) + ") of the data buffer belong to no tensor: the tensors cover " + N(covered) + " of its " + N(dataLength) + " bytes");
        }
    }

    /// <summary>The safetensors dtypes and their sizes; sub-byte types are rejected, as by the runtime.</summary>
    private static int DTypeSize(string name) => name switch
    {
        "BOOL" or "U8" or "I8" or "F8_E4M3" or "F8_E5M2" => 1,
        "I16" or "U16" or "F16" or "BF16" => 2,
        "I32" or "U32" or "F32" => 4,
        "I64" or "U64" or "F64" => 8,
        _ => 0,
    };

    private static FormatException Invalid(string message) => new(message);

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string N(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A recursive-descent reader for exactly the header's grammar; anything else is an error.</summary>
    private sealed class HeaderParser(string json, long dataLength)
    {
        private int _position;

        public List<SafeTensorsEntry> Parse()
        {
            var entries = new List<SafeTensorsEntry>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            bool sawMetadata = false;
            Expect('{', "the header must be a JSON object");
            if (!TryConsume('}'))
            {
                do
                {
                    string name = ReadString("a tensor name");
                    Expect(':', "expected ':' after the key " + MessageText.Quote(name));
                    if (name == MetadataKey)
                    {
                        if (sawMetadata)
                        {
                            throw Invalid("the header has \"" + MetadataKey + "\" twice");
                        }

                        sawMetadata = true;
                        ReadMetadata();
                    }
                    else
                    {
                        if (!names.Add(name))
                        {
                            throw Invalid("tensor " + MessageText.Quote(name) + " appears twice in the header");
                        }

                        entries.Add(ReadEntry(name));
                    }
                }
                while (TryConsume(','));
                Expect('}', "expected ',' or '}' in the header object");
            }

            SkipWhitespace();
            if (_position != json.Length)
            {
                throw Invalid("the header has more after its JSON object (at header offset " + N(_position) + ")");
            }

            return entries;
        }

        private void ReadMetadata()
        {
            SkipWhitespace();
            if (TryConsumeLiteral("null"))
            {
                // The reference implementation reads "__metadata__": null as no metadata.
                return;
            }

            Expect('{', "\"" + MetadataKey + "\" must be an object mapping strings to strings");
            if (TryConsume('}'))
            {
                return;
            }

            var keys = new HashSet<string>(StringComparer.Ordinal);
            do
            {
                string key = ReadString("a metadata key");
                Expect(':', "expected ':' after the metadata key " + MessageText.Quote(key));
                SkipWhitespace();
                if (Peek() != '"')
                {
                    throw Invalid("\"" + MetadataKey + "\" entry " + MessageText.Quote(key) + " must be a string");
                }

                ReadString("a metadata value");
                if (!keys.Add(key))
                {
                    throw Invalid("\"" + MetadataKey + "\" has the key " + MessageText.Quote(key) + " twice");
                }
            }
            while (TryConsume(','));
            Expect('}', "expected ',' or '}' in \"" + MetadataKey + "\"");
        }

        private SafeTensorsEntry ReadEntry(string name)
        {
            string tensor = "tensor " + MessageText.Quote(name);
            Expect('{', tensor + ": expected an object with dtype, shape and data_offsets");
            string? dtype = null;
            int elementSize = 0;
            List<int>? shape = null;
            ulong begin = 0, end = 0;
            bool hasOffsets = false;
            if (!TryConsume('}'))
            {
                do
                {
                    string key = ReadString("a key");
                    Expect(':', tensor + ": expected ':' after " + MessageText.Quote(key));
                    switch (key)
                    {
                        case "dtype":
                            if (dtype is not null)
                            {
                                throw Invalid(tensor + ": \"dtype\" appears twice");
                            }

                            SkipWhitespace();
                            if (Peek() != '"')
                            {
                                throw Invalid(tensor + ": \"dtype\" must be a string");
                            }

                            dtype = ReadString("a dtype");
                            elementSize = DTypeSize(dtype);
                            if (elementSize == 0)
                            {
                                throw Invalid(tensor + ": unknown dtype " + MessageText.Quote(dtype) + "; expected one of BOOL, U8, I8, F8_E4M3, F8_E5M2, I16, U16, F16, BF16, I32, U32, F32, I64, U64, F64");
                            }

                            break;
                        case "shape":
                            if (shape is not null)
                            {
                                throw Invalid(tensor + ": \"shape\" appears twice");
                            }

                            shape = ReadShape(tensor);
                            break;
                        case "data_offsets":
                            if (hasOffsets)
                            {
                                throw Invalid(tensor + ": \"data_offsets\" appears twice");
                            }

                            Expect('[', tensor + ": \"data_offsets\" must be [begin, end]");
                            begin = ReadUnsigned(tensor + ": \"data_offsets\" must be [begin, end], two non-negative integers", ulong.MaxValue);
                            Expect(',', tensor + ": \"data_offsets\" must be [begin, end], two numbers");
                            end = ReadUnsigned(tensor + ": \"data_offsets\" must be [begin, end], two non-negative integers", ulong.MaxValue);
                            Expect(']', tensor + ": \"data_offsets\" must be [begin, end], two numbers");
                            hasOffsets = true;
                            break;
                        default:
                            throw Invalid(tensor + ": unexpected key " + MessageText.Quote(key) + "; an entry has exactly dtype, shape and data_offsets");
                    }
                }
                while (TryConsume(','));
                Expect('}', tensor + ": expected ',' or '}'");
            }

            if (dtype is null || shape is null || !hasOffsets)
            {
                string missing = dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets";
                throw Invalid(tensor + ": missing \"" + missing + "\"; an entry has exactly dtype, shape and data_offsets");
            }

            string offsets = "data_offsets [" + N(begin) + ", " + N(end) + "]";
            if (begin > end)
            {
                throw Invalid(tensor + ": " + offsets + " begins after it ends");
            }

            if (end > (ulong)dataLength)
            {
                throw Invalid(tensor + ": " + offsets + " runs past the end of the " + N(dataLength) + "-byte data buffer");
            }

            long byteLength = (long)(end - begin);
            long needed = elementSize;
            bool overflow = false;
            if (!shape.Contains(0))
            {
                foreach (int dimension in shape)
                {
                    if (needed > long.MaxValue / dimension)
                    {
                        overflow = true;
                        break;
                    }

                    needed *= dimension;
                }
            }
            else
            {
                needed = 0;
            }

            if (overflow || needed != byteLength)
            {
                throw Invalid(tensor + ": " + offsets + " span " + N(byteLength) + " bytes but shape " + MessageText.Shape(shape) + " of " + dtype +
                    " needs " + (overflow ? "more than 2^63" : N(needed)));
            }

            return new SafeTensorsEntry(name, dtype, shape.ToEquatableArray(), (long)begin, (long)end);
        }

        private List<int> ReadShape(string tensor)
        {
            string what = tensor + ": \"shape\" must be an array of non-negative integers";
            Expect('[', what);
            var shape = new List<int>();
            if (TryConsume(']'))
            {
                return shape;
            }

            do
            {
                shape.Add((int)ReadUnsigned(what, int.MaxValue));
            }
            while (TryConsume(','));
            Expect(']', what);
            return shape;
        }

        /// <summary>A JSON number that must be an integer in [0, <paramref name="max"/>].</summary>
        private ulong ReadUnsigned(string what, ulong max)
        {
            SkipWhitespace();
            int start = _position;
            if (Peek() == '-')
            {
                _position++;
            }

            if (Peek() == '0')
            {
                _position++;
            }
            else if (Peek() is >= '1' and <= '9')
            {
                SkipDigits();
            }
            else
            {
                throw Invalid(what + "; found " + Describe(start));
            }

            bool integral = true;
            if (Peek() == '.')
            {
                _position++;
                RequireDigit(start);
                SkipDigits();
                integral = false;
            }

            if (Peek() is 'e' or 'E')
            {
                _position++;
                if (Peek() is '+' or '-')
                {
                    _position++;
                }

                RequireDigit(start);
                SkipDigits();
                integral = false;
            }

            string number = json.Substring(start, _position - start);
            if (!integral || number[0] == '-' || !ulong.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value) || value > max)
            {
                throw Invalid(what + "; " + MessageText.Quote(number) + " is not an integer in [0, " + N(max) + "]");
            }

            return value;
        }

        private void RequireDigit(int numberStart)
        {
            if (Peek() is not (>= '0' and <= '9'))
            {
                throw Invalid("the header is not valid JSON: a malformed number at header offset " + N(numberStart));
            }
        }

        private void SkipDigits()
        {
            while (Peek() is >= '0' and <= '9')
            {
                _position++;
            }
        }

        private string ReadString(string what)
        {
            SkipWhitespace();
            if (Peek() != '"')
            {
                throw Invalid("expected " + what + " (a JSON string); found " + Describe(_position));
            }

            int start = _position++;
            var builder = new StringBuilder();
            while (true)
            {
                if (_position >= json.Length)
                {
                    throw Invalid("the header is not valid JSON: a string that starts at header offset " + N(start) + " never ends");
                }

                char c = json[_position++];
                if (c == '"')
                {
                    break;
                }

                if (c < 0x20)
                {
                    throw Invalid("the header is not valid JSON: an unescaped control character in a string at header offset " + N(_position - 1));
                }

                if (c != '\\')
                {
                    builder.Append(c);
                    continue;
                }

                char escape = _position < json.Length ? json[_position++] : '\0';
                switch (escape)
                {
                    case '"': builder.Append('"'); break;
                    case '\\': builder.Append('\\'); break;
                    case '/': builder.Append('/'); break;
                    case 'b': builder.Append('\b'); break;
                    case 'f': builder.Append('\f'); break;
                    case 'n': builder.Append('\n'); break;
                    case 'r': builder.Append('\r'); break;
                    case 't': builder.Append('\t'); break;
                    case 'u': builder.Append(ReadHex4()); break;
                    default:
                        throw Invalid("the header is not valid JSON: an invalid escape in a string at header offset " + N(_position - 2));
                }
            }

            string value = builder.ToString();
            if (!IsWellFormed(value))
            {
                // An escape such as "\ud800" that decodes to a lone surrogate: no valid string, as for the runtime.
                throw Invalid(what + " in the header is not a valid string: it has a lone surrogate");
            }

            return value;
        }

        private char ReadHex4()
        {
            if (_position + 4 > json.Length ||
                !int.TryParse(json.Substring(_position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
            {
                throw Invalid("the header is not valid JSON: an invalid \\u escape at header offset " + N(_position - 2));
            }

            _position += 4;
            return (char)code;
        }

        private static bool IsWellFormed(string text)
        {
            for (int i = 0; i < text.Length; i++)
            {
                if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    i++;
                }
                else if (char.IsSurrogate(text[i]))
                {
                    return false;
                }
            }

            return true;
        }

        private void Expect(char expected, string what)
        {
            SkipWhitespace();
            if (Peek() != expected)
            {
                throw Invalid(what + "; found " + Describe(_position));
            }

            _position++;
        }

        private bool TryConsume(char expected)
        {
            SkipWhitespace();
            if (Peek() != expected)
            {
                return false;
            }

            _position++;
            return true;
        }

        private bool TryConsumeLiteral(string literal)
        {
            if (string.CompareOrdinal(json, _position, literal, 0, literal.Length) != 0)
            {
                return false;
            }

            _position += literal.Length;
            return true;
        }

        private void SkipWhitespace()
        {
            while (Peek() is ' ' or '\t' or '\n' or '\r')
            {
                _position++;
            }
        }

        private char Peek() => _position < json.Length ? json[_position] : '\0';

        private string Describe(int position) =>
            position >= json.Length ? "the end of the header" : MessageText.Quote(json.Substring(position, Math.Min(12, json.Length - position))) + " at header offset " + N(position);
    }
}
