"""The layer catalog: every kind the palette offers, keyed by kind name."""

from __future__ import annotations

from . import (
    activation,
    backbones,
    convolution,
    core,
    io,
    losses,
    merge,
    normalisation,
    pooling,
    recurrent,
)
from .spec import AUTO, LayerSpec, Param, ParamError, Port, format_shape

FAMILIES: dict[str, str] = {
    "io": "Inputs & outputs",
    "core": "Core",
    "convolution": "Convolution",
    "pooling": "Pooling",
    "normalisation": "Normalisation",
    "activation": "Activation",
    "merge": "Merge",
    "recurrent": "Recurrent & attention",
    "vision": "Vision backbones",
    "losses": "Losses",
}

_SPECS: dict[str, LayerSpec] = {}
for _module in (io, core, convolution, pooling, normalisation, activation, merge, recurrent,
                backbones, losses):
    for _spec in _module.SPECS:
        assert _spec.kind not in _SPECS, f"duplicate kind {_spec.kind}"
        assert _spec.family in FAMILIES, f"unknown family {_spec.family}"
        _SPECS[_spec.kind] = _spec


class UnknownKind(KeyError):
    """No catalog entry of that kind."""

    def __str__(self) -> str:
        return str(self.args[0])


def get_spec(kind: str) -> LayerSpec:
    """The spec of ``kind``. Raises UnknownKind with a readable message."""
    try:
        return _SPECS[kind]
    except KeyError:
        raise UnknownKind(f"unknown layer kind {kind!r}") from None


def all_specs() -> list[LayerSpec]:
    """Every spec, in palette order (family, then declaration order)."""
    order = list(FAMILIES)
    return sorted(_SPECS.values(), key=lambda s: order.index(s.family))


def has_kind(kind: str) -> bool:
    return kind in _SPECS


__all__ = [
    "AUTO", "FAMILIES", "LayerSpec", "Param", "ParamError", "Port", "UnknownKind",
    "all_specs", "format_shape", "get_spec", "has_kind",
]
