using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.Intrinsics;
using System.Text.RegularExpressions;
using Fixed.Tests.Reliability;
using Xunit;

namespace Fixed.Tests.Stacks;

/// <summary>
/// The generated layer stack is specialised for its sizes: in the JIT's own listing of <see cref="Stack"/>'s step
/// (GRU 3→16 "enc", GRU 16→8 "dec", Linear 8→12, ReLU, Linear 12→2), every slice length, parameter offset and layer
/// size is an immediate operand, and each recurrent engine's Step checks its own sizes against constants. Were any
/// size read at run time (a field, a virtual or interface call, a property getter left as a call), the compares would
/// be against a register or memory and the constants would be missing. The listing comes from a child process of
/// this test executable (<see cref="StackDisassembly"/>) with <c>DOTNET_JitDisasm</c> on and tiered compilation off,
/// so that each method is compiled once, fully optimized, as tier 1 would; it inherits the ISA switches
/// (<c>DOTNET_EnableHWIntrinsic=0</c> and so on) the tests run under.
/// </summary>
public class StackDisassemblyTests
{
    private const string Network = "Fixed.Tests.Stacks.Stack+FixedNetwork";
    private static readonly string Engine0 = "Fixed.Engine.RecurrentEngine`1[" + Network + "+Layer0]";
    private static readonly string Engine1 = "Fixed.Engine.RecurrentEngine`1[" + Network + "+Layer1]";

    /// <summary>A call that would fetch a size at run time: a property getter, or the shape and layout helpers left un-inlined.</summary>
    private static readonly Regex SizeCall = new(@":get_|INetworkShape|Fixed\.Shape`1|PackedLayout`1", RegexOptions.CultureInvariant);

    private static readonly Lazy<Dictionary<string, StackDisassembly.Listing>> Listings = new(Disassemble);

    [Fact]
    public void Advance_calls_each_engine_and_has_every_size_and_offset_as_a_constant()
    {
        StackDisassembly.Listing advance = Single(Network + ":Advance(");
        List<string> calls = advance.Calls.ToList();
        int step0 = calls.FindIndex(c => c.Contains(Engine0 + ":Step(", StringComparison.Ordinal));
        int step1 = calls.FindIndex(c => c.Contains(Engine1 + ":Step(", StringComparison.Ordinal));
        Assert.True(step0 >= 0 && step1 > step0, "Advance calls the engines of Layer0 then Layer1:\n" + string.Join('\n', calls));
        Assert.DoesNotContain(calls, c => SizeCall.IsMatch(c));

        // Slice bounds, compared with immediates: state[0, 16) and state[16, 24); a[0, 16), b[0, 8), a[0, 12), output[0, 2);
        // the Linear layers' parameters All[1632, 1740) and All[1740, 1766).
        ISet<long> compared = advance.Compared;
        foreach (long size in new long[] { 16, 24, 8, 12, 2, 1740, 1766 })
        {
            Assert.True(compared.Contains(size), $"Advance compares a length with {size}; compared constants: {Format(compared)}");
        }

        // The Linear layers' parameter offsets: as elements, as bytes, or as bytes past the array header.
        ISet<long> constants = advance.Constants;
        foreach (long offset in new long[] { 1632, 1740 })
        {
            Assert.True(constants.Contains(offset) || constants.Contains(4 * offset) || constants.Contains(4 * offset + 16),
                $"Advance has the parameter offset {offset} (or {4 * offset} bytes) as a constant; constants: {Format(constants)}");
        }
    }

    [Theory]
    [InlineData(0, 3, 16)]
    [InlineData(1, 16, 8)]
    public void Each_engine_checks_its_own_sizes_against_constants(int layer, int inputSize, int hiddenSize)
    {
        string engine = layer == 0 ? Engine0 : Engine1;
        StackDisassembly.Listing step = Single(engine + ":Step(");
        Assert.DoesNotContain(step.Calls, c => SizeCall.IsMatch(c));
        if (step.Calls.Any(c => c.Contains(engine + ":GeneralStep(", StringComparison.Ordinal)))
        {
            // A shape the straight-line step does not serve (on this instruction set): Step hands over to GeneralStep.
            step = Single(engine + ":GeneralStep(");
            Assert.DoesNotContain(step.Calls, c => SizeCall.IsMatch(c));
        }

        // Step: input and output lengths (a stack's recurrent layer outputs its h).
        Assert.True(step.Compared.Contains(inputSize) && step.Compared.Contains(hiddenSize),
            $"{engine}:Step compares with {inputSize} and {hiddenSize}; compared constants: {Format(step.Compared)}");
        if (step.Calls.Any(c => c.Contains(engine + ":CellStep", StringComparison.Ordinal)))
        {
            // The general path: CheckState checks one layer's h.
            StackDisassembly.Listing checkState = Single(engine + ":CheckState(");
            Assert.DoesNotContain(checkState.Calls, c => SizeCall.IsMatch(c));
            Assert.True(checkState.Compared.Contains(hiddenSize),
                $"{engine}:CheckState compares with {hiddenSize}; compared constants: {Format(checkState.Compared)}");
        }
        else
        {
            // The straight-line path (one layer, small: RecurrentEngine.Straight.cs): no call but the error and repack paths.
            // Not in the emulated 512-bit build (Path512) on a machine without AVX-512: there every Vector512 operation is a
            // call of its own, so the JIT's inlining budget runs out early and its code says nothing of the real build's; the
            // sizes above are what this test reads there.
            if (!(Path512.IsEmulatedBuild && !Vector512.IsHardwareAccelerated))
            {
                Assert.All(step.Calls, c => Assert.True(c.Contains(":Throw", StringComparison.Ordinal) || c.Contains(":Repack(", StringComparison.Ordinal), c));
            }
        }
    }

    private static StackDisassembly.Listing Single(string prefix)
    {
        Dictionary<string, StackDisassembly.Listing> listings = Listings.Value;
        StackDisassembly.Listing[] found = listings.Values.Where(l => l.Method.StartsWith(prefix, StringComparison.Ordinal)).ToArray();
        Assert.True(found.Length == 1, $"one optimized listing of {prefix}…; listed: {string.Join(", ", listings.Keys)}");
        return found[0];
    }

    private static string Format(IEnumerable<long> values) => string.Join(" ", values.Order());

    private static Dictionary<string, StackDisassembly.Listing> Disassemble()
    {
        string file = Path.Combine(Path.GetTempPath(), $"fixed-stack-disasm-{Environment.ProcessId}-{Guid.NewGuid():N}.txt");
        try
        {
            var environment = new Dictionary<string, string>
            {
                ["DOTNET_TieredCompilation"] = "0",
                ["DOTNET_JitDisasm"] = StackDisassembly.Methods,
                ["DOTNET_JitDisasmSummary"] = "0",
                ["DOTNET_JitStdOutFile"] = file,
            };
            using Process child = SaveChild.Start(StackDisassembly.Mode, environment);
            string output = child.StandardOutput.ReadToEnd();
            string errors = child.StandardError.ReadToEnd();
            Assert.True(child.WaitForExit(TimeSpan.FromSeconds(60)), "the disassembly child finishes");
            Assert.True(child.ExitCode == 0, $"the disassembly child exits with 0, not {child.ExitCode}:\n{output}\n{errors}");
            Assert.True(File.Exists(file), "the JIT wrote its listing (DOTNET_JitDisasm and DOTNET_JitStdOutFile are honoured by the release runtime)");
            return StackDisassembly.Parse(File.ReadLines(file));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
