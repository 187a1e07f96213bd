using System;

/// <summary>
/// Plucked strings (Karplus–Strong): a test signal with a guitar's attack and decay when no recording is given. Two
/// channels, two guitars (left: an E minor chord, then a run of single notes; right: the same an octave up), so the model serves two
/// streams, as a dual-mono plugin would.
/// </summary>
internal static class Synth
{
    public static Wav Plucks(int sampleRate, double seconds)
    {
        int frames = (int)(sampleRate * seconds);
        float[] left = Guitar(sampleRate, frames, octave: 1, seed: 5), right = Guitar(sampleRate, frames, octave: 2, seed: 6);
        var samples = new float[2 * frames];
        for (int n = 0; n < frames; n++)
        {
            samples[2 * n] = left[n];
            samples[(2 * n) + 1] = right[n];
        }

        return new Wav(sampleRate, 2, samples);
    }

    private static float[] Guitar(int sampleRate, int frames, int octave, int seed)
    {
        var samples = new float[frames];
        var random = new Random(seed);
        // An E minor chord, then single notes: (start in seconds, frequency in Hz).
        (double At, double Hz)[] notes =
        [
            (0.0, 82.41), (0.02, 123.47), (0.04, 164.81), (0.06, 196.00), (0.08, 246.94), (0.10, 329.63),
            (2.0, 196.00), (2.5, 220.00), (3.0, 246.94), (3.5, 293.66), (4.0, 329.63), (4.5, 392.00),
        ];
        foreach (var (at, hz) in notes)
        {
            int period = (int)Math.Round(sampleRate / (hz * octave));
            var line = new float[period];
            for (int i = 0; i < period; i++)
            {
                line[i] = (float)(random.NextDouble() * 2 - 1);
            }

            int first = (int)(at * sampleRate);
            for (int n = first, k = 0; n < samples.Length; n++, k++)
            {
                int i = k % period;
                float next = line[(i + 1) % period];
                samples[n] += 0.25f * line[i];
                line[i] = 0.996f * 0.5f * (line[i] + next);   // the string's loss: a two-tap average, slightly damped
            }
        }

        return samples;
    }
}
