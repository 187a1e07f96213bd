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
/// Neural Amp Modeler's <c>.nam</c> file (what its trainer exports and NeuralAmpModelerCore's <c>get_dsp</c> reads), of the
/// architecture <c>"LSTM"</c>: <c>{"version", "architecture": "LSTM", "config": {"input_size", "hidden_size",
/// "num_layers"}, "weights": [...], "sample_rate", "metadata"}</c>.
/// </summary>
/// <remarks>
/// <para>
/// <c>weights</c> is one flat list. For each stacked layer k (input size <c>I_k</c>: <c>input_size</c>, then
/// <c>hidden_size</c>): <c>W [4H, I_k + H]</c> row-major, the input weights and the hidden weights side by side in each row
/// (PyTorch's <c>weight_ih_lk</c> and <c>weight_hh_lk</c> concatenated along columns, gate order i, f, g, o); <c>b [4H]</c>,
/// one bias (PyTorch's <c>bias_ih_lk + bias_hh_lk</c>; it becomes <c>bias_ih</c> beside a zero <c>bias_hh</c>, as NAM's own
/// importer does); the initial hidden state <c>[H]</c>; the initial cell state <c>[H]</c>. Then the head: weight
/// <c>[out, H]</c> row-major and bias <c>[out]</c>. The cell is PyTorch's LSTM: <c>c' = σ(f) c + σ(i) tanh(g)</c>,
/// <c>h' = σ(o) tanh(c')</c>, output <c>W_head h' + b_head</c>.
/// </para>
/// <para>
/// Becomes <c>[Recurrent(input_size, hidden_size, Cell = Cell.Lstm, NumLayers = num_layers, LearnInitialState = true,
/// Name = "lstm")] [Linear(hidden_size, out, Name = "head")]</c>, the initial states as <c>lstm.h0</c> and <c>lstm.c0</c>
/// <c>[num_layers, hidden_size]</c>. <c>sample_rate</c> may be absent in old files: NAM's file specification says to assume
/// 48 kHz then. Versions 0.5.0 to 0.7.x are read (NeuralAmpModelerCore's range); the config members newer files may hold,
/// <c>in_channels</c> (equal to <c>input_size</c>) and <c>out_channels</c> (the head's outputs), are understood, and any
/// other config member is refused rather than ignored.
/// </para>
/// </remarks>
internal static class NamFormat
{
    public const string Name = "NAM";

    /// <summary>The layer names of the stack a .nam file becomes.</summary>
    public const string RecurrentName = "lstm", HeadName = "head";

    /// <summary>What NAM's file specification says to assume when a file has no <c>sample_rate</c>.</summary>
    public const int DefaultSampleRate = 48000;

    /// <summary>The highest <c>sample_rate</c> read: far above any audio rate, so that a typo is caught.</summary>
    public const int MaxSampleRate = 10_000_000;

    /// <summary>Whether a model file's root object is a .nam file: it has the member <c>"architecture"</c>.</summary>
    public static bool LooksLikeOne(ModelJsonNode root) => root.Get("architecture") is not null;

