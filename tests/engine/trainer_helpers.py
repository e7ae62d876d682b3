"""Tiny graphs and in-memory datasets for the trainer tests (fast on 2 CPU cores)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from engine.data import FieldInfo
from engine.graph import Graph
from engine.training import Callback


class DictDataset(torch.utils.data.Dataset):
    """Items ``{field: tensor[i]}``; ``batched=True`` adds ``__getitems__`` (the fast path)."""

    def __init__(self, tensors: dict[str, torch.Tensor]) -> None:
        self.tensors = tensors

    def __len__(self) -> int:
        return len(next(iter(self.tensors.values())))

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {k: v[i] for k, v in self.tensors.items()}


class BatchedDictDataset(DictDataset):
    def __getitems__(self, indices: list[int]) -> list[dict[str, torch.Tensor]]:
        idx = torch.as_tensor(indices)
        stacked = {k: v[idx] for k, v in self.tensors.items()}
        return [{k: v[i] for k, v in stacked.items()} for i in range(len(idx))]


@dataclass
class Bundle:
    train: Any
    val: Any
    fields: dict[str, FieldInfo]
    description: str = "test data"


def blobs(n: int = 96, features: int = 4, classes: int = 3, seed: int = 0,
          batched: bool = True, extra: dict[str, torch.Tensor] | None = None) -> Bundle:
    """Linearly separable-ish Gaussian blobs: ``features`` float32 (F,), ``label`` int64 ()."""
    g = torch.Generator().manual_seed(seed)
    label = torch.randint(0, classes, (n,), generator=g)
    centers = torch.randn(classes, features, generator=g) * 3
    x = centers[label] + torch.randn(n, features, generator=g)
    tensors = {"features": x, "label": label, **(extra or {})}
    cls = BatchedDictDataset if batched else DictDataset
    cut = n * 3 // 4
    train = cls({k: v[:cut] for k, v in tensors.items()})
    val = cls({k: v[cut:] for k, v in tensors.items()})
    fields = {"features": FieldInfo("features", (features,), "float32"),
              "label": FieldInfo("label", (), "int64", num_classes=classes,
                                 class_names=[str(i) for i in range(classes)])}
    for k, v in (extra or {}).items():
        fields[k] = FieldInfo(k, tuple(v.shape[1:]), "float32")
    return Bundle(train, val, fields)


def mlp(features: int = 4, classes: int = 3, hidden: int = 16, dropout: float = 0.0,
        loss: str = "CrossEntropyLoss") -> Graph:
    """features -> fc1 -> relu [-> dropout] -> fc2 -> Output 'logits'; loss(fc2, label)."""
    g = Graph()
    x = g.add_node("Input", "features", {"field": "features", "shape": [features]})
    fc1 = g.add_node("Linear", "fc1", {"out_features": hidden})
    relu = g.add_node("ReLU", "relu")
    chain = [x, fc1, relu]
    if dropout:
        chain.append(g.add_node("Dropout", "drop", {"p": dropout}))
    fc2 = g.add_node("Linear", "fc2", {"out_features": classes})
    out = g.add_node("Output", "logits")
    chain += [fc2, out]
    for a, b in zip(chain, chain[1:], strict=False):
        g.connect(a.id, a.output_ports()[0], b.id, b.input_ports()[0])
    label = g.add_node("Input", "label", {"field": "label", "shape": [], "dtype": "int64"})
    lossnode = g.add_node(loss, "loss")
    g.connect(fc2.id, "out", lossnode.id, "prediction")
    g.connect(label.id, "out", lossnode.id, "target")
    return g


@dataclass
class Recorder(Callback):
    """Records every hook call as (hook, args)."""

    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def _rec(self, hook: str, *args: Any) -> None:
        self.calls.append((hook, args))

    def on_fit_start(self, info): self._rec("on_fit_start", info)  # noqa: E704
    def on_epoch_start(self, epoch): self._rec("on_epoch_start", epoch)  # noqa: E704
    def on_batch_end(self, step, epoch, batch, loss, losses, lr, samples_per_s):  # noqa: E704
        self._rec("on_batch_end", step, epoch, batch, loss, losses, lr, samples_per_s)
    def on_validation_end(self, epoch, metrics): self._rec("on_validation_end", epoch, metrics)  # noqa: E704
    def on_epoch_end(self, epoch, metrics): self._rec("on_epoch_end", epoch, metrics)  # noqa: E704
    def on_checkpoint(self, path): self._rec("on_checkpoint", path)  # noqa: E704
    def on_finished(self, result): self._rec("on_finished", result)  # noqa: E704
    def on_failed(self, message): self._rec("on_failed", message)  # noqa: E704
    def on_fit_end(self): self._rec("on_fit_end")  # noqa: E704

    def names(self) -> list[str]:
        return [c[0] for c in self.calls]

    def of(self, hook: str) -> list[tuple[Any, ...]]:
        return [c[1] for c in self.calls if c[0] == hook]
