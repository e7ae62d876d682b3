"""Input and Output markers: where data enters the graph and what the model returns."""

from __future__ import annotations

from .spec import LayerSpec, Param, Port

SPECS = [
    LayerSpec(
        kind="Input",
        family="io",
        help="A tensor from the dataset (one field per sample, batch added) or a model input",
        role="input",
        call="none",
        inputs=(),
        outputs=(Port("out", help="The batch of this field"),),
        params=(
            Param("field", "str", "x", "Dataset field bound to this input (e.g. image, label)"),
            Param("shape", "ints", (1, 28, 28), "Shape of one sample, batch excluded", minimum=1),
            Param("dtype", "choice", "float32", "Element type", choices=("float32", "int64")),
        ),
        name_hint="input",
    ),
    LayerSpec(
        kind="Output",
        family="io",
        help="Marks a tensor the trained model returns (its name is the output's name)",
        role="output",
        call="none",
        inputs=(Port("x"),),
        outputs=(),
        name_hint="output",
    ),
]
