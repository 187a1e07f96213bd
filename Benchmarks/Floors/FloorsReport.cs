using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Fixed.Benchmarks.Reporting;

namespace Fixed.Benchmarks.Floors;

/// <summary>The floors of each network from the machine's constants, beside its measured steps: <c>floors.csv</c> and <c>floors.md</c>.</summary>
internal static class FloorsReport
{
    /// <summary>RNN tanh 1→32's target (it is not in the RTNeural comparison).</summary>
    public const double RnnTargetNs = 25;

    /// <summary>One network's floors (ns).</summary>
    /// <param name="Fma">The step's multiply-adds at the measured rate.</param>
    /// <param name="Gate">One gate's hidden product (H × H multiply-adds) at its fastest: see <see cref="Compute"/>.</param>
    /// <param name="Serial">The recurrence's path from h to the next h with the best order of the gates' products.</param>
    /// <param name="Stream">Reading every matrix of the step from L2 at the measured rate, when they exceed L1; else 0.</param>
    /// <param name="Target">Half RTNeural's time in this run (RNN: 25 ns), or null.</param>
    /// <param name="Loads">Reading every matrix of the step once from L1 at the measured rate.</param>
    /// <param name="Activations">The step's σ and tanh vectors at their measured throughput.</param>
    public sealed record Floors(double Fma, double Gate, double Serial, double Stream, double? Target, double Loads, double Activations)
    {
        /// <summary>
        /// The work floor: the products at the FMA rate and the activations at their throughput, one after the other (they
        /// run on the same floating-point pipes), or reading the weights once at the L1 read rate, if that is longer (the
        /// loads have pipes of their own).
        /// </summary>
        public double Work => Math.Max(Fma + Activations, Loads);

        /// <summary>What the work floor is made of, for the verdict.</summary>
        public string WorkParts => Loads > Fma + Activations
            ? string.Create(CultureInfo.InvariantCulture, $"reading the weights once from L1: {Loads:F0} ns")
            : string.Create(CultureInfo.InvariantCulture, $"products {Fma:F0} + activations {Activations:F0} ns");

        /// <summary>The highest floor.</summary>
        public double Floor => Math.Max(Math.Max(Fma, Serial), Work);

        /// <summary>Which floor is the highest, as the verdict names it.</summary>
        public string Which => Floor == Serial ? "serial" : Floor == Work ? "work" : "FMA";
    }

    /// <summary>
    /// The floors of <paramref name="network"/> on a machine with <paramref name="m"/>'s constants. One gate's hidden
    /// product P takes at least its H × H multiply-adds at the full rate and its accumulator chains (H ÷ 4 FMAs each, four
    /// per vector of rows), whichever is longer. The gates' products share the FMA units, so the k-th gate done is done at
    /// k·P at the earliest, and each gate's activation follows its own product. The best order gives, with the measured
    /// latencies (σ, tanh, one FMA = ℓ): RNN: P + tanh. GRU: r first, n second, z last: max(max(P + σ, 2P) + ℓ + tanh,
    /// 3P + σ) + 2ℓ (n = tanh(i_n + r·h_n), h = n + z·(h − n)). LSTM: i, f, g first, o last: max(3P + min(σ, tanh) + 2ℓ +
    /// tanh, 4P + σ) + ℓ (c = f·c + i·g, h = o·tanh(c)). Not counted: the head, stores and reloads (store forwarding), and
    /// the activations' own use of the FMA units. Reading weights from L2 is reported beside the floors, not in them: how
    /// much of a matrix a little larger than L1 stays cached from one step to the next is not known from here. The work
    /// floor counts what the serial floor leaves out but the order: the products and every σ and tanh vector of the step
    /// at the throughput measured on independent vectors, or the weights' reads from L1 if those take longer.
    /// </summary>
    public static Floors Compute(FloorNetwork network, MachineConstants m, double? target)
    {
        int h = network.Hidden;
        double fma = network.MultiplyAdds / m.Rate;
        double p = Math.Max((double)h * h / m.Rate, h / 4.0 * m.FmaLatencyNs);
        double l = m.FmaLatencyNs, sigmoid = m.SigmoidLatencyNs, tanh = m.TanhLatencyNs;
        double serial = network.Cell switch
        {
            Cell.Gru => Math.Max(Math.Max(p + sigmoid, 2 * p) + l + tanh, 3 * p + sigmoid) + 2 * l,
            Cell.Lstm => Math.Max(3 * p + Math.Min(sigmoid, tanh) + 2 * l + tanh, 4 * p + sigmoid) + l,
            _ => p + tanh,
        };
        double stream = network.MatrixBytes > m.L1DataBytes ? network.MatrixBytes / m.L2BytesPerNs : 0;
        double loads = m.L1BytesPerNs > 0 ? network.MatrixBytes / m.L1BytesPerNs : 0;
        return new Floors(fma, p, serial, stream, target, loads, network.ActivationNanoseconds(m.SigmoidThroughputNs, m.TanhThroughputNs));
    }

