using System;
using System.Diagnostics;

namespace Fixed.Benchmarks.Timing;

/// <summary>This benchmark program started again as a child process (a command that needs a fresh runtime or other settings).</summary>
internal static class SelfProcess
{
    /// <summary>
    /// Runs this program with <paramref name="args"/>: the app host itself, or the <c>dotnet</c> host given this assembly
    /// (as under <c>dotnet Fixed.Benchmarks.dll</c>). Not started: the caller adds environment variables or redirections.
    /// </summary>
    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        if (!Environment.ProcessPath!.EndsWith("Fixed.Benchmarks", StringComparison.Ordinal))
        {
            start.ArgumentList.Add(typeof(SelfProcess).Assembly.Location);
        }

        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }
}
