using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Fixed.Generator.Diagnostics;
using Fixed.Generator.Model;
using Fixed.Generator.Shared;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis;

namespace Fixed.Generator;

/// <summary>
/// Turns a class's layer attributes — <c>[Recurrent]</c>, <c>[Linear]</c> and the activations, in source order — into a
/// layer stack's <see cref="NetworkSpec"/>, or into the diagnostics that say why not.
/// </summary>
internal static class StackParser
{
    private static readonly Dictionary<string, LayerKind> Kinds = new()
    {
        ["RecurrentAttribute"] = LayerKind.Recurrent,
        ["LinearAttribute"] = LayerKind.Linear,
        ["ReluAttribute"] = LayerKind.Relu,
        ["LeakyReluAttribute"] = LayerKind.LeakyRelu,
        ["EluAttribute"] = LayerKind.Elu,
        ["GeluAttribute"] = LayerKind.Gelu,
        ["TanhAttribute"] = LayerKind.Tanh,
        ["SigmoidAttribute"] = LayerKind.Sigmoid,
        ["SoftmaxAttribute"] = LayerKind.Softmax,
        ["AddInputAttribute"] = LayerKind.AddInput,
    };

    /// <summary>The class's layer attributes (Fixed's, by full name), in the compiler's order.</summary>
    public static List<AttributeData> LayerAttributes(INamedTypeSymbol type) =>
        type.GetAttributes().Where(a => KindOf(a) is not null).ToList();

    private static LayerKind? KindOf(AttributeData attribute) =>
        attribute.AttributeClass is { ContainingNamespace: { Name: "Fixed", ContainingNamespace.IsGlobalNamespace: true } } cls &&
        Kinds.TryGetValue(cls.Name, out LayerKind kind) ? kind : null;

    /// <summary>
    /// A stack is anything but the original form, one <c>[Recurrent]</c> with the default name: that keeps its own
    /// emitter (and its optional <c>OutputSize</c> head).
    /// </summary>
    public static bool IsStack(List<AttributeData> layers) =>
        layers.Count != 1 || KindOf(layers[0]) != LayerKind.Recurrent ||
        layers[0].NamedArguments.Any(n => n.Key == "Name" && n.Value.Value is string name && name != "rnn");

