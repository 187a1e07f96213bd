using System.Collections.Generic;
using System.Linq;
using Fixed.Generator.Model;
using Fixed.Generator.Shared;

namespace Fixed.Generator;

internal static partial class Emitter
{
    private const string Span = "global::System.Span<float>";
    private const string ReadOnlySpan = "global::System.ReadOnlySpan<float>";
    private const string Engine = "global::Fixed.Engine.RecurrentEngine<FixedShape>";

    /// <summary>The state_dict tensors in order: (name, offset, shape).</summary>
    internal static IEnumerable<(string Name, long Offset, int[] Shape)> Tensors(NetworkSpec spec)
    {
        if (spec.IsStack)
        {
            return StackTensors(spec).Select(t => (t.Name, t.Offset, t.Shape));
        }

        return SingleTensors(spec);
    }

    private static IEnumerable<(string Name, long Offset, int[] Shape)> SingleTensors(NetworkSpec spec)
    {
        // PyTorch's state_dict order: per layer, per direction (the reverse one's names end in "_reverse"), weight_ih,
        // weight_hh, the biases, then a projection's weight_hr. h is HiddenOut wide (ProjSize with a projection), and a layer
        // above the first reads every direction's h.
        int gh = spec.Gates * spec.HiddenSize;
        int hiddenOut = spec.HiddenOut;
        long offset = 0;
        for (int layer = 0; layer < spec.NumLayers; layer++)
        {
            int input = layer == 0 ? spec.InputSize : spec.Directions * hiddenOut;
            for (int direction = 0; direction < spec.Directions; direction++)
            {
                string suffix = "_l" + Int(layer) + (direction == 1 ? "_reverse" : string.Empty);
                yield return ("rnn.weight_ih" + suffix, offset, new[] { gh, input });
                offset += (long)gh * input;
                yield return ("rnn.weight_hh" + suffix, offset, new[] { gh, hiddenOut });
                offset += (long)gh * hiddenOut;
                if (spec.Bias)
                {
                    yield return ("rnn.bias_ih" + suffix, offset, new[] { gh });
                    offset += gh;
                    yield return ("rnn.bias_hh" + suffix, offset, new[] { gh });
                    offset += gh;
                }

                if (spec.ProjSize > 0)
                {
                    yield return ("rnn.weight_hr" + suffix, offset, new[] { spec.ProjSize, spec.HiddenSize });
                    offset += (long)spec.ProjSize * spec.HiddenSize;
                }
            }
        }

        if (spec.OutputSize > 0)
        {
            int top = spec.Directions * hiddenOut;
            yield return ("linear.weight", offset, new[] { spec.OutputSize, top });
            offset += (long)spec.OutputSize * top;
            yield return ("linear.bias", offset, new[] { spec.OutputSize });
            offset += spec.OutputSize;
        }

        if (spec.LearnInitialState)
        {
            // After every weight, so that the engine's own layout (weights, then the head) is the same with or without them.
            // PyTorch's h_0 rows: one per layer and direction (layer × directions + direction), h HiddenOut wide, c HiddenSize.
            int rows = spec.NumLayers * spec.Directions;
            yield return ("rnn.h0", offset, new[] { rows, hiddenOut });
            offset += (long)rows * hiddenOut;
            if (spec.Cell == Cell.Lstm)
            {
                yield return ("rnn.c0", offset, new[] { rows, spec.HiddenSize });
            }
        }
    }

