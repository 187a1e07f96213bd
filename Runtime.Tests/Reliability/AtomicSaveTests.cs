using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Fixed.Tests.Reliability;

/// <summary>
/// Saves are atomic: whatever happens to the process or the disk mid-save, the target file holds one complete
/// version, the previous or the new one, and loads. Model weights (<c>Save(path)</c>) and optimizer checkpoints
/// (<c>Checkpoint.Save(path, ...)</c>) alike.
/// </summary>
public sealed class AtomicSaveTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(60);

    private readonly string _directory = Directory.CreateTempSubdirectory("fixed-atomic-").FullName;

    private string ModelPath => Path.Combine(_directory, SaveVersions.ModelFile);

    private string CheckpointPath => Path.Combine(_directory, SaveVersions.CheckpointFile);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task ChildKilledAtRandomMoments_FilesAlwaysHoldOneCompleteVersionAndLoad()
    {
        CancellationToken cancel = TestContext.Current.CancellationToken;
        const int kills = 10;
        var random = new Random(20_251_127);
        SaveVersions.Model(0).Save(ModelPath);
        (SaveTestLstm model0, Adam optimizer0) = SaveVersions.Checkpoint(0);
        Checkpoint.Save(CheckpointPath, model0, optimizer0);
        int modelVersion = 0, checkpointVersion = 0, start = 1, inFlight = 0, completedSaves = 0;
        var temporaries = new HashSet<string>(StringComparer.Ordinal);
        for (int kill = 0; kill < kills; kill++)
        {
            var environment = new Dictionary<string, string>
            {
                [SaveVersions.DirectoryVariable] = _directory,
                [SaveVersions.StartVariable] = start.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            using Process child = SaveChild.Start("save-loop", environment);
            string? ready = await child.StandardOutput.ReadLineAsync(cancel).AsTask().WaitAsync(ChildTimeout, cancel);
            if (ready != "ready")
            {
                child.Kill();
                Assert.Fail("the child did not start: " + ready + await child.StandardError.ReadToEndAsync(cancel));
            }

            // Kill it at a random moment: it spends nearly all its time inside one of the two saves.
            await Task.Delay(random.Next(0, 400), cancel);
            child.Kill();
            await child.WaitForExitAsync(cancel).WaitAsync(ChildTimeout, cancel);
            string[] printed = (await child.StandardOutput.ReadToEndAsync(cancel)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            int last = printed.Length == 0 ? start - 1 : int.Parse(printed[^1], System.Globalization.CultureInfo.InvariantCulture);
            completedSaves += last - start + 1;

            // Both files hold a complete version: the last one the child reported, the one after it (saved but not
            // yet reported), or, if the child completed nothing, the one from before it started.
            int[] candidates = last >= start ? [last, last + 1] : [start, modelVersion];
            modelVersion = Identify(ModelPath, candidates, SaveVersions.ModelBytes, kill);
            candidates = last >= start ? [last, last + 1] : [start, checkpointVersion];
            checkpointVersion = Identify(CheckpointPath, candidates, SaveVersions.CheckpointBytes, kill);
            AssertLoads(modelVersion, checkpointVersion);

            // A kill leaves at most the one temporary file that was being written; it is never the target.
            string[] now = SaveVersions.TemporaryFiles(_directory);
            string[] added = now.Where(t => !temporaries.Contains(t)).ToArray();
            Assert.True(added.Length <= 1, $"kill {kill} left {added.Length} new temporary files: {string.Join(", ", added)}");
            inFlight += added.Length;
            temporaries.UnionWith(added);
            Assert.Equal(temporaries.Count, now.Length);
            start = last + 2;
        }

        Figures.Write(output, $"atomic save: {kills} kills, {completedSaves} complete save pairs before them, {inFlight} kills mid-save " +
                         $"(each left one orphaned temporary file, {temporaries.Count} in all; the targets were intact every time)");

        // The files stay loadable and the next save still works with the orphans beside them.
        SaveVersions.Model(start).Save(ModelPath);
        Assert.Equal(SaveVersions.ModelBytes(start), File.ReadAllBytes(ModelPath));
    }

    [Fact]
    public async Task FileSizeLimitReachedMidSave_PreviousFilesIntactAndNoTemporaryFileLeft()
    {
        CancellationToken cancel = TestContext.Current.CancellationToken;
        Assert.SkipUnless(OperatingSystem.IsLinux(), "uses ulimit -f and SIGXFSZ, Linux only");
        SaveVersions.Model(0).Save(ModelPath);
        (SaveTestLstm model0, Adam optimizer0) = SaveVersions.Checkpoint(0);
        Checkpoint.Save(CheckpointPath, model0, optimizer0);
        byte[] model = File.ReadAllBytes(ModelPath), checkpoint = File.ReadAllBytes(CheckpointPath);

        // The child may write at most 256 KB per file; with SIGXFSZ ignored, the write past it fails with EFBIG
        // inside the save, after 256 KB of the 1.1 MB (3.4 MB) file are on disk. .NET reports EFBIG from a write as
        // ArgumentOutOfRangeException ("Specified file length was too large for the file system"), not IOException.
        // (W^X off: the runtime's double-mapped code heap is a file too, and would not start under the limit.)
        var environment = new Dictionary<string, string>
        {
            [SaveVersions.DirectoryVariable] = _directory,
            [SaveVersions.StartVariable] = "5",
            ["DOTNET_EnableWriteXorExecute"] = "0",
        };
        using Process child = SaveChild.Start("save-once", environment, shellPrefix: "trap '' XFSZ; ulimit -f 256");
        await child.WaitForExitAsync(cancel).WaitAsync(ChildTimeout, cancel);
        string printed = await child.StandardOutput.ReadToEndAsync(cancel);
        Figures.Write(output, "atomic save under ulimit -f 256 (KB):" + Environment.NewLine + printed.TrimEnd());
        string errors = await child.StandardError.ReadToEndAsync(cancel);
        Assert.True(child.ExitCode == 0, printed + errors);
        Assert.Contains("model: System.ArgumentOutOfRangeException: Specified file length was too large", printed, StringComparison.Ordinal);
        Assert.Contains("checkpoint: System.ArgumentOutOfRangeException: Specified file length was too large", printed, StringComparison.Ordinal);

        Assert.Equal(model, File.ReadAllBytes(ModelPath));
        Assert.Equal(checkpoint, File.ReadAllBytes(CheckpointPath));
        Assert.Empty(SaveVersions.TemporaryFiles(_directory));
        AssertLoads(0, 0);
    }

    [Fact]
    public void CheckpointSave_StreamThrowsMidway_ExceptionPropagatesAndNothingChanges()
    {
        (SaveTestLstm model, Adam optimizer) = SaveVersions.Checkpoint(3);
        float[] parameters = model.Parameters.ToArray();
        long step = optimizer.StepCount;
        var stream = new FailingStream(failAfter: 100_000);

        IOException error = Assert.Throws<IOException>(() => Checkpoint.Save(stream, model, optimizer));

        Assert.Equal(FailingStream.Message, error.Message);
        Assert.Equal(100_000, stream.Written);
        Assert.Equal(parameters, model.Parameters.ToArray());
        Assert.Equal(step, optimizer.StepCount);
    }

    [Fact]
    public void ModelSave_StreamThrowsMidway_ExceptionPropagates()
    {
        SaveTestLstm model = SaveVersions.Model(4);
        var stream = new FailingStream(failAfter: 4096);

        IOException error = Assert.Throws<IOException>(() => model.Save(stream));

        Assert.Equal(FailingStream.Message, error.Message);
        Assert.Equal(4096, stream.Written);
    }

    private static int Identify(string path, int[] candidates, Func<int, byte[]> bytes, int kill)
    {
        byte[] actual = File.ReadAllBytes(path);
        foreach (int version in candidates.Distinct())
        {
            if (bytes(version).AsSpan().SequenceEqual(actual))
            {
                return version;
            }
        }

        Assert.Fail($"after kill {kill}, {Path.GetFileName(path)} ({actual.Length} bytes) is none of versions {string.Join(", ", candidates)}");
        return -1;
    }

    private void AssertLoads(int modelVersion, int checkpointVersion)
    {
        var loaded = new SaveTestLstm(seed: 99);
        loaded.Load(ModelPath);
        Assert.True(SaveVersions.Model(modelVersion).Parameters.SequenceEqual(loaded.Parameters));

        var resumed = new SaveTestLstm(seed: 98);
        var optimizer = new Adam(resumed, lr: 1f);
        Checkpoint.Load(CheckpointPath, resumed, optimizer);
        (SaveTestLstm expected, Adam expectedOptimizer) = SaveVersions.Checkpoint(checkpointVersion);
        Assert.True(expected.Parameters.SequenceEqual(resumed.Parameters));
        Assert.Equal(expectedOptimizer.LearningRate, optimizer.LearningRate);
        Assert.Equal(1, optimizer.StepCount);
    }

    /// <summary>A write-only stream that accepts <c>failAfter</c> bytes, then throws as a full disk would.</summary>
    private sealed class FailingStream(long failAfter) : Stream
    {
        public const string Message = "No space left on device (simulated)";

        public long Written { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            long room = failAfter - Written;
            Written += Math.Min(room, buffer.Length);
            if (buffer.Length > room)
            {
                throw new IOException(Message);
            }
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
