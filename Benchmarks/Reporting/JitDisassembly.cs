using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Fixed.Benchmarks.Suites;
using Fixed.Benchmarks.Timing;

namespace Fixed.Benchmarks.Reporting;

/// <summary>
/// The fallback when DisassemblyDiagnoser produces nothing (it attaches to the finished benchmark process, which fails
/// on some runs of this VM): the JIT's own listing (<c>DOTNET_JitDisasm</c>) of the same code, GRU 1→32's
/// <c>Step</c> after tiering up, rewritten into the markdown <see cref="DisassemblySummary"/> reads. The methods are
/// those the step runs through: the generated member, the engine's step and cell, and the block kernels.
/// </summary>
public static partial class JitDisassembly
{
    /// <summary>The command that runs the step in a child process with the JIT's listing switched on.</summary>
    public const string ChildCommand = "disasm-jit-child";

    private const string Methods = "Step CellStep Wide Narrow";

    /// <summary>Runs the child, converts its listing and writes it to <paramref name="target"/>; false when nothing came out.</summary>
    public static bool Write(string target)
    {
        string raw = Path.Combine(Path.GetTempPath(), "fixed-jitdisasm.txt");
        File.Delete(raw);
        ProcessStartInfo start = SelfProcess.StartInfo(ChildCommand);
        start.Environment["DOTNET_JitDisasm"] = Methods;
        start.Environment["DOTNET_JitStdOutFile"] = raw;
        start.Environment["DOTNET_JitDisasmSummary"] = "0";
        // Without on-stack replacement the child's loop stays at tier 0 and calls Step through the call-counting stub,
        // so Step itself is promoted to tier 1 and listed. With it (the default), the loop was sometimes replaced by a
        // tier-1 OSR version with the whole step inlined into it, and Step never got a tier-1 listing of its own.
        start.Environment["DOTNET_TC_OnStackReplacement"] = "0";
        start.Environment["DOTNET_TC_QuickJitForLoops"] = "1";
        using (Process child = Process.Start(start)!)
        {
            child.WaitForExit();
            if (child.ExitCode != 0 || !File.Exists(raw))
            {
                return false;
            }
        }

        string markdown = Convert(File.ReadAllLines(raw));
        if (markdown.Length == 0)
        {
            return false;
        }

        File.WriteAllText(target, markdown);
        return true;
    }

    /// <summary>The child: steps the model for a second and a half, long enough for every method to reach tier 1.</summary>
    public static int RunChild()
    {
        var suite = new StepDisassembly();
        var clock = Stopwatch.StartNew();
        float sink = 0;
        while (clock.ElapsedMilliseconds < 1500)
        {
            for (int i = 0; i < 1000; i++)
            {
                sink += suite.Gru1To32Step();
            }
        }

        return float.IsNaN(sink) ? 1 : 0;
    }

    /// <summary>
    /// The last optimized listing of each method, as BenchmarkDotNet writes its GitHub markdown: a fenced block per
    /// method, its name in the first comment line, operands without size keywords, the byte count last.
    /// </summary>
    public static string Convert(IReadOnlyList<string> lines)
    {
        var listings = new Dictionary<string, List<string>>();
        var order = new List<string>();
        List<string>? current = null;
        foreach (string line in lines)
        {
            Match header = Header().Match(line);
            if (header.Success)
            {
                string tier = header.Groups[2].Value;
                bool optimized = tier is "Tier1" or "FullOpts" or "Tier0-FullOpts" or "Tier1-OSR";
                string name = Name(header.Groups[1].Value);
                current = optimized ? new List<string>() : null;
                if (current is not null)
                {
                    if (!listings.ContainsKey(name))
                    {
                        order.Add(name);
                    }

                    listings[name] = current;
                    current.Add("; " + name);
                }

                continue;
            }

            if (current is null || line.Length == 0 || line.StartsWith(";;", StringComparison.Ordinal))
            {
                continue;
            }

            if (line.StartsWith("; Total bytes of code", StringComparison.Ordinal))
            {
                current.Add(line.Trim());
                current = null;
                continue;
            }

            if (!line.StartsWith(';'))
            {
                current.Add(Instruction(line));
            }
        }

        var text = new StringBuilder();
        foreach (string name in order)
        {
            text.Append("```assembly\n");
            foreach (string line in listings[name])
            {
                text.Append(line).Append('\n');
            }

            text.Append("```\n\n");
        }

        return text.ToString();
    }

    /// <summary><c>Fixed.PackedMath:Wide[Fixed.Simd512,Fixed.Six](byref,…)</c> → <c>PackedMath.Wide&lt;Simd512,Six&gt;(…)</c>.</summary>
    private static string Name(string method)
    {
        if (!method.Contains(':', StringComparison.Ordinal))
        {
            return method; // a runtime helper: CORINFO_HELP_…
        }

        int colon = method.LastIndexOf(':', method.IndexOf('(', StringComparison.Ordinal) is int p and >= 0 ? p : method.Length - 1);
        string type = colon > 0 ? method[..colon] : method;
        string member = colon > 0 ? method[(colon + 1)..] : string.Empty;
        type = TypeArguments().Replace(type, string.Empty);
        type = type[(type.LastIndexOf('.') + 1)..].Split('`')[0].Split('+')[0];
        int paren = member.IndexOf('(', StringComparison.Ordinal);
        string simple = paren >= 0 ? member[..paren] : member;
        string arguments = string.Empty;
        int bracket = simple.IndexOf('[', StringComparison.Ordinal);
        if (bracket >= 0)
        {
            arguments = "<" + string.Join(",", simple[(bracket + 1)..^1].Split(',').Select(a => a[(a.LastIndexOf('.') + 1)..])) + ">";
            simple = simple[..bracket];
        }

        return type + "." + simple + arguments + "()";
    }

    /// <summary>One instruction in BenchmarkDotNet's spelling: single spaces, no size keywords, calls named in a comment.</summary>
    private static string Instruction(string line)
    {
        string code = Spaces().Replace(line.Trim(), " ");
        code = SizeKeyword().Replace(code, string.Empty).Replace(", ", ",", StringComparison.Ordinal);
        if (code.StartsWith("call [", StringComparison.Ordinal) && code.EndsWith(']'))
        {
            return "call ; " + Name(code[6..^1]);
        }

        return code;
    }

    [GeneratedRegex(@"^; Assembly listing for method (.+) \(([\w-]+)\)$")]
    private static partial Regex Header();

    [GeneratedRegex(@"`\d+\[[^\]]*\]")]
    private static partial Regex TypeArguments();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"\b(byte|word|dword|qword|xmmword|ymmword|zmmword|bword|gword) ptr ")]
    private static partial Regex SizeKeyword();
}
