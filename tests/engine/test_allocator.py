"""The CPU allocator tuning stops training steps from page-faulting their buffers in again."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A small CNN training step repeated; prints the minor page faults of all
# measured steps but the worst one.
SCRIPT = """
import resource, sys, torch
sys.path.insert(0, {root!r})
from engine.allocator import tune_cpu_allocator
if sys.argv[1] == "tuned":
    assert tune_cpu_allocator()
torch.set_num_threads(1)
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Conv2d(1, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                          torch.nn.Flatten(), torch.nn.Linear(16 * 12 * 12, 10))
opt = torch.optim.SGD(net.parameters(), lr=0.01)
x, y = torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))
def step():
    opt.zero_grad()
    torch.nn.functional.cross_entropy(net(x), y).backward()
    opt.step()
for _ in range(10):
    step()
per_step = []
for _ in range(60):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    step()
    per_step.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(sum(per_step) - max(per_step))  # without the worst step: one-off heap growth does not count
"""


def faults(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(root=str(ROOT)), mode],
                         capture_output=True, text=True, timeout=120, check=True)
    return int(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the tuning applies to glibc only")
def test_tuned_allocator_keeps_step_buffers_instead_of_faulting_them_in():
    default, tuned = faults("default"), faults("tuned")
    assert default > 1000  # glibc's defaults re-fault MBs of activations step after step
    assert tuned < default / 10


def test_tuning_is_a_no_op_where_the_c_library_is_not_glibc(monkeypatch):
    from engine import allocator

    monkeypatch.setattr(allocator, "_tuned", False)
    monkeypatch.setattr(allocator.platform, "libc_ver", lambda: ("musl", "1.2"))
    assert allocator.tune_cpu_allocator() is False
