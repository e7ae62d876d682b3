"""The training thread and the bridge that carries its events to the GUI thread.

Threading rules (the only subtle part of the training GUI):

* :class:`Bridge` lives in the GUI thread. :class:`SignalCallback` runs inside the
  trainer (worker thread) and only *emits* the bridge's signals; because the
  receivers live in the GUI thread, Qt queues every emission. Nothing here touches
  a widget, and only plain Python values (and, at the end, CPU tensors of the
  trained weights) cross the thread boundary.
* Per-step numbers are not signals: the callback appends them to the bridge's
  :class:`StepBuffer` and the GUI thread takes them from its frame timer (20 times a
  second), so a run wakes the GUI thread no more often than its redraws do, however
  fast the loop runs. The per-epoch signals are emitted after the epoch's steps were
  put, so a receiver that takes the buffer first sees every step before the epoch.
* ``stop()``, ``pause()`` and ``resume()`` may be called from the GUI thread at any
  time, even before the trainer exists (a stop then ends the run right after setup).
"""

from __future__ import annotations

import logging
import threading
import traceback
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from engine.training.callbacks import Callback

log = logging.getLogger(__name__)


class StepBuffer:
    """Per-step numbers put by the worker thread and taken, in batches, by the GUI thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._steps: list[int] = []
        self._losses: list[float] = []
        self._lrs: list[float] = []
        self._where = (0, 0.0)  # (epoch, samples/s) at the newest step

    def put(self, step: int, loss: float, lr: float, epoch: int, samples_per_s: float) -> None:
        with self._lock:
            self._steps.append(step)
            self._losses.append(loss)
            self._lrs.append(lr)
            self._where = (epoch, samples_per_s)

    def take(self) -> tuple[list[int], list[float], list[float], tuple[int, float]]:
        """Everything put since the last call: (steps, losses, lrs, (epoch, samples/s))."""
        with self._lock:
            taken = self._steps, self._losses, self._lrs, self._where
            self._steps, self._losses, self._lrs = [], [], []
        return taken


class Bridge(QObject):
    """One run's events: signals emitted from the worker thread and delivered queued in the
    GUI thread, and the :class:`StepBuffer` of per-step numbers."""

    stage = Signal(str)  # "Loading data…", "Compiling the graph…", "Training", "Evaluating…"
    planned = Signal(dict)  # once the data is loaded: {"steps_per_epoch", "lr"} (the plots get ready)
    fit_started = Signal(dict)
    epoch_ended = Signal(int, dict)
    validated = Signal(int, dict)
    checkpoint = Signal(str)
    finished = Signal(dict)  # {"result": ..., "results": ..., "state_dict": ...}
    failed = Signal(str, dict)  # message, partial result (may be empty)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.steps = StepBuffer()


class SignalCallback(Callback):
    """Forwards trainer events to a :class:`Bridge`: per-step numbers into its buffer, the rest
    as signals."""

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self.buffer = bridge.steps

    def on_fit_start(self, info: dict[str, Any]) -> None:
        self.bridge.stage.emit("Training")
        self.bridge.fit_started.emit(dict(info))

    def on_batch_end(self, step: int, epoch: int, batch: int, loss: float,
                     losses: dict[str, float], lr: float, samples_per_s: float) -> None:
        self.buffer.put(step, loss, lr, epoch, samples_per_s)

    def on_validation_end(self, epoch: int, metrics: dict[str, Any]) -> None:
        self.bridge.validated.emit(epoch, dict(metrics))

    def on_epoch_end(self, epoch: int, metrics: dict[str, Any]) -> None:
        self.bridge.epoch_ended.emit(epoch, dict(metrics))

    def on_checkpoint(self, path: str) -> None:
        self.bridge.checkpoint.emit(path)


def node_from_traceback(err: BaseException | None) -> str | None:
    """The graph node whose generated line raised ``err`` (torch.fx code names lines after nodes)."""
    import linecache
    import re

    while err is not None:
        for frame, lineno in traceback.walk_tb(err.__traceback__):
            filename = frame.f_code.co_filename
            if filename.startswith("<eval_with_key"):
                line = linecache.getline(filename, lineno).strip()
                match = re.match(r"(\w+)\s*=", line)
                if match:
                    return match.group(1)
        err = err.__cause__ or err.__context__
    return None


def explain_failure(message: str, err: BaseException | None, batch_size: int) -> str:
    """Add the node that raised and what to try to the trainer's message."""
    node = node_from_traceback(err)
    if node and f"'{node}'" not in message:
        message += f" (in node '{node}')"
    if "out of memory" in message.lower():
        message += (f" — lower the batch size (now {batch_size}), use a smaller model, turn on mixed "
                    "precision, or train on the CPU")
    return message


