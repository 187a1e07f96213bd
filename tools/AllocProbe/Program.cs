using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime;
using Fixed;

// Usage: AllocProbe [warmUpIterations=1] [iterations=10000]
// Prints one line per call that allocated (model, iteration, call, bytes, methods compiled on this thread and in total
// during the call), then a summary line per model. Exit code 1 if anything was allocated in the measured window.
int warmUp = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1;
int iterations = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000;
long total = 0;
total += Probe.Run<RnnRegression>(m => new Adam(m, 1e-3f), warmUp, iterations);
total += Probe.Run<Gru32>(m => new AdamW(m), warmUp, iterations);
total += Probe.Run<Lstm32>(m => new Sgd(m, 1e-3f, momentum: 0.9f, nesterov: true), warmUp, iterations);
total += Probe.Run<SmallRnn>(m => new Sgd(m, 1e-3f, momentum: 0.9f), warmUp, iterations);
total += Probe.Run<SmallGru>(m => new Adam(m, 1e-3f), warmUp, iterations);
total += Probe.Run<SmallLstm>(m => new AdamW(m), warmUp, iterations);
total += Probe.Run<DeepLstm64>(m => new Adam(m, 1e-3f), warmUp, iterations, longest: 64);
Console.WriteLine($"total {total}");
return total == 0 ? 0 : 1;

static class Probe
{
    private static readonly string[] Calls = ["Backward", "BackwardBatch", "ClipGradNorm", "ClipGradValue", "Optimizer.Step", "ZeroGrad"];

    public static long Run<T>(Func<T, Optimizer> createOptimizer, int warmUp, int iterations, int longest = 32)
        where T : IRecurrentModel<T>
    {
        T model = T.Create(2);
        Optimizer optimizer = createOptimizer(model);
        int steps = Math.Min(T.Window, longest);
        float[] inputs = new float[steps * T.InputSize];
        float[] targets = new float[steps * T.OutputSize];
        float[] batchInputs = new float[4 * steps * T.InputSize];
        float[] batchTargets = new float[4 * T.OutputSize];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = MathF.Sin(i * 0.1f);
        }

        targets.AsSpan().Fill(0.5f);
        Span<float> state = stackalloc float[T.StateLength];
        Span<long> bytes = stackalloc long[7];
        Span<long> mine = stackalloc long[7];
        Span<long> all = stackalloc long[7];
        long allocated = 0;
        long jitted = 0;
        int lastJitIteration = -1;
        var lines = new List<string>();
        for (int i = -warmUp; i < iterations; i++)
        {
            bytes[0] = GC.GetAllocatedBytesForCurrentThread();
            mine[0] = JitInfo.GetCompiledMethodCount(currentThread: true);
            all[0] = JitInfo.GetCompiledMethodCount();
            model.Backward(state, inputs, targets, Loss.Mse, LossOn.AllSteps, warmUp: 0);
            Mark(bytes, mine, all, 1);
            model.Backward(batchInputs, batchTargets, 4, Loss.Huber, LossOn.LastStep);
            Mark(bytes, mine, all, 2);
            model.ClipGradNorm(1f);
            Mark(bytes, mine, all, 3);
            model.ClipGradValue(10f);
            Mark(bytes, mine, all, 4);
            optimizer.Step();
            Mark(bytes, mine, all, 5);
            model.ZeroGrad();
            Mark(bytes, mine, all, 6);
            if (i < 0)
            {
                continue;
            }

            for (int c = 1; c < 7; c++)
            {
                long j = mine[c] - mine[c - 1];
                if (j != 0)
                {
                    jitted += j;
                    lastJitIteration = i;
                    if (lines.Count < 40)
                    {
                        lines.Add(string.Create(CultureInfo.InvariantCulture,
                            $"jit {typeof(T).Name} iteration {i} {Calls[c - 1]} compiled {j} method(s) on this thread, allocated {bytes[c] - bytes[c - 1]} B"));
                    }
                }

                long b = bytes[c] - bytes[c - 1];
                if (b != 0)
                {
                    allocated += b;
                    lines.Add(string.Create(CultureInfo.InvariantCulture,
                        $"alloc {typeof(T).Name} iteration {i} {Calls[c - 1]} {b} B, jit this thread +{mine[c] - mine[c - 1]}, jit all threads +{all[c] - all[c - 1]}"));
                }
            }
        }

        foreach (string line in lines)
        {
            Console.WriteLine(line);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"model {typeof(T).Name} allocated {allocated} B over {iterations} iterations after {warmUp} warm-up; this thread compiled {jitted} method(s) meanwhile, the last in iteration {lastJitIteration}"));
        return allocated;
    }

    private static void Mark(Span<long> bytes, Span<long> mine, Span<long> all, int index)
    {
        bytes[index] = GC.GetAllocatedBytesForCurrentThread();
        mine[index] = JitInfo.GetCompiledMethodCount(currentThread: true);
        all[index] = JitInfo.GetCompiledMethodCount();
    }
}

[Recurrent(inputSize: 1, hiddenSize: 32, OutputSize = 1)]
public partial class RnnRegression;

[Recurrent(3, 5, NumLayers = 2, OutputSize = 2, Window = 12)]
public partial class SmallRnn;

[Recurrent(2, 5, Cell = Cell.Gru, NumLayers = 2, OutputSize = 3, Window = 12)]
public partial class SmallGru;

[Recurrent(3, 4, Cell = Cell.Lstm, NumLayers = 2, OutputSize = 2, Window = 12)]
public partial class SmallLstm;

[Recurrent(1, 32, Cell = Cell.Gru, OutputSize = 1, Window = 32)]
public partial class Gru32;

[Recurrent(1, 32, Cell = Cell.Lstm, OutputSize = 1, Window = 32)]
public partial class Lstm32;

[Recurrent(3, 16, Cell = Cell.Lstm, NumLayers = 3, OutputSize = 2, Window = 64)]
public partial class DeepLstm64;
