"""``torchwire train PROJECT``: headless training with a progress bar.

The run folder (``--out``, default ``runs/<project>-<timestamp>``) receives
``metrics.csv``, ``checkpoints/`` (last.pt, best.pt, epoch-NNNN.pt), the trained
model's ``weights.safetensors`` and a copy of the project with the settings used.
Under ``torchrun --nproc_per_node=K`` the same command trains with
DistributedDataParallel; only rank 0 writes and prints.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from ..errors import TorchwireError
from .callbacks import Callback


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", help="project file (.json)")
    parser.add_argument("--epochs", type=_positive, help="number of epochs (default: the project's)")
    parser.add_argument("--batch-size", type=_positive, help="samples per batch (per process)")
    parser.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps (default: the project's)")
    parser.add_argument("--out", help="run folder (default: runs/<project>-<timestamp>, or the "
                                      "resumed checkpoint's run)")
    parser.add_argument("--resume", metavar="CKPT", help="continue from a checkpoint (last.pt)")
    parser.add_argument("--limit", type=_positive, metavar="N",
                        help="use only the first N samples of each split (quick runs)")
    parser.add_argument("--tensorboard", action="store_true",
                        help="also write TensorBoard logs to <run>/tensorboard")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _rank() -> int:
    from .distributed import launched_by_torchrun

    return int(os.environ["RANK"]) if launched_by_torchrun() else 0


def _run_dir(args: argparse.Namespace, project_path: Path) -> Path:
    if args.out:
        return Path(args.out)
    if args.resume:
        ckpt = Path(args.resume).resolve()
        if ckpt.parent.name == "checkpoints":
            return ckpt.parent.parent
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{project_path.stem}-{stamp}"


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    pairs = {"epochs": args.epochs, "batch_size": args.batch_size, "device": args.device}
    return {k: v for k, v in pairs.items() if v is not None}


def build_trainer(args: argparse.Namespace, callbacks: list[Any] | None = None) -> tuple[Any, Any, Path]:
    """Load the project and data, apply command-line overrides, build the Trainer.

    Returns:
        ``(trainer, project, run_dir)``; nothing is written yet.
    Raises:
        TorchwireError: bad project, data, settings or graph.
    """
    from pydantic import ValidationError

    from ..data import DataError, build_datasets
    from ..project import load_project
    from .trainer import Trainer

    project = load_project(args.project)
    try:
        project.training = dataclasses.replace(project.training, **_overrides(args))
    except ValidationError as err:
        first = err.errors()[0]
        raise TorchwireError(f"invalid {'.'.join(map(str, first['loc'])) or 'setting'}: "
                             f"{first['msg']}") from None
    if args.limit:
        project.data = project.data.model_copy(update={"limit": args.limit})
    try:
        data = build_datasets(project.data, project.base_dir)
    except DataError as err:
        raise TorchwireError(str(err)) from None
    run_dir = _run_dir(args, Path(args.project))
    trainer = Trainer(project.graph, data, project.training, callbacks=callbacks or [],
                      run_dir=run_dir, name=project.name, resume_from=args.resume,
                      base_dir=project.base_dir)
    return trainer, project, run_dir


def run(args: argparse.Namespace) -> int:
    train_command(args)
    return 0


def train_command(args: argparse.Namespace) -> tuple[Any, Any]:
    """Everything ``torchwire train`` does. Returns ``(trainer, result)``.

    Raises:
        TorchwireError: bad project, data or settings, or a failed run (the run
            folder then keeps the project copy, metrics.csv and checkpoints so far).
    """
    from .loggers import MetricsCSV, TensorBoardLogger, tensorboard_available

    main = _rank() == 0
    if args.tensorboard and not tensorboard_available():
        raise TorchwireError("--tensorboard needs the 'tensorboard' package — install it with "
                             "`pip install tensorboard`, or train without --tensorboard")
    trainer, project, run_dir = build_trainer(args)
    if main:
        run_dir.mkdir(parents=True, exist_ok=True)
        _write_project(project, run_dir / Path(args.project).name)
        trainer.callbacks.append(MetricsCSV(run_dir / "metrics.csv"))
        if args.tensorboard:
            trainer.callbacks.append(TensorBoardLogger(run_dir / "tensorboard"))
        if not args.no_progress:
            trainer.callbacks.append(ProgressBar())
    previous = _install_sigint(trainer)
    try:
        result = trainer.fit()
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if main:
        weights = run_dir / "weights.safetensors"
        save_weights(trainer.model, weights)
        print(f"final: {_summary(result.metrics)}\nrun folder: {run_dir}  ({result.reason}; "
              f"weights: {weights.name}, best: {result.best_checkpoint or '-'})")
    return trainer, result


def save_weights(model: Any, path: Path) -> None:
    """The model's state_dict as safetensors, written atomically."""
    from safetensors.torch import save

    from ..atomic import write_atomic

    tensors = {k: v.detach().cpu().clone().contiguous() for k, v in model.state_dict().items()}
    write_atomic(path, save(tensors, metadata={"format": "pt", "producer": "torchwire"}))


