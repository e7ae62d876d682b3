"""Training events: the :class:`Callback` base class and the dispatcher.

Every hook receives plain Python values (ints, floats, strings, lists, dicts of
those), never tensors, so a GUI worker can forward them through Qt signals and a
logger can write them as they are. Epochs, batches and steps count from 1.

Order of one run::

    on_fit_start
    (on_epoch_start, on_batch_end × batches, on_validation_end, on_epoch_end,
     on_checkpoint × files written) × epochs
    on_finished | on_failed
    on_fit_end                      (always, from ``finally``)

A run that fails while being set up (e.g. a checkpoint that does not fit) gets
``on_failed`` and ``on_fit_end`` without ``on_fit_start``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

Metrics = dict[str, Any]  # "val/loss" -> float, "val/<loss>/confusion" -> list[list[int]], ...


class Callback:
    """Base class of training listeners: override the hooks you need (all are no-ops)."""

    def on_fit_start(self, info: dict[str, Any]) -> None:
        """Training begins; ``info`` has epochs, steps_per_epoch, device, losses, start_epoch, run_dir."""

    def on_epoch_start(self, epoch: int) -> None:
        """An epoch (counted from 1) begins."""

    def on_batch_end(self, step: int, epoch: int, batch: int, loss: float,
                     losses: dict[str, float], lr: float, samples_per_s: float) -> None:
        """One optimizer step finished: total weighted loss, per-Loss-node losses, lr, throughput."""

    def on_validation_end(self, epoch: int, metrics: Metrics) -> None:
        """Validation of ``epoch`` finished; ``metrics`` holds only the ``val/…`` keys."""

    def on_epoch_end(self, epoch: int, metrics: Metrics) -> None:
        """``epoch`` finished; ``metrics`` holds train, val, lr, samples_per_s and epoch_time."""

    def on_checkpoint(self, path: str) -> None:
        """A checkpoint file was written atomically at ``path``."""

    def on_finished(self, result: dict[str, Any]) -> None:
        """The run ended normally, stopped by request or early stopping (``result['reason']``)."""

    def on_failed(self, message: str) -> None:
        """The run failed; ``message`` is one user-facing sentence."""

    def on_fit_end(self) -> None:
        """Always called last (after on_finished or on_failed): release files, writers, bars."""


HOOKS = ("on_fit_start", "on_epoch_start", "on_batch_end", "on_validation_end", "on_epoch_end",
         "on_checkpoint", "on_finished", "on_failed", "on_fit_end")


class CallbackList:
    """Calls each hook on every callback, in the order they were given.

    An exception raised by a callback propagates (it fails the run) except in
    ``on_failed`` and ``on_fit_end``, which must reach every listener: there it is
    logged and the next callback still runs.
    """

    def __init__(self, callbacks: Iterable[Callback] = ()) -> None:
        self.callbacks = list(callbacks)

    def append(self, callback: Callback) -> None:
        self.callbacks.append(callback)

    def listens(self, hook: str) -> bool:
        """Whether some callback overrides ``hook`` (the loop skips building unheard events)."""
        default = getattr(Callback, hook)
        for callback in self.callbacks:
            method = getattr(callback, hook, None)
            if method is not None and getattr(method, "__func__", method) is not default:
                return True
        return False

    def fire(self, hook: str, *args: Any) -> None:
        """Call ``hook(*args)`` on every callback."""
        for callback in self.callbacks:
            getattr(callback, hook)(*args)

    def fire_safely(self, hook: str, *args: Any) -> None:
        """Like :meth:`fire`, but a failing callback is logged and the others still run."""
        for callback in self.callbacks:
            try:
                getattr(callback, hook)(*args)
            except Exception:  # noqa: BLE001 - teardown must reach every listener
                log.exception("callback %s.%s failed", type(callback).__name__, hook)


__all__ = ["HOOKS", "Callback", "CallbackList", "Metrics"]
