"""Bad input found in review: each gives one sentence naming the place, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torchvision
from safetensors.torch import save_file

from engine.catalog.backbones import build_backbone
from engine.data import DataError
from engine.data.vision import read_idx
from engine.weights import WeightsError

ROOT = Path(__file__).resolve().parents[2]


def test_run_folder_under_a_file_is_a_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("not a folder")
    result = subprocess.run(
        [sys.executable, "-m", "engine.cli", "train", str(ROOT / "assets/examples/mlp_digits.json"),
         "--epochs", "1", "--limit", "64", "--no-progress", "--out", str(blocker / "run")],
        cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ") and "afile" in result.stderr


def test_idx_file_truncated_inside_its_header(tmp_path: Path) -> None:
    bad = tmp_path / "train-images-idx3-ubyte"
    bad.write_bytes(bytes([0, 0, 8, 3, 0]))
    with pytest.raises(DataError, match="truncated inside its header"):
        read_idx(bad)


def test_backbone_weights_that_do_not_fit(tmp_path: Path) -> None:
    weights = tmp_path / "resnet18_wrong.safetensors"
    other = torchvision.models.resnet18(weights=None, num_classes=10)
    save_file({k: v.contiguous() for k, v in other.state_dict().items()}, str(weights))
    with pytest.raises(WeightsError, match="does not fit resnet18 with num_classes=1000"):
        build_backbone("resnet18", num_classes=1000, weights=str(weights))
    model = build_backbone("resnet18", num_classes=10, weights=str(weights))
    assert torch.equal(model.fc.weight, other.fc.weight)
