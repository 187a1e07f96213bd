using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Fixed.Generator.Model;
using Fixed.Generator.Shared;

namespace Fixed.Generator;

/// <summary>
/// A layer stack's source: the same public surface as a one-layer model, with the network written out layer by layer —
/// each layer a call with its sizes, offsets and state slice as constants, in the order the attributes were written.
/// The recurrent layers run on the runtime engine specialised for each layer's own shape (a nested struct per layer);
/// Linear layers and activations call <c>LayerKernels</c>.
/// </summary>
internal static partial class Emitter
{
    private const string Kernels = "global::Fixed.Engine.LayerKernels";
    private const string Support = "global::Fixed.Engine.TrainingSupport";

    /// <summary>The attribute on a stack's inference and training methods: compiled optimized at the first call (no tier-0 code first).</summary>
    private const string OptimizedAtOnce = "[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]";

    /// <summary>Where one layer's numbers live: parameters, state, and the training buffers of its output.</summary>
    private sealed class Placed
    {
        public Placed(LayerSpec layer, int index)
        {
            Layer = layer;
            Index = index;
        }

        public LayerSpec Layer { get; }

        public int Index { get; }

        public long ParameterOffset { get; set; }

        public long StateOffset { get; set; }

        /// <summary>Where a recurrent layer's learned initial state (h0, then c0) starts in the parameters: after every layer's weights.</summary>
        public long LearnedOffset { get; set; }

        /// <summary>Offset of this layer's input sequence in the training activations, <c>[Window, InputSize]</c>.</summary>
        public long InputActivations { get; set; }

        /// <summary>Offset of this layer's output sequence in the training activations, <c>[Window, OutputSize]</c>.</summary>
        public long OutputActivations { get; set; }

        public string ShapeName => "Layer" + Int(Index);

        public string StoreName => "Store" + Int(Index);

        /// <summary>A recurrent layer on the packed engine, with its <c>ParameterStore</c> (not a ProjSize or Bidirectional one).</summary>
        public bool HasStore => Layer.IsRecurrent && !Layer.IsSequence;

        /// <summary>
        /// The runtime engine of a recurrent layer: <c>RecurrentEngine</c> (on its packed store), or for a layer with
        /// <c>ProjSize</c> or <c>Bidirectional</c> <c>SequenceEngine</c> (on its slice of the parameters, in PyTorch's layout).
        /// </summary>
        public string Engine => "global::Fixed.Engine." + (Layer.IsSequence ? "SequenceEngine<" : "RecurrentEngine<") + ShapeName + ">";

        /// <summary>Where a recurrent layer with Dropout draws its masks: its packed store, or a ProjSize or Bidirectional layer's own stream.</summary>
        public string DropoutStream => HasStore ? StoreName : "_dropout" + Int(Index);

        /// <summary>What a recurrent layer's engine calls compute from: its packed store, or its slice of the flat parameters.</summary>
        public string Weights => Layer.IsSequence ? Slice("All", ParameterOffset, Layer.ParameterCount) : StoreName;
    }

    private static List<Placed> Place(NetworkSpec spec)
    {
        var placed = new List<Placed>();
        long parameters = 0, state = 0, activations = (long)spec.Window * spec.InputSize;
        long input = 0;
        long learned = spec.Layers.Sum(l => l.ParameterCount);
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            LayerSpec layer = spec.Layers[i];
            var p = new Placed(layer, i)
            {
                ParameterOffset = parameters,
                StateOffset = state,
                InputActivations = input,
                OutputActivations = activations,
                LearnedOffset = learned,
            };
            learned += layer.LearnedStateLength;
            parameters += layer.ParameterCount;
            state += layer.StateLength;
            input = activations;
            activations += (long)spec.Window * layer.OutputSize;
            placed.Add(p);
        }

