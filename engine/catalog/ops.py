"""Small functional ops used by function-style specs.

The compiler calls these with torch.fx proxies, so the generated code contains
only the plain torch calls inside them (no reference to Torchwire remains).
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any


def reshape(x: Any, shape: tuple[int, ...]) -> Any:
    """Reshape each sample of a batch; the batch dimension is kept as is."""
    import torch

    return torch.unflatten(torch.flatten(x, 1), 1, tuple(shape))


def permute(x: Any, dims: tuple[int, ...]) -> Any:
    return x.permute(*dims)


def narrow(x: Any, dim: int, start: int, length: int) -> Any:
    """``length`` entries of dimension ``dim`` from ``start`` (one chunk of ``x.chunk``)."""
    return x.narrow(dim, start, length)


def select(x: Any, dim: int, index: int) -> Any:
    """Entry ``index`` of dimension ``dim``, which disappears (``x[:, 0]``: the first token)."""
    return x.select(dim, index)


def mean(x: Any, dims: tuple[int, ...], keepdim: bool = False) -> Any:
    """Average over ``dims`` of each sample (e.g. (2, 3): global average pooling)."""
    return x.mean(dim=tuple(dims), keepdim=keepdim)


def scale(x: Any, scale: float = 1.0, shift: float = 0.0) -> Any:
    """``x * scale + shift`` with constants (only the parts that change something)."""
    if scale != 1.0:
        x = x * scale
    if shift != 0.0:
        x = x + shift
    return x


def add(*xs: Any) -> Any:
    return reduce(operator.add, xs)


def multiply(*xs: Any) -> Any:
    return reduce(operator.mul, xs)


def concat(*xs: Any, dim: int = 1) -> Any:
    import torch

    return torch.cat(list(xs), dim)
