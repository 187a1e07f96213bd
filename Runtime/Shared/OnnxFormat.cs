// Compiled into the runtime (namespace Fixed) and, linked, into the source generator (namespace Fixed.Generator.Shared).
// Keep it netstandard2.0-compatible C#: see Runtime/Shared/README.md.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

#if FIXED_GENERATOR
namespace Fixed.Generator.Shared;
#else
namespace Fixed;
#endif

/// <summary>
/// An ONNX model (onnx/onnx.proto, operators of onnx/defs) as <c>torch.onnx.export</c> writes an nn.RNN/nn.GRU/nn.LSTM
/// with Linear layers and activations: the path of nodes from the graph's one input to its one output becomes a layer
/// stack. <c>RNN</c>/<c>GRU</c>/<c>LSTM</c> nodes become recurrent layers (ONNX's gate orders z, r, h and i, o, f, c
/// reordered to PyTorch's r, z, n and i, f, g, o), <c>Gemm</c> and <c>MatMul</c> (with the <c>Add</c> of its bias) Linear
/// layers, and the activation nodes activation layers; the <c>Squeeze</c> of the direction axis and the
/// <c>Transpose</c>s of a batch-first model only move axes, and are followed to check that the time axis stays the
/// time axis. Everything else on the path is refused by name.
/// </summary>
/// <remarks>
/// Layers are named by the module scope torch writes into node names (<c>/rnn/GRU</c>, <c>/net/net.0/Gemm</c>), so the
/// Layout has the PyTorch model's state_dict names, and the consecutive RNN nodes of one module (one per layer of a
/// <c>num_layers = 2</c> module) become one layer with <c>NumLayers = 2</c>. Nodes without a scope are named by their
/// kind and position (<c>gru0</c>, <c>linear1</c>). The initial state must be zeros (what torch exports when no h0 is
/// passed): Fixed's models start from the state the caller gives.
/// </remarks>
internal static class OnnxFormat
{
    public const string Name = "ONNX";

    private const int Features = -1;
    private const int Direction = -2;

    /// <summary>
    /// Whether the bytes look like an ONNX ModelProto: every writer puts <c>ir_version</c> (field 1, a varint: key byte
    /// 0x08) first, since protobuf writes fields in number order; no JSON text and no safetensors header starts with 0x08.
    /// </summary>
    public static bool LooksLikeOne(byte[] bytes) => bytes.Length > 0 && bytes[0] == 0x08;

    /// <exception cref="InvalidDataException">The file is not a valid ONNX model, or its graph is inconsistent.</exception>
    /// <exception cref="UnsupportedModelException">The graph uses an operator, attribute or variant Fixed does not have.</exception>
    public static ImportedModel Read(byte[] bytes) => new Converter(OnnxGraph.Parse(bytes)).Convert();

    private sealed class Converter
    {
        private readonly OnnxGraph _graph;
        private readonly Dictionary<string, OnnxNode> _producers = new(StringComparer.Ordinal);
        private readonly List<ImportedLayer> _layers = [];
        private readonly List<float> _parameters = [];
        private List<int> _layout = [];
        private int _width;
        private int? _timeAxis;

        public Converter(OnnxGraph graph)
        {
            _graph = graph;
            foreach (OnnxNode node in graph.Nodes)
            {
                foreach (string output in node.Outputs)
                {
                    if (output.Length > 0 && (_producers.ContainsKey(output) || graph.Initializers.ContainsKey(output)))
                    {
                        throw new InvalidDataException("the value " + SafeTensorText.Quote(output) + " is computed twice (by " + node.Describe() + " and another)");
                    }

                    if (output.Length > 0)
                    {
                        _producers.Add(output, node);
                    }
                }
            }
        }

