"""What the Data panel shows about a data configuration: fields, class counts, samples (no Qt)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.data import DataConfig, build_datasets
from engine.data.core import FieldInfo, resolve_root

from .evaluate import image_to_uint8

PREVIEW_SAMPLES = 24
TABLE_ROWS = 12


@dataclass
class Preview:
    description: str
    fields: dict[str, FieldInfo]
    train_size: int
    val_size: int
    class_names: list[str] | None = None
    train_counts: list[int] = field(default_factory=list)
    val_counts: list[int] = field(default_factory=list)
    images: list[tuple[np.ndarray, str]] = field(default_factory=list)  # (uint8 image, caption)
    table: tuple[list[str], list[list[str]]] | None = None  # CSV header and first rows


def labels_of(dataset: Any) -> np.ndarray | None:
    """Every class label of a Torchwire dataset without decoding images (None if unknown)."""
    tensors = getattr(dataset, "tensors", None)
    if isinstance(tensors, dict) and "label" in tensors:
        return tensors["label"].numpy().reshape(-1)
    samples = getattr(dataset, "samples", None)
    if isinstance(samples, list) and samples and isinstance(samples[0], tuple):
        return np.asarray([s[1] for s in samples], dtype=np.int64)
    return None


def csv_head(path: Path, rows: int = TABLE_ROWS) -> tuple[list[str], list[list[str]]]:
    """Header and the first ``rows`` rows of a CSV file, as text."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        body = [row for _, row in zip(range(rows), reader, strict=False)]
    return header, body


def make_preview(config: DataConfig, base_dir: Path | None) -> Preview:
    """Build the datasets once and describe them (runs in a background thread).

    Raises:
        DataError: the data cannot be read (the message names the place and fix).
    """
    bundle = build_datasets(config, base_dir)
    label = bundle.fields.get("label")
    names = label.class_names if label is not None else None
    preview = Preview(bundle.description, bundle.fields, len(bundle.train), len(bundle.val), names)
    if label is not None and label.num_classes:
        for split, target in ((bundle.train, preview.train_counts), (bundle.val, preview.val_counts)):
            labels = labels_of(split)
            if labels is not None:
                target.extend(np.bincount(labels, minlength=label.num_classes).tolist())
    if "image" in bundle.fields:
        n = min(PREVIEW_SAMPLES, len(bundle.train))
        for i in range(n):
            item = bundle.train[i]
            image = image_to_uint8(item["image"])
            if image is None:
                continue
            caption = ""
            if "label" in item:
                k = int(item["label"])
                caption = names[k] if names and 0 <= k < len(names) else str(k)
            elif "target" in item:
                caption = f"{float(item['target'].reshape(-1)[0]):.3g}"
            preview.images.append((image, caption))
    if config.source == "csv":
        preview.table = csv_head(resolve_root(config.root, base_dir, "CSV file"))
    return preview
