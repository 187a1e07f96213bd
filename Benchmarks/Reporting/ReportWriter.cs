namespace Fixed.Benchmarks.Reporting;

/// <summary>Placeholder.</summary>
public static class ReportWriter
{
    /// <summary>Placeholder.</summary>
    public static void Write(string artifacts, string output) => throw new System.NotImplementedException(artifacts + output);
}
