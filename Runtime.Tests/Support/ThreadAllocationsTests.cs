using System;
using System.Diagnostics;
using System.Runtime;
using Xunit;

namespace Fixed.Tests.Support;

[CollectionDefinition(nameof(ThreadAllocationsTests), DisableParallelization = true)]
public sealed class ThreadAllocationsCollection;

/// <summary>
/// The allocation windows' one runtime artefact, reproduced: a background collection that ends its mark phase inside a
/// window charges the thread the unused rest of its allocation context, unless the window started from an empty one
/// (<see cref="ThreadAllocations.Start"/>). Runs on its own (no other test class in parallel): the background collections
/// it asks for would charge other threads' raw windows.
/// </summary>
[Collection(nameof(ThreadAllocationsTests))]
public sealed class ThreadAllocationsTests
{
    [Fact]
    public void BackgroundCollectionEndingInAWindow_ChargesTheRawCount_NotAWindowStartedEmpty()
    {
        // Live objects, so that marking them takes far longer than the few instructions between the request and the
        // allocation below, which therefore lands while the collection marks.
        var live = new object[200_000];
        for (int i = 0; i < live.Length; i++)
        {
            live[i] = new object[] { new byte[8] };
        }

        bool background = GCSettings.LatencyMode != GCLatencyMode.Batch; // Batch: DOTNET_gcConcurrent=0, no background collections
        var raw = new System.Collections.Generic.List<long>();
        var emptied = new System.Collections.Generic.List<long>();
        for (int attempt = 0; attempt < 16; attempt++)
        {
            bool empty = attempt % 2 == 1;
            long backgroundBefore = GC.GetGCMemoryInfo(GCKind.Background).Index;
            GC.Collect(2, GCCollectionMode.Forced, blocking: false, compacting: false);
            object sink = new byte[1]; // this thread's only allocation: its context now has an unused rest
            long before = empty ? ThreadAllocations.Start() : GC.GetAllocatedBytesForCurrentThread();
            long deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 2);
            float x = 1f;
            while (GC.GetAllocatedBytesForCurrentThread() == before && Stopwatch.GetTimestamp() < deadline)
            {
                // No allocation and no call but the two reads: half a second, far longer than marking these objects takes
                // (milliseconds), unless the count moves first.
                for (int i = 0; i < 10_000; i++)
                {
                    x = (x * 0.9999f) + 1f;
                }
            }

            long charged = ThreadAllocations.Now() - before;
            (empty ? emptied : raw).Add(charged);
            GC.KeepAlive(sink);
            Assert.True(float.IsFinite(x));
            // The background collection finishes (its sweep) before the next one is asked for.
            long finished = deadline + (5 * Stopwatch.Frequency);
            while (background && GC.GetGCMemoryInfo(GCKind.Background).Index == backgroundBefore && Stopwatch.GetTimestamp() < finished)
            {
                System.Threading.Thread.Sleep(1);
            }
        }

        GC.KeepAlive(live);
        Assert.True(emptied.TrueForAll(b => b == 0), $"windows started from an empty allocation context were charged: {string.Join(", ", emptied)} bytes.");
        if (background)
        {
            // The raw count moved in some windows: the runtime still voids the contexts this way, and the empty-context arm
            // above was tested against it.
            Assert.True(raw.Exists(b => b > 0), $"no raw window was charged ({string.Join(", ", raw)} bytes): background collections no longer void allocation contexts unaccounted, or none ended its mark inside a window.");
        }
    }
}