        public ImportedModel Convert()
        {
            OnnxValueInfo input = Input();
            if (_graph.Outputs.Count != 1)
            {
                throw new UnsupportedModelException("the graph has " + _graph.Outputs.Count.ToString(CultureInfo.InvariantCulture) +
                    " outputs: Fixed imports a model with one output, its per-step outputs (export the model returning only them, not (output, h_n))");
            }

            // A bidirectional layer is followed by a Transpose and a Reshape that merge its directions: say what it is
            // before the path reaches those.
            foreach (OnnxNode node in _graph.Nodes)
            {
                if (node.OpType is "RNN" or "GRU" or "LSTM")
                {
                    CheckDirection(node);
                }
            }

            List<OnnxNode> path = Path(input.Name, _graph.Outputs[0].Name);
            List<int> inputLayout = new(_layout);
            for (int i = 0; i < path.Count; i++)
            {
                OnnxNode node = path[i];
                OnnxNode? next = i + 1 < path.Count ? path[i + 1] : null;
                if (Apply(node, next))
                {
                    i++;
                }
            }

            if (!System.Linq.Enumerable.SequenceEqual(_layout, inputLayout))
            {
                throw new UnsupportedModelException("the graph's output has its axes in another order than its input (" + Axes(_layout) + " where the input has " +
                    Axes(inputLayout) + "): Fixed's outputs are per step, as its inputs");
            }

            if (_layers.Count == 0)
            {
                throw new UnsupportedModelException("the graph has no layer Fixed can import between its input and output");
            }

            return new ImportedModel(Name, _layers, _parameters.ToArray());
        }

        /// <summary>The graph's one real input (not an initializer listed as an input, as IR version 3 files list them): float, [..., features].</summary>
        private OnnxValueInfo Input()
        {
            List<OnnxValueInfo> inputs = _graph.Inputs.FindAll(i => !_graph.Initializers.ContainsKey(i.Name));
            if (inputs.Count != 1)
            {
                throw new UnsupportedModelException("the graph has " + inputs.Count.ToString(CultureInfo.InvariantCulture) +
                    " inputs: Fixed imports a model with one input, its per-step features (export without h0 as an input)");
            }

            OnnxValueInfo input = inputs[0];
            string what = "the graph input " + SafeTensorText.Quote(input.Name);
            if (input.ElementType != OnnxTensor.FloatType)
            {
                throw new UnsupportedModelException(what + " has the element type " + input.ElementType.ToString(CultureInfo.InvariantCulture) + ", not float32 (1)");
            }

            if (input.Shape is null || input.Shape.Count < 2)
            {
                throw new InvalidDataException(what + " has " + (input.Shape is null ? "no shape" : "fewer than 2 dimensions") + ": Fixed needs [..., features] to know the input size");
            }

            if (input.Shape[input.Shape.Count - 1] is not { } features || features < 1 || features > ModelFileFormats.MaxWidth)
            {
                throw new InvalidDataException(what + "'s last dimension (its features) is not a size from 1 to " + ModelFileFormats.MaxWidth.ToString(CultureInfo.InvariantCulture));
            }

            _width = (int)features;
            for (int axis = 0; axis < input.Shape.Count - 1; axis++)
            {
                _layout.Add(axis);
            }

            _layout.Add(Features);
            return input;
        }

        /// <summary>The nodes from the input to the output, found backwards from the output through each node's data input.</summary>
        private List<OnnxNode> Path(string input, string output)
        {
            var path = new List<OnnxNode>();
            string value = output;
            while (value != input)
            {
                if (!_producers.TryGetValue(value, out OnnxNode? node))
                {
                    throw new InvalidDataException("the value " + SafeTensorText.Quote(value) + " on the path to the output is neither the input nor computed by a node");
                }

                if (path.Count >= _graph.Nodes.Count)
                {
                    throw new InvalidDataException("the graph has a cycle through " + node.Describe());
                }

                if (node.Domain is not ("" or "ai.onnx"))
                {
                    throw new UnsupportedModelException(node.Describe() + " is an operator of the domain " + SafeTensorText.Quote(node.Domain) + ", which Fixed does not have");
                }

                if (node.Outputs.IndexOf(value) != 0)
                {
                    throw new UnsupportedModelException("the model uses the output " + SafeTensorText.Quote(value) + " of " + node.Describe() +
                        (node.OpType is "RNN" or "GRU" or "LSTM" ? " (its final state, not its per-step outputs)" : string.Empty) + ", which Fixed does not import");
                }

                path.Add(node);
                value = DataInput(node);
            }

            path.Reverse();
            return path;
        }

