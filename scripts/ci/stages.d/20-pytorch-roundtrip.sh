# Files written by Fixed's Save load in PyTorch (load_state_dict strict) and compute the fixtures' outputs.
# The Release test run above wrote them into Runtime.Tests/bin/Release/net10.0/roundtrip/.
STAGE_TIMEOUT=900 run_stage pytorch-roundtrip bash -c "scripts/install-torch.sh && scripts/check_roundtrip_all.sh $CONFIG"
