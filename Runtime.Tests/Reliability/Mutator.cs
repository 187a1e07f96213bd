using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Fixed.Tests.Reliability;

/// <summary>
/// Makes one variant of a real safetensors file: byte-level damage (truncation, bit flips, inserted and deleted
/// bytes, length fields), token-level edits of the JSON header, and structural edits that keep the JSON valid but
/// change what it says (reordered, missing, repeated, re-pointed or reshaped tensors, odd metadata). One to three
/// edits per variant; every choice comes from the <see cref="Random"/> given, so a case is replayed from its seed.
/// </summary>
internal sealed partial class Mutator(Random random, IReadOnlyList<byte[]> others)
{
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly byte[] InterestingBytes = Encoding.Latin1.GetBytes("{}[]\",:0159-.eE \\\tun\0\u00c3\u00ff\u0080\n");

    private static readonly string[] Numbers =
    [
        "0", "1", "-1", "-0", "2", "3", "4", "7", "8", "1.0", "1e0", "1e3", "0.5", "01", "1E400", "-1e400",
        "2147483647", "2147483648", "4294967295", "4294967296", "9223372036854775807", "9223372036854775808",
        "18446744073709551615", "18446744073709551616", "99999999999999999999999", "NaN", "Infinity",
        "null", "true", "\"3\"", "[]", "{}", "[1]",
    ];

    private static readonly string[] Strings =
    [
        "\"F32\"", "\"F16\"", "\"BF16\"", "\"F64\"", "\"I32\"", "\"I64\"", "\"U8\"", "\"BOOL\"", "\"F8_E4M3\"", "\"U64\"",
        "\"f32\"", "\"F33\"", "\"\"", "\"F32 \"", "\"F4\"", "\"__metadata__\"", "\"dtype\"", "\"shape\"", "\"data_offsets\"",
        "\"offsets\"", "\"rnn.weight_ih_l0\"", "\"rnn.weight_hh_l0\"", "\"rnn.bias_ih_l0\"", "\"linear.weight\"", "\"linear.bias\"",
        "\"rnn.weight_ih_l1\"", "\"optimizer.exp_avg\"", "\"optimizer.momentum_buffer\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\\u0000\"",
        "\"\\\"\"", "\"\\\\\"", "\"\\x\"", "\"\\u12\"", "\"ü\"", "\"rnn.weight_ih_l0\\u0000\"", "\"a\nb\"", "\"" + new string('n', 10_000) + "\"",
        "\"fixed-checkpoint/1\"", "\"fixed-checkpoint/2\"", "\"Adam\"", "\"AdamW\"", "\"Sgd\"", "\"1\"", "\"-1\"", "\"1.5\"", "\"NaN\"", "\"1e39\"",
    ];

    private static readonly string[] Tokens = [",", ":", "{", "}", "[", "]", "null", "\"x\"", "1", " ", "\n", "\t", "\r", "\0", "/**/", ",,"];

    private static readonly string[] DTypes = ["F16", "BF16", "F64", "I32", "I64", "U8", "I8", "BOOL", "U16", "I16", "U32", "U64", "F8_E5M2", "f32", "F32", "float32", ""];

    private static readonly ulong[] LengthValues =
    [
        0, 1, 2, 7, 8, 9, 15, 16, 100_000_000, 100_000_001, int.MaxValue, (ulong)int.MaxValue + 1, uint.MaxValue,
        (ulong)uint.MaxValue + 1, long.MaxValue, (ulong)long.MaxValue + 1, ulong.MaxValue, ulong.MaxValue - 7,
    ];

    private readonly Random _random = random;
    private readonly IReadOnlyList<byte[]> _others = others;
    private readonly List<string> _edits = [];

    /// <summary>What was done, for the failure report.</summary>
    public string Description => string.Join("; ", _edits);

    /// <summary>One variant of <paramref name="original"/>.</summary>
    public byte[] Mutate(byte[] original)
    {
        _edits.Clear();
        byte[] file = original;

        // First edits that need a parseable header (structural, token-level), then at most one that breaks bytes.
        int headerEdits = Pick(10) switch { < 4 => 0, < 8 => 1, _ => 2 };
        for (int i = 0; i < headerEdits; i++)
        {
            file = _random.Next(3) == 0 ? TokenEdit(file) : TryStructuralEdit(file);
        }

        if (headerEdits == 0 || _random.Next(3) == 0)
        {
            file = ByteEdit(file);
        }

        return file;
    }

