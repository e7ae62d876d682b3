"""Pooling layers."""

from __future__ import annotations

from typing import Any

from .common import ints
from .spec import LayerSpec, Param


def _pool_kwargs(p: dict[str, Any], s: Any) -> dict[str, Any]:
    out = dict(p)
    if out.get("stride") is None:
        out["stride"] = out["kernel_size"]
    return out


def _pool(kind: str, target: str, help: str, extra: tuple[Param, ...]) -> LayerSpec:
    return LayerSpec(
        kind=kind,
        family="pooling",
        help=help,
        target=target,
        params=(
            ints("kernel_size", (2, 2), "Size of the pooling window", 2, minimum=1),
            Param("stride", "ints", None, "Step of the window (empty: kernel_size)",
                  minimum=1, length=2, optional=True),
            ints("padding", (0, 0), "Implicit padding added on both sides", 2),
            Param("ceil_mode", "bool", False, "Round output size up instead of down"),
            *extra,
        ),
        kwargs=_pool_kwargs,
        name_hint="pool",
    )


SPECS = [
    _pool("MaxPool2d", "torch.nn.MaxPool2d", "Maximum over each window of N×C×H×W",
          (ints("dilation", (1, 1), "Spacing between window elements", 2, minimum=1),)),
    _pool("AvgPool2d", "torch.nn.AvgPool2d", "Average over each window of N×C×H×W",
          (Param("count_include_pad", "bool", True, "Count padded zeros in the average"),)),
    LayerSpec(
        kind="AdaptiveAvgPool2d",
        family="pooling",
        help="Average-pools to a fixed output size whatever the input size",
        target="torch.nn.AdaptiveAvgPool2d",
        params=(ints("output_size", (1, 1), "Target height and width", 2, minimum=1),),
        name_hint="gap",
    ),
    LayerSpec(
        kind="AdaptiveMaxPool2d",
        family="pooling",
        help="Max-pools to a fixed output size whatever the input size",
        target="torch.nn.AdaptiveMaxPool2d",
        params=(ints("output_size", (1, 1), "Target height and width", 2, minimum=1),),
        name_hint="gmp",
    ),
]
