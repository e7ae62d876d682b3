"""Per-epoch metrics, accumulated on the training device without a host sync per batch.

One :class:`MetricAccumulator` per split and epoch keeps running sums as tensors
(losses weighted by batch size, correct counts, squared errors, a confusion
matrix); :meth:`MetricAccumulator.compute` turns them into plain Python values once.

Keys (``<split>`` is ``train`` or ``val``, ``<loss>`` a Loss node's name)::

    <split>/loss                       weighted sum of every Loss node (what is optimised)
    <split>/<loss>/loss                that node's own loss
    <split>/<loss>/accuracy            classification (argmax) and binary (threshold) tasks
    <split>/<loss>/mae, .../rmse       regression tasks
    val/<loss>/per_class_accuracy      classification: recall per class (None: class absent)
    val/<loss>/confusion               classification: rows = true class, columns = predicted
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

# Threshold on the prediction that means "positive" for each binary loss kind.
BINARY_THRESHOLDS = {"BCEWithLogitsLoss": 0.0, "BCELoss": 0.5}


@dataclass(frozen=True)
class LossTask:
    """What metrics a Loss node gets: its name, kind (``CrossEntropyLoss``) and task."""

    name: str
    kind: str
    task: str  # classification | binary | regression | anything else: loss only


class _Stats:
    """Running sums of the prediction metrics of one Loss node."""

    def __init__(self, task: LossTask, device: torch.device, dtype: torch.dtype, full: bool):
        self.task = task
        self.full = full
        self.correct = torch.zeros((), device=device, dtype=torch.int64)
        self.abs_err = torch.zeros((), device=device, dtype=dtype)
        self.sq_err = torch.zeros((), device=device, dtype=dtype)
        self.confusion: torch.Tensor | None = None
        self.count = 0  # target elements seen by accuracy / error metrics

    def update(self, pred: torch.Tensor, target: torch.Tensor) -> None:
        pred, target = pred.detach(), target.detach()
        task = self.task.task
        if task == "classification" and pred.dim() >= 2:
            self._classification(pred, target)
        elif task == "binary":
            if pred.shape != target.shape and pred.numel() == target.numel():
                target = target.reshape(pred.shape)
            threshold = BINARY_THRESHOLDS.get(self.task.kind, 0.5)
            self.correct += ((pred > threshold) == (target > 0.5)).sum()
            self.count += pred.numel()
        elif task == "regression":
            if pred.shape != target.shape and pred.numel() == target.numel():
                target = target.reshape(pred.shape)
            diff = pred.to(self.abs_err.dtype) - target.to(self.abs_err.dtype)
            self.abs_err += diff.abs().sum()
            self.sq_err += diff.square().sum()
            self.count += diff.numel()

    def _classification(self, pred: torch.Tensor, target: torch.Tensor) -> None:
        classes = pred.shape[1]
        guess = pred.argmax(1)
        if target.is_floating_point() and target.shape == pred.shape:  # class probabilities
            target = target.argmax(1)
        target = target.long()
        self.count += target.numel()  # ignore_index targets count as wrong; they are rare
        self.correct += (guess == target).sum()
        if self.full:
            if self.confusion is None:
                self.confusion = torch.zeros(classes * classes, device=guess.device, dtype=torch.int64)
            valid = (target >= 0) & (target < classes)
            cells = (target * classes + guess)[valid]
            self.confusion += torch.bincount(cells.flatten(), minlength=classes * classes)

    def tensors(self) -> list[torch.Tensor]:
        out = [self.correct, self.abs_err, self.sq_err]
        return out + ([self.confusion] if self.confusion is not None else [])


class MetricAccumulator:
    """Running sums of one split for one epoch.

    Losses arrive as one vector per batch, ``[total, *per-node losses]`` (see
    :meth:`add_losses`): as Python floats when the caller already has them (the
    training loop reads them for its events anyway), else as a tensor kept on the
    device. Predictions feed accuracy, errors and the confusion matrix.

    Args:
        tasks: The Loss nodes, in graph order (the order of the loss vector).
        device: Where the sums live (the training device).
        full: Also keep the confusion matrix (validation).
    """

    def __init__(self, tasks: Sequence[LossTask], device: torch.device, full: bool = False) -> None:
        self.dtype = torch.float32 if device.type == "mps" else torch.float64
        self.device = device
        self.tasks = list(tasks)
        self.stats = {t.name: _Stats(t, device, self.dtype, full) for t in tasks}
        self.loss_floats = [0.0] * (1 + len(self.tasks))
        self.loss_tensor = torch.zeros(1 + len(self.tasks), device=device, dtype=self.dtype)
        self.samples = 0

    def add_losses(self, losses: torch.Tensor | Sequence[float], n: int) -> None:
        """Add ``[total, *per-node]`` batch-mean losses of a batch of ``n`` samples."""
        self.samples += n
        if isinstance(losses, torch.Tensor):
            self.loss_tensor += losses.detach().to(self.dtype) * n
        else:
            self.loss_floats = [a + b * n for a, b in zip(self.loss_floats, losses, strict=True)]

    def add_predictions(self, predictions: dict[str, torch.Tensor],
                        targets: dict[str, torch.Tensor]) -> None:
        """Add one batch of predictions and targets (keyed by Loss node name)."""
        for name, stats in self.stats.items():
            if stats.task.task in ("classification", "binary", "regression") \
                    and name in predictions and name in targets:
                stats.update(predictions[name], targets[name])

    def all_reduce(self, reduce: Callable[[torch.Tensor], None]) -> None:
        """Sum every counter across processes with ``reduce`` (in place), e.g. ``dist.all_reduce``."""
        scalars = [self.samples, *(s.count for s in self.stats.values()), *self.loss_floats]
        tensors = [self.loss_tensor, *(t for s in self.stats.values() for t in s.tensors())]
        packed = torch.cat([t.reshape(-1).to(self.dtype) for t in tensors]
                           + [torch.tensor(scalars, dtype=self.dtype, device=self.device)])
        reduce(packed)
        offset = 0
        for t in tensors:
            t.copy_(packed[offset:offset + t.numel()].reshape(t.shape).to(t.dtype))
            offset += t.numel()
        rest = packed[offset:].tolist()
        self.samples = int(round(rest[0]))
        for i, stats in enumerate(self.stats.values()):
            stats.count = int(round(rest[1 + i]))
        self.loss_floats = rest[1 + len(self.stats):]

    def compute(self, split: str) -> dict[str, Any]:
        """Plain-Python metrics ``{f"{split}/…": value}`` (one host sync)."""
        if not self.samples:
            return {}
        names = list(self.stats)
        packed = torch.cat([self.loss_tensor, *(torch.stack([t.to(self.dtype) for t in
                                                             self.stats[name].tensors()[:3]])
                                                for name in names)]).tolist()
        n = self.samples
        k = 1 + len(names)
        losses = [a + b for a, b in zip(packed[:k], self.loss_floats, strict=True)]
        out: dict[str, Any] = {f"{split}/loss": losses[0] / n}
        for i, name in enumerate(names):
            stats = self.stats[name]
            correct, abs_err, sq_err = packed[k + 3 * i: k + 3 * i + 3]
            prefix = f"{split}/{name}"
            out[f"{prefix}/loss"] = losses[1 + i] / n
            if not stats.count:
                continue
            if stats.task.task in ("classification", "binary"):
                out[f"{prefix}/accuracy"] = correct / stats.count
            elif stats.task.task == "regression":
                out[f"{prefix}/mae"] = abs_err / stats.count
                out[f"{prefix}/rmse"] = math.sqrt(sq_err / stats.count)
            if stats.confusion is not None:
                classes = math.isqrt(stats.confusion.numel())
                matrix = stats.confusion.reshape(classes, classes).tolist()
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
