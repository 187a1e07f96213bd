using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Xunit;

namespace Fixed.Tests.Reliability;

/// <summary>
/// Weight files are untrusted input: variants of the real fixture files either load exactly what they hold (the
/// original tensors, unless the mutation changed data bytes or re-pointed a tensor) or throw InvalidDataException
/// naming what is wrong, never another exception, never a hang, never a partly updated model or optimizer.
/// </summary>
public sealed class FixtureFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void MutatedFixtures_LoadExactlyWhatTheyHoldOrThrowInvalidData()
    {
        int cases = (int)ConsoleEntry.Number(FixtureFuzzer.CasesVariable, 12_000);
        int seed = (int)ConsoleEntry.Number(FixtureFuzzer.SeedVariable, FixtureFuzzer.DefaultSeed);
        var fuzzer = new FixtureFuzzer(seed);

        FuzzReport report = fuzzer.Run(cases, perCaseLimit: TimeSpan.FromSeconds(5));

        Figures.Write(output, "fixture fuzz: " + report.Format());
        Assert.True(report.FailureCount == 0, report.Format());
        Assert.Equal(cases, report.Cases);
        Assert.True(cases >= 10_000 || Environment.GetEnvironmentVariable(FixtureFuzzer.CasesVariable) is not null);

        // Both sides of the oracle, and both loaders, were exercised.
        Assert.True(report.Outcomes.GetValueOrDefault(FuzzRules.LoadedOriginal) > cases / 50, report.Format());
        Assert.True(report.Outcomes.GetValueOrDefault(FuzzRules.LoadedOther) > cases / 100, report.Format());
        Assert.True(report.Rejected > cases / 2, report.Format());
        Assert.True(report.Outcomes.Count > 25, report.Format());
        Assert.Equal(62, fuzzer.TargetCount);
    }

    /// <summary>Found by the million-case run: checkpoint metadata was quoted whole in messages (10,000+ characters).</summary>
    [Theory]
    [InlineData("format")]
    [InlineData("optimizer")]
    [InlineData("beta1")]
    [InlineData("step")]
    public void Checkpoint_HugeMetadataValue_MessageQuotesItCutShort(string key)
    {
        var model = new SoakGru(seed: 1);
        var optimizer = new Adam(model);
        var stream = new MemoryStream();
        Checkpoint.Save(stream, model, optimizer);
        SafeTensorFile file = SafeTensorFile.Read(stream.ToArray());
        var metadata = new Dictionary<string, string>(file.Metadata) { [key] = new string('x', 10_000) };
        var tensors = new List<FloatTensor>();
        foreach (SafeTensorEntry entry in file.Tensors)
        {
            tensors.Add(new FloatTensor(entry.Name, [.. entry.Shape], file.ReadFloats(entry.Name)));
        }

        var rewritten = new MemoryStream();
        SafeTensorWriter.Write(rewritten, tensors, metadata);
        rewritten.Position = 0;

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(rewritten, model, optimizer));

        Assert.True(error.Message.Length < 400, error.Message);
        Assert.Contains("(10000 characters)", error.Message, System.StringComparison.Ordinal);
    }
}
