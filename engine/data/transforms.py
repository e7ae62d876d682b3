"""Image transforms and augmentation from ``torchvision.transforms.v2``, built from config lists.

Each step is ``{"name": "RandomCrop", "params": {"size": 28, "padding": 4}}``. Names and
parameter names are checked against torchvision before anything runs, and the whole
pipeline is tried on a blank image so that a mismatch (a Normalize with 3 means on a
grey image, a crop larger than the image) is reported when the project is checked,
not in the middle of training.
"""

from __future__ import annotations

import difflib
import inspect
from typing import TYPE_CHECKING

from .config import TransformConfig
from .core import DataError, FieldInfo, format_shape

if TYPE_CHECKING:
    from .datasets import Transform

#: Transform names a project may use (all from torchvision.transforms.v2).
TRANSFORM_NAMES: tuple[str, ...] = (
    "Normalize", "Resize", "CenterCrop", "Pad", "RandomCrop", "RandomResizedCrop",
    "RandomHorizontalFlip", "RandomVerticalFlip", "RandomRotation", "RandomAffine",
    "ColorJitter", "GaussianBlur", "RandomErasing", "Grayscale",
)


def transform_names() -> list[str]:
    """The transform names accepted in ``train_transforms`` / ``val_transforms``."""
    return list(TRANSFORM_NAMES)


def _build_one(step: TransformConfig, where: str) -> Transform:
    from torchvision.transforms import v2

    if step.name not in TRANSFORM_NAMES:
        close = difflib.get_close_matches(step.name, TRANSFORM_NAMES, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}?" if close else "choose one of " + ", ".join(TRANSFORM_NAMES)
        raise DataError(f"Unknown transform '{step.name}' in {where} — {hint}")
    cls = getattr(v2, step.name)
    accepted = [p for p in inspect.signature(cls).parameters if p not in ("self", "args", "kwargs")]
    unknown = [p for p in step.params if p not in accepted]
    if unknown:
        raise DataError(f"{where} ({step.name}) has no parameter '{unknown[0]}' — it takes: "
                        + ", ".join(accepted))
    try:
        return cls(**step.params)
    except (TypeError, ValueError) as err:
        raise DataError(f"{where} ({step.name}): {err}") from err


def build_transform(steps: list[TransformConfig], split: str = "train") -> Transform | None:
    """One callable for ``steps`` (None when empty); ``split`` names the list in messages.

    Raises:
        DataError: unknown name, unknown parameter or invalid value.
    """
    if not steps:
        return None
    from torchvision.transforms import v2

    built = [_build_one(step, f"{split}_transforms #{i}") for i, step in enumerate(steps, 1)]
    return built[0] if len(built) == 1 else v2.Compose(built)


def output_shape(transform: Transform | None, shape: tuple[int, ...], split: str) -> tuple[int, ...]:
    """The image shape after ``transform``, found by running it on a blank image.

    Raises:
        DataError: when the transforms do not fit an image of ``shape``.
    """
    if transform is None:
        return shape
    import torch

    try:
        out = transform(torch.zeros(shape, dtype=torch.float32))
    except Exception as err:  # torchvision raises many types; all mean "does not fit"
        raise DataError(f"{split}_transforms do not fit images of shape {format_shape(shape)}: "
                        f"{err}") from err
    if not isinstance(out, torch.Tensor):
        raise DataError(f"{split}_transforms must turn an image tensor into a tensor, got {type(out).__name__}")
    return tuple(out.shape)


def _check_channels(steps: list[TransformConfig], channels: int, split: str) -> None:
    """Normalize needs one mean/std per image channel (torch would silently broadcast 3 over 1)."""
    for i, step in enumerate(steps, 1):
        if step.name == "Grayscale":
            channels = int(step.params.get("num_output_channels", 1))
        if step.name != "Normalize":
            continue
        for key in ("mean", "std"):
            value = step.params.get(key)
            count = len(value) if isinstance(value, list | tuple) else 1
            if count not in (1, channels):
                raise DataError(f"{split}_transforms #{i} (Normalize) has {count} {key} values but the "
                                f"images have {channels} channel(s) — give {channels} value(s)")


def resolve_transforms(train_steps: list[TransformConfig], val_steps: list[TransformConfig],
                       fields: dict[str, FieldInfo]) -> tuple[Transform | None, Transform | None]:
    """Build both pipelines, check them on the ``image`` field and update its shape in ``fields``.

    Raises:
        DataError: transforms on a dataset without images, or train and validation
            pipelines that give different image shapes.
    """
    if not train_steps and not val_steps:
        return None, None
    if "image" not in fields:
        raise DataError("Transforms apply to images, and this dataset has none — remove "
                        "train_transforms and val_transforms")
    train_tf = build_transform(train_steps, "train")
    val_tf = build_transform(val_steps, "val")
    base = fields["image"].shape
    _check_channels(train_steps, base[0], "train")
    _check_channels(val_steps, base[0], "val")
    train_shape = output_shape(train_tf, base, "train")
    val_shape = output_shape(val_tf, base, "val")
    if train_shape != val_shape:
        raise DataError(f"train_transforms give images of {format_shape(train_shape)} but "
                        f"val_transforms give {format_shape(val_shape)} — add the same Resize/"
                        "CenterCrop to both so the network sees one size")
    fields["image"] = FieldInfo("image", train_shape, "float32")
    return train_tf, val_tf
