using System;
using System.Diagnostics;
using System.Runtime;

namespace Fixed.Benchmarks.Timing;

/// <summary>
/// Warm-up that waits for the JIT: an operation is called until the process has compiled no method for
/// <see cref="QuietTime"/> (<see cref="JitInfo.GetCompiledMethodCount"/>, every thread), so what is timed next is the
/// tier-1 code. A fixed warm-up was not enough for long operations: tier-1 code of a training iteration's many methods is
/// compiled in the background, and on a busy or pinned core that outlasted it (`timed` read 121 µs for GRU 1→32's
/// training iteration instead of 8.4, and BenchmarkDotNet's training suite was bimodal, 2026-12-02).
/// </summary>
internal static class JitWarmUp
{
    /// <summary>How long no method may be compiled before the warm-up ends.</summary>
    public static readonly TimeSpan QuietTime = TimeSpan.FromMilliseconds(300);

    /// <summary>The warm-up's limit, should the JIT never fall quiet.</summary>
    public static readonly TimeSpan MaxTime = TimeSpan.FromSeconds(5);

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
}
