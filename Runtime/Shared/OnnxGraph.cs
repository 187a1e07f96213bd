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
/// The part of an ONNX <c>ModelProto</c> (onnx/onnx.proto) that an import needs: the default domain's opset, the main
/// graph's nodes, initializers, and its inputs and outputs with their shapes. Fields it does not need are skipped by
/// length; subgraphs (an attribute's <c>g</c>) are not parsed, and a node that has one is refused by the importer.
/// </summary>
internal sealed class OnnxGraph
{
    /// <summary>Most nodes, initializers, graph inputs or outputs, attributes or node inputs read.</summary>
    public const int MaxItems = 1 << 16;

    /// <summary>Most dimensions of a tensor.</summary>
    public const int MaxRank = 8;

    /// <summary>Most values in one tensor (the JSON reader's limit).</summary>
    public const int MaxValues = 64 << 20;

    public long OpsetVersion { get; private set; }

    public List<OnnxNode> Nodes { get; } = [];

    public Dictionary<string, OnnxTensor> Initializers { get; } = new(System.StringComparer.Ordinal);

    public List<OnnxValueInfo> Inputs { get; } = [];

    public List<OnnxValueInfo> Outputs { get; } = [];

    /// <summary>Parses a serialized ModelProto.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a ModelProto this reader can read.</exception>
    public static OnnxGraph Parse(byte[] bytes)
    {
        var graph = new OnnxGraph();
        bool hasGraph = false, hasDefaultOpset = false;
        var model = new Protobuf(bytes, 0, bytes.Length, "the ModelProto");
        while (model.Next())
        {
            switch (model.Field)
            {
                case 7:
                    if (hasGraph)
                    {
                        throw new InvalidDataException("the ModelProto has two graphs");
                    }

                    graph.ReadGraph(model.Message("the GraphProto"));
                    hasGraph = true;
                    break;
                case 8:
                    Protobuf opset = model.Message("an OperatorSetIdProto");
                    string domain = string.Empty;
                    long version = 0;
                    while (opset.Next())
                    {
                        switch (opset.Field)
                        {
                            case 1: domain = opset.String(); break;
                            case 2: version = opset.Int64(); break;
                            default: opset.Skip(); break;
                        }
                    }

                    if (domain is "" or "ai.onnx")
                    {
                        graph.OpsetVersion = version;
                        hasDefaultOpset = true;
                    }

                    break;
                default:
                    model.Skip();
                    break;
            }
        }

        if (!hasGraph)
        {
            throw new InvalidDataException("the ModelProto has no graph: the file is not an ONNX model");
        }

        if (!hasDefaultOpset || graph.OpsetVersion < 1)
        {
            throw new InvalidDataException("the ModelProto names no opset of the default (ai.onnx) domain");
        }

        return graph;
    }

    private void ReadGraph(Protobuf graph)
    {
        while (graph.Next())
        {
            switch (graph.Field)
            {
                case 1: Limit(Nodes, "nodes").Add(OnnxNode.Read(graph.Message("a NodeProto"))); break;
                case 5:
                    OnnxTensor tensor = OnnxTensor.Read(graph.Message("an initializer TensorProto"));
                    if (Initializers.ContainsKey(tensor.Name) || Initializers.Count >= MaxItems)
                    {
                        throw new InvalidDataException(Initializers.Count >= MaxItems
                            ? "the graph has more than " + MaxItems.ToString(CultureInfo.InvariantCulture) + " initializers"
                            : "the graph has two initializers named " + SafeTensorText.Quote(tensor.Name));
                    }

                    Initializers.Add(tensor.Name, tensor);
                    break;
                case 11: Limit(Inputs, "inputs").Add(OnnxValueInfo.Read(graph.Message("a graph input ValueInfoProto"))); break;
                case 12: Limit(Outputs, "outputs").Add(OnnxValueInfo.Read(graph.Message("a graph output ValueInfoProto"))); break;
                case 15: throw new UnsupportedModelException("the graph has sparse initializers, which Fixed does not read");
                default: graph.Skip(); break;
            }
        }
    }

