// Compiled into the runtime (namespace Fixed) and, linked, into the source generator (namespace Fixed.Generator.Shared).
// Keep it netstandard2.0-compatible C#: see Runtime/Shared/README.md.
using System.Collections.Generic;
using System.Globalization;
using System.IO;

#if FIXED_GENERATOR
namespace Fixed.Generator.Shared;
#else
namespace Fixed;
#endif

/// <summary>
/// RTNeural's JSON (what its <c>python/model_utils.py</c> writes from a Keras model, read by its
/// <c>RTNeural/model_loader.h</c>): <c>{"in_shape": [..., I], "layers": [{"type", "activation", "shape": [..., O],
/// "weights": [...]}]}</c>, each layer's width the last entry of its <c>shape</c>.
/// </summary>
/// <remarks>
/// Keras keeps a Dense kernel as <c>[in, out]</c> (PyTorch's weight transposed); a GRU's kernel <c>[in, 3H]</c>,
/// recurrent kernel <c>[H, 3H]</c> in gate order z, r, h, and with <c>reset_after=True</c> (Keras 2's default) a bias
/// <c>[2, 3H]</c> (input bias, recurrent bias) and PyTorch's formula <c>n = tanh(W x + b + r * (U h + b'))</c>; an LSTM's
/// kernel <c>[in, 4H]</c> and recurrent kernel <c>[H, 4H]</c> in gate order i, f, c, o (PyTorch's i, f, g, o) and one bias
/// <c>[4H]</c>, which becomes <c>bias_ih</c> beside a zero <c>bias_hh</c> (only their sum enters the cell).
/// A GRU with <c>reset_after=False</c> (one bias row) applies the reset gate before the recurrent product: another cell,
/// refused. RTNeural ignores a recurrent layer's <c>activation</c>; here anything but tanh (the cell's) is refused.
/// </remarks>
internal static class RtNeuralFormat
{
    public const string Name = "RTNeural JSON";

    /// <summary>PyTorch's GRU gate (r, z, n) at each position, as its index in Keras' order (z, r, h).</summary>
    private static readonly int[] GruKerasGate = [1, 0, 2];

    /// <summary>PyTorch's LSTM gate (i, f, g, o) at each position, as its index in Keras' order (i, f, c, o).</summary>
    private static readonly int[] LstmKerasGate = [0, 1, 2, 3];

