using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Fixed.Engine;

/// <summary>Backpropagation through time over a tape the model owns (sized by Window at compile time).</summary>
public static partial class RecurrentEngine<TShape>
{
    private static int TapeStride
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.TapeStride;
    }

    private static int TopOffset
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.LayerTapeOffset(L);
    }

    private static int OutputOffset
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TopOffset + H;
    }

    /// <summary>
    /// Single-sequence truncated BPTT: runs <paramref name="inputs"/> from <paramref name="state"/> (a constant),
    /// adds dLoss/dParameters into <paramref name="gradients"/>, leaves the state at the sequence end and
    /// returns the loss. Every length is checked before anything is written.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static float Backward(ParameterStore<TShape> parameters, Span<float> gradients, Span<float> state,
        ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, Loss loss, LossOn on, int warmUp,
        Span<float> tape, Span<float> work)
    {
        CheckState(state);
        int steps = TrainingSupport.CheckSingle(I, O, TShape.Window, inputs, targets, loss, on, warmUp);
        int width = LossFunctions.TargetWidth(loss, O);
        double divisor = TrainingSupport.LossDivisor(loss, parameters.CrossEntropy, on, steps, warmUp, O, batchSize: 1, targets);
        DropoutMask dropout = NextDropout(parameters);
        double sum = Sequence(parameters, gradients, state, inputs, 0, I, steps, targets, 0, width,
            loss, on, warmUp, LossFunctions.Scale(divisor), tape, work, default, dropout, 0);
        return (float)(sum / divisor);
    }

    /// <summary>
    /// Batched BPTT: <paramref name="batchSize"/> independent sequences from the zero state, the loss reduced by
    /// the mean over every element of the batch as PyTorch's losses do, gradients added into <paramref name="gradients"/>.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static float Backward(ParameterStore<TShape> parameters, Span<float> gradients,
        ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize, Loss loss, LossOn on, int warmUp,
        SequenceLayout layout, Span<float> tape, Span<float> work) =>
        Backward(parameters, gradients, inputs, targets, batchSize, loss, on, warmUp, layout, tape, work, default, default);

    /// <summary>
    /// Batched BPTT from a learned initial state (<c>LearnInitialState = true</c>): every sequence starts from
    /// <paramref name="initial"/> (<see cref="InitialState"/>'s layout: h0 <c>[NumLayers, HiddenSize]</c>, then c0 for the
    /// LSTM), and dLoss/d(initial) is added into <paramref name="initialGradients"/> (same layout), summed over the batch as
    /// PyTorch's <c>h0.expand(...)</c> sums it. With <paramref name="warmUp"/> &gt; 0 no gradient reaches the initial state
    /// (the warm-up steps carry none), so nothing is added. Empty spans: the zero state, as the overload without them.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static float Backward(ParameterStore<TShape> parameters, Span<float> gradients,
        ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize, Loss loss, LossOn on, int warmUp,
        SequenceLayout layout, Span<float> tape, Span<float> work, ReadOnlySpan<float> initial, Span<float> initialGradients)
    {
        CheckInitial(initial, initialGradients);
        int steps = TrainingSupport.CheckBatched(I, O, TShape.Window, inputs, targets, batchSize, loss, on, warmUp, layout);
        int width = LossFunctions.TargetWidth(loss, O);
        double divisor = TrainingSupport.LossDivisor(loss, parameters.CrossEntropy, on, steps, warmUp, O, batchSize, targets);
        float scale = LossFunctions.Scale(divisor);
        DropoutMask dropout = NextDropout(parameters);
        double sum = 0;
        int group = Math.Min(BatchGroup, tape.Length / ((steps - warmUp) * TapeStride));
        if (batchSize > 1 && group > 1)
        {
            ReadOnlySpan<float> packed = parameters.Packed;
            for (int first = 0; first < batchSize; first += group)
            {
                Group(ref sum, packed, parameters.Values, gradients, inputs, targets, first, Math.Min(group, batchSize - first), batchSize, steps, warmUp,
                    loss, on, layout, scale, parameters.CrossEntropy, tape, work, initial, initialGradients, dropout);
            }

            return (float)(sum / divisor);
        }

        Span<float> state = stackalloc float[StateLength];
        for (int b = 0; b < batchSize; b++)
        {
            InitialState(initial, state);
            (int inputStart, int inputStride, int targetStart, int targetStride) = TrainingSupport.BatchItem(b, batchSize, steps, warmUp, I, width, on, layout);
            sum += Sequence(parameters, gradients, state, inputs, inputStart, inputStride, steps,
                targets, targetStart, targetStride, loss, on, warmUp, scale, tape, work, initialGradients, dropout, b);
        }

        return (float)(sum / divisor);
    }

    /// <summary>
    /// The masks of a Backward call whose arguments have passed every check: the next in the model's dropout stream, or none
    /// for a shape without dropout (whose stream is then left as it is). A layer stack draws them for each of its recurrent
    /// layers with dropout, and passes them to <see cref="Record(ParameterStore{TShape}, Span{float}, ReadOnlySpan{float}, Span{float}, Span{float}, DropoutMask, int)"/>
    /// and <see cref="Sweep(ParameterStore{TShape}, Span{float}, Span{float}, ReadOnlySpan{float}, Span{float}, Span{float}, DropoutMask, int)"/>.
    /// </summary>
    public static DropoutMask NextDropout(ParameterStore<TShape> parameters) =>
        Shape<TShape>.HasDropout ? parameters.NextDropout() : default;

    /// <summary>
    /// Forward with recording, loss, then the backward sweep for one sequence (number <paramref name="sequence"/> of its
    /// batch, for the dropout masks). Returns the summed loss.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static double Sequence(ParameterStore<TShape> parameters, Span<float> gradients, Span<float> state,
        ReadOnlySpan<float> inputs, int inputStart, int inputStride, int steps,
        ReadOnlySpan<float> targets, int targetStart, int targetStride,
        Loss loss, LossOn on, int warmUp, float scale, Span<float> tape, Span<float> work, Span<float> initialGradients,
        DropoutMask dropout, int sequence)
    {
        Span<float> scratch = CacheLineAlignment.Aligned(stackalloc float[ScratchLength + CacheLineAlignment.SlackFloats]);
        ReadOnlySpan<float> packed = parameters.Packed;
        ReadOnlySpan<float> values = parameters.ComputeValues;
        // Converted here, before the inlined steps spend the JIT's inlining budget (at the end, it stayed a call).
        ReadOnlySpan<float> carries = work;
        for (int t = 0; t < warmUp; t++)
        {
            AdvanceLayers(packed, state, inputs.Slice(inputStart + t * inputStride, I), scratch);
        }

        int recorded = steps - warmUp;
        int width = LossFunctions.TargetWidth(loss, O);
        for (int s = 0; s < recorded; s++)
        {
            RecordStep(packed, values, state, inputs.Slice(inputStart + (warmUp + s) * inputStride, I), tape.Slice(s * TapeStride, TapeStride), scratch,
                dropout, sequence, s, head: false);
        }

        double sum = HeadsAndLosses(values, tape, recorded, targets, targetStart, targetStride, width, loss, parameters.CrossEntropy, on, scale);
        Sweep(values, packed, gradients, tape, recorded, work, default, dropout, sequence);
        if (warmUp == 0)
        {
            AddInitialStateGradients(carries, initialGradients);
        }

        return sum;
    }

    /// <summary>
    /// The head and the loss of each recorded step, which the recurrence does not wait for, in a pass of their own after it:
    /// the output into the step's record (cleared where no loss is taken), the summed loss returned. A method of its own so
    /// that the JIT inlines its helpers: inside <see cref="Sequence"/>, after the recording loop, its inlining budget was
    /// spent and every step of this loop called the tape's offsets, the slices and the loss.
    /// </summary>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    private static double HeadsAndLosses(ReadOnlySpan<float> values, Span<float> tape, int recorded, ReadOnlySpan<float> targets, int targetStart,
        int targetStride, int width, Loss loss, CrossEntropyOptions? crossEntropy, LossOn on, float scale)
    {
        if (Shape<TShape>.HasHead && O == 1 && loss == Loss.Mse && on == LossOn.AllSteps)
        {
            return OneOutputSquaredErrors(values, tape, recorded, targets, targetStart, targetStride, scale);
        }

        double sum = 0;
        for (int s = 0; s < recorded; s++)
        {
            Span<float> record = tape.Slice(s * TapeStride, TapeStride);
            Head(values, record.Slice(TopOffset, H), record.Slice(OutputOffset, O));
            Span<float> output = record.Slice(OutputOffset, O);
            if (on == LossOn.AllSteps)
            {
                sum += LossFunctions.Apply(loss, crossEntropy, output, targets.Slice(targetStart + s * targetStride, width), scale);
            }
            else if (s == recorded - 1)
            {
                sum += LossFunctions.Apply(loss, crossEntropy, output, targets.Slice(targetStart, width), scale);
            }
            else
            {
                output.Clear();
            }
        }

        return sum;
    }

    /// <summary>
    /// <see cref="HeadsAndLosses"/> for the commonest regression, one output and the squared error at every step: the same
    /// operations per step (the head's <see cref="VectorMath.Dot(ref float, ref float, int)"/> plus its bias, then
    /// <see cref="LossFunctions"/>' squared error and its gradient), so the same bits, without the general path's slices,
    /// row loop and loss dispatch. Those made a step's few arithmetic operations ~60 instructions: 5 % of a batched GRU 1→32
    /// Backward on a Zen 5 core. Inlined into <see cref="HeadsAndLosses"/>, which is compiled optimized at its first call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static double OneOutputSquaredErrors(ReadOnlySpan<float> values, Span<float> tape, int recorded, ReadOnlySpan<float> targets,
        int targetStart, int targetStride, float scale)
    {
        int stride = TapeStride;
        _ = tape.Slice(0, recorded * stride);
        _ = targets.Slice(targetStart, ((recorded - 1) * targetStride) + 1);
        ref float weights = ref MemoryMarshal.GetReference(values.Slice(Shape<TShape>.HeadOffset, H + 1));
        float bias = Unsafe.Add(ref weights, H);
        ref float record = ref MemoryMarshal.GetReference(tape);
        ref float target = ref Unsafe.Add(ref MemoryMarshal.GetReference(targets), targetStart);
        double sum = 0;
        for (int s = 0; s < recorded; s++)
        {
            ref float step = ref Unsafe.Add(ref record, s * stride);
            float output = VectorMath.Dot(ref weights, ref Unsafe.Add(ref step, TopOffset), H) + bias;
            sum += LossFunctions.SquaredError(output, Unsafe.Add(ref target, s * targetStride), scale, out Unsafe.Add(ref step, OutputOffset));
        }

        return sum;
    }

    /// <summary>
    /// Fills <paramref name="state"/> (this shape's state layout: per layer h, then c for the LSTM) from a learned initial
    /// state <paramref name="initial"/> laid out as its tensors are: h0 <c>[NumLayers, HiddenSize]</c>, then c0
    /// <c>[NumLayers, HiddenSize]</c> for the LSTM (<see cref="StateLength"/> floats in all). Empty: the zero state.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void InitialState(ReadOnlySpan<float> initial, Span<float> state)
    {
        CheckState(state);
        if (initial.IsEmpty)
        {
            state.Clear();
            return;
        }

        CheckInitial(initial, default);
        for (int layer = 0; layer < L; layer++)
        {
            initial.Slice(layer * H, H).CopyTo(state.Slice(layer * StatePerLayer, H));
            if (TShape.Cell == Cell.Lstm)
            {
                initial.Slice((L + layer) * H, H).CopyTo(state.Slice(layer * StatePerLayer + H, H));
            }
        }
    }

    /// <summary>
    /// After a sweep, the carries in <paramref name="work"/> hold dLoss/dh (then dLoss/dc) of the state before the first
    /// recorded step, per layer: h0's (and c0's) layout exactly. Adds them into <paramref name="initialGradients"/>
    /// unless it is empty. A layer stack calls it after a recurrent layer's <see cref="Sweep(ParameterStore{TShape}, Span{float}, Span{float}, ReadOnlySpan{float}, Span{float}, Span{float})"/>.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void AddInitialStateGradients(ReadOnlySpan<float> work, Span<float> initialGradients)
    {
        if (!initialGradients.IsEmpty)
        {
            CheckInitial(default, initialGradients);
            VectorMath.Add(work.Slice(0, StateLength), initialGradients);
        }
    }

    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void CheckInitial(ReadOnlySpan<float> initial, Span<float> initialGradients)
    {
        if (!initial.IsEmpty && initial.Length != StateLength)
        {
            throw new ArgumentException($"expected {StateLength} floats (h0{(TShape.Cell == Cell.Lstm ? " and c0" : string.Empty)}, [{L}, {H}] each), got {initial.Length}.", nameof(initial));
        }

        if (!initialGradients.IsEmpty && initialGradients.Length != StateLength)
        {
            throw new ArgumentException($"expected {StateLength} floats (h0{(TShape.Cell == Cell.Lstm ? " and c0" : string.Empty)}, [{L}, {H}] each), got {initialGradients.Length}.", nameof(initialGradients));
        }
    }

    /// <summary>
    /// Training inside a layer stack, forward half: runs <paramref name="inputs"/> (<c>[n, InputSize]</c>) from
    /// <paramref name="state"/>, recording each step on <paramref name="tape"/>, writes the top layer's h per step to
    /// <paramref name="outputs"/> (<c>[n, HiddenSize]</c>) and leaves the state at the end. The generated stack checks
    /// every length before it calls; a stack's recurrent layer has no head.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Record(ParameterStore<TShape> parameters, Span<float> state, ReadOnlySpan<float> inputs, Span<float> outputs, Span<float> tape) =>
        Record(parameters, state, inputs, outputs, tape, default, 0);

    /// <summary>
    /// <see cref="Record(ParameterStore{TShape}, Span{float}, ReadOnlySpan{float}, Span{float}, Span{float})"/> for a layer with
    /// dropout: the masks of <paramref name="dropout"/> (<see cref="NextDropout"/>) for sequence <paramref name="sequence"/> of
    /// the batch; <see cref="Sweep(ParameterStore{TShape}, Span{float}, Span{float}, ReadOnlySpan{float}, Span{float}, Span{float}, DropoutMask, int)"/>
    /// needs the same two.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Record(ParameterStore<TShape> parameters, Span<float> state, ReadOnlySpan<float> inputs, Span<float> outputs, Span<float> tape,
        DropoutMask dropout, int sequence)
    {
        int steps = inputs.Length / I;
        Span<float> scratch = CacheLineAlignment.Aligned(stackalloc float[ScratchLength + CacheLineAlignment.SlackFloats]);
        ReadOnlySpan<float> packed = parameters.Packed;
        ReadOnlySpan<float> values = parameters.ComputeValues;
        for (int s = 0; s < steps; s++)
        {
            Span<float> record = tape.Slice(s * TapeStride, TapeStride);
            RecordStep(packed, values, state, inputs.Slice(s * I, I), record, scratch, dropout, sequence, s, head: true);
            record.Slice(OutputOffset, O).CopyTo(outputs.Slice(s * O, O));
        }
    }

    /// <summary>
    /// Training inside a layer stack, backward half: given dLoss/dOutput per recorded step (<c>[n, HiddenSize]</c>),
    /// adds this layer's gradients into <paramref name="gradients"/> (its own slice of the stack's) and, unless
    /// <paramref name="dInputs"/> is empty (the bottom layer), writes dLoss/dInput per step (<c>[n, InputSize]</c>).
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Sweep(ParameterStore<TShape> parameters, Span<float> gradients, Span<float> tape, ReadOnlySpan<float> dOutputs,
        Span<float> dInputs, Span<float> work) =>
        Sweep(parameters, gradients, tape, dOutputs, dInputs, work, default, 0);

    /// <summary>The backward half for a layer with dropout: the masks the forward half recorded with.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Sweep(ParameterStore<TShape> parameters, Span<float> gradients, Span<float> tape, ReadOnlySpan<float> dOutputs,
        Span<float> dInputs, Span<float> work, DropoutMask dropout, int sequence)
    {
        int steps = dOutputs.Length / O;
        for (int s = 0; s < steps; s++)
        {
            dOutputs.Slice(s * O, O).CopyTo(tape.Slice(s * TapeStride + OutputOffset, O));
        }

        Sweep(parameters.ComputeValues, parameters.Packed, gradients, tape, steps, work, dInputs, dropout, sequence);
    }

    /// <summary>
    /// One forward step that records what the backward sweep needs; leaves the output in the tape. With dropout, each layer's
    /// new h reaches the layer above through <paramref name="dropout"/>'s mask of (<paramref name="sequence"/>,
    /// <paramref name="step"/>, boundary), written straight into the upper layer's recorded input, which it then reads.
    /// </summary>
    private static void RecordStep(ReadOnlySpan<float> packed, ReadOnlySpan<float> values, Span<float> state, ReadOnlySpan<float> input,
        Span<float> record, Span<float> scratch, DropoutMask dropout, int sequence, int step, bool head)
    {
        if (RecordsStraight)
        {
            RecordStraightStep(packed, values, state, input, record, head);
        }
        else
        {
            RecordLayers(packed, values, state, input, record, scratch, dropout, sequence, step, head);
        }
    }

    /// <summary>
    /// <see cref="RecordStep"/> layer by layer through <see cref="CellStep"/>: every shape can take it (internal: the tests
    /// hold <see cref="RecordStraightStep"/> to it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    internal static void RecordLayers(ReadOnlySpan<float> packed, ReadOnlySpan<float> values, Span<float> state, ReadOnlySpan<float> input,
        Span<float> record, Span<float> scratch, DropoutMask dropout, int sequence, int step, bool head)
    {
        bool backward = HiddenSweepAlternates && SweepParity.Next();
        for (int layer = 0; layer < L; layer++)
        {
            int slot = Shape<TShape>.LayerInputSlot(layer);
            Span<float> layerTape = record.Slice(Shape<TShape>.LayerTapeOffset(layer), Shape<TShape>.LayerTape(layer));
            Span<float> layerState = state.Slice(layer * StatePerLayer, StatePerLayer);
            // Lengths the JIT knows (input is I or H floats): an input of one feature is one move, not a call to Memmove.
            if (layer == 0)
            {
                input.Slice(0, I).CopyTo(layerTape);
            }
            else
            {
                input.Slice(0, H).CopyTo(layerTape);
            }

            layerState.CopyTo(layerTape.Slice(slot));
            CellStep(packed, layer, input, layerState, scratch, backward);
            Span<float> gates = layerTape.Slice(slot + StatePerLayer, GH);
            for (int gate = 0; gate < Shape<TShape>.Gates; gate++)
            {
                scratch.Slice(GateOffset(gate), H).CopyTo(gates.Slice(gate * H, H));
            }

            if (TShape.Cell != Cell.Rnn)
            {
                scratch.Slice(ExtraOffset, H).CopyTo(layerTape.Slice(slot + StatePerLayer + GH));
            }

            input = layerState.Slice(0, H);
            if (Shape<TShape>.HasDropout && layer < L - 1)
            {
                Span<float> above = record.Slice(Shape<TShape>.LayerTapeOffset(layer + 1), H);
                dropout.Apply(sequence, step, layer, L - 1, input, above);
                input = above;
            }
        }

        input.CopyTo(record.Slice(TopOffset, H));
        if (head)
        {
            Head(values, input, record.Slice(OutputOffset, O));
        }
    }

    /// <summary>
    /// Whether <see cref="RecordStep"/> runs the straight step (<see cref="IsStraight"/>, one layer): no call, no span, the
    /// update storing the gates onto the tape as it computes them. A JIT-time constant.
    /// </summary>
    internal static bool RecordsStraight
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => IsStraight && L == 1;
    }

    /// <summary>
    /// <see cref="RecordStep"/> of a one-layer shape through the straight step (bit for bit what <see cref="CellStep"/>
    /// computes): the input and the state before the step onto the tape, the step, whose update stores the gates and the
    /// extra vector there (<see cref="StraightCellRecord"/>; the RNN's one gate, h' itself, is copied after the plain
    /// <see cref="StraightCell"/>), then the top layer's h and, with <paramref name="head"/>, the output. Measured on a Zen 4
    /// core against the general cell step: see docs/performance.md, "The evening".
    /// </summary>
    /// <remarks>
    /// Two methods, one per kind of cell, each compiled with its own inlining budget: one method holding both (its test of
    /// the cell folded only after inlining) ran out of it, and the RNN's step kept calls to <c>Memmove</c>, <c>Slice</c> and
    /// the property getters.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void RecordStraightStep(ReadOnlySpan<float> packed, ReadOnlySpan<float> values, Span<float> state, ReadOnlySpan<float> input,
        Span<float> record, bool head)
    {
        if (TShape.Cell == Cell.Rnn)
        {
            RecordStraightRnn(packed, values, state, input, record, head);
        }
        else
        {
            RecordStraightGates(packed, values, state, input, record, head);
        }
    }

    [MethodImpl(CompiledAtOnce.NoInlining)]
    private static void RecordStraightRnn(ReadOnlySpan<float> packed, ReadOnlySpan<float> values, Span<float> state, ReadOnlySpan<float> input,
        Span<float> record, bool head) =>
        RecordStraight(packed, values, state, input, record, head, gates: false);

    [MethodImpl(CompiledAtOnce.NoInlining)]
    private static void RecordStraightGates(ReadOnlySpan<float> packed, ReadOnlySpan<float> values, Span<float> state, ReadOnlySpan<float> input,
        Span<float> record, bool head) =>
        RecordStraight(packed, values, state, input, record, head, gates: true);

    /// <summary><see cref="RecordStraightStep"/>'s body; <paramref name="gates"/> is a constant at each call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RecordStraight(ReadOnlySpan<float> packed, ReadOnlySpan<float> values, Span<float> state, ReadOnlySpan<float> input,
        Span<float> record, bool head, bool gates)
    {
        Span<float> layerTape = record.Slice(0, Shape<TShape>.LayerTape(0));
        Span<float> h = state.Slice(0, H);
        int slot = Shape<TShape>.LayerInputSlot(0);
        input.Slice(0, I).CopyTo(layerTape);
        state.Slice(0, StatePerLayer).CopyTo(layerTape.Slice(slot, StatePerLayer));
        Unsafe.SkipInit(out StraightSums sumsBuffer);
        if (gates)
        {
            // The gates and the extra vector: GH + H floats after the state.
            StraightCellRecord(PackedLayout<TShape>.Lanes, ref MemoryMarshal.GetReference(packed), ref MemoryMarshal.GetReference(state),
                ref MemoryMarshal.GetReference(input), ref AlignedSums(ref sumsBuffer), ref MemoryMarshal.GetReference(layerTape.Slice(slot + StatePerLayer, GH + H)));
        }
        else
        {
            StraightCell(PackedLayout<TShape>.Lanes, ref MemoryMarshal.GetReference(packed), ref MemoryMarshal.GetReference(state),
                ref MemoryMarshal.GetReference(input), ref AlignedSums(ref sumsBuffer));
            h.CopyTo(layerTape.Slice(slot + H, H));
        }

        h.CopyTo(record.Slice(TopOffset, H));
        if (head)
        {
            RecordHead(values, record);
        }
    }

    /// <summary>
    /// The head of a recorded step, from the h' just written into its top slot into its output slot. A call of its own: the
    /// straight cell's unrolled body spends the recording method's inlining budget, and inside it even the span conversion
    /// of the head's argument stayed a call.
    /// </summary>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    private static void RecordHead(ReadOnlySpan<float> values, Span<float> record) =>
        Head(values, record.Slice(TopOffset, H), record.Slice(OutputOffset, O));

    /// <summary>
    /// The backward sweep: from the last recorded step to the first, top layer to bottom. Only the recurrence itself runs
    /// step by step: dLoss/dh through the cell and back through <c>W_hh</c> (and <c>W_ih</c> into the layer below), each
    /// step's gate gradients written over the gates it has just consumed on the tape. The parameter gradients, which no
    /// later step depends on, are then accumulated over the whole sequence at once (<see cref="VectorMath.OuterAddSteps"/>:
    /// <c>dW_hh += Σ_t dgates_t h_{t-1}ᵀ</c> and the like), each gradient element kept in a register across the steps
    /// instead of a load and a store of every weight gradient per step; per element the same operations in the same
    /// order as one update per step, so the same bits. dh and dc flowing into the step before the first recorded one are
    /// dropped: the starting state is a constant (truncated BPTT).
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void Sweep(ReadOnlySpan<float> parameters, ReadOnlySpan<float> packed, Span<float> gradients, Span<float> tape, int recorded,
        Span<float> work, Span<float> dInputs, DropoutMask dropout, int sequence)
    {
        work.Slice(0, 2 * L * H).Clear();
        if (L == 1 && H > 1 && dInputs.IsEmpty)
        {
            SweepOneLayer(parameters, packed, tape, recorded, work);
        }
        else
        {
            for (int s = recorded - 1; s >= 0; s--)
            {
                StepBack(parameters, tape.Slice(s * TapeStride, TapeStride), work, dInputs.IsEmpty ? default : dInputs.Slice(s * I, I), dropout, sequence, s);
            }
        }

        AccumulateWeights(gradients, tape, recorded);
    }

    /// <summary>
    /// The sweep's recurrence for one layer with nothing below it (no dLoss/dx wanted), every step in one method at this
    /// shape's width: per vector of units, dLoss/dh' (the carry plus the head's <c>W_headᵀ dy</c>, or plus dy
    /// without a head) stays in a register on its way into the cell gradient, where <see cref="StepBack"/> copied the carry,
    /// added the head into the copy in memory and handed it to <see cref="CellBackward"/> through a call. The same operations
    /// in the same order per element as <see cref="StepBack"/>, so the same bits, except <c>W_hhᵀ dgates</c> where
    /// <see cref="SweepsPackedColumns"/> holds: read from the packed copy's columns, its sums come in another order and can
    /// differ from <see cref="StepBack"/>'s in their last bits.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void SweepOneLayer(ReadOnlySpan<float> parameters, ReadOnlySpan<float> packed, Span<float> tape, int recorded, Span<float> work)
    {
        var action = new SweepOneLayerAction(parameters, packed, tape, recorded, work);
        PackedLayout<TShape>.Dispatch(action);
    }

    /// <summary>
    /// Whether <see cref="SweepOneLayer{TVec}"/> reads <c>W_hhᵀ</c> from the packed copy (<see cref="PackedMath.TransposedAdd512"/>):
    /// 16 lanes, whole vectors of units with no padding, and the hidden matrix in one block, so that the packed copy holds it
    /// column after column. A JIT-time constant.
    /// </summary>
    private static bool SweepsPackedColumns
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (Path512.Emulated || Vector512.IsHardwareAccelerated) && PackedLayout<TShape>.Lanes == 16 && H % 16 == 0 && PackedLayout<TShape>.Rows == GH
            && GH <= PackedMath.BlockVectors * 16;
    }

    [MethodImpl(CompiledAtOnce.NoInlining)]
    private static void SweepOneLayer<TVec>(ReadOnlySpan<float> parameters, ReadOnlySpan<float> packed, Span<float> tape, int recorded, Span<float> work)
        where TVec : struct, ISimd<TVec>
    {
        int inSize = Shape<TShape>.LayerInput(0);
        int slot = Shape<TShape>.LayerInputSlot(0);
        int at = Shape<TShape>.LayerTapeOffset(0);
        // Read once: each read of the property is an inline, and on the 256-bit path (more of SweepUnits' vector operations)
        // the last of them came after the JIT's inlining budget and stayed a call per step.
        int gh = GH;
        ReadOnlySpan<float> whh = parameters.Slice(Shape<TShape>.LayerOffset(0) + gh * inSize, gh * H);
        // W_hh column by column (packed: [rows of every gate] per hidden unit), when the packed copy is laid out so.
        bool columns = SweepsPackedColumns;
        ref float packedHidden = ref columns
            ? ref MemoryMarshal.GetReference(packed.Slice(PackedLayout<TShape>.LayerOffset(0) + inSize * PackedLayout<TShape>.InputRows, H * gh))
            : ref Unsafe.NullRef<float>();
        Span<float> carry = work.Slice(0, H);
        ref float dc = ref MemoryMarshal.GetReference(work.Slice(H, H));
        ref float head = ref Shape<TShape>.HasHead ? ref MemoryMarshal.GetReference(parameters.Slice(Shape<TShape>.HeadOffset, O * H)) : ref Unsafe.NullRef<float>();
        ref float rCarry = ref MemoryMarshal.GetReference(carry);
        // The GRU's dph (dpi but for the n block, which the reset gate scales): W_hhᵀ reads it whole, so it goes to work.
        Span<float> dphGru = TShape.Cell == Cell.Gru ? work.Slice(2 * H + gh, gh) : default;
        ref float dph = ref MemoryMarshal.GetReference(dphGru);
        for (int s = recorded - 1; s >= 0; s--)
        {
            Span<float> record = tape.Slice(s * TapeStride, TapeStride);
            ref float dy = ref MemoryMarshal.GetReference(record.Slice(OutputOffset, O));
            Span<float> dpi = record.Slice(at + slot + StatePerLayer, gh);
            ref float gates = ref MemoryMarshal.GetReference(dpi);
            ref float extra = ref MemoryMarshal.GetReference(record.Slice(at + slot + StatePerLayer + gh, TShape.Cell == Cell.Rnn ? 0 : H));
            ref float cPrevious = ref MemoryMarshal.GetReference(record.Slice(at + slot + H, TShape.Cell == Cell.Lstm ? H : 0));
            ref float hPrevious = ref MemoryMarshal.GetReference(record.Slice(at + slot, H));
            int j = 0;
            for (; j <= H - TVec.Count; j += TVec.Count)
            {
                SweepUnits<TVec>(ref rCarry, ref head, ref dy, ref gates, ref extra, ref cPrevious, ref hPrevious, ref dph, ref dc, (nuint)j);
            }

            for (; j < H; j++)
            {
                SweepUnits<Simd1>(ref rCarry, ref head, ref dy, ref gates, ref extra, ref cPrevious, ref hPrevious, ref dph, ref dc, (nuint)j);
            }

            // GRU: the carry holds z·dh' (the part of dLoss/dh that bypasses W_hh), and W_hhᵀ dph adds to it. The other cells:
            // as CellBackward leaves it (no part of dh bypasses W_hh), then W_hhᵀ dpi into it.
            // (By reference: a span converted to ReadOnlySpan here, after SweepUnits' bodies, stayed a call per step in fully
            // optimized code, the JIT's inlining budget spent.)
            ref float dGates = ref TShape.Cell == Cell.Gru ? ref dph : ref gates;
            if (TShape.Cell != Cell.Gru)
            {
                carry.Clear();
            }

            if (columns)
            {
                PackedMath.TransposedAdd512(gh / 16, ref packedHidden, H, ref dGates, ref rCarry);
            }
            else
            {
                VectorMath.TransposedAdd(whh, MemoryMarshal.CreateReadOnlySpan(ref dGates, gh), carry);
            }
        }
    }

    /// <summary>
    /// One vector of units of <see cref="SweepOneLayer{TVec}"/>: dLoss/dh' = carry + W_headᵀ dy (row by row, each a fused
    /// multiply-add as <see cref="VectorMath.Axpy"/> does it) or carry + dy, then the cell gradient over the tape's gates.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private static void SweepUnits<TVec>(ref float carry, ref float head, ref float dy, ref float gates, ref float extra, ref float cPrevious,
        ref float hPrevious, ref float dph, ref float dc, nuint j)
        where TVec : struct, ISimd<TVec>
    {
        TVec d = TVec.Load(ref carry, j);
        if (Shape<TShape>.HasHead)
        {
            for (int r = 0; r < O; r++)
            {
                d = TVec.MultiplyAdd(TVec.Broadcast(Unsafe.Add(ref dy, r)), TVec.Load(ref head, ((nuint)r * (nuint)H) + j), d);
            }
        }
        else
        {
            d = TVec.Add(TVec.Load(ref dy, j), d);
        }

        if (TShape.Cell == Cell.Gru)
        {
            // dpi over the gates, dph to work, z·dh' over the carry (each lane read before it is written), and dph's n block over
            // the tape's n_h (read by then), where the weight-gradient pass reads it, as StepBack leaves it.
            CellGradient.Gru(ref gates, ref extra, ref hPrevious, d, ref gates, ref dph, ref carry, (nuint)H, j);
            TVec.Store(TVec.Load(ref dph, (2 * (nuint)H) + j), ref extra, j);
        }
        else if (TShape.Cell == Cell.Lstm)
        {
            CellGradient.Lstm(ref gates, ref extra, ref cPrevious, d, ref dc, ref gates, (nuint)H, j);
        }
        else
        {
            CellGradient.Rnn(ref gates, d, ref gates, j, TShape.Nonlinearity == Nonlinearity.Relu);
        }
    }

    /// <summary><see cref="SweepOneLayer{TVec}"/>'s arguments, for <see cref="PackedLayout{TShape}.Dispatch{TAction}"/>.</summary>
    private readonly ref struct SweepOneLayerAction : ISimdAction
    {
        private readonly ReadOnlySpan<float> _parameters;
        private readonly ReadOnlySpan<float> _packed;
        private readonly Span<float> _tape;
        private readonly int _recorded;
        private readonly Span<float> _work;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public SweepOneLayerAction(ReadOnlySpan<float> parameters, ReadOnlySpan<float> packed, Span<float> tape, int recorded, Span<float> work)
        {
            _parameters = parameters;
            _packed = packed;
            _tape = tape;
            _recorded = recorded;
            _work = work;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Run<TVec>()
            where TVec : struct, ISimd<TVec> =>
            SweepOneLayer<TVec>(_parameters, _packed, _tape, _recorded, _work);
    }

    /// <summary>
    /// One step of the sweep's recurrence, top layer to bottom: dh into the cell, dpi over the tape's gates, dh and dc
    /// for the step before in the carries of <paramref name="work"/>, and dLoss/dx into <paramref name="dx"/> unless it is
    /// empty. A method of its own so that the JIT's inlining budget is spent on it alone (inside the sweep's loop, the
    /// span slicing and shape constants were left as calls).
    /// </summary>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    private static void StepBack(ReadOnlySpan<float> parameters, Span<float> record, Span<float> work, Span<float> dx,
        DropoutMask dropout, int sequence, int step)
    {
        Span<float> dhCarry = work.Slice(0, L * H);
        Span<float> dcCarry = work.Slice(L * H, L * H);
        Span<float> dphGru = work.Slice(2 * L * H + GH, GH);
        Span<float> dh = work.Slice(2 * L * H + 2 * GH, H);
        ReadOnlySpan<float> dy = record.Slice(OutputOffset, O);
        dhCarry.Slice((L - 1) * H, H).CopyTo(dh);
        if (Shape<TShape>.HasHead)
        {
            VectorMath.MultiplyTransposedAdd(parameters.Slice(Shape<TShape>.HeadOffset, O * H), O, H, dy, dh);
        }
        else
        {
            VectorMath.Add(dy, dh);
        }

        for (int layer = L - 1; layer >= 0; layer--)
        {
            int inSize = Shape<TShape>.LayerInput(layer);
            int slot = Shape<TShape>.LayerInputSlot(layer);
            Span<float> layerTape = record.Slice(Shape<TShape>.LayerTapeOffset(layer), Shape<TShape>.LayerTape(layer));
            Span<float> dhOut = dhCarry.Slice(layer * H, H);
            // dpi overwrites the gates it is computed from (each lane reads its gates before it writes); the GRU's dph
            // differs from dpi in its n block only, which goes over the n_h vector the cell has read by then.
            Span<float> dpi = layerTape.Slice(slot + StatePerLayer, GH);
            Span<float> dph = TShape.Cell == Cell.Gru ? dphGru : dpi;
            CellBackward(layerTape, slot, dh, dcCarry.Slice(layer * H, H), dpi, dph, dhOut);
            if (TShape.Cell == Cell.Gru)
            {
                dph.Slice(2 * H, H).CopyTo(layerTape.Slice(slot + StatePerLayer + GH, H));
            }

            int offset = Shape<TShape>.LayerOffset(layer);
            VectorMath.TransposedAdd(parameters.Slice(offset + GH * inSize, GH * H), dph, dhOut);
            if (layer > 0 && Shape<TShape>.HasDropout)
            {
                // The same with dropout: W_ihᵀ dpi reached the layer below through the forward pass's mask.
                dh.Clear();
                VectorMath.TransposedAdd(parameters.Slice(offset, GH * inSize), dpi, dh);
                dropout.Apply(sequence, step, layer - 1, L - 1, dh, dh);
                VectorMath.Add(dhCarry.Slice((layer - 1) * H, H), dh);
            }
            else if (layer > 0)
            {
                // The gradient flowing down into the layer below at this step: its own carry plus W_ihᵀ dpi.
                dhCarry.Slice((layer - 1) * H, H).CopyTo(dh);
                VectorMath.TransposedAdd(parameters.Slice(offset, GH * inSize), dpi, dh);
            }
            else if (!dx.IsEmpty)
            {
                // In a layer stack the layer below needs dLoss/dx: W_ihᵀ dpi.
                dx.Clear();
                VectorMath.TransposedAdd(parameters.Slice(offset, GH * inSize), dpi, dx);
            }
        }
    }

    /// <summary>
    /// The parameter gradients of a swept sequence, from what the sweep left on the tape: per step and layer the
    /// input and h before the step (recorded by the forward pass) and dpi over the gates (with the GRU's n-block dph over
    /// n_h), and per step the top h and dLoss/dOutput.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void AccumulateWeights(Span<float> gradients, ReadOnlySpan<float> tape, int recorded)
    {
        int stride = TapeStride;
        if (Shape<TShape>.HasHead)
        {
            int headOffset = Shape<TShape>.HeadOffset;
            ReadOnlySpan<float> dy = tape.Slice(OutputOffset);
            VectorMath.OuterAddSteps(gradients.Slice(headOffset, O * H), O, H, dy, stride, tape.Slice(TopOffset), stride, recorded);
            VectorMath.AddSteps(gradients.Slice(headOffset + O * H, O), dy, stride, recorded);
        }

        for (int layer = L - 1; layer >= 0; layer--)
        {
            int inSize = Shape<TShape>.LayerInput(layer);
            int slot = Shape<TShape>.LayerInputSlot(layer);
            int offset = Shape<TShape>.LayerOffset(layer);
            int at = Shape<TShape>.LayerTapeOffset(layer);
            ReadOnlySpan<float> x = tape.Slice(at);
            ReadOnlySpan<float> hPrevious = tape.Slice(at + slot);
            ReadOnlySpan<float> dpi = tape.Slice(at + slot + StatePerLayer);
            Span<float> wih = gradients.Slice(offset, GH * inSize);
            Span<float> whh = gradients.Slice(offset + GH * inSize, GH * H);
            // An input of one feature makes W_ih's gradient a single column, summed like the biases: then the biases' sums
            // take it along (GateSums), as they take the two biases along with each other.
            bool column = inSize == 1 && TShape.Bias;
            if (!column)
            {
                VectorMath.OuterAddSteps(wih, GH, inSize, dpi, stride, x, stride, recorded);
            }

            // The GRU's dph: r and z as dpi, n from where the sweep left it. With biases, their sums (and the one-feature
            // input's column) ride along in W_hh's pass over the same rows: b_hh's n block sums dph's n block; its r and z
            // blocks, and all of b_ih, sum dpi.
            ReadOnlySpan<float> dphN = TShape.Cell == Cell.Gru ? tape.Slice(at + slot + StatePerLayer + GH) : default;
            if (TShape.Bias)
            {
                Span<float> bih = gradients.Slice(offset + GH * (inSize + H), GH);
                Span<float> bhh = gradients.Slice(offset + GH * (inSize + H + 1), GH);
                if (TShape.Cell == Cell.Gru)
                {
                    VectorMath.OuterAddStepsWithSums(whh.Slice(0, 2 * H * H), 2 * H, H, dpi, hPrevious, column ? wih.Slice(0, 2 * H) : default,
                        bih.Slice(0, 2 * H), bhh.Slice(0, 2 * H), dpi, dpi, x, stride, recorded);
                    VectorMath.OuterAddStepsWithSums(whh.Slice(2 * H * H, H * H), H, H, dphN, hPrevious, column ? wih.Slice(2 * H, H) : default,
                        bih.Slice(2 * H, H), bhh.Slice(2 * H, H), dpi.Slice(2 * H), dphN, x, stride, recorded);
                }
                else
                {
                    VectorMath.OuterAddStepsWithSums(whh, GH, H, dpi, hPrevious, column ? wih : default, bih, bhh, dpi, dpi, x, stride, recorded);
                }
            }
            else if (TShape.Cell == Cell.Gru)
            {
                VectorMath.OuterAddSteps(whh.Slice(0, 2 * H * H), 2 * H, H, dpi, stride, hPrevious, stride, recorded);
                VectorMath.OuterAddSteps(whh.Slice(2 * H * H, H * H), H, H, dphN, stride, hPrevious, stride, recorded);
            }
            else
            {
                VectorMath.OuterAddSteps(whh, GH, H, dpi, stride, hPrevious, stride, recorded);
            }
        }
    }

    /// <summary>
    /// Gradients of one cell step. In: dh (dLoss/dh' from above and from the future) and, for the LSTM,
    /// dc from the future in <paramref name="dc"/>. Out: dLoss/d(pre-activation) for the input projection
    /// (<paramref name="dpi"/>) and the hidden projection (<paramref name="dph"/>; they differ only in the GRU's
    /// n block; for the RNN and LSTM the caller passes the same span for both and only dpi is written), the part of
    /// dLoss/dh_prev that bypasses W_hh (<paramref name="dhDirect"/>), and dc for the past. <paramref name="dpi"/> may be the
    /// tape's gates themselves: every lane's gates are read before its gradients are written.
    /// Vectorised at this shape's width (<see cref="CellGradient"/>).
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void CellBackward(ReadOnlySpan<float> layerTape, int slot, ReadOnlySpan<float> dh, Span<float> dc,
        Span<float> dpi, Span<float> dph, Span<float> dhDirect)
    {
        var action = new CellBackwardAction(layerTape, slot, dh, dc, dpi, dph, dhDirect);
        PackedLayout<TShape>.Dispatch(action);
    }

    /// <remarks>
    /// Compiled on its own, as the forward's CellStep is: inlined into the sweep's step, its vector operations used up the
    /// JIT's inlining budget there and left the span slicing and shape constants of the rest of the step as calls.
    /// </remarks>
    [MethodImpl(CompiledAtOnce.NoInlining)]
    private static void CellBackward<TVec>(ReadOnlySpan<float> layerTape, int slot, ReadOnlySpan<float> dh, Span<float> dc,
        Span<float> dpi, Span<float> dph, Span<float> dhDirect)
        where TVec : struct, ISimd<TVec>
    {
        ReadOnlySpan<float> before = layerTape.Slice(slot, StatePerLayer);
        ReadOnlySpan<float> gates = layerTape.Slice(slot + StatePerLayer, GH);
        ref float rGates = ref MemoryMarshal.GetReference(gates);
        ref float rDh = ref MemoryMarshal.GetReference(dh);
        ref float rDpi = ref MemoryMarshal.GetReference(dpi);
        if (TShape.Cell == Cell.Gru)
        {
            ReadOnlySpan<float> ghn = layerTape.Slice(slot + StatePerLayer + GH, H);
            CellGradient.Gru<TVec>(ref rGates, ref MemoryMarshal.GetReference(ghn), ref MemoryMarshal.GetReference(before), ref rDh,
                ref rDpi, ref MemoryMarshal.GetReference(dph), ref MemoryMarshal.GetReference(dhDirect), H);
            return;
        }

        if (TShape.Cell == Cell.Lstm)
        {
            ReadOnlySpan<float> tanhC = layerTape.Slice(slot + StatePerLayer + GH, H);
            CellGradient.Lstm<TVec>(ref rGates, ref MemoryMarshal.GetReference(tanhC), ref MemoryMarshal.GetReference(before.Slice(H, H)), ref rDh,
                ref MemoryMarshal.GetReference(dc), ref rDpi, H);
        }
        else
        {
            CellGradient.Rnn<TVec>(ref rGates, ref rDh, ref rDpi, H, TShape.Nonlinearity == Nonlinearity.Relu);
        }

        dhDirect.Slice(0, H).Clear();
    }

    /// <summary><see cref="CellBackward{TVec}"/>'s arguments, for <see cref="PackedLayout{TShape}.Dispatch{TAction}"/>.</summary>
    private readonly ref struct CellBackwardAction : ISimdAction
    {
        private readonly ReadOnlySpan<float> _layerTape;
        private readonly int _slot;
        private readonly ReadOnlySpan<float> _dh;
        private readonly Span<float> _dc;
        private readonly Span<float> _dpi;
        private readonly Span<float> _dph;
        private readonly Span<float> _dhDirect;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public CellBackwardAction(ReadOnlySpan<float> layerTape, int slot, ReadOnlySpan<float> dh, Span<float> dc,
            Span<float> dpi, Span<float> dph, Span<float> dhDirect)
        {
            _layerTape = layerTape;
            _slot = slot;
            _dh = dh;
            _dc = dc;
            _dpi = dpi;
            _dph = dph;
            _dhDirect = dhDirect;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Run<TVec>()
            where TVec : struct, ISimd<TVec> =>
            CellBackward<TVec>(_layerTape, _slot, _dh, _dc, _dpi, _dph, _dhDirect);
    }
}
