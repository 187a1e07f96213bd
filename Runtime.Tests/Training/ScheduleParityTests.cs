using Xunit;

namespace Fixed.Tests.Training;

/// <summary>
/// The schedules against torch.optim.lr_scheduler over 25 epochs (scripts/make_schedule_fixture.py): StepLR and
/// CosineAnnealingLR, including the cosine's rise past T_max. Within 1e-7 (closed form in double vs PyTorch's
/// recursive form in double, both stored as float32); learning rates are below 1, so that is 1e-7 absolute.
/// </summary>
public sealed class ScheduleParityTests
{
    private static readonly SafeTensorFile Data = Fixture.Data("schedules.data.safetensors");

    [Fact]
    public void StepDecay_MatchesStepLR()
    {
        var schedule = new StepDecay(0.1f, stepSize: 4, gamma: 0.5f);

        AssertMatches(Data.ReadFloats("step_decay"), schedule);
    }

    [Fact]
    public void CosineAnnealing_MatchesCosineAnnealingLR()
    {
        var schedule = new CosineAnnealing(0.01f, tMax: 10, minimum: 1e-4f);

        AssertMatches(Data.ReadFloats("cosine"), schedule);
    }

    [Fact]
    public void Schedule_DrivesTheOptimizersLearningRate()
    {
        var optimizer = new Sgd(new FlatParameters([1f]), 0.1f);
        var schedule = new StepDecay(0.1f, stepSize: 4, gamma: 0.5f);

        optimizer.LearningRate = schedule.At(9);

        Assert.Equal(Data.ReadFloats("step_decay")[9], optimizer.LearningRate, 1e-9f);
    }

    private static void AssertMatches(float[] expected, ILearningRateSchedule schedule)
    {
        var actual = new float[expected.Length];
        for (int epoch = 0; epoch < expected.Length; epoch++)
        {
            actual[epoch] = schedule.At(epoch);
        }

        Close.Elementwise(expected, actual, 1e-7, "learning rate per epoch");
    }
}
