using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Fixed.Generator.Model;
using Fixed.Generator.Shared;

namespace Fixed.Generator.Weights;

/// <summary>
/// Reads and validates a safetensors file for embedding, with the runtime's rules (<see cref="SafeTensorRules"/>, the
/// same source file as the runtime's <c>SafeTensorFile</c> uses): the header length, every entry with exactly dtype,
/// shape and data_offsets, a known dtype, offsets in bounds whose byte count matches the shape, and tensors that tile
/// the data buffer with no holes or overlaps. The JSON itself (strict: no comments, no trailing commas) is read by a
/// small reader of its own, because an analyzer cannot bring System.Text.Json into every compiler process, and the
/// header's grammar is four kinds of value deep.
/// </summary>
internal static class SafeTensorsReader
{
    private const string MetadataKey = SafeTensorRules.MetadataKey;

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
        Check(SafeTensorRules.CheckPrefix(file, out int headerLength));
        dataStart = 8 + headerLength;
        long dataLength = file.Length - dataStart;
        string json;
        try
        {
            json = StrictUtf8.GetString(file, 8, headerLength);
        }
        catch (DecoderFallbackException)
        {
            throw Invalid("the header is not valid UTF-8");
        }

        List<SafeTensorsEntry> entries = new HeaderParser(json, dataLength).Parse();
        Check(SafeTensorRules.CheckTiling(entries, static e => e.Name, static e => e.Begin, static e => e.End, dataLength));
        return entries;
    }

    /// <summary>Throws the defect a <see cref="SafeTensorRules"/> check found, if any.</summary>
    private static void Check(string? defect)
    {
        if (defect is not null)
        {
            throw Invalid(defect);
        }
    }

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
                    Expect(':', "expected ':' after the key " + SafeTensorText.Quote(name));
                    Check(SafeTensorRules.CheckNewName(name, sawMetadata, names));
                    if (name == MetadataKey)
                    {
                        sawMetadata = true;
                        ReadMetadata();
                    }
                    else
                    {
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
                Expect(':', "expected ':' after the metadata key " + SafeTensorText.Quote(key));
                SkipWhitespace();
                if (Peek() != '"')
                {
                    throw Invalid(SafeTensorRules.MetadataValueNotString(key));
                }

                ReadString("a metadata value");
                Check(SafeTensorRules.CheckNewMetadataKey(key, keys));
            }
            while (TryConsume(','));
            Expect('}', "expected ',' or '}' in \"" + MetadataKey + "\"");
        }

        private SafeTensorsEntry ReadEntry(string name)
        {
            string tensor = SafeTensorRules.Tensor(name);
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
                    Expect(':', tensor + ": expected ':' after " + SafeTensorText.Quote(key));
                    Check(SafeTensorRules.CheckKey(tensor, key, key switch { "dtype" => dtype is not null, "shape" => shape is not null, _ => hasOffsets }));
                    switch (key)
                    {
                        case "dtype":
                            SkipWhitespace();
                            if (Peek() != '"')
                            {
                                throw Invalid(tensor + ": \"dtype\" must be a string");
                            }

                            Check(SafeTensorRules.CheckDType(tensor, ReadString("a dtype"), out string known, out elementSize));
                            dtype = known;
                            break;
                        case "shape":
                            shape = ReadShape(tensor);
                            break;
                        default:
                            Expect('[', tensor + ": \"data_offsets\" must be [begin, end]");
                            begin = ReadUnsigned(tensor + ": \"data_offsets\" must be [begin, end], two non-negative integers", ulong.MaxValue);
                            Expect(',', tensor + ": \"data_offsets\" must be [begin, end], two numbers");
                            end = ReadUnsigned(tensor + ": \"data_offsets\" must be [begin, end], two non-negative integers", ulong.MaxValue);
                            Expect(']', tensor + ": \"data_offsets\" must be [begin, end], two numbers");
                            hasOffsets = true;
                            break;
                    }
                }
                while (TryConsume(','));
                Expect('}', tensor + ": expected ',' or '}'");
            }

            Check(SafeTensorRules.CheckComplete(tensor, dtype is not null, shape is not null, hasOffsets));
            Check(SafeTensorRules.CheckExtent(tensor, dtype!, elementSize, shape!, begin, end, dataLength));
            return new SafeTensorsEntry(name, dtype!, shape!.ToEquatableArray(), (long)begin, (long)end);
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
                throw Invalid(what + "; " + SafeTensorText.Quote(number) + " is not an integer in [0, " + N(max) + "]");
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
            if (!SafeTensorText.IsWellFormed(value))
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
            position >= json.Length ? "the end of the header" : SafeTensorText.Quote(json.Substring(position, Math.Min(12, json.Length - position))) + " at header offset " + N(position);
    }
}
