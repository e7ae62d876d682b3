"""Trainer overhead: Torchwire's Trainer vs a hand-written PyTorch loop, same model and data.

The MNIST CNN (conv 1->10 k5, relu, maxpool 2, conv 10->20 k5, relu, maxpool 2, flatten,
fc 320->50, relu, fc 50->10) on 8,192 synthetic 1×28×28 images, batch 64, SGD
(lr 0.01, momentum 0.9), one epoch per measurement, every epoch starting from the same
weights. The hand loop reads ``loss.item()`` each batch, like any loop that logs a
loss curve. Three loops run one whole epoch each per round, in an order that rotates
every round (so drift of the machine's speed hits each of them alike):

* ``trainer``: ``Trainer.fit()`` on the gallery's ``mnist_cnn.json`` (the compiled
  torch.fx graph), timed from ``fit()`` to its return (set-up, epoch, metrics);
* ``hand``: the loop everybody writes, on the same compiled model, torch's default
  ``SGD`` (the headline's reference);
* ``hand, fused SGD``: the same loop with ``SGD(fused=True)`` — the optimizer the
  Trainer picks on CPU — which isolates the loop's own overhead.

The process's allocator is tuned as the ``torchwire`` command tunes it
(``engine.allocator``), for every loop alike.

A fourth timing, a second copy of ``hand``, is an A/A control: its ratio to ``hand``
shows how far this machine's noise alone moves a ratio. Each figure is the median
over rounds of the per-round ratio.

    python bench/trainer_overhead.py [--rounds 25] [--samples 8192] [--threads N]

(An earlier version interleaved single steps of the two loops inside one epoch; its
A/A control — a hand loop interleaved with itself — read 0.81–1.00, biased against
whichever loop was outside, so whole epochs are used.)

Target: ratio (Trainer / hand loop samples/s) >= 0.98 on CPU.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.allocator import tune_cpu_allocator  # noqa: E402
from engine.compiler import compile_graph  # noqa: E402
from engine.data import FieldInfo  # noqa: E402
from engine.data.core import DataBundle  # noqa: E402
from engine.data.datasets import TensorDictDataset  # noqa: E402
from engine.examples import examples_dir  # noqa: E402
from engine.graph import Graph  # noqa: E402
from engine.project import load_project  # noqa: E402
from engine.training import TrainConfig, Trainer  # noqa: E402

BATCH = 64
# Wall time, or with --threads 1 this thread's CPU time (every op then runs on this thread,
# and time the core spends on other processes is not counted).
CLOCK = time.perf_counter


def mnist_cnn_graph() -> Graph:
    """The MNIST CNN as shipped in the example gallery (the app's own project file)."""
    return load_project(examples_dir() / "mnist_cnn.json").graph


def hand_epoch(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, seed: int,
               fused: bool = False) -> float:
    """One epoch of the loop everybody writes; returns samples/s."""
    start = CLOCK()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9,
                                **({"fused": True} if fused else {}))
    model.train()
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
    running = 0.0
    for idx in order.split(BATCH):
        x, y = images.index_select(0, idx), labels.index_select(0, idx)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        running += loss.item()
    elapsed = CLOCK() - start
    assert running == running, "hand loop diverged"
    return len(images) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--samples", type=int, default=8192)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    args = parser.parse_args()
    tune_cpu_allocator()  # as the torchwire command does: both loops reuse freed buffers
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
    init = Trainer(graph, data, config).model.state_dict()

    def trainer_run(seed: int) -> float:
        trainer = Trainer(graph, data, config)  # compiled here, outside the timing
        trainer.model.load_state_dict(init)
        start = CLOCK()
        result = trainer.fit()
        elapsed = CLOCK() - start
        return len(images) / elapsed if result.reason == "completed" else float("nan")

    def hand_run(fused: bool) -> Callable[[int], float]:
        def run(seed: int) -> float:
            model = compile_graph(graph, name="MnistCnn").model  # the very model the Trainer trains
            model.load_state_dict(init)
            return hand_epoch(model, images, labels, seed, fused)
        return run

    loops: dict[str, Callable[[int], float]] = {
        "trainer": trainer_run, "hand": hand_run(False), "hand, fused SGD": hand_run(True),
        "hand (A/A copy)": hand_run(False)}
    names = list(loops)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.samples} samples, "
          f"batch {BATCH}, {args.rounds} rounds (+1 warm-up), whole epochs in rotating order, "
          f"{'thread CPU' if CLOCK is time.thread_time else 'wall'} time")
    speeds: dict[str, list[float]] = {name: [] for name in names}
    for r in range(args.rounds + 1):
        order = names[r % len(names):] + names[:r % len(names)]
        got = {name: loops[name](r) for name in order}
        print(f"{'warm-up' if r == 0 else f'round {r}'}: "
              + ", ".join(f"{name} {got[name]:,.0f}" for name in names) + " samples/s")
        if r:
            for name in names:
                speeds[name].append(got[name])

    def ratio(a: str, b: str) -> float:
        return statistics.median(x / y for x, y in zip(speeds[a], speeds[b], strict=True))

    print("medians over rounds (samples/s): "
          + ", ".join(f"{name} {statistics.median(speeds[name]):,.0f}" for name in names))
    print(f"  A/A control: hand (copy) / hand               = {ratio('hand (A/A copy)', 'hand'):.3f}")
    print(f"  Trainer / hand loop with fused SGD (loop only) = {ratio('trainer', 'hand, fused SGD'):.3f}")
    print(f"RATIO Trainer / hand-written loop (same model) = {ratio('trainer', 'hand'):.3f} "
          "(target >= 0.98)")


if __name__ == "__main__":
    main()