        return placed;
    }

    /// <summary>The stack as the runtime's converter describes an imported model: one shared rule, so Load's comparison is exact.</summary>
    private static string ModelFileArchitecture(NetworkSpec spec) => ImportedModel.Describe(spec.Layers.Select(l => ImportedLayer.Describe(
        (ImportedLayerKind)System.Enum.Parse(typeof(ImportedLayerKind), l.Kind.ToString()), l.Name, l.InputSize, l.OutputSize, l.Cell, l.Bias, l.Argument,
        l.IsRecurrent ? l.NumLayers : 1, l.LearnedStateLength > 0)), spec.SampleRate);

    private static IEnumerable<(string Name, long Offset, int[] Shape)> StackTensors(NetworkSpec spec)
    {
        long offset = 0;
        foreach (LayerSpec layer in spec.Layers)
        {
            if (layer.Kind == LayerKind.Linear)
            {
                yield return (layer.Name + ".weight", offset, new[] { layer.OutputSize, layer.InputSize });
                offset += (long)layer.OutputSize * layer.InputSize;
                if (layer.Bias)
                {
                    yield return (layer.Name + ".bias", offset, new[] { layer.OutputSize });
                    offset += layer.OutputSize;
                }
            }
            else if (layer.IsSequence)
            {
                // PyTorch's order: per layer, forward then _reverse; per direction weight_ih, weight_hh, the biases, weight_hr.
                int gh = layer.Gates * layer.HiddenSize;
                for (int k = 0; k < layer.NumLayers; k++)
                {
                    int input = k == 0 ? layer.InputSize : layer.Directions * layer.HiddenOut;
                    for (int direction = 0; direction < layer.Directions; direction++)
                    {
                        string suffix = "_l" + Int(k) + (direction == 1 ? "_reverse" : string.Empty);
                        yield return (layer.Name + ".weight_ih" + suffix, offset, new[] { gh, input });
                        offset += (long)gh * input;
                        yield return (layer.Name + ".weight_hh" + suffix, offset, new[] { gh, layer.HiddenOut });
                        offset += (long)gh * layer.HiddenOut;
                        if (layer.Bias)
                        {
                            yield return (layer.Name + ".bias_ih" + suffix, offset, new[] { gh });
                            offset += gh;
                            yield return (layer.Name + ".bias_hh" + suffix, offset, new[] { gh });
                            offset += gh;
                        }

                        if (layer.ProjSize > 0)
                        {
                            yield return (layer.Name + ".weight_hr" + suffix, offset, new[] { layer.ProjSize, layer.HiddenSize });
                            offset += (long)layer.ProjSize * layer.HiddenSize;
                        }
                    }
                }
            }
            else if (layer.IsRecurrent)
            {
                int gh = layer.Gates * layer.HiddenSize;
                for (int k = 0; k < layer.NumLayers; k++)
                {
                    int input = k == 0 ? layer.InputSize : layer.HiddenSize;
                    string suffix = "_l" + Int(k);
                    yield return (layer.Name + ".weight_ih" + suffix, offset, new[] { gh, input });
                    offset += (long)gh * input;
                    yield return (layer.Name + ".weight_hh" + suffix, offset, new[] { gh, layer.HiddenSize });
                    offset += (long)gh * layer.HiddenSize;
                    if (layer.Bias)
                    {
                        yield return (layer.Name + ".bias_ih" + suffix, offset, new[] { gh });
                        offset += gh;
                        yield return (layer.Name + ".bias_hh" + suffix, offset, new[] { gh });
                        offset += gh;
                    }
                }
            }
        }

        // Learned initial states follow every layer's weights, so that each recurrent layer's weights stay one slice its engine reads.
        // PyTorch's shapes: h0 [NumLayers × directions, ProjSize or HiddenSize], c0 [NumLayers × directions, HiddenSize].
        foreach (LayerSpec layer in spec.Layers.Where(l => l.LearnedStateLength > 0))
        {
            int rows = layer.NumLayers * layer.Directions;
            yield return (layer.Name + ".h0", offset, new[] { rows, layer.HiddenOut });
            offset += (long)rows * layer.HiddenOut;
            if (layer.Cell == Cell.Lstm)
            {
                yield return (layer.Name + ".c0", offset, new[] { rows, layer.HiddenSize });
                offset += (long)rows * layer.HiddenSize;
            }
        }
    }

    /// <summary>(name, offset, length) of every recurrent layer's h and c in the flat state.</summary>
    private static IEnumerable<(string Name, long Offset, int Length)> StateTensors(NetworkSpec spec) =>
        StateRows(spec).SelectMany(r => r.Lstm
            ? new[] { (r.Name + ".h_" + r.Suffix, r.Offset, r.Hidden), (r.Name + ".c_" + r.Suffix, r.Offset + r.Hidden, r.Cell) }
            : new[] { (r.Name + ".h_" + r.Suffix, r.Offset, r.Hidden) });

    /// <summary>
    /// The state's rows, recurrent layer after recurrent layer: per stacked layer (and direction, PyTorch's <c>h_0</c> rows
    /// of a bidirectional layer, forward then reverse), h of <c>Hidden</c> floats, then c of <c>Cell</c> floats for an LSTM.
    /// </summary>
    private static List<(string Name, string Suffix, long Offset, int Hidden, int Cell, bool Lstm)> StateRows(NetworkSpec spec)
    {
        var rows = new List<(string, string, long, int, int, bool)>();
        long offset = 0;
        foreach (LayerSpec layer in spec.Layers.Where(l => l.IsRecurrent))
        {
            bool lstm = layer.Cell == Cell.Lstm;
            for (int k = 0; k < layer.NumLayers; k++)
            {
                for (int direction = 0; direction < layer.Directions; direction++)
                {
                    rows.Add((layer.Name!, "l" + Int(k) + (direction == 1 ? "_reverse" : string.Empty), offset, layer.HiddenOut, lstm ? layer.HiddenSize : 0, lstm));
                    offset += layer.HiddenOut + (lstm ? layer.HiddenSize : 0);
                }
            }
        }

        return rows;
    }

    private static string EmitStack(ModelToEmit model)
    {
        NetworkSpec spec = model.Spec;
        List<Placed> layers = Place(spec);
        var w = new CodeWriter();
        WriteStackHeader(w, spec, model.Weights);
        WriteClass(w, spec, () =>
        {
            WriteStackConstants(w, spec);
            WriteStackFields(w, spec, model.Weights is not null);
            if (!spec.WholeSequences)
            {
                WriteInterfaceStatics(w, spec);
                w.Line("static global::System.ReadOnlySpan<global::Fixed.ParameterInfo> global::Fixed.IRecurrentModel<" + Identifier(spec.ClassName) + ">.StateLayout => s_stateLayout;");
                w.Line();
            }

            WriteStackMembers(w, layers.Any(l => l.HasStore), spec.ModelFile is not null, spec.LearnsInitialState, spec.Layers.Any(l => l.Dropout > 0), spec.WholeSequences);
            WriteStackState(w, spec);
            WriteNetwork(w, spec, layers, model.Weights is not null);
            if (model.Weights is { } weights)
            {
                WriteEmbeddedWeights(w, spec, weights);
            }
        }, spec.WholeSequences ? "global::Fixed.IParameters" : null);
        return w.ToString();
    }

    private static void WriteStackHeader(CodeWriter w, NetworkSpec spec, EquatableArray<byte>? weights)
    {
        long parameters = spec.ParameterCount;
        w.Line("// <auto-generated/>");
        w.Line(spec.ModelFile is null
            ? "// Generated by Fixed " + Version + " from the layer attributes on " + spec.FullName + ". Do not edit: change the attributes."
            : "// Generated by Fixed " + Version + " from the model file \"" + CommentText(spec.ModelFile) + "\" named by [ModelFile] on " + spec.FullName + ". Do not edit: change the file.");
        w.Line("//");
        w.Line("// PyTorch equivalent, run in this order on every step (recurrent modules with batch_first=True, passing on their output):");
        foreach (LayerSpec layer in spec.Layers)
        {
            w.Line("//   " + PyTorchLayer(layer));
        }

        w.Line("//");
        w.Line("//   parameters  " + Pad(parameters) + " floats (" + Bytes(parameters) + "), in the object, PyTorch state_dict layout");
        w.Line("//   gradients   " + Pad(parameters) + " floats (" + Bytes(parameters) + "), in the object");
        w.Line("//   state       " + Pad(spec.StateLength) + " floats (" + Bytes(spec.StateLength) + "), a struct on the caller's stack");
        if (weights is { } bytes)
        {
            w.Line("//   weights     compiled in from \"" + CommentText(spec.Weights ?? spec.ModelFile!) + "\" (" + Bytes(bytes.Count / 4) + " of constant data): the parameterless constructor starts from them");
        }
    }

    private static string PyTorchLayer(LayerSpec layer)
    {
        string F(float value) => value.ToString("R", CultureInfo.InvariantCulture);
        switch (layer.Kind)
        {
            case LayerKind.Recurrent:
                string module = layer.Cell switch { Cell.Gru => "nn.GRU", Cell.Lstm => "nn.LSTM", _ => "nn.RNN" };
                string arguments = Int(layer.InputSize) + ", " + Int(layer.HiddenSize);
                arguments += layer.NumLayers != 1 ? ", num_layers=" + Int(layer.NumLayers) : string.Empty;
                arguments += layer.Relu ? ", nonlinearity='relu'" : string.Empty;
                arguments += layer.Bias ? string.Empty : ", bias=False";
                arguments += layer.Dropout > 0 ? ", dropout=" + Parser.Number(layer.Dropout) : string.Empty;
                arguments += layer.Bidirectional ? ", bidirectional=True" : string.Empty;
                arguments += layer.ProjSize > 0 ? ", proj_size=" + Int(layer.ProjSize) : string.Empty;
                return layer.Name + " = " + module + "(" + arguments + ", batch_first=True)";
            case LayerKind.Linear:
                return layer.Name + " = nn.Linear(" + Int(layer.InputSize) + ", " + Int(layer.OutputSize) + (layer.Bias ? string.Empty : ", bias=False") + ")";
            case LayerKind.LeakyRelu:
                return "nn.LeakyReLU(" + F(layer.Argument) + ")";
            case LayerKind.Elu:
                return "nn.ELU(" + F(layer.Argument) + ")";
            case LayerKind.Relu:
                return "nn.ReLU()";
            case LayerKind.Gelu:
                return "nn.GELU()";
            case LayerKind.Softmax:
                return "nn.Softmax(dim=-1)";
            case LayerKind.AddInput:
                return "y = y + x[..., :" + Int(layer.OutputSize) + "]  # AddInput: the network input's first " + Int(layer.OutputSize) + " features added (a residual)";
            default:
                return "nn." + layer.Kind + "()";
        }
    }

    private static void WriteStackConstants(CodeWriter w, NetworkSpec spec)
    {
        Constant(w, "InputSize", spec.InputSize, "Features per time step: the first layer's input size.");
        Constant(w, "HiddenSize", spec.HiddenSize, "Hidden units of the last recurrent layer (0 when the stack has none); <c>State.Hidden(k)</c> gives each layer's own.");
        Constant(w, "NumLayers", spec.NumLayers, "Recurrent layers in the stack, each of a Recurrent's NumLayers counted once: <c>State.Hidden(k)</c> takes k in [0, NumLayers).");
        Constant(w, "OutputSize", spec.OutputSize, "Outputs per step: the last layer's output size.");
        Constant(w, "ParameterCount", spec.ParameterCount, "Floats in <see cref=\"Parameters\"/>: every layer's weights and biases" +
            (spec.LearnsInitialState ? ", then the learned initial states." : "."));
        Constant(w, "Window", spec.Window, "The longest sequence one <c>Backward</c> call accepts.");
        Constant(w, "StateLength", spec.StateLength, "Floats in one <see cref=\"State\"/>: h (and c for an LSTM) of every recurrent layer.");
        if (spec.SampleRate != 0)
        {
            Constant(w, "SampleRate", spec.SampleRate, "Samples per second the model was trained at, from the model file (a .nam file without one means 48000, as NAM's file specification says): feed it audio at this rate.");
        }
    }

    private static void WriteStackFields(CodeWriter w, NetworkSpec spec, bool embedded)
    {
        w.Line("private static readonly global::Fixed.ParameterInfo[] s_layout =");
        w.Line("[");
        foreach ((string name, long offset, int[] shape) in Tensors(spec))
        {
            w.Line("    new(\"" + name + "\", " + Int(offset) + ", new int[] { " + string.Join(", ", shape.Select(s => Int(s))) + " }),");
        }

        w.Line("];");
        w.Line();
        w.Line("private static readonly global::Fixed.ParameterInfo[] s_stateLayout =");
        w.Line("[");
        foreach ((string name, long offset, int length) in StateTensors(spec))
        {
            w.Line("    new(\"" + name + "\", " + Int(offset) + ", new int[] { " + Int(length) + " }),");
        }

        w.Line("];");
        w.Line();
        if (spec.ModelFile is not null)
        {
            w.Line("/// <summary>The layers of the model file this class was generated from, as Load compares them with the file it reads.</summary>");
            w.Line("private const string FixedModelFileArchitecture = " + Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(ModelFileArchitecture(spec), quote: true) + ";");
            w.Line();
        }

        w.Line("private readonly FixedNetwork _network = new();");
        w.Line("// Allocated by the first use (Gradients, Backward, an optimizer): an inference-only model holds no gradients.");
        w.Line("private global::Fixed.Engine.AlignedBuffer? _gradients;");
        w.Line();
        string className = Identifier(spec.ClassName);
        if (embedded)
        {
            WriteEmbeddedConstructor(w, spec, "_network.Writable");
        }
        else
        {
            w.Lines($$"""
                /// <summary>Creates the network with PyTorch's default initialisation and Fixed's default seed.</summary>
                public {{className}}()
                    : this(global::Fixed.Engine.ParameterInitializer.DefaultSeed)
                {
                }

                """);
        }

        w.Lines($$"""
            /// <summary>
            /// Creates the network with PyTorch's default initialisation distribution for each layer (recurrent layers
            /// U(±1/√hidden_size), Linear layers U(±1/√in_features)), drawn from <paramref name="seed"/> in layer order:
            /// the same seed gives bit-identical weights.
            /// </summary>
            public {{className}}(int seed) => _network.Initialize(seed);

            /// <summary>
            /// Every weight and bias of every layer, flat, in state_dict order and PyTorch layout: the source of truth. Writes
            /// through the span this returns are seen by the next Step, Forward, WarmUp or Backward (the recurrent kernels'
            /// packed copies are rebuilt once, on that call). Get the span again after an inference call before writing
            /// through it; Debug builds check.
            /// </summary>
            public {{Span}} Parameters => _network.Writable;

            /// <summary><see cref="Parameters"/> for reading only: does not mark the kernels' packed copies stale.</summary>
            public {{ReadOnlySpan}} ParameterValues => _network.Values;

            /// <summary>The gradients Backward accumulates, same length and layout as <see cref="Parameters"/>; allocated by their first use, so a model that only infers holds none.</summary>
            public {{Span}} Gradients =>
                (_gradients ?? global::System.Threading.Interlocked.CompareExchange(ref _gradients, new global::Fixed.Engine.AlignedBuffer(ParameterCount), null) ?? _gradients).Span;

            /// <summary>Each tensor's state_dict name (under its layer's Name), offset in <see cref="Parameters"/> and shape.</summary>
            public static global::System.ReadOnlySpan<global::Fixed.ParameterInfo> Layout => s_layout;

            /// <summary>Where each recurrent layer's h (and c) sits in <see cref="State.Values"/>: <c>{name}.h_l{k}</c>, <c>{name}.c_l{k}</c>.</summary>
            public static global::System.ReadOnlySpan<global::Fixed.ParameterInfo> StateLayout => s_stateLayout;

            """);
        if (spec.LearnsInitialState)
        {
            w.Lines("""
                /// <summary>
                /// A state filled from the learned initial states (<c>{name}.h0</c>, and <c>{name}.c0</c> for an LSTM; zero for a
                /// layer without <c>LearnInitialState</c>): where the batched Backward starts every sequence, so where a stream
                /// should start at inference. <c>default(State)</c> is still the zero state.
                /// </summary>
                public State InitialState()
                {
                    State state = default;
                    _network.InitialState(state.Values);
                    return state;
                }

                """);
        }
    }

    /// <summary>The public members: each checks what it needs and calls the network (Debug builds add the packed-copy checks).</summary>
    private static void WriteStackMembers(CodeWriter w, bool recurrent, bool modelFile, bool learned, bool dropout, bool wholeSequences)
    {
        void Member(string documentation, string signature, string call, bool returns = false)
        {
            w.Lines(documentation);
            w.Line(signature);
            w.Line("{");
            if (recurrent)
            {
                w.Directive("#if DEBUG");
                w.Line("    using var check = _network.BeginChecked();");
                w.Directive("#endif");
            }

            w.Line("    " + (returns ? "float result = " : string.Empty) + call + ";");
            if (recurrent)
            {
                w.Directive("#if DEBUG");
                w.Line("    check.Complete();");
                w.Directive("#endif");
            }

            if (returns)
            {
                w.Line("    return result;");
            }

            w.Line("}");
            w.Line();
        }

        if (wholeSequences)
        {
            // A bidirectional layer reads the whole sequence: no Step, WarmUp or many-stream members.
            Member("""
                /// <summary>
                /// The whole sequence through every layer: <c>[T, InputSize]</c> in, <c>[T, OutputSize]</c> out, layer after layer
                /// (a bidirectional layer's output at each step is <c>[forward, reverse]</c>). <paramref name="state"/> holds every
                /// recurrent layer's initial h (and c), each direction's (PyTorch's <c>h_0</c>), and is left holding the final ones
                /// (<c>h_n</c>: a reverse direction's after step 0). There is no Step: a reverse direction starts at the last step.
                /// Allocates nothing once the shared array pool holds its <c>[T, width]</c> buffers; safe on many threads, each with its own state.
                /// </summary>
                """,
                $"public void Forward(ref State state, {ReadOnlySpan} inputs, {Span} outputs)", "_network.Forward(state.Values, inputs, outputs)");
            Member("/// <summary>Forward on a state given as <see cref=\"StateLength\"/> floats.</summary>",
                $"public void Forward({Span} state, {ReadOnlySpan} inputs, {Span} outputs)", "_network.Forward(state, inputs, outputs)");
        }
        else
        {
            Member("/// <summary>One time step through every layer: advances <paramref name=\"state\"/> and writes <see cref=\"OutputSize\"/> outputs. Allocates nothing; safe on many threads, each with its own state.</summary>",
                $"public void Step(ref State state, {ReadOnlySpan} input, {Span} output)", "_network.Step(state.Values, input, output)");
            Member("/// <summary>One time step on a state given as <see cref=\"StateLength\"/> floats.</summary>",
                $"public void Step({Span} state, {ReadOnlySpan} input, {Span} output)", "_network.Step(state, input, output)");
            Member("/// <summary>T time steps: <c>[T, InputSize]</c> in, <c>[T, OutputSize]</c> out; the state is carried along.</summary>",
                $"public void Forward(ref State state, {ReadOnlySpan} inputs, {Span} outputs)", "_network.Forward(state.Values, inputs, outputs)");
            Member("/// <summary>T time steps on a state given as <see cref=\"StateLength\"/> floats.</summary>",
                $"public void Forward({Span} state, {ReadOnlySpan} inputs, {Span} outputs)", "_network.Forward(state, inputs, outputs)");
            Member("""
                /// <summary>
                /// One time step of <c>N = states.Length</c> independent streams, each advancing exactly as
                /// <c>Step(ref states[i], ...)</c> would: <c>[N, InputSize]</c> in, <c>[N, OutputSize]</c> out, stream-major. Allocates nothing.
                /// </summary>
                """,
                $"public void Step(global::System.Span<State> states, {ReadOnlySpan} inputs, {Span} outputs)", "_network.Step(states, inputs, outputs)");
            Member("/// <summary>T time steps of <c>N = states.Length</c> streams: <c>[T, N, InputSize]</c> in, <c>[T, N, OutputSize]</c> out.</summary>",
                $"public void Forward(global::System.Span<State> states, {ReadOnlySpan} inputs, {Span} outputs)", "_network.Forward(states, inputs, outputs)");
            Member("/// <summary>Advances the state over <c>[T, InputSize]</c> inputs: no outputs, no gradient.</summary>",
                $"public void WarmUp(ref State state, {ReadOnlySpan} inputs)", "_network.WarmUp(state.Values, inputs)");
            Member("/// <summary>Advances a state given as <see cref=\"StateLength\"/> floats.</summary>",
                $"public void WarmUp({Span} state, {ReadOnlySpan} inputs)", "_network.WarmUp(state, inputs)");
        }

        const string Loss = "global::Fixed.Loss loss = global::Fixed.Loss.Mse, global::Fixed.LossOn on = global::Fixed.LossOn.AllSteps, int warmUp = 0";
        Member("""
            /// <summary>
            /// Truncated BPTT through every layer over one sequence (<c>[T, InputSize]</c>, T at most <see cref="Window"/>) from
            /// <paramref name="state"/>, which is treated as a constant: adds the gradients into <see cref="Gradients"/>, leaves
            /// the state at the sequence end and returns the loss. The first <paramref name="warmUp"/> steps only advance the state.
            /// Not thread-safe: the training buffers belong to the model.
            /// </summary>
            """.Replace("The first <paramref name=\"warmUp\"/> steps only advance the state.", wholeSequences
                ? "<paramref name=\"warmUp\"/> must be 0: a bidirectional layer reads every step."
                : "The first <paramref name=\"warmUp\"/> steps only advance the state.") + "\n" + SingleTargetsDoc,
            $"public float Backward(ref State state, {ReadOnlySpan} inputs, {ReadOnlySpan} targets, {Loss})",
            "_network.Backward(Gradients, state.Values, inputs, targets, loss, on, warmUp)", returns: true);
        Member("/// <summary>Single-sequence Backward on a state given as <see cref=\"StateLength\"/> floats.</summary>",
            $"public float Backward({Span} state, {ReadOnlySpan} inputs, {ReadOnlySpan} targets, {Loss})",
            "_network.Backward(Gradients, state, inputs, targets, loss, on, warmUp)", returns: true);
        Member("""
            /// <summary>
            /// BPTT over <paramref name="batchSize"/> sequences, each from the zero state, with the loss reduced by the mean
            /// over every element of the batch as PyTorch's losses do; adds the gradients and returns the loss.
            /// </summary>
            """.Replace("each from the zero state", learned ? "each from the learned initial state (which gets their summed gradient when warmUp is 0)" : "each from the zero state") + "\n" + BatchedTargetsDoc,
            $"public float Backward({ReadOnlySpan} inputs, {ReadOnlySpan} targets, int batchSize, global::Fixed.Loss loss = global::Fixed.Loss.Mse, " +
            "global::Fixed.LossOn on = global::Fixed.LossOn.LastStep, int warmUp = 0, global::Fixed.SequenceLayout layout = global::Fixed.SequenceLayout.BatchFirst)",
            "_network.Backward(Gradients, inputs, targets, batchSize, loss, on, warmUp, layout)", returns: true);
        Member(EvaluateSingleDoc + "\n" + SingleTargetsDoc,
            $"public float Evaluate(ref State state, {ReadOnlySpan} inputs, {ReadOnlySpan} targets, {Loss})",
            "_network.Evaluate(state.Values, inputs, targets, loss, on, warmUp)", returns: true);
        Member("/// <summary>Single-sequence Evaluate on a state given as <see cref=\"StateLength\"/> floats.</summary>",
            $"public float Evaluate({Span} state, {ReadOnlySpan} inputs, {ReadOnlySpan} targets, {Loss})",
            "_network.Evaluate(state, inputs, targets, loss, on, warmUp)", returns: true);
        Member(EvaluateBatchedDocFor(learned) + "\n" + BatchedTargetsDoc,
            $"public float Evaluate({ReadOnlySpan} inputs, {ReadOnlySpan} targets, int batchSize, global::Fixed.Loss loss = global::Fixed.Loss.Mse, " +
            "global::Fixed.LossOn on = global::Fixed.LossOn.LastStep, int warmUp = 0, global::Fixed.SequenceLayout layout = global::Fixed.SequenceLayout.BatchFirst)",
            "_network.Evaluate(inputs, targets, batchSize, loss, on, warmUp, layout)", returns: true);
        const string Lengths = "global::System.ReadOnlySpan<int> lengths, global::Fixed.Loss loss = global::Fixed.Loss.Mse, " +
            "global::Fixed.LossOn on = global::Fixed.LossOn.LastStep, global::Fixed.SequenceLayout layout = global::Fixed.SequenceLayout.BatchFirst";
        Member(LengthsBackwardDoc + "\n" + LengthsTargetsDoc,
            $"public float Backward({ReadOnlySpan} inputs, {ReadOnlySpan} targets, {Lengths})",
            "_network.Backward(Gradients, inputs, targets, lengths, loss, on, layout)", returns: true);
        Member(LengthsEvaluateDoc + "\n" + LengthsTargetsDoc,
            $"public float Evaluate({ReadOnlySpan} inputs, {ReadOnlySpan} targets, {Lengths})",
            "_network.Evaluate(inputs, targets, lengths, loss, on, layout)", returns: true);
        if (dropout)
        {
            WriteDropoutSeed(w, "_network.DropoutSeed");
        }

        WriteGradientMembers(w);
        WriteCrossEntropyOptions(w, "_network.CrossEntropy");
        string loadPath = modelFile
            ? """
                /// <summary>
                /// Loads a model file of the format and architecture this class was generated from (or safetensors weights with
                /// this stack's state_dict names); a file of another architecture is an InvalidDataException naming the first
                /// difference. On any error the weights are unchanged.
                /// </summary>
                public void Load(string path) => global::Fixed.Engine.ModelFiles.Load(path, FixedModelFileArchitecture, Layout, _network.Writable);
                """
            : """
                /// <summary>Loads safetensors weights with this stack's state_dict names; on any error the weights are unchanged.</summary>
                public void Load(string path) => global::Fixed.Engine.ModelWeights.Load(path, Layout, "rnn", "linear", _network.Writable);
                """;
        string loadStream = modelFile
            ? """
                /// <summary>Loads a model file (or safetensors weights) from a stream, as <see cref="Load(string)"/> does a file.</summary>
                public void Load(global::System.IO.Stream stream) => global::Fixed.Engine.ModelFiles.Load(stream, FixedModelFileArchitecture, Layout, _network.Writable);
                """
            : """
                /// <summary>Loads safetensors weights from a stream.</summary>
                public void Load(global::System.IO.Stream stream) => global::Fixed.Engine.ModelWeights.Load(stream, Layout, "rnn", "linear", _network.Writable);
                """;
        w.Lines(loadPath);
        w.Line();
        w.Lines("""
            /// <summary>
            /// Loads safetensors weights in which the layers named <c>rnn</c> and <c>linear</c> (the defaults) are called
            /// <paramref name="rnnPrefix"/> and <paramref name="headPrefix"/>; every other layer keeps its own name.
            /// </summary>
            public void Load(string path, string rnnPrefix, string headPrefix) => global::Fixed.Engine.ModelWeights.Load(path, Layout, rnnPrefix, headPrefix, _network.Writable);

            """);
        w.Lines(loadStream);
        w.Line();
        w.Lines("""
            /// <summary>Saves the weights as safetensors with state_dict names, atomically (a temporary file renamed over the target).</summary>
            public void Save(string path) => global::Fixed.Engine.ModelWeights.Save(path, Layout, _network.Values);

            /// <summary>Saves the weights as safetensors to a stream.</summary>
            public void Save(global::System.IO.Stream stream) => global::Fixed.Engine.ModelWeights.Save(stream, Layout, _network.Values);

            """);
    }

    private static void WriteStackState(CodeWriter w, NetworkSpec spec)
    {
        // One row per stacked layer, and per direction of a bidirectional layer (its forward row, then its reverse row).
        var rows = StateRows(spec).Select(r => (r.Offset, r.Hidden, r.Cell, r.Lstm,
            Name: r.Name + " layer " + r.Suffix.Substring(1).Replace("_reverse", " reverse"))).ToList();

        w.Lines($$"""
            /// <summary>
            /// The recurrent state of every recurrent layer ({{Int(spec.StateLength)}} floats, see <see cref="StateLayout"/>) in a value
            /// type with no references, so it lives on the caller's stack. <c>default</c> is the zero state (PyTorch's <c>h0 = 0</c>).
            /// </summary>
            public struct State
            {
            """);
        if (spec.StateLength == 0)
        {
            w.Lines($$"""
                    /// <summary>The stack has no recurrent layer: its state is empty.</summary>
                    public {{Span}} Values => default;

                    /// <summary>There is no recurrent layer: always throws.</summary>
                    public {{Span}} Hidden(int layer) => throw new global::System.ArgumentOutOfRangeException(nameof(layer), layer, "this layer stack has no recurrent layer.");

                    /// <summary>Nothing to reset.</summary>
                    public void Reset()
                    {
                    }
                }

                """);
            return;
        }

        w.Lines($$"""
                private Buffer _values;

                /// <summary>All {{Int(spec.StateLength)}} floats, recurrent layer after recurrent layer: h (then c for an LSTM).</summary>
                [global::System.Diagnostics.CodeAnalysis.UnscopedRef]
                public {{Span}} Values => _values;

                /// <summary>The hidden state h of recurrent layer <paramref name="layer"/>, counted through the stack (0 is the bottom one){{(spec.WholeSequences ? "; a bidirectional layer has two rows, forward then reverse (see <see cref=\"StateLayout\"/>)" : string.Empty)}}.</summary>
                [global::System.Diagnostics.CodeAnalysis.UnscopedRef]
                public {{Span}} Hidden(int layer) => layer switch
                {
            """);
        for (int k = 0; k < rows.Count; k++)
        {
            w.Line("        " + Int(k) + " => Values.Slice(" + Int(rows[k].Offset) + ", " + Int(rows[k].Hidden) + "), // " + rows[k].Name);
        }

        // With a bidirectional layer there are more rows than layers: each direction is one.
        string range = rows.Count == spec.NumLayers
            ? "[0, NumLayers - 1] = [0, " + Int(rows.Count - 1) + "]"
            : "[0, " + Int(rows.Count - 1) + "] (a row per layer and direction)";
        w.Line("        _ => throw new global::System.ArgumentOutOfRangeException(nameof(layer), layer, \"layer must be in " + range + ".\"),");
        w.Line("    };");
        w.Line();
        if (rows.Any(r => r.Lstm))
        {
            w.Line("    /// <summary>The cell state c of recurrent layer <paramref name=\"layer\"/>, which must be an LSTM layer.</summary>");
            w.Line("    [global::System.Diagnostics.CodeAnalysis.UnscopedRef]");
            w.Line("    public " + Span + " Cell(int layer) => layer switch");
            w.Line("    {");
            for (int k = 0; k < rows.Count; k++)
            {
                w.Line(rows[k].Lstm
                    ? "        " + Int(k) + " => Values.Slice(" + Int(rows[k].Offset + rows[k].Hidden) + ", " + Int(rows[k].Cell) + "), // " + rows[k].Name
                    : "        " + Int(k) + " => throw new global::System.ArgumentOutOfRangeException(nameof(layer), layer, \"recurrent layer " + Int(k) + " (" + rows[k].Name + ") is not an LSTM: it has no cell state.\"),");
            }

            w.Line("        _ => throw new global::System.ArgumentOutOfRangeException(nameof(layer), layer, \"layer must be in " + range + ".\"),");
            w.Line("    };");
            w.Line();
        }

        w.Lines("""
                /// <summary>Sets the state back to zero.</summary>
                public void Reset() => Values.Clear();

                [global::System.Runtime.CompilerServices.InlineArray(StateLength)]
                private struct Buffer
                {
                    private float _element;
                }
            }

            """);
    }

    /// <summary>The network itself: the weights and the recurrent layers' packed copies, and the layers written out in order.</summary>
    private static void WriteNetwork(CodeWriter w, NetworkSpec spec, List<Placed> layers, bool embedded)
    {
        List<Placed> recurrent = layers.Where(l => l.Layer.IsRecurrent).ToList();
        List<Placed> stored = recurrent.Where(l => l.HasStore).ToList();
        List<Placed> dropout = recurrent.Where(l => l.Layer.Dropout > 0).ToList();
        int maxWidth = (int)layers.Max(l => (long)l.Layer.OutputSize);
        long activations = layers.Count == 0 ? 0 : layers[layers.Count - 1].OutputActivations + (long)spec.Window * spec.OutputSize;
        long gradientBuffer = (long)spec.Window * System.Math.Max(maxWidth, spec.InputSize);
        _ = embedded;

        w.Line("/// <summary>The layers in order, each with its sizes, offsets and state slice as constants.</summary>");
        using (w.Open("private sealed class FixedNetwork"))
        {
            w.Line("/// <summary>The flat weights of every layer (<c>Parameters</c>), from a 64-byte boundary.</summary>");
            w.Line("public readonly global::Fixed.Engine.AlignedBuffer Flat = new(ParameterCount);");
            w.Line();
            foreach (Placed p in stored)
            {
                w.Line("/// <summary>Layer " + Int(p.Index) + "'s weights as its kernels read them (a packed copy of its slice of <see cref=\"Flat\"/>).</summary>");
                w.Line("public readonly global::Fixed.Engine.ParameterStore<" + p.ShapeName + "> " + p.StoreName + ";");
                w.Line();
            }

            w.Line("private Workspace? _workspace;");
            w.Line();
            w.Line("/// <summary>The model's <c>CrossEntropyOptions</c>, read by every loss the network computes; null is plain cross-entropy.</summary>");
            w.Line("public global::Fixed.CrossEntropyOptions? CrossEntropy { get; set; }");
            w.Line();
            if (dropout.Count > 0)
            {
                WriteNetworkDropoutSeed(w, dropout);
            }

            using (w.Open("public FixedNetwork()"))
            {
                foreach (Placed p in stored)
                {
                    w.Line(p.StoreName + " = new(Flat.Array, Flat.Offset + " + Int(p.ParameterOffset) + ");");
                }

                if (dropout.Count > 0)
                {
                    w.Line("DropoutSeed = 0;");
                }
            }

            w.Line();
            w.Line("/// <summary>The weights for writing: every recurrent layer's packed copy is marked stale.</summary>");
            using (w.Open("public " + Span + " Writable"))
            {
                using (w.Open("get"))
                {
                    foreach (Placed p in stored)
                    {
                        w.Line(p.StoreName + ".MarkWritten();");
                    }

                    w.Line("return Flat.Span;");
                }
            }

            w.Line();
            w.Line("public " + ReadOnlySpan + " Values => Flat.Span;");
            w.Line();
            w.Line("private " + Span + " All => Flat.Span;");
            w.Line();
            using (w.Open("public void Initialize(int seed)"))
            {
                w.Line(Span + " parameters = Writable;");
                w.Line("ulong random = global::Fixed.Engine.ParameterInitializer.Start(seed);");
                foreach (Placed p in layers.Where(l => l.Layer.HasParameters))
                {
                    string bound = p.Layer.IsRecurrent ? Int(p.Layer.HiddenSize) : Int(p.Layer.InputSize);
                    w.Line("global::Fixed.Engine.ParameterInitializer.Uniform(parameters.Slice(" + Int(p.ParameterOffset) + ", " + Int(p.Layer.ParameterCount) + "), 1f / global::System.MathF.Sqrt(" + bound + "), ref random); // " + PyTorchLayer(p.Layer));
                }
            }

            w.Line();
            if (spec.LearnsInitialState)
            {
                WriteNetworkInitialState(w, recurrent);
            }

            if (stored.Count > 0)
            {
                WriteCheckedCalls(w, stored);
            }

            if (spec.WholeSequences)
            {
                WriteNetworkWholeSequences(w, spec, layers, maxWidth);
            }
            else
            {
                WriteNetworkInference(w, spec, layers, maxWidth);
            }

            WriteNetworkTraining(w, spec, layers, recurrent, maxWidth);
            WriteShapesAndWorkspace(w, spec, layers, recurrent, activations, gradientBuffer);
        }
    }

    /// <summary>Fills a state from the learned initial states, layer by layer (zero for the layers that learn none).</summary>
    private static void WriteNetworkInitialState(CodeWriter w, List<Placed> recurrent)
    {
        using (w.Open("public void InitialState(" + Span + " state)"))
        {
            w.Line("state.Clear();");
            foreach (Placed p in recurrent.Where(p => p.Layer.LearnedStateLength > 0))
            {
                w.Line(p.Engine + ".InitialState(" + Slice("All", p.LearnedOffset, p.Layer.StateLength) + ", " + Slice("state", p.StateOffset, p.Layer.StateLength) + ");");
            }
        }

        w.Line();
    }

    private static void WriteCheckedCalls(CodeWriter w, List<Placed> recurrent)
    {
        w.Line("/// <summary>Debug builds: every recurrent layer's packed-copy check, begun together (see <c>ParameterStore.BeginChecked</c>).</summary>");
        w.Line("public CheckedCalls BeginChecked() => new(" + string.Join(", ", recurrent.Select(p => p.StoreName + ".BeginChecked()")) + ");");
        w.Line();
        using (w.Open("public readonly struct CheckedCalls : global::System.IDisposable"))
        {
            foreach (Placed p in recurrent)
            {
                w.Line("private readonly global::Fixed.Engine.ParameterStore<" + p.ShapeName + ">.CheckedCall _check" + Int(p.Index) + ";");
            }

            w.Line();
            w.Line("public CheckedCalls(" + string.Join(", ", recurrent.Select(p => "global::Fixed.Engine.ParameterStore<" + p.ShapeName + ">.CheckedCall check" + Int(p.Index))) + ")");
            w.Line("{");
            foreach (Placed p in recurrent)
            {
                w.Line("    _check" + Int(p.Index) + " = check" + Int(p.Index) + ";");
            }

            w.Line("}");
            w.Line();
            w.Line("public void Complete()");
            w.Line("{");
            foreach (Placed p in recurrent)
            {
                w.Line("    _check" + Int(p.Index) + ".Complete();");
            }

            w.Line("}");
            w.Line();
            w.Line("public void Dispose()");
            w.Line("{");
            foreach (Placed p in recurrent)
            {
                w.Line("    _check" + Int(p.Index) + ".Dispose();");
            }

            w.Line("}");
        }

        w.Line();
    }

    private static string Slice(string span, long offset, long length) => span + ".Slice(" + Int(offset) + ", " + Int(length) + ")";

    private static void WriteNetworkInference(CodeWriter w, NetworkSpec spec, List<Placed> layers, int maxWidth)
    {
        // Inference is compiled optimized at its first call, as the engines' own inference methods are: under the default
        // tiering, tier-0 code ran ~10x slower for the first ~0.2 s of a process, ~2 s on one CPU.
        w.Lines($$"""
            // Inference methods are compiled optimized at their first call, never as (slower) tier-0 code first.
            {{OptimizedAtOnce}}
            public void Step({{Span}} state, {{ReadOnlySpan}} input, {{Span}} output)
            {
                CheckState(state);
                {{Kernels}}.CheckLength(input, InputSize, nameof(input), "[InputSize={0}]", InputSize);
                {{Kernels}}.CheckLength(output, OutputSize, nameof(output), "[OutputSize={0}]", OutputSize);
                {{Span}} a = stackalloc float[{{Int(maxWidth)}}];
                {{Span}} b = stackalloc float[{{Int(maxWidth)}}];
                Advance(state, input, output, a, b);
            }

            {{OptimizedAtOnce}}
            public void Forward({{Span}} state, {{ReadOnlySpan}} inputs, {{Span}} outputs)
            {
                CheckState(state);
                int steps = {{Kernels}}.CheckRows(inputs, InputSize, nameof(inputs), "[T, InputSize={0}]");
                {{Kernels}}.CheckLength(outputs, steps * OutputSize, nameof(outputs), "[T={0}, OutputSize={{Int(spec.OutputSize)}}]", steps);
                {{Span}} a = stackalloc float[{{Int(maxWidth)}}];
                {{Span}} b = stackalloc float[{{Int(maxWidth)}}];
                for (int t = 0; t < steps; t++)
                {
                    Advance(state, inputs.Slice(t * InputSize, InputSize), outputs.Slice(t * OutputSize, OutputSize), a, b);
                }
            }

            {{OptimizedAtOnce}}
            public void WarmUp({{Span}} state, {{ReadOnlySpan}} inputs)
            {
                CheckState(state);
                int steps = {{Kernels}}.CheckRows(inputs, InputSize, nameof(inputs), "[T, InputSize={0}]");
                {{Span}} a = stackalloc float[{{Int(maxWidth)}}];
                {{Span}} b = stackalloc float[{{Int(maxWidth)}}];
                {{Span}} output = stackalloc float[OutputSize];
                for (int t = 0; t < steps; t++)
                {
                    Advance(state, inputs.Slice(t * InputSize, InputSize), output, a, b);
                }
            }

            {{OptimizedAtOnce}}
            public void Step(global::System.Span<State> states, {{ReadOnlySpan}} inputs, {{Span}} outputs)
            {
                int streams = CheckStreams(states.Length);
                {{Kernels}}.CheckLength(inputs, streams * InputSize, nameof(inputs), "[N={0}, InputSize={{Int(spec.InputSize)}}]", streams);
                {{Kernels}}.CheckLength(outputs, streams * OutputSize, nameof(outputs), "[N={0}, OutputSize={{Int(spec.OutputSize)}}]", streams);
                {{Span}} a = stackalloc float[{{Int(maxWidth)}}];
                {{Span}} b = stackalloc float[{{Int(maxWidth)}}];
                for (int s = 0; s < streams; s++)
                {
                    Advance(states[s].Values, inputs.Slice(s * InputSize, InputSize), outputs.Slice(s * OutputSize, OutputSize), a, b);
                }
            }

            {{OptimizedAtOnce}}
            public void Forward(global::System.Span<State> states, {{ReadOnlySpan}} inputs, {{Span}} outputs)
            {
                int streams = CheckStreams(states.Length);
                int steps = {{Kernels}}.CheckRows(inputs, streams * InputSize, nameof(inputs), "[T, N, InputSize] = [T, {0} floats]");
                {{Kernels}}.CheckLength(outputs, steps * streams * OutputSize, nameof(outputs), "[T={0}, N, OutputSize]", steps);
                {{Span}} a = stackalloc float[{{Int(maxWidth)}}];
                {{Span}} b = stackalloc float[{{Int(maxWidth)}}];
                for (int t = 0; t < steps; t++)
                {
                    for (int s = 0; s < streams; s++)
                    {
                        int row = t * streams + s;
                        Advance(states[s].Values, inputs.Slice(row * InputSize, InputSize), outputs.Slice(row * OutputSize, OutputSize), a, b);
                    }
                }
            }

            private static int CheckStreams(int streams) =>
                streams >= 1 ? streams : throw new global::System.ArgumentException("states: expected at least one stream (one State per stream), got none.", "states");

            private static void CheckState({{ReadOnlySpan}} state) => {{Kernels}}.CheckLength(state, StateLength, nameof(state), "[StateLength={0}]", StateLength);

            """);
        w.Line("/// <summary>One step through every layer, in order; <paramref name=\"a\"/> and <paramref name=\"b\"/> hold the layers' outputs in between.</summary>");
        WriteAdvance(w, layers, "Advance", asRecorded: false);
        if (layers.Any(l => l.Layer.IsRecurrent))
        {
            w.Line("/// <summary>");
            w.Line("/// <see cref=\"Advance\"/> with each recurrent layer stepped as Backward records it (the general cell step: Step's straight");
            w.Line("/// path rounds differently), so that Evaluate returns Backward's loss to the bit.");
            w.Line("/// </summary>");
            WriteAdvance(w, layers, "AdvanceAsRecorded", asRecorded: true);
        }
    }

    /// <summary>
    /// The inference half of a stack with a bidirectional layer, which has no Step: Forward runs the whole sequence layer
    /// after layer (<c>Run</c>), each layer's <c>[T, width]</c> output in one of two buffers rented from the shared array
    /// pool. Every recurrent layer computes as Backward records it, so Evaluate (which calls Run too) returns Backward's loss
    /// to the bit.
    /// </summary>
    private static void WriteNetworkWholeSequences(CodeWriter w, NetworkSpec spec, List<Placed> layers, int maxWidth)
    {
        w.Lines($$"""
            public void Forward({{Span}} state, {{ReadOnlySpan}} inputs, {{Span}} outputs)
            {
                CheckState(state);
                int steps = {{Kernels}}.CheckRows(inputs, InputSize, nameof(inputs), "[T, InputSize={0}]");
                {{Kernels}}.CheckLength(outputs, steps * OutputSize, nameof(outputs), "[T={0}, OutputSize={{Int(spec.OutputSize)}}]", steps);
                float[] rented = global::System.Buffers.ArrayPool<float>.Shared.Rent(2 * steps * {{Int(maxWidth)}});
                try
                {
                    Run(state, inputs, outputs, steps, rented);
                }
                finally
                {
                    global::System.Buffers.ArrayPool<float>.Shared.Return(rented);
                }
            }

            private static void CheckState({{ReadOnlySpan}} state) => {{Kernels}}.CheckLength(state, StateLength, nameof(state), "[StateLength={0}]", StateLength);

            private static void CheckWarmUp(int warmUp)
            {
                if (warmUp != 0)
                {
                    throw new global::System.ArgumentOutOfRangeException(nameof(warmUp), warmUp,
                        "warmUp must be 0 for a stack with a bidirectional layer: its reverse direction reads every step of the sequence, so no step can only advance the state.");
                }
            }

            """);
        w.Line("/// <summary>");
        w.Line("/// The whole sequence (<c>[steps, InputSize]</c>) through every layer, in order, each over every step before the next;");
        w.Line("/// <paramref name=\"buffers\"/> (at least <c>2 × steps × " + Int(maxWidth) + "</c> floats) holds the layers' outputs in between.");
        w.Line("/// </summary>");
        using (w.Open("private void Run(" + Span + " state, " + ReadOnlySpan + " inputs, " + Span + " outputs, int steps, " + Span + " buffers)"))
        {
            w.Line(Span + " a = buffers.Slice(0, steps * " + Int(maxWidth) + ");");
            w.Line(Span + " b = buffers.Slice(steps * " + Int(maxWidth) + ", steps * " + Int(maxWidth) + ");");
            WalkLayers(w, layers, "inputs", "outputs", (buffer, width) => buffer + ".Slice(0, steps * " + Int(width) + ")", (p, layer, current, next, source, destination) =>
            {
                switch (layer.Kind)
                {
                    case LayerKind.Recurrent when layer.IsSequence:
                        w.Line(p.Engine + ".Forward(" + p.Weights + ", " + Slice("state", p.StateOffset, layer.StateLength) + ", " + source + ", " + destination + ");");
                        break;
                    case LayerKind.Recurrent:
                        using (w.Open("for (int t = 0; t < steps; t++)"))
                        {
                            w.Line(p.Engine + ".StepAsRecorded(" + p.StoreName + ", " + Slice("state", p.StateOffset, layer.StateLength) + ", " +
                                current + ".Slice(t * " + Int(layer.InputSize) + ", " + Int(layer.InputSize) + "), " +
                                next + ".Slice(t * " + Int(layer.OutputSize) + ", " + Int(layer.OutputSize) + "));");
                        }

                        break;
                    case LayerKind.Linear:
                        w.Line(Kernels + ".LinearSequence(" + Slice("All", p.ParameterOffset, layer.ParameterCount) + ", " + Int(layer.InputSize) + ", " + Int(layer.OutputSize) + ", " + (layer.Bias ? "true" : "false") + ", " + source + ", " + destination + ");");
                        break;
                    case LayerKind.AddInput:
                        w.Line(AddInputCall(layer, source, "inputs", destination) + ";");
                        break;
                    default:
                        w.Line(ActivationCall(layer, source, destination) + ";");
                        break;
                }
            });
        }

        w.Line();
    }

    /// <summary>The generated <c>Advance</c> (or its as-recorded twin): one step through every layer, in order.</summary>
    private static void WriteAdvance(CodeWriter w, List<Placed> layers, string name, bool asRecorded)
    {
        if (!asRecorded)
        {
            w.Line(OptimizedAtOnce);
        }

        using (w.Open("private void " + name + "(" + Span + " state, " + ReadOnlySpan + " input, " + Span + " output, " + Span + " a, " + Span + " b)"))
        {
            WalkLayers(w, layers, "input", "output", (buffer, width) => Slice(buffer, 0, width), (p, layer, current, next, source, destination) =>
            {
                switch (layer.Kind)
                {
                    case LayerKind.Recurrent:
                        // SequenceEngine's one step is the very cell step its Record takes: there is no as-recorded twin to call.
                        w.Line(p.Engine + (asRecorded && p.HasStore ? ".StepAsRecorded(" : ".Step(") + p.Weights + ", " + Slice("state", p.StateOffset, layer.StateLength) + ", " + source + ", " + destination + ");");
                        break;
                    case LayerKind.Linear:
                        w.Line(Kernels + ".Linear(" + Slice("All", p.ParameterOffset, layer.ParameterCount) + ", " + Int(layer.InputSize) + ", " + Int(layer.OutputSize) + ", " + (layer.Bias ? "true" : "false") + ", " + source + ", " + destination + ");");
                        break;
                    case LayerKind.AddInput:
                        w.Line(AddInputCall(layer, source, "input", destination) + ";");
                        break;
                    default:
                        w.Line(ActivationCall(layer, source, destination) + ";");
                        break;
                }
            });
        }

        w.Line();
    }

    /// <summary>
    /// Writes every layer in order through <paramref name="writeLayer"/>, after a comment naming it: the first reads
    /// <paramref name="input"/>, the last writes <paramref name="output"/>, and between them a layer with parameters writes
    /// into the other of the buffers <c>a</c> and <c>b</c> (an activation or residual works in place), each used as
    /// <paramref name="slice"/> of the buffer and the width says. The arguments of <paramref name="writeLayer"/>: the layer,
    /// its spec, the buffer it reads and the one it writes (names), and its source and destination (expressions).
    /// </summary>
    private static void WalkLayers(CodeWriter w, List<Placed> layers, string input, string output, Func<string, int, string> slice,
        Action<Placed, LayerSpec, string, string, string, string> writeLayer)
    {
        string current = input;
        for (int i = 0; i < layers.Count; i++)
        {
            Placed p = layers[i];
            LayerSpec layer = p.Layer;
            bool last = i == layers.Count - 1;
            string source = current == input ? input : slice(current, layer.InputSize);
            string next = last ? output : layer.HasParameters ? (current == "a" ? "b" : "a") : current;
            string destination = last ? output : slice(next, layer.OutputSize);
            w.Line("// " + Int(i) + ": " + PyTorchLayer(layer));
            writeLayer(p, layer, current, next, source, destination);
            current = next;
        }
    }

    /// <summary>The residual: <paramref name="x"/> plus the first features of each row of the network's <paramref name="inputs"/>.</summary>
    private static string AddInputCall(LayerSpec layer, string x, string inputs, string y) =>
        Kernels + ".AddInput(" + Int(layer.OutputSize) + ", InputSize, " + x + ", " + inputs + ", " + y + ")";

    private static string ActivationCall(LayerSpec layer, string x, string y)
    {
        string F(float value) => value.ToString("R", CultureInfo.InvariantCulture) + "f";
        return layer.Kind switch
        {
            LayerKind.LeakyRelu => Kernels + ".LeakyRelu(" + F(layer.Argument) + ", " + x + ", " + y + ")",
            LayerKind.Elu => Kernels + ".Elu(" + F(layer.Argument) + ", " + x + ", " + y + ")",
            LayerKind.Softmax => Kernels + ".Softmax(" + Int(layer.OutputSize) + ", " + x + ", " + y + ")",
            _ => Kernels + "." + layer.Kind + "(" + x + ", " + y + ")",
        };
    }

    /// <summary>An activation's backward: from its input (ReLU, LeakyReLU, ELU, GELU) or its output (Tanh, Sigmoid, Softmax).</summary>
    private static string ActivationBackwardCall(LayerSpec layer, string x, string y, string dy, string dx)
    {
        string F(float value) => value.ToString("R", CultureInfo.InvariantCulture) + "f";
        return layer.Kind switch
        {
            LayerKind.LeakyRelu => Kernels + ".LeakyReluBackward(" + F(layer.Argument) + ", " + x + ", " + dy + ", " + dx + ")",
            LayerKind.Elu => Kernels + ".EluBackward(" + F(layer.Argument) + ", " + x + ", " + dy + ", " + dx + ")",
            LayerKind.Softmax => Kernels + ".SoftmaxBackward(" + Int(layer.OutputSize) + ", " + y + ", " + dy + ", " + dx + ")",
            LayerKind.Tanh or LayerKind.Sigmoid => Kernels + "." + layer.Kind + "Backward(" + y + ", " + dy + ", " + dx + ")",
            _ => Kernels + "." + layer.Kind + "Backward(" + x + ", " + dy + ", " + dx + ")",
        };
    }

    private static void WriteNetworkTraining(CodeWriter w, NetworkSpec spec, List<Placed> layers, List<Placed> recurrent, int maxWidth)
    {
        bool learned = spec.LearnsInitialState;
        // Recurrent layers with Dropout: each Backward draws their masks once, after its checks, and every sequence passes
        // them with its index in the batch to the layer's Record and Sweep. Nothing is added for a stack without dropout.
        List<Placed> dropout = recurrent.Where(p => p.Layer.Dropout > 0).ToList();
        string draw = string.Concat(dropout.Select(p => "\n    global::Fixed.Engine.DropoutMask dropout" + Int(p.Index) + " = " + p.Engine + ".NextDropout(" + p.DropoutStream + ");"));
        string Masks(string sequence) => dropout.Count == 0 ? string.Empty : ", " + sequence + string.Concat(dropout.Select(p => ", dropout" + Int(p.Index)));
        string checkWarmUp = spec.WholeSequences ? "\n    CheckWarmUp(warmUp);" : string.Empty;
        w.Lines($$"""
            {{OptimizedAtOnce}}
            public float Backward({{Span}} gradients, {{Span}} state, {{ReadOnlySpan}} inputs, {{ReadOnlySpan}} targets, global::Fixed.Loss loss, global::Fixed.LossOn on, int warmUp)
            {
                CheckState(state);
                int steps = {{Support}}.CheckSingle(InputSize, OutputSize, Window, inputs, targets, loss, on, warmUp);{{checkWarmUp}}
                double divisor = {{Support}}.LossDivisor(loss, CrossEntropy, on, steps, warmUp, OutputSize, batchSize: 1, targets);{{draw}}
                double sum = Sequence(gradients, state, inputs, 0, InputSize, steps, targets, 0, {{Support}}.TargetWidth(loss, OutputSize), loss, on, warmUp, {{Support}}.LossScale(divisor){{(learned ? ", learned: false" : string.Empty)}}{{Masks("0")}});
                return (float)(sum / divisor);
            }

            {{OptimizedAtOnce}}
            public float Backward({{Span}} gradients, {{ReadOnlySpan}} inputs, {{ReadOnlySpan}} targets, int batchSize, global::Fixed.Loss loss, global::Fixed.LossOn on, int warmUp, global::Fixed.SequenceLayout layout)
            {
                int steps = {{Support}}.CheckBatched(InputSize, OutputSize, Window, inputs, targets, batchSize, loss, on, warmUp, layout);{{checkWarmUp}}
                int width = {{Support}}.TargetWidth(loss, OutputSize);
                double divisor = {{Support}}.LossDivisor(loss, CrossEntropy, on, steps, warmUp, OutputSize, batchSize, targets);
                float scale = {{Support}}.LossScale(divisor);{{draw}}
                {{Span}} state = stackalloc float[StateLength];
                double sum = 0;
                for (int b = 0; b < batchSize; b++)
                {
                    {{(learned ? "InitialState(state);" : "state.Clear();")}}
                    (int inputStart, int inputStride, int targetStart, int targetStride) = {{Support}}.BatchItem(b, batchSize, steps, warmUp, InputSize, width, on, layout);
                    sum += Sequence(gradients, state, inputs, inputStart, inputStride, steps, targets, targetStart, targetStride, loss, on, warmUp, scale{{(learned ? ", learned: true" : string.Empty)}}{{Masks("b")}});
                }

                return (float)(sum / divisor);
            }

            {{OptimizedAtOnce}}
            public float Evaluate({{Span}} state, {{ReadOnlySpan}} inputs, {{ReadOnlySpan}} targets, global::Fixed.Loss loss, global::Fixed.LossOn on, int warmUp)
            {
                CheckState(state);
                int steps = {{Support}}.CheckSingle(InputSize, OutputSize, Window, inputs, targets, loss, on, warmUp);{{checkWarmUp}}
                double divisor = {{Support}}.LossDivisor(loss, CrossEntropy, on, steps, warmUp, OutputSize, batchSize: 1, targets);
                double sum = EvaluateSequence(state, inputs, 0, InputSize, steps, targets, 0, {{Support}}.TargetWidth(loss, OutputSize), loss, on, warmUp, {{Support}}.LossScale(divisor));
                return (float)(sum / divisor);
            }

            {{OptimizedAtOnce}}
            public float Evaluate({{ReadOnlySpan}} inputs, {{ReadOnlySpan}} targets, int batchSize, global::Fixed.Loss loss, global::Fixed.LossOn on, int warmUp, global::Fixed.SequenceLayout layout)
            {
                int steps = {{Support}}.CheckBatched(InputSize, OutputSize, Window, inputs, targets, batchSize, loss, on, warmUp, layout);{{checkWarmUp}}
                int width = {{Support}}.TargetWidth(loss, OutputSize);
                double divisor = {{Support}}.LossDivisor(loss, CrossEntropy, on, steps, warmUp, OutputSize, batchSize, targets);
                float scale = {{Support}}.LossScale(divisor);
                {{Span}} state = stackalloc float[StateLength];
                double sum = 0;
                for (int b = 0; b < batchSize; b++)
                {
                    {{(learned ? "InitialState(state);" : "state.Clear();")}}
                    (int inputStart, int inputStride, int targetStart, int targetStride) = {{Support}}.BatchItem(b, batchSize, steps, warmUp, InputSize, width, on, layout);
                    sum += EvaluateSequence(state, inputs, inputStart, inputStride, steps, targets, targetStart, targetStride, loss, on, warmUp, scale);
                }

                return (float)(sum / divisor);
            }

            {{OptimizedAtOnce}}
            public float Backward({{Span}} gradients, {{ReadOnlySpan}} inputs, {{ReadOnlySpan}} targets, global::System.ReadOnlySpan<int> lengths, global::Fixed.Loss loss, global::Fixed.LossOn on, global::Fixed.SequenceLayout layout)
            {
                int steps = {{Support}}.CheckLengths(InputSize, OutputSize, Window, inputs, targets, lengths, loss, on, layout);
                int width = {{Support}}.TargetWidth(loss, OutputSize);
                double divisor = {{Support}}.LossDivisor(loss, CrossEntropy, on, lengths, OutputSize, targets, steps, layout);
                float scale = {{Support}}.LossScale(divisor);{{draw}}
                {{Span}} state = stackalloc float[StateLength];
                double sum = 0;
                for (int b = 0; b < lengths.Length; b++)
                {
                    {{(learned ? "InitialState(state);" : "state.Clear();")}}
                    (int inputStart, int inputStride, int targetStart, int targetStride) = {{Support}}.BatchItem(b, lengths.Length, steps, 0, InputSize, width, on, layout);
                    sum += Sequence(gradients, state, inputs, inputStart, inputStride, lengths[b], targets, targetStart, targetStride, loss, on, 0, scale{{(learned ? ", learned: true" : string.Empty)}}{{Masks("b")}});
                }

                return (float)(sum / divisor);
            }

            {{OptimizedAtOnce}}
            public float Evaluate({{ReadOnlySpan}} inputs, {{ReadOnlySpan}} targets, global::System.ReadOnlySpan<int> lengths, global::Fixed.Loss loss, global::Fixed.LossOn on, global::Fixed.SequenceLayout layout)
            {
                int steps = {{Support}}.CheckLengths(InputSize, OutputSize, Window, inputs, targets, lengths, loss, on, layout);
                int width = {{Support}}.TargetWidth(loss, OutputSize);
                double divisor = {{Support}}.LossDivisor(loss, CrossEntropy, on, lengths, OutputSize, targets, steps, layout);
                float scale = {{Support}}.LossScale(divisor);
                {{Span}} state = stackalloc float[StateLength];
                double sum = 0;
                for (int b = 0; b < lengths.Length; b++)
                {
                    {{(learned ? "InitialState(state);" : "state.Clear();")}}
                    (int inputStart, int inputStride, int targetStart, int targetStride) = {{Support}}.BatchItem(b, lengths.Length, steps, 0, InputSize, width, on, layout);
                    sum += EvaluateSequence(state, inputs, inputStart, inputStride, lengths[b], targets, targetStart, targetStride, loss, on, 0, scale);
                }

                return (float)(sum / divisor);
            }

            """);

        if (spec.WholeSequences)
        {
            WriteWholeEvaluateSequence(w, maxWidth);
        }
        else
        {
            w.Lines($$"""
                /// <summary>
                /// <see cref="Sequence"/>'s forward half, step by step and without the training buffers (so many threads may run it at
                /// once): the same steps, the loss on the same outputs, summed in the same order. Returns the summed loss.
                /// </summary>
                {{OptimizedAtOnce}}
                private double EvaluateSequence({{Span}} state, {{ReadOnlySpan}} inputs, int inputStart, int inputStride, int steps,
                    {{ReadOnlySpan}} targets, int targetStart, int targetStride, global::Fixed.Loss loss, global::Fixed.LossOn on, int warmUp, float scale)
                {
                    {{Span}} a = stackalloc float[{{Int(maxWidth)}}];
                    {{Span}} b = stackalloc float[{{Int(maxWidth)}}];
                    {{Span}} output = stackalloc float[OutputSize];
                    int width = {{Support}}.TargetWidth(loss, OutputSize);
                    int last = steps - warmUp - 1;
                    double sum = 0;
                    for (int t = 0; t < steps; t++)
                    {
                        {{ReadOnlySpan}} input = inputs.Slice(inputStart + t * inputStride, InputSize);
                        int s = t - warmUp;
                        if (s < 0)
                        {
                            Advance(state, input, output, a, b);
                            continue;
                        }

                        {{(recurrent.Count > 0 ? "AdvanceAsRecorded" : "Advance")}}(state, input, output, a, b);
                        if (on == global::Fixed.LossOn.AllSteps || s == last)
                        {
                            int at = on == global::Fixed.LossOn.AllSteps ? targetStart + s * targetStride : targetStart;
                            sum += {{Support}}.StepLoss(loss, CrossEntropy, output, targets.Slice(at, width), scale);
                        }
                    }

                    return sum;
                }

                """);
        }

        w.Lines("""
            /// <summary>
            /// One sequence: warm-up steps, then every layer over the recorded steps in turn (a layer's whole output sequence
            /// feeds the next), the loss, and the layers' backward passes from the top down. Returns the summed loss.
            /// </summary>
            """);
        w.Line(OptimizedAtOnce);
        using (w.Open("private double Sequence(" + Span + " gradients, " + Span + " state, " + ReadOnlySpan + " inputs, int inputStart, int inputStride, int steps, " +
            ReadOnlySpan + " targets, int targetStart, int targetStride, global::Fixed.Loss loss, global::Fixed.LossOn on, int warmUp, float scale" +
            (learned ? ", bool learned" : string.Empty) +
            (dropout.Count == 0 ? string.Empty : ", int sequence" + string.Concat(dropout.Select(p => ", global::Fixed.Engine.DropoutMask dropout" + Int(p.Index)))) + ")"))
        {
            if (!spec.WholeSequences)
            {
                // (A stack with a bidirectional layer takes no warm-up: CheckWarmUp.)
                w.Line(Span + " a = stackalloc float[" + Int(maxWidth) + "];");
                w.Line(Span + " b = stackalloc float[" + Int(maxWidth) + "];");
                w.Line(Span + " output = stackalloc float[OutputSize];");
                using (w.Open("for (int t = 0; t < warmUp; t++)"))
                {
                    w.Line("Advance(state, inputs.Slice(inputStart + t * inputStride, InputSize), output, a, b);");
                }

                w.Line();
            }

            w.Line("int n = steps - warmUp;");
            w.Line("Workspace work = _workspace ??= new Workspace();");
            w.Line(Span + " x = work.Activations.Span;");
            w.Line(Support + ".Gather(inputs, inputStart + warmUp * inputStride, inputStride, InputSize, n, x.Slice(0, n * InputSize));");
            w.Line();
            w.Line("// Forward, layer after layer, each over the n recorded steps.");
            foreach (Placed p in layers)
            {
                LayerSpec layer = p.Layer;
                string input = "x.Slice(" + Int(p.InputActivations) + ", n * " + Int(layer.InputSize) + ")";
                string output = "x.Slice(" + Int(p.OutputActivations) + ", n * " + Int(layer.OutputSize) + ")";
                w.Line("// " + Int(p.Index) + ": " + PyTorchLayer(layer));
                switch (layer.Kind)
                {
                    case LayerKind.Recurrent:
                        w.Line(p.Engine + ".Record(" + p.Weights + ", " + Slice("state", p.StateOffset, layer.StateLength) + ", " + input + ", " + output + ", work.Tape" + Int(p.Index) + ".Span" +
                            (layer.Dropout > 0 ? ", dropout" + Int(p.Index) + ", sequence" : string.Empty) + ");");
                        break;
                    case LayerKind.Linear:
                        w.Line(Kernels + ".LinearSequence(" + Slice("All", p.ParameterOffset, layer.ParameterCount) + ", " + Int(layer.InputSize) + ", " + Int(layer.OutputSize) + ", " + (layer.Bias ? "true" : "false") + ", " + input + ", " + output + ");");
                        break;
                    case LayerKind.AddInput:
                        w.Line(AddInputCall(layer, input, "x.Slice(0, n * InputSize)", output) + ";");
                        break;
                    default:
                        w.Line(ActivationCall(layer, input, output) + ";");
                        break;
                }
            }

            Placed top = layers[layers.Count - 1];
            w.Line();
            w.Line("// The loss on the last layer's outputs; dLoss/dOutput goes to the first gradient buffer.");
            w.Line(Span + " gradients0 = work.Gradients0.Span;");
            w.Line(Span + " gradients1 = work.Gradients1.Span;");
            w.Line(Span + " dy = gradients0.Slice(0, n * OutputSize);");
            w.Line("x.Slice(" + Int(top.OutputActivations) + ", n * OutputSize).CopyTo(dy);");
            w.Line("double sum = " + Support + ".ApplyLoss(loss, CrossEntropy, on, dy, OutputSize, targets, targetStart, targetStride, scale);");
            w.Line();
            w.Line("// Backward, from the top layer down: each turns dLoss/dOutput into its gradients and dLoss/dInput.");
            for (int i = layers.Count - 1; i >= 0; i--)
            {
                Placed p = layers[i];
                LayerSpec layer = p.Layer;
                bool bottom = i == 0;
                // The gradient buffers alternate: layer i reads buffer (L-1-i)%2 and writes the other.
                string from = ((layers.Count - 1 - i) % 2 == 0) ? "gradients0" : "gradients1";
                string to = from == "gradients0" ? "gradients1" : "gradients0";
                string dOut = from + ".Slice(0, n * " + Int(layer.OutputSize) + ")";
                string dIn = bottom ? "default" : to + ".Slice(0, n * " + Int(layer.InputSize) + ")";
                string input = "x.Slice(" + Int(p.InputActivations) + ", n * " + Int(layer.InputSize) + ")";
                string output = "x.Slice(" + Int(p.OutputActivations) + ", n * " + Int(layer.OutputSize) + ")";
                w.Line("// " + Int(p.Index) + ": " + PyTorchLayer(layer));
                switch (layer.Kind)
                {
                    case LayerKind.Recurrent:
                        if (layer.IsSequence && layer.LearnedStateLength > 0)
                        {
                            // SequenceEngine adds what flows out of the sequence's start into h0's (and c0's) gradients itself:
                            // a sequence from the learned initial state (the batched Backward, no warm-up) passes them.
                            w.Line(p.Engine + ".Sweep(" + p.Weights + ", " + Slice("gradients", p.ParameterOffset, layer.ParameterCount) + ", work.Tape" + Int(p.Index) + ".Span, " + dOut + ", " + dIn + ", work.Work" + Int(p.Index) + ".Span" +
                                (layer.Dropout > 0 ? ", dropout" + Int(p.Index) + ", sequence" : ", default, 0") +
                                ", learned && warmUp == 0 ? " + Slice("gradients", p.LearnedOffset, layer.StateLength) + " : default);");
                            break;
                        }

                        w.Line(p.Engine + ".Sweep(" + p.Weights + ", " + Slice("gradients", p.ParameterOffset, layer.ParameterCount) + ", work.Tape" + Int(p.Index) + ".Span, " + dOut + ", " + dIn + ", work.Work" + Int(p.Index) + ".Span" +
                            (layer.Dropout > 0 ? ", dropout" + Int(p.Index) + ", sequence" + (layer.IsSequence ? ", default" : string.Empty) : string.Empty) + ");");
                        if (layer.LearnedStateLength > 0)
                        {
                            // A sequence from the learned initial state (the batched Backward, no warm-up): the gradient that
                            // reaches the state before the first step is h0's (and c0's).
                            using (w.Open("if (learned && warmUp == 0)"))
                            {
                                w.Line(p.Engine + ".AddInitialStateGradients(work.Work" + Int(p.Index) + ".Span, " + Slice("gradients", p.LearnedOffset, layer.StateLength) + ");");
                            }
                        }

                        break;
                    case LayerKind.Linear:
                        w.Line(Kernels + ".LinearBackward(" + Slice("All", p.ParameterOffset, layer.ParameterCount) + ", " + Slice("gradients", p.ParameterOffset, layer.ParameterCount) + ", " +
                            Int(layer.InputSize) + ", " + Int(layer.OutputSize) + ", " + (layer.Bias ? "true" : "false") + ", " + input + ", " + dOut + ", " + dIn + ");");
                        break;
                    case LayerKind.AddInput:
                        // The residual's gradient w.r.t. the layer below is dLoss/dOutput unchanged (its part w.r.t. the network
                        // input is not needed: inputs get no gradient).
                        w.Line(dOut + ".CopyTo(" + dIn + ");");
                        break;
                    default:
                        w.Line(ActivationBackwardCall(layer, input, output, dOut, dIn) + ";");
                        break;
                }
            }

            w.Line();
            w.Line("return sum;");
        }

        w.Line();
    }

    /// <summary>
    /// EvaluateSequence of a stack with a bidirectional layer: the sequence gathered, run through every layer as Forward runs it
    /// (each recurrent layer computing as Backward records it), then the loss on the same outputs in the same order as
    /// Backward's. Its buffers are rented from the shared array pool, so many threads may evaluate at once.
    /// </summary>
    private static void WriteWholeEvaluateSequence(CodeWriter w, int maxWidth) => w.Lines($$"""
            /// <summary>One sequence's summed loss, from the sequence run whole through every layer: Backward's forward half, without its buffers.</summary>
            {{OptimizedAtOnce}}
            private double EvaluateSequence({{Span}} state, {{ReadOnlySpan}} inputs, int inputStart, int inputStride, int steps,
                {{ReadOnlySpan}} targets, int targetStart, int targetStride, global::Fixed.Loss loss, global::Fixed.LossOn on, int warmUp, float scale)
            {
                _ = warmUp; // 0: CheckWarmUp
                float[] rented = global::System.Buffers.ArrayPool<float>.Shared.Rent(steps * (InputSize + OutputSize + 2 * {{Int(maxWidth)}}));
                try
                {
                    {{Span}} x = new(rented, 0, steps * InputSize);
                    {{Span}} y = new(rented, steps * InputSize, steps * OutputSize);
                    {{Support}}.Gather(inputs, inputStart, inputStride, InputSize, steps, x);
                    Run(state, x, y, steps, new {{Span}}(rented, steps * (InputSize + OutputSize), 2 * steps * {{Int(maxWidth)}}));
                    int width = {{Support}}.TargetWidth(loss, OutputSize);
                    double sum = 0;
                    for (int s = 0; s < steps; s++)
                    {
                        if (on == global::Fixed.LossOn.AllSteps || s == steps - 1)
                        {
                            int at = on == global::Fixed.LossOn.AllSteps ? targetStart + s * targetStride : targetStart;
                            sum += {{Support}}.StepLoss(loss, CrossEntropy, y.Slice(s * OutputSize, OutputSize), targets.Slice(at, width), scale);
                        }
                    }

                    return sum;
                }
                finally
                {
                    global::System.Buffers.ArrayPool<float>.Shared.Return(rented);
                }
            }

            """);

    /// <summary>
    /// The network's dropout seed: each recurrent layer with dropout gets its own stream from it
    /// (<c>DropoutMask.LayerSeed</c>), so that two layers of one shape do not draw the same masks.
    /// </summary>
    private static void WriteNetworkDropoutSeed(CodeWriter w, List<Placed> dropout)
    {
        w.Line("private ulong _dropoutSeed;");
        w.Line();
        foreach (Placed p in dropout.Where(p => !p.HasStore))
        {
            w.Line("/// <summary>Layer " + Int(p.Index) + "'s dropout masks (SequenceEngine draws one set per Backward from it).</summary>");
            w.Line("private readonly global::Fixed.Engine.DropoutStream " + p.DropoutStream + " = new();");
            w.Line();
        }

        using (w.Open("public ulong DropoutSeed"))
        {
            w.Line("get => _dropoutSeed;");
            using (w.Open("set"))
            {
                w.Line("_dropoutSeed = value;");
                foreach (Placed p in dropout)
                {
                    w.Line(p.DropoutStream + (p.HasStore ? ".DropoutSeed" : ".Seed") + " = global::Fixed.Engine.DropoutMask.LayerSeed(value, " + Int(p.Index) + ");");
                }
            }
        }

        w.Line();
    }

    private static void WriteShapesAndWorkspace(CodeWriter w, NetworkSpec spec, List<Placed> layers, List<Placed> recurrent, long activations, long gradientBuffer)
    {
        w.Lines($$"""
            /// <summary>
            /// Training memory, allocated by the first Backward: every layer's input and output over Window steps, two gradient
            /// buffers, and each recurrent layer's tape; each buffer starts on a 64-byte boundary.
            /// </summary>
            private sealed class Workspace
            {
                public readonly global::Fixed.Engine.AlignedBuffer Activations = new({{Int(activations)}});

                public readonly global::Fixed.Engine.AlignedBuffer Gradients0 = new({{Int(gradientBuffer)}});

                public readonly global::Fixed.Engine.AlignedBuffer Gradients1 = new({{Int(gradientBuffer)}});

            """);
        foreach (Placed p in recurrent)
        {
            // SequenceEngine's tape and work are those of a whole sequence already.
            string prefix = p.Layer.IsSequence ? string.Empty : "Sequence";
            w.Line("    public readonly global::Fixed.Engine.AlignedBuffer Tape" + Int(p.Index) + " = new(" + p.Engine + "." + prefix + "TapeLength);");
            w.Line();
            w.Line("    public readonly global::Fixed.Engine.AlignedBuffer Work" + Int(p.Index) + " = new(" + p.Engine + "." + prefix + "WorkLength);");
            w.Line();
        }

        w.Line("}");
        foreach (Placed p in recurrent)
        {
            LayerSpec layer = p.Layer;
            w.Line();
            WriteShapeStruct(w, "public", p.ShapeName, "Layer " + Int(p.Index) + "'s sizes as constants (" + PyTorchLayer(layer) + "): the engine is specialised for them by the JIT.",
                layer.InputSize, layer.HiddenSize, layer.NumLayers, 0, layer.Cell, layer.Relu, layer.Bias, spec.Window, layer.WeightPrecision, layer.ProjSize, layer.Bidirectional,
                dropout: layer.Dropout);
        }
    }
}
