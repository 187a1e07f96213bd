# The committed PyTorch fixtures are what PyTorch computes: scripts/verify_fixtures.py checks the forward, gradient,
# clip and optimizer fixtures against float64 formulas, and reruns the scripts behind the schedule, SineWave and
# non-finite references (make_schedule_fixture.py, make_sine_data.py, sine_pytorch.py,
# reliability/make_nonfinite_fixture.py) to compare their results with the committed files.
STAGE_TIMEOUT=900 run_stage verify-fixtures bash -c "scripts/install-torch.sh && /usr/bin/python3.11 scripts/verify_fixtures.py"
