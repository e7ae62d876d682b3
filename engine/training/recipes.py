"""Recipes: what one training step does with a batch, independent of the loop around it.

The :class:`~engine.training.trainer.Trainer` owns the loop (epochs, batches,
events, metrics, checkpoints, stop/pause, DDP); a :class:`Recipe` owns the models
taken from the graph and the step itself:

* :class:`SupervisedRecipe` — one model, the graph's Loss nodes weighted and summed,
  one optimizer.
* A GAN recipe (planned) compiles two sub-graphs with ``compile_graph(outputs=…)``
  — generator and discriminator — and returns both from :meth:`Recipe.modules` and
  :meth:`Recipe.optimizer_params`; its :meth:`Recipe.train_step` alternates two
  backward passes through :class:`StepTools` (``zero_grad``/``backward``/``step``
  by optimizer name). Nothing in the loop assumes one model or one optimizer.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from ..catalog import format_shape
from ..compiler import Compiled, compile_graph
from ..errors import TorchwireError
from ..graph import Graph, GraphError
from .config import TrainConfig
from .metrics import LossTask

log = logging.getLogger(__name__)

Batch = Mapping[str, torch.Tensor]
_NO_AUTOCAST = contextlib.nullcontext()  # reusable: entering it does nothing


class TrainingSetupError(TorchwireError):
    """The graph and the data cannot be trained together (message names the node and fix)."""


@dataclass
class RecipeContext:
    """Everything a recipe needs to build its models."""

    graph: Graph
    fields: Mapping[str, Any]  # dataset field name -> FieldInfo (shape, dtype, num_classes, …)
    config: TrainConfig
    device: torch.device
    name: str = "Model"
    base_dir: Path | None = None  # the project's folder: relative file parameters resolve there


@dataclass
class StepOutput:
    """What one train or eval step hands back to the loop (tensors stay on the device).

    ``losses`` is ``[total, *per-task losses]`` in :attr:`Recipe.tasks` order: a 1-D
    tensor, a sequence of 0-d tensors (stacked once by the loop), or one 0-d tensor
    that stands for every entry (a single Loss node of weight 1 is its own total).
    ``predictions``/``targets`` feed accuracy and errors, keyed by task name.
    """

    losses: torch.Tensor | Sequence[torch.Tensor]
    batch_size: int
    predictions: dict[str, torch.Tensor] = field(default_factory=dict)
    targets: dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def total(self) -> torch.Tensor:
        """The weighted total loss (what the step minimised), a 0-d tensor."""
        losses = self.losses
        if isinstance(losses, torch.Tensor) and losses.dim() == 0:
            return losses
        return losses[0]


class StepTools:
    """The loop's half of an optimizer step: mixed precision, scaling, clipping.

    A recipe calls ``zero_grad(name)``, computes a loss inside ``autocast()``,
    then ``backward(loss)`` and ``step(name)`` — once per optimizer it owns.
    """

    def __init__(self, optimizers: dict[str, torch.optim.Optimizer], device: torch.device,
                 amp: bool, grad_clip: float | None) -> None:
        self.optimizers = optimizers
        self.grad_clip = grad_clip
        self.amp = amp and device.type == "cuda"
        self.amp_dtype = torch.float16
        if self.amp and torch.cuda.is_bf16_supported():
            self.amp_dtype = torch.bfloat16  # no loss scaling needed
        use_scaler = self.amp and self.amp_dtype == torch.float16
        self.scaler = torch.amp.GradScaler("cuda") if use_scaler else None
        self.device_type = device.type
        self._params = {name: [p for g in opt.param_groups for p in g["params"]]
                        for name, opt in optimizers.items()}

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        """Mixed precision on CUDA when ``amp`` is on; nothing otherwise."""
        if not self.amp:
            return _NO_AUTOCAST
        return torch.autocast(self.device_type, dtype=self.amp_dtype)

    def zero_grad(self, name: str) -> None:
        self.optimizers[name].zero_grad(set_to_none=True)

    def backward(self, loss: torch.Tensor) -> None:
        (self.scaler.scale(loss) if self.scaler is not None else loss).backward()

    def step(self, name: str) -> None:
        """Clip (after unscaling) and step optimizer ``name``."""
        optimizer = self.optimizers[name]
        if self.grad_clip is not None:
            if self.scaler is not None:
                self.scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(self._params[name], self.grad_clip)
        if self.scaler is not None:
            self.scaler.step(optimizer)
        else:
            optimizer.step()

    def finish(self) -> None:
        """Called by the loop once per batch after the recipe's steps."""
        if self.scaler is not None:
            self.scaler.update()


