"""Shared fixtures of the training GUI tests: a small digits project in a temp folder."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "assets" / "examples"


def write_project(folder: Path, name: str = "digits", *, limit: int | None = 400, epochs: int = 3,
                  batch_size: int = 32, example: str = "mlp_digits.json", **training: Any) -> Path:
    raw = json.loads((EXAMPLES / example).read_text())
    raw["data"]["limit"] = limit
    raw["training"].update({"epochs": epochs, "batch_size": batch_size, "checkpoint_every": 0, **training})
    path = folder / f"{name}.json"
    path.write_text(json.dumps(raw))
    return path


class Recorder:
    """What the trainer reported, captured in the worker thread before the bridge sees it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.steps: list[tuple[int, float, float]] = []
        self.epochs: list[dict[str, Any]] = []
        self.validations: list[dict[str, Any]] = []


@pytest.fixture
def recorder(monkeypatch) -> Recorder:
    from gui.training import worker

    rec = Recorder()
    original_batch = worker.SignalCallback.on_batch_end
    original_epoch = worker.SignalCallback.on_epoch_end
    original_val = worker.SignalCallback.on_validation_end

    def on_batch_end(self, step, epoch, batch, loss, losses, lr, speed):
        with rec.lock:
            rec.steps.append((step, loss, lr))
        original_batch(self, step, epoch, batch, loss, losses, lr, speed)

    def on_epoch_end(self, epoch, metrics):
        with rec.lock:
            rec.epochs.append(dict(metrics))
        original_epoch(self, epoch, metrics)

    def on_validation_end(self, epoch, metrics):
        with rec.lock:
            rec.validations.append(dict(metrics))
        original_val(self, epoch, metrics)

    monkeypatch.setattr(worker.SignalCallback, "on_batch_end", on_batch_end)
    monkeypatch.setattr(worker.SignalCallback, "on_epoch_end", on_epoch_end)
    monkeypatch.setattr(worker.SignalCallback, "on_validation_end", on_validation_end)
    return rec


@pytest.fixture
def slow_steps(monkeypatch):
    """Make every training step take >= 3 ms so a test can act in the middle of an epoch."""
    from engine.training.recipes import SupervisedRecipe

    original = SupervisedRecipe.train_step

    def train_step(self, batch, tools):
        time.sleep(0.003)
        return original(self, batch, tools)

    monkeypatch.setattr(SupervisedRecipe, "train_step", train_step)


@pytest.fixture
def trainer_app(make_window, tmp_path):
    """``make(**project options) -> (window, controller)`` with the project saved in tmp_path."""
    from gui.training import install

    made = []

    def make(**options: Any):
        path = write_project(tmp_path, **options)
        window = make_window(path)
        window.maybe_save = lambda: True  # a failing test must not hang on the unsaved-changes dialog
        controller = install(window, app_data=tmp_path / "appdata")
        window.document.infer_now()
        made.append(controller)
        return window, controller

    yield make
    for controller in made:
        controller.shutdown()


def run_to_end(qtbot, controller, timeout: int = 60_000) -> Any:
    """Start a run and wait until its thread is gone; returns the run record."""
    with qtbot.waitSignal(controller.run_ended, timeout=timeout) as blocker:
        assert controller.start(), controller.controls.message.text()
    assert controller.thread is None
    return blocker.args[0]
__all__ = ["Recorder", "recorder", "run_to_end", "slow_steps", "trainer_app", "write_project"]
