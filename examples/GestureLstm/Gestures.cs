using System;

/// <summary>The four gestures, in class-index order.</summary>
internal enum Gesture { Idle, Shake, Circle, Tap }

/// <summary>
/// Simulated 3-axis accelerometer recordings (in g) of 64 samples at 50 Hz (1.28 s), each with a random
/// amplitude, rate, phase, device tilt and noise level, so that no two are alike:
/// idle (gravity and noise), shake (a fast back-and-forth along a random horizontal direction), circle (a slow
/// rotation in the horizontal plane) and tap (one to three short knocks along z).
/// </summary>
internal sealed class GestureGenerator(int seed)
{
    public const int Steps = 64, Axes = 3;
    private const double SampleRate = 50;

    private readonly Random _random = new(seed);
    private readonly Gaussian _noise = new(seed + 1);

    /// <summary>Writes one recording of <paramref name="gesture"/> into <paramref name="sequence"/> ([Steps, Axes]).</summary>
    public void Record(Gesture gesture, Span<float> sequence)
    {
        double tiltX = Uniform(-0.2, 0.2), tiltY = Uniform(-0.2, 0.2);    // gravity as seen by a slightly tilted device
        double noise = Uniform(0.02, 0.08);
        double amplitude = Uniform(0.3, 1.2);
        double rate = gesture == Gesture.Shake ? Uniform(3, 7) : Uniform(0.8, 2);   // Hz
        double phase = Uniform(0, 2 * Math.PI);
        double direction = Uniform(0, 2 * Math.PI);
        int knocks = _random.Next(1, 4);
        Span<int> knockAt = stackalloc int[3];
        for (int k = 0; k < knocks; k++)
        {
            knockAt[k] = _random.Next(4, Steps - 6);
        }

        for (int t = 0; t < Steps; t++)
        {
            double angle = 2 * Math.PI * rate * t / SampleRate + phase;
            double x = tiltX, y = tiltY, z = 1;
            switch (gesture)
            {
                case Gesture.Shake:
                    x += amplitude * Math.Sin(angle) * Math.Cos(direction);
                    y += amplitude * Math.Sin(angle) * Math.Sin(direction);
                    break;
                case Gesture.Circle:
                    x += amplitude * Math.Cos(angle);
                    y += amplitude * Math.Sin(angle);
                    break;
                case Gesture.Tap:
                    for (int k = 0; k < knocks; k++)
                    {
                        int since = t - knockAt[k];
                        if (since >= 0)
                        {
                            z += 2 * amplitude * Math.Exp(-since / 1.5) * Math.Cos(2.5 * since);   // a sharp, ringing knock
                        }
                    }

                    break;
            }

            sequence[t * Axes] = (float)(x + noise * _noise.Next());
            sequence[t * Axes + 1] = (float)(y + noise * _noise.Next());
            sequence[t * Axes + 2] = (float)(z + noise * _noise.Next());
        }
    }

    /// <summary>A balanced data set: <paramref name="perClass"/> recordings of each gesture, in random order.</summary>
    public (float[] Inputs, float[] Labels) DataSet(int perClass)
    {
        int classes = Enum.GetValues<Gesture>().Length, count = perClass * classes;
        int[] order = new int[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = i % classes;
        }

        _random.Shuffle(order);
        float[] inputs = new float[count * Steps * Axes], labels = new float[count];
        for (int i = 0; i < count; i++)
        {
            Record((Gesture)order[i], inputs.AsSpan(i * Steps * Axes, Steps * Axes));
            labels[i] = order[i];
        }

        return (inputs, labels);
    }

    private double Uniform(double low, double high) => low + (high - low) * _random.NextDouble();
}
