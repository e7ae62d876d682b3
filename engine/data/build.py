"""Turn a ``DataConfig`` into train/validation datasets: load, limit, split, transform."""

from __future__ import annotations

from pathlib import Path

from .bundled import bundled_fields, load_bundled
from .config import DataConfig
from .core import DataBundle, DataError, FieldInfo, describe_field
from .datasets import Loaded, SplittableDataset, split_indices
from .image_folder import describe_image_folder, load_image_folder
from .tables import load_csv, read_csv
from .transforms import resolve_transforms
from .vision import describe_cifar10, describe_idx, load_cifar10, load_idx


def _load(config: DataConfig, base_dir: Path | None) -> Loaded:
    if config.source == "bundled":
        return load_bundled(config.name)
    if config.source in ("mnist", "fashion_mnist"):
        return load_idx(config, base_dir)
    if config.source == "cifar10":
        return load_cifar10(config, base_dir)
    if config.source == "image_folder":
        return load_image_folder(config, base_dir)
    if config.source == "csv":
        return load_csv(config, base_dir)
    raise DataError(f"Unknown data source '{config.source}'")  # pydantic prevents this


def _base_fields(config: DataConfig, base_dir: Path | None) -> dict[str, FieldInfo]:
    if config.source == "bundled":
        return bundled_fields(config.name)
    if config.source in ("mnist", "fashion_mnist"):
        return describe_idx(config, base_dir)
    if config.source == "cifar10":
        return describe_cifar10(config, base_dir)
    if config.source == "image_folder":
        return describe_image_folder(config, base_dir)
    if config.source == "csv":
        return read_csv(config, base_dir).fields()
    raise DataError(f"Unknown data source '{config.source}'")


def describe(config: DataConfig, base_dir: Path | None = None) -> dict[str, FieldInfo]:
    """Fields of the samples ``build`` would produce (image shape after transforms)."""
    fields = _base_fields(config, base_dir)
    resolve_transforms(config.train_transforms, config.val_transforms, fields)
    return fields


def _first(ds: SplittableDataset, limit: int | None) -> SplittableDataset:
    return ds if limit is None or limit >= len(ds) else ds.subset(range(limit))


def build(config: DataConfig, base_dir: Path | None = None) -> DataBundle:
    """Train and validation datasets for ``config``; see ``engine.data.build_datasets``."""
    loaded = _load(config, base_dir)
    fields = loaded.fields
    train_tf, val_tf = resolve_transforms(config.train_transforms, config.val_transforms, fields)
    pool = _first(loaded.train, config.limit)
    if config.use_test_split and loaded.test is not None:
        train, val = pool, _first(loaded.test, config.limit)
        how = "official test split for validation"
    else:
        train_idx, val_idx = split_indices(len(pool), config.val_fraction, config.split_seed)
        train, val = pool.subset(train_idx), pool.subset(val_idx)
        how = f"{config.val_fraction:.0%} held out for validation (seed {config.split_seed})"
        if config.use_test_split:
            how += "; this dataset has no official test split"
    if len(train) == 0:
        raise DataError("The training set is empty — lower val_fraction or raise limit")
    train, val = train.with_transform(train_tf), val.with_transform(val_tf)
    text = (f"{loaded.title}. {len(train):,} training / {len(val):,} validation samples, {how}. "
            "Fields: " + ", ".join(describe_field(f) for f in fields.values()) + ".")
    return DataBundle(train=train, val=val, fields=fields, description=text)
