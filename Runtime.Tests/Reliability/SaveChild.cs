using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;

namespace Fixed.Tests.Reliability;

/// <summary>
/// The versions the save tests write, as pure functions of a version number, so that the parent process can
/// recompute what a complete file of version <c>v</c> holds, and the child process that saves them.
/// </summary>
internal static class SaveVersions
{
    public const string ModelFile = "model.safetensors";
    public const string CheckpointFile = "checkpoint.safetensors";
    public const string DirectoryVariable = "FIXED_SAVE_DIR";
    public const string StartVariable = "FIXED_SAVE_START";

    /// <summary>
    /// Version <paramref name="version"/> of the model: PyTorch's initialisation from seed 1 with the first and last
    /// parameters replaced by the version number (so that a new version costs nothing to make, and the child process
    /// spends nearly all its time inside <c>Save</c>).
    /// </summary>
    public static SaveTestLstm Model(int version) => Stamp(new SaveTestLstm(seed: 1), version);

    public static SaveTestLstm Stamp(SaveTestLstm model, int version)
    {
        model.Parameters[0] = version;
        model.Parameters[^1] = -version;
        return model;
    }

    /// <summary>
    /// Version <paramref name="version"/> of the checkpoint: the model after one Adam step on a made-up gradient, stamped
    /// with the version, and a learning rate that encodes it too (it is in the checkpoint's metadata).
    /// </summary>
    public static (SaveTestLstm Model, Adam Optimizer) Checkpoint(int version) => Stamp(BaseCheckpoint(), version);

    public static (SaveTestLstm Model, Adam Optimizer) BaseCheckpoint()
    {
        var model = new SaveTestLstm(seed: 2);
        var optimizer = new Adam(model, lr: 1e-3f);
        Span<float> gradients = model.Gradients;
        for (int i = 0; i < gradients.Length; i++)
        {
            gradients[i] = MathF.Sin(0.001f * i);
        }

        optimizer.Step();
        return (model, optimizer);
    }

    public static (SaveTestLstm Model, Adam Optimizer) Stamp((SaveTestLstm Model, Adam Optimizer) checkpoint, int version)
    {
        Stamp(checkpoint.Model, version);
        checkpoint.Optimizer.LearningRate = version * 1e-6f;
        return checkpoint;
    }

    public static byte[] ModelBytes(int version)
    {
        var stream = new MemoryStream();
        Model(version).Save(stream);
        return stream.ToArray();
    }

    public static byte[] CheckpointBytes(int version)
    {
        (SaveTestLstm model, Adam optimizer) = Checkpoint(version);
        var stream = new MemoryStream();
        Fixed.Checkpoint.Save(stream, model, optimizer);
        return stream.ToArray();
    }

    /// <summary>The temporary files <c>AtomicFile</c> leaves in <paramref name="directory"/>: <c>.name.random.tmp</c>.</summary>
    public static string[] TemporaryFiles(string directory) => Directory.GetFiles(directory, ".*.tmp");
}

/// <summary>The child processes of <see cref="AtomicSaveTests"/>, run through <see cref="ConsoleEntry"/>.</summary>
internal static class SaveChild
{
    /// <summary>
    /// Saves versions start, start + 1, ... of the model and then of the checkpoint over the same two files, for ever,
    /// printing each version number once both files hold it, until the parent kills the process.
    /// Environment: <see cref="SaveVersions.DirectoryVariable"/>, <see cref="SaveVersions.StartVariable"/>.
    /// </summary>
    public static int Loop()
    {
        string directory = Environment.GetEnvironmentVariable(SaveVersions.DirectoryVariable)!;
        int start = (int)ConsoleEntry.Number(SaveVersions.StartVariable, 1);
        string modelPath = Path.Combine(directory, SaveVersions.ModelFile);
        string checkpointPath = Path.Combine(directory, SaveVersions.CheckpointFile);
        SaveTestLstm model = SaveVersions.Model(start);
        (SaveTestLstm Model, Adam Optimizer) checkpoint = SaveVersions.BaseCheckpoint();
        Console.WriteLine("ready");
        for (int version = start; ; version++)
        {
            SaveVersions.Stamp(model, version).Save(modelPath);
            SaveVersions.Stamp(checkpoint, version);
            Checkpoint.Save(checkpointPath, checkpoint.Model, checkpoint.Optimizer);
            Console.WriteLine(version);
        }
    }

    /// <summary>
    /// Saves version <see cref="SaveVersions.StartVariable"/> of both files once and prints, for each, "saved" or the
    /// exception it threw: run under a file-size limit, the write fails midway.
    /// </summary>
    public static int Once()
    {
        string directory = Environment.GetEnvironmentVariable(SaveVersions.DirectoryVariable)!;
        int version = (int)ConsoleEntry.Number(SaveVersions.StartVariable, 1);
        (SaveTestLstm model, Adam optimizer) = SaveVersions.Checkpoint(version);
        var attempts = new List<(string Name, Action Save)>
        {
            ("model", () => SaveVersions.Model(version).Save(Path.Combine(directory, SaveVersions.ModelFile))),
            ("checkpoint", () => Checkpoint.Save(Path.Combine(directory, SaveVersions.CheckpointFile), model, optimizer)),
        };
        foreach ((string name, Action save) in attempts)
        {
            try
            {
                save();
                Console.WriteLine($"{name}: saved");
            }
            catch (Exception e)
            {
                Console.WriteLine($"{name}: {e.GetType().FullName}: {e.Message}");
            }
        }

        return 0;
    }

    /// <summary>Starts this test executable in <paramref name="mode"/>, with stdout redirected.</summary>
    public static Process Start(string mode, IReadOnlyDictionary<string, string> environment, string? shellPrefix = null)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Fixed.Tests.dll");
        string apphost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "Fixed.Tests.exe" : "Fixed.Tests");
        string? current = Environment.ProcessPath;
        (string file, string arguments) = current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet"
            ? (current, $"exec \"{dll}\"")
            : File.Exists(apphost) ? (apphost, "") : (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", $"\"{dll}\"");
        if (shellPrefix is not null)
        {
            // For resource limits and signal dispositions, which only a shell sets before exec.
            (file, arguments) = ("/bin/sh", $"-c \"{shellPrefix}; exec '{file}' {arguments.Replace("\"", "'", StringComparison.Ordinal)}\"");
        }

        var start = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment[ConsoleEntry.ModeVariable] = mode;
        foreach ((string key, string value) in environment)
        {
            start.Environment[key] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start " + file);
    }
}
