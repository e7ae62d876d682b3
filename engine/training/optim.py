"""Optimizers and learning-rate schedules from a :class:`TrainConfig`.

The schedule is computed from the global step rather than by chaining torch
schedulers, so warm-up combines with every schedule and its checkpoint state
is a handful of numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch

from .config import TrainConfig

# Optimizers with a fused kernel (one C++ call updates every parameter) per device type.
# The math is the same as the per-parameter loop torch uses by default on CPU; it saves a
# few dozen Python-dispatched tensor ops per step.
_FUSED = {"sgd": ("cpu", "cuda"), "adam": ("cpu", "cuda"), "adamw": ("cpu", "cuda"),
          "adagrad": ("cpu",)}


def _fused(name: str, params: list[Any]) -> dict[str, bool]:
    """``{"fused": True}`` when every parameter is a float tensor on a device with the kernel."""
    devices = _FUSED.get(name, ())
    ok = bool(params) and all(isinstance(p, torch.Tensor) and p.is_floating_point()
                              and p.device.type in devices for p in params)
    return {"fused": True} if ok else {}


def build_optimizer(config: TrainConfig, params: Iterable[Any]) -> torch.optim.Optimizer:
    """The optimizer ``config.optimizer`` over ``params`` with the config's hyperparameters.

    Uses torch's fused implementation where one exists for the parameters' device.
    """
    params = list(params)
    lr, wd = config.lr, config.weight_decay
    fast = _fused(config.optimizer, params)
    match config.optimizer:
        case "sgd":
            return torch.optim.SGD(params, lr=lr, momentum=config.momentum, nesterov=config.nesterov,
                                   weight_decay=wd, **fast)
        case "adam":
            return torch.optim.Adam(params, lr=lr, betas=config.betas, weight_decay=wd, **fast)
        case "adamw":
            return torch.optim.AdamW(params, lr=lr, betas=config.betas, weight_decay=wd, **fast)
        case "rmsprop":
            return torch.optim.RMSprop(params, lr=lr, momentum=config.momentum, weight_decay=wd)
        case "adagrad":
            return torch.optim.Adagrad(params, lr=lr, weight_decay=wd, **fast)
    raise ValueError(f"unknown optimizer {config.optimizer!r}")  # pragma: no cover - validated


class LRSchedule:
    """Sets the learning rate of ``optimizer`` before every step.

    ``lr = base_lr × warm-up × schedule × plateau``:

    * warm-up: linear from ``1/warmup_steps`` to 1 over ``warmup_epochs``;
    * ``step``: × ``gamma`` every ``step_size`` epochs (counted after warm-up);
    * ``cosine``: cosine from 1 to 0 over the epochs after warm-up;
    * ``onecycle``: cosine up from ``1/25`` to 1 over the warm-up (30 % of the run
      when ``warmup_epochs`` is 0), then cosine down to ``1/25e4``; momentum is not cycled;
    * ``plateau``: × ``factor`` when the monitored loss has not improved for ``patience``
      epochs (:meth:`epoch_end`).
    """

    def __init__(self, optimizer: torch.optim.Optimizer, config: TrainConfig, steps_per_epoch: int):
        self.optimizer = optimizer
        self.kind = config.schedule
        self.spe = max(1, steps_per_epoch)
        self.total = config.epochs * self.spe
        warm_epochs = min(config.warmup_epochs, config.epochs - 1 if config.epochs > 1 else 0)
        if self.kind == "onecycle" and warm_epochs == 0:
            self.warmup = max(1, int(0.3 * self.total))
        else:
            self.warmup = warm_epochs * self.spe
        self.step_size, self.gamma = config.step_size, config.gamma
        self.patience, self.factor = config.patience, config.factor
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.scale = 1.0  # plateau reductions so far
        self._factor: float | None = None  # the factor last written to the optimizer
        self.best = math.inf
        self.bad_epochs = 0

    def factor_at(self, step: int) -> float:
        """The multiplier of the base learning rate for 0-based optimizer step ``step``."""
        if self.kind == "onecycle":
            if step < self.warmup:
                return _cos_between(1 / 25, 1.0, step / self.warmup)
            rest = max(1, self.total - self.warmup)
            return _cos_between(1.0, 1 / 25e4, min(1.0, (step - self.warmup) / rest))
        if step < self.warmup:
            return (step + 1) / self.warmup
        after = step - self.warmup
        if self.kind == "step":
            return self.gamma ** (after // self.spe // self.step_size)
        if self.kind == "cosine":
            rest = max(1, self.total - self.warmup)
            return 0.5 * (1 + math.cos(math.pi * min(1.0, after / rest)))
        return 1.0

    def apply(self, step: int) -> float:
        """Set the lr for 0-based step ``step``; returns the first group's lr."""
        factor = self.factor_at(step) * self.scale
        if factor != self._factor:  # most schedules hold the lr for many steps
            self._factor = factor
            for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
                group["lr"] = base * factor
        return self.optimizer.param_groups[0]["lr"]

    def epoch_end(self, monitored: float | None) -> None:
        """Feed the plateau schedule the epoch's monitored loss."""
        if self.kind != "plateau" or monitored is None or not math.isfinite(monitored):
            return
        if monitored < self.best:
            self.best, self.bad_epochs = monitored, 0
        else:
            self.bad_epochs += 1
            if self.bad_epochs > self.patience:
                self.scale *= self.factor
                self.bad_epochs = 0

    def state_dict(self) -> dict[str, Any]:
        return {"scale": self.scale, "best": self.best, "bad_epochs": self.bad_epochs,
                "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.scale = float(state["scale"])
        self.best = float(state["best"])
        self.bad_epochs = int(state["bad_epochs"])
        self.base_lrs = [float(x) for x in state["base_lrs"]]
        self._factor = None  # write the lr on the next step whatever the optimizer holds


def _cos_between(start: float, end: float, t: float) -> float:
    return end + (start - end) * 0.5 * (1 + math.cos(math.pi * t))


__all__ = ["LRSchedule", "build_optimizer"]
