using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;

namespace Fixed.Tests.Stacks;

/// <summary>
/// The JIT's own listing (<c>DOTNET_JitDisasm</c>) of <see cref="Stack"/>'s step: the child mode that produces it
/// (<c>FIXED_RELIABILITY_MODE=stack-disasm</c>, run late like fuzz and soak, so that the code compiled is the code a
/// model runs, without the module initializer's class-initialization checks) and the parser the test reads it with.
/// </summary>
internal static partial class StackDisassembly
{
    public const string Mode = "stack-disasm";

    /// <summary>The methods listed: the stack's per-step body and the recurrent engines' Step (and what they call).</summary>
    public const string Methods = "Advance Step GeneralStep CheckState";

    /// <summary>The child: a few steps of <see cref="Stack"/>. Run with tiered compilation off, each method is compiled once, fully optimized.</summary>
    public static int RunChild()
    {
        var model = new Stack(seed: 7);
        float[] state = new float[Stack.StateLength];
        float[] input = [0.5f, -0.25f, 1f];
        float[] output = new float[2];
        float sink = 0;
        for (int i = 0; i < 100; i++)
        {
            model.Step(state, input, output);
            sink += output[0] + output[1];
        }

        Console.WriteLine(sink.ToString(CultureInfo.InvariantCulture));
        return float.IsFinite(sink) ? 0 : 1;
    }

    /// <summary>One optimized method's listing: its full name and its instructions (labels and comments dropped).</summary>
    public sealed record Listing(string Method, string Tier, IReadOnlyList<string> Instructions)
    {
        /// <summary>The targets of every call.</summary>
        public IEnumerable<string> Calls => Instructions.Where(i => i.StartsWith("call", StringComparison.Ordinal)).Select(i => i[4..].Trim());

        /// <summary>Every integer that appears as an operand, immediate or displacement (<c>16</c>, <c>0x10</c>, <c>[rax+0x40]</c>).</summary>
        public ISet<long> Constants => Instructions
            .Where(i => !i.StartsWith("call", StringComparison.Ordinal))
            .SelectMany(i => Number().Matches(Operands(i)).Select(m => Parse(m.Value)))
            .ToHashSet();

        /// <summary>The constants compared against a register: <c>cmp r13d, 16</c> (a length check against a JIT-time size).</summary>
        public ISet<long> Compared => Instructions
            .Select(i => CompareImmediate().Match(i))
            .Where(m => m.Success)
            .Select(m => Parse(m.Groups[1].Value))
            .ToHashSet();
    }

    /// <summary>The last optimized listing of each method in the JIT's output.</summary>
    public static Dictionary<string, Listing> Parse(IEnumerable<string> lines)
    {
        var result = new Dictionary<string, Listing>(StringComparer.Ordinal);
        string? method = null;
        string tier = "";
        List<string>? instructions = null;
        foreach (string raw in lines)
        {
            string line = raw.Trim();
            Match header = Header().Match(line);
            if (header.Success)
            {
                method = header.Groups[1].Value;
                tier = header.Groups[2].Value;
                instructions = tier.Contains("Tier0", StringComparison.Ordinal) && !tier.Contains("FullOpts", StringComparison.Ordinal) ? null : [];
                continue;
            }

            if (instructions is null || method is null)
            {
                continue;
            }

            if (line.StartsWith("; Total bytes of code", StringComparison.Ordinal))
            {
                result[method] = new Listing(method, tier, instructions);
                instructions = null;
                continue;
            }

            int comment = line.IndexOf(';', StringComparison.Ordinal);
            string code = (comment >= 0 ? line[..comment] : line).Trim();
            if (code.Length == 0 || code.EndsWith(':') || code.StartsWith("align", StringComparison.Ordinal) || code.StartsWith("RWD", StringComparison.Ordinal))
            {
                continue;
            }

            instructions.Add(Whitespace().Replace(code, " "));
        }

        return result;
    }

    private static string Operands(string instruction)
    {
        int space = instruction.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? "" : instruction[(space + 1)..];
    }

    private static long Parse(string number) =>
        number.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.Parse(number.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : long.Parse(number, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^; Assembly listing for method (.+) \(([^()]*)\)$")]
    private static partial Regex Header();

    [GeneratedRegex(@"(?<![\w.])(0x[0-9A-Fa-f]+|\d+)(?![\w.])")]
    private static partial Regex Number();

    [GeneratedRegex(@"^cmp (?:\w+|\w+ ptr \[[^\]]+\]), (0x[0-9A-Fa-f]+|\d+)$")]
    private static partial Regex CompareImmediate();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
