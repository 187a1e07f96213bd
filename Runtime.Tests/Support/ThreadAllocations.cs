using System;

namespace Fixed.Tests.Support;

/// <summary>
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/>, read so that it counts only what this thread allocates.
/// </summary>
/// <remarks>
/// <para>
/// The count is the bytes of every allocation context the thread was given, minus the unused rest of the current one.
/// When a collection retires the contexts it subtracts that rest (the count does not move); but at the end of a background
/// (concurrent) gen2 collection's mark phase the GC voids every thread's context without subtracting it (gc.cpp,
/// <c>repair_allocation_contexts(FALSE)</c> → <c>void_allocation</c>). A thread that allocated anything while that
/// collection was marking is then charged the rest of its context, up to one allocation quantum (8 KB), at whatever it
/// is doing when the mark ends: 8,168 bytes charged to one <c>ZeroGrad</c> in CI, and no object at all behind them.
/// </para>
/// <para>
/// A gen0 collection just before the first read retires this thread's context the consistent way, so a window that
/// allocates nothing keeps an empty context and a later voiding finds nothing to void: the count moves only if something
/// allocates on this thread during the window. <c>tools/AllocCause</c> shows both sides (docs/reliability.md, "The rare
/// allocation: what it is").
/// </para>
/// </remarks>
internal static class ThreadAllocations
{
    /// <summary>
    /// Empties this thread's allocation context (a gen0 collection) and returns the count: call it last before the
    /// measured calls, with no allocation between it and them.
    /// </summary>
    public static long Start()
    {
        GC.Collect(0);
        return GC.GetAllocatedBytesForCurrentThread();
    }

    /// <summary>The count, without touching the context: the end of a window started with <see cref="Start"/>.</summary>
    public static long Now() => GC.GetAllocatedBytesForCurrentThread();
}
