# Files written by Fixed's Save load in PyTorch (load_state_dict strict) and compute the fixtures' outputs.
# The Release test runs above wrote them into Runtime.Tests/bin/Release/net10.0/roundtrip/, which .ci/run emptied
# before them and stamped ($CI_LOG_DIR/roundtrip.stamp): one file per forward fixture, each newer than the stamp.
STAGE_TIMEOUT=900 run_stage pytorch-roundtrip bash -c "scripts/install-torch.sh && scripts/check_roundtrip_all.sh --newer '$CI_LOG_DIR/roundtrip.stamp' $CONFIG"
