using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Fixed.Tests.Parity;

namespace Fixed.Tests.Reliability;

/// <summary>What a fuzz run found: the count of each outcome class, and every contract violation.</summary>
internal sealed class FuzzReport
{
    public long Cases { get; set; }

    public SortedDictionary<string, long> Outcomes { get; } = new(StringComparer.Ordinal);

    public List<string> Failures { get; } = [];

    public long FailureCount { get; set; }

    public TimeSpan Elapsed { get; set; }

    public TimeSpan SlowestCase { get; set; }

    public string SlowestCaseDescription { get; set; } = "";

    public long ViaPath { get; set; }

    public long Loaded => Outcomes.Where(o => o.Key.StartsWith("loaded", StringComparison.Ordinal)).Sum(o => o.Value);

    public long Rejected => Outcomes.Where(o => o.Key.StartsWith("rejected", StringComparison.Ordinal)).Sum(o => o.Value);

    public string Format()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"{Cases:N0} cases in {Elapsed.TotalSeconds:F1} s ({ViaPath:N0} of them through a file path); {FailureCount:N0} contract violations; slowest case {SlowestCase.TotalMilliseconds:F1} ms ({SlowestCaseDescription})");
        text.AppendLine(CultureInfo.InvariantCulture, $"{Loaded,12:N0}  loaded (total)");
        text.AppendLine(CultureInfo.InvariantCulture, $"{Rejected,12:N0}  rejected (total)");
        foreach ((string outcome, long count) in Outcomes.OrderByDescending(o => o.Value))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{count,12:N0}  {outcome}");
        }

        foreach (string failure in Failures)
        {
            text.AppendLine("VIOLATION " + failure);
        }

        return text.ToString();
    }
}

/// <summary>
/// Feeds mutated and truncated variants of the real PyTorch fixture files (Fixtures/forward/*.weights.safetensors)
/// to the generated models' <c>Load</c>, and checkpoints built from them to <c>Checkpoint.Load</c>, checking each
/// against <see cref="ReferenceSafeTensors"/>. Case <c>i</c> depends only on the seed and <c>i</c>.
/// </summary>
internal sealed class FixtureFuzzer
{
    public const string CasesVariable = "FIXED_FUZZ_CASES";
    public const string SeedVariable = "FIXED_FUZZ_SEED";
    public const int DefaultSeed = 20_251_127;

    /// <summary>One case in this many goes through a temporary file and the path overloads.</summary>
    private const int PathEvery = 97;

    private readonly int _seed;
    private readonly IFuzzTarget[] _targets;
    private readonly byte[][] _originals;

    public FixtureFuzzer(int seed)
    {
        _seed = seed;
        var targets = new List<IFuzzTarget>();
        string[] names = FixtureModels.ForwardNames;
        for (int i = 0; i < names.Length; i++)
        {
            string path = Path.Combine(Fixture.Root, "forward", names[i] + ".weights.safetensors");
            byte[] weights = File.ReadAllBytes(path);

            // The generated model declared for this fixture (Runtime.Tests/Parity/FixtureModels.cs).
            Type model = FixtureModels.Forward(names[i]).GetType().GetGenericArguments()[0];
            targets.Add((IFuzzTarget)Activator.CreateInstance(typeof(WeightsTarget<>).MakeGenericType(model), names[i], weights)!);
            targets.Add((IFuzzTarget)Activator.CreateInstance(typeof(CheckpointTarget<>).MakeGenericType(model), names[i], weights, i % 3)!);
        }

        _targets = [.. targets];
        _originals = _targets.Select(t => t.Original).ToArray();
    }

    public int TargetCount => _targets.Length;

    /// <summary>
    /// Runs <paramref name="cases"/> cases on a worker thread while this thread watches the clock: a case that runs
    /// longer than <paramref name="perCaseLimit"/> is reported as a hang and ends the run. Without a limit, the cases
    /// run inline on this thread.
    /// </summary>
    public FuzzReport Run(int cases, TimeSpan? perCaseLimit, TextWriter? progress = null)
    {
        var report = new FuzzReport();
        string directory = Directory.CreateTempSubdirectory("fixed-fuzz-").FullName;
        long caseStarted = 0;
        int current = -1;
        bool stop = false;
        string currentDescription = "";
        var clock = Stopwatch.StartNew();
        void Cases()
        {
            for (int i = 0; i < cases && !Volatile.Read(ref stop); i++)
            {
                var random = new Random(unchecked((_seed * 1_000_003) + i));
                IFuzzTarget target = _targets[random.Next(_targets.Length)];
                var mutator = new Mutator(random, _originals);
                byte[] variant = mutator.Mutate(target.Original);
                bool viaPath = i % PathEvery == 0;
                Volatile.Write(ref currentDescription, $"case {i} (seed {_seed}): {target.Name}: {mutator.Description}");
                long started = Stopwatch.GetTimestamp();
                Volatile.Write(ref caseStarted, started);
                Volatile.Write(ref current, i);
                string outcome;
                try
                {
                    outcome = target.Check(variant, viaPath ? directory : null);
                }
                catch (FuzzViolation violation)
                {
                    outcome = "VIOLATION";
                    lock (report)
                    {
                        report.FailureCount++;
                        if (report.Failures.Count < 25)
                        {
                            report.Failures.Add($"{currentDescription}: {violation.Message}");
                        }
                    }
                }

                TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
                lock (report)
                {
                    report.Cases++;
                    report.ViaPath += viaPath ? 1 : 0;
                    report.Outcomes[outcome] = report.Outcomes.GetValueOrDefault(outcome) + 1;
                    if (elapsed > report.SlowestCase)
                    {
                        report.SlowestCase = elapsed;
                        report.SlowestCaseDescription = currentDescription;
                    }
                }

                if (progress is not null && (i + 1) % 100_000 == 0)
                {
                    progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {i + 1:N0} cases, {clock.Elapsed.TotalSeconds:F0} s"));
                }
            }

            Volatile.Write(ref current, int.MaxValue);
        }

        if (perCaseLimit is not { } limit)
        {
            // Inline, for a caller that cannot use another thread (code inside this assembly's module initializer).
            Cases();
            report.Elapsed = clock.Elapsed;
            Directory.Delete(directory, recursive: true);
            return report;
        }

        var worker = new Thread(Cases, maxStackSize: 16 * 1024 * 1024) { IsBackground = true, Name = "fuzz worker" };
        worker.Start();
        while (!worker.Join(50))
        {
            int running = Volatile.Read(ref current);
            long started = Volatile.Read(ref caseStarted);
            if (running >= 0 && running != int.MaxValue && Stopwatch.GetElapsedTime(started) > limit && Volatile.Read(ref current) == running)
            {
                Volatile.Write(ref stop, true);
                lock (report)
                {
                    report.FailureCount++;
                    report.Failures.Add($"HANG: {Volatile.Read(ref currentDescription)} ran longer than {limit.TotalSeconds} s");
                }

                break;
            }
        }

        report.Elapsed = clock.Elapsed;
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A hung worker may still hold the file; the temp directory is left behind then.
        }

        return report;
    }
}