        /// <summary>The input of a node that carries the data (the other inputs are weights and constants).</summary>
        private string DataInput(OnnxNode node)
        {
            switch (node.OpType)
            {
                case "RNN" or "GRU" or "LSTM" or "Gemm" or "MatMul" or "Squeeze" or "Transpose" or "Identity" or
                    "Relu" or "Tanh" or "Sigmoid" or "Softmax" or "LeakyRelu" or "Elu" or "Gelu":
                    return node.Input(0);
                case "Add":
                    bool first = Constant(node.Input(0)) is not null, second = Constant(node.Input(1)) is not null;
                    if (node.Inputs.Count != 2 || first == second)
                    {
                        throw new UnsupportedModelException(node.Describe() + " adds " + (first ? "two constants" : "two computed values (a residual connection?)") +
                            ": Fixed imports an Add only as the bias of the MatMul before it");
                    }

                    return first ? node.Input(1) : node.Input(0);
                default:
                    throw new UnsupportedModelException(node.Describe() + " is on the path from the input to the output, and Fixed has no such layer: it imports " +
                        "RNN, GRU, LSTM, Gemm, MatMul (+ Add), Relu, LeakyRelu, Elu, Gelu, Tanh, Sigmoid and Softmax nodes, and the Squeeze, Transpose and Identity nodes that only move axes");
            }
        }

        /// <summary>Applies one node to the layer stack; true when it consumed <paramref name="next"/> too (a MatMul's bias).</summary>
        private bool Apply(OnnxNode node, OnnxNode? next)
        {
            CheckNoSubgraph(node);
            switch (node.OpType)
            {
                case "RNN": Recurrent(node, Cell.Rnn); return false;
                case "GRU": Recurrent(node, Cell.Gru); return false;
                case "LSTM": Recurrent(node, Cell.Lstm); return false;
                case "Gemm": Gemm(node); return false;
                case "MatMul": return MatMul(node, next);
                case "Add": throw new UnsupportedModelException(node.Describe() + " adds a constant to a value that is not a MatMul's: Fixed imports an Add only as a Linear's bias");
                case "Squeeze": Squeeze(node); return false;
                case "Transpose": Transpose(node); return false;
                case "Identity": Attributes(node); return false;
                case "Relu": Activation(node, ImportedLayerKind.Relu, 0f); return false;
                case "Tanh": Activation(node, ImportedLayerKind.Tanh, 0f); return false;
                case "Sigmoid": Activation(node, ImportedLayerKind.Sigmoid, 0f); return false;
                case "LeakyRelu": Activation(node, ImportedLayerKind.LeakyRelu, FloatAttribute(node, "alpha", 0.01f), "alpha"); return false;
                case "Elu": Activation(node, ImportedLayerKind.Elu, FloatAttribute(node, "alpha", 1f), "alpha"); return false;
                case "Gelu":
                    if (StringAttribute(node, "approximate", "none") != "none")
                    {
                        throw new UnsupportedModelException(node.Describe() + " is the tanh approximation of GELU: Fixed's Gelu is the exact (erf) one");
                    }

                    Activation(node, ImportedLayerKind.Gelu, 0f, "approximate");
                    return false;
                case "Softmax": Softmax(node); return false;
                default: throw new UnsupportedModelException(node.Describe() + " is not imported");
            }
        }

