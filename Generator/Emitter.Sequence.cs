using System.Linq;
using Fixed.Generator.Model;
using Fixed.Generator.Shared;

namespace Fixed.Generator;

/// <summary>
/// A model with <c>ProjSize</c> or <c>Bidirectional</c>: the same public surface as any one-attribute model, calling the
/// runtime's <c>SequenceEngine</c> (which reads <c>Parameters</c> in PyTorch's layout: no packed copy, so the flat weights
/// are a plain array). A bidirectional model has no <c>Step</c>/<c>WarmUp</c> and no many-stream members (its reverse
/// direction needs the whole sequence) and implements <c>IParameters</c> rather than <c>IRecurrentModel</c>, whose
/// members include <c>Step</c>.
/// </summary>
internal static partial class Emitter
{
    private const string SequenceEngine = "global::Fixed.Engine.SequenceEngine<FixedShape>";

    private static string EmitSequence(ModelToEmit model)
    {
        NetworkSpec spec = model.Spec;
        string name = Identifier(spec.ClassName);
        var w = new CodeWriter();
        WriteHeader(w, spec, model.Weights);
        WriteClass(w, spec, () =>
        {
            WriteConstants(w, spec);
            WriteSequenceFields(w, spec, model.Weights is not null);
            if (!spec.Bidirectional)
            {
                WriteInterfaceStatics(w, spec);
                w.Line("static global::System.ReadOnlySpan<global::Fixed.ParameterInfo> global::Fixed.IRecurrentModel<" + name + ">.StateLayout => s_stateLayout;");
                w.Line();
            }

            WriteSequenceInference(w, spec.Bidirectional);
            WriteSequenceTraining(w, spec.Bidirectional, spec.LearnInitialState, spec.Dropout > 0);
            if (spec.Dropout > 0)
            {
                WriteDropoutSeed(w, "_dropout.Seed");
            }

            WriteSequenceWeightsIO(w);
            WriteSequenceState(w, spec);
            WriteShapeStruct(w, "private", "FixedShape", "This network's sizes as constants: the runtime engine is specialised for them by the JIT.",
                spec.InputSize, spec.HiddenSize, spec.NumLayers, spec.OutputSize, spec.Cell, spec.Relu, spec.Bias, spec.Window, spec.WeightPrecision,
                spec.ProjSize, spec.Bidirectional, spec.Dropout);
            if (model.Weights is { } weights)
            {
                WriteEmbeddedWeights(w, spec, weights);
            }
        }, spec.Bidirectional ? "global::Fixed.IParameters" : null);
        return w.ToString();
    }

