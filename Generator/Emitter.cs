using System.Globalization;
using System.Linq;
using System.Reflection;
using Fixed.Generator.Model;
using Fixed.Generator.Shared;
using Microsoft.CodeAnalysis.CSharp;

namespace Fixed.Generator;

/// <summary>
/// Writes one model's source: the sizes as constants, the state layout, the parameter layout and thin members
/// that call the runtime engine specialised for this shape. Split by what is emitted: this file holds the file
/// skeleton and the header; <c>Emitter.State.cs</c>, <c>Emitter.Members.cs</c> the rest.
/// </summary>
internal static partial class Emitter
{
    private static readonly string Version =
        typeof(Emitter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>
    /// Every name the generated part declares in the class. The class cannot be named like one (CS0542) nor inherit a
    /// member the generated one would hide (CS0108), so the Parser rejects both; ClashDiagnosticTests keeps this list in
    /// step with what is emitted.
    /// </summary>
    public static readonly System.Collections.Generic.HashSet<string> MemberNames =
    [
        "InputSize", "HiddenSize", "NumLayers", "OutputSize", "ParameterCount", "Window", "StateLength",
        "s_layout", "_parameters", "_gradients", "_tape", "_work", "Parameters", "ParameterValues", "Gradients", "Layout",
        "Step", "Forward", "WarmUp", "Backward", "Evaluate", "ZeroGrad", "ClipGradNorm", "ClipGradValue", "Tape", "Work",
        "Load", "Save", "State", "FixedShape", "EmbeddedWeights", "StateLayout", "s_stateLayout", "_network", "FixedNetwork",
        "FixedModelFileArchitecture", "CrossEntropyOptions", "_crossEntropy",
        "InitialState", "InitialStateOffset", "_values", "_store", "DropoutSeed", "_dropout",
    ];

    /// <summary>The generated methods among <see cref="MemberNames"/>: these overload, rather than hide, inherited methods of another signature.</summary>
    public static readonly System.Collections.Generic.HashSet<string> MethodNames =
    [
        "Step", "Forward", "WarmUp", "Backward", "Evaluate", "ZeroGrad", "ClipGradNorm", "ClipGradValue", "Load", "Save", "InitialState",
    ];

    /// <summary><c>{Namespace}.{ContainingTypes}.{Type}.g.cs</c>, without '@' escapes (not allowed in a hint name).</summary>
    public static string HintName(NetworkSpec spec) => spec.FullName + ".g.cs";

    public static string Emit(ModelToEmit model)
    {
        NetworkSpec spec = model.Spec;
        if (spec.IsStack)
        {
            return EmitStack(model);
        }

        if (spec.IsSequence)
        {
            return EmitSequence(model);
        }

        var w = new CodeWriter();
        WriteHeader(w, spec, model.Weights);
        WriteClass(w, spec, () =>
        {
            WriteConstants(w, spec);
            WriteFieldsAndConstructors(w, spec, model.Weights is not null);
            WriteInterfaceStatics(w, spec);
            WriteInference(w);
            WriteTraining(w, spec.LearnInitialState);
            if (spec.Dropout > 0)
            {
                WriteDropoutSeed(w, "_parameters.DropoutSeed");
            }

            WriteWeightsIO(w, spec.LearnInitialState);
            WriteState(w, spec);
            WriteShape(w, spec);
            if (model.Weights is { } weights)
            {
                WriteEmbeddedWeights(w, spec, weights);
            }
        });
        return w.ToString();
    }

    /// <summary>
    /// The part of the file after the header: <c>#nullable</c>, the namespace and containing types, and the partial class
    /// implementing <c>IRecurrentModel</c>, whose members <paramref name="members"/> writes.
    /// </summary>
    private static void WriteClass(CodeWriter w, NetworkSpec spec, System.Action members, string? interfaces = null)
    {
        w.Line("#nullable enable");
        w.Line();
        var scopes = new System.Collections.Generic.List<CodeWriter.Block>();
        if (spec.Namespace is not null)
        {
            scopes.Add(w.Open("namespace " + string.Join(".", spec.Namespace.Split('.').Select(Identifier))));
        }

        foreach (ContainingType outer in spec.ContainingTypes)
        {
            scopes.Add(w.Open("partial " + outer.Keyword + " " + Identifier(outer.Name)));
        }

        w.Line("[global::System.CodeDom.Compiler.GeneratedCode(\"Fixed\", \"" + Version + "\")]");
        string name = Identifier(spec.ClassName);
        using (w.Open("partial class " + name + " : " + (interfaces ?? "global::Fixed.IRecurrentModel<" + name + ">")))
        {
            members();
        }

        for (int i = scopes.Count - 1; i >= 0; i--)
        {
            scopes[i].Dispose();
        }
    }

    private static void WriteHeader(CodeWriter w, NetworkSpec spec, EquatableArray<byte>? weights)
    {
        long parameters = spec.ParameterCount;
        long tape = spec.TapeStride * spec.Window;
        w.Line("// <auto-generated/>");
        w.Line("// Generated by Fixed " + Version + " from the [Recurrent] attribute on " + spec.FullName + ". Do not edit: change the attribute.");
        w.Line("//");
        w.Line("// PyTorch equivalent: " + PyTorchModule(spec));
        w.Line("//   parameters  " + Pad(parameters) + " floats (" + Bytes(parameters) + "), in the object, PyTorch state_dict layout");
        w.Line("//   gradients   " + Pad(parameters) + " floats (" + Bytes(parameters) + "), in the object");
        w.Line("//   state       " + Pad(spec.StateLength) + " floats (" + Bytes(spec.StateLength) + "), a struct on the caller's stack");
        w.Line("//   BPTT tape   " + Pad(tape) + " floats (" + Bytes(tape) + "), Window " + Int(spec.Window) + " x " + Int(spec.TapeStride) + " per step, allocated by the first Backward");
        if (weights is { } bytes)
        {
            w.Line("//   weights     compiled in from \"" + CommentText(spec.Weights!) + "\" (" + Bytes(bytes.Count / 4) + " of constant data): the parameterless constructor starts from them");
        }
    }

    private static string PyTorchModule(NetworkSpec spec)
    {
        string module = spec.Cell switch { Cell.Gru => "nn.GRU", Cell.Lstm => "nn.LSTM", _ => "nn.RNN" };
        string arguments = Int(spec.InputSize) + ", " + Int(spec.HiddenSize);
        if (spec.NumLayers != 1)
        {
            arguments += ", num_layers=" + Int(spec.NumLayers);
        }

        if (spec.Relu)
        {
            arguments += ", nonlinearity='relu'";
        }

        if (!spec.Bias)
        {
            arguments += ", bias=False";
        }

        if (spec.Bidirectional)
        {
            arguments += ", bidirectional=True";
        }

        if (spec.ProjSize > 0)
        {
            arguments += ", proj_size=" + Int(spec.ProjSize);
        }

        if (spec.Dropout > 0)
        {
            arguments += ", dropout=" + Parser.Number(spec.Dropout);
        }

        string text = "rnn = " + module + "(" + arguments + ")";
        text = spec.OutputSize > 0 ? text + "; linear = nn.Linear(" + Int(spec.Directions * spec.HiddenOut) + ", " + Int(spec.OutputSize) + ")" : text + " (no head)";
        if (spec.LearnInitialState)
        {
            int rows = spec.NumLayers * spec.Directions;
            string parameter = " = nn.Parameter(torch.zeros(" + Int(rows) + ", 1, " + Int(spec.HiddenSize) + "))";
            string hidden = " = nn.Parameter(torch.zeros(" + Int(rows) + ", 1, " + Int(spec.HiddenOut) + "))";
            text += "; h0" + hidden + (spec.Cell == Cell.Lstm ? "; c0" + parameter : string.Empty);
        }

        return text;
    }

    private static void WriteConstants(CodeWriter w, NetworkSpec spec)
    {
        Constant(w, "InputSize", spec.InputSize, "Features per time step (PyTorch's <c>input_size</c>).");
        Constant(w, "HiddenSize", spec.HiddenSize, "Hidden units per layer (PyTorch's <c>hidden_size</c>).");
        Constant(w, "NumLayers", spec.NumLayers, "Stacked recurrent layers (PyTorch's <c>num_layers</c>).");
        Constant(w, "OutputSize", spec.EffectiveOutputSize, spec.OutputSize > 0
            ? "Outputs per step: the size of the Linear head."
            : "Outputs per step: the top layer's hidden state (there is no head).");
        Constant(w, "ParameterCount", spec.ParameterCount, "Floats in <see cref=\"Parameters\"/>: every weight and bias, head included" +
            (spec.LearnInitialState ? ", then the learned initial state." : "."));
        Constant(w, "Window", spec.Window, "The longest sequence one <c>Backward</c> call accepts.");
        Constant(w, "StateLength", spec.StateLength, "Floats in one <see cref=\"State\"/>: h" + (spec.Cell == Cell.Lstm ? " and c" : string.Empty) + " of every layer.");
    }

    private static void Constant(CodeWriter w, string name, long value, string doc)
    {
        w.Line("/// <summary>" + doc + "</summary>");
        w.Line("public const int " + name + " = " + Int(value) + ";");
        w.Line();
    }

    /// <summary>A name as a C# identifier: a keyword used as a name (<c>@class</c>) needs its '@' back.</summary>
    private static string Identifier(string name) => SyntaxFacts.GetKeywordKind(name) == SyntaxKind.None ? name : "@" + name;

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Pad(long value) => value.ToString("N0", CultureInfo.InvariantCulture).PadLeft(11);

    private static string Bytes(long floats)
    {
        long bytes = floats * 4;
        return bytes < 10 * 1024
            ? bytes.ToString("N0", CultureInfo.InvariantCulture) + " B"
            : (bytes / 1024.0).ToString("N1", CultureInfo.InvariantCulture) + " KiB";
    }
}
