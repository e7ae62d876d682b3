"""Training: config, the trainer loop with events, checkpoints, metrics.

Importing this package is cheap (``engine.project`` imports the config); the
trainer and friends load torch on first access::

    from engine.training import Trainer, Callback, TrainConfig
"""

from __future__ import annotations

import importlib
from typing import Any

from .config import TrainConfig

_LAZY = {
    "Trainer": "trainer", "TrainResult": "trainer", "TrainingFailed": "trainer",
    "Callback": "callbacks", "CallbackList": "callbacks",
    "Recipe": "recipes", "SupervisedRecipe": "recipes", "TrainingSetupError": "recipes",
    "CheckpointError": "checkpoint", "load_checkpoint": "checkpoint",
}

__all__ = ["TrainConfig", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