    private static List<T> Limit<T>(List<T> items, string what) =>
        items.Count < MaxItems ? items : throw new InvalidDataException("the graph has more than " + MaxItems.ToString(CultureInfo.InvariantCulture) + " " + what);
}

/// <summary>A NodeProto: one operator, its inputs and outputs by value name, and its attributes.</summary>
internal sealed class OnnxNode
{
    public string Name { get; private set; } = string.Empty;

    public string OpType { get; private set; } = string.Empty;

    public string Domain { get; private set; } = string.Empty;

    public List<string> Inputs { get; } = [];

    public List<string> Outputs { get; } = [];

    public Dictionary<string, OnnxAttribute> Attributes { get; } = new(System.StringComparer.Ordinal);

    /// <summary>The node as messages name it: <c>GRU node '/rnn/GRU'</c>.</summary>
    public string Describe() => SafeTensorText.Quote(OpType) + " node " + SafeTensorText.Quote(Name.Length == 0 ? "(unnamed)" : Name);

    /// <summary>The input at <paramref name="index"/>, or "" when the node has fewer (ONNX's way to omit an optional input).</summary>
    public string Input(int index) => index < Inputs.Count ? Inputs[index] : string.Empty;

    public static OnnxNode Read(Protobuf message)
    {
        var node = new OnnxNode();
        while (message.Next())
        {
            switch (message.Field)
            {
                case 1: Add(node.Inputs, message.String()); break;
                case 2: Add(node.Outputs, message.String()); break;
                case 3: node.Name = message.String(); break;
                case 4: node.OpType = message.String(); break;
                case 7: node.Domain = message.String(); break;
                case 5:
                    OnnxAttribute attribute = OnnxAttribute.Read(message.Message("an AttributeProto"));
                    if (node.Attributes.ContainsKey(attribute.Name) || node.Attributes.Count >= OnnxGraph.MaxItems)
                    {
                        throw new InvalidDataException("a node has two attributes named " + SafeTensorText.Quote(attribute.Name) + ", or too many");
                    }

                    node.Attributes.Add(attribute.Name, attribute);
                    break;
                default: message.Skip(); break;
            }
        }

        return node;
    }

    private static void Add(List<string> names, string name)
    {
        if (names.Count >= OnnxGraph.MaxItems)
        {
            throw new InvalidDataException("a node has more than " + OnnxGraph.MaxItems.ToString(CultureInfo.InvariantCulture) + " inputs or outputs");
        }

        names.Add(name);
    }
}

/// <summary>An AttributeProto: the fields a supported operator's attributes use (f, i, s, t, floats, ints, strings).</summary>
internal sealed class OnnxAttribute
{
    public string Name { get; private set; } = string.Empty;

    public float? Float { get; private set; }

    public long? Int { get; private set; }

    public string? String { get; private set; }

    public OnnxTensor? Tensor { get; private set; }

    public List<float> Floats { get; } = [];

    public List<long> Ints { get; } = [];

    public List<string> Strings { get; } = [];

    /// <summary>Whether it holds a graph (a subgraph of If, Loop, Scan): no supported operator has one.</summary>
    public bool HasGraph { get; private set; }

    public static OnnxAttribute Read(Protobuf message)
    {
        var attribute = new OnnxAttribute();
        while (message.Next())
        {
            switch (message.Field)
            {
                case 1: attribute.Name = message.String(); break;
                case 2: attribute.Float = message.Float(); break;
                case 3: attribute.Int = message.Int64(); break;
                case 4: attribute.String = message.String(); break;
                case 5: attribute.Tensor = OnnxTensor.Read(message.Message("an attribute's TensorProto")); break;
                case 6 or 11:
                    attribute.HasGraph = true;
                    message.Skip();
                    break;
                case 7: message.Floats(attribute.Floats, OnnxGraph.MaxItems); break;
                case 8: message.Int64s(attribute.Ints, OnnxGraph.MaxItems); break;
                case 9:
                    if (attribute.Strings.Count >= OnnxGraph.MaxItems)
                    {
                        throw new InvalidDataException("an attribute has more than " + OnnxGraph.MaxItems.ToString(CultureInfo.InvariantCulture) + " strings");
                    }

                    attribute.Strings.Add(message.String());
                    break;
                default: message.Skip(); break;
            }
        }

        return attribute;
    }
}

