using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Fixed.Engine;

namespace Fixed;

/// <summary>
/// A training checkpoint: the model's weights (state_dict names, loadable by PyTorch and by <c>Load</c> once the
/// <c>optimizer.*</c> tensors are left out: <c>Load</c> accepts nothing extra) and its
/// optimizer's state (<c>optimizer.*</c> tensors, and metadata naming the optimizer, its step count, learning rate
/// and hyperparameters) in one safetensors file. Resuming from it continues bit-identically.
/// </summary>
public static class Checkpoint
{
    private const string Format = "fixed-checkpoint/1";
    private const string OptimizerPrefix = "optimizer.";

    /// <summary>Writes <paramref name="model"/> and <paramref name="optimizer"/> to <paramref name="path"/>, atomically.</summary>
    public static void Save<TModel>(string path, TModel model, Optimizer optimizer)
        where TModel : IRecurrentModel<TModel>
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        (List<FloatTensor> tensors, Dictionary<string, string> metadata) = Contents(model, optimizer);
        SafeTensorWriter.Write(path, tensors, metadata);
    }

    /// <summary>Writes <paramref name="model"/> and <paramref name="optimizer"/> to <paramref name="stream"/>.</summary>
    public static void Save<TModel>(Stream stream, TModel model, Optimizer optimizer)
        where TModel : IRecurrentModel<TModel>
    {
        ArgumentNullException.ThrowIfNull(stream);
        (List<FloatTensor> tensors, Dictionary<string, string> metadata) = Contents(model, optimizer);
        SafeTensorWriter.Write(stream, tensors, metadata);
    }

    /// <summary>
    /// Restores <paramref name="model"/> and <paramref name="optimizer"/> from <paramref name="path"/>. All or nothing:
    /// on any error (another optimizer, other hyperparameters, a missing or misshapen tensor) neither is changed.
    /// </summary>
    public static void Load<TModel>(string path, TModel model, Optimizer optimizer)
        where TModel : IRecurrentModel<TModel>
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckPair(model, optimizer);
        SafeTensorFile file = SafeTensorFile.Read(path);
        try
        {
            Restore(file, model, optimizer);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }
    }

    /// <summary>Restores <paramref name="model"/> and <paramref name="optimizer"/> from <paramref name="stream"/>.</summary>
    public static void Load<TModel>(Stream stream, TModel model, Optimizer optimizer)
        where TModel : IRecurrentModel<TModel>
    {
        ArgumentNullException.ThrowIfNull(stream);
        CheckPair(model, optimizer);
        Restore(SafeTensorFile.Read(stream), model, optimizer);
    }

    private static (List<FloatTensor>, Dictionary<string, string>) Contents<TModel>(TModel model, Optimizer optimizer)
        where TModel : IRecurrentModel<TModel>
    {
        CheckPair(model, optimizer);
        float[] parameters = model.ParameterValues.ToArray();
        var tensors = new List<FloatTensor>();
        foreach (ParameterInfo info in TModel.Layout)
        {
            tensors.Add(new FloatTensor(info.Name, info.Shape, parameters.AsMemory(info.Offset, info.Length)));
        }

        foreach ((string name, AlignedBuffer values) in optimizer.Buffers)
        {
            tensors.Add(new FloatTensor(OptimizerPrefix + name, [values.Length], values.Span.ToArray()));
        }

        // The model's description first (as a weights file has it, so a checkpoint from another model is explained in the
        // same words), then the optimizer's entries.
        Dictionary<string, string> metadata = ModelDescription.Metadata(TModel.Layout);
        metadata["format"] = Format;
        metadata["optimizer"] = optimizer.Name;
        metadata["step"] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture);
        metadata["lr"] = optimizer.LearningRate.ToString("R", CultureInfo.InvariantCulture);
        foreach (KeyValuePair<string, string> hyperparameter in optimizer.Hyperparameters)
        {
            metadata[hyperparameter.Key] = hyperparameter.Value;
        }

        return (tensors, metadata);
    }

    private static void Restore<TModel>(SafeTensorFile file, TModel model, Optimizer optimizer)
        where TModel : IRecurrentModel<TModel>
    {
        IReadOnlyDictionary<string, string> metadata = file.Metadata;
        string Required(string key) => metadata.TryGetValue(key, out string? value)
            ? value
            : throw new InvalidDataException($"not a Fixed checkpoint: metadata '{key}' is missing (a weights-only file loads with model.Load).");

        // Metadata values come from an untrusted file: quoted cut short, as the safetensors reader quotes names.
        if (Required("format") != Format)
        {
            throw new InvalidDataException($"checkpoint format {SafeTensorText.Quote(Required("format"))} is not '{Format}'.");
        }

        if (Required("optimizer") != optimizer.Name)
        {
            throw new InvalidDataException($"the checkpoint holds {SafeTensorText.Quote(Required("optimizer"))} state, but the optimizer is {optimizer.Name}.");
        }

        foreach (KeyValuePair<string, string> hyperparameter in optimizer.Hyperparameters)
        {
            if (Required(hyperparameter.Key) != hyperparameter.Value)
            {
                throw new InvalidDataException(
                    $"the checkpoint was saved with {hyperparameter.Key} = {SafeTensorText.Quote(Required(hyperparameter.Key))}, but this optimizer has {hyperparameter.Value}: construct it with the saved value to resume.");
            }
        }

        if (!long.TryParse(Required("step"), NumberStyles.None, CultureInfo.InvariantCulture, out long step) ||
            !float.TryParse(Required("lr"), NumberStyles.Float, CultureInfo.InvariantCulture, out float lr) || !(lr >= 0f) || float.IsInfinity(lr))
        {
            throw new InvalidDataException($"metadata step {SafeTensorText.Quote(Required("step"))} or lr {SafeTensorText.Quote(Required("lr"))} is not a valid value.");
        }

        // Read and check the optimizer's buffers into scratch copies first; the model's weights are committed by
        // LoadPart only after its own checks pass, and the buffers after that, so a failure changes nothing.
        IReadOnlyList<(string Name, AlignedBuffer Values)> buffers = optimizer.Buffers;
        var scratch = new float[buffers.Count][];
        var expected = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < buffers.Count; i++)
        {
            string name = OptimizerPrefix + buffers[i].Name;
            expected.Add(name);
            if (!file.TryGetTensor(name, out SafeTensorEntry entry) || entry.DType != "F32" || entry.Shape.Count != 1 || entry.Shape[0] != buffers[i].Values.Length)
            {
                throw new InvalidDataException(
                    $"tensor '{name}' must be F32 of shape [{buffers[i].Values.Length}] ({optimizer.Name} state for {optimizer.ParameterCount} parameters).");
            }

            scratch[i] = file.ReadFloats(name);
        }

        foreach (SafeTensorEntry entry in file.Tensors)
        {
            if (entry.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal) && !expected.Contains(entry.Name))
            {
                throw new InvalidDataException($"unexpected tensor {SafeTensorText.Quote(entry.Name)}: {optimizer.Name} has no such state.");
            }
        }

        ModelWeights.LoadPart(file, TModel.Layout, OptimizerPrefix, model.Parameters);
        for (int i = 0; i < buffers.Count; i++)
        {
            scratch[i].CopyTo(buffers[i].Values.Span);
        }

        optimizer.Restore(step, lr);
    }

    private static void CheckPair<TModel>(TModel model, Optimizer optimizer)
        where TModel : IRecurrentModel<TModel>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!ReferenceEquals(optimizer.Model, model))
        {
            throw new ArgumentException("optimizer: it is bound to another model; a checkpoint pairs a model with its own optimizer.", nameof(optimizer));
        }
    }
}
