"""Nodes that merge several tensors: residual sums, gates, concatenation."""

from __future__ import annotations

from .spec import LayerSpec, Param, Port

_INPUTS = Param("inputs", "int", 2, "Number of inputs", minimum=2, maximum=32)

SPECS = [
    LayerSpec(
        kind="Add",
        family="merge",
        help="Element-wise sum (residual connections); shapes must match or broadcast",
        target="engine.catalog.ops.add",
        call="function",
        params=(_INPUTS,),
        inputs=(Port("x", variadic=True),),
        exclude=("inputs",),
        name_hint="add",
    ),
    LayerSpec(
        kind="Multiply",
        family="merge",
        help="Element-wise product (gates, attention scales)",
        target="engine.catalog.ops.multiply",
        call="function",
        params=(_INPUTS,),
        inputs=(Port("x", variadic=True),),
        exclude=("inputs",),
        name_hint="mul",
    ),
    LayerSpec(
        kind="Concat",
        family="merge",
        help="Joins tensors along a dimension (channels by default)",
        target="engine.catalog.ops.concat",
        call="function",
        params=(_INPUTS, Param("dim", "int", 1, "Dimension to join along", minimum=-8, maximum=8)),
        inputs=(Port("x", variadic=True),),
        exclude=("inputs",),
        name_hint="cat",
    ),
]
