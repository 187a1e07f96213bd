using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Globalization;
using System.IO;

namespace Fixed.Engine;

/// <summary>
/// Loads and saves a model's flat parameter vector as safetensors with PyTorch state_dict names: the
/// <c>Load</c>/<c>Save</c> members of every generated model call these.
/// </summary>
/// <remarks>
/// Public only because generated code lives in the user's assembly; hidden from IntelliSense. Loading is all
/// or nothing: the file is read and checked in full — every tensor present, nothing extra, F32, exact shapes —
/// into a scratch copy, and the parameters are written only when every check has passed.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ModelWeights
{
    private const string RnnModule = "rnn.";
    private const string HeadModule = "linear.";

    /// <summary>Loads the file at <paramref name="path"/> into <paramref name="parameters"/>.</summary>
    /// <param name="path">A safetensors file.</param>
    /// <param name="layout">The model's tensors; names start with <c>rnn.</c> or <c>linear.</c>.</param>
    /// <param name="rnnPrefix">What <c>rnn</c> is called in the file, with or without the trailing dot; empty for bare names such as <c>weight_ih_l0</c>.</param>
    /// <param name="headPrefix">What <c>linear</c> is called in the file, likewise.</param>
    /// <param name="parameters">The model's parameters; untouched unless the whole file loads.</param>
    /// <exception cref="InvalidDataException">The file is invalid or does not match <paramref name="layout"/>; the message starts with the path.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> does not match <paramref name="layout"/>, or a prefix maps two tensors to one name.</exception>
    public static void Load(string path, ReadOnlySpan<ParameterInfo> layout, string rnnPrefix, string headPrefix, Span<float> parameters)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string[] fileNames = FileNames(layout, rnnPrefix, headPrefix, parameters.Length);
        SafeTensorFile file = SafeTensorFile.Read(path);
        try
        {
            Load(file, layout, fileNames, parameters);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"'{path}': {e.Message}"), e);
        }
    }

    /// <summary>Reads <paramref name="stream"/> to its end and loads it into <paramref name="parameters"/>.</summary>
    /// <param name="stream">A safetensors file, from its current position.</param>
    /// <param name="layout">The model's tensors; names start with <c>rnn.</c> or <c>linear.</c>.</param>
    /// <param name="rnnPrefix">What <c>rnn</c> is called in the file, with or without the trailing dot; empty for bare names.</param>
    /// <param name="headPrefix">What <c>linear</c> is called in the file, likewise.</param>
    /// <param name="parameters">The model's parameters; untouched unless the whole file loads.</param>
    /// <exception cref="InvalidDataException">The stream is not a valid safetensors file or does not match <paramref name="layout"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> does not match <paramref name="layout"/>, or a prefix maps two tensors to one name.</exception>
    public static void Load(Stream stream, ReadOnlySpan<ParameterInfo> layout, string rnnPrefix, string headPrefix, Span<float> parameters)
    {
        ArgumentNullException.ThrowIfNull(stream);
        string[] fileNames = FileNames(layout, rnnPrefix, headPrefix, parameters.Length);
        Load(SafeTensorFile.Read(stream), layout, fileNames, parameters);
    }

    /// <summary>Loads an already parsed file into <paramref name="parameters"/>.</summary>
    /// <param name="file">A validated safetensors file.</param>
    /// <param name="layout">The model's tensors; names start with <c>rnn.</c> or <c>linear.</c>.</param>
    /// <param name="rnnPrefix">What <c>rnn</c> is called in the file, with or without the trailing dot; empty for bare names.</param>
    /// <param name="headPrefix">What <c>linear</c> is called in the file, likewise.</param>
    /// <param name="parameters">The model's parameters; untouched unless the whole file loads.</param>
    /// <exception cref="InvalidDataException">The file does not match <paramref name="layout"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> does not match <paramref name="layout"/>, or a prefix maps two tensors to one name.</exception>
    public static void Load(SafeTensorFile file, ReadOnlySpan<ParameterInfo> layout, string rnnPrefix, string headPrefix, Span<float> parameters)
    {
        ArgumentNullException.ThrowIfNull(file);
        Load(file, layout, FileNames(layout, rnnPrefix, headPrefix, parameters.Length), parameters);
    }

    /// <summary>Writes <paramref name="parameters"/> to <paramref name="stream"/> with the layout's names (<c>rnn.*</c>, <c>linear.*</c>).</summary>
    /// <param name="stream">Receives the file.</param>
    /// <param name="layout">The model's tensors, written in this order.</param>
    /// <param name="parameters">The model's parameters.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> entries.</param>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> does not match <paramref name="layout"/>.</exception>
    public static void Save(Stream stream, ReadOnlySpan<ParameterInfo> layout, ReadOnlySpan<float> parameters, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        SafeTensorWriter.Write(stream, ToTensors(layout, parameters), WithDescription(layout, metadata));
    }

    /// <summary>
    /// Writes <paramref name="parameters"/> to <paramref name="path"/> atomically: the previous file, if any, is
    /// replaced only by a complete new one, and is left intact when anything fails.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="layout">The model's tensors, written in this order.</param>
    /// <param name="parameters">The model's parameters.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> entries.</param>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> does not match <paramref name="layout"/>.</exception>
    public static void Save(string path, ReadOnlySpan<ParameterInfo> layout, ReadOnlySpan<float> parameters, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        SafeTensorWriter.Write(path, ToTensors(layout, parameters), WithDescription(layout, metadata));
    }

    /// <summary>The model's description (<see cref="ModelDescription"/>) beside the caller's entries, which win on a clash.</summary>
    private static Dictionary<string, string> WithDescription(ReadOnlySpan<ParameterInfo> layout, IReadOnlyDictionary<string, string>? metadata)
    {
        Dictionary<string, string> all = ModelDescription.Metadata(layout);
        if (metadata is not null)
        {
            foreach (KeyValuePair<string, string> entry in metadata)
            {
                all[entry.Key] = entry.Value;
            }
        }

        return all;
    }

    /// <summary>
    /// Loads the model's tensors from a file that also holds other tensors under <paramref name="otherPrefix"/>
    /// (a training checkpoint's optimizer state); anything else extra is still an error.
    /// </summary>
    internal static void LoadPart(SafeTensorFile file, ReadOnlySpan<ParameterInfo> layout, string otherPrefix, Span<float> parameters) =>
        Load(file, layout, FileNames(layout, "rnn", "linear", parameters.Length), parameters, otherPrefix);

    private static void Load(SafeTensorFile file, ReadOnlySpan<ParameterInfo> layout, string[] fileNames, Span<float> parameters, string? otherPrefix = null)
    {
        var scratch = new float[parameters.Length];
        var expected = new HashSet<string>(fileNames, StringComparer.Ordinal);
        for (int i = 0; i < layout.Length; i++)
        {
            ParameterInfo parameter = layout[i];
            string name = fileNames[i];
            if (!file.TryGetTensor(name, out SafeTensorEntry entry))
            {
                throw Mismatch(file, layout, $"missing tensor {SafeTensorText.Quote(name)}{PrefixHint(file, parameter.Name)}; the file has {SafeTensorText.Names(NamesOf(file))}.");
            }

            if (entry.DType != SafeTensorDType.F32)
            {
                throw Invalid($"tensor {SafeTensorText.Quote(name)} has dtype {entry.DType}; expected F32 (in PyTorch, save model.float().state_dict()).");
            }

            if (!InitialStateShape.Fits(parameter.Name, entry.Shape, parameter.Shape))
            {
                throw Mismatch(file, layout, $"tensor {SafeTensorText.Quote(name)}: expected shape {SafeTensorText.Shape(parameter.Shape)}, got {SafeTensorText.Shape(entry.Shape)}.");
            }

            file.CopyFloats(entry, scratch.AsSpan(parameter.Offset, parameter.Length));
        }

        foreach (SafeTensorEntry entry in file.Tensors)
        {
            if (!expected.Contains(entry.Name) && !(otherPrefix is not null && entry.Name.StartsWith(otherPrefix, StringComparison.Ordinal)))
            {
                throw Mismatch(file, layout, $"unexpected tensor {SafeTensorText.Quote(entry.Name)}: the model has exactly {SafeTensorText.Names(fileNames)}.");
            }
        }

        foreach (ParameterInfo parameter in layout)
        {
            scratch.AsSpan(parameter.Offset, parameter.Length).CopyTo(parameters.Slice(parameter.Offset, parameter.Length));
        }
    }

    /// <summary>Checks the layout against the parameters and maps each layout name to its name in the file.</summary>
    private static string[] FileNames(ReadOnlySpan<ParameterInfo> layout, string rnnPrefix, string headPrefix, int parameterCount)
    {
        ArgumentNullException.ThrowIfNull(rnnPrefix);
        ArgumentNullException.ThrowIfNull(headPrefix);
        CheckLayout(layout, parameterCount);
        string rnn = WithDot(rnnPrefix);
        string head = WithDot(headPrefix);
        var names = new string[layout.Length];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < layout.Length; i++)
        {
            string name = layout[i].Name;
            names[i] = name.StartsWith(RnnModule, StringComparison.Ordinal) ? rnn + name[RnnModule.Length..]
                : name.StartsWith(HeadModule, StringComparison.Ordinal) ? head + name[HeadModule.Length..]
                : name; // a layer stack's other layers keep their own names
            if (!seen.Add(names[i]))
            {
                throw new ArgumentException(
                    $"the prefixes '{rnnPrefix}' and '{headPrefix}' map two tensors to {SafeTensorText.Quote(names[i])}; give the recurrent layers and the head different prefixes.",
                    nameof(headPrefix));
            }
        }

        return names;
    }

    private static void CheckLayout(ReadOnlySpan<ParameterInfo> layout, int parameterCount)
    {
        long total = 0;
        foreach (ParameterInfo parameter in layout)
        {
            if (parameter.Offset < 0 || (long)parameter.Offset + parameter.Length > parameterCount)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"layout: {SafeTensorText.Quote(parameter.Name)} at offset {parameter.Offset} with {parameter.Length} floats lies outside the {parameterCount} parameters."),
                    nameof(layout));
            }

            total += parameter.Length;
        }

        if (total != parameterCount)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"parameters: expected {total} floats (the layout's tensors), got {parameterCount}."),
                "parameters");
        }
    }

    private static FloatTensor[] ToTensors(ReadOnlySpan<ParameterInfo> layout, ReadOnlySpan<float> parameters)
    {
        CheckLayout(layout, parameters.Length);

        // One copy: the writer takes memory, and a span cannot be captured by the atomic writer's callback.
        float[] values = parameters.ToArray();
        var tensors = new FloatTensor[layout.Length];
        for (int i = 0; i < layout.Length; i++)
        {
            ParameterInfo parameter = layout[i];
            tensors[i] = new FloatTensor(parameter.Name, parameter.Shape, values.AsMemory(parameter.Offset, parameter.Length));
        }

        return tensors;
    }

    private static string WithDot(string prefix) => prefix.Length == 0 || prefix.EndsWith('.') ? prefix : prefix + ".";

    private static string[] NamesOf(SafeTensorFile file)
    {
        var names = new string[file.Tensors.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = file.Tensors[i].Name;
        }

        return names;
    }

    /// <summary>
    /// When the file has the tensor under another prefix (<c>model.rnn.weight_ih_l0</c> for
    /// <c>rnn.weight_ih_l0</c>), says which prefix to pass: the commonest mistake with state_dicts of larger modules.
    /// </summary>
    private static string PrefixHint(SafeTensorFile file, string layoutName)
    {
        string suffix = layoutName[(layoutName.IndexOf('.', StringComparison.Ordinal) + 1)..];
        foreach (SafeTensorEntry entry in file.Tensors)
        {
            if (entry.Name == suffix)
            {
                return $" (the file has {SafeTensorText.Quote(entry.Name)}: pass an empty prefix)";
            }

            if (entry.Name.EndsWith("." + suffix, StringComparison.Ordinal))
            {
                string prefix = entry.Name[..^(suffix.Length + 1)];
                return $" (the file has {SafeTensorText.Quote(entry.Name)}: pass the prefix {SafeTensorText.Quote(prefix)})";
            }
        }

        return string.Empty;
    }

    private static InvalidDataException Invalid(FormattableString message) => new(FormattableString.Invariant(message));

    /// <summary>
    /// A tensor that does not fit, explained first by the setting that differs when the file says which model wrote it
    /// (Fixed's <c>__metadata__</c>, <see cref="ModelDescription"/>); files without it (PyTorch's) keep the shape message alone.
    /// </summary>
    private static InvalidDataException Mismatch(SafeTensorFile file, ReadOnlySpan<ParameterInfo> layout, FormattableString message)
    {
        string? difference = ModelDescription.Difference(file.Metadata, layout);
        string detail = FormattableString.Invariant(message);
        return new InvalidDataException(difference is null ? detail : difference + ": " + detail);
    }
}
