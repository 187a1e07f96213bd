#!/usr/bin/python3.11
"""Learning-rate schedules from real PyTorch, for Runtime.Tests/Training/ScheduleParityTests.cs.

    /usr/bin/python3.11 scripts/make_schedule_fixture.py

Steps torch.optim.lr_scheduler.StepLR and CosineAnnealingLR for 25 epochs and records the learning rate the
optimizer sees at each epoch, as float32, into Runtime.Tests/Fixtures/schedules.data.safetensors.
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402

EPOCHS = 25


def trace(make_scheduler, lr):
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([parameter], lr=lr)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(EPOCHS):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return torch.tensor(np.array(rates, dtype=np.float32))


def compute():
    """(tensors, metadata) of schedules.data.safetensors; scripts/verify_fixtures.py compares them with the file."""
    tensors = {
        "step_decay": trace(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.5), 0.1),
        "cosine": trace(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=1e-4), 0.01),
    }
    metadata = {"step_decay": "StepLR(lr=0.1, step_size=4, gamma=0.5)", "cosine": "CosineAnnealingLR(lr=0.01, T_max=10, eta_min=1e-4); periodic past T_max, as PyTorch's", "epochs": str(EPOCHS)}
    return tensors, metadata


def main():
    tensors, metadata = compute()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "Runtime.Tests", "Fixtures", "schedules.data.safetensors")
    st.save(path, tensors, metadata=metadata)
    print("wrote", path)
    for name, values in tensors.items():
        print(name, values.tolist())


if __name__ == "__main__":
    main()
