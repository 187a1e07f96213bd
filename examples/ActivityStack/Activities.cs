using System;
using System.Numerics;

/// <summary>The four activities, in class-index order.</summary>
internal enum Activity { Still, Walking, Running, Falling }

/// <summary>
/// Simulated readings of a phone's 3-axis accelerometer in a trouser pocket: 64 samples at 50 Hz (1.28 s), in g,
/// gravity included, as the raw sensor reports them. The phone sits at a random orientation in every recording, so
/// gravity (1 g) may fall on any axis and the network cannot tell the activities apart by one axis alone.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>still: gravity, a slow sway of a few hundredths of a g, sensor bias and noise;</item>
/// <item>walking: 1.6–2.2 steps per second, a vertical bounce of 0.15–0.4 g with its second harmonic, a forward surge at the
/// step rate and a sideways sway at half of it;</item>
/// <item>running: 2.5–3.3 steps per second, sharp landing peaks of 1.5–3 g above the mean, and a flight phase in between;</item>
/// <item>falling: standing or walking, then 0.24–0.4 s of near free fall (the reading drops towards 0 g) while the phone
/// turns over, an impact of 2.5–6 g that rings for a few samples, then lying still at the new orientation.</item>
/// </list>
/// </remarks>
internal sealed class ActivityGenerator(int seed)
{
    public const int Steps = 64, Axes = 3;
    public const double SampleRate = 50;

    private static readonly Vector3 Up = Vector3.UnitZ;   // an accelerometer at rest reads +1 g upwards

    private readonly Random _random = new(seed);
    private readonly Gaussian _noise = new(seed + 1);

    /// <summary>
    /// Writes one recording of <paramref name="activity"/> into <paramref name="sequence"/> ([Steps, Axes]); returns the
    /// sample of the impact for a fall, else -1.
    /// </summary>
    public int Record(Activity activity, Span<float> sequence)
    {
        Quaternion pocket = RandomOrientation();              // device frame -> world frame
        Quaternion lying = pocket;
        var bias = new Vector3(Uniform(-0.03f, 0.03f), Uniform(-0.03f, 0.03f), Uniform(-0.03f, 0.03f));
        float noise = Uniform(0.01f, 0.04f);
        Gait gait = activity switch
        {
            Activity.Walking => Gait.Walking(this),
            Activity.Running => Gait.Running(this),
            Activity.Falling when _random.Next(2) == 0 => Gait.Walking(this),
            _ => Gait.Still(this),
        };

        int fallStart = Steps, impact = -1;
        float freeFall = 0, impactSize = 0;
        Vector3 impactDirection = Up;
        if (activity == Activity.Falling)
        {
            fallStart = _random.Next(8, 33);
            impact = fallStart + _random.Next(12, 21);        // 0.24-0.4 s of falling; at least 11 samples after it
            freeFall = Uniform(0.75f, 0.95f);                  // how much of gravity the fall cancels
            impactSize = Uniform(2.5f, 6f);
            impactDirection = Vector3.Normalize(Up + new Vector3(Uniform(-0.6f, 0.6f), Uniform(-0.6f, 0.6f), 0));
            Vector3 axis = Vector3.Normalize(new Vector3(Uniform(-1, 1), Uniform(-1, 1), 0));   // the body topples about a horizontal axis
            lying = Quaternion.Normalize(Quaternion.CreateFromAxisAngle(axis, Uniform(1.2f, 1.9f)) * pocket);
        }

        for (int t = 0; t < Steps; t++)
        {
            Vector3 body;                                       // acceleration of the body, world frame, in g
            Quaternion orientation;
            if (t < fallStart)
            {
                body = gait.At(t / (float)SampleRate);
                orientation = pocket;
            }
            else if (t < impact)
            {
                float progress = (t - fallStart + 1f) / (impact - fallStart);
                body = -Up * freeFall * MathF.Min(1, (t - fallStart + 1) / 3f);
                orientation = Quaternion.Slerp(pocket, lying, progress);
            }
            else
            {
                int since = t - impact;
                body = impactDirection * impactSize * MathF.Exp(-since / 1.5f) * MathF.Cos(1.8f * since);
                orientation = lying;
            }

            Vector3 reading = Vector3.Transform(Up + body, Quaternion.Conjugate(orientation)) + bias;
            sequence[t * Axes] = Clamp(reading.X + noise * _noise.Next());
            sequence[t * Axes + 1] = Clamp(reading.Y + noise * _noise.Next());
            sequence[t * Axes + 2] = Clamp(reading.Z + noise * _noise.Next());
        }

        return impact;
    }

