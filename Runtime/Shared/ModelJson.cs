// Compiled into the runtime (namespace Fixed) and, linked, into the source generator (namespace Fixed.Generator.Shared):
// the one JSON reader for model files, so that [ModelFile] at compile time and Load at run time accept and refuse
// exactly the same files. Keep it netstandard2.0-compatible C#: see Runtime/Shared/README.md (an analyzer cannot load
// System.Text.Json).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

#if FIXED_GENERATOR
namespace Fixed.Generator.Shared;
#else
namespace Fixed;
#endif

/// <summary>The kind of a <see cref="ModelJsonNode"/>.</summary>
internal enum ModelJsonKind
{
    Null,
    False,
    True,
    Number,
    String,
    Array,
    Object,
}

/// <summary>
/// One value of a parsed JSON document. Objects keep their members in file order (a state_dict's order is the model's);
/// numbers are kept as doubles, which hold every float32 a writer printed exactly.
/// </summary>
internal sealed class ModelJsonNode
{
    private static readonly List<ModelJsonNode> NoItems = new();
    private static readonly List<KeyValuePair<string, ModelJsonNode>> NoMembers = new();

    private ModelJsonNode(ModelJsonKind kind, double number, string? text, List<ModelJsonNode>? items, List<KeyValuePair<string, ModelJsonNode>>? members)
    {
        Kind = kind;
        Number = number;
        Text = text;
        Items = items ?? NoItems;
        Members = members ?? NoMembers;
    }

    public ModelJsonKind Kind { get; }

    public double Number { get; }

    /// <summary>The value of a string; null for every other kind.</summary>
    public string? Text { get; }

    /// <summary>An array's elements; empty for every other kind.</summary>
    public List<ModelJsonNode> Items { get; }

    /// <summary>An object's members in file order (no key twice); empty for every other kind.</summary>
    public List<KeyValuePair<string, ModelJsonNode>> Members { get; }

    public static ModelJsonNode Literal(ModelJsonKind kind) => new(kind, 0, null, null, null);

    public static ModelJsonNode FromNumber(double value) => new(ModelJsonKind.Number, value, null, null, null);

    public static ModelJsonNode FromString(string value) => new(ModelJsonKind.String, 0, value, null, null);

    public static ModelJsonNode FromItems(List<ModelJsonNode> items) => new(ModelJsonKind.Array, 0, null, items, null);

    public static ModelJsonNode FromMembers(List<KeyValuePair<string, ModelJsonNode>> members) => new(ModelJsonKind.Object, 0, null, null, members);

    /// <summary>The member named <paramref name="key"/>, or null.</summary>
    public ModelJsonNode? Get(string key)
    {
        foreach (KeyValuePair<string, ModelJsonNode> member in Members)
        {
            if (member.Key == key)
            {
                return member.Value;
            }
        }

        return null;
    }

    /// <summary>What the value is, for messages: "a string", "an array of 3", "the number 2.5".</summary>
    public string Describe() => Kind switch
    {
        ModelJsonKind.Null => "null",
        ModelJsonKind.False => "false",
        ModelJsonKind.True => "true",
        ModelJsonKind.Number => "the number " + Number.ToString("R", CultureInfo.InvariantCulture),
        ModelJsonKind.String => "the string " + SafeTensorText.Quote(Text!),
        ModelJsonKind.Array => "an array of " + Items.Count.ToString(CultureInfo.InvariantCulture),
        _ => "an object",
    };
}

/// <summary>
/// A strict JSON reader (RFC 8259) for model files from untrusted sources, with limits on everything it reads: the
/// text's length, the nesting depth, the number of values and the length of a string. Every problem is an
/// <see cref="InvalidDataException"/> whose message names it and its line and column.
/// </summary>
/// <remarks>
/// Python's <c>json</c> module writes <c>NaN</c> and <c>Infinity</c> for non-finite floats: they are not JSON, and a
/// model whose weights hold them is refused with a message that says so.
/// </remarks>
internal sealed class ModelJson
{
    /// <summary>Longest model file read, in characters: about 8 million float32 weights as text.</summary>
    public const int MaxLength = 256 * 1024 * 1024;

    /// <summary>Deepest nesting: a model file needs 6 or 7 levels (object, layers, layer, weights, matrix, row).</summary>
    public const int MaxDepth = 64;

