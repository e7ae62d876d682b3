"""Datasets for training: bundled sets, torchvision's standard files, image folders and CSV.

Every sample is a ``dict[str, torch.Tensor]`` keyed by field name:

``image``     float32 (C, H, W) in [0, 1] before any Normalize
``label``     int64 scalar class index (see ``FieldInfo.num_classes`` / ``class_names``)
``target``    float32 (1,) regression target
``features``  float32 (F,) tabular inputs

Importing this package is cheap (no torch); torch and torchvision load when data is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .bundled import assets_dir, bundled_names
from .config import DataConfig, TransformConfig
from .core import DataBundle, DataError, FieldInfo

__all__ = ["DataBundle", "DataConfig", "DataError", "FieldInfo", "TransformConfig", "assets_dir",
           "build_datasets", "bundled_names", "collate", "describe_fields", "transform_names"]


def build_datasets(config: DataConfig, base_dir: Path | None = None) -> DataBundle:
    """Load the data that ``config`` names and split it into train and validation sets.

    Args:
        config: the project's data settings.
        base_dir: folder that relative ``config.root`` paths resolve against (the
            project file's folder); the working directory when None.

    Returns:
        A ``DataBundle``. Its datasets support ``__getitems__``; pass
        ``collate_fn=engine.data.collate`` to a DataLoader for the fast batch path
        (torch's default collate also works).

    Raises:
        DataError: missing or malformed files, bad columns or transforms — the message
            names the place and the fix.
    """
    from .build import build

    return build(config, base_dir)


def describe_fields(config: DataConfig, base_dir: Path | None = None) -> dict[str, FieldInfo]:
    """The fields each sample will have (shapes after transforms), without decoding the data.

    Bundled, MNIST-family and CIFAR-10 sets need no file reads; an image folder opens
    one image header; a CSV file is parsed.

    Raises:
        DataError: as for ``build_datasets`` where the check is possible without the data.
    """
    from .build import describe

    return describe(config, base_dir)


def collate(batch: Any) -> dict[str, Any]:
    """DataLoader ``collate_fn`` that keeps pre-stacked batches as they are (lazy torch import)."""
    from .datasets import collate as _collate

    return _collate(batch)


def transform_names() -> list[str]:
    """Transform names accepted in ``train_transforms`` / ``val_transforms``."""
    from .transforms import TRANSFORM_NAMES

    return list(TRANSFORM_NAMES)
