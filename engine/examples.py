"""The example gallery: the ready projects in ``assets/examples/`` as a small catalogue.

    from engine.examples import list_examples, open_example

    for ex in list_examples():
        print(ex.title, ex.dataset, f"{ex.parameters:,}", ex.path)
    project = open_example("mnist_cnn")   # an untitled copy, ready to edit and save elsewhere

No torch import at module level: listing counts parameters with shape inference on
the ``meta`` device (no weights are allocated), once per file version.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from .data.config import DataConfig
from .errors import ProjectError
from .project import Project, load_project

#: The project a fresh start opens.
DEFAULT_EXAMPLE = "mlp_digits"
#: Gallery order (the issue's teaching order); other files in the folder follow alphabetically.
ORDER = ("mlp_digits", "linear_relu", "house_prices", "logistic_regression", "mlp_mnist", "mnist_cnn",
         "lenet_mnist32", "lenet5_cifar10", "resnet18_cifar10", "multitask_digits", "gan_digits")

_BUNDLED_TITLES = {"digits": "Digits 8×8", "mnist_subset": "MNIST subset 28×28", "iris": "Iris",
                   "wine": "Wine", "breast_cancer": "Breast cancer", "house_prices": "House prices"}
_SOURCE_TITLES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST", "cifar10": "CIFAR-10",
                  "image_folder": "Image folder", "csv": "CSV table"}


@dataclass(frozen=True)
class Example:
    """One example project as the gallery shows it."""

    stem: str  # file name without .json; the key for open_example
    title: str
    description: str
    dataset: str  # e.g. "Digits 8×8 (bundled)" or "CIFAR-10 (local folder ~/torchwire-data)"
    parameters: int  # trainable and frozen parameters of every layer
    path: Path
    recipe: str  # training recipe: supervised or gan


def examples_dir() -> Path:
    """``<repo>/assets/examples``."""
    import engine

    return Path(engine.__file__).resolve().parent.parent / "assets" / "examples"


def dataset_text(data: DataConfig) -> str:
    """A short human name for the data a project trains on."""
    if data.source == "bundled":
        return f"{_BUNDLED_TITLES.get(data.name, data.name)} (bundled)"
    title = _SOURCE_TITLES.get(data.source, data.source)
    if data.source == "csv":
        return f"{title} {Path(data.root).name}" if data.root else title
    return f"{title} (local folder {data.root})" if data.root else f"{title} (local folder)"


def parameter_count(project: Project) -> int:
    """Parameters of every layer, from shape inference on the Input nodes' own shapes."""
    from .shapes import infer_shapes

    return int(infer_shapes(project.graph).total_params)


@functools.lru_cache(maxsize=64)
def _describe(path: Path, _mtime_ns: int) -> Example:
    project = load_project(path)
    return Example(stem=path.stem, title=project.name, description=project.description,
                   dataset=dataset_text(project.data), parameters=parameter_count(project), path=path,
                   recipe=project.training.recipe)


def example_paths(folder: Path | None = None) -> list[Path]:
    """Example files in gallery order."""
    folder = folder or examples_dir()
    files = {p.stem: p for p in folder.glob("*.json")}
    ordered = [files.pop(stem) for stem in ORDER if stem in files]
    return ordered + [files[k] for k in sorted(files)]


def describe_example(path: str | Path) -> Example:
    """The gallery entry of one project file (cached until the file changes).

    Raises:
        ProjectError: the file is missing or invalid.
    """
    path = Path(path).resolve()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        raise ProjectError("file not found — check the path", str(path)) from None
    return _describe(path, mtime)


def list_examples(folder: Path | None = None) -> list[Example]:
    """Every example project, default first, then in teaching order.

    Raises:
        ProjectError: an example file is invalid (a broken install).
    """
    return [describe_example(p) for p in example_paths(folder)]


def get_example(stem: str, folder: Path | None = None) -> Example:
    """The example whose file is ``<stem>.json``.

    Raises:
        KeyError: no such example (the message lists the available ones).
    """
    paths = {p.stem: p for p in example_paths(folder)}
    if stem not in paths:
        raise KeyError(f"no example named '{stem}' — choose one of: {', '.join(paths)}")
    return describe_example(paths[stem])


def open_example(example: str | Example, folder: Path | None = None) -> Project:
    """An untitled copy of an example: no file path, so Save asks where to write it.

    Data paths relative to the examples folder (e.g. a CSV shipped next to the
    project) become absolute, so the copy finds its data from anywhere.
    """
    ex = example if isinstance(example, Example) else get_example(example, folder)
    project = load_project(ex.path)
    data = project.data
    if data.root and data.source != "bundled":
        root = Path(data.root)
        if not root.is_absolute() and not data.root.startswith("~"):
            project.data = data.model_copy(update={"root": str((ex.path.parent / root).resolve())})
    project.path = None
    return project


__all__ = ["DEFAULT_EXAMPLE", "ORDER", "Example", "dataset_text", "describe_example", "example_paths",
           "examples_dir", "get_example", "list_examples", "open_example", "parameter_count"]
