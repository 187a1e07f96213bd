# Training's hot methods (one-sequence and batched Backward of RNN, GRU and LSTM 1->32, and of LSTM 1->32 with ProjSize 16)
# call nothing the JIT is meant to inline: scripts/ci/check_training_disasm.sh reads their fully optimized listings (~5 s).
# A method that runs out of the JIT's inlining budget keeps the shape's constants, span slices or the loss as calls, a few
# per cent of an iteration each time.
run_stage training-disasm bash scripts/ci/check_training_disasm.sh