class Recipe(ABC):
    """A way of training the graph. Subclasses build their modules in ``__init__``.

    Attributes:
        name: The ``TrainConfig.recipe`` value that selects this recipe.
        tasks: One entry per loss the recipe reports (metric keys use their names).
    """

    name: ClassVar[str]
    tasks: list[LossTask]

    @abstractmethod
    def modules(self) -> dict[str, nn.Module]:
        """Every trained module by name (checkpointed; wrapped for DDP)."""

    @abstractmethod
    def optimizer_params(self) -> dict[str, list[nn.Parameter]]:
        """Parameters per optimizer; one optimizer (and schedule) is built for each name."""

    @abstractmethod
    def export_model(self) -> nn.Module:
        """The model a user exports (Inputs -> Outputs), sharing the trained weights."""

    @abstractmethod
    def distribute(self, wrap: Callable[[nn.Module, bool], nn.Module]) -> None:
        """Wrap the modules used in ``train_step`` with ``wrap(module, find_unused)`` (DDP)."""

    @abstractmethod
    def train_step(self, batch: Batch, tools: StepTools) -> StepOutput:
        """Forward, backward and optimizer step(s) on one batch."""

    @abstractmethod
    def eval_step(self, batch: Batch) -> StepOutput:
        """Forward only (called under ``torch.no_grad`` in eval mode)."""

    def epoch_end(self, epoch: int) -> dict[str, Any]:
        """Extra plain-Python metrics merged into the epoch's metrics (e.g. GAN samples)."""
        return {}

    def train(self, mode: bool = True) -> None:
        """Switch every module to training (dropout on) or evaluation mode."""
        for module in self.modules().values():
            module.train(mode)


def bind_inputs(graph: Graph, fields: Mapping[str, Any]) -> dict[str, tuple[tuple[int, ...], str]]:
    """Shapes for inference from the data: ``{Input node name: (sample shape, dtype)}``.

    Only Input nodes that feed an Output or a Loss are bound. The dtype is the
    Input node's own (batches are cast to it).

    Raises:
        TrainingSetupError: an Input's field is not in the dataset.
    """
    ends = [n.id for n in graph.nodes if n.spec.role in ("output", "loss")]
    used = graph.ancestors(ends)
    shapes = {}
    for node in graph.topological_order():
        if node.spec.role != "input" or node.id not in used:
            continue
        name = node.params["field"]
        if name not in fields:
            have = ", ".join(sorted(fields)) or "none"
            raise TrainingSetupError(
                f"Input '{node.name}' is bound to field '{name}' but the dataset has no such field "
                f"(it has: {have}) — set the Input's field to one of them")
        shapes[node.name] = (tuple(fields[name].shape), node.params["dtype"])
    return shapes


def compile_for_data(graph: Graph, fields: Mapping[str, Any], name: str, seed: int,
                     outputs: list[str] | None = None, base_dir: Path | None = None) -> Compiled:
    """Compile ``graph`` with the data's shapes, initialising weights from ``seed``.

    Raises:
        TrainingSetupError: a field is missing, or the graph does not accept the
            data's shapes (naming the Input, the field and both shapes), or the
            graph has other errors.
    """
    input_shapes = bind_inputs(graph, fields)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        try:
            return compile_graph(graph, input_shapes=input_shapes, name=name, outputs=outputs,
                                 base_dir=base_dir)
        except GraphError as err:
            problems = getattr(err, "issues", None) or []
            detail = problems[0].message if problems else str(err)
            for node in graph.nodes:
                if node.name not in input_shapes:
                    continue
                declared = tuple(node.params["shape"])
                given = input_shapes[node.name][0]
                if declared != given:
                    raise TrainingSetupError(
                        f"Input '{node.name}' expects field '{node.params['field']}' of shape "
                        f"{format_shape(declared, batch=False)} but the dataset gives "
                        f"{format_shape(given, batch=False)} — the graph cannot take that "
                        f"({detail}); change the Input's shape and the layers after it, or "
                        "pick a dataset that matches") from None
            raise TrainingSetupError(f"the graph cannot be trained: {detail}"
                                     + (f" (and {len(problems) - 1} more problem(s))"
                                        if len(problems) > 1 else "")) from None


