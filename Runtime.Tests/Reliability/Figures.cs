using System;
using System.IO;
using Xunit;

namespace Fixed.Tests.Reliability;

/// <summary>
/// Where the reliability tests put their figures: the test's output, and, when <see cref="Variable"/> names a file,
/// that file too (passing tests' output is not shown by the runner; docs/reliability.md quotes these lines).
/// </summary>
internal static class Figures
{
    public const string Variable = "FIXED_RELIABILITY_FIGURES";

    private static readonly object Gate = new();

    public static void Write(ITestOutputHelper output, string line)
    {
        output.WriteLine(line);
        string? path = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrEmpty(path))
        {
            lock (Gate)
            {
                File.AppendAllText(path, line + Environment.NewLine);
            }
        }
    }
}
