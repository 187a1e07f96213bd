using System;
using System.ComponentModel;
using System.IO;

namespace Fixed.Engine;

/// <summary>
/// Loads a model file made elsewhere (RTNeural JSON, a PyTorch state_dict as JSON or safetensors, a .nam file, ONNX) into a class declared with <see cref="ModelFileAttribute"/>:
/// the <c>Load</c> members of such a class call these. Public only because generated code lives in the user's assembly.
/// </summary>
/// <remarks>
/// The file is converted by the same code the generator ran at compile time, then its architecture is compared with the
/// class's, layer by layer: a file of another architecture is an <see cref="InvalidDataException"/> naming the first
/// difference, and the parameters are written only when everything has passed. A safetensors file (recognised by its
/// length prefix, which no JSON text can begin with, or by its name) with exactly the class's tensor names in float32 (what
/// <c>Save</c> writes) loads as every model's <c>Load</c> loads one; any other safetensors file is a state_dict, imported
/// as <c>[ModelFile]</c> imports one and compared layer by layer.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ModelFiles
{
    /// <summary>Loads the file at <paramref name="path"/>.</summary>
    /// <param name="path">A model file of a supported format, or a safetensors file with the class's state_dict names.</param>
    /// <param name="architecture">The class's layers, as the generator described them from its compile-time file.</param>
    /// <param name="layout">The class's tensors.</param>
    /// <param name="parameters">The class's parameters; untouched unless the whole file loads.</param>
    /// <exception cref="InvalidDataException">The file is invalid or holds another architecture; the message starts with the path.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    public static void Load(string path, string architecture, ReadOnlySpan<ParameterInfo> layout, Span<float> parameters)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan))
        {
            bytes = ReadAll(stream, path);
        }

        Load(bytes, path, architecture, layout, parameters);
    }

    /// <summary>Reads <paramref name="stream"/> to its end and loads it, as <see cref="Load(string, string, ReadOnlySpan{ParameterInfo}, Span{float})"/> does a file.</summary>
    /// <param name="stream">The file's bytes, from the current position.</param>
    /// <param name="architecture">The class's layers, as the generator described them.</param>
    /// <param name="layout">The class's tensors.</param>
    /// <param name="parameters">The class's parameters; untouched unless the whole file loads.</param>
    /// <exception cref="InvalidDataException">The bytes are not a valid model file or hold another architecture.</exception>
    public static void Load(Stream stream, string architecture, ReadOnlySpan<ParameterInfo> layout, Span<float> parameters)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Load(ReadAll(stream, null), null, architecture, layout, parameters);
    }

    private static void Load(byte[] bytes, string? path, string architecture, ReadOnlySpan<ParameterInfo> layout, Span<float> parameters)
    {
        try
        {
            bool safetensors = SafeTensorsFormat.LooksLikeOne(bytes) || (path is not null && path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase));
            SafeTensorFile? file = null;
            bool classNames = false;
            if (safetensors)
            {
                // The class's own names in float32 (what Save writes, for any class): loaded by name, as every model loads
                // its safetensors. Anything else is a state_dict of its own, imported and compared layer by layer below.
                file = SafeTensorFile.Read(bytes);
                classNames = HasTheClassNames(file, layout, out bool float32);
                if (classNames && float32)
                {
                    ModelWeights.Load(file, layout, "rnn", "linear", parameters);
                    return;
                }
            }

            ImportedModel model;
            try
            {
                model = safetensors ? SafeTensorsFormat.Read(bytes) : ModelFileFormats.Import(bytes);
            }
            catch (Exception e) when (e is UnsupportedModelException or InvalidDataException)
            {
                // The class's names in another dtype, in a file the import cannot read as a state_dict (a class with a learned
                // initial state, say): the loader by name throws what is wrong (a tensor is not F32).
                if (classNames)
                {
                    ModelWeights.Load(file!, layout, "rnn", "linear", parameters);
                }

                if (e is InvalidDataException)
                {
                    throw;
                }

                throw new InvalidDataException(e.Message, e);
            }

            string found = model.Describe();
            if (found != architecture)
            {
                if (classNames)
                {
                    // The class's names in another dtype, for a class a state_dict cannot describe (activations): as above, it throws.
                    ModelWeights.Load(file!, layout, "rnn", "linear", parameters);
                }

                throw new InvalidDataException(Difference(model.Format, found, architecture));
            }

            if (model.Parameters.Length != parameters.Length)
            {
                throw new InvalidDataException("the file holds " + model.Parameters.Length + " weights, but the class has " + parameters.Length);
            }

            model.Parameters.CopyTo(parameters);
        }
        catch (InvalidDataException e) when (path is not null)
        {
            throw new InvalidDataException("'" + path + "': " + e.Message, e);
        }
    }

    /// <summary>Whether the file's tensors are exactly the class's, by name; <paramref name="float32"/> whether all are F32 too.</summary>
    private static bool HasTheClassNames(SafeTensorFile file, ReadOnlySpan<ParameterInfo> layout, out bool float32)
    {
        float32 = true;
        if (file.Tensors.Count != layout.Length)
        {
            return false;
        }

        foreach (ParameterInfo parameter in layout)
        {
            if (!file.TryGetTensor(parameter.Name, out SafeTensorEntry entry))
            {
                return false;
            }

            float32 &= entry.DType == SafeTensorDType.F32;
        }

        return true;
    }

    private static string Difference(string format, string found, string expected)
    {
        string[] file = found.Split("; ");
        string[] model = expected.Split("; ");
        for (int i = 0; i < Math.Max(file.Length, model.Length); i++)
        {
            string inFile = i < file.Length ? file[i] : "nothing";
            string inModel = i < model.Length ? model[i] : "nothing";
            if (inFile != inModel && (IsSampleRate(inFile) || IsSampleRate(inModel)))
            {
                return "the " + format + " file holds a model for another sample rate than this class: the file has " + inFile + ", where the class has " + inModel +
                    " (the file: " + found + "; the class: " + expected + ")";
            }

            if (inFile != inModel)
            {
                return "the " + format + " file holds another architecture than this class: its layer " + (i + 1) + " is " + inFile +
                    ", where the class has " + inModel + " (the file: " + found + "; the class: " + expected + ")";
            }
        }

        return "the " + format + " file holds another architecture than this class";
    }

    private static bool IsSampleRate(string entry) => entry.StartsWith(ImportedModel.SampleRatePrefix, StringComparison.Ordinal);

    private static byte[] ReadAll(Stream stream, string? path)
    {
        // The longest model text the JSON reader accepts (ASCII, as model files are); a safetensors file of that size holds 64 M floats.
        const long MaxBytes = ModelJson.MaxLength;
        using var copy = new MemoryStream();
        byte[] buffer = new byte[81920];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            if (copy.Length + read > MaxBytes)
            {
                throw new InvalidDataException((path is null ? string.Empty : "'" + path + "': ") + "the file is larger than the " + MaxBytes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " bytes a model file may have");
            }

            copy.Write(buffer, 0, read);
        }

        return copy.ToArray();
    }
}
