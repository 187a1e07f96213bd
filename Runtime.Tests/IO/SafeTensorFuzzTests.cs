using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Xunit;
using static Fixed.Tests.IO.SafeTensorBytes;

namespace Fixed.Tests.IO;

/// <summary>
/// Mutates a real file written by <see cref="ModelWeights.Save(Stream, ReadOnlySpan{ParameterInfo}, ReadOnlySpan{float}, IReadOnlyDictionary{string, string}?)"/>
/// in every systematic way that is cheap to enumerate, plus seeded random combinations, and checks that each
/// variant either loads exactly the values its bytes hold or throws InvalidDataException — never another
/// exception — and that a failed load leaves the parameters untouched.
/// </summary>
public sealed class SafeTensorFuzzTests
{
    private const int Seed = 20_240_611;

    // Bytes that change the meaning of JSON, or of UTF-8, wherever they land.
    private static readonly byte[] InterestingBytes = Encoding.Latin1.GetBytes("{}[]\",:0159-.eE \\\tun\0\u00c3\u00ff\u0080");

    // Inserted whole, with the length field kept consistent: escapes that decode to nothing valid (lone
    // surrogates), NULs, empty and misplaced values, keys that repeat.
    private static readonly string[] InsertedTokens =
        ["\\ud800", "\\udc00", "\\u0000", "\\", "\"\"", "{}", "[]", "null", "-1", "1e2", ",", ":", "\"__metadata__\":{},", "\"dtype\":\"F32\","];

    private static readonly byte[] Original = SavedModel(new Dictionary<string, string> { ["format"] = "pt", ["note"] = "fuzz" });

    private static readonly int HeaderLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(Original);

    [Fact]
    public void Mutations_EitherLoadTheirBytesOrThrowInvalidData_NeverAnythingElse()
    {
        var outcomes = new Outcomes();
        foreach ((string description, byte[] variant) in Variants())
        {
            outcomes.Check(description, variant);
        }

        Assert.True(outcomes.Failures.Count == 0, string.Join(Environment.NewLine, outcomes.Failures));
        Assert.True(outcomes.Total >= 10_000, $"only {outcomes.Total} variants");
        // Sanity: both branches of the oracle were exercised.
        Assert.True(outcomes.Loaded > 100, $"only {outcomes.Loaded} variants loaded");
        Assert.True(outcomes.Rejected > 1000, $"only {outcomes.Rejected} variants rejected");
    }

    private static IEnumerable<(string, byte[])> Variants()
    {
        yield return ("original", Original);

        for (int length = 0; length < Original.Length; length++)
        {
            yield return ($"truncated to {length} bytes", Original[..length]);
        }

        for (int bit = 0; bit < 8 * Original.Length; bit++)
        {
            byte[] variant = (byte[])Original.Clone();
            variant[bit / 8] ^= (byte)(1 << (bit % 8));
            yield return ($"bit {bit} flipped", variant);
        }

        for (int position = 8; position < 8 + HeaderLength; position++)
        {
            foreach (byte value in InterestingBytes)
            {
                if (Original[position] == value)
                {
                    continue;
                }

                byte[] variant = (byte[])Original.Clone();
                variant[position] = value;
                yield return ($"header byte {position} set to 0x{value:X2}", variant);
            }
        }

        foreach (string token in InsertedTokens)
        {
            byte[] inserted = Encoding.UTF8.GetBytes(token);
            for (int position = 9; position <= 8 + HeaderLength; position++)
            {
                byte[] variant = [.. Original.AsSpan(0, position), .. inserted, .. Original.AsSpan(position)];
                BinaryPrimitives.WriteUInt64LittleEndian(variant, (ulong)(HeaderLength + inserted.Length));
                yield return ($"{token} inserted at offset {position}", variant);
            }
        }

        foreach (ulong length in LengthFieldValues())
        {
            byte[] variant = (byte[])Original.Clone();
            BinaryPrimitives.WriteUInt64LittleEndian(variant, length);
            yield return ($"header length set to {length}", variant);
        }

        var random = new Random(Seed);
        for (int i = 0; i < 4000; i++)
        {
            yield return RandomMutation(random, i);
        }
    }

