using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace Fixed.Tests.Support;

/// <summary>
/// A diagnostic for the allocation tests, off unless <c>FIXED_ALLOC_TRACE=1</c>: records what the runtime reports happening
/// on one thread (object allocations, JIT compilations, type and assembly loads, GCs) while that thread is being measured.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/> says how many bytes a call allocated, never what. The runtime's own
/// event source (<c>Microsoft-Windows-DotNETRuntime</c>) says what: its <c>GCSampledObjectAllocationHigh</c> keyword
/// (0x200000) reports allocated objects with their type, its JIT, loader and type-load keywords report compilations and
/// loads with names. Object allocation events are only raised when the process was started with them switched on (the
/// runtime picks its allocation helpers at start-up), so a traced run also sets, for the test process:
/// <c>DOTNET_EnableEventPipe=1</c>, <c>DOTNET_EventPipeConfig=Microsoft-Windows-DotNETRuntime:0x200000:5</c> and an
/// output path (<c>scripts/reliability/alloc-trace.sh</c> does).
/// </para>
/// <para>
/// Events reach an <see cref="EventListener"/> on a dispatch thread, not on the thread that raised them, so they are kept
/// by their <see cref="EventWrittenEventArgs.OSThreadId"/>; the listener allocates on its own thread, never on the watched
/// one.
/// </para>
/// </remarks>
public sealed class AllocationTrace : EventListener
{
    /// <summary>GC (0x1), Loader (0x8), Jit (0x10), GCSampledObjectAllocationHigh (0x200000), TypeDiagnostic (0x8000000000).</summary>
    private const EventKeywords Keywords = (EventKeywords)(0x1 | 0x8 | 0x10 | 0x200000 | 0x8000000000);

    private readonly ConcurrentQueue<string> _events = new();
    private long _watchedThread = -1;
    private long _watchedSince = long.MaxValue;
    private long _dropped;

    /// <summary>Whether traced runs were asked for (<c>FIXED_ALLOC_TRACE=1</c>).</summary>
    public static bool Requested => Environment.GetEnvironmentVariable("FIXED_ALLOC_TRACE") == "1";

    /// <summary>Events recorded on the watched thread while it was watched, oldest first.</summary>
    public IReadOnlyCollection<string> Events => _events;

    /// <summary>Starts recording the events of the calling thread.</summary>
    public void WatchCurrentThread()
    {
        // Events are delivered late, so those raised before now (this listener's own creation among them) are told apart by time.
        Interlocked.Exchange(ref _watchedSince, DateTime.UtcNow.Ticks);
        Interlocked.Exchange(ref _watchedThread, CurrentOsThreadId());
    }

    /// <summary>Stops recording, after giving the dispatch thread time to deliver what was raised before.</summary>
    public void StopWatching()
    {
        Thread.Sleep(1_000);
        Interlocked.Exchange(ref _watchedThread, -1);
    }

    /// <summary>Appends the recorded events to <c>FIXED_ALLOC_TRACE_FILE</c> (default /tmp/fixed-alloc-trace.log).</summary>
    public string Save(string heading)
    {
        string path = Environment.GetEnvironmentVariable("FIXED_ALLOC_TRACE_FILE") ?? Path.Combine(Path.GetTempPath(), "fixed-alloc-trace.log");
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"=== {DateTime.UtcNow:O} {heading}: {_events.Count} events on the watched thread ({Interlocked.Read(ref _dropped)} dropped)");
        foreach (string line in _events)
        {
            text.AppendLine(line);
        }

        File.AppendAllText(path, text.ToString());
        return path;
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, Keywords);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        long watched = Interlocked.Read(ref _watchedThread);
        if (watched < 0 || e.OSThreadId != watched || e.TimeStamp.ToUniversalTime().Ticks < Interlocked.Read(ref _watchedSince))
        {
            return;
        }

        if (_events.Count >= 10_000)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        _events.Enqueue($"{e.TimeStamp:HH:mm:ss.ffffff} {e.EventName} {Describe(e)}");
    }

    private static string Describe(EventWrittenEventArgs e)
    {
        if (e.PayloadNames is null || e.Payload is null)
        {
            return string.Empty;
        }

        var parts = new List<string>();
        for (int i = 0; i < e.PayloadNames.Count; i++)
        {
            string name = e.PayloadNames[i];
            object? value = e.Payload[i];
            if (name == "TypeID" && value is IntPtr or ulong or long)
            {
                parts.Add("Type=" + TypeName(value));
            }
            else if (name is not ("ClrInstanceID" or "Address" or "MethodID" or "ModuleID" or "ReJITID" or "MethodToken"))
            {
                parts.Add(name + "=" + Convert.ToString(value, CultureInfo.InvariantCulture));
            }
        }

        return string.Join(" ", parts);
    }

    private static string TypeName(object handle)
    {
        try
        {
            IntPtr pointer = handle switch
            {
                IntPtr p => p,
                ulong u => (IntPtr)(long)u,
                _ => (IntPtr)(long)handle,
            };
            return Type.GetTypeFromHandle(RuntimeTypeHandle.FromIntPtr(pointer))?.FullName ?? "?";
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return "?";
        }
    }

    /// <summary>The OS thread id, which <see cref="EventWrittenEventArgs.OSThreadId"/> reports (Linux: gettid).</summary>
    private static long CurrentOsThreadId() => OperatingSystem.IsLinux() ? Gettid() : Environment.CurrentManagedThreadId;

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int Gettid();
}
