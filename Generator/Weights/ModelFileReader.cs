using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using Fixed.Generator.Model;
using Fixed.Generator.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Fixed.Generator.Weights;

/// <summary>
/// Reads the AdditionalFiles items that <c>[ModelFile]</c> names, with the runtime's own converter
/// (<c>Runtime/Shared/ModelFileFormats</c>): what compiles is exactly what <c>Load</c> accepts at run time. A JSON file
/// comes as its text; a binary one (ONNX, safetensors) as the base64 copy described in <see cref="EncodedAdditionalFile"/>.
/// </summary>
internal static class ModelFileReader
{
    /// <summary>Reads and converts one item; every failure becomes the content's <see cref="ModelFileContent.Error"/>, never an exception.</summary>
    public static ModelFileContent Read(AdditionalText text, string matchPath, CancellationToken cancellationToken)
    {
        SourceText? source = text.GetText(cancellationToken);

        // An ONNX file that happens to be valid UTF-8 reaches here as text (its first byte, 0x08, as a character).
        if (source is null || (source.Length > 0 && source[0] == '\b'))
        {
            return ModelFileContent.Invalid(matchPath,
                "the compiler could not read it as text (a binary file?), and a binary model file reaches a source generator only as the base64 copy " +
                "that the Fixed package's build/Fixed.targets makes of each *.onnx and *.safetensors AdditionalFiles item: when you reference the generator without the " +
                "package, import that file into the project");
        }

        string content = source.ToString();
        byte[]? file = null;
        bool safetensors = false;
        if (EncodedAdditionalFile.IsEncoded(content, out string extension))
        {
            // A *.safetensors file is read as one whatever its first bytes say: a header length that lies is its error.
            safetensors = extension == "safetensors";
            file = EncodedAdditionalFile.Decode(content);
            if (file is null)
            {
                return ModelFileContent.Invalid(matchPath, "its base64 text is malformed: delete the encoded copy under obj/ and rebuild");
            }
        }

        ImportedModel model;
        try
        {
            model = file is null ? ModelFileFormats.Import(content) : safetensors ? SafeTensorsFormat.Read(file) : ModelFileFormats.Import(file);
        }
        catch (UnsupportedModelException e)
        {
            return ModelFileContent.Invalid(matchPath, e.Message, unsupported: true);
        }
        catch (InvalidDataException e)
        {
            return ModelFileContent.Invalid(matchPath, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A generator must not crash the build on a hostile file: whatever the converter did not foresee is a diagnostic too.
            return ModelFileContent.Invalid(matchPath, "the importer failed (" + e.GetType().Name + ": " + e.Message + ")");
        }

        cancellationToken.ThrowIfCancellationRequested();
        LayerSpec[] layers = model.Layers.Select(l => new LayerSpec(
            (LayerKind)Enum.Parse(typeof(LayerKind), l.Kind.ToString()), l.Name, l.InputSize, l.OutputSize, l.Kind == ImportedLayerKind.Recurrent ? l.NumLayers : 0,
            l.Cell, Relu: false, l.Bias, Window: 64, l.Argument, LearnInitialState: l.LearnInitialState)).ToArray();
        byte[] bytes = MemoryMarshal.AsBytes(model.Parameters.AsSpan()).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            for (int i = 0; i < bytes.Length; i += 4)
            {
                Array.Reverse(bytes, i, 4);
            }
        }

        return new ModelFileContent(matchPath, new EquatableArray<LayerSpec>(layers), new EquatableArray<byte>(bytes), null, false, model.SampleRate);
    }
}
