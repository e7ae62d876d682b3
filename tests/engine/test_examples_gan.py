"""The adversarial recipe on the GAN example: two optimizers, finite losses, samples that move."""

from __future__ import annotations

import math

import pytest
import torch

from engine.data import build_datasets
from engine.examples import open_example
from engine.training import Callback, Trainer, TrainingSetupError
from engine.training.gan import SAMPLE_COUNT, SAMPLES_KEY, GANRecipe, sample_grid, split_gan_graph


class Record(Callback):
    def __init__(self) -> None:
        self.epochs: list[dict] = []
        self.batches: list[dict[str, float]] = []

    def on_batch_end(self, step, epoch, batch, loss, losses, lr, samples_per_s) -> None:  # noqa: ANN001
        self.batches.append(dict(losses))

    def on_epoch_end(self, epoch: int, metrics: dict) -> None:
        self.epochs.append(metrics)


def test_gan_trains_two_epochs_on_the_digits() -> None:
    project = open_example("gan_digits")
    project.training.epochs = 2
    bundle = build_datasets(project.data, project.base_dir)
    record = Record()
    trainer = Trainer(project.graph, bundle, project.training, callbacks=[record], name=project.name)
    result = trainer.fit()
    assert result.reason == "completed"
    assert isinstance(trainer.recipe, GANRecipe)
    assert set(trainer.optimizers) == {"generator", "discriminator"}
    assert record.batches and all(set(b) == {"discriminator", "generator"} for b in record.batches)
    assert all(math.isfinite(v) for b in record.batches for v in b.values())
    for m in record.epochs:
        for key in ("train/discriminator/loss", "train/generator/loss",
                    "val/discriminator/loss", "val/generator/loss"):
            assert math.isfinite(m[key]), key
        # how often the discriminator tells real from generated (the app plots it per epoch)
        for split in ("train", "val"):
            assert 0.0 <= m[f"{split}/discriminator/accuracy"] <= 1.0
            assert f"{split}/generator/accuracy" not in m
    first, second = (m[SAMPLES_KEY] for m in record.epochs)
    assert isinstance(first, list) and len(first) == SAMPLE_COUNT
    assert torch.tensor(first).shape == (SAMPLE_COUNT, 1, 8, 8)  # plain nested lists of floats
    assert first != second  # the generator moved between epochs
    grid = sample_grid(second)
    assert (len(grid), len(grid[0])) == (32, 32)
    assert trainer.model(torch.randn(3, 16)).shape == (3, 1, 8, 8)  # the export is the generator


def test_gan_graph_problems_are_named() -> None:
    project = open_example("gan_digits")
    graph = project.graph
    split_gan_graph(graph)  # the example itself is fine
    loss = graph.add_node("MSELoss", "stray_loss")
    with pytest.raises(TrainingSetupError, match="remove the Loss nodes"):
        split_gan_graph(graph)
    graph.remove_node(loss.id)
    graph.remove_node(graph.by_name("fake").id)
    with pytest.raises(TrainingSetupError, match="exactly one generator"):
        split_gan_graph(graph)


def test_generator_shape_must_match_the_discriminator() -> None:
    project = open_example("gan_digits")
    project.graph.set_param(project.graph.by_name("g_image").id, "shape", [1, 4, 16])
    bundle = build_datasets(project.data, project.base_dir)
    with pytest.raises(TrainingSetupError, match="generator makes samples of 1×4×16"):
        Trainer(project.graph, bundle, project.training)
