"""The training loop: one loop for the CLI, the GUI worker thread and ``torchrun``.

Typical use::

    from engine.data import build_datasets
    from engine.training import Trainer

    data = build_datasets(project.data, project.base_dir)
    trainer = Trainer(project.graph, data, project.training, run_dir="runs/demo",
                      callbacks=[MyCallback()], base_dir=project.base_dir)
    result = trainer.fit()          # TrainResult; raises TrainingFailed on NaN or errors
    trainer.model                   # the trained Inputs -> Outputs GraphModule

``stop()``, ``pause()`` and ``resume()`` may be called from any thread; they take
effect between batches.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic import TypeAdapter

from .. import __version__
from ..errors import TorchwireError
from ..graph import Graph
from . import checkpoint as ckpt
from .callbacks import Callback, CallbackList
from .config import TrainConfig
from .distributed import DistInfo, eval_indices, init_distributed, resolve_device, shard_indices
from .init_weights import InitReport, load_initial_weights
from .metrics import MetricAccumulator
from .optim import LRSchedule, build_optimizer
from .recipes import RecipeContext, StepOutput, StepTools, build_recipe

log = logging.getLogger(__name__)


class TrainingFailed(TorchwireError):
    """The run failed (non-finite loss or an error); ``result`` holds what was done before."""

    def __init__(self, message: str, result: TrainResult | None = None) -> None:
        super().__init__(message)
        self.result = result


class _NonFinite(Exception):
    """Internal: a non-finite loss at (epoch, batch, step)."""

    def __init__(self, value: float, epoch: int, batch: int, step: int) -> None:
        super().__init__(value, epoch, batch, step)
        self.value, self.epoch, self.batch, self.step = value, epoch, batch, step


@dataclass
class TrainResult:
    """How a run ended; plain Python values only.

    ``reason`` is ``completed``, ``stopped`` (by :meth:`Trainer.stop`),
    ``early_stopping`` or ``failed``. ``monitor`` is the metric used for the best
    checkpoint, plateau schedule and early stopping (``val/loss``, or ``train/loss``
    without a validation set).
    """

    reason: str
    epochs_completed: int
    global_step: int
    history: list[dict[str, Any]]
    monitor: str
    best_epoch: int | None = None
    best_value: float | None = None
    run_dir: str | None = None
    last_checkpoint: str | None = None
    best_checkpoint: str | None = None
    message: str = ""

    @property
    def metrics(self) -> dict[str, Any]:
        """The last completed epoch's metrics (empty if none completed)."""
        return self.history[-1] if self.history else {}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _loss_vector(losses: torch.Tensor | Sequence[torch.Tensor]) -> torch.Tensor:
    """``[total, *task losses]`` as one detached float tensor (at most one op).

    A 0-d tensor (a recipe's single loss, its own total) stays 0-d: it broadcasts over
    the vector's width, which keeps a stack out of every step.
    """
    with torch.no_grad():
        vector = losses.detach() if isinstance(losses, torch.Tensor) else torch.stack(list(losses))
        return vector if vector.dtype is torch.float32 else vector.float()


