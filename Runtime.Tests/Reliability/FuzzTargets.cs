using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Fixed.Tests.Reliability;

/// <summary>A violation of the loading contract found by the fuzzer.</summary>
internal sealed class FuzzViolation(string message) : Exception(message);

/// <summary>One real file and the loader it is fed to, with the oracle that says what each variant must do.</summary>
internal interface IFuzzTarget
{
    string Name { get; }

    byte[] Original { get; }

    /// <summary>Loads <paramref name="variant"/> (from a file in <paramref name="directory"/> when given, else from a stream) and returns the outcome class.</summary>
    /// <exception cref="FuzzViolation">The loader broke its contract.</exception>
    string Check(byte[] variant, string? directory);
}

/// <summary>The shared checks: what a rejection must look like, and the outcome classes.</summary>
internal static class FuzzRules
{
    public const string LoadedOriginal = "loaded: exactly the original tensors";
    public const string LoadedOther = "loaded: other values, exactly as the mutated file holds them (data bytes changed or tensors re-pointed)";

    /// <summary>Keywords of each kind of rejection message; a message matching none does not say what is wrong.</summary>
    private static readonly (string Needle, string Class)[] Categories =
    [
        ("too short for the 8-byte header length", "file shorter than the 8-byte length field"),
        ("exceeds the limit of", "header length over 100,000,000"),
        ("runs past the end of the file", "header length past the end of the file"),
        ("does not start with '{'", "header is not a JSON object"),
        ("not valid UTF-8", "header is not UTF-8"),
        ("not a valid string", "string escape decodes to invalid UTF-16"),
        ("not valid JSON", "malformed JSON"),
        ("more after its JSON object", "data after the JSON object"),
        ("appears twice", "repeated tensor name or entry key"),
        ("twice", "repeated metadata key"),
        ("unknown dtype", "unknown dtype"),
        ("\"dtype\" must be a string", "dtype is not a string"),
        ("expected F32", "dtype other than F32"),
        ("must be F32 of shape", "optimizer tensor of the wrong dtype or shape"),
        ("\"shape\" must be", "shape is not an array of integers"),
        ("shape dimension", "shape dimension out of range"),
        ("\"data_offsets\" must be", "data_offsets is not [begin, end]"),
        ("data offset", "data offset out of range"),
        ("begins after it ends", "data_offsets reversed"),
        ("runs past the end of the", "data_offsets past the end of the data buffer"),
        ("needs more than 2^63", "shape too large"),
        ("span", "data_offsets disagree with the shape and dtype"),
        ("overlaps", "overlapping tensors"),
        ("belong to no tensor", "bytes that belong to no tensor (a hole)"),
        ("missing tensor", "missing tensor"),
        ("unexpected tensor", "unexpected tensor"),
        ("expected shape", "shape differs from the model's"),
        ("unexpected key", "unknown key in a tensor entry"),
        ("missing \"", "tensor entry lacks dtype, shape or data_offsets"),
        ("expected an object with dtype", "tensor entry is not an object"),
        ("\"__metadata__\"", "malformed __metadata__"),
        ("not a Fixed checkpoint", "checkpoint metadata missing"),
        ("checkpoint format", "wrong checkpoint format"),
        ("state, but the optimizer is", "checkpoint of another optimizer"),
        ("was saved with", "optimizer hyperparameter differs"),
        ("is not a valid value", "checkpoint step or lr invalid"),
    ];

    public static string Rejected(Exception e, string? path)
    {
        string message = e.Message;
        if (message.Length > 4000)
        {
            throw new FuzzViolation($"the message is {message.Length} characters long: untrusted text must be cut short");
        }

        if (path is not null && !message.StartsWith("'" + path + "': ", StringComparison.Ordinal))
        {
            throw new FuzzViolation("a load from a path must name the path first: " + message);
        }

        foreach ((string needle, string category) in Categories)
        {
            if (message.Contains(needle, StringComparison.Ordinal))
            {
                return "rejected: " + category;
            }
        }

        throw new FuzzViolation("the message does not say what is wrong: " + message);
    }

    public static void SameBits(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        if (expected.Length != actual.Length)
        {
            throw new FuzzViolation($"{what}: {actual.Length} values, expected {expected.Length}");
        }

        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                throw new FuzzViolation($"{what}[{i}] is {actual[i]}, expected {expected[i]}");
            }
        }
    }

    /// <summary>Distinct values no fixture holds, to detect any write by a failed load.</summary>
    public static float[] Sentinel(int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = 1e6f + i;
        }

        return values;
    }

    public static string WriteVariant(string directory, byte[] variant)
    {
        string path = Path.Combine(directory, "variant.safetensors");
        File.WriteAllBytes(path, variant);
        return path;
    }

    /// <summary>Calls <paramref name="load"/>; returns the rejection's class, or null when it loaded. Any other exception is a violation.</summary>
    public static string? TryLoad(Action load, string? path)
    {
        try
        {
            load();
            return null;
        }
        catch (Exception e) when (e is InvalidDataException or FormatException)
        {
            return Rejected(e, path);
        }
        catch (Exception e)
        {
            throw new FuzzViolation($"threw {e.GetType().FullName} (only InvalidDataException or FormatException may escape): {e.Message}");
        }
    }
}