        private void Recurrent(OnnxNode node, Cell cell)
        {
            string[] defaults = cell switch
            {
                Cell.Rnn => ["Tanh"],
                Cell.Gru => ["Sigmoid", "Tanh"],
                _ => ["Sigmoid", "Tanh", "Tanh"],
            };
            Attributes(node, "activations", "activation_alpha", "activation_beta", "clip", "direction", "hidden_size", "layout",
                cell == Cell.Gru ? "linear_before_reset" : cell == Cell.Lstm ? "input_forget" : "activations");
            CheckDirection(node);
            if (node.Attributes.TryGetValue("activations", out OnnxAttribute? activations) && !SameStrings(activations.Strings, defaults))
            {
                throw new UnsupportedModelException(node.Describe() + " has the activations " + SafeTensorText.Names(activations.Strings) + ": Fixed imports PyTorch's cells, whose are " +
                    SafeTensorText.Names(new List<string>(defaults)) + (cell == Cell.Rnn ? " (an nn.RNN with nonlinearity='relu' is not imported yet: declare it with [Recurrent] and load its state_dict)" : string.Empty));
            }

            foreach (string name in new[] { "activation_alpha", "activation_beta", "clip" })
            {
                if (node.Attributes.ContainsKey(name))
                {
                    throw new UnsupportedModelException(node.Describe() + " has the attribute " + name + ", which PyTorch's cells do not have");
                }
            }

            if (cell == Cell.Gru && IntAttribute(node, "linear_before_reset", 0) != 1)
            {
                throw new UnsupportedModelException(node.Describe() + " has linear_before_reset = 0: it applies the reset gate before the recurrent product " +
                    "((r * h) R), another cell than PyTorch's GRU (linear_before_reset = 1, which torch.onnx.export writes)");
            }

            if (cell == Cell.Lstm && IntAttribute(node, "input_forget", 0) != 0)
            {
                throw new UnsupportedModelException(node.Describe() + " couples its input and forget gates (input_forget = 1), which PyTorch's LSTM does not");
            }

            long layout = IntAttribute(node, "layout", 0);
            if (layout is not (0 or 1))
            {
                throw new InvalidDataException(node.Describe() + " has the layout " + layout.ToString(CultureInfo.InvariantCulture) + ", where ONNX has 0 and 1");
            }

            if (node.Input(4).Length > 0 || (cell == Cell.Lstm && node.Input(7).Length > 0))
            {
                throw new UnsupportedModelException(node.Describe() + " has " + (node.Input(4).Length > 0 ? "sequence_lens" : "peephole weights (P)") +
                    ", which Fixed's layers do not take");
            }

            foreach (int state in cell == Cell.Lstm ? new[] { 5, 6 } : new[] { 5 })
            {
                if (!IsZeros(node.Input(state), 0))
                {
                    throw new UnsupportedModelException(node.Describe() + " starts from the " + (state == 5 ? "initial_h " : "initial_c ") + SafeTensorText.Quote(node.Input(state)) +
                        ", which is not constant zeros: a Fixed model starts from the state the caller passes (export without h0 / c0)");
                }
            }

            int gates = cell switch { Cell.Rnn => 1, Cell.Gru => 3, _ => 4 };
            OnnxTensor w = Weight(node, 1, "W"), r = Weight(node, 2, "R");
            if (w.Dims.Count != 3 || r.Dims.Count != 3 || w.Dims[0] != 1 || r.Dims[0] != 1 || r.Dims[1] != gates * r.Dims[2] || w.Dims[1] != r.Dims[1] ||
                r.Dims[2] < 1 || r.Dims[2] > ModelFileFormats.MaxWidth)
            {
                throw new InvalidDataException(node.Describe() + " has W " + w.Shape + " and R " + r.Shape + ", where a one-direction " + node.OpType + " has [1, " +
                    gates.ToString(CultureInfo.InvariantCulture) + "·H, input] and [1, " + gates.ToString(CultureInfo.InvariantCulture) + "·H, H]");
            }

            int hidden = (int)r.Dims[2];
            if (IntAttribute(node, "hidden_size", hidden) != hidden)
            {
                throw new InvalidDataException(node.Describe() + " has hidden_size " + IntAttribute(node, "hidden_size", hidden).ToString(CultureInfo.InvariantCulture) +
                    " but R " + r.Shape);
            }

            if (w.Dims[2] != _width)
            {
                throw new InvalidDataException(node.Describe() + " takes " + w.Dims[2].ToString(CultureInfo.InvariantCulture) + " features (W " + w.Shape + "), but " +
                    _width.ToString(CultureInfo.InvariantCulture) + " reach it");
            }

            // The data's axes: ONNX's X is [seq, batch, input] (layout 0) or [batch, seq, input] (layout 1); Y puts the
            // direction axis after seq.
            if (_layout.Count != 3 || _layout[2] != Features)
            {
                throw new UnsupportedModelException(node.Describe() + " gets its input with the axes " + Axes(_layout) + ", not [time, batch, features]");
            }

            int time = _layout[(int)layout], batch = _layout[1 - (int)layout];
            if (_timeAxis is { } known && known != time)
            {
                throw new UnsupportedModelException(node.Describe() + " runs over another axis of the input than the recurrent node before it");
            }

            _timeAxis = time;
            _layout = layout == 0 ? [time, Direction, batch, Features] : [batch, time, Direction, Features];

            int[] order = cell switch { Cell.Rnn => [0], Cell.Gru => [1, 0, 2], _ => [0, 2, 3, 1] };
            string at = node.Describe();
            var converted = new List<float>();
            converted.AddRange(Reorder(w.Floats(at + "'s W"), order, hidden, _width));
            converted.AddRange(Reorder(r.Floats(at + "'s R"), order, hidden, hidden));
            bool bias = node.Input(3).Length > 0;
            if (bias)
            {
                OnnxTensor b = Weight(node, 3, "B");
                if (b.Dims.Count != 2 || b.Dims[0] != 1 || b.Dims[1] != 2 * gates * hidden)
                {
                    throw new InvalidDataException(at + " has B " + b.Shape + ", where it has [1, " + (2 * gates * hidden).ToString(CultureInfo.InvariantCulture) + "] (Wb then Rb)");
                }

                float[] values = b.Floats(at + "'s B");
                float[] input = new float[gates * hidden], recurrent = new float[gates * hidden];
                Array.Copy(values, 0, input, 0, input.Length);
                Array.Copy(values, input.Length, recurrent, 0, recurrent.Length);
                converted.AddRange(Reorder(input, order, hidden, 1));
                converted.AddRange(Reorder(recurrent, order, hidden, 1));
            }

            string? module = Module(node);
            if (_layers.Count > 0 && _layers[_layers.Count - 1] is { Kind: ImportedLayerKind.Recurrent } last && module is not null && last.Name == module &&
                last.Cell == cell && last.OutputSize == hidden && last.Bias == bias)
            {
                // The next layer of one num_layers > 1 module: torch exports one node per layer.
                _layers[_layers.Count - 1] = new ImportedLayer(ImportedLayerKind.Recurrent, module, last.InputSize, hidden, cell, bias, 0f, last.NumLayers + 1);
            }
            else
            {
                _layers.Add(new ImportedLayer(ImportedLayerKind.Recurrent, LayerName(module, cell.ToString().ToLowerInvariant()), _width, hidden, cell, bias, 0f));
            }

            _parameters.AddRange(converted);
            _width = hidden;
        }

