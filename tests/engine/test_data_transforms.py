"""Train/validation splits and torchvision v2 transforms configured per split."""

from __future__ import annotations

import pytest
import torch
from pydantic import ValidationError

from engine.data import DataConfig, DataError, TransformConfig, build_datasets, describe_fields
from engine.data.datasets import split_indices


def _labels_and_images(ds) -> tuple[list[int], torch.Tensor]:
    batch = ds.__getitems__(range(len(ds))).tensors
    return batch["label"].tolist(), batch["image"]


def test_split_is_deterministic_and_disjoint() -> None:
    a = build_datasets(DataConfig(name="digits", split_seed=3, val_fraction=0.3))
    b = build_datasets(DataConfig(name="digits", split_seed=3, val_fraction=0.3))
    c = build_datasets(DataConfig(name="digits", split_seed=4, val_fraction=0.3))
    assert (len(a.train), len(a.val)) == (1258, 539)
    _, a_img = _labels_and_images(a.val)
    _, b_img = _labels_and_images(b.val)
    _, c_img = _labels_and_images(c.val)
    assert torch.equal(a_img, b_img) and not torch.equal(a_img, c_img)
    train_idx, val_idx = split_indices(100, 0.25, seed=0)
    assert len(set(train_idx) | set(val_idx)) == 100 and not set(train_idx) & set(val_idx)


def test_split_edge_cases() -> None:
    assert [len(x) for x in split_indices(3, 0.1, 0)] == [2, 1]  # never an empty side
    assert [len(x) for x in split_indices(10, 0.0, 0)] == [10, 0]
    bundle = build_datasets(DataConfig(name="iris", val_fraction=0.0))
    assert (len(bundle.train), len(bundle.val)) == (150, 0)
    with pytest.raises(ValidationError):
        DataConfig(val_fraction=0.95)


def test_transforms_applied_per_split() -> None:
    cfg = DataConfig(name="mnist_subset", limit=40, train_transforms=[
        TransformConfig(name="RandomCrop", params={"size": 24, "padding": 2}),
        TransformConfig(name="RandomHorizontalFlip", params={"p": 0.5}),
        TransformConfig(name="Normalize", params={"mean": [0.13], "std": [0.31]}),
    ], val_transforms=[
        TransformConfig(name="CenterCrop", params={"size": 24}),
        TransformConfig(name="Normalize", params={"mean": [0.13], "std": [0.31]}),
    ])
    bundle = build_datasets(cfg)
    assert bundle.fields["image"].shape == (1, 24, 24)
    assert describe_fields(cfg)["image"].shape == (1, 24, 24)
    train = bundle.train.__getitems__(range(8)).tensors["image"]
    val = bundle.val[0]["image"]
    assert train.shape == (8, 1, 24, 24) and val.shape == (1, 24, 24)
    assert val.min() < 0  # normalised: background (0) maps to -0.13/0.31
    assert bundle.train.__getitems__([0]).tensors["label"].dtype == torch.int64


def test_all_listed_transforms_build() -> None:
    steps = [{"name": "Pad", "params": {"padding": 2}},
             {"name": "Resize", "params": {"size": [20, 20]}},
             {"name": "RandomRotation", "params": {"degrees": 10}},
             {"name": "RandomAffine", "params": {"degrees": 5, "translate": [0.1, 0.1]}},
             {"name": "ColorJitter", "params": {"brightness": 0.2, "contrast": 0.2}},
             {"name": "CenterCrop", "params": {"size": 16}}]
    cfg = DataConfig(name="digits", limit=20, train_transforms=steps,
                     val_transforms=[{"name": "Resize", "params": {"size": [16, 16]}}])
    bundle = build_datasets(cfg)
    assert bundle.train[0]["image"].shape == (1, 16, 16)


def test_bad_transform_name_suggests() -> None:
    cfg = DataConfig(train_transforms=[{"name": "RandomFlip"}])
    with pytest.raises(DataError, match="Unknown transform 'RandomFlip' in train_transforms #1"):
        build_datasets(cfg)
    with pytest.raises(DataError, match="did you mean Normalize"):
        describe_fields(DataConfig(val_transforms=[{"name": "Normalise"}]))


def test_bad_transform_params() -> None:
    with pytest.raises(DataError, match=r"\(RandomCrop\) has no parameter 'pad' — it takes: size, padding"):
        build_datasets(DataConfig(train_transforms=[{"name": "RandomCrop", "params": {"size": 6, "pad": 1}}]))
    with pytest.raises(DataError, match=r"#1 \(Normalize\) has 3 mean values but the images have 1"):
        build_datasets(DataConfig(train_transforms=[{"name": "Normalize", "params": {
            "mean": [0.5, 0.5, 0.5], "std": [0.2, 0.2, 0.2]}}]))
    with pytest.raises(DataError, match="do not fit images of shape 1×8×8"):
        build_datasets(DataConfig(val_transforms=[{"name": "RandomCrop", "params": {"size": 12}}],
                                  train_transforms=[{"name": "RandomCrop", "params": {"size": 12}}]))
    with pytest.raises(DataError, match="train_transforms give images of 1×6×6 but val_transforms give 1×8×8"):
        build_datasets(DataConfig(train_transforms=[{"name": "RandomCrop", "params": {"size": 6}}]))


def test_config_is_strict() -> None:
    with pytest.raises(ValidationError):
        DataConfig(sorce="bundled")
    with pytest.raises(ValidationError):
        DataConfig(image_size=[0, 3])
    cfg = DataConfig.model_validate_json('{"source": "csv", "root": "x.csv", "train_transforms": '
                                         '[{"name": "Resize", "params": {"size": 8}}]}')
    assert cfg.train_transforms[0].params == {"size": 8}