    public static ImportedModel Read(ModelJsonNode root)
    {
        List<ModelJsonNode> inShape = ModelFileFormats.Array(root.Get("in_shape"), "\"in_shape\"");
        if (inShape.Count is < 1 or > 3)
        {
            throw new UnsupportedModelException("\"in_shape\" has " + inShape.Count.ToString(CultureInfo.InvariantCulture) +
                " dimensions: Fixed reads models of [batch, features] or [batch, time, features] inputs (a 4-dimensional in_shape is a conv2d model)");
        }

        // AIDA-X's exporter writes "in_skip": n when the model was trained with its input added to its output (a residual).
        int skip = ModelFileFormats.ResidualFeatures(root.Get("in_skip"), "\"in_skip\"");
        int width = ModelFileFormats.Size(inShape[inShape.Count - 1], "\"in_shape\"[" + (inShape.Count - 1).ToString(CultureInfo.InvariantCulture) + "]");
        int inputWidth = width;
        List<ModelJsonNode> layerNodes = ModelFileFormats.Array(root.Get("layers"), "\"layers\"");
        if (layerNodes.Count == 0)
        {
            throw new InvalidDataException("\"layers\" is empty: the model has no layer");
        }

        if (layerNodes.Count > ModelFileFormats.MaxLayers)
        {
            throw new InvalidDataException("\"layers\" has " + layerNodes.Count.ToString(CultureInfo.InvariantCulture) + " layers, over the " +
                ModelFileFormats.MaxLayers.ToString(CultureInfo.InvariantCulture) + " an import accepts");
        }

        var layers = new List<ImportedLayer>();
        var parameters = new List<float>();
        for (int index = 0; index < layerNodes.Count; index++)
        {
            string at = "\"layers\"[" + index.ToString(CultureInfo.InvariantCulture) + "]";
            ModelJsonNode node = layerNodes[index];
            if (node.Kind != ModelJsonKind.Object)
            {
                throw new InvalidDataException(at + " is " + node.Describe() + ", but a layer must be an object");
            }

            string type = Text(node, "type", at, required: true);
            at += " (" + SafeTensorText.Quote(type).Trim('\'') + ")";
            string activation = Text(node, "activation", at, required: false);
            switch (type)
            {
                case "dense":
                case "time-distributed-dense":
                {
                    int output = Width(node, at);
                    List<ModelJsonNode> weights = Weights(node, at, 1, 2);
                    float[] kernel = ModelFileFormats.Matrix(weights[0], width, output, at + ".weights[0]", Shape("[in, out]", width, output));
                    string name = "dense" + index.ToString(CultureInfo.InvariantCulture);
                    layers.Add(new ImportedLayer(ImportedLayerKind.Linear, name, width, output, Cell.Rnn, weights.Count == 2, 0f));
                    AddTransposed(parameters, kernel, width, output);
                    if (weights.Count == 2)
                    {
                        parameters.AddRange(ModelFileFormats.Vector(weights[1], output, at + ".weights[1]"));
                    }

                    if (ModelFileFormats.Activation(activation, output, at + ".activation") is { } act)
                    {
                        layers.Add(act);
                    }

                    width = output;
                    break;
                }

                case "gru":
                case "lstm":
                {
                    bool gru = type == "gru";
                    int hidden = Width(node, at);
                    if (activation is not ("" or "tanh"))
                    {
                        throw new UnsupportedModelException(at + " has the activation " + SafeTensorText.Quote(activation) +
                            ", but Fixed's " + (gru ? "GRU" : "LSTM") + " cell uses tanh (PyTorch's): retrain with activation='tanh'");
                    }

                    int gates = gru ? 3 : 4;
                    List<ModelJsonNode> weights = Weights(node, at, 2, 3);
                    float[] kernel = ModelFileFormats.Matrix(weights[0], width, gates * hidden, at + ".weights[0]", Shape("[in, " + gates.ToString(CultureInfo.InvariantCulture) + "H]", width, gates * hidden));
                    float[] recurrent = ModelFileFormats.Matrix(weights[1], hidden, gates * hidden, at + ".weights[1]", Shape("[H, " + gates.ToString(CultureInfo.InvariantCulture) + "H]", hidden, gates * hidden));
                    int[] order = gru ? GruKerasGate : LstmKerasGate;
                    AddGates(parameters, kernel, width, hidden, order);
                    AddGates(parameters, recurrent, hidden, hidden, order);
                    if (weights.Count == 3)
                    {
                        string biasAt = at + ".weights[2]";
                        if (gru)
                        {
                            List<ModelJsonNode> bias = ModelFileFormats.Array(weights[2], biasAt);
                            if (bias.Count > 0 && bias[0].Kind == ModelJsonKind.Number)
                            {
                                throw new UnsupportedModelException(at + " has one bias row: a Keras GRU with reset_after=False, which applies the reset gate " +
                                    "before the recurrent product (r * h, then U), a different cell from PyTorch's GRU; retrain it with reset_after=True (Keras' default)");
                            }

                            float[] both = ModelFileFormats.Matrix(weights[2], 2, 3 * hidden, biasAt, Shape("[2, 3H]", 2, 3 * hidden));
                            AddGateVector(parameters, both, 0, hidden, order);
                            AddGateVector(parameters, both, 3 * hidden, hidden, order);
                        }
                        else
                        {
                            float[] bias = ModelFileFormats.Vector(weights[2], 4 * hidden, biasAt);
                            AddGateVector(parameters, bias, 0, hidden, order);
                            parameters.AddRange(new float[4 * hidden]);
                        }
                    }

                    layers.Add(new ImportedLayer(ImportedLayerKind.Recurrent, type + index.ToString(CultureInfo.InvariantCulture), width, hidden,
                        gru ? Cell.Gru : Cell.Lstm, weights.Count == 3, 0f));
                    width = hidden;
                    break;
                }

                case "activation":
                {
                    if (layers.Count == 0)
                    {
                        throw new UnsupportedModelException(at + " is an activation before any layer with weights, which a Fixed layer stack cannot start with");
                    }

                    if (ModelFileFormats.Activation(activation, width, at + ".activation") is { } act)
                    {
                        layers.Add(act);
                    }

                    break;
                }

                default:
                    throw new UnsupportedModelException(at + " is a layer of type " + SafeTensorText.Quote(type) +
                        ", which Fixed does not have: an RTNeural model may hold dense, time-distributed-dense, gru, lstm and activation layers");
            }
        }

        if (skip > 0)
        {
            layers.Add(ModelFileFormats.AddInput(skip, inputWidth, width, "\"in_skip\""));
        }

        return new ImportedModel(Name, layers, parameters.ToArray());
    }

