"""Small datasets shipped in ``assets/data/`` so that training works with no network.

Each is a compressed ``.npz`` of plain arrays read with ``allow_pickle=False``
(schema in ``assets/data/make_bundled.py``; sources in ``assets/data/LICENSES.md``).
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .core import DataError, FieldInfo, label_field

if TYPE_CHECKING:
    from .datasets import Loaded

_DIGITS = [str(i) for i in range(10)]
_IRIS_COLUMNS = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
_WINE_COLUMNS = ["alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols",
                 "flavanoids", "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
                 "od280/od315_of_diluted_wines", "proline"]
_CANCER_COLUMNS = [f"{stat} {what}" if stat != "error" else f"{what} error"
                   for stat in ("mean", "error", "worst")
                   for what in ("radius", "texture", "perimeter", "area", "smoothness", "compactness",
                                "concavity", "concave points", "symmetry", "fractal dimension")]

#: Fields of every bundled set, known without opening the files (kept in step by a test).
_FIELDS: dict[str, dict[str, FieldInfo]] = {
    "digits": {"image": FieldInfo("image", (1, 8, 8), "float32"), "label": label_field(_DIGITS),
               "parity": label_field(["even", "odd"])},
    "iris": {"features": FieldInfo("features", (4,), "float32", column_names=_IRIS_COLUMNS),
             "label": label_field(["setosa", "versicolor", "virginica"])},
    "wine": {"features": FieldInfo("features", (13,), "float32", column_names=_WINE_COLUMNS),
             "label": label_field(["class_0", "class_1", "class_2"])},
    "breast_cancer": {"features": FieldInfo("features", (30,), "float32", column_names=_CANCER_COLUMNS),
                      "label": label_field(["malignant", "benign"])},
    "mnist_subset": {"image": FieldInfo("image", (1, 28, 28), "float32"), "label": label_field(_DIGITS),
                     "parity": label_field(["even", "odd"])},
    "house_prices": {"features": FieldInfo("features", (5,), "float32",
                                           column_names=["area_m2", "bedrooms", "age_years",
                                                         "distance_km", "lot_m2"]),
                     "target": FieldInfo("target", (1,), "float32")},
}


def assets_dir() -> Path:
    """The folder that holds the bundled data files (``<repo>/assets/data``)."""
    import engine

    return Path(engine.__file__).resolve().parent.parent / "assets" / "data"


def bundled_names() -> list[str]:
    """Names of the bundled datasets, for ``DataConfig(source="bundled", name=...)``."""
    return list(_FIELDS)


def _check_name(name: str) -> None:
    if name not in _FIELDS:
        raise DataError(f"There is no bundled dataset named '{name}' — choose one of "
                        + ", ".join(_FIELDS))


def bundled_fields(name: str) -> dict[str, FieldInfo]:
    """The fields of bundled set ``name`` (copies; cheap, no file access).

    Raises:
        DataError: unknown name.
    """
    _check_name(name)
    return {k: copy.deepcopy(v) for k, v in _FIELDS[name].items()}


@functools.lru_cache(maxsize=8)
def load_arrays(name: str) -> dict[str, np.ndarray]:
    """All arrays of bundled set ``name`` (cached; treat as read-only).

    Raises:
        DataError: unknown name, or a missing/damaged file.
    """
    _check_name(name)
    path = assets_dir() / f"{name}.npz"
    if not path.is_file():
        raise DataError(f"The bundled file {path} is missing — reinstall Torchwire or rebuild it "
                        "with assets/data/make_bundled.py")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (OSError, ValueError) as err:
        raise DataError(f"The bundled file {path} cannot be read ({err}) — reinstall Torchwire") from err


def load_bundled(name: str) -> Loaded:
    """Bundled set ``name`` as in-memory datasets; ``test`` is its official test split if any."""
    from .datasets import Loaded, TensorDictDataset, tensors_from_numpy

    arrays = load_arrays(name)
    fields = bundled_fields(name)
    columns: dict[str, np.ndarray] = {}
    scales: dict[str, float] = {}
    if "images" in arrays:
        columns["image"] = arrays["images"]
        scales["image"] = float(arrays["image_scale"])
    if "features" in arrays:
        columns["features"] = arrays["features"].astype(np.float32, copy=False)
    if "labels" in arrays:
        columns["label"] = arrays["labels"].astype(np.int64, copy=False)
        if "parity" in fields:  # digit sets: a second task for multi-task examples
            columns["parity"] = columns["label"] % 2
    if "targets" in arrays:
        columns["target"] = arrays["targets"].astype(np.float32, copy=False).reshape(-1, 1)
    tensors = tensors_from_numpy(columns)
    full = TensorDictDataset(tensors, scales)
    title = f"{name} (bundled): {arrays['description']}"
    if "test_mask" in arrays:
        mask = arrays["test_mask"]
        return Loaded(full.subset(np.flatnonzero(~mask)), full.subset(np.flatnonzero(mask)), fields, title)
    return Loaded(full, None, fields, title)