        private static void CheckDirection(OnnxNode node)
        {
            string direction = StringAttribute(node, "direction", "forward");
            if (direction != "forward")
            {
                throw new UnsupportedModelException(node.Describe() + " runs in the direction " + SafeTensorText.Quote(direction) +
                    ": Fixed imports forward recurrent layers (a bidirectional nn.RNN/GRU/LSTM is not imported from ONNX yet: declare it with " +
                    "[Recurrent(..., Bidirectional = true)] and load its state_dict)");
            }
        }

        private void Gemm(OnnxNode node)
        {
            Attributes(node, "alpha", "beta", "transA", "transB");
            if (FloatAttribute(node, "alpha", 1f) != 1f || FloatAttribute(node, "beta", 1f) != 1f || IntAttribute(node, "transA", 0) != 0)
            {
                throw new UnsupportedModelException(node.Describe() + " has alpha, beta or transA other than 1, 1, 0: Fixed imports the Gemm of nn.Linear");
            }

            if (_layout.Count != 2 || _layout[1] != Features)
            {
                throw new UnsupportedModelException(node.Describe() + " gets its input with the axes " + Axes(_layout) + ", not [steps, features]");
            }

            OnnxTensor b = Weight(node, 1, "B");
            bool transposed = IntAttribute(node, "transB", 0) != 0;
            if (b.Dims.Count != 2 || b.Dims[transposed ? 1 : 0] != _width || b.Dims[transposed ? 0 : 1] is < 1 or > ModelFileFormats.MaxWidth)
            {
                throw new InvalidDataException(node.Describe() + " has B " + b.Shape + (transposed ? " (transposed)" : string.Empty) + ", which does not take " +
                    _width.ToString(CultureInfo.InvariantCulture) + " features");
            }

            int outputs = (int)b.Dims[transposed ? 0 : 1];
            float[] weight = b.Floats(node.Describe() + "'s B");
            Linear(node, transposed ? weight : Transpose(weight, _width, outputs), outputs, node.Input(2).Length > 0 ? Weight(node, 2, "C") : null);
        }