    /// <summary>Writes both files.</summary>
    public static void Write(string output, MachineConstants m, IReadOnlyList<StepTimes> measured, RtNeuralResults? rtneural, int runs, int steps)
    {
        var csv = new StringBuilder("key,network,multiply_adds,matrix_bytes,fma_floor_ns,gate_product_ns,serial_floor_ns,l2_stream_ns,carried_ns,reset_ns,rtneural_ns,target_ns,l1_loads_ns,activations_ns,work_floor_ns\n");
        var md = new StringBuilder();
        md.AppendLine("## Floors: what stops each network short of its target");
        md.AppendLine();
        md.AppendLine("Written by `Fixed.Benchmarks floors` in this run (pinned to the same core as the RTNeural comparison). The target is half");
        md.AppendLine("RTNeural's median time in this run's side-by-side comparison (RNN tanh 1→32: 25 ns, it has no RTNeural counterpart).");
        md.AppendLine();
        md.AppendLine("**The machine, measured now** (widest accelerated vector; best of 9 samples each):");
        md.AppendLine();
        md.AppendLine("| constant | how | value |");
        md.AppendLine("| --- | --- | ---: |");
        md.AppendLine(Row("multiply-add rate", "12 independent FMA chains, before and after the networks", $"{m.MultiplyAddsPerNs:F1} / {m.MultiplyAddsPerNsAfter:F1} per ns"));
        md.AppendLine(Row("FMA latency", "a chain of FMAs, each reading the last", $"{m.FmaLatencyNs:F3} ns"));
        md.AppendLine(Row("σ latency", "a chain of the library's vector σ", $"{m.SigmoidLatencyNs:F2} ns"));
        md.AppendLine(Row("tanh latency", "a chain of the library's vector tanh", $"{m.TanhLatencyNs:F2} ns"));
        md.AppendLine(Row("σ throughput", "the library's vector σ in place over 64 independent vectors in L1, before and after the networks", $"{m.SigmoidThroughputNs:F2} ns per vector"));
        md.AppendLine(Row("tanh throughput", "the same for tanh", $"{m.TanhThroughputNs:F2} ns per vector"));
        md.AppendLine(Row("L1 read rate", "sweeping a buffer of ½ L1 with vector loads (eight accumulators), before and after the networks", $"{m.L1BytesPerNs:F1} bytes per ns"));
        md.AppendLine(Row("L2 read rate", "the same over a buffer of 4 × L1", $"{m.L2BytesPerNs:F1} bytes per ns"));
        md.AppendLine(Row("L1 data cache", "`getconf LEVEL1_DCACHE_SIZE`", $"{m.L1DataBytes / 1024} KB"));
        md.AppendLine();
        md.AppendLine("**Per network** (ns per step; carried and reset are medians of " + runs.ToString(CultureInfo.InvariantCulture) + " alternated runs of " +
            steps.ToString("N0", CultureInfo.InvariantCulture) + " steps):");
        md.AppendLine();
        md.AppendLine("| network | multiply-adds | FMA floor | one gate's product | serial floor | activations | work floor | matrices from L2 | `Step`, state reset | `Step`, state carried | RTNeural | target | carried ÷ target | what stops it |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (StepTimes t in measured)
        {
            FloorNetwork n = t.Network;
            double? theirs = n.Key == "rnn32" ? null : rtneural?.Median(n.Key, "rtneural");
            double? target = n.Key == "rnn32" ? RnnTargetNs : theirs / 2;
            Floors f = Compute(n, m, target);
            csv.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{n.Key},{n.Display},{n.MultiplyAdds},{n.MatrixBytes},{f.Fma:F2},{f.Gate:F2},{f.Serial:F2},{f.Stream:F2},{t.Carried:F2},{t.Reset:F2},{theirs?.ToString("F2", CultureInfo.InvariantCulture)},{target?.ToString("F2", CultureInfo.InvariantCulture)},{f.Loads:F2},{f.Activations:F2},{f.Work:F2}"));
            md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {n.Display} | {n.MultiplyAdds:N0} | {f.Fma:F1} | {f.Gate:F1} | {f.Serial:F1} | {f.Activations:F1} | {f.Work:F1} | {(f.Stream > 0 ? f.Stream.ToString("F1", CultureInfo.InvariantCulture) : "fit L1")} | {t.Reset:F1} | {t.Carried:F1} | {Ns(theirs)} | {Ns(target)} | {Ratio(t.Carried, target)} | {Verdict(t, f)} |"));
        }

        md.AppendLine();
        md.AppendLine("How to read it:");
        md.AppendLine("- **FMA floor**: the step's multiply-adds (every layer's input and hidden products and the head) at the measured rate;");
        md.AppendLine("  the activations, loads and stores are extra work it does not count.");
        md.AppendLine("- **Serial floor**: step t+1's hidden product needs all of step t's h, and h comes out of the activations. One gate's");
        md.AppendLine("  hidden product P (H × H multiply-adds) takes at least its FMAs at the measured rate or its accumulator chains (H ÷ 4");
        md.AppendLine("  FMAs each), whichever is longer; the gates share the FMA units, so the k-th gate is done at k·P at the earliest,");
        md.AppendLine("  and its activation follows. With the best order of the gates (GRU: r, n, then z; LSTM: i, f, g, then o) and the");
        md.AppendLine("  measured latencies, the path from h to the next h is:");
        md.AppendLine("  RNN P + tanh; GRU max(max(P + σ, 2P) + FMA + tanh, 3P + σ) + 2 FMA; LSTM max(3P + min(σ, tanh) + 2 FMA + tanh,");
        md.AppendLine("  4P + σ) + FMA. Not counted: the head, stores and reloads, the activations' own work on the FMA units: no real");
        md.AppendLine("  schedule reaches it. A two-layer network's layers pipeline (layer 1's next step does not wait for layer 2), so its");
        md.AppendLine("  serial floor is one layer's.");
        md.AppendLine("- **Activations**: the step's vectors of σ (GRU: r, z; LSTM: i, f, o) and tanh (GRU: n; LSTM: g, tanh(c'); RNN: h), per");
        md.AppendLine("  layer and vector of units, at the throughput measured on independent vectors (a vector of fewer units than the");
        md.AppendLine("  widest counts whole).");
        md.AppendLine("- **Work floor**: what the step's instructions take with every latency hidden: the products at the measured FMA");
        md.AppendLine("  rate plus the activations (both on the floating-point pipes), or reading the weights once from L1 at its measured");
        md.AppendLine("  rate if that is longer (a one-stream product uses each weight once; the loads have pipes of their own). Not");
        md.AppendLine("  counted: the head, the loads and stores of sums and state, bfloat16's widening, the loop and call overhead.");
        md.AppendLine("- **Matrices from L2**: when the step's weight matrices exceed L1, the time to read all of them once at the measured");
        md.AppendLine("  L2 rate: what each step pays if none of them stays in L1 between steps (some does: the caches do not evict in exact");
        md.AppendLine("  LRU order), so it is shown beside the floors, not in them.");
        md.AppendLine("- **State reset**: the same `Step` with every call on a zero state (eight states in turn, each zeroed right after its");
        md.AppendLine("  step, so that no zeroing store is still in flight when a call reads its state), so no step waits for the one before");
        md.AppendLine("  and the core overlaps consecutive steps as far as its out-of-order window allows: what the step's instructions cost");
        md.AppendLine("  when the recurrence's latency is (partly) hidden. Carried minus reset is the latency the recurrence exposes; a reset");
        md.AppendLine("  step no faster than the carried one means the step is bound by its instructions, not by the chain from h to h.");
        md.AppendLine("- **What stops it**: *met*; or *below a floor* when the highest floor is already above the target (no schedule of");
        md.AppendLine("  this arithmetic on this core reaches it); or *the step's work* when the reset step (or the carried one, if faster)");
        md.AppendLine("  is over the target, with how far it is over the work floor (what the floors do not count: the head, stores and");
        md.AppendLine("  reloads, overhead, and latency the core could not overlap); or *the recurrence as scheduled* when the reset step is");
        md.AppendLine("  under the target and the carried one is not. See the disassembly section for the instructions of GRU 1→32's `Step`.");
        File.WriteAllText(Path.Combine(output, "floors.csv"), csv.ToString());
        File.WriteAllText(Path.Combine(output, "floors.md"), md.ToString().Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    /// <summary>The sentence for the table's last column.</summary>
    public static string Verdict(StepTimes t, Floors f)
    {
        if (f.Target is not double target)
        {
            return "RTNeural not measured";
        }

        if (t.Carried <= target)
        {
            return "met";
        }

        string which = f.Which;
        if (f.Floor > target)
        {
            string parts = which == "work" ? $" ({f.WorkParts})" : string.Empty;
            return string.Create(CultureInfo.InvariantCulture,
                $"below a floor: the {which} floor{parts} is {f.Floor / target:F2}× the target; the step is {t.Carried / f.Floor:F2}× that floor");
        }

        // The step's work alone costs at most the carried step: a reset step slower than the carried one (the noise of the
        // runs) leaves the carried step as the bound on the work.
        double work = Math.Min(t.Reset, t.Carried);
        if (work > target)
        {
            string l2 = f.Stream > 0 ? string.Create(CultureInfo.InvariantCulture, $"; reading the matrices from L2 alone takes {f.Stream:F0} ns") : string.Empty;
            string basis = t.Reset <= t.Carried
                ? string.Create(CultureInfo.InvariantCulture, $"reset alone is {t.Reset / target:F2}× the target")
                : string.Create(CultureInfo.InvariantCulture, $"carried is {t.Carried / target:F2}× the target and reset is no faster");
            return string.Create(CultureInfo.InvariantCulture,
                $"the step's work: {basis} ({work - f.Floor:F0} ns over the {which} floor{l2}; work floor: {f.WorkParts})");
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"the recurrence as scheduled: {t.Carried - t.Reset:F0} ns of exposed latency; the {which} floor leaves {target - f.Floor:F0} ns");
    }

    private static string Row(string what, string how, string value) => $"| {what} | {how} | {value.ToString(CultureInfo.InvariantCulture)} |";

    private static string Ns(double? ns) => ns is double v ? v.ToString("F1", CultureInfo.InvariantCulture) : "not measured";

    private static string Ratio(double ns, double? target) => target is double v ? (ns / v).ToString("F2", CultureInfo.InvariantCulture) + "×" : "—";
}