    private static void WriteSequenceFields(CodeWriter w, NetworkSpec spec, bool embedded)
    {
        w.Line("private static readonly global::Fixed.ParameterInfo[] s_layout =");
        w.Line("[");
        foreach ((string tensor, long offset, int[] shape) in Tensors(spec))
        {
            w.Line("    new(\"" + tensor + "\", " + Int(offset) + ", new int[] { " + string.Join(", ", shape.Select(s => Int(s))) + " }),");
        }

        w.Line("];");
        w.Line();

        // PyTorch's h_0 / c_0 rows in order: layer × directions + direction.
        w.Line("private static readonly global::Fixed.ParameterInfo[] s_stateLayout =");
        w.Line("[");
        long at = 0;
        for (int layer = 0; layer < spec.NumLayers; layer++)
        {
            for (int direction = 0; direction < spec.Directions; direction++)
            {
                string suffix = Int(layer) + (direction == 1 ? "_reverse" : string.Empty);
                w.Line("    new(\"rnn.h_l" + suffix + "\", " + Int(at) + ", new int[] { " + Int(spec.HiddenOut) + " }),");
                at += spec.HiddenOut;
                if (spec.Cell == Cell.Lstm)
                {
                    w.Line("    new(\"rnn.c_l" + suffix + "\", " + Int(at) + ", new int[] { " + Int(spec.HiddenSize) + " }),");
                    at += spec.HiddenSize;
                }
            }
        }

        w.Line("];");
        w.Line();
        w.Line("// The source of truth, read in place by the engine (it keeps no packed copy).");
        w.Line("// The flat weights (Parameters), from a 64-byte boundary: the sequence engine's kernels read them in place.");
        w.Line("private readonly global::Fixed.Engine.AlignedBuffer _parameters = new(ParameterCount);");
        w.Line("// Allocated by the first use (Gradients, Backward, an optimizer): an inference-only model holds no gradients.");
        w.Line("private global::Fixed.Engine.AlignedBuffer? _gradients;");
        w.Line("private global::Fixed.Engine.AlignedBuffer? _tape;");
        w.Line("private global::Fixed.Engine.AlignedBuffer? _work;");
        w.Line("private global::Fixed.CrossEntropyOptions? _crossEntropy;");
        if (spec.Dropout > 0)
        {
            w.Line("private readonly global::Fixed.Engine.DropoutStream _dropout = new();");
        }

        w.Line();
        if (spec.LearnInitialState)
        {
            WriteSequenceLearnedState(w, spec);
        }

        if (embedded)
        {
            WriteEmbeddedConstructor(w, spec, "_parameters.Span");
        }
        else
        {
            w.Lines($$"""
                /// <summary>Creates the network with PyTorch's default initialisation and Fixed's default seed.</summary>
                public {{Identifier(spec.ClassName)}}()
                    : this(global::Fixed.Engine.ParameterInitializer.DefaultSeed)
                {
                }

                """);
        }

        w.Lines($$"""
            /// <summary>
            /// Creates the network with PyTorch's default initialisation distribution, drawn from <paramref name="seed"/>:
            /// the same seed gives bit-identical weights.
            /// </summary>
            public {{Identifier(spec.ClassName)}}(int seed)
            {
                {{SequenceEngine}}.Initialize({{(spec.LearnInitialState ? "_parameters.Span.Slice(0, InitialStateOffset)" : "_parameters.Span")}}, seed);
            }

            /// <summary>
            /// Every weight and bias{{(spec.LearnInitialState ? ", then the learned initial state" : string.Empty)}}, flat, in state_dict order and PyTorch layout: the source of truth, which every call reads
            /// directly (this model keeps no packed copy).
            /// </summary>
            public {{Span}} Parameters => _parameters.Span;

            /// <summary><see cref="Parameters"/> for reading only.</summary>
            public {{ReadOnlySpan}} ParameterValues => _parameters.Span;

            /// <summary>The gradients Backward accumulates, same length and layout as <see cref="Parameters"/>; allocated by their first use, so a model that only infers holds none.</summary>
            public {{Span}} Gradients =>
                (_gradients ?? global::System.Threading.Interlocked.CompareExchange(ref _gradients, new global::Fixed.Engine.AlignedBuffer(ParameterCount), null) ?? _gradients).Span;

            /// <summary>Each tensor's state_dict name, offset in <see cref="Parameters"/> and shape.</summary>
            public static global::System.ReadOnlySpan<global::Fixed.ParameterInfo> Layout => s_layout;

            /// <summary>
            /// Where each layer's and direction's h (and c) sits in <see cref="State.Values"/>: <c>rnn.h_l{k}</c> (and
            /// <c>rnn.h_l{k}_reverse</c>), in the order of PyTorch's <c>h_0</c> rows.
            /// </summary>
            public static global::System.ReadOnlySpan<global::Fixed.ParameterInfo> StateLayout => s_stateLayout;

            """);
    }

