"""Checkpoint files: written atomically, loadable with ``torch.load(weights_only=True)``.

A checkpoint is a dict of tensors and plain containers only::

    format, torchwire        file format version, writer version
    epoch, global_step       the last completed epoch (from 1) and optimizer steps so far
    model                    state_dict of the exported model (Inputs -> Outputs)
    modules                  {recipe module name: state_dict} (everything trained, losses included)
    optimizers, schedules    {name: state_dict}
    scaler                   AMP GradScaler state or None
    rng                      torch / numpy / python / cuda generator states, as tensors and lists
    history                  list of per-epoch metric dicts
    trainer                  best monitored loss and epoch, early-stopping counter
    config, graph, recipe    the TrainConfig and graph (as JSON-like dicts) and recipe name
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..atomic import atomic_writer, copy_atomic
from ..errors import TorchwireError

FORMAT = 1


class CheckpointError(TorchwireError):
    """A checkpoint cannot be read or does not fit the project."""


def capture_rng() -> dict[str, Any]:
    """Every generator state a run depends on, as tensors and lists (weights_only-safe)."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {"kind": str(kind), "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
                  "pos": int(pos), "has_gauss": int(has_gauss), "cached": float(cached)},
        "python": {"version": int(version), "internal": list(internal), "gauss_next": gauss_next},
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    return state


def restore_rng(state: dict[str, Any]) -> None:
    """Undo :func:`capture_rng` (CUDA states only when the same devices exist)."""
    torch.set_rng_state(state["torch"].cpu())
    np_state = state["numpy"]
    np.random.set_state((np_state["kind"], np_state["keys"].numpy().astype(np.uint32),
                         np_state["pos"], np_state["has_gauss"], np_state["cached"]))
    py = state["python"]
    random.setstate((py["version"], tuple(py["internal"]), py["gauss_next"]))
    cuda = state.get("cuda") or []
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.cpu() for s in cuda])


def save_checkpoint(state: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """``torch.save`` atomically (temp file, fsync, rename over ``path``).

    A crash at any moment leaves the previous file or the new one, never half of one.
    """
    with atomic_writer(path) as fh:
        torch.save(state, fh)
    return Path(path)


def load_checkpoint(path: str | os.PathLike[str], map_location: Any = "cpu") -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True`` (no code runs).

    Raises:
        CheckpointError: missing, unreadable, or not a Torchwire checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} not found — check the path")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # noqa: BLE001 - torch raises many types for damaged files
        raise CheckpointError(f"checkpoint {path} cannot be read ({type(err).__name__}: "
                              f"{str(err).splitlines()[0] if str(err) else ''}) — it may be "
                              "damaged or not a Torchwire checkpoint") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT or "modules" not in state:
        raise CheckpointError(f"{path} is not a Torchwire training checkpoint (format {FORMAT})")
    return state


def load_module_state(module: torch.nn.Module, state: dict[str, Any], what: str, path: Any) -> None:
    """``load_state_dict`` with a sentence naming the layers that do not match."""
    try:
        result = module.load_state_dict(state, strict=False)
    except RuntimeError as err:  # a tensor of another shape
        detail = " ".join(str(err).split())[:300]
        raise CheckpointError(f"checkpoint {path} does not fit this graph's {what}: {detail} — "
                              "was the graph edited since it was saved?") from None
    problems = []
    if result.missing_keys:
        problems.append("missing " + ", ".join(result.missing_keys[:5]))
    if result.unexpected_keys:
        problems.append("unknown " + ", ".join(result.unexpected_keys[:5]))
    if problems:
        raise CheckpointError(f"checkpoint {path} does not fit this graph's {what} ("
                              + "; ".join(problems) + ") — was the graph edited since it was saved?")


__all__ = ["FORMAT", "CheckpointError", "capture_rng", "copy_atomic", "load_checkpoint",
           "load_module_state", "restore_rng", "save_checkpoint"]
