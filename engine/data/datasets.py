"""Map-style datasets whose items are ``dict[str, Tensor]``, with a fast batch fetch.

``TensorDictDataset`` keeps every field in memory as one tensor (images as uint8
plus a scale) and fetches a whole batch with one ``index_select`` per field.
Its ``__getitems__`` returns a ``StackedBatch``: ``collate`` passes it through
with no per-sample work, and torch's ``default_collate`` still sees an ordinary
sequence of sample dicts, so both ways of building a DataLoader work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset
from torch.utils.data._utils.collate import default_collate

from .core import FieldInfo

Transform = Callable[[torch.Tensor], torch.Tensor]
Sample = dict[str, torch.Tensor]


class StackedBatch(Sequence[Sample]):
    """A batch fetched in one go: ``tensors`` maps each field to a (N, ...) tensor."""

    def __init__(self, tensors: dict[str, torch.Tensor]) -> None:
        self.tensors = tensors

    def __len__(self) -> int:
        return len(next(iter(self.tensors.values()))) if self.tensors else 0

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return {k: v[index] for k, v in self.tensors.items()}


def collate(batch: Sequence[Sample] | StackedBatch) -> dict[str, torch.Tensor]:
    """DataLoader ``collate_fn``: pass pre-stacked batches through, else ``default_collate``."""
    if isinstance(batch, StackedBatch):
        return batch.tensors
    return default_collate(batch)


def _apply_each(transform: Transform, images: torch.Tensor) -> torch.Tensor:
    """Apply ``transform`` to every image separately (random augmentations differ per sample)."""
    return torch.stack([transform(img) for img in images]) if len(images) else images


class TensorDictDataset(Dataset):
    """In-memory dataset: one tensor per field, first dimension = sample.

    Args:
        tensors: field name -> tensor of shape (N, ...).
        scales: fields stored as integers that become float32 ``value / scale`` on fetch
            (e.g. ``{"image": 255.0}`` for uint8 pixels).
        transform: applied to each ``image`` after scaling.
    """

    def __init__(self, tensors: dict[str, torch.Tensor], scales: dict[str, float] | None = None,
                 transform: Transform | None = None) -> None:
        lengths = {len(t) for t in tensors.values()}
        if len(lengths) > 1:
            raise ValueError(f"fields have different lengths: { {k: len(v) for k, v in tensors.items()} }")
        self.tensors = tensors
        self.scales = dict(scales or {})
        self.transform = transform
        self._len = lengths.pop() if lengths else 0

    def __len__(self) -> int:
        return self._len

    def _finish(self, out: dict[str, torch.Tensor], batched: bool) -> dict[str, torch.Tensor]:
        for key, scale in self.scales.items():
            out[key] = out[key].to(torch.float32, copy=True).mul_(1.0 / scale)
        if self.transform is not None and "image" in out:
            out["image"] = _apply_each(self.transform, out["image"]) if batched else self.transform(out["image"])
        return out

    def __getitem__(self, index: int) -> Sample:
        index = int(index)
        if not -self._len <= index < self._len:
            raise IndexError(f"sample {index} is out of range for a dataset of {self._len}")
        # clone unscaled fields so that callers never write into the shared storage
        out = {k: v[index] if k in self.scales else v[index].clone() for k, v in self.tensors.items()}
        return self._finish(out, batched=False)

    def __getitems__(self, indices: Sequence[int]) -> StackedBatch:
        return StackedBatch(self.take(torch.as_tensor(indices, dtype=torch.long)))

    def take(self, idx: torch.Tensor) -> dict[str, torch.Tensor]:
        """The samples at ``idx`` (an int64 tensor) as one batch: field -> (len(idx), ...) tensor."""
        return self._finish({k: v.index_select(0, idx) for k, v in self.tensors.items()}, batched=True)

    def subset(self, indices: Sequence[int] | np.ndarray) -> TensorDictDataset:
        """A copy holding only ``indices`` (same scales and transform)."""
        idx = torch.as_tensor(np.asarray(indices, dtype=np.int64))
        return TensorDictDataset({k: v.index_select(0, idx) for k, v in self.tensors.items()},
                                 self.scales, self.transform)

    def with_transform(self, transform: Transform | None) -> TensorDictDataset:
        """The same samples (shared memory) with another image transform."""
        return TensorDictDataset(self.tensors, self.scales, transform)


class ImageFileDataset(Dataset):
    """Images decoded from files on each fetch (ImageFolder); items are ``{"image", "label"}``.

    Args:
        samples: (path, class index) pairs.
        loader: opens a path as a PIL image (torchvision's ImageFolder loader, RGB).
        size: resize every image to (height, width) before ``transform``; None keeps it.
    """

    def __init__(self, samples: Sequence[tuple[str, int]], loader: Callable[[str], Any],
                 size: tuple[int, int] | None = None, transform: Transform | None = None) -> None:
        self.samples = list(samples)
        self.loader = loader
        self.size = size
        self.transform = transform

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> Sample:
        from torchvision.transforms.v2 import functional as F

        path, label = self.samples[index]
        image = F.pil_to_tensor(self.loader(path))
        if self.size is not None:
            image = F.resize(image, list(self.size), antialias=True)
        image = image.to(torch.float32).mul_(1.0 / 255.0)
        if self.transform is not None:
            image = self.transform(image)
        return {"image": image, "label": torch.tensor(label, dtype=torch.int64)}

    def subset(self, indices: Sequence[int] | np.ndarray) -> ImageFileDataset:
        """A dataset of only ``indices`` (same loader, size and transform)."""
        return ImageFileDataset([self.samples[int(i)] for i in indices], self.loader, self.size,
                                self.transform)

    def with_transform(self, transform: Transform | None) -> ImageFileDataset:
        """The same files with another image transform."""
        return ImageFileDataset(self.samples, self.loader, self.size, transform)


SplittableDataset = TensorDictDataset | ImageFileDataset


@dataclass
class Loaded:
    """What a source module hands to the builder before splitting and transforms."""

    train: SplittableDataset
    test: SplittableDataset | None
    fields: dict[str, FieldInfo]
    title: str


def split_indices(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic random split of ``range(n)`` into sorted (train, val) index arrays.

    A positive fraction always leaves at least one sample on each side when ``n >= 2``.
    """
    order = np.random.default_rng(seed).permutation(n)
    n_val = int(round(n * val_fraction))
    if val_fraction > 0 and n >= 2:
        n_val = min(max(n_val, 1), n - 1)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def tensors_from_numpy(arrays: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """Torch tensors sharing memory with (contiguous, writable copies of) ``arrays``."""
    return {k: torch.from_numpy(np.require(v, requirements=["C", "W"])) for k, v in arrays.items()}