/// <summary>A fixture's weights file, loaded with the generated model's <c>Load(Stream)</c> (or <c>Load(path)</c>).</summary>
internal sealed class WeightsTarget<T> : IFuzzTarget
    where T : IRecurrentModel<T>
{
    private readonly T _model = T.Create(seed: 1);
    private readonly float[] _sentinel = FuzzRules.Sentinel(T.ParameterCount);
    private readonly float[] _originalParameters;

    public WeightsTarget(string name, byte[] original)
    {
        Name = "weights " + name;
        Original = original;
        _model.Load(new MemoryStream(original));
        _originalParameters = _model.Parameters.ToArray();
    }

    public string Name { get; }

    public byte[] Original { get; }

    public string Check(byte[] variant, string? directory)
    {
        float[]? expected = Expected(variant, out string reason);
        _sentinel.CopyTo(_model.Parameters);
        string? path = directory is null ? null : FuzzRules.WriteVariant(directory, variant);
        string? rejected = FuzzRules.TryLoad(path is null ? () => _model.Load(new MemoryStream(variant)) : () => _model.Load(path), path);
        if (rejected is not null)
        {
            if (expected is not null)
            {
                throw new FuzzViolation("rejected a valid file: " + rejected);
            }

            FuzzRules.SameBits(_sentinel, _model.Parameters, "a failed load changed parameter");
            return rejected;
        }

        if (expected is null)
        {
            throw new FuzzViolation("loaded a file the reference reader rejects: " + reason);
        }

        FuzzRules.SameBits(expected, _model.Parameters, "loaded parameter");
        return expected.AsSpan().SequenceEqual(_originalParameters) ? FuzzRules.LoadedOriginal : FuzzRules.LoadedOther;
    }

    /// <summary>The parameters a valid file must load as, per the reference reader and the model's layout; null if it must be rejected.</summary>
    internal static float[]? Expected(byte[] variant, out string reason, string? otherPrefix = null)
    {
        ReferenceSafeTensors.Parsed? parsed = ReferenceSafeTensors.TryParse(variant, out reason);
        if (parsed is null)
        {
            return null;
        }

        var parameters = new float[T.ParameterCount];
        foreach (ParameterInfo info in T.Layout)
        {
            if (!parsed.Entries.TryGetValue(info.Name, out ReferenceSafeTensors.Entry? entry))
            {
                reason = "missing " + info.Name;
                return null;
            }

            if (entry.DType != "F32" || !entry.Shape.SequenceEqual(info.Shape))
            {
                reason = "wrong dtype or shape for " + info.Name;
                return null;
            }

            parsed.Floats(variant, entry).CopyTo(parameters, info.Offset);
        }

        var names = new HashSet<string>(T.Layout.ToArray().Select(i => i.Name), StringComparer.Ordinal);
        foreach (string name in parsed.Entries.Keys)
        {
            if (!names.Contains(name) && !(otherPrefix is not null && name.StartsWith(otherPrefix, StringComparison.Ordinal)))
            {
                reason = "extra tensor " + name;
                return null;
            }
        }

        return parameters;
    }
}

