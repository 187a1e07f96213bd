using Microsoft.CodeAnalysis;

namespace Fixed.Generator.Diagnostics;

/// <summary>Every diagnostic the generator reports; each is documented in docs/diagnostics.md.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Fixed";
    private const string HelpBase = "https://github.com/fixed-nn/fixed/blob/main/docs/diagnostics.md#";

    public static readonly DiagnosticDescriptor SizeTooSmall = Error(
        "FIXED001", "Size must be positive",
        "{0} is {1}, but it must be at least 1: give the network at least one {2}");

    public static readonly DiagnosticDescriptor NumLayersTooSmall = Error(
        "FIXED002", "NumLayers must be positive",
        "NumLayers is {0}, but a network needs at least 1 layer: set NumLayers = 1 or more");

    public static readonly DiagnosticDescriptor OutputSizeNegative = Error(
        "FIXED003", "OutputSize must not be negative",
        "OutputSize is {0}: use 0 for no Linear head (outputs are the top layer's hidden state), or a positive size for a head");

    public static readonly DiagnosticDescriptor WindowTooSmall = Error(
        "FIXED004", "Window must be positive",
        "Window is {0}, but Backward needs room for at least 1 step: set Window to the longest sequence you will train on");

    public static readonly DiagnosticDescriptor ReluOnGatedCell = Error(
        "FIXED005", "Relu applies only to Cell.Rnn",
        "Nonlinearity.Relu is only defined for Cell.Rnn, not Cell.{0} (PyTorch's nn.GRU and nn.LSTM have no nonlinearity option): remove Nonlinearity or use Cell.Rnn");

    public static readonly DiagnosticDescriptor NotPartial = Error(
        "FIXED006", "The class must be partial",
        "'{0}' must be declared partial so that Fixed can add the generated network to it: write 'partial class {0}'");

    public static readonly DiagnosticDescriptor Generic = Error(
        "FIXED007", "Generic classes are not supported",
        "'{0}' {1}: a [Recurrent] network has fixed sizes and cannot be generic; declare it in a non-generic type");

    public static readonly DiagnosticDescriptor StateTooLarge = Error(
        "FIXED008", "State too large for the stack",
        "The State of '{0}' would take {1} bytes ({2} layers × {3} floats), over the {4}-byte stack budget: reduce HiddenSize or NumLayers");

    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Error(
        "FIXED009", "Containing type must be partial",
        "'{0}' is nested in '{1}', which must also be declared partial so that the generated code can be nested in it");

    public static readonly DiagnosticDescriptor UnknownEnumValue = Error(
        "FIXED010", "Unknown enum value",
        "{0} = {1} is not a defined {2} value: use one of {3}");

    public static readonly DiagnosticDescriptor NetworkTooLarge = Error(
        "FIXED011", "Network too large",
        "'{0}' would have {1} {2}, over the limit of {3}: reduce HiddenSize, InputSize, NumLayers, OutputSize or Window");

    public static readonly DiagnosticDescriptor NotAClass = Error(
        "FIXED012", "Not an instance class",
        "'{0}' is {1}: [Recurrent] applies to a non-static, non-abstract partial class");

    public static readonly DiagnosticDescriptor ScratchTooLarge = Error(
        "FIXED013", "Per-step scratch too large for the stack",
        "One step of '{0}' needs {1} bytes of gate scratch on the stack ({2} gates × {3} hidden × 2 floats), over the {4}-byte budget: reduce HiddenSize");

    public static readonly DiagnosticDescriptor ClashesWithGeneratedCode = Error(
        "FIXED014", "Declaration clashes with the generated code",
        "'{0}' {1}: {2}");

    public static readonly DiagnosticDescriptor WeightsFileNotFound = Error(
        "FIXED015", "Weights file not in AdditionalFiles",
        "Weights = \"{0}\" names no AdditionalFiles item: add <AdditionalFiles Include=\"{0}\" /> to the project (Weights is matched against the end of each item's path: a file name or a relative path)");

    public static readonly DiagnosticDescriptor WeightsFileAmbiguous = Error(
        "FIXED016", "Weights names more than one file",
        "Weights = \"{0}\" matches {1} AdditionalFiles items ({2}): give more of the path, enough to name one of them");

    public static readonly DiagnosticDescriptor WeightsFileUnreadable = Error(
        "FIXED017", "Weights file cannot be read",
        "The weights file '{0}' cannot be compiled in: {1}");

    public static readonly DiagnosticDescriptor WeightsTensorMissing = Error(
        "FIXED018", "Weights file lacks a tensor",
        "The weights file '{0}' has no tensor '{1}' (shape {2}), which '{3}' needs; the file has {4}");

    public static readonly DiagnosticDescriptor WeightsTensorUnexpected = Error(
        "FIXED019", "Weights file has an extra tensor",
        "The weights file '{0}' has the tensor {1}, which '{2}' does not have: the model has exactly {3}; check the attribute's sizes, or save only this module's state_dict");

    public static readonly DiagnosticDescriptor WeightsTensorWrongDType = Error(
        "FIXED020", "Weights tensor is not F32",
        "Tensor '{1}' in the weights file '{0}' has dtype {2}, but weights are compiled in as F32: in PyTorch, save model.float().state_dict()");

    public static readonly DiagnosticDescriptor WeightsTensorWrongShape = Error(
        "FIXED021", "Weights tensor has the wrong shape",
        "Tensor '{1}' in the weights file '{0}' has shape {2}, but '{3}' needs {4}: make the attribute's sizes match the PyTorch module the file was saved from");

    public static readonly DiagnosticDescriptor NameShadowed = Error(
        "FIXED022", "A user type hides a name the generated code needs",
        "The type '{0}' declared here hides {1}, which every generated model refers to: rename it or move it into a namespace of your own");

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + id.ToLowerInvariant());
}
