using Microsoft.CodeAnalysis;

namespace Fixed.Generator.Diagnostics;

/// <summary>Every diagnostic the generator reports; each is documented in docs/diagnostics.md.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Fixed";

    // No help link: the project has no public web address yet, and a link that opens nothing is worse than none.
    // The reference ships inside the package instead (docs/diagnostics.md), and every descriptor says where.
    private const string Reference =
        "docs/diagnostics.md, shipped in the Fixed package (and in the repository), explains each diagnostic under a heading with its ID: the cause, the fix and an example.";

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
        "'{0}' would have {1} {2}, over the limit of {3}: {4}");

    public static readonly DiagnosticDescriptor NotAClass = Error(
        "FIXED012", "Not an instance class",
        "'{0}' is {1}: [Recurrent] applies to a non-static, non-abstract partial class");

    public static readonly DiagnosticDescriptor ScratchTooLarge = Error(
        "FIXED013", "Per-step scratch too large for the stack",
        "One step of '{0}' needs up to {1} bytes of gate scratch on the stack ({2} vectors × {3} floats, HiddenSize {4} padded to {5}-float SIMD vectors, plus {6} floats of cache-line alignment), over the {7}-byte budget: reduce HiddenSize");

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

    public static readonly DiagnosticDescriptor SizesDoNotChain = Error(
        "FIXED023", "Layer sizes do not chain",
        "{0} takes {1} features per step, but the layer before it, {2}, gives {3}: set {4} to {3} (a layer's input size is the previous layer's output size)");

    public static readonly DiagnosticDescriptor DuplicateLayerName = Error(
        "FIXED024", "Two layers have one name",
        "{0} and {1} are both named '{2}', so their state_dict tensors would clash: give one of them its own Name, e.g. Name = \"{3}\"");

    public static readonly DiagnosticDescriptor OutputSizeInStack = Error(
        "FIXED025", "OutputSize inside a layer stack",
        "OutputSize = {0} adds a Linear head only when [Recurrent] is the class's only layer attribute: remove OutputSize and add [Linear({1}, {0})] after the [Recurrent] instead");

    public static readonly DiagnosticDescriptor LayersOnSeveralParts = Error(
        "FIXED026", "Layer attributes on several partial declarations",
        "'{0}' has layer attributes on more than one partial declaration, so their order is ambiguous: put every [Recurrent], [Linear] and activation attribute of '{0}' on one declaration");

    public static readonly DiagnosticDescriptor BadActivationArgument = Error(
        "FIXED027", "Activation argument must be finite",
        "{0} is {1}, but it must be a finite number: {2}");

    public static readonly DiagnosticDescriptor ActivationFirst = Error(
        "FIXED028", "Activation layer before any sized layer",
        "{0} is the first layer of '{1}', so its width is unknown: put a [Recurrent] or [Linear] layer before it");

    public static readonly DiagnosticDescriptor WeightsOnSeveralLayers = Error(
        "FIXED029", "Weights given more than once",
        "Weights is given on more than one [Recurrent] of '{0}' ('{1}' and '{2}'): name the one safetensors file that holds the whole stack's state_dict on the first [Recurrent] only");

    public static readonly DiagnosticDescriptor StackTooLarge = Error(
        "FIXED030", "Layer stack too large for the stack",
        "'{0}' needs {1} bytes on the caller's stack ({2}), over the {3}-byte budget: make the layers narrower or fewer");

    public static readonly DiagnosticDescriptor BadLayerName = Error(
        "FIXED031", "Invalid layer name",
        "Name is {0}, which cannot be a state_dict prefix: use letters, digits and '_', with '.' only between parts, e.g. \"encoder\" or \"encoder.rnn\"");

    public static readonly DiagnosticDescriptor DropoutOutOfRange = Error(
        "FIXED040", "Dropout must be in [0, 1)",
        "Dropout is {0}, but it is the probability that a unit is zeroed and must be at least 0 and below 1 (at 1 the layers above would only ever see zeros): use a value such as 0.2, or 0 for none");

    public static readonly DiagnosticDescriptor DropoutWithOneLayer = Warning(
        "FIXED041", "Dropout has no effect with one layer",
        "Dropout = {0} has no effect with NumLayers = 1: dropout applies between the stacked layers of one Recurrent only, as PyTorch's (which warns the same); set NumLayers to 2 or more, or remove Dropout");

    public static readonly DiagnosticDescriptor ProjSizeNotLstm = Error(
        "FIXED045", "ProjSize applies only to Cell.Lstm",
        "ProjSize = {0} is only defined for Cell.Lstm, not Cell.{1} (PyTorch's proj_size exists only in nn.LSTM): remove ProjSize or use Cell.Lstm");

    public static readonly DiagnosticDescriptor ProjSizeNegative = Error(
        "FIXED046", "ProjSize must not be negative",
        "ProjSize is {0}: use 0 for no projection, or a size from 1 to hiddenSize - 1");

    public static readonly DiagnosticDescriptor ProjSizeNotBelowHidden = Error(
        "FIXED047", "ProjSize must be below hiddenSize",
        "ProjSize = {0} is not below hiddenSize = {1} (PyTorch's rule: proj_size has to be smaller than hidden_size): use a ProjSize from 1 to {2}, or 0 for no projection");

    public static readonly DiagnosticDescriptor SequenceOptionUnsupported = Error(
        "FIXED048", "Not supported with ProjSize or Bidirectional yet",
        "{0} is not supported together with {1} yet: {2}");

    public static readonly DiagnosticDescriptor BidirectionalRecurrentModel = Error(
        "FIXED049", "A bidirectional model cannot implement IRecurrentModel",
        "'{0}' is Bidirectional, so it has no Step or WarmUp (its reverse direction starts at the last step of a sequence) and cannot implement IRecurrentModel<{0}>: remove that interface (the generated class implements IParameters, which optimizers take)");

    public static readonly DiagnosticDescriptor ModelFileNotFound = Error(
        "FIXED050", "Model file not in AdditionalFiles",
        "The model file '{0}' is not among the project's AdditionalFiles: add <AdditionalFiles Include=\"{0}\" /> to the project (ModelFile matches a file name or the end of a path)");

    public static readonly DiagnosticDescriptor ModelFileAmbiguous = Error(
        "FIXED051", "ModelFile names more than one file",
        "ModelFile '{0}' matches {1} AdditionalFiles items ({2}): give enough of the path to name one");

    public static readonly DiagnosticDescriptor ModelFileUnreadable = Error(
        "FIXED052", "Model file cannot be read",
        "The model file '{0}' cannot be read: {1}");

    public static readonly DiagnosticDescriptor ModelFileUnsupported = Error(
        "FIXED053", "Model file uses what Fixed does not have",
        "The model file '{0}' cannot be imported: {1}");

    public static readonly DiagnosticDescriptor ModelFileWithLayers = Error(
        "FIXED054", "ModelFile together with layer attributes",
        "'{0}' has [ModelFile] and the layer attribute {1}: the layers of a [ModelFile] class come from the file; remove the layer attributes, or the [ModelFile]");

    public static readonly DiagnosticDescriptor ModelFilePathEmpty = Error(
        "FIXED055", "ModelFile path is empty",
        "ModelFile's path is {0}: name the model file, e.g. [ModelFile(\"amp.json\")], and list it in AdditionalFiles");

    public static readonly DiagnosticDescriptor AddInputWidth = Error(
        "FIXED056", "AddInput does not match the width where it is added",
        "[AddInput({0})] adds {0} input features to the output of {1}, which gives {2} per step: set features to {2}, or make the layer before it {0} wide (a residual adds one input feature to each output, without broadcasting)");

    public static readonly DiagnosticDescriptor AddInputWiderThanInput = Error(
        "FIXED057", "AddInput adds more features than the input has",
        "[AddInput({0})] adds the stack's first {0} input features, but its input has {1} (InputSize): use at most {1} features");

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, description: Reference);

    private static DiagnosticDescriptor Warning(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, description: Reference);
}
