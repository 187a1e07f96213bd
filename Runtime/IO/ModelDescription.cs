using System;
using System.Collections.Generic;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace Fixed.Engine;

/// <summary>
/// What a weights file says about the model that wrote it: <see cref="ModelWeights"/>'s <c>Save</c> writes it into the
/// safetensors <c>__metadata__</c> (which holds strings only), and <c>Load</c> reads it back to explain a mismatch in the
/// user's words — "layer 'rnn' was saved with hiddenSize 16; this model has 32" — instead of a bare pair of shapes.
/// </summary>
/// <remarks>
/// <para>
/// Every setting is read off the layout's names and shapes (a recurrent layer's <c>weight_ih_l0</c> gives its input
/// size, <c>weight_hh_l0</c> its hidden size and gate count, hence its cell; a linear layer's <c>weight</c> its sizes),
/// so the description of a file and of a model are made by the same rule, and the metadata never needs the generator.
/// The nonlinearity of an Rnn layer has no tensor and is not described: like PyTorch, a tanh model loads a ReLU model's
/// weights.
/// </para>
/// <para>
/// The metadata only explains: <c>Load</c> consults it after a tensor check has already failed, so a file whose
/// metadata was edited (or damaged) but whose tensors fit still loads, and an unreadable description is ignored.
/// Files from PyTorch have no such metadata; their mismatches are reported by name and shape, as before.
/// </para>
/// Keys: <c>fixed.format</c> (<see cref="FormatVersion"/>), <c>fixed.version</c> (the library's version),
/// <c>fixed.layers</c> (the layer names, comma-separated, in order) and one <c>fixed.layer.{name}</c> per layer, e.g.
/// <c>Gru inputSize=3 hiddenSize=32 NumLayers=1 Bias=true</c> or <c>Linear inFeatures=32 outFeatures=2 Bias=true</c>.
/// </remarks>
internal static class ModelDescription
{
    /// <summary>The metadata layout's version; a file with another one is described by its shapes only.</summary>
    public const string FormatVersion = "1";

    public const string FormatKey = "fixed.format";
    public const string VersionKey = "fixed.version";
    public const string LayersKey = "fixed.layers";
    public const string LayerKeyPrefix = "fixed.layer.";

    /// <summary>The metadata <c>Save</c> writes for <paramref name="layout"/>.</summary>
    public static Dictionary<string, string> Metadata(ReadOnlySpan<ParameterInfo> layout)
    {
        List<Layer> layers = Describe(layout);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [FormatKey] = FormatVersion,
            [VersionKey] = LibraryVersion(),
        };
        var names = new StringBuilder();
        foreach (Layer layer in layers)
        {
            names.Append(names.Length == 0 ? string.Empty : ",").Append(layer.Name);
            metadata[LayerKeyPrefix + layer.Name] = layer.Settings;
        }