    public static ImportedModel Read(ModelJsonNode root)
    {
        ModelJsonNode? architectureNode = root.Get("architecture");
        string architecture = architectureNode is { Kind: ModelJsonKind.String }
            ? architectureNode.Text!
            : throw new InvalidDataException("\"architecture\" is " + (architectureNode?.Describe() ?? "missing") + ", but a .nam file's is a string such as \"LSTM\"");
        if (architecture != "LSTM")
        {
            throw new UnsupportedModelException("the .nam file's architecture is " + SafeTensorText.Quote(architecture) +
                ", which Fixed cannot express as a layer stack: of NAM's architectures Fixed reads \"LSTM\" only (WaveNet, ConvNet, Linear and the others are convolutional or compound)");
        }

        CheckVersion(root.Get("version"));
        ModelJsonNode? config = root.Get("config");
        if (config is null || config.Kind != ModelJsonKind.Object)
        {
            throw new InvalidDataException("\"config\" is " + (config?.Describe() ?? "missing") + ", but a .nam file's is an object with input_size, hidden_size and num_layers");
        }

        foreach (KeyValuePair<string, ModelJsonNode> member in config.Members)
        {
            if (member.Key is not ("input_size" or "hidden_size" or "num_layers" or "in_channels" or "out_channels"))
            {
                throw new UnsupportedModelException("\"config\" has the member " + SafeTensorText.Quote(member.Key) +
                    ", which Fixed does not know: an LSTM's config holds input_size, hidden_size, num_layers, in_channels and out_channels");
            }
        }

        int input = ConfigSize(config, "input_size");
        int hidden = ConfigSize(config, "hidden_size");
        int numLayers = ConfigSize(config, "num_layers");
        if (numLayers > ModelFileFormats.MaxLayers)
        {
            throw new InvalidDataException("\"config\".\"num_layers\" is " + numLayers.ToString(CultureInfo.InvariantCulture) + ", over the " +
                ModelFileFormats.MaxLayers.ToString(CultureInfo.InvariantCulture) + " layers an import accepts");
        }

        if (config.Get("in_channels") is { } inChannels && ModelFileFormats.Size(inChannels, "\"config\".\"in_channels\"") != input)
        {
            throw new UnsupportedModelException("\"config\".\"in_channels\" is " + inChannels.Describe() + " but \"input_size\" is " +
                input.ToString(CultureInfo.InvariantCulture) + ": NAM feeds the LSTM one input per channel, so the two must be equal");
        }

        int outputs = config.Get("out_channels") is { } outChannels ? ModelFileFormats.Size(outChannels, "\"config\".\"out_channels\"") : 1;
        int sampleRate = SampleRate(root.Get("sample_rate"));

        // The count is checked before any weight is read: a config that claims more than the list holds costs nothing.
        List<ModelJsonNode> weights = ModelFileFormats.Array(root.Get("weights"), "\"weights\"");
        long expected = (long)outputs * (hidden + 1);
        for (int k = 0; k < numLayers; k++)
        {
            long layerInput = k == 0 ? input : hidden;
            expected += (4L * hidden * (layerInput + hidden)) + (4L * hidden) + (2L * hidden);
        }

        if (weights.Count != expected)
        {
            throw new InvalidDataException("\"weights\" has " + weights.Count.ToString(CultureInfo.InvariantCulture) + " values, but an LSTM of input_size " +
                input.ToString(CultureInfo.InvariantCulture) + ", hidden_size " + hidden.ToString(CultureInfo.InvariantCulture) + " and num_layers " +
                numLayers.ToString(CultureInfo.InvariantCulture) + (outputs == 1 ? string.Empty : " with " + outputs.ToString(CultureInfo.InvariantCulture) + " outputs") +
                " has " + expected.ToString(CultureInfo.InvariantCulture) + " (per layer W [4H, I+H], b [4H], h0 [H], c0 [H]; then the head's weight [out, H] and bias [out])");
        }

        var reader = new Reader(weights);
        int gates = 4 * hidden;
        var parameters = new List<float>((int)expected + (gates * numLayers));
        var initialHidden = new List<float>(numLayers * hidden);
        var initialCell = new List<float>(numLayers * hidden);
        for (int k = 0; k < numLayers; k++)
        {
            int layerInput = k == 0 ? input : hidden;
            float[] w = reader.Take(gates * (layerInput + hidden));
            int columns = layerInput + hidden;
            for (int row = 0; row < gates; row++)
            {
                for (int column = 0; column < layerInput; column++)
                {
                    parameters.Add(w[(row * columns) + column]);
                }
            }

            for (int row = 0; row < gates; row++)
            {
                for (int column = layerInput; column < columns; column++)
                {
                    parameters.Add(w[(row * columns) + column]);
                }
            }

            parameters.AddRange(reader.Take(gates));
            parameters.AddRange(new float[gates]);
            initialHidden.AddRange(reader.Take(hidden));
            initialCell.AddRange(reader.Take(hidden));
        }

        parameters.AddRange(reader.Take(outputs * hidden));
        parameters.AddRange(reader.Take(outputs));

        // The learned initial state follows every layer's weights, h0 then c0, each [num_layers, hidden_size].
        parameters.AddRange(initialHidden);
        parameters.AddRange(initialCell);
        var layers = new List<ImportedLayer>
        {
            new(ImportedLayerKind.Recurrent, RecurrentName, input, hidden, Cell.Lstm, bias: true, 0f, numLayers, learnInitialState: true),
            new(ImportedLayerKind.Linear, HeadName, hidden, outputs, Cell.Rnn, bias: true, 0f),
        };
        return new ImportedModel(Name, layers, parameters.ToArray(), sampleRate);
    }