    private static void WriteSequenceInference(CodeWriter w, bool bidirectional)
    {
        if (!bidirectional)
        {
            w.Lines($$"""
                /// <summary>One time step: advances <paramref name="state"/> and writes <see cref="OutputSize"/> outputs. Allocates nothing; safe on many threads, each with its own state.</summary>
                public void Step(ref State state, {{ReadOnlySpan}} input, {{Span}} output) => {{SequenceEngine}}.Step(_parameters.Span, state.Values, input, output);

                /// <summary>One time step on a state given as <see cref="StateLength"/> floats.</summary>
                public void Step({{Span}} state, {{ReadOnlySpan}} input, {{Span}} output) => {{SequenceEngine}}.Step(_parameters.Span, state, input, output);

                /// <summary>
                /// One time step of <c>N = states.Length</c> independent streams, each advancing exactly as
                /// <c>Step(ref states[i], ...)</c> would: <c>[N, InputSize]</c> in, <c>[N, OutputSize]</c> out, stream-major. Allocates nothing.
                /// </summary>
                public void Step(global::System.Span<State> states, {{ReadOnlySpan}} inputs, {{Span}} outputs) =>
                    {{SequenceEngine}}.Step(_parameters.Span, global::System.Runtime.InteropServices.MemoryMarshal.Cast<State, float>(states), inputs, outputs, states.Length);

                /// <summary>T time steps of <c>N = states.Length</c> streams: <c>[T, N, InputSize]</c> in, <c>[T, N, OutputSize]</c> out.</summary>
                public void Forward(global::System.Span<State> states, {{ReadOnlySpan}} inputs, {{Span}} outputs) =>
                    {{SequenceEngine}}.Forward(_parameters.Span, global::System.Runtime.InteropServices.MemoryMarshal.Cast<State, float>(states), inputs, outputs, states.Length);

                /// <summary>Advances the state over <c>[T, InputSize]</c> inputs: no outputs, no gradient.</summary>
                public void WarmUp(ref State state, {{ReadOnlySpan}} inputs) => {{SequenceEngine}}.WarmUp(_parameters.Span, state.Values, inputs);

                /// <summary>Advances a state given as <see cref="StateLength"/> floats.</summary>
                public void WarmUp({{Span}} state, {{ReadOnlySpan}} inputs) => {{SequenceEngine}}.WarmUp(_parameters.Span, state, inputs);

                """);
        }

        string forwardDoc = bidirectional
            ? """
                /// <summary>
                /// The whole sequence: <c>[T, InputSize]</c> in, <c>[T, OutputSize]</c> out, each step's top output <c>[forward, reverse]</c>
                /// (through the head, if any). <paramref name="state"/> holds every layer's and direction's initial h (and c), PyTorch's
                /// <c>h_0</c>, and is left holding the final ones, PyTorch's <c>h_n</c>. There is no Step: the reverse direction
                /// starts at the last step. Allocates nothing once the shared array pool holds its two <c>[T, 2·h]</c> buffers; safe on many threads.
                /// </summary>
                """
            : "/// <summary>T time steps: <c>[T, InputSize]</c> in, <c>[T, OutputSize]</c> out; the state is carried along.</summary>";
        w.Lines($$"""
            {{forwardDoc}}
            public void Forward(ref State state, {{ReadOnlySpan}} inputs, {{Span}} outputs) => {{SequenceEngine}}.Forward(_parameters.Span, state.Values, inputs, outputs);

            /// <summary>Forward on a state given as <see cref="StateLength"/> floats.</summary>
            public void Forward({{Span}} state, {{ReadOnlySpan}} inputs, {{Span}} outputs) => {{SequenceEngine}}.Forward(_parameters.Span, state, inputs, outputs);

            """);
    }

