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
/// A PyTorch <c>state_dict</c> written as JSON (<c>json.dump</c> of each tensor's <c>.tolist()</c>, as RTNeural's PyTorch
/// examples do), or the guitar-amp trainers' file (Automated-GuitarAmpModelling / GuitarML: <c>{"model_data": {...},
/// "state_dict": {...}}</c>). The modules are taken in key order: a module whose tensors include <c>weight_ih_l0</c> is
/// an <c>nn.RNN</c>/<c>nn.GRU</c>/<c>nn.LSTM</c> (the cell from the gate count: rows of <c>weight_ih_l0</c> over columns of
/// <c>weight_hh_l0</c> is 1, 3 or 4), one with <c>weight</c> (and <c>bias</c>) an <c>nn.Linear</c>. The tensors are
/// already in PyTorch's layout, which is Fixed's: they are copied as they are.
/// </summary>
/// <remarks>
/// A state_dict holds weights only: activation modules (<c>nn.ReLU</c>, ...) have no entry and are invisible, and an
/// <c>nn.RNN</c>'s <c>nonlinearity</c> is not recorded (tanh, PyTorch's default, is assumed). The trainers' <c>skip</c>
/// (the first input feature added to the output) is refused until a layer stack can express a residual.
/// </remarks>
internal static class StateDictFormat
{
    public const string Name = "PyTorch state_dict JSON";

    /// <summary>Whether an object's members are tensors named like a state_dict's (a key ending in <c>weight</c> or <c>weight_ih_l0</c>).</summary>
    public static bool LooksLikeOne(ModelJsonNode root)
    {
        foreach (KeyValuePair<string, ModelJsonNode> member in root.Members)
        {
            if (member.Value.Kind == ModelJsonKind.Array && (Parameter(member.Key) is "weight" or "weight_ih_l0"))
            {
                return true;
            }
        }

        return false;
    }

    public static ImportedModel Read(ModelJsonNode root)
    {
        ModelJsonNode dictionary = root;
        string at = string.Empty;
        if (root.Get("state_dict") is { } inner)
        {
            if (inner.Kind != ModelJsonKind.Object)
            {
                throw new InvalidDataException("\"state_dict\" is " + inner.Describe() + ", but must be an object of tensors");
            }

            if (root.Get("model_data") is { Kind: ModelJsonKind.Object } modelData && modelData.Get("skip") is { } skip &&
                !(skip.Kind is ModelJsonKind.Number && skip.Number == 0) && skip.Kind is not (ModelJsonKind.False or ModelJsonKind.Null))
            {
                throw new UnsupportedModelException("\"model_data\".\"skip\" is " + skip.Describe() + ": the model adds its first input feature to its output " +
                    "(a skip connection), which a Fixed layer stack cannot express yet");
            }

            dictionary = inner;
            at = "\"state_dict\".";
        }

        // Modules in the order their first tensor appears; each module's tensors by parameter name.
        var order = new List<string>();
        var modules = new Dictionary<string, Dictionary<string, ModelJsonNode>>(System.StringComparer.Ordinal);
        foreach (KeyValuePair<string, ModelJsonNode> member in dictionary.Members)
        {
            string parameter = Parameter(member.Key);
            string module = member.Key.Length > parameter.Length ? member.Key.Substring(0, member.Key.Length - parameter.Length - 1) : string.Empty;
            if (!modules.TryGetValue(module, out Dictionary<string, ModelJsonNode>? tensors))
            {
                if (order.Count >= ModelFileFormats.MaxLayers)
                {
                    throw new InvalidDataException("the state_dict has more than " + ModelFileFormats.MaxLayers.ToString(CultureInfo.InvariantCulture) + " modules");
                }

                tensors = new Dictionary<string, ModelJsonNode>(System.StringComparer.Ordinal);
                modules.Add(module, tensors);
                order.Add(module);
            }

            tensors.Add(parameter, member.Value);
        }

        if (order.Count == 0)
        {
            throw new InvalidDataException(at + "the state_dict is empty");
        }

        var layers = new List<ImportedLayer>();
        var parameters = new List<float>();
        int width = 0;
        foreach (string module in order)
        {
            Dictionary<string, ModelJsonNode> tensors = modules[module];
            string quoted = SafeTensorText.Quote(module.Length == 0 ? "(no prefix)" : module);
            CheckName(module, quoted);
            ImportedLayer layer = tensors.ContainsKey("weight_ih_l0")
                ? Recurrent(module, tensors, quoted, at, parameters)
                : tensors.ContainsKey("weight")
                    ? Linear(module, tensors, quoted, at, parameters)
                    : throw new UnsupportedModelException("the module " + quoted + " has the tensors " + Names(tensors) +
                        ": Fixed reads nn.RNN/nn.GRU/nn.LSTM (weight_ih_l0, ...) and nn.Linear (weight, bias) modules");
            if (layers.Count > 0 && layer.InputSize != width)
            {
                throw new InvalidDataException("the module " + quoted + " takes " + layer.InputSize.ToString(CultureInfo.InvariantCulture) +
                    " features, but the module before it gives " + width.ToString(CultureInfo.InvariantCulture) + ": the modules do not chain in key order");
            }

            layers.Add(layer);
            width = layer.OutputSize;
        }

        return new ImportedModel(Name, layers, parameters.ToArray());
    }

