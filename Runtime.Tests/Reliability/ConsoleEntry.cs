using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Fixed.Tests.Reliability;

/// <summary>
/// Lets the test executable double as the small console program the reliability tests and scripts need. When
/// <see cref="ModeVariable"/> is set (only the tests' child processes and scripts/reliability/*.sh set it), the
/// process runs that mode and exits with its exit code instead of running tests:
/// <list type="bullet">
/// <item><c>save-loop</c>, <c>save-once</c>: the children of <see cref="AtomicSaveTests"/>, run from the module
/// initializer, before xunit's generated Main, so that they start in a fraction of a second.</item>
/// <item><c>generator-explore</c>, <c>generator-survey</c>: <see cref="GeneratorPropertyTests"/> over fresh random
/// declarations (<see cref="GeneratorPropertyTests.IterationsVariable"/> of them, default 10,000), stopping at the first
/// failure with CsCheck's shrinking, or listing every kind of failure; run like fuzz and soak, below.</item>
/// <item><c>fuzz</c>, <c>soak</c>: scripts/reliability/fuzz.sh and soak.sh, and <c>stack-disasm</c>, the child of
/// <see cref="Stacks.StackDisassemblyTests"/>, run from the xunit pipeline startup
/// (<see cref="ReliabilityStartup"/>), once the module initializer has returned: code running inside the module
/// initializer is compiled with class-initialization checks the JIT cannot remove, and the soak measured 20 times
/// slower there (4 µs per Step instead of 0.2 µs).</item>
/// </list>
/// Parameters travel in environment variables, listed with each mode. The modes run on one thread: inside the
/// module initializer any other thread that touched this assembly's code would wait for it to return.
/// </summary>
internal static class ConsoleEntry
{
    public const string ModeVariable = "FIXED_RELIABILITY_MODE";

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries",
        Justification = "The test executable is an application; this is its alternative entry point for child processes.")]
    internal static void RunModeIfRequested()
    {
        string? mode = Environment.GetEnvironmentVariable(ModeVariable);
        if (string.IsNullOrEmpty(mode))
        {
            return;
        }

        if (mode is "fuzz" or "soak" or "generator-explore" or "generator-survey" or Stacks.StackDisassembly.Mode)
        {
            return;   // ReliabilityStartup runs these.
        }

        Exit(mode switch
        {
            "save-loop" => SaveChild.Loop,
            "save-once" => SaveChild.Once,
            _ => () => Unknown(mode),
        });
    }

    /// <summary>Runs the fuzz or soak mode, if requested; called by <see cref="ReliabilityStartup"/>.</summary>
    public static void RunLateModeIfRequested()
    {
        string? mode = Environment.GetEnvironmentVariable(ModeVariable);
        if (mode is "fuzz")
        {
            Exit(FuzzMain);
        }
        else if (mode is "soak")
        {
            Exit(Soak.Run);
        }
        else if (mode is "generator-explore")
        {
            Exit(() => GeneratorPropertyTests.Explore(Number(GeneratorPropertyTests.IterationsVariable, 10_000), Console.Out));
        }
        else if (mode is "generator-survey")
        {
            Exit(() => GeneratorPropertyTests.Survey(Number(GeneratorPropertyTests.IterationsVariable, 10_000), Console.Out));
        }
        else if (mode is Stacks.StackDisassembly.Mode)
        {
            Exit(Stacks.StackDisassembly.RunChild);
        }
    }

    private static void Exit(Func<int> run)
    {
        int exitCode;
        try
        {
            exitCode = run();
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(e);
            exitCode = 2;
        }

        Console.Out.Flush();
        Environment.Exit(exitCode);
    }

    /// <summary>An integer environment variable, or <paramref name="fallback"/> when unset.</summary>
    public static long Number(string name, long fallback)
    {
        string? text = Environment.GetEnvironmentVariable(name);
        return string.IsNullOrWhiteSpace(text) ? fallback : long.Parse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture);
    }

    private static int FuzzMain()
    {
        int cases = checked((int)Number(FixtureFuzzer.CasesVariable, 1_000_000));
        int seed = checked((int)Number(FixtureFuzzer.SeedVariable, FixtureFuzzer.DefaultSeed));
        FuzzReport report = new FixtureFuzzer(seed).Run(cases, perCaseLimit: TimeSpan.FromSeconds(10), progress: Console.Out);
        Console.WriteLine(report.Format());
        return report.Failures.Count == 0 ? 0 : 1;
    }

    private static int Unknown(string mode)
    {
        Console.Error.WriteLine($"unknown {ModeVariable} '{mode}': expected save-loop, save-once, fuzz, soak, generator-explore, generator-survey or {Stacks.StackDisassembly.Mode}.");
        return 2;
    }
}
