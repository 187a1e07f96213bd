using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Fixed.Benchmarks.Models;

namespace Fixed.Benchmarks.Reporting;

/// <summary>One BenchmarkDotNet case: which suite and method, its parameters, median ns and bytes allocated per operation.</summary>
public sealed record BenchCase(string Suite, string Method, IReadOnlyDictionary<string, string> Parameters, double? MedianNs, long? AllocatedBytes);

/// <summary>The cases of a run, read from BenchmarkDotNet's full JSON exports (<c>*-report-full.json</c>).</summary>
public sealed class BenchResults
{
    private readonly List<BenchCase> _cases = [];

    private BenchResults()
    {
    }

    /// <summary>The host BenchmarkDotNet describes (CPU, runtime), from the first file.</summary>
    public string Host { get; private set; } = "unknown host";

    /// <summary>Each suite's job, as BenchmarkDotNet describes it (without the case's parameters).</summary>
    public IReadOnlyDictionary<string, string> Jobs => _jobs;

    private readonly Dictionary<string, string> _jobs = new(StringComparer.Ordinal);

    /// <summary>Every case.</summary>
    public IReadOnlyList<BenchCase> Cases => _cases;

    /// <summary>Reads every <c>*-report-full.json</c> under <paramref name="artifacts"/>.</summary>
    public static BenchResults Load(string artifacts)
    {
        var results = new BenchResults();
        foreach (string path in Directory.EnumerateFiles(artifacts, "*-report-full.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
            JsonElement root = document.RootElement;
            if (root.TryGetProperty("HostEnvironmentInfo", out JsonElement host))
            {
                results.Host = string.Create(CultureInfo.InvariantCulture,
                    $"{Text(host, "ProcessorName")}, {Text(host, "LogicalCoreCount")} logical cores, {Text(host, "OsVersion")}, {Text(host, "RuntimeVersion")}, BenchmarkDotNet {Text(host, "BenchmarkDotNetVersion")}");
            }

            foreach (JsonElement benchmark in root.GetProperty("Benchmarks").EnumerateArray())
            {
                var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (string pair in (benchmark.GetProperty("Parameters").GetString() ?? string.Empty).Split('&', StringSplitOptions.RemoveEmptyEntries))
                {
                    string[] parts = pair.Split('=', 2);
                    parameters[parts[0]] = parts.Length > 1 ? parts[1] : string.Empty;
                }

                double? median = benchmark.TryGetProperty("Statistics", out JsonElement statistics) && statistics.ValueKind == JsonValueKind.Object
                    ? statistics.GetProperty("Median").GetDouble()
                    : null;
                long? allocated = benchmark.TryGetProperty("Memory", out JsonElement memory) && memory.ValueKind == JsonValueKind.Object && median is not null
                    ? memory.GetProperty("BytesAllocatedPerOperation").GetInt64()
                    : null;
                string suite = Text(benchmark, "Type");
                results._cases.Add(new BenchCase(suite, Text(benchmark, "Method"), parameters, median, allocated));
                if (!results._jobs.ContainsKey(suite))
                {
                    // "StepBenchmarks.Scalar: Report(IterationCount=9, ...) [Cell=Rnn, ...]" -> "Report(IterationCount=9, ...)"
                    string display = Text(benchmark, "DisplayInfo");
                    int colon = display.IndexOf(": ", StringComparison.Ordinal);
                    string job = colon >= 0 ? display[(colon + 2)..] : display;
                    int bracket = job.IndexOf(" [", StringComparison.Ordinal);
                    results._jobs[suite] = bracket >= 0 ? job[..bracket] : job;
                }
            }
        }

        return results;
    }

    /// <summary>The case of <paramref name="suite"/>.<paramref name="method"/> for <paramref name="network"/> (grid suites), or null.</summary>
    public BenchCase? Find(string suite, string method, NetworkId network) =>
        _cases.FirstOrDefault(c => c.Suite == suite && c.Method == method
            && Matches(c, "Cell", network.Cell.ToString())
            && Matches(c, "Hidden", network.Hidden.ToString(CultureInfo.InvariantCulture))
            && (!c.Parameters.ContainsKey("Input") || Matches(c, "Input", network.Input.ToString(CultureInfo.InvariantCulture)))
            && (c.Parameters.ContainsKey("Input") || network.Input == 1));

    /// <summary>A case with no parameters, by suite and method, or null.</summary>
    public BenchCase? Find(string suite, string method) =>
        _cases.FirstOrDefault(c => c.Suite == suite && c.Method == method);

    private static bool Matches(BenchCase c, string name, string value) =>
        c.Parameters.TryGetValue(name, out string? actual) && actual == value;

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) ? value.ToString() : string.Empty;
}