/// <summary>A ValueInfoProto of a graph input or output: its name, element type and dimensions (null where symbolic).</summary>
internal sealed class OnnxValueInfo
{
    public string Name { get; private set; } = string.Empty;

    public long ElementType { get; private set; }

    /// <summary>The dimensions, null when the value has no shape; a symbolic dimension (<c>dim_param</c>) is null.</summary>
    public List<long?>? Shape { get; private set; }

    public static OnnxValueInfo Read(Protobuf message)
    {
        var info = new OnnxValueInfo();
        while (message.Next())
        {
            if (message.Field == 1)
            {
                info.Name = message.String();
            }
            else if (message.Field == 2)
            {
                Protobuf type = message.Message("a TypeProto");
                while (type.Next())
                {
                    if (type.Field == 1)
                    {
                        info.ReadTensorType(type.Message("a TypeProto.Tensor"));
                    }
                    else
                    {
                        type.Skip();
                    }
                }
            }
            else
            {
                message.Skip();
            }
        }

        return info;
    }

    private void ReadTensorType(Protobuf tensor)
    {
        while (tensor.Next())
        {
            if (tensor.Field == 1)
            {
                ElementType = tensor.Int64();
            }
            else if (tensor.Field == 2)
            {
                Shape = [];
                Protobuf shape = tensor.Message("a TensorShapeProto");
                while (shape.Next())
                {
                    if (shape.Field != 1)
                    {
                        shape.Skip();
                        continue;
                    }

                    if (Shape.Count >= OnnxGraph.MaxRank)
                    {
                        throw new InvalidDataException("a graph input or output has more than " + OnnxGraph.MaxRank.ToString(CultureInfo.InvariantCulture) + " dimensions");
                    }

                    long? value = null;
                    Protobuf dimension = shape.Message("a TensorShapeProto.Dimension");
                    while (dimension.Next())
                    {
                        if (dimension.Field == 1)
                        {
                            value = dimension.Int64();
                        }
                        else
                        {
                            dimension.Skip();
                        }
                    }

                    Shape.Add(value);
                }
            }
            else
            {
                tensor.Skip();
            }
        }
    }
}

/// <summary>
/// A TensorProto: its name, dimensions, element type and values. Float values are read from <c>raw_data</c>
/// (little-endian) or <c>float_data</c>, int64 values from <c>raw_data</c> or <c>int64_data</c>; the count must be
/// the product of the dimensions, which is checked before anything is allocated for them.
/// </summary>
internal sealed class OnnxTensor
{
    public const int FloatType = 1;
    public const int Int64Type = 7;

    private byte[] _bytes = [];
    private int _rawStart = -1;
    private int _rawLength;

    public string Name { get; private set; } = string.Empty;

    public List<long> Dims { get; } = [];

    public long DataType { get; private set; }

    private List<float> FloatData { get; } = [];

    private List<long> Int64Data { get; } = [];

    private bool External { get; set; }