    private static ImportedLayer Recurrent(string module, Dictionary<string, ModelJsonNode> tensors, string quoted, string at, List<float> parameters)
    {
        string prefix = at + (module.Length == 0 ? string.Empty : module + ".");
        int numLayers = 0;
        while (tensors.ContainsKey("weight_ih_l" + numLayers.ToString(CultureInfo.InvariantCulture)))
        {
            numLayers++;
        }

        bool bias = tensors.ContainsKey("bias_ih_l0");
        int expected = numLayers * (bias ? 4 : 2);
        if (tensors.Count != expected)
        {
            throw new UnsupportedModelException("the recurrent module " + quoted + " has the tensors " + Names(tensors) + ", not exactly weight_ih_l{k}, weight_hh_l{k}" +
                (bias ? ", bias_ih_l{k}, bias_hh_l{k}" : string.Empty) + " for k = 0.." + (numLayers - 1).ToString(CultureInfo.InvariantCulture) +
                " (bidirectional (_reverse) and proj_size (weight_hr) modules are not read)");
        }

        float[] hh0 = Matrix(Get(tensors, "weight_hh_l0", quoted), prefix + "weight_hh_l0", out int gateRows, out int hidden);
        int gates = gateRows / hidden;
        if (gateRows % hidden != 0 || gates is not (1 or 3 or 4))
        {
            throw new InvalidDataException(prefix + "weight_hh_l0 is [" + gateRows.ToString(CultureInfo.InvariantCulture) + ", " + hidden.ToString(CultureInfo.InvariantCulture) +
                "]: a recurrent module's is [G·H, H] with G = 1 (RNN), 3 (GRU) or 4 (LSTM)");
        }

        Cell cell = gates == 3 ? Cell.Gru : gates == 4 ? Cell.Lstm : Cell.Rnn;
        int input = 0;
        for (int k = 0; k < numLayers; k++)
        {
            string suffix = k.ToString(CultureInfo.InvariantCulture);
            float[] ih = Matrix(Get(tensors, "weight_ih_l" + suffix, quoted), prefix + "weight_ih_l" + suffix, out int ihRows, out int ihColumns);
            float[] hh = k == 0 ? hh0 : Matrix(Get(tensors, "weight_hh_l" + suffix, quoted), prefix + "weight_hh_l" + suffix, out gateRows, out _);
            if (k == 0)
            {
                input = ihColumns;
            }

            int ihExpected = k == 0 ? input : hidden;
            if (ihRows != gates * hidden || ihColumns != ihExpected || hh.Length != gates * hidden * hidden)
            {
                throw new InvalidDataException(prefix + "weight_ih_l" + suffix + " / weight_hh_l" + suffix + " do not have the shapes [" +
                    (gates * hidden).ToString(CultureInfo.InvariantCulture) + ", " + ihExpected.ToString(CultureInfo.InvariantCulture) + "] and [" +
                    (gates * hidden).ToString(CultureInfo.InvariantCulture) + ", " + hidden.ToString(CultureInfo.InvariantCulture) + "] of layer " + suffix);
            }

            parameters.AddRange(ih);
            parameters.AddRange(hh);
            if (bias)
            {
                parameters.AddRange(ModelFileFormats.Vector(Get(tensors, "bias_ih_l" + suffix, quoted), gates * hidden, prefix + "bias_ih_l" + suffix));
                parameters.AddRange(ModelFileFormats.Vector(Get(tensors, "bias_hh_l" + suffix, quoted), gates * hidden, prefix + "bias_hh_l" + suffix));
            }
        }

        return new ImportedLayer(ImportedLayerKind.Recurrent, module.Length == 0 ? "rnn" : module, input, hidden, cell, bias, 0f, numLayers);
    }