        private bool MatMul(OnnxNode node, OnnxNode? next)
        {
            Attributes(node);
            if (_layout[_layout.Count - 1] != Features)
            {
                throw new UnsupportedModelException(node.Describe() + " multiplies over an axis that is not the features (" + Axes(_layout) + ")");
            }

            OnnxTensor b = Constant(node.Input(1)) ?? throw new UnsupportedModelException(node.Describe() + " multiplies by a computed value, not a weight");
            if (b.Dims.Count != 2 || b.Dims[0] != _width || b.Dims[1] is < 1 or > ModelFileFormats.MaxWidth)
            {
                throw new InvalidDataException(node.Describe() + " multiplies by a weight of the shape " + b.Shape + ", which does not take " + _width.ToString(CultureInfo.InvariantCulture) + " features");
            }

            int outputs = (int)b.Dims[1];
            float[] weight = Transpose(b.Floats(node.Describe() + "'s weight"), _width, outputs);
            OnnxTensor? bias = null;
            if (next is { OpType: "Add" })
            {
                bias = Constant(next.Input(0)) ?? Constant(next.Input(1));
                CheckNoSubgraph(next);
                Attributes(next);
            }

            Linear(node, weight, outputs, bias);
            return bias is not null;
        }

        private void Linear(OnnxNode node, float[] weight, int outputs, OnnxTensor? bias)
        {
            float[]? biasValues = null;
            if (bias is not null)
            {
                bool shaped = bias.Dims.Count >= 1 && bias.Dims[bias.Dims.Count - 1] == outputs;
                for (int i = 0; i < bias.Dims.Count - 1; i++)
                {
                    shaped &= bias.Dims[i] == 1;
                }

                if (!shaped)
                {
                    throw new UnsupportedModelException(node.Describe() + " has a bias of the shape " + bias.Shape + ", not [" + outputs.ToString(CultureInfo.InvariantCulture) + "]");
                }

                biasValues = bias.Floats(node.Describe() + "'s bias");
            }

            _layers.Add(new ImportedLayer(ImportedLayerKind.Linear, LayerName(Module(node), "linear"), _width, outputs, Cell.Rnn, biasValues is not null, 0f));
            _parameters.AddRange(weight);
            if (biasValues is not null)
            {
                _parameters.AddRange(biasValues);
            }

            _width = outputs;
        }

        private void Squeeze(OnnxNode node)
        {
            long[] axes;
            if (_graph.OpsetVersion >= 13)
            {
                Attributes(node);
                OnnxTensor tensor = Constant(node.Input(1)) ?? throw new UnsupportedModelException(node.Describe() + " has no constant axes");
                axes = tensor.Int64s(node.Describe() + "'s axes");
            }
            else
            {
                Attributes(node, "axes");
                axes = node.Attributes.TryGetValue("axes", out OnnxAttribute? attribute) ? attribute.Ints.ToArray() : [];
            }

            var removed = new List<int>();
            foreach (long axis in axes)
            {
                long at = axis < 0 ? axis + _layout.Count : axis;
                if (at < 0 || at >= _layout.Count || _layout[(int)at] != Direction || removed.Contains((int)at))
                {
                    throw new UnsupportedModelException(node.Describe() + " removes the axis " + axis.ToString(CultureInfo.InvariantCulture) + " of " + Axes(_layout) +
                        ": Fixed follows a Squeeze only of a recurrent node's direction axis");
                }

                removed.Add((int)at);
            }

            if (removed.Count == 0)
            {
                throw new UnsupportedModelException(node.Describe() + " names no axes: Fixed follows a Squeeze only of a recurrent node's direction axis");
            }

            removed.Sort();
            for (int i = removed.Count - 1; i >= 0; i--)
            {
                _layout.RemoveAt(removed[i]);
            }
        }