    private static string Text(ModelJsonNode layer, string key, string at, bool required)
    {
        ModelJsonNode? node = layer.Get(key);
        if (node is null)
        {
            return required ? throw new InvalidDataException(at + " has no \"" + key + "\"") : string.Empty;
        }

        return node.Kind == ModelJsonKind.String
            ? node.Text!
            : throw new InvalidDataException(at + ".\"" + key + "\" is " + node.Describe() + ", but must be a string");
    }

    /// <summary>The layer's width: the last entry of its <c>shape</c>.</summary>
    private static int Width(ModelJsonNode layer, string at)
    {
        List<ModelJsonNode> shape = ModelFileFormats.Array(layer.Get("shape"), at + ".shape");
        if (shape.Count is < 1 or > 3)
        {
            throw new UnsupportedModelException(at + ".shape has " + shape.Count.ToString(CultureInfo.InvariantCulture) + " dimensions; Fixed reads 1 to 3");
        }

        return ModelFileFormats.Size(shape[shape.Count - 1], at + ".shape[" + (shape.Count - 1).ToString(CultureInfo.InvariantCulture) + "]");
    }

    private static List<ModelJsonNode> Weights(ModelJsonNode layer, string at, int least, int most)
    {
        List<ModelJsonNode> weights = ModelFileFormats.Array(layer.Get("weights"), at + ".weights");
        if (weights.Count < least || weights.Count > most)
        {
            throw new InvalidDataException(at + ".weights has " + weights.Count.ToString(CultureInfo.InvariantCulture) + " arrays, but must have " +
                least.ToString(CultureInfo.InvariantCulture) + (most > least ? " or " + most.ToString(CultureInfo.InvariantCulture) : string.Empty) +
                " (kernel" + (least == 2 ? ", recurrent kernel" : string.Empty) + (most > least ? " and an optional bias" : string.Empty) + ")");
        }

        return weights;
    }

    private static string Shape(string meaning, int rows, int columns) =>
        meaning + " = [" + rows.ToString(CultureInfo.InvariantCulture) + ", " + columns.ToString(CultureInfo.InvariantCulture) + "]";

    /// <summary>A Keras kernel <c>[in, out]</c> appended as PyTorch's weight <c>[out, in]</c>.</summary>
    private static void AddTransposed(List<float> parameters, float[] kernel, int inputs, int outputs)
    {
        for (int o = 0; o < outputs; o++)
        {
            for (int i = 0; i < inputs; i++)
            {
                parameters.Add(kernel[(i * outputs) + o]);
            }
        }
    }

    /// <summary>
    /// A Keras kernel <c>[in, G·H]</c> appended as PyTorch's <c>[G·H, in]</c>, gate blocks reordered: PyTorch's row
    /// <c>g·H + j</c> is Keras' column <c>order[g]·H + j</c>.
    /// </summary>
    private static void AddGates(List<float> parameters, float[] kernel, int inputs, int hidden, int[] order)
    {
        int columns = order.Length * hidden;
        for (int g = 0; g < order.Length; g++)
        {
            for (int j = 0; j < hidden; j++)
            {
                int column = (order[g] * hidden) + j;
                for (int i = 0; i < inputs; i++)
                {
                    parameters.Add(kernel[(i * columns) + column]);
                }
            }
        }
    }

    /// <summary>A Keras bias of G·H values (from <paramref name="start"/>) appended in PyTorch's gate order.</summary>
    private static void AddGateVector(List<float> parameters, float[] bias, int start, int hidden, int[] order)
    {
        for (int g = 0; g < order.Length; g++)
        {
            for (int j = 0; j < hidden; j++)
            {
                parameters.Add(bias[start + (order[g] * hidden) + j]);
            }
        }
    }
}
