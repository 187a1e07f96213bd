# Step of GRU 1->8, GRU 1->32 and LSTM 1->32 (+ Linear head) compiles to straight-line code: scripts/ci/check_step_disasm.sh
# reads the JIT's listing and fails on a call (other than the error and repack paths) or a range check (~30 s).
# Which networks take the straight-line step depends on the vector width (Runtime/Kernels/RecurrentEngine.Straight.cs):
# with 16 lanes (AVX-512) all three; with 8 (AVX2) only GRU 1->8, the others keep the general path, which calls its
# kernels by design; narrower paths have none. So the networks checked follow the default path the probe reported.
case "${default_isa:-}" in
    avx512) run_stage step-disasm bash scripts/ci/check_step_disasm.sh ;;
    avx2)   run_stage step-disasm env STEP_DISASM_NETWORKS="gru8" bash scripts/ci/check_step_disasm.sh ;;
    *)      skip_stage step-disasm "no network here takes the straight-line step (default path: ${default_isa:-unknown}; it needs AVX2 for GRU 1->8, AVX-512 for GRU/LSTM 1->32)" ;;
esac
