"""CSV tables: numeric feature columns and one target column (class names or numbers).

Read with the ``csv`` module and numpy. Row numbers in messages count like a
spreadsheet: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .config import DataConfig
from .core import DataError, FieldInfo, label_field, resolve_root

if TYPE_CHECKING:
    from .datasets import Loaded

#: ``csv_task="auto"`` treats a numeric target as classes when it holds whole numbers
#: with at most this many distinct values.
MAX_AUTO_CLASSES = 20


@dataclass
class Table:
    """A parsed CSV: float32 features and either int64 labels (with class names) or float32 targets."""

    features: np.ndarray
    feature_names: list[str]
    labels: np.ndarray | None
    class_names: list[str] | None
    targets: np.ndarray | None
    target_name: str

    def fields(self) -> dict[str, FieldInfo]:
        """``features`` plus ``label`` (classification) or ``target`` (regression)."""
        out = {"features": FieldInfo("features", (len(self.feature_names),), "float32",
                                     column_names=list(self.feature_names))}
        if self.class_names is not None:
            out["label"] = label_field(self.class_names)
        else:
            out["target"] = FieldInfo("target", (1,), "float32")
        return out


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    if not path.is_file():
        raise DataError(f"CSV file {path} not found — point data.root to the .csv file")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            sample = f.read(8192)
            f.seek(0)
            try:
                dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
            except csv.Error:
                dialect = csv.excel
            rows = [row for row in csv.reader(f, dialect) if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DataError(f"Cannot read CSV file {path} ({err}) — save it as UTF-8 text") from err
    if len(rows) < 2:
        raise DataError(f"CSV file {path} needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataError(f"{path.name}, row {number} has {len(row)} cells but the header has "
                            f"{len(header)} — fix that row")
    return header, rows[1:]


def _columns(config: DataConfig, header: list[str], path: Path) -> tuple[list[int], int]:
    def index(name: str) -> int:
        if name not in header:
            raise DataError(f"{path.name} has no column '{name}' — its columns are: {', '.join(header)}")
        return header.index(name)

    target = index(config.csv_target) if config.csv_target else len(header) - 1
    if config.csv_features:
        features = [index(name) for name in config.csv_features]
    else:
        features = [i for i in range(len(header)) if i != target]
    if target in features:
        raise DataError(f"Column '{header[target]}' is both a feature and the target — remove it from "
                        "csv_features")
    if not features:
        raise DataError(f"{path.name} has no feature columns besides the target '{header[target]}'")
    return features, target


def _is_classification(config: DataConfig, values: list[float | None]) -> bool:
    if config.csv_task != "auto":
        return config.csv_task == "classification"
    if any(v is None for v in values):
        return True
    distinct = set(values)
    return all(float(v).is_integer() for v in distinct) and len(distinct) <= MAX_AUTO_CLASSES


def read_csv(config: DataConfig, base_dir: Path | None) -> Table:
    """Parse the CSV named by ``config.root`` into a :class:`Table`.

    Raises:
        DataError: missing file, unknown column, ragged row, or a non-numeric feature
            (or regression target) cell — naming the file, row and column.
    """
    path = resolve_root(config.root, base_dir, "CSV file")
    header, rows = _read_rows(path)
    features, target = _columns(config, header, path)
    feats = np.empty((len(rows), len(features)), dtype=np.float32)
    for r, row in enumerate(rows):
        for c, col in enumerate(features):
            value = _number(row[col])
            if value is None:
                raise DataError(f"{path.name}, row {r + 2}, column '{header[col]}' holds "
                                f"'{row[col]}', which is not a number — fix the cell or leave the "
                                "column out of csv_features")
            feats[r, c] = value
    raw = [row[target].strip() for row in rows]
    numbers = [_number(v) for v in raw]
    names = [header[c] for c in features]
    if _is_classification(config, numbers):
        if all(v is not None for v in numbers):  # numeric classes: sort by value, "2" before "10"
            keys = sorted(set(raw), key=lambda v: (_number(v), v))
        else:
            keys = sorted(set(raw))
        lookup = {k: i for i, k in enumerate(keys)}
        labels = np.array([lookup[v] for v in raw], dtype=np.int64)
        return Table(feats, names, labels, keys, None, header[target])
    for r, value in enumerate(numbers):
        if value is None:
            raise DataError(f"{path.name}, row {r + 2}, column '{header[target]}' holds '{raw[r]}', "
                            "which is not a number — a regression target must be numeric (or set "
                            "csv_task to classification)")
    targets = np.asarray(numbers, dtype=np.float32).reshape(-1, 1)
    return Table(feats, names, None, None, targets, header[target])


def load_csv(config: DataConfig, base_dir: Path | None) -> Loaded:
    """The CSV table as an in-memory dataset (no official test split)."""
    from .datasets import Loaded, TensorDictDataset, tensors_from_numpy

    table = read_csv(config, base_dir)
    columns = {"features": table.features}
    if table.labels is not None:
        columns["label"] = table.labels
    else:
        assert table.targets is not None
        columns["target"] = table.targets
    path = resolve_root(config.root, base_dir, "CSV file")
    task = (f"{len(table.class_names)} classes" if table.class_names is not None else "regression")
    return Loaded(TensorDictDataset(tensors_from_numpy(columns)), None, table.fields(),
                  f"CSV {path} (target '{table.target_name}', {task})")
