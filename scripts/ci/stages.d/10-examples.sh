# The README's first command, exactly as written, must run on a fresh machine and print what the README says it
# prints: scripts/ci/check_quickstart.sh holds its output to README.md's "RMSE 0.033 vs the input's 0.195, 0 bytes
# per step" (each RMSE to the README's three decimals, the allocation exactly).
quickstart() {
    bash scripts/install-plot-deps.sh || return 1   # no-op where fontconfig and a font are present
    dotnet run -c Release --project examples/QuickStart | tee "$CI_LOG_DIR/quickstart.out"
    [ "${PIPESTATUS[0]}" = 0 ] || return 1
    bash scripts/ci/check_quickstart.sh "$CI_LOG_DIR/quickstart.out" README.md
}
run_stage example-quickstart quickstart

# The many-streams example (README "Many streams"): its --quick run (~1,000 frames of 512 sensors, a few seconds) exits
# non-zero if serving allocated, if it missed more than a quarter of the injected faults or raised false alarms on more
# than 2% of the healthy sensors; solution-build has compiled it already. Then the same with --threads 2 (the sensors
# sharded over two threads, one shared model, the frames handed over by spinning counters): the sharded serving must not
# allocate either.
sensorgateway() {
    local threads out
    for threads in 1 2; do
        out="$CI_LOG_DIR/sensorgateway-$threads.out"
        dotnet run -c Release --project examples/SensorGateway -- --quick --threads "$threads" | tee "$out"
        [ "${PIPESTATUS[0]}" = 0 ] || return 1
        grep -q "allocated while serving   0 bytes" "$out" || return 1
    done
}
run_stage example-sensorgateway sensorgateway

# The amp-model example (README "Importing models"): a Neural Amp Modeler .nam capture compiled in by [ModelFile], 2 s of synthesised
# stereo guitar through it as two streams (a few seconds). It exits non-zero if processing allocated or if channel 1
# through the multi-stream Forward differs from the single-stream Forward by more than 1e-5.
ampsim() {
    dotnet run -c Release --project examples/AmpSim -- --seconds 2 | tee "$CI_LOG_DIR/ampsim.out"
    [ "${PIPESTATUS[0]}" = 0 ] || return 1
    grep -q "allocated    0 bytes while processing" "$CI_LOG_DIR/ampsim.out"
}
run_stage example-ampsim ampsim