    /// <summary>The dimensions as text: <c>[1, 24, 8]</c>.</summary>
    public string Shape => "[" + string.Join(", ", Dims.ConvertAll(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    public static OnnxTensor Read(Protobuf message)
    {
        var tensor = new OnnxTensor();
        while (message.Next())
        {
            switch (message.Field)
            {
                case 1: message.Int64s(tensor.Dims, OnnxGraph.MaxRank); break;
                case 2: tensor.DataType = message.Int64(); break;
                case 4: message.Floats(tensor.FloatData, OnnxGraph.MaxValues); break;
                case 7: message.Int64s(tensor.Int64Data, OnnxGraph.MaxValues); break;
                case 8: tensor.Name = message.String(); break;
                case 9:
                    (tensor._rawStart, tensor._rawLength) = message.Range();
                    tensor._bytes = message.Bytes;
                    break;
                case 13:
                    tensor.External = true;
                    message.Skip();
                    break;
                case 14:
                    tensor.External |= message.Int64() == 1;
                    break;
                case 3: throw new UnsupportedModelException("a TensorProto is split into segments, which Fixed does not read");
                default: message.Skip(); break;
            }
        }

        return tensor;
    }

    /// <summary>The number of values the dimensions give, checked against the limit.</summary>
    public int Count(string what)
    {
        long count = 1;
        foreach (long dim in Dims)
        {
            if (dim < 0 || dim > OnnxGraph.MaxValues)
            {
                throw new InvalidDataException(what + " has the shape " + Shape + ", with a dimension outside 0.." + OnnxGraph.MaxValues.ToString(CultureInfo.InvariantCulture));
            }

            count *= dim;
            if (count > OnnxGraph.MaxValues)
            {
                throw new InvalidDataException(what + " has the shape " + Shape + ", over the " + OnnxGraph.MaxValues.ToString(CultureInfo.InvariantCulture) + " values a tensor may have");
            }
        }

        return (int)count;
    }

    /// <summary>The values of a float tensor, row-major.</summary>
    public float[] Floats(string what)
    {
        CheckStored(what);
        if (DataType != FloatType)
        {
            throw new UnsupportedModelException(what + " has the element type " + DataType.ToString(CultureInfo.InvariantCulture) + ", not float32 (1): Fixed computes in float32");
        }

        int count = Count(what);
        if (_rawStart >= 0)
        {
            if (_rawLength != (long)count * 4 || FloatData.Count != 0)
            {
                throw new InvalidDataException(what + " has the shape " + Shape + " but " + _rawLength.ToString(CultureInfo.InvariantCulture) + " bytes of raw_data" +
                    (FloatData.Count != 0 ? " and float_data too" : string.Empty));
            }

            var values = new float[count];
            for (int i = 0; i < count; i++)
            {
                values[i] = Protobuf.LittleEndianFloat(_bytes, _rawStart + (4 * i));
            }

            return Finite(values, what);
        }

        if (FloatData.Count != count)
        {
            throw new InvalidDataException(what + " has the shape " + Shape + " but " + FloatData.Count.ToString(CultureInfo.InvariantCulture) + " values in float_data");
        }

        return Finite(FloatData.ToArray(), what);
    }

    /// <summary>Refuses NaN and infinities, as the JSON formats cannot hold them: a weight that is not a number is a broken file.</summary>
    private static float[] Finite(float[] values, string what)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (float.IsNaN(values[i]) || float.IsInfinity(values[i]))
            {
                throw new InvalidDataException(what + " has the value " + values[i].ToString("R", CultureInfo.InvariantCulture) + " at index " +
                    i.ToString(CultureInfo.InvariantCulture) + ": weights must be finite");
            }
        }

        return values;
    }

    /// <summary>The values of an int64 tensor (a Squeeze's axes).</summary>
    public long[] Int64s(string what)
    {
        CheckStored(what);
        if (DataType != Int64Type)
        {
            throw new InvalidDataException(what + " has the element type " + DataType.ToString(CultureInfo.InvariantCulture) + ", not int64 (7)");
        }

        int count = Count(what);
        if (_rawStart >= 0)
        {
            if (_rawLength != (long)count * 8 || Int64Data.Count != 0)
            {
                throw new InvalidDataException(what + " has the shape " + Shape + " but " + _rawLength.ToString(CultureInfo.InvariantCulture) + " bytes of raw_data");
            }

            var values = new long[count];
            for (int i = 0; i < count; i++)
            {
                values[i] = Protobuf.LittleEndianInt64(_bytes, _rawStart + (8 * i));
            }

            return values;
        }

        if (Int64Data.Count != count)
        {
            throw new InvalidDataException(what + " has the shape " + Shape + " but " + Int64Data.Count.ToString(CultureInfo.InvariantCulture) + " values in int64_data");
        }

        return Int64Data.ToArray();
    }

    private void CheckStored(string what)
    {
        if (External)
        {
            throw new UnsupportedModelException(what + " is stored in an external data file, which Fixed does not read: save the model with its tensors inside " +
                "(onnx.save_model(model, path, save_as_external_data=False))");
        }
    }
}