def steps_per_epoch(train_samples: int, batch_size: int, world_size: int = 1) -> int:
    """Batches each process trains per epoch (the last one may be short)."""
    return math.ceil(math.ceil(train_samples / world_size) / batch_size)


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class Trainer:
    """Trains a graph on a dataset bundle, emitting events to callbacks.

    Args:
        graph: The graph; it must hold at least one Loss node.
        data: A ``DataBundle``-like object: ``train`` and ``val`` datasets of
            ``dict[str, Tensor]`` items (``val`` may be None or empty) and ``fields``
            (field name -> object with ``shape``) used to check and infer Input shapes.
        config: Hyperparameters (default ``TrainConfig()``).
        callbacks: Listeners, called in this order.
        run_dir: Folder for ``checkpoints/``; None writes no checkpoint.
        name: Model title (the generated class name).
        resume_from: A checkpoint to continue from (its next epoch up to ``config.epochs``).
        base_dir: The project's folder, where relative file parameters (a backbone's
            pretrained weights) are read from (``project.base_dir``).
    Raises:
        TrainingSetupError: the graph and data do not fit (names the node and field).
        TorchwireError: unavailable device.
    """

    def __init__(self, graph: Graph, data: Any, config: TrainConfig | None = None, *,
                 callbacks: Iterable[Callback] = (), run_dir: str | Path | None = None,
                 name: str = "Model", resume_from: str | Path | None = None,
                 base_dir: str | Path | None = None) -> None:
        self.config = config or TrainConfig()
        self.graph = graph
        self.data = data
        self.callbacks = CallbackList(callbacks)
        self.device = resolve_device(self.config.device)
        self.dist: DistInfo = init_distributed(self.device)
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.resume_from = Path(resume_from) if resume_from is not None else None
        self.recipe = build_recipe(RecipeContext(graph, data.fields, self.config, self.device, name,
                                                 Path(base_dir) if base_dir is not None else None))
        self.init_report: InitReport | None = None
        if self.config.init_weights and self.resume_from is None:  # a resumed run has its own weights
            self.init_report = load_initial_weights(self.recipe.modules(), self.config.init_weights,
                                                    base_dir)
            log.info("%s", self.init_report.text())
        self.global_step = 0
        self.history: list[dict[str, Any]] = []
        self.best_value = math.inf
        self.best_epoch: int | None = None
        self.bad_epochs = 0
        self.last_checkpoint: Path | None = None
        self.best_checkpoint: Path | None = None
        # Read the per-batch loss one batch late on CUDA so the host never waits for the GPU.
        self.defer_sync = self.device.type == "cuda"
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._where = (0, 0)  # (epoch, batch) being trained, for error messages
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.schedules: dict[str, LRSchedule] = {}
        self.tools: StepTools | None = None

    # -- control from any thread ---------------------------------------------
    def stop(self) -> None:
        """Ask the loop to stop after the current batch (also ends a pause)."""
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        """Hold the loop before its next batch until :meth:`resume` or :meth:`stop`."""
        self._running.clear()

    def resume(self) -> None:
        """Continue after :meth:`pause`."""
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @property
    def model(self) -> torch.nn.Module:
        """The exported model (Inputs -> Outputs) holding the trained weights."""
        return self.recipe.export_model()

    @property
    def monitor(self) -> str:
        return "val/loss" if self._has_val() else "train/loss"

    # -- the run -------------------------------------------------------------
    def fit(self) -> TrainResult:
        """Train from the start (or ``resume_from``) to ``config.epochs``.

        Returns:
            The result; ``reason`` says why it ended.
        Raises:
            TrainingFailed: non-finite loss or any error (after ``on_failed``).
        """
        cb = self.callbacks
        reason = "completed"
        try:
            start = self._setup()
            cb.fire("on_fit_start", self._info(start))
            for epoch in range(start, self.config.epochs + 1):
                if self._should_stop():
                    reason = "stopped"
                    break
                if not self._run_epoch(epoch):
                    reason = "stopped"
                    break
                if self._early_stop():
                    reason = "early_stopping"
                    break
            result = self._result(reason)
            cb.fire("on_finished", result.to_dict())
            return result
        except _NonFinite as err:
            message = (f"The loss became {err.value} at epoch {err.epoch}, batch {err.batch} "
                       f"(step {err.step}) — lower the learning rate, set grad_clip, or check the "
                       f"data for NaN/Inf values. Last healthy checkpoint: "
                       f"{self.last_checkpoint or 'none (no epoch completed with checkpoints on)'}")
            raise self._fail(message) from None
        except TorchwireError as err:
            raise self._fail(str(err)) from None
        except Exception as err:
            epoch, batch = self._where
            first = (str(err).strip().splitlines() or [""])[0]
            where = f" at epoch {epoch}, batch {batch}" if epoch else ""
            message = f"Training failed{where}: {type(err).__name__}: {first}".rstrip(": ")
            log.debug("training failed", exc_info=True)
            raise self._fail(message) from err
        finally:
            cb.fire_safely("on_fit_end")
            self.dist.shutdown()

    def _fail(self, message: str) -> TrainingFailed:
        self.callbacks.fire_safely("on_failed", message)
        result = self._result("failed", message)
        return TrainingFailed(message, result)

    def _result(self, reason: str, message: str = "") -> TrainResult:
        return TrainResult(
            reason=reason, epochs_completed=self.history[-1]["epoch"] if self.history else 0,
            global_step=self.global_step, history=list(self.history), monitor=self.monitor,
            best_epoch=self.best_epoch,
            best_value=self.best_value if math.isfinite(self.best_value) else None,
            run_dir=str(self.run_dir) if self.run_dir else None,
            last_checkpoint=str(self.last_checkpoint) if self.last_checkpoint else None,
            best_checkpoint=str(self.best_checkpoint) if self.best_checkpoint else None,
            message=message)

    def _setup(self) -> int:
        """Seed, build optimizers and schedules, wrap for DDP, load ``resume_from``.

        Returns the first epoch to run.
        """
        config = self.config
        seed_everything(config.seed)
        steps = steps_per_epoch(len(self.data.train), config.batch_size, self.dist.world_size)
        if steps == 0:
            raise TorchwireError("the training set is empty — check the data settings")
        self.steps_per_epoch = steps
        params = self.recipe.optimizer_params()
        if not any(params.values()):
            raise TorchwireError("the graph has no trainable parameters — add a layer with "
                                 "weights or unfreeze a backbone")
        self.optimizers = {name: build_optimizer(config, p) for name, p in params.items()}
        self.schedules = {name: LRSchedule(o, config, steps) for name, o in self.optimizers.items()}
        self.tools = StepTools(self.optimizers, self.device, config.amp, config.grad_clip)
        if config.amp and self.device.type != "cuda":
            log.info("amp is only used on CUDA; training in float32 on %s", self.device)
        start = 1
        if self.resume_from is not None:
            start = self._load(self.resume_from)
        if self.dist.enabled:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.recipe.distribute(lambda m, unused: DDP(m, device_ids=ids,
                                                         find_unused_parameters=unused))
        return start

    def _info(self, start: int) -> dict[str, Any]:
        return {
            "epochs": self.config.epochs, "start_epoch": start,
            "steps_per_epoch": self.steps_per_epoch, "batch_size": self.config.batch_size,
            "train_samples": len(self.data.train), "val_samples": self._val_len(),
            "device": str(self.device), "world_size": self.dist.world_size,
            "monitor": self.monitor, "run_dir": str(self.run_dir) if self.run_dir else None,
            "losses": [{"name": t.name, "kind": t.kind, "task": t.task}
                       for t in self.recipe.tasks],
            "history": list(self.history),
            "init_weights": self.init_report.text() if self.init_report is not None else None,
        }

    def _val_len(self) -> int:
        val = getattr(self.data, "val", None)
        return len(val) if val is not None else 0

    def _has_val(self) -> bool:
        return self._val_len() > 0

    def _should_stop(self) -> bool:
        return self.dist.broadcast_flag(self._stop.is_set()) if self.dist.enabled \
            else self._stop.is_set()

    # -- one epoch -----------------------------------------------------------
    def _run_epoch(self, epoch: int) -> bool:
        """Train, validate, report and checkpoint one epoch. False when stopped midway."""
        cb = self.callbacks
        cb.fire("on_epoch_start", epoch)
        started = time.perf_counter()
        train, samples, busy, lr = self._train_epoch(epoch)
        if train is None:
            return False
        val = self._validate()
        metrics: dict[str, Any] = {"epoch": epoch, **train, **val, "lr": lr,
                                   "samples_per_s": samples / max(busy, 1e-9),
                                   "epoch_time": time.perf_counter() - started}
        metrics.update(self.recipe.epoch_end(epoch))
        monitored = metrics.get(self.monitor)
        for schedule in self.schedules.values():
            schedule.epoch_end(monitored)
        improved = monitored is not None and monitored < self.best_value
        if improved:
            self.best_value, self.best_epoch, self.bad_epochs = monitored, epoch, 0
        else:
            self.bad_epochs += 1
        self.history.append(metrics)
        if val:
            cb.fire("on_validation_end", epoch, dict(val))
        cb.fire("on_epoch_end", epoch, dict(metrics))
        self._checkpoint(epoch, improved)
        return True

    def _train_epoch(self, epoch: int) -> tuple[dict[str, Any] | None, int, float, float]:
        """Returns (train metrics or None when stopped midway, samples, busy seconds, last lr)."""
        recipe, tools, cb = self.recipe, self.tools, self.callbacks
        assert tools is not None
        recipe.train(True)
        acc = MetricAccumulator(recipe.tasks, self.device)
        names = [t.name for t in recipe.tasks]
        width = 1 + len(names)
        listening = cb.listens("on_batch_end")
        indices = shard_indices(len(self.data.train), self.config.seed, epoch, True, self.dist)
        world = self.dist.world_size
        schedules = list(self.schedules.values())
        lr = 0.0
        busy = 0.0
        pending: tuple[int, int, torch.Tensor, int, float] | None = None
        last = time.perf_counter()
        ddp = self.dist.enabled

        voted = False  # under DDP: some rank asked to stop (all ranks see it at the same batch)

        def flush(item: tuple[int, int, torch.Tensor, int, float]) -> None:
            nonlocal last, busy, voted
            batch_no, step, vector, n, batch_lr = item
            values = vector.tolist()  # the one host sync per batch (one batch late on CUDA)
            if ddp:
                *values, stop_votes = values
                if stop_votes > 0:
                    voted = True
                    self._stop.set()
            if not isinstance(values, list) or len(values) == 1:  # one loss, its own total
                values = [values[0] if isinstance(values, list) else values] * width
            if not math.isfinite(values[0]):
                raise _NonFinite(values[0], epoch, batch_no, step)
            acc.add_losses(values, n)  # under DDP: global means × local counts, summed at epoch end
            now = time.perf_counter()
            busy += now - last
            if listening:
                losses = dict(zip(names, values[1:], strict=True))
                speed = n * world / max(now - last, 1e-9)
                cb.fire("on_batch_end", step, epoch, batch_no, values[0], losses, batch_lr, speed)
            last = now

        completed = True
        for batch_no, batch in enumerate(self._batches(self.data.train, indices, epoch), 1):
            self._where = (epoch, batch_no)
            for schedule in schedules:
                lr = schedule.apply(self.global_step)
            out: StepOutput = recipe.train_step(batch, tools)
            tools.finish()
            self.global_step += 1
            acc.add_predictions(out.predictions, out.targets)
            vector = _loss_vector(out.losses)
            if ddp:  # one collective: mean losses of all ranks, plus a vote to stop
                vote = torch.full((1,), float(self._stop.is_set()), device=vector.device)
                vector = torch.cat([vector.reshape(-1) / world, vote])
                torch.distributed.all_reduce(vector)
            item = (batch_no, self.global_step, vector, out.batch_size, lr)
            if self.defer_sync:
                if pending is not None:
                    flush(pending)
                pending = item
            else:
                flush(item)
            if not self._running.is_set():
                waited = time.perf_counter()
                self._running.wait()
                last += time.perf_counter() - waited  # paused time is not training time
            stop_now = voted if ddp else self._stop.is_set()
            if stop_now:
                completed = False
                break
        if pending is not None:
            flush(pending)
        if not completed:
            return None, acc.samples, busy, lr
        if ddp:
            acc.all_reduce(self.dist.all_reduce)
        return acc.compute("train"), acc.samples, busy, lr

    def _validate(self) -> dict[str, Any]:
        if not self._has_val():
            return {}
        recipe = self.recipe
        recipe.train(False)
        acc = MetricAccumulator(recipe.tasks, self.device, full=True)
        indices = eval_indices(len(self.data.val), self.dist)
        with torch.no_grad(), self.tools.autocast():
            for batch in self._batches(self.data.val, indices, 0):
                out = recipe.eval_step(batch)
                acc.add_losses(_loss_vector(out.losses), out.batch_size)
                acc.add_predictions(out.predictions, out.targets)
        if self.dist.enabled:
            acc.all_reduce(self.dist.all_reduce)
        return acc.compute("val")

    def _batches(self, dataset: Any, indices: torch.Tensor, epoch: int) -> Iterator[Any]:
        """Batches of ``dataset`` in ``indices`` order.

        In-process datasets fetch each batch with one call: Torchwire's in-memory tensor
        sets with :meth:`~engine.data.datasets.TensorDictDataset.take` (one
        ``index_select`` per field), others with ``__getitems__``; otherwise, or with
        workers, a DataLoader does the work.
        """
        from ..data.datasets import TensorDictDataset, collate

        size = self.config.batch_size
        workers = self.config.num_workers
        if workers == 0 and isinstance(dataset, TensorDictDataset):
            yield from map(dataset.take, indices.split(size))
            return
        if workers == 0 and hasattr(dataset, "__getitems__"):
            order = indices.tolist()
            for i in range(0, len(order), size):
                yield collate(dataset.__getitems__(order[i:i + size]))
            return
        from torch.utils.data import DataLoader

        loader = DataLoader(dataset, batch_size=size, sampler=indices.tolist(), num_workers=workers,
                            collate_fn=collate, pin_memory=self.device.type == "cuda",
                            generator=torch.Generator().manual_seed(self.config.seed + epoch))
        yield from loader

    def _early_stop(self) -> bool:
        patience = self.config.early_stopping_patience
        return patience is not None and self.bad_epochs >= patience

    # -- checkpoints -----------------------------------------------------------
    def _state(self, epoch: int) -> dict[str, Any]:
        tools = self.tools
        return {
            "format": ckpt.FORMAT, "torchwire": __version__, "recipe": self.recipe.name,
            "epoch": epoch, "global_step": self.global_step,
            "model": self.recipe.export_model().state_dict(),
            "modules": {k: m.state_dict() for k, m in self.recipe.modules().items()},
            "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
            "schedules": {k: s.state_dict() for k, s in self.schedules.items()},
            "scaler": tools.scaler.state_dict() if tools and tools.scaler is not None else None,
            "rng": ckpt.capture_rng(),
            "history": list(self.history),
            "trainer": {"best_value": self.best_value, "best_epoch": self.best_epoch,
                        "bad_epochs": self.bad_epochs},
            "config": TypeAdapter(TrainConfig).dump_python(self.config, mode="json"),
            "graph": self.graph.to_dict(),
        }

    def _checkpoint(self, epoch: int, improved: bool) -> None:
        if self.run_dir is None or not self.dist.is_main:
            return
        folder = self.run_dir / "checkpoints"
        last = ckpt.save_checkpoint(self._state(epoch), folder / "last.pt")
        self.last_checkpoint = last
        written = [last]
        every = self.config.checkpoint_every
        if every and epoch % every == 0:
            written.append(ckpt.copy_atomic(last, folder / f"epoch-{epoch:04d}.pt"))
        if improved:
            self.best_checkpoint = ckpt.copy_atomic(last, folder / "best.pt")
            written.append(self.best_checkpoint)
        for path in written:
            self.callbacks.fire("on_checkpoint", str(path))

    def _load(self, path: Path) -> int:
        state = ckpt.load_checkpoint(path, map_location=self.device)
        if state.get("recipe") != self.recipe.name:
            raise ckpt.CheckpointError(f"checkpoint {path} was made by the '{state.get('recipe')}' "
                                       f"recipe, not '{self.recipe.name}'")
        for name, module in self.recipe.modules().items():
            if name not in state["modules"]:
                raise ckpt.CheckpointError(f"checkpoint {path} has no '{name}' module")
            ckpt.load_module_state(module, state["modules"][name], name, path)
        for name, optimizer in self.optimizers.items():
            optimizer.load_state_dict(state["optimizers"][name])
        for name, schedule in self.schedules.items():
            schedule.load_state_dict(state["schedules"][name])
        if self.tools is not None and self.tools.scaler is not None and state.get("scaler"):
            self.tools.scaler.load_state_dict(state["scaler"])
        ckpt.restore_rng(state["rng"])
        self.global_step = int(state["global_step"])
        self.history = list(state["history"])
        info = state["trainer"]
        self.best_value = float(info["best_value"])
        self.best_epoch = info["best_epoch"]
        self.bad_epochs = int(info["bad_epochs"])
        self.last_checkpoint = path
        epoch = int(state["epoch"])
        if epoch >= self.config.epochs:
            log.info("checkpoint %s already reached epoch %d of %d", path, epoch, self.config.epochs)
        return epoch + 1


__all__ = ["TrainResult", "Trainer", "TrainingFailed", "seed_everything", "steps_per_epoch"]
