"""Parameter helpers shared by the family files."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .spec import AUTO, Param, Shape, auto_from


def auto_int(name: str, help: str) -> Param:
    """A size that PyTorch needs but the incoming shape determines."""
    return Param(name, "int", AUTO, help, minimum=1, auto=True)


def ints(name: str, default: tuple[int, ...], help: str, length: int, minimum: int = 0) -> Param:
    return Param(name, "ints", default, help, minimum=minimum, length=length)


def bias(help: str = "Learn an additive bias") -> Param:
    return Param("bias", "bool", True, help)


def fill_auto(
    params: Mapping[str, Any], shapes: list[Shape], autos: Mapping[str, int], kind: str
) -> dict[str, Any]:
    """Copy ``params`` and fill each ``auto`` param named in ``autos`` from input dim ``autos[name]``."""
    out = dict(params)
    for name, dim in autos.items():
        if out.get(name) == AUTO:
            out[name] = auto_from(shapes, dim, f"{kind} {name}")
    return out
