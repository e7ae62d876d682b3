"""``torchwire train`` under torchrun: 2 CPU processes (gloo) end with identical weights."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from safetensors.torch import load_file

from engine.data import DataConfig
from engine.project import Project, save_project
from engine.training import TrainConfig
from tests.engine.trainer_helpers import mlp

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent('''
    import hashlib, os, sys
    import torch
    from engine.cli import build_parser
    from engine.training.cli import train_command

    project, out = sys.argv[1], sys.argv[2]
    args = build_parser().parse_args(["train", project, "--out", out, "--no-progress"])
    trainer, result = train_command(args)
    digest = hashlib.sha256()
    for key, value in sorted(trainer.model.state_dict().items()):
        digest.update(key.encode())
        digest.update(value.detach().cpu().numpy().tobytes())
    rank = os.environ["RANK"]
    with open(os.path.join(out, f"rank{rank}.txt"), "w") as fh:
        fh.write(f"{digest.hexdigest()} {result.global_step} {result.metrics['train/loss']!r} "
                 f"{result.metrics['val/loss']!r}\\n")
''')


@pytest.mark.timeout(120)
def test_two_process_ddp_gives_identical_weights(tmp_path):
    graph = mlp(features=4, classes=3, hidden=8)
    project = Project(graph=graph, name="iris ddp", data=DataConfig(source="bundled", name="iris"),
                      training=TrainConfig(epochs=2, batch_size=16, lr=0.05, momentum=0.9,
                                           device="cpu"))
    path = save_project(project, tmp_path / "iris.json")
    script = tmp_path / "ddp_run.py"
    script.write_text(SCRIPT)
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         str(script), str(path), str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=110)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = [(out / f"rank{r}.txt").read_text().split() for r in (0, 1)]
    assert lines[0] == lines[1]  # same weights hash, steps and (all-reduced) metrics
    # 120 training samples, 60 per rank, batches of 16 -> 4 steps per epoch
    assert lines[0][1] == "8"
    # rank 0 alone wrote the outputs
    assert (out / "weights.safetensors").is_file() and (out / "metrics.csv").is_file()
    assert (out / "checkpoints" / "best.pt").is_file()
    assert len((out / "metrics.csv").read_text().splitlines()) == 3
    digest = hashlib.sha256()
    for key, value in sorted(load_file(out / "weights.safetensors").items()):
        digest.update(key.encode())
        digest.update(value.numpy().tobytes())
    assert digest.hexdigest() == lines[0][0]
