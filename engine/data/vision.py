"""MNIST, Fashion-MNIST and CIFAR-10 read from their usual files in a local folder.

MNIST and Fashion-MNIST are idx-ubyte files (optionally ``.gz``) in torchvision's
layout ``<root>/MNIST/raw/`` (``<root>/FashionMNIST/raw/``); ``<root>/raw/`` and the
files directly in ``<root>`` are accepted too, which covers Debian's
``dataset-fashion-mnist`` package (``/usr/share/datasets/fashion-mnist``, used when
``root`` is empty). CIFAR-10 is the official ``cifar-10-batches-py`` folder. Files
are read here with numpy; torchvision's dataset classes are used only to download
(``download=True``), into the same layout.
"""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np

from .config import DataConfig
from .core import DataError, FieldInfo, label_field, resolve_root
from .datasets import Loaded, TensorDictDataset, tensors_from_numpy

#: Where Debian's ``dataset-fashion-mnist`` package installs the Fashion-MNIST files.
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")

_MNIST_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
                "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
_IDX = {"mnist": ("MNIST", "MNIST", [str(i) for i in range(10)]),
        "fashion_mnist": ("FashionMNIST", "Fashion-MNIST",
                          ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                           "Sneaker", "Bag", "Ankle boot"])}
_CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def image_fields(shape: tuple[int, ...], class_names: list[str]) -> dict[str, FieldInfo]:
    """``image`` + ``label`` fields of an image-classification set."""
    return {"image": FieldInfo("image", shape, "float32"), "label": label_field(class_names)}


# ---------------------------------------------------------------- MNIST family

def read_idx(path: Path) -> np.ndarray:
    """An idx-ubyte file (plain or ``.gz``) as a uint8 array of its declared shape.

    Raises:
        DataError: unreadable, not idx-ubyte, or truncated.
    """
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as err:
        raise DataError(f"Cannot read {path} ({err}) — replace it with an intact copy") from err
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08 or not 1 <= data[3] <= 4:
        raise DataError(f"{path} is not an idx-ubyte file of bytes (bad header) — replace it "
                        "with the original MNIST-format file")
    ndim = data[3]
    if len(data) < 4 + 4 * ndim:
        raise DataError(f"{path} is truncated inside its header — download it again")
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise DataError(f"{path} is truncated: it declares {dims} values but holds {body.size} bytes "
                        "— download it again")
    return body.reshape(dims)


def _find_file(folder: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _idx_folder(root: Path, cls_name: str, splits: list[str]) -> Path | None:
    """The first of root/<Cls>/raw, root/raw, root that holds every file of ``splits``."""
    for folder in (root / cls_name / "raw", root / "raw", root):
        if all(_find_file(folder, stem) for split in splits for stem in _MNIST_FILES[split]):
            return folder
    return None


def _idx_root(config: DataConfig, base_dir: Path | None, label: str) -> Path:
    if config.source == "fashion_mnist" and not config.root.strip() and DEBIAN_FASHION_MNIST.is_dir():
        return DEBIAN_FASHION_MNIST
    return resolve_root(config.root, base_dir, f"{label} files")


def _download(config: DataConfig, root: Path, label: str, splits: list[str]) -> None:
    import torchvision.datasets as tvd

    cls = {"mnist": tvd.MNIST, "fashion_mnist": tvd.FashionMNIST, "cifar10": tvd.CIFAR10}[config.source]
    try:
        for split in splits:
            cls(str(root), train=split == "train", download=True)
    except Exception as err:  # network and archive errors of many kinds
        raise DataError(f"Could not download {label} into {root} ({err}) — check the network, or copy "
                        "the files there yourself and turn download off") from err


def _missing_idx(label: str, cls_name: str, root: Path, splits: list[str]) -> DataError:
    wanted = ", ".join(s for split in splits for s in _MNIST_FILES[split])
    return DataError(f"{label} files not found in {root / cls_name / 'raw'} — point data.root to the "
                     f"folder that holds {cls_name}/raw ({wanted}, optionally .gz), or enable download")


def load_idx(config: DataConfig, base_dir: Path | None) -> Loaded:
    """MNIST or Fashion-MNIST (``config.source``) from idx-ubyte files."""
    cls_name, label, classes = _IDX[config.source]
    root = _idx_root(config, base_dir, label)
    splits = ["train", "test"] if config.use_test_split else ["train"]
    folder = _idx_folder(root, cls_name, splits)
    if folder is None and config.download:
        _download(config, root, label, splits)
        folder = _idx_folder(root, cls_name, splits)
    if folder is None:
        raise _missing_idx(label, cls_name, root, splits)
    sets = []
    for split in splits:
        img_path, lab_path = (_find_file(folder, stem) for stem in _MNIST_FILES[split])
        assert img_path is not None and lab_path is not None
        images, labels = read_idx(img_path), read_idx(lab_path)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DataError(f"{img_path.name} ({images.shape}) and {lab_path.name} ({labels.shape}) in "
                            f"{folder} do not match — use the original {label} files")
        tensors = tensors_from_numpy({"image": images[:, None], "label": labels.astype(np.int64)})
        sets.append(TensorDictDataset(tensors, {"image": 255.0}))
    h, w = sets[0].tensors["image"].shape[-2:]
    return Loaded(sets[0], sets[1] if len(sets) > 1 else None, image_fields((1, h, w), classes),
                  f"{label} from {folder}")


def describe_idx(config: DataConfig, base_dir: Path | None = None) -> dict[str, FieldInfo]:
    """Fields of MNIST / Fashion-MNIST without reading the files.

    Raises:
        DataError: the files are not there and download is off (names the folder).
    """
    cls_name, label, classes = _IDX[config.source]
    if not config.download:
        root = _idx_root(config, base_dir, label)
        splits = ["train", "test"] if config.use_test_split else ["train"]
        if _idx_folder(root, cls_name, splits) is None:
            raise _missing_idx(label, cls_name, root, splits)
    return image_fields((1, 28, 28), classes)


# ---------------------------------------------------------------- CIFAR-10

class _BatchUnpickler(pickle.Unpickler):
    """Unpickler for CIFAR python batches: only numpy arrays and builtins, never arbitrary code."""

    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
                ("numpy._core.multiarray", "scalar"), ("_codecs", "encode")}

    def find_class(self, module: str, name: str):  # noqa: ANN201 - pickle API
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def _read_batch(path: Path) -> dict[str, object]:
    try:
        with open(path, "rb") as f:
            entry = _BatchUnpickler(f, encoding="latin1").load()
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError) as err:
        raise DataError(f"{path} is not a CIFAR-10 python batch ({err}) — use the files of "
                        "cifar-10-python.tar.gz") from err
    if not isinstance(entry, dict):
        raise DataError(f"{path} is not a CIFAR-10 python batch — use the files of cifar-10-python.tar.gz")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in entry.items()}


