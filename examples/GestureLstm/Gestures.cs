using System;

/// <summary>The four gestures, in class-index order.</summary>
internal enum Gesture { Idle, Shake, Circle, Tap }

/// <summary>
/// Simulated 3-axis linear acceleration (gravity removed, in g, as phones report it) of 64 samples at 50 Hz
/// (1.28 s). Each recording has its own amplitude, rate, phase, direction, sensor bias and noise level, so that
/// no two are alike: idle (bias and noise only), shake (a fast back-and-forth along a random horizontal
/// direction), circle (a slow rotation in the horizontal plane) and tap (a finger tapping the device at 2-4 Hz:
/// sharp, ringing knocks along z).
/// </summary>
/// <remarks>
/// Gravity is removed because an LSTM learns far more slowly from an input that sits at 1 g: the same weight
/// must then act as a bias and as a detector. (Standardising the inputs is the usual remedy in PyTorch too.)
/// </remarks>
internal sealed class GestureGenerator(int seed)
{
    public const int Steps = 64, Axes = 3;
    private const double SampleRate = 50;

    private readonly Random _random = new(seed);
    private readonly Gaussian _noise = new(seed + 1);

    /// <summary>Writes one recording of <paramref name="gesture"/> into <paramref name="sequence"/> ([Steps, Axes]).</summary>
    public void Record(Gesture gesture, Span<float> sequence)
    {
        double biasX = Uniform(-0.05, 0.05), biasY = Uniform(-0.05, 0.05), biasZ = Uniform(-0.05, 0.05);
        double noise = Uniform(0.02, 0.08);
        double amplitude = Uniform(0.3, 1.2);
        double rate = gesture switch { Gesture.Shake => Uniform(3, 7), Gesture.Tap => Uniform(2, 4), _ => Uniform(0.8, 2) };  // Hz
        double phase = Uniform(0, 2 * Math.PI);
        double direction = Uniform(0, 2 * Math.PI);
        double tapPeriod = SampleRate / rate, firstTap = Uniform(0, tapPeriod);   // in samples

        for (int t = 0; t < Steps; t++)
        {
            double angle = 2 * Math.PI * rate * t / SampleRate + phase;
            double x = biasX, y = biasY, z = biasZ;
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
                    for (double knock = firstTap; knock <= t; knock += tapPeriod)
                    {
                        double since = t - Math.Floor(knock);
                        z += 2 * amplitude * Math.Exp(-since / 3.0) * Math.Cos(1.5 * since);   // a sharp knock that rings for a few samples
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