    private static void WriteSequenceTraining(CodeWriter w, bool bidirectional, bool learned, bool dropout)
    {
        // The model's options, as the engine's overloads take them: its dropout stream (null: none) and its learned initial state.
        string stream = dropout ? "_dropout" : "null";
        string initial = learned ? "_parameters.Span.Slice(InitialStateOffset, StateLength)" : "default";
        string initialGradients = learned ? "Gradients.Slice(InitialStateOffset, StateLength)" : "default";
        string options = dropout || learned ? ", " + stream + ", " + initial + ", " + initialGradients : string.Empty;
        string evaluateOptions = learned ? ", " + initial : string.Empty;
        string from = learned ? "each from the learned initial state (h0 gets their summed gradient when warmUp is 0)" : "each from the zero state";
        const string Loss = "global::Fixed.Loss loss = global::Fixed.Loss.Mse, global::Fixed.LossOn on = global::Fixed.LossOn.AllSteps, int warmUp = 0";
        const string Lengths = "global::System.ReadOnlySpan<int> lengths, global::Fixed.Loss loss = global::Fixed.Loss.Mse, " +
            "global::Fixed.LossOn on = global::Fixed.LossOn.LastStep, global::Fixed.SequenceLayout layout = global::Fixed.SequenceLayout.BatchFirst";
        string warmUpText = bidirectional
            ? "<paramref name=\"warmUp\"/> must be 0: the reverse direction reads every step."
            : "The first <paramref name=\"warmUp\"/> steps only advance the state.";
        w.Lines($$"""
            /// <summary>
            /// Truncated BPTT over one sequence (<c>[T, InputSize]</c>, T at most <see cref="Window"/>) from <paramref name="state"/>,
            /// which is treated as a constant: adds the gradients into <see cref="Gradients"/>, leaves the state at the
            /// sequence end and returns the loss. {{warmUpText}}
            /// Not thread-safe: the tape belongs to the model.
            /// </summary>
            {{SingleTargetsDoc}}
            public float Backward(ref State state, {{ReadOnlySpan}} inputs, {{ReadOnlySpan}} targets, {{Loss}}) =>
                {{SequenceEngine}}.Backward(_parameters.Span, Gradients, state.Values, inputs, targets, loss, on, warmUp, Tape, Work, _crossEntropy{{(dropout ? ", _dropout" : string.Empty)}});

            /// <summary>Single-sequence Backward on a state given as <see cref="StateLength"/> floats.</summary>
            public float Backward({{Span}} state, {{ReadOnlySpan}} inputs, {{ReadOnlySpan}} targets, {{Loss}}) =>
                {{SequenceEngine}}.Backward(_parameters.Span, Gradients, state, inputs, targets, loss, on, warmUp, Tape, Work, _crossEntropy{{(dropout ? ", _dropout" : string.Empty)}});

            /// <summary>
            /// BPTT over <paramref name="batchSize"/> sequences, {{from}}, with the loss reduced by the mean
            /// over every element of the batch as PyTorch's losses do; adds the gradients and returns the loss.
            /// </summary>
            {{BatchedTargetsDoc}}
            public float Backward({{ReadOnlySpan}} inputs, {{ReadOnlySpan}} targets, int batchSize, global::Fixed.Loss loss = global::Fixed.Loss.Mse, global::Fixed.LossOn on = global::Fixed.LossOn.LastStep, int warmUp = 0, global::Fixed.SequenceLayout layout = global::Fixed.SequenceLayout.BatchFirst) =>
                {{SequenceEngine}}.Backward(_parameters.Span, Gradients, inputs, targets, batchSize, loss, on, warmUp, layout, Tape, Work, _crossEntropy{{options}});

            """);
        w.Lines($$"""
            {{EvaluateSingleDoc}}
            {{SingleTargetsDoc}}
            public float Evaluate(ref State state, {{ReadOnlySpan}} inputs, {{ReadOnlySpan}} targets, {{Loss}}) =>
                {{SequenceEngine}}.Evaluate(_parameters.Span, state.Values, inputs, targets, loss, on, warmUp, _crossEntropy);

            /// <summary>Single-sequence Evaluate on a state given as <see cref="StateLength"/> floats.</summary>
            public float Evaluate({{Span}} state, {{ReadOnlySpan}} inputs, {{ReadOnlySpan}} targets, {{Loss}}) =>
                {{SequenceEngine}}.Evaluate(_parameters.Span, state, inputs, targets, loss, on, warmUp, _crossEntropy);

            {{EvaluateBatchedDocFor(learned)}}
            {{BatchedTargetsDoc}}
            public float Evaluate({{ReadOnlySpan}} inputs, {{ReadOnlySpan}} targets, int batchSize, global::Fixed.Loss loss = global::Fixed.Loss.Mse, global::Fixed.LossOn on = global::Fixed.LossOn.LastStep, int warmUp = 0, global::Fixed.SequenceLayout layout = global::Fixed.SequenceLayout.BatchFirst) =>
                {{SequenceEngine}}.Evaluate(_parameters.Span, inputs, targets, batchSize, loss, on, warmUp, layout, _crossEntropy{{evaluateOptions}});

            {{LengthsBackwardDoc}}
            {{LengthsTargetsDoc}}
            public float Backward({{ReadOnlySpan}} inputs, {{ReadOnlySpan}} targets, {{Lengths}}) =>
                {{SequenceEngine}}.Backward(_parameters.Span, Gradients, inputs, targets, lengths, loss, on, layout, Tape, Work, _crossEntropy{{options}});

            {{LengthsEvaluateDoc}}
            {{LengthsTargetsDoc}}
            public float Evaluate({{ReadOnlySpan}} inputs, {{ReadOnlySpan}} targets, {{Lengths}}) =>
                {{SequenceEngine}}.Evaluate(_parameters.Span, inputs, targets, lengths, loss, on, layout, _crossEntropy{{evaluateOptions}});

            """);
        WriteGradientMembers(w);
        WriteCrossEntropyOptions(w, "_crossEntropy");
        w.Lines($$"""
            private {{Span}} Tape => (_tape ??= new global::Fixed.Engine.AlignedBuffer({{SequenceEngine}}.TapeLength)).Span;

            private {{Span}} Work => (_work ??= new global::Fixed.Engine.AlignedBuffer({{SequenceEngine}}.WorkLength)).Span;

            """);
    }

