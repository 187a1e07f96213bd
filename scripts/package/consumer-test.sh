#!/usr/bin/env bash
# A new user's first five minutes, automated: pack Fixed to a local folder, create a brand-new console project in a
# temporary directory outside the repository, `dotnet add package Fixed` from that folder, write a [Recurrent] class
# that trains (Backward, ClipGradNorm, Adam) and runs, and one with weights compiled in (Weights = ..., through the
# package's build targets), build with warnings as errors, run it and check what it prints. The package's one
# dependency (System.Numerics.Tensors) must be the only one, restored from the machine's usual NuGet sources.
#
# Usage: scripts/package/consumer-test.sh            (FIXED_KEEP=1 keeps the temporary directory for a look)
# Exit status: 0 when the package installs, builds cleanly and the program prints OK; non-zero otherwise.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props" | head -n 1)"
[[ -n "$version" ]] || { echo "consumer-test: no <Version> in Directory.Build.props" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/fixed-consumer.XXXXXX")"
case "$work" in "$repo"/*) echo "consumer-test: $work is inside the repository" >&2; exit 1 ;; esac
cleanup() { if [[ "${FIXED_KEEP:-0}" == 1 ]]; then echo "consumer-test: kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# A NuGet cache of its own: a Fixed package of the same version restored earlier must not stand in for this one.
export NUGET_PACKAGES="$work/nuget-cache"

feed="$work/feed"
echo "== pack Fixed $version"
dotnet pack "$repo/Runtime" -c Release -o "$feed" -p:ContinuousIntegrationBuild=true -nologo -v:q
package="$feed/Fixed.$version.nupkg"
[[ -f "$package" && -f "$feed/Fixed.$version.snupkg" ]] || { echo "consumer-test: pack did not produce Fixed.$version.nupkg and .snupkg" >&2; exit 1; }

echo "== package contents"
listing="$(unzip -l "$package")"
echo "$listing"
for entry in lib/net10.0/Fixed.dll lib/net10.0/Fixed.xml analyzers/dotnet/cs/Fixed.Generator.dll \
             build/Fixed.targets buildTransitive/Fixed.targets README.md LICENSE CHANGELOG.md docs/diagnostics.md; do
  grep -qE "[[:space:]]$entry\$" <<<"$listing" || { echo "consumer-test: the package lacks $entry" >&2; exit 1; }
done
if grep -qE "lib/.*Fixed\.Generator\.dll|Microsoft\.CodeAnalysis" <<<"$listing"; then
  echo "consumer-test: the generator (or Roslyn) is in lib/: users would reference it" >&2; exit 1
fi
nuspec="$(unzip -p "$package" Fixed.nuspec)"
grep -q "<version>$version</version>" <<<"$nuspec" || { echo "consumer-test: nuspec version is not $version" >&2; exit 1; }
# Exactly one dependency, the one Runtime.csproj references (Classification builds on TensorPrimitives).
tensors="$(sed -n 's:.*<PackageReference Include="System.Numerics.Tensors" Version="\([^"]*\)".*:\1:p' "$repo/Runtime/Runtime.csproj")"
dependencies="$(grep -o '<dependency [^>]*>' <<<"$nuspec" || true)"
if [[ -z "$tensors" || "$(wc -l <<<"$dependencies")" != 1 ]] || ! grep -q "id=\"System.Numerics.Tensors\" version=\"$tensors\"" <<<"$dependencies"; then
  echo "consumer-test: expected exactly one dependency, System.Numerics.Tensors $tensors; the nuspec has: ${dependencies:-none}" >&2; exit 1
fi

echo "== new console project in $work/app"
cd "$work"
# The local folder is added to the sources the machine already has (kept for the SDK's own packages).
cat > nuget.config <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="fixed-local" value="$feed" />
  </packageSources>
</configuration>
EOF
dotnet new console -o app -n Consumer --framework net10.0
cd app
dotnet add package Fixed --version "$version" --source "$feed"

# A committed PyTorch fixture, to compile in: nn.RNN(1, 32) + nn.Linear(32, 1).
cp "$repo/Runtime.Tests/Fixtures/forward/rnn_i1_h32_l1_o1_t50_h0.weights.safetensors" model.safetensors
cat > Consumer.csproj.items <<'EOF'
  <ItemGroup>
    <AdditionalFiles Include="model.safetensors" />
    <None Include="model.safetensors" CopyToOutputDirectory="PreserveNewest" />
  </ItemGroup>
EOF
sed -i '/<\/Project>/e cat Consumer.csproj.items' Consumer.csproj && rm Consumer.csproj.items

cat > Program.cs <<'EOF'
using System;
using Fixed;

// Train a small RNN to predict the next sample of a sine wave.
var model = new SineRnn();
var adam = new Adam(model, lr: 0.01f);
const int Steps = 32;
var inputs = new float[Steps];
var targets = new float[Steps];
for (int t = 0; t < Steps; t++)
{
    inputs[t] = MathF.Sin(0.3f * t);
    targets[t] = MathF.Sin(0.3f * (t + 1));
}

float first = 0, last = 0;
for (int epoch = 0; epoch < 300; epoch++)
{
    model.ZeroGrad();
    var state = default(SineRnn.State);
    float loss = model.Backward(ref state, inputs, targets);
    model.ClipGradNorm(1f);
    adam.Step();
    if (epoch == 0)
    {
        first = loss;
    }

    last = loss;
}

var stream = default(SineRnn.State);
Span<float> output = stackalloc float[SineRnn.OutputSize];
foreach (float x in inputs)
{
    model.Step(ref stream, [x], output);
}

Console.WriteLine($"loss {first:F5} -> {last:F5}, next sample {output[0]:F4} (sin: {MathF.Sin(0.3f * Steps):F4})");

// Weights compiled in from model.safetensors equal what Load reads from the same file.
var embedded = new PyTorchRnn();
var loaded = new PyTorchRnn(seed: 1);
loaded.Load("model.safetensors");
bool same = ((ReadOnlySpan<float>)embedded.Parameters).SequenceEqual(loaded.Parameters);
Console.WriteLine($"embedded weights {(same ? "equal" : "DIFFER FROM")} Load");

// The package's dependency (System.Numerics.Tensors) resolves at run time: softmax and argmax of three logits.
Span<float> probabilities = stackalloc float[3];
Classification.Softmax([1f, 3f, 2f], probabilities);
bool classified = Classification.ArgMax(probabilities) == 1 && MathF.Abs(probabilities[0] + probabilities[1] + probabilities[2] - 1f) < 1e-6f;
Console.WriteLine($"softmax [1, 3, 2] = [{probabilities[0]:F4}, {probabilities[1]:F4}, {probabilities[2]:F4}]");

bool ok = last < 0.25f * first && float.IsFinite(output[0]) && same && classified;
Console.WriteLine(ok ? "OK" : "FAIL");
return ok ? 0 : 1;

/// <summary>nn.RNN(1, 16) + nn.Linear(16, 1).</summary>
[Recurrent(inputSize: 1, hiddenSize: 16, OutputSize = 1, Window = 32)]
public partial class SineRnn;

/// <summary>nn.RNN(1, 32) + nn.Linear(32, 1) with weights trained in PyTorch, compiled in.</summary>
[Recurrent(1, 32, OutputSize = 1, Weights = "model.safetensors")]
public partial class PyTorchRnn;
EOF

echo "== build (warnings as errors)"
dotnet build -c Release -warnaserror -nologo
echo "== run"
output="$(dotnet run -c Release --no-build)"
echo "$output"
[[ "$(tail -n 1 <<<"$output")" == OK ]] || { echo "consumer-test: the program did not print OK" >&2; exit 1; }
echo "consumer-test: OK (Fixed $version, $(stat -c %s "$package") bytes)"
