# The README's first command, exactly as written, must run on a fresh machine and print its results.
quickstart() {
    local out
    bash scripts/install-plot-deps.sh || return 1   # no-op where fontconfig and a font are present
    out="$(dotnet run -c Release --project examples/QuickStart)" || return 1
    echo "$out"
    grep -q "RMSE of the prediction vs truth" <<< "$out"
}
run_stage example-quickstart quickstart
