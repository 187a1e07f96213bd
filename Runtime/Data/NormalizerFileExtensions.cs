using System;
using System.IO;

namespace Fixed;

/// <summary>
/// Saves a model together with the <see cref="FeatureNormalizer"/> its inputs go through, in one safetensors file, and
/// loads both back. The file's tensors are the model's <c>state_dict</c> exactly (PyTorch and <c>model.Load</c> read it
/// as any weights file); the normaliser is in its <c>__metadata__</c>.
/// </summary>
public static class NormalizerFileExtensions
{
    /// <summary>
    /// Writes the model's weights and <paramref name="normalizer"/> to <paramref name="path"/>, atomically, as
    /// <c>model.Save(path)</c> does plus the normaliser's metadata.
    /// </summary>
    /// <exception cref="ArgumentException">The normaliser's <see cref="FeatureNormalizer.Features"/> is not the model's <c>InputSize</c>.</exception>
    public static void Save<TModel>(this TModel model, string path, FeatureNormalizer normalizer)
        where TModel : IRecurrentModel<TModel>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(normalizer);
        if (normalizer.Features != TModel.InputSize)
        {
            throw new ArgumentException(
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"normalizer: it has {normalizer.Features} features, but {typeof(TModel).Name} has InputSize {TModel.InputSize}."),
                nameof(normalizer));
        }

        ModelWeights.Save(path, TModel.Layout, model.ParameterValues, normalizer.Metadata());
    }

    /// <summary>
    /// Loads the model's weights from <paramref name="path"/> as <c>model.Load(path)</c> does, and the normaliser saved
    /// with them: null when the file has none (a file from <c>model.Save</c> or from PyTorch). All or nothing: when the
    /// weights or the normaliser are invalid, the model is unchanged.
    /// </summary>
    /// <exception cref="InvalidDataException">The weights do not fit the model, or the normaliser's metadata is damaged or has another number of features.</exception>
    public static void Load<TModel>(this TModel model, string path, out FeatureNormalizer? normalizer)
        where TModel : IRecurrentModel<TModel>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            // The normaliser first: a damaged one fails the load before the weights are touched.
            FeatureNormalizer? loaded = FeatureNormalizer.FromMetadata(SafeTensorFile.Read(bytes).Metadata, TModel.InputSize);
            model.Load(new MemoryStream(bytes, writable: false));
            normalizer = loaded;
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }
    }
}
