using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Fixed.Generator.Diagnostics;
using Fixed.Generator.Model;
using Fixed.Generator.Shared;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis;

namespace Fixed.Generator;

/// <summary>Turns one <c>[Recurrent]</c> class into a <see cref="NetworkSpec"/>, or into the diagnostics that say why not.</summary>
internal static class Parser
{
    /// <summary>State budget: a State lives on the caller's stack (RTNeural #157 overflowed it with two 512-wide GRUs).</summary>
    public const int StackBudgetBytes = 64 * 1024;

    /// <summary>Largest flat vector (parameters or tape) a model may own, in floats.</summary>
    public const long MaxFloats = 256L * 1024 * 1024;

    /// <summary>A class found through its <c>[Recurrent]</c> attribute(s).</summary>
    public static ParsedModel Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
        Parse(context, viaLinear: false, cancellationToken);

    /// <summary>A class found through a <c>[Linear]</c> attribute: only a stack with no recurrent layer is parsed here.</summary>
    public static ParsedModel ParseLinear(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
        Parse(context, viaLinear: true, cancellationToken);

    /// <summary>A class found through its <c>[ModelFile]</c> attribute: the spec names the file; its layers come when the file is read.</summary>
    public static ParsedModel ParseModelFile(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var syntax = (TypeDeclarationSyntax)context.TargetNode;
        AttributeData attribute = context.Attributes[0];
        if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Kind == TypedConstantKind.Error ||
            attribute.NamedArguments.Any(n => n.Value.Kind == TypedConstantKind.Error) ||
            attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax attributeSyntax ||
            attributeSyntax.SyntaxTree != syntax.SyntaxTree || !syntax.Span.Contains(attributeSyntax.Span))
        {
            return new ParsedModel(null, EquatableArray<DiagnosticInfo>.Empty, null);
        }

        if (ShadowedName(context.SemanticModel.Compilation) is { } shadow)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NameShadowed, shadow.Location, shadow.Name, shadow.Needed));
            return new ParsedModel(null, diagnostics.ToEquatableArray(), null);
        }

        if (AlreadyRejectedByTheCompiler(type, cancellationToken))
        {
            return new ParsedModel(null, EquatableArray<DiagnosticInfo>.Empty, null);
        }

        CheckDeclaration(type, syntax, context.SemanticModel.Compilation, diagnostics, cancellationToken);
        Location attributeLocation = attributeSyntax.GetLocation();
        if (StackParser.LayerAttributes(type).FirstOrDefault() is { } layer)
        {
            Location at = layer.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? attributeLocation;
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelFileWithLayers, at, type.Name, "[" + layer.AttributeClass!.Name.Replace("Attribute", string.Empty) + "]"));
        }

        string? path = attribute.ConstructorArguments[0].Value as string;
        Location pathLocation = FindArgument(attributeSyntax, "path", 0) ?? attributeLocation;
        if (string.IsNullOrWhiteSpace(path))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelFilePathEmpty, pathLocation, path is null ? "null" : "\"" + path + "\""));
        }

        int window = 64;
        foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
        {
            if (named.Key == "Window" && named.Value.Value is int w)
            {
                window = w;
            }
        }

        if (window < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WindowTooSmall, FindArgument(attributeSyntax, "Window", -1) ?? attributeLocation, window));
        }

        if (diagnostics.Count > 0)
        {
            return new ParsedModel(null, diagnostics.ToEquatableArray(), null);
        }

        var spec = new NetworkSpec(NamespaceName(type.ContainingNamespace), ContainingTypes(type), type.Name, 0, 0, 0, Cell.Rnn, false, true, 0, window, null,
            ModelFile: path, DeclaresSampleRate: HasMemberNamed(type, "SampleRate"));
        return new ParsedModel(spec, EquatableArray<DiagnosticInfo>.Empty, LocationInfo.From(pathLocation));
    }

    /// <summary>Whether the class declares a member <paramref name="name"/>, or inherits one it can see.</summary>
    private static bool HasMemberNamed(INamedTypeSymbol type, string name)
    {
        for (INamedTypeSymbol? t = type; t is not null && t.SpecialType != SpecialType.System_Object; t = t.BaseType)
        {
            if (t.GetMembers(name).Any(m => !m.IsImplicitlyDeclared && (SymbolEqualityComparer.Default.Equals(t, type) || m.DeclaredAccessibility != Accessibility.Private)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the class has <c>[ModelFile]</c>: then that route parses it, and the layer attributes' routes leave it alone.</summary>
    private static bool HasModelFile(INamedTypeSymbol type) =>
        type.GetAttributes().Any(a => a.AttributeClass is { Name: "ModelFileAttribute", ContainingNamespace: { Name: "Fixed", ContainingNamespace.IsGlobalNamespace: true } });

    private static ParsedModel Parse(GeneratorAttributeSyntaxContext context, bool viaLinear, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var syntax = (TypeDeclarationSyntax)context.TargetNode;
        AttributeData attribute = context.Attributes[0];
        var attributeSyntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        Location attributeLocation = attributeSyntax?.GetLocation() ?? syntax.Identifier.GetLocation();
        List<AttributeData> layers = StackParser.LayerAttributes(type);

        // Arguments that did not bind are compile errors the user already sees: they produce no second complaint and no
        // code. A class with a recurrent layer is parsed where its first [Recurrent] is; the [Linear] route only takes
        // stacks without one, so that each class is parsed once.
        if (layers.Any(a => a.AttributeClass?.Name == "RecurrentAttribute" && a.ConstructorArguments.Length != 2) ||
            layers.Any(a => a.ConstructorArguments.Any(c => c.Kind == TypedConstantKind.Error) || a.NamedArguments.Any(n => n.Value.Kind == TypedConstantKind.Error)) ||
            (viaLinear && layers.Any(a => a.AttributeClass?.Name == "RecurrentAttribute")) ||
            HasModelFile(type))
        {
            return new ParsedModel(null, EquatableArray<DiagnosticInfo>.Empty, null);
        }

        // Only the part that carries the class's first attribute of this kind speaks for the class. Another part can reach
        // here too: one with more layer attributes (reported once, below), or one with the attribute under a target that
        // does not apply ([return: Recurrent], CS0657, ignored by the compiler): it must not emit the class a second time.
        AttributeData? first = layers.FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute.AttributeClass));
        if (attributeSyntax is null || !syntax.Span.Contains(attributeSyntax.Span) || attributeSyntax.SyntaxTree != syntax.SyntaxTree ||
            first?.ApplicationSyntaxReference is not { } firstReference || firstReference.SyntaxTree != syntax.SyntaxTree || !syntax.Span.Contains(firstReference.Span))
        {
            return new ParsedModel(null, EquatableArray<DiagnosticInfo>.Empty, null);
        }

        if (ShadowedName(context.SemanticModel.Compilation) is { } shadow)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NameShadowed, shadow.Location, shadow.Name, shadow.Needed));
            return new ParsedModel(null, new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()), null);
        }

        if (AlreadyRejectedByTheCompiler(type, cancellationToken))
        {
            return new ParsedModel(null, EquatableArray<DiagnosticInfo>.Empty, null);
        }

        CheckDeclaration(type, syntax, context.SemanticModel.Compilation, diagnostics, cancellationToken);

        if (StackParser.IsStack(layers))
        {
            return StackParser.Parse(type, syntax, layers, diagnostics, cancellationToken);
        }

        RecurrentArguments arguments = ReadRecurrent(attribute, attributeSyntax, attributeLocation, diagnostics);
        if (HasErrors(diagnostics))
        {
            return new ParsedModel(null, diagnostics.ToEquatableArray(), null);
        }

        var spec = new NetworkSpec(
            NamespaceName(type.ContainingNamespace),
            ContainingTypes(type),
            type.Name,
            arguments.InputSize,
            arguments.HiddenSize,
            arguments.NumLayers,
            arguments.Cell,
            arguments.Relu,
            arguments.Bias,
            arguments.OutputSize,
            arguments.Window,
            arguments.Weights,
            WeightPrecision: arguments.WeightPrecision,
            ProjSize: arguments.ProjSize,
            Bidirectional: arguments.Bidirectional,
            LearnInitialState: arguments.LearnInitialState,
            Dropout: arguments.Dropout);

        if ((arguments.ProjSize > 0 || arguments.Bidirectional) && arguments.WeightPrecision != WeightPrecision.Single)
        {
            // SequenceEngine computes in fp32 from Parameters; it has no bfloat16 copy of the weights.
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SequenceOptionUnsupported,
                FindArgument(attributeSyntax, "WeightPrecision", -1) ?? attributeLocation, "WeightPrecision." + arguments.WeightPrecision,
                arguments.ProjSize > 0 ? "ProjSize" : "Bidirectional", "remove WeightPrecision (these models compute in fp32)"));
        }

        if (arguments.Bidirectional && ImplementsRecurrentModel(type))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BidirectionalRecurrentModel, syntax.Identifier.GetLocation(), type.Name));
        }

        CheckSizes(spec, attributeLocation, diagnostics);

        // Warnings (FIXED041) leave the model valid: it is generated, and they are reported beside it.
        return HasErrors(diagnostics)
            ? new ParsedModel(null, diagnostics.ToEquatableArray(), null)
            : new ParsedModel(spec, diagnostics.ToEquatableArray(), arguments.WeightsLocation);
    }

    /// <summary>Whether any of <paramref name="diagnostics"/> is an error (a warning leaves the model to be generated).</summary>
    internal static bool HasErrors(List<DiagnosticInfo> diagnostics) => diagnostics.Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error);

    /// <summary>A double as C# and Python write it, in the invariant culture (round-trip form).</summary>
    internal static string Number(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The values of one of the runtime's enums as C# writes them: <c>Cell.Rnn, Cell.Gru, Cell.Lstm</c>.</summary>
    private static string EnumValues(System.Type type) => string.Join(", ", System.Enum.GetNames(type).Select(name => type.Name + "." + name));

    /// <summary>One <c>[Recurrent]</c> attribute's arguments, checked (each problem a diagnostic on its argument).</summary>
    internal sealed record RecurrentArguments(
        int InputSize, int HiddenSize, int NumLayers, Cell Cell, bool Relu, bool Bias, int OutputSize, int Window,
        string? Weights, string? Name, LocationInfo? WeightsLocation, Location? OutputSizeLocation, Location? NameLocation,
        WeightPrecision WeightPrecision, int ProjSize = 0, bool Bidirectional = false, Location? ProjSizeLocation = null, Location? BidirectionalLocation = null,
        bool LearnInitialState = false, double Dropout = 0, Location? DropoutLocation = null);

    /// <summary>Whether the user's own declaration lists <c>IRecurrentModel&lt;T&gt;</c> (a bidirectional model cannot implement it).</summary>
    internal static bool ImplementsRecurrentModel(INamedTypeSymbol type) =>
        type.AllInterfaces.Any(i => i.Name == "IRecurrentModel" && i.ContainingNamespace?.ToDisplayString() == "Fixed");

    internal static RecurrentArguments ReadRecurrent(AttributeData attribute, AttributeSyntax? attributeSyntax, Location attributeLocation, List<DiagnosticInfo> diagnostics)
    {
        int inputSize = attribute.ConstructorArguments[0].Value is int i ? i : 0;
        int hiddenSize = attribute.ConstructorArguments[1].Value is int h ? h : 0;
        int numLayers = 1, outputSize = 0, window = 64, cell = 0, nonlinearity = 0, precision = 0, projSize = 0;
        bool bias = true, bidirectional = false, hasProjSize = false, hasBidirectional = false;
        string? weights = null, name = null;
        bool hasOutputSize = false, hasName = false, learnInitialState = false, hasDropout = false;
        double dropout = 0;
        foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
        {
            object? value = named.Value.Value;
            switch (named.Key)
            {
                case "NumLayers": numLayers = value is int n ? n : numLayers; break;
                case "OutputSize": outputSize = value is int o ? o : outputSize; hasOutputSize = true; break;
                case "Window": window = value is int w ? w : window; break;
                case "Cell": cell = value is int c ? c : cell; break;
                case "Nonlinearity": nonlinearity = value is int a ? a : nonlinearity; break;
                case "WeightPrecision": precision = value is int p ? p : precision; break;
                case "Bias": bias = value is not bool b || b; break;
                case "ProjSize": projSize = value is int ps ? ps : projSize; hasProjSize = true; break;
                case "Bidirectional": bidirectional = value is bool bd && bd; hasBidirectional = true; break;
                case "Weights": weights = value as string; break;
                case "Name": name = value as string; hasName = true; break;
                case "LearnInitialState": learnInitialState = value is true; break;
                case "Dropout": dropout = value is double d ? d : dropout; hasDropout = true; break;
            }
        }

        Location ArgumentLocation(string argument, int position) => FindArgument(attributeSyntax, argument, position) ?? attributeLocation;

        if (inputSize < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SizeTooSmall, ArgumentLocation("inputSize", 0), "inputSize", inputSize, "input feature"));
        }

        if (hiddenSize < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SizeTooSmall, ArgumentLocation("hiddenSize", 1), "hiddenSize", hiddenSize, "hidden unit"));
        }

        if (numLayers < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NumLayersTooSmall, ArgumentLocation("NumLayers", -1), numLayers));
        }

        if (outputSize < 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OutputSizeNegative, ArgumentLocation("OutputSize", -1), outputSize));
        }

        if (window < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WindowTooSmall, ArgumentLocation("Window", -1), window));
        }

        if (!System.Enum.IsDefined(typeof(Cell), cell))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownEnumValue, ArgumentLocation("Cell", -1), "Cell", cell, "Cell", EnumValues(typeof(Cell))));
        }

        if (!System.Enum.IsDefined(typeof(Nonlinearity), nonlinearity))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownEnumValue, ArgumentLocation("Nonlinearity", -1), "Nonlinearity", nonlinearity, "Nonlinearity", EnumValues(typeof(Nonlinearity))));
        }
        else if ((Nonlinearity)nonlinearity == Nonlinearity.Relu && (Cell)cell is Cell.Gru or Cell.Lstm)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ReluOnGatedCell, ArgumentLocation("Nonlinearity", -1), ((Cell)cell).ToString()));
        }

        if (!System.Enum.IsDefined(typeof(WeightPrecision), precision))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownEnumValue, ArgumentLocation("WeightPrecision", -1), "WeightPrecision", precision, "WeightPrecision", EnumValues(typeof(WeightPrecision))));
        }

        if (projSize < 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ProjSizeNegative, ArgumentLocation("ProjSize", -1), projSize));
        }
        else if (projSize > 0 && System.Enum.IsDefined(typeof(Cell), cell) && (Cell)cell != Cell.Lstm)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ProjSizeNotLstm, ArgumentLocation("ProjSize", -1), projSize, ((Cell)cell).ToString()));
        }
        else if (projSize > 0 && hiddenSize >= 1 && projSize >= hiddenSize)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ProjSizeNotBelowHidden, ArgumentLocation("ProjSize", -1), projSize, hiddenSize, hiddenSize - 1));
        }

        if (hasName)
        {
            StackParser.CheckName(name, ArgumentLocation("Name", -1), diagnostics);
        }

        // PyTorch's own rule is 0 <= dropout <= 1; at 1 its masks zero every input of the layers above, and the scale
        // 1 / (1 - p) is infinite, so 1 is refused here. NaN fails both comparisons.
        if (!(dropout >= 0 && dropout < 1))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DropoutOutOfRange, ArgumentLocation("Dropout", -1), Number(dropout)));
        }
        else if (dropout > 0 && numLayers == 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DropoutWithOneLayer, ArgumentLocation("Dropout", -1), Number(dropout)));
        }

        return new RecurrentArguments(inputSize, hiddenSize, numLayers, (Cell)cell, (Nonlinearity)nonlinearity == Nonlinearity.Relu, bias, outputSize, window, weights, name,
            weights is null ? null : LocationInfo.From(ArgumentLocation("Weights", -1)),
            hasOutputSize ? ArgumentLocation("OutputSize", -1) : null,
            hasName ? ArgumentLocation("Name", -1) : null,
            (WeightPrecision)precision,
            projSize,
            bidirectional,
            hasProjSize ? ArgumentLocation("ProjSize", -1) : null,
            hasBidirectional ? ArgumentLocation("Bidirectional", -1) : null,
            learnInitialState,
            dropout,
            hasDropout ? ArgumentLocation("Dropout", -1) : null);
    }

    /// <summary>
    /// Declarations the C# compiler already rejects, where generated code could only add errors (or, for two symbols of
    /// one name, two files of one hint name): partial parts of different kinds (CS0261) on the class or a containing type,
    /// a second type of the same name in the same scope (CS0101), a nested type named like its class (CS0542), a
    /// top-level class declared private or protected (CS1527).
    /// The user sees the compiler's error; Fixed generates nothing for that class.
    /// </summary>
    /// <summary>The runtime types the generated code names as <c>global::Fixed.X</c> (metadata names).</summary>
    private static readonly string[] RuntimeTypes =
    [
        "Fixed.RecurrentAttribute", "Fixed.Cell", "Fixed.Nonlinearity", "Fixed.WeightPrecision", "Fixed.Loss", "Fixed.LossOn", "Fixed.SequenceLayout",
        "Fixed.ParameterInfo", "Fixed.Engine.ParameterInitializer", "Fixed.Engine.ParameterStore`1", "Fixed.Engine.RecurrentEngine`1",
        "Fixed.Engine.INetworkShape", "Fixed.IRecurrentModel`1", "Fixed.Engine.ModelWeights", "Fixed.GradientClipping",
        "Fixed.LinearAttribute", "Fixed.Engine.LayerKernels", "Fixed.Engine.TrainingSupport",
        "Fixed.ModelFileAttribute", "Fixed.Engine.ModelFiles",
    ];

    /// <summary>
    /// A user type that takes over a name the generated code depends on: a type called <c>System</c> or <c>Fixed</c> in
    /// the global namespace (then <c>global::System</c> / <c>global::Fixed</c> name it, not the namespace), or a source
    /// type with the full name of a runtime type (<c>namespace Fixed { enum Cell }</c>). Either would break every
    /// generated file with errors the user cannot act on, so it is reported once, plainly, instead.
    /// </summary>
    private static (string Name, string Needed, Location Location)? ShadowedName(Compilation compilation)
    {
        // Only the compilation's own (source) assembly is searched, not every reference: this runs for each model.
        foreach (string name in new[] { "System", "Fixed" })
        {
            foreach (INamedTypeSymbol type in compilation.Assembly.GlobalNamespace.GetTypeMembers(name))
            {
                if (type.Locations.FirstOrDefault(l => l.IsInSource) is { } location)
                {
                    return (name, "the namespace " + name, location);
                }
            }
        }

        foreach (string metadataName in RuntimeTypes)
        {
            System.Collections.Immutable.ImmutableArray<INamedTypeSymbol> types = compilation.GetTypesByMetadataName(metadataName);
            if (types.Length > 1 && types.FirstOrDefault(t => SymbolEqualityComparer.Default.Equals(t.ContainingAssembly, compilation.Assembly)) is { } own &&
                own.Locations.FirstOrDefault(l => l.IsInSource) is { } location)
            {
                string display = metadataName.Replace("`1", "<T>");
                return (display, "the runtime type " + display, location);
            }
        }

        return null;
    }

    private static bool AlreadyRejectedByTheCompiler(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            if (t.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken).Kind()).Distinct().Count() > 1)
            {
                return true;
            }
        }

        if (type.ContainingType is null && type.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal or Accessibility.NotApplicable))
        {
            return true;
        }

        System.Collections.Immutable.ImmutableArray<INamedTypeSymbol> namesakes = type.ContainingType is { } outer
            ? outer.GetTypeMembers(type.Name)
            : type.ContainingNamespace.GetTypeMembers(type.Name);
        return namesakes.Count(t => t.Arity == type.Arity) > 1 || !type.GetTypeMembers(type.Name).IsEmpty;
    }

    private static void CheckDeclaration(INamedTypeSymbol type, TypeDeclarationSyntax syntax, Compilation compilation, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        Location identifier = syntax.Identifier.GetLocation();
        bool isClass = syntax is ClassDeclarationSyntax;
        if (!isClass || type.IsStatic || type.IsAbstract)
        {
            string what = syntax is RecordDeclarationSyntax ? "a record" : !isClass ? "not a class" : type.IsStatic ? "static" : "abstract";
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotAClass, identifier, type.Name, what));
        }
        else
        {
            CheckClashes(type, syntax, compilation, diagnostics, cancellationToken);
        }

        if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, identifier, type.Name));
        }

        // Arity, not IsGenericType: that is also true inside a generic type, which gets its own message below.
        if (type.Arity > 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.Generic, identifier, type.Name, "is generic"));
        }

        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            if (outer.Arity > 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.Generic, identifier, type.Name, "is nested in the generic type '" + outer.Name + "'"));
            }

            bool outerPartial = outer.DeclaringSyntaxReferences.All(r =>
                r.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration && declaration.Modifiers.Any(SyntaxKind.PartialKeyword));
            if (!outerPartial)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ContainingTypeNotPartial, identifier, type.Name, outer.Name));
            }
        }
    }

    /// <summary>
    /// What a user cannot declare on a [Recurrent] class because the generated part declares it too; the compiler's
    /// own errors would point into generated code.
    /// </summary>
    private static void CheckClashes(INamedTypeSymbol type, TypeDeclarationSyntax syntax, Compilation compilation, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        Location identifier = syntax.Identifier.GetLocation();
        string constructors = type.Name + "() and " + type.Name + "(int seed)";
        for (INamedTypeSymbol? fileLocal = type; fileLocal is not null; fileLocal = fileLocal.ContainingType)
        {
            if (fileLocal.IsFileLocal)
            {
                string what = SymbolEqualityComparer.Default.Equals(fileLocal, type) ? "is file-local" : "is nested in the file-local type '" + fileLocal.Name + "'";
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ClashesWithGeneratedCode, identifier, type.Name, what,
                    "remove the 'file' modifier, because the generated part of the class is in another file"));
            }
        }

        if (Emitter.MemberNames.Contains(type.Name))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ClashesWithGeneratedCode, identifier, type.Name, "has the name of a generated member",
                "rename the class (a member cannot be named like its class)"));
        }

        CheckBaseClass(type, identifier, compilation, diagnostics);

        // A field, property, event or nested type of the class itself named like a generated member is a duplicate
        // definition (CS0102); a method of that name is an overload, and only an identical signature would clash.
        ISymbol? own = type.GetMembers().FirstOrDefault(m => !m.IsImplicitlyDeclared && m is not IMethodSymbol && Emitter.MemberNames.Contains(m.Name));
        if (own is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ClashesWithGeneratedCode, own.Locations.FirstOrDefault() ?? identifier, type.Name,
                "declares '" + own.Name + "', a name the generated code uses", "rename '" + own.Name + "'"));
        }

        ParameterListSyntax? primary = type.DeclaringSyntaxReferences
            .Select(r => (r.GetSyntax(cancellationToken) as TypeDeclarationSyntax)?.ParameterList)
            .FirstOrDefault(list => list is not null);
        if (primary is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ClashesWithGeneratedCode, primary.GetLocation(), type.Name, "has the primary constructor " + primary,
                "remove it, because the generated constructors " + constructors + " cannot chain to it"));
            return;
        }

        foreach (IMethodSymbol constructor in type.InstanceConstructors)
        {
            bool clashes = constructor.Parameters.Length == 0 ||
                (constructor.Parameters.Length == 1 && constructor.Parameters[0] is { RefKind: RefKind.None, Type.SpecialType: SpecialType.System_Int32 });
            if (clashes && !constructor.IsImplicitlyDeclared && constructor.Locations.FirstOrDefault() is { IsInSource: true } location)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ClashesWithGeneratedCode, location, type.Name,
                    "declares the constructor " + type.Name + "(" + string.Join(", ", constructor.Parameters.Select(p => p.Type.ToDisplayString())) + ")",
                    "remove it, because Fixed generates " + constructors));
            }
        }
    }

    /// <summary>
    /// The generated constructors chain to the base class's parameterless one, and the generated members must not hide
    /// an inherited one (CS0108, an error under TreatWarningsAsErrors).
    /// </summary>
    private static void CheckBaseClass(INamedTypeSymbol type, Location identifier, Compilation compilation, List<DiagnosticInfo> diagnostics)
    {
        if (type.BaseType is not { SpecialType: not SpecialType.System_Object } baseType)
        {
            return;
        }

        bool hasParameterless = baseType.InstanceConstructors.Any(c =>
            c.Parameters.All(p => p.IsOptional || p.IsParams) && compilation.IsSymbolAccessibleWithin(c, type));
        if (!hasParameterless)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ClashesWithGeneratedCode, identifier, type.Name,
                "derives from '" + baseType.Name + "', which has no accessible parameterless constructor",
                "give '" + baseType.Name + "' one, because the generated constructors call it"));
        }

        // A generated property, field or type hides any inherited member of its name; a generated method hides an
        // inherited property, field or type of its name (an inherited method only if the signature is the same).
        // A [Recurrent] ancestor's members are generated too, so they are not visible here: its attribute is.
        for (INamedTypeSymbol? ancestor = baseType; ancestor is { SpecialType: not SpecialType.System_Object }; ancestor = ancestor.BaseType)
        {
            if (StackParser.LayerAttributes(ancestor).Count > 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ClashesWithGeneratedCode, identifier, type.Name,
                    "derives from the [Recurrent] class '" + ancestor.Name + "', whose generated members its own would hide",
                    "derive from something else, or hold the other model in a field"));
                return;
            }

            ISymbol? hidden = ancestor.GetMembers()
                .Where(m => Emitter.MemberNames.Contains(m.Name) && !m.IsImplicitlyDeclared && compilation.IsSymbolAccessibleWithin(m, type))
                .FirstOrDefault(m => !Emitter.MethodNames.Contains(m.Name) || m is not IMethodSymbol);
            if (hidden is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ClashesWithGeneratedCode, identifier, type.Name,
                    "derives from '" + baseType.Name + "', whose member '" + ancestor.Name + "." + hidden.Name + "' a generated member would hide",
                    "rename that member, or do not derive from '" + baseType.Name + "'"));
                return;
            }
        }
    }

    internal static void CheckSizes(NetworkSpec spec, Location location, List<DiagnosticInfo> diagnostics)
    {
        if (Exceeds(() => checked(spec.StateLength * sizeof(float)), StackBudgetBytes, out string stateBytes))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.StateTooLarge, location, spec.ClassName,
                stateBytes, spec.NumLayers, spec.StatePerLayer, N0(StackBudgetBytes)));
        }

        // What the runtime's engine stackallocs per step (PackedLayout's ScratchLength and the cache-line slack), at the
        // widest vector a user's machine can have. HiddenSize is an int, so this long cannot overflow.
        long scratchBytes = spec.ScratchBytes;
        if (scratchBytes > StackBudgetBytes)
        {
            long padded = NetworkArithmetic.PaddedHidden(spec.HiddenSize, NetworkArithmetic.WidestLanes);
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ScratchTooLarge, location, spec.ClassName,
                N0(scratchBytes), NetworkArithmetic.ScratchLength(spec.Cell, spec.HiddenSize, NetworkArithmetic.WidestLanes) / padded, N0(padded),
                spec.HiddenSize, NetworkArithmetic.WidestLanes, NetworkArithmetic.CacheLineSlackFloats, N0(StackBudgetBytes)));
        }

        if (Exceeds(() => spec.ParameterCount, MaxFloats, out string parameters))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NetworkTooLarge, location, spec.ClassName, parameters, "parameters", N0(MaxFloats), "reduce hiddenSize, inputSize, NumLayers or OutputSize (Window does not change the parameter count)"));
        }
        else if (Exceeds(() => checked(spec.TapeStride * spec.Window), MaxFloats, out string tape))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NetworkTooLarge, location, spec.ClassName, tape, "floats of BPTT tape (Window × per-step record)", N0(MaxFloats), "reduce Window (train on shorter windows, carrying the state across them with warmUp), or hiddenSize or NumLayers"));
        }
    }

    /// <summary>Whether a size exceeds <paramref name="limit"/>; a size too large even for a long counts as exceeding it.</summary>
    internal static bool Exceeds(System.Func<long> size, long limit, out string shown)
    {
        try
        {
            long value = size();
            shown = N0(value);
            return value > limit;
        }
        catch (System.OverflowException)
        {
            shown = "more than " + N0(long.MaxValue);
            return true;
        }
    }

    internal static string N0(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>The namespace as written in C# but without '@' escapes (the emitter adds them back where needed), or null for the global namespace.</summary>
    internal static string? NamespaceName(INamespaceSymbol ns)
    {
        var parts = new List<string>();
        for (INamespaceSymbol? current = ns; current is { IsGlobalNamespace: false }; current = current.ContainingNamespace)
        {
            parts.Insert(0, current.Name);
        }

        return parts.Count == 0 ? null : string.Join(".", parts);
    }

    internal static EquatableArray<ContainingType> ContainingTypes(INamedTypeSymbol type)
    {
        var chain = new List<ContainingType>();
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            string keyword = outer.IsRecord
                ? (outer.TypeKind == TypeKind.Struct ? "record struct" : "record")
                : outer.TypeKind switch { TypeKind.Struct => "struct", TypeKind.Interface => "interface", _ => "class" };
            chain.Insert(0, new ContainingType(keyword, outer.Name));
        }

        return chain.ToEquatableArray();
    }

    /// <summary>The location of a named argument, or of the positional argument at <paramref name="position"/>.</summary>
    internal static Location? FindArgument(AttributeSyntax? attribute, string name, int position)
    {
        if (attribute?.ArgumentList is not { } list)
        {
            return null;
        }

        foreach (AttributeArgumentSyntax argument in list.Arguments)
        {
            string? argumentName = argument.NameEquals?.Name.Identifier.ValueText ?? argument.NameColon?.Name.Identifier.ValueText;
            if (argumentName == name)
            {
                return argument.GetLocation();
            }
        }

        if (position >= 0 && position < list.Arguments.Count && list.Arguments[position].NameEquals is null && list.Arguments[position].NameColon is null)
        {
            return list.Arguments[position].GetLocation();
        }

        return null;
    }
}
