# Step of GRU 1->8, GRU 1->32 and LSTM 1->32 (+ Linear head) compiles to straight-line code: scripts/ci/check_step_disasm.sh
# reads the JIT's listing and fails on a call (other than the error and repack paths) or a range check (~30 s).
# Which networks take the straight-line step depends on the vector width (Runtime/Kernels/RecurrentEngine.Straight.cs):
# with 16 lanes (AVX-512) and with 8 (AVX2) all of them (at 8 lanes GRU and LSTM 1->32 call one method per gate, which the
# check allows by name); narrower paths have none. So the check runs where the default path is AVX-512 or AVX2.
case "${default_isa:-}" in
    avx512|avx2) run_stage step-disasm bash scripts/ci/check_step_disasm.sh ;;
    *)      skip_stage step-disasm "no network here takes the straight-line step (default path: ${default_isa:-unknown}; it needs AVX2 or AVX-512)" ;;
esac
# The same checks of NativeAOT's code, Step's and training's, for AVX2 (x86-64-v3) and AVX-512 (x86-64-v4) whatever this
# machine has: the compiler targets the instruction set it is given, so the AVX-512 code is checked on an AVX2 machine too
# (~35 s each).
STAGE_TIMEOUT=600 run_stage step-disasm-aot bash scripts/ci/check_step_disasm.sh --aot x86-64-v3 x86-64-v4
