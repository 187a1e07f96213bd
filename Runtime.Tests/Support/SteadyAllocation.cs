using System;
using System.Text;
using Xunit;

namespace Fixed.Tests.Support;

/// <summary>
/// Zero allocation in the steady state, told apart from the runtime's own. <see cref="GC.GetAllocatedBytesForCurrentThread"/>
/// also counts what the runtime allocates on this thread while it tiers code up (call counting, on-stack replacement of
/// the loops under test, the compile itself), which a loaded machine can delay into the measured calls: seen as 1,296 and
/// 7,064 bytes in loaded full-suite runs, and once as 5,472 bytes on a quiet one with no method compiled in that round
/// (the compile it triggered runs later, on the tiering thread). So the calls run in up to five rounds and one round must
/// allocate nothing at all: an allocation made by every call, or by every round, fails; one the runtime makes once does not.
/// </summary>
internal static class SteadyAllocation
{
    /// <summary>Runs <paramref name="round"/> <paramref name="calls"/> times per round, up to five rounds, and fails unless a round allocates 0 bytes.</summary>
    public static void AssertNone(string what, int calls, Action round)
    {
        var rounds = new StringBuilder();
        for (int attempt = 0; attempt < 5; attempt++)
        {
            long compiledBefore = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < calls; i++)
            {
                round();
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated == 0)
            {
                return;
            }

            long compiled = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false) - compiledBefore;
            rounds.Append($" {allocated} bytes ({compiled} methods compiled meanwhile);");
        }

        Assert.Fail($"{what}: every round of {calls} calls allocated:{rounds}");
    }
}
