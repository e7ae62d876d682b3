"""`torchwire validate`, `summary` and `--version` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from seed_graphs import mnist_cnn

from engine import __version__
from engine.cli import main
from engine.project import Project, save_project

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def cnn_project(tmp_path: Path) -> Path:
    project = Project(graph=mnist_cnn(), name="MNIST CNN")
    project.data.source = "bundled"
    project.data.name = "mnist_subset"
    return save_project(project, tmp_path / "cnn.json")


def test_version() -> None:
    result = subprocess.run([sys.executable, "-m", "engine.cli", "--version"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.strip() == f"torchwire {__version__}"


def test_summary_table_and_total(cnn_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", str(cnn_project)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["Name", "Kind", "Output", "shape", "Params", "MACs"]
    rows = {line.split()[0]: line.split() for line in out[2:] if line and not line.startswith("-")}
    assert rows["conv1"][:4] == ["conv1", "Conv2d", "N×10×24×24", "260"]
    assert rows["fc1"][:4] == ["fc1", "Linear", "N×50", "16,050"]
    assert "Total parameters: 21840" in out


def test_validate_ok_and_invalid(cnn_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(cnn_project)]) == 0
    assert "OK — 14 nodes, 21,840 parameters" in capsys.readouterr().out

    raw = json.loads(cnn_project.read_text())
    for node in raw["graph"]["nodes"]:
        if node["name"] == "fc1":
            node["params"]["in_features"] = 999
        if node["name"] == "image":
            node["params"]["field"] = "picture"
    cnn_project.write_text(json.dumps(raw))
    assert main(["validate", str(cnn_project)]) == 1
    out = capsys.readouterr().out
    assert "image (Input) is bound to field 'picture', which the dataset does not have" in out
    assert "fc1 (Linear) receives 320 features but in_features is 999" in out
    assert "2 error(s)" in out


def test_user_errors_are_one_sentence_without_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = subprocess.run([sys.executable, "-m", "engine.cli", "validate", str(broken)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {broken}: not valid JSON")
