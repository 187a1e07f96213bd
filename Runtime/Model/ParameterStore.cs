using System;
using System.ComponentModel;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace Fixed.Engine;

/// <summary>
/// A generated model's weights: the flat vector in PyTorch layout (<c>Parameters</c>, the source of truth)
/// and the packed copy the inference kernels read (<see cref="PackedLayout{TShape}"/>). Generated models
/// own one; it is public only for that reason.
/// </summary>
/// <remarks>
/// <para>
/// Keeping the copy in step costs nothing per step: every request for the writable span
/// (<see cref="Writable"/>, which is what <c>model.Parameters</c>, <c>Load</c>, the optimizers and the
/// checkpoint code all go through) bumps a version, and the next inference call that finds the copy out of
/// date repacks it once (a transpose of the weights, about as costly as one step) before it starts.
/// So a write is seen by the next call exactly when it was made through a span obtained after the previous
/// inference call: <c>model.Parameters[i] = v</c>, <c>model.Parameters.CopyTo(...)</c> /
/// <c>source.CopyTo(model.Parameters)</c>, <c>Load</c>, an optimizer's <c>Step</c>.
/// </para>
/// <para>
/// The one pattern it cannot see is a span kept in a local across an inference call and written after it.
/// Debug builds of the calling project catch that pattern, and writes racing with inference on another
/// thread, at the next call (<see cref="BeginChecked"/>), with an <see cref="InvalidOperationException"/>.
/// </para>
/// <para>
/// Thread safety: many threads may infer at once. The first call after a write repacks under a lock (the others wait
/// for it), and the version is published only after the copy is complete.
/// </para>
/// </remarks>
/// <typeparam name="TShape">The generated shape of the network.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ParameterStore<TShape>
    where TShape : struct, INetworkShape
{
    // The flat weights: this store's own array, or, for one recurrent layer of a layer stack, a slice of the stack's array
    // (the stack's Parameters covers every layer, and tells each layer's store when it is written: MarkWritten).
    private readonly float[] _values;
    private readonly int _valuesOffset;
    // The packed copy, from a 64-byte boundary (AlignedBuffer). For a WeightPrecision.BFloat16 model it also holds the
    // bfloat16 copy after the fp32 one (ReducedLayout).
    private readonly AlignedBuffer _packed = new(ReducedLayout<TShape>.StoredLength);
    // A WeightPrecision.BFloat16 model's parameters with the weight matrices rounded (what it computes with); null for fp32.
    private readonly float[]? _rounded = ReducedLayout<TShape>.Enabled ? new float[Shape<TShape>.ParameterCount] : null;
    private int _version;
    private int _packedVersion = -1;
    private int _checkedCalls;
    private readonly Lock _repackLock = new();

    // Debug builds' stale-span check (BeginChecked). The first checked call allocates a copy of the flat weights as they
    // were packed; every repack refreshes it (a memory copy, next to the transpose a repack already is). The first checked
    // call after a pack compares all of it, bit for bit; later calls compare one slice of DebugCheckSlice floats each, in
    // turn, so a check costs O(1) per call and a late write through a stale span is still found within
    // ceil(ParameterCount / DebugCheckSlice) calls. Release builds never call BeginChecked: _debugSnapshot stays null and
    // a repack pays one null test.
    private float[]? _debugSnapshot;
    private int _snapshotVersion = -1;
    private int _verifiedVersion = -1;
    private int _checkCursor;

    /// <summary>
    /// The model's <see cref="CrossEntropyOptions"/> (the generated property of that name), read by every loss the engine
    /// computes for it; null is plain <c>nn.CrossEntropyLoss()</c>. A reference set once: reading it costs nothing per step.
    /// </summary>
    public CrossEntropyOptions? CrossEntropy { get; set; }

    private ulong _dropoutSeed;
    private ulong _dropoutCalls;

    /// <summary>
    /// The seed of the dropout masks (the generated <c>DropoutSeed</c> property of a model with <c>Dropout</c> above 0); 0 until
    /// set. Setting it, even to the value it has, restarts the stream: the n-th Backward call after it draws the same masks
    /// as the n-th call after any other setting of the same seed.
    /// </summary>
    public ulong DropoutSeed
    {
        get => _dropoutSeed;
        set
        {
            _dropoutSeed = value;
            _dropoutCalls = 0;
        }
    }

    /// <summary>The masks of the next Backward call (<see cref="DropoutMask"/>): each call takes the next in the seed's stream.</summary>
    internal DropoutMask NextDropout() => DropoutMask.For(_dropoutSeed, _dropoutCalls++, TShape.Dropout);

    /// <summary>
    /// Creates the store: zero weights (from a 64-byte boundary, <see cref="AlignedBuffer"/>: the optimizers and the repack
    /// stream through them with vector loads), and a packed copy that the first inference call fills.
    /// </summary>
    public ParameterStore()
        : this(new AlignedBuffer(Shape<TShape>.ParameterCount))
    {
    }

    private ParameterStore(AlignedBuffer values)
        : this(values.Array, values.Offset)
    {
    }

    /// <summary>
    /// Creates a store over <c>ParameterCount</c> floats of <paramref name="values"/> from <paramref name="offset"/>: one
    /// recurrent layer of a layer stack, whose flat vector holds every layer. The stack calls <see cref="MarkWritten"/>
    /// whenever it hands out the whole vector for writing.
    /// </summary>
    public ParameterStore(float[] values, int offset)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, values.Length - Shape<TShape>.ParameterCount);
        _values = values;
        _valuesOffset = offset;
    }

    private Span<float> PackedSpan => _packed.Span;

    /// <summary>The weights for writing: marks the packed copy stale, so the next inference call repacks.</summary>
    public Span<float> Writable
    {
        get
        {
            if (Volatile.Read(ref _checkedCalls) != 0)
            {
                ThrowWriteDuringInference();
            }

            Interlocked.Increment(ref _version);
            return ValueSpan;
        }
    }

    /// <summary>
    /// Marks the packed copy stale without handing out the span: the layer stack that owns the array calls it for each of
    /// its recurrent layers whenever its own <c>Parameters</c> is requested (with the same Debug-build check as <see cref="Writable"/>).
    /// </summary>
    public void MarkWritten()
    {
        if (Volatile.Read(ref _checkedCalls) != 0)
        {
            ThrowWriteDuringInference();
        }

        Interlocked.Increment(ref _version);
    }

    /// <summary>
    /// The first of <see cref="Values"/>, for the straight-line step: the same floats without building a span (the range
    /// check and the span conversion were the last calls left in its listing). The constructor checked the bounds.
    /// </summary>
    internal ref float ValuesReference
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_values), _valuesOffset);
    }

    /// <summary>The first float of <see cref="Packed"/> (brought up to date the same way), without a span, as <see cref="ValuesReference"/>.</summary>
    internal ref float PackedReference
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            int version = Volatile.Read(ref _version);
            if (version != Volatile.Read(ref _packedVersion))
            {
                Repack();
            }

            return ref MemoryMarshal.GetReference(_packed.Span);
        }
    }

    /// <summary>The weights for reading (Save, Backward's gradient formulas): does not mark the copy stale.</summary>
    public ReadOnlySpan<float> Values => ValueSpan;

    private Span<float> ValueSpan
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _values.AsSpan(_valuesOffset, Shape<TShape>.ParameterCount);
    }

    /// <summary>
    /// The weights the model computes with, for Backward's gradient formulas: <see cref="Values"/>, or for a
    /// <c>WeightPrecision.BFloat16</c> model the same with its weight matrices rounded to bfloat16, brought up to date first
    /// like <see cref="Packed"/>. So the gradients are those of the function the model computes (the rounded network), taken
    /// with respect to its weights, and an optimizer applies them to the fp32 <c>Parameters</c>.
    /// </summary>
    internal ReadOnlySpan<float> ComputeValues
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (_rounded is null)
            {
                return ValueSpan;
            }

            _ = Packed;
            return _rounded;
        }
    }

    /// <summary>The packed copy, brought up to date first if anything asked for <see cref="Writable"/> since the last pack.</summary>
    internal ReadOnlySpan<float> Packed
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            int version = Volatile.Read(ref _version);
            if (version != Volatile.Read(ref _packedVersion))
            {
                Repack();
            }

            return PackedSpan;
        }
    }

    /// <summary>
    /// Rebuilds the packed copy, one thread at a time: <see cref="PackedLayout{TShape}.Pack"/> clears the buffer before
    /// writing it, so a second thread repacking while the first had already published the copy and started computing
    /// would zero weights under it (ParameterStoreRepackRaceTests caught exactly that). The thread that gets the lock
    /// second finds the copy current and leaves it alone. Only the first call after a write gets here.
    /// </summary>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    private void Repack()
    {
        lock (_repackLock)
        {
            int version = Volatile.Read(ref _version);
            if (version != Volatile.Read(ref _packedVersion))
            {
                if (_rounded is null)
                {
                    PackedLayout<TShape>.Pack(ValueSpan, PackedSpan);
                }
                else
                {
                    ValueSpan.CopyTo(_rounded);
                    ReducedLayout<TShape>.RoundMatrices(_rounded);
                    PackedLayout<TShape>.Pack(_rounded, PackedSpan);
                    ReducedLayout<TShape>.Pack(PackedSpan);
                }

                if (_debugSnapshot is { } snapshot)
                {
                    ValueSpan.CopyTo(snapshot);
                    Volatile.Write(ref _snapshotVersion, version);
                }

                Volatile.Write(ref _packedVersion, version);
            }
        }
    }

    /// <summary>
    /// Debug builds only (generated code calls it under <c>#if DEBUG</c>): verifies that <c>Parameters</c> still holds what
    /// was packed, i.e. that nothing wrote through a span kept across an inference call, and counts the call as running
    /// until the returned scope is disposed, so that a request for the writable span on another thread meanwhile throws
    /// instead of tearing the weights under the running call.
    /// </summary>
    /// <remarks>
    /// Cost per call: O(1). The first checked call after each pack compares every weight (with a vectorised comparison of
    /// the flat copy taken when packing); each later call compares the next <see cref="DebugCheckSlice"/> floats, in turn.
    /// So a write through a stale span made just before a call is caught by that call when the weights were packed since
    /// the previous one (the usual case: a span taken, a call, a write), and otherwise within
    /// <c>ceil(ParameterCount / DebugCheckSlice)</c> calls.
    /// </remarks>
    public CheckedCall BeginChecked()
    {
        int version = Volatile.Read(ref _version);
        if (version == Volatile.Read(ref _packedVersion))
        {
            VerifyUnchangedSincePack(version);
        }
        else if (_debugSnapshot is null)
        {
            // The call about to run repacks; from now on every repack also refreshes the snapshot.
            Interlocked.CompareExchange(ref _debugSnapshot, new float[Shape<TShape>.ParameterCount], null);
        }

        Interlocked.Increment(ref _checkedCalls);
        return new CheckedCall(this, version);
    }

    /// <summary>How many floats a Debug build's check compares per call once the first call after a pack has compared them all.</summary>
    internal const int DebugCheckSlice = 256;

    private void VerifyUnchangedSincePack(int version)
    {
        float[]? snapshot = _debugSnapshot;
        if (snapshot is null || Volatile.Read(ref _snapshotVersion) != version)
        {
            // Packed before any checked call (no snapshot yet): compare against the packed copy itself, once, then snapshot.
            if (!PackedLayout<TShape>.Matches(ValueSpan, PackedSpan))
            {
                ThrowStaleSpan();
            }

            lock (_repackLock)
            {
                if (Volatile.Read(ref _packedVersion) == version)
                {
                    snapshot = _debugSnapshot ??= new float[Shape<TShape>.ParameterCount];
                    ValueSpan.CopyTo(snapshot);
                    Volatile.Write(ref _snapshotVersion, version);
                    Volatile.Write(ref _verifiedVersion, version);
                }
            }

            return;
        }

        ReadOnlySpan<int> now = MemoryMarshal.Cast<float, int>(ValueSpan);
        ReadOnlySpan<int> packed = MemoryMarshal.Cast<float, int>(snapshot.AsSpan());
        if (Volatile.Read(ref _verifiedVersion) != version)
        {
            if (!now.SequenceEqual(packed))
            {
                ThrowStaleSpan();
            }

            Volatile.Write(ref _verifiedVersion, version);
            return;
        }

        // Threads may race on the cursor: each still compares a slice within bounds, and the turn goes on.
        int start = _checkCursor;
        if ((uint)start >= (uint)now.Length)
        {
            start = 0;
        }

        int length = Math.Min(DebugCheckSlice, now.Length - start);
        _checkCursor = start + length;
        if (!now.Slice(start, length).SequenceEqual(packed.Slice(start, length)))
        {
            ThrowStaleSpan();
        }
    }

    private static void ThrowStaleSpan() =>
        throw new InvalidOperationException(
            "Parameters changed without the model being told: something wrote through a Span<float> obtained from " +
            "model.Parameters before an earlier Step/Forward/WarmUp/Backward call, so the packed copy the kernels read is stale. " +
            "Read model.Parameters again after each inference call before writing through it (this check runs in Debug builds only).");

    private void EndChecked() => Interlocked.Decrement(ref _checkedCalls);

    private void CompleteChecked(int version)
    {
        if (Volatile.Read(ref _version) != version)
        {
            throw new InvalidOperationException(
                "Parameters was requested for writing on another thread while this inference call ran: its result may mix old and new weights. " +
                "Stop inference (or give each thread its own model) while training or loading (this check runs in Debug builds only).");
        }
    }

    private void ThrowWriteDuringInference() =>
        throw new InvalidOperationException(string.Format(
            CultureInfo.InvariantCulture,
            "model.Parameters was requested for writing while {0} inference call(s) were running on other threads: the running calls would read torn weights. " +
            "Stop inference (or give each thread its own model) while training or loading (this check runs in Debug builds only).",
            Volatile.Read(ref _checkedCalls)));

    /// <summary>
    /// The scope of one checked inference call; see <see cref="BeginChecked"/>. The generated code calls
    /// <see cref="Complete"/> after the call returns normally and disposes the scope in any case, so an exception from the
    /// call itself is never replaced by one from the check.
    /// </summary>
    public readonly struct CheckedCall : IDisposable
    {
        private readonly ParameterStore<TShape> _store;
        private readonly int _version;

        internal CheckedCall(ParameterStore<TShape> store, int version)
        {
            _store = store;
            _version = version;
        }

        /// <summary>Throws if the weights were requested for writing while the call ran.</summary>
        public void Complete() => _store?.CompleteChecked(_version);

        /// <summary>Ends the call.</summary>
        public void Dispose() => _store?.EndChecked();
    }
}
