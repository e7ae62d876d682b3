"""Run records: what one training run produced, kept in memory and in a runs folder.

A run folder holds ``run.json`` (hyperparameters, curves, per-epoch metrics, status)
and ``weights.safetensors`` (the trained model's state_dict). Runs live next to the
project (``<project>.runs/``) or, for an unsaved project, in the app-data folder.
No Qt widgets here; only plain data and files.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.atomic import write_atomic
from engine.project import Project

log = logging.getLogger(__name__)
RUN_FILE = "run.json"
WEIGHTS_FILE = "weights.safetensors"
EMA_ALPHA = 0.9


class Series:
    """A growable float64 array (amortised O(1) append, zero-copy view)."""

    def __init__(self, capacity: int = 1024) -> None:
        self._data = np.empty(capacity, dtype=np.float64)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def extend(self, values: list[float] | np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64)
        need = self._n + len(values)
        if need > len(self._data):
            grown = np.empty(max(need, 2 * len(self._data)), dtype=np.float64)
            grown[: self._n] = self._data[: self._n]
            self._data = grown
        self._data[self._n:need] = values
        self._n = need

    def append(self, value: float) -> None:
        self.extend([value])

    @property
    def values(self) -> np.ndarray:
        return self._data[: self._n]


@dataclass
class RunRecord:
    """One training run. Curves are :class:`Series`; ``epochs`` holds scalar metrics per epoch."""

    run_id: str
    name: str
    hparams: dict[str, Any]
    started: float = field(default_factory=time.time)
    status: str = "running"  # running | finished | stopped | failed
    message: str = ""
    steps: Series = field(default_factory=Series)
    loss: Series = field(default_factory=Series)
    smooth: Series = field(default_factory=Series)
    lr: Series = field(default_factory=Series)
    epochs: list[dict[str, float]] = field(default_factory=list)
    val_metrics: dict[str, Any] = field(default_factory=dict)  # last validation, confusion included
    info: dict[str, Any] = field(default_factory=dict)  # on_fit_start info (losses, steps_per_epoch)
    graph: dict[str, Any] = field(default_factory=dict)  # the graph that was trained (to_dict)
    fields: dict[str, Any] = field(default_factory=dict)  # dataset fields: shape, classes
    folder: Path | None = None
    results: dict[str, Any] | None = None  # evaluate.collect_results (memory only)
    state_dict: dict[str, Any] | None = None  # trained weights (CPU tensors)
    _ema: float | None = None
    _ema_n: int = 0

    def add_steps(self, steps: list[int], losses: list[float], lrs: list[float]) -> None:
        """Append per-step values and their exponential moving average (seeded by the first)."""
        smooth = []
        ema, n = self._ema, self._ema_n
        for x in losses:  # math, not numpy: a dozen scalars per frame of a run
            if math.isfinite(x):
                ema = x if ema is None else EMA_ALPHA * ema + (1 - EMA_ALPHA) * x
                n += 1
            smooth.append(ema if ema is not None else math.nan)
        self._ema, self._ema_n = ema, n
        self.steps.extend(steps)
        self.loss.extend(losses)
        self.smooth.extend(smooth)
        self.lr.extend(lrs)

    def epoch_series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """(epochs, values) of one per-epoch metric, skipping epochs without it."""
        xs = [e["epoch"] for e in self.epochs if isinstance(e.get(key), int | float)]
        ys = [e[key] for e in self.epochs if isinstance(e.get(key), int | float)]
        return np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)

    def loss_names(self) -> list[str]:
        """Names of the run's Loss nodes (from fit-start info or the metric keys)."""
        names = [str(x["name"]) if isinstance(x, dict) else str(x) for x in self.info.get("losses", [])]
        if names:
            return names
        keys = {k.split("/")[1] for e in self.epochs for k in e if k.count("/") == 2}
        return sorted(keys)

    def class_names(self, loss: str) -> list[str] | None:
        """Class names of the target field of Loss node ``loss`` (from the run's graph and data)."""
        nodes = {n["id"]: n for n in self.graph.get("nodes", [])}
        by_name = {n["name"]: n for n in nodes.values()}
        node = by_name.get(loss)
        for e in self.graph.get("edges", []):
            if node is not None and e["dst"] == node["id"] and e["dst_port"] == "target":
                src = nodes.get(e["src"], {})
                info = self.fields.get(src.get("params", {}).get("field", ""), {})
                return info.get("class_names")
        return None

    @property
    def best_accuracy(self) -> float | None:
        """The best validation accuracy of any Loss node; None for a GAN run, whose only
        accuracy is the discriminator's (high means the generator is losing, not a good model)."""
        if self.hparams.get("training", {}).get("recipe") == "gan":
            return None
        vals = [v for e in self.epochs for k, v in e.items()
                if k.startswith("val/") and k.endswith("/accuracy")]
        return max(vals) if vals else None

    def summary(self) -> str:
        """One line for the history list: name, status, epochs, best accuracy or last loss."""
        parts = [self.name, self.status]
        if self.epochs:
            parts.append(f"{len(self.epochs)} ep")
            acc = self.best_accuracy
            last = self.epochs[-1].get("val/loss", self.epochs[-1].get("train/loss"))
            if acc is not None:
                parts.append(f"acc {acc:.1%}")
            elif isinstance(last, float):
                parts.append(f"loss {last:.4g}")
        hp = self.hparams.get("training", {})
        if hp:
            parts.append(f"{hp.get('optimizer')} lr {hp.get('lr')} bs {hp.get('batch_size')}")
        return " · ".join(str(p) for p in parts)

    # -- files ---------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "format": 1, "run_id": self.run_id, "name": self.name, "hparams": self.hparams,
            "started": self.started, "status": self.status, "message": self.message,
            "info": _plain(self.info), "graph": self.graph, "fields": _plain(self.fields),
            "curves": {"step": self.steps.values.astype(int).tolist(), "loss": _floats(self.loss.values),
                       "lr": _floats(self.lr.values)},
            "epochs": self.epochs, "val_metrics": _plain(self.val_metrics),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any], folder: Path | None = None) -> RunRecord:
        run = cls(run_id=str(raw["run_id"]), name=str(raw.get("name", raw["run_id"])),
                  hparams=dict(raw.get("hparams", {})), started=float(raw.get("started", 0.0)),
                  status=str(raw.get("status", "finished")), message=str(raw.get("message", "")),
                  epochs=list(raw.get("epochs", [])), val_metrics=dict(raw.get("val_metrics", {})),
                  info=dict(raw.get("info", {})), graph=dict(raw.get("graph", {})),
                  fields=dict(raw.get("fields", {})), folder=folder)
        curves = raw.get("curves", {})
        losses = [float("nan") if v is None else float(v) for v in curves.get("loss", [])]
        lrs = [float("nan") if v is None else float(v) for v in curves.get("lr", [])]
        run.add_steps([int(s) for s in curves.get("step", [])], losses, lrs)
        return run

    def save(self) -> None:
        """Write ``run.json`` and, when present, the weights (atomically)."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(self.folder / RUN_FILE, json.dumps(self.to_json()).encode("utf-8"))
        if self.state_dict is not None and not (self.folder / WEIGHTS_FILE).exists():
            save_weights(self.state_dict, self.folder / WEIGHTS_FILE)

    def load_weights(self) -> dict[str, Any] | None:
        """The run's trained state_dict from its folder (None when it has none)."""
        if self.state_dict is None and self.folder is not None and (self.folder / WEIGHTS_FILE).is_file():
            from engine.weights import WeightsError, load_state_dict_file

            try:
                self.state_dict = load_state_dict_file(self.folder / WEIGHTS_FILE)
            except WeightsError as err:
                log.warning("%s", err)
        return self.state_dict


