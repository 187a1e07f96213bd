# Step of GRU 1->8, GRU 1->32 and LSTM 1->32 (+ Linear head) compiles to straight-line code: scripts/ci/check_step_disasm.sh
# reads the JIT's listing and fails on a call (other than the error and repack paths) or a range check (~30 s).
run_stage step-disasm bash scripts/ci/check_step_disasm.sh
