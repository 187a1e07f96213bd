using System;
using Xunit;

namespace Fixed.Tests.Support;

/// <summary>
/// Zero allocation in the steady state, told apart from the JIT's own. <see cref="GC.GetAllocatedBytesForCurrentThread"/>
/// also counts what the runtime allocates on this thread while it compiles (tier-up and on-stack replacement of the loops
/// under test), which a loaded machine can delay into the measured calls (seen as 1,296 and 7,064 bytes in loaded
/// full-suite runs of a test that passed alone). A round of calls that allocated is forgiven only if the JIT compiled
/// something during it; a later round must then allocate nothing at all.
/// </summary>
internal static class SteadyAllocation
{
    /// <summary>Runs <paramref name="round"/> <paramref name="calls"/> times per round, up to five rounds, and fails unless a round allocates 0 bytes with no unexplained allocation before it.</summary>
    public static void AssertNone(string what, int calls, Action round)
    {
        long allocated = 0;
        for (int attempt = 0; attempt < 5; attempt++)
        {
            long compiledBefore = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < calls; i++)
            {
                round();
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated == 0)
            {
                return;
            }

            long compiled = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false) - compiledBefore;
            Assert.True(compiled > 0, $"{what}: {allocated} bytes over {calls} rounds while the JIT compiled nothing: the allocation is ours.");
        }

        Assert.Fail($"{what}: {allocated} bytes over {calls} rounds, in each of 5 attempts.");
    }
}
