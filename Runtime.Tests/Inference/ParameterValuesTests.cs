using System;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xunit;

namespace Fixed.Tests.Inference;

/// <summary>
/// <c>ParameterValues</c>: the weights for reading, which (unlike <c>Parameters</c>) does not mark the kernels' packed copy
/// stale; and the library's own readers (optimizer constructors, <c>Checkpoint.Save</c>) use it, so neither forces a
/// repack nor counts as a write in a Debug build. "Stale" is read from the model's ParameterStore version counter.
/// </summary>
public sealed class ParameterValuesTests
{
    [Fact]
    public void ParameterValues_IsTheSameMemoryAsParameters_AndShowsWrites()
    {
        var model = new PsGru17(seed: 3);

        Assert.True(Unsafe.AreSame(ref MemoryMarshal.GetReference(model.ParameterValues), ref MemoryMarshal.GetReference(model.Parameters)));
        model.Parameters[7] = 42.5f;
        Assert.Equal(42.5f, model.ParameterValues[7]);
        Assert.Equal(PsGru17.ParameterCount, model.ParameterValues.Length);
    }

    [Fact]
    public void ReadingParameterValues_DoesNotMarkThePackedCopyStale_ReadingParametersDoes()
    {
        var model = new PsLstm5(seed: 4);
        int before = Version(model);

        float sum = 0;
        foreach (float value in model.ParameterValues)
        {
            sum += value;
        }

        Assert.Equal(before, Version(model));
        _ = model.Parameters.Length;
        Assert.NotEqual(before, Version(model));
        Assert.True(float.IsFinite(sum));
    }

    [Fact]
    public void OptimizerConstructionAndCheckpointSave_DoNotMarkThePackedCopyStale()
    {
        var model = new PsRnn17(seed: 5);
        string path = Path.Combine(Path.GetTempPath(), "fixed-parametervalues-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            int before = Version(model);
            var adam = new Adam(model, 1e-3f);
            _ = new Sgd(model, 1e-2f, momentum: 0.9f);
            Checkpoint.Save(path, model, adam);

            Assert.Equal(before, Version(model));
            Assert.True(new FileInfo(path).Length > 0);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The model's ParameterStore version: bumped by every request for the writable span.</summary>
    private static int Version(object model)
    {
        object store = model.GetType().GetField("_parameters", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(model)!;
        return (int)store.GetType().GetField("_version", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(store)!;
    }
}
