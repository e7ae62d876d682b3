"""Plain data types shared by every source: field descriptions, the bundle, the error.

No torch import here: ``FieldInfo`` and ``DataError`` are used by code that must load fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch.utils.data import Dataset


class DataError(ValueError):
    """A dataset cannot be found, read or configured; the message says where and how to fix it."""


@dataclass
class FieldInfo:
    """One named tensor in every sample (without the batch dimension).

    ``dtype`` is ``"float32"`` or ``"int64"``; class labels carry ``num_classes`` and
    ``class_names``; tabular ``features`` carry the CSV/table ``column_names``.
    """

    name: str
    shape: tuple[int, ...]
    dtype: str
    num_classes: int | None = None
    class_names: list[str] | None = None
    column_names: list[str] | None = None


@dataclass
class DataBundle:
    """Ready-to-use train and validation datasets plus the description of their fields."""

    train: Dataset
    val: Dataset
    fields: dict[str, FieldInfo]
    description: str


def resolve_root(root: str, base_dir: Path | None, what: str) -> Path:
    """``root`` as an absolute path; relative paths resolve against ``base_dir`` (the project folder).

    Raises:
        DataError: when ``root`` is empty.
    """
    if not root.strip():
        raise DataError(f"No location is set for the {what} — set data.root to its folder")
    path = Path(root).expanduser()
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    return path.resolve()


def label_field(class_names: list[str]) -> FieldInfo:
    """The ``label`` field for a classification set with these classes."""
    return FieldInfo("label", (), "int64", num_classes=len(class_names), class_names=list(class_names))


def format_shape(shape: tuple[int, ...]) -> str:
    """``(1, 28, 28)`` -> ``"1×28×28"`` (``"scalar"`` for ``()``)."""
    return "×".join(str(s) for s in shape) if shape else "scalar"


def describe_field(info: FieldInfo) -> str:
    """A short human description such as ``"image 1×28×28"`` or ``"label 10 classes"``."""
    if info.num_classes is not None:
        return f"{info.name} {info.num_classes} classes"
    return f"{info.name} {format_shape(info.shape)}"