    /// <summary>A balanced data set: <paramref name="perClass"/> recordings of each activity, in random order.</summary>
    public (float[] Inputs, float[] Labels) DataSet(int perClass)
    {
        int classes = Enum.GetValues<Activity>().Length, count = perClass * classes;
        int[] order = new int[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = i % classes;
        }

        _random.Shuffle(order);
        float[] inputs = new float[count * Steps * Axes], labels = new float[count];
        for (int i = 0; i < count; i++)
        {
            Record((Activity)order[i], inputs.AsSpan(i * Steps * Axes, Steps * Axes));
            labels[i] = order[i];                               // class indices as floats, as Loss.CrossEntropy takes them
        }

        return (inputs, labels);
    }

    private static float Clamp(float g) => Math.Clamp(g, -8f, 8f);   // a phone accelerometer's ±8 g range

    private float Uniform(float low, float high) => low + (high - low) * (float)_random.NextDouble();

    /// <summary>A uniformly random rotation (a normalised 4-D Gaussian).</summary>
    private Quaternion RandomOrientation() =>
        Quaternion.Normalize(new Quaternion(_noise.Next(), _noise.Next(), _noise.Next(), _noise.Next()));

    /// <summary>The periodic body acceleration of a gait, world frame (x forward, y left, z up), in g.</summary>
    private readonly record struct Gait(float Rate, float Vertical, float Forward, float Sideways, float Peakiness, float Phase, float Heading)
    {
        public static Gait Still(ActivityGenerator g) =>
            new(g.Uniform(0.2f, 0.5f), 0, g.Uniform(0.005f, 0.03f), g.Uniform(0.005f, 0.03f), 0, g.Uniform(0, MathF.Tau), g.Uniform(0, MathF.Tau));

        public static Gait Walking(ActivityGenerator g) =>
            new(g.Uniform(1.6f, 2.2f), g.Uniform(0.15f, 0.4f), g.Uniform(0.1f, 0.25f), g.Uniform(0.05f, 0.15f), 0, g.Uniform(0, MathF.Tau), g.Uniform(0, MathF.Tau));

        public static Gait Running(ActivityGenerator g) =>
            new(g.Uniform(2.5f, 3.3f), g.Uniform(1.5f, 3f), g.Uniform(0.3f, 0.6f), g.Uniform(0.1f, 0.3f), 1, g.Uniform(0, MathF.Tau), g.Uniform(0, MathF.Tau));

        public Vector3 At(float seconds)
        {
            float angle = MathF.Tau * Rate * seconds + Phase;
            float vertical = Peakiness > 0
                ? Vertical * (MathF.Pow((1 + MathF.Cos(angle)) / 2, 4) - 35f / 128)   // landing peaks; 35/128 is the pulse's mean
                : Vertical * (MathF.Cos(angle) + 0.3f * MathF.Cos(2 * angle + 1));
            float forward = Forward * MathF.Sin(angle + 0.5f);
            float sideways = Sideways * MathF.Sin(angle / 2);
            return new Vector3(forward * MathF.Cos(Heading) - sideways * MathF.Sin(Heading),
                               forward * MathF.Sin(Heading) + sideways * MathF.Cos(Heading),
                               vertical);
        }
    }
}