        private void Transpose(OnnxNode node)
        {
            Attributes(node, "perm");
            List<long> perm = node.Attributes.TryGetValue("perm", out OnnxAttribute? attribute) ? attribute.Ints : [];
            if (perm.Count == 0)
            {
                for (int i = _layout.Count - 1; i >= 0; i--)
                {
                    perm.Add(i);
                }
            }

            var seen = new bool[_layout.Count];
            var layout = new List<int>();
            foreach (long axis in perm)
            {
                if (perm.Count != _layout.Count || axis < 0 || axis >= _layout.Count || seen[axis])
                {
                    throw new InvalidDataException(node.Describe() + " has the perm " + string.Join(", ", perm) + ", not a permutation of its input's " +
                        _layout.Count.ToString(CultureInfo.InvariantCulture) + " axes");
                }

                seen[axis] = true;
                layout.Add(_layout[(int)axis]);
            }

            _layout = layout;
        }

        private void Softmax(OnnxNode node)
        {
            Attributes(node, "axis");

            // Before opset 13, Softmax flattens the axes from 'axis' on (default 1); from 13 on it is over 'axis' (default -1).
            // Either is softmax over the features when the axis is the last one and holds the features.
            long axis = IntAttribute(node, "axis", _graph.OpsetVersion >= 13 ? -1 : 1);
            long at = axis < 0 ? axis + _layout.Count : axis;
            if (at != _layout.Count - 1 || _layout[_layout.Count - 1] != Features)
            {
                throw new UnsupportedModelException(node.Describe() + " is over the axis " + axis.ToString(CultureInfo.InvariantCulture) + " of " + Axes(_layout) +
                    ": Fixed's Softmax is over the features (dim=-1)");
            }

            Activation(node, ImportedLayerKind.Softmax, 0f, "axis");
        }

        private void Activation(OnnxNode node, ImportedLayerKind kind, float argument, params string[] attributes)
        {
            Attributes(node, attributes);
            _layers.Add(new ImportedLayer(kind, null, _width, _width, Cell.Rnn, false, argument));
        }

        /// <summary>The layer's Name: the node's module scope if it is one and unused, else its kind and position.</summary>
        private string LayerName(string? module, string kind)
        {
            string name = module is not null && !_layers.Exists(l => l.Name == module)
                ? module
                : kind + _layers.Count.ToString(CultureInfo.InvariantCulture);
            while (_layers.Exists(l => l.Name == name))
            {
                name += "_";
            }

            return name;
        }

        /// <summary>
        /// The module a node belongs to, from the scope torch writes into its name: <c>/rnn/GRU_1</c> is in <c>rnn</c>,
        /// <c>/net/net.0/Gemm</c> in <c>net.0</c> (each scope part is the module's full name); null when it has none.
        /// </summary>
        private static string? Module(OnnxNode node)
        {
            string[] parts = node.Name.Split('/');
            if (parts.Length < 3 || parts[0].Length != 0)
            {
                return null;
            }

            string module = parts[parts.Length - 2];
            return ModelFileFormats.IsLayerName(module) ? module : null;
        }

        private OnnxTensor Weight(OnnxNode node, int index, string what) =>
            Constant(node.Input(index)) ?? throw new UnsupportedModelException(node.Describe() + "'s " + what + " is computed in the graph (" +
                SafeTensorText.Quote(node.Input(index)) + "), not an initializer: Fixed imports weights that are constants");

        /// <summary>The tensor a value holds when it is an initializer or a Constant node's value; null when it is computed.</summary>
        private OnnxTensor? Constant(string name)
        {
            if (name.Length == 0)
            {
                return null;
            }

            if (_graph.Initializers.TryGetValue(name, out OnnxTensor? tensor))
            {
                return tensor;
            }

            return _producers.TryGetValue(name, out OnnxNode? node) && node.OpType == "Constant" && node.Domain is "" or "ai.onnx" &&
                node.Attributes.TryGetValue("value", out OnnxAttribute? value) ? value.Tensor : null;
        }