def _cifar_folder(root: Path) -> Path | None:
    for folder in (root / "cifar-10-batches-py", root):
        if (folder / "data_batch_1").is_file():
            return folder
    return None


def _load_batches(paths: list[Path]) -> TensorDictDataset:
    images, labels = [], []
    for path in paths:
        entry = _read_batch(path)
        try:
            data = np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
            lab = np.asarray(entry["labels"], dtype=np.int64)
        except (KeyError, ValueError) as err:
            raise DataError(f"{path} lacks CIFAR-10 'data'/'labels' of 3×32×32 images ({err}) — use "
                            "the files of cifar-10-python.tar.gz") from err
        if len(data) != len(lab):
            raise DataError(f"{path} holds {len(data)} images but {len(lab)} labels — download it again")
        images.append(data)
        labels.append(lab)
    tensors = tensors_from_numpy({"image": np.concatenate(images), "label": np.concatenate(labels)})
    return TensorDictDataset(tensors, {"image": 255.0})


def _cifar_classes(folder: Path) -> list[str]:
    meta = folder / "batches.meta"
    if meta.is_file():
        names = _read_batch(meta).get("label_names")
        if isinstance(names, list) and names:
            return [n.decode() if isinstance(n, bytes) else str(n) for n in names]
    return list(_CIFAR_CLASSES)


def _missing_cifar(root: Path) -> DataError:
    return DataError(f"CIFAR-10 files not found in {root / 'cifar-10-batches-py'} — point data.root to "
                     "the folder that holds cifar-10-batches-py (data_batch_1…5, test_batch), "
                     "or enable download")


def load_cifar10(config: DataConfig, base_dir: Path | None) -> Loaded:
    """CIFAR-10 from ``<root>/cifar-10-batches-py`` (data_batch_1..5, test_batch)."""
    root = resolve_root(config.root, base_dir, "CIFAR-10 files")
    folder = _cifar_folder(root)
    if folder is None and config.download:
        _download(config, root, "CIFAR-10", ["train", "test"] if config.use_test_split else ["train"])
        folder = _cifar_folder(root)
    if folder is None:
        raise _missing_cifar(root)
    train = _load_batches(sorted(folder.glob("data_batch_[0-9]*")))
    test = None
    if config.use_test_split:
        if not (folder / "test_batch").is_file():
            raise DataError(f"{folder} has no test_batch — copy it there or turn use_test_split off")
        test = _load_batches([folder / "test_batch"])
    return Loaded(train, test, image_fields((3, 32, 32), _cifar_classes(folder)), f"CIFAR-10 from {folder}")


def describe_cifar10(config: DataConfig, base_dir: Path | None) -> dict[str, FieldInfo]:
    """Fields of CIFAR-10 (class names from batches.meta when it is there)."""
    classes = list(_CIFAR_CLASSES)
    root = resolve_root(config.root, base_dir, "CIFAR-10 files")
    folder = _cifar_folder(root)
    if folder is not None:
        classes = _cifar_classes(folder)
    elif not config.download:
        raise _missing_cifar(root)
    return image_fields((3, 32, 32), classes)
