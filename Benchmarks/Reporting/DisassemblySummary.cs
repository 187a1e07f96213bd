using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace Fixed.Benchmarks.Reporting;

/// <summary>What one method of a DisassemblyDiagnoser listing contains that matters in a hot loop.</summary>
public sealed record DisassembledMethod(
    string Name, int Bytes, IReadOnlyList<string> Calls, int BoundsChecks, int VectorSpills, int VectorReloads, int IndexSignExtensions);

/// <summary>
/// Reads BenchmarkDotNet's GitHub-markdown disassembly and counts, per method, the things the kernels should not
/// have in their hot loops: calls, bounds-check failures (<c>CORINFO_HELP_RNGCHKFAIL</c>), vector registers stored
/// to and reloaded from the stack frame, and <c>movsxd</c> (an <c>int</c> index widened on every access).
/// </summary>
public static partial class DisassemblySummary
{
    /// <summary>The methods of the listing at <paramref name="path"/>, in listing order.</summary>
    public static IReadOnlyList<DisassembledMethod> Read(string path)
    {
        var methods = new List<DisassembledMethod>();
        string? name = null;
        var calls = new List<string>();
        int bounds = 0, spills = 0, reloads = 0, widen = 0;
        foreach (string line in File.ReadLines(path))
        {
            if (line == "```assembly")
            {
                name = null;
                calls.Clear();
                bounds = spills = reloads = widen = 0;
                continue;
            }

            if (name is null && line.StartsWith("; ", StringComparison.Ordinal))
            {
                name = Shorten(line[2..]);
                continue;
            }

            if (name is null)
            {
                continue;
            }

            Match total = TotalBytes().Match(line);
            if (total.Success)
            {
                methods.Add(new DisassembledMethod(name, int.Parse(total.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
                    [.. calls], bounds, spills, reloads, widen));
                name = null;
                continue;
            }

            string code = line.Trim();
            if (code.StartsWith("call ", StringComparison.Ordinal))
            {
                if (code.Contains("RNGCHKFAIL", StringComparison.Ordinal))
                {
                    bounds++;
                }
                else
                {
                    int comment = code.IndexOf(';', StringComparison.Ordinal);
                    // Calls the listing could not name (through a cell or a register) are counted, not spelled out.
                    calls.Add(comment >= 0 ? Shorten(code[(comment + 1)..].Trim()) : "(unnamed)");
                }
            }
            else if (SpillStore().IsMatch(code))
            {
                spills++;
            }
            else if (SpillLoad().IsMatch(code))
            {
                reloads++;
            }
            else if (code.StartsWith("movsxd ", StringComparison.Ordinal))
            {
                widen++;
            }
        }

        return methods;
    }

    /// <summary><c>Fixed.Engine.RecurrentEngine`1[[…]].CellStep(…)</c> → <c>RecurrentEngine.CellStep</c>.</summary>
    private static string Shorten(string signature)
    {
        string text = Generic().Replace(signature, string.Empty);
        int paren = text.IndexOf('(', StringComparison.Ordinal);
        if (paren >= 0)
        {
            text = text[..paren];
        }

        string[] parts = text.Split('.');
        return parts.Length >= 2 ? $"{parts[^2].Split('`')[0]}.{parts[^1]}" : text;
    }

    [GeneratedRegex(@"^; Total bytes of code (\d+)")]
    private static partial Regex TotalBytes();

    [GeneratedRegex(@"^vmov\w*\s+\[r[bs]p[^\]]*\],[xyz]mm\d+")]
    private static partial Regex SpillStore();

    [GeneratedRegex(@"^vmov\w*\s+[xyz]mm\d+,\[r[bs]p")]
    private static partial Regex SpillLoad();

    [GeneratedRegex(@"\[\[.*?\]\]")]
    private static partial Regex Generic();
}
