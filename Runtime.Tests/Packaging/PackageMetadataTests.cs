using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Fixed.Generator;
using Xunit;

namespace Fixed.Tests.Packaging;

/// <summary>
/// What the NuGet package promises and a unit test can check without packing (scripts/package/consumer-test.sh packs
/// and installs it): one version everywhere, a changelog entry for it, AOT and trim markings, XML docs for every
/// public type, and the project settings that put the generator in analyzers/ and the build targets in build/.
/// </summary>
public sealed partial class PackageMetadataTests
{
    private static readonly Assembly Runtime = typeof(RecurrentAttribute).Assembly;

    [Fact]
    public void RuntimeAndGenerator_CarryTheVersionOfDirectoryBuildProps()
    {
        string version = Version();

        Assert.Equal(version, InformationalVersion(Runtime));
        Assert.Equal(version, InformationalVersion(typeof(RecurrentGenerator).Assembly));
        Assert.Contains("[global::System.CodeDom.Compiler.GeneratedCode(\"Fixed\", \"" + version + "\")]",
            Generator.GeneratorHarness.Run("[Fixed.Recurrent(1, 2)] public partial class M;").Source("M.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void Changelog_HasASectionForTheVersion() =>
        Assert.Contains("\n## [" + Version() + "]\n", Read("CHANGELOG.md"), StringComparison.Ordinal);

    [Fact]
    public void License_IsMit()
    {
        Assert.StartsWith("MIT License", Read("LICENSE"), StringComparison.Ordinal);
        Assert.Contains("<PackageLicenseExpression>MIT</PackageLicenseExpression>", Read("Directory.Build.props"), StringComparison.Ordinal);
    }

    [Fact]
    public void RuntimeAssembly_IsMarkedTrimmable()
    {
        // IsAotCompatible implies IsTrimmable, which the SDK records in the assembly for the trimmer.
        Assert.Contains(Runtime.GetCustomAttributes<AssemblyMetadataAttribute>(), a => a.Key == "IsTrimmable" && a.Value == "True");
        string project = Read("Runtime/Runtime.csproj");
        Assert.Contains("<IsAotCompatible>true</IsAotCompatible>", project, StringComparison.Ordinal);
        Assert.Contains("<IsTrimmable>true</IsTrimmable>", project, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryPublicType_HasXmlDocs()
    {
        string xmlPath = Path.ChangeExtension(Runtime.Location, ".xml");
        Assert.True(File.Exists(xmlPath), xmlPath + " is missing: the package ships the XML docs beside Fixed.dll");
        var documented = XDocument.Load(xmlPath).Descendants("member").Select(m => (string)m.Attribute("name")!).ToHashSet();

        string[] undocumented = Runtime.GetExportedTypes()
            .Select(t => "T:" + t.FullName!.Replace('+', '.'))
            .Where(id => !documented.Contains(id))
            .ToArray();

        Assert.Empty(undocumented);
        Assert.DoesNotMatch("NoWarn[^<]*1591", Read("Runtime/Runtime.csproj"));
    }

    [Fact]
    public void RuntimeProject_PacksTheGeneratorAsAnAnalyzerAndTheBuildTargets()
    {
        string project = Read("Runtime/Runtime.csproj");

        Assert.Matches("<ProjectReference Include=\"..\\\\Generator\\\\Generator.csproj\" ReferenceOutputAssembly=\"false\" PrivateAssets=\"all\"", project);
        Assert.Contains("PackagePath=\"analyzers/dotnet/cs\"", project, StringComparison.Ordinal);
        Assert.Contains("PackagePath=\"build;buildTransitive\"", project, StringComparison.Ordinal);
        Assert.Contains("<SymbolPackageFormat>snupkg</SymbolPackageFormat>", project, StringComparison.Ordinal);
        Assert.Contains("<PackageReadmeFile>README.md</PackageReadmeFile>", project, StringComparison.Ordinal);
    }

    private static string Version() => VersionElement().Match(Read("Directory.Build.props")).Groups[1].Value;

    private static string InformationalVersion(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

    /// <summary>A file of the repository, found from this test's source path.</summary>
    private static string Read(string relativePath, [CallerFilePath] string testFile = "") =>
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(testFile)!, "..", "..", relativePath)).Replace("\r\n", "\n", StringComparison.Ordinal);

    [GeneratedRegex("<Version>([^<]+)</Version>")]
    private static partial Regex VersionElement();
}
