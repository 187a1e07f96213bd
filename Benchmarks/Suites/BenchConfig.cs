using System;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using Perfolizer.Horology;

namespace Fixed.Benchmarks.Suites;

/// <summary>
/// The BenchmarkDotNet configuration of the report. About 290 cases must finish in well under 20 minutes on two
/// cores, so the job is a short run: one launch, 3 warm-up and 9 measured iterations of ~100 ms each. The machine
/// drifts 20–50 % between runs, so the report compares medians of implementations measured in the same run.
/// </summary>
public static class BenchConfig
{
    /// <summary>
    /// Call counting from the first call (<c>DOTNET_TC_CallCountingDelayMs=0</c>). Under the default delay, which every new
    /// tier-0 method restarts, the short warm-up ended with long operations still in tier-0 code: the 2026-12-02 report's
    /// training and sequence suites were bimodal (standard deviation near the mean, medians 2–30× the per-call timings).
    /// </summary>
    private static readonly EnvironmentVariable CallCountingFromFirstCall = new("DOTNET_TC_CallCountingDelayMs", "0");

    /// <summary>The report's job (overridden by BenchmarkDotNet's own <c>--job</c> option when given).</summary>
    public static Job ReportJob { get; } = Job.Default
        .WithId("Report")
        .WithLaunchCount(1)
        .WithWarmupCount(3)
        .WithIterationCount(9)
        .WithIterationTime(TimeInterval.FromMilliseconds(100))
        .WithEnvironmentVariables(CallCountingFromFirstCall);

    /// <summary>A smoke-test job: enough to see that everything runs, not to quote.</summary>
    public static Job QuickJob { get; } = Job.Default
        .WithId("Quick")
        .WithLaunchCount(1)
        .WithWarmupCount(1)
        .WithIterationCount(3)
        .WithIterationTime(TimeInterval.FromMilliseconds(25));

    /// <summary>Memory diagnoser, the full JSON exporter (besides the default CSV, Markdown and HTML), nanoseconds; <paramref name="job"/> if not null.</summary>
    public static IConfig Create(Job? job)
    {
        ManualConfig config = ManualConfig.Create(DefaultConfig.Instance)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddExporter(JsonExporter.Full)
            .AddColumn(StatisticColumn.Median)
            .WithSummaryStyle(SummaryStyle.Default.WithTimeUnit(TimeUnit.Nanosecond))
            .WithOptions(ConfigOptions.DisableLogFile);
        if (job is not null)
        {
            config.AddJob(job.AsDefault(false));
        }

        return config;
    }

    /// <summary>Whether BenchmarkDotNet's own arguments already choose a job.</summary>
    public static bool ChoosesJob(string[] args) =>
        Array.Exists(args, a => a is "--job" or "-j" || a.StartsWith("--job=", StringComparison.Ordinal));
}