class TrainThread(QThread):
    """Runs one training in its own thread.

    Args:
        project: A *copy* of the project (the canvas is locked, but the copy makes the
            run independent of later edits and of undo).
        run_dir: Folder for the trainer's checkpoints.
        bridge: Where events go (created by the caller in the GUI thread).
        torch_threads: Intra-op threads for torch during the run (None: leave as is).
        results: Collect the result views' data (predictions on validation samples).
    """

    def __init__(self, project: Any, run_dir: Path | None, bridge: Bridge, *,
                 torch_threads: int | None = None, results: bool = True,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.run_dir = run_dir
        self.bridge = bridge
        self.torch_threads = torch_threads
        self.collect = results
        self.trainer: Any = None
        self._lock = threading.Lock()
        self._stop = False
        self._paused = False

    # -- control (GUI thread) --------------------------------------------------------
    def stop(self, results: bool | None = None) -> None:
        with self._lock:
            self._stop = True
            if results is not None:
                self.collect = results
            if self.trainer is not None:
                self.trainer.stop()

    def pause(self) -> None:
        with self._lock:
            self._paused = True
            if self.trainer is not None:
                self.trainer.pause()

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            if self.trainer is not None:
                self.trainer.resume()

    # -- the run (worker thread) -----------------------------------------------------
    def run(self) -> None:  # noqa: C901 - one try block mapping every failure to a message
        import torch

        from engine.data import DataError, build_datasets
        from engine.errors import TorchwireError
        from engine.training.trainer import Trainer, TrainingFailed, steps_per_epoch

        bridge = self.bridge
        old_threads = torch.get_num_threads()
        if self.torch_threads:
            torch.set_num_threads(self.torch_threads)
        callback = SignalCallback(bridge)
        batch_size = self.project.training.batch_size
        try:
            bridge.stage.emit("Loading data…")
            data = build_datasets(self.project.data, self.project.base_dir)
            bridge.planned.emit({"steps_per_epoch": steps_per_epoch(len(data.train), batch_size),
                                 "lr": float(self.project.training.lr)})
            bridge.stage.emit("Compiling the graph…")
            trainer = Trainer(self.project.graph, data, self.project.training, callbacks=[callback],
                              run_dir=self.run_dir, name=self.project.name,
                              base_dir=self.project.base_dir)
            with self._lock:
                self.trainer = trainer
                if self._stop:
                    trainer.stop()
                elif self._paused:
                    trainer.pause()
            result = trainer.fit()
            payload: dict[str, Any] = {"result": result.to_dict(), "fields": _fields(data.fields)}
            payload["state_dict"] = {k: v.detach().to("cpu", copy=True)
                                     for k, v in trainer.model.state_dict().items()}
            if self.collect and result.epochs_completed:
                bridge.stage.emit("Evaluating…")
                from .evaluate import collect_results

                payload["results"] = collect_results(trainer, data)
            bridge.finished.emit(payload)
        except TrainingFailed as err:
            partial = err.result.to_dict() if err.result is not None else {}
            bridge.failed.emit(explain_failure(str(err), err.__cause__, batch_size), partial)
        except (DataError, TorchwireError) as err:
            bridge.failed.emit(str(err), {})
        except Exception as err:  # noqa: BLE001 - the app must survive any failure of a run
            log.exception("training thread failed")
            first = (str(err).strip().splitlines() or [""])[0]
            bridge.failed.emit(explain_failure(f"Training failed: {type(err).__name__}: {first}", err,
                                               batch_size), {})
        finally:
            with self._lock:
                self.trainer = None
            if self.torch_threads:
                torch.set_num_threads(old_threads)
            if torch.cuda.is_available():
                torch.cuda.empty_cache()


def _fields(fields: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """FieldInfo objects as plain dicts (shape, dtype, classes, table column names)."""
    return {name: {"shape": list(f.shape), "dtype": f.dtype, "num_classes": f.num_classes,
                   "class_names": list(f.class_names) if f.class_names else None,
                   "column_names": list(f.column_names) if f.column_names else None}
            for name, f in fields.items()}
