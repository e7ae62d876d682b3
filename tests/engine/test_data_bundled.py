"""Bundled offline datasets: counts, shapes, dtypes, field tables and loader behaviour."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from engine.data import (
    DataConfig,
    DataError,
    assets_dir,
    build_datasets,
    bundled_names,
    collate,
    describe_fields,
)
from engine.data.bundled import load_arrays

EXPECTED = {  # name: (samples, {field: shape})
    "digits": (1797, {"image": (1, 8, 8), "label": (), "parity": ()}),
    "iris": (150, {"features": (4,), "label": ()}),
    "wine": (178, {"features": (13,), "label": ()}),
    "breast_cancer": (569, {"features": (30,), "label": ()}),
    "mnist_subset": (10000, {"image": (1, 28, 28), "label": (), "parity": ()}),
    "house_prices": (200, {"features": (5,), "target": (1,)}),
}


def test_names_and_files() -> None:
    assert bundled_names() == list(EXPECTED)
    total = sum(p.stat().st_size for p in assets_dir().iterdir())
    assert total < 8 * 1024 * 1024
    assert (assets_dir() / "LICENSES.md").is_file()


@pytest.mark.parametrize("name", list(EXPECTED))
def test_bundled_set_loads(name: str) -> None:
    count, shapes = EXPECTED[name]
    # house_prices keeps its official test half out unless use_test_split is on
    bundle = build_datasets(DataConfig(name=name, val_fraction=0.25, use_test_split=True))
    assert len(bundle.train) + len(bundle.val) == count
    assert {k: f.shape for k, f in bundle.fields.items()} == shapes
    assert bundle.fields == describe_fields(DataConfig(name=name))  # static table matches the file
    sample = bundle.train[0]
    assert set(sample) == set(shapes)
    for key, shape in shapes.items():
        assert tuple(sample[key].shape) == shape
        assert str(sample[key].dtype) == "torch." + bundle.fields[key].dtype
    if "image" in sample:
        batch = bundle.train.__getitems__(list(range(len(bundle.train))))
        images = batch.tensors["image"]
        assert images.min() >= 0 and images.max() == 1.0
    if "label" in sample:
        info = bundle.fields["label"]
        labels = np.load(assets_dir() / f"{name}.npz")["labels"]
        assert info.num_classes == len(info.class_names) == labels.max() + 1
    if "features" in sample:
        names = [str(c) for c in np.load(assets_dir() / f"{name}.npz")["feature_names"]]
        assert bundle.fields["features"].column_names == names
    assert name in bundle.description


def test_house_prices_official_test_split() -> None:
    bundle = build_datasets(DataConfig(name="house_prices", use_test_split=True))
    assert (len(bundle.train), len(bundle.val)) == (100, 100)
    assert "official test split" in bundle.description
    target = bundle.train[0]["target"]
    assert target.dtype == torch.float32 and target.shape == (1,)


def test_no_official_split_falls_back_to_fraction() -> None:
    bundle = build_datasets(DataConfig(name="iris", use_test_split=True, val_fraction=0.2))
    assert (len(bundle.train), len(bundle.val)) == (120, 30)
    assert "no official test split" in bundle.description


def test_npz_has_no_pickled_objects() -> None:
    for name in EXPECTED:
        arrays = load_arrays(name)
        assert all(a.dtype != object for a in arrays.values())


def test_unknown_bundled_name() -> None:
    with pytest.raises(DataError, match="no bundled dataset named 'digitz'.*digits"):
        build_datasets(DataConfig(name="digitz"))


def test_dataloader_fast_path_and_default_collate_agree() -> None:
    bundle = build_datasets(DataConfig(name="digits", limit=100))
    fast = next(iter(DataLoader(bundle.train, batch_size=16, collate_fn=collate)))
    plain = next(iter(DataLoader(bundle.train, batch_size=16)))
    assert fast.keys() == plain.keys() == {"image", "label", "parity"}
    assert fast["image"].shape == (16, 1, 8, 8) and fast["label"].shape == (16,)
    for key in fast:
        assert torch.equal(fast[key], plain[key])


def test_limit_and_single_item_matches_batch() -> None:
    bundle = build_datasets(DataConfig(name="mnist_subset", limit=50, val_fraction=0.2))
    assert (len(bundle.train), len(bundle.val)) == (40, 10)
    batch = bundle.val.__getitems__([3, 1])
    assert torch.equal(batch[0]["image"], bundle.val[3]["image"])
    assert batch.tensors["label"][1] == bundle.val[1]["label"]


def test_import_is_torch_free() -> None:
    code = ("import sys, engine.data as d; d.describe_fields.__doc__; "
            "from engine.data.config import DataConfig; DataConfig(); "
            "assert 'torch' not in sys.modules and 'PySide6' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_digit_sets_carry_parity_for_multi_task() -> None:
    bundle = build_datasets(DataConfig(name="digits", val_fraction=0.2))
    item = bundle.train[0]
    assert int(item["parity"]) == int(item["label"]) % 2
    assert bundle.fields["parity"].class_names == ["even", "odd"]
