using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Fixed.Tests.Generator;
using Xunit;

namespace Fixed.Tests.Import;

/// <summary>
/// Hostile model files: truncations of a real RTNeural file at every length, every position overwritten with bytes that
/// change JSON's meaning, and seeded random edits; the same for a PyTorch state_dict file, and for an ONNX file byte by
/// byte (protobuf keys, lengths and varints). At run time each variant either loads exactly what the converter
/// reads from it or throws <see cref="InvalidDataException"/> (never another exception) and leaves the weights as they
/// were; at compile time a sample of them is a FIXED052/FIXED053 diagnostic or a model, never a generator exception. The
/// same for a PyTorch state_dict as JSON, for Neural Amp Modeler's example .nam file and for a state_dict saved as
/// safetensors (its length prefix, JSON header and data, byte by byte).
/// </summary>
public sealed class ModelFileFuzzTests
{
    private const int Seed = 20_261_202;

    private static readonly string Original = File.ReadAllText(Path.Combine(Fixture.Root, "rtneural", "gru_1d.json"));

    private static readonly string StateDict = File.ReadAllText(Path.Combine(Fixture.Root, "statedict", "amp.json"));

    private static readonly string Nam = File.ReadAllText(Path.Combine(Fixture.Root, "nam", "lstm.nam"));

    private static readonly string[] Replacements = ["{", "}", "[", "]", "\"", ",", ":", "0", "-", ".", "e", "9", " ", "\\", "n", "\u0000", "NaN", "1e999", "null", "[]", "{}", "\"x\""];

    private static IEnumerable<(string Description, string Text)> Variants() => Variants(Original);

    private static IEnumerable<(string Description, string Text)> Variants(string Original)
    {
        yield return ("original", Original);
        // Every third length: cuts inside numbers, strings and between tokens (the one-character tokens, JSON's structure,
        // are overwritten below at every position).
        for (int length = 0; length < Original.Length; length += 3)
        {
            yield return ($"truncated to {length}", Original[..length]);
        }

        // Every structural position (and every 31st other one, inside numbers and whitespace) overwritten by each replacement.
        for (int i = 0; i < Original.Length; i++)
        {
            if ("{}[]\":,".IndexOf(Original[i]) < 0 && i % 31 != 0)
            {
                continue;
            }

            // Eight of the replacements at each position, a different eight at the next: each is tried at every kind of place.
            for (int k = 0; k < 8; k++)
            {
                string replacement = Replacements[(i + k) % Replacements.Length];
                yield return ($"'{replacement}' at {i}", Original[..i] + replacement + Original[(i + 1)..]);
            }
        }

        var random = new Random(Seed);
        for (int n = 0; n < 1000; n++)
        {
            var builder = new StringBuilder(Original);
            int edits = 1 + random.Next(4);
            for (int e = 0; e < edits && builder.Length > 0; e++)
            {
                int at = random.Next(builder.Length);
                switch (random.Next(3))
                {
                    case 0: builder.Remove(at, Math.Min(1 + random.Next(20), builder.Length - at)); break;
                    case 1: builder.Insert(at, Replacements[random.Next(Replacements.Length)]); break;
                    default: builder[at] = (char)random.Next(32, 127); break;
                }
            }

            yield return ($"random {n}", builder.ToString());
        }
    }

    private static readonly byte[] Onnx = File.ReadAllBytes(Path.Combine(Fixture.Root, "onnx", "gru.onnx"));

    private static readonly byte[] SafeTensors = File.ReadAllBytes(Path.Combine(Fixture.Root, "safetensors", "gru_fc.safetensors"));

    /// <summary>
    /// A real ONNX file cut at every length, every byte overwritten by values that change a protobuf key, length or varint
    /// (0x00, 0xFF, 0x80, the byte + 1), and seeded random edits (bytes removed, inserted, overwritten).
    /// </summary>
    private static IEnumerable<(string Description, byte[] Bytes)> OnnxVariants() => ByteVariants(Onnx);

    /// <summary>
    /// The same edits of a safetensors state_dict (safetensors' save_file order, with metadata): its length prefix, header
    /// and data.
    /// </summary>
    private static IEnumerable<(string Description, byte[] Bytes)> SafeTensorsVariants() => ByteVariants(SafeTensors);

    private static IEnumerable<(string Description, byte[] Bytes)> ByteVariants(byte[] original)
    {
        yield return ("original", original);
        for (int length = 0; length < original.Length; length++)
        {
            yield return ($"truncated to {length}", original[..length]);
        }

        for (int i = 0; i < original.Length; i++)
        {
            foreach (byte value in new byte[] { 0x00, 0xFF, 0x80, (byte)(original[i] + 1) })
            {
                byte[] edited = (byte[])original.Clone();
                edited[i] = value;
                yield return ($"0x{value:X2} at {i}", edited);
            }
        }

        var random = new Random(Seed);
        for (int n = 0; n < 1000; n++)
        {
            var bytes = new List<byte>(original);
            int edits = 1 + random.Next(4);
            for (int e = 0; e < edits && bytes.Count > 0; e++)
            {
                int at = random.Next(bytes.Count);
                switch (random.Next(3))
                {
                    case 0: bytes.RemoveRange(at, Math.Min(1 + random.Next(20), bytes.Count - at)); break;
                    case 1: bytes.InsertRange(at, Enumerable.Range(0, 1 + random.Next(8)).Select(_ => (byte)random.Next(256))); break;
                    default: bytes[at] = (byte)random.Next(256); break;
                }
            }

            yield return ($"random {n}", bytes.ToArray());
        }
    }

    private static IEnumerable<(string Description, byte[] Bytes)> AsBytes(IEnumerable<(string Description, string Text)> variants) =>
        variants.Select(v => (v.Description, Encoding.UTF8.GetBytes(v.Text)));

