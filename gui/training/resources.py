"""What the machine offers (devices with free memory) and what a run will need (no Qt)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from engine.training.config import TrainConfig

GIB = 1024**3
# optimizer state tensors per parameter
_STATE = {"sgd": 0, "adam": 2, "adamw": 2, "rmsprop": 1, "adagrad": 1}


@dataclass
class Device:
    value: str  # TrainConfig.device value
    label: str
    free_bytes: int | None = None


def list_devices() -> list[Device]:
    """Automatic, the CPU, each CUDA device (with its free memory) and MPS when present."""
    import torch

    from ..torch_threads import training_threads

    devices = [Device("auto", "Automatic (best available)"),
               Device("cpu", f"CPU ({os.cpu_count() or 1} cores, {training_threads()} threads)")]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            name = torch.cuda.get_device_name(i)
            try:
                free, total = torch.cuda.mem_get_info(i)
            except RuntimeError:  # a busy or broken device still shows, without numbers
                devices.append(Device(f"cuda:{i}", f"cuda:{i} — {name}"))
                continue
            devices.append(Device(f"cuda:{i}", f"cuda:{i} — {name}, {free / GIB:.1f} GiB free of "
                                               f"{total / GIB:.1f} GiB", free))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append(Device("mps", "MPS (Apple GPU)"))
    return devices


@dataclass
class MemoryEstimate:
    weights: int
    gradients: int
    optimizer: int
    activations: int

    @property
    def total(self) -> int:
        return self.weights + self.gradients + self.optimizer + self.activations

    def text(self) -> str:
        return (f"≈ {human_bytes(self.total)} for training (weights {human_bytes(self.weights)}, "
                f"gradients {human_bytes(self.gradients)}, optimizer {human_bytes(self.optimizer)}, "
                f"activations {human_bytes(self.activations)})")


def estimate_memory(graph: Any, inference: Any, config: TrainConfig) -> MemoryEstimate:
    """Training memory for ``config.batch_size`` from shape inference (float32).

    Activations: every node output is kept for the backward pass and gets a gradient
    of the same size, so 2 × (sum of per-sample output sizes) × batch.
    """
    params = inference.total_params
    states = _STATE.get(config.optimizer, 1)
    if config.optimizer in ("sgd", "rmsprop") and config.momentum > 0:
        states += 1
    per_sample = 0
    for node in graph.nodes:
        if node.spec.role in ("output", "loss"):
            continue
        info = inference.nodes.get(node.id)
        for shape in (info.outputs.values() if info is not None else ()):
            if shape and shape[0]:
                numel = 1
                for d in shape:
                    numel *= int(d)
                per_sample += numel // int(shape[0])
    size = 2 if config.amp else 4
    return MemoryEstimate(weights=4 * params, gradients=4 * params, optimizer=4 * params * states,
                          activations=2 * size * per_sample * config.batch_size)


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover
