using System;
using System.Globalization;
using System.IO;
using Xunit;

namespace Fixed.Tests.Training;

/// <summary>
/// Five consecutive steps of each optimizer against torch.optim on the same parameters and gradients.
/// Tolerance 1e-5 relative to max(1, |p|): PyTorch's Adam divides and takes square roots in float32 in the same
/// order as ours, so only a last-ulp difference per step is expected.
/// </summary>
public sealed class OptimizerParityTests
{
    public static TheoryData<string> Names => new("sgd", "sgd_momentum", "sgd_nesterov_wd", "sgd_wd", "adam", "adam_custom", "adamw", "adamw_custom");

    [Theory]
    [MemberData(nameof(Names))]
    public void Step_FiveSteps_MatchTorchOptim(string name)
    {
        SafeTensorFile data = Fixture.Data(Path.Combine("optim", name + ".data.safetensors"));
        float[] p0 = data.ReadFloats("p0");
        float[] grads = data.ReadFloats("grads");
        float[] expected = data.ReadFloats("params");
        var model = new FlatParameters(p0);
        Optimizer optimizer = Create(data, model);

        for (int step = 0; step < 5; step++)
        {
            grads.AsSpan(step * p0.Length, p0.Length).CopyTo(model.Gradients);
            optimizer.Step();
            Close.Elementwise(expected.AsSpan(step * p0.Length, p0.Length), model.Parameters, 1e-5, $"{name} step {step + 1}");
        }

        Assert.Equal(5, optimizer.StepCount);
    }

    private static Optimizer Create(SafeTensorFile data, IParameters model)
    {
        float F(string key) => float.Parse(data.Metadata[key], CultureInfo.InvariantCulture);
        return data.Metadata["optimizer"] switch
        {
            "sgd" => new Sgd(model, F("lr"), F("momentum"), F("weight_decay"), data.Metadata["nesterov"] == "true"),
            "adam" => new Adam(model, F("lr"), F("beta1"), F("beta2"), F("eps"), F("weight_decay")),
            "adamw" => new AdamW(model, F("lr"), F("beta1"), F("beta2"), F("eps"), F("weight_decay")),
            string other => throw new InvalidOperationException("unknown optimizer " + other),
        };
    }
}

/// <summary>A bare parameter vector, for optimizer tests independent of any network.</summary>
public sealed class FlatParameters(float[] initial) : IParameters
{
    private readonly float[] _parameters = (float[])initial.Clone();
    private readonly float[] _gradients = new float[initial.Length];

    public Span<float> Parameters => _parameters;

    public Span<float> Gradients => _gradients;
}
