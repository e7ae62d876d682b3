"""torchvision-format datasets written as tiny real files: MNIST, Fashion-MNIST, CIFAR-10, ImageFolder."""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.data import DataConfig, DataError, build_datasets, describe_fields
from engine.data.vision import DEBIAN_FASHION_MNIST


def write_idx(path: Path, array: np.ndarray, compress: bool = False) -> None:
    """An idx-ubyte file of uint8 ``array`` (the MNIST format)."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        data = gzip.compress(data)
    path.write_bytes(data)


def make_mnist(root: Path, folder: str = "MNIST", n: int = 20, compress: bool = False) -> np.ndarray:
    rng = np.random.default_rng(1)
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = np.arange(n, dtype=np.uint8) % 10
    write_idx(raw / "train-images-idx3-ubyte", images, compress)
    write_idx(raw / "train-labels-idx1-ubyte", labels, compress)
    write_idx(raw / "t10k-images-idx3-ubyte", images[:8], compress)
    write_idx(raw / "t10k-labels-idx1-ubyte", labels[:8], compress)
    return images


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_torchvision_layout(tmp_path: Path, compress: bool) -> None:
    images = make_mnist(tmp_path, compress=compress)
    bundle = build_datasets(DataConfig(source="mnist", root=str(tmp_path), val_fraction=0.25))
    assert (len(bundle.train), len(bundle.val)) == (15, 5)
    assert bundle.fields["image"].shape == (1, 28, 28)
    assert bundle.fields["label"].num_classes == 10
    all_images = torch.cat([bundle.train.__getitems__(range(15)).tensors["image"],
                            bundle.val.__getitems__(range(5)).tensors["image"]])
    assert sorted(all_images.sum(dim=(1, 2, 3)).tolist()) == pytest.approx(
        sorted((images / 255.0).sum(axis=(1, 2)).tolist()), rel=1e-5)
    official = build_datasets(DataConfig(source="mnist", root=str(tmp_path), use_test_split=True))
    assert (len(official.train), len(official.val)) == (20, 8)


def test_mnist_relative_root_and_limit(tmp_path: Path) -> None:
    make_mnist(tmp_path / "data")
    bundle = build_datasets(DataConfig(source="mnist", root="data", limit=10, val_fraction=0.2),
                            base_dir=tmp_path)
    assert (len(bundle.train), len(bundle.val)) == (8, 2)
    sample = bundle.train[0]
    assert sample["image"].dtype == torch.float32 and sample["label"].dtype == torch.int64
    assert sample["label"].shape == ()


def test_fashion_mnist(tmp_path: Path) -> None:
    make_mnist(tmp_path, folder="FashionMNIST", compress=True)
    cfg = DataConfig(source="fashion_mnist", root=str(tmp_path))
    bundle = build_datasets(cfg)
    assert len(bundle.train) + len(bundle.val) == 20
    assert bundle.fields["label"].class_names[0] == "T-shirt/top"
    assert describe_fields(cfg) == bundle.fields


@pytest.mark.skipif(not DEBIAN_FASHION_MNIST.is_dir(), reason="Debian dataset-fashion-mnist not installed")
def test_fashion_mnist_debian_package() -> None:
    bundle = build_datasets(DataConfig(source="fashion_mnist", limit=100))
    assert len(bundle.train) + len(bundle.val) == 100
    assert str(DEBIAN_FASHION_MNIST) in bundle.description


def test_mnist_missing_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"MNIST files not found in .*MNIST/raw — point data.root"):
        build_datasets(DataConfig(source="mnist", root=str(tmp_path)))
    with pytest.raises(DataError, match="set data.root"):
        build_datasets(DataConfig(source="mnist"))


def test_mnist_wrong_file(tmp_path: Path) -> None:
    make_mnist(tmp_path)
    (tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte").write_bytes(b"not an idx file")
    with pytest.raises(DataError, match="not an idx-ubyte file"):
        build_datasets(DataConfig(source="mnist", root=str(tmp_path)))


def write_cifar(root: Path, batches: int = 2, n: int = 10) -> None:
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(2)
    names = [f"data_batch_{i}" for i in range(1, batches + 1)] + ["test_batch"]
    for name in names:
        entry = {"batch_label": name, "labels": [int(x) for x in rng.integers(0, 10, n)],
                 "data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                 "filenames": [f"img{i}.png" for i in range(n)]}
        with open(folder / name, "wb") as f:
            pickle.dump(entry, f, protocol=2)
    meta = {"label_names": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                            "ship", "truck"], "num_cases_per_batch": n, "num_vis": 3072}
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump(meta, f, protocol=2)


def test_cifar10(tmp_path: Path) -> None:
    write_cifar(tmp_path)
    bundle = build_datasets(DataConfig(source="cifar10", root=str(tmp_path), use_test_split=True))
    assert (len(bundle.train), len(bundle.val)) == (20, 10)
    sample = bundle.train[0]
    assert sample["image"].shape == (3, 32, 32) and 0 <= sample["image"].min() <= sample["image"].max() <= 1
    assert bundle.fields["label"].class_names[-1] == "truck"


def test_cifar10_refuses_foreign_pickle(tmp_path: Path) -> None:
    write_cifar(tmp_path, batches=1)
    with open(tmp_path / "cifar-10-batches-py" / "data_batch_1", "wb") as f:
        pickle.dump({"data": Path("/etc")}, f)  # a class outside the allowed set
    with pytest.raises(DataError, match="not a CIFAR-10 python batch"):
        build_datasets(DataConfig(source="cifar10", root=str(tmp_path)))


def test_cifar10_missing(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cifar-10-batches-py .*or enable download"):
        build_datasets(DataConfig(source="cifar10", root=str(tmp_path / "nowhere")))


def make_image_folder(root: Path, classes: tuple[str, ...] = ("cat", "dog"), per_class: int = 3,
                      size: tuple[int, int] = (12, 10)) -> None:
    for c, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = np.full((size[0], size[1], 3), 40 * c + i, dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.png")


def test_image_folder(tmp_path: Path) -> None:
    make_image_folder(tmp_path / "pets")
    cfg = DataConfig(source="image_folder", root=str(tmp_path / "pets"), val_fraction=0.5)
    assert describe_fields(cfg)["image"].shape == (3, 12, 10)
    bundle = build_datasets(cfg)
    assert bundle.fields["label"].class_names == ["cat", "dog"]
    assert (len(bundle.train), len(bundle.val)) == (3, 3)
    sample = bundle.train[0]
    assert sample["image"].shape == (3, 12, 10) and sample["image"].dtype == torch.float32
    resized = build_datasets(cfg.model_copy(update={"image_size": [8, 8]}))
    assert resized.train[0]["image"].shape == (3, 8, 8)
    assert resized.fields["image"].shape == (3, 8, 8)


def test_image_folder_with_train_val_split(tmp_path: Path) -> None:
    make_image_folder(tmp_path / "train")
    make_image_folder(tmp_path / "val", per_class=1)
    bundle = build_datasets(DataConfig(source="image_folder", root=str(tmp_path), use_test_split=True))
    assert (len(bundle.train), len(bundle.val)) == (6, 2)
    assert bundle.val[1]["label"].item() == 1


def test_image_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        build_datasets(DataConfig(source="image_folder", root=str(tmp_path / "missing")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="No class folders"):
        build_datasets(DataConfig(source="image_folder", root=str(tmp_path / "empty")))