    private int Pick(int n) => _random.Next(n);

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private void Note(string edit) => _edits.Add(edit);

    // ---- byte level ----------------------------------------------------------------------------------------

    private byte[] ByteEdit(byte[] file)
    {
        int headerEnd = HeaderEnd(file);
        switch (Pick(9))
        {
            case 0:
            {
                int length = _random.Next(2) == 0 ? _random.Next(Math.Min(file.Length, headerEnd + 16) + 1) : _random.Next(file.Length);
                Note($"truncated to {length} of {file.Length} bytes");
                return file[..length];
            }

            case 1:
            {
                byte[] copy = (byte[])file.Clone();
                int flips = 1 + Pick(4);
                for (int i = 0; i < flips; i++)
                {
                    int position = Position(copy.Length, headerEnd);
                    int bit = Pick(8);
                    copy[position] ^= (byte)(1 << bit);
                    Note($"bit {bit} of byte {position} flipped");
                }

                return copy;
            }

            case 2:
            {
                byte[] copy = (byte[])file.Clone();
                int position = Math.Min(copy.Length - 1, 8 + Pick(Math.Max(1, headerEnd - 8)));
                copy[position] = Pick(InterestingBytes);
                Note($"byte {position} set to 0x{copy[position]:X2}");
                return copy;
            }

            case 3:
            {
                int position = Math.Min(file.Length, 8 + Pick(Math.Max(1, headerEnd - 7)));
                int count = 1 + Pick(3);
                bool insert = _random.Next(2) == 0;
                List<byte> bytes = [.. file];
                if (insert)
                {
                    for (int i = 0; i < count; i++)
                    {
                        bytes.Insert(position, _random.Next(2) == 0 ? Pick(InterestingBytes) : (byte)Pick(256));
                    }
                }
                else
                {
                    count = Math.Min(count, bytes.Count - position);
                    bytes.RemoveRange(position, count);
                }

                byte[] result = [.. bytes];
                bool fix = _random.Next(10) < 7 && result.Length >= 8 && headerEnd - 8 >= 0;
                if (fix)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)Math.Max(0, headerEnd - 8 + (insert ? count : -count)));
                }

