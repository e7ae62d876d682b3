"""Per-epoch metrics at almost no cost per batch.

Losses arrive once per batch as ``[total, loss of each task]``: as Python floats
(the training loop reads them for its events anyway, so they are summed on the
host) or as a tensor summed on the device (validation). Predictions and targets
are only kept (detached) and reduced in groups of batches: correct counts for
classification and binary tasks, absolute and squared error sums for regression,
and on validation a confusion matrix — a handful of tensor ops per group instead
of per batch, and never a host sync. :meth:`MetricAccumulator.compute` turns the
sums into plain Python values.

Keys (``<split>`` is ``train`` or ``val``, ``<loss>`` a Loss node's name)::

    <split>/loss                       weighted sum of every Loss node (what is optimised)
    <split>/<loss>/loss                that node's own loss
    <split>/<loss>/accuracy            classification (argmax) and binary (threshold) tasks
    <split>/<loss>/mae, .../rmse       regression tasks
    val/<loss>/per_class_accuracy      classification and binary: recall per class (None: absent)
    val/<loss>/confusion               classification: rows = true class, columns = predicted;
                                       binary: 2×2, class 0 (negative) then 1 (positive)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

# Threshold on the prediction that means "positive" for each binary loss kind.
BINARY_THRESHOLDS = {"BCEWithLogitsLoss": 0.0, "BCELoss": 0.5}
# Statistics each task adds to the batch vector, in order.
_STATS = {"classification": ("correct",), "binary": ("correct",), "regression": ("abs", "sq")}


@dataclass(frozen=True)
class LossTask:
    """What metrics a Loss node gets: its name, kind (``CrossEntropyLoss``) and task."""

    name: str
    kind: str
    task: str  # classification | binary | regression | anything else: loss only


def _aligned(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if pred.shape != target.shape and pred.numel() == target.numel():
        return target.reshape(pred.shape)
    return target


class MetricAccumulator:
    """Running sums of one split for one epoch.

    Args:
        tasks: The Loss nodes, in graph order (the order of the losses in each vector).
        device: The training device.
        full: Also keep a confusion matrix per classification task (validation).
        group: Reduce kept predictions every this many batches (or sooner when they
            hold more than ``max_elements`` values).
    """

    def __init__(self, tasks: Sequence[LossTask], device: torch.device, full: bool = False,
                 group: int = 16, max_elements: int = 1 << 20) -> None:
        self.tasks = list(tasks)
        self.device = device
        self.full = full
        self.group, self.max_elements = group, max_elements
        self.dtype = torch.float32 if device.type == "mps" else torch.float64
        self.layout = [(t.name, s) for t in self.tasks for s in _STATS.get(t.task, ())]
        self.width = 1 + len(self.tasks)  # losses: total, then one per task
        self.floats = [0.0] * self.width
        self.sums = torch.zeros(self.width + len(self.layout), device=device, dtype=self.dtype)
        self.counts = {t.name: 0 for t in self.tasks}  # target elements behind each statistic
        self.confusion: dict[str, torch.Tensor] = {}
        self.samples = 0
        self._kept: list[tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]] = []
        self._kept_elements = 0
        self._stat_tasks = [t for t in self.tasks if t.task in _STATS]

    # -- per batch ------------------------------------------------------------
    def add_losses(self, losses: torch.Tensor | Sequence[float], n: int) -> None:
        """Add ``[total, *task losses]`` (batch means) of a batch of ``n`` samples.

        A 0-d tensor stands for a vector whose entries are all that value.
        """
        self.samples += n
        if isinstance(losses, torch.Tensor):
            self.sums[:self.width] += losses.detach().to(self.dtype) * n
        else:
            self.floats = [a + b * n for a, b in zip(self.floats, losses, strict=True)]

    def add_predictions(self, predictions: dict[str, torch.Tensor],
                        targets: dict[str, torch.Tensor]) -> None:
        """Keep one batch's predictions and targets (keyed by task name) for the statistics.

        They are kept as given (no per-batch detach); :meth:`reduce_kept` works on them
        under ``torch.no_grad``, and after the step's backward pass their autograd
        history holds no activations.
        """
        if not self._stat_tasks:
            return
        preds, tgts = {}, {}
        for task in self._stat_tasks:
            pred, target = predictions.get(task.name), targets.get(task.name)
            if pred is not None and target is not None:
                preds[task.name], tgts[task.name] = pred, target
                self._kept_elements += pred.numel()
        self._kept.append((preds, tgts))
        if len(self._kept) >= self.group or self._kept_elements >= self.max_elements:
            self.reduce_kept()

    def reduce_kept(self) -> None:
        """Turn the kept predictions into statistics (tensor ops on the device, no sync)."""
        kept, self._kept, self._kept_elements = self._kept, [], 0
        if not kept:
            return
        offset = self.width
        with torch.no_grad():
            for task in self.tasks:
                names = _STATS.get(task.task, ())
                if not names:
                    continue
                preds = [p[task.name] for p, _ in kept if task.name in p]
                tgts = [t[task.name] for p, t in kept if task.name in p]
                if preds:
                    pred = preds[0] if len(preds) == 1 else torch.cat(preds)
                    target = tgts[0] if len(tgts) == 1 else torch.cat(tgts)
                    values = self._stats(task, pred, target)
                    if values:
                        self.sums[offset:offset + len(names)] += torch.stack(values).to(self.dtype)
                offset += len(names)

    def _stats(self, task: LossTask, pred: torch.Tensor, target: torch.Tensor) -> list[torch.Tensor]:
        kind = task.task
        if kind == "classification":
            if pred.dim() < 2:
                return []
            guess = pred.argmax(1)
            if target.is_floating_point() and target.shape == pred.shape:  # class probabilities
                target = target.argmax(1)
            self.counts[task.name] += target.numel()
            if self.full:
                self._confuse(task.name, pred.shape[1], guess, target.long())
            return [torch.eq(guess, target).sum()]
        target = _aligned(pred, target)
        self.counts[task.name] += pred.numel()
        if kind == "binary":
            threshold = BINARY_THRESHOLDS.get(task.kind, 0.5)
            guess, truth = pred > threshold, target > 0.5
            if self.full:  # a 2×2 matrix: class 0 (negative) then class 1 (positive)
                self._confuse(task.name, 2, guess.long(), truth.long())
            return [torch.eq(guess, truth).sum()]
        diff = pred.to(self.dtype) - target.to(self.dtype)
        return [diff.abs().sum(), diff.square().sum()]

    def _confuse(self, name: str, classes: int, guess: torch.Tensor, target: torch.Tensor) -> None:
        matrix = self.confusion.get(name)
        if matrix is None:
            matrix = self.confusion[name] = torch.zeros(classes * classes, device=guess.device,
                                                        dtype=torch.int64)
        valid = (target >= 0) & (target < classes)
        cells = (target * classes + guess)[valid]
        matrix += torch.bincount(cells.flatten(), minlength=classes * classes)

    # -- per epoch ----------------------------------------------------------------
    def all_reduce(self, reduce: Callable[[torch.Tensor], None]) -> None:
        """Sum every counter across processes with ``reduce`` (in place), e.g. ``dist.all_reduce``."""
        self.reduce_kept()
        names = list(self.confusion)
        host = [float(self.samples), *(float(self.counts[t.name]) for t in self.tasks), *self.floats]
        packed = torch.cat([self.sums, *(self.confusion[k].to(self.dtype) for k in names),
                            torch.tensor(host, dtype=self.dtype, device=self.sums.device)])
        reduce(packed)
        size = len(self.sums)
        self.sums = packed[:size].clone()
        offset = size
        for k in names:
            size = self.confusion[k].numel()
            self.confusion[k] = packed[offset:offset + size].round().to(torch.int64)
            offset += size
        rest = packed[offset:].tolist()
        self.samples = int(round(rest[0]))
        for i, task in enumerate(self.tasks):
            self.counts[task.name] = int(round(rest[1 + i]))
        self.floats = rest[1 + len(self.tasks):]

    def compute(self, split: str) -> dict[str, Any]:
        """Plain-Python metrics ``{f"{split}/…": value}`` (one host sync)."""
        self.reduce_kept()
        if not self.samples:
            return {}
        values = self.sums.tolist()
        values[:self.width] = [a + b for a, b in zip(values, self.floats, strict=False)]
        n = self.samples
        out: dict[str, Any] = {f"{split}/loss": values[0] / n}
        stats = dict(zip(self.layout, values[self.width:], strict=True))
        for i, task in enumerate(self.tasks):
            prefix = f"{split}/{task.name}"
            out[f"{prefix}/loss"] = values[1 + i] / n
            count = self.counts[task.name]
            if not count:
                continue
            if task.task in ("classification", "binary"):
                out[f"{prefix}/accuracy"] = stats[(task.name, "correct")] / count
            elif task.task == "regression":
                out[f"{prefix}/mae"] = stats[(task.name, "abs")] / count
                out[f"{prefix}/rmse"] = math.sqrt(max(stats[(task.name, "sq")], 0.0) / count)
            matrix_t = self.confusion.get(task.name)
            if matrix_t is not None:
                classes = math.isqrt(matrix_t.numel())
                matrix = matrix_t.reshape(classes, classes).tolist()
                out[f"{prefix}/confusion"] = matrix
                out[f"{prefix}/per_class_accuracy"] = [
                    (row[c] / sum(row)) if sum(row) else None for c, row in enumerate(matrix)
                ]
        return out


def scalar_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """Only the number-valued entries (for CSV files, TensorBoard and progress lines)."""
    return {k: v for k, v in metrics.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}


__all__ = ["BINARY_THRESHOLDS", "LossTask", "MetricAccumulator", "scalar_metrics"]
