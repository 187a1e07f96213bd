using System.Collections.Generic;
using System.Linq;

namespace Fixed.Benchmarks.Reporting;

/// <summary>Summaries of repeated timings.</summary>
internal static class Statistics
{
    /// <summary>The median: the middle value, or the mean of the two middle values of an even count.</summary>
    public static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
