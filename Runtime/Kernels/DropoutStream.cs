using System.ComponentModel;

namespace Fixed.Engine;

/// <summary>
/// A model's stream of dropout masks when no <see cref="ParameterStore{TShape}"/> holds it (the models that run on
/// <see cref="SequenceEngine{TShape}"/>): the seed, and how many Backward calls have drawn masks since it was set. Call n
/// after setting a seed draws what call n of a <see cref="ParameterStore{TShape}"/> with that seed draws, so every engine
/// indexes its masks the same way (<see cref="DropoutMask"/>).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class DropoutStream
{
    private ulong _seed;
    private ulong _calls;

    /// <summary>
    /// The seed of the masks (the generated <c>DropoutSeed</c>); 0 until set. Setting it, even to the value it has, restarts
    /// the stream.
    /// </summary>
    public ulong Seed
    {
        get => _seed;
        set
        {
            _seed = value;
            _calls = 0;
        }
    }

    /// <summary>The masks of the next Backward call at drop probability <paramref name="p"/>: each call takes the next in the seed's stream.</summary>
    internal DropoutMask Next(double p) => DropoutMask.For(_seed, _calls++, p);
}
