using System.Threading.Tasks;
using Fixed.Tests.Reliability;
using Xunit.Sdk;
using Xunit.v3;

[assembly: TestPipelineStartup(typeof(ReliabilityStartup))]

namespace Fixed.Tests.Reliability;

/// <summary>
/// Runs the fuzz and soak modes of <see cref="ConsoleEntry"/> (when <see cref="ConsoleEntry.ModeVariable"/> asks for one)
/// before xunit discovers any test; otherwise does nothing.
/// </summary>
public sealed class ReliabilityStartup : ITestPipelineStartup
{
    public ValueTask StartAsync(IMessageSink diagnosticMessageSink)
    {
        ConsoleEntry.RunLateModeIfRequested();
        return ValueTask.CompletedTask;
    }

    public ValueTask StopAsync() => ValueTask.CompletedTask;
}
