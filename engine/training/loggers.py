"""Callbacks that record a run: ``metrics.csv`` and TensorBoard event files."""

from __future__ import annotations

import csv
import importlib.util
import io
from pathlib import Path
from typing import Any

from ..errors import TorchwireError
from .callbacks import Callback
from .metrics import scalar_metrics


class MetricsCSV(Callback):
    """Keeps ``path`` as a CSV table with one row per completed epoch.

    The whole file is rewritten atomically after each epoch, so columns that appear
    later (e.g. validation metrics) are added and a resumed run keeps earlier rows.
    List-valued metrics (confusion matrices) are left out.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.rows: list[dict[str, float]] = []

    def on_fit_start(self, info: dict[str, Any]) -> None:
        self.rows = [scalar_metrics(row) for row in info.get("history", [])]

    def on_epoch_end(self, epoch: int, metrics: dict[str, Any]) -> None:
        self.rows.append(scalar_metrics(metrics))
        self.write()

    def write(self) -> None:
        from ..atomic import write_atomic

        columns: list[str] = []
        for row in self.rows:
            columns += [k for k in row if k not in columns]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        write_atomic(self.path, buffer.getvalue().encode("utf-8"))


def tensorboard_available() -> bool:
    return importlib.util.find_spec("tensorboard") is not None


class TensorBoardLogger(Callback):
    """Writes batch losses and epoch metrics with ``torch.utils.tensorboard``.

    Raises:
        TorchwireError: the ``tensorboard`` package is not installed.
    """

    def __init__(self, log_dir: str | Path) -> None:
        if not tensorboard_available():
            raise TorchwireError("--tensorboard needs the 'tensorboard' package — install it with "
                                 "`pip install tensorboard`, or train without --tensorboard")
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(log_dir))

    def on_batch_end(self, step: int, epoch: int, batch: int, loss: float,
                     losses: dict[str, float], lr: float, samples_per_s: float) -> None:
        self.writer.add_scalar("batch/loss", loss, step)
        self.writer.add_scalar("batch/lr", lr, step)

    def on_epoch_end(self, epoch: int, metrics: dict[str, Any]) -> None:
        for key, value in scalar_metrics(metrics).items():
            if key != "epoch":
                self.writer.add_scalar(key, value, epoch)
        self.writer.flush()

    def on_fit_end(self) -> None:
        self.writer.close()


__all__ = ["MetricsCSV", "TensorBoardLogger", "tensorboard_available"]