def _write_project(project: Any, path: Path) -> None:
    from ..atomic import write_atomic

    text = json.dumps(project.to_dict(), indent=2, ensure_ascii=False) + "\n"
    write_atomic(path, text.encode("utf-8"))


def _install_sigint(trainer: Any) -> Any:
    """First Ctrl-C stops after the current batch (outputs are still written); the second aborts."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum: int, frame: Any) -> None:
        if trainer.stopping:
            raise KeyboardInterrupt
        print("\nstopping after this batch — press Ctrl-C again to abort", file=sys.stderr)
        trainer.stop()

    return signal.signal(signal.SIGINT, handler)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _summary(metrics: dict[str, Any]) -> str:
    if not metrics:
        return "no epoch completed"
    keys = [k for k in metrics if k.endswith(("/loss", "/accuracy", "/mae", "/rmse"))
            and k.count("/") <= 2]
    # One Loss node: its own loss repeats the total; show it once.
    keys = [k for k in keys if not (k.count("/") == 2 and k.endswith("/loss")
                                    and metrics[k] == metrics.get(k.split("/")[0] + "/loss"))]
    parts = [f"epoch {metrics['epoch']}"] + [f"{k} {_fmt(metrics[k])}" for k in keys]
    parts.append(f"{metrics.get('samples_per_s', 0):.0f} samples/s")
    return " · ".join(parts)


class ProgressBar(Callback):
    """A tqdm bar per epoch (loss, samples/s, ETA) and one summary line per epoch."""

    def __init__(self, min_interval: float = 0.1) -> None:
        self.bar: Any = None
        self.epochs = 0
        self.steps = 0
        self.min_interval = min_interval
        self._shown = 0.0

    def on_fit_start(self, info: dict[str, Any]) -> None:
        self.epochs, self.steps = info["epochs"], info["steps_per_epoch"]
        if info.get("init_weights"):
            print(info["init_weights"], file=sys.stderr)

    def on_epoch_start(self, epoch: int) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=self.steps, desc=f"epoch {epoch}/{self.epochs}", unit="batch",
                        dynamic_ncols=True, leave=False)

    def on_batch_end(self, step: int, epoch: int, batch: int, loss: float,
                     losses: dict[str, float], lr: float, samples_per_s: float) -> None:
        now = time.monotonic()
        if now - self._shown >= self.min_interval:
            self.bar.set_postfix_str(f"loss {loss:.4g} · {samples_per_s:.0f} samples/s",
                                     refresh=False)
            self._shown = now
        self.bar.update(1)

    def on_epoch_end(self, epoch: int, metrics: dict[str, Any]) -> None:
        self._close()
        from tqdm import tqdm

        tqdm.write(_summary(metrics))

    def on_fit_end(self) -> None:
        self._close()

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


__all__ = ["ProgressBar", "add_arguments", "build_trainer", "run", "save_weights", "train_command"]
