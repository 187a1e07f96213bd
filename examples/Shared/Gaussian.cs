using System;

/// <summary>Standard normal samples from a seeded <see cref="Random"/> by the Box–Muller transform: the same stream every run.</summary>
internal sealed class Gaussian(int seed)
{
    private readonly Random _uniform = new(seed);
    private float? _spare;

    public float Next()
    {
        if (_spare is float spare)
        {
            _spare = null;
            return spare;
        }

        double u1 = 1.0 - _uniform.NextDouble();  // (0, 1]: keeps the logarithm finite
        double u2 = _uniform.NextDouble();
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        _spare = (float)(radius * Math.Sin(2.0 * Math.PI * u2));
        return (float)(radius * Math.Cos(2.0 * Math.PI * u2));
    }
}
