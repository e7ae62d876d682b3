"""The training configuration stored in a project file (a validated dataclass).

Only pydantic is imported here, so project files load without torch. Every field
has a default; invalid combinations are rejected with a sentence naming the field.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic.dataclasses import dataclass

Optimizer = Literal["sgd", "adam", "adamw", "rmsprop", "adagrad"]
Schedule = Literal["none", "step", "cosine", "onecycle", "plateau"]
Recipe = Literal["supervised", "gan"]

_DEVICE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


@dataclass(config=ConfigDict(extra="forbid"))
class TrainConfig:
    """Hyperparameters of a run. Every field has a sensible default.

    Epochs are counted from 1. ``schedule`` chooses how the learning rate moves
    after ``warmup_epochs`` of linear warm-up (``onecycle`` uses the warm-up as its
    rising phase); ``plateau`` and early stopping watch the validation loss (the
    training loss when there is no validation set).
    """

    # -- loop ------------------------------------------------------------------
    epochs: int = Field(5, ge=1, le=100_000)
    batch_size: int = Field(64, ge=1, le=1_000_000)
    num_workers: int = Field(0, ge=0, le=64)
    seed: int = Field(0, ge=0, lt=2**63)
    device: str = "auto"
    amp: bool = False
    recipe: Recipe = "supervised"
    # -- optimizer -----------------------------------------------------------
    optimizer: Optimizer = "sgd"
    lr: float = Field(0.01, gt=0, le=10)
    momentum: float = Field(0.0, ge=0, lt=1)
    nesterov: bool = False
    weight_decay: float = Field(0.0, ge=0, le=1)
    betas: tuple[float, float] = (0.9, 0.999)
    grad_clip: float | None = Field(None, gt=0)
    # -- learning-rate schedule (warm-up longer than the run is cut to the run) ---
    schedule: Schedule = "none"
    warmup_epochs: int = Field(0, ge=0)
    step_size: int = Field(10, ge=1)
    gamma: float = Field(0.1, gt=0, le=1)
    patience: int = Field(5, ge=1)
    factor: float = Field(0.1, gt=0, lt=1)
    # -- stopping and checkpoints -----------------------------------------------
    early_stopping_patience: int | None = Field(None, ge=1)
    checkpoint_every: int = Field(1, ge=0)
    # A state_dict to start from instead of a fresh initialisation (absolute, or relative to
    # the project's folder); see engine/training/init_weights.py. Empty: train from scratch.
    init_weights: str = ""

    @field_validator("device")
    @classmethod
    def _check_device(cls, value: str) -> str:
        value = value.strip().lower()
        if not _DEVICE.match(value):
            raise ValueError(f"device must be auto, cpu, cuda, cuda:N or mps, not {value!r}")
        return value

    @field_validator("betas")
    @classmethod
    def _check_betas(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not all(0 <= b < 1 for b in value):
            raise ValueError("betas must be two numbers in [0, 1), e.g. [0.9, 0.999]")
        return value

    @model_validator(mode="after")
    def _check_combinations(self) -> TrainConfig:
        if self.nesterov and (self.optimizer != "sgd" or self.momentum <= 0):
            raise ValueError("nesterov needs the sgd optimizer with momentum > 0 — set momentum "
                             "(e.g. 0.9) or turn nesterov off")
        return self


__all__ = ["TrainConfig"]
