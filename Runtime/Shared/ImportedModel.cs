// Compiled into the runtime (namespace Fixed) and, linked, into the source generator (namespace Fixed.Generator.Shared):
// what a model file made elsewhere becomes, the same for [ModelFile] at compile time and Load at run time. Keep it
// netstandard2.0-compatible C#: see Runtime/Shared/README.md.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

#if FIXED_GENERATOR
namespace Fixed.Generator.Shared;
#else
namespace Fixed;
#endif

/// <summary>A layer of an imported model: the layer attributes of a hand-written stack (CONTRACT section 5), by name.</summary>
internal enum ImportedLayerKind
{
    Recurrent,
    Linear,
    Relu,
    LeakyRelu,
    Elu,
    Gelu,
    Tanh,
    Sigmoid,
    Softmax,

    /// <summary>A residual: the model's first <c>OutputSize</c> input features added to the layer's input (<c>[AddInput]</c>).</summary>
    AddInput,
}

/// <summary>
/// One layer of an imported model: what one layer attribute of a hand-written stack would declare. Imports always give a
/// recurrent layer one stacked layer (a file's stacked layers become layers of their own).
/// </summary>
internal sealed class ImportedLayer
{
    public ImportedLayer(ImportedLayerKind kind, string? name, int inputSize, int outputSize, Cell cell, bool bias, float argument, int numLayers = 1,
        bool learnInitialState = false)
    {
        NumLayers = numLayers;
        LearnInitialState = learnInitialState;
        Kind = kind;
        Name = name;
        InputSize = inputSize;
        OutputSize = outputSize;
        Cell = cell;
        Bias = bias;
        Argument = argument;
    }

    public ImportedLayerKind Kind { get; }

    /// <summary>The state_dict prefix of a layer with weights; null for an activation.</summary>
    public string? Name { get; }

    public int InputSize { get; }

    public int OutputSize { get; }

    public Cell Cell { get; }

    /// <summary>A recurrent layer's stacked layers (PyTorch's <c>num_layers</c>); 1 otherwise.</summary>
    public int NumLayers { get; }

    public bool Bias { get; }

    /// <summary>
    /// Whether the recurrent layer starts from an initial state the file holds (<c>LearnInitialState = true</c>): its h0
    /// (and c0) follow every layer's weights in <see cref="ImportedModel.Parameters"/>, as a hand-written stack's do.
    /// </summary>
    public bool LearnInitialState { get; }

    /// <summary>Elu's alpha, LeakyRelu's negative slope; 0 otherwise.</summary>
    public float Argument { get; }

    /// <summary>Floats of this layer's weights and biases, in state_dict layout (its learned initial state not included).</summary>
    public long ParameterCount => Kind switch
    {
        ImportedLayerKind.Linear => ((long)OutputSize * InputSize) + (Bias ? OutputSize : 0),
        ImportedLayerKind.Recurrent => NetworkArithmetic.ParameterCount(Cell, InputSize, OutputSize, NumLayers, 0, Bias),
        _ => 0,
    };

    /// <summary>
    /// The layer as one line of text, e.g. <c>gru0: GRU(1, 8)</c> or <c>Elu(1)</c>: the generated class keeps its file's
    /// lines, and <c>Load</c> compares them with the file it reads, so a file of another architecture is refused by name.
    /// </summary>
    public static string Describe(ImportedLayerKind kind, string? name, int inputSize, int outputSize, Cell cell, bool bias, float argument, int numLayers,
        bool learnInitialState)
    {
        string sizes = "(" + inputSize.ToString(CultureInfo.InvariantCulture) + ", " + outputSize.ToString(CultureInfo.InvariantCulture) +
            (numLayers > 1 ? ", num_layers=" + numLayers.ToString(CultureInfo.InvariantCulture) : string.Empty) + (bias ? string.Empty : ", no bias") +
            (learnInitialState ? ", learned initial state" : string.Empty) + ")";
        return kind switch
        {
            ImportedLayerKind.Recurrent => name + ": " + cell.ToString().ToUpperInvariant() + sizes,
            ImportedLayerKind.Linear => name + ": Linear" + sizes,
            ImportedLayerKind.Elu or ImportedLayerKind.LeakyRelu => kind + "(" + argument.ToString("R", CultureInfo.InvariantCulture) + ")",
            ImportedLayerKind.AddInput => kind + "(" + outputSize.ToString(CultureInfo.InvariantCulture) + ")",
            _ => kind.ToString(),
        };
    }

