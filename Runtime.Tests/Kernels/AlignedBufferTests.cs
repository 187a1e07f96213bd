using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Fixed.Engine;
using Fixed.Tests.Sequence;
using Fixed.Tests.Stacks;
using Xunit;

namespace Fixed.Tests.Kernels;

/// <summary>
/// The buffers training streams through start on a 64-byte boundary whatever the process allocated before them: the
/// weights, the gradients, an optimizer's moments (and, inside the engine, the tape and work, which the same type
/// allocates). A <c>float[]</c> falls wherever the heap puts it, and GRU 1→32's training iteration measured 9,985 to
/// 11,360 ns on one core by where its arrays fell. Each model is created after a junk allocation of every size from 0 to
/// 60 bytes, so that a plain array would have started at each of the offsets within a cache line.
/// </summary>
public sealed class AlignedBufferTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(1000)]
    public void Buffer_IsZeroedAlignedAndOfItsLength(int length)
    {
        for (int junk = 0; junk < 64; junk += 4)
        {
            GC.KeepAlive(new byte[junk]);
            var buffer = new AlignedBuffer(length);
            Assert.Equal(length, buffer.Length);
            Assert.Equal(length, buffer.Span.Length);
            Assert.True(IsAligned(buffer.Span), $"length {length} after {junk} junk bytes");
            Assert.DoesNotContain(buffer.Span.ToArray(), v => v != 0f);
            Assert.Equal(buffer.Array.AsSpan(buffer.Offset, length).ToArray(), buffer.Span.ToArray());
            buffer.Span.Fill(3f);
            buffer.Clear();
            Assert.DoesNotContain(buffer.Span.ToArray(), v => v != 0f);
        }
    }

    [Fact]
    public void NegativeLength_Throws() => Assert.Throws<ArgumentOutOfRangeException>(() => new AlignedBuffer(-1));

    [Fact]
    public void OneAttributeModel_WeightsAndGradientsAreAligned() => AssertModelAligned<Gru32>(parameters: true);

    [Fact]
    public void LearnedInitialStateModel_WeightsAndGradientsAreAligned() => AssertModelAligned<AlignedLearnedLstm>(parameters: true);

    [Fact]
    public void LayerStack_WeightsAndGradientsAreAligned() => AssertModelAligned<Stack>(parameters: true);

    [Fact]
    public void SequenceModel_WeightsAndGradientsAreAligned() => AssertModelAligned<LstmProjL1Head>(parameters: true);

    [Fact]
    public void OptimizerMoments_AreAligned()
    {
        for (int junk = 0; junk < 64; junk += 4)
        {
            GC.KeepAlive(new byte[junk]);
            var model = new Gru32(1);
            var adam = new Adam(model, 1e-3f);
            var sgd = new Sgd(model, 1e-2f, momentum: 0.9f);
            Assert.Equal(["exp_avg", "exp_avg_sq"], adam.Buffers.Select(b => b.Name));
            Assert.Equal(["momentum_buffer"], sgd.Buffers.Select(b => b.Name));
            foreach ((string name, AlignedBuffer values) in adam.Buffers.Concat(sgd.Buffers))
            {
                Assert.Equal(Gru32.ParameterCount, values.Length);
                Assert.True(IsAligned(values.Span), $"{name} after {junk} junk bytes");
            }
        }
    }

    private static void AssertModelAligned<T>(bool parameters)
        where T : IRecurrentModel<T>
    {
        for (int junk = 0; junk < 64; junk += 4)
        {
            GC.KeepAlive(new byte[junk]);
            T model = T.Create(1);
            Assert.True(IsAligned(model.Gradients), $"{typeof(T).Name}.Gradients after {junk} junk bytes");
            if (parameters)
            {
                Assert.True(IsAligned(model.Parameters), $"{typeof(T).Name}.Parameters after {junk} junk bytes");
                Assert.True(IsAligned(model.ParameterValues), $"{typeof(T).Name}.ParameterValues after {junk} junk bytes");
            }
        }
    }

    private static unsafe bool IsAligned(ReadOnlySpan<float> span) =>
        (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(span)) % 64 == 0;
}

/// <summary>A one-attribute model with a learned initial state: its flat vector is the model's own buffer.</summary>
[Recurrent(2, 8, Cell = Cell.Lstm, NumLayers = 2, OutputSize = 1, LearnInitialState = true)]
public partial class AlignedLearnedLstm;
