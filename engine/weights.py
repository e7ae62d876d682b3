"""Read weight files safely: safetensors, or a torch.save'd state_dict loaded with
``torch.load(weights_only=True)`` (nothing in the file is ever executed)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import TorchwireError

SAFETENSORS_SUFFIXES = (".safetensors",)
TORCH_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt")
# Keys under which checkpoints commonly nest the model's state_dict.
_NESTED_KEYS = ("state_dict", "model_state_dict", "model")


class WeightsError(TorchwireError):
    """A weights file cannot be read or does not hold a state_dict."""


def load_state_dict_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a state_dict (``{key: Tensor}``) from ``.safetensors``, ``.pt`` or ``.pth``.

    Torch files are read with ``weights_only=True`` onto the CPU. A checkpoint
    that nests the weights under ``state_dict``, ``model_state_dict`` or
    ``model`` is unwrapped.

    Raises:
        WeightsError: missing or unreadable file, a file holding something other
            than tensors, or an unknown format; the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: weights file not found — check the path")
    kind = _sniff(path)
    if kind == "safetensors":
        state = _load_safetensors(path)
    elif kind == "torch":
        state = _load_torch(path)
    else:
        raise WeightsError(f"{path}: not a weights file Torchwire can read — use a .safetensors file "
                           "or a .pt/.pth file written by torch.save(model.state_dict())")
    return _as_state_dict(state, path)


def _sniff(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in SAFETENSORS_SUFFIXES:
        return "safetensors"
    if suffix in TORCH_SUFFIXES:
        return "torch"
    with path.open("rb") as fh:
        head = fh.read(9)
    if head[:2] == b"PK" or head[:1] == b"\x80":  # torch zip archive or legacy pickle
        return "torch"
    if len(head) == 9 and head[8:9] == b"{":  # 8-byte header length, then JSON
        return "safetensors"
    return "unknown"


def _load_safetensors(path: Path) -> dict[str, Any]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as err:
        raise WeightsError(f"{path}: not a valid safetensors file ({_first_line(err)})") from None


def _load_torch(path: Path) -> Any:
    import pickle

    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(err))
        if found is None:
            raise WeightsError(f"{path}: not a readable PyTorch file (it is damaged or not a "
                               "torch.save file)") from None
        raise WeightsError(
            f"{path}: holds Python objects other than tensors ({found.group(1)}), which are not loaded "
            "for safety — save model.state_dict() instead of the whole model") from None
    except (RuntimeError, OSError, EOFError, ValueError) as err:
        raise WeightsError(f"{path}: not a readable PyTorch file ({_first_line(err)})") from None


def _as_state_dict(obj: Any, path: Path) -> dict[str, Any]:
    import torch

    if isinstance(obj, Mapping):
        for key in _NESTED_KEYS:
            inner = obj.get(key)
            if isinstance(inner, Mapping) and inner and all(
                    isinstance(v, torch.Tensor) for v in inner.values()):
                obj = inner
                break
    if not isinstance(obj, Mapping):
        raise WeightsError(f"{path}: holds a {type(obj).__name__}, not a state_dict "
                           "(a mapping of names to tensors)")
    bad = [str(k) for k, v in obj.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise WeightsError(f"{path}: is not a plain state_dict — entries {shown} are not tensors")
    return dict(obj)


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


__all__ = ["WeightsError", "load_state_dict_file"]
