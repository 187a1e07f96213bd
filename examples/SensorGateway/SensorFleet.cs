using System;

/// <summary>What went wrong with a sensor, if anything.</summary>
internal enum Fault { None, Spike, Stuck, NoiseBurst, Drift }

/// <summary>
/// Simulated vibration sensors read once per frame: each a fundamental with its own period (20–80 frames), amplitude
/// and phase, a third harmonic, and white measurement noise. A tenth of them get a fault injected at a random frame of
/// the second half of the run: a spike (a few readings far off), stuck at full scale (the reading sits at the rail), a noise
/// burst (ten times the noise) or a drift (an offset growing by 0.1 every frame). Deterministic for a given seed.
/// </summary>
internal sealed class SensorFleet
{
    public const float NoiseStd = 0.02f;
    public const int FaultLength = 60;

    /// <summary>Where a stuck sensor's reading sits: its full-scale value, above anything a healthy sensor reads.</summary>
    public const float Rail = 1.8f;

    private readonly double[] _frequency, _amplitude, _phase;
    private readonly Gaussian _noise;

    public SensorFleet(int sensors, int frames, int seed, bool faults = true)
    {
        var random = new Random(seed);
        _noise = new Gaussian(seed + 1);
        Count = sensors;
        _frequency = new double[sensors];
        _amplitude = new double[sensors];
        _phase = new double[sensors];
        Faults = new Fault[sensors];
        FaultStart = new int[sensors];
        for (int s = 0; s < sensors; s++)
        {
            _frequency[s] = 1.0 / (20 + (60 * random.NextDouble()));
            _amplitude[s] = 0.5 + (0.5 * random.NextDouble());
            _phase[s] = 2 * Math.PI * random.NextDouble();
            FaultStart[s] = int.MaxValue;
            if (faults && s % 10 == 3)
            {
                Faults[s] = (Fault)(1 + (s / 10 % 4));
                FaultStart[s] = (frames / 2) + random.Next(frames / 2 - FaultLength);
            }
        }
    }

    /// <summary>Sensors in the fleet.</summary>
    public int Count { get; }

    /// <summary>The fault injected into each sensor (<see cref="Fault.None"/> for most).</summary>
    public Fault[] Faults { get; }

    /// <summary>The frame each fault starts at (<see cref="int.MaxValue"/>: never).</summary>
    public int[] FaultStart { get; }

    /// <summary>Whether sensor <paramref name="s"/> is faulty at <paramref name="frame"/>.</summary>
    public bool IsFaulty(int s, int frame) => frame >= FaultStart[s] && frame < FaultStart[s] + FaultLength;

    /// <summary>Every sensor's reading at <paramref name="frame"/>, into <paramref name="readings"/> (<c>[N]</c>).</summary>
    public void Read(int frame, Span<float> readings)
    {
        for (int s = 0; s < Count; s++)
        {
            double angle = (2 * Math.PI * _frequency[s] * frame) + _phase[s];
            float clean = (float)(_amplitude[s] * (Math.Sin(angle) + (0.3 * Math.Sin((3 * angle) + 0.5))));
            float noise = NoiseStd * _noise.Next();
            float value = clean + noise;
            if (IsFaulty(s, frame))
            {
                int into = frame - FaultStart[s];
                value = Faults[s] switch
                {
                    Fault.Spike => into < 3 ? clean + 1.5f : value,
                    Fault.Stuck => Rail,
                    Fault.NoiseBurst => clean + (10 * noise),
                    Fault.Drift => value + (0.1f * into),
                    _ => value,
                };
            }

            readings[s] = value;
        }
    }
}