/// <summary>A training checkpoint built from a fixture's weights (model + optimizer state), loaded with <c>Checkpoint.Load</c>.</summary>
internal sealed class CheckpointTarget<T> : IFuzzTarget
    where T : IRecurrentModel<T>
{
    private const string Prefix = "optimizer.";
    private readonly T _model = T.Create(seed: 1);
    private readonly Optimizer _optimizer;
    private readonly float[] _sentinel = FuzzRules.Sentinel(T.ParameterCount);
    private readonly float[] _originalParameters;
    private readonly float[][] _originalBuffers;
    private readonly Dictionary<string, string> _hyperparameters;
    private readonly float _originalLearningRate;

    public CheckpointTarget(string name, byte[] weights, int kind)
    {
        _optimizer = kind switch
        {
            0 => new Adam(_model, lr: 1e-3f),
            1 => new AdamW(_model, lr: 2e-3f, weightDecay: 0.05f),
            _ => new Sgd(_model, lr: 0.01f, momentum: 0.9f, nesterov: true),
        };
        Name = $"checkpoint ({_optimizer.Name}) {name}";
        _hyperparameters = _optimizer.Hyperparameters.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

        // Two optimizer steps on a made-up gradient, so that every buffer holds something.
        _model.Load(new MemoryStream(weights));
        for (int step = 1; step <= 2; step++)
        {
            Span<float> gradients = _model.Gradients;
            for (int i = 0; i < gradients.Length; i++)
            {
                gradients[i] = MathF.Sin(0.37f * i + step);
            }

            _optimizer.Step();
        }

        var stream = new MemoryStream();
        Checkpoint.Save(stream, _model, _optimizer);
        Original = stream.ToArray();
        _originalParameters = _model.Parameters.ToArray();
        _originalBuffers = _optimizer.Buffers.Select(b => b.Values.Span.ToArray()).ToArray();
        _originalLearningRate = _optimizer.LearningRate;
    }

    public string Name { get; }

    public byte[] Original { get; }

    public string Check(byte[] variant, string? directory)
    {
        Expectation? expected = Expected(variant, out string reason);

        // A state no valid variant holds, so that any write by a failed load shows.
        _sentinel.CopyTo(_model.Parameters);
        IReadOnlyList<(string Name, AlignedBuffer Values)> buffers = _optimizer.Buffers;
        foreach ((_, AlignedBuffer values) in buffers)
        {
            values.Span.Fill(-7.25f);
        }

        _optimizer.Restore(stepCount: 123_456, learningRate: 0.125f);

        string? path = directory is null ? null : FuzzRules.WriteVariant(directory, variant);
        string? rejected = FuzzRules.TryLoad(
            path is null ? () => Checkpoint.Load(new MemoryStream(variant), _model, _optimizer) : () => Checkpoint.Load(path, _model, _optimizer), path);
        if (rejected is not null)
        {
            if (expected is not null)
            {
                throw new FuzzViolation("rejected a valid checkpoint: " + rejected);
            }

            FuzzRules.SameBits(_sentinel, _model.Parameters, "a failed load changed parameter");
            foreach ((string name, AlignedBuffer values) in buffers)
            {
                if (values.Span.ContainsAnyExcept(-7.25f))
                {
                    throw new FuzzViolation($"a failed load changed the optimizer's {name}");
                }
            }

            if (_optimizer.StepCount != 123_456 || _optimizer.LearningRate != 0.125f)
            {
                throw new FuzzViolation("a failed load changed the optimizer's step count or learning rate");
            }

            return rejected;
        }

        if (expected is null)
        {
            throw new FuzzViolation("loaded a checkpoint the reference reader rejects: " + reason);
        }

        FuzzRules.SameBits(expected.Parameters, _model.Parameters, "loaded parameter");
        for (int i = 0; i < buffers.Count; i++)
        {
            FuzzRules.SameBits(expected.Buffers[i], buffers[i].Values.Span, "loaded " + buffers[i].Name);
        }

        if (_optimizer.StepCount != expected.Step || BitConverter.SingleToInt32Bits(_optimizer.LearningRate) != BitConverter.SingleToInt32Bits(expected.LearningRate))
        {
            throw new FuzzViolation($"loaded step {_optimizer.StepCount} and lr {_optimizer.LearningRate}, expected {expected.Step} and {expected.LearningRate}");
        }

        bool original = expected.Parameters.AsSpan().SequenceEqual(_originalParameters) &&
            expected.Buffers.Zip(_originalBuffers).All(pair => pair.First.AsSpan().SequenceEqual(pair.Second)) &&
            expected.Step == 2 && expected.LearningRate == _originalLearningRate;
        return original ? FuzzRules.LoadedOriginal : FuzzRules.LoadedOther;
    }

    private sealed record Expectation(float[] Parameters, float[][] Buffers, long Step, float LearningRate);

    private Expectation? Expected(byte[] variant, out string reason)
    {
        float[]? parameters = WeightsTarget<T>.Expected(variant, out reason, Prefix);
        if (parameters is null)
        {
            return null;
        }

        ReferenceSafeTensors.Parsed parsed = ReferenceSafeTensors.TryParse(variant, out _)!;
        Dictionary<string, string>? metadata = parsed.Metadata;
        if (metadata is null || !metadata.TryGetValue("format", out string? format) || format != "fixed-checkpoint/1" ||
            !metadata.TryGetValue("optimizer", out string? optimizer) || optimizer != _optimizer.Name)
        {
            reason = "not a checkpoint of this optimizer";
            return null;
        }

        foreach ((string key, string value) in _hyperparameters)
        {
            if (!metadata.TryGetValue(key, out string? saved) || saved != value)
            {
                reason = "hyperparameter " + key + " differs";
                return null;
            }
        }

        if (!metadata.TryGetValue("step", out string? stepText) || !long.TryParse(stepText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long step) ||
            !metadata.TryGetValue("lr", out string? lrText) || !float.TryParse(lrText, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float lr) ||
            !(lr >= 0f) || float.IsInfinity(lr))
        {
            reason = "step or lr invalid";
            return null;
        }

        var buffers = new float[_originalBuffers.Length][];
        IReadOnlyList<(string Name, AlignedBuffer Values)> own = _optimizer.Buffers;
        var expectedNames = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < own.Count; i++)
        {
            string name = Prefix + own[i].Name;
            expectedNames.Add(name);
            if (!parsed.Entries.TryGetValue(name, out ReferenceSafeTensors.Entry? entry) || entry.DType != "F32" || entry.Shape.Length != 1 || entry.Shape[0] != own[i].Values.Length)
            {
                reason = "optimizer tensor " + name + " missing or misshapen";
                return null;
            }

            buffers[i] = parsed.Floats(variant, entry);
        }

        if (parsed.Entries.Keys.Any(n => n.StartsWith(Prefix, StringComparison.Ordinal) && !expectedNames.Contains(n)))
        {
            reason = "extra optimizer tensor";
            return null;
        }

        return new Expectation(parameters, buffers, step, lr);
    }
}
