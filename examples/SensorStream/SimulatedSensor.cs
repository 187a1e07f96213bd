using System;

/// <summary>
/// A vibration sensor sampled at 1 kHz: a fundamental whose frequency wanders between 2 and 8 Hz, its third
/// harmonic, a slow baseline drift and white measurement noise. Deterministic for a given seed.
/// </summary>
internal sealed class SimulatedSensor(int seed)
{
    public const double SampleRate = 1_000;               // Hz
    public const float NoiseStd = 0.03f;

    private readonly Gaussian _noise = new(seed);
    private long _n;
    private double _phase;

    /// <summary>The next reading.</summary>
    public float Next()
    {
        double seconds = _n++ / SampleRate;
        double frequency = 5 + 3 * Math.Sin(2 * Math.PI * seconds / 80);   // Hz, one sweep every 80 s
        _phase += 2 * Math.PI * frequency / SampleRate;
        double drift = 0.4 * Math.Sin(2 * Math.PI * seconds / 50);
        double clean = Math.Sin(_phase) + 0.3 * Math.Sin(3 * _phase + 0.5) + drift;
        return (float)clean + NoiseStd * _noise.Next();
    }
}
