"""Start a run from saved weights (``TrainConfig.init_weights``): fine-tune an imported
or earlier-trained model instead of training from a fresh initialisation.

The file is a state_dict keyed by node names (``fc1.weight``) as ``torchwire import
--weights``, a run's ``weights.safetensors`` and the app's "Save weights" write it.
Every tensor whose key is in the graph is loaded; layers the file does not have (a new
head for a different number of classes) keep their fresh initialisation, and tensors
the graph has no node for are ignored. A tensor whose shape differs, or a file that
matches nothing, stops the run before it starts with a sentence naming the tensor.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from torch import nn

from ..catalog.spec import format_shape, resolve_path
from ..weights import load_state_dict_file
from .recipes import TrainingSetupError


@dataclass
class InitReport:
    """What :func:`load_initial_weights` did, for the run's start message."""

    path: str
    loaded: int
    fresh: list[str] = field(default_factory=list)  # graph tensors the file does not have
    unused: list[str] = field(default_factory=list)  # file tensors the graph has no place for

    def text(self) -> str:
        """One line, e.g. ``started from w.safetensors: 10 tensors; new: head.weight, head.bias``."""
        line = f"started from {Path(self.path).name}: {self.loaded} tensor(s) loaded"
        if self.fresh:
            line += f"; freshly initialised: {_few(self.fresh)}"
        if self.unused:
            line += f"; not in the graph: {_few(self.unused)}"
        return line


def load_initial_weights(modules: Mapping[str, nn.Module], path: str,
                         base_dir: str | os.PathLike[str] | None = None) -> InitReport:
    """Load the tensors of ``path`` that fit into ``modules`` (matched by key).

    Raises:
        WeightsError: the file is missing or unreadable (the message names it).
        TrainingSetupError: a tensor's shape differs from the graph's, or no key matches.
    """
    file = resolve_path(path, base_dir)
    state = load_state_dict_file(file)
    report = InitReport(path, 0)
    used: set[str] = set()
    for module in modules.values():
        own = module.state_dict()
        take = {}
        for key, value in state.items():
            if key not in own:
                continue
            if tuple(own[key].shape) != tuple(value.shape):
                raise TrainingSetupError(
                    f"the start-from weights {path} hold '{key}' with shape "
                    f"{format_shape(tuple(value.shape), False)} but the graph's has shape "
                    f"{format_shape(tuple(own[key].shape), False)} — change that node's parameters to "
                    "match, or rename the node so it starts fresh")
            take[key] = value
        module.load_state_dict(take, strict=False)
        used |= take.keys()
        report.fresh += [k for k in own if k not in take and not k.endswith("num_batches_tracked")]
    if not used:
        example = next(iter(state), "")
        raise TrainingSetupError(
            f"none of the tensors in the start-from weights {path} (e.g. '{example}') belongs to a node "
            "of this graph — use weights saved by Torchwire for this graph (keys are node names such "
            "as 'fc1.weight'), or clear 'Start from' in the Training panel "
            "(training.init_weights)")
    report.loaded = len(used)
    report.unused = [k for k in state if k not in used]
    return report


def _few(keys: list[str], limit: int = 4) -> str:
    more = len(keys) - limit
    return ", ".join(keys[:limit]) + (f" and {more} more" if more > 0 else "")


__all__ = ["InitReport", "load_initial_weights"]
