using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Linq;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Threading;
using Fixed;

// Usage: AllocCause <work> <pressure> <seconds> [events]      (README.md: the commands and what they showed)
//   work:     clear        Array.Clear of an existing float[4,640] (what ZeroGrad does), 1,000 calls a window
//             train        the training iteration of the allocation test on an LSTM (two Backwards, both clippings, SGD
//                          with Nesterov momentum, ZeroGrad), 10 iterations a window
//             spin         an arithmetic loop with no call, one a window
//             bgc          the measuring thread allocates one small object, then measures a window of arithmetic, while
//                          another thread asks for background gen2 collections over a live heap (pressure is ignored)
//             bgc-emptied  the same, with a gen0 collection between the small allocation and the window
//             threshold    a method's calls 2 to 61, each measured, after <seconds> idle (the tier-up threshold is 30 calls)
//   pressure: none | alloc (one other thread allocating short- and long-lived objects: natural gen0, gen1 and background
//             gen2 collections) | collect (one other thread calling GC.Collect(0)) | bgc (one other thread asking for
//             background gen2 collections over a live heap)
//   events:   record the runtime's events (GC 0x1, Loader 0x8, JIT 0x10) with an EventListener, on its dispatch thread,
//             and print those that overlap each window whose count moved, with their OS thread ids
// Environment for clear/train/spin: WARMUP (calls before measuring; 3,000 by default, 1 measures the tiering phase),
// TOUCH=1 (one small allocation before every window, as the tests make between windows), EMPTY=1 (a gen0 collection just
// before every window). Exit code 1 if any window's count moved.
string work = args.Length > 0 ? args[0] : "clear";
string pressure = args.Length > 1 ? args[1] : "alloc";
double seconds = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 60;
bool events = args.Length > 3 && args[3] == "events";
return work switch
{
    "threshold" => Threshold.Run(idleMs: (int)(seconds * 1000)),
    "bgc" => Background.Run(seconds, events, emptyFirst: false),
    "bgc-emptied" => Background.Run(seconds, events, emptyFirst: true),
    _ => Experiment.Run(work, pressure, seconds, events),
};

static class Experiment
{
    private const int MaxWindows = 2_000_000;

    public static int Run(string work, string pressure, double seconds, bool recordEvents)
    {
        using RuntimeEvents? listener = recordEvents ? new RuntimeEvents() : null;
        Action step = Work(work, out int callsPerWindow);

        // Windows, preallocated: the measuring thread writes only into these arrays.
        var bytes = new long[MaxWindows];
        var start = new long[MaxWindows];
        var end = new long[MaxWindows];
        var gcBefore = new int[MaxWindows * 3];
        var gcAfter = new int[MaxWindows * 3];
        var jitBefore = new long[MaxWindows];
        var jitAfter = new long[MaxWindows];
        var jitMineBefore = new long[MaxWindows];
        var jitMineAfter = new long[MaxWindows];

        // WARMUP calls before measuring (default 3,000: tier-up and on-stack replacement of the loops done); WARMUP=1 measures
        // the tiering phase, as the tests' first rounds do.
        int warmUp = int.Parse(Environment.GetEnvironmentVariable("WARMUP") ?? "3000", CultureInfo.InvariantCulture);
        for (int i = 0; i < warmUp; i++)
        {
            step();
        }

        if (warmUp > 1)
        {
            Thread.Sleep(500);
        }

        using var stop = new CancellationTokenSource();
        Thread? other = pressure switch
        {
            "none" => null,
            "alloc" => new Thread(() => Allocate(stop.Token)) { IsBackground = true, Name = "pressure" },
            "collect" => new Thread(() => Collect(stop.Token)) { IsBackground = true, Name = "pressure" },
            "bgc" => new Thread(() => BackgroundCollections(stop.Token)) { IsBackground = true, Name = "pressure" },
            _ => throw new ArgumentException($"unknown pressure '{pressure}'", nameof(pressure)),
        };
        other?.Start();
        long measuredThread = OsThreadId();
        listener?.Watch(measuredThread);

        long deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        int windows = 0;
        // EMPTY=1: a gen0 collection before every window retires this thread's allocation context (see Background).
        bool empty = Environment.GetEnvironmentVariable("EMPTY") == "1";
        // TOUCH=1: one small allocation before every window, as the tests make between windows (set-up, messages).
        bool touch = Environment.GetEnvironmentVariable("TOUCH") == "1";
        object? sink = null;
        while (windows < MaxWindows && Stopwatch.GetTimestamp() < deadline)
        {
            if (touch)
            {
                sink = new byte[1];
            }

            if (empty)
            {
                GC.Collect(0);
            }

            int w = windows++;
            gcBefore[3 * w] = GC.CollectionCount(0);
            gcBefore[3 * w + 1] = GC.CollectionCount(1);
            gcBefore[3 * w + 2] = GC.CollectionCount(2);
            jitBefore[w] = JitInfo.GetCompiledMethodCount();
            jitMineBefore[w] = JitInfo.GetCompiledMethodCount(currentThread: true);
            start[w] = Stopwatch.GetTimestamp();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int c = 0; c < callsPerWindow; c++)
            {
                step();
            }

            bytes[w] = GC.GetAllocatedBytesForCurrentThread() - before;
            end[w] = Stopwatch.GetTimestamp();
            jitMineAfter[w] = JitInfo.GetCompiledMethodCount(currentThread: true);
            jitAfter[w] = JitInfo.GetCompiledMethodCount();
            gcAfter[3 * w] = GC.CollectionCount(0);
            gcAfter[3 * w + 1] = GC.CollectionCount(1);
            gcAfter[3 * w + 2] = GC.CollectionCount(2);
        }