    /// <summary>
    /// <c>LearnInitialState</c>: h0 (PyTorch's <c>h_0</c> rows, <c>[NumLayers × directions, h]</c>), then c0 for the LSTM, after
    /// every weight in <c>Parameters</c>; <c>InitialState()</c> is a state filled from them.
    /// </summary>
    private static void WriteSequenceLearnedState(CodeWriter w, NetworkSpec spec)
    {
        bool lstm = spec.Cell == Cell.Lstm;
        int rows = spec.NumLayers * spec.Directions;
        w.Lines($$"""
            /// <summary>
            /// Where the learned initial state starts in <see cref="Parameters"/>, after every weight: h0 <c>[{{Int(rows)}}, {{Int(spec.HiddenOut)}}]</c>{{(lstm ? ", then c0 <c>[" + Int(rows) + ", " + Int(spec.HiddenSize) + "]</c>" : string.Empty)}},
            /// one row per layer{{(spec.Bidirectional ? " and direction (layer × 2 + direction)" : string.Empty)}} as PyTorch's <c>h_0</c>.
            /// </summary>
            private const int InitialStateOffset = {{Int(spec.WeightCount)}};

            /// <summary>
            /// A state filled from the learned initial state (h0{{(lstm ? " and c0" : string.Empty)}}{{(spec.Bidirectional ? ", both directions" : string.Empty)}}): where the batched Backward starts every sequence,
            /// so where {{(spec.Bidirectional ? "Forward should start a sequence" : "a stream should start at inference")}}. <c>default(State)</c> is still the zero state.
            /// </summary>
            public State InitialState()
            {
                State state = default;
                {{SequenceEngine}}.InitialState(_parameters.Span.Slice(InitialStateOffset, StateLength), state.Values);
                return state;
            }

            """);
    }

    private static void WriteSequenceWeightsIO(CodeWriter w) => w.Lines("""
            /// <summary>Loads safetensors weights with state_dict names <c>rnn.*</c> and <c>linear.*</c>; on any error the weights are unchanged.</summary>
            public void Load(string path) => global::Fixed.Engine.ModelWeights.Load(path, Layout, "rnn", "linear", _parameters.Span);

            /// <summary>Loads safetensors weights whose names start with the given prefixes (e.g. <c>encoder.rnn</c>).</summary>
            public void Load(string path, string rnnPrefix, string headPrefix) => global::Fixed.Engine.ModelWeights.Load(path, Layout, rnnPrefix, headPrefix, _parameters.Span);

            /// <summary>Loads safetensors weights from a stream.</summary>
            public void Load(global::System.IO.Stream stream) => global::Fixed.Engine.ModelWeights.Load(stream, Layout, "rnn", "linear", _parameters.Span);

            /// <summary>Saves the weights as safetensors with state_dict names, atomically (a temporary file renamed over the target).</summary>
            public void Save(string path) => global::Fixed.Engine.ModelWeights.Save(path, Layout, _parameters.Span);

            /// <summary>Saves the weights as safetensors to a stream.</summary>
            public void Save(global::System.IO.Stream stream) => global::Fixed.Engine.ModelWeights.Save(stream, Layout, _parameters.Span);

            """);

