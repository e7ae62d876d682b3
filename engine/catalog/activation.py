"""Element-wise activations (shape preserving) and (log-)softmax."""

from __future__ import annotations

from .spec import LayerSpec, Param


def _act(kind: str, help: str, *params: Param, hint: str = "", preserving: bool = True) -> LayerSpec:
    return LayerSpec(
        kind=kind,
        family="activation",
        help=help,
        target=f"torch.nn.{kind}",
        params=params,
        shape_preserving=preserving,
        name_hint=hint or kind.lower(),
    )


_DIM = Param("dim", "int", 1, "Dimension the probabilities sum to 1 over", minimum=-8, maximum=8)

SPECS = [
    _act("ReLU", "max(0, x)", hint="relu"),
    _act("LeakyReLU", "x if x > 0 else slope·x",
         Param("negative_slope", "float", 0.01, "Slope for negative inputs", minimum=0)),
    _act("GELU", "Gaussian error linear unit (transformers)",
         Param("approximate", "choice", "none", "Exact or tanh approximation", choices=("none", "tanh"))),
    _act("SiLU", "x·sigmoid(x), also called swish"),
    _act("ELU", "Exponential linear unit",
         Param("alpha", "float", 1.0, "Value the negative part saturates to", minimum=0)),
    _act("Sigmoid", "1 / (1 + e^-x): squashes to (0, 1)"),
    _act("Tanh", "Hyperbolic tangent: squashes to (-1, 1)"),
    _act("ReLU6", "min(max(0, x), 6) (MobileNet)"),
    _act("Hardswish", "Piece-wise swish (MobileNetV3)"),
    _act("Hardsigmoid", "Piece-wise sigmoid (MobileNetV3)"),
    _act("Softplus", "Smooth ReLU: log(1 + e^x)",
         Param("beta", "float", 1.0, "Sharpness", minimum=0.0001)),
    # run on meta: ``dim`` must exist in the input
    _act("Softmax", "Probabilities along a dimension", _DIM, preserving=False),
    _act("LogSoftmax", "Log-probabilities along a dimension (pair with NLL loss)", _DIM, preserving=False),
]
