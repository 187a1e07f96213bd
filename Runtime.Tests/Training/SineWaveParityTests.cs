using System;
using System.IO;
using Xunit;

namespace Fixed.Tests.Training;

/// <summary>
/// The seed's task end to end: the first 20 steps of examples/SineWave's training loop (batch 16, Adam 0.01,
/// clip_grad_norm_(5)) from the same initial weights and data as scripts/sine_pytorch.py give the same losses and
/// gradient norms within 1e-4 (float32 over 20 optimizer steps that feed back into each other).
/// </summary>
public sealed class SineWaveParityTests
{
    [Fact]
    public void First20TrainingSteps_MatchPyTorchLossesAndGradientNorms()
    {
        string examples = Path.Combine(AppContext.BaseDirectory, "Fixtures", "sine");
        SafeTensorFile data = SafeTensorFile.Read(Path.Combine(examples, "sine_data.safetensors"));
        SafeTensorFile expected = Fixture.Data("sine_first20.data.safetensors");
        float[] x = data.ReadFloats("x");
        float[] order = data.ReadFloats("perm");
        var model = new RnnRegression();
        model.Load(Path.Combine(examples, "sine_init.safetensors"));
        var optimizer = new Adam(model, lr: 0.01f);
        const int tau = 4, batch = 16;
        var inputs = new float[batch * tau];
        var targets = new float[batch];
        float[] losses = new float[20], norms = new float[20];

        for (int step = 0; step < 20; step++)
        {
            for (int b = 0; b < batch; b++)
            {
                int sample = (int)order[step * batch + b];
                x.AsSpan(sample, tau).CopyTo(inputs.AsSpan(b * tau, tau));
                targets[b] = x[sample + tau];
            }

            model.ZeroGrad();
            losses[step] = model.Backward(inputs, targets, batch, Loss.Mse, LossOn.LastStep);
            norms[step] = model.ClipGradNorm(5f);
            optimizer.Step();
        }

        Close.Elementwise(expected.ReadFloats("loss"), losses, 1e-4, "loss");
        Close.Elementwise(expected.ReadFloats("grad_norm"), norms, 1e-4, "grad_norm");
    }
}