        stop.Cancel();
        other?.Join();
        Thread.Sleep(1_500); // the listener's dispatch thread delivers late
        listener?.Watch(-1);

        int moved = 0, withGc = 0, gcWindows = 0, movedWithoutGc = 0;
        long movedBytes = 0;
        var sizes = new Dictionary<long, int>();
        for (int w = 0; w < windows; w++)
        {
            bool gc = gcAfter[3 * w] != gcBefore[3 * w];
            gcWindows += gc ? 1 : 0;
            if (bytes[w] == 0)
            {
                continue;
            }

            moved++;
            movedBytes += bytes[w];
            withGc += gc ? 1 : 0;
            movedWithoutGc += gc ? 0 : 1;
            sizes[bytes[w]] = sizes.GetValueOrDefault(bytes[w]) + 1;
            if (moved <= 40)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"window {w}: {bytes[w]} B; collections gen0 +{gcAfter[3 * w] - gcBefore[3 * w]} gen1 +{gcAfter[3 * w + 1] - gcBefore[3 * w + 1]} gen2 +{gcAfter[3 * w + 2] - gcBefore[3 * w + 2]}; methods compiled +{jitAfter[w] - jitBefore[w]} (this thread +{jitMineAfter[w] - jitMineBefore[w]}); {Ms(end[w] - start[w]):F3} ms"));
                if (listener is not null)
                {
                    foreach (string e in listener.Overlapping(start[w], end[w], measuredThread))
                    {
                        Console.WriteLine("    " + e);
                    }
                }
            }
        }

        double collectionsDuring = gcAfter[3 * (windows - 1)] - gcBefore[0];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"summary work={work} pressure={pressure} touch={touch} empty={empty} events={recordEvents} windows={windows} calls/window={callsPerWindow} gen0 collections={collectionsDuring} (gen1 {gcAfter[3 * (windows - 1) + 1] - gcBefore[1]}, gen2 {gcAfter[3 * (windows - 1) + 2] - gcBefore[2]}) windows overlapping a collection={gcWindows} windows moved={moved} ({movedBytes} B) of which overlapping a collection={withGc}, without={movedWithoutGc}; sizes: {string.Join(", ", sizes.OrderByDescending(p => p.Value).Select(p => $"{p.Key} B x{p.Value}"))}; GC {(GCSettings.IsServerGC ? "server" : "workstation")}, latencyMode={GCSettings.LatencyMode} (Interactive: background collections on; Batch: off)"));
        GC.KeepAlive(sink);
        return moved == 0 ? 0 : 1;
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static Action Work(string work, out int callsPerWindow)
    {
        switch (work)
        {
            case "clear":
            {
                float[] gradients = new float[4_640];
                callsPerWindow = 1_000;
                return () => Array.Clear(gradients);
            }

            case "spin":
            {
                callsPerWindow = 1;
                float[] sink = new float[1];
                return () =>
                {
                    float x = sink[0];
                    for (int i = 0; i < 100_000; i++)
                    {
                        x = x * 0.999f + 1f;
                    }

                    sink[0] = x;
                };
            }

            case "train":
            {
                var model = new Lstm32(seed: 2);
                var optimizer = new Sgd(model, 1e-3f, momentum: 0.9f, nesterov: true);
                float[] inputs = new float[32];
                float[] targets = new float[32];
                float[] batchInputs = new float[6 * 32];
                float[] batchTargets = new float[6];
                for (int i = 0; i < inputs.Length; i++)
                {
                    inputs[i] = MathF.Sin(i * 0.1f);
                }

                targets.AsSpan().Fill(0.5f);
                float[] state = new float[Lstm32.StateLength];
                callsPerWindow = 10;
                return () =>
                {
                    model.Backward(state, inputs, targets, Loss.Mse, LossOn.AllSteps, warmUp: 0);
                    model.Backward(batchInputs, batchTargets, 6, Loss.Huber, LossOn.LastStep);
                    model.ClipGradNorm(1f);
                    model.ClipGradValue(10f);
                    optimizer.Step();
                    model.ZeroGrad();
                };
            }

            default:
                throw new ArgumentException($"unknown work '{work}'", nameof(work));
        }
    }

    /// <summary>Short-lived garbage plus a ring of survivors that are replaced (promotions, gen1 and gen2 collections), and now and then a large array.</summary>
    private static void Allocate(CancellationToken stop)
    {
        var survivors = new object[50_000];
        var random = new Random(1);
        long n = 0;
        while (!stop.IsCancellationRequested)
        {
            for (int i = 0; i < 1_000; i++)
            {
                object o = (n++ % 7) switch
                {
                    0 => new byte[random.Next(16, 2_000)],
                    1 => new string('x', random.Next(1, 200)),
                    2 => new List<int>(random.Next(1, 64)),
                    _ => new object[random.Next(1, 16)],
                };
                if (random.Next(8) == 0)
                {
                    survivors[random.Next(survivors.Length)] = o;
                }
            }

            if (n % 200_000 == 0)
            {
                survivors[random.Next(survivors.Length)] = new byte[100_000];
            }
        }

        GC.KeepAlive(survivors);
    }

    /// <summary>Background gen2 collections over a live heap of a few hundred thousand objects (each marks for milliseconds).</summary>
    private static void BackgroundCollections(CancellationToken stop)
    {
        var live = new object[400_000];
        for (int i = 0; i < live.Length; i++)
        {
            live[i] = new object[] { new byte[8], i.ToString(CultureInfo.InvariantCulture) };
        }

        while (!stop.IsCancellationRequested)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: false, compacting: false);
            Thread.Sleep(30);
        }

        GC.KeepAlive(live);
    }

    private static void Collect(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            GC.Collect(0);
            Thread.Sleep(0);
        }
    }

    internal static long OsThreadId() => OperatingSystem.IsLinux() ? Gettid() : Environment.CurrentManagedThreadId;

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int Gettid();
}

