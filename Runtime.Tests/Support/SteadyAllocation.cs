using System;
using System.Text;
using Xunit;

namespace Fixed.Tests.Support;

/// <summary>
/// Zero allocation in the steady state. Each round starts from an empty allocation context (<see cref="ThreadAllocations"/>):
/// otherwise a background collection that ends its mark phase during the round charges the thread the unused rest of its
/// context, with no object behind the bytes (the counts full-suite runs saw with nothing compiled, 5,472 bytes in one
/// round and 24,624 in another, fit that; the mechanism is shown by tools/AllocCause). The runtime can still allocate on
/// this thread while it compiles (on-stack replacement of the loops under test, the compile itself), which a loaded machine
/// can delay into the measured calls: a round that allocated while methods were compiled is measured again, up to five
/// rounds; a round that allocated while nothing was compiled fails at once.
/// </summary>
internal static class SteadyAllocation
{
    /// <summary>
    /// Runs <paramref name="round"/> <paramref name="calls"/> times per round, up to five rounds, and fails unless a round
    /// allocates 0 bytes; an allocation in a round in which the JIT compiled nothing fails at once.
    /// </summary>
    public static void AssertNone(string what, int calls, Action round)
    {
        var rounds = new StringBuilder();
        for (int attempt = 0; attempt < 5; attempt++)
        {
            long compiledBefore = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false);
            long before = ThreadAllocations.Start();
            for (int i = 0; i < calls; i++)
            {
                round();
            }

            long allocated = ThreadAllocations.Now() - before;
            if (allocated == 0)
            {
                return;
            }

            long compiled = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false) - compiledBefore;
            Assert.True(compiled > 0, $"{what}: round {attempt + 1} of {calls} calls allocated {allocated} bytes while the JIT compiled nothing:{rounds} the allocation is ours.");
            rounds.Append($" {allocated} bytes ({compiled} methods compiled meanwhile);");
        }

        Assert.Fail($"{what}: every round of {calls} calls allocated:{rounds}");
    }
}