        metadata[LayersKey] = names.ToString();
        return metadata;
    }

    /// <summary>
    /// The first difference between the model a file's metadata describes and <paramref name="layout"/>, in words, or null
    /// when the file has no readable description or the descriptions agree (then the shapes say what is wrong).
    /// </summary>
    public static string? Difference(IReadOnlyDictionary<string, string> metadata, ReadOnlySpan<ParameterInfo> layout)
    {
        if (!metadata.TryGetValue(FormatKey, out string? format) || format != FormatVersion
            || !metadata.TryGetValue(LayersKey, out string? layerList) || layerList.Length == 0)
        {
            return null;
        }

        string[] savedNames = layerList.Split(',');
        var saved = new List<Layer>(savedNames.Length);
        foreach (string name in savedNames)
        {
            if (!metadata.TryGetValue(LayerKeyPrefix + name, out string? settings))
            {
                return null;
            }

            saved.Add(new Layer(name, settings));
        }

        List<Layer> model = Describe(layout);
        string version = metadata.TryGetValue(VersionKey, out string? v) ? $" (written by Fixed {v})" : string.Empty;
        if (saved.Count != model.Count)
        {
            return $"saved from a model with {Count(saved.Count)} ({string.Join(", ", savedNames)}); this model has {Count(model.Count)} ({NamesOf(model)}){version}";
        }

        for (int i = 0; i < saved.Count; i++)
        {
            string? difference = SettingDifference(saved[i].Settings, model[i].Settings);
            if (difference is not null)
            {
                string which = saved[i].Name == model[i].Name ? $"layer '{model[i].Name}'" : $"layer {i + 1} ('{saved[i].Name}' in the file, '{model[i].Name}' here)";
                return $"{which} was saved with {difference}{version}";
            }
        }

        return null;
    }

    private static string Count(int layers) => layers == 1 ? "1 layer" : layers.ToString(CultureInfo.InvariantCulture) + " layers";

    private static string NamesOf(List<Layer> layers)
    {
        var names = new string[layers.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = layers[i].Name;
        }

        return string.Join(", ", names);
    }

    /// <summary>"hiddenSize 16; this model has 32", for the first setting that differs; the kind first ("a Gru layer; ...").</summary>
    private static string? SettingDifference(string saved, string model)
    {
        string[] a = saved.Split(' ');
        string[] b = model.Split(' ');
        if (a[0] != b[0])
        {
            return IsCell(a[0]) && IsCell(b[0]) ? $"Cell {a[0]}; this model has {b[0]}" : $"a {a[0]} layer; this model has a {b[0]} layer";
        }

        for (int i = 1; i < b.Length; i++)
        {
            (string key, string value) = Split(b[i]);
            foreach (string item in a)
            {
                (string savedKey, string savedValue) = Split(item);
                if (savedKey == key && savedValue != value)
                {
                    return $"{key} {savedValue}; this model has {value}";
                }
            }
        }

        return null;
    }

    private static bool IsCell(string kind) => kind is "Rnn" or "Gru" or "Lstm";

    private static (string Key, string Value) Split(string item)
    {
        int equals = item.IndexOf('=', StringComparison.Ordinal);
        return equals < 0 ? (item, string.Empty) : (item[..equals], item[(equals + 1)..]);
    }

    /// <summary>The layers of <paramref name="layout"/>: consecutive tensors sharing the part of their name before the last dot.</summary>
    private static List<Layer> Describe(ReadOnlySpan<ParameterInfo> layout)
    {
        var layers = new List<Layer>();
        int start = 0;
        while (start < layout.Length)
        {
            if (InitialStateShape.IsInitialState(layout[start].Name))
            {
                // A learned initial state follows every weight, under its layer's name: it describes no layer of its own.
                start++;
                continue;
            }

            string module = Module(layout[start].Name);
            int end = start + 1;
            while (end < layout.Length && Module(layout[end].Name) == module)
            {
                end++;
            }

            layers.Add(new Layer(module, Settings(layout[start..end])));
            start = end;
        }

        return layers;
    }

    private static string Module(string name)
    {
        int dot = name.LastIndexOf('.');
        return dot < 0 ? string.Empty : name[..dot];
    }

    private static string Settings(ReadOnlySpan<ParameterInfo> tensors)
    {
        IReadOnlyList<int>? weightIh = null, weightHh = null, weight = null;
        int layers = 0;
        bool bias = false;
        foreach (ParameterInfo tensor in tensors)
        {
            string local = tensor.Name[(tensor.Name.LastIndexOf('.') + 1)..];
            if (local.StartsWith("weight_ih_l", StringComparison.Ordinal) && !local.EndsWith("_reverse", StringComparison.Ordinal))
            {
                layers++;
                weightIh ??= tensor.Shape;
            }
            else if (local == "weight_hh_l0")
            {
                weightHh = tensor.Shape;
            }
            else if (local == "weight")
            {
                weight = tensor.Shape;
            }

            bias |= local == "bias" || local == "bias_ih_l0";
        }

        string Bool(bool value) => value ? "true" : "false";
        if (weightIh is { Count: 2 } && weightHh is { Count: 2 } && weightHh[1] > 0)
        {
            int hidden = weightHh[1];
            string cell = (weightHh[0] / hidden) switch { 1 => "Rnn", 3 => "Gru", 4 => "Lstm", _ => "Recurrent" };
            return string.Create(CultureInfo.InvariantCulture,
                $"{cell} inputSize={weightIh[1]} hiddenSize={hidden} NumLayers={layers} Bias={Bool(bias)}");
        }

        if (weight is { Count: 2 })
        {
            return string.Create(CultureInfo.InvariantCulture, $"Linear inFeatures={weight[1]} outFeatures={weight[0]} Bias={Bool(bias)}");
        }

        var shapes = new StringBuilder("Tensors");
        foreach (ParameterInfo tensor in tensors)
        {
            shapes.Append(' ').Append(tensor.Name[(tensor.Name.LastIndexOf('.') + 1)..]).Append('=').Append(string.Join("x", tensor.Shape));
        }

        return shapes.ToString();
    }

    private static string LibraryVersion()
    {
        string? version = typeof(ModelDescription).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(version))
        {
            return "unknown";
        }

        int plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus]; // without the source revision: the same library writes the same bytes
    }

    private readonly record struct Layer(string Name, string Settings);
}