/// <summary>
/// The measuring thread allocates one small object, then measures a window of pure arithmetic (no call, no allocation),
/// again and again, while another thread asks for background (concurrent) gen2 collections over a live heap of a few
/// hundred thousand objects. A window that spans the end of a background collection's mark phase is charged the unused
/// rest of the thread's allocation context when that collection voids it.
/// </summary>
static class Background
{
    public static int Run(double seconds, bool recordEvents, bool emptyFirst)
    {
        using RuntimeEvents? listener = recordEvents ? new RuntimeEvents() : null;
        var live = new object[400_000];
        for (int i = 0; i < live.Length; i++)
        {
            live[i] = new object[] { new byte[8], i.ToString(CultureInfo.InvariantCulture) };
        }

        const int MaxWindows = 200_000;
        var bytes = new long[MaxWindows];
        var start = new long[MaxWindows];
        var end = new long[MaxWindows];
        var gen2Before = new int[MaxWindows];
        var gen2After = new int[MaxWindows];
        var gen0Before = new int[MaxWindows];
        var gen0After = new int[MaxWindows];
        using var stop = new CancellationTokenSource();
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect(2, GCCollectionMode.Forced, blocking: false, compacting: false);
                Thread.Sleep(30);
            }
        }) { IsBackground = true };
        long measuredThread = Experiment.OsThreadId();
        listener?.Watch(measuredThread);
        collector.Start();
        object? sink = null;
        float x = 1f;
        int windows = 0;
        long deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        while (windows < MaxWindows && Stopwatch.GetTimestamp() < deadline)
        {
            sink = new byte[1]; // the only allocation: outside the window, it gives the thread an allocation context
            if (emptyFirst)
            {
                // bgc-emptied: a gen0 collection retires every thread's allocation context with its unused rest subtracted
                // from the thread's count, so the window starts with an empty context and a later voiding finds nothing.
                GC.Collect(0);
            }

            int w = windows++;
            gen0Before[w] = GC.CollectionCount(0);
            gen2Before[w] = GC.CollectionCount(2);
            start[w] = Stopwatch.GetTimestamp();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 200_000; i++)
            {
                x = x * 0.9999f + 1f;
            }

            bytes[w] = GC.GetAllocatedBytesForCurrentThread() - before;
            end[w] = Stopwatch.GetTimestamp();
            gen0After[w] = GC.CollectionCount(0);
            gen2After[w] = GC.CollectionCount(2);
        }

        stop.Cancel();
        collector.Join();
        Thread.Sleep(1_500);
        listener?.Watch(-1);
        int moved = 0;
        long movedBytes = 0;
        var sizes = new Dictionary<long, int>();
        for (int w = 0; w < windows; w++)
        {
            if (bytes[w] == 0)
            {
                continue;
            }

            moved++;
            movedBytes += bytes[w];
            sizes[bytes[w]] = sizes.GetValueOrDefault(bytes[w]) + 1;
            if (moved <= 12)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"window {w}: {bytes[w]} B; gen0 collections +{gen0After[w] - gen0Before[w]}, gen2 +{gen2After[w] - gen2Before[w]}; {(end[w] - start[w]) * 1000.0 / Stopwatch.Frequency:F3} ms"));
                if (listener is not null)
                {
                    foreach (string e in listener.Overlapping(start[w], end[w], measuredThread))
                    {
                        Console.WriteLine("    " + e);
                    }
                }
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"summary work={(emptyFirst ? "bgc-emptied" : "bgc")} events={recordEvents} latencyMode={GCSettings.LatencyMode} (Interactive: background collections on; Batch: off) windows={windows} gen2 collections={gen2After[windows - 1] - gen2Before[0]} gen0 collections={gen0After[windows - 1] - gen0Before[0]} windows moved={moved} ({movedBytes} B); sizes: {string.Join(", ", sizes.OrderByDescending(p => p.Value).Take(8).Select(p => $"{p.Key} B x{p.Value}"))} (sink {x}, {sink is null})"));
        GC.KeepAlive(live);
        return moved == 0 ? 0 : 1;
    }
}

