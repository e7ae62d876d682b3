"""Hand-written PyTorch equivalents of every example project in ``assets/examples``.

Submodule names equal the graph's node names, so ``state_dict`` keys match the
compiled model's and weights load across in both directions.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import torch
import torchvision
from torch import nn


def seq(*layers: tuple[str, nn.Module]) -> nn.Sequential:
    return nn.Sequential(OrderedDict(layers))


def convnet(in_ch: int, convs: list[tuple[int, int]], flat: int, linears: list[int]) -> nn.Sequential:
    """Conv+ReLU+MaxPool blocks, Flatten, Linear layers with ReLUs between (as _convnet builds)."""
    layers: list[tuple[str, nn.Module]] = []
    for i, (ch, k) in enumerate(convs, 1):
        layers += [(f"conv{i}", nn.Conv2d(in_ch, ch, k)), (f"relu{i}", nn.ReLU()),
                   (f"pool{i}", nn.MaxPool2d(2))]
        in_ch = ch
    layers.append(("flatten", nn.Flatten()))
    for i, width in enumerate(linears, 1):
        layers.append((f"fc{i}", nn.Linear(flat, width)))
        flat = width
        if i < len(linears):
            layers.append((f"relu{len(convs) + i}", nn.ReLU()))
    return seq(*layers)


class ResNet18Head(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.backbone = torchvision.models.resnet18(weights=None, num_classes=1000)
        self.backbone.fc = nn.Identity()
        self.head = nn.Linear(512, 10)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(image))


class MultiTask(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.flatten = nn.Flatten()
        self.shared = nn.Linear(64, 64)
        self.trunk = nn.ReLU()
        self.digit_head = nn.Linear(64, 10)
        self.parity_head = nn.Linear(64, 2)

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.trunk(self.shared(self.flatten(image)))
        return {"digit": self.digit_head(h), "odd_even": self.parity_head(h)}


class Gan(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.g_fc1, self.g_relu = nn.Linear(16, 64), nn.ReLU()
        self.g_fc2, self.g_pixels = nn.Linear(64, 64), nn.Sigmoid()
        self.d_flatten = nn.Flatten()
        self.d_fc1, self.d_act = nn.Linear(64, 64), nn.LeakyReLU(0.2)
        self.d_fc2 = nn.Linear(64, 1)

    def generate(self, noise: torch.Tensor) -> torch.Tensor:
        return self.g_pixels(self.g_fc2(self.g_relu(self.g_fc1(noise)))).reshape(-1, 1, 8, 8)

    def score(self, image: torch.Tensor) -> torch.Tensor:
        return self.d_fc2(self.d_act(self.d_fc1(self.d_flatten(image))))

    def forward(self, noise: torch.Tensor, image: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"fake": self.generate(noise), "score": self.score(image)}


#: stem -> (builder of the hand-written module, its parameter count as the issue states or computed).
REFERENCES: dict[str, Callable[[], nn.Module]] = {
    "mlp_digits": lambda: seq(("flatten", nn.Flatten()), ("fc1", nn.Linear(64, 64)), ("relu", nn.ReLU()),
                              ("fc2", nn.Linear(64, 10))),
    "linear_relu": lambda: seq(("fc", nn.Linear(10, 1)), ("relu", nn.ReLU())),
    "house_prices": lambda: seq(("standardise", nn.BatchNorm1d(5, affine=False)),
                                ("regression", nn.Linear(5, 1))),
    "logistic_regression": lambda: seq(("standardise", nn.BatchNorm1d(30, affine=False)),
                                       ("linear", nn.Linear(30, 1)), ("squeeze", nn.Flatten(0))),
    "mlp_mnist": lambda: seq(("flatten", nn.Flatten()), ("fc1", nn.Linear(784, 128)), ("relu", nn.ReLU()),
                             ("fc2", nn.Linear(128, 10))),
    "mnist_cnn": lambda: convnet(1, [(10, 5), (20, 5)], 320, [50, 10]),
    "lenet_mnist32": lambda: convnet(1, [(6, 3), (16, 3)], 576, [120, 84, 10]),
    "lenet5_cifar10": lambda: convnet(3, [(6, 5), (16, 5)], 400, [120, 84, 10]),
    "resnet18_cifar10": ResNet18Head,
    "multitask_digits": MultiTask,
    "gan_digits": Gan,
}

#: Parameter counts the issue names (the others are checked against the module above only).
STATED_PARAMETERS = {"mlp_mnist": 101_770, "mnist_cnn": 21_840, "lenet_mnist32": 81_194,
                     "linear_relu": 11, "lenet5_cifar10": 62_006, "resnet18_cifar10": 11_181_642}


def sample_inputs(stem: str, batch: int = 4) -> tuple[torch.Tensor, ...]:
    """Random inputs of the right shapes, in the compiled model's input order."""
    g = torch.Generator().manual_seed(0)
    shapes = {"linear_relu": [(10,)], "house_prices": [(5,)], "logistic_regression": [(30,)],
              "mlp_digits": [(1, 8, 8)], "multitask_digits": [(1, 8, 8)], "mlp_mnist": [(1, 28, 28)],
              "mnist_cnn": [(1, 28, 28)], "lenet_mnist32": [(1, 32, 32)], "lenet5_cifar10": [(3, 32, 32)],
              "resnet18_cifar10": [(3, 32, 32)], "gan_digits": [(16,), (1, 8, 8)]}[stem]
    return tuple(torch.rand(batch, *s, generator=g) for s in shapes)