    /// <summary>Most values in one file.</summary>
    public const int MaxValues = 64 * 1024 * 1024;

    /// <summary>Longest string (a key, a layer type, an activation name).</summary>
    public const int MaxStringLength = 64 * 1024;

    private readonly string _text;
    private int _position;
    private int _values;

    private ModelJson(string text) => _text = text;

    /// <summary>Parses one JSON document (surrounded by whitespace only; a UTF-8 byte order mark is allowed).</summary>
    /// <exception cref="InvalidDataException">The text is not JSON or exceeds a limit.</exception>
    public static ModelJsonNode Parse(string text)
    {
        if (text.Length > MaxLength)
        {
            throw new InvalidDataException("the file has " + N0(text.Length) + " characters, over the " + N0(MaxLength) + " a model file may have");
        }

        var reader = new ModelJson(text);
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            reader._position = 1;
        }

        reader.SkipWhitespace();
        if (reader._position >= text.Length)
        {
            throw new InvalidDataException("the file is empty: a model file is one JSON object");
        }

        ModelJsonNode root = reader.ReadValue(1);
        reader.SkipWhitespace();
        if (reader._position < text.Length)
        {
            throw reader.Error("unexpected " + reader.Found() + " after the end of the JSON document");
        }

        return root;
    }

    private ModelJsonNode ReadValue(int depth)
    {
        if (depth > MaxDepth)
        {
            throw Error("the JSON is nested more than " + MaxDepth.ToString(CultureInfo.InvariantCulture) + " levels deep");
        }

        if (++_values > MaxValues)
        {
            throw Error("the file holds more than " + N0(MaxValues) + " JSON values");
        }

        if (_position >= _text.Length)
        {
            throw Error("the file ends where a value should be (truncated?)");
        }

        char c = _text[_position];
        switch (c)
        {
            case '{': return ReadObject(depth);
            case '[': return ReadArray(depth);
            case '"': return ModelJsonNode.FromString(ReadString());
            case 't': ReadWord("true"); return ModelJsonNode.Literal(ModelJsonKind.True);
            case 'f': ReadWord("false"); return ModelJsonNode.Literal(ModelJsonKind.False);
            case 'n': ReadWord("null"); return ModelJsonNode.Literal(ModelJsonKind.Null);
            case 'N':
            case 'I':
                throw Error("NaN and Infinity are not JSON (Python's json module writes them for non-finite floats): the model holds a non-finite number");
            default:
                if (c == '-' || (c >= '0' && c <= '9'))
                {
                    return ModelJsonNode.FromNumber(ReadNumber());
                }

                throw Error("unexpected " + Found() + " where a value should be");
        }
    }

    private ModelJsonNode ReadObject(int depth)
    {
        _position++;
        var members = new List<KeyValuePair<string, ModelJsonNode>>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        SkipWhitespace();
        if (Peek() == '}')
        {
            _position++;
            return ModelJsonNode.FromMembers(members);
        }

        while (true)
        {
            SkipWhitespace();
            if (Peek() != '"')
            {
                throw Error("expected a member name in quotes, found " + Found());
            }

            string key = ReadString();
            if (!keys.Add(key))
            {
                throw Error("the key " + SafeTensorText.Quote(key) + " appears twice in one object");
            }

            SkipWhitespace();
            Expect(':');
            SkipWhitespace();
            members.Add(new KeyValuePair<string, ModelJsonNode>(key, ReadValue(depth + 1)));
            SkipWhitespace();
            char c = Peek();
            _position++;
            if (c == '}')
            {
                return ModelJsonNode.FromMembers(members);
            }

            if (c != ',')
            {
                _position--;
                throw Error("expected ',' or '}' in an object, found " + Found());
            }
        }
    }

    private ModelJsonNode ReadArray(int depth)
    {
        _position++;
        var items = new List<ModelJsonNode>();
        SkipWhitespace();
        if (Peek() == ']')
        {
            _position++;
            return ModelJsonNode.FromItems(items);
        }

        while (true)
        {
            SkipWhitespace();
            items.Add(ReadValue(depth + 1));
            SkipWhitespace();
            char c = Peek();
            _position++;
            if (c == ']')
            {
                return ModelJsonNode.FromItems(items);
            }

            if (c != ',')
            {
                _position--;
                throw Error("expected ',' or ']' in an array, found " + Found());
            }
        }
    }

    private string ReadString()
    {
        _position++;
        var builder = new StringBuilder();
        while (true)
        {
            if (_position >= _text.Length)
            {
                throw Error("the file ends inside a string (truncated?)");
            }

            char c = _text[_position++];
            if (c == '"')
            {
                break;
            }

            if (c < ' ')
            {
                _position--;
                throw Error("a control character (U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture) + ") inside a string must be escaped");
            }

            if (c == '\\')
            {
                if (_position >= _text.Length)
                {
                    throw Error("the file ends inside a string (truncated?)");
                }

                char escape = _text[_position++];
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
                    case 'u':
                        if (_position + 4 > _text.Length ||
                            !int.TryParse(_text.Substring(_position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                        {
                            throw Error("\\u must be followed by four hexadecimal digits");
                        }

                        builder.Append((char)code);
                        _position += 4;
                        break;
                    default:
                        _position--;
                        throw Error("unknown escape '\\" + (char.IsControl(escape) ? '?' : escape) + "' in a string");
                }
            }
            else
            {
                builder.Append(c);
            }

            if (builder.Length > MaxStringLength)
            {
                throw Error("a string is longer than " + N0(MaxStringLength) + " characters");
            }
        }

        string value = builder.ToString();
        if (!SafeTensorText.IsWellFormed(value))
        {
            throw Error("a string holds a lone UTF-16 surrogate");
        }

        return value;
    }

    private double ReadNumber()
    {
        int start = _position;
        if (Peek() == '-')
        {
            _position++;
        }

        if (Peek() == '0')
        {
            _position++;
        }
        else if (!Digits())
        {
            throw Error("a number needs a digit after '-'");
        }

        if (Peek() == '.')
        {
            _position++;
            if (!Digits())
            {
                throw Error("a number needs a digit after '.'");
            }
        }

        if (Peek() is 'e' or 'E')
        {
            _position++;
            if (Peek() is '+' or '-')
            {
                _position++;
            }

            if (!Digits())
            {
                throw Error("a number needs a digit in its exponent");
            }
        }

        string token = _text.Substring(start, _position - start);
        if (token.Length > 400)
        {
            _position = start;
            throw Error("a number is written with more than 400 characters");
        }

        double value;
        try
        {
            value = double.Parse(token, NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        catch (OverflowException)
        {
            value = double.PositiveInfinity;
        }

        if (double.IsInfinity(value) || double.IsNaN(value))
        {
            _position = start;
            throw Error("the number " + (token.Length > 40 ? token.Substring(0, 40) + "..." : token) + " is too large for a double");
        }

        return value;
    }

    private bool Digits()
    {
        int start = _position;
        while (_position < _text.Length && _text[_position] >= '0' && _text[_position] <= '9')
        {
            _position++;
        }

        return _position > start;
    }

    private void ReadWord(string word)
    {
        if (string.CompareOrdinal(_text, _position, word, 0, word.Length) != 0)
        {
            throw Error("unexpected " + Found() + " where a value should be");
        }

        _position += word.Length;
    }

    private void Expect(char c)
    {
        if (Peek() != c)
        {
            throw Error("expected '" + c + "', found " + Found());
        }

        _position++;
    }

    private char Peek() => _position < _text.Length ? _text[_position] : '\0';

    private void SkipWhitespace()
    {
        while (_position < _text.Length && _text[_position] is ' ' or '\t' or '\n' or '\r')
        {
            _position++;
        }
    }

    private string Found()
    {
        if (_position >= _text.Length)
        {
            return "the end of the file (truncated?)";
        }

        char c = _text[_position];
        return char.IsControl(c) || char.IsSurrogate(c) ? "the character U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture) : "'" + c + "'";
    }

    private InvalidDataException Error(string message)
    {
        int line = 1, column = 1;
        int end = Math.Min(_position, _text.Length);
        for (int i = 0; i < end; i++)
        {
            if (_text[i] == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }

        return new InvalidDataException("invalid JSON at line " + line.ToString(CultureInfo.InvariantCulture) + ", column " +
            column.ToString(CultureInfo.InvariantCulture) + ": " + message);
    }

    private static string N0(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