    public static ParsedModel Parse(INamedTypeSymbol type, TypeDeclarationSyntax syntax, List<AttributeData> attributes, List<DiagnosticInfo> diagnostics,
        CancellationToken cancellationToken)
    {
        // Every layer attribute must sit on this declaration: across partial parts their order is not defined.
        var located = new List<(AttributeData Data, AttributeSyntax Syntax)>();
        foreach (AttributeData attribute in attributes)
        {
            if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax attributeSyntax)
            {
                return new ParsedModel(null, EquatableArray<DiagnosticInfo>.Empty, null);
            }

            if (attributeSyntax.SyntaxTree != syntax.SyntaxTree || !syntax.Span.Contains(attributeSyntax.Span))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayersOnSeveralParts, attributeSyntax.GetLocation(), type.Name));
                return new ParsedModel(null, diagnostics.ToEquatableArray(), null);
            }

            located.Add((attribute, attributeSyntax));
        }

        located.Sort((a, b) => a.Syntax.SpanStart.CompareTo(b.Syntax.SpanStart));

        var layers = new List<LayerSpec>();
        var names = new Dictionary<string, string>(System.StringComparer.Ordinal);
        string? weights = null;
        LocationInfo? weightsLocation = null;
        LayerSpec? previous = null;
        int ordinal = 0;
        bool reportedInterface = false;
        foreach ((AttributeData data, AttributeSyntax attributeSyntax) in located)
        {
            ordinal++;
            LayerKind kind = KindOf(data)!.Value;
            Location location = attributeSyntax.GetLocation();
            Location ArgumentLocation(string name, int position) => Parser.FindArgument(attributeSyntax, name, position) ?? location;
            LayerSpec? layer;
            switch (kind)
            {
                case LayerKind.Recurrent:
                {
                    Parser.RecurrentArguments a = Parser.ReadRecurrent(data, attributeSyntax, location, diagnostics);
                    if (a.OutputSizeLocation is { } outputSizeAt && a.OutputSize > 0)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OutputSizeInStack, outputSizeAt, Int(a.OutputSize), Int(a.HiddenSize)));
                    }

                    // ProjSize and Bidirectional layers run on SequenceEngine, which has no bfloat16 weights yet (a one-attribute
                    // model with them says the same: FIXED048).
                    if ((a.ProjSize > 0 || a.Bidirectional) && a.WeightPrecision != WeightPrecision.Single)
                    {
                        string other = a.ProjSize > 0 ? "ProjSize" : "Bidirectional";
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SequenceOptionUnsupported,
                            ArgumentLocation("WeightPrecision", -1), "WeightPrecision." + a.WeightPrecision, other + " on a layer of a layer stack ('" + type.Name + "')",
                            "remove WeightPrecision (these layers compute in fp32)"));
                    }

                    if (a.Bidirectional && !reportedInterface && Parser.ImplementsRecurrentModel(type))
                    {
                        reportedInterface = true;
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BidirectionalRecurrentModel, syntax.Identifier.GetLocation(), type.Name));
                    }

                    if (a.Weights is not null)
                    {
                        if (weights is not null)
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WeightsOnSeveralLayers, a.WeightsLocation!.ToLocation(), type.Name, weights, a.Weights));
                        }
                        else
                        {
                            weights = a.Weights;
                            weightsLocation = a.WeightsLocation;
                        }
                    }

                    // Its output per step is [forward, reverse] h of ProjSize (or hiddenSize) floats each: what the next layer reads.
                    int width = (a.Bidirectional ? 2 : 1) * (a.ProjSize > 0 ? a.ProjSize : a.HiddenSize);
                    layer = new LayerSpec(LayerKind.Recurrent, a.Name ?? "rnn", a.InputSize, width, a.NumLayers, a.Cell, a.Relu, a.Bias, a.Window, 0f, a.WeightPrecision,
                        a.LearnInitialState, a.Dropout, System.Math.Max(a.ProjSize, 0), a.Bidirectional, a.HiddenSize);
                    CheckChain(layer, previous, ArgumentLocation("inputSize", 0), "inputSize", diagnostics);
                    AddName(layer, ordinal, a.NameLocation ?? location, names, diagnostics);
                    break;
                }

                case LayerKind.Linear:
                {
                    int inFeatures = data.ConstructorArguments.Length > 0 && data.ConstructorArguments[0].Value is int i ? i : 0;
                    int outFeatures = data.ConstructorArguments.Length > 1 && data.ConstructorArguments[1].Value is int o ? o : 0;
                    bool bias = true;
                    string? name = null;
                    bool hasName = false;
                    foreach (KeyValuePair<string, TypedConstant> named in data.NamedArguments)
                    {
                        switch (named.Key)
                        {
                            case "Bias": bias = named.Value.Value is not bool b || b; break;
                            case "Name": name = named.Value.Value as string; hasName = true; break;
                        }
                    }

                    if (inFeatures < 1)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SizeTooSmall, ArgumentLocation("inFeatures", 0), "inFeatures", inFeatures, "input feature"));
                    }

                    if (outFeatures < 1)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SizeTooSmall, ArgumentLocation("outFeatures", 1), "outFeatures", outFeatures, "output feature"));
                    }

                    if (hasName)
                    {
                        CheckName(name, ArgumentLocation("Name", -1), diagnostics);
                    }

                    layer = new LayerSpec(LayerKind.Linear, name ?? "linear", inFeatures, outFeatures, 0, Cell.Rnn, false, bias, 0, 0f);
                    CheckChain(layer, previous, ArgumentLocation("inFeatures", 0), "inFeatures", diagnostics);
                    AddName(layer, ordinal, hasName ? ArgumentLocation("Name", -1) : location, names, diagnostics);
                    break;
                }

                case LayerKind.AddInput:
                {
                    int features = data.ConstructorArguments.Length > 0 && data.ConstructorArguments[0].Value is int f ? f : 0;
                    Location featuresAt = ArgumentLocation("features", 0);
                    if (previous is null)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ActivationFirst, location, "[AddInput]", type.Name));
                        layer = null;
                        break;
                    }

                    if (features < 1)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SizeTooSmall, featuresAt, "features", features, "input feature to add"));
                    }
                    else if (features != previous.OutputSize && previous.OutputSize >= 1)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AddInputWidth, featuresAt, Int(features), previous.Display, Int(previous.OutputSize)));
                    }
                    else if (layers.Count > 0 && layers[0].InputSize >= 1 && features > layers[0].InputSize)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AddInputWiderThanInput, featuresAt, Int(features), Int(layers[0].InputSize)));
                    }

                    // Valid only when features is the previous width; that width keeps a mistake from cascading down the chain.
                    layer = new LayerSpec(LayerKind.AddInput, null, previous.OutputSize, previous.OutputSize, 0, Cell.Rnn, false, false, 0, 0f);
                    break;
                }

                default:
                {
                    float argument = kind == LayerKind.LeakyRelu ? 0.01f : 1f;
                    string property = kind == LayerKind.LeakyRelu ? "NegativeSlope" : "Alpha";
                    foreach (KeyValuePair<string, TypedConstant> named in data.NamedArguments)
                    {
                        if (named.Key == property && named.Value.Value is float value)
                        {
                            argument = value;
                            if (float.IsNaN(value) || float.IsInfinity(value))
                            {
                                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadActivationArgument, ArgumentLocation(property, -1),
                                    property, value.ToString("R", CultureInfo.InvariantCulture),
                                    kind == LayerKind.LeakyRelu ? "PyTorch's default negative_slope is 0.01" : "PyTorch's default alpha is 1"));
                            }
                        }
                    }

                    if (previous is null)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ActivationFirst, location, "[" + kind + "]", type.Name));
                        layer = null;
                    }
                    else
                    {
                        layer = new LayerSpec(kind, null, previous.OutputSize, previous.OutputSize, 0, Cell.Rnn, false, false, 0, kind is LayerKind.LeakyRelu or LayerKind.Elu ? argument : 0f);
                    }

                    break;
                }
            }

            if (layer is null)
            {
                return new ParsedModel(null, diagnostics.ToEquatableArray(), null);
            }

            layers.Add(layer);
            previous = layer;
        }

        if (diagnostics.Count > 0)
        {
            return new ParsedModel(null, diagnostics.ToEquatableArray(), null);
        }

        NetworkSpec spec = StackSpec(Parser.NamespaceName(type.ContainingNamespace), Parser.ContainingTypes(type), type.Name, layers, weights);

        CheckSizes(spec, located[0].Syntax.GetLocation(), diagnostics);
        return diagnostics.Count > 0
            ? new ParsedModel(null, diagnostics.ToEquatableArray(), null)
            : new ParsedModel(spec, EquatableArray<DiagnosticInfo>.Empty, weightsLocation);
    }

    /// <summary>
    /// The spec of a stack of <paramref name="layers"/>: the single-layer fields summarise it (InputSize the first layer's,
    /// OutputSize the last's, HiddenSize/Cell the last recurrent layer's, NumLayers every recurrent layer, Window the least).
    /// </summary>
    internal static NetworkSpec StackSpec(string? ns, EquatableArray<ContainingType> containingTypes, string className, List<LayerSpec> layers, string? weights)
    {
        LayerSpec? lastRecurrent = layers.LastOrDefault(l => l.IsRecurrent);
        return new NetworkSpec(
            ns,
            containingTypes,
            className,
            layers[0].InputSize,
            lastRecurrent?.HiddenSize ?? 0,
            layers.Where(l => l.IsRecurrent).Sum(l => l.NumLayers),
            lastRecurrent?.Cell ?? Cell.Rnn,
            lastRecurrent?.Relu ?? false,
            lastRecurrent?.Bias ?? true,
            layers[layers.Count - 1].OutputSize,
            layers.Where(l => l.IsRecurrent).Select(l => l.Window).DefaultIfEmpty(64).Min(),
            weights,
            layers.ToEquatableArray());
    }

    /// <summary>A state_dict prefix: dot-separated parts of letters, digits and '_'.</summary>
    public static void CheckName(string? name, Location location, List<DiagnosticInfo> diagnostics)
    {
        bool valid = !string.IsNullOrEmpty(name) && name!.Split('.').All(part => part.Length > 0 && part.All(c => c == '_' || char.IsLetterOrDigit(c) && c < 128));
        if (!valid)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadLayerName, location, name is null ? "null" : "\"" + name + "\""));
        }
    }

    private static void CheckChain(LayerSpec layer, LayerSpec? previous, Location location, string argument, List<DiagnosticInfo> diagnostics)
    {
        if (previous is not null && layer.InputSize >= 1 && previous.OutputSize >= 1 && layer.InputSize != previous.OutputSize)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SizesDoNotChain, location, layer.Display, Int(layer.InputSize), previous.Display, Int(previous.OutputSize), argument));
        }
    }

    private static void AddName(LayerSpec layer, int ordinal, Location location, Dictionary<string, string> names, List<DiagnosticInfo> diagnostics)
    {
        string name = layer.Name!;
        string display = layer.Display + " (layer " + Int(ordinal) + ")";
        if (names.TryGetValue(name, out string? other))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateLayerName, location, other, display, name, name + Int(ordinal)));
        }
        else
        {
            names.Add(name, display);
        }
    }

    /// <summary>The stack's stack-memory budget: the State, plus what one step keeps on the stack (two layer-output buffers and a recurrent layer's gate scratch).</summary>
    internal static void CheckSizes(NetworkSpec spec, Location location, List<DiagnosticInfo> diagnostics)
    {
        try
        {
            long state = checked(spec.StateLength * sizeof(float));
            long widths = checked(2L * spec.Layers.Max(l => (long)l.OutputSize) * sizeof(float));
            long scratch = spec.ScratchBytes;
            long total = checked(state + widths + scratch);
            if (total > Parser.StackBudgetBytes)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.StackTooLarge, location, spec.ClassName, Parser.N0(total),
                    "State " + Parser.N0(state) + " B, layer outputs " + Parser.N0(widths) + " B, gate scratch " + Parser.N0(scratch) + " B", Parser.N0(Parser.StackBudgetBytes)));
                return;
            }
        }
        catch (System.OverflowException)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.StackTooLarge, location, spec.ClassName, "more than " + Parser.N0(long.MaxValue),
                "its sizes overflow", Parser.N0(Parser.StackBudgetBytes)));
            return;
        }

        if (Parser.Exceeds(() => spec.ParameterCount, Parser.MaxFloats, out string parameters))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NetworkTooLarge, location, spec.ClassName, parameters, "parameters", Parser.N0(Parser.MaxFloats), "reduce the layers' sizes or NumLayers (Window does not change the parameter count)"));
        }
        else if (Parser.Exceeds(() => checked(spec.Layers.Sum(l => l.IsRecurrent ? l.TapeStride * l.Window : 0L) + spec.Layers.Sum(l => 3L * l.OutputSize) * spec.Window), Parser.MaxFloats, out string tape))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NetworkTooLarge, location, spec.ClassName, tape, "floats of BPTT tape (Window × per-step record)", Parser.N0(Parser.MaxFloats), "reduce the Window of the Recurrent layers (train on shorter windows, carrying the state across them with warmUp), or their sizes"));
        }
    }

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
}