def save_weights(state_dict: dict[str, Any], path: str | Path) -> Path:
    """Save a state_dict as ``.safetensors`` or (any other suffix) ``torch.save`` ``.pt``."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in state_dict.items()}
    if path.suffix.lower() == ".safetensors":
        from safetensors.torch import save as st_save

        write_atomic(path, st_save(tensors))
    else:
        import io

        buffer = io.BytesIO()
        torch.save(tensors, buffer)
        write_atomic(path, buffer.getvalue())
    return path


def _floats(values: np.ndarray) -> list[float | None]:
    return [float(v) if np.isfinite(v) else None for v in values]


def _plain(value: Any) -> Any:
    """JSON-safe copy: NaN/inf become None, tuples become lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def runs_root(project: Project, app_data: Path | None = None) -> Path:
    """Where a project's runs live: ``<folder>/<stem>.runs`` beside the project file, or under
    ``<app data>/runs/`` for untitled projects, the bundled examples and read-only folders."""
    import os

    from engine.examples import examples_dir

    app_data = _app_data(app_data)
    if project.path is None:
        return untitled_root(app_data)
    folder = project.path.parent
    if folder.resolve() == examples_dir().resolve() or not os.access(folder, os.W_OK):
        return app_data / "runs" / project.path.stem  # keep the app's own files clean
    return folder / f"{project.path.stem}.runs"


