using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Fixed.Benchmarks.Reporting;

/// <summary>Reads the report's own small CSV files (a header row, no quoted commas) into name → value rows.</summary>
public static class SimpleCsv
{
    /// <summary>The rows of <paramref name="path"/>, or none when the file does not exist.</summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, string>> Read(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        string[] lines = File.ReadAllLines(path);
        if (lines.Length == 0)
        {
            return [];
        }

        string[] header = lines[0].Split(',');
        return lines.Skip(1)
            .Where(line => line.Length > 0)
            .Select(line =>
            {
                string[] cells = line.Split(',');
                var row = new Dictionary<string, string>(StringComparer.Ordinal);
                for (int i = 0; i < header.Length && i < cells.Length; i++)
                {
                    row[header[i]] = cells[i];
                }

                return (IReadOnlyDictionary<string, string>)row;
            })
            .ToList();
    }
}