    private static void WriteSequenceState(CodeWriter w, NetworkSpec spec)
    {
        bool lstm = spec.Cell == Cell.Lstm;
        int rows = spec.NumLayers * spec.Directions;
        long perRow = SequenceArithmetic.StatePerDirection(spec.Cell, spec.HiddenSize, spec.ProjSize);
        // A bidirectional state's rows are PyTorch's h_0 rows (layer × 2 + direction); otherwise a row is a layer, as in every model.
        string row = spec.Bidirectional ? "row" : "layer";
        string rowText = spec.Bidirectional
            ? "<paramref name=\"row\"/> is PyTorch's <c>h_0</c> row: layer × 2 + direction (0 forward, 1 reverse)"
            : "<paramref name=\"layer\"/> is the layer (0 is the bottom layer)";
        w.Lines($$"""
            /// <summary>
            /// The recurrent state: h{{(lstm ? " and c" : string.Empty)}} of every layer{{(spec.Bidirectional ? " and direction" : string.Empty)}}, {{Int(spec.StateLength)}} floats in a value type with no
            /// references, so it lives on the caller's stack. <c>default</c> is the zero state (PyTorch's <c>h0 = 0</c>).
            /// h has {{Int(spec.HiddenOut)}} floats{{(spec.ProjSize > 0 ? " (ProjSize)" : string.Empty)}}{{(lstm ? ", c " + Int(spec.HiddenSize) : string.Empty)}}.
            /// </summary>
            public struct State
            {
                private Buffer _values;

                /// <summary>All {{Int(spec.StateLength)}} floats: per layer{{(spec.Bidirectional ? " and direction" : string.Empty)}}, h{{(lstm ? " then c" : string.Empty)}} (see <see cref="StateLayout"/>).</summary>
                [global::System.Diagnostics.CodeAnalysis.UnscopedRef]
                public {{Span}} Values => _values;

                /// <summary>The hidden state h of one row: {{rowText}}.</summary>
                [global::System.Diagnostics.CodeAnalysis.UnscopedRef]
                public {{Span}} Hidden(int {{row}}) => Values.Slice(CheckRow({{row}}) * {{Int(perRow)}}, {{Int(spec.HiddenOut)}});

            """);
        if (lstm)
        {
            w.Lines($$"""
                    /// <summary>The LSTM cell state c of one row: {{rowText}}.</summary>
                    [global::System.Diagnostics.CodeAnalysis.UnscopedRef]
                    public {{Span}} Cell(int {{row}}) => Values.Slice(CheckRow({{row}}) * {{Int(perRow)}} + {{Int(spec.HiddenOut)}}, HiddenSize);

                """);
        }

        if (spec.Bidirectional)
        {
            w.Lines($$"""
                    /// <summary>The hidden state h of <paramref name="layer"/> in <paramref name="direction"/> (0 forward, 1 reverse).</summary>
                    [global::System.Diagnostics.CodeAnalysis.UnscopedRef]
                    public {{Span}} Hidden(int layer, int direction) => Hidden(Row(layer, direction));

                """);
            if (lstm)
            {
                w.Lines($$"""
                        /// <summary>The LSTM cell state c of <paramref name="layer"/> in <paramref name="direction"/> (0 forward, 1 reverse).</summary>
                        [global::System.Diagnostics.CodeAnalysis.UnscopedRef]
                        public {{Span}} Cell(int layer, int direction) => Cell(Row(layer, direction));

                    """);
            }

            w.Lines($$"""
                    private static int Row(int layer, int direction)
                    {
                        if ((uint)layer >= NumLayers)
                        {
                            throw new global::System.ArgumentOutOfRangeException(nameof(layer), layer, "layer must be in [0, NumLayers - 1] = [0, {{Int(spec.NumLayers - 1)}}].");
                        }

                        if ((uint)direction > 1)
                        {
                            throw new global::System.ArgumentOutOfRangeException(nameof(direction), direction, "direction must be 0 (forward) or 1 (reverse).");
                        }

                        return layer * 2 + direction;
                    }

                """);
        }

        string rowRange = spec.Bidirectional ? "NumLayers × 2 - 1" : "NumLayers - 1";
        w.Lines($$"""
                /// <summary>Sets the state back to zero.</summary>
                public void Reset() => Values.Clear();

                private static int CheckRow(int {{row}}) =>
                    (uint){{row}} < {{Int(rows)}} ? {{row}} : throw new global::System.ArgumentOutOfRangeException(nameof({{row}}), {{row}}, "{{row}} must be in [0, {{rowRange}}] = [0, {{Int(rows - 1)}}].");

                [global::System.Runtime.CompilerServices.InlineArray(StateLength)]
                private struct Buffer
                {
                    private float _element;
                }
            }

            """);
    }
}