class SupervisedRecipe(Recipe):
    """Inputs -> model -> every Loss node; the weighted sum is minimised by one optimizer."""

    name = "supervised"

    def __init__(self, ctx: RecipeContext) -> None:
        self.ctx = ctx
        self.compiled = compile_for_data(ctx.graph, ctx.fields, ctx.name, ctx.config.seed,
                                         base_dir=ctx.base_dir)
        if not self.compiled.losses:
            raise TrainingSetupError(
                "the graph has no Loss node — add one (e.g. CrossEntropyLoss) and wire the "
                "model's prediction and the target Input into it")
        self._warn_reshaped(ctx.graph)
        self.tasks = [LossTask(x.name, x.kind, x.task) for x in self.compiled.losses]
        self.weights = [x.weight for x in self.compiled.losses]
        self.net: nn.Module = self.compiled.train_module.to(ctx.device)
        self.step_module: nn.Module = self.net  # DDP wrapper after distribute()
        device = ctx.device
        self.bindings = [(ctx.graph.by_name(n).params["field"], getattr(torch, self.compiled.dtypes[n]))
                         for n in self.compiled.train_inputs]
        self._non_blocking = device.type == "cuda"
        self._device = device
        self._single = len(self.weights) == 1 and self.weights[0] == 1.0

    def _warn_reshaped(self, graph: Graph) -> None:
        for name, shape in self.compiled.sample_shapes.items():
            declared = tuple(graph.by_name(name).params["shape"])
            if declared != tuple(shape):
                log.warning("Input '%s' is declared %s but the dataset gives %s; the graph adapts",
                            name, format_shape(declared, batch=False), format_shape(shape, batch=False))

    def modules(self) -> dict[str, nn.Module]:
        return {"model": self.net}

    def optimizer_params(self) -> dict[str, list[nn.Parameter]]:
        return {"model": [p for p in self.net.parameters() if p.requires_grad]}

    def export_model(self) -> nn.Module:
        return self.compiled.model

    def distribute(self, wrap: Callable[[nn.Module, bool], nn.Module]) -> None:
        graph = self.ctx.graph
        feeding = {graph.node(i).name for i in graph.ancestors(
            n.id for n in graph.nodes if n.spec.role == "loss")}
        unused = any(name not in feeding and any(p.requires_grad for p in m.parameters())
                     for name, m in self.net.named_children())
        self.step_module = wrap(self.net, unused)

    def _args(self, batch: Batch) -> list[torch.Tensor]:
        args = []
        for name, dtype in self.bindings:
            tensor = batch[name]
            if tensor.dtype is not dtype or tensor.device != self._device:  # skip no-op .to() calls
                tensor = tensor.to(self._device, dtype, non_blocking=self._non_blocking)
            args.append(tensor)
        return args

    def _total(self, losses: dict[str, torch.Tensor]) -> list[torch.Tensor] | torch.Tensor:
        """``[weighted total, *losses]``; one Loss node of weight 1 is its own total, returned
        alone as a 0-d tensor (it stands for the whole vector)."""
        if self._single:
            return losses[self.tasks[0].name].float()
        values = [losses[t.name].float() for t in self.tasks]
        total = values[0] * self.weights[0]
        for w, v in zip(self.weights[1:], values[1:], strict=True):
            total = total + w * v
        return [total, *values]

    def train_step(self, batch: Batch, tools: StepTools) -> StepOutput:
        args = self._args(batch)
        tools.zero_grad("model")
        with tools.autocast():
            out = self.step_module(*args)
        losses = self._total(out["losses"])
        tools.backward(losses if isinstance(losses, torch.Tensor) else losses[0])
        tools.step("model")
        return StepOutput(losses, len(args[0]) if args else 0, out["predictions"], out["targets"])

    def eval_step(self, batch: Batch) -> StepOutput:
        args = self._args(batch)
        out = self.net(*args)  # never the DDP wrapper: no collectives in evaluation
        return StepOutput(self._total(out["losses"]), len(args[0]) if args else 0,
                          out["predictions"], out["targets"])


RECIPES: dict[str, type[Recipe]] = {"supervised": SupervisedRecipe}
# Recipes living in their own module register themselves in RECIPES when imported.
_PLUGINS: dict[str, str] = {"gan": "engine.training.gan"}


def build_recipe(ctx: RecipeContext) -> Recipe:
    """The recipe ``ctx.config.recipe`` names, built from the graph.

    Raises:
        TrainingSetupError: unknown or not-yet-available recipe, or graph/data problems.
    """
    kind = ctx.config.recipe
    if kind not in RECIPES and kind in _PLUGINS:
        try:
            importlib.import_module(_PLUGINS[kind])
        except ModuleNotFoundError as err:
            if err.name != _PLUGINS[kind]:
                raise
    if kind not in RECIPES:
        raise TrainingSetupError(f"the '{kind}' training recipe is not available in this version "
                                 "of Torchwire yet — set training.recipe to supervised")
    return RECIPES[kind](ctx)


__all__ = ["RECIPES", "Batch", "Recipe", "RecipeContext", "StepOutput", "StepTools",
           "SupervisedRecipe", "TrainingSetupError", "bind_inputs", "build_recipe",
           "compile_for_data"]