                Note($"{count} bytes {(insert ? "inserted" : "deleted")} at {position}{(fix ? ", length field adjusted" : "")}");
                return result;
            }

            case 4:
            {
                byte[] copy = (byte[])file.Clone();
                if (copy.Length < 8)
                {
                    return copy;
                }

                ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(copy);
                ulong value = Pick(3) switch
                {
                    0 => Pick(LengthValues),
                    1 => headerLength + (ulong)(Pick(33) - 16),
                    _ => (ulong)copy.Length - 8 + (ulong)(Pick(5) - 2),
                };
                BinaryPrimitives.WriteUInt64LittleEndian(copy, value);
                Note($"length field set to {value}");
                return copy;
            }

            case 5:
            {
                int count = 1 + Pick(9);
                if (_random.Next(2) == 0)
                {
                    Note($"{count} bytes appended");
                    return [.. file, .. Enumerable.Repeat((byte)Pick(256), count)];
                }

                Note($"{count} bytes cut from the end");
                return file[..Math.Max(0, file.Length - count)];
            }

            case 6:
            {
                // A data word becomes NaN, an infinity or garbage: still a valid file, with other values.
                byte[] copy = (byte[])file.Clone();
                if (copy.Length - headerEnd >= 4)
                {
                    int word = headerEnd + 4 * Pick((copy.Length - headerEnd) / 4);
                    float value = Pick([float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, float.Epsilon, 1e38f]);
                    BinaryPrimitives.WriteSingleLittleEndian(copy.AsSpan(word), value);
                    Note($"data word at {word} set to {value}");
                }

                return copy;
            }

            case 7:
            {
                // The header of one real file with the data of another, or the other way round.
                byte[] other = Pick(_others);
                int otherEnd = HeaderEnd(other);
                if (_random.Next(2) == 0)
                {
                    Note("header spliced onto another fixture's data");
                    return [.. file.AsSpan(0, Math.Min(headerEnd, file.Length)), .. other.AsSpan(Math.Min(otherEnd, other.Length))];
                }

                Note("another fixture's header spliced onto this data");
                return [.. other.AsSpan(0, Math.Min(otherEnd, other.Length)), .. file.AsSpan(Math.Min(headerEnd, file.Length))];
            }

            default:
                Note("file repeated twice");
                return [.. file, .. file];
        }
    }

    private int Position(int length, int headerEnd) => Pick(10) switch
    {
        0 => Pick(Math.Min(8, length)),
        < 8 => Math.Min(length - 1, 8 + Pick(Math.Max(1, headerEnd - 8))),
        _ => Pick(length),
    };

    private static int HeaderEnd(byte[] file)
    {
        if (file.Length < 8)
        {
            return file.Length;
        }

        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(file);
        return length > (ulong)(file.Length - 8) ? file.Length : 8 + (int)length;
    }

    // ---- token level ---------------------------------------------------------------------------------------

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|-?[0-9][0-9.eE+-]*|[{}\\[\\],:]|true|false|null")]
    private static partial Regex JsonToken();

    private byte[] TokenEdit(byte[] file)
    {
        if (!TrySplit(file, out string header, out byte[] data))
        {
            return ByteEdit(file);
        }

        MatchCollection tokens = JsonToken().Matches(header);
        if (tokens.Count == 0)
        {
            return ByteEdit(file);
        }

        Match token = tokens[Pick(tokens.Count)];
        string replacement;
        switch (Pick(6))
        {
            case 0:
                Match number = FirstOf(tokens, t => char.IsAsciiDigit(t.Value[0]) || t.Value[0] == '-') ?? token;
                token = number;
                replacement = Pick(Numbers);
                break;
            case 1:
                Match text = FirstOf(tokens, t => t.Value[0] == '"') ?? token;
                token = text;
                replacement = Pick(Strings);
                break;
            case 2:
                replacement = token.Value + Pick(Tokens);
                break;
            case 3:
                replacement = "";
                break;
            case 4:
                // Whitespace between tokens: valid JSON, same meaning.
                replacement = token.Value + Pick([" ", "\n", "\t", "\r\n", "   "]);
                break;
            default:
                // A character of a string written as a \u escape: same meaning.
                Match quoted = FirstOf(tokens, t => t.Value.Length > 2 && t.Value[0] == '"' && !t.Value.Contains('\\')) ?? token;
                token = quoted;
                if (quoted.Value.Length > 2 && quoted.Value[0] == '"')
                {
                    int at = 1 + Pick(quoted.Value.Length - 2);
                    replacement = quoted.Value[..at] + $"\\u{(int)quoted.Value[at]:x4}" + quoted.Value[(at + 1)..];
                }
                else
                {
                    replacement = token.Value;
                }

                break;
        }

        Note($"header token {Shorten(token.Value)} at {token.Index} replaced by {Shorten(replacement)}");
        string edited = header[..token.Index] + replacement + header[(token.Index + token.Length)..];
        return Assemble(edited, data);
    }

    /// <summary>A random match satisfying <paramref name="predicate"/>, or null.</summary>
    private Match? FirstOf(MatchCollection tokens, Func<Match, bool> predicate)
    {
        var matching = tokens.Where(predicate).ToList();
        return matching.Count == 0 ? null : matching[Pick(matching.Count)];
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + $"...({text.Length} chars)";

    // ---- structural ----------------------------------------------------------------------------------------

    private byte[] TryStructuralEdit(byte[] file)
    {
        try
        {
            return StructuralEdit(file);
        }
        catch (Exception e) when (e is InvalidOperationException or JsonException or ArgumentException or FormatException)
        {
            // The header holds something System.Text.Json.Nodes will not rewrite (an invalid escape): damage bytes instead.
            return ByteEdit(file);
        }
    }

    private byte[] StructuralEdit(byte[] file)
    {
        if (!TrySplit(file, out string header, out byte[] data))
        {
            return ByteEdit(file);
        }

        JsonObject root;
        try
        {
            root = JsonNode.Parse(header) as JsonObject ?? throw new JsonException();
        }
        catch (JsonException)
        {
            return ByteEdit(file);
        }

        var names = root.Select(p => p.Key).Where(k => k != "__metadata__").ToList();
        if (names.Count == 0)
        {
            return ByteEdit(file);
        }

        string name = Pick(names);
        var entry = root[name] as JsonObject;
        switch (Pick(13))
        {
            case 0:
            {
                // Reordered entries: valid, same meaning.
                var properties = root.Select(p => (p.Key, Value: p.Value?.DeepClone())).OrderBy(_ => _random.Next()).ToList();
                root = new JsonObject();
                foreach ((string key, JsonNode? value) in properties)
                {
                    root[key] = value;
                }

                Note("header entries reordered");
                break;
            }

            case 1:
                root.Remove(name);
                Note($"entry {name} removed");
                break;

            case 2:
            {
                // The same entry again: under another name it overlaps; under its own it repeats.
                string copy = root[name]!.ToJsonString(Compact);
                if (_random.Next(2) == 0)
                {
                    string other = Pick(["rnn.weight_ih_l1", "extra", name + "_copy", "optimizer.exp_avg", "optimizer.extra"]);
                    root[other] = root[name]!.DeepClone();
                    Note($"entry {name} copied as {other}");
                }
                else
                {
                    Note($"entry {name} repeated");
                    return Assemble("{" + JsonSerializer.Serialize(name) + ":" + copy + "," + root.ToJsonString(Compact)[1..], data);
                }

                break;
            }

            case 3:
            {
                string other = Pick(names);
                if (root[other] is JsonObject second && entry is not null && entry["data_offsets"] is not null && second["data_offsets"] is not null)
                {
                    JsonNode first = entry["data_offsets"]!.DeepClone();
                    entry["data_offsets"] = second["data_offsets"]!.DeepClone();
                    second["data_offsets"] = first;
                    Note($"data_offsets of {name} and {other} swapped");
                }

                break;
            }

            case 4:
                if (entry?["data_offsets"] is JsonArray { Count: 2 } offsets && offsets[0] is JsonValue b && offsets[1] is JsonValue e &&
                    b.TryGetValue(out long begin) && e.TryGetValue(out long end))
                {
                    long shift = Pick([1, 2, 3, 4, 8, -1, -4, -8, 1L << 32, long.MaxValue / 2]);
                    bool both = _random.Next(2) == 0;
                    offsets[0] = both ? begin + shift : begin;
                    offsets[1] = end + shift;
                    Note($"data_offsets of {name} shifted by {shift}{(both ? "" : " at the end only")}");
                }

                break;

            case 5:
                if (entry is not null)
                {
                    string dtype = Pick(DTypes);
                    entry["dtype"] = dtype;
                    Note($"dtype of {name} set to '{dtype}'");
                }

                break;

            case 6:
                if (entry?["shape"] is JsonArray shape)
                {
                    List<long> dims = shape.Select(d => d is JsonValue v && v.TryGetValue(out long x) ? x : 1).ToList();
                    switch (Pick(6))
                    {
                        case 0: dims.Reverse(); break;
                        case 1: dims.Add(1); break;
                        case 2: if (dims.Count > 0) { dims.RemoveAt(dims.Count - 1); } break;
                        case 3: if (dims.Count > 0) { dims[0] *= 2; } break;
                        case 4: dims.Insert(0, Pick([0L, -1L, int.MaxValue, (long)int.MaxValue + 1, uint.MaxValue])); break;
                        default: dims = [Pick([0L, 1L, int.MaxValue]), Pick([int.MaxValue, 65536L]), Pick([int.MaxValue, 3L])]; break;
                    }

                    entry["shape"] = new JsonArray([.. dims.Select(d => (JsonNode)d)]);
                    Note($"shape of {name} set to [{string.Join(",", dims)}]");
                }

                break;

            case 7:
                root["__metadata__"] = Pick(7) switch
                {
                    0 => null,
                    1 => new JsonObject { ["format"] = "pt" },
                    2 => new JsonObject { ["a"] = 1 },
                    3 => new JsonArray(),
                    4 => new JsonObject { ["deep"] = DeepMarker },
                    5 => new JsonObject { ["long"] = new string('m', 1 << 16) },
                    _ => "text",
                };
                Note("__metadata__ set to " + Shorten(root["__metadata__"]?.ToJsonString(Compact) ?? "null"));
                break;

            case 8:
                if (entry is not null)
                {
                    string key = Pick(["offsets", "dtype2", "strides", "Dtype"]);
                    entry[key] = new JsonArray(0, 4);
                    Note($"key {key} added to {name}");
                }

                break;

            case 9:
            {
                string renamed = Pick(["model." + name, name.ToUpperInvariant(), name + " ", name.Replace("rnn.", "lstm.", StringComparison.Ordinal), "rnn." + name, "weight_ih_l0"]);
                JsonNode? value = root[name]?.DeepClone();
                root.Remove(name);
                root[renamed] = value;
                Note($"entry {name} renamed {renamed}");
                break;
            }

            case 10:
            {
                // A genuine extra tensor, its data appended: valid safetensors the model must still refuse.
                int count = 1 + Pick(4);
                string extra = Pick(["extra.weight", "rnn.weight_ih_l9", "optimizer.extra", "linear.scale"]);
                if (root.ContainsKey(extra))
                {
                    break;
                }

                root[extra] = new JsonObject
                {
                    ["dtype"] = "F32",
                    ["shape"] = new JsonArray(count),
                    ["data_offsets"] = new JsonArray(data.Length, data.Length + 4 * count),
                };
                data = [.. data, .. new byte[4 * count]];
                Note($"extra tensor {extra} of {count} floats appended");
                break;
            }

            case 11:
                if (root["__metadata__"] is JsonObject metadata && metadata.Count > 0)
                {
                    string key = Pick(metadata.Select(p => p.Key).ToList());
                    if (_random.Next(3) == 0)
                    {
                        metadata.Remove(key);
                        Note($"metadata {key} removed");
                    }
                    else
                    {
                        string value = Pick(["-1", "1.5", "0", "3", "99999999999999999999", "007", "NaN", "-0", "1e39", "0.5", "Infinity", "", " 2", "fixed-checkpoint/2", "Adam", "Sgd", "true"]);
                        metadata[key] = value;
                        Note($"metadata {key} set to '{value}'");
                    }
                }
                else
                {
                    root["__metadata__"] = new JsonObject { ["format"] = "fixed-checkpoint/1" };
                    Note("metadata replaced by a bare format");
                }

                break;

            default:
            {
                // The same header, padded differently: valid.
                string padding = Pick(["", " ", "        ", "\n", "\t\t"]);
                Note($"header re-padded with {padding.Length} whitespace characters");
                return Assemble(root.ToJsonString(Compact) + padding, data);
            }
        }

        string json = root.ToJsonString(Compact);
        if (json.Contains(DeepMarker, StringComparison.Ordinal))
        {
            // Nesting deeper than a JSON writer allows: spliced in as text.
            int depth = Pick([10, 100, 2000, 100_000]);
            json = json.Replace("\"" + DeepMarker + "\"", new string('[', depth) + new string(']', depth), StringComparison.Ordinal);
            Note($"metadata nested {depth} deep");
        }

        return Assemble(json, data);
    }

    private const string DeepMarker = "@@deep@@";

    private static bool TrySplit(byte[] file, out string header, out byte[] data)
    {
        header = "";
        data = [];
        if (file.Length < 8)
        {
            return false;
        }

        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (length > (ulong)(file.Length - 8))
        {
            return false;
        }

        header = Encoding.UTF8.GetString(file, 8, (int)length);
        data = file[(8 + (int)length)..];
        return true;
    }

    /// <summary>The length field (usually right, sometimes off), the header and the data.</summary>
    private byte[] Assemble(string header, byte[] data)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        ulong length = (ulong)json.Length;
        if (Pick(8) == 0)
        {
            length = (ulong)((long)length + Pick([-8, -1, 1, 2, 8]));
            Note($"length field off: {length} for a {json.Length}-byte header");
        }

        byte[] file = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, length);
        json.CopyTo(file, 8);
        data.CopyTo(file, 8 + json.Length);
        return file;
    }
}
