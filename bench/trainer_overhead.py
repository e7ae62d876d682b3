"""Trainer overhead: Torchwire's Trainer vs a hand-written PyTorch loop, same model and data.

The MNIST CNN (conv 1->10 k5, relu, maxpool 2, conv 10->20 k5, relu, maxpool 2, flatten,
fc 320->50, relu, fc 50->10) on 8,192 synthetic 1×28×28 images, batch 64, SGD
(lr 0.01, momentum 0.9), one epoch per measurement, both starting from the same
weights. The hand loop reads ``loss.item()`` each batch, like any loop that logs a
loss curve. Each round measures, and the summary gives medians over rounds:

* interleaved (the headline): one hand-loop step runs inside the Trainer's
  ``on_batch_end`` after each Trainer step, timed on its own; the Trainer's time is
  the epoch minus those steps. Both see the same machine at 10 ms granularity, which
  keeps the figure stable on a shared, busy machine. Callback dispatch and timing
  calls count against the Trainer. Done twice: the hand loop training the same
  compiled model (the Trainer's own overhead — the headline ratio), and training a
  hand-written ``nn.Module`` (adds the compiled graph's per-layer module calls).
* alternated: whole epochs, hand-written module then Trainer (order swapped every round).

    python bench/trainer_overhead.py [--rounds 7] [--samples 8192] [--threads N]

With ``--threads 1`` the interleaved figures use this thread's CPU time, which other
processes on a shared machine do not disturb (the alternated epochs stay wall time).

Target: ratio (Trainer / hand loop samples/s) >= 0.98 on CPU.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.compiler import compile_graph  # noqa: E402
from engine.data import FieldInfo  # noqa: E402
from engine.data.core import DataBundle  # noqa: E402
from engine.data.datasets import TensorDictDataset  # noqa: E402
from engine.examples import examples_dir  # noqa: E402
from engine.graph import Graph  # noqa: E402
from engine.project import load_project  # noqa: E402
from engine.training import Callback, TrainConfig, Trainer  # noqa: E402

BATCH = 64
# Interleaved timings use this clock: wall time, or with --threads 1 this thread's CPU time
# (unaffected by other processes taking the core; every op then runs on this thread).
CLOCK = time.perf_counter


def mnist_cnn_graph() -> Graph:
    """The MNIST CNN as shipped in the example gallery (the app's own project file)."""
    return load_project(examples_dir() / "mnist_cnn.json").graph


class MnistCnn(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, 5)
        self.conv2 = nn.Conv2d(10, 20, 5)
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


def hand_epoch(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, seed: int) -> float:
    """One epoch of the loop everybody writes; returns samples/s."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    start = time.perf_counter()
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
    running = 0.0
    for idx in order.split(BATCH):
        x, y = images.index_select(0, idx), labels.index_select(0, idx)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        running += loss.item()
    elapsed = time.perf_counter() - start
    assert running == running, "hand loop diverged"
    return len(images) / elapsed


class Lockstep(Callback):
    """Runs one hand-written step after every Trainer step and times it alone."""

    def __init__(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor, seed: int):
        self.model = model
        self.optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
        self.batches = iter(order.split(BATCH))
        self.images, self.labels = images, labels
        self.seconds = 0.0
        self.running = 0.0

    def on_batch_end(self, step, epoch, batch, loss, losses, lr, samples_per_s) -> None:
        start = CLOCK()
        idx = next(self.batches)
        x, y = self.images.index_select(0, idx), self.labels.index_select(0, idx)
        hand_loss = F.cross_entropy(self.model(x), y)
        self.optimizer.zero_grad(set_to_none=True)
        hand_loss.backward()
        self.optimizer.step()
        self.running += hand_loss.item()
        self.seconds += CLOCK() - start


def interleaved(graph: Graph, data: DataBundle, config: TrainConfig, init: dict, seed: int,
                images: torch.Tensor, labels: torch.Tensor, hand: nn.Module) -> tuple[float, float]:
    """(hand samples/s, trainer samples/s) measured step by step in one run."""
    hand.load_state_dict(init)
    lockstep = Lockstep(hand, images, labels, seed)
    trainer = Trainer(graph, data, config, callbacks=[lockstep])
    trainer.model.load_state_dict(init)
    start = CLOCK()
    trainer.fit()
    total = CLOCK() - start
    n = len(images)
    return n / lockstep.seconds, n / (total - lockstep.seconds)


def trainer_epoch(trainer: Trainer) -> float:
    start = time.perf_counter()
    result = trainer.fit()
    elapsed = time.perf_counter() - start
    return len(trainer.data.train) / elapsed if result.reason == "completed" else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--samples", type=int, default=8192)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    args = parser.parse_args()
    global CLOCK
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.threads == 1:
        CLOCK = time.thread_time
    g = torch.Generator().manual_seed(0)
    images = torch.rand(args.samples, 1, 28, 28, generator=g)
    labels = torch.randint(0, 10, (args.samples,), generator=g)
    train = TensorDictDataset({"image": images, "label": labels})
    empty = TensorDictDataset({"image": images[:0], "label": labels[:0]})
    data = DataBundle(train, empty, {"image": FieldInfo("image", (1, 28, 28), "float32"),
                                     "label": FieldInfo("label", (), "int64", num_classes=10)},
                      "synthetic MNIST-shaped data")
    graph = mnist_cnn_graph()
    config = TrainConfig(epochs=1, batch_size=BATCH, optimizer="sgd", lr=0.01, momentum=0.9,
                         device="cpu")

    def fresh_trainer() -> Trainer:
        return Trainer(graph, data, config)  # compiled here, outside the timing

    init = fresh_trainer().model.state_dict()

    def same_model() -> nn.Module:  # the very model the Trainer trains: the compiled graph
        return compile_graph(graph, name="MnistCnn").model

    clock = "thread CPU time" if CLOCK is time.thread_time else "wall time"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.samples} samples, "
          f"batch {BATCH}, {args.rounds} rounds (+1 warm-up); interleaved figures use {clock}")
    same, module, hand_speeds, trainer_speeds = [], [], [], []
    for r in range(args.rounds + 1):
        a = interleaved(graph, data, config, init, r, images, labels, same_model())
        b = interleaved(graph, data, config, init, r, images, labels, MnistCnn())
        trainer = fresh_trainer()
        trainer.model.load_state_dict(init)
        hand_model = MnistCnn()
        hand_model.load_state_dict(init)
        if r % 2:
            t = trainer_epoch(trainer)
            h = hand_epoch(hand_model, images, labels, seed=r)
        else:
            h = hand_epoch(hand_model, images, labels, seed=r)
            t = trainer_epoch(trainer)
        print(f"{'warm-up' if r == 0 else f'round {r}'}: interleaved same model "
              f"{a[1] / a[0]:.3f}, interleaved nn.Module {b[1] / b[0]:.3f}, "
              f"alternated epochs {t / h:.3f}  (Trainer {a[1]:,.0f} samples/s)")
        if r:
            same.append(a)
            module.append(b)
            hand_speeds.append(h)
            trainer_speeds.append(t)

    def summary(pairs: list[tuple[float, float]]) -> str:
        hand = statistics.median(h for h, _ in pairs)
        ours = statistics.median(t for _, t in pairs)
        ratio = statistics.median(t / h for h, t in pairs)
        return f"hand {hand:,.0f}, Trainer {ours:,.0f} samples/s; ratio {ratio:.3f}"

    print("medians over rounds:")
    print(f"  hand loop on the same compiled model, interleaved : {summary(same)}")
    print(f"  hand loop on a hand-written nn.Module, interleaved: {summary(module)}")
    print(f"  hand-written nn.Module, alternated whole epochs   : "
          f"{summary(list(zip(hand_speeds, trainer_speeds, strict=True)))}")
    ratio = statistics.median(t / h for h, t in same)
    print(f"RATIO Trainer / hand-written loop (same model) = {ratio:.3f} (target >= 0.98)")


if __name__ == "__main__":
    main()
