"""Normalisation layers."""

from __future__ import annotations

from typing import Any

from .common import auto_int, fill_auto
from .spec import AUTO, LayerSpec, Param, auto_from

_EPS = Param("eps", "float", 1e-5, "Added to the variance for numerical stability", minimum=0)
_MOMENTUM = Param("momentum", "float", 0.1, "Running-statistics update rate", minimum=0, maximum=1)
_AFFINE = Param("affine", "bool", True, "Learn a per-feature scale and shift")


def _batchnorm(kind: str, target: str, help: str, ranks: tuple[int, ...]) -> LayerSpec:
    return LayerSpec(
        kind=kind,
        family="normalisation",
        help=help,
        target=target,
        params=(
            auto_int("num_features", "Channels / features C (auto: input dimension 1)"),
            _EPS,
            _MOMENTUM,
            _AFFINE,
            Param("track_running_stats", "bool", True, "Keep running mean/var for evaluation"),
        ),
        kwargs=lambda p, s: fill_auto(p, s, {"num_features": 1}, kind),
        shape_preserving=True,
        ranks=ranks,
        name_hint="bn",
    )


def _layernorm_kwargs(p: dict[str, Any], s: Any) -> dict[str, Any]:
    out = dict(p)
    if out["normalized_shape"] == AUTO:
        out["normalized_shape"] = (auto_from(s, -1, "LayerNorm normalized_shape"),)
    return out


SPECS = [
    _batchnorm("BatchNorm1d", "torch.nn.BatchNorm1d", "Batch normalisation over N×C or N×C×L", (2, 3)),
    _batchnorm("BatchNorm2d", "torch.nn.BatchNorm2d", "Batch normalisation over N×C×H×W", (4,)),
    LayerSpec(
        kind="LayerNorm",
        family="normalisation",
        help="Normalises over the trailing dimensions of each sample",
        target="torch.nn.LayerNorm",
        params=(
            Param("normalized_shape", "ints", AUTO, "Trailing dims to normalise (auto: the last one)",
                  minimum=1, min_length=1, auto=True),
            _EPS,
            Param("elementwise_affine", "bool", True, "Learn a per-element scale and shift"),
        ),
        kwargs=_layernorm_kwargs,
        shape_preserving=True,
        name_hint="ln",
    ),
    LayerSpec(
        kind="GroupNorm",
        family="normalisation",
        help="Normalises channels in groups, independent of the batch size",
        target="torch.nn.GroupNorm",
        params=(
            Param("num_groups", "int", 8, "Number of channel groups (must divide the channels)", minimum=1),
            auto_int("num_channels", "Channels C (auto: input dimension 1)"),
            _EPS,
            _AFFINE,
        ),
        kwargs=lambda p, s: fill_auto(p, s, {"num_channels": 1}, "GroupNorm"),
        shape_preserving=True,
        ranks=(2, 3, 4, 5),
        name_hint="gn",
    ),
]
