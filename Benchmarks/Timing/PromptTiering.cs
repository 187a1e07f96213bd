using System;
using System.Diagnostics;

namespace Fixed.Benchmarks.Timing;

/// <summary>
/// Runs a command in a child process with <c>DOTNET_TC_CallCountingDelayMs=0</c> when this process was started without it.
/// Under the default delay (100 ms, restarted by every new tier-0 method, and ten times as long when the process may use
/// one CPU only, as under <c>taskset -c 1</c>) a warm-up can end before tier-1 code is installed, and the timings then
/// measure tier-0 code (GRU 1→32's multi-stream step measured 7.5 µs a stream-step instead of ~0.2). <see cref="JitWarmUp"/>
/// waits out the delay too; this makes it short.
/// </summary>
internal static class PromptTiering
{
    private const string CallCountingDelay = "DOTNET_TC_CallCountingDelayMs";

    /// <summary>Whether this process already runs with call counting from the first call.</summary>
    public static bool IsOn => Environment.GetEnvironmentVariable(CallCountingDelay) == "0";

    /// <summary>Runs <c>command args</c> again in a child with the setting, waits, and returns its exit code.</summary>
    public static int Rerun(string command, string[] args)
    {
        ProcessStartInfo self = SelfProcess.StartInfo([command, .. args]);
        self.Environment[CallCountingDelay] = "0";
        using Process child = Process.Start(self)!;
        child.WaitForExit();
        return child.ExitCode;
    }
}