    public string Describe() => Describe(Kind, Name, InputSize, OutputSize, Cell, Bias, Argument, NumLayers, LearnInitialState);
}

/// <summary>
/// A model file converted to Fixed's terms: its layers in order and every weight in the order and layout of the
/// <c>Parameters</c> of the class a hand-written stack of those layers would get (PyTorch state_dict order and layout:
/// a recurrent layer's <c>weight_ih_l0</c>, <c>weight_hh_l0</c>, <c>bias_ih_l0</c>, <c>bias_hh_l0</c>, a Linear's
/// <c>weight</c>, <c>bias</c>).
/// </summary>
internal sealed class ImportedModel
{
    public ImportedModel(string format, List<ImportedLayer> layers, float[] parameters, int sampleRate = 0)
    {
        Format = format;
        Layers = layers;
        Parameters = parameters;
        SampleRate = sampleRate;
    }

    /// <summary>The file's format, for messages: "RTNeural JSON".</summary>
    public string Format { get; }

    public List<ImportedLayer> Layers { get; }

    public float[] Parameters { get; }

    /// <summary>The samples per second the model was trained at, when the format says (a .nam file); 0 otherwise.</summary>
    public int SampleRate { get; }

    /// <summary>The architecture, one <see cref="ImportedLayer.Describe()"/> line per layer, then the sample rate if the format gives one.</summary>
    public string Describe()
    {
        var layers = new List<string>();
        foreach (ImportedLayer layer in Layers)
        {
            layers.Add(layer.Describe());
        }

        return Describe(layers, SampleRate);
    }

    /// <summary>Entries joined by "; ": each layer's line, then <see cref="SampleRateEntry"/> when <paramref name="sampleRate"/> is not 0.</summary>
    public static string Describe(IEnumerable<string> layers, int sampleRate)
    {
        var builder = new StringBuilder();
        foreach (string layer in layers)
        {
            builder.Append(builder.Length == 0 ? string.Empty : "; ").Append(layer);
        }

        if (sampleRate != 0)
        {
            builder.Append("; ").Append(SampleRateEntry(sampleRate));
        }

        return builder.ToString();
    }

    /// <summary>How <see cref="SampleRateEntry"/> starts: no layer's line does.</summary>
    public const string SampleRatePrefix = "sample rate ";

    /// <summary>The sample rate as an entry of <see cref="Describe()"/>: <c>sample rate 48000 Hz</c>.</summary>
    public static string SampleRateEntry(int sampleRate) => SampleRatePrefix + sampleRate.ToString(CultureInfo.InvariantCulture) + " Hz";
}

/// <summary>
/// A model file that is valid but uses something Fixed does not have (a layer type, an activation, a cell variant):
/// the compile error for it has its own ID, so that it reads as "not supported" rather than "broken file"; at run time
/// <c>Load</c> throws it as the <see cref="InvalidDataException"/> every unusable file is (that type is sealed).
/// </summary>
internal sealed class UnsupportedModelException : Exception
{
    public UnsupportedModelException(string message)
        : base(message)
    {
    }
}

/// <summary>Reads a model file of any supported format, recognised by its content, into an <see cref="ImportedModel"/>.</summary>
internal static class ModelFileFormats
{
    /// <summary>Widest layer an import accepts: far over what the stack budget allows, so that arithmetic on sizes cannot overflow.</summary>
    public const int MaxWidth = 1 << 16;

    /// <summary>Most layers an import accepts.</summary>
    public const int MaxLayers = 1024;

