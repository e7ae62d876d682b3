"""torchvision backbones as single nodes, with optional local pretrained weights."""

from __future__ import annotations

from typing import Any

from .spec import LayerSpec, Param

ARCHES = ("resnet18", "resnet34", "resnet50", "mobilenet_v3_small", "efficientnet_b0")


def build_backbone(
    arch: str, num_classes: int = 1000, head: str = "classifier", weights: str = "",
    trainable: bool = True,
) -> Any:
    """Build a torchvision model, load local weights, optionally drop its classifier.

    Args:
        arch: torchvision model name.
        num_classes: Classes of the built-in classifier head.
        head: ``classifier`` keeps the head, ``features`` replaces it by Identity.
        weights: Path to a local state_dict (.pth/.pt, loaded with weights_only=True,
            or .safetensors); empty for random initialisation.
        trainable: When false the backbone's parameters are frozen.
    """
    import torch
    import torchvision

    model = getattr(torchvision.models, arch)(weights=None, num_classes=num_classes)
    on_meta = next(model.parameters()).device.type == "meta"
    if weights and not on_meta:
        from engine.weights import WeightsError, load_state_dict_file

        try:
            model.load_state_dict(load_state_dict_file(weights))
        except RuntimeError as err:  # keys or shapes differ
            first = (str(err).strip().splitlines() or [""])[0]
            raise WeightsError(
                f"{weights} does not fit {arch} with num_classes={num_classes}: {first} — use "
                f"weights saved from torchvision.models.{arch} and set num_classes to their head size"
            ) from None
    if head == "features":
        if hasattr(model, "fc"):
            model.fc = torch.nn.Identity()
        else:
            model.classifier = torch.nn.Identity()
    if not trainable:
        for p in model.parameters():
            p.requires_grad_(False)
    return model


def _backbone(arch: str, help: str) -> LayerSpec:
    return LayerSpec(
        kind=arch,
        family="vision",
        help=help,
        target=f"torchvision.models.{arch}",
        builder="engine.catalog.backbones.build_backbone",
        params=(
            Param("num_classes", "int", 1000, "Classes of the built-in head (must match the weights file)",
                  minimum=1),
            Param("head", "choice", "classifier", "classifier: class scores; features: pooled features",
                  choices=("classifier", "features")),
            Param("weights", "path", "", "Local pretrained weights file, absolute or relative to the "
                  "project's folder (empty: random init)"),
            Param("trainable", "bool", True, "Train the backbone (off: frozen feature extractor)"),
        ),
        kwargs=lambda p, s: {"arch": arch, **p},
        name_hint="backbone",
    )


SPECS = [
    _backbone("resnet18", "ResNet-18 (11.7 M parameters); input N×3×H×W"),
    _backbone("resnet34", "ResNet-34 (21.8 M parameters); input N×3×H×W"),
    _backbone("resnet50", "ResNet-50 (25.6 M parameters); input N×3×H×W"),
    _backbone("mobilenet_v3_small", "MobileNetV3-Small (2.5 M parameters); input N×3×H×W"),
    _backbone("efficientnet_b0", "EfficientNet-B0 (5.3 M parameters); input N×3×H×W"),
]