def untitled_root(app_data: Path | None = None) -> Path:
    """Where the runs of projects not saved yet live."""
    return _app_data(app_data) / "runs" / "untitled"


def _app_data(app_data: Path | None) -> Path:
    """``app_data``, or the platform's app-data folder for Torchwire when None."""
    if app_data is not None:
        return app_data
    from PySide6.QtCore import QStandardPaths

    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


def move_runs(runs: list[RunRecord], source: Path, root: Path) -> tuple[int, list[str]]:
    """Move those of ``runs`` kept in ``source`` into ``root`` (their folders, weights included),
    updating their ``folder``. Returns (how many moved, a sentence per run that could not be).

    A folder is renamed where it can be; across file systems it is copied under a temporary
    name first and renamed into place once complete, so ``root`` never holds half a run.
    """
    moved, problems = 0, []
    for run in runs:
        folder = run.folder
        if folder is None or folder.parent != source or not folder.is_dir():
            continue
        target = root / folder.name
        if target.exists():
            problems.append(f"{run.name} stays in {folder}: {target} already exists")
            continue
        try:
            root.mkdir(parents=True, exist_ok=True)
            _move_folder(folder, target)
        except OSError as err:
            problems.append(f"{run.name} stays in {folder}: {err.strerror or err}")
            continue
        run.folder = target
        moved += 1
    return moved, problems


def _move_folder(folder: Path, target: Path) -> None:
    import errno
    import os
    import shutil

    try:
        os.rename(folder, target)
        return
    except OSError as err:
        if err.errno != errno.EXDEV:  # not "another file system": a real failure
            raise
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        shutil.copytree(folder, partial)
        os.rename(partial, target)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    shutil.rmtree(folder, ignore_errors=True)  # the copy is complete: a leftover only wastes space


def load_runs(root: Path) -> list[RunRecord]:
    """Every readable run under ``root``, oldest first (damaged ones are skipped and logged)."""
    runs = []
    if not root.is_dir():
        return runs
    for path in sorted(root.glob(f"*/{RUN_FILE}")):
        if path.parent.name.startswith("."):  # e.g. a move's unfinished copy (see move_runs)
            continue
        try:
            runs.append(RunRecord.from_json(json.loads(path.read_text(encoding="utf-8")), path.parent))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            log.warning("skipping run %s: %s", path.parent, err)
    runs.sort(key=lambda r: r.started)
    return runs


def new_run_id(root: Path) -> str:
    """A fresh, sortable folder name: ``run-YYYYmmdd-HHMMSS[-k]``."""
    stem = time.strftime("run-%Y%m%d-%H%M%S")
    run_id, k = stem, 1
    while (root / run_id).exists():
        k += 1
        run_id = f"{stem}-{k}"
    return run_id
