"""Image folders in torchvision's ImageFolder layout: ``<root>/<class name>/<image files>``.

A root that holds ``train/`` plus ``val/`` (or ``test/``), each in that layout, is read as
a set with an official validation split (used when ``use_test_split`` is on).
Images are decoded as RGB on each fetch, so every image field is 3×H×W.
"""

from __future__ import annotations

import os
from pathlib import Path

from .config import DataConfig
from .core import DataError, FieldInfo, resolve_root
from .datasets import ImageFileDataset, Loaded
from .vision import image_fields

_SPLIT_NAMES = ("val", "valid", "validation", "test")


def _image_size(config: DataConfig) -> tuple[int, int] | None:
    if config.image_size is None:
        return None
    size = config.image_size
    return (size[0], size[0]) if len(size) == 1 else (size[0], size[1])


def _layout(root: Path) -> tuple[Path, Path | None]:
    """(train folder, official validation folder or None) under ``root``."""
    if not root.is_dir():
        raise DataError(f"Image folder {root} does not exist — point data.root to a folder with one "
                        "sub-folder of images per class")
    train = root / "train"
    if train.is_dir():
        for name in _SPLIT_NAMES:
            if (root / name).is_dir():
                return train, root / name
        return train, None
    return root, None


def _classes(folder: Path) -> list[str]:
    from torchvision.datasets.folder import find_classes

    try:
        return find_classes(str(folder))[0]
    except FileNotFoundError as err:
        raise DataError(f"No class folders in {folder} — put each class's images in its own "
                        "sub-folder (e.g. cats/, dogs/)") from err


def _first_image(folder: Path, classes: list[str]) -> Path:
    from torchvision.datasets.folder import IMG_EXTENSIONS

    for cls in classes:
        for dirpath, _dirs, files in sorted(os.walk(folder / cls)):
            for name in sorted(files):
                if name.lower().endswith(IMG_EXTENSIONS):
                    return Path(dirpath) / name
    raise DataError(f"No image files in the class folders of {folder} — add "
                    f"{', '.join(IMG_EXTENSIONS)} files")


def _base_shape(config: DataConfig, folder: Path, classes: list[str]) -> tuple[int, int, int]:
    size = _image_size(config)
    if size is not None:
        return (3, *size)
    from PIL import Image

    path = _first_image(folder, classes)
    try:
        with Image.open(path) as img:  # reads the header only
            w, h = img.size
    except OSError as err:
        raise DataError(f"Cannot open image {path} ({err}) — remove or replace it") from err
    return (3, h, w)


def _dataset(folder: Path, size: tuple[int, int] | None, classes: list[str] | None) -> ImageFileDataset:
    from torchvision.datasets import ImageFolder

    try:
        tv = ImageFolder(str(folder))
    except FileNotFoundError as err:
        raise DataError(f"Cannot use {folder} as an image folder ({err}) — put each class's images "
                        "in its own sub-folder") from err
    if classes is not None and tv.classes != classes:
        raise DataError(f"The class folders of {folder} ({', '.join(tv.classes)}) differ from the "
                        f"training ones ({', '.join(classes)}) — use the same class names in both")
    return ImageFileDataset(tv.samples, tv.loader, size)


def load_image_folder(config: DataConfig, base_dir: Path | None) -> Loaded:
    """An ImageFolder set; ``test`` is ``root/val`` (or test) when the root has train/ and val/."""
    root = resolve_root(config.root, base_dir, "image folder")
    train_dir, val_dir = _layout(root)
    classes = _classes(train_dir)
    size = _image_size(config)
    train = _dataset(train_dir, size, None)
    test = _dataset(val_dir, size, classes) if (val_dir is not None and config.use_test_split) else None
    fields = image_fields(_base_shape(config, train_dir, classes), classes)
    note = "" if size is not None else " (no image_size: all images must have the size of the first)"
    return Loaded(train, test, fields, f"image folder {root}{note}")


def describe_image_folder(config: DataConfig, base_dir: Path | None) -> dict[str, FieldInfo]:
    """Fields of an image folder: classes from folder names, size from image_size or the first image."""
    root = resolve_root(config.root, base_dir, "image folder")
    train_dir, _ = _layout(root)
    classes = _classes(train_dir)
    return image_fields(_base_shape(config, train_dir, classes), classes)
