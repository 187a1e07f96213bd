using System;
using System.IO;

namespace Fixed;

/// <summary>
/// Replaces a file all at once or not at all, so that a crash, a full disk or an exception halfway through a
/// save never leaves a truncated weights or checkpoint file behind: the previous file stays intact until the
/// new one is complete and on disk.
/// </summary>
internal static class AtomicFile
{
    /// <summary>
    /// Calls <paramref name="write"/> on a new temporary file in the directory of <paramref name="path"/>,
    /// flushes it to disk, then moves it over <paramref name="path"/>. On any exception the temporary file is
    /// deleted, <paramref name="path"/> is left as it was, and the exception propagates.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="write">Writes the whole content; must not dispose the stream.</param>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)
            ?? throw new ArgumentException($"'{path}' is a root directory, not a file.", nameof(path));

        // Same directory, so the final move is a rename within one file system (atomic on POSIX and NTFS),
        // and a name no other writer will pick, so that two concurrent saves cannot mix their bytes.
        string temporaryPath = Path.Combine(directory, "." + Path.GetFileName(fullPath) + "." + Path.GetRandomFileName() + ".tmp");
        try
        {
            using (var stream = new FileStream(temporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporaryPath, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporaryPath);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the original exception is the one worth reporting.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }
}
