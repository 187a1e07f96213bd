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
/// (their <c>SimpleRNN</c> returns <c>lin(rec(x)) + x[..., :skip]</c>) becomes a last <c>AddInput(skip)</c> layer.
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
        int skip = 0;
        if (root.Get("state_dict") is { } inner)
        {
            if (inner.Kind != ModelJsonKind.Object)
            {
                throw new InvalidDataException("\"state_dict\" is " + inner.Describe() + ", but must be an object of tensors");
            }

            if (root.Get("model_data") is { Kind: ModelJsonKind.Object } modelData)
            {
                skip = ModelFileFormats.ResidualFeatures(modelData.Get("skip"), "\"model_data\".\"skip\"");
            }

            dictionary = inner;
            at = "\"state_dict\".";
        }

        var tensors = new List<KeyValuePair<string, StateDictTensor>>(dictionary.Members.Count);
        foreach (KeyValuePair<string, ModelJsonNode> member in dictionary.Members)
        {
            tensors.Add(new KeyValuePair<string, StateDictTensor>(member.Key, new JsonTensor(member.Value)));
        }

        return Read(Name, tensors, at, skip, keyOrder: true);
    }

    /// <summary>
    /// The recognition every state_dict format shares (JSON here, safetensors in <see cref="SafeTensorsFormat"/>): the tensors
    /// grouped into modules by the part of each key before its last <c>.</c>, each module recognised as a recurrent layer
    /// or a Linear by its parameter names and shapes, the modules put in order and checked to chain.
    /// </summary>
    /// <param name="format">The format's name, for <see cref="ImportedModel.Format"/>.</param>
    /// <param name="dictionary">The tensors by key, in the file's order.</param>
    /// <param name="at">Where the tensors are in the file, for messages (<c>"state_dict".</c>); empty at the top.</param>
    /// <param name="skip">A residual's feature count (a last AddInput layer); 0 for none.</param>
    /// <param name="keyOrder">
    /// Whether the keys are in the model's order (a state_dict's order is the order its modules were registered). When
    /// they are not (safetensors' writer sorts them by name), the modules are put in the one order in which they chain,
    /// the numbered children of a container (<c>net.0</c>, <c>net.1</c>) in the order of their numbers.
    /// </param>
    public static ImportedModel Read(string format, List<KeyValuePair<string, StateDictTensor>> dictionary, string at, int skip, bool keyOrder)
    {
        // Modules in the order their first tensor appears; each module's tensors by parameter name.
        var order = new List<string>();
        var modules = new Dictionary<string, Dictionary<string, StateDictTensor>>(System.StringComparer.Ordinal);
        foreach (KeyValuePair<string, StateDictTensor> member in dictionary)
        {
            string parameter = Parameter(member.Key);
            string module = member.Key.Length > parameter.Length ? member.Key.Substring(0, member.Key.Length - parameter.Length - 1) : string.Empty;
            if (!modules.TryGetValue(module, out Dictionary<string, StateDictTensor>? tensors))
            {
                if (order.Count >= ModelFileFormats.MaxLayers)
                {
                    throw new InvalidDataException("the state_dict has more than " + ModelFileFormats.MaxLayers.ToString(CultureInfo.InvariantCulture) + " modules");
                }

                tensors = new Dictionary<string, StateDictTensor>(System.StringComparer.Ordinal);
                modules.Add(module, tensors);
                order.Add(module);
            }

            tensors.Add(parameter, member.Value);
        }

        if (order.Count == 0)
        {
            throw new InvalidDataException(at + "the state_dict is empty");
        }

        var recognised = new List<Module>(order.Count);
        foreach (string module in order)
        {
            Dictionary<string, StateDictTensor> tensors = modules[module];
            string quoted = SafeTensorText.Quote(module.Length == 0 ? "(no prefix)" : module);
            CheckName(module, quoted);
            var parameters = new List<float>();
            ImportedLayer layer = tensors.ContainsKey("weight_ih_l0")
                ? Recurrent(module, tensors, quoted, at, parameters)
                : tensors.ContainsKey("weight")
                    ? Linear(module, tensors, quoted, at, parameters)
                    : throw new UnsupportedModelException("the module " + quoted + " has the tensors " + Names(tensors) +
                        ": Fixed reads nn.RNN/nn.GRU/nn.LSTM (weight_ih_l0, ...) and nn.Linear (weight, bias) modules");
            recognised.Add(new Module(module, quoted, layer, parameters));
        }

        if (keyOrder || recognised.Count == 1)
        {
            for (int i = 1; i < recognised.Count; i++)
            {
                if (recognised[i].Layer.InputSize != recognised[i - 1].Layer.OutputSize)
                {
                    throw new InvalidDataException("the module " + recognised[i].Quoted + " takes " + recognised[i].Layer.InputSize.ToString(CultureInfo.InvariantCulture) +
                        " features, but the module before it gives " + recognised[i - 1].Layer.OutputSize.ToString(CultureInfo.InvariantCulture) +
                        ": the modules do not chain in key order");
                }
            }
        }
        else
        {
            recognised = ChainOrder(recognised);
        }

        CheckNumberedSiblings(recognised);
        var layers = new List<ImportedLayer>(recognised.Count + 1);
        var all = new List<float>();
        foreach (Module module in recognised)
        {
            layers.Add(module.Layer);
            all.AddRange(module.Parameters);
        }

        if (skip > 0)
        {
            layers.Add(ModelFileFormats.AddInput(skip, layers[0].InputSize, layers[layers.Count - 1].OutputSize, "\"model_data\".\"skip\""));
        }

        return new ImportedModel(format, layers, all.ToArray());
    }

    /// <summary>
    /// The one order in which the modules chain (each takes what the one before it gives), with the numbered children of
    /// one container in the order of their numbers: for a file whose keys do not say the order.
    /// </summary>
    private static List<Module> ChainOrder(List<Module> modules)
    {
        // A numbered child may come only after its sibling with the next lower number (and so after all lower ones).
        var previousSibling = new int[modules.Count];
        for (int i = 0; i < modules.Count; i++)
        {
            previousSibling[i] = -1;
            if (Numbered(modules[i].Name, out string parent, out long number))
            {
                long best = -1;
                for (int j = 0; j < modules.Count; j++)
                {
                    if (Numbered(modules[j].Name, out string otherParent, out long other) && otherParent == parent && other < number && other > best)
                    {
                        best = other;
                        previousSibling[i] = j;
                    }
                }
            }
        }

        var found = new List<List<Module>>();
        var path = new List<Module>();
        var used = new bool[modules.Count];
        long budget = 10_000_000;
        Search();
        if (found.Count == 0)
        {
            throw new InvalidDataException("the modules " + Describe(modules) + " chain in no order (each must take what the one before it gives); " +
                "the file's keys are sorted by name, as safetensors' writer sorts them, so the order was sought from the shapes");
        }

        if (found.Count > 1)
        {
            throw new UnsupportedModelException("the file's keys are sorted by name (safetensors' save_file sorts them), so it does not say in which order " +
                "its modules run, and they chain in more than one order: " + Describe(found[0]) + ", and " + Describe(found[1]) +
                ". Declare the layers by hand (a layer stack, with each module's name as its Name) and Load the file, or write the file with its keys in the state_dict's order");
        }

        return found[0];

        void Search()
        {
            if (path.Count == modules.Count)
            {
                found.Add(new List<Module>(path));
                return;
            }

            for (int i = 0; i < modules.Count && found.Count < 2; i++)
            {
                if (--budget < 0)
                {
                    throw new UnsupportedModelException("the file's keys are sorted by name (safetensors' save_file sorts them), so it does not say in which order its " +
                        modules.Count.ToString(CultureInfo.InvariantCulture) + " modules run, and there are too many ways to chain them to find it from their shapes");
                }

                if (used[i] || (path.Count > 0 && modules[i].Layer.InputSize != path[path.Count - 1].Layer.OutputSize) ||
                    (previousSibling[i] >= 0 && !used[previousSibling[i]]))
                {
                    continue;
                }

                used[i] = true;
                path.Add(modules[i]);
                Search();
                path.RemoveAt(path.Count - 1);
                used[i] = false;
            }
        }
    }

    /// <summary>
    /// Refuses a gap between numbered children of one container that run one after the other (<c>head.0</c> then
    /// <c>head.2</c>): the missing child has no tensors, so it is a module without weights (an activation, a dropout)
    /// that a state_dict does not record, and the model would compute something else without it.
    /// </summary>
    private static void CheckNumberedSiblings(List<Module> modules)
    {
        for (int i = 1; i < modules.Count; i++)
        {
            if (Numbered(modules[i - 1].Name, out string parent, out long before) && Numbered(modules[i].Name, out string next, out long after) &&
                parent == next && after != before + 1)
            {
                string missing = parent + "." + (before + 1).ToString(CultureInfo.InvariantCulture);
                throw new UnsupportedModelException("the modules " + modules[i - 1].Quoted + " and " + modules[i].Quoted + " run one after the other, but " +
                    SafeTensorText.Quote(missing) + " between them has no tensors: a module without weights (an activation such as nn.Tanh, or a dropout), " +
                    "which a state_dict does not record. Declare the layers by hand (a layer stack, with that activation between them) and Load the file");
            }
        }
    }

    /// <summary>Whether a module is a numbered child (<c>net.2</c>: parent <c>net</c>, number 2), as nn.Sequential and nn.ModuleList name theirs.</summary>
    private static bool Numbered(string module, out string parent, out long number)
    {
        int dot = module.LastIndexOf('.');
        string last = module.Substring(dot + 1);
        parent = dot < 0 ? string.Empty : module.Substring(0, dot);
        number = 0;
        if (last.Length is 0 or > 9 || (last.Length > 1 && last[0] == '0'))
        {
            return false;
        }

        foreach (char c in last)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            number = (number * 10) + (c - '0');
        }

        return true;
    }

    private static string Describe(List<Module> modules)
    {
        var builder = new System.Text.StringBuilder();
        foreach (Module module in modules)
        {
            builder.Append(builder.Length == 0 ? string.Empty : " -> ").Append(module.Layer.Describe());
        }

        return builder.ToString();
    }

    private static ImportedLayer Recurrent(string module, Dictionary<string, StateDictTensor> tensors, string quoted, string at, List<float> parameters)
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
                " (bidirectional (_reverse) and proj_size (weight_hr) modules are not read: a layer stack's recurrent layers have neither yet)");
        }

        float[] hh0 = Get(tensors, "weight_hh_l0", quoted).Matrix(prefix + "weight_hh_l0", out int gateRows, out int hidden);
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
            float[] ih = Get(tensors, "weight_ih_l" + suffix, quoted).Matrix(prefix + "weight_ih_l" + suffix, out int ihRows, out int ihColumns);
            float[] hh = k == 0 ? hh0 : Get(tensors, "weight_hh_l" + suffix, quoted).Matrix(prefix + "weight_hh_l" + suffix, out gateRows, out _);
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
                parameters.AddRange(Get(tensors, "bias_ih_l" + suffix, quoted).Vector(gates * hidden, prefix + "bias_ih_l" + suffix));
                parameters.AddRange(Get(tensors, "bias_hh_l" + suffix, quoted).Vector(gates * hidden, prefix + "bias_hh_l" + suffix));
            }
        }

        return new ImportedLayer(ImportedLayerKind.Recurrent, module.Length == 0 ? "rnn" : module, input, hidden, cell, bias, 0f, numLayers);
    }

    private static ImportedLayer Linear(string module, Dictionary<string, StateDictTensor> tensors, string quoted, string at, List<float> parameters)
    {
        string prefix = at + (module.Length == 0 ? string.Empty : module + ".");
        bool bias = tensors.ContainsKey("bias");
        if (tensors.Count != (bias ? 2 : 1))
        {
            throw new UnsupportedModelException("the module " + quoted + " has the tensors " + Names(tensors) + ", not an nn.Linear's weight and bias");
        }

        float[] weight = tensors["weight"].Matrix(prefix + "weight", out int outputs, out int inputs);
        parameters.AddRange(weight);
        if (bias)
        {
            parameters.AddRange(tensors["bias"].Vector(outputs, prefix + "bias"));
        }

        return new ImportedLayer(ImportedLayerKind.Linear, module.Length == 0 ? "linear" : module, inputs, outputs, Cell.Rnn, bias, 0f);
    }

    /// <summary>The sizes a matrix of an import may have: over them a message, not an allocation.</summary>
    public static void CheckMatrixSize(string path, int rows, int columns)
    {
        if (rows is < 1 or > ModelFileFormats.MaxWidth * 4 || columns is < 1 or > ModelFileFormats.MaxWidth)
        {
            throw new InvalidDataException(path + " is [" + rows.ToString(CultureInfo.InvariantCulture) + ", " + columns.ToString(CultureInfo.InvariantCulture) + "], outside the sizes an import accepts");
        }
    }

    /// <summary>A JSON state_dict's tensor: nested arrays of numbers.</summary>
    private sealed class JsonTensor(ModelJsonNode node) : StateDictTensor
    {
        public override float[] Vector(int length, string path) => ModelFileFormats.Vector(node, length, path);

        /// <summary>A 2-D tensor: its shape from the nested arrays (sizes from 1 to the import limit), row-major values.</summary>
        public override float[] Matrix(string path, out int rows, out int columns) => JsonMatrix(node, path, out rows, out columns);
    }

    private static float[] JsonMatrix(ModelJsonNode node, string path, out int rows, out int columns)
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

        CheckMatrixSize(path, rows, columns);

        return ModelFileFormats.Matrix(node, rows, columns, path, "[" + rows.ToString(CultureInfo.InvariantCulture) + ", " + columns.ToString(CultureInfo.InvariantCulture) + "]");
    }

    private static StateDictTensor Get(Dictionary<string, StateDictTensor> tensors, string name, string quoted) =>
        tensors.TryGetValue(name, out StateDictTensor? node)
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

    private static string Names(Dictionary<string, StateDictTensor> tensors)
    {
        var names = new List<string>(tensors.Keys);
        return SafeTensorText.Names(names);
    }

    private sealed class Module(string name, string quoted, ImportedLayer layer, List<float> parameters)
    {
        public string Name { get; } = name;

        public string Quoted { get; } = quoted;

        public ImportedLayer Layer { get; } = layer;

        public List<float> Parameters { get; } = parameters;
    }
}

/// <summary>One tensor of a state_dict, as its format holds it: read as a matrix or a vector, with the shape checked.</summary>
internal abstract class StateDictTensor
{
    /// <summary>A 2-D tensor's values, row-major, and its shape (each size from 1 to the import's limit).</summary>
    /// <exception cref="InvalidDataException">It is not a 2-D tensor of float values within the limits.</exception>
    /// <exception cref="UnsupportedModelException">It has 3 or more dimensions (no Fixed layer has such a tensor).</exception>
    public abstract float[] Matrix(string path, out int rows, out int columns);

    /// <summary>A 1-D tensor of exactly <paramref name="length"/> values.</summary>
    /// <exception cref="InvalidDataException">It is not one.</exception>
    public abstract float[] Vector(int length, string path);
}
