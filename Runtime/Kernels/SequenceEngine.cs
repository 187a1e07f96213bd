using System;
using System.Buffers;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Fixed.Engine;

/// <summary>
/// The engine of the networks <see cref="RecurrentEngine{TShape}"/> does not take: an LSTM with a projection (PyTorch's
/// <c>proj_size</c>) and bidirectional networks. Generated models with <c>ProjSize</c> or <c>Bidirectional</c> call it;
/// it is public only for that reason.
/// </summary>
/// <remarks>
/// <para>
/// It reads <c>Parameters</c> in PyTorch's layout directly (no packed copy): per layer and direction the gate sums are
/// two matrix-vector products (<see cref="VectorMath.Project"/>), the activations and state update the fused element-wise
/// kernels of the main engine (<see cref="CellUpdate"/>, and <see cref="CellGradient"/> backwards), at the widest vector
/// the hidden size fills. It is written for exactness and zero allocation first; it is not the tuned packed path.
/// </para>
/// <para>
/// A bidirectional layer needs the whole sequence: its reverse direction starts at the last step. So <c>Forward</c> and
/// <c>Backward</c> run layer by layer over the sequence (every direction of layer k before layer k + 1, which reads
/// <c>[forward, reverse]</c> of each step), and there is no <c>Step</c> or <c>WarmUp</c> for such a model. The state
/// holds each layer's and direction's initial h (and c), PyTorch's <c>h_0</c> rows in order (layer × directions +
/// direction), and after a call the final ones, PyTorch's <c>h_n</c>: for the reverse direction, its state after step 0.
/// </para>
/// </remarks>
/// <typeparam name="TShape">The generated shape of the network.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SequenceEngine<TShape>
    where TShape : struct, INetworkShape
{
    private static int I
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.InputSize;
    }

    private static int H
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.HiddenSize;
    }

    private static int P
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.ProjSize;
    }

    private static int L
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.NumLayers;
    }

    private static bool IsLstm
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.Cell == Cell.Lstm;
    }

    /// <summary>Floats of h per direction.</summary>
    private static int R
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => SequenceArithmetic.HiddenOut(H, P);
    }

    /// <summary>Directions: 1, or 2 for a bidirectional network.</summary>
    private static int D
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.Bidirectional ? 2 : 1;
    }

    /// <summary>A layer's output per step: <c>[forward, reverse]</c> h.</summary>
    private static int Width
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => D * R;
    }

    private static int GH
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)NetworkArithmetic.GateRows(TShape.Cell, H);
    }

    private static bool HasHead
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.OutputSize > 0;
    }

    /// <summary>Outputs per step: the head's, or the top layer's <see cref="Width"/>.</summary>
    public static int OutputSize
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)SequenceArithmetic.Outputs(H, P, D, TShape.OutputSize);
    }

    private static int O
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => OutputSize;
    }

    /// <summary>Floats in one state: h (and c) of every layer and direction.</summary>
    public static int StateLength
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)SequenceArithmetic.StateLength(TShape.Cell, H, P, D, L);
    }

    /// <summary>Length of the flat parameter vector.</summary>
    public static int ParameterCount
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)SequenceArithmetic.ParameterCount(TShape.Cell, I, H, P, D, L, TShape.OutputSize, TShape.Bias);
    }

    /// <summary>Floats of the BPTT tape a model owns: Window steps.</summary>
    public static int TapeLength
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.Window * TapeStride;
    }

    /// <summary>Floats of Backward's working memory a model owns.</summary>
    public static int WorkLength
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)SequenceArithmetic.WorkLength(TShape.Cell, H, P, D, TShape.Window);
    }

    private static int StatePerDirection
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)SequenceArithmetic.StatePerDirection(TShape.Cell, H, P);
    }

    private static int DirectionTape
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)SequenceArithmetic.DirectionTape(TShape.Cell, H, P);
    }

    private static int TapeStride
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)SequenceArithmetic.TapeStride(TShape.Cell, I, H, P, D, L, TShape.OutputSize);
    }

    private static int ScratchLength
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)SequenceArithmetic.ScratchLength(TShape.Cell, H);
    }

    private static int HeadOffset
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)SequenceArithmetic.LayerOffset(TShape.Cell, I, H, P, D, TShape.Bias, L);
    }

    // One step's tape: every layer's and direction's record, then the step's input, every layer's output, the network's output.
    private static int InputOffset
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => L * D * DirectionTape;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int LayerOutputOffset(int layer) => InputOffset + I + (layer * Width);

    private static int OutputOffset
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => InputOffset + I + (L * Width);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RecordOffset(int layer, int direction) => ((layer * D) + direction) * DirectionTape;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int LayerInput(int layer) => (int)SequenceArithmetic.LayerInput(layer, I, H, P, D);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DirectionParameters(int layer) => (int)SequenceArithmetic.DirectionParameters(TShape.Cell, LayerInput(layer), H, P, TShape.Bias);

    private static int DirectionOffset(int layer, int direction) =>
        (int)SequenceArithmetic.DirectionOffset(TShape.Cell, I, H, P, D, TShape.Bias, layer, direction);

    /// <summary>
    /// PyTorch's default initialisation from <paramref name="seed"/>: every recurrent tensor (<c>weight_hr</c> included)
    /// uniform in ±1/√H, the head as <c>nn.Linear(D·R, O)</c>, uniform in ±1/√(D·R).
    /// </summary>
    public static void Initialize(Span<float> parameters, int seed)
    {
        Guard.Length(parameters, ParameterCount, nameof(parameters), "[ParameterCount={0}]", ParameterCount);
        ulong bits = ParameterInitializer.Start(seed);
        ParameterInitializer.Uniform(parameters.Slice(0, HeadOffset), 1f / MathF.Sqrt(H), ref bits);
        ParameterInitializer.Uniform(parameters.Slice(HeadOffset), 1f / MathF.Sqrt(Width), ref bits);
    }

    /// <summary>One time step (one direction only): advances <paramref name="state"/> and writes the outputs.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Step(ReadOnlySpan<float> parameters, Span<float> state, ReadOnlySpan<float> input, Span<float> output)
    {
        RequireOneDirection();
        CheckState(state);
        Guard.Length(input, I, nameof(input), "[InputSize={0}]", I);
        Guard.Length(output, O, nameof(output), "[OutputSize={0}]", O);
        Span<float> scratch = stackalloc float[ScratchLength];
        Advance(parameters, state, input, scratch);
        Head(parameters, state.Slice((L - 1) * StatePerDirection, R), output);
    }

    /// <summary>Advances the state over <c>[T, InputSize]</c> (one direction only); computes no outputs.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void WarmUp(ReadOnlySpan<float> parameters, Span<float> state, ReadOnlySpan<float> inputs)
    {
        RequireOneDirection();
        CheckState(state);
        int steps = Guard.Rows(inputs, I, nameof(inputs), "[T, InputSize={0}]");
        Span<float> scratch = stackalloc float[ScratchLength];
        for (int t = 0; t < steps; t++)
        {
            Advance(parameters, state, inputs.Slice(t * I, I), scratch);
        }
    }

    /// <summary>
    /// T time steps: <c>[T, InputSize]</c> in, <c>[T, OutputSize]</c> out. One direction: step by step. Bidirectional:
    /// layer by layer over the whole sequence, through two <c>[T, D·R]</c> buffers from <see cref="ArrayPool{T}.Shared"/>
    /// (rented and returned within the call: nothing is allocated once the pool holds them, and calls on many threads do
    /// not share them).
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Forward(ReadOnlySpan<float> parameters, Span<float> state, ReadOnlySpan<float> inputs, Span<float> outputs)
    {
        CheckState(state);
        int steps = Guard.Rows(inputs, I, nameof(inputs), "[T, InputSize={0}]");
        Guard.SameLength(steps, outputs, O, nameof(outputs));
        Span<float> scratch = stackalloc float[ScratchLength];
        if (D == 1)
        {
            Span<float> top = state.Slice((L - 1) * StatePerDirection, R);
            for (int t = 0; t < steps; t++)
            {
                Advance(parameters, state, inputs.Slice(t * I, I), scratch);
                Head(parameters, top, outputs.Slice(t * O, O));
            }

            return;
        }

        float[] rented = ArrayPool<float>.Shared.Rent(2 * steps * Width);
        try
        {
            Span<float> even = rented.AsSpan(0, steps * Width);
            Span<float> odd = rented.AsSpan(steps * Width, steps * Width);
            ReadOnlySpan<float> input = inputs;
            for (int layer = 0; layer < L; layer++)
            {
                Span<float> output = layer % 2 == 0 ? even : odd;
                for (int direction = 0; direction < D; direction++)
                {
                    RunDirection(parameters, layer, direction, input, LayerInput(layer), steps, output, Width,
                        DirectionState(state, layer, direction), default, 0, scratch);
                }

                input = output;
            }

            for (int t = 0; t < steps; t++)
            {
                Head(parameters, input.Slice(t * Width, Width), outputs.Slice(t * O, O));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>One time step of <paramref name="streams"/> streams (one direction only), each as the one-stream <c>Step</c> would.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Step(ReadOnlySpan<float> parameters, Span<float> states, ReadOnlySpan<float> inputs, Span<float> outputs, int streams)
    {
        RequireOneDirection();
        CheckStreams(states, streams);
        if (inputs.Length != streams * I)
        {
            Guard.ThrowLength(nameof(inputs), streams * I, StreamShape("InputSize", I, streams), inputs.Length);
        }

        if (outputs.Length != streams * O)
        {
            Guard.ThrowLength(nameof(outputs), streams * O, StreamShape("OutputSize", O, streams), outputs.Length);
        }

        Span<float> scratch = stackalloc float[ScratchLength];
        StepStreams(parameters, states, inputs, outputs, streams, scratch);
    }

    /// <summary>T time steps of <paramref name="streams"/> streams (one direction only): <c>[T, N, InputSize]</c> in, <c>[T, N, OutputSize]</c> out.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Forward(ReadOnlySpan<float> parameters, Span<float> states, ReadOnlySpan<float> inputs, Span<float> outputs, int streams)
    {
        RequireOneDirection();
        CheckStreams(states, streams);
        int steps = Guard.Rows(inputs, streams * I, nameof(inputs), "[T, N, InputSize] = [T, {0} floats]");
        Guard.SameLength(steps, outputs, streams * O, nameof(outputs));
        Span<float> scratch = stackalloc float[ScratchLength];
        for (int t = 0; t < steps; t++)
        {
            StepStreams(parameters, states, inputs.Slice(t * streams * I, streams * I), outputs.Slice(t * streams * O, streams * O), streams, scratch);
        }
    }

    /// <summary>
    /// Single-sequence truncated BPTT from <paramref name="state"/> (a constant): adds the gradients into
    /// <paramref name="gradients"/>, leaves the state at the sequence end (PyTorch's <c>h_n</c>) and returns the loss.
    /// A bidirectional network takes no <paramref name="warmUp"/>: its reverse direction reads every step.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static float Backward(ReadOnlySpan<float> parameters, Span<float> gradients, Span<float> state,
        ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, Loss loss, LossOn on, int warmUp,
        Span<float> tape, Span<float> work, CrossEntropyOptions? crossEntropy) =>
        Backward(parameters, gradients, state, inputs, targets, loss, on, warmUp, tape, work, crossEntropy, null);

    /// <summary>
    /// The single-sequence Backward of a model with <c>Dropout</c>: once every argument has passed its checks, the call takes
    /// the next masks of <paramref name="dropout"/> (null: none) and applies them between the stacked layers (sequence 0).
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static float Backward(ReadOnlySpan<float> parameters, Span<float> gradients, Span<float> state,
        ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, Loss loss, LossOn on, int warmUp,
        Span<float> tape, Span<float> work, CrossEntropyOptions? crossEntropy, DropoutStream? dropout)
    {
        CheckState(state);
        int steps = TrainingSupport.CheckSingle(I, O, TShape.Window, inputs, targets, loss, on, warmUp);
        CheckWarmUp(warmUp);
        int width = LossFunctions.TargetWidth(loss, O);
        double divisor = TrainingSupport.LossDivisor(loss, crossEntropy, on, steps, warmUp, O, batchSize: 1, targets);
        DropoutMask mask = NextDropout(dropout);
        double sum = Sequence(parameters, gradients, state, inputs, 0, I, steps, warmUp, targets, 0, width, loss, crossEntropy, on, LossFunctions.Scale(divisor),
            tape, work, mask, 0, default);
        return (float)(sum / divisor);
    }

    /// <summary>
    /// Batched BPTT: <paramref name="batchSize"/> sequences, each from the zero state, the loss reduced by the mean over
    /// every element of the batch as PyTorch's losses do; adds the gradients and returns the loss.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static float Backward(ReadOnlySpan<float> parameters, Span<float> gradients,
        ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize, Loss loss, LossOn on, int warmUp,
        SequenceLayout layout, Span<float> tape, Span<float> work, CrossEntropyOptions? crossEntropy) =>
        Backward(parameters, gradients, inputs, targets, batchSize, loss, on, warmUp, layout, tape, work, crossEntropy, null, default, default);

    /// <summary>
    /// The batched Backward with the options of the model: the masks of <paramref name="dropout"/> (<c>Dropout</c>; null:
    /// none), drawn once every argument has passed its checks, sequence b of the batch taking its own; and a learned initial
    /// state (<c>LearnInitialState</c>): every sequence starts from <paramref name="initial"/> (<see cref="InitialState"/>'s
    /// layout, h0 <c>[NumLayers × directions, h]</c> then c0 for the LSTM) and dLoss/d(initial), summed over the batch as
    /// PyTorch's <c>h0.expand(...)</c> sums it, is added into <paramref name="initialGradients"/> (same layout; nothing with
    /// <paramref name="warmUp"/> &gt; 0, whose steps carry no gradient). Empty spans: the zero state, no gradient.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static float Backward(ReadOnlySpan<float> parameters, Span<float> gradients,
        ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize, Loss loss, LossOn on, int warmUp,
        SequenceLayout layout, Span<float> tape, Span<float> work, CrossEntropyOptions? crossEntropy,
        DropoutStream? dropout, ReadOnlySpan<float> initial, Span<float> initialGradients)
    {
        CheckInitial(initial, initialGradients);
        int steps = TrainingSupport.CheckBatched(I, O, TShape.Window, inputs, targets, batchSize, loss, on, warmUp, layout);
        CheckWarmUp(warmUp);
        int width = LossFunctions.TargetWidth(loss, O);
        double divisor = TrainingSupport.LossDivisor(loss, crossEntropy, on, steps, warmUp, O, batchSize, targets);
        float scale = LossFunctions.Scale(divisor);
        DropoutMask mask = NextDropout(dropout);
        Span<float> reached = warmUp == 0 ? initialGradients : default;
        double sum = 0;
        Span<float> state = stackalloc float[StateLength];
        for (int b = 0; b < batchSize; b++)
        {
            InitialState(initial, state);
            (int inputStart, int inputStride, int targetStart, int targetStride) = TrainingSupport.BatchItem(b, batchSize, steps, warmUp, I, width, on, layout);
            sum += Sequence(parameters, gradients, state, inputs, inputStart, inputStride, steps, warmUp, targets, targetStart, targetStride,
                loss, crossEntropy, on, scale, tape, work, mask, b, reached);
        }

        return (float)(sum / divisor);
    }

    /// <summary>
    /// The loss the single-sequence Backward would return, from a forward pass only: no tape, no gradient; leaves the state
    /// at the sequence end. Allocates nothing (a bidirectional network's layer buffers come from the shared array pool).
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static float Evaluate(ReadOnlySpan<float> parameters, Span<float> state, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets,
        Loss loss, LossOn on, int warmUp, CrossEntropyOptions? crossEntropy)
    {
        CheckState(state);
        int steps = TrainingSupport.CheckSingle(I, O, TShape.Window, inputs, targets, loss, on, warmUp);
        CheckWarmUp(warmUp);
        int width = LossFunctions.TargetWidth(loss, O);
        double divisor = TrainingSupport.LossDivisor(loss, crossEntropy, on, steps, warmUp, O, batchSize: 1, targets);
        double sum = EvaluateSequence(parameters, state, inputs, 0, I, steps, warmUp, targets, 0, width, loss, crossEntropy, on, LossFunctions.Scale(divisor));
        return (float)(sum / divisor);
    }

    /// <summary>The loss the batched Backward would return: <paramref name="batchSize"/> sequences, each from the zero state.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static float Evaluate(ReadOnlySpan<float> parameters, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize,
        Loss loss, LossOn on, int warmUp, SequenceLayout layout, CrossEntropyOptions? crossEntropy) =>
        Evaluate(parameters, inputs, targets, batchSize, loss, on, warmUp, layout, crossEntropy, default);

    /// <summary>
    /// The batched Evaluate of a model with a learned initial state: every sequence from <paramref name="initial"/>
    /// (<see cref="InitialState"/>'s layout; empty: the zero state), as the batched Backward starts them. No dropout: eval mode.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static float Evaluate(ReadOnlySpan<float> parameters, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize,
        Loss loss, LossOn on, int warmUp, SequenceLayout layout, CrossEntropyOptions? crossEntropy, ReadOnlySpan<float> initial)
    {
        CheckInitial(initial, default);
        int steps = TrainingSupport.CheckBatched(I, O, TShape.Window, inputs, targets, batchSize, loss, on, warmUp, layout);
        CheckWarmUp(warmUp);
        int width = LossFunctions.TargetWidth(loss, O);
        double divisor = TrainingSupport.LossDivisor(loss, crossEntropy, on, steps, warmUp, O, batchSize, targets);
        float scale = LossFunctions.Scale(divisor);
        double sum = 0;
        Span<float> state = stackalloc float[StateLength];
        for (int b = 0; b < batchSize; b++)
        {
            InitialState(initial, state);
            (int inputStart, int inputStride, int targetStart, int targetStride) = TrainingSupport.BatchItem(b, batchSize, steps, warmUp, I, width, on, layout);
            sum += EvaluateSequence(parameters, state, inputs, inputStart, inputStride, steps, warmUp, targets, targetStart, targetStride, loss, crossEntropy, on, scale);
        }

        return (float)(sum / divisor);
    }

    /// <summary>
    /// BPTT over a padded batch of sequences of different lengths, as PyTorch's
    /// <c>pack_padded_sequence(..., enforce_sorted=False)</c>: sequence b, from the zero state, uses its first
    /// <c>lengths[b]</c> steps only (a reverse direction starts at its own last valid step), the loss is the mean over the
    /// valid elements, and <see cref="LossOn.LastStep"/> takes each sequence's output at its own last valid step. Padding
    /// is never read. Adds the gradients and returns the loss.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static float Backward(ReadOnlySpan<float> parameters, Span<float> gradients, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets,
        ReadOnlySpan<int> lengths, Loss loss, LossOn on, SequenceLayout layout, Span<float> tape, Span<float> work, CrossEntropyOptions? crossEntropy) =>
        Backward(parameters, gradients, inputs, targets, lengths, loss, on, layout, tape, work, crossEntropy, null, default, default);

    /// <summary>
    /// The Backward over sequences of different lengths with the model's dropout masks and learned initial state, as the
    /// batched overload takes them: sequence b draws its own masks and starts from <paramref name="initial"/>, whose gradient
    /// is added into <paramref name="initialGradients"/>.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static float Backward(ReadOnlySpan<float> parameters, Span<float> gradients, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets,
        ReadOnlySpan<int> lengths, Loss loss, LossOn on, SequenceLayout layout, Span<float> tape, Span<float> work, CrossEntropyOptions? crossEntropy,
        DropoutStream? dropout, ReadOnlySpan<float> initial, Span<float> initialGradients)
    {
        CheckInitial(initial, initialGradients);
        int steps = TrainingSupport.CheckLengths(I, O, TShape.Window, inputs, targets, lengths, loss, on, layout);
        int width = LossFunctions.TargetWidth(loss, O);
        double divisor = TrainingSupport.LossDivisor(loss, crossEntropy, on, lengths, O, targets, steps, layout);
        float scale = LossFunctions.Scale(divisor);
        DropoutMask mask = NextDropout(dropout);
        Span<float> state = stackalloc float[StateLength];
        double sum = 0;
        for (int b = 0; b < lengths.Length; b++)
        {
            InitialState(initial, state);
            (int inputStart, int inputStride, int targetStart, int targetStride) = TrainingSupport.BatchItem(b, lengths.Length, steps, 0, I, width, on, layout);
            sum += Sequence(parameters, gradients, state, inputs, inputStart, inputStride, lengths[b], 0, targets, targetStart, targetStride,
                loss, crossEntropy, on, scale, tape, work, mask, b, initialGradients);
        }

        return (float)(sum / divisor);
    }

    /// <summary>The loss the Backward over sequences of different lengths would return, from a forward pass only.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static float Evaluate(ReadOnlySpan<float> parameters, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets,
        ReadOnlySpan<int> lengths, Loss loss, LossOn on, SequenceLayout layout, CrossEntropyOptions? crossEntropy) =>
        Evaluate(parameters, inputs, targets, lengths, loss, on, layout, crossEntropy, default);

    /// <summary>The Evaluate over sequences of different lengths, every sequence from <paramref name="initial"/> (empty: the zero state).</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static float Evaluate(ReadOnlySpan<float> parameters, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets,
        ReadOnlySpan<int> lengths, Loss loss, LossOn on, SequenceLayout layout, CrossEntropyOptions? crossEntropy, ReadOnlySpan<float> initial)
    {
        CheckInitial(initial, default);
        int steps = TrainingSupport.CheckLengths(I, O, TShape.Window, inputs, targets, lengths, loss, on, layout);
        int width = LossFunctions.TargetWidth(loss, O);
        double divisor = TrainingSupport.LossDivisor(loss, crossEntropy, on, lengths, O, targets, steps, layout);
        float scale = LossFunctions.Scale(divisor);
        Span<float> state = stackalloc float[StateLength];
        double sum = 0;
        for (int b = 0; b < lengths.Length; b++)
        {
            InitialState(initial, state);
            (int inputStart, int inputStride, int targetStart, int targetStride) = TrainingSupport.BatchItem(b, lengths.Length, steps, 0, I, width, on, layout);
            sum += EvaluateSequence(parameters, state, inputs, inputStart, inputStride, lengths[b], 0, targets, targetStart, targetStride, loss, crossEntropy, on, scale);
        }

        return (float)(sum / divisor);
    }

    /// <summary>
    /// One sequence's summed loss, computed as <see cref="Sequence"/> computes it (the same cell and head calls in the same
    /// order per direction, so the same bits), without recording.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static double EvaluateSequence(ReadOnlySpan<float> parameters, Span<float> state, ReadOnlySpan<float> inputs, int inputStart, int inputStride,
        int steps, int warmUp, ReadOnlySpan<float> targets, int targetStart, int targetStride, Loss loss, CrossEntropyOptions? crossEntropy, LossOn on, float scale)
    {
        Span<float> scratch = stackalloc float[ScratchLength];
        Span<float> output = stackalloc float[O];
        int width = LossFunctions.TargetWidth(loss, O);
        int n = steps - warmUp;
        double sum = 0;
        if (D == 1)
        {
            Span<float> top = state.Slice((L - 1) * StatePerDirection, R);
            for (int t = 0; t < steps; t++)
            {
                Advance(parameters, state, inputs.Slice(inputStart + (t * inputStride), I), scratch);
                int s = t - warmUp;
                if (s >= 0 && (on == LossOn.AllSteps || s == n - 1))
                {
                    Head(parameters, top, output);
                    sum += LossFunctions.Apply(loss, crossEntropy, output, targets.Slice(targetStart + (on == LossOn.AllSteps ? s * targetStride : 0), width), scale);
                }
            }

            return sum;
        }

        float[] rented = ArrayPool<float>.Shared.Rent(2 * steps * Width);
        try
        {
            Span<float> even = rented.AsSpan(0, steps * Width);
            Span<float> odd = rented.AsSpan(steps * Width, steps * Width);
            ReadOnlySpan<float> input = inputs.Slice(inputStart);
            int stride = inputStride;
            for (int layer = 0; layer < L; layer++)
            {
                Span<float> layerOutput = layer % 2 == 0 ? even : odd;
                for (int direction = 0; direction < D; direction++)
                {
                    RunDirection(parameters, layer, direction, input, stride, steps, layerOutput, Width, DirectionState(state, layer, direction), default, 0, scratch);
                }

                input = layerOutput;
                stride = Width;
            }

            for (int s = 0; s < n; s++)
            {
                if (on == LossOn.AllSteps || s == n - 1)
                {
                    Head(parameters, input.Slice(s * Width, Width), output);
                    sum += LossFunctions.Apply(loss, crossEntropy, output, targets.Slice(targetStart + (on == LossOn.AllSteps ? s * targetStride : 0), width), scale);
                }
            }

            return sum;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>Whether Backward drops units between the stacked layers: a <c>Dropout</c> above 0 and a layer above the first.</summary>
    private static bool HasDropout
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.Dropout > 0 && L > 1;
    }

    /// <summary>
    /// The masks of a Backward call whose arguments have passed every check: the next of <paramref name="dropout"/>'s stream,
    /// or none for a shape without dropout (whose stream is then left as it is). A layer stack draws its layer's masks
    /// with it once per Backward and passes them to <see cref="Record(ReadOnlySpan{float}, Span{float}, ReadOnlySpan{float}, Span{float}, Span{float}, DropoutMask, int)"/>
    /// and the matching Sweep.
    /// </summary>
    public static DropoutMask NextDropout(DropoutStream? dropout) =>
        HasDropout && dropout is not null ? dropout.Next(TShape.Dropout) : default;

    /// <summary>
    /// Fills <paramref name="state"/> from a learned initial state <paramref name="initial"/> laid out as its tensors are:
    /// h0 <c>[NumLayers × directions, h]</c> (PyTorch's <c>h_0</c> rows, layer × directions + direction; h has ProjSize
    /// floats with a projection), then c0 <c>[NumLayers × directions, HiddenSize]</c> for the LSTM: <see cref="StateLength"/>
    /// floats in all. Empty: the zero state.
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
        int rows = L * D;
        for (int row = 0; row < rows; row++)
        {
            Span<float> rowState = state.Slice(row * StatePerDirection, StatePerDirection);
            initial.Slice(row * R, R).CopyTo(rowState);
            if (IsLstm)
            {
                initial.Slice((rows * R) + (row * H), H).CopyTo(rowState.Slice(R, H));
            }
        }
    }

    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void CheckInitial(ReadOnlySpan<float> initial, ReadOnlySpan<float> initialGradients)
    {
        if (!initial.IsEmpty && initial.Length != StateLength)
        {
            ThrowInitialLength(nameof(initial), initial.Length);
        }

        if (!initialGradients.IsEmpty && initialGradients.Length != StateLength)
        {
            ThrowInitialLength(nameof(initialGradients), initialGradients.Length);
        }
    }

    /// <summary>The length error of an initial state or its gradients, its message built here, off the checking path.</summary>
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowInitialLength(string name, int length)
    {
        string shape = string.Create(CultureInfo.InvariantCulture,
            $"h0 [{L * D}, {R}]{(IsLstm ? " and c0 [" + (L * D).ToString(CultureInfo.InvariantCulture) + ", " + H.ToString(CultureInfo.InvariantCulture) + "]" : string.Empty)}");
        Guard.ThrowLength(name, StateLength, shape, length);
    }

    private static void RequireOneDirection()
    {
        if (TShape.Bidirectional)
        {
            throw new NotSupportedException("A bidirectional network has no Step or WarmUp: its reverse direction starts at the last step of a sequence. Use Forward over the whole sequence.");
        }
    }

    private static void CheckWarmUp(int warmUp)
    {
        if (TShape.Bidirectional && warmUp != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(warmUp), warmUp,
                "warmUp must be 0 for a bidirectional network: its reverse direction reads every step of the sequence, so no step can only advance the state.");
        }
    }

    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void CheckState(ReadOnlySpan<float> state)
    {
        if (state.Length != StateLength)
        {
            Guard.ThrowLength(nameof(state), StateLength,
                string.Create(CultureInfo.InvariantCulture, $"[NumLayers={L} × directions={D}, h ({R}){(IsLstm ? " and c (" + H.ToString(CultureInfo.InvariantCulture) + ")" : string.Empty)}]"),
                state.Length);
        }
    }

    private static void CheckStreams(ReadOnlySpan<float> states, int streams)
    {
        if (streams < 1)
        {
            throw new ArgumentException("states: expected at least one stream (one State per stream), got none.", nameof(states));
        }

        if (states.Length != streams * StateLength)
        {
            Guard.ThrowLength(nameof(states), streams * StateLength, StreamShape("StateLength", StateLength, streams), states.Length);
        }
    }

    private static string StreamShape(string what, int size, int streams) =>
        string.Create(CultureInfo.InvariantCulture, $"[N={streams}, {what}={size}]");

    private static Span<float> DirectionState(Span<float> state, int layer, int direction) =>
        state.Slice(((layer * D) + direction) * StatePerDirection, StatePerDirection);

    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void StepStreams(ReadOnlySpan<float> parameters, Span<float> states, ReadOnlySpan<float> inputs, Span<float> outputs, int streams, Span<float> scratch)
    {
        for (int n = 0; n < streams; n++)
        {
            Span<float> state = states.Slice(n * StateLength, StateLength);
            Advance(parameters, state, inputs.Slice(n * I, I), scratch);
            Head(parameters, state.Slice((L - 1) * StatePerDirection, R), outputs.Slice(n * O, O));
        }
    }

    /// <summary>One step of every layer of a one-direction network, each layer's new h feeding the next.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void Advance(ReadOnlySpan<float> parameters, Span<float> state, ReadOnlySpan<float> input, Span<float> scratch)
    {
        for (int layer = 0; layer < L; layer++)
        {
            Span<float> layerState = state.Slice(layer * StatePerDirection, StatePerDirection);
            CellStep(parameters, layer, 0, input, layerState, default, scratch);
            input = layerState.Slice(0, R);
        }
    }

    /// <summary>The Linear head on the top layer's output, or that output itself when there is no head.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void Head(ReadOnlySpan<float> parameters, ReadOnlySpan<float> top, Span<float> output)
    {
        if (HasHead)
        {
            LayerKernels.Linear(parameters.Slice(HeadOffset), Width, O, true, top, output);
        }
        else
        {
            top.CopyTo(output);
        }
    }

    /// <summary>
    /// One direction of one layer over <paramref name="steps"/> steps (the reverse direction from the last step to the
    /// first), writing each step's h into its half of the layer's output row, recording each step when a tape is given.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void RunDirection(ReadOnlySpan<float> parameters, int layer, int direction, ReadOnlySpan<float> input, int inputStride, int steps,
        Span<float> output, int outputStride, Span<float> state, Span<float> tape, int tapeStride, Span<float> scratch)
    {
        int inSize = LayerInput(layer);
        int recordOffset = RecordOffset(layer, direction);
        for (int s = 0; s < steps; s++)
        {
            int t = direction == 0 ? s : steps - 1 - s;
            Span<float> record = tape.IsEmpty ? default : tape.Slice((t * tapeStride) + recordOffset, DirectionTape);
            CellStep(parameters, layer, direction, input.Slice(t * inputStride, inSize), state, record, scratch);
            state.Slice(0, R).CopyTo(output.Slice((t * outputStride) + (direction * R), R));
        }
    }

    /// <summary>
    /// One cell update of one layer and direction, in place on <paramref name="state"/> (h, then c). With a
    /// <paramref name="record"/>, first records h and c before the step, then the activated gates, the extra vector the
    /// backward step reads (the GRU's <c>W_hn h + b_hn</c>, the LSTM's tanh(c')) and, with a projection, <c>o ⊙ tanh(c')</c>.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void CellStep(ReadOnlySpan<float> parameters, int layer, int direction, ReadOnlySpan<float> x, Span<float> state,
        Span<float> record, Span<float> scratch)
    {
        int inSize = LayerInput(layer);
        int gh = GH;
        int bias = TShape.Bias ? gh : 0;
        ReadOnlySpan<float> w = parameters.Slice(DirectionOffset(layer, direction), DirectionParameters(layer));
        ReadOnlySpan<float> wih = w.Slice(0, gh * inSize);
        ReadOnlySpan<float> whh = w.Slice(gh * inSize, gh * R);
        ReadOnlySpan<float> bih = w.Slice(gh * (inSize + R), bias);
        ReadOnlySpan<float> bhh = w.Slice((gh * (inSize + R)) + bias, bias);
        Span<float> h = state.Slice(0, R);
        if (!record.IsEmpty)
        {
            state.CopyTo(record);
        }

        Span<float> y = scratch.Slice(0, (NetworkArithmetic.Gates(TShape.Cell) + 1) * H);
        if (TShape.Cell == Cell.Gru)
        {
            // The layout CellUpdate.Gru takes: [n_x | r | z | n_h], the reset gate scaling only the hidden part of n.
            VectorMath.Project(whh.Slice(0, 2 * H * R), 2 * H, R, h, bhh, y.Slice(H, 2 * H), TShape.Bias, accumulate: false);
            VectorMath.Project(wih.Slice(0, 2 * H * inSize), 2 * H, inSize, x, bih, y.Slice(H, 2 * H), TShape.Bias, accumulate: true);
            VectorMath.Project(wih.Slice(2 * H * inSize), H, inSize, x, TShape.Bias ? bih.Slice(2 * H) : default, y.Slice(0, H), TShape.Bias, accumulate: false);
            VectorMath.Project(whh.Slice(2 * H * R), H, R, h, TShape.Bias ? bhh.Slice(2 * H) : default, y.Slice(3 * H, H), TShape.Bias, accumulate: false);
        }
        else
        {
            VectorMath.Project(whh, gh, R, h, bhh, y.Slice(0, gh), TShape.Bias, accumulate: false);
            VectorMath.Project(wih, gh, inSize, x, bih, y.Slice(0, gh), TShape.Bias, accumulate: true);
        }

        Span<float> m = P > 0 ? scratch.Slice(y.Length, H) : h;
        Activate(y, m, IsLstm ? state.Slice(R, H) : default);
        if (P > 0)
        {
            ReadOnlySpan<float> whr = w.Slice((gh * (inSize + R)) + (2 * bias), P * H);
            VectorMath.Project(whr, P, H, m, default, h, hasBias: false, accumulate: false);
        }

        if (!record.IsEmpty)
        {
            Span<float> gates = record.Slice(StatePerDirection, gh);
            if (TShape.Cell == Cell.Gru)
            {
                y.Slice(H, 2 * H).CopyTo(gates);
                y.Slice(0, H).CopyTo(gates.Slice(2 * H, H));
                y.Slice(3 * H, H).CopyTo(record.Slice(StatePerDirection + gh, H));
            }
            else
            {
                y.Slice(0, gh).CopyTo(gates);
                if (IsLstm)
                {
                    y.Slice(gh, H).CopyTo(record.Slice(StatePerDirection + gh, H));
                    if (P > 0)
                    {
                        m.CopyTo(record.Slice(StatePerDirection + gh + H, H));
                    }
                }
            }
        }
    }

    /// <summary>The vector width the hidden size fills: 16, 8, 4 or 1 floats (as the main engine chooses it).</summary>
    private static int Lanes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => NetworkArithmetic.Lanes(H, Path512.Emulated || Vector512.IsHardwareAccelerated, Vector256.IsHardwareAccelerated, Vector128.IsHardwareAccelerated);
    }

    /// <summary>The element-wise half of the step: activations and state update; h (or the LSTM's unprojected h) into <paramref name="h"/>.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void Activate(Span<float> y, Span<float> h, Span<float> c)
    {
        switch (Lanes)
        {
            case 16: Activate<Simd512>(y, h, c); break;
            case 8: Activate<Simd256>(y, h, c); break;
            case 4: Activate<Simd128>(y, h, c); break;
            default: Activate<Simd1>(y, h, c); break;
        }
    }

    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void Activate<TVec>(Span<float> y, Span<float> h, Span<float> c)
        where TVec : struct, ISimd<TVec>
    {
        ref float ry = ref MemoryMarshal.GetReference(y);
        ref float rh = ref MemoryMarshal.GetReference(h);
        if (TShape.Cell == Cell.Gru)
        {
            CellUpdate.Gru<TVec>(ref ry, H, ref rh, H);
        }
        else if (TShape.Cell == Cell.Lstm)
        {
            CellUpdate.Lstm<TVec>(ref ry, H, ref rh, ref MemoryMarshal.GetReference(c), H);
        }
        else
        {
            CellUpdate.Rnn<TVec>(ref ry, ref rh, H, TShape.Nonlinearity == Nonlinearity.Relu);
        }
    }

    /// <summary>
    /// Forward with recording, loss, then the backward sweep, for one sequence (its steps <paramref name="inputStride"/>
    /// apart in <paramref name="inputs"/>). Returns the summed loss.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static double Sequence(ReadOnlySpan<float> parameters, Span<float> gradients, Span<float> state,
        ReadOnlySpan<float> inputs, int inputStart, int inputStride, int steps, int warmUp,
        ReadOnlySpan<float> targets, int targetStart, int targetStride, Loss loss, CrossEntropyOptions? crossEntropy, LossOn on, float scale, Span<float> tape, Span<float> work,
        DropoutMask dropout, int sequence, Span<float> initialGradients)
    {
        Span<float> scratch = stackalloc float[ScratchLength];
        for (int t = 0; t < warmUp; t++)
        {
            Advance(parameters, state, inputs.Slice(inputStart + (t * inputStride), I), scratch);
        }

        int n = steps - warmUp;
        int stride = TapeStride;
        for (int s = 0; s < n; s++)
        {
            inputs.Slice(inputStart + ((warmUp + s) * inputStride), I).CopyTo(tape.Slice((s * stride) + InputOffset, I));
        }

        for (int layer = 0; layer < L; layer++)
        {
            int inputOffset = layer == 0 ? InputOffset : LayerOutputOffset(layer - 1);
            for (int direction = 0; direction < D; direction++)
            {
                RunDirection(parameters, layer, direction, tape.Slice(inputOffset), stride, n, tape.Slice(LayerOutputOffset(layer)), stride,
                    DirectionState(state, layer, direction), tape, stride, scratch);
            }

            if (HasDropout && layer < L - 1)
            {
                // Training mode: the layer's whole output row ([forward, reverse] h) reaches the layer above through the
                // mask, in place on the tape, which then holds the upper layer's input as it read it.
                for (int s = 0; s < n; s++)
                {
                    Span<float> row = tape.Slice((s * stride) + LayerOutputOffset(layer), Width);
                    dropout.Apply(sequence, s, layer, L - 1, row, row);
                }
            }
        }

        int width = LossFunctions.TargetWidth(loss, O);
        double sum = 0;
        for (int s = 0; s < n; s++)
        {
            Span<float> output = tape.Slice((s * stride) + OutputOffset, O);
            Head(parameters, tape.Slice((s * stride) + LayerOutputOffset(L - 1), Width), output);
            if (on == LossOn.AllSteps)
            {
                sum += LossFunctions.Apply(loss, crossEntropy, output, targets.Slice(targetStart + (s * targetStride), width), scale);
            }
            else if (s == n - 1)
            {
                sum += LossFunctions.Apply(loss, crossEntropy, output, targets.Slice(targetStart, width), scale);
            }
            else
            {
                output.Clear();
            }
        }

        Sweep(parameters, gradients, tape, n, work, dropout, sequence, initialGradients);
        return sum;
    }

    /// <summary>
    /// Training inside a layer stack, forward half: runs <paramref name="inputs"/> (<c>[n, InputSize]</c>, n at most
    /// Window) from <paramref name="state"/> layer by layer, recording every step on <paramref name="tape"/>
    /// (<see cref="TapeLength"/> floats), writes the top layer's <c>[forward, reverse]</c> h per step to
    /// <paramref name="outputs"/> (<c>[n, OutputSize]</c>) and leaves the state at PyTorch's <c>h_n</c>. A stack's
    /// recurrent layer has no head (its shape's OutputSize is 0); the generated stack checks every length before it calls.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Record(ReadOnlySpan<float> parameters, Span<float> state, ReadOnlySpan<float> inputs, Span<float> outputs, Span<float> tape) =>
        Record(parameters, state, inputs, outputs, tape, default, 0);

    /// <summary>
    /// <see cref="Record(ReadOnlySpan{float}, Span{float}, ReadOnlySpan{float}, Span{float}, Span{float})"/> for a layer with
    /// <c>Dropout</c>: the masks of <paramref name="dropout"/> (<see cref="NextDropout"/>) for sequence
    /// <paramref name="sequence"/> of the batch, applied between the stacked layers as the one-attribute model applies them;
    /// the matching Sweep needs the same two.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Record(ReadOnlySpan<float> parameters, Span<float> state, ReadOnlySpan<float> inputs, Span<float> outputs, Span<float> tape,
        DropoutMask dropout, int sequence)
    {
        int n = inputs.Length / I;
        int stride = TapeStride;
        Span<float> scratch = stackalloc float[ScratchLength];
        for (int s = 0; s < n; s++)
        {
            inputs.Slice(s * I, I).CopyTo(tape.Slice((s * stride) + InputOffset, I));
        }

        for (int layer = 0; layer < L; layer++)
        {
            int inputOffset = layer == 0 ? InputOffset : LayerOutputOffset(layer - 1);
            for (int direction = 0; direction < D; direction++)
            {
                RunDirection(parameters, layer, direction, tape.Slice(inputOffset), stride, n, tape.Slice(LayerOutputOffset(layer)), stride,
                    DirectionState(state, layer, direction), tape, stride, scratch);
            }

            if (HasDropout && layer < L - 1)
            {
                for (int s = 0; s < n; s++)
                {
                    Span<float> row = tape.Slice((s * stride) + LayerOutputOffset(layer), Width);
                    dropout.Apply(sequence, s, layer, L - 1, row, row);
                }
            }
        }

        for (int s = 0; s < n; s++)
        {
            Head(parameters, tape.Slice((s * stride) + LayerOutputOffset(L - 1), Width), outputs.Slice(s * O, O));
        }
    }

    /// <summary>
    /// Training inside a layer stack, backward half of <see cref="Record(ReadOnlySpan{float}, Span{float}, ReadOnlySpan{float}, Span{float}, Span{float})"/>: given dLoss/dOutput per recorded step
    /// (<c>[n, OutputSize]</c>), adds this layer's gradients into <paramref name="gradients"/> (its own slice of the
    /// stack's) and, unless <paramref name="dInputs"/> is empty (the bottom layer), writes dLoss/dInput per step
    /// (<c>[n, InputSize]</c>). <paramref name="work"/> is <see cref="WorkLength"/> floats.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Sweep(ReadOnlySpan<float> parameters, Span<float> gradients, Span<float> tape, ReadOnlySpan<float> dOutputs,
        Span<float> dInputs, Span<float> work) =>
        Sweep(parameters, gradients, tape, dOutputs, dInputs, work, default, 0, default);

    /// <summary>
    /// The backward half for a layer with <c>Dropout</c> or <c>LearnInitialState</c>: the masks the forward half recorded
    /// with, and, unless <paramref name="initialGradients"/> is empty, dLoss/d(initial state) added into it
    /// (<see cref="InitialState"/>'s layout: h0 rows, then c0 rows for the LSTM).
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Sweep(ReadOnlySpan<float> parameters, Span<float> gradients, Span<float> tape, ReadOnlySpan<float> dOutputs,
        Span<float> dInputs, Span<float> work, DropoutMask dropout, int sequence, Span<float> initialGradients)
    {
        int n = dOutputs.Length / O;
        for (int s = 0; s < n; s++)
        {
            dOutputs.Slice(s * O, O).CopyTo(tape.Slice((s * TapeStride) + OutputOffset, O));
        }

        Sweep(parameters, gradients, tape, n, work, dropout, sequence, initialGradients, dInputs);
    }

    /// <summary>
    /// The backward sweep of a recorded sequence: the head, then each layer from the top, each direction against its own
    /// time order (the forward direction from the last step, the reverse from the first), dLoss/dh of each step's output
    /// row plus the carry from the step processed after it; with dropout, the gradient into a layer's input goes back
    /// through the mask its output went through. dh and dc flowing out of the sequence's start are added into
    /// <paramref name="initialGradients"/> when it is not empty (a learned initial state), and dropped otherwise: the
    /// starting state is then a constant (truncated BPTT). dLoss/dInput (<c>[n, InputSize]</c>) is written to
    /// <paramref name="dx"/> unless it is empty.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void Sweep(ReadOnlySpan<float> parameters, Span<float> gradients, Span<float> tape, int n, Span<float> work,
        DropoutMask dropout, int sequence, Span<float> initialGradients, Span<float> dx = default)
    {
        int stride = TapeStride;
        int rows = TShape.Window * Width;
        Span<float> dOutputs = work.Slice(0, rows);
        Span<float> dInputs = work.Slice(rows, rows);
        Span<float> cellWork = work.Slice(2 * rows);
        for (int s = 0; s < n; s++)
        {
            Span<float> dy = tape.Slice((s * stride) + OutputOffset, O);
            Span<float> dTop = dOutputs.Slice(s * Width, Width);
            if (HasHead)
            {
                ReadOnlySpan<float> top = tape.Slice((s * stride) + LayerOutputOffset(L - 1), Width);
                int weights = O * Width;
                VectorMath.Add(dy, gradients.Slice(HeadOffset + weights, O));
                VectorMath.OuterAdd(dy, top, gradients.Slice(HeadOffset, weights));
                dTop.Clear();
                VectorMath.TransposedAdd(parameters.Slice(HeadOffset, weights), dy, dTop);
            }
            else
            {
                dy.CopyTo(dTop);
            }
        }

        for (int layer = L - 1; layer >= 0; layer--)
        {
            Span<float> dLayerInputs = layer > 0 ? dInputs.Slice(0, n * Width) : dx.IsEmpty ? default : dx.Slice(0, n * I);
            dLayerInputs.Clear();
            int inputOffset = layer == 0 ? InputOffset : LayerOutputOffset(layer - 1);
            for (int direction = 0; direction < D; direction++)
            {
                SweepDirection(parameters, gradients, layer, direction, tape, inputOffset, n, dOutputs, dLayerInputs, cellWork, initialGradients);
            }

            if (HasDropout && layer > 0)
            {
                // The gradient into the layer below went through the forward pass's mask.
                for (int t = 0; t < n; t++)
                {
                    Span<float> row = dInputs.Slice(t * Width, Width);
                    dropout.Apply(sequence, t, layer - 1, L - 1, row, row);
                }
            }

            Span<float> swap = dOutputs;
            dOutputs = dInputs;
            dInputs = swap;
        }
    }

    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void SweepDirection(ReadOnlySpan<float> parameters, Span<float> gradients, int layer, int direction, ReadOnlySpan<float> tape,
        int inputOffset, int n, ReadOnlySpan<float> dOutputs, Span<float> dInputs, Span<float> cellWork, Span<float> initialGradients)
    {
        int stride = TapeStride;
        int inSize = LayerInput(layer);
        int offset = DirectionOffset(layer, direction);
        int length = DirectionParameters(layer);
        ReadOnlySpan<float> w = parameters.Slice(offset, length);
        Span<float> g = gradients.Slice(offset, length);
        Span<float> carry = cellWork.Slice(0, R);
        Span<float> dh = cellWork.Slice(R, R);
        Span<float> dhPrevious = cellWork.Slice(2 * R, R);
        Span<float> dc = cellWork.Slice(3 * R, H);
        Span<float> rest = cellWork.Slice((3 * R) + H);
        carry.Clear();
        dc.Clear();
        for (int s = 0; s < n; s++)
        {
            int t = direction == 0 ? n - 1 - s : s;
            carry.CopyTo(dh);
            VectorMath.Add(dOutputs.Slice((t * Width) + (direction * R), R), dh);
            CellBack(w, g, inSize, tape.Slice((t * stride) + inputOffset, inSize), tape.Slice((t * stride) + RecordOffset(layer, direction), DirectionTape),
                dh, dc, dhPrevious, dInputs.IsEmpty ? default : dInputs.Slice(t * inSize, inSize), rest);
            dhPrevious.CopyTo(carry);
        }

        if (!initialGradients.IsEmpty)
        {
            // What flows out of the sequence's start (before step 0 forwards, before the last step in reverse) is the
            // gradient of this row's initial h (and c): a learned initial state's.
            int row = (layer * D) + direction;
            VectorMath.Add(carry, initialGradients.Slice(row * R, R));
            if (IsLstm)
            {
                VectorMath.Add(dc, initialGradients.Slice((L * D * R) + (row * H), H));
            }
        }
    }

    /// <summary>
    /// One cell's backward step from its record: in, dLoss/dh' (<paramref name="dh"/>) and the cell gradient carried from
    /// the future (<paramref name="dc"/>, updated to the past's); out, dLoss/dh before the step
    /// (<paramref name="dhPrevious"/>), dLoss/dx added into <paramref name="dx"/> unless it is empty, and every parameter
    /// gradient of this direction added into <paramref name="g"/>.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void CellBack(ReadOnlySpan<float> w, Span<float> g, int inSize, ReadOnlySpan<float> x, ReadOnlySpan<float> record,
        Span<float> dh, Span<float> dc, Span<float> dhPrevious, Span<float> dx, Span<float> work)
    {
        int gh = GH;
        int bias = TShape.Bias ? gh : 0;
        Span<float> dpi = work.Slice(0, gh);
        Span<float> dph = TShape.Cell == Cell.Gru ? work.Slice(gh, gh) : dpi;
        Span<float> dhDirect = work.Slice(2 * gh, H);
        Span<float> d = dh;
        if (P > 0)
        {
            // h = W_hr m: dW_hr += dh mᵀ, and dLoss/dm = W_hrᵀ dh is what the LSTM cell sees as its dh.
            int whr = (gh * (inSize + R)) + (2 * bias);
            ReadOnlySpan<float> m = record.Slice(StatePerDirection + gh + H, H);
            VectorMath.OuterAdd(dh, m, g.Slice(whr, P * H));
            d = work.Slice((2 * gh) + H, H);
            d.Clear();
            VectorMath.TransposedAdd(w.Slice(whr, P * H), dh, d);
        }

        CellGradients(record, d, dc, dpi, dph, dhDirect);
        if (TShape.Cell == Cell.Gru)
        {
            dhDirect.CopyTo(dhPrevious);
        }
        else
        {
            dhPrevious.Clear();
        }

        ReadOnlySpan<float> hPrevious = record.Slice(0, R);
        VectorMath.TransposedAdd(w.Slice(gh * inSize, gh * R), dph, dhPrevious);
        if (!dx.IsEmpty)
        {
            VectorMath.TransposedAdd(w.Slice(0, gh * inSize), dpi, dx);
        }

        VectorMath.OuterAdd(dpi, x, g.Slice(0, gh * inSize));
        VectorMath.OuterAdd(dph, hPrevious, g.Slice(gh * inSize, gh * R));
        if (TShape.Bias)
        {
            VectorMath.Add(dpi, g.Slice(gh * (inSize + R), gh));
            VectorMath.Add(dph, g.Slice((gh * (inSize + R)) + gh, gh));
        }
    }

    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void CellGradients(ReadOnlySpan<float> record, Span<float> d, Span<float> dc, Span<float> dpi, Span<float> dph, Span<float> dhDirect)
    {
        switch (Lanes)
        {
            case 16: CellGradients<Simd512>(record, d, dc, dpi, dph, dhDirect); break;
            case 8: CellGradients<Simd256>(record, d, dc, dpi, dph, dhDirect); break;
            case 4: CellGradients<Simd128>(record, d, dc, dpi, dph, dhDirect); break;
            default: CellGradients<Simd1>(record, d, dc, dpi, dph, dhDirect); break;
        }
    }

    /// <summary>dLoss/d(pre-activations) from the record (h and c before, gates, extra) and dLoss/dh' (the LSTM's unprojected h').</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    private static void CellGradients<TVec>(ReadOnlySpan<float> record, Span<float> d, Span<float> dc, Span<float> dpi, Span<float> dph, Span<float> dhDirect)
        where TVec : struct, ISimd<TVec>
    {
        ref float gates = ref MemoryMarshal.GetReference(record.Slice(StatePerDirection));
        ref float extra = ref MemoryMarshal.GetReference(record.Slice(StatePerDirection + GH));
        ref float rd = ref MemoryMarshal.GetReference(d);
        ref float rdpi = ref MemoryMarshal.GetReference(dpi);
        if (TShape.Cell == Cell.Gru)
        {
            CellGradient.Gru<TVec>(ref gates, ref extra, ref MemoryMarshal.GetReference(record), ref rd, ref rdpi,
                ref MemoryMarshal.GetReference(dph), ref MemoryMarshal.GetReference(dhDirect), H);
        }
        else if (TShape.Cell == Cell.Lstm)
        {
            CellGradient.Lstm<TVec>(ref gates, ref extra, ref MemoryMarshal.GetReference(record.Slice(R)), ref rd, ref MemoryMarshal.GetReference(dc), ref rdpi, H);
        }
        else
        {
            CellGradient.Rnn<TVec>(ref gates, ref rd, ref rdpi, H, TShape.Nonlinearity == Nonlinearity.Relu);
        }
    }
}
