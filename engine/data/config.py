"""Data settings of a project: which dataset, where it lives, how it is split and augmented.

Only pydantic is imported here, so project files load without torch.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Source = Literal["bundled", "mnist", "fashion_mnist", "cifar10", "image_folder", "csv"]


class TransformConfig(BaseModel):
    """One torchvision ``transforms.v2`` step, e.g. ``{"name": "RandomCrop", "params": {"size": 28}}``."""

    model_config = ConfigDict(extra="forbid")

    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class DataConfig(BaseModel):
    """Where the samples come from and how they become train and validation sets."""

    model_config = ConfigDict(extra="forbid")

    source: Source = "bundled"
    #: Bundled set name (see ``engine.data.bundled_names()``); used when ``source == "bundled"``.
    name: str = "digits"
    #: Folder (or CSV file) for non-bundled sources; relative paths resolve against the project folder.
    root: str = ""
    #: Let torchvision download MNIST / Fashion-MNIST / CIFAR-10 into ``root`` when missing.
    download: bool = False
    #: CSV input columns; empty means every column except the target.
    csv_features: list[str] = Field(default_factory=list)
    #: CSV target column; empty means the last column.
    csv_target: str = ""
    csv_task: Literal["auto", "classification", "regression"] = "auto"
    #: ImageFolder images are resized to (height, width); None keeps their size.
    image_size: list[int] | None = None
    val_fraction: float = Field(default=0.2, ge=0.0, le=0.9)
    #: Validate on the dataset's official test split where one exists (else split by fraction).
    use_test_split: bool = False
    split_seed: int = 0
    #: Use only the first N samples of each split (quick runs and tests).
    limit: int | None = Field(default=None, ge=1)
    train_transforms: list[TransformConfig] = Field(default_factory=list)
    val_transforms: list[TransformConfig] = Field(default_factory=list)

    @field_validator("image_size")
    @classmethod
    def _check_image_size(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and (len(value) not in (1, 2) or any(v < 1 for v in value)):
            raise ValueError("image_size must be [size] or [height, width] with positive numbers")
        return value