    [Fact]
    public void Load_EveryVariant_LoadsWhatItHoldsOrThrowsInvalidData_AndChangesNothingOnFailure() =>
        CheckLoad(new KerasGru1d(1), AsBytes(Variants()), minimumRejected: 10_000);

    [Fact]
    public void Load_EveryStateDictVariant_LoadsWhatItHoldsOrThrowsInvalidData_AndChangesNothingOnFailure() =>
        CheckLoad(new GuitarAmpLstm(1), AsBytes(Variants(StateDict)), minimumRejected: 3_000);

    [Fact]
    public void Load_EveryNamVariant_LoadsWhatItHoldsOrThrowsInvalidData_AndChangesNothingOnFailure() =>
        CheckLoad(new NamExampleLstm(1), AsBytes(Variants(Nam)), minimumRejected: 1_500);

    [Fact]
    public void Load_EveryOnnxVariant_LoadsWhatItHoldsOrThrowsInvalidData_AndChangesNothingOnFailure() =>
        CheckLoad(new OnnxGru(1), OnnxVariants(), minimumRejected: 5_000);

    [Fact]
    public void Load_EverySafeTensorsVariant_LoadsWhatItHoldsOrThrowsInvalidData_AndChangesNothingOnFailure() =>
        // A variant that loads has the class's names in F32 (any other file is imported and compared, and would have to have
        // them too): Load reads it by name, as every model reads its safetensors, so the values it holds are the tensors by name.
        CheckLoad(new SafeTensorsGruFc(1), SafeTensorsVariants(), minimumRejected: 3_000,
            bytes => SafeTensorsGruFc.Layout.ToArray().SelectMany(p => SafeTensorFile.Read(bytes).ReadFloats(p.Name)).ToArray());

    [Fact]
    public void Generator_SampleOfSafeTensorsVariants_ReportsFIXED052OrFIXED053OrGenerates_NeverThrows() =>
        CheckGenerator("m.safetensors", SafeTensorsVariants().Where((_, i) => i % 100 == 0).Select(v => (v.Description, SafeTensorsImportTests.Encoded("/p/m.safetensors", v.Bytes))));

    private static void CheckLoad<TModel>(TModel model, IEnumerable<(string Description, byte[] Bytes)> variants, int minimumRejected,
        Func<byte[], float[]>? holds = null)
        where TModel : IRecurrentModel<TModel>
    {
        holds ??= bytes => ModelFileFormats.Import(bytes).Parameters;
        var failures = new List<string>();
        int loaded = 0, rejected = 0;
        foreach ((string description, byte[] bytes) in variants)
        {
            model.Parameters.Fill(0.125f);
            try
            {
                model.Load(new MemoryStream(bytes));
                float[] expected = holds(bytes);
                if (!expected.AsSpan().SequenceEqual(model.Parameters))
                {
                    failures.Add(description + ": loaded other values than the converter reads");
                }

                loaded++;
            }
            catch (InvalidDataException)
            {
                rejected++;
                if (model.Parameters.ToArray().Any(v => v != 0.125f))
                {
                    failures.Add(description + ": a failed load changed the weights");
                }
            }
            catch (Exception e)
            {
                failures.Add(description + ": " + e.GetType().Name + ": " + e.Message);
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.Take(20)));
        Assert.True(loaded >= 50, $"only {loaded} variants loaded");
        Assert.True(rejected >= minimumRejected, $"only {rejected} variants rejected");
    }

    [Fact]
    public void Generator_SampleOfVariants_ReportsFIXED052OrFIXED053OrGenerates_NeverThrows() =>
        CheckGenerator("amp.json", Variants().Where((_, i) => i % 500 == 0).Select(v => (v.Description, new TestAdditionalText("/p/amp.json", v.Text))));

    [Fact]
    public void Generator_SampleOfNamVariants_ReportsFIXED052OrFIXED053OrGenerates_NeverThrows() =>
        CheckGenerator("amp.nam", Variants(Nam).Where((_, i) => i % 150 == 0).Select(v => (v.Description, new TestAdditionalText("/p/amp.nam", v.Text))));

    [Fact]
    public void Generator_SampleOfOnnxVariants_ReportsFIXED052OrFIXED053OrGenerates_NeverThrows() =>
        CheckGenerator("m.onnx", OnnxVariants().Where((_, i) => i % 300 == 0).Select(v => (v.Description, OnnxImportTests.EncodedOnnx("/p/m.onnx", v.Bytes))));

    private static void CheckGenerator(string file, IEnumerable<(string Description, TestAdditionalText Text)> variants)
    {
        string source = "using Fixed;\n[ModelFile(\"" + file + "\")] public partial class Amp;";
        var ids = new HashSet<string>();
        var failures = new List<string>();
        int generated = 0;
        foreach ((string description, TestAdditionalText text) in variants)
        {
            // The harness throws if the generator did.
            GeneratorRun run = GeneratorHarness.Run(source, [text]);
            if (run.GeneratorDiagnostics.IsEmpty)
            {
                generated++;
                if (!run.CompilationErrors.IsEmpty)
                {
                    failures.Add(description + ": generated code that does not compile: " + GeneratorHarness.Describe(run.CompilationErrors));
                }
            }
            else
            {
                ids.UnionWith(run.GeneratorDiagnostics.Select(d => d.Id));
                if (run.GeneratorDiagnostics.Any(d => d.Id is not ("FIXED052" or "FIXED053")))
                {
                    failures.Add(description + ": " + GeneratorHarness.Describe(run.GeneratorDiagnostics));
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        Assert.Contains("FIXED052", ids);
        Assert.True(generated >= 1, "no variant generated a model");
    }
}
