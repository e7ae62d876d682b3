"""Loss nodes: a prediction and a target in, a weighted scalar out. Never exported."""

from __future__ import annotations

from .spec import LayerSpec, Param, Port

_WEIGHT = Param("weight", "float", 1.0, "Weight of this loss in the total (multi-task)", minimum=0)


def _loss(kind: str, target: str, help: str, task: str, *extra: Param) -> LayerSpec:
    return LayerSpec(
        kind=kind,
        family="losses",
        help=help,
        target=target,
        role="loss",
        params=(_WEIGHT, *extra),
        inputs=(Port("prediction"), Port("target")),
        outputs=(Port("loss", kind="loss", help="Scalar loss (not a tensor for other layers)"),),
        exclude=("weight",),
        name_hint="loss",
        tags=(task,),
    )


SPECS = [
    _loss("CrossEntropyLoss", "torch.nn.CrossEntropyLoss",
          "Classification from raw scores (logits) and class indices", "classification",
          Param("label_smoothing", "float", 0.0, "Spread this much target mass over all classes",
                minimum=0, maximum=1)),
    _loss("NLLLoss", "torch.nn.NLLLoss", "Classification from log-probabilities (after LogSoftmax)",
          "classification"),
    _loss("BCEWithLogitsLoss", "torch.nn.BCEWithLogitsLoss",
          "Binary / multi-label classification from raw scores", "binary"),
    _loss("BCELoss", "torch.nn.BCELoss", "Binary classification from probabilities (after Sigmoid)",
          "binary"),
    _loss("MSELoss", "torch.nn.MSELoss", "Regression: mean squared error", "regression"),
    _loss("L1Loss", "torch.nn.L1Loss", "Regression: mean absolute error", "regression"),
    _loss("SmoothL1Loss", "torch.nn.SmoothL1Loss", "Regression: Huber-like, robust to outliers",
          "regression", Param("beta", "float", 1.0, "Switch point between L2 and L1", minimum=0)),
]