    private static ImportedLayer Linear(string module, Dictionary<string, ModelJsonNode> tensors, string quoted, string at, List<float> parameters)
    {
        string prefix = at + (module.Length == 0 ? string.Empty : module + ".");
        bool bias = tensors.ContainsKey("bias");
        if (tensors.Count != (bias ? 2 : 1))
        {
            throw new UnsupportedModelException("the module " + quoted + " has the tensors " + Names(tensors) + ", not an nn.Linear's weight and bias");
        }

        float[] weight = Matrix(tensors["weight"], prefix + "weight", out int outputs, out int inputs);
        parameters.AddRange(weight);
        if (bias)
        {
            parameters.AddRange(ModelFileFormats.Vector(tensors["bias"], outputs, prefix + "bias"));
        }

        return new ImportedLayer(ImportedLayerKind.Linear, module.Length == 0 ? "linear" : module, inputs, outputs, Cell.Rnn, bias, 0f);
    }

    /// <summary>A 2-D tensor: its shape from the nested arrays (sizes from 1 to the import limit), row-major values.</summary>
    private static float[] Matrix(ModelJsonNode node, string path, out int rows, out int columns)
    {
        List<ModelJsonNode> items = ModelFileFormats.Array(node, path);
        if (items.Count == 0 || items[0].Kind != ModelJsonKind.Array)
        {
            throw new InvalidDataException(path + " is not a 2-D tensor (an array of rows)");
        }

        rows = items.Count;
        columns = items[0].Items.Count;
        if (columns > 0 && items[0].Items[0].Kind == ModelJsonKind.Array)
        {
            throw new UnsupportedModelException(path + " is a tensor of 3 or more dimensions (a convolution's?), which no Fixed layer has");
        }

        if (rows > ModelFileFormats.MaxWidth * 4 || columns is < 1 or > ModelFileFormats.MaxWidth)
        {
            throw new InvalidDataException(path + " is [" + rows.ToString(CultureInfo.InvariantCulture) + ", " + columns.ToString(CultureInfo.InvariantCulture) + "], outside the sizes an import accepts");
        }

        return ModelFileFormats.Matrix(node, rows, columns, path, "[" + rows.ToString(CultureInfo.InvariantCulture) + ", " + columns.ToString(CultureInfo.InvariantCulture) + "]");
    }

    private static ModelJsonNode Get(Dictionary<string, ModelJsonNode> tensors, string name, string quoted) =>
        tensors.TryGetValue(name, out ModelJsonNode? node)
            ? node
            : throw new InvalidDataException("the recurrent module " + quoted + " has no tensor " + name);

    /// <summary>The parameter part of a key: <c>weight_ih_l0</c> of <c>rec.weight_ih_l0</c>, <c>weight</c> of <c>lin.weight</c>.</summary>
    private static string Parameter(string key)
    {
        int dot = key.LastIndexOf('.');
        return dot < 0 ? key : key.Substring(dot + 1);
    }

    /// <summary>A module name becomes the layer's Name: the rule of a hand-written one.</summary>
    private static void CheckName(string module, string quoted)
    {
        if (module.Length > 0 && !ModelFileFormats.IsLayerName(module))
        {
            throw new InvalidDataException("the module name " + quoted + " cannot be a layer Name: use letters, digits and '_', with '.' between parts");
        }
    }

    private static string Names(Dictionary<string, ModelJsonNode> tensors)
    {
        var names = new List<string>(tensors.Keys);
        return SafeTensorText.Names(names);
    }
}
