using System;
using System.Diagnostics;
using System.Globalization;
using System.Runtime;

namespace Fixed.Benchmarks.Timing;

/// <summary>
/// Warm-up that waits for the JIT: an operation is called until the process has compiled no method for
/// <see cref="QuietTime"/> (<see cref="JitInfo.GetCompiledMethodCount"/>, every thread), so what is timed next is the
/// tier-1 code. A fixed warm-up was not enough for long operations: tier-1 code of a training iteration's many methods is
/// compiled in the background, and on a busy or pinned core that outlasted it (`timed` read 121 µs for GRU 1→32's
/// training iteration instead of 8.4, and BenchmarkDotNet's training suite was bimodal, 2026-12-02).
/// </summary>
/// <remarks>
/// The quiet time must be longer than the runtime's tiering delay (<see cref="TieringDelay"/>): during that delay the JIT
/// compiles nothing although every hot method still runs tier-0 code, so a shorter quiet time ends the warm-up before
/// call counting has even started. That is what happened to `rtneural time` pinned to one core without
/// <c>DOTNET_TC_CallCountingDelayMs=0</c> (2026-12-04): the delay is ten times longer when the process may use one CPU
/// only, the 300 ms quiet time of then ended inside it, and GRU 1→32's <c>Step</c> was timed at 1,200–1,300 ns (tier-0)
/// instead of ~110 ns for the first two runs of 10⁶ steps.
/// </remarks>
internal static class JitWarmUp
{
    /// <summary>
    /// How long the runtime waits after the last new tier-0 method before it counts calls towards tier 1: its
    /// <c>TC_CallCountingDelayMs</c> (100 ms unless set), times its <c>TC_DelaySingleProcMultiplier</c> (10 unless set) when
    /// the process may use one CPU only (<see cref="Environment.ProcessorCount"/>, which counts the CPUs of the process's
    /// affinity, as the runtime does for this). Read from <c>DOTNET_</c> (or <c>COMPlus_</c>) environment variables, whose
    /// numbers the runtime reads as hexadecimal.
    /// </summary>
    public static readonly TimeSpan TieringDelay = Delay(
        Setting("TC_CallCountingDelayMs"), Setting("TC_DelaySingleProcMultiplier"), Environment.ProcessorCount);

    /// <summary>How long no method may be compiled before the warm-up ends: <see cref="TieringDelay"/> and 300 ms more.</summary>
    public static readonly TimeSpan QuietTime = TimeSpan.FromMilliseconds(300) + TieringDelay;

    /// <summary>The warm-up's limit, should the JIT never fall quiet.</summary>
    public static readonly TimeSpan MaxTime = TimeSpan.FromSeconds(5) + 3 * TieringDelay;

    /// <summary>
    /// Calls <paramref name="operation"/> for at least <paramref name="minimum"/> and <paramref name="minimumCalls"/> calls,
    /// and then until the JIT has been quiet for <see cref="QuietTime"/> (at most <see cref="MaxTime"/> in all).
    /// </summary>
    public static void UntilQuiet(Action operation, TimeSpan minimum = default, int minimumCalls = 1)
    {
        var clock = Stopwatch.StartNew();
        var quiet = Stopwatch.StartNew();
        long compiled = JitInfo.GetCompiledMethodCount();
        for (int calls = 0; (clock.Elapsed < minimum || calls < minimumCalls || quiet.Elapsed < QuietTime) && clock.Elapsed < MaxTime; calls++)
        {
            operation();
            long now = JitInfo.GetCompiledMethodCount();
            if (now != compiled)
            {
                compiled = now;
                quiet.Restart();
            }
        }
    }

    /// <summary>The tiering delay for these settings (null: the runtime's default) and CPU count.</summary>
    private static TimeSpan Delay(string? delayMs, string? singleProcMultiplier, int processors)
    {
        uint delay = Hexadecimal(delayMs) ?? 100;
        uint multiplier = Hexadecimal(singleProcMultiplier) ?? 10;
        return TimeSpan.FromMilliseconds(processors == 1 && multiplier > 1 ? (double)delay * multiplier : delay);
    }

    private static string? Setting(string name) =>
        Environment.GetEnvironmentVariable("DOTNET_" + name) ?? Environment.GetEnvironmentVariable("COMPlus_" + name);

    private static uint? Hexadecimal(string? value)
    {
        string? digits = value?.Trim();
        if (digits is not null && digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            digits = digits[2..];
        }

        return uint.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint parsed) ? parsed : null;
    }
}
