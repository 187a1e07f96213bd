using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Fixed.Benchmarks.Models;

namespace Fixed.Benchmarks.Precision;

/// <summary>
/// <c>precision --dir DIR [--out FILE]</c>: the error of <c>WeightPrecision.BFloat16</c> on trained models
/// (docs/precision.md). DIR is what <c>scripts/precision/train_models.py</c> writes: per model its trained fp32 weights, a
/// long test signal, and PyTorch's outputs on it with fp32 weights and with bfloat16-rounded weight matrices. Each model
/// is loaded into its fp32 and its BFloat16 declaration (the benchmark grid's), both run <c>Forward</c> over the whole
/// signal from the zero state, and the table gives max and mean absolute differences: BFloat16 against fp32 (what the
/// option costs), each against PyTorch (that both compute what PyTorch does), and the task error for scale.
/// </summary>
public static class PrecisionCommand
{
    /// <summary>Runs the command; writes the markdown table to FILE (default DIR/precision.md) and to the console.</summary>
    public static int Run(string[] args)
    {
        string? directory = null, output = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--dir":
                    directory = args[++i];
                    break;
                case "--out":
                    output = args[++i];
                    break;
                default:
                    throw new ArgumentException($"precision: unknown argument '{args[i]}'.");
            }
        }

        if (directory is null || !Directory.Exists(directory))
        {
            throw new ArgumentException("precision needs --dir DIR, as written by scripts/precision/train_models.py.");
        }

        var md = new StringBuilder();
        md.AppendLine("| model | steps | output RMS | task MSE, fp32 | task MSE, bf16 | bf16 − fp32: max | mean | fp32 − PyTorch fp32: max | bf16 − PyTorch bf16: max | bf16 − PyTorch fp32: max | mean |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (string modelDirectory in Directory.GetDirectories(directory).Order(StringComparer.Ordinal))
        {
            string key = Path.GetFileName(modelDirectory);
            using JsonDocument meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(modelDirectory, "meta.json")));
            var network = new NetworkId(
                meta.RootElement.GetProperty("cell").GetString() == "gru" ? Cell.Gru : Cell.Lstm, 1, meta.RootElement.GetProperty("hidden").GetInt32());
            float[] input = ReadFloats(Path.Combine(modelDirectory, "input.f32"));
            float[] target = ReadFloats(Path.Combine(modelDirectory, "target.f32"));
            float[] torchFp32 = ReadFloats(Path.Combine(modelDirectory, "torch_fp32.f32"));
            float[] torchBf16 = ReadFloats(Path.Combine(modelDirectory, "torch_bf16.f32"));
            string weights = Path.Combine(modelDirectory, "weights.safetensors");
            float[] fp32 = Forward(NetworkCatalog.CreateGenerated(network), weights, input);
            float[] bf16 = Forward(NetworkCatalog.CreateBFloat16(network), weights, input);

            (double bfMax, double bfMean) = Error(bf16, fp32);
            (double fpTorchMax, _) = Error(fp32, torchFp32);
            (double bfTorchMax, _) = Error(bf16, torchBf16);
            (double crossMax, double crossMean) = Error(bf16, torchFp32);
            double mse = fp32.Zip(target, (a, b) => ((double)a - b) * ((double)a - b)).Average();
            double mseBf16 = bf16.Zip(target, (a, b) => ((double)a - b) * ((double)a - b)).Average();
            double rms = Math.Sqrt(fp32.Average(a => (double)a * a));
            md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {network.Display} (`{key}`) | {input.Length:N0} | {rms:F3} | {E(mse)} | {E(mseBf16)} | {E(bfMax)} | {E(bfMean)} | {E(fpTorchMax)} | {E(bfTorchMax)} | {E(crossMax)} | {E(crossMean)} |"));
        }

        string table = md.ToString();
        Console.Write(table);
        File.WriteAllText(output ?? Path.Combine(directory, "precision.md"), table);
        return 0;
    }

    private static string E(double value) => value.ToString("0.0e+00", CultureInfo.InvariantCulture);

    private static float[] ReadFloats(string path) => MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();

    /// <summary>Max and mean absolute difference; NaN anywhere makes both NaN.</summary>
    private static (double Max, double Mean) Error(float[] actual, float[] expected)
    {
        if (actual.Length != expected.Length)
        {
            throw new InvalidDataException($"{actual.Length} outputs against {expected.Length} expected.");
        }

        double max = 0, sum = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = Math.Abs((double)actual[i] - expected[i]);
            max = double.IsNaN(d) || double.IsNaN(max) ? double.NaN : Math.Max(max, d);
            sum += d;
        }

        return (max, sum / actual.Length);
    }

    /// <summary>Loads <paramref name="weights"/> into a generated model and runs it over <paramref name="input"/> from the zero state.</summary>
    private static float[] Forward(Baselines.BenchNetwork network, string weights, float[] input)
    {
        ((Baselines.ILoadsWeights)network).Load(weights);
        network.State.Clear();
        float[] outputs = new float[input.Length];
        network.Forward(input, outputs);
        return outputs;
    }
}
