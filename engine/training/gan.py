"""The adversarial recipe: a generator and a discriminator drawn as two sub-graphs of one project.

The graph holds two independent chains, each ending in an Output node:

* the **generator** starts at an Input bound to the field ``noise`` (not read from
  the dataset: a fresh standard-normal batch is drawn for every step) and ends in an
  image of the dataset's image shape;
* the **discriminator** starts at an Input bound to a dataset field (the real
  images) and ends in one raw score (a logit) per sample.

Each training step takes one discriminator step (real images -> 1, generated -> 0)
then one generator step (generated -> 1), each with its own optimizer built from the
project's training settings, both with binary cross-entropy on logits. After every
epoch :meth:`GANRecipe.epoch_end` renders a fixed batch of noise into a grid of
samples, as plain nested lists, so the app can show how the generator improves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ..catalog import format_shape
from ..compiler import Compiled
from ..data.core import FieldInfo
from ..graph import Graph, Node
from .metrics import LossTask
from .recipes import (
    RECIPES,
    Batch,
    Recipe,
    RecipeContext,
    StepOutput,
    StepTools,
    TrainingSetupError,
    compile_for_data,
)
from .samples import SAMPLES_KEY, sample_grid

NOISE_FIELD = "noise"
#: Generated samples shown after each epoch (a 4×4 grid).
SAMPLE_COUNT = 16
#: Key of the sample grid in the epoch metrics (a list of SAMPLE_COUNT images, each C×H×W lists).


def _inputs_of(graph: Graph, node: Node) -> list[Node]:
    return [graph.node(i) for i in graph.ancestors([node.id]) if graph.node(i).spec.role == "input"]


def split_gan_graph(graph: Graph) -> tuple[Node, Node, Node, Node]:
    """Find ``(noise Input, generator Output, image Input, discriminator Output)``.

    Raises:
        TrainingSetupError: the graph is not one generator chain plus one discriminator chain.
    """
    gen: list[tuple[Node, Node]] = []
    disc: list[tuple[Node, Node]] = []
    for out in (n for n in graph.topological_order() if n.spec.role == "output"):
        inputs = _inputs_of(graph, out)
        noise = [n for n in inputs if n.params["field"] == NOISE_FIELD]
        data = [n for n in inputs if n.params["field"] != NOISE_FIELD]
        if noise and not data and len(noise) == 1:
            gen.append((noise[0], out))
        elif data and not noise and len(data) == 1:
            disc.append((data[0], out))
        else:
            raise TrainingSetupError(
                f"Output '{out.name}' is fed by {', '.join(n.name for n in inputs) or 'no Input'}; "
                "a GAN needs a generator fed only by one Input bound to field 'noise' and a "
                "discriminator fed only by one Input bound to the image field")
    if len(gen) != 1 or len(disc) != 1:
        raise TrainingSetupError(
            f"the GAN recipe needs exactly one generator (noise Input -> Output) and one "
            f"discriminator (image Input -> Output); this graph has {len(gen)} and {len(disc)} — "
            "connect the chains so that each ends in one Output node")
    if any(n.spec.role == "loss" for n in graph.nodes):
        raise TrainingSetupError("the GAN recipe computes its own losses — remove the Loss nodes, "
                                 "or set training.recipe to supervised")
    return gen[0][0], gen[0][1], disc[0][0], disc[0][1]


def _output_shape(compiled: Compiled, graph: Graph, out: Node) -> tuple[int, ...]:
    edge = graph.edge_into(out.id, "x")
    assert edge is not None
    shape = compiled.inference.shape(edge.src, edge.src_port)
    return tuple(shape[1:]) if shape else ()


class GANRecipe(Recipe):
    """Alternating discriminator and generator steps, two optimizers, BCE on logits."""

    name = "gan"

    def __init__(self, ctx: RecipeContext) -> None:
        self.ctx = ctx
        graph = ctx.graph
        noise, gen_out, image, disc_out = split_gan_graph(graph)
        self.noise_shape = tuple(int(s) for s in noise.params["shape"])
        self.field = image.params["field"]
        fields: dict[str, Any] = dict(ctx.fields)
        fields[NOISE_FIELD] = FieldInfo(NOISE_FIELD, self.noise_shape, "float32")
        seed = ctx.config.seed
        self.g_compiled = compile_for_data(graph, fields, f"{ctx.name} generator", seed, [gen_out.name],
                                           ctx.base_dir)
        self.d_compiled = compile_for_data(graph, fields, f"{ctx.name} discriminator", seed + 1,
                                           [disc_out.name], ctx.base_dir)
        made = _output_shape(self.g_compiled, graph, gen_out)
        wanted = tuple(self.d_compiled.sample_shapes[image.name])
        if made != wanted:
            raise TrainingSetupError(
                f"the generator makes samples of {format_shape(made, batch=False)} but the "
                f"discriminator's Input '{image.name}' takes {format_shape(wanted, batch=False)} — "
                "change the generator's last layers (e.g. a Reshape) so the two agree")
        score = _output_shape(self.d_compiled, graph, disc_out)
        if score not in ((), (1,)):
            raise TrainingSetupError(
                f"the discriminator's Output '{disc_out.name}' gives {format_shape(score, batch=False)} "
                "per sample; it must give one real/fake score — end it with Linear(…, 1)")
        device = ctx.device
        self.generator: nn.Module = self.g_compiled.model.to(device)
        self.discriminator: nn.Module = self.d_compiled.model.to(device)
        self.g_step, self.d_step = self.generator, self.discriminator  # DDP wrappers after distribute()
        self.tasks = [LossTask("discriminator", "BCEWithLogitsLoss", "binary"),  # real vs generated
                      LossTask("generator", "BCEWithLogitsLoss", "adversarial")]
        self.bce = nn.BCEWithLogitsLoss()
        self.device = device
        rng = torch.Generator().manual_seed(seed)
        self.fixed_noise = torch.randn(SAMPLE_COUNT, *self.noise_shape, generator=rng).to(device)

    # -- Recipe interface -------------------------------------------------------
    def modules(self) -> dict[str, nn.Module]:
        return {"generator": self.generator, "discriminator": self.discriminator}

    def optimizer_params(self) -> dict[str, list[nn.Parameter]]:
        return {name: [p for p in m.parameters() if p.requires_grad] for name, m in self.modules().items()}

    def export_model(self) -> nn.Module:
        """The generator (noise -> image): what a user samples from after training."""
        return self.generator

    def distribute(self, wrap: Callable[[nn.Module, bool], nn.Module]) -> None:
        self.g_step = wrap(self.generator, False)
        self.d_step = wrap(self.discriminator, False)

    def _real(self, batch: Batch) -> torch.Tensor:
        return batch[self.field].to(self.device, torch.float32, non_blocking=self.device.type == "cuda")

    def _noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, *self.noise_shape, device=self.device)

    def _score_loss(self, logits: torch.Tensor, real: bool) -> torch.Tensor:
        logits = logits.float().reshape(len(logits), -1)
        target = torch.ones_like(logits) if real else torch.zeros_like(logits)
        return self.bce(logits, target)

    def train_step(self, batch: Batch, tools: StepTools) -> StepOutput:
        real = self._real(batch)
        n = len(real)
        with tools.autocast():
            fake = self.g_step(self._noise(n))
        # Discriminator: real images -> 1, generated ones (no generator gradient) -> 0.
        tools.zero_grad("discriminator")
        with tools.autocast():
            on_real, on_fake = self.d_step(real), self.d_step(fake.detach())
            loss_d = self._score_loss(on_real, True) + self._score_loss(on_fake, False)
        tools.backward(loss_d)
        tools.step("discriminator")
        # Generator: make the (just updated) discriminator call its samples real.
        tools.zero_grad("generator")
        with tools.autocast():
            loss_g = self._score_loss(self.d_step(fake), True)
        tools.backward(loss_g)
        tools.step("generator")
        return self._output(loss_d, loss_g, on_real, on_fake)

    def eval_step(self, batch: Batch) -> StepOutput:
        real = self._real(batch)
        fake = self.generator(self._noise(len(real)))
        on_real, on_fake = self.discriminator(real), self.discriminator(fake)
        loss_d = self._score_loss(on_real, True) + self._score_loss(on_fake, False)
        loss_g = self._score_loss(on_fake, True)
        return self._output(loss_d, loss_g, on_real, on_fake)

    @staticmethod
    def _output(loss_d: torch.Tensor, loss_g: torch.Tensor, on_real: torch.Tensor,
                on_fake: torch.Tensor) -> StepOutput:
        """Losses, and the discriminator's scores on real (target 1) and generated (target 0)
        samples, from which the loop counts its accuracy (near 50 %: it cannot tell them apart)."""
        scores = torch.cat([on_real.detach().float().reshape(-1), on_fake.detach().float().reshape(-1)])
        labels = torch.cat([torch.ones(len(on_real), device=scores.device),
                            torch.zeros(len(on_fake), device=scores.device)])
        return StepOutput(torch.stack([loss_d + loss_g, loss_d, loss_g]).detach(), len(on_real),
                          predictions={"discriminator": scores}, targets={"discriminator": labels})

    # -- samples ------------------------------------------------------------------
    def samples(self) -> list[Any]:
        """The generator's images for the fixed noise: SAMPLE_COUNT nested C×H×W lists of floats."""
        was_training = self.generator.training
        self.generator.eval()
        try:
            with torch.no_grad():
                images = self.generator(self.fixed_noise).float().cpu()
        finally:
            self.generator.train(was_training)
        return images.round(decimals=4).tolist()

    def epoch_end(self, epoch: int) -> dict[str, Any]:
        """Extra epoch metrics: ``{SAMPLES_KEY: samples()}`` (plain lists, for the app's grid)."""
        return {SAMPLES_KEY: self.samples()}


RECIPES.setdefault("gan", GANRecipe)  # TrainConfig(recipe="gan") selects it once this module is imported

__all__ = ["NOISE_FIELD", "SAMPLES_KEY", "SAMPLE_COUNT", "GANRecipe", "sample_grid",
           "split_gan_graph"]