/// <summary>
/// A method's 30th call, made after the tiering thread has gone idle: the call that reaches the call-count threshold asks for
/// the tier-1 compile, on the calling thread, and starts the tiering thread again if it has exited.
/// </summary>
static class Threshold
{
    public static int Run(int idleMs)
    {
        int sink = Fresh(1); // tier-0 compile, and the call-counting delay starts
        Thread.Sleep(idleMs); // the delay ends, call counting is installed, then the tiering thread idles (and exits after 4 s)
        var bytes = new long[60];
        var compiled = new long[60];
        for (int i = 0; i < bytes.Length; i++)
        {
            long c = JitInfo.GetCompiledMethodCount();
            long b = GC.GetAllocatedBytesForCurrentThread();
            sink += Fresh(i);
            bytes[i] = GC.GetAllocatedBytesForCurrentThread() - b;
            compiled[i] = JitInfo.GetCompiledMethodCount() - c;
        }

        int moved = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != 0)
            {
                moved++;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"call {i + 2}: {bytes[i]} B, methods compiled meanwhile +{compiled[i]}"));
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"summary threshold idle={idleMs} ms calls={bytes.Length + 1} calls that moved the count={moved} (sink {sink})"));
        return moved == 0 ? 0 : 1;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static int Fresh(int x) => x * 3 + 1;
}

/// <summary>The runtime's GC, loader and JIT events, kept with their OS thread id and time (delivered on a dispatch thread).</summary>
sealed class RuntimeEvents : EventListener
{
    private readonly ConcurrentQueue<(long Time, long Thread, string Text)> _events = new();
    private long _watched = -1;

    public void Watch(long osThread) => Interlocked.Exchange(ref _watched, osThread);

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Informational, (EventKeywords)(0x1 | 0x8 | 0x10));
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (Interlocked.Read(ref _watched) < 0)
        {
            return;
        }

        // Stopwatch ticks of the event's time: EventWrittenEventArgs.TimeStamp is a DateTime converted from the same clock.
        long time = Stopwatch.GetTimestamp() - (long)((DateTime.UtcNow - e.TimeStamp.ToUniversalTime()).TotalSeconds * Stopwatch.Frequency);
        string payload = e.PayloadNames is null || e.Payload is null
            ? string.Empty
            : string.Join(" ", e.PayloadNames.Zip(e.Payload).Where(p => p.First is "Reason" or "Depth" or "Type" or "MethodName" or "MethodNamespace" or "Count" or "OptimizationTier")
                .Select(p => $"{p.First}={p.Second}"));
        _events.Enqueue((time, e.OSThreadId, $"{e.EventName} [thread {e.OSThreadId}] {payload}"));
    }

    public IEnumerable<string> Overlapping(long start, long end, long measuredThread)
    {
        long margin = Stopwatch.Frequency / 1000; // 1 ms either side: the two clocks are converted, not identical
        foreach (var (time, thread, text) in _events)
        {
            if (time >= start - margin && time <= end + margin)
            {
                yield return string.Create(CultureInfo.InvariantCulture,
                    $"{(thread == measuredThread ? "THIS THREAD " : string.Empty)}{(time - start) * 1000.0 / Stopwatch.Frequency:F3} ms {text}");
            }
        }
    }
}

[Recurrent(1, 32, Cell = Cell.Lstm, OutputSize = 1, Window = 32)]
public partial class Lstm32;
