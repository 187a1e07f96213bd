# A new user's project: pack, add the package to a fresh console app, build with warnings as errors, run.
STAGE_TIMEOUT=600 run_stage consumer-package bash scripts/package/consumer-test.sh
# NativeAOT: zero publish warnings, and outputs bit-identical to the JIT build.
STAGE_TIMEOUT=900 run_stage nativeaot bash scripts/package/aot-check.sh