    private static IEnumerable<ulong> LengthFieldValues()
    {
        for (ulong length = 0; length <= (ulong)Original.Length + 16; length++)
        {
            yield return length;
        }

        ulong[] edges = [100_000_000, 100_000_001, int.MaxValue, uint.MaxValue, (ulong)int.MaxValue + 8, long.MaxValue, ulong.MaxValue, 1UL << 63];
        foreach (ulong edge in edges)
        {
            yield return edge;
            yield return edge - 1;
        }

        for (int b = 0; b < 8; b++)
        {
            for (int value = 1; value < 256; value += 17)
            {
                yield return (ulong)(uint)HeaderLength | ((ulong)(uint)value << (8 * b));
            }
        }
    }

    /// <summary>One to four edits, each a byte change, an insertion or a deletion, mostly in the header.</summary>
    private static (string, byte[]) RandomMutation(Random random, int index)
    {
        var bytes = new List<byte>(Original);
        int edits = random.Next(1, 5);
        int headerEnd = 8 + HeaderLength;
        for (int e = 0; e < edits; e++)
        {
            bool inHeader = random.Next(4) != 0;
            int position = inHeader ? random.Next(8, Math.Min(headerEnd, bytes.Count)) : random.Next(0, bytes.Count);
            byte value = random.Next(2) == 0 ? InterestingBytes[random.Next(InterestingBytes.Length)] : (byte)random.Next(256);
            switch (random.Next(3))
            {
                case 0:
                    bytes[position] = value;
                    break;
                case 1:
                    bytes.Insert(position, value);
                    headerEnd += inHeader ? 1 : 0;
                    break;
                default:
                    bytes.RemoveAt(position);
                    headerEnd -= inHeader ? 1 : 0;
                    break;
            }
        }

        byte[] variant = bytes.ToArray();
        if (variant.Length >= 8 && random.Next(2) == 0)
        {
            // Keep the length field consistent with the edits half of the time, so the JSON parser sees them.
            BinaryPrimitives.WriteUInt64LittleEndian(variant, (ulong)Math.Max(0, headerEnd - 8));
        }

        return ($"random mutation {index} (seed {Seed})", variant);
    }

    private sealed class Outcomes
    {
        public int Total { get; private set; }

        public int Loaded { get; private set; }

        public int Rejected { get; private set; }

        public List<string> Failures { get; } = [];

        public void Check(string description, byte[] variant)
        {
            Total++;
            try
            {
                CheckOrThrow(variant);
            }
            catch (Exception e)
            {
                if (Failures.Count < 20)
                {
                    Failures.Add($"{description} [{Convert.ToHexString(variant)}]: {e.GetType().Name}: {e.Message}");
                }
            }
        }

        private void CheckOrThrow(byte[] variant)
        {
            bool parsed;
            try
            {
                SafeTensorFile.Read(variant);
                parsed = true;
            }
            catch (InvalidDataException)
            {
                parsed = false;
            }

            float[] parameters = Sentinel();
            try
            {
                ModelWeights.Load(new MemoryStream(variant), Layout, "rnn", "linear", parameters);
            }
            catch (InvalidDataException)
            {
                Rejected++;
                if (!Sentinel().AsSpan().SequenceEqual(parameters))
                {
                    throw new InvalidOperationException("a failed load wrote to the parameters");
                }

                return;
            }

            Loaded++;
            if (!parsed)
            {
                throw new InvalidOperationException("ModelWeights.Load accepted a file SafeTensorFile.Read rejects");
            }

            // A load that succeeds has the original three tensors, in layout order, right after the header.
            int dataStart = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(variant);
            if (variant.Length - dataStart != 4 * ParameterCount)
            {
                throw new InvalidOperationException($"loaded a file whose data buffer is {variant.Length - dataStart} bytes");
            }

            for (int i = 0; i < ParameterCount; i++)
            {
                int expected = BinaryPrimitives.ReadInt32LittleEndian(variant.AsSpan(dataStart + 4 * i));
                if (BitConverter.SingleToInt32Bits(parameters[i]) != expected)
                {
                    throw new InvalidOperationException($"parameter {i} is {parameters[i]}, but the file holds {BitConverter.Int32BitsToSingle(expected)}");
                }
            }
        }
    }
}
