"""Build the example projects in this folder through the engine API.

Run once after changing an example: ``python assets/examples/make_examples.py``.
The JSON files (and ``data/linear_relu.csv``) are committed; this script documents
how each one is made. ``engine.examples`` lists them for the app's gallery.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from engine.data.config import DataConfig, TransformConfig  # noqa: E402
from engine.graph import Graph, Node  # noqa: E402
from engine.project import Project, save_project  # noqa: E402
from engine.training.config import TrainConfig  # noqa: E402

STEP_X, STEP_Y = 240.0, 230.0  # grid of the canvas layout (nodes are 190 wide)
WRAP = 6  # nodes per row before a chain wraps to the next row
CIFAR_ROOT = "~/torchwire-data"  # where the CIFAR-10 examples look for cifar-10-batches-py
LINEAR_RELU_CSV = "data/linear_relu.csv"
Spec = tuple[str, str, dict[str, Any]]


def chain(g: Graph, *specs: Spec, origin: tuple[float, float] = (0.0, 0.0), start: Node | None = None,
          wrap: int = WRAP) -> list[Node]:
    """Add nodes left to right in rows of ``wrap`` and connect each to the next."""
    nodes: list[Node] = []
    prev = start
    for i, (kind, name, params) in enumerate(specs):
        pos = (origin[0] + (i % wrap) * STEP_X, origin[1] + (i // wrap) * STEP_Y)
        node = g.add_node(kind, name, params, pos)
        if prev is not None:
            g.connect(prev.id, prev.output_ports()[0], node.id, node.input_ports()[0])
        nodes.append(node)
        prev = node
    return nodes


def add_loss(g: Graph, prediction: Node, loss_kind: str = "CrossEntropyLoss", field: str = "label",
             dtype: str = "int64", shape: list[int] | None = None, name: str = "loss",
             weight: float = 1.0, target: Node | None = None) -> Node:
    """Add a Loss node under the prediction, fed by ``target`` or a new Input bound to ``field``."""
    x, y = prediction.pos
    if target is None:
        target = g.add_node("Input", g.unique_name(field), {"field": field, "shape": shape or [],
                                                            "dtype": dtype}, (x, y + 150))
    loss = g.add_node(loss_kind, name, {"weight": weight}, (x + STEP_X, y + 150))
    g.connect(prediction.id, "out", loss.id, "prediction")
    g.connect(target.id, "out", loss.id, "target")
    return loss


def _image(shape: list[int]) -> Spec:
    return ("Input", "image", {"field": "image", "shape": shape})


def _convnet(g: Graph, image: list[int], convs: list[tuple[int, int]], linears: list[int]) -> Node:
    """Conv+ReLU+MaxPool blocks, Flatten, Linear(+ReLU) layers, Output; returns the last Linear."""
    specs: list[Spec] = [_image(image)]
    for i, (channels, kernel) in enumerate(convs, 1):
        specs += [("Conv2d", f"conv{i}", {"out_channels": channels, "kernel_size": [kernel, kernel]}),
                  ("ReLU", f"relu{i}", {}), ("MaxPool2d", f"pool{i}", {"kernel_size": [2, 2]})]
    specs.append(("Flatten", "flatten", {}))
    for i, width in enumerate(linears, 1):
        specs.append(("Linear", f"fc{i}", {"out_features": width}))
        if i < len(linears):
            specs.append(("ReLU", f"relu{len(convs) + i}", {}))
    specs.append(("Output", "logits", {}))
    return chain(g, *specs)[-2]


# ---------------------------------------------------------------- the examples

def linear_relu() -> Project:
    g = Graph()
    nodes = chain(g, ("Input", "features", {"field": "features", "shape": [10]}),
                  ("Linear", "fc", {"out_features": 1}), ("ReLU", "relu", {}), ("Output", "y", {}))
    add_loss(g, nodes[2], "MSELoss", field="target", dtype="float32", shape=[1])
    return Project(
        graph=g, name="Linear + ReLU",
        description="The smallest network: Linear(10, 1) then ReLU, fitted with mean squared error "
                    "and plain SGD (lr 0.01) to a synthetic table of 200 rows whose target is "
                    "relu(w·x + b) plus noise (assets/examples/data/linear_relu.csv). 11 parameters.",
        data=DataConfig(source="csv", root=LINEAR_RELU_CSV, csv_target="y", csv_task="regression",
                        val_fraction=0.2),
        training=TrainConfig(epochs=20, batch_size=16, optimizer="sgd", lr=0.01),
    )


def house_prices() -> Project:
    g = Graph()
    nodes = chain(g, ("Input", "features", {"field": "features", "shape": [5]}),
                  ("BatchNorm1d", "standardise", {"affine": False}),
                  ("Linear", "regression", {"out_features": 1}), ("Output", "price", {}))
    add_loss(g, nodes[2], "MSELoss", field="target", dtype="float32", shape=[1])
    return Project(
        graph=g, name="House prices",
        description="Linear regression: 5 house features (area, bedrooms, age, distance, lot) -> "
                    "price in thousands, mean squared error, SGD, on the bundled synthetic data "
                    "(100 train / 100 test rows). A BatchNorm1d without learned scale standardises "
                    "the raw features first, so one learning rate suits them all. 6 parameters.",
        data=DataConfig(source="bundled", name="house_prices", use_test_split=True),
        training=TrainConfig(epochs=60, batch_size=10, optimizer="sgd", lr=0.05),
    )


def logistic_regression() -> Project:
    g = Graph()
    nodes = chain(g, ("Input", "features", {"field": "features", "shape": [30]}),
                  ("BatchNorm1d", "standardise", {"affine": False}),
                  ("Linear", "linear", {"out_features": 1}),
                  ("Flatten", "squeeze", {"start_dim": 0}), ("Output", "logit", {}))
    add_loss(g, nodes[3], "BCEWithLogitsLoss", field="label", dtype="float32")
    return Project(
        graph=g, name="Logistic regression",
        description="Logistic regression on the bundled Breast Cancer Wisconsin table (569 tumours, "
                    "30 measurements, malignant or benign): standardise, one Linear(30, 1) giving a "
                    "logit, binary cross-entropy with logits. 31 parameters; about 97 % accuracy.",
        data=DataConfig(source="bundled", name="breast_cancer", val_fraction=0.2),
        training=TrainConfig(epochs=30, batch_size=32, optimizer="sgd", lr=0.1),
    )


def mlp_digits() -> Project:
    g = Graph()
    nodes = chain(
        g, _image([1, 8, 8]), ("Flatten", "flatten", {}), ("Linear", "fc1", {"out_features": 64}),
        ("ReLU", "relu", {}), ("Linear", "fc2", {"out_features": 10}), ("Output", "logits", {}),
    )
    add_loss(g, nodes[4])
    return Project(
        graph=g, name="MLP digits",
        description="A two-layer perceptron on the bundled 8×8 handwritten digits (1,797 images). "
                    "Trains to about 97 % validation accuracy in a few seconds.",
        data=DataConfig(source="bundled", name="digits", val_fraction=0.2),
        training=TrainConfig(epochs=20, batch_size=32, optimizer="adam", lr=0.003),
    )


def mlp_mnist() -> Project:
    g = Graph()
    nodes = chain(
        g, _image([1, 28, 28]), ("Flatten", "flatten", {}), ("Linear", "fc1", {"out_features": 128}),
        ("ReLU", "relu", {}), ("Linear", "fc2", {"out_features": 10}), ("Output", "logits", {}),
    )
    add_loss(g, nodes[4])
    return Project(
        graph=g, name="MLP MNIST",
        description="The classic multilayer perceptron: Flatten -> Linear(784, 128) -> ReLU -> "
                    "Linear(128, 10), cross-entropy, SGD lr 0.01 (101,770 parameters), on the "
                    "bundled 10,000-digit MNIST subset.",
        data=DataConfig(source="bundled", name="mnist_subset", val_fraction=0.2),
        training=TrainConfig(epochs=10, batch_size=64, optimizer="sgd", lr=0.01, momentum=0.9),
    )


def mnist_cnn() -> Project:
    g = Graph()
    add_loss(g, _convnet(g, [1, 28, 28], [(10, 5), (20, 5)], [50, 10]))
    return Project(
        graph=g, name="MNIST CNN",
        description="The classic PyTorch MNIST example: two convolutions, two linear layers "
                    "(21,840 parameters), on the bundled 10,000-digit MNIST subset.",
        data=DataConfig(source="bundled", name="mnist_subset", val_fraction=0.2),
        training=TrainConfig(epochs=3, batch_size=64, optimizer="sgd", lr=0.01, momentum=0.5),
    )


def lenet_mnist32() -> Project:
    g = Graph()
    add_loss(g, _convnet(g, [1, 32, 32], [(6, 3), (16, 3)], [120, 84, 10]))
    pad = [TransformConfig(name="Pad", params={"padding": 2})]
    return Project(
        graph=g, name="LeNet 3×3",
        description="LeNet with 3×3 kernels on 32×32 single-channel images: the bundled MNIST "
                    "subset padded from 28×28 to 32×32 (a Pad transform). Conv 6 -> pool -> "
                    "Conv 16 -> pool -> 576 -> 120 -> 84 -> 10 (81,194 parameters), "
                    "SGD lr 0.001 momentum 0.9.",
        data=DataConfig(source="bundled", name="mnist_subset", val_fraction=0.2,
                        train_transforms=pad, val_transforms=pad),
        training=TrainConfig(epochs=5, batch_size=32, optimizer="sgd", lr=0.001, momentum=0.9),
    )


_CIFAR_HOWTO = (f"Needs CIFAR-10 on this machine: put the cifar-10-batches-py folder (from "
                f"cifar-10-python.tar.gz, https://www.cs.toronto.edu/~kriz/cifar.html) in "
                f"{CIFAR_ROOT}, or point Data > root to the folder that holds it, or turn on "
                "Data > download when online.")


def lenet5_cifar10() -> Project:
    g = Graph()
    add_loss(g, _convnet(g, [3, 32, 32], [(6, 5), (16, 5)], [120, 84, 10]))
    norm = [TransformConfig(name="Normalize", params={"mean": [0.5] * 3, "std": [0.5] * 3})]
    return Project(
        graph=g, name="LeNet-5 CIFAR-10",
        description="LeNet-5 as in the PyTorch CIFAR-10 tutorial: Conv(3, 6, 5) -> pool -> "
                    "Conv(6, 16, 5) -> pool -> 400 -> 120 -> 84 -> 10 with ReLUs "
                    "(62,006 parameters), SGD lr 0.001 momentum 0.9. " + _CIFAR_HOWTO,
        data=DataConfig(source="cifar10", root=CIFAR_ROOT, use_test_split=True,
                        train_transforms=norm, val_transforms=norm),
        training=TrainConfig(epochs=2, batch_size=4, optimizer="sgd", lr=0.001, momentum=0.9),
    )


RESNET_WEIGHTS_HOWTO = (
    "For pretrained ImageNet weights, save them once to a local file where a network exists: "
    "python -c \"import torch, torchvision; torch.save(torchvision.models.resnet18("
    "weights='IMAGENET1K_V1').state_dict(), 'resnet18-imagenet.pth')\" — then set the backbone "
    "node's weights parameter to that file. Left empty, the backbone starts from random weights.")


def resnet18_cifar10() -> Project:
    g = Graph()
    nodes = chain(g, _image([3, 32, 32]), ("resnet18", "backbone", {"head": "features"}),
                  ("Linear", "head", {"out_features": 10}), ("Output", "logits", {}))
    add_loss(g, nodes[2])
    imagenet = TransformConfig(name="Normalize", params={"mean": [0.485, 0.456, 0.406],
                                                         "std": [0.229, 0.224, 0.225]})
    augment = [TransformConfig(name="RandomRotation", params={"degrees": 30}),
               TransformConfig(name="RandomHorizontalFlip"),
               TransformConfig(name="RandomCrop", params={"size": 32, "padding": 4}), imagenet]
    return Project(
        graph=g, name="ResNet-18 fine-tuning",
        description="Fine-tune torchvision's ResNet-18 on CIFAR-10: the backbone's pooled 512 "
                    "features feed a new Linear(512, 10) head (11,181,642 parameters). Augmentation "
                    "RandomRotation(30), RandomHorizontalFlip, RandomCrop(32, padding 4); SGD lr "
                    "0.001 momentum 0.9. " + RESNET_WEIGHTS_HOWTO + " " + _CIFAR_HOWTO,
        data=DataConfig(source="cifar10", root=CIFAR_ROOT, use_test_split=True,
                        train_transforms=augment, val_transforms=[imagenet]),
        training=TrainConfig(epochs=5, batch_size=64, optimizer="sgd", lr=0.001, momentum=0.9),
    )


def multitask_digits() -> Project:
    g = Graph()
    _, _, _, trunk = chain(g, _image([1, 8, 8]), ("Flatten", "flatten", {}),
                           ("Linear", "shared", {"out_features": 64}), ("ReLU", "trunk", {}))
    digit = chain(g, ("Linear", "digit_head", {"out_features": 10}), ("Output", "digit", {}),
                  origin=(4 * STEP_X, -STEP_Y), start=trunk)
    parity = chain(g, ("Linear", "parity_head", {"out_features": 2}), ("Output", "odd_even", {}),
                   origin=(4 * STEP_X, STEP_Y), start=trunk)
    for head, field, weight, y in ((digit[0], "label", 1.0, -2 * STEP_Y + 40),
                                   (parity[0], "parity", 0.5, 2 * STEP_Y - 40)):
        target = g.add_node("Input", field, {"field": field, "shape": [], "dtype": "int64"},
                            (4 * STEP_X, y))
        loss = g.add_node("CrossEntropyLoss", f"{field}_loss", {"weight": weight}, (5 * STEP_X, y))
        g.connect(head.id, "out", loss.id, "prediction")
        g.connect(target.id, "out", loss.id, "target")
    return Project(
        graph=g, name="Multi-task digits",
        description="Multi-task learning on the bundled 8×8 digits: one shared trunk (Flatten -> "
                    "Linear(64, 64) -> ReLU) feeds two heads — which digit (cross-entropy, weight 1) "
                    "and whether it is odd or even (cross-entropy, weight 0.5). Each Loss node's "
                    "weight sets its share of the total; both losses and both accuracies are plotted.",
        data=DataConfig(source="bundled", name="digits", val_fraction=0.2),
        training=TrainConfig(epochs=20, batch_size=32, optimizer="adam", lr=0.003),
    )


def gan_digits() -> Project:
    g = Graph()
    chain(g, ("Input", "noise", {"field": "noise", "shape": [16]}),
          ("Linear", "g_fc1", {"out_features": 64}), ("ReLU", "g_relu", {}),
          ("Linear", "g_fc2", {"out_features": 64}), ("Sigmoid", "g_pixels", {}),
          ("Reshape", "g_image", {"shape": [1, 8, 8]}), ("Output", "fake", {}), wrap=7)
    chain(g, _image([1, 8, 8]), ("Flatten", "d_flatten", {}),
          ("Linear", "d_fc1", {"out_features": 64}), ("LeakyReLU", "d_act", {"negative_slope": 0.2}),
          ("Linear", "d_fc2", {"out_features": 1}), ("Output", "score", {}), origin=(0.0, STEP_Y))
    return Project(
        graph=g, name="GAN digits",
        description="A generative adversarial network on the bundled 8×8 digits. Two sub-graphs in "
                    "one project: the generator turns 16 random numbers (the 'noise' Input, drawn "
                    "fresh for every batch) into an 8×8 image; the discriminator scores an image as "
                    "real or fake. The adversarial recipe alternates a discriminator step and a "
                    "generator step with two Adam optimizers and binary cross-entropy; a grid of "
                    "generated digits updates after every epoch.",
        data=DataConfig(source="bundled", name="digits", val_fraction=0.1),
        training=TrainConfig(epochs=40, batch_size=64, optimizer="adam", lr=0.002, betas=(0.5, 0.999),
                             recipe="gan"),
    )


EXAMPLES: dict[str, Callable[[], Project]] = {
    "mlp_digits": mlp_digits,
    "linear_relu": linear_relu,
    "house_prices": house_prices,
    "logistic_regression": logistic_regression,
    "mlp_mnist": mlp_mnist,
    "mnist_cnn": mnist_cnn,
    "lenet_mnist32": lenet_mnist32,
    "lenet5_cifar10": lenet5_cifar10,
    "resnet18_cifar10": resnet18_cifar10,
    "multitask_digits": multitask_digits,
    "gan_digits": gan_digits,
}


def write_linear_relu_csv(path: Path, rows: int = 200, seed: int = 0) -> None:
    """Synthetic table: x1..x10 ~ N(0, 1), y = relu(w·x + 0.5) + N(0, 0.05²) (seeded)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.5, 10)
    x = rng.normal(0, 1, (rows, 10))
    y = np.maximum(x @ w + 0.5, 0) + rng.normal(0, 0.05, rows)
    lines = [",".join([f"x{i}" for i in range(1, 11)] + ["y"])]
    lines += [",".join(f"{v:.4f}" for v in [*xr, yr]) for xr, yr in zip(x, y, strict=True)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    write_linear_relu_csv(HERE / LINEAR_RELU_CSV)
    for stem, build in EXAMPLES.items():
        path = save_project(build(), HERE / f"{stem}.json")
        print(f"wrote {path.relative_to(HERE.parents[1])}")


if __name__ == "__main__":
    main()