    /// <summary><c>"major.minor.patch"</c> from 0.5.0 to 0.7.x: the versions NeuralAmpModelerCore reads (older ones have another layout, newer ones may).</summary>
    private static void CheckVersion(ModelJsonNode? node)
    {
        if (node is null || node.Kind != ModelJsonKind.String)
        {
            throw new InvalidDataException("\"version\" is " + (node?.Describe() ?? "missing") + ", but a .nam file's is a string such as \"0.5.4\"");
        }

        string[] parts = node.Text!.Split('.');
        var numbers = new int[3];
        bool valid = parts.Length == 3;
        for (int i = 0; valid && i < 3; i++)
        {
            valid = parts[i].Length is > 0 and < 6 && IsDigits(parts[i]) && int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]);
        }

        if (!valid)
        {
            throw new InvalidDataException("\"version\" is " + node.Describe() + ", but a .nam file's is \"major.minor.patch\", such as \"0.5.4\"");
        }

        if (numbers[0] != 0 || numbers[1] < 5 || numbers[1] > 7)
        {
            throw new UnsupportedModelException("the .nam file's version is " + node.Describe() + ": Fixed reads versions 0.5.0 to 0.7.x, as NeuralAmpModelerCore does");
        }
    }

    private static bool IsDigits(string text)
    {
        foreach (char c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }

    private static int ConfigSize(ModelJsonNode config, string key)
    {
        ModelJsonNode? node = config.Get(key);
        return node is null
            ? throw new InvalidDataException("\"config\" has no \"" + key + "\"")
            : ModelFileFormats.Size(node, "\"config\".\"" + key + "\"");
    }

    /// <summary>A whole number of samples per second; absent means NAM's default, 48 kHz.</summary>
    private static int SampleRate(ModelJsonNode? node)
    {
        if (node is null)
        {
            return DefaultSampleRate;
        }

        if (node.Kind != ModelJsonKind.Number || node.Number < 1 || node.Number > MaxSampleRate)
        {
            throw new InvalidDataException("\"sample_rate\" is " + node.Describe() + ", but must be a number of samples per second from 1 to " +
                MaxSampleRate.ToString(CultureInfo.InvariantCulture));
        }

        if (node.Number != System.Math.Floor(node.Number))
        {
            throw new UnsupportedModelException("\"sample_rate\" is " + node.Describe() + ": Fixed gives a model's sample rate as a whole number of samples per second");
        }

        return (int)node.Number;
    }

    /// <summary>Consecutive slices of the flat weight list, each value checked to be a finite float32.</summary>
    private sealed class Reader
    {
        private readonly List<ModelJsonNode> _items;
        private int _next;

        public Reader(List<ModelJsonNode> items) => _items = items;

        public float[] Take(int count)
        {
            var values = new float[count];
            for (int i = 0; i < count; i++, _next++)
            {
                values[i] = ModelFileFormats.Float(_items[_next], "\"weights\"[" + _next.ToString(CultureInfo.InvariantCulture) + "]");
            }

            return values;
        }
    }
}