    private static void WriteFieldsAndConstructors(CodeWriter w, NetworkSpec spec, bool embedded)
    {
        w.Line("private static readonly global::Fixed.ParameterInfo[] s_layout =");
        w.Line("[");
        foreach ((string name, long offset, int[] shape) in Tensors(spec))
        {
            w.Line("    new(\"" + name + "\", " + Int(offset) + ", new int[] { " + string.Join(", ", shape.Select(s => Int(s))) + " }),");
        }

        w.Line("];");
        w.Line();
        if (spec.LearnInitialState)
        {
            WriteLearnedStateFields(w, spec);
        }
        else
        {
            w.Line("private readonly global::Fixed.Engine.ParameterStore<FixedShape> _parameters = new();");
        }

        w.Line("// Allocated by the first use (Gradients, Backward, an optimizer): an inference-only model holds no gradients.");
        w.Line("private global::Fixed.Engine.AlignedBuffer? _gradients;");
        w.Line("private global::Fixed.Engine.AlignedBuffer? _tape;");
        w.Line("private global::Fixed.Engine.AlignedBuffer? _work;");
        w.Line();
        if (embedded)
        {
            WriteEmbeddedConstructor(w, spec, spec.LearnInitialState ? "Parameters" : "_parameters.Writable", spec.LearnInitialState ? LearnedStore : null);
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
            {{(spec.LearnInitialState ? "    " + LearnedStore + "\n" : string.Empty)}}    global::Fixed.Engine.ParameterInitializer.Initialize<FixedShape>(_parameters.Writable, seed);
            }

            /// <summary>
            /// Every weight and bias{{(spec.LearnInitialState ? ", then the learned initial state" : string.Empty)}}, flat, in state_dict order and PyTorch layout: the source of truth. Writes through the
            /// span this returns are seen by the next Step, Forward, WarmUp or Backward (the kernels' packed copy is rebuilt
            /// once, on that call). Get the span again after an inference call before writing through it; Debug builds check.
            /// </summary>
            public {{Span}} Parameters{{(spec.LearnInitialState ? LearnedParameters : " => _parameters.Writable;")}}

            /// <summary><see cref="Parameters"/> for reading only: does not mark the kernels' packed copy stale.</summary>
            public global::System.ReadOnlySpan<float> ParameterValues => {{(spec.LearnInitialState ? "_values.Span" : "_parameters.Values")}};

            /// <summary>The gradients Backward accumulates, same length and layout as <see cref="Parameters"/>; allocated by their first use, so a model that only infers holds none.</summary>
            public {{Span}} Gradients =>
                (_gradients ?? global::System.Threading.Interlocked.CompareExchange(ref _gradients, new global::Fixed.Engine.AlignedBuffer(ParameterCount), null) ?? _gradients).Span;

            /// <summary>Each tensor's state_dict name, offset in <see cref="Parameters"/> and shape.</summary>
            public static global::System.ReadOnlySpan<global::Fixed.ParameterInfo> Layout => s_layout;

            """);
    }

    private static void WriteInterfaceStatics(CodeWriter w, NetworkSpec spec)
    {
        string model = Identifier(spec.ClassName);
        string self = "global::Fixed.IRecurrentModel<" + model + ">";
        foreach (string name in new[] { "InputSize", "HiddenSize", "NumLayers", "OutputSize", "ParameterCount", "Window", "StateLength" })
        {
            w.Line("static int " + self + "." + name + " => " + name + ";");
            w.Line();
        }

        w.Line("static global::Fixed.Cell " + self + ".CellKind => global::Fixed.Cell." + spec.Cell + ";");
        w.Line();
        w.Line("static " + model + " " + self + ".Create(int seed) => new(seed);");
        w.Line();
    }

    private static void WriteInference(CodeWriter w)
    {
        Checked(w, "/// <summary>One time step: advances <paramref name=\"state\"/> and writes <see cref=\"OutputSize\"/> outputs. Allocates nothing; safe on many threads, each with its own state.</summary>",
            $"public void Step(ref State state, {ReadOnlySpan} input, {Span} output)", $"{Engine}.Step(_parameters, state.Values, input, output)");
        Checked(w, "/// <summary>One time step on a state given as <see cref=\"StateLength\"/> floats.</summary>",
            $"public void Step({Span} state, {ReadOnlySpan} input, {Span} output)", $"{Engine}.Step(_parameters, state, input, output)");
        Checked(w, "/// <summary>T time steps: <c>[T, InputSize]</c> in, <c>[T, OutputSize]</c> out; the state is carried along.</summary>",
            $"public void Forward(ref State state, {ReadOnlySpan} inputs, {Span} outputs)", $"{Engine}.Forward(_parameters, state.Values, inputs, outputs)");
        Checked(w, "/// <summary>T time steps on a state given as <see cref=\"StateLength\"/> floats.</summary>",
            $"public void Forward({Span} state, {ReadOnlySpan} inputs, {Span} outputs)", $"{Engine}.Forward(_parameters, state, inputs, outputs)");
        Checked(w, """
            /// <summary>
            /// One time step of <c>N = states.Length</c> independent streams, each advancing exactly as
            /// <c>Step(ref states[i], ...)</c> would: <c>[N, InputSize]</c> in, <c>[N, OutputSize]</c> out, stream-major. The
            /// streams go through each layer together, so every weight loaded serves several of them. Allocates nothing.
            /// </summary>
            """,
            $"public void Step(global::System.Span<State> states, {ReadOnlySpan} inputs, {Span} outputs)",
            $"{Engine}.Step(_parameters, global::System.Runtime.InteropServices.MemoryMarshal.Cast<State, float>(states), inputs, outputs, states.Length)");
        Checked(w, "/// <summary>T time steps of <c>N = states.Length</c> streams: <c>[T, N, InputSize]</c> in, <c>[T, N, OutputSize]</c> out.</summary>",
            $"public void Forward(global::System.Span<State> states, {ReadOnlySpan} inputs, {Span} outputs)",
            $"{Engine}.Forward(_parameters, global::System.Runtime.InteropServices.MemoryMarshal.Cast<State, float>(states), inputs, outputs, states.Length)");
        Checked(w, "/// <summary>Advances the state over <c>[T, InputSize]</c> inputs: no outputs, no gradient.</summary>",
            $"public void WarmUp(ref State state, {ReadOnlySpan} inputs)", $"{Engine}.WarmUp(_parameters, state.Values, inputs)");
        Checked(w, "/// <summary>Advances a state given as <see cref=\"StateLength\"/> floats.</summary>",
            $"public void WarmUp({Span} state, {ReadOnlySpan} inputs)", $"{Engine}.WarmUp(_parameters, state, inputs)");
    }

    /// <summary>
    /// A member that reads the weights: in the user's Debug builds it first checks that the packed copy is in step with
    /// <c>Parameters</c> and that nobody asks for the weights for writing while it runs (see <c>ParameterStore</c>).
    /// </summary>
    private static void Checked(CodeWriter w, string documentation, string signature, string call, bool returns = false)
    {
        w.Lines(documentation);
        w.Line(signature);
        w.Line("{");
        w.Directive("#if DEBUG");
        w.Line("    using var check = _parameters.BeginChecked();");
        w.Directive("#endif");
        w.Line("    " + (returns ? "float result = " : string.Empty) + call + ";");
        w.Directive("#if DEBUG");
        w.Line("    check.Complete();");
        w.Directive("#endif");
        if (returns)
        {
            w.Line("    return result;");
        }

        w.Line("}");
        w.Line();
    }

    private static void WriteTraining(CodeWriter w, bool learned)
    {
        const string Loss = "global::Fixed.Loss loss = global::Fixed.Loss.Mse, global::Fixed.LossOn on = global::Fixed.LossOn.AllSteps, int warmUp = 0";
        Checked(w, """
            /// <summary>
            /// Truncated BPTT over one sequence (<c>[T, InputSize]</c>, T at most <see cref="Window"/>) from <paramref name="state"/>,
            /// which is treated as a constant: adds the gradients into <see cref="Gradients"/>, leaves the state at the
            /// sequence end and returns the loss. The first <paramref name="warmUp"/> steps only advance the state.
            /// Not thread-safe: the tape belongs to the model.
            /// </summary>
            """ + "\n" + SingleTargetsDoc,
            $"public float Backward(ref State state, {ReadOnlySpan} inputs, {ReadOnlySpan} targets, {Loss})",
            $"{Engine}.Backward(_parameters, Gradients, state.Values, inputs, targets, loss, on, warmUp, Tape, Work)", returns: true);
        Checked(w, "/// <summary>Single-sequence Backward on a state given as <see cref=\"StateLength\"/> floats.</summary>",
            $"public float Backward({Span} state, {ReadOnlySpan} inputs, {ReadOnlySpan} targets, {Loss})",
            $"{Engine}.Backward(_parameters, Gradients, state, inputs, targets, loss, on, warmUp, Tape, Work)", returns: true);
        Checked(w, """
            /// <summary>
            /// BPTT over <paramref name="batchSize"/> sequences, each from the zero state, with the loss reduced by the mean
            /// over every element of the batch as PyTorch's losses do; adds the gradients and returns the loss.
            /// </summary>
            """.Replace("each from the zero state", learned ? "each from the learned initial state (h0 gets their summed gradient when warmUp is 0)" : "each from the zero state") + "\n" + BatchedTargetsDoc,
            $"public float Backward({ReadOnlySpan} inputs, {ReadOnlySpan} targets, int batchSize, global::Fixed.Loss loss = global::Fixed.Loss.Mse, " +
            "global::Fixed.LossOn on = global::Fixed.LossOn.LastStep, int warmUp = 0, global::Fixed.SequenceLayout layout = global::Fixed.SequenceLayout.BatchFirst)",
            learned
                ? $"{Engine}.Backward(_parameters, Gradients, inputs, targets, batchSize, loss, on, warmUp, layout, Tape, Work, " +
                    "_values.Span.Slice(InitialStateOffset, StateLength), Gradients.Slice(InitialStateOffset, StateLength))"
                : $"{Engine}.Backward(_parameters, Gradients, inputs, targets, batchSize, loss, on, warmUp, layout, Tape, Work)", returns: true);
        Checked(w, EvaluateSingleDoc + "\n" + SingleTargetsDoc,
            $"public float Evaluate(ref State state, {ReadOnlySpan} inputs, {ReadOnlySpan} targets, {Loss})",
            $"{Engine}.Evaluate(_parameters, state.Values, inputs, targets, loss, on, warmUp)", returns: true);
        Checked(w, "/// <summary>Single-sequence Evaluate on a state given as <see cref=\"StateLength\"/> floats.</summary>",
            $"public float Evaluate({Span} state, {ReadOnlySpan} inputs, {ReadOnlySpan} targets, {Loss})",
            $"{Engine}.Evaluate(_parameters, state, inputs, targets, loss, on, warmUp)", returns: true);
        Checked(w, EvaluateBatchedDocFor(learned) + "\n" + BatchedTargetsDoc,
            $"public float Evaluate({ReadOnlySpan} inputs, {ReadOnlySpan} targets, int batchSize, global::Fixed.Loss loss = global::Fixed.Loss.Mse, " +
            "global::Fixed.LossOn on = global::Fixed.LossOn.LastStep, int warmUp = 0, global::Fixed.SequenceLayout layout = global::Fixed.SequenceLayout.BatchFirst)",
            learned
                ? $"{Engine}.Evaluate(_parameters, inputs, targets, batchSize, loss, on, warmUp, layout, _values.Span.Slice(InitialStateOffset, StateLength))"
                : $"{Engine}.Evaluate(_parameters, inputs, targets, batchSize, loss, on, warmUp, layout)", returns: true);
        const string Lengths = "global::System.ReadOnlySpan<int> lengths, global::Fixed.Loss loss = global::Fixed.Loss.Mse, " +
            "global::Fixed.LossOn on = global::Fixed.LossOn.LastStep, global::Fixed.SequenceLayout layout = global::Fixed.SequenceLayout.BatchFirst";
        Checked(w, LengthsBackwardDoc + "\n" + LengthsTargetsDoc,
            $"public float Backward({ReadOnlySpan} inputs, {ReadOnlySpan} targets, {Lengths})",
            learned
                ? $"{Engine}.Backward(_parameters, Gradients, inputs, targets, lengths, loss, on, layout, Tape, Work, " +
                    "_values.Span.Slice(InitialStateOffset, StateLength), Gradients.Slice(InitialStateOffset, StateLength))"
                : $"{Engine}.Backward(_parameters, Gradients, inputs, targets, lengths, loss, on, layout, Tape, Work)", returns: true);
        Checked(w, LengthsEvaluateDoc + "\n" + LengthsTargetsDoc,
            $"public float Evaluate({ReadOnlySpan} inputs, {ReadOnlySpan} targets, {Lengths})",
            learned
                ? $"{Engine}.Evaluate(_parameters, inputs, targets, lengths, loss, on, layout, _values.Span.Slice(InitialStateOffset, StateLength))"
                : $"{Engine}.Evaluate(_parameters, inputs, targets, lengths, loss, on, layout)", returns: true);
        WriteGradientMembers(w);
        WriteCrossEntropyOptions(w, "_parameters.CrossEntropy");
        w.Lines($$"""
            private {{Span}} Tape => (_tape ??= new global::Fixed.Engine.AlignedBuffer({{Engine}}.TapeLength)).Span;

            private {{Span}} Work => (_work ??= new global::Fixed.Engine.AlignedBuffer({{Engine}}.WorkLength)).Span;

            """);
    }

    /// <summary>The <c>CrossEntropyOptions</c> property, kept in <paramref name="storage"/> (what the model's loss code reads): the same in every model.</summary>
    private static void WriteCrossEntropyOptions(CodeWriter w, string storage) => w.Lines($$"""
            /// <summary>
            /// <c>nn.CrossEntropyLoss(weight=, label_smoothing=)</c>'s arguments for every <see cref="global::Fixed.Loss.CrossEntropy"/>
            /// loss this model computes (each Backward and Evaluate); null (the default) is <c>nn.CrossEntropyLoss()</c>. The weights
            /// must number <see cref="OutputSize"/>.
            /// </summary>
            public global::Fixed.CrossEntropyOptions? CrossEntropyOptions
            {
                get => {{storage}};
                set => {{storage}} = global::Fixed.Engine.TrainingSupport.CheckCrossEntropy(value, OutputSize);
            }

            """);

    /// <summary>A model with <c>Dropout</c>: the seed of its masks.</summary>
    private static void WriteDropoutSeed(CodeWriter w, string target) => w.Lines($$"""
            /// <summary>
            /// The seed of the dropout masks Backward draws between the stacked layers (0 until set). Each Backward call takes the
            /// next masks of the seed's stream; setting the seed, even to the value it has, restarts the stream, so the same seed,
            /// weights and calls reproduce a training run bit for bit. Step, Forward, WarmUp, the warm-up steps of Backward and
            /// Evaluate run as PyTorch's eval mode (no dropout): Evaluate's loss is the eval-mode loss, not the one Backward returns.
            /// </summary>
            public ulong DropoutSeed
            {
                get => {{target}};
                set => {{target}} = value;
            }

            """);

    /// <summary><c>ZeroGrad</c>, <c>ClipGradNorm</c> and <c>ClipGradValue</c> over the lazily created <c>Gradients</c>: the same in every model.</summary>
    private static void WriteGradientMembers(CodeWriter w) => w.Lines("""
            /// <summary>Sets every gradient to zero (PyTorch's <c>zero_grad</c>).</summary>
            public void ZeroGrad()
            {
                if (_gradients is not null)
                {
                    _gradients.Clear();
                }
            }

            /// <summary>
            /// <c>torch.nn.utils.clip_grad_norm_</c> over all of <see cref="Gradients"/>: returns the total norm before clipping.
            /// </summary>
            public float ClipGradNorm(float maxNorm, float normType = 2f, bool errorIfNonfinite = false) =>
                global::Fixed.GradientClipping.ClipNorm(Gradients, maxNorm, normType, errorIfNonfinite);

            /// <summary><c>torch.nn.utils.clip_grad_value_</c>: clamps every gradient to [-clipValue, clipValue].</summary>
            public void ClipGradValue(float clipValue) => global::Fixed.GradientClipping.ClipValue(Gradients, clipValue);

            """);

    private static void WriteWeightsIO(CodeWriter w, bool learned)
    {
        w.Lines(learned ? WeightsIO.Replace("_parameters.Writable", "Parameters").Replace("_parameters.Values", "_values.Span") : WeightsIO);
    }

    private const string WeightsIO = """
            /// <summary>Loads safetensors weights with state_dict names <c>rnn.*</c> and <c>linear.*</c>; on any error the weights are unchanged.</summary>
            public void Load(string path) => global::Fixed.Engine.ModelWeights.Load(path, Layout, "rnn", "linear", _parameters.Writable);

            /// <summary>Loads safetensors weights whose names start with the given prefixes (e.g. <c>encoder.rnn</c>).</summary>
            public void Load(string path, string rnnPrefix, string headPrefix) => global::Fixed.Engine.ModelWeights.Load(path, Layout, rnnPrefix, headPrefix, _parameters.Writable);

            /// <summary>Loads safetensors weights from a stream.</summary>
            public void Load(global::System.IO.Stream stream) => global::Fixed.Engine.ModelWeights.Load(stream, Layout, "rnn", "linear", _parameters.Writable);

            /// <summary>Saves the weights as safetensors with state_dict names, atomically (a temporary file renamed over the target).</summary>
            public void Save(string path) => global::Fixed.Engine.ModelWeights.Save(path, Layout, _parameters.Values);

            /// <summary>Saves the weights as safetensors to a stream.</summary>
            public void Save(global::System.IO.Stream stream) => global::Fixed.Engine.ModelWeights.Save(stream, Layout, _parameters.Values);

            """;

    /// <summary>
    /// <c>LearnInitialState</c>: the flat vector is the model's own array, the weights first (the engine's store reads
    /// them in place) and the learned initial state after them, which the engine reads from there at each batched Backward.
    /// </summary>
    private static void WriteLearnedStateFields(CodeWriter w, NetworkSpec spec)
    {
        bool lstm = spec.Cell == Cell.Lstm;
        w.Lines($$"""
            /// <summary>Where the learned initial state (h0{{(lstm ? ", then c0" : string.Empty)}}, <c>[NumLayers, HiddenSize]</c>{{(lstm ? " each" : string.Empty)}}) starts in <see cref="Parameters"/>: after every weight.</summary>
            private const int InitialStateOffset = {{Int(spec.WeightCount)}};

            private readonly global::Fixed.Engine.AlignedBuffer _values = new(ParameterCount);

            // The engine's store over the weights at the start of _values (set by the constructors: an initialiser cannot read _values).
            private readonly global::Fixed.Engine.ParameterStore<FixedShape> _parameters;

            /// <summary>
            /// A state filled from the learned initial state (h0{{(lstm ? " and c0" : string.Empty)}}): where the batched Backward starts every sequence,
            /// so where a stream should start at inference. <c>default(State)</c> is still the zero state.
            /// </summary>
            public State InitialState()
            {
                State state = default;
                {{Engine}}.InitialState(_values.Span.Slice(InitialStateOffset, StateLength), state.Values);
                return state;
            }

            """);
    }

    private const string LearnedStore = "_parameters = new(_values.Array, _values.Offset);";

    private const string LearnedParameters = "\n{\n    get\n    {\n        _parameters.MarkWritten();\n        return _values.Span;\n    }\n}";

    private static void WriteShape(CodeWriter w, NetworkSpec spec) =>
        WriteShapeStruct(w, "private", "FixedShape", "This network's sizes as constants: the runtime engine is specialised for them by the JIT.",
            spec.InputSize, spec.HiddenSize, spec.NumLayers, spec.OutputSize, spec.Cell, spec.Relu, spec.Bias, spec.Window, spec.WeightPrecision, dropout: spec.Dropout);

    /// <summary>An <c>INetworkShape</c> struct: a recurrent layer's sizes as constant-returning static members.</summary>
    private static void WriteShapeStruct(CodeWriter w, string access, string name, string summary,
        int input, int hidden, int layers, int output, Cell cell, bool relu, bool bias, int window, WeightPrecision precision, int projSize = 0, bool bidirectional = false,
        double dropout = 0)
    {
        w.Line("/// <summary>" + summary + "</summary>");
        // The width marker lets the engine pick its 512- or 256-bit straight step with a type test, which every compiler folds
        // as it imports the method (IWideShape's remarks): wide where the packed layout takes 16 lanes when AVX-512 is there.
        bool wide = NetworkArithmetic.Lanes(hidden, vector512: true, vector256: true, vector128: true) == NetworkArithmetic.WidestLanes;
        string width = wide ? "global::Fixed.Engine.IWideShape" : "global::Fixed.Engine.INarrowShape";
        using (w.Open(access + " readonly struct " + name + " : global::Fixed.Engine.INetworkShape, " + width))
        {
            w.Line("public static int InputSize => " + Int(input) + ";");
            w.Line();
            w.Line("public static int HiddenSize => " + Int(hidden) + ";");
            w.Line();
            w.Line("public static int NumLayers => " + Int(layers) + ";");
            w.Line();
            w.Line("public static int OutputSize => " + Int(output) + ";");
            w.Line();
            w.Line("public static global::Fixed.Cell Cell => global::Fixed.Cell." + cell + ";");
            w.Line();
            w.Line("public static global::Fixed.Nonlinearity Nonlinearity => global::Fixed.Nonlinearity." + (relu ? "Relu" : "Tanh") + ";");
            w.Line();
            w.Line("public static bool Bias => " + (bias ? "true" : "false") + ";");
            w.Line();
            w.Line("public static int Window => " + Int(window) + ";");
            if (precision != WeightPrecision.Single)
            {
                // Only when asked for: INetworkShape's default is fp32, so every other model's output is unchanged.
                w.Line();
                w.Line("public static global::Fixed.WeightPrecision WeightPrecision => global::Fixed.WeightPrecision." + precision + ";");
            }

            if (projSize > 0)
            {
                w.Line();
                w.Line("public static int ProjSize => " + Int(projSize) + ";");
            }

            if (bidirectional)
            {
                w.Line();
                w.Line("public static bool Bidirectional => true;");
            }

            if (dropout > 0)
            {
                w.Line();
                w.Line("public static double Dropout => " + Parser.Number(dropout) + ";");
            }
        }
    }
}