    /// <summary>
    /// Reads a model file from its bytes: a safetensors state_dict (recognised by its header length and <c>{</c>), ONNX
    /// (binary, recognised by its first byte) or one of the JSON formats (UTF-8 text).
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not a model file of a supported format, or it is inconsistent.</exception>
    /// <exception cref="UnsupportedModelException">The file uses a layer, operator, activation or variant Fixed does not have.</exception>
    public static ImportedModel Import(byte[] bytes)
    {
        if (SafeTensorsFormat.LooksLikeOne(bytes))
        {
            return SafeTensorsFormat.Read(bytes);
        }

        if (OnnxFormat.LooksLikeOne(bytes))
        {
            return OnnxFormat.Read(bytes);
        }

        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException("the file is neither an ONNX model (whose first byte is 0x08), safetensors (an 8-byte header length that the file holds, then '{') nor UTF-8 text (JSON)");
        }

        return Import(text);
    }

    /// <summary>A layer Name as a hand-written stack takes it: parts of ASCII letters, digits and '_', joined by '.'.</summary>
    public static bool IsLayerName(string name)
    {
        foreach (string part in name.Split('.'))
        {
            if (part.Length == 0)
            {
                return false;
            }

            foreach (char c in part)
            {
                if (!(c == '_' || (c < 128 && char.IsLetterOrDigit(c))))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <exception cref="InvalidDataException">The text is not a model file of a supported format, or it is inconsistent.</exception>
    /// <exception cref="UnsupportedModelException">The file uses a layer, activation or variant Fixed does not have.</exception>
    public static ImportedModel Import(string text)
    {
        ModelJsonNode root = ModelJson.Parse(text);
        if (root.Kind != ModelJsonKind.Object)
        {
            throw new InvalidDataException("the file is " + root.Describe() + ", but a model file is a JSON object");
        }

        if (NamFormat.LooksLikeOne(root))
        {
            return NamFormat.Read(root);
        }

        if (root.Get("layers") is not null || root.Get("in_shape") is not null)
        {
            return RtNeuralFormat.Read(root);
        }

        if (root.Get("state_dict") is not null || StateDictFormat.LooksLikeOne(root))
        {
            return StateDictFormat.Read(root);
        }

        throw new InvalidDataException("the file is not a model file Fixed can read: RTNeural's JSON has the members \"in_shape\" and \"layers\"; " +
            "a PyTorch state_dict has tensor names such as \"rnn.weight_ih_l0\" or \"linear.weight\" (or is under \"state_dict\"); " +
            "a Neural Amp Modeler .nam file has the members \"architecture\", \"config\" and \"weights\"");
    }

    /// <summary>A float from a JSON number that a float32 holds (finite).</summary>
    public static float Float(ModelJsonNode node, string path)
    {
        if (node.Kind != ModelJsonKind.Number)
        {
            throw new InvalidDataException(path + " is " + node.Describe() + ", but a weight must be a number");
        }

        float value = (float)node.Number;
        if (float.IsInfinity(value))
        {
            throw new InvalidDataException(path + " is " + node.Describe() + ", too large for a float32");
        }

        return value;
    }

    /// <summary>A size: an integral JSON number from 1 to <see cref="MaxWidth"/>.</summary>
    public static int Size(ModelJsonNode node, string path)
    {
        if (node.Kind != ModelJsonKind.Number || node.Number != Math.Floor(node.Number) || node.Number < 1 || node.Number > MaxWidth)
        {
            throw new InvalidDataException(path + " is " + node.Describe() + ", but a size must be a whole number from 1 to " +
                MaxWidth.ToString(CultureInfo.InvariantCulture));
        }

        return (int)node.Number;
    }

    /// <summary>An array's items, or an error naming what was found instead.</summary>
    public static List<ModelJsonNode> Array(ModelJsonNode? node, string path)
    {
        if (node is null)
        {
            throw new InvalidDataException(path + " is missing");
        }

        if (node.Kind != ModelJsonKind.Array)
        {
            throw new InvalidDataException(path + " is " + node.Describe() + ", but must be an array");
        }

        return node.Items;
    }

    /// <summary>A vector of exactly <paramref name="length"/> numbers.</summary>
    public static float[] Vector(ModelJsonNode node, int length, string path)
    {
        List<ModelJsonNode> items = Array(node, path);
        if (items.Count != length)
        {
            throw new InvalidDataException(path + " has " + items.Count.ToString(CultureInfo.InvariantCulture) + " values, but must have " +
                length.ToString(CultureInfo.InvariantCulture));
        }

        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = Float(items[i], path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]");
        }

        return values;
    }

    /// <summary>A <paramref name="rows"/> × <paramref name="columns"/> matrix (an array of row arrays), row-major.</summary>
    public static float[] Matrix(ModelJsonNode node, int rows, int columns, string path, string shapeMeaning)
    {
        List<ModelJsonNode> items = Array(node, path);
        if (items.Count != rows)
        {
            throw new InvalidDataException(path + " has " + items.Count.ToString(CultureInfo.InvariantCulture) + " rows, but must be " + shapeMeaning);
        }

        // Every row's length is checked before anything is allocated: the values then exist in the file, whose count the
        // JSON reader bounds, so a shape that claims more than the file holds costs nothing.
        for (int r = 0; r < rows; r++)
        {
            string rowPath = path + "[" + r.ToString(CultureInfo.InvariantCulture) + "]";
            List<ModelJsonNode> row = Array(items[r], rowPath);
            if (row.Count != columns)
            {
                throw new InvalidDataException(rowPath + " has " + row.Count.ToString(CultureInfo.InvariantCulture) + " values, but " + path + " must be " + shapeMeaning);
            }
        }

        var values = new float[(long)rows * columns];
        for (int r = 0; r < rows; r++)
        {
            List<ModelJsonNode> row = items[r].Items;
            for (int c = 0; c < columns; c++)
            {
                values[((long)r * columns) + c] = Float(row[c], path + "[" + r.ToString(CultureInfo.InvariantCulture) + "][" + c.ToString(CultureInfo.InvariantCulture) + "]");
            }
        }

        return values;
    }

    /// <summary>
    /// The residual a file declares (RTNeural's <c>in_skip</c>, the trainers' <c>skip</c>): the model's first
    /// <paramref name="features"/> input features added to its output, as a last <see cref="ImportedLayerKind.AddInput"/>
    /// layer. No broadcasting: the count must equal the output width and fit in the input, as <c>[AddInput]</c> requires.
    /// </summary>
    public static ImportedLayer AddInput(int features, int inputWidth, int outputWidth, string path)
    {
        if (features > inputWidth || features != outputWidth)
        {
            throw new InvalidDataException(path + " adds the first " + features.ToString(CultureInfo.InvariantCulture) + " input features to the output, but the model takes " +
                inputWidth.ToString(CultureInfo.InvariantCulture) + " and gives " + outputWidth.ToString(CultureInfo.InvariantCulture) +
                ": a residual adds as many input features as the output has, and no more than the input has");
        }

        return new ImportedLayer(ImportedLayerKind.AddInput, null, features, features, Cell.Rnn, false, 0f);
    }

    /// <summary>A residual's feature count: 0 (none), a whole number, or <c>true</c> (1) / <c>false</c> (0), as exporters write it.</summary>
    public static int ResidualFeatures(ModelJsonNode? node, string path)
    {
        if (node is null || node.Kind is ModelJsonKind.Null or ModelJsonKind.False || (node.Kind == ModelJsonKind.Number && node.Number == 0))
        {
            return 0;
        }

        return node.Kind == ModelJsonKind.True ? 1 : Size(node, path);
    }

    /// <summary>The activation layer an activation name means, null for none (<c>""</c>, <c>"linear"</c>); unknown names are refused.</summary>
    public static ImportedLayer? Activation(string name, int width, string path)
    {
        ImportedLayerKind? kind = name switch
        {
            "" or "linear" => null,
            "tanh" => ImportedLayerKind.Tanh,
            "relu" => ImportedLayerKind.Relu,
            "sigmoid" => ImportedLayerKind.Sigmoid,
            "softmax" => ImportedLayerKind.Softmax,
            "elu" => ImportedLayerKind.Elu,
            "gelu" => ImportedLayerKind.Gelu,
            _ => throw new UnsupportedModelException(path + " is the activation " + SafeTensorText.Quote(name) +
                ", which Fixed does not have: the activations are tanh, relu, sigmoid, softmax, elu, gelu and linear"),
        };
        return kind is { } k ? new ImportedLayer(k, null, width, width, Cell.Rnn, false, k == ImportedLayerKind.Elu ? 1f : 0f) : null;
    }
}