        /// <summary>
        /// Whether an initial state is absent or zeros: a zero constant, or torch's <c>Expand</c> of a zero constant to the
        /// batch's shape (the shape does not matter: zeros of any shape are zeros), or a ConstantOfShape of zero.
        /// </summary>
        private bool IsZeros(string name, int depth)
        {
            if (name.Length == 0)
            {
                return true;
            }

            if (Constant(name) is { } tensor)
            {
                return tensor.DataType == OnnxTensor.FloatType && Array.TrueForAll(tensor.Floats("the initial state " + SafeTensorText.Quote(name)), v => v == 0f);
            }

            if (depth > 8 || !_producers.TryGetValue(name, out OnnxNode? node))
            {
                return false;
            }

            return node.OpType switch
            {
                "Expand" => IsZeros(node.Input(0), depth + 1),
                "ConstantOfShape" => !node.Attributes.TryGetValue("value", out OnnxAttribute? value) ||
                    (value.Tensor is { DataType: OnnxTensor.FloatType } zero && Array.TrueForAll(zero.Floats("a ConstantOfShape's value"), v => v == 0f)),
                _ => false,
            };
        }

        private static void CheckNoSubgraph(OnnxNode node)
        {
            foreach (OnnxAttribute attribute in node.Attributes.Values)
            {
                if (attribute.HasGraph)
                {
                    throw new UnsupportedModelException(node.Describe() + " has a subgraph in its attribute " + SafeTensorText.Quote(attribute.Name));
                }
            }
        }

        /// <summary>Refuses an attribute the operator's import does not know: it would change what the node computes.</summary>
        private static void Attributes(OnnxNode node, params string[] known)
        {
            foreach (string name in node.Attributes.Keys)
            {
                if (Array.IndexOf(known, name) < 0)
                {
                    throw new UnsupportedModelException(node.Describe() + " has the attribute " + SafeTensorText.Quote(name) + ", which Fixed does not import");
                }
            }
        }

        private static long IntAttribute(OnnxNode node, string name, long fallback) =>
            node.Attributes.TryGetValue(name, out OnnxAttribute? attribute)
                ? attribute.Int ?? throw new InvalidDataException(node.Describe() + "'s attribute " + name + " is not an integer")
                : fallback;

        private static float FloatAttribute(OnnxNode node, string name, float fallback) =>
            node.Attributes.TryGetValue(name, out OnnxAttribute? attribute)
                ? attribute.Float ?? throw new InvalidDataException(node.Describe() + "'s attribute " + name + " is not a float")
                : fallback;

        private static string StringAttribute(OnnxNode node, string name, string fallback) =>
            node.Attributes.TryGetValue(name, out OnnxAttribute? attribute)
                ? attribute.String ?? throw new InvalidDataException(node.Describe() + "'s attribute " + name + " is not a string")
                : fallback;

        private static bool SameStrings(List<string> found, string[] expected)
        {
            if (found.Count != expected.Length)
            {
                return false;
            }

            for (int i = 0; i < expected.Length; i++)
            {
                if (!string.Equals(found[i], expected[i], StringComparison.OrdinalIgnoreCase))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>ONNX's gate blocks (each <paramref name="hidden"/> rows of <paramref name="columns"/>) in PyTorch's order.</summary>
        private static float[] Reorder(float[] values, int[] order, int hidden, int columns)
        {
            var result = new float[values.Length];
            int block = hidden * columns;
            for (int gate = 0; gate < order.Length; gate++)
            {
                Array.Copy(values, order[gate] * block, result, gate * block, block);
            }

            return result;
        }

        /// <summary>A [rows, columns] matrix transposed: ONNX's MatMul weight [in, out] to nn.Linear's [out, in].</summary>
        private static float[] Transpose(float[] values, int rows, int columns)
        {
            var result = new float[values.Length];
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < columns; c++)
                {
                    result[(c * rows) + r] = values[(r * columns) + c];
                }
            }

            return result;
        }

        private string Axes(List<int> layout) =>
            "[" + string.Join(", ", layout.ConvertAll(a => a switch
            {
                Features => "features",
                Direction => "direction",
                _ when a == _timeAxis => "time",
                _ => "input axis " + a.ToString(CultureInfo.InvariantCulture),
            })) + "]";
    }
}
